// Command ehlo is an interactive terminal SMTP session explorer. This file
// holds flags and wiring only; the work is done in the packages.
package main

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/fang/v2"
	"github.com/charmbracelet/colorprofile"
	xterm "github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/lab"
	"github.com/ehlo-sh/ehlo/themes"
	"github.com/ehlo-sh/ehlo/ui"
	"github.com/ehlo-sh/ehlo/wire"
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
	args := os.Args[1:]
	root := newRootFor(args)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	defer catchInterrupt(cancel, interruptAfter, nil)()
	err := fang.Execute(ctx, root, fangOptions(root)...)
	if err != nil {
		os.Exit(exitCode(err))
	}
}

// fangOptions leave out, for a root that holds one subcommand (newRootFor),
// what no run of that subcommand can reach: the man page and completion
// commands and the root's --version, whose build information a probe would
// read at every start for nothing.
func fangOptions(root *cobra.Command) []fang.Option {
	opts := []fang.Option{fang.WithErrorHandler(handleError), fang.WithColorSchemeFunc(themes.HelpColors)}
	if len(root.Commands()) == 1 {
		opts = append(opts, fang.WithoutManpage(), fang.WithoutCompletions(), fang.WithoutVersion())
	}
	return opts
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
	// fang's error style capitalises the first word, turning "--quit-after"
	// into "--Quit-After" and "lesson.ehlo:9" into "Lesson.ehlo:9": print
	// messages as written.
	styles.ErrorText = styles.ErrorText.UnsetTransform()
	fang.DefaultErrorHandler(w, styles, err)
}

// subcommands are ehlo's commands, built on demand: see newRootFor.
var subcommands = []struct {
	name  string
	build func() *cobra.Command
}{{"probe", newProbe}, {"lab", newLab}, {"doctor", newDoctor}, {"send", newSend}, {"run", newRun}}

// newRoot is the whole command tree.
func newRoot() *cobra.Command { return newRootFor(nil) }

// newRootFor is the command tree for running args: when args start with a
// subcommand's name, the root holds that subcommand alone, since defining
// every command's flags is start-up time that a probe or a send would pay
// for nothing (BENCHMARKS.md); otherwise (the explorer, help, completion,
// man pages, a typo to suggest a fix for) it holds them all.
func newRootFor(args []string) *cobra.Command {
	var (
		conn       connFlags
		tui        tuiFlags
		onEndpoint string
	)
	root := &cobra.Command{
		Use:   "ehlo [TARGET]",
		Short: "Explore SMTP sessions: every command, every reply, explained",
		Long: "ehlo opens a raw connection to an SMTP server and shows, live, every command you type and every " +
			"reply the server gives, what it advertises before and after STARTTLS, and its certificate. " +
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
			cfg.CAFile = absPath(conn.ca) // a saved script's replay line works from any directory
			if len(args) == 1 && !cmd.Flags().Changed("lab") {
				if err := checkTarget(args[0]); err != nil {
					return err
				}
				if err := notACommand(cmd, args[0]); err != nil {
					return err
				}
				cfg.Target = args[0]
				return explorerErr(ui.Run(cmd.Context(), cfg, progOpts...))
			}
			if len(args) == 1 {
				return usageErr(errors.New("give a TARGET or --lab, not both"))
			}
			if !slices.Contains(lab.EndpointNames, onEndpoint) {
				return usageErr(noEndpoint(onEndpoint))
			}
			l, err := lab.Start(lab.Config{})
			if err != nil {
				return err
			}
			defer l.Close()
			cfg.Lab, cfg.Endpoint = l, onEndpoint
			return explorerErr(ui.Run(cmd.Context(), cfg, progOpts...))
		},
	}
	root.SuggestionsMinimumDistance = 2 // for notACommand; cobra sets it only on its own path
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErr(err) })
	root.Args = func(cmd *cobra.Command, args []string) error {
		if err := cobra.MaximumNArgs(1)(cmd, args); err != nil {
			return usageErr(err)
		}
		return nil
	}
	conn.register(root)
	tui.register(root)
	root.Flags().StringVar(&onEndpoint, "lab", "submission", "open on this built-in lab endpoint: mx, submission, smtps, legacy")
	for _, sub := range subcommands {
		if len(args) > 0 && args[0] == sub.name {
			root.AddCommand(sub.build())
			return root
		}
	}
	for _, sub := range subcommands {
		root.AddCommand(sub.build())
	}
	return root
}

// tuiFlags are the explorer's own flags.
type tuiFlags struct {
	theme, transcript string
	noMouse           bool
	guided            bool
}

