package ui

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"time"

	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/wire"
)

// This file holds every command that touches the connection. Each one
// performs a single operation on values it was given when Update built it,
// and returns a message stamped with the connection's generation; Update
// drops the messages of a connection it has since left. wire.Conn allows
// one operation at a time, so Update runs at most one of these at once,
// wrapped in recordedCmd so the lines it sent and read come with it.

// link is the part of *wire.Conn the explorer drives. Tests put a scripted
// fake in its place.
type link interface {
	WriteLine(ctx context.Context, line string) error
	WriteSecretLine(ctx context.Context, line, shown string, forms ...string) error
	WriteLines(ctx context.Context, lines []string) error
	WriteRaw(ctx context.Context, p []byte) error
	WriteChunk(ctx context.Context, p []byte, head, keep int) error
	ReadReply(ctx context.Context) (wire.Reply, error)
	CheckIdle(ctx context.Context) error
	WaitReadable(ctx context.Context) error
	StartTLS(ctx context.Context) (wire.TLSInfo, error)
	TLS() (wire.TLSInfo, bool)
	Addr() string
	LocalAddr() string
	Note(text string)
	Close() error
}

// dialFunc opens a link; wireDial is the real one.
type dialFunc func(ctx context.Context, target string, opts wire.Options) (link, error)

func wireDial(ctx context.Context, target string, opts wire.Options) (link, error) {
	c, err := wire.Dial(ctx, target, opts)
	if err != nil {
		return nil, err // not a typed nil inside the interface
	}
	return c, nil
}

// dialedMsg reports a finished dial (and, for implicit TLS, handshake).
type dialedMsg struct {
	gen  int
	link link
	err  error
}

// wroteMsg reports a finished write.
type wroteMsg struct {
	gen int
	err error
}

// replyMsg carries one reply, or why none came.
type replyMsg struct {
	gen   int
	reply wire.Reply
	err   error
	at    time.Time // when the reply was complete
}

// listenMsg reports the end of a wait on the idle connection: nil when
// the server spoke, or why it ended.
type listenMsg struct {
	gen  int
	err  error
	from int // the transcript's length when the wait began: what follows, no command asked for
}

// tlsMsg reports the end of a STARTTLS handshake.
type tlsMsg struct {
	gen  int
	info wire.TLSInfo
	err  error
}

// entriesMsg carries the transcript entries recorded since the last batch:
// one message per wake-up of the watcher, however many lines arrived.
type entriesMsg struct {
	entries []wire.Entry
}

// linkMsg is the message of a command that drove the link, with the
// transcript entries recorded by the time it finished. Update shows the
// entries before it applies msg, so the pane never lags the state that
// its lines led to: a 235 is on screen when "authenticated" is.
type linkMsg struct {
	msg     tea.Msg
	entries []wire.Entry
}

// tickMsg refreshes the spinner and the elapsed time of a wait.
type tickMsg struct{}

// writeReq is what one write puts on the wire.
type writeReq struct {
	line   string   // a line, sent with CRLF
	lines  []string // when set, a pipelined group instead of line: each with CRLF, in one write (RFC 2920)
	shown  string   // for a secret line: what the transcript shows instead
	forms  []string // for a secret line: its credential as a server might echo it, hidden too
	secret bool
	raw    []byte // when set, exact bytes instead of line (compose)
	chunk  []byte // when set, a BDAT chunk instead of line: its line (head octets with CRLF), then its octets, all recorded
	head   int
	// idle: no reply is due before this write, so bytes from the server
	// waiting now answer nothing: wire.Conn.CheckIdle first, and nothing
	// is written after a desync
	idle bool
}

// dialCmd connects to target; ctx carries the deadline and Esc's cancel.
func dialCmd(ctx context.Context, gen int, dial dialFunc, target string, opts wire.Options) tea.Cmd {
	return func() tea.Msg {
		l, err := dial(ctx, target, opts)
		return dialedMsg{gen: gen, link: l, err: err}
	}
}

// writeCmd performs one write, after checking, when no reply is due, that
// the server has said nothing meanwhile; ctx carries its absolute deadline.
func writeCmd(ctx context.Context, gen int, l link, req writeReq) tea.Cmd {
	return func() tea.Msg {
		if req.idle {
			if err := l.CheckIdle(ctx); err != nil {
				return wroteMsg{gen: gen, err: err}
			}
		}
		var err error
		switch {
		case req.raw != nil:
			err = l.WriteRaw(ctx, req.raw)
		case req.chunk != nil:
			err = l.WriteChunk(ctx, req.chunk, req.head, len(req.chunk)-req.head) // all of it: a saved script replays it
		case req.lines != nil:
			err = l.WriteLines(ctx, req.lines)
		case req.secret:
			err = l.WriteSecretLine(ctx, req.line, req.shown, req.forms...)
		default:
			err = l.WriteLine(ctx, req.line)
		}
		return wroteMsg{gen: gen, err: err}
	}
}

