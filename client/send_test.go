package client

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ehlo-sh/ehlo/lab"
	"github.com/ehlo-sh/ehlo/wire"
)

// labSend sends m on a lab endpoint as the lab's user.
func labSend(t *testing.T, l *lab.Lab, endpoint string, m *Message, rcpts []string, edit func(*SendConfig)) SendResult {
	t.Helper()
	if err := m.Scan(); err != nil {
		t.Fatal(err)
	}
	j := labJob(t, l, endpoint)
	cfg := SendConfig{Target: j.Target, Options: j.Options, Message: m, Rcpts: rcpts,
		Auth: "auto", User: lab.User, Password: lab.Password}
	if edit != nil {
		edit(&cfg)
	}
	if err := cfg.Check(); err != nil {
		t.Fatal(err)
	}
	return Send(context.Background(), cfg, nil)
}

func addr(s string) *mail.Address { return &mail.Address{Address: s} }

func TestSendToLab(t *testing.T) {
	for _, pipelining := range []bool{false, true} {
		l := startLab(t)
		blob := bytes.Repeat([]byte("\x00\x01binary\xff"), 5000)
		blobPath := writeFile(t, "blob.bin", blob)
		m := &Message{From: addr("alice@lab.test"), To: []*mail.Address{addr("bob@lab.test")},
			Cc: []*mail.Address{addr("carol@lab.test")}, Subject: "Grüße",
			Text: Content{Text: "Hello.\n.a dot line\n"}, Attachments: []Attachment{{Path: blobPath}}}
		rcpts := []string{"bob@lab.test", "carol@lab.test", "hidden@lab.test"}
		res := labSend(t, l, "submission", m, rcpts, func(c *SendConfig) { c.Pipelining = pipelining })
		if res.Err != nil || !res.Delivered() {
			t.Fatalf("pipelining=%v: %v", pipelining, res.Err)
		}
		got := l.Messages()
		if len(got) != 1 {
			t.Fatalf("the lab got %d messages", len(got))
		}
		rec := got[0]
		if rec.From != "alice@lab.test" || !slices.Equal(rec.To, rcpts) || rec.User != lab.User {
			t.Errorf("envelope %q %v user %q", rec.From, rec.To, rec.User)
		}
		if int64(len(rec.Data)) != res.Size {
			t.Errorf("SIZE said %d, the lab got %d", res.Size, len(rec.Data))
		}
		header, _, _ := bytes.Cut(rec.Data, []byte("\r\n\r\n"))
		if bytes.Contains(header, []byte("hidden@lab.test")) || regexp.MustCompile(`(?im)^bcc:`).Match(header) { // not "bcc" in a Message-ID's hex
			t.Errorf("Bcc leaked into the header:\n%s", header)
		}
		msg, err := mail.ReadMessage(bytes.NewReader(rec.Data))
		if err != nil {
			t.Fatal(err)
		}
		subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		if subject != "Grüße" || msg.Header.Get("To") != "<bob@lab.test>" || msg.Header.Get("Cc") != "<carol@lab.test>" {
			t.Errorf("header: %q %q %q", subject, msg.Header.Get("To"), msg.Header.Get("Cc"))
		}
		parts := mimeParts(t, msg.Header.Get("Content-Type"), msg.Body)
		if len(parts) != 2 || string(parts[0].data) != "Hello.\r\n.a dot line\r\n" || !bytes.Equal(parts[1].data, blob) {
			t.Errorf("parts: %d, text %q, attachment equal %v", len(parts), parts[0].data, len(parts) > 1 && bytes.Equal(parts[1].data, blob))
		}
		if pipelining {
			assertPipelined(t, res.Transcript)
		}
	}
}

// assertPipelined checks that MAIL, every RCPT and DATA were all written
// before the first reply to them was read (RFC 2920).
func assertPipelined(t *testing.T, tr *wire.Transcript) {
	t.Helper()
	var order []string
	for _, e := range tr.Entries() {
		text := string(e.Data)
		switch {
		case e.Dir == wire.Client && (strings.HasPrefix(text, "MAIL") || strings.HasPrefix(text, "RCPT") || strings.HasPrefix(text, "DATA")):
			order = append(order, "C")
		case e.Dir == wire.Server && len(order) > 0 && len(order) < 6:
			order = append(order, "S")
		}
	}
	if got := strings.Join(order, ""); !strings.HasPrefix(got, "CCCCC") {
		t.Errorf("not pipelined: %s", got)
	}
}

