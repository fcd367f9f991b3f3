package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/dns"
	"github.com/ehlo-sh/ehlo/domain"
	"github.com/ehlo-sh/ehlo/lab"
	"github.com/ehlo-sh/ehlo/session"
)

// mxFlags are the flags of a domain as target (probe --mx; doctor, send
// and the explorer's --mx to come): the resolver, the MX order, the
// address family, and where a lab serves what port 25 and 443 serve.
type mxFlags struct {
	on         bool
	dns        dnsFlags
	order      string
	policyPort string
	verbose    bool
}

// register adds the flags to cmd, and says in its help what a domain as
// target does.
func (f *mxFlags) register(cmd *cobra.Command) {
	cmd.Long += "\n\nWith --mx (or a TARGET user@domain) each TARGET is a domain: probe finds its MX hosts by " +
		"preference (or the implicit or null MX), probes every address of each at once, and judges DANE (TLSA), " +
		"MTA-STS and TLS-RPT: would a sender that enforces DANE, or MTA-STS, deliver there? DOMAIN:PORT probes " +
		"the MX hosts on PORT instead of 25, for labs."
	cmd.Example += "\n  ehlo probe --mx example.org\n  ehlo probe bob@example.org --json\n" +
		"  ehlo probe --mx --resolver 127.0.0.1:10054 dane-ok.test"
	fl := cmd.Flags()
	f.registerRoute(fl, "the TARGETs are domains (DOMAIN, DOMAIN:PORT, or user@domain): route by MX, probe every MX address, judge DANE, MTA-STS and TLS-RPT")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "with --mx: each MX address's whole probe (capabilities, certificate)")
}

// wanted says whether the arguments are domains: --mx, or an address
// (user@domain) among them.
func (f *mxFlags) wanted(args []string) bool {
	if f.on {
		return true
	}
	for _, a := range args {
		if strings.Contains(a, "@") {
			return true
		}
	}
	return false
}

// route is the MX routing the flags ask for: --mx-order, and -4/-6 (the
// transport flags), which restrict the MX addresses too; it checks
// --mta-sts-port.
func (f *mxFlags) route(conn client.Options) (domain.RouteOptions, error) {
	var r domain.RouteOptions
	switch f.order {
	case "random":
	case "stable":
		r.Stable = true
	default:
		return r, usageErr(fmt.Errorf("--mx-order %q: want random or stable", f.order))
	}
	r.Only4, r.Only6 = conn.Transport.Family == "4", conn.Transport.Family == "6"
	if p := f.policyPort; p != "" {
		if _, _, err := domain.Address("x.example:" + p); err != nil {
			return r, usageErr(fmt.Errorf("--mta-sts-port %q: want a port from 1 to 65535", p))
		}
	}
	return r, nil
}

// options builds the domain probe's options on conn's; the resolver is
// --resolver's unless labDNS, the built-in lab's DNS server, is given.
func (f *mxFlags) options(conn client.Options, labDNS string) (client.DomainOptions, error) {
	o := client.DomainOptions{Options: conn, PolicyPort: f.policyPort}
	var err error
	if o.Route, err = f.route(conn); err != nil {
		return o, err
	}
	if labDNS != "" {
		o.Resolver = dns.NewClient(labDNS)
		return o, nil
	}
	r, err := f.dns.resolver(nil)
	if err != nil {
		return o, err
	}
	o.Resolver = r
	return o, nil
}

