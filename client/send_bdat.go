package client

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ehlo-sh/ehlo/session"
)

// Body modes for Send: how the message goes after RCPT.
const (
	BodyAuto = "auto" // BDAT when the message needs BINARYMIME and the server offers it with CHUNKING; DATA otherwise
	BodyData = "data" // DATA (RFC 5321), whatever the server offers
	BodyBDAT = "bdat" // BDAT chunks (RFC 3030); the server must offer CHUNKING
)

// BodyModes lists the values of SendConfig.BodyMode, as --body-mode takes them.
var BodyModes = []string{BodyAuto, BodyData, BodyBDAT}

func checkBodyMode(mode string) error {
	if mode != "" && !slices.Contains(BodyModes, mode) {
		return fmt.Errorf("--body-mode %q: want %s", mode, strings.Join(BodyModes, ", "))
	}
	return nil
}

// chooseBody picks DATA or BDAT (SendResult.BodyMode) by the body mode and
// what the server offers, and, with BDAT and BINARYMIME, sends the text
// parts that need it as they are (RFC 3030 section 3).
func (s *sender) chooseBody() error {
	m := s.cfg.Message
	chunking := s.caps.Has("CHUNKING")
	binary := chunking && s.caps.Has("BINARYMIME") && m.NeedsBinary()
	s.res.BodyMode = "DATA"
	switch s.cfg.BodyMode {
	case BodyData:
		return nil
	case BodyBDAT:
		if !chunking {
			return stepErr(StepMail, policyError("--body-mode bdat: the server does not offer CHUNKING (RFC 3030), so it takes no BDAT: nothing was sent (--body-mode auto or data sends with DATA)"))
		}
		s.res.BodyMode = "BDAT"
	default:
		if binary {
			s.res.BodyMode = "BDAT"
		}
	}
	switch {
	case binary && s.res.BodyMode == "BDAT":
		m.UseBinary()
		s.c.Conn().Note("the text holds " + m.BinaryReason() + ": it goes as it is, with BODY=BINARYMIME and BDAT (RFC 3030)")
	case m.NeedsBinary():
		s.c.Conn().Note("the text holds " + m.BinaryReason() + ", which DATA cannot carry as it is: it goes in quoted-printable, as the server does not offer BINARYMIME with CHUNKING (RFC 3030)")
	}
	return nil
}

// bdat sends the message in BDAT chunks (RFC 3030), each reply checked:
// the chunks' octets are the message with CRLF line endings (a binary part
// as it is), never dot-stuffed. With PIPELINING (RFC 2920), a chunk goes
// out while the reply to the one before it is awaited. A failure reply
// stops the transfer: no chunk is sent after it, and the replies to those
// already sent are read. The reply to the last chunk is the message's
// (SendResult.Final), as the reply to "." is after DATA; in LMTP it is the
// first of one reply per accepted recipient (RFC 2033 4.2 with RFC 3030:
// the last chunk ends the message as "." does), read as after DATA.
func (s *sender) bdat(ctx context.Context) error {
	if err := s.c.conn.CheckIdle(ctx); err != nil { // no reply is due before the first chunk
		return stepErr(StepData, err)
	}
	q := &chunkReplies{s: s, ctx: ctx, pipelined: s.caps.Has("PIPELINING"), lmtp: s.cfg.Options.LMTP}
	size := s.cfg.ChunkSize
	if size <= 0 {
		size = DefaultChunkSize
	}
	w := NewChunkWriter(ctx, s.c.Conn(), ChunkOptions{Size: bufSize(s.res.Size, size), Sent: q.sent})
	pw := &progressWriter{w: w, total: s.res.Size, report: s.cfg.Progress}
	err := s.writeBody(pw)
	if err == nil {
		err = w.Close()
	}
	s.res.Sent, s.res.Chunks = w.Sent(), w.Chunks()
	if err != nil {
		return q.failure(err)
	}
	pw.done()
	if q.lmtp {
		return s.deliveries(ctx, s.res.Final.Reply)
	}
	return nil
}

// writeBody writes the message as BDAT carries it: a binary message as it
// is, any other with its line endings made CRLF.
func (s *sender) writeBody(w *progressWriter) error {
	m := s.cfg.Message
	if m.Binary() {
		_, err := m.WriteTo(w)
		return err
	}
	cw := session.NewCRLFWriter(w)
	if _, err := m.WriteTo(cw); err != nil {
		return err
	}
	return cw.Close()
}

