package ctxcreate

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"provpipe/internal/testserver/oxsoapsim"
	"provpipe/pkg/openxchange/oxsoap"
)

// rowsCSV is n contexts cycling over schemas oxdb_1..oxdb_k on databases.
func rowsCSV(n, k int) string {
	var b strings.Builder
	b.WriteString("contextid,username,password,displayname,givenname,surname,email,quota,access-combination-name,language,timezone,schema,destination-database-id\n")
	for i := 1; i <= n; i++ {
		s := (i-1)%k + 1
		fmt.Fprintf(&b, "%d,oxadmin,secret,Admin %d,Admin,Context %d,oxadmin@context%d,1000,all,en_US,Europe/Berlin,oxdb_%d,%d\n", i, i, i, i, s, 3*((s-1)%3+1))
	}
	return b.String()
}

type outcome struct {
	results []Result
	err     error
}

func runAgainst(t *testing.T, srv *oxsoapsim.Server, password, csv string, plan Plan) outcome {
	t.Helper()
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	c := oxsoap.New(oxsoap.Config{URL: hs.URL, Auth: oxsoap.Credentials{Login: "oxadminmaster", Password: password}, Timeout: 5 * time.Second, Conns: plan.Streams})
	rd, err := NewReader(strings.NewReader(csv), "in.csv")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var out outcome
	out.err = Run(context.Background(), c, plan, rd.Next, func(r Result) { mu.Lock(); out.results = append(out.results, r); mu.Unlock() })
	return out
}

func TestAffinityNeverTwoCreatesInOneSchema(t *testing.T) {
	srv := oxsoapsim.New("oxadminmaster", "master")
	srv.Delay = 2 * time.Millisecond
	got := runAgainst(t, srv, "master", rowsCSV(120, 3), Plan{Streams: 8})
	if got.err != nil {
		t.Fatal(got.err)
	}
	if n := len(srv.Contexts()); n != 120 {
		t.Errorf("%d contexts created, want 120", n)
	}
	if n := srv.Overlaps(); n != 0 {
		t.Errorf("%d creates met another create of their schema in flight", n)
	}
	for _, r := range got.results {
		if r.Outcome != Created {
			t.Errorf("context %s: %s %v", r.Job.ID(), r.Outcome, r.Err)
		}
	}
}

func TestWrongCredentialsSendNothingMore(t *testing.T) {
	srv := oxsoapsim.New("oxadminmaster", "master")
	got := runAgainst(t, srv, "wrong", rowsCSV(50, 3), Plan{Streams: 4})
	var login *LoginError
	if !errors.As(got.err, &login) || !strings.Contains(got.err.Error(), "Authentication failed") {
		t.Fatalf("error %v, want a login error", got.err)
	}
	if n := srv.Requests(); n != 1 {
		t.Errorf("%d requests after a refused login, want 1", n)
	}
	if len(got.results) != 0 || len(srv.Contexts()) != 0 {
		t.Errorf("results %d, contexts %d after a refused login", len(got.results), len(srv.Contexts()))
	}
}

// TestFaultsEveryContextOnce: a timeout after the commit, a 503, a reset
// connection and a deadlock fault, each on one request: every context is
// created exactly once and reported created exactly once.
func TestFaultsEveryContextOnce(t *testing.T) {
	srv := oxsoapsim.New("oxadminmaster", "master")
	for n, kind := range map[int]oxsoapsim.FaultKind{5: oxsoapsim.TimeoutAfterCommit, 7: oxsoapsim.Unavailable, 9: oxsoapsim.Reset, 11: oxsoapsim.Deadlock, 14: oxsoapsim.TimeoutAfterCommit} {
		srv.Inject(n, kind)
	}
	got := runAgainst(t, srv, "master", rowsCSV(40, 3), Plan{Streams: 4, Retries: 3, Backoff: time.Millisecond})
	if got.err != nil {
		t.Fatal(got.err)
	}
	seen := map[string]int{}
	retried := 0
	for _, r := range got.results {
		seen[r.Job.ID()]++
		if r.Outcome != Created {
			t.Errorf("context %s: %s %v", r.Job.ID(), r.Outcome, r.Err)
		}
		if r.Attempts > 1 {
			retried++
		}
	}
	if len(seen) != 40 || len(srv.Contexts()) != 40 {
		t.Errorf("%d contexts reported, %d created, want 40", len(seen), len(srv.Contexts()))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("context %s reported %d times", id, n)
		}
	}
	// Which request each fault meets depends on the streams' timing (an
	// exists after a lost answer is a request too); some create met one.
	if retried == 0 || srv.Requests() <= 40 {
		t.Errorf("%d contexts retried, %d requests for 40 contexts: the faults were not met", retried, srv.Requests())
	}
}

