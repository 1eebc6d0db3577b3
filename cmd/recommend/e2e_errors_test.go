package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/recommend-dev/recommend/internal/httpapi"
)

// Every bad input gets a 4xx in the one error shape, naming the field.
func TestE2EBadInput(t *testing.T) { forEachBackend(t, testBadInput) }

func testBadInput(t *testing.T, b testBackend) {
	s := b.start(t, t.TempDir())
	longQuery := strings.Repeat("neuron ", 400)
	manyInputs := make([]string, 2049)
	for i := range manyInputs {
		manyInputs[i] = "x"
	}
	manyPapers := make([]map[string]string, 1001)
	for i := range manyPapers {
		manyPapers[i] = map[string]string{"id": fmt.Sprint("p", i), "title": "t", "abstract": "a"}
	}
	huge := `{"id":"x","title":"t","abstract":"` + strings.Repeat("a", 17<<20) + `"}`

	tests := []struct {
		name, method, path string
		body               any
		status             int
		code, param        string
	}{
		{"unknown paper", "GET", "/v1/papers/no-such-paper", nil, 404, "not_found", ""},
		{"related of unknown paper", "GET", "/v1/papers/no-such-paper/related", nil, 404, "not_found", ""},
		{"delete unknown paper", "DELETE", "/v1/papers/no-such-paper", nil, 404, "not_found", ""},
		{"list limit zero", "GET", "/v1/papers?limit=0", nil, 400, "invalid_request", "limit"},
		{"list limit not a number", "GET", "/v1/papers?limit=ten", nil, 400, "invalid_request", "limit"},
		{"list limit too large", "GET", "/v1/papers?limit=101", nil, 400, "invalid_request", "limit"},
		{"list negative offset", "GET", "/v1/papers?offset=-1", nil, 400, "invalid_request", "offset"},
		{"search without q", "GET", "/v1/search", nil, 400, "invalid_request", "q"},
		{"search with blank q", "GET", "/v1/search?q=%20%20", nil, 400, "invalid_request", "q"},
		{"search q too long", "GET", "/v1/search?q=" + strings.ReplaceAll(longQuery, " ", "+"), nil, 400, "invalid_request", "q"},
		{"search limit too large", "GET", "/v1/search?q=x&limit=1000", nil, 400, "invalid_request", "limit"},
		{"search bad date", "GET", "/v1/search?q=x&published_after=2024-13-01", nil, 400, "invalid_request", "published_after"},
		{"search dates reversed", "GET", "/v1/search?q=x&published_after=2024-02-01&published_before=2024-01-01", nil, 400, "invalid_request", "published_after"},
		{"search bad mode", "GET", "/v1/search?q=x&mode=fuzzy", nil, 400, "invalid_request", "mode"},
		{"recommend bad mode", "POST", "/v1/recommend", `{"positive":["a"],"mode":"fuzzy"}`, 400, "invalid_request", "mode"},
		{"search exact not a bool", "GET", "/v1/search?q=x&exact=maybe", nil, 400, "invalid_request", "exact"},
		{"related limit zero", "GET", "/v1/papers/x/related?limit=0", nil, 400, "invalid_request", "limit"},
		{"put empty body", "POST", "/v1/papers", "", 400, "invalid_request", ""},
		{"put invalid JSON", "POST", "/v1/papers", `{"id":`, 400, "invalid_request", ""},
		{"put not an object", "POST", "/v1/papers", `[1,2]`, 400, "invalid_request", ""},
		{"put missing id", "POST", "/v1/papers", `{"title":"t","abstract":"a"}`, 400, "invalid_request", "id"},
		{"put missing title", "POST", "/v1/papers", `{"id":"x","abstract":"a"}`, 400, "invalid_request", "title"},
		{"put blank abstract", "POST", "/v1/papers", `{"id":"x","title":"t","abstract":"  "}`, 400, "invalid_request", "abstract"},
		{"put wrong type", "POST", "/v1/papers", `{"id":"x","title":5,"abstract":"a"}`, 400, "invalid_request", "title"},
		{"put unknown field", "POST", "/v1/papers", `{"id":"x","title":"t","abstract":"a","colour":"red"}`, 400, "invalid_request", "colour"},
		{"put bad date", "POST", "/v1/papers", `{"id":"x","title":"t","abstract":"a","published":"yesterday"}`, 400, "invalid_request", "published"},
		{"put empty batch", "POST", "/v1/papers", `{"papers":[]}`, 400, "invalid_request", "papers"},
		{"put batch with a bad paper", "POST", "/v1/papers", `{"papers":[{"id":"a","title":"t","abstract":"a"},{"id":"b","title":"t"}]}`, 400, "invalid_request", "papers[1].abstract"},
		{"put batch with duplicate ids", "POST", "/v1/papers", `{"papers":[{"id":"a","title":"t","abstract":"a"},{"id":"a","title":"t","abstract":"b"}]}`, 400, "invalid_request", "papers[1].id"},
		{"put batch too large", "POST", "/v1/papers", map[string]any{"papers": manyPapers}, 413, "request_too_large", ""},
		{"put body too large", "POST", "/v1/papers", huge, 413, "request_too_large", ""},
		{"recommend without positive", "POST", "/v1/recommend", `{"negative":["a"]}`, 400, "invalid_request", "positive"},
		{"recommend unknown id", "POST", "/v1/recommend", `{"positive":["no-such-paper"]}`, 404, "not_found", "positive[0]"},
		{"recommend limit too large", "POST", "/v1/recommend", `{"positive":["a"],"limit":101}`, 400, "invalid_request", "limit"},
		{"recommend wrong type", "POST", "/v1/recommend", `{"positive":"a"}`, 400, "invalid_request", "positive"},
		{"embeddings without model", "POST", "/v1/embeddings", `{"input":"x"}`, 400, "invalid_request", "model"},
		{"embeddings unknown model", "POST", "/v1/embeddings", `{"input":"x","model":"gpt-17"}`, 404, "not_found", "model"},
		{"embeddings without input", "POST", "/v1/embeddings", `{"model":"use-lite"}`, 400, "invalid_request", "input"},
		{"embeddings empty input list", "POST", "/v1/embeddings", `{"model":"use-lite","input":[]}`, 400, "invalid_request", "input"},
		{"embeddings empty string", "POST", "/v1/embeddings", `{"model":"use-lite","input":""}`, 400, "invalid_request", "input"},
		{"embeddings token ids", "POST", "/v1/embeddings", `{"model":"use-lite","input":[1,2,3]}`, 400, "invalid_request", "input"},
		{"embeddings token arrays", "POST", "/v1/embeddings", `{"model":"use-lite","input":[[1,2],[3]]}`, 400, "invalid_request", "input"},
		{"embeddings input not text", "POST", "/v1/embeddings", `{"model":"use-lite","input":{"a":1}}`, 400, "invalid_request", "input"},
		{"embeddings bad encoding", "POST", "/v1/embeddings", `{"model":"use-lite","input":"x","encoding_format":"int8"}`, 400, "invalid_request", "encoding_format"},
		{"embeddings other dimensions", "POST", "/v1/embeddings", `{"model":"use-lite","input":"x","dimensions":256}`, 400, "invalid_request", "dimensions"},
		{"embeddings too many inputs", "POST", "/v1/embeddings", map[string]any{"model": "use-lite", "input": manyInputs}, 400, "invalid_request", "input"},
		{"unknown model", "GET", "/v1/models/gpt-17", nil, 404, "not_found", "model"},
		{"unknown route", "GET", "/v2/things", nil, 404, "route_not_found", ""},
		{"wrong method", "PUT", "/v1/search", nil, 405, "method_not_allowed", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e httpapi.ErrorResponse
			got := s.do(tt.method, tt.path, tt.body, &e)
			if got != tt.status {
				t.Errorf("status = %d, want %d (error %+v)", got, tt.status, e.Error)
			}
			if e.Error.Code != tt.code {
				t.Errorf("error.code = %q, want %q", e.Error.Code, tt.code)
			}
			if e.Error.Message == "" || e.Error.Type == "" {
				t.Errorf("error has no message or type: %+v", e.Error)
			}
			param := ""
			if e.Error.Param != nil {
				param = *e.Error.Param
			}
			if param != tt.param {
				t.Errorf("error.param = %q, want %q (message %q)", param, tt.param, e.Error.Message)
			}
		})
	}
	// The service is still up and unharmed.
	if got := s.do("GET", "/readyz", nil, nil); got != http.StatusOK {
		t.Fatalf("after bad input: /readyz status %d", got)
	}
	if strings.Contains(s.logs.String(), "panic") {
		t.Fatalf("the service logged a panic:\n%s", s.logs)
	}
}
