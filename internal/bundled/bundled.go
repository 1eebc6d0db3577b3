// Package bundled is the paper corpus that ships inside the recommend
// binary, so that a fresh clone serves papers with no other file: the
// distinct papers of the five listing pages in testdata/seeds, merged by
// the corpus package and committed as JSON Lines in papers.jsonl, which is
// embedded with go:embed.
//
// papers.jsonl is generated; do not edit it by hand. After changing the
// seed pages or the corpus package's parsing, regenerate it with
//
//	go generate ./internal/bundled
//
// which runs ./gen over ../../testdata/seeds. A test fails when the
// committed file differs from what the generator produces.
package bundled

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"io"
	"sync"

	"github.com/recommend-dev/recommend/internal/corpus"
	"github.com/recommend-dev/recommend/internal/paper"
)

//go:generate go run ./gen -seeds ../../testdata/seeds -out papers.jsonl
//go:generate go run ./genvectors -dir .

// Name is the name of the embedded file, used as the source in errors.
const Name = "bundled/papers.jsonl"

//go:embed papers.jsonl
var data []byte

// Papers parses and returns the bundled papers, in the order the generator
// wrote them. Each call returns a fresh slice.
func Papers() ([]paper.Paper, error) {
	papers, rejects, err := corpus.ReadAll(Reader(), Name, corpus.WithFormat(corpus.FormatJSONL))
	if err != nil {
		return nil, err
	}
	if len(rejects) > 0 {
		return nil, fmt.Errorf("bundled: %d bad records in the embedded corpus, first %w", len(rejects), rejects[0])
	}
	return papers, nil
}

// Reader returns the embedded JSON Lines, for streaming with
// corpus.NewReader.
func Reader() io.Reader { return bytes.NewReader(data) }

// Size is the size of the embedded file in bytes.
func Size() int { return len(data) }

var version = sync.OnceValue(func() string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
})

// Version identifies the bundled corpus: the hex SHA-256 of the embedded
// papers.jsonl. It changes whenever the corpus does, so a service can tell
// whether its store holds the current bundled papers.
func Version() string { return version() }
