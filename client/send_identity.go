package client

import (
	"context"
	"strings"

	"github.com/ehlo-sh/ehlo/session"
)

// identity checks, before MAIL, who the server thinks the client is
// (send --check-identity), and says it in the transcript as notes, so it
// shows before the MAIL line; the findings are kept in the result. Signed
// in, it is beside the point: the provider's server sends the mail on.
func (s *sender) identity(ctx context.Context) {
	if s.cfg.DNS == nil {
		return
	}
	conn := s.c.Conn()
	if s.res.Auth != nil && s.res.Auth.Reply.Code == 235 {
		conn.Note("identity: signed in, so recipients judge the provider's server that sends the mail on, not this client: not checked")
		return
	}
	var hello []string
	if n := len(s.res.Hellos); n > 0 {
		hello = s.res.Hellos[n-1].Reply.Lines
	}
	headerFrom := ""
	if m := s.cfg.Message; m != nil && m.From != nil {
		headerFrom = m.From.Address
	}
	cfg, seen := IdentityConfig(conn.LocalAddr(), conn.Addr(), hello, BannerName(s.res.Greeting), s.cfg.Options.helo(), s.cfg.from(), headerFrom)
	cfg.DNSBL = s.cfg.DNSBL
	s.res.Identity = CheckIdentity(ctx, s.cfg.DNS, conn.Transcript(), cfg).Findings(seen)
	for _, f := range s.res.Identity {
		if f.ID == "identity" {
			for _, e := range f.Evidence {
				conn.Note("identity: " + strings.TrimPrefix(e, "* "))
			}
			continue
		}
		conn.Note("identity: [" + f.Severity.String() + "] " + f.Title)
		if f.Fix == "" || f.Severity > session.SeverityWarning {
			continue
		}
		for i, line := range strings.Split(f.Fix, "\n") {
			conn.Note("identity:   " + map[bool]string{true: "fix: ", false: "     "}[i == 0] + line)
		}
	}
}
