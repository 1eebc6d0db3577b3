package store

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"

	"go.etcd.io/bbolt"

	"github.com/recommend-dev/recommend/internal/paper"
)

// ModelInfo describes the vectors stored for one embedding model.
type ModelInfo struct {
	// Name is the model name given to PutPapers or PutVectors.
	Name string `json:"name"`
	// Dimensions is fixed by the first vector stored for the model.
	Dimensions int `json:"dimensions"`
	// Count is the number of papers that have a vector for the model.
	Count int `json:"count"`
}

// appendFillPercent is the bbolt fill percent for a batch whose keys all sort
// after the bucket's current last key: pages filled while appending are never
// split again by this batch, so they are packed full instead of half full.
const appendFillPercent = 0.95

// scanChunk is how many papers Scan reads per read transaction.
const scanChunk = 2048

// entry is one validated, encoded element of a write batch.
type entry struct {
	index int // position in the caller's slice
	id    []byte
	p     *paper.Paper
	enc   []byte // encoded paper, nil in PutVectors
	vec   []byte // encoded vector, nil when none
}

// checkVector validates one vector against the batch's dimension.
func checkVector(v []float32, dims int) error {
	if len(v) == 0 {
		return fmt.Errorf("%w: empty vector", ErrInvalid)
	}
	if len(v) != dims {
		return fmt.Errorf("%w: vector has %d dimensions, the first vector of the batch has %d", ErrDimensions, len(v), dims)
	}
	for j, f := range v {
		if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
			return fmt.Errorf("%w: vector element %d is %v", ErrInvalid, j, f)
		}
	}
	return nil
}

// prepareVectors validates a batch's model and vectors and returns the
// batch dimension.
func prepareVectors(model string, n int, vectors [][]float32) (int, error) {
	if err := validString(model, MaxModelLen); err != nil {
		return 0, fmt.Errorf("%w: model name %v", ErrInvalid, err)
	}
	if len(vectors) != n {
		return 0, fmt.Errorf("%w: %d vectors for %d items", ErrInvalid, len(vectors), n)
	}
	dims := len(vectors[0])
	if dims > MaxDimensions {
		return 0, &BatchError{Index: 0, Err: fmt.Errorf("%w: %d dimensions, the limit is %d", ErrInvalid, dims, MaxDimensions)}
	}
	return dims, nil
}

// PutPapers stores papers and, when vectors is not nil, their vectors for
// model (vectors[i] belongs to papers[i]), all in one fsynced transaction.
//
// A paper whose ID exists is replaced. If its title or abstract changed, its
// vectors for every other model are deleted because they no longer describe
// it (and, when vectors is nil, those for all models); if the text is
// unchanged, other models' vectors are kept.
//
// The batch is validated first and rejected whole: an invalid paper (empty or
// non-UTF-8 ID, paper.Validate failing, a duplicate ID in the batch) or vector
// (empty, NaN or infinite element, a different length from the others) is a
// *BatchError naming its index and wrapping ErrInvalid or ErrDimensions.
// Vectors whose length differs from the dimensions the model was first stored
// with are ErrDimensions.
func (s *Store) PutPapers(papers []paper.Paper, model string, vectors [][]float32) error {
	if len(papers) == 0 {
		if len(vectors) != 0 {
			return fmt.Errorf("put papers: %w: %d vectors for 0 papers", ErrInvalid, len(vectors))
		}
		return nil
	}
	dims := 0
	if vectors != nil {
		var err error
		if dims, err = prepareVectors(model, len(papers), vectors); err != nil {
			return fmt.Errorf("put papers: %w", err)
		}
	}
	entries := make([]entry, len(papers))
	seen := make(map[string]int, len(papers))
	for i := range papers {
		p := &papers[i]
		bad := func(err error) error {
			return fmt.Errorf("put papers: %w", &BatchError{Index: i, ID: p.ID, Err: err})
		}
		if err := validString(p.ID, MaxIDLen); err != nil {
			return bad(fmt.Errorf("%w: id %v", ErrInvalid, err))
		}
		if err := p.Validate(); err != nil {
			return bad(fmt.Errorf("%w: %v", ErrInvalid, err))
		}
		if j, dup := seen[p.ID]; dup {
			return bad(fmt.Errorf("%w: duplicate id, also at index %d", ErrInvalid, j))
		}
		seen[p.ID] = i
		e := entry{index: i, id: []byte(p.ID), p: p, enc: encodePaper(p)}
		if len(e.enc) > MaxTextLen {
			return bad(fmt.Errorf("%w: paper is %d bytes encoded, the limit is %d", ErrInvalid, len(e.enc), MaxTextLen))
		}
		if vectors != nil {
			if err := checkVector(vectors[i], dims); err != nil {
				return bad(err)
			}
			e.vec = encodeVector(vectors[i])
		}
		entries[i] = e
	}
	sortEntries(entries)

	err := s.update(func(tx *bbolt.Tx) error {
		w, err := s.newWriter(tx)
		if err != nil {
			return err
		}
		var target *modelBucket
		if vectors != nil {
			if target, err = w.model(model, dims, true); err != nil {
				return err
			}
			target.appendMode(entries[0].id)
		}
		if last, _ := w.papers.Cursor().Last(); last == nil || bytes.Compare(entries[0].id, last) > 0 {
			w.papers.FillPercent = appendFillPercent
		}
		for i := range entries {
			e := &entries[i]
			old := w.papers.Get(e.id)
			changed := false
			if old == nil {
				w.paperCount++
			} else {
				title, abstract, err := paperText(old)
				if err != nil {
					return s.corrupt("papers/%q: %v", e.id, err)
				}
				changed = string(title) != e.p.Title || string(abstract) != e.p.Abstract
			}
			if err := w.papers.Put(e.id, e.enc); err != nil {
				return fmt.Errorf("put paper %q: %w", e.id, err)
			}
			if changed {
				if err := w.dropStale(e.id, target); err != nil {
					return err
				}
			}
			if target != nil {
				if err := target.put(e.id, e.vec); err != nil {
					return err
				}
			}
		}
		return w.finish()
	})
	if err != nil {
		return fmt.Errorf("put papers: %w", err)
	}
	return nil
}

