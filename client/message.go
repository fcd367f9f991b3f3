package client

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ehlo-sh/ehlo/session"
)

// Message is an RFC 5322 message composed from parts that stay where they
// are: text given on the command line, or files that are read, encoded and
// written straight onto the wire. Nothing the size of a file is ever held
// in memory, so its size is bounded whatever the attachments weigh.
//
// Call Scan once before connecting (it checks the headers and the files),
// Use8Bit once the server's capabilities are known, then Size and WriteTo.
type Message struct {
	From        *mail.Address
	To, Cc      []*mail.Address // header recipients; Bcc lives only in the envelope
	Subject     string
	Header      []HeaderField // extra fields; one named like a generated field replaces it
	Text        Content       // the text/plain body
	HTML        Content       // the text/html alternative, if any
	Attachments []Attachment
	Date        time.Time // zero: the time of Scan
	MessageID   string    // with its angle brackets; "": made up at Scan
	// Charset labels text parts that are not ASCII; "" means utf-8, and
	// Scan refuses text that is not valid UTF-8 rather than label it so.
	// The bytes are sent as they are: nothing is converted.
	Charset string
	// AddHeader are fields added after the others, whatever their names
	// (--add-header).
	AddHeader []HeaderField
	// Raw, when set, is a prepared RFC 5322 message sent as it is
	// (message_raw.go): Subject, To, Cc, Text, HTML and Attachments are
	// not used, From only for the envelope.
	Raw Content

	text, html *textPart
	files      []filePart
	mixed, alt string // multipart boundaries, fixed so every pass writes the same bytes
	utf8Addr   bool
	raw        *rawMessage // a prepared message, after Scan
}

// HeaderField is one header field as given with --header 'Name: value'.
type HeaderField struct{ Name, Value string }

// Content is where a text part comes from: Text, or the file named File.
type Content struct {
	Text string
	File string
}

func (c Content) empty() bool { return c.Text == "" && c.File == "" }

// Attachment is a file attached as base64 (RFC 2045 6.8). Type and Name
// default to the type of the file's extension and its base name.
type Attachment struct {
	Path, Type, Name string
}

// textPart is a text body and what scanning it found.
type textPart struct {
	src       Content
	mediaType string // "text/plain"
	eightBit  bool   // a byte above 127 (RFC 6152)
	nul       bool   // a NUL, which no 7bit or 8bit part may hold (RFC 2045 2.7)
	longLine  bool   // a line over 998 octets (RFC 5322 2.1.1)
	cte       string // chosen by Use8Bit, or "binary" by UseBinary
	canon     bool   // write its line endings as CRLF itself: the message is not normalised as a whole (UseBinary)
	csName    string // the charset parameter of a part that is not ASCII, set by label

	// UTF-8 validity, checked as the text is read: the first invalid
	// byte's offset (-1: none so far), the bytes read, and the start of a
	// character cut by the end of the last read.
	badUTF8 int64
	badByte byte
	read    int64
	partial []byte

	// What Size needs of a 7bit or 8bit part, counted by scan: the bytes
	// that are not line endings, the line endings (CRLF, LF or CR: each
	// goes out as CRLF), whether the text ends with one, and a CR seen
	// last whose LF may come next.
	textBytes, eols int64
	endsEOL, lastCR bool
	endings         uint8 // the kinds of line ending seen: eolCRLF, eolLF, eolCR
}

// filePart is an attachment with its size taken at Scan.
type filePart struct {
	Attachment
	size int64
}

// maxLine is the longest line a 7bit or 8bit part may hold, CRLF excluded
// (RFC 5322 2.1.1, RFC 2045 2.7).
const maxLine = 998

// ParseHeaderField reads --header 'Name: value'.
func ParseHeaderField(s string) (HeaderField, error) {
	name, value, ok := strings.Cut(s, ":")
	name, value = strings.TrimSpace(name), strings.TrimSpace(value)
	if !ok || name == "" {
		return HeaderField{}, fmt.Errorf("header %q: want 'Name: value'", session.SanitizeString(s))
	}
	for _, c := range []byte(name) {
		if c <= ' ' || c >= 0x7f { // RFC 5322 3.6.8: printable ASCII but ":"
			return HeaderField{}, fmt.Errorf("header name %q: only printable ASCII, no spaces", session.SanitizeString(name))
		}
	}
	if strings.ContainsAny(value, "\r\n\x00") {
		return HeaderField{}, fmt.Errorf("header %s: the value holds CR, LF or NUL", name)
	}
	return HeaderField{Name: name, Value: value}, nil // as given: X-QA stays X-QA
}

