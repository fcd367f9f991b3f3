package client

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/ehlo-sh/ehlo/session"
)

// A session script is a text file that `ehlo run` replays, one line at a
// time:
//
//	# target: smtp.example.org:587    directives: target, lab (an endpoint), tls (implicit)
//	expect 220                        checks the greeting
//	EHLO me.example.org               an SMTP command, sent as is
//	expect 250
//	STARTTLS                          a 220 upgrades the connection, as in the explorer
//	expect 220
//	EHLO me.example.org
//	:auth PLAIN alice                 AUTH with the password {{password}}
//	expect 235
//	MAIL FROM:<alice@example.org>
//	expect 250
//	RCPT TO:<bob@example.org>
//	expect 2xx                        a class, or several codes: expect 250|251
//	DATA
//	expect 354
//	Subject: hello                    after DATA, message lines up to a lone "."
//
//	Hello Bob.
//	.
//	expect 250 queued                 text after the code must appear in the reply
//	RSET
//	MAIL FROM:<alice@example.org>
//	RCPT TO:<bob@example.org>
//	BDAT 18 LAST                      a BDAT chunk: exactly 18 octets follow the line,
//	Subject: hi                       then a line end and its expect (RFC 3030)
//
//	Hi.
//	expect 250
//	QUIT
//
// ":bare COMMAND" sends a command ended by a bare LF instead of CRLF (RFC
// 5321 section 2.3.8 forbids it), to see what a server does with one.
// ":drop" closes the connection there without QUIT, as a client that
// vanishes (send --drop-after); right after DATA's expect it drops before
// any message line; nothing but comments may follow it.
//
// An expect checks the reply to the command before it; several expects in
// a row check the replies of as many commands before them, in order. A
// {{name}} in a command line is a placeholder, asked for on the terminal
// or read from EHLO_VAR_NAME (EHLO_PASSWORD for {{password}}); a line that
// holds one is sent as a secret and shown with the placeholder. Message
// lines are written as on the wire, never expanded: a line of the message
// that starts with "." has it doubled ("..x" for ".x", ".." for a lone
// "."), so that a lone "." always ends the message. A "BDAT n [LAST]" line
// is followed by exactly n octets of message, sent as they are, then by a
// line end that is not part of them and the expect of its reply (or the end
// of the script): a count that does not match the data is refused. Blank
// lines and lines starting with # are ignored outside a message.

// Script is a parsed session script.
type Script struct {
	Name   string // file name, for messages
	Target string // "# target: HOST:PORT"
	Lab    string // "# lab: ENDPOINT": written for the built-in lab
	TLS    string // "# tls: implicit": TLS from the first byte
	Ops    []ScriptOp
}

// ScriptKind is what a script line does.
type ScriptKind int

// The kinds of script operations.
const (
	ScriptCommand ScriptKind = iota // an SMTP command line
	ScriptAuth                      // :auth MECH USER
	ScriptMessage                   // message lines after DATA, sent when the "." is reached
	ScriptExpect                    // expect CODE [TEXT]
	ScriptChunk                     // BDAT n [LAST] and its n octets (RFC 3030)
	ScriptBare                      // :bare COMMAND: the command ended by a bare LF, not CRLF
	ScriptDrop                      // :drop: close the connection without QUIT; the script's last operation
)

// ScriptOp is one operation of a script.
type ScriptOp struct {
	Kind ScriptKind
	Line int    // line number in the file, from 1; for a message, the line of its "."
	Text string // the line as written (for a message, ".")

	Mech, User string   // ScriptAuth
	Content    []string // ScriptMessage: the lines between the 354 and the "."
	Data       []byte   // ScriptChunk: the octets after the BDAT line
	Bare       string   // ScriptBare: the command, sent with LF alone

	Codes []string // ScriptExpect: "250", "2xx"
	Match string   // ScriptExpect: text the reply must contain, "" for any
	Of    int      // ScriptExpect: the index of the operation checked; -1 is the greeting
}

// ScriptError is a script that does not parse, at a line.
type ScriptError struct {
	Name string
	Line int
	Msg  string
}

func (e *ScriptError) Error() string { return fmt.Sprintf("%s:%d: %s", e.Name, e.Line, e.Msg) }

