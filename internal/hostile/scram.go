package hostile

import (
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/xdg-go/scram"
)

// scramStep plays the server side of a SCRAM exchange (RFC 5802) for the
// AUTH line the client last sent (an expect AUTH step read it), with
// github.com/xdg-go/scram's server and the user and password of the
// step. A -PLUS mechanism's channel binding is checked against this
// connection's TLS (tls-exporter under TLS 1.3, tls-unique below).
// mode says how it ends:
//
//	good   server-final with the right signature, then 235
//	wrong  server-final with a signature the password does not give, then
//	       501 to the client's "*" (the client must refuse)
//	early  235 right after client-final, without proving anything
//
// A client-final the server refuses (a wrong proof or binding) gets 535.
func (c *Conn) scramStep(user, password, mode string) error {
	f := strings.Fields(c.cred)
	if len(f) != 3 || !strings.EqualFold(f[0], "AUTH") {
		return fmt.Errorf("hostile: scram: want AUTH SCRAM-... with an initial response, got %q", c.cred)
	}
	mech := strings.ToUpper(f[1])
	hash := scram.SHA256
	if strings.HasPrefix(mech, "SCRAM-SHA-1") {
		hash = scram.SHA1
	}
	conv, err := c.scramConv(hash, mech, user, password)
	if err != nil {
		return err
	}
	first, err := base64.StdEncoding.DecodeString(f[2])
	if err != nil {
		return err
	}
	serverFirst, err := conv.Step(string(first))
	if err != nil {
		return c.write([]byte("535 5.7.8 " + err.Error() + "\r\n"))
	}
	if err := c.write([]byte("334 " + base64.StdEncoding.EncodeToString([]byte(serverFirst)) + "\r\n")); err != nil {
		return err
	}
	line, err := c.readLine()
	if err != nil {
		return err
	}
	final, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(line))
	serverFinal, err := conv.Step(string(final))
	if err != nil {
		return c.write([]byte("535 5.7.8 authentication failed: " + err.Error() + "\r\n"))
	}
	switch mode {
	case "early":
		return c.write([]byte("235 2.7.0 accepted\r\n"))
	case "wrong":
		serverFinal = "v=" + base64.StdEncoding.EncodeToString([]byte("a signature made without the password"))
	}
	if err := c.write([]byte("334 " + base64.StdEncoding.EncodeToString([]byte(serverFinal)) + "\r\n")); err != nil {
		return err
	}
	if line, err = c.readLine(); err != nil {
		return err
	}
	if strings.TrimSpace(line) == "*" {
		return c.write([]byte("501 5.7.0 authentication cancelled\r\n"))
	}
	return c.write([]byte("235 2.7.0 accepted\r\n"))
}

// scramConv is a server conversation that knows one user's password.
func (c *Conn) scramConv(hash scram.HashGeneratorFcn, mech, user, password string) (*scram.ServerConversation, error) {
	cl, err := hash.NewClient(user, password, "")
	if err != nil {
		return nil, err
	}
	kf := scram.KeyFactors{Salt: "\x8a\x17\x01\xfe\x55\x20\x9c\x03\x44\xd1\x7e\x0b\x62\xaa\x19\xc5", Iters: 4096} // salt: bytes whose base64 holds no piece of a test password
	creds, err := cl.GetStoredCredentialsWithError(kf)
	if err != nil {
		return nil, err
	}
	srv, err := hash.NewServer(func(name string) (scram.StoredCredentials, error) {
		if name != user {
			return scram.StoredCredentials{}, errors.New("unknown user")
		}
		return creds, nil
	})
	if err != nil {
		return nil, err
	}
	if !strings.HasSuffix(mech, "-PLUS") {
		return srv.NewConversation(), nil
	}
	tc, ok := c.stream.(*tls.Conn)
	if !ok {
		return nil, errors.New("hostile: scram: -PLUS without TLS")
	}
	cs := tc.ConnectionState()
	cb := scram.NewTLSUniqueBinding(cs.TLSUnique)
	if cs.Version >= tls.VersionTLS13 {
		if cb, err = scram.NewTLSExporterBinding(&cs); err != nil {
			return nil, err
		}
	}
	return srv.NewConversationWithChannelBindingRequired(cb), nil
}
