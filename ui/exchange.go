package ui

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

// This file schedules the exchange with the server. Lines the user sends go
// to an outbox; one operation runs on the connection at a time (wire.Conn
// allows no more); every command that expects a reply joins the in-flight
// queue, whose replies are read in order. session.State is kept as the
// "settled" state of the replies received so far, and each reply applies
// Sent and Received for its own command, so pipelined commands (RFC 2920)
// keep their order.

// defaultTimeout is used when Options.Timeout is zero.
const defaultTimeout = 30 * time.Second

// phase is where the connection itself stands.
type phase int

const (
	phaseIdle    phase = iota // never connected
	phaseDialing              // dial under way
	phaseOpen                 // connected
	phaseClosed               // closed, by either side or by a failure
)

// opKind is the operation running on the connection.
type opKind int

const (
	opNone opKind = iota
	opDial
	opWrite
	opRead
	opTLS
	opListen // nothing is due: waiting for the server to speak unasked
)

// conn is the explorer's side of one connection.
type conn struct {
	gen        int // stamps every message of this connection
	link       link
	phase      phase
	target     string
	addr       string
	tls        *wire.TLSInfo // TLS facts once up, or the chain of a failed verification
	unverified bool          // TLS runs without a verified certificate (--insecure)
	tlsTry     tlsTry        // implicit TLS tried meanwhile, for a silent plaintext greeting
	reason     string        // why it closed
	dialAt     time.Time     // when the dial began, for the timing waterfall
}

// pendingKind says what a reply answers.
type pendingKind int

const (
	kindCommand     pendingKind = iota
	kindGreeting                // the server's opening 220 (RFC 5321 section 3.1)
	kindDataEnd                 // the final "." of a message (RFC 5321 section 4.1.1.4)
	kindUnsolicited             // what the server said while nothing was pending
	kindDelivery                // LMTP: the reply for a further recipient after the message (RFC 2033 4.2)
)

// pending is a command awaiting its reply.
type pending struct {
	kind    pendingKind
	line    string // the command for State.Sent (AUTH lines are redacted by State): as sent, or outItem.state
	auth    bool   // sent by the :auth helper
	secret  bool   // a credential: never shown, not even its verb
	barrier bool   // nothing more may be written until it is answered
	sent    time.Time
	timeout time.Duration
	rcpt    string // LMTP: the recipient whose delivery a reply after the message tells
}

// outItem is a line (or compose's raw message) waiting for its turn.
type outItem struct {
	line      string
	shown     string // redacted form when secret
	secret    bool
	raw       []byte // compose: a whole message, already CRLF and dot-stuffed
	fromAuth  bool
	pipelined bool   // pasted: may go before earlier replies arrive (RFC 2920)
	state     string // for State.Sent instead of line: an :auth's redacted form, which names the user
	chunk     []byte // a BDAT chunk (bdat.go): line, CRLF, then its octets, for one write
	bare      bool   // :bare: the command line goes ended by LF alone, not CRLF
	head      int    // the octets of chunk's line and CRLF
}

// aloneVerbs are sent alone, never in a pipelined group: STARTTLS
// (SAFETY.md; RFC 3207 section 4), AUTH, whose exchange holds credentials
// (RFC 4954 section 4), and BDAT, whose chunk follows it.
var aloneVerbs = []string{"STARTTLS", "AUTH", "BDAT"}

// endsGroup reports whether nothing may be written after line until its
// reply comes: the end of a pipelined group (session.EndsGroup, RFC 2920
// section 3.1), or a command sent alone.
func endsGroup(line string) bool {
	return session.EndsGroup(line) || slices.Contains(aloneVerbs, session.Verb(line))
}

// timeout is the deadline of one exchange.
func (m Model) timeout() time.Duration {
	if m.opts.Timeout > 0 {
		return m.opts.Timeout
	}
	return defaultTimeout
}

// effective is the session as it will be once every in-flight command is
// answered as sent: what the prompt, warnings and completions look at.
func (m Model) effective() session.State {
	s := m.sess
	for _, p := range m.inflight {
		switch p.kind {
		case kindCommand:
			s = s.Sent(p.line)
		case kindDataEnd:
			s = s.DataEnded()
		}
	}
	return s
}

