package session

// mtaReplies are the replies of the major mail servers and providers,
// recognised by their text, so that servers without enhanced status codes
// (Exim, OpenSMTPD, aiosmtpd, Sendmail's texts) are understood too. Each
// entry names its Source and quotes an Example from it; MatchKnownReply
// searches them before the general patterns of knownReplies, so keep the
// fragments specific: a fragment any server could send belongs there.
var mtaReplies = []KnownReply{
	// ---- Postfix ----
	{
		ID: "postfix-client-rejected", Name: "Postfix: client host rejected (access denied)",
		Codes: []int{450, 550, 554}, Verbs: []string{"RCPT"}, Text: []string{"client host rejected: access denied"},
		Rule: "rcpt-refused", SignIn: true,
		Note:    "Postfix's smtpd_client_restrictions refused this client. On a submission port (permit_sasl_authenticated, reject) it refuses every recipient, local ones too, until the client signs in; elsewhere the client's address or name is not allowed.",
		Source:  "postfix/src/smtpd/smtpd_check.c, the reject restriction (\"<%s>: %s rejected: Access denied\"); SASL_README, smtpd_client_restrictions",
		Example: "554 5.7.1 <localhost[127.0.0.1]>: Client host rejected: Access denied",
	},
	{
		ID: "postfix-sender-domain", Name: "Postfix: the sender's domain is not found",
		Codes: []int{450, 550, 553, 554}, Verbs: []string{"MAIL", "RCPT"}, Text: []string{"sender address rejected: domain not found"},
		Rule:    "mail-refused",
		Note:    "Postfix found no DNS record for the domain of the MAIL FROM address (reject_unknown_sender_domain); it says so at RCPT when it delays its checks (smtpd_delay_reject). Send from an address whose domain exists.",
		Source:  "postfix/src/smtpd/smtpd_check.c (\"<%s>: %s rejected: Domain not found\")",
		Example: "450 4.1.8 <a@nowhere.example>: Sender address rejected: Domain not found",
	},
	{
		ID: "postfix-auth-failed", Name: "Postfix: authentication failed",
		Codes: []int{535}, Enhanced: "5.7.8", Text: []string{"error: authentication failed"},
		Rule:    "auth-bad-credentials",
		Source:  "postfix/src/smtpd/smtpd_sasl_glue.c (\"535 5.7.8 Error: authentication failed: %s\")",
		Example: "535 5.7.8 Error: authentication failed: (reason unavailable)",
	},

	// ---- Exim (configure.default, smtp_in.c, route.c): no enhanced codes ----
	{
		ID: "exim-relay", Name: "relay not permitted (Exim's default ACL)",
		Codes: []int{550}, Verbs: []string{"RCPT"}, Text: []string{"relay not permitted"},
		Rule: "relay-denied", SignIn: true,
		Source:  "exim src/src/configure.default, acl_check_rcpt: \"require message = relay not permitted\"",
		Example: "550 relay not permitted",
	},
	{
		ID: "exim-unknown-user", Name: "Unknown user (Exim's default router, among others)",
		Codes: []int{550}, Verbs: []string{"RCPT"}, Text: []string{"unknown user"},
		Rule:    "unknown-user",
		Source:  "exim src/src/configure.default, the localuser router's cannot_route_message",
		Example: "550 Unknown user",
	},
	{
		ID: "exim-unrouteable", Name: "Unrouteable address (Exim)",
		Codes: []int{550}, Verbs: []string{"RCPT"}, Text: []string{"unrouteable address"},
		Rule:    "rcpt-refused",
		Note:    "Exim could not route the address: no router accepts it, most often because its domain has no MX or address record (a typo in the domain?), or the local part is unknown where routing decides it.",
		Source:  "exim src/src/route.c (\"Unrouteable address\"), through configure.default's \"require verify = recipient\"",
		Example: "550 Unrouteable address",
	},
	{
		ID: "exim-bad-credentials", Name: "Incorrect authentication data (Exim)",
		Codes: []int{535}, Text: []string{"incorrect authentication data"},
		Rule:    "auth-bad-credentials",
		Source:  "exim src/src/smtp_in.c (\"535 Incorrect authentication data\")",
		Example: "535 Incorrect authentication data",
	},
	{
		ID: "exim-sender-verify", Name: "Sender verify failed (Exim)",
		Codes: []int{450, 451, 550}, Verbs: []string{"MAIL", "RCPT"}, Text: []string{"sender verify failed"},
		Rule:    "mail-refused",
		Note:    "Exim could not verify the MAIL FROM address (\"verify = sender\"): its domain does not resolve, or the sender's own server refused it when Exim called back.",
		Source:  "exim src/src/acl.c (\"Sender verify failed\")",
		Example: "550 Sender verify failed",
	},
	{
		ID: "exim-synchronization", Name: "SMTP synchronization error (Exim)",
		Codes: []int{554}, Text: []string{"smtp synchronization error"},
		Rule:    "bad-sequence",
		Note:    "Exim saw the client send before the server had answered: commands pipelined without PIPELINING, or talk before the greeting. Send one command and wait for its reply.",
		Source:  "exim src/src/smtp_in.c (\"554 SMTP synchronization error\")",
		Example: "554 SMTP synchronization error",
	},

	// ---- OpenSMTPD (smtp_session.c, lka_session.c) ----
	{
		ID: "opensmtpd-invalid-recipient", Name: "Invalid recipient (OpenSMTPD)",
		Codes: []int{550}, Verbs: []string{"RCPT"}, Text: []string{"invalid recipient"},
		Rule:    "rcpt-refused",
		Note:    "OpenSMTPD gives this one answer when no match rule of its smtpd.conf accepts the recipient: an unknown local user, or a domain it does not relay for from this client (relaying takes a \"match auth from any for any\" rule: sign in first).",
		Source:  "OpenSMTPD usr.sbin/smtpd/lka_session.c (\"550 Invalid recipient\") and smtp_session.c (\"%s: <%s>\")",
		Example: "550 Invalid recipient: <nobody@mx.example>",
	},
	{
		ID: "opensmtpd-must-auth", Name: "Must issue an AUTH command first (OpenSMTPD)",
		Codes: []int{530}, Text: []string{"must issue an auth command first"},
		Rule:    "auth-required",
		Source:  "OpenSMTPD usr.sbin/smtpd/smtp_session.c (\"530 %s %s: Must issue an AUTH command first\")",
		Example: "530 5.5.1 Invalid command: Must issue an AUTH command first",
	},
	// ---- aiosmtpd (aiosmtpd/smtp.py; its handlers' documented answers) ----
	{
		ID: "aiosmtpd-bad-credentials", Name: "Authentication credentials invalid (aiosmtpd)",
		Codes: []int{535}, Text: []string{"authentication credentials invalid"},
		Rule:    "auth-bad-credentials",
		Source:  "aio-libs/aiosmtpd aiosmtpd/smtp.py (CODE_INVALID = \"535 5.7.8 Authentication credentials invalid\")",
		Example: "535 5.7.8 Authentication credentials invalid",
	},
	{
		ID: "aiosmtpd-not-relaying", Name: "not relaying (aiosmtpd's example handler)",
		Codes: []int{550, 554}, Verbs: []string{"RCPT"}, Text: []string{"not relaying to"},
		Rule: "relay-denied", SignIn: true,
		Source:  "aio-libs/aiosmtpd aiosmtpd/docs/controller.rst (the example handler's \"550 not relaying to that domain\")",
		Example: "550 not relaying to that domain",
	},

	// ---- Sendmail (cf/m4/proto.m4) ----
	{
		ID: "sendmail-relay-auth", Name: "Sendmail: relaying denied, authentication required",
		Codes: []int{550}, Verbs: []string{"RCPT"}, Text: []string{"proper authentication required"},
		Rule: "relay-denied", SignIn: true,
		Note:    "Sendmail relays for clients that sign in (confRELAY_MSG with AUTH): sign in with AUTH, after STARTTLS.",
		Source:  "sendmail cf/m4/proto.m4 (confRELAY_MSG: \"550 Relaying denied. Proper authentication required.\")",
		Example: "550 5.7.1 <someone@example.org>... Relaying denied. Proper authentication required.",
	},

	// ---- Microsoft Exchange and Microsoft 365 ----
	{
		ID: "microsoft-auth-unsuccessful", Name: "Microsoft 365 / Exchange: authentication unsuccessful",
		Codes: []int{535}, Enhanced: "5.7.3", Text: []string{"authentication unsuccessful"},
		Rule:    "auth-bad-credentials",
		Note:    "Microsoft answers 5.7.3 to a wrong password, and also when the mailbox may not use basic SMTP AUTH (security defaults, multi-factor sign-in): enable Authenticated SMTP for the mailbox, or use OAuth (XOAUTH2).",
		Source:  "Microsoft [MS-SMTPNTLM] 2.2.1.4 SMTP_AUTH_Fail_Response (\"535 5.7.3\"); seen from smtp.office365.com",
		Example: "535 5.7.3 Authentication unsuccessful [BN6PR03CA0021.namprd03.prod.outlook.com]",
	},
	{
		ID: "microsoft-send-as", Name: "Microsoft 365 / Exchange: no permission to send as this sender",
		Codes: []int{550, 554}, Text: []string{"does not have permissions to send as this sender"},
		Rule:    "mail-refused",
		Note:    "The signed-in mailbox may not send as the MAIL FROM (or From:) address: use the mailbox's own address, or have an administrator grant Send As.",
		Source:  "Exchange and Exchange Online NDR 5.7.60 / 5.7.1 \"Client does not have permissions to send as this sender\" (reports: nodemailer/nodemailer#145, gophish/gophish#1600)",
		Example: "550 5.7.60 SMTP; Client does not have permissions to send as this sender",
	},
	{
		ID: "microsoft-relay-attr36", Name: "Exchange Online: relay access denied (ATTR36)",
		Codes: []int{550}, Enhanced: "5.7.64", Rule: "relay-denied", SignIn: true,
		Note:    "Exchange Online does not recognise the connecting server as the tenant's (its connector's certificate name or IP matches no accepted domain).",
		Source:  "Microsoft Learn, \"550 5.7.64 Relay Access Denied ATTR36\" (OfficeDocs-Support, Exchange Hybrid)",
		Example: "550 5.7.64 Relay Access Denied ATTR36. For more details please refer to: https://support.microsoft.com/kb/3169958",
	},

	// ---- Gmail (https://support.google.com/a/answer/3726730, Gmail SMTP errors and codes) ----
	{
		ID: "gmail-no-such-user", Name: "Gmail: the account does not exist",
		Codes: []int{550}, Enhanced: "5.1.1", Text: []string{"the email account that you tried to reach does not exist"},
		Rule:    "unknown-user",
		Source:  "Gmail SMTP errors and codes, https://support.google.com/a/answer/3726730",
		Example: "550-5.1.1 The email account that you tried to reach does not exist. Please try\n550-5.1.1 double-checking the recipient's email address for typos or\n550 5.1.1 unnecessary spaces.",
	},
	{
		ID: "gmail-over-quota", Name: "Gmail: the recipient's mailbox is full",
		Codes: []int{452, 552}, Text: []string{"over quota", "out of storage space"},
		Rule:    "rcpt-refused",
		Note:    "The recipient's mailbox is full: the recipient must make room; a mail server's queue retries a 452 by itself.",
		Source:  "Gmail SMTP errors and codes, https://support.google.com/a/answer/3726730",
		Example: "452-4.2.2 The email account that you tried to reach is over quota. Please direct\n452 4.2.2 the recipient to https://support.google.com/mail/?p=OverQuotaTemp",
	},
	{
		ID: "gmail-unauthenticated", Name: "Gmail: the message is unauthenticated (SPF, DKIM)",
		Codes: []int{550}, Enhanced: "5.7.26", Rule: "data-refused",
		Note:    "Gmail wants mail that passes SPF or DKIM for the sending domain (and DMARC for bulk senders): publish SPF for the sending IP and sign with DKIM.",
		Source:  "Gmail SMTP errors and codes, https://support.google.com/a/answer/3726730 (5.7.26)",
		Example: "550-5.7.26 This mail is unauthenticated, which poses a security risk to the\n550 5.7.26 sender and Gmail users, and has been blocked.",
	},
	{
		ID: "gmail-ptr", Name: "Gmail: the sending IP has no PTR record",
		Codes: []int{550, 421}, Text: []string{"does not have a ptr record"},
		Rule:    "ptr-missing",
		Note:    "Gmail wants the sending IP address to have a reverse-DNS (PTR) name that resolves back to it: ask the owner of the address (the hosting provider) to set one.",
		Source:  "Gmail SMTP errors and codes, https://support.google.com/a/answer/3726730 (5.7.25)",
		Example: "550-5.7.25 [203.0.113.7] The IP address sending this message does not have a\n550 5.7.25 PTR record setup.",
	},
	{
		ID: "gmail-dmarc", Name: "Gmail: refused by the domain's DMARC policy",
		Codes: []int{550}, Text: []string{"domain's dmarc policy"},
		Rule:    "dmarc-reject",
		Note:    "The From: domain publishes a DMARC policy that rejects mail not aligned with SPF or DKIM: send through a server the domain authorises, with DKIM for the From: domain.",
		Source:  "Gmail SMTP errors and codes, https://support.google.com/a/answer/3726730 (5.7.1, DMARC)",
		Example: "550-5.7.1 Unauthenticated email from example.com is not accepted due to\n550 5.7.1 domain's DMARC policy.",
	},
	{
		ID: "gmail-rate-limited", Name: "Gmail: unusual rate of unsolicited mail",
		Codes: []int{421}, Text: []string{"unusual rate of unsolicited mail"},
		Rule:    "server-closing",
		Note:    "Gmail is rate-limiting mail from this IP address as likely spam: send less, and make sure the mail passes SPF, DKIM and DMARC.",
		Source:  "Gmail SMTP errors and codes, https://support.google.com/a/answer/3726730 (4.7.28, 4.7.0)",
		Example: "421-4.7.28 Our system has detected an unusual rate of unsolicited mail originating\n421 4.7.28 from your IP address. To protect our users from spam, mail sent from your IP address has been temporarily rate limited.",
	},

	// ---- Yahoo (https://senders.yahooinc.com/smtp-error-codes/) ----
	{
		ID: "yahoo-deferred", Name: "Yahoo: temporarily deferred (volume or complaints)",
		Codes: []int{421, 451}, Text: []string{"temporarily deferred due to"},
		Rule:    "server-closing",
		Note:    "Yahoo defers mail from this IP address for its volume or users' complaints ([TSS04]): slow down and retry later; check the sender's reputation.",
		Source:  "Yahoo Sender Hub, SMTP error codes, https://senders.yahooinc.com/smtp-error-codes/ ([TSS04])",
		Example: "421 4.7.0 [TSS04] Messages from 203.0.113.7 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes",
	},
	{
		ID: "yahoo-blocklisted", Name: "Yahoo: connections not accepted from this IP",
		Codes: []int{553, 554}, Text: []string{"connections will not be accepted from"},
		Rule:    "greeting-refused",
		Note:    "Yahoo refuses this IP address, for instance because it is on Spamhaus's list ([BL21]): send from an address that is not listed.",
		Source:  "Yahoo Sender Hub, SMTP error codes, https://senders.yahooinc.com/smtp-error-codes/ ([BL21])",
		Example: "553 5.7.1 [BL21] Connections will not be accepted from 203.0.113.7, because the ip is in Spamhaus's list; see https://postmaster.yahooinc.com/error-codes",
	},
	{
		ID: "yahoo-no-account", Name: "Yahoo: the user has no account",
		Codes: []int{554, 550}, Verbs: []string{"RCPT", "."}, Text: []string{"doesn't have a yahoo.com account"},
		Rule:    "unknown-user",
		Source:  "Yahoo Sender Hub, SMTP error codes, https://senders.yahooinc.com/smtp-error-codes/",
		Example: "554 delivery error: dd This user doesn't have a yahoo.com account (someone@yahoo.com) [0] - mta1003.mail.bf1.yahoo.com",
	},

	// ---- QQ Mail (service.mail.qq.com help pages named in its replies) ----
	{
		ID: "qq-authorization-code", Name: "QQ Mail: sign in with an authorization code",
		Codes: []int{535}, Text: []string{"authorization code", "no=1001256"},
		Rule:    "auth-app-password",
		Note:    "QQ Mail signs SMTP clients in with an authorization code (授权码), not the QQ password: enable IMAP/SMTP in the mailbox's settings, generate a code and use it as the password.",
		Source:  "QQ Mail help, http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=28&&no=1001256 (named in the reply; reports: YMFE/yapi#2219, louislam/uptime-kuma#3434)",
		Example: "535 Login Fail. Please enter your authorization code to login. More information in http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=28&&no=1001256",
	},
	{
		ID: "qq-mailbox-not-found", Name: "QQ Mail: mailbox not found",
		Codes: []int{550}, Verbs: []string{"RCPT"}, Text: []string{"mailbox not found"},
		Rule:    "unknown-user",
		Source:  "QQ Mail help, http://service.exmail.qq.com/cgi-bin/help?subtype=1&&id=20022&&no=1000728 (named in the reply)",
		Example: "550 Mailbox not found. http://service.exmail.qq.com/cgi-bin/help?subtype=1&&id=20022&&no=1000728",
	},
	{
		ID: "qq-frequency-limited", Name: "QQ Mail: sending frequency limited",
		Codes: []int{550, 451}, Verbs: []string{"RCPT"}, Text: []string{"frequency limited"},
		Rule:    "rcpt-refused",
		Note:    "QQ Mail limits how often an IP address, sender, domain or connection may send; the limits are not published: send less often and retry later.",
		Source:  "QQ Mail help, http://service.exmail.qq.com/cgi-bin/help?subtype=1&&no=1000725&id=20022 (named in the reply)",
		Example: "550 Ip frequency limited. http://service.mail.qq.com/cgi-bin/help?subtype=1&&id=20022&&no=1000725",
	},

	// ---- NetEase 163 / 126 (Coremail) ----
	{
		ID: "netease-no-permission", Name: "NetEase 163/126: SMTP not enabled for the account",
		Codes: []int{550}, Verbs: []string{"AUTH", "MAIL"}, Text: []string{"user has no permission"},
		Rule:    "auth-disabled",
		Note:    "NetEase mailboxes (163.com, 126.com) send over SMTP only once SMTP is enabled in the mailbox's settings, with the client authorization password (客户端授权密码), not the web password.",
		Source:  "NetEase help, http://help.163.com/09/1224/17/5RAJ4LMH00753VB8.html (reports: open-falcon/mail-provider#6, testerSunshine/12306#62)",
		Example: "550 User has no permission",
	},
	{
		ID: "netease-spam", Name: "NetEase 163/126: judged spam (DT:SPM)",
		Codes: []int{451, 554}, Verbs: []string{"DATA", "."}, Text: []string{"dt:spm"},
		Rule:    "data-refused",
		Note:    "NetEase's filter judged the message spam, by its content or its sending behaviour: change the content, or send less at once; a 451 may pass on retry.",
		Source:  "NetEase 退信代码说明 (bounce code list: \"554 DT:SPM\", \"451 DT:SPM\")",
		Example: "554 DT:SPM 163 smtp14,EsCowAD3z2Yp3q1hBq5yAA--.1 1638784554,please see http://mail.163.com/help/help_spam_16.htm?ip=203.0.113.7",
	},
	{
		ID: "coremail-auth-failed", Name: "Error: authentication failed (QQ Mail, NetEase and others)",
		Codes: []int{535}, Text: []string{"error: authentication failed"},
		Rule:    "auth-bad-credentials",
		Note:    "QQ Mail and NetEase (163, 126) answer this to a wrong password and also to the account's normal password: they want an authorization code made in the mailbox's settings.",
		Source:  "QQ Mail and NetEase replies (reports: lossme/ComicBook#3, DesertsP/Valine-Admin#54)",
		Example: "535 Error: authentication failed",
	},

	// ---- Zoho (https://www.zoho.com/zeptomail/help/api/smtp-error-codes.html) ----
	{
		ID: "zoho-relaying-disallowed", Name: "Zoho: relaying disallowed for this sender",
		Codes: []int{550, 552, 553}, Text: []string{"relaying disallowed as"},
		Rule:    "mail-refused",
		Note:    "Zoho sends only from the signed-in account's own addresses and verified domains: make MAIL FROM (and From:) that address.",
		Source:  "Zoho ZeptoMail SMTP error codes, https://www.zoho.com/zeptomail/help/api/smtp-error-codes.html",
		Example: "553 Relaying disallowed as someone@example.org",
	},
	{
		ID: "zoho-unusual-activity", Name: "Zoho: unusual sending activity",
		Codes: []int{550, 554}, Text: []string{"unusual sending activity detected"},
		Rule:    "mail-refused",
		Note:    "Zoho blocked outgoing mail from this account after unusual activity: the account's administrator can lift it in Zoho Mail's admin console.",
		Source:  "Zoho Mail community, \"550 5.4.6 Unusual sending activity detected\" (help.zoho.com)",
		Example: "550 5.4.6 Unusual sending activity detected. Please try after sometime.",
	},

	// ---- identity: SPF, DMARC, reverse DNS, blocklists (package identity checks them before MAIL) ----
	{
		ID: "policyd-spf-fail", Name: "Postfix with policyd-spf: refused for SPF",
		Codes: []int{550, 554}, Text: []string{"message rejected due to: spf fail"},
		Rule:    "spf-fail",
		Source:  "pypolicyd-spf (Debian postfix-policyd-spf-python), policydspf.py: \"Message rejected due to: %s. Please see %s\"",
		Example: "550 5.7.23 <bob@example.org>: Recipient address rejected: Message rejected due to: SPF fail - not authorized. Please see http://www.open-spf.org/Why;id=alice%40example.com;ip=192.0.2.1;r=<UNKNOWN>",
	},
	{
		ID: "outlook-spf", Name: "Outlook / Exchange Online: refused for SPF",
		Codes: []int{550}, Text: []string{"sender policy framework violation"},
		Rule:    "spf-fail",
		Source:  "Microsoft Learn, Exchange Online NDR 5.7.23",
		Example: "550 5.7.23 The message was rejected because of Sender Policy Framework violation",
	},
	{
		ID: "outlook-dmarc", Name: "Outlook / Exchange Online: refused by the domain's DMARC policy",
		Codes: []int{550}, Enhanced: "5.7.509", Rule: "dmarc-reject",
		Source:  "Microsoft Learn, \"Fix email delivery issues for error code 5.7.509 in Exchange Online\"",
		Example: "550 5.7.509 Access denied, sending domain example.com does not pass DMARC verification and has a DMARC policy of reject.",
	},
	{
		ID: "netease-spf", Name: "NetEase 163/126: the sender's SPF does not allow this IP (MI:SPF)",
		Codes: []int{550, 554}, Text: []string{"mi:spf"},
		Rule:    "spf-fail",
		Source:  "NetEase 退信代码说明 (bounce code list: \"550 MI:SPF\", the sender's SPF record does not authorise the IP)",
		Example: "550 MI:SPF mta2,GtxpCgBnGnxqNAxhpsFKAA--.1 1628189802 http://mail.163.com/help/help_spam_16.htm?ip=203.0.113.7",
	},
	{
		ID: "postfix-unknown-client", Name: "Postfix: the client's address has no (confirmed) host name",
		Codes: []int{450, 550, 554}, Text: []string{"cannot find your hostname", "cannot find your reverse hostname"},
		Rule:    "ptr-missing",
		Note:    "Postfix's reject_unknown_client_hostname wants a PTR name that resolves back to the address (FCrDNS); reject_unknown_reverse_client_hostname wants any PTR name.",
		Source:  "postfix/src/smtpd/smtpd_check.c (\"Client host rejected: cannot find your hostname, [%s]\")",
		Example: "450 4.7.25 Client host rejected: cannot find your hostname, [192.0.2.1]",
	},
	{
		ID: "postfix-helo-host-not-found", Name: "Postfix: the EHLO name does not resolve",
		Codes: []int{450, 550, 504}, Text: []string{"helo command rejected: host not found", "helo command rejected: need fully-qualified hostname"},
		Rule:    "helo-mismatch",
		Source:  "postfix/src/smtpd/smtpd_check.c, reject_unknown_helo_hostname and reject_non_fqdn_helo_hostname (\"Helo command rejected: Host not found\")",
		Example: "450 4.7.1 <me.example>: Helo command rejected: Host not found",
	},
	{
		ID: "postfix-rbl", Name: "Postfix: the client's address is on a blocklist (reject_rbl_client)",
		Codes: []int{450, 550, 554}, Text: []string{"blocked using"},
		Rule:    "dnsbl-listed",
		Note:    "The reply names the list: look the address up on the list's web page to see why, and send through a submission server meanwhile.",
		Source:  "postfix/src/global/mail_params.h, default_rbl_reply: \"$rbl_code Service unavailable; $rbl_class [$rbl_what] blocked using $rbl_domain${rbl_reason?; $rbl_reason}\"",
		Example: "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org",
	},
	{
		ID: "rfc7372-spf-fail", Name: "SPF validation failed (5.7.23)",
		Enhanced: "5.7.23", Rule: "spf-fail",
		Source: "RFC 7372 3.2 (X.7.23 SPF validation failed)", Example: "550 5.7.23 SPF validation failed",
	},
	{
		ID: "rfc7372-spf-error", Name: "SPF validation error (5.7.24)",
		Enhanced: "5.7.24", Rule: "spf-permerror",
		Source: "RFC 7372 3.2 (X.7.24 SPF validation error)", Example: "550 5.7.24 SPF validation error",
	},
	{
		ID: "rfc7372-reverse-dns", Name: "Reverse DNS validation failed (5.7.25)",
		Enhanced: "5.7.25", Rule: "ptr-missing",
		Source: "RFC 7372 3.3 (X.7.25 Reverse DNS validation failed)", Example: "550 5.7.25 Reverse DNS validation failed",
	},
	{
		ID: "spf-text", Name: "Refused for SPF (the reply names it)",
		Codes: []int{550, 553, 554}, Verbs: []string{"MAIL", "RCPT", "DATA", "."}, Text: []string{" spf ", "spf fail", "spf check", "spf:", "spf-fail", "(spf)"},
		Rule:   "spf-fail",
		Source: "common texts: Exim's ACL examples (\"SPF check failed\"), rspamd R_SPF_FAIL rejections", Example: "550 SPF check failed",
	},
	{
		ID: "dmarc-text", Name: "Refused by the domain's DMARC policy (the reply names it)",
		Codes: []int{550, 554}, Text: []string{"dmarc"},
		Rule:   "dmarc-reject",
		Source: "OpenDMARC (\"rejected by DMARC policy for %s\")", Example: "550 5.7.1 rejected by DMARC policy for example.com",
	},

	// ---- last, as the most general of these texts ----
	{
		ID: "authentication-failed-535", Name: "Authentication failed (OpenSMTPD, Zoho and others)",
		Codes: []int{535}, Text: []string{"authentication failed"},
		Rule:    "auth-bad-credentials",
		Source:  "OpenSMTPD usr.sbin/smtpd/smtp_session.c (\"535 Authentication failed\"); Zoho ZeptoMail SMTP error codes (https://www.zoho.com/zeptomail/help/api/smtp-error-codes.html)",
		Example: "535 Authentication failed",
	},
}
