package vecindex

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// randCodes returns n codes in [-127, 127] and n query values in [-qmax, qmax].
func randCodes(r *rand.Rand, n int, qmax int) ([]int8, []int16) {
	a := make([]int8, n)
	q := make([]int16, n)
	for i := range a {
		a[i] = int8(r.IntN(255) - 127)
		q[i] = int16(r.IntN(2*qmax+1) - qmax)
	}
	return a, q
}

// naiveDot is the obviously correct int64 dot product.
func naiveDot(a []int8, q []int16) int64 {
	var s int64
	for i := range min(len(a), len(q)) {
		s += int64(a[i]) * int64(q[i])
	}
	return s
}

func TestDotI8I16MatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 7, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 383, 384, 512, 513, 1536, 4097} {
		qmax := queryMax(n)
		a, q := randCodes(r, n, qmax)
		want := naiveDot(a, q)
		if got := dotI8I16(a, q); int64(got) != want {
			t.Errorf("n=%d kernel %s: dotI8I16 = %d, want %d", n, Kernel(), got, want)
		}
		if got := dotI8I16Go(a, q); int64(got) != want {
			t.Errorf("n=%d: dotI8I16Go = %d, want %d", n, got, want)
		}
	}
}

// TestDotI8I16Extremes checks the extreme values that the quantiser can
// produce, where an overflow or saturation would show.
func TestDotI8I16Extremes(t *testing.T) {
	for _, n := range []int{16, 64, 512, 1536, 4096} {
		qmax := queryMax(n)
		for _, sa := range []int8{127, -127} {
			for _, sq := range []int16{1, -1} {
				a := make([]int8, n)
				q := make([]int16, n)
				for i := range a {
					a[i] = sa
					q[i] = sq * int16(qmax)
				}
				want := naiveDot(a, q)
				if want > math.MaxInt32 || want < math.MinInt32 {
					t.Fatalf("n=%d: queryMax %d lets the sum overflow int32", n, qmax)
				}
				if got := dotI8I16(a, q); int64(got) != want {
					t.Errorf("n=%d a=%d q=%d: got %d, want %d", n, sa, sq*int16(qmax), got, want)
				}
			}
		}
	}
}

func TestDotsI8I16MatchesGo(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, stride := range []int{32, 64, 96, 384, 512, 544, 1536} {
		for _, rows := range []int{0, 1, 2, 3, 17} {
			codes, _ := randCodes(r, rows*stride, 1)
			_, q := randCodes(r, stride, queryMax(stride))
			got := make([]int32, rows)
			want := make([]int32, rows)
			dotsI8I16(codes, stride, q, got)
			for i := range want {
				want[i] = int32(naiveDot(codes[i*stride:(i+1)*stride], q))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("stride=%d rows=%d row %d: got %d, want %d", stride, rows, i, got[i], want[i])
				}
			}
		}
	}
}

// TestDotsI8I16NoOverread puts the rows at the very end of their backing
// array, so that any read past the last row would touch another object or
// fault; the race detector and -d=checkptr builds catch the former.
func TestDotsI8I16NoOverread(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const stride, rows = 64, 3
	codes, _ := randCodes(r, rows*stride, 1)
	codes = codes[: rows*stride : rows*stride]
	_, q := randCodes(r, stride, queryMax(stride))
	q = q[:stride:stride]
	out := make([]int32, rows)
	dotsI8I16(codes, stride, q, out)
	for i := range out {
		if want := int32(naiveDot(codes[i*stride:(i+1)*stride], q)); out[i] != want {
			t.Errorf("row %d: got %d, want %d", i, out[i], want)
		}
	}
}

func TestDotF32(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{0, 1, 3, 7, 8, 9, 31, 32, 33, 100, 384, 512, 517} {
		a := make([]float32, n)
		b := make([]float32, n)
		var want float64
		for i := range a {
			a[i] = float32(r.NormFloat64())
			b[i] = float32(r.NormFloat64())
			want += float64(a[i]) * float64(b[i])
		}
		tol := 1e-5 * math.Sqrt(float64(n)+1) * 4
		if got := dotF32(a, b); math.Abs(float64(got)-want) > tol {
			t.Errorf("n=%d kernel %s: dotF32 = %v, want %v", n, Kernel(), got, want)
		}
		if got := dotF32Go(a, b); math.Abs(float64(got)-want) > tol {
			t.Errorf("n=%d: dotF32Go = %v, want %v", n, got, want)
		}
	}
}

// FuzzDotI8I16 checks that the dispatching kernel (assembly on amd64 with
// AVX2) and the portable one agree exactly on arbitrary codes and lengths.
func FuzzDotI8I16(f *testing.F) {
	f.Add([]byte{1, 2, 3}, uint16(7))
	f.Add(make([]byte, 100), uint16(32767))
	f.Add([]byte("the quick brown fox jumps over the lazy dog, twice over"), uint16(300))
	f.Fuzz(func(t *testing.T, data []byte, qseed uint16) {
		n := len(data)
		a := make([]int8, n)
		q := make([]int16, n)
		qmax := queryMax(max(n, 1))
		for i, b := range data {
			a[i] = int8(b)
			if a[i] == -128 {
				a[i] = -127
			}
			q[i] = int16((int(qseed)*(i+1)*2654435761)%(2*qmax+1) - qmax)
		}
		want := naiveDot(a, q)
		if got := dotI8I16(a, q); int64(got) != want {
			t.Fatalf("n=%d: dotI8I16 = %d, want %d", n, got, want)
		}
		if got := dotI8I16Go(a, q); int64(got) != want {
			t.Fatalf("n=%d: dotI8I16Go = %d, want %d", n, got, want)
		}
		if n >= 32 {
			stride := 32
			rows := n / stride
			out := make([]int32, rows)
			dotsI8I16(a[:rows*stride], stride, q, out)
			for r := range out {
				if w := naiveDot(a[r*stride:(r+1)*stride], q[:stride]); int64(out[r]) != w {
					t.Fatalf("rows kernel row %d: got %d, want %d", r, out[r], w)
				}
			}
		}
	})
}

