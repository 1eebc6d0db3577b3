// Command genvectors embeds the bundled papers with the built-in encoder and
// writes their vectors next to them, so that the service loads the bundled
// corpus without running the encoder. Run it through go generate after the
// papers change:
//
//	go generate ./internal/bundled
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/recommend-dev/recommend/embeddings/uselite"
	"github.com/recommend-dev/recommend/internal/bundled"
)

func main() {
	dir := flag.String("dir", ".", "the internal/bundled directory")
	flag.Parse()
	if err := run(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "genvectors:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	papers, err := bundled.Papers()
	if err != nil {
		return err
	}
	enc, err := uselite.New()
	if err != nil {
		return err
	}
	texts := make([]string, len(papers))
	for i, p := range papers {
		texts[i] = p.Text()
	}
	start := time.Now()
	vecs, err := enc.Embed(context.Background(), texts)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := bundled.WriteVectors(&buf, enc.Model(), vecs); err != nil {
		return err
	}
	path := filepath.Join(dir, bundled.VectorsFile(enc.Model()))
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Printf("wrote %s: %d vectors of %d dimensions for model %s in %v\n", path, len(vecs), enc.Dimensions(), enc.Model(), time.Since(start).Round(time.Millisecond))
	return nil
}
