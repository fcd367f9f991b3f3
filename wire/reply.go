package wire

import (
	"slices"
	"strings"
)

// Reply is one framed reply (RFC 5321 section 4.2). It carries no meaning:
// session.ParseReply interprets Lines.
type Reply struct {
	Lines []string // each line without its line ending ("250-SIZE 1000", "250 OK")
	Raw   []byte   // every byte of the reply exactly as received
	Flags Flag
}

// Flag marks something odd about a reply that still framed.
type Flag uint8

const (
	FlagBareLF     Flag = 1 << iota // a line ended in LF without CR (RFC 5321 section 2.3.8)
	FlagMixedCodes                  // the code changed inside a multi-line reply (RFC 5321 section 4.2.1); noted in the transcript
	FlagOddCode                     // a code outside 200-599, such as "999 x" or "100 x"
	FlagLongLine                    // a line longer than 512 octets (RFC 5321 section 4.5.3.1.5)
)

var flagWords = [...]string{"bare LF", "mixed codes", "odd code", "long line"}

// String lists the flags in words, as "bare LF, mixed codes"; "" for none.
func (f Flag) String() string {
	var words []string
	for i, w := range flagWords {
		if f&(1<<i) != 0 {
			words = append(words, w)
		}
	}
	if rest := f >> len(flagWords); rest != 0 {
		words = append(words, "unknown")
	}
	return strings.Join(words, ", ")
}

// maxReplyLine is the RFC 5321 limit on a reply line, CRLF included
// (section 4.5.3.1.5).
const maxReplyLine = 512

// add frames one line, LF included, read into r.Raw. It reports whether the
// line ended the reply, or why the line is not a reply line.
func (r *Reply) add(line []byte) (done bool, err error) {
	text, bare := trimEOL(line)
	code, more, problem := parseLine(text)
	if problem != "" {
		return false, &ProtocolError{Msg: problem, Bytes: r.Raw}
	}
	r.Flags |= lineFlags(len(line), code, bare)
	if len(r.Lines) > 0 && r.Lines[0][:3] != string(text[:3]) {
		r.Flags |= FlagMixedCodes
	}
	r.Lines = append(r.Lines, string(text))
	return !more, nil
}

// codes lists the codes of the lines, each once, as "250, 554".
func (r *Reply) codes() string {
	var codes []string
	for _, l := range r.Lines {
		if !slices.Contains(codes, l[:3]) {
			codes = append(codes, l[:3])
		}
	}
	return strings.Join(codes, ", ")
}

// trimEOL removes the LF and a CR before it, and reports a bare LF.
func trimEOL(line []byte) (text []byte, bareLF bool) {
	text = line[:len(line)-1]
	if n := len(text); n > 0 && text[n-1] == '\r' {
		return text[:n-1], false
	}
	return text, true
}

// parseLine parses a line without its ending as a reply line: three digits
// then SP, '-' or the end of the line (RFC 5321 section 4.2, where "250"
// alone is a valid Reply-line). more reports the '-' that continues a reply;
// problem says what is wrong, or is "".
func parseLine(text []byte) (code int, more bool, problem string) {
	if len(text) == 0 {
		return 0, false, "empty line where a reply was expected"
	}
	if len(text) < 3 || !isDigit(text[0]) || !isDigit(text[1]) || !isDigit(text[2]) {
		return 0, false, "reply line does not start with a three-digit code"
	}
	code = int(text[0]-'0')*100 + int(text[1]-'0')*10 + int(text[2]-'0')
	if len(text) == 3 {
		return code, false, ""
	}
	switch text[3] {
	case ' ':
		return code, false, ""
	case '-':
		return code, true, ""
	}
	return 0, false, "reply code not followed by SP, '-' or the end of the line"
}

// lineFlags returns the flags one line earns on its own.
func lineFlags(size, code int, bareLF bool) Flag {
	var f Flag
	if bareLF {
		f |= FlagBareLF
	}
	if code < 200 || code > 599 {
		f |= FlagOddCode
	}
	if size > maxReplyLine {
		f |= FlagLongLine
	}
	return f
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }
