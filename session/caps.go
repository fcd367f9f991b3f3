package session

import (
	"strconv"
	"strings"
)

// Capability is one EHLO keyword line (RFC 5321 section 4.1.1.1:
// ehlo-line = ehlo-keyword *( SP ehlo-param )).
type Capability struct {
	Keyword string // upper-cased, e.g. "AUTH", "SIZE"
	Params  string // parameters as sent, e.g. "PLAIN LOGIN"
	Legacy  bool   // from the pre-standard "AUTH=LOGIN" form
}

// name is the keyword as shown and as keyed in diffs: "AUTH=" for the
// legacy form, so that "AUTH" and "AUTH=" lines are told apart.
func (c Capability) name() string {
	if c.Legacy {
		return c.Keyword + "="
	}
	return c.Keyword
}

// Capabilities is what a 250 reply to EHLO advertises.
type Capabilities struct {
	Domain string       // the server's name: the first word of the first line (see SplitHello)
	Greet  string       // the rest of the first line, such as "Hello foo [192.0.2.1]"; often empty
	List   []Capability // in the order advertised
}

// SplitHello splits the first line's text of a 250 reply to EHLO or HELO
// into the server's domain and the free text after it (RFC 5321 4.1.1.1:
// "250" SP Domain [ SP ehlo-greet ]): "mail.example.org Hello foo
// [192.0.2.1]", as Exim and OpenSMTPD answer, gives "mail.example.org"
// and "Hello foo [192.0.2.1]".
func SplitHello(line string) (domain, greet string) {
	line = strings.TrimSpace(line)
	i := strings.IndexAny(line, " \t")
	if i < 0 {
		return line, ""
	}
	return line[:i], strings.TrimSpace(line[i:])
}

// ParseEHLO reads the capabilities from a reply to EHLO: the first line is
// the domain and a greeting (SplitHello), each further line one keyword and
// its parameters. A reply
// other than 250 advertises nothing and yields zero Capabilities. Blank
// lines are skipped; surrounding whitespace is not part of the parameters.
func ParseEHLO(r Reply) Capabilities {
	if r.Code != 250 || len(r.Lines) == 0 {
		return Capabilities{}
	}
	var c Capabilities
	c.Domain, c.Greet = SplitHello(r.Lines[0])
	for i, line := range r.Lines[1:] {
		if capa, ok := parseCapability(line); ok {
			if c.List == nil { // one allocation for the whole list
				c.List = make([]Capability, 0, len(r.Lines)-1-i)
			}
			c.List = append(c.List, capa)
		}
	}
	return c
}

// parseCapability parses one EHLO line. "AUTH=LOGIN PLAIN" is the form some
// servers still send for clients that predate RFC 2554.
func parseCapability(line string) (Capability, bool) {
	kw, params, _ := strings.Cut(strings.TrimSpace(line), " ")
	if kw == "" {
		return Capability{}, false
	}
	c := Capability{Keyword: upperASCII(kw), Params: strings.TrimSpace(params)}
	if strings.HasPrefix(c.Keyword, "AUTH=") {
		c.Keyword, c.Legacy = "AUTH", true
		c.Params = strings.TrimSpace(kw[len("AUTH="):] + " " + c.Params)
	}
	return c, true
}

