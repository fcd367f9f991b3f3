//go:build unix

// Command measure times whole processes the way bench/run.sh needs: several
// commands run in alternation, round after round, and each run's wall time,
// CPU time (user+sys) and peak RSS come from the OS (wait4's rusage), as
// /usr/bin/time -v reports them, without a shell or a timing process of its
// own in between.
//
//	measure [-rounds N] [-warmup W] [-json FILE] [-title T] SPEC
//
// SPEC holds one command per line: a label, an optional "<FILE" for its
// standard input, optional NAME=value settings added to its environment, then
// the program and its arguments, split on blanks (no quoting: keep arguments
// free of spaces). Blank lines and lines starting
// with # are skipped. Every command must exit 0 in every round; its output is
// discarded. Round r starts with command r mod n, so that no command always
// follows the same one.
//
// It prints a Markdown table, one row per command: medians with min and max,
// and the ratio of each median to the first command's (the subject). Then,
// for the targets asked for by -faster, -floor/-within and -maxrss, one line
// each, starting "- met:" or "- MISSED:".
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"
)

// command is one line of the spec.
type command struct {
	Label string   `json:"label"`
	Stdin string   `json:"stdin,omitempty"`
	Env   []string `json:"env,omitempty"`
	Argv  []string `json:"argv"`
	Runs  []sample `json:"runs"`
}

// sample is one run's cost, from the OS.
type sample struct {
	Wall   time.Duration `json:"wall_ns"`
	CPU    time.Duration `json:"cpu_ns"`
	RSSKiB int64         `json:"max_rss_kib"`
}

func main() {
	rounds := flag.Int("rounds", 30, "timed rounds")
	warmup := flag.Int("warmup", 2, "untimed rounds first")
	jsonOut := flag.String("json", "", "also write every sample to this `file`")
	var t targets
	flag.StringVar(&t.faster, "faster", "", "the first command's median must beat every peer's: wall, or wall+cpu (labels starting with the floor's label or with the first's label and \"-\" are not peers)")
	flag.StringVar(&t.floor, "floor", "", "`label` of the floor command")
	flag.Float64Var(&t.within, "within", 0, "the first command's median wall must be at most this `ratio` to the floor's")
	flag.Float64Var(&t.maxRSS, "maxrss", 0, "the first command's peak RSS must stay under this many `MB` in every run")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: measure [-rounds N] [-warmup W] [-json FILE] SPEC")
		os.Exit(2)
	}
	cmds, err := readSpec(flag.Arg(0))
	if err != nil {
		fail(err)
	}
	if err := runRounds(cmds, *warmup, false); err != nil {
		fail(err)
	}
	if err := runRounds(cmds, *rounds, true); err != nil {
		fail(err)
	}
	if *jsonOut != "" {
		if err := writeJSON(*jsonOut, cmds); err != nil {
			fail(err)
		}
	}
	printTable(os.Stdout, cmds, *rounds)
	t.check(os.Stdout, cmds)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "measure:", err)
	os.Exit(1)
}

// readSpec parses the spec file.
func readSpec(file string) ([]*command, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var cmds []*command
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		c := &command{Label: fields[0]}
		fields = fields[1:]
		if len(fields) > 0 && strings.HasPrefix(fields[0], "<") {
			c.Stdin, fields = fields[0][1:], fields[1:]
		}
		for len(fields) > 0 && isSetting(fields[0]) {
			c.Env, fields = append(c.Env, fields[0]), fields[1:]
		}
		if len(fields) == 0 {
			return nil, fmt.Errorf("%s: %q has no command", file, c.Label)
		}
		c.Argv = fields
		cmds = append(cmds, c)
	}
	if len(cmds) == 0 {
		return nil, fmt.Errorf("%s: no commands", file)
	}
	return cmds, sc.Err()
}

// isSetting reports whether s is NAME=value with an upper-case NAME.
func isSetting(s string) bool {
	name, _, ok := strings.Cut(s, "=")
	return ok && name != "" && strings.Trim(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == ""
}

// runRounds runs every command once per round, rotating the order.
func runRounds(cmds []*command, rounds int, keep bool) error {
	for r := range rounds {
		for i := range cmds {
			c := cmds[(r+i)%len(cmds)]
			s, err := run(c)
			if err != nil {
				return fmt.Errorf("%s (round %d): %w", c.Label, r+1, err)
			}
			if keep {
				c.Runs = append(c.Runs, s)
			}
		}
	}
	return nil
}

// run executes c once and returns its cost.
func run(c *command) (sample, error) {
	cmd := exec.Command(c.Argv[0], c.Argv[1:]...)
	if len(c.Env) > 0 {
		cmd.Env = append(os.Environ(), c.Env...)
	}
	if c.Stdin != "" {
		in, err := os.Open(c.Stdin)
		if err != nil {
			return sample{}, err
		}
		defer in.Close()
		cmd.Stdin = in
	}
	var errBuf strings.Builder
	cmd.Stderr = &limitWriter{w: &errBuf, n: 2048}
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return sample{}, fmt.Errorf("%w: %s", err, strings.TrimSpace(errBuf.String()))
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return sample{
		Wall:   wall,
		CPU:    time.Duration(ru.Utime.Nano() + ru.Stime.Nano()),
		RSSKiB: ru.Maxrss, // KiB on Linux
	}, nil
}

// limitWriter keeps the first n bytes (a failing command's error message).
type limitWriter struct {
	w io.Writer
	n int
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(len(p), l.n)
		l.w.Write(p[:k])
		l.n -= k
	}
	return len(p), nil
}

