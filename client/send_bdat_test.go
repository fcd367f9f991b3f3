package client

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/mail"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

// chunkLines returns the BDAT lines of a transcript, and the message data
// recorded after them.
func chunkLines(tr *wire.Transcript) (lines []string, data []byte) {
	for _, e := range tr.Entries() {
		switch {
		case e.Dir == wire.Client && e.Payload:
			data = append(data, e.Data...)
		case e.Dir == wire.Client && isBdat(e.Data):
			lines = append(lines, strings.TrimSuffix(string(e.Data), "\r\n"))
		}
	}
	return lines, data
}

// checkChunks checks that the chunks are of size octets, the last with
// LAST, and together the message's Size.
func checkChunks(t *testing.T, lines []string, size int, total int64) {
	t.Helper()
	var sum int64
	for i, l := range lines {
		n, last, err := session.ParseBdat(l)
		if err != nil || last != (i == len(lines)-1) || (!last && n != int64(size)) {
			t.Errorf("chunk %d: %q (%v)", i+1, l, err)
		}
		sum += n
	}
	if sum != total {
		t.Errorf("the chunks hold %d octets, the message is %d", sum, total)
	}
}

// TestSendBDATToLab sends a message with BDAT in small chunks: the lab gets
// it byte for byte as composed, with no dot-stuffing and every line ending
// CRLF, and the chunks add up to SIZE.
func TestSendBDATToLab(t *testing.T) {
	l := startLab(t)
	blob := bytes.Repeat([]byte("\x00\x01binary\xff"), 3000)
	text := strings.Repeat("Hello in chunks.\n.a dot line\r\n..two dots\n", 300)
	m := &Message{From: addr("alice@lab.test"), To: []*mail.Address{addr("bob@lab.test")}, Subject: "chunks",
		Text: Content{Text: text}, Attachments: []Attachment{{Path: writeFile(t, "blob.bin", blob)}}}
	res := labSend(t, l, "submission", m, []string{"bob@lab.test"}, func(c *SendConfig) {
		c.BodyMode, c.ChunkSize = BodyBDAT, 4096
	})
	if res.Err != nil || !res.Delivered() || res.BodyMode != "BDAT" {
		t.Fatalf("%s: %v", res.BodyMode, res.Err)
	}
	got := l.Messages()[0].Data
	if int64(len(got)) != res.Size || res.Sent != res.Size {
		t.Errorf("SIZE %d, sent %d, the lab got %d", res.Size, res.Sent, len(got))
	}
	lines, _ := chunkLines(res.Transcript)
	checkChunks(t, lines, 4096, res.Size)
	if res.Chunks != len(lines) || res.Chunks < 10 {
		t.Errorf("%d chunks reported, %d sent", res.Chunks, len(lines))
	}
	msg, err := mail.ReadMessage(bytes.NewReader(got))
	if err != nil {
		t.Fatal(err)
	}
	parts := mimeParts(t, msg.Header.Get("Content-Type"), msg.Body)
	if want := strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\n", "\r\n"); string(parts[0].data) != want {
		t.Errorf("text part: %.80q..., want %.80q...", parts[0].data, want)
	}
	if !bytes.Equal(parts[1].data, blob) {
		t.Error("the attachment differs")
	}
	if slices.ContainsFunc(res.Transcript.Entries(), func(e wire.Entry) bool { return string(e.Data) == "DATA\r\n" }) {
		t.Error("DATA sent with --body-mode bdat")
	}
}

