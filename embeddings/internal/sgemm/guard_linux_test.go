//go:build linux

package sgemm

import (
	"fmt"
	"math/rand/v2"
	"os"
	"syscall"
	"testing"
	"unsafe"
)

// guarded returns a slice of n floats whose last element is the last
// word before an inaccessible page, so that any read or write past the
// end of the slice faults instead of silently succeeding.
func guarded(tb testing.TB, n int) []float32 {
	tb.Helper()
	if n == 0 {
		return nil
	}
	page := os.Getpagesize()
	size := n * 4
	total := (size+page-1)/page*page + page
	mem, err := syscall.Mmap(-1, 0, total, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		tb.Fatalf("mmap %d bytes: %v", total, err)
	}
	tb.Cleanup(func() { syscall.Munmap(mem) })
	if err := syscall.Mprotect(mem[total-page:], syscall.PROT_NONE); err != nil {
		tb.Fatalf("mprotect guard page: %v", err)
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&mem[total-page-size])), n)
}

// TestNoAccessPastSlices runs every kernel on operands that end right
// before a guard page; an out-of-bounds read or write crashes the test.
func TestNoAccessPastSlices(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, e := range impls {
		for _, s := range []struct{ m, n, k, pad int }{
			{6, 16, 1, 0}, {12, 32, 5, 0}, {7, 17, 3, 0}, {12, 16, 300, 0}, {5, 15, 2, 3}, {18, 48, 257, 1}, {1, 1, 1, 0},
		} {
			for _, bt := range []bool{false, true} {
				for _, procs := range []int{1, 2} {
					m, n, k := s.m, s.n, s.k
					lda, ldb, ldc := k+s.pad, n+s.pad, n+s.pad
					brows, bcols := k, n
					if bt {
						ldb, brows, bcols = k+s.pad, n, k
					}
					a := guarded(t, matLen(m, k, lda))
					b := guarded(t, matLen(brows, bcols, ldb))
					c := guarded(t, matLen(m, n, ldc))
					copy(a, randMat(r, len(a)))
					copy(b, randMat(r, len(b)))
					c0 := randMat(r, len(c))
					want, mag := refGemm(m, n, k, a, lda, b, ldb, bt)
					for _, acc := range []bool{false, true} {
						name := fmt.Sprintf("%s procs=%d m=%d n=%d k=%d pad=%d bt=%v acc=%v", e.name, procs, m, n, k, s.pad, bt, acc)
						copy(c, c0)
						e.gemm(m, n, k, a, lda, b, ldb, bt, c, ldc, acc, procs)
						checkC(t, name, m, n, k, ldc, c, c0, want, mag, acc)
					}
				}
			}
		}
	}
}
