package cli

// The TLS suite: client certificates against Postfix's port that asks for
// one (scripts/postfix-lab.sh, EHLO_POSTFIX_CCERT), a server of TLS 1.0
// alone (scripts/tls-legacy-lab.sh, EHLO_TLS10), session resumption and
// SSLKEYLOGFILE against the Postfix lab, whose capture is decrypted here.

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"hash"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ehlo-sh/ehlo/internal/testenv"
)

type clientCertLab struct {
	addr, ca, clientCA, cert, key string
}

func needClientCertLab(t *testing.T) clientCertLab {
	t.Helper()
	l := clientCertLab{addr: os.Getenv("EHLO_POSTFIX_CCERT"), ca: os.Getenv("EHLO_POSTFIX_CA"),
		clientCA: os.Getenv("EHLO_POSTFIX_CLIENT_CA"), cert: os.Getenv("EHLO_POSTFIX_CLIENT_CERT"), key: os.Getenv("EHLO_POSTFIX_CLIENT_KEY")}
	if l.addr == "" || l.cert == "" || l.clientCA == "" {
		testenv.Need(t, "the Postfix lab's client certificate port", "sudo bash scripts/postfix-lab.sh up, then load its env file: "+
			"set -a; . /var/lib/ehlo-postfix-lab/env; set +a (EHLO_POSTFIX_CCERT, EHLO_POSTFIX_CLIENT_CERT)")
	}
	return l
}

// tlsOut is the part of probe --json this suite reads.
type tlsOut struct {
	TLS *struct {
		Version       string `json:"version"`
		WeakVersion   bool   `json:"weak_version"`
		Cipher        string `json:"cipher"`
		Group         string `json:"group"`
		ServerTempKey string `json:"server_temp_key"`
		Signature     string `json:"signature"`
		Resumed       bool   `json:"resumed"`
		KeyLog        bool   `json:"key_log"`
		ClientAuth    struct {
			Asked bool     `json:"asked"`
			CAs   []string `json:"cas"`
			Sent  string   `json:"sent"`
		} `json:"client_auth"`
		Certificates []struct {
			SHA256 string `json:"sha256"`
			SPKI   string `json:"spki_sha256"`
			PEM    string `json:"pem"`
		} `json:"certificates"`
	} `json:"tls"`
	Resumption *struct {
		Ticket, Resumed bool
	} `json:"resumption"`
	Error string `json:"error"`
}

func probeTLS(t *testing.T, wantCode int, args ...string) tlsOut {
	t.Helper()
	code, out, errOut := run(t, append([]string{"probe", "--json", "--timeout", "10s"}, args...)...)
	if code != wantCode {
		t.Fatalf("probe %v: exit %d, want %d: %s", args, code, wantCode, errOut)
	}
	var p tlsOut
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	return p
}

// subjectOf is the subject of the first certificate in a PEM file, as
// ehlo names a distinguished name.
func subjectOf(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatalf("%s holds no PEM", file)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c.Subject.String()
}

// TestPostfixClientCertificate: Postfix asks for a certificate naming its
// client CA; ehlo shows that, sends the one given, and Postfix says in the
// Received header that it was presented and verified.
func TestPostfixClientCertificate(t *testing.T) {
	l := needClientCertLab(t)
	caName := subjectOf(t, l.clientCA)
	p := probeTLS(t, 0, l.addr, "--ca", l.ca)
	if p.TLS == nil || !p.TLS.ClientAuth.Asked || len(p.TLS.ClientAuth.CAs) != 1 || p.TLS.ClientAuth.CAs[0] != caName || p.TLS.ClientAuth.Sent != "" {
		t.Fatalf("without --cert: client_auth = %+v, want asked, naming %q, none sent", p.TLS, caName)
	}
	_, text, _ := run(t, "probe", "--timeout", "10s", l.addr, "--ca", l.ca)
	if !strings.Contains(text, "client   certificate asked for, from "+caName[:20]) || !strings.Contains(text, "none sent (give one") {
		t.Errorf("the report does not say a certificate was asked for:\n%s", text)
	}
	p = probeTLS(t, 0, l.addr, "--ca", l.ca, "--cert", l.cert, "--key", l.key)
	if want := subjectOf(t, l.cert); p.TLS.ClientAuth.Sent != want {
		t.Errorf("with --cert: sent %q, want %q", p.TLS.ClientAuth.Sent, want)
	}

	pf := needMaildir(t)
	id := fmt.Sprintf("<%d.ccert@ehlo.test>", time.Now().UnixNano())
	code, _, errOut := run(t, "send", l.addr, "--ca", l.ca, "--cert", l.cert, "--key", l.key, "--timeout", "10s",
		"--from", "ccert@ehlo.test", "--to", pf.user+"@localhost", "--header", "Message-ID: "+id)
	if code != 0 {
		t.Fatalf("send with --cert: exit %d: %s", code, errOut)
	}
	got := string(waitForMaildir(t, pf.maildir, id))
	head, _, _ := strings.Cut(got, "\nFrom:")
	if !strings.Contains(head, `(Client CN "ehlo lab client", Issuer "ehlo postfix lab client CA" (verified OK))`) {
		t.Errorf("Postfix's Received header does not show the client certificate verified:\n%s", head)
	}
}

