package domain

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ehlo-sh/ehlo/dns"
)

// MTA-STS verdicts of a domain's policy, before any MX is judged.
const (
	STSNone        = "not published"  // no _mta-sts record: the domain has no MTA-STS
	STSRecordError = "record invalid" // the record is malformed, or there are several (RFC 8461 3.1)
	STSLookupError = "record lookup failed"
	STSFetchError  = "policy fetch failed" // sts-policy-fetch-error
	STSWebPKI      = "policy host certificate invalid"
	STSInvalid     = "policy invalid" // sts-policy-invalid
	STSOK          = "policy in force"
)

// PolicyLimit is the most of a policy body read (RFC 8461 3.3 lets a
// sender stop at 64 KB); a longer one is refused.
const PolicyLimit = 64 << 10

// DefaultPolicyTimeout bounds the policy fetch when the context has no
// sooner deadline (RFC 8461 3.3: senders should time out; mox takes a
// minute).
const DefaultPolicyTimeout = 30 * time.Second

// FetchOptions shape the policy fetch.
type FetchOptions struct {
	RootCAs *x509.CertPool // nil: the system roots (--ca for tests)
	Port    string         // "" means 443; a lab may serve elsewhere
	Timeout time.Duration  // 0 means DefaultPolicyTimeout
	Only4   bool
	Only6   bool
}

// STS is what a domain publishes for MTA-STS.
type STS struct {
	Record  string // the _mta-sts TXT record, joined, unsanitized
	ID      string
	Query   *Query
	Host    string // mta-sts.<domain>
	URL     string
	Status  int    // the HTTP status, 0 when none came
	Type    string // the Content-Type served
	Body    string // the policy as served, at most PolicyLimit bytes; unsanitized
	Policy  *Policy
	Start   time.Time     // when the HTTPS fetch began
	Took    time.Duration // the HTTPS fetch
	Verdict string        // one of the STS* constants
	Why     string
	Result  string // the IANA result type of a failure: sts-policy-fetch-error, sts-policy-invalid, sts-webpki-invalid
}

// Enforced reports whether a policy in force asks senders to refuse MX
// hosts that fail it.
func (s STS) Enforced() bool {
	return s.Policy != nil && s.Verdict == STSOK && s.Policy.Mode == ModeEnforce
}

// LookupSTS asks for the _mta-sts TXT record (RFC 8461 3.1) and, when
// there is one, fetches the policy over HTTPS (RFC 8461 3.3).
func LookupSTS(ctx context.Context, r dns.Resolver, d Name, o FetchOptions) STS {
	var s STS
	name := "_mta-sts." + d.FQDN()
	a, err := r.Lookup(ctx, name, dns.TypeTXT)
	s.Query = &Query{Name: name, Type: dns.TypeTXT, Answer: a, Err: err}
	switch outcome(a, err) {
	case NoData, NXDomain:
		s.Verdict, s.Why = STSNone, "no TXT record at "+strings.TrimSuffix(name, ".")
		return s
	case Found:
	default:
		s.Verdict, s.Why = STSLookupError, describe(a, err)
		return s
	}
	var records []string
	for _, rec := range a.Records {
		txt := strings.Join(rec.TXT, "")
		if strings.HasPrefix(txt, "v=STSv1") {
			records = append(records, txt)
		}
	}
	switch len(records) {
	case 0:
		s.Verdict, s.Why = STSNone, "TXT records at "+strings.TrimSuffix(name, ".")+", none beginning v=STSv1"
		return s
	case 1:
	default:
		s.Verdict, s.Why = STSRecordError, fmt.Sprintf("%d records begin v=STSv1: a sender treats the domain as without MTA-STS (RFC 8461 3.1)", len(records))
		return s
	}
	s.Record = records[0]
	id, err := parseSTSRecord(s.Record)
	if err != nil {
		s.Verdict, s.Why = STSRecordError, err.Error()+": a sender treats the domain as without MTA-STS (RFC 8461 3.1)"
		return s
	}
	s.ID = id
	if o.RootCAs == nil {
		// The policy host's certificate is judged on the system roots:
		// load them (~15 ms of CPU, once per process) while its address is
		// looked up and connected to, not in its handshake.
		go x509.SystemCertPool()
	}
	s.fetch(ctx, r, d, o)
	return s
}

