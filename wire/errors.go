package wire

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// ErrBadLine is returned, and nothing is written, when a line given to
// WriteLine, WriteSecretLine or Exchange contains CR or LF: a client must not
// send a bare CR or LF (RFC 5321 section 2.3.8), nor smuggle a second command.
var ErrBadLine = errors.New("wire: a line must not contain CR or LF")

// ErrLimit is wrapped by every LimitError.
var ErrLimit = errors.New("wire: limit exceeded")

// shownBytes is how many bytes of server data an error message quotes.
const shownBytes = 80

// noteText is err as a transcript note tells it, to a person: without the
// package's name and the operation that its text opens with for logs.
func noteText(err error) string {
	var (
		to *TimeoutError
		ve *VerifyError
	)
	if errors.As(err, &to) {
		return fmt.Sprintf("timed out after %v", to.After)
	}
	if errors.As(err, &ve) {
		return fmt.Sprintf("certificate for %q not verified: %s", ve.Info.ServerName, VerifyWords(ve.Err))
	}
	return strings.ReplaceAll(err.Error(), "wire: ", "")
}

// wireError marks the errors of this package, which need no further context.
type wireError interface {
	error
	wire()
}

// DialError reports a connection that could not be made: the resolver's or
// the dialer's error (an unknown host, a refused connection, no route).
type DialError struct {
	Target string
	Err    error
}

func (e *DialError) Error() string { return fmt.Sprintf("wire: dial %s: %v", e.Target, e.Err) }

// Unwrap returns the resolver's or the dialer's error.
func (e *DialError) Unwrap() error { return e.Err }

func (*DialError) wire() {}

// ProtocolError reports a line that breaks reply framing (RFC 5321 section
// 4.2): it does not start with three digits followed by SP, '-' or the end of
// the line. The bad line has been consumed, so the next read starts after it.
type ProtocolError struct {
	Msg   string // what is wrong with the line
	Bytes []byte // the reply so far, ending with the bad line
}

func (e *ProtocolError) Error() string {
	return fmt.Sprintf("wire: %s: %q", e.Msg, quoteTail(lastLine(e.Bytes)))
}

func (*ProtocolError) wire() {}

// LimitError reports a reply that passed one of the Limits. The rest of the
// reply is unread, so the connection is out of step and should be closed.
type LimitError struct {
	What  string // "line", "lines" or "bytes"
	Limit int
}

func (e *LimitError) Error() string {
	switch e.What {
	case "line":
		return fmt.Sprintf("wire: reply line longer than %d bytes", e.Limit)
	case "lines":
		return fmt.Sprintf("wire: reply longer than %d lines", e.Limit)
	default:
		return fmt.Sprintf("wire: reply longer than %d bytes", e.Limit)
	}
}

// Unwrap returns ErrLimit.
func (e *LimitError) Unwrap() error { return ErrLimit }

func (*LimitError) wire() {}

// TimeoutError reports an operation that did not finish before its own
// deadline (Options.Timeout, RFC 5321 section 4.5.3.2). It satisfies
// errors.Is(err, os.ErrDeadlineExceeded).
type TimeoutError struct {
	Op    string        // "read reply", "write", "exchange", "starttls", "tls handshake"
	After time.Duration // the time the operation was given
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("wire: %s: timed out after %v", e.Op, e.After)
}

// Unwrap returns os.ErrDeadlineExceeded.
func (e *TimeoutError) Unwrap() error { return os.ErrDeadlineExceeded }

// Timeout reports true, as net.Error does.
func (e *TimeoutError) Timeout() bool { return true }

func (*TimeoutError) wire() {}

// InjectionError reports bytes that arrived after the server's 220 to
// STARTTLS and before the TLS handshake: a possible response injection
// (CVE-2011-0411, RFC 3207 section 4.2). No handshake was attempted and the
// bytes were not parsed; the connection should be closed.
type InjectionError struct {
	Bytes []byte // exactly what was buffered
}