type legacyLab struct{ addr, ca string }

func needTLS10(t *testing.T) legacyLab {
	t.Helper()
	l := legacyLab{os.Getenv("EHLO_TLS10"), os.Getenv("EHLO_TLS10_CA")}
	if l.addr == "" || l.ca == "" {
		testenv.Need(t, "the TLS 1.0 server", "sudo bash scripts/tls-legacy-lab.sh up (needs socat and openssl), then "+
			"set -a; . /var/lib/ehlo-tls-legacy-lab/env; set +a")
	}
	return l
}

// TestTLS10Server: a server of TLS 1.0 alone (OpenSSL at security level
// 0) is refused by default, with the flag that lets it through; with
// --tls-min 1.0 it is reached and marked weak, and --tls-max and
// --ciphers narrow the offer as openssl's flags would.
func TestTLS10Server(t *testing.T) {
	l := needTLS10(t)
	code, _, errOut := run(t, "probe", "--tls", "--timeout", "10s", l.addr, "--ca", l.ca)
	if code != 1 || !strings.Contains(errOut, "we offered TLS 1.3, TLS 1.2") || !strings.Contains(errOut, "--tls-min 1.0") {
		t.Errorf("by default: exit %d, %s; want 1 and the --tls-min to use", code, errOut)
	}
	p := probeTLS(t, 0, "--tls", l.addr, "--ca", l.ca, "--tls-min", "1.0")
	if p.TLS.Version != "TLS 1.0" || !p.TLS.WeakVersion || p.TLS.Signature != "rsa_pkcs1_md5_sha1 (before TLS 1.2)" || p.TLS.Group == "" {
		t.Errorf("--tls-min 1.0: %+v, want TLS 1.0, weak, ECDHE signed with MD5+SHA-1", p.TLS)
	}
	_, text, _ := run(t, "probe", "--tls", "--timeout", "10s", l.addr, "--ca", l.ca, "--tls-min", "1.0", "--tls-max", "1.0",
		"--ciphers", "TLS_RSA_WITH_AES_128_CBC_SHA")
	for _, want := range []string{"TLS 1.0 (WEAK: below TLS 1.2, allowed by --tls-min)  TLS_RSA_WITH_AES_128_CBC_SHA",
		"kx       RSA key exchange: no ephemeral key, no forward secrecy"} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
	// Without --tls: the plaintext wait ends when the second connection's
	// handshake is refused for its version (the port speaks TLS, if an old
	// one), not at --timeout, and the line that works has both flags.
	code, _, errOut = run(t, "probe", "--greeting-wait", "200ms", "--timeout", "60s", l.addr, "--ca", l.ca)
	if code != 1 || strings.Contains(errOut, "timed out") || !strings.Contains(errOut, "this port speaks TLS first") ||
		!strings.Contains(errOut, "--tls --tls-min 1.0") {
		t.Errorf("plaintext to a TLS 1.0 port: exit %d, %s; want 1, TLS first and --tls --tls-min 1.0", code, errOut)
	}
	code, _, errOut = run(t, "probe", "--tls", "--timeout", "10s", l.addr, "--ca", l.ca, "--tls-min", "1.0", "--ciphers", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA")
	if code != 1 || !strings.Contains(errOut, `the server ended TLS with the alert "handshake failure": it shares no cipher suite`) {
		t.Errorf("a suite the server lacks: exit %d, %s", code, errOut)
	}
}

// TestPostfixResumption: --reconnect offers the first session's ticket on
// a second connection, and Postfix resumes it, in TLS 1.3 and 1.2.
func TestPostfixResumption(t *testing.T) {
	pf := needPostfix(t)
	for _, max := range []string{"1.3", "1.2"} {
		p := probeTLS(t, 0, pf.mx, "--ca", pf.ca, "--reconnect", "--tls-max", max)
		if p.Resumption == nil || !p.Resumption.Ticket || !p.Resumption.Resumed {
			t.Errorf("--tls-max %s: resumption %+v, want a ticket and a resumed session", max, p.Resumption)
		}
		if p.TLS.Version != "TLS "+max || p.TLS.Resumed {
			t.Errorf("--tls-max %s: the first session is %s, resumed %v", max, p.TLS.Version, p.TLS.Resumed)
		}
		// Postfix logs "server-signature RSA-PSS (2048 bits) server-digest SHA256"
		if p.TLS.Signature != "rsa_pss_rsae_sha256" || p.TLS.Group != "X25519" || p.TLS.ServerTempKey != "X25519, 253 bits" {
			t.Errorf("--tls-max %s: signature %q, group %q, key %q; want rsa_pss_rsae_sha256 and X25519, as Postfix logs them",
				max, p.TLS.Signature, p.TLS.Group, p.TLS.ServerTempKey)
		}
	}
	if p := probeTLS(t, 0, pf.mx, "--ca", pf.ca); p.Resumption != nil {
		t.Errorf("without --reconnect: resumption %+v, want null", p.Resumption)
	}
}

// TestPostfixKeyLog: with SSLKEYLOGFILE set, the secrets written decrypt
// a capture of the session (taken by a relay on loopback): the EHLO sent
// after STARTTLS is read back in clear. The file is private, and the
// screen says it is a secret.
func TestPostfixKeyLog(t *testing.T) {
	pf := needPostfix(t)
	keyLog := filepath.Join(t.TempDir(), "keys.log")
	t.Setenv(keyLogEnv, keyLog)
	relay := startRelay(t, pf.mx)
	code, out, errOut := run(t, "probe", relay.addr, "--ca", pf.ca, "--tls-min", "1.3", "--timeout", "10s")
	if code != 0 {
		t.Fatalf("probe through the relay: exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "TLS secrets are appended to "+keyLog+"; it is a secret") || !strings.Contains(out, "keylog   secrets written") {
		t.Errorf("the key log is not said, as a secret:\nstdout %s\nstderr %s", out, errOut)
	}
	fi, err := os.Stat(keyLog)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key log: %v, mode %v; want 0600", err, fi.Mode())
	}
	toServer, fromServer := relay.wait()
	keys, _ := os.ReadFile(keyLog)
	plain := decryptClient(t, toServer, fromServer, string(keys))
	if !strings.HasPrefix(plain, "EHLO ehlo.localhost\r\n") || !strings.Contains(plain, "QUIT\r\n") {
		t.Errorf("decrypted client data after STARTTLS = %q, want the EHLO, then QUIT", plain)
	}
	if strings.Contains(string(toServer), "EHLO ehlo.localhost\r\nQUIT") {
		t.Error("the capture holds the second EHLO in clear: TLS did not start")
	}

	// a symbolic link as SSLKEYLOGFILE is refused, nothing written through it
	link := filepath.Join(t.TempDir(), "link.log")
	target := filepath.Join(t.TempDir(), "target.log")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	t.Setenv(keyLogEnv, link)
	if code, _, errOut := run(t, "probe", pf.mx, "--ca", pf.ca, "--timeout", "10s"); code != 2 || !strings.Contains(errOut, "is a symbolic link") {
		t.Errorf("SSLKEYLOGFILE a symbolic link: exit %d, %s; want 2, refused", code, errOut)
	}
	if _, err := os.Lstat(target); err == nil {
		t.Error("the key log was written through a symbolic link")
	}
}

// relay forwards one connection to a server and keeps both directions'
// bytes, as a capture on the loopback interface would.
type relay struct {
	addr string
	done chan struct{}
	mu   sync.Mutex
	up   bytes.Buffer // client to server
	down bytes.Buffer // server to client
}

func startRelay(t *testing.T, server string) *relay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{addr: ln.Addr().String(), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		defer ln.Close()
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		s, err := net.DialTimeout("tcp", server, 10*time.Second)
		if err != nil {
			return
		}
		defer s.Close()
		deadline := time.Now().Add(30 * time.Second)
		_ = c.SetDeadline(deadline)
		_ = s.SetDeadline(deadline)
		var wg sync.WaitGroup
		wg.Go(func() { r.copy(s, c, &r.up); s.(*net.TCPConn).CloseWrite() })
		wg.Go(func() { r.copy(c, s, &r.down); c.(*net.TCPConn).CloseWrite() })
		wg.Wait()
	}()
	t.Cleanup(func() { ln.Close(); <-r.done })
	return r
}

