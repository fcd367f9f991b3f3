package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"

	"github.com/ehlo-sh/ehlo/learn"
	"github.com/ehlo-sh/ehlo/wire"
)

// lessonSim is a sim in a course, on lesson 1, before the connection.
func lessonSim(t *testing.T, lang string, w, h int, progress string) *sim {
	t.Helper()
	lessons, err := learn.Shipped(lang)
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(Config{Target: "127.0.0.1:1025", Theme: "dark", Mouse: true,
		Course: &Course{Lessons: lessons, Lang: lang, Progress: progress}})
	if err != nil {
		t.Fatal(err)
	}
	s := &sim{t: t, clock: epoch, link: &fakeLink{addr: "127.0.0.1:1025"}}
	m.now = func() time.Time { return s.clock }
	m.observe = func(m Model) { s.noted = append(s.noted, m.notes...) }
	s.m = m
	s.send(tea.WindowSizeMsg{Width: w, Height: h})
	return s
}

// mxGreeting and mxEHLO are the lab's mx endpoint's.
const mxGreeting = "220 mx.lab.test ESMTP ehlo lab (mx)"

var mxEHLO = []string{"250-mx.lab.test Hello me.example", "250-PIPELINING", "250-8BITMIME", "250-ENHANCEDSTATUSCODES",
	"250-CHUNKING", "250-STARTTLS", "250-SMTPUTF8", "250-SIZE 35882577", "250 LIMITS RCPTMAX=100"}

// lessonOne plays lesson 1 up to the goal n (0: connected only).
func lessonOne(s *sim, n int) {
	s.connect()
	s.press(tea.KeyEscape) // leave the lesson's text for the session
	steps := []func(){
		func() { s.reply(mxGreeting) },
		func() { s.enter("EHLO me.example"); s.reply(mxEHLO...) },
		func() { s.enter("NOOP"); s.reply("250 2.0.0 I have successfully done nothing") },
		func() { s.enter("QUIT"); s.reply("221 2.0.0 Bye") },
	}
	for _, st := range steps[:n] {
		st()
	}
}

// TestLessonGolden draws the lesson's text, the card as goals are met, a
// hint and the lesson done, in English and Chinese, at 80x24 and 120x40:
// every line exactly as wide as the screen (double-width runes counted
// twice), nothing cut. -update rewrites testdata/TestLessonGolden.
func TestLessonGolden(t *testing.T) {
	moments := map[string]func(*sim){
		"text":     func(s *sim) { s.connect() },
		"greeting": func(s *sim) { lessonOne(s, 1) },
		"hint":     func(s *sim) { lessonOne(s, 2); s.enter(":hint") },
		"done":     func(s *sim) { lessonOne(s, 4) },
		"list":     func(s *sim) { lessonOne(s, 1); s.enter(":lessons") },
	}
	for name, play := range moments {
		for _, lang := range []string{"en", "zh"} {
			for _, size := range [][2]int{{80, 24}, {120, 40}} {
				t.Run(fmt.Sprintf("%s_%s_%dx%d", name, lang, size[0], size[1]), func(t *testing.T) {
					s := lessonSim(t, lang, size[0], size[1], "")
					play(s)
					checkSize(t, s.m.View().Content, size[0], size[1])
					for i, l := range strings.Split(s.m.View().Content, "\n") {
						if w := ansi.StringWidth(l); w != size[0] {
							t.Errorf("line %d is %d cells wide, want %d: %q", i, w, size[0], ansi.Strip(l))
						}
					}
					golden.RequireEqual(t, s.screen())
				})
			}
		}
	}
}

