package client

import (
	"bytes"
	"fmt"

	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

// chunkElision is DataElider's state in a BDAT transfer (RFC 3030): from
// the first BDAT line to the reply to the last chunk.
type chunkElision struct {
	on          bool
	lastSent    bool // "BDAT n LAST" went
	outstanding int  // BDAT lines whose reply has not ended
	lines       int  // BDAT lines hidden
	replies     int  // positive replies to them hidden
}

// chunking reports whether e belongs to a BDAT transfer: a BDAT line
// starts one, and it lasts until the reply to its last chunk.
func (d *DataElider) chunking(e wire.Entry) bool {
	if !d.chunks.on && e.Dir == wire.Client && !e.Payload && isBdat(e.Data) {
		d.chunks = chunkElision{on: true}
		d.shown, d.hidden, d.bytes = 0, 0, 0
	}
	return d.chunks.on
}

// filterChunk shows the first Max lines of message data with their BDAT
// lines and replies; past them, it hides the data, the BDAT lines but the
// last, and the positive replies but the last, and says what it hid just
// before the reply to the last chunk. Refusals and notes always show.
func (d *DataElider) filterChunk(e wire.Entry) []wire.Entry {
	c := &d.chunks
	full := d.shown >= d.Max
	switch {
	case e.Dir == wire.Note:
	case e.Dir == wire.Client && e.Payload && full:
		d.hidden++
		d.bytes += int64(len(e.Data))
		d.last = e
		return nil
	case e.Dir == wire.Client && e.Payload:
		d.shown++
	case e.Dir == wire.Client && isBdat(e.Data):
		c.outstanding++
		_, last, _ := session.ParseBdat(string(bytes.TrimRight(e.Data, "\r\n")))
		c.lastSent = c.lastSent || last
		if full && !last {
			c.lines++
			return nil
		}
	case e.Dir == wire.Client: // a command after a transfer cut short
		return append(d.endChunks(e), e)
	case e.Dir == wire.Server:
		ends := len(e.Data) < 4 || e.Data[3] != '-'
		if ends {
			c.outstanding--
		}
		if c.lastSent && c.outstanding <= 0 {
			return append(d.endChunks(e), e)
		}
		if full && len(e.Data) > 0 && e.Data[0] == '2' {
			c.replies += btoi(ends)
			return nil
		}
	}
	return []wire.Entry{e}
}

// endChunks ends the transfer, with a note of what was hidden, if anything.
func (d *DataElider) endChunks(next wire.Entry) []wire.Entry {
	c := d.chunks
	d.chunks = chunkElision{}
	if d.hidden == 0 && c.lines == 0 && c.replies == 0 {
		return nil
	}
	text := fmt.Sprintf("… %d more lines of message data (%s) not shown", d.hidden, session.HumanSize(d.bytes))
	if c.lines > 0 {
		text += fmt.Sprintf(", nor %d BDAT line%s", c.lines, plural(c.lines))
	}
	switch {
	case c.replies == 1:
		text += ", nor 1 positive reply to a chunk"
	case c.replies > 1:
		text += fmt.Sprintf(", nor %d positive replies to chunks", c.replies)
	}
	at := d.last.Time
	if d.hidden == 0 {
		at = next.Time
	}
	return []wire.Entry{{Time: at, Dir: wire.Note, TLS: next.TLS, Data: []byte(text)}}
}

// isBdat reports a BDAT command line.
func isBdat(line []byte) bool {
	return len(line) >= 5 && bytes.EqualFold(line[:5], []byte("BDAT "))
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// chunkText says how a BDAT send went, for the message line of WriteSend.
func chunkText(r SendResult) string {
	switch {
	case r.BodyMode != "BDAT":
		return ""
	case r.Chunks == 1:
		return ", with BDAT in 1 chunk"
	}
	return fmt.Sprintf(", with BDAT in %d chunks", r.Chunks)
}
