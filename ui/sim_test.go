package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"

	"github.com/ehlo-sh/ehlo/wire"
)

// This file drives Model.Update with synthetic messages, as the program
// would, without a network: a fake link stands for the connection, and the
// test plays the replies and the transcript entries the wire would record.

// fakeLink records what the model wrote. Its reads are never called: the
// tests deliver replies as messages.
type fakeLink struct {
	addr   string
	tls    *wire.TLSInfo
	writes []writeReq
	closed bool
	desync []byte // what CheckIdle finds waiting, if anything
}

func (f *fakeLink) CheckIdle(context.Context) error {
	if f.desync != nil {
		return &wire.DesyncError{Bytes: f.desync}
	}
	return nil
}

func (f *fakeLink) WriteLine(_ context.Context, line string) error {
	f.writes = append(f.writes, writeReq{line: line})
	return nil
}

func (f *fakeLink) WriteSecretLine(_ context.Context, line, shown string, _ ...string) error {
	f.writes = append(f.writes, writeReq{line: line, shown: shown, secret: true})
	return nil
}

func (f *fakeLink) WriteLines(_ context.Context, lines []string) error {
	f.writes = append(f.writes, writeReq{lines: lines})
	return nil
}

func (f *fakeLink) WriteRaw(_ context.Context, p []byte) error {
	f.writes = append(f.writes, writeReq{raw: p})
	return nil
}

func (f *fakeLink) WriteChunk(_ context.Context, p []byte, head, _ int) error {
	f.writes = append(f.writes, writeReq{line: string(p[:head-2]), chunk: p, head: head})
	return nil
}

func (f *fakeLink) ReadReply(context.Context) (wire.Reply, error) { select {} }

func (f *fakeLink) WaitReadable(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}

func (f *fakeLink) StartTLS(context.Context) (wire.TLSInfo, error) { select {} }

func (f *fakeLink) TLS() (wire.TLSInfo, bool) {
	if f.tls == nil {
		return wire.TLSInfo{}, false
	}
	return *f.tls, true
}

func (f *fakeLink) Addr() string        { return f.addr }
func (f *fakeLink) LocalAddr() string   { return "127.0.0.1:40000" }
func (f *fakeLink) Note(string)         {}
func (f *fakeLink) Close() error        { f.closed = true; return nil }
func (f *fakeLink) lines() []string     { return linesOf(f.writes) }
func (f *fakeLink) last() writeReq      { return f.writes[len(f.writes)-1] }
func (f *fakeLink) count() int          { return len(f.writes) }
func (f *fakeLink) reset()              { f.writes = nil }
func (f *fakeLink) wrote(s string) bool { return contains(f.lines(), s) }

// linesOf lists what the writes sent, a line each, a pipelined group's
// lines one by one.
func linesOf(ws []writeReq) []string {
	var out []string
	for _, w := range ws {
		switch {
		case w.raw != nil:
			out = append(out, string(w.raw))
		case w.lines != nil:
			out = append(out, w.lines...)
		default:
			out = append(out, w.line)
		}
	}
	return out
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// told is what the screen told the user of the last event: the flash,
// and after a close the reason, which the transcript's note holds.
func told(m Model) string {
	if m.flash.closed {
		return m.flash.text + " | " + m.conn.reason
	}
	return m.flash.text
}

// epoch is the frozen clock of the tests.
var epoch = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)

// sim is a model under test with its fake connection and clock.
type sim struct {
	t     testing.TB
	m     Model
	link  *fakeLink
	clock time.Time
	seq   int
	tls   bool
	noted []string // the model's notes, shown as the wire would record them
}

// newSim builds a model for target at w x h with a frozen clock.
func newSim(t testing.TB, theme string, w, h int) *sim {
	t.Helper()
	m, err := New(Config{Target: "smtp.gmail.example:587", Theme: theme, Mouse: true})
	if err != nil {
		t.Fatal(err)
	}
	s := &sim{t: t, clock: epoch, link: &fakeLink{addr: "192.0.2.25:587"}}
	m.now = func() time.Time { return s.clock }
	m.observe = func(m Model) { s.noted = append(s.noted, m.notes...) }
	s.m = m
	s.send(tea.WindowSizeMsg{Width: w, Height: h})
	return s
}

// send applies messages and runs no command.
func (s *sim) send(msgs ...tea.Msg) {
	s.t.Helper()
	for _, msg := range msgs {
		s.update(msg)
	}
}

// update applies one message and returns the command of the last Update:
// when the model cancelled its wait on the idle connection to write, the
// wait's end follows, as listenCmd would report it.
func (s *sim) update(msg tea.Msg) tea.Cmd {
	next, cmd := s.m.Update(msg)
	s.m = next.(Model)
	for s.m.op == opListen && s.m.stopping {
		next, cmd = s.m.Update(listenMsg{gen: s.m.conn.gen, err: context.Canceled})
		s.m = next.(Model)
	}
	notes := s.noted
	s.noted = nil
	for _, n := range notes {
		s.entry(wire.Note, n)
	}
	return cmd
}

// advance moves the clock.
func (s *sim) advance(d time.Duration) { s.clock = s.clock.Add(d) }

// connect dials (the fake) and leaves the model waiting for the greeting.
func (s *sim) connect() {
	s.t.Helper()
	s.send(connectMsg{target: s.m.conn.target})
	s.send(dialedMsg{gen: s.m.conn.gen, link: s.link})
	s.entry(wire.Note, "connected to "+s.link.addr)
}

