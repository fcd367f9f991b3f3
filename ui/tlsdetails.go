package ui

import (
	"fmt"
	"time"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

// tlsDetails are the handshake's facts beyond the certificate, as probe
// prints them (client.TLSDetailRows): SPKI, key exchange, signature,
// OCSP, resumption, a client certificate request, the key log. The side
// panel drops them first when short of rows.
func (s sidePanel) tlsDetails(t wire.TLSInfo, now time.Time, w int) []string {
	if now.IsZero() {
		now = time.Now()
	}
	vw := max(w-8, 8)
	var lines []string
	for _, row := range client.TLSDetailRows(t, now) {
		label := fmt.Sprintf("%-8s", row[0])
		if row[0] == "spki" {
			lines = append(lines, s.certRow(label, chunk(row[1], vw), s.st.Dim, w)...)
			continue
		}
		style := s.st.Value
		if row[0] == "keylog" {
			style = s.st.Warning
		}
		lines = append(lines, s.certRow(label, wrapHard(session.SanitizeString(row[1]), vw, maxCertRows), style, w)...)
	}
	return lines
}