// TestRefusedRowsFailTheRestCreated: a row OX refuses (schema and strategy
// both) fails with its fault; a context that exists is "exists"; the rest
// are created.
func TestRefusedRowsFailTheRestCreated(t *testing.T) {
	srv := oxsoapsim.New("oxadminmaster", "master")
	csv := "contextid,username,password,displayname,givenname,surname,email,quota,schema,schema-strategy\n" +
		"1,a,pw,A,A,A,a@x,1000,oxdb_1,\n" +
		"2,a,pw,A,A,A,a@x,1000,oxdb_1,automatic\n" +
		"3,a,pw,A,A,A,a@x,1000,oxdb_2,\n" +
		"1,a,pw,A,A,A,a@x,1000,oxdb_1,\n"
	got := runAgainst(t, srv, "master", csv, Plan{Streams: 2})
	want := map[int]Outcome{0: Created, 1: Failed, 2: Created, 3: Existed} // by line - 2
	for _, r := range got.results {
		if w := want[r.Job.Line-2]; r.Outcome != w {
			t.Errorf("line %d: %s (%v), want %s", r.Job.Line, r.Outcome, r.Err, w)
		}
		if r.Outcome == Failed && !strings.Contains(fmt.Sprint(r.Err), "InvalidDataException: Only one of schema name or strategy") {
			t.Errorf("line %d: error %v", r.Job.Line, r.Err)
		}
	}
	if len(got.results) != 4 {
		t.Errorf("%d results, want 4", len(got.results))
	}
}

func TestSchedulerHoldsABusyUnit(t *testing.T) {
	s := newScheduler(10, false)
	mk := func(id, schema string) *Job {
		return &Job{Request: oxsoap.CreateRequest{Context: oxsoap.Context{ID: id}, Strategy: oxsoap.Strategy{SchemaName: schema}}}
	}
	for _, j := range []*Job{mk("1", "a"), mk("2", "a"), mk("3", "b")} {
		s.put(j)
	}
	s.close()
	first, second := s.take(0), s.take(0)
	if first.ID() != "1" || second.ID() != "3" {
		t.Fatalf("took %s then %s; want 1, then 3 while a is busy", first.ID(), second.ID())
	}
	taken := make(chan *Job)
	go func() { taken <- s.take(0) }()
	select {
	case j := <-taken:
		t.Fatalf("took %s while its schema was busy", j.ID())
	case <-time.After(20 * time.Millisecond): // nothing may come: a negative, bounded wait
	}
	s.done(first)
	if j := <-taken; j.ID() != "2" {
		t.Errorf("after a was freed took %s, want 2", j.ID())
	}
	s.done(second)
	if j := s.take(0); j != nil {
		t.Errorf("took %s after the last", j.ID())
	}
}

// TestLevelChangesWhileRunning: a stream at or above the level waits; a
// raised level lets it take jobs.
func TestLevelChangesWhileRunning(t *testing.T) {
	s := newScheduler(10, false)
	for i, schema := range []string{"a", "b"} {
		s.put(&Job{Request: oxsoap.CreateRequest{Context: oxsoap.Context{ID: fmt.Sprint(i + 1)}, Strategy: oxsoap.Strategy{SchemaName: schema}}})
	}
	s.close()
	s.setLevel(1)
	taken := make(chan *Job)
	go func() { taken <- s.take(1) }()
	if j := s.take(0); j == nil || j.ID() != "1" {
		t.Fatalf("stream 0 took %v", j)
	}
	select {
	case j := <-taken:
		t.Fatalf("stream 1 took %s at level 1", j.ID())
	case <-time.After(20 * time.Millisecond): // nothing may come: a negative, bounded wait
	}
	s.setLevel(2)
	if j := <-taken; j == nil || j.ID() != "2" {
		t.Errorf("stream 1 at level 2 took %v, want 2", j)
	}
}
