package identity

import (
	"context"
	"encoding/json"
	"net/netip"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ehlo-sh/ehlo/dns"
	"github.com/ehlo-sh/ehlo/internal/dnslab"
	"github.com/ehlo-sh/ehlo/internal/testenv"
)

// labResolver is the DNS lab's validating Unbound (scripts/dns-lab.sh); it
// skips t when the lab is not up.
func labResolver(t *testing.T) (*dns.Client, string) {
	t.Helper()
	lab := dnslab.Need(t)
	c := dns.NewClient(lab.Resolver)
	c.Timeout = 3 * time.Second
	return c, lab.Resolver
}

// labSPF are the DNS lab's SPF zones, with the result each must give.
var labSPF = []struct {
	ip, sender string
	want       Result
}{
	{"127.0.0.1", "alice@spf-pass.test", Pass},
	{"127.0.0.1", "alice@spf-fail.test", Fail},
	{"192.0.2.1", "alice@spf-fail.test", Pass},
	{"127.0.0.1", "alice@spf-softfail.test", SoftFail},
	{"127.0.0.1", "alice@spf-neutral.test", Neutral},
	{"127.0.0.1", "alice@spf-none.test", None},
	{"127.0.0.1", "alice@nowhere.spf-none.test", None},
	{"127.0.0.1", "alice@spf-include.test", Pass},
	{"198.51.100.1", "alice@spf-include.test", Fail},
	{"127.0.0.1", "alice@spf-macro.test", Pass},
	{"127.0.0.1", "bob@spf-macro.test", Fail},
	{"127.0.0.1", "alice@spf-permerror-lookups.test", PermError},
	{"127.0.0.1", "alice@spf-permerror-syntax.test", PermError},
	{"127.0.0.1", "alice@spf-permerror-two.test", PermError},
	{"127.0.0.1", "alice@spf-void.test", PermError},
	{"127.0.0.1", "alice@spf-loop.test", PermError},     // include: back to itself, until the 10 lookups run out
	{"127.0.0.1", "alice@spf-split.test", Pass},         // one record in five strings
	{"127.0.0.1", "alice@txt-hostile.test", PermError},  // a NUL and an ESC sequence as terms
	{"127.0.0.1", "alice@dnssec-bogus.test", TempError}, // SERVFAIL: the validator refuses the bogus zone
}

// TestLabSPF evaluates every SPF zone of the DNS lab through its
// validating resolver, and compares each result with a second
// implementation, Debian's python3-spf (pyspf), asking the same resolver.
func TestLabSPF(t *testing.T) {
	r, addr := labResolver(t)
	got := map[string]Result{}
	for _, tt := range labSPF {
		s := CheckSPF(context.Background(), r, netip.MustParseAddr(tt.ip), tt.sender, "ehlo.localhost")
		got[tt.ip+" "+tt.sender] = s.Result
		if s.Result != tt.want {
			t.Errorf("%s from %s: %s (%s), want %s\n%s", tt.sender, tt.ip, s.Result, s.Reason, tt.want, traceText(s))
		}
	}
	py := pyspf(t, addr)
	for _, tt := range labSPF {
		k := tt.ip + " " + tt.sender
		want := string(got[k])
		if d, ok := pyspfDiffers[k]; ok {
			want = d.says
		}
		if py[k] != want {
			t.Errorf("%s from %s: ehlo says %s, pyspf says %s", tt.sender, tt.ip, got[k], py[k])
		}
	}
}

// pyspfDiffers are the cases where pyspf and ehlo disagree, with what
// pyspf says and which of them is wrong.
var pyspfDiffers = map[string]struct{ says, why string }{
	"127.0.0.1 alice@dnssec-bogus.test": {"none", "pyspf 2.0.14's pydns back end (DNSLookup_pydns) checks the response code only " +
		"after a TCP fallback: a SERVFAIL over UDP comes back as an empty answer, so it finds no record (none), where RFC 7208 4.4 " +
		"says a server failure is temperror, as ehlo says"},
}

// pyspf runs python3-spf's check2 on every case of labSPF against the
// resolver at addr, through its pydns back end.
func pyspf(t *testing.T, addr string) map[string]string {
	t.Helper()
	python := "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import spf, DNS").Run(); err != nil {
		testenv.Need(t, "python3-spf (pyspf, the SPF implementation the lab's results are compared with)", "apt-get install -y python3-spf")
	}
	host, port, _ := strings.Cut(addr, ":")
	var cases [][2]string
	for _, tt := range labSPF {
		cases = append(cases, [2]string{tt.ip, tt.sender})
	}
	in, _ := json.Marshal(cases)
	const script = `
import json, sys, spf, DNS
DNS.defaults['server'] = [sys.argv[1]]
DNS.defaults['port'] = int(sys.argv[2])
out = {}
for ip, sender in json.load(sys.stdin):
    out[ip + " " + sender] = spf.check2(i=ip, s=sender, h="ehlo.localhost", timeout=10)[0]
json.dump(out, sys.stdout)
`
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, "-c", script, host, port)
	cmd.Stdin = strings.NewReader(string(in))
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("pyspf: %v", err)
	}
	out := map[string]string{}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("pyspf's output %q: %v", b, err)
	}
	return out
}

