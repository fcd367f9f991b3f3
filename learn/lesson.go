// Package learn is ehlo's course: lessons as data (lesson files, embedded
// in the binary and in two languages), the goals each lesson checks
// against a session's transcript as it happens (Tracker), the replay of
// every lesson's reference solution against the in-process lab (Verify),
// and the learner's progress.
//
// A lesson file is plain text (see FORMAT.md, embedded as Format):
//
//	lesson: 1 conversation        number and name
//	title: The conversation
//	endpoint: mx                  the lab endpoint the explorer opens on
//	scenario: helo-only           lab scenarios the lesson needs (optional)
//	rfc: RFC 5321 §3.1, §4.2
//	text:
//	  What the lesson says, indented two spaces; a blank line between paragraphs.
//	goal greeting: reply greeting 220
//	  say: Read the greeting: the server speaks first.
//	  hint: Nothing to type: look at the first S: line.
//	solution:
//	  expect 220                  a `ehlo run` script, with :lab NAME to switch
//	  EHLO me.example             endpoints and wait DURATION to let time pass
//	  expect 250
//
// A translation (lessons/zh/NAME.lesson) holds the same keys for the text
// only: title, text, and each goal's say and hint.
//
// learn imports no UI and opens no socket itself: Verify runs scripts
// through client.
package learn

import (
	"bufio"
	"embed"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ehlo-sh/ehlo/lab"
)

// Lesson is one lesson, in one language.
type Lesson struct {
	Number    int
	Name      string // "conversation"
	Title     string
	Endpoint  string   // lab endpoint to open on; "" the first scenario's, else "mx"
	Scenarios []string // lab scenarios to start
	// Custom is the lesson's own endpoint, "custom", when it sets rules
	// (rule: VERB=REPLY, greet-delay: 2s): an MX with those changes.
	Custom *lab.Scenario
	// EnforceSPF: the lab's mx endpoint refuses a MAIL FROM of lab.test
	// or forged.test whose SPF fails (spf: enforce; lab.Config.EnforceSPF).
	EnforceSPF bool
	RFC        string
	Text       string // paragraphs separated by "\n\n"
	Goals      []Goal
	Solution   string // the reference solution, as written (Steps parses it)
	Lang       string // "en", "zh"
	File       string // where it came from, for messages
}

// Goal is one thing the learner does, checked on the transcript.
type Goal struct {
	ID   string
	Spec Spec
	Say  string // what to do, in words
	Hint string // shown on request
}

// Start is the endpoint the explorer opens on.
func (l Lesson) Start() string {
	switch {
	case l.Endpoint != "":
		return l.Endpoint
	case l.Custom != nil:
		return l.Custom.Name
	case len(l.Scenarios) > 0:
		return l.Scenarios[0]
	}
	return "mx"
}

// ID is how progress names the lesson: its name.
func (l Lesson) ID() string { return l.Name }

//go:embed lessons FORMAT.md
var files embed.FS

// Format is the lesson file format's documentation.
func Format() string {
	b, _ := files.ReadFile("FORMAT.md")
	return string(b)
}

// Langs are the languages the shipped lessons are written in.
var Langs = []string{"en", "zh"}

// Shipped returns the lessons built into ehlo in lang ("en", "zh"), by
// number; text missing from a translation stays in English.
func Shipped(lang string) ([]Lesson, error) {
	names, err := fs.Glob(files, "lessons/*.lesson")
	if err != nil {
		return nil, err
	}
	var out []Lesson
	for _, n := range names {
		l, err := parseFS(files, n)
		if err != nil {
			return nil, err
		}
		if lang != "" && lang != "en" {
			tr := path.Join("lessons", lang, path.Base(n))
			if _, err := fs.Stat(files, tr); err == nil {
				if l, err = translateFS(l, files, tr); err != nil {
					return nil, err
				}
				l.Lang = lang
			}
		}
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Number < out[j].Number })
	return out, nil
}

// Find picks a lesson by number ("3") or name ("envelope").
func Find(lessons []Lesson, key string) (Lesson, bool) {
	i := slices.IndexFunc(lessons, func(l Lesson) bool {
		return strings.EqualFold(l.Name, key) || strconv.Itoa(l.Number) == strings.TrimLeft(key, "0")
	})
	if i < 0 {
		return Lesson{}, false
	}
	return lessons[i], true
}

func parseFS(fsys fs.FS, name string) (Lesson, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return Lesson{}, err
	}
	defer f.Close()
	return Parse(name, f)
}

func translateFS(l Lesson, fsys fs.FS, name string) (Lesson, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return l, err
	}
	defer f.Close()
	return Translate(l, name, f)
}

// Error is a lesson file that does not parse, at a line.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// maxLesson bounds a lesson file.
const maxLesson = 1 << 20