// PutVectors stores vectors for existing papers under model, in one fsynced
// transaction; it replaces earlier vectors of those papers for that model.
// An unknown ID is a *BatchError wrapping ErrNotFound; invalid input is
// rejected as in PutPapers. Nothing is written when any item is rejected.
func (s *Store) PutVectors(model string, ids []string, vectors [][]float32) error {
	if len(ids) == 0 {
		if len(vectors) != 0 {
			return fmt.Errorf("put vectors: %w: %d vectors for 0 ids", ErrInvalid, len(vectors))
		}
		return nil
	}
	dims, err := prepareVectors(model, len(ids), vectors)
	if err != nil {
		return fmt.Errorf("put vectors: %w", err)
	}
	entries := make([]entry, len(ids))
	seen := make(map[string]int, len(ids))
	for i, id := range ids {
		bad := func(err error) error {
			return fmt.Errorf("put vectors: %w", &BatchError{Index: i, ID: id, Err: err})
		}
		if err := validString(id, MaxIDLen); err != nil {
			return bad(fmt.Errorf("%w: id %v", ErrInvalid, err))
		}
		if j, dup := seen[id]; dup {
			return bad(fmt.Errorf("%w: duplicate id, also at index %d", ErrInvalid, j))
		}
		seen[id] = i
		if err := checkVector(vectors[i], dims); err != nil {
			return bad(err)
		}
		entries[i] = entry{index: i, id: []byte(id), vec: encodeVector(vectors[i])}
	}
	sortEntries(entries)

	err = s.update(func(tx *bbolt.Tx) error {
		w, err := s.newWriter(tx)
		if err != nil {
			return err
		}
		for i := range entries {
			if w.papers.Get(entries[i].id) == nil {
				e := entries[i]
				return &BatchError{Index: e.index, ID: string(e.id), Err: fmt.Errorf("paper %w", ErrNotFound)}
			}
		}
		target, err := w.model(model, dims, true)
		if err != nil {
			return err
		}
		target.appendMode(entries[0].id)
		for i := range entries {
			if err := target.put(entries[i].id, entries[i].vec); err != nil {
				return err
			}
		}
		return w.finish()
	})
	if err != nil {
		return fmt.Errorf("put vectors: %w", err)
	}
	return nil
}

func sortEntries(entries []entry) {
	slices.SortFunc(entries, func(a, b entry) int { return bytes.Compare(a.id, b.id) })
}

// writer holds the buckets and counters of one read-write transaction.
type writer struct {
	s          *Store
	tx         *bbolt.Tx
	papers     *bbolt.Bucket
	vectors    *bbolt.Bucket
	models     *bbolt.Bucket
	meta       *bbolt.Bucket
	paperCount int
	loaded     map[string]*modelBucket
	all        bool // every model is in loaded
}

