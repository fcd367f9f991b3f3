package lab

import (
	"encoding/hex"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// The names the lab's DNS server publishes, besides Domain. Its zones are
// lab.test and ForgedDomain (RFC 6761 reserves .test for testing).
const (
	// ForgedDomain is a sender domain that does not send from the lab: its
	// SPF record (RFC 7208) lists only 192.0.2.0/24 and ends in -all, its
	// DMARC record (RFC 7489) says p=reject. A MAIL FROM in it, sent from
	// loopback, is a forgery.
	ForgedDomain = "forged.test"
	// PolicyHost serves lab.test's MTA-STS policy (RFC 8461 section 3.3).
	PolicyHost = "mta-sts." + Domain
	// NullMXDomain publishes a null MX, "MX 0 ." (RFC 7505): it accepts no
	// mail.
	NullMXDomain = "nullmx." + Domain
	// DanglingMXDomain's MX host, nowhere.lab.test, does not exist.
	DanglingMXDomain = "dangling." + Domain
	// ImplicitMXDomain has no MX but an address: the implicit MX (RFC 5321
	// section 5.1), the mx endpoint.
	ImplicitMXDomain = "implicit." + Domain
	// PortsName holds the lab's own port map, a TXT record
	// "mx=1025 mta-sts=1443" (no standard): where the MX hosts and the
	// policy host listen instead of 25 and 443, for a client that knows
	// only the lab's DNS server.
	PortsName = "_ports." + Domain
	// CNAMEMXDomain's MX host, mxalias.lab.test, is a CNAME of the first
	// MX host (RFC 7672 section 2.2.2 says how DANE follows it).
	CNAMEMXDomain = "cname." + Domain
)

// Serves reports whether name is in a zone the lab's DNS server answers
// for: lab.test, ForgedDomain, or a name under one of them. Case and a
// final dot do not matter.
func Serves(name string) bool { return zoneOf(name) != "" }

// zoneOf is the lab zone name is in, as an absolute name in lower case
// ("lab.test."), or "".
func zoneOf(name string) string {
	name = strings.ToLower(dns.Fqdn(name))
	for _, apex := range []string{Domain + ".", ForgedDomain + "."} {
		if name == apex || strings.HasSuffix(name, "."+apex) {
			return apex
		}
	}
	return ""
}

// MXHosts are lab.test's MX hosts at preference 10 and 20. Both are the mx
// endpoint, on its port (Lab.MXPort); the SMTP certificate names both.
var MXHosts = [2]string{"mx1." + Domain, "mx2." + Domain}

// Mail authentication records, as data: the lab evaluates none of them.
const (
	labSPF      = "v=spf1 ip4:127.0.0.1 ip6:::1 -all"
	labDMARC    = "v=DMARC1; p=none; rua=mailto:dmarc@" + Domain
	forgedSPF   = "v=spf1 ip4:192.0.2.0/24 -all"
	forgedDMARC = "v=DMARC1; p=reject"
	labTLSRPT   = "v=TLSRPTv1; rua=mailto:tlsrpt@" + Domain
)

// zoneFacts are what the zones say about the running lab.
type zoneFacts struct {
	ns, mx, policy     netip.Addr // the DNS server's, the mx endpoint's and the policy host's addresses
	mxPort, policyPort int
	spki               []byte // SHA-256 of the SMTP certificate's public key
	stsID              string // the _mta-sts record's id (RFC 8461 section 3.1)
	endpoints          []Endpoint
}

// zoneText is the lab's zones in master-file form (RFC 1035 section 5),
// one record a line, every name absolute.
func zoneText(f zoneFacts) string {
	var z zoneWriter
	for _, apex := range []string{Domain, ForgedDomain} {
		// The SOA's last field is the TTL of a negative answer (RFC 2308).
		z.add("%s. SOA ns.%s. hostmaster.%s. 1 3600 600 86400 300", apex, Domain, Domain)
		z.add("%s. NS ns.%s.", apex, Domain)
	}
	z.add("ns.%s. %s", Domain, addrRR(f.ns))
	z.mail(f)
	z.mxHosts(f)
	z.endpoints(f.endpoints)
	z.lessons(f.mx)
	z.add("%s. TXT %q", ForgedDomain, forgedSPF)
	z.add("_dmarc.%s. TXT %q", ForgedDomain, forgedDMARC)
	return z.String()
}

// zoneWriter writes a zone's text a record at a time.
type zoneWriter struct{ strings.Builder }

// add writes one record.
func (z *zoneWriter) add(format string, args ...any) { fmt.Fprintf(z, format+"\n", args...) }

// mail writes lab.test's mail records: MX, SPF, DMARC, MTA-STS, TLS-RPT,
// and the lab's port map.
func (z *zoneWriter) mail(f zoneFacts) {
	z.add("%s. MX 10 %s.", Domain, MXHosts[0])
	z.add("%s. MX 20 %s.", Domain, MXHosts[1])
	z.add("%s. TXT %q", Domain, labSPF)
	z.add("_dmarc.%s. TXT %q", Domain, labDMARC)
	z.add("_mta-sts.%s. TXT %q", Domain, "v=STSv1; id="+f.stsID)
	z.add("%s. %s", PolicyHost, addrRR(f.policy))
	z.add("_smtp._tls.%s. TXT %q", Domain, labTLSRPT)
	z.add("%s. TXT %q", PortsName, fmt.Sprintf("mx=%d mta-sts=%d", f.mxPort, f.policyPort))
}

// mxHosts writes the MX hosts' addresses and TLSA records: DANE-EE, SPKI,
// SHA-256 (RFC 7671 section 5.1) at port 25, where MX delivery looks (RFC
// 7672 section 2.2.3), and at the lab's port.
func (z *zoneWriter) mxHosts(f zoneFacts) {
	for _, mx := range MXHosts {
		z.add("%s. %s", mx, addrRR(f.mx))
		for _, port := range uniq(25, f.mxPort) {
			z.add("_%d._tcp.%s. TLSA 3 1 1 %s", port, mx, hex.EncodeToString(f.spki))
		}
	}
	z.add("mail.%s. %s", Domain, addrRR(f.mx))
}

// endpoints writes each endpoint's address, and the SRV records where a
// mail client finds submission (RFC 6186) and implicit-TLS submission (RFC
// 8314 section 5.1).
func (z *zoneWriter) endpoints(eps []Endpoint) {
	srv := map[string]string{"submission": "_submission", "smtps": "_submissions"}
	for _, e := range eps {
		at := addrPort(e.Addr)
		z.add("%s.%s. %s", e.Name, Domain, addrRR(at.Addr()))
		if srv[e.Name] != "" {
			z.add("%s._tcp.%s. SRV 0 1 %d %s.%s.", srv[e.Name], Domain, at.Port(), e.Name, Domain)
		}
	}
}

// lessons writes the names that show how routing goes wrong or round.
func (z *zoneWriter) lessons(mx netip.Addr) {
	z.add("%s. MX 0 .", NullMXDomain)
	z.add("%s. MX 10 nowhere.%s.", DanglingMXDomain, Domain)
	z.add("%s. %s", ImplicitMXDomain, addrRR(mx))
	z.add("%s. MX 10 mxalias.%s.", CNAMEMXDomain, Domain)
	z.add("mxalias.%s. CNAME %s.", Domain, MXHosts[0])
}

// addrRR is the type and data of an address record: "A 127.0.0.1".
func addrRR(a netip.Addr) string {
	if a.Is4() || a.Is4In6() {
		return "A " + a.Unmap().String()
	}
	return "AAAA " + a.String()
}

// addrPort parses a listener's address; the lab's are always IP:port.
func addrPort(s string) netip.AddrPort {
	ap, _ := netip.ParseAddrPort(s)
	return ap
}

// uniq is a and b, or a alone when they are equal.
func uniq(a, b int) []int {
	if a == b {
		return []int{a}
	}
	return []int{a, b}
}

// zone is the records the lab's DNS server answers from, by owner name
// (lower case, absolute) and type.
type zone struct {
	names map[string]map[uint16][]dns.RR
}

// newZone parses text, one record a line, with a TTL of 300 seconds.
func newZone(text string) (*zone, error) {
	z := &zone{names: map[string]map[uint16][]dns.RR{}}
	p := dns.NewZoneParser(strings.NewReader(text), "", "lab zone")
	p.SetDefaultTTL(300)
	for rr, ok := p.Next(); ok; rr, ok = p.Next() {
		h := rr.Header()
		name := strings.ToLower(h.Name)
		if z.names[name] == nil {
			z.names[name] = map[uint16][]dns.RR{}
		}
		z.names[name][h.Rrtype] = append(z.names[name][h.Rrtype], rr)
	}
	if err := p.Err(); err != nil {
		return nil, fmt.Errorf("lab: zone: %w", err)
	}
	return z, nil
}

// maxCNAMEs bounds the CNAME chain an answer follows inside the zones.
const maxCNAMEs = 8

// answer is the authoritative answer to one question (RFC 1034 section
// 4.3.2): REFUSED outside the lab's zones; the records, following CNAMEs
// inside them; else NXDOMAIN or NODATA with the zone's SOA in the authority
// section for negative caching (RFC 2308).
func (z *zone) answer(q dns.Question) (rcode int, answer, authority []dns.RR) {
	name := strings.ToLower(q.Name)
	if zoneOf(name) == "" || (q.Qclass != dns.ClassINET && q.Qclass != dns.ClassANY) {
		return dns.RcodeRefused, nil, nil
	}
	for range maxCNAMEs {
		sets, ok := z.names[name]
		switch {
		case !ok && z.hasBelow(name):
			return dns.RcodeSuccess, answer, z.soa(name) // an empty non-terminal: NODATA
		case !ok:
			return dns.RcodeNameError, answer, z.soa(name)
		case q.Qtype == dns.TypeANY:
			for _, t := range slices.Sorted(maps.Keys(sets)) {
				answer = append(answer, sets[t]...)
			}
			return dns.RcodeSuccess, answer, nil
		case len(sets[q.Qtype]) > 0:
			return dns.RcodeSuccess, append(answer, sets[q.Qtype]...), nil
		case len(sets[dns.TypeCNAME]) == 0:
			return dns.RcodeSuccess, answer, z.soa(name)
		}
		cname := sets[dns.TypeCNAME][0]
		answer = append(answer, cname)
		name = strings.ToLower(cname.(*dns.CNAME).Target)
		if zoneOf(name) == "" {
			return dns.RcodeSuccess, answer, nil // the resolver follows it elsewhere
		}
	}
	return dns.RcodeServerFailure, nil, nil // a loop: none in the lab's zones
}

// hasBelow reports a name under name: name exists, without records.
func (z *zone) hasBelow(name string) bool {
	for n := range z.names {
		if strings.HasSuffix(n, "."+name) {
			return true
		}
	}
	return false
}

// soa is the SOA record of name's zone.
func (z *zone) soa(name string) []dns.RR {
	return z.names[zoneOf(name)][dns.TypeSOA]
}
