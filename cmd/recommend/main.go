// Command recommend finds related research papers. It serves an HTTP API
// (related papers, semantic search, recommendations and an OpenAI-compatible
// embeddings endpoint) and offers the same operations on the command line.
//
// Usage:
//
//	recommend serve   [flags]          run the HTTP service
//	recommend import  [flags] FILE...  read papers from files
//	recommend search  [flags] TEXT     free-text search
//	recommend related [flags] ID       papers related to a stored paper
//	recommend embed   [flags] TEXT     print a text's vector as JSON
//	recommend backup  [flags] FILE     snapshot the store (of a directory or a running server)
//	recommend restore [flags] FILE     put a snapshot in place as a directory's store
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "recommend:", err)
		}
		os.Exit(exitCode(err))
	}
}

// exitCode is 2 for usage errors, as the flag package does, and 1 otherwise.
func exitCode(err error) int {
	var u usageError
	if errors.Is(err, flag.ErrHelp) || errors.As(err, &u) {
		return 2
	}
	return 1
}

// usageError is an error in how the command was called.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// env carries what a command may take from its environment, so that tests
// can run commands in-process without touching the real one.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// command is one sub-command of recommend.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, e env) error
}

func commands() map[string]command {
	return map[string]command{
		"serve":   {"run the HTTP service", runServe},
		"import":  {"read papers from listing pages, JSON Lines or arXiv metadata", runImport},
		"search":  {"search the stored papers by free text", runSearch},
		"related": {"list papers related to a stored paper", runRelated},
		"embed":   {"print the vector of a text as JSON", runEmbed},
		"health":  {"check that a running service is ready (for container health checks)", runHealth},
		"backup":  {"write a consistent snapshot of the store, from a data directory or a running server", runBackup},
		"restore": {"restore a snapshot as a data directory's store (the server must be stopped)", runRestore},
		"migrate": {"copy every paper and vector from the embedded store to Weaviate, or back", runMigrate},
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	e := env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr, cmds)
		if len(args) == 0 {
			return usageError{"no command given"}
		}
		return flag.ErrHelp
	}
	c, ok := cmds[args[0]]
	if !ok {
		usage(stderr, cmds)
		return usageError{fmt.Sprintf("unknown command %q", args[0])}
	}
	return c.run(ctx, args[1:], e)
}

func usage(w io.Writer, cmds map[string]command) {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "Usage: recommend COMMAND [flags] [args]\n\nCommands:")
	for _, n := range names {
		fmt.Fprintf(w, "  %-8s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'recommend COMMAND -h' for a command's flags. Every flag can also be set\nby an environment variable: --data-dir is RECOMMEND_DATA_DIR.")
}

// newFlagSet returns a flag set for a sub-command that writes its usage to
// e.stderr.
func newFlagSet(name string, e env) *flag.FlagSet {
	fs := flag.NewFlagSet("recommend "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

// parseFlags parses args into fs, then fills every flag not given on the
// command line from its environment variable: RECOMMEND_ followed by the
// flag's name in upper case with dashes as underscores. Flags listed in
// aliases also read the named variables (OPENAI_API_KEY, say) when their
// own variable is unset.
func parseFlags(fs *flag.FlagSet, args []string, getenv func(string) string, aliases map[string]string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] {
			return
		}
		name := EnvName(f.Name)
		v := getenv(name)
		if v == "" && aliases[f.Name] != "" {
			name = aliases[f.Name]
			v = getenv(name)
		}
		if v == "" {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			errs = append(errs, usageError{fmt.Sprintf("%s=%q: %v", name, v, err)})
		}
	})
	return errors.Join(errs...)
}

// EnvName is the environment variable that sets a flag.
func EnvName(flagName string) string {
	return "RECOMMEND_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}