// TestSendBDATBinary: a body DATA cannot carry as it is (a NUL, a long
// line, mixed line endings) goes with BDAT and BODY=BINARYMIME when the
// server offers both, byte for byte; in auto mode, any other message, or
// a server without BINARYMIME, gets DATA.
func TestSendBDATBinary(t *testing.T) {
	binary := "CRLF line\r\nbare LF\nNUL \x00 here\r\n" + strings.Repeat("long ", 300) + "\r\nno final ending"
	tests := []struct {
		name, text, mode string
		caps             []string
		wantMode, body   string // body: the MAIL line's BODY parameter
	}{
		{"binary, offered", binary, BodyAuto, []string{"CHUNKING", "BINARYMIME", "8BITMIME"}, "BDAT", "BODY=BINARYMIME"},
		{"binary, bdat", binary, BodyBDAT, []string{"CHUNKING", "BINARYMIME"}, "BDAT", "BODY=BINARYMIME"},
		{"binary, no BINARYMIME", binary, BodyAuto, []string{"CHUNKING", "8BITMIME"}, "DATA", ""},
		{"binary, data", binary, BodyData, []string{"CHUNKING", "BINARYMIME", "8BITMIME"}, "DATA", ""},
		{"Unix text", "one\ntwo\n", BodyAuto, []string{"CHUNKING", "BINARYMIME"}, "DATA", ""},
		{"8-bit text, bdat", "Grüße\n", BodyBDAT, []string{"CHUNKING", "BINARYMIME", "8BITMIME"}, "BDAT", "BODY=8BITMIME"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := startSink(t, append(tt.caps, "PIPELINING")...)
			sink.setChunks(nil, 0, true)
			res := sinkSend(t, sink, &Message{From: addr("a@sink.test"), Subject: "bin", Text: Content{Text: tt.text}},
				func(c *SendConfig) { c.BodyMode = tt.mode })
			if res.Err != nil || !res.Delivered() || res.BodyMode != tt.wantMode {
				t.Fatalf("mode %s: %v", res.BodyMode, res.Err)
			}
			if note := notes(res.Transcript); tt.body == "BODY=BINARYMIME" && !strings.Contains(note, "the text holds a NUL, a line over 998 octets and mixed line endings: it goes as it is") ||
				tt.name == "binary, no BINARYMIME" && !strings.Contains(note, "it goes in quoted-printable") {
				t.Errorf("notes: %s", note)
			}
			mailLine := sink.commands()[1]
			if tt.body != "" && !strings.HasSuffix(mailLine, " "+tt.body) || tt.body == "" && strings.Contains(mailLine, "BODY=") {
				t.Errorf("MAIL line %q, want %q", mailLine, tt.body)
			}
			if tt.wantMode != "BDAT" || tt.body != "BODY=BINARYMIME" {
				return
			}
			got := sink.messages()[0]
			if int64(len(got)) != res.Size {
				t.Errorf("SIZE %d, received %d", res.Size, len(got))
			}
			header, body, _ := bytes.Cut(got, []byte("\r\n\r\n"))
			if !bytes.HasSuffix(header, []byte("Content-Transfer-Encoding: binary")) || string(body) != tt.text {
				t.Errorf("received:\n%q", got)
			}
		})
	}
}

// TestBinaryWithAlternative: beside a binary part, an HTML part with bare
// LF endings gets CRLF on its own, and Size counts what goes.
func TestBinaryWithAlternative(t *testing.T) {
	m := &Message{From: addr("a@example.org"), Text: Content{Text: "a\x00b\r\nc\n"}, HTML: Content{File: writeFile(t, "a.html", []byte("<p>one\n<p>two\n"))}}
	if err := m.Scan(); err != nil {
		t.Fatal(err)
	}
	m.Use8Bit(true)
	m.UseBinary()
	var out bytes.Buffer
	if _, err := m.WriteTo(&out); err != nil {
		t.Fatal(err)
	}
	if size, _ := m.Size(); size != int64(out.Len()) {
		t.Errorf("Size %d, wrote %d", size, out.Len())
	}
	s := out.String()
	if !strings.Contains(s, "\r\n\r\na\x00b\r\nc\n\r\n--") || !strings.Contains(s, "<p>one\r\n<p>two\r\n") {
		t.Errorf("wrote:\n%q", s)
	}
	if strings.Count(strings.ReplaceAll(s, "\r\n", ""), "\n") != 1 {
		t.Errorf("a bare LF outside the binary part:\n%q", s)
	}
}

func TestNeedsBinary(t *testing.T) {
	for text, want := range map[string]bool{
		"a\nb\n": false, "a\r\nb\r\n": false, "a\rb\r": false, "Grüße\n": false, "": false,
		"a\r\nb\n": true, "a\nb\r": true, "a\rb\n": true, "a\x00b": true, strings.Repeat("x", 999): true,
		"a\r\nb\r": true, // a bare CR at the very end
	} {
		m := &Message{From: addr("a@example.org"), Text: Content{Text: text}}
		if err := m.Scan(); err != nil {
			t.Fatal(err)
		}
		if m.NeedsBinary() != want {
			t.Errorf("%.20q: NeedsBinary %v", text, !want)
		}
	}
}

