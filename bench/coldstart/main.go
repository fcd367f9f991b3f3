//go:build unix

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
//
// It builds only on Unix, where wait4 and getrusage report CPU time and peak
// RSS (bench/coldstart.sh runs on Linux).
package main

import (
	"cmp"
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == toolexecFlag {
		os.Exit(toolexec(os.Args[2:]))
	}
	var o options
	flag.StringVar(&o.out, "o", "", "write the report to this `file` (default: standard output)")
	flag.StringVar(&o.floorPkg, "floor", "", "mark the packages this `package` also compiles")
	flag.IntVar(&o.top, "top", 15, "list this many packages")
	flag.StringVar(&o.keep, "keep", "", "keep what was measured (the package list, the tools' log, the action graph, the totals) in this `dir`")
	flag.StringVar(&o.from, "from", "", "build nothing: report on what -keep kept in this `dir`")
	flag.Parse()
	if flag.NArg() != 1 && o.from == "" {
		fmt.Fprintln(os.Stderr, "usage: coldstart [-o FILE] [-floor PKG] [-top N] [-keep DIR] PKG\n       coldstart [-o FILE] [-floor PKG] [-top N] -from DIR")
		os.Exit(2)
	}
	o.pkg = flag.Arg(0)
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "coldstart:", err)
		os.Exit(1)
	}
}

type options struct {
	pkg, floorPkg, out, keep, from string
	top                            int
}

func run(o options) error {
	dir := o.from
	if dir == "" {
		tmp, err := os.MkdirTemp("", "coldstart")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		if dir, err = filepath.Abs(cmp.Or(o.keep, tmp)); err != nil { // the tools run in other directories
			return err
		}
		if err := coldBuild(o.pkg, tmp, dir); err != nil {
			return err
		}
	}
	b, g, err := loadBuild(dir)
	if err != nil {
		return err
	}
	var floor map[string]bool
	if o.floorPkg != "" {
		if floor, err = listNames(o.floorPkg); err != nil {
			return err
		}
	}
	w := os.Stdout
	if o.out != "" {
		f, err := os.Create(o.out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	newReport(b, g, floor, o.floorPkg).write(w, o.top)
	return nil
}
