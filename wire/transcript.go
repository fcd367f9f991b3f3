package wire

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Dir says who an Entry came from.
type Dir uint8

const (
	Client Dir = iota + 1 // bytes ehlo sent
	Server                // bytes the server sent
	Note                  // ehlo's own remark, not on the wire
	DNS                   // a DNS question and its answer, summarized (Transcript.DNS): not on this connection
)

// String returns "C", "S", "*" or "D".
func (d Dir) String() string {
	switch d {
	case Client:
		return "C"
	case Server:
		return "S"
	case Note:
		return "*"
	case DNS:
		return "D"
	}
	return "?"
}

// Entry is one line of a Transcript. Entries are never changed once
// recorded: do not modify Data.
type Entry struct {
	Seq     int       // 0, 1, 2, ... in recording order
	Time    time.Time // when the line's last byte crossed the socket
	Dir     Dir
	TLS     bool   // the bytes travelled inside TLS (they are recorded as plaintext)
	Data    []byte // exact bytes including the line ending; for a Note, the text
	Secret  bool   // Data holds a credential (sent, or echoed: see Transcript.Hide): display Shown instead
	Shown   string // display form of a Secret entry, without line ending
	Partial bool   // no line ending: the peer closed, the stream switched, the line was cut at 4096 bytes, or a chunk of Payload ended
	// Payload marks message data sent after a BDAT line (RFC 3030,
	// Conn.WriteChunk): octets the command counted, not a line of the
	// protocol.
	Payload bool
	// Verdict is, on the note of a TLS handshake that got the server's
	// certificate, what WebPKI verification said of it, whether the
	// handshake completed (TLS true: verified, or --insecure, or a DANE
	// match) or stopped there (TLS false); NoVerdict on every other entry.
	Verdict Verdict
}

// Transcript records every byte of a connection as line entries, in order.
// It is safe for concurrent use. Several connections may share one.
type Transcript struct {
	mu         sync.Mutex
	entries    []Entry
	subs       []*subscriber
	watchers   []chan struct{}
	delivered  int      // entries handed to subscribers
	delivering bool     // a goroutine is handing them out
	secrets    []string // hidden wherever they appear: see Hide
}

type subscriber struct {
	fn     func(Entry)
	from   int // first Seq it gets
	active atomic.Bool
}

// NewTranscript returns an empty transcript.
func NewTranscript() *Transcript { return &Transcript{} }

// Entries returns a copy of all entries.
func (t *Transcript) Entries() []Entry { return t.Since(0) }

// Since returns a copy of the entries with Seq >= seq.
func (t *Transcript) Since(seq int) []Entry {
	t.mu.Lock()
	defer t.mu.Unlock()
	seq = max(seq, 0)
	if seq >= len(t.entries) {
		return nil
	}
	return slices.Clone(t.entries[seq:])
}

// Len returns the number of entries.
func (t *Transcript) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.entries)
}

// Note records a remark of ehlo's own.
func (t *Transcript) Note(text string) { t.note(text, false) }

// note records a remark made while the connection was or was not in TLS.
func (t *Transcript) note(text string, inTLS bool) {
	t.append(Entry{Time: time.Now(), Dir: Note, TLS: inTLS, Data: []byte(text)})
	t.deliver()
}

// noteVerdict records the note of a handshake and its certificate's verdict.
func (t *Transcript) noteVerdict(text string, inTLS bool, v Verdict) {
	t.append(Entry{Time: time.Now(), Dir: Note, TLS: inTLS, Data: []byte(text), Verdict: v})
	t.deliver()
}

// DNS records a DNS exchange as one line of text: the question and a
// summary of its answer, which may hold the answer's data unsanitized, as
// a Server entry holds the server's bytes.
func (t *Transcript) DNS(line string) {
	t.append(Entry{Time: time.Now(), Dir: DNS, Data: []byte(line)})
	t.deliver()
}

// Bytes returns the concatenated Data of one direction's entries: for Client
// and Server, exactly the bytes that crossed the socket in that direction.
func (t *Transcript) Bytes(d Dir) []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	var b []byte
	for _, e := range t.entries {
		if e.Dir == d {
			b = append(b, e.Data...)
		}
	}
	return b
}

// Subscribe calls fn for each entry recorded from now on, in Seq order, one
// call at a time, outside the transcript's lock, on a goroutine that records
// entries. fn may read the transcript and record notes. After cancel
// returns, fn is not called again, though a call under way may finish.
func (t *Transcript) Subscribe(fn func(Entry)) (cancel func()) {
	s := &subscriber{fn: fn}
	s.active.Store(true)
	t.mu.Lock()
	s.from = len(t.entries)
	t.subs = append(t.subs, s)
	t.mu.Unlock()
	return func() {
		s.active.Store(false)
		t.mu.Lock()
		t.subs = slices.DeleteFunc(t.subs, func(x *subscriber) bool { return x == s })
		t.mu.Unlock()
	}
}

// Watch returns a channel that receives a value, without blocking the
// recorder, whenever entries were added: notifications coalesce, so a slow
// reader (a TUI repainting) reads Since from where it stopped. cancel
// closes the channel, so a goroutine waiting on it ends.
func (t *Transcript) Watch() (changed <-chan struct{}, cancel func()) {
	ch := make(chan struct{}, 1)
	t.mu.Lock()
	t.watchers = append(t.watchers, ch)
	t.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			t.mu.Lock()
			t.watchers = slices.DeleteFunc(t.watchers, func(x chan struct{}) bool { return x == ch })
			t.mu.Unlock()
			close(ch) // no sender holds it now: append sends under t.mu
		})
	}
}

// append adds e, numbering it and redacting it (Hide), and pokes the
// watchers. Subscribers get it from deliver, which the caller runs once it
// holds no lock.
func (t *Transcript) append(e Entry) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.redactEntry(&e)
	e.Seq = len(t.entries)
	t.entries = append(t.entries, e)
	for _, ch := range t.watchers {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// deliver hands undelivered entries to the subscribers in order. Only one
// goroutine delivers at a time; the others leave their entries to it, so
// order holds and a subscriber that records a note does not deadlock.
func (t *Transcript) deliver() {
	t.mu.Lock()
	if t.delivering {
		t.mu.Unlock()
		return
	}
	t.delivering = true
	for t.delivered < len(t.entries) && len(t.subs) > 0 {
		e := t.entries[t.delivered]
		t.delivered++
		subs := slices.Clone(t.subs)
		t.mu.Unlock()
		callAll(subs, e)
		t.mu.Lock()
	}
	t.delivered = len(t.entries)
	t.delivering = false
	t.mu.Unlock()
}

// callAll calls each active subscriber that wants e.
func callAll(subs []*subscriber, e Entry) {
	for _, s := range subs {
		if e.Seq >= s.from && s.active.Load() {
			s.fn(e)
		}
	}
}
