package session

import (
	"strconv"
	"strings"
	"time"
)

// Facts are what one session observed: the input of Diagnose. The caller
// (ehlo doctor, or the TUI from its model) fills what it saw and leaves the
// rest zero; Diagnose judges only what is there. Fill the exchanges with
// Add. Server text stays raw here: Diagnose sanitizes all of it.
type Facts struct {
	Target      string        // as the user gave it, "smtp.example.com:587"
	Now         time.Time     // when the session ran, for certificate dates; zero skips the date checks
	ImplicitTLS bool          // the session these facts describe began with TLS (RFC 8314)
	Retry       *Retry        // a second attempt in the other mode, after a sign of a port/mode mismatch
	Connect     time.Duration // time to open the TCP connection
	Greeting    *Exchange     // Command "", Took the time from connect (or handshake) to greeting
	Hellos      []Exchange    // EHLO and HELO exchanges in order; TLS marks those inside TLS
	StartTLS    *Exchange
	TLS         *TLSFacts
	// Resumption is what a second connection showed of TLS session
	// resumption (doctor --reconnect); nil when not tried.
	Resumption *ResumptionFacts
	Auth       *AuthFacts // nil when no credentials were given
	Mail       *Exchange
	Rcpts      []Exchange
	Data       *Exchange // the reply to DATA (354 or a refusal)
	DataEnd    *Exchange // the reply to the final "." (Command "."); in LMTP, the first recipient's
	// Deliveries are, in LMTP, the replies after the message for the second
	// and later recipients accepted, in RCPT order (RFC 2033 4.2), each
	// with Command "." and its Rcpt (AddLMTPReplies).
	Deliveries []Exchange
	Others     []Exchange // RSET, NOOP, QUIT and the rest
	Problems   []Problem  // what broke, in order
	// Withheld lists what the session did not do because the certificate
	// did not verify and the user did not allow it (--insecure), in
	// order: "EHLO inside TLS", "AUTH as alice", "MAIL FROM:<a@x>"...
	Withheld []string
	// Identity are the findings about who the server thinks the client is
	// (SPF, DMARC, reverse DNS, blocklists), judged from DNS before MAIL
	// by package identity. Diagnose sorts them with the rest, and a reply
	// the knowledge table ties to the same rule (a 550 that names SPF)
	// joins its finding.
	Identity []Finding
	// Delivery are the findings of direct delivery (doctor --mx), judged
	// by client from the route, the TLSA records and the MTA-STS policy
	// before any session: null-mx, dane-mismatch... Diagnose sorts them
	// with the rest, so the root cause comes first.
	Delivery []Finding
}

// Exchange is one command and its reply.
type Exchange struct {
	Command string        // the line sent, in shown form (AUTH redacted); "" for the greeting
	TLS     bool          // inside TLS
	Reply   Reply         // the reply; for AUTH, the final one
	Took    time.Duration // from command (or connect, for the greeting) to the end of the reply
	Rcpt    string        // LMTP: the recipient a reply after the message is for; "" otherwise
}

// Retry is the second attempt a diagnosis makes after a port/mode mismatch:
// no greeting in plaintext (retried with implicit TLS), or a plaintext
// answer to the TLS ClientHello (retried in plaintext). When it Worked, the
// rest of Facts describe the second attempt.
type Retry struct {
	ImplicitTLS bool   // the mode of the second attempt
	Worked      bool   // it got a greeting
	Detail      string // why it did not work, in words, already sanitized
}

// AuthFacts is what happened to the credentials the user gave.
type AuthFacts struct {
	User      string    // the user name, display form
	Mechanism string    // the SASL mechanism used, "" when none was
	Wanted    string    // the mechanism the user asked for, "" for the strongest offered
	Skipped   string    // why AUTH was not attempted although AUTH was offered; "" when it was
	Exchange  *Exchange // the AUTH command (redacted) and the final reply; nil when not attempted
}

// TLSFacts describes the TLS session, also when its certificate failed.
type TLSFacts struct {
	Version    string // "TLS 1.3"
	Weak       bool   // below TLS 1.2 (RFC 8996), allowed by --tls-min
	Cipher     string
	ServerName string      // the name sent as SNI and verified
	Verified   bool        // chain and name verified
	Problem    CertProblem // why not
	Detail     string      // the verification error in words, already sanitized; for CertOther
	Chain      []Cert      // as the server sent it, leaf first
	Handshake  time.Duration
	// NoForwardSecrecy: a full handshake with the RSA key exchange, no
	// ephemeral key, so a recording decrypts with the server's key later.
	NoForwardSecrecy bool
	OCSP             *OCSPFacts // the stapled OCSP response (RFC 6066); nil when none
}

