package tea

// ehlo patch: the render loop ticks only while there is something to draw.

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is an output the test can read while the program writes.
type syncBuffer struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes int
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.writes++
	return b.buf.Write(p)
}

func (b *syncBuffer) Writes() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.writes
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type labelMsg string

// labelModel shows a label, which a labelMsg replaces; it schedules nothing.
type labelModel struct{ label string }

func (m labelModel) Init() Cmd { return nil }

func (m labelModel) Update(msg Msg) (Model, Cmd) {
	if l, ok := msg.(labelMsg); ok {
		m.label = string(l)
	}
	return m, nil
}

func (m labelModel) View() View { return NewView(m.label) }

// eventually waits, up to an absolute deadline, for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestRendererStopsTickingWhenIdle(t *testing.T) {
	out := &syncBuffer{}
	p := NewProgram(labelModel{label: "first frame"},
		WithInput(nil), WithOutput(out), WithoutSignals(), WithWindowSize(40, 5))
	done := make(chan error, 1)
	go func() { _, err := p.Run(); done <- err }()

	eventually(t, "the first frame", func() bool { return strings.Contains(out.String(), "first frame") })
	eventually(t, "the ticker to stop once nothing changes", func() bool { return !p.renderTicking.Load() })

	// A new view after the idle stretch is drawn, and the ticker stops again.
	p.Send(labelMsg("second frame"))
	eventually(t, "the frame after idleness", func() bool { return strings.Contains(out.String(), "second frame") })
	eventually(t, "the ticker to stop again", func() bool { return !p.renderTicking.Load() })

	// Output queued without a new view (here a clipboard write) is
	// written too.
	p.Send(SetClipboard("copied")())
	eventually(t, "the clipboard sequence", func() bool { return strings.Contains(out.String(), "52;c;") })
	eventually(t, "the ticker to stop after it", func() bool { return !p.renderTicking.Load() })

	p.Quit()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestRendererCoalescesABurst(t *testing.T) {
	out := &syncBuffer{}
	p := NewProgram(labelModel{label: "start"},
		WithInput(nil), WithOutput(out), WithoutSignals(), WithWindowSize(40, 5), WithFPS(10))
	done := make(chan error, 1)
	go func() { _, err := p.Run(); done <- err }()
	eventually(t, "the first frame", func() bool { return strings.Contains(out.String(), "start") })
	eventually(t, "idleness", func() bool { return !p.renderTicking.Load() })

	// The first view after idleness is drawn at once; the rest of the
	// burst arrives within one tick (100 ms at 10 fps) and is drawn
	// together on the ticks that follow, not a frame a view.
	before := out.Writes()
	// (Each label differs from the one before in every cell, so that the
	// renderer, which writes only what changed, writes all of the last.)
	for i := range 50 {
		p.Send(labelMsg(strings.Repeat(string(rune('a'+i%25)), 8)))
	}
	p.Send(labelMsg("zzzzzzzz"))
	eventually(t, "the burst's last view", func() bool { return strings.Contains(out.String(), "zzzzzzzz") })
	eventually(t, "idleness after the burst", func() bool { return !p.renderTicking.Load() })
	if n := out.Writes() - before; n > 10 {
		t.Errorf("%d writes for a burst of 50 views at 10 fps; want them coalesced", n)
	}
	p.Quit()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
