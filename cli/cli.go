// Package cli is ehlo's command line: the root command (the explorer) and
// the probe, doctor, send, run and lab subcommands, each in a file of its
// own with its flags, its run function and its printing. The flag groups
// several commands share (connection, lab, credentials) are in flags.go.
//
// It sits on top of every other package: it may use client, session, lab,
// ui and themes, and nothing imports it but main (layers_test.go).
package cli

import (
	"context"
	"errors"
	"io"
	"runtime/debug"
	"strings"

	"github.com/ehlo-sh/ehlo/third_party/fang"
	"github.com/spf13/cobra"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/themes"
)

// Exit codes shared by the commands.
const (
	exitFailed = 1 // the command ran and something failed
	exitUsage  = 2 // the command line was wrong
)

// exitError carries an exit code; quiet ones were already reported.
type exitError struct {
	code  int
	err   error
	quiet bool
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(err error) error { return &exitError{code: exitUsage, err: err} }

// reported is an error already printed, ending the command with code.
func reported(code int, err error) error { return &exitError{code: code, err: err, quiet: true} }

// Build is what the linker stamped into a release build (.goreleaser.yaml);
// other builds leave it empty, and --version reads the build information.
type Build struct {
	Version, Commit string
}

// Main runs ehlo with the command line args (without the program name)
// and returns the process's exit status.
func Main(args []string, b Build) int {
	root := newRootFor(args)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	defer catchInterrupt(cancel, interruptAfter, nil)()
	if err := fang.Execute(ctx, root, fangOptions(root, b)...); err != nil {
		return exitCode(err)
	}
	return 0
}

// fangOptions leave out, for a root that holds one subcommand (newRootFor),
// what no run of that subcommand can reach: the man page and completion
// commands and the root's --version, whose build information a probe would
// read at every start for nothing.
func fangOptions(root *cobra.Command, b Build) []fang.Option {
	opts := []fang.Option{fang.WithErrorHandler(handleError), fang.WithColorSchemeFunc(themes.HelpColors)}
	if len(root.Commands()) == 1 {
		return append(opts, fang.WithoutManpage(), fang.WithoutCompletions(), fang.WithoutVersion())
	}
	v, commit := version(b, debug.ReadBuildInfo)
	return append(opts, fang.WithVersion(v), fang.WithCommit(commit))
}

func exitCode(err error) int {
	var e *exitError
	if errors.As(err, &e) {
		return e.code
	}
	if strings.HasPrefix(err.Error(), "unknown command") || strings.HasPrefix(err.Error(), "unknown flag") {
		return exitUsage
	}
	return exitFailed
}

func handleError(w io.Writer, styles fang.Styles, err error) {
	msg, ok := errorWords(err)
	if !ok {
		return
	}
	// fang's error style capitalises the first word, turning "--quit-after"
	// into "--Quit-After" and "lesson.ehlo:9" into "Lesson.ehlo:9": print
	// messages as written.
	styles.ErrorText = styles.ErrorText.UnsetTransform()
	fang.DefaultErrorHandler(w, styles, errors.New(msg))
}

// errorWords is the sentence a person reads for the error a command ended
// with (client.Explain: no package prefixes, each step said once); not ok
// when the command reported it already.
func errorWords(err error) (msg string, ok bool) {
	var e *exitError
	if errors.As(err, &e) && e.quiet {
		return "", false
	}
	return client.Explain(err), true
}

// subcommands are ehlo's commands, built on demand: see newRootFor.
var subcommands = []struct {
	name  string
	build func() *cobra.Command
}{{"probe", newProbe}, {"lab", newLab}, {"doctor", newDoctor}, {"send", newSend}, {"run", newRun}, {"learn", newLearn}, {"report", newReport}}

// newRoot is the whole command tree.
func newRoot() *cobra.Command { return newRootFor(nil) }

// newRootFor is the command tree for running args: when args start with a
// subcommand's name, the root holds that subcommand alone, since defining
// every command's flags is start-up time that a probe or a send would pay
// for nothing (BENCHMARKS.md); otherwise (the explorer, help, completion,
// man pages, a typo to suggest a fix for) it holds them all.
func newRootFor(args []string) *cobra.Command {
	root := newExplorer()
	for _, sub := range subcommands {
		if len(args) > 0 && args[0] == sub.name {
			root.AddCommand(sub.build())
			return root
		}
	}
	for _, sub := range subcommands {
		root.AddCommand(sub.build())
	}
	return root
}
