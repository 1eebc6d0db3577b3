//go:build !amd64 || purego

package vecindex

// kernelName names the kernels in use, for benchmarks and logs.
const kernelName = "go"

func dotI8I16(a []int8, q []int16) int32 { return dotI8I16Go(a, q) }

func dotsI8I16(codes []int8, stride int, q []int16, out []int32) {
	dotsI8I16Go(codes, stride, q, out)
}

func dotF32(a, b []float32) float32 { return dotF32Go(a, b) }

// Kernel reports which scan kernels this build uses: "avx2" or "go".
func Kernel() string { return kernelName }

func dotsU4I8(codes []byte, rowBytes int, q []int8, out []int32) {
	dotsU4I8Go(codes, rowBytes, q, out)
}
