package vecindex

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"
)

var negInf = float32(math.Inf(-1))

const (
	// chunkShift sets the rows of a chunk: codes live in chunks of
	// 1<<chunkShift rows, each one contiguous []int8, so that growing the
	// index never copies (or doubles) all the codes under the write lock.
	chunkShift = 12
	chunkRows  = 1 << chunkShift
	chunkMask  = chunkRows - 1

	// blockRows is how many rows one kernel call scores.
	blockRows = 256
	// unitRows is how many rows a search worker takes at a time; a
	// multiple of blockRows dividing chunkRows.
	unitRows = 1024
	// minRowsPerWorker keeps small scans on one goroutine.
	minRowsPerWorker = 4096
	// insertBatch is how many rows one write-lock acquisition inserts.
	insertBatch = 1024
	// quantizeGroup is how many vectors AddBatch quantises before it
	// inserts them.
	quantizeGroup = 8 * insertBatch
	// normTolerance is how far from 1 a vector's squared norm may be.
	normTolerance = 1e-3
)

// Default re-rank sizes per code width: max(min, factor*k) candidates.
var (
	defaultRerank       = map[int]int{8: 100, 4: 400}
	defaultRerankFactor = map[int]int{8: 10, 4: 40}
)

// Hit is one search result.
type Hit struct {
	ID string
	// Score is the cosine similarity of the query and the vector, computed
	// exactly from the float32 vectors on both search paths.
	Score float32
}

// SearchOptions tune one search.
type SearchOptions struct {
	// Exact scans every float32 vector instead of the int8 codes; its
	// results are those of a brute-force search.
	Exact bool
	// Exclude, when set, is called on ids that would otherwise become
	// candidates (not on every id); those for which it returns true are
	// never returned. It is called from several goroutines at once while
	// the index is read-locked, so it must be safe for concurrent use and
	// must not call back into the Index.
	Exclude func(id string) bool
	// Rerank is how many candidates of the int8 scan are re-ranked against
	// the float32 vectors; 0 means the index default (see WithRerank).
	// Larger is slower and closer to exact; it is at least k.
	Rerank int
}

// Option configures an Index.
type Option func(*Index)

// WithRerank sets the default number of candidates re-ranked per search:
// max(n, factor*k) where factor is set by WithRerankFactor. The defaults
// are n = 100, factor = 10 for 8-bit codes and n = 400, factor = 40 for
// 4-bit codes.
func WithRerank(n int) Option { return func(x *Index) { x.rerankMin = max(n, 1) } }

// WithRerankFactor sets how many candidates per requested result are
// re-ranked by default.
func WithRerankFactor(f int) Option { return func(x *Index) { x.rerankFactor = max(f, 1) } }

// WithBits sets the bits per code: 8 (the default: int8 codes, a quarter
// of the float32 vectors' memory, re-ranking rarely changes the order) or 4
// (half of that memory and of the bytes scanned per search, so about twice
// as fast on a memory-bound scan, at the cost of re-ranking more
// candidates: use it for millions of vectors). Other values mean 8.
func WithBits(n int) Option {
	return func(x *Index) {
		if n == 4 {
			x.bits = 4
		} else {
			x.bits = 8
		}
	}
}

// FourBitMin is the number of vectors from which BitsFor recommends 4-bit
// codes.
const FourBitMin = 50_000

// BitsFor returns the code width (for WithBits) recommended for an index
// of about n vectors: 8 below FourBitMin, 4 from there. Measured on 512
// dimensions (BENCHMARKS.md), both widths have recall@10 1.000 with their
// default re-rank; 4-bit codes scan half the bytes, so they are about
// twice as fast once the scan dominates (100k: 3 against 8 ms; 1M: 13 to
// 24 against 28 to 35 ms) and take half the memory, while below about 50k
// vectors every search takes under a millisecond either way and 8-bit
// codes, which re-rank 100 candidates instead of 400, are a little faster.
// The width is fixed when the index is made: decide from the number of
// vectors in the store at start-up.
func BitsFor(n int) int {
	if n >= FourBitMin {
		return 4
	}
	return 8
}

// WithWorkers sets how many goroutines one search uses; the default is
// GOMAXPROCS at the time of the search.
func WithWorkers(n int) Option { return func(x *Index) { x.workers = n } }

