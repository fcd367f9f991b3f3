package client

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

// ScriptHeader is what a saved script says about where it ran.
type ScriptHeader struct {
	Target string // "host:port"
	Lab    string // the lab endpoint, when the session ran on the built-in lab
	Flags  string // what ehlo run needs besides FILE to replay it, such as "--ca FILE --servername NAME"
	Saved  time.Time
}

// WriteScript writes the last session of a transcript (from its last
// "connected to" note) as a script for `ehlo run`: each command followed
// by an expect of the code it got, message lines as sent (dot-stuffed, as
// on the wire), and no secret. An AUTH exchange becomes ":auth MECH USER",
// which uses the placeholder {{password}}; a line typed by hand during an
// AUTH exchange becomes a placeholder {{authN}}. A BDAT chunk is its line
// followed by its octets as they are, then a line end (RFC 3030): what
// ehlo run sends back byte for byte. Pipelined commands are written one
// after the other, each with its expect. It returns the number of lines
// written.
func WriteScript(w io.Writer, entries []wire.Entry, h ScriptHeader) (int, error) {
	sw := &scriptWriter{}
	for _, e := range lastSession(entries) {
		sw.entry(e)
	}
	lines := append(sw.header(h), sw.lines()...)
	for _, l := range lines {
		if _, err := io.WriteString(w, l+"\n"); err != nil {
			return 0, err
		}
	}
	return len(lines), nil
}

func lastSession(entries []wire.Entry) []wire.Entry {
	for i := len(entries) - 1; i >= 0; i-- {
		if entries[i].Dir == wire.Note && bytes.HasPrefix(entries[i].Data, []byte("connected to ")) {
			return entries[i:]
		}
	}
	return entries
}

// scriptSlot is one command of the script with the expect of its reply.
type scriptSlot struct {
	lines  []string
	expect string
	auth   bool // an :auth exchange: its 334s and responses are not written
	verb   string
	chunk  *chunkSlot
}

// chunkSlot is a BDAT chunk's octets, written after its line as they are.
type chunkSlot struct {
	size int64
	data []byte
}

// text is the slot's lines: a chunk's line, its octets, then the line end
// the script needs after them. A chunk not recorded whole cannot replay:
// a comment says so, and ehlo run refuses its count.
func (s *scriptSlot) text() []string {
	if s.chunk == nil {
		return s.lines
	}
	var out []string
	if got := int64(len(s.chunk.data)); got != s.chunk.size {
		out = append(out, fmt.Sprintf("# only %d of the %d octets of this chunk were recorded: it cannot replay", got, s.chunk.size))
	}
	return append(append(out, s.lines...), string(s.chunk.data))
}

// scriptWriter turns transcript entries into slots.
type scriptWriter struct {
	slots    []*scriptSlot
	pending  []*scriptSlot // commands awaiting their reply, oldest first
	reply    []byte        // the reply being assembled
	held     [2][]byte     // a line cut into partial entries, per direction
	inData   bool
	content  []string
	chunk    *chunkSlot // the BDAT chunk whose octets come now
	implicit bool
	seen     bool
	authN    int
	authUser string // from an AuthUserNote, for the AUTH line after it
}

// AuthUserNote is the note the explorer writes before an AUTH line that
// carries no user name (LOGIN and CRAM-MD5 send it in a response), so that
// the transcript says who signs in and a saved script's :auth names them.
func AuthUserNote(mech, user string) string {
	return "AUTH " + mech + " as " + user + authUserNoteEnd
}

const authUserNoteEnd = " (the user name goes in a response)"

// authUserOf reads an AuthUserNote's user name; "" when note is none.
func authUserOf(note string) string {
	rest, ok := strings.CutPrefix(note, "AUTH ")
	if !ok {
		return ""
	}
	rest, ok = strings.CutSuffix(rest, authUserNoteEnd)
	if _, user, found := strings.Cut(rest, " as "); ok && found {
		return user
	}
	return ""
}

func (sw *scriptWriter) header(h ScriptHeader) []string {
	if h.Saved.IsZero() {
		h.Saved = time.Now()
	}
	out := []string{
		"# ehlo session script, saved " + h.Saved.Format(time.RFC3339),
		"# replay with: ehlo run FILE" + strings.TrimRight(" "+h.Flags, " ") + "   (placeholders such as {{password}} are asked for on the",
		"# terminal, or read from EHLO_PASSWORD and EHLO_VAR_<NAME>)",
	}
	switch {
	case h.Lab != "":
		out = append(out, "# lab: "+h.Lab)
	case h.Target != "":
		out = append(out, "# target: "+scriptText(h.Target))
	}
	if sw.implicit {
		out = append(out, "# tls: implicit")
	}
	return out
}

func (sw *scriptWriter) lines() []string {
	var out []string
	for _, s := range sw.slots {
		out = append(out, s.text()...)
		if s.expect != "" {
			out = append(out, "expect "+s.expect)
		}
	}
	return out
}

