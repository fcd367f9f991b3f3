package identity

import (
	"fmt"
	"strings"
)

// spfFix says what to change for a fail or softfail, and what is wrong for
// a permerror: the record with this address added, placed before the term
// that refused it.
func spfFix(s SPF) string {
	switch s.Result {
	case Fail, SoftFail:
		return failFix(s)
	case PermError:
		return "Receivers treat a broken SPF record as no authorization at all (many refuse the mail): " + s.Reason + ". " +
			"Fix the record of " + s.Domain + "; keep it under 10 DNS lookups by replacing include:s you do not need with ip4:/ip6: ranges."
	case None:
		return fmt.Sprintf("Publish a TXT record at %s such as \"v=spf1 %s ~all\" listing the addresses that send its mail.", s.Domain, mechFor(s))
	}
	return ""
}

// failFix: the record refused the address. When it did with its final
// all, the address goes before it; a term that names it explicitly is
// a choice someone made.
func failFix(s SPF) string {
	add := mechFor(s)
	intro := fmt.Sprintf("If %s may send mail for %s, add %s to its SPF record", s.IP, s.Domain, add)
	if s.Scope == "helo" {
		intro = fmt.Sprintf("For the null sender SPF checks the HELO name %s: if %s may use it, add %s to its record", s.Domain, s.IP, add)
	}
	decided := s.Matched
	if strings.Contains(decided, "redirect=") {
		return intro + ", or to the record that " + strings.Fields(decided)[0] + " names, which decided (" + decided + ")." +
			"\nOtherwise send through a server that record lists (your provider's submission server, with AUTH)."
	}
	body := strings.TrimSpace(strings.TrimPrefix(s.Record, "v=spf1"))
	terms := strings.Fields(body)
	var out []string
	placed := false
	for _, t := range terms {
		if !placed && t == decided {
			out, placed = append(out, add), true
		}
		out = append(out, t)
	}
	if !placed {
		out = append(out, add)
	}
	proposed := "v=spf1 " + strings.Join(out, " ")
	if len(decided) > 0 && !strings.HasSuffix(strings.ToLower(decided), "all") {
		intro += " (it refuses this address explicitly with " + decided + ": check why first)"
	}
	return intro + ":\n  " + s.Domain + ". TXT \"" + proposed + "\"" +
		"\nOtherwise send through a server the record already lists (your provider's submission server, with AUTH)."
}

// mechFor is the mechanism that lists the client's address.
func mechFor(s SPF) string {
	if s.IP.Is4() {
		return "ip4:" + s.IP.String()
	}
	return "ip6:" + s.IP.String()
}
