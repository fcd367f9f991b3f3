package wire

import (
	"bytes"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
)

// TestChainCheck: a chain the check accepts completes the handshake though
// WebPKI refuses it, and both verdicts are kept apart in TLSInfo; a
// required check that fails stops the handshake whatever WebPKI says; an
// optional one that fails leaves WebPKI to decide.
func TestChainCheck(t *testing.T) {
	pki := testPKI()
	leafDER := pki.wrongName.Certificate[0]
	pinned := func(chain []*x509.Certificate) (bool, string) {
		if len(chain) > 0 && bytes.Equal(chain[0].Raw, leafDER) {
			return true, "matched by record 1"
		}
		return false, "no record matched"
	}
	tests := []struct {
		name     string
		roots    *x509.CertPool
		required bool
		check    func([]*x509.Certificate) (bool, string)
		wantErr  bool
		verified bool
		ok       bool
	}{
		{"matched, WebPKI untrusted", x509.NewCertPool(), false, pinned, false, false, true},
		{"matched, WebPKI wrong name", pki.roots, true, pinned, false, false, true},
		{"not matched, optional, WebPKI fails", x509.NewCertPool(), false, func([]*x509.Certificate) (bool, string) { return false, "no record matched" }, true, false, false},
		{"not matched, required", pki.roots, true, func([]*x509.Certificate) (bool, string) { return false, "no record matched" }, true, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startServer(t, func(p *peer) {
				if p.startTLS(pki.wrongName) == nil {
					p.send("220 hi\r\n")
					p.drain()
				}
			})
			opts := Options{Mode: ModeImplicitTLS, ServerName: "localhost", RootCAs: tt.roots, Timeout: testTimeout,
				Check: &ChainCheck{Name: "DANE", Check: tt.check, Required: tt.required}}
			c, err := Dial(ctx, s.addr, opts)
			if tt.wantErr {
				var ve *VerifyError
				if !errors.As(err, &ve) || ve.Info.Check == nil || ve.Info.Check.OK {
					t.Fatalf("err = %v, want a VerifyError carrying the failed check", err)
				}
				var ce *CheckError
				if tt.required != errors.As(err, &ce) {
					t.Errorf("CheckError: %v, want it only when the check is required (err %v)", !tt.required, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			defer c.Close()
			info, _ := c.TLS()
			if info.Verified != tt.verified || info.VerifyError == nil || info.Check == nil || info.Check.OK != tt.ok ||
				info.Check.Detail != "matched by record 1" {
				t.Errorf("TLSInfo: verified %v (%v), check %+v", info.Verified, info.VerifyError, info.Check)
			}
			if n := notes(c.Transcript().Entries()); len(n) < 2 || !strings.Contains(n[1], "DANE: matched by record 1") {
				t.Errorf("notes = %q, want the check's result in the handshake note", n)
			}
		})
	}
}
