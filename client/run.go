package client

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

// RunConfig says where a script runs and with which values.
type RunConfig struct {
	Target  string
	Options Options           // Insecure also lets secrets go in clear to a host that is not loopback
	Vars    map[string]string // placeholder values; never printed
}

// RunResult is what replaying a script did.
type RunResult struct {
	Checked    int            // expectations met
	Failure    *ExpectFailure // the first expectation not met; nil when all were
	Err        error          // the session could not go on: *OpError, or a connect error
	Transcript *wire.Transcript
}

// OK reports whether the script ran to the end with every expectation met.
func (r RunResult) OK() bool { return r.Failure == nil && r.Err == nil }

// ExpectFailure is an expect line whose reply did not match.
type ExpectFailure struct {
	Script  string
	Expect  ScriptOp
	Command *ScriptOp // the operation checked; nil for the greeting
	Got     session.Reply
}

func (f *ExpectFailure) Error() string {
	what := "the greeting"
	if f.Command != nil {
		what = fmt.Sprintf("%s (line %d)", session.SanitizeString(f.Command.Text), f.Command.Line)
	}
	return fmt.Sprintf("%s:%d: %s: the reply to %s was %s", f.Script, f.Expect.Line,
		session.SanitizeString(f.Expect.Text), what, session.SanitizeString(oneLine(f.Got)))
}

// OpError is a script operation that could not be carried out.
type OpError struct {
	Script string
	Op     ScriptOp
	Err    error
}

func (e *OpError) Error() string {
	return fmt.Sprintf("%s:%d: %s: %s", e.Script, e.Op.Line, session.SanitizeString(e.Op.Text), Explain(e.Err))
}

func (e *OpError) Unwrap() error { return e.Err }

// RunScript replays s against cfg.Target, recording into t (a new one when
// nil). It stops at the first expectation not met. Every placeholder must
// have a value in cfg.Vars.
func RunScript(ctx context.Context, s *Script, cfg RunConfig, t *wire.Transcript) RunResult {
	if t == nil {
		t = wire.NewTranscript()
	}
	res := RunResult{Transcript: t}
	for _, v := range s.Vars() {
		if _, ok := cfg.Vars[v]; !ok {
			res.Err = fmt.Errorf("%s: no value for {{%s}}", s.Name, v)
			return res
		}
	}
	c, err := Dial(ctx, cfg.Target, cfg.Options, t)
	if err != nil {
		res.Err = stepErr(StepConnect, err)
		return res
	}
	r := &runner{s: s, cfg: cfg, c: c, res: &res, replies: map[int]session.Reply{}}
	r.run(ctx)
	if r.dropped || r.c.State().Phase == session.PhaseClosed || res.Err != nil {
		c.Close()
	} else {
		c.Quit(ctx)
	}
	return res
}

// runner is one replay's state.
type runner struct {
	s       *Script
	cfg     RunConfig
	c       *Client
	res     *RunResult
	replies map[int]session.Reply // by operation index; -1 is the greeting
	dropped bool                  // a :drop closed the connection without QUIT
}

func (r *runner) run(ctx context.Context) {
	g, err := r.c.Greeting(ctx)
	if err != nil {
		r.res.Err = &OpError{Script: r.s.Name, Op: ScriptOp{Text: "(greeting)"}, Err: stepErr(StepGreeting, err)}
		return
	}
	r.replies[-1] = g
	for i, op := range r.s.Ops {
		if op.Kind == ScriptExpect {
			if !r.check(op) {
				return
			}
			continue
		}
		reply, err := r.do(ctx, i, op)
		if err != nil {
			r.res.Err = &OpError{Script: r.s.Name, Op: op, Err: err}
			return
		}
		r.replies[i] = reply
	}
}

// check compares the reply an expect points at with its codes and text.
func (r *runner) check(op ScriptOp) bool {
	got := r.replies[op.Of]
	ok := slices.ContainsFunc(op.Codes, func(c string) bool { return codeMatches(c, got.Code) })
	if ok && op.Match != "" {
		ok = strings.Contains(strings.ToLower(oneLine(got)), strings.ToLower(op.Match))
	}
	if ok {
		r.res.Checked++
		return true
	}
	f := &ExpectFailure{Script: r.s.Name, Expect: op, Got: got}
	if op.Of >= 0 {
		f.Command = &r.s.Ops[op.Of]
	}
	r.res.Failure = f
	r.c.Conn().Note(fmt.Sprintf("%s:%d: expectation not met: %s", r.s.Name, op.Line, session.SanitizeString(op.Text)))
	return false
}

