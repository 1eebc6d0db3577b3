package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/recommend-dev/recommend/internal/store"
)

// runRestore puts a backup in place as a data directory's store.
func runRestore(_ context.Context, args []string, e env) error {
	flags := newFlagSet("restore", e)
	data := flags.String("data", "data", "data `directory` to restore into (created if missing)")
	force := flags.Bool("force", false, "replace the directory's store if it has one (the replaced file is kept beside it)")
	flags.Usage = func() {
		fmt.Fprint(e.stderr, `Usage: recommend restore [--data DIR] [--force] FILE

Restores FILE, a snapshot written by 'recommend backup', as the store of
the data directory. The snapshot is copied beside the store, fsynced and
fully verified before it is renamed into place, so a bad or truncated
FILE changes nothing. An existing store is only replaced with --force, and
never while a server runs on the directory: stop the server first. The
replaced store is kept as recommend.db.replaced-TIMESTAMP.

Flags:
`)
		flags.PrintDefaults()
	}
	if err := parseFlags(flags, args, e.getenv, nil); err != nil {
		return err
	}
	if flags.NArg() != 1 {
		return usageError{"restore: give exactly one backup FILE"}
	}
	in := flags.Arg(0)
	f, err := os.Open(in)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer f.Close()

	path := dataFile(*data)
	var opts []store.RestoreOption
	kept := ""
	if _, err := os.Stat(path); err == nil {
		if !*force {
			return fmt.Errorf("restore: %s already has a store (%s); pass --force to replace it (stop any server running on it first)", *data, path)
		}
		if err := checkNotServing(path); err != nil {
			return err
		}
		if kept, err = keepReplaced(path); err != nil {
			return fmt.Errorf("restore: keep the replaced store: %w", err)
		}
		opts = append(opts, store.AllowOverwrite())
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("restore: %w", err)
	}
	start := time.Now()
	if err := store.Restore(f, path, opts...); err != nil {
		if kept != "" {
			os.Remove(kept) // the store was left as it was
		}
		return fmt.Errorf("restore: %s: %w", in, err)
	}
	papers, err := countPapers(path)
	if err != nil {
		return fmt.Errorf("restore: the restored store does not open: %w", err)
	}
	fmt.Fprintf(e.stdout, "restored %d papers from %s to %s in %v\n", papers, in, path, time.Since(start).Round(time.Millisecond))
	if kept != "" {
		fmt.Fprintf(e.stdout, "the replaced store is kept as %s\n", kept)
	}
	return nil
}

// keepReplaced hard-links path to a new name beside it,
// path.replaced-TIMESTAMP (with -2, -3, ... when restores come within the
// same second), and returns that name.
func keepReplaced(path string) (string, error) {
	base := fmt.Sprintf("%s.replaced-%s", path, time.Now().UTC().Format("20060102-150405"))
	name := base
	for i := 2; ; i++ {
		err := os.Link(path, name)
		if err == nil {
			return name, nil
		}
		if !errors.Is(err, os.ErrExist) || i > 1000 {
			return "", err
		}
		name = fmt.Sprintf("%s-%d", base, i)
	}
}

// checkNotServing fails when another process (a running server) holds the
// data file. A damaged file is no obstacle: replacing it is the point.
func checkNotServing(path string) error {
	st, err := store.Open(path, &store.Options{ReadOnly: true, LockTimeout: backupLockWait, Logger: slog.New(slog.DiscardHandler)})
	switch {
	case errors.Is(err, store.ErrLocked):
		return fmt.Errorf("restore: %s is in use by a running server; stop it before restoring", path)
	case err != nil:
		return nil
	}
	return st.Close()
}
