package httpapi

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/recommend-dev/recommend/internal/metrics"
)

// fuzzMethods are the methods the fuzzer picks from: the API's own and a
// few it has no route for.
var fuzzMethods = []string{"GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS", "TRACE", "PROPFIND"}

// fuzzRoutes are path prefixes that steer the fuzzer into the API's
// handlers; the fuzzed suffix is appended as is.
var fuzzRoutes = []string{
	"/v1/papers", "/v1/papers/", "/v1/papers/test:01", "/v1/papers/test:01/related",
	"/v1/search", "/v1/recommend", "/v1/embeddings", "/v1/models", "/v1/models/",
	"/v1/map", "/v1/admin/backup", "/healthz", "/readyz", "/metrics", "/", "/static/", "/v1/",
}

// FuzzAPI sends random methods, paths, query strings and bodies through the
// full handler (every middleware, real engine over a real store, a small
// deterministic embedder): never a 500, never a panic, and every JSON
// error in the one error shape.
//
//	go test -run '^$' -fuzz FuzzAPI -fuzztime 60s ./internal/httpapi
func FuzzAPI(f *testing.F) {
	f.Add(uint8(0), uint8(4), "", "q=protein+folding&limit=3", []byte(nil), false)
	f.Add(uint8(1), uint8(0), "", "", []byte(`{"papers":[{"id":"f:1","title":"T","abstract":"A"}]}`), true)
	f.Add(uint8(1), uint8(5), "", "", []byte(`{"positive":["test:01"],"negative":["test:02"],"limit":5}`), false)
	f.Add(uint8(1), uint8(6), "", "", []byte(`{"model":"test-hash","input":["a","b"],"encoding_format":"base64"}`), false)
	f.Add(uint8(0), uint8(3), "", "limit=0&published_after=2015-01-01", []byte(nil), false)
	f.Add(uint8(2), uint8(2), "", "", []byte(nil), true)
	f.Add(uint8(0), uint8(1), "arxiv%3Ahep-th%2F9901001", "", []byte(nil), false)
	f.Add(uint8(0), uint8(10), "", "", []byte(nil), true)

	eng, st := testEngine(f, nil)
	m := metrics.New()
	h := NewServer(Config{
		Engine:    eng,
		Backup:    st,
		Logger:    slog.New(slog.DiscardHandler),
		BodyLimit: "256K",
		APIKeys:   []string{key1},
		Metrics:   m,
	}).Handler()

	f.Fuzz(func(t *testing.T, method, route uint8, suffix, query string, body []byte, withKey bool) {
		target := fuzzRoutes[int(route)%len(fuzzRoutes)] + suffix
		if query != "" {
			target += "?" + query
		}
		meth := fuzzMethods[int(method)%len(fuzzMethods)]
		// Parse the request as the server would from the wire; what
		// net/http itself refuses never reaches the handler.
		var raw bytes.Buffer
		fmt.Fprintf(&raw, "%s %s HTTP/1.1\r\nHost: fuzz\r\nContent-Type: application/json\r\n", meth, target)
		if withKey {
			fmt.Fprintf(&raw, "Authorization: Bearer %s\r\n", key1)
		}
		fmt.Fprintf(&raw, "Content-Length: %d\r\n\r\n", len(body))
		raw.Write(body)
		req, err := http.ReadRequest(bufio.NewReader(&raw))
		if err != nil {
			t.Skip()
		}
		req.RemoteAddr = "192.0.2.1:1234"
		req.RequestURI = ""
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)

		if rec.Code >= 500 || rec.Code < 200 {
			t.Fatalf("%s %s with body %q: status %d; body %.500s", meth, target, body, rec.Code, rec.Body)
		}
		if rec.Code >= 400 && meth != "HEAD" {
			var er ErrorResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &er); err != nil || er.Error.Message == "" || er.Error.Code == "" {
				t.Fatalf("%s %s: status %d but the body is not the error shape: %.500s", meth, target, rec.Code, rec.Body)
			}
			if strings.Contains(rec.Body.String(), key1) {
				t.Fatalf("%s %s: the answer repeats the API key", meth, target)
			}
		}
	})
}