// entry shows one transcript entry, as the wire would record it.
func (s *sim) entry(dir wire.Dir, text string) {
	data := []byte(text)
	if dir != wire.Note && dir != wire.DNS { // notes and D: lines are text, not wire lines
		data = append(data, '\r', '\n')
	}
	s.send(entriesMsg{entries: []wire.Entry{{Seq: s.seq, Time: s.clock, Dir: dir, TLS: s.tls, Data: data}}})
	s.seq++
}

// secretEntry shows a client line recorded as a secret.
func (s *sim) secretEntry(text, shown string) {
	s.send(entriesMsg{entries: []wire.Entry{{Seq: s.seq, Time: s.clock, Dir: wire.Client, TLS: s.tls,
		Data: []byte(text + "\r\n"), Secret: true, Shown: shown}}})
	s.seq++
}

// reply plays the server's reply to the oldest command in flight.
func (s *sim) reply(lines ...string) {
	s.t.Helper()
	s.advance(23 * time.Millisecond)
	for _, l := range lines {
		s.entry(wire.Server, l)
	}
	if s.m.op != opRead {
		s.t.Fatalf("reply %q: the model is not reading (op %d)", lines[0], s.m.op)
	}
	s.send(replyMsg{gen: s.m.conn.gen, reply: wire.Reply{Lines: lines}, at: s.clock})
}

// typ types text into the focused input, key by key.
func (s *sim) typ(text string) {
	for _, r := range text {
		s.send(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

// press sends one special key.
func (s *sim) press(code rune, mod ...tea.KeyMod) {
	k := tea.KeyPressMsg{Code: code}
	for _, m := range mod {
		k.Mod |= m
	}
	s.send(k)
}

// enter types a line and presses Enter, then completes the writes it
// started, showing each written line in the transcript as the wire would.
func (s *sim) enter(text string) {
	s.t.Helper()
	s.typ(text)
	s.press(tea.KeyEnter)
	s.flush()
}

// flush completes every write under way.
func (s *sim) flush() {
	for s.m.op == opWrite {
		w := s.m.writing
		s.link.writes = append(s.link.writes, w)
		switch {
		case w.raw != nil:
			for _, l := range strings.SplitAfter(string(w.raw), "\r\n") {
				if l != "" {
					s.entry(wire.Client, strings.TrimSuffix(l, "\r\n"))
				}
			}
		case w.chunk != nil:
			s.chunkEntries(w)
		case w.lines != nil:
			for _, l := range w.lines {
				s.entry(wire.Client, l)
			}
		case w.secret:
			s.secretEntry(w.line, w.shown)
		default:
			s.entry(wire.Client, w.line)
		}
		s.send(wroteMsg{gen: s.m.conn.gen})
	}
}

// starttls plays a successful upgrade after the 220.
func (s *sim) starttls(info wire.TLSInfo) {
	s.t.Helper()
	if s.m.op != opTLS {
		s.t.Fatalf("not in a TLS handshake (op %d)", s.m.op)
	}
	s.tls = true
	s.entry(wire.Note, "TLS 1.3 handshake with \"smtp.gmail.example\" in 9.1ms: TLS_AES_128_GCM_SHA256; certificate verified")
	s.send(tlsMsg{gen: s.m.conn.gen, info: info})
}

// screen is the view without styles.
func (s *sim) screen() string { return ansi.Strip(s.m.View().Content) }

// gmailPlain plays a session with a Gmail-like submission server up to its
// plaintext EHLO: STARTTLS offered, no AUTH.
func gmailPlain(s *sim) {
	s.t.Helper()
	s.connect()
	s.reply("220 smtp.gmail.example ESMTP a1-20020a170902 - gsmtp")
	s.enter("EHLO client.example")
	s.reply(
		"250-smtp.gmail.example at your service, [192.0.2.7]",
		"250-SIZE 35882577",
		"250-8BITMIME",
		"250-STARTTLS",
		"250-ENHANCEDSTATUSCODES",
		"250-PIPELINING",
		"250-CHUNKING",
		"250 SMTPUTF8",
	)
}

// gmailTLS continues gmailPlain through STARTTLS and the second EHLO, where
// AUTH appears.
func gmailTLS(s *sim) {
	s.t.Helper()
	gmailTLSWith(s, gmailCert())
}

// gmailTLSWith is gmailTLS with the server presenting cert.
func gmailTLSWith(s *sim, cert wire.TLSInfo) {
	s.t.Helper()
	gmailPlain(s)
	s.enter("STARTTLS")
	s.reply("220 2.0.0 Ready to start TLS")
	s.starttls(cert)
	s.enter("EHLO client.example")
	s.reply(
		"250-smtp.gmail.example at your service, [192.0.2.7]",
		"250-SIZE 35882577",
		"250-8BITMIME",
		"250-AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH",
		"250-ENHANCEDSTATUSCODES",
		"250-PIPELINING",
		"250-CHUNKING",
		"250 SMTPUTF8",
	)
}

func gmailCert() wire.TLSInfo {
	return wire.TLSInfo{
		Version: "TLS 1.3", Cipher: "TLS_AES_128_GCM_SHA256", ServerName: "smtp.gmail.example", Verified: true,
		Chain: []wire.CertInfo{{
			Subject: "CN=smtp.gmail.example", Issuer: "CN=WR2,O=Google Trust Services,C=US",
			DNSNames: []string{"smtp.gmail.example"}, NotBefore: epoch.AddDate(0, -1, 0), NotAfter: epoch.AddDate(0, 2, 0),
			SHA256: "3f2a9c4be1d07a55c0ffee0123456789abcdef0123456789abcdef0123456789",
		}},
	}
}
