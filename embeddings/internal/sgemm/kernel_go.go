package sgemm

// goImpl is the portable micro-kernel, used when no SIMD kernel applies.
var goImpl = impl{name: "go", kern: kernGo}

// kernGo is the portable 6×16 micro-kernel (see kernelFunc). It walks the
// tile in 2×4 sub-tiles whose eight accumulators stay in registers.
func kernGo(kc int, a, b, c []float32, ldc int, acc bool) {
	a = a[:mr*kc]
	b = b[:nr*kc]
	_ = c[(mr-1)*ldc+nr-1]
	for i := 0; i < mr; i += 2 {
		for j := 0; j < nr; j += 4 {
			var c00, c01, c02, c03, c10, c11, c12, c13 float32
			ai, bj := i, j
			for p := 0; p < kc; p++ {
				a0, a1 := a[ai], a[ai+1]
				b0, b1, b2, b3 := b[bj], b[bj+1], b[bj+2], b[bj+3]
				c00 += a0 * b0
				c01 += a0 * b1
				c02 += a0 * b2
				c03 += a0 * b3
				c10 += a1 * b0
				c11 += a1 * b1
				c12 += a1 * b2
				c13 += a1 * b3
				ai += mr
				bj += nr
			}
			r0 := c[i*ldc+j : i*ldc+j+4]
			r1 := c[(i+1)*ldc+j : (i+1)*ldc+j+4]
			if acc {
				r0[0] += c00
				r0[1] += c01
				r0[2] += c02
				r0[3] += c03
				r1[0] += c10
				r1[1] += c11
				r1[2] += c12
				r1[3] += c13
			} else {
				r0[0], r0[1], r0[2], r0[3] = c00, c01, c02, c03
				r1[0], r1[1], r1[2], r1[3] = c10, c11, c12, c13
			}
		}
	}
}
