package uselite

import (
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/recommend-dev/recommend/embeddings/internal/sgemm"
)

// gemmFunc is the signature of sgemm.Gemm and sgemm.GemmBT.
type gemmFunc func(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool)

// backend is how the forward pass multiplies matrices and whether it runs
// attention heads on several goroutines.
type backend struct {
	gemm, gemmBT gemmFunc
	naive        bool // multiply by weights in their plain form with gemm (the benchmarks' baseline)
	parallel     bool
}

// fastBackend is the production path: sgemm for every product (it spreads
// large ones over the cores itself), weights pre-packed, and attention heads
// in parallel.
var fastBackend = backend{gemm: sgemm.Gemm, gemmBT: sgemm.GemmBT, parallel: true}

// mul computes C (+)= A·W for the m×k matrix A (row stride lda) and the
// weight W, into C with row stride ldc.
func (be backend) mul(m int, a []float32, lda int, w *dense, c []float32, ldc int, acc bool) {
	if be.naive {
		be.gemm(m, w.n, w.k, a, lda, w.w, w.n, c, ldc, acc)
		return
	}
	sgemm.GemmPacked(m, a, lda, w.packed, c, ldc, acc)
}

// workspace holds the activations of one batch; workspaces are pooled so
// that steady-state embedding allocates almost nothing.
type workspace struct {
	x0     []float32 // m × 256: layer 0 input
	h      []float32 // m × 512: layer-normed input of a block
	qkv    []float32 // m × 1536: queries, keys, values
	att    []float32 // m × 512: attention output, heads side by side
	x      []float32 // m × 512: residual stream
	f      []float32 // m × 1536: feed-forward hidden layer
	scores []float32 // per worker MaxPieces × MaxPieces attention scores
	pooled []float32 // sequences × 512
	starts []int     // first row of each sequence, plus the total
	rowID  []int32   // piece id of each row
	rowPos []int32   // position of each row in its sequence
	seqs   [][]int32 // the batch's sequences
}

var workspaces = sync.Pool{New: func() any { return new(workspace) }}

func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

func (w *workspace) ensure(rows, seqs, workers int) {
	w.x0 = grow(w.x0, rows*embedWidth)
	w.h = grow(w.h, rows*modelWidth)
	w.qkv = grow(w.qkv, rows*3*modelWidth)
	w.att = grow(w.att, rows*modelWidth)
	w.x = grow(w.x, rows*modelWidth)
	w.f = grow(w.f, rows*ffnWidth)
	w.scores = grow(w.scores, workers*MaxPieces*MaxPieces)
	w.pooled = grow(w.pooled, seqs*modelWidth)
	if cap(w.rowID) < rows {
		w.rowID = make([]int32, rows)
		w.rowPos = make([]int32, rows)
	}
	w.rowID, w.rowPos = w.rowID[:rows], w.rowPos[:rows]
}

// minParallelRows is the fewest rows worth splitting across goroutines for
// the element-wise passes.
const minParallelRows = 64

// parallelRows calls fn on consecutive row ranges covering [0, rows), on up
// to procs goroutines (the caller's included) when rows is large enough.
func parallelRows(rows, procs int, fn func(r0, r1 int)) {
	if procs <= 1 || rows < minParallelRows {
		fn(0, rows)
		return
	}
	procs = min(procs, rows/(minParallelRows/2))
	chunk := (rows + procs - 1) / procs
	var wg sync.WaitGroup
	for r0 := chunk; r0 < rows; r0 += chunk {
		wg.Go(func() { fn(r0, min(rows, r0+chunk)) })
	}
	fn(0, min(chunk, rows))
	wg.Wait()
}

