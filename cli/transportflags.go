package cli

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/spf13/pflag"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/wire"
)

// transportFlags say where the bytes go: the same flags in probe, doctor,
// send, run and the explorer (a TARGET "unix:/path" is a unix socket).
type transportFlags struct {
	ipv4, ipv6                       bool
	localAddr, proxy, pipe, protocol string
	proxyProtocol, proxySource       string
}

// pipeTarget names the server of a --pipe session given no TARGET: the
// name TLS would verify, shown beside the command.
const pipeTarget = "localhost"

func (f *transportFlags) register(fl *pflag.FlagSet) {
	fl.BoolVarP(&f.ipv4, "ipv4", "4", false, "connect over IPv4 only")
	fl.BoolVarP(&f.ipv6, "ipv6", "6", false, "connect over IPv6 only")
	fl.StringVar(&f.localAddr, "local-address", "", "bind this source IP address")
	fl.StringVar(&f.proxy, "proxy", "", "connect through a SOCKS5 proxy: socks5://[user:password@]host:port (the password is never shown)")
	fl.StringVar(&f.proxyProtocol, "proxy-protocol", "", "send a PROXY protocol header first: v1 (text) or v2 (binary), with --proxy-source")
	fl.StringVar(&f.proxySource, "proxy-source", "", "the client address the PROXY header claims, ADDR:PORT")
	fl.StringVar(&f.pipe, "pipe", "", "talk to a program's stdin and stdout instead of a socket, such as 'sendmail -bs' (TARGET is optional)")
	fl.StringVar(&f.protocol, "protocol", "smtp", "the protocol: smtp, or lmtp (RFC 2033: LHLO, and one reply per recipient after the message)")
}

// apply puts the transport into opts.
func (f *transportFlags) apply(opts *client.Options) error {
	t := wire.Transport{LocalAddr: f.localAddr, Pipe: f.pipe}
	switch {
	case f.ipv4 && f.ipv6:
		return usageErr(errors.New("-4 and -6: give one of them"))
	case f.ipv4:
		t.Family = "4"
	case f.ipv6:
		t.Family = "6"
	}
	switch strings.ToLower(f.protocol) {
	case "smtp", "":
	case "lmtp":
		opts.LMTP = true
	default:
		return usageErr(fmt.Errorf("--protocol %q: want smtp or lmtp", f.protocol))
	}
	if err := f.check(); err != nil {
		return err
	}
	if _, err := netip.ParseAddr(strings.Trim(f.localAddr, "[]")); f.localAddr != "" && err != nil {
		return usageErr(fmt.Errorf("--local-address %q: give an IP address of this machine, such as 127.0.0.2 or ::1", f.localAddr))
	}
	if f.proxy != "" {
		p, err := wire.ParseSOCKS5(f.proxy)
		if err != nil {
			return usageErr(errors.New(strings.TrimPrefix(err.Error(), "wire: ")))
		}
		t.Proxy = p
	}
	if f.proxyProtocol != "" {
		h, err := wire.ParseProxyHeader(f.proxyProtocol, f.proxySource)
		if err != nil {
			return usageErr(errors.New(strings.TrimPrefix(err.Error(), "wire: ")))
		}
		t.Header = h
	}
	opts.Transport = t
	if f.pipe != "" {
		opts.GreetingWait = -1 // a second connection would be a second program
	}
	return nil
}

// check rejects flags that do not go together.
func (f *transportFlags) check() error {
	switch {
	case f.proxySource != "" && f.proxyProtocol == "":
		return usageErr(errors.New("--proxy-source needs --proxy-protocol v1 or v2"))
	case f.proxyProtocol != "" && f.proxySource == "":
		return usageErr(errors.New("--proxy-protocol needs --proxy-source ADDR:PORT, the client address to claim"))
	case f.pipe != "" && (f.proxy != "" || f.localAddr != "" || f.ipv4 || f.ipv6):
		return usageErr(errors.New("--pipe talks to a program, not a socket: --proxy, --local-address, -4 and -6 do not apply"))
	case f.pipe != "" && f.proxyProtocol != "":
		return usageErr(errors.New("--pipe talks to a program: a PROXY header does not apply"))
	case strings.TrimSpace(f.pipe) == "" && f.pipe != "":
		return usageErr(errors.New("--pipe: give the command to run, such as 'sendmail -bs'"))
	}
	return nil
}

// pipeArgs gives a --pipe session without a TARGET its name (pipeTarget).
// want is how many arguments come before the TARGET.
func (f *connFlags) pipeArgs(args []string, want int) []string {
	if f.transport.pipe == "" || len(args) != want {
		return args
	}
	return append(append([]string{}, args...), pipeTarget)
}
