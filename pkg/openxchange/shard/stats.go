package shard

import (
	"encoding/binary"
	"math"

	"provpipe/pkg/shared/csvstream"
	"provpipe/pkg/shared/outfiles"
)

// schemaStats counts distinct schemas per shard and the schemas that land in
// more than one shard, up to maxTrackedSchemas names. It runs once per
// record: a schema already seen costs a compare of the record's end
// (columnValues), no copy and no allocation. With the schemas as --by's
// keys it is filled in once a key instead (numbered, addNumber).
type schemaStats struct {
	column   int
	name     string
	schemas  numbering     // numbered by add, or by the caller (numbered)
	values   *columnValues // the schema column's, numbered in schemas
	seen     []schemaSeen  // number -> its shards
	perShard []int         // distinct schemas per shard
	split    int
	examples []string
}

// schemaSeen is where one schema went: the first 64 shards as bits, any
// beyond in a set made when first needed.
type schemaSeen struct {
	low   uint64
	high  map[int]struct{}
	count int // shards it is in
}

// add records shard and reports whether it is new for this schema.
func (s *schemaSeen) add(shard int) bool {
	if shard < 64 {
		bit := uint64(1) << shard
		if s.low&bit != 0 {
			return false
		}
		s.low |= bit
	} else {
		if s.high == nil {
			s.high = map[int]struct{}{}
		}
		if _, seen := s.high[shard]; seen {
			return false
		}
		s.high[shard] = struct{}{}
	}
	s.count++
	return true
}

func newSchemaStats(h *header, shards int) *schemaStats {
	column, name := schemaColumn(h)
	s := &schemaStats{column: column, name: name, schemas: numbering{limit: maxTrackedSchemas}}
	if column < 0 {
		return s
	}
	s.perShard = make([]int, shards)
	s.values = newColumnValues(column, &s.schemas)
	return s
}

// add counts a record in shard, by its schema.
func (s *schemaStats) add(rec *csvstream.Record, shard int) {
	id, ok := s.values.number(rec)
	if !ok {
		return
	}
	if id == len(s.seen) {
		s.seen = append(s.seen, schemaSeen{})
	}
	s.addNumber(id, shard)
}

// numbered takes the schemas as numbered elsewhere, for addNumber.
func (s *schemaStats) numbered(nb numbering) {
	s.schemas = nb
	s.seen = make([]schemaSeen, len(nb.names))
}

// addNumber counts a record of schema number id in shard.
func (s *schemaStats) addNumber(id, shard int) {
	seen := &s.seen[id]
	if !seen.add(shard) {
		return
	}
	s.perShard[shard]++
	if seen.count == 2 {
		s.split++
		if len(s.examples) < 3 {
			s.examples = append(s.examples, s.schemas.names[id])
		}
	}
}

func (s *schemaStats) result(files []*outfiles.File, counts []int) *Result {
	res := &Result{SplitSchemas: s.examples, SplitSchemasCount: s.split, SchemasCount: len(s.schemas.names), SchemaColumn: s.name}
	for i, f := range files {
		st := Stat{Path: f.Path, Records: counts[i], Schemas: -1}
		if s.column >= 0 {
			st.Schemas = s.perShard[i]
		}
		res.Shards = append(res.Shards, st)
		res.Records += counts[i]
	}
	return res
}

// columnValues numbers the values of one column, record by record: a
// numbering, with a cache of record ends in front. Of a record whose
// every comma separates fields (csvstream's SimpleQuoted), the bytes from
// the comma before the column's field to the end of the line hold that
// field whole and say which field it is; another record ending in the
// same bytes has the same value there, which one compare tells without
// finding the field. ctxrows' schema columns are last, so a record's end
// is its schema's.
type columnValues struct {
	col  int
	nb   *numbering
	ends *[cacheSlots]recordEnd
}

type recordEnd struct {
	bytes []byte // from the comma before the field to the line's end
	id    int
	ok    bool
}

func newColumnValues(col int, nb *numbering) *columnValues {
	return &columnValues{col: col, nb: nb, ends: new([cacheSlots]recordEnd)}
}

func (cv *columnValues) number(rec *csvstream.Record) (int, bool) {
	raw := rec.Raw
	if !rec.SimpleQuoted() {
		return cv.nb.number(rec.FieldValue(nil, cv.col))
	}
	e := &cv.ends[cacheSlot(raw)]
	if n := len(e.bytes); n > 0 && n <= len(raw) && string(raw[len(raw)-n:]) == string(e.bytes) {
		return e.id, e.ok
	}
	id, ok := cv.nb.number(rec.FieldValue(nil, cv.col))
	from := max(rec.FieldOffset(cv.col)-1, 0) // the comma before, or the line's start
	e.bytes, e.id, e.ok = append(e.bytes[:0], raw[from:]...), id, ok
	return id, ok
}

// numbering gives each distinct value a number, in the order first seen,
// up to limit values; ok is false for a value past them.
//
// It runs once a record, so the map is behind a small cache: the value's
// slot, found from its length and last bytes, holds the number of the
// value seen last there. A few hundred schemas or keys repeating mostly
// hit it, at a compare instead of a map's hash and probe.
type numbering struct {
	ids   map[string]int
	names []string
	limit int
	cache *[cacheSlots]int32 // number+1 of the value last seen in each slot; 0: none
}

const cacheSlots = 1024

func (nb *numbering) number(v []byte) (id int, ok bool) {
	if nb.cache == nil {
		nb.cache = new([cacheSlots]int32)
	}
	slot := &nb.cache[cacheSlot(v)]
	if c := int(*slot) - 1; c >= 0 && nb.names[c] == string(v) {
		return c, true
	}
	id, ok = nb.lookUp(v)
	if ok && id < math.MaxInt32 {
		*slot = int32(id + 1)
	}
	return id, ok
}

// cacheSlot mixes v's length and its last eight bytes (or fewer), where
// generated names differ: schema_12, schema_13.
func cacheSlot(v []byte) int {
	var tail uint64
	if len(v) >= 8 {
		tail = binary.LittleEndian.Uint64(v[len(v)-8:])
	} else {
		for _, b := range v {
			tail = tail<<8 | uint64(b)
		}
	}
	return int(((tail ^ uint64(len(v))<<56) * 0x9e3779b97f4a7c15) >> (64 - 10))
}

func (nb *numbering) lookUp(v []byte) (id int, ok bool) {
	if id, ok := nb.ids[string(v)]; ok {
		return id, true
	}
	if len(nb.names) >= nb.limit {
		return 0, false
	}
	if nb.ids == nil {
		nb.ids = map[string]int{}
	}
	id = len(nb.names)
	nb.ids[string(v)] = id
	nb.names = append(nb.names, string(v))
	return id, true
}
