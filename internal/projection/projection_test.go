package projection

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"syscall"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"
)

// blobs returns n unit vectors in d dimensions around len(centres) centres
// (point i belongs to blob i%len(centres)), with Gaussian noise of the
// given spread before normalisation, and each point's blob.
func blobs(tb testing.TB, n, d int, centres [][]float64, spread float64, seed uint64) ([][]float32, []int) {
	tb.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	vecs := make([][]float32, n)
	labels := make([]int, n)
	for i := range vecs {
		b := i % len(centres)
		v := make([]float32, d)
		var norm float64
		for j := range v {
			x := rng.NormFloat64() * spread
			if j < len(centres[b]) {
				x += centres[b][j]
			}
			v[j] = float32(x)
			norm += x * x
		}
		norm = math.Sqrt(norm)
		for j := range v {
			v[j] = float32(float64(v[j]) / norm)
		}
		vecs[i], labels[i] = v, b
	}
	return vecs, labels
}

// unitAxis is a vector of length d with 1 at j.
func unitAxis(d, j int) []float64 {
	v := make([]float64, d)
	v[j] = 1
	return v
}

func mustProject(tb testing.TB, vecs [][]float32, opt Options) Layout {
	tb.Helper()
	l, err := Project(vecs, opt)
	if err != nil {
		tb.Fatalf("Project(%d vectors): %v", len(vecs), err)
	}
	checkLayout(tb, l, len(vecs))
	return l
}

// checkLayout checks what every layout promises.
func checkLayout(tb testing.TB, l Layout, n int) {
	tb.Helper()
	if len(l.X) != n || len(l.Y) != n || len(l.Cluster) != n {
		tb.Fatalf("layout has %d x, %d y, %d clusters for %d vectors", len(l.X), len(l.Y), len(l.Cluster), n)
	}
	seen := make([]bool, l.K)
	for i := range n {
		if !(l.X[i] >= -1 && l.X[i] <= 1 && l.Y[i] >= -1 && l.Y[i] <= 1) {
			tb.Fatalf("point %d at (%v, %v), outside [-1, 1]", i, l.X[i], l.Y[i])
		}
		if l.Cluster[i] < 0 || l.Cluster[i] >= l.K {
			tb.Fatalf("point %d in cluster %d, want [0, %d)", i, l.Cluster[i], l.K)
		}
		seen[l.Cluster[i]] = true
	}
	for c, ok := range seen {
		if !ok {
			tb.Errorf("cluster %d of %d is empty", c, l.K)
		}
	}
	if n > 0 {
		lo, hi := minMax(l.X)
		if (lo != -1 || hi != 1) && (lo != 0 || hi != 0) {
			tb.Errorf("x spans [%v, %v], want [-1, 1] (or all 0)", lo, hi)
		}
	}
}

func minMax(xs []float64) (float64, float64) {
	lo, hi := xs[0], xs[0]
	for _, x := range xs {
		lo, hi = min(lo, x), max(hi, x)
	}
	return lo, hi
}

func TestTwoBlobsProjectAndClusterApart(t *testing.T) {
	for _, tc := range []struct {
		name string
		n, d int
	}{
		{"covariance path n>d", 400, 64},
		{"gram path n<d", 60, 512},
		{"bundled-corpus shape", 300, 512},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vecs, labels := blobs(t, tc.n, tc.d, [][]float64{unitAxis(tc.d, 3), unitAxis(tc.d, 7)}, 0.05, 42)
			l := mustProject(t, vecs, Options{K: 2})
			// Along x, one blob is entirely left of the other.
			var lo, hi [2]float64
			lo[0], lo[1], hi[0], hi[1] = 2, 2, -2, -2
			for i, b := range labels {
				lo[b], hi[b] = min(lo[b], l.X[i]), max(hi[b], l.X[i])
			}
			if !(hi[0] < lo[1] || hi[1] < lo[0]) {
				t.Errorf("blobs overlap along x: blob 0 in [%.3f, %.3f], blob 1 in [%.3f, %.3f]", lo[0], hi[0], lo[1], hi[1])
			}
			if gap := max(lo[1]-hi[0], lo[0]-hi[1]); gap < 1 {
				t.Errorf("gap between the blobs along x is %.3f of the [-1, 1] range, want at least 1", gap)
			}
			if l.K != 2 {
				t.Fatalf("K = %d, want 2", l.K)
			}
			if got := purity(l.Cluster, labels, l.K); got != 1 {
				t.Errorf("cluster purity %.3f, want 1: the clusters mix the blobs", got)
			}
			// The blobs' separation is the one strong direction; the second
			// axis is noise.
			if l.Explained[0] < 5*l.Explained[1] {
				t.Errorf("axes explain %.3f and %.3f of the variance, want the first far above the second", l.Explained[0], l.Explained[1])
			}
		})
	}
}

