package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/charmbracelet/colorprofile"
	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"
	"github.com/ehlo-sh/ehlo/third_party/teatest"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/internal/hostile"
	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

// These tests run the explorer, as a tea.Program (teatest), against the
// hostile-server scenarios of internal/hostile over real loopback
// connections. After every Update the observer renders the view (mono
// theme) and checks it: only our own SGR styling, nothing from the server
// that acts on a terminal, the window title untouched, and no secret.
// Every test also checks for goroutine leaks and that the transcript is
// exactly what the client read from the socket.

// hsnap is what a test sees of the model after one Update.
type hsnap struct {
	phase     phase
	idle      bool // connected, nothing on the wire or queued
	greetWait bool // reading the greeting
	dataEnd   bool // reading the reply to the final "."
	timeout   time.Duration
	mode      inputMode
	flash     string
	told      string // the flash, and after a close the reason the transcript says
	sess      session.State
	badge     string
	history   []string
	keys      int    // key presses and pastes processed before this Update
	rendered  bool   // screen and text are fresh
	screen    string // the view without styling
	text      string // the transcript as :copy gives it
	input     string // the line in the input
	offer     string // the :connect line offered
}

// hobs watches the model from its own goroutine; the test reads snapshots.
type hobs struct {
	title   string
	secrets *hostile.Secrets

	mu       sync.Mutex
	last     hsnap
	problems []string
	keys     int // key presses processed
	changed  chan struct{}
}

func (o *hobs) see(m Model) {
	s := hsnap{
		phase: m.conn.phase, flash: m.flash.text, told: told(m), sess: m.sess, mode: m.input.mode,
		idle:    m.conn.phase == phaseOpen && !m.waiting() && len(m.inflight) == 0 && m.outbox.len() == 0,
		history: append([]string(nil), m.input.history...),
		input:   m.input.Value(), offer: m.offer,
	}
	if m.op == opRead && len(m.inflight) > 0 {
		s.greetWait = m.inflight[0].kind == kindGreeting
		s.dataEnd = m.inflight[0].kind == kindDataEnd
		s.timeout = m.inflight[0].timeout
	}
	var problems []string
	// Rendering each keystroke is slow under -race: only when what is typed
	// may be a secret (masked, or a prompt), or the line is empty or holds
	// the :connect line offered.
	if m.input.Value() == "" || m.input.Value() == m.offer || m.input.mode != modeCommand || m.input.secret {
		v := m.View()
		plain, err := hostile.ViewErr(v.Content)
		if err != nil {
			problems = append(problems, "view: "+err.Error())
		}
		if v.WindowTitle != o.title {
			problems = append(problems, fmt.Sprintf("window title %q, want %q", v.WindowTitle, o.title))
		}
		s.rendered, s.screen, s.text = true, plain, m.transcript.Text(false)
		for _, b := range []string{"TLS UNVERIFIED", "PLAINTEXT", "TLS"} {
			if strings.Contains(plain, " "+b+" ") {
				s.badge = b
				break
			}
		}
		if o.secrets != nil {
			for what, out := range map[string]string{"view": v.Content, "transcript text": s.text, "flash": s.flash,
				"history": strings.Join(s.history, "\n")} {
				if err := o.secrets.Find([]byte(out)); err != nil {
					problems = append(problems, what+": "+err.Error())
				}
			}
		}
	}
	o.mu.Lock()
	s.keys = o.keys
	o.last = s
	o.problems = append(o.problems, problems...)
	o.mu.Unlock()
	o.poke()
}

func (o *hobs) poke() {
	select {
	case o.changed <- struct{}{}:
	default:
	}
}

// keyDone counts a key press the model has processed.
func (o *hobs) keyDone() {
	o.mu.Lock()
	o.keys++
	o.last.keys = o.keys
	o.mu.Unlock()
	o.poke()
}

// keyCounter is the model under test, counting the key presses it
// processed, so a wait starts after the test's last key.
type keyCounter struct {
	Model
	obs *hobs
}

