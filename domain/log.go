package domain

import (
	"context"
	"sync"
	"time"

	"github.com/ehlo-sh/ehlo/dns"
)

// Query is one DNS question asked while examining a domain, with its
// answer or why none came.
type Query struct {
	Name   string
	Type   uint16
	Start  time.Time
	Took   time.Duration
	Answer *dns.Answer // nil when Err is set
	Err    error
}

// Log is a dns.Resolver that remembers every question and its answer, in
// the order asked, and asks each question once: a name's addresses wanted
// twice (an MX host that is also the policy host) cost one query. It is
// safe for concurrent use.
type Log struct {
	r       dns.Resolver
	mu      sync.Mutex
	queries []Query
	asked   map[question]*pending
}

type question struct {
	name  string
	qtype uint16
}

type pending struct {
	done chan struct{}
	q    Query
}

// NewLog records what r is asked.
func NewLog(r dns.Resolver) *Log { return &Log{r: r, asked: map[question]*pending{}} }

// Lookup asks r, unless the same question was asked already.
func (l *Log) Lookup(ctx context.Context, name string, qtype uint16) (*dns.Answer, error) {
	key := question{name, qtype}
	l.mu.Lock()
	if p, ok := l.asked[key]; ok {
		l.mu.Unlock()
		select {
		case <-p.done:
			return p.q.Answer, p.q.Err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	p := &pending{done: make(chan struct{})}
	l.asked[key] = p
	l.mu.Unlock()

	start := time.Now()
	a, err := l.r.Lookup(ctx, name, qtype)
	p.q = Query{Name: name, Type: qtype, Start: start, Took: time.Since(start), Answer: a, Err: err}
	if a == nil && err == nil {
		p.q.Err = errNoAnswer
	}
	close(p.done)
	l.mu.Lock()
	l.queries = append(l.queries, p.q)
	l.mu.Unlock()
	return p.q.Answer, p.q.Err
}

// Queries are the questions asked so far, in the order they were answered.
func (l *Log) Queries() []Query {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Query(nil), l.queries...)
}
