package domain

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/ehlo-sh/ehlo/dns"
)

// DANE verdicts of one MX host, as the issue names them.
const (
	DANENoTLSA   = "no TLSA"                 // no TLSA records: DANE does not apply, TLS is opportunistic
	DANEInsecure = "TLSA insecure (ignored)" // TLSA records (or the MX or address answers) not DNSSEC-validated: RFC 7672 2.2 ignores them
	DANEBogus    = "bogus"                   // the TLSA lookup failed validation or got no answer: a DANE sender defers this host
	DANEUnusable = "no usable TLSA record"   // records, none usable for SMTP (usages 0/1, unknown parameters): TLS required, not authenticated (RFC 7672 2.2)
	DANEMatched  = "matched"                 // shown "matched by record N"
	DANENoMatch  = "no record matched"       // usable records, none matched the certificate: a DANE sender refuses this host
	DANENoTLS    = "not checked: no TLS"     // usable records, but no TLS session to check them against
)

// TLSA usages, selectors and matching types (RFC 6698 2.1, RFC 7218).
const (
	UsagePKIXTA = 0
	UsagePKIXEE = 1
	UsageDANETA = 2
	UsageDANEEE = 3
)

// TLSA is what DNS said about a host's TLSA records, before any TLS
// session: whether DANE applies to it, and with which records.
type TLSA struct {
	Query   *Query     // the question whose answer is used; nil when none was asked
	Tried   []*Query   // every TLSA question asked, in order (RFC 7672 2.2.2 may ask two)
	Base    Name       // the TLSA base domain: the host, or its CNAME target
	Names   []Name     // the names a DANE-TA certificate may match (RFC 7672 3.2.2), Base first
	Records []dns.TLSA // as the answer gave them; record N is Records[N-1]
	Usable  []bool     // per record: usable for SMTP (RFC 7672 3.1)
	Verdict string     // DANENoTLSA, DANEInsecure, DANEBogus, DANEUnusable, or "" when usable records exist
	Why     string
}

// Applies reports whether DANE binds a sender to this host: usable or
// unusable records, authentic (a bogus lookup binds it too: it defers).
func (t TLSA) Applies() bool {
	return t.Verdict == "" || t.Verdict == DANEUnusable || t.Verdict == DANEBogus
}

// Authenticates reports whether there are usable records to check a
// certificate against.
func (t TLSA) Authenticates() bool { return t.Verdict == "" }

// LookupTLSA asks for the TLSA records of an MX host at _25._tcp (RFC 7672
// 2.2.2): at the host's CNAME target first when the chain to it is
// DNSSEC-validated, then at the host itself. It asks even when the MX or
// address answers are not authentic, to show what is published, and then
// says the records are ignored.
func LookupTLSA(ctx context.Context, r dns.Resolver, rt Route, h Host) TLSA {
	var t TLSA
	bases := []Name{h.Name}
	if h.Canonical.ASCII != h.Name.ASCII && h.Authentic {
		bases = []Name{h.Canonical, h.Name}
	}
	for i, base := range bases {
		name := "_25._tcp." + base.FQDN()
		a, err := r.Lookup(ctx, name, dns.TypeTLSA)
		q := &Query{Name: name, Type: dns.TypeTLSA, Answer: a, Err: err}
		t.Tried = append(t.Tried, q)
		t.Query, t.Base = q, base
		o := outcome(a, err)
		if (o == NoData || o == NXDomain) && i < len(bases)-1 {
			continue // RFC 7672 2.2.2: none at the target, try the host's own name
		}
		break
	}
	t.judge(rt, h)
	t.Names = referenceNames(rt, h, t.Base)
	return t
}

// referenceNames are the names a DANE-TA certificate may match (RFC 7672
// 3.2.2): the TLSA base domain first, then the MX host's own name when the
// base is its CNAME target, then, when the MX answer is DNSSEC-validated,
// the next-hop domain (the recipient's domain, and where its own CNAME
// chain ends). A CNAME target whose TLSA records were not used (the base
// is the host's own name) is not among them.
func referenceNames(rt Route, h Host, base Name) []Name {
	names := []Name{base}
	add := func(n Name) {
		for _, m := range names {
			if m.ASCII == n.ASCII {
				return
			}
		}
		names = append(names, n)
	}
	add(h.Name)
	if rt.Kind == KindMX && rt.Authentic {
		add(rt.Domain)
		if rt.MX != nil && rt.MX.Answer != nil && len(rt.CNAMEs) > 0 {
			add(NameFromDNS(rt.MX.Answer.Canonical))
		}
	}
	return names
}

