package ui

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"
	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"

	"github.com/ehlo-sh/ehlo/lab"
	"github.com/ehlo-sh/ehlo/learn"
	"github.com/ehlo-sh/ehlo/wire"
)

// Course is what `ehlo learn` gives the explorer: the lessons, the one to
// open, the learner's progress and where to keep it.
type Course struct {
	Lessons  []learn.Lesson
	Current  int             // index in Lessons
	Done     map[string]bool // lessons finished before, by name
	Progress string          // the progress file; "" keeps none
	Lang     string          // "en", "zh": the card's words
}

// lessonCard is the course in the explorer: the lesson card in guided
// mode's place, the goals ticked from the transcript as it grows.
type lessonCard struct {
	on      bool
	course  Course
	lesson  learn.Lesson
	tr      learn.Tracker
	hint    bool          // the hint of the current goal is on show
	reading bool          // the lesson's text (or the list) fills the panes
	list    bool          // reading the list of lessons
	top     int           // the first line of the text on show (pgup/pgdn)
	saved   bool          // its completion went to the progress file
	seq     int           // the transcript entry the lesson began at
	stored  *learn.Stored // the last message the lab stored, envelope and headers
	fetch   bool          // a message was accepted: fetch what the lab stored
}

// newLessonCard opens the course's current lesson.
func newLessonCard(c Course) lessonCard {
	l := c.Lessons[c.Current]
	if c.Done == nil {
		c.Done = map[string]bool{}
	}
	return lessonCard{on: true, course: c, lesson: l, tr: learn.NewTracker(l), reading: true}
}

// words are the card's words, in the course's language.
func (c lessonCard) words() words { return wordsFor(c.course.Lang) }

// lessonTitle is "Lesson 3 · Reply classes" (zh: "第 3 课 · …").
func (c lessonCard) lessonTitle() string {
	return c.words().F("Lesson %d · %s", c.lesson.Number, c.lesson.Title)
}

// feed gives the tracker the entries recorded since the lesson began; it
// returns the goals they met.
func (c lessonCard) feed(entries []wire.Entry) (lessonCard, []int) {
	for len(entries) > 0 && entries[0].Seq < c.seq {
		entries = entries[1:]
	}
	if !c.on || len(entries) == 0 {
		return c, nil
	}
	var newly []int
	before := c.tr.Stored()
	c.tr, newly = c.tr.Feed(entries...)
	c.fetch = c.fetch || c.tr.Stored() > before
	if len(newly) > 0 {
		c.hint = false
	}
	return c, newly
}

// goalsLine is the goals as ticks: "✓ greeting  ✓ ehlo  ○ noop  ○ quit".
func (c lessonCard) goalsLine() string {
	met := c.tr.Met()
	parts := make([]string, len(c.lesson.Goals))
	for i, g := range c.lesson.Goals {
		mark := "○ "
		if met[i] {
			mark = "✓ "
		}
		parts[i] = mark + g.ID
	}
	return fmt.Sprintf("%d/%d  ", c.tr.Count(), len(met)) + strings.Join(parts, "  ")
}

// lessonSections are the card's title, its RFC and its sections.
func (m Model) lessonSections() (title, rfc string, secs []section) {
	c, st := m.lesson, m.st
	title = st.CardTitle.Render(c.lessonTitle())
	if next := c.tr.Next(); next >= 0 {
		g := c.lesson.Goals[next]
		secs = append(secs, section{label: c.words().T("goal"), text: g.Say, style: st.Value, keep: 10})
		if c.hint && g.Hint != "" {
			secs = append(secs, section{label: c.words().T("hint"), text: g.Hint, style: st.OK, keep: 9})
		}
	} else {
		secs = append(secs, section{label: c.words().T("done"), text: c.words().T("all goals met: :next for the next lesson"), style: st.OK, keep: 10})
	}
	if ch := c.tr.CRAMChallenge(); ch != "" && m.onLab() {
		if steps, ok := learn.CRAMSteps(ch, lab.User, lab.Password); ok {
			secs = append(secs, section{label: "HMAC", text: strings.Join(steps, "\n"), style: st.Value, keep: 9})
		}
	}
	if c.stored != nil {
		secs = append(secs, section{label: c.words().T("stored"), text: c.words().T("envelope: ") + c.stored.Envelope + "\n" + c.words().T("headers: ") + c.stored.Headers, style: st.Value, keep: 5})
	}
	secs = append(secs,
		section{label: c.words().T("goals"), text: c.goalsLine(), style: st.Label, keep: 8},
		section{label: "", text: c.words().T(":hint  :text  :next  :back  :restart  :lessons"), style: st.Dim, keep: 2})
	if c.lesson.RFC == "" {
		return title, "", secs
	}
	return title, st.Label.Render(c.lesson.RFC), secs
}

