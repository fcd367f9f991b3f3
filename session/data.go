package session

import (
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

// Write normalises p; it reports len(p) consumed on success.
func (d *DataWriter) Write(p []byte) (int, error) {
	if d.closed {
		return 0, ErrDataClosed
	}
	for _, b := range p {
		d.put(b)
		if len(d.buf) >= cap(d.buf)-3 {
			if err := d.flush(); err != nil {
				return 0, err
			}
		}
	}
	return len(p), d.flush()
}

func (d *DataWriter) put(b byte) {
	switch {
	case b == '\n' && d.cr: // the LF of a CRLF already written
		d.cr = false
		return
	case b == '\r' || b == '\n':
		d.buf = append(d.buf, '\r', '\n')
		d.bol, d.cr = true, b == '\r'
		return
	}
	d.cr = false
	if d.bol && b == '.' {
		d.buf = append(d.buf, '.')
		d.stuffed++
	}
	d.buf = append(d.buf, b)
	d.bol = false
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
