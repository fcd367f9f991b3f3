package cli

import (
	"fmt"
	"os"

	"github.com/spf13/pflag"

	"github.com/ehlo-sh/ehlo/dns"
)

// resolverEnv names the resolver when --resolver does not.
const resolverEnv = "EHLO_RESOLVER"

// dnsFlags are the flags of the commands that ask DNS (the --mx routes of
// probe, doctor, send and the explorer): which resolver to ask.
type dnsFlags struct {
	server string
}

func (f *dnsFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&f.server, "resolver", "", "ask this DNS resolver, ADDR[:PORT] (port 53 by default), "+
		"not the system's first nameserver; also $"+resolverEnv+". It should validate DNSSEC for DANE")
}

// resolver is the DNS client the command asks, telling obs (which may be
// nil) every exchange.
func (f *dnsFlags) resolver(obs dns.Observer) (*dns.Client, error) {
	server, err := f.address(os.Getenv, dns.ResolvConf)
	if err != nil {
		return nil, err
	}
	c := dns.NewClient(server)
	c.Observer = obs
	return c, nil
}

// address is the resolver's IP:port: --resolver, else the environment's
// EHLO_RESOLVER, else the first nameserver of the resolv.conf at conf.
func (f *dnsFlags) address(getenv func(string) string, conf string) (string, error) {
	switch env := getenv(resolverEnv); {
	case f.server != "":
		s, err := dns.ParseServer(f.server)
		if err != nil {
			return "", usageErr(fmt.Errorf("--resolver: %w", err))
		}
		return s, nil
	case env != "":
		s, err := dns.ParseServer(env)
		if err != nil {
			return "", usageErr(fmt.Errorf("$%s: %w", resolverEnv, err))
		}
		return s, nil
	}
	return dns.SystemServer(conf)
}
