package wire

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
)

// randomStream returns n bytes of lines of random lengths, some longer than
// maxEntry, some bare LF, some CRLF, and maybe no final LF.
func randomStream(rng *rand.Rand, n int) []byte {
	var b []byte
	for len(b) < n {
		size := rng.IntN(200)
		if rng.IntN(10) == 0 {
			size = rng.IntN(3 * maxEntry)
		}
		for range size {
			b = append(b, byte(rng.IntN(256)&^0x0a|0x20)) // no LF inside
		}
		if rng.IntN(2) == 0 {
			b = append(b, '\r')
		}
		b = append(b, '\n')
	}
	return b[:n]
}

// checkEntries checks the shape of every entry of one direction.
func checkEntries(t *testing.T, entries []Entry, d Dir) {
	t.Helper()
	for _, e := range entries {
		if e.Dir != d {
			continue
		}
		lfs := bytes.Count(e.Data, []byte("\n"))
		switch {
		case len(e.Data) == 0 || len(e.Data) > maxEntry:
			t.Errorf("entry %d holds %d bytes", e.Seq, len(e.Data))
		case e.Partial && lfs != 0:
			t.Errorf("partial entry %d holds an LF", e.Seq)
		case !e.Partial && (lfs != 1 || e.Data[len(e.Data)-1] != '\n'):
			t.Errorf("entry %d is not one line: %q", e.Seq, e.Data)
		}
	}
}

func TestRecorderKeepsEveryByte(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 50 {
		tr := NewTranscript()
		rec := newRecorder(tr, Server)
		want := randomStream(rng, rng.IntN(20000))
		for p := want; len(p) > 0; {
			n := min(len(p), 1+rng.IntN(5000))
			rec.record(p[:n])
			p = p[n:]
		}
		rec.flush()
		if got := tr.Bytes(Server); !bytes.Equal(got, want) {
			t.Fatalf("recorded %d bytes, sent %d; not equal", len(got), len(want))
		}
		checkEntries(t, tr.Entries(), Server)
		for i, e := range tr.Entries() {
			if e.Seq != i {
				t.Fatalf("entry %d has Seq %d", i, e.Seq)
			}
		}
	}
}

func TestRecorderCutsLongLines(t *testing.T) {
	tr := NewTranscript()
	rec := newRecorder(tr, Client)
	rec.record(bytes.Repeat([]byte("a"), maxEntry+10))
	rec.record([]byte("b\r\nc"))
	rec.flush()
	var sizes []int
	var partial []bool
	for _, e := range tr.Entries() {
		sizes, partial = append(sizes, len(e.Data)), append(partial, e.Partial)
	}
	if !slices.Equal(sizes, []int{maxEntry, 13, 1}) || !slices.Equal(partial, []bool{true, false, true}) {
		t.Errorf("sizes %v partial %v", sizes, partial)
	}
}

// TestTranscriptEqualsWire checks the transcript against the bytes that
// really crossed a loopback socket, both ways.
func TestTranscriptEqualsWire(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	fromServer := randomStream(rng, 100_000)
	fromClient := randomStream(rng, 50_000)
	s := startServer(t, func(p *peer) {
		srng := rand.New(rand.NewPCG(5, 6))
		if _, err := io.CopyN(&p.got, p.br, int64(len(fromClient))); err != nil {
			return
		}
		for b := fromServer; len(b) > 0; {
			n := min(len(b), 1+srng.IntN(3000))
			p.send(string(b[:n]))
			b = b[n:]
		}
	})
	c := dialTest(t, s, Options{Limits: Limits{MaxLine: 1 << 20, MaxReply: 1 << 20}})
	for b := fromClient; len(b) > 0; {
		n := min(len(b), 1+rng.IntN(3000))
		if err := c.WriteRaw(ctx, b[:n]); err != nil {
			t.Fatal(err)
		}
		b = b[n:]
	}
	for {
		_, err := c.ReadReply(ctx)
		var ce *ClosedError
		if errors.As(err, &ce) {
			break
		}
		var pe *ProtocolError
		if err != nil && !errors.As(err, &pe) {
			t.Fatal(err)
		}
	}
	c.Close()
	gotClient := s.wait()
	tr := c.Transcript()
	if got := tr.Bytes(Server); !bytes.Equal(got, fromServer) {
		t.Errorf("server bytes: recorded %d, sent %d, not equal", len(got), len(fromServer))
	}
	if got := tr.Bytes(Client); !bytes.Equal(got, fromClient) || gotClient != string(fromClient) {
		t.Errorf("client bytes: recorded %d, sent %d, received %d", len(got), len(fromClient), len(gotClient))
	}
	checkEntries(t, tr.Entries(), Server)
	checkEntries(t, tr.Entries(), Client)
}

