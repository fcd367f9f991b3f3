package client

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ehlo-sh/ehlo/session"
)

func TestBase64LenMatchesTheEncoder(t *testing.T) {
	for _, n := range []int64{0, 1, 2, 3, 56, 57, 58, 113, 114, 115, 1000, 4096, 65537} {
		var out bytes.Buffer
		lw := &lineWrapper{w: &out}
		enc := base64.NewEncoder(base64.StdEncoding, lw)
		enc.Write(bytes.Repeat([]byte{0xa5}, int(n)))
		enc.Close()
		lw.Close()
		if got := Base64Len(n); got != int64(out.Len()) {
			t.Errorf("Base64Len(%d) = %d, encoder wrote %d", n, got, out.Len())
		}
		for i, line := range strings.Split(strings.TrimSuffix(out.String(), "\r\n"), "\r\n") {
			if len(line) > 76 {
				t.Fatalf("n=%d: line %d has %d characters", n, i, len(line))
			}
		}
	}
}

// sized scans m, chooses its encodings as a server offering 8BITMIME or not
// would have them, and returns its size.
func sized(t *testing.T, m *Message, eightBit bool) int64 {
	t.Helper()
	if err := m.Scan(); err != nil {
		t.Fatal(err)
	}
	m.Use8Bit(eightBit)
	size, err := m.Size()
	if err != nil {
		t.Fatal(err)
	}
	return size
}

