package lab_test

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/ehlo-sh/ehlo/lab"
)

// policyClient fetches from the lab's policy server as an MTA-STS client
// would, with the lab's CA as its only root and no redirects followed (RFC
// 8461 section 3.3), but connecting to PolicyAddr where it would dial port
// 443 of the address the lab's DNS gives mta-sts.lab.test.
func policyClient(t *testing.T, l *lab.Lab) *http.Client {
	t.Helper()
	a := ask(t, l, "udp", lab.PolicyHost+".", dns.TypeA).Answer
	if len(a) != 1 {
		t.Fatalf("%s A = %v", lab.PolicyHost, a)
	}
	ip := a[0].(*dns.A).A.String()
	if host, _, _ := net.SplitHostPort(l.PolicyAddr()); host != ip {
		t.Fatalf("DNS gives %s %s, the policy server is on %s", lab.PolicyHost, ip, l.PolicyAddr())
	}
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	tr := &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: l.CertPool()},
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if addr != lab.PolicyHost+":443" {
				return nil, errors.New("dialled " + addr)
			}
			return dialer.DialContext(ctx, network, l.PolicyAddr())
		},
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{
		Transport:     tr,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func TestMTASTSPolicy(t *testing.T) {
	l := start(t, lab.Config{})
	if lab.PolicyURL() != "https://mta-sts.lab.test/.well-known/mta-sts.txt" {
		t.Errorf("PolicyURL() = %q", lab.PolicyURL())
	}
	resp, err := policyClient(t, l).Get(lab.PolicyURL())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/plain" {
		t.Errorf("status %d, Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if cert := resp.TLS.PeerCertificates[0]; cert.VerifyHostname(lab.PolicyHost) != nil || cert.Issuer.CommonName != "ehlo lab CA" {
		t.Errorf("policy certificate for %q from %q", cert.DNSNames, cert.Issuer.CommonName)
	}
	want := "version: STSv1\r\nmode: enforce\r\nmx: mx1.lab.test\r\nmx: mx2.lab.test\r\nmax_age: 86400\r\n"
	if string(body) != want {
		t.Errorf("policy:\n%q\nwant\n%q", body, want)
	}
	// Every MX of lab.test is covered by an mx: line of the policy.
	mx := ask(t, l, "udp", lab.Domain+".", dns.TypeMX).Answer
	for _, rr := range mx {
		host := strings.TrimSuffix(rr.(*dns.MX).Mx, ".")
		if !strings.Contains(string(body), "\r\nmx: "+host+"\r\n") {
			t.Errorf("MX %s is not in the policy", host)
		}
	}
	if len(mx) != 2 {
		t.Errorf("lab.test MX = %v", mx)
	}
}

// TestMTASTSRefusals: anything but GET or HEAD of the policy's path at
// mta-sts.lab.test is refused, with no redirect.
func TestMTASTSRefusals(t *testing.T) {
	l := start(t, lab.Config{})
	c := policyClient(t, l)
	tests := []struct {
		method, url, host string
		status            int
	}{
		{http.MethodGet, "https://mta-sts.lab.test/", "", http.StatusNotFound},
		{http.MethodGet, "https://mta-sts.lab.test/.well-known/mta-sts.txt/", "", http.StatusNotFound},
		{http.MethodGet, lab.PolicyURL(), "mta-sts.example.org", http.StatusNotFound},
		{http.MethodPost, lab.PolicyURL(), "", http.StatusMethodNotAllowed},
		{http.MethodHead, lab.PolicyURL(), "", http.StatusOK},
		{http.MethodGet, lab.PolicyURL(), "MTA-STS.Lab.Test:443", http.StatusOK},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, tt.url, nil)
		if tt.host != "" {
			req.Host = tt.host
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", tt.method, tt.url, err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.status {
			t.Errorf("%s %s (Host %q): %d, want %d", tt.method, tt.url, tt.host, resp.StatusCode, tt.status)
		}
	}
}

// TestMTASTSCertificate: the policy server's certificate is for
// mta-sts.lab.test only, and the SMTP certificate covers both MX hosts, as
// MTA-STS requires (RFC 8461 section 4.1).
func TestMTASTSCertificate(t *testing.T) {
	l := start(t, lab.Config{})
	for _, name := range []string{"mx1.lab.test", "localhost", "lab.test"} {
		conn, err := tls.Dial("tcp", l.PolicyAddr(), &tls.Config{RootCAs: l.CertPool(), ServerName: name})
		if err == nil {
			conn.Close()
			t.Errorf("the policy certificate verified for %s", name)
		}
	}
	for _, mx := range lab.MXHosts {
		c := dial(t, addr(t, l, "mx"))
		c.reply()
		c.cmd("EHLO client.test")
		c.startTLS(l.CertPool(), mx) // fails the test unless verified for mx
		c.expect("QUIT", "221 ")
	}
}
