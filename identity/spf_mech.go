package identity

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/ehlo-sh/ehlo/dns"
)

// mechanism evaluates one mechanism (RFC 7208 5), saying in the trace what
// it did; ok reports a match.
func (e *evaluator) mechanism(domain string, depth int, t *term) (ok bool, err error) {
	switch t.name {
	case "all":
		e.step(depth, domain, t.raw, "", "matches every address")
		return true, nil
	case "ip4", "ip6":
		ok = t.network.Contains(e.ip)
		e.step(depth, domain, t.raw, "", matchNote(ok, e.ip.String()+" is in "+t.network.String(), e.ip.String()+" is not in "+t.network.String()))
		return ok, nil
	}
	if err := e.count(); err != nil {
		return false, err
	}
	target, err := e.expandDomain(t.arg, domain)
	if err != nil {
		return false, err
	}
	switch t.name {
	case "include":
		return e.include(domain, depth, t, target)
	case "a":
		return e.a(domain, depth, t, target)
	case "mx":
		return e.mx(domain, depth, t, target)
	case "ptr":
		return e.ptr(domain, depth, t, target)
	case "exists":
		return e.exists(domain, depth, t, target)
	}
	return false, permerror("%s: unknown mechanism", t.raw)
}

func matchNote(ok bool, yes, no string) string {
	if ok {
		return "match: " + yes
	}
	return "no match: " + no
}

// expanded is the target for the trace: "" when it is the term's own text.
func expanded(t *term, target string) string {
	if t.arg == target {
		return ""
	}
	return target
}

// include (RFC 7208 5.2): matches on the included record's pass only; its
// none is a permerror.
func (e *evaluator) include(domain string, depth int, t *term, target string) (bool, error) {
	e.step(depth, domain, t.raw, expanded(t, target), "evaluating the record of "+target)
	if depth >= maxDepth {
		return false, permerrorFor(CauseDepth, "include and redirect nested more than %d deep", maxDepth)
	}
	res, reason, _ := e.checkHost(target, depth+1)
	switch res {
	case Pass:
		e.step(depth, domain, t.raw, "", "match: the included record passes")
		return true, nil
	case Fail, SoftFail, Neutral:
		e.step(depth, domain, t.raw, "", "no match: the included record says "+string(res))
		return false, nil
	case TempError:
		return false, temperror("%s", reason)
	case None:
		return false, permerrorFor(CauseNoSPF, "include:%s: %s (an include of a domain without SPF is a permerror)", target, reason)
	}
	return false, &spfError{result: PermError, reason: reason}
}

// addresses looks up name's addresses of ip's family; void says it found
// none.
func (e *evaluator) addresses(name string, qtype uint16) (addrs []netip.Addr, void bool, err error) {
	a, err := e.ask(name, qtype)
	if err != nil {
		return nil, false, err
	}
	for _, r := range a.Records {
		if r.Addr.IsValid() {
			addrs = append(addrs, r.Addr.Unmap())
		}
	}
	return addrs, isVoid(a), nil
}

// inPrefix reports whether the client is in one of addrs' networks of the
// term's prefix length.
func (e *evaluator) inPrefix(t *term, addrs []netip.Addr) (netip.Prefix, bool) {
	for _, a := range addrs {
		bits := a.BitLen()
		if a.Is4() && t.cidr4 >= 0 {
			bits = t.cidr4
		}
		if a.Is6() && t.cidr6 >= 0 {
			bits = t.cidr6
		}
		p := netip.PrefixFrom(a, bits).Masked()
		if a.Is4() == e.ip.Is4() && p.Contains(e.ip) {
			return p, true
		}
	}
	return netip.Prefix{}, false
}

// a (RFC 7208 5.3): the target's addresses.
func (e *evaluator) a(domain string, depth int, t *term, target string) (bool, error) {
	addrs, void, err := e.addresses(target, e.addrType())
	if err != nil {
		return false, err
	}
	if void {
		if err := e.void(); err != nil {
			return false, err
		}
		e.step(depth, domain, t.raw, expanded(t, target), fmt.Sprintf("no match: %s has no %s record (void lookup %d of %d)",
			target, dns.TypeString(e.addrType()), e.voids, MaxVoids))
		return false, nil
	}
	p, ok := e.inPrefix(t, addrs)
	e.step(depth, domain, t.raw, expanded(t, target), matchNote(ok, fmt.Sprintf("%s is in %s (%s)", e.ip, p, target),
		fmt.Sprintf("%s is not among %s's addresses %s", e.ip, target, joinAddrs(addrs))))
	return ok, nil
}

