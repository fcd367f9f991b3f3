package wire

import (
	"context"
	"strings"
)

// WriteLine sends line followed by CRLF. It refuses, writing nothing, a line
// that contains CR or LF (ErrBadLine).
func (c *Conn) WriteLine(ctx context.Context, line string) error {
	return c.writeLine(ctx, line, false, "")
}

// WriteSecretLine is WriteLine for a credential (RFC 4954 AUTH, SAFETY.md):
// the transcript entry has Secret set and shows shown instead of the line.
// The line and forms, the credential in the other forms a server might echo
// (decoded, the password alone: session.SecretForms), are hidden from then
// on wherever they appear (Transcript.Hide).
func (c *Conn) WriteSecretLine(ctx context.Context, line, shown string, forms ...string) error {
	c.t.Hide(append(forms, line)...)
	return c.writeLine(ctx, line, true, shown)
}

// WriteLines sends lines, each followed by CRLF, in one write: a group of
// pipelined commands (RFC 2920 section 3.1) leaves as one segment where it
// fits, so the server finds the whole group in its input at once. It refuses,
// writing nothing, when any line contains CR or LF (ErrBadLine). Each line is
// recorded as its own entry.
func (c *Conn) WriteLines(ctx context.Context, lines []string) error {
	n := 0
	for _, line := range lines {
		if err := checkLine(line); err != nil {
			return err
		}
		n += len(line) + 2
	}
	buf := make([]byte, 0, n)
	for _, line := range lines {
		buf = append(append(buf, line...), '\r', '\n')
	}
	o, err := c.begin(ctx, "write")
	if err != nil {
		return err
	}
	defer o.end()
	return o.fail(c.send(buf, false, ""))
}

// WriteRaw sends p exactly as given (DATA bodies, raw mode). It is recorded
// like everything else, split into line entries.
func (c *Conn) WriteRaw(ctx context.Context, p []byte) error {
	o, err := c.begin(ctx, "write")
	if err != nil {
		return err
	}
	defer o.end()
	return o.fail(c.send(p, false, ""))
}

// WriteUnrecorded sends p exactly as given, like WriteRaw, but keeps it out
// of the transcript: the bulk of a large message's data, which the caller
// summarizes with a Note, so that memory stays bounded whatever the message
// weighs. Whatever was recorded before should end with a complete line.
func (c *Conn) WriteUnrecorded(ctx context.Context, p []byte) error {
	o, err := c.begin(ctx, "write")
	if err != nil {
		return err
	}
	defer o.end()
	_, err = c.w.w.Write(p)
	return o.fail(err)
}

// WriteChunk sends p in one write: a command line ending in CRLF, the first
// head octets, then the octets it announces (RFC 3030 BDAT), sent as they
// are. The line is recorded as a command; of the data after it, the first
// keep octets are recorded as Payload entries, the last of them cut where
// the chunk ends, and the rest is sent unrecorded, for the caller to note.
// It refuses, writing nothing, a head that is not one line ending in CRLF
// (ErrBadLine).
func (c *Conn) WriteChunk(ctx context.Context, p []byte, head, keep int) error {
	if head < 2 || head > len(p) || string(p[head-2:head]) != "\r\n" || checkLine(string(p[:head-2])) != nil {
		return ErrBadLine
	}
	keep = min(max(keep, 0), len(p)-head)
	o, err := c.begin(ctx, "write")
	if err != nil {
		return err
	}
	defer o.end()
	n, err := c.w.w.Write(p)
	c.out.record(p[:min(n, head)])
	if n > head {
		c.out.recordPayload(p[head:min(n, head+keep)])
	}
	if err != nil {
		c.out.flush()
	}
	return o.fail(err)
}

// Exchange sends line and reads the reply to it under one absolute deadline,
// so the whole exchange takes at most the time given. It is for a command
// sent when no other awaits its reply: if bytes from the server are already
// waiting, they would be read as this command's reply, so it writes nothing
// and returns a *DesyncError (see CheckIdle).
func (c *Conn) Exchange(ctx context.Context, line string) (Reply, error) {
	return c.exchange(ctx, line, false, "")
}

// ExchangeSecret is Exchange for a credential, recorded and hidden as
// WriteSecretLine records and hides it.
func (c *Conn) ExchangeSecret(ctx context.Context, line, shown string, forms ...string) (Reply, error) {
	c.t.Hide(append(forms, line)...)
	return c.exchange(ctx, line, true, shown)
}

// exchange writes one checked line and reads the reply under one deadline.
func (c *Conn) exchange(ctx context.Context, line string, secret bool, shown string) (Reply, error) {
	if err := checkLine(line); err != nil {
		return Reply{}, err
	}
	o, err := c.begin(ctx, "exchange")
	if err != nil {
		return Reply{}, err
	}
	defer o.end()
	if err := c.idle(); err != nil {
		return Reply{}, o.fail(err)
	}
	if err := c.send([]byte(line+"\r\n"), secret, shown); err != nil {
		return Reply{}, o.fail(err)
	}
	r, err := c.readReply()
	return r, o.fail(err)
}

// writeLine writes one checked line under its own deadline.
func (c *Conn) writeLine(ctx context.Context, line string, secret bool, shown string) error {
	if err := checkLine(line); err != nil {
		return err
	}
	o, err := c.begin(ctx, "write")
	if err != nil {
		return err
	}
	defer o.end()
	return o.fail(c.send([]byte(line+"\r\n"), secret, shown))
}

// send writes p in one call, so a command leaves in one segment.
func (c *Conn) send(p []byte, secret bool, shown string) error {
	if secret {
		c.out.hide(shown)
		defer c.out.reveal()
	}
	_, err := c.w.Write(p)
	return err
}

// checkLine refuses CR and LF inside a line (RFC 5321 section 2.3.8).
func checkLine(line string) error {
	if strings.ContainsAny(line, "\r\n") {
		return ErrBadLine
	}
	return nil
}
