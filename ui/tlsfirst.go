package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

// This file is the explorer's side of a target in another mode than asked
// for: a port that speaks TLS first, asked for in plaintext (its greeting
// never comes: after the greeting wait, implicit TLS is tried on a second
// connection while the first keeps waiting, client.TryImplicitTLS, in a
// command), a plaintext port asked for with --tls, and a server that speaks
// only an old TLS. Each is offered as the :connect line that works, put in
// the input: Enter runs it.

// tryState is where trying implicit TLS meanwhile stands.
type tryState int

const (
	tryNone     tryState = iota
	tryRunning           // the second connection is under way
	tryAnswered          // TLS answered and greeted: the port speaks TLS first
	tryFailed            // TLS did not answer either
)

// tlsTry is implicit TLS tried for a plaintext connection that stays
// silent.
type tlsTry struct {
	state  tryState
	cancel context.CancelFunc // ends the greeting wait or the attempt: a greeting came, or the connection was left
	words  string             // what it found, or why it failed
	silent time.Duration      // the silence after which it started
}

// tryTLSFunc tries implicit TLS on a second connection; tests put a fake
// in place of client.TryImplicitTLS.
type tryTLSFunc func(ctx context.Context, target string, opts client.Options) client.TLSAnswer

func tryImplicitTLS(ctx context.Context, target string, opts client.Options) client.TLSAnswer {
	return client.TryImplicitTLS(ctx, target, opts, false)
}

// greetWaitMsg says the greeting wait of connection gen has passed.
type greetWaitMsg struct{ gen int }

// triedMsg carries what trying implicit TLS found.
type triedMsg struct {
	gen    int
	answer client.TLSAnswer
}

// tryTLSCmd tries implicit TLS; ctx carries the greeting's deadline and the
// cancel that ends the attempt.
func tryTLSCmd(ctx context.Context, gen int, try tryTLSFunc, target string, opts client.Options) tea.Cmd {
	return func() tea.Msg {
		return triedMsg{gen: gen, answer: try(ctx, target, opts)}
	}
}

// greetingWait is the silence after which implicit TLS is tried too:
// Options.GreetingWait (client.DefaultGreetingWait when 0; never below 0),
// at most half the timeout. 0 means never.
func (m Model) greetingWait() time.Duration {
	wait := m.opts.GreetingWait
	switch {
	case wait < 0:
		return 0
	case wait == 0:
		wait = client.DefaultGreetingWait
	}
	return min(wait, m.timeout()/2)
}

// awaitGreeting starts the greeting wait of a plaintext connection; a
// greeting, or leaving the connection, ends it (stopTry).
func (m Model) awaitGreeting() (Model, tea.Cmd) {
	wait, gen := m.greetingWait(), m.conn.gen
	if wait <= 0 {
		return m, nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	m.conn.tlsTry.cancel = cancel
	return m, func() tea.Msg {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
			return greetWaitMsg{gen: gen}
		case <-ctx.Done():
			return nil
		}
	}
}

// greetingPending reports whether the greeting is still awaited.
func (m Model) greetingPending() bool {
	return m.conn.phase == phaseOpen && len(m.inflight) > 0 && m.inflight[0].kind == kindGreeting
}

// greetWaited starts trying implicit TLS if the greeting has not come.
func (m Model) greetWaited(msg greetWaitMsg) (Model, tea.Cmd) {
	if msg.gen != m.conn.gen || !m.greetingPending() || m.conn.tlsTry.state != tryNone {
		return m, nil
	}
	p := m.inflight[0]
	m.stopTry() // the wait is over
	ctx, cancel := context.WithTimeout(context.Background(), p.sent.Add(p.timeout).Sub(m.now()))
	wait := m.greetingWait()
	m.conn.tlsTry = tlsTry{state: tryRunning, cancel: cancel, silent: wait}
	m.note(fmt.Sprintf("no greeting within %s in plaintext; trying implicit TLS on a second connection meanwhile", session.Millis(wait)))
	return m, tryTLSCmd(ctx, m.conn.gen, m.tryTLS, m.conn.target, m.opts)
}

// tried takes what trying implicit TLS found: an offer of the :connect
// line when TLS answered and the greeting still has not come.
func (m Model) tried(msg triedMsg) (Model, tea.Cmd) {
	if msg.gen != m.conn.gen || m.conn.tlsTry.state != tryRunning {
		return m, nil
	}
	a := msg.answer
	m.conn.tlsTry.cancel()
	if !a.Greeted() {
		m.conn.tlsTry.state, m.conn.tlsTry.words = tryFailed, tlsTryFailure(a.Err)
		m.note("implicit TLS did not answer either: " + m.conn.tlsTry.words)
		return m, nil
	}
	m.conn.tlsTry.state = tryAnswered
	m.conn.tlsTry.words = fmt.Sprintf("%s; greeting %q", tlsVerdict(a.TLS), session.SanitizeString(replyLine(a.Greeting)))
	m.note("implicit TLS answered on the second connection: " + m.conn.tlsTry.words)
	want := m.opts
	want.ImplicitTLS, want.Plain = true, false
	return m.offerLine(m.connectLine(m.conn.target, want), "this port speaks TLS first"), nil
}

// tlsVerdict is a handshake in a few words.
func tlsVerdict(info wire.TLSInfo) string {
	if info.Verified {
		return info.Version + ", certificate verified"
	}
	return info.Version + ", certificate NOT verified: " + client.ExplainVerify(info.VerifyError)
}

// replyLine is a reply's code and the text of its first line.
func replyLine(r session.Reply) string {
	line := fmt.Sprintf("%03d", r.Code)
	if len(r.Lines) > 0 {
		line += " " + r.Lines[0]
	}
	return line
}