// OCSPFacts is what a stapled OCSP response says, and whether it holds.
type OCSPFacts struct {
	Status    string    // "good", "revoked", "unknown"; "" when it does not parse
	Problem   string    // why it does not hold (signature, dates, another certificate); "" when it holds
	RevokedAt time.Time // for "revoked"
}

// ResumptionFacts is what a second connection, offering the first
// session's ticket, showed.
type ResumptionFacts struct {
	Ticket  bool   // the first session left a ticket to offer
	Resumed bool   // the server resumed it
	Version string // the second session's TLS version
	Detail  string // why the second connection failed, in words; "" when it did not
}

// Cert describes one certificate of a chain.
type Cert struct {
	Subject, Issuer     string
	Names               []string // DNS names and IP addresses it covers
	NotBefore, NotAfter time.Time
	SHA256              string // lower-case hex of the DER
	SelfSigned          bool
}

// CertProblem says why a certificate did not verify.
type CertProblem int

// The certificate problems (RFC 5280 6, RFC 6125 6).
const (
	CertOK               CertProblem = iota
	CertUnknownAuthority             // self-signed, private CA, or missing intermediate
	CertNameMismatch                 // covers other names than ServerName
	CertExpired
	CertNotYetValid
	CertOther // see TLSFacts.Detail
)

// String returns "ok", "unknown-authority", "name-mismatch", "expired",
// "not-yet-valid" or "other".
func (p CertProblem) String() string {
	switch p {
	case CertOK:
		return "ok"
	case CertUnknownAuthority:
		return "unknown-authority"
	case CertNameMismatch:
		return "name-mismatch"
	case CertExpired:
		return "expired"
	case CertNotYetValid:
		return "not-yet-valid"
	case CertOther:
		return "other"
	}
	return "CertProblem(" + strconv.Itoa(int(p)) + ")"
}

// ProblemKind classifies what broke a session.
type ProblemKind int

// The kinds of problems.
const (
	ProblemOther           ProblemKind = iota
	ProblemConnect                     // the TCP connection failed
	ProblemNoGreeting                  // connected, no greeting in time
	ProblemPlaintextAnswer             // the server answered a TLS ClientHello in plaintext
	ProblemInjection                   // bytes after STARTTLS's 220, before the handshake
	ProblemTLS                         // the handshake failed (not the certificate: see TLSFacts)
	ProblemTimeout                     // no reply in time, after the greeting
	ProblemClosed                      // the server closed the connection
	ProblemProtocol                    // a reply broke the framing rules
	ProblemMixedCodes                  // a reply's lines carried different codes (RFC 5321 4.2.1); Bytes holds the reply
	ProblemDesync                      // bytes came while no reply was due; Bytes holds them
)

// String returns "other", "connect", "no-greeting", "plaintext-answer",
// "injection", "tls", "timeout", "closed", "protocol", "mixed-codes" or
// "desync".
func (k ProblemKind) String() string {
	names := [...]string{"other", "connect", "no-greeting", "plaintext-answer", "injection", "tls", "timeout", "closed", "protocol",
		"mixed-codes", "desync"}
	if k < 0 || int(k) >= len(names) {
		return "ProblemKind(" + strconv.Itoa(int(k)) + ")"
	}
	return names[k]
}

// Problem is one thing that broke the session.
type Problem struct {
	Kind   ProblemKind
	Step   string        // where: "connect", "greeting", "EHLO", "STARTTLS", "AUTH", "MAIL", "RCPT", "DATA"...
	TLS    bool          // the attempt spoke TLS then (implicit, or after STARTTLS)
	After  time.Duration // how long was waited, for no-greeting and timeouts
	Detail string        // in words, already sanitized by the caller
	Bytes  []byte        // what the server sent instead (injected bytes, a plaintext answer, a reply with mixed codes, bytes out of step); Diagnose sanitizes it
}

// Add files one exchange under the field its command belongs to: the
// greeting (Command ""), EHLO or HELO, STARTTLS, AUTH (give the redacted
// command and the final reply; Auth is created when nil), MAIL, RCPT, DATA,
// "." (the end of data); anything else goes to Others.
func (f *Facts) Add(x Exchange) {
	switch explainVerb(x.Command) {
	case "":
		f.Greeting = &x
	case "EHLO", "HELO", "LHLO":
		f.Hellos = append(f.Hellos, x)
	case "STARTTLS":
		f.StartTLS = &x
	case "AUTH":
		if f.Auth == nil {
			f.Auth = &AuthFacts{}
		}
		if fields := strings.Fields(x.Command); len(fields) > 1 && f.Auth.Mechanism == "" {
			f.Auth.Mechanism = strings.ToUpper(fields[1])
		}
		f.Auth.Exchange = &x
	case "MAIL":
		f.Mail = &x
	case "RCPT":
		f.Rcpts = append(f.Rcpts, x)
	case "DATA":
		f.Data = &x
	case ".":
		f.DataEnd = &x
	default:
		f.Others = append(f.Others, x)
	}
}

