package cli

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/internal/dnslab"
)

// dnsLabEnv is where the DNS lab is (scripts/dns-lab.sh, README "The DNS
// lab"); it skips t when its env file is not loaded.
func dnsLabEnv(t *testing.T) map[string]string {
	t.Helper()
	lab := dnslab.Need(t)
	return map[string]string{"EHLO_DNS_RESOLVER": lab.Resolver, "EHLO_DNS_CA": lab.CA}
}

// TestProbeMXDNSLab probes every MX zone of the DNS lab and checks the
// verdicts its README table gives ("The DNS lab"): the route, whether a DANE- and an
// MTA-STS-enforcing sender would deliver, the IANA result types, and the
// DANE verdict of the first MX.
func TestProbeMXDNSLab(t *testing.T) {
	env := dnsLabEnv(t)
	tests := []struct {
		zone     string
		route    string
		dane     string // delivers: yes, no, unknown
		sts      string
		verdicts []string
		mxDANE   string // the first MX's DANE verdict, "" to skip
		exit     int
	}{
		{"dane-ok.test", "mx", "yes", "yes", nil, "matched by record 1", 0},
		{"dane-mismatch.test", "mx", "no", "yes", []string{"tlsa-invalid"}, "no record matched", exitFailed},
		{"dane-bogus.test", "mx", "no", "yes", []string{"dnssec-invalid"}, "bogus", exitFailed},
		{"dane-insecure.test", "mx", "yes", "yes", nil, "TLSA insecure (ignored)", 0},
		{"dane-plaintext.test", "mx", "no", "yes", []string{"starttls-not-supported"}, "not checked: no TLS", exitFailed},
		{"dane-unusable.test", "mx", "yes", "yes", []string{"tlsa-invalid"}, "no usable TLSA record", exitFailed}, // TLS required, not checked
		{"dnssec-bogus.test", "none", "no", "no", []string{"dnssec-invalid"}, "", exitFailed},
		{"mx-null.test", "null-mx", "no", "no", nil, "", exitFailed},
		{"mx-implicit.test", "implicit", "yes", "yes", nil, "no TLSA", 0},
		{"mx-cname.test", "mx", "yes", "yes", nil, "matched by record 1", 0},
		{"mx-dangling.test", "mx", "yes", "yes", nil, "", 0},
		{"sts-enforce.test", "mx", "yes", "yes", nil, "no TLSA", 0},
		{"sts-mismatch.test", "mx", "yes", "yes", []string{"validation-failure"}, "", exitFailed}, // mx2 not listed; mx1 is
		{"sts-testing.test", "mx", "yes", "yes", []string{"validation-failure"}, "", exitFailed},  // reported, delivered
		{"sts-404.test", "mx", "yes", "yes", []string{"sts-policy-fetch-error"}, "", exitFailed},
		{"sts-badcert-name.test", "mx", "yes", "yes", []string{"sts-webpki-invalid"}, "", exitFailed},
		{"sts-badcert-untrusted.test", "mx", "yes", "yes", []string{"sts-webpki-invalid"}, "", exitFailed},
		{"sts-redirect.test", "mx", "yes", "yes", []string{"sts-policy-fetch-error"}, "", exitFailed},
		{"sts-huge.test", "mx", "yes", "yes", []string{"sts-policy-fetch-error"}, "", exitFailed},
		{"sts-invalid.test", "mx", "yes", "yes", []string{"sts-policy-invalid"}, "", exitFailed},
		{"sts-certmismatch.test", "mx", "yes", "no", []string{"certificate-host-mismatch"}, "", exitFailed},
		{"sts-plaintext.test", "mx", "yes", "no", []string{"starttls-not-supported"}, "", exitFailed},
		{"sts-hostile.test", "mx", "yes", "yes", []string{"sts-policy-invalid"}, "", exitFailed},
		{"txt-hostile.test", "mx", "yes", "yes", nil, "no TLSA", 0},       // both records invalid: no MTA-STS, no reports
		{"mx-many.test", "mx", "yes", "yes", nil, "no TLSA", 0},           // 500 MX over TCP: 20 examined, mx1 probed
		{"mx-loop.test", "mx", "unknown", "unknown", nil, "", exitFailed}, // SERVFAIL for the loop: a sender retries
	}
	for _, tt := range tests {
		t.Run(tt.zone, func(t *testing.T) {
			code, out, errOut := run(t, "probe", "--mx", "--json", "--mx-order", "stable", "--timeout", "10s",
				"--resolver", env["EHLO_DNS_RESOLVER"], "--ca", env["EHLO_DNS_CA"], tt.zone)
			var js client.DomainJSON
			if err := json.Unmarshal([]byte(out), &js); err != nil {
				t.Fatalf("exit %d, not JSON (%v):\n%s\n%s", code, err, out, errOut)
			}
			var mxDANE string
			if len(js.MX) > 0 {
				mxDANE = js.MX[0].DANE.Verdict
			}
			if code != tt.exit || js.Route != tt.route || js.DANE.Delivers != tt.dane || js.STS.Delivers != tt.sts ||
				!slices.Equal(js.Verdicts, append([]string{}, tt.verdicts...)) || tt.mxDANE != "" && mxDANE != tt.mxDANE {
				t.Errorf("exit %d, route %s, DANE %s (%s), MTA-STS %s (%s), verdicts %q, first MX's DANE %q",
					code, js.Route, js.DANE.Delivers, js.DANE.Why, js.STS.Delivers, js.STS.Why, js.Verdicts, mxDANE)
			}
		})
	}
}

