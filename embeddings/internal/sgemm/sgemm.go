// Package sgemm multiplies float32 matrices for the sentence encoder. The
// exported functions are the whole contract; the implementation behind them
// may use SIMD kernels chosen at run time, with a pure-Go fallback.
package sgemm

// Gemm computes C = A·B, or C += A·B when acc is true. All matrices are
// row-major: A is m×k with row stride lda, B is k×n with row stride ldb, C is
// m×n with row stride ldc.
func Gemm(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	for i := 0; i < m; i++ {
		ci := c[i*ldc : i*ldc+n]
		if !acc {
			clear(ci)
		}
		for p := 0; p < k; p++ {
			aip := a[i*lda+p]
			bp := b[p*ldb : p*ldb+n]
			for j := range ci {
				ci[j] += aip * bp[j]
			}
		}
	}
}

// GemmBT computes C = A·Bᵀ, or C += A·Bᵀ when acc is true: A is m×k with
// row stride lda, B is n×k with row stride ldb, C is m×n with row stride ldc.
func GemmBT(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	for i := 0; i < m; i++ {
		ai := a[i*lda : i*lda+k]
		for j := 0; j < n; j++ {
			bj := b[j*ldb : j*ldb+k]
			var s float32
			for p, x := range ai {
				s += x * bj[p]
			}
			if acc {
				c[i*ldc+j] += s
			} else {
				c[i*ldc+j] = s
			}
		}
	}
}