// WithMaxConcurrentSearches lets at most n searches scan at once; the
// others wait their turn in FIFO order (SearchContext gives up waiting
// when its context is done). A search scans with every core, so searches
// beyond what the cores can serve only slow each other down: under load,
// admitting them in turn keeps the latency of each near that of a lone
// search and the wait fair, at the same throughput. n <= 0 removes the
// limit. The default is GOMAXPROCS (when New runs) divided by the workers
// per search (WithWorkers), at least 1: one search at a time with the
// default workers.
func WithMaxConcurrentSearches(n int) Option {
	return func(x *Index) { x.gate.limit, x.gateSet = n, true }
}

// Index is an in-memory vector index; see the package documentation. All
// methods are safe for concurrent use: searches share a read lock, and
// writes take the write lock for at most 1024 rows at a time. Rows keep
// their ordinals; a deleted row is reused by the next new id (until then
// it is skipped by searches but still scanned).
type Index struct {
	dims     int
	bits     int // bits per code: 8 or 4
	stride   int // dims rounded up to a multiple of 32 (8 bits) or 64 (4 bits)
	rowBytes int // bytes of codes per row

	rerankMin    int
	rerankFactor int
	workers      int
	gate         gate // admission of searches
	gateSet      bool // WithMaxConcurrentSearches was given

	mu     sync.RWMutex
	chunks []*chunk
	rows   int     // ordinals handed out so far (live and free)
	free   []int32 // ordinals of deleted rows, reused first
	table  idTable

	pool sync.Pool // *scratch
}

// chunk holds up to chunkRows rows. Only the last chunk is ever partial;
// its slices grow by append.
type chunk struct {
	codes []int8     // rows of rowBytes codes
	scale []float32  // per row: value of one code step; NaN for a free row
	vecs  []*float32 // per row: first element of the caller's vector
	ids   []string
}

// addRow appends a zero row. The chunk's slices grow geometrically up to
// exactly chunkRows rows, so a full chunk wastes no capacity.
func (c *chunk) addRow(rowBytes int) {
	n := len(c.scale)
	if n == cap(c.scale) {
		m := min(max(2*n, 64), chunkRows)
		c.codes = append(make([]int8, 0, m*rowBytes), c.codes...)
		c.scale = append(make([]float32, 0, m), c.scale...)
		c.vecs = append(make([]*float32, 0, m), c.vecs...)
		c.ids = append(make([]string, 0, m), c.ids...)
	}
	c.codes = c.codes[:(n+1)*rowBytes]
	clear(c.codes[n*rowBytes:])
	c.scale = append(c.scale, 0)
	c.vecs = append(c.vecs, nil)
	c.ids = append(c.ids, "")
}

// New returns an empty index of vectors of dims float32s.
func New(dims int, opts ...Option) *Index {
	if dims <= 0 {
		dims = 1
	}
	x := &Index{
		dims:  dims,
		bits:  8,
		table: newIDTable(),
	}
	for _, o := range opts {
		o(x)
	}
	if x.bits == 4 {
		x.stride = (dims + 63) &^ 63
		x.rowBytes = x.stride / 2
	} else {
		x.stride = (dims + 31) &^ 31
		x.rowBytes = x.stride
	}
	if x.rerankMin == 0 {
		x.rerankMin = defaultRerank[x.bits]
	}
	if x.rerankFactor == 0 {
		x.rerankFactor = defaultRerankFactor[x.bits]
	}
	if !x.gateSet {
		procs := runtime.GOMAXPROCS(0)
		per := procs
		if x.workers > 0 {
			per = min(x.workers, procs)
		}
		x.gate.limit = max(1, procs/per)
	}
	return x
}

// Queue reports how many searches are scanning and how many wait for
// their turn (see WithMaxConcurrentSearches).
func (x *Index) Queue() (scanning, waiting int) { return x.gate.load() }

// Dims returns the number of dimensions of the vectors.
func (x *Index) Dims() int { return x.dims }

// Len returns the number of vectors in the index.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.table.count
}

func (x *Index) idAt(ord int32) string {
	return x.chunks[ord>>chunkShift].ids[ord&chunkMask]
}

// Vector returns the vector stored for id: the caller's slice given to
// Add, not a copy, so it must not be modified.
func (x *Index) Vector(id string) ([]float32, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	ord, ok := x.table.find(id, x.idAt)
	if !ok {
		return nil, false
	}
	p := x.chunks[ord>>chunkShift].vecs[ord&chunkMask]
	return unsafe.Slice(p, x.dims), true
}