// lessonView is the lesson's text, or the list of lessons, in the panes'
// place: wrapped to the width (double-width runes counted as two).
func (m Model) lessonView(w, h int) []string {
	c, st := m.lesson, m.st
	inner := max(w-4, 8)
	var body []string
	add := func(style func(...string) string, text string) {
		for _, l := range wrapParagraphs(text, inner) {
			body = append(body, " "+fitLine(style(l), inner)+" ")
		}
	}
	if c.list {
		add(st.CardTitle.Render, c.words().T("Lessons (:lesson N opens one; ✓ done, ○ not yet)"))
		for _, l := range c.course.Lessons {
			mark := "○"
			if c.course.Done[l.Name] {
				mark = "✓"
			}
			add(st.Value.Render, fmt.Sprintf("%s %d %s", mark, l.Number, l.Title))
		}
	} else {
		add(st.CardTitle.Render, c.lessonTitle()+"   "+c.lesson.RFC)
		body = append(body, " "+fitLine("", inner)+" ")
		for i, p := range strings.Split(c.lesson.Text, "\n\n") {
			if i > 0 {
				body = append(body, " "+fitLine("", inner)+" ")
			}
			add(st.Meaning.Render, p)
		}
	}
	room := max(h-3, 1) // the frame, and the last line for the keys
	trailer := c.words().T("esc: back to the session · :text shows this again")
	if len(body) > room { // scrolled with pgup/pgdn, never cut unseen
		top := min(c.top, len(body)-room)
		trailer = c.words().F("pgup/pgdn (%d-%d / %d) · %s", top+1, top+room, len(body), trailer)
		body = body[top : top+room]
	}
	for len(body) < room {
		body = append(body, " "+fitLine("", inner)+" ")
	}
	body = append(body, " "+fitLine(st.Dim.Render(ansi.Truncate(trailer, inner, "…")), inner)+" ")
	return frame(st.PaneFocused, body, w)
}

// scrollText moves the lesson's text by a page.
func (m Model) scrollText(down bool) Model {
	page := max(m.mainH-4, 1)
	if down {
		m.lesson.top += page
	} else {
		m.lesson.top = max(m.lesson.top-page, 0)
	}
	if lines := len(m.lessonView(m.width, 1<<20)) - 3; m.lesson.top > lines { // the whole text's lines
		m.lesson.top = max(lines-page, 0)
	}
	return m
}

// lessonProgress runs after every Update: a lesson whose goals are all met
// is done once, said, and written to the progress file.
func (m Model) lessonProgress() (Model, tea.Cmd) {
	c := m.lesson
	if !c.on || c.saved || !c.tr.Done() {
		return m, nil
	}
	m.lesson.saved = true
	m.lesson.course.Done = cloneDone(c.course.Done)
	m.lesson.course.Done[c.lesson.Name] = true
	m.flash = okFlash(c.words().T("✓ lesson done! :next for the next one"))
	if c.course.Progress == "" {
		return m, nil
	}
	return m, saveProgressCmd(c.course.Progress, c.lesson.Name)
}

func cloneDone(d map[string]bool) map[string]bool {
	out := make(map[string]bool, len(d)+1)
	for k, v := range d {
		out[k] = v
	}
	return out
}

// storedMsg brings what the lab stored last.
type storedMsg struct{ stored learn.Stored }

// storedCmd reads the lab's last message (the lab's mailbox is memory,
// but another goroutine's: read in a command).
func storedCmd(l labMailbox) tea.Cmd {
	return func() tea.Msg {
		msgs := l.Messages()
		if len(msgs) == 0 {
			return nil
		}
		return storedMsg{stored: learn.StoredOf(msgs[len(msgs)-1])}
	}
}

// labMailbox is the lab's mailbox, as storedCmd reads it.
type labMailbox interface{ Messages() []lab.Message }

// fetchStored starts reading the stored message after one was accepted.
func (m Model) fetchStored() (Model, tea.Cmd) {
	if !m.lesson.fetch {
		return m, nil
	}
	m.lesson.fetch = false
	if m.cfg.Lab == nil {
		return m, nil
	}
	return m, storedCmd(m.cfg.Lab)
}

