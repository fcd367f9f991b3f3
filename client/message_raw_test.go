package client

import (
	"bytes"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ehlo-sh/ehlo/session"
)

// onWire is what DATA carries of m: WriteTo through session.DataWriter,
// the final "." included.
func onWire(t *testing.T, m *Message) string {
	t.Helper()
	var b bytes.Buffer
	dw := session.NewDataWriter(&b)
	if _, err := m.WriteTo(dw); err != nil {
		t.Fatal(err)
	}
	if err := dw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func prepared(t *testing.T, text string, replace, add []HeaderField) *Message {
	t.Helper()
	path := filepath.Join(t.TempDir(), "msg.eml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	m := &Message{From: &mail.Address{Address: "a@example.org"}, Raw: Content{File: path}, Header: replace, AddHeader: add}
	if err := m.Scan(); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestPreparedMessageOnTheWire: the file's bytes go as they are but for
// line endings (CRLF, a bare LF or CR included) and dot-stuffing; an
// end-of-data sequence inside the file is stuffed, so the first CRLF.CRLF
// on the wire is the real end (SAFETY.md, SMTP smuggling); Size counts
// what goes without the stuffing and the final dot (RFC 1870).
func TestPreparedMessageOnTheWire(t *testing.T) {
	text := "From: <a@example.org>\nSubject: hi\r\n\nline one\r\n.\r\nMAIL FROM:<evil@example.org>\nbare\rcr\n..two\nno end"
	m := prepared(t, text, nil, nil)
	got := onWire(t, m)
	want := "From: <a@example.org>\r\nSubject: hi\r\n\r\nline one\r\n..\r\nMAIL FROM:<evil@example.org>\r\nbare\r\ncr\r\n...two\r\nno end\r\n.\r\n"
	if got != want {
		t.Errorf("on the wire:\n%q\nwant\n%q", got, want)
	}
	if strings.Index(got, "\r\n.\r\n") != len(got)-5 {
		t.Errorf("an end of data before the end: %q", got)
	}
	size, err := m.Size()
	if err != nil || size != int64(len(want)-len(".\r\n")-2) { // two lines stuffed
		t.Errorf("Size %d %v, want %d", size, err, len(want)-3-2)
	}
	notes := strings.Join(m.RawNotes(true), "\n")
	if !strings.Contains(notes, "bare LF or CR line endings") {
		t.Errorf("notes %q", notes)
	}
}

// TestPreparedMessageHeaderEdits: --header replaces the file's field of
// that name (a folded one whole; later duplicates go) or adds it; --add-
// header adds after the file's fields whatever the name; the body is not
// touched, and a file that is all header gets the empty line its new
// fields need.
func TestPreparedMessageHeaderEdits(t *testing.T) {
	text := "Subject: old\n folded part\nX-Keep: 1\nsubject: duplicate\n\nbody\nSubject: in the body\n"
	m := prepared(t, text, []HeaderField{{"Subject", "new"}, {"X-New", "added by --header"}}, []HeaderField{{"X-Keep", "2"}})
	want := "Subject: new\r\nX-Keep: 1\r\nX-New: added by --header\r\nX-Keep: 2\r\n\r\nbody\r\nSubject: in the body\r\n.\r\n"
	if got := onWire(t, m); got != want {
		t.Errorf("edited:\n%q\nwant\n%q", got, want)
	}
	m = prepared(t, "Subject: only a header", nil, []HeaderField{{"X-Added", "yes"}})
	if got, want := onWire(t, m), "Subject: only a header\r\nX-Added: yes\r\n\r\n.\r\n"; got != want {
		t.Errorf("all header:\n%q\nwant\n%q", got, want)
	}
	m = prepared(t, "Subject: untouched\n\nbody\n", nil, nil)
	if got, want := onWire(t, m), "Subject: untouched\r\n\r\nbody\r\n.\r\n"; got != want {
		t.Errorf("no edits: %q", got)
	}
}

// TestPreparedMessageEightBit: 8-bit octets set BODY=8BITMIME's flag and,
// without 8BITMIME, a note; nothing is re-encoded.
func TestPreparedMessageEightBit(t *testing.T) {
	m := prepared(t, "Subject: Grüße\n\nÄpfel\n", nil, nil)
	m.Use8Bit(false)
	if !m.EightBit() || m.NeedsBinary() || !strings.Contains(onWire(t, m), "Äpfel") {
		t.Errorf("eight=%v binary=%v", m.EightBit(), m.NeedsBinary())
	}
	if notes := strings.Join(m.RawNotes(false), " "); !strings.Contains(notes, "does not offer 8BITMIME") {
		t.Errorf("notes %q", notes)
	}
}

// TestFillTemplate: swaks's tokens are filled in; other text, an unknown
// token included, stays.
func TestFillTemplate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.eml")
	if err := os.WriteFile(path, []byte("From: %FROM_ADDRESS%\nTo: %TO_ADDRESS%\nDate: %DATE%\nMessage-ID: %MESSAGEID%\n\n50% off %UNKNOWN%%NEWLINE%"), 0o600); err != nil {
		t.Fatal(err)
	}
	date := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	got, err := FillTemplate(path, TemplateVars{From: "a@example.org", To: []string{"b@example.org", "c@example.org"}, Date: date})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"From: a@example.org\n", "To: b@example.org, c@example.org\n", "Date: Mon, 07 Dec 2026 10:00:00 +0000\n",
		"@example.org>\n", "\n50% off %UNKNOWN%\r\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("filled template lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "%MESSAGEID%") {
		t.Errorf("token left: %s", got)
	}
}

// TestDSNParameters: RFC 3461's keywords are checked and upper-cased;
// ENVID and ORCPT go in xtext.
func TestDSNParameters(t *testing.T) {
	d := DSN{Notify: "success, delay", Ret: "hdrs", EnvID: "a+b=c d", ORcpt: true}
	if err := d.Check(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(d.mailParams(), " "); got != "RET=HDRS ENVID=a+2Bb+3Dc+20d" {
		t.Errorf("MAIL params %q", got)
	}
	if got := strings.Join(d.rcptParams("bob+x@example.org"), " "); got != "NOTIFY=SUCCESS,DELAY ORCPT=rfc822;bob+2Bx@example.org" {
		t.Errorf("RCPT params %q", got)
	}
	for _, bad := range []DSN{{Notify: "NEVER,SUCCESS"}, {Notify: "sometimes"}, {Ret: "BODY"}, {EnvID: "é"}, {EnvID: strings.Repeat("x", 101)}} {
		if err := bad.Check(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
