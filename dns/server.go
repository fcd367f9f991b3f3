package dns

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"

	mdns "github.com/miekg/dns"
)

// ResolvConf is where Unix systems name their resolvers.
const ResolvConf = "/etc/resolv.conf"

// ErrNoResolver is the error when no resolver is configured.
var ErrNoResolver = errors.New("no DNS resolver")

// SystemServer is the address (IP:port) of the first nameserver named in
// the resolv.conf file at path (ResolvConf on Unix systems).
func SystemServer(path string) (string, error) {
	conf, err := mdns.ClientConfigFromFile(path)
	if err != nil {
		return "", fmt.Errorf("%w: %v; name one with --resolver ADDR[:PORT] or EHLO_RESOLVER", ErrNoResolver, err)
	}
	for _, s := range conf.Servers {
		if addr, err := ParseServer(net.JoinHostPort(s, conf.Port)); err == nil {
			return addr, nil
		}
	}
	return "", fmt.Errorf("%w: %s names no nameserver; name one with --resolver ADDR[:PORT] or EHLO_RESOLVER",
		ErrNoResolver, path)
}

// ParseServer reads a resolver's address as a person gives it: an IP
// address, with a port or without (53), IPv6 in brackets when it has a
// port ("[::1]:5353"). It returns IP:port, as net.Dial takes it. A host
// name is refused: resolving the resolver would need a resolver.
func ParseServer(s string) (string, error) {
	if ip, err := netip.ParseAddr(s); err == nil {
		return netip.AddrPortFrom(ip.Unmap(), 53).String(), nil
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", fmt.Errorf("resolver %q: give an IP address, with :PORT or without (53)", s)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return "", fmt.Errorf("resolver %q: %q is not an IP address (a resolver is named by its address)", s, host)
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil || p == 0 {
		return "", fmt.Errorf("resolver %q: port %q is not a number from 1 to 65535", s, port)
	}
	return netip.AddrPortFrom(ip.Unmap(), uint16(p)).String(), nil
}