// inData reports whether lines are message content now: 354 received and
// the final "." not yet sent.
func (m Model) inData() bool {
	return m.sess.Phase == session.PhaseData && len(m.inflight) == 0
}

// authUnderWay reports whether an AUTH command was sent and its final
// reply has not come: from then on every client line is secret (SAFETY.md).
func (m Model) authUnderWay() bool {
	return strings.HasPrefix(m.effective().Pending, "AUTH")
}

// inAuth is authUnderWay, or an AUTH command waiting in the outbox: a line
// typed now is then masked and kept out of the history.
func (m Model) inAuth() bool {
	return m.authUnderWay() || m.outbox.hasAuth()
}

// pipelining reports whether the server offered PIPELINING in the EHLO
// reply in force: only then may commands go before the replies to those
// sent earlier (RFC 2920 section 3.1: once "the client SMTP has confirmed
// that support exists").
func (m Model) pipelining() bool {
	return m.sess.ESMTP && m.sess.Caps.Has("PIPELINING")
}

// held reports whether the next outbox item must wait for the replies in
// flight: a typed line waits for all of them (one command, one reply), and
// so does every line when the server does not offer PIPELINING, and a
// command sent alone; a pasted one waits only for a command that ends a
// group.
func (m Model) held(item outItem) bool {
	switch {
	case len(m.inflight) == 0:
		return false
	case !item.pipelined || !m.pipelining() || m.alone(item):
		return true
	}
	return slices.ContainsFunc(m.inflight, func(p pending) bool { return p.barrier })
}

// alone reports whether an outbox item is sent by itself, never in a
// group: a message, a line of an AUTH exchange, STARTTLS, AUTH, BDAT.
func (m Model) alone(item outItem) bool {
	return item.raw != nil || item.secret || item.fromAuth || m.authUnderWay() ||
		slices.Contains(aloneVerbs, session.Verb(item.line))
}

// groupable reports whether the outbox item may join a pipelined group:
// a pasted command, outside DATA, when the server offers PIPELINING.
func (m Model) groupable(item outItem) bool {
	return item.pipelined && m.pipelining() && !m.inData() && !m.alone(item) && !isPlaceholder(item.line)
}

// enqueue adds a line to the outbox and runs what can run.
func (m Model) enqueue(items ...outItem) (Model, tea.Cmd) {
	m.outbox.push(items...)
	return m.pump()
}

// pump starts the next operation if the connection is free: a write when
// the outbox may go, else a read when replies are due, else a wait for
// the server to speak unasked. A wait under way is cancelled when there is
// something to write; its end (listened) pumps again.
func (m Model) pump() (Model, tea.Cmd) {
	if m.conn.link == nil || m.conn.phase != phaseOpen {
		return m, nil
	}
	ready := m.outbox.len() > 0 && !m.held(m.outbox.front())
	switch {
	case m.op == opListen && ready:
		m.cancelOp()
		m.stopping = true
		return m, nil
	case m.op != opNone:
		return m, nil
	case ready && m.groupable(m.outbox.front()):
		return m.sendGroup()
	case ready:
		return m.send(m.outbox.pop())
	case len(m.inflight) > 0:
		return m.read()
	}
	return m.listen()
}

// listen waits, while no reply is due, for the server to speak unasked: a
// 421 at its idle timeout shows when it comes, not as the reply to the
// next command. The wait has no deadline; pump cancels it to write.
func (m Model) listen() (Model, tea.Cmd) {
	ctx, cancel := context.WithCancel(context.Background())
	m.op, m.cancelOp, m.opStart = opListen, cancel, m.now()
	return m, m.recorded(listenCmd(ctx, m.conn.gen, m.conn.link, m.tr))
}

// listened handles the end of a wait on the idle connection: cancelled to
// write, or the server spoke, or it closed.
func (m Model) listened(msg listenMsg) (Model, tea.Cmd) {
	if msg.gen != m.conn.gen || m.op != opListen {
		return m, nil
	}
	m.endOp()
	switch {
	case msg.err == nil: // bytes wait: read them as the reply nothing asked for
		m.transcript.MarkUnasked(msg.from)
		m = m.expect(pending{kind: kindUnsolicited, barrier: true, timeout: m.timeout()})
		return m.read()
	case errors.Is(msg.err, context.Canceled):
		return m.pump()
	case isClosed(msg.err):
		return m.lost("the server closed the connection while no command was pending")
	}
	return m.lost("the connection failed while idle: " + client.Explain(msg.err))
}