// Add adds vec under id, replacing the vector of an existing id. vec must
// have Dims() finite elements and unit length (within 1e-3 of the squared
// norm, as chromem-go stores them); the index keeps a reference to vec, so
// the caller must not modify it afterwards.
func (x *Index) Add(id string, vec []float32) error {
	return x.AddBatch([]string{id}, [][]float32{vec})
}

// AddBatch adds the vectors like Add, in order (a later duplicate id
// replaces an earlier one). All vectors are checked first; if any is
// invalid, nothing is added. They are then quantised, 8192 at a time on
// every core with no lock held, and inserted under short write locks of at
// most 1024 rows each, so searches proceed between them.
func (x *Index) AddBatch(ids []string, vecs [][]float32) error {
	if len(ids) != len(vecs) {
		return fmt.Errorf("vecindex: %d ids but %d vectors", len(ids), len(vecs))
	}
	for i, v := range vecs {
		if err := x.check(ids[i], v); err != nil {
			return err
		}
	}
	// Quantise a group at a time on every core, then insert it under
	// short write locks: the scratch codes stay small whatever the batch.
	rb := x.rowBytes
	group := min(len(vecs), quantizeGroup)
	codes := make([]int8, group*rb)
	scales := make([]float32, group)
	for g := 0; g < len(vecs); g += group {
		gv := vecs[g:min(g+group, len(vecs))]
		parallel(len(gv), 256, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				if x.bits == 4 {
					scales[i] = quantize4(gv[i], codes[i*rb:(i+1)*rb])
				} else {
					scales[i] = quantize(gv[i], codes[i*rb:(i+1)*rb])
				}
			}
		})
		for lo := 0; lo < len(gv); lo += insertBatch {
			hi := min(lo+insertBatch, len(gv))
			x.mu.Lock()
			for i := lo; i < hi; i++ {
				x.insert(ids[g+i], gv[i], codes[i*rb:(i+1)*rb], scales[i])
			}
			x.mu.Unlock()
		}
	}
	return nil
}

func (x *Index) check(id string, v []float32) error {
	if id == "" {
		return errors.New("vecindex: empty id")
	}
	if len(v) != x.dims {
		return fmt.Errorf("vecindex: vector of %q has %d dimensions, want %d", id, len(v), x.dims)
	}
	var ss float64
	for _, f := range v {
		ss += float64(f) * float64(f)
	}
	if math.IsNaN(ss) || math.IsInf(ss, 0) {
		return fmt.Errorf("vecindex: vector of %q has a NaN or infinite element", id)
	}
	if math.Abs(ss-1) > normTolerance {
		return fmt.Errorf("vecindex: vector of %q has norm %.6g, want a unit vector", id, math.Sqrt(ss))
	}
	return nil
}

// quantize writes the int8 codes of v to dst (len(dst) >= len(v); the rest
// is zeroed) and returns the value of one code step: v[i] ≈ code[i]*scale.
func quantize(v []float32, dst []int8) float32 {
	var m float32
	for _, f := range v {
		m = max(m, abs32(f))
	}
	clear(dst[len(v):])
	if m == 0 {
		clear(dst)
		return 0
	}
	inv := 127 / m
	dst = dst[:len(v)]
	for i, f := range v {
		// f*inv is in [-127, 127]; shifting it positive makes the
		// truncating conversion a branch-free round half up.
		dst[i] = int8(int32(f*inv+128.5) - 128)
	}
	return m / 127
}

// quantize4 writes the 4-bit codes of v to dst (len(dst)*2 >= len(v),
// zero-padded; layout in dotsU4I8Go) and returns the value of one step:
// v[i] ≈ (u[i]-8)*scale with u[i] in [1, 15].
func quantize4(v []float32, dst []int8) float32 {
	var m float32
	for _, f := range v {
		m = max(m, abs32(f))
	}
	for i := range dst {
		dst[i] = -0x78 // 0x88: both nibbles 8, i.e. code 0
	}
	if m == 0 {
		return 0
	}
	inv := 7 / m
	for i, f := range v {
		u := uint8(int32(f*inv+8.5)) & 15 // in [1, 15]
		b, hi := i/64*32+i%32, i%64 >= 32
		if hi {
			dst[b] = int8(uint8(dst[b])&0x0f | u<<4)
		} else {
			dst[b] = int8(uint8(dst[b])&0xf0 | u)
		}
	}
	return m / 7
}