// block is a key and its value: the text after "key:" and the indented
// lines under it.
type block struct {
	key, arg string
	line     int
	body     []string // indented lines, indentation (two spaces) removed
}

// blocks reads a lesson file into its top-level keys.
func blocks(name string, r io.Reader) ([]block, error) {
	sc := bufio.NewScanner(io.LimitReader(r, maxLesson))
	sc.Buffer(make([]byte, 64<<10), maxLesson)
	var out []block
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), " \t\r")
		switch {
		case strings.HasPrefix(line, "  ") || line == "" && len(out) > 0:
			if len(out) == 0 {
				return nil, &Error{name, n, "an indented line before any key"}
			}
			b := &out[len(out)-1]
			b.body = append(b.body, strings.TrimPrefix(line, "  "))
		case line == "" || strings.HasPrefix(line, "#"):
		default:
			key, arg, ok := strings.Cut(line, ":")
			if !ok {
				return nil, &Error{name, n, fmt.Sprintf("want KEY: VALUE, got %q", line)}
			}
			out = append(out, block{key: strings.TrimSpace(key), arg: strings.TrimSpace(arg), line: n})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	for i := range out { // trailing blank lines belong to no block
		for len(out[i].body) > 0 && out[i].body[len(out[i].body)-1] == "" {
			out[i].body = out[i].body[:len(out[i].body)-1]
		}
	}
	return out, nil
}

// Parse reads a lesson file; name is for messages.
func Parse(name string, r io.Reader) (Lesson, error) {
	bs, err := blocks(name, r)
	if err != nil {
		return Lesson{}, err
	}
	l := Lesson{File: name, Lang: "en"}
	for _, b := range bs {
		if err := l.set(name, b); err != nil {
			return Lesson{}, err
		}
	}
	switch {
	case l.Name == "":
		return l, &Error{name, 1, "no lesson: NUMBER NAME line"}
	case l.Title == "":
		return l, &Error{name, 1, "no title"}
	case len(l.Goals) == 0:
		return l, &Error{name, 1, "no goal: a lesson checks at least one"}
	}
	for _, g := range l.Goals {
		if g.Spec.After != "" && !slices.ContainsFunc(l.Goals, func(o Goal) bool { return o.ID == g.Spec.After }) {
			return l, &Error{name, 1, fmt.Sprintf("goal %s: after=%s names no goal", g.ID, g.Spec.After)}
		}
	}
	return l, nil
}

func (l *Lesson) set(name string, b block) error {
	bad := func(format string, args ...any) error {
		return &Error{name, b.line, fmt.Sprintf(format, args...)}
	}
	switch {
	case b.key == "lesson":
		f := strings.Fields(b.arg)
		n, err := strconv.Atoi(strings.TrimLeft(first(f), "0"))
		if len(f) != 2 || err != nil {
			return bad("lesson: NUMBER NAME, e.g. lesson: 1 conversation")
		}
		l.Number, l.Name = n, f[1]
		if !validName(l.Name) {
			return bad("a lesson's name is one word of letters, digits and -")
		}
	case b.key == "title":
		l.Title = b.arg
	case b.key == "endpoint":
		l.Endpoint = b.arg
	case b.key == "scenario":
		l.Scenarios = strings.Fields(strings.ReplaceAll(b.arg, ",", " "))
	case b.key == "rfc":
		l.RFC = b.arg
	case b.key == "spf":
		if b.arg != "enforce" {
			return bad("spf: enforce (the mx endpoint refuses a sender whose SPF fails), or no spf: line")
		}
		l.EnforceSPF = true
	case b.key == "rule":
		r, err := lab.ParseRule(b.arg)
		if err != nil {
			return bad("%v", err)
		}
		l.custom().Replies = append(l.custom().Replies, r)
	case b.key == "greet-delay":
		d, err := time.ParseDuration(b.arg)
		if err != nil || d < 0 || d > time.Minute {
			return bad("greet-delay: a duration up to 1m, e.g. 2s")
		}
		l.custom().GreetDelay = d
	case b.key == "text":
		l.Text = paragraphs(b.body)
	case b.key == "solution":
		l.Solution = strings.Join(b.body, "\n") + "\n"
	case strings.HasPrefix(b.key, "goal "):
		g, err := parseGoal(strings.TrimSpace(strings.TrimPrefix(b.key, "goal ")), b)
		if err != nil {
			return bad("%v", err)
		}
		if slices.ContainsFunc(l.Goals, func(o Goal) bool { return o.ID == g.ID }) {
			return bad("two goals named %s", g.ID)
		}
		l.Goals = append(l.Goals, g)
	default:
		return bad("unknown key %q (lesson, title, endpoint, scenario, rule, greet-delay, spf, rfc, text, goal ID, solution)", b.key)
	}
	return nil
}

