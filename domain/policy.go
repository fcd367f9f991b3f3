package domain

import (
	"fmt"
	"strconv"
	"strings"
)

// Policy is an MTA-STS policy (RFC 8461 3.2).
type Policy struct {
	Version string   // "STSv1"
	Mode    string   // "enforce", "testing" or "none"
	MaxAge  int      // seconds a sender may cache it, up to 31557600
	MX      []string // the patterns: "mail.example.com", "*.example.net"
}

// Policy modes (RFC 8461 5).
const (
	ModeEnforce = "enforce" // a sender must not deliver to an MX that fails the policy
	ModeTesting = "testing" // a sender delivers anyway and reports failures (TLS-RPT)
	ModeNone    = "none"    // no policy in force
)

// maxMaxAge is the longest max_age RFC 8461 3.2 allows (a year).
const maxMaxAge = 31557600

// ParsePolicy reads a policy body (RFC 8461 3.2): "key: value" lines ended
// by CRLF or LF, version first. A control character inside a line (a bare
// CR that would hide a line from a reader, say), a malformed line, a mode
// other than the three, a max_age that is not a number up to a year, or an
// mx pattern that is not a host name is an error naming the line. Unknown
// keys are ignored (RFC 8461 3.2), and so is a repeated key other than mx,
// after its first.
func ParsePolicy(body string) (Policy, error) {
	var p Policy
	seen := map[string]bool{}
	lines := strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	for i, line := range lines {
		n := i + 1
		if i := strings.IndexFunc(line, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }); i >= 0 {
			return p, fmt.Errorf("line %d holds %s: %s", n, controlName(line[i]), quote(line))
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok || key == "" || strings.ContainsAny(key, " \t") {
			return p, fmt.Errorf("line %d is not \"key: value\": %s", n, quote(line))
		}
		value = strings.Trim(value, " \t")
		if i == 0 && key != "version" {
			return p, fmt.Errorf("line 1 is %s, and a policy begins with \"version: STSv1\"", quote(line))
		}
		if err := p.set(key, value, seen[key]); err != nil {
			return p, fmt.Errorf("line %d: %w", n, err)
		}
		seen[key] = true
	}
	for _, k := range []string{"version", "mode", "max_age"} {
		if !seen[k] {
			return p, fmt.Errorf("no %s line", k)
		}
	}
	if len(p.MX) == 0 && p.Mode != ModeNone {
		return p, fmt.Errorf("mode %s and no mx line: no MX could satisfy the policy", p.Mode)
	}
	return p, nil
}

// set takes one key's value.
func (p *Policy) set(key, value string, again bool) error {
	if again && key != "mx" {
		return nil // RFC 8461 3.2: only the first instance of a field counts
	}
	switch key {
	case "version":
		if value != "STSv1" {
			return fmt.Errorf("version %s, not STSv1", quote(value))
		}
		p.Version = value
	case "mode":
		if value != ModeEnforce && value != ModeTesting && value != ModeNone {
			return fmt.Errorf("mode %s, not enforce, testing or none", quote(value))
		}
		p.Mode = value
	case "max_age":
		n, err := strconv.Atoi(value)
		if err != nil || n < 0 || n > maxMaxAge || strings.Trim(value, "0123456789") != "" || len(value) > 10 {
			return fmt.Errorf("max_age %s, not a number of seconds from 0 to %d", quote(value), maxMaxAge)
		}
		p.MaxAge = n
	case "mx":
		if err := checkPattern(value); err != nil {
			return fmt.Errorf("mx pattern %s %v", quote(value), err)
		}
		p.MX = append(p.MX, strings.ToLower(strings.TrimSuffix(value, ".")))
	}
	return nil
}

// checkPattern checks an mx pattern: a host name in A-labels, or "*."
// and one (RFC 8461 3.2, 4.1).
func checkPattern(s string) error {
	host := strings.TrimPrefix(s, "*.")
	if !isASCII(host) {
		return fmt.Errorf("is not in A-labels (write IDNs as xn--…)")
	}
	n, err := ParseName(host)
	if err != nil || strings.Contains(n.ASCII, "_") || !strings.Contains(n.ASCII, ".") {
		return fmt.Errorf("is not a host name")
	}
	return nil
}

// quote shows a piece of a policy or record, quoted; like every text of
// this package it is sanitized where it is displayed.
func quote(s string) string { return `"` + s + `"` }

// controlName names a control byte: a bare CR is the one that hides a line.
func controlName(c byte) string {
	switch c {
	case '\r':
		return "a bare CR (a line ends with CRLF or LF, RFC 8461 3.2)"
	case 0x1b:
		return "an escape character (ESC)"
	}
	return fmt.Sprintf("the control byte 0x%02x", c)
}

// Match gives the pattern an MX host name matches, or "" (RFC 8461 4.1):
// a pattern is the name itself, or "*." and a name that the host extends
// by exactly one label.
func (p Policy) Match(host string) string {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, pat := range p.MX {
		if rest, ok := strings.CutPrefix(pat, "*."); ok {
			if _, parent, ok := strings.Cut(host, "."); ok && parent == rest {
				return pat
			}
		} else if host == pat {
			return pat
		}
	}
	return ""
}
