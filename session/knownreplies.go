package session

import (
	"slices"
	"strings"
)

// KnownReply is a reply that a well-known server or provider sends, with
// what it means there. Patterns are data: a reply matches when every
// condition that is set holds.
type KnownReply struct {
	ID       string   // stable identifier, e.g. "gmail-app-password"
	Name     string   // who sends it and what it is: "Gmail: app password required"
	Codes    []int    // reply codes; empty means any
	Enhanced string   // enhanced code "5.7.8", or a prefix ending in "." ("4.7."); "" means any
	Verbs    []string // commands it answers ("AUTH", "RCPT"); empty means any
	Text     []string // case-insensitive fragments, one of which the text must hold; empty means any
	Rule     string   // the Rule it is evidence for
	Note     string   // what it means with this sender, beyond the rule's fix
	// SignIn marks a refusal that signing in lifts: from a server that
	// offers AUTH, to a client that has not used it, it means "sign in
	// first", and Explain's rule is auth-required whatever Rule says.
	SignIn  bool
	Source  string // where the text comes from: the server's source file, its documentation, a provider's page
	Example string // a reply the entry matches, verbatim from Source; lines separated by "\n"
}

// knownReplies is searched in order: specific patterns before general ones.
// Texts come from the replies in shared/fixtures and the providers' pages.
// A Note is advice for that sender that goes before the rule's fix; leave
// it empty when the rule says it all.
var knownReplies = []KnownReply{
	{
		ID: "gmail-bad-credentials", Name: "Gmail: user name and password not accepted",
		Codes: []int{535}, Enhanced: "5.7.8", Text: []string{"Username and Password not accepted"}, Rule: "auth-bad-credentials",
		Note: "Google refuses the account's normal password over SMTP when 2-Step Verification is on, and \"less secure apps\" sign-in is gone: create an app password (myaccount.google.com/apppasswords) and use it, or use OAuth (XOAUTH2).",
	},
	{
		ID: "gmail-app-password", Name: "Gmail: application-specific password required",
		Codes: []int{534}, Enhanced: "5.7.9", Text: []string{"Application-specific password required"}, Rule: "auth-app-password",
		Note: "The account has 2-Step Verification: sign in with an app password (myaccount.google.com/apppasswords), not the account password.",
	},
	{
		ID: "microsoft-smtp-auth-disabled", Name: "Microsoft 365: SMTP AUTH disabled",
		Codes: []int{535}, Enhanced: "5.7.139", Rule: "auth-disabled",
		Note: "Microsoft 365 has SMTP AUTH switched off for the tenant or the mailbox (or security defaults block it): an administrator must enable Authenticated SMTP for the mailbox.",
	},
	{
		ID: "microsoft-not-authenticated", Name: "Microsoft 365: client not authenticated",
		Codes: []int{530}, Enhanced: "5.7.57", Rule: "auth-required",
		Note: "Microsoft 365 accepts mail on smtp.office365.com:587 only after STARTTLS and AUTH with the mailbox's credentials.",
	},
	{
		ID: "must-starttls", Name: "STARTTLS required first (Gmail, Postfix, Exchange)",
		Codes: []int{530}, Text: []string{"STARTTLS"}, Rule: "starttls-required",
	},
	{
		ID: "encryption-required", Name: "Encryption required for this mechanism",
		Codes: []int{538}, Rule: "starttls-required",
	},
	{
		ID: "auth-not-enabled", Name: "AUTH not enabled (Postfix) or not advertised",
		Codes: []int{502, 503}, Verbs: []string{"AUTH"},
		Text: []string{"authentication not enabled", "auth not enabled", "not advertised", "auth command used when not advertised", "AUTH not available"},
		Rule: "auth-missing",
		Note: "Postfix answers \"503 5.5.1 Error: authentication not enabled\" where SASL is off, or before STARTTLS with smtpd_tls_auth_only.",
	},
	{
		ID: "authentication-required", Name: "Authentication required",
		Codes: []int{530, 550, 554}, Text: []string{"authentication required", "authentication is required", "must authenticate", "not authenticated"},
		Rule: "auth-required",
	},
	{
		ID: "relay-denied", Name: "Relay access denied",
		Codes: []int{550, 551, 553, 554}, Verbs: []string{"RCPT"},
		Text: []string{"relay access denied", "relaying denied", "relay not permitted", "unable to relay", "relaying not allowed", "not permitted to relay", "relay denied"},
		Rule: "relay-denied", SignIn: true,
	},
	{
		ID: "relay-denied-code", Name: "Relay refused by policy (5.7.1 to RCPT)",
		Codes: []int{550, 554}, Enhanced: "5.7.1", Verbs: []string{"RCPT"}, Text: []string{"relay"}, Rule: "relay-denied", SignIn: true,
	},
	{
		ID: "greylisting", Name: "Greylisting (postgrey, rspamd and others)",
		Codes: []int{421, 450, 451, 452}, Text: []string{"greylist", "greylisted", "grey-list", "graylist", "greylisting"}, Rule: "greylisted",
	},
	{
		ID: "greylisting-code", Name: "Probably greylisting (4.7.x to RCPT or DATA)",
		Codes: []int{450, 451}, Enhanced: "4.7.", Verbs: []string{"RCPT", "DATA", "."}, Text: []string{"try again later", "please retry", "temporarily"},
		Rule: "greylisted",
	},
	{
		ID: "unknown-user", Name: "Unknown recipient",
		Codes: []int{550, 551, 553}, Verbs: []string{"RCPT"},
		Text: []string{"user unknown", "unknown user", "no such user", "does not exist", "recipient not found", "unknown recipient", "no mailbox", "no such recipient"},
		Rule: "unknown-user",
	},
	{
		ID: "unknown-user-code", Name: "Bad destination mailbox (5.1.1)",
		Enhanced: "5.1.1", Verbs: []string{"RCPT"}, Rule: "unknown-user",
	},
	{
		ID: "size-exceeded", Name: "Message too big",
		Codes: []int{552}, Rule: "size-exceeded",
		Note: "Compare the message's size with the SIZE in the EHLO reply; a 552 after RCPT can also mean the mailbox is over quota.",
	},
	{
		ID: "size-exceeded-code", Name: "Message too big (5.3.4)",
		Enhanced: "5.3.4", Rule: "size-exceeded",
	},
	{
		ID: "closing", Name: "Service closing (421)",
		Codes: []int{421}, Rule: "server-closing",
		Note: "Gmail and others answer \"421 4.7.0 Try again later, closing connection.\" to shed load or to rate-limit an address: wait before reconnecting.",
	},
}

