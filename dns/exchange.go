package dns

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	mdns "github.com/miekg/dns"
)

// udpSize is the EDNS0 UDP payload size ehlo offers: the DNS Flag Day 2020
// value, which avoids IP fragmentation on common paths.
const udpSize = 1232

// maxIgnored bounds the replies one attempt ignores (another ID, another
// question, unreadable) before it gives up: a flood ends the wait early.
const maxIgnored = 32

// ErrTimeout is matched (errors.Is) by an Error for a question no answer
// came to in time.
var ErrTimeout = errors.New("no answer in time")

// ErrMismatch is matched (errors.Is) by an Error for a question whose only
// replies were ignored, for they answered another question.
var ErrMismatch = errors.New("a reply to another question")

// Error is a question that got no answer ehlo could use: none came in
// time, the network failed, or the answer's CNAME chain was broken.
type Error struct {
	Server   string
	Name     string
	Type     uint16
	Attempts int
	Timeout  bool          // no answer came in time
	After    time.Duration // how long ehlo waited
	Ignored  []string      // why each ignored reply did not answer the question (the first few)
	Err      error         // what failed, when not a timeout: a network error, ErrCNAMELoop, ...
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: ", TypeString(e.Type), Shown(e.Name))
	switch {
	case e.Timeout:
		fmt.Fprintf(&b, "no answer from the resolver %s within %v (%s)", e.Server, e.After.Round(time.Millisecond), tries(e.Attempts))
	case e.Err != nil:
		fmt.Fprintf(&b, "resolver %s: %s", e.Server, words(e.Err))
	}
	if len(e.Ignored) > 0 {
		fmt.Fprintf(&b, "; ignored %s: %s", plural(len(e.Ignored), "reply", "replies"), strings.Join(e.Ignored, "; "))
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrTimeout) and errors.Is(err, ErrMismatch) work.
func (e *Error) Is(target error) bool {
	return target == ErrTimeout && e.Timeout || target == ErrMismatch && len(e.Ignored) > 0
}

// words says what failed without the socket addresses of a net.OpError.
func words(err error) string {
	var op *net.OpError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "nothing answers on that port (connection refused)"
	case errors.As(err, &op):
		return op.Err.Error()
	}
	return err.Error()
}

func tries(n int) string { return plural(n, "try", "tries") }

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// TypeString is a record type's mnemonic: "MX", "TLSA", "TYPE65534".
func TypeString(t uint16) string { return mdns.Type(t).String() }

// question is one question and the state of asking it.
type question struct {
	name    string // A-label FQDN
	qtype   uint16
	id      uint16
	ignored []string
}

// message builds the query for an attempt, with a fresh ID: recursion
// desired, EDNS0 with the DO bit (RFC 3225) so a validating resolver sets
// AD (RFC 6840 5.7).
func (q *question) message() ([]byte, error) {
	m := new(mdns.Msg)
	m.SetQuestion(q.name, q.qtype)
	m.Id = mdns.Id()
	m.RecursionDesired = true
	m.AuthenticatedData = true
	m.SetEdns0(udpSize, true)
	q.id = m.Id
	return m.Pack()
}

// exchange asks q of the client's server: over UDP, once more when no
// answer came in time, and over TCP when the answer is truncated (RFC 7766
// 5). It returns the reply and the number of attempts.
func (c *Client) exchange(ctx context.Context, q *question) (*mdns.Msg, int, error) {
	var (
		r        *mdns.Msg
		err      error
		attempts int
	)
	for attempts < 2 {
		attempts++
		r, err = c.attempt(ctx, q, "udp")
		if !isTimeout(err) || ctx.Err() != nil {
			break
		}
	}
	if err == nil && r.Truncated {
		attempts++
		r, err = c.attempt(ctx, q, "tcp")
	}
	return r, attempts, err
}

// attempt sends q once over network ("udp" or "tcp") and waits for its
// answer until the attempt's deadline, ignoring replies to anything else.
func (c *Client) attempt(ctx context.Context, q *question, network string) (*mdns.Msg, error) {
	deadline := time.Now().Add(c.timeout())
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	var d net.Dialer
	dctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	conn, err := d.DialContext(dctx, network, c.Server)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	packed, err := q.message()
	if err != nil {
		return nil, err
	}
	if network == "tcp" {
		return readReplies(q, func() ([]byte, error) { return readTCP(conn) }, writeTCP(conn, packed))
	}
	buf := make([]byte, 65535)
	_, err = conn.Write(packed)
	return readReplies(q, func() ([]byte, error) {
		n, err := conn.Read(buf)
		return buf[:n], err
	}, err)
}

// readReplies reads messages with read until one answers q.
func readReplies(q *question, read func() ([]byte, error), err error) (*mdns.Msg, error) {
	for ignored := 0; err == nil && ignored < maxIgnored; ignored++ {
		var b []byte
		if b, err = read(); err != nil {
			break
		}
		r, why := q.reply(b)
		if why == "" {
			return r, nil
		}
		if len(q.ignored) < 4 {
			q.ignored = append(q.ignored, why)
		}
	}
	if err == nil {
		err = fmt.Errorf("%w: %d replies to other questions", ErrMismatch, maxIgnored)
	}
	return nil, err
}

// reply unpacks b and checks that it answers q: a response, with q's ID,
// to q's question. It returns why not, or "".
func (q *question) reply(b []byte) (*mdns.Msg, string) {
	r := new(mdns.Msg)
	err := r.Unpack(b)
	switch {
	case len(b) < 12:
		return nil, fmt.Sprintf("a reply of %d bytes, too short for a DNS header", len(b))
	case r.Id != q.id:
		return nil, fmt.Sprintf("ID %d, not %d", r.Id, q.id)
	case !r.Response:
		return nil, fmt.Sprintf("ID %d was a query, not a response", r.Id)
	case err != nil && !r.Truncated:
		return nil, fmt.Sprintf("ID %d unreadable (%v)", r.Id, strings.TrimPrefix(err.Error(), "dns: "))
	case len(r.Question) == 0 && (r.Rcode != mdns.RcodeSuccess || r.Truncated):
		return r, "" // an error or a truncation may omit the question (RFC 1035 4.1.1 does not require it)
	case len(r.Question) != 1:
		return nil, fmt.Sprintf("ID %d carried %d questions", r.Id, len(r.Question))
	}
	got := r.Question[0]
	if !equalNames(got.Name, q.name) || got.Qtype != q.qtype || got.Qclass != mdns.ClassINET {
		return nil, fmt.Sprintf("ID %d answered %s %s, not %s %s", r.Id, TypeString(got.Qtype), got.Name,
			TypeString(q.qtype), q.name)
	}
	return r, ""
}

// writeTCP sends a message with its two-byte length (RFC 1035 4.2.2).
func writeTCP(conn net.Conn, packed []byte) error {
	_, err := conn.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(packed))), packed...))
	return err
}

// readTCP reads one length-prefixed message: at most 65535 bytes.
func readTCP(conn net.Conn) ([]byte, error) {
	var n [2]byte
	if _, err := io.ReadFull(conn, n[:]); err != nil {
		return nil, err
	}
	b := make([]byte, binary.BigEndian.Uint16(n[:]))
	_, err := io.ReadFull(conn, b)
	return b, err
}

// isTimeout reports a deadline that passed.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded)
}
