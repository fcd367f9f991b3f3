package identity

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/ehlo-sh/ehlo/session"
)

func TestDMARC(t *testing.T) {
	z := newZone().
		txt("rej.example", "v=spf1 -all").txt("_dmarc.rej.example", "v=DMARC1; p=reject; rua=mailto:d@rej.example").
		txt("quar.example", "v=spf1 ~all").txt("_dmarc.quar.example", "v=DMARC1; p=quarantine; pct=25").
		txt("ok.example", "v=spf1 ip4:192.0.2.10 -all").txt("_dmarc.ok.example", "v=DMARC1; p=reject").
		txt("sub.org.example", "v=spf1 -all").txt("_dmarc.org.example", "v=DMARC1; p=reject; sp=quarantine").
		txt("bounce.org.example", "v=spf1 ip4:192.0.2.10 -all").
		txt("strict.example", "v=spf1 -all").txt("_dmarc.strict.example", "v=DMARC1; p=reject; aspf=s").
		txt("bounce.strict.example", "v=spf1 ip4:192.0.2.10 -all").
		txt("nop.example", "v=spf1 -all").txt("_dmarc.nop.example", "v=DMARC1; rua=mailto:x@nop.example; foo=bar").
		txt("nopnorua.example", "v=spf1 -all").txt("_dmarc.nopnorua.example", "v=DMARC1; pct=100").
		txt("twodmarc.example", "v=spf1 -all").txt("_dmarc.twodmarc.example", "v=DMARC1; p=reject").txt("_dmarc.twodmarc.example", "v=DMARC1; p=none").
		txt("nodmarc.example", "v=spf1 -all")
	tests := []struct {
		sender, from              string
		result, outcome, at, prob string
	}{
		{"a@rej.example", "", "fail", "reject", "_dmarc.rej.example", ""},
		{"a@quar.example", "", "fail", "quarantine", "_dmarc.quar.example", ""},
		{"a@ok.example", "", "pass", "", "_dmarc.ok.example", ""},
		{"a@sub.org.example", "", "fail", "quarantine", "_dmarc.org.example", ""},                      // sp= for a subdomain
		{"a@bounce.org.example", "a@org.example", "pass", "", "_dmarc.org.example", ""},                // relaxed: same organizational domain
		{"a@bounce.strict.example", "a@strict.example", "fail", "reject", "_dmarc.strict.example", ""}, // strict: not the same domain
		{"a@ok.example", "ceo@rej.example", "fail", "reject", "_dmarc.rej.example", ""},                // SPF passes for another domain
		{"a@nop.example", "", "fail", "none", "_dmarc.nop.example", "act as if p=none"},
		{"a@nopnorua.example", "", "none", "", "_dmarc.nopnorua.example", "apply no DMARC policy"},
		{"a@twodmarc.example", "", "none", "", "", "2 DMARC records"},
		{"a@nodmarc.example", "", "none", "", "", ""},
	}
	for _, tt := range tests {
		spf := spfOf(t, z, tt.sender)
		d := CheckDMARC(context.Background(), z, spf, tt.from)
		if d.Result != tt.result || d.Outcome != tt.outcome || d.At != tt.at || !strings.Contains(d.Problem, tt.prob) {
			t.Errorf("%s / From %s: result %s outcome %q at %q problem %q; want %s %q %q %q\n%v", tt.sender, tt.from, d.Result, d.Outcome, d.At, d.Problem,
				tt.result, tt.outcome, tt.at, tt.prob, d.Trace)
		}
	}
	d := CheckDMARC(context.Background(), z, spfOf(t, z, "a@nop.example"), "")
	if !slices.Equal(d.Unknown, []string{"foo"}) {
		t.Errorf("unknown tags %q", d.Unknown)
	}
}

func TestPTR(t *testing.T) {
	z := newZone().
		ptr("192.0.2.1", "good.example").a("good.example", "192.0.2.1").
		ptr("192.0.2.2", "liar.example").a("liar.example", "198.51.100.9").
		a("helo.example", "192.0.2.3")
	many := netip.MustParseAddr("192.0.2.4")
	for i := range 100 {
		z.ptr(many.String(), fmt.Sprintf("n%d.example", i))
	}
	z.a("n99.example", "192.0.2.4")
	ctx := context.Background()
	if p := CheckPTR(ctx, z, netip.MustParseAddr("192.0.2.1"), "good.example"); p.Missing() || p.Mismatch() || !p.NameMatches {
		t.Errorf("good: %+v", p)
	}
	if p := CheckPTR(ctx, z, netip.MustParseAddr("192.0.2.2"), "other.example"); !p.Mismatch() || p.NameResolves {
		t.Errorf("liar: %+v", p)
	}
	if p := CheckPTR(ctx, z, netip.MustParseAddr("192.0.2.3"), "helo.example"); !p.Missing() || !p.NameResolves || p.NameMatches {
		t.Errorf("no PTR, HELO resolves: %+v", p)
	}
	p := CheckPTR(ctx, z, many, "")
	if p.Total != 100 || len(p.Names) != MaxPTRChecked || !p.Mismatch() || z.count("A n50.example") != 0 {
		t.Errorf("100 names: total %d, checked %d, confirmed %q", p.Total, len(p.Names), p.Confirmed)
	}
	z.timeout[strings.TrimSuffix(reverseName(netip.MustParseAddr("192.0.2.9")), ".")] = true
	if p := CheckPTR(ctx, z, netip.MustParseAddr("192.0.2.9"), ""); p.Error == "" || p.Missing() {
		t.Errorf("a timeout is not an absence: %+v", p)
	}
}

