package store

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/recommend-dev/recommend/internal/paper"
)

// goldenFile writes a closed store with n papers with vectors of dims
// dimensions, a second model for half of them, and meta, and returns its path.
func goldenFile(tb testing.TB, n, dims int) string {
	tb.Helper()
	r := rand.New(rand.NewPCG(31, 32))
	path := filepath.Join(tb.TempDir(), "golden.db")
	s, err := Open(path, &Options{Logger: quiet})
	if err != nil {
		tb.Fatal(err)
	}
	ps, vs := makeBatch(r, "p", n, dims)
	for i := 0; i < n; i += 1000 {
		mustPut(tb, s, ps[i:min(i+1000, n)], "m", vs[i:min(i+1000, n)])
	}
	ids := make([]string, n/2)
	vs2 := make([][]float32, n/2)
	for i := range ids {
		ids[i] = ps[2*i].ID
		vs2[i] = makeVec(r, 32)
	}
	if err := s.PutVectors("m2", ids, vs2); err != nil {
		tb.Fatal(err)
	}
	if err := s.SetMeta("k", "v"); err != nil {
		tb.Fatal(err)
	}
	if err := s.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}

// damagedCopy copies src into a new file and applies damage to its bytes.
func damagedCopy(tb testing.TB, src string, damage func([]byte) []byte) string {
	tb.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		tb.Fatal(err)
	}
	dst := filepath.Join(tb.TempDir(), "damaged.db")
	if err := os.WriteFile(dst, damage(b), 0o600); err != nil {
		tb.Fatal(err)
	}
	return dst
}

func flip(off, n int) func([]byte) []byte {
	return func(b []byte) []byte {
		for i := off; i < off+n && i < len(b); i++ {
			b[i] ^= 0xFF
		}
		return b
	}
}

// readAll opens path and reads everything through the public API, returning
// the first error. It must never panic.
func readAll(path string, verify bool) error {
	s, err := Open(path, &Options{Logger: quiet, Verify: verify})
	if err != nil {
		return err
	}
	defer s.Close()
	for _, m := range []string{"m", "m2"} {
		if err := s.Scan(m, func(paper.Paper, []float32) error { return nil }); err != nil {
			return err
		}
	}
	if _, _, err := s.List(0, 1<<20); err != nil {
		return err
	}
	if _, err := s.Models(); err != nil {
		return err
	}
	return nil
}

func wantCorrupt(tb testing.TB, err error, path string) {
	tb.Helper()
	if !errors.Is(err, ErrCorrupt) {
		tb.Fatalf("error = %v, want ErrCorrupt", err)
	}
	if !strings.Contains(err.Error(), path) {
		tb.Fatalf("error %q does not name the file %s", err, path)
	}
}

// dataSize returns the bytes of path that bbolt's current metadata page
// covers; bbolt preallocates the rest of the file (up to 16 MiB) for growth.
func dataSize(tb testing.TB, path string) int {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	m0, err := parseBoltMeta(b)
	if err != nil {
		tb.Fatal(err)
	}
	m1, err := parseBoltMeta(b[m0.pageSize:])
	if err != nil {
		tb.Fatal(err)
	}
	if m1.txid > m0.txid {
		m0 = m1
	}
	return int(m0.pgid * m0.pageSize)
}

func TestDamagedFiles(t *testing.T) {
	// Large enough that bbolt's preallocated tail (up to 16 MiB) is less
	// than half the file, so "half the file" cuts into data.
	golden := goldenFile(t, 7000, 512)
	st, err := os.Stat(golden)
	if err != nil {
		t.Fatal(err)
	}
	size, data := int(st.Size()), dataSize(t, golden)
	if size/2 >= data {
		t.Fatalf("test setup: data is %d of the file's %d bytes; half the file would cut only preallocated space", data, size)
	}
	t.Logf("file %d bytes, %d of them data", size, data)
	if err := readAll(golden, true); err != nil {
		t.Fatalf("undamaged file: %v", err)
	}
	for _, tc := range []struct {
		name   string
		damage func([]byte) []byte
		// caughtWithoutVerify: Open alone (no Verify) already refuses it.
		caughtWithoutVerify bool
	}{
		{"truncated to half", func(b []byte) []byte { return b[:len(b)/2] }, true},
		{"truncated by one page of data", func(b []byte) []byte { return b[:data-DefaultPageSize] }, true},
		{"truncated to 100 bytes", func(b []byte) []byte { return b[:100] }, true},
		{"emptied", func(b []byte) []byte { return b[:0] }, true},
		{"both meta pages", func(b []byte) []byte { return flip(16, 8)(flip(DefaultPageSize+16, 8)(b)) }, true},
		{"truncated to half its data", func(b []byte) []byte { return b[:data/2] }, true},
		{"flipped bytes in the middle", flip(size/2, 64), false},
		{"flipped bytes in the middle of the data", flip(data/2, 64), false},
		{"flipped bytes at a third of the data", flip(data/3, 16), false},
		{"flipped bytes at two thirds of the data", flip(2*data/3, 16), false},
		{"one flipped byte in the middle of the data", flip(data/2+1000, 1), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := damagedCopy(t, golden, tc.damage)
			before, _ := os.ReadFile(path)
			wantCorrupt(t, readAll(path, true), path)
			err := readAll(path, false)
			if tc.caughtWithoutVerify {
				wantCorrupt(t, err, path)
			} else if err != nil {
				// Reading everything finds it too, when the damage is
				// in data that is read; it must never be a panic.
				wantCorrupt(t, err, path)
			}
			if after, _ := os.ReadFile(path); string(after) != string(before) {
				t.Error("opening a damaged file changed it")
			}
		})
	}
}

// TestTruncatedIntoPreallocatedSpace checks that cutting only bbolt's
// preallocated tail, which holds no data, loses nothing.
func TestTruncatedIntoPreallocatedSpace(t *testing.T) {
	golden := goldenFile(t, 100, 8)
	data := dataSize(t, golden)
	path := damagedCopy(t, golden, func(b []byte) []byte { return b[:data] })
	if err := readAll(path, true); err != nil {
		t.Fatalf("file cut at the end of its data: %v", err)
	}
	s, err := Open(path, &Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, _ := s.Count(); n != 100 {
		t.Errorf("Count() = %d, want 100", n)
	}
}

// TestRandomDamage damages a store at random places and checks that opening
// and reading it either works or fails with ErrCorrupt naming the file:
// never a panic, a crash or another kind of error.
func TestRandomDamage(t *testing.T) {
	golden := goldenFile(t, 300, 64)
	data := dataSize(t, golden)
	r := rand.New(rand.NewPCG(33, 34))
	runs := 60
	if testing.Short() {
		runs = 10
	}
	detected := 0
	for i := range runs {
		path := damagedCopy(t, golden, func(b []byte) []byte {
			for range 1 + r.IntN(3) {
				off := r.IntN(data) // damage in preallocated space is harmless
				n := 1 + r.IntN(256)
				for j := off; j < off+n && j < len(b); j++ {
					b[j] = byte(r.Uint32())
				}
			}
			return b
		})
		err := readAll(path, true)
		if err != nil {
			detected++
			wantCorrupt(t, err, path)
			t.Logf("run %d: %v", i, err)
		}
		_ = os.Remove(path)
	}
	t.Logf("%d of %d random damages detected (the rest hit free pages or unused bytes of pages)", detected, runs)
	if detected == 0 {
		t.Error("no random damage was detected")
	}
}
