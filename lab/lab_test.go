package lab_test

import (
	"bufio"
	"crypto/hmac"
	"crypto/md5"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/smtp"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ehlo-sh/ehlo/lab"
)

// EHLO replies after the first line (hello), byte for byte (CRLFs shown as
// \n). The extension order is go-smtp's.
const (
	ehloSTARTTLS = "250-PIPELINING\n250-8BITMIME\n250-ENHANCEDSTATUSCODES\n250-CHUNKING\n" +
		"250-STARTTLS\n" +
		"250-SMTPUTF8\n250-SIZE 35882577\n250 LIMITS RCPTMAX=100"
	ehloTLSNoAuth = "250-PIPELINING\n250-8BITMIME\n250-ENHANCEDSTATUSCODES\n250-CHUNKING\n" +
		"250-SMTPUTF8\n250-SIZE 35882577\n250 LIMITS RCPTMAX=100"
	ehloTLSAuth = "250-PIPELINING\n250-8BITMIME\n250-ENHANCEDSTATUSCODES\n250-CHUNKING\n" +
		"250-AUTH PLAIN LOGIN CRAM-MD5\n" +
		"250-SMTPUTF8\n250-SIZE 35882577\n250 LIMITS RCPTMAX=100"
	ehloLegacy = "250-PIPELINING\n250-8BITMIME\n250-ENHANCEDSTATUSCODES\n250-CHUNKING\n" +
		"250-AUTH PLAIN LOGIN\n" +
		"250-SMTPUTF8\n250-SIZE 35882577\n250 LIMITS RCPTMAX=100"
)

// hello is the first line of the endpoint's reply to EHLO client.test: its
// own name first (RFC 5321 section 4.1.1.1).
func hello(endpoint string) string { return "250-" + endpoint + ".lab.test Hello client.test\n" }

var (
	plainGood = b64("\x00alice\x00wonderland")
	plainBad  = b64("\x00alice\x00looking-glass")
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// start runs a lab on ephemeral ports, closed when the test ends.
func start(t *testing.T, cfg lab.Config) *lab.Lab {
	t.Helper()
	l, err := lab.Start(cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func addr(t *testing.T, l *lab.Lab, name string) string {
	t.Helper()
	e, ok := l.Endpoint(name)
	if !ok {
		t.Fatalf("no endpoint %q", name)
	}
	return e.Addr
}

// client is a raw SMTP client that returns each reply verbatim, its lines
// joined by "\n".
type client struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func newClient(t *testing.T, conn net.Conn) *client {
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	c := &client{t: t, conn: conn, r: bufio.NewReader(conn)}
	t.Cleanup(func() { c.conn.Close() })
	return c
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return newClient(t, conn)
}

func dialTLS(t *testing.T, addr string, cfg *tls.Config) *client {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, cfg)
	if err != nil {
		t.Fatalf("tls.Dial %s (ServerName %q): %v", addr, cfg.ServerName, err)
	}
	return newClient(t, conn)
}

func (c *client) reply() string {
	c.t.Helper()
	var lines []string
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			c.t.Fatalf("read reply: %v (so far %q)", err, lines)
		}
		if !strings.HasSuffix(line, "\r\n") {
			c.t.Fatalf("reply line %q does not end in CRLF", line)
		}
		line = strings.TrimSuffix(line, "\r\n")
		lines = append(lines, line)
		if len(line) < 4 || line[3] != '-' {
			return strings.Join(lines, "\n")
		}
	}
}

func (c *client) cmd(line string) string {
	c.t.Helper()
	return c.write(line + "\r\n")
}

// write sends s as it is and reads the reply.
func (c *client) write(s string) string {
	c.t.Helper()
	if _, err := io.WriteString(c.conn, s); err != nil {
		c.t.Fatalf("write %q: %v", s, err)
	}
	return c.reply()
}

// expect sends line and fails unless the reply starts with want.
func (c *client) expect(line, want string) string {
	c.t.Helper()
	got := c.cmd(line)
	if !strings.HasPrefix(got, want) {
		c.t.Fatalf("%s\n got: %q\nwant: %q...", line, got, want)
	}
	return got
}

func (c *client) startTLS(pool *x509.CertPool, serverName string) {
	c.t.Helper()
	c.expect("STARTTLS", "220 2.0.0 Ready to start TLS")
	tc := tls.Client(c.conn, &tls.Config{RootCAs: pool, ServerName: serverName})
	if err := tc.Handshake(); err != nil {
		c.t.Fatalf("TLS handshake: %v", err)
	}
	c.conn, c.r = tc, bufio.NewReader(tc)
}

