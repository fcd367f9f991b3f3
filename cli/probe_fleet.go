package cli

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	xterm "github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/lab"
)

// fleetFlags are probe's flags for a fleet: targets from a file.
type fleetFlags struct {
	fromFile, resume string
	jsonl, summary   bool
	perHost          int
	rate             string
	tarpit           time.Duration
}

// Polite defaults, per destination host: what a mail admin would not call
// an attack (Postfix allows 50 connections at once from one client and, as
// shipped, no rate limit; a fleet run stays far below).
const (
	defaultFleetParallel = 100
	defaultPerHost       = 2
	defaultRate          = "1/s"
)

func (f *fleetFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&f.fromFile, "from-file", "", "probe the targets in this file, one a line (- for stdin): host, host:port, [v6]:port, # comments")
	fl.BoolVar(&f.jsonl, "jsonl", false, "with --from-file: one JSON object a line per target as it finishes (the default unless --summary)")
	fl.StringVar(&f.resume, "resume", "", "with --from-file: skip the targets already in this JSON lines file and append the new ones to it")
	fl.BoolVar(&f.summary, "summary", false, "with --from-file: print a table of the run at the end (status, TLS, certificates, AUTH before TLS)")
	fl.IntVar(&f.perHost, "per-host", defaultPerHost, "with --from-file: connections at once to one destination host (0: no limit)")
	fl.StringVar(&f.rate, "rate", defaultRate, "with --from-file: new connections a second to one destination host, as R/s or R/m (0: no limit)")
	fl.DurationVar(&f.tarpit, "tarpit", client.DefaultTarpit, "with --from-file: a reply slower than this makes the target a tarpit")
}

// fleetOnly are the flags that shape a fleet run but not its results: they
// are left out of the fingerprint a --resume file must match.
var fleetOnly = []string{"from-file", "jsonl", "resume", "summary", "parallel", "per-host", "rate", "transcript", "json", "verbose", "help"}

// parseRate reads --rate: "R/s", "R/m" or a number a second.
func parseRate(s string) (float64, error) {
	num, unit, _ := strings.Cut(s, "/")
	r, err := strconv.ParseFloat(num, 64)
	if err != nil || r < 0 {
		return 0, usageErr(fmt.Errorf("--rate %q: give new connections a second per host, such as 1/s or 30/m (0: no limit)", s))
	}
	switch unit {
	case "", "s":
		return r, nil
	case "m":
		return r / 60, nil
	}
	return 0, usageErr(fmt.Errorf("--rate %q: the unit is /s or /m", s))
}

