package client

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"time"

	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

// DataElider shortens the message data of a transcript for display: after
// a 354, the first Max lines pass and the rest become one note, given at
// the end of data. A 100 MB attachment is then a line, not 1.8 million.
type DataElider struct {
	Max    int
	inData bool
	shown  int
	hidden int
	bytes  int64
	last   wire.Entry
	chunks chunkElision // BDAT's, elide_bdat.go
}

// Filter returns what to show for e: nothing, e, or a note and e.
func (d *DataElider) Filter(e wire.Entry) []wire.Entry {
	if d.chunking(e) {
		return d.filterChunk(e)
	}
	switch {
	case e.Dir == wire.Server && !d.inData && is354(e.Data):
		d.inData, d.shown, d.hidden, d.bytes = true, 0, 0, 0
	case e.Dir != wire.Client || !d.inData:
	case string(e.Data) == ".\r\n":
		d.inData = false
		if d.hidden > 0 {
			note := wire.Entry{Time: d.last.Time, Dir: wire.Note, TLS: e.TLS, Data: []byte(
				fmt.Sprintf("… %d more lines of message data (%s) not shown", d.hidden, session.HumanSize(d.bytes)))}
			return []wire.Entry{note, e}
		}
	case d.shown < d.Max:
		d.shown++
	default:
		d.hidden++
		d.bytes += int64(len(e.Data))
		d.last = e
		return nil
	}
	return []wire.Entry{e}
}

// is354 reports a last reply line with code 354 (RFC 5321 4.1.1.4).
func is354(line []byte) bool {
	return bytes.HasPrefix(line, []byte("354")) && (len(line) == 3 || line[3] == ' ' || line[3] == '\r' || line[3] == '\n')
}

// ElideData filters a whole transcript through a DataElider.
func ElideData(entries []wire.Entry, max int) []wire.Entry {
	d := &DataElider{Max: max}
	var out []wire.Entry
	for _, e := range entries {
		out = append(out, d.Filter(e)...)
	}
	return out
}

// WriteSend prints the outcome of a send for people: each recipient with
// its reply, and what a refusal means (session.Explain). Server text is
// sanitized; no secret is ever in a SendResult.
func WriteSend(w io.Writer, r SendResult) {
	p := &printer{w: w}
	for _, f := range r.Identity { // sanitized by package identity
		if f.ID != "identity" {
			p.linef("  identity  [%s] %s", f.Severity, f.Title)
		}
	}
	if r.XClient != nil {
		p.linef("  xclient   %s  %s", clean(r.XClient.Command), clean(oneLine(r.XClient.Reply)))
	}
	if r.Mail != nil {
		p.linef("  from      %s  %s", clean(pathOf(r.Mail.Command)), clean(oneLine(r.Mail.Reply)))
	}
	for _, o := range r.Rcpts {
		verdict := "accepted"
		if !o.Accepted() {
			verdict = "REFUSED "
		}
		p.linef("  %s  <%s>  %s", verdict, clean(o.Address), clean(oneLine(o.Reply)))
		if !o.Accepted() {
			p.explain(o.Explanation)
		}
	}
	switch {
	case r.Size > 0 && r.Sent == 0:
		p.linef("  message   %s, not sent", sizeText(r.Size))
	case r.Size > 0:
		p.linef("  message   %s%s", sizeText(r.Size), chunkText(r))
	}
	p.deliveries(r.Deliveries)
	switch {
	case r.Delivered() && r.Dropped:
		p.linef("  result    delivered: %s; then the connection was dropped without QUIT (--drop-after dot)", clean(oneLine(r.Final.Reply)))
	case r.Delivered() && r.LMTP:
		p.linef("  result    delivered to every recipient (LMTP: one reply each)")
	case r.Delivered():
		p.linef("  result    delivered: %s", clean(oneLine(r.Final.Reply)))
	case r.Dropped:
		p.linef("  result    dropped the connection after %s without QUIT (--drop-after); no message was completed", r.Stopped)
	case r.Stopped != "":
		p.linef("  result    stopped after %s (--quit-after); nothing was sent", r.Stopped)
	case r.Err != nil && fateUnknown(r.Err):
		p.linef("  result    UNKNOWN: %s", Explain(r.Err))
	case r.Err != nil && len(r.Deliveries) > 0:
		p.linef("  result    NOT delivered to every recipient: %s", Explain(r.Err))
	case r.Err != nil:
		p.linef("  result    NOT delivered: %s", Explain(r.Err))
		if x, ok := refusal(r); ok && !isStep(r.Err, StepRcpt) { // recipients are explained above
			p.explain(x)
		}
	}
}

