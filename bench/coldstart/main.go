// Command coldstart builds a package with an empty build cache and reports
// where the time goes, for bench/coldstart.sh:
//
//	coldstart [-o FILE] [-floor PKG] [-top N] [-keep DIR] PKG
//
// It builds PKG as `go build -o DIR/bin PKG` would on a first run: in a new,
// empty GOCACHE, with the module cache as it is (GOPROXY=off, so a missing
// module fails the build instead of timing a download). The go command runs
// every compile, asm, cgo and link through coldstart itself (-toolexec),
// which times each run from wait4, and records its actions' times
// (-debug-actiongraph). It prints Markdown: the whole build's wall and CPU
// time, the packages that took the most CPU to compile, the link, the cost by
// module, and the imports whose removal would take the most compile time out
// of the build. -floor names a smaller program (a client with net and
// crypto/tls and nothing else) whose packages are marked: every program like
// it pays for those.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == toolexecFlag {
		os.Exit(toolexec(os.Args[2:]))
	}
	out := flag.String("o", "", "write the report to this `file` (default: standard output)")
	floor := flag.String("floor", "", "mark the packages this `package` also compiles")
	top := flag.Int("top", 15, "list this many packages")
	keep := flag.String("keep", "", "keep the tools' log, the action graph and the package list in this `dir`")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: coldstart [-o FILE] [-floor PKG] [-top N] [-keep DIR] PKG")
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *floor, *out, *keep, *top); err != nil {
		fmt.Fprintln(os.Stderr, "coldstart:", err)
		os.Exit(1)
	}
}

func run(pkg, floorPkg, out, keep string, top int) error {
	dir, err := os.MkdirTemp("", "coldstart")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if keep == "" {
		keep = dir
	}
	if keep, err = filepath.Abs(keep); err != nil { // the tools run in other directories
		return err
	}
	if err := os.MkdirAll(keep, 0o755); err != nil {
		return err
	}
	deps, err := listDeps(pkg, filepath.Join(keep, "deps.json"))
	if err != nil {
		return err
	}
	var floor map[string]bool
	if floorPkg != "" {
		if floor, err = listNames(floorPkg); err != nil {
			return err
		}
	}
	b, err := coldBuild(pkg, dir, keep)
	if err != nil {
		return err
	}
	w := os.Stdout
	if out != "" {
		f, err := os.Create(out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	r := newReport(b, deps, floor, floorPkg)
	r.write(w, top)
	return nil
}
