// Package ui is ehlo's explorer: a terminal UI, built on Bubble Tea v2, in
// which the user types SMTP commands by hand and watches every byte of the
// session, the server's capabilities and the TLS facts side by side.
//
// The root Model owns the session state; each pane is a value sub-model
// with its own file (transcript.go, side.go, input.go, compose.go,
// status.go); guided mode's card (guide.go), the explain panel
// (explain.go) and the timing waterfall (timing.go) draw what session and
// client compute. All I/O runs in the commands of io.go, one operation at a
// time, each stamped with the connection's generation; state changes only
// in Update. ui imports neither net nor crypto/tls.
package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/ehlo-sh/ehlo/third_party/bubbles/help"
	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/dns"
	"github.com/ehlo-sh/ehlo/lab"
	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/themes"
	"github.com/ehlo-sh/ehlo/wire"
)

// Config is what main passes to the explorer.
type Config struct {
	Target     string         // "host:port"; "" with Lab set means the lab's Endpoint
	Options    client.Options // connection flags (--tls --insecure --ca --servername --helo --timeout)
	Lab        *lab.Lab       // the in-process lab when running on it (its CA in Options.RootCAs); nil for real servers
	Endpoint   string         // lab endpoint name when on the lab ("submission" by default)
	Theme      string         // theme name as picked by themes.Pick
	Mouse      bool           // mouse on (false with --no-mouse)
	Transcript string         // --transcript FILE: append the transcript as it happens (redacted, 0600)
	Guided     bool           // --guided: start in guided mode
	CAFile     string         // --ca FILE, as given: a saved script's replay needs it too
	// TLSFlags are the TLS flags given that a saved script's replay needs
	// too (--tls-min, --tls-max, --ciphers, --curves, --alpn, --cert,
	// --key), as name and value, files made absolute.
	TLSFlags [][2]string
	// History is the file that keeps the command history across runs
	// (the cli's --no-history and EHLO_NO_HISTORY give ""): read at start,
	// written after each line, mode 0600; "" keeps it for this run only.
	History string
	// Course is `ehlo learn`'s: the lesson card takes guided mode's place
	// and the lesson's goals are ticked as the transcript grows.
	Course *Course
	// DNS is the resolver the identity check asks once a MAIL FROM is
	// answered (SPF, DMARC, reverse DNS of the client, DNSBL); nil: no
	// check. DNSBL are the blocklists to ask (--dnsbl).
	DNS   *dns.Client
	DNSBL []string
	// MX is --mx and :mx: the domain to start on, and how to ask DNS (mx.go).
	MX MXConfig
	// Lang is the language of the explorer's own words: "en" or "zh"
	// (words.go); "" takes the course's, else English.
	Lang string
}

// focus is the pane that takes navigation keys.
type focus int

const (
	focusInput focus = iota
	focusTranscript
	focusCaps
	focusCount
)

// The layout's rows under the panes besides the hint: input, status, help.
const footerRows = 3

