package ui

import "github.com/ehlo-sh/ehlo/session"

// outbox is the queue of lines waiting for their turn. It counts the AUTH
// commands in it as they come and go, so that inAuth, asked after every
// message, does not scan a pasted message of thousands of lines each time
// (a 20,000-line paste in DATA took minutes).
type outbox struct {
	items []outItem
	auths int // items whose verb is AUTH
}

func isAuth(it outItem) bool { return session.Verb(it.line) == "AUTH" }

func (q outbox) len() int       { return len(q.items) }
func (q outbox) hasAuth() bool  { return q.auths > 0 }
func (q outbox) front() outItem { return q.items[0] }

// push adds items at the end.
func (q *outbox) push(items ...outItem) {
	for _, it := range items {
		if isAuth(it) {
			q.auths++
		}
	}
	q.items = append(q.items, items...)
}

// pushFront puts it before every queued item.
func (q *outbox) pushFront(it outItem) {
	if isAuth(it) {
		q.auths++
	}
	q.items = append([]outItem{it}, q.items...)
}

// pop removes and returns the first item.
func (q *outbox) pop() outItem {
	it := q.items[0]
	q.items = q.items[1:]
	if isAuth(it) {
		q.auths--
	}
	return it
}
