package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/ehlo-sh/ehlo/third_party/fang"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// run executes the CLI as a user would and returns its exit code.
func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runIn(t, "", args...)
}

// runIn is run with standard input.
func runIn(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	root := newRootFor(args)                           // as main builds it
	root.SilenceUsage, root.SilenceErrors = true, true // as fang.Execute sets them
	var out, errOut bytes.Buffer
	root.SetIn(strings.NewReader(stdin))
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	code = 0
	if err := root.ExecuteContext(context.Background()); err != nil {
		code = exitCode(err)
		if msg, ok := errorWords(err); ok { // as handleError prints it
			errOut.WriteString(msg)
		}
	}
	noPackagePrefix(t, "stdout", out.String())
	noPackagePrefix(t, "stderr", errOut.String())
	return code, out.String(), errOut.String()
}

func TestProbeLabJSON(t *testing.T) {
	code, out, errOut := run(t, "probe", "--lab", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got struct {
		EHLO []struct {
			TLS        bool              `json:"tls"`
			Extensions map[string]string `json:"extensions"`
		} `json:"ehlo"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
	if len(got.EHLO) != 2 {
		t.Fatalf("ehlo: %+v", got.EHLO)
	}
	if _, ok := got.EHLO[0].Extensions["AUTH"]; ok {
		t.Error("AUTH before TLS")
	}
	if got.EHLO[1].Extensions["AUTH"] != "PLAIN LOGIN CRAM-MD5" {
		t.Errorf("AUTH after TLS: %q", got.EHLO[1].Extensions["AUTH"])
	}
}

func TestProbeLabSeveralEndpointsIsAnArray(t *testing.T) {
	code, out, errOut := run(t, "probe", "--lab", "--json", "mx", "smtps", "legacy")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got []struct {
		Target      string           `json:"target"`
		ImplicitTLS bool             `json:"implicit_tls"`
		Error       string           `json:"error"`
		Diff        *json.RawMessage `json:"diff"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || !got[1].ImplicitTLS || got[0].ImplicitTLS {
		t.Fatalf("results: %+v", got)
	}
	for i, name := range []string{"lab mx", "lab smtps", "lab legacy"} {
		if got[i].Target != name {
			t.Errorf("result %d is for %q, want %q", i, got[i].Target, name)
		}
	}
	// every key in every result, "diff" as null where there is none (smtps:
	// implicit TLS; legacy: no STARTTLS), as the README's schema has it
	if strings.Count(out, `"diff": null`) != 2 || strings.Count(out, `"diff":`) != 3 {
		t.Errorf("diff keys:\n%s", out)
	}
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"probe"}, exitUsage, "needs at least one TARGET"},
		{[]string{"probe", "--no-such-flag", "x"}, exitUsage, "unknown flag"},
		{[]string{"probe", "--lab", "nowhere"}, exitUsage, "no endpoint"},
		{[]string{"probe", "--ca", "/does/not/exist", "x"}, exitUsage, "--ca /does/not/exist: does not exist"},
		{[]string{"probe", "--timeout", "2s", "127.0.0.1:1"}, exitFailed, "127.0.0.1:1: connect"},
		{[]string{"prbe"}, exitUsage, `unknown command "prbe": did you mean "probe"?`},
		{[]string{"--lab", "bogus"}, exitUsage, `the lab has no endpoint "bogus" (it has mx, submission, smtps, legacy, postfix, exim, greylist, nopipe)`},
	}
	for _, tt := range tests {
		code, _, errOut := run(t, tt.args...)
		if code != tt.code || !strings.Contains(errOut, tt.err) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tt.args, code, errOut, tt.code, tt.err)
		}
	}
}

// TestCommandAloneIsTheWholeTreesCommand: a command line that names a
// subcommand gets a root with that one alone; it must take the same flags,
// with the same defaults, as in the whole tree that help and completion see.
func TestCommandAloneIsTheWholeTreesCommand(t *testing.T) {
	full := newRoot()
	for _, sub := range subcommands {
		want, _, err := full.Find([]string{sub.name})
		if err != nil {
			t.Fatal(err)
		}
		alone := newRootFor([]string{sub.name, "--help"})
		if n := len(alone.Commands()); n != 1 {
			t.Errorf("%s: the root holds %d commands, want it alone", sub.name, n)
		}
		got, _, err := alone.Find([]string{sub.name})
		if err != nil || got.Name() != sub.name {
			t.Fatalf("%s: found %v, %v", sub.name, got, err)
		}
		if g, w := flagSet(got), flagSet(want); g != w {
			t.Errorf("%s alone takes\n%s\nthe whole tree's takes\n%s", sub.name, g, w)
		}
	}
	if n := len(newRootFor([]string{"help", "probe"}).Commands()); n != len(subcommands) {
		t.Errorf("help: %d commands, want all %d", n, len(subcommands))
	}
}

// flagSet lists a command's flags with their defaults.
func flagSet(c *cobra.Command) string {
	var b strings.Builder
	c.Flags().VisitAll(func(f *pflag.Flag) { fmt.Fprintf(&b, "--%s=%s ", f.Name, f.DefValue) })
	return b.String()
}

