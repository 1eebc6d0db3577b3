package uselite

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/recommend-dev/recommend/embeddings"
)

const (
	// ModelName is what Encoder.Model reports.
	ModelName = "use-lite"
	// Dimensions is the length of every vector.
	Dimensions = modelWidth
	// MaxPieces is the most pieces the model sees at once; longer texts are
	// embedded in windows (see the package documentation).
	MaxPieces = 128
)

// defaultBatchPieces bounds the rows of one forward pass (the pieces of the
// windows stacked into one matrix), and so the workspace memory: about
// 19.5 KB per row (4,864 floats), 10 MB at 512 rows, per core.
const defaultBatchPieces = 512

// Encoder is Universal Sentence Encoder Lite. It implements
// embeddings.Embedder and embeddings.TokenCounter and is safe for concurrent
// use; the weights are read-only and each call takes its own scratch memory
// from a pool.
type Encoder struct {
	tok         *tokenizer
	md          *model
	be          backend
	batchPieces int
	streams     int // forward passes run side by side; 0 means GOMAXPROCS
}

var (
	_ embeddings.Embedder     = (*Encoder)(nil)
	_ embeddings.TokenCounter = (*Encoder)(nil)
)

// New loads the encoder from the files embedded in the binary (about 28 MB
// of float32 weights, decoded into memory of the same size). Loading takes
// tens of milliseconds; programs that need one encoder should share it, see
// Default.
func New() (*Encoder, error) {
	return load(modelFS, "model", false)
}

var defaultEncoder = sync.OnceValues(New)

// Default returns a process-wide Encoder, loading it on first use.
func Default() (*Encoder, error) {
	return defaultEncoder()
}

// load reads vocab.json, model.json and the weight shards from dir in fsys.
// keepPlain keeps unpacked weights too, for the naive benchmark backend.
func load(fsys fs.FS, dir string, keepPlain bool) (*Encoder, error) {
	start := time.Now()
	// Build the tokenizer while the weights are read.
	type tokResult struct {
		tok *tokenizer
		err error
	}
	tokc := make(chan tokResult, 1)
	go func() {
		vocab, err := fs.ReadFile(fsys, dir+"/vocab.json")
		if err != nil {
			tokc <- tokResult{err: fmt.Errorf("uselite: reading vocab.json: %w", err)}
			return
		}
		tok, err := newTokenizer(vocab)
		tokc <- tokResult{tok, err}
	}()
	ws, err := readWeights(fsys, dir)
	tr := <-tokc
	if tr.err != nil {
		return nil, tr.err
	}
	if err != nil {
		return nil, err
	}
	tok := tr.tok
	if len(tok.pieces) > vocabRows {
		return nil, fmt.Errorf("uselite: vocab.json has %d pieces but the embedding table only %d rows", len(tok.pieces), vocabRows)
	}
	md, err := newModel(ws, keepPlain)
	if err != nil {
		return nil, err
	}
	slog.Debug("uselite: model loaded", "took", time.Since(start), "pieces", len(tok.pieces))
	return &Encoder{tok: tok, md: md, be: fastBackend, batchPieces: defaultBatchPieces}, nil
}

// Model returns "use-lite".
func (e *Encoder) Model() string { return ModelName }

// Dimensions returns 512.
func (e *Encoder) Dimensions() int { return Dimensions }

// CountTokens returns the number of SentencePiece pieces of text (all of
// them, also beyond MaxPieces).
func (e *Encoder) CountTokens(text string) int {
	ps, _ := e.tok.tokenize(text)
	return len(ps)
}

// Tokenize returns the vocabulary ids of text's pieces, exactly as the
// model's own JavaScript tokenizer produces them. Id 0 stands for a run of
// characters the vocabulary does not cover.
func (e *Encoder) Tokenize(text string) []int {
	ps, _ := e.tok.tokenize(text)
	out := make([]int, len(ps))
	for i, p := range ps {
		out[i] = int(p.id)
	}
	return out
}

// Pieces returns the text of each of text's pieces, after NFKC
// normalisation, with "▁" for spaces and word starts; an unknown piece
// (id 0) shows the characters it stands for.
func (e *Encoder) Pieces(text string) []string {
	ps, sym := e.tok.tokenize(text)
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = string(sym[p.start:p.end])
	}
	return out
}

// Embed returns one L2-normalised 512-d vector per text. A text of up to
// MaxPieces pieces is embedded as the model sees it; a longer one in
// windows whose vectors are averaged weighted by their piece counts (see the
// package documentation). An empty text gets the model's output for no
// pieces. The only error is ctx's.
func (e *Encoder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	return e.embed(ctx, texts, false)
}

// EmbedTruncated returns one vector per text computed from its first
// MaxPieces pieces only, ignoring the rest, which is what the original
// TensorFlow.js package does with long texts. Use it to compare with
// vectors made by that package; Embed is better for long documents.
func (e *Encoder) EmbedTruncated(ctx context.Context, texts []string) ([][]float32, error) {
	return e.embed(ctx, texts, true)
}

