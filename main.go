// Command ehlo is an interactive terminal SMTP session explorer. This file
// holds flags and wiring only; the work is done in the packages.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/fang/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/spf13/cobra"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/lab"
	"github.com/ehlo-sh/ehlo/themes"
	"github.com/ehlo-sh/ehlo/ui"
)

// Exit codes shared by the commands.
const (
	exitFailed = 1 // the command ran and something failed
	exitUsage  = 2 // the command line was wrong
)

// exitError carries an exit code; quiet ones were already reported.
type exitError struct {
	code  int
	err   error
	quiet bool
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(err error) error { return &exitError{code: exitUsage, err: err} }

func main() {
	root := newRoot()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err := fang.Execute(ctx, root, fang.WithErrorHandler(handleError))
	if err != nil {
		os.Exit(exitCode(err))
	}
}

func exitCode(err error) int {
	var e *exitError
	if errors.As(err, &e) {
		return e.code
	}
	if strings.HasPrefix(err.Error(), "unknown command") || strings.HasPrefix(err.Error(), "unknown flag") {
		return exitUsage
	}
	return exitFailed
}

func handleError(w io.Writer, styles fang.Styles, err error) {
	var e *exitError
	if errors.As(err, &e) && e.quiet {
		return
	}
	fang.DefaultErrorHandler(w, styles, err)
}

func newRoot() *cobra.Command {
	var (
		conn       connFlags
		tui        tuiFlags
		onEndpoint string
	)
	root := &cobra.Command{
		Use:   "ehlo [TARGET]",
		Short: "Explore SMTP sessions: every command, every reply, explained",
		Long: "ehlo opens a raw connection to an SMTP server and shows, live, every command you type and every\n" +
			"reply the server gives, what it advertises before and after STARTTLS, and its certificate.\n" +
			"With no TARGET it opens on the built-in sandbox server (no network needed).",
		Example: "  ehlo                        # the built-in lab, like Gmail's 587\n" +
			"  ehlo --lab legacy           # another lab endpoint: mx, submission, smtps, legacy\n" +
			"  ehlo smtp.gmail.com:587\n  ehlo probe --lab\n  ehlo lab --ca-out /tmp/lab-ca.pem",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := conn.options()
			if err != nil {
				return err
			}
			cfg, progOpts := tui.config(opts)
			if len(args) == 1 && !cmd.Flags().Changed("lab") {
				cfg.Target = args[0]
				return ui.Run(cmd.Context(), cfg, progOpts...)
			}
			if len(args) == 1 {
				return usageErr(errors.New("give a TARGET or --lab, not both"))
			}
			l, err := lab.Start(lab.Config{})
			if err != nil {
				return err
			}
			defer l.Close()
			cfg.Lab, cfg.Endpoint = l, onEndpoint
			return ui.Run(cmd.Context(), cfg, progOpts...)
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErr(err) })
	root.Args = func(cmd *cobra.Command, args []string) error {
		if err := cobra.MaximumNArgs(1)(cmd, args); err != nil {
			return usageErr(err)
		}
		return nil
	}
	conn.register(root)
	tui.register(root)
	root.Flags().StringVar(&onEndpoint, "lab", "submission", "open on this built-in lab `endpoint`: mx, submission, smtps, legacy")
	root.AddCommand(newProbe(), newLab(), newDoctor())
	return root
}

// tuiFlags are the explorer's own flags.
type tuiFlags struct {
	theme, transcript string
	noMouse           bool
}

func (f *tuiFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.theme, "theme", "", "colour theme: "+strings.Join(themes.Names(), ", ")+" (default $EHLO_THEME, else auto; NO_COLOR forces mono)")
	fl.StringVar(&f.transcript, "transcript", "", "append the transcript to this `file` as it happens (credentials redacted)")
	fl.BoolVar(&f.noMouse, "no-mouse", false, "leave the mouse to the terminal, for native text selection")
}

// config builds the explorer's settings. NO_COLOR with any non-empty value
// means no colour (no-color.org); colorprofile alone accepts only values
// that parse as true, so the profile is forced here.
func (f *tuiFlags) config(opts client.Options) (ui.Config, []tea.ProgramOption) {
	noColor := os.Getenv("NO_COLOR") != ""
	cfg := ui.Config{
		Options:    opts,
		Theme:      themes.Pick(f.theme, os.Getenv("EHLO_THEME"), noColor),
		Mouse:      !f.noMouse,
		Transcript: f.transcript,
	}
	if noColor {
		return cfg, []tea.ProgramOption{tea.WithColorProfile(colorprofile.Ascii)}
	}
	return cfg, nil
}

// connFlags are the connection flags shared by the commands that dial.
type connFlags struct {
	tls, insecure, noStartTLS bool
	ca, serverName, helo      string
	timeout                   time.Duration
}

