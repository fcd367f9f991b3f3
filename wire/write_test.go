package wire

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestWriteLineRefusesCRLF(t *testing.T) {
	for _, line := range []string{
		"MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>",
		"NOOP\n",
		"NOOP\r",
		"\r\n.\r\n",
	} {
		c, sc := replyConn("250 ok\r\n", Options{})
		if err := c.WriteLine(ctx, line); !errors.Is(err, ErrBadLine) {
			t.Errorf("WriteLine(%q) = %v, want ErrBadLine", line, err)
		}
		if err := c.WriteSecretLine(ctx, line, "AUTH PLAIN <redacted>"); !errors.Is(err, ErrBadLine) {
			t.Errorf("WriteSecretLine(%q) = %v, want ErrBadLine", line, err)
		}
		if _, err := c.Exchange(ctx, line); !errors.Is(err, ErrBadLine) {
			t.Errorf("Exchange(%q) = %v, want ErrBadLine", line, err)
		}
		if got := sc.written(); got != "" || c.Transcript().Len() != 0 {
			t.Errorf("%q: wrote %q and recorded %d entries, want nothing", line, got, c.Transcript().Len())
		}
	}
}

func TestWrites(t *testing.T) {
	c, sc := replyConn("250 ok\r\n", Options{})
	if err := c.WriteLine(ctx, "NOOP"); err != nil {
		t.Fatal(err)
	}
	if err := c.WriteSecretLine(ctx, "AUTH PLAIN AGFsaWNlAHNlY3JldA==", "AUTH PLAIN <redacted user=\"alice\">"); err != nil {
		t.Fatal(err)
	}
	if err := c.WriteRaw(ctx, []byte("Subject: x\n\r\nbody\r\n.\r\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exchange(ctx, "QUIT"); err != nil {
		t.Fatal(err)
	}
	const wantWire = "NOOP\r\nAUTH PLAIN AGFsaWNlAHNlY3JldA==\r\nSubject: x\n\r\nbody\r\n.\r\nQUIT\r\n"
	if got := sc.written(); got != wantWire {
		t.Errorf("wrote %q\nwant  %q", got, wantWire)
	}
	const want = `C    "NOOP\r\n"
C  ! "AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n" shown "AUTH PLAIN <redacted user=\"alice\">"
C    "Subject: x\n"
C    "\r\n"
C    "body\r\n"
C    ".\r\n"
C    "QUIT\r\n"
S    "250 ok\r\n"
`
	if got := render(c.Transcript().Entries()); got != want {
		t.Errorf("transcript:\n%s\nwant:\n%s", got, want)
	}
}

// countingConn counts the writes that reach the socket.
type countingConn struct {
	*scriptConn
	writes int
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.writes++
	return c.scriptConn.Write(p)
}

func TestWriteLinesIsOneWrite(t *testing.T) {
	cc := &countingConn{scriptConn: &scriptConn{r: strings.NewReader("")}}
	c := NewConn(cc, Options{})
	group := []string{"MAIL FROM:<a@example.com>", "RCPT TO:<b@example.com>", "RCPT TO:<c@example.com>", "DATA"}
	if err := c.WriteLines(ctx, group); err != nil {
		t.Fatal(err)
	}
	if cc.writes != 1 {
		t.Errorf("%d writes for a pipelined group, want 1 (RFC 2920)", cc.writes)
	}
	const want = "MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nRCPT TO:<c@example.com>\r\nDATA\r\n"
	if got := cc.written(); got != want {
		t.Errorf("wrote %q, want %q", got, want)
	}
	if n := c.Transcript().Len(); n != len(group) {
		t.Errorf("%d transcript entries, want one per line", n)
	}
	if err := c.WriteLines(ctx, []string{"NOOP", "RSET\r\nQUIT"}); !errors.Is(err, ErrBadLine) {
		t.Errorf("a line with CRLF: %v, want ErrBadLine", err)
	}
	if cc.writes != 1 {
		t.Error("a refused group wrote something")
	}
}

// TestWriteChunk: a BDAT line and its octets go in one write; the line is
// a command entry, the octets Payload entries ending where the chunk ends,
// so the next command is an entry of its own; past keep, nothing is
// recorded.
func TestWriteChunk(t *testing.T) {
	cc := &countingConn{scriptConn: &scriptConn{r: strings.NewReader("")}}
	c := NewConn(cc, Options{})
	if err := c.WriteChunk(ctx, []byte("BDAT 10\r\nab\r\ncdefgh"), 9, 10); err != nil {
		t.Fatal(err)
	}
	if err := c.WriteChunk(ctx, []byte("BDAT 8 LAST\r\nij\r\nklmn"), 13, 5); err != nil {
		t.Fatal(err)
	}
	if err := c.WriteLine(ctx, "QUIT"); err != nil {
		t.Fatal(err)
	}
	if cc.writes != 3 {
		t.Errorf("%d writes, want one per chunk and one for QUIT", cc.writes)
	}
	if got, want := cc.written(), "BDAT 10\r\nab\r\ncdefghBDAT 8 LAST\r\nij\r\nklmnQUIT\r\n"; got != want {
		t.Errorf("wrote %q, want %q", got, want)
	}
	type rec struct {
		data             string
		payload, partial bool
	}
	want := []rec{
		{"BDAT 10\r\n", false, false}, {"ab\r\n", true, false}, {"cdefgh", true, true},
		{"BDAT 8 LAST\r\n", false, false}, {"ij\r\n", true, false}, {"k", true, true},
		{"QUIT\r\n", false, false},
	}
	var got []rec
	for _, e := range c.Transcript().Entries() {
		got = append(got, rec{string(e.Data), e.Payload, e.Partial})
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("transcript:\n%+v\nwant\n%+v", got, want)
	}
	for _, bad := range []struct {
		p    string
		head int
	}{{"BDAT 3\r\nabc", 6}, {"BDAT\r\n3\r\nabc", 9}, {"BDAT 3\nabc", 7}, {"x", 5}} {
		if err := c.WriteChunk(ctx, []byte(bad.p), bad.head, 0); !errors.Is(err, ErrBadLine) {
			t.Errorf("WriteChunk(%q, %d) = %v, want ErrBadLine", bad.p, bad.head, err)
		}
	}
	if cc.writes != 3 {
		t.Error("a refused chunk was written")
	}
}
