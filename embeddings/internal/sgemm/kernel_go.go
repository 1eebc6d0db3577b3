package sgemm

import "unsafe"

// goImpl is the portable micro-kernel, used when no SIMD kernel applies.
var goImpl = impl{name: "go", kern: kernGo}

// kernGo is the portable 6×16 micro-kernel (see kernelFunc). It walks the
// tile in 3×2 sub-tiles whose six accumulators, three A values and two B
// values fit the 15 float registers Go uses on amd64. The inner loop reads
// through unsafe pointers: the slice checks at the top guarantee that every
// offset it forms is inside a and b, and dropping the per-element bounds
// checks makes the loop about 1.6 times faster.
func kernGo(kc int, a, b, c []float32, ldc int, acc bool) {
	a = a[:mr*kc]
	b = b[:nr*kc]
	_ = c[(mr-1)*ldc+nr-1]
	pa := unsafe.Pointer(&a[0])
	pb := unsafe.Pointer(&b[0])
	for i := 0; i < mr; i += 3 {
		for j := 0; j < nr; j += 2 {
			var c00, c01, c10, c11, c20, c21 float32
			// ai and bj are byte offsets of A[p][i] and B[p][j]; the
			// largest read is at ai+8 < 4·mr·kc and bj+4 < 4·nr·kc.
			ai, bj := uintptr(i*4), uintptr(j*4)
			for p := 0; p < kc; p++ {
				av := (*[3]float32)(unsafe.Add(pa, ai))
				bv := (*[2]float32)(unsafe.Add(pb, bj))
				a0, a1, a2 := av[0], av[1], av[2]
				b0, b1 := bv[0], bv[1]
				c00 += a0 * b0
				c01 += a0 * b1
				c10 += a1 * b0
				c11 += a1 * b1
				c20 += a2 * b0
				c21 += a2 * b1
				ai += mr * 4
				bj += nr * 4
			}
			r0 := c[i*ldc+j : i*ldc+j+2]
			r1 := c[(i+1)*ldc+j : (i+1)*ldc+j+2]
			r2 := c[(i+2)*ldc+j : (i+2)*ldc+j+2]
			if acc {
				r0[0] += c00
				r0[1] += c01
				r1[0] += c10
				r1[1] += c11
				r2[0] += c20
				r2[1] += c21
			} else {
				r0[0], r0[1] = c00, c01
				r1[0], r1[1] = c10, c11
				r2[0], r2[1] = c20, c21
			}
		}
	}
}
