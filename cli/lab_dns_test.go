package cli

import (
	"bytes"
	"context"
	"crypto/tls"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/ehlo-sh/ehlo/lab"
)

// bannerWriter collects runLab's output and closes done once the banner's
// last line is written.
type bannerWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	done chan struct{}
}

func (w *bannerWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.buf.Write(p)
	if strings.Contains(w.buf.String(), "\ntry: ") && strings.HasSuffix(w.buf.String(), "\n") && w.done != nil {
		close(w.done)
		w.done = nil
	}
	return n, err
}

func (w *bannerWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestLabBannerDNS: ehlo lab prints its DNS server, the MTA-STS policy
// server, where lab.test's MX hosts listen, and a dig command that works.
func TestLabBannerDNS(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	out := &bannerWriter{done: done}
	cfg := lab.Config{Host: "127.0.0.1"}
	result := make(chan error, 1)
	go func() { result <- runLab(ctx, out, cfg, "") }()
	select {
	case <-done:
	case err := <-result:
		t.Fatalf("runLab: %v\n%s", err, out)
	case <-time.After(30 * time.Second):
		t.Fatalf("no dig hint in:\n%s", out)
	}
	banner := out.String()
	dnsLine := regexp.MustCompile(`(?m)^  dns +(127\.0\.0\.1:(\d+)) +lab\.test and forged\.test, UDP and TCP; .*insecure \(no AD bit\)$`).FindStringSubmatch(banner)
	dig := regexp.MustCompile(`(?m)^ +try: dig @127\.0\.0\.1 -p (\d+) lab\.test MX$`).FindStringSubmatch(banner)
	mx := regexp.MustCompile(`(?m)^  MX +lab\.test: mx1\.lab\.test \(10\), mx2\.lab\.test \(20\), both the mx endpoint, port (\d+)$`).FindStringSubmatch(banner)
	endpoint := regexp.MustCompile(`(?m)^  mx +127\.0\.0\.1:(\d+) `).FindStringSubmatch(banner)
	if dnsLine == nil || dig == nil || mx == nil || endpoint == nil ||
		!regexp.MustCompile(`(?m)^  mta-sts +127\.0\.0\.1:\d+ +https://mta-sts\.lab\.test/\.well-known/mta-sts\.txt `).MatchString(banner) {
		t.Fatalf("banner lacks the DNS, MTA-STS or MX lines:\n%s", banner)
	}
	if dig[1] != dnsLine[2] || mx[1] != endpoint[1] {
		t.Errorf("dig port %s, DNS port %s; MX port %s, mx endpoint port %s", dig[1], dnsLine[2], mx[1], endpoint[1])
	}
	q := new(dns.Msg)
	q.SetQuestion("lab.test.", dns.TypeMX)
	c := &dns.Client{Timeout: 5 * time.Second}
	r, _, err := c.Exchange(q, net.JoinHostPort("127.0.0.1", dig[1]))
	if err != nil || len(r.Answer) != 2 || r.AuthenticatedData {
		t.Errorf("the dig hint's server: %v %v", r, err)
	}
	cancel()
	if err := <-result; err != nil {
		t.Fatal(err)
	}
}

// TestLabRoute: what a --mx command gets for lab.test leads to the lab: its
// resolver names both MX hosts, whose address and mxPort are the mx
// endpoint's, and its policy port serves the policy under the lab CA.
func TestLabRoute(t *testing.T) {
	l, rt, err := startLabRoute()
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c := &dns.Client{Timeout: 5 * time.Second}
	q := new(dns.Msg)
	q.SetQuestion(lab.MXHosts[1]+".", dns.TypeA)
	r, _, err := c.Exchange(q, rt.resolver)
	if err != nil || len(r.Answer) != 1 {
		t.Fatalf("%s A from %s: %v %v", lab.MXHosts[1], rt.resolver, r, err)
	}
	mx, _ := l.Endpoint("mx")
	if got := net.JoinHostPort(r.Answer[0].(*dns.A).A.String(), strconv.Itoa(rt.mxPort)); got != mx.Addr {
		t.Errorf("%s:%d is %s, the mx endpoint is on %s", lab.MXHosts[1], rt.mxPort, got, mx.Addr)
	}
	q.SetQuestion(lab.PolicyHost+".", dns.TypeA)
	if r, _, err = c.Exchange(q, rt.resolver); err != nil || len(r.Answer) != 1 {
		t.Fatalf("%s A: %v %v", lab.PolicyHost, r, err)
	}
	policy := net.JoinHostPort(r.Answer[0].(*dns.A).A.String(), rt.policyPort)
	conn, err := tls.Dial("tcp", policy, &tls.Config{RootCAs: rt.rootCAs, ServerName: lab.PolicyHost})
	if err != nil {
		t.Fatalf("policy host at %s: %v", policy, err)
	}
	conn.Close()
}
