package ui

import (
	"context"
	"crypto/x509"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/ehlo-sh/ehlo/third_party/bubbles/key"
	tea "github.com/ehlo-sh/ehlo/third_party/bubbletea"

	"github.com/ehlo-sh/ehlo/client"
	"github.com/ehlo-sh/ehlo/dns"
	"github.com/ehlo-sh/ehlo/domain"
	"github.com/ehlo-sh/ehlo/lab"
	"github.com/ehlo-sh/ehlo/session"
	"github.com/ehlo-sh/ehlo/wire"
)

// This file is the explorer's --mx and :mx: a domain's MX hosts, looked up
// in a command (each DNS exchange a D: line as it happens), listed in the
// side panel with their preference, addresses, DNSSEC status, DANE and
// MTA-STS; the first MX address connected to at once, as a sender would,
// another picked with :mx N or alt+o; after STARTTLS the TLS facts say
// DANE and MTA-STS beside WebPKI, as separate facts.

// MXConfig is how the explorer asks DNS for :mx and --mx.
type MXConfig struct {
	// Domain is --mx's DOMAIN (DOMAIN:PORT, user@domain): the explorer
	// starts on its first MX. "" starts on Config's target or lab.
	Domain string
	// Resolver builds the DNS client, telling obs every exchange; nil
	// leaves only the built-in lab's names to :mx.
	Resolver func(obs dns.Observer) (dns.Resolver, error)
	// Named says a resolver was named (--resolver, EHLO_RESOLVER): the
	// lab's names go to it too, not to the built-in lab's DNS server.
	Named      bool
	Route      domain.RouteOptions // --mx-order, -4/-6
	PolicyPort string              // --mta-sts-port
	// Lab is what an ehlo lab answering the named resolver published of
	// itself (its MX and policy ports, its CA), for its names only.
	Lab RemoteLab
}

// RemoteLab is an ehlo lab running elsewhere, whose DNS server is the
// named resolver: where its MX hosts and policy host listen instead of 25
// and 443, and its CA (nil when not found). Only lab.Serves names use it.
type RemoteLab struct {
	MXPort, PolicyPort string
	RootCAs            *x509.CertPool
}

// mxLookupTimeout bounds one :mx lookup: the route and every TLSA
// question (each DNS exchange has its own, shorter, deadline).
const mxLookupTimeout = 30 * time.Second

// mxState is the MX list on show.
type mxState struct {
	req        int         // stamps the lookups: a later :mx DOMAIN makes older answers stale
	name       domain.Name // the domain
	port       string      // the MX port: 25, the lab's, or DOMAIN:PORT's
	opts       client.Options
	looking    bool
	routed     bool
	route      domain.Route
	tlsa       []domain.TLSA // per host
	sts        *domain.STS   // nil until the policy lookup ends
	host, addr int           // the MX picked last, -1 for none
	target     string        // its address:port
}

// mxRouteMsg carries the route and each host's TLSA records.
type mxRouteMsg struct {
	req   int
	route domain.Route
	tlsa  []domain.TLSA
}

// mxSTSMsg carries the domain's MTA-STS record and policy.
type mxSTSMsg struct {
	req int
	sts domain.STS
}

// mxAskMsg starts --mx's lookup.
type mxAskMsg struct{ arg string }

// mxRouteCmd looks up the route and the TLSA records.
func mxRouteCmd(req int, name domain.Name, o client.DomainOptions) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), mxLookupTimeout)
		defer cancel()
		rt, tlsa := client.RouteTLSA(ctx, name, o)
		return mxRouteMsg{req: req, route: rt, tlsa: tlsa}
	}
}

// mxSTSCmd looks up MTA-STS (its own deadlines: DNS's, the policy fetch's).
func mxSTSCmd(req int, name domain.Name, o client.DomainOptions) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), mxLookupTimeout+domain.DefaultPolicyTimeout)
		defer cancel()
		return mxSTSMsg{req: req, sts: client.LookupSTS(ctx, name, o)}
	}
}

