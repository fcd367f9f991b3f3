package ui

import (
	"strings"
	"testing"

	"github.com/ehlo-sh/ehlo/wire"
)

// TestTLSDetailsInSidePanel: the handshake's facts beyond the certificate
// show under it when there is room, a certificate request first; a shorter
// panel drops whole rows, the least important first, never a row's end.
func TestTLSDetailsInSidePanel(t *testing.T) {
	cert := postfixCert("localhost")
	cert.Group, cert.ServerKey, cert.Signature = "X25519", "X25519, 253 bits", "ecdsa_secp256r1_sha256"
	cert.ClientAuth = wire.ClientAuth{Asked: true, CAs: []string{"CN=ehlo postfix lab client CA"}, Sent: "CN=ehlo lab client"}
	cert.KeyLog = true
	cert.Chain[0].SPKISHA256 = strings.Repeat("ab", 32)
	s := newSim(t, "dark", 200, 60)
	gmailTLSWith(s, cert)
	checkSize(t, s.m.View().Content, 200, 60)
	sc := s.screen()
	for _, want := range []string{"client  certificate asked for, from CN=ehlo",
		"keylog  secrets written (SSLKEYLOGFILE)", "kx      server temp key X25519, 253 bits", "sig     ecdsa_secp256r1_sha256",
		"ocsp    no response stapled", "spki    abab"} {
		if !strings.Contains(sc, want) {
			t.Errorf("200x60: %q is not on screen:\n%s", want, sc)
		}
	}
	for _, size := range [][2]int{{120, 40}, {100, 30}, {80, 24}} {
		s := newSim(t, "dark", size[0], size[1])
		gmailTLSWith(s, cert)
		checkSize(t, s.m.View().Content, size[0], size[1])
		sc := s.screen()
		if strings.Contains(sc, "keylog") && !strings.Contains(sc, "client  certificate asked for") {
			t.Errorf("%dx%d: a less important row kept over the certificate request:\n%s", size[0], size[1], sc)
		}
		if strings.Contains(sc, "client  certificate asked for") && !strings.Contains(sc, "lab client") {
			t.Errorf("%dx%d: the certificate request's row is cut:\n%s", size[0], size[1], sc)
		}
	}
}

// TestSavedScriptKeepsTLSFlags: the replay line of :save --script names
// the TLS flags the session was started with, a client certificate
// included, so that the script replays against a server that wants one.
func TestSavedScriptKeepsTLSFlags(t *testing.T) {
	s := newSim(t, "dark", 120, 40)
	s.m.caFile = "/tmp/ca.pem"
	s.m.cfg.TLSFlags = [][2]string{{"--tls-max", "1.2"}, {"--cert", "/home/me/client cert.pem"}, {"--key", "/home/me/k.pem"}}
	if got, want := s.m.runFlags(), "--ca /tmp/ca.pem --tls-max 1.2 --cert '/home/me/client cert.pem' --key /home/me/k.pem"; got != want {
		t.Errorf("runFlags = %q, want %q", got, want)
	}
}