func (r *relay) copy(dst io.Writer, src io.Reader, keep *bytes.Buffer) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			r.mu.Lock()
			keep.Write(buf[:n])
			r.mu.Unlock()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// wait waits for the session to end and gives both directions.
func (r *relay) wait() (up, down []byte) {
	<-r.done
	r.mu.Lock()
	defer r.mu.Unlock()
	return bytes.Clone(r.up.Bytes()), bytes.Clone(r.down.Bytes())
}

// tlsRecords splits the TLS records that follow the first occurrence of
// after in stream: type and body, header included for the AEAD.
func tlsRecords(t *testing.T, stream []byte, after string) (recs [][]byte) {
	t.Helper()
	i := bytes.Index(stream, []byte(after))
	if i < 0 {
		t.Fatalf("no %q in the capture", after)
	}
	for s := stream[i+len(after):]; len(s) >= 5; {
		n := 5 + int(binary.BigEndian.Uint16(s[3:5]))
		if len(s) < n {
			t.Fatalf("a TLS record is cut in the capture")
		}
		recs = append(recs, s[:n])
		s = s[n:]
	}
	return recs
}

// decryptClient reads the client's TLS 1.3 records after STARTTLS with the
// key log: the secrets of the session whose ClientHello random it names
// decrypt the client's Finished, then its application data, returned.
func decryptClient(t *testing.T, up, down []byte, keyLog string) string {
	t.Helper()
	recs := tlsRecords(t, up, "STARTTLS\r\n")
	hello := recs[0]
	if hello[0] != 22 || hello[5] != 1 {
		t.Fatalf("the first record after STARTTLS is not a ClientHello: %x", hello[:6])
	}
	random := hex.EncodeToString(hello[5+4+2 : 5+4+2+32])
	suite := serverSuite(t, tlsRecords(t, down, "220 2.0.0 Ready to start TLS\r\n")[0])
	secret := func(label string) []byte {
		for line := range strings.Lines(keyLog) {
			f := strings.Fields(line)
			if len(f) == 3 && f[0] == label && f[1] == random {
				b, _ := hex.DecodeString(f[2])
				return b
			}
		}
		t.Fatalf("the key log has no %s for this session's client random %s", label, random)
		return nil
	}
	handshake := newRecordKey(t, suite, secret("CLIENT_HANDSHAKE_TRAFFIC_SECRET"))
	app := newRecordKey(t, suite, secret("CLIENT_TRAFFIC_SECRET_0"))
	var plain strings.Builder
	key := handshake
	for _, rec := range recs[1:] {
		if rec[0] == 20 { // change_cipher_spec, for middleboxes (RFC 8446 D.4)
			continue
		}
		inner, typ := key.open(t, rec)
		switch {
		case key == handshake && typ == 22 && inner[0] == 20: // Finished: application keys from here
			key = app
		case key == app && typ == 23:
			plain.Write(inner)
		}
	}
	return plain.String()
}

