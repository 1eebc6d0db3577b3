package cache

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/recommend-dev/recommend/embeddings"
)

// counting is a fake embedder that records every call.
type counting struct {
	model string
	dims  int
	// learn makes Dimensions report 0 until the first Embed, as an
	// OpenAI-compatible client that was not probed does.
	learn bool
	err   error

	mu      sync.Mutex
	calls   [][]string
	learned bool
}

func (c *counting) Model() string { return c.model }

func (c *counting) Dimensions() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.learn && !c.learned {
		return 0
	}
	return c.dims
}

func (c *counting) Embed(_ context.Context, texts []string) ([][]float32, error) {
	c.mu.Lock()
	c.calls = append(c.calls, append([]string(nil), texts...))
	c.learned = true
	c.mu.Unlock()
	if c.err != nil {
		return nil, c.err
	}
	out := make([][]float32, len(texts))
	for i, t := range texts {
		out[i] = vecFor(c.model, t, c.dims)
	}
	return out, nil
}

// Calls returns the texts of every Embed call so far.
func (c *counting) Calls() [][]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.calls)
}

// tokenCounting is a counting embedder that also counts tokens.
type countingTokens struct{ *counting }

func (countingTokens) CountTokens(text string) int { return len(strings.Fields(text)) }

// vecFor is the fake model: a deterministic unit vector per (model, text).
func vecFor(model, text string, dims int) []float32 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s\x00%s", model, text)
	s := h.Sum64()
	v := make([]float32, dims)
	for i := range v {
		s = s*6364136223846793005 + 1442695040888963407
		v[i] = float32(s>>40)/float32(1<<24) + 0.01
	}
	if err := embeddings.Normalize(v); err != nil {
		panic(err) // cannot happen: every element is > 0
	}
	return v
}

// stores returns a fresh store of each kind, by name.
func stores(t testing.TB) map[string]func() Store {
	t.Helper()
	return map[string]func() Store{
		"memory": func() Store { return NewMemory(1000) },
		"bolt":   func() Store { return newBolt(t, filepath.Join(t.TempDir(), "cache.db"), "embeddings") },
	}
}

// openDB opens a bbolt file, closed at the end of the test.
func openDB(t testing.TB, path string) *bbolt.DB {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatalf("bbolt.Open(%s): %v", path, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// newBolt opens path and returns a Bolt store in bucket.
func newBolt(t testing.TB, path, bucket string) *Bolt {
	t.Helper()
	s, err := NewBolt(openDB(t, path), bucket)
	if err != nil {
		t.Fatalf("NewBolt: %v", err)
	}
	return s
}

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// embed calls e.Embed and fails the test on error.
func embed(t testing.TB, e embeddings.Embedder, texts ...string) [][]float32 {
	t.Helper()
	got, err := e.Embed(context.Background(), texts)
	if err != nil {
		t.Fatalf("Embed(%q): %v", texts, err)
	}
	if len(got) != len(texts) {
		t.Fatalf("Embed returned %d vectors for %d texts", len(got), len(texts))
	}
	return got
}

// checkVecs checks that got[i] is the fake model's vector of texts[i].
func checkVecs(t testing.TB, model string, dims int, got [][]float32, texts []string) {
	t.Helper()
	for i, text := range texts {
		if want := vecFor(model, text, dims); !slices.Equal(got[i], want) {
			t.Errorf("vector %d (%q) = %v..., want %v...", i, text, got[i][:2], want[:2])
		}
	}
}

func TestSecondEmbedMakesNoCall(t *testing.T) {
	for name, mk := range stores(t) {
		t.Run(name, func(t *testing.T) {
			inner := &counting{model: "m", dims: 8}
			c := New(inner, mk(), WithLogger(quietLogger()))
			in := []string{"alpha", "beta", "gamma"}
			first := embed(t, c, in...)
			second := embed(t, c, in...)
			checkVecs(t, "m", 8, first, in)
			checkVecs(t, "m", 8, second, in)
			if got, want := inner.Calls(), [][]string{in}; !slices.EqualFunc(got, want, slices.Equal) {
				t.Errorf("upstream calls %q, want %q", got, want)
			}
			if got, want := c.(*Embedder).Stats(), (Stats{Hits: 3, Misses: 3, Calls: 1}); got != want {
				t.Errorf("Stats() = %+v, want %+v", got, want)
			}
		})
	}
}

func TestOnlyMissesGoUpstream(t *testing.T) {
	for name, mk := range stores(t) {
		t.Run(name, func(t *testing.T) {
			inner := &counting{model: "m", dims: 8}
			c := New(inner, mk(), WithLogger(quietLogger()))
			embed(t, c, "a", "b")
			in := []string{"b", "c", "a", "d", "c", "b"}
			got := embed(t, c, in...)
			checkVecs(t, "m", 8, got, in)
			want := [][]string{{"a", "b"}, {"c", "d"}}
			if calls := inner.Calls(); !slices.EqualFunc(calls, want, slices.Equal) {
				t.Errorf("upstream calls %q, want %q", calls, want)
			}
		})
	}
}

func TestDuplicatesWithinACall(t *testing.T) {
	inner := &counting{model: "m", dims: 4}
	c := New(inner, NewMemory(10))
	got := embed(t, c, "x", "y", "x", "x")
	if calls := inner.Calls(); len(calls) != 1 || !slices.Equal(calls[0], []string{"x", "y"}) {
		t.Fatalf("upstream calls %q, want one call for [x y]", calls)
	}
	checkVecs(t, "m", 4, got, []string{"x", "y", "x", "x"})
	got[0][0] = 42 // the caller owns what it gets
	if got[2][0] == 42 || got[3][0] == 42 {
		t.Error("duplicate texts share one slice")
	}
	again := embed(t, c, "x")
	checkVecs(t, "m", 4, again, []string{"x"})
}

func TestKeysSeparateModelsAndSizes(t *testing.T) {
	for name, mk := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := mk()
			a := &counting{model: "model-a", dims: 8}
			b := &counting{model: "model-b", dims: 8}
			a16 := &counting{model: "model-a", dims: 16}
			in := []string{"same text"}
			embed(t, New(a, s), in...)
			gotB := embed(t, New(b, s), in...)
			gotA16 := embed(t, New(a16, s), in...)
			checkVecs(t, "model-b", 8, gotB, in)
			checkVecs(t, "model-a", 16, gotA16, in)
			for _, e := range []*counting{a, b, a16} {
				if n := len(e.Calls()); n != 1 {
					t.Errorf("%s/%d: %d upstream calls, want 1", e.model, e.dims, n)
				}
			}
			embed(t, New(&counting{model: "model-a", dims: 8, err: errors.New("must not be called")}, s), in...)
		})
	}
}

func TestBoltPersistsAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "service.db")
	in := []string{"a title", "an abstract that is longer", "ünïcödé"}

	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The service keeps its own buckets in the same file.
	if err := db.Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucket([]byte("papers"))
		if err != nil {
			return err
		}
		return b.Put([]byte("p1"), []byte("{}"))
	}); err != nil {
		t.Fatal(err)
	}
	s, err := NewBolt(db, "embeddings")
	if err != nil {
		t.Fatal(err)
	}
	first := embed(t, New(&counting{model: "m", dims: 32}, s), in...)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = openDB(t, path)
	s, err = NewBolt(db, "embeddings")
	if err != nil {
		t.Fatal(err)
	}
	inner := &counting{model: "m", dims: 32}
	second := embed(t, New(inner, s), in...)
	if n := len(inner.Calls()); n != 0 {
		t.Errorf("%d upstream calls after reopening, want 0", n)
	}
	for i := range in {
		if !slices.Equal(first[i], second[i]) {
			t.Errorf("vector %d changed across reopening", i)
		}
	}
	if err := db.View(func(tx *bbolt.Tx) error {
		if v := tx.Bucket([]byte("papers")).Get([]byte("p1")); string(v) != "{}" {
			return fmt.Errorf("papers/p1 = %q", v)
		}
		if n := tx.Bucket([]byte("embeddings")).Stats().KeyN; n != len(in) {
			return fmt.Errorf("%d keys in the cache bucket, want %d", n, len(in))
		}
		return nil
	}); err != nil {
		t.Error(err)
	}
}

func TestBoltPutIsOneTransaction(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "c.db"))
	s, err := NewBolt(db, "e")
	if err != nil {
		t.Fatal(err)
	}
	before := db.Stats().TxN
	keys := []Key{KeyOf("m", 2, "a"), KeyOf("m", 2, "b"), KeyOf("m", 2, "c")}
	if err := s.Put(context.Background(), keys, [][]float32{{1, 0}, {0, 1}, {0.6, 0.8}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(context.Background(), append(keys, KeyOf("m", 2, "missing"), KeyOf("m", 3, "a")))
	if err != nil {
		t.Fatal(err)
	}
	want := [][]float32{{1, 0}, {0, 1}, {0.6, 0.8}, nil, nil}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("Get = %v, want %v", got, want)
	}
	if after := db.Stats().TxN; after-before != 1 {
		t.Errorf("Get opened %d read transactions, want 1", after-before)
	}

	// A Put whose last entry cannot be written (its key is over bbolt's
	// size limit) writes none: the whole call is one transaction.
	huge := KeyOf(strings.Repeat("m", bbolt.MaxKeySize), 2, "z")
	fresh := []Key{KeyOf("m", 2, "d"), KeyOf("m", 2, "e"), huge}
	err = s.Put(context.Background(), fresh, [][]float32{{1, 0}, {0, 1}, {1, 0}})
	if err == nil || !strings.Contains(err.Error(), "writing 3 vectors to") {
		t.Fatalf("Put with an oversized key: %v, want an error", err)
	}
	got, err = s.Get(context.Background(), fresh[:2])
	if err != nil {
		t.Fatal(err)
	}
	if got[0] != nil || got[1] != nil {
		t.Errorf("a failed Put left %v behind", got)
	}
}