func (k keyCounter) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	next, cmd := k.Model.Update(msg)
	switch msg.(type) {
	case tea.KeyPressMsg, tea.PasteMsg:
		k.obs.keyDone()
	}
	return keyCounter{next.(Model), k.obs}, cmd
}

// tuiRun is the explorer on one hostile server.
type tuiRun struct {
	t      *testing.T
	tm     *teatest.TestModel
	obs    *hobs
	srv    *hostile.Server
	offset atomic.Int64 // added to the model's clock
	dir    string
	sent   int // key presses sent

	mu    sync.Mutex
	taps  []*hostile.Tap
	conns []*hostile.Tap // each connection the explorer made, in order: its tap, nil for implicit TLS
	quit  sync.Once
	fm    Model
}

// runTUI starts the explorer on scenario. cfg.Target defaults to the
// server's address; any other target still connects to the server, so a
// test can give it a name that is not loopback.
func runTUI(t *testing.T, scenario string, cfg Config) *tuiRun {
	t.Helper()
	return runTUIWatching(t, scenario, cfg, nil)
}

// runTUIWatching is runTUI with every view searched for the secrets.
func runTUIWatching(t *testing.T, scenario string, cfg Config, secrets *hostile.Secrets) *tuiRun {
	t.Helper()
	// A short directory: :save PATH is typed key by key.
	dir, err := os.MkdirTemp("", "h")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	r := &tuiRun{t: t, srv: hostile.Start(t, hostile.Load(scenario)), dir: dir}
	if cfg.Target == "" {
		cfg.Target = r.srv.Addr
	}
	if cfg.Options.Timeout == 0 {
		cfg.Options.Timeout = 5 * time.Second
	}
	if cfg.Options.RootCAs == nil {
		cfg.Options.RootCAs = hostile.Roots()
	}
	cfg.Theme = "mono"
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r.obs = &hobs{title: "ehlo — " + session.SanitizeString(cfg.Target), secrets: secrets, changed: make(chan struct{}, 1)}
	m.dial = r.dial
	m.now = func() time.Time { return time.Now().Add(time.Duration(r.offset.Load())) }
	m.observe = r.obs.see
	r.tm = teatest.NewTestModel(t, keyCounter{m, r.obs}, teatest.WithInitialTermSize(160, 40),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
	t.Cleanup(r.stop)
	return r
}

// dial connects to the scenario's server whatever the target, reading
// through a tap in plaintext so the transcript can be compared with it.
func (r *tuiRun) dial(ctx context.Context, _ string, opts wire.Options) (link, error) {
	if opts.Mode == wire.ModeImplicitTLS {
		c, err := wire.Dial(ctx, r.srv.Addr, opts)
		var de *wire.DialError
		if !errors.As(err, &de) {
			r.mu.Lock()
			r.conns = append(r.conns, nil)
			r.mu.Unlock()
		}
		if err != nil {
			return nil, err
		}
		return c, nil
	}
	// The server listens on loopback and takes every connection: the dial
	// stays out of the deadline, which the tests set for the server's
	// replies and which a loaded machine could spend on connecting alone.
	var d net.Dialer
	nc, err := d.DialContext(context.WithoutCancel(ctx), "tcp", r.srv.Addr)
	if err != nil {
		return nil, err
	}
	tap := hostile.NewTap(nc)
	r.mu.Lock()
	r.taps = append(r.taps, tap)
	r.conns = append(r.conns, tap)
	r.mu.Unlock()
	c := wire.NewConn(tap, opts)
	c.Note("connected to " + c.Addr())
	return c, nil
}

// stop quits the program, closes the model and checks what it left:
// problems seen in any view, and the transcript against the wire.
func (r *tuiRun) stop() {
	r.quit.Do(func() {
		r.tm.Send(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
		final, ok := r.tm.FinalModel(r.t, teatest.WithFinalTimeout(10*time.Second)).(keyCounter)
		if !ok {
			r.t.Fatal("no final model")
		}
		fm := final.Model
		fm.Close()
		r.fm = fm
		for _, c := range r.srv.Conns() { // the explorer closed every connection it opened
			select {
			case <-c.Done():
			case <-time.After(5 * time.Second):
				r.t.Errorf("a connection of the explorer is still open after it quit")
			}
		}
		r.obs.mu.Lock()
		problems := r.obs.problems
		r.obs.mu.Unlock()
		for _, p := range problems {
			r.t.Error(p)
		}
		r.checkTranscript(fm.tr)
	})
}

// checkTranscript compares the run's transcript with what the client read:
// while plaintext, exactly the tapped bytes of its one connection (TLS
// records follow, left out by design); inside TLS, the server's plaintext.
// A closed connection records its last partial line as it closes, so the
// check waits for the transcript to change, for a while, before failing.
func (r *tuiRun) checkTranscript(tr *wire.Transcript) {
	r.t.Helper()
	changed, cancel := tr.Watch()
	defer cancel()
	deadline := time.After(5 * time.Second)
	for {
		err := r.transcriptErr(tr)
		if err == nil {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			r.t.Error(err)
			return
		}
	}
}

func (r *tuiRun) transcriptErr(tr *wire.Transcript) error {
	if err, ok := r.perConnection(tr); ok {
		return err
	}
	var plain, inTLS []byte
	for _, e := range tr.Entries() {
		switch {
		case e.Dir != wire.Server:
		case e.TLS:
			inTLS = append(inTLS, e.Data...)
		default:
			plain = append(plain, e.Data...)
		}
	}
	r.mu.Lock()
	taps := r.taps
	r.mu.Unlock()
	if len(taps) == 1 {
		read := taps[0].Bytes()
		if !bytes.HasPrefix(read, plain) {
			return fmt.Errorf("transcript %q\nclient read %q", clip(plain), clip(read))
		}
		if rest := read[len(plain):]; len(rest) > 0 && (rest[0] < 0x14 || rest[0] > 0x17) {
			return fmt.Errorf("the transcript misses %d bytes the client read: %q", len(rest), clip(rest))
		}
	}
	if conns := r.srv.Conns(); len(conns) == 1 {
		if wrote := conns[0].Wrote(); !bytes.HasPrefix(wrote, append(plain, inTLS...)) {
			return fmt.Errorf("transcript %q is not what the server wrote %q", clip(append(plain, inTLS...)), clip(wrote))
		}
	}
	return nil
}

// perConnection compares, when the explorer made several connections and
// the transcript tells them apart ("connected to" notes, one each), each
// tapped connection's plaintext with what the client read on it.
func (r *tuiRun) perConnection(tr *wire.Transcript) (err error, ok bool) {
	r.mu.Lock()
	conns := r.conns
	r.mu.Unlock()
	var segs [][]byte
	for _, e := range tr.Entries() {
		switch {
		case e.Dir == wire.Note && strings.HasPrefix(string(e.Data), "connected to "):
			segs = append(segs, nil)
		case e.Dir == wire.Server && !e.TLS && len(segs) > 0:
			segs[len(segs)-1] = append(segs[len(segs)-1], e.Data...)
		}
	}
	if len(conns) < 2 || len(segs) != len(conns) {
		return nil, false
	}
	for i, tap := range conns {
		if tap == nil {
			continue
		}
		if read := tap.Bytes(); !bytes.Equal(read, segs[i]) && !(bytes.HasPrefix(read, segs[i]) && read[len(segs[i])] >= 0x14 && read[len(segs[i])] <= 0x17) {
			return fmt.Errorf("connection %d: transcript %q\nclient read %q", i+1, clip(segs[i]), clip(read)), true
		}
	}
	return nil, true
}

func clip(b []byte) []byte {
	if len(b) > 300 {
		return append(bytes.Clone(b[:300]), "..."...)
	}
	return b
}

// wait returns the first snapshot, after every key sent was processed,
// for which ok holds.
func (r *tuiRun) wait(what string, ok func(hsnap) bool) hsnap {
	r.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		r.obs.mu.Lock()
		s := r.obs.last
		r.obs.mu.Unlock()
		if s.keys >= r.sent && ok(s) {
			return s
		}
		select {
		case <-r.obs.changed:
		case <-deadline:
			r.t.Fatalf("timed out waiting for %s; phase %d, flash %q, keys %d of %d; screen:\n%s\ntranscript:\n%s",
				what, s.phase, s.flash, s.keys, r.sent, s.screen, s.text)
		}
	}
}

// idle waits until the session is open, quiet, and rendered.
func (r *tuiRun) idle(what string) hsnap {
	r.t.Helper()
	return r.wait(what, func(s hsnap) bool { return s.idle && s.rendered })
}

// closed waits for the connection to close and returns the snapshot.
func (r *tuiRun) closed(what string) hsnap {
	r.t.Helper()
	return r.wait(what, func(s hsnap) bool { return s.phase == phaseClosed && s.rendered })
}

// shows waits until the screen, or with text the transcript as :copy
// gives it, holds every part: transcript entries arrive on their own.
func (r *tuiRun) shows(text bool, parts ...string) hsnap {
	r.t.Helper()
	return r.wait(fmt.Sprintf("%q on screen", parts), func(s hsnap) bool {
		if !s.rendered {
			return false
		}
		for _, p := range parts {
			if text && !strings.Contains(s.text, p) || !text && !strings.Contains(s.screen, p) {
				return false
			}
		}
		return true
	})
}

// enter puts a line in the input and presses Enter. The line arrives as
// a paste (one message; each key costs a render, slow under -race): the
// textinput takes it as it takes keys.
func (r *tuiRun) enter(line string) {
	if line != "" {
		r.tm.Send(tea.PasteMsg{Content: line})
		r.sent++
	}
	r.tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	r.sent++
}

// typeLine types a line key by key, as a user types a secret, and presses
// Enter: every keystroke's view is checked.
func (r *tuiRun) typeLine(line string) {
	r.tm.Type(line)
	r.tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	r.sent += utf8.RuneCountInString(line) + 1
}

// command waits for the session to be idle, then sends line.
func (r *tuiRun) command(line string) {
	r.t.Helper()
	r.idle("idle before " + line)
	r.enter(line)
}

func (r *tuiRun) esc() {
	r.tm.Send(tea.KeyPressMsg{Code: tea.KeyEscape})
	r.sent++
}

// checkLeaks is hostile.CheckLeaks less teatest's SIGINT waiter, which
// teatest leaves running on purpose.
func checkLeaks(t *testing.T) {
	t.Helper()
	hostile.CheckLeaks(t, "github.com/ehlo-sh/ehlo/third_party/teatest.NewTestModel.func2")
}

func wantHas(t *testing.T, what, s string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(s, p) {
			t.Errorf("%s lacks %q:\n%s", what, p, s)
		}
	}
}

