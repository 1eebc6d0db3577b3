package synth

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type testResponse struct {
	Object string `json:"object"`
	Data   []struct {
		Object    string          `json:"object"`
		Index     int             `json:"index"`
		Embedding json.RawMessage `json:"embedding"`
	} `json:"data"`
	Model string `json:"model"`
	Usage struct {
		PromptTokens int `json:"prompt_tokens"`
		TotalTokens  int `json:"total_tokens"`
	} `json:"usage"`
	Error *struct {
		Message string `json:"message"`
		Type    string `json:"type"`
		Param   string `json:"param"`
	} `json:"error"`
}

func post(t *testing.T, h http.Handler, path, body string) (int, testResponse) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, strings.NewReader(body)))
	var r testResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		t.Fatalf("%s %s: response is not JSON: %v: %s", path, body, err, rec.Body.String())
	}
	return rec.Code, r
}

func decode(t *testing.T, raw json.RawMessage) []float32 {
	t.Helper()
	var f []float32
	if err := json.Unmarshal(raw, &f); err == nil {
		return f
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("embedding is neither floats nor base64: %s", raw)
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b)%4 != 0 {
		t.Fatalf("bad base64 embedding: %v", err)
	}
	f = make([]float32, len(b)/4)
	for i := range f {
		f[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return f
}

func TestEmbeddingsHandler(t *testing.T) {
	const dims = 96
	h := NewEmbeddingsHandler(dims)
	code, r := post(t, h, "/v1/embeddings", `{"input":["graph neural networks for molecules","Graph neural networks, for molecules!","a survey of protein folding"],"model":"m1"}`)
	if code != http.StatusOK || len(r.Data) != 3 || r.Model != "m1" || r.Object != "list" {
		t.Fatalf("status %d, %d vectors, model %q, object %q; want 200, 3, m1, list", code, len(r.Data), r.Model, r.Object)
	}
	if r.Usage.PromptTokens != 15 || r.Usage.TotalTokens != 15 {
		t.Errorf("usage = %+v, want 15 prompt and total tokens", r.Usage)
	}
	vs := make([][]float32, 3)
	for i, d := range r.Data {
		if d.Index != i || d.Object != "embedding" {
			t.Errorf("datum %d: index %d object %q", i, d.Index, d.Object)
		}
		vs[i] = decode(t, d.Embedding)
		if len(vs[i]) != dims {
			t.Fatalf("vector %d has %d dims, want %d", i, len(vs[i]), dims)
		}
		if n := math.Sqrt(dot(vs[i], vs[i])); math.Abs(n-1) > 1e-5 {
			t.Errorf("vector %d has norm %v", i, n)
		}
	}
	if s := dot(vs[0], vs[1]); s < 0.9999 {
		t.Errorf("same words, different case and punctuation: similarity %v, want 1", s)
	}
	if s := dot(vs[0], vs[2]); s > 0.5 {
		t.Errorf("unrelated texts: similarity %v", s)
	}
	// base64 carries the same floats; a single string input works.
	code, r64 := post(t, h, "/v1/embeddings", `{"input":"graph neural networks for molecules","encoding_format":"base64","dimensions":96}`)
	if code != http.StatusOK || len(r64.Data) != 1 {
		t.Fatalf("base64: status %d, %d vectors", code, len(r64.Data))
	}
	if got := decode(t, r64.Data[0].Embedding); !equalF32(got, vs[0]) {
		t.Error("base64 vector differs from the float one")
	}
	if r64.Model != EmbeddingsModel {
		t.Errorf("model = %q, want %q", r64.Model, EmbeddingsModel)
	}
}

func equalF32(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestEmbeddingsHandlerErrors(t *testing.T) {
	h := NewEmbeddingsHandler(8)
	many, _ := json.Marshal(map[string]any{"input": make([]string, 2049)})
	for _, tc := range []struct {
		name, path, body string
		status           int
		param            string
	}{
		{"not json", "/v1/embeddings", `{`, 400, "body"},
		{"no input", "/v1/embeddings", `{"model":"x"}`, 400, "input"},
		{"tokens", "/v1/embeddings", `{"input":[1,2,3]}`, 400, "input"},
		{"token arrays", "/v1/embeddings", `{"input":[[1,2],[3]]}`, 400, "input"},
		{"empty array", "/v1/embeddings", `{"input":[]}`, 400, "input"},
		{"too many", "/v1/embeddings", string(many), 400, "input"},
		{"dimensions", "/v1/embeddings", `{"input":"a","dimensions":9}`, 400, "dimensions"},
		{"format", "/v1/embeddings", `{"input":"a","encoding_format":"int8"}`, 400, "encoding_format"},
		{"path", "/v1/chat", `{"input":"a"}`, 404, "path"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, r := post(t, h, tc.path, tc.body)
			if code != tc.status || r.Error == nil || r.Error.Param != tc.param || r.Error.Message == "" {
				t.Errorf("got status %d error %+v, want %d with param %q", code, r.Error, tc.status, tc.param)
			}
		})
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/embeddings", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET: status %d, want 405", rec.Code)
	}
}

// FuzzEmbeddingsHandler posts arbitrary bodies: the server answers 200 with
// one unit vector per input or a 4xx with an error, never anything else.
func FuzzEmbeddingsHandler(f *testing.F) {
	f.Add(`{"input":"hello world"}`)
	f.Add(`{"input":["a","b"],"encoding_format":"base64"}`)
	f.Add(`{"input":[""]}`)
	f.Add(`{"input":null}`)
	f.Add(`[]`)
	h := NewEmbeddingsHandler(16)
	f.Fuzz(func(t *testing.T, body string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/embeddings", bytes.NewReader([]byte(body))))
		var r testResponse
		if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
			t.Fatalf("response is not JSON: %s", rec.Body.String())
		}
		switch {
		case rec.Code == http.StatusOK:
			if len(r.Data) == 0 {
				t.Fatal("200 without vectors")
			}
			for _, d := range r.Data {
				v := decode(t, d.Embedding)
				if n := math.Sqrt(dot(v, v)); len(v) != 16 || math.Abs(n-1) > 1e-5 {
					t.Fatalf("bad vector: %d dims, norm %v", len(v), n)
				}
			}
		case rec.Code >= 400 && rec.Code < 500:
			if r.Error == nil || r.Error.Message == "" {
				t.Fatalf("status %d without an error message", rec.Code)
			}
		default:
			t.Fatalf("status %d", rec.Code)
		}
	})
}