// AddLMTPReplies files LMTP's replies after the message (Command "."),
// one per recipient accepted, in RCPT order (RFC 2033 4.2): the first as
// DataEnd, the others as Deliveries, each named with its recipient from
// the RCPT exchanges already added.
func (f *Facts) AddLMTPReplies(xs []Exchange) {
	var rcpts []string
	for _, x := range f.Rcpts {
		if x.Reply.Code == 250 || x.Reply.Code == 251 {
			rcpts = append(rcpts, pathArg(x.Command))
		}
	}
	for i := range xs {
		if i < len(rcpts) {
			xs[i].Rcpt = rcpts[i]
		}
		if i == 0 {
			f.DataEnd = &xs[0]
			continue
		}
		f.Deliveries = append(f.Deliveries, xs[i])
	}
}

// hello returns the last EHLO or HELO exchange inside or outside TLS.
func (f Facts) hello(inTLS bool) *Exchange {
	for i := len(f.Hellos) - 1; i >= 0; i-- {
		if f.Hellos[i].TLS == inTLS {
			return &f.Hellos[i]
		}
	}
	return nil
}

// PlainCaps returns the capabilities of the accepted EHLO before TLS; ok is
// false when there was none (implicit TLS, HELO, or a refusal).
func (f Facts) PlainCaps() (Capabilities, bool) { return f.caps(false) }

// SecureCaps returns the capabilities of the accepted EHLO inside TLS.
func (f Facts) SecureCaps() (Capabilities, bool) { return f.caps(true) }

func (f Facts) caps(inTLS bool) (Capabilities, bool) {
	x := f.hello(inTLS)
	if x == nil || Verb(x.Command) != "EHLO" || x.Reply.Code != 250 {
		return Capabilities{}, false
	}
	return ParseEHLO(x.Reply), true
}

// Caps returns the latest accepted EHLO's capabilities: inside TLS when
// there was one, else before.
func (f Facts) Caps() (Capabilities, bool) {
	if c, ok := f.SecureCaps(); ok {
		return c, true
	}
	return f.PlainCaps()
}

// authenticated reports whether AUTH was answered 235.
func (f Facts) authenticated() bool {
	return f.Auth != nil && f.Auth.Exchange != nil && f.Auth.Exchange.Reply.Code == 235
}

// Lines renders the exchange as evidence, sanitized: "C: EHLO x" then
// "S: 250-SIZE 1000", "S: 250 OK", with "C~" and "S~" inside TLS as in
// ehlo's transcripts. The server's lines are quoted as received (Reply.Raw),
// never rebuilt from the parsed code and text. The greeting has no C line.
func (x Exchange) Lines() []string {
	var out []string
	if x.Command != "" {
		out = append(out, x.commandLine())
	}
	if x.Rcpt != "" {
		out = append(out, note("LMTP: the reply for <%s>", x.Rcpt))
	}
	for i := range x.Reply.Lines {
		out = append(out, replyLine(x.Reply, i, x.TLS))
	}
	return out
}

// commandLine is the C line of the exchange, sanitized.
func (x Exchange) commandLine() string { return marker("C", x.TLS) + SanitizeString(x.Command) }

// replyLine renders line i of r as "S: 250-text": the line as received
// when r has it, else rebuilt with the enhanced code put back in front of
// the text.
func replyLine(r Reply, i int, inTLS bool) string {
	if len(r.Raw) == len(r.Lines) {
		return marker("S", inTLS) + SanitizeString(r.Raw[i])
	}
	sep := "-"
	if i == len(r.Lines)-1 {
		sep = " "
	}
	text := r.Lines[i]
	if !r.Enhanced.IsZero() {
		text = strings.TrimRight(r.Enhanced.String()+" "+text, " ")
	}
	line := strconv.Itoa(r.Code) + sep + text
	return marker("S", inTLS) + SanitizeString(strings.TrimRight(line, " "))
}

// capLine is the evidence line of an EHLO reply that advertises keyword.
func (x Exchange) capLine(keyword string) (string, bool) {
	for i, line := range x.Reply.Lines {
		if i == 0 {
			continue
		}
		if c, ok := parseCapability(line); ok && c.Keyword == keyword {
			return replyLine(x.Reply, i, x.TLS), true
		}
	}
	return "", false
}

func marker(dir string, inTLS bool) string {
	if inTLS {
		return dir + "~ "
	}
	return dir + ": "
}
