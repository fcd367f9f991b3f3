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
	stuff   bool // dot-stuff, and end with "." (DATA); not for BDAT
	bol     bool // at the beginning of a line
	cr      bool // the last byte was a CR, whose LF may follow
	stuffed int  // lines dot-stuffed so far
	closed  bool
	buf     []byte
}

// NewDataWriter returns a writer that normalises and dot-stuffs into w.
func NewDataWriter(w io.Writer) *DataWriter {
	return &DataWriter{w: w, stuff: true, bol: true, buf: make([]byte, 0, 4096)}
}

// NewCRLFWriter returns a writer that normalises line endings into w as
// DataWriter does, without dot-stuffing: the octets of a message sent with
// BDAT, which counts them instead of ending them with "." (RFC 3030
// section 2). Close ends an unterminated last line with CRLF, and adds
// nothing else. Each Write hands all it was given to w before returning.
func NewCRLFWriter(w io.Writer) *DataWriter {
	return &DataWriter{w: w, bol: true, buf: make([]byte, 0, 4096)}
}

// ErrDataClosed is returned by writes after Close.
var ErrDataClosed = errors.New("session: data writer is closed")

// Write normalises p; it reports len(p) consumed on success. Runs of lines
// that need no change (CRLF endings, no leading dot) go out in one copy;
// other text is copied between line endings, so a large body costs two byte
// searches per line, not a branch per byte.
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
		if d.bol && p[0] == '.' && d.stuff {
			d.buf = append(d.buf, '.')
			d.stuffed++
		}
		if k := cleanLines(p); k > 0 { // the usual case: CRLF lines, no dot to add
			if err := d.lines(p[:k]); err != nil {
				return 0, err
			}
			d.bol = true
			p = p[k:]
			continue
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

// cleanLines returns the length of the longest prefix of p made of whole
// lines that end in CRLF and hold no other CR or LF, ending before any line
// but the first that starts with a dot: lines that go out as they are, in
// one copy, however many.
func cleanLines(p []byte) int {
	end := 0
	for end < len(p) && (end == 0 || p[end] != '.') {
		i := bytes.IndexByte(p[end:], '\n')
		if i < 1 {
			break
		}
		lf := end + i
		if p[lf-1] != '\r' || bytes.IndexByte(p[end:lf-1], '\r') >= 0 {
			break
		}
		end = lf + 1
	}
	return end
}

// lines writes whole lines that need no change: into the buffer when they
// fit, else straight through after what the buffer holds.
func (d *DataWriter) lines(run []byte) error {
	if room := cap(d.buf) - 3; len(d.buf)+len(run) > room {
		if err := d.flush(); err != nil {
			return err
		}
		if len(run) > room {
			_, err := d.w.Write(run)
			return err
		}
	}
	d.buf = append(d.buf, run...)
	return nil
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

// Close ends the data: a CRLF if the last line had none, then ".\r\n"
// (but for a NewCRLFWriter).
func (d *DataWriter) Close() error {
	if d.closed {
		return nil
	}
	d.closed = true
	if !d.bol {
		d.buf = append(d.buf, '\r', '\n')
	}
	if d.stuff {
		d.buf = append(d.buf, '.', '\r', '\n')
	}
	return d.flush()
}