func TestHostileTUINoGreeting(t *testing.T) {
	t.Run("hint, then esc", func(t *testing.T) {
		checkLeaks(t)
		r := runTUI(t, "no-greeting", Config{Options: client.Options{Timeout: time.Minute}})
		r.wait("the greeting wait", func(s hsnap) bool { return s.greetWait })
		r.offset.Store(int64(greetingHintAfter + time.Second)) // the clock moves on; the socket's deadline does not
		s := r.wait("the hint", func(s hsnap) bool { return s.rendered && strings.Contains(s.screen, "no greeting yet") })
		wantHas(t, "screen", s.screen, "esc cancels", "465", ":connect 127.0.0.1:")
		r.esc()
		s = r.closed("the cancelled wait")
		wantHas(t, "told", s.told, "stopped waiting for the greeting (Esc)")
	})
	t.Run("hard timeout", func(t *testing.T) {
		checkLeaks(t)
		// the greeting wait well inside the timeout, so that a loaded machine
		// still starts the TLS try before the greeting's deadline
		r := runTUI(t, "no-greeting", Config{Options: client.Options{Timeout: 2 * time.Second, GreetingWait: 50 * time.Millisecond}})
		s := r.closed("the timeout")
		wantHas(t, "told", s.told, "no greeting within 2s", "implicit TLS, tried on a second connection, did not answer")
	})
	t.Run("hard timeout, no greeting wait", func(t *testing.T) {
		checkLeaks(t)
		r := runTUI(t, "no-greeting", Config{Options: client.Options{Timeout: 300 * time.Millisecond, GreetingWait: -1}})
		s := r.closed("the timeout")
		wantHas(t, "told", s.told, "no greeting within 300ms", "implicit TLS", ":connect 127.0.0.1:", " --tls)")
		if n := len(r.srv.Conns()); n != 1 {
			t.Errorf("%d connections: implicit TLS was tried", n)
		}
	})
}

