package synth

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"net/http"
	"strings"
	"unicode"
)

// EmbeddingsModel is the model name the fake embeddings server reports
// when a request names none.
const EmbeddingsModel = "synth-hash-embed"

// maxEmbeddingInputs is the most inputs one request may carry, as OpenAI.
const maxEmbeddingInputs = 2048

// maxEmbeddingBody caps a request body.
const maxEmbeddingBody = 32 << 20

// NewEmbeddingsHandler returns a fake OpenAI-compatible embeddings server:
// POST /v1/embeddings (any path ending in /embeddings) answers with one
// deterministic unit vector of dims floats per input. The vector of a text
// is a feature-hashed bag of its lower-cased words (each word adds ±1 to a
// few hashed coordinates), so equal texts get equal vectors and texts that
// share words get similar ones; it costs a few microseconds per text, so
// import benchmarks measure the importer, not the embedder. Both
// encoding_format "float" and "base64" (little-endian float32) are served;
// a "dimensions" other than dims is a 400, as are token-array inputs.
func NewEmbeddingsHandler(dims int) http.Handler {
	if dims <= 0 {
		dims = 512
	}
	return &embedHandler{dims: dims}
}

type embedHandler struct{ dims int }

type embedRequest struct {
	Input          json.RawMessage `json:"input"`
	Model          string          `json:"model"`
	EncodingFormat string          `json:"encoding_format"`
	Dimensions     *int            `json:"dimensions"`
}

type embedDatum struct {
	Object    string `json:"object"`
	Index     int    `json:"index"`
	Embedding any    `json:"embedding"`
}

type embedResponse struct {
	Object string       `json:"object"`
	Data   []embedDatum `json:"data"`
	Model  string       `json:"model"`
	Usage  struct {
		PromptTokens int `json:"prompt_tokens"`
		TotalTokens  int `json:"total_tokens"`
	} `json:"usage"`
}

func (h *embedHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasSuffix(r.URL.Path, "/embeddings") {
		writeError(w, http.StatusNotFound, "not_found", "path", fmt.Sprintf("no route for %s", r.URL.Path))
		return
	}
	if r.Method != http.MethodPost {
		writeError(w, http.StatusMethodNotAllowed, "invalid_request_error", "method", "use POST")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxEmbeddingBody+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "body", "reading the body: "+err.Error())
		return
	}
	if len(body) > maxEmbeddingBody {
		writeError(w, http.StatusRequestEntityTooLarge, "invalid_request_error", "body", fmt.Sprintf("body is larger than %d bytes", maxEmbeddingBody))
		return
	}
	var req embedRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "body", "body is not a valid embeddings request: "+err.Error())
		return
	}
	inputs, msg := parseInputs(req.Input)
	if msg != "" {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "input", msg)
		return
	}
	if req.Dimensions != nil && *req.Dimensions != h.dims {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "dimensions", fmt.Sprintf("this model has %d dimensions, not %d", h.dims, *req.Dimensions))
		return
	}
	b64 := false
	switch req.EncodingFormat {
	case "", "float":
	case "base64":
		b64 = true
	default:
		writeError(w, http.StatusBadRequest, "invalid_request_error", "encoding_format", fmt.Sprintf("encoding_format must be float or base64, not %q", req.EncodingFormat))
		return
	}
	resp := embedResponse{Object: "list", Model: req.Model, Data: make([]embedDatum, len(inputs))}
	if resp.Model == "" {
		resp.Model = EmbeddingsModel
	}
	vec := make([]float32, h.dims)
	for i, in := range inputs {
		resp.Usage.PromptTokens += HashEmbed(in, vec)
		var e any
		if b64 {
			buf := make([]byte, 4*len(vec))
			for k, f := range vec {
				binary.LittleEndian.PutUint32(buf[4*k:], math.Float32bits(f))
			}
			e = base64.StdEncoding.EncodeToString(buf)
		} else {
			e = append([]float32(nil), vec...)
		}
		resp.Data[i] = embedDatum{Object: "embedding", Index: i, Embedding: e}
	}
	resp.Usage.TotalTokens = resp.Usage.PromptTokens
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}

// parseInputs accepts a string or an array of strings.
func parseInputs(raw json.RawMessage) ([]string, string) {
	if len(raw) == 0 {
		return nil, "input is required"
	}
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}, ""
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, "input must be a string or an array of strings (token arrays are not supported)"
	}
	if len(many) == 0 {
		return nil, "input must not be empty"
	}
	if len(many) > maxEmbeddingInputs {
		return nil, fmt.Sprintf("input has %d items, at most %d are allowed", len(many), maxEmbeddingInputs)
	}
	return many, ""
}

func writeError(w http.ResponseWriter, status int, typ, param, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"message": msg, "type": typ, "param": param, "code": nil,
	}})
}

// hashesPerWord is how many coordinates each word touches.
const hashesPerWord = 8

// HashEmbed writes the fake embedding of text into vec (unit length) and
// returns the number of words, the server's token count. A text without
// words gets a vector derived from its whole bytes.
func HashEmbed(text string, vec []float32) int {
	clear(vec)
	words := 0
	for w := range strings.FieldsFuncSeq(text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		words++
		addHashed(strings.ToLower(w), vec)
	}
	if words == 0 {
		addHashed("\x00"+text, vec)
	}
	var ss float64
	for _, f := range vec {
		ss += float64(f) * float64(f)
	}
	if ss == 0 { // words whose hashes cancel exactly; practically never
		vec[0], ss = 1, 1
	}
	inv := float32(1 / math.Sqrt(ss))
	for i := range vec {
		vec[i] *= inv
	}
	return words
}

func addHashed(word string, vec []float32) {
	f := fnv.New64a()
	_, _ = f.Write([]byte(word))
	x := f.Sum64()
	n := uint64(len(vec))
	for range hashesPerWord {
		x = splitmix(x)
		sign := float32(1)
		if x>>63 == 1 {
			sign = -1
		}
		vec[(x&0x7fffffffffffffff)%n] += sign
	}
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	z := x
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
