package projection

import (
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// Tuning of topEigen.
const (
	// fullEigenMax is the largest matrix whose eigenvectors are all
	// computed (mat.EigenSym); above it, subspace iteration finds only the
	// top ones. gonum's Dsteqr is O(n³) with a large constant: 512×512
	// takes seconds.
	fullEigenMax = 96
	// oversample is how many vectors beyond r subspace iteration carries:
	// they speed up convergence of the r that are wanted.
	oversample = 10
	// Subspace iteration stops after subspaceIters, or earlier, once it has
	// done minSubspaceIters and the two top Ritz values (the map's axes)
	// have settled to axisTol relative to the largest. The other vectors are
	// only used for clustering, which needs a good subspace, not exact
	// eigenvectors (k-means distances do not change under rotation): a few
	// iterations with oversampling give that.
	subspaceIters    = 60
	minSubspaceIters = 6
	axisTol          = 1e-10
)

// topEigen returns the r largest eigenvalues of the positive semi-definite
// matrix s (descending), the matching eigenvectors as the columns of an n×r
// matrix, and the trace of s (the sum of all eigenvalues).
func topEigen(s *mat.SymDense, r int) ([]float64, *mat.Dense, float64) {
	n := s.SymmetricDim()
	r = min(r, n)
	trace := 0.0
	for i := range n {
		trace += s.At(i, i)
	}
	if n <= fullEigenMax || r+oversample >= n/2 {
		return fullEigen(s, r, trace)
	}
	vals, vecs, ok := subspace(s, r)
	if !ok {
		return fullEigen(s, r, trace)
	}
	return vals, vecs, trace
}

func fullEigen(s *mat.SymDense, r int, trace float64) ([]float64, *mat.Dense, float64) {
	n := s.SymmetricDim()
	var eig mat.EigenSym
	if !eig.Factorize(s, true) {
		// Dsyev did not converge, which does not happen for a finite
		// symmetric matrix; the identity axes keep the caller going.
		vecs := mat.NewDense(n, r, nil)
		vals := make([]float64, r)
		for c := range r {
			vecs.Set(c, c, 1)
			vals[c] = s.At(c, c)
		}
		return vals, vecs, trace
	}
	all := eig.Values(nil) // ascending
	var ev mat.Dense
	eig.VectorsTo(&ev)
	vals := make([]float64, r)
	vecs := mat.NewDense(n, r, nil)
	for c := range r {
		src := n - 1 - c
		vals[c] = all[src]
		for j := range n {
			vecs.Set(j, c, ev.At(j, src))
		}
	}
	return vals, vecs, trace
}

// subspace finds the top r eigenpairs of s by subspace iteration with
// Rayleigh–Ritz: Q ← orth(S·Q) from a seeded random start, until the Ritz
// values settle. It reports false if Q loses rank (it then cannot go on).
func subspace(s *mat.SymDense, r int) ([]float64, *mat.Dense, bool) {
	n := s.SymmetricDim()
	p := min(r+oversample, n)
	rng := rand.New(rand.NewPCG(uint64(n), uint64(r)))
	q := mat.NewDense(n, p, nil)
	for i := range n {
		for j := range p {
			q.Set(i, j, rng.NormFloat64())
		}
	}
	if !orthonormalize(q) {
		return nil, nil, false
	}
	var (
		z, t mat.Dense
		prev []float64
		eig  mat.EigenSym
		w    mat.Dense
		vals = make([]float64, p)
	)
	small := mat.NewSymDense(p, nil)
	for it := 0; it < subspaceIters; it++ {
		z.Mul(s, q)      // n×p
		t.Mul(q.T(), &z) // p×p Rayleigh quotient
		for i := range p {
			for j := i; j < p; j++ {
				small.SetSym(i, j, (t.At(i, j)+t.At(j, i))/2)
			}
		}
		if !eig.Factorize(small, true) {
			return nil, nil, false
		}
		vals = eig.Values(vals)
		eig.VectorsTo(&w)
		// Rotate S·Q onto the Ritz vectors (best first) before
		// orthonormalising, so that the leading columns converge first.
		rev := mat.NewDense(p, p, nil)
		for c := range p {
			for i := range p {
				rev.Set(i, c, w.At(i, p-1-c))
			}
		}
		q.Mul(&z, rev)
		if !orthonormalize(q) {
			return nil, nil, false
		}
		top := make([]float64, r)
		for c := range r {
			top[c] = vals[p-1-c]
		}
		if it+1 >= minSubspaceIters && prev != nil && settled(prev, top) {
			prev = top
			break
		}
		prev = top
	}
	vecs := mat.NewDense(n, r, nil)
	vecs.Copy(q.Slice(0, n, 0, r))
	return prev, vecs, true
}

// settled reports whether the top two values moved by at most axisTol
// relative to the largest.
func settled(prev, cur []float64) bool {
	scale := math.Abs(slices.Max(cur))
	if scale == 0 {
		return true
	}
	for i := range min(2, len(cur)) {
		if math.Abs(cur[i]-prev[i]) > axisTol*scale {
			return false
		}
	}
	return true
}

// orthonormalize makes the columns of q orthonormal in place by modified
// Gram–Schmidt applied twice. A column that vanishes (rank loss) is replaced
// by a unit axis orthogonal to the others when one exists; it reports false
// if none does.
func orthonormalize(q *mat.Dense) bool {
	n, p := q.Dims()
	cols := make([][]float64, p)
	for c := range p {
		cols[c] = make([]float64, n)
		mat.Col(cols[c], c, q)
	}
	for c := range p {
		v := cols[c]
		orig := math.Sqrt(dot(v, v))
		for range 2 {
			for k := range c {
				a := dot(cols[k], v)
				for i := range v {
					v[i] -= a * cols[k][i]
				}
			}
		}
		norm := math.Sqrt(dot(v, v))
		if norm <= 1e-10*max(orig, 1e-300) {
			// Rank loss: try unit axes until one survives.
			found := false
			for axis := 0; axis < n && !found; axis++ {
				clear(v)
				v[axis] = 1
				for range 2 {
					for k := range c {
						a := dot(cols[k], v)
						for i := range v {
							v[i] -= a * cols[k][i]
						}
					}
				}
				norm = math.Sqrt(dot(v, v))
				found = norm > 1e-6
			}
			if !found {
				return false
			}
		}
		for i := range v {
			v[i] /= norm
		}
	}
	for c := range p {
		q.SetCol(c, cols[c])
	}
	return true
}
