package ui

import (
	"fmt"
	"slices"
	"time"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

// detailOrder ranks the rows of client.TLSDetailRows for the side panel,
// which drops the last ones first when short of room: what the user did
// or must act on (a certificate asked for, the key log, a resumption)
// before the handshake's parameters.
var detailOrder = []string{"client", "keylog", "session", "ocsp", "kx", "sig", "alpn", "spki"}

// tlsDetails are the handshake's facts beyond the certificate, as probe
// prints them (client.TLSDetailRows), a row each, wrapped, in the order of
// detailOrder.
func (s sidePanel) tlsDetails(t wire.TLSInfo, now time.Time, w int) [][]string {
	if now.IsZero() {
		now = time.Now()
	}
	rows := client.TLSDetailRows(t, now)
	slices.SortStableFunc(rows, func(a, b [2]string) int {
		return slices.Index(detailOrder, a[0]) - slices.Index(detailOrder, b[0])
	})
	vw := max(w-8, 8)
	var out [][]string
	for _, row := range rows {
		label := fmt.Sprintf("%-8s", row[0])
		switch row[0] {
		case "spki":
			out = append(out, s.certRow(label, chunk(row[1], vw), s.st.Dim, w))
		case "keylog":
			out = append(out, s.certRow(label, wrapHard(session.SanitizeString(row[1]), vw, 0), s.st.Warning, w))
		default:
			out = append(out, s.certRow(label, wrapHard(session.SanitizeString(row[1]), vw, 0), s.st.Value, w))
		}
	}
	return out
}
