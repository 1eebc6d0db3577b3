package httpapi

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/recommend-dev/recommend/internal/errs"
	"github.com/recommend-dev/recommend/internal/metrics"
	"github.com/recommend-dev/recommend/internal/paper"
)

const (
	key1 = "k1-0123456789abcdef"
	key2 = "k2-fedcba9876543210"
)

// authRoute is one route of the matrix, with a request that succeeds when
// it gets through.
type authRoute struct {
	name   string
	c      call
	write  bool // needs a key whenever keys are configured
	public bool // open even with AuthReads
	okCode int
}

func authRoutes() []authRoute {
	paper := `{"id":"auth:1","title":"Keys and locks","abstract":"A study of who may write."}`
	return []authRoute{
		{name: "healthz", c: call{method: "GET", target: "/healthz"}, public: true, okCode: 200},
		{name: "readyz", c: call{method: "GET", target: "/readyz"}, public: true, okCode: 200},
		{name: "web page", c: call{method: "GET", target: "/"}, public: true, okCode: 200},
		{name: "list papers", c: call{method: "GET", target: "/v1/papers?limit=2"}, okCode: 200},
		{name: "get paper", c: call{method: "GET", target: "/v1/papers/test:01"}, okCode: 200},
		{name: "related", c: call{method: "GET", target: "/v1/papers/test:01/related?limit=3"}, okCode: 200},
		{name: "search", c: call{method: "GET", target: "/v1/search?q=protein"}, okCode: 200},
		{name: "recommend", c: call{method: "POST", target: "/v1/recommend", body: `{"positive":["test:01"]}`}, okCode: 200},
		{name: "embeddings", c: call{method: "POST", target: "/v1/embeddings", body: `{"model":"test-hash","input":"x"}`}, okCode: 200},
		{name: "models", c: call{method: "GET", target: "/v1/models"}, okCode: 200},
		{name: "metrics", c: call{method: "GET", target: "/metrics"}, okCode: 200},
		{name: "unknown route", c: call{method: "GET", target: "/v1/nope"}, okCode: 404},
		{name: "put paper", c: call{method: "POST", target: "/v1/papers", body: paper}, write: true, okCode: 200},
		{name: "delete paper", c: call{method: "DELETE", target: "/v1/papers/test:02"}, write: true, okCode: 200},
		{name: "delete unknown paper", c: call{method: "DELETE", target: "/v1/papers/none"}, write: true, okCode: 404},
		{name: "wrong method on papers", c: call{method: "PUT", target: "/v1/papers"}, write: true, okCode: 405},
		{name: "backup", c: call{method: "GET", target: "/v1/admin/backup"}, write: true, okCode: 200},
	}
}

func TestAuthMatrix(t *testing.T) {
	presentations := []struct {
		name   string
		header map[string]string
		valid  bool // carries a configured key
		some   bool // carries any key at all
	}{
		{name: "no key"},
		{name: "bearer key 1", header: map[string]string{"Authorization": "Bearer " + key1}, valid: true, some: true},
		{name: "bearer key 2, lower-case scheme", header: map[string]string{"Authorization": "bearer " + key2}, valid: true, some: true},
		{name: "X-API-Key", header: map[string]string{"X-API-Key": key2}, valid: true, some: true},
		{name: "wrong key", header: map[string]string{"Authorization": "Bearer not-a-key-at-all"}, some: true},
		{name: "prefix of a key", header: map[string]string{"Authorization": "Bearer " + key1[:len(key1)-1]}, some: true},
		{name: "key plus a byte", header: map[string]string{"X-API-Key": key1 + "x"}, some: true},
		{name: "basic auth is no key", header: map[string]string{"Authorization": "Basic " + key1}},
		{name: "empty bearer", header: map[string]string{"Authorization": "Bearer "}},
	}
	for _, mode := range []struct {
		name      string
		keys      []string
		authReads bool
	}{
		{name: "no keys configured"},
		{name: "keys for writes", keys: []string{key1, key2}},
		{name: "keys for everything", keys: []string{key1, key2}, authReads: true},
	} {
		t.Run(mode.name, func(t *testing.T) {
			eng, st := testEngine(t, nil)
			h := testServer(t, Config{Engine: eng, Backup: st, APIKeys: mode.keys, AuthReads: mode.authReads, Metrics: metrics.New()})
			restore := testPapers()[2]
			for _, r := range authRoutes() {
				for _, p := range presentations {
					t.Run(r.name+"/"+p.name, func(t *testing.T) {
						// Put back the paper a previous case deleted.
						if err := eng.Put(context.Background(), []paper.Paper{restore}); err != nil {
							t.Fatal(err)
						}
						c := r.c
						c.header = p.header
						rec := serve(t, h, c)

						guarded := len(mode.keys) > 0 && (r.write || (mode.authReads && !r.public))
						want := r.okCode
						switch {
						case guarded && !p.some:
							want = http.StatusUnauthorized
						case guarded && !p.valid:
							want = http.StatusForbidden
						}
						if rec.Code != want {
							t.Fatalf("%s %s: status %d, want %d; body %s", c.method, c.target, rec.Code, want, rec.Body)
						}
						switch want {
						case http.StatusUnauthorized:
							e := errorShape(t, rec)
							if e.Code != errs.Unauthorized || e.Type != "authentication_error" {
								t.Errorf("401 error %+v, want code %s, type authentication_error", e, errs.Unauthorized)
							}
							if got := rec.Header().Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
								t.Errorf("401 WWW-Authenticate %q, want a Bearer challenge", got)
							}
						case http.StatusForbidden:
							e := errorShape(t, rec)
							if e.Code != errs.Forbidden || e.Type != "permission_error" {
								t.Errorf("403 error %+v, want code %s, type permission_error", e, errs.Forbidden)
							}
						}
						for _, k := range []string{key1, key2} {
							if bytes.Contains(rec.Body.Bytes(), []byte(k)) {
								t.Errorf("the answer repeats an API key: %s", rec.Body)
							}
						}
					})
				}
			}
		})
	}
}

