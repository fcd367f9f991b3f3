package lab

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// ConnInfo names one connection, for Config.OpenLog.
type ConnInfo struct {
	Endpoint string    // "mx"
	Remote   string    // the client's address, "127.0.0.1:54321"
	Start    time.Time // when it was accepted
}

// connLog writes one connection's server-side transcript: "C:" for what
// the client sent, "S:" for the replies, "*" for the lab's own notes,
// each line after the time since the connection began. Credentials are
// redacted (the AUTH line's argument, and every client line until AUTH's
// final reply) unless secrets is set. A nil *connLog writes nothing.
// Errors are dropped after the first: the session goes on without its log.
type connLog struct {
	mu      sync.Mutex
	w       io.WriteCloser
	start   time.Time
	secrets bool
	octets  int // BDAT octets not written out, for the next note
	err     error
}

func newConnLog(w io.WriteCloser, info ConnInfo, secrets bool) *connLog {
	l := &connLog{w: w, start: info.Start, secrets: secrets}
	l.printf("* ehlo lab: %s, connection from %s at %s", info.Endpoint, info.Remote, info.Start.UTC().Format(time.RFC3339))
	if !secrets {
		l.printf("* credentials are redacted (ehlo lab --log-secrets keeps them)")
	}
	return l
}

func (l *connLog) printf(format string, args ...any) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return
	}
	_, l.err = fmt.Fprintf(l.w, "%8.3f "+format+"\n", append([]any{time.Since(l.start).Seconds()}, args...)...)
}

// client logs a client line; secret when inside an AUTH exchange.
func (l *connLog) client(line []byte, secret bool) {
	if l == nil {
		return
	}
	l.flushPayload()
	text := shown(line)
	if !l.secrets {
		text = redact(text, secret)
	}
	l.printf("C: %s", text)
}

// server logs reply lines.
func (l *connLog) server(b []byte) {
	if l == nil {
		return
	}
	l.flushPayload()
	for _, line := range strings.SplitAfter(string(b), "\n") {
		if line != "" {
			l.printf("S: %s", shown([]byte(line)))
		}
	}
}

// note logs a remark of the lab's.
func (l *connLog) note(text string) { l.printf("* %s", text) }

// payload counts BDAT octets, logged as a count.
func (l *connLog) payload(n int) {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.octets += n
	l.mu.Unlock()
}

func (l *connLog) flushPayload() {
	l.mu.Lock()
	n := l.octets
	l.octets = 0
	l.mu.Unlock()
	if n > 0 {
		l.printf("C: (%d octets of BDAT data)", n)
	}
}

// close writes the verdict, if any, and closes the file.
func (l *connLog) close(verdict string) {
	if l == nil {
		return
	}
	l.flushPayload()
	if verdict != "" {
		l.printf("* verdict: %s", verdict)
	}
	l.printf("* connection closed")
	l.mu.Lock()
	defer l.mu.Unlock()
	_ = l.w.Close()
}

// redact hides credentials: an AUTH line keeps its mechanism, a line
// inside the exchange (secret) is hidden whole.
func redact(text string, secret bool) string {
	if secret {
		return "<redacted>"
	}
	f := strings.Fields(text)
	if len(f) >= 3 && strings.EqualFold(f[0], "AUTH") {
		return f[0] + " " + f[1] + " <redacted>"
	}
	return text
}

// shown is a line as logged: CRLF as is left out, a bare LF or CR shown
// as \n or \r, and every byte that is not printable ASCII or valid UTF-8
// escaped, so that the log never carries a terminal escape.
func shown(line []byte) string {
	var b strings.Builder
	s := string(line)
	end := ""
	switch {
	case strings.HasSuffix(s, "\r\n"):
		s = s[:len(s)-2]
	case strings.HasSuffix(s, "\n"):
		s, end = s[:len(s)-1], `\n`
	}
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[0])
		case r == '\\':
			b.WriteString(`\\`)
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			fmt.Fprintf(&b, `\x%02x`, r)
		case r == 0x200b || r == 0x200e || r == 0x200f || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0xfeff:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
		s = s[n:]
	}
	return b.String() + end
}
