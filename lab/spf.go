package lab

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/emersion/go-smtp"
)

// spfRecords are the SPF records of the lab's own zones (zone.go), by
// domain: what the mx endpoint checks a MAIL FROM against when the lab
// runs with Config.EnforceSPF.
var spfRecords = map[string]string{Domain: labSPF, ForgedDomain: forgedSPF}

// spfRefusal is the mx endpoint's answer to MAIL FROM:<from> from the
// client named client ("localhost[127.0.0.1]") when the lab enforces SPF:
// nil when the sender's domain is not one of the lab's or its record lets
// the address send, else the refusal Postfix with policyd-spf gives a
// fail (RFC 7208 8.4). The lab's records hold only ip4, ip6 and all terms
// (RFC 7208 5.1, 5.6), which is all this evaluates: ehlo's identity
// package is the full evaluator, on the client's side.
func (l *Lab) spfRefusal(p policy, from, client string) error {
	if !l.enforceSPF || p.name != "mx" {
		return nil
	}
	at := strings.LastIndexByte(from, '@')
	rec, ok := spfRecords[strings.ToLower(from[at+1:])]
	ip, err := netip.ParseAddr(strings.TrimSuffix(client[strings.IndexByte(client, '[')+1:], "]"))
	if at < 0 || !ok || err != nil || spfResult(rec, ip.Unmap()) != "fail" {
		return nil
	}
	// pypolicyd-spf's reject text (policydspf.py), behind Postfix's
	// "<%s>: Sender address rejected: " (smtpd_check.c).
	return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 23},
		Message: fmt.Sprintf("<%s>: Sender address rejected: Message rejected due to: SPF fail - not authorized. "+
			"Please see http://www.open-spf.org/Why;id=%s;ip=%s;r=<UNKNOWN>", from, strings.ReplaceAll(from, "@", "%40"), ip)}
}

// spfResult evaluates a record of ip4, ip6 and all terms for ip: the
// first that matches gives its qualifier's result, "neutral" when none
// does.
func spfResult(rec string, ip netip.Addr) string {
	results := map[byte]string{'+': "pass", '-': "fail", '~': "softfail", '?': "neutral"}
	for _, t := range strings.Fields(rec)[1:] {
		q := byte('+')
		if strings.ContainsRune("+-~?", rune(t[0])) {
			q, t = t[0], t[1:]
		}
		if t == "all" {
			return results[q]
		}
		if net, ok := strings.CutPrefix(t, "ip4:"); ok && inNetwork(net, ip) {
			return results[q]
		}
		if net, ok := strings.CutPrefix(t, "ip6:"); ok && inNetwork(net, ip) {
			return results[q]
		}
	}
	return "neutral"
}

// inNetwork reports whether ip is in the address or prefix s.
func inNetwork(s string, ip netip.Addr) bool {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		return err == nil && a == ip
	}
	p, err := netip.ParsePrefix(s)
	return err == nil && p.Contains(ip)
}