func TestCloseFlushesPartialLine(t *testing.T) {
	done := make(chan struct{})
	s := startServer(t, func(p *peer) {
		p.send("250 ok\r\nabc")
		<-done
	})
	c := dialTest(t, s, Options{})
	if _, err := c.ReadReply(ctx); err != nil {
		t.Fatal(err)
	}
	c.Close()
	close(done)
	const want = "S    \"250 ok\\r\\n\"\nS ~  \"abc\"\n"
	if got := render(c.Transcript().Entries()); got != want {
		t.Errorf("transcript:\n%s\nwant:\n%s", got, want)
	}
}

func TestPeerClosesMidReply(t *testing.T) {
	s := startServer(t, func(p *peer) {
		p.send("250-mx.example.com\r\n250-SIZE")
	})
	c := dialTest(t, s, Options{})
	r, err := c.ReadReply(ctx)
	var ce *ClosedError
	if !errors.As(err, &ce) || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v, want a ClosedError wrapping io.ErrUnexpectedEOF", err)
	}
	if string(ce.Partial) != "250-mx.example.com\r\n250-SIZE" || len(r.Lines) != 1 {
		t.Errorf("Partial %q, Lines %q", ce.Partial, r.Lines)
	}
	const want = "S    \"250-mx.example.com\\r\\n\"\nS ~  \"250-SIZE\"\n"
	if got := render(c.Transcript().Entries()); got != want {
		t.Errorf("transcript:\n%s\nwant:\n%s", got, want)
	}
}

func TestSubscribe(t *testing.T) {
	tr := NewTranscript()
	tr.Note("before")
	var got []string
	cancel := tr.Subscribe(func(e Entry) {
		got = append(got, string(e.Data))
		if string(e.Data) == "b" {
			tr.Note("from inside") // must not deadlock, and comes after "b"
		}
	})
	tr.Note("a")
	tr.Note("b")
	tr.Note("c")
	cancel()
	tr.Note("after")
	want := []string{"a", "b", "from inside", "c"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestSubscribeOrderUnderConcurrency(t *testing.T) {
	tr := NewTranscript()
	var mu sync.Mutex
	var seqs []int
	cancel := tr.Subscribe(func(e Entry) {
		mu.Lock()
		seqs = append(seqs, e.Seq)
		mu.Unlock()
	})
	defer cancel()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			rec := newRecorder(tr, Server)
			for range 100 {
				rec.record([]byte("250 ok\r\n"))
			}
		})
	}
	wg.Wait()
	tr.deliver()
	mu.Lock()
	defer mu.Unlock()
	if len(seqs) != 800 || !slices.IsSorted(seqs) || seqs[0] != 0 || seqs[799] != 799 {
		t.Errorf("got %d deliveries, sorted=%v", len(seqs), slices.IsSorted(seqs))
	}
}

func TestWatchCoalesces(t *testing.T) {
	tr := NewTranscript()
	changed, cancel := tr.Watch()
	select {
	case <-changed:
		t.Fatal("notified before any entry")
	default:
	}
	tr.Note("a")
	tr.Note("b")
	tr.Note("c")
	<-changed
	select {
	case <-changed:
		t.Fatal("three appends gave more than one pending notification")
	default:
	}
	if n := len(tr.Since(1)); n != 2 {
		t.Errorf("Since(1) has %d entries, want 2", n)
	}
	cancel()
	tr.Note("d")
	if _, ok := <-changed; ok { // closed, so a waiting goroutine ends
		t.Fatal("notified after cancel")
	}
	cancel() // a second cancel is harmless
}

func TestTranscriptAccessors(t *testing.T) {
	tr := NewTranscript()
	tr.Note("one")
	tr.Note("two")
	tr.DNS("MX example.org. → NXDOMAIN")
	if e := tr.Since(2); len(e) != 1 || e[0].Dir != DNS || string(e[0].Data) != "MX example.org. → NXDOMAIN" {
		t.Errorf("after DNS: %+v, want one D entry with the line", e)
	}
	if tr.Len() != 3 || tr.Since(5) != nil || len(tr.Since(-1)) != 3 || string(tr.Bytes(Note)) != "onetwo" {
		t.Errorf("Len %d, Since(5) %v, Since(-1) %d, Bytes(Note) %q", tr.Len(), tr.Since(5), len(tr.Since(-1)), tr.Bytes(Note))
	}
	for d, want := range map[Dir]string{Client: "C", Server: "S", Note: "*", DNS: "D", 0: "?"} {
		if d.String() != want {
			t.Errorf("Dir(%d).String() = %q, want %q", d, d.String(), want)
		}
	}
}
