package vecindex

// This file holds the portable kernels. They are the reference the assembly
// kernels are tested against and the only kernels on non-amd64 builds or
// with the purego build tag.

// dotI8I16Go returns the exact dot product of the first min(len(a), len(q))
// elements of a and q. The caller keeps |a[i]| <= 127 and
// len*127*max|q| < 2^31 so that the int32 sum cannot overflow.
func dotI8I16Go(a []int8, q []int16) int32 {
	n := min(len(a), len(q))
	a, q = a[:n], q[:n]
	var s0, s1, s2, s3 int32
	i := 0
	for ; i+4 <= n; i += 4 {
		s0 += int32(a[i]) * int32(q[i])
		s1 += int32(a[i+1]) * int32(q[i+1])
		s2 += int32(a[i+2]) * int32(q[i+2])
		s3 += int32(a[i+3]) * int32(q[i+3])
	}
	for ; i < n; i++ {
		s0 += int32(a[i]) * int32(q[i])
	}
	return s0 + s1 + s2 + s3
}

// dotsI8I16Go writes to out[r] the dot product of row r of codes (rows of
// stride int8) with q[:stride], for every r < len(out).
func dotsI8I16Go(codes []int8, stride int, q []int16, out []int32) {
	q = q[:stride]
	for r := range out {
		out[r] = dotI8I16Go(codes[r*stride:(r+1)*stride], q)
	}
}

// dotF32Go returns the dot product of the first min(len(a), len(b)) elements.
func dotF32Go(a, b []float32) float32 {
	n := min(len(a), len(b))
	a, b = a[:n], b[:n]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= n; i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < n; i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// dotsU4I8Go writes to out[r] the sum over the dimensions of row r of
// u*q, where u is the row's unsigned 4-bit code of a dimension and q the
// int8 query. A row is rowBytes bytes of 32-byte blocks; block b holds
// dimensions 64b+j in the low nibble of byte j and 64b+32+j in the high
// nibble (j < 32), so that the assembly can unpack a block into two runs of
// 32 consecutive dimensions.
func dotsU4I8Go(codes []byte, rowBytes int, q []int8, out []int32) {
	q = q[:2*rowBytes]
	for r := range out {
		row := codes[r*rowBytes : (r+1)*rowBytes]
		var s int32
		for b := 0; b < rowBytes; b += 32 {
			blk := row[b : b+32]
			qlo := q[2*b : 2*b+32]
			qhi := q[2*b+32 : 2*b+64]
			for j, c := range blk {
				s += int32(c&15)*int32(qlo[j]) + int32(c>>4)*int32(qhi[j])
			}
		}
		out[r] = s
	}
}
