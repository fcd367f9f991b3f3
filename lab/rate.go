package lab

import (
	"sync"
	"time"
)

// rateLimit counts each client address's MAIL commands in the last minute,
// as Postfix's anvil does for smtpd_client_message_rate_limit.
type rateLimit struct {
	now  func() time.Time
	mu   sync.Mutex
	seen map[string][]time.Time
}

func newRateLimit(now func() time.Time) *rateLimit {
	if now == nil {
		now = time.Now
	}
	return &rateLimit{now: now, seen: make(map[string][]time.Time)}
}

// allow records one more message from client and reports whether it is
// within perMinute in the last minute.
func (r *rateLimit) allow(client string, perMinute int) bool {
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	var recent []time.Time
	for _, t := range r.seen[client] {
		if now.Sub(t) < time.Minute {
			recent = append(recent, t)
		}
	}
	if len(recent) >= perMinute {
		r.seen[client] = recent
		return false
	}
	r.seen[client] = append(recent, now)
	return true
}
