package lab

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"time"
)

// tapConn sits right above the socket (or the implicit TLS layer) of every
// connection and below go-smtp. It sees the session in plaintext, so it:
//
//   - runs STARTTLS itself (RFC 3207), below go-smtp, as the listener does
//     implicit TLS: go-smtp never sees TLS, and the session asks the tap
//     (secure); the tap adds STARTTLS to EHLO's reply while it is offered;
//   - writes the server-side transcript (Config.OpenLog), secrets redacted;
//   - applies the scenario: a late greeting and early talkers, bare LF,
//     chosen replies, the rate limit, VRFY and EXPN that tell;
//   - closes the connection after any 421 (RFC 5321 section 3.8).
//
// It hands go-smtp one command line per Read, so that each is seen after
// the reply to the one before it (go-smtp reads a line only when it is done
// with the last), and message content whole up to its ".". go-smtp reads
// and writes from the connection's own goroutine; the mutex covers what
// the session reads from other calls.
type tapConn struct {
	net.Conn // the socket, the implicit TLS layer, or the STARTTLS layer once up
	ep       *endpoint
	log      *connLog
	client   string // the client's IP address

	in      []byte // read from the client, not yet handed on
	out     []byte // handed on, not yet read by go-smtp
	chunk   int    // BDAT octets still to hand on as they are (RFC 3030)
	inData  bool   // after a 354, until the lone "."
	greeted bool
	closing bool // a final reply (421, 521, 554) went: reads end
	written []byte
	verb    string // the verb of the last command handed on or answered
	auth    bool   // from AUTH until its final reply: client lines are secret
	starttl bool   // offers STARTTLS now
	first   bool   // the next reply line is the first of its reply

	mu        sync.Mutex
	secure    bool
	facts     clientFacts
	closeOnce sync.Once
}

// clientFacts is what the client did, for the client tester's verdict.
type clientFacts struct {
	commands     int
	plainAfterNo bool   // sent MAIL, RCPT, DATA or AUTH in clear where STARTTLS was not offered
	triedTLS     bool   // sent STARTTLS
	handshake    string // "", "ok", or why it failed
	afterTLS     int    // commands sent inside TLS
	gotGrey      bool   // got a 450 Greylisted on this connection
	delivered    bool   // a message was accepted
}

// endpoint is what a connection's tap needs from its endpoint.
type endpoint struct {
	lab  *Lab
	pol  policy
	tls  *tls.Config // what STARTTLS serves; nil when not offered
	impl bool        // implicit TLS
}

func newTap(c net.Conn, ep *endpoint, log *connLog) *tapConn {
	t := &tapConn{Conn: c, ep: ep, log: log, starttl: ep.tls != nil && !ep.impl, secure: ep.impl}
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		t.client = a.IP.String()
	}
	return t
}

// Secure reports whether the session runs inside TLS.
func (t *tapConn) Secure() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.secure
}

// buffered reports client bytes the tap holds and go-smtp has not read.
func (t *tapConn) buffered() bool { return len(t.in) > 0 || len(t.out) > 0 }

// Read implements net.Conn.
func (t *tapConn) Read(p []byte) (int, error) {
	for len(t.out) == 0 {
		if t.closing {
			return 0, io.EOF
		}
		if err := t.next(); err != nil {
			return 0, err
		}
	}
	n := copy(p, t.out)
	t.out = t.out[n:]
	return n, nil
}

// next moves the next piece of the client's input to out, or answers it.
func (t *tapConn) next() error {
	if t.chunk > 0 {
		if len(t.in) == 0 {
			if err := t.fill(); err != nil {
				return err
			}
		}
		n := min(t.chunk, len(t.in))
		t.out, t.in, t.chunk = append(t.out, t.in[:n]...), t.in[n:], t.chunk-n
		t.log.payload(n)
		return nil
	}
	i := bytes.IndexByte(t.in, '\n')
	if i < 0 {
		if len(t.in) > maxLine { // go-smtp refuses it as too long
			t.out, t.in = append(t.out, t.in...), nil
			return nil
		}
		return t.fill()
	}
	line := t.in[:i+1]
	t.in = t.in[i+1:]
	if t.ep.pol.scenario != nil && t.ep.pol.scenario.StrictLF && !bytes.HasSuffix(line, []byte("\r\n")) {
		t.log.client(line, t.auth)
		t.final(fmt.Sprintf("521 5.5.2 %s Error: bare <LF> received", t.ep.pol.domain()))
		return nil
	}
	if t.inData {
		t.content(line)
		for t.inData { // the rest of the message already read goes in one piece
			i := bytes.IndexByte(t.in, '\n')
			if i < 0 {
				break
			}
			if t.ep.pol.scenario != nil && t.ep.pol.scenario.StrictLF && !bytes.HasSuffix(t.in[:i+1], []byte("\r\n")) {
				break // refused at the next read, after what came before it
			}
			line, t.in = t.in[:i+1], t.in[i+1:]
			t.content(line)
		}
		return nil
	}
	t.log.client(line, t.auth)
	t.command(line)
	return nil
}

