package engine

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/recommend-dev/recommend/internal/paper"
	"github.com/recommend-dev/recommend/internal/projection"
)

// MapPoint is one paper on the map of the corpus: its position, with both
// coordinates in [-1, 1], and its cluster in [0, MapResult.Clusters).
type MapPoint struct {
	ID        string  `json:"id"`
	Title     string  `json:"title"`
	X         float64 `json:"x"`
	Y         float64 `json:"y"`
	Cluster   int     `json:"cluster"`
	Published string  `json:"published,omitempty"`
}

// MapResult is the map of the corpus: every paper that has a vector for the
// engine's model, laid out in 2-D by PCA and clustered by k-means++ (see
// package projection), in ID order.
type MapResult struct {
	Points []MapPoint
	// Clusters is the number of clusters; clusters are numbered by size,
	// largest first.
	Clusters int
	Model    string
	// Explained is the share of the variance of the vectors that each axis
	// shows.
	Explained [2]float64
}

// mapSeed seeds the clustering, so that the same corpus always gets the
// same colours.
const mapSeed = 1

// mapCache keeps the last map until the next write. Its zero value is ready
// to use.
type mapCache struct {
	// version counts writes to the store; a map computed at another version
	// is stale.
	version atomic.Uint64

	mu     sync.Mutex // one computation at a time; guards the fields below
	result *MapResult
	at     uint64
}

// invalidate marks the cached map stale. Writers call it after the store
// has the write, so that a map computed from a scan that missed the write
// is never taken for current.
func (c *mapCache) invalidate() { c.version.Add(1) }

// Map returns the map of the corpus. It is computed from the stored vectors
// on the first call after a write (about a second for 10,000 papers of 512
// dimensions on one core) and cached until the next Put or Delete. Callers
// must not modify the returned Points.
func (e *Engine) Map(ctx context.Context) (MapResult, error) {
	if err := e.checkReady(); err != nil {
		return MapResult{}, err
	}
	c := &e.mapping
	c.mu.Lock()
	defer c.mu.Unlock()
	v := c.version.Load()
	if c.result != nil && c.at == v {
		return *c.result, nil
	}
	start := time.Now()
	var (
		papers []paper.Paper
		vecs   [][]float32
	)
	err := e.store.Scan(e.Model(), func(p paper.Paper, vec []float32) error {
		if vec == nil {
			return nil // not embedded yet for this model: not in the index either
		}
		if len(vec) != e.Dimensions() {
			return fmt.Errorf("paper %q has a %d-dimensional vector for %s, want %d", p.ID, len(vec), e.Model(), e.Dimensions())
		}
		papers = append(papers, paper.Paper{ID: p.ID, Title: p.Title, Published: p.Published})
		vecs = append(vecs, vec)
		if len(papers)%1024 == 0 {
			return ctx.Err()
		}
		return nil
	})
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		return MapResult{}, fmt.Errorf("engine: map: read vectors of %s: %w", e.Model(), err)
	}
	scanned := time.Since(start)
	layout, err := projection.Project(vecs, projection.Options{Seed: mapSeed})
	if err != nil {
		return MapResult{}, fmt.Errorf("engine: map: %w", err)
	}
	r := MapResult{
		Points:    make([]MapPoint, len(papers)),
		Clusters:  layout.K,
		Model:     e.Model(),
		Explained: layout.Explained,
	}
	for i, p := range papers {
		r.Points[i] = MapPoint{
			ID:        p.ID,
			Title:     p.Title,
			X:         round4(layout.X[i]),
			Y:         round4(layout.Y[i]),
			Cluster:   layout.Cluster[i],
			Published: p.Published,
		}
	}
	c.result, c.at = &r, v
	e.log.LogAttrs(ctx, slog.LevelInfo, "corpus map computed",
		slog.Int("papers", len(papers)), slog.Int("clusters", r.Clusters),
		slog.Duration("scan", scanned.Round(time.Millisecond)),
		slog.Duration("duration", time.Since(start).Round(time.Millisecond)))
	return r, nil
}

// round4 rounds to 4 decimals: a ten-thousandth of the map is far below a
// pixel, and the answer is a third shorter.
func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }
