package client

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

// script builds transcript entries; each step advances the clock by the
// given milliseconds before the entry.
type script struct {
	t0      time.Time
	now     time.Time
	entries []wire.Entry
}

func newScript() *script {
	t0 := time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)
	return &script{t0: t0, now: t0}
}

func (s *script) at(ms int, dir wire.Dir, tls bool, text string) *script {
	s.now = s.now.Add(time.Duration(ms) * time.Millisecond)
	data := []byte(text)
	if dir != wire.Note {
		data = append(data, "\r\n"...)
	}
	s.entries = append(s.entries, wire.Entry{Seq: len(s.entries), Time: s.now, Dir: dir, TLS: tls, Data: data})
	return s
}

func (s *script) note(ms int, text string) *script     { return s.at(ms, wire.Note, false, text) }
func (s *script) c(ms int, tls bool, l string) *script { return s.at(ms, wire.Client, tls, l) }
func (s *script) s(ms int, tls bool, l string) *script { return s.at(ms, wire.Server, tls, l) }

func (s *script) secret(ms int, shown string) *script {
	s.at(ms, wire.Client, true, "c2VjcmV0")
	e := &s.entries[len(s.entries)-1]
	e.Secret, e.Shown = true, shown
	return s
}

func TestTimeline(t *testing.T) {
	s := newScript().
		note(2, "connected to 192.0.2.1:587").
		s(1200, false, "220 mx ESMTP").
		c(1, false, "EHLO c").s(3, false, "250-mx").s(0, false, "250 STARTTLS").
		c(1, false, "STARTTLS").s(2, false, "220 go ahead").
		note(5, `TLS 1.3 handshake with "mx" in 5ms: TLS_AES_128_GCM_SHA256; certificate verified`).
		c(1, true, "EHLO c").s(2, true, "250-mx").s(0, true, "250 AUTH LOGIN").
		secret(1, "AUTH LOGIN").s(2, true, "334 VXNlcm5hbWU6").secret(1, "<redacted>").s(2, true, "334 UGFzc3dvcmQ6").
		secret(1, "<redacted>").s(30, true, "235 2.7.0 ok").
		c(1, true, "MAIL FROM:<a@x>").c(0, true, "RCPT TO:<b@x>").c(0, true, "DATA").
		s(4, true, "250 ok").s(5000, true, "250 ok").s(1, true, "354 go").
		c(1, true, "Subject: x").c(0, true, "").c(0, true, "hi").c(0, true, ".").s(9, true, "250 queued").
		c(1, true, "QUIT").s(1, true, "221 bye")
	spans := Timeline(s.entries, s.t0)
	var got []string
	for _, sp := range spans {
		got = append(got, sp.Label)
	}
	want := []string{"connect", "greeting", "EHLO", "STARTTLS", "TLS handshake", "EHLO", "AUTH LOGIN",
		"MAIL FROM", "RCPT TO", "DATA", "message", "QUIT"}
	if !slices.Equal(got, want) {
		t.Fatalf("labels %q, want %q", got, want)
	}
	check := func(label string, start, took time.Duration, inTLS bool) {
		t.Helper()
		i := slices.IndexFunc(spans, func(s Span) bool { return s.Label == label })
		if sp := spans[i]; sp.Start != start || sp.Took != took || sp.TLS != inTLS {
			t.Errorf("%s: %+v, want start %v took %v tls %v", label, sp, start, took, inTLS)
		}
	}
	ms := time.Millisecond
	check("connect", 0, 2*ms, false)
	check("greeting", 2*ms, 1200*ms, false)
	check("TLS handshake", 1209*ms, 5*ms, true)
	check("AUTH LOGIN", 1218*ms, 36*ms, true)
	check("RCPT TO", 1255*ms, 5004*ms, true) // pipelined: its reply is the second
	check("DATA", 1255*ms, 5005*ms, true)    // and 354 the third
	check("message", 6261*ms, 9*ms, true)    // first body line to the reply to "."
	check("QUIT", 6271*ms, 1*ms, true)
}