// ParseAttachment reads --attach FILE[;type=TYPE][;name=NAME].
func ParseAttachment(s string) (Attachment, error) {
	var a Attachment
	for {
		i := strings.LastIndexByte(s, ';')
		if i < 0 {
			break
		}
		key, value, ok := strings.Cut(s[i+1:], "=")
		switch strings.ToLower(strings.TrimSpace(key)) {
		case "type":
			a.Type = strings.TrimSpace(value)
		case "name":
			a.Name = strings.TrimSpace(value)
		default:
			ok = false
		}
		if !ok {
			break
		}
		s = s[:i]
	}
	a.Path = s
	if a.Path == "" {
		return a, errors.New("--attach needs a file")
	}
	if a.Type != "" {
		if _, _, err := mime.ParseMediaType(a.Type); err != nil {
			return a, fmt.Errorf("--attach %s: type %q: %w", a.Path, a.Type, err)
		}
	}
	return a, nil
}

// Scan checks the message before any connection: header fields, that every
// file can be read, and what the text parts hold, which decides their
// encoding. It reads the text files once; attachments only get a stat.
func (m *Message) Scan() error {
	if m.From == nil {
		return errors.New("the message needs a From address")
	}
	if !m.Raw.empty() {
		return m.scanRaw()
	}
	if strings.ContainsAny(m.Subject, "\r\n\x00") {
		return errors.New("the subject holds CR, LF or NUL")
	}
	if m.Date.IsZero() {
		m.Date = time.Now()
	}
	if m.MessageID == "" {
		m.MessageID = "<" + strings.ToLower(rand.Text()) + "@" + domainOf(m.From.Address) + ">"
	}
	m.mixed, m.alt = boundary(), boundary()
	m.utf8Addr = !isASCII(m.From.Address)
	for _, a := range append(append([]*mail.Address{}, m.To...), m.Cc...) {
		m.utf8Addr = m.utf8Addr || !isASCII(a.Address)
	}
	if err := m.checkHeaderText(); err != nil {
		return err
	}
	var err error
	if m.text, err = scanText(m.Text, "text/plain"); err != nil {
		return err
	}
	if !m.HTML.empty() {
		if m.html, err = scanText(m.HTML, "text/html"); err != nil {
			return err
		}
	}
	for _, p := range []*textPart{m.text, m.html} {
		if err := p.label(m.Charset); err != nil {
			return err
		}
	}
	return m.scanFiles()
}

// checkHeaderText refuses a subject or header value that is not UTF-8:
// it is encoded as utf-8 (RFC 2047), which would be a false label.
func (m *Message) checkHeaderText() error {
	if !utf8.ValidString(m.Subject) {
		return errors.New("the subject is not valid UTF-8: give it in UTF-8")
	}
	for _, f := range m.Header {
		if !utf8.ValidString(f.Value) {
			return fmt.Errorf("header %s: the value is not valid UTF-8: give it in UTF-8", f.Name)
		}
	}
	return nil
}

// label sets the charset of a text part that is not ASCII: charset, or
// utf-8 when charset is "". A part is never labelled with a charset its
// bytes cannot be in: text that is not valid UTF-8 needs another name,
// and ASCII (us-ascii) cannot hold 8-bit bytes.
func (p *textPart) label(charset string) error {
	if p == nil || !p.eightBit {
		return nil
	}
	name := strings.ToLower(charset)
	switch {
	case !validCharsetName(charset):
		return fmt.Errorf("--charset %q: not a charset name (such as iso-8859-1, windows-1252)", session.SanitizeString(charset))
	case p.badUTF8 >= 0 && (name == "" || name == "utf-8" || name == "utf8"):
		return fmt.Errorf("%s is not valid UTF-8 (byte %d is 0x%02x): if it is in another charset, such as ISO-8859-1, name it with --charset, and ehlo sends the bytes as they are under that name; or convert it to UTF-8 (iconv -f latin1 -t utf-8)",
			p.what(), p.badUTF8, p.badByte)
	case name == "us-ascii" || name == "ascii":
		return fmt.Errorf("--charset %s: %s holds bytes above 127, which US-ASCII does not have", charset, p.what())
	case name == "":
		name = "utf-8"
	}
	p.csName = name
	return nil
}

