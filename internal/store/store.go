// Package store is recommend's durable store of record: papers and, per
// embedding model, their vectors, kept in one bbolt file.
//
// The in-memory search index is rebuilt from this store at start-up (see
// Scan), so everything that must survive a restart goes through here. Every
// write method runs in a single bbolt read-write transaction that is fsynced
// before the method returns: an acknowledged write survives kill -9 and power
// loss, and a batch is either entirely present or entirely absent after a
// crash.
//
// Layout (top-level buckets):
//
//	papers            paper ID -> paper record (see codec.go)
//	vectors/<model>   paper ID -> vector record; one nested bucket per model
//	models            model name -> dimensions and vector count
//	meta              small caller-defined key/value pairs (Meta, SetMeta)
//	store             format version and the paper count
//
// Records carry a format version and a CRC-32C, so a damaged value is reported
// as ErrCorrupt rather than served. Other packages may keep their own
// top-level buckets in the same file through DB (for example the embeddings
// cache); they must not use the names above.
package store

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"sync"
	"time"
	"unsafe"

	"go.etcd.io/bbolt"
	bberrors "go.etcd.io/bbolt/errors"
)

// Limits on what the store accepts.
const (
	// MaxIDLen is the longest paper ID, in bytes.
	MaxIDLen = 1024
	// MaxModelLen is the longest model name, in bytes.
	MaxModelLen = 256
	// MaxMetaKeyLen is the longest meta key, in bytes.
	MaxMetaKeyLen = 256
	// MaxDimensions is the largest vector dimension a model may have.
	MaxDimensions = 1 << 16
	// MaxTextLen is the largest encoded paper record, in bytes.
	MaxTextLen = 1 << 20

	// FormatVersion is the store layout version written to new files. Open
	// refuses files with a newer version.
	FormatVersion = 1

	// DefaultLockTimeout is how long Open waits for another process to
	// release the file when Options.LockTimeout is zero.
	DefaultLockTimeout = 2 * time.Second
	// DefaultPageSize is the bbolt page size of new files when
	// Options.PageSize is zero. A 512-dimension vector record is just over
	// 2 KiB, so on the usual 4 KiB pages a leaf holds one or two vectors and
	// wastes about a third of the file; 8 KiB pages hold three. Larger pages
	// pack slightly better but make every write to a random position rewrite
	// more bytes. Measured with 100k papers with 512-d vectors, per paper:
	// file 6.3 KB (4 KiB pages), 5.0 KB (8 KiB), 4.6 KB (16 KiB); bytes
	// written for inserts in random ID order 22 KB, 26 KB, 36 KB.
	DefaultPageSize = 8 << 10
)

// Sentinel errors. Errors returned by the store wrap one of these (test with
// errors.Is) and name the file, bucket or key involved.
var (
	// ErrNotFound means the paper, model or meta key does not exist.
	ErrNotFound = errors.New("not found")
	// ErrInvalid means the caller's input was rejected (empty ID, missing
	// title, NaN in a vector, ...); nothing was written.
	ErrInvalid = errors.New("invalid input")
	// ErrDimensions means a vector's length differs from the dimensions the
	// model was first stored with; nothing was written.
	ErrDimensions = errors.New("vector dimensions do not match the model")
	// ErrCorrupt means the data file is damaged (truncated, bytes changed,
	// broken bbolt structure). The error message names the file. Restore it
	// from a backup; the store never drops damaged data silently.
	ErrCorrupt = errors.New("data file is corrupted")
	// ErrLocked means another process (or another Store in this process)
	// has the data file open.
	ErrLocked = errors.New("data file is in use by another process")
	// ErrNewerFormat means the file was written by a newer version of
	// recommend with a layout this build does not understand.
	ErrNewerFormat = errors.New("data file has a newer format")
	// ErrReadOnly means a write was attempted on a store opened ReadOnly.
	ErrReadOnly = errors.New("store is read-only")
)

