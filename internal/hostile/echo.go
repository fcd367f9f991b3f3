package hostile

import (
	"bytes"
	"encoding/base64"
	"strings"
)

// Echo fills in the template of an echo step with line, the last line of
// an AUTH exchange the client sent (the AUTH command or its answer to a
// 334), as a server that repeats credentials in its replies would:
//
//	{line}     the line as sent ("AUTH PLAIN AGFsaWNl...")
//	{b64}      its last word, the base64 of a SASL message
//	{decoded}  that word decoded, NULs and all ("\x00alice\x00secret")
//	{secret}   the credential in it: PLAIN's password (the last
//	           NUL-separated field), XOAUTH2's bearer token, or the whole
//	           decoded text (a LOGIN response)
//
// It reads SASL on its own, apart from the client's code, so the tests
// that use it check ehlo against an independent reading.
func Echo(template []byte, line string) []byte {
	fields := strings.Fields(line)
	b64 := ""
	if len(fields) > 0 {
		b64 = fields[len(fields)-1]
	}
	decoded, _ := base64.StdEncoding.DecodeString(b64)
	r := strings.NewReplacer("{line}", line, "{b64}", b64, "{decoded}", string(decoded), "{secret}", string(credential(decoded)))
	return []byte(r.Replace(string(template)))
}

// credential picks the secret out of a decoded SASL message.
func credential(msg []byte) []byte {
	if _, tok, ok := bytes.Cut(msg, []byte("auth=Bearer ")); ok { // XOAUTH2: user=U ^A auth=Bearer T ^A ^A
		tok, _, _ = bytes.Cut(tok, []byte("\x01"))
		return tok
	}
	if i := bytes.LastIndexByte(msg, 0); i >= 0 { // PLAIN: authzid NUL authcid NUL passwd (RFC 4616)
		return msg[i+1:]
	}
	return msg
}
