package corpus

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"

	"github.com/recommend-dev/recommend/internal/paper"
)

// WriteJSONL writes papers to w as JSON Lines in the project's own format,
// one paper per line, with no HTML escaping. The output reads back with
// NewReader as FormatJSONL.
func WriteJSONL(w io.Writer, papers []paper.Paper) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for i := range papers {
		if err := enc.Encode(&papers[i]); err != nil {
			return fmt.Errorf("corpus: writing paper %s: %w", papers[i].ID, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("corpus: writing papers: %w", err)
	}
	return nil
}
