package identity

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ehlo-sh/ehlo/dns"
	"github.com/ehlo-sh/ehlo/session"
)

var client = netip.MustParseAddr("192.0.2.10")

func spfOf(t *testing.T, z *zone, sender string) SPF {
	t.Helper()
	return CheckSPF(context.Background(), z, client, sender, "mail.client.example")
}

func TestSPFResults(t *testing.T) {
	z := newZone().
		txt("pass.example", "v=spf1 ip4:192.0.2.0/24 -all").
		txt("fail.example", "v=spf1 ip4:198.51.100.1 -all").
		txt("soft.example", "v=spf1 a ~all").a("soft.example", "198.51.100.2").
		txt("neutral.example", "v=spf1 ?all").
		txt("default.example", "v=spf1 ip4:198.51.100.1").
		txt("none.example", "google-site-verification=x").
		txt("temp.example", "v=spf1 include:down.example -all").
		txt("perm.example", "v=spf1 ip4:192.0.2.1/33 -all").
		txt("mx.example", "v=spf1 mx -all").mx("mx.example", 10, "in.mx.example").a("in.mx.example", "192.0.2.10").
		txt("ptr.example", "v=spf1 ptr -all").ptr("192.0.2.10", "host.ptr.example").a("host.ptr.example", "192.0.2.10").
		txt("exists.example", "v=spf1 exists:%{i}.allow.exists.example -all").a("192.0.2.10.allow.exists.example", "127.0.0.2").
		txt("redirect.example", "v=spf1 redirect=pass.example")
	z.timeout["down.example"] = true
	tests := []struct {
		sender  string
		want    Result
		matched string
	}{
		{"a@pass.example", Pass, "ip4:192.0.2.0/24"},
		{"a@fail.example", Fail, "-all"},
		{"a@soft.example", SoftFail, "~all"},
		{"a@neutral.example", Neutral, "?all"},
		{"a@default.example", Neutral, ""},
		{"a@none.example", None, ""},
		{"a@nxdomain.example", None, ""},
		{"a@temp.example", TempError, ""},
		{"a@perm.example", PermError, ""},
		{"a@mx.example", Pass, "mx"},
		{"a@ptr.example", Pass, "ptr"},
		{"a@exists.example", Pass, "exists:%{i}.allow.exists.example"},
		{"a@redirect.example", Pass, "redirect=pass.example then ip4:192.0.2.0/24"},
	}
	for _, tt := range tests {
		got := spfOf(t, z, tt.sender)
		if got.Result != tt.want || got.Matched != tt.matched {
			t.Errorf("%s: %s matched %q (%s), want %s matched %q\n%s", tt.sender, got.Result, got.Matched, got.Reason, tt.want, tt.matched, traceText(got))
		}
	}
}

func TestSPFFixForFail(t *testing.T) {
	z := newZone().txt("fail.example", "v=spf1 ip4:198.51.100.1 -all").txt("soft.example", "v=spf1 mx ~all").mx("soft.example", 1, "mx.soft.example")
	f := spfOf(t, z, "a@fail.example")
	if !strings.Contains(f.Fix, `fail.example. TXT "v=spf1 ip4:198.51.100.1 ip4:192.0.2.10 -all"`) {
		t.Errorf("fix %q", f.Fix)
	}
	s := spfOf(t, z, "a@soft.example")
	if s.Result != SoftFail || !strings.Contains(s.Fix, `"v=spf1 mx ip4:192.0.2.10 ~all"`) {
		t.Errorf("softfail %s, fix %q", s.Result, s.Fix)
	}
}

// TestSPFNullSender: MAIL FROM:<> is checked as postmaster@HELO (RFC 7208
// 2.4).
func TestSPFNullSender(t *testing.T) {
	z := newZone().txt("mail.client.example", "v=spf1 a -all").a("mail.client.example", "192.0.2.10")
	got := spfOf(t, z, "")
	if got.Result != Pass || got.Scope != "helo" || got.Sender != "postmaster@mail.client.example" {
		t.Errorf("null sender: %+v", got)
	}
}

