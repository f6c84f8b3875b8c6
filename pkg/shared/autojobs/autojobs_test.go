package autojobs

import (
	"math/rand/v2"
	"testing"
	"time"
)

// server is a deterministic model: capacity items in service at once,
// each taking service seconds; more wait in a queue. Work is items times
// size (a user's messages). Noise multiplies each sample by 1 ± noise.
type server struct {
	capacity float64
	service  float64
	size     float64
	noise    float64
	rng      *rand.Rand
}

// sample is one second at level l: work done and mean latency.
func (s *server) sample(l int) (float64, time.Duration) {
	busy := min(float64(l), s.capacity)
	items := busy / s.service
	latency := s.service * max(1, float64(l)/s.capacity)
	jitter := 1 + s.noise*(2*s.rng.Float64()-1)
	return items * s.size * jitter, time.Duration(latency / jitter * float64(time.Second))
}

func run(c *Controller, s *server, seconds int, levels *[]int) {
	for range seconds {
		w, lat := s.sample(c.Level())
		c.Observe(w, lat, time.Second)
		*levels = append(*levels, c.Level())
	}
}

// served is what levels give on a server of capacity, on average: the
// share of its best throughput, and the latency against the unqueued one.
func served(levels []int, capacity float64) (work, queue float64) {
	for _, l := range levels {
		work += min(float64(l), capacity) / capacity
		queue += max(1, float64(l)/capacity)
	}
	n := float64(len(levels))
	return work / n, queue / n
}

func mean(l []int) float64 {
	t := 0
	for _, v := range l {
		t += v
	}
	return float64(t) / float64(len(l))
}

// TestSettlesAtCapacity: the controller finds the level where work stops
// rising, for several capacities and noise, and stays near it: enough for
// 0.9x the best throughput, not so much that latency grows past 1.5x.
func TestSettlesAtCapacity(t *testing.T) {
	for _, capacity := range []float64{3, 8, 12, 24, 40} {
		for seed := range uint64(4) {
			s := &server{capacity: capacity, service: 0.2, size: 500, noise: 0.05, rng: rand.New(rand.NewPCG(seed, 7))}
			c := New(Config{Max: 128})
			var levels []int
			run(c, s, 240, &levels)
			work, queue := served(levels[120:], capacity)
			if work < 0.9 || queue > 1.5 {
				t.Errorf("capacity %g, seed %d: over the last 120 s %.2f of the capacity used, latency %.2fx the unqueued (levels %v)",
					capacity, seed, work, queue, levels[100:140])
			}
		}
	}
}

// TestFollowsACapacityCut: capacity halves mid-run; the controller comes
// down to the new capacity instead of keeping streams that only queue.
func TestFollowsACapacityCut(t *testing.T) {
	s := &server{capacity: 24, service: 0.2, size: 500, noise: 0.03, rng: rand.New(rand.NewPCG(1, 2))}
	c := New(Config{Max: 128})
	var levels []int
	run(c, s, 150, &levels)
	workBefore, _ := served(levels[100:], 24)
	s.capacity = 8
	run(c, s, 240, &levels)
	work, queue := served(levels[len(levels)-80:], 8)
	if workBefore < 0.9 || work < 0.9 || queue > 1.5 {
		t.Errorf("before the cut %.2f of capacity 24 used; after it %.2f of 8, latency %.2fx (levels %v)", workBefore, work, queue, levels[len(levels)-80:])
	}
	if lo, hi := c.Visited(); lo != 1 || hi < 24 {
		t.Errorf("visited %d..%d", lo, hi)
	}
}

// TestFollowsACapacityRise: capacity doubles; the controller probes up.
func TestFollowsACapacityRise(t *testing.T) {
	s := &server{capacity: 8, service: 0.2, size: 500, noise: 0.03, rng: rand.New(rand.NewPCG(3, 4))}
	c := New(Config{Max: 128})
	var levels []int
	run(c, s, 120, &levels)
	s.capacity = 24
	run(c, s, 300, &levels)
	if work, queue := served(levels[len(levels)-80:], 24); work < 0.9 || queue > 1.5 {
		t.Errorf("after capacity rose to 24: %.2f of it used, latency %.2fx (levels %v, mean %.1f)", work, queue, levels[len(levels)-80:], mean(levels[len(levels)-80:]))
	}
}

func TestBounds(t *testing.T) {
	s := &server{capacity: 1000, service: 0.1, size: 1, rng: rand.New(rand.NewPCG(1, 1))}
	c := New(Config{Min: 2, Max: 16})
	var levels []int
	run(c, s, 60, &levels)
	for _, l := range levels {
		if l < 2 || l > 16 {
			t.Fatalf("level %d outside 2..16", l)
		}
	}
	if c.Level() != 16 {
		t.Errorf("level %d with unbounded capacity, want the maximum 16", c.Level())
	}
}