// forward runs the network on seqs (each 1 to MaxPieces ids; callers handle
// empty ones) stacked into one tall matrix of m = Σ len(seq) rows, and writes
// sequence i's normalised 512-d output into row i of out (len(seqs) × 512).
func (md *model) forward(be backend, w *workspace, seqs [][]int32, out []float32) {
	w.starts = w.starts[:0]
	rows := 0
	for _, s := range seqs {
		w.starts = append(w.starts, rows)
		rows += len(s)
	}
	w.starts = append(w.starts, rows)
	procs := 1
	if be.parallel {
		procs = runtime.GOMAXPROCS(0)
	}
	workers := max(1, min(procs, len(seqs)*numHeads))
	w.ensure(rows, len(seqs), workers)

	// Layer 0 input: the graph adds the embedding to (embedding + timing).
	for i, s := range seqs {
		for p, id := range s {
			w.rowID[w.starts[i]+p] = id
			w.rowPos[w.starts[i]+p] = int32(p)
		}
	}
	parallelRows(rows, procs, func(r0, r1 int) {
		for r := r0; r < r1; r++ {
			id, p := int(w.rowID[r]), int(w.rowPos[r])
			dst := w.x0[r*embedWidth : (r+1)*embedWidth]
			e := md.embeddings[id*embedWidth : (id+1)*embedWidth]
			t := md.timing[p*embedWidth : (p+1)*embedWidth]
			for j := range dst {
				dst[j] = e[j] + (e[j] + t[j])
			}
		}
	})

	for l := range md.layers {
		L := &md.layers[l]
		in := L.in
		var xin []float32 // residual input of the layer, rows × in
		if l == 0 {
			xin = w.x0[:rows*in]
		} else {
			xin = w.x[:rows*in]
		}
		x := w.x[:rows*modelWidth]
		// Attention block: x = x + Out(Attn(QKV(LN(x)))), where layer 0's
		// residual is first projected from 256 to 512. Biases are put in
		// the outputs first so that the products can accumulate onto them.
		h := w.h[:rows*in]
		qkv := w.qkv[:rows*3*in]
		parallelRows(rows, procs, func(r0, r1 int) {
			md.layerNorm(h[r0*in:r1*in], xin[r0*in:r1*in], in, L.attnLNScale, L.attnLNBias)
			fillRows(qkv[r0*3*in:r1*3*in], L.qkvBias)
			if L.residual != nil {
				fillRows2(x[r0*modelWidth:r1*modelWidth], L.residualBias, L.outBias)
			}
		})
		be.mul(rows, h, in, L.qkv, qkv, 3*in, true)
		att := w.att[:rows*in]
		attention(be, w, qkv, att, in, workers)
		if L.residual != nil {
			be.mul(rows, xin, in, L.residual, x, modelWidth, true)
		}
		// Layer 1's residual is x itself, already in place; layer 0's
		// has just been projected into x.
		if L.residual == nil {
			parallelRows(rows, procs, func(r0, r1 int) {
				addRows(x[r0*modelWidth:r1*modelWidth], L.outBias)
			})
		}
		be.mul(rows, att, in, L.out, x, modelWidth, true)

		// Feed-forward block: x = x + W2·relu(W1·LN(x) + b1) + b2.
		h = w.h[:rows*modelWidth]
		f := w.f[:rows*ffnWidth]
		parallelRows(rows, procs, func(r0, r1 int) {
			md.layerNorm(h[r0*modelWidth:r1*modelWidth], x[r0*modelWidth:r1*modelWidth], modelWidth, L.ffnLNScale, L.ffnLNBias)
			fillRows(f[r0*ffnWidth:r1*ffnWidth], L.ffn1Bias)
			addRows(x[r0*modelWidth:r1*modelWidth], L.ffn2Bias)
		})
		be.mul(rows, h, modelWidth, L.ffn1, f, ffnWidth, true)
		parallelRows(rows, procs, func(r0, r1 int) {
			relu(f[r0*ffnWidth : r1*ffnWidth])
		})
		be.mul(rows, f, ffnWidth, L.ffn2, x, modelWidth, true)
	}

	// Mean over each sequence's pieces, then tanh(pooled·W + b), normalised.
	n := len(seqs)
	pooled := w.pooled[:n*modelWidth]
	clear(pooled)
	for i := range seqs {
		a, b := w.starts[i], w.starts[i+1]
		dst := pooled[i*modelWidth : (i+1)*modelWidth]
		for r := a; r < b; r++ {
			row := w.x[r*modelWidth : (r+1)*modelWidth]
			for j, v := range row {
				dst[j] += v
			}
		}
		inv := 1 / float32(max(b-a, 1))
		for j := range dst {
			dst[j] *= inv
		}
	}
	fillRows(out, md.tanhBias)
	be.mul(n, pooled, modelWidth, md.tanh, out, modelWidth, true)
	for i := range n {
		o := out[i*modelWidth : (i+1)*modelWidth]
		for j, v := range o {
			o[j] = float32(math.Tanh(float64(v)))
		}
		l2normalize(o)
	}
}