func abs32(f float32) float32 { return math.Float32frombits(math.Float32bits(f) &^ (1 << 31)) }

// insert puts one row; x.mu is held for writing.
func (x *Index) insert(id string, vec []float32, codes []int8, scale float32) {
	ord, ok := x.table.find(id, x.idAt)
	if !ok {
		if n := len(x.free); n > 0 {
			ord = x.free[n-1]
			x.free = x.free[:n-1]
		} else {
			ord = int32(x.rows)
			x.rows++
			if int(ord)>>chunkShift == len(x.chunks) {
				x.chunks = append(x.chunks, &chunk{})
			}
			x.chunks[ord>>chunkShift].addRow(x.rowBytes)
		}
		c := x.chunks[ord>>chunkShift]
		c.ids[ord&chunkMask] = id
		x.table.insert(id, ord)
	}
	c, r := x.chunks[ord>>chunkShift], int(ord&chunkMask)
	copy(c.codes[r*x.rowBytes:(r+1)*x.rowBytes], codes)
	c.scale[r] = scale
	c.vecs[r] = &vec[0]
	c.ids[r] = id
}

// Delete removes id and reports whether it was there.
func (x *Index) Delete(id string) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	ord, ok := x.table.remove(id, x.idAt)
	if !ok {
		return false
	}
	c, r := x.chunks[ord>>chunkShift], int(ord&chunkMask)
	clear(c.codes[r*x.rowBytes : (r+1)*x.rowBytes])
	c.scale[r] = float32(math.NaN()) // never beats any threshold
	c.vecs[r] = nil
	c.ids[r] = ""
	x.free = append(x.free, ord)
	return true
}

// Stats describes the memory an index uses.
type Stats struct {
	Len  int // vectors in the index
	Rows int // rows allocated, including free ones awaiting reuse
	Dims int
	// VectorBytes is the size of the float32 vectors the index refers to
	// (and does not own): Len*Dims*4.
	VectorBytes int64
	// CodeBytes is the capacity of the int8 code arrays.
	CodeBytes int64
	// OverheadBytes is everything else the index owns: scales, vector
	// pointers, id string headers (the ids' bytes are shared with the
	// caller), the id table and the free list.
	OverheadBytes int64
}

// Ratio is the memory of vectors plus index over the vectors alone.
func (s Stats) Ratio() float64 {
	if s.VectorBytes == 0 {
		return 0
	}
	return float64(s.VectorBytes+s.CodeBytes+s.OverheadBytes) / float64(s.VectorBytes)
}

// Stats returns the index's memory use.
func (x *Index) Stats() Stats {
	x.mu.RLock()
	defer x.mu.RUnlock()
	s := Stats{Len: x.table.count, Rows: x.rows, Dims: x.dims}
	s.VectorBytes = int64(s.Len) * int64(x.dims) * 4
	for _, c := range x.chunks {
		s.CodeBytes += int64(cap(c.codes))
		s.OverheadBytes += int64(cap(c.scale))*4 + int64(cap(c.vecs))*8 + int64(cap(c.ids))*16 + int64(unsafe.Sizeof(*c)) + 8
	}
	s.OverheadBytes += x.table.bytes() + int64(cap(x.free))*4 + int64(unsafe.Sizeof(*x))
	return s
}

// scratch is the per-search memory, pooled.
type scratch struct {
	q      []float32
	qi     []int16 // 8-bit codes: the int16 query
	qb     []int8  // 4-bit codes: the int8 query
	qcorr  int32   // 4-bit codes: 8*sum(qb), the offset of unsigned codes
	heaps  []topK
	merged []cand
}

func (x *Index) getScratch() *scratch {
	if s, ok := x.pool.Get().(*scratch); ok {
		return s
	}
	return &scratch{q: make([]float32, x.dims), qi: make([]int16, x.stride), qb: make([]int8, x.stride)}
}

// Search returns the k vectors most similar to q, best first, skipping
// those o.Exclude rejects. It returns fewer than k hits only when fewer
// vectors are left. q need not be unit length but must have Dims()
// elements and a direction. It is SearchContext without a context: it
// waits for its turn to scan however long it takes.
func (x *Index) Search(q []float32, k int, o SearchOptions) ([]Hit, error) {
	return x.SearchContext(context.Background(), q, k, o)
}

