package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/lab"
)

// probeFlags are probe's flags.
type probeFlags struct {
	conn               connFlags
	lab                labFlags
	asJSON, transcript bool
	parallel           int
	mx                 mxFlags
	fleet              fleetFlags
}

func newProbe() *cobra.Command {
	var f probeFlags
	cmd := &cobra.Command{
		Use:   "probe [flags] TARGET... | --mx DOMAIN...",
		Short: "Show what servers advertise before and after STARTTLS",
		Long: "probe connects, reads the greeting, sends EHLO (HELO if refused), upgrades with STARTTLS when " +
			"offered, sends EHLO again and quits. It prints the capabilities before and after TLS, what " +
			"appeared or vanished, and the certificate. TARGET is host, host:port, [v6]:port, a bare IPv6 " +
			"address or unix:/path (a unix socket); the port defaults to 25, and 465 means implicit TLS. " +
			"With --pipe, TARGET is optional.",
		Example: "  ehlo probe --lab\n  ehlo probe --lab --json mx submission smtps legacy\n" +
			"  ehlo probe smtp.gmail.com:587 --transcript\n  ehlo probe 127.0.0.1:1587 --ca /tmp/lab-ca.pem\n" +
			"  ehlo probe --from-file hosts.txt --resume run.jsonl --summary\n  ehlo report run.jsonl",
		RunE: f.run,
	}
	f.conn.register(cmd)
	fl := cmd.Flags()
	f.conn.tlsx.registerReconnect(fl, "connect a second time, offering the first TLS session's ticket, to see whether the server resumes it")
	fl.BoolVar(&f.asJSON, "json", false, "print JSON: one object per target, an array for several")
	fl.BoolVar(&f.transcript, "transcript", false, "print the exchange as C:/S: lines (credentials redacted)")
	f.lab.register(fl, "probe the built-in lab (TARGETs may name its endpoints: "+strings.Join(lab.EndpointNames, ", ")+")")
	fl.IntVar(&f.parallel, "parallel", 8, "probe at most n targets (with --mx: MX addresses; with --from-file: 100 unless given) at once")
	f.mx.register(cmd)
	f.fleet.register(fl)
	return cmd
}

func (f *probeFlags) run(cmd *cobra.Command, args []string) error {
	if f.fleet.fromFile != "" {
		return f.runFleet(cmd, args)
	}
	for _, name := range []string{"jsonl", "resume", "summary", "per-host", "rate", "tarpit"} {
		if cmd.Flags().Changed(name) {
			return usageErr(fmt.Errorf("--%s goes with --from-file FILE", name))
		}
	}
	if f.mx.wanted(args) {
		return f.runMX(cmd, args)
	}
	opts, err := f.conn.options()
	if err != nil {
		return err
	}
	args = f.lab.args(args)
	var jobs []client.Job
	if f.lab.on {
		l, labJobs, err := startLab(args, opts)
		if err != nil {
			return err
		}
		defer l.Close()
		jobs = labJobs
	} else {
		args = f.conn.pipeArgs(args, 0)
		for _, t := range args {
			if err := checkTarget(t); err != nil {
				return err
			}
			jobs = append(jobs, client.Job{Target: t, Options: opts})
		}
	}
	if len(jobs) == 0 {
		return usageErr(errors.New("probe needs at least one TARGET (or --lab)"))
	}
	results := client.ProbeAll(cmd.Context(), jobs, f.parallel)
	fixes := make([]string, len(results))
	for i, r := range results {
		if f.lab.on { // name each result by the endpoint asked for, not its loopback port
			results[i].Target = "lab " + labNames(args)[i]
		} else {
			fixes[i] = workingLine(cmd, []string{r.Target}, r.Err, false)
		}
	}
	return f.print(cmd.OutOrStdout(), cmd.ErrOrStderr(), results, fixes)
}

// print writes the reports, or JSON: one object for one target, an array
// for several. Each failure is told on errOut too, unless the report on
// the same terminal said it already; then, after the reports, the command
// line that works when a target speaks another mode (fixes).
func (f *probeFlags) print(w, errOut io.Writer, results []client.ProbeResult, fixes []string) error {
	out := bufio.NewWriter(w) // one write, not one per line
	defer out.Flush()
	failed, repeat := 0, f.asJSON || !toldOnScreen(w, errOut)
	for _, r := range results {
		if r.Err == nil {
			continue
		}
		failed++
		if repeat {
			fmt.Fprintf(errOut, "ehlo: %s: %s\n", r.Target, client.Explain(r.Err))
		}
	}
	if f.asJSON {
		all := make([]client.ProbeJSON, 0, len(results))
		for _, r := range results {
			all = append(all, f.conn.tlsx.chainJSON(r.JSON(f.transcript), r.TLS))
		}
		var v any = all
		if len(all) == 1 {
			v = all[0]
		}
		if err := writeJSON(out, v); err != nil {
			return err
		}
	} else {
		for i, r := range results {
			if i > 0 {
				fmt.Fprintln(out)
			}
			client.WriteProbe(out, r)
			if f.conn.tlsx.showCerts {
				_ = f.conn.tlsx.writeChain(out, r.TLS)
			}
			if f.transcript {
				fmt.Fprintln(out)
				_ = client.WriteTranscript(out, r.Transcript.Entries(), client.TranscriptFormat{})
			}
		}
	}
	if err := out.Flush(); err != nil {
		return err
	}
	if err := f.conn.tlsx.writeChains(results); err != nil {
		fmt.Fprintf(errOut, "ehlo: %s\n", err)
		failed++
	}
	for i, fix := range fixes {
		if fix != "" {
			fmt.Fprintf(errOut, "ehlo: %s: run instead: %s\n", results[i].Target, fix)
		}
	}
	if failed > 0 {
		return reported(exitFailed, fmt.Errorf("%d of %d probes failed", failed, len(results)))
	}
	return nil
}