func BenchmarkDotsI8I16(b *testing.B) {
	for _, rows := range []int{256, 4096, 1 << 20} {
		const stride = 512
		r := rand.New(rand.NewPCG(9, 9))
		codes, _ := randCodes(r, rows*stride, 1)
		_, q := randCodes(r, stride, queryMax(stride))
		out := make([]int32, 256)
		b.Run(Kernel()+"/rows="+strconv.Itoa(rows), func(b *testing.B) {
			b.SetBytes(int64(rows * stride))
			for b.Loop() {
				for off := 0; off < rows; off += len(out) {
					dotsI8I16(codes[off*stride:], stride, q, out)
				}
			}
		})
	}
}

// naiveU4 computes dotsU4I8's result for one row from unpacked values.
func naiveU4(row []byte, q []int8) int64 {
	var s int64
	for b := 0; b < len(row); b += 32 {
		for j := range 32 {
			c := row[b+j]
			s += int64(c&15)*int64(q[2*b+j]) + int64(c>>4)*int64(q[2*b+32+j])
		}
	}
	return s
}

func randU4(r *rand.Rand, rows, rowBytes int) ([]byte, []int8) {
	codes := make([]byte, rows*rowBytes)
	for i := range codes {
		codes[i] = byte(r.IntN(256))
	}
	q := make([]int8, 2*rowBytes)
	for i := range q {
		q[i] = int8(r.IntN(255) - 127)
	}
	return codes, q
}

func TestDotsU4I8(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	for _, rowBytes := range []int{32, 64, 96, 192, 256, 768} {
		for _, rows := range []int{0, 1, 2, 5, 33} {
			codes, q := randU4(r, rows, rowBytes)
			codes = codes[:len(codes):len(codes)]
			got := make([]int32, rows)
			gotGo := make([]int32, rows)
			dotsU4I8(codes, rowBytes, q, got)
			dotsU4I8Go(codes, rowBytes, q, gotGo)
			for i := range rows {
				want := naiveU4(codes[i*rowBytes:(i+1)*rowBytes], q)
				if int64(got[i]) != want || int64(gotGo[i]) != want {
					t.Errorf("rowBytes=%d rows=%d row %d: kernel %s %d, go %d, want %d", rowBytes, rows, i, Kernel(), got[i], gotGo[i], want)
				}
			}
		}
	}
	// Extremes: all nibbles 15 against +-127.
	for _, qv := range []int8{127, -127} {
		codes := make([]byte, 3*64)
		for i := range codes {
			codes[i] = 0xff
		}
		q := make([]int8, 128)
		for i := range q {
			q[i] = qv
		}
		out := make([]int32, 3)
		dotsU4I8(codes, 64, q, out)
		if want := int32(128 * 15 * int(qv)); out[0] != want || out[2] != want {
			t.Errorf("extremes q=%d: got %v, want %d", qv, out, want)
		}
	}
}

// FuzzDotsU4I8 checks the 4-bit kernel against the portable one on
// arbitrary codes and query bytes.
func FuzzDotsU4I8(f *testing.F) {
	f.Add(make([]byte, 64), []byte{1, 2, 3})
	f.Add([]byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"), []byte{255, 128, 127, 0})
	f.Fuzz(func(t *testing.T, codes, qb []byte) {
		const rowBytes = 32
		rows := len(codes) / rowBytes
		codes = codes[:rows*rowBytes]
		q := make([]int8, 2*rowBytes)
		for i := range q {
			if len(qb) > 0 {
				q[i] = int8(qb[i%len(qb)])
			}
			if q[i] == -128 {
				q[i] = -127
			}
		}
		got := make([]int32, rows)
		want := make([]int32, rows)
		dotsU4I8(codes, rowBytes, q, got)
		dotsU4I8Go(codes, rowBytes, q, want)
		for i := range got {
			if got[i] != want[i] || int64(want[i]) != naiveU4(codes[i*rowBytes:(i+1)*rowBytes], q) {
				t.Fatalf("row %d: kernel %d, go %d", i, got[i], want[i])
			}
		}
	})
}

func BenchmarkDotsU4I8(b *testing.B) {
	for _, rows := range []int{512, 8192, 1 << 21} {
		const rowBytes = 256 // 512 dimensions
		r := rand.New(rand.NewPCG(9, 9))
		codes, q := randU4(r, rows, rowBytes)
		out := make([]int32, 256)
		b.Run(Kernel()+"/rows="+strconv.Itoa(rows), func(b *testing.B) {
			b.SetBytes(int64(rows * rowBytes))
			for b.Loop() {
				for off := 0; off < rows; off += len(out) {
					dotsU4I8(codes[off*rowBytes:], rowBytes, q, out)
				}
			}
		})
	}
}
