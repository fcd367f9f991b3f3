package learn

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ehlo-sh/ehlo/lab"
	"github.com/ehlo-sh/ehlo/wire"
)

// TestShippedLessonsVerify replays every shipped lesson's solution against
// a lab of its own: every goal must be met (ehlo learn --verify).
func TestShippedLessonsVerify(t *testing.T) {
	lessons, err := Shipped("en")
	if err != nil {
		t.Fatal(err)
	}
	if len(lessons) < 11 {
		t.Fatalf("%d lessons", len(lessons))
	}
	for _, l := range lessons {
		t.Run(l.Name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if tr, err := Verify(ctx, l); err != nil {
				var b strings.Builder
				if tr != nil {
					for _, e := range tr.Entries() {
						b.WriteString(e.Dir.String() + " " + string(e.Data) + "\n")
					}
				}
				t.Fatalf("%v\n%s", err, b.String())
			}
		})
	}
}

// TestVerifyCatchesAWrongSolution: a solution that misses a goal fails.
func TestVerifyCatchesAWrongSolution(t *testing.T) {
	lessons, _ := Shipped("en")
	l, _ := Find(lessons, "1")
	l.Solution = "expect 220\nEHLO me.example\nexpect 250\nQUIT\nexpect 221\n"
	_, err := Verify(context.Background(), l)
	ge, ok := err.(*GoalsError)
	if !ok || strings.Join(ge.Missing, ",") != "noop" {
		t.Fatalf("err = %v, want the noop goal missing", err)
	}
	l.Solution = "expect 220\nEHLO me.example\nexpect 550\n"
	if _, err := Verify(context.Background(), l); err == nil || !strings.Contains(err.Error(), "expect 550") {
		t.Fatalf("a wrong expect: %v", err)
	}
}

func TestTranslationsCoverEverything(t *testing.T) {
	en, err := Shipped("en")
	if err != nil {
		t.Fatal(err)
	}
	zh, err := Shipped("zh")
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range zh {
		e := en[i]
		if l.Lang != "zh" {
			t.Errorf("%s: no Chinese translation", l.Name)
			continue
		}
		if l.Title == e.Title || l.Text == e.Text {
			t.Errorf("%s: title or text untranslated", l.Name)
		}
		for j, g := range l.Goals {
			// a hint that is only a command line stays as it is
			if g.Say == e.Goals[j].Say || g.Hint == e.Goals[j].Hint && strings.Contains(g.Hint, " the ") {
				t.Errorf("%s: goal %s untranslated", l.Name, g.ID)
			}
		}
	}
}

func entries(lines ...string) []wire.Entry {
	var out []wire.Entry
	tls := false
	for _, l := range lines {
		switch {
		case l == "TLS":
			tls = true
		case strings.HasPrefix(l, "* "):
			out = append(out, wire.Entry{Dir: wire.Note, Data: []byte(l[2:])})
		case strings.HasPrefix(l, "C: "):
			out = append(out, wire.Entry{Dir: wire.Client, TLS: tls, Data: []byte(l[3:] + "\r\n")})
		case strings.HasPrefix(l, "S: "):
			out = append(out, wire.Entry{Dir: wire.Server, TLS: tls, Data: []byte(l[3:] + "\r\n")})
		}
	}
	return out
}

func TestTrackerPairsPipelinedAndAuth(t *testing.T) {
	l, err := Parse("t.lesson", strings.NewReader(`lesson: 1 t
title: T
goal ehlo: reply EHLO 250 has=AUTH tls endpoint=submission
  say: x
goal rcpt: reply RCPT 451 arg=451@
  say: x
goal login: reply AUTH 235 arg=LOGIN after=ehlo
  say: x
goal msg: reply . 250 from-differs bcc dotstuffed
  say: x
`))
	if err != nil {
		t.Fatal(err)
	}
	tr := NewTracker(l)
	tr, newly := tr.Feed(entries(
		"* connected to 127.0.0.1:1",
		"S: 220 submission.lab.test ESMTP ehlo lab (submission)",
		"C: EHLO me", "S: 250-hi", "S: 250 STARTTLS",
		"C: STARTTLS", "S: 220 go", "TLS",
		"C: EHLO me", "S: 250-hi", "S: 250 AUTH PLAIN LOGIN",
		"C: AUTH LOGIN", "S: 334 VXNlcm5hbWU6", "C: YWxpY2U=", "S: 334 UGFzc3dvcmQ6", "C: d29uZGVybGFuZA==", "S: 235 ok",
		"C: MAIL FROM:<b@example.org>", "C: RCPT TO:<451@lab.test>", "C: RCPT TO:<bob@lab.test>", "C: RCPT TO:<carol@lab.test>", "C: DATA",
		"S: 250 ok", "S: 451 later", "S: 250 ok", "S: 250 ok", "S: 354 go",
		"C: From: n@example.org", "C: To: bob@lab.test", "C: ", "C: ..x", "C: .", "S: 250 queued",
	)...)
	if !tr.Done() || len(newly) != 4 {
		t.Fatalf("met %v, newly %v", tr.Met(), newly)
	}
	// a goal does not count in clear, nor before its after=
	tr = NewTracker(l)
	tr, _ = tr.Feed(entries("* connected to x", "S: 220 x ESMTP ehlo lab (submission)", "C: AUTH LOGIN", "S: 334 x", "C: eA==", "S: 334 y", "C: eQ==", "S: 235 ok",
		"C: EHLO me", "S: 250-hi", "S: 250 AUTH PLAIN")...)
	if tr.Count() != 0 {
		t.Fatalf("met %v", tr.Met())
	}
}