// Model is the explorer's root model.
type Model struct {
	cfg      Config
	opts     client.Options
	endpoint string
	dial     dialFunc
	tryTLS   tryTLSFunc       // implicit TLS on a second connection, for a silent greeting
	now      func() time.Time // the clock; tests freeze it

	themeName string
	isDark    bool
	st        *themes.Styles // shared by the panes; replaced, never changed, by a theme switch
	keys      keyMap
	help      help.Model
	w         words // the explorer's own words, in the user's language

	width, height int
	paneW, sideW  int
	mainH         int
	hintH, cardH  int // the rows the hint and guided mode's card took at the last layout
	focus         focus
	showHelp      bool
	helpTop       int // first line of the help screen
	mouse         bool
	reveal        bool

	transcript Transcript
	side       sidePanel
	input      inputBox
	compose    composer

	tr      *wire.Transcript // the record of every connection of this run
	changed <-chan struct{}
	unwatch func()
	seq     int // next transcript entry to show
	sink    *fileSink
	unsink  func()

	hist      *historyFile // nil without Config.History
	histSaved int          // input.changes as last written

	conn         conn
	caFile       string        // the CA file of the connection's options, for a saved script's replay line
	caLoads      int           // :connect --ca reads so far: only the latest connects
	closing      []link        // retired links whose closeCmd has not reported: Close closes them
	sess         session.State // as of the replies received so far
	outbox       outbox
	hold         heldQueue // lines stopped at a barrier that failed (queue.go)
	heldRows     int       // the held box's rows in the layout
	dataRefused  string    // why DATA was refused, until a new transaction: message text typed then is likely a mistake
	warnedLine   string    // a line sent once with Enter and warned about: Enter again sends it
	inflight     []pending
	op           opKind
	cancelOp     context.CancelFunc
	opStart      time.Time
	writeExpects int      // in-flight commands the write under way added
	group        int      // commands in the last pipelined group written, for the status line
	writing      writeReq // the write under way
	stopping     bool     // the wait on the idle connection was cancelled to write: its end is due
	ticking      bool

	auth   *authRun
	prompt authPrompt
	chunk  handChunk // a BDAT chunk being typed (bdat.go)

	guide      guide         // guided mode: the step card
	lesson     lessonCard    // a course's lesson (ehlo learn)
	explain    explainPanel  // the explain overlay
	ident      identityState // the identity check of the last MAIL FROM (identity.go)
	showTiming bool          // the timing waterfall in place of the panes

	flash       flash
	offer       string // the :connect line that works, when the target speaks another mode (tlsfirst.go)
	offerWhy    string // why, in a few words
	warnings    []session.Warning
	choices     []string // Tab candidates on show
	choiceAt    int      // the candidate Tab put in the input, -1 for none yet
	taken       string   // the suggestion → or Tab last put in the input: tab then moves on
	quitAsked   bool     // Ctrl+C asked whether to lose a draft or queued lines: the next key answers
	clearSaid   bool     // credentials went in clear on this connection, and the screen said so
	typoHeld    string   // the line the first Enter kept for a typo warning: Enter again sends it
	lastLatency time.Duration
	notes       []string // remarks for the transcript, recorded before this Update's commands run

	mx mxState // the MX list of --mx and :mx (mx.go)

	observe func(Model) // tests: called after every Update, notes not yet recorded
}

// connectMsg starts the first connection.
type connectMsg struct{ target string }

// New builds the explorer for cfg. It opens the --transcript file, but no
// connection: Init starts that.
func New(cfg Config) (Model, error) {
	target, endpoint, opts, err := resolve(cfg)
	if err != nil {
		return Model{}, err
	}
	if cfg.Theme == "" {
		cfg.Theme = "auto"
	}
	st, err := themes.New(cfg.Theme, true)
	if err != nil {
		return Model{}, err
	}
	lang := cfg.Lang
	if lang == "" && cfg.Course != nil {
		lang = cfg.Course.Lang
	}
	w := wordsFor(lang)
	m := Model{
		cfg: cfg, opts: opts, endpoint: endpoint, dial: wireDial, tryTLS: tryImplicitTLS, now: time.Now,
		themeName: cfg.Theme, isDark: true, st: &st, keys: newKeyMap(w), help: help.New(), w: w,
		mouse: cfg.Mouse, tr: wire.NewTranscript(),
		transcript: NewTranscript(st), side: newSide(st, w), input: newInput(st), compose: newComposer(st),
	}
	m.help.Styles = helpStyles(st)
	m.conn.target, m.caFile = target, cfg.CAFile
	if cfg.MX.Domain != "" { // the route names the target (Init)
		m.conn.target, m.endpoint = "", ""
	}
	m.mx.host = -1
	m.guide.on = cfg.Guided
	if c := cfg.Course; c != nil && len(c.Lessons) > 0 {
		m.lesson, m.guide.on = newLessonCard(*c), false
	}
	if cfg.History != "" {
		m.hist = &historyFile{path: cfg.History}
	}
	m.changed, m.unwatch = m.tr.Watch()
	if cfg.Transcript != "" {
		if m.sink, err = openSink(cfg.Transcript); err != nil {
			return Model{}, err
		}
		m.unsink = m.tr.Subscribe(m.sink.write)
	}
	return m, nil
}

