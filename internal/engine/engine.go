// Package engine is recommend's core: it keeps papers in the store of record,
// their vectors in an Index (in memory by default, or Weaviate), and answers
// related-paper, search and recommendation queries. It knows nothing of HTTP.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/recommend-dev/recommend/embeddings"
	"github.com/recommend-dev/recommend/internal/errs"
	"github.com/recommend-dev/recommend/internal/lexical"
	"github.com/recommend-dev/recommend/internal/paper"
	"github.com/recommend-dev/recommend/internal/vecindex"
)

// ErrNotFound is what a Store returns (wrapped or not) for an unknown ID.
// The engine is given it in Config so that it needs no store package.

// Store is the store of record the engine needs: durable papers and vectors
// per model. internal/store implements it on bbolt, internal/weaviate on a
// Weaviate cluster.
type Store interface {
	PutPapers(papers []paper.Paper, model string, vectors [][]float32) error
	PutVectors(model string, ids []string, vectors [][]float32) error
	Get(id string) (paper.Paper, error)
	// GetMany returns the papers of ids in order, leaving out unknown ids.
	GetMany(ids []string) ([]paper.Paper, error)
	Delete(id string) error
	List(offset, limit int) ([]paper.Paper, int, error)
	Count() (int, error)
	Scan(model string, fn func(p paper.Paper, vec []float32) error) error
}

// Config holds the engine's dependencies.
type Config struct {
	Store Store
	// Index answers nearest-neighbour queries; nil means a MemIndex, filled
	// from the store by Load.
	Index Index
	// NotFound is the store's sentinel error for an unknown ID.
	NotFound error
	// Embedder turns texts into vectors; wrap it in a cache so that nothing
	// is embedded twice.
	Embedder embeddings.Embedder
	Logger   *slog.Logger
	// EmbedBatch is how many papers are embedded per call when (re)loading.
	EmbedBatch int
	// Text is the text that represents a paper, embedded and indexed for
	// lexical search; nil means paper.Paper.Text (title and abstract).
	Text func(paper.Paper) string
}

// Engine answers queries over the stored papers. It is safe for concurrent
// use.
type Engine struct {
	store    Store
	notFound error
	emb      embeddings.Embedder
	log      *slog.Logger
	batch    int
	text     func(paper.Paper) string

	index Index
	lex   *lexical.Index

	// writeMu serialises writes so that the store and the index see them in
	// the same order.
	writeMu sync.Mutex

	infoMu sync.RWMutex
	info   map[string]docInfo // what filters need, per stored paper

	// ready is set once the vector index is loaded: queries may run.
	// lexReady follows once the lexical index is too (Load builds it in
	// the background): until then hybrid queries run as semantic ones,
	// lexical queries are turned away. loading is set while Load runs:
	// writes are turned away meanwhile.
	ready, lexReady, loading atomic.Bool

	mapping mapCache // the cached corpus map (mapping.go)
}

// docInfo is the little the engine keeps in memory per paper to filter
// results without reading the store.
type docInfo struct {
	published string // "2006-01-02" or ""
}

