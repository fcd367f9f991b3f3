package cli

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/dns"
	"github.com/ehlo-sh/ehlo/domain"
	"github.com/ehlo-sh/ehlo/lab"
	"github.com/ehlo-sh/ehlo/session"
)

// registerRoute adds the flags of a route by MX that doctor and send
// share with probe: --mx, --resolver (unless another group of the command
// has it), --mx-order and --mta-sts-port. what is --mx's help.
func (f *mxFlags) registerRoute(fl *pflag.FlagSet, what string) {
	fl.BoolVar(&f.on, "mx", false, what)
	if fl.Lookup("resolver") == nil {
		f.dns.register(fl)
	}
	fl.StringVar(&f.order, "mx-order", "random", "order of MX hosts of equal preference: random (RFC 5321 5.1) or stable (by name)")
	fl.StringVar(&f.policyPort, "mta-sts-port", "", "with --mx: fetch the MTA-STS policy from this HTTPS port, not 443 (for labs)")
}

// deliveryDomain is the domain a command delivers to with --mx: its
// argument, else the domain of the recipients (all of one domain).
func deliveryDomain(args, rcpts []string) (string, error) {
	if len(args) == 1 {
		return args[0], nil
	}
	dom := ""
	for _, r := range rcpts {
		_, d, ok := strings.Cut(r, "@")
		if !ok {
			return "", fmt.Errorf("--to %q has no domain to route to", session.SanitizeString(r))
		}
		if dom != "" && !strings.EqualFold(d, dom) {
			return "", fmt.Errorf("--mx delivers to one domain, and the recipients are at %s and %s: "+
				"send once per domain, or name the DOMAIN", session.SanitizeString(dom), session.SanitizeString(d))
		}
		dom = d
	}
	if dom == "" {
		return "", errors.New("--mx needs a DOMAIN or a --to user@domain")
	}
	return dom, nil
}

// routeOptions builds the route's options for dom: through the built-in
// lab when dom is one of its domains and no resolver is named (the lab is
// started; the caller closes it), else through --resolver. obs is told
// every DNS exchange (the D: lines); it may be nil.
func (f *mxFlags) routeOptions(cmd *cobra.Command, dom string, conn client.Options, obs dns.Observer) (client.DomainOptions, *lab.Lab, error) {
	fl := cmd.Flags()
	if v := fl.Lookup("resolver"); v != nil {
		f.dns.server = v.Value.String()
	}
	if _, _, err := domain.Address(dom); err != nil {
		return client.DomainOptions{}, nil, usageErr(errors.New(session.SanitizeString(err.Error())))
	}
	var l *lab.Lab
	var rt labRoute
	if f.labOnly([]string{dom}) {
		var err error
		if l, rt, err = startLabRoute(); err != nil {
			return client.DomainOptions{}, nil, err
		}
		conn.RootCAs = rt.rootCAs
	}
	o, err := f.options(conn, rt.resolver)
	if err != nil {
		if l != nil {
			l.Close()
		}
		return o, nil, err
	}
	if c, ok := o.Resolver.(*dns.Client); ok {
		c.Observer = obs
	}
	if l != nil {
		o.Port, o.PolicyPort = strconv.Itoa(rt.mxPort), rt.policyPort
	} else {
		f.useRemoteLab(cmd.Context(), cmd.ErrOrStderr(), []string{dom}, &o)
	}
	return o, l, nil
}

// refuseWithMX rejects the connection flags that make no sense for a
// delivery by MX: each MX is reached on port 25 with STARTTLS, its name
// checked as a sending server does.
func refuseWithMX(cmd *cobra.Command) error {
	if fl := cmd.Flags().Lookup("lab"); fl != nil && fl.Changed {
		return usageErr(errors.New("--lab does not apply with --mx: a domain of the built-in lab (lab.test) is routed to it by itself, " +
			"when no resolver is named: ehlo " + cmd.Name() + " --mx --to bob@lab.test"))
	}
	for _, name := range []string{"tls", "no-starttls", "servername", "greeting-wait"} {
		if fl := cmd.Flags().Lookup(name); fl != nil && fl.Changed {
			return usageErr(fmt.Errorf("--%s does not apply with --mx: each MX is reached on port 25 with STARTTLS, its certificate "+
				"checked for the MX name, as a sending server does", name))
		}
	}
	return nil
}
