package corpus

import (
	"strings"
	"testing"
)

func TestTitleKey(t *testing.T) {
	tests := []struct{ a, b string }{
		{"Bose--Einstein condensates", "bose-einstein  Condensates"},
		{"PAON: A New Neuron Model using Padé Approximants", "PAON a new neuron model using Pade approximants"},
		{"Atmospheric Transport Modeling of CO$_2$", "atmospheric transport modeling of CO_2"},
		{"  Leading and trailing  ", "leading and trailing"},
		{"ﬁne ligature", "fine ligature"}, // NFKD folds the ligature
		{"Ｆｕｌｌｗｉｄｔｈ", "fullwidth"},
		{"α-synuclein", "Α synuclein"},
	}
	for _, tt := range tests {
		if ka, kb := TitleKey(tt.a), TitleKey(tt.b); ka != kb {
			t.Errorf("TitleKey(%q) = %q, TitleKey(%q) = %q; want equal", tt.a, ka, tt.b, kb)
		}
	}
	different := []struct{ a, b string }{
		{"Dense Hebbian neural networks: supervised learning", "Dense Hebbian neural networks: unsupervised learning"},
		{"GaSNet. I.", "GaSNet. II."},
		{"α-synuclein", "β-synuclein"},
		{"???", "!!!"},
	}
	for _, tt := range different {
		if ka, kb := TitleKey(tt.a), TitleKey(tt.b); ka == kb {
			t.Errorf("TitleKey(%q) = TitleKey(%q) = %q; want different", tt.a, tt.b, ka)
		}
	}
	if got, want := TitleKey("Hello, World: 2 ways"), "hello world 2 ways"; got != want {
		t.Errorf("TitleKey = %q, want %q", got, want)
	}
}

func TestSlugID(t *testing.T) {
	tests := []struct{ title, want string }{
		{"FAN: Fourier Analysis Networks", "fan-fourier-analysis-networks"},
		{"4+3 Phases of Compute-Optimal Neural Scaling Laws", "4-3-phases-of-compute-optimal-neural-scaling-laws"},
		{"PAON: A New Neuron Model using Padé Approximants", "paon-a-new-neuron-model-using-pade-approximants"},
		{`"Understanding Robustness Lottery": A Geometric Visual`, "understanding-robustness-lottery-a-geometric-visual"},
		{"GMRT observation at $z \\sim 0.37$", "gmrt-observation-at-z-sim-0-37"},
		{"α-synuclein aggregation", "synuclein-aggregation"},
		{"Deep Neuroevolution: Genetic Algorithms Are a Competitive Alternative for Training Deep Neural Networks for Reinforcement Learning",
			"deep-neuroevolution-genetic-algorithms-are-a-competitive-alternative-for"},
		{strings.Repeat("a", 100), strings.Repeat("a", MaxSlugLen)},
		{"量子计算", "paper-" + keyHash(TitleKey("量子计算"))[:8]},
		{"???", "paper-" + keyHash("???")[:8]},
	}
	for _, tt := range tests {
		got := SlugID(tt.title)
		if got != tt.want {
			t.Errorf("SlugID(%q) = %q, want %q", tt.title, got, tt.want)
		}
		if !IsSlugID(got) || len(got) > MaxSlugLen {
			t.Errorf("SlugID(%q) = %q is not a bounded slug", tt.title, got)
		}
	}
}

func TestClashID(t *testing.T) {
	a, b := "Graph nets!", "Graph-nets?"
	if SlugID(a) != SlugID(b) {
		t.Fatalf("test titles should share a slug: %q, %q", SlugID(a), SlugID(b))
	}
	ca := ClashID(a, 8)
	want := "graph-nets-" + keyHash(TitleKey(a))[:8]
	if ca != want {
		t.Errorf("ClashID = %q, want %q", ca, want)
	}
	if len(ClashID(a, 16)) != len("graph-nets-")+16 || len(ClashID(a, 100)) != len("graph-nets-")+64 || len(ClashID(a, 1)) != len("graph-nets-")+8 {
		t.Errorf("ClashID digits not clamped to 8..64: %q %q %q", ClashID(a, 16), ClashID(a, 100), ClashID(a, 1))
	}
	if !IsSlugID(ca) {
		t.Errorf("%q is not a slug", ca)
	}
	if c := ClashID("量子", 8); !strings.HasPrefix(c, "paper-") || len(c) != len("paper-")+16 || c == SlugID("量子") {
		t.Errorf("ClashID of a non-Latin title = %q", c)
	}
}

func TestIsSlugID(t *testing.T) {
	for id, want := range map[string]bool{
		"abc": true, "a-b-c": true, "a1-2b": true,
		"": false, "-a": false, "a-": false, "a--b": false, "A": false, "a_b": false, "arxiv:1": false, "a/b": false,
		strings.Repeat("a", MaxSlugLen+66): false,
	} {
		if got := IsSlugID(id); got != want {
			t.Errorf("IsSlugID(%q) = %v, want %v", id, got, want)
		}
	}
}
