package client

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"math/big"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ehlo-sh/ehlo/dns"
	"github.com/ehlo-sh/ehlo/domain"
)

// cnameDNS is fakeDNS where some names are CNAMEs: an address question
// for one of them is answered at its target, with the chain, as a
// resolver does.
type cnameDNS struct {
	fakeDNS
	alias map[string]string // name -> target, without the final dot
}

func (c cnameDNS) Lookup(ctx context.Context, name string, qtype uint16) (*dns.Answer, error) {
	target, ok := c.alias[strings.TrimSuffix(name, ".")]
	if !ok {
		return c.fakeDNS.Lookup(ctx, name, qtype)
	}
	a, err := c.fakeDNS.Lookup(ctx, target+".", qtype)
	if a != nil {
		a.Name, a.CNAMEs, a.Canonical = name, []string{target + "."}, target+"."
	}
	return a, err
}

// sniServer is an MX that speaks STARTTLS and, like a server hosting
// several names, picks its certificate by the SNI the client sent: the
// one for a name it serves, else a default for another name. It records
// every SNI it was sent.
type sniServer struct {
	ln    net.Listener
	certs map[string]tls.Certificate // by SNI; "" is the default
	mu    sync.Mutex
	sni   []string
}

// leafFor issues a certificate for name from ca.
func leafFor(t *testing.T, ca testCA, name string) tls.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	leaf := mustCert(t, &x509.Certificate{SerialNumber: big.NewInt(now.UnixNano()), Subject: pkix.Name{CommonName: name},
		DNSNames: []string{name}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour)}, ca.ca, &key.PublicKey, ca.caKey)
	return tls.Certificate{Certificate: [][]byte{leaf.Raw, ca.ca.Raw}, PrivateKey: key, Leaf: leaf}
}

func startSNIServer(t *testing.T, certs map[string]tls.Certificate) *sniServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.5.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &sniServer{ln: ln, certs: certs}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *sniServer) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	r, w := bufio.NewReader(c), c
	say := func(lines string) { _, _ = w.Write([]byte(lines)) }
	say("220 mx ESMTP\r\n")
	tlsOn := false
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		switch verb := strings.ToUpper(strings.Fields(line + " x")[0]); {
		case verb == "EHLO" && !tlsOn:
			say("250-mx\r\n250 STARTTLS\r\n")
		case verb == "EHLO":
			say("250 mx\r\n")
		case verb == "STARTTLS" && !tlsOn:
			say("220 go ahead\r\n")
			tc := tls.Server(c, &tls.Config{GetCertificate: s.pick})
			if tc.Handshake() != nil {
				return
			}
			tlsOn, r, w = true, bufio.NewReader(tc), tc
		case verb == "QUIT":
			say("221 bye\r\n")
			return
		default:
			say("502 no\r\n")
		}
	}
}

func (s *sniServer) pick(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	s.mu.Lock()
	s.sni = append(s.sni, hello.ServerName)
	s.mu.Unlock()
	c, ok := s.certs[hello.ServerName]
	if !ok {
		c = s.certs[""]
	}
	return &c, nil
}

func (s *sniServer) sent() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.sni...)
}

// TestProbeDomainCNAMEdMX: an MX host that is a CNAME, with DANE-TA
// records at its target. The client sends the TLSA base domain (the
// target) as SNI (RFC 7672 8.1), so a server that picks its certificate
// by SNI shows the one DANE-TA checks, and DANE matches; WebPKI still
// checks the MX name, as its own fact (RFC 8461 4.1), and says the
// certificate does not cover it. Without DANE the SNI is the MX name.
func TestProbeDomainCNAMEdMX(t *testing.T) {
	ca := newTestCA(t)
	srv := startSNIServer(t, map[string]tls.Certificate{
		"real.example.org": leafFor(t, ca, "real.example.org"),
		"":                 leafFor(t, ca, "default.example.net"),
	})
	_, port, _ := net.SplitHostPort(srv.ln.Addr().String())
	spki := sha256.Sum256(ca.ca.RawSubjectPublicKeyInfo)
	zone := func(tlsa bool) cnameDNS {
		f := fakeDNS{
			"example.org MX":        {{Type: dns.TypeMX, Pref: 10, Host: "mail.example.org."}},
			"real.example.org A":    {{Type: dns.TypeA, Addr: netip.MustParseAddr("127.5.0.1")}},
			"real.example.org AAAA": {},
		}
		if tlsa {
			f["_25._tcp.real.example.org TLSA"] = []dns.Record{{Type: dns.TypeTLSA, TLSA: &dns.TLSA{Usage: 2, Selector: 1, Matching: 1, Data: spki[:]}}}
		}
		return cnameDNS{fakeDNS: f, alias: map[string]string{"mail.example.org": "real.example.org"}}
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.ca)
	opts := Options{RootCAs: pool, Timeout: 10 * time.Second}

	r := ProbeDomain(context.Background(), "example.org:"+port, DomainOptions{Options: opts, Resolver: zone(true)})
	if r.Err != nil || len(r.Probes) != 1 || len(r.Probes[0]) != 1 {
		t.Fatalf("err %v, route %+v", r.Err, r.Route)
	}
	if got := srv.sent(); len(got) != 1 || got[0] != "real.example.org" {
		t.Fatalf("SNI sent %q, want the TLSA base domain real.example.org", got)
	}
	p := r.Probes[0][0]
	if p.TLS == nil || p.TLS.ServerName != "mail.example.org" || p.TLS.SNI != "real.example.org" || p.TLS.Verified {
		t.Fatalf("TLS %+v, err %v: want WebPKI checked for the MX name, and failing", p.TLS, p.Err)
	}
	if d := r.DANE[0][0]; d == nil || d.Verdict != domain.DANEMatched || !strings.Contains(d.Why, "real.example.org") {
		t.Errorf("DANE %+v, want matched for the TLSA base domain", d)
	}
	if av := r.Result.Hosts[0].Addrs[0]; av.Trusted != domain.No || r.Result.DANE.Deliver != domain.Yes {
		t.Errorf("WebPKI trusted %s (want no: the certificate names the target, not the MX), DANE deliver %s (%s)",
			av.Trusted, r.Result.DANE.Deliver, r.Result.DANE.Why)
	}
	var out strings.Builder
	WriteDomain(&out, r, DomainFormat{Verbose: true})
	if s := out.String(); !strings.Contains(s, "SNI real.example.org") || !strings.Contains(s, "NOT verified: name mismatch") {
		t.Errorf("the report does not show the SNI beside the WebPKI verdict:\n%s", s)
	}
	b, _ := json.Marshal(r.JSON(false))
	if !strings.Contains(string(b), `"server_name":"mail.example.org","sni":"real.example.org"`) {
		t.Errorf("JSON lacks server_name and sni: %s", b)
	}

	// No TLSA: no DANE, and the SNI is the MX name, which MTA-STS checks.
	r = ProbeDomain(context.Background(), "example.org:"+port, DomainOptions{Options: opts, Resolver: zone(false)})
	if got := srv.sent(); len(got) != 2 || got[1] != "mail.example.org" {
		t.Errorf("SNI sent %q without TLSA, want the MX name mail.example.org", got)
	}
	if p := r.Probes[0][0]; p.TLS == nil || p.TLS.SNI != "" {
		t.Errorf("TLS %+v without TLSA: want no separate SNI", p.TLS)
	}
}
