package session

import (
	"bytes"
	"errors"
	"io"
)

// DataWriter writes a message body for DATA (RFC 5321 4.1.1.4): every line
// ending, whatever it was (CRLF, a bare LF or a bare CR), goes out as CRLF,
// and a line that starts with "." gets a second one (4.5.2). Close ends the
// data with CRLF "." CRLF. The first CRLF.CRLF on the wire is therefore the
// end of data and nothing else is, which is what SMTP smuggling needs
// broken (SAFETY.md).
type DataWriter struct {
	w       io.Writer
	bol     bool // at the beginning of a line
	cr      bool // the last byte was a CR, whose LF may follow
	stuffed int  // lines dot-stuffed so far
	closed  bool
	buf     []byte
}

// NewDataWriter returns a writer that normalises and dot-stuffs into w.
func NewDataWriter(w io.Writer) *DataWriter {
	return &DataWriter{w: w, bol: true, buf: make([]byte, 0, 4096)}
}

// ErrDataClosed is returned by writes after Close.
var ErrDataClosed = errors.New("session: data writer is closed")

// Write normalises p; it reports len(p) consumed on success. It copies the
// text between line endings in runs, so a large body costs a copy and two
// byte searches per line, not a branch per byte.
func (d *DataWriter) Write(p []byte) (int, error) {
	if d.closed {
		return 0, ErrDataClosed
	}
	n := len(p)
	for len(p) > 0 {
		if d.cr && p[0] == '\n' { // the LF of a CRLF already written
			d.cr = false
			p = p[1:]
			continue
		}
		d.cr = false
		if d.bol && p[0] == '.' {
			d.buf = append(d.buf, '.')
			d.stuffed++
		}
		end := lineEnd(p)
		if err := d.text(p[:end]); err != nil {
			return 0, err
		}
		if end == len(p) {
			break
		}
		d.buf = append(d.buf, '\r', '\n') // CRLF, a bare LF or a bare CR alike
		d.bol, d.cr = true, p[end] == '\r'
		p = p[end+1:]
	}
	return n, d.flush()
}

// lineEnd returns the index of the first CR or LF in p, or len(p).
func lineEnd(p []byte) int {
	i := bytes.IndexByte(p, '\n')
	if i < 0 {
		i = len(p)
	}
	if j := bytes.IndexByte(p[:i], '\r'); j >= 0 {
		return j
	}
	return i
}

// text buffers a run of bytes without line endings, flushing as needed,
// and keeps room for the CRLF that may follow.
func (d *DataWriter) text(run []byte) error {
	if len(run) == 0 {
		return nil
	}
	d.bol = false
	for len(run) > 0 {
		if len(d.buf) >= cap(d.buf)-3 {
			if err := d.flush(); err != nil {
				return err
			}
		}
		k := min(len(run), cap(d.buf)-3-len(d.buf))
		d.buf = append(d.buf, run[:k]...)
		run = run[k:]
	}
	return nil
}

func (d *DataWriter) flush() error {
	if len(d.buf) == 0 {
		return nil
	}
	_, err := d.w.Write(d.buf)
	d.buf = d.buf[:0]
	return err
}

// Stuffed counts the lines that got an extra leading dot.
func (d *DataWriter) Stuffed() int { return d.stuffed }

// Close ends the data: a CRLF if the last line had none, then ".\r\n".
func (d *DataWriter) Close() error {
	if d.closed {
		return nil
	}
	d.closed = true
	if !d.bol {
		d.buf = append(d.buf, '\r', '\n')
	}
	d.buf = append(d.buf, '.', '\r', '\n')
	return d.flush()
}