// purity is the share of points whose cluster's majority blob is their own.
func purity(cluster, labels []int, k int) float64 {
	counts := map[[2]int]int{}
	for i := range cluster {
		counts[[2]int{cluster[i], labels[i]}]++
	}
	right := 0
	for c := range k {
		best := 0
		for key, n := range counts {
			if key[0] == c {
				best = max(best, n)
			}
		}
		right += best
	}
	return float64(right) / float64(len(cluster))
}

func TestAutomaticKKeepsBlobsApart(t *testing.T) {
	d := 32
	centres := [][]float64{unitAxis(d, 0), unitAxis(d, 1), unitAxis(d, 2), unitAxis(d, 3)}
	vecs, labels := blobs(t, 320, d, centres, 0.04, 7)
	l := mustProject(t, vecs, Options{})
	if want := ChooseK(320); l.K != want {
		t.Fatalf("K = %d, want ChooseK(320) = %d", l.K, want)
	}
	if got := purity(l.Cluster, labels, l.K); got != 1 {
		t.Errorf("cluster purity %.3f with 4 blobs and K=%d, want 1", got, l.K)
	}
}

func TestFirstAxisFollowsTheLargestVariance(t *testing.T) {
	// Points spread widely along a known direction u and little elsewhere:
	// x must be a linear function of the coordinate along u.
	rng := rand.New(rand.NewPCG(3, 3))
	d, n := 20, 200
	u := make([]float64, d)
	for j := range u {
		u[j] = rng.NormFloat64()
	}
	var norm float64
	for _, x := range u {
		norm += x * x
	}
	for j := range u {
		u[j] /= math.Sqrt(norm)
	}
	vecs := make([][]float32, n)
	along := make([]float64, n)
	for i := range vecs {
		t := rng.NormFloat64() * 5
		v := make([]float32, d)
		for j := range v {
			v[j] = float32(t*u[j] + rng.NormFloat64()*0.05)
		}
		vecs[i] = v
		for j := range v {
			along[i] += float64(v[j]) * u[j]
		}
	}
	l := mustProject(t, vecs, Options{})
	if r := correlation(l.X, along); math.Abs(r) < 0.999 {
		t.Errorf("correlation of x with the coordinate along the main direction = %.4f, want ±1", r)
	}
	if r := correlation(l.Y, along); math.Abs(r) > 0.2 {
		t.Errorf("correlation of y with the main direction = %.4f, want about 0 (components are orthogonal)", r)
	}
}

func correlation(a, b []float64) float64 {
	n := float64(len(a))
	var ma, mb float64
	for i := range a {
		ma += a[i] / n
		mb += b[i] / n
	}
	var sab, saa, sbb float64
	for i := range a {
		sab += (a[i] - ma) * (b[i] - mb)
		saa += (a[i] - ma) * (a[i] - ma)
		sbb += (b[i] - mb) * (b[i] - mb)
	}
	return sab / math.Sqrt(saa*sbb)
}

func TestDeterministic(t *testing.T) {
	d := 48
	vecs, _ := blobs(t, 500, d, [][]float64{unitAxis(d, 0), unitAxis(d, 1), unitAxis(d, 2)}, 0.3, 11)
	a := mustProject(t, vecs, Options{Seed: 5})
	b := mustProject(t, vecs, Options{Seed: 5})
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two runs on the same vectors with the same seed differ")
	}
	// Copies of the vectors (new memory) give the same layout too.
	cp := make([][]float32, len(vecs))
	for i, v := range vecs {
		cp[i] = append([]float32(nil), v...)
	}
	if c := mustProject(t, cp, Options{Seed: 5}); !reflect.DeepEqual(a, c) {
		t.Fatal("a copy of the vectors gives another layout")
	}
}