// fingerprint names the flags that shape a fleet's results, so a resumed
// run is one of the same flags: a hash of every such flag's value (and of
// the --ca file's content).
func fingerprint(fs *pflag.FlagSet, ca string) string {
	h := sha256.New()
	fs.VisitAll(func(fl *pflag.Flag) {
		if !slices.Contains(fleetOnly, fl.Name) {
			fmt.Fprintf(h, "%s=%s\n", fl.Name, fl.Value.String())
		}
	})
	if ca != "" {
		if b, err := os.ReadFile(ca); err == nil {
			h.Write(b)
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// fleetRun is one run of probe --from-file.
type fleetRun struct {
	f       *probeFlags
	cmd     *cobra.Command
	fleet   *client.Fleet
	print   string // the fingerprint
	out     *bufio.Writer
	outFile *os.File // the --resume file, or nil
	sum     *client.FleetSummary
	mu      sync.Mutex
	done    int
	werr    error
}

func (f *probeFlags) runFleet(cmd *cobra.Command, args []string) error {
	if len(args) > 0 || f.lab.on && !f.mx.on {
		return usageErr(errors.New("--from-file takes its targets from the file: give no TARGET and no --lab (but --mx --lab for lab.test)"))
	}
	opts, err := f.conn.options()
	if err != nil {
		return err
	}
	dom, stop, err := f.fleetDomains(opts)
	if err != nil {
		return err
	}
	defer stop()
	rate, err := parseRate(f.fleet.rate)
	if err != nil {
		return err
	}
	if f.fleet.perHost < 0 || f.fleet.tarpit <= 0 {
		return usageErr(errors.New("--per-host is 0 or more, --tarpit above zero"))
	}
	in, name, err := openTargets(f.fleet.fromFile, cmd.InOrStdin())
	if err != nil {
		return err
	}
	defer in.Close()
	parallel := f.parallel
	if !cmd.Flags().Changed("parallel") {
		parallel = defaultFleetParallel
	}
	parallel, err = fitDescriptors(parallel, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	defer fleetMemory(parallel)()
	r := &fleetRun{f: f, cmd: cmd, print: fingerprint(cmd.Flags(), f.conn.ca), sum: client.NewFleetSummary(time.Now())}
	r.fleet = &client.Fleet{Options: opts, Parallel: parallel, PerHost: f.fleet.perHost, Rate: rate, Tarpit: f.fleet.tarpit, Domain: dom,
		OnThrottle: func(err error) {
			fmt.Fprintf(cmd.ErrOrStderr(), "ehlo: out of file descriptors (%s): fewer probes at once until some finish\n", client.Explain(err))
		}}
	if stop := cpuProfile(os.Getenv("EHLO_CPUPROFILE")); stop != nil {
		defer stop()
	}
	seen := newTargetSet()
	if err := r.openOutput(seen); err != nil {
		return err
	}
	if r.outFile != nil {
		defer r.outFile.Close()
	}
	return r.run(in, name, seen)
}

// fleetDomains is how a fleet probes its domain lines (all lines with --mx,
// those with "@" without): the options of probe --mx, with the MX probes
// shared between domains and the DNS answers cached for their TTL. Without
// --mx, options that cannot be made leave domain lines not testable.
func (f *probeFlags) fleetDomains(conn client.Options) (*client.DomainOptions, func(), error) {
	stop := func() {}
	if f.mx.on {
		for _, name := range []string{"tls", "no-starttls", "insecure", "servername", "greeting-wait"} {
			if f.conn.fs.Changed(name) {
				return nil, stop, usageErr(fmt.Errorf("--%s does not apply with --mx: each MX is probed on port 25 with STARTTLS, as a sending server does", name))
			}
		}
	}
	var l *lab.Lab
	if f.lab.on {
		var err error
		if l, err = f.startLabDNS(); err != nil {
			return nil, stop, err
		}
		stop = func() { l.Close() }
		conn.RootCAs = l.CertPool()
	}
	o, err := f.mx.options(conn, labDNSAddr(l))
	if err != nil {
		if f.mx.on {
			return nil, stop, err
		}
		return nil, stop, nil
	}
	if l != nil {
		o.Port, o.PolicyPort = strconv.Itoa(l.MXPort()), strconv.Itoa(l.PolicyPort())
	}
	o.Parallel = 8
	o.Resolver = client.NewCachingResolver(o.Resolver)
	o.Shared = client.NewSharedProbes()
	return &o, stop, nil
}

// cpuProfile writes a CPU profile of the run to path, for the fleet
// benchmark (bench/fleet.sh); "" or a file that cannot be made: none.
func cpuProfile(path string) (stop func()) {
	if path == "" {
		return nil
	}
	fh, _, err := client.CreatePrivate(path)
	if err != nil {
		return nil
	}
	if pprof.StartCPUProfile(fh) != nil {
		fh.Close()
		return nil
	}
	return func() { pprof.StopCPUProfile(); fh.Close() }
}

// openTargets opens the target file, refusing a directory; "-" is stdin.
func openTargets(path string, stdin io.Reader) (io.ReadCloser, string, error) {
	return openInput(path, stdin, "--from-file")
}

// openInput opens path ("-": stdin), refusing a directory; label names
// it in the errors ("--from-file"), as for every file (client.FileError).
func openInput(path string, stdin io.Reader, label string) (io.ReadCloser, string, error) {
	if path == "-" {
		return io.NopCloser(stdin), "stdin", nil
	}
	fh, err := client.OpenInput(label, path)
	if err != nil {
		return nil, "", usageErr(err)
	}
	return fh, path, nil
}

// fitDescriptors raises the open-file limit for parallel probes (two
// descriptors each, for a second connection, and some to spare), or lowers
// parallel to what the limit allows, saying so.
func fitDescriptors(parallel int, errOut io.Writer) (int, error) {
	if parallel < 1 {
		return 0, usageErr(fmt.Errorf("--parallel %d: give 1 or more", parallel))
	}
	const spare, each = 64, 2
	need := uint64(parallel*each + spare)
	soft, hard, ok := fileLimit(need)
	if !ok || soft >= need {
		return parallel, nil
	}
	fit := max(1, int(soft-min(soft, spare))/each)
	fmt.Fprintf(errOut, "ehlo: --parallel %d needs about %d open files; this process may open %d (ulimit -n; the hard limit is %d, which only root raises): probing %d at once\n",
		parallel, need, soft, hard, fit)
	return fit, nil
}

// openOutput picks where the lines go: the --resume file (its targets put
// in seen, its fingerprint checked, new lines appended) or stdout.
func (r *fleetRun) openOutput(seen *targetSet) error {
	path := r.f.fleet.resume
	if path == "" {
		r.out = bufio.NewWriterSize(r.cmd.OutOrStdout(), 64<<10)
		return nil
	}
	n, endsLine, err := readResume(path, r.print, seen)
	if err != nil {
		return err
	}
	fh, err := client.OpenPrivate(path, os.O_APPEND)
	if err != nil {
		return usageErr(client.FileErr("--resume", path, err))
	}
	r.outFile, r.out = fh, bufio.NewWriterSize(fh, 64<<10)
	if !endsLine {
		r.out.WriteByte('\n') // a line cut short by a crash stays apart
	}
	if n > 0 {
		fmt.Fprintf(r.cmd.ErrOrStderr(), "ehlo: resuming: %d targets already in %s are skipped\n", n, path)
	}
	return nil
}

// maxResumeLine bounds a line of a --resume file (a probe with its
// transcript is a few tens of kilobytes).
const maxResumeLine = 16 << 20

// readResume puts the targets of a saved run in seen, and refuses one from
// other flags (another fingerprint). A missing file is an empty run.
func readResume(path, print string, seen *targetSet) (n int, endsLine bool, err error) {
	fh, err := client.OpenInput("--resume", path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, true, nil
	}
	if err != nil {
		return 0, false, usageErr(err)
	}
	defer fh.Close()
	br := bufio.NewReaderSize(fh, 64<<10)
	endsLine = true
	for lineNo := 1; ; lineNo++ {
		line, err := br.ReadSlice('\n')
		for errors.Is(err, bufio.ErrBufferFull) { // a long line: read on, keeping what the check needs
			more, e := br.ReadSlice('\n')
			if len(line)+len(more) <= maxResumeLine {
				line = append(slices.Clip(line), more...)
			}
			err = e
		}
		if len(line) > 0 {
			endsLine = line[len(line)-1] == '\n'
			var j struct{ Target, Domain, Fingerprint string }
			if json.Unmarshal(line, &j) == nil && j.Target != "" {
				if j.Fingerprint != print {
					return 0, false, usageErr(fmt.Errorf("--resume %s: line %d comes from a run with other flags (fingerprint %s, these flags make %s): resume with the flags of that run, or write to a new file",
						path, lineNo, j.Fingerprint, print))
				}
				if key, err := lineKey(j.Target, j.Domain != ""); err == nil && seen.add(key) {
					n++
				}
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return n, endsLine, nil
			}
			return 0, false, usageErr(client.FileErr("--resume", path, err))
		}
	}
}

func (r *fleetRun) run(in io.Reader, name string, seen *targetSet) error {
	ctx, cancel := context.WithCancel(r.cmd.Context())
	defer cancel()
	errOut := r.cmd.ErrOrStderr()
	targets := make(chan client.FleetTarget, 64)
	var stats inputStats
	var readErr error
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		stats, readErr = readTargets(ctx, in, name, r.f.mx.on, seen, targets, errOut)
	}()
	stopFlush := r.flushEvery(100*time.Millisecond, cancel)
	stopBar := r.progress(errOut, name)
	start := time.Now()
	r.fleet.Run(ctx, targets, func(res client.FleetResult) { r.write(res, cancel) })
	<-readDone
	stopBar()
	stopFlush()
	interrupted := r.cmd.Context().Err() != nil
	if err := r.finish(); err != nil {
		return err
	}
	r.report(errOut, stats, time.Since(start))
	switch {
	case readErr != nil:
		return fmt.Errorf("reading %s: %s", name, client.Explain(readErr))
	case interrupted:
		return reported(exitFailed, r.interrupted(errOut))
	case stats.bad > 0:
		return reported(exitFailed, fmt.Errorf("%d lines of %s are not targets", stats.bad, name))
	}
	return nil
}

// write writes one finished target and counts it; a write error (stdout
// closed by `| head`) stops the run.
func (r *fleetRun) write(res client.FleetResult, cancel context.CancelFunc) {
	var (
		line any
		add  func()
	)
	if res.Domain != nil {
		j := res.DomainJSON(r.print, r.f.transcript)
		line, add = j, func() { r.sum.AddDomain(j) }
	} else {
		j := res.JSON(r.print, r.f.transcript)
		line, add = j, func() { r.sum.Add(j) }
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done++
	add()
	if r.f.fleet.jsonl || !r.f.fleet.summary || r.outFile != nil {
		b, err := json.Marshal(line)
		if err == nil {
			r.out.Write(b)
			err = r.out.WriteByte('\n')
		}
		if err != nil && r.werr == nil {
			r.werr = err
			cancel()
		}
	}
}

// flushEvery flushes the lines at least every d, so a reader of the
// stream sees each target soon after it finished.
func (r *fleetRun) flushEvery(d time.Duration, cancel context.CancelFunc) (stop func()) {
	t := time.NewTicker(d)
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-t.C:
				r.mu.Lock()
				if err := r.out.Flush(); err != nil && r.werr == nil {
					r.werr = err
					cancel()
				}
				r.mu.Unlock()
			case <-quit:
				return
			}
		}
	})
	return func() { t.Stop(); close(quit); wg.Wait() }
}

