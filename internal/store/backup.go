package store

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"go.etcd.io/bbolt"
)

// Backup writes a consistent snapshot of the whole data file to w and
// returns the number of bytes written. It runs in one read transaction, so
// reads and writes continue meanwhile (a write that commits during the backup
// is not in it). The snapshot includes other components' buckets (such as the
// embeddings cache) and is itself a valid data file: restore it with Restore
// or open it directly.
func (s *Store) Backup(w io.Writer) (int64, error) {
	var n int64
	err := s.view(func(tx *bbolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("backup %s: %w", s.path, err)
	}
	return n, nil
}

// BackupFile writes a snapshot (see Backup) to path atomically: to a
// temporary file in the same directory, fsynced, checked to open, then
// renamed into place. It refuses to replace an existing file unless
// AllowOverwrite is given.
func (s *Store) BackupFile(path string, opts ...RestoreOption) (int64, error) {
	var n int64
	err := writeAtomic(path, ".backup-*", opts, func(f *os.File) error {
		var err error
		n, err = s.Backup(f)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("backup to %s: %w", path, err)
	}
	return n, nil
}

// RestoreOption changes what Restore and BackupFile do.
type RestoreOption func(*restoreConfig)

type restoreConfig struct {
	overwrite bool
}

// AllowOverwrite lets Restore and BackupFile replace an existing file. The
// replaced file must not be open in a running server: that server would keep
// using the old file.
func AllowOverwrite() RestoreOption {
	return func(c *restoreConfig) { c.overwrite = true }
}

// Restore writes a backup read from r to path atomically: it copies r to a
// temporary file beside path, fsyncs it, checks that it opens as a store and
// passes a full Verify, and only then renames it into place (and fsyncs the
// directory). It refuses to replace an existing file unless AllowOverwrite is
// given. On any error path is left as it was.
func Restore(r io.Reader, path string, opts ...RestoreOption) error {
	err := writeAtomic(path, ".restore-*", opts, func(f *os.File) error {
		_, err := io.Copy(f, r)
		return err
	})
	if err != nil {
		return fmt.Errorf("restore to %s: %w", path, err)
	}
	return nil
}

// writeAtomic creates path from what fill writes, through a verified,
// fsynced temporary file.
func writeAtomic(path, pattern string, opts []RestoreOption, fill func(*os.File) error) error {
	var cfg restoreConfig
	for _, o := range opts {
		o(&cfg)
	}
	if path == "" {
		return fmt.Errorf("%w: empty path", ErrInvalid)
	}
	if _, err := os.Stat(path); err == nil && !cfg.overwrite {
		return fmt.Errorf("%w: refusing to replace it (pass AllowOverwrite)", fs.ErrExist)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+pattern)
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op once it has been renamed
	if err := fill(f); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}

	quiet := slog.New(slog.DiscardHandler)
	st, err := Open(tmp, &Options{ReadOnly: true, Verify: true, Logger: quiet})
	if err != nil {
		return fmt.Errorf("the snapshot does not check out, nothing was written: %w", err)
	}
	if err := st.Close(); err != nil {
		return err
	}

	if cfg.overwrite {
		if err := os.Rename(tmp, path); err != nil {
			return err
		}
	} else if err := os.Link(tmp, path); err != nil {
		// Link never replaces: a file that appeared meanwhile is kept.
		return err
	}
	return syncDir(dir)
}
