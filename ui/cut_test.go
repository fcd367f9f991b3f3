package ui

import (
	"crypto/x509"
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/session"
)

// This file checks issue 16's "text is cut with … exactly where it
// matters": at 80x24, 120x40 and 200x60, every pane shows what is meant
// to be read (the AUTH mechanisms, a capability's meaning, the
// certificate's verdict, an explanation, a fix command, ctrl+c quit)
// whole, or, where a pane has no room, a way to read it whole.

var cutSizes = [][2]int{{80, 24}, {120, 40}, {200, 60}}

// cutLines returns the lines of lines that end in "…" as a cut does; "… 3
// more", a count of rows left out, is no cut.
func cutLines(lines []string) []string {
	var cut []string
	for _, l := range lines {
		text := strings.TrimRight(strings.Trim(ansi.Strip(l), "│"), " ")
		if i := strings.Index(text, "…"); i >= 0 && !strings.HasPrefix(strings.TrimSpace(text[i:]), "… ") {
			cut = append(cut, text)
		} else if i >= 0 && !strings.Contains(text[i:], " more") {
			cut = append(cut, text)
		}
	}
	return cut
}

func forSizes(t *testing.T, f func(t *testing.T, w, h int)) {
	for _, size := range cutSizes {
		t.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(t *testing.T) { f(t, size[0], size[1]) })
	}
}

// TestSideNothingCut: the side panel after Gmail's EHLO inside TLS: every
// mechanism, the verdict, and the selected capability's meaning in whole
// sentences (with where to read the rest), nothing ending in "…".
func TestSideNothingCut(t *testing.T) {
	forSizes(t, func(t *testing.T, w, h int) {
		s := newSim(t, "dark", w, h)
		gmailTLS(s)
		side := s.m.side.View(s.m.sideInfo())
		text := paneText(side)
		for _, want := range []string{"AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH", "✓ certificate verified for smtp.gmail.example"} {
			if !strings.Contains(text, want) {
				t.Errorf("the side panel lacks %q:\n%s", want, strings.Join(side, "\n"))
			}
		}
		if cut := cutLines(side); len(cut) > 0 {
			t.Errorf("cut: %q", cut)
		}
		_, full := capMeaning(capRows(s.m.sess)[s.m.side.cursor])
		title, _ := capMeaning(capRows(s.m.sess)[s.m.side.cursor])
		if !strings.Contains(text, full) && !strings.Contains(text, "more: ") && (w > 80 || strings.Contains(text, title)) {
			t.Errorf("the meaning is neither whole nor pointed at:\n%s", strings.Join(side, "\n"))
		}
		if w >= 120 && !strings.Contains(text, full) {
			t.Errorf("%dx%d has room for the whole meaning:\n%s", w, h, strings.Join(side, "\n"))
		}

		s.press(tea.KeyTab, tea.ModShift) // the capability pane: enter reads the meaning whole
		s.press(tea.KeyEnter)
		box := s.m.explainBox(min(w, 96), s.m.mainH)
		if !strings.Contains(paneText(box), full) || len(cutLines(box)) > 0 {
			t.Errorf("enter on the capability:\n%s", strings.Join(box, "\n"))
		}
	})
}

// TestVerdictNotCut: a certificate that did not verify says why, whole.
func TestVerdictNotCut(t *testing.T) {
	forSizes(t, func(t *testing.T, w, h int) {
		s := newSim(t, "dark", w, h)
		cert := gmailCert()
		cert.Verified, cert.VerifyError = false, x509.UnknownAuthorityError{}
		gmailTLSWith(s, cert)
		side := s.m.side.View(s.m.sideInfo())
		want := "✗ NOT verified: " + client.ExplainVerify(cert.VerifyError)
		if !strings.Contains(paneText(side), want) || len(cutLines(side)) > 0 {
			t.Errorf("the verdict %q is not whole:\n%s", want, strings.Join(side, "\n"))
		}
	})
}

// TestExplanationsNotCut: the explain panel on Gmail's 535 and the guided
// card after it show no text cut; the panel scrolls to the rest.
func TestExplanationsNotCut(t *testing.T) {
	forSizes(t, func(t *testing.T, w, h int) {
		s := guidedSim(t, w, h)
		guidedTLS(s)
		if card := s.m.card(w); len(cutLines(card)) > 0 {
			t.Errorf("the AUTH card is cut: %q", cutLines(card))
		}
		s.press(tea.KeyEscape) // the prefilled :auth line goes: the AUTH typed instead
		s.enter("AUTH PLAIN " + b64("\x00alice\x00wonderland"))
		s.reply("535-5.7.8 Username and Password not accepted. Learn more at", "535 5.7.8  https://support.google.com/mail/?p=BadCredentials")
		if card := s.m.card(w); len(cutLines(card[1:])) > 0 {
			t.Errorf("the 535 card is cut: %q", cutLines(card[1:]))
		}
		s.press(tea.KeyF8)
		read := map[int]string{}
		for range 10 { // page through the panel: the cause and the fix come whole
			box := s.m.explainBox(min(w, 96), s.m.mainH)
			if cut := cutLines(box[1:]); len(cut) > 0 {
				t.Fatalf("the explain panel cuts: %q", cut)
			}
			first, last, total := 1, len(box)-3, len(box)-3
			if footer := ansi.Strip(box[len(box)-2]); strings.Contains(footer, "scroll (") {
				fmt.Sscanf(footer[strings.Index(footer, "scroll (")+len("scroll ("):], "%d-%d of %d", &first, &last, &total)
			}
			for i, l := range box[1 : len(box)-2] {
				read[first+i] = l
			}
			if last == total {
				break
			}
			s.press(tea.KeyPgDown)
		}
		var body []string
		for i := 1; i <= len(read); i++ {
			body = append(body, read[i])
		}
		x := s.m.explain.x
		for _, want := range []string{x.Cause, x.Action, x.Known.Note} {
			if !strings.Contains(paneText(body), strings.Join(strings.Fields(want), " ")) {
				t.Errorf("paging through the panel does not read %q", want)
			}
		}
	})
}

// TestHintAndFooterNotCut: a fix command in the hint and "ctrl+c quit" in
// every footer are whole.
func TestHintAndFooterNotCut(t *testing.T) {
	forSizes(t, func(t *testing.T, w, h int) {
		s := newSim(t, "dark", w, h)
		s.connect()
		s.advance(greetingHintAfter)
		fix := ":connect " + session.SanitizeString(s.m.conn.target) + " --tls"
		if hint := paneText(s.m.hintLines(w)); !strings.Contains(hint, fix) {
			t.Errorf("the hint lacks %q: %q", fix, hint)
		}
		s.reply("220 smtp.gmail.example ESMTP")
		footers := map[string]func(){
			"input":      func() {},
			"transcript": func() { s.press(tea.KeyTab, tea.ModShift); s.press(tea.KeyTab, tea.ModShift) },
			"caps":       func() { s.press(tea.KeyEscape); s.press(tea.KeyTab, tea.ModShift) },
			"guided":     func() { s.press(tea.KeyEscape); s.enter(":guided") },
			"explain":    func() { s.press(tea.KeyF8) },
		}
		for _, name := range []string{"input", "transcript", "caps", "guided", "explain"} {
			footers[name]()
			if f := footerOf(s); !strings.Contains(f, "ctrl+c quit") || strings.Contains(f, "…") {
				t.Errorf("%s footer %q", name, f)
			}
		}
	})
}
