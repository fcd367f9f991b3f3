package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ehlo-sh/ehlo/internal/hostile"
	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

// These tests play the hostile-server scenarios of internal/hostile against
// Probe. Each also checks that no goroutine leaks, that the transcript is
// what the server wrote, and that no output (the report, the JSON, the
// transcript, the error) carries anything from the server that could act
// on a terminal.

// shortTimeout makes the timeouts of hostile tests quick.
const shortTimeout = 300 * time.Millisecond

// probeHostile probes a scenario's server.
func probeHostile(t *testing.T, scenario string, opts Options) (ProbeResult, *hostile.Server) {
	t.Helper()
	srv := hostile.Start(t, hostile.Load(scenario))
	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Second
	}
	if opts.RootCAs == nil {
		opts.RootCAs = hostile.Roots()
	}
	return Probe(context.Background(), srv.Addr, opts), srv
}

// probeOutputs renders a result every way the CLI prints it.
func probeOutputs(t *testing.T, r ProbeResult) map[string]string {
	t.Helper()
	var text, tr bytes.Buffer
	WriteProbe(&text, r)
	if err := WriteTranscript(&tr, r.Transcript.Entries(), TranscriptFormat{Times: true}); err != nil {
		t.Fatal(err)
	}
	js, err := json.MarshalIndent(r.JSON(true), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(js, &v); err != nil {
		t.Fatal(err)
	}
	var values []string
	walkStrings(v, func(s string) { values = append(values, s) })
	out := map[string]string{"report": text.String(), "transcript": tr.String(), "json": string(js),
		"json values": strings.Join(values, "\n")}
	if r.Err != nil {
		out["explain"], out["error"] = Explain(r.Err), r.Err.Error()
	}
	return out
}

// checkOutputs fails on anything unsafe in the outputs, the JSON's decoded
// strings included ("json values": JSON escapes C0 controls, so the raw
// text alone would not show them).
func checkOutputs(t *testing.T, outs map[string]string) {
	t.Helper()
	for name, s := range outs {
		hostile.Terminal(t, name, s)
	}
}

func walkStrings(v any, f func(string)) {
	switch v := v.(type) {
	case string:
		f(v)
	case []any:
		for _, x := range v {
			walkStrings(x, f)
		}
	case map[string]any:
		for k, x := range v {
			f(k)
			walkStrings(x, f)
		}
	}
}

// checkTranscript compares the transcript with what the server wrote: the
// same bytes, all of them when whole (the client read to the end).
func checkTranscript(t *testing.T, tr *wire.Transcript, srv *hostile.Server, whole bool) {
	t.Helper()
	got, wrote := tr.Bytes(wire.Server), srv.Conn(t).Wait(t).Wrote()
	if !bytes.HasPrefix(wrote, got) || whole && !bytes.Equal(got, wrote) {
		t.Errorf("transcript (%d bytes) %q\nserver wrote (%d bytes) %q", len(got), clipped(got), len(wrote), clipped(wrote))
	}
}

func clipped(b []byte) []byte {
	if len(b) > 300 {
		return append(bytes.Clone(b[:300]), "..."...)
	}
	return b
}

func stepOf(err error) string {
	var s *StepError
	if errors.As(err, &s) {
		return s.Step
	}
	return ""
}

// hostileProbeCases: scenario, options, whether the probe reads all the
// server wrote, and what the result must show.
var hostileProbeCases = []struct {
	scenario string
	opts     Options
	whole    bool
	check    func(t *testing.T, r ProbeResult, outs map[string]string)
}{
	{"no-greeting", Options{Timeout: shortTimeout, GreetingWait: 50 * time.Millisecond}, true, func(t *testing.T, r ProbeResult, outs map[string]string) {
		wantTimeout(t, r, StepGreeting)
		wantIn(t, outs["explain"], "no greeting", "implicit TLS, tried on a second connection, did not answer either")
	}},
	{"trickle-greeting", Options{Timeout: shortTimeout}, false, func(t *testing.T, r ProbeResult, outs map[string]string) {
		wantTimeout(t, r, StepGreeting)
	}},
	{"endless-continuation", Options{}, false, func(t *testing.T, r ProbeResult, outs map[string]string) {
		wantLimit(t, r, StepHello, "lines")
		wantIn(t, outs["explain"], "longer than 256 lines")
	}},
	{"long-line", Options{}, false, func(t *testing.T, r ProbeResult, outs map[string]string) {
		wantLimit(t, r, StepGreeting, "line")
		wantIn(t, outs["explain"], "reply line longer than 2048 bytes")
	}},
	{"malformed-25", Options{}, true, wantProtocolError},
	{"malformed-2500", Options{}, true, wantProtocolError},
	{"malformed-abc", Options{}, true, wantProtocolError},
	{"malformed-250ok", Options{}, true, wantProtocolError},
	{"malformed-999", Options{}, true, func(t *testing.T, r ProbeResult, outs map[string]string) {
		if !errors.Is(r.Err, session.ErrMalformedReply) || stepOf(r.Err) != StepGreeting {
			t.Errorf("err = %v, want a malformed greeting", r.Err)
		}
	}},
	{"escapes", Options{}, true, func(t *testing.T, r ProbeResult, outs map[string]string) {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		for _, name := range []string{"report", "transcript", "json values"} {
			wantIn(t, outs[name], `\x1b]52;c;ZXZpbA==\x07`, `\x1b]0;pwned title\x07`, `\x1b[2J\x1b[H\x1b[10;20H`,
				`\x1b]8;;https://evil.example/`, `\u009b31m`, `\u202eevil`, `550 no\r250 OK`)
		}
		wantIn(t, outs["report"], `mx.hostile.test \x1b]0;owned\x07hello`)
	}},
	{"nul-invalid", Options{}, true, func(t *testing.T, r ProbeResult, outs map[string]string) {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		wantIn(t, outs["report"], `220 mx\x00.hostile.test \xff\xfe \xc3( \xc0\xaf \xed\xa0\x80 ESMTP`)
		wantIn(t, outs["transcript"], `S: 250 SIZE \xc3`, `S: 221 \x00bye`)
	}},
	{"starttls-injection", Options{}, false, func(t *testing.T, r ProbeResult, outs map[string]string) {
		var ie *wire.InjectionError
		if !errors.As(r.Err, &ie) || stepOf(r.Err) != StepStartTLS || r.TLS != nil {
			t.Fatalf("err = %v, TLS %v: want an injection at STARTTLS and no TLS", r.Err, r.TLS)
		}
		wantIn(t, outs["explain"], "possible STARTTLS response injection", `250 AUTH PLAIN\r\n`)
		wantIn(t, outs["transcript"], "possible response injection")
	}},
	{"starttls-injection-later", Options{}, true, func(t *testing.T, r ProbeResult, outs map[string]string) {
		var pe *wire.PlaintextError
		if !errors.As(r.Err, &pe) || !pe.STARTTLS || stepOf(r.Err) != StepStartTLS || r.TLS != nil {
			t.Fatalf("err = %v, TLS %v: want plaintext after STARTTLS's 220 and no TLS", r.Err, r.TLS)
		}
		wantIn(t, outs["explain"], "after its 220 to STARTTLS the server sent plaintext", `250 AUTH PLAIN\r\n`, "possible response injection")
		wantIn(t, outs["transcript"], "S: 250 AUTH PLAIN")
	}},
	{"starttls-silence", Options{Timeout: time.Second}, true, func(t *testing.T, r ProbeResult, outs map[string]string) {
		wantTimeout(t, r, StepStartTLS)
	}},
	{"starttls-454", Options{}, true, wantNoUpgrade},
	{"starttls-502", Options{}, true, wantNoUpgrade},
	{"starttls-selfsigned", Options{}, true, wantVerifyFailure("unknown authority")},
	{"starttls-expired", Options{}, true, wantVerifyFailure("expired")},
	{"starttls-wrongname", Options{}, true, wantVerifyFailure("name mismatch: the certificate covers mx.example.org, not 127.0.0.1")},
	{"starttls-selfsigned", Options{Insecure: true}, true, wantUnverified("unknown authority")},
	{"starttls-expired", Options{Insecure: true}, true, wantUnverified("expired")},
	{"starttls-wrongname", Options{Insecure: true}, true, wantUnverified("name mismatch")},
	{"implicit-tls", Options{ImplicitTLS: true}, true, func(t *testing.T, r ProbeResult, outs map[string]string) {
		if r.Err != nil || !r.ImplicitTLS || r.TLS == nil || !r.TLS.Verified {
			t.Fatalf("err %v, TLS %+v", r.Err, r.TLS)
		}
		wantIn(t, outs["report"], "implicit TLS", "EHLO inside TLS")
	}},
	{"implicit-tls", Options{Timeout: shortTimeout, GreetingWait: 50 * time.Millisecond}, false, func(t *testing.T, r ProbeResult, outs map[string]string) {
		var first *TLSFirstError
		if !errors.As(r.Err, &first) || stepOf(r.Err) != StepGreeting {
			t.Fatalf("err = %v, want a TLSFirstError at the greeting", r.Err)
		}
		wantIn(t, outs["explain"], "this port speaks TLS first", `"220 mx.hostile.test ESMTP inside TLS"`, "use --tls")
		wantIn(t, outs["transcript"], "implicit TLS answered on the second connection")
	}},
	{"plaintext-server", Options{ImplicitTLS: true}, true, func(t *testing.T, r ProbeResult, outs map[string]string) {
		var pe *wire.PlaintextError
		if !errors.As(r.Err, &pe) || stepOf(r.Err) != StepConnect {
			t.Fatalf("err = %v, want a PlaintextError at connect", r.Err)
		}
		wantIn(t, outs["explain"], "answered in plaintext where TLS was expected", "drop --tls")
	}},
	{"old-tls", Options{ImplicitTLS: true}, true, func(t *testing.T, r ProbeResult, outs map[string]string) {
		var ve *wire.VersionError
		if !errors.As(r.Err, &ve) || stepOf(r.Err) != StepConnect {
			t.Fatalf("err = %v, want a VersionError at connect", r.Err)
		}
		wantIn(t, outs["explain"], "we offered TLS 1.3, TLS 1.2", "alert protocol_version", "--tls-min 1.0", "RFC 8996")
	}},
	{"old-tls", Options{ImplicitTLS: true, MinTLS: tls.VersionTLS10}, true, func(t *testing.T, r ProbeResult, outs map[string]string) {
		if r.Err != nil || r.TLS == nil || r.TLS.Version != "TLS 1.0" || !r.TLS.Weak {
			t.Fatalf("err %v, TLS %+v: want a weak TLS 1.0 session", r.Err, r.TLS)
		}
		wantIn(t, outs["report"], "TLS  TLS 1.0 (WEAK: below TLS 1.2, allowed by --tls-min)")
		wantIn(t, outs["json"], `"version": "TLS 1.0"`, `"weak_version": true`)
		wantIn(t, outs["transcript"], "TLS 1.0 (weak: below TLS 1.2")
	}},
	{"starttls-old-tls", Options{}, false, func(t *testing.T, r ProbeResult, outs map[string]string) {
		var ve *wire.VersionError
		if !errors.As(r.Err, &ve) || stepOf(r.Err) != StepStartTLS {
			t.Fatalf("err = %v, want a VersionError at STARTTLS", r.Err)
		}
		wantIn(t, outs["report"], "--tls-min 1.0")
	}},
	{"starttls-old-tls", Options{MinTLS: tls.VersionTLS10}, true, func(t *testing.T, r ProbeResult, outs map[string]string) {
		if r.Err != nil || r.TLS == nil || !r.TLS.Weak {
			t.Fatalf("err %v, TLS %+v: want a weak session", r.Err, r.TLS)
		}
		wantIn(t, outs["report"], "plaintext, then STARTTLS", "TLS 1.0 (WEAK")
	}},
	{"unsolicited-421", Options{}, true, func(t *testing.T, r ProbeResult, outs map[string]string) {
		// it came with the greeting, before EHLO: no answer to EHLO (TestProbeDesync)
		wantDesync(t, r.Err, StepGreeting, "421 4.3.2 Service shutting down")
		wantIn(t, outs["explain"], "it is closing the session")
	}},
	{"fin-mid-reply", Options{}, true, func(t *testing.T, r ProbeResult, outs map[string]string) {
		var ce *wire.ClosedError
		if !errors.As(r.Err, &ce) || stepOf(r.Err) != StepHello {
			t.Fatalf("err = %v, want closed in the middle of EHLO's reply", r.Err)
		}
		wantIn(t, outs["explain"], "closed the connection in the middle of a reply", "250-8BI")
	}},
	{"rst-mid-reply", Options{}, false, func(t *testing.T, r ProbeResult, outs map[string]string) {
		var ce *wire.ClosedError
		if stepOf(r.Err) != StepHello || !errors.As(r.Err, &ce) && !errors.Is(r.Err, syscall.ECONNRESET) {
			t.Fatalf("err = %v, want a reset in the middle of EHLO's reply", r.Err)
		}
	}},
	{"junk-before-greeting", Options{}, false, func(t *testing.T, r ProbeResult, outs map[string]string) {
		var pe *wire.ProtocolError
		var le *wire.LimitError
		if stepOf(r.Err) != StepGreeting || !errors.As(r.Err, &pe) && !errors.As(r.Err, &le) {
			t.Fatalf("err = %v, want a framing error on the greeting", r.Err)
		}
	}},
	{"flood", Options{}, false, func(t *testing.T, r ProbeResult, outs map[string]string) {
		wantDesync(t, r.Err, StepHello, "250 unsolicited reply") // more replies than commands
	}},
	{"plaintext-auth", Options{Timeout: time.Second}, false, func(t *testing.T, r ProbeResult, outs map[string]string) {
		wantIn(t, outs["report"], "AUTH is offered in plaintext and STARTTLS is not: credentials would travel in clear")
	}},
}

func TestHostileProbe(t *testing.T) {
	for _, tt := range hostileProbeCases {
		name := tt.scenario
		switch {
		case tt.opts.Insecure:
			name += "/insecure"
		case tt.opts.ImplicitTLS:
			name += "/tls"
		}
		t.Run(name, func(t *testing.T) {
			hostile.CheckLeaks(t)
			start := time.Now()
			r, srv := probeHostile(t, tt.scenario, tt.opts)
			if took := time.Since(start); took > 4*time.Second {
				t.Errorf("the probe took %v", took)
			}
			outs := probeOutputs(t, r)
			tt.check(t, r, outs)
			checkOutputs(t, outs)
			checkTranscript(t, r.Transcript, srv, tt.whole)
			if got := srv.Conn(t).Wait(t).Got(); tt.scenario == "starttls-injection" && !bytes.HasSuffix(got, []byte("STARTTLS\r\n")) {
				t.Errorf("after the injection the client sent %q: no handshake may start", got)
			}
		})
	}
}

// TestHostileProbeCancel: a probe waiting for a greeting that never comes
// stops when its context is cancelled (Ctrl-C).
func TestHostileProbeCancel(t *testing.T) {
	hostile.CheckLeaks(t)
	srv := hostile.Start(t, hostile.Load("no-greeting"))
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	r := Probe(ctx, srv.Addr, Options{Timeout: time.Minute})
	if !errors.Is(r.Err, context.Canceled) || time.Since(start) > 5*time.Second {
		t.Fatalf("err = %v after %v, want cancelled at once", r.Err, time.Since(start))
	}
}

func wantIn(t *testing.T, s string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(s, p) {
			t.Errorf("output lacks %q:\n%s", p, s)
		}
	}
}

