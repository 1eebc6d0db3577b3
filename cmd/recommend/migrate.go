package main

import (
	"context"
	"fmt"
	"time"

	"github.com/recommend-dev/recommend/embeddings/uselite"
	"github.com/recommend-dev/recommend/internal/bundled"
	"github.com/recommend-dev/recommend/internal/engine"
	"github.com/recommend-dev/recommend/internal/paper"
	"github.com/recommend-dev/recommend/internal/store"
)

// migrateBatch is how many papers migrate writes per call.
const migrateBatch = 256

// runMigrate copies every paper and its vector from one store to the other:
// from the embedded store in --data to a Weaviate collection, or back.
func runMigrate(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("migrate", e)
	var (
		f  appFlags
		to string
	)
	f.register(fs)
	fs.StringVar(&to, "to", "", "where to copy the papers: weaviate (from the embedded store in --data) or embedded (from --weaviate-url into --data)")
	if err := parseFlags(fs, args, e.getenv, envAliases); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{"migrate takes no arguments"}
	}
	log, err := f.logger(e.stderr)
	if err != nil {
		return err
	}
	model := f.model
	switch {
	case f.embedder == "local":
		model = uselite.ModelName
	case model == "":
		return usageError{"--embedder openai needs --model: migrate copies the vectors of that model"}
	}
	bolt, err := store.Open(dataFile(f.data), &store.Options{Logger: log})
	if err != nil {
		return err
	}
	defer bolt.Close()
	ws, err := f.backend.openWeaviate(ctx, log)
	if err != nil {
		return err
	}
	defer ws.Close()

	var src, dst engine.Store
	switch to {
	case "weaviate":
		src, dst = bolt, ws
	case "embedded":
		src, dst = ws, bolt
	default:
		return usageError{fmt.Sprintf("--to %q: want weaviate or embedded", to)}
	}
	start := time.Now()
	n, withVec, err := copyStore(ctx, src, dst, model)
	if err != nil {
		return fmt.Errorf("migrate: %w (%d papers copied before the error; run it again to finish: it overwrites what is there)", err, n)
	}
	if to == "embedded" {
		// The data directory has its corpus now: do not add this version of
		// the bundled one on top of it at the next start.
		if err := bolt.SetMeta(bundledKey, bundled.Version()); err != nil {
			return err
		}
	}
	srcN, err := src.Count()
	if err != nil {
		return err
	}
	dstN, err := dst.Count()
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "copied %d papers (%d with %s vectors) to %s in %v; the source holds %d papers, the destination %d\n",
		n, withVec, model, to, time.Since(start).Round(time.Millisecond), srcN, dstN)
	if dstN < srcN {
		return fmt.Errorf("migrate: the destination holds %d papers, fewer than the source's %d", dstN, srcN)
	}
	return nil
}

// copyStore copies every paper of src, with its vector for model where it
// has one, to dst in batches. It returns how many papers it copied and how
// many of them with a vector.
func copyStore(ctx context.Context, src, dst engine.Store, model string) (n, withVec int, err error) {
	var (
		ps   []paper.Paper
		vs   [][]float32
		bare []paper.Paper // papers without a vector for model
	)
	flush := func() error {
		if len(ps) > 0 {
			if err := dst.PutPapers(ps, model, vs); err != nil {
				return err
			}
			n, withVec = n+len(ps), withVec+len(ps)
		}
		if len(bare) > 0 {
			if err := dst.PutPapers(bare, model, nil); err != nil {
				return err
			}
			n += len(bare)
		}
		ps, vs, bare = ps[:0], vs[:0], bare[:0]
		return ctx.Err()
	}
	err = src.Scan(model, func(p paper.Paper, vec []float32) error {
		if vec == nil {
			bare = append(bare, p)
		} else {
			ps, vs = append(ps, p), append(vs, vec)
		}
		if len(ps)+len(bare) >= migrateBatch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	return n, withVec, err
}
