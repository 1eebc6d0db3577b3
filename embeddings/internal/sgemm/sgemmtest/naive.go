// Package sgemmtest holds the baseline that sgemm's and the encoder's
// benchmarks measure against: matrix products as a straightforward port
// writes them, triple loops on one goroutine. Only tests import it.
package sgemmtest

// Gemm is the straightforward product C (+)= A·B, with the arguments of
// sgemm.Gemm: row-major A (m×k), B (k×n) and C (m×n) with leading
// dimensions lda, ldb and ldc; acc adds to C instead of overwriting it.
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

// GemmBT is the straightforward product C (+)= A·Bᵀ (B is n×k), one dot
// product per element.
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
