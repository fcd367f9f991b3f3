package client

import (
	"bytes"
	"context"
	"errors"
	"net/mail"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ehlo-sh/ehlo/internal/hostile"
	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

// These tests play the scenarios of a server that says two things at once
// (a reply whose lines carry different codes, RFC 5321 4.2.1) or that is
// out of step with the commands (a desync) against probe, send, doctor and
// run: each is a named protocol error, never a success, and nothing is
// sent after a desync.

// wantMixed checks that err is a MixedCodesError at step, holding line.
func wantMixed(t *testing.T, err error, step, line string) {
	t.Helper()
	var mixed *session.MixedCodesError
	if !errors.As(err, &mixed) || stepOf(err) != step || !slices.Contains(mixed.Lines, line) {
		t.Fatalf("err = %v, want a MixedCodesError at %s holding %q", err, step, line)
	}
}

// wantDesync checks that err is a DesyncError at step, holding data.
func wantDesync(t *testing.T, err error, step, data string) {
	t.Helper()
	var desync *wire.DesyncError
	if !errors.As(err, &desync) || stepOf(err) != step || !bytes.Contains(desync.Bytes, []byte(data)) {
		t.Fatalf("err = %v, want a DesyncError at %s holding %q", err, step, data)
	}
}

// hasNote reports a transcript note holding text.
func hasNote(tr *wire.Transcript, text string) bool {
	return slices.ContainsFunc(tr.Entries(), func(e wire.Entry) bool {
		return e.Dir == wire.Note && strings.Contains(string(e.Data), text)
	})
}

func TestProbeMixedCodes(t *testing.T) {
	hostile.CheckLeaks(t)
	r, srv := probeHostile(t, "mixed-codes-ehlo", Options{})
	wantMixed(t, r.Err, StepHello, "550 5.7.1 no")
	if len(r.Hellos) != 0 {
		t.Errorf("hellos %+v: a reply with mixed codes is no EHLO reply", r.Hellos)
	}
	outs := probeOutputs(t, r)
	checkOutputs(t, outs)
	wantIn(t, outs["explain"], "protocol error at EHLO", "different codes (250, 550)", `"550 5.7.1 no"`)
	wantIn(t, outs["report"], "error: protocol error at EHLO")
	wantIn(t, outs["json"], `"ehlo": []`, `"problem": "mixed-codes"`, `"550 5.7.1 no"`)
	if strings.Contains(outs["report"], "  550") {
		t.Errorf("the 550 line shows as an extension:\n%s", outs["report"])
	}
	if !hasNote(r.Transcript, "different codes (250, 550)") {
		t.Errorf("the transcript does not mark the reply")
	}
	checkTranscript(t, r.Transcript, srv, true)
	js := r.JSON(false)
	if js.ProtocolError == nil || js.ProtocolError.Step != StepHello ||
		!slices.Equal(js.ProtocolError.Lines, []string{"250-mx.hostile.test", "250-8BITMIME", "550 5.7.1 no"}) {
		t.Errorf("protocol_error %+v", js.ProtocolError)
	}
}

func TestProbeDesync(t *testing.T) {
	for _, tt := range []struct {
		scenario, step, bytes, sent string
	}{
		{"desync-greeting", StepGreeting, "250 AUTH PLAIN LOGIN", ""},
		{"unsolicited-421", StepGreeting, "421 4.3.2 Service shutting down", ""},
		{"desync-extra-reply", StepHello, "250 2.0.0 OK", "EHLO ehlo.localhost\r\n"},
		{"flood", StepHello, "250 unsolicited reply", "EHLO ehlo.localhost\r\n"},
	} {
		t.Run(tt.scenario, func(t *testing.T) {
			hostile.CheckLeaks(t)
			r, srv := probeHostile(t, tt.scenario, Options{})
			wantDesync(t, r.Err, tt.step, tt.bytes)
			if len(r.Hellos) != 0 {
				t.Errorf("hellos %+v: a reply out of step is no EHLO reply", r.Hellos)
			}
			outs := probeOutputs(t, r)
			checkOutputs(t, outs)
			wantIn(t, outs["explain"], "protocol error at "+tt.step, tt.bytes, "sent nothing more")
			wantIn(t, outs["json"], `"problem": "desync"`, tt.bytes)
			if !hasNote(r.Transcript, "while no reply was due") {
				t.Errorf("the transcript does not mark the desync")
			}
			checkTranscript(t, r.Transcript, srv, tt.scenario != "flood")
			if got := string(srv.Conn(t).Wait(t).Got()); got != tt.sent {
				t.Errorf("the client sent %q after the desync, want %q", got, tt.sent)
			}
		})
	}
}

// sendHostile sends a small message to a scenario's server.
func sendHostile(t *testing.T, scenario string, edit func(*SendConfig)) (SendResult, *hostile.Server) {
	t.Helper()
	srv := hostile.Start(t, hostile.Load(scenario))
	m := &Message{From: &mail.Address{Address: "a@client.test"}, To: []*mail.Address{{Address: "b@mx.hostile.test"}},
		Text: Content{Text: "hello\n"}}
	if err := m.Scan(); err != nil {
		t.Fatal(err)
	}
	cfg := SendConfig{Target: srv.Addr, Options: Options{Timeout: 5 * time.Second, RootCAs: hostile.Roots()},
		Message: m, Rcpts: []string{"b@mx.hostile.test"}}
	if edit != nil {
		edit(&cfg)
	}
	if err := cfg.Check(); err != nil {
		t.Fatal(err)
	}
	return Send(context.Background(), cfg, nil), srv
}

// sendOutputs renders a send result every way the CLI prints it.
func sendOutputs(t *testing.T, r SendResult) (report string, js SendJSON) {
	t.Helper()
	var b bytes.Buffer
	WriteSend(&b, r)
	js = r.JSON(40)
	outs := map[string]string{"report": b.String(), "json error": js.Error}
	if js.ProtocolError != nil {
		outs["json lines"] = strings.Join(js.ProtocolError.Lines, "\n")
	}
	checkOutputs(t, outs)
	return b.String(), js
}

func TestSendMixedCodes(t *testing.T) {
	for _, tt := range []struct {
		scenario, step, line string
		pipelining           bool
	}{
		{"mixed-codes-ehlo", StepHello, "550 5.7.1 no", false},
		{"mixed-codes-mail", StepMail, "550 5.1.0 no", false},
		{"mixed-codes-mail", StepMail, "550 5.1.0 no", true},
		{"mixed-codes-dot", StepDataEnd, "554 5.7.1 rejected", false},
	} {
		name := tt.scenario
		if tt.pipelining {
			name += "/pipelining"
		}
		t.Run(name, func(t *testing.T) {
			hostile.CheckLeaks(t)
			r, srv := sendHostile(t, tt.scenario, func(c *SendConfig) { c.Pipelining = tt.pipelining })
			wantMixed(t, r.Err, tt.step, tt.line)
			if r.Delivered() || r.Final != nil {
				t.Errorf("delivered %v, final %+v: a reply with mixed codes is no answer", r.Delivered(), r.Final)
			}
			report, js := sendOutputs(t, r)
			if js.Delivered || js.FailedStep != tt.step || js.ProtocolError == nil || js.ProtocolError.Problem != "mixed-codes" ||
				!slices.Contains(js.ProtocolError.Lines, tt.line) {
				t.Errorf("JSON delivered %v, failed_step %q, protocol_error %+v", js.Delivered, js.FailedStep, js.ProtocolError)
			}
			want := "NOT delivered: protocol error at " + tt.step
			if tt.step == StepDataEnd {
				want = "UNKNOWN: protocol error at end of data"
				wantIn(t, report, "whether the server took the message is unknown")
			}
			wantIn(t, report, want, tt.line)
			got := srv.Conn(t).Wait(t).Got()
			if bytes.Contains(got, []byte("QUIT")) || tt.pipelining && !bytes.HasSuffix(got, []byte("DATA\r\n")) {
				t.Errorf("the client sent %q: want the pipelined group at most, and nothing after the protocol error", got)
			}
			if tt.pipelining && r.Data != nil {
				t.Errorf("DATA's reply %+v: nothing answers it after a reply with mixed codes", r.Data)
			}
		})
	}
}

func TestSendDesync(t *testing.T) {
	t.Run("greeting: no AUTH", func(t *testing.T) {
		hostile.CheckLeaks(t)
		r, srv := sendHostile(t, "desync-greeting", func(c *SendConfig) {
			c.Auth, c.User, c.Password = "PLAIN", "alice", "Tr0ub4dor&3-desync"
		})
		wantDesync(t, r.Err, StepGreeting, "250 AUTH PLAIN LOGIN")
		report, js := sendOutputs(t, r)
		if js.Delivered || js.FailedStep != StepGreeting || js.ProtocolError == nil || js.ProtocolError.Problem != "desync" {
			t.Errorf("JSON delivered %v, failed_step %q, protocol_error %+v", js.Delivered, js.FailedStep, js.ProtocolError)
		}
		wantIn(t, report, "NOT delivered: protocol error at greeting", "out of step")
		if got := srv.Conn(t).Wait(t).Got(); len(got) != 0 {
			t.Errorf("the client sent %q to a server out of step", got)
		}
	})
	t.Run("two replies to the final dot", func(t *testing.T) {
		hostile.CheckLeaks(t)
		r, _ := sendHostile(t, "desync-dot", nil)
		wantDesync(t, r.Err, StepDataEnd, "554 5.7.1 rejected after all")
		if r.Delivered() {
			t.Errorf("a 250 followed by a reply nothing asked for counts as delivered")
		}
		report, js := sendOutputs(t, r)
		if js.Delivered || js.FailedStep != StepDataEnd || js.Final == nil || js.Final.Code != 250 {
			t.Errorf("JSON delivered %v, failed_step %q, final %+v: want the 250 shown, not delivered", js.Delivered, js.FailedStep, js.Final)
		}
		wantIn(t, report, "UNKNOWN: protocol error at end of data", "554 5.7.1 rejected after all", "may duplicate it")
	})
}

func TestDoctorProtocolErrors(t *testing.T) {
	for _, tt := range []struct {
		scenario, id, evidence string
		send                   bool
		not                    string // the finding of a success at the broken step
	}{
		{"mixed-codes-ehlo", "mixed-codes", "S: 550 5.7.1 no", false, "8bitmime"},
		{"mixed-codes-mail", "mixed-codes", "S: 550 5.1.0 no", false, "mail-accepted"},
		{"mixed-codes-dot", "mixed-codes", "S: 554 5.7.1 rejected", true, "message-accepted"},
		{"desync-greeting", "desync", "S: 250 AUTH PLAIN LOGIN", false, "auth-ok"},
		{"desync-extra-reply", "desync", "S: 250 2.0.0 OK", false, "8bitmime"},
		{"desync-dot", "desync", "S: 554 5.7.1 rejected after all", true, "message-accepted"},
		{"unsolicited-421", "desync", "S: 421 4.3.2", false, "no-starttls"},
	} {
		t.Run(tt.scenario, func(t *testing.T) {
			hostile.CheckLeaks(t)
			srv := hostile.Start(t, hostile.Load(tt.scenario))
			cfg := DoctorConfig{Target: srv.Addr, Options: Options{Timeout: 5 * time.Second, RootCAs: hostile.Roots()},
				User: "alice", Password: "Tr0ub4dor&3-desync", From: "a@client.test", To: []string{"b@mx.hostile.test"}, Send: tt.send}
			res := Doctor(context.Background(), cfg)
			ids := findingIDs(res.Findings)
			i := slices.Index(ids, tt.id)
			if !res.Failed() || i < 0 || res.Findings[i].Severity != session.SeverityError {
				t.Fatalf("findings %q, want the error %s", ids, tt.id)
			}
			if ev := res.Findings[i].Evidence; !slices.ContainsFunc(ev, func(l string) bool { return strings.HasPrefix(l, tt.evidence) }) {
				t.Errorf("evidence %q, want a line %q", ev, tt.evidence)
			}
			if slices.Contains(ids, tt.not) {
				t.Errorf("finding %s after a protocol error there: %q", tt.not, ids)
			}
			if got := srv.Conn(t).Wait(t).Got(); bytes.Contains(got, []byte("AUTH")) {
				t.Errorf("the doctor sent AUTH: %q", got)
			}
		})
	}
}

func findingIDs(fs []session.Finding) []string {
	var ids []string
	for _, f := range fs {
		ids = append(ids, f.ID)
	}
	return ids
}

func TestRunProtocolErrors(t *testing.T) {
	const script = "EHLO client.test\nexpect 250\nMAIL FROM:<a@client.test>\nexpect 250\n" +
		"RCPT TO:<b@mx.hostile.test>\nexpect 250\nDATA\nexpect 354\nhello\n.\nexpect 250\nQUIT\n"
	s, err := ParseScript("s.ehlo", strings.NewReader(script))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		scenario, line, want string
	}{
		{"mixed-codes-ehlo", "s.ehlo:1: EHLO client.test", "different codes (250, 550)"},
		{"mixed-codes-mail", "s.ehlo:3: MAIL FROM:<a@client.test>", "different codes (250, 550)"},
		{"mixed-codes-dot", "s.ehlo:10: .", "different codes (250, 554)"},
		{"desync-greeting", "s.ehlo:0: (greeting)", "out of step"},
		{"desync-extra-reply", "s.ehlo:1: EHLO client.test", "out of step"},
		{"desync-dot", "s.ehlo:10: .", "554 5.7.1 rejected after all"},
	} {
		t.Run(tt.scenario, func(t *testing.T) {
			hostile.CheckLeaks(t)
			srv := hostile.Start(t, hostile.Load(tt.scenario))
			res := RunScript(context.Background(), s, RunConfig{Target: srv.Addr, Options: Options{Timeout: 5 * time.Second}}, nil)
			if res.OK() || res.Err == nil {
				t.Fatalf("checked %d, failure %v, err %v: want the run stopped by a protocol error", res.Checked, res.Failure, res.Err)
			}
			msg := res.Err.Error()
			if !strings.HasPrefix(msg, tt.line+": protocol error") || !strings.Contains(msg, tt.want) {
				t.Errorf("error %q, want %q then %q", msg, tt.line+": protocol error", tt.want)
			}
			hostile.Terminal(t, "error", msg)
		})
	}
}
