package sgemm

import (
	"sync"
	"sync/atomic"
)

// Tile and block sizes. mr×nr is the micro-kernel's tile of C; kcMax bounds
// the depth of one kernel call (a 16×256 B panel is 16 KiB, which stays in
// L1 next to a 6×256 A panel); mcMax bounds the rows of A packed at once
// (144×256 floats = 144 KiB, well inside L2).
//
// On the Zen 3 development machine, kc from 128 to 512 and mc from 72 to
// 288 all measured within noise of each other on the encoder's shapes.
const (
	mr    = 6
	nr    = 16
	kcMax = 256
	mcMax = 144
)

// parallelMinFlops is the smallest product (2·m·n·k) split across
// goroutines. Below it (for example a 128×128×64 attention product, 2.1
// MFLOP, about 25 µs on one core) waking a second goroutine costs more than
// it saves, and callers such as the encoder already run many such products
// concurrently.
const parallelMinFlops = 1 << 23

// kernelFunc computes one mr×nr tile: C[0:6][0:16] (+)= Â·B̂ where Â is a
// packed 6×kc panel (a[p*6+i]) and B̂ a packed kc×16 panel (b[p*16+j]). C
// has row stride ldc. With acc false the tile is overwritten.
type kernelFunc func(kc int, a, b, c []float32, ldc int, acc bool)

// impl is one implementation of the micro-kernel.
type impl struct {
	name string
	kern kernelFunc
}

// packed is a k×n matrix in panel layout: panel q (columns 16q..16q+15)
// occupies data[q*k*16 : (q+1)*k*16], element (p, j) of the panel at
// p*16+j. Columns past n are zero.
type packed struct {
	k, n int
	data []float32
}

func packedLen(k, n int) int { return (n + nr - 1) / nr * nr * k }

// bPool recycles packed-B buffers across calls; aPool recycles the
// per-goroutine packed A blocks (at most mcMax×kcMax floats). Two pools, so
// that a small A request never takes the large B buffer.
var bPool, aPool sync.Pool

// getFloats returns a buffer of n floats from pool, or a new one.
func getFloats(pool *sync.Pool, n int) *[]float32 {
	if v, ok := pool.Get().(*[]float32); ok && cap(*v) >= n {
		*v = (*v)[:n]
		return v
	}
	s := make([]float32, n)
	return &s
}

