package wire

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestStartTLSSession(t *testing.T) {
	pki := testPKI()
	s := startServer(t, func(p *peer) {
		p.send("220 mx.test ESMTP\r\n")
		p.line()
		p.send("250-mx.test\r\n250 STARTTLS\r\n")
		p.line()
		p.send("220 2.0.0 go ahead\r\n")
		if p.startTLS(pki.good) != nil {
			return
		}
		p.line()
		p.send("250-mx.test\r\n250 AUTH PLAIN\r\n")
		p.line()
		p.send("235 2.7.0 ok\r\n")
		p.line()
		p.send("221 2.0.0 bye\r\n")
	})
	c, err := Dial(ctx, s.addr, Options{ServerName: "localhost", RootCAs: pki.roots, Timeout: testTimeout})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	step := func(line string) Reply {
		t.Helper()
		r, err := c.Exchange(ctx, line)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		return r
	}
	if _, err := c.ReadReply(ctx); err != nil {
		t.Fatal(err)
	}
	step("EHLO client.test")
	step("STARTTLS")
	info, err := c.StartTLS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if r := step("EHLO client.test"); !slices.Equal(r.Lines, []string{"250-mx.test", "250 AUTH PLAIN"}) {
		t.Errorf("EHLO in TLS = %q", r.Lines)
	}
	if err := c.WriteSecretLine(ctx, "AUTH PLAIN AGFsaWNlAHNlY3JldA==", "AUTH PLAIN <redacted>"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReadReply(ctx); err != nil {
		t.Fatal(err)
	}
	step("QUIT")
	c.Close()

	const wantSent = "EHLO client.test\r\nSTARTTLS\r\nEHLO client.test\r\nAUTH PLAIN AGFsaWNlAHNlY3JldA==\r\nQUIT\r\n"
	if got := s.wait(); got != wantSent {
		t.Errorf("server received %q\nwant %q", got, wantSent)
	}
	const want = `S    "220 mx.test ESMTP\r\n"
C    "EHLO client.test\r\n"
S    "250-mx.test\r\n"
S    "250 STARTTLS\r\n"
C    "STARTTLS\r\n"
S    "220 2.0.0 go ahead\r\n"
CT   "EHLO client.test\r\n"
ST   "250-mx.test\r\n"
ST   "250 AUTH PLAIN\r\n"
CT ! "AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n" shown "AUTH PLAIN <redacted>"
ST   "235 2.7.0 ok\r\n"
CT   "QUIT\r\n"
ST   "221 2.0.0 bye\r\n"
`
	entries := c.Transcript().Entries()
	if got := render(entries); got != want {
		t.Errorf("transcript:\n%s\nwant:\n%s", got, want)
	}
	n := notes(entries)
	if len(n) != 3 || n[0] != "connected to "+c.Addr() ||
		!strings.HasPrefix(n[1], `TLS 1.3 handshake with "localhost" in `) || !strings.HasSuffix(n[1], "; certificate verified") ||
		n[2] != "TLS: key exchange X25519MLKEM768; server signature ecdsa_secp256r1_sha256" {
		t.Errorf("notes = %q", n)
	}
	checkInfo(t, info, pki.good, "localhost")
	if got, ok := c.TLS(); !ok || got.Handshake != info.Handshake || len(got.Chain) != 2 || got.Chain[0].SHA256 != info.Chain[0].SHA256 {
		t.Errorf("TLS() = %+v, %v", got, ok)
	}
}

func checkInfo(t *testing.T, info TLSInfo, cert tls.Certificate, name string) {
	t.Helper()
	sum := sha256.Sum256(cert.Certificate[0])
	switch {
	case info.Version != "TLS 1.3" || info.Cipher == "" || info.ServerName != name:
		t.Errorf("info = %+v", info)
	case !info.Verified || info.VerifyError != nil || info.Insecure || info.Handshake <= 0:
		t.Errorf("info = %+v, want verified", info)
	case len(info.Chain) != 2:
		t.Fatalf("chain has %d certificates, want 2", len(info.Chain))
	}
	leaf, ca := info.Chain[0], info.Chain[1]
	if leaf.SHA256 != hex.EncodeToString(sum[:]) || leaf.SelfSigned || !ca.SelfSigned ||
		!slices.Equal(leaf.DNSNames, []string{"localhost"}) || !slices.Equal(leaf.IPs, []string{"127.0.0.1", "::1"}) ||
		leaf.Subject != "CN=localhost" || leaf.Issuer != "CN=ehlo test CA" || !leaf.NotAfter.After(time.Now()) {
		t.Errorf("chain = %+v", info.Chain)
	}
}

func TestStartTLSInjection(t *testing.T) {
	cli, srv := net.Pipe()
	after := make(chan int64, 1)
	go func() {
		br := bufio.NewReader(srv)
		br.ReadString('\n')
		srv.Write([]byte("220 go ahead\r\n250-injected\r\n250 PIPELINING\r\n")) // one write
		n, _ := io.Copy(io.Discard, br)
		after <- n
	}()
	c := NewConn(cli, Options{ServerName: "localhost", RootCAs: testPKI().roots, Timeout: testTimeout})
	if r, err := c.Exchange(ctx, "STARTTLS"); err != nil || r.Lines[0] != "220 go ahead" {
		t.Fatalf("STARTTLS = %q, %v", r.Lines, err)
	}
	_, err := c.StartTLS(ctx)
	var ie *InjectionError
	if !errors.As(err, &ie) || string(ie.Bytes) != "250-injected\r\n250 PIPELINING\r\n" {
		t.Fatalf("err = %v, want an InjectionError with the injected bytes", err)
	}
	if err.Error() != "wire: possible response injection: 30 bytes after STARTTLS 220 before the TLS handshake" {
		t.Errorf("Error() = %q", err)
	}
	if _, ok := c.TLS(); ok {
		t.Error("TLS() = true after an injection")
	}
	c.Close()
	if n := <-after; n != 0 {
		t.Errorf("the client sent %d bytes after the injection, want no handshake", n)
	}
	const want = `C    "STARTTLS\r\n"
S    "220 go ahead\r\n"
S    "250-injected\r\n"
S    "250 PIPELINING\r\n"
`
	if got := render(c.Transcript().Entries()); got != want {
		t.Errorf("transcript:\n%s\nwant:\n%s", got, want)
	}
}

func TestStartTLSSilence(t *testing.T) {
	s := startServer(t, func(p *peer) {
		p.send("220 go ahead\r\n")
		p.drain()
	})
	c := dialTest(t, s, Options{Timeout: 200 * time.Millisecond, ServerName: "localhost"})
	if _, err := c.ReadReply(ctx); err != nil {
		t.Fatal(err)
	}
	_, err := c.StartTLS(ctx)
	var te *TimeoutError
	if !errors.As(err, &te) || te.Op != "starttls" || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("err = %v, want a TimeoutError of starttls", err)
	}
	if _, ok := c.TLS(); ok {
		t.Error("TLS() = true after a failed handshake")
	}
}