// finish flushes the lines and prints the table of --summary.
func (r *fleetRun) finish() error {
	err := r.out.Flush()
	if r.werr != nil {
		err = r.werr
	}
	if err != nil {
		return fmt.Errorf("writing the results: %s", client.Explain(err))
	}
	if !r.f.fleet.summary {
		return nil
	}
	w := r.cmd.OutOrStdout()
	if r.f.fleet.jsonl && r.outFile == nil { // the lines are on stdout: the table goes apart
		w = r.cmd.ErrOrStderr()
	}
	return r.sum.WriteTable(w)
}

// report ends the run on stderr: the short summary (unless the table was
// printed there) and what reading the input found.
func (r *fleetRun) report(errOut io.Writer, st inputStats, took time.Duration) {
	if !r.f.fleet.summary || r.outFile != nil || !r.f.fleet.jsonl {
		if !r.f.fleet.summary {
			r.sum.WriteShort(errOut)
		}
	}
	fmt.Fprintf(errOut, "%s read, %s probed in %s (%s a second)", plural(st.lines, "line"), plural(r.done, "target"),
		took.Round(time.Millisecond), rate(float64(r.done)/max(took.Seconds(), 1e-3)))
	if st.dups > 0 {
		fmt.Fprintf(errOut, ", %d duplicates or already done skipped", st.dups)
	}
	if st.bad > 0 {
		what := "lines that are not targets"
		if st.bad == 1 {
			what = "line that is not a target"
		}
		fmt.Fprintf(errOut, ", %d %s", st.bad, what)
	}
	fmt.Fprintln(errOut)
}

