package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/lab"
	"github.com/ehlo-sh/ehlo/wire"
)

// exitNoRoute is send --mx's exit when no MX was tried or every one was
// refused before a session said no: a null MX, a domain that does not
// exist, no MX host that resolves, every MX refused by DANE or MTA-STS.
const exitNoRoute = 13

// registerMX adds direct delivery's flags to send: --mx and the route's,
// --dane and --mta-sts.
func (f *sendFlags) registerMX(cmd *cobra.Command) {
	fl := cmd.Flags()
	f.mx.registerRoute(fl, "deliver directly: to the MX hosts of DOMAIN (or, with no TARGET, of the --to addresses' domain), in MX order, "+
		"with DANE and MTA-STS enforced when published")
	fl.StringVar(&f.dane, "dane", client.EnforceAuto, "with --mx: auto (enforce DANE where the MX's TLSA records are DNSSEC-authentic), "+
		"require (refuse an MX without them), off")
	fl.StringVar(&f.mtaSTS, "mta-sts", client.EnforceAuto, "with --mx: auto (enforce the domain's MTA-STS policy in enforce mode), "+
		"require (refuse a domain without one), off")
	cmd.Long += "\n\nWith --mx, send delivers directly as a sending server does: the MX hosts of DOMAIN (or of the recipients' " +
		"domain) in preference order, the next MX after a connection failure or a 4xx, never after a 5xx (RFC 5321 5.1). " +
		"An MX whose TLSA records are DNSSEC-authentic must offer STARTTLS and present a certificate they match (DANE, RFC 7672); " +
		"under an MTA-STS policy in enforce mode an MX must be listed and its certificate valid for its name (RFC 8461). " +
		"An MX that fails is refused, and said so. Exit 13: no MX was left to try (null MX, no route, every MX refused by DANE or MTA-STS)."
	cmd.Example += "\n  ehlo send --mx --to bob@lab.test\n  ehlo send --mx --from me@example.com --to you@example.org --dane require"
}

// runMX delivers directly to a domain's MX hosts.
func (f *sendFlags) runMX(cmd *cobra.Command, args []string) error {
	if len(args) > 1 {
		return usageErr(errors.New("send --mx takes at most one DOMAIN (by default the --to addresses' domain)"))
	}
	if err := refuseWithMX(cmd); err != nil {
		return err
	}
	for _, m := range []struct{ flag, v string }{{"--dane", f.dane}, {"--mta-sts", f.mtaSTS}} {
		if m.v != client.EnforceAuto && m.v != client.EnforceRequire && m.v != client.EnforceOff {
			return usageErr(fmt.Errorf("%s %q: want auto, require or off", m.flag, m.v))
		}
	}
	dom, err := deliveryDomain(args, append(append(append([]string{}, f.to...), f.cc...), f.bcc...))
	if err != nil {
		return usageErr(err)
	}
	opts, err := f.conn.options()
	if err != nil {
		return err
	}
	tr := wire.NewTranscript()
	o, l, err := f.mx.routeOptions(cmd, dom, opts, client.DNSObserver(tr))
	if err != nil {
		return err
	}
	opts.RootCAs = o.RootCAs // the lab's CA, for its names: the built-in lab's, or one running elsewhere (labports.go)
	if l != nil {
		defer l.Close()
		if f.from == "" {
			f.from = lab.User + "@" + lab.Domain
		}
	}
	if !cmd.Flags().Changed("check-identity") {
		f.identity.check = true // direct delivery: SPF and DMARC decide, so check them before MAIL (README)
	}
	cfg, cleanup, err := f.config(cmd, "localhost", opts) // the target is each MX's address, once the route is known
	defer cleanup()
	if err != nil {
		return err
	}
	if l != nil {
		cfg.DNS = f.identity.onLab(cfg.DNS, l.DNSAddr()) // lab.test's SPF and DMARC are in the lab's zone
	}
	cmd.SilenceUsage = true
	out, errOut := cmd.OutOrStdout(), cmd.ErrOrStderr()
	stop, err := followTranscript(tr, out, f.transcript, !f.asJSON)
	if err != nil {
		return usageErr(err)
	}
	res := client.SendMX(cmd.Context(), client.MXSendConfig{Send: cfg, Domain: dom, Route: o, DANE: f.dane, STS: f.mtaSTS}, tr)
	stop()
	if f.asJSON {
		if err := writeJSON(out, res.JSON(40)); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(out)
		client.WriteSendMX(out, res)
		writeLabReceived(out, l)
	}
	if res.Err == nil { // delivered, or stopped where --quit-after asked
		return nil
	}
	err = res.Err
	if f.asJSON || !toldOnScreen(out, errOut) {
		fmt.Fprintf(errOut, "ehlo send: %s\n", client.Explain(err))
	}
	var nr *client.NoRouteError
	if errors.As(err, &nr) {
		return reported(exitNoRoute, err)
	}
	return reported(sendExit(err), err)
}
