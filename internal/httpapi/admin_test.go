package httpapi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/recommend-dev/recommend/internal/store"
)

// GET /v1/admin/backup streams a data file that restores to a store with
// the same papers, while the server keeps its own open.
func TestBackupEndpoint(t *testing.T) {
	eng, st := testEngine(t, nil)
	h := testServer(t, Config{Engine: eng, Backup: st, APIKeys: []string{key1}})
	rec := serve(t, h, call{method: "GET", target: "/v1/admin/backup", header: map[string]string{"Authorization": "Bearer " + key1}})
	if rec.Code != 200 {
		t.Fatalf("backup: status %d; body %.300s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/octet-stream" {
		t.Errorf("Content-Type %q, want application/octet-stream", ct)
	}
	if cd := rec.Header().Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="recommend-`) {
		t.Errorf("Content-Disposition %q, want an attachment named recommend-...", cd)
	}
	path := filepath.Join(t.TempDir(), "restored", "recommend.db")
	if err := store.Restore(bytes.NewReader(rec.Body.Bytes()), path); err != nil {
		t.Fatalf("restore the backup: %v", err)
	}
	got, err := store.Open(path, &store.Options{ReadOnly: true, Verify: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	want := testPapers()
	if n, _ := got.Count(); n != len(want) {
		t.Errorf("the backup holds %d papers, want %d", n, len(want))
	}
	for _, p := range want {
		q, err := got.Get(p.ID)
		if err != nil || q.Title != p.Title || q.Abstract != p.Abstract {
			t.Errorf("paper %s in the backup: %+v, %v; want %+v", p.ID, q, err, p)
		}
	}
	// The server's own store is untouched and still writable.
	if err := eng.Delete("test:03"); err != nil {
		t.Errorf("delete after the backup: %v", err)
	}
}

// failingBackup writes part of a snapshot, then fails.
type failingBackup struct{ before int }

func (f failingBackup) Backup(w io.Writer) (int64, error) {
	if f.before == 0 {
		return 0, errors.New("cannot open a read transaction")
	}
	n, err := w.Write(bytes.Repeat([]byte{0xAB}, f.before))
	if err != nil {
		return int64(n), err
	}
	return int64(n), errors.New("disk read error")
}

// A snapshot that fails before any byte is a 500 in the error shape; one
// that fails midway cuts the connection, so the client never mistakes a
// short file for a backup.
func TestBackupFailure(t *testing.T) {
	eng, _ := testEngine(t, nil)
	t.Run("before streaming", func(t *testing.T) {
		h := testServer(t, Config{Engine: eng, Backup: failingBackup{before: 0}})
		rec := serve(t, h, call{method: "GET", target: "/v1/admin/backup"})
		if rec.Code != 500 {
			t.Fatalf("status %d, want 500", rec.Code)
		}
		errorShape(t, rec)
	})
	t.Run("midway", func(t *testing.T) {
		srv := NewServer(Config{Addr: "127.0.0.1:0", Engine: eng, Backup: failingBackup{before: 256 << 10}, Logger: slog.New(slog.DiscardHandler)})
		if err := srv.Open(); err != nil {
			t.Fatal(err)
		}
		defer srv.Close(context.Background())
		resp, err := http.Get("http://" + srv.Addr() + "/v1/admin/backup")
		if err != nil {
			return // cut before the header: fine too
		}
		defer resp.Body.Close()
		n, err := io.Copy(io.Discard, resp.Body)
		if err == nil {
			t.Fatalf("read %d bytes of a failed backup without an error: the client cannot tell it is incomplete", n)
		}
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Logf("read error (any error will do): %v", err)
		}
	})
}
