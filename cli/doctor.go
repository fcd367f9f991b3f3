package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/lab"
)

// doctorFlags are doctor's flags.
type doctorFlags struct {
	conn                     connFlags
	lab                      labFlags
	cred                     credFlags
	identity                 identityFlags
	from, auth               string
	to                       []string
	send, asJSON, transcript bool
	mx                       mxFlags
}

func newDoctor() *cobra.Command {
	var f doctorFlags
	cmd := &cobra.Command{
		Use:   "doctor [flags] TARGET",
		Short: "Diagnose a server: what fails, why, and the fix",
		Long: "doctor runs what a mail administrator would check: connect (and notice a port that wants implicit " +
			"TLS, or plaintext), greeting, EHLO, STARTTLS, the certificate, EHLO again, AUTH with --user, MAIL and " +
			"RCPT with --from/--to (then RSET, or a small test message with --send), QUIT. Over TLS whose " +
			"certificate does not verify it stops after the handshake unless --insecure. It prints numbered " +
			"findings, the root cause of what fails first, each with its evidence and fix, and a timing " +
			"waterfall. Finding IDs are stable (see --json). The password is read from --password-stdin or " +
			"EHLO_PASSWORD, or asked for on a terminal, and never printed. Exit status: 0 when no finding is an " +
			"error, 1 otherwise, 2 for usage.",
		Example: "  ehlo doctor smtp.gmail.com:587\n  ehlo doctor --lab submission\n" +
			"  printf '%s\\n' \"$PW\" | ehlo doctor smtp.example.com:587 --user me@example.com --password-stdin\n" +
			"  ehlo doctor mx.example.org --from me@example.com --to postmaster@example.org --json",
		RunE: f.run,
	}
	f.conn.register(cmd)
	f.conn.registerData(cmd)
	fl := cmd.Flags()
	f.cred.register(fl)
	f.conn.tlsx.registerReconnect(fl, "connect a second time after the diagnosis, offering the TLS session's ticket: a finding says whether the server resumed it")
	fl.StringVar(&f.auth, "auth", "auto", "sign in with this mechanism: PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-1, SCRAM-SHA-256 (-PLUS binds it to TLS), XOAUTH2, OAUTHBEARER, or auto (the strongest offered: SCRAM-SHA-256-PLUS over TLS, SCRAM-SHA-256, SCRAM-SHA-1, CRAM-MD5, PLAIN, LOGIN)")
	fl.StringVar(&f.from, "from", "", "sender address to test (MAIL FROM)")
	fl.StringSliceVar(&f.to, "to", nil, "recipient address to test (RCPT TO; repeat for several)")
	fl.BoolVar(&f.send, "send", false, "send a small test message (Subject: ehlo doctor test) instead of RSET after RCPT")
	fl.BoolVar(&f.asJSON, "json", false, "print JSON: target, findings, timing, transcript")
	fl.BoolVar(&f.transcript, "transcript", false, "also print the exchange as C:/S: lines (credentials redacted)")
	f.identity.register(fl, true, identityDoctorHelp)
	f.lab.register(fl, "diagnose the built-in lab (TARGET may name its endpoint: "+strings.Join(lab.EndpointNames, ", ")+")")
	f.mx.registerRoute(fl, "diagnose direct delivery to a DOMAIN (or, with no TARGET, the --to address's domain): its MX hosts in order, "+
		"DANE and MTA-STS, then the session with the first MX that answers")
	cmd.Long += "\n\nWith --mx DOMAIN, or --to user@domain and no TARGET, doctor diagnoses direct delivery as a sending server " +
		"makes it: the route (null MX, no MX that resolves, every MX silent on port 25), every MX address probed, the DANE " +
		"(TLSA) and MTA-STS verdicts, then the usual session with the first MX that answers, in MX order; the first finding " +
		"is the root cause. lab.test is the built-in lab's domain, reached with no flags."
	cmd.Example += "\n  ehlo doctor --mx example.org\n  ehlo doctor --to postmaster@example.org\n  ehlo doctor --mx lab.test"
	return cmd
}

