package imagecmd

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sandbarn/sandbarn/rootfs"
)

// DefaultStore is the store of `sandbarn farm` run with its default
// data directory ("var").
const DefaultStore = "var/images"

// Usage lists the subcommands.
const Usage = `  sandbarn image pull [--store DIR] [--insecure HOST,...] REF
  sandbarn image import [--store DIR] FILE|DIR
  sandbarn image ls [--store DIR]
  sandbarn image rm [--store DIR] REF`

// ErrUsage is returned for a malformed command line.
var ErrUsage = errors.New("usage:\n" + Usage)

// Run executes `sandbarn image ARGS...`, writing results to out and
// progress to log. The main program calls it with os.Args[2:].
func Run(ctx context.Context, args []string, out io.Writer, log *slog.Logger) error {
	if len(args) == 0 {
		return ErrUsage
	}
	fs := flag.NewFlagSet("image "+args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dir := fs.String("store", DefaultStore, "image store directory (the farm's <data dir>/images)")
	insecure := fs.String("insecure", "", "comma-separated registry hosts reached over plain HTTP")
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("%v\n%w", err, ErrUsage)
	}
	cfg := rootfs.Config{Directory: *dir, Logger: log, ProgressInterval: 2 * time.Second}
	if *insecure != "" {
		cfg.InsecureRegistries = strings.Split(*insecure, ",")
	}
	cmd, operands := args[0], fs.Args()
	want := map[string]int{"pull": 1, "import": 1, "ls": 0, "rm": 1}
	if n, ok := want[cmd]; !ok || len(operands) != n {
		return ErrUsage
	}
	store, err := rootfs.Open(cfg)
	if err != nil {
		return err
	}
	switch cmd {
	case "pull":
		ref, err := store.Pull(ctx, withScheme(operands[0]))
		if err != nil {
			return err
		}
		fmt.Fprintln(out, ref)
	case "import":
		refs, err := store.Import(ctx, operands[0])
		if err != nil {
			return err
		}
		for _, r := range refs {
			fmt.Fprintln(out, r)
		}
	case "ls":
		return list(store, out)
	case "rm":
		return store.Remove(removeTarget(operands[0]))
	}
	return nil
}

// withScheme accepts references with or without docker://.
func withScheme(ref string) string {
	if strings.Contains(ref, "://") {
		return ref
	}
	return "docker://" + ref
}

// removeTarget leaves a bare digest as it is and gives a reference the
// scheme.
func removeTarget(ref string) string {
	if strings.HasPrefix(ref, "sha256:") {
		return ref
	}
	return withScheme(ref)
}

func list(store *rootfs.Store, out io.Writer) error {
	images, err := store.List()
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "DIGEST\tSIZE\tLAST USED\tNAMES")
	for _, img := range images {
		fmt.Fprintf(w, "%s\t%.1f MB\t%s\t%s\n", img.Digest, float64(img.SizeBytes)/1e6,
			img.LastUsed.Format(time.DateTime), strings.Join(tags(img.Names), " "))
	}
	return w.Flush()
}

// tags drops the digest references from names: the digest column has it.
func tags(names []string) []string {
	var out []string
	for _, n := range names {
		if !strings.Contains(n, "@") {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return names
	}
	return out
}
