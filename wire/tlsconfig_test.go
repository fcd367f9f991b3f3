package wire

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// tlsServer is an implicit-TLS loopback server that greets every
// connection over TLS with cfg and keeps each session's state, as the
// server saw it.
type tlsServer struct {
	addr   string
	mu     sync.Mutex
	states []tls.ConnectionState
}

func startTLSServer(t *testing.T, cfg *tls.Config) *tlsServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &tlsServer{addr: ln.Addr().String()}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { s.serve(nc, cfg) })
		}
	})
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return s
}

func (s *tlsServer) serve(nc net.Conn, cfg *tls.Config) {
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(testTimeout))
	tc := tls.Server(nc, cfg)
	if tc.Handshake() != nil {
		return
	}
	s.mu.Lock()
	s.states = append(s.states, tc.ConnectionState())
	s.mu.Unlock()
	_, _ = tc.Write([]byte("220 tls.test ESMTP\r\n"))
	_, _ = bufio.NewReader(tc).ReadString('\n') // until the client's QUIT or close
}

func (s *tlsServer) state(i int) tls.ConnectionState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.states[i]
}

// dialTLS connects to s with implicit TLS and the options, reads the
// greeting (which also takes in a TLS 1.3 session ticket), and returns the
// session's facts and notes.
func dialTLS(t *testing.T, s *tlsServer, o TLSOptions) (TLSInfo, []string) {
	t.Helper()
	pki := testPKI()
	c, err := Dial(ctx, s.addr, Options{Mode: ModeImplicitTLS, ServerName: "localhost", RootCAs: pki.roots, Timeout: testTimeout, TLS: o})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.ReadReply(ctx); err != nil {
		t.Fatal(err)
	}
	_ = c.WriteLine(ctx, "QUIT")
	info, _ := c.TLS()
	return info, notes(c.Transcript().Entries())
}

