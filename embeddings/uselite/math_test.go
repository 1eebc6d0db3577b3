package uselite

import (
	"math"
	"sync"
	"testing"
)

func TestExp32(t *testing.T) {
	worst := 0.0
	for x := float32(-90); x <= 0; x += 0.00137 {
		got := float64(exp32(x))
		want := math.Exp(float64(x))
		if want < 1e-37 {
			if got > 1e-37 {
				t.Fatalf("exp32(%g) = %g, want about %g", x, got, want)
			}
			continue
		}
		rel := math.Abs(got-want) / want
		worst = max(worst, rel)
		if rel > 3e-7 {
			t.Fatalf("exp32(%g) = %.9g, want %.9g (relative error %.2g)", x, got, want, rel)
		}
	}
	if exp32(0) != 1 {
		t.Errorf("exp32(0) = %g, want 1", exp32(0))
	}
	t.Logf("worst relative error %.3g", worst)
}

func TestSoftmax(t *testing.T) {
	for _, tc := range []struct{ in, want []float32 }{
		{[]float32{0}, []float32{1}},
		{[]float32{1, 1}, []float32{0.5, 0.5}},
		{[]float32{0, float32(math.Log(3))}, []float32{0.25, 0.75}},
		{[]float32{-1e9, 5, -1e9}, []float32{0, 1, 0}},
		{[]float32{1000, 1000}, []float32{0.5, 0.5}},
	} {
		got := append([]float32(nil), tc.in...)
		softmax(got)
		for i := range got {
			if math.Abs(float64(got[i]-tc.want[i])) > 1e-6 {
				t.Errorf("softmax(%v) = %v, want %v", tc.in, got, tc.want)
				break
			}
		}
	}
}

func TestParallelRows(t *testing.T) {
	for _, rows := range []int{0, 1, 63, 64, 65, 200, 1023} {
		for _, procs := range []int{1, 2, 3, 8} {
			seen := make([]int32, rows)
			var mu sync.Mutex
			parallelRows(rows, procs, func(r0, r1 int) {
				mu.Lock()
				defer mu.Unlock()
				for r := r0; r < r1; r++ {
					seen[r]++
				}
			})
			for r, n := range seen {
				if n != 1 {
					t.Fatalf("rows=%d procs=%d: row %d visited %d times", rows, procs, r, n)
				}
			}
		}
	}
}