// SearchContext is Search that stops waiting for its turn to scan (see
// WithMaxConcurrentSearches) when ctx is done, and then returns ctx's
// error. A scan that has started runs to the end.
func (x *Index) SearchContext(ctx context.Context, q []float32, k int, o SearchOptions) ([]Hit, error) {
	if len(q) != x.dims {
		return nil, fmt.Errorf("vecindex: query has %d dimensions, want %d", len(q), x.dims)
	}
	if k <= 0 {
		return nil, nil
	}
	s := x.getScratch()
	defer x.pool.Put(s)
	var ss float64
	for _, f := range q {
		ss += float64(f) * float64(f)
	}
	if ss == 0 || math.IsNaN(ss) || math.IsInf(ss, 0) {
		return nil, errors.New("vecindex: query vector is zero or not finite")
	}
	inv := float32(1 / math.Sqrt(ss))
	for i, f := range q {
		s.q[i] = f * inv
	}

	// Wait for a turn before taking the read lock, so that waiting
	// searches do not hold up writers.
	if err := x.gate.enter(ctx); err != nil {
		return nil, fmt.Errorf("vecindex: waiting to search: %w", err)
	}
	defer x.gate.leave()
	x.mu.RLock()
	defer x.mu.RUnlock()
	live := x.table.count
	if live == 0 {
		return nil, nil
	}
	r := o.Rerank
	if r <= 0 {
		r = max(x.rerankMin, x.rerankFactor*k)
	}
	r = max(r, k)
	if o.Exact || r >= live {
		x.scanExact(s, k, o.Exclude)
		return x.hits(s.merged, k), nil
	}
	x.quantizeQuery(s)
	x.scanCodes(s, r, o.Exclude)
	// Re-rank: exact scores of the candidates, then the best k.
	for i := range s.merged {
		c := &s.merged[i]
		c.score = dotF32(s.q, x.vec(c.ord))
	}
	sortCands(s.merged)
	return x.hits(s.merged, k), nil
}

func (x *Index) vec(ord int32) []float32 {
	return unsafe.Slice(x.chunks[ord>>chunkShift].vecs[ord&chunkMask], x.dims)
}

func (x *Index) hits(cs []cand, k int) []Hit {
	cs = cs[:min(k, len(cs))]
	out := make([]Hit, len(cs))
	for i, c := range cs {
		out[i] = Hit{ID: x.idAt(c.ord), Score: c.score}
	}
	return out
}

// quantizeQuery scales s.q to int16 (8-bit codes) so that the int32 dot
// products with the codes cannot overflow, or to int8 (4-bit codes).
func (x *Index) quantizeQuery(s *scratch) {
	var m float32
	for _, f := range s.q {
		m = max(m, abs32(f))
	}
	if x.bits == 4 {
		f := 127 / m
		var sum int32
		for i, v := range s.q {
			s.qb[i] = int8(int32(v*f+127.5) - 127)
			sum += int32(s.qb[i])
		}
		clear(s.qb[x.dims:])
		s.qcorr = 8 * sum
		return
	}
	s.qcorr = 0
	qm := float32(queryMax(x.stride))
	f := qm / m
	for i, v := range s.q {
		// As in quantize: v*f is in [-qm, qm].
		s.qi[i] = int16(int32(v*f+qm+0.5) - int32(qm))
	}
	clear(s.qi[x.dims:])
}

// split divides rows into per-worker ranges.
func (x *Index) split() int {
	w := x.workers
	if w <= 0 {
		w = runtime.GOMAXPROCS(0)
	}
	return max(1, min(w, x.rows/minRowsPerWorker))
}

// scanCodes leaves in s.merged the best r candidates by int8 score.
func (x *Index) scanCodes(s *scratch, r int, exclude func(string) bool) {
	w := x.split()
	s.heaps = slices.Grow(s.heaps[:0], w)[:w]
	x.runUnits(w, func(i int, lo, hi int) {
		x.scanCodeRange(s, lo, hi, &s.heaps[i], exclude)
	}, func(i int) { s.heaps[i].reset(r) })
	s.merged = mergeHeaps(s.merged, s.heaps, r)
}

