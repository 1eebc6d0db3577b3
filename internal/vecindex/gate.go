package vecindex

import (
	"context"
	"sync"
)

// gate admits at most limit holders at once; the others wait in FIFO
// order. A search scans with every core, so when more searches scan at
// once than the cores can serve, they all slow down together (and thrash
// the caches): admitting them in turn keeps each one fast and the order
// fair, at the same throughput.
type gate struct {
	limit int // <= 0: no limit

	mu     sync.Mutex
	active int
	queue  []*waiter // FIFO; queue[head:] are waiting
	head   int
}

type waiter struct {
	ready chan struct{} // closed when admitted
}

// enter waits for a place, in FIFO order, or until ctx is done (then it
// returns ctx's error and holds no place). Every successful enter must be
// followed by one leave.
func (g *gate) enter(ctx context.Context) error {
	if g.limit <= 0 {
		return nil
	}
	g.mu.Lock()
	if g.active < g.limit && g.head == len(g.queue) {
		g.active++
		g.mu.Unlock()
		return nil
	}
	w := &waiter{ready: make(chan struct{})}
	g.queue = append(g.queue, w)
	g.mu.Unlock()
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
	}
	g.mu.Lock()
	select {
	case <-w.ready:
		// Admitted while giving up: pass the place on.
		g.mu.Unlock()
		g.leave()
		return ctx.Err()
	default:
	}
	for i := g.head; i < len(g.queue); i++ {
		if g.queue[i] == w {
			g.queue = append(g.queue[:i], g.queue[i+1:]...)
			break
		}
	}
	g.mu.Unlock()
	return ctx.Err()
}

// leave gives a place back, to the longest waiting caller if any.
func (g *gate) leave() {
	if g.limit <= 0 {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.active--
	for g.active < g.limit && g.head < len(g.queue) {
		w := g.queue[g.head]
		g.queue[g.head] = nil
		g.head++
		g.active++
		close(w.ready)
	}
	if g.head == len(g.queue) {
		g.queue, g.head = g.queue[:0], 0
	} else if g.head > 64 && g.head*2 > len(g.queue) {
		n := copy(g.queue, g.queue[g.head:])
		clear(g.queue[n:])
		g.queue, g.head = g.queue[:n], 0
	}
}

// load returns how many callers hold a place and how many wait.
func (g *gate) load() (active, waiting int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.active, len(g.queue) - g.head
}