// unsolicited handles a reply that came while no command was pending:
// the server is closing (a 421 or 221 unasked, RFC 5321 3.8), or out of
// step with the commands (wire.DesyncError). Either way nothing more may
// be sent. The reply is the transcript's line above the note.
func (m Model) unsolicited(lines []string) (Model, tea.Cmd) {
	r, err := session.ParseReply(lines)
	if err == nil && (r.Code == 421 || r.Code == 221) {
		m.sess = m.sess.Received(r)
		return m.lost(fmt.Sprintf("unsolicited %d: the server is closing the session unasked, while no command was pending (RFC 5321 3.8)", r.Code))
	}
	return m.lost("unsolicited reply: the server spoke while no command was pending, out of step with the commands (RFC 5321 4.2); ehlo sends nothing more")
}

// send turns an outbox item into a write: message content in DATA, else a
// command whose reply joins the in-flight queue.
func (m Model) send(item outItem) (Model, tea.Cmd) {
	switch {
	case item.chunk != nil:
		return m.sendChunk(item)
	case item.raw != nil && !m.inData():
		m.flash = errorFlash(m.w.T("the composed message was not sent: the server must answer DATA with 354 first"))
		return m.pump()
	case item.raw != nil:
		m, n := m.endData()
		return m.write(writeReq{raw: item.raw}, n)
	case m.inData():
		return m.sendData(item.line)
	case isPlaceholder(item.line) && !item.fromAuth:
		// a command holding <redacted …>, pasted or queued: checked here,
		// where it is known to be a command and not message text; what was
		// queued behind it goes too, for it relied on this line
		n := m.outbox.len()
		m.outbox = outbox{}
		m.flash = errorFlash(m.w.F("not sent: <redacted …> is a placeholder for a credential, not one; %d queued lines dropped", n))
		return m.pump()
	}
	if transactionVerb(item.line) {
		m.dataRefused = ""
	}
	req := writeReq{line: item.line, secret: item.secret, shown: item.shown}
	if item.bare {
		req.raw = []byte(item.line + "\n")
	}
	if !req.secret && !item.bare {
		req.secret, req.shown = secretForm(item.line, m.authUnderWay())
	}
	if req.secret {
		req.forms = session.SecretForms(item.line, m.secretUser(item))
	}
	m = m.expect(pending{kind: kindCommand, line: cmp.Or(item.state, item.line), auth: item.fromAuth, secret: req.secret, timeout: m.timeout(),
		barrier: req.secret || item.fromAuth || endsGroup(item.line)})
	return m.write(req, 1)
}

// sendGroup writes the pasted commands at the front of the outbox that
// may go together, up to and including the first that ends a group, in
// one write (RFC 2920 section 3.1), each joining the in-flight queue.
func (m Model) sendGroup() (Model, tea.Cmd) {
	var lines []string
	for m.outbox.len() > 0 && m.groupable(m.outbox.front()) {
		line := m.outbox.pop().line
		if transactionVerb(line) {
			m.dataRefused = ""
		}
		lines = append(lines, line)
		m = m.expect(pending{kind: kindCommand, line: line, timeout: m.timeout(), barrier: endsGroup(line)})
		if endsGroup(line) {
			break
		}
	}
	m.group = len(lines)
	if len(lines) == 1 {
		return m.write(writeReq{line: lines[0]}, 1)
	}
	return m.write(writeReq{lines: lines}, len(lines))
}

// transactionVerb reports whether line starts a transaction anew or
// tries DATA again, after which message text is no longer out of place.
func transactionVerb(line string) bool {
	switch session.Verb(line) {
	case "MAIL", "RSET", "EHLO", "HELO", "LHLO", "DATA", "BDAT":
		return true
	}
	return false
}