func TestBoltCorruptValueIsAMiss(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "c.db"))
	s, err := NewBolt(db, "e")
	if err != nil {
		t.Fatal(err)
	}
	inner := &counting{model: "m", dims: 4}
	c := New(inner, s, WithLogger(quietLogger()))
	embed(t, c, "t1", "t2")
	for _, bad := range [][]byte{{1, 2, 3}, encodeVector([]float32{1, 2, 3})} {
		if err := db.Update(func(tx *bbolt.Tx) error {
			return tx.Bucket([]byte("e")).Put(appendKey(nil, KeyOf("m", 4, "t1")), bad)
		}); err != nil {
			t.Fatal(err)
		}
		got := embed(t, c, "t1", "t2")
		checkVecs(t, "m", 4, got, []string{"t1", "t2"})
		if last := inner.Calls()[len(inner.Calls())-1]; !slices.Equal(last, []string{"t1"}) {
			t.Errorf("after corrupting t1 (%d bytes), upstream got %q, want [t1]", len(bad), last)
		}
	}
}

func TestNewBoltErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	db := openDB(t, path)
	if _, err := NewBolt(db, ""); err == nil || !strings.Contains(err.Error(), "empty bucket name") {
		t.Errorf("NewBolt with no bucket: %v", err)
	}
	if _, err := NewBolt(nil, "e"); err == nil {
		t.Error("NewBolt(nil) succeeded")
	}
	db.Close()
	ro, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if _, err := NewBolt(ro, "e"); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("NewBolt on a read-only file without the bucket: %v", err)
	}
}

func TestMemoryIsLRU(t *testing.T) {
	ctx := context.Background()
	m := NewMemory(2)
	k := func(s string) Key { return KeyOf("m", 1, s) }
	put := func(s string, x float32) {
		t.Helper()
		if err := m.Put(ctx, []Key{k(s)}, [][]float32{{x}}); err != nil {
			t.Fatal(err)
		}
	}
	put("a", 1)
	put("b", 2)
	if _, err := m.Get(ctx, []Key{k("a")}); err != nil { // a is now the most recent
		t.Fatal(err)
	}
	put("c", 3) // evicts b
	got, err := m.Get(ctx, []Key{k("a"), k("b"), k("c")})
	if err != nil {
		t.Fatal(err)
	}
	if want := [][]float32{{1}, nil, {3}}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("after evicting: %v, want %v", got, want)
	}
	if m.Len() != 2 {
		t.Errorf("Len() = %d, want 2", m.Len())
	}
	put("a", 9) // overwrite keeps the size
	got, _ = m.Get(ctx, []Key{k("a")})
	if m.Len() != 2 || got[0][0] != 9 {
		t.Errorf("after overwrite: Len %d, a = %v", m.Len(), got[0])
	}
	got[0][0] = -1 // the store hands out copies
	if again, _ := m.Get(ctx, []Key{k("a")}); again[0][0] != 9 {
		t.Errorf("changing a returned vector changed the store: %v", again[0])
	}
	if err := m.Put(ctx, []Key{k("x")}, nil); err == nil {
		t.Error("Put with mismatched lengths succeeded")
	}
	if n := NewMemory(0).max; n != DefaultMemoryEntries {
		t.Errorf("NewMemory(0) holds %d, want %d", n, DefaultMemoryEntries)
	}
}

func TestUnknownDimensionsAreLearnt(t *testing.T) {
	inner := &counting{model: "m", dims: 8, learn: true}
	c := New(inner, NewMemory(10))
	if c.Dimensions() != 0 {
		t.Fatalf("Dimensions() = %d before the first call, want 0", c.Dimensions())
	}
	embed(t, c, "a", "b")
	embed(t, c, "a", "b")
	if n := len(inner.Calls()); n != 1 {
		t.Errorf("%d upstream calls, want 1: the first call's vectors must be stored under the learnt size", n)
	}
}

