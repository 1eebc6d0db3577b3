package uselite

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"math"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/recommend-dev/recommend/embeddings"
)

func maxAbsDiff(a, b []float32) float64 {
	d := 0.0
	for i := range a {
		d = max(d, math.Abs(float64(a[i]-b[i])))
	}
	return d
}

func checkUnit(t *testing.T, name string, v []float32) {
	t.Helper()
	if len(v) != Dimensions {
		t.Fatalf("%s: %d dimensions, want %d", name, len(v), Dimensions)
	}
	var s float64
	for _, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			t.Fatalf("%s: non-finite component %g", name, x)
		}
		s += float64(x) * float64(x)
	}
	if math.Abs(s-1) > 1e-5 {
		t.Fatalf("%s: squared norm %g, want 1", name, s)
	}
}

func TestEncoderIdentity(t *testing.T) {
	e := encoder(t)
	var _ embeddings.Embedder = e
	var _ embeddings.TokenCounter = e
	if got := e.Model(); got != "use-lite" {
		t.Errorf("Model() = %q, want use-lite", got)
	}
	if got := e.Dimensions(); got != 512 {
		t.Errorf("Dimensions() = %d, want 512", got)
	}
	a, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := Default(); a != b {
		t.Error("Default returned two different encoders")
	}
}

// TestEmbedShortTextAsIs checks that a text of at most MaxPieces pieces is
// embedded as the model sees it, like EmbedTruncated (and so the fixture).
func TestEmbedShortTextAsIs(t *testing.T) {
	e := encoder(t)
	ctx := context.Background()
	texts := []string{"spiking neural networks", "a", strings.Repeat("word ", MaxPieces-1) + "word"}
	if n := e.CountTokens(texts[2]); n != MaxPieces {
		t.Fatalf("test text has %d pieces, want %d", n, MaxPieces)
	}
	got, err := e.Embed(ctx, texts)
	if err != nil {
		t.Fatal(err)
	}
	want, err := e.EmbedTruncated(ctx, texts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range texts {
		if d := maxAbsDiff(got[i], want[i]); d != 0 {
			t.Errorf("%.30q: Embed and EmbedTruncated differ by %g", texts[i], d)
		}
	}
}

// TestEmbedLongTextAveragesWindows recomputes a long text's vector window by
// window, each on its own, and compares with Embed, which stacks them.
func TestEmbedLongTextAveragesWindows(t *testing.T) {
	e := encoder(t)
	text := longAbstracts(t)[0]
	ps, sym := e.tok.tokenize(text)
	ws := windows(ps, sym)
	if len(ws) < 3 {
		t.Fatalf("test text has only %d windows", len(ws))
	}
	want := make([]float32, Dimensions)
	w := new(workspace)
	v := make([]float32, Dimensions)
	for _, win := range ws {
		ids := make([]int32, 0, win.end-win.start)
		for _, p := range ps[win.start:win.end] {
			ids = append(ids, p.id)
		}
		e.md.forward(e.be, w, [][]int32{ids}, v)
		for j := range want {
			want[j] += float32(len(ids)) * v[j]
		}
	}
	l2normalize(want)
	got, err := e.Embed(context.Background(), []string{text})
	if err != nil {
		t.Fatal(err)
	}
	checkUnit(t, "long text", got[0])
	if c := cosine(got[0], want); c < 0.99999 {
		t.Errorf("cosine(Embed, weighted mean of windows) = %.7f, want ≈ 1", c)
	}
	trunc, err := e.EmbedTruncated(context.Background(), []string{text})
	if err != nil {
		t.Fatal(err)
	}
	if c := cosine(got[0], trunc[0]); c > 0.999 {
		t.Errorf("cosine(Embed, EmbedTruncated) = %.5f for a %d-piece text; the windows after the first seem unused", c, len(ps))
	}
}

// TestEmbedBatchInvariance checks that a text's vector does not depend on
// the other texts of the call or on how the windows are batched.
func TestEmbedBatchInvariance(t *testing.T) {
	e := encoder(t)
	ctx := context.Background()
	texts := []string{"", "brain-inspired low-power hardware", longAbstracts(t)[1], "   ", "UPPER CASE QUERY"}
	together, err := e.Embed(ctx, texts)
	if err != nil {
		t.Fatal(err)
	}
	small := *e
	small.batchPieces = MaxPieces // one window per forward pass, roughly
	split, err := small.Embed(ctx, texts)
	if err != nil {
		t.Fatal(err)
	}
	for i, text := range texts {
		alone, err := e.Embed(ctx, []string{text})
		if err != nil {
			t.Fatal(err)
		}
		checkUnit(t, text, together[i])
		if d := maxAbsDiff(together[i], alone[0]); d > 1e-5 {
			t.Errorf("%.30q: batched and alone differ by %g", text, d)
		}
		if d := maxAbsDiff(together[i], split[i]); d > 1e-5 {
			t.Errorf("%.30q: batches of %d and of %d pieces differ by %g", text, defaultBatchPieces, MaxPieces, d)
		}
	}
}

func TestSplitBatches(t *testing.T) {
	mk := func(sizes ...int) []window {
		var js []window
		for _, n := range sizes {
			js = append(js, window{ids: make([]int32, n)})
		}
		return js
	}
	many := make([]int, 40)
	for i := range many {
		many[i] = 1 + (i*37)%128
	}
	for _, tc := range []struct {
		name             string
		sizes            []int
		maxRows, streams int
		minBatches       int
	}{
		{"one window", []int{5}, 512, 2, 1},
		{"two windows, two cores", []int{128, 3}, 512, 2, 2},
		{"three windows, two cores", []int{128, 128, 128}, 512, 2, 2},
		{"one core", []int{128, 128, 128, 128, 128}, 512, 1, 2},
		{"many windows", many, 512, 2, 6},
		{"many windows, four cores", many, 512, 4, 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			jobs := mk(tc.sizes...)
			bs := splitBatches(jobs, tc.maxRows, tc.streams)
			if len(bs) < tc.minBatches {
				t.Errorf("%d batches %v, want at least %d", len(bs), bs, tc.minBatches)
			}
			next := 0
			for _, b := range bs {
				if b.start != next || b.end <= b.start {
					t.Fatalf("batches %v do not tile the %d windows", bs, len(jobs))
				}
				rows := 0
				for _, j := range jobs[b.start:b.end] {
					rows += len(j.ids)
				}
				if rows > tc.maxRows+MaxPieces {
					t.Errorf("batch %v has %d rows, want at most about %d", b, rows, tc.maxRows)
				}
				next = b.end
			}
			if next != len(jobs) {
				t.Fatalf("batches %v end at %d, want %d", bs, next, len(jobs))
			}
		})
	}
}

