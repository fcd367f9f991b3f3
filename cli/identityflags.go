package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/ehlo-sh/ehlo/dns"
	"github.com/ehlo-sh/ehlo/wire"
)

// identityFlags are the flags of the check of who the server thinks the
// client is (package identity), for doctor and send: whether to check,
// which resolver to ask (dnsFlags), which blocklists.
type identityFlags struct {
	dns   dnsFlags
	check bool
	dnsbl []string
	// auto: the check runs unless the target is on loopback, where the
	// server sees 127.0.0.1 and the answer is of no use; --check-identity
	// given says yes or no whatever the target.
	auto bool
}

// The --check-identity help of each command.
const (
	identityHelp = "before MAIL, check who the server thinks you are: SPF of the --from domain for the address it sees, " +
		"DMARC, reverse DNS, --dnsbl lists"
	identityDoctorHelp   = identityHelp + " (on with --from unless the target is on loopback; the built-in lab's own DNS with --lab)"
	identityExplorerHelp = "once a MAIL FROM is answered, check who the server thinks you are (SPF, DMARC, reverse DNS, --dnsbl lists): " +
		"the side panel's id line, :identity for the trace"
)

// register adds the flags; auto makes the check the default (doctor, the
// explorer), help is --check-identity's text.
func (f *identityFlags) register(fl *pflag.FlagSet, auto bool, help string) {
	f.auto = auto
	fl.BoolVar(&f.check, "check-identity", auto, help)
	fl.StringSliceVar(&f.dnsbl, "dnsbl", nil, "blocklists (DNSBL) to ask about your address, e.g. zen.spamhaus.org (none by default: "+
		"each list has terms of use)")
	f.dns.register(fl)
}

// resolver is the DNS client for the check, or nil when it does not run.
func (f *identityFlags) resolver(fl *pflag.FlagSet, target, from string) (*dns.Client, error) {
	if err := f.validate(); err != nil {
		return nil, err
	}
	explicit := fl.Changed("check-identity")
	on := f.check && from != ""
	if f.auto && !explicit && loopbackTarget(target) {
		on = false
	}
	if !on {
		return nil, nil
	}
	c, err := f.dns.resolver(nil)
	if err != nil && !explicit {
		return nil, nil // no resolver known and none asked for: no check, as without --from
	}
	return c, err
}

// validate refuses a --resolver or --dnsbl that cannot be used, whether
// or not the check runs: a value given is never silently ignored.
func (f *identityFlags) validate() error {
	if f.dns.server != "" {
		if _, err := dns.ParseServer(f.dns.server); err != nil {
			return usageErr(fmt.Errorf("--resolver: %w", err))
		}
	}
	for _, z := range f.dnsbl {
		if _, err := dns.ParseName(z); err != nil || !strings.Contains(z, ".") {
			return usageErr(fmt.Errorf("--dnsbl %q: not a DNS zone", z))
		}
	}
	return nil
}

// loopbackTarget reports a target on this machine.
func loopbackTarget(target string) bool {
	host, _, err := wire.ParseTarget(target)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	return strings.HasPrefix(host, "127.") || host == "::1" || host == "[::1]"
}

// explorerResolver is the resolver of the explorer's check, which runs
// once a MAIL FROM is answered: --resolver's or $EHLO_RESOLVER's, else
// the built-in lab's DNS server when the explorer runs on it (labDNS),
// else the system's; nil with --check-identity=false or no resolver.
func (f *identityFlags) explorerResolver(fl *pflag.FlagSet, labDNS string) (*dns.Client, error) {
	switch {
	case fl.Changed("check-identity") && !f.check:
		return nil, nil
	case f.dns.server != "" || os.Getenv(resolverEnv) != "":
		return f.dns.resolver(nil)
	case labDNS != "":
		return dns.NewClient(labDNS), nil
	}
	c, err := f.dns.resolver(nil)
	if err != nil {
		return nil, nil // no resolv.conf: no check, and :identity says why
	}
	return c, nil
}

// onLab is the check's resolver c for a session with the built-in lab:
// the lab's own DNS server at addr, which publishes lab.test's and
// forged.test's SPF and DMARC, unless --resolver or $EHLO_RESOLVER names
// another; nil (no check) stays nil.
func (f *identityFlags) onLab(c *dns.Client, addr string) *dns.Client {
	if c == nil || f.dns.server != "" || os.Getenv(resolverEnv) != "" {
		return c
	}
	return dns.NewClient(addr)
}

// labResolver is the check's resolver for a session with the built-in
// lab: its own DNS server at addr, which publishes SPF and DMARC for
// lab.test and for a forged domain, unless --resolver or $EHLO_RESOLVER
// names another. The check runs with a sender unless --check-identity=false.
func (f *identityFlags) labResolver(fl *pflag.FlagSet, from, addr string) (*dns.Client, error) {
	if err := f.validate(); err != nil {
		return nil, err
	}
	if from == "" || (fl.Changed("check-identity") && !f.check) {
		return nil, nil
	}
	if f.dns.server != "" || os.Getenv(resolverEnv) != "" {
		return f.dns.resolver(nil)
	}
	return dns.NewClient(addr), nil
}