func (m *Message) scanFiles() error {
	m.files = nil
	for _, a := range m.Attachments {
		st, err := os.Stat(a.Path)
		switch {
		case err != nil:
			return FileErr("--attach", a.Path, err)
		case st.IsDir():
			return FileErr("--attach", a.Path, ErrIsDir)
		case !st.Mode().IsRegular():
			return FileErr("--attach", a.Path, errors.New("is not a regular file: an attachment's size must be known before it is sent"))
		}
		if a.Name == "" {
			a.Name = filepath.Base(a.Path)
		}
		if a.Type == "" {
			a.Type = mime.TypeByExtension(filepath.Ext(a.Path))
		}
		if a.Type == "" {
			a.Type = "application/octet-stream"
		}
		m.files = append(m.files, filePart{Attachment: a, size: st.Size()})
	}
	return nil
}

// bufSize is the size of a buffer for about n bytes of data, between 4 KiB
// and most: a small message does not go through 64 KiB buffers, each of
// which costs a page fault per 4 KiB when it is fresh (a sixth of the time
// ehlo send of 1 KB spent above the floor's, BENCHMARKS.md).
func bufSize(n int64, most int) int {
	return int(min(max(n, 4<<10), int64(most)))
}

// dataHint is about how many octets the message takes on the wire: its
// text parts as scanned, its attachments in base64, and room for a header.
func (m *Message) dataHint() int64 {
	n := int64(4 << 10)
	if m.raw != nil {
		return n + m.raw.part.size(false)
	}
	for _, p := range []*textPart{m.text, m.html} {
		if p != nil {
			n += p.size(false)
		}
	}
	for _, f := range m.files {
		n += Base64Len(f.size)
	}
	return n
}