// window is one sequence of at most MaxPieces ids to run through the model,
// and where its vector goes.
type window struct {
	text   int
	ids    []int32
	weight float32
}

func (e *Encoder) embed(ctx context.Context, texts []string, truncate bool) ([][]float32, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([][]float32, len(texts))
	backing := make([]float32, len(texts)*Dimensions)
	multi := make([]bool, len(texts))
	var jobs []window
	for i, t := range texts {
		out[i] = backing[i*Dimensions : (i+1)*Dimensions : (i+1)*Dimensions]
		ps, sym := e.tok.tokenize(t)
		if len(ps) == 0 {
			copy(out[i], e.md.empty)
			continue
		}
		ids := make([]int32, len(ps))
		for k, p := range ps {
			ids[k] = p.id
		}
		if truncate || len(ps) <= MaxPieces {
			jobs = append(jobs, window{text: i, ids: ids[:min(len(ids), MaxPieces)], weight: 1})
			continue
		}
		multi[i] = true
		for _, w := range windows(ps, sym) {
			jobs = append(jobs, window{text: i, ids: ids[w.start:w.end], weight: float32(w.end - w.start)})
		}
	}
	if err := e.run(ctx, jobs, out); err != nil {
		return nil, err
	}
	for i, v := range out {
		if multi[i] {
			l2normalize(v)
		}
	}
	return out, nil
}

// run embeds the windows and adds weight × vector to out[window.text].
//
// The windows are cut into batches of consecutive windows, each stacked into
// one forward pass of at most about e.batchPieces rows. With several cores
// and several windows there are at least as many batches as cores, and that
// many goroutines run batches side by side: independent streams keep the
// cores busy better than splitting every operation of a single pass, which
// waits for the slowest core at each step (the passes still split their
// large products and attention heads, which helps when one batch is left).
// Vectors are summed into out in window order, so results do not depend on
// scheduling.
func (e *Encoder) run(ctx context.Context, jobs []window, out [][]float32) error {
	if len(jobs) == 0 {
		return nil
	}
	streams := 1
	if e.be.parallel {
		streams = runtime.GOMAXPROCS(0)
		if e.streams > 0 {
			streams = min(streams, e.streams)
		}
	}
	batches := splitBatches(jobs, e.batchPieces, streams)
	vecs := make([]float32, len(jobs)*Dimensions)
	var failed atomic.Pointer[error]
	do := func(w *workspace, b span) {
		if err := ctx.Err(); err != nil {
			failed.CompareAndSwap(nil, &err)
			return
		}
		w.seqs = w.seqs[:0]
		for _, j := range jobs[b.start:b.end] {
			w.seqs = append(w.seqs, j.ids)
		}
		e.md.forward(e.be, w, w.seqs, vecs[b.start*Dimensions:b.end*Dimensions])
	}
	if workers := min(streams, len(batches)); workers <= 1 {
		w := workspaces.Get().(*workspace)
		for _, b := range batches {
			if do(w, b); failed.Load() != nil {
				break
			}
		}
		workspaces.Put(w)
	} else {
		var next atomic.Int64
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				w := workspaces.Get().(*workspace)
				defer workspaces.Put(w)
				for failed.Load() == nil {
					i := int(next.Add(1)) - 1
					if i >= len(batches) {
						return
					}
					do(w, batches[i])
				}
			})
		}
		wg.Wait()
	}
	if err := failed.Load(); err != nil {
		return *err
	}
	for k, j := range jobs {
		dst := out[j.text]
		for d, v := range vecs[k*Dimensions : (k+1)*Dimensions] {
			dst[d] += j.weight * v
		}
	}
	return nil
}

// splitBatches cuts jobs into ranges of consecutive windows of about equal
// piece counts: at least enough that each holds about maxRows pieces or
// fewer, and, when there are that many windows, at least streams of them
// (rounded up to a multiple of streams).
func splitBatches(jobs []window, maxRows, streams int) []span {
	total := 0
	for _, j := range jobs {
		total += len(j.ids)
	}
	n := max(1, (total+maxRows-1)/maxRows)
	if streams > 1 {
		n = max(n, min(streams, len(jobs)))
		n = (n + streams - 1) / streams * streams
	}
	n = min(n, len(jobs))
	// Window k goes to batch ⌊(rows before k + half its rows)·n / total⌋,
	// which keeps batches contiguous and their sizes near total/n.
	var out []span
	before := 0
	for k, j := range jobs {
		b := 0
		if total > 0 {
			b = min(n-1, (2*before+len(j.ids))*n/(2*total))
		}
		if len(out) == 0 || b > len(out)-1 {
			out = append(out, span{k, k + 1})
		} else {
			out[len(out)-1].end = k + 1
		}
		before += len(j.ids)
	}
	return out
}
