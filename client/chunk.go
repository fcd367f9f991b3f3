package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/ehlo-sh/ehlo/session"
)

// DefaultChunkSize is the size of a BDAT chunk: 1 MiB. Each chunk costs a
// reply: sending 20 MB to Postfix, 64 KiB chunks took 1.5x the CPU time of
// 1 MiB ones and 256 KiB chunks 1.1x; 4 MiB chunks gained nothing and
// added 3.5 MB of peak RSS (bench/history.md).
const DefaultChunkSize = 1 << 20

// chunkHead is the room kept before a chunk's data for its BDAT line, so
// that line and data leave in one write without a copy: the longest line,
// "BDAT 9223372036854775807 LAST\r\n", takes 31 octets.
const chunkHead = 32

// ChunkOptions configure a ChunkWriter.
type ChunkOptions struct {
	Size int // octets of message data per chunk; 0 means DefaultChunkSize
	// Record is how much message data the transcript keeps, over all the
	// chunks; past it, data goes out unrecorded and a note gives the
	// count. 0 means 64 KiB (as for DATA); a negative value keeps it all.
	Record int
	// Sent is called after each chunk is written, with its BDAT line and
	// whether it was the last. It reads the replies as the caller's policy
	// says: the chunk's own at once, or the one before it while this one
	// travels (RFC 2920 pipelining). An error stops the writer: no chunk
	// is sent after it (RFC 3030 section 3: no BDAT after a failed one).
	Sent func(line string, last bool) error
}

// ChunkConn is what a ChunkWriter sends its chunks on: a *wire.Conn, or
// anything that takes a chunk as wire.Conn.WriteChunk does (the explorer
// keeps each chunk, to send it when its turn comes).
type ChunkConn interface {
	WriteChunk(ctx context.Context, p []byte, head, keep int) error
	Note(text string)
}

// ChunkWriter cuts a message into BDAT chunks (RFC 3030 CHUNKING) and
// sends each, its BDAT line and its octets, in one write on a ChunkConn,
// exactly as written to it: BDAT counts octets, so nothing is dot-stuffed
// and no "." ends the data. It reads no reply itself (ChunkOptions.Sent
// does), so the explorer can share it with its own way of reading.
type ChunkWriter struct {
	ctx    context.Context
	conn   ChunkConn
	opts   ChunkOptions
	buf    []byte // chunkHead octets of room, then the chunk being filled
	n      int    // octets of the chunk in buf
	limit  int    // octets of data to record; <0: all
	budget int    // octets still to record
	skip   int64  // octets sent unrecorded
	total  int64
	chunks int
	err    error // the first error; every later call returns it
	closed bool
}

// NewChunkWriter returns a writer that sends what is written to it as BDAT
// chunks on conn; Close sends the last chunk with LAST.
func NewChunkWriter(ctx context.Context, conn ChunkConn, opts ChunkOptions) *ChunkWriter {
	if opts.Size <= 0 {
		opts.Size = DefaultChunkSize
	}
	limit := opts.Record
	if limit == 0 {
		limit = bodyRecordLimit
	}
	return &ChunkWriter{ctx: ctx, conn: conn, opts: opts, buf: make([]byte, chunkHead+opts.Size), limit: limit, budget: limit}
}

// Write takes message data. A full chunk is sent when more data comes, so
// that the last one, sent by Close, is never empty but for an empty
// message.
func (w *ChunkWriter) Write(p []byte) (int, error) {
	if w.closed && w.err == nil {
		return 0, errors.New("client: write to a closed ChunkWriter")
	}
	written := 0
	for len(p) > 0 && w.err == nil {
		if w.n == w.opts.Size {
			if w.err = w.send(false); w.err != nil {
				break
			}
		}
		k := copy(w.buf[chunkHead+w.n:], p)
		w.n, written, p = w.n+k, written+k, p[k:]
	}
	return written, w.err
}

// Close sends what is left as the last chunk, "BDAT n LAST" ("BDAT 0 LAST"
// for an empty message), noting the data not recorded. After an error, it
// sends nothing and returns the error.
func (w *ChunkWriter) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if w.err == nil {
		w.err = w.send(true)
	}
	return w.err
}

// Chunks is the number of chunks sent, and Sent the octets of data in them.
func (w *ChunkWriter) Chunks() int { return w.chunks }
func (w *ChunkWriter) Sent() int64 { return w.total }

// send writes the chunk in buf, its line in the room before it, in one
// write, then lets the caller read what its policy says.
func (w *ChunkWriter) send(last bool) error {
	line := session.Bdat(int64(w.n), last)
	head := len(line) + 2
	start := chunkHead - head
	copy(w.buf[start:], line+"\r\n")
	data := w.buf[chunkHead : chunkHead+w.n]
	keep := w.recordable(data)
	if err := w.conn.WriteChunk(w.ctx, w.buf[start:chunkHead+w.n], head, keep); err != nil {
		return fmt.Errorf("BDAT: %w", err)
	}
	w.skip += int64(w.n - keep)
	w.total += int64(w.n)
	w.chunks++
	w.n = 0
	if last && w.skip > 0 {
		w.conn.Note(fmt.Sprintf("message data: %d more bytes sent, not recorded (the transcript keeps the first %s)",
			w.skip, session.HumanSize(int64(w.limit))))
	}
	if w.opts.Sent == nil {
		return nil
	}
	return w.opts.Sent(line, last)
}

// recordable says how much of data, the next chunk, the transcript keeps,
// and spends the budget: once it is spent, the line under way is kept to
// its end if that comes within an entry's length, so the transcript
// seldom stops inside a line.
func (w *ChunkWriter) recordable(data []byte) int {
	switch {
	case w.limit < 0:
		return len(data)
	case w.budget <= 0:
		return 0
	}
	n := min(len(data), w.budget)
	w.budget -= n
	if w.budget > 0 || n == len(data) || data[n-1] == '\n' {
		return n
	}
	if end := bytes.IndexByte(data[n:min(len(data), n+4096)], '\n'); end >= 0 {
		n += end + 1
	}
	w.budget = 0
	return n
}