func TestStartTLSPlaintextAnswer(t *testing.T) {
	s := startServer(t, func(p *peer) {
		p.send("220 go ahead\r\n")
		p.br.ReadByte() // the ClientHello has arrived
		p.send("500 5.5.1 unrecognized command\r\n")
		p.drain()
	})
	c := dialTest(t, s, Options{ServerName: "localhost"})
	if _, err := c.ReadReply(ctx); err != nil {
		t.Fatal(err)
	}
	_, err := c.StartTLS(ctx)
	var pe *PlaintextError
	if !errors.As(err, &pe) || string(pe.Bytes) != "500 5.5.1 unrecognized command\r\n" {
		t.Fatalf("err = %v, want a PlaintextError with the server's line", err)
	}
	// the note holds the bytes as they came, to be escaped once where it is
	// shown ("500 ...\r\n"), not escaped already (which showed as \\r\\n)
	if n := notes(c.Transcript().Entries()); len(n) != 1 || !strings.HasSuffix(n[0], `plaintext where TLS was expected: "500 5.5.1 unrecognized command`+"\r\n"+`"`) {
		t.Errorf("notes = %q", n)
	}
}

func TestImplicitTLSAgainstPlaintext(t *testing.T) {
	s := startServer(t, func(p *peer) {
		p.send("220 plain ESMTP\r\n")
		p.drain()
	})
	tr := NewTranscript()
	c, err := Dial(ctx, s.addr, Options{Mode: ModeImplicitTLS, Transcript: tr, Timeout: testTimeout})
	var pe *PlaintextError
	if c != nil || !errors.As(err, &pe) || !bytes.HasPrefix(pe.Bytes, []byte("220 plain")) {
		t.Fatalf("Dial = %v, %v; want a PlaintextError", c, err)
	}
	n := notes(tr.Entries())
	if len(n) != 2 || !strings.HasPrefix(n[0], "connected to 127.0.0.1:") || !strings.HasPrefix(n[1], "TLS handshake failed") {
		t.Errorf("notes = %q", n)
	}
}

