package client

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ehlo-sh/ehlo/lab"
	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

func parse(t *testing.T, text string) *Script {
	t.Helper()
	s, err := ParseScript("t.ehlo", strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const labScript = `# a lesson: AUTH only after STARTTLS
# lab: submission
expect 220
EHLO me.test
expect 250
STARTTLS
expect 220
EHLO me.test
expect 250 AUTH
:auth PLAIN alice
expect 235
MAIL FROM:<alice@lab.test>
RCPT TO:<bob@lab.test>
expect 250
expect 2xx
DATA
expect 354
Subject: from a script

# not a comment: a message line
...two dots: doubled, as on the wire
..
a lone "." above, as content
.
expect 250|251 queued
QUIT
expect 221
`

func TestParseScriptBindsExpects(t *testing.T) {
	s := parse(t, labScript)
	if s.Lab != "submission" {
		t.Errorf("lab %q", s.Lab)
	}
	of := map[int]string{} // expect line -> checked text
	var msg *ScriptOp
	for _, op := range s.Ops {
		switch {
		case op.Kind == ScriptExpect && op.Of < 0:
			of[op.Line] = "greeting"
		case op.Kind == ScriptExpect:
			of[op.Line] = s.Ops[op.Of].Text
		case op.Kind == ScriptMessage:
			msg = &op
		}
	}
	want := map[int]string{3: "greeting", 5: "EHLO me.test", 7: "STARTTLS", 9: "EHLO me.test", 11: ":auth PLAIN alice",
		14: "MAIL FROM:<alice@lab.test>", 15: "RCPT TO:<bob@lab.test>", 17: "DATA", 25: ".", 27: "QUIT"}
	for line, text := range want {
		if of[line] != text {
			t.Errorf("line %d checks %q, want %q", line, of[line], text)
		}
	}
	if msg == nil || len(msg.Content) != 6 || msg.Content[2] != "# not a comment: a message line" || msg.Line != 24 ||
		msg.Content[3] != "..two dots: doubled, as on the wire" || msg.Content[4] != "." {
		t.Errorf("message %+v", msg)
	}
	if got := s.Vars(); len(got) != 1 || got[0] != "password" {
		t.Errorf("vars %v", got)
	}
}

func TestParseScriptErrors(t *testing.T) {
	tests := []struct{ text, want string }{
		{"EHLO x\n:compose\n", "t.ehlo:2: unknown local command"},
		{"EHLO x\nexpect 250\nexpect 250\n", "t.ehlo:3: expect without a command"},
		{"expect 220\nexpect 250\n", "t.ehlo:2: expect without a command"},
		{"DATA\nexpect 354\nSubject: x\n", "t.ehlo:3: the message after DATA has no end"},
		{"EHLO x\nexpect 2500\n", "t.ehlo:2: expect: \"2500\" is not a reply code"},
		{"EHLO x\nexpect\n", "t.ehlo:2: usage: expect CODE"},
		{":auth PLAIN\n", "t.ehlo:1: usage: :auth MECH USER"},
		{":auth GSSAPI bob\n", "not GSSAPI"},
		{"EHLO x\n:drop\nQUIT\n", "t.ehlo:3: nothing may follow :drop (line 2)"},
		{"EHLO x\n:drop\n\n# fine\nexpect 250\n", "t.ehlo:5: nothing may follow :drop (line 2)"},
	}
	for _, tt := range tests {
		_, err := ParseScript("t.ehlo", strings.NewReader(tt.text))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err %v, want %q", tt.text, err, tt.want)
		}
	}
}

func TestParseScriptDataRefused(t *testing.T) {
	s := parse(t, "MAIL FROM:<a@x>\nexpect 250\nDATA\nexpect 503\nQUIT\nexpect 221\n")
	if got := s.Ops[len(s.Ops)-2]; got.Kind != ScriptCommand || got.Text != "QUIT" {
		t.Errorf("after a DATA expected to fail, QUIT is a command: %+v", got)
	}
}

// TestParseScriptDrop: :drop is an operation of its own, also right after
// DATA's 354, where it is not a message line.
func TestParseScriptDrop(t *testing.T) {
	s := parse(t, "MAIL FROM:<a@x>\nexpect 250\nRCPT TO:<b@x>\nexpect 250\nDATA\nexpect 354\n:DROP\n# the end\n")
	last := s.Ops[len(s.Ops)-1]
	if last.Kind != ScriptDrop || last.Line != 7 || s.Ops[len(s.Ops)-2].Kind != ScriptExpect || s.Ops[len(s.Ops)-2].Of != 4 {
		t.Errorf("ops %+v", s.Ops)
	}
}

// TestRunScriptDrop: on the lab, a :drop after 354 closes the connection
// without QUIT: the run is a success, the lab stores no message, and the
// transcript says where it dropped.
func TestRunScriptDrop(t *testing.T) {
	l := startLab(t)
	s := parse(t, "# lab: mx\nexpect 220\nEHLO me\nexpect 250\nMAIL FROM:<a@lab.test>\nexpect 250\nRCPT TO:<bob@lab.test>\nexpect 250\nDATA\nexpect 354\n:drop\n")
	res := runLab(t, l, s, nil)
	if !res.OK() || res.Checked != 5 {
		t.Fatalf("failure %v, err %v, checked %d", res.Failure, res.Err, res.Checked)
	}
	var out bytes.Buffer
	WriteTranscript(&out, res.Transcript.Entries(), TranscriptFormat{})
	text := out.String()
	if !strings.Contains(text, ":drop: the connection closed here without QUIT") {
		t.Errorf("transcript:\n%s", text)
	}
	if strings.Contains(strings.ReplaceAll(text, "without QUIT", ""), "QUIT") {
		t.Errorf("QUIT sent after :drop:\n%s", text)
	}
	if got := l.Messages(); len(got) != 0 {
		t.Errorf("the lab stored %d messages", len(got))
	}
}

func runLab(t *testing.T, l *lab.Lab, s *Script, vars map[string]string) RunResult {
	t.Helper()
	j := labJob(t, l, s.Lab)
	return RunScript(context.Background(), s, RunConfig{Target: j.Target, Options: j.Options, Vars: vars}, nil)
}

func TestRunScriptPasses(t *testing.T) {
	l := startLab(t)
	res := runLab(t, l, parse(t, labScript), map[string]string{"password": lab.Password})
	if !res.OK() {
		t.Fatalf("failure %v, err %v", res.Failure, res.Err)
	}
	if res.Checked != 10 {
		t.Errorf("checked %d", res.Checked)
	}
	got := l.Messages()
	if len(got) != 1 || !bytes.Contains(got[0].Data, []byte("\r\n..two dots: doubled, as on the wire\r\n.\r\na lone \".\" above, as content\r\n")) ||
		!bytes.Contains(got[0].Data, []byte("# not a comment")) {
		t.Fatalf("lab got %q", got)
	}
	assertNoSecret(t, res.Transcript, lab.Password)
}

func TestRunScriptFailsAtTheRightLine(t *testing.T) {
	l := startLab(t)
	broken := strings.Replace(labScript, "EHLO me.test\nexpect 250 AUTH\n:auth", "EHLO me.test\nexpect 250 AUTH\nMAIL FROM:<alice@lab.test>\nexpect 250\n:auth", 1)
	res := runLab(t, l, parse(t, broken), map[string]string{"password": lab.Password})
	if res.Failure == nil || res.Failure.Expect.Line != 11 || res.Failure.Got.Code != 530 {
		t.Fatalf("failure %+v, err %v", res.Failure, res.Err)
	}
	want := "t.ehlo:11: expect 250: the reply to MAIL FROM:<alice@lab.test> (line 10) was 530 5.7.0 Authentication required"
	if res.Failure.Error() != want {
		t.Errorf("got  %s\nwant %s", res.Failure, want)
	}

	res = runLab(t, l, parse(t, labScript), map[string]string{"password": "wrong"})
	if res.Failure == nil || res.Failure.Expect.Line != 11 || res.Failure.Got.Code != 535 {
		t.Fatalf("wrong password: failure %+v, err %v", res.Failure, res.Err)
	}
}

func TestRunScriptPlaceholderLinesAreSecret(t *testing.T) {
	l := startLab(t)
	s := parse(t, "# lab: legacy\nEHLO x\nAUTH LOGIN\nexpect 334\n{{auth1}}\nexpect 334\n{{auth2}}\nexpect 235\nQUIT\n")
	vars := map[string]string{"auth1": b64(lab.User), "auth2": b64(lab.Password)}
	res := runLab(t, l, s, vars)
	if !res.OK() {
		t.Fatalf("%v %v", res.Failure, res.Err)
	}
	var out bytes.Buffer
	WriteTranscript(&out, res.Transcript.Entries(), TranscriptFormat{})
	if strings.Contains(out.String(), vars["auth2"]) || !strings.Contains(out.String(), "C: {{auth2}}") {
		t.Errorf("transcript:\n%s", out.String())
	}
}

func TestSecretsInClearRefused(t *testing.T) {
	tests := []struct {
		mech, target  string
		tls, insecure bool
		refused       bool
	}{
		{"PLAIN", "mail.example.org:25", false, false, true},
		{"LOGIN", "192.0.2.1:587", false, false, true},
		{"PLAIN", "mail.example.org:25", true, false, false},
		{"PLAIN", "mail.example.org:25", false, true, false},
		{"PLAIN", "127.0.0.1:25", false, false, false},
		{"PLAIN", "localhost:25", false, false, false},
		{"CRAM-MD5", "mail.example.org:25", false, false, false},
	}
	for _, tt := range tests {
		if got := inClear(tt.mech, tt.target, tt.tls, tt.insecure); got != tt.refused {
			t.Errorf("%+v: refused %v", tt, got)
		}
	}
}

// TestScriptRoundTrip saves the transcript of a script run as a script and
// replays that: the saved script passes and holds no secret.
func TestScriptRoundTrip(t *testing.T) {
	l := startLab(t)
	res := runLab(t, l, parse(t, labScript), map[string]string{"password": lab.Password})
	if !res.OK() {
		t.Fatal(res.Failure, res.Err)
	}
	var saved bytes.Buffer
	if _, err := WriteScript(&saved, res.Transcript.Entries(), ScriptHeader{Lab: "submission"}); err != nil {
		t.Fatal(err)
	}
	text := saved.String()
	for _, want := range []string{"# lab: submission\n", "\nexpect 220\nEHLO me.test\nexpect 250\nSTARTTLS\nexpect 220\n",
		"\n:auth PLAIN alice\nexpect 235\n", "\nDATA\nexpect 354\nSubject: from a script\n\n# not a comment: a message line\n...two dots: doubled, as on the wire\n..\na lone",
		"\n.\nexpect 250\nQUIT\nexpect 221\n"} {
		if !strings.Contains(text, want) {
			t.Errorf("saved script lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, lab.Password) || strings.Contains(text, b64("\x00alice\x00"+lab.Password)) {
		t.Error("the saved script holds the password")
	}
	again := runLab(t, l, parse(t, text), map[string]string{"password": lab.Password})
	if !again.OK() || again.Checked != 10 {
		t.Fatalf("replay: checked %d, %v %v\n%s", again.Checked, again.Failure, again.Err, text)
	}
}

func TestWriteScriptHandTypedAuth(t *testing.T) {
	tr := []wire.Entry{
		{Dir: wire.Note, Data: []byte("connected to 127.0.0.1:25")},
		{Dir: wire.Server, Data: []byte("220 hi\r\n")},
		{Dir: wire.Client, Data: []byte("EHLO x\r\n")},
		{Dir: wire.Server, Data: []byte("250-hi\r\n")},
		{Dir: wire.Server, Data: []byte("250 AUTH LOGIN\r\n")},
		{Dir: wire.Client, Data: []byte("AUTH LOGIN\r\n")},
		{Dir: wire.Server, Data: []byte("334 VXNlcm5hbWU6\r\n")},
		{Dir: wire.Client, Data: []byte("YWxpY2U=\r\n"), Secret: true, Shown: "<redacted>"},
		{Dir: wire.Server, Data: []byte("334 UGFzc3dvcmQ6\r\n")},
		{Dir: wire.Client, Data: []byte("d29uZGVybGFuZA==\r\n"), Secret: true, Shown: "<redacted>"},
		{Dir: wire.Server, Data: []byte("235 ok\r\n")},
		{Dir: wire.Client, Data: []byte("AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=\r\n"), Secret: true, Shown: session.RedactedAuth("PLAIN", "alice")},
		{Dir: wire.Server, Data: []byte("503 already\r\n")},
	}
	var out bytes.Buffer
	if _, err := WriteScript(&out, tr, ScriptHeader{Target: "127.0.0.1:25"}); err != nil {
		t.Fatal(err)
	}
	want := "# target: 127.0.0.1:25\n# connected to 127.0.0.1:25\nexpect 220\nEHLO x\nexpect 250\nAUTH LOGIN\nexpect 334\n" +
		"{{auth1}}\nexpect 334\n{{auth2}}\nexpect 235\n:auth PLAIN alice\nexpect 503\n"
	if !strings.HasSuffix(out.String(), want) {
		t.Errorf("got\n%s\nwant suffix\n%s", out.String(), want)
	}
	if strings.Contains(out.String(), "d29uZGVybGFuZA") || strings.Contains(out.String(), "YWxpY2U") {
		t.Error("a secret was saved")
	}
	s := parse(t, out.String())
	if got := strings.Join(s.Vars(), " "); got != "auth1 auth2 password" {
		t.Errorf("vars %q", got)
	}
}

func TestRunScriptMissingVar(t *testing.T) {
	s := parse(t, "EHLO x\n:auth PLAIN alice\n")
	res := RunScript(context.Background(), s, RunConfig{Target: "127.0.0.1:1"}, nil)
	if res.Err == nil || !strings.Contains(res.Err.Error(), "{{password}}") {
		t.Errorf("err %v", res.Err)
	}
	var oe *OpError
	if errors.As(res.Err, &oe) {
		t.Error("a missing value must stop before connecting")
	}
}

func TestRunScriptLiteralSecretsAreRedacted(t *testing.T) {
	l := startLab(t)
	s := parse(t, "# lab: legacy\nEHLO x\nAUTH LOGIN\nexpect 334\n"+b64(lab.User)+"\nexpect 334\n"+b64(lab.Password)+
		"\nexpect 235\nQUIT\n")
	res := runLab(t, l, s, nil)
	if !res.OK() {
		t.Fatalf("%v %v", res.Failure, res.Err)
	}
	assertNoSecret(t, res.Transcript, lab.Password)
	var out bytes.Buffer
	WriteTranscript(&out, res.Transcript.Entries(), TranscriptFormat{})
	if strings.Contains(out.String(), b64(lab.Password)) || strings.Count(out.String(), "C: <redacted>") != 2 {
		t.Errorf("transcript:\n%s", out.String())
	}

	s = parse(t, "# lab: legacy\nEHLO x\nAUTH PLAIN "+b64("\x00alice\x00"+lab.Password)+"\nexpect 235\n")
	res = runLab(t, l, s, nil)
	out.Reset()
	WriteTranscript(&out, res.Transcript.Entries(), TranscriptFormat{})
	if !res.OK() || !strings.Contains(out.String(), `C: AUTH PLAIN <redacted user="alice">`) {
		t.Errorf("%v %v:\n%s", res.Failure, res.Err, out.String())
	}
}

// TestWriteScriptNamesTheLoginUser: an :auth LOGIN in the explorer sends a
// bare "AUTH LOGIN" after a note naming the user; the script names them.
func TestWriteScriptNamesTheLoginUser(t *testing.T) {
	tr := []wire.Entry{
		{Dir: wire.Note, Data: []byte("connected to 127.0.0.1:25")},
		{Dir: wire.Server, Data: []byte("220 hi\r\n")},
		{Dir: wire.Note, Data: []byte(AuthUserNote("LOGIN", "alice"))},
		{Dir: wire.Client, Data: []byte("AUTH LOGIN\r\n"), Secret: true, Shown: "AUTH LOGIN"},
		{Dir: wire.Server, Data: []byte("334 VXNlcm5hbWU6\r\n")},
		{Dir: wire.Client, Data: []byte("YWxpY2U=\r\n"), Secret: true, Shown: "<redacted>"},
		{Dir: wire.Server, Data: []byte("334 UGFzc3dvcmQ6\r\n")},
		{Dir: wire.Client, Data: []byte("d29uZGVybGFuZA==\r\n"), Secret: true, Shown: "<redacted>"},
		{Dir: wire.Server, Data: []byte("235 ok\r\n")},
		{Dir: wire.Client, Data: []byte("AUTH CRAM-MD5\r\n"), Secret: true, Shown: "AUTH CRAM-MD5"},
		{Dir: wire.Server, Data: []byte("503 already\r\n")},
	}
	var out bytes.Buffer
	if _, err := WriteScript(&out, tr, ScriptHeader{Target: "127.0.0.1:25"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "\n:auth LOGIN alice\nexpect 235\n") || !strings.Contains(out.String(), "\n:auth CRAM-MD5 {{user}}\nexpect 503\n") {
		t.Errorf("got\n%s", out.String())
	}
	// a name that would break the script's line becomes a placeholder
	tr[2].Data = []byte(AuthUserNote("LOGIN", "eve\nQUIT"))
	out.Reset()
	if _, err := WriteScript(&out, tr, ScriptHeader{Target: "127.0.0.1:25"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "\n:auth LOGIN {{user}}\n") || strings.Contains(out.String(), "\nQUIT\n") {
		t.Errorf("a user name with a line break:\n%s", out.String())
	}
}

// TestScriptMessageLinesAreDotStuffed: a message line that starts with a
// single "." would be ambiguous (content, or the end?) and is refused with
// the form to write.
func TestScriptMessageLinesAreDotStuffed(t *testing.T) {
	_, err := ParseScript("s.ehlo", strings.NewReader("DATA\nexpect 354\n.hidden\n.\n"))
	if err == nil || !strings.Contains(err.Error(), "s.ehlo:3") || !strings.Contains(err.Error(), `"..hidden"`) {
		t.Errorf("err = %v", err)
	}
}

// chunkScript sends a message in two BDAT chunks: the first ends inside a
// line and holds a NUL and a bare CR, the second has a line that starts
// with a dot, sent as it is (BDAT counts octets: nothing is stuffed).
const chunkScript = "# lab: submission\nexpect 220\nEHLO me.test\nexpect 250\nSTARTTLS\nexpect 220\nEHLO me.test\nexpect 250\n" +
	":auth PLAIN alice\nexpect 235\nMAIL FROM:<alice@lab.test>\nexpect 250\nRCPT TO:<bob@lab.test>\nexpect 250\n" +
	"BDAT 37\nSubject: chunks\r\n\r\nNUL \x00, bare \r CR, \n" +
	"expect 250\n" +
	"bdat 29 last\nand so on\r\n.a dot line\r\nend\r\n\n" +
	"expect 250\nQUIT\nexpect 221\n"

// chunkMessage is what chunkScript delivers.
const chunkMessage = "Subject: chunks\r\n\r\nNUL \x00, bare \r CR, and so on\r\n.a dot line\r\nend\r\n"

func TestParseScriptChunks(t *testing.T) {
	s := parse(t, chunkScript)
	var chunks []ScriptOp
	for _, op := range s.Ops {
		if op.Kind == ScriptChunk {
			chunks = append(chunks, op)
		}
	}
	if len(chunks) != 2 || string(chunks[0].Data)+string(chunks[1].Data) != chunkMessage ||
		chunks[0].Line != 15 || chunks[1].Line != 20 || chunks[1].Text != "bdat 29 last" {
		t.Fatalf("chunks %+v", chunks)
	}
	checks := map[int]string{}
	for _, op := range s.Ops {
		if op.Kind == ScriptExpect && op.Of >= 0 {
			checks[op.Line] = s.Ops[op.Of].Text
		}
	}
	if checks[19] != "BDAT 37" || checks[25] != "bdat 29 last" || checks[27] != "QUIT" {
		t.Errorf("expects by line: %v: the line count is off after the chunks", checks)
	}
	if c := parse(t, "BDAT 7 LAST\nHello!\n\nexpect 250\n").Ops[0]; string(c.Data) != "Hello!\n" {
		t.Errorf("a chunk ending in LF: %q", c.Data)
	}
	crlf := parse(t, "BDAT 5 LAST\r\nhello\r\nexpect 250\r\nQUIT\r\n")
	if op := crlf.Ops[0]; op.Kind != ScriptChunk || string(op.Data) != "hello" || crlf.Ops[1].Of != 0 {
		t.Errorf("a script with CRLF line ends: %+v", crlf.Ops)
	}
	if last := parse(t, "BDAT 2 LAST\nhi").Ops[0]; string(last.Data) != "hi" {
		t.Errorf("a chunk at the end of the script: %+v", last)
	}
}

func TestParseScriptChunkErrors(t *testing.T) {
	for _, tt := range []struct{ text, want string }{
		{"EHLO x\nBDAT 3\nhello\nexpect 250\n", `s.ehlo:2: BDAT 3: the 3 bytes after this line (ending "hel") are not followed by a line end`},
		{"BDAT 50 LAST\nhello\nexpect 250\n", "s.ehlo:1: BDAT 50 LAST: the script ends 17 bytes into the chunk"},
		{"BDAT 6 LAST\nhello\nexpect 250\n", `(ending "hello\\n") are not followed by a line end`},
		{"BDAT\nhello\n", "s.ehlo:1: BDAT needs the chunk's size"},
		{"BDAT 5 FIRST\nhello\n", "s.ehlo:1: BDAT takes a size and LAST"},
		{"BDAT 1e3\nx\n", "is not a number"},
		// a count that ends at a line end of the data: the next line is not the expect
		{"BDAT 6 LAST\nHello!\n\nexpect 250\n", `s.ehlo:1: BDAT 6 LAST: the line after its 6 octets is not its expect but ""`},
		{"BDAT 2\nab\ncd\n\nexpect 250\n", `the line after its 2 octets is not its expect but "cd"`},
		{"BDAT 5 LAST\nab\ncd\nef\nexpect 250\n", `is not its expect but "ef"`},
		{"BDAT 3 LAST\nab\n\nQUIT\n", `is not its expect but "QUIT"`},
	} {
		_, err := ParseScript("s.ehlo", strings.NewReader(tt.text))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err %v, want %q", tt.text, err, tt.want)
		}
	}
}

// TestRunScriptChunks runs chunkScript on the lab, which gets the message
// byte for byte; the run saved as a script is the same chunks, which
// replay to the same message.
func TestRunScriptChunks(t *testing.T) {
	l := startLab(t)
	res := runLab(t, l, parse(t, chunkScript), map[string]string{"password": lab.Password})
	if !res.OK() || res.Checked != 10 {
		t.Fatalf("checked %d: %v %v", res.Checked, res.Failure, res.Err)
	}
	if got := l.Messages(); len(got) != 1 || string(got[0].Data) != chunkMessage {
		t.Fatalf("the lab got %q", got)
	}
	var saved bytes.Buffer
	if _, err := WriteScript(&saved, res.Transcript.Entries(), ScriptHeader{Lab: "submission"}); err != nil {
		t.Fatal(err)
	}
	want := "\nBDAT 37\nSubject: chunks\r\n\r\nNUL \x00, bare \r CR, \nexpect 250\nbdat 29 last\nand so on\r\n.a dot line\r\nend\r\n\nexpect 250\nQUIT\n"
	if !strings.Contains(saved.String(), want) {
		t.Fatalf("saved script lacks %q:\n%q", want, saved.String())
	}
	again := runLab(t, l, parse(t, saved.String()), map[string]string{"password": lab.Password})
	if !again.OK() || again.Checked != 10 {
		t.Fatalf("replay: checked %d, %v %v", again.Checked, again.Failure, again.Err)
	}
	if got := l.Messages(); len(got) != 2 || string(got[1].Data) != chunkMessage {
		t.Errorf("the replay delivered %q", got[len(got)-1].Data)
	}
}

// TestWriteScriptChunkNotRecorded: a chunk the transcript kept only in
// part is saved with a comment, and its count refuses it at replay.
func TestWriteScriptChunkNotRecorded(t *testing.T) {
	tr := []wire.Entry{
		{Dir: wire.Note, Data: []byte("connected to 127.0.0.1:25")},
		{Dir: wire.Server, Data: []byte("220 hi\r\n")},
		{Dir: wire.Client, Data: []byte("BDAT 10 LAST\r\n")},
		{Dir: wire.Client, Data: []byte("abc"), Payload: true, Partial: true},
		{Dir: wire.Note, Data: []byte("message data: 7 more bytes sent, not recorded")},
		{Dir: wire.Server, Data: []byte("250 ok\r\n")},
	}
	var out bytes.Buffer
	if _, err := WriteScript(&out, tr, ScriptHeader{Target: "127.0.0.1:25"}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "# only 3 of the 10 octets of this chunk were recorded: it cannot replay\nBDAT 10 LAST\nabc\nexpect 250\n") {
		t.Errorf("saved:\n%s", out.String())
	}
	if _, err := ParseScript("s.ehlo", &out); err == nil || !strings.Contains(err.Error(), "the count does not match") {
		t.Errorf("replaying it: %v", err)
	}
}

// FuzzScriptChunkRoundTrip: whatever octets a BDAT chunk carries, the
// script WriteScript makes of its transcript parses back to the same
// octets, with the expect of its reply after them.
func FuzzScriptChunkRoundTrip(f *testing.F) {
	for _, s := range []string{"", "a", "a\r\n", "\r", "\n", "x\r\n\r\n", "expect 250\n", "BDAT 3\nabc\n", "\x00\xff\r\r\n\n", strings.Repeat("y", 5000)} {
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, last bool) {
		c, _ := scriptedClient("250 2.0.0 ok\r\n")
		line := session.Bdat(int64(len(data)), last)
		buf := append([]byte(line+"\r\n"), data...)
		if err := c.conn.WriteChunk(context.Background(), buf, len(line)+2, len(data)); err != nil {
			t.Fatal(err)
		}
		if _, err := c.read(context.Background()); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if _, err := WriteScript(&out, c.conn.Transcript().Entries(), ScriptHeader{Target: "127.0.0.1:25"}); err != nil {
			t.Fatal(err)
		}
		s, err := ParseScript("f.ehlo", &out)
		if err != nil {
			t.Fatalf("%v\n%q", err, out.String())
		}
		var ops []ScriptOp
		for _, op := range s.Ops {
			if op.Kind != ScriptExpect || op.Of >= 0 {
				ops = append(ops, op)
			}
		}
		if len(ops) != 2 || ops[0].Kind != ScriptChunk || !bytes.Equal(ops[0].Data, data) || ops[0].Text != line ||
			ops[1].Kind != ScriptExpect || ops[1].Codes[0] != "250" {
			t.Fatalf("parsed back as %+v from\n%q", ops, out.String())
		}
	})
}

func TestWriteScriptKeepsDNSAsComments(t *testing.T) {
	tr := []wire.Entry{
		{Dir: wire.Note, Data: []byte("connected to 127.0.0.1:25")},
		{Dir: wire.Server, Data: []byte("220 hi\r\n")},
		{Dir: wire.DNS, Data: []byte("TXT x.test. → NOERROR, insecure (no AD), TTL 5: \"a\nEHLO injected\" (1ms, 127.0.0.1:53)")},
		{Dir: wire.Client, Data: []byte("QUIT\r\n")},
		{Dir: wire.Server, Data: []byte("221 bye\r\n")},
	}
	var out bytes.Buffer
	if _, err := WriteScript(&out, tr, ScriptHeader{Target: "127.0.0.1:25"}); err != nil {
		t.Fatal(err)
	}
	want := "expect 220\n# D: TXT x.test. → NOERROR, insecure (no AD), TTL 5: \"a\\nEHLO injected\" (1ms, 127.0.0.1:53)\nQUIT\nexpect 221\n"
	if !strings.HasSuffix(out.String(), want) {
		t.Errorf("got\n%s\nwant suffix\n%s", out.String(), want)
	}
	parse(t, out.String()) // the comment leaves the script valid
}

func TestScriptBare(t *testing.T) {
	s, err := ParseScript("t", strings.NewReader("EHLO x\nexpect 250\n:bare NOOP\nexpect 521\n"))
	if err != nil {
		t.Fatal(err)
	}
	if op := s.Ops[2]; op.Kind != ScriptBare || op.Bare != "NOOP" || s.Ops[3].Of != 2 {
		t.Fatalf("%+v", s.Ops)
	}
	if _, err := ParseScript("t", strings.NewReader(":bare\n")); err == nil || !strings.Contains(err.Error(), "usage: :bare") {
		t.Errorf(":bare alone: %v", err)
	}
}