// secretForm decides whether a typed command line is a credential: an AUTH
// command with an initial response, or any line of an AUTH exchange.
func secretForm(line string, inAuth bool) (secret bool, shown string) {
	switch {
	case inAuth:
		return true, "<redacted>"
	case session.Verb(line) == "AUTH" && len(strings.Fields(line)) > 2:
		return true, session.State{}.Sent(line).Pending
	}
	return false, ""
}

// secretUser is the user name of the AUTH exchange a secret line belongs
// to, shown on screen and so left out of what is hidden: the :auth user,
// or, for a response typed by hand to LOGIN's "Username:" challenge, the
// response decoded.
func (m Model) secretUser(item outItem) string {
	if item.fromAuth && m.auth != nil {
		return m.auth.user
	}
	for i := m.transcript.Len() - 1; i >= 0; i-- {
		e := m.transcript.Entry(i)
		if e.Dir != wire.Server {
			continue
		}
		text, ok := strings.CutPrefix(lineOf(e), "334 ")
		challenge, _ := session.DecodeChallenge(text)
		if !ok || !strings.HasPrefix(strings.ToLower(challenge), "username") {
			return ""
		}
		user, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(item.line))
		return string(user)
	}
	return ""
}

// endData expects the reply to the end of the message, about to be
// written; a draft of the message has no use any more.
func (m Model) endData() (Model, int) {
	p := pending{kind: kindDataEnd, line: ".", barrier: true, timeout: m.opts.DataWait()} // RFC 5321 4.5.3.2.6
	if !m.opts.LMTP || len(m.effective().Rcpts) == 0 {
		m = m.expect(p)
		m.compose.draft = ""
		return m, 1
	}
	// LMTP: a reply for each recipient accepted, in RCPT order (RFC 2033 4.2)
	rcpts := m.effective().Rcpts
	for i, rcpt := range rcpts {
		p.rcpt = rcpt
		if i > 0 {
			p.kind = kindDelivery
		}
		m = m.expect(p)
	}
	m.compose.draft = ""
	return m, max(len(rcpts), 1)
}

// sendData sends one line of message content, dot-stuffed
// (RFC 5321 section 4.5.2); a lone "." ends the message.
func (m Model) sendData(line string) (Model, tea.Cmd) {
	if line == "." {
		m, n := m.endData()
		return m.write(writeReq{line: "."}, n)
	}
	if strings.HasPrefix(line, ".") {
		line = "." + line
		m.flash = infoFlash(m.w.T("a leading dot was doubled on the wire (RFC 5321 4.5.2): the server removes it again"))
	}
	return m.write(writeReq{line: line}, 0)
}

// expect adds a command to the in-flight queue.
func (m Model) expect(p pending) Model {
	p.sent = m.now()
	m.inflight = append(slices.Clip(m.inflight), p)
	return m
}

// write starts one write; expects is the number of in-flight commands it
// added, to be withdrawn if the line is refused. When no other reply is
// due, the write first checks that the server said nothing meanwhile
// (writeReq.idle).
func (m Model) write(req writeReq, expects int) (Model, tea.Cmd) {
	req.idle = len(m.inflight) == expects
	ctx := m.beginOp(opWrite, m.timeout())
	m.writeExpects, m.writing = expects, req
	return m, tea.Batch(m.recorded(writeCmd(ctx, m.conn.gen, m.conn.link, req)), m.startTick())
}

// read starts reading the reply to the oldest command in flight, under
// that command's absolute deadline.
func (m Model) read() (Model, tea.Cmd) {
	p := m.inflight[0]
	ctx := m.beginOpUntil(opRead, p.sent.Add(p.timeout))
	// the last reply due is checked for bytes after it, but not STARTTLS's:
	// wire.Conn.StartTLS checks those, as a possible injection
	last := len(m.inflight) == 1 && !(p.kind == kindCommand && session.Verb(p.line) == "STARTTLS")
	return m, tea.Batch(m.recorded(readCmd(ctx, m.conn.gen, m.conn.link, last)), m.startTick())
}

// beginOp marks the connection busy; the context ends after timeout or on Esc.
func (m *Model) beginOp(op opKind, timeout time.Duration) context.Context {
	return m.beginOpUntil(op, m.now().Add(timeout))
}

