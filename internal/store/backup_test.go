package store

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	"go.etcd.io/bbolt"

	"github.com/recommend-dev/recommend/internal/paper"
)

// contents is everything a store holds, for comparisons.
type contents struct {
	Papers  map[string]paper.Paper
	Vectors map[string]map[string][]float32 // model -> id -> vector
	Models  []ModelInfo
	Meta    map[string]string
	Foreign map[string]string // the "cache" bucket another component keeps
}

func dump(tb testing.TB, s *Store) contents {
	tb.Helper()
	c := contents{Papers: map[string]paper.Paper{}, Vectors: map[string]map[string][]float32{}, Meta: map[string]string{}, Foreign: map[string]string{}}
	var err error
	if c.Models, err = s.Models(); err != nil {
		tb.Fatal(err)
	}
	for _, m := range c.Models {
		c.Vectors[m.Name] = map[string][]float32{}
		if err := s.Scan(m.Name, func(p paper.Paper, vec []float32) error {
			c.Papers[p.ID] = p
			if vec != nil {
				c.Vectors[m.Name][p.ID] = vec
			}
			return nil
		}); err != nil {
			tb.Fatal(err)
		}
	}
	err = s.DB().View(func(tx *bbolt.Tx) error {
		if b := tx.Bucket([]byte("meta")); b != nil {
			_ = b.ForEach(func(k, v []byte) error { c.Meta[string(k)] = string(v); return nil })
		}
		if b := tx.Bucket([]byte("cache")); b != nil {
			_ = b.ForEach(func(k, v []byte) error { c.Foreign[string(k)] = string(v); return nil })
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func TestBackupWhileWritingThenRestore(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	s := openTemp(t, nil)
	ps, vs := makeBatch(r, "a", 200, 16)
	mustPut(t, s, ps, "m", vs)
	if err := s.SetMeta("bundled", "v3"); err != nil {
		t.Fatal(err)
	}
	// Another component's bucket in the same file travels with the backup.
	if err := s.DB().Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte("cache"))
		if err != nil {
			return err
		}
		return b.Put([]byte("key"), []byte("cached vector"))
	}); err != nil {
		t.Fatal(err)
	}

	const batch = 20
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		written int // batches acknowledged
	)
	stop := make(chan struct{})
	started, more, failed := make(chan struct{}), make(chan struct{}), make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(failed) // also on success; only read before stop

		wr := rand.New(rand.NewPCG(43, 44))
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			bp, bv := makeBatch(wr, fmt.Sprintf("w%04d", i), batch, 16)
			if err := s.PutPapers(bp, "m", bv); err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			written++
			mu.Unlock()
			switch i {
			case 2:
				close(started)
			case 8:
				close(more)
			}
		}
	}()
	select {
	case <-started:
	case <-failed:
		t.Fatal("writer failed")
	}
	var snap bytes.Buffer
	n, err := s.Backup(&snap)
	if err != nil || n != int64(snap.Len()) {
		t.Fatalf("Backup = %d, %v; wrote %d bytes", n, err, snap.Len())
	}
	// Keep writing a little after the snapshot.
	select {
	case <-more:
	case <-failed:
		t.Fatal("writer failed")
	}
	close(stop)
	wg.Wait()

	restored := filepath.Join(t.TempDir(), "restored", "recommend.db")
	if err := Restore(bytes.NewReader(snap.Bytes()), restored); err != nil {
		t.Fatal(err)
	}
	rs, err := Open(restored, &Options{Logger: quiet, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	got, src := dump(t, rs), dump(t, s)

	// The snapshot is a consistent point in time: the first k batches of
	// the single writer, complete, and everything equal to the source.
	perBatch := map[int]int{}
	for id, p := range got.Papers {
		if want, ok := src.Papers[id]; !ok || !reflect.DeepEqual(p, want) {
			t.Errorf("restored paper %q differs from the source", id)
		}
		if !reflect.DeepEqual(got.Vectors["m"][id], src.Vectors["m"][id]) {
			t.Errorf("restored vector %q differs from the source", id)
		}
		if b, ok := strings.CutPrefix(id, "w"); ok {
			k, _ := strconv.Atoi(b[:4])
			perBatch[k]++
		}
	}
	for k := range len(perBatch) {
		if perBatch[k] != batch {
			t.Errorf("restored batch %d has %d of %d papers (batches present: %v)", k, perBatch[k], batch, perBatch)
		}
	}
	if len(perBatch) < 3 || len(perBatch) > written {
		t.Errorf("snapshot holds %d batches; want at least the 3 written before it and at most the %d written in all", len(perBatch), written)
	}
	if got.Models[0].Count != len(got.Papers) {
		t.Errorf("restored model count %d, papers %d", got.Models[0].Count, len(got.Papers))
	}
	if got.Meta["bundled"] != "v3" || got.Foreign["key"] != "cached vector" {
		t.Errorf("restored meta %v, cache bucket %v", got.Meta, got.Foreign)
	}

	// With writers stopped, backup + restore gives identical contents.
	final := filepath.Join(t.TempDir(), "final.db")
	if _, err := s.BackupFile(final); err != nil {
		t.Fatal(err)
	}
	fs2, err := Open(final, &Options{Logger: quiet, Verify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer fs2.Close()
	if again := dump(t, fs2); !reflect.DeepEqual(again, src) {
		t.Errorf("backup of an idle store differs from it: %d vs %d papers", len(again.Papers), len(src.Papers))
	}
}

func TestRestoreRefusals(t *testing.T) {
	r := rand.New(rand.NewPCG(45, 46))
	s := openTemp(t, nil)
	ps, vs := makeBatch(r, "p", 50, 8)
	mustPut(t, s, ps, "m", vs)
	var snap bytes.Buffer
	if _, err := s.Backup(&snap); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()

	existing := filepath.Join(dir, "existing.db")
	if err := os.WriteFile(existing, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Restore(bytes.NewReader(snap.Bytes()), existing); !errors.Is(err, fs.ErrExist) {
		t.Errorf("Restore over an existing file: %v, want fs.ErrExist", err)
	}
	if b, _ := os.ReadFile(existing); string(b) != "precious" {
		t.Error("refused Restore changed the existing file")
	}
	if err := Restore(bytes.NewReader(snap.Bytes()), existing, AllowOverwrite()); err != nil {
		t.Errorf("Restore with AllowOverwrite: %v", err)
	}
	rs, err := Open(existing, &Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := rs.Count(); n != 50 {
		t.Errorf("restored Count() = %d, want 50", n)
	}
	_ = rs.Close()

	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"garbage", bytes.Repeat([]byte("garbage!"), 4096)},
		{"truncated backup", snap.Bytes()[:snap.Len()/2]},
		{"damaged backup", flip(snap.Len()/2, 32)(bytes.Clone(snap.Bytes()))},
		{"empty", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := filepath.Join(dir, tc.name+".db")
			err := Restore(bytes.NewReader(tc.data), target)
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("Restore(%s) = %v, want ErrCorrupt", tc.name, err)
			}
			if _, err := os.Stat(target); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Restore(%s) left a file behind: %v", tc.name, err)
			}
		})
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".restore-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}
