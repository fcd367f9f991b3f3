// Package dns asks DNS questions for ehlo: MX, A, AAAA, TLSA, TXT, PTR and
// CNAME, with what mail routing needs from each answer that Go's net
// resolver does not give: the DNSSEC "authentic data" bit (RFC 4035 3.2.3)
// of a validating resolver, the response code (NXDOMAIN vs NODATA vs
// SERVFAIL), Extended DNS Errors (RFC 8914), the CNAME chain and TTLs.
//
// The package is I/O only, like wire: it sends queries and returns answers.
// What an answer means for mail (MX routing, DANE, MTA-STS) is decided
// above it. Every exchange is reported to the Resolver's Observer, so the
// transcript can show it as a D: line.
package dns

import (
	"context"
	"net/netip"
	"time"
)

// Record types ehlo asks for (RFC 1035, 3596, 6698).
const (
	TypeA     uint16 = 1
	TypeNS    uint16 = 2
	TypeCNAME uint16 = 5
	TypePTR   uint16 = 12
	TypeMX    uint16 = 15
	TypeTXT   uint16 = 16
	TypeAAAA  uint16 = 28
	TypeTLSA  uint16 = 52
)

// Response codes (RFC 1035 4.1.1).
const (
	RcodeSuccess  = 0 // NOERROR: records, or none of this type (NODATA)
	RcodeServFail = 2 // the resolver could not answer: DNSSEC bogus, or the servers unreachable
	RcodeNXDomain = 3 // the name does not exist
	RcodeRefused  = 5
)

// Resolver asks one question and returns the answer. A SERVFAIL or
// NXDOMAIN is an Answer, not an error: the server said something. Errors
// are for answers that never came or could not be read (timeout, network,
// a reply to another question).
type Resolver interface {
	Lookup(ctx context.Context, name string, qtype uint16) (*Answer, error)
}

// Answer is what a resolver said to one question.
type Answer struct {
	Name      string   // the question, as asked: an A-label FQDN with the final dot
	Type      uint16   // the question's type
	Rcode     int      // RcodeSuccess, RcodeNXDomain, RcodeServFail, ...
	Authentic bool     // the AD bit: the resolver validated the answer with DNSSEC
	CNAMEs    []string // the names the question was redirected through, in order, without Name
	Canonical string   // where the CNAME chain ended (Name when there was none)
	Records   []Record // the answer's records of the asked type, at Canonical
	EDE       []ExtendedError
	Server    string        // the resolver's address
	Elapsed   time.Duration // time from query to answer, retries included
}

// NoData reports a NOERROR answer without records of the asked type.
func (a *Answer) NoData() bool { return a.Rcode == RcodeSuccess && len(a.Records) == 0 }

// Record is one resource record of an answer. Which fields are set depends
// on Type.
type Record struct {
	Name string // owner name, FQDN
	Type uint16
	TTL  uint32

	Addr netip.Addr // A, AAAA
	Host string     // MX exchange, CNAME target, PTR and NS name: an FQDN
	Pref uint16     // MX preference
	TXT  []string   // TXT: the character-strings as sent, not joined
	TLSA *TLSA      // TLSA
}

// TLSA is a TLSA record's data (RFC 6698 2.1).
type TLSA struct {
	Usage    uint8 // 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE
	Selector uint8 // 0 full certificate, 1 SubjectPublicKeyInfo
	Matching uint8 // 0 exact, 1 SHA-256, 2 SHA-512
	Data     []byte
}

// ExtendedError is an Extended DNS Error option (RFC 8914): why a
// resolver failed, for example 6 "DNSSEC Bogus" or 7 "Signature Expired".
type ExtendedError struct {
	Code uint16
	Text string // EXTRA-TEXT as the resolver sent it: unsanitized
}

// Exchange is one question and its outcome, as an Observer sees it.
type Exchange struct {
	Server   string
	Name     string
	Type     uint16
	Sent     time.Time
	Answer   *Answer // nil when Err is set
	Err      error
	Attempts int // 1, or more after a timeout retry or a truncated UDP answer retried over TCP
}

// Observer is told every exchange a resolver makes, when it ends. It must
// not block.
type Observer func(Exchange)