// TestProbeMXUsage: arguments that name no domain, and flags that
// contradict each other, are usage errors said in words, before any
// question is asked; hostile bytes in them are shown escaped.
func TestProbeMXUsage(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"probe", "--mx"}, "needs at least one DOMAIN"},
		{[]string{"probe", "--mx", "-4", "-6", "example.org"}, "-4 and -6: give one of them"},
		{[]string{"probe", "--mx", "--mx-order", "sorted", "example.org"}, `--mx-order "sorted"`},
		{[]string{"probe", "--mx", "192.0.2.1"}, "an address literal has no MX"},
		{[]string{"probe", "bob@[192.0.2.1]"}, "an address literal has no MX"},
		{[]string{"probe", "--mx", "example.org:99999"}, "bad port"},
		{[]string{"probe", "--mx", "--resolver", "not-an-address", "example.org"}, "--resolver"},
		{[]string{"probe", "--mx", "--mta-sts-port", "x", "example.org"}, "--mta-sts-port"},
		{[]string{"probe", "--mx", "--no-starttls", "example.org"}, "--no-starttls does not apply with --mx"},
		{[]string{"probe", "--insecure", "bob@example.org"}, "--insecure does not apply with --mx"},
		{[]string{"probe", "--mx", "evil\x1b[31m\u202e.example"}, `\x1b`},
	}
	for _, tt := range tests {
		code, out, errOut := run(t, tt.args...)
		if code != exitUsage || !strings.Contains(errOut, tt.want) || strings.ContainsAny(out+errOut, "\x1b\u202e") {
			t.Errorf("%q: exit %d, stderr %q; want exit %d and %q, nothing raw", tt.args, code, errOut, exitUsage, tt.want)
		}
	}
}

// TestProbeMXDNSLabText reads the report a user reads, for two zones of
// the DNS lab.
func TestProbeMXDNSLabText(t *testing.T) {
	env := dnsLabEnv(t)
	tests := map[string][]string{
		"dane-ok.test": {"MX records, DNSSEC-validated", "DANE         matched by record 2", "NOT trusted for mx1.dane-ok.test: name mismatch",
			"a DANE-enforcing sender (RFC 7672):     delivers, to mx1.dane-ok.test (DANE matched by record 1)",
			"TLS-RPT  record  v=TLSRPTv1; rua=mailto:tlsrpt@dane-ok.test", "DNS TLSA _25._tcp.mx2.dane-ok.test", "probe mx2.dane-ok.test 127.0.55.2:25"},
		"sts-huge.test":    {"policy fetch failed: the policy is longer than 64 KB", "sts-policy-fetch-error: The _mta-sts record exists"},
		"sts-hostile.test": {`policy invalid: line 3 holds a bare CR (a line ends with CRLF or LF, RFC 8461 3.2): "mx: mx.sts-hostile.test\rmode: none"`},
		"txt-hostile.test": {`MTA-STS  record  v=STSv1; id=\x1b[2J\u202eevil;`, `TLS-RPT  record  v=TLSRPTv1; rua=mailto:\x1b]0;pwned\x07tlsrpt@txt-hostile.test`},
		"mx-many.test":     {"note: 500 MX records: the 20 most preferred are examined, 480 are not"},
	}
	for zone, want := range tests {
		code, out, errOut := run(t, "probe", "--mx", "--mx-order", "stable", "--resolver", env["EHLO_DNS_RESOLVER"], "--ca", env["EHLO_DNS_CA"], zone)
		if strings.ContainsAny(out+errOut, "\x1b\u202e\x07") {
			t.Errorf("%s: raw bytes from DNS or HTTPS on the terminal:\n%q", zone, out)
		}
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("%s (exit %d): no %q in\n%s%s", zone, code, w, out, errOut)
			}
		}
	}
}

