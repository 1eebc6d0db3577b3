package cache

import (
	"container/list"
	"context"
	"fmt"
	"sync"
)

// DefaultMemoryEntries is the size of a Memory made with a size below 1.
const DefaultMemoryEntries = 10000

// Memory is a Store in memory that keeps at most a fixed number of vectors,
// dropping the least recently used one to make room. It is safe for
// concurrent use. A 512-dimension vector takes about 2 KiB.
type Memory struct {
	mu    sync.Mutex
	max   int
	order *list.List // of *memEntry, most recently used first
	byKey map[Key]*list.Element
}

type memEntry struct {
	key Key
	vec []float32
}

// NewMemory returns an empty Memory that holds at most maxEntries vectors
// (DefaultMemoryEntries if maxEntries < 1).
func NewMemory(maxEntries int) *Memory {
	if maxEntries < 1 {
		maxEntries = DefaultMemoryEntries
	}
	return &Memory{max: maxEntries, order: list.New(), byKey: make(map[Key]*list.Element)}
}

// Len returns the number of vectors held.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.order.Len()
}

// Get implements Store. Every hit counts as a use.
func (m *Memory) Get(ctx context.Context, keys []Key) ([][]float32, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([][]float32, len(keys))
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, k := range keys {
		if el, ok := m.byKey[k]; ok {
			m.order.MoveToFront(el)
			out[i] = append([]float32(nil), el.Value.(*memEntry).vec...)
		}
	}
	return out, nil
}

// Put implements Store.
func (m *Memory) Put(ctx context.Context, keys []Key, vecs [][]float32) error {
	if len(keys) != len(vecs) {
		return fmt.Errorf("embeddings: cache: %d keys for %d vectors", len(keys), len(vecs))
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, k := range keys {
		v := append([]float32(nil), vecs[i]...)
		if el, ok := m.byKey[k]; ok {
			el.Value.(*memEntry).vec = v
			m.order.MoveToFront(el)
			continue
		}
		m.byKey[k] = m.order.PushFront(&memEntry{key: k, vec: v})
		for m.order.Len() > m.max {
			last := m.order.Back()
			m.order.Remove(last)
			delete(m.byKey, last.Value.(*memEntry).key)
		}
	}
	return nil
}
