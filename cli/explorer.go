package cli

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/charmbracelet/colorprofile"
	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"
	"github.com/spf13/cobra"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/lab"
	"github.com/ehlo-sh/ehlo/themes"
	"github.com/ehlo-sh/ehlo/ui"
)

// explorerFlags are the root command's: the explorer's.
type explorerFlags struct {
	conn              connFlags
	identity          identityFlags
	theme, transcript string
	noMouse, guided   bool
	noHistory         bool
	endpoint          string // the lab endpoint to open on when there is no TARGET
	mx                mxFlags
	lang              string // --lang: the explorer's own words, en or zh
}

// newExplorer is the root command: the explorer, on TARGET or on the
// built-in lab.
func newExplorer() *cobra.Command {
	var f explorerFlags
	root := &cobra.Command{
		Use:   "ehlo [TARGET]",
		Short: "Explore SMTP sessions: every command, every reply, explained",
		Long: "ehlo opens a raw connection to an SMTP server and shows, live, every command you type and every " +
			"reply the server gives, what it advertises before and after STARTTLS, and its certificate. " +
			"With no TARGET it opens on the built-in sandbox server (no network needed).",
		Example: "  ehlo                        # the built-in lab, like Gmail's 587\n" +
			"  ehlo --lab legacy           # another lab endpoint: " + strings.Join(lab.EndpointNames, ", ") + "\n" +
			"  ehlo smtp.gmail.com:587\n  ehlo probe --lab\n  ehlo lab --ca-out /tmp/lab-ca.pem",
		RunE: f.run,
	}
	root.SuggestionsMinimumDistance = 2 // for notACommand; cobra sets it only on its own path
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErr(err) })
	root.Args = func(cmd *cobra.Command, args []string) error {
		if len(args) > 1 {
			return usageErr(fmt.Errorf("ehlo opens one TARGET, not %d (ehlo probe takes several)", len(args)))
		}
		return nil
	}
	f.conn.register(root)
	f.conn.registerData(root)
	fl := root.Flags()
	f.conn.tlsx.registerReconnect(fl, "keep TLS session tickets, so that :reconnect tries to resume the session (the side panel says whether it did)")
	f.identity.register(fl, true, identityExplorerHelp)
	fl.StringVar(&f.theme, "theme", "", "colour theme: "+strings.Join(themes.Names(), ", ")+" (default $EHLO_THEME, else auto; NO_COLOR forces mono)")
	fl.StringVar(&f.transcript, "transcript", "", "append the transcript to this file as it happens (credentials redacted)")
	fl.BoolVar(&f.noMouse, "no-mouse", false, "leave the mouse to the terminal, for native text selection")
	fl.BoolVar(&f.noHistory, "no-history", false, "keep no command history file (also "+noHistoryEnv+"=1); by default it is $XDG_STATE_HOME/ehlo/history")
	fl.BoolVar(&f.guided, "guided", false, "start in guided mode: a card shows the next step of a session, prefilled (F9 toggles)")
	f.mx.registerExplorer(root)
	fl.StringVar(&f.endpoint, "lab", "submission", "open on this built-in lab endpoint: "+strings.Join(lab.EndpointNames, ", "))
	fl.StringVar(&f.lang, "lang", "", langHelp)
	return root
}

func (f *explorerFlags) run(cmd *cobra.Command, args []string) error {
	opts, err := f.conn.options()
	if err != nil {
		return err
	}
	opts = explorerTickets(opts)
	if _, err := pickLang(f.lang, os.Getenv); err != nil {
		return usageErr(err)
	}
	cfg, progOpts := f.config(opts)
	cfg.CAFile = absPath(f.conn.ca) // a saved script's replay line works from any directory
	args = f.conn.pipeArgs(args, 0)
	cfg.TLSFlags = f.conn.tlsx.replay(f.conn.fs)
	f.mx.dns = f.identity.dns // one --resolver: the identity check's and the MX lookups'
	if cfg.MX, err = f.mx.explorer(opts); err != nil {
		return err
	}
	if f.mx.wanted(args) {
		return f.runMX(cmd, args, cfg, progOpts)
	}
	switch {
	case len(args) == 1 && cmd.Flags().Changed("lab"):
		return usageErr(errors.New("give a TARGET or --lab, not both"))
	case len(args) == 1:
		if err := checkTarget(args[0]); err != nil {
			return err
		}
		if err := notACommand(cmd, args[0]); err != nil {
			return err
		}
		cfg.Target = args[0]
		defer f.conn.tlsx.finish(cmd.OutOrStdout(), false)
		if cfg.DNS, err = f.identity.explorerResolver(cmd.Flags(), ""); err != nil {
			return err
		}
		return explorerErr(ui.Run(cmd.Context(), cfg, progOpts...))
	case !slices.Contains(lab.EndpointNames, f.endpoint):
		return usageErr(noEndpoint(f.endpoint))
	}
	l, err := lab.Start(lab.Config{})
	if err != nil {
		return err
	}
	defer l.Close()
	defer f.conn.tlsx.finish(cmd.OutOrStdout(), false)
	cfg.Lab, cfg.Endpoint = l, f.endpoint
	if cfg.DNS, err = f.identity.explorerResolver(cmd.Flags(), l.DNSAddr()); err != nil {
		return err
	}
	return explorerErr(ui.Run(cmd.Context(), cfg, progOpts...))
}

// config builds the explorer's settings. NO_COLOR with any non-empty value
// means no colour (no-color.org); colorprofile alone accepts only values
// that parse as true, so the profile is forced here.
func (f *explorerFlags) config(opts client.Options) (ui.Config, []tea.ProgramOption) {
	noColor := os.Getenv("NO_COLOR") != ""
	lang, _ := pickLang(f.lang, os.Getenv) // checked by the command
	cfg := ui.Config{
		Lang:       lang,
		Options:    opts,
		Theme:      themes.Pick(f.theme, os.Getenv("EHLO_THEME"), noColor),
		Mouse:      !f.noMouse,
		Transcript: f.transcript,
		Guided:     f.guided,
		History:    historyFile(f.noHistory),
		DNSBL:      f.identity.dnsbl,
	}
	if noColor {
		return cfg, []tea.ProgramOption{tea.WithColorProfile(colorprofile.Ascii)}
	}
	return cfg, nil
}

// notACommand rejects a TARGET that looks like a mistyped command ("prbe"):
// a bare word close to a command's name. A host of that name can still be
// explored with its port ("prbe:25").
func notACommand(root *cobra.Command, target string) error {
	if strings.ContainsAny(target, ".:[") {
		return nil
	}
	if near := root.SuggestionsFor(target); len(near) > 0 {
		return usageErr(fmt.Errorf("unknown command %q: did you mean %q? (to explore a host of that name, give its port: %s:25)", target, near[0], target))
	}
	return nil
}

// explorerErr explains the explorer's failure to find a terminal.
func explorerErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) && pe.Path == "/dev/tty" {
		return usageErr(errors.New("the explorer needs a terminal, and there is none here; from scripts, use ehlo probe, send, doctor or run"))
	}
	return err
}