func TestHostileTUITrickle(t *testing.T) {
	checkLeaks(t)
	r := runTUI(t, "trickle-greeting", Config{Options: client.Options{Timeout: 300 * time.Millisecond}})
	s := r.closed("the timeout")
	wantHas(t, "told", s.told, "no greeting within 300ms")
	// The deadline is absolute: it cut the greeting short, where a deadline
	// renewed by each byte would have waited out all 51 (2.5 s).
	r.mu.Lock()
	read := r.taps[0].Bytes()
	r.mu.Unlock()
	if len(read) >= len("220 mx.hostile.test ESMTP slowly, so very slowly\r\n") {
		t.Errorf("the explorer read the whole trickled greeting, %q, before its deadline", read)
	}
}

func TestHostileTUILimits(t *testing.T) {
	for _, tt := range []struct{ scenario, ehlo, want string }{
		{"endless-continuation", "EHLO client.test", "reply longer than 256 lines"},
		{"long-line", "", "reply line longer than 2048 bytes"},
	} {
		t.Run(tt.scenario, func(t *testing.T) {
			checkLeaks(t)
			r := runTUI(t, tt.scenario, Config{})
			if tt.ehlo != "" {
				r.command(tt.ehlo)
			}
			s := r.closed("the limit")
			wantHas(t, "told", s.told, tt.want)
			// The server offers 10 MB, or an endless stream: the explorer
			// reads, and so can hold, no more than one reply's limit and
			// its read buffer.
			r.boundedRead(wire.DefaultLimits.MaxReply + 8<<10)
		})
	}
}

