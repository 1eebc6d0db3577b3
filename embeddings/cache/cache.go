// Package cache keeps computed embeddings so that re-importing papers or
// restarting the service never embeds the same text twice with the same
// model.
//
// New wraps any embeddings.Embedder. Each text is looked up by a Key: the
// model's name, its dimensions and the SHA-256 of the text. Only the texts
// not found (deduplicated within the call) go to the wrapped embedder, in
// one call, and its vectors are stored for next time. Two stores come with
// the package: Memory, a bounded LRU map, and Bolt, a bucket in a bbolt
// database that the service already has open (so the cache lives in the
// service's own data file and survives restarts).
//
// The cache is an optimisation: when the store fails to read, the texts are
// embedded as if they were not stored, and when it fails to write, the
// vectors are still returned; both are logged as warnings.
package cache

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/recommend-dev/recommend/embeddings"
)

// Key names one stored vector: the vector of the text whose SHA-256 is
// Hash, made by model Model at Dimensions dimensions.
type Key struct {
	Model      string
	Dimensions int
	Hash       [sha256.Size]byte
}

// KeyOf returns the key of text for model at dims dimensions.
func KeyOf(model string, dims int, text string) Key {
	return Key{Model: model, Dimensions: dims, Hash: sha256.Sum256([]byte(text))}
}

// Store keeps vectors by key. Implementations must be safe for concurrent
// use and must not keep or hand out slices that their callers can change:
// Put copies what it keeps, Get returns fresh slices.
type Store interface {
	// Get returns one entry per key: the stored vector, or nil when the key
	// is not stored.
	Get(ctx context.Context, keys []Key) ([][]float32, error)
	// Put stores vecs[i] under keys[i]; len(keys) == len(vecs).
	Put(ctx context.Context, keys []Key, vecs [][]float32) error
}

// Stats counts the work of a cached embedder since it was made.
type Stats struct {
	// Hits is the number of texts answered from the store.
	Hits uint64
	// Misses is the number of texts sent to the wrapped embedder.
	Misses uint64
	// Calls is the number of calls of the wrapped embedder's Embed.
	Calls uint64
}

// Embedder is the cached embedder that New returns (New returns a value
// that embeds *Embedder and adds CountTokens when the wrapped embedder is
// an embeddings.TokenCounter; reach Stats through an interface assertion).
type Embedder struct {
	inner embeddings.Embedder
	store Store
	log   *slog.Logger

	hits, misses, calls atomic.Uint64
}

// Option changes how New sets up a cached embedder.
type Option func(*Embedder)

// WithLogger sets the logger for store failures (slog.Default() if unset).
func WithLogger(l *slog.Logger) Option {
	return func(e *Embedder) {
		if l != nil {
			e.log = l
		}
	}
}

// tokenCounting is an Embedder over an inner embeddings.TokenCounter.
type tokenCounting struct {
	*Embedder
	tc embeddings.TokenCounter
}

// CountTokens returns the wrapped embedder's count.
func (t tokenCounting) CountTokens(text string) int { return t.tc.CountTokens(text) }

// New returns an embedder that answers from s what it can and asks e for
// the rest. The result implements embeddings.TokenCounter exactly when e
// does. Its Model and Dimensions are e's.
func New(e embeddings.Embedder, s Store, opts ...Option) embeddings.Embedder {
	c := &Embedder{inner: e, store: s, log: slog.Default()}
	for _, o := range opts {
		o(c)
	}
	c.log = c.log.With("component", "embeddings/cache")
	if tc, ok := e.(embeddings.TokenCounter); ok {
		return tokenCounting{c, tc}
	}
	return c
}

// Model returns the wrapped embedder's model name.
func (c *Embedder) Model() string { return c.inner.Model() }

// Dimensions returns the wrapped embedder's vector size.
func (c *Embedder) Dimensions() int { return c.inner.Dimensions() }

// Unwrap returns the wrapped embedder.
func (c *Embedder) Unwrap() embeddings.Embedder { return c.inner }