// custom is the lesson's own endpoint, made at its first rule.
func (l *Lesson) custom() *lab.Scenario {
	if l.Custom == nil {
		l.Custom = &lab.Scenario{Name: "custom", Summary: "this lesson's own endpoint: an MX with its rules"}
	}
	return l.Custom
}

func first(f []string) string {
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// parseGoal reads "goal ID: SPEC" and its say and hint lines.
func parseGoal(id string, b block) (Goal, error) {
	if id == "" || strings.ContainsAny(id, " \t") {
		return Goal{}, fmt.Errorf("goal ID: SPEC, the ID one word")
	}
	spec, err := ParseSpec(b.arg)
	if err != nil {
		return Goal{}, fmt.Errorf("goal %s: %w", id, err)
	}
	g := Goal{ID: id, Spec: spec}
	say, hint := fields(b.body)
	g.Say, g.Hint = say, hint
	if g.Say == "" {
		return Goal{}, fmt.Errorf("goal %s: no say: line", id)
	}
	return g, nil
}

// fields reads a goal's "say:" and "hint:" lines; a line indented further
// continues the one before.
func fields(body []string) (say, hint string) {
	var cur *string
	for _, line := range body {
		switch t := strings.TrimSpace(line); {
		case strings.HasPrefix(t, "say:"):
			say, cur = strings.TrimSpace(t[4:]), &say
		case strings.HasPrefix(t, "hint:"):
			hint, cur = strings.TrimSpace(t[5:]), &hint
		case cur != nil && t != "":
			*cur = joinWords(*cur, t)
		}
	}
	return say, hint
}

// joinWords joins two pieces of a wrapped line: with a space, unless both
// sides are CJK, which is written without spaces, or either side is
// full-width punctuation, which carries its own space ("：" then "v=spf1").
func joinWords(a, b string) string {
	if a == "" {
		return b
	}
	l, f := lastRune(a), []rune(b)[0]
	if wide(l) && wide(f) || fullPunct(l) || fullPunct(f) {
		return a + b
	}
	return a + " " + b
}

// fullPunct reports CJK or full-width punctuation: "，", "：", "（", "。".
func fullPunct(r rune) bool {
	return r >= 0x3000 && r <= 0x303f || r >= 0xff00 && r <= 0xff20 || r >= 0xff3b && r <= 0xff40 || r >= 0xff5b && r <= 0xff65
}

func lastRune(s string) rune {
	r := []rune(s)
	return r[len(r)-1]
}

// wide reports a CJK character or full-width punctuation.
func wide(r rune) bool {
	return r >= 0x2e80 && r <= 0x9fff || r >= 0xf900 && r <= 0xfaff || r >= 0xff00 && r <= 0xffef || r >= 0x3000 && r <= 0x303f
}

// paragraphs joins the lines of each paragraph; paragraphs are separated
// by "\n\n". A line starting with "- " or two more spaces starts a line
// of its own (lists, commands).
func paragraphs(body []string) string {
	var paras []string
	var cur string
	flush := func() {
		if cur != "" {
			paras = append(paras, cur)
		}
		cur = ""
	}
	for _, line := range body {
		switch {
		case strings.TrimSpace(line) == "":
			flush()
		case strings.HasPrefix(line, "- ") || strings.HasPrefix(line, "  "):
			if cur != "" {
				cur += "\n"
			}
			cur += strings.TrimRight(line, " ")
		case cur != "" && !strings.HasSuffix(cur, "\n"):
			cur = joinWords(cur, strings.TrimSpace(line))
		default:
			cur += strings.TrimSpace(line)
		}
	}
	flush()
	return strings.Join(paras, "\n\n")
}

// Translate overlays a translation's text on l: title, text, each goal's
// say and hint. Keys it does not know are errors; what it leaves out stays.
func Translate(l Lesson, name string, r io.Reader) (Lesson, error) {
	bs, err := blocks(name, r)
	if err != nil {
		return l, err
	}
	l.Goals = slices.Clone(l.Goals)
	for _, b := range bs {
		switch {
		case b.key == "lesson":
		case b.key == "title":
			l.Title = b.arg
		case b.key == "text":
			l.Text = paragraphs(b.body)
		case strings.HasPrefix(b.key, "goal "):
			id := strings.TrimSpace(strings.TrimPrefix(b.key, "goal "))
			i := slices.IndexFunc(l.Goals, func(g Goal) bool { return g.ID == id })
			if i < 0 {
				return l, &Error{name, b.line, "the lesson has no goal " + id}
			}
			say, hint := fields(b.body)
			if say != "" {
				l.Goals[i].Say = say
			}
			if hint != "" {
				l.Goals[i].Hint = hint
			}
		default:
			return l, &Error{name, b.line, fmt.Sprintf("a translation holds title, text and goals' say and hint, not %q", b.key)}
		}
	}
	return l, nil
}
