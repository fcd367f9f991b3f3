package ui

import (
	"fmt"
	"strings"
	"testing"

	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"

	"github.com/ehlo-sh/ehlo/wire"
)

// BenchmarkModelEntriesFrame measures one frame of the whole explorer at
// 120x40, as the program runs it: the root Model's Update with a batch of 8
// new transcript entries (one EHLO exchange, as the watcher delivers it),
// then View, for transcripts of 1e3, 1e5 and 1e6 entries. The side panel,
// input line, status and help are rendered too. Flat ns/op across the sizes
// means the frame does not grow with the transcript.
func BenchmarkModelEntriesFrame(b *testing.B) {
	const batch = 8
	for _, n := range []int{1e3, 1e5, 1e6} {
		m, err := New(Config{Target: "mx.example:25", Theme: "dark"})
		if err != nil {
			b.Fatal(err)
		}
		defer m.Close()
		tm, _ := m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
		m = tm.(Model)
		for i := range n {
			m.transcript.Append(trBenchEntry(i))
		}
		m.seq = n
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			w := m // appends go to a copy's chunks; m is only read
			w.transcript.chunks = append([][]trRow(nil), m.transcript.chunks...)
			next := n
			msg := entriesMsg{entries: make([]wire.Entry, batch)}
			b.ReportAllocs()
			for b.Loop() {
				for i := range msg.entries {
					msg.entries[i] = trBenchEntry(next + i)
				}
				next += batch
				tm, _ := w.Update(msg)
				w = tm.(Model)
				_ = w.View()
			}
		})
	}
}

// BenchmarkPasteInData measures a message pasted in DATA going out line by
// line, as the explorer sends it (each line a write, completed at once by
// the test's fake connection): time per line, for pastes of 1e3 and 1e4
// lines. Flat per-line time means a paste costs in proportion to its length;
// it did not while each message scanned the whole queue for an AUTH.
func BenchmarkPasteInData(b *testing.B) {
	line := strings.Repeat("x", 78) + "\n"
	for _, n := range []int{1e3, 1e4} {
		b.Run(fmt.Sprintf("lines=%d", n), func(b *testing.B) {
			paste := tea.PasteMsg{Content: strings.Repeat(line, n)}
			for b.Loop() {
				s := dataSim(b)
				s.send(paste)
				s.flush()
				if s.link.count() != n {
					b.Fatalf("wrote %d lines of %d", s.link.count(), n)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/line")
		})
	}
}
