package engine

import (
	"context"
	"sync/atomic"

	"github.com/recommend-dev/recommend/internal/lexical"
)

// lexLoadBatch is how many papers Load hands the lexical index at a time.
const lexLoadBatch = 4096

// lexLoadSerial makes Load index the lexical side one paper at a time on
// the scanning goroutine, as it did before the pipeline; BenchmarkLoad
// sets it to measure both in the same run.
var lexLoadSerial = false

// lexLoader fills a lexical index during Load: the scanning goroutine
// collects papers into batches, and one goroutine of the loader's adds
// them with AddBatch (which analyses on every core), so that the store scan
// and the vector index go on while a batch is indexed.
type lexLoader struct {
	ctx context.Context
	ix  *lexical.Index

	ids, texts []string // the batch being collected

	batches chan lexBatch
	done    chan struct{}
	err     error       // the first AddBatch error; read after failed or done
	failed  atomic.Bool // err is set
}

type lexBatch struct{ ids, texts []string }

// newLexLoader starts the loader's goroutine; close must be called.
func newLexLoader(ctx context.Context, ix *lexical.Index) *lexLoader {
	l := &lexLoader{
		ctx:     ctx,
		ix:      ix,
		batches: make(chan lexBatch, 2),
		done:    make(chan struct{}),
	}
	go l.run()
	return l
}

// lexLoadGate, when not nil, holds the loader's goroutine until it is
// closed: tests use it to see the engine between Ready and LexicalReady.
var lexLoadGate chan struct{}

func (l *lexLoader) run() {
	defer close(l.done)
	if lexLoadGate != nil {
		<-lexLoadGate
	}
	for b := range l.batches {
		if l.failed.Load() || l.ctx.Err() != nil {
			continue // drain: the scan is stopping
		}
		if err := l.ix.AddBatch(b.ids, b.texts); err != nil {
			l.err = err
			l.failed.Store(true)
		}
	}
}

// add queues one paper; it returns the loader's error once a batch failed.
func (l *lexLoader) add(id, text string) error {
	if lexLoadSerial {
		return l.ix.Add(id, text)
	}
	l.ids = append(l.ids, id)
	l.texts = append(l.texts, text)
	if len(l.ids) >= lexLoadBatch {
		return l.flush()
	}
	return nil
}

func (l *lexLoader) flush() error {
	if l.failed.Load() {
		return l.err
	}
	if len(l.ids) > 0 {
		l.batches <- lexBatch{l.ids, l.texts}
		l.ids = make([]string, 0, lexLoadBatch)
		l.texts = make([]string, 0, lexLoadBatch)
	}
	return nil
}

// close queues what is left, waits for every batch to be indexed and
// returns the first error.
func (l *lexLoader) close() error {
	err := l.flush()
	close(l.batches)
	<-l.done
	if err == nil {
		err = l.err
	}
	return err
}