// Stats returns the counts so far.
func (c *Embedder) Stats() Stats {
	return Stats{Hits: c.hits.Load(), Misses: c.misses.Load(), Calls: c.calls.Load()}
}

// Embed returns one vector per text, in order, from the store where it can
// and from one call of the wrapped embedder for the rest (each distinct
// text once). Every returned vector is a fresh slice the caller may change.
//
// While the wrapped embedder's Dimensions is 0 (an OpenAI-compatible
// client before its first response), keys cannot be formed and nothing is
// looked up; the vectors are stored under the size learnt from the call.
// Call the client's Probe first to have even the first call cached.
func (c *Embedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if len(texts) == 0 {
		return [][]float32{}, nil
	}
	model, dims := c.inner.Model(), c.inner.Dimensions()

	// Distinct texts, and for each text its distinct index.
	hashes := make([][sha256.Size]byte, 0, len(texts))
	slot := make([]int, len(texts))
	seen := make(map[[sha256.Size]byte]int, len(texts))
	var distinct []string
	for i, t := range texts {
		h := sha256.Sum256([]byte(t))
		j, ok := seen[h]
		if !ok {
			j = len(distinct)
			seen[h] = j
			distinct = append(distinct, t)
			hashes = append(hashes, h)
		}
		slot[i] = j
	}

	vecs := make([][]float32, len(distinct))
	if dims > 0 {
		keys := make([]Key, len(distinct))
		for j, h := range hashes {
			keys[j] = Key{Model: model, Dimensions: dims, Hash: h}
		}
		got, err := c.store.Get(ctx, keys)
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return nil, fmt.Errorf("embeddings: cache: %w", ctx.Err())
			}
			c.log.Warn("embeddings cache read failed; embedding all texts", "model", model, "texts", len(distinct), "err", err)
		case len(got) != len(keys):
			c.log.Warn("embeddings cache returned the wrong number of entries; embedding all texts", "model", model, "got", len(got), "want", len(keys))
		default:
			for j, v := range got {
				if v != nil && len(v) != dims {
					c.log.Warn("embeddings cache holds a vector of the wrong size; embedding again", "model", model, "got", len(v), "want", dims)
					v = nil
				}
				vecs[j] = v
			}
		}
	}

	var missIdx []int
	var missTexts []string
	for j, v := range vecs {
		if v == nil {
			missIdx = append(missIdx, j)
			missTexts = append(missTexts, distinct[j])
		}
	}
	c.hits.Add(uint64(len(distinct) - len(missIdx)))
	if len(missIdx) > 0 {
		c.misses.Add(uint64(len(missIdx)))
		c.calls.Add(1)
		fresh, err := c.inner.Embed(ctx, missTexts)
		if err != nil {
			return nil, err
		}
		if len(fresh) != len(missTexts) {
			return nil, fmt.Errorf("embeddings: cache: %s returned %d vectors for %d texts", model, len(fresh), len(missTexts))
		}
		if dims == 0 {
			dims = c.inner.Dimensions()
			if dims == 0 {
				dims = len(fresh[0])
			}
		}
		keys := make([]Key, len(missIdx))
		for k, j := range missIdx {
			if len(fresh[k]) != dims || dims == 0 {
				return nil, fmt.Errorf("embeddings: cache: %s returned a vector of %d dimensions for text %d, want %d", model, len(fresh[k]), k, dims)
			}
			vecs[j] = fresh[k]
			keys[k] = Key{Model: model, Dimensions: dims, Hash: hashes[j]}
		}
		if err := c.store.Put(ctx, keys, fresh); err != nil {
			c.log.Warn("embeddings cache write failed; the texts will be embedded again next time", "model", model, "texts", len(keys), "err", err)
		}
	}

	out := make([][]float32, len(texts))
	used := make([]bool, len(distinct))
	for i, j := range slot {
		if !used[j] {
			out[i] = vecs[j] // hand out each slice once, copies after that
			used[j] = true
			continue
		}
		out[i] = append([]float32(nil), vecs[j]...)
	}
	return out, nil
}
