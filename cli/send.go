package cli

import (
	"errors"
	"fmt"
	"io"
	"net/mail"
	"os"
	"slices"
	"strings"
	"time"

	xterm "github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/lab"
	"github.com/ehlo-sh/ehlo/wire"
)

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
	exitXClient = 12 // XCLIENT refused or not offered (--xclient)
)

var stepExits = map[string]int{
	client.StepConnect: exitConnect, client.StepGreeting: exitBanner, client.StepHello: exitHello,
	client.StepStartTLS: exitTLS, client.StepAuth: exitAuth, client.StepMail: exitMail,
	client.StepRcpt: exitRcpt, client.StepData: exitData, client.StepDataEnd: exitDataEnd,
	client.StepXClient: exitXClient,
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
	conn                         connFlags
	lab                          labFlags
	cred                         credFlags
	identity                     identityFlags
	from, subject, body, html    string
	charset                      string
	to, cc, bcc, headers, attach []string
	xclient                      []string
	auth, starttls, quitAfter    string
	bodyMode                     string
	transcript                   string
	pipelining, asJSON           bool
	labPassword                  string // the lab account's, when --lab signs in as it
	input                        inputFlags
	mx                           mxFlags
	dane, mtaSTS                 string
}

func newSend() *cobra.Command {
	var f sendFlags
	cmd := &cobra.Command{
		Use:   "send [flags] TARGET",
		Short: "Compose and send one message, showing every exchange",
		Long: "send composes an RFC 5322 / MIME message (text, HTML alternative, attachments streamed from disk) " +
			"and sends it: greeting, EHLO, STARTTLS, EHLO again, AUTH, MAIL (with SIZE, BODY=8BITMIME and " +
			"SMTPUTF8 as needed), RCPT, DATA or BDAT. It prints the exchange as C:/S: lines, credentials redacted, then " +
			"each recipient's reply. Bcc goes to the envelope only. The exit status says which step failed: " +
			"3 connect, 4 banner, 5 EHLO, 6 STARTTLS/TLS, 7 AUTH, 8 MAIL, 9 RCPT, 10 DATA, 11 after DATA, 12 XCLIENT. " +
			"With --protocol lmtp, each recipient's reply after the message is shown, and the send succeeds only when every one says delivered.",
		Example: "  ehlo send --lab\n" +
			"  ehlo send --lab --to bob@lab.test --subject 'Grüße' --body @note.txt --attach report.pdf\n" +
			"  printf '%s\\n' \"$PW\" | ehlo send smtp.example.com:587 --user me@example.com --password-stdin \\\n" +
			"      --from me@example.com --to you@example.org --html mail.html --attach 'data.csv;type=text/csv'\n" +
			"  ehlo send mx.example.org --from me@example.com --to postmaster@example.org --quit-after rcpt",
		RunE: f.run,
	}
	f.conn.register(cmd)
	f.conn.registerData(cmd)
	fl := cmd.Flags()
	_ = fl.MarkHidden("no-starttls") // --starttls never says it
	fl.StringVar(&f.from, "from", "", "sender address, for From: and MAIL FROM")
	fl.StringArrayVar(&f.to, "to", nil, "recipient address for To: (repeat, or a list)")
	fl.StringArrayVar(&f.cc, "cc", nil, "recipient address for Cc: (repeat, or a list)")
	fl.StringArrayVar(&f.bcc, "bcc", nil, "recipient address for the envelope only, never in the header")
	fl.StringArrayVar(&f.headers, "header", nil, "set a header field 'Name: value': it replaces the field of that name (a generated one, or the --data file's), else it is added")
	fl.StringVar(&f.subject, "subject", "test from ehlo", "the subject (non-ASCII is encoded, RFC 2047)")
	fl.StringVar(&f.body, "body", "", "the text body: TEXT, @FILE, or - for standard input")
	fl.StringVar(&f.html, "html", "", "an HTML alternative from this file (multipart/alternative)")
	fl.StringVar(&f.charset, "charset", "", "the charset of a body that is not ASCII, sent as it is (default utf-8; text that is not UTF-8 needs this)")
	fl.StringArrayVar(&f.attach, "attach", nil, "attach FILE[;type=TYPE][;name=NAME] in base64 (repeat for several)")
	fl.StringVar(&f.auth, "auth", "", "sign in with this mechanism: PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-1, SCRAM-SHA-256 (-PLUS binds it to TLS), XOAUTH2, OAUTHBEARER or auto (the strongest offered); --user alone means auto")
	f.cred.register(fl)
	f.identity.register(fl, false, identityHelp)
	fl.StringVar(&f.starttls, "starttls", client.StartTLSAuto, "when to upgrade with STARTTLS: auto (when offered), require, never")
	fl.StringVar(&f.quitAfter, "quit-after", "", "stop after this step: "+strings.Join(client.QuitAfter, ", "))
	fl.BoolVar(&f.pipelining, "pipelining", false, "send MAIL, RCPT and DATA at once when PIPELINING is offered (RFC 2920)")
	fl.StringVar(&f.bodyMode, "body-mode", client.BodyAuto, "how the message goes: auto (BDAT when it needs BINARYMIME and the server offers it with CHUNKING, else DATA), data, or bdat (RFC 3030 chunks)")
	f.input.register(fl)
	fl.StringVar(&f.transcript, "transcript", "", "also write the exchange to this file (mode 0600, credentials redacted)")
	fl.BoolVar(&f.asJSON, "json", false, "print JSON: replies, recipients, result and transcript")
	fl.StringArrayVar(&f.xclient, "xclient", nil, "send Postfix's XCLIENT ATTR=VALUE after STARTTLS, before AUTH (repeat; ADDR, NAME, HELO, LOGIN, PORT, PROTO, ...), then EHLO again")
	f.lab.register(fl, "send to the built-in lab (TARGET may name its endpoint) and show what it received")
	f.registerMX(cmd)
	return cmd
}

func (f *sendFlags) run(cmd *cobra.Command, args []string) error {
	if f.mx.on {
		return f.runMX(cmd, args)
	}
	args = f.conn.pipeArgs(f.lab.args(args), 0)
	if f.input.dump && len(args) == 0 && !f.lab.on {
		args = []string{"localhost"} // --dump connects nowhere: any target parses
	}
	if len(args) > 1 || (len(args) == 0 && !f.lab.on) {
		return usageErr(errors.New("send needs one TARGET (or --lab [ENDPOINT])"))
	}
	if err := f.input.conflicts(cmd); err != nil {
		return usageErr(err)
	}
	opts, err := f.conn.options()
	if err != nil {
		return err
	}
	var l *lab.Lab
	target := ""
	if f.lab.on {
		var jobs []client.Job
		if l, jobs, err = startLab(args, opts); err != nil {
			return err
		}
		defer l.Close()
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
	if l != nil {
		cfg.DNS = f.identity.onLab(cfg.DNS, l.DNSAddr())
	}
	if f.input.dump {
		if err := dumpMessage(cmd.OutOrStdout(), cmd.ErrOrStderr(), cfg); err != nil {
			return fmt.Errorf("--dump: %w", err)
		}
		return nil
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
	if f.cred.user == "" && (len(args) == 0 || lab.OffersAuth(args[0])) {
		f.cred.user, f.labPassword = lab.User, lab.Password
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
	if f.input.data != "" {
		cleanup, err = f.input.message(cmd, m, f.to, f.cred.passwordStdin)
	} else {
		m.Text, cleanup, err = f.bodyContent(cmd)
	}
	if err != nil {
		return client.SendConfig{}, cleanup, usageErr(err)
	}
	if m.AddHeader, err = f.input.addHeaderFields(); err != nil {
		return client.SendConfig{}, cleanup, usageErr(err)
	}
	if f.html != "" {
		if err := checkInput("--html", f.html); err != nil {
			return client.SendConfig{}, cleanup, usageErr(err)
		}
		m.HTML = client.Content{File: f.html}
	}
	if err := f.parts(m); err != nil {
		return client.SendConfig{}, cleanup, usageErr(err)
	}
	cfg := client.SendConfig{Target: target, Options: opts, Message: m, Rcpts: rcpts, Auth: f.auth, User: f.cred.user,
		StartTLS: f.starttls, QuitAfter: strings.ToLower(f.quitAfter), Pipelining: f.pipelining,
		BodyMode: strings.ToLower(f.bodyMode), XClient: f.xclient}
	f.input.apply(&cfg)
	if f.conn.noStartTLS {
		cfg.StartTLS = client.StartTLSNever
	}
	if cfg.User != "" && cfg.Auth == "" {
		cfg.Auth = "auto"
	}
	if f.input.dump {
		cfg.Auth, cfg.User = "", "" // --dump signs in nowhere: no password is asked for
	} else if cfg.Password, err = f.password(cmd); err != nil {
		return cfg, cleanup, err
	}
	if err := cfg.Check(); err != nil {
		return cfg, cleanup, usageErr(err)
	}
	from := cfg.From
	if from == "" && m.From != nil {
		from = m.From.Address
	}
	if cfg.DNS, err = f.identity.resolver(cmd.Flags(), target, from); err != nil {
		return cfg, cleanup, err
	}
	cfg.DNSBL = f.identity.dnsbl
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
	m := &client.Message{From: from, Subject: f.subject, Charset: f.charset}
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
	case f.body == "-" && f.cred.passwordStdin:
		return client.Content{}, none, errors.New("--body - and --password-stdin both want standard input")
	case f.body == "-":
		return spoolStdin(cmd.InOrStdin())
	case strings.HasPrefix(f.body, "@"):
		return client.Content{File: f.body[1:]}, none, checkInput("--body", f.body[1:])
	case f.body == "" && f.html == "" && len(f.attach) == 0:
		return client.Content{Text: "This is a test message sent by ehlo.\n"}, none, nil
	}
	return client.Content{Text: f.body}, none, nil
}

// checkInput says now, in the words of every file flag, that a file
// named by flag cannot be read (client.FileError), before anything is
// asked or sent.
func checkInput(flag, path string) error {
	f, err := client.OpenInput(flag, path)
	if err != nil {
		return err
	}
	return f.Close()
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

// password is the lab account's when --lab signs in as it, else what
// --user's password comes from (credFlags.password).
func (f *sendFlags) password(cmd *cobra.Command) (string, error) {
	if f.labPassword != "" {
		return f.labPassword, nil
	}
	return f.cred.password(cmd, "", false)
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
	f.conn.tlsx.finish(out, f.asJSON)
	if res.Err != nil {
		if f.asJSON || !toldOnScreen(out, errOut) {
			fmt.Fprintf(errOut, "ehlo send: %s\n", client.Explain(res.Err))
		}
		if fix := workingLine(cmd, []string{cfg.Target}, res.Err, false); fix != "" && l == nil {
			fmt.Fprintf(errOut, "ehlo send: run instead: %s\n", fix)
		}
		return reported(sendExit(res.Err), res.Err)
	}
	return nil
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
		if f.conn.tlsx.showCerts && v.TLS != nil && res.TLS != nil {
			client.AddPEM(v.TLS, res.TLS.Chain)
		}
		if l != nil {
			for _, m := range l.Messages() {
				v.Received = append(v.Received, labMessageJSON{Endpoint: m.Endpoint, From: m.From, To: m.To, Size: len(m.Data), User: m.User})
			}
		}
		return writeJSON(out, v)
	}
	fmt.Fprintln(out)
	client.WriteSend(out, res)
	if l == nil {
		return nil
	}
	writeLabReceived(out, l)
	return nil
}

// writeLabReceived prints what the built-in lab received; nothing when l
// is nil.
func writeLabReceived(out io.Writer, l *lab.Lab) {
	if l == nil {
		return
	}
	for _, m := range l.Messages() {
		fmt.Fprintf(out, "\nthe lab's %s endpoint received, from <%s> to <%s> (%d bytes):\n", m.Endpoint, m.From,
			strings.Join(m.To, ">, <"), len(m.Data))
		if err := client.WriteReceived(out, m.Data); err != nil {
			fmt.Fprintf(out, "  %v\n", err)
		}
	}
}

// labMessageJSON is what the lab received, for send --lab --json.
type labMessageJSON struct {
	Endpoint string   `json:"endpoint"`
	From     string   `json:"from"`
	To       []string `json:"to"`
	Size     int      `json:"size"`
	User     string   `json:"user,omitempty"`
}
