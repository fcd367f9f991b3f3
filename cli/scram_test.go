package cli

import (
	"context"
	"encoding/base64"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ehlo-sh/ehlo/internal/hostile"
)

// clientProof is the SCRAM proof the client sent, read from what the
// server got: the base64 line whose decoding holds ",p=".
func clientProof(got []byte) string {
	for _, line := range strings.Split(string(got), "\r\n") {
		dec, err := base64.StdEncoding.DecodeString(strings.TrimSpace(line))
		if _, p, ok := strings.Cut(string(dec), ",p="); err == nil && ok && strings.HasPrefix(string(dec), "c=") {
			return p
		}
	}
	return ""
}

// TestHostileCLISCRAM signs in with send --auth auto to servers offering
// SCRAM: SHA-256 and SHA-1 in plaintext on loopback (SCRAM never sends the
// password), and SCRAM-SHA-256-PLUS over TLS 1.3 (tls-exporter) and TLS
// 1.2 (tls-unique), which the server checks against its own side of the
// channel. Each output shows the decoded client messages without the proof
// and says the server proved it knows the password; neither the password
// nor the proof is in any output.
func TestHostileCLISCRAM(t *testing.T) {
	ca := caFile(t)
	for _, tt := range []struct{ scenario, mech, gs2 string }{
		{"auth-scram-sha256", "SCRAM-SHA-256", "n,,n=alice,r="},
		{"auth-scram-sha1", "SCRAM-SHA-1", "n,,n=alice,r="},
		{"auth-scram-plus", "SCRAM-SHA-256-PLUS", "p=tls-exporter,,n=alice,r="},
		{"auth-scram-plus-tls12", "SCRAM-SHA-256-PLUS", "p=tls-unique,,n=alice,r="},
	} {
		t.Run(tt.scenario, func(t *testing.T) {
			hostile.CheckLeaks(t)
			for _, format := range []string{"text", "json"} {
				srv := hostile.Start(t, hostile.Load(tt.scenario))
				file := filepath.Join(t.TempDir(), "t.txt")
				args := append(sendArgs(srv.Addr, ca), "--timeout", "3s", "--user", cliUser, "--password-stdin",
					"--quit-after", "auth", "--transcript", file)
				if tt.mech == "SCRAM-SHA-1" {
					args = append(args, "--auth", "scram-sha-1")
				}
				if format == "json" {
					args = append(args, "--json")
				}
				res := runCLI(context.Background(), t, cliPassword+"\n", args...)
				res.files["--transcript file"] = readFile(t, file)
				proof := clientProof(srv.Conn(t).Wait(t).Got())
				sec := hostile.SecretsOf(cliUser, cliPassword)
				res.check(t, &sec)
				if res.code != 0 || proof == "" {
					t.Fatalf("%s: exit %d, proof %q:\n%s", format, res.code, proof, res.all())
				}
				unescape := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">").Replace // JSON's escapes
				for name, s := range map[string]string{"output": unescape(res.all()), "transcript": res.files["--transcript file"]} {
					if strings.Contains(s, proof) {
						t.Errorf("%s %s shows the client proof", format, name)
					}
					for _, want := range []string{"AUTH " + tt.mech, tt.mech + " decoded: " + tt.gs2, ",p=<redacted>",
						"the server's signature is right: it knows the password"} {
						if !strings.Contains(s, want) {
							t.Errorf("%s %s lacks %q:\n%s", format, name, want, s)
						}
					}
				}
			}
		})
	}
}

// TestHostileCLISCRAMUnproven: a server whose server-final signature is
// wrong, and one that says 235 before proving anything, are refused: exit
// 7 and words that say the server did not prove it knows the password.
func TestHostileCLISCRAMUnproven(t *testing.T) {
	ca := caFile(t)
	for _, scenario := range []string{"auth-scram-wrong-signature", "auth-scram-early"} {
		t.Run(scenario, func(t *testing.T) {
			hostile.CheckLeaks(t)
			srv := hostile.Start(t, hostile.Load(scenario))
			res := runCLI(context.Background(), t, cliPassword+"\n", append(sendArgs(srv.Addr, ca), "--timeout", "3s",
				"--user", cliUser, "--password-stdin", "--quit-after", "auth")...)
			sec := hostile.SecretsOf(cliUser, cliPassword)
			res.check(t, &sec)
			if res.code != exitAuth || !strings.Contains(res.stderr, "the server did not prove it knows the password") {
				t.Errorf("exit %d:\n%s", res.code, res.all())
			}
			if strings.Contains(res.all(), "the server's signature is right") {
				t.Errorf("claims a proof:\n%s", res.all())
			}
		})
	}
}

// TestHostileCLIOAuthBearerError: a server that refuses the token with
// RFC 7628's JSON error gets the lone ^A it asks for, then says 535: exit
// 7, the JSON shown decoded, the token in no output.
func TestHostileCLIOAuthBearerError(t *testing.T) {
	hostile.CheckLeaks(t)
	srv := hostile.Start(t, hostile.Load("auth-oauthbearer-error"))
	res := runCLI(context.Background(), t, cliPassword+"\n", append(sendArgs(srv.Addr, caFile(t)), "--timeout", "3s",
		"--auth", "oauthbearer", "--user", cliUser, "--password-stdin", "--quit-after", "auth")...)
	sec := hostile.SecretsOf(cliUser, cliPassword)
	res.check(t, &sec)
	if res.code != exitAuth || !strings.Contains(res.stdout, `OAUTHBEARER server decoded: {"status":"invalid_token"`) ||
		!strings.Contains(res.stdout, "535 5.7.8 invalid token") {
		t.Errorf("exit %d:\n%s", res.code, res.all())
	}
	if got := string(srv.Conn(t).Wait(t).Got()); strings.Count(got, "\r\nAQ==\r\n") != 1 {
		t.Errorf("the server got %q", got)
	}
}

// TestHostileCLIDoctorSCRAMUnproven: doctor never reports a sign-in to a
// SCRAM server that did not prove it knows the password, even after 235.
func TestHostileCLIDoctorSCRAMUnproven(t *testing.T) {
	for _, scenario := range []string{"auth-scram-wrong-signature", "auth-scram-early"} {
		t.Run(scenario, func(t *testing.T) {
			hostile.CheckLeaks(t)
			srv := hostile.Start(t, hostile.Load(scenario))
			res := runCLI(context.Background(), t, cliPassword+"\n", "doctor", srv.Addr, "--timeout", "3s", "--ca", caFile(t),
				"--user", cliUser, "--password-stdin")
			sec := hostile.SecretsOf(cliUser, cliPassword)
			res.check(t, &sec)
			if res.code == 0 || !strings.Contains(res.all(), "did not prove it knows the password") || strings.Contains(res.all(), "Signed in") {
				t.Errorf("exit %d:\n%s", res.code, res.all())
			}
		})
	}
}
