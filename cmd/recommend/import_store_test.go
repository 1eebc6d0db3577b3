package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCmd runs recommend in-process with args and returns its output.
func runCmd(t *testing.T, stdin string, args ...string) (string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, func(string) string { return "" }, strings.NewReader(stdin), &out, &errb)
	if err != nil {
		t.Fatalf("recommend %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String(), errb.String()
}

// import stores papers in the data directory; a second import of richer
// records merges into them; search and related then find them.
func TestImportStores(t *testing.T) {
	data := t.TempDir()
	file := filepath.Join(t.TempDir(), "papers.jsonl")
	lines := `{"id":"x:1","title":"Spiking neural networks on neuromorphic chips","abstract":"We map spiking neural networks onto low-power neuromorphic hardware and measure energy per inference."}
{"id":"x:2","title":"Graph neural networks for molecules","abstract":"Message passing networks predict molecular properties from atoms and bonds."}
{"id":"x:3","title":"Galaxy spectra classification","abstract":"A convolutional network classifies galaxy spectra and predicts redshifts from survey data."}
{"title":"no abstract here"}
`
	if err := os.WriteFile(file, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _ := runCmd(t, "", "import", "--data", data, "--bundled=false", file)
	if !strings.Contains(out, "stored 3 (3 new, 0 updated)") || !strings.Contains(out, "1 rejected") || !strings.Contains(out, "holds 3 papers") {
		t.Fatalf("first import summary:\n%s", out)
	}
	// The same paper again with more metadata: merged, not duplicated.
	richer := `{"id":"x:1","title":"Spiking neural networks on neuromorphic chips","abstract":"We map spiking neural networks onto low-power neuromorphic hardware and measure energy per inference.","authors":["A. Author","B. Author"],"published":"2024-05-01"}` + "\n"
	if err := os.WriteFile(file, []byte(richer), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _ = runCmd(t, "", "import", "--data", data, "--bundled=false", file)
	if !strings.Contains(out, "stored 1 (0 new, 1 updated)") || !strings.Contains(out, "holds 3 papers") {
		t.Fatalf("second import summary:\n%s", out)
	}
	out, _ = runCmd(t, "", "search", "--data", data, "--bundled=false", "--limit", "1", "--json", "brain-inspired low-power hardware")
	if !strings.Contains(out, `"id": "x:1"`) || !strings.Contains(out, `"published": "2024-05-01"`) {
		t.Fatalf("search after import: want x:1 with its merged date first:\n%s", out)
	}
	out, _ = runCmd(t, "", "related", "--data", data, "--bundled=false", "--limit", "2", "x:2")
	if strings.Contains(out, "x:2\n") || strings.Count(out, "x:") != 2 {
		t.Fatalf("related x:2: want the two other papers:\n%s", out)
	}
}
