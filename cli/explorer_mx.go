package cli

import (
	"errors"
	"fmt"
	"os"

	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"
	"github.com/spf13/cobra"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/dns"
	"github.com/ehlo-sh/ehlo/domain"
	"github.com/ehlo-sh/ehlo/lab"
	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/ui"
)

// registerExplorer adds the mx flags the explorer takes (not --verbose,
// which is probe's): --mx, --mx-order and --mta-sts-port. --resolver is
// the identity check's (identityFlags), shared: run copies it (shareDNS).
func (f *mxFlags) registerExplorer(cmd *cobra.Command) {
	cmd.Example += "\n  ehlo --mx lab.test           # the lab's MX hosts, DANE and MTA-STS; the first connected\n" +
		"  ehlo --mx example.org        # or bob@example.org; :mx DOMAIN does it from inside"
	fl := cmd.Flags()
	fl.BoolVar(&f.on, "mx", false, "TARGET is a domain (DOMAIN, DOMAIN:PORT, or user@domain): list its MX hosts "+
		"(DNSSEC, DANE, MTA-STS) in the side panel and connect to the first; :mx N or alt+o picks another")
	fl.StringVar(&f.order, "mx-order", "random", "order of MX hosts of equal preference: random (RFC 5321 5.1) or stable (by name)")
	fl.StringVar(&f.policyPort, "mta-sts-port", "", "fetch the MTA-STS policy from this HTTPS port, not 443 (for labs)")
}

// explorer is the explorer's MX settings, for --mx and for :mx: the
// resolver (checked now when one is named), the MX order, -4/-6.
func (f *mxFlags) explorer(conn client.Options) (ui.MXConfig, error) {
	c := ui.MXConfig{PolicyPort: f.policyPort, Named: f.dns.server != "" || os.Getenv(resolverEnv) != ""}
	var err error
	if c.Route, err = f.route(conn); err != nil {
		return c, err
	}
	if c.Named { // a bad --resolver is said now, not at the first :mx
		if _, err := f.dns.resolver(nil); err != nil {
			return c, err
		}
	}
	c.Resolver = func(obs dns.Observer) (dns.Resolver, error) { return f.dns.resolver(obs) }
	return c, nil
}

// runMX is `ehlo --mx DOMAIN` and `ehlo user@domain`: the explorer on the
// domain's first MX. A lab.test name with no resolver named starts the
// built-in lab, whose DNS server answers for it.
func (f *explorerFlags) runMX(cmd *cobra.Command, args []string, cfg ui.Config, opts []tea.ProgramOption) error {
	switch {
	case len(args) != 1:
		return usageErr(errors.New("--mx needs a DOMAIN (or user@domain)"))
	case cmd.Flags().Changed("lab"):
		return usageErr(errors.New("--lab names an endpoint; with --mx, give a DOMAIN (lab.test is the lab's)"))
	}
	for _, name := range []string{"tls", "servername"} {
		if f.conn.fs.Changed(name) {
			return usageErr(fmt.Errorf("--%s does not apply with --mx: each MX is reached on port 25 with STARTTLS, "+
				"its certificate checked for the MX name, as a sending server does", name))
		}
	}
	if _, _, err := domain.Address(args[0]); err != nil {
		return usageErr(errors.New(session.SanitizeString(err.Error())))
	}
	cfg.MX.Domain = args[0]
	labDNS := ""
	if f.mx.labOnly(args) {
		l, err := lab.Start(lab.Config{})
		if err != nil {
			return err
		}
		defer l.Close()
		cfg.Lab, cfg.Endpoint, labDNS = l, "submission", l.DNSAddr()
	}
	if f.mx.namedLab(args) {
		o := client.DomainOptions{Options: client.Options{RootCAs: cfg.Options.RootCAs}, PolicyPort: cfg.MX.PolicyPort}
		f.mx.useRemoteLab(cmd.Context(), cmd.ErrOrStderr(), args, &o)
		if o.Port != "" {
			cfg.MX.Lab = ui.RemoteLab{MXPort: o.Port, PolicyPort: o.PolicyPort, RootCAs: o.RootCAs}
		}
	}
	var err error
	if cfg.DNS, err = f.identity.explorerResolver(cmd.Flags(), labDNS); err != nil {
		return err
	}
	defer f.conn.tlsx.finish(cmd.OutOrStdout(), false)
	return explorerErr(ui.Run(cmd.Context(), cfg, opts...))
}