// SNI is the name a sender puts in SNI for host h (RFC 7672 8.1): the TLSA
// base domain when DANE binds the host to authentic records (Applies, but
// not a bogus lookup, which found no base domain to trust), which for a
// CNAME'd host is its target; otherwise the MX name, as MTA-STS asks (RFC
// 8461 4.1). WebPKI checks the MX name either way.
func (t TLSA) SNI(h Host) string {
	if t.Applies() && t.Verdict != DANEBogus && t.Base.ASCII != "" {
		return t.Base.ASCII
	}
	return h.Name.ASCII
}

// judge sets the verdict from the answer and what vouches for it.
func (t *TLSA) judge(rt Route, h Host) {
	a, err := t.Query.Answer, t.Query.Err
	switch o := outcome(a, err); {
	case o == NoData || o == NXDomain:
		t.Verdict, t.Why = DANENoTLSA, "no TLSA records at "+strings.TrimSuffix(t.Query.Name, ".")
		return
	case o != Found:
		t.Verdict, t.Why = DANEBogus, "the TLSA lookup failed: "+describe(a, err)
		if !rt.Authentic {
			t.Verdict, t.Why = DANEInsecure, t.Why+"; the MX answer is not DNSSEC-validated, so DANE does not apply"
		}
		return
	}
	for _, rec := range a.Records {
		if rec.TLSA != nil {
			t.Records = append(t.Records, *rec.TLSA)
			t.Usable = append(t.Usable, usable(*rec.TLSA))
		}
	}
	switch {
	case !rt.Authentic:
		t.Verdict, t.Why = DANEInsecure, "the MX answer is not DNSSEC-validated (RFC 7672 2.2.1)"
	case !h.Authentic:
		t.Verdict, t.Why = DANEInsecure, "the addresses of "+h.Name.String()+" are not DNSSEC-validated (RFC 7672 2.2.2)"
	case !a.Authentic:
		t.Verdict, t.Why = DANEInsecure, "the TLSA answer is not DNSSEC-validated"
	case !anyTrue(t.Usable):
		t.Verdict, t.Why = DANEUnusable, "none of the records is usable for SMTP (DANE-TA or DANE-EE, selector 0 or 1, matching 0, 1 or 2): TLS is required, the certificate is not checked (RFC 7672 2.2)"
	}
}

func anyTrue(bs []bool) bool {
	for _, b := range bs {
		if b {
			return true
		}
	}
	return false
}

// usable reports whether a record can authenticate an SMTP server (RFC 7672
// 3.1: DANE-TA and DANE-EE only; RFC 6698 2.1: known selector and matching
// type, and a digest of the right length).
func usable(r dns.TLSA) bool {
	if r.Usage != UsageDANETA && r.Usage != UsageDANEEE || r.Selector > 1 {
		return false
	}
	switch r.Matching {
	case 0:
		return len(r.Data) > 0
	case 1:
		return len(r.Data) == sha256.Size
	case 2:
		return len(r.Data) == sha512.Size
	}
	return false
}

// DANE is the outcome of checking a server's certificate chain against a
// host's TLSA records.
type DANE struct {
	Verdict string // one of the DANE* constants
	Record  int    // the record that matched, from 1; 0 when none
	Why     string
}

// Text is the verdict as shown: "matched by record 2".
func (d DANE) Text() string {
	if d.Verdict == DANEMatched {
		return fmt.Sprintf("matched by record %d", d.Record)
	}
	return d.Verdict
}