func TestEmbedEmptyAndWhitespace(t *testing.T) {
	e := encoder(t)
	got, err := e.Embed(context.Background(), []string{"", "   ", "\t\n"})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range got {
		checkUnit(t, []string{"empty", "spaces", "tab newline"}[i], v)
	}
	// No pieces: mean pooling gives 0, so the vector is normalise(tanh(b)).
	want := make([]float32, Dimensions)
	for j, b := range e.md.tanhBias {
		want[j] = float32(math.Tanh(float64(b)))
	}
	l2normalize(want)
	if d := maxAbsDiff(got[0], want); d > 1e-7 {
		t.Errorf("empty text differs from normalise(tanh(bias)) by %g", d)
	}
	if d := maxAbsDiff(got[0], got[1]); d < 1e-3 {
		t.Error("whitespace-only text got the empty text's vector; it has pieces")
	}
	none, err := e.Embed(context.Background(), nil)
	if err != nil || len(none) != 0 {
		t.Errorf("Embed(nil) = %d vectors, %v; want none, nil", len(none), err)
	}
}

func TestEmbedContextCanceled(t *testing.T) {
	e := encoder(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.Embed(ctx, []string{"hello"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Embed with a canceled context: err = %v, want context.Canceled", err)
	}
	// Cancel while batches are pending: run checks between batches.
	small := *e
	small.batchPieces = 1
	ctx, cancel = context.WithCancel(context.Background())
	jobs := []window{{text: 0, ids: []int32{448}, weight: 1}, {text: 0, ids: []int32{449}, weight: 1}}
	out := [][]float32{make([]float32, Dimensions)}
	cancel()
	if err := small.run(ctx, jobs, out); !errors.Is(err, context.Canceled) {
		t.Errorf("run with a canceled context: err = %v, want context.Canceled", err)
	}
}

// TestEmbedConcurrent runs Embed from several goroutines at once (the race
// detector watches) and checks the results against one goroutine's.
func TestEmbedConcurrent(t *testing.T) {
	e := encoder(t)
	ctx := context.Background()
	texts := []string{"spiking neural networks", "How do neurons operate on sparse distributed representations?", "a", "graph transformers for drug discovery"}
	want, err := e.Embed(ctx, texts)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for r := range 3 {
				i := (g + r) % len(texts)
				got, err := e.Embed(ctx, texts[i:i+1])
				if err != nil {
					t.Error(err)
					return
				}
				if d := maxAbsDiff(got[0], want[i]); d > 1e-5 {
					t.Errorf("goroutine %d: %q differs by %g from the serial result", g, texts[i], d)
				}
			}
		})
	}
	wg.Wait()
}

