package client

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"regexp"
	"sync"
	"syscall"
	"time"

	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

// The statuses of a fleet probe (`probe --from-file`), one per target; the
// README documents them. Only StatusOK says the whole probe ran and every
// reply came in time.
const (
	StatusOK            = "ok"             // the probe ran to QUIT, every reply within the tarpit threshold
	StatusRefused       = "refused"        // the connection was refused (RST), or the greeting was a 5yz
	StatusTimeout       = "timeout"        // the connection was never accepted: a dead host, or one that drops everything from here
	StatusTarpit        = "tarpit"         // accepted, but a reply took longer than the threshold (or never came)
	StatusRateLimited   = "rate-limited"   // 421/4yz with words of a limit, or a reset while other connections to the destination ran
	StatusTLSFailed     = "tls-failed"     // STARTTLS refused, the handshake failed, or the certificate did not verify
	StatusProtocolError = "protocol-error" // a reply that broke SMTP's rules
	StatusDNSError      = "dns-error"      // the target's name did not resolve
	StatusBlocked       = "blocked"        // port 25 gave no answer while the same host answers on 587, 465 or 443 (Fleet.blockedCheck)
	StatusNotTestable   = "not-testable"   // anything else; the reason says what
)

// Statuses lists every status, in the order summaries show them.
var Statuses = []string{StatusOK, StatusRefused, StatusTimeout, StatusTarpit, StatusRateLimited,
	StatusTLSFailed, StatusProtocolError, StatusDNSError, StatusBlocked, StatusNotTestable}

// DefaultTarpit is the reply time above which a server is a tarpit: more
// than Postfix's postscreen greeting pause (6 s) and sendmail's greet_pause
// as usually set, far below RFC 5321's 5 minutes.
const DefaultTarpit = 10 * time.Second

// limitWords are the words of a reply that limits the client rather than
// refusing the mail: "421 4.7.0 Too many connections", "try again later",
// "rate limit exceeded", "throttled".
var limitWords = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)too many|rate|limit|try (again )?later|throttl|slow down|busy|concurren|exceed`)
}) // compiled by a fleet's first 4xx, not at every start

// Classify gives a probe's status and, for every status but ok, the reason
// in a person's words. tarpit is the reply time that makes a tarpit (0:
// DefaultTarpit); seen is how many other connections this run had started
// to the same destination (its address, or a host line's name) by the time
// this one ended, which turns a reset into a rate limit.
func Classify(r ProbeResult, tarpit time.Duration, seen int) (status, reason string) {
	if tarpit <= 0 {
		tarpit = DefaultTarpit
	}
	if r.Err == nil {
		if step, took := r.slowest(); took > tarpit {
			return StatusTarpit, fmt.Sprintf("the %s took %s, over the tarpit threshold of %v", step, session.Millis(took), tarpit)
		}
		return StatusOK, ""
	}
	why := Explain(r.Err)
	if r.Address == "" {
		return classifyConnect(r.Err, why, seen)
	}
	if s, ok := classifyReply(r); ok {
		return s, why
	}
	return classifyFailure(r.Err, why, seen)
}

// slowest is the step whose reply took longest, and how long.
func (r ProbeResult) slowest() (step string, took time.Duration) {
	step, took = "greeting", r.GreetTook
	for _, h := range r.Hellos {
		if h.Took > took {
			step, took = "reply to EHLO", h.Took
		}
	}
	return step, took
}

// classifyConnect is the status of a probe that never had a connection
// (or had one reset before a byte came: with seen other connections to the
// destination started by the time it ended, a rate limit).
func classifyConnect(err error, why string, seen int) (string, string) {
	var (
		dnsErr *net.DNSError
		to     *wire.TimeoutError
		dial   *wire.DialError
	)
	switch {
	case !errors.As(err, &dial): // connected: implicit TLS's handshake failed
		return StatusTLSFailed, why
	case errors.As(err, &dnsErr):
		return StatusDNSError, why
	case errors.Is(err, syscall.ECONNREFUSED):
		return StatusRefused, why
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return StatusBlocked, why + " (a firewall on this machine refused the connection)"
	case errors.As(err, &to), errors.Is(err, syscall.ETIMEDOUT), isTimeout(err),
		errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return StatusTimeout, why
	case errors.Is(err, syscall.ECONNRESET) && seen > 0:
		return StatusRateLimited, why + resetReason(seen)
	case errors.Is(err, syscall.ECONNRESET):
		return StatusRefused, why
	}
	return StatusNotTestable, why
}

// classifyReply is the status a server's own reply gives: a greeting or an
// EHLO that was not 2yz, or a STARTTLS that was refused.
func classifyReply(r ProbeResult) (string, bool) {
	var last *session.Reply
	if r.Greeting != nil && r.Greeting.Code != 220 {
		last = r.Greeting
	} else if n := len(r.Hellos); n > 0 && !r.Hellos[n-1].Reply.OK() {
		last = &r.Hellos[n-1].Reply
	} else if r.StartTLS != nil && r.StartTLS.Code != 220 {
		return StatusTLSFailed, true
	}
	if last == nil {
		return "", false
	}
	switch {
	case last.Code/100 == 4 && limitWords().MatchString(last.Text()):
		return StatusRateLimited, true
	case last.Code/100 == 5 && r.Greeting == last:
		return StatusRefused, true
	}
	return StatusNotTestable, true
}

// classifyFailure is the status of a probe that failed on a connection it
// had, for a reason other than a reply.
func classifyFailure(err error, why string, seen int) (string, string) {
	var (
		mixed  *session.MixedCodesError
		desync *wire.DesyncError
		inj    *wire.InjectionError
		first  *TLSFirstError
		step   *StepError
		to     *wire.TimeoutError
	)
	errors.As(err, &step)
	switch {
	case errors.As(err, &mixed), errors.As(err, &desync), errors.As(err, &inj), isMalformed(err):
		return StatusProtocolError, why
	case errors.As(err, &first):
		return StatusNotTestable, why // which says to use --tls
	case isTLSFailure(err), step != nil && step.Step == StepStartTLS && !errors.As(err, &to):
		return StatusTLSFailed, why
	case errors.As(err, &to) && (to.Op == "tls handshake" || to.Op == "starttls") && step != nil && step.Step == StepStartTLS:
		return StatusTLSFailed, why
	case errors.As(err, &to):
		return StatusTarpit, why
	case isReset(err) && seen > 0:
		return StatusRateLimited, why + resetReason(seen)
	}
	return StatusNotTestable, why
}

// resetReason says why a reset is a rate limit.
func resetReason(seen int) string {
	return fmt.Sprintf(" (after %d other connections to this address in this run)", seen)
}

func isReset(err error) bool {
	var closed *wire.ClosedError
	return errors.Is(err, syscall.ECONNRESET) || errors.As(err, &closed)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// isTLSFailure says whether err is a failed handshake or verification.
func isTLSFailure(err error) bool {
	var (
		ver     *wire.VerifyError
		plain   *wire.PlaintextError
		version *wire.VersionError
		alert   tls.AlertError
		cve     *tls.CertificateVerificationError
	)
	return errors.As(err, &ver) || errors.As(err, &plain) || errors.As(err, &version) ||
		errors.As(err, &alert) || errors.As(err, &cve)
}

// isMalformed says whether err is a reply that is not SMTP at all.
func isMalformed(err error) bool {
	var (
		p *wire.ProtocolError
		l *wire.LimitError
	)
	return errors.As(err, &p) || errors.As(err, &l)
}