// modelBucket is one model's vectors bucket and its running count.
type modelBucket struct {
	name    string
	b       *bbolt.Bucket
	info    modelInfo
	changed bool
}

func (m *modelBucket) appendMode(first []byte) {
	if last, _ := m.b.Cursor().Last(); last == nil || bytes.Compare(first, last) > 0 {
		m.b.FillPercent = appendFillPercent
	}
}

func (m *modelBucket) put(id, vec []byte) error {
	if m.b.Get(id) == nil {
		m.info.count++
		m.changed = true
	}
	if err := m.b.Put(id, vec); err != nil {
		return fmt.Errorf("put vector %q for model %q: %w", id, m.name, err)
	}
	return nil
}

func (m *modelBucket) delete(id []byte) error {
	if m.b.Get(id) == nil {
		return nil
	}
	m.info.count--
	m.changed = true
	if err := m.b.Delete(id); err != nil {
		return fmt.Errorf("delete vector %q of model %q: %w", id, m.name, err)
	}
	return nil
}

func (s *Store) newWriter(tx *bbolt.Tx) (*writer, error) {
	w := &writer{
		s:       s,
		tx:      tx,
		papers:  tx.Bucket(bucketPapers),
		vectors: tx.Bucket(bucketVectors),
		models:  tx.Bucket(bucketModels),
		meta:    tx.Bucket(bucketMeta),
		loaded:  map[string]*modelBucket{},
	}
	st := tx.Bucket(bucketStore)
	if w.papers == nil || w.vectors == nil || w.models == nil || w.meta == nil || st == nil {
		return nil, s.corrupt("a store bucket is missing")
	}
	n, err := decodeCount(st.Get(keyPaperCount))
	if err != nil {
		return nil, s.corrupt("store/papers: %v", err)
	}
	w.paperCount = n
	return w, nil
}

// model returns the bucket of one model. With create, a missing model is
// created with dims; an existing model must have dims (dims 0 skips the
// check).
func (w *writer) model(name string, dims int, create bool) (*modelBucket, error) {
	if m, ok := w.loaded[name]; ok {
		if dims != 0 && m.info.dims != dims {
			return nil, dimsErr(name, m.info.dims, dims)
		}
		return m, nil
	}
	key := []byte(name)
	raw := w.models.Get(key)
	if raw == nil {
		if !create {
			return nil, fmt.Errorf("model %q: %w", name, ErrNotFound)
		}
		b, err := w.vectors.CreateBucketIfNotExists(key)
		if err != nil {
			return nil, fmt.Errorf("create vectors bucket for model %q: %w", name, err)
		}
		if k, _ := b.Cursor().First(); k != nil {
			return nil, w.s.corrupt("vectors/%q holds vectors but models has no entry for it", name)
		}
		m := &modelBucket{name: name, b: b, info: modelInfo{dims: dims}, changed: true}
		w.loaded[name] = m
		return m, nil
	}
	info, err := decodeModelInfo(raw)
	if err != nil {
		return nil, w.s.corrupt("models/%q: %v", name, err)
	}
	b := w.vectors.Bucket(key)
	if b == nil {
		return nil, w.s.corrupt("vectors/%q bucket is missing", name)
	}
	m := &modelBucket{name: name, b: b, info: info}
	w.loaded[name] = m
	if dims != 0 && info.dims != dims {
		return nil, dimsErr(name, info.dims, dims)
	}
	return m, nil
}

func dimsErr(model string, have, got int) error {
	return fmt.Errorf("%w: model %q stores %d-dimension vectors, got %d (a model's dimensions are fixed by its first vector)", ErrDimensions, model, have, got)
}

// allModels loads every model's bucket.
func (w *writer) allModels() error {
	if w.all {
		return nil
	}
	c := w.models.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if _, err := w.model(string(k), 0, false); err != nil {
			return err
		}
	}
	w.all = true
	return nil
}

// dropStale deletes the vectors of id for every model except keep.
func (w *writer) dropStale(id []byte, keep *modelBucket) error {
	if err := w.allModels(); err != nil {
		return err
	}
	for _, m := range w.loaded {
		if m == keep {
			continue
		}
		if err := m.delete(id); err != nil {
			return err
		}
	}
	return nil
}

