package client

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

// Span is one step of a session on its timeline: the TCP connect, the
// greeting, the TLS handshake, or one command and its reply.
type Span struct {
	Label string        // "connect", "greeting", "TLS handshake", "EHLO", "AUTH PLAIN", "message"...
	Start time.Duration // since the start of the timeline
	Took  time.Duration
	// Wait is the part of Took in which the server waited for the client:
	// between a 334 and the answer to it in an AUTH exchange, between the
	// lines of a message. Typed by hand, it is the user's typing.
	Wait time.Duration
	TLS  bool // the step's last bytes travelled inside TLS
}

// End is when the span ends, since the start of the timeline.
func (s Span) End() time.Duration { return s.Start + s.Took }

// Timeline reads the steps of a session from its transcript entries, as
// recorded by package wire: "connected to" notes start a connection
// (several may follow each other), the TLS handshake notes end a
// handshake, each command is paired with the end of its reply (pipelined
// commands in order, RFC 2920), an AUTH exchange is one span until its
// final reply, and the message lines after 354 are one "message" span up to
// the reply to ".", and a note holding "no greeting" ends a wait for the
// greeting. A step's Wait is the time inside it when the client had the
// turn. start is when the first connection was dialled; zero starts the
// timeline at the first entry, without a connect span.
func Timeline(entries []wire.Entry, start time.Time) []Span {
	if len(entries) == 0 {
		return nil
	}
	tl := timeline{origin: start, mark: start}
	if start.IsZero() {
		tl.origin = entries[0].Time
	}
	for _, e := range entries {
		tl.add(e)
	}
	return tl.spans
}

// timeline is the state of Timeline's walk over the entries.
type timeline struct {
	origin, mark time.Time // mark: the last point a connect may start from
	spans        []Span
	pending      []step    // commands awaiting their replies, oldest first
	greetFrom    time.Time // non-zero while a greeting is awaited
	tlsFrom      time.Time // non-zero while a handshake runs
	inAuth       bool      // an AUTH exchange is open: client lines are its secret responses
	inData       bool      // after 354: client lines are the message
	bodyFrom     time.Time
	bodyLast     time.Time     // the message's latest line
	bodyWait     time.Duration // between its lines
	turn         time.Time     // a 334 of the open AUTH exchange: the client's turn since
}

type step struct {
	label string
	from  time.Time
	wait  time.Duration // the client's turns inside the step
}

func (tl *timeline) span(label string, from, to time.Time, inTLS bool) {
	tl.waited(label, from, to, 0, inTLS)
}

// waited adds a span of which wait was the client's time.
func (tl *timeline) waited(label string, from, to time.Time, wait time.Duration, inTLS bool) {
	if from.IsZero() || to.Before(from) {
		from = to
	}
	took := to.Sub(from)
	tl.spans = append(tl.spans, Span{Label: label, Start: from.Sub(tl.origin), Took: took, Wait: min(wait, took), TLS: inTLS})
}

func (tl *timeline) add(e wire.Entry) {
	switch e.Dir {
	case wire.Note:
		tl.note(e)
	case wire.Client:
		tl.client(e)
	case wire.Server:
		tl.server(e)
	}
}

// note handles wire's "connected to ADDR" and TLS handshake notes, and a
// note saying "no greeting" (doctor's) while a greeting is awaited.
func (tl *timeline) note(e wire.Entry) {
	text := string(e.Data)
	switch {
	case strings.HasPrefix(text, "connected to "):
		if !tl.mark.IsZero() {
			tl.span("connect", tl.mark, e.Time, false)
		}
		tl.greetFrom, tl.tlsFrom, tl.pending, tl.inAuth, tl.inData = e.Time, e.Time, nil, false, false
		tl.turn, tl.bodyFrom, tl.bodyWait = time.Time{}, time.Time{}, 0
	case strings.HasPrefix(text, "TLS handshake failed"):
		tl.span("TLS handshake (failed)", tl.tlsFrom, e.Time, false)
		tl.tlsFrom, tl.greetFrom = time.Time{}, time.Time{}
	case strings.HasPrefix(text, "TLS") && strings.Contains(text, " handshake with "):
		tl.span("TLS handshake", tl.tlsFrom, e.Time, true)
		tl.tlsFrom = time.Time{}
		if !tl.greetFrom.IsZero() {
			tl.greetFrom = e.Time // implicit TLS: the greeting comes after the handshake
		}
	case !tl.greetFrom.IsZero() && strings.Contains(text, "no greeting"):
		tl.span("no greeting", tl.greetFrom, e.Time, e.TLS)
		tl.greetFrom = time.Time{}
	}
	tl.mark = e.Time
}

func (tl *timeline) client(e wire.Entry) {
	tl.greetFrom = time.Time{}
	switch {
	case tl.inData:
		if tl.bodyFrom.IsZero() {
			tl.bodyFrom = e.Time
		} else {
			tl.bodyWait += e.Time.Sub(tl.bodyLast)
		}
		tl.bodyLast = e.Time
		if content, _ := SplitEnding(e.Data); string(content) == "." {
			tl.pending = append(tl.pending, step{"message", tl.bodyFrom, tl.bodyWait})
			tl.inData, tl.bodyFrom, tl.bodyWait = false, time.Time{}, 0
		}
	case tl.inAuth:
		// a response of the open AUTH exchange: the client's turn ends
		if len(tl.pending) > 0 && !tl.turn.IsZero() {
			tl.pending[len(tl.pending)-1].wait += e.Time.Sub(tl.turn)
		}
		tl.turn = time.Time{}
	default:
		label := spanLabel(EntryText(e, false))
		tl.pending = append(tl.pending, step{label: label, from: e.Time})
		tl.inAuth = strings.HasPrefix(label, "AUTH")
	}
}