// scanText reads a text part once to learn whether it is 7-bit, 8-bit or
// needs quoted-printable. It reads 32 KiB at a time (a smaller text through a
// buffer its size): a 100 MB body costs a few byte searches per line, not a
// call per byte.
func scanText(c Content, mediaType string) (*textPart, error) {
	p := &textPart{src: c, mediaType: mediaType, badUTF8: -1}
	r, closeFn, err := c.open()
	if err != nil {
		return nil, err
	}
	defer closeFn()
	size := int64(len(c.Text))
	if f, ok := r.(*os.File); ok {
		if st, err := f.Stat(); err == nil {
			size = st.Size()
		}
	}
	buf := make([]byte, bufSize(size, 32<<10))
	line := 0
	for {
		n, err := r.Read(buf)
		line = p.scan(buf[:n], line)
		if err == io.EOF {
			p.end()
			return p, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// scan notes what b holds; line is the length of the line b starts in, and
// the result the length of the line it ends in (CR and LF both end lines).
func (p *textPart) scan(b []byte, line int) int {
	eight, nul := classify(b)
	p.eightBit, p.nul = p.eightBit || eight, p.nul || nul
	p.checkUTF8(b, eight)
	for len(b) > 0 {
		if p.lastCR && b[0] == '\n' { // the LF of a CRLF
			p.lastCR, b, p.endings = false, b[1:], p.endings|eolCRLF
			continue
		}
		if p.lastCR {
			p.endings |= eolCR
		}
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			i = len(b)
		}
		if j := bytes.IndexByte(b[:i], '\r'); j >= 0 {
			i = j
		}
		p.textBytes += int64(i)
		if line += i; line > maxLine {
			p.longLine = true
		}
		if i == len(b) {
			p.endsEOL, p.lastCR = false, false
			break
		}
		p.eols++
		p.endsEOL, p.lastCR = true, b[i] == '\r'
		if !p.lastCR {
			p.endings |= eolLF
		}
		line, b = 0, b[i+1:]
	}
	return line
}

// The kinds of line ending a text holds.
const (
	eolCRLF uint8 = 1 << iota
	eolLF         // a bare LF
	eolCR         // a bare CR
)

// end ends the scan at the end of the text.
func (p *textPart) end() {
	if p.lastCR {
		p.endings |= eolCR
	}
	p.endUTF8()
}

// binary reports whether DATA cannot carry the text as it is: a NUL, a
// line over 998 octets, or line endings of more than one kind, which
// turning them all into CRLF would lose (a CRLF text with a bare LF or CR).
// Such a text goes in quoted-printable, or as it is with BINARYMIME
// (RFC 3030). One kind of ending alone (a Unix text's LF) is a text's line
// break, which MIME's canonical form writes as CRLF (RFC 2046 4.1.1).
func (p *textPart) binary() bool {
	return p.nul || p.longLine || p.endings&(p.endings-1) != 0
}

// checkUTF8 notes the first byte of the text that is not valid UTF-8,
// reading b, the next bytes, which hold a byte above 127 when eight is
// set. A character cut by the end of b is kept for the next call, and left
// over at the end (endUTF8) it is invalid.
func (p *textPart) checkUTF8(b []byte, eight bool) {
	start := p.read - int64(len(p.partial))
	p.read += int64(len(b))
	if p.badUTF8 >= 0 || (!eight && len(p.partial) == 0) {
		return
	}
	if len(p.partial) > 0 {
		b = append(p.partial, b...) // rare: a character across two reads
	}
	p.partial = nil
	cut := len(b)
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				cut = i
			}
			break
		}
	}
	if utf8.Valid(b[:cut]) {
		p.partial = append([]byte(nil), b[cut:]...)
		return
	}
	for i := 0; i < cut; {
		r, n := utf8.DecodeRune(b[i:cut])
		if r == utf8.RuneError && n <= 1 {
			p.badUTF8, p.badByte = start+int64(i), b[i]
			return
		}
		i += n
	}
}

// endUTF8 ends the check at the end of the text: a character cut short
// there is invalid.
func (p *textPart) endUTF8() {
	if p.badUTF8 < 0 && len(p.partial) > 0 {
		p.badUTF8, p.badByte = p.read-int64(len(p.partial)), p.partial[0]
	}
	p.partial = nil
}

// size is how many octets a 7bit or 8bit part takes on the wire, without
// dot-stuffing: every line ending as CRLF, and, when last, the CRLF that
// session.DataWriter adds to an unterminated last line.
func (p *textPart) size(last bool) int64 {
	if p.cte == "binary" {
		return p.read // as it is
	}
	n := p.textBytes + 2*p.eols
	if last && !p.endsEOL && p.textBytes > 0 {
		n += 2
	}
	return n
}

// what names the part in a message: "the body" or "the HTML part".
func (p *textPart) what() string {
	if p.mediaType == "text/html" {
		return "the HTML part"
	}
	return "the body"
}

// validCharsetName reports whether s can be a charset name (RFC 2978 2.3:
// mime-charset-chars); "" is valid and means utf-8.
func validCharsetName(s string) bool {
	for _, c := range []byte(s) {
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'+-^_`{}~", c) >= 0
		if !ok {
			return false
		}
	}
	return len(s) <= 40
}

// Eight bytes at a time: a word of each byte, and the bits that mark
// bytes found (the high bit of each).
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// zeros marks the zero bytes of w, and maybe bytes above a zero byte: it is
// not zero exactly when w holds a zero byte.
func zeros(w uint64) uint64 { return (w - ones) &^ w & highs }

// classify reports whether b holds a byte above 127 and a NUL, 32 bytes at
// a time.
func classify(b []byte) (eight, nul bool) {
	var high, zero uint64
	for ; len(b) >= 32; b = b[32:] {
		w0, w1 := binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:])
		w2, w3 := binary.LittleEndian.Uint64(b[16:]), binary.LittleEndian.Uint64(b[24:])
		high |= (w0 | w1 | w2 | w3) & highs
		zero |= zeros(w0) | zeros(w1) | zeros(w2) | zeros(w3)
	}
	for _, c := range b {
		eight, nul = eight || c >= 0x80, nul || c == 0
	}
	return eight || high != 0, nul || zero != 0
}

