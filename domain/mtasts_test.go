package domain

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ehlo-sh/ehlo/dns"
)

const goodPolicy = "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.org\r\nmx: *.example.net\r\nmax_age: 86400\r\n"

func TestParsePolicy(t *testing.T) {
	tests := []struct {
		name, body, err string
		mode            string
		mx              []string
	}{
		{"CRLF", goodPolicy, "", ModeEnforce, []string{"mx1.example.org", "*.example.net"}},
		{"LF, no final newline", "version: STSv1\nmode: testing\nmx: mx1.example.org\nmax_age: 60", "", ModeTesting, []string{"mx1.example.org"}},
		{"mode none needs no mx", "version: STSv1\nmode: none\nmax_age: 0\n", "", ModeNone, nil},
		{"unknown keys ignored", "version: STSv1\nmode: enforce\nfoo: bar\nmx: mx1.example.org\nmax_age: 60\n", "", ModeEnforce, []string{"mx1.example.org"}},
		{"only the first mode counts", "version: STSv1\nmode: testing\nmode: enforce\nmx: a.example.org\nmax_age: 60\n", "", ModeTesting, []string{"a.example.org"}},
		{"version not first", "mode: enforce\nversion: STSv1\nmx: a.example.org\nmax_age: 1\n", "line 1", "", nil},
		{"bad version", "version: STSv2\nmode: enforce\n", "version \"STSv2\"", "", nil},
		{"bad mode", "version: STSv1\nmode: strict\nmx: a.example.org\nmax_age: 1\n", "line 2: mode \"strict\"", "", nil},
		{"max_age not a number", "version: STSv1\nmode: enforce\nmx: a.example.org\nmax_age: 1e9\n", "line 4: max_age \"1e9\"", "", nil},
		{"max_age over a year", "version: STSv1\nmode: enforce\nmx: a.example.org\nmax_age: 31557601\n", "max_age", "", nil},
		{"no max_age", "version: STSv1\nmode: enforce\nmx: a.example.org\n", "no max_age line", "", nil},
		{"enforce without mx", "version: STSv1\nmode: enforce\nmax_age: 5\n", "no mx line", "", nil},
		{"mx pattern not a host name", "version: STSv1\nmode: enforce\nmx: mail example org\nmax_age: 5\n", "line 3: mx pattern \"mail example org\" is not a host name", "", nil},
		{"mx pattern with a URL", "version: STSv1\nmode: enforce\nmx: https://mx.example.org/\nmax_age: 5\n", "mx pattern \"https://mx.example.org/\"", "", nil},
		{"mx pattern wildcard in the middle", "version: STSv1\nmode: enforce\nmx: mx.*.example.org\nmax_age: 5\n", "is not a host name", "", nil},
		{"mx pattern in U-labels", "version: STSv1\nmode: enforce\nmx: mx.bücher.example\nmax_age: 5\n", "A-labels", "", nil},
		{"CRLF injection: a bare CR hides a line", "version: STSv1\r\nmode: testing\rmode: enforce\r\nmx: a.example.org\r\nmax_age: 5\r\n", "line 2 holds a bare CR", "", nil},
		{"escape sequence", "version: STSv1\nmode: enforce\x1b[2K\nmx: a.example.org\nmax_age: 5\n", "line 2 holds an escape character (ESC)", "", nil},
		{"not key: value", "version: STSv1\nhello\n", "line 2 is not", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePolicy(tt.body)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || p.Mode != tt.mode || strings.Join(p.MX, " ") != strings.Join(tt.mx, " ") {
				t.Errorf("%+v, %v", p, err)
			}
		})
	}
}

func TestPolicyMatch(t *testing.T) {
	p, err := ParsePolicy(goodPolicy)
	if err != nil {
		t.Fatal(err)
	}
	for host, want := range map[string]string{
		"mx1.example.org": "mx1.example.org", "MX1.Example.ORG.": "mx1.example.org",
		"a.example.net": "*.example.net", "a.b.example.net": "", "example.net": "", "mx2.example.org": "",
	} {
		if got := p.Match(host); got != want {
			t.Errorf("Match(%q) = %q, want %q", host, got, want)
		}
	}
}

