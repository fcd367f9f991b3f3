package lab

import (
	"net/netip"
	"net/smtp"
	"net/textproto"
	"strings"
	"testing"
)

// TestEnforceSPF: with EnforceSPF, the mx endpoint refuses a forged
// sender from loopback with policyd-spf's 550 5.7.23, and takes the lab's
// own domain and any domain it does not serve; without it, it takes all.
func TestEnforceSPF(t *testing.T) {
	for _, enforce := range []bool{true, false} {
		l, err := Start(Config{EnforceSPF: enforce})
		if err != nil {
			t.Fatal(err)
		}
		ep, _ := l.Endpoint("mx")
		for _, tt := range []struct {
			from    string
			refused bool
		}{{"eve@" + ForgedDomain, enforce}, {"alice@" + Domain, false}, {"bob@example.org", false}} {
			c, err := smtp.Dial(ep.Addr)
			if err != nil {
				t.Fatal(err)
			}
			err = c.Mail(tt.from)
			var e *textproto.Error
			switch {
			case tt.refused && (err == nil || !asTextproto(err, &e) || e.Code != 550 ||
				!strings.Contains(e.Msg, "5.7.23 <"+tt.from+">: Sender address rejected: Message rejected due to: SPF fail - not authorized")):
				t.Errorf("enforce %v, %s: %v, want policyd-spf's refusal", enforce, tt.from, err)
			case !tt.refused && err != nil:
				t.Errorf("enforce %v, %s: %v", enforce, tt.from, err)
			}
			c.Close()
		}
		l.Close()
	}
}

func asTextproto(err error, e **textproto.Error) bool {
	x, ok := err.(*textproto.Error)
	*e = x
	return ok
}

func TestSPFResult(t *testing.T) {
	for rec, want := range map[string]string{
		"v=spf1 ip4:127.0.0.1 -all":    "pass",
		"v=spf1 ip4:192.0.2.0/24 -all": "fail",
		"v=spf1 ip4:192.0.2.0/24 ~all": "softfail",
		"v=spf1 ip6:::1 ?all":          "neutral",
		"v=spf1 ip4:127.0.0.0/8":       "pass",
		"v=spf1 -ip4:127.0.0.1 +all":   "fail",
		"v=spf1 ip4:192.0.2.1":         "neutral",
	} {
		if got := spfResult(rec, netip.MustParseAddr("127.0.0.1")); got != want {
			t.Errorf("%s: %s, want %s", rec, got, want)
		}
	}
}