// parallelFor runs f(i) for i in [0, n) on up to workers goroutines (the
// calling one included), handing out indices dynamically.
func parallelFor(n, workers int, f func(i int)) {
	if workers > n {
		workers = n
	}
	if workers <= 1 {
		for i := 0; i < n; i++ {
			f(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	loop := func() {
		for {
			i := int(next.Add(1) - 1)
			if i >= n {
				return
			}
			f(i)
		}
	}
	wg.Add(workers - 1)
	for w := 1; w < workers; w++ {
		go func() {
			defer wg.Done()
			loop()
		}()
	}
	loop()
	wg.Wait()
}

// gemm computes C (+)= A·op(B), where op(B) is B (k×n) or, with bt, Bᵀ for
// B stored n×k. Arguments are already validated.
func (e impl) gemm(m, n, k int, a []float32, lda int, b []float32, ldb int, bt bool, c []float32, ldc int, acc bool, procs int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		if !acc {
			for i := 0; i < m; i++ {
				clear(c[i*ldc : i*ldc+n])
			}
		}
		return
	}
	buf := getFloats(&bPool, packedLen(k, n))
	pb := packed{k: k, n: n, data: *buf}
	packBAll(pb.data, k, n, b, ldb, bt, procs)
	e.run(m, a, lda, &pb, c, ldc, acc, procs)
	bPool.Put(buf)
}

// gemmPacked computes C (+)= A·B̂ for a packed B̂.
func (e impl) gemmPacked(m int, a []float32, lda int, pb *packed, c []float32, ldc int, acc bool, procs int) {
	n, k := pb.n, pb.k
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		if !acc {
			for i := 0; i < m; i++ {
				clear(c[i*ldc : i*ldc+n])
			}
		}
		return
	}
	e.run(m, a, lda, pb, c, ldc, acc, procs)
}

// packBAll packs the whole k×n matrix op(B) into dst (len packedLen(k, n)).
func packBAll(dst []float32, k, n int, b []float32, ldb int, bt bool, procs int) {
	panels := (n + nr - 1) / nr
	if k*n < 1<<16 {
		procs = 1
	}
	parallelFor(panels, procs, func(q int) {
		d := dst[q*k*nr : (q+1)*k*nr]
		j0 := q * nr
		w := min(nr, n-j0)
		if bt {
			packPanelT(d, b, ldb, k, j0, w)
		} else {
			packPanel(d, b, ldb, k, j0, w)
		}
	})
}

// packPanel copies columns j0..j0+w-1 of the k×n matrix b into the k×16
// panel d, zero-filling columns w..15.
func packPanel(d, b []float32, ldb, k, j0, w int) {
	if w == nr {
		for p := 0; p < k; p++ {
			o := p*ldb + j0
			*(*[nr]float32)(d[p*nr:]) = *(*[nr]float32)(b[o : o+nr])
		}
		return
	}
	for p := 0; p < k; p++ {
		o := p*ldb + j0
		dp := d[p*nr : p*nr+nr]
		copy(dp, b[o:o+w])
		clear(dp[w:])
	}
}

// packPanelT packs rows j0..j0+w-1 of the n×k matrix b, transposed, into
// the k×16 panel d, zero-filling columns w..15.
func packPanelT(d, b []float32, ldb, k, j0, w int) {
	d = d[:k*nr]
	if w == nr {
		// Sixteen rows side by side: sequential reads and whole 64-byte
		// writes, with the bounds checks hoisted out of the loop.
		var r [nr][]float32
		for jj := range r {
			r[jj] = b[(j0+jj)*ldb : (j0+jj)*ldb+k]
		}
		r0, r1, r2, r3, r4, r5, r6, r7 := r[0], r[1][:k], r[2][:k], r[3][:k], r[4][:k], r[5][:k], r[6][:k], r[7][:k]
		r8, r9, r10, r11, r12, r13, r14, r15 := r[8][:k], r[9][:k], r[10][:k], r[11][:k], r[12][:k], r[13][:k], r[14][:k], r[15][:k]
		for p := range r0 {
			t := (*[nr]float32)(d[p*nr:])
			t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7] = r0[p], r1[p], r2[p], r3[p], r4[p], r5[p], r6[p], r7[p]
			t[8], t[9], t[10], t[11], t[12], t[13], t[14], t[15] = r8[p], r9[p], r10[p], r11[p], r12[p], r13[p], r14[p], r15[p]
		}
		return
	}
	clear(d)
	for jj := 0; jj < w; jj++ {
		row := b[(j0+jj)*ldb : (j0+jj)*ldb+k]
		for p, v := range row {
			d[p*nr+jj] = v
		}
	}
}

// packA packs rows i0..i0+h-1, columns p0..p0+kc-1 of A into 6-row panels:
// panel r holds rows i0+6r.. at d[r*6*kc + p*6 + i]. Rows past h are zero.
func packA(d, a []float32, lda, i0, h, p0, kc int) {
	for r := 0; r*mr < h; r++ {
		dr := d[r*mr*kc : (r+1)*mr*kc]
		base := (i0+r*mr)*lda + p0
		rows := min(mr, h-r*mr)
		if rows == mr {
			r0 := a[base : base+kc]
			r1 := a[base+lda : base+lda+kc]
			r2 := a[base+2*lda : base+2*lda+kc]
			r3 := a[base+3*lda : base+3*lda+kc]
			r4 := a[base+4*lda : base+4*lda+kc]
			r5 := a[base+5*lda : base+5*lda+kc]
			for p := range r0 {
				t := (*[mr]float32)(dr[p*mr:])
				t[0], t[1], t[2], t[3], t[4], t[5] = r0[p], r1[p], r2[p], r3[p], r4[p], r5[p]
			}
			continue
		}
		clear(dr)
		for i := 0; i < rows; i++ {
			row := a[base+i*lda : base+i*lda+kc]
			for p, v := range row {
				dr[p*mr+i] = v
			}
		}
	}
}

