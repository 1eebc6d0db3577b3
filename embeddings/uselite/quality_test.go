package uselite

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seedPapers reads the papers of the listing-page dumps in the
// repository's testdata/seeds: an abstract is a line of at least 300
// characters and its title the non-empty line before it.
func seedPapers(tb testing.TB) map[string]string {
	tb.Helper()
	files, err := filepath.Glob("../../testdata/seeds/*.txt")
	if err != nil || len(files) == 0 {
		tb.Fatalf("no seed files in ../../testdata/seeds (err %v)", err)
	}
	out := map[string]string{}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			tb.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		prev := ""
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" {
				continue
			}
			if len(line) >= 300 && len(prev) < 250 {
				out[prev] = line
			}
			prev = line
		}
		f.Close()
		if err := sc.Err(); err != nil {
			tb.Fatalf("reading %s: %v", name, err)
		}
	}
	return out
}

// qualityTitles are papers of the seeds on clearly different subjects
// (continual learning, astronomy, climate, engines, chemistry, physics,
// linguistics, medicine, finance, neuroscience, networking).
var qualityTitles = []string{
	"NAPA-VQ: Neighborhood Aware Prototype Augmentation with Vector Quantization for Continual Learning",
	"Galaxy Spectra neural Network (GaSNet). II. Using Deep Learning for Spectral Classification and Redshift Predictions",
	"Atmospheric Transport Modeling of CO$_2$ with Neural Networks",
	"Real-Time Prediction of Gas Flow Dynamics in Diesel Engines using a Deep Neural Operator Framework",
	"GemNet-OC: Developing Graph Neural Networks for Large and Diverse Molecular Simulation Datasets",
	"Genetic-algorithm-optimized neural networks for gravitational wave classification",
	"CiwGAN and fiwGAN: Encoding information in acoustic data to model lexical learning with Generative Adversarial Networks",
	"Single-shot thermometry of simulated Bose--Einstein condensates using artificial intelligence",
	"Multi-scale fMRI time series analysis for understanding neurodegeneration in MCI",
	"ATM Cash demand forecasting in an Indian Bank with chaos and deep learning",
	"Decoding speech from non-invasive brain recordings",
	"Predicting Bandwidth Utilization on Network Links Using Machine Learning",
}

// TestQualityTitleMatchesAbstract checks that the encoder captures meaning:
// a paper's title is closer to its own abstract than to the abstracts of
// unrelated papers. USE Lite is a small model and these are all machine
// learning papers, so one title in the set may prefer another abstract
// (gravitational-wave signals and acoustic signals come close); the test
// wants every own abstract ranked first or second and all but one ranked
// first. It also checks that embedding the whole abstract in windows ranks
// at least as well as the original package's truncation to 128 pieces.
// Under the race detector it uses the first 5 papers.
func TestQualityTitleMatchesAbstract(t *testing.T) {
	all := seedPapers(t)
	titles := qualityTitles
	if raceEnabled {
		titles = titles[:5]
	}
	var texts []string
	for _, title := range titles {
		abstract, ok := all[title]
		if !ok {
			t.Fatalf("paper %q not found in the seeds", title)
		}
		texts = append(texts, title, abstract)
	}
	e := encoder(t)
	ctx := context.Background()
	vecs, err := e.Embed(ctx, texts)
	if err != nil {
		t.Fatal(err)
	}
	firsts := 0
	for i, title := range titles {
		r, own, best, bestJ := rank(vecs, i, len(titles))
		t.Logf("rank %d  own %.3f  best other %.3f  %.50q", r, own, best, title)
		if r == 1 {
			firsts++
		}
		if r > 2 {
			t.Errorf("title %q: own abstract ranked %d (cosine %.3f); %q's abstract is closer (%.3f)", title, r, own, titles[bestJ], best)
		}
	}
	if firsts < len(titles)-1 {
		t.Errorf("%d of %d titles rank their own abstract first, want at least %d", firsts, len(titles), len(titles)-1)
	}
	if raceEnabled {
		return
	}
	trunc, err := e.EmbedTruncated(ctx, texts)
	if err != nil {
		t.Fatal(err)
	}
	truncFirsts := 0
	for i := range titles {
		if r, _, _, _ := rank(trunc, i, len(titles)); r == 1 {
			truncFirsts++
		}
	}
	t.Logf("own abstract first: %d of %d with windows, %d with truncation to %d pieces", firsts, len(titles), truncFirsts, MaxPieces)
	if truncFirsts > firsts {
		t.Errorf("truncated abstracts rank better (%d firsts) than windowed ones (%d)", truncFirsts, firsts)
	}
}

// rank returns where paper i's abstract ranks for its title among n papers
// (vecs alternate title, abstract), the cosines to its own abstract and to
// the closest other one, and which paper that is.
func rank(vecs [][]float32, i, n int) (r int, own, best float64, bestJ int) {
	title := vecs[2*i]
	own = cosine(title, vecs[2*i+1])
	r, best = 1, -2
	for j := range n {
		if j == i {
			continue
		}
		c := cosine(title, vecs[2*j+1])
		if c >= own {
			r++
		}
		if c > best {
			best, bestJ = c, j
		}
	}
	return r, own, best, bestJ
}
