package wire

import "crypto/tls"

// ChannelBinding returns the TLS channel binding of the connection for
// SCRAM's -PLUS mechanisms (RFC 5802 section 6): under TLS 1.3 the
// tls-exporter data (RFC 9266: 32 octets exported with the label
// "EXPORTER-Channel-Binding" and no context), under TLS 1.2 tls-unique
// (RFC 5929: the first Finished message), which Go gives only when it is
// safe (extended master secret, or no resumption). ok is false in
// plaintext, or when there is none.
func (c *Conn) ChannelBinding() (typ string, data []byte, ok bool) {
	c.mu.Lock()
	tc := c.tc
	c.mu.Unlock()
	if tc == nil {
		return "", nil, false
	}
	cs := tc.ConnectionState()
	if cs.Version >= tls.VersionTLS13 {
		ekm, err := cs.ExportKeyingMaterial("EXPORTER-Channel-Binding", nil, 32)
		if err != nil {
			return "", nil, false
		}
		return "tls-exporter", ekm, true
	}
	if len(cs.TLSUnique) == 0 {
		return "", nil, false
	}
	return "tls-unique", append([]byte(nil), cs.TLSUnique...), true
}