func TestImplicitTLSVerifiesIP(t *testing.T) {
	pki := testPKI()
	s := startServer(t, func(p *peer) {
		if p.startTLS(pki.good) == nil {
			p.send("220 hi\r\n")
			p.drain()
		}
	})
	c, err := Dial(ctx, s.addr, Options{Mode: ModeImplicitTLS, RootCAs: pki.roots, Timeout: testTimeout})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	info, ok := c.TLS()
	if !ok || c.ServerName() != "127.0.0.1" {
		t.Fatalf("TLS() = %v, ServerName() = %q", ok, c.ServerName())
	}
	checkInfo(t, info, pki.good, "127.0.0.1")
	if r, err := c.ReadReply(ctx); err != nil || r.Lines[0] != "220 hi" {
		t.Errorf("greeting = %q, %v", r.Lines, err)
	}
	if _, err := c.StartTLS(ctx); err == nil {
		t.Error("StartTLS on a TLS connection succeeded")
	}
	if got := render(c.Transcript().Entries()); got != "ST   \"220 hi\\r\\n\"\n" {
		t.Errorf("transcript:\n%s", got)
	}
}

func TestVerifyFailures(t *testing.T) {
	pki := testPKI()
	tests := []struct {
		name    string
		cert    tls.Certificate
		roots   *x509.CertPool
		is      func(error) bool
		verdict Verdict // on the handshake's note
		words   string  // what the note says, in words
	}{
		{"unknown authority", pki.good, x509.NewCertPool(), func(err error) bool {
			var e x509.UnknownAuthorityError
			return errors.As(err, &e)
		}, CertUnknownAuthority, "signed by an unknown authority"},
		{"wrong name", pki.wrongName, pki.roots, func(err error) bool {
			var e x509.HostnameError
			return errors.As(err, &e) && e.Host == "localhost"
		}, CertWrongName, "name mismatch: the certificate covers "},
		{"expired", pki.expired, pki.roots, func(err error) bool {
			var e x509.CertificateInvalidError
			return errors.As(err, &e) && e.Reason == x509.Expired
		}, CertExpired, "expired or not yet valid: valid "},
	}
	for _, tt := range tests {
		for _, insecure := range []bool{false, true} {
			name := tt.name
			if insecure {
				name += "/insecure"
			}
			t.Run(name, func(t *testing.T) {
				s := startServer(t, func(p *peer) {
					if p.startTLS(tt.cert) == nil {
						p.send("220 hi\r\n")
						p.drain()
					}
				})
				tr := NewTranscript()
				opts := Options{Mode: ModeImplicitTLS, ServerName: "localhost", RootCAs: tt.roots, Insecure: insecure, Timeout: testTimeout, Transcript: tr}
				c, err := Dial(ctx, s.addr, opts)
				checkVerdict(t, tr, tt.verdict, insecure)
				if n := notes(tr.Entries()); len(n) < 2 || !strings.Contains(n[1], tt.words) || strings.Contains(n[1], "x509:") {
					t.Errorf("the handshake's note is not in words (want %q): %q", tt.words, n)
				}
				if !insecure {
					checkVerifyError(t, err, tt.is)
					return
				}
				if err != nil {
					t.Fatalf("insecure Dial: %v", err)
				}
				defer c.Close()
				info, ok := c.TLS()
				if !ok || info.Verified || !info.Insecure || !tt.is(info.VerifyError) || len(info.Chain) != 2 {
					t.Errorf("TLS() = %+v, %v", info, ok)
				}
				if r, err := c.ReadReply(ctx); err != nil || r.Lines[0] != "220 hi" {
					t.Errorf("greeting = %q, %v", r.Lines, err)
				}
				if n := notes(c.Transcript().Entries()); len(n) != 3 || !strings.Contains(n[1], "NOT verified") || !strings.HasPrefix(n[2], "TLS: key exchange") {
					t.Errorf("notes = %q", n)
				}
			})
		}
	}
}