// send runs one mail transaction and returns the final reply.
func (c *client) send(from string, to []string, data string) string {
	c.t.Helper()
	c.expect("MAIL FROM:<"+from+">", "250 ")
	for _, rcpt := range to {
		c.expect("RCPT TO:<"+rcpt+">", "250 ")
	}
	c.expect("DATA", "354 ")
	return c.cmd(strings.ReplaceAll(data, "\n", "\r\n") + ".")
}

func equalReply(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s:\n got: %q\nwant: %q", what, got, want)
	}
}

func TestEndpoints(t *testing.T) {
	l := start(t, lab.Config{})
	var names []string
	for _, e := range l.Endpoints() {
		names = append(names, e.Name)
		if host, port, err := net.SplitHostPort(e.Addr); err != nil || host != "127.0.0.1" || port == "0" {
			t.Errorf("%s: Addr %q", e.Name, e.Addr)
		}
		if e.Summary == "" {
			t.Errorf("%s: empty Summary", e.Name)
		}
		if e.ImplicitTLS != (e.Name == "smtps") {
			t.Errorf("%s: ImplicitTLS = %v", e.Name, e.ImplicitTLS)
		}
	}
	if !slices.Equal(names, lab.EndpointNames) {
		t.Errorf("Endpoints() names = %q, want %q", names, lab.EndpointNames)
	}
	if _, ok := l.Endpoint("pop3"); ok {
		t.Error(`Endpoint("pop3") found`)
	}
}

func TestSubmission(t *testing.T) {
	got := make(chan lab.Message, 1)
	l := start(t, lab.Config{OnMessage: func(m lab.Message) { got <- m }})
	c := dial(t, addr(t, l, "submission"))

	equalReply(t, "greeting", c.reply(), "220 submission.lab.test ESMTP ehlo lab (submission)")
	equalReply(t, "EHLO before TLS", c.cmd("EHLO client.test"), hello("submission")+ehloSTARTTLS)
	c.expect("AUTH PLAIN "+plainGood, "530 5.7.0 Must issue a STARTTLS command first")
	c.expect("MAIL FROM:<alice@lab.test>", "530 5.7.0 ")

	c.startTLS(l.CertPool(), "localhost")
	equalReply(t, "EHLO after TLS", c.cmd("EHLO client.test"), hello("submission")+ehloTLSAuth)
	c.expect("MAIL FROM:<alice@lab.test>", "530 5.7.0 Authentication required")
	c.expect("AUTH PLAIN "+plainBad, "535 5.7.8 Username and Password not accepted")
	c.expect("AUTH PLAIN "+plainGood, "235 ")

	data := "From: alice@lab.test\nTo: carol@example.org\nSubject: hello from the lab\n\nHi Carol.\n"
	c.expect("MAIL FROM:<alice@lab.test> SIZE=100", "250 ")
	c.expect("RCPT TO:<carol@example.org>", "250 ")
	c.expect("RCPT TO:<dave@example.net>", "250 ")
	c.expect("DATA", "354 ")
	c.expect(strings.ReplaceAll(data, "\n", "\r\n")+".", "250 2.0.0 ")
	c.expect("QUIT", "221 ")

	m := <-got
	msgs := l.Messages()
	if len(msgs) != 1 {
		t.Fatalf("Messages() has %d messages, want 1", len(msgs))
	}
	for _, m := range []lab.Message{m, msgs[0]} {
		if m.Endpoint != "submission" || m.From != "alice@lab.test" || m.User != "alice" ||
			!slices.Equal(m.To, []string{"carol@example.org", "dave@example.net"}) {
			t.Errorf("envelope = %q from %q to %q user %q", m.Endpoint, m.From, m.To, m.User)
		}
		if string(m.Data) != strings.ReplaceAll(data, "\n", "\r\n") {
			t.Errorf("Data = %q", m.Data)
		}
		if m.Subject() != "hello from the lab" {
			t.Errorf("Subject() = %q", m.Subject())
		}
		if time.Since(m.Received) > time.Minute {
			t.Errorf("Received = %v", m.Received)
		}
	}
}

