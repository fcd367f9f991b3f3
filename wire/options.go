package wire

import (
	"crypto/x509"
	"strconv"
	"time"
)

// Mode says how a connection starts.
type Mode int

const (
	ModeAuto        Mode = iota // implicit TLS when the port is 465, plaintext otherwise
	ModePlain                   // plaintext; the caller may upgrade with STARTTLS
	ModeImplicitTLS             // TLS from the first byte (RFC 8314 section 3.3)
)

// String returns "auto", "plain" or "implicit TLS".
func (m Mode) String() string {
	switch m {
	case ModeAuto:
		return "auto"
	case ModePlain:
		return "plain"
	case ModeImplicitTLS:
		return "implicit TLS"
	}
	return "Mode(" + strconv.Itoa(int(m)) + ")"
}

// implicitTLS reports whether a connection to port starts with TLS: port 465
// is submissions, implicit TLS (RFC 8314 section 3.3).
func (m Mode) implicitTLS(port string) bool {
	return m == ModeImplicitTLS || m == ModeAuto && port == "465"
}

// Limits bounds what one reply may hold.
type Limits struct {
	// MaxLine is the bytes in one reply line including its line ending. RFC
	// 5321 section 4.5.3.1.5 says 512; real servers exceed it, so the default
	// is 2048 and lines over 512 get FlagLongLine.
	MaxLine  int
	MaxLines int // lines in one reply
	MaxReply int // bytes in one reply
}

// DefaultLimits are the limits used for zero fields of Limits.
var DefaultLimits = Limits{MaxLine: 2048, MaxLines: 256, MaxReply: 64 << 10}

// withDefaults fills zero or negative fields from DefaultLimits.
func (l Limits) withDefaults() Limits {
	if l.MaxLine <= 0 {
		l.MaxLine = DefaultLimits.MaxLine
	}
	if l.MaxLines <= 0 {
		l.MaxLines = DefaultLimits.MaxLines
	}
	if l.MaxReply <= 0 {
		l.MaxReply = DefaultLimits.MaxReply
	}
	return l
}

// Options configures Dial and NewConn. The zero value is usable.
type Options struct {
	Mode Mode
	// Timeout is the absolute deadline of one exchange when the context has
	// none; 0 means 5 minutes (RFC 5321 section 4.5.3.2).
	Timeout     time.Duration
	DialTimeout time.Duration // 0 means 30 seconds
	ServerName  string        // SNI and name to verify; "" means the host of the target
	// SNI is the name sent as SNI when it is not ServerName: a DANE client
	// sends the TLSA base domain (RFC 7672 8.1), the CNAME target of an MX
	// host, while WebPKI still checks the MX name (RFC 8461 4.1). "" means
	// ServerName.
	SNI     string
	RootCAs *x509.CertPool // nil means the system roots
	// Insecure keeps going when verification fails; the failure is still
	// computed and reported in TLSInfo.
	Insecure bool
	// Check is a check of the chain besides WebPKI, such as DANE; nil for
	// none (ChainCheck).
	Check *ChainCheck
	// Certs, when set, reuses verification verdicts and certificate
	// descriptions across connections (CertCache): for many connections
	// that meet the same certificates. nil works each out every time.
	Certs *CertCache
	// MinVersion is the lowest TLS version offered (tls.VersionTLS10 to
	// tls.VersionTLS13); 0 means TLS 1.2. TLS 1.0 and 1.1 are deprecated
	// (RFC 8996): a session below 1.2 is marked TLSInfo.Weak.
	MinVersion uint16
	TLS        TLSOptions  // the rest of TLS: versions, suites, groups, ALPN, client certificate, key log, resumption
	Limits     Limits      // zero fields mean DefaultLimits
	Transport  Transport   // how to reach the server; the zero value is TCP
	Transcript *Transcript // nil means NewTranscript(); pass one to keep it when Dial fails
}

const (
	defaultTimeout     = 5 * time.Minute
	defaultDialTimeout = 30 * time.Second
)

// withDefaults fills the zero fields.
func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = defaultTimeout
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = defaultDialTimeout
	}
	if o.Transcript == nil {
		o.Transcript = NewTranscript()
	}
	o.Limits = o.Limits.withDefaults()
	return o
}
