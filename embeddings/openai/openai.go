// Package openai is an embeddings.Embedder over any OpenAI-compatible
// embeddings endpoint: OpenAI itself, Ollama, vLLM, Hugging Face TEI,
// LocalAI and others that serve POST {BaseURL}/embeddings.
//
// A Client splits its inputs into batches (Config.BatchSize inputs per
// request), sends up to Config.MaxConcurrency requests at once and returns
// the vectors in input order, each normalised to unit length. It retries a
// request that failed for a reason that may pass (HTTP 408, 425, 429 and 5xx,
// a per-attempt timeout, a broken or refused connection) with exponential
// backoff and full jitter, and honours the server's Retry-After (or
// retry-after-ms) header. It does not retry a request the server refused for
// good (400, 401, 403, 404 and other 4xx), nor a response that is not what
// the API promises (invalid JSON, a wrong number of vectors, wrong indexes,
// vectors of the wrong size); such errors are returned at once and say which
// batch of inputs failed and why.
//
// Pointing it at a server:
//
//	OpenAI:  Config{APIKey: key, Model: "text-embedding-3-small"}
//	Ollama:  Config{BaseURL: "http://localhost:11434/v1", Model: "nomic-embed-text"}
//	vLLM:    Config{BaseURL: "http://localhost:8000/v1", Model: "BAAI/bge-small-en-v1.5"}
//	TEI:     Config{BaseURL: "http://localhost:8080/v1", Model: "tei"}
//
// The model name (Client.Model) is the name as given in Config.Model; it is
// what the service and the embeddings cache key stored vectors by, together
// with the dimensions. Two endpoints that serve different weights under the
// same name and size (rare: a local fine-tune named like a public model)
// must be told apart by giving them different names, for example an Ollama
// tag such as "nomic-embed-text:v1.5".
package openai

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	goopenai "github.com/sashabaranov/go-openai"

	"github.com/recommend-dev/recommend/embeddings"
)

// Defaults for the zero fields of Config.
const (
	DefaultBaseURL        = "https://api.openai.com/v1"
	DefaultBatchSize      = 64
	DefaultMaxConcurrency = 4
	DefaultMaxRetries     = 5
	DefaultTimeout        = 60 * time.Second
	DefaultInitialBackoff = 500 * time.Millisecond
	DefaultMaxBackoff     = 30 * time.Second
	DefaultMaxRetryAfter  = 2 * time.Minute
)

// ProbeText is the text that Probe embeds.
const ProbeText = "dimension probe"

// Config configures a Client. Only Model is required; a zero field takes
// the default named beside it.
type Config struct {
	// BaseURL is the API's base, the part before "/embeddings", such as
	// "https://api.openai.com/v1" (DefaultBaseURL) or
	// "http://localhost:11434/v1" for Ollama. The command line fills it
	// from OPENAI_BASE_URL.
	BaseURL string
	// APIKey is sent as "Authorization: Bearer APIKey". It may be empty for
	// local servers, and then no Authorization header is sent. The command
	// line fills it from OPENAI_API_KEY.
	APIKey string
	// Model is the model name sent with every request. Required.
	Model string
	// Dimensions is the expected vector size. Zero means: learn it from the
	// first response and enforce it from then on. Every vector of another
	// size is an error.
	Dimensions int
	// SendDimensions sends Dimensions as the request's "dimensions"
	// parameter, which asks models that can shorten their vectors (OpenAI's
	// text-embedding-3 family) for that size. Other servers may reject it,
	// so it is off unless asked for; it needs Dimensions > 0.
	SendDimensions bool
	// BatchSize is the number of inputs per request (DefaultBatchSize).
	// OpenAI accepts at most 2048.
	BatchSize int
	// MaxConcurrency bounds the requests in flight at once within one call
	// of Embed (DefaultMaxConcurrency).
	MaxConcurrency int
	// MaxRetries is how many times a failed request is tried again
	// (DefaultMaxRetries when zero; a negative value means never).
	MaxRetries int
	// Timeout bounds each attempt of a request, from sending it to reading
	// the whole response (DefaultTimeout). An attempt that times out is
	// retried.
	Timeout time.Duration
	// InitialBackoff is the wait bound before the first retry
	// (DefaultInitialBackoff); it doubles with every retry up to MaxBackoff
	// (DefaultMaxBackoff), and the actual wait is drawn uniformly between
	// zero and that bound ("full jitter").
	InitialBackoff time.Duration
	MaxBackoff     time.Duration
	// MaxRetryAfter is the longest wait the client accepts from a server's
	// Retry-After header (DefaultMaxRetryAfter). A server that asks for a
	// longer wait fails the batch with an error saying so.
	MaxRetryAfter time.Duration
	// HTTPClient sends the requests; nil means a new http.Client with a
	// copy of the default transport that keeps MaxConcurrency idle
	// connections. Its own Timeout, if set, also applies.
	HTTPClient *http.Client
	// Logger receives a warning for every retry and debug records for
	// every batch; nil means slog.Default().
	Logger *slog.Logger
	// OnRetry, if set, is called before every retry of a batch, with the
	// batch's number (counted from 1) and why its last attempt failed: a
	// *BatchError whose Attempts and StatusCode describe that attempt. It
	// is called from the goroutines sending requests, so it must be safe
	// for concurrent use and quick (a metrics counter, say).
	OnRetry func(batch int, err error)
	// OnError, if set, is called once for every batch that failed for good
	// (retries exhausted, or a failure that is not retried), with the error
	// Embed returns for it: a *BatchError or an *AuthError. A batch stopped
	// because the caller's context ended is not reported. The same rules as
	// for OnRetry apply.
	OnError func(batch int, err error)
}

