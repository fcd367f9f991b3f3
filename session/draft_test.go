package session

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestDraftHeader(t *testing.T) {
	d := Draft{From: "alice@example.org", To: []string{"bob@example.org", "carol@example.org"},
		Date: time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC), MessageID: "<x@example.org>"}
	want := []string{
		"From: <alice@example.org>",
		"To: <bob@example.org>, <carol@example.org>",
		"Date: Fri, 14 Mar 2025 09:26:53 +0000",
		"Message-ID: <x@example.org>",
		"MIME-Version: 1.0",
		"Content-Type: text/plain; charset=us-ascii",
		"Content-Transfer-Encoding: 7bit",
		"Subject: ",
	}
	if got := d.Header(); !slices.Equal(got, want) {
		t.Errorf("7bit header:\n%s", strings.Join(got, "\n"))
	}
	d.EightBit = true
	got := strings.Join(d.Header(), "\n")
	if !strings.Contains(got, "Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n") {
		t.Errorf("8bit header:\n%s", got)
	}
}

func TestMailParams(t *testing.T) {
	both := Capabilities{List: []Capability{{Keyword: "8BITMIME"}, {Keyword: "SMTPUTF8"}}}
	only8 := Capabilities{List: []Capability{{Keyword: "8BITMIME"}}}
	cases := []struct {
		caps  Capabilities
		eight bool
		addrs []string
		want  []string
	}{
		{both, false, []string{"a@example.org"}, nil},
		{both, true, []string{"a@example.org"}, []string{"BODY=8BITMIME"}},
		{Capabilities{}, true, []string{"a@example.org"}, nil},
		{both, false, []string{"a@example.org", "jörg@bücher.example"}, []string{"BODY=8BITMIME", "SMTPUTF8"}},
		{only8, false, []string{"jörg@bücher.example"}, []string{"BODY=8BITMIME"}},
	}
	for _, c := range cases {
		if got := MailParams(c.caps, c.eight, c.addrs...); !slices.Equal(got, c.want) {
			t.Errorf("MailParams(%v, %v, %q) = %q, want %q", c.caps.List, c.eight, c.addrs, got, c.want)
		}
	}
	if !DraftEightBit(only8, "a@example.org") || DraftEightBit(Capabilities{}, "a@example.org") || !DraftEightBit(Capabilities{}, "jörg@example.org") {
		t.Error("DraftEightBit")
	}
}

func TestMailParam(t *testing.T) {
	cases := []struct {
		line, name, value string
		ok                bool
	}{
		{"MAIL FROM:<a@example.org> SIZE=100 BODY=8BITMIME", "body", "8BITMIME", true},
		{"MAIL FROM:<a@example.org> SMTPUTF8", "SMTPUTF8", "", true},
		{"MAIL FROM:<a@example.org>", "BODY", "", false},
		{"MAIL FROM:a@example.org BODY=7BIT", "BODY", "7BIT", true},
		{"MAIL FROM:<body=8bitmime@example.org>", "BODY", "", false},
	}
	for _, c := range cases {
		if v, ok := MailParam(c.line, c.name); v != c.value || ok != c.ok {
			t.Errorf("MailParam(%q, %q) = %q, %v", c.line, c.name, v, ok)
		}
	}
}

func TestCheckMessage(t *testing.T) {
	d := Draft{From: "alice@example.org", To: []string{"bob@example.org"}, MessageID: "<x@example.org>", EightBit: true}
	header8 := strings.Join(d.Header(), "\r\n")
	d.EightBit = false
	header7 := strings.Join(d.Header(), "\r\n")
	codes := func(ws []Warning) []string {
		var out []string
		for _, w := range ws {
			out = append(out, w.Code)
		}
		return out
	}
	cases := []struct {
		name, msg, mail string
		want            []string
	}{
		{"the guide's draft, 8-bit text, BODY=8BITMIME", header8 + "hello\r\n\r\nGrüße\r\n", "MAIL FROM:<alice@example.org> SIZE=2048 BODY=8BITMIME", nil},
		{"ASCII under a 7bit header", header7 + "hello\r\n\r\nhi\r\n", "MAIL FROM:<alice@example.org>", nil},
		{"8-bit text under a 7bit header, no BODY", header7 + "hello\r\n\r\nGrüße\r\n", "MAIL FROM:<alice@example.org>",
			[]string{"8bit-without-body", "8bit-without-mime"}},
		{"no MIME header at all", "Subject: hi\r\n\r\nGrüße\r\n", "MAIL FROM:<a@example.org> BODY=8BITMIME", []string{"8bit-without-mime"}},
		{"UTF-8 subject without SMTPUTF8", header8 + "Grüße\r\n\r\nhi\r\n", "MAIL FROM:<a@example.org> BODY=8BITMIME", []string{"utf8-header-without-smtputf8"}},
		{"UTF-8 subject with SMTPUTF8", header8 + "Grüße\r\n\r\nhi\r\n", "MAIL FROM:<a@example.org> BODY=8BITMIME SMTPUTF8", nil},
		{"a folded Content-Type", "MIME-Version: 1.0\r\nContent-Type: text/plain;\r\n charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGrüße\r\n",
			"MAIL FROM:<a@example.org> BODY=8BITMIME", nil},
		{"a long line", "Subject: x\r\n\r\n" + strings.Repeat("x", 999) + "\r\n", "MAIL FROM:<a@example.org>", []string{"long-line"}},
	}
	w := CheckMessage([]byte(header8+"Grüße\r\n\r\nhi\r\n.\r\n"), "MAIL FROM:<a@example.org> BODY=8BITMIME")
	if len(w) != 1 || !strings.Contains(w[0].Text, "Subject: field") || !strings.Contains(w[0].Text, "=?UTF-8?q?Gr=C3=BC=C3=9Fe?=") {
		t.Errorf("the Subject's warning: %q", w)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := codes(CheckMessage([]byte(c.msg+".\r\n"), c.mail)); !slices.Equal(got, c.want) {
				t.Errorf("codes %q, want %q", got, c.want)
			}
		})
	}
}
