package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ehlo-sh/ehlo/lab"
	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

func startLab(t *testing.T) *lab.Lab {
	t.Helper()
	l, err := lab.Start(lab.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func labJob(t *testing.T, l *lab.Lab, name string) Job {
	t.Helper()
	ep, ok := l.Endpoint(name)
	if !ok {
		t.Fatalf("no endpoint %s", name)
	}
	return Job{Target: ep.Addr, Options: Options{RootCAs: l.CertPool(), ImplicitTLS: ep.ImplicitTLS, Timeout: 5 * time.Second}}
}

func probeLab(t *testing.T, l *lab.Lab, name string) ProbeResult {
	t.Helper()
	j := labJob(t, l, name)
	return Probe(context.Background(), j.Target, j.Options)
}

func TestProbeSubmissionShowsAuthOnlyAfterStartTLS(t *testing.T) {
	r := probeLab(t, startLab(t), "submission")
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	plain, secure := r.Plain(), r.Secure()
	if plain == nil || secure == nil {
		t.Fatalf("want EHLO before and after TLS, got %d", len(r.Hellos))
	}
	if plain.Caps.Has("AUTH") || !plain.Caps.Has("STARTTLS") {
		t.Errorf("before TLS: want STARTTLS and no AUTH, got %+v", plain.Caps.List)
	}
	if got := strings.Join(secure.Caps.AuthMechanisms(), " "); got != "PLAIN LOGIN CRAM-MD5" {
		t.Errorf("after TLS: AUTH mechanisms %q", got)
	}
	if r.TLS == nil || !r.TLS.Verified {
		t.Errorf("TLS not verified: %+v", r.TLS)
	}
	d, ok := r.Diff()
	if !ok || len(d.Added) == 0 || d.Added[0].Keyword != "AUTH" {
		t.Errorf("diff should show AUTH added: %+v", d)
	}
}

func TestProbeJSON(t *testing.T) {
	r := probeLab(t, startLab(t), "submission")
	var out bytes.Buffer
	if err := json.NewEncoder(&out).Encode(r.JSON(false)); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Target      string `json:"target"`
		Address     string `json:"address"`
		ImplicitTLS bool   `json:"implicit_tls"`
		Greeting    struct {
			Code int    `json:"code"`
			Text string `json:"text"`
		} `json:"greeting"`
		EHLO []struct {
			TLS        bool              `json:"tls"`
			Code       int               `json:"code"`
			Extensions map[string]string `json:"extensions"`
		} `json:"ehlo"`
		TLS struct {
			Version      string `json:"version"`
			Verified     bool   `json:"verified"`
			VerifyError  string `json:"verify_error"`
			Certificates []struct {
				Subject  string   `json:"subject"`
				DNSNames []string `json:"dns_names"`
				NotAfter string   `json:"not_after"`
				SHA256   string   `json:"sha256"`
			} `json:"certificates"`
		} `json:"tls"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Greeting.Code != 220 || got.Address == "" || got.ImplicitTLS || got.Error != "" {
		t.Errorf("header fields: %+v", got)
	}
	if len(got.EHLO) != 2 || got.EHLO[0].TLS || !got.EHLO[1].TLS {
		t.Fatalf("ehlo: %+v", got.EHLO)
	}
	if _, ok := got.EHLO[0].Extensions["AUTH"]; ok {
		t.Error("AUTH before TLS")
	}
	if got.EHLO[0].Extensions["SIZE"] != "35882577" || got.EHLO[1].Extensions["AUTH"] != "PLAIN LOGIN CRAM-MD5" {
		t.Errorf("extensions: %+v", got.EHLO)
	}
	if got.TLS.Version != "TLS 1.3" || !got.TLS.Verified || len(got.TLS.Certificates) == 0 {
		t.Fatalf("tls: %+v", got.TLS)
	}
	c := got.TLS.Certificates[0]
	if len(c.SHA256) != 64 || !strings.Contains(strings.Join(c.DNSNames, " "), "localhost") {
		t.Errorf("certificate: %+v", c)
	}
	if _, err := time.Parse(time.RFC3339, c.NotAfter); err != nil {
		t.Errorf("not_after: %v", err)
	}
}

func TestProbeEndpoints(t *testing.T) {
	l := startLab(t)
	tests := []struct {
		name         string
		hellos       int
		implicit     bool
		authPlain    bool // AUTH in the first EHLO
		authAfterTLS bool
	}{
		{"mx", 2, false, false, false},
		{"smtps", 1, true, true, true},
		{"legacy", 1, false, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := probeLab(t, l, tt.name)
			if r.Err != nil {
				t.Fatal(r.Err)
			}
			if len(r.Hellos) != tt.hellos || r.ImplicitTLS != tt.implicit {
				t.Fatalf("hellos %d implicit %v", len(r.Hellos), r.ImplicitTLS)
			}
			if got := r.Hellos[0].Caps.Has("AUTH"); got != tt.authPlain {
				t.Errorf("AUTH in first EHLO = %v", got)
			}
			if s := r.Secure(); s != nil && s.Caps.Has("AUTH") != tt.authAfterTLS {
				t.Errorf("AUTH after TLS = %v", s.Caps.Has("AUTH"))
			}
		})
	}
}

func TestProbeUnverifiedCertificate(t *testing.T) {
	l := startLab(t)
	j := labJob(t, l, "submission")
	j.Options.RootCAs = nil // the lab's CA is not trusted

	r := Probe(context.Background(), j.Target, j.Options)
	var v *wire.VerifyError
	if !errors.As(r.Err, &v) {
		t.Fatalf("want a VerifyError, got %v", r.Err)
	}
	if r.TLS == nil || len(r.TLS.Chain) == 0 {
		t.Fatal("the chain of a failed verification is lost")
	}
	if msg := Explain(r.Err); !strings.Contains(msg, "unknown authority") || !strings.Contains(msg, "--insecure") {
		t.Errorf("explanation: %s", msg)
	}
	if r.Secure() != nil {
		t.Error("the probe went on inside an unverified TLS session without --insecure")
	}

	j.Options.Insecure = true
	r = Probe(context.Background(), j.Target, j.Options)
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	if r.TLS.Verified || !r.TLS.Insecure || r.Secure() == nil {
		t.Errorf("insecure probe: verified=%v insecure=%v", r.TLS.Verified, r.TLS.Insecure)
	}
	var out bytes.Buffer
	WriteProbe(&out, r)
	if !strings.Contains(out.String(), "UNVERIFIED") {
		t.Errorf("text output does not say UNVERIFIED:\n%s", out.String())
	}
}

func TestProbeNameMismatch(t *testing.T) {
	l := startLab(t)
	j := labJob(t, l, "submission")
	j.Options.ServerName = "smtp.example.org"
	r := Probe(context.Background(), j.Target, j.Options)
	if msg := Explain(r.Err); !strings.Contains(msg, "name mismatch") || !strings.Contains(msg, "smtp.example.org") ||
		!strings.Contains(msg, "--servername") || strings.Contains(msg, "--ca") {
		t.Errorf("explanation: %s; want the mismatch and --servername as the fix (--ca cannot fix a name)", msg)
	}
}

// TestExplainConnectFailures: why a connection could not be made, in words
// a user can act on, without the dial's internals.
func TestExplainConnectFailures(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	refused := Probe(context.Background(), closed, Options{Timeout: 5 * time.Second}).Err
	noHost := &StepError{Step: StepConnect, Err: &wire.DialError{Target: "nosuchhost.invalid:25",
		Err: &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "nosuchhost.invalid", IsNotFound: true}}}}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{refused, "connect: connection refused: nothing listens on " + closed + " (a wrong port, or the server is down)"},
		{noHost, `connect: no such host "nosuchhost.invalid"`},
	} {
		if got := Explain(tc.err); !strings.HasPrefix(got, tc.want) || strings.Contains(got, "wire:") {
			t.Errorf("Explain(%v) = %q, want it to start %q", tc.err, got, tc.want)
		}
	}
}

// TestStepErrorSaysTheStepOnce: "AUTH refused: 535 ...", not
// "AUTH: AUTH refused: 535 ...".
func TestStepErrorSaysTheStepOnce(t *testing.T) {
	r := session.Reply{Code: 535, Lines: []string{"authentication failed"}}
	if got := stepErr(StepAuth, &RefusedError{Command: "AUTH", Reply: r}).Error(); got != "AUTH refused: 535 authentication failed" {
		t.Errorf("got %q", got)
	}
	if got := stepErr(StepGreeting, errors.New("closed")).Error(); got != "greeting: closed" {
		t.Errorf("got %q", got)
	}
}

func TestProbeText(t *testing.T) {
	r := probeLab(t, startLab(t), "submission")
	var out bytes.Buffer
	WriteProbe(&out, r)
	for _, want := range []string{
		"greeting  220 submission.lab.test",
		"* STARTTLS",
		"(no AUTH here",
		"+ * AUTH PLAIN LOGIN CRAM-MD5",
		"appeared only after STARTTLS",
		"- STARTTLS",
		"SIZE 35882577",
		"34.2 MiB",
		"verified for 127.0.0.1",
		"=> AUTH is offered only after STARTTLS",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("missing %q in:\n%s", want, out.String())
		}
	}
}

func TestProbeAllKeepsOrder(t *testing.T) {
	l := startLab(t)
	jobs := []Job{labJob(t, l, "legacy"), labJob(t, l, "smtps"), labJob(t, l, "mx"), {Target: "127.0.0.1:1", Options: Options{Timeout: time.Second}}}
	rs := ProbeAll(context.Background(), jobs, 2)
	for i, r := range rs {
		if r.Target != jobs[i].Target {
			t.Errorf("result %d is for %s, want %s", i, r.Target, jobs[i].Target)
		}
	}
	if rs[3].Err == nil || !isStep(rs[3].Err, StepConnect) {
		t.Errorf("closed port: %v", rs[3].Err)
	}
}

func TestProbeTranscriptOrder(t *testing.T) {
	r := probeLab(t, startLab(t), "submission")
	var out bytes.Buffer
	if err := WriteTranscript(&out, r.Transcript.Entries(), TranscriptFormat{}); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	order := []string{"S: 220 submission", "C: EHLO ehlo.localhost", "S: 250-", "C: STARTTLS", "S: 220 2.0.0", "C~ EHLO ehlo.localhost", "S~ 250-", "C~ QUIT"}
	at := 0
	for _, w := range order {
		i := strings.Index(text[at:], w)
		if i < 0 {
			t.Fatalf("transcript lacks %q after offset %d:\n%s", w, at, text)
		}
		at += i
	}
}

// TestProbeInterruptedKeepsWhatItLearnt: Ctrl-C on a probe stuck at a step
// (here a server that never answers STARTTLS) reports that step and keeps
// what came before it, for the report to show where the server hung.
func TestProbeInterruptedKeepsWhatItLearnt(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	addr := fakeServer(t, func(_ int, c net.Conn, r *bufio.Reader) {
		c.Write([]byte("220 hang.test ESMTP\r\n"))
		r.ReadString('\n') // EHLO
		c.Write([]byte("250-hang.test\r\n250 STARTTLS\r\n"))
		r.ReadString('\n') // STARTTLS, never answered
		cancel()           // the user gives up
		r.ReadByte()
	})
	r := Probe(ctx, addr, Options{Timeout: time.Minute})
	if got := Explain(r.Err); !strings.HasPrefix(got, "interrupted (Ctrl-C) at STARTTLS") {
		t.Errorf("Explain = %q", got)
	}
	if r.Greeting == nil || r.Plain() == nil || !r.Plain().Caps.Has("STARTTLS") {
		t.Fatalf("the greeting and the first EHLO were lost: %+v", r)
	}
	var out bytes.Buffer
	WriteProbe(&out, r)
	if !strings.Contains(out.String(), "220 hang.test ESMTP") || !strings.Contains(out.String(), "interrupted (Ctrl-C) at STARTTLS") {
		t.Errorf("report:\n%s", out.String())
	}
}

// TestHelloJSONDomain: the first line of a 250 to EHLO or HELO is the
// server's domain, then free text (RFC 5321 4.1.1.1); JSON gives them
// apart, as Exim and OpenSMTPD fill the text, and after a HELO fallback
// too.
func TestHelloJSONDomain(t *testing.T) {
	for _, tt := range []struct {
		lines         []string
		helo          bool
		domain, greet string
	}{
		{[]string{"250-mail.example.org Hello foo [192.0.2.1]", "250 SIZE 52428800"}, false, "mail.example.org", "Hello foo [192.0.2.1]"},                                                  // Exim
		{[]string{"250-mx.example.org Hello client.test [192.0.2.1], pleased to meet you", "250 8BITMIME"}, false, "mx.example.org", "Hello client.test [192.0.2.1], pleased to meet you"}, // OpenSMTPD
		{[]string{"250-mx.example.org", "250 PIPELINING"}, false, "mx.example.org", ""},                                                                                                    // Postfix
		{[]string{"250 mx.example.org Hello client.test"}, true, "mx.example.org", "Hello client.test"},
		{[]string{"250 mx.example.org"}, true, "mx.example.org", ""},
		{[]string{"550 5.7.1 go away"}, false, "", ""},
	} {
		r, err := session.ParseReply(tt.lines)
		if err != nil {
			t.Fatal(err)
		}
		h := Hello{HELO: tt.helo, Reply: r}
		if !tt.helo {
			h.Caps = session.ParseEHLO(r)
		}
		got := helloJSON(h)
		if got.Domain != tt.domain || got.Greet != tt.greet {
			t.Errorf("%q: domain %q greet %q, want %q %q", tt.lines, got.Domain, got.Greet, tt.domain, tt.greet)
		}
	}
}