func TestHostileTUIMalformed(t *testing.T) {
	for _, tt := range []struct{ scenario, want string }{
		{"malformed-25", "bad reply framing"},
		{"malformed-2500", "bad reply framing"},
		{"malformed-abc", "bad reply framing"},
		{"malformed-250ok", "bad reply framing"},
		{"malformed-999", "unreadable reply"},
	} {
		t.Run(tt.scenario, func(t *testing.T) {
			checkLeaks(t)
			r := runTUI(t, tt.scenario, Config{})
			s := r.wait("the error", func(s hsnap) bool { return s.rendered && strings.Contains(s.flash, tt.want) })
			if s.phase != phaseOpen {
				t.Errorf("phase %d: a malformed line must not close the session", s.phase)
			}
		})
	}
}

func TestHostileTUIEscapes(t *testing.T) {
	checkLeaks(t)
	r := runTUI(t, "escapes", Config{})
	r.command("EHLO client.test")
	r.idle("the EHLO reply")
	r.shows(false, `220 mx.hostile.test \x1b]52;c;ZXZpbA==\x07 \x1b]0;pwned title\x07`,
		`250-mx.hostile.test \x1b]0;owned\x07hello`, `250-SIZE 1000\x1b[2J`)
	r.shows(true, `\x1b[2J\x1b[H\x1b[10;20H\x1b[3A`, `\x1b]8;;https://evil.example/\x1b\\click`,
		`\u009b31m`, `\u202eevil\u202c`, `\u2066x\u2069`, `\u200e`, `550 no\r250 OK`)
	path := r.dir + "/escapes.jsonl"
	r.command(":save " + path)
	r.wait("the save", func(s hsnap) bool { return strings.HasPrefix(s.flash, "saved") })
	r.command("QUIT")
	r.closed("QUIT")
	r.shows(false, `221 bye \x1b[2J\x1b]0;bye\x07`)
}

