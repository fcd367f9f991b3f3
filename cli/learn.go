package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/dns"
	"github.com/ehlo-sh/ehlo/lab"
	"github.com/ehlo-sh/ehlo/learn"
	"github.com/ehlo-sh/ehlo/ui"
)

// learnFlags are learn's.
type learnFlags struct {
	explorer explorerFlags
	lang     string
	verify   bool
}

func newLearn() *cobra.Command {
	var f learnFlags
	cmd := &cobra.Command{
		Use:   "learn [N|NAME|FILE]",
		Short: "A course in SMTP, by hand, on the built-in lab: lessons checked as you type",
		Long: "learn lists the lessons and your progress; learn N (or its name) opens lesson N in the explorer, " +
			"on the lab endpoint it needs, with a card that says the goal, ticks it when the server's reply shows " +
			"it met, and gives a hint on :hint (:next, :back, :restart, :lessons, :text). learn FILE runs a " +
			"lesson file of your own (its format: learn --format). --verify replays every lesson's reference " +
			"solution against the lab and checks each goal. Progress is kept in $XDG_STATE_HOME/ehlo/learn.",
		Example: "  ehlo learn\n  ehlo learn 1\n  ehlo learn starttls --lang zh\n  ehlo learn ./my-lesson.lesson\n  ehlo learn --verify",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageErr(errors.New("learn takes one lesson: its number, its name or a lesson FILE (ehlo learn lists them)"))
			}
			return nil
		},
		RunE: f.run,
	}
	fl := cmd.Flags()
	fl.StringVar(&f.lang, "lang", "", langHelp)
	fl.BoolVar(&f.verify, "verify", false, "replay the reference solutions (every lesson, or the one named) against the lab and check every goal")
	fl.Bool("format", false, "print the lesson file format and exit")
	fl.StringVar(&f.explorer.theme, "theme", "", "colour theme (default $EHLO_THEME, else auto; NO_COLOR forces mono)")
	fl.BoolVar(&f.explorer.noMouse, "no-mouse", false, "leave the mouse to the terminal, for native text selection")
	fl.BoolVar(&f.explorer.noHistory, "no-history", false, "keep no command history nor progress file (also "+noHistoryEnv+"=1)")
	return cmd
}

func (f *learnFlags) run(cmd *cobra.Command, args []string) error {
	out := cmd.OutOrStdout()
	if format, _ := cmd.Flags().GetBool("format"); format {
		fmt.Fprint(out, learn.Format())
		return nil
	}
	lang, err := pickLang(f.lang, os.Getenv)
	if err != nil {
		return usageErr(err)
	}
	lessons, err := learn.Shipped(lang)
	if err != nil {
		return err
	}
	current := -1
	if len(args) == 1 {
		if l, ok := learn.Find(lessons, args[0]); ok {
			current = slices.IndexFunc(lessons, func(x learn.Lesson) bool { return x.Name == l.Name })
		} else if own, err := readLesson(args[0]); err == nil {
			lessons, current = []learn.Lesson{own}, 0
		} else if looksLikeFile(args[0]) {
			return err
		} else {
			return usageErr(fmt.Errorf("no lesson %q: ehlo learn lists them", args[0]))
		}
	}
	if f.verify {
		if current >= 0 {
			lessons = lessons[current : current+1]
		}
		return verifyLessons(cmd, out, lessons)
	}
	progress := progressFile(f.explorer.noHistory)
	done := map[string]bool{}
	if progress != "" {
		if done, err = learn.LoadProgress(progress); err != nil {
			fmt.Fprintf(cmd.ErrOrStderr(), "progress not read: %v\n", err)
		}
	}
	if current < 0 {
		listLessons(out, lessons, done, lang)
		return nil
	}
	return f.open(cmd, lessons, current, done, progress, lang)
}