// MatchKnownReply finds the first well-known reply r matches, given the verb
// of the command it answers ("" for the greeting, "." for the end of DATA):
// the texts of the major servers and providers (mtaReplies) first, then
// the general patterns.
func MatchKnownReply(r Reply, verb string) (KnownReply, bool) {
	text := strings.ToLower(strings.Join(r.Lines, " "))
	for _, table := range [][]KnownReply{mtaReplies, knownReplies} {
		for _, k := range table {
			if k.matches(r, verb, text) {
				return k, true
			}
		}
	}
	return KnownReply{}, false
}

// KnownReplies returns the table of well-known replies, in match order. The
// slice is the caller's to change.
func KnownReplies() []KnownReply { return slices.Concat(mtaReplies, knownReplies) }

// matches reports whether r, answering verb with lower-cased text, fits k.
func (k KnownReply) matches(r Reply, verb, text string) bool {
	if len(k.Codes) > 0 && !slices.Contains(k.Codes, r.Code) {
		return false
	}
	if !enhancedMatches(k.Enhanced, r.Enhanced) {
		return false
	}
	if len(k.Verbs) > 0 && !slices.Contains(k.Verbs, verb) {
		return false
	}
	if len(k.Text) == 0 {
		return true
	}
	return slices.ContainsFunc(k.Text, func(t string) bool { return strings.Contains(text, strings.ToLower(t)) })
}

// enhancedMatches compares an enhanced code with a pattern: "" matches
// anything, "4.7." any 4.7.x, "5.7.8" only itself.
func enhancedMatches(pattern string, e EnhancedCode) bool {
	switch {
	case pattern == "":
		return true
	case strings.HasSuffix(pattern, "."):
		return strings.HasPrefix(e.String(), pattern)
	}
	return e.String() == pattern
}