// mx (RFC 7208 5.4): the addresses of the target's MX hosts, at most
// MaxMXNames of them.
func (e *evaluator) mx(domain string, depth int, t *term, target string) (bool, error) {
	a, err := e.ask(target, dns.TypeMX)
	if err != nil {
		return false, err
	}
	if isVoid(a) {
		if err := e.void(); err != nil {
			return false, err
		}
		e.step(depth, domain, t.raw, expanded(t, target), fmt.Sprintf("no match: %s has no MX record (void lookup %d of %d)", target, e.voids, MaxVoids))
		return false, nil
	}
	if len(a.Records) > MaxMXNames {
		return false, permerrorFor(CauseMXNames, "%s has %d MX records; an mx mechanism may look at %d (RFC 7208 4.6.4)", target, len(a.Records), MaxMXNames)
	}
	var all []netip.Addr
	for _, r := range a.Records {
		if r.Host == "" || r.Host == "." {
			continue // a null MX has no address
		}
		addrs, _, err := e.addresses(r.Host, e.addrType())
		if err != nil {
			return false, err
		}
		all = append(all, addrs...)
		if p, ok := e.inPrefix(t, addrs); ok {
			e.step(depth, domain, t.raw, expanded(t, target), fmt.Sprintf("match: %s is in %s (MX %s)", e.ip, p, bare(r.Host)))
			return true, nil
		}
	}
	e.step(depth, domain, t.raw, expanded(t, target), fmt.Sprintf("no match: %s is not among the addresses of %s's %d MX hosts %s",
		e.ip, target, len(a.Records), joinAddrs(all)))
	return false, nil
}

// ptr (RFC 7208 5.5): a forward-confirmed name of the client in the target
// domain. A DNS error is no match.
func (e *evaluator) ptr(domain string, depth int, t *term, target string) (bool, error) {
	names, err := e.confirmedNames()
	if err != nil {
		return false, err
	}
	for _, n := range names {
		if n == bare(target) || strings.HasSuffix(n, "."+bare(target)) {
			e.step(depth, domain, t.raw, expanded(t, target), "match: "+e.ip.String()+" is "+n+", confirmed forward")
			return true, nil
		}
	}
	e.step(depth, domain, t.raw, expanded(t, target), fmt.Sprintf("no match: no confirmed name of %s ends in %s (%d confirmed: %s)",
		e.ip, target, len(names), strings.Join(names, ", ")))
	return false, nil
}

// confirmedNames are the client's PTR names (at most MaxPTRNames) whose
// addresses include the client (RFC 7208 5.5).
func (e *evaluator) confirmedNames() ([]string, error) {
	if e.validatedDone {
		return e.validated, nil
	}
	e.validatedDone = true
	a, err := e.ask(reverseName(e.ip), dns.TypePTR)
	if err != nil {
		return nil, nil // RFC 7208 5.5: a DNS error here is no match
	}
	if isVoid(a) {
		if err := e.void(); err != nil {
			return nil, err
		}
	}
	for i, r := range a.Records {
		if i >= MaxPTRNames {
			break
		}
		addrs, _, err := e.addresses(r.Host, e.addrType())
		if err != nil {
			continue
		}
		for _, x := range addrs {
			if x == e.ip {
				e.validated = append(e.validated, bare(r.Host))
				break
			}
		}
	}
	return e.validated, nil
}

// validatedName is %{p}: a confirmed name of the client, one in domain
// preferred, else "unknown" (RFC 7208 7.3).
func (e *evaluator) validatedName(domain string) string {
	names, _ := e.confirmedNames()
	for _, n := range names {
		if n == bare(domain) || strings.HasSuffix(n, "."+bare(domain)) {
			return n
		}
	}
	if len(names) > 0 {
		return names[0]
	}
	return "unknown"
}

// exists (RFC 7208 5.7): any A record of the target, whatever the client's
// family.
func (e *evaluator) exists(domain string, depth int, t *term, target string) (bool, error) {
	addrs, void, err := e.addresses(target, dns.TypeA)
	if err != nil {
		return false, err
	}
	if void {
		if err := e.void(); err != nil {
			return false, err
		}
		e.step(depth, domain, t.raw, expanded(t, target), fmt.Sprintf("no match: %s does not exist (void lookup %d of %d)", target, e.voids, MaxVoids))
		return false, nil
	}
	e.step(depth, domain, t.raw, expanded(t, target), "match: "+target+" exists ("+joinAddrs(addrs)+")")
	return true, nil
}

func joinAddrs(addrs []netip.Addr) string {
	if len(addrs) == 0 {
		return "(none)"
	}
	s := make([]string, 0, min(len(addrs), 10))
	for _, a := range addrs[:min(len(addrs), 10)] {
		s = append(s, a.String())
	}
	if len(addrs) > 10 {
		s = append(s, fmt.Sprintf("… %d more", len(addrs)-10))
	}
	return strings.Join(s, ", ")
}

// reverseName is the in-addr.arpa or ip6.arpa name of ip (RFC 1035 3.5,
// RFC 3596 2.5).
func reverseName(ip netip.Addr) string {
	ip = ip.Unmap()
	if ip.Is4() {
		b := ip.As4()
		return fmt.Sprintf("%d.%d.%d.%d.in-addr.arpa.", b[3], b[2], b[1], b[0])
	}
	b := ip.As16()
	var s strings.Builder
	for i := len(b) - 1; i >= 0; i-- {
		fmt.Fprintf(&s, "%x.%x.", b[i]&0xf, b[i]>>4)
	}
	return s.String() + "ip6.arpa."
}