func TestSubmissionAuth(t *testing.T) {
	l := start(t, lab.Config{})
	tests := []struct {
		name string
		run  func(c *client) string // returns the final reply
	}{
		{"PLAIN no initial response", func(c *client) string {
			c.expect("AUTH PLAIN", "334 ")
			return c.cmd(plainGood)
		}},
		{"LOGIN", func(c *client) string {
			equalReply(t, "first challenge", c.cmd("AUTH LOGIN"), "334 VXNlcm5hbWU6")
			equalReply(t, "second challenge", c.cmd(b64("alice")), "334 UGFzc3dvcmQ6")
			return c.cmd(b64("wonderland"))
		}},
		{"LOGIN initial response", func(c *client) string {
			equalReply(t, "challenge", c.cmd("AUTH LOGIN "+b64("alice")), "334 UGFzc3dvcmQ6")
			return c.cmd(b64("wonderland"))
		}},
		{"CRAM-MD5", func(c *client) string {
			return c.cmd(cramAnswer(t, c, "alice", "wonderland"))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, addr(t, l, "submission"))
			c.reply()
			c.cmd("EHLO client.test")
			c.startTLS(l.CertPool(), "localhost")
			c.cmd("EHLO client.test")
			if got := tt.run(c); !strings.HasPrefix(got, "235 ") {
				t.Fatalf("AUTH: %q", got)
			}
			c.expect("AUTH PLAIN "+plainGood, "503 ") // RFC 4954: only once
			c.expect("MAIL FROM:<alice@lab.test>", "250 ")
		})
	}
}

func TestSubmissionAuthRefused(t *testing.T) {
	l := start(t, lab.Config{})
	tests := []struct {
		name string
		run  func(c *client) string
	}{
		{"LOGIN wrong password", func(c *client) string {
			c.cmd("AUTH LOGIN")
			c.cmd(b64("alice"))
			return c.cmd(b64("tweedledum"))
		}},
		{"CRAM-MD5 wrong secret", func(c *client) string {
			return c.cmd(cramAnswer(t, c, "alice", "tweedledum"))
		}},
		{"CRAM-MD5 unknown user", func(c *client) string {
			return c.cmd(cramAnswer(t, c, "bob", "wonderland"))
		}},
		{"PLAIN foreign authzid", func(c *client) string {
			return c.cmd("AUTH PLAIN " + b64("bob\x00alice\x00wonderland"))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, addr(t, l, "submission"))
			c.reply()
			c.cmd("EHLO client.test")
			c.startTLS(l.CertPool(), "localhost")
			c.cmd("EHLO client.test")
			equalReply(t, "AUTH", tt.run(c), "535 5.7.8 Username and Password not accepted")
			c.expect("MAIL FROM:<alice@lab.test>", "530 5.7.0 Authentication required")
		})
	}
}

// cramAnswer starts AUTH CRAM-MD5, checks the challenge's shape and returns
// the base64 answer RFC 2195 computes from secret.
func cramAnswer(t *testing.T, c *client, user, secret string) string {
	t.Helper()
	got := c.expect("AUTH CRAM-MD5", "334 ")
	challenge, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(got, "334 "))
	if err != nil {
		t.Fatalf("challenge %q: %v", got, err)
	}
	if !regexp.MustCompile(`^<\d+\.\d+@mail\.lab\.test>$`).Match(challenge) {
		t.Errorf("challenge %q is not <random.timestamp@mail.lab.test>", challenge)
	}
	mac := hmac.New(md5.New, []byte(secret))
	mac.Write(challenge)
	return b64(user + " " + hex.EncodeToString(mac.Sum(nil)))
}