func (f *tuiFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.theme, "theme", "", "colour theme: "+strings.Join(themes.Names(), ", ")+" (default $EHLO_THEME, else auto; NO_COLOR forces mono)")
	fl.StringVar(&f.transcript, "transcript", "", "append the transcript to this file as it happens (credentials redacted)")
	fl.BoolVar(&f.noMouse, "no-mouse", false, "leave the mouse to the terminal, for native text selection")
	fl.BoolVar(&f.guided, "guided", false, "start in guided mode: a card shows the next step of a session, prefilled (F9 toggles)")
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
		Guided:     f.guided,
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
	fl.StringVar(&f.ca, "ca", "", "trust the CA certificates in this PEM file")
	fl.StringVar(&f.serverName, "servername", "", "server name to send in TLS (SNI) and to verify; default: the target's host")
	fl.StringVar(&f.helo, "helo", client.DefaultHelo, "name to send with EHLO/HELO")
	fl.DurationVar(&f.timeout, "timeout", 30*time.Second, "deadline for each exchange")
}

func (f *connFlags) options() (client.Options, error) {
	opts := client.Options{ImplicitTLS: f.tls, NoStartTLS: f.noStartTLS, Insecure: f.insecure,
		ServerName: f.serverName, Helo: f.helo, Timeout: f.timeout}
	if f.timeout <= 0 {
		return opts, usageErr(fmt.Errorf("--timeout %v: give a duration above zero, such as 30s: every exchange has a deadline", f.timeout))
	}
	if f.ca != "" {
		pool, err := client.LoadCA(f.ca)
		if err != nil {
			return opts, usageErr(err)
		}
		opts.RootCAs = pool
	}
	return opts, nil
}

// notACommand rejects a TARGET that looks like a mistyped command ("prbe"):
// a bare word close to a command's name. A host of that name can still be
// explored with its port ("prbe:25").
func notACommand(root *cobra.Command, target string) error {
	if strings.ContainsAny(target, ".:[") {
		return nil
	}
	if near := root.SuggestionsFor(target); len(near) > 0 {
		return usageErr(fmt.Errorf("unknown command %q: did you mean %q? (to explore a host of that name, give its port: %s:25)", target, near[0], target))
	}
	return nil
}

// explorerErr explains the explorer's failure to find a terminal.
func explorerErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) && pe.Path == "/dev/tty" {
		return usageErr(errors.New("the explorer needs a terminal, and there is none here; from scripts, use ehlo probe, send, doctor or run"))
	}
	return err
}

// labFlag is the --lab of probe, doctor and send: on alone, and it may
// also name the endpoint (--lab=mx), as a TARGET naming it does.
type labFlag struct {
	on   *bool
	name string
}

// labVar defines --lab on fs, turning *on on.
func labVar(fs *pflag.FlagSet, on *bool, usage string) *labFlag {
	f := &labFlag{on: on}
	fs.VarPF(f, "lab", "", usage).NoOptDefVal = "true"
	return f
}

func (f *labFlag) String() string   { return strconv.FormatBool(*f.on) }
func (f *labFlag) Type() string     { return "bool" }
func (f *labFlag) IsBoolFlag() bool { return true }

func (f *labFlag) Set(s string) error {
	if b, err := strconv.ParseBool(s); err == nil {
		*f.on = b
		return nil
	}
	if !slices.Contains(lab.EndpointNames, s) {
		return noEndpoint(s)
	}
	*f.on, f.name = true, s
	return nil
}

// args puts the endpoint named by --lab=NAME before the arguments.
func (f *labFlag) args(args []string) []string {
	if f.name == "" {
		return args
	}
	return append([]string{f.name}, args...)
}

// absPath is path made absolute, when it can be; "" stays "".
func absPath(path string) string {
	if abs, err := filepath.Abs(path); path != "" && err == nil {
		return abs
	}
	return path
}

// checkTarget rejects, as a usage error, a TARGET that names no host and
// port (wire.ParseTarget).
func checkTarget(target string) error {
	if _, _, err := wire.ParseTarget(target); err != nil {
		return usageErr(errors.New(strings.TrimPrefix(err.Error(), "wire: ")))
	}
	return nil
}