// chunkReplies reads the replies to BDAT chunks as they go, in order.
type chunkReplies struct {
	s         *sender
	ctx       context.Context
	pipelined bool
	pending   []string // BDAT lines sent, whose replies are unread
	refused   error    // the refusal that stopped the transfer
	broken    error    // a reply that did not come, or broke SMTP's rules
	brokenAt  string   // the BDAT line of that reply
	desync    error    // bytes that came when no reply was due (wire.DesyncError)
	lastSent  bool
	lmtp      bool // LMTP: more replies follow the last chunk's, one per further recipient
}

// sent is ChunkOptions.Sent: read the reply to this chunk, or, pipelined,
// the reply to the one before it; after the last chunk, every reply.
func (q *chunkReplies) sent(line string, last bool) error {
	q.pending = append(q.pending, line)
	q.lastSent = q.lastSent || last
	switch {
	case last || !q.pipelined:
		return q.read(len(q.pending))
	case len(q.pending) > 1:
		return q.read(1)
	}
	return nil
}

// read reads n replies, the oldest first. After a failure reply, it reads
// the replies to the chunks already sent, which the server must discard
// (RFC 3030 section 3), so that the session stays in step for QUIT.
func (q *chunkReplies) read(n int) error {
	for ; n > 0 || (q.refused != nil && len(q.pending) > 0); n-- {
		line := q.pending[0]
		q.pending = q.pending[1:]
		if err := q.readOne(line); err != nil {
			if q.refused != nil {
				q.s.c.Close() // out of step after the refusal: no QUIT
				return q.refused
			}
			return err
		}
	}
	if len(q.pending) == 0 && !(q.lmtp && q.lastSent) { // every reply read: anything more answers nothing (RFC 5321 4.2); in LMTP, deliveries checks after the recipients' replies
		if err := q.s.c.conn.CheckIdle(q.ctx); err != nil {
			q.desync = err
			return err
		}
	}
	return q.refused
}

// readOne reads the reply to the chunk sent as line.
func (q *chunkReplies) readOne(line string) error {
	last := isLastChunk(line)
	c := q.s.c
	ctx := q.ctx
	if last { // the message's reply, which may take 10 minutes (RFC 5321 4.5.3.2.6), or --data-timeout
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.opts.DataWait())
		defer cancel()
	}
	c.state = c.state.Sent(line)
	r, err := c.read(ctx)
	if err != nil {
		q.broken, q.brokenAt = fmt.Errorf("%s: %w", line, err), line
		return q.broken
	}
	o := q.s.outcome(line, line, r)
	c.state = c.state.Received(r)
	if last {
		q.s.res.Final = o
	}
	switch {
	case q.refused != nil:
	case last && q.lmtp: // the first recipient's: deliveries judges them all
	case last && r.Code != 250: // delivered means 250, as after "."
		q.refused = &RefusedError{Command: "the message", Reply: r}
	case !r.OK():
		q.refused = &RefusedError{Command: line, Reply: r}
	}
	return nil
}

// failure names the step of an error that stopped the transfer: a chunk
// refused before the last is DATA's step (exit 10), the reply to the last
// chunk the end of data's (exit 11), as are a link that broke while the
// chunks went and a last chunk that got no reply, after which the
// message may have been taken. A reply that broke SMTP's rules (mixed
// codes) is that protocol error, at the step of the chunk it answered;
// bytes that came when no reply was due come first, as the replies read
// may answer other chunks than they seem to.
func (q *chunkReplies) failure(err error) error {
	var refused *RefusedError
	switch {
	case q.desync != nil && q.lastSent:
		return stepErr(StepDataEnd, q.desync)
	case q.desync != nil:
		return stepErr(StepData, q.desync)
	case errors.As(q.refused, &refused) && refused.Command != "the message":
		return stepErr(StepData, q.refused)
	case q.refused != nil:
		return stepErr(StepDataEnd, q.refused)
	case errors.Is(q.broken, session.ErrMalformedReply) && !isLastChunk(q.brokenAt):
		return stepErr(StepData, q.broken)
	case errors.Is(q.broken, session.ErrMalformedReply):
		return stepErr(StepDataEnd, q.broken)
	case q.broken != nil && q.lastSent:
		var wait time.Duration // the wait of the last chunk's reply, the one that had --data-timeout
		if isLastChunk(q.brokenAt) {
			wait = q.s.c.opts.DataWait()
		}
		return stepErr(StepDataEnd, unanswered(q.broken, lastChunk, wait))
	}
	return stepErr(StepDataEnd, err)
}

// isLastChunk reports a "BDAT n LAST" line.
func isLastChunk(line string) bool {
	_, last, err := session.ParseBdat(line)
	return err == nil && last
}
