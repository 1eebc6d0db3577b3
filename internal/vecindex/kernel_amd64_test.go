//go:build amd64 && !purego

package vecindex

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/recommend-dev/recommend/internal/synth"
)

// withGoKernels runs f with the portable kernels selected.
func withGoKernels(t *testing.T, f func()) {
	t.Helper()
	saved := useAVX2
	useAVX2 = false
	defer func() { useAVX2 = saved }()
	f()
}

// TestIndexSameWithGoKernels runs the same searches with the assembly and
// the portable kernels: the candidates (integer scores) are identical, so
// the hits are too, up to float32 rounding of the re-ranked scores.
func TestIndexSameWithGoKernels(t *testing.T) {
	if !useAVX2 {
		t.Skip("no AVX2 on this machine: only the portable kernels run")
	}
	const n, dims = 6000, 200 // 200: padded rows, odd tails
	c := synth.New(synth.Config{N: n, Dims: dims, Seed: 8})
	vecs := c.Vectors()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = c.ID(i)
	}
	for _, bits := range []int{8, 4} {
		x := New(dims, WithBits(bits))
		if err := x.AddBatch(ids, vecs); err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewPCG(1, uint64(bits)))
		for j := range 20 {
			q := c.Vector(n+j, nil)
			if j%4 == 3 {
				q = randUnit(r, dims)
			}
			for _, exact := range []bool{false, true} {
				o := SearchOptions{Exact: exact, Rerank: 15}
				asm, err := x.Search(q, 10, o)
				if err != nil {
					t.Fatal(err)
				}
				var pure []Hit
				withGoKernels(t, func() { pure, err = x.Search(q, 10, o) })
				if err != nil {
					t.Fatal(err)
				}
				if len(asm) != len(pure) {
					t.Fatalf("bits %d exact %v: %d hits with AVX2, %d with Go", bits, exact, len(asm), len(pure))
				}
				for i := range asm {
					if asm[i].ID != pure[i].ID && math.Abs(float64(asm[i].Score-pure[i].Score)) > 1e-6 {
						t.Errorf("bits %d exact %v hit %d: AVX2 %v, Go %v", bits, exact, i, asm[i], pure[i])
					}
					if math.Abs(float64(asm[i].Score-pure[i].Score)) > 1e-5 {
						t.Errorf("bits %d exact %v hit %d: score AVX2 %v, Go %v", bits, exact, i, asm[i].Score, pure[i].Score)
					}
				}
			}
		}
	}
}
