package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCommittedCorpusIsCurrent regenerates the bundled corpus from the
// seed pages and compares it with the committed papers.jsonl. When it
// fails, run: go generate ./internal/bundled
func TestCommittedCorpusIsCurrent(t *testing.T) {
	var buf bytes.Buffer
	st, err := generate("../../../testdata/seeds", &buf)
	if err != nil {
		t.Fatal(err)
	}
	if st.files != 5 || st.records != 385 || st.distinct != 296 {
		t.Errorf("stats %+v, want 5 files, 385 records, 296 distinct", st)
	}
	committed, err := os.ReadFile("../papers.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), committed) {
		t.Error("internal/bundled/papers.jsonl is stale: run go generate ./internal/bundled")
	}
}

func TestGenerateFailsOnRejects(t *testing.T) {
	dir := t.TempDir()
	abs := strings.Repeat("An abstract sentence. ", 20)
	page := "A title\n" + abs + "\nTitle without abstract\n"
	if err := os.WriteFile(filepath.Join(dir, "page.txt"), []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := generate(dir, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "page.txt:3:") {
		t.Errorf("generate with a bad page: %v, want the reject with its line", err)
	}
	if _, err := generate(t.TempDir(), &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "no *.txt files") {
		t.Errorf("generate on an empty directory: %v", err)
	}
}

func TestWriteFileReplaces(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.jsonl")
	for _, content := range []string{"first\n", "second\n"} {
		if err := writeFile(path, []byte(content)); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != content {
			t.Errorf("file holds %q (%v), want %q", got, err, content)
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
}
