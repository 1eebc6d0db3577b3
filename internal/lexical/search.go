package lexical

import (
	"cmp"
	"container/heap"
	"math"
	"slices"
)

// qterm is one weighted query term.
type qterm struct {
	t uint32
	w float64 // query weight, before idf
}

// idfLocked is BM25's idf (Lucene's variant, always positive).
func (ix *Index) idfLocked(t uint32) float64 {
	df := float64(len(ix.terms[t].post))
	return math.Log(1 + (float64(ix.live)-df+0.5)/(df+0.5))
}

// queryTermsLocked analyses a free-text query into known terms with their
// query weights: 1 per occurrence, bigrams weighted by the bigram weight.
// Terms are in text order (so that sums are computed in the same order
// whatever the index's history).
func (ix *Index) queryTermsLocked(a *analysis) []qterm {
	var q []qterm
	add := func(t uint32, w float64) {
		for i := range q {
			if q[i].t == t {
				q[i].w += w
				return
			}
		}
		q = append(q, qterm{t, w})
	}
	prev, prevOK := uint32(0), false
	for i, w := range a.words {
		t, ok := ix.uni[w]
		if ok && len(ix.terms[t].post) > 0 {
			add(t, 1)
		}
		if ok && prevOK && i > 0 && !a.brk[i] && ix.cfg.bigramWeight > 0 {
			if bt, ok := ix.bi[uint64(prev)<<32|uint64(t)]; ok {
				add(bt, ix.cfg.bigramWeight)
			}
		}
		prev, prevOK = t, ok
	}
	for _, w := range a.extra {
		if t, ok := ix.uni[w]; ok && len(ix.terms[t].post) > 0 {
			add(t, 1)
		}
	}
	return q
}

// accum accumulates scores by slot; stamp marks the slots touched by the
// current query (stamp[s] == epoch), so nothing needs clearing.
type accum struct {
	scores  []float64
	stamp   []uint32
	epoch   uint32
	touched []uint32
}

func (ix *Index) getAccum() *accum {
	a, _ := ix.accums.Get().(*accum)
	if a == nil {
		a = &accum{}
	}
	n := len(ix.docs)
	if len(a.scores) < n {
		a.scores = make([]float64, n+n/4)
		a.stamp = make([]uint32, n+n/4)
		a.epoch = 0
	}
	a.epoch++
	if a.epoch == 0 { // wrapped: reset stamps
		clear(a.stamp)
		a.epoch = 1
	}
	a.touched = a.touched[:0]
	return a
}

func (ix *Index) putAccum(a *accum) { ix.accums.Put(a) }

// bm25Locked adds the BM25 contributions of q to acc.
func (ix *Index) bm25Locked(q []qterm, acc *accum) {
	if ix.live == 0 {
		return
	}
	k1, b := ix.cfg.k1, ix.cfg.b
	avgdl := ix.totalLen / float64(ix.live)
	if avgdl <= 0 {
		avgdl = 1
	}
	c1, c2 := k1*(1-b), k1*b/avgdl
	for _, qt := range q {
		factor := qt.w * ix.idfLocked(qt.t) * (k1 + 1)
		for _, p := range ix.terms[qt.t].post {
			s := p >> 8
			tf := float64(p & 0xff)
			v := factor * tf / (tf + c1 + c2*float64(ix.lens[s]))
			if acc.stamp[s] != acc.epoch {
				acc.stamp[s] = acc.epoch
				acc.scores[s] = v
				acc.touched = append(acc.touched, s)
			} else {
				acc.scores[s] += v
			}
		}
	}
}

// bm25DocLocked is the BM25 score of the document in slot for q.
func (ix *Index) bm25DocLocked(q []qterm, slot uint32) float64 {
	if ix.live == 0 {
		return 0
	}
	d := &ix.docs[slot]
	k1, b := ix.cfg.k1, ix.cfg.b
	avgdl := ix.totalLen / float64(ix.live)
	if avgdl <= 0 {
		avgdl = 1
	}
	norm := k1*(1-b) + k1*b*float64(ix.lens[slot])/avgdl
	score := 0.0
	for _, qt := range q {
		i, ok := slices.BinarySearch(d.terms, qt.t)
		if !ok {
			continue
		}
		tf := float64(d.tfs[i])
		score += qt.w * ix.idfLocked(qt.t) * (k1 + 1) * tf / (tf + norm)
	}
	return score
}

// ceilingLocked is the most any document can score for q: each term at
// its saturation, w·idf·(k1+1), over the terms with positive weight.
func (ix *Index) ceilingLocked(q []qterm) float64 {
	c := 0.0
	for _, qt := range q {
		if qt.w > 0 {
			c += qt.w * ix.idfLocked(qt.t) * (ix.cfg.k1 + 1)
		}
	}
	return c
}

// hitHeap is a min-heap of the best hits so far: the worst on top. Ties are
// broken by ID, so results do not depend on the index's history.
type hitHeap []Hit

