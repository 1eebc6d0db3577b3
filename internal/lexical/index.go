package lexical

import (
	"errors"
	"math"
	"slices"
	"strings"
	"sync"
	"unsafe"
)

// maxOrd is the number of document slots a posting can address: a posting
// packs a slot number (24 bits) and a term frequency (8 bits) in a uint32.
const maxOrd = 1 << 24

// maxTF is the largest term frequency stored; higher counts are capped,
// which BM25's saturation makes harmless.
const maxTF = 255

// ErrFull is returned by Add when the index holds as many documents as a
// posting can address (16,777,215).
var ErrFull = errors.New("lexical: index is full")

// Hit is one scored document.
type Hit struct {
	ID    string  `json:"id"`
	Score float64 `json:"score"`
}

// Index is an in-memory BM25 index over unigrams and bigrams. The zero
// value is not usable; call New. An Index is safe for concurrent use: reads
// (Search, Similar, Recommend, Score*) run in parallel, writes (Add, Delete)
// exclusively.
//
// Unigrams (words and whole hyphenated words) have an inverted index:
// postings of (slot, tf) packed in a uint32 per document. Bigrams, which
// outnumber unigrams fifty to one and mostly occur once, have no postings:
// each document keeps its sorted bigram keys and the index keeps their
// document frequencies in a compact hash table. See the package doc for
// how queries use them.
type Index struct {
	cfg config

	mu       sync.RWMutex
	ids      map[string]uint32 // document ID → slot
	docs     []docEntry        // by slot; id == "" for a free slot
	lens     []float32         // document length (kept words) by slot
	live     int               // documents indexed
	totalLen float64           // sum of lens over live documents

	uni   map[string]uint32 // word → unigram term
	terms []termEntry       // by unigram term
	biDF  shardedCounts     // bigram key → document frequency

	accums  sync.Pool // *accum
	batches sync.Pool // *batchScratch
}

// docEntry is the forward index of one document.
type docEntry struct {
	id    string
	terms []uint32 // distinct unigram terms, ascending
	tfs   []uint8  // term frequency, capped at maxTF, parallel to terms
	// bigrams holds the key of every bigram occurrence, ascending; a key
	// repeats as often as the bigram occurs.
	bigrams []uint64
}

// termEntry is one unigram term's postings and text.
type termEntry struct {
	// post holds slot<<8 | tf for every document with the term, by
	// ascending slot.
	post []uint32
	word string
}

// config is what Options set.
type config struct {
	k1, b        float64
	bigramWeight float64
	docTerms     int
	negWeight    float64
}

// Option configures an Index.
type Option func(*config)

// WithBM25 sets BM25's parameters: k1 (term-frequency saturation, default
// 1.2) and b (length normalisation, default 0.75). Values out of range
// (k1 < 0, b outside [0, 1]) are ignored.
func WithBM25(k1, b float64) Option {
	return func(c *config) {
		if k1 >= 0 && !math.IsInf(k1, 0) {
			c.k1 = k1
		}
		if b >= 0 && b <= 1 {
			c.b = b
		}
	}
}

// WithBigramWeight sets how much a bigram match counts relative to a unigram
// match (default 0.5). 0 leaves bigrams out altogether: they are not even
// stored, which saves about 45% of the index's memory. Negative values are
// ignored.
func WithBigramWeight(w float64) Option {
	return func(c *config) {
		if w >= 0 && !math.IsInf(w, 0) {
			c.bigramWeight = w
		}
	}
}

// WithDocTerms sets how many of a document's terms (the highest tf·idf)
// make up its query in Similar and Recommend (default 32). Values below 1
// are ignored.
func WithDocTerms(n int) Option {
	return func(c *config) {
		if n >= 1 {
			c.docTerms = n
		}
	}
}

// WithNegativeWeight sets the Rocchio weight of disliked documents relative
// to liked ones in Recommend (default 0.5). Negative values are ignored.
func WithNegativeWeight(w float64) Option {
	return func(c *config) {
		if w >= 0 && !math.IsInf(w, 0) {
			c.negWeight = w
		}
	}
}

// New returns an empty index.
func New(opts ...Option) *Index {
	cfg := config{k1: 1.2, b: 0.75, bigramWeight: 0.5, docTerms: 32, negWeight: 0.5}
	for _, o := range opts {
		o(&cfg)
	}
	return &Index{
		cfg: cfg,
		ids: map[string]uint32{},
		uni: map[string]uint32{},
	}
}

// Len returns the number of documents in the index.
func (ix *Index) Len() int {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.live
}

// Has reports whether id is in the index.
func (ix *Index) Has(id string) bool {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	_, ok := ix.ids[id]
	return ok
}

