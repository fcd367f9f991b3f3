package ui

import (
	"github.com/ehlo-sh/ehlo/third_party/bubbles/key"
)

// keyMap is every key of the explorer, as data: the help footer and the
// full help are generated from it. It binds no bare ctrl chord that
// terminals or tmux take (ctrl+a/b/h/j/k/l/s): toggles live on F-keys with
// alt- twins, and every action is also a ":" command (TUI-NOTES §4.1).
type keyMap struct {
	Send     key.Binding
	Accept   key.Binding // take the grey suggestion of an empty line
	Complete key.Binding
	PrevPane key.Binding
	History  key.Binding // help entry for ↑/↓ in the input
	Prev     key.Binding
	Next     key.Binding
	Scroll   key.Binding // pgup/pgdown scroll the transcript from the input
	Cancel   key.Binding
	Help     key.Binding
	Quit     key.Binding

	Mouse  key.Binding
	Raw    key.Binding
	Hex    key.Binding
	Reveal key.Binding
	Copy   key.Binding
	Save   key.Binding

	Explain  key.Binding // the explain panel of the selected (or last) reply
	Guided   key.Binding // guided mode on/off
	Skip     key.Binding // guided: skip the step
	Choose   key.Binding // guided: next choice (AUTH mechanism)
	Timing   key.Binding // the timing waterfall
	SendHeld key.Binding // send the lines held after a refused barrier
	NextMX   key.Binding // the next MX address of the list (mx.go)
	Close    key.Binding // esc: close the panel or view on top

	Submit key.Binding // compose: send the message
	Abort  key.Binding // compose: close the editor, nothing sent

	AddChunk  key.Binding // a BDAT chunk being typed: enter adds the line and its CRLF
	DropChunk key.Binding // esc: drop the chunk, nothing sent

	w words // the descriptions' language
}

// newKeyMap returns the default keys.
func newKeyMap(w words) keyMap {
	return keyMap{
		w:        w,
		Send:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", w.T("send line"))),
		Accept:   key.NewBinding(key.WithKeys("right", "tab"), key.WithHelp("→/tab", w.T("take suggestion"))),
		Complete: key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", w.T("complete / next pane"))),
		PrevPane: key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", w.T("panes"))),
		History:  key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑/↓", w.T("history"))),
		Prev:     key.NewBinding(key.WithKeys("up")),
		Next:     key.NewBinding(key.WithKeys("down")),
		Scroll:   key.NewBinding(key.WithKeys("pgup", "pgdown"), key.WithHelp("pgup/pgdn", w.T("scroll transcript"))),
		Cancel:   key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", w.T("cancel wait"))),
		Help:     key.NewBinding(key.WithKeys("?", "f1"), key.WithHelp("?/F1", w.T("help"))),
		Quit:     key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", w.T("quit"))),

		Mouse:  key.NewBinding(key.WithKeys("f2", "alt+m"), key.WithHelp("F2/alt+m", w.T("mouse on/off"))),
		Raw:    key.NewBinding(key.WithKeys("f3", "alt+r"), key.WithHelp("F3/alt+r", w.T("raw line endings"))),
		Hex:    key.NewBinding(key.WithKeys("f4", "alt+x"), key.WithHelp("F4/alt+x", w.T("hex of selected line"))),
		Reveal: key.NewBinding(key.WithKeys("f5", "alt+v"), key.WithHelp("F5/alt+v", w.T("reveal secrets"))),
		Copy:   key.NewBinding(key.WithKeys("f6", "alt+c"), key.WithHelp("F6/alt+c", w.T("copy (OSC 52)"))),
		Save:   key.NewBinding(key.WithKeys("f7", "alt+s"), key.WithHelp("F7/alt+s", w.T("save transcript"))),

		Explain:  key.NewBinding(key.WithKeys("f8", "alt+e"), key.WithHelp("F8/alt+e", w.T("explain a reply"))),
		Guided:   key.NewBinding(key.WithKeys("f9", "alt+g"), key.WithHelp("F9/alt+g", w.T("guided mode"))),
		Skip:     key.NewBinding(key.WithKeys("alt+n"), key.WithHelp("alt+n", w.T("skip step"))),
		Choose:   key.NewBinding(key.WithKeys("ctrl+n", "ctrl+p"), key.WithHelp("ctrl+n/p", w.T("choose"))),
		Timing:   key.NewBinding(key.WithKeys("f11", "alt+t"), key.WithHelp("F11/alt+t", w.T("timing"))),
		SendHeld: key.NewBinding(key.WithKeys("alt+q"), key.WithHelp("alt+q", w.T("send held"))),
		NextMX:   mxKey(w),
		Close:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", w.T("close"))),

		Submit: key.NewBinding(key.WithKeys("f10", "alt+enter"), key.WithHelp("F10/alt+enter", w.T("send message"))),
		Abort:  key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", w.T("close editor"))),

		AddChunk:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", w.T("add line+CRLF to chunk"))),
		DropChunk: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", w.T("drop chunk"))),
	}
}

// ShortHelp is the footer: the keys a newcomer needs first.
func (k keyMap) ShortHelp() []key.Binding { return k.inputHelp("complete") }

// inputHelp is the footer while typing; tab says what Tab does now: it
// completes a line typed, or moves to the next pane from an empty one (or
// one holding the suggestion as taken).
func (k keyMap) inputHelp(tab string) []key.Binding {
	k.Send.SetHelp("enter", k.w.T("send"))
	k.Complete.SetHelp("tab", k.w.T(tab))
	if tab == "next pane" {
		return []key.Binding{k.Send, k.Complete, k.History, k.Cancel, k.Help, k.Quit}
	}
	return []key.Binding{k.Send, k.Complete, k.PrevPane, k.History, k.Cancel, k.Help, k.Quit}
}

