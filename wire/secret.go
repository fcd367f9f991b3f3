package wire

import (
	"bytes"
	"encoding/base64"
	"slices"
)

// Redacted is what a hidden secret is shown as, wherever it appears.
const Redacted = "<redacted>"

// MinSecret is the length under which Hide ignores a secret: a string of one
// to three bytes would hide ordinary text everywhere, and the "*" that
// cancels an AUTH exchange is no credential.
const MinSecret = 4

// Hide adds secrets to the transcript's hidden set: a credential in every
// form a server might echo back (SAFETY.md). From then on, for every
// connection recording into t:
//
//   - an entry whose bytes hold one, whatever its direction, is recorded
//     with Secret set and Shown giving its content (without the CRLF) with
//     each secret replaced by Redacted; Data keeps every byte;
//   - a server line's base64 word that decodes to text holding one is
//     replaced as a whole;
//   - the Lines of each Reply read, and the bytes that the errors of a
//     read, a desync check or a handshake quote, are redacted the same way
//     (Reply.Raw is not).
//
// Secrets shorter than MinSecret are ignored.
func (t *Transcript) Hide(secrets ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, s := range secrets {
		if len(s) >= MinSecret && !slices.Contains(t.secrets, s) {
			t.secrets = append(t.secrets, s)
		}
	}
}

// Redact returns b with every secret given to Hide replaced by Redacted,
// and whether there was any; b itself is not changed.
func (t *Transcript) Redact(b []byte) ([]byte, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return redact(b, t.secrets, 0, true)
}

// redactEntry sets Secret and Shown on an entry that holds a secret. The
// caller holds t.mu.
func (t *Transcript) redactEntry(e *Entry) {
	if e.Secret || len(t.secrets) == 0 {
		return
	}
	content := e.Data
	if e.Dir != Note {
		content = bytes.TrimSuffix(content, []byte("\r\n"))
	}
	if shown, ok := redact(content, t.secrets, 0, e.Dir != Client); ok {
		e.Secret, e.Shown = true, string(shown)
	}
}

// redactReply hides the secrets in a reply's lines, past each line's code
// and separator so that the reply still frames and parses.
func (t *Transcript) redactReply(r Reply) Reply {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.secrets) == 0 {
		return r
	}
	var lines []string
	for i, l := range r.Lines {
		shown, ok := redact([]byte(l), t.secrets, min(len(l), 4), true)
		if ok && lines == nil {
			lines = slices.Clone(r.Lines)
		}
		if ok {
			lines[i] = string(shown)
		}
	}
	if lines != nil {
		r.Lines = lines
	}
	return r
}

// redactErr hides the secrets in the server bytes an error of this
// package quotes. The transcript keeps them as they came.
func (t *Transcript) redactErr(err error) error {
	switch e := err.(type) {
	case *ProtocolError:
		e.Bytes = t.redacted(e.Bytes)
	case *ClosedError:
		e.Partial = t.redacted(e.Partial)
	case *InjectionError:
		e.Bytes = t.redacted(e.Bytes)
	case *DesyncError:
		e.Bytes = t.redacted(e.Bytes)
	case *PlaintextError:
		e.Bytes = t.redacted(e.Bytes)
	}
	return err
}

func (t *Transcript) redacted(b []byte) []byte {
	shown, _ := t.Redact(b)
	return shown
}

// secretTail returns how many bytes at the end of b may be the start of a
// secret: the longest suffix that is a proper prefix of one, at most half
// of maxEntry. The recorder keeps them for the next entry when it cuts a
// long line, so that no secret of up to maxEntry/2+1 bytes is cut in two.
func (t *Transcript) secretTail(b []byte) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	longest := 0
	for _, s := range t.secrets {
		for k := min(len(s)-1, len(b), maxEntry/2); k > longest; k-- {
			if bytes.HasSuffix(b, []byte(s[:k])) {
				longest = k
				break
			}
		}
	}
	return longest
}

// span is a half-open range of bytes to hide.
type span struct{ from, to int }

// redact replaces every occurrence of the secrets in b at or after byte
// from, overlapping ones merged, with Redacted; with decode, also each
// base64 word whose decoding holds a secret (what the server says; a
// client line is the user's own). It reports whether it replaced anything.
func redact(b []byte, secrets []string, from int, decode bool) ([]byte, bool) {
	if len(secrets) == 0 {
		return b, false
	}
	var spans []span
	for _, s := range secrets {
		for i := 0; ; {
			j := bytes.Index(b[i:], []byte(s))
			if j < 0 {
				break
			}
			spans = append(spans, span{max(i+j, from), i + j + len(s)})
			i += j + 1
		}
	}
	if decode {
		spans = append(spans, encodedSecrets(b, secrets, from)...)
	}
	spans = slices.DeleteFunc(spans, func(s span) bool { return s.to <= s.from })
	if len(spans) == 0 {
		return b, false
	}
	slices.SortFunc(spans, func(x, y span) int { return x.from - y.from })
	out := make([]byte, 0, len(b))
	at := 0
	for i := 0; i < len(spans); {
		cur := spans[i]
		for i++; i < len(spans) && spans[i].from <= cur.to; i++ {
			cur.to = max(cur.to, spans[i].to)
		}
		out = append(append(out, b[at:cur.from]...), Redacted...)
		at = cur.to
	}
	return append(out, b[at:]...), true
}

// encodedSecrets finds the words of b (runs of the base64 alphabet) that
// are base64 of something holding a secret: a 334 challenge or a reply
// quoting the client's SASL message re-encoded.
func encodedSecrets(b []byte, secrets []string, from int) []span {
	var spans []span
	for i := 0; i < len(b); {
		for i < len(b) && !isBase64(b[i]) {
			i++
		}
		j := i
		for j < len(b) && isBase64(b[j]) {
			j++
		}
		if j-i >= 8 && j > from && holdsSecret(b[i:j], secrets) {
			spans = append(spans, span{max(i, from), j})
		}
		i = j
	}
	return spans
}

func isBase64(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '='
}

// holdsSecret reports whether word is base64 (padded or not) of text that
// holds a secret.
func holdsSecret(word []byte, secrets []string) bool {
	dec, err := base64.StdEncoding.DecodeString(string(word))
	if err != nil {
		if dec, err = base64.RawStdEncoding.DecodeString(string(word)); err != nil {
			return false
		}
	}
	for _, s := range secrets {
		if bytes.Contains(dec, []byte(s)) {
			return true
		}
	}
	return false
}
