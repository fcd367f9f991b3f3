// Command testrun runs ehlo's tests as `go test` does and then names, one
// line each, the suites skipped for a missing component (tmux, the Postfix
// lab: internal/testenv.Need) with how to enable them, and ends with a
// count of tests passed, failed and skipped. A plain `go test ./...` cannot
// say what it skipped: it shows a passing package's output only with -v.
//
//	go run ./internal/testrun              # go test ./...
//	go run ./internal/testrun -race        # flags go to go test
//	go run ./internal/testrun -run Postfix -v ./cli/
//
// Package patterns start with "." (./..., ./cli/); without one, ./... is
// tested. The exit status is go test's; with EHLO_REQUIRE_SUITES=1 (CI),
// a suite skipped for a missing component fails the run too.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"

	"github.com/ehlo-sh/ehlo/internal/testenv"
)

func main() {
	args := os.Args[1:]
	if !slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, ".") }) {
		args = append(args, "./...")
	}
	cmd := exec.Command("go", append([]string{"test", "-json"}, args...)...)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		fatal(err)
	}
	if err := cmd.Start(); err != nil {
		fatal(err)
	}
	r := newReport(os.Stdout, slices.Contains(args, "-v"))
	if err := r.read(stdout); err != nil {
		fmt.Fprintln(os.Stderr, "testrun: reading go test -json:", err)
	}
	werr := cmd.Wait()
	r.summary()
	var exit *exec.ExitError
	switch {
	case errors.As(werr, &exit):
		os.Exit(exit.ExitCode())
	case werr != nil:
		fatal(werr)
	case r.failed > 0:
		os.Exit(1)
	case len(r.skips) > 0 && os.Getenv("EHLO_REQUIRE_SUITES") != "":
		fmt.Fprintln(os.Stderr, "testrun: EHLO_REQUIRE_SUITES is set, and suites were skipped for a missing component")
		os.Exit(1)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "testrun:", err)
	os.Exit(2)
}

// event is one line of go test -json (go doc test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
	Elapsed float64
}

// skip is a component some tests needed and did not find.
type skip struct {
	what, enable string
	tests        []string
}

// report turns the events back into go test's own output: a line a
// package, and the output of what failed (everything with -v).
type report struct {
	w                      io.Writer
	verbose                bool
	out                    map[string][]string // package or package.Test: its lines so far
	passed, failed, others int
	skips                  []*skip
	otherSkips             []string // skipped tests, and why, that Need did not skip
}

func newReport(w io.Writer, verbose bool) *report {
	return &report{w: w, verbose: verbose, out: map[string][]string{}}
}

func (r *report) read(in io.Reader) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			fmt.Fprintln(r.w, sc.Text()) // not an event: go test's own words
			continue
		}
		r.event(e)
	}
	return sc.Err()
}

func (r *report) event(e event) {
	key := e.Package
	if e.Test != "" {
		key += "." + e.Test
	}
	switch e.Action {
	case "output", "build-output":
		if r.verbose || e.Action == "build-output" {
			fmt.Fprint(r.w, e.Output)
			return
		}
		if !strings.HasPrefix(e.Output, "=== ") {
			r.out[key] = append(r.out[key], e.Output)
		}
	case "pass", "fail", "skip":
		r.end(e, key)
	}
}

// end is a test's or a package's result.
func (r *report) end(e event, key string) {
	lines := r.out[key]
	delete(r.out, key)
	if e.Test == "" { // a package: its summary line, all it said when it failed
		if !r.verbose {
			r.printPackage(e, lines)
		}
		return
	}
	switch e.Action {
	case "pass":
		r.count(e, &r.passed)
	case "fail":
		r.count(e, &r.failed)
		r.out[e.Package] = append(r.out[e.Package], lines...)
	case "skip":
		r.count(e, &r.others)
		r.noteSkip(e, lines)
	}
}

// count counts top-level tests only: a subtest is part of its test.
func (r *report) count(e event, n *int) {
	if !strings.Contains(e.Test, "/") {
		*n++
	}
}

func (r *report) printPackage(e event, lines []string) {
	if e.Action != "fail" {
		for _, l := range lines {
			if strings.HasPrefix(l, "ok ") || strings.HasPrefix(l, "?  ") {
				fmt.Fprint(r.w, l)
			}
		}
		return
	}
	for _, l := range lines {
		if l != "PASS\n" {
			fmt.Fprint(r.w, l)
		}
	}
}

// noteSkip files a skipped test under the component it needed, or with
// the other skips and its reason.
func (r *report) noteSkip(e event, lines []string) {
	name := shortPackage(e.Package) + "." + e.Test
	for _, l := range lines {
		what, enable, ok := testenv.ParseSkip(l)
		if !ok {
			continue
		}
		i := slices.IndexFunc(r.skips, func(s *skip) bool { return s.what == what })
		if i < 0 {
			r.skips = append(r.skips, &skip{what: what, enable: enable})
			i = len(r.skips) - 1
		}
		r.skips[i].tests = append(r.skips[i].tests, name)
		return
	}
	reason := ""
	for _, l := range lines {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "--- SKIP") {
			reason = t
			break
		}
	}
	if strings.Contains(e.Test, "/") && reason == "" {
		return // a subtest skipped with its parent
	}
	r.otherSkips = append(r.otherSkips, name+": "+reason)
}

// shortPackage is the package's path in the module.
func shortPackage(p string) string {
	if i := strings.Index(p, "/ehlo/"); i >= 0 {
		return p[i+len("/ehlo/"):]
	}
	return strings.TrimSuffix(p, "/ehlo")
}

// summary names what was skipped and ends with the counts.
func (r *report) summary() {
	fmt.Fprintln(r.w)
	for _, s := range r.skips {
		fmt.Fprintf(r.w, "skipped %s, which need %s; to run them: %s\n", tests(s.tests), s.what, s.enable)
	}
	for _, s := range r.otherSkips {
		fmt.Fprintf(r.w, "skipped %s\n", s)
	}
	fmt.Fprintf(r.w, "%d passed, %d failed, %d skipped\n", r.passed, r.failed, r.others)
}

// tests counts the tests and names the first.
func tests(names []string) string {
	if len(names) == 1 {
		return "1 test (" + names[0] + ")"
	}
	return fmt.Sprintf("%d tests (%s, …)", len(names), names[0])
}
