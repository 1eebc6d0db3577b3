package vecindex

// cand is a candidate row and its score.
type cand struct {
	score float32
	ord   int32
}

// topK keeps the k best candidates seen in a min-heap: the root is the
// worst kept one, and thr is the score a new candidate must beat once the
// heap is full (-Inf before).
type topK struct {
	h   []cand
	k   int
	thr float32
}

func (t *topK) reset(k int) {
	if cap(t.h) < k {
		t.h = make([]cand, 0, k)
	}
	t.h = t.h[:0]
	t.k = k
	t.thr = negInf
}

// push adds c; the caller has checked c.score > t.thr.
func (t *topK) push(c cand) {
	h := t.h
	if len(h) < t.k {
		h = append(h, c)
		// Sift up.
		i := len(h) - 1
		for i > 0 {
			p := (i - 1) / 2
			if !less(h[i], h[p]) {
				break
			}
			h[i], h[p] = h[p], h[i]
			i = p
		}
		t.h = h
		if len(h) == t.k {
			t.thr = h[0].score
		}
		return
	}
	h[0] = c
	// Sift down.
	n := len(h)
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && less(h[r], h[l]) {
			m = r
		}
		if !less(h[m], h[i]) {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	t.thr = h[0].score
}

// less orders candidates worst first; among equal scores the higher
// ordinal is worse, so that results do not depend on scan order.
func less(a, b cand) bool {
	if a.score != b.score {
		return a.score < b.score
	}
	return a.ord > b.ord
}