// runMX probes each domain argument.
func (f *probeFlags) runMX(cmd *cobra.Command, args []string) error {
	if f.lab.on && len(args) == 0 {
		args = []string{lab.Domain}
	}
	if len(args) == 0 {
		return usageErr(errors.New("probe --mx needs at least one DOMAIN (or user@domain)"))
	}
	for _, name := range []string{"tls", "no-starttls", "insecure", "servername", "greeting-wait"} {
		if f.conn.fs.Changed(name) {
			return usageErr(fmt.Errorf("--%s does not apply with --mx: each MX is probed on port 25 with STARTTLS, its certificate "+
				"checked for the MX name and every handshake completed, as a sending server does", name))
		}
	}
	conn, err := f.conn.options()
	if err != nil {
		return err
	}
	var l *lab.Lab
	if f.lab.on || f.mx.labOnly(args) {
		if l, err = f.startLabDNS(); err != nil {
			return err
		}
		defer l.Close()
		conn.RootCAs = l.CertPool()
	}
	o, err := f.mx.options(conn, labDNSAddr(l))
	if err != nil {
		return err
	}
	if l != nil { // DNS names hosts, not ports: the lab's MX and policy hosts listen on its own
		o.Port, o.PolicyPort = strconv.Itoa(l.MXPort()), strconv.Itoa(l.PolicyPort())
	}
	if l == nil && !f.lab.on {
		f.mx.useRemoteLab(cmd.Context(), cmd.ErrOrStderr(), args, &o)
	}
	o.Parallel = f.parallel
	for _, a := range args {
		if _, _, err := domain.Address(a); err != nil {
			return usageErr(errors.New(session.SanitizeString(err.Error())))
		}
	}
	// The domains at once, at most --parallel MX addresses probed at a time
	// over all of them; the reports in the order given.
	return f.printMX(cmd.OutOrStdout(), client.ProbeDomains(cmd.Context(), args, o))
}

// printMX writes the domains' reports, or JSON (one object for one domain,
// an array for several). The exit is 1 when a domain has a verdict: no
// route, a sender enforcing DANE or MTA-STS that would not deliver (or
// might not: an MX not probed), or an IANA result type found.
func (f *probeFlags) printMX(w io.Writer, results []client.DomainResult) error {
	out := bufio.NewWriter(w)
	defer out.Flush()
	if f.asJSON {
		all := make([]client.DomainJSON, 0, len(results))
		for _, r := range results {
			all = append(all, r.JSON(f.transcript))
		}
		var v any = all
		if len(all) == 1 {
			v = all[0]
		}
		if err := writeJSON(out, v); err != nil {
			return err
		}
	} else {
		format := client.DomainFormat{Verbose: f.mx.verbose, Transcript: f.transcript,
			Waterfall: client.WaterfallOptions{ASCII: !client.UTF8Locale()}}
		for i, r := range results {
			if i > 0 {
				fmt.Fprintln(out)
			}
			client.WriteDomain(out, r, format)
		}
	}
	if err := out.Flush(); err != nil {
		return err
	}
	failed := 0
	for _, r := range results {
		if !domainClean(r) {
			failed++
		}
	}
	if failed > 0 {
		return reported(exitFailed, fmt.Errorf("%d of %d domains have a verdict", failed, len(results)))
	}
	return nil
}

// domainClean reports a domain every sender would deliver to, with no
// failure named.
func domainClean(r client.DomainResult) bool {
	v := r.Result
	return r.Err == nil && len(v.Results) == 0 && v.DANE.Deliver == domain.Yes && v.STS.Deliver == domain.Yes
}

// labOnly says whether every domain is one the built-in lab serves
// (lab.test, forged.test and the names under them) and no resolver was
// named, so that "ehlo probe --mx lab.test" reaches the lab with no
// network and no flags: no public resolver knows .test (RFC 6761).
func (f *mxFlags) labOnly(args []string) bool {
	return f.dns.server == "" && os.Getenv(resolverEnv) == "" && f.allLab(args)
}

// allLab reports whether every domain is one the built-in lab serves.
func (f *mxFlags) allLab(args []string) bool {
	for _, a := range args {
		name, _, err := domain.Address(a)
		if err != nil || !lab.Serves(name.ASCII) {
			return false
		}
	}
	return len(args) > 0
}

// startLabDNS starts the built-in lab, whose DNS server answers for
// lab.test and its subdomains (README, "lab.test in DNS").
func (f *probeFlags) startLabDNS() (*lab.Lab, error) {
	switch {
	case f.lab.name != "":
		return nil, usageErr(fmt.Errorf("--lab=%s names an endpoint; with --mx, give --lab and a DOMAIN of the lab (lab.test by default)", f.lab.name))
	case f.mx.dns.server != "":
		return nil, usageErr(errors.New("--resolver and --lab together: with --lab, the lab's own DNS server answers"))
	}
	return lab.Start(lab.Config{})
}

func labDNSAddr(l *lab.Lab) string {
	if l == nil {
		return ""
	}
	return l.DNSAddr()
}
