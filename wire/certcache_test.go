package wire

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"reflect"
	"testing"
	"time"
)

// chainOf parses a tls.Certificate's chain, leaf first.
func chainOf(c tls.Certificate) []*x509.Certificate {
	certs := make([]*x509.Certificate, len(c.Certificate))
	for i, der := range c.Certificate {
		certs[i] = must(x509.ParseCertificate(der))
	}
	return certs
}

// sameVerdict fails t unless got is the verdict want: both nil, or the
// same text and the same x509 error type.
func sameVerdict(t *testing.T, what string, got, want error) {
	t.Helper()
	var (
		gh, wh x509.HostnameError
		gu, wu x509.UnknownAuthorityError
		gi, wi x509.CertificateInvalidError
	)
	switch {
	case (got == nil) != (want == nil):
		t.Errorf("%s: cached %v, uncached %v", what, got, want)
	case got == nil:
	case got.Error() != want.Error(),
		errors.As(got, &gh) != errors.As(want, &wh),
		errors.As(got, &gu) != errors.As(want, &wu),
		errors.As(got, &gi) != errors.As(want, &wi) || gi.Reason != wi.Reason:
		t.Errorf("%s: cached %q (%T), uncached %q (%T)", what, got, got, want, want)
	}
}

// TestCertCacheSameVerdict: every verdict through the cache, asked twice
// (the second from the cache), is the one verifyChain gives: the good
// chain, another name on it (never the first name's verdict), the wrong
// name, an expired chain, another CA's pool, the system roots, the chain
// without its CA certificate.
func TestCertCacheSameVerdict(t *testing.T) {
	p := testPKI()
	other := x509.NewCertPool()
	other.AddCert(chainOf(p.wrongName)[0]) // a pool without the test CA
	cases := []struct {
		what  string
		certs []*x509.Certificate
		name  string
		roots *x509.CertPool
		ok    bool
	}{
		{"good", chainOf(p.good), "localhost", p.roots, true},
		{"good, another name", chainOf(p.good), "mx.example.org", p.roots, false},
		{"good, an IP it covers", chainOf(p.good), "127.0.0.1", p.roots, true},
		{"wrong name", chainOf(p.wrongName), "localhost", p.roots, false},
		{"expired", chainOf(p.expired), "localhost", p.roots, false},
		{"good, another CA's pool", chainOf(p.good), "localhost", other, false},
		{"good, system roots", chainOf(p.good), "localhost", nil, false},
		{"good, leaf alone", chainOf(p.good)[:1], "localhost", p.roots, true},
		{"good again", chainOf(p.good), "localhost", p.roots, true},
	}
	cc := NewCertCache(0)
	for round := range 2 {
		for _, c := range cases {
			got := cc.verify(c.certs, c.name, c.roots)
			want := verifyChain(c.certs, c.name, c.roots)
			sameVerdict(t, c.what, got, want)
			if (got == nil) != c.ok {
				t.Errorf("round %d, %s: verified %v, want %v (%v)", round, c.what, got == nil, c.ok, got)
			}
		}
	}
	// The expired chain is never kept: each time it is verified again.
	key := verdictKey{chain: chainSum(chainOf(p.expired)), name: "localhost", roots: p.roots}
	if _, ok := cc.verdicts[key]; ok {
		t.Error("the verdict on an expired chain was kept")
	}
}

// TestCertCacheExpiry: a verdict is not served once the clock passes a
// certificate's NotAfter (nor before its NotBefore, nor past
// maxVerdictAge): then the chain is verified at that time.
func TestCertCacheExpiry(t *testing.T) {
	p := testPKI()
	certs := chainOf(p.good)
	cc := NewCertCache(0)
	now := time.Now()
	cc.now = func() time.Time { return now }
	if err := cc.verify(certs, "localhost", p.roots); err != nil {
		t.Fatalf("good chain: %v", err)
	}
	if len(cc.verdicts) != 1 {
		t.Fatalf("%d verdicts kept, want 1", len(cc.verdicts))
	}
	for _, at := range []struct {
		what   string
		when   time.Time
		reason x509.InvalidReason // 0: verifies
	}{
		{"a second past the leaf's NotAfter", certs[0].NotAfter.Add(time.Second), x509.Expired},
		{"before the leaf's NotBefore", certs[0].NotBefore.Add(-time.Second), x509.Expired},
		{"within, after maxVerdictAge", now.Add(maxVerdictAge + time.Minute), 0},
	} {
		now = at.when
		var ci x509.CertificateInvalidError
		err := cc.verify(certs, "localhost", p.roots)
		switch {
		case at.reason == 0 && err != nil:
			t.Errorf("%s: %v, want verified", at.what, err)
		case at.reason != 0 && (!errors.As(err, &ci) || ci.Reason != at.reason):
			t.Errorf("%s: %v, want the certificate invalid (%v)", at.what, err, at.reason)
		}
		if e := cc.verdicts[verdictKey{chainSum(certs), "localhost", p.roots}]; !now.Before(e.notBefore) && !now.After(e.notUntil) && at.reason != 0 {
			t.Errorf("%s: a verdict is kept for a time outside the chain's validity", at.what)
		}
	}
}

