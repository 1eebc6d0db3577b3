//go:build amd64 && !purego

package vecindex

import "golang.org/x/sys/cpu"

// useAVX2 selects the assembly kernels; it is a variable so that tests can
// run both paths on the same machine.
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// Kernel reports which scan kernels this build uses: "avx2" or "go".
func Kernel() string {
	if useAVX2 {
		return "avx2"
	}
	return "go"
}

//go:noescape
func dotI8I16AVX2(a *int8, q *int16, n int) int32

//go:noescape
func dotsI8I16AVX2(codes *int8, stride int, q *int16, out *int32, rows int)

//go:noescape
func dotF32AVX2(a, b *float32, n int) float32

func dotI8I16(a []int8, q []int16) int32 {
	n := min(len(a), len(q))
	if !useAVX2 || n < 16 {
		return dotI8I16Go(a, q)
	}
	return dotI8I16AVX2(&a[0], &q[0], n)
}

// dotsI8I16 needs stride to be a positive multiple of 32 for the assembly
// path; it falls back to Go otherwise.
func dotsI8I16(codes []int8, stride int, q []int16, out []int32) {
	rows := len(out)
	if !useAVX2 || rows == 0 || stride <= 0 || stride%32 != 0 {
		dotsI8I16Go(codes, stride, q, out)
		return
	}
	// Bounds checks once, so that the assembly never reads past a slice.
	_ = codes[rows*stride-1]
	_ = q[stride-1]
	dotsI8I16AVX2(&codes[0], stride, &q[0], &out[0], rows)
}

func dotF32(a, b []float32) float32 {
	n := min(len(a), len(b))
	if !useAVX2 || n < 8 {
		return dotF32Go(a, b)
	}
	return dotF32AVX2(&a[0], &b[0], n)
}

//go:noescape
func dotsU4I8AVX2(codes *byte, rowBytes int, q *int8, out *int32, rows int)

// dotsU4I8 needs rowBytes to be a positive multiple of 32 (it always is:
// the index pads 4-bit rows to 64 dimensions).
func dotsU4I8(codes []byte, rowBytes int, q []int8, out []int32) {
	rows := len(out)
	if !useAVX2 || rows == 0 || rowBytes <= 0 || rowBytes%32 != 0 {
		dotsU4I8Go(codes, rowBytes, q, out)
		return
	}
	_ = codes[rows*rowBytes-1]
	_ = q[2*rowBytes-1]
	dotsU4I8AVX2(&codes[0], rowBytes, &q[0], &out[0], rows)
}