func (f *connFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.BoolVar(&f.tls, "tls", false, "implicit TLS from the first byte (the default on port 465)")
	fl.BoolVar(&f.insecure, "insecure", false, "go on when the certificate does not verify (shown as UNVERIFIED)")
	fl.BoolVar(&f.noStartTLS, "no-starttls", false, "do not upgrade with STARTTLS")
	fl.StringVar(&f.ca, "ca", "", "trust the CA certificates in this PEM `file`")
	fl.StringVar(&f.serverName, "servername", "", "TLS server `name` to send (SNI) and verify; default: the target's host")
	fl.StringVar(&f.helo, "helo", client.DefaultHelo, "`name` to send with EHLO/HELO")
	fl.DurationVar(&f.timeout, "timeout", 30*time.Second, "deadline for each exchange")
}

func (f *connFlags) options() (client.Options, error) {
	opts := client.Options{ImplicitTLS: f.tls, NoStartTLS: f.noStartTLS, Insecure: f.insecure,
		ServerName: f.serverName, Helo: f.helo, Timeout: f.timeout}
	if f.ca != "" {
		pool, err := client.LoadCA(f.ca)
		if err != nil {
			return opts, usageErr(err)
		}
		opts.RootCAs = pool
	}
	return opts, nil
}

func newProbe() *cobra.Command {
	var (
		conn                      connFlags
		asJSON, transcript, inLab bool
		parallel                  int
	)
	cmd := &cobra.Command{
		Use:   "probe [flags] TARGET...",
		Short: "Show what servers advertise before and after STARTTLS",
		Long: "probe connects, reads the greeting, sends EHLO (HELO if refused), upgrades with STARTTLS when\n" +
			"offered, sends EHLO again and quits. It prints the capabilities before and after TLS, what\n" +
			"appeared or vanished, and the certificate. TARGET is host, host:port, [v6]:port or a bare IPv6\n" +
			"address; the port defaults to 25, and 465 means implicit TLS.",
		Example: "  ehlo probe --lab\n  ehlo probe --lab --json mx submission smtps legacy\n" +
			"  ehlo probe smtp.gmail.com:587 --transcript\n  ehlo probe 127.0.0.1:1587 --ca /tmp/lab-ca.pem",
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := conn.options()
			if err != nil {
				return err
			}
			jobs := make([]client.Job, 0, len(args))
			for _, t := range args {
				jobs = append(jobs, client.Job{Target: t, Options: opts})
			}
			if inLab {
				l, err := lab.Start(lab.Config{})
				if err != nil {
					return err
				}
				defer l.Close()
				opts.RootCAs = l.CertPool()
				if jobs, err = labJobs(l, args, opts); err != nil {
					return usageErr(err)
				}
			}
			if len(jobs) == 0 {
				return usageErr(errors.New("probe needs at least one TARGET (or --lab)"))
			}
			results := client.ProbeAll(cmd.Context(), jobs, parallel)
			return printProbes(cmd.OutOrStdout(), cmd.ErrOrStderr(), results, asJSON, transcript)
		},
	}
	conn.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON: one object per target, an array for several")
	cmd.Flags().BoolVar(&transcript, "transcript", false, "print the exchange as C:/S: lines (credentials redacted)")
	cmd.Flags().BoolVar(&inLab, "lab", false, "probe the built-in lab (TARGETs may name its endpoints: mx, submission, smtps, legacy)")
	cmd.Flags().IntVar(&parallel, "parallel", 8, "probe at most `n` targets at once")
	return cmd
}

// labJobs maps endpoint names to the in-process lab's addresses; no name
// means the submission endpoint.
func labJobs(l *lab.Lab, names []string, opts client.Options) ([]client.Job, error) {
	if len(names) == 0 {
		names = []string{"submission"}
	}
	var jobs []client.Job
	for _, n := range names {
		ep, ok := l.Endpoint(n)
		if !ok {
			return nil, fmt.Errorf("the lab has no endpoint %q (it has %s)", n, strings.Join(lab.EndpointNames, ", "))
		}
		o := opts
		o.ImplicitTLS = o.ImplicitTLS || ep.ImplicitTLS
		jobs = append(jobs, client.Job{Target: ep.Addr, Options: o})
	}
	return jobs, nil
}