// entry takes one transcript entry, joining the pieces of a long line.
func (sw *scriptWriter) entry(e wire.Entry) {
	if e.Dir == wire.Note || e.Dir == wire.DNS {
		if u := authUserOf(string(e.Data)); e.Dir == wire.Note && u != "" {
			sw.authUser = u
		}
		if !sw.inData && !sw.dataPending() {
			sw.slots = append(sw.slots, &scriptSlot{lines: []string{"# " + dnsMarker(e) + EntryText(e, false)}})
		}
		return
	}
	if !sw.seen {
		sw.seen, sw.implicit = true, e.TLS
	}
	if e.Dir == wire.Client && e.Payload { // a BDAT chunk's octets, as they are (RFC 3030)
		if sw.chunk != nil {
			sw.chunk.data = append(sw.chunk.data, e.Data...)
		}
		return
	}
	d := 0
	if e.Dir == wire.Server {
		d = 1
	}
	if e.Partial && !e.Secret && !bytes.HasSuffix(e.Data, []byte("\n")) && len(e.Data) >= 4096 {
		sw.held[d] = append(sw.held[d], e.Data...)
		return
	}
	data := append(sw.held[d], e.Data...)
	sw.held[d] = nil
	if e.Dir == wire.Server {
		sw.server(data)
		return
	}
	sw.client(e, data)
}

// dnsMarker is "D: " for a DNS entry, which a script keeps as a comment.
func dnsMarker(e wire.Entry) string {
	if e.Dir == wire.DNS {
		return "D: "
	}
	return ""
}

func (sw *scriptWriter) client(e wire.Entry, data []byte) {
	text, _ := SplitEnding(data)
	text = bytes.TrimSuffix(text, []byte("\n"))
	sw.chunk = nil
	switch {
	case sw.inData && string(text) == ".":
		sw.inData = false
		sw.push(&scriptSlot{lines: append(sw.content, "."), verb: "."})
		sw.content = nil
	case sw.inData: // as on the wire, dot-stuffed: a script's message lines are (RFC 5321 4.5.2)
		sw.content = append(sw.content, scriptText(string(text)))
	case len(sw.pending) > 0 && sw.pending[0].auth:
		// a response inside an :auth exchange: :auth makes it again
	case e.Secret:
		sw.secret(e.Shown)
	default:
		line := scriptText(string(text))
		slot := &scriptSlot{lines: []string{line}, verb: session.Verb(line)}
		if size, _, err := session.ParseBdat(line); err == nil {
			sw.chunk = &chunkSlot{size: size}
			slot.chunk = sw.chunk
		}
		sw.push(slot)
	}
}

// secret turns a secret line into :auth or a placeholder.
func (sw *scriptWriter) secret(shown string) {
	mech, user, ok := parseShownAuth(shown)
	if user == "" {
		user = sw.authUser // named by the note before the line
	}
	sw.authUser = ""
	if ok {
		if session.Speaks(mech) {
			if user == "" || strings.ContainsFunc(user, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
				user = "{{user}}" // a name the script's line could not hold as it is
			}
			sw.push(&scriptSlot{lines: []string{":auth " + mech + " " + user}, auth: true, verb: "AUTH"})
			return
		}
	}
	sw.authN++
	line := fmt.Sprintf("{{auth%d}}", sw.authN)
	if ok {
		line = "AUTH " + mech + " " + line
	}
	sw.push(&scriptSlot{lines: []string{line}, verb: "AUTH"})
}

// parseShownAuth reads `AUTH PLAIN <redacted user="alice">`.
func parseShownAuth(shown string) (mech, user string, ok bool) {
	f := strings.Fields(shown)
	if len(f) < 2 || !strings.EqualFold(f[0], "AUTH") || strings.HasPrefix(f[1], "<") {
		return "", "", false
	}
	if _, rest, found := strings.Cut(shown, `user="`); found {
		if i := strings.LastIndexByte(rest, '"'); i >= 0 {
			raw, err := session.Unescape(rest[:i])
			if err == nil {
				user = string(raw)
			}
		}
	}
	return strings.ToUpper(f[1]), user, true
}

func (sw *scriptWriter) push(s *scriptSlot) {
	sw.slots = append(sw.slots, s)
	sw.pending = append(sw.pending, s)
}

// server assembles a reply and gives its code to the oldest command.
func (sw *scriptWriter) server(data []byte) {
	sw.reply = append(sw.reply, data...)
	line, _ := SplitEnding(data)
	if len(line) >= 4 && line[3] == '-' {
		return // more lines follow (RFC 5321 4.2.1)
	}
	code := string(sw.reply[:min(3, len(sw.reply))])
	sw.reply = nil
	switch {
	case len(sw.pending) == 0 && sw.onlyNotes(): // the greeting
		sw.slots = append(sw.slots, &scriptSlot{expect: code})
	case len(sw.pending) == 0:
		sw.slots = append(sw.slots, &scriptSlot{lines: []string{"# the server said " + code + " unasked"}})
	case sw.pending[0].auth && code == "334":
		// the :auth exchange goes on
	default:
		s := sw.pending[0]
		sw.pending = sw.pending[1:]
		s.expect = code
		if s.verb == "DATA" && code == "354" {
			sw.inData = true
		}
	}
}

// dataPending reports a DATA awaiting its reply: a note now would land
// between its expect and the message lines.
func (sw *scriptWriter) dataPending() bool {
	for _, s := range sw.pending {
		if s.verb == "DATA" {
			return true
		}
	}
	return false
}

// onlyNotes reports that no command or reply has been written yet.
func (sw *scriptWriter) onlyNotes() bool {
	for _, s := range sw.slots {
		if s.expect != "" || (len(s.lines) > 0 && !strings.HasPrefix(s.lines[0], "#")) {
			return false
		}
	}
	return true
}

// scriptText is s as a script line: as is when it is printable text (tabs
// allowed), else in the sanitizer's escaped form, so that no control
// character reaches a file someone may cat to a terminal.
func scriptText(s string) string {
	if !utf8.ValidString(s) {
		return session.SanitizeString(s)
	}
	for _, r := range s {
		if r != '\t' && !unicode.IsPrint(r) {
			return session.SanitizeString(s)
		}
	}
	return s
}
