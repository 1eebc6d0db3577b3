package vecindex

// cand is a candidate row and its score.
type cand struct {
	score float32
	ord   int32
}

// topK keeps the k best candidates seen. Candidates that beat thr are
// appended to a buffer of 2k; when it fills, a quickselect keeps the best k
// and raises thr to the worst of them. That is amortised O(1) a candidate,
// where a heap costs O(log k), which shows when k is a few hundred re-rank
// candidates.
type topK struct {
	buf []cand
	k   int
	thr float32 // a candidate must score above thr; -Inf until k are kept
}

func (t *topK) reset(k int) {
	if cap(t.buf) < 2*k {
		t.buf = make([]cand, 0, 2*k)
	}
	t.buf = t.buf[:0]
	t.k = k
	t.thr = negInf
}

// push adds c; the caller has checked c.score > t.thr.
func (t *topK) push(c cand) {
	t.buf = append(t.buf, c)
	if len(t.buf) >= 2*t.k {
		t.compact()
	}
}

func (t *topK) compact() {
	selectBest(t.buf, t.k)
	t.buf = t.buf[:t.k]
	m := t.buf[0].score
	for _, c := range t.buf[1:] {
		m = min(m, c.score)
	}
	t.thr = m
}

// result returns the k best candidates (or all, if fewer), unordered.
func (t *topK) result() []cand {
	if len(t.buf) > t.k {
		t.compact()
	}
	return t.buf
}

// better orders candidates best first: higher score, then lower ordinal,
// so that results do not depend on scan order.
func better(a, b cand) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	return a.ord < b.ord
}

// selectBest reorders cs so that cs[:k] are its k best candidates
// (quickselect with a median-of-three pivot).
func selectBest(cs []cand, k int) {
	lo, hi := 0, len(cs)-1
	for lo < hi {
		mid := lo + (hi-lo)/2
		// Median of three to cs[mid].
		if better(cs[mid], cs[lo]) {
			cs[mid], cs[lo] = cs[lo], cs[mid]
		}
		if better(cs[hi], cs[lo]) {
			cs[hi], cs[lo] = cs[lo], cs[hi]
		}
		if better(cs[hi], cs[mid]) {
			cs[hi], cs[mid] = cs[mid], cs[hi]
		}
		pivot := cs[mid]
		i, j := lo, hi
		for i <= j {
			for better(cs[i], pivot) {
				i++
			}
			for better(pivot, cs[j]) {
				j--
			}
			if i <= j {
				cs[i], cs[j] = cs[j], cs[i]
				i++
				j--
			}
		}
		// Now cs[lo..j] are not worse than pivot, cs[i..hi] not better.
		switch {
		case k-1 <= j:
			hi = j
		case k-1 >= i:
			lo = i
		default:
			return
		}
	}
}
