package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/recommend-dev/recommend/internal/corpus"
)

// impRun runs "recommend import --dry-run args..." in-process with the
// given environment and standard input, and returns its output.
func impRun(tb testing.TB, ctx context.Context, env map[string]string, stdin string, args ...string) (stdout, stderr string, err error) {
	tb.Helper()
	var out, errb bytes.Buffer
	err = run(ctx, append([]string{"import", "--dry-run"}, args...), func(k string) string { return env[k] }, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), err
}

func impSeeds(tb testing.TB) []string {
	tb.Helper()
	files, err := filepath.Glob("../../testdata/seeds/*.txt")
	if err != nil || len(files) != 5 {
		tb.Fatalf("seed files: %v, %v", files, err)
	}
	return files
}

func TestImportSeedsSummary(t *testing.T) {
	files := impSeeds(t)
	stdout, stderr, err := impRun(t, context.Background(), nil, "", files...)
	if err != nil {
		t.Fatalf("import: %v\n%s", err, stderr)
	}
	for _, want := range []string{
		"000_40759f9316c523b7.txt: 50 papers, 0 rejected (listing)\n",
		"001_f6b0b895de248fd6.txt: 183 papers, 0 rejected (listing)\n",
		"002_df08cd95257053c3.txt: 51 papers, 0 rejected (listing)\n",
		"003_669403bd9e297eaa.txt: 39 papers, 0 rejected (listing)\n",
		"004_7a19374562c7484e.txt: 62 papers, 0 rejected (listing)\n",
		"total: 385 papers read from 5 files, 296 distinct, 0 rejected\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	if stderr != "" {
		t.Errorf("stderr not empty (no terminal, so no progress bar): %q", stderr)
	}
}

// TestImportOutMatchesBundled converts the seed pages with --out and checks
// that the result is byte for byte the bundled corpus, which the generator
// makes the same way.
func TestImportOutMatchesBundled(t *testing.T) {
	out := filepath.Join(t.TempDir(), "papers.jsonl")
	stdout, _, err := impRun(t, context.Background(), nil, "", append([]string{"--out", out}, impSeeds(t)...)...)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, "wrote 296 papers to "+out+"\n") {
		t.Errorf("summary: %s", stdout)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../internal/bundled/papers.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("--out output (%d bytes) differs from internal/bundled/papers.jsonl (%d bytes)", len(got), len(want))
	}
	entries, _ := os.ReadDir(filepath.Dir(out))
	if len(entries) != 1 {
		t.Errorf("temporary files left beside the output: %v", entries)
	}
}

const impArxiv = `{"id":"0704.0001","submitter":"P","authors":"A. One and B. Two","title":"First\n  paper","abstract":"  Its abstract\nwraps.","categories":"hep-ph","versions":[{"version":"v1","created":"Mon, 2 Apr 2007 19:18:42 GMT"}],"update_date":"2008-11-13"}
{"id":"0704.0002","submitter":"P","title":"Broken
{"id":"0704.0003","submitter":"P","title":"","abstract":"No title."}
{"id":"0704.0004","submitter":"P","title":"Second paper","abstract":"Fine."}
{"id":"0704.0004v2","submitter":"P","title":"Second paper","abstract":"Fine, and longer."}
`

