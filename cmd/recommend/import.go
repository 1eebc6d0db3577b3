package main

import (
	"context"
	"errors"
)

// runImport reads papers from files. (Being built: see the corpus issue.)
func runImport(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("import", e)
	if err := parseFlags(fs, args, e.getenv, nil); err != nil {
		return err
	}
	return errors.New("import: not built yet")
}