// Client is an embeddings.Embedder over an OpenAI-compatible endpoint. It is
// safe for concurrent use.
type Client struct {
	cfg  Config
	api  *goopenai.Client
	log  *slog.Logger
	dims atomic.Int64

	// sleep waits for d or until ctx is done; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error
	// now is the clock used for HTTP-date Retry-After values.
	now func() time.Time
	// jitter returns a uniformly random duration in [0, d].
	jitter func(d time.Duration) time.Duration
}

var _ embeddings.Embedder = (*Client)(nil)

// New checks cfg, fills in its defaults and returns a Client. It makes no
// request; call Probe to check the endpoint and learn the dimensions.
func New(cfg Config) (*Client, error) {
	cfg.Model = strings.TrimSpace(cfg.Model)
	if cfg.Model == "" {
		return nil, errors.New("embeddings: openai: no model given (set the model flag or its environment variable)")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	cfg.BaseURL = strings.TrimRight(strings.TrimSpace(cfg.BaseURL), "/")
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("embeddings: openai: base URL %q is not an http(s) URL such as %s or http://localhost:11434/v1 (check OPENAI_BASE_URL)", cfg.BaseURL, DefaultBaseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("embeddings: openai: base URL %q must not have a query or fragment (check OPENAI_BASE_URL)", cfg.BaseURL)
	}
	if cfg.Dimensions < 0 {
		return nil, fmt.Errorf("embeddings: openai: dimensions %d is negative", cfg.Dimensions)
	}
	if cfg.SendDimensions && cfg.Dimensions == 0 {
		return nil, errors.New("embeddings: openai: sending the dimensions parameter needs a dimension count")
	}
	for _, f := range []struct {
		name string
		v    *int
		def  int
	}{{"batch size", &cfg.BatchSize, DefaultBatchSize}, {"max concurrency", &cfg.MaxConcurrency, DefaultMaxConcurrency}} {
		if *f.v < 0 {
			return nil, fmt.Errorf("embeddings: openai: %s %d is negative", f.name, *f.v)
		}
		if *f.v == 0 {
			*f.v = f.def
		}
	}
	switch {
	case cfg.MaxRetries == 0:
		cfg.MaxRetries = DefaultMaxRetries
	case cfg.MaxRetries < 0:
		cfg.MaxRetries = 0
	}
	for _, f := range []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"timeout", &cfg.Timeout, DefaultTimeout},
		{"initial backoff", &cfg.InitialBackoff, DefaultInitialBackoff},
		{"max backoff", &cfg.MaxBackoff, DefaultMaxBackoff},
		{"max Retry-After", &cfg.MaxRetryAfter, DefaultMaxRetryAfter},
	} {
		if *f.v < 0 {
			return nil, fmt.Errorf("embeddings: openai: %s %v is negative", f.name, *f.v)
		}
		if *f.v == 0 {
			*f.v = f.def
		}
	}
	if cfg.MaxBackoff < cfg.InitialBackoff {
		cfg.MaxBackoff = cfg.InitialBackoff
	}
	if cfg.HTTPClient == nil {
		// Keep a connection per concurrent request (the default keeps 2).
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = max(cfg.MaxConcurrency, t.MaxIdleConnsPerHost)
		cfg.HTTPClient = &http.Client{Transport: t}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}

	apiCfg := goopenai.DefaultConfig(cfg.APIKey)
	apiCfg.BaseURL = cfg.BaseURL
	apiCfg.HTTPClient = recordingDoer{cfg.HTTPClient}
	c := &Client{
		cfg:    cfg,
		api:    goopenai.NewClientWithConfig(apiCfg),
		log:    cfg.Logger.With("component", "embeddings/openai", "model", cfg.Model, "base_url", cfg.BaseURL),
		sleep:  sleepCtx,
		now:    time.Now,
		jitter: fullJitter,
	}
	c.dims.Store(int64(cfg.Dimensions))
	return c, nil
}

