package main

import (
	"bytes"
	bin "encoding/binary"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/recommend-dev/recommend/internal/corpus"
	"github.com/recommend-dev/recommend/internal/paper"
	"github.com/recommend-dev/recommend/internal/store"
)

// storedVectors opens a data directory's store (no server may hold it) and
// returns the ids of its papers and how many have a vector of model.
func storedVectors(t *testing.T, dir, model string) (ids []string, withVector int) {
	t.Helper()
	st, err := store.Open(dataFile(dir), &store.Options{ReadOnly: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	err = st.Scan(model, func(p paper.Paper, vec []float32) error {
		ids = append(ids, p.ID)
		if vec != nil {
			withVector++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids, withVector
}

// `recommend import` cut short by an upstream that fails half-way through
// a batch keeps the batches it finished, each paper with its vector, and
// nothing of the failed batch; run again, it finishes the rest and embeds
// only what was not stored before.
func TestE2EImportFailsHalfwayAndResumes(t *testing.T) {
	const total = 700 // batches of 256 papers: 256, 256, 188
	ps := make([]paper.Paper, total)
	for i, p := range testPapersN("imp", total) {
		ps[i] = paper.Paper{ID: p["id"], Title: p["title"], Abstract: p["abstract"]}
	}
	var buf bytes.Buffer
	if err := corpus.WriteJSONL(&buf, ps); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "papers.jsonl")
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	up := newUpstream(t, 32)
	args := append([]string{"import", "--data", data, "--bundled=false", "--batch-size", "64", "--log-format", "text"},
		up.openaiFlags("--openai-max-retries", "1", "--openai-backoff", "5ms")...)
	args = append(args, file)

	// The probe, then batch 1 (4 requests of 64), then 2 of batch 2's 4
	// requests succeed and the rest fail.
	up.setPolicy(up.after(7, fault500))
	out, errOut, code := runBinary(t, args...)
	if code == 0 {
		t.Fatalf("import with a failing upstream succeeded:\n%s\n%s", out, errOut)
	}
	if !strings.Contains(out, "stopped: 256 papers stored before the error") || !strings.Contains(out, "run the import again") {
		t.Errorf("summary of the failed import:\n%s", out)
	}
	if !strings.Contains(errOut, "server error (500)") {
		t.Errorf("the error does not say what failed:\n%s", errOut)
	}
	ids, withVec := storedVectors(t, data, "fake-embed")
	if len(ids) != 256 || withVec != 256 {
		t.Fatalf("after the failed import: %d papers stored, %d with a vector; want the first batch, 256 with vectors", len(ids), withVec)
	}
	for _, id := range ids {
		var n int
		if _, err := fmt.Sscanf(id, "imp:%d", &n); err != nil || n >= 256 {
			t.Fatalf("stored paper %s is not from the first batch (papers 0-255)", id)
		}
	}

	up.waitIdle(t)
	up.setPolicy(nil)
	in0 := up.inputs.Load()
	out, errOut, code = runBinary(t, args...)
	if code != 0 {
		t.Fatalf("import again: exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "holds 700 papers") {
		t.Errorf("summary of the second import:\n%s", out)
	}
	ids, withVec = storedVectors(t, data, "fake-embed")
	if len(ids) != total || withVec != total {
		t.Fatalf("after the second import: %d papers, %d with a vector; want %d, all with vectors", len(ids), withVec, total)
	}
	// The probe and the 444 papers not stored before; the first batch
	// comes from the embeddings cache.
	if got, want := up.inputs.Load()-in0, int64(1+total-256); got != want {
		t.Errorf("the second import embedded %d texts upstream, want %d (the probe and the papers not stored before)", got, want)
	}
}

// A truncated or damaged data file stops the server at start with an
// error that names the file; it never serves what is left.
func TestE2ECorruptedStoreRefusesToStart(t *testing.T) {
	// A data directory with the bundled corpus, then stopped.
	dir := t.TempDir()
	s := startService(t, dir)
	var p paper.Paper
	if st := s.do("GET", "/v1/papers/"+url.PathEscape(firstID(t, s)), nil, &p); st != 200 {
		t.Fatalf("get a paper: %d", st)
	}
	s.stop()
	good, err := os.ReadFile(dataFile(dir))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		damage func([]byte) []byte
	}{
		{"truncated to half of its pages in use", func(b []byte) []byte { return b[:boltUsedBytes(t, b)/2] }},
		{"truncated by one page", func(b []byte) []byte { return b[:boltUsedBytes(t, b)-8192] }},
		{"truncated to 100 bytes", func(b []byte) []byte { return b[:100] }},
		{"a paper's abstract changed", func(b []byte) []byte {
			// Change every copy of the abstract's start (bbolt may keep
			// old copies in free pages), one byte each.
			needle := []byte(p.Abstract[:40])
			out := bytes.Clone(b)
			n := 0
			for i := 0; ; {
				j := bytes.Index(out[i:], needle)
				if j < 0 {
					break
				}
				out[i+j+10] ^= 0x20
				i += j + len(needle)
				n++
			}
			if n == 0 {
				t.Fatalf("the abstract of %s is not in the data file", p.ID)
			}
			return out
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := t.TempDir()
			path := dataFile(d)
			if err := os.WriteFile(path, tc.damage(good), 0o600); err != nil {
				t.Fatal(err)
			}
			_, errOut, code := runBinary(t, "serve", "--addr", "127.0.0.1:0", "--data", d, "--log-format", "json")
			if code == 0 {
				t.Fatalf("serve on a damaged file exited 0:\n%s", errOut)
			}
			last := lastLine(errOut)
			if !strings.Contains(last, path) || !strings.Contains(last, "corrupt") {
				t.Errorf("the error does not name the damaged file %s and say it is corrupted:\n%s", path, last)
			}
			if strings.Contains(errOut, `"msg":"ready"`) {
				t.Errorf("the server said it was ready on a damaged file:\n%s", errOut)
			}
			t.Logf("exit %d: %s", code, last)
		})
	}
}

// boltUsedBytes is the size of the pages a bbolt file uses: its high-water
// mark, read from the newer of its two meta pages. bbolt grows files in
// large steps, so the file is usually longer; cutting only what lies past
// this loses nothing.
func boltUsedBytes(t *testing.T, b []byte) int {
	t.Helper()
	if len(b) < 4096 {
		t.Fatalf("a %d-byte file has no meta pages", len(b))
	}
	pageSize := int(bin.LittleEndian.Uint32(b[24:]))
	var hwm, txid uint64
	for _, off := range []int{0, pageSize} {
		// page header (16 bytes), then magic, version, page size, flags
		// (4 bytes each), root bucket (16), freelist (8), high-water mark
		// (8), txid (8).
		if id := bin.LittleEndian.Uint64(b[off+64:]); id >= txid {
			txid, hwm = id, bin.LittleEndian.Uint64(b[off+56:])
		}
	}
	used := int(hwm) * pageSize
	if used <= 2*pageSize || used > len(b) {
		t.Fatalf("implausible bbolt high-water mark: %d pages of %d bytes in a %d-byte file", hwm, pageSize, len(b))
	}
	return used
}

// Cutting a data file's unused tail (bbolt grows files in large steps)
// loses nothing: the server starts with every paper.
func TestE2ETruncatedTailLosesNothing(t *testing.T) {
	dir := t.TempDir()
	s := startService(t, dir)
	var ready map[string]any
	s.do("GET", "/readyz", nil, &ready)
	s.stop()
	b, err := os.ReadFile(dataFile(dir))
	if err != nil {
		t.Fatal(err)
	}
	used := boltUsedBytes(t, b)
	t.Logf("data file %d bytes, %d in use", len(b), used)
	if err := os.Truncate(dataFile(dir), int64(used)); err != nil {
		t.Fatal(err)
	}
	s = startService(t, dir)
	var again map[string]any
	s.do("GET", "/readyz", nil, &again)
	if again["papers"] != ready["papers"] {
		t.Errorf("after cutting the unused tail: %v papers, want %v", again["papers"], ready["papers"])
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// firstID is the id of the first paper a service lists.
func firstID(t *testing.T, s *service) string {
	t.Helper()
	var list struct {
		Data []paper.Paper `json:"data"`
	}
	if st := s.do("GET", "/v1/papers?limit=1&offset=7", nil, &list); st != 200 || len(list.Data) == 0 {
		t.Fatalf("list papers: status %d, %d papers", st, len(list.Data))
	}
	return list.Data[0].ID
}

// A backup taken from a running server under load, restored into a new
// directory and served by a second server, answers every query exactly as
// the first.
func TestE2EBackupRestoreIdenticalAnswers(t *testing.T) {
	const key = "backup-key-0123456789"
	dirA := t.TempDir()
	a := startService(t, dirA, "--api-keys", key)
	added := testPapersN("bk", 12)
	if r := request(t, "POST", a.URL+"/v1/papers", bearer(key), map[string]any{"papers": added}); r.status != 200 {
		t.Fatalf("add papers: %d %s", r.status, r.body)
	}
	deleted := firstID(t, a)
	if r := request(t, "DELETE", a.URL+"/v1/papers/"+url.PathEscape(deleted), bearer(key), nil); r.status != 200 {
		t.Fatalf("delete %s: %d %s", deleted, r.status, r.body)
	}

	// The data directory is the server's: a direct backup says so.
	file := filepath.Join(t.TempDir(), "snapshot.db")
	if _, errOut, code := runBinary(t, "backup", "--data", dirA, file); code == 0 || !strings.Contains(errOut, "--url") {
		t.Errorf("backup --data of a served directory: exit %d, want a failure pointing to --url:\n%s", code, errOut)
	}
	// Without the key the server refuses.
	if _, errOut, code := runBinary(t, "backup", "--url", a.URL, file); code == 0 || !strings.Contains(errOut, "401") {
		t.Errorf("backup --url without a key: exit %d, want a 401:\n%s", code, errOut)
	}

	// Back up through the server while readers keep it busy.
	var stop atomic.Bool
	var wg sync.WaitGroup
	var readErrs atomic.Int64
	for range 3 {
		wg.Go(func() {
			for !stop.Load() {
				if r, err := tryRequest("GET", a.URL+"/v1/search?q=neural+networks", nil, nil); err != nil || r.status != 200 {
					readErrs.Add(1)
				}
			}
		})
	}
	out, errOut, code := runBinary(t, "backup", "--url", a.URL, "--api-key", key, file)
	stop.Store(true)
	wg.Wait()
	if code != 0 {
		t.Fatalf("backup --url: exit %d\n%s%s", code, out, errOut)
	}
	if readErrs.Load() > 0 {
		t.Errorf("%d reads failed during the backup", readErrs.Load())
	}
	t.Logf("%s", strings.TrimSpace(out))
	if _, errOut, code := runBinary(t, "backup", "--url", a.URL, "--api-key", key, file); code == 0 || !strings.Contains(errOut, "--force") {
		t.Errorf("backup onto an existing file: exit %d, want a refusal naming --force:\n%s", code, errOut)
	}

	// Restore into a new directory and serve it.
	dirB := filepath.Join(t.TempDir(), "restored")
	if out, errOut, code := runBinary(t, "restore", "--data", dirB, file); code != 0 {
		t.Fatalf("restore: exit %d\n%s%s", code, out, errOut)
	}
	if _, errOut, code := runBinary(t, "restore", "--data", dirB, file); code == 0 || !strings.Contains(errOut, "--force") {
		t.Errorf("restore over a store without --force: exit %d, want a refusal:\n%s", code, errOut)
	}
	if _, errOut, code := runBinary(t, "restore", "--data", dirA, "--force", file); code == 0 || !strings.Contains(errOut, "running server") {
		t.Errorf("restore --force under a running server: exit %d, want a refusal:\n%s", code, errOut)
	}
	b := startService(t, dirB)

	// The same queries, the same answers, byte for byte.
	var list struct {
		Data  []paper.Paper `json:"data"`
		Total int           `json:"total"`
	}
	a.do("GET", "/v1/papers?limit=100&offset=40", nil, &list)
	queries := []string{"/v1/papers?limit=100", "/v1/papers?limit=100&offset=250", "/v1/papers/" + url.PathEscape(deleted)}
	for _, p := range append(list.Data[:20], paper.Paper{ID: added[0]["id"]}, paper.Paper{ID: added[7]["id"]}) {
		id := url.PathEscape(p.ID)
		queries = append(queries, "/v1/papers/"+id, "/v1/papers/"+id+"/related?limit=10", "/v1/papers/"+id+"/related?limit=10&exact=true")
	}
	for _, q := range []string{"spiking neurons on chips", "protein structure prediction", "galaxy redshift survey", "study of sea ice", "graph neural networks for molecules"} {
		queries = append(queries, "/v1/search?q="+url.QueryEscape(q)+"&limit=10")
	}
	for _, q := range queries {
		ra, rb := request(t, "GET", a.URL+q, nil, nil), request(t, "GET", b.URL+q, nil, nil)
		if ra.status != rb.status || !bytes.Equal(ra.body, rb.body) {
			t.Errorf("GET %s differs:\n  original %d %.300s\n  restored %d %.300s", q, ra.status, ra.body, rb.status, rb.body)
		}
	}
	rec := map[string]any{"positive": []string{list.Data[0].ID, added[1]["id"]}, "negative": []string{list.Data[5].ID}, "limit": 10}
	ra, rb := request(t, "POST", a.URL+"/v1/recommend", nil, rec), request(t, "POST", b.URL+"/v1/recommend", nil, rec)
	if ra.status != 200 || !bytes.Equal(ra.body, rb.body) {
		t.Errorf("recommend differs:\n  original %d %.300s\n  restored %d %.300s", ra.status, ra.body, rb.status, rb.body)
	}
	var ready map[string]any
	b.do("GET", "/readyz", nil, &ready)
	if got, want := ready["papers"], float64(list.Total); got != want {
		t.Errorf("the restored server holds %v papers, want %v", got, want)
	}

	// Offline: with the servers stopped, back up the directory itself and
	// restore it over the other with --force, which keeps the replaced
	// store beside it.
	a.stop()
	b.stop()
	offline := filepath.Join(t.TempDir(), "offline.db")
	if out, errOut, code := runBinary(t, "backup", "--data", dirA, offline); code != 0 || !strings.Contains(out, fmt.Sprintf("backed up %d papers", list.Total)) {
		t.Fatalf("backup --data of a stopped directory: exit %d\n%s%s", code, out, errOut)
	}
	out, errOut, code = runBinary(t, "restore", "--data", dirB, "--force", offline)
	if code != 0 || !strings.Contains(out, "the replaced store is kept as") {
		t.Fatalf("restore --force: exit %d\n%s%s", code, out, errOut)
	}
	kept, _ := filepath.Glob(filepath.Join(dirB, "recommend.db.replaced-*"))
	if len(kept) != 1 {
		t.Errorf("replaced stores kept: %v, want one", kept)
	}
	// A damaged backup is refused and changes nothing.
	damaged := filepath.Join(t.TempDir(), "damaged.db")
	raw, err := os.ReadFile(offline)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(damaged, raw[:len(raw)/3], 0o600); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(dataFile(dirB))
	if _, errOut, code := runBinary(t, "restore", "--data", dirB, "--force", damaged); code == 0 || !strings.Contains(errOut, "does not check out") {
		t.Errorf("restore of a truncated backup: exit %d, want a refusal:\n%s", code, errOut)
	}
	if now, _ := os.ReadFile(dataFile(dirB)); !bytes.Equal(now, before) {
		t.Error("a refused restore changed the store")
	}
}