// Keys appear in no log line, whatever the request.
func TestKeysNeverLogged(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	eng, st := testEngine(t, nil)
	h := testServer(t, Config{Engine: eng, Backup: st, APIKeys: []string{key1}, AuthReads: true, Logger: log})
	for _, r := range authRoutes() {
		for _, hdr := range []map[string]string{
			{"Authorization": "Bearer " + key1},
			{"X-API-Key": key1},
			{"Authorization": "Bearer " + key2}, // a wrong key is not logged either
		} {
			c := r.c
			c.header = hdr
			serve(t, h, c)
		}
	}
	if logs.Len() == 0 {
		t.Fatal("no log lines at all: the test would prove nothing")
	}
	for _, k := range []string{key1, key2} {
		if strings.Contains(logs.String(), k) {
			t.Errorf("the log holds API key %q:\n%s", k, logs.String())
		}
	}
}

func TestParseAPIKeys(t *testing.T) {
	for _, tc := range []struct {
		name    string
		file    string
		want    []string
		wantErr string
	}{
		{name: "empty"},
		{name: "keys, comments and blank lines",
			file: "# keys for the importers\n" + key1 + "\n\n   # indented comment\n  " + key2 + "  \r\n",
			want: []string{key1, key2}},
		{name: "no trailing newline", file: key1, want: []string{key1}},
		{name: "too short", file: "# c\nshort\n", wantErr: "line 2: the key is 5 characters long"},
		{name: "inner space", file: "abcd efgh ijkl\n", wantErr: "line 1: the key holds white space"},
		{name: "control character", file: "abcdefgh\x00ijkl\n", wantErr: "line 1: the key holds white space or a control character at byte 8"},
		{name: "line too long", file: strings.Repeat("k", maxKeyLine+1), wantErr: "after line 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseAPIKeys(strings.NewReader(tc.file))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "abcd") || strings.Contains(err.Error(), "short\"") {
					t.Errorf("the error quotes the key: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("keys %q, want %q", got, tc.want)
			}
		})
	}
}

func TestLoadAPIKeys(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "keys")
	if err := os.WriteFile(file, []byte("# one key\n"+key2+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := LoadAPIKeys(" "+key1+" ,, ", file)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, "|") != key1+"|"+key2 {
		t.Errorf("keys %q, want [%s %s]", got, key1, key2)
	}
	if _, err := LoadAPIKeys("", filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("a missing file: error %v, want one naming it", err)
	}
	if _, err := LoadAPIKeys(key1+",tiny", ""); err == nil || !strings.Contains(err.Error(), "API key 2 of the list") {
		t.Errorf("a short key in the list: error %v, want one saying which", err)
	}
	if got, err := LoadAPIKeys("", ""); err != nil || len(got) != 0 {
		t.Errorf("no keys: %q, %v; want none and no error", got, err)
	}
}

func TestKeyring(t *testing.T) {
	ring := newKeyring([]string{key1, "", key2})
	if len(ring.sums) != 2 {
		t.Fatalf("%d digests, want 2 (the empty key is dropped)", len(ring.sums))
	}
	for _, tc := range []struct {
		key  string
		want bool
	}{{key1, true}, {key2, true}, {"", false}, {key1 + key2, false}, {strings.ToUpper(key1), false}} {
		if got := ring.valid(tc.key); got != tc.want {
			t.Errorf("valid(%q) = %v, want %v", tc.key, got, tc.want)
		}
	}
	if newKeyring(nil).enabled() {
		t.Error("a keyring without keys is enabled")
	}
}

// FuzzParseAPIKeys: never a panic; every key returned is trimmed, long
// enough, free of white space, and appears on a line of its own.
func FuzzParseAPIKeys(f *testing.F) {
	f.Add("# comment\n" + key1 + "\n\n" + key2 + "\r\n")
	f.Add("short\n")
	f.Add("  spaced-key-123  \n#x")
	f.Fuzz(func(t *testing.T, in string) {
		keys, err := ParseAPIKeys(strings.NewReader(in))
		if err != nil {
			return
		}
		lines := map[string]bool{}
		for _, l := range strings.Split(in, "\n") {
			lines[strings.TrimSpace(l)] = true
		}
		for _, k := range keys {
			if checkKey(k) != nil || !lines[k] || strings.HasPrefix(k, "#") {
				t.Fatalf("ParseAPIKeys(%q) returned the key %q", in, k)
			}
		}
	})
}