// placeholder is compiled on first use, not at start-up, where every
// command would pay for it (0.1 ms): only scripts use it.
var placeholder = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}`)
})

// maxScriptLine is the longest line a script may hold.
const maxScriptLine = 1 << 20

// ParseScript reads a script. name is used in messages.
func ParseScript(name string, r io.Reader) (*Script, error) {
	p := &scriptParser{s: &Script{Name: name}, greeting: true, br: bufio.NewReader(r)}
	for {
		line, err := p.readLine()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		p.n++
		if err := p.line(line); err != nil {
			return nil, err
		}
	}
	if p.content != nil {
		return nil, p.errorf(p.dataLine, "the message after DATA has no end: add a line holding only \".\"")
	}
	if err := p.bind(); err != nil {
		return nil, err
	}
	return p.s, nil
}

// scriptParser reads a script line by line, and a BDAT chunk's octets as
// they are.
type scriptParser struct {
	s         *Script
	br        *bufio.Reader
	n         int   // current line number
	run       []int // commands since the last group of expects
	group     []int // the expects of the current group
	greeting  bool  // no command yet: an expect checks the greeting
	afterData int   // 1 + the index of a DATA whose message may follow
	content   []string
	dataLine  int
	chunkOp   *ScriptOp // a BDAT chunk just read: the next line must be its expect
	dropped   int       // the line of a :drop; nothing may follow it
}

// readLine reads the next line without its LF and a CR before it; io.EOF
// at the end of the script.
func (p *scriptParser) readLine() (string, error) {
	var line []byte
	for {
		part, err := p.br.ReadSlice('\n')
		line = append(line, part...)
		if len(line) > maxScriptLine {
			return "", p.errorf(p.n+1, "a line longer than %d bytes", maxScriptLine)
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF && len(line) > 0:
			return string(line), nil // the last line, without a line end
		case err != nil:
			return "", err
		}
		return strings.TrimSuffix(string(line[:len(line)-1]), "\r"), nil
	}
}

func (p *scriptParser) errorf(line int, format string, args ...any) error {
	return &ScriptError{Name: p.s.Name, Line: line, Msg: fmt.Sprintf(format, args...)}
}

func (p *scriptParser) line(raw string) error {
	if p.content != nil {
		return p.messageLine(raw)
	}
	text := strings.TrimSpace(raw)
	if c := p.chunkOp; c != nil && !isExpect(text) {
		return p.errorf(c.Line, "%s: the line after its %d octets is not its expect but %q: the count does not match the data (or the expect is missing)",
			session.SanitizeString(c.Text), len(c.Data), session.SanitizeString(clipText(raw, 30)))
	}
	p.chunkOp = nil
	if p.dropped > 0 && text != "" && !strings.HasPrefix(text, "#") {
		return p.errorf(p.n, "nothing may follow :drop (line %d): the connection is gone there", p.dropped)
	}
	if isExpect(text) {
		return p.expect(text)
	}
	if strings.EqualFold(text, ":drop") { // also right after DATA's 354, before any message line
		if err := p.bind(); err != nil {
			return err
		}
		p.afterData = 0
		p.add(ScriptOp{Kind: ScriptDrop, Text: text})
		p.dropped = p.n
		return nil
	}
	if p.afterData > 0 {
		if err := p.bind(); err != nil {
			return err
		}
		if p.messageFollows() {
			p.content, p.dataLine = []string{}, p.n
			return p.messageLine(raw)
		}
	}
	if text == "" {
		return nil
	}
	if strings.HasPrefix(text, "#") {
		p.directive(text)
		return nil
	}
	if err := p.bind(); err != nil {
		return err
	}
	if strings.HasPrefix(text, ":") {
		return p.local(text)
	}
	if session.Verb(text) == "BDAT" {
		return p.chunk(text)
	}
	p.add(ScriptOp{Kind: ScriptCommand, Text: text})
	if session.Verb(text) == "DATA" {
		p.afterData = len(p.s.Ops)
	}
	return nil
}

// messageFollows: after DATA, message lines follow unless the expects of
// the DATA say it will be refused (expect 503, say).
func (p *scriptParser) messageFollows() bool {
	data := p.afterData - 1
	p.afterData = 0
	for _, op := range p.s.Ops {
		if op.Kind == ScriptExpect && op.Of == data && !slices.ContainsFunc(op.Codes, func(c string) bool { return codeMatches(c, 354) }) {
			return false
		}
	}
	return true
}

// messageLine takes a line of a message, written as on the wire (RFC 5321
// section 4.5.2): a line of the message that starts with "." has it
// doubled, so that a lone "." can only be the end. Content holds the
// message's own lines; sending stuffs them again.
func (p *scriptParser) messageLine(raw string) error {
	switch {
	case raw == ".":
		p.add(ScriptOp{Kind: ScriptMessage, Text: ".", Content: p.content})
		p.content = nil
		return nil
	case strings.HasPrefix(raw, ".."):
		raw = raw[1:]
	case strings.HasPrefix(raw, "."):
		return p.errorf(p.n, "a message line that starts with \".\" is written with the dot doubled, as on the wire: %q",
			"."+session.SanitizeString(raw))
	}
	p.content = append(p.content, raw)
	return nil
}

// chunk reads "BDAT n [LAST]" and the n octets after it, which must be
// followed by a line end that is not part of them, then by the chunk's
// expect or the end of the script: that is how a count that does not
// match the data shows, even one that ends at a line end of the data.
func (p *scriptParser) chunk(text string) error {
	size, _, err := session.ParseBdat(text)
	if err != nil {
		return p.errorf(p.n, "%s", strings.TrimPrefix(err.Error(), session.ErrBadCommand.Error()+": "))
	}
	line := p.n
	var data bytes.Buffer
	n, err := io.CopyN(&data, p.br, size)
	p.n += bytes.Count(data.Bytes(), []byte("\n"))
	if err == io.EOF {
		return p.errorf(line, "%s: the script ends %d bytes into the chunk: the count does not match the data that follows", session.SanitizeString(text), n)
	}
	if err != nil {
		return err
	}
	if err := p.chunkEnd(text, line, data.Bytes()); err != nil {
		return err
	}
	p.add(ScriptOp{Kind: ScriptChunk, Text: text, Data: data.Bytes()})
	p.chunkOp = &p.s.Ops[len(p.s.Ops)-1]
	p.chunkOp.Line = line
	return nil
}

// clipText is s cut to n bytes, with "…" when cut.
func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// chunkEnd reads the line end after a chunk's octets.
func (p *scriptParser) chunkEnd(text string, line int, data []byte) error {
	next, err := p.br.Peek(2)
	switch {
	case len(next) == 0 && err == io.EOF:
		return nil
	case len(next) > 0 && next[0] == '\n', string(next) == "\r\n":
		_, _ = p.br.Discard(bytes.IndexByte(next, '\n') + 1)
		p.n++
		return nil
	}
	tail := data[max(0, len(data)-20):]
	return p.errorf(line, "%s: the %d bytes after this line (ending %q) are not followed by a line end: the count does not match the data that follows",
		session.SanitizeString(text), len(data), session.SanitizeString(string(tail)))
}

func (p *scriptParser) add(op ScriptOp) {
	op.Line = p.n
	p.s.Ops = append(p.s.Ops, op)
	p.run = append(p.run, len(p.s.Ops)-1)
	p.greeting = false
}

func (p *scriptParser) directive(text string) {
	key, value, ok := strings.Cut(strings.TrimSpace(strings.TrimPrefix(text, "#")), ":")
	if !ok {
		return
	}
	value = strings.TrimSpace(value)
	switch strings.ToLower(strings.TrimSpace(key)) {
	case "target":
		p.s.Target = value
	case "lab":
		p.s.Lab = value
	case "tls":
		p.s.TLS = strings.ToLower(value)
	}
}

// local parses a ":" command: :auth or :bare.
func (p *scriptParser) local(text string) error {
	f := strings.Fields(text)
	if strings.ToLower(f[0]) == ":bare" {
		cmd := strings.TrimSpace(text[len(f[0]):])
		if cmd == "" {
			return p.errorf(p.n, "usage: :bare COMMAND (sent ended by a bare LF)")
		}
		p.add(ScriptOp{Kind: ScriptBare, Text: text, Bare: cmd})
		return nil
	}
	if strings.ToLower(f[0]) != ":auth" {
		return p.errorf(p.n, "unknown local command %s (scripts know :auth MECH USER, :bare COMMAND and :drop)", session.SanitizeString(f[0]))
	}
	if len(f) != 3 {
		return p.errorf(p.n, "usage: :auth MECH USER (the password is the placeholder {{password}})")
	}
	mech := strings.ToUpper(f[1])
	if !session.Speaks(mech) {
		return p.errorf(p.n, ":auth: ehlo speaks %s, not %s", session.Mechanisms, session.SanitizeString(mech))
	}
	p.add(ScriptOp{Kind: ScriptAuth, Text: text, Mech: mech, User: f[2]})
	return nil
}

func isExpect(text string) bool {
	f := strings.Fields(text)
	return len(f) > 0 && strings.EqualFold(f[0], "expect")
}

// expect parses "expect CODE[|CODE...] [TEXT]".
func (p *scriptParser) expect(text string) error {
	f := strings.Fields(text)
	if len(f) < 2 {
		return p.errorf(p.n, "usage: expect CODE [TEXT], e.g. expect 250, expect 2xx, expect 250|251")
	}
	codes := strings.Split(f[1], "|")
	for _, c := range codes {
		if !validCode(c) {
			return p.errorf(p.n, "expect: %q is not a reply code (three digits, x for any: 250, 2xx)", session.SanitizeString(c))
		}
	}
	_, rest, _ := strings.Cut(strings.TrimSpace(text[len(f[0]):]), f[1])
	match := strings.Trim(strings.TrimSpace(rest), `"`)
	p.s.Ops = append(p.s.Ops, ScriptOp{Kind: ScriptExpect, Line: p.n, Text: text, Codes: codes, Match: match})
	p.group = append(p.group, len(p.s.Ops)-1)
	return nil
}

