package client

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ehlo-sh/ehlo/dns"
	"github.com/ehlo-sh/ehlo/internal/dnslab"
	"github.com/ehlo-sh/ehlo/lab"
	"github.com/ehlo-sh/ehlo/session"
)

// dnsLab is a client of the DNS lab's validating resolver; it skips t when
// the lab is not up.
func dnsLab(t *testing.T) *dns.Client {
	t.Helper()
	c := dns.NewClient(dnslab.Need(t).Resolver)
	c.Timeout = 3 * time.Second
	return c
}

// TestDoctorIdentityBeforeMail: with a sender and a resolver, the doctor
// judges SPF, DMARC and reverse DNS before MAIL; each lookup is a D: line
// of the transcript, before the MAIL line; a fail leads the findings with
// the record change, a pass is in the summary only.
func TestDoctorIdentityBeforeMail(t *testing.T) {
	r := dnsLab(t)
	l := startLab(t)
	res := doctorLab(t, l, "mx", func(c *DoctorConfig) {
		c.From, c.To, c.DNS, c.DNSBL = "alice@dmarc-reject.test", []string{"bob@lab.test"}, r, []string{"dnsbl.test"}
	})
	wantFirst(t, res, "spf-fail", "dmarc-reject", "identity")
	if !strings.Contains(res.Findings[0].Fix, `ip4:127.0.0.1 -all"`) {
		t.Errorf("fix %q", res.Findings[0].Fix)
	}
	var lines []string
	for _, e := range res.Entries {
		lines = append(lines, e.Dir.String()+" "+string(e.Data))
	}
	dnsAt := slices.IndexFunc(lines, func(s string) bool { return strings.HasPrefix(s, "D TXT dmarc-reject.test.") })
	mailAt := slices.IndexFunc(lines, func(s string) bool { return strings.HasPrefix(s, "C MAIL FROM:") })
	if dnsAt < 0 || mailAt < 0 || dnsAt > mailAt {
		t.Errorf("the SPF lookup (line %d) must come before MAIL (line %d):\n%s", dnsAt, mailAt, strings.Join(lines, ""))
	}
	if !slices.ContainsFunc(lines, func(s string) bool { return strings.HasPrefix(s, "D A 1.0.0.127.dnsbl.test.") }) {
		t.Errorf("no blocklist lookup in the transcript")
	}

	pass := doctorLab(t, l, "mx", func(c *DoctorConfig) { c.From, c.DNS = "alice@dmarc-pass.test", r })
	for _, f := range pass.Findings {
		if strings.HasPrefix(f.ID, "spf-") || strings.HasPrefix(f.ID, "dmarc-") {
			t.Errorf("a passing sender gets %s: %s", f.ID, f.Title)
		}
	}
	if i := slices.IndexFunc(pass.Findings, func(f session.Finding) bool { return f.ID == "identity" }); i < 0 ||
		!strings.Contains(pass.Findings[i].Title, "SPF pass, DMARC pass") {
		t.Errorf("findings %q", ids(pass))
	}
}

// TestDoctorIdentityJoinsTheRefusal: the built-in lab enforcing SPF
// refuses the forged sender with policyd-spf's words; the doctor, asking
// the lab's own DNS, predicted it before MAIL, and the refusal becomes
// evidence of that one spf-fail finding, recognised.
func TestDoctorIdentityJoinsTheRefusal(t *testing.T) {
	l, err := lab.Start(lab.Config{EnforceSPF: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	res := doctorLab(t, l, "mx", func(c *DoctorConfig) {
		c.From, c.To, c.DNS = "eve@"+lab.ForgedDomain, []string{"alice@" + lab.Domain}, dns.NewClient(l.DNSAddr())
	})
	wantFirst(t, res, "spf-fail", "dmarc-reject", "identity")
	ev := strings.Join(res.Findings[0].Evidence, "\n")
	for _, want := range []string{"-all: matches every address", "* and the server refused it:", "S~ 550 5.7.23 <eve@forged.test>: Sender address rejected",
		"recognised: Postfix with policyd-spf"} {
		if !strings.Contains(ev, want) {
			t.Errorf("evidence lacks %q:\n%s", want, ev)
		}
	}
	if slices.Contains(ids(res), "mail-refused") {
		t.Errorf("the refusal is a finding of its own too: %q", ids(res))
	}
}
