package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/recommend-dev/recommend/internal/httpapi"
)

// get sends a request to the full server (API routes included) and returns
// the response and its body.
func get(t *testing.T, h http.Handler, method, path string, header http.Header) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := rec.Result()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(body)
}

func server() http.Handler {
	// The page needs no engine; API routes are there to check that the
	// page does not shadow them.
	return httpapi.NewServer(httpapi.Config{Addr: "127.0.0.1:0"}).Handler()
}

func TestPageAndAssets(t *testing.T) {
	h := server()
	res, page := get(t, h, http.MethodGet, "/", nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /: status %d, want 200", res.StatusCode)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("GET /: Content-Type %q, want text/html", ct)
	}
	csp := res.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("GET /: Content-Security-Policy %q lacks %q", csp, want)
		}
	}
	for _, want := range []string{`id="search-form"`, `id="q"`, `id="mini-map"`, `<script src="/static/app.js" defer>`} {
		if !strings.Contains(page, want) {
			t.Errorf("GET /: the page lacks %s", want)
		}
	}
	// Every asset the page refers to is served, with the right type, and
	// nothing is loaded from another host.
	refs := regexp.MustCompile(`(?:src|href)="([^"#]+)"`).FindAllStringSubmatch(page, -1)
	if len(refs) < 3 {
		t.Fatalf("the page refers to %d files, want the script, the style sheet and the icon", len(refs))
	}
	wantType := map[string]string{".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
	for _, m := range refs {
		ref := m[1]
		if !strings.HasPrefix(ref, "/static/") {
			t.Errorf("the page refers to %q, want only /static/ files (no CDN)", ref)
			continue
		}
		res, body := get(t, h, http.MethodGet, ref, nil)
		if res.StatusCode != http.StatusOK || body == "" {
			t.Errorf("GET %s: status %d, %d bytes", ref, res.StatusCode, len(body))
			continue
		}
		ext := ref[strings.LastIndex(ref, "."):]
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, wantType[ext]) {
			t.Errorf("GET %s: Content-Type %q, want %s", ref, ct, wantType[ext])
		}
		if ext == ".css" && strings.Contains(body, "http") {
			t.Errorf("GET %s: the style sheet refers to another host", ref)
		}
	}
}

func TestAssetRevalidation(t *testing.T) {
	h := server()
	res, _ := get(t, h, http.MethodGet, "/static/app.js", nil)
	etag := res.Header.Get("ETag")
	if etag == "" || res.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("GET /static/app.js: ETag %q, Cache-Control %q; want an ETag and no-cache", etag, res.Header.Get("Cache-Control"))
	}
	res, body := get(t, h, http.MethodGet, "/static/app.js", http.Header{"If-None-Match": {etag}})
	if res.StatusCode != http.StatusNotModified || body != "" {
		t.Errorf("GET with If-None-Match: status %d, %d bytes; want 304 and no body", res.StatusCode, len(body))
	}
	res, body = get(t, h, http.MethodHead, "/", nil)
	if res.StatusCode != http.StatusOK || body != "" {
		t.Errorf("HEAD /: status %d, %d bytes; want 200 and no body", res.StatusCode, len(body))
	}
}

func TestPageDoesNotShadowTheAPI(t *testing.T) {
	h := server()
	tests := []struct {
		path       string
		wantStatus int
		wantCode   string // error code, for errors
	}{
		{"/healthz", http.StatusOK, ""},
		{"/v1/no-such-route", http.StatusNotFound, "route_not_found"},
		{"/no-such-page", http.StatusNotFound, "route_not_found"},
		{"/static/no-such-file.js", http.StatusNotFound, "route_not_found"},
		{"/static/index.html", http.StatusNotFound, "route_not_found"},
		{"/static/../web.go", http.StatusNotFound, "route_not_found"},
	}
	for _, tc := range tests {
		res, body := get(t, h, http.MethodGet, tc.path, nil)
		if res.StatusCode != tc.wantStatus {
			t.Errorf("GET %s: status %d, want %d", tc.path, res.StatusCode, tc.wantStatus)
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("GET %s: Content-Type %q, want JSON (the API's, not the page)", tc.path, ct)
		}
		if tc.wantCode == "" {
			continue
		}
		var e httpapi.ErrorResponse
		if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error.Code != tc.wantCode || e.Error.Message == "" {
			t.Errorf("GET %s: body %s, want an error with code %s", tc.path, body, tc.wantCode)
		}
	}
}
