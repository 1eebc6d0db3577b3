package corpus

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/recommend-dev/recommend/internal/paper"
)

// seedDir holds the five listing-page dumps the bundled corpus is made from.
const seedDir = "../../testdata/seeds"

// seedCounts is the number of papers on each seed page, counted by reading
// the files: a paper is a title line followed by its abstract line.
var seedCounts = map[string]int{
	"000_40759f9316c523b7.txt": 50,
	"001_f6b0b895de248fd6.txt": 183,
	"002_df08cd95257053c3.txt": 51,
	"003_669403bd9e297eaa.txt": 39,
	"004_7a19374562c7484e.txt": 62,
}

// seedDistinct is the number of distinct papers over the five files.
const seedDistinct = 296

// spot is one paper checked by hand: its position on the page, the line of
// its title, title, the start and end of its abstract, author count,
// publication date and organisation.
type spot struct {
	index, line      int
	title            string
	absStart, absEnd string
	authors          int
	published, org   string
}

// spots holds at least ten papers per seed file, chosen to cover every
// variant: no metadata, "Subscribe" glued to the title, an organisation
// line, dates with and without a year and with a count after them, a page's
// last paper, TeX and non-ASCII in titles.
var spots = map[string][]spot{
	"000_40759f9316c523b7.txt": {
		{0, 13, "NAPA-VQ: Neighborhood Aware Prototype Augmentation with Vector Quantization for Continual Learning", "Catastrophic forgetting; the loss of old", "thub.com/TamashaM/NAPA-VQ.git.", 3, "2023-08-18", ""},                      // Aug 18, 2023
		{1, 21, "Galaxy Spectra neural Network (GaSNet). II. Using Deep Learning for Spectral Classification and Redshift Predictions", "Large sky spectroscopic surveys have rea", " survey strategy optimization.", 28, "2023-11-07", ""},   // Nov 7, 2023
		{3, 37, "Atmospheric Transport Modeling of CO$_2$ with Neural Networks", "Accurately describing the distribution o", "ce gases with neural networks.", 6, "2024-08-20", ""},                                                           // Aug 20, 2024
		{7, 69, "Physicochemical-Neural Fusion for Semi-Closed-Circuit Respiratory Autonomy in Extreme Environments", "This paper introduces Galactic Bioware's", "gical and fire-safety margins.", 2, "", ""},                                // Mar 15
		{9, 85, "CiwGAN and fiwGAN: Encoding information in acoustic data to model lexical learning with Generative Adversarial Networks", "How can deep neural networks encode info", "ng values of each latent code.", 1, "2020-06-04", ""}, // Jun 4, 2020
		{11, 101, "Approaching an unknown communication system by latent space exploration and causal inference", "This paper proposes a methodology for di", "er architectures and datasets.", 0, "", ""},                                    // no date
		{12, 105, "Single-shot thermometry of simulated Bose--Einstein condensates using artificial intelligence", "Precise determination of thermodynamic p", "ange of quantum fluid systems.", 3, "2025-06-20", ""},                         // Jun 20, 2025
		{14, 121, "Sloan Digital Sky Survey IV: Mapping the Milky Way, Nearby Galaxies, and the Distant Universe", "We describe the Sloan Digital Sky Survey", "s made available in July 2016.", 353, "2017-02-28", ""},                       // Feb 28, 2017
		{25, 209, "GMRT observation of neutral atomic hydrogen gas in the COSMOS field at $z \\sim 0.37$", "We present the results of HI spectral st", "ge probed by DLA observations.", 5, "2016-05-06", ""},                                 // May 6, 2016
		{32, 265, "Multi-Scale Temporal Homeostasis Enables Efficient and Robust Neural Networks", "Artificial neural networks achieve stron", "gically faithful intelligence.", 1, "", ""},                                                   // Jan 30
		{37, 305, "Dale meets Langevin: A Multiplicative Denoising Diffusion Model", "Gradient descent has proven to be a powe", " on geometric Brownian motion.", 0, "", ""},                                                                 // no date
		{49, 397, "A Biologically Plausible Supervised Learning Method for Spiking Neural Networks Using the Symmetric STDP Rule", "Spiking neural networks (SNNs) possess e", " in biological neural systems.", 4, "2018-12-16", ""},         // Dec 16, 2018
	},
	"001_f6b0b895de248fd6.txt": {
		{0, 3, "The boundary of neural network trainability is fractal", "Some fractals -- for instance those asso", " in all tested configurations.", 0, "", ""},                                  // no date
		{1, 5, "Dynamical properties of a small heterogeneous chain network of neurons in discrete time", "We propose a novel nonlinear bidirection", "ty in terms of sample entropy.", 0, "", ""}, // no date
		{3, 9, "FAN: Fourier Analysis Networks", "Despite the remarkable success achieved ", "asting, and language modeling.", 0, "", ""},                                                          // no date
		{16, 35, "Dense Hebbian neural networks: a replica symmetric picture of unsupervised learning", "We consider dense, associative neural-ne", "te neural networks in general.", 0, "", ""},   // no date
		{33, 69, "Dense Hebbian neural networks: a replica symmetric picture of supervised learning", "We consider dense, associative neural-ne", "the shallow limit, in general.", 0, "", ""},     // no date
		{104, 211, "PAON: A New Neuron Model using Padé Approximants", "Convolutional neural networks (CNN) are ", " than competing architectures.", 0, "", ""},                                    // no date
		{116, 235, "4+3 Phases of Compute-Optimal Neural Scaling Laws", "We consider the solvable neural scaling ", "oating point operation budget.", 0, "", ""},                                   // no date
		{120, 243, "MoEfication: Transformer Feed-forward Layers are Mixtures of Experts", "Recent work has shown that feed-forward ", "github.com/thunlp/MoEfication.", 0, "", ""},                // no date
		{180, 363, "sharpDARTS: Faster and More Accurate Differentiable Architecture Search", "Neural Architecture Search (NAS) has bee", ". Code will be made available.", 0, "", ""},             // no date
		{182, 367, "Brain-inspired Action Generation with Spiking Transformer Diffusion Policy Model", "Spiking Neural Networks (SNNs) has the a", "on in brain-inspired robotics.", 0, "", ""},    // no date
	},
	"002_df08cd95257053c3.txt": {
		{0, 13, "Supervised learning of spatial features with STDP and homeostasis using Spiking Neural Networks on SpiNNaker", "Artificial Neural Networks (ANN) have ga", "ures within the packet content", 4, "2023-12-05", ""},                  // Dec 5, 2023
		{5, 53, "Anatomical Foundation Models for Brain MRIs", "Deep Learning (DL) in neuroimaging has b", "://github.com/EIDOSLAB/AnatCL.", 4, "2024-08-07", ""},                                                                                   // Aug 7, 2024
		{15, 133, "Estimating or Propagating Gradients Through Stochastic Neurons for Conditional Computation", "Stochastic neurons and hard non-linearit", "l computation would be useful.", 3, "2013-08-15", ""},                                  // Aug 15, 2013
		{16, 141, "Decoding speech from non-invasive brain recordings", "Decoding language from brain activity is", " recordings of brain activity.", 5, "2022-08-25", ""},                                                                          // Aug 25, 2022 1
		{23, 197, "How does Alignment Enhance LLMs' Multilingual Capabilities? A Language Neurons Perspective", "Multilingual Alignment is an effective a", "ilingual capabilities of LLMs.", 8, "2025-05-27", ""},                                  // May 27, 2025 2
		{29, 245, "Neural Circuit Diagrams: Robust Diagrams for the Communication, Implementation, and Analysis of Deep Learning Architectures", "Diagrams matter. Unfortunately, the deep", "' time and space complexities.", 1, "2024-02-08", ""}, // Feb 8, 2024 1
		{39, 325, "A Comparative Study in Surgical AI: Datasets, Foundation Models, and Barriers to Med-AGI", "Recent Artificial Intelligence (AI) mode", "d advance potential solutions.", 0, "", ""},                                              // no date
		{45, 369, "\"Understanding Robustness Lottery\": A Geometric Visual Comparative Analysis of Neural Network Pruning Approaches", "Deep learning approaches have provided s", "perior robustness performance.", 8, "2022-06-16", ""},          // Jun 16, 2022
		{50, 409, "Discovering Influential Neuron Path in Vision Transformers", "Vision Transformer models exhibit immens", "esearch.github.io/NeuronPath/.", 8, "2025-03-12", ""},                                                                  // Mar 12, 2025 2
		{26, 221, "LEMUR Neural Network Dataset: Towards Seamless AutoML", "Neural networks are fundamental in artif", "//github.com/ABrain-One/nn-vr.", 10, "2025-04-14", ""},                                                                      // Apr 14, 2025
	},
	"003_669403bd9e297eaa.txt": {
		{0, 13, "TESS: A Scalable Temporally and Spatially Local Learning Rule for Spiking Neural Networks", "The demand for low-power inference and t", "n-device learning at the edge.", 3, "2025-02-03", ""},                                       // Feb 3, 2025
		{8, 77, "How does Alignment Enhance LLMs' Multilingual Capabilities? A Language Neurons Perspective", "Multilingual Alignment is an effective a", "ilingual capabilities of LLMs.", 8, "2025-05-27", ""},                                      // May 27, 2025 2
		{11, 101, "Pre-Synaptic Pool Modification (PSPM): A Supervised Learning Procedure for Spiking Neural Networks", "Learning synaptic weights of spiking neu", " through synaptic homeostasis.", 4, "2018-10-07", ""},                            // Oct 7, 2018
		{15, 133, "Discovering Influential Neuron Path in Vision Transformers", "Vision Transformer models exhibit immens", "esearch.github.io/NeuronPath/.", 8, "2025-03-12", ""},                                                                    // Mar 12, 2025 2
		{16, 141, "Configurable Foundation Models: Building LLMs from a Modular Perspective", "Advancements in LLMs have recently unvei", " scalable foundational models.", 0, "2024-09-04", "OpenBMB"},                                               // Sep 4, 2024 2
		{20, 173, "Neural Network Verification with Branch-and-Bound for General Nonlinearities", "Branch-and-bound (BaB) is among the most", "tion (VNN-COMP 2023 and 2024).", 6, "2024-05-31", ""},                                                  // May 31, 2024
		{24, 205, "Comparison Against Task Driven Artificial Neural Networks Reveals Functional Organization of Mouse Visual Cortex", "Partially inspired by features of comput", "r relative to the other areas.", 3, "2019-11-18", ""},              // Nov 18, 2019
		{32, 269, "Target-Oriented Pretraining Data Selection via Neuron-Activated Graph", "Everyday tasks come with a target, and p", "ps://github.com/asillycat/NAG.", 0, "", "UCSC-VLAA"},                                                          // Apr 16 2
		{33, 277, "Neural FOXP2 -- Language Specific Neuron Steering for Targeted Language Improvement in LLMs", "LLMs are multilingual by training, yet t", "e target-language defaultness.", 5, "", ""},                                             // Jan 31
		{38, 317, "How do neurons operate on sparse distributed representations? A mathematical theory of sparsity, neurons and active dendrites", "We propose a formal mathematical model f", "ntations in cortical networks.", 2, "2016-01-04", ""}, // Jan 4, 2016
	},
	"004_7a19374562c7484e.txt": {
		{0, 11, "Learning dynamic representations of the functional connectome in neurobiological networks", "The static synaptic connectivity of neur", "m/dyballa/dynamic-connectomes.", 0, "", ""},                    // no date
		{1, 15, "GemNet-OC: Developing Graph Neural Networks for Large and Diverse Molecular Simulation Datasets", "Recent years have seen the advent of mol", "odel weights are open-sourced.", 0, "", ""},              // no date
		{9, 47, "The Tensor Brain: Semantic Decoding for Perception and Memory", "We analyse perception and memory, using ", "anding of sensory information.", 0, "", ""},                                                // no date
		{24, 107, "The Consciousness Prior", "A new prior is proposed for learning rep", "ented by attention mechanisms.", 0, "", ""},                                                                                    // no date
		{31, 135, "Self-Referencing Embedded Strings (SELFIES): A 100% robust molecular string representation", "The discovery of novel materials and fun", "king of the generative models.", 0, "", ""},                 // no date
		{42, 179, "LaVCa: LLM-assisted Visual Cortex Captioning", "Understanding the property of neural pop", "tes.google.com/view/lavca-llm/", 0, "", ""},                                                               // no date
		{46, 195, "Titans: Learning to Memorize at Test Time", "Over more than a decade there has been a", "k tasks compared to baselines.", 0, "", ""},                                                                  // no date
		{52, 219, "Hopfield Networks is All You Need", "We introduce a modern Hopfield network w", "hub.com/ml-jku/hopfield-layers", 0, "", ""},                                                                          // no date
		{60, 251, "Configurable Foundation Models: Building LLMs from a Modular Perspective", "Advancements in LLMs have recently unvei", " scalable foundational models.", 0, "", ""},                                   // no date
		{61, 255, "Decoding Visual Experience and Mapping Semantics through Whole-Brain Analysis Using fMRI Foundation Models", "Neural decoding, the process of understa", "ings across various scenarios.", 0, "", ""}, // no date
	},
}