// beginOpUntil is beginOp with an absolute deadline on m's clock.
func (m *Model) beginOpUntil(op opKind, deadline time.Time) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), deadline.Sub(m.now()))
	m.op, m.cancelOp, m.opStart = op, cancel, m.now()
	return ctx
}

// endOp releases the finished operation.
func (m *Model) endOp() {
	if m.cancelOp != nil {
		m.cancelOp()
	}
	m.op, m.cancelOp, m.writeExpects, m.stopping = opNone, nil, 0, false
}

// waiting reports whether the user is waiting on the network: an
// operation runs, other than the wait on an idle connection.
func (m Model) waiting() bool {
	return m.op != opNone && m.op != opListen
}

// connect dials target as a new connection, leaving any old one.
func (m Model) connect(target string) (Model, tea.Cmd) {
	old := m.conn.link
	m.endOp()
	m.stopTry()
	m = m.dropOffer()
	if m.conn.phase != phaseIdle { // the previous connection's news and latency
		m.lastLatency, m.flash = 0, flash{}
	}
	m.conn = conn{gen: m.conn.gen + 1, phase: phaseDialing, target: target, dialAt: m.now()}
	m.compose.draft = ""
	m.sess, m.outbox, m.inflight, m.auth = session.State{}, outbox{}, nil, nil
	m.guide = m.guide.reset()
	m = m.dropPrompt()
	ctx := m.beginOp(opDial, m.timeout())
	dial := m.recorded(dialCmd(ctx, m.conn.gen, m.dial, target, m.opts.Wire(m.tr)))
	return m, tea.Batch(m.retire(old), dial, m.startTick())
}

// dialed handles the end of a dial.
func (m Model) dialed(msg dialedMsg) (Model, tea.Cmd) {
	if msg.gen != m.conn.gen {
		return m, m.retire(msg.link)
	}
	m.endOp()
	if msg.err != nil {
		m.keepChain(msg.err)
		m.conn.phase, m.conn.reason = phaseClosed, client.Explain(msg.err)
		m.sess.Phase = session.PhaseClosed
		if errors.Is(msg.err, context.Canceled) {
			m.conn.reason = "connection attempt cancelled (Esc)"
		}
		m = m.offerFor(msg.err)
		m.flash = m.closedFlash("could not connect")
		m.note("could not connect: " + m.conn.reason)
		return m, nil
	}
	m.conn.link, m.conn.phase, m.conn.addr = msg.link, phaseOpen, msg.link.Addr()
	if info, ok := msg.link.TLS(); ok { // implicit TLS (RFC 8314)
		m.conn.tls, m.conn.unverified = &info, !trusted(info)
		m.sess.TLS, m.sess.ImplicitTLS = true, true
	}
	m = m.expect(pending{kind: kindGreeting, timeout: m.timeout()})
	var wait tea.Cmd
	if !m.sess.TLS {
		m, wait = m.awaitGreeting() // a port that speaks TLS first says nothing in plaintext
	}
	m, cmd := m.pump()
	return m, tea.Batch(cmd, wait)
}

// wrote handles the end of a write.
func (m Model) wrote(msg wroteMsg) (Model, tea.Cmd) {
	if msg.gen != m.conn.gen || m.op != opWrite {
		return m, nil
	}
	expected := m.writeExpects
	m.endOp()
	switch {
	case msg.err == nil:
	case errors.Is(msg.err, wire.ErrBadLine):
		m.inflight = m.inflight[:len(m.inflight)-expected]
		m.flash = errorFlash(m.w.T("not sent: ") + client.Explain(msg.err))
	case errors.Is(msg.err, context.Canceled):
		return m.lost("write cancelled (Esc)")
	case errors.As(msg.err, new(*wire.DesyncError)):
		return m.lost(desyncBefore(m.writing, m.inflight, msg.err))
	default:
		return m.lost("write failed: " + client.Explain(msg.err))
	}
	return m.pump()
}

// desyncBefore says what a write found waiting: bytes from a server out of
// step with the commands, before the command (or the message data) req
// went out, which it did not.
func desyncBefore(req writeReq, inflight []pending, err error) string {
	what := "message data"
	if n := len(inflight); n > 0 && req.raw == nil {
		what = describe(inflight[n-1])
	}
	return client.Explain(&client.StepError{Step: what, Err: err}) + " (" + what + " was not sent)"
}

