package lab

import (
	"bytes"
	"mime"
	"net/mail"
	"slices"
	"sync"
	"time"
)

// maxMessages bounds the mailbox: older messages are dropped first.
const maxMessages = 1000

// Message is one message the lab accepted: the envelope (RFC 5321 MAIL and
// RCPT) and the data exactly as received after dot-unstuffing.
type Message struct {
	Endpoint string    // endpoint name, "submission"
	From     string    // reverse-path, "" for the null sender <>
	To       []string  // forward-paths, in RCPT order
	Data     []byte    // header and body (RFC 5322)
	User     string    // authenticated user, "" without AUTH
	Received time.Time // when the final "." or BDAT LAST arrived
}

// Subject returns the decoded Subject header (RFC 2047 words decoded), or ""
// when the data has none or no parsable header.
func (m Message) Subject() string {
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		return ""
	}
	s := msg.Header.Get("Subject")
	if dec, err := new(mime.WordDecoder).DecodeHeader(s); err == nil {
		return dec
	}
	return s
}

// clone returns m with its own To and Data.
func (m Message) clone() Message {
	m.To = slices.Clone(m.To)
	m.Data = bytes.Clone(m.Data)
	return m
}

// mailbox holds the most recent messages, oldest first.
type mailbox struct {
	mu   sync.Mutex
	msgs []Message
}

// add stores m, dropping the oldest message once maxMessages are held.
func (b *mailbox) add(m Message) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.msgs) == maxMessages {
		n := copy(b.msgs, b.msgs[1:])
		b.msgs[n] = Message{}
		b.msgs = b.msgs[:n]
	}
	b.msgs = append(b.msgs, m)
}

// list returns a deep copy of the messages, oldest first.
func (b *mailbox) list() []Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]Message, len(b.msgs))
	for i, m := range b.msgs {
		out[i] = m.clone()
	}
	return out
}
