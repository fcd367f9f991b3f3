package client

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"
)

// starttlsSMTP answers EHLO with STARTTLS, then speaks TLS with cert and
// answers the second EHLO and QUIT.
func starttlsSMTP(cert tls.Certificate) func(net.Conn, *bufio.Reader) {
	return func(c net.Conn, r *bufio.Reader) {
		c.Write([]byte("220 ok ESMTP\r\n"))
		var tc *tls.Conn
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			w := net.Conn(c)
			if tc != nil {
				w = tc
			}
			switch strings.ToUpper(strings.Fields(line + " x")[0]) {
			case "EHLO":
				w.Write([]byte("250-ok\r\n250 STARTTLS\r\n"))
			case "STARTTLS":
				c.Write([]byte("220 go ahead\r\n"))
				tc = tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}})
				if tc.Handshake() != nil {
					return
				}
				r = bufio.NewReader(tc)
			case "QUIT":
				w.Write([]byte("221 bye\r\n"))
				return
			default:
				w.Write([]byte("502 no\r\n"))
			}
		}
	}
}

// TestFleetSharesCertVerdicts: a fleet's probes share one certificate
// cache, and every probe of the same server gets the verdict and the
// description an uncached probe gets; a later fleet with the same cache
// and another server name is refused, never served the first name's
// verdict.
func TestFleetSharesCertVerdicts(t *testing.T) {
	pki := newTestCA(t)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	leaf := mustCert(t, &x509.Certificate{SerialNumber: big.NewInt(9), Subject: pkix.Name{CommonName: "mx.fleet.test"},
		DNSNames: []string{"mx.fleet.test"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, pki.ca, &key.PublicKey, pki.caKey)
	addr := fleetServer(t, starttlsSMTP(tls.Certificate{Certificate: [][]byte{leaf.Raw, pki.ca.Raw}, PrivateKey: key}))
	roots := x509.NewCertPool()
	roots.AddCert(pki.ca)

	uncached := Probe(context.Background(), addr, Options{Timeout: 3 * time.Second, GreetingWait: -1, RootCAs: roots, ServerName: "mx.fleet.test"})
	if uncached.Err != nil || uncached.TLS == nil || !uncached.TLS.Verified {
		t.Fatalf("uncached probe: %v, %+v", uncached.Err, uncached.TLS)
	}
	run := func(f *Fleet, n int) []FleetResult {
		in := make(chan FleetTarget)
		go func() {
			defer close(in)
			for i := range n {
				in <- FleetTarget{Target: addr, Line: i + 1}
			}
		}()
		var got []FleetResult
		f.Run(context.Background(), in, func(r FleetResult) { got = append(got, r) })
		return got
	}
	f := &Fleet{Options: Options{Timeout: 3 * time.Second, GreetingWait: -1, RootCAs: roots, ServerName: "mx.fleet.test"}, Parallel: 2}
	for _, r := range run(f, 6) {
		tlsInfo := r.Result.TLS
		switch {
		case r.Status != StatusOK || tlsInfo == nil || !tlsInfo.Verified:
			t.Errorf("line %d: %s (%s), TLS %+v", r.Line, r.Status, r.Reason, tlsInfo)
		case len(tlsInfo.Chain) != len(uncached.TLS.Chain) || tlsInfo.Chain[0].SHA256 != uncached.TLS.Chain[0].SHA256 ||
			tlsInfo.Chain[1].SelfSigned != uncached.TLS.Chain[1].SelfSigned || tlsInfo.Chain[0].SPKISHA256 != uncached.TLS.Chain[0].SPKISHA256:
			t.Errorf("line %d: chain %+v, uncached %+v", r.Line, tlsInfo.Chain, uncached.TLS.Chain)
		}
	}
	if f.Options.Certs == nil {
		t.Fatal("the fleet made no certificate cache")
	}
	other := &Fleet{Options: f.Options, Parallel: 2}
	other.Options.ServerName = "other.fleet.test"
	for _, r := range run(other, 2) {
		if r.Status != StatusTLSFailed || r.Result.TLS != nil && r.Result.TLS.Verified {
			t.Errorf("another name, line %d: %s (%s), want %s", r.Line, r.Status, r.Reason, StatusTLSFailed)
		}
	}
}