func TestSubmissionNetSMTP(t *testing.T) {
	l := start(t, lab.Config{})
	c, err := smtp.Dial(addr(t, l, "submission"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.test"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := c.Extension("AUTH"); ok {
		t.Error("AUTH offered before STARTTLS")
	}
	if ok, size := c.Extension("SIZE"); !ok || size != "35882577" {
		t.Errorf("SIZE = %v %q", ok, size)
	}
	if err := c.StartTLS(&tls.Config{RootCAs: l.CertPool(), ServerName: "localhost"}); err != nil {
		t.Fatal(err)
	}
	if ok, mechs := c.Extension("AUTH"); !ok || mechs != "PLAIN LOGIN CRAM-MD5" {
		t.Errorf("AUTH after TLS = %v %q", ok, mechs)
	}
	if err := c.Auth(smtp.CRAMMD5Auth(lab.User, lab.Password)); err != nil {
		t.Fatalf("CRAM-MD5: %v", err)
	}
	sendNetSMTP(t, c, "alice@lab.test", "carol@example.org", "Subject: via net/smtp\r\n\r\nbody\r\n")
	if err := c.Quit(); err != nil {
		t.Error(err)
	}
	m := l.Messages()[0]
	if m.Subject() != "via net/smtp" || m.User != "alice" {
		t.Errorf("message: subject %q user %q", m.Subject(), m.User)
	}
}

func sendNetSMTP(t *testing.T, c *smtp.Client, from, to, data string) {
	t.Helper()
	if err := c.Mail(from); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt(to); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestSubmissionLimits(t *testing.T) {
	l := start(t, lab.Config{})
	c := dial(t, addr(t, l, "submission"))
	c.reply()
	c.cmd("EHLO client.test")
	c.startTLS(l.CertPool(), "localhost")
	c.cmd("EHLO client.test")
	c.expect("AUTH PLAIN "+plainGood, "235 ")
	c.expect("MAIL FROM:<alice@lab.test> SIZE=35882578", "552 5.3.4 ")
	c.expect("MAIL FROM:<alice@lab.test> SIZE=35882577", "250 ")
	for i := range 100 {
		c.expect(fmt.Sprintf("RCPT TO:<r%d@example.org>", i), "250 ")
	}
	c.expect("RCPT TO:<r100@example.org>", "452 4.5.3 ")
}

func TestSubmissionChunking(t *testing.T) {
	l := start(t, lab.Config{})
	c := dial(t, addr(t, l, "submission"))
	c.reply()
	c.cmd("EHLO client.test")
	c.startTLS(l.CertPool(), "localhost")
	c.cmd("EHLO client.test")
	c.expect("AUTH PLAIN "+plainGood, "235 ")
	c.expect("MAIL FROM:<alice@lab.test>", "250 ")
	c.expect("RCPT TO:<carol@example.org>", "250 ")
	first, last := "Subject: in chunks\r\n", "\r\nbody\r\n"
	// RFC 3030: the chunk follows the command line, with no terminator.
	equalReply(t, "BDAT", c.write(fmt.Sprintf("BDAT %d\r\n%s", len(first), first)), "250 2.0.0 Continue")
	equalReply(t, "BDAT LAST", c.write(fmt.Sprintf("BDAT %d LAST\r\n%s", len(last), last)), "250 2.0.0 OK: queued")
	msgs := l.Messages()
	if len(msgs) != 1 || string(msgs[0].Data) != first+last || msgs[0].Subject() != "in chunks" {
		t.Errorf("Messages() = %+v", msgs)
	}
}

func TestMX(t *testing.T) {
	l := start(t, lab.Config{})
	c := dial(t, addr(t, l, "mx"))
	equalReply(t, "greeting", c.reply(), "220 mx.lab.test ESMTP ehlo lab (mx)")
	equalReply(t, "EHLO before TLS", c.cmd("EHLO client.test"), hello("mx")+ehloSTARTTLS)
	c.expect("AUTH PLAIN "+plainGood, "503 5.5.1 ")

	c.startTLS(l.CertPool(), "127.0.0.1")
	equalReply(t, "EHLO after TLS", c.cmd("EHLO client.test"), hello("mx")+ehloTLSNoAuth)
	c.expect("AUTH PLAIN "+plainGood, "503 5.5.1 ")
	c.expect("MAIL FROM:<someone@example.org>", "250 ")
	equalReply(t, "foreign RCPT", c.cmd("RCPT TO:<eve@example.org>"), "554 5.7.1 <eve@example.org>: Relay access denied")
	c.expect("RCPT TO:<bob@lab.test>", "250 ")
	c.expect("RCPT TO:<Carol@LAB.Test>", "250 ")
	c.expect("DATA", "354 ")
	c.expect("Subject: inbound\r\n\r\nhi\r\n.", "250 ")

	m := l.Messages()[0]
	if m.Endpoint != "mx" || m.User != "" || !slices.Equal(m.To, []string{"bob@lab.test", "Carol@LAB.Test"}) {
		t.Errorf("message = %q user %q to %q", m.Endpoint, m.User, m.To)
	}
}

func TestMXClear(t *testing.T) {
	// An MX takes mail without TLS, as port 25 must (RFC 3207 section 4).
	l := start(t, lab.Config{})
	c := dial(t, addr(t, l, "mx"))
	c.reply()
	c.expect("HELO client.test", "250 ")
	equalReply(t, "DATA end", c.send("a@example.org", []string{"bob@lab.test"}, "Subject: clear\n\n"), "250 2.0.0 OK: queued")
}

// TestPostfix: a Postfix submission port (smtpd_tls_security_level =
// encrypt, smtpd_tls_auth_only, smtpd_client_restrictions =
// permit_sasl_authenticated, reject) refuses MAIL before STARTTLS, AUTH
// before TLS, and after TLS every RCPT, even a local one, until AUTH.
func TestPostfix(t *testing.T) {
	l := start(t, lab.Config{})
	c := dial(t, addr(t, l, "postfix"))
	equalReply(t, "greeting", c.reply(), "220 postfix.lab.test ESMTP ehlo lab (postfix)")
	equalReply(t, "EHLO before TLS", c.cmd("EHLO client.test"), hello("postfix")+ehloSTARTTLS)
	equalReply(t, "AUTH before TLS", c.cmd("AUTH PLAIN "+plainGood), "503 5.5.1 Error: authentication not enabled")
	equalReply(t, "MAIL before TLS", c.cmd("MAIL FROM:<alice@lab.test>"), "530 5.7.0 Must issue a STARTTLS command first.")

	c.startTLS(l.CertPool(), "127.0.0.1")
	equalReply(t, "EHLO after TLS", c.cmd("EHLO client.test"), hello("postfix")+strings.Replace(ehloTLSAuth, "AUTH PLAIN LOGIN CRAM-MD5", "AUTH PLAIN LOGIN", 1))
	c.expect("MAIL FROM:<alice@lab.test>", "250 ")
	for _, to := range []string{"bob@lab.test", "carol@example.org"} {
		equalReply(t, "RCPT "+to, c.cmd("RCPT TO:<"+to+">"), "554 5.7.1 <localhost[127.0.0.1]>: Client host rejected: Access denied")
	}
	c.expect("RSET", "250 ")
	equalReply(t, "wrong password", c.cmd("AUTH PLAIN "+plainBad), "535 5.7.8 Error: authentication failed: (reason unavailable)")
	c.expect("AUTH PLAIN "+plainGood, "235 ")
	c.send("alice@lab.test", []string{"bob@lab.test", "carol@example.org"}, "Subject: signed in\n\n")
	if m := l.Messages(); len(m) != 1 || m[0].Endpoint != "postfix" || m[0].User != lab.User {
		t.Errorf("Messages() = %+v", m)
	}
}

// TestExim: Exim's default configuration, without TLS and with AUTH in
// the clear (Debian's AUTH_SERVER_ALLOW_NOTLS_PASSWORDS): no enhanced
// status codes anywhere, and Exim's words.
func TestExim(t *testing.T) {
	l := start(t, lab.Config{})
	c := dial(t, addr(t, l, "exim"))
	equalReply(t, "greeting", c.reply(), "220 exim.lab.test ESMTP ehlo lab (exim)")
	equalReply(t, "EHLO", c.cmd("EHLO client.test"), hello("exim")+strings.Replace(ehloLegacy, "250-ENHANCEDSTATUSCODES\n", "", 1))
	equalReply(t, "MAIL", c.cmd("MAIL FROM:<someone@example.org>"), "250 Roger, accepting mail from <someone@example.org>")
	equalReply(t, "foreign RCPT", c.cmd("RCPT TO:<eve@example.org>"), "550 relay not permitted")
	equalReply(t, "unknown user", c.cmd("RCPT TO:<nobody@lab.test>"), "550 Unknown user")
	c.expect("RCPT TO:<Bob@lab.test>", "250 I'll make sure <Bob@lab.test> gets this")
	c.expect("RSET", "250 ")
	equalReply(t, "wrong password", c.cmd("AUTH PLAIN "+plainBad), "535 Incorrect authentication data")
	equalReply(t, "AUTH", c.cmd("AUTH PLAIN "+plainGood), "235 Authentication succeeded")
	equalReply(t, "sent", c.send("alice@lab.test", []string{"carol@example.org"}, "Subject: relayed\n\n"), "250 OK: queued")
}

// TestNoPipe: the nopipe endpoint offers no PIPELINING nor CHUNKING and
// answers one command at a time like any server; a client that sends a
// command before the reply to the previous one, or message text before
// DATA's 354, gets Exim's synchronization error and a close.
func TestNoPipe(t *testing.T) {
	l := start(t, lab.Config{})
	c := dial(t, addr(t, l, "nopipe"))
	equalReply(t, "greeting", c.reply(), "220 nopipe.lab.test ESMTP ehlo lab (nopipe)")
	equalReply(t, "EHLO", c.cmd("EHLO client.test"), hello("nopipe")+"250-8BITMIME\n250-SMTPUTF8\n250-SIZE 35882577\n250 LIMITS RCPTMAX=100")
	c.expect("MAIL FROM:<a@example.org>", "250 ")
	equalReply(t, "DATA without RCPT", c.cmd("DATA"), "502 Missing RCPT TO command.")
	c.expect("RSET", "250 ")
	equalReply(t, "relay", c.cmd("MAIL FROM:<a@example.org>")+"|"+c.cmd("RCPT TO:<eve@example.org>"), "250 Roger, accepting mail from <a@example.org>|550 not relaying to that domain")
	c.expect("RCPT TO:<bob@lab.test>", "250 ")
	c.expect("DATA", "354 ")
	equalReply(t, "sent", c.cmd("Subject: one at a time\r\n\r\nMAIL FROM:<not@a.command>\r\n."), "250 OK: queued")
	if m := l.Messages(); len(m) != 1 || m[0].Subject() != "one at a time" {
		t.Fatalf("mailbox %+v", m)
	}

	for _, tt := range []struct{ name, setup, burst string }{
		{"pipelined envelope", "", "MAIL FROM:<a@example.org>\r\nRCPT TO:<bob@lab.test>\r\n"},
		{"text before 354", "MAIL FROM:<a@example.org>\r\nRCPT TO:<bob@lab.test>\r\n", "DATA\r\nSubject: early\r\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, addr(t, l, "nopipe"))
			c.reply()
			c.expect("EHLO client.test", "250-")
			for line := range strings.SplitSeq(strings.TrimSuffix(tt.setup, "\r\n"), "\r\n") {
				if line != "" {
					c.expect(line, "250 ")
				}
			}
			equalReply(t, "burst", c.write(tt.burst), "554 SMTP synchronization error")
			if line, err := c.r.ReadString('\n'); err == nil {
				t.Errorf("after the synchronization error the server said %q, want a close", line)
			}
		})
	}
}

// TestGreylist: the first RCPT of a sender and recipient gets postgrey's
// 450 through Postfix; the same pair passes GreylistDelay later, and not
// before.
func TestGreylist(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	wait := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	l := start(t, lab.Config{Now: clock})
	c := dial(t, addr(t, l, "greylist"))
	c.reply()
	c.expect("EHLO client.test", "250-")
	c.expect("MAIL FROM:<a@example.org>", "250 ")
	const grey = "450 4.7.1 <bob@lab.test>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/greylist.lab.test.html"
	equalReply(t, "first RCPT", c.cmd("RCPT TO:<bob@lab.test>"), grey)
	equalReply(t, "foreign RCPT", c.cmd("RCPT TO:<eve@example.org>"), "554 5.7.1 <eve@example.org>: Relay access denied")
	wait(lab.GreylistDelay - time.Second)
	equalReply(t, "too early", c.cmd("RCPT TO:<bob@lab.test>"), grey)
	c.expect("RCPT TO:<alice@lab.test>", "450 4.7.1 ")
	wait(time.Second)
	c.expect("RCPT TO:<BOB@lab.test>", "250 ")
	c.expect("RSET", "250 ")
	c.expect("MAIL FROM:<other@example.org>", "250 ")
	c.expect("RCPT TO:<bob@lab.test>", "450 4.7.1 ")
}

func TestSMTPS(t *testing.T) {
	l := start(t, lab.Config{})
	for _, name := range []string{"localhost", "127.0.0.1"} {
		t.Run(name, func(t *testing.T) {
			c := dialTLS(t, addr(t, l, "smtps"), &tls.Config{RootCAs: l.CertPool(), ServerName: name})
			equalReply(t, "greeting", c.reply(), "220 smtps.lab.test ESMTP ehlo lab (smtps)")
			equalReply(t, "EHLO", c.cmd("EHLO client.test"), hello("smtps")+ehloTLSAuth)
			c.expect("MAIL FROM:<alice@lab.test>", "530 5.7.0 Authentication required")
			c.expect("AUTH PLAIN "+plainGood, "235 ")
			c.send("alice@lab.test", []string{"carol@example.org"}, "Subject: over smtps\n\n")
		})
	}
	if n := len(l.Messages()); n != 2 {
		t.Errorf("%d messages, want 2", n)
	}
}

func TestSMTPSCertificate(t *testing.T) {
	l := start(t, lab.Config{})
	conn, err := tls.Dial("tcp", addr(t, l, "smtps"), &tls.Config{RootCAs: l.CertPool(), ServerName: "mail.lab.test"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	leaf := conn.ConnectionState().PeerCertificates[0]
	now := time.Now()
	if d := now.Sub(leaf.NotBefore); d < 59*time.Minute || d > 61*time.Minute {
		t.Errorf("NotBefore %v is not an hour ago", leaf.NotBefore)
	}
	if d := leaf.NotAfter.Sub(now); d < 23*time.Hour || d > 25*time.Hour {
		t.Errorf("NotAfter %v is not a day away", leaf.NotAfter)
	}
	if _, err := tls.Dial("tcp", addr(t, l, "smtps"), &tls.Config{RootCAs: l.CertPool(), ServerName: "example.org"}); err == nil {
		t.Error("certificate verified for example.org")
	}

	block, _ := pem.Decode(l.CAPEM())
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("CAPEM() = %q", l.CAPEM())
	}
	ca, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if ca.Subject.CommonName != "ehlo lab CA" || !ca.IsCA {
		t.Errorf("CA subject %q IsCA %v", ca.Subject.CommonName, ca.IsCA)
	}
	if err := leaf.CheckSignatureFrom(ca); err != nil {
		t.Errorf("leaf not signed by CAPEM's CA: %v", err)
	}
}

func TestLegacy(t *testing.T) {
	l := start(t, lab.Config{})
	c := dial(t, addr(t, l, "legacy"))
	equalReply(t, "greeting", c.reply(), "220 legacy.lab.test ESMTP ehlo lab (legacy)")
	equalReply(t, "EHLO", c.cmd("EHLO client.test"), hello("legacy")+ehloLegacy)
	c.expect("STARTTLS", "502 5.5.1 ")
	c.expect("MAIL FROM:<alice@lab.test>", "530 5.7.0 Authentication required")
	c.expect("AUTH CRAM-MD5", "504 5.7.4 ")
	c.expect("AUTH PLAIN "+plainGood, "235 ")
	c.send("alice@lab.test", []string{"carol@example.org"}, "Subject: in the clear\n\n")
}

func TestLegacyNetSMTP(t *testing.T) {
	// net/smtp sends PLAIN without TLS only to localhost: the same code
	// fails against anything else, which is the lesson of this endpoint.
	l := start(t, lab.Config{})
	_, port, _ := net.SplitHostPort(addr(t, l, "legacy"))
	auth := smtp.PlainAuth("", lab.User, lab.Password, "localhost")
	err := smtp.SendMail("localhost:"+port, auth, "alice@lab.test", []string{"carol@example.org"},
		[]byte("Subject: smtp.SendMail\r\n\r\nbody\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	m := l.Messages()[0]
	if m.Endpoint != "legacy" || m.User != "alice" || m.Subject() != "smtp.SendMail" {
		t.Errorf("message %q user %q subject %q", m.Endpoint, m.User, m.Subject())
	}
}

func TestStartRefusesNonLoopback(t *testing.T) {
	for _, host := range []string{"0.0.0.0", "::", "192.0.2.1", "example.org", "mail.lab.test"} {
		if l, err := lab.Start(lab.Config{Host: host}); err == nil {
			l.Close()
			t.Errorf("Start(Host: %q) succeeded", host)
		}
	}
}

func TestStartLocalhost(t *testing.T) {
	l := start(t, lab.Config{Host: "localhost"})
	host, _, _ := net.SplitHostPort(addr(t, l, "mx"))
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		t.Errorf("bound to %q", host)
	}
}

func TestStartFailureClosesListeners(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := busy.Addr().(*net.TCPAddr).Port

	var mu sync.Mutex
	var logs []string
	logf := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		logs = append(logs, fmt.Sprintf(format, args...))
	}
	if l, err := lab.Start(lab.Config{Ports: lab.Ports{SMTPS: port}, Logf: logf}); err == nil {
		l.Close()
		t.Fatal("Start succeeded on a busy port")
	} else if !strings.Contains(err.Error(), "smtps") {
		t.Errorf("error %q does not name the endpoint", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(logs) != 2 {
		t.Fatalf("logs = %q, want mx and submission listening", logs)
	}
	for _, line := range logs {
		a := line[strings.LastIndexByte(line, ' ')+1:]
		if conn, err := net.Dial("tcp", a); err == nil {
			conn.Close()
			t.Errorf("%s still accepts after the failed Start", a)
		}
	}
	noServerGoroutines(t)
}

func TestClose(t *testing.T) {
	l, err := lab.Start(lab.Config{})
	if err != nil {
		t.Fatal(err)
	}
	idle := dial(t, addr(t, l, "submission"))
	idle.reply()
	idle.cmd("EHLO client.test")
	tlsIdle := dialTLS(t, addr(t, l, "smtps"), &tls.Config{RootCAs: l.CertPool(), ServerName: "localhost"})
	tlsIdle.reply()
	data := dial(t, addr(t, l, "legacy")) // in the middle of DATA
	data.reply()
	data.cmd("EHLO client.test")
	data.expect("AUTH PLAIN "+plainGood, "235 ")
	data.expect("MAIL FROM:<alice@lab.test>", "250 ")
	data.expect("RCPT TO:<carol@example.org>", "250 ")
	data.expect("DATA", "354 ")

	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	for _, c := range []*client{idle, tlsIdle, data} {
		if _, err := io.ReadAll(c.r); err != nil && !isReset(err) {
			t.Errorf("connection after Close: %v", err)
		}
	}
	if _, err := net.Dial("tcp", l.Endpoints()[0].Addr); err == nil {
		t.Error("mx still accepts after Close")
	}
	if n := len(l.Messages()); n != 0 {
		t.Errorf("%d messages from a cut DATA", n)
	}
	noServerGoroutines(t)
}

func isReset(err error) bool {
	return strings.Contains(err.Error(), "connection reset")
}

// noServerGoroutines fails if a go-smtp, lab, DNS or HTTPS server
// goroutine outlives Close. A goroutine that has signalled its WaitGroup
// may still be returning, so this polls briefly rather than synchronising.
func noServerGoroutines(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		buf := make([]byte, 1<<20)
		stacks := string(buf[:runtime.Stack(buf, true)])
		if !strings.Contains(stacks, "emersion/go-smtp") && !strings.Contains(stacks, "ehlo/lab.") &&
			!strings.Contains(stacks, "miekg/dns.(*Server)") && !strings.Contains(stacks, "net/http.(*conn).serve") &&
			!strings.Contains(stacks, "net/http.(*Server).Serve") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("server goroutines left after Close:\n%s", stacks)
		}
		runtime.Gosched()
	}
}

func TestMessageSubject(t *testing.T) {
	tests := []struct{ data, want string }{
		{"Subject: plain\r\n\r\nbody", "plain"},
		{"subject: lower case key\r\n\r\n", "lower case key"},
		{"Subject: =?UTF-8?Q?caf=C3=A9?=\r\n\r\n", "café"},
		{"From: a@b\r\n\r\nSubject: in the body", ""},
		{"", ""},
		{"not a header", ""},
	}
	for _, tt := range tests {
		if got := (lab.Message{Data: []byte(tt.data)}).Subject(); got != tt.want {
			t.Errorf("Subject() of %q = %q, want %q", tt.data, got, tt.want)
		}
	}
}

func TestMessagesIsACopy(t *testing.T) {
	l := start(t, lab.Config{})
	c := dial(t, addr(t, l, "mx"))
	c.reply()
	c.cmd("EHLO client.test")
	c.send("a@example.org", []string{"bob@lab.test"}, "Subject: x\n\n")
	m := l.Messages()[0]
	m.To[0], m.Data[0] = "mallory@lab.test", 'X'
	if again := l.Messages()[0]; again.To[0] != "bob@lab.test" || again.Data[0] != 'S' {
		t.Errorf("mailbox changed through Messages(): %q %q", again.To, again.Data)
	}
}

func TestDefaultPorts(t *testing.T) {
	want := map[string]int{"mx": 1025, "submission": 1587, "smtps": 1465, "legacy": 1026, "postfix": 1588, "exim": 1027, "greylist": 1028, "nopipe": 1029,
		"dns": 1053, "mta-sts": 1443}
	p := lab.DefaultPorts
	got := map[string]int{"mx": p.MX, "submission": p.Submission, "smtps": p.SMTPS, "legacy": p.Legacy,
		"postfix": p.Postfix, "exim": p.Exim, "greylist": p.Greylist, "nopipe": p.NoPipe, "dns": p.DNS, "mta-sts": p.MTASTS}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("DefaultPorts %s = %d, want %d", k, got[k], v)
		}
	}
}

// TestHelloNamesTheServer: the reply to EHLO and HELO starts with the
// endpoint's own name (RFC 5321 section 4.1.1.1), not go-smtp's "Hello",
// which a client would take for the server's name; HELO's has no enhanced
// code, as its grammar has none.
func TestHelloNamesTheServer(t *testing.T) {
	l := start(t, lab.Config{})
	c := dial(t, addr(t, l, "mx"))
	c.reply()
	if got := c.cmd("EHLO client.test"); !strings.HasPrefix(got, "250-mx.lab.test Hello client.test\n") {
		t.Errorf("EHLO: %q, want the first line 250-mx.lab.test Hello client.test", got)
	}
	equalReply(t, "HELO", c.cmd("HELO client.test"), "250 mx.lab.test Hello client.test")
	equalReply(t, "NOOP", c.cmd("NOOP"), "250 2.0.0 I have successfully done nothing")
}