// TestProbeMXLab: `ehlo probe --mx --lab` needs no network and no DNS
// lab: the built-in lab answers for lab.test over DNS (unsigned, so DANE
// ignores its TLSA records), serves its MTA-STS policy over HTTPS and its
// MX hosts on its own ports.
func TestProbeMXLab(t *testing.T) {
	tests := []struct {
		args          []string
		exit          int
		route         string
		dane, sts     string
		mxDANE, mxSTS string
	}{
		{[]string{"probe", "--mx", "--lab", "--json", "--mx-order", "stable"}, 0, "mx", "yes", "yes", "TLSA insecure (ignored)", "met"},
		{[]string{"probe", "--lab", "--json", "bob@nullmx.lab.test"}, exitFailed, "null-mx", "no", "no", "", ""},
		{[]string{"probe", "--mx", "--lab", "--json", "implicit.lab.test"}, 0, "implicit", "yes", "yes", "no TLSA", "no policy"},
		// No --lab, no resolver: lab.test is the lab's, as the README's first --mx example says.
		{[]string{"probe", "--mx", "--json", "--mx-order", "stable", "lab.test"}, 0, "mx", "yes", "yes", "TLSA insecure (ignored)", "met"},
		{[]string{"probe", "--json", "bob@nullmx.lab.test"}, exitFailed, "null-mx", "no", "no", "", ""},
	}
	t.Setenv("EHLO_RESOLVER", "") // the lab's names alone lead to the lab only when no resolver is named
	for _, tt := range tests {
		code, out, errOut := run(t, tt.args...)
		var js client.DomainJSON
		if err := json.Unmarshal([]byte(out), &js); err != nil {
			t.Fatalf("%q: exit %d, not JSON (%v):\n%s\n%s", tt.args, code, err, out, errOut)
		}
		var mxDANE, mxSTS string
		if len(js.MX) > 0 && len(js.MX[0].Probes) > 0 {
			mxDANE, mxSTS = js.MX[0].DANE.Verdict, js.MX[0].Probes[0].MTASTS
		}
		if code != tt.exit || js.Route != tt.route || js.DANE.Delivers != tt.dane || js.STS.Delivers != tt.sts ||
			mxDANE != tt.mxDANE || mxSTS != tt.mxSTS || len(js.Verdicts) != 0 {
			t.Errorf("%q: exit %d, route %s, DANE %s, MTA-STS %s, first MX %q / %q, verdicts %q\n%s", tt.args, code, js.Route,
				js.DANE.Delivers, js.STS.Delivers, mxDANE, mxSTS, js.Verdicts, errOut)
		}
	}
	if code, _, errOut := run(t, "probe", "--mx", "--lab", "--resolver", "127.0.0.1", "lab.test"); code != exitUsage ||
		!strings.Contains(errOut, "--resolver and --lab together") {
		t.Errorf("--resolver with --lab: exit %d, %s", code, errOut)
	}
}

// TestProbeMXCNAMESNI: mx-cname.test's MX is a CNAME, with its TLSA
// records at the target, over a validated chain: the probe sends the
// target (the TLSA base domain) as SNI (RFC 7672 8.1), checks WebPKI for
// the MX name apart, and says both.
func TestProbeMXCNAMESNI(t *testing.T) {
	env := dnsLabEnv(t)
	code, out, errOut := run(t, "probe", "--mx", "--json", "--timeout", "10s",
		"--resolver", env["EHLO_DNS_RESOLVER"], "--ca", env["EHLO_DNS_CA"], "mx-cname.test")
	var js client.DomainJSON
	if err := json.Unmarshal([]byte(out), &js); err != nil || code != 0 || len(js.MX) != 1 || len(js.MX[0].Probes) != 1 {
		t.Fatalf("exit %d, %v:\n%s\n%s", code, err, out, errOut)
	}
	tls := js.MX[0].Probes[0].TLS
	if tls == nil || tls.ServerName != "mail.mx-cname.test" || tls.SNI != "real.mx-cname.test" || js.MX[0].DANE.Verdict != "matched by record 1" {
		t.Errorf("TLS %+v, DANE %q: want WebPKI for mail.mx-cname.test, SNI real.mx-cname.test, DANE matched", tls, js.MX[0].DANE.Verdict)
	}
	_, text, _ := run(t, "probe", "--mx", "--verbose", "--timeout", "10s",
		"--resolver", env["EHLO_DNS_RESOLVER"], "--ca", env["EHLO_DNS_CA"], "mx-cname.test")
	if !strings.Contains(text, "not mail.mx-cname.test; SNI real.mx-cname.test") {
		t.Errorf("the report does not show the SNI beside the WebPKI verdict:\n%s", text)
	}
}
