package wire

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"testing"
)

// TestVerifyChainNameFirst: a certificate judged against the system roots
// (no --ca) gets the very verdict the system roots give, also when
// verifyChain decides from the name alone without loading them: the
// wrong name, the wrong name on an expired certificate (expiry is said
// first, as Go's verifier says it), and a name that matches (then the
// system roots judge the chain: this test CA is not among them).
func TestVerifyChainNameFirst(t *testing.T) {
	p := testPKI()
	system, err := x509.SystemCertPool()
	if err != nil {
		t.Skipf("no system roots to compare with: %v", err)
	}
	cases := []struct {
		what string
		cert tls.Certificate
		name string
		want func(error) bool
	}{
		{"name not covered", p.wrongName, "mx1.dane-ok.test", func(err error) bool {
			var he x509.HostnameError
			return errors.As(err, &he)
		}},
		{"expired, name not covered", p.expired, "mx1.dane-ok.test", func(err error) bool {
			var ce x509.CertificateInvalidError
			return errors.As(err, &ce) && ce.Reason == x509.Expired
		}},
		{"name covered, CA unknown to the system", p.good, "localhost", func(err error) bool {
			var ue x509.UnknownAuthorityError
			return errors.As(err, &ue)
		}},
	}
	for _, c := range cases {
		certs := make([]*x509.Certificate, len(c.cert.Certificate))
		for i, der := range c.cert.Certificate {
			certs[i] = must(x509.ParseCertificate(der))
		}
		got := verifyChain(certs, c.name, nil)
		inter := x509.NewCertPool()
		for _, cert := range certs[1:] {
			inter.AddCert(cert)
		}
		_, want := certs[0].Verify(x509.VerifyOptions{DNSName: c.name, Roots: system, Intermediates: inter})
		if got == nil || want == nil || got.Error() != want.Error() || !c.want(got) {
			t.Errorf("%s: verifyChain says %v; with the system roots: %v", c.what, got, want)
		}
	}
	// With the test CA as roots, the good certificate verifies: the
	// shortcut never applies to a pool given by the caller (--ca).
	good := []*x509.Certificate{must(x509.ParseCertificate(p.good.Certificate[0]))}
	if err := verifyChain(good, "localhost", p.roots); err != nil {
		t.Errorf("good certificate against its CA: %v", err)
	}
	if err := verifyChain(good, "mx.example.org", p.roots); err == nil {
		t.Error("good certificate for another name against its CA: verified")
	}
}