// Check checks a chain (leaf first, as the server sent it) against the
// usable records: DANE-EE (3) matches the leaf's certificate or key and
// checks neither name nor dates (RFC 7672 3.1.1); DANE-TA (2) matches a
// certificate of the chain, or the full certificate in the record, as the
// trust anchor the leaf must chain to, for one of the names RFC 7672 3.2.2
// allows (t.Names): the TLSA base domain, the MX host's own name, and the
// next-hop domain when the MX answer is authentic.
func (t TLSA) Check(chain []*x509.Certificate, h Host) DANE {
	if !t.Authenticates() {
		return DANE{Verdict: t.Verdict, Why: t.Why}
	}
	if len(chain) == 0 {
		return DANE{Verdict: DANENoMatch, Why: "the server sent no certificate"}
	}
	var names []string
	for _, n := range t.Names {
		names = append(names, n.ASCII)
	}
	if len(names) == 0 { // a TLSA not from LookupTLSA
		names = []string{h.Name.ASCII}
	}
	var whys []string
	for i, r := range t.Records {
		if !t.Usable[i] {
			continue
		}
		ok, why := checkRecord(r, chain, names)
		if ok {
			return DANE{Verdict: DANEMatched, Record: i + 1, Why: why}
		}
		if why != "" {
			whys = append(whys, fmt.Sprintf("record %d: %s", i+1, why))
		}
	}
	why := "no usable record matches the certificate the server sent"
	if len(whys) > 0 {
		why += " (" + strings.Join(whys, "; ") + ")"
	}
	return DANE{Verdict: DANENoMatch, Why: why}
}

// checkRecord checks one usable record.
func checkRecord(r dns.TLSA, chain []*x509.Certificate, names []string) (bool, string) {
	if r.Usage == UsageDANEEE {
		if matches(r, chain[0]) {
			return true, "DANE-EE: the server's " + selectorName(r.Selector) + " matches (no name or date check, RFC 7672 3.1.1)"
		}
		return false, ""
	}
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	found := false
	if r.Selector == 0 && r.Matching == 0 {
		if c, err := x509.ParseCertificate(r.Data); err == nil {
			roots.AddCert(c) // RFC 7671 5.2.2: the anchor may be absent from the chain
			found = true
		}
	}
	for i, c := range chain {
		switch {
		case matches(r, c):
			roots.AddCert(c)
			found = true
		case i > 0:
			inter.AddCert(c)
		}
	}
	if !found {
		return false, ""
	}
	var errs []error
	for _, n := range names {
		_, err := chain[0].Verify(x509.VerifyOptions{DNSName: n, Roots: roots, Intermediates: inter})
		if err == nil {
			return true, "DANE-TA: the certificate chains to the anchor in the record and names " + n
		}
		errs = append(errs, err)
	}
	return false, "the trust anchor is in the chain, but " + errors.Join(errs...).Error()
}

// matches compares a certificate with a record's data.
func matches(r dns.TLSA, c *x509.Certificate) bool {
	data := c.Raw
	if r.Selector == 1 {
		data = c.RawSubjectPublicKeyInfo
	}
	switch r.Matching {
	case 1:
		sum := sha256.Sum256(data)
		data = sum[:]
	case 2:
		sum := sha512.Sum512(data)
		data = sum[:]
	}
	return bytes.Equal(data, r.Data)
}

// RecordText shows a record as in a zone file, its data cut after 32 hex
// digits, with its parameters named: "3 1 1 ab12… (DANE-EE, public key, SHA-256)".
func RecordText(r dns.TLSA) string {
	data := hex.EncodeToString(r.Data)
	if len(data) > 32 {
		data = data[:32] + "…"
	}
	return fmt.Sprintf("%d %d %d %s (%s, %s, %s)", r.Usage, r.Selector, r.Matching, data,
		usageName(r.Usage), selectorName(r.Selector), matchingName(r.Matching))
}

func usageName(u uint8) string {
	switch u {
	case UsagePKIXTA:
		return "PKIX-TA: unusable for SMTP"
	case UsagePKIXEE:
		return "PKIX-EE: unusable for SMTP"
	case UsageDANETA:
		return "DANE-TA"
	case UsageDANEEE:
		return "DANE-EE"
	}
	return fmt.Sprintf("usage %d: unknown, unusable", u)
}

func selectorName(s uint8) string {
	switch s {
	case 0:
		return "certificate"
	case 1:
		return "public key"
	}
	return fmt.Sprintf("selector %d: unknown", s)
}

func matchingName(m uint8) string {
	switch m {
	case 0:
		return "exact"
	case 1:
		return "SHA-256"
	case 2:
		return "SHA-512"
	}
	return fmt.Sprintf("matching %d: unknown", m)
}
