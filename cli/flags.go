package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	xterm "github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/lab"
	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

// connFlags are the connection flags shared by the commands that dial.
type connFlags struct {
	tls, insecure, noStartTLS bool
	ca, serverName, helo      string
	tlsMin                    string
	timeout, greetingWait     time.Duration
	dataTimeout               time.Duration
	transport                 transportFlags // where the bytes go: cli/transportflags.go
	tlsx                      tlsFlags       // --tls-max, --ciphers, --cert... (tlsflags.go)
	fs                        *pflag.FlagSet // to tell a flag given from its default: --tls=false from no --tls, an explicit --timeout
}

// registerData adds --data-timeout, for the commands that send a message.
func (f *connFlags) registerData(cmd *cobra.Command) {
	cmd.Flags().DurationVar(&f.dataTimeout, "data-timeout", client.DefaultDataTimeout,
		`wait for the reply to the final "." (RFC 5321: 10 minutes); an explicit --timeout sets it too`)
}

func (f *connFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	f.fs = fl
	fl.BoolVar(&f.tls, "tls", false, "implicit TLS from the first byte (the default on port 465; --tls=false: plaintext even there)")
	fl.BoolVar(&f.insecure, "insecure", false, "go on when the certificate does not verify (shown as UNVERIFIED)")
	fl.BoolVar(&f.noStartTLS, "no-starttls", false, "do not upgrade with STARTTLS")
	fl.StringVar(&f.ca, "ca", "", "trust the CA certificates in this PEM file")
	fl.StringVar(&f.serverName, "servername", "", "server name to send in TLS (SNI) and to verify; default: the target's host")
	fl.StringVar(&f.helo, "helo", client.DefaultHelo, "name to send with EHLO/HELO")
	fl.DurationVar(&f.timeout, "timeout", 30*time.Second, "deadline for each exchange, the connect included")
	fl.DurationVar(&f.greetingWait, "greeting-wait", client.DefaultGreetingWait,
		"silence in plaintext after which implicit TLS is tried too, on a second connection (0: never)")
	fl.StringVar(&f.tlsMin, "tls-min", "1.2", "lowest TLS version to accept: 1.0, 1.1, 1.2 or 1.3 (below 1.2 is shown as weak)")
	f.transport.register(fl)
	f.tlsx.register(cmd)
}