func validCode(c string) bool {
	if len(c) != 3 || c[0] < '2' || c[0] > '5' {
		return false
	}
	for _, b := range []byte(c[1:]) {
		if !('0' <= b && b <= '9') && b != 'x' && b != 'X' {
			return false
		}
	}
	return true
}

// bind ties the current group of expects to the last commands before it.
func (p *scriptParser) bind() error {
	k := len(p.group)
	if k == 0 {
		return nil
	}
	defer func() { p.group, p.run = nil, nil }()
	if len(p.run) == 0 && p.greeting {
		p.run = []int{-1} // the greeting
	}
	if k > len(p.run) {
		extra := p.s.Ops[p.group[len(p.run)]]
		return p.errorf(extra.Line, "expect without a command to check: %d expects in a row, after %d commands", k, len(p.run))
	}
	for j, i := range p.group {
		p.s.Ops[i].Of = p.run[len(p.run)-k+j]
	}
	return nil
}

// codeMatches reports whether pattern ("250", "2xx") matches code.
func codeMatches(pattern string, code int) bool {
	got := fmt.Sprintf("%03d", code)
	for i := range 3 {
		if pattern[i] != 'x' && pattern[i] != 'X' && pattern[i] != got[i] {
			return false
		}
	}
	return true
}

// Vars lists the placeholders the script needs, in order of appearance:
// "password" for every :auth, and each {{name}}.
func (s *Script) Vars() []string {
	var names []string
	add := func(n string) {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	for _, op := range s.Ops {
		switch op.Kind {
		case ScriptAuth:
			for _, m := range placeholder().FindAllStringSubmatch(op.User, -1) {
				add(m[1])
			}
			add("password")
		case ScriptCommand:
			for _, m := range placeholder().FindAllStringSubmatch(op.Text, -1) {
				add(m[1])
			}
		}
	}
	return names
}

// expand replaces the placeholders of text; secret reports whether it had
// any.
func expand(text string, vars map[string]string) (out string, secret bool, err error) {
	out = placeholder().ReplaceAllStringFunc(text, func(m string) string {
		name := placeholder().FindStringSubmatch(m)[1]
		v, ok := vars[name]
		if !ok && err == nil {
			err = fmt.Errorf("no value for {{%s}}", name)
		}
		secret = true
		return v
	})
	return out, secret, err
}