const mxUsage = "usage: :mx DOMAIN (or user@domain, DOMAIN:PORT) looks up its MX hosts and connects to the first; :mx N connects to MX N (N.M: its address M)"

// cmdMX is :mx DOMAIN, :mx N and :mx N.M.
func (m Model) cmdMX(arg string) (Model, tea.Cmd) {
	switch {
	case arg == "":
		m.flash = errorFlash(mxUsage)
		return m, nil
	case arg[0] >= '0' && arg[0] <= '9' && !strings.ContainsAny(arg, ":@") && strings.Count(arg, ".") <= 1:
		return m.mxPickArg(arg)
	}
	return m.startMX(arg)
}

// mxPickArg connects to MX N, or to address M of MX N ("N.M").
func (m Model) mxPickArg(arg string) (Model, tea.Cmd) {
	if !m.mx.routed || len(m.mx.route.Hosts) == 0 {
		m.flash = errorFlash("no MX list yet: :mx DOMAIN first")
		return m, nil
	}
	hs, as, dotted := strings.Cut(arg, ".")
	h, err := strconv.Atoi(hs)
	a := 1
	if err == nil && dotted {
		a, err = strconv.Atoi(as)
	}
	hosts := m.mx.route.Hosts
	if err != nil || h < 1 || h > len(hosts) || a < 1 || a > len(hosts[h-1].Addrs) {
		m.flash = errorFlash(fmt.Sprintf(":mx N: N from 1 to %d (N.M: address M of MX N)", len(hosts)))
		if err == nil && h >= 1 && h <= len(hosts) && len(hosts[h-1].Addrs) == 0 {
			m.flash = errorFlash(fmt.Sprintf("MX %d (%s) has no address: %s", h, session.SanitizeString(hosts[h-1].Name.String()),
				session.SanitizeString(orDefault(hosts[h-1].Problem, "none found"))))
		}
		return m, nil
	}
	return m.pickMX(h-1, a-1)
}

// nextMX connects to the next MX address, after the last the first.
func (m Model) nextMX() (Model, tea.Cmd) {
	hosts := m.mx.route.Hosts
	if !m.mx.routed || len(hosts) == 0 {
		m.flash = errorFlash("no MX list: :mx DOMAIN looks one up")
		return m, nil
	}
	i, j := max(m.mx.host, 0), m.mx.addr
	for range len(hosts) + 1 {
		j++
		if j >= len(hosts[i].Addrs) {
			i, j = (i+1)%len(hosts), 0
		}
		if j < len(hosts[i].Addrs) {
			return m.pickMX(i, j)
		}
	}
	m.flash = errorFlash("no MX host has an address")
	return m, nil
}

// mxOptions are the lookup's options: the built-in lab's DNS server, MX
// port, policy port and CA for its names (unless a resolver was named),
// else the configured resolver; every exchange goes to the transcript.
func (m Model) mxOptions(name domain.Name) (client.DomainOptions, error) {
	c := m.cfg.MX
	o := client.DomainOptions{Options: m.cfg.Options, Route: c.Route, PolicyPort: c.PolicyPort}
	obs := client.DNSObserver(m.tr)
	if l := m.cfg.Lab; l != nil && !c.Named && lab.Serves(name.ASCII) {
		r := dns.NewClient(l.DNSAddr())
		r.Observer = obs
		o.Resolver = r
		o.Port, o.PolicyPort = strconv.Itoa(l.MXPort()), strconv.Itoa(l.PolicyPort())
		if o.RootCAs == nil {
			o.RootCAs = l.CertPool()
		}
		return o, nil
	}
	if c.Resolver == nil {
		return o, fmt.Errorf("no DNS resolver here: :mx works only for the built-in lab's domain, %s", lab.Domain)
	}
	if rl := c.Lab; rl.MXPort != "" && lab.Serves(name.ASCII) {
		o.Port = rl.MXPort
		if o.PolicyPort == "" {
			o.PolicyPort = rl.PolicyPort
		}
		if o.RootCAs == nil {
			o.RootCAs = rl.RootCAs
		}
	}
	r, err := c.Resolver(obs)
	if err != nil {
		return o, err
	}
	o.Resolver = r
	return o, nil
}

