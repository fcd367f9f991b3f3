package domain

import (
	"strings"
	"testing"
)

// FuzzParsePolicy: whatever the body, ParsePolicy returns; a policy it
// accepts has a known mode, a max_age in range and host-name patterns.
func FuzzParsePolicy(f *testing.F) {
	f.Add(goodPolicy)
	f.Add("version: STSv1\nmode: testing\rmode: enforce\nmx: a.example\nmax_age: 5\n")
	f.Add("version: STSv1\nmode: none\nmax_age: 0")
	f.Fuzz(func(t *testing.T, body string) {
		p, err := ParsePolicy(body)
		if err != nil {
			return
		}
		if p.Version != "STSv1" || p.Mode != ModeEnforce && p.Mode != ModeTesting && p.Mode != ModeNone ||
			p.MaxAge < 0 || p.MaxAge > maxMaxAge || p.Mode != ModeNone && len(p.MX) == 0 {
			t.Fatalf("accepted %+v", p)
		}
		for _, m := range p.MX {
			if checkPattern(m) != nil {
				t.Fatalf("accepted the pattern %q", m)
			}
		}
	})
}

// FuzzRecords: the MTA-STS and TLS-RPT record parsers return, and what
// they accept is well formed.
func FuzzRecords(f *testing.F) {
	f.Add("v=STSv1; id=20260101")
	f.Add("v=TLSRPTv1; rua=mailto:a@example.org,https://r.example/x")
	f.Fuzz(func(t *testing.T, txt string) {
		if id, err := parseSTSRecord(txt); err == nil && (id == "" || len(id) > 32) {
			t.Fatalf("STS id %q from %q", id, txt)
		}
		if rua, err := ParseRPT(txt); err == nil {
			for _, u := range rua {
				l := strings.ToLower(u)
				if !strings.HasPrefix(l, "mailto:") && !strings.HasPrefix(l, "https:") {
					t.Fatalf("rua %q from %q", u, txt)
				}
			}
		}
	})
}