// TestSendNamesTheMissingSignIn: a Postfix submission port refuses even a
// local recipient to a client that did not sign in; send says that the
// sign-in is missing, not that the recipient is outside the server's
// domains (issue 17, item 1).
func TestSendNamesTheMissingSignIn(t *testing.T) {
	m := &Message{From: addr("alice@lab.test"), To: []*mail.Address{addr("bob@lab.test")}, Text: Content{Text: "hi\n"}}
	res := labSend(t, startLab(t), "postfix", m, []string{"bob@lab.test"}, func(c *SendConfig) { c.Auth, c.User, c.Password = "", "", "" })
	if len(res.Rcpts) != 1 || res.Rcpts[0].Accepted() || res.Rcpts[0].Explanation.Rule != "auth-required" {
		t.Fatalf("recipients %+v", res.Rcpts)
	}
	var out bytes.Buffer
	WriteSend(&out, res)
	if text := out.String(); !strings.Contains(text, "Client host rejected: Access denied") ||
		!strings.Contains(text, "before a successful AUTH") || strings.Contains(text, "not in one of the server's own domains") {
		t.Errorf("report:\n%s", text)
	}
}

func TestSendQuitAfter(t *testing.T) {
	l := startLab(t)
	wantLast := map[string]string{
		"connect": "", "banner": "S: 220 ", "ehlo": "S: 250 LIMITS", "starttls": "S~ 250 LIMITS",
		"auth": "S~ 235 ", "mail": "S~ 250 2.0.0 Roger", "rcpt": "S~ 250 2.0.0 I'll",
	}
	for _, step := range QuitAfter {
		m := &Message{From: addr("alice@lab.test"), Text: Content{Text: "x"}}
		res := labSend(t, l, "submission", m, []string{"bob@lab.test"}, func(c *SendConfig) { c.QuitAfter = step })
		if res.Err != nil || res.Stopped != step {
			t.Fatalf("%s: stopped %q, err %v", step, res.Stopped, res.Err)
		}
		var lines []string
		for _, e := range res.Transcript.Entries() {
			if e.Dir != wire.Note {
				lines = append(lines, Marker(e)+" "+EntryText(e, false))
			}
		}
		if step == "connect" {
			if len(lines) > 0 {
				t.Errorf("connect: sent or read %q", lines)
			}
			continue
		}
		if !strings.HasSuffix(lines[len(lines)-2], "QUIT") || !strings.HasPrefix(lines[len(lines)-3], wantLast[step]) {
			t.Errorf("%s: ends with %q", step, lines[max(0, len(lines)-3):])
		}
	}
	if n := len(l.Messages()); n != 0 {
		t.Errorf("--quit-after delivered %d messages", n)
	}
}