func (c Content) open() (io.Reader, func(), error) {
	if c.File == "" {
		return strings.NewReader(c.Text), func() {}, nil
	}
	f, err := os.Open(c.File)
	if err != nil {
		return nil, nil, err
	}
	return f, func() { f.Close() }, nil
}

// Use8Bit chooses each text part's transfer encoding (RFC 2045 6): 7bit
// when it is ASCII with short lines, 8bit when it is not ASCII and the
// server offers 8BITMIME (RFC 6152), quoted-printable otherwise.
func (m *Message) Use8Bit(ok bool) {
	if m.raw != nil {
		return // a prepared message goes as it is
	}
	for _, p := range []*textPart{m.text, m.html} {
		if p == nil {
			continue
		}
		switch {
		case p.longLine || p.nul || (p.eightBit && !ok):
			p.cte = "quoted-printable"
		case p.eightBit:
			p.cte = "8bit"
		default:
			p.cte = "7bit"
		}
	}
}

// NeedsBinary reports whether a text part holds what DATA cannot carry as
// it is (a NUL, a line over 998 octets, line endings of more than one
// kind): with BINARYMIME it can go as it is (UseBinary); otherwise it goes
// in quoted-printable.
func (m *Message) NeedsBinary() bool {
	for _, p := range []*textPart{m.text, m.html} {
		if p != nil && p.binary() {
			return true
		}
	}
	return false
}

// BinaryReason says what a text part holds that DATA cannot carry as it
// is, as "a NUL and mixed line endings"; "" when nothing.
func (m *Message) BinaryReason() string {
	var why []string
	add := func(ok bool, what string) {
		if ok && !slices.Contains(why, what) {
			why = append(why, what)
		}
	}
	for _, p := range []*textPart{m.text, m.html} {
		if p != nil {
			add(p.nul, "a NUL")
			add(p.longLine, "a line over 998 octets")
			add(p.endings&(p.endings-1) != 0, "mixed line endings")
		}
	}
	if len(why) > 1 {
		return strings.Join(why[:len(why)-1], ", ") + " and " + why[len(why)-1]
	}
	return strings.Join(why, "")
}

// UseBinary, called after Use8Bit for a server that offers BINARYMIME and
// CHUNKING (RFC 3030), sends each text part that needs it as it is, with
// Content-Transfer-Encoding: binary, and MAIL says BODY=BINARYMIME. The
// message then must go with BDAT, written by WriteTo as it is: the other
// text parts get their CRLF line endings one by one, so that the binary
// part's bytes are left alone.
func (m *Message) UseBinary() {
	if !m.NeedsBinary() {
		return
	}
	for _, p := range []*textPart{m.text, m.html} {
		switch {
		case p == nil:
		case p.binary():
			p.cte = "binary"
		default:
			p.canon = true
		}
	}
}

// Binary reports whether a part goes as binary (UseBinary).
func (m *Message) Binary() bool {
	for _, p := range []*textPart{m.text, m.html} {
		if p != nil && p.cte == "binary" {
			return true
		}
	}
	return false
}

// EightBit reports whether the message goes with 8-bit content: a part in
// 8bit or an internationalized address; MAIL then says BODY=8BITMIME.
func (m *Message) EightBit() bool {
	if m.raw != nil {
		return m.raw.part.eightBit
	}
	for _, p := range []*textPart{m.text, m.html} {
		if p != nil && p.cte == "8bit" {
			return true
		}
	}
	return m.utf8Addr
}

// NeedsSMTPUTF8 reports whether an address in the header is not ASCII
// (RFC 6531, RFC 6532): only a server offering SMTPUTF8 may take it.
func (m *Message) NeedsSMTPUTF8() bool { return m.utf8Addr }

