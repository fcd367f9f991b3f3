package cli

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestTUILearnLesson1At80x24 finishes lesson 1 by typing, as a learner
// does at 80x24: the lesson's text first, Esc to the session, each goal
// ticked on the card as its reply comes, the lesson done and written to
// the progress file, and ehlo learn's list showing it the next time.
func TestTUILearnLesson1At80x24(t *testing.T) {
	bin := ehloBinary(t)
	state := t.TempDir()
	env := []string{"NO_COLOR=1", "XDG_STATE_HOME=" + state, "LANG=C.UTF-8"}
	tm := newTerm(t, 80, 24, env, bin, "learn", "1")
	tm.waitFor(`SMTP is a conversation in lines`)
	tm.waitFor(`1/4 ✓ greeting ○ ehlo`) // the greeting came while reading
	tm.keys("Escape")
	tm.waitFor(`S: 220 mx\.lab\.test`)
	tm.typeLine("EHLO me.example")
	tm.waitFor(`2/4 ✓ greeting ✓ ehlo ○ noop`)
	tm.typeLine(":hint")
	tm.waitFor(`hint +Type NOOP\.`)
	tm.typeLine("NOOP")
	tm.waitFor(`3/4 `)
	tm.typeLine("QUIT")
	s := tm.waitFor(`4/4 ✓ greeting ✓ ehlo ✓ noop ✓ quit`)
	if !strings.Contains(s, "all goals met") {
		t.Errorf("the card does not say the lesson is done:\n%s", s)
	}
	b := waitForFile(t, filepath.Join(state, "ehlo", "learn"), "done conversation")
	if strings.Count(string(b), "\n") != 1 {
		t.Errorf("progress file:\n%s", b)
	}
	tm.keys("C-c")

	t.Setenv("XDG_STATE_HOME", state)
	if _, out, _ := run(t, "learn", "--lang", "zh"); !regexp.MustCompile(`✓ +1 +conversation +一问一答`).MatchString(out) || !strings.Contains(out, "已完成 1/") {
		t.Errorf("the list does not show lesson 1 done:\n%s", out)
	}
}

// TestTUILearnSPFAndTLSTrust runs lessons 10 and 12 as a learner does, at
// 80x24: ehlo's own SPF verdict on the id line (the course asks the lab's
// DNS), mx refusing the forged sender (the course's lab enforces SPF), and
// an expired certificate ticking its goal as the handshake stops.
func TestTUILearnSPFAndTLSTrust(t *testing.T) {
	bin := ehloBinary(t)
	env := []string{"NO_COLOR=1", "XDG_STATE_HOME=" + t.TempDir(), "LANG=C.UTF-8"}
	tm := newTerm(t, 80, 24, env, bin, "learn", "10")
	tm.waitFor(`Anyone can write any address`)
	tm.keys("Escape")
	tm.waitFor(`S: 220 nopipe\.lab\.test`)
	tm.typeLine("EHLO me.example")
	tm.typeLine("MAIL FROM:<boss@forged.test>")
	tm.waitFor(`1/4 ✓ predict ○ refused`)
	tm.waitFor(`(?s)id +127\.0\.0\.1, SPF +│.*│ +fail, DMARC fail`) // the id line, wrapped in the side panel
	tm.typeLine(":lab mx")
	tm.waitFor(`S: 220 mx\.lab\.test`)
	tm.typeLine("EHLO me.example")
	tm.typeLine("MAIL FROM:<boss@forged.test>")
	tm.waitFor(`2/4 ✓ predict ✓ refused ○ pass`)
	tm.keys("C-c")

	tm = newTerm(t, 80, 24, env, bin, "learn", "12")
	tm.waitFor(`STARTTLS encrypts`)
	tm.keys("Escape")
	tm.waitFor(`S: 220 expired\.lab\.test`)
	tm.typeLine("EHLO me.example")
	tm.typeLine("STARTTLS")
	s := tm.waitFor(`1/6 ✓ expired ○ wrongname`)
	if !strings.Contains(s, "NOT verified: expired") {
		t.Errorf("the side panel does not say why:\n%s", s)
	}
	tm.keys("C-c")
}

// TestTUILearnMX runs lesson 9 as a learner does, at 80x24: :mx lab.test
// looks up the MX in the lab's DNS and connects to mx1, where mail for
// lab.test is taken without login and another domain's is refused.
func TestTUILearnMX(t *testing.T) {
	bin := ehloBinary(t)
	env := []string{"NO_COLOR=1", "XDG_STATE_HOME=" + t.TempDir(), "LANG=C.UTF-8"}
	tm := newTerm(t, 80, 24, env, bin, "learn", "9")
	tm.waitFor(`Mail for bob@lab\.test goes to the MX`)
	tm.keys("Escape")
	tm.waitFor(`S: 220 submission\.lab\.test`)
	tm.typeLine(":mx lab.test")
	tm.waitFor(`1/5 ✓ mx ○ deliver`)
	tm.waitFor(`S: 220 mx\.lab\.test`)
	for _, l := range []string{"EHLO me.example", "MAIL FROM:<you@example.org>", "RCPT TO:<bob@lab.test>", "DATA", "Subject: hi", "", "Hello.", "."} {
		tm.typeLine(l)
	}
	tm.waitFor(`2/5 ✓ mx ✓ deliver ○ relay`)
	tm.typeLine("MAIL FROM:<you@example.org>")
	tm.typeLine("RCPT TO:<carol@example.org>")
	tm.waitFor(`3/5 ✓ mx ✓ deliver ✓ relay ○ login`)
	tm.keys("C-c")
}
