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