func TestParseErrors(t *testing.T) {
	for _, bad := range []string{
		"title: x\ngoal a: reply EHLO 250\n  say: x\n",
		"lesson: 1 a\ntitle: x\n",
		"lesson: 1 a\ntitle: x\ngoal a: reply EHLO 250\n",
		"lesson: 1 a\ntitle: x\ngoal a: reply EHLO 250 after=b\n  say: x\n",
		"lesson: 1 a\ntitle: x\ngoal a: reply EHLO 999\n  say: x\n",
		"lesson: 1 a\ntitle: x\ngoal a: reply EHLO 250 shiny\n  say: x\n",
		"lesson: 1 a\ntitle: x\nfrobnicate: y\n",
	} {
		if _, err := Parse("bad.lesson", strings.NewReader(bad)); err == nil {
			t.Errorf("Parse accepted %q", bad)
		}
	}
}

func TestStoredOf(t *testing.T) {
	s := StoredOf(lab.Message{From: "b@example.org", To: []string{"bob@lab.test", "alice@lab.test"},
		Data: []byte("From: News <n@example.org>\r\nTo: bob@lab.test\r\nSubject: \x1b[31mx\r\n\r\nhi\r\n")})
	if s.Envelope != "MAIL FROM <b@example.org> · RCPT TO <bob@lab.test>, <alice@lab.test>" ||
		s.Headers != "From: News <n@example.org> · To: bob@lab.test" {
		t.Errorf("%+v", s)
	}
	s = StoredOf(lab.Message{From: "\x1b]0;x\x07@e", Data: []byte("no header")})
	if strings.ContainsAny(s.Envelope+s.Headers, "\x1b\x07") {
		t.Errorf("not sanitized: %q", s)
	}
}

// TestCRAMSteps checks the card's sums against RFC 2195's example.
func TestCRAMSteps(t *testing.T) {
	ch := "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+"
	steps, ok := CRAMSteps(ch, "tim", "tanstaaftanstaaf")
	if !ok || !strings.Contains(steps[0], "<1896.697170952@postoffice.reston.mci.net>") ||
		!strings.Contains(steps[1], "b913a602c7eda7a495b4e6e7334d3890") ||
		!strings.HasSuffix(steps[2], "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw") {
		t.Errorf("%q", steps)
	}
	if _, ok := CRAMSteps("not base64!", "a", "b"); ok {
		t.Error("accepted a challenge that is not base64")
	}
	tr := NewTracker(Lesson{Goals: []Goal{{ID: "x", Spec: Spec{Verb: "AUTH", Codes: []string{"235"}}}}})
	tr, _ = tr.Feed(entries("* connected to x", "S: 220 x", "C: AUTH CRAM-MD5", "S: 334 "+ch)...)
	if tr.CRAMChallenge() != ch {
		t.Fatalf("challenge %q", tr.CRAMChallenge())
	}
	tr, _ = tr.Feed(entries("C: dGlt", "S: 235 ok")...)
	if tr.CRAMChallenge() != "" || !tr.Done() {
		t.Errorf("after 235: %q, done %v", tr.CRAMChallenge(), tr.Done())
	}
}