// TestSPFMacros: %{ir}, %{l}, %{d}, %{v}, %{h}, transformers and escapes.
func TestSPFMacros(t *testing.T) {
	e := &evaluator{ip: client, sender: "strong-bad@email.example.com", local: "strong-bad", senderDomain: "email.example.com", helo: "mx.client.example",
		validatedDone: true}
	for in, want := range map[string]string{ // RFC 7208 7.4's examples, with this client
		"%{s}":                          "strong-bad@email.example.com",
		"%{o}":                          "email.example.com",
		"%{d}":                          "email.example.com",
		"%{d4}":                         "email.example.com",
		"%{d3}":                         "email.example.com",
		"%{d2}":                         "example.com",
		"%{d1}":                         "com",
		"%{dr}":                         "com.example.email",
		"%{d2r}":                        "example.email",
		"%{l}":                          "strong-bad",
		"%{l-}":                         "strong.bad",
		"%{lr}":                         "strong-bad",
		"%{lr-}":                        "bad.strong",
		"%{l1r-}":                       "strong",
		"%{ir}.%{v}._spf.%{d2}":         "10.2.0.192.in-addr._spf.example.com",
		"%{lr-}.lp._spf.%{d2}":          "bad.strong.lp._spf.example.com",
		"%{ir}.%{v}.%{l1r-}.lp.%{d2}":   "10.2.0.192.in-addr.strong.lp.example.com",
		"%{d2}.trusted-domains.example": "example.com.trusted-domains.example",
		"%{h}%%%_%-":                    "mx.client.example% %20",
		"%{p}":                          "unknown",
	} {
		got, err := expand(in, e.macro("email.example.com"), false)
		if err != nil || got != want {
			t.Errorf("%s: %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"%{x}", "%{d0}", "%{c}", "%", "%{d", "%z", "%{d2q}"} {
		if _, err := expand(bad, e.macro("x.example"), false); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestSPFTXTSplitIntoManyStrings(t *testing.T) {
	rec := "v=spf1 ip4:198.51.100.1 ip4:198.51.100.2 ip4:192.0.2.10 -all"
	var parts []string
	for i := 0; i < len(rec); i += 3 {
		parts = append(parts, rec[i:min(i+3, len(rec))])
	}
	z := newZone().txt("split.example", parts...)
	if got := spfOf(t, z, "a@split.example"); got.Result != Pass || got.Record != rec {
		t.Errorf("split record: %s, record %q", got.Result, got.Record)
	}
}

// TestSPFBadInput: hostile records end in a named result, within bounded
// lookups and time.
func TestSPFBadInput(t *testing.T) {
	z := newZone().
		txt("loop.example", "v=spf1 include:loop.example -all").
		txt("ping.example", "v=spf1 include:pong.example -all").txt("pong.example", "v=spf1 include:ping.example -all").
		txt("redirloop.example", "v=spf1 redirect=redirloop.example").
		txt("two.example", "v=spf1 -all").txt("two.example", "v=spf1 +all").
		txt("huge.example", "v=spf1 exists:"+strings.Repeat("%{s}", 400)+".example -all").
		txt("long.example", "v=spf1 exists:%{s}.%{s}.%{s}.%{s}.%{s}.%{s}.%{s}.%{s}.x.example -all").
		txt("void.example", "v=spf1 a:nx1.example a:nx2.example a:nx3.example +all").
		txt("manymx.example", "v=spf1 mx -all").
		txt("noinclude.example", "v=spf1 include:none.example -all").txt("none.example", "not spf").
		txt("unknown.example", "v=spf1 foo:bar -all").
		txt("dupredirect.example", "v=spf1 redirect=a.example redirect=b.example")
	var fifty strings.Builder
	fifty.WriteString("v=spf1")
	for i := range 50 {
		name := fmt.Sprintf("i%d.example", i)
		fmt.Fprintf(&fifty, " include:%s", name)
		z.txt(name, "v=spf1 ip4:198.51.100.1 -all")
	}
	z.txt("fifty.example", fifty.String()+" -all")
	for i := range 11 {
		z.mx("manymx.example", uint16(i), fmt.Sprintf("mx%d.example", i))
	}
	long := strings.Repeat("x", 60)
	tests := []struct {
		sender string
		want   Result
		reason string
	}{
		{"a@loop.example", PermError, "more than 10 DNS lookups"},
		{"a@ping.example", PermError, "more than 10 DNS lookups"},
		{"a@redirloop.example", PermError, "more than 10 DNS lookups"},
		{"a@fifty.example", PermError, "more than 10 DNS lookups"},
		{"a@two.example", PermError, "2 SPF records"},
		{"a@huge.example", PermError, "expand to more than"},
		{long + "@long.example", Fail, ""}, // cut to 253 octets from the left, then not found
		{"a@void.example", PermError, "more than 2 void lookups"},
		{"a@manymx.example", PermError, "11 MX records"},
		{"a@noinclude.example", PermError, "an include of a domain without SPF"},
		{"a@unknown.example", PermError, "unknown mechanism"},
		{"a@dupredirect.example", PermError, "appears twice"},
	}
	for _, tt := range tests {
		start := time.Now()
		got := spfOf(t, z, tt.sender)
		if got.Result != tt.want || !strings.Contains(got.Reason, tt.reason) {
			t.Errorf("%s: %s (%s), want %s with %q\n%s", tt.sender[max(0, len(tt.sender)-20):], got.Result, got.Reason, tt.want, tt.reason, traceText(got))
		}
		if got.Lookups > MaxLookups+1 || got.Voids > MaxVoids+1 || time.Since(start) > time.Second {
			t.Errorf("%s: %d lookups, %d void, %s", tt.sender, got.Lookups, got.Voids, time.Since(start))
		}
	}
	if n := z.count("TXT i10.example"); n != 0 {
		t.Errorf("the 11th include was asked %d times: the limit is checked before the lookup", n)
	}
}

// TestSPFTraceCountsLookups: each step carries the counts so far.
func TestSPFTraceCountsLookups(t *testing.T) {
	z := newZone().txt("t.example", "v=spf1 a:nx.example include:inc.example -all").txt("inc.example", "v=spf1 ip4:198.51.100.0/24 -all")
	got := spfOf(t, z, "a@t.example")
	if got.Result != Fail || got.Lookups != 2 || got.Voids != 1 {
		t.Fatalf("%s, %d lookups, %d void", got.Result, got.Lookups, got.Voids)
	}
	text := traceText(got)
	for _, want := range []string{"void lookup 1 of 2", "evaluating the record of inc.example", "no match: the included record says fail", "    inc.example  : record:"} {
		if !strings.Contains(text, want) {
			t.Errorf("trace lacks %q:\n%s", want, text)
		}
	}
}

// TestSPFServfailIsTemperror: a SERVFAIL (DNSSEC bogus, say) on the record
// is temperror, as RFC 7208 2.6.6 wants for DNS errors.
func TestSPFServfailIsTemperror(t *testing.T) {
	z := newZone()
	z.servfail["bogus.example"] = true
	if got := spfOf(t, z, "a@bogus.example"); got.Result != TempError || !strings.Contains(got.Reason, "SERVFAIL") {
		t.Errorf("%s: %s", got.Result, got.Reason)
	}
}

// TestSPFIPv6: ip6 networks, AAAA for a:, and IPv4-mapped addresses taken
// as IPv4.
func TestSPFIPv6(t *testing.T) {
	z := newZone().txt("six.example", "v=spf1 ip6:2001:db8::/32 a:host.six.example -all").a("host.six.example", "2001:db9::1").
		txt("four.example", "v=spf1 ip4:192.0.2.10 -all")
	for _, tt := range []struct {
		ip     string
		domain string
		want   Result
	}{{"2001:db8::5", "six.example", Pass}, {"2001:db9::1", "six.example", Pass}, {"2001:dba::1", "six.example", Fail},
		{"::ffff:192.0.2.10", "four.example", Pass}} {
		if got := CheckSPF(context.Background(), z, netip.MustParseAddr(tt.ip), "a@"+tt.domain, "h.example"); got.Result != tt.want {
			t.Errorf("%s at %s: %s (%s)", tt.ip, tt.domain, got.Result, got.Reason)
		}
	}
}

var _ dns.Resolver = (*zone)(nil)

// TestSPFReasonEscapedOnce: a control character in a record is escaped by
// the sanitizer once on screen, not quoted by Go first ("\\x00").
func TestSPFReasonEscapedOnce(t *testing.T) {
	z := newZone().txt("nul.example", "v=spf1 \x00 ip4:127.0.0.1 -all").txt("esc.example", "v=spf1 exists:\x1b[8m.example -all")
	for _, sender := range []string{"a@nul.example", "a@esc.example"} {
		got := spfOf(t, z, sender)
		shown := session.SanitizeString(got.Reason)
		if got.Result != PermError || strings.Contains(shown, `\\`) {
			t.Errorf("%s: %s, shown %q", sender, got.Result, shown)
		}
	}
	if got := session.SanitizeString(spfOf(t, z, "a@nul.example").Reason); got != `\x00: unknown mechanism "\x00"` {
		t.Errorf("shown %s", got)
	}
}

// TestSPFPermErrorAdvice: the advice for a permerror follows its cause:
// too many lookups, too many void lookups, a syntax error (naming the
// term), an include of a domain with no SPF, two records, an include
// loop; none of them offers the others' remedy.
func TestSPFPermErrorAdvice(t *testing.T) {
	many := "v=spf1"
	z := newZone()
	for i := 1; i <= 11; i++ {
		many += fmt.Sprintf(" a:h%d.lookups.example", i)
		z.a(fmt.Sprintf("h%d.lookups.example", i), "198.51.100.1")
	}
	z.txt("lookups.example", many+" -all").
		txt("void.example", "v=spf1 a:nx1.void.example a:nx2.void.example a:nx3.void.example -all").
		txt("syntax.example", "v=spf1 ip4:192.0.2.1 ip4:192.0.2.1/33 -all").
		txt("nospf.example", "v=spf1 include:_spf.provider.example -all").txt("_spf.provider.example", "not spf").
		txt("two.example", "v=spf1 -all").txt("two.example", "v=spf1 ~all").
		txt("loop.example", "v=spf1 include:_a.loop.example -all").
		txt("_a.loop.example", "v=spf1 include:_b.loop.example -all").txt("_b.loop.example", "v=spf1 include:_a.loop.example -all").
		txt("twice.example", "v=spf1"+strings.Repeat(" include:_spf.twice.example", 11)+" -all").txt("_spf.twice.example", "v=spf1 ip4:198.51.100.9 -all")
	tests := []struct {
		sender      string
		cause       PermCause
		term        string
		want, never []string
	}{
		{"a@lookups.example", CauseLookups, "a:h11.lookups.example", []string{"more than 10 DNS lookups", "a:h11.lookups.example", "ip4:/ip6:"},
			[]string{"void", "not valid SPF"}},
		{"a@void.example", CauseVoids, "a:nx3.void.example", []string{"More than 2 of the record's lookups found nothing", "a:nx3.void.example"},
			[]string{"10 DNS lookups", "not valid SPF"}},
		{"a@syntax.example", CauseSyntax, "ip4:192.0.2.1/33", []string{"In the record of syntax.example, ip4:192.0.2.1/33 is not valid SPF: bad prefix length"},
			[]string{"10 DNS lookups", "include:s"}},
		{"a@nospf.example", CauseNoSPF, "include:_spf.provider.example", []string{"include:_spf.provider.example in the record of nospf.example names a domain that publishes no SPF record"},
			[]string{"10 DNS lookups", "not valid SPF"}},
		{"a@two.example", CauseTwoRecords, "", []string{"more than one TXT record that starts with v=spf1", "merge"},
			[]string{"10 DNS lookups", "not valid SPF"}},
		{"a@twice.example", CauseLookups, "", []string{"more than 10 DNS lookups"}, []string{"loop"}}, // the same include, no loop
		{"a@loop.example", CauseLookups, "", []string{"form a loop: the record of _a.loop.example is reached again"}, []string{"not valid SPF", "fixed servers"}},
	}
	for _, tt := range tests {
		s := spfOf(t, z, tt.sender)
		ok := s.Result == PermError && s.Cause == tt.cause && (tt.term == "" || s.Term == tt.term)
		for _, w := range tt.want {
			ok = ok && strings.Contains(s.Fix, w)
		}
		for _, n := range tt.never {
			ok = ok && !strings.Contains(s.Fix, n)
		}
		if !ok {
			t.Errorf("%s: %s, cause %q, term %q; want cause %q, term %q, advice with %q and without %q:\n%s",
				tt.sender, s.Result, s.Cause, s.Term, tt.cause, tt.term, tt.want, tt.never, s.Fix)
		}
	}
}
