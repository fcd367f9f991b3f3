package session

import "slices"

// TLSResult explains one name of the IANA "STARTTLS Validation Result
// Types" registry (RFC 8460 4.3): the vocabulary in which ehlo says why a
// DANE- or MTA-STS-enforcing sender would not deliver to an MX.
type TLSResult struct {
	Name  string // "certificate-host-mismatch"
	Kind  string // "negotiation" (4.3.1), "DANE" or "MTA-STS" (4.3.2)
	Plain string // what it means, in plain words
	RFC   string
}

// knownTLSResults is sorted by Name.
var knownTLSResults = []TLSResult{
	{"certificate-expired", "negotiation", "The MX's certificate is outside its validity dates. An MTA-STS-enforcing sender refuses the MX; DANE-EE records ignore the dates.", "RFC 8460 4.3.1"},
	{"certificate-host-mismatch", "negotiation", "The MX's certificate does not name the MX host (the name in the MX record). An MTA-STS-enforcing sender refuses the MX; DANE-EE records check no name.", "RFC 8460 4.3.1"},
	{"certificate-not-trusted", "negotiation", "The MX's certificate does not chain to a certificate authority the sender trusts (a self-signed or private CA certificate). An MTA-STS-enforcing sender refuses the MX; DANE can vouch for such a certificate instead.", "RFC 8460 4.3.1"},
	{"dane-required", "DANE", "The sender requires DANE for this domain, and the MX has no DNSSEC-validated TLSA records: such a sender does not deliver.", "RFC 8460 4.3.2.1"},
	{"dnssec-invalid", "DANE", "The resolver returned no valid answer: DNSSEC validation failed (bogus signatures, a broken chain of trust) or the lookup failed. A DANE sender defers mail to this MX, or the whole domain when the MX lookup itself failed.", "RFC 8460 4.3.2.1"},
	{"starttls-not-supported", "negotiation", "The MX does not offer STARTTLS (or declines it), so mail would travel in clear. A DANE sender (when TLSA records exist) and an MTA-STS-enforcing sender refuse the MX.", "RFC 8460 4.3.1"},
	{"sts-policy-fetch-error", "MTA-STS", "The _mta-sts record exists but the policy could not be fetched from https://mta-sts.<domain>/.well-known/mta-sts.txt: no such host, no answer, an HTTP error such as 404, a redirect (which must not be followed), or a body over 64 KB. A sender without a cached policy treats the domain as without MTA-STS.", "RFC 8460 4.3.2.2"},
	{"sts-policy-invalid", "MTA-STS", "The MTA-STS policy is malformed (a bad line, mode, max_age or mx pattern) or served as another type than text/plain. A sender treats the domain as without MTA-STS.", "RFC 8460 4.3.2.2"},
	{"sts-webpki-invalid", "MTA-STS", "The HTTPS certificate of the policy host mta-sts.<domain> did not verify, so the policy cannot be trusted; a sender treats the domain as without MTA-STS.", "RFC 8460 4.3.2.2"},
	{"tlsa-invalid", "DANE", "The MX has DNSSEC-validated TLSA records and none of them is valid for it: none matches the certificate it presents (a DANE sender refuses the MX), or none is usable for SMTP (usages 0 and 1, unknown parameters: a DANE sender then requires TLS without checking the certificate).", "RFC 8460 4.3.2.1"},
	{"validation-failure", "negotiation", "Validation failed for another reason; ehlo uses it for an MX that the MTA-STS policy's mx patterns do not list, which an MTA-STS-enforcing sender refuses.", "RFC 8460 4.3.1"},
}

// LookupTLSResult explains a result type's name.
func LookupTLSResult(name string) (TLSResult, bool) {
	i, ok := slices.BinarySearchFunc(knownTLSResults, name, func(r TLSResult, n string) int {
		switch {
		case r.Name < n:
			return -1
		case r.Name > n:
			return 1
		}
		return 0
	})
	if !ok {
		return TLSResult{}, false
	}
	return knownTLSResults[i], true
}

// TLSResults lists the result types ehlo knows, sorted by name.
func TLSResults() []TLSResult { return slices.Clone(knownTLSResults) }
