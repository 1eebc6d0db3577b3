package lexical

import (
	"cmp"
	"container/heap"
	"math"
	"slices"
)

// query is a weighted bag of unigram and bigram terms.
type query struct {
	uni []qterm
	bi  []qbigram
}

// qterm is one weighted unigram of a query.
type qterm struct {
	t uint32
	w float64 // query weight, before idf
}

// qbigram is one weighted bigram of a query. mask has the bits of the
// bigram's two words among the first 64 query unigrams (0 when either is
// not among them): a document can only contain the bigram if its matched
// unigrams cover mask.
type qbigram struct {
	key  uint64
	w    float64
	mask uint64
}

func (q *query) empty() bool { return len(q.uni) == 0 && len(q.bi) == 0 }

// setMasks fills in the bigrams' masks from the unigram list.
func (q *query) setMasks() {
	pos := make(map[uint32]int, len(q.uni))
	for i, u := range q.uni {
		if i < 64 {
			pos[u.t] = i
		}
	}
	for j := range q.bi {
		ta, tb := bigramParts(q.bi[j].key)
		a, aok := pos[ta]
		b, bok := pos[tb]
		if aok && bok {
			q.bi[j].mask = 1<<a | 1<<b
		} else {
			q.bi[j].mask = 0
		}
	}
}

// idf is BM25's idf (Lucene's variant, always positive) for a term in df
// of n documents.
func idf(df, n int) float64 {
	return math.Log(1 + (float64(n)-float64(df)+0.5)/(float64(df)+0.5))
}

func (ix *Index) uniIDFLocked(t uint32) float64 { return idf(len(ix.terms[t].post), ix.live) }
func (ix *Index) biIDFLocked(k uint64) float64  { return idf(int(ix.biDF.get(k)), ix.live) }

// textQueryLocked turns an analysed free-text query into known terms: each
// unigram weighted by its count, each bigram by its count times the bigram
// weight. Terms are kept in text order (so that sums are computed in the
// same order whatever the index's history).
func (ix *Index) textQueryLocked(a *analysis) query {
	var q query
	addUni := func(t uint32) {
		for i := range q.uni {
			if q.uni[i].t == t {
				q.uni[i].w++
				return
			}
		}
		q.uni = append(q.uni, qterm{t, 1})
	}
	known := func(w string) (uint32, bool) {
		t, ok := ix.uni[w]
		return t, ok && len(ix.terms[t].post) > 0
	}
	prev, prevOK := uint32(0), false
	for i, w := range a.words {
		t, ok := known(w)
		if ok {
			addUni(t)
		}
		if ok && prevOK && !a.brk[i] && ix.cfg.bigramWeight > 0 {
			if k := bigramKey(prev, t); prev <= bigramMaxTerm && t <= bigramMaxTerm && ix.biDF.get(k) > 0 {
				found := false
				for j := range q.bi {
					if q.bi[j].key == k {
						q.bi[j].w += ix.cfg.bigramWeight
						found = true
					}
				}
				if !found {
					q.bi = append(q.bi, qbigram{key: k, w: ix.cfg.bigramWeight})
				}
			}
		}
		prev, prevOK = t, ok
	}
	for _, w := range a.extra {
		if t, ok := known(w); ok {
			addUni(t)
		}
	}
	q.setMasks()
	return q
}

// scorer holds what BM25 needs for one query at the index's current
// statistics: each term's factor w·idf·(k1+1) and the length norm's
// constants.
type scorer struct {
	c1, c2 float64 // norm(slot) = c1 + c2·len(slot)
	uf, bf []float64
}

func (ix *Index) newScorerLocked(q *query) *scorer {
	k1, b := ix.cfg.k1, ix.cfg.b
	avgdl := 1.0
	if ix.live > 0 && ix.totalLen > 0 {
		avgdl = ix.totalLen / float64(ix.live)
	}
	sc := &scorer{c1: k1 * (1 - b), c2: k1 * b / avgdl}
	sc.uf = make([]float64, len(q.uni))
	for i, u := range q.uni {
		sc.uf[i] = u.w * ix.uniIDFLocked(u.t) * (k1 + 1)
	}
	sc.bf = make([]float64, len(q.bi))
	for j, bg := range q.bi {
		sc.bf[j] = bg.w * ix.biIDFLocked(bg.key) * (k1 + 1)
	}
	return sc
}