func newProbe() *cobra.Command {
	var (
		conn                      connFlags
		asJSON, transcript, inLab bool
		parallel                  int
		labArg                    *labFlag
	)
	cmd := &cobra.Command{
		Use:   "probe [flags] TARGET...",
		Short: "Show what servers advertise before and after STARTTLS",
		Long: "probe connects, reads the greeting, sends EHLO (HELO if refused), upgrades with STARTTLS when " +
			"offered, sends EHLO again and quits. It prints the capabilities before and after TLS, what " +
			"appeared or vanished, and the certificate. TARGET is host, host:port, [v6]:port or a bare IPv6 " +
			"address; the port defaults to 25, and 465 means implicit TLS.",
		Example: "  ehlo probe --lab\n  ehlo probe --lab --json mx submission smtps legacy\n" +
			"  ehlo probe smtp.gmail.com:587 --transcript\n  ehlo probe 127.0.0.1:1587 --ca /tmp/lab-ca.pem",
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := conn.options()
			if err != nil {
				return err
			}
			args = labArg.args(args)
			jobs := make([]client.Job, 0, len(args))
			for _, t := range args {
				if err := checkTarget(t); err != nil && !inLab {
					return err
				}
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
			if inLab { // name each result by the endpoint asked for, not its loopback port
				for i, name := range labNames(args) {
					results[i].Target = "lab " + name
				}
			}
			return printProbes(cmd.OutOrStdout(), cmd.ErrOrStderr(), results, asJSON, transcript)
		},
	}
	conn.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON: one object per target, an array for several")
	cmd.Flags().BoolVar(&transcript, "transcript", false, "print the exchange as C:/S: lines (credentials redacted)")
	labArg = labVar(cmd.Flags(), &inLab, "probe the built-in lab (TARGETs may name its endpoints: mx, submission, smtps, legacy)")
	cmd.Flags().IntVar(&parallel, "parallel", 8, "probe at most n targets at once")
	return cmd
}

// labJobs maps endpoint names to the in-process lab's addresses; no name
// means the submission endpoint.
func labJobs(l *lab.Lab, names []string, opts client.Options) ([]client.Job, error) {
	var jobs []client.Job
	for _, n := range labNames(names) {
		ep, ok := l.Endpoint(n)
		if !ok {
			return nil, noEndpoint(n)
		}
		o := opts
		o.ImplicitTLS = o.ImplicitTLS || ep.ImplicitTLS
		jobs = append(jobs, client.Job{Target: ep.Addr, Options: o})
	}
	return jobs, nil
}

// labNames are the lab endpoints named, the submission endpoint when none.
func labNames(names []string) []string {
	if len(names) == 0 {
		return []string{"submission"}
	}
	return names
}

// noEndpoint is the error for a lab endpoint that does not exist.
func noEndpoint(name string) error {
	return fmt.Errorf("the lab has no endpoint %q (it has %s)", name, strings.Join(lab.EndpointNames, ", "))
}

func printProbes(w, errOut io.Writer, results []client.ProbeResult, asJSON, transcript bool) error {
	out := bufio.NewWriter(w) // one write, not one per line
	defer out.Flush()
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
		Long: "lab runs four loopback SMTP endpoints that reproduce real-world cases: mx (STARTTLS, no AUTH, " +
			"relay denied), submission (like Gmail's 587: AUTH only after STARTTLS), smtps (implicit TLS) and " +
			"legacy (AUTH in the clear). Its CA is made fresh at start. Port 0 picks a free port.",
		Example: "  ehlo lab --ca-out /tmp/lab-ca.pem\n  ehlo probe 127.0.0.1:1587 --ca /tmp/lab-ca.pem",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runLab(cmd.Context(), cmd.OutOrStdout(), cfg, caOut)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&cfg.Host, "host", "127.0.0.1", "loopback address to listen on")
	fl.IntVar(&cfg.Ports.MX, "mx", cfg.Ports.MX, "port of the mx endpoint")
	fl.IntVar(&cfg.Ports.Submission, "submission", cfg.Ports.Submission, "port of the submission endpoint")
	fl.IntVar(&cfg.Ports.SMTPS, "smtps", cfg.Ports.SMTPS, "port of the smtps endpoint")
	fl.IntVar(&cfg.Ports.Legacy, "legacy", cfg.Ports.Legacy, "port of the legacy endpoint")
	fl.StringVar(&caOut, "ca-out", "", "write the CA certificate (PEM) to this file; default: a temporary file")
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
	labArg                                    *labFlag
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
		Long: "doctor runs what a mail administrator would check: connect (and notice a port that wants implicit " +
			"TLS, or plaintext), greeting, EHLO, STARTTLS, the certificate, EHLO again, AUTH with --user, MAIL and " +
			"RCPT with --from/--to (then RSET, or a small test message with --send), QUIT. It prints numbered " +
			"findings, the root cause of what fails first, each with its evidence and fix, and a timing " +
			"waterfall. Finding IDs are stable (see --json). The password is read from --password-stdin or " +
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
	fl.StringVar(&f.user, "user", "", "sign in as this user (password from --password-stdin or $EHLO_PASSWORD)")
	fl.BoolVar(&f.passwordStdin, "password-stdin", false, "read the password from the first line of standard input")
	fl.StringVar(&f.from, "from", "", "sender address to test (MAIL FROM)")
	fl.StringSliceVar(&f.to, "to", nil, "recipient address to test (RCPT TO; repeat for several)")
	fl.BoolVar(&f.send, "send", false, "send a small test message (Subject: ehlo doctor test) instead of RSET after RCPT")
	fl.BoolVar(&f.asJSON, "json", false, "print JSON: target, findings, timing, transcript")
	fl.BoolVar(&f.trace, "transcript", false, "also print the exchange as C:/S: lines (credentials redacted)")
	f.labArg = labVar(fl, &f.inLab, "diagnose the built-in lab (TARGET may name its endpoint: mx, submission, smtps, legacy)")
	fl.DurationVar(&f.greetingWait, "greeting-wait", client.DefaultGreetingWait, "silence in plaintext after which implicit TLS is tried too")
	return cmd
}

