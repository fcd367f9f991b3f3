// Package hostile is a test-only SMTP server that misbehaves on purpose:
// it plays a scenario, a small script read from a fixture, against whatever
// connects (wire, client.Probe, the TUI model, the CLI commands), and
// records every byte it wrote and received. It also holds the checks every
// hostile test makes: no goroutine leak, nothing from the server that could
// act on a terminal in any output, no secret in any output.
//
// A fixture (scenarios/*.txt) is one directive per line; '#' starts a
// comment, and the first comment lines document the scenario. Quoted
// arguments are Go string literals, so "\x1b]52;c;...\x07" is an OSC 52.
//
//	send "220 mx ESMTP\r\n"     write the bytes in one call
//	trickle 50ms "220 ...\r\n"  write them one byte at a time, pausing between bytes
//	repeat 300 "250-x\r\n"      write them 300 times; 0 means until the client stops reading
//	fill 10MiB "x"              write that many bytes of the pattern, no line ending
//	random 2KiB 7               write that many pseudo-random bytes (seed 7): controls, ESC, CR, LF, NUL
//	expect EHLO                 read client lines until one starts with EHLO (any case); * takes any line
//	echo "535 x {secret}\r\n"   send them with the client's last AUTH line, or answer to a 334, put in (see Echo)
//	sleep 200ms                 pause
//	tls selfsigned              run the server side of a TLS handshake (good, selfsigned, expired, wrongname)
//	tls good 1.0                the same, speaking TLS 1.0 at most (1.0, 1.1, 1.2): an old server
//	scram USER PASS good        play the server side of the client's AUTH SCRAM-... (good, wrong, early: see scramStep)
//	hang                        read and discard until the client closes
//	close                       close (FIN)
//	reset                       close with RST (SO_LINGER 0)
//
// A script that ends without close or reset hangs, as a server that says
// nothing more would.
package hostile

import (
	"crypto/tls"
	"embed"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Op is what one step does.
type Op int

const (
	OpSend Op = iota
	OpTrickle
	OpRepeat
	OpFill
	OpRandom
	OpExpect
	OpEcho
	OpSleep
	OpTLS
	OpHang
	OpSCRAM
	OpClose
	OpReset
)

var opNames = map[string]Op{
	"send": OpSend, "trickle": OpTrickle, "repeat": OpRepeat, "fill": OpFill, "random": OpRandom,
	"expect": OpExpect, "echo": OpEcho, "sleep": OpSleep, "tls": OpTLS, "hang": OpHang, "scram": OpSCRAM, "close": OpClose, "reset": OpReset,
}

// Step is one directive of a scenario.
type Step struct {
	Op     Op
	Data   []byte        // bytes to send, the pattern to fill, the prefix to expect, the certificate's name
	Every  time.Duration // trickle's pause, sleep's length
	Count  int           // repeat's count, fill's and random's size
	Seed   int64         // random's seed
	MaxTLS uint16        // tls's highest version; 0 for crypto/tls's
}

// Scenario is a parsed fixture.
type Scenario struct {
	Name  string // the fixture's file name without .txt
	Doc   string // its leading comment
	Steps []Step
}

//go:embed scenarios/*.txt
var fixtures embed.FS

// Load returns the named scenario from scenarios/NAME.txt; it panics on a
// missing or bad fixture, which is a bug in the tests.
func Load(name string) Scenario {
	b, err := fixtures.ReadFile(path.Join("scenarios", name+".txt"))
	if err != nil {
		panic(fmt.Sprintf("hostile: no scenario %q: %v", name, err))
	}
	sc, err := Parse(name, string(b))
	if err != nil {
		panic(err)
	}
	return sc
}

// Names lists every scenario fixture.
func Names() []string {
	entries, _ := fixtures.ReadDir("scenarios")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".txt"))
	}
	sort.Strings(names)
	return names
}

// Parse reads a scenario from its text.
func Parse(name, text string) (Scenario, error) {
	sc := Scenario{Name: name}
	var doc []string
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if c, ok := strings.CutPrefix(line, "#"); ok {
			if len(sc.Steps) == 0 {
				doc = append(doc, strings.TrimSpace(c))
			}
			continue
		}
		if line == "" {
			continue
		}
		st, err := parseStep(line)
		if err != nil {
			return sc, fmt.Errorf("hostile: %s.txt line %d: %w", name, i+1, err)
		}
		sc.Steps = append(sc.Steps, st)
	}
	sc.Doc = strings.Join(doc, " ")
	return sc, nil
}

// parseStep reads one directive.
func parseStep(line string) (Step, error) {
	word, rest, _ := strings.Cut(line, " ")
	op, ok := opNames[word]
	if !ok {
		return Step{}, fmt.Errorf("unknown directive %q", word)
	}
	st := Step{Op: op}
	rest = strings.TrimSpace(rest)
	var err error
	switch op {
	case OpSend, OpEcho:
		st.Data, err = unquote(rest)
	case OpTrickle:
		d, q, _ := strings.Cut(rest, " ")
		if st.Every, err = time.ParseDuration(d); err == nil {
			st.Data, err = unquote(q)
		}
	case OpRepeat, OpFill:
		n, q, _ := strings.Cut(rest, " ")
		if st.Count, err = size(n); err == nil {
			st.Data, err = unquote(q)
		}
	case OpRandom:
		n, seed, _ := strings.Cut(rest, " ")
		if st.Count, err = size(n); err == nil {
			st.Seed, err = strconv.ParseInt(strings.TrimSpace(seed), 10, 64)
		}
	case OpExpect, OpSCRAM:
		st.Data = []byte(rest)
	case OpTLS:
		name, max, _ := strings.Cut(rest, " ")
		st.Data = []byte(name)
		st.MaxTLS, err = tlsVersion(max)
	case OpSleep:
		st.Every, err = time.ParseDuration(rest)
	}
	return st, err
}

// tlsVersion reads "1.0", "1.1" or "1.2"; "" is 0, crypto/tls's default.
func tlsVersion(s string) (uint16, error) {
	versions := map[string]uint16{"": 0, "1.0": tls.VersionTLS10, "1.1": tls.VersionTLS11, "1.2": tls.VersionTLS12}
	v, ok := versions[strings.TrimSpace(s)]
	if !ok {
		return 0, fmt.Errorf("unknown TLS version %q", s)
	}
	return v, nil
}

func unquote(q string) ([]byte, error) {
	s, err := strconv.Unquote(strings.TrimSpace(q))
	return []byte(s), err
}

// size reads "300", "2KiB" or "10MiB".
func size(s string) (int, error) {
	mult := 1
	switch {
	case strings.HasSuffix(s, "KiB"):
		mult, s = 1<<10, strings.TrimSuffix(s, "KiB")
	case strings.HasSuffix(s, "MiB"):
		mult, s = 1<<20, strings.TrimSuffix(s, "MiB")
	}
	n, err := strconv.Atoi(s)
	return n * mult, err
}