// TestLabDMARC: the lab's DMARC zones, on the domain and on the
// organizational domain.
func TestLabDMARC(t *testing.T) {
	r, _ := labResolver(t)
	for _, tt := range []struct {
		sender, result, outcome, at string
	}{
		{"a@dmarc-reject.test", "fail", "reject", "_dmarc.dmarc-reject.test"},
		{"a@dmarc-quarantine.test", "fail", "quarantine", "_dmarc.dmarc-quarantine.test"},
		{"a@dmarc-none.test", "fail", "none", "_dmarc.dmarc-none.test"},
		{"a@dmarc-pass.test", "pass", "", "_dmarc.dmarc-pass.test"},
		{"a@dmarc-org.test", "fail", "reject", "_dmarc.dmarc-org.test"},
		{"a@sub.dmarc-org.test", "fail", "quarantine", "_dmarc.dmarc-org.test"},
		{"a@spf-pass.test", "none", "", ""},
		{"a@dmarc-badtags.test", "fail", "reject", "_dmarc.dmarc-badtags.test"},
		{"a@dmarc-nop.test", "fail", "none", "_dmarc.dmarc-nop.test"}, // no p=, a rua=: as if p=none
	} {
		spf := CheckSPF(context.Background(), r, netip.MustParseAddr("127.0.0.1"), tt.sender, "ehlo.localhost")
		d := CheckDMARC(context.Background(), r, spf, "")
		if d.Result != tt.result || d.Outcome != tt.outcome || d.At != tt.at {
			t.Errorf("%s: %s %q at %q, want %s %q at %q\n%v", tt.sender, d.Result, d.Outcome, d.At, tt.result, tt.outcome, tt.at, d.Trace)
		}
	}
}

// TestLabPTRAndDNSBL: reverse DNS present, not forward-confirmed, absent;
// the lab's blocklist's test entry and another code.
func TestLabPTRAndDNSBL(t *testing.T) {
	r, _ := labResolver(t)
	ctx := context.Background()
	if p := CheckPTR(ctx, r, netip.MustParseAddr("127.0.55.40"), "confirmed.ptr.test"); len(p.Confirmed) != 1 || !p.NameMatches {
		t.Errorf("confirmed: %+v", p)
	}
	if p := CheckPTR(ctx, r, netip.MustParseAddr("127.0.55.41"), ""); !p.Mismatch() {
		t.Errorf("not confirmed: %+v", p)
	}
	if p := CheckPTR(ctx, r, netip.MustParseAddr("127.0.55.42"), ""); !p.Missing() {
		t.Errorf("missing: %+v", p)
	}
	if p := CheckPTR(ctx, r, netip.MustParseAddr("127.0.55.44"), ""); p.Total != 100 || len(p.Names) != MaxPTRChecked || !p.Mismatch() {
		t.Errorf("100 names: %d, %d checked, confirmed %q", p.Total, len(p.Names), p.Confirmed)
	}
	l := CheckDNSBL(ctx, r, netip.MustParseAddr("127.0.0.2"), "dnsbl.test")
	if !l.Listed || l.Codes[0].Addr.String() != "127.0.0.2" || !strings.Contains(l.Reason, "test entry") {
		t.Errorf("127.0.0.2: %+v", l)
	}
	if l := CheckDNSBL(ctx, r, netip.MustParseAddr("127.0.55.43"), "dnsbl.test"); !l.Listed || l.Codes[0].Addr.String() != "127.0.0.10" {
		t.Errorf("127.0.55.43: %+v", l)
	}
	if l := CheckDNSBL(ctx, r, netip.MustParseAddr("127.0.0.1"), "dnsbl.test"); l.Listed || l.Error != "" {
		t.Errorf("127.0.0.1: %+v", l)
	}
}

// TestLabHostileRecordSanitized: the lab's SPF record holding a NUL and
// an ESC sequence reaches the findings escaped.
func TestLabHostileRecordSanitized(t *testing.T) {
	r, _ := labResolver(t)
	rep := Check(context.Background(), r, Config{Client: netip.MustParseAddr("127.0.0.1"), Sender: "a@txt-hostile.test", Helo: "ehlo.localhost"})
	fs := rep.Findings(Seen{Addr: rep.Client})
	if len(fs) == 0 || fs[0].ID != "spf-permerror" {
		t.Fatalf("findings %+v", fs)
	}
	for _, f := range fs {
		for _, line := range append([]string{f.Title, f.Fix}, f.Evidence...) {
			if strings.ContainsAny(line, "\x00\x1b") {
				t.Errorf("%s: raw bytes in %q", f.ID, line)
			}
		}
	}
	if !strings.Contains(strings.Join(fs[0].Evidence, "\n"), `\x1b[8m-all`) {
		t.Errorf("the record is not shown escaped: %q", fs[0].Evidence)
	}
}