func TestSignConventionAgreesAcrossPaths(t *testing.T) {
	// The covariance and Gram paths must give the same coordinates,
	// orientation included, so that a corpus growing past d papers does not
	// flip its map.
	d := 30
	vecs, _ := blobs(t, 25, d, [][]float64{unitAxis(d, 0), unitAxis(d, 5), unitAxis(d, 9)}, 0.2, 9)
	mean := make([]float64, d)
	for _, v := range vecs {
		for j, x := range v {
			mean[j] += float64(x) / float64(len(vecs))
		}
	}
	cov, ec := pcaCov(vecs, mean, 3)
	gram, eg := pcaGram(vecs, mean, 3)
	if !mat.EqualApprox(cov, gram, 1e-9) {
		t.Errorf("covariance path:\n%v\ngram path:\n%v", mat.Formatted(cov.Slice(0, 4, 0, 3)), mat.Formatted(gram.Slice(0, 4, 0, 3)))
	}
	for c := range 2 {
		if math.Abs(ec[c]-eg[c]) > 1e-9 {
			t.Errorf("explained[%d]: covariance %.6f, gram %.6f", c, ec[c], eg[c])
		}
	}
}

func TestEdgeCases(t *testing.T) {
	a := []float32{1, 0, 0}
	b := []float32{0, 1, 0}
	tests := []struct {
		name        string
		vecs        [][]float32
		wantK       int
		wantX       []float64
		wantY       []float64
		sameCluster bool
	}{
		{"no vectors", nil, 0, []float64{}, []float64{}, true},
		{"one vector", [][]float32{a}, 1, []float64{0}, []float64{0}, true},
		{"two vectors", [][]float32{a, b}, 2, nil, []float64{0, 0}, false},
		{"two identical vectors", [][]float32{a, a}, 1, []float64{0, 0}, []float64{0, 0}, true},
		{"five identical vectors", [][]float32{b, b, b, b, b}, 1, []float64{0, 0, 0, 0, 0}, []float64{0, 0, 0, 0, 0}, true},
		{"three on a line", [][]float32{{0, 0, 0}, {1, 0, 0}, {2, 0, 0}}, 2, nil, []float64{0, 0, 0}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := mustProject(t, tc.vecs, Options{})
			if l.K != tc.wantK {
				t.Errorf("K = %d, want %d", l.K, tc.wantK)
			}
			if tc.wantX != nil && !reflect.DeepEqual(l.X, tc.wantX) {
				t.Errorf("x = %v, want %v", l.X, tc.wantX)
			}
			if !reflect.DeepEqual(l.Y, tc.wantY) {
				t.Errorf("y = %v, want %v", l.Y, tc.wantY)
			}
			if len(tc.vecs) == 2 && !tc.sameCluster {
				if lo, hi := minMax(l.X); lo != -1 || hi != 1 {
					t.Errorf("two distinct vectors at x = %v, want -1 and 1", l.X)
				}
				if l.Cluster[0] == l.Cluster[1] {
					t.Errorf("two distinct vectors share cluster %d", l.Cluster[0])
				}
			}
			if tc.sameCluster {
				for i, c := range l.Cluster {
					if c != 0 {
						t.Errorf("vector %d in cluster %d, want all in 0", i, c)
					}
				}
			}
		})
	}
}

func TestProjectRejectsBadInput(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	tests := []struct {
		name string
		vecs [][]float32
		opt  Options
	}{
		{"ragged", [][]float32{{1, 2}, {1, 2, 3}}, Options{}},
		{"empty vectors", [][]float32{{}, {}}, Options{}},
		{"NaN", [][]float32{{1, 2}, {nan, 0}}, Options{}},
		{"Inf", [][]float32{{inf, 2}, {1, 0}}, Options{}},
		{"negative K", [][]float32{{1, 2}, {3, 4}}, Options{K: -1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Project(tc.vecs, tc.opt); err == nil {
				t.Errorf("Project(%v) succeeded, want an error", tc.vecs)
			}
		})
	}
}

func TestChooseK(t *testing.T) {
	for _, tc := range []struct{ n, want int }{
		{0, 0}, {1, 1}, {2, 2}, {3, 2}, {100, 2}, {180, 3}, {300, 4}, {2000, 10}, {10000, 12}, {1000000, 12},
	} {
		if got := ChooseK(tc.n); got != tc.want {
			t.Errorf("ChooseK(%d) = %d, want %d", tc.n, got, tc.want)
		}
	}
}

