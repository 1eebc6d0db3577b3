// Package metrics holds recommend's Prometheus metrics, in a registry of
// their own (not the global one): HTTP requests by route, method and status;
// embedding calls, batch sizes and latency per model; upstream retries and
// errors; the embedding queue; the index size per model; papers stored.
// Handler serves them in the Prometheus text format for GET /metrics.
//
// Every method is safe for concurrent use and does nothing on a nil
// *Metrics, so that code paths without metrics need no checks.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/recommend-dev/recommend/embeddings"
)

// Namespace prefixes every metric of recommend's own.
const Namespace = "recommend"

// Metrics is the set of recommend's metrics and the registry that holds
// them.
type Metrics struct {
	reg *prometheus.Registry

	requests        *prometheus.CounterVec
	requestDuration *prometheus.HistogramVec
	inFlight        prometheus.Gauge

	embedCalls    *prometheus.CounterVec
	embedInputs   *prometheus.HistogramVec
	embedDuration *prometheus.HistogramVec
	embedRejected *prometheus.CounterVec

	upstreamRetries *prometheus.CounterVec
	upstreamErrors  *prometheus.CounterVec

	papersStored *prometheus.CounterVec
}

// latencyBuckets spans a cached lookup (1 ms) to a slow upstream batch.
var latencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// New returns the metrics, registered in a new registry together with the
// Go runtime's (go_*, with the runtime's GC metrics) and the process's
// (process_*) collectors.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Subsystem: "http", Name: "requests_total",
			Help: "HTTP requests answered, by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		requestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Subsystem: "http", Name: "request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route pattern, method and status code.",
			Buckets: latencyBuckets,
		}, []string{"route", "method", "code"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: Namespace, Subsystem: "http", Name: "requests_in_flight",
			Help: "HTTP requests being answered now.",
		}),
		embedCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Subsystem: "embed", Name: "calls_total",
			Help: "Calls of the embedding model (cache misses only), by model and outcome (ok or error).",
		}, []string{"model", "outcome"}),
		embedInputs: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Subsystem: "embed", Name: "batch_size",
			Help:    "Texts per call of the embedding model, by model.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 12), // 1 .. 2048
		}, []string{"model"}),
		embedDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Subsystem: "embed", Name: "duration_seconds",
			Help:    "Time per call of the embedding model, retries included, by model.",
			Buckets: latencyBuckets,
		}, []string{"model"}),
		embedRejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Subsystem: "embed", Name: "rejected_total",
			Help: "Embedding calls turned away because the server was busy, by reason (queue_full or timeout).",
		}, []string{"reason"}),
		upstreamRetries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Subsystem: "upstream", Name: "retries_total",
			Help: "Requests to the embeddings upstream that failed and were retried, by model and reason.",
		}, []string{"model", "reason"}),
		upstreamErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Subsystem: "upstream", Name: "errors_total",
			Help: "Batches the embeddings upstream failed for good (after retries), by model and reason.",
		}, []string{"model", "reason"}),
		papersStored: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "papers_stored_total",
			Help: "Papers embedded and stored (new or updated), by source (api or import).",
		}, []string{"source"}),
	}
	reg.MustRegister(
		// The runtime's GC metrics add go_gc_heap_live_bytes (the heap the
		// last collection found live) and the count of collections, which
		// tell a leak from garbage not yet collected.
		collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(collectors.MetricsGC)),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.requestDuration, m.inFlight,
		m.embedCalls, m.embedInputs, m.embedDuration, m.embedRejected,
		m.upstreamRetries, m.upstreamErrors, m.papersStored,
	)
	return m
}

// Registry returns the registry that holds the metrics, for tests and for
// registering more collectors.
func (m *Metrics) Registry() *prometheus.Registry {
	if m == nil {
		return nil
	}
	return m.reg
}

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	if m == nil {
		return http.NotFoundHandler()
	}
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, MaxRequestsInFlight: 4})
}

// RequestStarted counts a request in flight; call the function it returns
// when the request is answered.
func (m *Metrics) RequestStarted() (done func()) {
	if m == nil {
		return func() {}
	}
	m.inFlight.Inc()
	return m.inFlight.Dec
}

// ObserveRequest records an answered HTTP request. route must be the route
// pattern (such as /v1/papers/:id), never the raw path, so that the number
// of series stays bounded.
func (m *Metrics) ObserveRequest(route, method string, status int, d time.Duration) {
	if m == nil {
		return
	}
	code := strconv.Itoa(status)
	m.requests.WithLabelValues(route, method, code).Inc()
	m.requestDuration.WithLabelValues(route, method, code).Observe(d.Seconds())
}

// PapersStored adds n to the papers stored from source ("api" or
// "import").
func (m *Metrics) PapersStored(source string, n int) {
	if m == nil || n <= 0 {
		return
	}
	m.papersStored.WithLabelValues(source).Add(float64(n))
}

// EmbedRejected counts an embedding call turned away for reason.
func (m *Metrics) EmbedRejected(reason string) {
	if m == nil {
		return
	}
	m.embedRejected.WithLabelValues(reason).Inc()
}

// UpstreamRetry counts a failed upstream request that is retried; status
// is the HTTP status of its response, or 0 without one.
func (m *Metrics) UpstreamRetry(model string, status int) {
	if m == nil {
		return
	}
	m.upstreamRetries.WithLabelValues(model, Reason(status)).Inc()
}