func printProbes(out, errOut io.Writer, results []client.ProbeResult, asJSON, transcript bool) error {
	failed := 0
	for _, r := range results {
		if r.Err != nil {
			failed++
			fmt.Fprintf(errOut, "ehlo: %s: %s\n", r.Target, client.Explain(r.Err))
		}
	}
	if asJSON {
		if err := writeJSON(out, results, transcript); err != nil {
			return err
		}
	} else {
		for i, r := range results {
			if i > 0 {
				fmt.Fprintln(out)
			}
			client.WriteProbe(out, r)
			if transcript {
				fmt.Fprintln(out)
				_ = client.WriteTranscript(out, r.Transcript.Entries(), client.TranscriptFormat{})
			}
		}
	}
	if failed > 0 {
		return &exitError{code: exitFailed, err: fmt.Errorf("%d of %d probes failed", failed, len(results)), quiet: true}
	}
	return nil
}

func writeJSON(w io.Writer, results []client.ProbeResult, transcript bool) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if len(results) == 1 {
		return enc.Encode(results[0].JSON(transcript))
	}
	all := make([]client.ProbeJSON, 0, len(results))
	for _, r := range results {
		all = append(all, r.JSON(transcript))
	}
	return enc.Encode(all)
}

func newLab() *cobra.Command {
	var (
		cfg   lab.Config
		caOut string
	)
	cfg.Ports = lab.DefaultPorts
	cmd := &cobra.Command{
		Use:   "lab",
		Short: "Run the built-in sandbox SMTP server in the foreground",
		Long: "lab runs four loopback SMTP endpoints that reproduce real-world cases: mx (STARTTLS, no AUTH,\n" +
			"relay denied), submission (like Gmail's 587: AUTH only after STARTTLS), smtps (implicit TLS) and\n" +
			"legacy (AUTH in the clear). Its CA is made fresh at start. Port 0 picks a free port.",
		Example: "  ehlo lab --ca-out /tmp/lab-ca.pem\n  ehlo probe 127.0.0.1:1587 --ca /tmp/lab-ca.pem",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runLab(cmd.Context(), cmd.OutOrStdout(), cfg, caOut)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&cfg.Host, "host", "127.0.0.1", "loopback `address` to listen on")
	fl.IntVar(&cfg.Ports.MX, "mx", cfg.Ports.MX, "`port` of the mx endpoint")
	fl.IntVar(&cfg.Ports.Submission, "submission", cfg.Ports.Submission, "`port` of the submission endpoint")
	fl.IntVar(&cfg.Ports.SMTPS, "smtps", cfg.Ports.SMTPS, "`port` of the smtps endpoint")
	fl.IntVar(&cfg.Ports.Legacy, "legacy", cfg.Ports.Legacy, "`port` of the legacy endpoint")
	fl.StringVar(&caOut, "ca-out", "", "write the CA certificate (PEM) to this `file`; default: a temporary file")
	return cmd
}

func runLab(ctx context.Context, out io.Writer, cfg lab.Config, caOut string) error {
	cfg.OnMessage = func(m lab.Message) {
		fmt.Fprintf(out, "%s  %-10s from <%s> to %s, %d bytes, subject %q\n", m.Received.Format(time.TimeOnly),
			m.Endpoint, m.From, "<"+strings.Join(m.To, ">, <")+">", len(m.Data), m.Subject())
	}
	l, err := lab.Start(cfg)
	if err != nil {
		return err
	}
	defer l.Close()
	if caOut == "" {
		caOut = filepath.Join(os.TempDir(), fmt.Sprintf("ehlo-lab-ca-%d.pem", os.Getpid()))
		defer os.Remove(caOut)
	}
	if err := os.WriteFile(caOut, l.CAPEM(), 0o644); err != nil {
		return err
	}
	fmt.Fprintln(out, "ehlo lab: sandbox SMTP server (Ctrl-C to stop)")
	for _, ep := range l.Endpoints() {
		fmt.Fprintf(out, "  %-11s %-16s %s\n", ep.Name, ep.Addr, ep.Summary)
	}
	fmt.Fprintf(out, "  CA          %s\n  user        %s / %s\n", caOut, lab.User, lab.Password)
	fmt.Fprintf(out, "try: ehlo probe %s --ca %s\n", mustEndpoint(l, "submission"), caOut)
	<-ctx.Done()
	fmt.Fprintln(out, "ehlo lab: stopped")
	return nil
}

func mustEndpoint(l *lab.Lab, name string) string {
	ep, _ := l.Endpoint(name)
	return ep.Addr
}

// doctorFlags are doctor's own flags.
type doctorFlags struct {
	conn                                      connFlags
	user, from                                string
	to                                        []string
	passwordStdin, send, asJSON, trace, inLab bool
	greetingWait                              time.Duration
}

