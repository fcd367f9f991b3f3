package wire

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"
)

// ProxyHeader is the header of HAProxy's PROXY protocol (version 1, text,
// or version 2, binary), sent before the first SMTP byte to claim the
// client's address, as a load balancer does. Postfix's
// smtpd_upstream_proxy_protocol = haproxy, postscreen and Exim expect it;
// a server that does not closes the connection or answers with an error.
type ProxyHeader struct {
	Version int            // 1 or 2
	Source  netip.AddrPort // the client address claimed
	// Dest is the server address claimed; zero means the connection's
	// own remote address (or the unspecified address of Source's family).
	Dest netip.AddrPort
}

// ParseProxyHeader reads --proxy-protocol's version ("v1", "v2", "1", "2")
// and --proxy-source's ADDR:PORT ("[v6]:port" for IPv6).
func ParseProxyHeader(version, source string) (*ProxyHeader, error) {
	h := &ProxyHeader{}
	switch strings.TrimPrefix(strings.ToLower(version), "v") {
	case "1":
		h.Version = 1
	case "2":
		h.Version = 2
	default:
		return nil, fmt.Errorf("wire: --proxy-protocol %q: want v1 or v2", version)
	}
	src, err := netip.ParseAddrPort(source)
	if err != nil {
		return nil, fmt.Errorf("wire: --proxy-source %q: want the address to claim as ADDR:PORT, such as 203.0.113.7:40000 or [2001:db8::7]:40000", source)
	}
	h.Source = netip.AddrPortFrom(src.Addr().Unmap(), src.Port())
	return h, nil
}

// version is "v1" or "v2".
func (h *ProxyHeader) version() string { return fmt.Sprintf("v%d", h.Version) }

// send writes the header on nc under ctx's deadline and returns the source
// it claimed.
func (h *ProxyHeader) send(ctx context.Context, nc net.Conn) (string, error) {
	b := h.Encode(h.dest(nc.RemoteAddr()))
	if dl, ok := ctx.Deadline(); ok {
		_ = nc.SetWriteDeadline(dl)
	}
	_, err := nc.Write(b)
	_ = nc.SetWriteDeadline(time.Time{})
	if err != nil {
		return "", fmt.Errorf("wire: send the PROXY header: %w", err)
	}
	return h.Source.String(), nil
}

// dest is the destination the header claims: Dest, else the connection's
// remote address when of Source's family, else the unspecified address.
func (h *ProxyHeader) dest(remote net.Addr) netip.AddrPort {
	if h.Dest.IsValid() {
		return h.Dest
	}
	if ta, ok := remote.(*net.TCPAddr); ok {
		if ap := ta.AddrPort(); ap.Addr().Unmap().Is4() == h.Source.Addr().Is4() {
			return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
		}
	}
	if h.Source.Addr().Is4() {
		return netip.AddrPortFrom(netip.IPv4Unspecified(), 0)
	}
	return netip.AddrPortFrom(netip.IPv6Unspecified(), 0)
}

// proxyV2Sig opens every version 2 header.
var proxyV2Sig = []byte("\r\n\r\n\x00\r\nQUIT\n")

// Encode returns the header's bytes for a connection to dest, which must
// be of Source's family: version 1's "PROXY TCP4 src dst sport dport\r\n",
// or version 2's signature, command PROXY, TCP over the family, and the
// addresses and ports.
func (h *ProxyHeader) Encode(dest netip.AddrPort) []byte {
	src := h.Source
	if h.Version == 1 {
		fam := "TCP4"
		if !src.Addr().Is4() {
			fam = "TCP6"
		}
		return fmt.Appendf(nil, "PROXY %s %s %s %d %d\r\n", fam, src.Addr(), dest.Addr(), src.Port(), dest.Port())
	}
	b := append([]byte{}, proxyV2Sig...)
	b = append(b, 0x21) // version 2, command PROXY
	if src.Addr().Is4() {
		b = append(b, 0x11)                      // AF_INET, STREAM
		b = binary.BigEndian.AppendUint16(b, 12) // 4+4+2+2
	} else {
		b = append(b, 0x21)                      // AF_INET6, STREAM
		b = binary.BigEndian.AppendUint16(b, 36) // 16+16+2+2
	}
	b = append(b, src.Addr().AsSlice()...)
	b = append(b, dest.Addr().AsSlice()...)
	b = binary.BigEndian.AppendUint16(b, src.Port())
	return binary.BigEndian.AppendUint16(b, dest.Port())
}
