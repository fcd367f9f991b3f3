package session

// Lhlo builds "LHLO domain": LMTP's EHLO (RFC 2033 section 4.1), answered
// as EHLO is, with the server's extensions.
func Lhlo(domain string) (string, error) { return hello("LHLO", domain) }

// DataReplies is how many replies answer the end of a message: one in
// SMTP; in LMTP one for each recipient accepted, in the order of their
// RCPT commands (RFC 2033 section 4.2).
func DataReplies(lmtp bool, accepted int) int {
	if lmtp {
		return accepted
	}
	return 1
}

// Delivery is one recipient's reply after an LMTP message: whether the
// server delivered to it.
type Delivery struct {
	Rcpt  string // the address, as RCPT TO gave it
	Reply Reply
}

// Delivered reports a 2xx: the message was delivered to this recipient
// (RFC 2033 section 4.2). 4xx and 5xx are failures for it alone.
func (d Delivery) Delivered() bool { return d.Reply.Class() == ClassPositive }

// AllDelivered reports whether every recipient's reply says delivered; no
// reply at all is not a delivery.
func AllDelivered(ds []Delivery) bool {
	if len(ds) == 0 {
		return false
	}
	for _, d := range ds {
		if !d.Delivered() {
			return false
		}
	}
	return true
}
