package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/lab"
)

// scenarioFlags are lab's flags for scenarios and logs.
type scenarioFlags struct {
	list       bool
	scenario   string
	port       int
	rules      []string
	greetDelay time.Duration
	rate       int
	logDir     string
	logSecrets bool
}

func (f *scenarioFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.BoolVar(&f.list, "list", false, "list the scenarios and exit")
	fl.StringVar(&f.scenario, "scenario", "", "run only this scenario's endpoint (see --list), on --port")
	fl.IntVar(&f.port, "port", lab.DefaultPorts.MX, "port of the --scenario endpoint (0 picks a free one)")
	fl.StringArrayVar(&f.rules, "rule", nil, "with --scenario: answer a command with a chosen reply, VERB=REPLY (\"RCPT=451 4.3.0 try later\"); repeatable")
	fl.DurationVar(&f.greetDelay, "greet-delay", 0, "with --scenario: hold the greeting this long")
	fl.IntVar(&f.rate, "rate", 0, "with --scenario: 421 at the MAIL beyond this many a minute")
	fl.StringVar(&f.logDir, "log", "", "write each connection's server-side transcript to a new file in this directory (0600)")
	fl.BoolVar(&f.logSecrets, "log-secrets", false, "keep credentials in the --log files (redacted by default)")
}

// apply sets cfg from the flags.
func (f *scenarioFlags) apply(cmd *cobra.Command, cfg *lab.Config) error {
	custom := len(f.rules) > 0 || f.greetDelay > 0 || f.rate > 0
	if f.scenario == "" && (custom || cmd.Flags().Changed("port")) {
		return usageErr(errors.New("--rule, --greet-delay, --rate and --port go with --scenario NAME (ehlo lab --list)"))
	}
	if f.logSecrets && f.logDir == "" {
		return usageErr(errors.New("--log-secrets goes with --log DIR"))
	}
	if f.scenario != "" {
		sc, ok := lab.LookupScenario(f.scenario)
		if !ok {
			return usageErr(fmt.Errorf("no scenario %q; there are: %s", f.scenario, strings.Join(lab.ScenarioNames(), ", ")))
		}
		for _, r := range f.rules {
			rule, err := lab.ParseRule(r)
			if err != nil {
				return usageErr(fmt.Errorf("--rule: %w", err))
			}
			sc.Replies = append(sc.Replies, rule)
		}
		if f.greetDelay > 0 {
			sc.GreetDelay = f.greetDelay
		}
		if f.rate > 0 {
			sc.RatePerMinute = f.rate
		}
		sc.Port = f.port
		cfg.Scenarios, cfg.Only = []lab.Scenario{sc}, true
	}
	if f.logDir != "" {
		if err := logDir(f.logDir); err != nil {
			return usageErr(client.FileErr("--log", f.logDir, err))
		}
		cfg.OpenLog, cfg.LogSecrets = openConnLog(f.logDir), f.logSecrets
	}
	return nil
}

// listScenarios prints the scenarios and the addresses every endpoint knows.
func listScenarios(out io.Writer) {
	fmt.Fprintln(out, "Scenarios (ehlo lab --scenario NAME; the explorer: ehlo learn runs them for its lessons):")
	for _, s := range lab.Scenarios() {
		fmt.Fprintf(out, "  %-14s %s\n", s.Name, s.Summary)
	}
	fmt.Fprintln(out, "On every endpoint, a recipient chooses its reply: RCPT TO:<451@lab.test> (any code 400-599), <greylist@lab.test>, <slow@lab.test>.")
}

// logDir makes sure dir is a directory of the user's, creating it 0700;
// a symbolic link is refused, as for every file ehlo writes.
func logDir(dir string) error {
	fi, err := os.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return os.MkdirAll(dir, 0o700)
	case err != nil:
		return err
	case fi.Mode()&fs.ModeSymlink != 0:
		return client.ErrSymlink
	case !fi.IsDir():
		return errors.New("is not a directory: --log names a directory, one file per connection goes into it")
	}
	return nil
}

// openConnLog opens a new file in dir for one connection, named after its
// time, endpoint and client port: created 0600, never over an existing
// file nor through a link (client.CreatePrivate).
func openConnLog(dir string) func(lab.ConnInfo) (io.WriteCloser, error) {
	return func(c lab.ConnInfo) (io.WriteCloser, error) {
		port := c.Remote[strings.LastIndexByte(c.Remote, ':')+1:]
		name := fmt.Sprintf("%s-%s-%s.log", c.Start.UTC().Format("20060102T150405.000Z"), c.Endpoint, port)
		f, _, err := client.CreatePrivate(filepath.Join(dir, name))
		return f, err
	}
}
