package cli

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/lab"
	"github.com/ehlo-sh/ehlo/wire"
)

// runFlags are run's flags.
type runFlags struct {
	conn       connFlags
	lab        labFlags
	transcript string
}

func newRun() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run [flags] FILE [TARGET]",
		Short: "Replay a session script and check every expect",
		Long: "run replays a session script: SMTP command lines, ':auth MECH USER', ':bare COMMAND', ':drop' (close without QUIT), message lines after DATA, " +
			"'BDAT n [LAST]' followed by exactly n octets, a line end and its expect, and " +
			"'expect CODE [TEXT]' lines that check the reply to the command before them (250, 2xx, 250|251). " +
			"The target comes from TARGET, a '# target: HOST:PORT' line, or '# lab: ENDPOINT' (the built-in " +
			"lab). Placeholders such as {{password}} are read from EHLO_PASSWORD or EHLO_VAR_<NAME>, else " +
			"asked for on the terminal, and never shown. :save --script FILE in the explorer writes one. " +
			"Exit status: 0 every expect met, 1 an expect failed, 2 a bad script or command line, 3 the " +
			"session could not start or broke.",
		Example: "  ehlo run lesson1.ehlo\n  ehlo run --lab lesson1.ehlo\n" +
			"  EHLO_PASSWORD=... ehlo run regress.ehlo smtp.example.com:587 --transcript run.log",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return usageErr(errors.New("run needs a script FILE, and may take a TARGET"))
			}
			return f.run(cmd, args)
		},
	}
	f.conn.register(cmd)
	f.conn.registerData(cmd)
	f.lab.register(cmd.Flags(), "run against the built-in lab (--lab=NAME names the endpoint; else the script's '# lab:' line, else submission)")
	cmd.Flags().StringVar(&f.transcript, "transcript", "", "also write the exchange to this file (mode 0600, credentials redacted)")
	return cmd
}

// Exit codes of ehlo run beyond 1 (an expect failed) and 2 (usage).
const exitRunBroken = 3 // the session could not start or broke

func (f *runFlags) run(cmd *cobra.Command, args []string) error {
	opts, err := f.conn.options()
	if err != nil {
		return err
	}
	args = f.conn.pipeArgs(args, 1)
	s, err := readScript(args[0])
	if err != nil {
		return usageErr(err)
	}
	cfg := client.RunConfig{Options: opts, Vars: map[string]string{}}
	if s.TLS == "implicit" && !opts.Plain { // --tls=false overrides the script
		cfg.Options.ImplicitTLS = true
	}
	switch {
	case len(args) == 2:
		if err := checkTarget(args[1]); err != nil {
			return err
		}
		cfg.Target = args[1]
	case f.lab.on || s.Lab != "":
		var names []string
		if name := cmp.Or(f.lab.name, s.Lab); name != "" {
			names = []string{name}
		}
		l, jobs, err := startLab(names, cfg.Options)
		if err != nil {
			return err
		}
		defer l.Close()
		cfg.Target, cfg.Options = jobs[0].Target, jobs[0].Options
		cfg.Vars["user"], cfg.Vars["password"] = lab.User, lab.Password
	case s.Target != "":
		cfg.Target = s.Target
	default:
		return usageErr(fmt.Errorf("%s: no target: give TARGET, or put '# target: HOST:PORT' in the script", args[0]))
	}
	if err := scriptVars(cmd, s, cfg.Vars); err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	tr := wire.NewTranscript()
	stop, err := followTranscript(tr, out, f.transcript, true)
	if err != nil {
		return usageErr(err)
	}
	res := client.RunScript(cmd.Context(), s, cfg, tr)
	stop()
	f.conn.tlsx.finish(out, false)
	switch {
	case res.Failure != nil:
		fmt.Fprintf(cmd.ErrOrStderr(), "ehlo run: %s\n", res.Failure)
		return reported(exitFailed, res.Failure)
	case res.Err != nil:
		fmt.Fprintf(cmd.ErrOrStderr(), "ehlo run: %s\n", client.Explain(res.Err))
		if fix := workingLine(cmd, args, res.Err, s.TLS == "implicit" || is465(cfg.Target)); fix != "" && !f.lab.on && s.Lab == "" {
			fmt.Fprintf(cmd.ErrOrStderr(), "ehlo run: run instead: %s\n", fix)
		}
		return reported(exitRunBroken, res.Err)
	}
	fmt.Fprintf(out, "ok: %s: %d expectations met\n", args[0], res.Checked)
	return nil
}

// readScript parses the script in the file at path.
func readScript(path string) (*client.Script, error) {
	file, err := client.OpenInput("the script", path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	return client.ParseScript(path, file)
}

// scriptVars gives each placeholder a value: what is already known (the
// lab's account), EHLO_VAR_<NAME>, EHLO_PASSWORD for {{password}}, or a
// masked answer on the terminal.
func scriptVars(cmd *cobra.Command, s *client.Script, vars map[string]string) error {
	for _, name := range s.Vars() {
		env := "EHLO_VAR_" + strings.ToUpper(name)
		switch {
		case vars[name] != "": // the lab's account
		case os.Getenv(env) != "":
			vars[name] = os.Getenv(env)
		case name == "password" && os.Getenv("EHLO_PASSWORD") != "":
			vars[name] = os.Getenv("EHLO_PASSWORD")
		default:
			if name == "password" {
				env = "EHLO_PASSWORD" // the documented one; EHLO_VAR_PASSWORD works too
			}
			v, err := askSecret(cmd, fmt.Sprintf("{{%s}} (or set %s)", name, env), "")
			if err != nil {
				return err
			}
			vars[name] = v
		}
	}
	return nil
}