// startMX looks up a domain's MX hosts, and its MTA-STS policy beside.
func (m Model) startMX(arg string) (Model, tea.Cmd) {
	name, port, err := domain.Address(arg)
	if err != nil {
		m.flash = errorFlash(":mx " + session.SanitizeString(err.Error()))
		return m, nil
	}
	o, err := m.mxOptions(name)
	if err != nil {
		m.flash = errorFlash(":mx " + session.SanitizeString(client.Explain(err)))
		return m, nil
	}
	m.mx = mxState{req: m.mx.req + 1, name: name, port: firstNonEmpty(port, o.Port, "25"), opts: o.Options,
		looking: true, host: -1}
	m.flash = infoFlash("looking up the MX hosts of " + session.SanitizeString(name.String()) + "…")
	m.note("MX lookup for " + name.String())
	return m, tea.Batch(mxRouteCmd(m.mx.req, name, o), mxSTSCmd(m.mx.req, name, o))
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// mxRouted shows the route and connects to the first MX address.
func (m Model) mxRouted(msg mxRouteMsg) (Model, tea.Cmd) {
	if msg.req != m.mx.req {
		return m, nil
	}
	m.mx.looking, m.mx.routed, m.mx.route, m.mx.tlsa = false, true, msg.route, msg.tlsa
	for i, h := range msg.route.Hosts {
		if len(h.Addrs) > 0 {
			return m.pickMX(i, 0)
		}
	}
	why := msg.route.Problem
	if why == "" {
		why = "no MX host of " + m.mx.name.String() + " has an address"
	}
	m.flash = errorFlash("no route: " + session.SanitizeString(why))
	m.note("no route to connect to: " + why)
	return m, nil
}

// mxPolicy keeps the MTA-STS answer.
func (m Model) mxPolicy(msg mxSTSMsg) Model {
	if msg.req == m.mx.req {
		m.mx.sts = &msg.sts
	}
	return m
}

// pickMX connects to address j of MX host i, as a sender does: STARTTLS
// on the MX port, the certificate checked for the MX name (WebPKI) and,
// when its TLSA records authenticate, against them (DANE).
func (m Model) pickMX(i, j int) (Model, tea.Cmd) {
	h := m.mx.route.Hosts[i]
	a := h.Addrs[j]
	target := a.String() + ":" + m.mx.port
	if a.Is6() {
		target = "[" + a.String() + "]:" + m.mx.port
	}
	opts := m.mx.opts
	opts.ServerName = h.Name.ASCII // the name WebPKI checks (RFC 8461 4.1: the MX name)
	opts.SNI = m.mx.tlsa[i].SNI(h) // the TLSA base domain when DANE applies (RFC 7672 8.1)
	opts.ImplicitTLS, opts.Plain = false, true
	opts.GreetingWait = -1 // port 25 never speaks TLS first
	opts.Check = client.DANECheck(m.mx.tlsa[i], h)
	m.mx.host, m.mx.addr, m.mx.target = i, j, target
	m.endpoint, m.opts = "", opts
	m, cmd := m.connect(target)
	what := fmt.Sprintf("MX %d of %d: %s", i+1, len(m.mx.route.Hosts), h.Name.String())
	m.flash = infoFlash(session.SanitizeString(what) + " at " + target + " — :mx N or alt+o for another")
	m.note("connecting to " + what + " (" + target + ")")
	return m, cmd
}

// mxCurrent reports whether the connection is to the MX picked last.
func (m Model) mxCurrent() bool {
	return m.mx.target != "" && m.conn.target == m.mx.target
}

// mxKey is alt+o: the next MX address.
func mxKey(w words) key.Binding {
	return key.NewBinding(key.WithKeys("alt+o"), key.WithHelp("alt+o", w.T("next MX address")))
}

// mxInfo is what the side panel shows of the MX list.
type mxInfo struct {
	st      mxState
	current bool // connected to st's pick
	tls     bool // and in TLS
}

// mxLines is the MX list: the domain and its DNSSEC status, then each
// host, its preference, addresses, DNSSEC, DANE and MTA-STS, in at most
// limit lines. When they do not all fit, the picked host keeps its
// details and the others a line each.
func (s sidePanel) mxLines(v *mxInfo, tls *tlsCheck, w, limit int) []string {
	if v == nil || limit < 1 {
		return nil
	}
	st := v.st
	head := s.st.Title.Render("MX ") + s.st.Value.Render(session.SanitizeString(st.name.String()))
	switch {
	case st.looking:
		return []string{fitLine(head+" "+s.st.Label.Render(s.w.T("looking up…")), w)}
	case st.route.Authentic:
		head += " " + s.st.OK.Render("DNSSEC ✓")
	default:
		head += " " + s.st.Label.Render(s.w.T("no DNSSEC"))
	}
	lines := []string{fitLine(head, w)}
	rt := st.route
	if len(rt.Hosts) == 0 {
		return append(lines, ellipsis(wrapHard(session.SanitizeString(rt.Problem), w, limit-1), w)...)
	}
	if rt.Kind == domain.KindImplicit {
		lines = append(lines, fitLine(s.st.Label.Render(s.w.T("no MX: the implicit MX")), w))
	}
	full := make([][]string, len(rt.Hosts))
	short := make([][]string, len(rt.Hosts))
	for i, h := range rt.Hosts {
		picked := i == st.host
		mark := "  "
		if picked {
			mark = s.st.CapHot.Render("▸") + " "
		}
		pref := strconv.Itoa(h.Preference)
		if h.Preference < 0 {
			pref = "-"
		}
		first := fitLine(mark+s.st.Value.Render(strconv.Itoa(i+1))+" "+s.st.Label.Render(pref)+" "+
			s.st.Value.Render(session.SanitizeString(h.Name.String())), w)
		short[i] = []string{first}
		var tokens []string
		for j, a := range h.Addrs {
			t := a.String()
			if picked && j == st.addr && v.current {
				t = "▸" + t
			}
			tokens = append(tokens, t)
		}
		if h.Omitted > 0 {
			tokens = append(tokens, fmt.Sprintf("+%d", h.Omitted))
		}
		if len(h.Addrs) == 0 {
			tokens = append(tokens, s.w.T("no address"))
		}
		var c *tlsCheck
		if picked && v.current {
			c = tls
		}
		tokens = append(tokens, dnssecTag(rt, h, s.w), "DANE "+daneTag(st.tlsa[i], c, s.w), "STS "+stsTag(st.sts, h, s.w))
		var detail []string
		for _, l := range flow(tokens, max(w-4, 8)) {
			detail = append(detail, fitLine("    "+s.st.Label.Render(l), w))
		}
		full[i] = append([]string{first}, detail...)
	}
	room := limit - len(lines)
	if room <= 0 {
		return lines[:limit]
	}
	n := 0
	for _, f := range full {
		n += len(f)
	}
	blocks := full
	switch {
	case v.current && v.tls && w < 36: // narrow, in TLS: the TLS facts below say the picked host's DANE and MTA-STS
		blocks = short
	case n > room:
		blocks = short
		if st.host >= 0 && len(short)-1+len(full[st.host]) <= room {
			blocks = slices.Clone(short)
			blocks[st.host] = full[st.host]
		}
	}
	if st.host >= 0 && len(blocks) > room { // too short for a line each: the picked host, and a count
		picked := short[st.host]
		if room > 1 {
			picked = append(slices.Clone(picked), fitLine(s.st.Label.Render(s.w.F("  … %d more: :mx N picks", len(blocks)-1)), w))
		}
		return append(lines, picked...)
	}
	var hosts []string
	for _, b := range blocks {
		hosts = append(hosts, b...)
	}
	if rt.Omitted > 0 {
		hosts = append(hosts, fitLine(s.st.Label.Render(s.w.F("  … %d more MX not examined", rt.Omitted)), w))
	}
	if len(hosts) > room {
		cut := len(hosts) - room + 1
		hosts = append(hosts[:room-1], fitLine(s.st.Label.Render(s.w.F("  … %d more lines: :mx N picks", cut)), w))
	}
	return append(lines, hosts...)
}

// tlsCheck is the connection's chain check, for the MX list and the TLS
// facts: what DANE said of the certificate.
type tlsCheck struct {
	ok     bool
	detail string
}

// dnssecTag says whether DNSSEC vouches for the host's addresses.
func dnssecTag(rt domain.Route, h domain.Host, w words) string {
	if rt.Authentic && h.Authentic {
		return "DNSSEC ✓"
	}
	return w.T("no DNSSEC")
}

// daneTag is the DANE verdict of a host in a few words: from its TLSA
// records, and once a TLS session is checked, from the check.
func daneTag(t domain.TLSA, c *tlsCheck, w words) string {
	switch {
	case t.Verdict == domain.DANEInsecure:
		return w.T("insecure")
	case t.Verdict != "":
		return w.T(t.Verdict)
	case c != nil && c.ok:
		return w.T("matched #") + strings.TrimPrefix(c.detail, "matched by record ")
	case c != nil:
		return w.T("no match")
	}
	return fmt.Sprintf("%d TLSA", len(t.Records))
}

// stsTag is the MTA-STS verdict of a host: whether the policy lists it.
func stsTag(s *domain.STS, h domain.Host, w words) string {
	switch {
	case s == nil:
		return "…"
	case s.Verdict == domain.STSNone:
		return w.T("none")
	case s.Verdict != domain.STSOK:
		return w.T("error")
	case s.Policy.Mode == domain.ModeNone:
		return "mode none"
	case s.Policy.Match(h.Name.ASCII) != "":
		return w.T("listed")
	}
	return w.T("NOT listed")
}

// mxTLS are the TLS facts of an MX connection beside WebPKI's: DANE (what
// the TLSA records said, and what the check of the chain said) and
// MTA-STS (the mode, whether the policy lists this MX, whether the
// certificate is valid for the MX name). In a narrow panel each says its
// verdict in a line or two: the words that matter, not the sentence.
func (s sidePanel) mxTLS(v *mxInfo, verified bool, c *tlsCheck, w int) []string {
	if v == nil || !v.current || v.st.host < 0 {
		return nil
	}
	st := v.st
	h, t := st.route.Hosts[st.host], st.tlsa[st.host]
	vw, narrow := max(w-8, 8), w < 36
	var dane string
	style := s.st.Label
	switch {
	case t.Verdict == domain.DANEInsecure && narrow:
		dane = s.w.T("off: unsigned")
	case t.Verdict != "":
		dane = s.w.T(t.Verdict)
		if t.Verdict == domain.DANEBogus {
			style = s.st.Error
		}
	case c != nil && c.ok && narrow:
		dane, style = "✓ "+s.w.T("matched #")+strings.TrimPrefix(c.detail, "matched by record "), s.st.OK
	case c != nil && c.ok:
		dane, style = "✓ "+c.detail, s.st.OK
	case c != nil:
		dane, style = "✗ "+c.detail, s.st.Error
	default:
		dane = s.w.T("not checked")
	}
	lines := s.certRow("DANE    ", wrapHard(session.SanitizeString(dane), vw, 2), style, w)
	words, style := s.stsWords(st.sts, h, verified, narrow)
	return append(lines, s.certRow("MTA-STS ", wrapHard(session.SanitizeString(words), vw, 4), style, w)...)
}

// stsWords is MTA-STS's verdict on the MX: the mode, whether the policy
// lists it, whether its certificate is valid for the MX name; narrow,
// the mode and ✓, or the first failure.
func (s sidePanel) stsWords(sts *domain.STS, h domain.Host, verified, narrow bool) (string, lipgloss.Style) {
	switch {
	case sts == nil:
		return s.w.T("looking up…"), s.st.Label
	case sts.Verdict == domain.STSNone:
		return s.w.T(sts.Verdict), s.st.Label
	case sts.Verdict != domain.STSOK:
		return s.w.T(sts.Verdict), s.st.Warning
	}
	listed, cert, fails := s.w.T("MX listed"), s.w.T("certificate valid for the MX"), false
	first := ""
	if sts.Policy.Match(h.Name.ASCII) == "" {
		listed, fails, first = s.w.T("MX NOT listed"), true, s.w.T("MX not listed")
	}
	if !verified {
		cert, fails = s.w.T("certificate NOT valid for the MX"), true
		first = orDefault(first, s.w.T("cert not for the MX"))
	}
	words := sts.Policy.Mode + s.w.T("; ") + listed + s.w.T("; ") + cert
	if narrow {
		words = sts.Policy.Mode + " ✓"
		if fails {
			words = sts.Policy.Mode + " ✗ " + first
		}
	}
	switch {
	case fails && sts.Policy.Mode == domain.ModeEnforce:
		return words, s.st.Error
	case fails:
		return words, s.st.Warning // testing: reported, delivered
	}
	return words, s.st.OK
}

// trusted reports a certificate that WebPKI verified, or that a chain
// check (DANE) matched: the badge says TLS, not TLS UNVERIFIED.
func trusted(info wire.TLSInfo) bool {
	return info.Verified || info.Check != nil && info.Check.OK
}

// chainCheck is what the chain check of a session said, nil for none.
func chainCheck(t *wire.TLSInfo) *tlsCheck {
	if t == nil || t.Check == nil {
		return nil
	}
	return &tlsCheck{ok: t.Check.OK, detail: t.Check.Detail}
}

// mxInfo is the MX list for the side panel, nil without one.
func (m Model) mxInfo() *mxInfo {
	if m.mx.req == 0 {
		return nil
	}
	return &mxInfo{st: m.mx, current: m.mxCurrent(), tls: m.sess.TLS && m.conn.tls != nil}
}

// sideTarget is the target as the side panel names it: the MX host's
// name and port when connected to a picked MX (its address follows, "→").
func (m Model) sideTarget() string {
	if !m.mxCurrent() {
		return m.conn.target
	}
	return m.mx.route.Hosts[m.mx.host].Name.String() + ":" + m.mx.port
}

// webPKI is the certificate's WebPKI verdict for the MX name, as one of
// the three facts of an MX's TLS session.
func (s sidePanel) webPKI(t wire.TLSInfo, w int) []string {
	vw := max(w-8, 8)
	switch {
	case t.Verified && w < 36: // narrow: the name is the panel's target, above
		return s.certRow("WebPKI  ", []string{"✓ " + s.w.T("valid")}, s.st.OK, w)
	case t.Verified:
		return s.certRow("WebPKI  ", wrapHard("✓ "+s.w.F("valid for %s", session.SanitizeString(t.ServerName)), vw, 2), s.st.OK, w)
	}
	why := client.ExplainVerify(t.VerifyError)
	if why == "" {
		why = s.w.T("not verified")
	}
	return s.certRow("WebPKI  ", wrapHard("✗ "+why, vw, 2), s.st.Error, w)
}
