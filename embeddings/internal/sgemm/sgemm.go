// Package sgemm multiplies float32 matrices for the sentence encoder. The
// exported functions are the whole contract; the implementation behind them
// may use SIMD kernels chosen at run time, with a pure-Go fallback.
//
// Design: the classic Goto/BLIS scheme. The right-hand matrix B is packed
// into panels of 16 columns (zero-padded), each panel stored k-major so that
// one step of the inner product reads 16 contiguous floats. Row blocks of A
// are packed into panels of 6 rows. A 6×16 register-blocked micro-kernel
// (AVX2+FMA assembly on amd64 when the CPU has it, plain Go otherwise) then
// computes one tile of C per call, with k cut into blocks of at most 256 so
// that the B panel stays in L1 and the A block in L2. Large products are
// split into row blocks (and, when there are too few rows, column groups)
// that up to GOMAXPROCS goroutines (see SetMaxProcs) pick up dynamically;
// products under 2²³ flops (2·m·n·k), such as one attention head, run on
// the calling goroutine. All functions are safe for concurrent use.
//
// Build with the purego tag to force the portable Go kernel. Weight matrices
// that are multiplied many times can be packed once with PackB or PackBT and
// used with GemmPacked, which skips re-packing B on every call.
//
// Dimension or slice-length errors are programming errors and panic with a
// message naming the argument, like an out-of-range slice index would.
package sgemm

import (
	"fmt"
	"runtime"
	"sync/atomic"
)

// maxProcs bounds the goroutines one call may use; 0 means GOMAXPROCS.
var maxProcs atomic.Int64

// SetMaxProcs bounds the number of goroutines a single Gemm, GemmBT or
// GemmPacked call uses and returns the previous bound. n <= 0 restores the
// default, runtime.GOMAXPROCS(0). Set it to 1 when the caller already runs
// independent products concurrently on every core.
func SetMaxProcs(n int) int {
	if n < 0 {
		n = 0
	}
	return int(maxProcs.Swap(int64(n)))
}

// procs returns the number of goroutines an m×n×k product may use.
func procs(m, n, k int) int {
	if 2*float64(m)*float64(n)*float64(k) < parallelMinFlops {
		return 1
	}
	return maxWorkers()
}

// maxWorkers returns the goroutine bound set by SetMaxProcs and GOMAXPROCS.
func maxWorkers() int {
	p := runtime.GOMAXPROCS(0)
	if lim := int(maxProcs.Load()); lim > 0 && lim < p {
		p = lim
	}
	return p
}

// Kernel names the micro-kernel the exported functions use on this machine:
// "avx2" (AVX2+FMA assembly) or "go" (portable fallback). It is meant for
// logs and benchmark labels.
func Kernel() string { return defaultImpl.name }

// Gemm computes C = A·B, or C += A·B when acc is true. All matrices are
// row-major: A is m×k with row stride lda, B is k×n with row stride ldb, C is
// m×n with row stride ldc.
func Gemm(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	checkDims("Gemm", m, n, k)
	checkMat("Gemm", "a", a, m, k, lda)
	checkMat("Gemm", "b", b, k, n, ldb)
	checkMat("Gemm", "c", c, m, n, ldc)
	defaultImpl.gemm(m, n, k, a, lda, b, ldb, false, c, ldc, acc, procs(m, n, k))
}

// GemmBT computes C = A·Bᵀ, or C += A·Bᵀ when acc is true: A is m×k with
// row stride lda, B is n×k with row stride ldb, C is m×n with row stride ldc.
func GemmBT(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	checkDims("GemmBT", m, n, k)
	checkMat("GemmBT", "a", a, m, k, lda)
	checkMat("GemmBT", "b", b, n, k, ldb)
	checkMat("GemmBT", "c", c, m, n, ldc)
	defaultImpl.gemm(m, n, k, a, lda, b, ldb, true, c, ldc, acc, procs(m, n, k))
}

// PackedB is a k×n right-hand matrix stored in the micro-kernel's panel
// layout, for use with GemmPacked. It is immutable after packing and safe
// for concurrent use. Its size is k × n rounded up to a multiple of 16
// floats.
type PackedB struct {
	p packed
}

// Dims returns the shape k×n of the packed matrix.
func (pb *PackedB) Dims() (k, n int) { return pb.p.k, pb.p.n }

// PackB packs the k×n row-major matrix B (row stride ldb) for GemmPacked.
// The result does not alias b.
func PackB(k, n int, b []float32, ldb int) *PackedB {
	checkDims("PackB", 0, n, k)
	checkMat("PackB", "b", b, k, n, ldb)
	pb := &PackedB{p: packed{k: k, n: n, data: make([]float32, packedLen(k, n))}}
	packBAll(pb.p.data, k, n, b, ldb, false, maxWorkers())
	return pb
}

// PackBT packs Bᵀ for GemmPacked, where B is the n×k row-major matrix b with
// row stride ldb: GemmPacked with the result computes A·Bᵀ, like GemmBT.
// This suits weights stored output-major (one row per output feature).
// The result does not alias b.
func PackBT(n, k int, b []float32, ldb int) *PackedB {
	checkDims("PackBT", 0, n, k)
	checkMat("PackBT", "b", b, n, k, ldb)
	pb := &PackedB{p: packed{k: k, n: n, data: make([]float32, packedLen(k, n))}}
	packBAll(pb.p.data, k, n, b, ldb, true, maxWorkers())
	return pb
}

// GemmPacked computes C = A·B, or C += A·B when acc is true, where B is a
// packed k×n matrix: A is m×k with row stride lda and C is m×n with row
// stride ldc, both row-major.
func GemmPacked(m int, a []float32, lda int, b *PackedB, c []float32, ldc int, acc bool) {
	if b == nil {
		panic("sgemm: GemmPacked: nil PackedB")
	}
	k, n := b.p.k, b.p.n
	checkDims("GemmPacked", m, n, k)
	checkMat("GemmPacked", "a", a, m, k, lda)
	checkMat("GemmPacked", "c", c, m, n, ldc)
	defaultImpl.gemmPacked(m, a, lda, &b.p, c, ldc, acc, procs(m, n, k))
}

func checkDims(fn string, m, n, k int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("sgemm: %s: negative dimension (m=%d, n=%d, k=%d)", fn, m, n, k))
	}
}

// checkMat panics unless s can hold a rows×cols row-major matrix with row
// stride ld.
func checkMat(fn, name string, s []float32, rows, cols, ld int) {
	if rows == 0 || cols == 0 {
		return
	}
	if ld < cols {
		panic(fmt.Sprintf("sgemm: %s: ld%s = %d is less than the row width %d", fn, name, ld, cols))
	}
	if need := (rows-1)*ld + cols; len(s) < need {
		panic(fmt.Sprintf("sgemm: %s: len(%s) = %d, need at least %d for a %d×%d matrix with stride %d",
			fn, name, len(s), need, rows, cols, ld))
	}
}
