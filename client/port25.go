package client

import (
	"fmt"
	"time"

	"github.com/ehlo-sh/ehlo/session"
)

// Port25Attempt is one dial of an MX address on port 25, as direct
// delivery makes it.
type Port25Attempt struct {
	Host     string // the MX host
	Addr     string // "ip:25"
	TimedOut bool   // no answer at all within the deadline (SYN dropped), not a refusal
	After    time.Duration
	Err      string // in words, when it failed otherwise (refused, unreachable)
}

// Port25Blocked judges direct delivery's dials: when DNS answered
// (dnsWorked), every MX address timed out on port 25, and a control
// connection to another port of a known host worked (otherPort, such as
// 587 or 443), the likeliest cause is this network dropping outbound port
// 25, as cloud providers and ISPs do. A refusal (RST) or one MX answering
// is not that. It gives the port25-blocked finding, with its evidence.
func Port25Blocked(dnsWorked bool, attempts []Port25Attempt, otherPort string) (session.Finding, bool) {
	if !dnsWorked || len(attempts) == 0 || otherPort == "" {
		return session.Finding{}, false
	}
	var ev []string
	for _, a := range attempts {
		if !a.TimedOut {
			return session.Finding{}, false
		}
		ev = append(ev, session.SanitizeString(fmt.Sprintf("* %s (%s): no answer on port 25 within %s", a.Host, a.Addr, session.Millis(a.After))))
	}
	ev = append(ev, "* DNS answered, and "+session.SanitizeString(otherPort)+" connected: the network works, port 25 does not")
	f := session.NewFinding("port25-blocked", ev...)
	hosts := len(attempts)
	f.Title = fmt.Sprintf("Outbound port 25 is probably blocked by this network: %d MX address%s timed out", hosts,
		map[bool]string{true: "", false: "es all"}[hosts == 1])
	return f, true
}