// Model returns the model name as given in Config.Model.
func (c *Client) Model() string { return c.cfg.Model }

// Dimensions returns the vector size: Config.Dimensions if it was set,
// otherwise the size learnt from the first response, or 0 before any
// response came (call Probe first when the size must be known).
func (c *Client) Dimensions() int { return int(c.dims.Load()) }

// BaseURL returns the endpoint's base URL, without a trailing slash.
func (c *Client) BaseURL() string { return c.cfg.BaseURL }

// Probe embeds ProbeText, which checks that the endpoint answers, accepts
// the key and knows the model, and returns the vector size (learning it if
// Config.Dimensions was 0).
func (c *Client) Probe(ctx context.Context) (int, error) {
	if _, err := c.Embed(ctx, []string{ProbeText}); err != nil {
		return 0, err
	}
	return c.Dimensions(), nil
}

// Embed returns one unit-length vector per text, in input order. The texts
// are sent in batches of Config.BatchSize, up to Config.MaxConcurrency
// batches at once. The first batch that fails for good cancels the others
// and its error (a *BatchError, or an *AuthError when the key is refused)
// is returned. When ctx ends, Embed stops all requests and waits and returns
// an error wrapping ctx.Err().
func (c *Client) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if len(texts) == 0 {
		return [][]float32{}, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("embeddings: openai: embedding %d texts: %w", len(texts), err)
	}
	n, size := len(texts), c.cfg.BatchSize
	batches := (n + size - 1) / size
	out := make([][]float32, n)

	work, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	jobs := make(chan int)
	for range min(batches, c.cfg.MaxConcurrency) {
		wg.Go(func() {
			for b := range jobs {
				if work.Err() != nil {
					continue // a batch failed or ctx ended: send nothing more
				}
				first := b * size
				last := min(first+size, n) - 1
				info := batchInfo{Batch: b + 1, Batches: batches, First: first, Last: last}
				vecs, err := c.embedBatch(work, info, texts[first:last+1])
				if err != nil {
					mu.Lock()
					// Errors caused by the cancellation are not the cause.
					if firstErr == nil && work.Err() == nil {
						firstErr = err
					}
					mu.Unlock()
					cancel()
					continue
				}
				copy(out[first:], vecs)
			}
		})
	}
feed:
	for b := range batches {
		select {
		case jobs <- b:
		case <-work.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()

	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("embeddings: openai: embedding %d texts: %w", n, err)
	}
	return out, nil
}

// batchInfo says which inputs a batch holds; numbers are as in BatchError.
type batchInfo struct {
	Batch, Batches int
	First, Last    int
}

