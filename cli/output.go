package cli

import (
	"encoding/json"
	"errors"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	xterm "github.com/charmbracelet/x/term"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/wire"
)

// writeJSON writes v as indented JSON, the form of every command's --json.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// toldOnScreen says whether a report written to out is already on the
// screen where errOut would print: both are the same terminal. A command
// then leaves its one-line error off errOut, which would only repeat the
// report's; when either is redirected, errOut says it too.
func toldOnScreen(out, errOut io.Writer) bool {
	o, ok1 := out.(*os.File)
	e, ok2 := errOut.(*os.File)
	if !ok1 || !ok2 || !xterm.IsTerminal(o.Fd()) || !xterm.IsTerminal(e.Fd()) {
		return false
	}
	oi, err1 := o.Stat()
	ei, err2 := e.Stat()
	return err1 == nil && err2 == nil && os.SameFile(oi, ei)
}

// followTranscript prints entries as they are recorded, message data cut
// after 40 lines, to out when show and to the file path when given.
func followTranscript(tr *wire.Transcript, out io.Writer, path string, show bool) (stop func(), err error) {
	var cancels []func()
	stop = func() {
		for _, c := range cancels {
			c()
		}
	}
	if show {
		el := &client.DataElider{Max: 40}
		cancels = append(cancels, tr.Subscribe(func(e wire.Entry) {
			_ = client.WriteTranscript(out, el.Filter(e), client.TranscriptFormat{})
		}))
	}
	if path != "" {
		file, err := client.OpenPrivate(path, os.O_TRUNC)
		if err != nil {
			return stop, client.FileErr("--transcript", path, err)
		}
		el := &client.DataElider{Max: 40}
		cancels = append(cancels, tr.Subscribe(func(e wire.Entry) {
			_ = client.WriteTranscript(file, el.Filter(e), client.TranscriptFormat{Times: true})
		}), func() { file.Close() })
	}
	return stop, nil
}

// workingLine is the command line that works where err shows the target
// speaking another mode, or an older TLS, than the command asked for: the
// command as given (target in place of its arguments' when it ran on
// several) with --tls for a port that speaks TLS first, without it for one
// that answered TLS in plaintext (--tls=false where implicit TLS would stay
// on: port 465, or implicitAnyway), with --tls-min for a server that
// speaks only an old TLS (and --tls too when it speaks it first). "" for any other error.
func workingLine(cmd *cobra.Command, args []string, err error, implicitAnyway bool) string {
	var (
		first   *client.TLSFirstError
		old     *client.OldTLSFirstError
		plain   *wire.PlaintextError
		version *wire.VersionError
	)
	set := map[string]string{}
	switch {
	case errors.As(err, &first):
		set["tls"] = "true"
	case errors.As(err, &old): // TLS first, and an old TLS: both
		set["tls"], set["tls-min"] = "true", client.TLSMinFor(old.Err)
	case errors.As(err, &plain) && !plain.STARTTLS:
		set["tls"] = "" // dropped
		if implicitAnyway || slices.ContainsFunc(args, is465) {
			set["tls"] = "false"
		}
	case errors.As(err, &version):
		set["tls-min"] = client.TLSMinFor(version)
	default:
		return ""
	}
	return commandLine(cmd, args, set)
}

// is465 reports a target on port 465, where implicit TLS is the default.
func is465(arg string) bool {
	_, port, err := wire.ParseTarget(arg)
	return err == nil && port == "465"
}

// commandLine rebuilds a command line from cmd's parsed flags and args,
// each flag of set replaced by its value there ("" drops it, "true" is
// the bare flag), quoted for a POSIX shell.
func commandLine(cmd *cobra.Command, args []string, set map[string]string) string {
	words := []string{cmd.CommandPath()}
	for _, a := range args {
		words = append(words, shellQuote(a))
	}
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if _, ok := set[f.Name]; !ok {
			words = append(words, flagWords(f.Name, f.Value)...)
		}
	})
	for _, name := range slices.Sorted(maps.Keys(set)) {
		switch v := set[name]; v {
		case "":
		case "true":
			words = append(words, "--"+name)
		case "false":
			words = append(words, "--"+name+"=false")
		default:
			words = append(words, "--"+name, shellQuote(v))
		}
	}
	return strings.Join(words, " ")
}

// flagWords writes one flag as given: --name for a bool set true,
// --name=false, each value of a repeated flag, or --name VALUE.
func flagWords(name string, v pflag.Value) []string {
	if sv, ok := v.(pflag.SliceValue); ok {
		var words []string
		for _, s := range sv.GetSlice() {
			words = append(words, "--"+name, shellQuote(s))
		}
		return words
	}
	if v.Type() == "bool" {
		if v.String() == "true" {
			return []string{"--" + name}
		}
		return []string{"--" + name + "=" + v.String()}
	}
	return []string{"--" + name, shellQuote(v.String())}
}

// shellQuote quotes s for a POSIX shell: as it is when it is plain, in
// single quotes otherwise, and as $'...' with escapes when it holds a
// control or format character, so that nothing in it acts on the terminal.
func shellQuote(s string) string {
	switch {
	case s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%+=:,./_-[]") == "":
		return s
	case !strings.ContainsFunc(s, func(r rune) bool { return !strconv.IsPrint(r) }):
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	q := strconv.Quote(s)
	return "$'" + strings.ReplaceAll(q[1:len(q)-1], "'", `\'`) + "'"
}
