package limit

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/recommend-dev/recommend/embeddings"
	"github.com/recommend-dev/recommend/internal/errs"
)

// gate is an embedder whose calls block until released, counting how many
// run at once.
type gate struct {
	release chan struct{}
	started chan struct{}
	now     atomic.Int64
	peak    atomic.Int64
}

func newGate() *gate {
	return &gate{release: make(chan struct{}), started: make(chan struct{}, 100)}
}

func (g *gate) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	n := g.now.Add(1)
	defer g.now.Add(-1)
	for {
		p := g.peak.Load()
		if n <= p || g.peak.CompareAndSwap(p, n) {
			break
		}
	}
	g.started <- struct{}{}
	select {
	case <-g.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	out := make([][]float32, len(texts))
	for i := range out {
		out[i] = []float32{1, 0}
	}
	return out, nil
}
func (g *gate) Model() string   { return "gate" }
func (g *gate) Dimensions() int { return 2 }

type counting struct{ *gate }

func (counting) CountTokens(s string) int { return len(s) }

// waitStarted waits for n calls to have entered the gate.
func waitStarted(t *testing.T, g *gate, n int) {
	t.Helper()
	for range n {
		select {
		case <-g.started:
		case <-time.After(10 * time.Second):
			t.Fatalf("fewer than %d calls reached the embedder", n)
		}
	}
}

// waitFor polls cond until it holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestConcurrencyIsBounded(t *testing.T) {
	g := newGate()
	e := New(g, Config{MaxConcurrent: 3, MaxQueue: 100, QueueTimeout: time.Minute})
	const calls = 12
	var wg sync.WaitGroup
	errc := make(chan error, calls)
	for range calls {
		wg.Go(func() {
			_, err := e.Embed(context.Background(), []string{"x"})
			errc <- err
		})
	}
	waitStarted(t, g, 3)
	l := e.(*Embedder)
	waitFor(t, "9 calls wait", func() bool { return l.Waiting() == 9 })
	if got := l.InFlight(); got != 3 {
		t.Errorf("InFlight = %d, want 3", got)
	}
	close(g.release)
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Errorf("Embed: %v", err)
		}
	}
	if got := g.peak.Load(); got != 3 {
		t.Errorf("at most %d calls ran at once, want 3", got)
	}
	if l.InFlight() != 0 || l.Waiting() != 0 {
		t.Errorf("after the calls: InFlight %d, Waiting %d, want 0 and 0", l.InFlight(), l.Waiting())
	}
}

func TestTurnedAway(t *testing.T) {
	for _, tc := range []struct {
		name       string
		cfg        Config
		queued     int // calls left waiting before the probe
		wantReason string
	}{
		{"queue full", Config{MaxConcurrent: 1, MaxQueue: 2, QueueTimeout: time.Minute}, 2, "queue_full"},
		{"no queue", Config{MaxConcurrent: 1, MaxQueue: -1, QueueTimeout: time.Minute}, 0, "queue_full"},
		{"queue timeout", Config{MaxConcurrent: 1, MaxQueue: 5, QueueTimeout: 20 * time.Millisecond}, 0, "timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := newGate()
			var reasons []string
			var mu sync.Mutex
			tc.cfg.OnReject = func(r string) { mu.Lock(); reasons = append(reasons, r); mu.Unlock() }
			e := New(g, tc.cfg)
			l := e.(*Embedder)
			var wg sync.WaitGroup
			defer wg.Wait()
			defer close(g.release)
			wg.Go(func() { _, _ = e.Embed(context.Background(), []string{"running"}) })
			waitStarted(t, g, 1)
			for range tc.queued {
				wg.Go(func() { _, _ = e.Embed(context.Background(), []string{"queued"}) })
			}
			waitFor(t, "the queue fills", func() bool { return l.Waiting() == tc.queued })

			_, err := e.Embed(context.Background(), []string{"one too many"})
			if got := errs.Code(err); got != errs.Unavailable {
				t.Fatalf("Embed error %v (code %q), want code %q", err, got, errs.Unavailable)
			}
			mu.Lock()
			got := append([]string(nil), reasons...)
			mu.Unlock()
			if len(got) != 1 || got[0] != tc.wantReason {
				t.Errorf("OnReject reasons %v, want [%s]", got, tc.wantReason)
			}
		})
	}
}

// A caller whose context ends while it waits gets its context's error, not
// a "busy" error, and is not counted as rejected.
func TestCallerGivesUp(t *testing.T) {
	g := newGate()
	rejected := 0
	e := New(g, Config{MaxConcurrent: 1, QueueTimeout: time.Minute, OnReject: func(string) { rejected++ }})
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(g.release)
	wg.Go(func() { _, _ = e.Embed(context.Background(), []string{"running"}) })
	waitStarted(t, g, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := e.Embed(ctx, []string{"waiting"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Embed error %v, want context.DeadlineExceeded", err)
	}
	if errs.Code(err) == errs.Unavailable {
		t.Errorf("Embed error %v is a busy error; the caller's own deadline passed", err)
	}
	if rejected != 0 {
		t.Errorf("%d rejects counted, want 0", rejected)
	}
}

// Patient calls wait past QueueTimeout and MaxQueue.
func TestPatient(t *testing.T) {
	g := newGate()
	e := New(g, Config{MaxConcurrent: 1, MaxQueue: -1, QueueTimeout: time.Millisecond})
	var wg sync.WaitGroup
	wg.Go(func() { _, _ = e.Embed(context.Background(), []string{"running"}) })
	waitStarted(t, g, 1)
	done := make(chan error, 1)
	go func() {
		_, err := e.Embed(Patient(context.Background()), []string{"patient"})
		done <- err
	}()
	time.Sleep(20 * time.Millisecond) // well past QueueTimeout
	select {
	case err := <-done:
		t.Fatalf("the patient call returned %v while the slot was taken", err)
	default:
	}
	close(g.release)
	if err := <-done; err != nil {
		t.Fatalf("patient Embed: %v", err)
	}
	wg.Wait()
}

func TestWrapping(t *testing.T) {
	g := newGate()
	if got := New(g, Config{}); got != embeddings.Embedder(g) {
		t.Errorf("New with MaxConcurrent 0 returned %T, want the embedder itself", got)
	}
	plain := New(g, Config{MaxConcurrent: 1})
	if _, ok := plain.(embeddings.TokenCounter); ok {
		t.Errorf("wrapping an embedder that cannot count tokens gave a TokenCounter")
	}
	tc, ok := New(counting{g}, Config{MaxConcurrent: 1}).(embeddings.TokenCounter)
	if !ok {
		t.Fatalf("wrapping a TokenCounter lost CountTokens")
	}
	if got := tc.CountTokens("abcd"); got != 4 {
		t.Errorf("CountTokens = %d, want 4", got)
	}
	if plain.Model() != "gate" || plain.Dimensions() != 2 {
		t.Errorf("Model, Dimensions = %q, %d, want gate, 2", plain.Model(), plain.Dimensions())
	}
}