func (f *connFlags) options() (client.Options, error) {
	opts := client.Options{ImplicitTLS: f.tls, Plain: f.fs != nil && f.fs.Changed("tls") && !f.tls,
		NoStartTLS: f.noStartTLS, Insecure: f.insecure, ServerName: f.serverName, Helo: f.helo, Timeout: f.timeout,
		GreetingWait: f.greetingWait}
	if f.timeout <= 0 {
		return opts, usageErr(fmt.Errorf("--timeout %v: give a duration above zero, such as 30s: every exchange has a deadline", f.timeout))
	}
	if _, err := session.Ehlo(f.helo); f.helo != "" && err != nil {
		return opts, usageErr(fmt.Errorf("--helo %q: give one host name or address literal ([192.0.2.1]), without spaces, CR or LF", f.helo))
	}
	if f.greetingWait < 0 {
		return opts, usageErr(fmt.Errorf("--greeting-wait %v: give a duration, such as 5s, or 0 never to try implicit TLS", f.greetingWait))
	}
	if f.greetingWait == 0 {
		opts.GreetingWait = -1 // client: never
	}
	v, ok := client.ParseTLSVersion(f.tlsMin)
	if !ok {
		return opts, usageErr(fmt.Errorf("--tls-min %q: want 1.0, 1.1, 1.2 or 1.3", f.tlsMin))
	}
	opts.MinTLS = v
	if err := f.tlsx.apply(&opts); err != nil {
		return opts, err
	}
	if opts.DataTimeout = f.dataWait(); opts.DataTimeout <= 0 {
		return opts, usageErr(fmt.Errorf("--data-timeout %v: give a duration above zero, such as 10m", opts.DataTimeout))
	}
	if err := f.transport.apply(&opts); err != nil {
		return opts, err
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

// dataWait is how long the reply to the final "." may take: --data-timeout
// when given, else --timeout when given (a user who shortens every wait
// means this one too), else RFC 5321's 10 minutes.
func (f *connFlags) dataWait() time.Duration {
	switch {
	case f.fs.Changed("data-timeout"):
		return f.dataTimeout
	case f.fs.Changed("timeout"):
		return f.timeout
	}
	return client.DefaultDataTimeout
}

// checkTarget rejects, as a usage error, a TARGET that names no host and
// port (wire.ParseTarget).
func checkTarget(target string) error {
	if _, _, err := wire.ParseTarget(target); err != nil {
		return usageErr(errors.New(strings.TrimPrefix(err.Error(), "wire: ")))
	}
	return nil
}

// absPath is path made absolute, when it can be; "" stays "".
func absPath(path string) string {
	if abs, err := filepath.Abs(path); path != "" && err == nil {
		return abs
	}
	return path
}

// labFlags are --lab of probe, doctor, send and run: on alone, and it may
// also name the endpoint (--lab=mx), as a TARGET naming it does.
type labFlags struct {
	on   bool
	name string
}

func (f *labFlags) register(fs *pflag.FlagSet, usage string) {
	fs.VarPF((*labValue)(f), "lab", "", usage).NoOptDefVal = "true"
}

// args puts the endpoint named by --lab=NAME before the arguments.
func (f *labFlags) args(args []string) []string {
	if f.name == "" {
		return args
	}
	return append([]string{f.name}, args...)
}

// labValue is labFlags as a pflag.Value: a bool, or an endpoint's name.
type labValue labFlags

func (v *labValue) String() string   { return strconv.FormatBool(v.on) }
func (v *labValue) Type() string     { return "bool" }
func (v *labValue) IsBoolFlag() bool { return true }

func (v *labValue) Set(s string) error {
	if b, err := strconv.ParseBool(s); err == nil {
		v.on = b
		return nil
	}
	if !slices.Contains(lab.EndpointNames, s) {
		return noEndpoint(s)
	}
	v.on, v.name = true, s
	return nil
}

// startLab starts the built-in lab and gives a job for each endpoint
// named (the submission endpoint when none), its CA trusted. The caller
// closes the lab.
func startLab(names []string, opts client.Options) (*lab.Lab, []client.Job, error) {
	l, err := lab.Start(lab.Config{})
	if err != nil {
		return nil, nil, err
	}
	opts.RootCAs = l.CertPool()
	var jobs []client.Job
	for _, n := range labNames(names) {
		ep, ok := l.Endpoint(n)
		if !ok {
			l.Close()
			return nil, nil, usageErr(noEndpoint(n))
		}
		o := opts
		o.ImplicitTLS = o.ImplicitTLS || ep.ImplicitTLS
		jobs = append(jobs, client.Job{Target: ep.Addr, Options: o})
	}
	return l, jobs, nil
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

// credFlags are the credentials of doctor and send: --user, and where its
// password comes from. The password is never printed.
type credFlags struct {
	user          string
	passwordStdin bool
}

func (f *credFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&f.user, "user", "", "sign in as this user (password: --password-stdin, $EHLO_PASSWORD, or asked on a terminal)")
	fl.BoolVar(&f.passwordStdin, "password-stdin", false, "read the password from the first line of standard input")
}

// password is the password for --user: from standard input, the
// environment, the lab's account (labPassword, when signing in to the lab
// as its user) or, on a terminal, a masked prompt. Without a terminal to
// ask on, it is "" when optional, else a usage error.
func (f *credFlags) password(cmd *cobra.Command, labPassword string, optional bool) (string, error) {
	switch {
	case f.user == "" && f.passwordStdin:
		return "", usageErr(errors.New("--password-stdin needs --user"))
	case f.user == "":
		return "", nil
	case f.passwordStdin:
		return passwordFromStdin(cmd)
	case os.Getenv("EHLO_PASSWORD") != "":
		return os.Getenv("EHLO_PASSWORD"), nil
	case labPassword != "":
		return labPassword, nil
	case optional && !onTerminal(cmd):
		return "", nil
	}
	return askSecret(cmd, "password for "+f.user, "give it with --password-stdin or in EHLO_PASSWORD")
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

// onTerminal says whether the command's standard input is a terminal.
func onTerminal(cmd *cobra.Command) bool {
	in, ok := cmd.InOrStdin().(*os.File)
	return ok && xterm.IsTerminal(in.Fd())
}

// askSecret asks on the terminal without echo; without a terminal it is a
// usage error, for scripts must not hang on a prompt, and how (when what
// does not) says how to give the secret instead.
func askSecret(cmd *cobra.Command, what, how string) (string, error) {
	if !onTerminal(cmd) {
		if how != "" {
			how = ": " + how
		}
		return "", usageErr(fmt.Errorf("no %s, and no terminal to ask on%s", what, how))
	}
	in := cmd.InOrStdin().(*os.File)
	fmt.Fprintf(cmd.ErrOrStderr(), "%s (not shown): ", what)
	b, err := xterm.ReadPassword(in.Fd())
	fmt.Fprintln(cmd.ErrOrStderr())
	return string(b), err
}