func (f *doctorFlags) run(cmd *cobra.Command, args []string) error {
	args = f.labArg.args(args)
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
		if cfg.Password, err = passwordFromStdin(cmd); err != nil {
			return cfg, err
		}
	case f.user != "":
		cfg.Password = os.Getenv("EHLO_PASSWORD")
		if cfg.Password == "" && f.inLab && f.user == lab.User {
			cfg.Password = lab.Password // the lab's own account, as send --lab signs in with it
		}
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

// Exit codes of ehlo send: one per step of the session, so that a script
// can tell where it failed (README, "ehlo send"). 1 and 2 keep their
// meaning: another failure, and a wrong command line.
const (
	exitConnect = 3  // no connection
	exitBanner  = 4  // no greeting, or a refusing one
	exitHello   = 5  // EHLO and HELO refused
	exitTLS     = 6  // STARTTLS refused, or required and not offered; TLS handshake or certificate failed
	exitAuth    = 7  // AUTH refused, not offered, or not allowed in clear
	exitMail    = 8  // MAIL refused, or the message cannot go: over SIZE, needs SMTPUTF8
	exitRcpt    = 9  // no recipient accepted
	exitData    = 10 // DATA refused
	exitDataEnd = 11 // the message refused after its final ".", or the link broke while it went
)

var stepExits = map[string]int{
	client.StepConnect: exitConnect, client.StepGreeting: exitBanner, client.StepHello: exitHello,
	client.StepStartTLS: exitTLS, client.StepAuth: exitAuth, client.StepMail: exitMail,
	client.StepRcpt: exitRcpt, client.StepData: exitData, client.StepDataEnd: exitDataEnd,
}

// sendExit is the exit code of a failed send.
func sendExit(err error) int {
	var se *client.StepError
	if errors.As(err, &se) {
		if code, ok := stepExits[se.Step]; ok {
			return code
		}
	}
	return exitFailed
}

// sendFlags are send's own flags.
type sendFlags struct {
	labArg                                   *labFlag
	conn                                     connFlags
	from, subject, body, html                string
	to, cc, bcc, headers, attach             []string
	auth, user, starttls, quitAfter          string
	transcript                               string
	passwordStdin, pipelining, asJSON, inLab bool
	labPassword                              string // the lab account's, when --lab signs in as it
}

func newSend() *cobra.Command {
	var f sendFlags
	cmd := &cobra.Command{
		Use:   "send [flags] TARGET",
		Short: "Compose and send one message, showing every exchange",
		Long: "send composes an RFC 5322 / MIME message (text, HTML alternative, attachments streamed from disk) " +
			"and sends it: greeting, EHLO, STARTTLS, EHLO again, AUTH, MAIL (with SIZE, BODY=8BITMIME and " +
			"SMTPUTF8 as needed), RCPT, DATA. It prints the exchange as C:/S: lines, credentials redacted, then " +
			"each recipient's reply. Bcc goes to the envelope only. The exit status says which step failed: " +
			"3 connect, 4 banner, 5 EHLO, 6 STARTTLS/TLS, 7 AUTH, 8 MAIL, 9 RCPT, 10 DATA, 11 after DATA.",
		Example: "  ehlo send --lab\n" +
			"  ehlo send --lab --to bob@lab.test --subject 'Grüße' --body @note.txt --attach report.pdf\n" +
			"  printf '%s\\n' \"$PW\" | ehlo send smtp.example.com:587 --user me@example.com --password-stdin \\\n" +
			"      --from me@example.com --to you@example.org --html mail.html --attach 'data.csv;type=text/csv'\n" +
			"  ehlo send mx.example.org --from me@example.com --to postmaster@example.org --quit-after rcpt",
		RunE: func(cmd *cobra.Command, args []string) error { return f.run(cmd, args) },
	}
	f.conn.register(cmd)
	fl := cmd.Flags()
	_ = fl.MarkHidden("no-starttls") // --starttls never says it
	fl.StringVar(&f.from, "from", "", "sender address, for From: and MAIL FROM")
	fl.StringArrayVar(&f.to, "to", nil, "recipient address for To: (repeat, or a list)")
	fl.StringArrayVar(&f.cc, "cc", nil, "recipient address for Cc: (repeat, or a list)")
	fl.StringArrayVar(&f.bcc, "bcc", nil, "recipient address for the envelope only, never in the header")
	fl.StringArrayVar(&f.headers, "header", nil, "add a header field 'Name: value'; it replaces a generated one of that name")
	fl.StringVar(&f.subject, "subject", "test from ehlo", "the subject (non-ASCII is encoded, RFC 2047)")
	fl.StringVar(&f.body, "body", "", "the text body: TEXT, @FILE, or - for standard input")
	fl.StringVar(&f.html, "html", "", "an HTML alternative from this file (multipart/alternative)")
	fl.StringArrayVar(&f.attach, "attach", nil, "attach FILE[;type=TYPE][;name=NAME] in base64 (repeat for several)")
	fl.StringVar(&f.auth, "auth", "", "sign in with this mechanism: PLAIN, LOGIN, CRAM-MD5, XOAUTH2 or auto; --user alone means auto")
	fl.StringVar(&f.user, "user", "", "sign in as this user (password: --password-stdin, $EHLO_PASSWORD, or asked on a terminal)")
	fl.BoolVar(&f.passwordStdin, "password-stdin", false, "read the password from the first line of standard input")
	fl.StringVar(&f.starttls, "starttls", client.StartTLSAuto, "when to upgrade with STARTTLS: auto (when offered), require, never")
	fl.StringVar(&f.quitAfter, "quit-after", "", "stop after this step: "+strings.Join(client.QuitAfter, ", "))
	fl.BoolVar(&f.pipelining, "pipelining", false, "send MAIL, RCPT and DATA at once when PIPELINING is offered (RFC 2920)")
	fl.StringVar(&f.transcript, "transcript", "", "also write the exchange to this file (mode 0600, credentials redacted)")
	fl.BoolVar(&f.asJSON, "json", false, "print JSON: replies, recipients, result and transcript")
	f.labArg = labVar(fl, &f.inLab, "send to the built-in lab (TARGET may name its endpoint) and show what it received")
	return cmd
}

func (f *sendFlags) run(cmd *cobra.Command, args []string) error {
	args = f.labArg.args(args)
	if len(args) > 1 || (len(args) == 0 && !f.inLab) {
		return usageErr(errors.New("send needs one TARGET (or --lab [ENDPOINT])"))
	}
	opts, err := f.conn.options()
	if err != nil {
		return err
	}
	var l *lab.Lab
	target := ""
	if f.inLab {
		if l, err = lab.Start(lab.Config{}); err != nil {
			return err
		}
		defer l.Close()
		opts.RootCAs = l.CertPool()
		jobs, err := labJobs(l, args, opts)
		if err != nil {
			return usageErr(err)
		}
		target, opts = jobs[0].Target, jobs[0].Options
		f.labDefaults(args)
	} else {
		target = args[0]
	}
	cfg, cleanup, err := f.config(cmd, target, opts)
	defer cleanup()
	if err != nil {
		return err
	}
	return f.send(cmd, cfg, l)
}

// labDefaults fill in the lab's test account: From and To alice@lab.test,
// and AUTH as alice where the endpoint has AUTH.
func (f *sendFlags) labDefaults(args []string) {
	if f.from == "" {
		f.from = lab.User + "@" + lab.Domain
	}
	if len(f.to)+len(f.cc)+len(f.bcc) == 0 {
		f.to = []string{lab.User + "@" + lab.Domain}
	}
	if f.user == "" && (len(args) == 0 || args[0] != "mx") {
		f.user, f.labPassword = lab.User, lab.Password
	}
}

// config builds the send from the flags. cleanup removes the spool file
// of a body read from standard input.
func (f *sendFlags) config(cmd *cobra.Command, target string, opts client.Options) (client.SendConfig, func(), error) {
	cleanup := func() {}
	m, rcpts, err := f.envelope()
	if err != nil {
		return client.SendConfig{}, cleanup, usageErr(err)
	}
	if m.Text, cleanup, err = f.bodyContent(cmd); err != nil {
		return client.SendConfig{}, cleanup, usageErr(err)
	}
	if f.html != "" {
		m.HTML = client.Content{File: f.html}
	}
	if err := f.parts(m); err != nil {
		return client.SendConfig{}, cleanup, usageErr(err)
	}
	cfg := client.SendConfig{Target: target, Options: opts, Message: m, Rcpts: rcpts, Auth: f.auth, User: f.user,
		StartTLS: f.starttls, QuitAfter: strings.ToLower(f.quitAfter), Pipelining: f.pipelining}
	if f.conn.noStartTLS {
		cfg.StartTLS = client.StartTLSNever
	}
	if cfg.User != "" && cfg.Auth == "" {
		cfg.Auth = "auto"
	}
	if cfg.Password, err = f.password(cmd); err != nil {
		return cfg, cleanup, err
	}
	if err := cfg.Check(); err != nil {
		return cfg, cleanup, usageErr(err)
	}
	return cfg, cleanup, nil
}

// envelope parses the addresses: the header's, and the envelope's (To,
// Cc and Bcc, each once).
func (f *sendFlags) envelope() (*client.Message, []string, error) {
	if f.from == "" {
		return nil, nil, errors.New("send needs --from")
	}
	from, err := mail.ParseAddress(f.from)
	if err != nil {
		return nil, nil, fmt.Errorf("--from %q: %w", f.from, err)
	}
	m := &client.Message{From: from, Subject: f.subject}
	var rcpts []string
	lists := []struct {
		flag string
		in   []string
		out  *[]*mail.Address
	}{{"--to", f.to, &m.To}, {"--cc", f.cc, &m.Cc}, {"--bcc", f.bcc, nil}}
	for _, l := range lists {
		for _, s := range l.in {
			addrs, err := mail.ParseAddressList(s)
			if err != nil {
				return nil, nil, fmt.Errorf("%s %q: %w", l.flag, s, err)
			}
			if l.out != nil {
				*l.out = append(*l.out, addrs...)
			}
			for _, a := range addrs {
				if !slices.Contains(rcpts, a.Address) {
					rcpts = append(rcpts, a.Address)
				}
			}
		}
	}
	return m, rcpts, nil
}

// bodyContent reads --body: TEXT, @FILE, or - (standard input, spooled to
// a temporary file so its size is known and it is never all in memory).
func (f *sendFlags) bodyContent(cmd *cobra.Command) (client.Content, func(), error) {
	none := func() {}
	switch {
	case f.body == "-" && f.passwordStdin:
		return client.Content{}, none, errors.New("--body - and --password-stdin both want standard input")
	case f.body == "-":
		return spoolStdin(cmd.InOrStdin())
	case strings.HasPrefix(f.body, "@"):
		return client.Content{File: f.body[1:]}, none, nil
	case f.body == "" && f.html == "" && len(f.attach) == 0:
		return client.Content{Text: "This is a test message sent by ehlo.\n"}, none, nil
	}
	return client.Content{Text: f.body}, none, nil
}

func spoolStdin(r io.Reader) (client.Content, func(), error) {
	tmp, err := os.CreateTemp("", "ehlo-body-*")
	if err != nil {
		return client.Content{}, func() {}, err
	}
	cleanup := func() { os.Remove(tmp.Name()) }
	_, err = io.Copy(tmp, r)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	return client.Content{File: tmp.Name()}, cleanup, err
}

// parts adds the header fields and attachments, then scans the message.
func (f *sendFlags) parts(m *client.Message) error {
	for _, h := range f.headers {
		field, err := client.ParseHeaderField(h)
		if err != nil {
			return err
		}
		m.Header = append(m.Header, field)
	}
	for _, a := range f.attach {
		att, err := client.ParseAttachment(a)
		if err != nil {
			return err
		}
		m.Attachments = append(m.Attachments, att)
	}
	return m.Scan()
}

// password reads it from standard input, the environment or, on a
// terminal, a masked prompt. It is never printed.
func (f *sendFlags) password(cmd *cobra.Command) (string, error) {
	switch {
	case f.user == "":
		if f.passwordStdin {
			return "", usageErr(errors.New("--password-stdin needs --user"))
		}
		return "", nil
	case f.passwordStdin:
		return passwordFromStdin(cmd)
	case f.labPassword != "":
		return f.labPassword, nil
	case os.Getenv("EHLO_PASSWORD") != "":
		return os.Getenv("EHLO_PASSWORD"), nil
	}
	return askSecret(cmd, "password for "+f.user)
}

// passwordFromStdin reads the line --password-stdin promises; an empty one
// is a usage error, not a password.
func passwordFromStdin(cmd *cobra.Command) (string, error) {
	pw, err := client.ReadSecretLine(cmd.InOrStdin())
	switch {
	case err != nil:
		return "", usageErr(fmt.Errorf("--password-stdin: %w", err))
	case pw == "":
		return "", usageErr(errors.New("--password-stdin: standard input held no password (its first line is empty)"))
	}
	return pw, nil
}

// askSecret asks on the terminal without echo; without a terminal it is a
// usage error, for scripts must not hang on a prompt.
func askSecret(cmd *cobra.Command, what string) (string, error) {
	in, ok := cmd.InOrStdin().(*os.File)
	if !ok || !xterm.IsTerminal(in.Fd()) {
		return "", usageErr(fmt.Errorf("no %s: give it in the environment (see --help), there is no terminal to ask on", what))
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "%s (not shown): ", what)
	b, err := xterm.ReadPassword(in.Fd())
	fmt.Fprintln(cmd.ErrOrStderr())
	return string(b), err
}

// send runs the send, printing the exchange as it happens.
func (f *sendFlags) send(cmd *cobra.Command, cfg client.SendConfig, l *lab.Lab) error {
	out, errOut := cmd.OutOrStdout(), cmd.ErrOrStderr()
	tr := wire.NewTranscript()
	stop, err := followTranscript(tr, out, f.transcript, !f.asJSON)
	if err != nil {
		return usageErr(err)
	}
	clearBar := progressBar(errOut, &cfg, f.asJSON)
	res := client.Send(cmd.Context(), cfg, tr)
	clearBar()
	stop()
	if err := f.report(out, res, l); err != nil {
		return err
	}
	if res.Err != nil {
		fmt.Fprintf(errOut, "ehlo send: %s\n", client.Explain(res.Err))
		return &exitError{code: sendExit(res.Err), err: res.Err, quiet: true}
	}
	return nil
}

// followTranscript prints entries as they are recorded, message data cut
// after 40 lines, to out when show and to the file path when given.
func followTranscript(tr *wire.Transcript, out io.Writer, path string, show bool) (stop func(), err error) {
	var cancels []func()
	stop = func() {
		for _, c := range cancels {
			c()
		}
	}
	if show {
		el := &client.DataElider{Max: 40}
		cancels = append(cancels, tr.Subscribe(func(e wire.Entry) {
			_ = client.WriteTranscript(out, el.Filter(e), client.TranscriptFormat{})
		}))
	}
	if path != "" {
		file, err := client.OpenPrivate(path, os.O_TRUNC)
		if err != nil {
			return stop, fmt.Errorf("transcript file: %w", err)
		}
		el := &client.DataElider{Max: 40}
		cancels = append(cancels, tr.Subscribe(func(e wire.Entry) {
			_ = client.WriteTranscript(file, el.Filter(e), client.TranscriptFormat{Times: true})
		}), func() { file.Close() })
	}
	return stop, nil
}

// progressBar shows a bar on standard error for a message over 1 MiB
// when it is a terminal, after the first half second.
func progressBar(errOut io.Writer, cfg *client.SendConfig, quiet bool) (clear func()) {
	fd, ok := errOut.(*os.File)
	if quiet || !ok || !xterm.IsTerminal(fd.Fd()) {
		return func() {}
	}
	start, shown := time.Now(), false
	cfg.Progress = func(sent, total int64) {
		if total >= 1<<20 && time.Since(start) > 500*time.Millisecond {
			fmt.Fprint(errOut, "\r"+client.ProgressBar(sent, total, time.Since(start)))
			shown = true
		}
	}
	return func() {
		if shown {
			fmt.Fprint(errOut, "\r\x1b[K")
		}
	}
}

// report prints the result: per recipient and what a refusal means, or
// JSON; with the lab, what it received.
func (f *sendFlags) report(out io.Writer, res client.SendResult, l *lab.Lab) error {
	if f.asJSON {
		v := struct {
			client.SendJSON
			Received []labMessageJSON `json:"lab_received,omitempty"`
		}{SendJSON: res.JSON(40)}
		if l != nil {
			for _, m := range l.Messages() {
				v.Received = append(v.Received, labMessageJSON{Endpoint: m.Endpoint, From: m.From, To: m.To, Size: len(m.Data), User: m.User})
			}
		}
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	fmt.Fprintln(out)
	client.WriteSend(out, res)
	if l == nil {
		return nil
	}
	for _, m := range l.Messages() {
		fmt.Fprintf(out, "\nthe lab's %s endpoint received, from <%s> to <%s> (%d bytes):\n", m.Endpoint, m.From,
			strings.Join(m.To, ">, <"), len(m.Data))
		if err := client.WriteReceived(out, m.Data); err != nil {
			fmt.Fprintf(out, "  %v\n", err)
		}
	}
	return nil
}

// labMessageJSON is what the lab received, for send --lab --json.
type labMessageJSON struct {
	Endpoint string   `json:"endpoint"`
	From     string   `json:"from"`
	To       []string `json:"to"`
	Size     int      `json:"size"`
	User     string   `json:"user,omitempty"`
}

func newRun() *cobra.Command {
	var (
		conn         connFlags
		inLab        bool
		labArg       *labFlag
		transcriptTo string
	)
	cmd := &cobra.Command{
		Use:   "run [flags] FILE [TARGET]",
		Short: "Replay a session script and check every expect",
		Long: "run replays a session script: SMTP command lines, ':auth MECH USER', message lines after DATA, and " +
			"'expect CODE [TEXT]' lines that check the reply to the command before them (250, 2xx, 250|251). " +
			"The target comes from TARGET, a '# target: HOST:PORT' line, or '# lab: ENDPOINT' (the built-in " +
			"lab). Placeholders such as {{password}} are read from EHLO_PASSWORD or EHLO_VAR_<NAME>, else " +
			"asked for on the terminal, and never shown. :save --script FILE in the explorer writes one. " +
			"Exit status: 0 every expect met, 1 an expect failed, 2 a bad script or command line, 3 the " +
			"session could not start or broke.",
		Example: "  ehlo run lesson1.ehlo\n  ehlo run --lab lesson1.ehlo\n" +
			"  EHLO_PASSWORD=... ehlo run regress.ehlo smtp.example.com:587 --transcript run.log",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return usageErr(errors.New("run needs a script FILE, and may take a TARGET"))
			}
			opts, err := conn.options()
			if err != nil {
				return err
			}
			return runScript(cmd, args, opts, inLab, labArg.name, transcriptTo)
		},
	}
	conn.register(cmd)
	labArg = labVar(cmd.Flags(), &inLab, "run against the built-in lab (--lab=NAME names the endpoint; else the script's '# lab:' line, else submission)")
	cmd.Flags().StringVar(&transcriptTo, "transcript", "", "also write the exchange to this file (mode 0600, credentials redacted)")
	return cmd
}

