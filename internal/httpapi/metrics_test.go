package httpapi

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/recommend-dev/recommend/internal/metrics"
	"github.com/recommend-dev/recommend/internal/paper"
)

// panicking is an engine whose Get panics, to check that a recovered panic
// is counted as a 500.
type panicking struct{ Engine }

func (panicking) Get(string) (paper.Paper, error) { panic("boom") }

func TestMetricsContent(t *testing.T) {
	m := metrics.New()
	eng, _ := testEngine(t, nil)
	if err := m.RegisterIndexSize(eng.Model(), eng.Len); err != nil {
		t.Fatal(err)
	}
	h := testServer(t, Config{Engine: eng, Metrics: m})
	for _, c := range []call{
		{method: "GET", target: "/v1/papers/test:01"},
		{method: "GET", target: "/v1/papers/test:02"},
		{method: "GET", target: "/v1/papers/nope"},
		{method: "GET", target: "/v1/papers/test:03/related?limit=2"},
		{method: "GET", target: "/v1/search?q=galaxy+spectra"},
		{method: "POST", target: "/v1/papers", body: `{"papers":[{"id":"m:1","title":"One","abstract":"First."},{"id":"m:2","title":"Two","abstract":"Second."}]}`},
		{method: "POST", target: "/v1/papers", body: `{"id":"m:3","title":"Three","abstract":"Third."}`},
		{method: "POST", target: "/v1/papers", body: `{"id":"","title":"bad","abstract":"no id"}`},
		{method: "GET", target: "/wp-admin/setup.php"},
		{method: "GET", target: "/random/probe/12345"},
	} {
		serve(t, h, c)
	}
	rec := serve(t, h, call{method: "GET", target: "/metrics"})
	if rec.Code != 200 {
		t.Fatalf("GET /metrics: status %d", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("GET /metrics: Content-Type %q, want the text format", ct)
	}
	text := rec.Body.String()
	for _, want := range []string{
		`recommend_http_requests_total{code="200",method="GET",route="/v1/papers/:id"} 2`,
		`recommend_http_requests_total{code="404",method="GET",route="/v1/papers/:id"} 1`,
		`recommend_http_requests_total{code="200",method="GET",route="/v1/papers/:id/related"} 1`,
		`recommend_http_requests_total{code="200",method="GET",route="/v1/search"} 1`,
		`recommend_http_requests_total{code="200",method="POST",route="/v1/papers"} 2`,
		`recommend_http_requests_total{code="400",method="POST",route="/v1/papers"} 1`,
		`recommend_http_requests_total{code="404",method="GET",route="unmatched"} 2`,
		`recommend_http_request_duration_seconds_count{code="200",method="GET",route="/v1/search"} 1`,
		`recommend_papers_stored_total{source="api"} 3`,
		`recommend_index_papers{model="test-hash"} 27`,
		`go_memstats_heap_inuse_bytes `,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	// No raw path or paper id becomes a label value.
	for _, leak := range []string{"test:01", "wp-admin", "probe", "galaxy"} {
		if strings.Contains(text, leak) {
			t.Errorf("/metrics holds %q from a request: labels must be route patterns", leak)
		}
	}
}

// A panic in a handler is answered and counted as a 500.
func TestMetricsCountPanics(t *testing.T) {
	m := metrics.New()
	eng, _ := testEngine(t, nil)
	h := testServer(t, Config{Engine: panicking{eng}, Metrics: m})
	if rec := serve(t, h, call{method: "GET", target: "/v1/papers/x"}); rec.Code != 500 {
		t.Fatalf("a panicking handler: status %d, want 500", rec.Code)
	}
	text := serve(t, h, call{method: "GET", target: "/metrics"}).Body.String()
	if want := `recommend_http_requests_total{code="500",method="GET",route="/v1/papers/:id"} 1`; !strings.Contains(text, want) {
		t.Errorf("/metrics lacks %q", want)
	}
}

// Without Metrics there is no /metrics route.
func TestNoMetricsRoute(t *testing.T) {
	h := testServer(t, Config{})
	if got := serve(t, h, call{method: "GET", target: "/metrics"}).Code; got != http.StatusNotFound {
		t.Errorf("GET /metrics without metrics: status %d, want 404", got)
	}
}

// The number of series stays bounded however many distinct paths are
// requested.
func TestMetricsCardinality(t *testing.T) {
	m := metrics.New()
	h := testServer(t, Config{Metrics: m})
	for i := range 200 {
		serve(t, h, call{method: "GET", target: "/v1/papers/id" + strings.Repeat("x", i%7) + string(rune('a'+i%26))})
		serve(t, h, call{method: "GET", target: "/no/such/" + strings.Repeat("y", i)})
	}
	text := serve(t, h, call{method: "GET", target: "/metrics"}).Body.String()
	series := regexp.MustCompile(`(?m)^recommend_http_requests_total\{`).FindAllString(text, -1)
	if len(series) > 3 {
		t.Errorf("%d request series after 400 distinct paths, want at most 3:\n%s", len(series), text)
	}
}