// open runs the explorer on the lab with the course.
func (f *learnFlags) open(cmd *cobra.Command, lessons []learn.Lesson, current int, done map[string]bool, progress, lang string) error {
	var scenarios []lab.Scenario
	seen := map[string]bool{}
	spf := false
	for _, l := range lessons {
		spf = spf || l.EnforceSPF
		scs, err := l.LabScenarios()
		if err != nil {
			return err
		}
		for _, s := range scs {
			if !seen[s.Name] {
				seen[s.Name], scenarios = true, append(scenarios, s)
			}
		}
	}
	l, err := lab.Start(lab.Config{Scenarios: scenarios, EnforceSPF: spf})
	if err != nil {
		return err
	}
	defer l.Close()
	cfg, progOpts := f.explorer.config(client.Options{})
	cfg.Lab, cfg.Endpoint, cfg.Lang = l, lessons[current].Start(), lang
	cfg.DNS = dns.NewClient(l.DNSAddr()) // the identity check (SPF, DMARC) asks the lab's own DNS, as with --lab
	cfg.Course = &ui.Course{Lessons: lessons, Current: current, Done: done, Progress: progress, Lang: lang}
	return explorerErr(ui.Run(cmd.Context(), cfg, progOpts...))
}

// verifyLessons replays the solutions and says how each went.
func verifyLessons(cmd *cobra.Command, out io.Writer, lessons []learn.Lesson) error {
	failed := 0
	err := learn.VerifyAll(cmd.Context(), lessons, func(l learn.Lesson, err error) {
		if err != nil {
			failed++
			fmt.Fprintf(out, "✗ %2d %-12s %v\n", l.Number, l.Name, err)
			return
		}
		fmt.Fprintf(out, "✓ %2d %-12s %d goals met\n", l.Number, l.Name, len(l.Goals))
	})
	if err != nil {
		return reported(exitFailed, fmt.Errorf("%d of %d lessons failed", failed, len(lessons)))
	}
	fmt.Fprintf(out, "all %d lessons verified against the lab\n", len(lessons))
	return nil
}

// listLessons prints the course and the learner's progress.
func listLessons(out io.Writer, lessons []learn.Lesson, done map[string]bool, lang string) {
	n := 0
	for _, l := range lessons {
		mark := " "
		if done[l.Name] {
			mark, n = "✓", n+1
		}
		fmt.Fprintf(out, "%s %2d  %-12s %s\n", mark, l.Number, l.Name, l.Title)
	}
	if lang == "zh" {
		fmt.Fprintf(out, "已完成 %d/%d 课。ehlo learn N 开始一课。\n", n, len(lessons))
		return
	}
	fmt.Fprintf(out, "%d of %d done. ehlo learn N opens lesson N.\n", n, len(lessons))
}

// langHelp is --lang's, the explorer's and learn's.
const langHelp = "language of the lessons and the explorer's own words: en or zh (default from LC_ALL, LC_MESSAGES, LANG)"

// pickLang is --lang, else the locale's language: zh for a zh_* locale
// (LC_ALL, then LC_MESSAGES, then LANG, as POSIX orders them), else en.
func pickLang(flag string, getenv func(string) string) (string, error) {
	if flag != "" {
		if !slices.Contains(learn.Langs, flag) {
			return "", fmt.Errorf("--lang %s: ehlo speaks %s", flag, strings.Join(learn.Langs, " and "))
		}
		return flag, nil
	}
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if loc := getenv(v); loc != "" {
			if strings.HasPrefix(strings.ToLower(loc), "zh") {
				return "zh", nil
			}
			return "en", nil
		}
	}
	return "en", nil
}

// readLesson reads a teacher's lesson file.
func readLesson(path string) (learn.Lesson, error) {
	f, err := client.OpenInput("the lesson", path)
	if err != nil {
		return learn.Lesson{}, err
	}
	defer f.Close()
	return learn.Parse(path, f)
}

func looksLikeFile(s string) bool {
	return strings.ContainsAny(s, "/.\\")
}

// progressFile is where the course keeps the lessons done, beside the
// history: $XDG_STATE_HOME/ehlo/learn; "" with --no-history.
func progressFile(noHistory bool) string {
	return stateFile(noHistory, "learn")
}