func TestDNSBL(t *testing.T) {
	z := newZone().
		a("2.0.0.127.zen.spamhaus.org", "127.0.0.2", "127.0.0.10").txt("2.0.0.127.zen.spamhaus.org", "https://check.spamhaus.org/query/ip/127.0.0.2").
		a("10.2.0.192.zen.spamhaus.org", "127.255.255.254").
		a("10.2.0.192.rewriting.example", "198.51.100.80")
	ctx := context.Background()
	l := CheckDNSBL(ctx, z, netip.MustParseAddr("127.0.0.2"), "zen.spamhaus.org")
	if !l.Listed || len(l.Codes) != 2 || !strings.Contains(l.Codes[0].Meaning, "SBL") || !strings.Contains(l.Codes[1].Meaning, "PBL") || l.Reason == "" {
		t.Errorf("listed: %+v", l)
	}
	l = CheckDNSBL(ctx, z, client, "zen.spamhaus.org")
	if l.Listed || !strings.Contains(l.Error, "open resolver") {
		t.Errorf("refused: %+v", l)
	}
	if l := CheckDNSBL(ctx, z, netip.MustParseAddr("192.0.2.11"), "zen.spamhaus.org"); l.Listed || l.Error != "" || l.Query != "11.2.0.192.zen.spamhaus.org." {
		t.Errorf("not listed: %+v", l)
	}
	if l := CheckDNSBL(ctx, z, client, "rewriting.example"); !strings.Contains(l.Codes[0].Meaning, "not a blocklist answer") {
		t.Errorf("rewritten: %+v", l)
	}
	six := CheckDNSBL(ctx, z, netip.MustParseAddr("2001:db8::1"), "bl.example")
	if !strings.HasPrefix(six.Query, "1.0.0.0.") || !strings.HasSuffix(six.Query, ".8.b.d.0.1.0.0.2.bl.example.") {
		t.Errorf("IPv6 query %s", six.Query)
	}
}

func TestSeenAddress(t *testing.T) {
	local := netip.MustParseAddr("10.0.0.5")
	for _, tt := range []struct {
		lines []string
		want  string
		echo  bool
	}{
		{[]string{"mx.google.com at your service, [203.0.113.7]", "SIZE 157286400"}, "203.0.113.7", true},
		{[]string{"mx.example Hello client.example [203.0.113.8]"}, "203.0.113.8", true},
		{[]string{"BN8NAM12FT.mail.protection.outlook.com Hello [2001:db8::7]"}, "2001:db8::7", true},
		{[]string{"mx Hello [IPv6:2001:db8::9]"}, "2001:db8::9", true},
		{[]string{"postfix.example", "PIPELINING"}, "10.0.0.5", false},
		{[]string{"x [not an address] [198.51.100.1]"}, "198.51.100.1", true},
	} {
		s := SeenAddress(tt.lines, local)
		if s.Addr.String() != tt.want || s.Echoed != tt.echo {
			t.Errorf("%q: %s echoed %v", tt.lines, s.Addr, s.Echoed)
		}
	}
}

// TestFindings: the report's findings carry the rule IDs, with their
// evidence sanitized: DNS data is hostile text.
func TestFindings(t *testing.T) {
	z := newZone().
		txt("evil.example", "v=spf1 ip4:198.51.100.1 -all exp=x\x1b]0;pwn\x07.example").
		txt("_dmarc.evil.example", "v=DMARC1; p=reject; x\u202e=1").
		ptr("192.0.2.10", "host\u202e.example").
		a("10.2.0.192.bl.example", "127.0.0.2")
	rep := Check(context.Background(), z, Config{Client: client, Sender: "a@evil.example", Helo: "nowhere.example", DNSBL: []string{"bl.example"}})
	fs := rep.Findings(SeenAddress(nil, client))
	var ids []string
	for _, f := range fs {
		ids = append(ids, f.ID)
		for _, line := range append([]string{f.Title, f.Fix}, f.Evidence...) {
			if strings.ContainsAny(line, "\x1b\x07\u202e") {
				t.Errorf("%s: raw control or bidi character in %q", f.ID, line)
			}
		}
		if _, ok := session.LookupRule(f.ID); !ok {
			t.Errorf("finding %s has no rule", f.ID)
		}
	}
	want := []string{"spf-permerror", "dmarc-reject", "ptr-mismatch", "helo-mismatch", "dnsbl-listed", "identity"}
	if !slices.Equal(ids, want) {
		t.Errorf("findings %q, want %q", ids, want)
	}
}