func (e *InjectionError) Error() string {
	return fmt.Sprintf("wire: possible response injection: %d bytes after STARTTLS 220 before the TLS handshake", len(e.Bytes))
}

func (*InjectionError) wire() {}

// DesyncError reports bytes from the server that arrived while no reply was
// due: before a command was written (Exchange), or when the caller expected
// nothing (CheckIdle). The server is out of step with the commands (RFC 5321
// section 4.2: one reply per command, in order), so every reply read from
// now on could answer another command than the one it is read for. The
// bytes are unread; the connection should be closed.
type DesyncError struct {
	Bytes []byte // what was waiting, as received: at most what one read took in
}

func (e *DesyncError) Error() string {
	return fmt.Sprintf("wire: the server sent %d bytes while no reply was due (out of step with the commands): %q",
		len(e.Bytes), quoteTail(e.Bytes))
}

func (*DesyncError) wire() {}

// PlaintextError reports a peer that answered a TLS ClientHello with
// something that is not TLS, typically an SMTP reply.
type PlaintextError struct {
	Bytes    []byte // what the server sent instead, up to 512 bytes, starting with the would-be record header
	STARTTLS bool   // it came after STARTTLS's 220, where the server's handshake should be, not at the start of implicit TLS
}

func (e *PlaintextError) Error() string {
	return fmt.Sprintf("wire: the server answered in plaintext where TLS was expected: %q", quoteTail(e.Bytes))
}

func (*PlaintextError) wire() {}

// VerifyError reports a certificate that failed verification. Err is the
// crypto/x509 error (x509.UnknownAuthorityError, x509.HostnameError,
// x509.CertificateInvalidError, ...), reachable with errors.As.
type VerifyError struct {
	Err  error
	Info TLSInfo // the connection as far as it went, with the server's chain
}

func (e *VerifyError) Error() string {
	return fmt.Sprintf("wire: certificate for %q not verified: %v", e.Info.ServerName, e.Err)
}

// Unwrap returns the verification error.
func (e *VerifyError) Unwrap() error { return e.Err }

func (*VerifyError) wire() {}

// ClosedError reports that the server closed the connection. Its Unwrap is
// io.EOF when no byte of a reply had arrived, io.ErrUnexpectedEOF otherwise.
type ClosedError struct {
	Partial []byte // the bytes of the unfinished reply
	// Ended is what the transport knows of the end, or nil: a --pipe
	// program's exit and stderr (*PipeExitError).
	Ended error
}

func (e *ClosedError) Error() string {
	s := "wire: the server closed the connection"
	if len(e.Partial) > 0 {
		s = fmt.Sprintf("wire: the server closed the connection in the middle of a reply after %d bytes: %q",
			len(e.Partial), quoteTail(lastLine(e.Partial)))
	}
	if e.Ended != nil {
		s += ": " + e.Ended.Error()
	}
	return s
}

// Unwrap returns io.EOF or io.ErrUnexpectedEOF, and Ended when set.
func (e *ClosedError) Unwrap() []error {
	base := io.EOF
	if len(e.Partial) > 0 {
		base = io.ErrUnexpectedEOF
	}
	if e.Ended == nil {
		return []error{base}
	}
	return []error{base, e.Ended}
}

func (*ClosedError) wire() {}

// lastLine returns the last line of b, with its line ending.
func lastLine(b []byte) []byte {
	end := len(b)
	if end > 0 && b[end-1] == '\n' {
		end--
	}
	for i := end - 1; i >= 0; i-- {
		if b[i] == '\n' {
			return b[i+1:]
		}
	}
	return b
}

// quoteTail shortens b for an error message; the full bytes stay in the error
// and the transcript.
func quoteTail(b []byte) string {
	if len(b) <= shownBytes {
		return string(b)
	}
	return string(b[:shownBytes]) + "..."
}