func wantTimeout(t *testing.T, r ProbeResult, step string) {
	t.Helper()
	var te *wire.TimeoutError
	if !errors.As(r.Err, &te) || stepOf(r.Err) != step {
		t.Fatalf("err = %v, want a timeout at %s", r.Err, step)
	}
}

func wantLimit(t *testing.T, r ProbeResult, step, what string) {
	t.Helper()
	var le *wire.LimitError
	if !errors.As(r.Err, &le) || le.What != what || stepOf(r.Err) != step {
		t.Fatalf("err = %v, want a %s limit at %s", r.Err, what, step)
	}
}

func wantProtocolError(t *testing.T, r ProbeResult, outs map[string]string) {
	t.Helper()
	var pe *wire.ProtocolError
	if !errors.As(r.Err, &pe) || stepOf(r.Err) != StepGreeting {
		t.Fatalf("err = %v, want a ProtocolError on the greeting", r.Err)
	}
	wantIn(t, outs["explain"], "greeting", "reply")
}

func wantNoUpgrade(t *testing.T, r ProbeResult, outs map[string]string) {
	t.Helper()
	if r.TLS != nil || r.StartTLS == nil || r.StartTLS.OK() {
		t.Fatalf("TLS %+v, STARTTLS reply %+v: want a refusal and no TLS", r.TLS, r.StartTLS)
	}
	if !errors.Is(r.Err, ErrNoUpgrade) {
		t.Errorf("err = %v, want ErrNoUpgrade", r.Err)
	}
	wantIn(t, outs["report"], "(127.0.0.1:", ", plaintext)")
	if strings.Contains(outs["report"], "then STARTTLS") {
		t.Errorf("a refused STARTTLS reads as an upgrade:\n%s", outs["report"])
	}
	wantIn(t, outs["json"], `"tls": null`)
}

func wantVerifyFailure(why string) func(t *testing.T, r ProbeResult, outs map[string]string) {
	return func(t *testing.T, r ProbeResult, outs map[string]string) {
		t.Helper()
		var ve *wire.VerifyError
		if !errors.As(r.Err, &ve) || r.TLS == nil || len(r.TLS.Chain) == 0 {
			t.Fatalf("err = %v, TLS %+v: want a verification failure with the chain", r.Err, r.TLS)
		}
		wantIn(t, outs["explain"], "the certificate did not verify", why, "--insecure")
		wantIn(t, outs["report"], "NOT verified", why, "sha256")
	}
}

func wantUnverified(why string) func(t *testing.T, r ProbeResult, outs map[string]string) {
	return func(t *testing.T, r ProbeResult, outs map[string]string) {
		t.Helper()
		if r.Err != nil || r.TLS == nil || r.TLS.Verified || r.Secure() == nil {
			t.Fatalf("err %v, TLS %+v: want the session to go on unverified", r.Err, r.TLS)
		}
		wantIn(t, outs["report"], "UNVERIFIED (--insecure)", why)
		wantIn(t, outs["json"], `"verified": false`, `"insecure": true`)
	}
}