// readSeed reads one seed file, failing the test on any error or reject.
func readSeed(tb testing.TB, name string) []paper.Paper {
	tb.Helper()
	r, err := Open(filepath.Join(seedDir, name))
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Close()
	if got, want := r.Format(), FormatListing; got != want {
		tb.Errorf("%s: format %v, want %v", name, got, want)
	}
	var papers []paper.Paper
	for p, err := range r.All() {
		if err != nil {
			tb.Errorf("%s: %v", name, err)
			continue
		}
		papers = append(papers, p)
	}
	return papers
}

func TestSeedFilesCountAndSpotChecks(t *testing.T) {
	for name, want := range seedCounts {
		t.Run(name, func(t *testing.T) {
			papers := readSeed(t, name)
			if got := len(papers); got != want {
				t.Fatalf("read %d papers, want %d", got, want)
			}
			if n := len(spots[name]); n < 10 {
				t.Fatalf("only %d spot checks for %s, want at least 10", n, name)
			}
			for _, s := range spots[name] {
				p := papers[s.index]
				where := func() string { return name + ":" + itoa(s.line) }
				if p.Title != s.title {
					t.Errorf("%s: paper %d title %q, want %q", where(), s.index, p.Title, s.title)
					continue
				}
				if !strings.HasPrefix(p.Abstract, s.absStart) {
					t.Errorf("%s: abstract starts %q, want %q", where(), head(p.Abstract, 40), s.absStart)
				}
				if !strings.HasSuffix(p.Abstract, s.absEnd) {
					t.Errorf("%s: abstract ends %q, want %q", where(), tail(p.Abstract, 30), s.absEnd)
				}
				if p.AuthorCount != s.authors {
					t.Errorf("%s: author count %d, want %d", where(), p.AuthorCount, s.authors)
				}
				if p.Published != s.published {
					t.Errorf("%s: published %q, want %q", where(), p.Published, s.published)
				}
				if p.Organization != s.org {
					t.Errorf("%s: organization %q, want %q", where(), p.Organization, s.org)
				}
				if got, want := p.ID, SlugID(p.Title); got != want {
					t.Errorf("%s: id %q, want %q", where(), got, want)
				}
			}
		})
	}
}