// BatchError reports which element of a batch was rejected. The whole batch
// was rejected; nothing was written.
type BatchError struct {
	// Index is the position of the bad element in the caller's slice.
	Index int
	// ID is the paper ID at Index (may be empty when that is the problem).
	ID string
	// Err says what is wrong; it wraps ErrInvalid, ErrDimensions or
	// ErrNotFound.
	Err error
}

// Error implements error.
func (e *BatchError) Error() string {
	return fmt.Sprintf("item %d (id %q): %v", e.Index, e.ID, e.Err)
}

// Unwrap returns the underlying error.
func (e *BatchError) Unwrap() error { return e.Err }

// Options configures Open. The zero value (or nil) is ready to use.
type Options struct {
	// LockTimeout is how long to wait for another process to release the
	// file; zero means DefaultLockTimeout.
	LockTimeout time.Duration
	// Verify runs a full consistency check at open: bbolt's own structural
	// check, the checksum and decoding of every record, vector dimensions,
	// and the stored counters. It reads the whole file (about as long as a
	// full Scan plus bbolt's check); without it Open only checks the
	// metadata pages, the file size and the format marker.
	Verify bool
	// ReadOnly opens the file with a shared lock and rejects writes. It
	// still conflicts with a process that has the file open read-write.
	ReadOnly bool
	// PageSize is the bbolt page size for a new file; zero means
	// DefaultPageSize. Existing files keep the page size they were created
	// with.
	PageSize int
	// InitialMmapSize is the initial size of bbolt's memory map. A read
	// transaction that is open when the map must grow makes writers wait,
	// so a map larger than the file avoids that; it costs address space,
	// not memory. Zero means 1 GiB on 64-bit systems.
	InitialMmapSize int
	// Logger receives open/verify messages; nil means slog.Default().
	Logger *slog.Logger
}

// Store is an open data file. Its methods are safe for concurrent use;
// writes are serialised by bbolt, reads run in parallel with them.
type Store struct {
	db       *bbolt.DB
	path     string
	log      *slog.Logger
	readOnly bool

	closeOnce sync.Once
	closeErr  error
}

// Bucket and key names.
var (
	bucketPapers  = []byte("papers")
	bucketVectors = []byte("vectors")
	bucketModels  = []byte("models")
	bucketMeta    = []byte("meta")
	bucketStore   = []byte("store")

	keyFormat     = []byte("format")
	keyPaperCount = []byte("papers")
)

// ReservedBuckets lists the top-level bucket names the store uses; other
// users of DB must pick different names.
var ReservedBuckets = []string{"papers", "vectors", "models", "meta", "store"}

// Open opens the store at path, creating the file and its parent directory
// if missing. A file held by another process is ErrLocked; a damaged,
// truncated or foreign file is ErrCorrupt; both name the file. See Options.
func Open(path string, opts *Options) (*Store, error) {
	if opts == nil {
		opts = &Options{}
	}
	if path == "" {
		return nil, fmt.Errorf("open store: %w: empty path", ErrInvalid)
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	start := time.Now()

	switch st, err := os.Stat(path); {
	case errors.Is(err, fs.ErrNotExist):
		if opts.ReadOnly {
			return nil, fmt.Errorf("open store %s: %w", path, err)
		}
		if err := create(path, opts); err != nil {
			return nil, err
		}
		log.Info("store: created data file", "path", path)
	case err != nil:
		return nil, fmt.Errorf("open store %s: %w", path, err)
	case st.IsDir():
		return nil, fmt.Errorf("open store %s: is a directory, want a data file", path)
	}

	if err := preflight(path); err != nil {
		return nil, err
	}

	s := &Store{path: path, log: log, readOnly: opts.ReadOnly}
	if err := s.openBolt(opts); err != nil {
		return nil, err
	}
	if err := s.checkFormat(); err != nil {
		_ = s.db.Close()
		return nil, err
	}
	if opts.Verify {
		vstart := time.Now()
		if err := s.Verify(); err != nil {
			_ = s.db.Close()
			return nil, err
		}
		log.Info("store: verified data file", "path", path, "duration", time.Since(vstart))
	}
	n, err := s.Count()
	if err != nil {
		_ = s.db.Close()
		return nil, err
	}
	log.Info("store: opened", "path", path, "papers", n, "read_only", opts.ReadOnly, "duration", time.Since(start))
	return s, nil
}

func boltOptions(opts *Options, pageSize int) *bbolt.Options {
	timeout := opts.LockTimeout
	if timeout <= 0 {
		timeout = DefaultLockTimeout
	}
	mmap := opts.InitialMmapSize
	if mmap == 0 && unsafe.Sizeof(uintptr(0)) == 8 {
		mmap = 1 << 30
	}
	return &bbolt.Options{
		Timeout:         timeout,
		ReadOnly:        opts.ReadOnly,
		FreelistType:    bbolt.FreelistMapType,
		InitialMmapSize: mmap,
		PageSize:        pageSize,
	}
}

// create makes a new, initialised data file at path. It builds the file
// under a temporary name and links it into place, so a crash never leaves an
// empty file at path (an empty file there means it was truncated and is
// refused).
func create(path string, opts *Options) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("create store %s: %w", path, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".new-*")
	if err != nil {
		return fmt.Errorf("create store %s: %w", path, err)
	}
	tmp := f.Name()
	_ = f.Close()
	_ = os.Remove(tmp) // let bbolt create and initialise it
	defer os.Remove(tmp)

	pageSize := opts.PageSize
	if pageSize == 0 {
		pageSize = DefaultPageSize
	}
	if pageSize < 1024 || pageSize > 1<<16 || pageSize&(pageSize-1) != 0 {
		return fmt.Errorf("create store %s: %w: page size %d is not a power of two from 1024 to 65536", path, ErrInvalid, pageSize)
	}
	db, err := bbolt.Open(tmp, 0o600, boltOptions(&Options{PageSize: pageSize}, pageSize))
	if err != nil {
		return fmt.Errorf("create store %s: %w", path, err)
	}
	if err := db.Update(initBuckets); err != nil {
		_ = db.Close()
		return fmt.Errorf("create store %s: %w", path, err)
	}
	if err := db.Close(); err != nil {
		return fmt.Errorf("create store %s: %w", path, err)
	}
	// Link fails if path appeared meanwhile (another process created it);
	// then that file is used.
	if err := os.Link(tmp, path); err != nil && !errors.Is(err, fs.ErrExist) {
		if err := os.Rename(tmp, path); err != nil {
			return fmt.Errorf("create store %s: %w", path, err)
		}
	}
	return syncDir(dir)
}

