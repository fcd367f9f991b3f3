package session

// mtaReplies are the replies of the major mail servers and providers,
// recognised by their text, so that a server without enhanced status codes
// (Exim, OpenSMTPD, aiosmtpd) is understood too. Each entry names its
// Source and quotes an Example from it; MatchKnownReply searches them
// before the general patterns of knownReplies. Keep the fragments specific:
// a fragment any server could send belongs in knownReplies.
var mtaReplies = []KnownReply{
	// ---- Postfix ----
	{
		ID: "postfix-client-rejected", Name: "Postfix: client host rejected (access denied)",
		Codes: []int{450, 550, 554}, Verbs: []string{"RCPT"}, Text: []string{"client host rejected: access denied"},
		Rule: "rcpt-refused", SignIn: true,
		Note:    "Postfix's smtpd_client_restrictions refused this client. On a submission port (permit_sasl_authenticated, reject) it refuses every recipient, local ones too, until the client signs in; elsewhere the client's address or name is not allowed.",
		Source:  "postfix/src/smtpd/smtpd_check.c (the reject restriction: \"<%s>: %s rejected: Access denied\"); Postfix SASL_README, smtpd_client_restrictions",
		Example: "554 5.7.1 <localhost[127.0.0.1]>: Client host rejected: Access denied",
	},
}
