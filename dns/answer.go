package dns

import (
	"encoding/hex"
	"net/netip"
	"strings"

	mdns "github.com/miekg/dns"
)

// answerOf reads the reply r to the question (name, qtype): the CNAME chain
// from name within the answer section, then the records of qtype at the
// chain's end. Records at other names are not taken. more reports a chain
// that ends, with NOERROR, at a name with no records and no SOA saying
// there are none: the resolver did not follow the CNAME, and the caller
// should ask the chain's last name.
func answerOf(r *mdns.Msg, name string, qtype uint16) (a *Answer, more bool, err error) {
	a = &Answer{Name: name, Type: qtype, Rcode: r.Rcode, Authentic: r.AuthenticatedData, EDE: extendedErrors(r)}
	a.Canonical = name
	if qtype != TypeCNAME {
		a.CNAMEs = cnameChain(r.Answer, name)
		if err := checkChain(name, a.CNAMEs); err != nil {
			return nil, false, err
		}
		if len(a.CNAMEs) > 0 {
			a.Canonical = a.CNAMEs[len(a.CNAMEs)-1]
		}
	}
	for _, rr := range r.Answer {
		h := rr.Header()
		if h.Rrtype == qtype && h.Class == mdns.ClassINET && equalNames(h.Name, a.Canonical) {
			a.Records = append(a.Records, record(rr))
		}
	}
	more = len(a.CNAMEs) > 0 && a.Rcode == RcodeSuccess && len(a.Records) == 0 && !hasSOA(r.Ns)
	return a, more, nil
}

// cnameChain follows CNAME records from name through rrs, in order, until
// a name has none or the chain is one link over MaxCNAMEs or comes back on
// itself (checkChain says which).
func cnameChain(rrs []mdns.RR, name string) []string {
	var names []string
	seen := map[string]bool{strings.ToLower(name): true}
	for cur := name; len(names) <= MaxCNAMEs; {
		next := cnameAt(rrs, cur)
		if next == "" {
			break
		}
		names = append(names, next)
		if seen[strings.ToLower(next)] {
			break
		}
		seen[strings.ToLower(next)] = true
		cur = next
	}
	return names
}

// cnameAt is the target of the CNAME record owned by name in rrs, or "".
func cnameAt(rrs []mdns.RR, name string) string {
	for _, rr := range rrs {
		if c, ok := rr.(*mdns.CNAME); ok && c.Hdr.Class == mdns.ClassINET && equalNames(c.Hdr.Name, name) {
			return c.Target
		}
	}
	return ""
}

func hasSOA(rrs []mdns.RR) bool {
	for _, rr := range rrs {
		if rr.Header().Rrtype == mdns.TypeSOA {
			return true
		}
	}
	return false
}

// extendedErrors are the Extended DNS Error options of r's OPT record
// (RFC 8914 2).
func extendedErrors(r *mdns.Msg) []ExtendedError {
	opt := r.IsEdns0()
	if opt == nil {
		return nil
	}
	var out []ExtendedError
	for _, o := range opt.Option {
		if e, ok := o.(*mdns.EDNS0_EDE); ok {
			out = append(out, ExtendedError{Code: e.InfoCode, Text: e.ExtraText})
		}
	}
	return out
}

// record converts one resource record.
func record(rr mdns.RR) Record {
	h := rr.Header()
	r := Record{Name: h.Name, Type: h.Rrtype, TTL: h.Ttl}
	switch v := rr.(type) {
	case *mdns.A:
		r.Addr, _ = netip.AddrFromSlice(v.A.To4())
	case *mdns.AAAA:
		r.Addr, _ = netip.AddrFromSlice(v.AAAA.To16())
	case *mdns.MX:
		r.Pref, r.Host = v.Preference, v.Mx
	case *mdns.CNAME:
		r.Host = v.Target
	case *mdns.PTR:
		r.Host = v.Ptr
	case *mdns.NS:
		r.Host = v.Ns
	case *mdns.TXT:
		for _, s := range v.Txt {
			r.TXT = append(r.TXT, unescape(s))
		}
	case *mdns.TLSA:
		data, _ := hex.DecodeString(v.Certificate)
		r.TLSA = &TLSA{Usage: v.Usage, Selector: v.Selector, Matching: v.MatchingType, Data: data}
	}
	return r
}

// unescape undoes the presentation escapes miekg/dns puts in a
// character-string it unpacks (\" and \\, \DDD for other bytes outside
// printable ASCII), giving back the bytes as sent.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] != '\\' || i+1 == len(s):
			b.WriteByte(s[i])
		case i+3 < len(s) && isDigit(s[i+1]) && isDigit(s[i+2]) && isDigit(s[i+3]):
			b.WriteByte(byte((int(s[i+1]-'0')*100 + int(s[i+2]-'0')*10 + int(s[i+3]-'0')) & 0xff))
			i += 3
		default:
			b.WriteByte(s[i+1])
			i++
		}
	}
	return b.String()
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