// protocolError says what a reply that broke SMTP's rules, or bytes after
// the last reply due, mean for command p; after the final "." the
// message's fate is unknown.
func protocolError(p pending, err error) string {
	what := client.Explain(&client.StepError{Step: describe(p), Err: err})
	if endsMessage(p) {
		what += `; whether the server took the message is unknown, so sending it again may duplicate it`
	}
	return what
}

// replied handles one reply, or the failure to get one.
func (m Model) replied(msg replyMsg) (Model, tea.Cmd) {
	if msg.gen != m.conn.gen || m.op != opRead || len(m.inflight) == 0 {
		return m, nil
	}
	m.endOp()
	p := m.inflight[0]
	if msg.err != nil {
		return m.readFailed(p, msg.err)
	}
	m.inflight = m.inflight[1:]
	if p.kind == kindUnsolicited {
		return m.unsolicited(msg.reply.Lines)
	}
	r, err := session.ParseReply(msg.reply.Lines)
	switch {
	case errors.As(err, new(*session.MixedCodesError)):
		return m.answeredByNothing(p, err)
	case err != nil:
		m.flash = errorFlash(m.w.T("unreadable reply: ") + session.SanitizeString(client.Explain(err)))
		return m.pump()
	}
	m.lastLatency = msg.at.Sub(p.sent)
	if p.kind == kindGreeting { // it came: implicit TLS is not needed
		m.stopTry()
		m.conn.tlsTry.state = tryNone
		m = m.dropOffer()
	}
	m.sess = apply(m.sess, p, r)
	m.guide = m.guide.record(p, r)
	m = m.explainRefusal(p, r)
	var check tea.Cmd
	if p.kind == kindCommand {
		m, check = m.startIdentity(p.line)
	}
	m, cmd := m.afterReply(p, r)
	return m, tea.Batch(cmd, check)
}

// answeredByNothing handles a reply whose lines carry different codes
// (RFC 5321 4.2.1): it says two things at once, so it is no reply. Its command is
// answered by nothing: the state, the side panel and the guide take nothing
// from it. After the final "." the message is over all the same, with its
// fate unknown.
func (m Model) answeredByNothing(p pending, err error) (Model, tea.Cmd) {
	switch {
	case p.kind == kindDataEnd:
		m.sess = m.sess.DataEnded().Unanswered()
	case endsMessage(p): // the last chunk
		m.sess = m.sess.Sent(p.line).Unanswered()
	}
	if p.auth { // the :auth helper's exchange is over, its outcome unknown
		m.auth = nil
		m = m.dropPrompt()
	}
	m.flash = errorFlash(protocolError(p, err))
	return m.pump()
}

// apply moves the settled session state past one reply.
func apply(s session.State, p pending, r session.Reply) session.State {
	switch p.kind {
	case kindGreeting:
		return s.Greeting(r)
	case kindDataEnd:
		return s.DataEnded().Received(r)
	case kindDelivery: // the transaction ended with the first reply
		return s
	}
	return s.Sent(p.line).Received(r)
}

// afterReply reacts to a reply: the lines queued behind a barrier that
// failed are held, then TLS upgrade, AUTH steps, DATA mode, close.
func (m Model) afterReply(p pending, r session.Reply) (Model, tea.Cmd) {
	if isChunk(p) { // a refused chunk drops the chunks queued (chunkReplied), then holds the rest
		m = m.chunkReplied(p, r)
	}
	if why := barrierFailure(p, r); why != "" {
		if session.Verb(p.line) == "DATA" {
			m.dataRefused = why
		}
		m = m.holdQueue(why, strings.HasPrefix(why, "AUTH"))
		if len(m.hold.items) > 0 && m.flash.kind == flashInfo { // "pasted 7 lines: …" is over
			m.flash = flash{}
		}
	}
	switch {
	case m.sess.Phase == session.PhaseClosed:
		m, cmd := m.lost(closedReason(p, r))
		if r.Code == 221 && p.kind == kindCommand && session.Verb(p.line) == "QUIT" {
			m.flash.kind = flashOK // the end asked for, not a failure
		}
		return m, cmd
	case p.kind == kindCommand && session.Verb(p.line) == "STARTTLS" && r.Code == 220:
		return m.startTLS()
	case p.auth && m.auth != nil:
		m = m.authStep(r)
	case p.rcpt != "": // LMTP
		m.flash = deliveryFlash(p.rcpt, r)
	case p.kind == kindDataEnd:
		m.flash = dataEndFlash(r, m.w)
	case r.Code == 354:
		m.flash = infoFlash(m.w.T("DATA mode: each Enter sends one line; a lone . ends the message; :compose opens an editor"))
	}
	return m.pump()
}

