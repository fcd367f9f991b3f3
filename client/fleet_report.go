package client

import (
	"cmp"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// FleetSummary counts what a fleet run found, from its lines as they come
// (`probe --from-file`) or as saved (`ehlo report`). Its size does not
// grow with the number of targets: counts, the slowest few, and the first
// few targets of each finding.
type FleetSummary struct {
	Now      time.Time // certificate expiry is judged against it
	Total    int
	Status   map[string]int
	Versions map[string]int // TLS version, "none" without TLS
	Ciphers  map[string]int
	Verdict  map[string]int // verified, unverified, no TLS
	Expiring findings       // leaf certificates that end within 30 days (or ended)
	AuthSeen findings       // AUTH offered before TLS
	Examples map[string]*findings
	Slowest  []FleetJSON // the slowest, slowest first
	Domains  int
	Verdicts map[string]int // IANA STARTTLS validation result types found, per domain
	DANE     map[string]int // would a DANE-enforcing sender deliver: yes, no, unknown
	STS      map[string]int // would an MTA-STS-enforcing sender
	Reused   int            // MX probes reused from another domain
	// Port25 counts the host lines on port 25; Port25Silent those of them
	// that got no answer there (timeout or blocked), and Port25Blocked
	// those whose host answered on another port: see Port25Note.
	Port25, Port25Silent, Port25Blocked int
}

// AddDomain counts one domain's line: its status, and its verdicts.
func (s *FleetSummary) AddDomain(j FleetDomainJSON) {
	s.AddDomainLine(FleetJSON{ProbeJSON: ProbeJSON{Target: j.Target}, Status: j.Status, Reason: j.Reason, Elapsed: j.Elapsed},
		j.Verdicts, j.DANE.Delivers, j.STS.Delivers, len(j.Reused))
}

// AddDomainLine counts a domain's line from its status and time (j) and its
// verdicts: the result types found, whether DANE- and MTA-STS-enforcing
// senders deliver, its MX probes reused from another domain.
func (s *FleetSummary) AddDomainLine(j FleetJSON, verdicts []string, dane, sts string, reused int) {
	s.count(j)
	s.Domains++
	for _, v := range verdicts {
		s.Verdicts[v]++
	}
	if dane != "" {
		s.DANE[dane]++
	}
	if sts != "" {
		s.STS[sts]++
	}
	s.Reused += reused
}

// findings is a count with the first few targets.
type findings struct {
	N       int
	Targets []string
}

const (
	maxExamples = 5
	maxSlowest  = 5
	expiryWarn  = 30 * 24 * time.Hour
)

func (f *findings) add(s string) {
	f.N++
	if len(f.Targets) < maxExamples {
		f.Targets = append(f.Targets, s)
	}
}

// NewFleetSummary is an empty summary judged at now.
func NewFleetSummary(now time.Time) *FleetSummary {
	return &FleetSummary{Now: now, Status: map[string]int{}, Versions: map[string]int{}, Ciphers: map[string]int{},
		Verdict: map[string]int{}, Examples: map[string]*findings{}, Verdicts: map[string]int{}, DANE: map[string]int{}, STS: map[string]int{}}
}

// Add counts one host's line.
func (s *FleetSummary) Add(j FleetJSON) {
	s.count(j)
	if _, port, err := net.SplitHostPort(j.Target); err == nil && port == "25" {
		s.Port25++
		switch j.Status {
		case StatusBlocked:
			s.Port25Blocked++
			s.Port25Silent++
		case StatusTimeout:
			s.Port25Silent++
		}
	}
	s.addTLS(j)
	for _, h := range j.EHLO {
		if _, ok := h.Extensions["AUTH"]; ok && !h.TLS && !j.ImplicitTLS {
			s.AuthSeen.add(j.Target)
			break
		}
	}
}

// count counts a line's status and time.
func (s *FleetSummary) count(j FleetJSON) {
	s.Total++
	s.Status[j.Status]++
	if j.Status != StatusOK {
		ex := s.Examples[j.Status]
		if ex == nil {
			ex = &findings{}
			s.Examples[j.Status] = ex
		}
		ex.add(j.Target)
	}
	s.addSlow(j)
}

func (s *FleetSummary) addTLS(j FleetJSON) {
	t := j.TLS
	switch {
	case t == nil:
		if j.Status == StatusOK {
			s.Versions["none"]++
			s.Verdict["no TLS"]++
		}
		return
	case t.Verified:
		s.Verdict["verified"]++
	default:
		s.Verdict["unverified"]++
	}
	if t.Version != "" {
		s.Versions[t.Version]++
	}
	if t.Cipher != "" {
		s.Ciphers[t.Cipher]++
	}
	if len(t.Certificates) > 0 {
		if end, err := time.Parse(time.RFC3339, t.Certificates[0].NotAfter); err == nil && end.Sub(s.Now) < expiryWarn {
			s.Expiring.add(fmt.Sprintf("%s (%s)", j.Target, end.Format("2006-01-02")))
		}
	}
}

func (s *FleetSummary) addSlow(j FleetJSON) {
	j.Transcript = nil // the summary keeps no transcript
	i, _ := slices.BinarySearchFunc(s.Slowest, j.Elapsed, func(a FleetJSON, e float64) int { return cmp.Compare(e, a.Elapsed) })
	if i >= maxSlowest {
		return
	}
	s.Slowest = slices.Insert(s.Slowest, i, j)
	if len(s.Slowest) > maxSlowest {
		s.Slowest = s.Slowest[:maxSlowest]
	}
}

// WriteShort writes the few lines `probe --jsonl` ends with on stderr:
// counts by status, TLS version and verdict, and the slowest targets.
func (s *FleetSummary) WriteShort(w io.Writer) {
	fmt.Fprintf(w, "%d targets: %s\n", s.Total, s.statusWords())
	if len(s.Versions) > 0 {
		fmt.Fprintf(w, "TLS: %s\n", countWords(s.Versions))
	}
	if len(s.Verdict) > 0 {
		fmt.Fprintf(w, "certificates: %s\n", countWords(s.Verdict))
	}
	if s.Domains > 0 {
		fmt.Fprintf(w, "domains: %d; a DANE-enforcing sender delivers: %s; an MTA-STS-enforcing one: %s; %d MX probes reused from another domain\n",
			s.Domains, countWords(s.DANE), countWords(s.STS), s.Reused)
	}
	if len(s.Slowest) > 0 {
		parts := make([]string, 0, len(s.Slowest))
		for _, j := range s.Slowest {
			parts = append(parts, fmt.Sprintf("%s %.1fs (%s)", j.Target, j.Elapsed, j.Status))
		}
		fmt.Fprintf(w, "slowest: %s\n", strings.Join(parts, ", "))
	}
	if note := s.Port25Note(); note != "" {
		fmt.Fprintln(w, note)
	}
}

// Port25Note is the run's judgement of port 25, or "": when no port-25
// target of the run (two or more) answered there and some of their hosts
// answered on another port, the likeliest cause is not the hosts but this
// network dropping outgoing port 25, as ISPs and clouds do.
func (s *FleetSummary) Port25Note() string {
	if s.Port25 < 2 || s.Port25Blocked == 0 || s.Port25Silent != s.Port25 {
		return ""
	}
	return fmt.Sprintf("port 25: none of the %d targets on port 25 answered there, and %d of their hosts answered on another port: "+
		"this network probably blocks outgoing port 25 (many ISPs and clouds do); probe from a host that may send mail", s.Port25, s.Port25Blocked)
}

// statusWords is the counts by status, in Statuses' order.
func (s *FleetSummary) statusWords() string {
	var parts []string
	for _, st := range s.statusOrder() {
		parts = append(parts, fmt.Sprintf("%d %s", s.Status[st], st))
	}
	if len(parts) == 0 {
		return "none finished"
	}
	return strings.Join(parts, ", ")
}

// statusOrder is the statuses seen, the known ones first in their order.
func (s *FleetSummary) statusOrder() []string {
	var out []string
	for _, st := range Statuses {
		if s.Status[st] > 0 {
			out = append(out, st)
		}
	}
	var other []string
	for st := range s.Status {
		if !slices.Contains(Statuses, st) {
			other = append(other, st)
		}
	}
	slices.Sort(other)
	return append(out, other...)
}

// countWords is "N key, N key", the largest count first.
func countWords(m map[string]int) string {
	var parts []string
	for _, k := range byCount(m) {
		parts = append(parts, fmt.Sprintf("%d %s", m[k], k))
	}
	return strings.Join(parts, ", ")
}

func byCount(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return cmp.Or(cmp.Compare(m[b], m[a]), cmp.Compare(a, b)) })
	return keys
}