// server ends the awaited greeting or the oldest pending command at the
// last line of a reply (RFC 5321 4.2: a code followed by SP or nothing).
func (tl *timeline) server(e wire.Entry) {
	content, partial := SplitEnding(e.Data)
	if partial || (len(content) >= 4 && content[3] == '-') {
		return
	}
	code := string(content[:min(3, len(content))])
	switch {
	case !tl.greetFrom.IsZero():
		tl.span("greeting", tl.greetFrom, e.Time, e.TLS)
		tl.greetFrom = time.Time{}
	case len(tl.pending) > 0:
		tl.reply(code, e)
	}
}

// reply ends the oldest pending command, unless it is AUTH and the server
// asks for more (334).
func (tl *timeline) reply(code string, e wire.Entry) {
	s := tl.pending[0]
	if strings.HasPrefix(s.label, "AUTH") && code == "334" {
		tl.turn = e.Time
		return
	}
	tl.pending = tl.pending[1:]
	tl.waited(s.label, s.from, e.Time, s.wait, e.TLS)
	switch {
	case strings.HasPrefix(s.label, "AUTH"):
		tl.inAuth = false
	case s.label == "DATA" && code == "354":
		tl.inData = true
	case s.label == "STARTTLS" && code == "220":
		tl.tlsFrom = e.Time
	}
}

// spanLabel names a command for the waterfall: its verb, with FROM and TO
// for MAIL and RCPT, and the mechanism for AUTH.
func spanLabel(line string) string {
	f := strings.Fields(line)
	if len(f) == 0 {
		return "(empty)"
	}
	verb := strings.ToUpper(f[0])
	switch {
	case verb == "MAIL":
		return "MAIL FROM"
	case verb == "RCPT":
		return "RCPT TO"
	case verb == "AUTH" && len(f) > 1:
		return "AUTH " + strings.ToUpper(f[1])
	}
	return verb
}

// WaterfallOptions shape WriteWaterfall's bars.
type WaterfallOptions struct {
	Width  int  // columns for the bars; 0 means 40
	ASCII  bool // draw with '#' instead of the full block
	Labels int  // columns for the labels; 0 means 14
}

// WriteWaterfall draws spans as bars on a common time axis, one row per
// span with its duration, so that a slow greeting or a tarpit is seen:
//
//	connect        █                                         0.3ms
//	greeting        ████████████████████████████            1.20s
//
// Labels are ehlo's own; nothing here is server text.
func WriteWaterfall(w io.Writer, spans []Span, o WaterfallOptions) {
	if len(spans) == 0 {
		return
	}
	width := o.Width
	if width <= 0 {
		width = 40
	}
	bar := "█"
	if o.ASCII {
		bar = "#"
	}
	total := spans[0].End()
	for _, s := range spans {
		total = max(total, s.End())
	}
	labels := o.Labels
	if labels <= 0 {
		labels = 14
	}
	for _, s := range spans {
		from, n := barCells(s, total, width)
		fmt.Fprintf(w, "  %-*s %s%s%s %s\n", labels, s.Label, strings.Repeat(" ", from), strings.Repeat(bar, n),
			strings.Repeat(" ", width-from-n), spanTime(s.Took))
	}
	fmt.Fprintf(w, "  %-*s %s\n", labels, "total", spanTime(total))
}

// spanTime is session.Millis, with "<0.1ms" rather than "0.0ms".
func spanTime(d time.Duration) string {
	if d < 100*time.Microsecond {
		return "<0.1ms"
	}
	return session.Millis(d)
}

// barCells places a span on width cells: where its bar starts and how
// long it is, at least one cell.
func barCells(s Span, total time.Duration, width int) (from, n int) {
	if total <= 0 {
		return 0, 1
	}
	from = int(int64(width) * int64(s.Start) / int64(total))
	end := int((int64(width)*int64(s.End()) + int64(total) - 1) / int64(total))
	from = min(from, width-1)
	n = max(1, min(end, width)-from)
	return from, n
}

// UTF8Locale reports whether the locale in the environment (LC_ALL,
// LC_CTYPE, LANG, the first one set) says UTF-8, so that block characters
// display; otherwise draw WaterfallOptions.ASCII bars.
func UTF8Locale() bool {
	for _, k := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
		if v := os.Getenv(k); v != "" {
			v = strings.ToLower(v)
			return strings.Contains(v, "utf-8") || strings.Contains(v, "utf8")
		}
	}
	return false
}

// SpansJSON converts spans for JSON output, in milliseconds.
func SpansJSON(spans []Span) []SpanJSON {
	out := make([]SpanJSON, 0, len(spans))
	for _, s := range spans {
		out = append(out, SpanJSON{Label: s.Label, StartMS: ms(s.Start), TookMS: ms(s.Took), TLS: s.TLS})
	}
	return out
}

// SpanJSON is one span of the timeline in JSON.
type SpanJSON struct {
	Label   string  `json:"label"`
	StartMS float64 `json:"start_ms"`
	TookMS  float64 `json:"took_ms"`
	TLS     bool    `json:"tls"`
}

func ms(d time.Duration) float64 {
	return float64(d.Round(time.Microsecond)) / float64(time.Millisecond)
}