// closedReason says why the session ended after reply r.
func closedReason(p pending, r session.Reply) string {
	switch {
	case r.Code == 221 && p.kind == kindCommand && session.Verb(p.line) != "QUIT":
		return fmt.Sprintf("the server said goodbye (221) in answer to %s, not to QUIT, and closed the session", describe(p))
	case r.Code == 221:
		return "the server said goodbye (221) and closed the session"
	case r.Code == 421:
		return "the server is closing the connection (421): " + session.SanitizeString(r.Text())
	case p.kind == kindGreeting:
		return fmt.Sprintf("the server refused the session in its greeting (%d)", r.Code)
	}
	return fmt.Sprintf("the session ended (%d)", r.Code)
}

// dataEndFlash reports the fate of a message.
func dataEndFlash(r session.Reply, w words) flash {
	text := session.SanitizeString(r.Text())
	if r.OK() {
		return okFlash(w.F("message accepted (%d): %s", r.Code, text))
	}
	return errorFlash(w.F("message refused (%d): %s", r.Code, text))
}

// readFailed handles a read that ended without a reply. Only a framing
// error leaves the connection usable; otherwise the client no longer knows
// where the server stands, and closes (RFC 5321 section 4.5.3.2).
func (m Model) readFailed(p pending, err error) (Model, tea.Cmd) {
	if errors.As(err, new(*wire.DesyncError)) { // a reply, then bytes no command asked for
		return m.lost(protocolError(p, err))
	}
	var perr *wire.ProtocolError
	if errors.As(err, &perr) {
		m.inflight = m.inflight[1:]
		m.flash = errorFlash(m.w.T("bad reply framing: ") + session.SanitizeString(client.Explain(err)))
		return m.pump()
	}
	reason := readFailure(p, err, m.conn.target)
	if p.kind == kindGreeting && (errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded)) {
		reason = m.greetingTimedOut(p)
	}
	if endsMessage(p) && !isClosed(err) {
		reason += "; the message may still be delivered, so sending it again may duplicate it"
	}
	return m.lost(reason)
}

// readFailure describes a failed wait.
func readFailure(p pending, err error, target string) string {
	switch {
	case errors.Is(err, context.Canceled) && p.kind == kindGreeting:
		return "stopped waiting for the greeting (Esc)"
	case errors.Is(err, context.Canceled):
		return "stopped waiting for the reply to " + describe(p) + " (Esc)"
	case (errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded)) && p.kind == kindGreeting:
		return fmt.Sprintf("no greeting within %v; this port may expect implicit TLS, as 465 does (:connect %s --tls)", p.timeout, session.SanitizeString(target))
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("no reply to %s within %v", describe(p), p.timeout)
	case isClosed(err):
		return "the server closed the connection"
	}
	return client.Explain(err)
}

func isClosed(err error) bool {
	var ce *wire.ClosedError
	return errors.As(err, &ce)
}

// describe names a pending command for messages, never quoting a secret.
func describe(p pending) string {
	switch {
	case p.kind == kindGreeting:
		return "the greeting"
	case p.kind == kindDataEnd:
		return `the final "."`
	case endsMessage(p):
		return "the last BDAT chunk"
	case p.kind == kindUnsolicited:
		return "what the server said unasked"
	case p.secret && session.Verb(p.line) != "AUTH":
		return "the AUTH response"
	}
	return session.SanitizeString(session.Verb(p.line))
}