// checked reports whether an expect checks the reply to operation i.
func (r *runner) checked(i int) bool {
	return slices.ContainsFunc(r.s.Ops, func(op ScriptOp) bool { return op.Kind == ScriptExpect && op.Of == i })
}

// do carries out one operation and returns its reply. A negative reply is
// not an error, except where going on would send something wrongly: a
// STARTTLS without 220 that no expect checks (what follows would travel in
// clear), or a message after a DATA that was not answered 354.
func (r *runner) do(ctx context.Context, i int, op ScriptOp) (session.Reply, error) {
	switch op.Kind {
	case ScriptAuth:
		return r.auth(ctx, op)
	case ScriptMessage:
		if r.c.State().Phase != session.PhaseData {
			return session.Reply{}, errors.New("the message cannot be sent: DATA was not answered 354")
		}
		return r.c.message(ctx, op.Content)
	case ScriptBare:
		return r.c.DoBare(ctx, op.Bare)
	case ScriptDrop:
		r.c.Conn().Note(fmt.Sprintf("%s:%d: :drop: the connection closed here without QUIT, as a client that vanishes", r.s.Name, op.Line))
		r.dropped = true
		_ = r.c.Close() // the end asked for: nothing more is read
		return session.Reply{}, nil
	case ScriptChunk:
		return r.c.chunk(ctx, op.Text, op.Data)
	}
	line, placeholders, err := expand(op.Text, r.cfg.Vars)
	if err != nil {
		return session.Reply{}, err
	}
	if secret, shown := r.secretForm(line, op.Text, placeholders); secret {
		return r.secret(ctx, line, shown, r.secretForms(line, op.Text))
	}
	switch {
	case session.Verb(line) == "STARTTLS" && strings.EqualFold(strings.TrimSpace(line), "STARTTLS"):
		reply, _, err := r.c.StartTLS(ctx)
		if errors.Is(err, ErrNoUpgrade) && r.checked(i) {
			return reply, nil
		}
		return reply, err
	}
	return r.c.Do(ctx, line)
}

// secretForm decides, as the explorer does, whether a line is a
// credential: one holding a placeholder's value (shown as written), any
// line inside an AUTH exchange, or AUTH with an initial response (shown
// redacted). SAFETY.md: from AUTH to the first reply other than 334, every
// client line is secret.
func (r *runner) secretForm(line, written string, placeholders bool) (bool, string) {
	switch {
	case placeholders:
		return true, written
	case r.c.State().Expect() == "AUTH response":
		return true, "<redacted>"
	case session.Verb(line) == "AUTH" && len(strings.Fields(line)) > 2:
		return true, session.State{}.Sent(line).Pending
	}
	return false, ""
}

// auth runs ":auth MECH USER" with the password placeholder.
func (r *runner) auth(ctx context.Context, op ScriptOp) (session.Reply, error) {
	user, _, err := expand(op.User, r.cfg.Vars)
	if err != nil {
		return session.Reply{}, err
	}
	if err := r.clear(op.Mech); err != nil {
		return session.Reply{}, err
	}
	m, err := session.NewMechanismBound(op.Mech, user, r.cfg.Vars["password"], r.c.ChannelBinding())
	if err != nil {
		return session.Reply{}, err
	}
	reply, err := r.c.Auth(ctx, m, user)
	if IsAuthRefused(err) {
		return reply, nil // a refusal is the reply, for an expect to judge
	}
	return reply, err
}

// secretForms are what to hide of a secret line, wherever it appears: its
// credential's forms (session.SecretForms) and the values of the
// placeholders written in it, except {{user}}'s, which is shown anyway.
func (r *runner) secretForms(line, written string) []string {
	user := r.cfg.Vars["user"]
	forms := session.SecretForms(line, user)
	for _, m := range placeholder().FindAllStringSubmatch(written, -1) {
		if v := r.cfg.Vars[m[1]]; v != user {
			forms = append(forms, v)
		}
	}
	return forms
}

