package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/recommend-dev/recommend/internal/corpus"
	"github.com/recommend-dev/recommend/internal/engine"
	"github.com/recommend-dev/recommend/internal/errs"
	"github.com/recommend-dev/recommend/internal/paper"
)

// importBatch is how many papers are embedded and stored per transaction.
const importBatch = 256

// importToStore reads files and stores their papers, embedded, in the data
// directory. Each batch is one transaction: an import cut short keeps every
// batch it finished, and running it again finishes the rest (the embeddings
// cache makes the papers already done cheap).
func importToStore(ctx context.Context, files []string, cfg importConfig, af appFlags, e env, summary io.Writer) error {
	if af.logFormat == "auto" {
		af.logFormat = "text"
	}
	log, err := af.logger(e.stderr)
	if err != nil {
		return err
	}
	a, err := af.open(ctx, log)
	if err != nil {
		return err
	}
	defer a.Close()

	start := time.Now()
	st := &storer{ctx: ctx, eng: a.engine, index: map[string]int{}, summary: summary}
	read, rejected := 0, 0
	for _, path := range files {
		n, r, err := importFile(ctx, path, cfg, e, st.add, summary)
		read += n
		rejected += r
		if err == nil {
			err = st.flush()
		}
		if err != nil {
			fmt.Fprintf(summary, "stopped: %d papers stored before the error (%d new, %d updated); run the import again to finish\n", st.added+st.updated, st.added, st.updated)
			return err
		}
	}
	rejected += st.invalid
	total, _ := a.store.Count()
	fmt.Fprintf(summary, "total: %d papers read from %d files, %d rejected; stored %d (%d new, %d updated) in %v with %s; %s holds %d papers\n",
		read, len(files), rejected, st.added+st.updated, st.added, st.updated, time.Since(start).Round(time.Millisecond), a.engine.Model(), af.storeName(), total)
	return nil
}

// storer gathers papers into batches, merges each with the copy the store
// already has (keeping the richest metadata), and stores them.
type storer struct {
	ctx     context.Context
	eng     *engine.Engine
	pending []paper.Paper
	index   map[string]int // id -> position in pending
	summary io.Writer

	added, updated, invalid int
}

func (s *storer) add(p paper.Paper) error {
	if err := engine.ValidatePaper(p); err != nil {
		s.invalid++
		fmt.Fprintf(s.summary, "  not stored %q: %s\n", p.ID, err.Message)
		return nil
	}
	if i, ok := s.index[p.ID]; ok {
		s.pending[i] = keepID(corpus.Merge(s.pending[i], p), p.ID)
		return nil
	}
	s.index[p.ID] = len(s.pending)
	s.pending = append(s.pending, p)
	if len(s.pending) >= importBatch {
		return s.flush()
	}
	return nil
}

// keepID returns p with the given ID: merging can change a paper's ID (a
// slug to an arXiv ID), but a stored paper keeps the ID it is stored under.
func keepID(p paper.Paper, id string) paper.Paper {
	p.ID = id
	return p
}

func (s *storer) flush() error {
	if len(s.pending) == 0 {
		return nil
	}
	batch := make([]paper.Paper, 0, len(s.pending))
	seen := map[string]int{}
	added := 0
	for _, p := range s.pending {
		old, err := s.eng.Get(p.ID)
		switch {
		case err == nil && (!corpus.IsSlugID(p.ID) || corpus.TitleKey(old.Title) == corpus.TitleKey(p.Title)):
			p = keepID(corpus.Merge(old, p), p.ID)
		case err == nil:
			// A true clash: another paper's title has the same slug.
			p.ID = corpus.ClashID(p.Title, 8)
			if old, err := s.eng.Get(p.ID); err == nil {
				p = keepID(corpus.Merge(old, p), p.ID)
			} else {
				added++
			}
		case errs.Code(err) == errs.NotFound:
			added++
		default:
			return err
		}
		if i, dup := seen[p.ID]; dup {
			batch[i] = keepID(corpus.Merge(batch[i], p), p.ID)
			continue
		}
		seen[p.ID] = len(batch)
		batch = append(batch, p)
	}
	if err := s.eng.Put(s.ctx, batch); err != nil {
		if errors.Is(err, context.Canceled) {
			return fmt.Errorf("import: cancelled: %w", err)
		}
		return fmt.Errorf("import: store %d papers: %w", len(batch), err)
	}
	s.added += added
	s.updated += len(batch) - added
	s.pending = s.pending[:0]
	clear(s.index)
	return nil
}