// resolve finds the target, the lab endpoint's name when running on the
// lab without a target, and the connection options.
func resolve(cfg Config) (target, endpoint string, opts client.Options, err error) {
	opts = cfg.Options
	if cfg.Target != "" || cfg.Lab == nil {
		if cfg.Target == "" && cfg.MX.Domain == "" {
			return "", "", opts, errors.New("no target")
		}
		return cfg.Target, "", opts, nil
	}
	name := cfg.Endpoint
	if name == "" {
		name = "submission"
	}
	ep, ok := cfg.Lab.Endpoint(name)
	if !ok {
		return "", "", opts, fmt.Errorf("no lab endpoint %q (want one of %s)", name, strings.Join(lab.EndpointNames, ", "))
	}
	return ep.Addr, ep.Name, labOptions(cfg, ep), nil
}

// labOptions are the connection options for a lab endpoint: its TLS mode,
// and its CA unless the user gave one.
func labOptions(cfg Config, ep lab.Endpoint) client.Options {
	opts := cfg.Options
	if opts.RootCAs == nil {
		opts.RootCAs = cfg.Lab.CertPool()
	}
	opts.ImplicitTLS = ep.ImplicitTLS
	return opts
}

// Run runs the explorer until the user quits or ctx ends. opts go to
// tea.NewProgram after ehlo's own: main passes
// tea.WithColorProfile(colorprofile.Ascii) under NO_COLOR, for instance.
func Run(ctx context.Context, cfg Config, opts ...tea.ProgramOption) error {
	m, err := New(cfg)
	if err != nil {
		return err
	}
	final, err := tea.NewProgram(m, append([]tea.ProgramOption{tea.WithContext(ctx)}, opts...)...).Run()
	if fm, ok := final.(Model); ok {
		m = fm
	}
	m.Close()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil // the caller ended it
	}
	return err
}

// Close releases what New and the session opened: the connection, the
// transcript watchers and the --transcript file. It writes the history's
// last line if the program quit before the command writing it ran, or
// waits for that write: ehlo writes nothing once Close returns.
func (m Model) Close() error {
	m.stopTry()
	if m.hist != nil {
		_ = m.hist.flush() // nowhere left to say it failed
	}
	if m.conn.link != nil {
		_ = m.conn.link.Close()
	}
	for _, l := range m.closing { // their closeCmd did not run before the program quit
		_ = l.Close()
	}
	if m.unwatch != nil {
		m.unwatch()
	}
	if m.unsink != nil {
		m.unsink()
	}
	if m.sink != nil {
		return m.sink.Close()
	}
	return nil
}

// Init asks for the terminal's background, starts the transcript watcher
// and the first connection.
func (m Model) Init() tea.Cmd {
	target := m.conn.target
	cmds := []tea.Cmd{
		tea.RequestBackgroundColor,
		watchCmd(m.changed, m.tr, m.seq),
		func() tea.Msg { return connectMsg{target: target} },
	}
	if d := m.cfg.MX.Domain; d != "" {
		cmds[2] = func() tea.Msg { return mxAskMsg{arg: d} }
	}
	if m.hist != nil {
		cmds = append(cmds, loadHistoryCmd(m.hist))
	}
	return tea.Batch(cmds...)
}

// Update applies one message. Notes made while handling it are recorded in
// the transcript before any command it starts.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	m, cmd := m.update(msg)
	m = m.refresh()
	if m.heldHeight() != m.heldRows && m.width > 0 {
		m = m.resize(m.width, m.height)
	}
	if m.observe != nil { // with this Update's notes, before they go to the transcript
		m.observe(m)
	}
	if save := m.saveHistory(); save != nil {
		cmd = tea.Batch(cmd, save)
	}
	if next, save := m.lessonProgress(); save != nil || next.lesson.saved != m.lesson.saved {
		m, cmd = next, tea.Batch(cmd, save)
	}
	if m.lesson.fetch {
		var fetch tea.Cmd
		m, fetch = m.fetchStored()
		cmd = tea.Batch(cmd, fetch)
	}
	if len(m.notes) > 0 {
		cmd = tea.Sequence(noteCmd(m.noteFunc(), m.notes), cmd)
		m.notes = nil
	}
	return m, cmd
}