// fateUnknown reports an error after the final "." that leaves open
// whether the server took the message: no reply, or one that broke SMTP's
// rules.
func fateUnknown(err error) bool {
	return errors.As(err, new(*UnansweredError)) ||
		isStep(err, StepDataEnd) && (errors.Is(err, session.ErrMalformedReply) || errors.As(err, new(*wire.DesyncError)))
}

// refusal is the explanation of the reply that stopped the send, if one did.
func refusal(r SendResult) (session.Explanation, bool) {
	var re *RefusedError
	if !errors.As(r.Err, &re) {
		return session.Explanation{}, false
	}
	for _, o := range []*Outcome{r.Final, r.Data, r.Mail} {
		if o != nil && o.Reply.Code == re.Reply.Code && !o.Accepted() {
			return o.Explanation, true
		}
	}
	return session.Explain(re.Reply, session.ExplainContext{Command: re.Command}), true
}

// explain says in two lines why a reply refused and what to do: the
// rule's cause, else the enhanced code's or the code's meaning.
func (p *printer) explain(x session.Explanation) {
	why := x.Cause
	for _, s := range []string{x.EnhancedMeaning, x.Meaning} {
		if why == "" {
			why = s
		}
	}
	if why != "" {
		p.linef("            why: %s", why)
	}
	if x.Action != "" {
		p.linef("            fix: %s", x.Action)
	}
}

func sizeText(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d bytes", n)
	}
	return fmt.Sprintf("%s (%d bytes)", session.HumanSize(n), n)
}

func pathOf(mailLine string) string {
	_, arg, _ := strings.Cut(mailLine, ":")
	if end := strings.IndexByte(arg, '>'); end >= 0 {
		return arg[:end+1]
	}
	return arg
}

// SendJSON is the machine-readable form of a send, as `send --json` prints
// it. Server text is sanitized; it holds no secret.
type SendJSON struct {
	Target      string         `json:"target"`
	Address     string         `json:"address"`
	Transport   *TransportJSON `json:"transport"`
	ImplicitTLS bool           `json:"implicit_tls"`
	TLS         *TLSJSON       `json:"tls"`
	Greeting    *ReplyJSON     `json:"greeting"`
	EHLO        []HelloJSON    `json:"ehlo"`
	Auth        *SendAuthJSON  `json:"auth,omitempty"`
	XClient     *OutcomeJSON   `json:"xclient,omitempty"`
	Mail        *OutcomeJSON   `json:"mail,omitempty"`
	Recipients  []OutcomeJSON  `json:"recipients"`
	Data        *ReplyJSON     `json:"data,omitempty"`
	Final       *ReplyJSON     `json:"final,omitempty"`
	// Deliveries are LMTP's replies after the message, one per recipient
	// accepted; absent in SMTP.
	Deliveries []DeliveryJSON `json:"deliveries,omitempty"`
	Size       int64          `json:"size"`
	Sent       int64          `json:"sent"`
	BodyMode   string         `json:"body_mode,omitempty"` // "DATA" or "BDAT"
	Chunks     int            `json:"chunks,omitempty"`    // BDAT chunks sent
	Delivered  bool           `json:"delivered"`
	Stopped    string         `json:"stopped,omitempty"`
	Dropped    bool           `json:"dropped,omitempty"` // --drop-after: closed without QUIT
	FailedStep string         `json:"failed_step,omitempty"`
	Error      string         `json:"error,omitempty"`
	// ProtocolError is the reply that broke SMTP's rules and stopped the
	// send, with its lines; absent otherwise.
	ProtocolError *ProtocolErrorJSON `json:"protocol_error,omitempty"`
	Transcript    []EntryJSON        `json:"transcript"`
	// Identity are the findings of --check-identity (the ids of doctor's
	// findings: spf-fail, dmarc-reject, ..., identity); absent without it.
	Identity    []FindingJSON    `json:"identity,omitempty"`
	Explanation *ExplanationJSON `json:"explanation,omitempty"`
}