func writeJSON(file string, cmds []*command) error {
	b, err := json.MarshalIndent(cmds, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(file, append(b, '\n'), 0o644)
}

// stats are the median, min and max of some values.
type stats struct{ med, lo, hi float64 }

func summarize(vals []float64) stats {
	s := slices.Clone(vals)
	slices.Sort(s)
	n := len(s)
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return stats{med, s[0], s[n-1]}
}

func column(c *command, f func(sample) float64) stats {
	vals := make([]float64, len(c.Runs))
	for i, s := range c.Runs {
		vals[i] = f(s)
	}
	return summarize(vals)
}

func wallMs(s sample) float64 { return float64(s.Wall) / 1e6 }
func cpuMs(s sample) float64  { return float64(s.CPU) / 1e6 }
func rssMB(s sample) float64  { return float64(s.RSSKiB) / 1024 }

// printTable writes one Markdown row per command; ratios are to the first.
func printTable(w io.Writer, cmds []*command, rounds int) {
	fmt.Fprintf(w, "| client | wall median (min–max) | CPU median (min–max) | peak RSS median (max) | wall / %[1]s | CPU / %[1]s |\n", cmds[0].Label)
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	refWall, refCPU := column(cmds[0], wallMs).med, column(cmds[0], cpuMs).med
	for _, c := range cmds {
		wall, cpu, rss := column(c, wallMs), column(c, cpuMs), column(c, rssMB)
		fmt.Fprintf(w, "| %s | %s ms (%s–%s) | %s ms (%s–%s) | %.1f MB (%.1f) | %.2fx | %.2fx |\n",
			c.Label, ms(wall.med), ms(wall.lo), ms(wall.hi), ms(cpu.med), ms(cpu.lo), ms(cpu.hi),
			rss.med, rss.hi, wall.med/refWall, cpu.med/refCPU)
	}
	fmt.Fprintf(w, "\n%d rounds, commands in alternation (rotated each round); CPU is user+sys and peak RSS is ru_maxrss, both from wait4", rounds)
	if hwm := selfPeakRSS(); hwm != "" {
		// A child starts as a copy of this process (vfork), and Linux counts
		// that in its ru_maxrss: no value can read lower than this.
		fmt.Fprintf(w, " (a value near the timer's own peak RSS, %s, may be the timer's: a child starts as its copy)", hwm)
	}
	fmt.Fprintln(w, ".")
}

// selfPeakRSS is this process's VmHWM from /proc, as "4.1 MB", or "".
func selfPeakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb float64
			if _, err := fmt.Sscanf(strings.TrimSpace(v), "%f kB", &kb); err == nil {
				return fmt.Sprintf("%.1f MB", kb/1024)
			}
		}
	}
	return ""
}

// ms formats milliseconds with precision that suits their size.
func ms(v float64) string {
	switch {
	case v < 10:
		return fmt.Sprintf("%.2f", v)
	case v < 100:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.0f", v)
}

// targets are the checks asked for on the command line.
type targets struct {
	faster string
	floor  string
	within float64
	maxRSS float64
}

// check prints one verdict per target; the first command is the subject.
func (t targets) check(w io.Writer, cmds []*command) {
	if t.faster == "" && t.within == 0 && t.maxRSS == 0 {
		return
	}
	fmt.Fprintln(w)
	subject := cmds[0]
	if t.faster != "" {
		t.checkFaster(w, subject, cmds[1:], "wall", wallMs)
		if t.faster == "wall+cpu" {
			t.checkFaster(w, subject, cmds[1:], "CPU", cpuMs)
		}
	}
	if t.within > 0 {
		floor := find(cmds, t.floor)
		if floor == nil {
			fmt.Fprintf(w, "- MISSED: no floor command %q\n", t.floor)
		} else {
			r := column(subject, wallMs).med / column(floor, wallMs).med
			cpu := column(subject, cpuMs).med / column(floor, cpuMs).med
			verdict(w, r <= t.within, "%s median wall is %.2fx the floor's (%s), target ≤ %.2fx (CPU: %.2fx)",
				subject.Label, r, floor.Label, t.within, cpu)
		}
	}
	if t.maxRSS > 0 {
		hi := column(subject, rssMB).hi
		verdict(w, hi < t.maxRSS, "%s peak RSS is at most %.1f MB over all runs, target < %.0f MB", subject.Label, hi, t.maxRSS)
	}
}

// checkFaster says whether subject's median beats every peer's.
func (t targets) checkFaster(w io.Writer, subject *command, peers []*command, what string, f func(sample) float64) {
	mine := column(subject, f).med
	best, bestLabel := 0.0, ""
	for _, p := range peers {
		if t.floor != "" && strings.HasPrefix(p.Label, t.floor) || strings.HasPrefix(p.Label, subject.Label+"-") {
			continue // the floors, and variants of the subject, are not peers
		}
		if v := column(p, f).med; bestLabel == "" || v < best {
			best, bestLabel = v, p.Label
		}
	}
	if bestLabel == "" {
		return
	}
	verdict(w, mine < best, "%s median %s %s ms; the best peer, %s, %s ms", subject.Label, what, ms(mine), bestLabel, ms(best))
}

func verdict(w io.Writer, ok bool, format string, args ...any) {
	word := "met"
	if !ok {
		word = "MISSED"
	}
	fmt.Fprintf(w, "- %s: "+format+"\n", append([]any{word}, args...)...)
}

func find(cmds []*command, label string) *command {
	for _, c := range cmds {
		if c.Label == label {
			return c
		}
	}
	return nil
}
