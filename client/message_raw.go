package client

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// A prepared message (send --data @FILE) goes as it is: its header and body
// are the file's, byte for byte, except that
//
//   - every line ending goes out as CRLF, a bare LF or a bare CR included
//     (RFC 5321 2.3.8 forbids them on the wire; session.DataWriter, which
//     also dot-stuffs, RFC 5321 4.5.2);
//   - --header 'Name: value' replaces the file's field of that name (the
//     first; later ones of the name go), or is added when there is none;
//   - --add-header 'Name: value' is added at the end of the header, after
//     the file's fields.
//
// With --data-template, tokens such as %DATE% are filled in first
// (FillTemplate). Nothing else is changed: no Date, Message-ID or MIME
// field is added, no transfer encoding chosen.

// maxRawHeader bounds the header section read into memory; the body is
// streamed from the file.
const maxRawHeader = 1 << 20

// maxTemplate bounds a --data-template file, which is read whole.
const maxTemplate = 10 << 20

// rawMessage is a prepared message after Scan: its header as edited, and
// where the rest starts in the file.
type rawMessage struct {
	header []byte    // the header section as it goes, edits applied, with its blank line
	body   int64     // offset of the body in the source
	part   *textPart // what scanning the whole source found: 8-bit, NUL, long lines, line endings
}

// scanRaw reads the header section of m.Raw, applies the header edits and
// scans the whole source for what the report and MAIL need.
func (m *Message) scanRaw() error {
	r, closeFn, err := m.Raw.open()
	if err != nil {
		return fmt.Errorf("the prepared message: %w", err)
	}
	defer closeFn()
	head, body, err := readHeaderSection(bufio.NewReaderSize(r, 64<<10))
	if err != nil {
		return err
	}
	part, err := scanText(m.Raw, "message/rfc822")
	if err != nil {
		return err
	}
	m.raw = &rawMessage{header: editHeader(head, m.Header, m.AddHeader), body: body, part: part}
	return nil
}

// readHeaderSection returns the header section, up to and with the empty
// line that ends it (CRLF, LF or CR endings), and the offset of the body.
// A source without an empty line is all header.
func readHeaderSection(r *bufio.Reader) ([]byte, int64, error) {
	var head []byte
	for {
		line, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			line = append([]byte(nil), line...)
			rest, err2 := r.ReadBytes('\n')
			line, err = append(line, rest...), err2
		}
		head = append(head, line...)
		if len(head) > maxRawHeader {
			return nil, 0, fmt.Errorf("the message's header is over %d bytes without an empty line to end it", maxRawHeader)
		}
		if t := bytes.TrimRight(line, "\r\n"); len(t) == 0 && len(line) > 0 {
			return head, int64(len(head)), nil
		}
		if err == io.EOF {
			return head, int64(len(head)), nil
		}
		if err != nil {
			return nil, 0, err
		}
	}
}

// editHeader applies --header (replace) and --add-header (add) to a header
// section, keeping every other byte of it.
func editHeader(head []byte, replace, add []HeaderField) []byte {
	if len(replace) == 0 && len(add) == 0 {
		return head
	}
	fields, end := splitFields(head)
	if len(fields) > 0 && !endsInEOL(fields[len(fields)-1]) {
		fields[len(fields)-1] = append(fields[len(fields)-1], "\r\n"...) // a source that ends inside its header
	}
	for _, h := range replace {
		h.Value = encodeField(h)
		done := false
		kept := fields[:0]
		for _, f := range fields {
			if !strings.EqualFold(fieldName(f), h.Name) {
				kept = append(kept, f)
			} else if !done {
				kept, done = append(kept, fieldBytes(h)), true
			}
		}
		fields = kept
		if !done {
			fields = append(fields, fieldBytes(h))
		}
	}
	for _, h := range add {
		h.Value = encodeField(h)
		fields = append(fields, fieldBytes(h))
	}
	if len(end) == 0 {
		end = []byte("\r\n") // a source that was all header gets the empty line its new fields need
	}
	return append(bytes.Join(fields, nil), end...)
}

// splitFields cuts a header section into fields (a line and its folded
// continuation lines, RFC 5322 2.2.3) and the empty line that ends it.
func splitFields(head []byte) (fields [][]byte, end []byte) {
	for len(head) > 0 {
		n := lineLen(head)
		line := head[:n]
		switch {
		case len(bytes.TrimRight(line, "\r\n")) == 0:
			return fields, head
		case (line[0] == ' ' || line[0] == '\t') && len(fields) > 0:
			fields[len(fields)-1] = append(fields[len(fields)-1], line...)
		default:
			fields = append(fields, append([]byte(nil), line...))
		}
		head = head[n:]
	}
	return fields, nil
}