// sinkSend sends m to b@sink.test on sink.
func sinkSend(t *testing.T, sink *sinkServer, m *Message, edit func(*SendConfig)) SendResult {
	t.Helper()
	if err := m.Scan(); err != nil {
		t.Fatal(err)
	}
	cfg := SendConfig{Target: sink.addr, Options: Options{Timeout: 10 * time.Second}, Message: m, Rcpts: []string{"b@sink.test"}}
	if edit != nil {
		edit(&cfg)
	}
	if err := cfg.Check(); err != nil {
		t.Fatal(err)
	}
	return Send(context.Background(), cfg, nil)
}

// TestSendBDATRefused: a failure reply to a chunk stops the transfer. The
// chunks already pipelined are answered and read, so QUIT finds the
// session in step; a chunk refused before the last is DATA's step, the
// last one's refusal the end of data's, as a reply to "." is.
func TestSendBDATRefused(t *testing.T) {
	text := strings.Repeat("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef012345678\r\n", 200) // 15 KB
	tests := []struct {
		name       string
		pipelining bool
		refuse     int // the chunk refused
		step       string
		wantChunks int // BDAT lines sent
		final      bool
	}{
		{"pipelined, second chunk", true, 2, StepData, 3, false},
		{"lockstep, second chunk", false, 2, StepData, 2, false},
		{"first chunk", false, 1, StepData, 1, false},
		{"last chunk", true, 4, StepDataEnd, 4, true},
		{"last chunk, 251", false, 4, StepDataEnd, 4, true}, // anything but 250 to the message is no delivery
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			caps := []string{"CHUNKING"}
			if tt.pipelining {
				caps = append(caps, "PIPELINING")
			}
			sink := startSink(t, caps...)
			refusal, want := "554 5.7.1 not this one", 554
			if strings.Contains(tt.name, "251") {
				refusal, want = "251 2.1.5 odd", 251
			}
			sink.setChunks(map[int]string{tt.refuse: refusal}, 0, false)
			res := sinkSend(t, sink, &Message{From: addr("a@sink.test"), Text: Content{Text: text}},
				func(c *SendConfig) { c.BodyMode, c.ChunkSize = BodyBDAT, 4096 })
			var se *StepError
			var refused *RefusedError
			if !errors.As(res.Err, &se) || se.Step != tt.step || !errors.As(res.Err, &refused) || refused.Reply.Code != want {
				t.Fatalf("err %v, want a %d at step %s", res.Err, want, tt.step)
			}
			if res.Delivered() || (res.Final != nil) != tt.final {
				t.Errorf("delivered %v, final %+v", res.Delivered(), res.Final)
			}
			lines, _ := chunkLines(res.Transcript)
			if len(lines) != tt.wantChunks {
				t.Errorf("%d chunks sent, want %d: %q", len(lines), tt.wantChunks, lines)
			}
			cmds := sink.commands()
			if cmds[len(cmds)-1] != "QUIT" {
				t.Errorf("the session ends with %q, want QUIT", cmds[len(cmds)-1])
			}
			entries := res.Transcript.Entries()
			if last := entries[len(entries)-1]; string(last.Data) != "221 bye\r\n" {
				t.Errorf("the reply read last is %q: the replies to the chunks were not all read", last.Data)
			}
			if len(sink.sizes()) != 0 {
				t.Error("the sink took the message")
			}
		})
	}
}

// TestSendBDATUnanswered: no reply to the last chunk means the message may
// have been taken, as after ".".
func TestSendBDATUnanswered(t *testing.T) {
	sink := startSink(t, "CHUNKING", "PIPELINING")
	sink.setChunks(nil, 1, false)
	res := sinkSend(t, sink, &Message{From: addr("a@sink.test"), Text: Content{Text: "x\n"}}, func(c *SendConfig) { c.BodyMode = BodyBDAT })
	var se *StepError
	if !errors.As(res.Err, &se) || se.Step != StepDataEnd || !errors.As(res.Err, new(*UnansweredError)) {
		t.Errorf("err %v, want an unanswered end of data", res.Err)
	}
	if got := Explain(res.Err); !strings.Contains(got, "no reply to the last BDAT chunk") || !strings.Contains(got, "may still be delivered") {
		t.Errorf("explained as %q", got)
	}
}