// serverSuite reads the cipher suite of a ServerHello record.
func serverSuite(t *testing.T, rec []byte) uint16 {
	t.Helper()
	body := rec[5+4:] // record header, handshake header
	if rec[0] != 22 || rec[5] != 2 {
		t.Fatalf("not a ServerHello: %x", rec[:6])
	}
	at := 2 + 32 + 1 + int(body[2+32])
	return binary.BigEndian.Uint16(body[at : at+2])
}

// recordKey is a TLS 1.3 traffic key (RFC 8446 section 7.3) and its
// record sequence number.
type recordKey struct {
	aead cipher.AEAD
	iv   []byte
	seq  uint64
}

func newRecordKey(t *testing.T, suite uint16, secret []byte) *recordKey {
	t.Helper()
	var h func() hash.Hash
	var keyLen int
	switch suite {
	case 0x1301: // TLS_AES_128_GCM_SHA256
		h, keyLen = sha256.New, 16
	case 0x1302: // TLS_AES_256_GCM_SHA384
		h, keyLen = sha512.New384, 32
	default:
		t.Skipf("suite %#04x: this test decrypts AES-GCM only", suite)
	}
	key := expandLabel(t, h, secret, "key", keyLen)
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	return &recordKey{aead: aead, iv: expandLabel(t, h, secret, "iv", 12)}
}