// lineLen is the length of the first line of b with its ending (CRLF, LF
// or a bare CR).
func lineLen(b []byte) int {
	i := bytes.IndexAny(b, "\r\n")
	switch {
	case i < 0:
		return len(b)
	case b[i] == '\r' && i+1 < len(b) && b[i+1] == '\n':
		return i + 2
	}
	return i + 1
}

func endsInEOL(b []byte) bool { return len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') }

func fieldName(f []byte) string {
	name, _, _ := bytes.Cut(f, []byte(":"))
	return strings.TrimSpace(string(name))
}

func fieldBytes(h HeaderField) []byte {
	var b bytes.Buffer
	_ = writeField(&b, h)
	return b.Bytes()
}

// writeRaw writes a prepared message: its edited header, then the rest of
// the source as it is. The line endings become CRLF downstream
// (session.DataWriter for DATA, session.NewCRLFWriter for BDAT).
func (m *Message) writeRaw(w io.Writer) error {
	if _, err := w.Write(m.raw.header); err != nil {
		return err
	}
	r, closeFn, err := m.Raw.open()
	if err != nil {
		return err
	}
	defer closeFn()
	if s, ok := r.(io.Seeker); ok {
		if _, err := s.Seek(m.raw.body, io.SeekStart); err != nil {
			return err
		}
	} else if _, err := io.CopyN(io.Discard, r, m.raw.body); err != nil {
		return err
	}
	_, err = io.Copy(w, r)
	return err
}

// Prepared reports whether the message is a prepared one (Message.Raw).
func (m *Message) Prepared() bool { return m.raw != nil }

// RawNotes says, for the transcript, what the prepared message holds that
// the wire changes or a server may mind: bare LF or CR line endings (sent
// as CRLF), 8-bit octets, a NUL, a line over 998 octets. Empty for a
// composed message.
func (m *Message) RawNotes(eightBitOK bool) []string {
	if m.raw == nil {
		return nil
	}
	p := m.raw.part
	var notes []string
	if p.endings&(eolLF|eolCR) != 0 {
		notes = append(notes, "the message file has bare LF or CR line endings: each goes out as CRLF, as RFC 5321 2.3.8 requires (the body the server stores is the same text)")
	}
	if p.eightBit && !eightBitOK {
		notes = append(notes, "the message holds 8-bit octets and the server does not offer 8BITMIME (RFC 6152): it goes as it is, and the server may refuse or mangle it")
	}
	if p.nul {
		notes = append(notes, "the message holds a NUL octet, which no 7bit or 8bit message may hold (RFC 2045 2.7): it goes as it is")
	}
	if p.longLine {
		notes = append(notes, "the message has a line over 998 octets (RFC 5322 2.1.1): it goes as it is, and a server may refuse it")
	}
	return notes
}

// TemplateVars are what FillTemplate puts in for its tokens.
type TemplateVars struct {
	From string   // %FROM_ADDRESS%: the envelope sender
	To   []string // %TO_ADDRESS%: the recipients given with --to, comma-separated
	Date time.Time
}

// FillTemplate reads a --data-template file (at most 10 MiB) and fills in
// swaks's tokens: %FROM_ADDRESS%, %TO_ADDRESS%, %DATE% (RFC 5322 3.3),
// %MESSAGEID% (a new one, with its angle brackets) and %NEWLINE%. Other
// text, an unknown %TOKEN% included, stays as it is.
func FillTemplate(path string, v TemplateVars) (string, error) {
	b, err := readBounded(path, maxTemplate)
	if err != nil {
		return "", err
	}
	domain := domainOf(v.From)
	if domain == "" {
		domain = "ehlo.invalid"
	}
	r := strings.NewReplacer(
		"%FROM_ADDRESS%", v.From,
		"%TO_ADDRESS%", strings.Join(v.To, ", "),
		"%DATE%", v.Date.Format(time.RFC1123Z),
		"%MESSAGEID%", "<"+strings.ToLower(rand.Text())+"@"+domain+">",
		"%NEWLINE%", "\r\n")
	return r.Replace(string(b)), nil
}

// readBounded reads a whole file of at most limit bytes.
func readBounded(path string, limit int64) ([]byte, error) {
	r, closeFn, err := Content{File: path}.open()
	if err != nil {
		return nil, err
	}
	defer closeFn()
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: a template is read whole, and this one is over %d MiB", path, limit>>20)
	}
	return b, nil
}
