package lexical

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// batchChunk is how many documents AddBatch prepares before it inserts
// them: it bounds the batch's scratch memory and the time one write lock
// is held.
var batchChunk = 4096

// batchUnit is how many documents a worker takes from the chunk at a time.
const batchUnit = 32

// freshTerm marks a token whose word had no term when it was analysed; the
// low bits index the document's fresh words.
const freshTerm = 1 << 31

// prepDoc is one document of a batch on its way into the index.
type prepDoc struct {
	nwords int // kept words: the document's length

	// A document whose words all had terms when it was analysed gets its
	// forward index at once. The others keep their tokens until every
	// fresh word has a term: toks holds a term per kept word, then per
	// extra (hyphenated whole) word, freshTerm|i for fresh[i].
	toks  []uint32
	brk   []bool // per word: a phrase break before it
	fresh []string

	// The forward index: distinct terms, their frequencies, and the
	// sorted bigram keys (repeated as often as they occur).
	terms   []uint32
	tfs     []uint8
	bigrams []uint64
}

// AddBatch indexes texts[i] under ids[i] for every i, with the same result
// as calling Add on each in order (a later duplicate id replaces an earlier
// one), but faster: the texts are analysed on every core (GOMAXPROCS
// goroutines) and inserted a chunk of 4096 at a time under one write lock,
// also on every core. Readers wait for at most one chunk's insertion.
//
// The ids are checked first: an empty id is an error and nothing is added.
// If the index fills up (ErrFull), the documents before the one that did
// not fit stay indexed.
func (ix *Index) AddBatch(ids, texts []string) error {
	if len(ids) != len(texts) {
		return fmt.Errorf("lexical: add batch: %d ids but %d texts", len(ids), len(texts))
	}
	for i, id := range ids {
		if id == "" {
			return fmt.Errorf("lexical: add batch: empty document ID at %d", i)
		}
	}
	sc := ix.getBatchScratch(min(len(ids), batchChunk))
	defer func() {
		clear(sc.docs) // no references to documents the index may drop
		ix.batches.Put(sc)
	}()
	for lo := 0; lo < len(ids); lo += batchChunk {
		hi := min(lo+batchChunk, len(ids))
		ds := sc.docs[:hi-lo]
		clear(ds)
		sc.resetBuckets()
		if ix.analyzeBatch(sc, texts[lo:hi], ds) {
			ix.mu.Lock()
			ix.resolveLocked(ds)
			ix.mu.Unlock()
			ix.buildFresh(sc, ds)
		}
		ix.mu.Lock()
		err := ix.insertBatchLocked(sc, ids[lo:hi], ds)
		ix.mu.Unlock()
		if err != nil {
			return err
		}
	}
	return nil
}

// batchScratch is the memory one AddBatch call reuses from chunk to chunk.
type batchScratch struct {
	docs    []prepDoc
	workers []batchWorker
	dead    []bool // per document: replaced by a later one of the chunk
}

// batchWorker is one worker goroutine's scratch memory.
type batchWorker struct {
	a     analysis
	toks  []uint32
	build buildScratch
	post  postScratch
	// buckets[s] holds the distinct bigram keys of shard s of the bigram
	// table of the documents this worker built.
	buckets [countShards][]uint64
}

// getBatchScratch returns scratch memory for n documents per chunk, from
// an earlier AddBatch call if one is free: a bulk load calls AddBatch many
// times, and the workers' buckets are large.
func (ix *Index) getBatchScratch(n int) *batchScratch {
	sc, _ := ix.batches.Get().(*batchScratch)
	if sc == nil {
		sc = &batchScratch{}
	}
	if w := max(1, runtime.GOMAXPROCS(0)); len(sc.workers) != w {
		sc.workers = make([]batchWorker, w)
	}
	if cap(sc.docs) < n {
		sc.docs = make([]prepDoc, n)
		sc.dead = make([]bool, n)
	}
	sc.docs, sc.dead = sc.docs[:n], sc.dead[:n]
	return sc
}

func (sc *batchScratch) resetBuckets() {
	for w := range sc.workers {
		b := &sc.workers[w].buckets
		for s := range b {
			b[s] = b[s][:0]
		}
	}
}