// expandLabel is HKDF-Expand-Label (RFC 8446 section 7.1) with an empty
// context.
func expandLabel(t *testing.T, h func() hash.Hash, secret []byte, label string, n int) []byte {
	t.Helper()
	full := "tls13 " + label
	info := append([]byte{byte(n >> 8), byte(n), byte(len(full))}, full...)
	info = append(info, 0)
	out, err := hkdf.Expand(h, secret, string(info), n)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// open decrypts one record: its content and inner content type.
func (k *recordKey) open(t *testing.T, rec []byte) ([]byte, byte) {
	t.Helper()
	nonce := bytes.Clone(k.iv)
	for i := range 8 {
		nonce[len(nonce)-1-i] ^= byte(k.seq >> (8 * i))
	}
	k.seq++
	plain, err := k.aead.Open(nil, nonce, rec[5:], rec[:5])
	if err != nil {
		t.Fatalf("record %d does not decrypt with the logged key: %v", k.seq-1, err)
	}
	plain = bytes.TrimRight(plain, "\x00")
	return plain[:len(plain)-1], plain[len(plain)-1]
}

// TestPostfixDoctorTLSFindings: doctor --reconnect says that Postfix
// resumes the session (TLS 1.3 and 1.2), on a second connection whose
// lines follow the diagnosis in the transcript; a session forced to the
// RSA key exchange is a forward secrecy warning; neither without cause.
func TestPostfixDoctorTLSFindings(t *testing.T) {
	pf := needPostfix(t)
	doctor := func(args ...string) (ids []string, transcript int) {
		t.Helper()
		code, out, errOut := run(t, append([]string{"doctor", pf.mx, "--ca", pf.ca, "--json"}, args...)...)
		var v struct {
			Findings []struct {
				ID       string   `json:"id"`
				Evidence []string `json:"evidence"`
			} `json:"findings"`
			Transcript []json.RawMessage `json:"transcript"`
		}
		if err := json.Unmarshal([]byte(out), &v); err != nil || code != 0 {
			t.Fatalf("doctor %q: exit %d, %v:\n%s%s", args, code, err, out, errOut)
		}
		for _, f := range v.Findings {
			ids = append(ids, f.ID)
		}
		return ids, len(v.Transcript)
	}
	_, once := doctor()
	for _, max := range []string{"1.3", "1.2"} {
		ids, lines := doctor("--reconnect", "--tls-max", max)
		if !slices.Contains(ids, "tls-resumed") || slices.Contains(ids, "tls-not-resumed") {
			t.Errorf("--reconnect --tls-max %s: findings %q, want tls-resumed", max, ids)
		}
		if lines <= once {
			t.Errorf("--reconnect --tls-max %s: %d transcript entries, want the second connection's beyond the %d of one", max, lines, once)
		}
	}
	if ids, _ := doctor(); slices.Contains(ids, "tls-resumed") || slices.Contains(ids, "tls-not-resumed") || slices.Contains(ids, "tls-no-forward-secrecy") {
		t.Errorf("no --reconnect, ECDHE: findings %q, want no resumption nor forward secrecy finding", ids)
	}
	if ids, _ := doctor("--tls-max", "1.2", "--ciphers", "TLS_RSA_WITH_AES_128_GCM_SHA256"); !slices.Contains(ids, "tls-no-forward-secrecy") {
		t.Errorf("the RSA key exchange: findings %q, want tls-no-forward-secrecy", ids)
	}
}
