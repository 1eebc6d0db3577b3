package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/recommend-dev/recommend/embeddings"
	"github.com/recommend-dev/recommend/embeddings/cache"
	"github.com/recommend-dev/recommend/embeddings/openai"
	"github.com/recommend-dev/recommend/embeddings/uselite"
	"github.com/recommend-dev/recommend/internal/bundled"
	"github.com/recommend-dev/recommend/internal/engine"
	"github.com/recommend-dev/recommend/internal/limit"
	"github.com/recommend-dev/recommend/internal/metrics"
	"github.com/recommend-dev/recommend/internal/store"
)

// appFlags are the flags every command that opens the data directory shares.
type appFlags struct {
	data       string
	embedder   string
	model      string
	baseURL    string
	apiKey     string
	dimensions int
	batchSize  int
	bundled    bool
	logFormat  string
	logLevel   string

	// Retries and time limits of the OpenAI-compatible client.
	openaiRetries    int
	openaiTimeout    time.Duration
	openaiBackoff    time.Duration
	openaiMaxBackoff time.Duration

	// Where papers and vectors live (backend.go).
	backend backendFlags

	// Set by serve, not by flags: metrics of the embedder and the upstream
	// (nil: none), and the bound on concurrent embedding work (zero: none).
	metrics *metrics.Metrics
	limits  limit.Config
}

// envAliases lets the OpenAI flags fall back to the variables every OpenAI
// client reads.
var envAliases = map[string]string{
	"openai-base-url":  "OPENAI_BASE_URL",
	"openai-api-key":   "OPENAI_API_KEY",
	"weaviate-api-key": "WEAVIATE_API_KEY",
}

func (f *appFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.data, "data", "data", "data directory (created if missing)")
	fs.StringVar(&f.embedder, "embedder", "local", "embedder: local (the built-in encoder, no network) or openai (any OpenAI-compatible endpoint)")
	fs.StringVar(&f.model, "model", "", "embedding model for --embedder openai, e.g. text-embedding-3-small or nomic-embed-text")
	fs.StringVar(&f.baseURL, "openai-base-url", openai.DefaultBaseURL, "base URL of the OpenAI-compatible API (also OPENAI_BASE_URL)")
	fs.StringVar(&f.apiKey, "openai-api-key", "", "API key for the OpenAI-compatible API (also OPENAI_API_KEY); may be empty for local servers")
	fs.IntVar(&f.dimensions, "dimensions", 0, "expected vector size for --embedder openai (0: learn it from the server)")
	fs.IntVar(&f.batchSize, "batch-size", openai.DefaultBatchSize, "inputs per request to the OpenAI-compatible API")
	fs.BoolVar(&f.bundled, "bundled", true, "load the bundled corpus of papers into an empty data directory")
	fs.StringVar(&f.logFormat, "log-format", "auto", "log format: auto (text on a terminal, JSON otherwise), text or json")
	fs.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.IntVar(&f.openaiRetries, "openai-max-retries", openai.DefaultMaxRetries, "times a failed request to the OpenAI-compatible API is retried (429, 5xx, timeouts, dropped connections); 0: never")
	fs.DurationVar(&f.openaiTimeout, "openai-timeout", openai.DefaultTimeout, "time limit of each request to the OpenAI-compatible API")
	fs.DurationVar(&f.openaiBackoff, "openai-backoff", openai.DefaultInitialBackoff, "wait bound before the first retry; it doubles with each retry (full jitter)")
	fs.DurationVar(&f.openaiMaxBackoff, "openai-max-backoff", openai.DefaultMaxBackoff, "largest wait bound between retries")
	f.backend.register(fs)
}

// logger builds the logger the flags ask for, writing to w.
func (f *appFlags) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		return nil, usageError{fmt.Sprintf("--log-level %q: want debug, info, warn or error", f.logLevel)}
	}
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: readableDurations}
	switch f.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "auto":
		if isTerminal(w) {
			return slog.New(slog.NewTextHandler(w, opts)), nil
		}
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usageError{fmt.Sprintf("--log-format %q: want auto, text or json", f.logFormat)}
}

// readableDurations writes durations as "1.5s" rather than nanoseconds.
func readableDurations(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		return slog.String(a.Key, a.Value.Duration().String())
	}
	return a
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// app is what a command works with: the store, the embedder and the engine.
type app struct {
	store  backendStore
	bolt   *store.Store // the embedded store; nil with --store weaviate
	engine *engine.Engine
	emb    embeddings.Embedder
	log    *slog.Logger
}

func (a *app) Close() error { return a.store.Close() }