// Grow reserves room for n more documents, as a hint before adding many
// (a bulk load): the id map and the per-document tables are sized once
// instead of growing step by step. It copies the id map when the index is
// not empty.
func (ix *Index) Grow(n int) {
	if n <= 0 {
		return
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.docs = slices.Grow(ix.docs, n)
	ix.lens = slices.Grow(ix.lens, n)
	m := make(map[string]uint32, len(ix.ids)+n)
	for k, v := range ix.ids {
		m[k] = v
	}
	ix.ids = m
}

// runBatch runs f over [0, n) in units of batchUnit on at most workers
// goroutines (the caller's included); w in f is the goroutine's number.
func runBatch(workers, n int, f func(w, lo, hi int)) {
	workers = max(1, min(workers, (n+batchUnit-1)/batchUnit))
	var next atomic.Int64
	runWorkers(workers, func(w int) {
		for {
			lo := int(next.Add(batchUnit)) - batchUnit
			if lo >= n {
				return
			}
			f(w, lo, min(lo+batchUnit, n))
		}
	})
}

// runWorkers runs f(0), ..., f(w-1) on w goroutines, the caller's included.
func runWorkers(w int, f func(w int)) {
	var wg sync.WaitGroup
	for i := 1; i < w; i++ {
		wg.Go(func() { f(i) })
	}
	f(0)
	wg.Wait()
}

// analyzeBatch analyses texts into ds on every core, looking each word up
// in the vocabulary under the read lock, and builds the forward index of
// every document whose words all have terms. It reports whether some
// documents have fresh words.
func (ix *Index) analyzeBatch(sc *batchScratch, texts []string, ds []prepDoc) bool {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	bigrams := ix.cfg.bigramWeight > 0
	var fresh atomic.Bool
	runBatch(len(sc.workers), len(texts), func(w, lo, hi int) {
		bw := &sc.workers[w]
		a := &bw.a
		for i := lo; i < hi; i++ {
			analyzeScratch(texts[i], a)
			d := &ds[i]
			d.nwords = len(a.words)
			toks := bw.toks[:0]
			for _, word := range a.words {
				toks = append(toks, d.lookup(ix, word))
			}
			for _, word := range a.extra {
				toks = append(toks, d.lookup(ix, word))
			}
			bw.toks = toks
			if len(d.fresh) > 0 {
				d.toks, d.brk = slices.Clone(toks), slices.Clone(a.brk)
				fresh.Store(true)
				continue
			}
			d.buildWith(toks, a.brk, bigrams, &bw.build)
			bw.bucket(d)
		}
	})
	return fresh.Load()
}

// bucket adds the document's distinct bigram keys to the worker's buckets.
func (bw *batchWorker) bucket(d *prepDoc) {
	for j, k := range d.bigrams {
		if j == 0 || d.bigrams[j-1] != k {
			s := shardOf(k)
			bw.buckets[s] = append(bw.buckets[s], k)
		}
	}
}

// lookup returns the term of w, or a fresh-term mark; ix.mu is read-locked.
// w may point into scratch memory: a fresh word is cloned.
func (d *prepDoc) lookup(ix *Index, w string) uint32 {
	if t, ok := ix.uni[w]; ok {
		return t
	}
	d.fresh = append(d.fresh, strings.Clone(w))
	return freshTerm | uint32(len(d.fresh)-1)
}

// resolveLocked gives every fresh word its term, in document and text
// order, so that terms are numbered as Add would number them.
func (ix *Index) resolveLocked(ds []prepDoc) {
	for i := range ds {
		d := &ds[i]
		if len(d.fresh) == 0 {
			continue
		}
		for j, t := range d.toks {
			if t&freshTerm != 0 {
				d.toks[j] = ix.unigramLocked(d.fresh[t&^freshTerm])
			}
		}
		d.fresh = nil
	}
}

// buildFresh builds the forward index of the documents that had fresh
// words, now resolved, on every core; it needs no lock.
func (ix *Index) buildFresh(sc *batchScratch, ds []prepDoc) {
	bigrams := ix.cfg.bigramWeight > 0
	runBatch(len(sc.workers), len(ds), func(w, lo, hi int) {
		bw := &sc.workers[w]
		for i := lo; i < hi; i++ {
			d := &ds[i]
			if d.toks == nil {
				continue
			}
			d.buildWith(d.toks, d.brk, bigrams, &bw.build)
			d.toks, d.brk = nil, nil
			bw.bucket(d)
		}
	})
}

// buildScratch is memory a worker reuses from document to document.
type buildScratch struct {
	distinct []uint32
	keys     []uint64 // bigram keys in text order
	sorted   []uint64 // bigram keys sorted
	starts   []int32  // per distinct term: where its bigrams start in sorted
	// cnt counts a document's occurrences of each term, by term; it is
	// all zeros between documents. rank is the place of each of the
	// document's terms among its distinct terms.
	cnt  []uint8
	rank []uint32
}

// build makes the document's forward index from its tokens (every term
// known; toks is sorted in place): the sorted bigram keys (when bigrams is
// set) and the distinct terms with their frequencies. buildWith does the
// same with a batch worker's tables instead of sorting.
func (d *prepDoc) build(toks []uint32, brk []bool, bigrams bool) {
	if bigrams {
		var bs []uint64
		for j := 1; j < d.nwords; j++ {
			a, b := toks[j-1], toks[j]
			if !brk[j] && a <= bigramMaxTerm && b <= bigramMaxTerm {
				bs = append(bs, bigramKey(a, b))
			}
		}
		slices.Sort(bs)
		d.bigrams = slices.Clip(bs)
	}
	slices.Sort(toks)
	n := 0
	for j := range toks {
		if j == 0 || toks[j] != toks[j-1] {
			n++
		}
	}
	d.terms = make([]uint32, 0, n)
	d.tfs = make([]uint8, 0, n)
	for j := 0; j < len(toks); {
		k := j + 1
		for k < len(toks) && toks[k] == toks[j] {
			k++
		}
		d.terms = append(d.terms, toks[j])
		d.tfs = append(d.tfs, uint8(min(k-j, maxTF)))
		j = k
	}
}

// buildWith is build for a batch worker, without sorting every token:
// terms are counted in a table by term and only the distinct ones sorted;
// bigram keys are put in order by the rank of their first term (a counting
// sort) and then by their second (each first term starts few bigrams). The
// result is build's.
func (d *prepDoc) buildWith(toks []uint32, brk []bool, bigrams bool, sc *buildScratch) {
	var top uint32
	for _, t := range toks {
		top = max(top, t)
	}
	if int(top) >= len(sc.cnt) {
		grow := int(top) + 1 - len(sc.cnt) + 1024
		sc.cnt = append(sc.cnt, make([]uint8, grow)...)
		sc.rank = append(sc.rank, make([]uint32, grow)...)
	}
	cnt, rank, distinct := sc.cnt, sc.rank, sc.distinct[:0]
	for _, t := range toks {
		switch c := cnt[t]; c {
		case 0:
			distinct = append(distinct, t)
			cnt[t] = 1
		case maxTF:
		default:
			cnt[t] = c + 1
		}
	}
	slices.Sort(distinct)
	sc.distinct = distinct
	d.terms = slices.Clip(slices.Clone(distinct))
	d.tfs = make([]uint8, len(distinct))
	for j, t := range distinct {
		d.tfs[j] = uint8(cnt[t])
		cnt[t] = 0
		rank[t] = uint32(j)
	}
	if !bigrams {
		return
	}
	keys := sc.keys[:0]
	starts := slices.Grow(sc.starts[:0], len(distinct)+1)[:len(distinct)+1]
	clear(starts)
	for j := 1; j < d.nwords; j++ {
		a, b := toks[j-1], toks[j]
		if !brk[j] && a <= bigramMaxTerm && b <= bigramMaxTerm {
			keys = append(keys, bigramKey(a, b))
			starts[rank[a]+1]++
		}
	}
	sc.keys, sc.starts = keys, starts
	if len(keys) == 0 {
		return
	}
	for j := 1; j < len(starts); j++ {
		starts[j] += starts[j-1]
	}
	sorted := slices.Grow(sc.sorted[:0], len(keys))[:len(keys)]
	sc.sorted = sorted
	for _, k := range keys {
		r := rank[k>>bigramBits]
		sorted[starts[r]] = k
		starts[r]++
	}
	// starts[r] is now where run r ends; runs are short: insertion sort.
	lo := int32(0)
	for _, hi := range starts[:len(starts)-1] {
		for i := lo + 1; i < hi; i++ {
			for j := i; j > lo && sorted[j] < sorted[j-1]; j-- {
				sorted[j], sorted[j-1] = sorted[j-1], sorted[j]
			}
		}
		lo = hi
	}
	d.bigrams = slices.Clip(slices.Clone(sorted))
}

// postScratch is a worker's memory for appendPostings.
type postScratch struct {
	cnt     []int32  // by term: the chunk's postings, then where they go
	touched []uint32 // terms with postings in the chunk
	buf     []uint32 // the chunk's postings, grouped by term
}

// appendPostings appends the postings of the chunk's documents (slots from
// base; dead ones skipped) for the terms that fall to worker w of workers
// (termOwner). Rather than appending to one posting list after another,
// each at a random place in memory, it groups the chunk's postings by term
// in buf (a counting sort) and then appends each term's group at once.
func (ix *Index) appendPostings(ps *postScratch, ds []prepDoc, dead []bool, base uint32, w, workers int) {
	if n := len(ix.terms); len(ps.cnt) < n {
		ps.cnt = append(ps.cnt, make([]int32, n-len(ps.cnt)+1024)...)
	}
	cnt, touched := ps.cnt, ps.touched[:0]
	total := 0
	for i := range ds {
		if dead[i] {
			continue
		}
		for _, t := range ds[i].terms {
			if termOwner(t, workers) != w {
				continue
			}
			if cnt[t] == 0 {
				touched = append(touched, t)
			}
			cnt[t]++
			total++
		}
	}
	// cnt[t] becomes where t's group starts in buf.
	off := int32(0)
	for _, t := range touched {
		c := cnt[t]
		cnt[t] = off
		off += c
	}
	buf := slices.Grow(ps.buf[:0], total)[:total]
	for i := range ds {
		if dead[i] {
			continue
		}
		d := &ds[i]
		slot := base + uint32(i)
		for j, t := range d.terms {
			if termOwner(t, workers) != w {
				continue
			}
			buf[cnt[t]] = slot<<8 | uint32(d.tfs[j])
			cnt[t]++
		}
	}
	// cnt[t] is now where t's group ends.
	start := int32(0)
	for _, t := range touched {
		end := cnt[t]
		te := &ix.terms[t]
		te.post = append(te.post, buf[start:end]...)
		cnt[t] = 0
		start = end
	}
	ps.touched, ps.buf = touched, buf
}

// termOwner is the worker (of workers) that appends term t's postings.
func termOwner(t uint32, workers int) int {
	return int(uint64((t>>3)*0x9e3779b1) * uint64(workers) >> 32)
}

// insertBatchLocked adds the prepared documents of a chunk; ix.mu is held.
// The result is what insertDocLocked on each in order would give: a
// document whose id comes again later in the chunk takes a slot that is
// freed at once. The postings and the bigram counts are filled on every
// core: postings split by term, counts by shard.
func (ix *Index) insertBatchLocked(sc *batchScratch, ids []string, ds []prepDoc) error {
	if len(ix.docs)+len(ds) >= maxOrd-1 {
		// Near the slot limit: one at a time, compacting as needed.
		for i := range ds {
			if err := ix.insertDocLocked(ids[i], &ds[i]); err != nil {
				return err
			}
		}
		return nil
	}
	base := uint32(len(ix.docs))
	dead := sc.dead[:len(ds)]
	clear(dead)
	for i, id := range ids {
		if old, ok := ix.ids[id]; ok {
			if old >= base {
				dead[old-base] = true
			} else {
				ix.removeLocked(old)
			}
		}
		ix.ids[id] = base + uint32(i)
	}
	workers := len(sc.workers)
	var nextShard atomic.Int64
	runWorkers(workers, func(w int) {
		ix.appendPostings(&sc.workers[w].post, ds, dead, base, w, workers)
		for {
			s := int(nextShard.Add(1) - 1)
			if s >= countShards {
				return
			}
			tab := &ix.biDF.shards[s]
			for b := range sc.workers {
				tab.incAll(sc.workers[b].buckets[s])
			}
		}
	})
	for i := range ds {
		d := &ds[i]
		if dead[i] {
			// Counted with the others above: take it back out.
			for j, k := range d.bigrams {
				if j == 0 || d.bigrams[j-1] != k {
					ix.biDF.dec(k)
				}
			}
			ix.docs = append(ix.docs, docEntry{})
			ix.lens = append(ix.lens, 0)
			continue
		}
		ix.docs = append(ix.docs, docEntry{id: ids[i], terms: d.terms, tfs: d.tfs, bigrams: d.bigrams})
		ix.lens = append(ix.lens, float32(d.nwords))
		ix.live++
		ix.totalLen += float64(d.nwords)
	}
	return nil
}

// insertDocLocked adds one prepared document under id, replacing what id
// had; ix.mu is held.
func (ix *Index) insertDocLocked(id string, p *prepDoc) error {
	if id == "" {
		return errors.New("lexical: add: empty document ID")
	}
	if old, ok := ix.ids[id]; ok {
		ix.removeLocked(old)
	}
	if len(ix.docs) >= maxOrd-1 {
		ix.compactLocked()
		if len(ix.docs) >= maxOrd-1 {
			return fmt.Errorf("lexical: add %q: %w (%d documents)", id, ErrFull, ix.live)
		}
	}
	slot := uint32(len(ix.docs))
	for i, t := range p.terms {
		te := &ix.terms[t]
		te.post = append(te.post, slot<<8|uint32(p.tfs[i]))
	}
	for i, k := range p.bigrams {
		if i == 0 || p.bigrams[i-1] != k {
			ix.biDF.inc(k)
		}
	}
	ix.docs = append(ix.docs, docEntry{id: id, terms: p.terms, tfs: p.tfs, bigrams: p.bigrams})
	ix.lens = append(ix.lens, float32(p.nwords))
	ix.ids[id] = slot
	ix.live++
	ix.totalLen += float64(p.nwords)
	return nil
}