// layerNorm writes (x - mean)/sqrt(var + ε)·scale + bias of each row of x
// (width n) into dst.
func (md *model) layerNorm(dst, x []float32, n int, scale, bias []float32) {
	eps := float64(md.lnEpsilon)
	for r := 0; r+n <= len(x); r += n {
		row := x[r : r+n]
		var sum float64
		for _, v := range row {
			sum += float64(v)
		}
		mean := float32(sum / float64(n))
		var sq float64
		for _, v := range row {
			d := float64(v - mean)
			sq += d * d
		}
		rs := float32(1 / math.Sqrt(sq/float64(n)+eps))
		d := dst[r : r+n]
		for j, v := range row {
			d[j] = scale[j]*rs*(v-mean) + bias[j]
		}
	}
}

// attention computes softmax(Q·Kᵀ)·V for every sequence and head. Queries
// are already scaled. qkv holds rows of [Q | K | V] (each of width in);
// att receives the heads side by side (width in).
func attention(be backend, w *workspace, qkv, att []float32, in, workers int) {
	nseq := len(w.starts) - 1
	tasks := nseq * numHeads
	d := in / numHeads
	ld := 3 * in
	run := func(t int, scores []float32) {
		s, h := t/numHeads, t%numHeads
		a, b := w.starts[s], w.starts[s+1]
		n := b - a
		sc := scores[:n*n]
		q := qkv[a*ld+h*d:]
		k := qkv[a*ld+in+h*d:]
		v := qkv[a*ld+2*in+h*d:]
		be.gemmBT(n, n, d, q, ld, k, ld, sc, n, false)
		for r := 0; r < n; r++ {
			softmax(sc[r*n : (r+1)*n])
		}
		be.gemm(n, d, n, sc, n, v, ld, att[a*in+h*d:], in, false)
	}
	if workers <= 1 || tasks == 1 {
		for t := range tasks {
			run(t, w.scores)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for g := range workers {
		scores := w.scores[g*MaxPieces*MaxPieces : (g+1)*MaxPieces*MaxPieces]
		wg.Go(func() {
			for {
				t := int(next.Add(1)) - 1
				if t >= tasks {
					return
				}
				run(t, scores)
			}
		})
	}
	wg.Wait()
}

// softmax replaces v by exp(v - max v) / Σ exp(v - max v).
func softmax(v []float32) {
	m := v[0]
	for _, x := range v[1:] {
		if x > m {
			m = x
		}
	}
	var sum float32
	for i, x := range v {
		e := exp32(x - m)
		v[i] = e
		sum += e
	}
	inv := 1 / sum
	for i := range v {
		v[i] *= inv
	}
}

// exp32 is e^x for x ≤ 0 in float32 to within about 2 ulp: x = k·ln2 + r
// with |r| ≤ ln2/2, e^r by the Cephes expf polynomial, times 2^k.
func exp32(x float32) float32 {
	if x < -87 {
		return 0
	}
	const (
		log2e = 1.44269504088896341
		ln2hi = 0.693359375
		ln2lo = -2.12194440e-4
	)
	// Round x·log2(e) ≤ 0 to the nearest integer (truncation is toward 0).
	k := float32(int32(x*log2e - 0.5))
	r := x - k*ln2hi - k*ln2lo
	p := float32(1.9875691500e-4)
	p = p*r + 1.3981999507e-3
	p = p*r + 8.3334519073e-3
	p = p*r + 4.1665795894e-2
	p = p*r + 1.6666665459e-1
	p = p*r + 5.0000001201e-1
	y := p*r*r + r + 1
	return y * math.Float32frombits(uint32(int32(k)+127)<<23)
}

// fillRows sets every row of dst (width len(bias)) to bias.
func fillRows(dst, bias []float32) {
	n := len(bias)
	for r := 0; r+n <= len(dst); r += n {
		copy(dst[r:r+n], bias)
	}
}

// fillRows2 sets every row of dst to a + b.
func fillRows2(dst, a, b []float32) {
	n := len(a)
	for r := 0; r+n <= len(dst); r += n {
		row := dst[r : r+n]
		for j := range row {
			row[j] = a[j] + b[j]
		}
	}
}

// addRows adds bias to every row of dst.
func addRows(dst, bias []float32) {
	n := len(bias)
	for r := 0; r+n <= len(dst); r += n {
		row := dst[r : r+n]
		for j, b := range bias {
			row[j] += b
		}
	}
}

func relu(v []float32) {
	for i, x := range v {
		if x < 0 {
			v[i] = 0
		}
	}
}
