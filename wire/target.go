package wire

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// defaultPort is the well-known SMTP port.
const defaultPort = "25"

// ParseTarget splits a target into host and port. It accepts "host",
// "host:port", "[v6]:port", "[v6]" and a bare IPv6 address such as "::1" or
// "2001:db8::1" (write "[2001:db8::1]:587" to give such a host a port). The
// port defaults to "25" and must be a number from 1 to 65535. A target
// "unix:/path" is a unix socket (see UnixPath): its host is "localhost"
// and its port "".
func ParseTarget(target string) (host, port string, err error) {
	if path, ok := UnixPath(target); ok {
		if path == "" {
			return "", "", fmt.Errorf("wire: bad target %q: no socket path after unix:", target)
		}
		return "localhost", "", nil
	}
	host, port = target, defaultPort
	switch {
	case strings.HasPrefix(target, "["):
		host, port, err = splitBracketed(target)
	case strings.Count(target, ":") == 1:
		host, port, _ = strings.Cut(target, ":")
	case strings.Contains(target, ":") && !isIP(target):
		err = fmt.Errorf("wire: bad target %q: write an IPv6 address as [addr]:port", target)
	}
	if err == nil {
		err = checkTarget(target, host, port)
	}
	if err != nil {
		return "", "", err
	}
	return host, port, nil
}

// splitBracketed splits "[v6]:port" or "[v6]".
func splitBracketed(target string) (host, port string, err error) {
	if strings.HasSuffix(target, "]") {
		return target[1 : len(target)-1], defaultPort, nil
	}
	host, port, err = net.SplitHostPort(target)
	if err != nil {
		return "", "", fmt.Errorf("wire: bad target %q: %w", target, err)
	}
	return host, port, nil
}

// checkTarget rejects an empty or odd host and a bad port.
func checkTarget(target, host, port string) error {
	if host == "" {
		return fmt.Errorf("wire: bad target %q: no host", target)
	}
	if strings.ContainsAny(host, " \t\r\n[]/") {
		return fmt.Errorf("wire: bad target %q: bad host %q", target, host)
	}
	if !validPort(port) {
		return fmt.Errorf("wire: bad target %q: bad port %q", target, port)
	}
	return nil
}

// validPort reports whether port is a decimal number from 1 to 65535.
func validPort(port string) bool {
	if port == "" || len(port) > 5 || strings.Trim(port, "0123456789") != "" {
		return false
	}
	n, err := strconv.Atoi(port)
	return err == nil && n >= 1 && n <= 65535
}

// isIP reports whether s is an IP address literal.
func isIP(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}

// unixPrefix opens a target that names a unix socket.
const unixPrefix = "unix:"

// UnixPath returns the socket path of a target "unix:/path", and whether
// the target names a unix socket at all ("unix:25" is the host unix, port
// 25).
func UnixPath(target string) (string, bool) {
	path, ok := strings.CutPrefix(target, unixPrefix)
	if !ok || validPort(path) {
		return "", false
	}
	return path, true
}
