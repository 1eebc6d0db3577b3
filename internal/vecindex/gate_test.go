package vecindex

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// waitFor polls cond until it holds, failing the test after a while.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestGateFIFO queues waiters one after another behind a held place and
// checks that they are admitted in the order they came.
func TestGateFIFO(t *testing.T) {
	g := &gate{limit: 1}
	ctx := context.Background()
	if err := g.enter(ctx); err != nil {
		t.Fatal(err)
	}
	const n = 20
	order := make(chan int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if err := g.enter(ctx); err != nil {
				t.Error(err)
				return
			}
			order <- i
			g.leave()
		})
		waitFor(t, "the waiter to queue", func() bool { _, w := g.load(); return w == i+1 })
	}
	g.leave()
	wg.Wait()
	close(order)
	want := 0
	for got := range order {
		if got != want {
			t.Fatalf("waiter %d admitted in place %d", got, want)
		}
		want++
	}
	if a, w := g.load(); a != 0 || w != 0 {
		t.Errorf("load = %d active, %d waiting after everyone left, want 0, 0", a, w)
	}
}

// TestGateLimit runs many holders and checks that at most limit hold a
// place at once, and that every one got in.
func TestGateLimit(t *testing.T) {
	for _, limit := range []int{1, 3} {
		g := &gate{limit: limit}
		var cur, peak, done atomic.Int32
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				for range 20 {
					if err := g.enter(context.Background()); err != nil {
						t.Error(err)
						return
					}
					c := cur.Add(1)
					for p := peak.Load(); c > p && !peak.CompareAndSwap(p, c); p = peak.Load() {
					}
					runtime.Gosched()
					cur.Add(-1)
					g.leave()
					done.Add(1)
				}
			})
		}
		wg.Wait()
		if got := peak.Load(); got > int32(limit) {
			t.Errorf("limit %d: %d held a place at once", limit, got)
		}
		if got := done.Load(); got != 50*20 {
			t.Errorf("limit %d: %d entries, want %d", limit, got, 50*20)
		}
	}
}

// TestGateCancel checks that a waiter whose context ends gives up with the
// context's error, leaves the queue, and takes no place with it, also
// when cancellation and admission race.
func TestGateCancel(t *testing.T) {
	g := &gate{limit: 1}
	if err := g.enter(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	if err := g.enter(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("enter with an expiring context = %v, want DeadlineExceeded", err)
	}
	if a, w := g.load(); a != 1 || w != 0 {
		t.Fatalf("load = %d active, %d waiting after a waiter gave up, want 1, 0", a, w)
	}
	g.leave()

	// Races: waiters cancelled at about the time they are admitted.
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i%7)*50*time.Microsecond)
			defer cancel()
			if g.enter(ctx) == nil {
				time.Sleep(20 * time.Microsecond)
				g.leave()
			}
		})
	}
	wg.Wait()
	if a, w := g.load(); a != 0 || w != 0 {
		t.Fatalf("load = %d active, %d waiting after the races, want 0, 0", a, w)
	}
	if err := g.enter(context.Background()); err != nil {
		t.Fatal(err)
	}
	g.leave()
}

// TestSearchContextWaits holds the only place and checks that
// SearchContext gives up when its context expires, that Search waits
// until the place is free, and the default and explicit limits.
func TestSearchContextWaits(t *testing.T) {
	const dims = 16
	x := New(dims, WithMaxConcurrentSearches(1))
	q := make([]float32, dims)
	q[0] = 1
	if err := x.Add("a", q); err != nil {
		t.Fatal(err)
	}
	if err := x.gate.enter(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	if _, err := x.SearchContext(ctx, q, 1, SearchOptions{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("SearchContext while the place is held = %v, want DeadlineExceeded", err)
	}
	res := make(chan []Hit)
	go func() {
		hs, err := x.Search(q, 1, SearchOptions{})
		if err != nil {
			t.Error(err)
		}
		res <- hs
	}()
	waitFor(t, "the search to queue", func() bool { _, w := x.Queue(); return w == 1 })
	x.gate.leave()
	if hs := <-res; len(hs) != 1 || hs[0].ID != "a" {
		t.Fatalf("Search after the place was freed = %v, want [a]", hs)
	}

	procs := runtime.GOMAXPROCS(0)
	for _, tt := range []struct {
		name string
		opts []Option
		want int
	}{
		{"default", nil, 1},
		{"one worker per search", []Option{WithWorkers(1)}, procs},
		{"explicit", []Option{WithMaxConcurrentSearches(5)}, 5},
		{"no limit", []Option{WithMaxConcurrentSearches(0)}, 0},
	} {
		if got := New(dims, tt.opts...).gate.limit; got != tt.want {
			t.Errorf("%s: limit %d, want %d", tt.name, got, tt.want)
		}
	}
}
