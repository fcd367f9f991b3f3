package cli

import (
	"bufio"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/ehlo-sh/ehlo/internal/testenv"
)

// ocspServerAddr is the loopback port of the openssl s_server this test
// starts (the TLS suite's range, 10028 and 10030-10039).
const ocspServerAddr = "127.0.0.1:10031"

// TestOCSPStapledByOpenSSL: a real OpenSSL server (openssl s_server
// -status_file) staples an OCSP response; probe says what it says and
// whether it holds (good and signed by the issuer, stale, revoked), and
// doctor makes a finding of a stale or a revoked one.
func TestOCSPStapledByOpenSSL(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		testenv.Need(t, "openssl", "apt-get install openssl")
	}
	dir := t.TempDir()
	ca, leaf, caKey, leafKey := ocspPKI(t)
	writeFile := func(name string, data []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(leafKey)
	files := map[string]string{
		"cert": writeFile("leaf.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Raw})),
		"key":  writeFile("leaf.key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})),
		"ca":   writeFile("ca.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw})),
	}
	now := time.Now()
	for _, tc := range []struct {
		name       string
		status     int
		this, next time.Time
		want       string // in probe's report
		finding    string // doctor's; "" none about OCSP
		code       int    // doctor's exit status
	}{
		{"good", ocsp.Good, now.Add(-time.Hour), now.Add(time.Hour), "ocsp     stapled: good, signed by the issuer, dated ", "", 0},
		{"stale", ocsp.Good, now.Add(-3 * time.Hour), now.Add(-time.Hour), "ocsp     stapled: good, INVALID: it is stale: its nextUpdate was ",
			"[warning] The stapled OCSP response does not hold", 0},
		{"revoked", ocsp.Revoked, now.Add(-time.Hour), now.Add(time.Hour), "ocsp     stapled: REVOKED on ",
			"[error] The stapled OCSP response says the certificate was revoked on ", 1},
	} {
		resp, err := ocsp.CreateResponse(ca, ca, ocsp.Response{Status: tc.status, SerialNumber: leaf.SerialNumber,
			ThisUpdate: tc.this, NextUpdate: tc.next, RevokedAt: tc.this, RevocationReason: ocsp.KeyCompromise}, caKey)
		if err != nil {
			t.Fatal(err)
		}
		status := writeFile("ocsp-"+tc.name+".der", resp)
		t.Run(tc.name+"/probe", func(t *testing.T) {
			startSServer(t, files, status)
			code, out, errOut := run(t, "probe", "--tls", "--timeout", "10s", ocspServerAddr, "--ca", files["ca"], "--servername", "localhost")
			if code != 0 || !strings.Contains(out, tc.want) {
				t.Errorf("probe: exit %d, want %q in:\n%s%s", code, tc.want, out, errOut)
			}
		})
		t.Run(tc.name+"/doctor", func(t *testing.T) {
			startSServer(t, files, status)
			code, out, errOut := run(t, "doctor", "--tls", "--timeout", "10s", ocspServerAddr, "--ca", files["ca"], "--servername", "localhost")
			switch {
			case code != tc.code:
				t.Errorf("doctor: exit %d, want %d:\n%s%s", code, tc.code, out, errOut)
			case tc.finding == "" && strings.Contains(out, "OCSP"):
				t.Errorf("doctor: a finding about a good stapled response:\n%s", out)
			case tc.finding != "" && !strings.Contains(out, tc.finding):
				t.Errorf("doctor: want %q in:\n%s%s", tc.finding, out, errOut)
			}
		})
	}
}

// ocspPKI is a CA and a leaf for localhost and 127.0.0.1.
func ocspPKI(t *testing.T) (ca, leaf *x509.Certificate, caKey, leafKey *ecdsa.PrivateKey) {
	t.Helper()
	caKey, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafKey, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	mk := func(tmpl, parent *x509.Certificate, pub crypto.PublicKey) *x509.Certificate {
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, caKey)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := x509.ParseCertificate(der)
		return c
	}
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ocsp test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	ca = mk(caTmpl, caTmpl, &caKey.PublicKey)
	leaf = mk(&x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, ca, &leafKey.PublicKey)
	return ca, leaf, caKey, leafKey
}

// startSServer runs openssl s_server for one connection, with the OCSP
// response in statusFile stapled, and plays SMTP through its standard
// input and output: the greeting, 250 to EHLO, 221 to QUIT. It returns
// once the server listens.
func startSServer(t *testing.T, files map[string]string, statusFile string) {
	t.Helper()
	cmd := exec.Command("openssl", "s_server", "-accept", ocspServerAddr, "-naccept", "1",
		"-cert", files["cert"], "-key", files["key"], "-cert_chain", files["ca"], "-status_file", statusFile)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			switch {
			case line == "ACCEPT":
				_, _ = io.WriteString(stdin, "220 ocsp.test ESMTP openssl s_server\r\n")
				close(ready)
			case strings.HasPrefix(line, "EHLO"):
				_, _ = io.WriteString(stdin, "250-ocsp.test\r\n250 8BITMIME\r\n")
			case strings.HasPrefix(line, "QUIT"):
				_, _ = io.WriteString(stdin, "221 bye\r\n")
				_ = stdin.Close()
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		t.Fatal("openssl s_server did not listen within 10s")
	}
}
