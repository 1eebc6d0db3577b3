package sgemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// refGemm is the plain reference: C (+)= A·op(B) accumulated in float64.
// It also returns, per element, the sum of |a·b| terms used for the error
// bound.
func refGemm(m, n, k int, a []float32, lda int, b []float32, ldb int, bt bool) (want, mag []float64) {
	want = make([]float64, m*n)
	mag = make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s, t float64
			for p := 0; p < k; p++ {
				var bv float32
				if bt {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				x := float64(a[i*lda+p]) * float64(bv)
				s += x
				t += math.Abs(x)
			}
			want[i*n+j] = s
			mag[i*n+j] = t
		}
	}
	return want, mag
}

func randMat(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

// matLen is the exact number of floats a rows×cols matrix with stride ld
// occupies, so that the last element is the last element of the slice.
func matLen(rows, cols, ld int) int {
	if rows == 0 || cols == 0 {
		return 0
	}
	return (rows-1)*ld + cols
}

// checkC compares C with the reference (plus c0 when acc) and checks that
// every element outside the m×n window is still the sentinel value.
func checkC(tb testing.TB, what string, m, n, k, ldc int, c, c0 []float32, want, mag []float64, acc bool) {
	tb.Helper()
	const eps = 1.0 / (1 << 23)
	bad := 0
	for idx, got := range c {
		i, j := idx/ldc, idx%ldc
		if j >= n {
			if got != c0[idx] {
				tb.Errorf("%s: C[%d][%d] outside the %d×%d result changed: got %v, want %v", what, i, j, m, n, got, c0[idx])
				bad++
			}
			continue
		}
		w := want[i*n+j]
		tol := float64(k+4)*eps*mag[i*n+j] + 1e-30
		if acc {
			w += float64(c0[idx])
			tol += 2 * eps * math.Abs(float64(c0[idx]))
		}
		if d := math.Abs(float64(got) - w); !(d <= tol) {
			tb.Errorf("%s: C[%d][%d] = %v, want %v (|diff| %g > tol %g)", what, i, j, got, w, d, tol)
			bad++
		}
		if bad > 5 {
			tb.Fatalf("%s: too many mismatches", what)
		}
	}
}

// runCase runs one product through impl e with procs goroutines, via the
// plain path and the packed path, and checks the result.
func runCase(tb testing.TB, r *rand.Rand, e impl, procs, m, n, k, pad int, bt bool) {
	tb.Helper()
	lda, ldb, ldc := k+pad, n+pad, n+pad
	brows, bcols := k, n
	if bt {
		ldb = k + pad
		brows, bcols = n, k
	}
	a := randMat(r, matLen(m, k, lda))
	b := randMat(r, matLen(brows, bcols, ldb))
	want, mag := refGemm(m, n, k, a, lda, b, ldb, bt)
	c0 := randMat(r, matLen(m, n, ldc))
	c := make([]float32, len(c0))
	for _, acc := range []bool{false, true} {
		name := fmt.Sprintf("%s procs=%d m=%d n=%d k=%d pad=%d bt=%v acc=%v", e.name, procs, m, n, k, pad, bt, acc)
		copy(c, c0)
		e.gemm(m, n, k, a, lda, b, ldb, bt, c, ldc, acc, procs)
		checkC(tb, name, m, n, k, ldc, c, c0, want, mag, acc)

		pb := packed{k: k, n: n, data: make([]float32, packedLen(k, n))}
		packBAll(pb.data, k, n, b, ldb, bt, procs)
		copy(c, c0)
		e.gemmPacked(m, a, lda, &pb, c, ldc, acc, procs)
		checkC(tb, name+" packed", m, n, k, ldc, c, c0, want, mag, acc)
	}
}

// TestKernelsAgainstReference checks every kernel, serial and split across
// goroutines, on odd shapes, padded strides and both operand layouts.
func TestKernelsAgainstReference(t *testing.T) {
	ms := []int{1, 3, 7, 17, 63, 65, 129}
	ns := []int{1, 3, 7, 16, 17, 63, 65, 129}
	ks := []int{1, 7, 17, 64, 257, 300}
	if testing.Short() || raceEnabled {
		ms, ns, ks = []int{1, 7, 65}, []int{3, 16, 17}, []int{1, 17, 300}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, e := range impls {
		t.Run(e.name, func(t *testing.T) {
			for _, m := range ms {
				for _, n := range ns {
					for _, k := range ks {
						bt := (m+n+k)%2 == 0
						pad := (m * n) % 5
						runCase(t, r, e, 1, m, n, k, pad, bt)
						runCase(t, r, e, 2, m, n, k, pad, !bt)
					}
				}
			}
		})
	}
}

// TestEncoderShapes checks the kernels on the encoder's real shapes, split
// across goroutines as the exported functions do for them.
func TestEncoderShapes(t *testing.T) {
	shapes := []struct {
		m, n, k int
		bt      bool
	}{
		{128, 768, 256, false},
		{130, 256, 256, false},
		{128, 512, 1536, false},
		{128, 128, 64, true},
		{128, 64, 128, false},
		{300, 1536, 512, false},
	}
	if testing.Short() || raceEnabled {
		shapes = shapes[3:5]
	}
	r := rand.New(rand.NewPCG(3, 4))
	for _, e := range impls {
		for _, s := range shapes {
			runCase(t, r, e, 3, s.m, s.n, s.k, 0, s.bt)
		}
	}
}

// TestExported checks the exported functions (default kernel) on slices
// that end exactly at their last element.
func TestExported(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	shapes := []struct{ m, n, k, pad int }{
		{1, 1, 1, 0}, {7, 17, 3, 2}, {65, 63, 129, 1}, {129, 200, 300, 3}, {256, 256, 256, 0},
	}
	if testing.Short() || raceEnabled {
		shapes = shapes[:3]
	}
	for _, s := range shapes {
		m, n, k := s.m, s.n, s.k
		lda, ldb, ldc := k+s.pad, n+s.pad, n+s.pad
		a := randMat(r, matLen(m, k, lda))
		b := randMat(r, matLen(k, n, ldb))
		bt := randMat(r, matLen(n, k, lda))
		c0 := randMat(r, matLen(m, n, ldc))
		c := make([]float32, len(c0))
		for _, acc := range []bool{false, true} {
			name := fmt.Sprintf("m=%d n=%d k=%d pad=%d acc=%v", m, n, k, s.pad, acc)
			want, mag := refGemm(m, n, k, a, lda, b, ldb, false)
			copy(c, c0)
			Gemm(m, n, k, a, lda, b, ldb, c, ldc, acc)
			checkC(t, "Gemm "+name, m, n, k, ldc, c, c0, want, mag, acc)

			copy(c, c0)
			GemmPacked(m, a, lda, PackB(k, n, b, ldb), c, ldc, acc)
			checkC(t, "GemmPacked(PackB) "+name, m, n, k, ldc, c, c0, want, mag, acc)

			want, mag = refGemm(m, n, k, a, lda, bt, lda, true)
			copy(c, c0)
			GemmBT(m, n, k, a, lda, bt, lda, c, ldc, acc)
			checkC(t, "GemmBT "+name, m, n, k, ldc, c, c0, want, mag, acc)

			copy(c, c0)
			GemmPacked(m, a, lda, PackBT(n, k, bt, lda), c, ldc, acc)
			checkC(t, "GemmPacked(PackBT) "+name, m, n, k, ldc, c, c0, want, mag, acc)
		}
	}
}

// TestDegenerate covers empty dimensions: k == 0 clears C (or leaves it
// when accumulating), m == 0 or n == 0 touch nothing.
func TestDegenerate(t *testing.T) {
	c := []float32{1, 2, 3, 4, 5, 6}
	Gemm(2, 3, 0, nil, 0, nil, 0, c, 3, true)
	if got, want := fmt.Sprint(c), "[1 2 3 4 5 6]"; got != want {
		t.Errorf("k=0 acc: C = %s, want %s", got, want)
	}
	GemmBT(2, 2, 0, nil, 0, nil, 0, c, 3, false)
	if got, want := fmt.Sprint(c), "[0 0 3 0 0 6]"; got != want {
		t.Errorf("k=0 2×2 with ldc 3: C = %s, want %s", got, want)
	}
	Gemm(0, 3, 4, nil, 4, make([]float32, 12), 3, nil, 3, false)
	Gemm(3, 0, 4, make([]float32, 12), 4, nil, 0, nil, 0, false)
	GemmPacked(0, nil, 0, PackB(4, 3, make([]float32, 12), 3), nil, 0, false)
	if k, n := PackBT(5, 0, nil, 0).Dims(); k != 0 || n != 5 {
		t.Errorf("PackBT(5, 0).Dims() = %d, %d, want 0, 5", k, n)
	}
}

// TestBadArguments checks that bad shapes and short slices panic with a
// message that names the problem, before any work is done.
func TestBadArguments(t *testing.T) {
	f := func(n int) []float32 { return make([]float32, n) }
	cases := []struct {
		name, want string
		call       func()
	}{
		{"negative m", "negative dimension", func() { Gemm(-1, 2, 2, f(4), 2, f(4), 2, f(4), 2, false) }},
		{"short a", "len(a) = 3, need at least 4", func() { Gemm(2, 2, 2, f(3), 2, f(4), 2, f(4), 2, false) }},
		{"short b", "len(b) = 5, need at least 6", func() { Gemm(2, 3, 2, f(4), 2, f(5), 3, f(6), 3, false) }},
		{"short c", "len(c) = 6, need at least 7", func() { GemmBT(2, 2, 2, f(4), 2, f(4), 2, f(6), 5, false) }},
		{"small lda", "lda = 1 is less than the row width 2", func() { Gemm(2, 2, 2, f(4), 1, f(4), 2, f(4), 2, false) }},
		{"small ldb bt", "ldb = 2 is less than the row width 3", func() { GemmBT(2, 2, 3, f(6), 3, f(6), 2, f(4), 2, false) }},
		{"nil packed", "nil PackedB", func() { GemmPacked(1, f(1), 1, nil, f(1), 1, false) }},
		{"packed short a", "len(a) = 2, need at least 3", func() { GemmPacked(1, f(2), 3, PackB(3, 1, f(3), 1), f(1), 1, false) }},
		{"pack short b", "len(b) = 5, need at least 6", func() { PackBT(2, 3, f(5), 3) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				msg, _ := r.(string)
				if r == nil || !strings.Contains(msg, tc.want) {
					t.Errorf("panic = %v, want a message containing %q", r, tc.want)
				}
			}()
			tc.call()
		})
	}
}

func TestSetMaxProcs(t *testing.T) {
	old := SetMaxProcs(1)
	defer SetMaxProcs(old)
	if got := maxWorkers(); got != 1 {
		t.Errorf("maxWorkers() after SetMaxProcs(1) = %d, want 1", got)
	}
	if got := SetMaxProcs(-3); got != 1 {
		t.Errorf("SetMaxProcs returned %d, want the previous bound 1", got)
	}
	if got := SetMaxProcs(0); got != 0 {
		t.Errorf("SetMaxProcs(-3) stored %d, want 0 (default)", got)
	}
}

// TestBlocking checks that the work split covers every row and panel
// exactly once and respects the block limits.
func TestBlocking(t *testing.T) {
	for _, m := range []int{1, 5, 6, 7, 128, 143, 144, 145, 1000, 2048} {
		for _, n := range []int{1, 16, 17, 64, 768, 1536} {
			for _, p := range []int{1, 2, 3, 8} {
				kc, mc, rb, gp, cg := blocking(m, n, 700, p)
				panels := (n + nr - 1) / nr
				if kc > kcMax || kc*((700+kc-1)/kc) < 700 || mc%mr != 0 || mc > max(mcMax, mr) && p == 1 ||
					rb*mc < m || (rb-1)*mc >= m || gp*cg < panels || (cg-1)*gp >= panels {
					t.Errorf("blocking(%d, %d, 700, %d) = kc %d, mc %d, rowBlocks %d, gp %d, colGroups %d: bad split",
						m, n, p, kc, mc, rb, gp, cg)
				}
			}
		}
	}
}

// TestConcurrentCalls runs products from several goroutines at once, as
// the encoder does for attention heads: the shared buffer pools must not
// mix their work.
func TestConcurrentCalls(t *testing.T) {
	const workers = 4
	m, n, k := 64, 130, 520 // big enough to be split across goroutines too
	if procs(m, n, k) == 1 && maxWorkers() > 1 {
		t.Fatalf("%d×%d×%d is below the parallel threshold; enlarge the test", m, n, k)
	}
	r := rand.New(rand.NewPCG(13, 14))
	type job struct {
		a, b      []float32
		want, mag []float64
	}
	jobs := make([]job, workers)
	for w := range jobs {
		a, b := randMat(r, m*k), randMat(r, k*n)
		want, mag := refGemm(m, n, k, a, k, b, n, false)
		jobs[w] = job{a, b, want, mag}
	}
	results := make([][]float32, workers)
	done := make(chan int)
	for w := range jobs {
		go func() {
			c := make([]float32, m*n)
			for range 5 {
				Gemm(m, n, k, jobs[w].a, k, jobs[w].b, n, c, n, false)
			}
			results[w] = c
			done <- w
		}()
	}
	for range workers {
		w := <-done
		checkC(t, fmt.Sprintf("goroutine %d", w), m, n, k, n, results[w], make([]float32, m*n), jobs[w].want, jobs[w].mag, false)
	}
}