func TestHostileTUINulInvalid(t *testing.T) {
	checkLeaks(t)
	r := runTUI(t, "nul-invalid", Config{})
	r.command("EHLO client.test")
	r.shows(false, `220 mx\x00.hostile.test \xff\xfe \xc3( \xc0\xaf \xed\xa0\x80 ESMTP`, `250-AUTH\x00PLAIN`)
}

func TestHostileTUIStartTLSInjection(t *testing.T) {
	checkLeaks(t)
	r := runTUI(t, "starttls-injection", Config{})
	r.command("EHLO client.test")
	r.command("STARTTLS")
	s := r.closed("the abort")
	wantHas(t, "told", s.told, "possible STARTTLS response injection", `250 AUTH PLAIN\r\n`, "aborted")
	s = r.shows(false, "possible response injection", "S: 250 AUTH PLAIN", "PLAINTEXT")
	if s.sess.TLS {
		t.Error("the session went TLS")
	}
	r.stop()
	if got := r.srv.Conn(t).Wait(t).Got(); !bytes.HasSuffix(got, []byte("STARTTLS\r\n")) {
		t.Errorf("after STARTTLS the client sent %q: no handshake may start", got)
	}
}

func TestHostileTUIStartTLSInjectionLater(t *testing.T) {
	checkLeaks(t)
	r := runTUI(t, "starttls-injection-later", Config{})
	r.command("EHLO client.test")
	r.command("STARTTLS")
	s := r.closed("the abort")
	// Whether the bytes beat the buffer check (an InjectionError) or the
	// ClientHello (a PlaintextError) depends on timing; both must name the
	// injection and show the bytes.
	wantHas(t, "told", s.told, `250 AUTH PLAIN\r\n`, "injection")
	r.shows(false, "S: 250 AUTH PLAIN", "PLAINTEXT")
}

func TestHostileTUIStartTLS(t *testing.T) {
	for _, tt := range []struct {
		scenario string
		opts     client.Options
		tls      bool
		badge    string
		want     string
	}{
		{"starttls-silence", client.Options{Timeout: time.Second}, false, "PLAINTEXT", "TLS failed: no TLS handshake within 1s after the server's 220"},
		{"starttls-454", client.Options{}, false, "PLAINTEXT", ""},
		{"starttls-502", client.Options{}, false, "PLAINTEXT", ""},
		{"starttls-selfsigned", client.Options{}, false, "PLAINTEXT", "TLS failed: the certificate did not verify: signed by an unknown authority"},
		{"starttls-expired", client.Options{}, false, "PLAINTEXT", "TLS failed: the certificate did not verify: expired"},
		{"starttls-wrongname", client.Options{}, false, "PLAINTEXT", "TLS failed: the certificate did not verify: name mismatch"},
		{"starttls-selfsigned", client.Options{Insecure: true}, true, "TLS UNVERIFIED", "certificate NOT verified"},
		{"starttls-expired", client.Options{Insecure: true}, true, "TLS UNVERIFIED", "certificate NOT verified"},
		{"starttls-wrongname", client.Options{Insecure: true}, true, "TLS UNVERIFIED", "certificate NOT verified"},
	} {
		name := tt.scenario
		if tt.opts.Insecure {
			name += "/insecure"
		}
		t.Run(name, func(t *testing.T) {
			checkLeaks(t)
			r := runTUI(t, tt.scenario, Config{Options: tt.opts})
			r.command("EHLO client.test")
			r.command("STARTTLS")
			var s hsnap
			switch {
			case tt.tls:
				s = r.idle("TLS")
			case tt.want != "":
				s = r.closed("the failure")
			default:
				s = r.wait("the refusal", func(s hsnap) bool { return s.idle && s.sess.Phase != session.PhaseClosed && s.rendered })
			}
			if s.sess.TLS != tt.tls || s.badge != tt.badge {
				t.Errorf("TLS %v, badge %q; want %v and %q\n%s", s.sess.TLS, s.badge, tt.tls, tt.badge, s.screen)
			}
			wantHas(t, "told", s.told, tt.want)
			if tt.tls {
				r.command("EHLO client.test")
				s = r.idle("EHLO in TLS")
				if s.badge != "TLS UNVERIFIED" {
					t.Errorf("badge %q after EHLO: UNVERIFIED must stay for the session", s.badge)
				}
			}
		})
	}
}