// TestFangKeepsWhatEachRootReaches runs command lines through fang as main
// does: the whole tree keeps --version and completion, and a root built for
// one subcommand still gives that subcommand's help.
func TestFangKeepsWhatEachRootReaches(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--version"}, "ehlo version"},
		{[]string{"completion", "bash"}, "bash completion"},
		{[]string{"probe", "--help"}, "--parallel"},
		{[]string{"send", "--help"}, "--body"},
	} {
		root := newRootFor(tc.args)
		var out, errOut bytes.Buffer
		root.SetOut(&out)
		root.SetErr(&errOut)
		root.SetArgs(tc.args)
		if err := fang.Execute(context.Background(), root, fangOptions(root, Build{})...); err != nil {
			t.Errorf("%v: %v: %s", tc.args, err, errOut.String())
			continue
		}
		if !strings.Contains(out.String(), tc.want) {
			t.Errorf("%v: the output does not hold %q:\n%s", tc.args, tc.want, out.String())
		}
	}
}

// TestErrorsPrintedAsWritten: an error names flags and files as the user
// typed them; fang's styling must not capitalise them.
func TestErrorsPrintedAsWritten(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"send", "--lab", "--quit-after", "data"}, `--quit-after "data"`},
		{[]string{"probe", "--timeout", "0", "127.0.0.1:1"}, "--timeout 0s: give a duration above zero"},
		{[]string{"probe", "127.0.0.1:99999"}, `bad target "127.0.0.1:99999": bad port "99999"`},
	} {
		root := newRootFor(tc.args)
		var out, errOut bytes.Buffer
		root.SetOut(&out)
		root.SetErr(&errOut)
		root.SetArgs(tc.args)
		err := fang.Execute(context.Background(), root, fangOptions(root, Build{})...)
		if err == nil || exitCode(err) != exitUsage || !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("%v: %v, stderr:\n%s\nwant a usage error holding %q", tc.args, err, errOut.String(), tc.want)
		}
	}
}

// TestExplorerWithoutTerminal: with no terminal to draw on, the explorer
// says so and points at the commands for scripts, instead of Bubble Tea's
// error about /dev/tty.
func TestExplorerWithoutTerminal(t *testing.T) {
	noTTY := fmt.Errorf("bubbletea: error opening TTY: %w", &os.PathError{Op: "open", Path: "/dev/tty", Err: syscall.ENXIO})
	err := explorerErr(noTTY)
	if exitCode(err) != exitUsage || !strings.Contains(err.Error(), "the explorer needs a terminal") || !strings.Contains(err.Error(), "ehlo probe") {
		t.Errorf("got %v", err)
	}
	if other := errors.New("boom"); explorerErr(other) != other {
		t.Errorf("another error was changed")
	}
}

// TestHelpWrapsToTheWidth: each command's description is wrapped once, to
// the width of the output, not broken again where the source broke it.
func TestHelpWrapsToTheWidth(t *testing.T) {
	bin := ehloBinary(t)
	for _, cmd := range [][]string{{"--help"}, {"probe", "--help"}, {"lab", "--help"}, {"doctor", "--help"}, {"send", "--help"}, {"run", "--help"}} {
		c := exec.Command(bin, cmd...)
		c.Env = append(os.Environ(), "__FANG_TEST_WIDTH=80") // fang's width when stdout is no terminal
		out, err := c.Output()
		if err != nil {
			t.Fatalf("%v: %v", cmd, err)
		}
		var lines []string // the first paragraph
		for _, l := range strings.Split(string(out), "\n") {
			if strings.TrimSpace(l) != "" {
				lines = append(lines, l)
			} else if len(lines) > 0 {
				break
			}
		}
		para := strings.Join(lines, "\n")
		for i, l := range lines[:len(lines)-1] {
			if n := len(strings.TrimSpace(l)); n < 55 || n > 78 {
				t.Errorf("%v: description line %d is %d columns wide, want a paragraph filled to 80:\n%s", cmd, i+1, n, para)
				break
			}
		}
	}
}

// TestLabFlagNamesTheEndpoint: --lab=NAME is --lab NAME, in probe, doctor
// and send; an unknown name is a usage error naming the endpoints.
func TestLabFlagNamesTheEndpoint(t *testing.T) {
	code, out, errOut := run(t, "probe", "--lab=smtps", "--json")
	var got struct {
		Target      string `json:"target"`
		ImplicitTLS bool   `json:"implicit_tls"`
	}
	if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil || got.Target != "lab smtps" || !got.ImplicitTLS {
		t.Errorf("probe --lab=smtps: exit %d, %v, %+v: %s", code, err, got, errOut)
	}
	if code, out, errOut := run(t, "send", "--lab=legacy", "--quit-after", "ehlo"); code != 0 || !strings.Contains(out, "legacy.lab.test") {
		t.Errorf("send --lab=legacy: exit %d: %s%s", code, out, errOut)
	}
	if code, _, errOut := run(t, "doctor", "--lab=nowhere"); code != exitUsage || !strings.Contains(errOut, `no endpoint "nowhere"`) {
		t.Errorf("doctor --lab=nowhere: exit %d: %s", code, errOut)
	}
	script := sendTempFile(t, "s.ehlo", "# lab: submission\nexpect 220 legacy\nQUIT\nexpect 221\n")
	if code, out, errOut := run(t, "run", "--lab=legacy", script); code != 0 {
		t.Errorf("run --lab=legacy over the script's # lab: submission: exit %d: %s%s", code, out, errOut)
	}
}

// TestAbsPath: the --ca given to the explorer is kept absolute, for the
// replay line of a saved script to work from another directory.
func TestAbsPath(t *testing.T) {
	wd, _ := os.Getwd()
	for in, want := range map[string]string{"": "", "ca.pem": filepath.Join(wd, "ca.pem"), "/etc/ca.pem": "/etc/ca.pem"} {
		if got := absPath(in); got != want {
			t.Errorf("absPath(%q) = %q, want %q", in, got, want)
		}
	}
}
