package wire

import (
	"net"
	"syscall"
)

// ackConn acknowledges at once every segment it reads, with TCP_QUICKACK
// set again after each read (Linux clears it by itself).
//
// Without it the first reply after STARTTLS can take 40 ms more: OpenSSL
// servers (Postfix) send TLS 1.3 session tickets after the handshake even to a
// client that offers no psk_key_exchange_modes (RFC 8446 section 4.2.9 lets a
// client opt out; tls.Config.SessionTicketsDisabled does), so the reply to the
// first EHLO is the server's second small write in a row. Nagle's algorithm
// holds it until the tickets are acknowledged, and Linux delays that ACK by up
// to 40 ms because the client, waiting in read, has nothing to send it with.
// An immediate ACK releases the reply. The same happens with any server that
// writes a reply in pieces. BenchmarkFirstReplyAfterSplitWrite and
// BenchmarkFirstReplyAfterHandshakePostfix watch it.
type ackConn struct {
	net.Conn
	rc syscall.RawConn
}

// withQuickACK wraps nc, which reads the socket sock, in an ackConn when
// sock is a TCP connection; otherwise (net.Pipe in tests) nc is returned as
// it is.
func withQuickACK(nc, sock net.Conn) net.Conn {
	tc, ok := sock.(*net.TCPConn)
	if !ok {
		return nc
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return nc
	}
	return ackConn{Conn: nc, rc: rc}
}

func (c ackConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.rc.Control(func(fd uintptr) {
			_ = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1)
		})
	}
	return n, err
}