// progressSavedMsg reports the progress file written, or why not.
type progressSavedMsg struct{ err error }

// saveProgressCmd marks a lesson done in the progress file.
func saveProgressCmd(path, name string) tea.Cmd {
	return func() tea.Msg { return progressSavedMsg{err: learn.MarkDone(path, name)} }
}

// metFlash says which goal was just met.
func (m Model) metFlash(newly []int) Model {
	if len(newly) == 0 {
		return m
	}
	g := m.lesson.lesson.Goals[newly[len(newly)-1]]
	m.flash = okFlash(m.lesson.words().T("✓ goal met: ") + g.Say)
	return m
}

// The lesson commands. They exist only in a course.

func (m Model) cmdHint(string) (Model, tea.Cmd) {
	c := m.lesson
	if next := c.tr.Next(); next < 0 || c.lesson.Goals[next].Hint == "" {
		m.flash = infoFlash(c.words().T("no hint for this goal"))
		return m, nil
	}
	m.lesson.hint = !c.hint
	return m.resize(m.width, m.height), nil
}

func (m Model) cmdText(string) (Model, tea.Cmd) {
	m.lesson.reading, m.lesson.list, m.lesson.top = !m.lesson.reading || m.lesson.list, false, 0
	return m, nil
}

func (m Model) cmdLessons(string) (Model, tea.Cmd) {
	m.lesson.reading, m.lesson.list, m.lesson.top = true, true, 0
	return m, nil
}

func (m Model) cmdNext(string) (Model, tea.Cmd) {
	if m.lesson.course.Current+1 >= len(m.lesson.course.Lessons) {
		m.flash = infoFlash(m.lesson.words().T("that was the last lesson: :lessons lists them all"))
		return m, nil
	}
	return m.openLesson(m.lesson.course.Current + 1)
}

func (m Model) cmdBack(string) (Model, tea.Cmd) {
	if m.lesson.course.Current == 0 {
		m.flash = infoFlash(m.lesson.words().T("this is the first lesson"))
		return m, nil
	}
	return m.openLesson(m.lesson.course.Current - 1)
}

func (m Model) cmdRestart(string) (Model, tea.Cmd) {
	m, cmd := m.openLesson(m.lesson.course.Current)
	m.flash = infoFlash(m.lesson.words().T("lesson restarted"))
	return m, cmd
}

// cmdLesson opens a lesson by number or name.
func (m Model) cmdLesson(arg string) (Model, tea.Cmd) {
	ls := m.lesson.course.Lessons
	i := slices.IndexFunc(ls, func(l learn.Lesson) bool {
		return strings.EqualFold(l.Name, arg) || strconv.Itoa(l.Number) == arg
	})
	if i < 0 {
		m.flash = errorFlash(m.w.T("usage: :lesson N (:lessons lists them)"))
		return m, nil
	}
	return m.openLesson(i)
}

// openLesson starts lesson i afresh: a new tracker from the transcript's
// end, and a new connection to its endpoint.
func (m Model) openLesson(i int) (Model, tea.Cmd) {
	c := m.lesson.course
	c.Current = i
	m.lesson = newLessonCard(c)
	m.lesson.seq = m.tr.Len()
	if m.cfg.Lab == nil { // a course always runs on the lab; tests may not
		return m.resize(m.width, m.height), nil
	}
	m, cmd := m.cmdLab(m.lesson.lesson.Start())
	return m.resize(m.width, m.height), cmd
}

// lessonCommands are the commands of a course.
func lessonCommands() []localCmd {
	return []localCmd{
		{name: "hint", usage: ":hint", help: "lesson: a hint for the current goal, on or off", course: true, run: Model.cmdHint},
		{name: "text", usage: ":text", help: "lesson: read the lesson's text again (esc closes it)", course: true, run: Model.cmdText},
		{name: "next", usage: ":next", help: "lesson: the next lesson", course: true, run: Model.cmdNext},
		{name: "back", usage: ":back", help: "lesson: the lesson before", course: true, run: Model.cmdBack},
		{name: "restart", usage: ":restart", help: "lesson: start this lesson again, on a new connection", course: true, run: Model.cmdRestart},
		{name: "lessons", usage: ":lessons", help: "lesson: the list of lessons, ✓ for those done", course: true, run: Model.cmdLessons},
		{name: "lesson", usage: ":lesson N", help: "lesson: open lesson N (a number or a name)", course: true, run: Model.cmdLesson},
	}
}
