package learn

import (
	"bytes"
	"net/mail"
	"strings"

	"github.com/ehlo-sh/ehlo/lab"
	"github.com/ehlo-sh/ehlo/session"
)

// Stored is a message the lab stored, as lesson 4 shows it: the envelope
// beside the headers a mail program would show. Server-side data, so
// every value is sanitized.
type Stored struct {
	Envelope string // "MAIL FROM <a@b> · RCPT TO <c@d>, <e@f>"
	Headers  string // "From: … · To: … · Cc: …"
}

// StoredOf describes m.
func StoredOf(m lab.Message) Stored {
	to := make([]string, len(m.To))
	for i, r := range m.To {
		to[i] = "<" + r + ">"
	}
	s := Stored{Envelope: session.SanitizeString("MAIL FROM <" + m.From + "> · RCPT TO " + strings.Join(to, ", "))}
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		s.Headers = "(no header the lab could read)"
		return s
	}
	var hs []string
	for _, k := range []string{"From", "To", "Cc", "Bcc"} {
		if v := msg.Header.Get(k); v != "" {
			hs = append(hs, k+": "+v)
		}
	}
	if len(hs) == 0 {
		hs = []string{"no From:, To: nor Cc:"}
	}
	s.Headers = session.SanitizeString(strings.Join(hs, " · "))
	return s
}
