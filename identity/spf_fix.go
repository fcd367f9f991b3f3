package identity

import (
	"cmp"
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
		return "Receivers treat a broken SPF record as no authorization at all (many refuse the mail). " + permFix(s)
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

// permFix says what is wrong with a record that is a permerror, and what to
// change, after its cause: the advice for too many lookups is not the one
// for a typing mistake.
func permFix(s SPF) string {
	where := cmp.Or(s.CauseDomain, s.Domain)
	term := "the record of " + where
	if s.Term != "" {
		term = s.Term + " in the record of " + where
	}
	switch s.Cause {
	case CauseLookups:
		if d := loopsTo(s); d != "" {
			return fmt.Sprintf("The include:s and redirect=s form a loop: the record of %s is reached again from one it leads to, so the "+
				"evaluation runs until the limit of %d DNS lookups (RFC 7208 4.6.4). Remove the include: or redirect= that leads back to %s.",
				d, MaxLookups, d)
		}
		return fmt.Sprintf("The record of %s needs more than %d DNS lookups (each include, a, mx, ptr, exists and redirect is one, "+
			"and those of the records it includes count too; RFC 7208 4.6.4): the lookup over the limit was %s. "+
			"Remove the include:s you no longer use, and replace a, mx or include: terms that name fixed servers with their ip4:/ip6: ranges.",
			s.Domain, MaxLookups, term)
	case CauseVoids:
		return fmt.Sprintf("More than %d of the record's lookups found nothing (a name that does not exist, or has no records of the "+
			"type asked; RFC 7208 4.6.4): the one over the limit was %s. Remove the terms that name domains that are gone, or fix their names.",
			MaxVoids, term)
	case CauseSyntax:
		if s.Term == "" {
			return fmt.Sprintf("The record of %s is not valid SPF: %s. Correct it; receivers stop at the first error, whatever the rest says.", where, s.Reason)
		}
		return fmt.Sprintf("In the record of %s, %s is not valid SPF: %s. Correct or remove that term; receivers stop at it, whatever the rest of the record says.",
			where, s.Term, strings.TrimPrefix(s.Reason, s.Term+": "))
	case CauseNoSPF:
		return fmt.Sprintf("%s names a domain that publishes no SPF record, which RFC 7208 5.2 and 6.1 make a permerror (%s). "+
			"Remove it, or correct the name: a provider's documentation gives the exact include: to use.", term, s.Reason)
	case CauseTwoRecords:
		return fmt.Sprintf("%s publishes more than one TXT record that starts with v=spf1, and RFC 7208 4.5 allows one: "+
			"merge their terms into a single record.", where)
	case CauseDepth:
		return fmt.Sprintf("%s leads through too many nested include:s and redirect=s (%s). Flatten the chain: "+
			"include the records you need directly, or list their ip4:/ip6: ranges.", cmp.Or(s.Term, "The record of "+where), s.Reason)
	case CauseMXNames:
		return fmt.Sprintf("%s looks at a domain with more than %d MX records (RFC 7208 4.6.4): %s. List those servers' addresses with ip4:/ip6: instead.",
			term, MaxMXNames, s.Reason)
	}
	return s.Reason + ". Fix the record of " + where + "."
}

// loopsTo is the first domain whose record the evaluation reached again
// from inside itself (an include: or redirect= chain leading back to a
// record on its own path); "" when none. A record included twice from
// two places is no loop.
func loopsTo(s SPF) string {
	var path []string // the records being evaluated, by depth
	for _, st := range s.Trace {
		if st.Term != "" || !strings.HasPrefix(st.Note, "record: ") {
			continue
		}
		path = path[:min(st.Depth, len(path))]
		for _, d := range path {
			if strings.EqualFold(d, st.Domain) {
				return st.Domain
			}
		}
		path = append(path, st.Domain)
	}
	return ""
}