// ceiling is the most any document can score: every term with a positive
// weight at saturation.
func (sc *scorer) ceiling() float64 {
	c := 0.0
	for _, f := range sc.uf {
		c += max(f, 0)
	}
	for _, f := range sc.bf {
		c += max(f, 0)
	}
	return c
}

// bigramScoreLocked is the bigram part of the score of the document in
// slot, counting only bigrams whose mask is covered by mask.
func (ix *Index) bigramScoreLocked(q *query, sc *scorer, slot uint32, mask uint64) float64 {
	d := &ix.docs[slot]
	if len(d.bigrams) == 0 {
		return 0
	}
	norm := sc.c1 + sc.c2*float64(ix.lens[slot])
	s := 0.0
	for j, bg := range q.bi {
		if bg.mask&^mask != 0 {
			continue
		}
		i, ok := slices.BinarySearch(d.bigrams, bg.key)
		if !ok {
			continue
		}
		n := 1
		for i+n < len(d.bigrams) && d.bigrams[i+n] == bg.key {
			n++
		}
		tf := float64(min(n, maxTF))
		s += sc.bf[j] * tf / (tf + norm)
	}
	return s
}

// scoreDocLocked is the full score of the document in slot for q, from its
// forward index.
func (ix *Index) scoreDocLocked(q *query, sc *scorer, slot uint32) float64 {
	d := &ix.docs[slot]
	norm := sc.c1 + sc.c2*float64(ix.lens[slot])
	s := 0.0
	for i, u := range q.uni {
		j, ok := slices.BinarySearch(d.terms, u.t)
		if !ok {
			continue
		}
		tf := float64(d.tfs[j])
		s += sc.uf[i] * tf / (tf + norm)
	}
	return s + ix.bigramScoreLocked(q, sc, slot, ^uint64(0))
}

// accum accumulates unigram scores and matched-term masks by slot; stamp
// marks the slots touched by the current query (stamp[s] == epoch), so
// nothing needs clearing between queries.
type accum struct {
	scores  []float64
	masks   []uint64
	stamp   []uint32
	epoch   uint32
	touched []uint32
}

