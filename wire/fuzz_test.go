package wire

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// chunkReader hands out b at most n bytes per Read, as a server's segments
// would, and remembers how far it got.
type chunkReader struct {
	b   []byte
	n   int
	pos int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if r.pos == len(r.b) {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.n)], r.b[r.pos:])
	r.pos += n
	return n, nil
}

// FuzzReadReply is the oracle of the reply framer (SAFETY.md: frame replies
// with our own bounded reader). Whatever the server sends, in whatever
// segments, under whatever limits:
//   - it never panics and stays within its caps (line, lines, bytes);
//   - a framed reply is well formed: every line but the last continues with
//     '-', the last has SP or nothing after its code, and Raw is exactly
//     the lines with their endings;
//   - what it consumed (the Raw of every reply, good or bad) plus what it
//     left unread (buffered, and still at the source) is the input;
//   - the transcript holds exactly the bytes read from the socket.
func FuzzReadReply(f *testing.F) {
	for _, s := range []string{
		"220 mx.example ESMTP\r\n",
		"250-mx\r\n250-SIZE 1000\r\n250 8BITMIME\r\n221 bye\r\n",
		"25 ok\r\n2500 x\r\nabc\r\n999 x\r\n250ok\r\n250 fine\r\n",
		"250-a\n250-b\r\n251 c\r\n",
		"250 \x1b]52;c;ZXZpbA==\x07\x1b[2J\x00\xff\r\n",
		"220 ready\r\n250 AUTH PLAIN\r\n",
		"250-" + string(bytes.Repeat([]byte("x"), 700)) + "\r\n250 end\r\n",
		"\r\n\n250\r\n",
		"250-a\r\n250-b",
		string(bytes.Repeat([]byte("250-x\r\n"), 40)),
	} {
		f.Add([]byte(s), uint16(0), uint16(0), uint16(0), uint8(0))
		f.Add([]byte(s), uint16(40), uint16(3), uint16(60), uint8(1))
	}
	f.Fuzz(func(t *testing.T, in []byte, maxLine, maxLines, maxReply uint16, chunk uint8) {
		lim := Limits{MaxLine: int(maxLine % 300), MaxLines: int(maxLines % 20), MaxReply: int(maxReply % 2000)}
		src := &chunkReader{b: in, n: 1 + int(chunk%64)}
		c := NewConn(&scriptConn{r: src}, Options{Limits: lim})
		lim = c.opts.Limits
		var consumed []byte
		for i := 0; i <= len(in)+1; i++ {
			r, err := c.ReadReply(ctx)
			checkCaps(t, r, lim)
			consumed = append(consumed, r.Raw...)
			var (
				pe *ProtocolError
				le *LimitError
				ce *ClosedError
			)
			if err == nil {
				checkFramed(t, r)
				continue
			}
			if errors.As(err, &pe) {
				if !bytes.Equal(pe.Bytes, r.Raw) {
					t.Fatalf("ProtocolError bytes %q, reply raw %q", pe.Bytes, r.Raw)
				}
				continue
			}
			if !errors.As(err, &le) && !errors.As(err, &ce) {
				t.Fatalf("unexpected error %v", err)
			}
			break
		}
		buffered, _ := c.br.Peek(c.br.Buffered())
		whole := append(append(consumed, buffered...), in[src.pos:]...)
		if !bytes.Equal(whole, in) {
			t.Fatalf("consumed %q + buffered %q + unread %q != input %q", consumed, buffered, in[src.pos:], in)
		}
		c.Close()
		if got := c.Transcript().Bytes(Server); !bytes.Equal(got, in[:src.pos]) {
			t.Fatalf("transcript %q, read from the socket %q", got, in[:src.pos])
		}
	})
}

// checkCaps fails when a reply, even a partial one, passed a limit.
func checkCaps(t *testing.T, r Reply, lim Limits) {
	t.Helper()
	if len(r.Lines) > lim.MaxLines || len(r.Raw) > lim.MaxReply {
		t.Fatalf("%d lines, %d bytes: past the limits %+v", len(r.Lines), len(r.Raw), lim)
	}
	for _, l := range bytes.SplitAfter(r.Raw, []byte("\n")) {
		if len(l) > lim.MaxLine {
			t.Fatalf("line of %d bytes past MaxLine %d", len(l), lim.MaxLine)
		}
	}
}

// checkFramed fails unless r is one well-formed reply, Raw holding exactly
// its lines.
func checkFramed(t *testing.T, r Reply) {
	t.Helper()
	raw := bytes.SplitAfter(r.Raw, []byte("\n"))
	if len(raw) == 0 || len(raw[len(raw)-1]) != 0 {
		t.Fatalf("raw %q does not end with a line ending", r.Raw)
	}
	raw = raw[:len(raw)-1]
	if len(raw) != len(r.Lines) || len(raw) == 0 {
		t.Fatalf("%d raw lines, %d lines", len(raw), len(r.Lines))
	}
	for i, l := range r.Lines {
		text, _ := trimEOL(raw[i])
		if string(text) != l || len(l) < 3 {
			t.Fatalf("line %d %q, raw %q", i, l, raw[i])
		}
		last := i == len(r.Lines)-1
		switch {
		case !last && (len(l) < 4 || l[3] != '-'):
			t.Fatalf("line %d %q does not continue the reply", i, l)
		case last && len(l) > 3 && l[3] != ' ':
			t.Fatalf("last line %q does not end the reply", l)
		}
	}
}