// Size is the message's size as RFC 1870 counts it: every octet with CRLF
// line endings, without the dot-stuffing and the final ".". It writes the
// message through session.DataWriter into a counter, skipping the
// attachments, whose base64 length is arithmetic.
func (m *Message) Size() (int64, error) {
	if m.Binary() {
		return m.binarySize()
	}
	var cw counter
	dw := session.NewDataWriter(&cw)
	bw := bufio.NewWriterSize(dw, bufSize(m.dataHint(), 32<<10))
	skip := func(n int64) error {
		if err := bw.Flush(); err != nil {
			return err
		}
		cw.n += n // base64 lines start at a line start, hold no dot and end in CRLF
		return nil
	}
	if err := m.write(bw, skip); err != nil {
		return 0, err
	}
	if err := bw.Flush(); err != nil {
		return 0, err
	}
	if err := dw.Close(); err != nil {
		return 0, err
	}
	return cw.n - int64(dw.Stuffed()) - int64(len(".\r\n")), nil
}

// binarySize is Size for a message with a binary part, which is written as
// it is: its octets as WriteTo writes them, the text parts and the
// attachments counted without reading them.
func (m *Message) binarySize() (int64, error) {
	var cw counter
	err := m.write(&cw, func(n int64) error {
		cw.n += n
		return nil
	})
	return cw.n, err
}

// WriteTo writes the message with CRLF line endings; send it through
// session.DataWriter for the dot-stuffing. With a binary part (UseBinary),
// it writes what BDAT sends: that part as it is, and every other line with
// CRLF; send it as it is.
func (m *Message) WriteTo(w io.Writer) (int64, error) {
	cw := &counter{w: w}
	err := m.write(cw, nil)
	return cw.n, err
}

// write writes the message. With skip set, attachments are not read:
// skip is told the length their encoding would have.
func (m *Message) write(w io.Writer, skip func(int64) error) error {
	if m.raw != nil {
		return m.writeRaw(w)
	}
	if m.text == nil {
		return errors.New("client: Message.Scan was not called")
	}
	if err := m.writeHeader(w); err != nil {
		return err
	}
	if len(m.files) == 0 {
		return m.writeBody(w, skip)
	}
	mw := multipart.NewWriter(w)
	if err := mw.SetBoundary(m.mixed); err != nil {
		return err
	}
	if m.hasBody() {
		if err := m.writeBodyPart(mw); err != nil {
			return err
		}
	}
	for _, f := range m.files {
		if err := writeFilePart(mw, f, skip); err != nil {
			return err
		}
	}
	return mw.Close()
}

func (m *Message) hasBody() bool { return !m.Text.empty() || m.html != nil }

// writeHeader writes the top-level fields: Date, From, To, Cc, Subject,
// Message-ID, MIME-Version (RFC 5322 3.6, RFC 2045 4), then the extra
// fields, and the content fields of the top part.
func (m *Message) writeHeader(w io.Writer) error {
	fields := []HeaderField{
		{"Date", m.Date.Format(time.RFC1123Z)},
		{"From", m.From.String()},
	}
	if len(m.To) > 0 {
		fields = append(fields, HeaderField{"To", addressList(m.To)})
	}
	if len(m.Cc) > 0 {
		fields = append(fields, HeaderField{"Cc", addressList(m.Cc)})
	}
	fields = append(fields,
		HeaderField{"Subject", mime.QEncoding.Encode("utf-8", m.Subject)},
		HeaderField{"Message-ID", m.MessageID},
		HeaderField{"MIME-Version", "1.0"})
	fields = mergeFields(fields, m.Header)
	for _, f := range m.AddHeader { // --add-header: added, whatever the name
		f.Value = encodeField(f)
		fields = append(fields, f)
	}
	fields = append(fields, m.contentFields()...)
	for _, f := range fields {
		if err := writeField(w, f); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, "\r\n")
	return err
}

// contentFields are the top part's Content-Type and, for a single text
// part, its Content-Transfer-Encoding.
func (m *Message) contentFields() []HeaderField {
	switch {
	case len(m.files) > 0:
		return []HeaderField{{"Content-Type", `multipart/mixed; boundary="` + m.mixed + `"`}}
	case m.html != nil && !m.Text.empty():
		return []HeaderField{{"Content-Type", `multipart/alternative; boundary="` + m.alt + `"`}}
	}
	p := m.single()
	return []HeaderField{{"Content-Type", p.contentType()}, {"Content-Transfer-Encoding", p.cte}}
}

