package cli

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// keyPair writes a self-signed certificate and its key as PEM files, and
// a second key that belongs to no certificate.
func keyPair(t *testing.T) (cert, key, otherKey string) {
	t.Helper()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "me"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM := func(k *ecdsa.PrivateKey) string {
		b, _ := x509.MarshalPKCS8PrivateKey(k)
		return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: b}))
	}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	return sendTempFile(t, "cert.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))),
		sendTempFile(t, "key.pem", keyPEM(k)), sendTempFile(t, "other.pem", keyPEM(other))
}

// TestTLSFlagsBadInput: every command refuses, before connecting, a key
// that is not the certificate's, an encrypted key, and TLS settings that
// leave nothing to offer, with exit 2 and the reason in words.
func TestTLSFlagsBadInput(t *testing.T) {
	cert, _, other := keyPair(t)
	enc := sendTempFile(t, "enc.pem", "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n")
	script := sendTempFile(t, "s.ehlo", "QUIT\nexpect 221\n")
	commands := [][]string{{"probe", "--lab"}, {"doctor", "--lab"}, {"send", "--lab"}, {"run", "--lab", script}, {"127.0.0.1:1"}}
	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"--cert", cert, "--key", other}, "does not match the certificate"},
		{[]string{"--cert", cert, "--key", enc}, "is encrypted with a passphrase, and ehlo asks for none"},
		{[]string{"--cert", cert}, "holds no private key: give its key with --key"},
		{[]string{"--key", other}, "--key needs --cert"},
		{[]string{"--tls-max", "1.1"}, "--tls-max 1.1 is below --tls-min 1.2"},
		{[]string{"--tls-max", "1.4"}, `--tls-max "1.4": want 1.0, 1.1, 1.2 or 1.3`},
		{[]string{"--ciphers", "TLS_AES_128_GCM_SHA256"}, "is a TLS 1.3 suite"},
		{[]string{"--curves", "P-999"}, `unknown group "P-999"`},
		{[]string{"--show-certs", "--certs-out", "x.pem"}, "not both"},
	} {
		for _, c := range commands {
			args := append(append([]string{}, c...), bad.args...)
			code, out, errOut := run(t, args...)
			if code != exitUsage || !strings.Contains(errOut, bad.want) || strings.Contains(out, "greeting") {
				t.Errorf("ehlo %s: exit %d, %q; want 2, %q, and no connection", strings.Join(args, " "), code, errOut, bad.want)
			}
		}
	}
}

// TestShowCerts: --show-certs prints the chain as PEM, the certificates
// the report fingerprints; --json carries them; --certs-out writes them to
// a private file and refuses a symbolic link.
func TestShowCerts(t *testing.T) {
	code, out, errOut := run(t, "probe", "--lab", "--show-certs")
	if code != 0 || !strings.Contains(out, "\nCertificate chain\n 0 s:CN=mail.lab.test,O=ehlo lab\n   i:CN=ehlo lab CA,O=ehlo lab\n-----BEGIN CERTIFICATE-----") {
		t.Fatalf("probe --show-certs: exit %d: %s%s", code, out, errOut)
	}
	blk, _ := pem.Decode([]byte(out[strings.Index(out, "-----BEGIN"):]))
	sum := sha256.Sum256(blk.Bytes)
	if !strings.Contains(out, "sha256   "+hex.EncodeToString(sum[:])) {
		t.Errorf("the PEM printed is not the certificate the report fingerprints")
	}
	leaf, _ := x509.ParseCertificate(blk.Bytes)
	spki := sha256.Sum256(leaf.RawSubjectPublicKeyInfo)
	if !strings.Contains(out, "spki     "+hex.EncodeToString(spki[:])) {
		t.Errorf("no SPKI SHA-256 (DANE 3 1 1) beside the fingerprint:\n%s", out)
	}

	_, js, _ := run(t, "probe", "--lab", "--show-certs", "--json") // another lab, another certificate
	var p tlsOut
	if err := json.Unmarshal([]byte(js), &p); err != nil || p.TLS == nil || len(p.TLS.Certificates) == 0 {
		t.Fatalf("%v: %s", err, js)
	}
	c := p.TLS.Certificates[0]
	jblk, _ := pem.Decode([]byte(c.PEM))
	jsum := sha256.Sum256(jblk.Bytes)
	jleaf, _ := x509.ParseCertificate(jblk.Bytes)
	jspki := sha256.Sum256(jleaf.RawSubjectPublicKeyInfo)
	if c.SHA256 != hex.EncodeToString(jsum[:]) || c.SPKI != hex.EncodeToString(jspki[:]) {
		t.Errorf("--json --show-certs: pem %q is not the certificate of sha256 %s, spki %s", c.PEM, c.SHA256, c.SPKI)
	}

	file := filepath.Join(t.TempDir(), "chain.pem")
	for _, cmd := range [][]string{{"probe", "--lab"}, {"send", "--lab", "--quit-after", "starttls"}, {"doctor", "--lab"}} {
		os.Remove(file)
		code, out, errOut := run(t, append(cmd, "--certs-out", file)...)
		got, err := os.ReadFile(file)
		fi, serr := os.Stat(file)
		blk, _ := pem.Decode(got)
		if code != 0 || err != nil || serr != nil || blk == nil || fi.Mode().Perm() != 0o600 || strings.Contains(out, "BEGIN CERTIFICATE") {
			t.Errorf("%s --certs-out: exit %d, %v: %s%s", cmd[0], code, err, errOut, got)
			continue
		}
		if leaf, err := x509.ParseCertificate(blk.Bytes); err != nil || leaf.Subject.CommonName != "mail.lab.test" {
			t.Errorf("%s --certs-out: the file's first certificate is not the lab's: %v", cmd[0], err)
		}
	}
	if code, _, errOut := run(t, "send", "--lab", "--quit-after", "ehlo", "--show-certs"); code != 0 || !strings.Contains(errOut, "no certificate chain to show: no TLS handshake completed") {
		t.Errorf("--show-certs without TLS: exit %d, %s", code, errOut)
	}
	link := filepath.Join(t.TempDir(), "link.pem")
	target := filepath.Join(t.TempDir(), "target.pem")
	_ = os.Symlink(target, link)
	if code, _, errOut := run(t, "probe", "--lab", "--certs-out", link); code != exitUsage || !strings.Contains(errOut, "is a symbolic link") {
		t.Errorf("--certs-out through a symbolic link: exit %d, %s", code, errOut)
	}
	if _, err := os.Lstat(target); err == nil {
		t.Error("written through the symbolic link")
	}
}