// open opens the store the flags name, builds the embedder and the engine,
// and loads the bundled corpus into an empty store when asked. It does not
// fill the index: call a.engine.Load.
func (f *appFlags) open(ctx context.Context, log *slog.Logger) (*app, error) {
	base, err := f.newEmbedder(ctx, log)
	if err != nil {
		return nil, err
	}
	b, err := f.openBackend(ctx, log)
	if err != nil {
		return nil, err
	}
	// The cache answers what it can; the rest goes through the bound on
	// concurrent work and the metrics to the embedder itself.
	emb := cache.New(limit.New(f.metrics.Embedder(base), f.limits), b.cache, cache.WithLogger(log))
	eng, err := engine.New(engine.Config{Store: b.store, Index: b.index, NotFound: b.notFound, Embedder: emb, Logger: log})
	if err != nil {
		b.store.Close()
		return nil, err
	}
	a := &app{store: b.store, bolt: b.bolt, engine: eng, emb: emb, log: log}
	if f.bundled {
		if err := loadBundled(b, base.Model(), log); err != nil {
			b.store.Close()
			return nil, err
		}
	}
	return a, nil
}

// newEmbedder builds the embedder the flags ask for.
func (f *appFlags) newEmbedder(ctx context.Context, log *slog.Logger) (embeddings.Embedder, error) {
	switch f.embedder {
	case "local":
		start := time.Now()
		enc, err := uselite.New()
		if err != nil {
			return nil, fmt.Errorf("load the built-in encoder: %w", err)
		}
		log.Debug("built-in encoder loaded", "model", enc.Model(), "duration", time.Since(start).Round(time.Millisecond))
		return enc, nil
	case "openai":
		if strings.TrimSpace(f.model) == "" {
			return nil, usageError{"--embedder openai needs --model (or RECOMMEND_MODEL), e.g. text-embedding-3-small"}
		}
		retries := f.openaiRetries
		if retries == 0 {
			retries = -1 // the client's "never"; its 0 means the default
		}
		model, m := f.model, f.metrics
		c, err := openai.New(openai.Config{
			BaseURL:        f.baseURL,
			APIKey:         f.apiKey,
			Model:          f.model,
			Dimensions:     f.dimensions,
			BatchSize:      f.batchSize,
			MaxRetries:     retries,
			Timeout:        f.openaiTimeout,
			InitialBackoff: f.openaiBackoff,
			MaxBackoff:     f.openaiMaxBackoff,
			Logger:         log,
			OnRetry:        func(_ int, err error) { m.UpstreamRetry(model, upstreamStatus(err)) },
			OnError:        func(_ int, err error) { m.UpstreamError(model, upstreamStatus(err)) },
		})
		if err != nil {
			return nil, err
		}
		dims, err := c.Probe(ctx)
		if err != nil {
			return nil, fmt.Errorf("embeddings endpoint %s: %w", f.baseURL, err)
		}
		log.Info("embeddings endpoint ready", "url", f.baseURL, "model", f.model, "dimensions", dims)
		return c, nil
	}
	return nil, usageError{fmt.Sprintf("--embedder %q: want local or openai", f.embedder)}
}

// upstreamStatus is the HTTP status behind an error of the OpenAI-compatible
// client, or 0 when there was no response.
func upstreamStatus(err error) int {
	var be *openai.BatchError
	if errors.As(err, &be) {
		return be.StatusCode
	}
	var ae *openai.AuthError
	if errors.As(err, &ae) {
		return ae.StatusCode
	}
	return 0
}

// bundledKey is the store's meta key that records which version of the
// bundled corpus was loaded, so that it is loaded once (and papers a user
// deleted stay deleted).
const bundledKey = "bundled-corpus"

// loadBundled stores the bundled papers, with their shipped vectors when the
// model is the one they were made with, unless this version of the corpus
// was loaded before. A store without a place for that record (Weaviate)
// gets the corpus when it is empty.
func loadBundled(b *backend, model string, log *slog.Logger) error {
	version := bundled.Version()
	if b.bolt != nil {
		loaded, err := b.bolt.Meta(bundledKey)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if loaded == version {
			return nil
		}
	} else {
		n, err := b.store.Count()
		if err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
	}
	papers, err := bundled.Papers()
	if err != nil {
		return err
	}
	vecs, err := bundled.Vectors(model)
	if errors.Is(err, bundled.ErrNoVectors) {
		vecs = nil // the engine embeds them when it loads
		log.Info("the bundled corpus has no vectors for this model: embedding it once", "model", model, "papers", len(papers))
	} else if err != nil {
		return err
	}
	if err := b.store.PutPapers(papers, model, vecs); err != nil {
		return fmt.Errorf("store the bundled corpus: %w", err)
	}
	if b.bolt != nil {
		if err := b.bolt.SetMeta(bundledKey, version); err != nil {
			return err
		}
	}
	log.Info("bundled corpus loaded", "papers", len(papers), "version", version)
	return nil
}