// single is the only text part of a message without alternatives.
func (m *Message) single() *textPart {
	if m.html != nil && m.Text.empty() {
		return m.html
	}
	return m.text
}

// writeBody writes the body of a message without attachments. With skip
// set, a 7bit or 8bit text is not read again: skip is told its size.
func (m *Message) writeBody(w io.Writer, skip func(int64) error) error {
	if m.html == nil || m.Text.empty() {
		if p := m.single(); skip != nil && p.cte != "quoted-printable" {
			return skip(p.size(true))
		}
		return m.single().writeContent(w)
	}
	mw := multipart.NewWriter(w)
	if err := mw.SetBoundary(m.alt); err != nil {
		return err
	}
	if err := m.writeAlternatives(mw); err != nil {
		return err
	}
	return mw.Close()
}

// writeBodyPart writes the body as the first part of multipart/mixed: a
// text part, or multipart/alternative (RFC 2046 5.1.4) for text and HTML.
func (m *Message) writeBodyPart(mw *multipart.Writer) error {
	if m.html == nil || m.Text.empty() {
		return m.single().writePart(mw)
	}
	pw, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {`multipart/alternative; boundary="` + m.alt + `"`}})
	if err != nil {
		return err
	}
	inner := multipart.NewWriter(pw)
	if err := inner.SetBoundary(m.alt); err != nil {
		return err
	}
	if err := m.writeAlternatives(inner); err != nil {
		return err
	}
	return inner.Close()
}

// writeAlternatives writes the plain text first, the preferred HTML last
// (RFC 2046 5.1.4).
func (m *Message) writeAlternatives(mw *multipart.Writer) error {
	if err := m.text.writePart(mw); err != nil {
		return err
	}
	return m.html.writePart(mw)
}

func (p *textPart) contentType() string {
	return mime.FormatMediaType(p.mediaType, map[string]string{"charset": p.charset()})
}

func (p *textPart) charset() string {
	if p.eightBit {
		return p.csName
	}
	return "us-ascii"
}

func (p *textPart) writePart(mw *multipart.Writer) error {
	pw, err := mw.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {p.contentType()},
		"Content-Transfer-Encoding": {p.cte},
	})
	if err != nil {
		return err
	}
	return p.writeContent(pw)
}

// writeContent writes the text in its transfer encoding. 7bit and 8bit text
// keeps its line endings, which session.DataWriter turns into CRLF.
func (p *textPart) writeContent(w io.Writer) error {
	r, closeFn, err := p.src.open()
	if err != nil {
		return err
	}
	defer closeFn()
	if p.canon { // beside a binary part: CRLF here, not over the whole message
		w = session.NewCRLFWriter(w)
	}
	if p.cte != "quoted-printable" {
		_, err := io.Copy(w, r)
		return err
	}
	qw := quotedprintable.NewWriter(w)
	if _, err := io.Copy(qw, r); err != nil {
		return err
	}
	return qw.Close()
}

// writeFilePart writes one attachment in base64, 76 characters a line
// (RFC 2045 6.8), reading the file as it goes.
func writeFilePart(mw *multipart.Writer, f filePart, skip func(int64) error) error {
	name := mime.FormatMediaType("attachment", map[string]string{"filename": f.Name})
	mediaType, params, err := mime.ParseMediaType(f.Type)
	if err != nil {
		mediaType, params = "application/octet-stream", map[string]string{}
	}
	params["name"] = f.Name
	ctype := mime.FormatMediaType(mediaType, params)
	pw, err := mw.CreatePart(textproto.MIMEHeader{
		"Content-Type":              {ctype},
		"Content-Disposition":       {name},
		"Content-Transfer-Encoding": {"base64"},
	})
	if err != nil {
		return err
	}
	if skip != nil {
		return skip(Base64Len(f.size))
	}
	file, err := os.Open(f.Path)
	if err != nil {
		return fmt.Errorf("attachment: %w", err)
	}
	defer file.Close()
	lw := &lineWrapper{w: pw}
	enc := base64.NewEncoder(base64.StdEncoding, lw)
	n, err := io.Copy(enc, io.LimitReader(file, f.size))
	if err != nil {
		return fmt.Errorf("attachment %s: %w", f.Path, err)
	}
	if n != f.size {
		return fmt.Errorf("attachment %s: the file shrank from %d to %d bytes while being sent", f.Path, f.size, n)
	}
	if err := enc.Close(); err != nil {
		return err
	}
	return lw.Close()
}

