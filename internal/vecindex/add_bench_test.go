package vecindex

import (
	"fmt"
	"testing"

	"github.com/recommend-dev/recommend/internal/synth"
)

// BenchmarkAddBatch measures building an index of 20k vectors of 512
// dimensions in batches of 1000, as an import does.
func BenchmarkAddBatch(b *testing.B) {
	const n, dims = 20000, 512
	c := synth.New(synth.Config{N: n, Dims: dims, Seed: 3})
	vecs := c.Vectors()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("p%d", i)
	}
	for b.Loop() {
		x := New(dims)
		for lo := 0; lo < n; lo += 1000 {
			if err := x.AddBatch(ids[lo:lo+1000], vecs[lo:lo+1000]); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "vec/s")
}
