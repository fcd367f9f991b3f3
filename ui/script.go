package ui

import (
	"strings"
	"unicode"

	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/wire"
)

// cmdSaveScript is ":save --script [FILE]": the current session as a
// script for `ehlo run` (client.WriteScript), secrets as placeholders,
// written with mode 0600 to FILE or ehlo-YYYYMMDD-HHMMSS.ehlo.
func (m Model) cmdSaveScript(arg string) (Model, tea.Cmd) {
	out := saveTarget{path: strings.TrimSpace(arg)}
	if out.path == "" {
		out = m.defaultSave(".ehlo")
	}
	h := client.ScriptHeader{Target: m.conn.target, Saved: m.now(), Flags: m.runFlags()}
	if m.cfg.Lab != nil {
		h.Lab = m.endpoint // its ports change at every start: the script names the endpoint
	}
	m.flash = infoFlash("saving the session as a script to " + out.path + "…")
	return m, saveScriptCmd(m.tr, out, h)
}

// saveScriptCmd writes the script of the entries recorded so far.
func saveScriptCmd(t *wire.Transcript, out saveTarget, h client.ScriptHeader) tea.Cmd {
	return func() tea.Msg {
		path, n, err := saveScript(out, t.Entries(), h)
		return savedMsg{path: path, n: n, err: err}
	}
}

func saveScript(out saveTarget, entries []wire.Entry, h client.ScriptHeader) (string, int, error) {
	f, path, err := out.open()
	if err != nil {
		return path, 0, err
	}
	n, err := client.WriteScript(f, entries, h)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return path, n, err
}

// runFlags are the flags ehlo run needs to replay this session: the CA
// file, the server name and --insecure as they were given (implicit TLS
// is the script's "# tls: implicit"). None on a lab endpoint, whose CA run
// makes itself.
func (m Model) runFlags() string {
	if m.cfg.Lab != nil && m.endpoint != "" {
		return ""
	}
	var f []string
	for _, flag := range append([][2]string{{"--ca", m.caFile}, {"--servername", m.opts.ServerName}}, m.cfg.TLSFlags...) {
		if w := shellWord(flag[1]); w != "" {
			f = append(f, flag[0]+" "+w)
		}
	}
	if m.opts.Insecure {
		f = append(f, "--insecure")
	}
	return strings.Join(f, " ")
}

// shellWord quotes s for a POSIX shell when it needs it; "" for an empty
// s or one with a control character, which has no place in a comment line.
func shellWord(s string) string {
	switch {
	case s == "" || strings.ContainsFunc(s, unicode.IsControl):
		return ""
	case !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("@%+=:,./_-", r))
	}):
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