// Base64Len is the length of n bytes in base64 cut into lines of 76
// characters, each ending in CRLF (RFC 2045 6.8).
func Base64Len(n int64) int64 {
	chars := (n + 2) / 3 * 4
	lines := (chars + base64Line - 1) / base64Line
	return chars + 2*lines
}

const base64Line = 76

// lineWrapper cuts base64 into lines of 76 characters ending in CRLF.
type lineWrapper struct {
	w   io.Writer
	col int
	buf []byte
}

func (l *lineWrapper) Write(p []byte) (int, error) {
	n := len(p)
	l.buf = l.buf[:0]
	for len(p) > 0 {
		k := min(base64Line-l.col, len(p))
		l.buf = append(l.buf, p[:k]...)
		l.col += k
		p = p[k:]
		if l.col == base64Line {
			l.buf = append(l.buf, '\r', '\n')
			l.col = 0
		}
	}
	_, err := l.w.Write(l.buf)
	return n, err
}

// Close ends the last line.
func (l *lineWrapper) Close() error {
	if l.col == 0 {
		return nil
	}
	l.col = 0
	_, err := io.WriteString(l.w, "\r\n")
	return err
}

// counter counts the bytes written through it; w may be nil.
type counter struct {
	w io.Writer
	n int64
}

func (c *counter) Write(p []byte) (int, error) {
	if c.w == nil {
		c.n += int64(len(p))
		return len(p), nil
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// addressFields are the fields whose values are address lists
// (RFC 5322 3.6.2, 3.6.3): an extra one is parsed and written again, so
// that a non-ASCII display name is encoded (RFC 2047 5).
var addressFields = map[string]bool{"From": true, "Sender": true, "Reply-To": true, "To": true, "Cc": true, "Bcc": true}

// mergeFields puts each extra field in place of a generated one of the same
// name, or at the end.
func mergeFields(fields, extra []HeaderField) []HeaderField {
	for _, e := range extra {
		e.Value = encodeField(e)
		replaced := false
		for i := range fields {
			if strings.EqualFold(fields[i].Name, e.Name) && !replaced {
				fields[i], replaced = e, true
			}
		}
		if !replaced {
			fields = append(fields, e)
		}
	}
	return fields
}

// encodeField encodes a non-ASCII value given with --header: addresses
// through net/mail, anything else as an RFC 2047 encoded-word.
func encodeField(f HeaderField) string {
	if isASCII(f.Value) {
		return f.Value
	}
	if addressFields[textproto.CanonicalMIMEHeaderKey(f.Name)] {
		if list, err := mail.ParseAddressList(f.Value); err == nil {
			return addressList(list)
		}
	}
	return mime.QEncoding.Encode("utf-8", f.Value)
}

func addressList(list []*mail.Address) string {
	parts := make([]string, len(list))
	for i, a := range list {
		parts[i] = a.String()
	}
	return strings.Join(parts, ", ")
}

// writeField writes "Name: value" folded at spaces so that lines stay
// within 78 characters where the value allows (RFC 5322 2.1.1, 2.2.3).
func writeField(w io.Writer, f HeaderField) error {
	var b strings.Builder
	b.WriteString(f.Name + ":")
	col := b.Len()
	for i, word := range strings.Split(f.Value, " ") {
		if i > 0 && col+1+len(word) > 78 && col > len(f.Name)+1 {
			b.WriteString("\r\n")
			col = 0
		}
		b.WriteString(" " + word)
		col += 1 + len(word)
	}
	b.WriteString("\r\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 && i < len(addr)-1 {
		return addr[i+1:]
	}
	return DefaultHelo
}

// boundary is a MIME boundary no content will hold by chance (RFC 2046
// 5.1.1): 26 random characters.
func boundary() string { return "ehlo-" + rand.Text() }