// suggestHelp is the footer while the empty line shows a suggestion.
func (k keyMap) suggestHelp() []key.Binding {
	k.Send.SetHelp("enter", k.w.T("send"))
	return []key.Binding{k.Send, k.Accept, k.PrevPane, k.History, k.Cancel, k.Help, k.Quit}
}

// colonTwins names, by keyMap field, the ":" command that does what a key
// does: terminals swallow F10 and F11, desktops take alt chords, and alt
// is Option on macOS, which types a character instead. The full help names
// each twin beside its key.
var colonTwins = map[string]string{
	"Help": ":help", "Mouse": ":mouse", "Raw": ":raw", "Hex": ":hex", "Reveal": ":reveal", "Copy": ":copy",
	"Save": ":save", "Explain": ":explain", "Guided": ":guided", "Skip": ":skip", "Timing": ":timing",
	"Submit": ":send", "SendHeld": ":queue send", "NextMX": ":mx N",
}

// colonTwin is the ":" command of the keyMap field name.
func colonTwin(name string) (string, bool) {
	c, ok := colonTwins[name]
	return c, ok
}

// withTwin adds a binding's ":" command to its help.
func withTwin(b key.Binding, name string) key.Binding {
	if c, ok := colonTwin(name); ok {
		b.SetHelp(b.Help().Key, b.Help().Desc+" ("+c+")")
	}
	return b
}

// FullHelp is the `?` screen, one column per group, the F-keys in their
// order (F1 to F11); a key a terminal may swallow shows its ":" command too.
func (k keyMap) FullHelp() [][]key.Binding {
	k.PrevPane.SetHelp("shift+tab", k.w.T("previous pane"))
	k.Help = withTwin(k.Help, "Help")
	k.Mouse, k.Raw, k.Hex = withTwin(k.Mouse, "Mouse"), withTwin(k.Raw, "Raw"), withTwin(k.Hex, "Hex")
	k.Reveal, k.Copy, k.Save = withTwin(k.Reveal, "Reveal"), withTwin(k.Copy, "Copy"), withTwin(k.Save, "Save")
	k.Explain, k.Guided, k.Skip = withTwin(k.Explain, "Explain"), withTwin(k.Guided, "Guided"), withTwin(k.Skip, "Skip")
	k.Timing, k.Submit = withTwin(k.Timing, "Timing"), withTwin(k.Submit, "Submit")
	k.SendHeld, k.NextMX = withTwin(k.SendHeld, "SendHeld"), withTwin(k.NextMX, "NextMX")
	return [][]key.Binding{
		{k.Send, k.Accept, k.Complete, k.PrevPane, k.History, k.Scroll},
		{k.Cancel, k.Help, k.Quit, k.Mouse, k.Raw},
		{k.Hex, k.Reveal, k.Copy, k.Save, k.Explain},
		{k.Guided, k.Submit, k.Timing, k.Skip, k.Choose, k.SendHeld, k.NextMX}, // F9 F10 F11, then the chords
	}
}

// guidedHelp is the footer in guided mode: the step's keys first.
func (k keyMap) guidedHelp(choices bool) []key.Binding {
	k.Send.SetHelp("enter", k.w.T("send step"))
	k.Choose.SetEnabled(choices)
	k.Guided.SetHelp("F9", k.w.T("guided off"))
	return []key.Binding{k.Send, k.Skip, k.Choose, k.Guided, k.Quit, k.Help, k.Explain}
}

// panelHelp is the footer while the explain panel or the timing view is on top.
func (k keyMap) panelHelp(explain bool) []key.Binding {
	if explain {
		return []key.Binding{k.Close, key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑/↓", k.w.T("previous/next"))),
			key.NewBinding(key.WithKeys("pgup", "pgdown"), key.WithHelp("pgup/pgdn", k.w.T("scroll"))), k.Quit}
	}
	return []key.Binding{k.Close, k.Timing, k.Quit}
}

// paneHelp is the footer while the transcript or the capability list has
// the focus: its own keys, then how to leave it. esc cancels a wait first.
func (k keyMap) paneHelp(f focus, t TranscriptKeyMap, waiting bool) []key.Binding {
	k.Complete.SetHelp("tab", k.w.T("next pane"))
	esc := key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", k.w.T("leave pane")))
	if waiting {
		esc = k.Cancel
	}
	if f == focusCaps {
		return []key.Binding{key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑/↓", k.w.T("select capability"))),
			key.NewBinding(key.WithKeys("enter", "e"), key.WithHelp("e/enter", k.w.T("all it means"))),
			k.Complete, esc, k.Help, k.Quit}
	}
	t.Explain.SetHelp("e/enter", k.w.T("explain"))
	t.Bottom.SetHelp("G/end", k.w.T("follow"))
	t.Search.SetHelp("/", k.w.T("search"))
	t.Next.SetHelp("n/N", k.w.T("next/previous match"))
	t.Wrap.SetHelp("w", k.w.T("wrap"))
	return []key.Binding{key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑/↓", k.w.T("select line"))),
		t.Explain, t.Search, t.Next, t.Wrap, t.Bottom, k.Complete, esc, k.Help, k.Quit}
}

// chunkHelp is the footer while a BDAT chunk is typed; esc cancels a
// wait first, then clears a typed line.
func (k keyMap) chunkHelp(waiting, typed bool) []key.Binding {
	esc := k.DropChunk
	switch {
	case waiting:
		esc = k.Cancel
	case typed:
		esc = key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", k.w.T("clear line")))
	}
	return []key.Binding{k.AddChunk, esc, k.Help, k.Quit}
}

// composeHelp is the footer while the message editor is open.
func (k keyMap) composeHelp() []key.Binding {
	return []key.Binding{k.Submit, k.Abort, k.Quit}
}
