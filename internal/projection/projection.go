// Package projection lays a set of vectors out on a plane for people to look
// at: a 2-D projection by principal component analysis (PCA) and a
// clustering by k-means++ in a PCA reduction of the vectors. It is
// deterministic: the same vectors in the same order give the same layout and
// the same clusters.
//
// PCA goes through the d×d covariance matrix (accumulated in blocks of rows
// with a symmetric rank-k update, so memory does not grow with n beyond the
// reduced points) and its eigendecomposition; when there are fewer vectors
// than dimensions it uses the n×n Gram matrix instead, which is smaller.
package projection

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Options tune Project. The zero value is ready to use.
type Options struct {
	// K is the number of clusters; 0 chooses it from the number of vectors
	// (see ChooseK). It is capped at the number of distinct vectors.
	K int
	// ReduceDims is the number of principal components that clustering
	// works in; 0 means DefaultReduceDims. It is capped at the rank the data
	// can have (min(n, d)).
	ReduceDims int
	// Seed seeds k-means++; the same seed gives the same clusters.
	Seed uint64
	// MaxIter bounds the k-means iterations; 0 means DefaultMaxIter.
	MaxIter int
}

// Defaults for Options.
const (
	DefaultReduceDims = 50
	DefaultMaxIter    = 100
	// MaxK is the most clusters ChooseK picks: beyond a dozen colours a
	// map is no longer readable.
	MaxK = 12
)

// Layout is the result of Project: for vector i, its position (X[i], Y[i])
// with both coordinates in [-1, 1] and its cluster Cluster[i] in [0, K).
// Clusters are numbered by size, largest first.
type Layout struct {
	X, Y    []float64
	Cluster []int
	K       int
	// Explained is the share of the total variance that each of the two
	// axes shows (0 when there is no variance).
	Explained [2]float64
}

// ChooseK is the number of clusters Project uses by default for n vectors:
// round(sqrt(n/20)) clamped to [2, MaxK], and never more than n.
func ChooseK(n int) int {
	if n <= 0 {
		return 0
	}
	k := int(math.Round(math.Sqrt(float64(n) / 20)))
	k = max(2, min(k, MaxK))
	return min(k, n)
}

// Project lays vecs out in 2-D and clusters them. Every vector must have the
// same length and only finite values; they need not be normalised. n = 0
// gives an empty layout; n = 1 puts the one point at the origin.
func Project(vecs [][]float32, opt Options) (Layout, error) {
	n := len(vecs)
	if n == 0 {
		return Layout{X: []float64{}, Y: []float64{}, Cluster: []int{}}, nil
	}
	d := len(vecs[0])
	if d == 0 {
		return Layout{}, errors.New("projection: vectors have no dimensions")
	}
	ref := 0.0 // the largest magnitude in the data: what "no spread" is measured against
	for i, v := range vecs {
		if len(v) != d {
			return Layout{}, fmt.Errorf("projection: vector %d has %d dimensions, vector 0 has %d", i, len(v), d)
		}
		for j, x := range v {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return Layout{}, fmt.Errorf("projection: vector %d has a non-finite value at %d", i, j)
			}
			ref = max(ref, math.Abs(float64(x)))
		}
	}
	if opt.K < 0 {
		return Layout{}, fmt.Errorf("projection: K is %d, want 0 (automatic) or more", opt.K)
	}
	r := opt.ReduceDims
	if r <= 0 {
		r = DefaultReduceDims
	}
	r = max(2, min(r, n, d))
	pcs, explained := PCA(vecs, r)

	l := Layout{X: make([]float64, n), Y: make([]float64, n), Explained: explained}
	for i := range n {
		l.X[i] = pcs.At(i, 0)
		if pcs.RawMatrix().Cols > 1 {
			l.Y[i] = pcs.At(i, 1)
		}
	}
	// Spreads below float32 rounding of the inputs are no spread: identical
	// vectors sit at the origin, and a second axis with nothing on it (two
	// vectors, or points on a line) stays flat.
	spanX := scaleToUnit(l.X, noise*ref)
	scaleToUnit(l.Y, max(noise*ref, noise*spanX))

	k := opt.K
	if k == 0 {
		k = ChooseK(n)
	}
	iter := opt.MaxIter
	if iter <= 0 {
		iter = DefaultMaxIter
	}
	l.Cluster, l.K = KMeans(pcs, k, opt.Seed, iter)
	return l, nil
}