// New returns an engine with an empty index; call Load to fill it from the
// store.
func New(cfg Config) (*Engine, error) {
	if cfg.Store == nil || cfg.Embedder == nil {
		return nil, errors.New("engine: a store and an embedder are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.EmbedBatch <= 0 {
		cfg.EmbedBatch = 64
	}
	if cfg.Text == nil {
		cfg.Text = paper.Paper.Text
	}
	if cfg.Index == nil {
		// The code width is fixed when the index is made: choose it for
		// the papers stored now (4-bit codes from 50,000; vecindex.BitsFor).
		n, err := cfg.Store.Count()
		if err != nil {
			return nil, fmt.Errorf("engine: count stored papers: %w", err)
		}
		ix, err := NewMemIndex(cfg.Embedder.Model(), cfg.Embedder.Dimensions(), vecindex.WithBits(vecindex.BitsFor(n)))
		if err != nil {
			return nil, err
		}
		cfg.Index = ix
	}
	return &Engine{
		store:    cfg.Store,
		notFound: cfg.NotFound,
		emb:      cfg.Embedder,
		log:      cfg.Logger,
		batch:    cfg.EmbedBatch,
		text:     cfg.Text,
		index:    cfg.Index,
		lex:      lexical.New(),
		info:     map[string]docInfo{},
	}, nil
}

// Model is the name of the embedding model whose vectors the engine serves.
func (e *Engine) Model() string { return e.emb.Model() }

// Dimensions is the size of the model's vectors.
func (e *Engine) Dimensions() int { return e.emb.Dimensions() }

// Ready reports whether queries can be answered: Load has filled the
// vector index (the lexical one may still be loading, see LexicalReady).
func (e *Engine) Ready() bool { return e.ready.Load() }

// HoldWrites turns writes away (503) until the next Load has finished. A
// server calls it before it starts listening and Load after, so that no
// write slips in between; Load calls it itself.
func (e *Engine) HoldWrites() { e.loading.Store(true) }

// LexicalReady reports whether the lexical index is loaded too, and with
// it every mode and writes.
func (e *Engine) LexicalReady() bool { return e.lexReady.Load() }

// ModeNow is the mode a query asking for m runs in now: hybrid (or the
// default) runs as semantic while the lexical index is still loading.
func (e *Engine) ModeNow(m Mode) Mode {
	if m == "" {
		m = Hybrid
	}
	if m == Hybrid && !e.lexReady.Load() {
		return Semantic
	}
	return m
}

// SearchQueue reports how many searches scan the index now and how many
// wait for their turn; ok is false for an index without a queue (Weaviate).
func (e *Engine) SearchQueue() (scanning, waiting int, ok bool) {
	q, ok := e.index.(interface{ Queue() (int, int) })
	if !ok {
		return 0, 0, false
	}
	scanning, waiting = q.Queue()
	return scanning, waiting, true
}

// Len is the number of papers the engine serves.
func (e *Engine) Len() int {
	e.infoMu.RLock()
	defer e.infoMu.RUnlock()
	return len(e.info)
}

// Load fills the indexes from the store. Papers that have no vector for the
// engine's model (the model changed, or they were stored without one) are
// embedded now, in batches, and their vectors stored.
//
// Queries may run (Ready) as soon as the vector index is filled; the
// lexical index, most of the work at a million papers, is built meanwhile
// on its own goroutine and Load returns when it is done (LexicalReady).
func (e *Engine) Load(ctx context.Context) error {
	e.HoldWrites()
	defer e.loading.Store(false)
	start := time.Now()
	model := e.Model()
	var (
		ids     []string
		vecs    [][]float32
		missing []paper.Paper
		n       int
	)
	flush := func() error {
		if len(ids) == 0 {
			return nil
		}
		err := e.index.Add(ctx, ids, vecs)
		ids, vecs = ids[:0], vecs[:0]
		return err
	}
	// First the vectors, so that queries may run as soon as possible; then
	// the lexical index, from a second read of the store (see loadLexical).
	err := e.store.Scan(model, func(p paper.Paper, vec []float32) error {
		n++
		// The store decodes a paper into substrings of one string: keep
		// copies of what the indexes hold, not the whole record.
		p.ID, p.Published = strings.Clone(p.ID), strings.Clone(p.Published)
		e.setInfo(p)
		if vec == nil {
			missing = append(missing, p)
			return nil
		}
		ids = append(ids, p.ID)
		vecs = append(vecs, vec)
		if len(ids) >= 4096 {
			return flush()
		}
		return ctx.Err()
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return fmt.Errorf("engine: load index from store: %w", err)
	}
	if len(missing) > 0 {
		e.log.Info("embedding papers that have no vector for the model", "model", model, "papers", len(missing), "stored", n)
		for len(missing) > 0 {
			batch := missing[:min(e.batch, len(missing))]
			missing = missing[len(batch):]
			vs, err := e.embedPapers(ctx, batch)
			if err != nil {
				return err
			}
			ids := make([]string, len(batch))
			for i, p := range batch {
				ids[i] = p.ID
			}
			e.writeMu.Lock()
			err = e.store.PutVectors(model, ids, vs)
			if err == nil {
				err = e.index.Add(ctx, ids, vs)
			}
			e.writeMu.Unlock()
			if err != nil {
				return fmt.Errorf("engine: store re-embedded vectors: %w", err)
			}
		}
	}
	e.ready.Store(true)
	e.log.Info("vector index loaded: serving semantic queries", "model", model, "dimensions", e.Dimensions(), "papers", e.Len(), "duration", time.Since(start).Round(time.Millisecond))
	if err := e.loadLexical(ctx, n); err != nil {
		return fmt.Errorf("engine: load the lexical index: %w", err)
	}
	e.lexReady.Store(true)
	e.log.Info("index loaded", "model", model, "papers", e.Len(), "duration", time.Since(start).Round(time.Millisecond))
	return nil
}

// loadLexical fills the lexical index from the store, which holds about n
// papers: it reads them again (without vectors) rather than keeping every
// text of the first read, and indexes them in batches on a goroutine of
// its own (lexical.AddBatch analyses a batch on every core) while the read
// goes on. Writes are held off meanwhile (checkLoaded), so the store does
// not change under it.
func (e *Engine) loadLexical(ctx context.Context, n int) error {
	e.lex.Grow(n)
	lex := newLexLoader(ctx, e.lex)
	err := e.store.Scan("", func(p paper.Paper, _ []float32) error {
		if err := lex.add(strings.Clone(p.ID), e.text(p)); err != nil {
			return err
		}
		return ctx.Err()
	})
	if lerr := lex.close(); err == nil {
		err = lerr
	}
	return err
}

func (e *Engine) setInfo(p paper.Paper) {
	e.infoMu.Lock()
	e.info[p.ID] = docInfo{published: p.Published}
	e.infoMu.Unlock()
}

// vectorsFor returns a vector for each paper: the indexed one of a stored
// paper whose text has not changed (a re-import, or an update of other
// fields, embeds nothing), a new one for the rest.
func (e *Engine) vectorsFor(ctx context.Context, ps []paper.Paper) ([][]float32, error) {
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	stored, err := e.store.GetMany(ids)
	if err != nil {
		return nil, fmt.Errorf("engine: read stored papers: %w", err)
	}
	storedText := make(map[string]string, len(stored))
	for _, p := range stored {
		storedText[p.ID] = e.text(p)
	}
	var same []int // indexes in ps of papers whose text is unchanged
	for i, p := range ps {
		if t, ok := storedText[p.ID]; ok && t == e.text(p) {
			same = append(same, i)
		}
	}
	vecs := make([][]float32, len(ps))
	if len(same) > 0 {
		sameIDs := make([]string, len(same))
		for j, i := range same {
			sameIDs[j] = ids[i]
		}
		vs, err := e.index.Vectors(ctx, sameIDs)
		if err != nil {
			return nil, err
		}
		for j, i := range same {
			vecs[i] = vs[j] // nil when not indexed: embedded below
		}
	}
	var todo []paper.Paper
	var at []int
	for i, v := range vecs {
		if v == nil {
			todo = append(todo, ps[i])
			at = append(at, i)
		}
	}
	if len(todo) == 0 {
		return vecs, nil
	}
	vs, err := e.embedPapers(ctx, todo)
	if err != nil {
		return nil, err
	}
	for j, i := range at {
		vecs[i] = vs[j]
	}
	return vecs, nil
}

// embedPapers embeds the text of each paper.
func (e *Engine) embedPapers(ctx context.Context, ps []paper.Paper) ([][]float32, error) {
	texts := make([]string, len(ps))
	for i, p := range ps {
		texts[i] = e.text(p)
	}
	return e.embed(ctx, texts)
}

// embed calls the embedder and checks what it returns.
func (e *Engine) embed(ctx context.Context, texts []string) ([][]float32, error) {
	vs, err := e.emb.Embed(ctx, texts)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var ae *errs.Error
		if errors.As(err, &ae) {
			return nil, err
		}
		// The endpoint's address is the operator's business, not the
		// caller's: it is in the log, not in the answer.
		msg := err.Error()
		var ue *url.Error
		if errors.As(err, &ue) {
			msg = strings.ReplaceAll(msg, ue.Error(), ue.Err.Error())
		}
		msg = urlPattern.ReplaceAllStringFunc(msg, func(u string) string {
			// Keep the punctuation that follows a URL in a sentence.
			return "the endpoint" + u[len(strings.TrimRight(u, ":.")):]
		})
		if errors.Is(err, embeddings.ErrOverloaded) {
			return nil, errs.Wrap(errs.Unavailable, err, "embedding with %s failed: the endpoint is rate limiting us: %s", e.Model(), msg)
		}
		return nil, errs.Wrap(errs.Upstream, err, "embedding with %s failed: %s", e.Model(), msg)
	}
	if len(vs) != len(texts) {
		return nil, errs.Errorf(errs.Upstream, "embedder %s returned %d vectors for %d texts", e.Model(), len(vs), len(texts))
	}
	for i, v := range vs {
		if len(v) != e.Dimensions() {
			return nil, errs.Errorf(errs.Upstream, "embedder %s returned a %d-dimensional vector for input %d, want %d", e.Model(), len(v), i, e.Dimensions())
		}
	}
	return vs, nil
}

// urlPattern matches the URLs in an embedder's error messages.
var urlPattern = regexp.MustCompile(`https?://[^\s"';,)]+`)

// Get returns the stored paper with the given id.
func (e *Engine) Get(id string) (paper.Paper, error) {
	p, err := e.store.Get(id)
	if err != nil {
		if e.isNotFound(err) {
			return paper.Paper{}, errs.Errorf(errs.NotFound, "no paper with id %q", id)
		}
		return paper.Paper{}, fmt.Errorf("engine: get %q: %w", id, err)
	}
	return p, nil
}

func (e *Engine) isNotFound(err error) bool {
	return e.notFound != nil && errors.Is(err, e.notFound)
}

// List returns a page of stored papers in ID order and the total count.
func (e *Engine) List(offset, limit int) ([]paper.Paper, int, error) {
	ps, total, err := e.store.List(offset, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("engine: list papers: %w", err)
	}
	return ps, total, nil
}

// MaxPutBatch is the most papers one Put call accepts.
const MaxPutBatch = 1000

// Put embeds papers, stores them and their vectors in one transaction, and
// indexes them. An existing ID is updated. Either every paper is stored or
// none is.
func (e *Engine) Put(ctx context.Context, ps []paper.Paper) error {
	if len(ps) == 0 {
		return errs.Field("papers", "no papers given")
	}
	if len(ps) > MaxPutBatch {
		return errs.Errorf(errs.TooLarge, "%d papers in one request; the limit is %d", len(ps), MaxPutBatch)
	}
	seen := make(map[string]int, len(ps))
	for i := range ps {
		p := &ps[i]
		p.ID = strings.TrimSpace(p.ID)
		p.Title = strings.TrimSpace(p.Title)
		p.Abstract = strings.TrimSpace(p.Abstract)
		if err := ValidatePaper(*p); err != nil {
			if len(ps) > 1 {
				err.Message = fmt.Sprintf("papers[%d]: %s", i, err.Message)
				err.Param = fmt.Sprintf("papers[%d].%s", i, err.Param)
			}
			return err
		}
		if j, dup := seen[p.ID]; dup {
			return errs.Field(fmt.Sprintf("papers[%d].id", i), "papers[%d] and papers[%d] have the same id %q", j, i, p.ID)
		}
		seen[p.ID] = i
	}
	if err := e.checkLoaded(); err != nil {
		return err
	}
	vecs, err := e.vectorsFor(ctx, ps)
	if err != nil {
		return err
	}
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	if err := e.store.PutPapers(ps, e.Model(), vecs); err != nil {
		return fmt.Errorf("engine: store %d papers: %w", len(ps), err)
	}
	e.mapping.invalidate()
	ids, texts := make([]string, len(ps)), make([]string, len(ps))
	for i, p := range ps {
		ids[i], texts[i] = p.ID, e.text(p)
		e.setInfo(p)
	}
	if err := e.lex.AddBatch(ids, texts); err != nil {
		return fmt.Errorf("engine: lexical index: %w", err)
	}
	// The store has them: index them even if the caller has gone away.
	if err := e.index.Add(context.WithoutCancel(ctx), ids, vecs); err != nil {
		return fmt.Errorf("engine: index %d papers: %w", len(ps), err)
	}
	return nil
}

// Limits on paper fields.
const (
	MaxIDLen       = 256
	MaxTitleLen    = 1000
	MaxAbstractLen = 20000
)

// ValidatePaper checks a paper's fields and says which one is wrong.
func ValidatePaper(p paper.Paper) *errs.Error {
	switch {
	case p.ID == "":
		return errs.Field("id", "id is required")
	case len(p.ID) > MaxIDLen:
		return errs.Field("id", "id is %d bytes long; the limit is %d", len(p.ID), MaxIDLen)
	case strings.ContainsAny(p.ID, " \t\r\n?#"):
		return errs.Field("id", "id %q contains whitespace, '?' or '#'", p.ID)
	case p.Title == "":
		return errs.Field("title", "title is required")
	case len(p.Title) > MaxTitleLen:
		return errs.Field("title", "title is %d bytes long; the limit is %d", len(p.Title), MaxTitleLen)
	case p.Abstract == "":
		return errs.Field("abstract", "abstract is required")
	case len(p.Abstract) > MaxAbstractLen:
		return errs.Field("abstract", "abstract is %d bytes long; the limit is %d", len(p.Abstract), MaxAbstractLen)
	case p.Published != "" && !validDate(p.Published):
		return errs.Field("published", "published %q is not a date like 2024-01-31", p.Published)
	case p.AuthorCount < 0:
		return errs.Field("author_count", "author_count must not be negative")
	}
	return nil
}

func validDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

// Delete removes a paper and its vectors.
func (e *Engine) Delete(id string) error {
	if err := e.checkLoaded(); err != nil {
		return err
	}
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	if err := e.store.Delete(id); err != nil {
		if e.isNotFound(err) {
			return errs.Errorf(errs.NotFound, "no paper with id %q", id)
		}
		return fmt.Errorf("engine: delete %q: %w", id, err)
	}
	e.mapping.invalidate()
	e.lex.Delete(id)
	e.infoMu.Lock()
	delete(e.info, id)
	e.infoMu.Unlock()
	// The store no longer has it: a failure here leaves a vector that no
	// result can show (results are looked up in the store), so it is
	// logged, not returned.
	if err := e.index.Delete(context.Background(), id); err != nil {
		e.log.Warn("delete from the index failed", "id", id, "err", err)
	}
	return nil
}
