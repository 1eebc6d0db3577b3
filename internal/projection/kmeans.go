package projection

import (
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// restarts is how many k-means++ seedings KMeans tries; it keeps the one
// with the smallest within-cluster sum of squares.
const restarts = 3

// KMeans clusters the rows of points into at most k clusters with k-means++
// seeding and Lloyd's iterations (at most maxIter each), and returns each
// row's cluster and the number of clusters. Fewer than k clusters come back
// when there are fewer distinct rows than k; identical rows always share a
// cluster. Clusters are numbered by size, largest first (ties: the one whose
// first row comes first). The same points, k and seed give the same answer.
func KMeans(points *mat.Dense, k int, seed uint64, maxIter int) ([]int, int) {
	if points == nil || points.IsEmpty() {
		return []int{}, 0
	}
	n, m := points.Dims()
	rows := make([][]float64, n)
	for i := range n {
		rows[i] = points.RawRowView(i)
	}
	k = min(k, n)
	if k <= 1 {
		return make([]int, n), 1
	}
	// Squared distances at or below tol are "the same point": a relative
	// threshold, so that rounding noise in the projection of identical
	// vectors does not split them.
	var sq float64
	for _, r := range rows {
		sq += dot(r, r)
	}
	tol := 1e-12 * sq / float64(n)
	if maxIter <= 0 {
		maxIter = DefaultMaxIter
	}

	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	var best []int
	bestK, bestCost := 0, math.Inf(1)
	for range restarts {
		centers := seedPlusPlus(rows, k, tol, rng)
		assign, cost := lloyd(rows, centers, m, maxIter)
		if cost < bestCost-1e-12*math.Abs(bestCost) || best == nil {
			best, bestK, bestCost = assign, len(centers), cost
		}
		if len(centers) < k {
			break // fewer distinct points than k: every seeding finds them all
		}
	}
	return relabel(best, bestK)
}

// seedPlusPlus picks up to k initial centres by k-means++: each next centre
// is a row drawn with probability proportional to its squared distance to
// the nearest centre so far. It stops early when every row is within tol of
// a centre.
func seedPlusPlus(rows [][]float64, k int, tol float64, rng *rand.Rand) [][]float64 {
	n := len(rows)
	centers := [][]float64{slices.Clone(rows[rng.IntN(n)])}
	d2 := make([]float64, n)
	for i, r := range rows {
		d2[i] = dist2(r, centers[0])
	}
	for len(centers) < k {
		total := 0.0
		for _, v := range d2 {
			if v > tol {
				total += v
			}
		}
		if total == 0 {
			break
		}
		target := rng.Float64() * total
		pick := -1
		for i, v := range d2 {
			if v <= tol {
				continue
			}
			pick = i
			target -= v
			if target < 0 {
				break
			}
		}
		c := slices.Clone(rows[pick])
		centers = append(centers, c)
		for i, r := range rows {
			d2[i] = min(d2[i], dist2(r, c))
		}
	}
	return centers
}

// lloyd runs Lloyd's iterations from centers (updated in place) and returns
// the assignment and its within-cluster sum of squares. A cluster that loses
// all its rows takes the row farthest from its own centre. Distances are
// computed as |x|² − 2·x·c + |c|², the products by one matrix product per
// iteration.
func lloyd(rows [][]float64, centers [][]float64, m, maxIter int) ([]int, float64) {
	n, k := len(rows), len(centers)
	x := mat.NewDense(n, m, nil)
	xx := make([]float64, n)
	for i, r := range rows {
		x.SetRow(i, r)
		xx[i] = dot(r, r)
	}
	c := mat.NewDense(k, m, nil)
	cc := make([]float64, k)
	var g mat.Dense // n×k: x·cᵀ
	assign := make([]int, n)
	for i := range assign {
		assign[i] = -1
	}
	d2 := make([]float64, n)
	counts := make([]int, k)
	// Stop when at most this many rows change cluster in an iteration: the
	// last few flips between neighbouring clusters change no picture.
	settle := n / 1000
	for iter := 0; ; iter++ {
		for j, ctr := range centers {
			c.SetRow(j, ctr)
			cc[j] = dot(ctr, ctr)
		}
		g.Mul(x, c.T())
		changed := 0
		for i := range rows {
			gi := g.RawRowView(i)
			bi, bd := 0, math.Inf(1)
			for j := range k {
				if d := cc[j] - 2*gi[j]; d < bd {
					bi, bd = j, d
				}
			}
			d2[i] = max(0, xx[i]+bd)
			if assign[i] != bi {
				assign[i] = bi
				changed++
			}
		}
		if changed <= settle || iter >= maxIter {
			break
		}
		for j := range centers {
			clear(centers[j])
			counts[j] = 0
		}
		for i, r := range rows {
			ctr := centers[assign[i]]
			for j := range m {
				ctr[j] += r[j]
			}
			counts[assign[i]]++
		}
		for j, ctr := range centers {
			if counts[j] == 0 {
				// Re-seed an empty cluster with the worst-served row.
				far := 0
				for i := range d2 {
					if d2[i] > d2[far] {
						far = i
					}
				}
				copy(ctr, rows[far])
				d2[far] = 0
				continue
			}
			inv := 1 / float64(counts[j])
			for i := range ctr {
				ctr[i] *= inv
			}
		}
	}
	cost := 0.0
	for _, v := range d2 {
		cost += v
	}
	return assign, cost
}

// relabel numbers clusters by size, largest first (ties by first row), and
// drops empty ones.
func relabel(assign []int, k int) ([]int, int) {
	size := make([]int, k)
	first := make([]int, k)
	for c := range first {
		first[c] = len(assign)
	}
	for i, c := range assign {
		size[c]++
		first[c] = min(first[c], i)
	}
	order := make([]int, 0, k)
	for c := range k {
		if size[c] > 0 {
			order = append(order, c)
		}
	}
	slices.SortFunc(order, func(a, b int) int {
		if size[a] != size[b] {
			return size[b] - size[a]
		}
		return first[a] - first[b]
	})
	newID := make([]int, k)
	for i, c := range order {
		newID[c] = i
	}
	out := make([]int, len(assign))
	for i, c := range assign {
		out[i] = newID[c]
	}
	return out, len(order)
}

func dist2(a, b []float64) float64 {
	b = b[:len(a)]
	var s float64
	for i, x := range a {
		d := x - b[i]
		s += d * d
	}
	return s
}

func dot(a, b []float64) float64 {
	b = b[:len(a)]
	var s float64
	for i, x := range a {
		s += x * b[i]
	}
	return s
}
