package corpus

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Format is an input format.
type Format int

// The formats a Reader understands.
const (
	// FormatAuto asks the Reader to detect the format (see Detect).
	FormatAuto Format = iota
	// FormatListing is the text of paper listing pages.
	FormatListing
	// FormatJSONL is JSON Lines in the project's own format: one
	// paper.Paper per line.
	FormatJSONL
	// FormatArxiv is the arXiv metadata snapshot (JSON Lines).
	FormatArxiv
)

var formatNames = [...]string{"auto", "listing", "jsonl", "arxiv"}

// String is the format's name as ParseFormat accepts it.
func (f Format) String() string {
	if f >= 0 && int(f) < len(formatNames) {
		return formatNames[f]
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// ParseFormat parses a format name: auto, listing, jsonl or arxiv.
func ParseFormat(s string) (Format, error) {
	for i, n := range formatNames {
		if strings.EqualFold(s, n) {
			return Format(i), nil
		}
	}
	return FormatAuto, fmt.Errorf("unknown format %q (want one of %s)", s, strings.Join(formatNames[:], ", "))
}

// arxivOnlyKeys are fields of the arXiv metadata snapshot that the project's
// own format does not have.
var arxivOnlyKeys = map[string]bool{
	"submitter": true, "authors_parsed": true, "versions": true, "update_date": true,
	"journal-ref": true, "report-no": true, "comments": true, "license": true,
}

// projectOnlyKeys are fields of paper.Paper that arXiv records do not have.
var projectOnlyKeys = map[string]bool{
	"author_count": true, "organization": true, "published": true, "url": true,
}

// Detect tells the format of an input from its first bytes (a reader looks
// at up to 64 KiB). Input whose first non-blank character is "{" and whose
// lines parse as JSON objects is JSON Lines: arXiv metadata if the first
// object that settles it has arXiv-only fields (submitter, versions,
// authors_parsed, update_date, ...) or its authors as one string; the
// project's own format otherwise. Anything else is a listing dump. The file
// name plays no part, so a .txt file of JSON Lines or an arXiv dump named
// .json is read correctly. Detect never returns FormatAuto.
func Detect(prefix []byte) Format {
	b := bytes.TrimLeft(trimBOM(prefix), " \t\r\n")
	if len(b) == 0 || b[0] != '{' {
		return FormatListing
	}
	sawJSON := false
	for i := 0; i < 64 && len(b) > 0; i++ {
		var line []byte
		line, b, _ = bytes.Cut(b, []byte("\n"))
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		f, isJSON := jsonShape(line)
		if f != FormatAuto {
			return f
		}
		sawJSON = sawJSON || isJSON
	}
	if sawJSON {
		return FormatJSONL
	}
	return FormatListing
}

// jsonShape looks at the top-level keys of the JSON object in line, which
// may be cut short. f is FormatArxiv or FormatJSONL when the keys settle
// it, FormatAuto otherwise; isJSON reports whether line starts like a JSON
// object at all.
func jsonShape(line []byte) (f Format, isJSON bool) {
	dec := json.NewDecoder(bytes.NewReader(line))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return FormatAuto, false
	}
	for n := 0; dec.More(); n++ {
		tok, err := dec.Token()
		if err != nil {
			return FormatAuto, n > 0
		}
		key, ok := tok.(string)
		if !ok {
			return FormatAuto, n > 0
		}
		isJSON = true
		switch {
		case arxivOnlyKeys[key]:
			return FormatArxiv, true
		case projectOnlyKeys[key]:
			return FormatJSONL, true
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return FormatAuto, true
		}
		if key == "authors" && len(raw) > 0 {
			switch raw[0] {
			case '"':
				return FormatArxiv, true
			case '[':
				return FormatJSONL, true
			}
		}
	}
	return FormatAuto, true
}