func (m Model) update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		return m.resize(msg.Width, msg.Height), nil
	case tea.BackgroundColorMsg:
		m.isDark = msg.IsDark()
		_ = m.applyTheme(m.themeName)
		return m, nil
	case tea.KeyPressMsg:
		return m.key(msg)
	case tea.PasteMsg:
		return m.paste(msg.Content)
	case tea.MouseWheelMsg:
		return m.wheel(msg), nil
	case connectMsg:
		return m.connect(msg.target)
	case mxAskMsg:
		return m.startMX(msg.arg)
	case mxRouteMsg:
		return m.mxRouted(msg)
	case mxSTSMsg:
		return m.mxPolicy(msg), nil
	case dialedMsg:
		return m.dialed(msg)
	case wroteMsg:
		return m.wrote(msg)
	case replyMsg:
		return m.replied(msg)
	case listenMsg:
		return m.listened(msg)
	case caLoadedMsg:
		return m.caLoaded(msg)
	case tlsMsg:
		return m.tlsDone(msg)
	case greetWaitMsg:
		return m.greetWaited(msg)
	case triedMsg:
		return m.tried(msg)
	case entriesMsg:
		return m.entries(msg)
	case linkMsg:
		return m.show(msg.entries).update(msg.msg)
	case tickMsg:
		return m.tick()
	case savedMsg:
		return m.saved(msg)
	case composeFileMsg:
		return m.composeFileLoaded(msg), nil
	case storedMsg:
		m.lesson.stored = &msg.stored
		return m, nil
	case progressSavedMsg:
		if msg.err != nil {
			m.flash = warnFlash(m.w.T("progress not saved: ") + msg.err.Error())
		}
		return m, nil
	case historyLoadedMsg:
		return m.historyLoaded(msg), nil
	case historySavedMsg: // said once: the history stays for this run only
		m.hist = nil
		m.flash = warnFlash(m.w.T("history not saved, kept for this run only: ") + msg.err.Error())
		return m, nil
	case identityMsg:
		return m.identityDone(msg)
	case closedMsg:
		m.closing = slices.DeleteFunc(m.closing, func(l link) bool { return l == msg.link })
		return m, nil
	}
	return m.forward(msg)
}

// forward gives other messages (cursor and textarea internals) to the
// component that has the keyboard.
func (m Model) forward(msg tea.Msg) (Model, tea.Cmd) {
	var cmd tea.Cmd
	if m.compose.open {
		m.compose, cmd = m.compose.Update(msg)
		return m, cmd
	}
	m.input, cmd = m.input.Update(msg)
	return m, cmd
}

// entries shows a batch of transcript entries and waits for the next.
func (m Model) entries(msg entriesMsg) (Model, tea.Cmd) {
	m = m.show(msg.entries)
	return m, watchCmd(m.changed, m.tr, m.seq)
}

// show appends the entries the pane does not have yet: the watcher and a
// link message (linkMsg) may both bring the same ones.
func (m Model) show(entries []wire.Entry) Model {
	for len(entries) > 0 && entries[0].Seq < m.seq {
		entries = entries[1:]
	}
	if n := len(entries); n > 0 {
		m.transcript.Append(entries...)
		m.seq = entries[n-1].Seq + 1
		var met []int
		m.lesson, met = m.lesson.feed(entries)
		m = m.metFlash(met)
		m = m.noticeClear(entries)
	}
	return m
}

// recorded runs a command that drives the link, its message to come with
// the entries recorded meanwhile (recordedCmd).
func (m Model) recorded(cmd tea.Cmd) tea.Cmd { return recordedCmd(m.tr, m.seq, cmd) }

// tick keeps the spinner moving while a wait lasts.
func (m Model) tick() (Model, tea.Cmd) {
	if !m.waiting() {
		m.ticking = false
		return m, nil
	}
	return m, tickCmd()
}

// startTick starts the spinner's clock unless it already runs.
func (m *Model) startTick() tea.Cmd {
	if m.ticking {
		return nil
	}
	m.ticking = true
	return tickCmd()
}

// noteFunc records a note through the connection when there is one, so a
// note inside TLS is marked as such.
func (m Model) noteFunc() func(string) {
	if m.conn.link != nil {
		return m.conn.link.Note
	}
	return m.tr.Note
}

// note queues a remark for the transcript.
func (m *Model) note(text string) { m.notes = append(m.notes, text) }

// helo is the name to offer in EHLO.
func (m Model) helo() string {
	if m.opts.Helo != "" {
		return m.opts.Helo
	}
	return client.DefaultHelo
}