// plural says n things: "1 line", "2 lines".
func plural[N int | int64](n N, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// rate shows targets a second with the digits that matter: "0.5", "12",
// "1340".
func rate(r float64) string {
	if r < 10 {
		return strconv.FormatFloat(r, 'f', 1, 64)
	}
	return strconv.FormatFloat(r, 'f', 0, 64)
}

// interrupted says what a Ctrl-C left, and how to go on.
func (r *fleetRun) interrupted(errOut io.Writer) error {
	where := "the lines written"
	next := "--resume FILE (with the lines saved to FILE) probes the rest"
	if r.f.fleet.resume != "" {
		where, next = r.f.fleet.resume, "the same command probes the rest"
	}
	err := fmt.Errorf("interrupted: %d targets finished, in %s; %s", r.done, where, next)
	fmt.Fprintf(errOut, "ehlo: %s\n", err)
	return err
}

// progress shows, on a terminal, done/total, rate, in flight and the time
// left, redrawn on one line of errOut.
func (r *fleetRun) progress(errOut io.Writer, name string) (stop func()) {
	fh, ok := errOut.(*os.File)
	if !ok || !xterm.IsTerminal(fh.Fd()) {
		return func() {}
	}
	total := countLines(r.f.fleet.fromFile)
	start := time.Now()
	t := time.NewTicker(250 * time.Millisecond)
	quit := make(chan struct{})
	var wg sync.WaitGroup
	draw := func() {
		r.mu.Lock()
		done := r.done
		r.mu.Unlock()
		fmt.Fprintf(errOut, "\r\x1b[K%s", progressLine(done, total, r.fleet.InFlight(), time.Since(start)))
	}
	wg.Go(func() {
		for {
			select {
			case <-t.C:
				draw()
			case <-quit:
				fmt.Fprint(errOut, "\r\x1b[K")
				return
			}
		}
	})
	return func() { t.Stop(); close(quit); wg.Wait() }
}

// progressLine is the bar: "[=====>    ] 4210/10000 812/s 1000 in flight ETA 7s";
// without a total (stdin), no bar and no ETA. total counts lines, so the
// bar is an estimate when lines are comments or duplicates.
func progressLine(done, total, inflight int, took time.Duration) string {
	rate := float64(done) / max(took.Seconds(), 1e-3)
	if total <= 0 {
		return fmt.Sprintf("%d done  %.0f/s  %d in flight", done, rate, inflight)
	}
	const width = 30
	fill := min(width, done*width/max(total, 1))
	bar := strings.Repeat("=", fill) + strings.Repeat(" ", width-fill)
	if fill < width {
		bar = strings.Repeat("=", fill) + ">" + strings.Repeat(" ", width-fill-1)
	}
	eta := "-"
	if rate > 0 && total > done {
		eta = time.Duration(float64(total-done) / rate * float64(time.Second)).Round(time.Second).String()
	}
	return fmt.Sprintf("[%s] %d/%d  %.0f/s  %d in flight  ETA %s", bar, done, total, rate, inflight, eta)
}

// countLines counts the lines of a regular file for the progress bar's
// total, streaming it; 0 for stdin or on error.
func countLines(path string) int {
	if path == "-" {
		return 0
	}
	fh, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer fh.Close()
	buf := make([]byte, 64<<10)
	n := 0
	for {
		k, err := fh.Read(buf)
		for _, b := range buf[:k] {
			if b == '\n' {
				n++
			}
		}
		if err != nil {
			return n
		}
	}
}
