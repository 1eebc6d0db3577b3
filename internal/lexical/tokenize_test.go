package lexical

import (
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestTokenize(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"lower case and stop words", "The Boundary of Neural Network Trainability is Fractal", []string{"boundary", "neural", "network", "trainability", "fractal"}},
		{"hyphenated word whole and parts", "bio-inspired learning", []string{"bio", "inspired", "learning", "bio-inspired"}},
		{"hyphen with digits", "CIFAR-100 and ImageNet-1k", []string{"cifar", "100", "imagenet", "1k", "cifar-100", "imagenet-1k"}},
		{"acronym with plural", "SNNs and GNNs outperform LLMs", []string{"snn", "gnn", "outperform", "llm"}},
		{"acronyms kept", "FractalNet, SpiNNaker and KAN", []string{"fractalnet", "spinnaker", "kan"}},
		{"stop-word parts dropped, whole kept", "state-of-the-art methods", []string{"state", "art", "method", "state-of-the-art"}},
		{"double hyphen separates", "fractals -- for instance", []string{"fractal", "instance"}},
		{"trailing hyphen", "pre- and post-training", []string{"pre", "post", "training", "post-training"}},
		{"LaTeX subscript", "distribution of CO$_2$ in the atmosphere", []string{"distribution", "co2", "atmosphere"}},
		{"plain subscript", "CO_2 input fields", []string{"co2", "input", "field"}},
		{"Unicode subscript", "CO₂ and H₂O", []string{"co2", "h2o"}},
		{"superscript", "R^2 > 0.99 and R^{2}", []string{"r2", "0.99", "r2"}},
		{"LaTeX commands dropped", "the mathcal L_2 relative error", []string{"l2", "relative", "error"}},
		{"dollars alone separate", "$x$ and $y$", nil},
		{"decimal numbers", "an error of 6.5% in 2023.", []string{"error", "6.5", "2023"}},
		{"possessive", "Hebb's rule and the brain’s code", []string{"hebb", "rule", "brain", "code"}},
		{"contraction", "it doesn't converge", []string{"converge"}},
		{"accents folded", "Schrödinger équation, Poincaré", []string{"schrodinger", "equation", "poincare"}},
		{"non-Latin letters kept", "Ising 模型 αβ-divergence", []string{"ising", "模型", "αβ", "divergence", "αβ-divergence"}},
		{"combining mark dropped", "Schro\u0308dinger", []string{"schrodinger"}},
		{"single characters dropped", "a b c x 3 T cells", []string{"cell"}},
		{"plurals", "studies classes approaches processes gas bus analysis", []string{"study", "class", "approach", "process", "gas", "bus", "analysis"}},
		{"digits not stemmed", "3Ds and v2s", []string{"3ds", "v2s"}},
		{"URL split", "https://github.com/TamashaM/NAPA-VQ.git", []string{"http", "github", "com", "tamasham", "napa", "vq", "git", "napa-vq"}},
		{"over-long token dropped", "x" + strings.Repeat("ab", 40) + " kept", []string{"kept"}},
		{"empty", "", nil},
		{"only punctuation", "... --- !!!", nil},
		{"invalid UTF-8", "neural\xff\xfenet", []string{"neural", "net"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Tokenize(tt.in)
			if len(got) == 0 && len(tt.want) == 0 {
				return
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Tokenize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// bigrams lists the bigrams analyze forms, as "a b".
func bigrams(text string) []string {
	var a analysis
	analyze(text, &a)
	var out []string
	for i := 1; i < len(a.words); i++ {
		if !a.brk[i] {
			out = append(out, a.words[i-1]+" "+a.words[i])
		}
	}
	return out
}

func TestBigrams(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"spiking neural networks", []string{"spiking neural", "neural network"}},
		{"vector quantization for continual learning", []string{"vector quantization", "continual learning"}},
		{"deep learning, graph neural networks", []string{"deep learning", "graph neural", "neural network"}},
		{"neural gas (NG) model", []string{"neural gas"}},
		{"bio-inspired computing", []string{"bio inspired", "inspired computing"}},
		{"Galaxy. Spectra", nil},
		{"single x letter", nil},
	}
	for _, tt := range tests {
		if got := bigrams(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("bigrams(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestStem(t *testing.T) {
	tests := map[string]string{
		"networks": "network", "snns": "snn", "studies": "study", "series": "series",
		"classes": "class", "approaches": "approach", "boxes": "box", "gas": "gas",
		"corpus": "corpus", "analysis": "analysis", "loss": "loss", "models": "model",
		"its": "its", "was": "was", "ies": "ies", "species": "species", "queries": "query",
	}
	for in, want := range tests {
		if got := stem(in); got != want {
			t.Errorf("stem(%q) = %q, want %q", in, got, want)
		}
		if got := stem(stem(in)); got != stem(in) {
			t.Errorf("stem is not idempotent on %q: %q then %q", in, stem(in), got)
		}
	}
}

// checkTokens checks the invariants every token of text must meet.
func checkTokens(t *testing.T, text string) {
	t.Helper()
	toks := Tokenize(text)
	for _, tok := range toks {
		if tok == "" || !utf8.ValidString(tok) || len(tok) > maxTokenBytes {
			t.Fatalf("Tokenize(%q): bad token %q", text, tok)
		}
		for _, r := range tok {
			if unicode.IsSpace(r) || unicode.ToLower(r) != r || r == utf8.RuneError {
				t.Fatalf("Tokenize(%q): token %q has rune %q", text, tok, r)
			}
		}
		if isStopWord(tok) {
			t.Fatalf("Tokenize(%q): stop word %q kept", text, tok)
		}
		// A token analyses to itself: what is indexed is what a query for
		// it looks up.
		if again := Tokenize(tok); !slices.Contains(again, tok) {
			t.Fatalf("Tokenize(%q) has %q, but Tokenize(%q) = %q", text, tok, tok, again)
		}
	}
	if again := Tokenize(text); !slices.Equal(again, toks) {
		t.Fatalf("Tokenize(%q) is not deterministic: %q then %q", text, toks, again)
	}
	var a analysis
	analyze(text, &a)
	if len(a.brk) != len(a.words) || len(a.brk) > 0 && !a.brk[0] {
		t.Fatalf("analyze(%q): %d words, %d breaks, first break %v", text, len(a.words), len(a.brk), a.brk)
	}
}

func FuzzTokenize(f *testing.F) {
	for _, s := range []string{
		"bio-inspired CO$_2$ R^{2} 0.99 SNNs", "Schrödinger’s équation", "a--b -c- d-", "x_", "$_", "1.2.3.4",
		"neural\xff\xfenet", "模型 αβ-divergence", "e\u0301", "don't it's ’s '", "ᾼ ǅ İ ẞ", strings.Repeat("ab-", 50),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkTokens(t, s)
	})
}