// TestSendBDATNeedsChunking: --body-mode bdat to a server without
// CHUNKING stops before MAIL.
func TestSendBDATNeedsChunking(t *testing.T) {
	sink := startSink(t, "PIPELINING", "8BITMIME")
	res := sinkSend(t, sink, &Message{From: addr("a@sink.test"), Text: Content{Text: "x\n"}}, func(c *SendConfig) { c.BodyMode = BodyBDAT })
	var policy *PolicyError
	if !isStep(res.Err, StepMail) || !errors.As(res.Err, &policy) || !strings.Contains(policy.Msg, "CHUNKING") {
		t.Errorf("err %v", res.Err)
	}
	if cmds := sink.commands(); slices.ContainsFunc(cmds, func(c string) bool { return strings.HasPrefix(c, "MAIL") }) {
		t.Errorf("MAIL sent: %q", cmds)
	}
}

// TestChunkWriter: full chunks wait for more data, so the last chunk holds
// the rest ("BDAT 0 LAST" only for an empty message); an error from Sent
// stops the writer.
func TestChunkWriter(t *testing.T) {
	for _, tt := range []struct {
		data string
		want []string
	}{
		{"", []string{"BDAT 0 LAST"}},
		{"abcd", []string{"BDAT 4 LAST"}},
		{"abcdefgh", []string{"BDAT 4", "BDAT 4 LAST"}},
		{"abcdefghi", []string{"BDAT 4", "BDAT 4", "BDAT 1 LAST"}},
	} {
		c, sc := scriptedClient("")
		var got []string
		w := NewChunkWriter(context.Background(), c.conn, ChunkOptions{Size: 4, Sent: func(line string, last bool) error {
			got = append(got, line)
			return nil
		}})
		for _, b := range []byte(tt.data) { // a byte at a time
			if _, err := w.Write([]byte{b}); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, tt.want) || w.Sent() != int64(len(tt.data)) || len(sc.writes) != len(tt.want) {
			t.Errorf("%q: chunks %q, %d octets, %d writes", tt.data, got, w.Sent(), len(sc.writes))
		}
	}
	c, _ := scriptedClient("")
	stop := errors.New("refused")
	calls := 0
	w := NewChunkWriter(context.Background(), c.conn, ChunkOptions{Size: 4, Sent: func(string, bool) error {
		calls++
		return stop
	}})
	if _, err := io.WriteString(w, "abcdefghijkl"); !errors.Is(err, stop) {
		t.Errorf("Write after a refusal: %v", err)
	}
	if err := w.Close(); !errors.Is(err, stop) || calls != 1 || w.Chunks() != 1 {
		t.Errorf("Close: %v after %d calls, %d chunks", err, calls, w.Chunks())
	}
}

// TestSendBDATMemoryBounded: BDAT holds one chunk in memory, whatever the
// message weighs.
func TestSendBDATMemoryBounded(t *testing.T) {
	sink := startSink(t, "SIZE 0", "8BITMIME", "PIPELINING", "CHUNKING")
	path := randomFile(t, t.TempDir(), 5<<20)
	m := &Message{From: &mail.Address{Address: "a@sink.test"}, Subject: "blob", Attachments: []Attachment{{Path: path}}}
	var res SendResult
	peak := peakHeap(func() { res = sinkSend(t, sink, m, func(c *SendConfig) { c.BodyMode = BodyBDAT }) })
	if res.Err != nil || res.Chunks < 6 {
		t.Fatalf("%d chunks: %v", res.Chunks, res.Err)
	}
	if got := sink.sizes(); len(got) != 1 || got[0] != res.Size {
		t.Fatalf("the server got %v bytes, SIZE said %d", got, res.Size)
	}
	t.Logf("5 MiB attachment with BDAT: %d bytes in %d chunks, peak heap growth %.1f MiB", res.Size, res.Chunks, float64(peak)/(1<<20))
	if peak > 4<<20 {
		t.Errorf("peak heap grew %.1f MiB sending 5 MiB with BDAT", float64(peak)/(1<<20))
	}
}