func TestProgress(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "ehlo", "learn")
	if done, err := LoadProgress(path); err != nil || len(done) != 0 {
		t.Fatalf("no file: %v %v", done, err)
	}
	if err := MarkDone(path, "conversation"); err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(path)
	if err := MarkDone(path, "codes"); err != nil {
		t.Fatal(err)
	}
	if err := MarkDone(path, "conversation"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), strings.TrimSpace(string(first))) || strings.Count(string(b), "\n") != 2 {
		t.Errorf("progress file:\n%s", b)
	}
	done, err := LoadProgress(path)
	if err != nil || !done["conversation"] || !done["codes"] || len(done) != 2 {
		t.Errorf("%v %v", done, err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode())
	}
	if err := MarkDone(path, "../x"); err == nil {
		t.Error("a name with a slash was recorded")
	}
	target := filepath.Join(t.TempDir(), "target")
	os.WriteFile(target, []byte("keep"), 0o600)
	link := filepath.Join(t.TempDir(), "learn")
	os.Symlink(target, link)
	MarkDone(link, "codes")
	if b, _ := os.ReadFile(target); string(b) != "keep" {
		t.Errorf("the link's target was written: %q", b)
	}
}

// TestLessonRules: a lesson's own rules make its endpoint, verified.
func TestLessonRules(t *testing.T) {
	l, err := Parse("mine.lesson", strings.NewReader(`lesson: 30 mine
title: Mine
rule: MAIL=451 4.3.0 try later
greet-delay: 100ms
goal later: reply MAIL 451 endpoint=custom
  say: Get told to come back later.
solution:
  expect 220
  EHLO me
  expect 250
  MAIL FROM:<a@example.org>
  expect 451
`))
	if err != nil {
		t.Fatal(err)
	}
	if l.Start() != "custom" {
		t.Fatalf("starts on %q", l.Start())
	}
	if _, err := Verify(context.Background(), l); err != nil {
		t.Fatal(err)
	}
	if _, err := Parse("bad.lesson", strings.NewReader("lesson: 1 a\ntitle: x\nrule: MAIL\ngoal a: reply EHLO 250\n  say: x\n")); err == nil {
		t.Error("a rule without a reply parsed")
	}
}

// TestTrackerTLSVerdicts: a tls goal ticks on the handshake's verdict, on
// its endpoint, whether the handshake stopped or went on; a reply goal
// never takes a handshake for a reply.
func TestTrackerTLSVerdicts(t *testing.T) {
	l, err := Parse("t.lesson", strings.NewReader(`lesson: 1 t
title: T
goal expired: tls expired endpoint=expired
  say: x
goal bad: tls unverified endpoint=self-signed
  say: x
goal good: tls verified after=expired
  say: x
goal anyreply: reply any 2xx endpoint=nowhere
  say: x
`))
	if err != nil {
		t.Fatal(err)
	}
	handshake := func(v wire.Verdict, completed bool) wire.Entry {
		return wire.Entry{Dir: wire.Note, TLS: completed, Verdict: v, Data: []byte("TLS handshake ...")}
	}
	on := func(endpoint string, e wire.Entry) []wire.Entry {
		return append(entries("* connected to 127.0.0.1:1", "S: 220 x ESMTP ehlo lab ("+endpoint+")", "C: STARTTLS", "S: 220 go"), e)
	}
	tr := NewTracker(l)
	tr, newly := tr.Feed(on("wrong-name", handshake(wire.CertExpired, false))...) // not on its endpoint
	tr, _ = tr.Feed(on("mx", handshake(wire.CertVerified, true))...)              // before its after=
	if len(newly) != 0 || tr.Count() != 0 {
		t.Fatalf("met %v", tr.Met())
	}
	tr, _ = tr.Feed(on("self-signed", handshake(wire.CertVerified, true))...) // verified is not unverified
	tr, _ = tr.Feed(on("expired", handshake(wire.CertExpired, false))...)
	tr, _ = tr.Feed(on("self-signed", handshake(wire.CertUnknownAuthority, true))...) // --insecure went on: still the verdict
	tr, _ = tr.Feed(on("mx", handshake(wire.CertVerified, true))...)
	if got := tr.Met(); !got[0] || !got[1] || !got[2] || got[3] {
		t.Fatalf("met %v, want the three tls goals and not the reply goal", got)
	}
	for _, bad := range []string{"tls", "tls shiny", "tls expired multiline", "tls expired endpoint=", "tls expired arg=x"} {
		if _, err := ParseSpec(bad); err == nil {
			t.Errorf("ParseSpec accepted %q", bad)
		}
	}
}

