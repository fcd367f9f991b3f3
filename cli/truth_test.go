package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ehlo-sh/ehlo/internal/hostile"
)

// TestHostileCLIProtocolErrors plays the scenarios of a reply whose lines
// carry different codes and of a server out of step against every command
// and output: probe, probe --json, doctor, doctor --json, send, send --json
// and run. Each names the protocol error, exits with the code of the step
// it broke (never 0), keeps every byte it read in the printed transcript,
// shows no secret, and ends well within its deadline.
func TestHostileCLIProtocolErrors(t *testing.T) {
	ca := caFile(t)
	dir := t.TempDir()
	// early: the server breaks before AUTH, so credentials are given (and
	// must never go); late: no AUTH is offered, and the session goes on to
	// the message
	scripts := map[bool]string{true: filepath.Join(dir, "early.ehlo"), false: filepath.Join(dir, "late.ehlo")}
	for early, text := range map[bool]string{
		true: "EHLO client.test\nexpect 250\n:auth PLAIN alice\nexpect 235\nQUIT\n",
		false: "EHLO client.test\nexpect 250\nMAIL FROM:<a@client.test>\nexpect 250\n" +
			"RCPT TO:<b@mx.hostile.test>\nexpect 250\nDATA\nexpect 354\nhello\n.\nexpect 250\nQUIT\n",
	} {
		if err := os.WriteFile(scripts[early], []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("EHLO_PASSWORD", cliPassword)
	sec := hostile.SecretsOf(cliUser, cliPassword)
	for _, tt := range []struct {
		scenario string
		problem  string // the protocol_error's problem
		send     int    // send's exit code
		early    bool   // the server breaks at the greeting or EHLO, which probe reaches too
		evidence string // a line every output quotes
	}{
		{"mixed-codes-ehlo", "mixed-codes", exitHello, true, "550 5.7.1 no"},
		{"mixed-codes-mail", "mixed-codes", exitMail, false, "550 5.1.0 no"},
		{"mixed-codes-dot", "mixed-codes", exitDataEnd, false, "554 5.7.1 rejected"},
		{"desync-greeting", "desync", exitBanner, true, "250 AUTH PLAIN LOGIN"},
		{"desync-extra-reply", "desync", exitHello, true, "250 2.0.0 OK"},
		{"desync-dot", "desync", exitDataEnd, false, "554 5.7.1 rejected after all"},
		{"unsolicited-421", "desync", exitBanner, true, "421 4.3.2"},
	} {
		t.Run(tt.scenario, func(t *testing.T) {
			hostile.CheckLeaks(t)
			srv := hostile.Start(t, hostile.Load(tt.scenario))
			run := func(stdin string, args ...string) cliResult {
				t.Helper()
				start := time.Now()
				res := runCLI(context.Background(), t, stdin, args...)
				if took := time.Since(start); took > 2*time.Second {
					t.Errorf("%s took %v: nothing here waits for a deadline", args[0], took)
				}
				res.check(t, &sec)
				return res
			}
			var cred []string // --user for send and doctor, where the server breaks before AUTH
			if tt.early {
				cred = []string{"--user", cliUser, "--password-stdin"}
			}
			// probe: where it never reaches the broken step, the scenario
			// does not answer its QUIT, hence a short --timeout
			timeout := "300ms"
			if tt.early {
				timeout = "3s"
			}
			probe := run("", "probe", srv.Addr, "--timeout", timeout, "--ca", ca, "--transcript")
			readsBack(t, srv, probe.stdout)
			pjs := run("", "probe", srv.Addr, "--timeout", timeout, "--ca", ca, "--json")
			var pv struct {
				ProtocolError *struct{ Problem string } `json:"protocol_error"`
			}
			if err := json.Unmarshal([]byte(pjs.stdout), &pv); err != nil {
				t.Fatalf("probe --json: %v\n%s", err, pjs.stdout)
			}
			switch {
			case tt.early && (probe.code != exitFailed || pjs.code != exitFailed):
				t.Errorf("probe exit %d, --json %d; want %d", probe.code, pjs.code, exitFailed)
			case tt.early && !strings.Contains(probe.all(), "protocol error") || tt.early && !strings.Contains(probe.all(), tt.evidence):
				t.Errorf("probe does not name the protocol error:\n%s", probe.all())
			case tt.early && (pv.ProtocolError == nil || pv.ProtocolError.Problem != tt.problem):
				t.Errorf("probe --json protocol_error %+v, want %s:\n%s", pv.ProtocolError, tt.problem, pjs.stdout)
			case !tt.early && (probe.code != 0 || pv.ProtocolError != nil):
				t.Errorf("probe never reaches the broken step, yet exit %d, protocol_error %+v", probe.code, pv.ProtocolError)
			}
			if tt.early && strings.Contains(probe.stdout, "EHLO before TLS") {
				t.Errorf("probe shows an EHLO reply that answers nothing:\n%s", probe.stdout)
			}

			// doctor
			doctorArgs := append([]string{"doctor", srv.Addr, "--timeout", "3s", "--greeting-wait", "2s", "--ca", ca,
				"--from", "a@client.test", "--to", "b@mx.hostile.test", "--send"}, cred...)
			doc := run(cliPassword+"\n", append(doctorArgs, "--transcript")...)
			readsBack(t, srv, doc.stdout)
			if doc.code != exitFailed || !strings.Contains(doc.stdout, tt.evidence) {
				t.Errorf("doctor exit %d, want %d and the evidence %q:\n%s", doc.code, exitFailed, tt.evidence, doc.all())
			}
			djs := run(cliPassword+"\n", append(doctorArgs, "--json")...)
			if djs.code != exitFailed || !strings.Contains(djs.stdout, `"id": "`+tt.problem+`"`) {
				t.Errorf("doctor --json exit %d, want finding %s:\n%s", djs.code, tt.problem, djs.stdout)
			}

			// send, with credentials: never sent after a desync
			file := filepath.Join(t.TempDir(), "t.txt")
			sendArgs := append(sendArgs(srv.Addr, ca), "--timeout", "3s")
			if tt.early {
				sendArgs = append(append(sendArgs, "--auth", "PLAIN"), cred...)
			}
			snd := run(cliPassword+"\n", append(sendArgs, "--transcript", file)...)
			snd.files["--transcript file"] = readFile(t, file)
			snd.check(t, &sec)
			readsBack(t, srv, snd.files["--transcript file"])
			if snd.code != tt.send || !strings.Contains(snd.all(), "protocol error") || strings.Contains(snd.stdout, "result    delivered") {
				t.Errorf("send exit %d, want %d and the protocol error named:\n%s", snd.code, tt.send, snd.all())
			}
			sjs := run(cliPassword+"\n", append(sendArgs, "--json")...)
			var sv struct {
				Delivered     bool
				FailedStep    string `json:"failed_step"`
				ProtocolError *struct {
					Problem string
					Lines   []string
				} `json:"protocol_error"`
			}
			if err := json.Unmarshal([]byte(sjs.stdout), &sv); err != nil {
				t.Fatalf("send --json: %v\n%s", err, sjs.stdout)
			}
			if sjs.code != tt.send || sv.Delivered || sv.ProtocolError == nil || sv.ProtocolError.Problem != tt.problem ||
				!strings.Contains(strings.Join(sv.ProtocolError.Lines, "\n"), tt.evidence) {
				t.Errorf("send --json exit %d delivered %v protocol_error %+v; want %d, not delivered, %s with %q",
					sjs.code, sv.Delivered, sv.ProtocolError, tt.send, tt.problem, tt.evidence)
			}

			// run
			file = filepath.Join(t.TempDir(), "r.txt")
			rn := run("", "run", scripts[tt.early], srv.Addr, "--timeout", "3s", "--transcript", file)
			rn.files["--transcript file"] = readFile(t, file)
			rn.check(t, &sec)
			said, _, _ := strings.Cut(rn.stderr, "\n") // what ehlo prints; runCLI adds the error it returns
			if rn.code != exitRunBroken || !strings.HasPrefix(said, "ehlo run: "+scripts[tt.early]+":") || !strings.Contains(said, "protocol error") ||
				strings.Contains(rn.stdout, "expectations met") {
				t.Errorf("run exit %d, want %d and the protocol error named at its script line:\n%s", rn.code, exitRunBroken, rn.all())
			}

			for _, c := range srv.Conns() {
				got := string(c.Wait(t).Got())
				if tt.scenario == "desync-greeting" && got != "" || strings.Contains(got, "AUTH") {
					t.Errorf("a client wrote %q to a server out of step", got)
				}
			}
		})
	}
}