// applyTheme switches to the named theme; styles apply at the next render.
func (m *Model) applyTheme(name string) error {
	st, err := themes.New(name, m.isDark)
	if err != nil {
		return err
	}
	m.themeName, m.st = strings.ToLower(strings.TrimSpace(name)), &st
	m.transcript.SetStyles(st)
	m.side.st = m.st
	m.input = m.input.setStyles(st)
	m.compose = m.compose.setStyles(st)
	m.help.Styles = helpStyles(st)
	return nil
}

// resize recomputes the layout, only here (on tea.WindowSizeMsg, and when
// guided mode's card comes or goes): the transcript takes about 65% of the
// width, the side panel the rest, the card (guided mode) and the footer
// the rows below. Below 60 columns the side panel goes.
func (m Model) resize(w, h int) Model {
	m.width, m.height = w, h
	m.heldRows = m.heldHeight()
	m.hintH, m.cardH = m.hintRows(), m.cardHeight()
	m.mainH = max(h-footerRows-m.hintH-m.cardH-m.heldRows, 3)
	m.sideW = min(max(w*35/100, 26), 48)
	if w < 60 {
		m.sideW = 0
	}
	m.paneW = max(w-m.sideW, 4)
	m.transcript.SetSize(m.paneW-2, m.mainH-2)
	m.side.SetSize(m.sideW, m.mainH)
	m.compose.SetSize(m.paneW, m.mainH)
	return m
}

// refresh recomputes what depends on the typed line and the session after
// every message: masking, warnings, focus flags.
func (m Model) refresh() Model {
	secret := m.input.mode == modePassword || (m.input.mode == modeCommand && m.inAuth())
	m.input = m.input.setSecret(secret)
	m.input = m.input.setWidth(m.width - ansi.StringWidth(m.promptText()) - 1)
	if m.compose.note != "" {
		m.flash, m.compose.note = warnFlash(m.compose.note), ""
	}
	m.transcript.SetFocused(m.focus == focusTranscript)
	m.side.focused = m.focus == focusCaps
	rows := capRows(m.sess)
	m.side = m.side.follow(rows)
	m.side, _ = m.side.Update(nil, len(rows))
	m.warnings = m.checkLine()
	m = m.updateGuide()
	if m.width > 0 && (m.hintRows() != m.hintH || m.cardHeight() != m.cardH) { // a longer hint or step takes rows from the panes, a shorter gives them back
		m = m.resize(m.width, m.height)
	}
	return m
}

// checkLine is State.Check on the line being typed: the warning shows
// before Enter, and never blocks it.
func (m Model) checkLine() []session.Warning {
	v := m.input.Value()
	if f := strings.Fields(v); len(f) > 1 && strings.EqualFold(f[0], ":auth") {
		v = "AUTH " + f[1] // :auth sends that line: the same warnings, before the password is asked for
	}
	if m.input.mode != modeCommand || v == "" || strings.HasPrefix(v, ":") || m.inData() || m.inAuth() || m.drafting() {
		return nil
	}
	// A typed line waits for the replies in flight (the greeting too), so
	// it is never pipelined nor sent before the greeting: those warnings
	// would not apply.
	ws := slices.DeleteFunc(m.effective().Check(v), func(w session.Warning) bool {
		return w.Code == "pipelining" || w.Code == "before-greeting"
	})
	if m.opts.LMTP {
		return lmtpWarnings(ws, v)
	}
	return ws
}

// lmtpWarnings says the warnings in LMTP's words: its hello is LHLO, and
// EHLO or HELO typed there is refused (RFC 2033 4.1).
func lmtpWarnings(ws []session.Warning, line string) []session.Warning {
	out := make([]session.Warning, 0, len(ws)+1)
	if f := strings.Fields(line); len(f) > 0 && (strings.EqualFold(f[0], "EHLO") || strings.EqualFold(f[0], "HELO")) {
		w := session.Warning{Code: "lmtp-hello", Text: "LMTP says LHLO, never EHLO nor HELO (RFC 2033 4.1): expect 500"}
		if len(f) > 1 {
			w.Fix = "LHLO " + strings.Join(f[1:], " ")
		}
		out = append(out, w)
	}
	for _, w := range ws {
		switch w.Code {
		case "mail-before-ehlo":
			w.Text = "no LHLO accepted yet: expect 503"
		case "starttls-not-offered", "auth-not-advertised":
			w.Text = strings.Replace(w.Text, "send EHLO first", "send LHLO first", 1)
		}
		out = append(out, w)
	}
	return out
}
