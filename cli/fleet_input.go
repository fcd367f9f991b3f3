package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"strings"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/domain"
	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

// maxTargetLine is the longest line of a target file: a host name is at
// most 253 bytes; a longer line is reported and skipped, never buffered.
const maxTargetLine = 4096

// targetSet holds the targets already probed or queued, as 64-bit hashes
// of their host (lower case) and port: 8 bytes and the map's overhead per
// distinct target (about 40 MB for a million), whatever the lines' length.
// Two targets share a hash once in about 10^19 pairs.
type targetSet struct {
	seed maphash.Seed
	m    map[uint64]struct{}
}

func newTargetSet() *targetSet {
	return &targetSet{seed: maphash.MakeSeed(), m: map[uint64]struct{}{}}
}

// targetKey is a target's identity: its host in lower case and its port,
// so "MX.example:25" and "mx.example" are one target.
func targetKey(target string) (string, error) {
	host, port, err := wire.ParseTarget(target)
	if err != nil {
		return "", err
	}
	return strings.ToLower(host) + " " + port, nil
}

// add says whether key is new, and keeps it.
func (s *targetSet) add(key string) bool {
	h := maphash.String(s.seed, key)
	if _, dup := s.m[h]; dup {
		return false
	}
	s.m[h] = struct{}{}
	return true
}

// inputStats are what reading the targets found besides targets.
type inputStats struct {
	lines, bad, dups, skipped int
}

// readTargets streams the targets of r, one a line, to out, and closes out
// at the end of r or of ctx: blank lines and # comments are skipped (also
// after a target), a line that is not a target is reported on errOut with
// its line number, a target seen before (or in done: a resumed run's) is
// probed once. It never holds more than one line.
func readTargets(ctx context.Context, r io.Reader, name string, domains bool, done *targetSet, out chan<- client.FleetTarget, errOut io.Writer) (inputStats, error) {
	defer close(out)
	var st inputStats
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := readLine(br)
		if line == nil && err != nil {
			if errors.Is(err, io.EOF) {
				return st, nil
			}
			return st, err
		}
		st.lines++
		target, isDomain, bad := parseTargetLine(line, domains)
		switch {
		case bad != "":
			st.bad++
			fmt.Fprintf(errOut, "ehlo: %s:%d: %s\n", name, st.lines, bad)
			continue
		case target == "":
			continue
		}
		key, _ := lineKey(target, isDomain)
		if !done.add(key) {
			st.dups++
			continue
		}
		select {
		case out <- client.FleetTarget{Target: target, Line: st.lines, Domain: isDomain}:
		case <-ctx.Done():
			return st, nil
		}
	}
}

// readLine reads one line without its ending; a line over maxTargetLine is
// consumed whole and returned cut at the limit, which parseTargetLine
// refuses.
func readLine(br *bufio.Reader) ([]byte, error) {
	var long []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if long == nil {
				long = append([]byte(nil), chunk[:min(len(chunk), maxTargetLine+1)]...)
			}
			continue
		}
		if long != nil {
			return long, nil
		}
		if len(chunk) == 0 {
			return nil, err
		}
		return chunk, nil
	}
}

// lineKey is a line's identity: a host target's (targetKey), or a
// domain's name in A-labels and its port.
func lineKey(target string, isDomain bool) (string, error) {
	if !isDomain {
		return targetKey(target)
	}
	name, port, err := domain.Address(target)
	if err != nil {
		return "", err
	}
	return "domain " + name.ASCII + " " + port, nil
}

// parseTargetLine is the target on a line, "" for a blank line or a
// comment, or why the line is not a target. A line is a domain
// (isDomain) when domains (--mx) is set or it holds "@" (user@domain,
// @domain).
func parseTargetLine(line []byte, domains bool) (target string, isDomain bool, bad string) {
	if len(line) > maxTargetLine {
		return "", false, fmt.Sprintf("a line longer than %d bytes is not a target", maxTargetLine)
	}
	s := strings.TrimRight(string(line), "\r\n")
	if i := strings.IndexByte(s, '#'); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return "", false, ""
	}
	if strings.ContainsAny(s, " \t") {
		return "", false, fmt.Sprintf("%q: one target a line (host, host:port, [v6]:port, or with --mx a domain)", clipLine(s))
	}
	if domains || strings.Contains(s, "@") {
		if _, _, err := domain.Address(s); err != nil {
			return "", false, session.SanitizeString(err.Error())
		}
		return s, true, ""
	}
	if _, _, err := wire.ParseTarget(s); err != nil {
		return "", false, fmt.Sprintf("%q: %s", clipLine(s), strings.TrimPrefix(err.Error(), "wire: "))
	}
	return s, false, ""
}

// clipLine shortens s for a message, escaped by %q.
func clipLine(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