var (
	dateInTitle = regexp.MustCompile(`\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{1,2}\b`)
	metaLine    = regexp.MustCompile(`^(•.*|·|[0-9]+ authors?|(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{1,2}(, [0-9]{4})?( [0-9]+)?)$`)
)

// TestSeedFilesNothingMisplaced checks every paper of every seed file: no
// title holds a date, an author count or page boilerplate; no abstract is a
// title or a metadata line; nothing has surrounding white space.
func TestSeedFilesNothingMisplaced(t *testing.T) {
	titles := map[string]bool{}
	var all []paper.Paper
	for name := range seedCounts {
		for _, p := range readSeed(t, name) {
			titles[p.Title] = true
			all = append(all, p)
		}
	}
	for _, p := range all {
		switch {
		case dateInTitle.MatchString(p.Title):
			t.Errorf("title %q contains a date", p.Title)
		case strings.Contains(strings.ToLower(p.Title), "author"):
			t.Errorf("title %q contains \"author\"", p.Title)
		case strings.HasPrefix(p.Title, "Subscribe") || boilerplate[p.Title] || strings.HasPrefix(p.Title, trendingPrefix):
			t.Errorf("title %q is page boilerplate", p.Title)
		case strings.TrimSpace(p.Title) != p.Title || strings.TrimSpace(p.Abstract) != p.Abstract:
			t.Errorf("paper %q has surrounding white space", p.Title)
		case titles[p.Abstract]:
			t.Errorf("paper %q: abstract %q is a title", p.Title, p.Abstract)
		case metaLine.MatchString(p.Abstract) || boilerplate[p.Abstract]:
			t.Errorf("paper %q: abstract %q is a metadata line", p.Title, p.Abstract)
		case len(p.Abstract) < 2*len(p.Title):
			t.Errorf("paper %q: abstract %q is suspiciously short", p.Title, p.Abstract)
		case p.AuthorCount < 0 || p.AuthorCount > 1000:
			t.Errorf("paper %q: author count %d", p.Title, p.AuthorCount)
		}
	}
}

