//go:build amd64 && !purego

package sgemm

import "golang.org/x/sys/cpu"

// avx2Impl is the AVX2+FMA assembly micro-kernel.
var avx2Impl = impl{name: "avx2", kern: kernAVX2}

// hasAVX2 reports whether the CPU and OS support AVX2 and FMA (x/sys/cpu
// also checks that the OS saves the YMM registers).
var hasAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// defaultImpl is the kernel the exported functions use.
var defaultImpl = func() impl {
	if hasAVX2 {
		return avx2Impl
	}
	return goImpl
}()

// impls lists every kernel usable on this machine, for tests.
var impls = func() []impl {
	if hasAVX2 {
		return []impl{avx2Impl, goImpl}
	}
	return []impl{goImpl}
}()

// kern6x16AVX2 computes the 6×16 tile at c (row stride ldc floats) from the
// packed panels a (6×kc) and b (kc×16); acc adds to C instead of
// overwriting it. kc must be positive. It reads exactly 6*kc floats at a,
// 16*kc at b, and rows of 16 floats at c.
//
//go:noescape
func kern6x16AVX2(kc int, a, b, c *float32, ldc int, acc bool)

// kernAVX2 checks the slice bounds the assembly relies on, then calls it.
func kernAVX2(kc int, a, b, c []float32, ldc int, acc bool) {
	_ = a[mr*kc-1]
	_ = b[nr*kc-1]
	_ = c[(mr-1)*ldc+nr-1]
	kern6x16AVX2(kc, &a[0], &b[0], &c[0], ldc, acc)
}
