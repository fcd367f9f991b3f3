package cli

import (
	"strings"
	"testing"
)

// TestTUILangZh drives the explorer in Chinese as a learner from a
// Chinese post does, at 80x24: `ehlo --lang zh` on the lab, and a zh_CN
// locale with no flag; the explorer's own words are Chinese (status,
// footer, side panel, a command's error), what the wire carries is not.
func TestTUILangZh(t *testing.T) {
	bin := ehloBinary(t)
	for _, c := range []struct {
		name string
		env  []string
		args []string
	}{
		{"flag", []string{"NO_COLOR=1", "EHLO_NO_HISTORY=1", "LC_ALL=", "LC_MESSAGES=", "LANG=C.UTF-8"}, []string{"--lang", "zh"}},
		{"locale", []string{"NO_COLOR=1", "EHLO_NO_HISTORY=1", "LC_ALL=", "LC_MESSAGES=", "LANG=zh_CN.UTF-8"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			tm := newTerm(t, 80, 24, c.env, append([]string{bin}, c.args...)...)
			s := tm.waitFor(`S: 220 submission\.lab\.test`)
			for _, want := range []string{"已连接", "明文", "还没有 EHLO", "ctrl+c 退出"} {
				if !strings.Contains(s, want) {
					t.Errorf("%q not on screen:\n%s", want, s)
				}
			}
			tm.typeLine("EHLO me.example")
			s = tm.waitFor(`STARTTLS 之前没有 AUTH`)
			if !strings.Contains(s, "S: 250-STARTTLS") {
				t.Errorf("the server's reply is not shown as sent:\n%s", s)
			}
			tm.typeLine(":nosuch")
			tm.waitFor(`没有 :nosuch 这个命令`)
			tm.keys("C-c")
		})
	}
}

// TestExplorerLangRefused: --lang takes en or zh, as ehlo learn's does.
func TestExplorerLangRefused(t *testing.T) {
	if code, _, errOut := run(t, "--lang", "fr"); code != exitUsage || !strings.Contains(errOut, "en and zh") {
		t.Errorf("ehlo --lang fr: exit %d %s", code, errOut)
	}
}
