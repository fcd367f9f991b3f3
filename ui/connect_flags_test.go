package ui

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ehlo-sh/ehlo/client"
)

// TestParseConnectFlags: :connect takes the command line's TLS and
// transport flags by the same names, a value after a space or an "=",
// each put where the command line's goes; what is wrong is said.
func TestParseConnectFlags(t *testing.T) {
	base := client.Options{}
	base.TLS.Wire.MaxVersion = 0x0304
	r, err := parseConnect("mx.example.org:25 --tls-min 1.0 --tls-max=1.2 --ciphers TLS_RSA_WITH_AES_128_CBC_SHA "+
		"--curves X25519,P-256 --alpn smtp,x --proxy socks5://u:p@127.0.0.1:1080 --proxy-protocol v2 --proxy-source 203.0.113.7:40000 "+
		"-4 --local-address 127.0.0.2 --protocol LMTP --servername mail.example.org --insecure --tls", base)
	if err != nil {
		t.Fatal(err)
	}
	o := r.opts
	w := o.TLS.Wire
	switch {
	case r.target != "mx.example.org:25":
		t.Errorf("target %q", r.target)
	case o.MinTLS != 0x0301 || w.MaxVersion != 0x0303:
		t.Errorf("versions %x..%x, want 1.0..1.2", o.MinTLS, w.MaxVersion)
	case len(w.CipherSuites) != 1 || len(w.Curves) != 2 || !slices.Equal(w.ALPN, []string{"smtp", "x"}):
		t.Errorf("suites %v curves %v alpn %q", w.CipherSuites, w.Curves, w.ALPN)
	case o.Transport.Proxy == nil || o.Transport.Header == nil || o.Transport.Family != "4" || o.Transport.LocalAddr != "127.0.0.2":
		t.Errorf("transport %+v", o.Transport)
	case !o.LMTP || o.ServerName != "mail.example.org" || !o.Insecure || !o.ImplicitTLS || o.Plain:
		t.Errorf("lmtp %v name %q insecure %v implicit %v plain %v", o.LMTP, o.ServerName, o.Insecure, o.ImplicitTLS, o.Plain)
	}
	if base.LMTP || base.Transport.Proxy != nil || base.MinTLS != 0 {
		t.Errorf("the command line's options changed: %+v", base)
	}
	r, err = parseConnect("[::1]:25 -6 --tls=false --cert c.pem --key=k.pem --ca ca.pem --protocol smtp", base)
	if err != nil || r.opts.Transport.Family != "6" || !r.opts.Plain || r.cert != "c.pem" || r.key != "k.pem" || r.ca != "ca.pem" || r.opts.LMTP {
		t.Errorf("%+v, %v", r, err)
	}
	for _, tt := range []struct{ line, want string }{
		{"", "usage: :connect HOST[:PORT]"},
		{"--tls", "usage: :connect HOST[:PORT]"},
		{"mx --frob", "--frob: not a :connect flag"},
		{"mx --tls-max 1.4", `--tls-max "1.4": want 1.0, 1.1, 1.2 or 1.3`},
		{"mx --tls-min 1.3 --tls-max 1.2", "--tls-max 1.2 is below --tls-min 1.3"},
		{"mx --ciphers TLS_AES_128_GCM_SHA256", "TLS 1.3"},
		{"mx --curves P-999", "P-999"},
		{"mx --proxy http://x:1", "socks5"},
		{"mx --proxy-protocol v1", "--proxy-protocol needs --proxy-source"},
		{"mx --proxy-source 1.2.3.4:5", "--proxy-source needs --proxy-protocol"},
		{"mx -4 -6", "-4 and -6: give one of them"},
		{"mx --protocol ftp", `--protocol "ftp": want smtp or lmtp`},
		{"mx --key k.pem", "--key needs --cert"},
		{"mx --ca", "--ca needs a value"},
		{"mx --tls=maybe", "--tls=maybe"},
	} {
		_, err := parseConnect(tt.line, base)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: %v, want %q", tt.line, err, tt.want)
		}
	}
}

// TestConnectClientCert: :connect --cert --key reads the pair in a
// command and the next connection sends it; a key that is not the
// certificate's is said in words, and nothing is dialled.
func TestConnectClientCert(t *testing.T) {
	dir := t.TempDir()
	cert, key := writeClientPair(t, dir, "a")
	_, otherKey := writeClientPair(t, dir, "b")
	s := newSim(t, "dark", 120, 40)
	gmailPlain(s)
	connectWith(t, s, ":connect mx.other.example:25 --cert "+cert+" --key "+otherKey)
	if s.m.conn.phase != phaseOpen || s.m.conn.target != "smtp.gmail.example:587" {
		t.Fatalf("a key of another certificate: phase %v target %q, want the session left as it was", s.m.conn.phase, s.m.conn.target)
	}
	if s.m.flash.kind != flashError || !strings.Contains(s.m.flash.text, "key") {
		t.Errorf("flash %q", s.m.flash.text)
	}
	connectWith(t, s, ":connect mx.other.example:25 --cert "+cert+" --key "+key+" --alpn smtp --protocol lmtp")
	if s.m.conn.phase != phaseDialing || s.m.conn.target != "mx.other.example:25" || s.m.opts.TLS.Wire.Certificate == nil ||
		!s.m.opts.LMTP || !slices.Equal(s.m.opts.TLS.Wire.ALPN, []string{"smtp"}) {
		t.Fatalf("phase %v target %q certificate %v lmtp %v alpn %q", s.m.conn.phase, s.m.conn.target,
			s.m.opts.TLS.Wire.Certificate != nil, s.m.opts.LMTP, s.m.opts.TLS.Wire.ALPN)
	}
	s.enter(":connect mx.third.example:25")
	if s.m.opts.TLS.Wire.Certificate != nil || s.m.opts.LMTP {
		t.Errorf("a :connect without --cert or --protocol keeps the last one's: certificate %v lmtp %v",
			s.m.opts.TLS.Wire.Certificate != nil, s.m.opts.LMTP)
	}
}

// writeClientPair writes a self-signed client certificate and its key.
func writeClientPair(t *testing.T, dir, name string) (cert, key string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "client " + name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(k)
	cert, key = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+".key")
	if err := os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return cert, key
}