// TestNaiveBackendMatches checks that the benchmark baseline computes the
// same thing as the real path.
func TestNaiveBackendMatches(t *testing.T) {
	naive := naiveEncoder(t)
	e := encoder(t)
	texts := []string{"spiking neural networks", "brain-inspired low-power hardware"}
	got, err := naive.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	want, err := e.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range texts {
		if c := cosine(got[i], want[i]); c < 0.99999 {
			t.Errorf("%q: naive vs sgemm cosine %.7f", texts[i], c)
		}
	}
}

// modelFiles copies the embedded model files into a MapFS for the load
// error tests.
func modelFiles(t *testing.T) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	err := fs.WalkDir(modelFS, "model", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(modelFS, path)
		m[path] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestLoadErrors(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("loads the model several times")
	}
	good := modelFiles(t)
	if _, err := load(good, "model", false); err != nil {
		t.Fatalf("loading the copied files: %v", err)
	}
	for _, tc := range []struct {
		name   string
		change func(m fstest.MapFS)
		want   string
	}{
		{"no vocabulary", func(m fstest.MapFS) { delete(m, "model/vocab.json") }, "reading vocab.json"},
		{"vocabulary not JSON", func(m fstest.MapFS) { m["model/vocab.json"] = &fstest.MapFile{Data: []byte("[[")} }, "parsing vocab.json"},
		{"score not a number", func(m fstest.MapFS) {
			m["model/vocab.json"] = &fstest.MapFile{Data: []byte(`[["a",0],["b",0],["c",0],["d",0],["e",0],["f",0],["g","x"]]`)}
		}, "score is not a number"},
		{"no manifest", func(m fstest.MapFS) { m["model/model.json"] = &fstest.MapFile{Data: []byte(`{}`)} }, "no weightsManifest"},
		{"missing shard", func(m fstest.MapFS) { delete(m, "model/group1-shard3of7") }, "opening weight shard"},
		{"short shard", func(m fstest.MapFS) {
			d := m["model/group1-shard7of7"].Data
			m["model/group1-shard7of7"] = &fstest.MapFile{Data: d[:len(d)-8]}
		}, "shards end early"},
		{"long shard", func(m fstest.MapFS) {
			d := m["model/group1-shard7of7"].Data
			m["model/group1-shard7of7"] = &fstest.MapFile{Data: append(bytes.Clone(d), 0, 0, 0, 0)}
		}, "more bytes than the manifest"},
		{"wrong shape", func(m fstest.MapFS) {
			var doc map[string]any
			if err := json.Unmarshal(m["model/model.json"].Data, &doc); err != nil {
				t.Fatal(err)
			}
			for _, g := range doc["weightsManifest"].([]any) {
				for _, w := range g.(map[string]any)["weights"].([]any) {
					if w := w.(map[string]any); w["name"] == "module/Embeddings_en" {
						w["shape"] = []int{256, 8002}
					}
				}
			}
			d, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			m["model/model.json"] = &fstest.MapFile{Data: d}
		}, `"module/Embeddings_en" has shape [256 8002]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := fstest.MapFS{}
			for k, v := range good {
				m[k] = &fstest.MapFile{Data: v.Data}
			}
			tc.change(m)
			_, err := load(m, "model", false)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("load: err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestLoadFootprint checks the heap a loaded encoder keeps (the weights,
// packed, and the vocabulary), which must stay well under 100 MB, and logs
// the load time and the process's resident memory.
func TestLoadFootprint(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	e, err := New()
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&after)
	heap := float64(int64(after.HeapInuse)-int64(before.HeapInuse)) / (1 << 20)
	runtime.KeepAlive(e)
	if heap > 60 {
		t.Errorf("a loaded encoder keeps %.1f MB of heap, want under 60 MB (the weights are 28 MB)", heap)
	}
	rss := "unknown"
	if status, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(status), "\n") {
			if strings.HasPrefix(line, "VmRSS:") {
				rss = strings.TrimSpace(strings.TrimPrefix(line, "VmRSS:"))
			}
		}
	}
	t.Logf("New took %v; heap kept %.1f MB; process RSS now %s", took, heap, rss)
}

// TestReadWeightsPortablePath checks that the byte-by-byte decoding used on
// big-endian machines gives the same weights as the in-place read.
func TestReadWeightsPortablePath(t *testing.T) {
	if !littleEndian {
		t.Skip("this machine only has the portable path")
	}
	fast, err := readWeights(modelFS, "model")
	if err != nil {
		t.Fatal(err)
	}
	littleEndian = false
	slow, err := readWeights(modelFS, "model")
	littleEndian = true
	if err != nil {
		t.Fatal(err)
	}
	if len(fast) != len(slow) {
		t.Fatalf("%d weights in place, %d decoded", len(fast), len(slow))
	}
	for name, a := range fast {
		b := slow[name]
		for i := range a.data {
			if math.Float32bits(a.data[i]) != math.Float32bits(b.data[i]) {
				t.Fatalf("%s[%d]: %g in place, %g decoded", name, i, a.data[i], b.data[i])
			}
		}
	}
}
