package vecindex

import "math"

// queryMax is the largest |q| a quantised query may hold for codes of n
// dimensions, so that n*127*queryMax fits an int32 and every partial sum in
// the kernels is exact.
func queryMax(n int) int {
	if n <= 0 {
		return math.MaxInt16
	}
	return min(math.MaxInt16, math.MaxInt32/(127*n))
}