// WriteTable writes the summary a person reads (`probe --summary`, `ehlo
// report`): targets by status with examples, TLS versions and ciphers,
// certificates, expiry within 30 days, AUTH before TLS, the slowest.
func (s *FleetSummary) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "%d targets\n\nSTATUS\tTARGETS\tSHARE\tFOR EXAMPLE\n", s.Total)
	for _, st := range s.statusOrder() {
		ex := ""
		if e := s.Examples[st]; e != nil {
			ex = strings.Join(e.Targets, " ")
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", st, s.Status[st], s.share(s.Status[st]), ex)
	}
	s.table(tw, "TLS VERSION", s.Versions)
	s.table(tw, "CIPHER", s.Ciphers)
	s.table(tw, "CERTIFICATE", s.Verdict)
	if s.Domains > 0 {
		s.table(tw, "DANE-ENFORCING SENDER DELIVERS", s.DANE)
		s.table(tw, "MTA-STS-ENFORCING SENDER DELIVERS", s.STS)
		s.table(tw, "VERDICT (IANA RESULT TYPE)", s.Verdicts)
		fmt.Fprintf(tw, "\nMX probes reused from another domain: %d\n", s.Reused)
	}
	fmt.Fprintln(tw)
	s.finding(tw, "certificates ending within 30 days", s.Expiring)
	s.finding(tw, "AUTH offered before TLS", s.AuthSeen)
	if note := s.Port25Note(); note != "" {
		fmt.Fprintf(tw, "\n%s\n", note)
	}
	if len(s.Slowest) > 0 {
		fmt.Fprintf(tw, "\nSLOWEST\tSECONDS\tSTATUS\n")
		for _, j := range s.Slowest {
			fmt.Fprintf(tw, "%s\t%.1f\t%s\n", j.Target, j.Elapsed, j.Status)
		}
	}
	return tw.Flush()
}

func (s *FleetSummary) table(w io.Writer, title string, m map[string]int) {
	if len(m) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%s\tTARGETS\tSHARE\n", title)
	for _, k := range byCount(m) {
		fmt.Fprintf(w, "%s\t%d\t%s\n", k, m[k], s.share(m[k]))
	}
}

func (s *FleetSummary) finding(w io.Writer, what string, f findings) {
	fmt.Fprintf(w, "%s: %d", what, f.N)
	if f.N > 0 {
		fmt.Fprintf(w, " (%s", strings.Join(f.Targets, ", "))
		if f.N > len(f.Targets) {
			fmt.Fprintf(w, ", and %d more", f.N-len(f.Targets))
		}
		fmt.Fprint(w, ")")
	}
	fmt.Fprintln(w)
}

func (s *FleetSummary) share(n int) string {
	if s.Total == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(n)/float64(s.Total))
}