// TestTLSFactsEverywhere: send and doctor show the handshake's facts too,
// in text and in --json; probe --reconnect resumes the lab's session.
func TestTLSFactsEverywhere(t *testing.T) {
	code, out, errOut := run(t, "send", "--lab", "--quit-after", "starttls", "--curves", "P-384")
	if code != 0 || !strings.Contains(out, "*  TLS: key exchange P-384; server signature ecdsa_secp256r1_sha256") {
		t.Errorf("send: exit %d: %s%s", code, out, errOut)
	}
	_, js, _ := run(t, "send", "--lab", "--quit-after", "starttls", "--json", "--show-certs")
	var s tlsOut
	if err := json.Unmarshal([]byte(js), &s); err != nil || s.TLS == nil || s.TLS.Group != "X25519MLKEM768" || s.TLS.Certificates[0].PEM == "" {
		t.Errorf("send --json: %v %s", err, js)
	}
	code, out, _ = run(t, "doctor", "--lab", "--curves", "P-256")
	if code != 0 || !strings.Contains(out, "\nTLS  TLS 1.3  ") || !strings.Contains(out, "kx       server temp key ECDH P-256, 256 bits") {
		t.Errorf("doctor: exit %d: %s", code, out)
	}
	_, js, _ = run(t, "doctor", "--lab", "--json", "--tls-max", "1.2")
	var d tlsOut
	if err := json.Unmarshal([]byte(js), &d); err != nil || d.TLS == nil || d.TLS.Version != "TLS 1.2" || d.TLS.Signature != "ecdsa_secp256r1_sha256" {
		t.Errorf("doctor --json --tls-max 1.2: %v %s", err, js)
	}
	p := probeTLS(t, 0, "--lab", "--reconnect")
	if p.Resumption == nil || !p.Resumption.Resumed {
		t.Errorf("probe --lab --reconnect: %+v", p.Resumption)
	}
	script := sendTempFile(t, "s.ehlo", "# lab: submission\nexpect 220\nEHLO me\nexpect 250\nSTARTTLS\nexpect 220\nQUIT\nexpect 221\n")
	code, out, errOut = run(t, "run", script, "--show-certs")
	if code != 0 || !strings.Contains(out, "TLS: key exchange") || !strings.Contains(out, "Certificate chain\n 0 s:CN=mail.lab.test") {
		t.Errorf("run --show-certs: exit %d: %s%s", code, out, errOut)
	}
}

// TestTLSFlagsReplay: the explorer hands the TLS flags given, files made
// absolute, to the replay line of a saved script; flags left at their
// defaults stay out.
func TestTLSFlagsReplay(t *testing.T) {
	var f connFlags
	cmd := &cobra.Command{Use: "x"}
	f.register(cmd)
	if err := cmd.ParseFlags([]string{"--cert", "c.pem", "--tls-max", "1.2", "--curves", "X25519", "--insecure"}); err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	got := f.tlsx.replay(f.fs)
	want := [][2]string{{"--tls-max", "1.2"}, {"--curves", "X25519"}, {"--cert", filepath.Join(wd, "c.pem")}}
	if len(got) != len(want) {
		t.Fatalf("replay = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("replay[%d] = %q, want %q", i, got[i], want[i])
		}
	}
}