// policyServer serves handler over HTTPS on loopback with the
// mta-sts.example.org certificate, and a zone in which example.org
// publishes an MTA-STS record and mta-sts.example.org points there.
func policyServer(t *testing.T, cert tls.Certificate, handler http.HandlerFunc) (*zone, FetchOptions) {
	t.Helper()
	srv := httptest.NewUnstartedServer(handler)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are the test's point
	srv.StartTLS()
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	z := newZone()
	z.set("_mta-sts.example.org", dns.TypeTXT, true, txt("v=STSv1; id=20260101"))
	z.host("mta-sts.example.org", true, "127.0.0.1")
	return z, FetchOptions{RootCAs: pkiOnce().roots, Port: port, Timeout: 5 * time.Second}
}

func serve(body, ctype string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/mta-sts.txt" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", ctype)
		io.WriteString(w, body)
	}
}

func TestLookupSTS(t *testing.T) {
	p := pkiOnce()
	big := strings.Repeat("x", 10<<20)
	hold := make(chan struct{})
	tests := []struct {
		name    string
		cert    tls.Certificate
		handler http.HandlerFunc
		roots   *x509.CertPool // nil: the test CA
		verdict string
		result  string
		why     string
	}{
		{"policy in force", p.policy, serve(goodPolicy, "text/plain; charset=utf-8"), nil, STSOK, "", ""},
		{"404", p.policy, http.NotFound, nil, STSFetchError, "sts-policy-fetch-error", "HTTP 404"},
		{"redirect not followed", p.policy, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://evil.example/policy", http.StatusFound)
		}, nil, STSFetchError, "sts-policy-fetch-error", "HTTP 302 redirect to \"https://evil.example/policy\", which RFC 8461 3.3 forbids following"},
		{"10 MB policy", p.policy, serve(big, "text/plain"), nil, STSFetchError, "sts-policy-fetch-error", "longer than 64 KB"},
		{"wrong content type", p.policy, serve(goodPolicy, "text/html"), nil, STSInvalid, "sts-policy-invalid", "not text/plain"},
		{"policy that does not parse", p.policy, serve("version: STSv1\nmode: enforce\nmx: bad pattern!\nmax_age: 1\n", "text/plain"), nil,
			STSInvalid, "sts-policy-invalid", "mx pattern"},
		{"certificate for another name", p.other, serve(goodPolicy, "text/plain"), nil, STSWebPKI, "sts-webpki-invalid", "did not verify"},
		{"untrusted certificate", p.policy, serve(goodPolicy, "text/plain"), x509.NewCertPool(), STSWebPKI, "sts-webpki-invalid", "did not verify"},
		// The server never answers: its handler holds until the subtest
		// is over (not until the request's context ends, which lets the
		// server write an empty 200 if it notices the client going first).
		{"no answer in time", p.policy, func(w http.ResponseWriter, r *http.Request) { <-hold }, nil,
			STSFetchError, "sts-policy-fetch-error", "no policy within the time allowed"},
		// The server answers (an empty 200) only when it sees the client
		// go: the closing connection can draw that answer before the close
		// lands, and net/http hands it over. Past the deadline it is no
		// policy (this read "served as \"\"" in about 1 run in 75 under
		// load, before LookupSTS checked its deadline after the answer).
		{"answer as the client gives up", p.policy, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }, nil,
			STSFetchError, "sts-policy-fetch-error", "no policy within the time allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			z, o := policyServer(t, tt.cert, tt.handler)
			if tt.roots != nil {
				o.RootCAs = tt.roots
			}
			switch tt.name {
			case "no answer in time":
				o.Timeout = 300 * time.Millisecond
				t.Cleanup(func() { close(hold) }) // before the server's Close, which waits for the handler
			case "answer as the client gives up":
				o.Timeout = 300 * time.Millisecond
			}
			s := LookupSTS(ctx, z, Name{ASCII: "example.org"}, o)
			if s.Verdict != tt.verdict || s.Result != tt.result || !strings.Contains(s.Why, tt.why) {
				t.Errorf("verdict %q, result %q, why %q", s.Verdict, s.Result, s.Why)
			}
			if len(s.Body) > PolicyLimit {
				t.Errorf("body of %d bytes", len(s.Body))
			}
			if tt.verdict == STSOK && (s.Policy == nil || s.ID != "20260101" || !s.Enforced()) {
				t.Errorf("policy %+v, id %q", s.Policy, s.ID)
			}
		})
	}
}