func initBuckets(tx *bbolt.Tx) error {
	for _, name := range [][]byte{bucketPapers, bucketVectors, bucketModels, bucketMeta, bucketStore} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	st := tx.Bucket(bucketStore)
	if st.Get(keyFormat) == nil {
		if err := st.Put(keyFormat, []byte(strconv.Itoa(FormatVersion))); err != nil {
			return err
		}
		if err := st.Put(keyPaperCount, encodeCount(0)); err != nil {
			return err
		}
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}

// openBolt opens the bbolt file, turning a lock timeout into ErrLocked and a
// panic or memory fault inside bbolt into ErrCorrupt.
func (s *Store) openBolt(opts *Options) (err error) {
	var file *os.File
	bo := boltOptions(opts, 0)
	bo.OpenFile = func(name string, flag int, perm os.FileMode) (*os.File, error) {
		f, err := os.OpenFile(name, flag, perm)
		file = f
		return f, err
	}
	err = s.safely("open", func() error {
		db, err := bbolt.Open(s.path, 0o600, bo)
		if err != nil {
			return err
		}
		s.db = db
		return nil
	})
	if err == nil {
		return nil
	}
	if errors.Is(err, ErrCorrupt) && file != nil && s.db == nil {
		_ = file.Close() // bbolt panicked half-way; release the lock
	}
	switch {
	case errors.Is(err, bberrors.ErrTimeout):
		return fmt.Errorf("open store %s: %w (waited %s for its lock; is another recommend running on this data directory?)", s.path, ErrLocked, bo.Timeout)
	case errors.Is(err, bberrors.ErrInvalid), errors.Is(err, bberrors.ErrChecksum):
		return s.corrupt("both bbolt metadata pages are invalid (%v)", err)
	case errors.Is(err, bberrors.ErrVersionMismatch):
		return fmt.Errorf("open store %s: %w: bbolt file format version differs", s.path, ErrNewerFormat)
	case errors.Is(err, ErrCorrupt):
		return err
	}
	return fmt.Errorf("open store %s: %w", s.path, err)
}

// checkFormat checks the format marker, initialising a file that has no
// buckets at all.
func (s *Store) checkFormat() error {
	var format []byte
	empty := true
	err := s.view(func(tx *bbolt.Tx) error {
		if st := tx.Bucket(bucketStore); st != nil {
			format = append([]byte(nil), st.Get(keyFormat)...)
		}
		return tx.ForEach(func([]byte, *bbolt.Bucket) error {
			empty = false
			return nil
		})
	})
	if err != nil {
		return err
	}
	if format == nil {
		if !empty {
			return s.corrupt("no format marker in bucket %q: not a recommend data file, or damaged", bucketStore)
		}
		if s.readOnly {
			return s.corrupt("the file has no buckets: not an initialised recommend data file")
		}
		return s.update(initBuckets)
	}
	v, err := strconv.Atoi(string(format))
	if err != nil || v < 1 {
		return s.corrupt("bad format marker %q", format)
	}
	if v > FormatVersion {
		return fmt.Errorf("open store %s: %w: version %d, this build reads up to %d; upgrade recommend", s.path, ErrNewerFormat, v, FormatVersion)
	}
	return s.view(func(tx *bbolt.Tx) error {
		for _, name := range [][]byte{bucketPapers, bucketVectors, bucketModels, bucketMeta} {
			if tx.Bucket(name) == nil {
				return s.corrupt("bucket %q is missing", name)
			}
		}
		return nil
	})
}

// Close closes the file. It is safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		if err := s.db.Close(); err != nil {
			s.closeErr = fmt.Errorf("close store %s: %w", s.path, err)
		}
	})
	return s.closeErr
}

// DB returns the underlying bbolt database, so that other components (the
// embeddings cache) can keep their own top-level buckets in the same file and
// share its backups. They must not touch ReservedBuckets.
func (s *Store) DB() *bbolt.DB { return s.db }

// Path returns the data file's path as given to Open.
func (s *Store) Path() string { return s.path }

// corrupt returns an ErrCorrupt error naming the file.
func (s *Store) corrupt(format string, args ...any) error {
	return corruptErr(s.path, format, args...)
}

func corruptErr(path, format string, args ...any) error {
	return fmt.Errorf("%s: %w: %s (restore it from a backup, or move it aside to start empty)", path, ErrCorrupt, fmt.Sprintf(format, args...))
}

// safely runs fn with memory faults turned into panics and any panic turned
// into ErrCorrupt. bbolt reads the file through a memory map and trusts its
// page structure, so a damaged file can make it panic or touch memory past
// the end of a truncated file; neither may crash the process.
func (s *Store) safely(op string, fn func() error) (err error) {
	old := debug.SetPanicOnFault(true)
	defer func() {
		debug.SetPanicOnFault(old)
		if r := recover(); r != nil {
			s.log.Error("store: panic while reading the data file", "path", s.path, "op", op, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = s.corrupt("%s: bbolt failed on a damaged page: %v", op, r)
		}
	}()
	return fn()
}

// view runs fn in a read transaction under safely.
func (s *Store) view(fn func(tx *bbolt.Tx) error) error {
	return s.safely("read", func() error { return s.db.View(fn) })
}

// update runs fn in a read-write transaction under safely; bbolt fsyncs the
// commit before it returns.
func (s *Store) update(fn func(tx *bbolt.Tx) error) error {
	if s.readOnly {
		return fmt.Errorf("store %s: %w", s.path, ErrReadOnly)
	}
	return s.safely("write", func() error { return s.db.Update(fn) })
}
