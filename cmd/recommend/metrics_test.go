package main

import (
	"net/url"
	"testing"
)

// /metrics of the real binary over a fake upstream: request counts by
// route pattern, embedding calls and batch sizes per model, upstream
// retries, the index size per model, papers stored, the cache and the Go
// runtime.
func TestE2EMetricsContent(t *testing.T) {
	up := newUpstream(t, 24)
	s := startService(t, t.TempDir(), up.openaiFlags("--bundled=false", "--batch-size", "4", "--openai-backoff", "5ms")...)
	papers := testPapersN("met", 10) // 3 upstream requests: 4 + 4 + 2
	if a := request(t, "POST", s.URL+"/v1/papers", nil, map[string]any{"papers": papers}); a.status != 200 {
		t.Fatalf("add papers: %d %s", a.status, a.body)
	}
	up.setPolicy(up.first(1, fault500))
	if a := request(t, "GET", s.URL+"/v1/search?q=protein+folding", nil, nil); a.status != 200 {
		t.Fatalf("search: %d %s", a.status, a.body)
	}
	up.setPolicy(nil)
	request(t, "GET", s.URL+"/v1/search?q=protein+folding", nil, nil) // from the cache
	for _, p := range papers[:3] {
		request(t, "GET", s.URL+"/v1/papers/"+url.PathEscape(p["id"]), nil, nil)
	}
	request(t, "GET", s.URL+"/v1/papers/no-such-paper", nil, nil)
	request(t, "GET", s.URL+"/no/such/route", nil, nil)

	m := scrape(t, s.URL, nil)
	for _, tc := range []struct {
		series string
		want   float64
	}{
		{`recommend_http_requests_total{code="200",method="POST",route="/v1/papers"}`, 1},
		{`recommend_http_requests_total{code="200",method="GET",route="/v1/search"}`, 2},
		{`recommend_http_requests_total{code="200",method="GET",route="/v1/papers/:id"}`, 3},
		{`recommend_http_requests_total{code="404",method="GET",route="/v1/papers/:id"}`, 1},
		{`recommend_http_requests_total{code="404",method="GET",route="unmatched"}`, 1},
		{`recommend_http_request_duration_seconds_count{code="200",method="GET",route="/v1/search"}`, 2},
		// The 10 papers in one call, one search (the second came from the
		// cache); the start-up probe goes to the client directly.
		{`recommend_embed_calls_total{model="fake-embed",outcome="ok"}`, 2},
		{`recommend_embed_batch_size_sum{model="fake-embed"}`, 10 + 1},
		{`recommend_embed_batch_size_bucket{model="fake-embed",le="1"}`, 1},
		{`recommend_embed_batch_size_bucket{model="fake-embed",le="16"}`, 2},
		{`recommend_upstream_retries_total{model="fake-embed",reason="5xx"}`, 1},
		{`recommend_index_papers{model="fake-embed"}`, 10},
		{`recommend_papers_stored_total{source="api"}`, 10},
		{`recommend_embed_cache_hits_total`, 1},
		{`recommend_embed_cache_misses_total`, 11},
		{`recommend_embed_in_flight`, 0},
		{`recommend_search_scanning`, 0},
		{`recommend_search_waiting`, 0},
	} {
		got, ok := m[tc.series]
		if !ok || got != tc.want {
			t.Errorf("%s = %v (present %v), want %v", tc.series, got, ok, tc.want)
		}
	}
	for _, name := range []string{"go_memstats_heap_inuse_bytes", "go_goroutines", "process_resident_memory_bytes", "recommend_http_requests_in_flight"} {
		if _, ok := m[name]; !ok {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	if got := count5xx(m); got != 0 {
		t.Errorf("%v 5xx answers counted, want 0", got)
	}
}
