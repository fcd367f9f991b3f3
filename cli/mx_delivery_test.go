package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ehlo-sh/ehlo/client"
)

// TestSendMXLab: "ehlo send --mx --to bob@lab.test" delivers to the
// built-in lab with no flags: the D: lines of the route, each MX attempt,
// the result, and what the lab received.
func TestSendMXLab(t *testing.T) {
	t.Setenv("EHLO_RESOLVER", "") // the lab's names lead to the lab only when no resolver is named
	code, out, errOut := run(t, "send", "--mx", "--to", "bob@lab.test", "--mx-order", "stable")
	for _, want := range []string{"D: MX lab.test. →", "MX mx1.lab.test (preference 10)", "mx        mx1.lab.test 127.0.0.1:",
		"result    delivered: 250", "the lab's mx endpoint received, from <alice@lab.test> to <bob@lab.test>",
		// direct delivery checks the sender's identity by default, through the lab's DNS
		"identity: SPF (the MAIL FROM domain) for alice@lab.test: pass"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in the output", want)
		}
	}
	if code != 0 {
		t.Errorf("exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = run(t, "send", "--mx", "--to", "bob@lab.test", "--from", "eve@forged.test", "--quit-after", "rcpt")
	if !strings.Contains(out, "identity: [error] SPF fail for eve@forged.test") {
		t.Errorf("a forged sender, delivered directly: no SPF fail before MAIL\n%s", out)
	}
	if _, out, _ = run(t, "send", "--mx", "--to", "bob@lab.test", "--check-identity=false"); strings.Contains(out, "identity:") {
		t.Errorf("--check-identity=false still checked\n%s", out)
	}
	code, out, _ = run(t, "send", "--mx", "--to", "bob@lab.test", "--quit-after", "rcpt")
	if code != 0 || !strings.Contains(out, "stopped after rcpt") || strings.Contains(out, "endpoint received") {
		t.Errorf("--quit-after rcpt: exit %d\n%s", code, out)
	}
	code, out, _ = run(t, "send", "--mx", "--to", "bob@lab.test", "--mx-order", "stable", "--json")
	var js client.SendMXJSON
	if err := json.Unmarshal([]byte(out), &js); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if code != 0 || !js.Delivered || js.Domain != "lab.test" || len(js.Route.MX) != 2 || len(js.Attempts) != 1 ||
		js.Attempts[0].Host != "mx1.lab.test" || !js.Attempts[0].Delivered || js.Final == nil || !js.Final.Delivered {
		t.Errorf("exit %d, %+v", code, js)
	}
}

// TestDoctorMXLab: "ehlo doctor --mx lab.test" and "ehlo doctor --to
// bob@lab.test" diagnose direct delivery to the built-in lab with no flags.
func TestDoctorMXLab(t *testing.T) {
	t.Setenv("EHLO_RESOLVER", "") // the lab's names lead to the lab only when no resolver is named
	code, out, errOut := run(t, "doctor", "--mx", "lab.test", "--mx-order", "stable")
	if code != 0 || !strings.HasPrefix(out, "ehlo doctor lab.test  (MX mx1.lab.test 127.0.0.1:") ||
		!strings.Contains(out, "How mail reaches the domain") || !strings.Contains(out, "no errors") {
		t.Errorf("exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = run(t, "doctor", "--to", "bob@lab.test", "--mx-order", "stable", "--json")
	var js client.DoctorJSON
	if err := json.Unmarshal([]byte(out), &js); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	var got []string
	for _, f := range js.Findings {
		got = append(got, f.ID)
	}
	if code != 0 || !js.OK || js.Via != "mx1.lab.test" || js.MX == nil || js.MX.Route != "mx" ||
		!strings.Contains(strings.Join(got, " "), "mx-route") || !strings.Contains(strings.Join(got, " "), "rcpt-accepted") {
		t.Errorf("exit %d, via %q, findings %v", code, js.Via, got)
	}
}

// TestMXUsage: the flags that make no sense with --mx, bad modes, and
// recipients of two domains are usage errors.
func TestMXUsage(t *testing.T) {
	tests := [][]string{
		{"send", "--mx", "--to", "bob@lab.test", "--dane", "maybe"},
		{"send", "--mx", "--to", "bob@lab.test", "--to", "carol@example.org"},
		{"send", "--mx", "--to", "bob@lab.test", "--tls"},
		{"doctor", "--mx", "lab.test", "other.test"},
		{"doctor", "--mx"},
	}
	for _, args := range tests {
		if code, _, errOut := run(t, args...); code != exitUsage {
			t.Errorf("%q: exit %d, want %d: %s", args, code, exitUsage, errOut)
		}
	}
}

// TestSendMXDNSLab delivers to the DNS lab's zones (README, "The DNS
// lab"), through its MX hosts on port 25 (Postfix): a DANE-verified MX
// takes the message, and an MX that fails DANE or the MTA-STS enforce
// policy is refused, as the table says. The recipient is one Postfix
// accepts (ehlotest@localhost); the DOMAIN argument routes.
func TestSendMXDNSLab(t *testing.T) {
	env := dnsLabEnv(t)
	tests := []struct {
		zone    string
		flags   []string
		exit    int
		outcome string // the last attempt's, "" for none
	}{
		{"dane-ok.test", nil, 0, "delivered"},
		{"dane-mismatch.test", nil, exitNoRoute, "refused by DANE: no record matched (tlsa-invalid)"},
		{"dane-mismatch.test", []string{"--dane", "off"}, 0, "delivered"},
		{"dane-plaintext.test", nil, exitNoRoute, "refused by DANE: its TLSA records make TLS mandatory, and the server does not offer STARTTLS"},
		{"sts-plaintext.test", nil, exitNoRoute, "refused by MTA-STS"},
		{"sts-mismatch.test", nil, 0, "delivered"}, // mx1 is listed, and first
		{"sts-certmismatch.test", nil, exitNoRoute, "refused by MTA-STS"},
		{"mx-null.test", nil, exitNoRoute, ""},
		{"sts-enforce.test", []string{"--dane", "require"}, exitNoRoute, "dane-required"},
		{"dane-ok.test", []string{"--mta-sts", "require"}, exitNoRoute, ""},
	}
	for _, tt := range tests {
		t.Run(tt.zone+strings.Join(tt.flags, ""), func(t *testing.T) {
			args := append([]string{"send", "--mx", tt.zone, "--json", "--mx-order", "stable", "--timeout", "10s",
				"--resolver", env["EHLO_DNS_RESOLVER"], "--ca", env["EHLO_DNS_CA"], "--from", "ehlo@example.com",
				"--to", "ehlotest@localhost"}, tt.flags...)
			code, out, errOut := run(t, args...)
			var js client.SendMXJSON
			if err := json.Unmarshal([]byte(out), &js); err != nil {
				t.Fatalf("exit %d, not JSON (%v):\n%s\n%s", code, err, out, errOut)
			}
			last := ""
			if n := len(js.Attempts); n > 0 {
				last = js.Attempts[n-1].Outcome
			}
			if code != tt.exit || js.Delivered != (tt.exit == 0) || (tt.outcome == "") != (last == "") || !strings.Contains(last, tt.outcome) {
				t.Errorf("exit %d, delivered %v, attempts %+v, error %q", code, js.Delivered, js.Attempts, js.Error)
			}
		})
	}
}

// TestDoctorMXDNSLab: doctor --mx names the root cause of each of the DNS
// lab's zones that a sender would not deliver to, first.
func TestDoctorMXDNSLab(t *testing.T) {
	env := dnsLabEnv(t)
	tests := []struct {
		zone, first string // "" when there is no error
		header      string
	}{
		{"dane-ok.test", "", "TLS verified by DANE"},
		{"dane-mismatch.test", "dane-mismatch", ""},
		{"dane-plaintext.test", "dane-no-starttls", ""},
		{"dane-bogus.test", "dnssec-bogus", ""},
		{"dnssec-bogus.test", "no-route", ""},
		{"mx-null.test", "null-mx", "not connected"},
		{"sts-mismatch.test", "sts-mx-not-listed", ""},
		{"sts-plaintext.test", "sts-mx-invalid", ""},
		{"sts-404.test", "", ""}, // a warning: sts-policy-error
		{"sts-enforce.test", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.zone, func(t *testing.T) {
			code, out, errOut := run(t, "doctor", "--mx", tt.zone, "--json", "--mx-order", "stable", "--timeout", "10s",
				"--resolver", env["EHLO_DNS_RESOLVER"], "--ca", env["EHLO_DNS_CA"])
			var js client.DoctorJSON
			if err := json.Unmarshal([]byte(out), &js); err != nil {
				t.Fatalf("exit %d, not JSON (%v):\n%s\n%s", code, err, out, errOut)
			}
			first := ""
			if len(js.Findings) > 0 && js.Findings[0].Severity == "error" {
				first = js.Findings[0].ID
			}
			if first != tt.first || (code == 0) != (tt.first == "") {
				t.Errorf("exit %d, first error %q, want %q; findings %+v", code, first, tt.first, js.Findings)
			}
			if tt.header == "" {
				return
			}
			code, out, _ = run(t, "doctor", "--mx", tt.zone, "--mx-order", "stable", "--timeout", "10s",
				"--resolver", env["EHLO_DNS_RESOLVER"], "--ca", env["EHLO_DNS_CA"])
			if line, _, _ := strings.Cut(out, "\n"); !strings.Contains(line, tt.header) {
				t.Errorf("exit %d, header %q, want %q in it", code, line, tt.header)
			}
			if tt.zone == "dane-ok.test" && (!strings.Contains(out, "the session below is with it; DANE: matched by record 1") ||
				strings.Contains(out, "certificate is for")) {
				t.Errorf("mx1's DANE match not said, or a WebPKI finding beside it:\n%s", out)
			}
		})
	}
}
