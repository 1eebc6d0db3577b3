package vecindex

import (
	"fmt"
	"testing"

	"github.com/recommend-dev/recommend/internal/synth"
)

// BenchmarkSearch times one search path on a 50k corpus of 512 dimensions
// without the chromem-go baseline, for profiling.
func BenchmarkSearch(b *testing.B) {
	const n, dims = 50000, 512
	c := synth.New(synth.Config{N: n, Dims: dims, Seed: 4})
	vecs := c.Vectors()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = c.ID(i)
	}
	for _, bits := range []int{8, 4} {
		x := New(dims, WithBits(bits))
		if err := x.AddBatch(ids, vecs); err != nil {
			b.Fatal(err)
		}
		for _, exact := range []bool{false, true} {
			if exact && bits == 4 {
				continue
			}
			b.Run(fmt.Sprintf("bits=%d/exact=%v", bits, exact), func(b *testing.B) {
				cpu0 := cpuTime()
				i := 0
				for b.Loop() {
					if _, err := x.Search(vecs[(i*7919)%n], 10, SearchOptions{Exact: exact}); err != nil {
						b.Fatal(err)
					}
					i++
				}
				reportCPU(b, cpu0)
			})
		}
	}
}