func TestSendRefusesOverSize(t *testing.T) {
	l := startLab(t)
	big := filepath.Join(t.TempDir(), "big.bin")
	if err := os.WriteFile(big, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(big, 30<<20); err != nil { // sparse: never read, its base64 is 40 MiB
		t.Fatal(err)
	}
	m := &Message{From: addr("alice@lab.test"), Attachments: []Attachment{{Path: big}}}
	res := labSend(t, l, "submission", m, []string{"bob@lab.test"}, nil)
	var pe *PolicyError
	if !isStep(res.Err, StepMail) || !errors.As(res.Err, &pe) || !strings.Contains(pe.Msg, "SIZE 35882577") {
		t.Fatalf("err = %v", res.Err)
	}
	if res.Auth != nil || res.Mail != nil {
		t.Error("refused late: AUTH or MAIL was sent")
	}
	if res.Size <= Base64Len(30<<20) {
		t.Errorf("size %d", res.Size)
	}
}

func TestSendSMTPUTF8(t *testing.T) {
	l := startLab(t)
	m := &Message{From: addr("alice@lab.test"), To: []*mail.Address{addr("zoë@lab.test")}, Text: Content{Text: "hej"}}
	res := labSend(t, l, "submission", m, []string{"zoë@lab.test"}, nil)
	if res.Err != nil || !strings.Contains(res.Mail.Command, " SMTPUTF8") || !strings.Contains(res.Mail.Command, "BODY=8BITMIME") {
		t.Fatalf("%v: %+v", res.Err, res.Mail)
	}

	sink := startSink(t, "SIZE 1000000", "8BITMIME")
	m = &Message{From: addr("alice@sink.test"), To: []*mail.Address{addr("zoë@sink.test")}, Text: Content{Text: "hej"}}
	if err := m.Scan(); err != nil {
		t.Fatal(err)
	}
	res = Send(context.Background(), SendConfig{Target: sink.addr, Message: m, Rcpts: []string{"zoë@sink.test"}}, nil)
	if !isStep(res.Err, StepMail) || !strings.Contains(res.Err.Error(), "SMTPUTF8") {
		t.Errorf("err = %v", res.Err)
	}
	if slices.ContainsFunc(sink.commands(), func(c string) bool { return strings.HasPrefix(c, "MAIL") }) {
		t.Error("MAIL was sent")
	}
}

func TestSendEightBitNeeds8BITMIME(t *testing.T) {
	for _, caps := range [][]string{{"8BITMIME"}, nil} {
		sink := startSink(t, caps...)
		m := &Message{From: addr("a@sink.test"), Text: Content{Text: "Grüße\n"}}
		if err := m.Scan(); err != nil {
			t.Fatal(err)
		}
		res := Send(context.Background(), SendConfig{Target: sink.addr, Message: m, Rcpts: []string{"b@sink.test"}}, nil)
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		has := strings.Contains(res.Mail.Command, "BODY=8BITMIME")
		if has != (caps != nil) {
			t.Errorf("caps %v: MAIL %q", caps, res.Mail.Command)
		}
		raw := res.Transcript.Bytes(wire.Client)
		if eight := bytes.ContainsFunc(raw, func(r rune) bool { return r > 127 }); eight != (caps != nil) {
			t.Errorf("caps %v: 8-bit bytes on the wire: %v", caps, eight)
		}
	}
}

func TestSendExitSteps(t *testing.T) {
	l := startLab(t)
	m := func() *Message { return &Message{From: addr("alice@lab.test"), Text: Content{Text: "x"}} }
	tests := []struct {
		name, endpoint, step string
		edit                 func(*SendConfig)
	}{
		{"no recipient accepted", "mx", StepRcpt, func(c *SendConfig) { c.Auth = ""; c.Rcpts = []string{"x@example.org"} }},
		{"bad password", "submission", StepAuth, func(c *SendConfig) { c.Password = "wrong" }},
		{"STARTTLS required", "legacy", StepStartTLS, func(c *SendConfig) { c.StartTLS = StartTLSRequire }},
		{"MAIL refused without AUTH", "submission", StepMail, func(c *SendConfig) { c.Auth = "" }},
		{"AUTH not offered in plaintext", "submission", StepAuth, func(c *SendConfig) { c.StartTLS = StartTLSNever }},
		{"connect", "submission", StepConnect, func(c *SendConfig) { c.Target = "127.0.0.1:1" }},
	}
	for _, tt := range tests {
		res := labSend(t, l, tt.endpoint, m(), []string{"bob@lab.test"}, tt.edit)
		if !isStep(res.Err, tt.step) {
			t.Errorf("%s: err = %v, want step %s", tt.name, res.Err, tt.step)
		}
	}
}

func TestSendNeverShowsThePassword(t *testing.T) {
	l := startLab(t)
	for _, mech := range []string{"PLAIN", "LOGIN", "CRAM-MD5"} {
		m := &Message{From: addr("alice@lab.test"), Text: Content{Text: "x"}}
		res := labSend(t, l, "submission", m, []string{"bob@lab.test"}, func(c *SendConfig) { c.Auth = mech })
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		var out bytes.Buffer
		WriteSend(&out, res)
		WriteTranscript(&out, res.Transcript.Entries(), TranscriptFormat{})
		json.NewEncoder(&out).Encode(res.JSON(40))
		assertNoSecret(t, res.Transcript, lab.Password)
		for _, secret := range []string{lab.Password, b64("\x00alice\x00" + lab.Password), b64(lab.Password)} {
			if strings.Contains(out.String(), secret) {
				t.Errorf("%s: output shows %q", mech, secret)
			}
		}
	}
}

func TestSendJSONAndReport(t *testing.T) {
	l := startLab(t)
	m := &Message{From: addr("alice@lab.test"), Text: Content{Text: "x"}}
	res := labSend(t, l, "mx", m, []string{"bob@lab.test", "eve@example.org"}, func(c *SendConfig) { c.Auth = "" })
	if res.Err != nil || !res.Delivered() {
		t.Fatal(res.Err)
	}
	var out bytes.Buffer
	WriteSend(&out, res)
	for _, want := range []string{"accepted  <bob@lab.test>", "REFUSED   <eve@example.org>  554 5.7.1", "fix:", "result    delivered"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	js := res.JSON(40)
	if len(js.Recipients) != 2 || !js.Recipients[0].Accepted || js.Recipients[1].Accepted ||
		js.Recipients[1].Explanation == nil || js.Recipients[1].Explanation.Action == "" || !js.Delivered {
		t.Errorf("json: %+v", js)
	}
	// a recipient's command is the RCPT line, as MAIL's is the MAIL line
	if r := js.Recipients[1]; r.Command != "RCPT TO:<eve@example.org>" || r.Address != "eve@example.org" {
		t.Errorf("recipient: command %q, address %q", r.Command, r.Address)
	}
}

func TestDataEliderCutsLongMessages(t *testing.T) {
	var entries []wire.Entry
	add := func(d wire.Dir, s string) { entries = append(entries, wire.Entry{Dir: d, Data: []byte(s)}) }
	add(wire.Client, "DATA\r\n")
	add(wire.Server, "354 go\r\n")
	for range 100 {
		add(wire.Client, "QUFBQUFB\r\n")
	}
	add(wire.Client, ".\r\n")
	add(wire.Server, "250 ok\r\n")
	got := ElideData(entries, 5)
	if len(got) != 2+5+1+2 || got[7].Dir != wire.Note || !strings.Contains(string(got[7].Data), "95 more lines") {
		var s []string
		for _, e := range got {
			s = append(s, string(e.Data))
		}
		t.Errorf("%q", s)
	}
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestSendDataRefusals(t *testing.T) {
	tests := []struct {
		refuse map[string]string
		step   string
	}{
		{map[string]string{"DATA": "554 5.5.1 no valid recipients"}, StepData},
		{map[string]string{".": "552 5.3.4 message too big"}, StepDataEnd},
		{map[string]string{"MAIL": "550 5.7.1 sender refused"}, StepMail},
		{map[string]string{"EHLO": "502 5.5.1 no", "HELO": "502 5.5.1 no"}, StepHello},
	}
	for _, pipelining := range []bool{false, true} {
		for _, tt := range tests {
			sink := startSink(t, "PIPELINING", "SIZE 0")
			sink.setRefuse(tt.refuse)
			m := &Message{From: addr("a@sink.test"), Text: Content{Text: "x"}}
			if err := m.Scan(); err != nil {
				t.Fatal(err)
			}
			res := Send(context.Background(), SendConfig{Target: sink.addr, Message: m, Rcpts: []string{"b@sink.test"}, Pipelining: pipelining}, nil)
			var re *RefusedError
			if !isStep(res.Err, tt.step) || !errors.As(res.Err, &re) {
				t.Errorf("pipelining %v, %v: err %v, want step %s", pipelining, tt.refuse, res.Err, tt.step)
			}
			if cmds := sink.commands(); cmds[len(cmds)-1] != "QUIT" {
				t.Errorf("%v: the session ended with %q, not QUIT", tt.refuse, cmds[len(cmds)-1])
			}
		}
	}
}

// TestSendInterruptedSaysSo: Ctrl-C (a cancelled context) while the server
// keeps the session waiting is reported as an interruption at that step, not
// as a bare "context canceled".
func TestSendInterruptedSaysSo(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			t.Cleanup(func() { c.Close() }) // and never greet
		}
	}()
	m := &Message{From: addr("a@example.org"), To: []*mail.Address{addr("b@example.org")}, Text: Content{Text: "hi"}}
	if err := m.Scan(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	tr := wire.NewTranscript()
	tr.Subscribe(func(e wire.Entry) {
		if e.Dir == wire.Note && strings.HasPrefix(string(e.Data), "connected to") {
			cancel() // the user presses Ctrl-C while the server says nothing
		}
	})
	res := Send(ctx, SendConfig{Target: ln.Addr().String(), Message: m, Rcpts: []string{"b@example.org"}}, tr)
	if !errors.Is(res.Err, context.Canceled) {
		t.Fatalf("err = %v, want a cancellation", res.Err)
	}
	if got := Explain(res.Err); !strings.Contains(got, "interrupted (Ctrl-C) at greeting") {
		t.Errorf("Explain = %q", got)
	}
	for _, unanswered := range []error{&UnansweredError{Err: context.Canceled},
		&StepError{Step: StepDataEnd, Err: &UnansweredError{Err: context.Canceled}}} {
		if got := Explain(unanswered); !strings.Contains(got, "interrupted (Ctrl-C)") || !strings.Contains(got, "may duplicate") {
			t.Errorf("after the final dot: Explain = %q", got)
		}
	}
}

// TestTranscriptKeepsMessageLines: the transcript records message data whole
// up to 64 KiB, a last line without a line ending included, and past the
// limit stops at the end of a line, counting in a note exactly what it left
// out.
func TestTranscriptKeepsMessageLines(t *testing.T) {
	line := strings.Repeat("x", 97) + "\n" // 99 bytes on the wire: never a multiple of the limit
	for _, tc := range []struct {
		name, body string
		whole      bool
	}{
		{"no final line ending", "Hello plain", true},
		{"8-bit, no final line ending", "first line\nHéllo", true},
		{"over the limit", strings.Repeat(line, 2000), false},
		{"over the limit, no final line ending", strings.Repeat(line, 2000) + "the end", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := startSink(t, "8BITMIME")
			m := &Message{From: addr("a@sink.test"), Text: Content{Text: tc.body}}
			if err := m.Scan(); err != nil {
				t.Fatal(err)
			}
			res := Send(context.Background(), SendConfig{Target: sink.addr, Message: m, Rcpts: []string{"b@sink.test"}}, nil)
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			client := res.Transcript.Bytes(wire.Client)
			_, data, _ := bytes.Cut(client, []byte("DATA\r\n"))
			end := bytes.Index(data, []byte("\r\n.\r\n"))
			if end < 0 {
				t.Fatalf("no end of data in the transcript: %q", client[max(0, len(client)-200):])
			}
			data = data[:end+2]
			var skipped int
			for _, e := range res.Transcript.Entries() {
				if e.Dir == wire.Note && bytes.Contains(e.Data, []byte("not recorded")) {
					if _, err := fmt.Sscanf(string(e.Data), "message data: %d more bytes", &skipped); err != nil {
						t.Fatalf("note %q: %v", e.Data, err)
					}
				}
			}
			last := tc.body[strings.LastIndexByte(tc.body, '\n')+1:]
			if tc.whole {
				if skipped != 0 || !bytes.HasSuffix(data, []byte(last+"\r\n")) {
					t.Errorf("a %d-byte message: %d bytes left out of the transcript, which ends %q", len(data), skipped, data[max(0, len(data)-40):])
				}
				return
			}
			if len(data) < 64<<10 || len(data) > 64<<10+len(line)+1 {
				t.Errorf("recorded %d bytes of data, want the first 64 KiB to the end of a line", len(data))
			}
			if got := sink.sizes(); len(got) != 1 || int64(len(data)+skipped) != got[0] {
				t.Errorf("recorded %d + left out %d bytes; the server received %v", len(data), skipped, got)
			}
		})
	}
}
