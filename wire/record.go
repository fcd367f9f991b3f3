package wire

import (
	"bytes"
	"io"
	"net"
	"sync"
	"time"
)

// maxEntry is the most bytes a transcript entry holds: a longer line is
// recorded as several Partial chunks, so memory stays bounded and nothing is
// lost.
const maxEntry = 4096

// recorder turns the bytes of one direction into transcript entries, one per
// line. It is fed where bytes cross the socket (tapReader, tapWriter).
type recorder struct {
	t   *Transcript
	dir Dir

	mu         sync.Mutex
	tls        bool
	held       []byte // the current line, until its LF arrives
	heldSecret bool
	heldShown  string
	secret     bool // bytes recorded now are secret
	shown      string
	payload    bool // bytes recorded now are message data after BDAT
}

// newRecorder records the bytes of direction dir into t.
func newRecorder(t *Transcript, dir Dir) *recorder {
	return &recorder{t: t, dir: dir}
}

// record adds bytes that just crossed the socket.
func (r *recorder) record(p []byte) {
	if len(p) == 0 {
		return
	}
	r.mu.Lock()
	now := time.Now()
	for len(p) > 0 {
		p = r.take(p, now)
	}
	r.mu.Unlock()
	r.t.deliver()
}

// recordPayload adds the recorded part of a chunk of message data (RFC
// 3030 BDAT) as Payload entries, the last cut where the chunk ends, so that
// the next command is an entry of its own.
func (r *recorder) recordPayload(p []byte) {
	r.mu.Lock()
	r.payload = true
	r.mu.Unlock()
	r.record(p)
	r.flush()
	r.mu.Lock()
	r.payload = false
	r.mu.Unlock()
}

// take moves the rest of one line from p into the held line, emitting it if
// it ends or fills, and returns what is left of p.
func (r *recorder) take(p []byte, now time.Time) []byte {
	if r.secret {
		r.heldSecret, r.heldShown = true, r.shown
	}
	end := bytes.IndexByte(p, '\n') + 1
	if end == 0 {
		end = len(p)
	}
	if room := maxEntry - len(r.held); end > room {
		r.held = append(r.held, p[:room]...)
		// what may begin a secret waits for the next entry, so that the
		// secret is redacted whole there (Transcript.Hide)
		n := len(r.held) - r.t.secretTail(r.held)
		carry := bytes.Clone(r.held[n:])
		r.held = r.held[:n]
		r.emit(now, true)
		r.held = append(r.held, carry...)
		return p[room:]
	}
	r.held = append(r.held, p[:end]...)
	if p[end-1] == '\n' {
		r.emit(now, false)
	}
	return p[end:]
}

// emit records the held bytes as one entry.
func (r *recorder) emit(now time.Time, partial bool) {
	r.t.append(Entry{
		Time: now, Dir: r.dir, TLS: r.tls, Data: bytes.Clone(r.held),
		Secret: r.heldSecret, Shown: r.heldShown, Partial: partial, Payload: r.payload,
	})
	r.held = r.held[:0]
	r.heldSecret, r.heldShown = false, ""
}

// flush records a held partial line: the stream ended or is switching.
func (r *recorder) flush() {
	r.mu.Lock()
	if len(r.held) > 0 {
		r.emit(time.Now(), true)
	}
	r.mu.Unlock()
	r.t.deliver()
}

// startTLS flushes and marks what follows as travelling inside TLS.
func (r *recorder) startTLS() {
	r.flush()
	r.mu.Lock()
	r.tls = true
	r.mu.Unlock()
}

// hide marks the bytes recorded until reveal as secret, displayed as shown.
func (r *recorder) hide(shown string) {
	r.mu.Lock()
	r.secret, r.shown = true, shown
	r.mu.Unlock()
}

// reveal ends hide.
func (r *recorder) reveal() {
	r.mu.Lock()
	r.secret, r.shown = false, ""
	r.mu.Unlock()
}

// tapReader records what is read from the stream, as go-smtp does with
// io.TeeReader, so the transcript holds every byte received.
type tapReader struct {
	r   io.Reader
	rec *recorder
}

func (t tapReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.rec.record(p[:n])
	if err != nil {
		t.rec.flush()
	}
	return n, err
}

// tapWriter records what was written to the stream.
type tapWriter struct {
	w   io.Writer
	rec *recorder
}

func (t tapWriter) Write(p []byte) (int, error) {
	n, err := t.w.Write(p)
	t.rec.record(p[:n])
	if err != nil {
		t.rec.flush()
	}
	return n, err
}

// maxCapture is how much of the server's answer to a ClientHello is kept.
const maxCapture = 512

// captureConn keeps the first bytes the server sends to a TLS handshake, so
// that a plaintext answer can be shown (PlaintextError). Handshake bytes are
// not recorded in the transcript.
type captureConn struct {
	net.Conn
	got []byte
}

func (c *captureConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if room := maxCapture - len(c.got); room > 0 {
		c.got = append(c.got, p[:min(n, room)]...)
	}
	return n, err
}