// embedBatch sends one batch, retrying as the package doc says.
func (c *Client) embedBatch(ctx context.Context, b batchInfo, texts []string) ([][]float32, error) {
	for attempt := 1; ; attempt++ {
		vecs, f := c.attempt(ctx, b, texts)
		if f == nil {
			return vecs, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("embeddings: openai: batch %d of %d (%s): %w", b.Batch, b.Batches, inputRange(b.First, b.Last), err)
		}
		if f.auth != nil {
			c.reportError(b.Batch, f.auth)
			return nil, f.auth
		}
		fail := func(err error) error {
			be := &BatchError{Batch: b.Batch, Batches: b.Batches, First: b.First, Last: b.Last,
				Attempts: attempt, StatusCode: f.status, Err: err}
			c.reportError(b.Batch, be)
			return be
		}
		if !f.retry || attempt > c.cfg.MaxRetries {
			return nil, fail(f.err)
		}
		wait := c.jitter(backoffBound(c.cfg.InitialBackoff, c.cfg.MaxBackoff, attempt-1))
		if f.hasRetryAfter {
			if f.retryAfter > c.cfg.MaxRetryAfter {
				return nil, fail(fmt.Errorf("%w; the server asks to retry after %v, longer than the %v this client waits", f.err, f.retryAfter, c.cfg.MaxRetryAfter))
			}
			wait = f.retryAfter
		}
		if c.cfg.OnRetry != nil {
			c.cfg.OnRetry(b.Batch, &BatchError{Batch: b.Batch, Batches: b.Batches, First: b.First, Last: b.Last,
				Attempts: attempt, StatusCode: f.status, Err: f.err})
		}
		c.log.Warn("embeddings request failed; retrying",
			"batch", b.Batch, "batches", b.Batches, "first_input", b.First, "last_input", b.Last,
			"attempt", attempt, "status", f.status, "wait", wait, "err", f.err)
		if err := c.sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("embeddings: openai: batch %d of %d (%s): %w", b.Batch, b.Batches, inputRange(b.First, b.Last), err)
		}
	}
}

// reportError hands a batch's final error to Config.OnError, if set.
func (c *Client) reportError(batch int, err error) {
	if c.cfg.OnError != nil {
		c.cfg.OnError(batch, err)
	}
}

// attempt sends one request for texts and checks the response.
func (c *Client) attempt(ctx context.Context, b batchInfo, texts []string) ([][]float32, *failure) {
	actx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	rec := &response{}
	actx = context.WithValue(actx, responseKey{}, rec)

	req := goopenai.EmbeddingRequest{Input: texts, Model: goopenai.EmbeddingModel(c.cfg.Model)}
	if c.cfg.SendDimensions {
		req.Dimensions = c.cfg.Dimensions
	}
	start := time.Now()
	res, err := c.api.CreateEmbeddings(actx, req)
	if err != nil {
		timedOut := errors.Is(actx.Err(), context.DeadlineExceeded) && ctx.Err() == nil
		return nil, c.classify(err, rec, timedOut)
	}
	vecs, err := c.check(res, len(texts), b)
	if err != nil {
		return nil, &failure{err: err, status: rec.status}
	}
	c.log.Debug("embedded batch", "batch", b.Batch, "batches", b.Batches, "inputs", len(texts),
		"prompt_tokens", res.Usage.PromptTokens, "elapsed", time.Since(start))
	return vecs, nil
}

// check turns a response into one normalised vector per input, in order.
func (c *Client) check(res goopenai.EmbeddingResponse, n int, b batchInfo) ([][]float32, error) {
	if len(res.Data) != n {
		return nil, fmt.Errorf("%w: the server returned %d vectors for %d inputs", ErrBadResponse, len(res.Data), n)
	}
	out := make([][]float32, n)
	for i, d := range res.Data {
		if d.Index < 0 || d.Index >= n {
			return nil, fmt.Errorf("%w: vector %d has index %d, outside 0-%d", ErrBadResponse, i, d.Index, n-1)
		}
		if out[d.Index] != nil {
			return nil, fmt.Errorf("%w: index %d appears twice", ErrBadResponse, d.Index)
		}
		want := int(c.dims.Load())
		if want == 0 && len(d.Embedding) > 0 {
			c.dims.CompareAndSwap(0, int64(len(d.Embedding)))
			want = int(c.dims.Load())
		}
		if len(d.Embedding) != want {
			return nil, fmt.Errorf("%w: input %d has %d dimensions, want %d for model %q", ErrDimensions,
				b.First+d.Index, len(d.Embedding), want, c.cfg.Model)
		}
		if err := embeddings.Normalize(d.Embedding); err != nil {
			return nil, fmt.Errorf("%w: input %d: %v", ErrBadResponse, b.First+d.Index, err)
		}
		out[d.Index] = d.Embedding
	}
	return out, nil
}