func BenchmarkEmbeddingsHandler(b *testing.B) {
	c := New(Config{N: 100, Dims: 512, Seed: 1})
	texts := make([]string, 100)
	for i := range texts {
		texts[i] = c.Paper(i).Text()
	}
	body, _ := json.Marshal(map[string]any{"input": texts, "encoding_format": "base64"})
	h := NewEmbeddingsHandler(512)
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/embeddings", bytes.NewReader(body)))
		if rec.Code != 200 {
			b.Fatal(rec.Body.String())
		}
	}
	b.ReportMetric(float64(len(texts)*b.N)/b.Elapsed().Seconds(), "texts/s")
}

// TestEmbeddingsServerOverHTTP serves the handler on a loopback port and
// posts to it with a plain HTTP client.
func TestEmbeddingsServerOverHTTP(t *testing.T) {
	srv := httptest.NewServer(NewEmbeddingsHandler(32))
	defer srv.Close()
	resp, err := srv.Client().Post(srv.URL+"/v1/embeddings", "application/json", strings.NewReader(`{"input":["x y","z"],"encoding_format":"base64"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r testResponse
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || len(r.Data) != 2 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, %d vectors, content type %q", resp.StatusCode, len(r.Data), resp.Header.Get("Content-Type"))
	}
	want := make([]float32, 32)
	HashEmbed("z", want)
	if got := decode(t, r.Data[1].Embedding); !equalF32(got, want) {
		t.Errorf("vector of %q over HTTP differs from HashEmbed", "z")
	}
}