// finish writes back the counters.
func (w *writer) finish() error {
	if err := w.tx.Bucket(bucketStore).Put(keyPaperCount, encodeCount(w.paperCount)); err != nil {
		return fmt.Errorf("update paper count: %w", err)
	}
	for _, m := range w.loaded {
		if !m.changed {
			continue
		}
		if err := w.models.Put([]byte(m.name), encodeModelInfo(m.info)); err != nil {
			return fmt.Errorf("update model %q: %w", m.name, err)
		}
	}
	return nil
}

// Get returns the paper with the given ID, or an error wrapping ErrNotFound.
func (s *Store) Get(id string) (paper.Paper, error) {
	var p paper.Paper
	err := s.view(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketPapers)
		v := b.Get([]byte(id))
		if v == nil {
			return fmt.Errorf("paper %q: %w", id, ErrNotFound)
		}
		var err error
		if p, err = decodePaper([]byte(id), v); err != nil {
			return s.corrupt("papers/%q: %v", id, err)
		}
		return nil
	})
	return p, err
}

// GetMany returns the papers with the given IDs, in order, in one read
// transaction. Unknown IDs are left out.
func (s *Store) GetMany(ids []string) ([]paper.Paper, error) {
	out := make([]paper.Paper, 0, len(ids))
	err := s.view(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketPapers)
		for _, id := range ids {
			v := b.Get([]byte(id))
			if v == nil {
				continue
			}
			p, err := decodePaper([]byte(id), v)
			if err != nil {
				return s.corrupt("papers/%q: %v", id, err)
			}
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Vector returns the vector of paper id for model, or an error wrapping
// ErrNotFound when the model or the vector does not exist.
func (s *Store) Vector(model, id string) ([]float32, error) {
	var vec []float32
	err := s.view(func(tx *bbolt.Tx) error {
		info, b, err := s.readModel(tx, model)
		if err != nil {
			return err
		}
		v := b.Get([]byte(id))
		if v == nil {
			return fmt.Errorf("vector of paper %q for model %q: %w", id, model, ErrNotFound)
		}
		if vec, err = decodeVector(v, info.dims); err != nil {
			return s.corrupt("vectors/%q/%q: %v", model, id, err)
		}
		return nil
	})
	return vec, err
}

// readModel returns a model's info and vectors bucket in a read transaction.
func (s *Store) readModel(tx *bbolt.Tx, model string) (modelInfo, *bbolt.Bucket, error) {
	raw := tx.Bucket(bucketModels).Get([]byte(model))
	if raw == nil {
		return modelInfo{}, nil, fmt.Errorf("model %q: %w", model, ErrNotFound)
	}
	info, err := decodeModelInfo(raw)
	if err != nil {
		return modelInfo{}, nil, s.corrupt("models/%q: %v", model, err)
	}
	b := tx.Bucket(bucketVectors).Bucket([]byte(model))
	if b == nil {
		return modelInfo{}, nil, s.corrupt("vectors/%q bucket is missing", model)
	}
	return info, b, nil
}

// Delete removes a paper and its vectors for every model in one fsynced
// transaction, or returns an error wrapping ErrNotFound.
func (s *Store) Delete(id string) error {
	err := s.update(func(tx *bbolt.Tx) error {
		w, err := s.newWriter(tx)
		if err != nil {
			return err
		}
		key := []byte(id)
		if w.papers.Get(key) == nil {
			return fmt.Errorf("paper %q: %w", id, ErrNotFound)
		}
		if err := w.papers.Delete(key); err != nil {
			return err
		}
		w.paperCount--
		if err := w.dropStale(key, nil); err != nil {
			return err
		}
		return w.finish()
	})
	if err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	return nil
}

// DeleteModel removes every vector stored for model (ErrNotFound when there
// are none); papers and other models are untouched.
func (s *Store) DeleteModel(model string) error {
	err := s.update(func(tx *bbolt.Tx) error {
		key := []byte(model)
		if tx.Bucket(bucketModels).Get(key) == nil {
			return fmt.Errorf("model %q: %w", model, ErrNotFound)
		}
		if err := tx.Bucket(bucketModels).Delete(key); err != nil {
			return err
		}
		if err := tx.Bucket(bucketVectors).DeleteBucket(key); err != nil {
			return s.corrupt("vectors/%q: %v", model, err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete model: %w", err)
	}
	return nil
}

// List returns up to limit papers in ID order (byte-wise), starting at the
// offset-th, and the total number of papers. Skipping costs O(offset).
func (s *Store) List(offset, limit int) ([]paper.Paper, int, error) {
	if offset < 0 || limit < 0 {
		return nil, 0, fmt.Errorf("list: %w: offset %d and limit %d must not be negative", ErrInvalid, offset, limit)
	}
	var (
		out   []paper.Paper
		total int
	)
	err := s.view(func(tx *bbolt.Tx) error {
		var err error
		if total, err = s.count(tx); err != nil {
			return err
		}
		if limit == 0 || offset >= total {
			return nil
		}
		out = make([]paper.Paper, 0, min(limit, total-offset))
		c := tx.Bucket(bucketPapers).Cursor()
		k, v := c.First()
		for i := 0; i < offset && k != nil; i++ {
			k, v = c.Next()
		}
		for ; k != nil && len(out) < limit; k, v = c.Next() {
			p, err := decodePaper(k, v)
			if err != nil {
				return s.corrupt("papers/%q: %v", k, err)
			}
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("list: %w", err)
	}
	return out, total, nil
}

// Count returns the number of papers.
func (s *Store) Count() (int, error) {
	var n int
	err := s.view(func(tx *bbolt.Tx) error {
		var err error
		n, err = s.count(tx)
		return err
	})
	return n, err
}

func (s *Store) count(tx *bbolt.Tx) (int, error) {
	st := tx.Bucket(bucketStore)
	if st == nil {
		return 0, s.corrupt("bucket %q is missing", bucketStore)
	}
	n, err := decodeCount(st.Get(keyPaperCount))
	if err != nil {
		return 0, s.corrupt("store/papers: %v", err)
	}
	return n, nil
}

// scanned is one paper read by Scan, handed to the callback after the read
// transaction has ended.
type scanned struct {
	p   paper.Paper
	vec []float32
}

// Scan calls fn for every paper in ID order with its vector for model (nil
// when the paper has none, or when model is "" or unknown). It stops at the
// first error fn returns and returns that error.
//
// Scan reads in chunks of a few thousand papers, each in its own short read
// transaction, on a separate goroutine that decodes the next chunk while fn
// consumes the current one (fn itself is always called from the caller's
// goroutine, one paper at a time). fn never runs inside a transaction, so a
// slow fn does not hold the file's memory map and writers are not delayed.
// The consequence is that Scan is not a point-in-time snapshot across chunks:
// a paper written or deleted while Scan runs may or may not be seen, but each
// paper is seen with the vector that belonged to it when it was read.
func (s *Store) Scan(model string, fn func(p paper.Paper, vec []float32) error) error {
	read := func(after []byte) ([]scanned, error) {
		batch := make([]scanned, 0, scanChunk)
		err := s.view(func(tx *bbolt.Tx) error {
			var (
				vc   *bbolt.Cursor
				dims int
			)
			if model != "" {
				info, b, err := s.readModel(tx, model)
				switch {
				case err == nil:
					vc, dims = b.Cursor(), info.dims
				case !isNotFound(err):
					return err
				}
			}
			c := tx.Bucket(bucketPapers).Cursor()
			k, v := seekAfter(c, after)
			var vk, vv []byte
			positioned := false
			for ; k != nil && len(batch) < scanChunk; k, v = c.Next() {
				p, err := decodePaper(k, v)
				if err != nil {
					return s.corrupt("papers/%q: %v", k, err)
				}
				item := scanned{p: p}
				if vc != nil {
					if !positioned {
						vk, vv = vc.Seek(k)
						positioned = true
					}
					for vk != nil && bytes.Compare(vk, k) < 0 {
						vk, vv = vc.Next()
					}
					if vk != nil && bytes.Equal(vk, k) {
						if item.vec, err = decodeVector(vv, dims); err != nil {
							return s.corrupt("vectors/%q/%q: %v", model, k, err)
						}
					}
				}
				batch = append(batch, item)
			}
			return nil
		})
		return batch, err
	}
	err := pipeline(read, func(it scanned) []byte { return []byte(it.p.ID) }, func(it scanned) error { return fn(it.p, it.vec) })
	if err != nil && !isCallerErr(err) {
		return fmt.Errorf("scan: %w", err)
	}
	return unwrapCallerErr(err)
}

// ScanVectors calls fn with the ID and vector of every paper that has a
// vector for model, in ID order, without reading the papers themselves. An
// unknown model is ErrNotFound. Chunking and consistency are as for Scan.
func (s *Store) ScanVectors(model string, fn func(id string, vec []float32) error) error {
	type item struct {
		id  string
		vec []float32
	}
	read := func(after []byte) ([]item, error) {
		batch := make([]item, 0, scanChunk)
		err := s.view(func(tx *bbolt.Tx) error {
			info, b, err := s.readModel(tx, model)
			if err != nil {
				return err
			}
			c := b.Cursor()
			for k, v := seekAfter(c, after); k != nil && len(batch) < scanChunk; k, v = c.Next() {
				vec, err := decodeVector(v, info.dims)
				if err != nil {
					return s.corrupt("vectors/%q/%q: %v", model, k, err)
				}
				batch = append(batch, item{id: string(k), vec: vec})
			}
			return nil
		})
		return batch, err
	}
	err := pipeline(read, func(it item) []byte { return []byte(it.id) }, func(it item) error { return fn(it.id, it.vec) })
	if err != nil && !isCallerErr(err) {
		return fmt.Errorf("scan vectors: %w", err)
	}
	return unwrapCallerErr(err)
}

// callerErr marks an error returned by a Scan callback, which is returned
// unchanged.
type callerErr struct{ err error }

func (e callerErr) Error() string { return e.err.Error() }

func isCallerErr(err error) bool {
	_, ok := err.(callerErr)
	return ok
}

func unwrapCallerErr(err error) error {
	if ce, ok := err.(callerErr); ok {
		return ce.err
	}
	return err
}

// pipeline reads chunks with read (each starting after the key of the
// previous chunk's last item) on a separate goroutine, one chunk ahead, and
// calls fn for every item on the calling goroutine.
func pipeline[T any](read func(after []byte) ([]T, error), key func(T) []byte, fn func(T) error) error {
	type chunk struct {
		items []T
		err   error
	}
	ch := make(chan chunk, 1)
	stop := make(chan struct{})
	go func() {
		defer close(ch)
		var after []byte
		for {
			items, err := read(after)
			select {
			case ch <- chunk{items, err}:
			case <-stop:
				return
			}
			if err != nil || len(items) < scanChunk {
				return
			}
			after = key(items[len(items)-1])
		}
	}()
	defer func() {
		close(stop)
		for range ch { // let the reader finish its transaction and exit
		}
	}()
	for c := range ch {
		if c.err != nil {
			return c.err
		}
		for i := range c.items {
			if err := fn(c.items[i]); err != nil {
				return callerErr{err}
			}
		}
	}
	return nil
}

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// seekAfter positions c at the first key after after (at the first key when
// after is nil).
func seekAfter(c *bbolt.Cursor, after []byte) ([]byte, []byte) {
	if after == nil {
		return c.First()
	}
	k, v := c.Seek(after)
	if k != nil && bytes.Equal(k, after) {
		k, v = c.Next()
	}
	return k, v
}

// Models lists the models that have vectors, by name.
func (s *Store) Models() ([]ModelInfo, error) {
	var out []ModelInfo
	err := s.view(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketModels).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			info, err := decodeModelInfo(v)
			if err != nil {
				return s.corrupt("models/%q: %v", k, err)
			}
			out = append(out, ModelInfo{Name: string(k), Dimensions: info.dims, Count: info.count})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("models: %w", err)
	}
	slices.SortFunc(out, func(a, b ModelInfo) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}

// Meta returns the value stored under key by SetMeta, or an error wrapping
// ErrNotFound.
func (s *Store) Meta(key string) (string, error) {
	var val string
	err := s.view(func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketMeta).Get([]byte(key))
		if v == nil {
			return fmt.Errorf("meta %q: %w", key, ErrNotFound)
		}
		val = string(v)
		return nil
	})
	return val, err
}

// SetMeta stores a small value under key (fsynced before it returns).
func (s *Store) SetMeta(key, value string) error {
	if err := validString(key, MaxMetaKeyLen); err != nil {
		return fmt.Errorf("set meta: %w: key %v", ErrInvalid, err)
	}
	if len(value) > MaxTextLen {
		return fmt.Errorf("set meta %q: %w: value is %d bytes, the limit is %d", key, ErrInvalid, len(value), MaxTextLen)
	}
	err := s.update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketMeta).Put([]byte(key), []byte(value))
	})
	if err != nil {
		return fmt.Errorf("set meta %q: %w", key, err)
	}
	return nil
}