// composed writes a scanned message as it goes on the wire (through
// session.DataWriter) and returns the wire bytes and the message as the
// server stores it (stuffing undone, final dot removed).
func composed(t *testing.T, m *Message) (wireBytes, stored []byte) {
	t.Helper()
	var out bytes.Buffer
	dw := session.NewDataWriter(&out)
	if _, err := m.WriteTo(dw); err != nil {
		t.Fatal(err)
	}
	dw.Close()
	wireBytes = out.Bytes()
	body := strings.TrimSuffix(string(wireBytes), ".\r\n")
	body = strings.ReplaceAll("\r\n"+body, "\r\n..", "\r\n.")[2:]
	return wireBytes, []byte(body)
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestMessageMIME(t *testing.T) {
	blob := make([]byte, 10000)
	for i := range blob {
		blob[i] = byte(i * 7)
	}
	blobPath := writeFile(t, "blob.bin", blob)
	csvPath := writeFile(t, "data.csv", []byte("a,b\n1,2\n"))
	htmlPath := writeFile(t, "m.html", []byte("<p>Grüße</p>\n"))
	m := &Message{
		From:    &mail.Address{Name: "Zoë", Address: "zoe@example.org"},
		To:      []*mail.Address{{Address: "bob@example.org"}},
		Cc:      []*mail.Address{{Name: "Carol C.", Address: "carol@example.org"}},
		Subject: "Grüße aus Köln",
		Header:  []HeaderField{{Name: "X-Run", Value: "42"}, {Name: "Subject", Value: "überschrieben"}},
		Text:    Content{Text: "Héllo\n.dot line\nbare LF, then CR\rdone"},
		HTML:    Content{File: htmlPath},
		Attachments: []Attachment{
			{Path: blobPath},
			{Path: csvPath, Type: "text/csv", Name: "données.csv"},
		},
		Date: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	}
	size := sized(t, m, false)
	wireBytes, stored := composed(t, m)
	if int64(len(stored)) != size {
		t.Errorf("Size = %d, the server stores %d bytes", size, len(stored))
	}
	if bytes.Contains(stored, []byte("\n")) && bytes.Count(stored, []byte("\n")) != bytes.Count(stored, []byte("\r\n")) {
		t.Error("a bare LF went out")
	}
	for _, b := range wireBytes {
		if b >= 0x80 {
			t.Fatal("8-bit byte sent without 8BITMIME")
		}
	}
	msg, err := mail.ReadMessage(bytes.NewReader(stored))
	if err != nil {
		t.Fatal(err)
	}
	dec := new(mime.WordDecoder)
	subject, _ := dec.DecodeHeader(msg.Header.Get("Subject"))
	from, _ := msg.Header.AddressList("From")
	cc, _ := msg.Header.AddressList("Cc")
	switch {
	case subject != "überschrieben":
		t.Errorf("Subject %q: --header should replace it", subject)
	case len(from) != 1 || from[0].Name != "Zoë":
		t.Errorf("From %v", from)
	case len(cc) != 1 || cc[0].Name != "Carol C.":
		t.Errorf("Cc %v", cc)
	case msg.Header.Get("X-Run") != "42" || msg.Header.Get("MIME-Version") != "1.0":
		t.Errorf("header %v", msg.Header)
	case msg.Header.Get("Date") != "Fri, 02 Jan 2026 03:04:05 +0000":
		t.Errorf("Date %q", msg.Header.Get("Date"))
	case !strings.HasPrefix(msg.Header.Get("Message-ID"), "<") || !strings.HasSuffix(msg.Header.Get("Message-ID"), "@example.org>"):
		t.Errorf("Message-ID %q", msg.Header.Get("Message-ID"))
	}
	parts := mimeParts(t, msg.Header.Get("Content-Type"), msg.Body)
	want := []string{"text/plain", "text/html", "application/octet-stream", "text/csv"}
	if len(parts) != len(want) {
		t.Fatalf("parts %v", parts)
	}
	for i, p := range parts {
		if p.mediaType != want[i] {
			t.Errorf("part %d is %s, want %s", i, p.mediaType, want[i])
		}
	}
	if got := string(parts[0].data); got != "Héllo\r\n.dot line\r\nbare LF, then CR\r\ndone" {
		t.Errorf("text %q", got)
	}
	if string(parts[1].data) != "<p>Grüße</p>\r\n" {
		t.Errorf("html %q", parts[1].data)
	}
	if !bytes.Equal(parts[2].data, blob) || parts[2].filename != "blob.bin" {
		t.Errorf("attachment differs (%d bytes, %q)", len(parts[2].data), parts[2].filename)
	}
	if string(parts[3].data) != "a,b\n1,2\n" || parts[3].filename != "données.csv" {
		t.Errorf("csv %q %q", parts[3].data, parts[3].filename)
	}
}

type mimePart struct {
	mediaType, filename string
	data                []byte
}

// mimeParts flattens a MIME tree into its leaves, decoded.
func mimeParts(t *testing.T, ctype string, body io.Reader) []mimePart {
	t.Helper()
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(mt, "multipart/") {
		data, _ := io.ReadAll(body)
		return []mimePart{{mediaType: mt, data: data}}
	}
	var out []mimePart
	mr := multipart.NewReader(body, params["boundary"])
	for {
		p, err := mr.NextPart() // decodes quoted-printable
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		var r io.Reader = p
		if p.Header.Get("Content-Transfer-Encoding") == "base64" {
			r = base64.NewDecoder(base64.StdEncoding, p)
		}
		if strings.HasPrefix(p.Header.Get("Content-Type"), "multipart/") {
			out = append(out, mimeParts(t, p.Header.Get("Content-Type"), r)...)
			continue
		}
		data, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		pt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		out = append(out, mimePart{mediaType: pt, filename: p.FileName(), data: data})
	}
}

func TestMessageEncodings(t *testing.T) {
	long := strings.Repeat("x", 1200) + "\n"
	tests := []struct {
		text      string
		allow8bit bool
		cte       string
		eightBit  bool
	}{
		{"plain ascii\n", true, "7bit", false},
		{"Grüße\n", true, "8bit", true},
		{"Grüße\n", false, "quoted-printable", false},
		{long, true, "quoted-printable", false},
		{"nul\x00byte\n", true, "quoted-printable", false},
	}
	for _, tt := range tests {
		m := &Message{From: &mail.Address{Address: "a@example.org"}, Text: Content{Text: tt.text}}
		if err := m.Scan(); err != nil {
			t.Fatal(err)
		}
		m.Use8Bit(tt.allow8bit)
		_, stored := composed(t, m)
		msg, err := mail.ReadMessage(bytes.NewReader(stored))
		if err != nil {
			t.Fatal(err)
		}
		if got := msg.Header.Get("Content-Transfer-Encoding"); got != tt.cte || m.EightBit() != tt.eightBit {
			t.Errorf("%.20q (8BITMIME %v): %s, 8-bit %v; want %s, %v", tt.text, tt.allow8bit, got, m.EightBit(), tt.cte, tt.eightBit)
		}
		size, _ := m.Size()
		if size != int64(len(stored)) {
			t.Errorf("%.20q: Size %d, stored %d", tt.text, size, len(stored))
		}
	}
}

func TestMessageInternationalAddressNeedsSMTPUTF8(t *testing.T) {
	m := &Message{From: &mail.Address{Address: "zoë@exämple.org"}, Text: Content{Text: "x"}}
	if err := m.Scan(); err != nil {
		t.Fatal(err)
	}
	if !m.NeedsSMTPUTF8() {
		t.Error("a non-ASCII address needs SMTPUTF8")
	}
}

func TestParseHeaderField(t *testing.T) {
	// the name as given: X-QA is not rewritten X-Qa
	for in, want := range map[string]HeaderField{"x-mailer:  ehlo ": {"x-mailer", "ehlo"}, "X-QA: MixedCase": {"X-QA", "MixedCase"}} {
		if f, err := ParseHeaderField(in); err != nil || f != want {
			t.Errorf("%q: %+v %v, want %+v", in, f, err, want)
		}
	}
	for _, bad := range []string{"no colon", ": empty name", "Bad Name: v", "X-A: one\r\nBcc: evil@example.org"} {
		if _, err := ParseHeaderField(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseAttachment(t *testing.T) {
	tests := []struct {
		in   string
		want Attachment
	}{
		{"a.pdf", Attachment{Path: "a.pdf"}},
		{"a.csv;type=text/csv", Attachment{Path: "a.csv", Type: "text/csv"}},
		{"a.csv;type=text/csv;name=b.csv", Attachment{Path: "a.csv", Type: "text/csv", Name: "b.csv"}},
		{"odd;name.txt", Attachment{Path: "odd;name.txt"}},
	}
	for _, tt := range tests {
		if got, err := ParseAttachment(tt.in); err != nil || got != tt.want {
			t.Errorf("%q: %+v %v", tt.in, got, err)
		}
	}
	if _, err := ParseAttachment("a;type=not a type"); err == nil {
		t.Error("bad type accepted")
	}
}

func TestMessageSubjectWithNewlineRefused(t *testing.T) {
	m := &Message{From: &mail.Address{Address: "a@example.org"}, Subject: "hi\r\nBcc: x@example.org"}
	if err := m.Scan(); err == nil {
		t.Error("a subject with CRLF was accepted")
	}
}

// TestSmallMessageSmallBuffers: scanning and sizing a 1 KB message reads and
// counts it through buffers its size, not through 32 KiB ones, whose fresh
// pages a short-lived ehlo send pays for in page faults.
func TestSmallMessageSmallBuffers(t *testing.T) {
	body := filepath.Join(t.TempDir(), "body")
	if err := os.WriteFile(body, bytes.Repeat([]byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef012345678901\r\n"), 13), 0o600); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	m := &Message{From: &mail.Address{Address: "a@example.org"}, To: []*mail.Address{{Address: "b@example.org"}},
		Subject: "small", Text: Content{File: body}}
	size := sized(t, m, true)
	runtime.ReadMemStats(&after)
	if size < 1000 {
		t.Fatalf("size %d, want the 1 KB body and a header", size)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 24<<10 {
		t.Errorf("scanning and sizing a %d-byte message allocated %d bytes, want under 24 KiB", size, got)
	}
}

// TestMessageCharset: text that is not valid UTF-8 is never labelled
// utf-8. Without --charset it is refused, naming the byte; with one it
// goes as it is, under that name.
func TestMessageCharset(t *testing.T) {
	latin1 := "Gr\xfc\xdfe aus K\xf6ln\n"
	tests := []struct {
		text, charset string
		wantErr       string // "" for none
		wantType      string
	}{
		{latin1, "", "byte 2 is 0xfc", ""},
		{latin1, "UTF-8", "not valid UTF-8", ""},
		{latin1, "iso-8859-1", "", "text/plain; charset=iso-8859-1"},
		{latin1, "us-ascii", "US-ASCII", ""},
		{latin1, "latin 1", "not a charset name", ""},
		{"Grüße\n", "", "", "text/plain; charset=utf-8"},
		{"plain\n", "iso-8859-1", "", "text/plain; charset=us-ascii"},
		{strings.Repeat("x", 40) + "\xe2\x82", "", "byte 40 is 0xe2", ""}, // cut short at the end
	}
	for _, tt := range tests {
		m := &Message{From: &mail.Address{Address: "a@example.org"}, Text: Content{Text: tt.text}, Charset: tt.charset}
		err := m.Scan()
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%q --charset %q: %v, want an error with %q", tt.text, tt.charset, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q --charset %q: %v", tt.text, tt.charset, err)
			continue
		}
		m.Use8Bit(true)
		_, stored := composed(t, m)
		msg, err := mail.ReadMessage(bytes.NewReader(stored))
		if err != nil {
			t.Fatal(err)
		}
		if got := msg.Header.Get("Content-Type"); got != tt.wantType {
			t.Errorf("%q --charset %q: Content-Type %q, want %q", tt.text, tt.charset, got, tt.wantType)
		}
		if body, _ := io.ReadAll(msg.Body); !bytes.Equal(body, []byte(strings.ReplaceAll(tt.text, "\n", "\r\n"))) {
			t.Errorf("%q: the body went as %q, not as it is", tt.text, body)
		}
	}
	for _, m := range []*Message{
		{From: &mail.Address{Address: "a@example.org"}, Subject: "caf\xe9"},
		{From: &mail.Address{Address: "a@example.org"}, Header: []HeaderField{{"X-Note", "caf\xe9"}}},
	} {
		if err := m.Scan(); err == nil || !strings.Contains(err.Error(), "not valid UTF-8") {
			t.Errorf("a header that is not UTF-8: %v", err)
		}
	}
}