func TestHostileTUIImplicitTLS(t *testing.T) {
	t.Run("implicit TLS", func(t *testing.T) {
		checkLeaks(t)
		r := runTUI(t, "implicit-tls", Config{Options: client.Options{ImplicitTLS: true}})
		s := r.idle("the greeting in TLS")
		if !s.sess.TLS || s.badge != "TLS" {
			t.Errorf("TLS %v badge %q", s.sess.TLS, s.badge)
		}
	})
	t.Run("implicit TLS against plaintext", func(t *testing.T) {
		checkLeaks(t)
		r := runTUI(t, "plaintext-server", Config{Options: client.Options{ImplicitTLS: true}})
		s := r.closed("the failed dial")
		wantHas(t, "told", s.told, "answered in plaintext where TLS was expected")
		r.shows(false, "S: 220 mx.hostile.test ESMTP plaintext only")
	})
}

func TestHostileTUIClosing(t *testing.T) {
	for _, tt := range []struct{ scenario, want string }{
		{"unsolicited-421", "it is closing the session"}, // with the greeting, before any command: a desync
		{"fin-mid-reply", "the server closed the connection"},
		{"rst-mid-reply", "the server reset the connection"},
	} {
		t.Run(tt.scenario, func(t *testing.T) {
			checkLeaks(t)
			r := runTUI(t, tt.scenario, Config{})
			if tt.scenario != "unsolicited-421" { // seen after the greeting, before any command can go
				r.command("EHLO client.test")
			}
			s := r.closed("the close")
			if !strings.Contains(s.told, tt.want) && !(tt.scenario == "rst-mid-reply" && strings.Contains(s.told, "closed")) {
				t.Errorf("told %q, want %q", s.told, tt.want)
			}
		})
	}
}

func TestHostileTUIJunkBeforeGreeting(t *testing.T) {
	checkLeaks(t)
	r := runTUI(t, "junk-before-greeting", Config{})
	r.wait("an error", func(s hsnap) bool {
		return s.rendered && (strings.Contains(s.flash, "bad reply framing") || strings.Contains(s.flash, "longer than"))
	})
}

func TestHostileTUINoAnswerToDot(t *testing.T) {
	checkLeaks(t)
	r := runTUI(t, "no-answer-to-dot", Config{})
	for _, line := range []string{"EHLO client.test", "MAIL FROM:<a@client.test>", "RCPT TO:<b@mx.hostile.test>", "DATA"} {
		r.command(line)
	}
	r.wait("DATA mode", func(s hsnap) bool { return s.idle && s.sess.Phase == session.PhaseData })
	r.enter("Subject: hi")
	r.enter("")
	r.enter("hello")
	r.enter(".")
	s := r.wait("the wait for the final reply", func(s hsnap) bool { return s.dataEnd && s.rendered })
	if s.timeout < 10*time.Minute {
		t.Errorf("the final reply may take %v; RFC 5321 4.5.3.2.6 allows 10 minutes", s.timeout)
	}
	r.esc()
	s = r.closed("the cancelled wait")
	wantHas(t, "told", s.told, `stopped waiting for the reply to the final "." (Esc)`, "may still be delivered", "duplicate")
}