// Add indexes text under id, replacing what id had. For a paper, text is
// paper.Paper.Text() (title and abstract). An empty id is an error; so is a
// full index (ErrFull). A text without any term is indexed as an empty
// document (it is counted by Len and matches nothing).
func (ix *Index) Add(id string, text string) error {
	if id == "" {
		return errors.New("lexical: add: empty document ID")
	}
	// Analysis, the costly part, runs outside the lock.
	var a analysis
	analyze(text, &a)

	ix.mu.Lock()
	defer ix.mu.Unlock()
	d := prepDoc{nwords: len(a.words)}
	toks := make([]uint32, 0, len(a.words)+len(a.extra))
	for _, w := range a.words {
		toks = append(toks, ix.unigramLocked(w))
	}
	for _, w := range a.extra {
		toks = append(toks, ix.unigramLocked(w))
	}
	d.build(toks, a.brk, ix.cfg.bigramWeight > 0)
	return ix.insertDocLocked(id, &d)
}

// unigramLocked returns the term of word w, creating it. Unigram terms are
// never freed: the vocabulary grows slowly, and bigram keys refer to them.
func (ix *Index) unigramLocked(w string) uint32 {
	if t, ok := ix.uni[w]; ok {
		return t
	}
	// w is a substring of an analysed text: keep a copy, not the text.
	w = strings.Clone(w)
	ix.terms = append(ix.terms, termEntry{word: w})
	t := uint32(len(ix.terms) - 1)
	ix.uni[w] = t
	return t
}

// Delete removes id from the index and reports whether it was there.
func (ix *Index) Delete(id string) bool {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	slot, ok := ix.ids[id]
	if !ok {
		return false
	}
	ix.removeLocked(slot)
	// Slots are not reused (postings stay sorted by appending); renumber
	// once free slots outnumber live documents.
	if free := len(ix.docs) - ix.live; free > 1024 && free > ix.live {
		ix.compactLocked()
	}
	return true
}

// removeLocked removes the document in slot from postings and statistics.
func (ix *Index) removeLocked(slot uint32) {
	d := &ix.docs[slot]
	for _, t := range d.terms {
		te := &ix.terms[t]
		i, found := slices.BinarySearchFunc(te.post, slot, func(p, s uint32) int {
			return int(p>>8) - int(s)
		})
		if !found {
			continue // cannot happen: postings mirror the forward index
		}
		te.post = slices.Delete(te.post, i, i+1)
		if len(te.post) == 0 {
			te.post = nil
		}
	}
	for i, k := range d.bigrams {
		if i > 0 && d.bigrams[i-1] == k {
			continue
		}
		ix.biDF.dec(k)
	}
	delete(ix.ids, d.id)
	ix.totalLen -= float64(ix.lens[slot])
	ix.live--
	*d = docEntry{}
	ix.lens[slot] = 0
}

// compactLocked renumbers slots so that the live documents are dense.
func (ix *Index) compactLocked() {
	remap := make([]uint32, len(ix.docs))
	n := uint32(0)
	for s, d := range ix.docs {
		if d.id == "" {
			continue
		}
		remap[s] = n
		ix.docs[n] = d
		ix.lens[n] = ix.lens[s]
		ix.ids[d.id] = n
		n++
	}
	clear(ix.docs[n:])
	ix.docs = slices.Clip(ix.docs[:n])
	ix.lens = slices.Clip(ix.lens[:n])
	for t := range ix.terms {
		p := ix.terms[t].post
		for i, v := range p {
			p[i] = remap[v>>8]<<8 | v&0xff
		}
	}
}

// Stats describes the index's size.
type Stats struct {
	Docs     int // documents indexed
	Slots    int // document slots, including freed ones not yet compacted
	Unigrams int // distinct unigram terms (including hyphenated words)
	Bigrams  int // distinct bigrams
	Postings int // (unigram, document) pairs
	// BigramOccurrences is the number of bigram occurrences stored in the
	// documents' forward index.
	BigramOccurrences int
	// Bytes estimates the heap the index holds: slices at capacity, maps at
	// 40 bytes per entry plus key data.
	Bytes int64
}

// Stats returns the index's size.
func (ix *Index) Stats() Stats {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	s := Stats{Docs: ix.live, Slots: len(ix.docs), Unigrams: len(ix.uni), Bigrams: ix.biDF.len()}
	const mapEntry = 40
	b := int64(cap(ix.docs))*int64(unsafe.Sizeof(docEntry{})) + int64(cap(ix.lens))*4
	for _, d := range ix.docs {
		b += int64(cap(d.terms))*4 + int64(cap(d.tfs)) + int64(cap(d.bigrams))*8 + int64(len(d.id))
		s.BigramOccurrences += len(d.bigrams)
	}
	b += int64(len(ix.ids)) * mapEntry
	b += int64(cap(ix.terms)) * int64(unsafe.Sizeof(termEntry{}))
	for _, t := range ix.terms {
		s.Postings += len(t.post)
		b += int64(cap(t.post))*4 + int64(len(t.word))
	}
	b += int64(len(ix.uni))*mapEntry + ix.biDF.bytes()
	s.Bytes = b
	return s
}