// upperASCII upper-cases the ASCII letters of s and leaves every other byte
// as it is. Keywords and mechanism names are ASCII (RFC 5321 section
// 4.1.1.1, RFC 4422 section 3.1) and compare without case in the ASCII
// sense (RFC 5321 section 2.4): Unicode case mapping would read a hostile
// "ſTARTTLS" (long s) as STARTTLS, and turn invalid UTF-8 into U+FFFD.
func upperASCII(s string) string {
	first := strings.IndexFunc(s, func(r rune) bool { return 'a' <= r && r <= 'z' })
	if first < 0 {
		return s // the usual case, without allocating
	}
	b := []byte(s)
	for i := first; i < len(b); i++ {
		if c := b[i]; 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// find returns the first capability with the keyword, preferring the
// standard form over the legacy "AUTH=" form.
func (c Capabilities) find(keyword string) (Capability, bool) {
	var legacy *Capability
	for i, capa := range c.List {
		if upperASCII(capa.Keyword) != upperASCII(keyword) {
			continue
		}
		if !capa.Legacy {
			return capa, true
		}
		if legacy == nil {
			legacy = &c.List[i]
		}
	}
	if legacy != nil {
		return *legacy, true
	}
	return Capability{}, false
}

// Has reports whether keyword is advertised, ignoring case. "AUTH" is true
// for the legacy "AUTH=" form too.
func (c Capabilities) Has(keyword string) bool {
	_, ok := c.find(keyword)
	return ok
}

// Param returns the parameters of keyword, from its standard form when both
// the standard and the legacy form are advertised.
func (c Capabilities) Param(keyword string) (string, bool) {
	capa, ok := c.find(keyword)
	return capa.Params, ok
}

// AuthMechanisms returns the SASL mechanisms of every AUTH and AUTH= line
// (RFC 4954 section 3), upper-cased, without duplicates, in advertised order.
func (c Capabilities) AuthMechanisms() []string {
	var mechs []string
	seen := make(map[string]bool)
	for _, capa := range c.List {
		if capa.Keyword != "AUTH" {
			continue
		}
		for _, m := range strings.Fields(capa.Params) {
			m = upperASCII(m)
			if !seen[m] {
				seen[m] = true
				mechs = append(mechs, m)
			}
		}
	}
	return mechs
}

// MaxSize returns the SIZE parameter (RFC 1870 section 4). ok is false when
// SIZE is absent or its parameter is not a non-negative number. SIZE alone
// or "SIZE 0" yields (0, true): the server declares no fixed maximum.
func (c Capabilities) MaxSize() (n int64, ok bool) {
	params, ok := c.Param("SIZE")
	if !ok {
		return 0, false
	}
	if params == "" {
		return 0, true
	}
	n, err := strconv.ParseInt(params, 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// CapChange is a keyword advertised on both sides with different parameters.
type CapChange struct{ Keyword, Before, After string }

// CapDiff is the difference between two EHLO replies, typically the ones
// before and after STARTTLS (RFC 3207 section 4.2).
type CapDiff struct {
	Added, Removed []Capability
	Changed        []CapChange
}

// Empty reports whether the two sides advertised the same.
func (d CapDiff) Empty() bool {
	return len(d.Added) == 0 && len(d.Removed) == 0 && len(d.Changed) == 0
}

// DiffCapabilities compares two EHLO replies keyword by keyword. "AUTH" and
// the legacy "AUTH=" are different keywords (the latter is reported as
// Keyword "AUTH=" in Changed); a keyword repeated on several lines is
// compared occurrence by occurrence. Added and Changed follow after's order,
// Removed follows before's.
func DiffCapabilities(before, after Capabilities) CapDiff {
	var d CapDiff
	old := occurrences(before.List)
	for key, capa := range keyed(after.List) {
		prev, ok := old[key]
		switch {
		case !ok:
			d.Added = append(d.Added, capa)
		case prev.Params != capa.Params:
			d.Changed = append(d.Changed, CapChange{Keyword: capa.name(), Before: prev.Params, After: capa.Params})
		}
	}
	now := occurrences(after.List)
	for key, capa := range keyed(before.List) {
		if _, ok := now[key]; !ok {
			d.Removed = append(d.Removed, capa)
		}
	}
	return d
}

// capKey identifies the n-th line advertising a keyword.
type capKey struct {
	name string
	n    int
}

// keyed yields each capability with its key, in order.
func keyed(list []Capability) func(yield func(capKey, Capability) bool) {
	return func(yield func(capKey, Capability) bool) {
		count := make(map[string]int)
		for _, capa := range list {
			k := capKey{capa.name(), count[capa.name()]}
			count[capa.name()]++
			if !yield(k, capa) {
				return
			}
		}
	}
}

func occurrences(list []Capability) map[capKey]Capability {
	m := make(map[capKey]Capability, len(list))
	for k, capa := range keyed(list) {
		m[k] = capa
	}
	return m
}

// HumanSize formats a byte count with binary units: 1000 -> "1000 B",
// 52428800 -> "50 MiB", 35882577 -> "34.2 MiB". Exact multiples have no
// decimals; others are rounded to one.
func HumanSize(n int64) string {
	if n < 0 {
		return "-" + humanSize(uint64(-(n+1))+1)
	}
	return humanSize(uint64(n))
}

func humanSize(u uint64) string {
	const units = "KMGTPE"
	if u < 1024 {
		return strconv.FormatUint(u, 10) + " B"
	}
	i, v := 0, float64(u)/1024
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	shift := 10 * uint(i+1)
	if u&(1<<shift-1) == 0 {
		return strconv.FormatUint(u>>shift, 10) + " " + units[i:i+1] + "iB"
	}
	s := strconv.FormatFloat(v, 'f', 1, 64)
	if s == "1024.0" && i < len(units)-1 { // rounding reached the next unit
		i++
		s = "1.0"
	}
	return s + " " + units[i:i+1] + "iB"
}
