package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"strings"

	"go.etcd.io/bbolt"
)

// bbolt's on-disk meta page (go.etcd.io/bbolt/internal/common): a 16-byte
// page header (id u64, flags u16, count u16, overflow u32) followed by magic
// u32, version u32, pageSize u32, flags u32, root bucket {pgid u64, sequence
// u64}, freelist u64, pgid u64, txid u64 and an FNV-64a checksum of the
// preceding 56 bytes, all in the machine's byte order.
const (
	boltPageHeader   = 16
	boltMetaLen      = 64
	boltMagic        = 0xED0CDAED
	boltVersion      = 2
	boltMetaFlag     = 0x04
	boltNoFreelist   = ^uint64(0)
	boltMinPageSize  = 1 << 10
	boltMaxPageSize  = 1 << 24
	maxPageSizeProbe = 14 // bbolt probes page sizes 1 KiB << 0..14
)

type boltMeta struct {
	pageSize uint64
	root     uint64
	freelist uint64
	pgid     uint64
	txid     uint64
}

// parseBoltMeta parses the meta page at the start of b.
func parseBoltMeta(b []byte) (boltMeta, error) {
	if len(b) < boltPageHeader+boltMetaLen {
		return boltMeta{}, fmt.Errorf("short meta page (%d bytes)", len(b))
	}
	e := binary.NativeEndian
	if flags := e.Uint16(b[8:10]); flags&boltMetaFlag == 0 {
		return boltMeta{}, fmt.Errorf("page flags %#x are not a meta page", flags)
	}
	m := b[boltPageHeader : boltPageHeader+boltMetaLen]
	if magic := e.Uint32(m[0:4]); magic != boltMagic {
		return boltMeta{}, fmt.Errorf("bad magic %#x (not a bbolt file)", magic)
	}
	if v := e.Uint32(m[4:8]); v != boltVersion {
		return boltMeta{}, fmt.Errorf("bbolt format version %d, want %d", v, boltVersion)
	}
	h := fnv.New64a()
	_, _ = h.Write(m[:56])
	if got, want := h.Sum64(), e.Uint64(m[56:64]); got != want {
		return boltMeta{}, fmt.Errorf("meta checksum mismatch")
	}
	return boltMeta{
		pageSize: uint64(e.Uint32(m[8:12])),
		root:     e.Uint64(m[16:24]),
		freelist: e.Uint64(m[32:40]),
		pgid:     e.Uint64(m[40:48]),
		txid:     e.Uint64(m[48:56]),
	}, nil
}

// checkBoltMetas picks the meta page bbolt will use (the valid one with the
// highest transaction ID) from a file of size bytes whose first page is
// page0, reading the second page through readAt, and checks that everything
// it points to lies inside the file.
func checkBoltMetas(size int64, readAt func(b []byte, off int64) (int, error)) error {
	if size == 0 {
		return errors.New("the file is empty (0 bytes); a store file is never empty, so it was truncated")
	}
	buf := make([]byte, 4096)
	n, _ := readAt(buf, 0)
	m0, err0 := parseBoltMeta(buf[:n])
	var metas []boltMeta
	var errs []string
	if err0 == nil {
		metas = append(metas, m0)
	} else {
		errs = append(errs, "meta page 0: "+err0.Error())
	}
	// Find meta page 1: at the page size meta 0 gives or, if meta 0 is
	// damaged, at any page size bbolt itself would try.
	var candidates []int64
	if err0 == nil {
		candidates = []int64{int64(m0.pageSize)}
	} else {
		for i := 0; i <= maxPageSizeProbe; i++ {
			candidates = append(candidates, boltMinPageSize<<i)
		}
	}
	var err1 error = errors.New("not found")
	for _, ps := range candidates {
		if ps+boltPageHeader+boltMetaLen > size {
			break
		}
		n, _ := readAt(buf[:boltPageHeader+boltMetaLen], ps)
		m1, err := parseBoltMeta(buf[:n])
		if err == nil && m1.pageSize == uint64(ps) {
			metas = append(metas, m1)
			err1 = nil
			break
		}
		if err == nil {
			err = fmt.Errorf("page size %d does not match its offset %d", m1.pageSize, ps)
		}
		err1 = err
	}
	if err1 != nil {
		errs = append(errs, "meta page 1: "+err1.Error())
	}
	if len(metas) == 0 {
		if size < 2*boltMinPageSize {
			return fmt.Errorf("the file is only %d bytes and has no valid bbolt metadata page: truncated, or not a store file (%s)", size, strings.Join(errs, "; "))
		}
		return fmt.Errorf("no valid bbolt metadata page: not a store file, or damaged (%s)", strings.Join(errs, "; "))
	}
	m := metas[0]
	if len(metas) == 2 && metas[1].txid > m.txid {
		m = metas[1]
	}
	ps := m.pageSize
	if ps < boltMinPageSize || ps > boltMaxPageSize || ps&(ps-1) != 0 {
		return fmt.Errorf("bad page size %d in metadata", ps)
	}
	if m.pgid < 2 || m.pgid > uint64(size) {
		return fmt.Errorf("bad page count %d in metadata", m.pgid)
	}
	if need := m.pgid * ps; need > uint64(size) {
		return fmt.Errorf("the file is truncated: it is %d bytes, but its last committed transaction (%d) uses %d pages of %d bytes = %d bytes", size, m.txid, m.pgid, ps, need)
	}
	if m.root < 2 || m.root >= m.pgid {
		return fmt.Errorf("root page %d outside the file's %d pages", m.root, m.pgid)
	}
	if m.freelist != boltNoFreelist && (m.freelist < 2 || m.freelist >= m.pgid) {
		return fmt.Errorf("freelist page %d outside the file's %d pages", m.freelist, m.pgid)
	}
	return checkFreelistPage(m, readAt)
}