func newDoctor() *cobra.Command {
	var f doctorFlags
	cmd := &cobra.Command{
		Use:   "doctor [flags] TARGET",
		Short: "Diagnose a server: what fails, why, and the fix",
		Long: "doctor runs what a mail administrator would check: connect (and notice a port that wants implicit\n" +
			"TLS, or plaintext), greeting, EHLO, STARTTLS, the certificate, EHLO again, AUTH with --user, MAIL and\n" +
			"RCPT with --from/--to (then RSET, or a small test message with --send), QUIT. It prints numbered\n" +
			"findings, the root cause of what fails first, each with its evidence and fix, and a timing\n" +
			"waterfall. Finding IDs are stable (see --json). The password is read from --password-stdin or\n" +
			"EHLO_PASSWORD and never printed. Exit status: 0 when no finding is an error, 1 otherwise, 2 for usage.",
		Example: "  ehlo doctor smtp.gmail.com:587\n  ehlo doctor --lab submission\n" +
			"  printf '%s\\n' \"$PW\" | ehlo doctor smtp.example.com:587 --user me@example.com --password-stdin\n" +
			"  ehlo doctor mx.example.org --from me@example.com --to postmaster@example.org --json",
		RunE: func(cmd *cobra.Command, args []string) error {
			return f.run(cmd, args)
		},
	}
	f.conn.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&f.user, "user", "", "sign in as this `user` (password from --password-stdin or $EHLO_PASSWORD)")
	fl.BoolVar(&f.passwordStdin, "password-stdin", false, "read the password from the first line of standard input")
	fl.StringVar(&f.from, "from", "", "MAIL FROM `address` to test")
	fl.StringSliceVar(&f.to, "to", nil, "RCPT TO `address` to test (repeat for several)")
	fl.BoolVar(&f.send, "send", false, "send a small test message (Subject: ehlo doctor test) instead of RSET after RCPT")
	fl.BoolVar(&f.asJSON, "json", false, "print JSON: target, findings, timing, transcript")
	fl.BoolVar(&f.trace, "transcript", false, "also print the exchange as C:/S: lines (credentials redacted)")
	fl.BoolVar(&f.inLab, "lab", false, "diagnose the built-in lab (TARGET may name its endpoint: mx, submission, smtps, legacy)")
	fl.DurationVar(&f.greetingWait, "greeting-wait", client.DefaultGreetingWait, "silence in plaintext after which implicit TLS is tried too")
	return cmd
}

func (f *doctorFlags) run(cmd *cobra.Command, args []string) error {
	if len(args) > 1 || (len(args) == 0 && !f.inLab) {
		return usageErr(errors.New("doctor needs one TARGET (or --lab [ENDPOINT])"))
	}
	cfg, err := f.config(cmd)
	if err != nil {
		return err
	}
	if f.inLab {
		l, err := lab.Start(lab.Config{})
		if err != nil {
			return err
		}
		defer l.Close()
		cfg.Options.RootCAs = l.CertPool()
		jobs, err := labJobs(l, args, cfg.Options)
		if err != nil {
			return usageErr(err)
		}
		cfg.Target, cfg.Options = jobs[0].Target, jobs[0].Options
	} else {
		cfg.Target = args[0]
	}
	if err := cfg.Check(); err != nil {
		return usageErr(err)
	}
	cmd.SilenceUsage = true // from here on, a failure is a finding, not a usage error
	res := client.Doctor(cmd.Context(), cfg)
	if err := f.print(cmd.OutOrStdout(), res); err != nil {
		return err
	}
	if res.Failed() {
		return &exitError{code: exitFailed, err: errors.New("doctor found errors"), quiet: true}
	}
	return nil
}

// config builds the doctor's configuration from the flags, reading the
// password from stdin or the environment.
func (f *doctorFlags) config(cmd *cobra.Command) (client.DoctorConfig, error) {
	opts, err := f.conn.options()
	if err != nil {
		return client.DoctorConfig{}, err
	}
	cfg := client.DoctorConfig{Options: opts, User: f.user, From: f.from, To: f.to, Send: f.send,
		GreetingWait: f.greetingWait, Progress: func(s string) { fmt.Fprintln(cmd.ErrOrStderr(), "ehlo doctor: "+s) }}
	switch {
	case f.passwordStdin && f.user == "":
		return cfg, usageErr(errors.New("--password-stdin needs --user"))
	case f.passwordStdin:
		if cfg.Password, err = client.ReadSecretLine(cmd.InOrStdin()); err != nil {
			return cfg, usageErr(fmt.Errorf("--password-stdin: %w", err))
		}
	case f.user != "":
		cfg.Password = os.Getenv("EHLO_PASSWORD")
	}
	return cfg, nil
}

func (f *doctorFlags) print(w io.Writer, res client.DoctorResult) error {
	if f.asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(res.JSON())
	}
	client.WriteDoctor(w, res, client.WaterfallOptions{ASCII: !client.UTF8Locale()})
	if f.trace {
		fmt.Fprintln(w)
		return client.WriteTranscript(w, res.Entries, client.TranscriptFormat{})
	}
	return nil
}