func TestLookupSTSRecord(t *testing.T) {
	tests := []struct {
		name    string
		records []dns.Record
		verdict string
		why     string
	}{
		{"none", nil, STSNone, "no TXT record"},
		{"other TXT only", []dns.Record{txt("v=spf1 -all")}, STSNone, "none beginning v=STSv1"},
		{"two records", []dns.Record{txt("v=STSv1; id=1"), txt("v=STSv1; id=2")}, STSRecordError, "2 records"},
		{"no id", []dns.Record{txt("v=STSv1;")}, STSRecordError, "no id"},
		{"bad id", []dns.Record{txt("v=STSv1; id=a-b")}, STSRecordError, "id \"a-b\""},
		{"bidi in the record", []dns.Record{txt("v=STSv1; id=\u202e1")}, STSRecordError, "id \"\u202e1\" is not"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			z := newZone()
			if tt.records != nil {
				z.set("_mta-sts.example.org", dns.TypeTXT, false, tt.records...)
			}
			s := LookupSTS(ctx, z, Name{ASCII: "example.org"}, FetchOptions{})
			if s.Verdict != tt.verdict || !strings.Contains(s.Why, tt.why) {
				t.Errorf("verdict %q, why %q", s.Verdict, s.Why)
			}
		})
	}
	z := newZone()
	z.set("_mta-sts.example.org", dns.TypeTXT, true, txt("v=STSv1; id=1"))
	s := LookupSTS(ctx, z, Name{ASCII: "example.org"}, FetchOptions{Timeout: time.Second})
	if s.Verdict != STSFetchError || !strings.Contains(s.Why, "mta-sts.example.org does not resolve") {
		t.Errorf("policy host without address: %q %q", s.Verdict, s.Why)
	}
}

func TestParseRPT(t *testing.T) {
	rua, err := ParseRPT("v=TLSRPTv1; rua=mailto:tls@example.org,https://r.example.org/report")
	if err != nil || len(rua) != 2 {
		t.Errorf("%q, %v", rua, err)
	}
	for _, bad := range []string{"v=TLSRPTv1;", "v=TLSRPTv1; rua=ftp://x.example", "v=TLSRPTv2; rua=mailto:a@b.c", "v=TLSRPTv1; rua", "v=TLSRPTv1; rua=mailto:a@b.example\r\n250 OK"} {
		if _, err := ParseRPT(bad); err == nil {
			t.Errorf("ParseRPT(%q) accepted", bad)
		}
	}
	z := newZone()
	z.set("_smtp._tls.example.org", dns.TypeTXT, true, txt("v=TLSRPTv1; ", "rua=mailto:tls@example.org"))
	if r := LookupRPT(ctx, z, Name{ASCII: "example.org"}); r.Verdict != RPTOK || r.RUA[0] != "mailto:tls@example.org" {
		t.Errorf("split TXT strings: %+v", r)
	}
	if r := LookupRPT(ctx, newZone(), Name{ASCII: "example.org"}); r.Verdict != RPTNone {
		t.Errorf("none: %+v", r)
	}
}

// TestLookupSTSRefused: a policy host where nothing listens is said in
// words, not as Go's "dial tcp ...: connect: connection refused".
func TestLookupSTSRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	z := newZone()
	z.set("_mta-sts.example.org", dns.TypeTXT, true, txt("v=STSv1; id=20260101"))
	z.host("mta-sts.example.org", true, "127.0.0.1")
	s := LookupSTS(ctx, z, Name{ASCII: "example.org"}, FetchOptions{RootCAs: pkiOnce().roots, Port: port, Timeout: 5 * time.Second})
	want := "connection refused: nothing listens for HTTPS on 127.0.0.1:" + port
	if s.Verdict != STSFetchError || s.Result != "sts-policy-fetch-error" || s.Why != want {
		t.Errorf("verdict %q, result %q, why %q; want why %q", s.Verdict, s.Result, s.Why, want)
	}
	if strings.Contains(s.Why, "dial tcp") {
		t.Errorf("Go's words on screen: %q", s.Why)
	}
}