// clientCert is a client certificate for CN=client.test issued by the
// test CA, and a pool holding that CA.
func clientCert(t *testing.T) tls.Certificate {
	t.Helper()
	pki := testPKI()
	key := must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(99), Subject: pkix.Name{CommonName: "client.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der := must(x509.CreateCertificate(rand.Reader, tmpl, pki.ca, &key.PublicKey, pki.caKey))
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func TestTLSClientCertificateRequest(t *testing.T) {
	pki := testPKI()
	s := startTLSServer(t, &tls.Config{Certificates: []tls.Certificate{pki.good}, ClientAuth: tls.RequestClientCert, ClientCAs: pki.roots})
	info, notes := dialTLS(t, s, TLSOptions{})
	if !info.ClientAuth.Asked || !slices.Equal(info.ClientAuth.CAs, []string{"CN=ehlo test CA"}) || info.ClientAuth.Sent != "" {
		t.Errorf("no certificate given: ClientAuth = %+v, want asked, naming CN=ehlo test CA, none sent", info.ClientAuth)
	}
	if !slices.ContainsFunc(notes, func(n string) bool {
		return strings.Contains(n, "asked for a client certificate (naming CN=ehlo test CA): none sent")
	}) {
		t.Errorf("no note of the request: %q", notes)
	}
	cert := clientCert(t)
	info, _ = dialTLS(t, s, TLSOptions{Certificate: &cert})
	if info.ClientAuth.Sent != "CN=client.test" {
		t.Errorf("with --cert: Sent = %q, want CN=client.test", info.ClientAuth.Sent)
	}
	if got := s.state(1).PeerCertificates; len(got) != 1 || got[0].Subject.CommonName != "client.test" {
		t.Errorf("the server did not receive the client certificate: %v", got)
	}
	plain := startTLSServer(t, &tls.Config{Certificates: []tls.Certificate{pki.good}})
	if info, _ := dialTLS(t, plain, TLSOptions{Certificate: &cert}); info.ClientAuth.Asked || info.ClientAuth.Sent != "" {
		t.Errorf("a server that asks nothing: ClientAuth = %+v, want nothing asked or sent", info.ClientAuth)
	}
}

func TestTLSKeyExchangeAndSignature(t *testing.T) {
	pki := testPKI()
	for _, tc := range []struct {
		name       string
		serverMax  uint16
		client     TLSOptions
		version    string
		group, key string
		signature  string
	}{
		{"TLS 1.3 default", 0, TLSOptions{}, "TLS 1.3", "X25519MLKEM768", "X25519MLKEM768 (hybrid: X25519 with ML-KEM-768, post-quantum)", "ecdsa_secp256r1_sha256"},
		{"TLS 1.3 --curves P-384", 0, TLSOptions{Curves: []tls.CurveID{tls.CurveP384}}, "TLS 1.3", "P-384", "ECDH P-384, 384 bits", "ecdsa_secp256r1_sha256"},
		{"TLS 1.2 server", tls.VersionTLS12, TLSOptions{}, "TLS 1.2", "X25519", "X25519, 253 bits", "ecdsa_secp256r1_sha256"},
		{"--tls-max 1.2 --curves P-256", 0, TLSOptions{MaxVersion: tls.VersionTLS12, Curves: []tls.CurveID{tls.CurveP256}}, "TLS 1.2", "P-256", "ECDH P-256, 256 bits", "ecdsa_secp256r1_sha256"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &tls.Config{Certificates: []tls.Certificate{pki.good}, MaxVersion: tc.serverMax}
			info, notes := dialTLS(t, startTLSServer(t, cfg), tc.client)
			if info.Version != tc.version || info.Group != tc.group || info.ServerKey != tc.key || info.Signature != tc.signature {
				t.Errorf("got %s, group %q, key %q, signature %q; want %s, %q, %q, %q",
					info.Version, info.Group, info.ServerKey, info.Signature, tc.version, tc.group, tc.key, tc.signature)
			}
			if want := "TLS: key exchange " + tc.group + "; server signature " + tc.signature; !slices.Contains(notes, want) {
				t.Errorf("notes %q lack %q", notes, want)
			}
		})
	}
}

func TestTLSCipherSuiteChosen(t *testing.T) {
	pki := testPKI()
	s := startTLSServer(t, &tls.Config{Certificates: []tls.Certificate{pki.good}})
	suite := uint16(tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA)
	info, _ := dialTLS(t, s, TLSOptions{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{suite}})
	if info.Version != "TLS 1.2" || info.Cipher != tls.CipherSuiteName(suite) {
		t.Errorf("got %s %s, want TLS 1.2 %s: --ciphers and --tls-max not offered as given", info.Version, info.Cipher, tls.CipherSuiteName(suite))
	}
}

func TestTLSALPNAndOCSPStaple(t *testing.T) {
	pki := testPKI()
	cert := pki.good
	cert.OCSPStaple = []byte("not really DER, but stapled")
	s := startTLSServer(t, &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"smtp"}})
	info, notes := dialTLS(t, s, TLSOptions{ALPN: []string{"h2", "smtp"}})
	if info.ALPN != "smtp" || !bytes.Equal(info.OCSP, cert.OCSPStaple) {
		t.Errorf("ALPN %q, OCSP %q: want smtp and the stapled bytes", info.ALPN, info.OCSP)
	}
	if !slices.Contains(notes, "TLS: key exchange X25519MLKEM768; server signature ecdsa_secp256r1_sha256; ALPN smtp; OCSP response stapled") {
		t.Errorf("notes: %q", notes)
	}
	if info, _ := dialTLS(t, startTLSServer(t, &tls.Config{Certificates: []tls.Certificate{pki.good}}), TLSOptions{}); info.ALPN != "" || info.OCSP != nil {
		t.Errorf("nothing offered or stapled: ALPN %q, OCSP %q", info.ALPN, info.OCSP)
	}
}

func TestTLSKeyLog(t *testing.T) {
	pki := testPKI()
	s := startTLSServer(t, &tls.Config{Certificates: []tls.Certificate{pki.good}})
	var log bytes.Buffer
	info, notes := dialTLS(t, s, TLSOptions{KeyLog: &log})
	if !info.KeyLog || !strings.Contains(log.String(), "CLIENT_TRAFFIC_SECRET_0 ") || !strings.Contains(log.String(), "SERVER_HANDSHAKE_TRAFFIC_SECRET ") {
		t.Errorf("KeyLog %v, key log %q: want the TLS 1.3 secrets in NSS format", info.KeyLog, log.String())
	}
	if !slices.ContainsFunc(notes, func(n string) bool { return strings.Contains(n, "key log (SSLKEYLOGFILE): it is a secret") }) {
		t.Errorf("the transcript does not say the key log is written: %q", notes)
	}
	if info, _ := dialTLS(t, s, TLSOptions{}); info.KeyLog {
		t.Error("KeyLog without a key log")
	}
}