// TestSeedFilesDistinct merges the five files and checks the number of
// distinct papers against a count that does not use the reader: every
// abstract in the seeds is one line of more than 300 characters and no
// other line is that long, so the distinct papers are the distinct long
// lines.
func TestSeedFilesDistinct(t *testing.T) {
	longLines := map[string]bool{}
	m := NewMerger()
	names := sortedKeys(seedCounts)
	for _, name := range names {
		data, err := os.ReadFile(filepath.Join(seedDir, name))
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(string(data), "\n") {
			if l = strings.TrimSpace(l); len([]rune(l)) > maxTitleRunes {
				longLines[l] = true
			}
		}
		for _, p := range readSeed(t, name) {
			m.Add(p)
		}
	}
	if got, want := len(longLines), seedDistinct; got != want {
		t.Errorf("independent count: %d distinct abstracts, want %d", got, want)
	}
	if got, want := m.Added(), 385; got != want {
		t.Errorf("added %d records, want %d", got, want)
	}
	if got, want := m.Len(), seedDistinct; got != want {
		t.Errorf("%d distinct papers, want %d", got, want)
	}
	ids := map[string]bool{}
	for _, p := range m.Papers() {
		if ids[p.ID] {
			t.Errorf("duplicate id %q", p.ID)
		}
		ids[p.ID] = true
		if !IsSlugID(p.ID) || len(p.ID) > MaxSlugLen {
			t.Errorf("id %q is not a bounded slug", p.ID)
		}
		if !longLines[p.Abstract] {
			t.Errorf("paper %q: abstract is not one of the long lines", p.Title)
		}
	}
	// "Learning dynamic representations ..." is on three pages, with
	// metadata only on 000: the merged paper keeps it.
	p, ok := m.Get("learning-dynamic-representations-of-the-functional-connectome-in-neurobiological")
	if !ok {
		t.Fatal("merged paper learning-dynamic-representations-... missing")
	}
	if p.AuthorCount != 5 || p.Published != "2024-02-21" {
		t.Errorf("merged paper has %d authors and date %q, want 5 and 2024-02-21", p.AuthorCount, p.Published)
	}
	// "Configurable Foundation Models" has its organisation only on 003.
	p, _ = m.Get("configurable-foundation-models-building-llms-from-a-modular-perspective")
	if p.Organization != "OpenBMB" || p.Published != "2024-09-04" {
		t.Errorf("merged paper has organization %q and date %q, want OpenBMB and 2024-09-04", p.Organization, p.Published)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func head(s string, n int) string {
	r := []rune(s)
	return string(r[:min(n, len(r))])
}

func tail(s string, n int) string {
	r := []rune(s)
	return string(r[max(0, len(r)-n):])
}

func itoa(n int) string { return strconv.Itoa(n) }