// SendAuthJSON is the AUTH exchange, without any secret.
type SendAuthJSON struct {
	Mechanism string `json:"mechanism"`
	User      string `json:"user"`
	ReplyJSON
}

// OutcomeJSON is one command's reply, explained.
type OutcomeJSON struct {
	Command  string `json:"command"`
	Address  string `json:"address,omitempty"` // a recipient's
	Accepted bool   `json:"accepted"`
	ReplyJSON
	Explanation *ExplanationJSON `json:"explanation,omitempty"`
}

// ExplanationJSON is what ehlo knows about a negative reply.
type ExplanationJSON struct {
	Meaning  string `json:"meaning"`
	Enhanced string `json:"enhanced_meaning,omitempty"`
	Cause    string `json:"cause,omitempty"`
	Action   string `json:"action,omitempty"`
	RFC      string `json:"rfc,omitempty"`
}

// JSON converts a send result; message data in the transcript is cut
// after maxDataLines lines.
func (r SendResult) JSON(maxDataLines int) SendJSON {
	out := SendJSON{Target: clean(r.Target), Address: clean(r.Address), Transport: NewTransportJSON(r.Route, r.LMTP), ImplicitTLS: r.ImplicitTLS, EHLO: []HelloJSON{},
		Recipients: []OutcomeJSON{}, Size: r.Size, Sent: r.Sent, BodyMode: r.BodyMode, Chunks: r.Chunks,
		Delivered: r.Delivered(), Stopped: r.Stopped, Dropped: r.Dropped,
		Transcript: []EntryJSON{}}
	if r.TLS != nil {
		out.TLS = tlsJSON(*r.TLS)
	}
	for _, f := range r.Identity {
		out.Identity = append(out.Identity, FindingJSON{ID: f.ID, Severity: f.Severity.String(), Title: f.Title,
			Evidence: append([]string{}, f.Evidence...), Fix: f.Fix})
	}
	if r.Greeting != nil {
		out.Greeting = replyJSON(*r.Greeting)
	}
	for _, h := range r.Hellos {
		out.EHLO = append(out.EHLO, helloJSON(h))
	}
	if r.Auth != nil {
		out.Auth = &SendAuthJSON{Mechanism: r.Auth.Mechanism, User: clean(r.Auth.User), ReplyJSON: *replyJSON(r.Auth.Reply)}
	}
	if r.XClient != nil {
		o := outcomeJSON(*r.XClient)
		out.XClient = &o
	}
	if r.Mail != nil {
		o := outcomeJSON(*r.Mail)
		out.Mail = &o
	}
	for _, o := range r.Rcpts {
		out.Recipients = append(out.Recipients, outcomeJSON(o))
	}
	if r.Data != nil {
		out.Data = replyJSON(r.Data.Reply)
	}
	if r.Final != nil {
		out.Final = replyJSON(r.Final.Reply)
	}
	for _, d := range r.Deliveries {
		out.Deliveries = append(out.Deliveries, DeliveryJSON{Address: clean(d.Rcpt), Delivered: d.Delivered(), ReplyJSON: *replyJSON(d.Reply)})
	}
	var se *StepError
	if errors.As(r.Err, &se) {
		out.FailedStep = se.Step
	}
	if r.Err != nil {
		out.Error = Explain(r.Err)
		out.ProtocolError = protocolErrorJSON(r.Err)
		if x, ok := refusal(r); ok {
			out.Explanation = explanationJSON(x)
		}
	}
	if r.Transcript != nil {
		for _, e := range ElideData(r.Transcript.Entries(), maxDataLines) {
			out.Transcript = append(out.Transcript, entryJSON(e))
		}
	}
	return out
}

func outcomeJSON(o Outcome) OutcomeJSON {
	out := OutcomeJSON{Command: clean(o.Command), Address: clean(o.Address), Accepted: o.Accepted(), ReplyJSON: *replyJSON(o.Reply)}
	if !o.Accepted() {
		out.Explanation = explanationJSON(o.Explanation)
	}
	return out
}