// checkVerdict finds the one entry of tr that carries a verdict: the
// handshake's note, inside TLS when the handshake completed.
func checkVerdict(t *testing.T, tr *Transcript, want Verdict, completed bool) {
	t.Helper()
	var got []Entry
	for _, e := range tr.Entries() {
		if e.Verdict != NoVerdict {
			got = append(got, e)
		}
	}
	if len(got) != 1 || got[0].Dir != Note || got[0].Verdict != want || got[0].TLS != completed {
		t.Fatalf("entries with a verdict = %+v, want one note, %v, TLS %v", got, want, completed)
	}
	if !strings.Contains(string(got[0].Data), "handshake") {
		t.Errorf("the verdict is on %q, not the handshake's note", got[0].Data)
	}
}

func TestVerdictVerified(t *testing.T) {
	pki := testPKI()
	s := startServer(t, func(p *peer) {
		if p.startTLS(pki.good) == nil {
			p.send("220 hi\r\n")
			p.drain()
		}
	})
	tr := NewTranscript()
	c, err := Dial(ctx, s.addr, Options{Mode: ModeImplicitTLS, ServerName: "localhost", RootCAs: pki.roots, Timeout: testTimeout, Transcript: tr})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	checkVerdict(t, tr, CertVerified, true)
	if CertVerified.String() != "verified" || CertUnknownAuthority.String() != "unknown-authority" || NoVerdict.String() != "" {
		t.Errorf("names: %q %q %q", CertVerified, CertUnknownAuthority, NoVerdict)
	}
}

func checkVerifyError(t *testing.T, err error, is func(error) bool) {
	t.Helper()
	var ve *VerifyError
	if !errors.As(err, &ve) || !is(err) {
		t.Fatalf("err = %v (%T), want a VerifyError of the right kind", err, err)
	}
	if ve.Info.Verified || ve.Info.ServerName != "localhost" || len(ve.Info.Chain) != 2 || ve.Info.Chain[0].SHA256 == "" || ve.Info.Version == "" {
		t.Errorf("Info = %+v", ve.Info)
	}
}

// TestClientHelloAsksForNoTickets guards the 43 ms trap (PERF-NOTES.md): a
// client that offers no session_ticket (35) and no psk_key_exchange_modes
// (45) gets no TLS 1.3 tickets written ahead of the server's first reply.
func TestClientHelloAsksForNoTickets(t *testing.T) {
	pki := testPKI()
	hello := make(chan *tls.ClientHelloInfo, 1)
	s := startServer(t, func(p *peer) {
		tc := tls.Server(p.Conn, &tls.Config{
			Certificates: []tls.Certificate{pki.good},
			GetConfigForClient: func(hi *tls.ClientHelloInfo) (*tls.Config, error) {
				hello <- hi
				return nil, nil
			},
		})
		tc.Handshake()
		io.Copy(io.Discard, tc)
	})
	c, err := Dial(ctx, s.addr, Options{Mode: ModeImplicitTLS, ServerName: "localhost", RootCAs: pki.roots, Timeout: testTimeout})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	hi := <-hello
	if cfg := c.tlsConfig(new(error)); !cfg.SessionTicketsDisabled || cfg.ClientSessionCache != nil {
		t.Error("the client tls.Config allows session tickets")
	}
	if slices.Contains(hi.Extensions, 35) || slices.Contains(hi.Extensions, 45) {
		t.Errorf("ClientHello extensions %v offer session resumption", hi.Extensions)
	}
	if slices.ContainsFunc(hi.SupportedVersions, func(v uint16) bool { return v < tls.VersionTLS12 }) {
		t.Errorf("ClientHello offers versions %x below TLS 1.2", hi.SupportedVersions)
	}
}
