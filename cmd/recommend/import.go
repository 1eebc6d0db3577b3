package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/recommend-dev/recommend/internal/corpus"
	"github.com/recommend-dev/recommend/internal/paper"
)

// progressMinBytes is the smallest file that gets a progress bar when
// --progress=auto.
const progressMinBytes = 4 << 20

// importConfig is what the import flags say.
type importConfig struct {
	out         string
	format      corpus.Format
	maxLine     int
	showRejects int
	progress    string
}

// runImport reads papers from files (listing pages, the project's JSON
// Lines or arXiv metadata), merges records of the same paper and prints a
// summary: papers read, distinct papers, and rejects with their lines and
// reasons. With --out it also writes the merged papers as JSON Lines.
func runImport(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("import", e)
	out := fs.String("out", "", "also write the merged papers as JSON Lines to `FILE` (- for standard output)")
	formatName := fs.String("format", "auto", "input `format`: auto (detect from content), listing, jsonl or arxiv")
	maxLine := fs.Int("max-line-bytes", corpus.DefaultMaxLineBytes, "reject lines longer than `N` bytes")
	showRejects := fs.Int("show-rejects", 20, "list at most `N` rejects per file (-1: all)")
	progress := fs.String("progress", "auto", "progress bar on standard error: auto (on a terminal, for files of 4 MiB or more), always or never")
	dryRun := fs.Bool("dry-run", false, "only read, merge and summarise: store nothing")
	var af appFlags
	af.register(fs)
	fs.Usage = func() {
		fmt.Fprint(e.stderr, `Usage: recommend import [flags] FILE...

Reads papers from each FILE (- for standard input): listing-page dumps, JSON
Lines in recommend's own format, or the arXiv metadata snapshot (plain or
gzip-compressed); the format is detected from the content. Records of the
same paper (same normalised title or arXiv ID) are merged. The papers are
embedded and stored in the data directory (--data), where serve, search and
related find them; with --dry-run or --out nothing is stored. Prints papers
read, distinct papers, and every reject with its line number and reason.

Flags:
`)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args, e.getenv, envAliases); err != nil {
		return err
	}
	format, err := corpus.ParseFormat(*formatName)
	if err != nil {
		return usageError{"import: --format: " + err.Error()}
	}
	switch *progress {
	case "auto", "always", "never":
	default:
		return usageError{fmt.Sprintf("import: --progress %q: want auto, always or never", *progress)}
	}
	files := fs.Args()
	if len(files) == 0 {
		return usageError{"import: no FILE given"}
	}
	stdinUses := 0
	for _, f := range files {
		if f == "-" {
			stdinUses++
		}
	}
	if stdinUses > 1 {
		return usageError{"import: standard input (-) given more than once"}
	}
	cfg := importConfig{out: *out, format: format, maxLine: *maxLine, showRejects: *showRejects, progress: *progress}

	// The summary goes to standard output, unless the papers do.
	summary := e.stdout
	if cfg.out == "-" {
		summary = e.stderr
	}
	if !*dryRun && cfg.out == "" {
		return importToStore(ctx, files, cfg, af, e, summary)
	}
	// Without --out only the counts matter: keep IDs, not papers.
	m := corpus.NewDedup()
	if cfg.out != "" {
		m = corpus.NewMerger()
	}
	read, rejected := 0, 0
	add := func(p paper.Paper) error { m.Add(p); return nil }
	for _, path := range files {
		n, r, err := importFile(ctx, path, cfg, e, add, summary)
		read += n
		rejected += r
		if err != nil {
			return err
		}
	}
	fmt.Fprintf(summary, "total: %d papers read from %d files, %d distinct, %d rejected\n", read, len(files), m.Len(), rejected)
	switch cfg.out {
	case "":
		return nil
	case "-":
		if err := corpus.WriteJSONL(e.stdout, m.Papers()); err != nil {
			return fmt.Errorf("import: %w", err)
		}
		return nil
	}
	if err := writeJSONLFile(cfg.out, m); err != nil {
		return fmt.Errorf("import: writing %s: %w", cfg.out, err)
	}
	fmt.Fprintf(summary, "wrote %d papers to %s\n", m.Len(), cfg.out)
	return nil
}

// importFile reads one input, hands every paper to add, and prints its
// summary line and its first rejects. It returns the papers read and
// rejected.
func importFile(ctx context.Context, path string, cfg importConfig, e env, add func(paper.Paper) error, summary io.Writer) (read, rejected int, err error) {
	if err := ctx.Err(); err != nil {
		return 0, 0, fmt.Errorf("import: stopped before %s: %w", path, err)
	}
	name := path
	var src io.Reader
	size := int64(-1)
	if path == "-" {
		name, src = "stdin", e.stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return 0, 0, fmt.Errorf("import: %w", err)
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return 0, 0, fmt.Errorf("import: %w", err)
		}
		if st.IsDir() {
			return 0, 0, fmt.Errorf("import: %s is a directory", path)
		}
		size, src = st.Size(), f
	}
	bar := newProgressBar(cfg.progress, e.stderr, size, name)
	if bar != nil {
		src = io.TeeReader(src, bar)
	}
	r, err := corpus.NewReader(src, name, corpus.WithFormat(cfg.format), corpus.WithMaxLineBytes(cfg.maxLine))
	if err != nil {
		return 0, 0, fmt.Errorf("import: %w", err)
	}
	defer r.Close()
	var shown []*corpus.RejectError
	for p, err := range r.All() {
		if (r.PapersRead()+r.Rejected())%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return r.PapersRead(), r.Rejected(), fmt.Errorf("import: stopped in %s after %d papers: %w", name, r.PapersRead(), err)
			}
		}
		if err != nil {
			var rej *corpus.RejectError
			if !errors.As(err, &rej) {
				return r.PapersRead(), r.Rejected(), fmt.Errorf("import: %w", err)
			}
			if cfg.showRejects < 0 || len(shown) < cfg.showRejects {
				shown = append(shown, rej)
			}
			continue
		}
		if err := add(p); err != nil {
			return r.PapersRead(), r.Rejected(), fmt.Errorf("import: %s: %w", name, err)
		}
	}
	if bar != nil {
		bar.Finish()
	}
	fmt.Fprintf(summary, "%s: %d papers, %d rejected (%s)\n", name, r.PapersRead(), r.Rejected(), r.Format())
	for _, rej := range shown {
		fmt.Fprintf(summary, "  rejected %v\n", rej)
	}
	if more := r.Rejected() - len(shown); more > 0 {
		fmt.Fprintf(summary, "  ... and %d more rejects (see --show-rejects)\n", more)
	}
	return r.PapersRead(), r.Rejected(), nil
}

// newProgressBar returns a bar counting bytes read on w, or nil when there
// should be none: mode "never"; mode "auto" when w is not a terminal
// (isTerminal, in app.go) or the file is smaller than progressMinBytes.
// size < 0 (standard input) gives a spinner.
func newProgressBar(mode string, w io.Writer, size int64, name string) *progressbar.ProgressBar {
	switch mode {
	case "never":
		return nil
	case "auto":
		if !isTerminal(w) || (size >= 0 && size < progressMinBytes) {
			return nil
		}
	}
	return progressbar.NewOptions64(size,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(name),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowTotalBytes(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetRenderBlankState(true),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
	)
}

// writeJSONLFile writes m's papers to path through a temporary file in the
// same directory, so that a failure leaves no half-written file.
func writeJSONLFile(path string, m *corpus.Merger) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := corpus.WriteJSONL(tmp, m.Papers()); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
