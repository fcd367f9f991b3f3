package ui

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"

	"github.com/ehlo-sh/ehlo/dns"
	"github.com/ehlo-sh/ehlo/domain"
	"github.com/ehlo-sh/ehlo/learn"
	"github.com/ehlo-sh/ehlo/wire"
)

// langSim is newSim with the explorer's words in lang.
func langSim(t *testing.T, lang string, w, h int) *sim {
	t.Helper()
	s := newSim(t, "dark", w, h)
	m, err := New(Config{Target: "smtp.gmail.example:587", Theme: "dark", Mouse: true, Lang: lang})
	if err != nil {
		t.Fatal(err)
	}
	m.now, m.observe = s.m.now, s.m.observe
	s.m = m
	s.send(tea.WindowSizeMsg{Width: w, Height: h})
	return s
}

// fits checks that every line of the screen is exactly w cells, double-width
// runes counted as two, and that there are h lines.
func fits(t *testing.T, s *sim, w, h int) {
	t.Helper()
	checkSize(t, s.m.View().Content, w, h)
}

// TestViewGoldenZh draws the explorer in Chinese (--lang zh) at 80x24 and
// 120x40: the session before and after STARTTLS, a warning, DATA mode, a
// wait, the help screen, a quit to confirm. Every line fits the screen.
// -update rewrites testdata/TestViewGoldenZh.
func TestViewGoldenZh(t *testing.T) {
	moments := map[string]func(*sim){
		"plain":   gmailPlain,
		"tls":     gmailTLS,
		"warning": func(s *sim) { gmailPlain(s); s.typ("AUTH PLAIN") },
		"data": func(s *sim) {
			gmailTLS(s)
			s.enter("MAIL FROM:<alice@example.org>")
			s.reply("250 2.1.0 OK")
			s.enter("RCPT TO:<bob@example.org>")
			s.reply("550 5.1.1 no such user")
			s.enter("RCPT TO:<carol@example.org>")
			s.reply("250 2.1.5 OK")
			s.enter("DATA")
			s.reply("354 Go ahead")
		},
		"waiting": func(s *sim) { gmailPlain(s); s.enter("NOOP"); s.advance(1234 * time.Millisecond) },
		"help":    func(s *sim) { gmailPlain(s); s.typ("?") },
		"unknown": func(s *sim) { gmailPlain(s); s.enter(":nosuch") },
		"explain": func(s *sim) {
			gmailPlain(s)
			s.enter("AUTH PLAIN")
			s.enter("AUTH PLAIN")
			s.reply("530 5.7.0 Must issue a STARTTLS command first")
			s.enter(":explain")
		},
		"timing": func(s *sim) { gmailTLS(s); s.enter(":timing") },
		"quit": func(s *sim) {
			gmailPlain(s)
			s.enter("NOOP")
			s.typ("NOOP")
			s.press(tea.KeyEnter)
			s.press('c', tea.ModCtrl)
		},
	}
	for name, play := range moments {
		for _, size := range [][2]int{{80, 24}, {120, 40}} {
			t.Run(fmt.Sprintf("%s_%dx%d", name, size[0], size[1]), func(t *testing.T) {
				s := langSim(t, "zh", size[0], size[1])
				play(s)
				fits(t, s, size[0], size[1])
				golden.RequireEqual(t, s.screen())
			})
		}
	}
}

// TestZhWordsOnScreen: under zh the explorer's own words are Chinese, and
// what the wire carries is not translated.
func TestZhWordsOnScreen(t *testing.T) {
	s := langSim(t, "zh", 120, 40)
	gmailTLS(s)
	sc := s.screen()
	for _, want := range []string{"已连接", "扩展（7）", "STARTTLS 之后出现了 AUTH", "发送", "帮助", "退出",
		"250-AUTH LOGIN PLAIN", "✓ 证书已验证", "EHLO 已完成，未登录"} {
		if !strings.Contains(sc, want) {
			t.Errorf("%q not on screen:\n%s", want, sc)
		}
	}
	for _, english := range []string{"connected", "Capabilities", "signed in", "take suggestion", "last reply"} {
		if strings.Contains(sc, english) && !strings.Contains(sc, "connected to") {
			t.Errorf("%q in English under zh:\n%s", english, sc)
		}
	}
	s.enter(":nosuch")
	if got := told(s.m); !strings.Contains(got, "没有 :nosuch 这个命令") {
		t.Errorf("unknown command under zh: %q", got)
	}
	en := newSim(t, "dark", 120, 40)
	gmailTLS(en)
	if sc := en.screen(); strings.ContainsFunc(sc, cjk) {
		t.Errorf("Chinese on the English screen:\n%s", sc)
	}
}

// TestHelpFKeysInOrder: the help screen lists the F-keys in their order,
// F1 to F11, in both languages: in the keymap's columns (read down, as
// keyColumns lays them out), and in the one column of an 80-column screen.
func TestHelpFKeysInOrder(t *testing.T) {
	fkey := regexp.MustCompile(`(?:^|/)F(\d+)(?:/|\s|$)`)
	numbers := func(descs []string) []int {
		var out []int
		for _, d := range descs {
			if m := fkey.FindStringSubmatch(d); m != nil {
				n, _ := strconv.Atoi(m[1])
				out = append(out, n)
			}
		}
		return out
	}
	for _, lang := range []string{"en", "zh"} {
		s := langSim(t, lang, 80, 24)
		var keys []string
		for _, g := range s.m.keys.FullHelp() {
			for _, b := range g {
				keys = append(keys, b.Help().Key)
			}
		}
		if got := numbers(keys); !slices.IsSorted(got) || len(got) != 11 {
			t.Errorf("%s: the keymap's help lists the F-keys as %v, want F1 to F11 in order", lang, got)
		}
		var rows []string
		for _, l := range s.m.helpLines(76) {
			rows = append(rows, strings.TrimSpace(ansi.Strip(l)))
		}
		if got := numbers(rows); !slices.IsSorted(got) || len(got) != 11 {
			t.Errorf("%s at 80 columns: the F-keys as %v, want F1 to F11 in order", lang, got)
		}
	}
}