// TestImportArxivToStdout converts an arXiv dump with bad lines to the
// project's JSON Lines on standard output; the summary goes to standard
// error.
func TestImportArxivToStdout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "arxiv.json")
	if err := os.WriteFile(path, []byte(impArxiv), 0o600); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, err := impRun(t, context.Background(), nil, "", "--out", "-", path)
	if err != nil {
		t.Fatal(err)
	}
	papers, rejects, err := corpus.ReadAll(strings.NewReader(stdout), "stdout")
	if err != nil || len(rejects) != 0 {
		t.Fatalf("stdout is not clean JSON Lines: %v %v\n%s", err, rejects, stdout)
	}
	if len(papers) != 2 || papers[0].ID != "arxiv:0704.0001" || papers[0].Title != "First paper" || papers[0].AuthorCount != 2 ||
		papers[1].ID != "arxiv:0704.0004" || papers[1].Abstract != "Fine, and longer." {
		t.Errorf("papers: %+v", papers)
	}
	for _, want := range []string{
		path + ": 3 papers, 2 rejected (arxiv)\n",
		"  rejected " + path + ":2: invalid JSON",
		"  rejected " + path + ":3: missing title\n",
		"total: 3 papers read from 1 files, 2 distinct, 2 rejected\n",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

func TestImportStdinAndRejectLimit(t *testing.T) {
	abs := strings.Repeat("An abstract sentence. ", 20)
	page := "• 1 author\nLonely title\n• 2 authors\nT1\n" + abs + "\nT2\n" + abs + "\n• 3 authors\n"
	stdout, _, err := impRun(t, context.Background(), map[string]string{"RECOMMEND_SHOW_REJECTS": "1"}, page, "-")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"stdin: 2 papers, 2 rejected (listing)\n",
		"  rejected stdin:1: author count",
		"  ... and 1 more rejects (see --show-rejects)\n",
		"total: 2 papers read from 1 files, 2 distinct, 2 rejected\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "stdin:2:") {
		t.Errorf("more rejects shown than RECOMMEND_SHOW_REJECTS=1 allows:\n%s", stdout)
	}
}

func TestImportFormatFlag(t *testing.T) {
	files := impSeeds(t)[:1]
	// Forced to read a listing page as JSON Lines, every non-blank line is
	// rejected.
	stdout, _, err := impRun(t, context.Background(), map[string]string{"RECOMMEND_FORMAT": "jsonl"}, "", files...)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, ": 0 papers, ") || !strings.Contains(stdout, "(jsonl)") || !strings.Contains(stdout, "invalid JSON") {
		t.Errorf("summary:\n%s", stdout)
	}
}

func TestImportProgressAlways(t *testing.T) {
	files := impSeeds(t)[:1]
	stdout, stderr, err := impRun(t, context.Background(), nil, "", append([]string{"--progress", "always"}, files...)...)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr, files[0]) || !strings.Contains(stderr, "100%") {
		t.Errorf("no progress bar on stderr: %q", stderr)
	}
	if strings.Contains(stdout, "%") {
		t.Errorf("progress on stdout: %q", stdout)
	}
}

func TestImportErrors(t *testing.T) {
	dir := t.TempDir()
	seed := impSeeds(t)[0]
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		ctx     context.Context
		args    []string
		usage   bool
		errPart string
	}{
		{"no files", context.Background(), nil, true, "no FILE given"},
		{"bad format", context.Background(), []string{"--format", "csv", seed}, true, `unknown format "csv"`},
		{"bad progress", context.Background(), []string{"--progress", "sometimes", seed}, true, `--progress "sometimes"`},
		{"stdin twice", context.Background(), []string{"-", "-"}, true, "more than once"},
		{"unknown flag", context.Background(), []string{"--nope", seed}, true, "flag provided but not defined: -nope"},
		{"missing file", context.Background(), []string{seed, filepath.Join(dir, "missing.jsonl")}, false, "no such file or directory"},
		{"directory", context.Background(), []string{dir}, false, "is a directory"},
		{"cancelled", cancelled, []string{seed}, false, "context canceled"},
		{"unwritable out", context.Background(), []string{"--out", filepath.Join(dir, "no", "such", "dir.jsonl"), seed}, false, "writing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := impRun(t, tt.ctx, nil, "", tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.errPart) {
				t.Fatalf("err = %v, want one containing %q", err, tt.errPart)
			}
			var u usageError
			if got := errors.As(err, &u); got != tt.usage {
				t.Errorf("usage error: %v, want %v (exit code %d)", got, tt.usage, exitCode(err))
			}
		})
	}
	if _, stderr, err := impRun(t, context.Background(), nil, "", "-h"); exitCode(err) != 2 || !strings.Contains(stderr, "Usage: recommend import [flags] FILE...") || !strings.Contains(stderr, "-out FILE") {
		t.Errorf("-h: %v\n%s", err, stderr)
	}
}