// parseSTSRecord reads "v=STSv1; id=…" (RFC 8461 3.1) and gives its id.
func parseSTSRecord(txt string) (string, error) {
	fields := strings.Split(txt, ";")
	if strings.TrimRight(fields[0], " \t") != "v=STSv1" {
		return "", fmt.Errorf("the record does not begin \"v=STSv1;\": %s", quote(txt))
	}
	id := ""
	for _, f := range fields[1:] {
		f = strings.Trim(f, " \t")
		if f == "" {
			continue
		}
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return "", fmt.Errorf("field %s is not key=value", quote(f))
		}
		if k == "id" && id == "" {
			if v == "" || len(v) > 32 || strings.TrimLeft(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != "" {
				return "", fmt.Errorf("id %s is not 1 to 32 letters and digits", quote(v))
			}
			id = v
		}
	}
	if id == "" {
		return "", errors.New("the record has no id")
	}
	return id, nil
}

// errRedirect is a 3xx, which RFC 8461 3.3 forbids following.
var errRedirect = errors.New("redirect")

// fetch gets and parses the policy.
func (s *STS) fetch(ctx context.Context, r dns.Resolver, d Name, o FetchOptions) {
	host := "mta-sts." + d.ASCII
	s.Host, s.URL = host, "https://"+host+"/.well-known/mta-sts.txt"
	ctx, cancel := context.WithTimeout(ctx, cmpDur(o.Timeout, DefaultPolicyTimeout))
	defer cancel()
	s.Start = time.Now()
	body, err := s.get(ctx, policyClient(r, o, host))
	s.Took = time.Since(s.Start)
	if err != nil {
		s.fetchFailed(err)
		return
	}
	s.Body = body
	p, err := ParsePolicy(body)
	if err != nil {
		s.Verdict, s.Why, s.Result = STSInvalid, err.Error(), "sts-policy-invalid"
		return
	}
	s.Policy, s.Verdict = &p, STSOK
}

func cmpDur(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// policyError is a fetch that got an answer a sender cannot use.
type policyError struct {
	invalid bool // sts-policy-invalid rather than sts-policy-fetch-error
	why     string
}

func (e *policyError) Error() string { return e.why }

// get fetches the policy body: one GET, no redirect, status 200,
// text/plain, at most PolicyLimit bytes.
func (s *STS) get(ctx context.Context, c *http.Client) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL, nil)
	if err != nil {
		return "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	// net/http hands over a response that raced the deadline: closing the
	// connection at the deadline can make a server that was waiting answer
	// (an empty 200, say) before the close lands. Past the time allowed,
	// what came is no policy, whatever it says.
	if err := ctx.Err(); err != nil {
		return "", err
	}
	s.Status, s.Type = resp.StatusCode, resp.Header.Get("Content-Type")
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return "", &policyError{why: fmt.Sprintf("HTTP %d redirect to %s, which RFC 8461 3.3 forbids following",
			resp.StatusCode, quote(resp.Header.Get("Location")))}
	case resp.StatusCode != http.StatusOK:
		return "", &policyError{why: fmt.Sprintf("HTTP %s: no policy served", resp.Status)}
	}
	if mt, _, err := mime.ParseMediaType(s.Type); err != nil || mt != "text/plain" {
		return "", &policyError{invalid: true, why: fmt.Sprintf("served as %s, not text/plain (RFC 8461 3.2)", quote(s.Type))}
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, PolicyLimit+1))
	if err != nil {
		return "", err
	}
	if len(b) > PolicyLimit {
		return "", &policyError{why: fmt.Sprintf("the policy is longer than %d KB; ehlo read no further (RFC 8461 3.3)", PolicyLimit>>10)}
	}
	return string(b), nil
}