// tlsTrustSim is lesson 12 (TLS trust) in lang, after :mx lab.test as the
// lab answers it (not DNSSEC-signed: DANE ignored; MTA-STS enforce, mx1
// listed), STARTTLS on mx1 with a certificate WebPKI verifies, and the
// second EHLO.
func tlsTrustSim(t *testing.T, lang string, w, h int) *sim {
	t.Helper()
	lessons, err := learn.Shipped(lang)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(lessons, func(l learn.Lesson) bool { return l.Number == 12 })
	s := newSim(t, "dark", w, h)
	m, err := New(Config{Theme: "dark", Mouse: true, Course: &Course{Lessons: lessons, Current: i, Lang: lang},
		MX: MXConfig{Domain: "lab.test", Resolver: func(dns.Observer) (dns.Resolver, error) { return noDNS{}, nil }}})
	if err != nil {
		t.Fatal(err)
	}
	m.now, m.observe = s.m.now, s.m.observe
	s.m = m
	s.send(tea.WindowSizeMsg{Width: w, Height: h})
	s.send(mxAskMsg{arg: "lab.test"})
	s.press(tea.KeyEscape) // from the lesson's text to the session
	name := func(s string) domain.Name { return domain.Name{ASCII: s, Unicode: s} }
	host := func(n string, pref int) domain.Host {
		return domain.Host{Name: name(n), Canonical: name(n), Preference: pref, Addrs: []netip.Addr{netip.MustParseAddr("127.0.0.1")}}
	}
	insecure := domain.TLSA{Records: []dns.TLSA{{Usage: 3, Selector: 1, Matching: 1, Data: make([]byte, 32)}}, Verdict: domain.DANEInsecure}
	s.send(mxRouteMsg{req: s.m.mx.req, route: domain.Route{Domain: name("lab.test"), Kind: domain.KindMX,
		Hosts: []domain.Host{host("mx1.lab.test", 10), host("mx2.lab.test", 20)}}, tlsa: []domain.TLSA{insecure, insecure}})
	s.send(mxSTSMsg{req: s.m.mx.req, sts: domain.STS{Verdict: domain.STSOK, Policy: &domain.Policy{Version: "STSv1",
		Mode: domain.ModeEnforce, MaxAge: 86400, MX: []string{"mx1.lab.test", "mx2.lab.test"}}}})
	s.link.addr = s.m.conn.target
	s.send(dialedMsg{gen: s.m.conn.gen, link: s.link})
	s.entry(wire.Note, "connected to "+s.link.addr)
	s.reply(mxGreeting)
	s.enter("EHLO me.example")
	s.reply(mxEHLO...)
	s.enter("STARTTLS")
	s.reply("220 2.0.0 Ready to start TLS")
	cert := gmailCert()
	cert.ServerName = "mx1.lab.test"
	s.starttls(cert)
	return s
}

// TestLessonTLSTrustGolden: in lesson 12 at 80x24, under the lesson's
// card, the side panel still says WebPKI, DANE and MTA-STS apart, each
// whole, in English and Chinese, before and after the second EHLO; at
// 120x40 too. -update rewrites testdata/TestLessonTLSTrustGolden.
func TestLessonTLSTrustGolden(t *testing.T) {
	facts := map[string][]string{
		"en": {"WebPKI  ✓ valid", "DANE    off: unsigned", "MTA-STS enforce ✓"},
		"zh": {"WebPKI  ✓ 有效", "DANE    不生效：未签名", "MTA-STS enforce ✓"},
	}
	wide := map[string][]string{
		"en": {"WebPKI  ✓ valid for mx1.lab.test", "DANE    TLSA insecure (ignored)", "MTA-STS enforce; MX listed;"},
		"zh": {"WebPKI  ✓ 对 mx1.lab.test 有效", "DANE    TLSA 未经 DNSSEC 验证（忽略）", "MTA-STS enforce；MX 在策略中；"},
	}
	for _, lang := range []string{"en", "zh"} {
		for _, size := range [][2]int{{80, 24}, {120, 40}} {
			for _, again := range []bool{false, true} {
				name := fmt.Sprintf("tls_%s_%dx%d", lang, size[0], size[1])
				if again {
					name = fmt.Sprintf("ehlo_%s_%dx%d", lang, size[0], size[1])
				}
				t.Run(name, func(t *testing.T) {
					s := tlsTrustSim(t, lang, size[0], size[1])
					if again {
						s.enter("EHLO me.example")
						s.reply(mxEHLO...)
					}
					fits(t, s, size[0], size[1])
					sc := s.screen()
					want := facts[lang]
					if size[0] >= 120 {
						want = wide[lang]
					}
					for _, f := range want {
						if !strings.Contains(sc, f) {
							t.Errorf("%q not in the side panel:\n%s", f, sc)
						}
					}
					golden.RequireEqual(t, sc)
				})
			}
		}
	}
}
