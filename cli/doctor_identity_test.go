package cli

import (
	"slices"
	"strings"
	"testing"

	"github.com/ehlo-sh/ehlo/lab"
)

// TestDoctorLabIdentity: with the built-in lab and a sender, the doctor
// asks the lab's own DNS server: a forged sender fails SPF and DMARC
// before MAIL, with the trace and the record change; the lab's own
// domain passes; --check-identity=false leaves it out.
func TestDoctorLabIdentity(t *testing.T) {
	t.Setenv("EHLO_RESOLVER", "") // the lab's names lead to the lab only when no resolver is named
	forged := doctorJSON(t, exitFailed, "--lab", "mx", "--from", "eve@"+lab.ForgedDomain, "--to", "alice@"+lab.Domain)
	ids := forged.ids()
	if ids[0] != "spf-fail" || !slices.Contains(ids, "dmarc-reject") || !slices.Contains(ids, "identity") {
		t.Fatalf("findings %q", ids)
	}
	if f := forged.Findings[0]; !strings.Contains(f.Fix, `TXT "v=spf1 ip4:192.0.2.0/24 ip4:127.0.0.1 -all"`) ||
		!slices.ContainsFunc(f.Evidence, func(e string) bool { return strings.Contains(e, "-all: matches every address") }) {
		t.Errorf("spf-fail: %+v", f)
	}
	mail, dnsLine := -1, -1
	for i, e := range forged.Transcript {
		switch {
		case mail < 0 && strings.HasPrefix(e.Text, "MAIL FROM"):
			mail = i
		case dnsLine < 0 && e.Dir == "D" && strings.HasPrefix(e.Text, "TXT "+lab.ForgedDomain):
			dnsLine = i
		}
	}
	if dnsLine < 0 || mail < 0 || dnsLine > mail {
		t.Errorf("the SPF lookup at %d, MAIL at %d: %+v", dnsLine, mail, forged.Transcript)
	}

	own := doctorJSON(t, 0, "--lab", "mx", "--from", "alice@"+lab.Domain, "--to", "alice@"+lab.Domain)
	i := slices.Index(own.ids(), "identity")
	if i < 0 || !strings.Contains(own.Findings[i].Title, "SPF pass, DMARC pass") {
		t.Errorf("the lab's own sender: %q", own.ids())
	}
	off := doctorJSON(t, 0, "--lab", "mx", "--from", "eve@"+lab.ForgedDomain, "--to", "alice@"+lab.Domain, "--check-identity=false")
	if slices.Contains(off.ids(), "identity") {
		t.Errorf("--check-identity=false: %q", off.ids())
	}
}

// TestIdentityFlagsNeverIgnored: a --resolver or --dnsbl that cannot be
// used is a usage error even where the check would not run (a loopback
// target, no --from), never silently dropped.
func TestIdentityFlagsNeverIgnored(t *testing.T) {
	for _, args := range [][]string{
		{"doctor", "--resolver", "bad", "--from", "a@example.org", "127.0.0.1:1"},
		{"doctor", "--resolver", "bad", "127.0.0.1:1"},
		{"doctor", "--dnsbl", "nodot", "--from", "a@example.org", "192.0.2.1:1"},
		{"doctor", "--lab", "mx", "--resolver", "bad"},
		{"send", "--resolver", "bad", "--from", "a@example.org", "--to", "b@example.org", "127.0.0.1:1"},
	} {
		code, _, errOut := run(t, args...)
		if code != exitUsage || !strings.Contains(errOut, "--resolver") && !strings.Contains(errOut, "--dnsbl") {
			t.Errorf("%v: exit %d: %s", args, code, errOut)
		}
	}
}

// TestSendLabIdentity: send --lab --check-identity asks the lab's own DNS,
// as doctor --lab does, so a forged sender is judged by forged.test's
// records (SPF fail, DMARC reject), not by a resolver that knows nothing
// of them; without --check-identity send asks nothing.
func TestSendLabIdentity(t *testing.T) {
	t.Setenv("EHLO_RESOLVER", "")
	args := []string{"send", "--lab", "mx", "--from", "eve@" + lab.ForgedDomain, "--to", "alice@" + lab.Domain}
	code, out, errOut := run(t, append(args, "--check-identity")...)
	if code != 0 || !strings.Contains(out, "SPF fail for eve@"+lab.ForgedDomain) || !strings.Contains(out, `"v=spf1 ip4:192.0.2.0/24 -all"`) {
		t.Errorf("exit %d: %s\n%s", code, errOut, out)
	}
	if _, out, _ = run(t, args...); strings.Contains(out, "\nD: ") {
		t.Errorf("without --check-identity, DNS was asked:\n%s", out)
	}
}
