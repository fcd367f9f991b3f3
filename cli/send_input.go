package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/session"
)

// inputFlags are send's message-input flags, as swaks has them: a
// prepared message, header fields to add, DSN, REQUIRETLS, a dump without
// connecting, and a connection dropped on purpose.
type inputFlags struct {
	data       string   // --data @FILE or -
	template   bool     // --data-template: fill %DATE%-style tokens
	addHeaders []string // --add-header
	dsn        client.DSN
	requireTLS bool
	dump       bool
	dropAfter  string
}

func (in *inputFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&in.data, "data", "", "send a prepared RFC 5322 message as it is: @FILE, or - for standard input (line endings sent as CRLF, dot-stuffed; the envelope comes from --from/--to)")
	fl.BoolVar(&in.template, "data-template", false, "fill the --data file's tokens first: %FROM_ADDRESS% %TO_ADDRESS% %DATE% %MESSAGEID% %NEWLINE%")
	fl.StringArrayVar(&in.addHeaders, "add-header", nil, "add a header field 'Name: value', after the others, whatever its name (repeat for several; --header replaces)")
	fl.StringVar(&in.dsn.Notify, "dsn-notify", "", "which delivery status notifications to ask for on each RCPT: NEVER, or a comma list of SUCCESS,FAILURE,DELAY (RFC 3461; sent only when the server offers DSN)")
	fl.StringVar(&in.dsn.Ret, "dsn-ret", "", "what a delivery status notification returns of the message: FULL or HDRS (RFC 3461 RET; only when DSN is offered)")
	fl.StringVar(&in.dsn.EnvID, "envid", "", "an envelope ID for delivery status notifications to quote (RFC 3461 ENVID; only when DSN is offered)")
	fl.BoolVar(&in.dsn.ORcpt, "dsn-orcpt", false, "send ORCPT=rfc822;ADDRESS on each RCPT, the original recipient a notification names (RFC 3461; only when DSN is offered)")
	fl.BoolVar(&in.requireTLS, "requiretls", false, "add REQUIRETLS to MAIL (RFC 8689): the message may travel over TLS only; nothing is sent when the server does not offer it")
	fl.BoolVar(&in.dump, "dump", false, "print the message (standard output) and the envelope (standard error) without connecting")
	fl.StringVar(&in.dropAfter, "drop-after", "", "drop the connection without QUIT after this step: "+strings.Join(client.DropAfter, ", "))
}

// conflicts names the composing flags that --data leaves no room for.
func (in *inputFlags) conflicts(cmd *cobra.Command) error {
	if in.data == "" {
		if in.template {
			return errors.New("--data-template needs --data @FILE")
		}
		return nil
	}
	if in.data != "-" && !strings.HasPrefix(in.data, "@") {
		return fmt.Errorf("--data %q: want @FILE, or - for standard input", in.data)
	}
	for _, name := range []string{"subject", "body", "html", "attach", "charset"} {
		if cmd.Flags().Changed(name) {
			return fmt.Errorf("--data sends the message as it is: --%s does not apply (--header replaces a field, --add-header adds one)", name)
		}
	}
	return nil
}

// message makes the prepared message of --data: the file, the spooled
// standard input, or the template filled in.
func (in *inputFlags) message(cmd *cobra.Command, m *client.Message, to []string, stdinTaken bool) (func(), error) {
	none := func() {}
	src := client.Content{File: strings.TrimPrefix(in.data, "@")}
	cleanup := none
	if in.data != "-" {
		if err := checkInput("--data", src.File); err != nil {
			return none, err
		}
	}
	if in.data == "-" {
		if stdinTaken {
			return none, errors.New("--data - and --password-stdin both want standard input")
		}
		var err error
		if src, cleanup, err = spoolStdin(cmd.InOrStdin()); err != nil {
			return cleanup, err
		}
	}
	if in.template {
		text, err := client.FillTemplate(src.File, client.TemplateVars{From: m.From.Address, To: to, Date: time.Now()})
		if err != nil {
			return cleanup, err
		}
		src = client.Content{Text: text}
	}
	m.Raw = src
	return cleanup, nil
}

// addHeaderFields parses --add-header.
func (in *inputFlags) addHeaderFields() ([]client.HeaderField, error) {
	var out []client.HeaderField
	for _, h := range in.addHeaders {
		field, err := client.ParseHeaderField(h)
		if err != nil {
			return nil, fmt.Errorf("--add-header: %w", err)
		}
		out = append(out, field)
	}
	return out, nil
}

// apply puts the options that reach the session into cfg.
func (in *inputFlags) apply(cfg *client.SendConfig) {
	cfg.DSN, cfg.RequireTLS, cfg.DropAfter = in.dsn, in.requireTLS, strings.ToLower(in.dropAfter)
}

// dumpMessage prints what send would send, without connecting: the
// envelope on errOut, the message on out with CRLF line endings, before
// dot-stuffing (DATA adds it on the wire).
func dumpMessage(out, errOut io.Writer, cfg client.SendConfig) error {
	m := cfg.Message
	m.Use8Bit(true)
	size, err := m.Size()
	if err != nil {
		return err
	}
	fmt.Fprintln(errOut, "ehlo send --dump: nothing was sent; the envelope:")
	for _, line := range client.EnvelopePreview(cfg) {
		fmt.Fprintln(errOut, "  "+line)
	}
	how := "composed with 8-bit text as 8bit, as for a server that offers 8BITMIME"
	if m.Prepared() {
		how = "the prepared message as it goes, line endings as CRLF"
	}
	fmt.Fprintf(errOut, "the message, %d bytes (%s), on standard output\n", size, how)
	cw := session.NewCRLFWriter(out)
	if _, err := m.WriteTo(cw); err != nil {
		return err
	}
	return cw.Close()
}
