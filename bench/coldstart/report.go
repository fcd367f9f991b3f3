//go:build unix

package main

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// report turns one cold build into Markdown.
type report struct {
	b        *build
	g        *graph
	floor    map[string]bool // the floor's packages, or nil
	floorPkg string
	cpu      map[string]time.Duration // compile, asm and cgo CPU per package
	wall     map[string]time.Duration // compile wall per package
}

func newReport(b *build, g *graph, floor map[string]bool, floorPkg string) *report {
	r := &report{b: b, g: g, floor: floor, floorPkg: floorPkg,
		cpu: map[string]time.Duration{}, wall: map[string]time.Duration{}}
	for _, run := range b.runs {
		if run.tool != "compile" && run.tool != "asm" && run.tool != "cgo" {
			continue // the link, and the go command's probes of the C compiler
		}
		r.cpu[run.pkg] += run.cpu
		if run.tool == "compile" {
			r.wall[run.pkg] += run.wall
		}
	}
	return r
}

func (r *report) write(w io.Writer, top int) {
	r.writeTotals(w)
	fmt.Fprintln(w)
	r.writeTop(w, top)
	fmt.Fprintln(w)
	r.writeOrigins(w)
	fmt.Fprintln(w)
	r.writeCuts(w, 12)
}

// toolSum is the runs of one tool, added up.
type toolSum struct {
	runs int
	cpu  time.Duration
}

// byTool sums the runs of each tool.
func (r *report) byTool() map[string]toolSum {
	sums := map[string]toolSum{}
	for _, run := range r.b.runs {
		s := sums[run.tool]
		s.runs, s.cpu = s.runs+1, s.cpu+run.cpu
		sums[run.tool] = s
	}
	return sums
}

func (r *report) link() toolRun {
	for _, run := range r.b.runs {
		if run.tool == "link" {
			return run
		}
	}
	return toolRun{}
}

func (r *report) writeTotals(w io.Writer) {
	b, tools, link := r.b.totals, r.byTool(), r.link()
	var toolCPU, timer time.Duration
	for _, t := range []string{"compile", "asm", "cgo", "link"} {
		toolCPU += tools[t].cpu
	}
	for _, run := range r.b.runs {
		timer += run.self
	}
	fmt.Fprintln(w, "| the whole build | time |")
	fmt.Fprintln(w, "|---|---:|")
	fmt.Fprintf(w, "| wall, `go build` start to finish | %s |\n", sec(b.Wall))
	fmt.Fprintf(w, "| CPU, user+sys of the go command and all it ran | %s (%.2f of %d cores busy on average) |\n",
		sec(b.CPU), b.CPU.Seconds()/b.Wall.Seconds(), b.Cores)
	for _, t := range []string{"compile", "asm", "cgo", "link"} {
		if s, ok := tools[t]; ok {
			fmt.Fprintf(w, "| … %s (%s) | %s |\n", t, plural(s.runs, "run"), sec(s.cpu))
		}
	}
	fmt.Fprintf(w, "| … the timer (bench/coldstart, run for each tool) | %s |\n", sec(timer))
	fmt.Fprintf(w, "| … the rest: the go command itself, the C compiler for cgo | %s |\n", sec(b.CPU-toolCPU-timer))
	fmt.Fprintf(w, "| link: wall, peak RSS | %s, %d MB |\n", sec(link.wall), link.rssKiB/1024)
	fmt.Fprintf(w, "| wall with at most one tool running (runtime's compile at the start, the link at the end, …) | %s |\n",
		sec(r.serial()))
}

// serial is the time during the build when at most one compile, cgo step or
// link was running: the part of the wall time that more cores do not shorten.
func (r *report) serial() time.Duration {
	type event struct {
		at    time.Time
		delta int
	}
	var ev []event
	for _, a := range r.b.actions {
		if a.TimeStart.IsZero() || a.TimeDone.IsZero() || !isToolAction(a.Mode) {
			continue
		}
		ev = append(ev, event{a.TimeStart, 1}, event{a.TimeDone, -1})
	}
	slices.SortFunc(ev, func(a, b event) int { return a.at.Compare(b.at) })
	var total time.Duration
	running := 0
	for i, e := range ev {
		if i > 0 && running <= 1 {
			total += e.at.Sub(ev[i-1].at)
		}
		running += e.delta
	}
	return total
}

func isToolAction(mode string) bool {
	return mode == "build" || mode == "link" || strings.HasPrefix(mode, "cgo ")
}

func (r *report) writeTop(w io.Writer, top int) {
	names := slices.SortedFunc(maps.Keys(r.cpu), func(a, b string) int {
		return cmp.Or(cmp.Compare(r.cpu[b], r.cpu[a]), cmp.Compare(a, b))
	})
	fmt.Fprintf(w, "The %d packages that took the most CPU to compile (compile, asm and cgo runs), then the link:\n\n", top)
	fmt.Fprintf(w, "| package | module | CPU | compile wall | %s |\n", r.floorHeader())
	fmt.Fprintln(w, "|---|---|---:|---:|---|")
	for _, name := range names[:min(top, len(names))] {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", name, r.moduleOf(name), sec(r.cpu[name]), sec(r.wall[name]), r.inFloor(name))
	}
	link := r.link()
	fmt.Fprintf(w, "| (link) | | %s | %s | |\n", sec(link.cpu), sec(link.wall))
	var all time.Duration
	for _, c := range r.cpu {
		all += c
	}
	var shown time.Duration
	for _, name := range names[:min(top, len(names))] {
		shown += r.cpu[name]
	}
	fmt.Fprintf(w, "\nThese %d of the %d packages compiled take %s of the %s of compile CPU.\n", min(top, len(names)), len(names), sec(shown), sec(all))
}