// runUnits splits rows [0, x.rows) into units of unitRows that w workers
// take in turn from a shared counter, so that a worker whose core is busy
// with other work (a shared machine) leaves its share to the others
// instead of holding up the search. start(i) runs first on worker i.
func (x *Index) runUnits(w int, scan func(i, lo, hi int), start func(i int)) {
	units := (x.rows + unitRows - 1) / unitRows
	var next atomic.Int64
	runWorkers(w, func(i int) {
		start(i)
		for {
			u := int(next.Add(1) - 1)
			if u >= units {
				return
			}
			scan(i, u*unitRows, min((u+1)*unitRows, x.rows))
		}
	})
}

func (x *Index) scanCodeRange(s *scratch, lo, hi int, h *topK, exclude func(string) bool) {
	var out [blockRows]int32
	rb := x.rowBytes
	for lo < hi {
		c := x.chunks[lo>>chunkShift]
		r0 := lo & chunkMask
		n := min(hi-lo, blockRows, chunkRows-r0)
		codes := c.codes[r0*rb : (r0+n)*rb]
		if x.bits == 4 {
			dotsU4I8(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(codes))), len(codes)), rb, s.qb, out[:n])
		} else {
			dotsI8I16(codes, rb, s.qi, out[:n])
		}
		corr := s.qcorr
		scale := c.scale[r0 : r0+n]
		for j, d := range out[:n] {
			sc := float32(d-corr) * scale[j]
			if sc > h.thr {
				if exclude != nil && exclude(c.ids[r0+j]) {
					continue
				}
				h.push(cand{sc, int32(lo + j)})
			}
		}
		lo += n
	}
}

// scanExact leaves in s.merged the best k rows by exact score, sorted.
func (x *Index) scanExact(s *scratch, k int, exclude func(string) bool) {
	w := x.split()
	s.heaps = slices.Grow(s.heaps[:0], w)[:w]
	q := s.q
	x.runUnits(w, func(i, lo, hi int) {
		h := &s.heaps[i]
		for o := lo; o < hi; o++ {
			c, r := x.chunks[o>>chunkShift], o&chunkMask
			p := c.vecs[r]
			if p == nil {
				continue
			}
			sc := dotF32(q, unsafe.Slice(p, len(q)))
			if sc > h.thr {
				if exclude != nil && exclude(c.ids[r]) {
					continue
				}
				h.push(cand{sc, int32(o)})
			}
		}
	}, func(i int) { s.heaps[i].reset(k) })
	s.merged = mergeHeaps(s.merged, s.heaps, k)
}

// mergeHeaps returns the best n candidates of all heaps, best first.
func mergeHeaps(dst []cand, hs []topK, n int) []cand {
	dst = dst[:0]
	for i := range hs {
		dst = append(dst, hs[i].result()...)
	}
	sortCands(dst)
	return dst[:min(n, len(dst))]
}

// sortCands sorts best first: higher score, then lower ordinal.
func sortCands(cs []cand) {
	slices.SortFunc(cs, func(a, b cand) int {
		switch {
		case a.score > b.score:
			return -1
		case a.score < b.score:
			return 1
		}
		return int(a.ord) - int(b.ord)
	})
}

// runWorkers runs f(0..w-1), on w-1 new goroutines and the caller's.
func runWorkers(w int, f func(i int)) {
	if w == 1 {
		f(0)
		return
	}
	var wg sync.WaitGroup
	for i := 1; i < w; i++ {
		wg.Go(func() { f(i) })
	}
	f(0)
	wg.Wait()
}

// parallel runs f over [0, n) in pieces of at least grain, on GOMAXPROCS
// goroutines.
func parallel(n, grain int, f func(lo, hi int)) {
	w := max(1, min(runtime.GOMAXPROCS(0), n/grain))
	per := (n + w - 1) / w
	runWorkers(w, func(i int) {
		lo, hi := i*per, min((i+1)*per, n)
		if lo < hi {
			f(lo, hi)
		}
	})
}

// String describes the index for logs.
func (x *Index) String() string {
	s := x.Stats()
	var b strings.Builder
	fmt.Fprintf(&b, "vecindex(%d vectors of %d dims, kernel %s, memory %.3fx the float32 vectors)", s.Len, s.Dims, Kernel(), s.Ratio())
	return b.String()
}
