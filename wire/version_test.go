package wire

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"
)

// oldTLSServer is an implicit-TLS server that speaks TLS 1.0 at most, as
// old servers do; it greets inside TLS when the handshake works.
func oldTLSServer(t *testing.T, max uint16) *server {
	pki := testPKI()
	return startServer(t, func(p *peer) {
		tc := tls.Server(p.Conn, &tls.Config{Certificates: []tls.Certificate{pki.good},
			MinVersion: tls.VersionTLS10, MaxVersion: max})
		if tc.Handshake() != nil {
			return
		}
		p.Conn = tc
		p.send("220 old ESMTP\r\n")
		p.drain()
	})
}

func TestOldTLSRefusedByDefault(t *testing.T) {
	s := oldTLSServer(t, tls.VersionTLS10)
	tr := NewTranscript()
	_, err := Dial(ctx, s.addr, Options{Mode: ModeImplicitTLS, RootCAs: testPKI().roots, Transcript: tr, Timeout: testTimeout})
	var ve *VersionError
	if !errors.As(err, &ve) {
		t.Fatalf("Dial = %v, want a VersionError", err)
	}
	if want := []string{"TLS 1.3", "TLS 1.2"}; !reflect.DeepEqual(ve.Offered, want) || ve.Chosen != "" {
		t.Errorf("offered %q, chosen %q; want %q and the alert", ve.Offered, ve.Chosen, want)
	}
	if n := notes(tr.Entries()); len(n) != 2 || !strings.Contains(n[1], "supports none of the TLS versions offered (TLS 1.3, TLS 1.2)") {
		t.Errorf("notes = %q", n)
	}
}

func TestOldTLSAllowedAndWeak(t *testing.T) {
	for _, tt := range []struct {
		max  uint16
		min  uint16
		want string
	}{
		{tls.VersionTLS10, tls.VersionTLS10, "TLS 1.0"},
		{tls.VersionTLS11, tls.VersionTLS10, "TLS 1.1"},
		{tls.VersionTLS11, tls.VersionTLS11, "TLS 1.1"},
	} {
		t.Run(tt.want, func(t *testing.T) {
			s := oldTLSServer(t, tt.max)
			c, err := Dial(ctx, s.addr, Options{Mode: ModeImplicitTLS, RootCAs: testPKI().roots, MinVersion: tt.min, Timeout: testTimeout})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			info, _ := c.TLS()
			if info.Version != tt.want || !info.Weak || !info.Verified {
				t.Errorf("info = %+v, want %s, weak, verified", info, tt.want)
			}
			if r, err := c.ReadReply(ctx); err != nil || r.Lines[0] != "220 old ESMTP" {
				t.Errorf("greeting = %q, %v", r.Lines, err)
			}
			if n := notes(c.Transcript().Entries()); !strings.Contains(strings.Join(n, "\n"), tt.want+" (weak: below TLS 1.2") {
				t.Errorf("notes = %q", n)
			}
		})
	}
}

func TestOldTLSMinAboveServer(t *testing.T) {
	s := oldTLSServer(t, tls.VersionTLS10)
	_, err := Dial(ctx, s.addr, Options{Mode: ModeImplicitTLS, MinVersion: tls.VersionTLS11, Timeout: testTimeout})
	var ve *VersionError
	if !errors.As(err, &ve) || !reflect.DeepEqual(ve.Offered, []string{"TLS 1.3", "TLS 1.2", "TLS 1.1"}) {
		t.Fatalf("Dial = %v, want a VersionError offering 1.3 to 1.1", err)
	}
}

// TestServerHelloBelowOurs: a server that answers with a ServerHello for
// TLS 1.0 instead of an alert, as some old ones do.
func TestServerHelloBelowOurs(t *testing.T) {
	s := startServer(t, func(p *peer) {
		p.br.ReadByte() // the ClientHello has arrived
		hello := append([]byte{handshakeServerHi, 0, 0, 38, 3, 1}, make([]byte, 32)...)
		hello = append(hello, 0, 0xc0, 0x13, 0) // no session id; ECDHE_RSA_WITH_AES_128_CBC_SHA; no compression
		_, _ = p.Write(append([]byte{recordHandshake, 3, 1, 0, byte(len(hello))}, hello...))
		p.drain()
	})
	_, err := Dial(ctx, s.addr, Options{Mode: ModeImplicitTLS, Timeout: testTimeout})
	var ve *VersionError
	if !errors.As(err, &ve) || ve.Chosen != "TLS 1.0" {
		t.Fatalf("Dial = %v, want a VersionError naming TLS 1.0", err)
	}
}

func TestRefusedVersion(t *testing.T) {
	alert := []byte{recordAlert, 3, 3, 0, 2, 2, alertProtocolVer}
	hello := func(major, minor byte) []byte {
		return []byte{recordHandshake, 3, 1, 0, 6, handshakeServerHi, 0, 0, 2, major, minor}
	}
	for _, tt := range []struct {
		name   string
		got    []byte
		min    uint16
		chosen uint16
		ok     bool
	}{
		{"alert protocol_version", alert, tls.VersionTLS12, 0, true},
		{"other alert", []byte{recordAlert, 3, 3, 0, 2, 2, 40}, tls.VersionTLS12, 0, false},
		{"hello 1.0", hello(3, 1), tls.VersionTLS12, tls.VersionTLS10, true},
		{"hello 1.2 is ours", hello(3, 3), tls.VersionTLS12, tls.VersionTLS12, false},
		{"hello 1.2 proves nothing against min 1.3", hello(3, 3), tls.VersionTLS13, tls.VersionTLS12, false},
		{"short", alert[:6], tls.VersionTLS12, 0, false},
		{"plaintext", []byte("220 mx ESMTP\r\n"), tls.VersionTLS12, 0, false},
	} {
		chosen, ok := refusedVersion(tt.got, tt.min)
		if chosen != tt.chosen || ok != tt.ok {
			t.Errorf("%s: refusedVersion = %x, %v; want %x, %v", tt.name, chosen, ok, tt.chosen, tt.ok)
		}
	}
}

// TestOldTLSRSAKeyExchange: a server that old may know only RSA key
// exchange, which crypto/tls leaves out by default; allowing TLS 1.0
// offers it too.
func TestOldTLSRSAKeyExchange(t *testing.T) {
	key := must(rsa.GenerateKey(rand.Reader, 1024))
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(9), Subject: pkix.Name{CommonName: "old"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der := must(x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key))
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	s := startServer(t, func(p *peer) {
		tc := tls.Server(p.Conn, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS10,
			MaxVersion: tls.VersionTLS10, CipherSuites: []uint16{tls.TLS_RSA_WITH_AES_128_CBC_SHA}})
		if tc.Handshake() == nil {
			p.Conn = tc
			p.send("220 old ESMTP\r\n")
			p.drain()
		}
	})
	c, err := Dial(ctx, s.addr, Options{Mode: ModeImplicitTLS, MinVersion: tls.VersionTLS10, Insecure: true, Timeout: testTimeout})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if info, _ := c.TLS(); info.Cipher != "TLS_RSA_WITH_AES_128_CBC_SHA" || !info.Weak {
		t.Errorf("info = %+v", info)
	}
}