// TestHostileTUINoAnswerToDotDeadline: --data-timeout (or an explicit
// --timeout, which the command line turns into it) ends the wait for the
// final reply at the deadline given.
func TestHostileTUINoAnswerToDotDeadline(t *testing.T) {
	checkLeaks(t)
	r := runTUI(t, "no-answer-to-dot", Config{Options: client.Options{Timeout: 5 * time.Second, DataTimeout: 300 * time.Millisecond}})
	for _, line := range []string{"EHLO client.test", "MAIL FROM:<a@client.test>", "RCPT TO:<b@mx.hostile.test>", "DATA"} {
		r.command(line)
	}
	r.wait("DATA mode", func(s hsnap) bool { return s.idle && s.sess.Phase == session.PhaseData })
	r.enter("hello")
	r.enter(".")
	s := r.closed("the deadline") // the flash names the wait it had
	wantHas(t, "told", s.told, `no reply to the final "." within 300ms`, "may still be delivered", "duplicate")
}

func TestHostileTUIFlood(t *testing.T) {
	checkLeaks(t)
	r := runTUI(t, "flood", Config{})
	// More replies than commands: after the reply to EHLO the flood is
	// waiting; the explorer says the server is out of step and sends
	// nothing more.
	start := time.Now()
	r.command("EHLO client.test")
	s := r.closed("the desync")
	// Seen with the reply to EHLO, or a moment later while the explorer
	// waits on the idle connection: either way out of step.
	wantHas(t, "told", s.told, "out of step")
	if !strings.Contains(s.told, "protocol error at EHLO") && !strings.Contains(s.told, "unsolicited reply") {
		t.Errorf("told %q: want the desync named at EHLO or as an unsolicited reply", s.told)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the desync took %v to show under the flood", took)
	}
	if got := string(r.srv.Conn(t).Got()); got != "EHLO client.test\r\n" {
		t.Errorf("the server got %q: only EHLO went out", got)
	}
	// Replies are read one per command: the flood waits in the socket,
	// and what the explorer took of it is a few read buffers.
	r.boundedRead(64 << 10)
}

// boundedRead fails when the explorer read more than n bytes from the
// socket: what it never read, it cannot hold.
func (r *tuiRun) boundedRead(n int) {
	r.t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, tap := range r.taps {
		if got := len(tap.Bytes()); got > n {
			r.t.Errorf("the explorer read %d bytes from the socket, more than %d", got, n)
		}
	}
}

func TestHostileTUIPlaintextAuthConsent(t *testing.T) {
	t.Run("not loopback: asks first; n sends nothing", func(t *testing.T) {
		checkLeaks(t)
		r := runTUI(t, "plaintext-auth", Config{Target: "mx.hostile.example:25"})
		r.command("EHLO client.test")
		r.command(":auth PLAIN alice")
		s := r.wait("the question", func(s hsnap) bool { return s.mode == modeConfirm && s.rendered })
		wantHas(t, "flash", s.flash, "unencrypted connection to mx.hostile.example:25", "in clear", "y/n")
		r.enter("n")
		s = r.wait("the refusal", func(s hsnap) bool { return s.mode == modeCommand && s.idle })
		wantHas(t, "flash", s.flash, "nothing was sent")
		r.command(":auth PLAIN alice")
		r.wait("the question", func(s hsnap) bool { return s.mode == modeConfirm })
		r.enter("y")
		r.wait("the password prompt", func(s hsnap) bool { return s.mode == modePassword })
		r.typeLine("Tr0ub4dor&3-hostile")
		r.wait("AUTH", func(s hsnap) bool { return s.idle && strings.Contains(s.flash, "authenticated as alice") })
		r.stop()
		got := string(r.srv.Conn(t).Got())
		if strings.Count(got, "AUTH PLAIN") != 1 {
			t.Errorf("the server got %q: one AUTH, after the consent", got)
		}
	})
	t.Run("loopback: no question", func(t *testing.T) {
		checkLeaks(t)
		r := runTUI(t, "plaintext-auth", Config{})
		r.command("EHLO client.test")
		r.command(":auth PLAIN alice")
		r.wait("the password prompt", func(s hsnap) bool { return s.mode == modePassword })
	})
}
