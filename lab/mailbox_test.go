package lab

import (
	"strconv"
	"testing"
)

func TestMailboxKeepsTheLatest(t *testing.T) {
	var b mailbox
	for i := range maxMessages + 5 {
		b.add(Message{From: strconv.Itoa(i)})
	}
	msgs := b.list()
	if len(msgs) != maxMessages {
		t.Fatalf("%d messages, want %d", len(msgs), maxMessages)
	}
	if first, last := msgs[0].From, msgs[len(msgs)-1].From; first != "5" || last != strconv.Itoa(maxMessages+4) {
		t.Errorf("kept %s..%s, want 5..%d", first, last, maxMessages+4)
	}
}
