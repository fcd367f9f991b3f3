package learn

import (
	"net/mail"
	"slices"
	"strings"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/wire"
)

// Exchange is one command and its reply, as the transcript shows them.
type Exchange struct {
	Verb     string   // "EHLO", "greeting", "." for the end of a message
	Command  string   // the command line; an AUTH line and its responses as "AUTH MECH", never the secret
	Code     int      // the reply's code
	Lines    []string // the reply's lines, codes included
	TLS      bool     // inside TLS
	Endpoint string   // the lab endpoint, from its greeting "(name)"
	// Verdict is, for a TLS handshake (no command, no reply), what
	// verifying the certificate said: wire.Verdict's name, "verified",
	// "expired"...; TLS tells whether the handshake completed.
	Verdict string
	// QType and QName are, for a DNS question (a D: line), its type and
	// name ("MX", "lab.test").
	QType, QName string
	// For ".": what the message showed.
	FromDiffers, Bcc, DotStuffed bool
}

// Tracker follows a transcript, entry by entry, pairs each command with its
// reply, and ticks the lesson's goals. It is a value: Feed returns the next
// one; the explorer keeps it in its model and feeds it in Update.
type Tracker struct {
	goals []Goal
	met   []bool
	last  int // the goal met last, -1 for none

	endpoint string
	pending  []pendingCmd
	reply    []string // the lines of a reply being read
	authMech string   // an AUTH exchange under way: its mechanism
	inData   bool     // after DATA's 354, until "."
	msg      message
	stored   int    // messages the server accepted
	cram     string // the challenge of a CRAM-MD5 exchange under way, in base64
}

// CRAMChallenge is the challenge of the CRAM-MD5 exchange under way, as
// the server sent it in base64 (RFC 2195), or "".
func (t Tracker) CRAMChallenge() string { return t.cram }

// Stored is the number of messages the server accepted so far: a 2xx to
// "." or to BDAT.
func (t Tracker) Stored() int { return t.stored }

// pendingCmd is a command sent and not answered yet.
type pendingCmd struct {
	verb, line string
}

// message is the transaction so far, for the checks on ".".
type message struct {
	from       string
	rcpts      []string
	content    []string
	dotStuffed bool
}

// NewTracker tracks the goals of l; none is met.
func NewTracker(l Lesson) Tracker {
	return Tracker{goals: l.Goals, met: make([]bool, len(l.Goals)), last: -1}
}

// Met reports, for each goal, whether it is met.
func (t Tracker) Met() []bool { return slices.Clone(t.met) }

// Done reports every goal met.
func (t Tracker) Done() bool { return len(t.met) > 0 && !slices.Contains(t.met, false) }

// Count is the number of goals met.
func (t Tracker) Count() int {
	n := 0
	for _, m := range t.met {
		if m {
			n++
		}
	}
	return n
}

// Next is the index of the first goal not met, -1 when all are.
func (t Tracker) Next() int { return slices.Index(t.met, false) }

// Feed takes transcript entries, in order, and returns the tracker after
// them and the goals they met.
func (t Tracker) Feed(entries ...wire.Entry) (Tracker, []int) {
	t.met = slices.Clone(t.met)
	t.pending = slices.Clone(t.pending)
	t.msg.rcpts = slices.Clone(t.msg.rcpts)
	t.msg.content = slices.Clone(t.msg.content)
	var newly []int
	for _, e := range entries {
		for _, x := range t.entry(e) {
			newly = append(newly, t.check(x)...)
		}
	}
	return t, newly
}

// check ticks the goals x meets.
func (t *Tracker) check(x Exchange) []int {
	var newly []int
	met := func(id string) bool {
		i := slices.IndexFunc(t.goals, func(g Goal) bool { return g.ID == id })
		return i >= 0 && t.met[i]
	}
	for i, g := range t.goals {
		if !t.met[i] && g.Spec.Matches(x, met) {
			t.met[i], t.last = true, i
			newly = append(newly, i)
		}
	}
	return newly
}

// entry reads one transcript entry; it returns the exchanges it completes.
func (t *Tracker) entry(e wire.Entry) []Exchange {
	switch {
	case e.Dir == wire.DNS:
		if qt, name, ok := client.DNSQuestion(string(e.Data)); ok {
			return []Exchange{{QType: qt, QName: name, Endpoint: t.endpoint}}
		}
		return nil
	case e.Dir == wire.Note && e.Verdict != wire.NoVerdict:
		return []Exchange{{Verdict: e.Verdict.String(), TLS: e.TLS, Endpoint: t.endpoint}}
	case e.Dir == wire.Note:
		if strings.HasPrefix(string(e.Data), "connected to ") { // a new connection (wire.Conn)
			t.pending, t.reply, t.authMech, t.inData, t.endpoint = []pendingCmd{{verb: "greeting"}}, nil, "", false, ""
			t.msg = message{}
		}
		return nil
	case e.Payload:
		return nil
	case e.Dir == wire.Client:
		t.client(e)
		return nil
	case e.Dir == wire.Server:
		return t.server(e)
	}
	return nil
}