func TestKMeansNumbersClustersBySize(t *testing.T) {
	// Three groups in the plane, of sizes 5, 20 and 10.
	var data []float64
	var group []int
	for g, spec := range []struct {
		x, y float64
		n    int
	}{{0, 0, 5}, {10, 0, 20}, {0, 10, 10}} {
		for i := range spec.n {
			data = append(data, spec.x+float64(i%3)*0.1, spec.y+float64(i%2)*0.1)
			group = append(group, g)
		}
	}
	pts := mat.NewDense(len(group), 2, data)
	assign, k := KMeans(pts, 3, 1, 100)
	if k != 3 {
		t.Fatalf("k = %d, want 3", k)
	}
	want := map[int]int{1: 0, 2: 1, 0: 2} // group -> cluster: largest first
	for i, c := range assign {
		if c != want[group[i]] {
			t.Fatalf("point %d of group %d in cluster %d, want %d", i, group[i], c, want[group[i]])
		}
	}
	// More clusters than points: one per distinct point.
	few := mat.NewDense(3, 2, []float64{0, 0, 1, 1, 0, 0})
	assign, k = KMeans(few, 10, 1, 100)
	if k != 2 || assign[0] != assign[2] || assign[0] == assign[1] {
		t.Errorf("KMeans of 2 distinct points with k=10 = %v (k=%d), want 2 clusters with points 0 and 2 together", assign, k)
	}
}

func FuzzProject(f *testing.F) {
	f.Add([]byte{3, 2, 0, 0, 128, 63, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 0, 0}, uint8(0))
	f.Add([]byte{1, 1, 0, 0, 0, 0}, uint8(3))
	f.Add([]byte{5, 4}, uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, k uint8) {
		if len(data) < 2 {
			return
		}
		n, d := int(data[0]%40), int(data[1]%16)+1
		data = data[2:]
		vecs := make([][]float32, n)
		for i := range vecs {
			vecs[i] = make([]float32, d)
			for j := range vecs[i] {
				if len(data) >= 4 {
					vecs[i][j] = math.Float32frombits(binary.LittleEndian.Uint32(data))
					data = data[4:]
				}
			}
		}
		l, err := Project(vecs, Options{K: int(k % 20)})
		if err != nil {
			return // non-finite input is refused; that is fine
		}
		checkLayout(t, l, n)
	})
}

func BenchmarkProject(b *testing.B) {
	for _, n := range []int{300, 10000} {
		d := 512
		centres := make([][]float64, 10)
		for c := range centres {
			centres[c] = unitAxis(d, c)
		}
		vecs, _ := blobs(b, n, d, centres, 0.05, 1)
		run := func(name string, f func()) {
			b.Run(fmt.Sprintf("n=%d/d=%d/%s", n, d, name), func(b *testing.B) {
				start := cpuTime(b)
				for b.Loop() {
					f()
				}
				b.ReportMetric(float64((cpuTime(b)-start).Microseconds())/1e3/float64(b.N), "cpu-ms/op")
			})
		}
		run("all", func() {
			if _, err := Project(vecs, Options{}); err != nil {
				b.Fatal(err)
			}
		})
		run("pca", func() { PCA(vecs, DefaultReduceDims) })
		pcs, _ := PCA(vecs, DefaultReduceDims)
		run("kmeans", func() { KMeans(pcs, ChooseK(n), 0, DefaultMaxIter) })
		// The baseline: the textbook way, the covariance of every vector
		// and all its eigenvectors (mat.EigenSym).
		run("baseline-full-eigen", func() { fullCovEigen(vecs) })
	}
}

// fullCovEigen is the textbook PCA: the d×d covariance of all the vectors
// and its full eigendecomposition.
func fullCovEigen(vecs [][]float32) {
	n, d := len(vecs), len(vecs[0])
	mean := make([]float64, d)
	for _, v := range vecs {
		for j, x := range v {
			mean[j] += float64(x) / float64(n)
		}
	}
	x := mat.NewDense(n, d, nil)
	centred(x.RawMatrix().Data, vecs, mean, 0, n)
	var cov mat.SymDense
	cov.SymOuterK(1, x.T())
	var eig mat.EigenSym
	eig.Factorize(&cov, true)
}

// cpuTime is the CPU time the process has used: with other work on the
// machine, a steadier measure than the wall clock.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