// UpstreamError counts a batch the upstream failed for good; status is as
// for UpstreamRetry.
func (m *Metrics) UpstreamError(model string, status int) {
	if m == nil {
		return
	}
	m.upstreamErrors.WithLabelValues(model, Reason(status)).Inc()
}

// Reason names an upstream failure by the HTTP status of its response, in
// a few values to keep the label's cardinality low: "no_response"
// (timeout, refused or dropped connection), "bad_response" (a 2xx whose
// body was not valid embeddings), "429", "4xx" or "5xx".
func Reason(status int) string {
	switch {
	case status == 0:
		return "no_response"
	case status < 300:
		return "bad_response"
	case status == http.StatusTooManyRequests:
		return "429"
	case status < 500:
		return "4xx"
	}
	return "5xx"
}

// RegisterIndexSize exports recommend_index_papers{model} read from size
// at every scrape.
func (m *Metrics) RegisterIndexSize(model string, size func() int) error {
	if m == nil {
		return nil
	}
	return m.reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: Namespace, Subsystem: "index", Name: "papers",
		Help:        "Papers in the in-memory index, by embedding model.",
		ConstLabels: prometheus.Labels{"model": model},
	}, func() float64 { return float64(size()) }))
}

// RegisterEmbedQueue exports the embedding calls running and waiting now
// (recommend_embed_in_flight and recommend_embed_waiting).
func (m *Metrics) RegisterEmbedQueue(inFlight, waiting func() int) error {
	return m.registerGauges("embed", []gauge{
		{"in_flight", "Embedding calls running now.", inFlight},
		{"waiting", "Embedding calls waiting for a slot now.", waiting},
	})
}

// RegisterSearchQueue exports the vector index's admission queue
// (recommend_search_scanning and recommend_search_waiting): searches
// scanning the index now, and searches waiting for their turn.
func (m *Metrics) RegisterSearchQueue(scanning, waiting func() int) error {
	return m.registerGauges("search", []gauge{
		{"scanning", "Vector searches scanning the index now.", scanning},
		{"waiting", "Vector searches waiting for their turn to scan now.", waiting},
	})
}

// gauge is a gauge read from fn at every scrape.
type gauge struct {
	name, help string
	fn         func() int
}

func (m *Metrics) registerGauges(subsystem string, gs []gauge) error {
	if m == nil {
		return nil
	}
	for _, g := range gs {
		fn := g.fn
		if err := m.reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: Namespace, Subsystem: subsystem, Name: g.name, Help: g.help,
		}, func() float64 { return float64(fn()) })); err != nil {
			return err
		}
	}
	return nil
}

// RegisterCache exports the embeddings cache's counts
// (recommend_embed_cache_hits_total and _misses_total), read from stats at
// every scrape.
func (m *Metrics) RegisterCache(stats func() (hits, misses uint64)) error {
	if m == nil {
		return nil
	}
	for _, c := range []struct {
		name, help string
		pick       func() uint64
	}{
		{"cache_hits_total", "Texts whose vector came from the embeddings cache.", func() uint64 { h, _ := stats(); return h }},
		{"cache_misses_total", "Texts the embeddings cache did not have.", func() uint64 { _, mi := stats(); return mi }},
	} {
		pick := c.pick
		if err := m.reg.Register(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: Namespace, Subsystem: "embed", Name: c.name, Help: c.help,
		}, func() float64 { return float64(pick()) })); err != nil {
			return err
		}
	}
	return nil
}

// Embedder returns e with every Embed call counted and timed: calls by
// outcome, texts per call and duration, labelled with e's model. The
// result implements embeddings.TokenCounter exactly when e does. On a nil
// *Metrics it returns e.
func (m *Metrics) Embedder(e embeddings.Embedder) embeddings.Embedder {
	if m == nil {
		return e
	}
	me := &Embedder{inner: e, m: m}
	if tc, ok := e.(embeddings.TokenCounter); ok {
		return tokenCounting{me, tc}
	}
	return me
}

// Embedder is an embeddings.Embedder that records metrics of the one it
// wraps; see Metrics.Embedder.
type Embedder struct {
	inner embeddings.Embedder
	m     *Metrics
}

type tokenCounting struct {
	*Embedder
	tc embeddings.TokenCounter
}

// CountTokens returns the wrapped embedder's count.
func (t tokenCounting) CountTokens(text string) int { return t.tc.CountTokens(text) }

// Model returns the wrapped embedder's model name.
func (e *Embedder) Model() string { return e.inner.Model() }

// Dimensions returns the wrapped embedder's vector size.
func (e *Embedder) Dimensions() int { return e.inner.Dimensions() }

// Unwrap returns the wrapped embedder.
func (e *Embedder) Unwrap() embeddings.Embedder { return e.inner }

// Embed calls the wrapped embedder and records the call.
func (e *Embedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	start := time.Now()
	vs, err := e.inner.Embed(ctx, texts)
	model := e.inner.Model()
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	e.m.embedCalls.WithLabelValues(model, outcome).Inc()
	e.m.embedInputs.WithLabelValues(model).Observe(float64(len(texts)))
	e.m.embedDuration.WithLabelValues(model).Observe(time.Since(start).Seconds())
	return vs, err
}