func (r *report) floorHeader() string {
	if r.floor == nil {
		return ""
	}
	return "the floor compiles it too"
}

func (r *report) inFloor(name string) string {
	if r.floor != nil && r.floor[name] {
		return "yes"
	}
	return ""
}

func (r *report) moduleOf(name string) string {
	if p, ok := r.g.pkgs[name]; ok {
		return p.module()
	}
	return "?"
}

// origin is the row of the by-origin table a package counts in.
func (r *report) origin(name string) string {
	switch mod := r.moduleOf(name); {
	case mod == "std" && r.floor != nil && r.floor[name]:
		return "Go standard library: what the floor compiles too"
	case mod == "std" && r.floor != nil:
		return "Go standard library: the rest"
	case mod == "std":
		return "Go standard library"
	case mod == r.moduleOf(r.g.root):
		return mod + " (this module)"
	default:
		return mod
	}
}

func (r *report) writeOrigins(w io.Writer) {
	cpu, count := map[string]time.Duration{}, map[string]int{}
	var all time.Duration
	for name, c := range r.cpu {
		o := r.origin(name)
		cpu[o] += c
		count[o]++
		all += c
	}
	rows := slices.SortedFunc(maps.Keys(cpu), func(a, b string) int {
		return cmp.Or(cmp.Compare(cpu[b], cpu[a]), cmp.Compare(a, b))
	})
	if r.floor != nil {
		fmt.Fprintf(w, "Compile CPU by origin (the floor is `%s`: net, crypto/tls and bufio, what any Go SMTP client with TLS compiles):\n\n", r.floorPkg)
	} else {
		fmt.Fprint(w, "Compile CPU by origin:\n\n")
	}
	fmt.Fprintln(w, "| origin | packages | CPU | share |")
	fmt.Fprintln(w, "|---|---:|---:|---:|")
	var small []string
	var smallCPU time.Duration
	smallCount := 0
	for _, o := range rows {
		if cpu[o] < 100*time.Millisecond {
			small, smallCPU, smallCount = append(small, o), smallCPU+cpu[o], smallCount+count[o]
			continue
		}
		fmt.Fprintf(w, "| %s | %d | %s | %.1f %% |\n", o, count[o], sec(cpu[o]), 100*cpu[o].Seconds()/all.Seconds())
	}
	if len(small) > 0 {
		fmt.Fprintf(w, "| %d modules under 0.1 s each: %s | %d | %s | %.1f %% |\n", len(small),
			strings.Join(small, ", "), smallCount, sec(smallCPU), 100*smallCPU.Seconds()/all.Seconds())
	}
}

// cut is an import edge and what leaves the build without it.
type cut struct {
	from, to string
	gone     []string
	cpu      time.Duration
}

// cuts are the imports, from a package outside the standard library to a
// package of another module, whose removal would take packages out of the
// build, most compile CPU first.
func (r *report) cuts() []cut {
	all := r.reach("", "")
	var cuts []cut
	for _, from := range slices.Sorted(maps.Keys(all)) {
		p := r.g.pkgs[from]
		if p.Standard {
			continue
		}
		for _, to := range p.Imports {
			if q, ok := r.g.pkgs[to]; !ok || q.module() == p.module() {
				continue
			}
			left := r.reach(from, to)
			c := cut{from: from, to: to}
			for name := range all {
				if !left[name] {
					c.gone = append(c.gone, name)
					c.cpu += r.cpu[name]
				}
			}
			slices.Sort(c.gone)
			cuts = append(cuts, c)
		}
	}
	slices.SortFunc(cuts, func(a, b cut) int {
		return cmp.Or(cmp.Compare(b.cpu, a.cpu), cmp.Compare(a.from+a.to, b.from+b.to))
	})
	return cuts
}

// reach is the set of packages the root imports, directly or not, when the
// package from does not import to.
func (r *report) reach(from, to string) map[string]bool {
	seen := map[string]bool{}
	stack := []string{r.g.root}
	for len(stack) > 0 {
		name := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		p, ok := r.g.pkgs[name]
		if !ok || seen[name] {
			continue
		}
		seen[name] = true
		for _, imp := range p.Imports {
			if name != from || imp != to {
				stack = append(stack, imp)
			}
		}
	}
	return seen
}

func (r *report) writeCuts(w io.Writer, n int) {
	fmt.Fprintln(w, "The imports (from outside the standard library, into another module) that bring the most compile")
	fmt.Fprintln(w, "CPU into the build on their own: what would no longer be compiled without that one import.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| import | CPU | packages it alone brings in |")
	fmt.Fprintln(w, "|---|---:|---|")
	cuts := r.cuts()
	for _, c := range cuts[:min(n, len(cuts))] {
		if c.cpu == 0 {
			break
		}
		fmt.Fprintf(w, "| %s → %s | %s | %d: %s |\n", c.from, c.to, sec(c.cpu), len(c.gone), list(c.gone, 6))
	}
}

// list joins names, eliding past max.
func list(names []string, max int) string {
	if len(names) <= max {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:max], ", ") + fmt.Sprintf(" and %d more", len(names)-max)
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func sec(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }
