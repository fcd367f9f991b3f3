package ui

import (
	"encoding/base64"
	"errors"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/lab"
	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/themes"
)

// localCmd is one command of the explorer itself. They start with ":" so
// they never collide with SMTP, whose verbs are letters (RFC 5321 4.1.1).
type localCmd struct {
	name   string
	usage  string
	help   string
	lab    bool // only when running on the in-process lab
	course bool // only in a course (ehlo learn)
	run    func(m Model, arg string) (Model, tea.Cmd)
}

// commandTable lists the local commands, in help order.
func commandTable() []localCmd {
	return append([]localCmd{
		{name: "help", usage: ":help", help: "keys and commands", run: Model.cmdHelp},
		{name: "auth", usage: ":auth MECH [USER]", help: "AUTH step by step; asks the password, masked", run: Model.cmdAuth},
		{name: "queue", usage: ":queue send|edit|drop", help: "the lines held after a refused DATA, AUTH, EHLO... or a close: send (alt+q), edit, drop (esc)", run: Model.cmdQueue},
		{name: "compose", usage: ":compose [@FILE]", help: "write a whole message in an editor (after 354), or load a prepared one from FILE", run: Model.cmdCompose},
		{name: "bdat", usage: ":bdat [SIZE]", help: "send a message from the editor with BDAT, in chunks of SIZE bytes (1 MiB), a reply each", run: Model.cmdBdat},
		{name: "send", usage: ":send", help: "send the message esc closed in the editor (F10 and alt+enter in it)", run: Model.cmdSend},
		{name: "guided", usage: ":guided", help: "guided mode on/off: a card with the next step, prefilled (F9)", run: Model.cmdGuided},
		{name: "skip", usage: ":skip", help: "guided mode: skip the step on the card (alt+n)", run: Model.cmdSkip},
		{name: "explain", usage: ":explain", help: "explain the selected reply, or the last one (F8, e in the transcript)", run: Model.cmdExplain},
		{name: "identity", usage: ":identity", help: "who the server thinks you are: SPF, DMARC, reverse DNS of the last MAIL FROM, with the trace", run: Model.cmdIdentity},
		{name: "timing", usage: ":timing", help: "timing waterfall of the connection (F11/alt+t)", run: Model.cmdTiming},
		{name: "find", usage: ":find [TEXT]", help: "search the transcript, highlighting matches (/ in it; n, N: next, previous); no TEXT clears", run: Model.cmdFind},
		{name: "filter", usage: ":filter WHAT", help: "show only client or server lines, or replies 2xx 3xx 4xx 5xx; off shows all", run: Model.cmdFilter},
		{name: "wrap", usage: ":wrap", help: "wrap long transcript lines, or end them in … (w in the transcript)", run: Model.cmdWrap},
		{name: "save", usage: ":save [--script] [FILE]", help: "write the transcript (.txt, .jsonl) or a replayable script, redacted, mode 0600", run: Model.cmdSave},
		{name: "copy", usage: ":copy", help: "copy the selected line, or the transcript (OSC 52)", run: Model.cmdCopy},
		{name: "xclient", usage: ":xclient ATTR=VALUE...", help: "Postfix's XCLIENT, checked and xtext-encoded: ADDR NAME HELO LOGIN PORT PROTO DESTADDR DESTPORT REVERSE_NAME; then EHLO again", run: Model.cmdXClient},
		{name: "reconnect", usage: ":reconnect", help: "connect again to the same target", run: Model.cmdReconnect},
		{name: "connect", usage: ":connect [HOST[:PORT]]", help: "connect elsewhere, taking the command line's flags (--tls, --ca, --cert, --proxy...); alone, connect again as :reconnect", run: Model.cmdConnect},
		{name: "mx", usage: ":mx DOMAIN | :mx N", help: "list DOMAIN's MX hosts (DNSSEC, DANE, MTA-STS) and connect to the first; N connects to MX N (alt+o: the next)", run: Model.cmdMX},
		{name: "lab", usage: ":lab ENDPOINT", help: "switch lab endpoint: " + strings.Join(lab.EndpointNames, " "), lab: true, run: Model.cmdLab},
		{name: "b64", usage: ":b64 TEXT", help: `base64 of TEXT (\0 is NUL, \\ a backslash)`, run: Model.cmdB64},
		{name: "unb64", usage: ":unb64 TEXT", help: "decode base64, shown sanitized", run: Model.cmdUnB64},
		{name: "raw", usage: ":raw", help: "show line endings", run: Model.cmdRaw},
		{name: "bare", usage: ":bare COMMAND", help: "send COMMAND ended by a bare LF, not CRLF (RFC 5321 2.3.8 forbids it): what does the server do?", run: Model.cmdBare},
		{name: "hex", usage: ":hex", help: "hex dump of the selected line", run: Model.cmdHex},
		{name: "reveal", usage: ":reveal", help: "show secrets on screen, this session only", run: Model.cmdReveal},
		{name: "mouse", usage: ":mouse", help: "mouse on/off (off: select text natively)", run: Model.cmdMouse},
		{name: "theme", usage: ":theme NAME", help: "switch theme: " + strings.Join(themes.Names(), " "), run: Model.cmdTheme},
		{name: "quit", usage: ":quit", help: "leave (ctrl+c too)", run: Model.cmdQuit},
	}, lessonCommands()...)
}

// commandList is the table as available here.
func (m Model) commandList() []localCmd {
	all := commandTable()
	return slices.DeleteFunc(all, func(c localCmd) bool { return c.lab && m.cfg.Lab == nil || c.course && !m.lesson.on })
}

// lookupCommand finds the command a line names: ":name args".
func (m Model) lookupCommand(text string) (localCmd, string, bool) {
	rest, ok := strings.CutPrefix(text, ":")
	if !ok {
		return localCmd{}, "", false
	}
	name, arg, _ := strings.Cut(strings.TrimSpace(rest), " ")
	for _, c := range m.commandList() {
		if c.name == strings.ToLower(name) {
			return c, strings.TrimSpace(arg), true
		}
	}
	return localCmd{}, "", false
}

// runLocal runs a ":" line.
func (m Model) runLocal(text string) (Model, tea.Cmd) {
	c, arg, ok := m.lookupCommand(text)
	if !ok {
		m.flash = errorFlash(m.w.F("unknown command %s — :help lists them", session.SanitizeString(strings.Fields(text + " x")[0])))
		return m, nil
	}
	return c.run(m, arg)
}

// commandCompletions completes ":" lines: names, then arguments that have
// a known set of values.
func (m Model) commandCompletions(v string) []string {
	name, arg, spaced := strings.Cut(strings.TrimPrefix(v, ":"), " ")
	if !spaced {
		var out []string
		for _, c := range m.commandList() {
			if strings.HasPrefix(c.name, strings.ToLower(name)) {
				out = append(out, ":"+c.name+" ")
			}
		}
		return out
	}
	var values []string
	switch strings.ToLower(name) {
	case "lab":
		if m.cfg.Lab != nil {
			for _, e := range m.cfg.Lab.Endpoints() {
				values = append(values, e.Name)
			}
		}
	case "theme":
		values = themes.Names()
	case "auth":
		values = m.effective().Caps.AuthMechanisms()
	case "filter":
		values = []string{"client", "server", "2xx", "3xx", "4xx", "5xx", "off"}
	case "xclient":
		values = xclientCompletions()
	}
	var out []string
	for _, val := range values {
		if strings.HasPrefix(strings.ToLower(val), strings.ToLower(strings.TrimLeft(arg, " "))) {
			out = append(out, ":"+strings.ToLower(name)+" "+val)
		}
	}
	return out
}

func (m Model) cmdHelp(string) (Model, tea.Cmd) {
	m.showHelp = true
	return m, nil
}

func (m Model) cmdQuit(string) (Model, tea.Cmd) {
	return m, tea.Sequence(closeCmd(m.conn.link), tea.Quit)
}

// cmdReconnect connects again the same way: the same target, flags and
// transport (a --pipe program runs anew), and says so.
func (m Model) cmdReconnect(string) (Model, tea.Cmd) {
	if m.conn.target == "" {
		m.flash = errorFlash(m.w.T("no target to reconnect to: :connect HOST[:PORT]"))
		return m, nil
	}
	m, cmd := m.connect(m.conn.target) // it clears the last connection's flash: this one comes after
	m.flash = infoFlash(m.reconnectWords())
	return m, cmd
}

// reconnectWords says what a reconnection does: a --pipe program is run
// again, a new process with a session of its own.
func (m Model) reconnectWords() string {
	if p := m.opts.Transport.Pipe; p != "" {
		return m.w.F("reconnecting: running %s again (a new process, a new session); :connect HOST:PORT goes over TCP instead",
			strconv.Quote(session.SanitizeString(p)))
	}
	return m.w.F("reconnecting to %s", session.SanitizeString(m.conn.target))
}

// cmdConnect is ":connect HOST[:PORT] [flags]", and ":connect" alone,
// which connects again as :reconnect does. A target given leaves a
// --pipe program for that host (or unix socket).
func (m Model) cmdConnect(arg string) (Model, tea.Cmd) {
	if strings.TrimSpace(arg) == "" && m.conn.target != "" {
		return m.cmdReconnect("")
	}
	r, err := parseConnect(arg, m.cfg.Options) // over the user's flags: --tls, --ca, ...; not the lab's
	if err != nil {
		m.flash = errorFlash(err.Error())
		return m, nil
	}
	if r.ca != "" || r.cert != "" { // read in a command; caLoaded connects
		m.caLoads++
		m.flash = infoFlash(m.w.F("reading %s…", session.SanitizeString(strings.Join(nonEmpty(r.ca, r.cert, r.key), ", "))))
		return m, loadConnectCmd(m.caLoads, r)
	}
	left := m.opts.Transport.Pipe
	m.endpoint, m.opts, m.caFile = "", r.opts, m.cfg.CAFile
	return m.connectFrom(r.target, left)
}

// connectFrom connects to target; left is the --pipe program the session
// ran before, if any, which the flash says was left, and how.
func (m Model) connectFrom(target, left string) (Model, tea.Cmd) {
	m, cmd := m.connect(target)
	if left != "" && m.opts.Transport.Pipe == "" {
		format := "connecting to %s over TCP, no longer through %s; :connect alone reconnects here"
		if strings.HasPrefix(target, "unix:") {
			format = "connecting to %s over the unix socket, no longer through %s; :connect alone reconnects here"
		}
		m.flash = infoFlash(m.w.F(format, session.SanitizeString(target), strconv.Quote(session.SanitizeString(left))))
	}
	return m, cmd
}

// nonEmpty is the strings given that are not "".
func nonEmpty(s ...string) []string {
	var out []string
	for _, v := range s {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// caLoaded connects with the CA file and client certificate :connect
// named, or says in words why a file cannot be used, leaving the session
// as it was.
func (m Model) caLoaded(msg caLoadedMsg) (Model, tea.Cmd) {
	if msg.req != m.caLoads {
		return m, nil // a later :connect took over
	}
	if msg.err != nil && msg.certErr {
		m.flash = errorFlash(session.SanitizeString(msg.err.Error()))
		return m, nil
	}
	if msg.err != nil {
		m.flash = errorFlash(caError(msg.given, msg.err))
		return m, nil
	}
	if msg.file == "" {
		msg.file = m.cfg.CAFile
	}
	left := m.opts.Transport.Pipe
	m.endpoint, m.opts, m.caFile = "", msg.opts, msg.file
	return m.connectFrom(msg.target, left)
}

// caError says why a CA file cannot be used, in words.
func caError(file string, err error) string {
	var pe *fs.PathError
	what := "--ca " + session.SanitizeString(file) + ": "
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return what + "no such file"
	case errors.Is(err, fs.ErrPermission):
		return what + "cannot be read (permission denied)"
	case errors.As(err, &pe):
		return what + "cannot be read: " + session.SanitizeString(pe.Err.Error())
	}
	return what + "the file holds no PEM certificate (a block that starts -----BEGIN CERTIFICATE-----)"
}

func (m Model) cmdLab(arg string) (Model, tea.Cmd) {
	ep, ok := m.cfg.Lab.Endpoint(strings.ToLower(arg))
	if !ok {
		m.flash = errorFlash(m.w.T("usage: ") + ":lab " + strings.Join(lab.EndpointNames, "|"))
		return m, nil
	}
	m.endpoint, m.opts = ep.Name, labOptions(m.cfg, ep)
	m, cmd := m.connect(ep.Addr) // it clears the last connection's flash: this one comes after
	m.flash = infoFlash(m.w.T("lab ") + ep.Name + ": " + ep.Summary)
	return m, cmd
}

func (m Model) cmdTheme(arg string) (Model, tea.Cmd) {
	if err := m.applyTheme(arg); err != nil {
		m.flash = errorFlash(m.w.T("themes: ") + strings.Join(themes.Names(), ", "))
		return m, nil
	}
	m.flash = infoFlash(m.w.T("theme ") + m.themeName)
	return m, nil
}

func (m Model) cmdRaw(string) (Model, tea.Cmd) {
	on := m.transcript.ToggleRaw()
	m.flash = infoFlash(m.onOff("raw line endings", on))
	return m, nil
}

func (m Model) cmdHex(string) (Model, tea.Cmd) {
	on := m.transcript.ToggleHex()
	m.flash = infoFlash(m.onOff("hex view of the selected line (tab to the transcript to select)", on))
	return m, nil
}

func (m Model) cmdReveal(string) (Model, tea.Cmd) {
	m.reveal = !m.reveal
	m.transcript.SetReveal(m.reveal)
	if m.reveal {
		m.flash = warnFlash(m.w.T("secrets shown on this screen for this session; saved and copied text stays redacted"))
	} else {
		m.flash = infoFlash(m.w.T("secrets hidden"))
	}
	return m, nil
}

func (m Model) cmdMouse(string) (Model, tea.Cmd) {
	m.mouse = !m.mouse
	if m.mouse {
		m.flash = infoFlash(m.w.T("mouse on: the wheel scrolls the transcript"))
	} else {
		m.flash = infoFlash(m.w.T("mouse off: select text with the terminal as usual"))
	}
	return m, nil
}

// cmdCopy copies the selected line when the transcript has the focus, or
// the whole transcript, through OSC 52 (tea.SetClipboard), always redacted.
func (m Model) cmdCopy(string) (Model, tea.Cmd) {
	if e, ok := m.transcript.Selected(); ok && m.focus == focusTranscript {
		m.flash = okFlash(m.w.T("copied the selected line (OSC 52)"))
		return m, tea.SetClipboard(client.Marker(e) + " " + client.EntryText(e, false))
	}
	text := m.transcript.Text(false)
	m.flash = okFlash(m.w.F("copied the transcript, %d lines, redacted (OSC 52)", m.transcript.Len()))
	return m, tea.SetClipboard(text)
}

// cmdB64 encodes TEXT, where \0 stands for NUL (to build PLAIN's
// "\0user\0password" by hand, RFC 4616) and \\ for a backslash.
func (m Model) cmdB64(arg string) (Model, tea.Cmd) {
	raw := strings.NewReplacer(`\\`, `\`, `\0`, "\x00").Replace(arg)
	m.flash = infoFlash("base64: " + base64.StdEncoding.EncodeToString([]byte(raw)))
	return m, nil
}

// cmdUnB64 decodes base64 (padded or not) and shows it sanitized.
func (m Model) cmdUnB64(arg string) (Model, tea.Cmd) {
	b, err := base64.StdEncoding.DecodeString(arg)
	if err != nil {
		b, err = base64.RawStdEncoding.DecodeString(arg)
	}
	if err != nil {
		m.flash = errorFlash(m.w.T("not base64"))
		return m, nil
	}
	m.flash = infoFlash(m.w.T("decoded: ") + session.Sanitize(b))
	return m, nil
}

func (m Model) cmdCompose(arg string) (Model, tea.Cmd) {
	if path, ok := strings.CutPrefix(strings.TrimSpace(arg), "@"); ok && m.inData() {
		return m.cmdComposeFile(path)
	}
	if !m.inData() {
		m.flash = errorFlash(m.w.T(":compose works in DATA mode: MAIL FROM, RCPT TO, then DATA, and wait for 354"))
		return m, nil
	}
	m.compose = m.compose.start(m.sess, m.helo(), m.lastSent("MAIL"), m.now())
	return m, nil
}

// cmdSend sends the message the editor holds, closed with Esc: for the
// terminals where F10 and alt+enter never reach it.
func (m Model) cmdSend(string) (Model, tea.Cmd) {
	if m.compose.chunkSize > 0 && m.compose.draft != "" { // :bdat's message: the editor still holds it
		return m.composeChunksKey(true, ":send")
	}
	if !m.inData() || m.compose.draft == "" {
		m.flash = errorFlash(m.w.T("no message to send: :compose writes one after DATA's 354; esc keeps it for :send"))
		return m, nil
	}
	return m.sendMessage(m.compose.draft, ":send")
}

func (m Model) onOff(what string, on bool) string {
	if on {
		return m.w.F("%s: on", m.w.T(what))
	}
	return m.w.F("%s: off", m.w.T(what))
}

// cmdBare sends a command ended by a bare LF instead of CRLF, to see how
// the server treats one (many refuse it since the 2023 SMTP smuggling
// fixes); outside DATA and AUTH only, and never a secret.
func (m Model) cmdBare(arg string) (Model, tea.Cmd) {
	switch {
	case arg == "":
		m.flash = errorFlash(m.w.T("usage: :bare COMMAND, e.g. :bare NOOP"))
		return m, nil
	case m.inData() || m.drafting() || m.inAuth():
		m.flash = errorFlash(m.w.T(":bare sends a command: not inside a message nor an AUTH exchange"))
		return m, nil
	case session.ValidateLine(arg) != nil:
		m.flash = errorFlash(m.w.T(":bare: the command cannot hold CR or LF"))
		return m, nil
	case session.Verb(arg) == "AUTH":
		m.flash = errorFlash(m.w.T(":bare does not send AUTH: credentials go only as ehlo sends them"))
		return m, nil
	}
	m.flash = infoFlash(m.w.T("sent with a bare LF (:raw shows line endings)"))
	return m.enqueue(outItem{line: arg, bare: true})
}