func TestInnerErrorsAreReturnedAndNotCached(t *testing.T) {
	boom := errors.New("upstream is down")
	inner := &counting{model: "m", dims: 4, err: boom}
	m := NewMemory(10)
	c := New(inner, m)
	if _, err := c.Embed(context.Background(), []string{"a"}); !errors.Is(err, boom) {
		t.Errorf("error %v, want %v", err, boom)
	}
	if m.Len() != 0 {
		t.Errorf("store holds %d vectors after a failed call", m.Len())
	}
	inner.err = nil
	embed(t, c, "a")
	if n := len(inner.Calls()); n != 2 {
		t.Errorf("%d upstream calls, want 2", n)
	}
}

// brokenStore fails every call.
type brokenStore struct{ gets, puts int }

func (b *brokenStore) Get(context.Context, []Key) ([][]float32, error) {
	b.gets++
	return nil, errors.New("disk on fire")
}

func (b *brokenStore) Put(context.Context, []Key, [][]float32) error {
	b.puts++
	return errors.New("disk on fire")
}

func TestBrokenStoreDegrades(t *testing.T) {
	var logs strings.Builder
	inner := &counting{model: "m", dims: 4}
	s := &brokenStore{}
	c := New(inner, s, WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	got := embed(t, c, "a", "b")
	checkVecs(t, "m", 4, got, []string{"a", "b"})
	if s.gets != 1 || s.puts != 1 || len(inner.Calls()) != 1 {
		t.Errorf("gets %d, puts %d, upstream calls %d; want 1 each", s.gets, s.puts, len(inner.Calls()))
	}
	for _, want := range []string{"embeddings cache read failed", "embeddings cache write failed", "disk on fire"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log %q does not mention %q", logs.String(), want)
		}
	}
}

func TestCancelledContext(t *testing.T) {
	inner := &counting{model: "m", dims: 4}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := New(inner, NewMemory(10)).Embed(ctx, []string{"a"})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
	if n := len(inner.Calls()); n != 0 {
		t.Errorf("%d upstream calls with a cancelled context", n)
	}
}

func TestPassesThrough(t *testing.T) {
	plain := New(&counting{model: "m", dims: 3}, NewMemory(1))
	if _, ok := plain.(embeddings.TokenCounter); ok {
		t.Error("the cache claims to count tokens though its embedder does not")
	}
	tc := New(countingTokens{&counting{model: "m2", dims: 5}}, NewMemory(1))
	counter, ok := tc.(embeddings.TokenCounter)
	if !ok {
		t.Fatal("the cache hides its embedder's TokenCounter")
	}
	if got := counter.CountTokens("three little words"); got != 3 {
		t.Errorf("CountTokens = %d, want 3", got)
	}
	if tc.Model() != "m2" || tc.Dimensions() != 5 {
		t.Errorf("Model, Dimensions = %q, %d; want m2, 5", tc.Model(), tc.Dimensions())
	}
	if _, ok := tc.(interface{ Stats() Stats }); !ok {
		t.Error("Stats is not reachable on a token-counting cache")
	}
	if got, err := plain.Embed(context.Background(), nil); err != nil || len(got) != 0 {
		t.Errorf("Embed(nil) = %v, %v", got, err)
	}
}

func TestKeyEncodingIsUnambiguous(t *testing.T) {
	// Model names that are prefixes of each other, and dimensions that
	// would run into the name, must not collide.
	keys := []Key{KeyOf("ab", 1, "t"), KeyOf("a", 1, "t"), KeyOf("a\x01", 1, "t"), KeyOf("ab", 257, "t"), KeyOf("", 0, "t")}
	seen := map[string]Key{}
	for _, k := range keys {
		b := string(appendKey(nil, k))
		if other, ok := seen[b]; ok {
			t.Errorf("%+v and %+v encode alike", k, other)
		}
		seen[b] = k
	}
}

func FuzzDecodeVector(f *testing.F) {
	for _, b := range [][]byte{nil, {}, {0, 0, 128, 63}, {1, 2, 3}, encodeVector([]float32{1, -2.5, 3e-30})} {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, ok := decodeVector(b)
		if ok != (b != nil && len(b)%4 == 0) {
			t.Fatalf("decodeVector(%d bytes) ok = %v", len(b), ok)
		}
		if !ok {
			return
		}
		if got := encodeVector(v); string(got) != string(b) {
			t.Fatalf("encode(decode(%x)) = %x", b, got)
		}
	})
}
