package uselite

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"strings"
	"testing"
)

// TestEmbeddedFilesMatchChecksums checks the embedded model files against
// model/SHA256SUMS, so that a changed weight file cannot slip in.
func TestEmbeddedFilesMatchChecksums(t *testing.T) {
	raw, err := os.ReadFile("model/SHA256SUMS")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		sum, name, ok := strings.Cut(line, "  ")
		if !ok {
			t.Fatalf("bad SHA256SUMS line %q", line)
		}
		if name == "LICENSE" {
			continue // not embedded
		}
		data, err := fs.ReadFile(modelFS, "model/"+name)
		if err != nil {
			t.Errorf("%s is listed in SHA256SUMS but not embedded: %v", name, err)
			continue
		}
		h := sha256.Sum256(data)
		if got := hex.EncodeToString(h[:]); got != sum {
			t.Errorf("%s: SHA-256 %s, want %s", name, got, sum)
		}
		checked++
	}
	if checked != 9 {
		t.Errorf("checked %d embedded files, want 9 (model.json, vocab.json, 7 shards)", checked)
	}
}
