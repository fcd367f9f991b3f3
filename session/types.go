package session

import "fmt"

// Reply is one parsed server reply (RFC 5321 section 4.2).
type Reply struct {
	Code     int          // three-digit reply code
	Enhanced EnhancedCode // RFC 3463 code of the first line; zero when absent
	// Lines holds the text of each line after the code and its separator,
	// with a leading enhanced status code removed when it equals Enhanced.
	Lines []string
	// Raw holds each line as received, code and all, without its line
	// ending: what evidence quotes. ParseReply sets it; it is nil in a
	// Reply built by hand, whose lines are then rebuilt from the parts.
	Raw []string
}

// EnhancedCode is an RFC 3463 enhanced status code, class.subject.detail.
type EnhancedCode struct {
	Class, Subject, Detail int
}

// IsZero reports whether the code is absent.
func (e EnhancedCode) IsZero() bool { return e == EnhancedCode{} }

// String formats the code as "5.7.0", or "" when it is absent.
func (e EnhancedCode) String() string {
	if e.IsZero() {
		return ""
	}
	return fmt.Sprintf("%d.%d.%d", e.Class, e.Subject, e.Detail)
}