func worse(a, b Hit) bool {
	if a.Score != b.Score {
		return a.Score < b.Score
	}
	return a.ID > b.ID
}

func (h hitHeap) Len() int           { return len(h) }
func (h hitHeap) Less(i, j int) bool { return worse(h[i], h[j]) }
func (h hitHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *hitHeap) Push(x any)        { *h = append(*h, x.(Hit)) }
func (h *hitHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// topLocked returns the k best positive-scored touched slots, best first,
// skipping the slots in skip and the IDs exclude rejects.
func (ix *Index) topLocked(acc *accum, k int, skip []uint32, exclude func(string) bool) []Hit {
	if k <= 0 {
		return nil
	}
	h := make(hitHeap, 0, min(k, len(acc.touched)))
	for _, s := range acc.touched {
		v := acc.scores[s]
		if v <= 0 || slices.Contains(skip, s) {
			continue
		}
		id := ix.docs[s].id
		cand := Hit{ID: id, Score: v}
		if len(h) == k && !worse(h[0], cand) {
			continue
		}
		if exclude != nil && exclude(id) {
			continue
		}
		if len(h) < k {
			heap.Push(&h, cand)
		} else {
			h[0] = cand
			heap.Fix(&h, 0)
		}
	}
	slices.SortFunc(h, func(a, b Hit) int {
		if worse(a, b) {
			return 1
		}
		if worse(b, a) {
			return -1
		}
		return 0
	})
	return h
}

// Search returns at most k documents that match query, best first, with
// their BM25 scores (unigram and bigram matches summed; see the package
// doc on normalising). Documents that share no term with the query are
// not returned. exclude, if not nil, rejects IDs; it is called under the
// index's read lock and must not call the index.
func (ix *Index) Search(query string, k int, exclude func(id string) bool) []Hit {
	if k <= 0 {
		return nil
	}
	var a analysis
	analyze(query, &a)
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	q := ix.queryTermsLocked(&a)
	if len(q) == 0 {
		return nil
	}
	acc := ix.getAccum()
	defer ix.putAccum(acc)
	ix.bm25Locked(q, acc)
	return ix.topLocked(acc, k, nil, exclude)
}

// ScoreQuery returns the BM25 score of each of ids for query, in the order
// of ids: the score Search would give, 0 for an ID that does not match or
// is not in the index.
func (ix *Index) ScoreQuery(query string, ids []string) []float64 {
	var a analysis
	analyze(query, &a)
	out := make([]float64, len(ids))
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	q := ix.queryTermsLocked(&a)
	if len(q) == 0 {
		return out
	}
	for i, id := range ids {
		if s, ok := ix.ids[id]; ok {
			out[i] = ix.bm25DocLocked(q, s)
		}
	}
	return out
}

// QueryCeiling returns the most any document could score for query (each
// query term at BM25's saturation, idf·(k1+1)), 0 if no query term is in
// the index. Search scores divided by it lie in [0, 1].
func (ix *Index) QueryCeiling(query string) float64 {
	var a analysis
	analyze(query, &a)
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.ceilingLocked(ix.queryTermsLocked(&a))
}

// docQueryLocked turns the document in slot into weighted query terms: its
// terms weighted by sublinear tf·idf, (1+ln tf)·idf (bigrams times the
// bigram weight), L2-normalised, keeping the n heaviest.
func (ix *Index) docQueryLocked(slot uint32, n int) []qterm {
	d := &ix.docs[slot]
	q := make([]qterm, 0, len(d.terms))
	norm := 0.0
	for i, t := range d.terms {
		w := (1 + math.Log(float64(d.tfs[i]))) * ix.idfLocked(t)
		if ix.terms[t].word == "" {
			w *= ix.cfg.bigramWeight
		}
		if w <= 0 {
			continue
		}
		q = append(q, qterm{t, w})
		norm += w * w
	}
	if norm == 0 {
		return nil
	}
	norm = math.Sqrt(norm)
	for i := range q {
		q[i].w /= norm
	}
	ix.sortQueryLocked(q)
	if len(q) > n {
		q = q[:n]
	}
	return q
}

// sortQueryLocked orders q by weight, heaviest first, ties by term text so
// that the order does not depend on term numbering.
func (ix *Index) sortQueryLocked(q []qterm) {
	slices.SortFunc(q, func(a, b qterm) int {
		if c := cmp.Compare(b.w, a.w); c != 0 {
			return c
		}
		return ix.compareTermsLocked(a.t, b.t)
	})
}

// compareTermsLocked orders terms by their text: unigrams by word, bigrams
// by their words, unigrams first.
func (ix *Index) compareTermsLocked(a, b uint32) int {
	ta, tb := &ix.terms[a], &ix.terms[b]
	ua, ub := ta.word != "", tb.word != ""
	switch {
	case ua && ub:
		return cmp.Compare(ta.word, tb.word)
	case ua:
		return -1
	case ub:
		return 1
	}
	if c := cmp.Compare(ix.terms[ta.pair>>32].word, ix.terms[tb.pair>>32].word); c != 0 {
		return c
	}
	return cmp.Compare(ix.terms[uint32(ta.pair)].word, ix.terms[uint32(tb.pair)].word)
}

// Similar returns at most k documents most like the stored document id,
// best first, never id itself: the document's 64 (WithDocTerms) heaviest
// terms by sublinear tf·idf, L2-normalised, scored with BM25 against every
// other document. Scores are raw; SimilarCeiling and the document's own
// score (ScoreSimilar with id itself) normalise them. The bool is false
// when id is not in the index.
func (ix *Index) Similar(id string, k int, exclude func(id string) bool) ([]Hit, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	slot, ok := ix.ids[id]
	if !ok {
		return nil, false
	}
	if k <= 0 {
		return nil, true
	}
	q := ix.docQueryLocked(slot, ix.cfg.docTerms)
	if len(q) == 0 {
		return nil, true
	}
	acc := ix.getAccum()
	defer ix.putAccum(acc)
	ix.bm25Locked(q, acc)
	return ix.topLocked(acc, k, []uint32{slot}, exclude), true
}

// ScoreSimilar returns the Similar score of each of ids against the stored
// document id, in the order of ids (0 for unknown IDs); id itself gets its
// self-score, the natural scale for normalising. The bool is false when id
// is not in the index.
func (ix *Index) ScoreSimilar(id string, ids []string) ([]float64, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	slot, ok := ix.ids[id]
	if !ok {
		return nil, false
	}
	out := make([]float64, len(ids))
	q := ix.docQueryLocked(slot, ix.cfg.docTerms)
	for i, other := range ids {
		if s, ok := ix.ids[other]; ok {
			out[i] = ix.bm25DocLocked(q, s)
		}
	}
	return out, true
}

// SimilarCeiling returns the most any document could score in Similar(id),
// and false when id is not in the index.
func (ix *Index) SimilarCeiling(id string) (float64, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	slot, ok := ix.ids[id]
	if !ok {
		return 0, false
	}
	return ix.ceilingLocked(ix.docQueryLocked(slot, ix.cfg.docTerms)), true
}

// Recommend returns at most k documents for a reader who liked positive and
// disliked negative (stored IDs; unknown ones are ignored), best first,
// none of positive or negative. The query is Rocchio's: the mean of the
// liked documents' normalised term vectors minus 0.5 (WithNegativeWeight)
// times the mean of the disliked ones', keeping the heaviest 64·(number of
// liked documents, at most 4) terms of either sign; documents are scored
// with BM25, so a disliked document's distinctive terms count against a
// candidate. Only documents with a positive score are returned; nil when no
// liked document is known.
func (ix *Index) Recommend(positive, negative []string, k int, exclude func(string) bool) []Hit {
	if k <= 0 {
		return nil
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	q, skip := ix.rocchioLocked(positive, negative)
	if len(q) == 0 {
		return nil
	}
	acc := ix.getAccum()
	defer ix.putAccum(acc)
	ix.bm25Locked(q, acc)
	return ix.topLocked(acc, k, skip, exclude)
}

// ScoreRecommend returns the Recommend score of each of ids, in the order
// of ids (0 for unknown IDs).
func (ix *Index) ScoreRecommend(positive, negative []string, ids []string) []float64 {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	out := make([]float64, len(ids))
	q, _ := ix.rocchioLocked(positive, negative)
	for i, id := range ids {
		if s, ok := ix.ids[id]; ok && len(q) > 0 {
			out[i] = ix.bm25DocLocked(q, s)
		}
	}
	return out
}

// rocchioLocked builds Recommend's query and returns it with the slots of
// the known positive and negative documents.
func (ix *Index) rocchioLocked(positive, negative []string) ([]qterm, []uint32) {
	var skip []uint32
	weights := map[uint32]float64{}
	addAll := func(ids []string, scale float64) int {
		n := 0
		for _, id := range ids {
			if s, ok := ix.ids[id]; ok && !slices.Contains(skip, s) {
				skip = append(skip, s)
				n++
			}
		}
		if n == 0 {
			return 0
		}
		for _, s := range skip[len(skip)-n:] {
			for _, qt := range ix.docQueryLocked(s, math.MaxInt) {
				weights[qt.t] += scale * qt.w / float64(n)
			}
		}
		return n
	}
	npos := addAll(positive, 1)
	if npos == 0 {
		return nil, skip
	}
	addAll(negative, -ix.cfg.negWeight)
	q := make([]qterm, 0, len(weights))
	for t, w := range weights {
		if w != 0 {
			q = append(q, qterm{t, w})
		}
	}
	slices.SortFunc(q, func(a, b qterm) int {
		if c := cmp.Compare(math.Abs(b.w), math.Abs(a.w)); c != 0 {
			return c
		}
		return ix.compareTermsLocked(a.t, b.t)
	})
	if n := ix.cfg.docTerms * min(npos, 4); len(q) > n {
		q = q[:n]
	}
	return q, skip
}