func (f *doctorFlags) run(cmd *cobra.Command, args []string) error {
	if f.mx.on || (len(args) == 0 && len(f.to) > 0 && !f.lab.on) {
		return f.runMX(cmd, args)
	}
	args = f.conn.pipeArgs(f.lab.args(args), 0)
	if len(args) > 1 || (len(args) == 0 && !f.lab.on) {
		return usageErr(errors.New("doctor needs one TARGET (or --lab [ENDPOINT])"))
	}
	cfg, err := f.config(cmd)
	if err != nil {
		return err
	}
	if f.lab.on {
		l, jobs, err := startLab(args, cfg.Options)
		if err != nil {
			return err
		}
		defer l.Close()
		cfg.Target, cfg.Options = jobs[0].Target, jobs[0].Options
		if cfg.DNS, err = f.identity.labResolver(cmd.Flags(), cfg.From, l.DNSAddr()); err != nil {
			return err
		}
	} else {
		cfg.Target = args[0]
	}
	if err := cfg.Check(); err != nil {
		return usageErr(err)
	}
	if !f.lab.on {
		if cfg.DNS, err = f.identity.resolver(cmd.Flags(), cfg.Target, cfg.From); err != nil {
			return err
		}
	}
	cfg.DNSBL = f.identity.dnsbl
	cmd.SilenceUsage = true // from here on, a failure is a finding, not a usage error
	res := client.Doctor(cmd.Context(), cfg)
	if err := f.print(cmd.OutOrStdout(), res); err != nil {
		return err
	}
	if res.Failed() {
		return reported(exitFailed, errors.New("doctor found errors"))
	}
	return nil
}

// config builds the doctor's configuration from the flags. The lab's own
// account signs in without a password, as send --lab does.
func (f *doctorFlags) config(cmd *cobra.Command) (client.DoctorConfig, error) {
	opts, err := f.conn.options()
	if err != nil {
		return client.DoctorConfig{}, err
	}
	cfg := client.DoctorConfig{Options: opts, User: f.cred.user, Mechanism: f.auth, From: f.from, To: f.to, Send: f.send,
		Progress: func(s string) { fmt.Fprintln(cmd.ErrOrStderr(), "ehlo doctor: "+s) }}
	labPassword := ""
	if f.lab.on && f.cred.user == lab.User {
		labPassword = lab.Password
	}
	cfg.Password, err = f.cred.password(cmd, labPassword, true)
	return cfg, err
}

func (f *doctorFlags) print(w io.Writer, res client.DoctorResult) error {
	defer f.conn.tlsx.finish(w, f.asJSON)
	if f.asJSON {
		return writeJSON(w, f.conn.tlsx.doctorJSON(res.JSON()))
	}
	client.WriteDoctor(w, res, client.WaterfallOptions{ASCII: !client.UTF8Locale()})
	if info := f.conn.tlsx.last.get(); info != nil {
		fmt.Fprintln(w)
		client.WriteTLSDetails(w, *info)
	}
	if f.transcript {
		fmt.Fprintln(w)
		return client.WriteTranscript(w, res.Entries, client.TranscriptFormat{})
	}
	return nil
}

// runMX diagnoses direct delivery to a domain: --mx DOMAIN, or the
// domain of --to.
func (f *doctorFlags) runMX(cmd *cobra.Command, args []string) error {
	if len(args) > 1 {
		return usageErr(errors.New("doctor --mx needs one DOMAIN (or --to user@domain)"))
	}
	if err := refuseWithMX(cmd); err != nil {
		return err
	}
	dom, err := deliveryDomain(args, f.to)
	if err != nil {
		return usageErr(err)
	}
	if len(f.to) > 0 && f.from == "" && !f.send {
		f.from = "<>" // the null reverse path, as a bounce or a sender's callout: RCPT is tested without naming a sender
	}
	cfg, err := f.config(cmd)
	if err != nil {
		return err
	}
	cfg.Target = "localhost" // each MX's address, once the route is known
	if err := cfg.Check(); err != nil {
		return usageErr(err)
	}
	o, l, err := f.mx.routeOptions(cmd, dom, cfg.Options, nil)
	if err != nil {
		return err
	}
	from := cfg.From
	if from == "<>" {
		from = "" // no sender: nothing for SPF or DMARC to judge
	}
	cfg.Options.RootCAs = o.RootCAs // the lab's CA, for its names: the built-in lab's, or one running elsewhere (labports.go)
	if l != nil {
		defer l.Close()
		cfg.DNS, err = f.identity.labResolver(cmd.Flags(), from, l.DNSAddr())
	} else {
		cfg.DNS, err = f.identity.resolver(cmd.Flags(), dom, from)
	}
	if err != nil {
		return err
	}
	cfg.DNSBL = f.identity.dnsbl
	cmd.SilenceUsage = true
	res := client.DoctorMX(cmd.Context(), dom, cfg, o)
	if err := f.print(cmd.OutOrStdout(), res); err != nil {
		return err
	}
	if res.Failed() {
		return reported(exitFailed, errors.New("doctor found errors"))
	}
	return nil
}