// blocking chooses the k-block depth kc and splits the m×n product into
// rowBlocks blocks of mc rows times colGroups groups of gp 16-column panels.
// Row blocks are as tall as the L2 budget allows (mcMax), because every B
// panel fetched into L1 is reused once per 6 rows of the block; when that
// leaves fewer than two tasks per goroutine, the columns are split too (each
// column group then packs its own copy of the A block, which is cheap).
func blocking(m, n, k, procs int) (kc, mc, rowBlocks, gp, colGroups int) {
	nkb := (k + kcMax - 1) / kcMax
	kc = (k + nkb - 1) / nkb

	microRows := (m + mr - 1) / mr
	panels := (n + nr - 1) / nr
	rowBlocks = (m + mcMax - 1) / mcMax
	colGroups = 1
	if procs > 1 {
		// A few tasks per goroutine keep the cores balanced when the
		// machine is shared; a multiple of procs avoids a lone last task.
		want := 2 * procs
		if rowBlocks >= want {
			rowBlocks = (rowBlocks + procs - 1) / procs * procs
		} else {
			colGroups = (want + rowBlocks - 1) / rowBlocks
		}
	}
	rowBlocks = min(rowBlocks, microRows)
	mc = (microRows + rowBlocks - 1) / rowBlocks * mr
	rowBlocks = (m + mc - 1) / mc
	colGroups = min(colGroups, panels)
	gp = (panels + colGroups - 1) / colGroups
	colGroups = (panels + gp - 1) / gp
	return kc, mc, rowBlocks, gp, colGroups
}

// run computes C (+)= A·B̂ for m > 0, n > 0, k > 0.
func (e impl) run(m int, a []float32, lda int, pb *packed, c []float32, ldc int, acc bool, procs int) {
	n, k := pb.n, pb.k
	kc, mc, rowBlocks, gp, colGroups := blocking(m, n, k, procs)
	panels := (n + nr - 1) / nr
	tasks := rowBlocks * colGroups
	workers := min(procs, tasks)

	// One A buffer per goroutine, handed out from a small free list.
	bufs := make(chan *[]float32, workers)
	for w := 0; w < workers; w++ {
		bufs <- getFloats(&aPool, mcMax*kcMax)
	}
	parallelFor(tasks, workers, func(t int) {
		buf := <-bufs
		rb, cg := t%rowBlocks, t/rowBlocks
		i0 := rb * mc
		h := min(mc, m-i0)
		q0 := cg * gp
		q1 := min(q0+gp, panels)
		e.block(*buf, a, lda, i0, h, pb, q0, q1, kc, c, ldc, acc)
		bufs <- buf
	})
	for w := 0; w < workers; w++ {
		aPool.Put(<-bufs)
	}
}

// block computes rows i0..i0+h-1 of C for panels q0..q1-1 of B̂.
func (e impl) block(abuf, a []float32, lda, i0, h int, pb *packed, q0, q1, kc int, c []float32, ldc int, acc bool) {
	n, k := pb.n, pb.k
	var tmp [mr * nr]float32
	for p0 := 0; p0 < k; p0 += kc {
		kb := min(kc, k-p0)
		packA(abuf, a, lda, i0, h, p0, kb)
		add := acc || p0 > 0
		for q := q0; q < q1; q++ {
			j0 := q * nr
			w := min(nr, n-j0)
			bp := pb.data[q*k*nr+p0*nr : q*k*nr+(p0+kb)*nr]
			for r := 0; r*mr < h; r++ {
				ap := abuf[r*mr*kb : (r+1)*mr*kb]
				i := i0 + r*mr
				rows := min(mr, h-r*mr)
				if rows == mr && w == nr {
					e.kern(kb, ap, bp, c[i*ldc+j0:], ldc, add)
					continue
				}
				// Edge tile: compute into tmp, then merge the valid part.
				e.kern(kb, ap, bp, tmp[:], nr, false)
				for ii := 0; ii < rows; ii++ {
					cr := c[(i+ii)*ldc+j0 : (i+ii)*ldc+j0+w]
					tr := tmp[ii*nr : ii*nr+w]
					if add {
						for j, v := range tr {
							cr[j] += v
						}
					} else {
						copy(cr, tr)
					}
				}
			}
		}
	}
}