// tlsTryFailure says why implicit TLS did not answer.
func tlsTryFailure(err error) string {
	var plain *wire.PlaintextError
	switch {
	case errors.As(err, &plain):
		return "it answered the TLS ClientHello in plaintext (" + session.Sanitize(plain.Bytes) + ")"
	case errors.Is(err, context.DeadlineExceeded):
		return "no TLS handshake and greeting before the deadline"
	}
	return client.Explain(err)
}

// stopTry ends an attempt still under way: the greeting came, or the
// connection is left.
func (m *Model) stopTry() {
	if m.conn.tlsTry.cancel != nil {
		m.conn.tlsTry.cancel()
	}
}

// greetingHint is the hint line while the greeting is awaited and implicit
// TLS was tried, or "".
func (m Model) greetingHint() string {
	if !m.greetingPending() {
		return ""
	}
	switch t := m.conn.tlsTry; t.state {
	case tryRunning:
		return fmt.Sprintf("no greeting within %s; trying implicit TLS on a second connection meanwhile", session.Millis(t.silent))
	case tryAnswered:
		return m.withOffer(fmt.Sprintf("no greeting in plaintext within %s, but implicit TLS answered on a second connection: %s", session.Millis(t.silent), t.words))
	case tryFailed:
		return "no greeting yet, and implicit TLS did not answer either (" + t.words + "): a slow server, or a tarpit"
	}
	return ""
}

// greetingTimedOut says why the greeting never came, with what implicit
// TLS found.
func (m Model) greetingTimedOut(p pending) string {
	target := session.SanitizeString(m.conn.target)
	switch t := m.conn.tlsTry; t.state {
	case tryAnswered:
		return fmt.Sprintf("no greeting within %v in plaintext; this port speaks TLS first: implicit TLS answered (%s)", p.timeout, t.words)
	case tryFailed:
		return fmt.Sprintf("no greeting within %v; implicit TLS, tried on a second connection, did not answer either (%s)", p.timeout, t.words)
	case tryRunning:
		return fmt.Sprintf("no greeting within %v; implicit TLS, tried on a second connection, did not answer in time either", p.timeout)
	}
	return fmt.Sprintf("no greeting within %v; this port may expect implicit TLS, as 465 does (:connect %s --tls)", p.timeout, target)
}

// offerFor offers the :connect line that works where a failed dial or
// STARTTLS shows the target speaking another mode, or an older TLS.
func (m Model) offerFor(err error) Model {
	var (
		plain   *wire.PlaintextError
		version *wire.VersionError
	)
	want, why := m.opts, ""
	switch {
	case errors.As(err, &plain) && !plain.STARTTLS:
		want.ImplicitTLS, want.Plain, why = false, true, "this port speaks plaintext first, not TLS"
	case errors.As(err, &version):
		want.MinTLS, _ = client.ParseTLSVersion(client.TLSMinFor(version))
		why = "the server speaks only an older TLS"
	default:
		return m
	}
	return m.offerLine(m.connectLine(m.conn.target, want), why)
}

// offerLine offers line, a :connect line, for the reason why, and puts it
// in the input unless the user is typing something else: Enter runs it.
func (m Model) offerLine(line, why string) Model {
	old := m.offer
	m.offer, m.offerWhy = line, why
	if m.input.mode == modeCommand && !m.compose.open {
		if v := m.input.Value(); v == "" || v == old || m.guidePrefilled() {
			m.input = m.input.setValue(line)
		}
	}
	return m
}

// withOffer puts the offer before reason, a failure's explanation:
// "WHY — enter runs :connect ... (REASON)", so that a line cut at the
// screen's edge keeps what to do; reason alone without an offer, and the
// offer alone without a reason (a close's, which the transcript says).
func (m Model) withOffer(reason string) string {
	if m.offer == "" {
		return reason
	}
	verb := " — run "
	if m.input.Value() == m.offer {
		verb = " — enter runs "
	}
	if reason == "" {
		return m.offerWhy + verb + m.offer
	}
	return m.offerWhy + verb + m.offer + " (" + reason + ")"
}

// dropOffer withdraws the offer, and its line from the input if it is
// still there untouched.
func (m Model) dropOffer() Model {
	if m.offer != "" && m.input.mode == modeCommand && m.input.Value() == m.offer {
		m.input = m.input.clear()
	}
	m.offer, m.offerWhy = "", ""
	return m
}

// connectLine is the :connect line that connects to target with want,
// naming the flags where want differs from the command line's options
// (which :connect starts from): the TLS mode (--tls, or --tls=false where
// implicit TLS would stay on), --insecure, the CA file of a :connect --ca,
// --servername, --tls-min.
func (m Model) connectLine(target string, want client.Options) string {
	base := m.cfg.Options
	_, port, _ := wire.ParseTarget(target)
	implicit := func(o client.Options) bool { return o.ImplicitTLS || !o.Plain && port == "465" }
	words := []string{":connect", target}
	switch {
	case implicit(want) && !implicit(base):
		words = append(words, "--tls")
	case !implicit(want) && implicit(base):
		words = append(words, "--tls=false")
	}
	if want.Insecure && !base.Insecure {
		words = append(words, "--insecure")
	}
	if m.caFile != m.cfg.CAFile && m.caFile != "" { // a :connect --ca's
		words = append(words, "--ca", m.caFile)
	}
	if want.ServerName != base.ServerName && want.ServerName != "" {
		words = append(words, "--servername", want.ServerName)
	}
	if want.MinTLS != base.MinTLS && want.MinTLS != 0 {
		words = append(words, "--tls-min", client.TLSVersionNumber(want.MinTLS))
	}
	return strings.Join(words, " ")
}
