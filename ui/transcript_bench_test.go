package ui

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"

	"github.com/ehlo-sh/ehlo/wire"
)

// trBenchLines is a session's worth of lines, repeated to any length. The
// Data slices are shared, so the memory metric counts the pane's own cost.
var trBenchLines = []struct {
	dir  wire.Dir
	data []byte
}{
	{wire.Client, []byte("EHLO probe.example.net\r\n")},
	{wire.Server, []byte("250-smtp.example.com at your service, [203.0.113.7]\r\n")},
	{wire.Server, []byte("250-SIZE 35882577\r\n")},
	{wire.Server, []byte("250-AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH\r\n")},
	{wire.Server, []byte("250 SMTPUTF8\r\n")},
	{wire.Client, []byte("RCPT TO:<someone@example.org>\r\n")},
	{wire.Server, []byte("550-5.1.1 The email account that you tried to reach does not exist. \x1b[2J\r\n")},
	{wire.Server, []byte("550 5.1.1 https://support.example.com/mail/?p=NoSuchUser a640c23a62f3a-ab7\r\n")},
}

func trBenchEntry(i int) wire.Entry {
	l := trBenchLines[i%len(trBenchLines)]
	return wire.Entry{Seq: i, Time: trT0.Add(time.Duration(i) * time.Millisecond), Dir: l.dir, TLS: i%16 >= 8, Data: l.data}
}

// BenchmarkTranscriptAppendRender measures one frame, append-one + View and
// scroll-one + View, at 120x40 for transcripts of 1e3, 1e5 and 1e6 entries.
// The transcript is built once, outside the timer. B/entry is the pane's
// memory per stored entry (the entry's Data is not counted).
func BenchmarkTranscriptAppendRender(b *testing.B) {
	for _, n := range []int{1e3, 1e5, 1e6} {
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		v := NewTranscript(trStyles(b, "dark"))
		v.SetSize(120, 40)
		v.SetFocused(true)
		for i := range n {
			v.Append(trBenchEntry(i))
		}
		runtime.GC()
		runtime.ReadMemStats(&m1)
		perEntry := float64(m1.HeapAlloc-m0.HeapAlloc) / float64(n)

		b.Run(fmt.Sprintf("append/n=%d", n), func(b *testing.B) {
			w := v // appends go to a copy's chunks; v is only read below
			w.chunks = append([][]trRow(nil), v.chunks...)
			next := n
			b.ReportAllocs()
			for b.Loop() {
				w.Append(trBenchEntry(next))
				next++
				_ = w.View()
			}
			b.ReportMetric(perEntry, "B/entry")
		})
		b.Run(fmt.Sprintf("wrap-append/n=%d", n), func(b *testing.B) {
			w := v
			w.chunks = append([][]trRow(nil), v.chunks...)
			w.ToggleWrap()
			next := n
			b.ReportAllocs()
			for b.Loop() {
				w.Append(trBenchEntry(next))
				next++
				_ = w.View()
			}
		})
		b.Run(fmt.Sprintf("wrap-jump/n=%d", n), func(b *testing.B) { // g, then G: top to bottom, wrapped
			w := v
			w.ToggleWrap()
			b.ReportAllocs()
			for b.Loop() {
				w.moveTo(0)
				_ = w.View()
				w.moveTo(n - 1)
				_ = w.View()
			}
		})
		b.Run(fmt.Sprintf("scroll/n=%d", n), func(b *testing.B) {
			w := v
			w.moveTo(n / 2)
			up := tea.KeyPressMsg{Code: tea.KeyUp}
			b.ReportAllocs()
			for b.Loop() {
				if w.cursor == 0 {
					w.moveTo(n - 1)
				}
				w, _ = w.Update(up)
				_ = w.View()
			}
		})
	}
}