// content hands on a line of message content; a lone "." ends it.
func (t *tapConn) content(line []byte) {
	t.log.client(line, false)
	t.out = append(t.out, line...)
	t.inData = string(line) != ".\r\n" && string(line) != ".\n"
}

// maxLine is the longest command line the tap waits for before handing
// it on whole: go-smtp refuses those past its own limit.
const maxLine = 64 << 10

// fill reads more from the client.
func (t *tapConn) fill() error {
	var b [32 << 10]byte
	n, err := t.Conn.Read(b[:])
	t.in = append(t.in, b[:n]...)
	if n > 0 {
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

// command hands a command line on, or answers it.
func (t *tapConn) command(line []byte) {
	text := strings.TrimRight(string(line), "\r\n")
	verb := strings.ToUpper(strings.Fields(text + " ")[0])
	if t.auth { // an AUTH response: go-smtp reads it
		t.out = append(t.out, line...)
		return
	}
	t.verb, t.first = verb, true
	t.fact(verb)
	sc := t.ep.pol.scenario
	switch r, ok := sc.rule(verb); {
	case ok:
		t.reply(r.wire())
		return
	case verb == "STARTTLS" && t.starttl:
		t.startTLS()
		return
	case verb == "MAIL" && sc != nil && sc.RatePerMinute > 0 && !t.ep.lab.rate.allow(t.client, sc.RatePerMinute):
		t.final(fmt.Sprintf("421 4.7.0 %s Error: too many messages from %s", t.ep.pol.domain(), t.client))
		return
	case (verb == "VRFY" || verb == "EXPN") && sc != nil && sc.Tells:
		t.reply(tell(verb, strings.TrimSpace(text[len(verb):])))
		return
	case verb == "AUTH":
		t.auth = true
	case verb == "DATA":
		// the content that follows waits for the 354 (Write)
	case verb == "BDAT":
		t.chunk = bdatSize(line)
	}
	t.out = append(t.out, line...)
}

// fact records what the client did, for the verdict.
func (t *tapConn) fact(verb string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f := &t.facts
	f.commands++
	if t.secure && !t.ep.impl {
		f.afterTLS++
	}
	switch verb {
	case "STARTTLS":
		f.triedTLS = true
	case "MAIL", "RCPT", "DATA", "BDAT", "AUTH":
		if !t.secure && t.ep.pol.scenario != nil && t.ep.pol.scenario.NoStartTLS {
			f.plainAfterNo = true
		}
	}
}

// reply answers the client in the tap's own words.
func (t *tapConn) reply(s string) {
	t.log.server([]byte(s))
	if _, err := t.Conn.Write([]byte(s)); err != nil {
		t.closing = true
	}
	if strings.HasPrefix(s, "421") {
		t.closing = true
	}
}

// final answers the client and ends the connection.
func (t *tapConn) final(s string) {
	t.reply(s + "\r\n")
	t.closing = true
}

// startTLS answers 220 and runs the handshake (RFC 3207 section 4). Input
// the client sent after STARTTLS, before the handshake, is discarded, never
// read as a command inside TLS (CVE-2011-0411).
func (t *tapConn) startTLS() {
	t.reply("220 2.0.0 Ready to start TLS\r\n")
	if len(t.in) > 0 {
		t.log.note(fmt.Sprintf("%d bytes the client sent after STARTTLS, before TLS, discarded (a command injection?)", len(t.in)))
		t.in = nil
	}
	t.Conn.SetDeadline(time.Now().Add(time.Minute))
	conn := tls.Server(t.Conn, t.ep.tls)
	err := conn.Handshake()
	t.Conn.SetDeadline(time.Time{})
	t.mu.Lock()
	defer t.mu.Unlock()
	if err != nil {
		t.facts.handshake = handshakeWords(err)
		t.log.note("TLS handshake failed: " + t.facts.handshake)
		t.closing = true
		return
	}
	st := conn.ConnectionState()
	t.facts.handshake = "ok"
	t.log.note(fmt.Sprintf("TLS started: %s, %s", tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite)))
	t.Conn, t.secure, t.starttl = conn, true, false
}

// handshakeWords says why a handshake failed, from the server's side.
func handshakeWords(err error) string {
	var alert tls.AlertError
	switch s := err.Error(); {
	case errors.As(err, &alert):
		return "the client sent the alert: " + alert.Error()
	case strings.Contains(s, "remote error"):
		return "the client refused the certificate (" + s[strings.Index(s, "remote error"):] + ")"
	case errors.Is(err, io.EOF):
		return "the client closed the connection during the handshake"
	default:
		return s
	}
}

// Write implements net.Conn: it delays the greeting, adds STARTTLS to
// EHLO's reply while offered, follows the replies and logs them.
func (t *tapConn) Write(p []byte) (int, error) {
	if t.closing { // the tap's final reply went: nothing more is said
		return len(p), nil
	}
	if !t.greeted {
		t.greeted = true
		if t.early() {
			return len(p), nil
		}
	}
	t.written = append(t.written, p...)
	var out []byte
	for {
		i := bytes.IndexByte(t.written, '\n')
		if i < 0 {
			break
		}
		out = t.emit(out, t.written[:i+1])
		t.written = t.written[i+1:]
	}
	if len(out) == 0 {
		return len(p), nil
	}
	t.log.server(out)
	if _, err := t.Conn.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// emit appends one reply line to out, following the session.
func (t *tapConn) emit(out, line []byte) []byte {
	if t.first {
		t.first = false
		line = t.helloLine(line)
	}
	out = append(out, line...)
	if t.starttl && t.verb == "EHLO" && bytes.EqualFold(bytes.TrimRight(line, "\r\n"), []byte("250-CHUNKING")) {
		out = append(out, "250-STARTTLS\r\n"...)
	}
	if len(line) < 4 || line[3] != ' ' && line[3] != '\r' {
		return out
	}
	code := string(line[:3])
	switch {
	case code == "354":
		t.inData = true
	case code == "421":
		t.closing = true
	}
	if code != "334" {
		t.auth = false
	}
	t.mu.Lock()
	if code == "450" && bytes.Contains(line, []byte("Greylisted")) {
		t.facts.gotGrey = true
	}
	if code == "250" && (t.verb == "DATA" || t.verb == "BDAT") {
		t.facts.delivered = true
	}
	t.mu.Unlock()
	return out
}

// helloLine puts the endpoint's name first in the reply to EHLO, HELO or
// LHLO, where go-smtp says "250-Hello client": the first line is "250"
// SP/"-" Domain [SP greet] (RFC 5321 section 4.1.1.1, RFC 2033 section
// 4.1), and a client reads the server's name there. HELO's reply has no
// enhanced code in that grammar: it goes, as in Postfix's "250 mx.example".
func (t *tapConn) helloLine(line []byte) []byte {
	if t.verb != "EHLO" && t.verb != "HELO" && t.verb != "LHLO" || len(line) < 4 || !bytes.HasPrefix(line, []byte("250")) {
		return line
	}
	text := line[4:]
	if m := enhancedPrefix().FindSubmatchIndex(line); m != nil {
		text = line[m[1]:]
	}
	if !bytes.HasPrefix(text, []byte("Hello ")) {
		return line
	}
	return slices.Concat(line[:4], []byte(t.ep.pol.domain()+" "), text)
}

// early waits out the greeting delay; a client that talks meanwhile gets
// Exim's synchronization error and the connection ends. It reports whether
// it refused the client.
func (t *tapConn) early() bool {
	sc := t.ep.pol.scenario
	if sc == nil || sc.GreetDelay <= 0 {
		return false
	}
	t.log.note(fmt.Sprintf("greeting held for %s", sc.GreetDelay))
	if !sc.EarlyTalkers {
		time.Sleep(sc.GreetDelay)
		return false
	}
	t.Conn.SetReadDeadline(time.Now().Add(sc.GreetDelay))
	err := t.fill()
	t.Conn.SetReadDeadline(time.Time{})
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	if len(t.in) > 0 {
		t.log.client(t.in, false)
		t.log.note("the client talked before the greeting")
		t.in = nil
	}
	t.final("554 SMTP synchronization error")
	return true
}

// verdict is the client tester's finding on what the client did, for the
// log, or "" where the endpoint tests nothing.
func (t *tapConn) verdict() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	sc, f := t.ep.pol.scenario, t.facts
	if sc == nil {
		return ""
	}
	switch {
	case sc.NoStartTLS && f.plainAfterNo:
		return "FAIL: STARTTLS was not offered and the client went on in clear (MAIL, RCPT, DATA or AUTH): a man in the middle who strips STARTTLS reads its mail"
	case sc.NoStartTLS:
		return "PASS: STARTTLS was not offered and the client sent no mail nor credentials in clear"
	case sc.Cert != "" && f.handshake == "ok" && f.afterTLS > 0:
		return "FAIL: the certificate is " + sc.Cert + " and the client went on inside TLS: it does not verify certificates"
	case sc.Cert != "" && f.handshake != "" && f.handshake != "ok":
		return "PASS: the certificate is " + sc.Cert + " and the client refused it: " + f.handshake
	case sc.Cert != "" && f.triedTLS:
		return "PASS: the certificate is " + sc.Cert + " and the client sent nothing inside TLS"
	case sc.Cert != "":
		return "NOTE: the client did not try STARTTLS"
	case sc.Greylist && f.gotGrey:
		return "NOTE: the client was greylisted (450); a well-behaved client retries later: a later connection's log says if it did"
	}
	return ""
}

// Close implements net.Conn: the log gets the verdict, once.
func (t *tapConn) Close() error {
	t.closeOnce.Do(func() { t.log.close(t.verdict()) })
	return t.Conn.Close()
}
