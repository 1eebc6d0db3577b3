package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	fileKey = "file-key-5f2b9c1d7e"
	envKey  = "env-key-0a8d3e6b44"
)

// API keys from a file and from RECOMMEND_API_KEYS guard writes through the
// real binary; with --auth-reads they guard everything but health checks
// and the page; no key ever reaches the log.
func TestE2EAuth(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(keyFile, []byte("# the importer's key\n"+fileKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("RECOMMEND_API_KEYS", envKey)
	for _, mode := range []struct {
		name      string
		authReads bool
	}{{"writes", false}, {"everything", true}} {
		t.Run(mode.name, func(t *testing.T) {
			flags := []string{"--api-keys-file", keyFile}
			if mode.authReads {
				flags = append(flags, "--auth-reads")
			}
			s := startService(t, t.TempDir(), flags...)
			var list struct {
				Data []struct{ ID string } `json:"data"`
			}
			if a := request(t, "GET", s.URL+"/v1/papers?limit=1", bearer(envKey), nil); a.status != 200 || json.Unmarshal(a.body, &list) != nil || len(list.Data) == 0 {
				t.Fatalf("list papers with a key: %d %.200s", a.status, a.body)
			}
			id := url.PathEscape(list.Data[0].ID)
			readNoKey, readWrongKey := 200, 200 // reads are open...
			if mode.authReads {
				readNoKey, readWrongKey = 401, 403 // ...unless --auth-reads
			}
			for _, tc := range []struct {
				name   string
				method string
				path   string
				body   any
				header map[string]string
				want   int
			}{
				{"add without a key", "POST", "/v1/papers", testPapersN("auth", 1)[0], nil, 401},
				{"add with a wrong key", "POST", "/v1/papers", testPapersN("auth", 1)[0], bearer("not-the-key-000"), 403},
				{"add with the file's key", "POST", "/v1/papers", testPapersN("auth", 1)[0], bearer(fileKey), 200},
				{"delete without a key", "DELETE", "/v1/papers/auth:0000", nil, nil, 401},
				{"delete with the env key as X-API-Key", "DELETE", "/v1/papers/auth:0000", nil, map[string]string{"X-API-Key": envKey}, 200},
				{"backup without a key", "GET", "/v1/admin/backup", nil, nil, 401},
				{"search without a key", "GET", "/v1/search?q=neurons", nil, nil, readNoKey},
				{"search with a wrong key", "GET", "/v1/search?q=neurons", nil, bearer("not-the-key-000"), readWrongKey},
				{"search with a key", "GET", "/v1/search?q=neurons", nil, bearer(envKey), 200},
				{"related without a key", "GET", "/v1/papers/" + id + "/related", nil, nil, readNoKey},
				{"metrics without a key", "GET", "/metrics", nil, nil, readNoKey},
				{"metrics with a key", "GET", "/metrics", nil, bearer(fileKey), 200},
				{"healthz without a key", "GET", "/healthz", nil, nil, 200},
				{"readyz without a key", "GET", "/readyz", nil, nil, 200},
				{"the page without a key", "GET", "/", nil, nil, 200},
			} {
				a := request(t, tc.method, s.URL+tc.path, tc.header, tc.body)
				if a.status != tc.want {
					t.Errorf("%s: %s %s: status %d, want %d; body %.200s", tc.name, tc.method, tc.path, a.status, tc.want, a.body)
					continue
				}
				if tc.want == 401 || tc.want == 403 {
					e := a.errorBody(t)
					if want := map[int]string{401: "unauthorized", 403: "forbidden"}[tc.want]; e.Code != want {
						t.Errorf("%s: error code %q, want %q", tc.name, e.Code, want)
					}
				}
			}
			s.stop()
			logs := s.logs.String()
			if !strings.Contains(logs, `"msg":"API keys required","keys":2`) {
				t.Errorf("the log does not say that 2 keys guard the API:\n%s", logs)
			}
			for _, k := range []string{fileKey, envKey, "not-the-key-000"} {
				if strings.Contains(logs, k) {
					t.Errorf("the log holds the key %q", k)
				}
			}
		})
	}
}

func TestE2EAuthFlagErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(bad, []byte("good-key-123456789\ntiny\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"auth-reads without keys", []string{"--auth-reads"}, "--auth-reads needs API keys"},
		{"short key in the file", []string{"--api-keys-file", bad}, "line 2: the key is 4 characters long"},
		{"missing key file", []string{"--api-keys-file", bad + ".missing"}, "no such file"},
		{"negative rate", []string{"--rate-limit", "-1"}, "must not be negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir()}, tc.args...)
			_, errOut, code := runBinary(t, args...)
			if code != 2 || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit 2 and %q", code, errOut, tc.want)
			}
			if strings.Contains(errOut, "tiny") {
				t.Errorf("the error repeats the key: %s", errOut)
			}
		})
	}
}

// Listening beyond loopback without keys is warned about; with keys, or on
// loopback, it is not.
func TestLogSecurity(t *testing.T) {
	for _, tc := range []struct {
		addr     string
		keys     int
		wantWarn bool
	}{
		{"127.0.0.1:8080", 0, false},
		{"[::1]:8080", 0, false},
		{"localhost:8080", 0, false},
		{"0.0.0.0:8080", 0, true},
		{"[::]:8080", 0, true},
		{"192.168.1.5:80", 0, true},
		{":8080", 0, true},
		{"0.0.0.0:8080", 2, false},
	} {
		var buf bytes.Buffer
		log := slog.New(slog.NewTextHandler(&buf, nil))
		(&opsFlags{}).logSecurity(log, tc.addr, tc.keys)
		warned := strings.Contains(buf.String(), "level=WARN")
		if warned != tc.wantWarn {
			t.Errorf("addr %s, %d keys: warned %v, want %v: %s", tc.addr, tc.keys, warned, tc.wantWarn, buf.String())
		}
	}
}