func explanationJSON(x session.Explanation) *ExplanationJSON {
	return &ExplanationJSON{Meaning: x.Meaning, Enhanced: x.EnhancedMeaning, Cause: x.Cause, Action: x.Action, RFC: x.RFC}
}

// WriteReceived describes a message as a server received it: its header
// fields, then each MIME part with its type, encoding, decoded size and,
// for text, its first lines. Everything is sanitized.
func WriteReceived(w io.Writer, data []byte) error {
	m, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("the message does not parse (RFC 5322): %w", err)
	}
	p := &printer{w: w}
	hr := bufio.NewReader(bytes.NewReader(data))
	for {
		line, err := hr.ReadString('\n')
		line = strings.TrimRight(line, "\r\n")
		if line == "" || err != nil {
			break
		}
		p.linef("  %s", clean(line))
	}
	for _, k := range []string{"From", "To", "Cc", "Subject"} {
		v := m.Header.Get(k)
		if d, err := new(mime.WordDecoder).DecodeHeader(v); err == nil && d != v {
			p.linef("  (%s decoded: %s)", k, clean(d))
		}
	}
	p.blank()
	return describePart(p, m.Header, m.Body, "  ")
}

// partHeader is a mail.Header or a textproto.MIMEHeader.
type partHeader interface{ Get(string) string }

// describePart prints one MIME part, recursing into multiparts.
func describePart(p *printer, h partHeader, body io.Reader, indent string) error {
	ctype := h.Get("Content-Type")
	if ctype == "" {
		ctype = "text/plain"
	}
	mediaType, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		p.linef("%s%s (unparsable Content-Type: %v)", indent, clean(ctype), err)
		return nil
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		p.linef("%s%s", indent, mediaType)
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if err := describePart(p, part.Header, part, indent+"  "); err != nil {
				return err
			}
		}
	}
	cte := strings.ToLower(h.Get("Content-Transfer-Encoding"))
	var head bytes.Buffer // the start of a text part, to show
	size, err := io.Copy(&limitedBuffer{b: &head, max: 4096}, decodeCTE(cte, body))
	if err != nil {
		return fmt.Errorf("%s part: %w", mediaType, err)
	}
	desc := fmt.Sprintf("%s%s", indent, mediaType)
	if cs := params["charset"]; cs != "" {
		desc += "; charset=" + cs
	}
	if cte != "" {
		desc += " (" + cte + ")"
	}
	if _, dp, err := mime.ParseMediaType(h.Get("Content-Disposition")); err == nil && dp["filename"] != "" {
		desc += ", file " + clean(dp["filename"])
	}
	p.linef("%s, %d bytes", desc, size)
	if strings.HasPrefix(mediaType, "text/") {
		lines := strings.Split(strings.TrimRight(strings.ReplaceAll(head.String(), "\r\n", "\n"), "\n"), "\n")
		for i, l := range lines {
			if i == 5 {
				p.linef("%s  | …", indent)
				break
			}
			p.linef("%s  | %s", indent, clean(l))
		}
	}
	return nil
}

// limitedBuffer keeps the first max bytes written and drops the rest.
type limitedBuffer struct {
	b   *bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - l.b.Len(); room > 0 {
		l.b.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

func decodeCTE(cte string, r io.Reader) io.Reader {
	switch cte {
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, r)
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	}
	return r
}

// ProgressBar renders a plain progress line: "  42% [=====     ] 4.2 MiB of 10 MiB".
func ProgressBar(sent, total int64, elapsed time.Duration) string {
	const width = 30
	frac := 1.0
	if total > 0 {
		frac = min(float64(sent)/float64(total), 1)
	}
	fill := int(frac * width)
	rate := ""
	if s := elapsed.Seconds(); s > 0 {
		rate = "  " + session.HumanSize(int64(float64(sent)/s)) + "/s"
	}
	return fmt.Sprintf("sending %3d%% [%s%s] %s of %s%s", int(frac*100), strings.Repeat("=", fill),
		strings.Repeat(" ", width-fill), session.HumanSize(sent), session.HumanSize(total), rate)
}
