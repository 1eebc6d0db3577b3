// Package limit bounds the embedding work a server does at once, so that a
// flood of requests queues briefly and is then turned away with a clear
// "busy" error instead of piling up goroutines, request bodies and
// upstream connections until memory runs out.
//
// New wraps an embeddings.Embedder: at most Config.MaxConcurrent calls of
// Embed run at once; up to Config.MaxQueue more wait, each for at most
// Config.QueueTimeout; the rest fail at once. A turned-away call returns an
// *errs.Error with code errs.Unavailable (HTTP 503), which the HTTP layer
// answers with a Retry-After header.
package limit

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/recommend-dev/recommend/embeddings"
	"github.com/recommend-dev/recommend/internal/errs"
)

// Defaults for the zero fields of Config.
const (
	DefaultMaxQueue     = 64
	DefaultQueueTimeout = 5 * time.Second
)

// Config says how much embedding work may run and wait at once.
type Config struct {
	// MaxConcurrent is the most Embed calls running at once. Zero or less
	// means no limit: New returns the embedder unchanged.
	MaxConcurrent int
	// MaxQueue is the most calls waiting for a slot (DefaultMaxQueue when
	// zero; negative means none wait: a call that finds no free slot fails
	// at once).
	MaxQueue int
	// QueueTimeout is how long a call waits for a slot before it fails
	// (DefaultQueueTimeout when zero).
	QueueTimeout time.Duration
	// OnReject, if set, is called for every call turned away, with the
	// reason: "queue_full" or "timeout".
	OnReject func(reason string)
}

// Embedder is an embeddings.Embedder that bounds concurrent calls of the
// embedder it wraps. New returns it (or a variant that also counts tokens).
type Embedder struct {
	inner   embeddings.Embedder
	sem     *semaphore.Weighted
	cfg     Config
	running atomic.Int64
	waiting atomic.Int64
}

// tokenCounting is an Embedder over an embeddings.TokenCounter.
type tokenCounting struct {
	*Embedder
	tc embeddings.TokenCounter
}

// CountTokens returns the wrapped embedder's count.
func (t tokenCounting) CountTokens(text string) int { return t.tc.CountTokens(text) }

// New returns e with its Embed calls bounded as cfg says, or e itself when
// cfg.MaxConcurrent <= 0. The result implements embeddings.TokenCounter
// exactly when e does; its InFlight and Waiting are reached through a type
// assertion to interface{ InFlight() int; Waiting() int }.
func New(e embeddings.Embedder, cfg Config) embeddings.Embedder {
	if cfg.MaxConcurrent <= 0 {
		return e
	}
	switch {
	case cfg.MaxQueue == 0:
		cfg.MaxQueue = DefaultMaxQueue
	case cfg.MaxQueue < 0:
		cfg.MaxQueue = 0
	}
	if cfg.QueueTimeout <= 0 {
		cfg.QueueTimeout = DefaultQueueTimeout
	}
	l := &Embedder{inner: e, sem: semaphore.NewWeighted(int64(cfg.MaxConcurrent)), cfg: cfg}
	if tc, ok := e.(embeddings.TokenCounter); ok {
		return tokenCounting{l, tc}
	}
	return l
}

// Model returns the wrapped embedder's model name.
func (l *Embedder) Model() string { return l.inner.Model() }

// Dimensions returns the wrapped embedder's vector size.
func (l *Embedder) Dimensions() int { return l.inner.Dimensions() }

// Unwrap returns the wrapped embedder.
func (l *Embedder) Unwrap() embeddings.Embedder { return l.inner }

// InFlight is the number of calls running now.
func (l *Embedder) InFlight() int { return int(l.running.Load()) }

// Waiting is the number of calls waiting for a slot now.
func (l *Embedder) Waiting() int { return int(l.waiting.Load()) }

type patientKey struct{}

// Patient returns a context whose Embed calls wait for a slot as long as
// the context lives, never turned away by MaxQueue or QueueTimeout: for
// work that must finish, such as embedding the stored papers at start-up.
func Patient(ctx context.Context) context.Context {
	return context.WithValue(ctx, patientKey{}, true)
}

func isPatient(ctx context.Context) bool {
	p, _ := ctx.Value(patientKey{}).(bool)
	return p
}

// Embed waits for a slot, as Config says, then calls the wrapped embedder.
func (l *Embedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if err := l.acquire(ctx); err != nil {
		return nil, err
	}
	l.running.Add(1)
	defer func() {
		l.running.Add(-1)
		l.sem.Release(1)
	}()
	return l.inner.Embed(ctx, texts)
}

func (l *Embedder) acquire(ctx context.Context) error {
	if l.sem.TryAcquire(1) {
		return nil
	}
	if isPatient(ctx) {
		if err := l.sem.Acquire(ctx, 1); err != nil {
			return fmt.Errorf("limit: waiting for an embedding slot: %w", err)
		}
		return nil
	}
	if n := l.waiting.Add(1); n > int64(l.cfg.MaxQueue) {
		l.waiting.Add(-1)
		l.reject("queue_full")
		return errs.Errorf(errs.Unavailable, "the server is busy: %d embedding requests are running and %d waiting; try again in a moment", l.cfg.MaxConcurrent, l.cfg.MaxQueue)
	}
	defer l.waiting.Add(-1)
	wait, cancel := context.WithTimeout(ctx, l.cfg.QueueTimeout)
	defer cancel()
	if err := l.sem.Acquire(wait, 1); err != nil {
		if ctx.Err() != nil {
			// The caller gave up (or went away): say so, as the wrapped
			// embedder would.
			return fmt.Errorf("limit: waiting for an embedding slot: %w", ctx.Err())
		}
		l.reject("timeout")
		return errs.Errorf(errs.Unavailable, "the server is busy: no embedding slot came free within %v; try again in a moment", l.cfg.QueueTimeout)
	}
	return nil
}

func (l *Embedder) reject(reason string) {
	if l.cfg.OnReject != nil {
		l.cfg.OnReject(reason)
	}
}
