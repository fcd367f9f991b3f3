package lab

import (
	"strings"
	"sync"
	"time"
)

// GreylistDelay is how long the greylist endpoint makes a new sender and
// recipient wait: a retry this long after the first attempt passes
// (RFC 6647 section 2.1; postgrey waits 5 minutes by default, the lab one).
const GreylistDelay = time.Minute

// greylist remembers when each (client, sender, recipient) triplet was
// first seen.
type greylist struct {
	now  func() time.Time
	mu   sync.Mutex
	seen map[string]time.Time
}

func newGreylist(now func() time.Time) *greylist {
	if now == nil {
		now = time.Now
	}
	return &greylist{now: now, seen: make(map[string]time.Time)}
}

// pass reports whether the triplet may pass: first seen at least
// GreylistDelay ago, which it returns. A triplet seen for the first time
// is recorded and refused.
func (g *greylist) pass(client, from, to string) (bool, time.Duration) {
	key := client + "\x00" + strings.ToLower(from) + "\x00" + strings.ToLower(to)
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	first, ok := g.seen[key]
	if !ok {
		g.seen[key] = now
		return false, 0
	}
	return now.Sub(first) >= GreylistDelay, now.Sub(first)
}
