package sgemm

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/recommend-dev/recommend/embeddings/internal/sgemm/sgemmtest"
)

type benchShape struct {
	m, n, k int
	bt      bool
}

func (s benchShape) String() string {
	op := "NN"
	if s.bt {
		op = "NT"
	}
	return fmt.Sprintf("%s/m=%d/k=%d/n=%d", op, s.m, s.k, s.n)
}

// benchShapes are the encoder's products: the projections (k×n weights)
// at 128 rows (one input) and stacked to 512 and 2048 rows, plus the
// attention products (Q·Kᵀ and P·V per head).
func benchShapes() []benchShape {
	var s []benchShape
	for _, kn := range [][2]int{{256, 768}, {256, 256}, {512, 1536}, {1536, 512}, {512, 512}, {256, 1536}} {
		for _, m := range []int{128, 512} {
			s = append(s, benchShape{m: m, k: kn[0], n: kn[1]})
		}
	}
	s = append(s,
		benchShape{m: 2048, k: 512, n: 1536},
		benchShape{m: 2048, k: 1536, n: 512},
		benchShape{m: 128, k: 64, n: 128, bt: true},
		benchShape{m: 128, k: 128, n: 64},
	)
	return s
}

// BenchmarkGemm reports GFLOPS for every path on the encoder's shapes:
// naive (the baseline loop, one goroutine), gonum (blas32.Gemm, which
// parallelises itself), go (this package's portable kernel), avx2 (the
// assembly kernel, when the CPU has it) and <kernel>-packed (GemmPacked with
// B packed beforehand, as for constant weights). Run with -cpu 1,2.
//
// GFLOPS is wall-clock throughput. GFLOP/cpu-s divides by the CPU time the
// process used instead: on a machine shared with other work it shows what
// each busy core achieved, which the wall clock hides.
func BenchmarkGemm(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, s := range benchShapes() {
		m, n, k := s.m, s.n, s.k
		a := randMat(r, m*k)
		bm := randMat(r, k*n)
		c := make([]float32, m*n)
		ldb := n
		if s.bt {
			ldb = k
		}
		flops := 2 * float64(m) * float64(n) * float64(k)
		report := func(b *testing.B, cpu0 time.Duration) {
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
			if cpu := processCPU() - cpu0; cpu > 0 {
				b.ReportMetric(flops*float64(b.N)/cpu.Seconds()/1e9, "GFLOP/cpu-s")
			}
		}
		b.Run(s.String()+"/path=naive", func(b *testing.B) {
			cpu0 := processCPU()
			for b.Loop() {
				if s.bt {
					sgemmtest.GemmBT(m, n, k, a, k, bm, ldb, c, n, false)
				} else {
					sgemmtest.Gemm(m, n, k, a, k, bm, ldb, c, n, false)
				}
			}
			report(b, cpu0)
		})
		b.Run(s.String()+"/path=gonum", func(b *testing.B) {
			ga := blas32.General{Rows: m, Cols: k, Stride: k, Data: a}
			gb := blas32.General{Rows: k, Cols: n, Stride: ldb, Data: bm}
			tb := blas.NoTrans
			if s.bt {
				gb.Rows, gb.Cols = n, k
				tb = blas.Trans
			}
			gc := blas32.General{Rows: m, Cols: n, Stride: n, Data: c}
			cpu0 := processCPU()
			for b.Loop() {
				blas32.Gemm(blas.NoTrans, tb, 1, ga, gb, 0, gc)
			}
			report(b, cpu0)
		})
		for _, e := range impls {
			b.Run(s.String()+"/path="+e.name, func(b *testing.B) {
				cpu0 := processCPU()
				for b.Loop() {
					e.gemm(m, n, k, a, k, bm, ldb, s.bt, c, n, false, procs(m, n, k))
				}
				report(b, cpu0)
			})
			b.Run(s.String()+"/path="+e.name+"-packed", func(b *testing.B) {
				pb := packed{k: k, n: n, data: make([]float32, packedLen(k, n))}
				packBAll(pb.data, k, n, bm, ldb, s.bt, maxWorkers())
				cpu0 := processCPU()
				for b.Loop() {
					e.gemmPacked(m, a, k, &pb, c, n, false, procs(m, n, k))
				}
				report(b, cpu0)
			})
		}
	}
}

// BenchmarkKernel measures one micro-kernel call on L1-resident panels:
// the ceiling the blocked driver can approach.
func BenchmarkKernel(b *testing.B) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, e := range impls {
		for _, kc := range []int{64, 256} {
			b.Run(fmt.Sprintf("path=%s/kc=%d", e.name, kc), func(b *testing.B) {
				a := randMat(r, mr*kc)
				bp := randMat(r, nr*kc)
				c := make([]float32, mr*nr)
				for b.Loop() {
					e.kern(kc, a, bp, c, nr, true)
				}
				b.ReportMetric(2*mr*nr*float64(kc)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
			})
		}
	}
}