// secret sends a line that holds a placeholder's value; the transcript
// shows the line as written in the script.
func (r *runner) secret(ctx context.Context, line, shown string, forms []string) (session.Reply, error) {
	if err := session.ValidateLine(line); err != nil {
		return session.Reply{}, err
	}
	if err := r.clear("PLAIN"); err != nil {
		return session.Reply{}, err
	}
	r.c.state = r.c.state.Sent(shown)
	reply, err := r.c.secret(ctx, line, shown, forms...)
	if err != nil {
		return reply, err
	}
	r.c.state = r.c.state.Received(reply)
	return reply, nil
}

// clear refuses to send a plaintext secret in clear to a host that is not
// this machine, unless Options.Insecure (SAFETY.md).
func (r *runner) clear(mech string) error {
	if _, inTLS := r.c.Conn().TLS(); !inClear(mech, r.cfg.Target, inTLS, r.cfg.Options.Insecure) {
		return nil
	}
	return errors.New("this would send a secret in clear: the connection is not encrypted and the server is not on a loopback address (add STARTTLS to the script, or pass --insecure)")
}

// message sends message lines after a 354 and reads the final reply.
func (c *Client) message(ctx context.Context, lines []string) (session.Reply, error) {
	size := 0
	for _, l := range lines {
		size += len(l) + 2
	}
	err := c.writeData(ctx, int64(size), func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		for _, l := range lines {
			bw.WriteString(l + "\r\n")
		}
		return bw.Flush()
	})
	if err != nil {
		return session.Reply{}, err
	}
	due := session.DataReplies(c.opts.LMTP, len(c.state.Rcpts))
	reply, err := c.readFinal(ctx, "")
	if err != nil {
		return reply, &StepError{Step: StepDataEnd, Err: err}
	}
	c.state = c.state.Received(reply)
	// LMTP: a reply per recipient (RFC 2033 4.2); an expect checks the
	// first that is not 2xx, else the first
	for i := 1; i < due; i++ {
		r, err := c.readFinal(ctx, "the message, for a further recipient")
		if err != nil {
			return reply, &StepError{Step: StepDataEnd, Err: err}
		}
		if reply.OK() && !r.OK() {
			reply = r
		}
	}
	if err := c.conn.CheckIdle(ctx); err != nil {
		return reply, &StepError{Step: StepDataEnd, Err: err}
	}
	return reply, nil
}

// chunk sends a BDAT line and its octets in one write (RFC 3030) and reads
// the reply. No reply to the last chunk means, as after ".", that the
// message may have been taken all the same.
func (c *Client) chunk(ctx context.Context, line string, data []byte) (session.Reply, error) {
	if err := session.ValidateLine(line); err != nil {
		return session.Reply{}, err
	}
	_, last, err := session.ParseBdat(line)
	if err != nil {
		return session.Reply{}, err
	}
	if err := c.conn.CheckIdle(ctx); err != nil { // no reply is due before the chunk goes
		return session.Reply{}, fmt.Errorf("BDAT: %w", err)
	}
	buf := make([]byte, 0, len(line)+2+len(data))
	buf = append(append(append(buf, line...), "\r\n"...), data...)
	if err := c.conn.WriteChunk(ctx, buf, len(line)+2, bodyRecordLimit); err != nil {
		return session.Reply{}, fmt.Errorf("BDAT: %w", err)
	}
	if len(data) > bodyRecordLimit {
		c.conn.Note(fmt.Sprintf("message data: %d more bytes sent, not recorded (the transcript keeps the first %s of a chunk)",
			len(data)-bodyRecordLimit, session.HumanSize(bodyRecordLimit)))
	}
	c.state = c.state.Sent(line)
	var reply session.Reply
	if last { // the message's reply, as after "." (RFC 3030 section 2)
		reply, err = c.readFinal(ctx, lastChunk)
	} else {
		reply, err = c.read(ctx)
	}
	switch {
	case err != nil && last:
		return reply, &StepError{Step: StepDataEnd, Err: err}
	case err != nil:
		return reply, fmt.Errorf("BDAT: %w", err)
	}
	c.state = c.state.Received(reply)
	if err := c.conn.CheckIdle(ctx); err != nil { // the reply may answer something else
		return reply, fmt.Errorf("BDAT: %w", err)
	}
	return reply, nil
}