// TestTimelineClientWait: the time the server waits for the client inside
// a step, a user typing the answers of an AUTH exchange or the lines of a
// message, is the step's Wait, apart from the time the server took.
func TestTimelineClientWait(t *testing.T) {
	s := newScript().
		note(2, "connected to 192.0.2.1:587").
		s(10, true, "220 mx ESMTP").
		secret(100, "AUTH LOGIN").s(2, true, "334 VXNlcm5hbWU6").
		secret(5000, "<redacted>").s(3, true, "334 UGFzc3dvcmQ6").
		secret(4000, "<redacted>").s(30, true, "235 2.7.0 ok").
		c(1, true, "MAIL FROM:<a@x>").s(4, true, "250 ok").
		c(1, true, "RCPT TO:<b@x>").s(4, true, "250 ok").
		c(1, true, "DATA").s(4, true, "354 go").
		c(7000, true, "Subject: x").c(3000, true, "").c(6000, true, "hi").c(2000, true, ".").s(9, true, "250 queued")
	spans := Timeline(s.entries, s.t0)
	ms := time.Millisecond
	for _, want := range []Span{
		{Label: "AUTH LOGIN", Took: 9035 * ms, Wait: 9000 * ms},
		{Label: "MAIL FROM", Took: 4 * ms},
		{Label: "message", Took: 11009 * ms, Wait: 11000 * ms},
	} {
		i := slices.IndexFunc(spans, func(s Span) bool { return s.Label == want.Label })
		if i < 0 || spans[i].Took != want.Took || spans[i].Wait != want.Wait {
			t.Errorf("%s: %+v, want took %v of which the client's %v", want.Label, spans, want.Took, want.Wait)
		}
	}
}

func TestTimelineImplicitTLSAndRetry(t *testing.T) {
	s := newScript().
		note(1, "connected to 192.0.2.1:465").
		note(200, "ehlo doctor: no greeting within 200ms in plaintext; trying implicit TLS").
		note(1, "connected to 192.0.2.1:465").
		note(3, `TLS 1.3 handshake with "mx" in 3ms: x; certificate verified`).
		s(1, true, "220 mx ESMTP")
	var got []string
	for _, sp := range Timeline(s.entries, s.t0) {
		got = append(got, sp.Label+" "+session.Millis(sp.Took))
	}
	want := []string{"connect 1.0ms", "no greeting 200ms", "connect 1.0ms", "TLS handshake 3.0ms", "greeting 1.0ms"}
	if !slices.Equal(got, want) {
		t.Errorf("spans %q, want %q", got, want)
	}
	if Timeline(nil, time.Time{}) != nil {
		t.Error("spans from nothing")
	}
}

func TestTimelineFailedHandshake(t *testing.T) {
	s := newScript().
		note(1, "connected to 192.0.2.1:587").
		note(2, "TLS handshake failed after 2ms: wire: the server answered in plaintext").
		note(0, "ehlo doctor: retrying in plaintext").
		note(1, "connected to 192.0.2.1:587").
		s(1, false, "220 mx")
	var got []string
	for _, sp := range Timeline(s.entries, time.Time{}) {
		got = append(got, sp.Label)
	}
	want := []string{"TLS handshake (failed)", "connect", "greeting"}
	if !slices.Equal(got, want) {
		t.Errorf("spans %q, want %q", got, want)
	}
}

func TestWriteWaterfall(t *testing.T) {
	spans := []Span{
		{Label: "connect", Start: 0, Took: 10 * time.Millisecond},
		{Label: "greeting", Start: 10 * time.Millisecond, Took: 990 * time.Millisecond},
		{Label: "EHLO", Start: time.Second, Took: 50 * time.Microsecond},
	}
	var out bytes.Buffer
	WriteWaterfall(&out, spans, WaterfallOptions{Width: 10, ASCII: true})
	want := "" +
		"  connect        #          10ms\n" +
		"  greeting       ########## 990ms\n" +
		"  EHLO                    # <0.1ms\n" +
		"  total          1.0s\n"
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
	out.Reset()
	WriteWaterfall(&out, spans, WaterfallOptions{})
	if !strings.Contains(out.String(), "████") || len(strings.Split(out.String(), "\n")) != 5 {
		t.Errorf("default output:\n%s", out.String())
	}
	out.Reset()
	WriteWaterfall(&out, nil, WaterfallOptions{})
	if out.Len() != 0 {
		t.Errorf("output for no spans: %q", out.String())
	}
}

func TestUTF8Locale(t *testing.T) {
	t.Setenv("LC_ALL", "")
	t.Setenv("LC_CTYPE", "")
	t.Setenv("LANG", "en_US.UTF-8")
	if !UTF8Locale() {
		t.Error("en_US.UTF-8 is not UTF-8")
	}
	t.Setenv("LC_ALL", "C")
	if UTF8Locale() {
		t.Error("C is UTF-8")
	}
}