// TestCertCacheKey: the chain's sum covers every certificate, in order,
// and where each ends.
func TestCertCacheKey(t *testing.T) {
	p := testPKI()
	full, wrong := chainOf(p.good), chainOf(p.wrongName)
	sums := map[[32]byte]string{}
	for what, certs := range map[string][]*x509.Certificate{
		"full": full, "leaf": full[:1], "CA first": {full[1], full[0]}, "other leaf": wrong, "CA": full[1:],
	} {
		s := chainSum(certs)
		if prev, ok := sums[s]; ok {
			t.Errorf("%s and %s have the same sum", what, prev)
		}
		sums[s] = what
	}
}

// TestCertCacheBounded: the cache holds at most its size, however many
// chains and certificates it meets.
func TestCertCacheBounded(t *testing.T) {
	p := testPKI()
	cc := NewCertCache(2)
	names := []string{"localhost", "a.test", "b.test", "c.test", "127.0.0.1"}
	for _, name := range names {
		for _, c := range []tls.Certificate{p.good, p.wrongName} {
			sameVerdict(t, name, cc.verify(chainOf(c), name, p.roots), verifyChain(chainOf(c), name, p.roots))
			for _, cert := range chainOf(c) {
				cc.describe(cert)
			}
		}
	}
	if len(cc.verdicts) > 2 || len(cc.infos) > 2 {
		t.Errorf("%d verdicts and %d descriptions kept, want at most 2 each", len(cc.verdicts), len(cc.infos))
	}
}

// TestCertCacheDescribe: a description from the cache is certInfo's, the
// self-signed CA and the leaf alike, and a nil cache describes too.
func TestCertCacheDescribe(t *testing.T) {
	p := testPKI()
	cc := NewCertCache(0)
	var none *CertCache
	for _, c := range [][]*x509.Certificate{chainOf(p.good), chainOf(p.wrongName), chainOf(p.good)} {
		for i, cert := range c {
			want := certInfo(cert)
			if want.SelfSigned != (i == 1) {
				t.Errorf("certificate %d: SelfSigned %v", i, want.SelfSigned)
			}
			for _, got := range []CertInfo{cc.describe(cert), cc.describe(cert), none.describe(cert)} {
				if !reflect.DeepEqual(got, want) {
					t.Errorf("certificate %d: described as %+v, want %+v", i, got, want)
				}
			}
		}
	}
	if len(cc.infos) != 3 {
		t.Errorf("%d descriptions for 3 certificates", len(cc.infos))
	}
}

// TestCertCacheHandshake: two connections with one cache verify the same
// server alike, and a name the certificate does not cover still fails
// after the first connection's success.
func TestCertCacheHandshake(t *testing.T) {
	p := testPKI()
	cc := NewCertCache(0)
	for _, c := range []struct {
		name string
		ok   bool
	}{{"localhost", true}, {"localhost", true}, {"mx.example.org", false}} {
		s := startServer(t, func(pr *peer) { _ = pr.startTLS(p.good) })
		conn := dialTest(t, s, Options{ServerName: c.name, RootCAs: p.roots, Certs: cc})
		info, err := conn.StartTLS(t.Context())
		var ve *VerifyError
		switch {
		case c.ok && (err != nil || !info.Verified || len(info.Chain) != 2 || !info.Chain[1].SelfSigned):
			t.Errorf("%s: %v, %+v", c.name, err, info)
		case !c.ok && !errors.As(err, &ve):
			t.Errorf("%s: %v, want a verification error", c.name, err)
		}
	}
}
