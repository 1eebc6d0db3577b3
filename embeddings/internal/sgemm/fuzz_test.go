package sgemm

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// FuzzGemm multiplies random matrices of fuzzed shape, stride padding and
// layout through every kernel, serial and parallel, and compares each
// result with the reference loop.
func FuzzGemm(f *testing.F) {
	f.Add(uint8(1), uint8(1), uint16(1), uint8(0), uint8(0), uint64(1))
	f.Add(uint8(7), uint8(17), uint16(300), uint8(3), uint8(7), uint64(2))
	f.Add(uint8(6), uint8(16), uint16(256), uint8(0), uint8(1), uint64(3))
	f.Add(uint8(13), uint8(33), uint16(64), uint8(1), uint8(6), uint64(4))
	f.Fuzz(func(t *testing.T, m8, n8 uint8, k16 uint16, pad8, flags uint8, seed uint64) {
		m, n, k, pad := int(m8%80), int(n8%80), int(k16%600), int(pad8%9)
		bt, acc := flags&1 != 0, flags&2 != 0
		procs := 1 + int(flags>>2)%3
		r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
		lda, ldb, ldc := k+pad, n+pad, n+pad
		brows, bcols := k, n
		if bt {
			ldb, brows, bcols = k+pad, n, k
		}
		a := randMat(r, matLen(m, k, lda))
		b := randMat(r, matLen(brows, bcols, ldb))
		c0 := randMat(r, matLen(m, n, ldc))
		want, mag := refGemm(m, n, k, a, lda, b, ldb, bt)
		c := make([]float32, len(c0))
		for _, e := range impls {
			copy(c, c0)
			e.gemm(m, n, k, a, lda, b, ldb, bt, c, ldc, acc, procs)
			checkC(t, fmt.Sprintf("%s procs=%d m=%d n=%d k=%d pad=%d bt=%v acc=%v", e.name, procs, m, n, k, pad, bt, acc),
				m, n, k, ldc, c, c0, want, mag, acc)
		}
	})
}
