package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/recommend-dev/recommend/internal/engine"
)

// queryFlags are the flags of the commands that print result lists.
type queryFlags struct {
	appFlags
	limit         int
	after, before string
	mode          string
	exact         bool
	jsonOut       bool
}

func (f *queryFlags) register(fs *flag.FlagSet) {
	f.appFlags.register(fs)
	fs.IntVar(&f.limit, "limit", engine.DefaultLimit, fmt.Sprintf("number of results, 1 to %d", engine.MaxLimit))
	fs.StringVar(&f.after, "published-after", "", "only papers published on or after this date (2006-01-02)")
	fs.StringVar(&f.before, "published-before", "", "only papers published on or before this date (2006-01-02)")
	fs.StringVar(&f.mode, "mode", string(engine.Hybrid), "ranking: hybrid, semantic or lexical")
	fs.BoolVar(&f.exact, "exact", false, "compare with every stored vector instead of the fast int8 scan")
	fs.BoolVar(&f.jsonOut, "json", false, "print the results as JSON, as the HTTP API returns them")
}

func (f *queryFlags) query() engine.Query {
	return engine.Query{Limit: f.limit, PublishedAfter: f.after, PublishedBefore: f.before, Mode: engine.Mode(f.mode), Exact: f.exact}
}

// openLoaded opens the data directory and fills the index.
func (f *queryFlags) openLoaded(ctx context.Context, e env) (*app, error) {
	f.logFormat = "text"
	log, err := f.logger(e.stderr)
	if err != nil {
		return nil, err
	}
	a, err := f.open(ctx, log)
	if err != nil {
		return nil, err
	}
	if err := a.engine.Load(ctx); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

func runSearch(ctx context.Context, args []string, e env) error {
	return runQuery(ctx, "search", args, e, func(ctx context.Context, eng *engine.Engine, args []string, q engine.Query) ([]engine.Result, error) {
		text := strings.Join(args, " ")
		if strings.TrimSpace(text) == "" {
			return nil, usageError{"search needs a text: recommend search \"spiking networks on neuromorphic chips\""}
		}
		return eng.Search(ctx, text, q)
	})
}

func runRelated(ctx context.Context, args []string, e env) error {
	return runQuery(ctx, "related", args, e, func(ctx context.Context, eng *engine.Engine, args []string, q engine.Query) ([]engine.Result, error) {
		if len(args) != 1 {
			return nil, usageError{"related needs one paper ID: recommend related ID"}
		}
		return eng.Related(ctx, args[0], q)
	})
}

// runQuery parses a query command's flags, opens the data directory, runs
// query with the remaining arguments and prints the results.
func runQuery(ctx context.Context, name string, args []string, e env, query func(context.Context, *engine.Engine, []string, engine.Query) ([]engine.Result, error)) error {
	fs := newFlagSet(name, e)
	var f queryFlags
	f.register(fs)
	f.logLevel = "warn"
	if err := parseFlags(fs, args, e.getenv, envAliases); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		_, err := query(ctx, nil, nil, engine.Query{}) // the usage error
		return err
	}
	a, err := f.openLoaded(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	rs, err := query(ctx, a.engine, fs.Args(), f.query())
	if err != nil {
		return err
	}
	return printResults(e.stdout, rs, a.engine.Model(), f.jsonOut)
}

func printResults(w io.Writer, rs []engine.Result, model string, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if rs == nil {
			rs = []engine.Result{}
		}
		return enc.Encode(map[string]any{"data": rs, "model": model})
	}
	if len(rs) == 0 {
		_, err := fmt.Fprintln(w, "no results")
		return err
	}
	for i, r := range rs {
		date := r.Published
		if date == "" {
			date = "          "
		}
		if _, err := fmt.Fprintf(w, "%2d. %.3f  %s  %s\n    %s\n", i+1, r.Score, date, r.Title, r.ID); err != nil {
			return err
		}
	}
	return nil
}

func runEmbed(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("embed", e)
	var f appFlags
	f.register(fs)
	f.logLevel = "warn"
	if err := parseFlags(fs, args, e.getenv, envAliases); err != nil {
		return err
	}
	text := strings.Join(fs.Args(), " ")
	if strings.TrimSpace(text) == "" {
		return usageError{"embed needs a text: recommend embed \"some text\""}
	}
	log, err := f.logger(e.stderr)
	if err != nil {
		return err
	}
	emb, err := f.newEmbedder(ctx, log)
	if err != nil {
		return err
	}
	vs, err := emb.Embed(ctx, []string{text})
	if err != nil {
		return err
	}
	return json.NewEncoder(e.stdout).Encode(vs[0])
}