// TestLessonGoalsTick drives Update: each goal ticks when its reply comes,
// not before; the hint goes with the goal it was for; the lesson done is
// said once and saved once.
func TestLessonGoalsTick(t *testing.T) {
	progress := filepath.Join(t.TempDir(), "state", "learn")
	s := lessonSim(t, "en", 80, 24, progress)
	if !s.m.lesson.reading || !strings.Contains(s.screen(), "SMTP is a conversation in lines") {
		t.Fatalf("the lesson does not open on its text:\n%s", s.screen())
	}
	lessonOne(s, 1)
	if got := s.m.lesson.tr.Met(); !got[0] || got[1] {
		t.Fatalf("after the greeting: %v", got)
	}
	s.enter(":hint")
	if !strings.Contains(s.screen(), "Type EHLO me.example and Enter") {
		t.Errorf("no hint on the card:\n%s", s.screen())
	}
	s.enter("EHLO me.example")
	if s.m.lesson.tr.Met()[1] {
		t.Fatal("EHLO ticked before its reply")
	}
	s.reply(mxEHLO...)
	if !s.m.lesson.tr.Met()[1] || s.m.lesson.hint || !strings.Contains(s.m.flash.text, "goal met") {
		t.Fatalf("after EHLO's reply: met %v, hint %v, flash %q", s.m.lesson.tr.Met(), s.m.lesson.hint, s.m.flash.text)
	}
	s.enter("NOOP")
	s.reply("250 2.0.0 I have successfully done nothing")
	if s.m.lesson.saved {
		t.Fatal("saved before the last goal")
	}
	s.enter("QUIT")
	// the reply's entry ticks the last goal: its Update saves the progress
	s.advance(23 * time.Millisecond)
	cmd := s.update(entriesMsg{entries: []wire.Entry{{Seq: s.seq, Time: s.clock, Dir: wire.Server, Data: []byte("221 2.0.0 Bye\r\n")}}})
	s.seq++
	s.send(replyMsg{gen: s.m.conn.gen, reply: wire.Reply{Lines: []string{"221 2.0.0 Bye"}}, at: s.clock})
	if !s.m.lesson.saved || !s.m.lesson.course.Done["conversation"] || !strings.Contains(s.screen(), "all goals met: :next for the next lesson") {
		t.Fatalf("lesson not done: saved %v:\n%s", s.m.lesson.saved, s.screen())
	}
	if !runCmds(cmd, func(msg tea.Msg) bool { _, ok := msg.(progressSavedMsg); return ok }) {
		t.Fatal("no command saved the progress")
	}
	done, err := learn.LoadProgress(progress)
	if err != nil || !done["conversation"] {
		t.Fatalf("progress file: %v %v", done, err)
	}
	if fi, err := os.Stat(progress); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("progress file mode: %v %v", fi, err)
	}
}

// runCmds runs cmd and the commands of batches and sequences it holds,
// each at most once, one after the other, until one returns a message ok
// accepts. A command still running after 2 seconds is taken for one that
// waits for something else (the transcript's watcher) and the next one
// starts; its message still counts if it comes within 10 seconds in all,
// so a command a loaded machine slows down is waited for, not skipped.
func runCmds(cmd tea.Cmd, ok func(tea.Msg) bool) bool {
	msgs := make(chan tea.Msg, 64) // from every command started, buffered: none waits
	queue := []tea.Cmd{cmd}
	deadline := time.After(10 * time.Second)
	for {
		var next <-chan time.Time // when the command started is taken for one that waits
		if len(queue) > 0 {
			c := queue[0]
			queue = queue[1:]
			if c == nil {
				continue
			}
			go func() { msgs <- c() }()
			next = time.After(2 * time.Second)
		}
		select {
		case msg := <-msgs:
			if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice { // tea.BatchMsg, and Sequence's own
				for i := range v.Len() {
					if c, isCmd := v.Index(i).Interface().(tea.Cmd); isCmd {
						queue = append(queue, c)
					}
				}
			} else if ok(msg) {
				return true
			}
		case <-next:
		case <-deadline:
			return false
		}
	}
}

func TestLessonCommandsOnlyInACourse(t *testing.T) {
	s := newSim(t, "dark", 80, 24)
	s.enter(":hint")
	if !strings.Contains(s.m.flash.text, "unknown command :hint") {
		t.Errorf(":hint outside a course: %q", s.m.flash.text)
	}
	s = lessonSim(t, "zh", 80, 24, "")
	lessonOne(s, 1)
	s.enter(":back")
	if !strings.Contains(s.m.flash.text, "这是第一课") {
		t.Errorf(":back on lesson 1: %q", s.m.flash.text)
	}
}

