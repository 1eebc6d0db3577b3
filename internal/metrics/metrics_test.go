package metrics

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/recommend-dev/recommend/embeddings"
)

// fixed embeds every text as the same vector, or fails with err.
type fixed struct{ err error }

func (f fixed) Embed(_ context.Context, texts []string) ([][]float32, error) {
	if f.err != nil {
		return nil, f.err
	}
	out := make([][]float32, len(texts))
	for i := range out {
		out[i] = []float32{1, 0, 0}
	}
	return out, nil
}
func (fixed) Model() string   { return "fixed-model" }
func (fixed) Dimensions() int { return 3 }

type fixedCounting struct{ fixed }

func (fixedCounting) CountTokens(s string) int { return len(strings.Fields(s)) }

// scrape returns what GET /metrics serves.
func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: status %d", rec.Code)
	}
	body, _ := io.ReadAll(rec.Body)
	return string(body)
}

func TestEmbedderMetrics(t *testing.T) {
	m := New()
	ok := m.Embedder(fixed{})
	bad := m.Embedder(fixed{err: errors.New("upstream down")})
	for _, n := range []int{1, 3, 100} {
		if _, err := ok.Embed(context.Background(), make([]string, n)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := bad.Embed(context.Background(), []string{"x"}); err == nil {
		t.Fatal("the failing embedder did not fail")
	}
	for _, tc := range []struct {
		outcome string
		want    float64
	}{{"ok", 3}, {"error", 1}} {
		if got := testutil.ToFloat64(m.embedCalls.WithLabelValues("fixed-model", tc.outcome)); got != tc.want {
			t.Errorf("embed calls %s = %v, want %v", tc.outcome, got, tc.want)
		}
	}
	text := scrape(t, m)
	for _, want := range []string{
		`recommend_embed_batch_size_count{model="fixed-model"} 4`,
		`recommend_embed_batch_size_sum{model="fixed-model"} 105`,
		`recommend_embed_batch_size_bucket{model="fixed-model",le="2"} 2`, // 1 and 1
		`recommend_embed_batch_size_bucket{model="fixed-model",le="4"} 3`,
		`recommend_embed_duration_seconds_count{model="fixed-model"} 4`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestEmbedderWrapping(t *testing.T) {
	m := New()
	if _, ok := m.Embedder(fixed{}).(embeddings.TokenCounter); ok {
		t.Errorf("wrapping an embedder without CountTokens gave a TokenCounter")
	}
	tc, ok := m.Embedder(fixedCounting{}).(embeddings.TokenCounter)
	if !ok {
		t.Fatal("wrapping a TokenCounter lost CountTokens")
	}
	if got := tc.CountTokens("a b c"); got != 3 {
		t.Errorf("CountTokens = %d, want 3", got)
	}
	var nilM *Metrics
	if got := nilM.Embedder(fixed{}); got != embeddings.Embedder(fixed{}) {
		t.Errorf("a nil *Metrics wrapped the embedder: %T", got)
	}
}

func TestReason(t *testing.T) {
	for _, tc := range []struct {
		status int
		want   string
	}{{0, "no_response"}, {200, "bad_response"}, {429, "429"}, {400, "4xx"}, {404, "4xx"}, {500, "5xx"}, {503, "5xx"}} {
		if got := Reason(tc.status); got != tc.want {
			t.Errorf("Reason(%d) = %q, want %q", tc.status, got, tc.want)
		}
	}
}

func TestExposition(t *testing.T) {
	m := New()
	m.ObserveRequest("/v1/papers/:id", "GET", 200, 3*time.Millisecond)
	m.ObserveRequest("/v1/papers/:id", "GET", 200, 5*time.Millisecond)
	m.ObserveRequest("/v1/papers/:id", "GET", 404, time.Millisecond)
	m.UpstreamRetry("m", 503)
	m.UpstreamRetry("m", 0)
	m.UpstreamRetry("m", 0)
	m.UpstreamError("m", 429)
	m.PapersStored("api", 7)
	m.PapersStored("api", 0)
	m.EmbedRejected("queue_full")
	papers := 12
	if err := m.RegisterIndexSize("m", func() int { return papers }); err != nil {
		t.Fatal(err)
	}
	if err := m.RegisterEmbedQueue(func() int { return 2 }, func() int { return 5 }); err != nil {
		t.Fatal(err)
	}
	if err := m.RegisterSearchQueue(func() int { return 1 }, func() int { return 3 }); err != nil {
		t.Fatal(err)
	}
	if err := m.RegisterCache(func() (uint64, uint64) { return 40, 9 }); err != nil {
		t.Fatal(err)
	}
	done := m.RequestStarted()
	text := scrape(t, m)
	done()
	papers = 13
	text2 := scrape(t, m)
	for _, want := range []string{
		`recommend_http_requests_total{code="200",method="GET",route="/v1/papers/:id"} 2`,
		`recommend_http_requests_total{code="404",method="GET",route="/v1/papers/:id"} 1`,
		`recommend_http_request_duration_seconds_count{code="200",method="GET",route="/v1/papers/:id"} 2`,
		`recommend_http_requests_in_flight 1`,
		`recommend_upstream_retries_total{model="m",reason="5xx"} 1`,
		`recommend_upstream_retries_total{model="m",reason="no_response"} 2`,
		`recommend_upstream_errors_total{model="m",reason="429"} 1`,
		`recommend_papers_stored_total{source="api"} 7`,
		`recommend_embed_rejected_total{reason="queue_full"} 1`,
		`recommend_index_papers{model="m"} 12`,
		`recommend_embed_in_flight 2`,
		`recommend_embed_waiting 5`,
		`recommend_search_scanning 1`,
		`recommend_search_waiting 3`,
		`recommend_embed_cache_hits_total 40`,
		`recommend_embed_cache_misses_total 9`,
		`go_memstats_heap_inuse_bytes `,
		`go_goroutines `,
		`go_gc_heap_live_bytes `,
		`process_resident_memory_bytes `,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	for _, want := range []string{`recommend_index_papers{model="m"} 13`, `recommend_http_requests_in_flight 0`} {
		if !strings.Contains(text2, want) {
			t.Errorf("second scrape lacks %q", want)
		}
	}
	if err := m.RegisterIndexSize("m", func() int { return 0 }); err == nil {
		t.Errorf("registering the index size of model m twice did not fail")
	}
}

// Every method is a no-op on a nil *Metrics.
func TestNilMetrics(t *testing.T) {
	var m *Metrics
	m.ObserveRequest("/", "GET", 200, time.Millisecond)
	m.RequestStarted()()
	m.PapersStored("api", 1)
	m.EmbedRejected("timeout")
	m.UpstreamRetry("m", 500)
	m.UpstreamError("m", 500)
	for _, err := range []error{
		m.RegisterIndexSize("m", func() int { return 0 }),
		m.RegisterEmbedQueue(func() int { return 0 }, func() int { return 0 }),
		m.RegisterSearchQueue(func() int { return 0 }, func() int { return 0 }),
		m.RegisterCache(func() (uint64, uint64) { return 0, 0 }),
	} {
		if err != nil {
			t.Errorf("nil *Metrics: %v", err)
		}
	}
	if m.Registry() != nil {
		t.Errorf("nil *Metrics has a registry")
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("nil *Metrics handler: status %d, want 404", rec.Code)
	}
}