// fetchFailed names a failed fetch: the HTTPS certificate
// (sts-webpki-invalid), a policy unusable as served (sts-policy-invalid),
// or no policy (sts-policy-fetch-error).
func (s *STS) fetchFailed(err error) {
	var (
		pe  *policyError
		cve *tls.CertificateVerificationError
		dnf *noAddressError
	)
	switch {
	case errors.As(err, &pe) && pe.invalid:
		s.Verdict, s.Why, s.Result = STSInvalid, pe.why, "sts-policy-invalid"
	case errors.As(err, &pe):
		s.Verdict, s.Why, s.Result = STSFetchError, pe.why, "sts-policy-fetch-error"
	case errors.As(err, &cve):
		s.Verdict, s.Result = STSWebPKI, "sts-webpki-invalid"
		s.Why = "the certificate of " + s.Host + " did not verify: " + CertWords(cve.Err)
	case errors.As(err, &dnf):
		s.Verdict, s.Why, s.Result = STSFetchError, dnf.Error(), "sts-policy-fetch-error"
	case errors.Is(err, context.DeadlineExceeded):
		s.Verdict, s.Why, s.Result = STSFetchError, "no policy within the time allowed", "sts-policy-fetch-error"
	case netWords(err) != "":
		s.Verdict, s.Why, s.Result = STSFetchError, netWords(err), "sts-policy-fetch-error"
	default:
		s.Verdict, s.Result = STSFetchError, "sts-policy-fetch-error"
		s.Why = strings.TrimPrefix(unwrapURL(err).Error(), "Get ")
	}
}

// netWords says in words why the connection to the policy host failed, or
// "" when err is not a failed connection.
func netWords(err error) string {
	var op *net.OpError
	if !errors.As(err, &op) {
		return ""
	}
	addr := "the policy host"
	if op.Addr != nil {
		addr = op.Addr.String()
	}
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused: nothing listens for HTTPS on " + addr
	case errors.Is(err, syscall.ECONNRESET):
		return "the connection to " + addr + " was reset before the policy came"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "no route to " + addr
	}
	return ""
}

// unwrapURL drops net/http's "Get URL: " wrapper, said elsewhere.
func unwrapURL(err error) error {
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) && strings.HasPrefix(err.Error(), "Get ") {
		if inner := ue.Unwrap(); inner != nil {
			return inner
		}
	}
	return err
}

// noAddressError is a policy host that does not resolve.
type noAddressError struct {
	host, why string
}

func (e *noAddressError) Error() string { return e.host + " does not resolve: " + e.why }

// policyClient is an HTTPS client that finds the policy host through r
// (the resolver the user chose, not the system's), verifies it with WebPKI
// against o.RootCAs, follows no redirect, uses no proxy and bounds the
// response headers.
func policyClient(r dns.Resolver, o FetchOptions, host string) *http.Client {
	dialer := &net.Dialer{}
	port := o.Port
	if port == "" {
		port = "443"
	}
	dial := func(ctx context.Context, network, _ string) (net.Conn, error) {
		addrs, err := hostAddrs(ctx, r, host, o)
		if err != nil {
			return nil, err
		}
		var errs []error
		for _, a := range addrs {
			c, err := dialer.DialContext(ctx, "tcp", netip.AddrPortFrom(a, portNumber(port)).String())
			if err == nil {
				return c, nil
			}
			errs = append(errs, err)
		}
		return nil, errors.Join(errs...)
	}
	return &http.Client{
		Transport: &http.Transport{
			DialContext:            dial,
			TLSClientConfig:        &tls.Config{RootCAs: o.RootCAs, MinVersion: tls.VersionTLS12},
			ForceAttemptHTTP2:      false,
			MaxResponseHeaderBytes: 16 << 10,
			DisableKeepAlives:      true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// portNumber reads a port; anything but 1 to 65535 is 443.
func portNumber(p string) uint16 {
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return 443
	}
	return uint16(n)
}

// hostAddrs looks up a host's addresses through r.
func hostAddrs(ctx context.Context, r dns.Resolver, host string, o FetchOptions) ([]netip.Addr, error) {
	var addrs []netip.Addr
	var whys []string
	for _, t := range []uint16{dns.TypeA, dns.TypeAAAA} {
		if t == dns.TypeA && o.Only6 || t == dns.TypeAAAA && o.Only4 {
			continue
		}
		a, err := r.Lookup(ctx, host+".", t)
		if outcome(a, err) != Found {
			whys = append(whys, TypeName(t)+": "+describe(a, err))
			continue
		}
		for _, rec := range a.Records {
			if rec.Addr.IsValid() {
				addrs = append(addrs, rec.Addr.Unmap())
			}
		}
	}
	if len(addrs) == 0 {
		return nil, &noAddressError{host: host, why: strings.Join(whys, "; ")}
	}
	return addrs, nil
}