func (ix *Index) getAccum() *accum {
	a, _ := ix.accums.Get().(*accum)
	if a == nil {
		a = &accum{}
	}
	if n := len(ix.docs); len(a.scores) < n {
		n += n / 4
		a.scores = make([]float64, n)
		a.masks = make([]uint64, n)
		a.stamp = make([]uint32, n)
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

// topK keeps the k best hits with a positive score, skipping slots and
// IDs that exclude rejects.
type topK struct {
	ix      *Index
	k       int
	h       hitHeap
	skip    []uint32
	exclude func(string) bool
}

// full reports whether k hits are held; then h[0] is the worst of them.
func (t *topK) full() bool { return len(t.h) == t.k }

func (t *topK) offer(slot uint32, score float64) {
	if score <= 0 || slices.Contains(t.skip, slot) {
		return
	}
	cand := Hit{ID: t.ix.docs[slot].id, Score: score}
	if t.full() && !worse(t.h[0], cand) {
		return
	}
	if t.exclude != nil && t.exclude(cand.ID) {
		return
	}
	if !t.full() {
		heap.Push(&t.h, cand)
		return
	}
	t.h[0] = cand
	heap.Fix(&t.h, 0)
}

func (t *topK) sorted() []Hit {
	h := []Hit(t.h)
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

// bound is a candidate and an upper bound of its score.
type bound struct {
	v    float64
	slot uint32
}

type boundHeap []bound

func (h boundHeap) Len() int           { return len(h) }
func (h boundHeap) Less(i, j int) bool { return h[i].v < h[j].v }
func (h boundHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *boundHeap) Push(x any)        { *h = append(*h, x.(bound)) }
func (h *boundHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// rescoreDepth is how many of the best documents by unigram score are
// rescored with their bigrams, for k results: bigram matches reorder the
// best unigram matches, they do not bring in documents from further down.
func rescoreDepth(k int) int { return max(4*k, 100) }

// accumulateLocked adds the unigram scores of q into acc, with a mask of
// the query unigrams each document contains, leaving in acc.touched every
// document that can still be among the m best by unigram score.
//
// Terms are taken in decreasing order of their most possible contribution
// (max-score): rare terms first, term at a time from the postings. Once the
// most that all remaining terms can add is below a lower bound of the m-th
// best final score (the m-th best partial score, less everything negative
// terms could take off), no other document can reach the m best, so the
// remaining terms, usually the common ones with the longest postings, only
// update the candidates, and candidates that cannot reach the bound are
// dropped. A term updates the candidates through their forward index when
// they are few next to its postings, and by a scan of its postings
// otherwise. Negative terms (Recommend's disliked documents) never add
// candidates: a document without a positive term scores at most 0.
func (ix *Index) accumulateLocked(q *query, sc *scorer, acc *accum, m int, skip []uint32, exclude func(string) bool) {
	order := make([]int, len(q.uni))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(sc.uf[b], sc.uf[a]) })
	rest := make([]float64, len(order)+1) // rest[n]: most that order[n:] can add
	neg := 0.0                            // most that negative terms can take off
	for n := len(order) - 1; n >= 0; n-- {
		f := sc.uf[order[n]]
		rest[n] = rest[n+1] + max(f, 0)
		neg += min(f, 0)
	}
	open, maxPartial := true, 0.0 // open: new documents may still enter
	for n, i := range order {
		u, f := q.uni[i], sc.uf[i]
		bit := uint64(0)
		if i < 64 {
			bit = 1 << i
		}
		if f < 0 {
			open = false
		}
		if open && n > 0 && rest[n] < maxPartial+neg {
			if theta := ix.partialThresholdLocked(acc, m, skip, exclude) + neg; rest[n] < theta {
				open = false
				kept := acc.touched[:0]
				for _, s := range acc.touched {
					if acc.scores[s]+rest[n] >= theta {
						kept = append(kept, s)
					} else {
						acc.stamp[s] = acc.epoch - 1 // no longer a candidate
					}
				}
				acc.touched = kept
			}
		}
		post := ix.terms[u.t].post
		switch {
		case open:
			for _, p := range post {
				s := p >> 8
				tf := float64(p & 0xff)
				v := f * tf / (tf + sc.c1 + sc.c2*float64(ix.lens[s]))
				if acc.stamp[s] != acc.epoch {
					acc.stamp[s] = acc.epoch
					acc.scores[s] = v
					acc.masks[s] = bit
					acc.touched = append(acc.touched, s)
				} else {
					v += acc.scores[s]
					acc.scores[s] = v
					acc.masks[s] |= bit
				}
				maxPartial = max(maxPartial, v)
			}
		case len(acc.touched)*48 < len(post):
			for _, s := range acc.touched {
				d := &ix.docs[s]
				j, ok := slices.BinarySearch(d.terms, u.t)
				if !ok {
					continue
				}
				tf := float64(d.tfs[j])
				acc.scores[s] += f * tf / (tf + sc.c1 + sc.c2*float64(ix.lens[s]))
				acc.masks[s] |= bit
			}
		default:
			for _, p := range post {
				s := p >> 8
				if acc.stamp[s] != acc.epoch {
					continue
				}
				tf := float64(p & 0xff)
				acc.scores[s] += f * tf / (tf + sc.c1 + sc.c2*float64(ix.lens[s]))
				acc.masks[s] |= bit
			}
		}
	}
}

// partialThresholdLocked returns the m-th best partial score among the
// candidates that may be returned (not in skip, not excluded), or 0 when
// that is not known: fewer than m candidates, or an excluded one among the
// m best.
func (ix *Index) partialThresholdLocked(acc *accum, m int, skip []uint32, exclude func(string) bool) float64 {
	if len(acc.touched) < m {
		return 0
	}
	h := make(boundHeap, 0, m)
	for _, s := range acc.touched {
		v := acc.scores[s]
		if len(h) == m && v <= h[0].v || slices.Contains(skip, s) {
			continue
		}
		if len(h) < m {
			heap.Push(&h, bound{v, s})
		} else {
			h[0] = bound{v, s}
			heap.Fix(&h, 0)
		}
	}
	if len(h) < m {
		return 0
	}
	if exclude != nil {
		for _, b := range h {
			if exclude(ix.docs[b.slot].id) {
				return 0
			}
		}
	}
	return h[0].v
}

// runLocked returns the k best documents for q, best first, skipping the
// slots in skip and the IDs exclude rejects: the rescoreDepth(k) best by
// unigram score (exactly, see accumulateLocked), rescored with their
// bigrams. Without bigrams the result is exactly the k best by score.
func (ix *Index) runLocked(q *query, k int, skip []uint32, exclude func(string) bool) []Hit {
	if k <= 0 || q.empty() || ix.live == 0 {
		return nil
	}
	sc := ix.newScorerLocked(q)
	acc := ix.getAccum()
	defer ix.accums.Put(acc)
	top := &topK{ix: ix, k: k, skip: skip, exclude: exclude}
	if len(q.bi) == 0 {
		ix.accumulateLocked(q, sc, acc, k, skip, exclude)
		for _, s := range acc.touched {
			top.offer(s, acc.scores[s])
		}
		return top.sorted()
	}
	m := rescoreDepth(k)
	ix.accumulateLocked(q, sc, acc, m, skip, exclude)
	// The m best by unigram score, skipping what cannot be returned.
	bh := make(boundHeap, 0, m)
	for _, s := range acc.touched {
		v := acc.scores[s]
		if len(bh) == m && v <= bh[0].v || slices.Contains(skip, s) {
			continue
		}
		if len(bh) < m {
			heap.Push(&bh, bound{v, s})
		} else {
			bh[0] = bound{v, s}
			heap.Fix(&bh, 0)
		}
	}
	for _, c := range bh {
		top.offer(c.slot, c.v+ix.bigramScoreLocked(q, sc, c.slot, acc.masks[c.slot]))
	}
	return top.sorted()
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
	q := ix.textQueryLocked(&a)
	return ix.runLocked(&q, k, nil, exclude)
}

// ScoreQuery returns the BM25 score of each of ids for query, in the order
// of ids: the score Search would give, 0 for an ID that does not match or
// is not in the index.
func (ix *Index) ScoreQuery(query string, ids []string) []float64 {
	var a analysis
	analyze(query, &a)
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	q := ix.textQueryLocked(&a)
	return ix.scoreIDsLocked(&q, ids)
}

func (ix *Index) scoreIDsLocked(q *query, ids []string) []float64 {
	out := make([]float64, len(ids))
	if q.empty() {
		return out
	}
	sc := ix.newScorerLocked(q)
	for i, id := range ids {
		if s, ok := ix.ids[id]; ok {
			out[i] = ix.scoreDocLocked(q, sc, s)
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
	q := ix.textQueryLocked(&a)
	return ix.newScorerLocked(&q).ceiling()
}

// dterm is a unigram (uni) or bigram term of a document vector.
type dterm struct {
	key uint64 // unigram term, or bigram key
	uni bool
	w   float64
}

// docVectorLocked is the document's term vector: sublinear tf·idf,
// (1+ln tf)·idf, bigrams times the bigram weight, L2-normalised.
func (ix *Index) docVectorLocked(slot uint32) []dterm {
	d := &ix.docs[slot]
	v := make([]dterm, 0, len(d.terms)+len(d.bigrams))
	norm := 0.0
	for i, t := range d.terms {
		w := (1 + math.Log(float64(d.tfs[i]))) * ix.uniIDFLocked(t)
		v = append(v, dterm{key: uint64(t), uni: true, w: w})
		norm += w * w
	}
	if bw := ix.cfg.bigramWeight; bw > 0 {
		for i := 0; i < len(d.bigrams); {
			j := i + 1
			for j < len(d.bigrams) && d.bigrams[j] == d.bigrams[i] {
				j++
			}
			w := bw * (1 + math.Log(float64(min(j-i, maxTF)))) * ix.biIDFLocked(d.bigrams[i])
			v = append(v, dterm{key: d.bigrams[i], w: w})
			norm += w * w
			i = j
		}
	}
	if norm == 0 {
		return nil
	}
	norm = math.Sqrt(norm)
	for i := range v {
		v[i].w /= norm
	}
	return v
}

// toQueryLocked keeps the n terms of v with the largest |weight| (ties by
// text, so that the choice does not depend on term numbering) and turns
// them into a query. Bigrams whose words are not both kept are dropped:
// they could not be found from the postings.
func (ix *Index) toQueryLocked(v []dterm, n int) query {
	slices.SortFunc(v, func(a, b dterm) int {
		if c := cmp.Compare(math.Abs(b.w), math.Abs(a.w)); c != 0 {
			return c
		}
		return ix.compareTermsLocked(a, b)
	})
	if len(v) > n {
		v = v[:n]
	}
	var q query
	kept := map[uint32]bool{}
	for _, t := range v {
		if t.uni {
			q.uni = append(q.uni, qterm{uint32(t.key), t.w})
			kept[uint32(t.key)] = true
		}
	}
	for _, t := range v {
		if a, b := bigramParts(t.key); !t.uni && kept[a] && kept[b] {
			q.bi = append(q.bi, qbigram{key: t.key, w: t.w})
		}
	}
	q.setMasks()
	return q
}

// compareTermsLocked orders terms by text: unigrams by word, then bigrams
// by their words.
func (ix *Index) compareTermsLocked(a, b dterm) int {
	switch {
	case a.uni && b.uni:
		return cmp.Compare(ix.terms[a.key].word, ix.terms[b.key].word)
	case a.uni:
		return -1
	case b.uni:
		return 1
	}
	a1, a2 := bigramParts(a.key)
	b1, b2 := bigramParts(b.key)
	if c := cmp.Compare(ix.terms[a1].word, ix.terms[b1].word); c != 0 {
		return c
	}
	return cmp.Compare(ix.terms[a2].word, ix.terms[b2].word)
}

// similarQueryLocked is Similar's query for the document in slot.
func (ix *Index) similarQueryLocked(slot uint32) query {
	return ix.toQueryLocked(ix.docVectorLocked(slot), ix.cfg.docTerms)
}

// Similar returns at most k documents most like the stored document id,
// best first, never id itself: the document's 32 (WithDocTerms) heaviest
// terms by sublinear tf·idf, L2-normalised, scored with BM25 against every
// other document. Scores are raw; SimilarCeiling or the document's own
// score (ScoreSimilar with id itself) normalise them. The bool is false
// when id is not in the index.
func (ix *Index) Similar(id string, k int, exclude func(id string) bool) ([]Hit, bool) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	slot, ok := ix.ids[id]
	if !ok {
		return nil, false
	}
	q := ix.similarQueryLocked(slot)
	return ix.runLocked(&q, k, []uint32{slot}, exclude), true
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
	q := ix.similarQueryLocked(slot)
	return ix.scoreIDsLocked(&q, ids), true
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
	q := ix.similarQueryLocked(slot)
	return ix.newScorerLocked(&q).ceiling(), true
}

// Recommend returns at most k documents for a reader who liked positive and
// disliked negative (stored IDs; unknown ones are ignored), best first,
// none of positive or negative. The query is Rocchio's: the mean of the
// liked documents' normalised term vectors minus 0.5 (WithNegativeWeight)
// times the mean of the disliked ones', keeping the 32·min(liked, 4)
// terms of largest weight, of either sign; documents are scored with BM25,
// so a disliked document's distinctive terms count against a candidate.
// Only documents with a positive score are returned; nil when no liked
// document is known.
func (ix *Index) Recommend(positive, negative []string, k int, exclude func(string) bool) []Hit {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	q, skip := ix.rocchioLocked(positive, negative)
	return ix.runLocked(&q, k, skip, exclude)
}

// ScoreRecommend returns the Recommend score of each of ids, in the order
// of ids (0 for unknown IDs).
func (ix *Index) ScoreRecommend(positive, negative []string, ids []string) []float64 {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	q, _ := ix.rocchioLocked(positive, negative)
	return ix.scoreIDsLocked(&q, ids)
}

// rocchioLocked builds Recommend's query and returns it with the slots of
// the known positive and negative documents.
func (ix *Index) rocchioLocked(positive, negative []string) (query, []uint32) {
	var skip []uint32
	type tkey struct {
		key uint64
		uni bool
	}
	weights := map[tkey]float64{}
	addAll := func(ids []string, scale float64) int {
		n := 0
		for _, id := range ids {
			if s, ok := ix.ids[id]; ok && !slices.Contains(skip, s) {
				skip = append(skip, s)
				n++
			}
		}
		for _, s := range skip[len(skip)-n:] {
			for _, t := range ix.docVectorLocked(s) {
				weights[tkey{t.key, t.uni}] += scale * t.w / float64(n)
			}
		}
		return n
	}
	npos := addAll(positive, 1)
	if npos == 0 {
		return query{}, skip
	}
	addAll(negative, -ix.cfg.negWeight)
	v := make([]dterm, 0, len(weights))
	for t, w := range weights {
		if w != 0 {
			v = append(v, dterm{key: t.key, uni: t.uni, w: w})
		}
	}
	return ix.toQueryLocked(v, ix.cfg.docTerms*min(npos, 4)), skip
}