// lost closes the connection after a failure or the end of the session.
func (m Model) lost(reason string) (Model, tea.Cmd) {
	l := m.conn.link
	m.endOp()
	m.stopTry()
	m.conn.link, m.conn.phase, m.conn.reason = nil, phaseClosed, reason
	m.sess.Phase = session.PhaseClosed
	m = m.holdQueue("the connection closed", false)
	m.inflight, m.auth, m.dataRefused = nil, nil, ""
	m = m.dropPrompt()
	m.flash = m.closedFlash("connection closed")
	m.note("connection closed: " + reason)
	return m, m.retire(l)
}

// retire closes a link the model no longer uses, in a command, and keeps
// it until the command reports back (closedMsg).
func (m *Model) retire(l link) tea.Cmd {
	if l == nil {
		return nil
	}
	m.closing = append(m.closing, l)
	return closeCmd(l)
}

// dropPrompt abandons an :auth prompt, keeping a command being typed.
func (m Model) dropPrompt() Model {
	m.prompt = authPrompt{}
	if m.input.mode != modeCommand {
		m.input = m.input.setMode(modeCommand)
	}
	return m
}

// startTLS runs the handshake after STARTTLS's 220.
func (m Model) startTLS() (Model, tea.Cmd) {
	ctx := m.beginOp(opTLS, m.timeout())
	return m, tea.Batch(m.recorded(startTLSCmd(ctx, m.conn.gen, m.conn.link)), m.startTick())
}

// tlsDone handles the end of a STARTTLS handshake.
func (m Model) tlsDone(msg tlsMsg) (Model, tea.Cmd) {
	if msg.gen != m.conn.gen || m.op != opTLS {
		return m, nil
	}
	m.endOp()
	if msg.err != nil {
		m.keepChain(msg.err)
		return m.offerFor(msg.err).lost(tlsFailure(msg.err, m.timeout()))
	}
	m.conn.tls, m.conn.unverified = &msg.info, !trusted(msg.info)
	m.sess = m.sess.TLSStarted()
	verdict := m.w.T("certificate verified")
	if !msg.info.Verified {
		verdict = m.w.T("certificate NOT verified")
		if c := msg.info.Check; c != nil && c.OK {
			verdict = m.w.F("certificate not WebPKI-verified but %s", c.String())
		}
	}
	if msg.info.Weak {
		verdict += m.w.T(", WEAK: below TLS 1.2 (--tls-min)")
	}
	m.flash = okFlash(m.w.F("%s is on, %s. The server forgot the plaintext session: send %s again", msg.info.Version, verdict, helloVerb(m.opts.LMTP)))
	return m.pump()
}

// tlsFailure explains a failed upgrade in one line a user can act on. The
// handshake runs under the model's context, so its deadline and Esc come
// back as context errors.
func tlsFailure(err error, timeout time.Duration) string {
	var (
		inj *wire.InjectionError
		ve  *wire.VerifyError
	)
	switch {
	case errors.As(err, &inj):
		return client.Explain(err)
	case errors.As(err, &ve):
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Sprintf("TLS failed: no TLS handshake within %v after the server's 220: it went silent", timeout)
	case errors.Is(err, context.Canceled):
		return "TLS handshake cancelled (Esc)"
	}
	return "TLS failed: " + client.Explain(err)
}

// keepChain keeps the certificate chain of a failed verification, so the
// side panel can show what the server presented.
func (m *Model) keepChain(err error) {
	var ve *wire.VerifyError
	if errors.As(err, &ve) {
		info := ve.Info
		m.conn.tls = &info
	}
}

// cancelWait stops the wait under way (Esc). During a write it also drops
// the lines queued behind it, a paste's rest: Esc stops the sending, not
// just the one line on its way (which, if it went out whole, stays sent).
func (m Model) cancelWait() (Model, tea.Cmd) {
	if !m.waiting() || m.cancelOp == nil {
		return m, nil
	}
	m.cancelOp()
	m.flash = infoFlash(m.w.T("cancelling the wait…"))
	if n := m.outbox.len(); m.op == opWrite && n > 0 {
		m.outbox = outbox{}
		m.flash = infoFlash(m.w.F("stopped sending: %d queued lines not sent", n))
		if n == 1 {
			m.flash = infoFlash(m.w.T("stopped sending: 1 queued line not sent"))
		}
	}
	return m, nil
}