// readCmd reads one reply; ctx carries the wait's absolute deadline and
// the cancel that Esc calls. When it is the last reply due (last), it then
// checks that nothing came after it: bytes there answer no command, and
// the reply comes back with the wire.DesyncError.
func readCmd(ctx context.Context, gen int, l link, last bool) tea.Cmd {
	return func() tea.Msg {
		r, err := l.ReadReply(ctx)
		at := time.Now()
		if err == nil && last {
			err = l.CheckIdle(ctx)
		}
		return replyMsg{gen: gen, reply: r, err: err, at: at}
	}
}

// listenCmd waits, while nothing is due, for the server to speak or
// close; cancelling ctx ends the wait so a command can be written, unless
// the server spoke first (wire.Conn.WaitReadable).
func listenCmd(ctx context.Context, gen int, l link, t *wire.Transcript) tea.Cmd {
	return func() tea.Msg {
		from := t.Len() // the replies read are all in: what comes now is unasked
		return listenMsg{gen: gen, err: l.WaitReadable(ctx), from: from}
	}
}

// caLoadedMsg carries the files :connect named (--ca, --cert, --key),
// read, with the connection they are for.
type caLoadedMsg struct {
	req     int // Model.caLoads when asked: a later :connect makes it stale
	given   string
	file    string         // the CA file as an absolute path, for a script's replay line; "" without --ca
	target  string         // where to connect
	opts    client.Options // the connection's options: the CA pool in RootCAs, the client certificate
	err     error
	certErr bool // err is the client certificate's, already in words
}

// loadConnectCmd reads the CA file (PEM) and the client certificate and
// key :connect named; "~/" is the home directory, as a shell would have
// it.
func loadConnectCmd(req int, r connectReq) tea.Cmd {
	return func() tea.Msg {
		msg := caLoadedMsg{req: req, given: r.ca, target: r.target, opts: r.opts}
		if r.cert != "" {
			pair, err := client.LoadClientCert(homePath(r.cert), homePath(r.key))
			if err != nil {
				msg.err, msg.certErr = err, true
				return msg
			}
			msg.opts.TLS.Wire.Certificate = &pair
		}
		if r.ca == "" {
			return msg
		}
		msg.file = homePath(r.ca)
		if abs, err := filepath.Abs(msg.file); err == nil {
			msg.file = abs
		}
		msg.opts.RootCAs, msg.err = client.LoadCA(msg.file)
		return msg
	}
}

// homePath reads a leading "~/" as the home directory; "" stays "".
func homePath(file string) string {
	if rest, ok := strings.CutPrefix(file, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	return file
}

// startTLSCmd runs the handshake after a 220 to STARTTLS (RFC 3207 section 4).
func startTLSCmd(ctx context.Context, gen int, l link) tea.Cmd {
	return func() tea.Msg {
		info, err := l.StartTLS(ctx)
		return tlsMsg{gen: gen, info: info, err: err}
	}
}

// closedMsg reports a link that closeCmd closed.
type closedMsg struct{ link link }

// closeCmd closes a link; nothing waits for the answer. The model keeps
// the link (Model.retire) until closedMsg, so that Close can still close it
// if the program quits before the command runs.
func closeCmd(l link) tea.Cmd {
	if l == nil {
		return nil
	}
	return func() tea.Msg {
		_ = l.Close()
		return closedMsg{link: l}
	}
}

// noteCmd records the explorer's own remarks in the transcript, in order:
// through the link when there is one, so a note inside TLS is marked so.
func noteCmd(note func(string), notes []string) tea.Cmd {
	return func() tea.Msg {
		for _, n := range notes {
			note(n)
		}
		return nil
	}
}

// watchCmd waits for the transcript to change and returns everything from
// seq on, so a burst of lines costs one message. It ends with no message
// once the watch is cancelled (Model.Close).
func watchCmd(changed <-chan struct{}, t *wire.Transcript, seq int) tea.Cmd {
	return func() tea.Msg {
		if _, ok := <-changed; !ok {
			return nil
		}
		return entriesMsg{entries: t.Since(seq)}
	}
}

// recordedCmd runs cmd, then reads the entries recorded from seq on: the
// link records what it sends and reads before it returns, so they hold
// every line of the exchange.
func recordedCmd(t *wire.Transcript, seq int, cmd tea.Cmd) tea.Cmd {
	return func() tea.Msg {
		msg := cmd()
		return linkMsg{msg: msg, entries: t.Since(seq)}
	}
}

// tickCmd schedules the next spinner frame.
func tickCmd() tea.Cmd {
	return tea.Tick(100*time.Millisecond, func(time.Time) tea.Msg { return tickMsg{} })
}
