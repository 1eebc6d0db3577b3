package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/recommend-dev/recommend/internal/httpapi"
	"github.com/recommend-dev/recommend/internal/store"
)

// dataFile is the store's file in a data directory.
func dataFile(dir string) string { return filepath.Join(dir, "recommend.db") }

// backupLockWait is how long backup and restore wait for a data file that
// another process holds before saying so.
const backupLockWait = time.Second

// runBackup writes a consistent snapshot of a data directory's store to
// FILE: from the directory itself when no server runs on it, or from a
// running server through GET /v1/admin/backup.
func runBackup(ctx context.Context, args []string, e env) error {
	flags := newFlagSet("backup", e)
	data := flags.String("data", "data", "data `directory` to back up (no server may be running on it; see --url)")
	u := flags.String("url", "", "back up a running server instead, e.g. http://127.0.0.1:8080")
	key := flags.String("api-key", "", "API key for --url (the server's write key)")
	force := flags.Bool("force", false, "replace FILE if it exists")
	timeout := flags.Duration("timeout", 0, "give up after this long (0: no limit)")
	flags.Usage = func() {
		fmt.Fprint(e.stderr, `Usage: recommend backup [--data DIR | --url URL [--api-key KEY]] [--force] FILE

Writes a consistent snapshot of the store (papers, vectors and the
embeddings cache) to FILE, checked and fsynced before it is put in place.
A server holds its data directory for itself: while one runs, back up
through it with --url (GET /v1/admin/backup, which needs a write key when
keys are set); the service keeps serving meanwhile. Restore with
'recommend restore'.

Flags:
`)
		flags.PrintDefaults()
	}
	if err := parseFlags(flags, args, e.getenv, nil); err != nil {
		return err
	}
	if flags.NArg() != 1 {
		return usageError{"backup: give exactly one FILE to write"}
	}
	out := flags.Arg(0)
	var opts []store.RestoreOption
	if *force {
		opts = append(opts, store.AllowOverwrite())
	}
	if *timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *timeout)
		defer cancel()
	}
	start := time.Now()
	var n int64
	var err error
	if *u != "" {
		dataSet := false
		flags.Visit(func(f *flag.Flag) { dataSet = dataSet || f.Name == "data" })
		if dataSet {
			return usageError{"backup: give --data or --url, not both"}
		}
		n, err = backupFromServer(ctx, *u, *key, out, opts)
	} else {
		n, err = backupFromDir(*data, out, opts)
	}
	if err != nil {
		return err
	}
	papers, err := countPapers(out)
	if err != nil {
		return fmt.Errorf("backup: the snapshot at %s does not open: %w", out, err)
	}
	fmt.Fprintf(e.stdout, "backed up %d papers (%d bytes) to %s in %v\n", papers, n, out, time.Since(start).Round(time.Millisecond))
	return nil
}

// backupFromDir snapshots the store of a data directory no server holds.
func backupFromDir(dir, out string, opts []store.RestoreOption) (int64, error) {
	path := dataFile(dir)
	if _, err := os.Stat(path); err != nil {
		return 0, fmt.Errorf("backup: no data file at %s: %w", path, err)
	}
	st, err := store.Open(path, &store.Options{ReadOnly: true, LockTimeout: backupLockWait, Logger: slog.New(slog.DiscardHandler)})
	if errors.Is(err, store.ErrLocked) {
		return 0, fmt.Errorf("backup: %s is in use by a running server; back up through it instead: recommend backup --url http://HOST:PORT --api-key KEY %s", dir, out)
	}
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	defer st.Close()
	n, err := st.BackupFile(out, opts...)
	if errors.Is(err, fs.ErrExist) {
		return 0, fmt.Errorf("backup: %s exists; pass --force to replace it", out)
	}
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	return n, nil
}

// backupFromServer downloads a running server's snapshot to out, through
// a checked temporary file.
func backupFromServer(ctx context.Context, base, key, out string, opts []store.RestoreOption) (int64, error) {
	target, err := backupURL(base)
	if err != nil {
		return 0, usageError{"backup: --url: " + err.Error()}
	}
	if _, err := os.Stat(out); err == nil && len(opts) == 0 {
		return 0, fmt.Errorf("backup: %s exists; pass --force to replace it", out)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("backup: %s answered %s: %s", target, resp.Status, serverMessage(resp.Body))
	}
	body := &countingReader{r: resp.Body}
	if err := store.Restore(body, out, opts...); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return 0, fmt.Errorf("backup: %s exists; pass --force to replace it", out)
		}
		return 0, fmt.Errorf("backup: from %s: %w", target, err)
	}
	return body.n, nil
}

// backupURL is the backup endpoint of the server at base.
func backupURL(base string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(base))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%q is not a server URL such as http://127.0.0.1:8080", base)
	}
	if !strings.HasSuffix(u.Path, "/v1/admin/backup") {
		u.Path = strings.TrimRight(u.Path, "/") + "/v1/admin/backup"
	}
	return u.String(), nil
}

// serverMessage is the message of an error answer in the API's error
// shape, or the start of the body.
func serverMessage(r io.Reader) string {
	body, _ := io.ReadAll(io.LimitReader(r, 4096))
	var er httpapi.ErrorResponse
	if json.Unmarshal(body, &er) == nil && er.Error.Message != "" {
		return er.Error.Message
	}
	return strings.TrimSpace(string(body))
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// countPapers opens a data file read-only and counts its papers.
func countPapers(path string) (int, error) {
	st, err := store.Open(path, &store.Options{ReadOnly: true, LockTimeout: backupLockWait, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return 0, err
	}
	defer st.Close()
	return st.Count()
}