// TestLessonStoredMessage: after a message is accepted in a course, the
// card shows what the lab stored, the envelope beside the headers.
func TestLessonStoredMessage(t *testing.T) {
	s := lessonSim(t, "en", 80, 24, "")
	lessonOne(s, 2)
	s.enter("MAIL FROM:<bounces@example.org>")
	s.reply("250 2.0.0 ok")
	s.enter("RCPT TO:<bob@lab.test>")
	s.reply("250 2.0.0 ok")
	s.enter("DATA")
	s.reply("354 go")
	s.enter("From: n@example.org")
	s.enter("")
	s.enter(".")
	if s.m.lesson.fetch {
		t.Fatal("fetch asked before the reply")
	}
	s.advance(time.Millisecond)
	s.update(entriesMsg{entries: []wire.Entry{{Seq: s.seq, Time: s.clock, Dir: wire.Server, Data: []byte("250 2.0.0 OK: queued\r\n")}}})
	s.seq++
	if s.m.lesson.fetch { // no lab here: nothing to read, and the flag is down
		t.Fatal("fetch still pending")
	}
	s.send(storedMsg{stored: learn.Stored{Envelope: "MAIL FROM <bounces@example.org> · RCPT TO <bob@lab.test>", Headers: "From: n@example.org"}})
	if scr := s.screen(); !strings.Contains(scr, "envelope: MAIL FROM <bounces@example.org>") || !strings.Contains(scr, "headers: From: n@example.org") {
		t.Errorf("the card does not show the stored message:\n%s", scr)
	}
}

// TestBareCommand: :bare writes the command ended by LF alone and waits
// for its reply; not inside a message.
func TestBareCommand(t *testing.T) {
	s := newSim(t, "dark", 80, 24)
	gmailPlain(s)
	s.enter(":bare NOOP")
	w := s.link.writes[len(s.link.writes)-1]
	if string(w.raw) != "NOOP\n" || len(s.m.inflight) != 1 {
		t.Fatalf("wrote %q (line %q), in flight %d", w.raw, w.line, len(s.m.inflight))
	}
	s.reply("521 5.5.2 mx Error: bare <LF> received")
	if s.m.sess.Phase == 0 || len(s.m.inflight) != 0 {
		t.Fatalf("the reply did not answer it: %d in flight", len(s.m.inflight))
	}
	s.enter("MAIL FROM:<a@example.org>")
	s.reply("250 ok")
	s.enter("RCPT TO:<b@example.org>")
	s.reply("250 ok")
	s.enter("DATA")
	s.reply("354 go")
	n := len(s.link.writes)
	s.enter(":bare hello")
	if len(s.link.writes) != n || !strings.Contains(s.m.flash.text, "not inside a message") {
		t.Errorf(":bare in DATA: %d writes, flash %q", len(s.link.writes)-n, s.m.flash.text)
	}
}

// TestLessonTextScrolls: a text longer than the room is scrolled with
// pgup/pgdn, never cut unseen: the last line says where it stands.
func TestLessonTextScrolls(t *testing.T) {
	s := lessonSim(t, "en", 80, 20, "")
	s.enter(":lesson 8")
	if !s.m.lesson.reading {
		t.Fatal(":lesson 8 does not show its text")
	}
	scr := s.screen()
	if !strings.Contains(scr, "pgup/pgdn (1-") || strings.Contains(scr, "the line to send") {
		t.Fatalf("no scroll mark, or the text's end already shown:\n%s", scr)
	}
	s.send(tea.KeyPressMsg{Code: tea.KeyPgDown})
	if scr = s.screen(); !strings.Contains(scr, "the line to send") {
		t.Errorf("pgdn does not show the text's end:\n%s", scr)
	}
	s.send(tea.KeyPressMsg{Code: tea.KeyPgUp})
	if scr = s.screen(); !strings.Contains(scr, "AUTH sends your name") {
		t.Errorf("pgup does not go back to the start:\n%s", scr)
	}
}

// TestBreakableCJK: Chinese text breaks between characters, never before
// closing punctuation nor after an opening bracket; Latin words stay whole.
func TestBreakableCJK(t *testing.T) {
	got := wrap("代码后面都跟一个短横（250-），最后一行跟空格。EHLO 的应答", 24)
	for _, l := range got {
		if w := ansi.StringWidth(l); w > 24 {
			t.Errorf("line %q is %d wide", l, w)
		}
		if strings.HasSuffix(l, "（") || strings.HasPrefix(l, "，") || strings.HasPrefix(l, "）") || strings.HasPrefix(l, "。") {
			t.Errorf("bad break: %q", got)
		}
	}
	if strings.Join(got, "") != "代码后面都跟一个短横（250-），最后一行跟空格。EHLO的应答" && strings.Join(got, "") != "代码后面都跟一个短横（250-），最后一行跟空格。EHLO 的应答" {
		t.Errorf("text lost: %q", got)
	}
}