// TestVerifyCertRefused: a step marked :cert-refused passes only when the
// handshake stops on the certificate; nothing may follow it on the same
// connection.
func TestVerifyCertRefused(t *testing.T) {
	lessons, _ := Shipped("en")
	l, ok := Find(lessons, "tls-trust")
	if !ok {
		t.Fatal("no tls-trust lesson")
	}
	l.Solution = "expect 220\nEHLO me\nexpect 250\nSTARTTLS\nexpect 220\n:cert-refused\n:lab mx\nexpect 220\nEHLO me\nexpect 250\nSTARTTLS\nexpect 220\n:cert-refused\n"
	_, err := Verify(context.Background(), l)
	if err == nil || !strings.Contains(err.Error(), "should have been refused") {
		t.Fatalf("a good certificate marked :cert-refused: %v", err)
	}
	l.Solution = "expect 220\nEHLO me\nexpect 250\nSTARTTLS\n:cert-refused\nEHLO me\n"
	if _, err := l.Steps(); err == nil || !strings.Contains(err.Error(), "the connection is gone") {
		t.Fatalf("a command after :cert-refused: %v", err)
	}
	l.Solution = "expect 220\nEHLO me\nexpect 250\nSTARTTLS\nexpect 220\nEHLO me\nexpect 250\n"
	if _, err := Verify(context.Background(), l); err == nil {
		t.Fatal("an expired certificate without :cert-refused verified")
	}
}

// TestEnforceSPF: "spf: enforce" is what makes mx refuse a forged sender;
// without it lesson 10's solution fails at its expect 550.
func TestEnforceSPF(t *testing.T) {
	lessons, _ := Shipped("en")
	l, ok := Find(lessons, "spf")
	if !ok || !l.EnforceSPF {
		t.Fatalf("lesson spf: found %v, EnforceSPF %v", ok, l.EnforceSPF)
	}
	l.EnforceSPF = false
	if _, err := Verify(context.Background(), l); err == nil || !strings.Contains(err.Error(), "expect 550") {
		t.Fatalf("without spf: enforce: %v", err)
	}
	if _, err := Parse("bad.lesson", strings.NewReader("lesson: 1 a\ntitle: x\nspf: maybe\ngoal a: reply EHLO 250\n  say: x\n")); err == nil {
		t.Error("spf: maybe parsed")
	}
}

// TestJoinWords: wrapped lines join with a space between words, none
// between CJK characters nor beside full-width punctuation.
func TestJoinWords(t *testing.T) {
	for _, c := range [][3]string{
		{"a", "b", "a b"},
		{"中文", "汉字", "中文汉字"},
		{"功能。", "HELO 是", "功能。HELO 是"},
		{"_dmarc.lab.test：", `"v=DMARC1"`, `_dmarc.lab.test："v=DMARC1"`},
		{"的 submission", "（隐式 TLS）", "的 submission（隐式 TLS）"},
		{"看 id 一行", "ehlo", "看 id 一行 ehlo"},
	} {
		if got := joinWords(c[0], c[1]); got != c[2] {
			t.Errorf("joinWords(%q, %q) = %q, want %q", c[0], c[1], got, c[2])
		}
	}
}

// TestTrackerDNS: a dns goal ticks on the question of a D: line, its
// type and name, whatever the answer; nothing else ticks it.
func TestTrackerDNS(t *testing.T) {
	l, err := Parse("t.lesson", strings.NewReader(`lesson: 1 t
title: T
goal mx: dns MX lab.test
  say: x
goal any: reply any 2xx
  say: x
`))
	if err != nil {
		t.Fatal(err)
	}
	dnsLine := func(s string) wire.Entry { return wire.Entry{Dir: wire.DNS, Data: []byte(s)} }
	tr, _ := NewTracker(l).Feed(dnsLine("A lab.test. → NOERROR, insecure (no AD), TTL 60: 127.0.0.1 (1ms, 127.0.0.1:53)"),
		dnsLine("MX lab.test.example. → NXDOMAIN, insecure (no AD) (1ms)"))
	if tr.Count() != 0 {
		t.Fatalf("met %v", tr.Met())
	}
	tr, _ = tr.Feed(dnsLine("MX Lab.Test. → NOERROR, insecure (no AD), TTL 60: 10 mx1.lab.test., 20 mx2.lab.test. (1ms, 127.0.0.1:53)"))
	if got := tr.Met(); !got[0] || got[1] {
		t.Fatalf("met %v, want the dns goal only", got)
	}
	for _, bad := range []string{"dns", "dns MX", "dns MX lab.test endpoint=mx"} {
		if _, err := ParseSpec(bad); err == nil {
			t.Errorf("ParseSpec accepted %q", bad)
		}
	}
}

// TestStepsMX: ":mx DOMAIN" starts a connection to the domain's MX,
// ":lab" after it one to an endpoint again.
func TestStepsMX(t *testing.T) {
	l := Lesson{File: "t", Endpoint: "submission", Solution: "expect 220\n:mx lab.test\nexpect 220\n:reconnect\nexpect 220\n:lab mx\nexpect 220\n"}
	steps, err := l.Steps()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range steps {
		got = append(got, s.Endpoint+"/"+s.MX)
	}
	if strings.Join(got, " ") != "submission/ submission/lab.test submission/lab.test mx/" {
		t.Errorf("steps %q", got)
	}
}