// preflight checks, without bbolt, that the file at path has a valid meta
// page and is as long as that page says. bbolt does not check the length and
// would touch memory past the end of a truncated file.
func preflight(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open store %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("open store %s: %w", path, err)
	}
	readAt := func(b []byte, off int64) (int, error) {
		n, err := f.ReadAt(b, off)
		if errors.Is(err, io.EOF) {
			err = nil
		}
		return n, err
	}
	if err := checkBoltMetas(st.Size(), readAt); err != nil {
		return corruptErr(path, "%v", err)
	}
	return nil
}

// Verify reads the whole file and checks it: bbolt's structural check
// (every page reachable or free exactly once, keys in order), and for the
// store's own buckets the checksum and decoding of every record, vector
// dimensions, vectors without a paper, and the stored counts. It returns
// ErrCorrupt naming the file and the first few problems. It reads from one
// transaction, so it is consistent while writers continue, but it takes
// about as long as reading the file.
func (s *Store) Verify() error {
	var problems []string
	const maxProblems = 10
	report := func(format string, args ...any) bool {
		problems = append(problems, fmt.Sprintf(format, args...))
		return len(problems) < maxProblems
	}
	err := s.view(func(tx *bbolt.Tx) error {
		if err := s.checkPages(tx); err != nil {
			report("bbolt page structure: %v", err)
			return nil
		}
		s.verifyRecords(tx, report)
		if len(problems) > 0 {
			return nil // bbolt's check walks the same pages; skip it
		}
		// Drain the channel fully: bbolt's check goroutine reads the
		// memory map, which must stay mapped (the transaction open) until
		// it has finished.
		for err := range tx.Check() {
			if len(problems) < maxProblems {
				report("bbolt: %v", err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return s.corrupt("%s", strings.Join(problems, "; "))
	}
	return nil
}

// verifyRecords walks every bucket and record. report returns false once
// enough problems were found.
func (s *Store) verifyRecords(tx *bbolt.Tx, report func(string, ...any) bool) {
	papers := tx.Bucket(bucketPapers)
	st := tx.Bucket(bucketStore)
	models := tx.Bucket(bucketModels)
	vectors := tx.Bucket(bucketVectors)
	if papers == nil || st == nil || models == nil || vectors == nil || tx.Bucket(bucketMeta) == nil {
		report("a store bucket is missing")
		return
	}
	n := 0
	c := papers.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		n++
		if v == nil {
			if !report("papers/%q is a bucket, want a record", k) {
				return
			}
			continue
		}
		if _, err := decodePaper(k, v); err != nil {
			if !report("papers/%q: %v", k, err) {
				return
			}
		}
	}
	if want, err := decodeCount(st.Get(keyPaperCount)); err != nil {
		report("paper count: %v", err)
	} else if want != n {
		report("paper count says %d, the papers bucket holds %d", want, n)
	}

	seen := map[string]bool{}
	mc := models.Cursor()
	for name, v := mc.First(); name != nil; name, v = mc.Next() {
		seen[string(name)] = true
		info, err := decodeModelInfo(v)
		if err != nil {
			if !report("models/%q: %v", name, err) {
				return
			}
			continue
		}
		b := vectors.Bucket(name)
		if b == nil {
			if !report("vectors/%q bucket is missing", name) {
				return
			}
			continue
		}
		count := 0
		vc := b.Cursor()
		for k, v := vc.First(); k != nil; k, v = vc.Next() {
			count++
			if _, err := decodeVector(v, info.dims); err != nil {
				if !report("vectors/%q/%q: %v", name, k, err) {
					return
				}
			}
			if papers.Get(k) == nil {
				if !report("vectors/%q/%q has no paper", name, k) {
					return
				}
			}
		}
		if count != info.count {
			if !report("models/%q says %d vectors, its bucket holds %d", name, info.count, count) {
				return
			}
		}
	}
	vc := vectors.Cursor()
	for name, _ := vc.First(); name != nil; name, _ = vc.Next() {
		if !seen[string(name)] {
			if !report("vectors/%q has no entry in models", name) {
				return
			}
		}
	}

	// Touch every other bucket's keys and values so that damaged pages of
	// other components (the embeddings cache) surface here, under safely.
	_ = tx.ForEach(func(name []byte, b *bbolt.Bucket) error {
		for _, r := range ReservedBuckets {
			if bytes.Equal(name, []byte(r)) {
				return nil
			}
		}
		_ = walk(b)
		return nil
	})
}

// walk reads every key and value of b and its nested buckets.
func walk(b *bbolt.Bucket) (x byte) {
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if v == nil {
			if nb := b.Bucket(k); nb != nil {
				x ^= walk(nb)
			}
			continue
		}
		if len(v) > 0 {
			x ^= v[0] ^ v[len(v)-1]
		}
	}
	return x
}

// bbolt page layout: a 16-byte header (id u64, flags u16, count u16,
// overflow u32) followed by count 16-byte elements. A branch element is
// {pos u32, ksize u32, pgid u64}, a leaf element {flags u32, pos u32, ksize
// u32, vsize u32}; pos is relative to the element itself. A leaf value with
// the bucket flag is {root pgid u64, sequence u64} followed, when root is 0,
// by an inline page.
const (
	boltBranchFlag   = 0x01
	boltLeafFlag     = 0x02
	boltFreelistFlag = 0x10
	boltBucketLeaf   = 0x01
	boltElemLen      = 16
	boltBucketHdrLen = 16
	maxTreeDepth     = 64
)

// checkFreelistPage checks the header of the freelist page so that bbolt's
// loading it at open (which trusts the counts) stays inside the file.
func checkFreelistPage(m boltMeta, readAt func([]byte, int64) (int, error)) error {
	if m.freelist == boltNoFreelist {
		return nil
	}
	var hdr [boltPageHeader + 8]byte
	if n, _ := readAt(hdr[:], int64(m.freelist*m.pageSize)); n < boltPageHeader {
		return fmt.Errorf("freelist page %d is past the end of the file", m.freelist)
	}
	e := binary.NativeEndian
	id, flags, count, overflow := e.Uint64(hdr[0:8]), e.Uint16(hdr[8:10]), uint64(e.Uint16(hdr[10:12])), uint64(e.Uint32(hdr[12:16]))
	if id != m.freelist || flags != boltFreelistFlag {
		return fmt.Errorf("freelist page %d has id %d and flags %#x", m.freelist, id, flags)
	}
	if m.freelist+overflow >= m.pgid {
		return fmt.Errorf("freelist page %d overflows %d pages past the file's %d", m.freelist, overflow, m.pgid)
	}
	slots := count
	if count == 0xFFFF {
		slots = e.Uint64(hdr[16:24]) + 1
	}
	if span := (overflow + 1) * m.pageSize; slots > span/8 || boltPageHeader+slots*8 > span {
		return fmt.Errorf("freelist page %d claims %d entries, more than its %d bytes hold", m.freelist, slots, span)
	}
	return nil
}

// pageWalker checks the bbolt page tree of a read transaction by reading the
// file (never the memory map, so damage cannot fault), with every offset,
// count and page reference bounds-checked. bbolt's own Check trusts these
// fields (a damaged overflow count makes it loop for billions of pages), so
// it only runs after this walk passes.
type pageWalker struct {
	f        *os.File
	pageSize uint64
	hwm      uint64 // pages in use
	seen     map[uint64]bool
}

func (s *Store) checkPages(tx *bbolt.Tx) error {
	f, err := os.Open(s.path)
	if err != nil {
		return err
	}
	defer f.Close()
	ps := uint64(s.db.Info().PageSize)
	w := &pageWalker{f: f, pageSize: ps, hwm: uint64(tx.Size()) / ps, seen: map[uint64]bool{}}
	root := uint64(tx.Cursor().Bucket().Root())
	return w.page(root, 0)
}

// page checks page id and, recursively, everything below it.
func (w *pageWalker) page(id uint64, depth int) error {
	if depth > maxTreeDepth {
		return fmt.Errorf("page %d: tree deeper than %d levels", id, maxTreeDepth)
	}
	if id < 2 || id >= w.hwm {
		return fmt.Errorf("page %d: reference outside the file's %d pages", id, w.hwm)
	}
	if w.seen[id] {
		return fmt.Errorf("page %d: referenced twice", id)
	}
	var hdr [boltPageHeader]byte
	if _, err := w.f.ReadAt(hdr[:], int64(id*w.pageSize)); err != nil {
		return fmt.Errorf("page %d: %v", id, err)
	}
	e := binary.NativeEndian
	if got := e.Uint64(hdr[0:8]); got != id {
		return fmt.Errorf("page %d: header says it is page %d", id, got)
	}
	overflow := uint64(e.Uint32(hdr[12:16]))
	if id+overflow >= w.hwm {
		return fmt.Errorf("page %d: overflows %d pages past the file's %d", id, overflow, w.hwm)
	}
	for p := id; p <= id+overflow; p++ {
		if w.seen[p] {
			return fmt.Errorf("page %d: its %d overflow pages overlap page %d, which is in use", id, overflow, p)
		}
		w.seen[p] = true
	}
	buf := make([]byte, (overflow+1)*w.pageSize)
	if _, err := w.f.ReadAt(buf, int64(id*w.pageSize)); err != nil {
		return fmt.Errorf("page %d: %v", id, err)
	}
	return w.node(id, buf, depth)
}

// node checks the page (or inline page) in buf.
func (w *pageWalker) node(id uint64, buf []byte, depth int) error {
	e := binary.NativeEndian
	flags, count := e.Uint16(buf[8:10]), int(e.Uint16(buf[10:12]))
	if boltPageHeader+count*boltElemLen > len(buf) {
		return fmt.Errorf("page %d: %d elements do not fit in %d bytes", id, count, len(buf))
	}
	for i := range count {
		off := boltPageHeader + i*boltElemLen
		el := buf[off : off+boltElemLen]
		switch flags {
		case boltBranchFlag:
			pos, ksize, child := uint64(e.Uint32(el[0:4])), uint64(e.Uint32(el[4:8])), e.Uint64(el[8:16])
			if uint64(off)+pos+ksize > uint64(len(buf)) {
				return fmt.Errorf("page %d: element %d points outside the page", id, i)
			}
			if err := w.page(child, depth+1); err != nil {
				return err
			}
		case boltLeafFlag:
			eflags, pos, ksize, vsize := e.Uint32(el[0:4]), uint64(e.Uint32(el[4:8])), uint64(e.Uint32(el[8:12])), uint64(e.Uint32(el[12:16]))
			start := uint64(off) + pos + ksize
			if start+vsize > uint64(len(buf)) {
				return fmt.Errorf("page %d: element %d points outside the page", id, i)
			}
			if eflags&boltBucketLeaf == 0 {
				continue
			}
			if vsize < boltBucketHdrLen {
				return fmt.Errorf("page %d: element %d: bucket header is %d bytes", id, i, vsize)
			}
			val := buf[start : start+vsize]
			if root := e.Uint64(val[0:8]); root != 0 {
				if err := w.page(root, depth+1); err != nil {
					return err
				}
				continue
			}
			inline := val[boltBucketHdrLen:]
			if len(inline) < boltPageHeader {
				return fmt.Errorf("page %d: element %d: inline bucket of %d bytes", id, i, len(inline))
			}
			if err := w.node(id, inline, depth+1); err != nil {
				return err
			}
		default:
			return fmt.Errorf("page %d: flags %#x, want a branch or leaf page", id, flags)
		}
	}
	return nil
}