// Exit codes of ehlo run beyond 1 (an expect failed) and 2 (usage).
const exitRunBroken = 3 // the session could not start or broke

func runScript(cmd *cobra.Command, args []string, opts client.Options, inLab bool, endpoint, transcriptTo string) error {
	f, err := os.Open(args[0])
	if err != nil {
		return usageErr(err)
	}
	s, err := client.ParseScript(args[0], f)
	f.Close()
	if err != nil {
		return usageErr(err)
	}
	cfg := client.RunConfig{Options: opts, Vars: map[string]string{}}
	if s.TLS == "implicit" {
		cfg.Options.ImplicitTLS = true
	}
	switch {
	case len(args) == 2:
		if err := checkTarget(args[1]); err != nil {
			return err
		}
		cfg.Target = args[1]
	case inLab || s.Lab != "":
		l, err := lab.Start(lab.Config{})
		if err != nil {
			return err
		}
		defer l.Close()
		if cfg.Target, cfg.Options, err = labTarget(l, cmp.Or(endpoint, s.Lab), cfg.Options); err != nil {
			return usageErr(err)
		}
		cfg.Vars["user"], cfg.Vars["password"] = lab.User, lab.Password
	case s.Target != "":
		cfg.Target = s.Target
	default:
		return usageErr(fmt.Errorf("%s: no target: give TARGET, or put '# target: HOST:PORT' in the script", args[0]))
	}
	if err := scriptVars(cmd, s, cfg.Vars); err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	tr := wire.NewTranscript()
	stop, err := followTranscript(tr, out, transcriptTo, true)
	if err != nil {
		return usageErr(err)
	}
	res := client.RunScript(cmd.Context(), s, cfg, tr)
	stop()
	switch {
	case res.Failure != nil:
		fmt.Fprintf(cmd.ErrOrStderr(), "ehlo run: %s\n", res.Failure)
		return &exitError{code: exitFailed, err: res.Failure, quiet: true}
	case res.Err != nil:
		fmt.Fprintf(cmd.ErrOrStderr(), "ehlo run: %s\n", client.Explain(res.Err))
		return &exitError{code: exitRunBroken, err: res.Err, quiet: true}
	}
	fmt.Fprintf(out, "ok: %s: %d expectations met\n", args[0], res.Checked)
	return nil
}

