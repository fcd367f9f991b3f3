package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ehlo-sh/ehlo/internal/hostile"
)

// TestSendBDATExitCodes: a refused BDAT chunk exits as DATA's refusals
// do: the reply to the last chunk (the whole message in one) with 11, as
// after ".", a chunk before the last with 10, as DATA refused; and
// --body-mode bdat to a server without CHUNKING with 8, before MAIL.
func TestSendBDATExitCodes(t *testing.T) {
	ca := caFile(t)
	big := sendTempFile(t, "big.txt", strings.Repeat("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef012345678\n", 20000))
	tests := []struct {
		scenario string
		args     []string
		code     int
		step     string
		want     string
	}{
		{"bdat-refused", nil, exitDataEnd, "end of data", "the message refused: 554 5.7.1 this chunk is refused"},
		{"bdat-refused", []string{"--body", "@" + big}, exitData, "DATA", "BDAT 1048576 refused: 554 5.7.1"},
		{"no-answer-to-dot", nil, exitMail, "MAIL", "does not offer CHUNKING"},
	}
	for _, tt := range tests {
		t.Run(tt.scenario+strings.Join(tt.args, ""), func(t *testing.T) {
			for _, asJSON := range []bool{false, true} {
				srv := hostile.Start(t, hostile.Load(tt.scenario))
				args := append(append(sendArgs(srv.Addr, ca), "--body-mode", "bdat"), tt.args...)
				if asJSON {
					args = append(args, "--json")
				}
				res := runCLI(context.Background(), t, "", args...)
				res.check(t, nil)
				if res.code != tt.code || !strings.Contains(res.all(), tt.want) {
					t.Errorf("json %v: exit %d, want %d with %q:\n%s", asJSON, res.code, tt.code, tt.want, res.all())
				}
				if !asJSON {
					continue
				}
				var v struct {
					BodyMode   string `json:"body_mode"`
					FailedStep string `json:"failed_step"`
					Delivered  bool   `json:"delivered"`
				}
				if err := json.Unmarshal([]byte(res.stdout), &v); err != nil {
					t.Fatal(err)
				}
				if v.FailedStep != tt.step || v.Delivered || (tt.code != exitMail && v.BodyMode != "BDAT") {
					t.Errorf("JSON: %+v", v)
				}
			}
		})
	}
	if code, _, errOut := run(t, "send", "--lab", "--body-mode", "chunks"); code != exitUsage || !strings.Contains(errOut, "--body-mode") {
		t.Errorf("--body-mode chunks: exit %d: %s", code, errOut)
	}
}

// TestSendBDATLab: the lab offers CHUNKING: --body-mode bdat delivers
// there, and says how.
func TestSendBDATLab(t *testing.T) {
	code, out, errOut := run(t, "send", "--lab", "--body-mode", "bdat", "--body", "Hello.\n.a dot line\n")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"C~ BDAT ", " LAST\n", "C~ .a dot line\n", "with BDAT in 1 chunk", "result    delivered: 250 2.0.0 OK: queued", "  | .a dot line"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
