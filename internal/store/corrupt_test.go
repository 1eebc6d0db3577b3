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
	small := goldenFile(t, 600, 64)
	data := dataSize(t, small)
	if err := readAll(small, true); err != nil {
		t.Fatalf("undamaged file: %v", err)
	}
	cases := []struct {
		name   string
		damage func([]byte) []byte
		// caughtWithoutVerify: Open alone (no Verify) already refuses it.
		caughtWithoutVerify bool
	}{
		{"truncated by one page of data", func(b []byte) []byte { return b[:data-DefaultPageSize] }, true},
		{"truncated to 100 bytes", func(b []byte) []byte { return b[:100] }, true},
		{"emptied", func(b []byte) []byte { return b[:0] }, true},
		{"both meta pages", func(b []byte) []byte { return flip(16, 8)(flip(DefaultPageSize+16, 8)(b)) }, true},
		{"truncated to half its data", func(b []byte) []byte { return b[:data/2] }, true},
		{"flipped bytes in the middle of the data", flip(data/2, 64), false},
		{"flipped bytes at a third of the data", flip(data/3, 16), false},
		{"flipped bytes at two thirds of the data", flip(2*data/3, 16), false},
		{"one flipped byte in the middle of the data", flip(data/2+1000, 1), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { checkDamage(t, small, tc.damage, tc.caughtWithoutVerify) })
	}

	// "Half the file" and "the middle of the file": bbolt preallocates up
	// to 16 MiB past the data, so these need a file whose data is larger
	// than that for the cut or the flip to reach data at all.
	if testing.Short() {
		t.Skip("skipping the 35 MB file in -short mode")
	}
	big := goldenFile(t, 7000, 512)
	st, err := os.Stat(big)
	if err != nil {
		t.Fatal(err)
	}
	size, bigData := int(st.Size()), dataSize(t, big)
	if size/2 >= bigData {
		t.Fatalf("test setup: data is %d of the file's %d bytes; half the file would cut only preallocated space", bigData, size)
	}
	t.Run("truncated to half", func(t *testing.T) {
		checkDamage(t, big, func(b []byte) []byte { return b[:len(b)/2] }, true)
	})
	t.Run("flipped bytes in the middle", func(t *testing.T) { checkDamage(t, big, flip(size/2, 64), false) })
}

// checkDamage damages a copy of golden and checks that opening it with
// Verify fails with ErrCorrupt naming the file, that opening and reading it
// without Verify fails the same way (or, when the damage is only found by
// reading, at least never panics), and that the file is left unchanged.
func checkDamage(t *testing.T, golden string, damage func([]byte) []byte, caughtWithoutVerify bool) {
	t.Helper()
	path := damagedCopy(t, golden, damage)
	before, _ := os.ReadFile(path)
	wantCorrupt(t, readAll(path, true), path)
	if err := readAll(path, false); caughtWithoutVerify || err != nil {
		wantCorrupt(t, err, path)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Error("opening a damaged file changed it")
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