// PCA returns the coordinates of vecs on their top r principal components
// (an n×r matrix, r capped at min(n, d)) and the share of the total
// variance that the first two components explain. Each component's sign is
// fixed so that its largest loading is positive, which keeps a layout from
// flipping when the data changes a little. vecs must be non-empty and
// rectangular.
func PCA(vecs [][]float32, r int) (*mat.Dense, [2]float64) {
	n, d := len(vecs), len(vecs[0])
	r = max(1, min(r, n, d))
	mean := make([]float64, d)
	for _, v := range vecs {
		for j, x := range v {
			mean[j] += float64(x)
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	if n < d {
		return pcaGram(vecs, mean, r)
	}
	return pcaCov(vecs, mean, r)
}

// blockRows is how many centred rows are converted to float64 at a time
// when accumulating the covariance matrix.
const blockRows = 256

// centred writes rows [lo, hi) of vecs minus mean into dst (row-major,
// (hi-lo)×d).
func centred(dst []float64, vecs [][]float32, mean []float64, lo, hi int) {
	d := len(mean)
	for i := lo; i < hi; i++ {
		row := dst[(i-lo)*d : (i-lo+1)*d]
		for j, x := range vecs[i] {
			row[j] = float64(x) - mean[j]
		}
	}
}

// MaxFitRows is the most vectors the principal components are fitted on:
// above it, an evenly spaced sample of that many is used (and every vector
// is then projected). The top components of a few thousand vectors are those
// of the whole set to within what a picture shows.
const MaxFitRows = 4096

// sample returns at most max rows of vecs, evenly spaced, in order.
func sample(vecs [][]float32, max int) [][]float32 {
	if len(vecs) <= max {
		return vecs
	}
	out := make([][]float32, max)
	for i := range out {
		out[i] = vecs[i*len(vecs)/max]
	}
	return out
}

// pcaCov is PCA through the d×d covariance (scatter) matrix: for n ≥ d.
func pcaCov(vecs [][]float32, mean []float64, r int) (*mat.Dense, [2]float64) {
	n, d := len(vecs), len(mean)
	scatter := mat.NewSymDense(d, nil)
	buf := make([]float64, blockRows*d)
	fit := sample(vecs, MaxFitRows)
	for lo := 0; lo < len(fit); lo += blockRows {
		hi := min(lo+blockRows, len(fit))
		centred(buf, fit, mean, lo, hi)
		block := mat.NewDense(hi-lo, d, buf[:(hi-lo)*d])
		scatter.SymRankK(scatter, 1, block.T()) // scatter += blockᵀ·block
	}
	vals, comp, trace := topEigen(scatter, r)
	fixSigns(comp)

	out := mat.NewDense(n, r, nil)
	for lo := 0; lo < n; lo += blockRows {
		hi := min(lo+blockRows, n)
		centred(buf, vecs, mean, lo, hi)
		block := mat.NewDense(hi-lo, d, buf[:(hi-lo)*d])
		dst := out.Slice(lo, hi, 0, r).(*mat.Dense)
		dst.Mul(block, comp)
	}
	return out, explainedShare(vals, trace)
}

// pcaGram is PCA through the n×n Gram matrix of the centred rows: for n < d.
// If G = X·Xᵀ = U·Λ·Uᵀ, the coordinates of the rows on the principal
// components are U·√Λ.
func pcaGram(vecs [][]float32, mean []float64, r int) (*mat.Dense, [2]float64) {
	n, d := len(vecs), len(mean)
	x := mat.NewDense(n, d, nil)
	centred(x.RawMatrix().Data, vecs, mean, 0, n)
	gram := mat.NewSymDense(n, nil)
	gram.SymOuterK(1, x) // X·Xᵀ
	vals, u, trace := topEigen(gram, r)
	out := mat.NewDense(n, r, nil)
	for c := range r {
		s := math.Sqrt(max(vals[c], 0))
		for i := range n {
			out.Set(i, c, u.At(i, c)*s)
		}
	}
	// Fix signs on the loadings (Xᵀ·u), as pcaCov does, so that both paths
	// orient the axes alike.
	var load mat.Dense
	load.Mul(x.T(), out) // d×r, proportional to the components
	for c := range r {
		if largestIsNegative(load.ColView(c)) {
			for i := range n {
				out.Set(i, c, -out.At(i, c))
			}
		}
	}
	return out, explainedShare(vals, trace)
}

// fixSigns flips each column of comp whose largest-magnitude entry is
// negative.
func fixSigns(comp *mat.Dense) {
	rows, cols := comp.Dims()
	for c := range cols {
		if largestIsNegative(comp.ColView(c)) {
			for j := range rows {
				comp.Set(j, c, -comp.At(j, c))
			}
		}
	}
}

func largestIsNegative(v mat.Vector) bool {
	best, at := 0.0, 0.0
	for j := range v.Len() {
		if x := v.AtVec(j); math.Abs(x) > best+1e-12 {
			best, at = math.Abs(x), x
		}
	}
	return at < 0
}

// explainedShare is the share of the total variance (the trace) that the
// top two eigenvalues (descending) hold.
func explainedShare(vals []float64, trace float64) [2]float64 {
	var out [2]float64
	if trace <= 0 {
		return out
	}
	for c := range min(2, len(vals)) {
		out[c] = min(1, max(vals[c], 0)/trace)
	}
	return out
}

// noise is the relative size below which a spread is rounding noise of
// float32 inputs.
const noise = 1e-6

// scaleToUnit maps xs linearly onto [-1, 1] (the minimum to -1, the maximum
// to 1) and returns the span it had. A span no larger than minSpan is no
// spread at all: every value becomes 0.
func scaleToUnit(xs []float64, minSpan float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	lo, hi := xs[0], xs[0]
	for _, x := range xs {
		lo, hi = min(lo, x), max(hi, x)
	}
	span := hi - lo
	if span <= minSpan || span == 0 {
		for i := range xs {
			xs[i] = 0
		}
		return span
	}
	for i, x := range xs {
		xs[i] = min(1, max(-1, 2*(x-lo)/span-1))
	}
	return span
}