// TestElideBDAT: past Max lines of data, a BDAT transfer shows its first
// chunk's line, the last chunk's line and the final reply, with a note of
// what it hid; a refusal always shows.
func TestElideBDAT(t *testing.T) {
	c := func(s string) wire.Entry { return wire.Entry{Dir: wire.Client, Data: []byte(s)} }
	p := func(s string) wire.Entry { return wire.Entry{Dir: wire.Client, Data: []byte(s), Payload: true} }
	srv := func(s string) wire.Entry { return wire.Entry{Dir: wire.Server, Data: []byte(s)} }
	entries := []wire.Entry{
		c("BDAT 6\r\n"), p("a\r\n"), p("b\r\n"),
		c("BDAT 6\r\n"), p("c\r\n"), p("d\r\n"), srv("250 2.0.0 6 octets\r\n"),
		c("BDAT 6\r\n"), p("e\r\n"), p("f\r\n"), srv("250 2.0.0 6 octets\r\n"),
		c("BDAT 2 LAST\r\n"), p("g\r\n"), srv("451 4.3.0 hiccup\r\n"), srv("554 5.5.0 after a failure\r\n"),
		c("QUIT\r\n"), srv("221 bye\r\n"),
	}
	var got []string
	for _, e := range ElideData(entries, 3) {
		got = append(got, Marker(e)+" "+EntryText(e, false))
	}
	want := []string{
		"C: BDAT 6", "C: a", "C: b", "C: BDAT 6", "C: c",
		"C: BDAT 2 LAST", "S: 451 4.3.0 hiccup",
		"*  … 4 more lines of message data (12 B) not shown, nor 1 BDAT line, nor 2 positive replies to chunks",
		"S: 554 5.5.0 after a failure", "C: QUIT", "S: 221 bye",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// notes joins the notes of a transcript.
func notes(tr *wire.Transcript) string {
	var b strings.Builder
	for _, e := range tr.Entries() {
		if e.Dir == wire.Note {
			b.WriteString(string(e.Data) + "\n")
		}
	}
	return b.String()
}

// TestSendBDATProtocolErrors: a reply with mixed codes (RFC 5321 4.2.1) to
// a chunk is a protocol error at that chunk's step, never a delivery nor
// an unanswered message; a reply more than the chunks sent is a desync,
// which comes before what the replies seemed to say.
func TestSendBDATProtocolErrors(t *testing.T) {
	text := strings.Repeat("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef012345678\r\n", 100) // 7.5 KB: 2 chunks
	for _, tt := range []struct {
		name  string
		chunk int
		reply string
		step  string
		check func(error) bool
	}{
		{"mixed codes, first chunk", 1, "250-2.0.0 ok\r\n554 5.7.1 no", StepData, func(err error) bool { return errors.Is(err, session.ErrMalformedReply) }},
		{"mixed codes, last chunk", 2, "250-2.0.0 queued\r\n554 5.7.1 no", StepDataEnd, func(err error) bool {
			return errors.Is(err, session.ErrMalformedReply) && !errors.As(err, new(*UnansweredError))
		}},
		{"a reply too many after the last", 2, "250 2.0.0 queued\r\n250 2.0.0 and this?", StepDataEnd, func(err error) bool { return errors.As(err, new(*wire.DesyncError)) }},
		{"a reply too many after a chunk", 1, "250 2.0.0 ok\r\n554 5.0.0 this?", StepData, func(err error) bool { return errors.As(err, new(*wire.DesyncError)) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sink := startSink(t, "CHUNKING")
			sink.setChunks(map[int]string{tt.chunk: tt.reply}, 0, false)
			res := sinkSend(t, sink, &Message{From: addr("a@sink.test"), Text: Content{Text: text}},
				func(c *SendConfig) { c.BodyMode, c.ChunkSize = BodyBDAT, 4096 })
			if !isStep(res.Err, tt.step) || !tt.check(res.Err) || res.Delivered() {
				t.Errorf("err %v (delivered %v), want the protocol error at %s", res.Err, res.Delivered(), tt.step)
			}
		})
	}
}

// TestRunChunkDesync: in a script, a reply too many after a chunk's is a
// desync, as after any command.
func TestRunChunkDesync(t *testing.T) {
	c, _ := scriptedClient("250 2.0.0 ok\r\n250 2.0.0 extra\r\n")
	if _, err := c.chunk(context.Background(), "BDAT 2", []byte("hi")); !errors.As(err, new(*wire.DesyncError)) {
		t.Errorf("err %v, want a desync", err)
	}
	c, _ = scriptedClient("250-2.0.0 ok\r\n554 5.0.0 no\r\n")
	if _, err := c.chunk(context.Background(), "BDAT 2 LAST", []byte("hi")); !errors.Is(err, session.ErrMalformedReply) || errors.As(err, new(*UnansweredError)) {
		t.Errorf("mixed codes to the last chunk: %v", err)
	}
}