// client records a command, or a line of a message.
func (t *Tracker) client(e wire.Entry) {
	line := strings.TrimRight(string(e.Data), "\r\n")
	if t.inData {
		if line == "." {
			t.inData = false
			t.pending = append(t.pending, pendingCmd{verb: "."})
			return
		}
		if strings.HasPrefix(line, "..") {
			t.msg.dotStuffed = true
		}
		t.msg.content = append(t.msg.content, strings.TrimPrefix(line, "."))
		return
	}
	if t.authMech != "" { // a response inside AUTH: never kept
		t.pending = append(t.pending, pendingCmd{verb: "AUTH", line: "AUTH " + t.authMech})
		return
	}
	verb := strings.ToUpper(first(strings.Fields(line)))
	if verb == "AUTH" {
		f := strings.Fields(line)
		line = "AUTH"
		if len(f) > 1 {
			line += " " + strings.ToUpper(f[1])
		}
	}
	t.pending = append(t.pending, pendingCmd{verb: verb, line: line})
}

// server reads a reply line; a reply's last line completes an exchange.
func (t *Tracker) server(e wire.Entry) []Exchange {
	line := strings.TrimRight(string(e.Data), "\r\n")
	t.reply = append(t.reply, line)
	if len(line) >= 4 && line[3] == '-' {
		return nil
	}
	lines := t.reply
	t.reply = nil
	code := 0
	if len(line) >= 3 {
		for _, c := range line[:3] {
			if c < '0' || c > '9' {
				return nil
			}
			code = code*10 + int(c-'0')
		}
	}
	if len(t.pending) == 0 {
		return nil // a reply no command asked for
	}
	p := t.pending[0]
	t.pending = t.pending[1:]
	x := Exchange{Verb: p.verb, Command: p.line, Code: code, Lines: lines, TLS: e.TLS}
	if p.verb == "greeting" {
		t.endpoint = greetingName(line)
	}
	x.Endpoint = t.endpoint
	if (p.verb == "." || p.verb == "BDAT") && code/100 == 2 {
		t.stored++
	}
	t.follow(&x)
	return []Exchange{x}
}

// follow updates the session from an exchange: AUTH, DATA, the
// transaction.
func (t *Tracker) follow(x *Exchange) {
	switch {
	case x.Verb == "AUTH" && x.Code == 334:
		t.authMech = strings.TrimPrefix(x.Command, "AUTH ")
		if t.authMech == "CRAM-MD5" && t.cram == "" && len(x.Lines) == 1 && len(x.Lines[0]) > 4 {
			t.cram = x.Lines[0][4:]
		}
	case x.Verb == "AUTH":
		t.authMech, t.cram = "", ""
	case x.Verb == "STARTTLS" && x.Code == 220, x.Verb == "EHLO", x.Verb == "HELO", x.Verb == "RSET":
		t.msg = message{}
	case x.Verb == "MAIL" && x.Code/100 == 2:
		t.msg = message{from: pathOf(x.Command)}
	case x.Verb == "RCPT" && x.Code/100 == 2:
		t.msg.rcpts = append(t.msg.rcpts, pathOf(x.Command))
	case x.Verb == "DATA" && x.Code == 354:
		t.inData, t.msg.content = true, nil
	case x.Verb == ".":
		x.FromDiffers, x.Bcc = t.msg.headers()
		x.DotStuffed = t.msg.dotStuffed
		t.msg = message{}
	}
}

// headers compares the message's From:, To: and Cc: with its envelope.
func (m message) headers() (fromDiffers, bcc bool) {
	msg, err := mail.ReadMessage(strings.NewReader(strings.Join(m.content, "\r\n") + "\r\n"))
	if err != nil {
		return false, false
	}
	if from, err := mail.ParseAddress(msg.Header.Get("From")); err == nil {
		fromDiffers = !strings.EqualFold(from.Address, m.from)
	}
	named := strings.ToLower(msg.Header.Get("To") + "," + msg.Header.Get("Cc"))
	for _, r := range m.rcpts {
		if r != "" && !strings.Contains(named, strings.ToLower(r)) {
			bcc = true
		}
	}
	return fromDiffers, bcc
}

// pathOf is the address of "MAIL FROM:<a@b> SIZE=1", "a@b".
func pathOf(line string) string {
	i := strings.IndexByte(line, '<')
	j := strings.IndexByte(line, '>')
	if i < 0 || j < i {
		return ""
	}
	return line[i+1 : j]
}

// greetingName is the lab endpoint a greeting names, "220 mx.lab.test
// ESMTP ehlo lab (mx)" → "mx"; "" for another server.
func greetingName(line string) string {
	i := strings.LastIndexByte(line, '(')
	if i < 0 || !strings.HasSuffix(line, ")") || !strings.Contains(line, "ehlo lab") {
		return ""
	}
	return line[i+1 : len(line)-1]
}
