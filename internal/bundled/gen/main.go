// Command gen writes the bundled corpus: it reads every *.txt listing page
// in the seeds directory (in name order) with the corpus package, merges
// records of the same paper, and writes the distinct papers as JSON Lines.
// A rejected record fails the run, so that no paper is lost silently.
//
// It is run by go generate in internal/bundled:
//
//	go run ./gen -seeds ../../testdata/seeds -out papers.jsonl
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/recommend-dev/recommend/internal/corpus"
)

func main() {
	seeds := flag.String("seeds", "../../testdata/seeds", "directory of listing pages (*.txt)")
	out := flag.String("out", "papers.jsonl", "file to write")
	flag.Parse()
	var buf bytes.Buffer
	st, err := generate(*seeds, &buf)
	if err == nil {
		err = writeFile(*out, buf.Bytes())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "gen: %d records in %d files, %d distinct papers written to %s\n", st.records, st.files, st.distinct, *out)
}

type stats struct{ files, records, distinct int }

// generate reads the listing pages in dir and writes the merged papers to w.
func generate(dir string, w io.Writer) (stats, error) {
	var st stats
	entries, err := os.ReadDir(dir)
	if err != nil {
		return st, err
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".txt") {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	if len(names) == 0 {
		return st, fmt.Errorf("no *.txt files in %s", dir)
	}
	m := corpus.NewMerger()
	var rejects []error
	for _, name := range names {
		r, err := corpus.Open(filepath.Join(dir, name), corpus.WithFormat(corpus.FormatListing))
		if err != nil {
			return st, err
		}
		for p, err := range r.All() {
			if err != nil {
				rejects = append(rejects, err)
				continue
			}
			m.Add(p)
		}
		r.Close()
		st.files++
	}
	if err := errors.Join(rejects...); err != nil {
		return st, fmt.Errorf("%d records rejected:\n%w", len(rejects), err)
	}
	st.records, st.distinct = m.Added(), m.Len()
	return st, corpus.WriteJSONL(w, m.Papers())
}

// writeFile replaces path with data through a temporary file, so that a
// failed run leaves the old file in place.
func writeFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".papers-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
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