func TestTLSResumption(t *testing.T) {
	pki := testPKI()
	for _, max := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
		t.Run(tls.VersionName(max), func(t *testing.T) {
			s := startTLSServer(t, &tls.Config{Certificates: []tls.Certificate{pki.good}, MaxVersion: max})
			cache := tls.NewLRUClientSessionCache(4)
			first, _ := dialTLS(t, s, TLSOptions{Sessions: cache})
			second, notes := dialTLS(t, s, TLSOptions{Sessions: cache})
			if first.Resumed || !second.Resumed || !s.state(1).DidResume {
				t.Errorf("first resumed %v, second %v (server: %v): want a full handshake, then a resumed one", first.Resumed, second.Resumed, s.state(1).DidResume)
			}
			if !slices.ContainsFunc(notes, func(n string) bool { return strings.Contains(n, "session resumed") }) || second.Signature != "" {
				t.Errorf("notes: %q, signature %q: want resumed, nothing signed", notes, second.Signature)
			}
			if third, _ := dialTLS(t, s, TLSOptions{}); third.Resumed {
				t.Error("resumed without a session cache")
			}
		})
	}
}

func TestHandshakedHook(t *testing.T) {
	pki := testPKI()
	s := startTLSServer(t, &tls.Config{Certificates: []tls.Certificate{pki.good}})
	var got []TLSInfo
	info, _ := dialTLS(t, s, TLSOptions{Handshaked: func(i TLSInfo) { got = append(got, i) }})
	if len(got) != 1 || got[0].Version != info.Version || len(got[0].Chain) != 2 || !bytes.Equal(got[0].Chain[0].DER, pki.good.Certificate[0]) {
		t.Errorf("Handshaked got %d calls, want one with the chain as sent", len(got))
	}
	leaf := must(x509.ParseCertificate(pki.good.Certificate[0]))
	if info.Chain[0].SPKISHA256 != SPKISHA256(leaf) || len(info.Chain[0].SPKISHA256) != 64 || info.Chain[0].SPKISHA256 == info.Chain[0].SHA256 {
		t.Errorf("SPKI SHA-256 %q: want the hash of the public key, not of the certificate", info.Chain[0].SPKISHA256)
	}
}

func TestFindHandshakeBounds(t *testing.T) {
	for _, flight := range [][]byte{nil, {0x16, 3, 3, 0, 9, 12, 0, 0, 200, 1}, {0x16, 3, 3, 0xff, 0xff}, {0x17, 3, 3, 0, 1, 0}} {
		if body, ok := findHandshake(flight, handshakeServerKeyEx); ok {
			t.Errorf("findHandshake(%x) = %x: a cut or encrypted flight has no message", flight, body)
		}
	}
	if got := tls12Signature([]byte{0x16, 3, 3, 0, 8, 12, 0, 0, 4, 3, 0, 29, 0}, tls.VersionTLS12, nil); got != "" {
		t.Errorf("a ServerKeyExchange cut before its signature: %q", got)
	}
	ske := []byte{0x16, 3, 3, 0, 12, 12, 0, 0, 8, 3, 0, 29, 2, 0xaa, 0xbb, 0x08, 0x04}
	if got := tls12Signature(ske, tls.VersionTLS12, nil); got != "rsa_pss_rsae_sha256" {
		t.Errorf("tls12Signature = %q, want rsa_pss_rsae_sha256", got)
	}
}

// TestTLS13SignatureDecrypted: in TLS 1.3 the server's CertificateVerify
// is encrypted; ehlo reads its scheme with the handshake secret, so an RSA
// certificate gives the exact scheme, not only "rsa_pss_rsae_*", and the
// user's key log still gets every secret.
func TestTLS13SignatureDecrypted(t *testing.T) {
	pki := testPKI()
	key := must(rsa.GenerateKey(rand.Reader, 2048))
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(50), Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der := must(x509.CreateCertificate(rand.Reader, tmpl, pki.ca, &key.PublicKey, pki.caKey))
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	for _, client := range []TLSOptions{{}, {Curves: []tls.CurveID{tls.CurveP256}}} {
		var log bytes.Buffer
		client.KeyLog = &log
		s := startTLSServer(t, &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequestClientCert})
		info, _ := dialTLS(t, s, client)
		if info.Version != "TLS 1.3" || info.Signature != "rsa_pss_rsae_sha256" {
			t.Errorf("%s: signature %q, want rsa_pss_rsae_sha256 read from the CertificateVerify", info.Version, info.Signature)
		}
		if n := strings.Count(log.String(), "\n"); n != 4 || !strings.Contains(log.String(), "SERVER_HANDSHAKE_TRAFFIC_SECRET ") {
			t.Errorf("the user's key log has %d lines, want the 4 traffic secrets of TLS 1.3:\n%s", n, log.String())
		}
	}
	if s, ok := tls13VerifiedScheme([]byte{0x16, 3, 3, 0, 2, 2, 0}, []byte("secret")); ok {
		t.Errorf("a cut ServerHello gave scheme %v", s)
	}
}