// labTarget is the address of a lab endpoint ("" means submission).
func labTarget(l *lab.Lab, name string, opts client.Options) (string, client.Options, error) {
	var names []string
	if name != "" {
		names = []string{name}
	}
	opts.RootCAs = l.CertPool()
	jobs, err := labJobs(l, names, opts)
	if err != nil {
		return "", opts, err
	}
	return jobs[0].Target, jobs[0].Options, nil
}

// scriptVars gives each placeholder a value: what is already known (the
// lab's account), EHLO_VAR_<NAME>, EHLO_PASSWORD for {{password}}, or a
// masked answer on the terminal.
func scriptVars(cmd *cobra.Command, s *client.Script, vars map[string]string) error {
	for _, name := range s.Vars() {
		env := "EHLO_VAR_" + strings.ToUpper(name)
		switch {
		case vars[name] != "": // the lab's account
		case os.Getenv(env) != "":
			vars[name] = os.Getenv(env)
		case name == "password" && os.Getenv("EHLO_PASSWORD") != "":
			vars[name] = os.Getenv("EHLO_PASSWORD")
		default:
			if name == "password" {
				env = "EHLO_PASSWORD" // the documented one; EHLO_VAR_PASSWORD works too
			}
			v, err := askSecret(cmd, fmt.Sprintf("{{%s}} (or set %s)", name, env))
			if err != nil {
				return err
			}
			vars[name] = v
		}
	}
	return nil
}
