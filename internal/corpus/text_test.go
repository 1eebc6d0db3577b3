package corpus

import "testing"

func TestCollapseSpace(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain text", "plain text"},
		{"  lead and trail  ", "lead and trail"},
		{"hard\nline\r\nbreaks", "hard line breaks"},
		{"runs   of \t spaces", "runs of spaces"},
		{"\n\t \v\f", ""},
		{"non\u00a0breaking\u2003em\u0085nel", "non breaking em nel"},
		{"Padé  α\nβ", "Padé α β"},
		{"keep\u200bzero-width", "keep\u200bzero-width"}, // U+200B is not white space
	}
	for _, tt := range tests {
		if got := collapseSpace(tt.in); got != tt.want {
			t.Errorf("collapseSpace(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
