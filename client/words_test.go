package client

import (
	"errors"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/ehlo-sh/ehlo/wire"
)

// TestExplainInAPersonsWords: the sentence a person reads names the step
// and the cause once, without the package names wrapping adds.
func TestExplainInAPersonsWords(t *testing.T) {
	step := func(s string, err error) error { return &StepError{Step: s, Err: err} }
	for _, tc := range []struct {
		err  error
		want string
	}{
		{step(StepStartTLS, fmt.Errorf("STARTTLS: %w", &wire.TimeoutError{Op: "starttls", After: 300 * time.Millisecond})),
			"STARTTLS: the TLS handshake did not finish within 300ms (the --timeout deadline)"},
		{step(StepHello, fmt.Errorf("EHLO: %w", &wire.LimitError{What: "lines", Limit: 256})),
			"EHLO: reply longer than 256 lines"},
		{step(StepHello, fmt.Errorf("EHLO: wire: exchange: %w", syscall.ECONNRESET)),
			"EHLO: the server reset the connection"},
		{step("BDAT", fmt.Errorf("wire: exchange: %w", syscall.EPIPE)),
			"BDAT: the server closed the connection while ehlo was still sending"},
		{step(StepAuth, errors.New("session: unexpected AUTH challenge: PLAIN has sent everything")),
			"AUTH: unexpected AUTH challenge: PLAIN has sent everything"},
		{errors.New("wire: bad target \"x y\": bad host \"x y\""), `bad target "x y": bad host "x y"`},
		// no reply after the message: it may have been taken, whatever stopped the wait
		{step(StepDataEnd, &UnansweredError{Err: &wire.TimeoutError{Op: "read reply", After: time.Second}}),
			`end of data: no reply to the final ".": no reply within 1s (the --timeout deadline); the message may still be delivered, so sending it again may duplicate it`},
		{step(StepDataEnd, &UnansweredError{Err: fmt.Errorf("BDAT 10 LAST: %w", &wire.ClosedError{}), What: lastChunk}),
			"end of data: no reply to the last BDAT chunk: the server closed the connection; the message may still be delivered, so sending it again may duplicate it"},
		{step(StepStartTLS, fmt.Errorf("STARTTLS: %w", &wire.VerifyError{Err: &wire.CheckError{Result: wire.CheckResult{Name: "DANE", Detail: "no record matched"}}})),
			"the certificate failed the DANE check, which is required: no record matched; the session stopped before anything was sent in TLS"},
	} {
		got := Explain(tc.err)
		if got != tc.want {
			t.Errorf("Explain(%q)\n = %q\nwant %q", tc.err, got, tc.want)
		}
	}
}
