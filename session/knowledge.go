package session

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// This file is the one home of ehlo's knowledge about SMTP: what each EHLO
// keyword, reply code and enhanced status code means, in plain words, with
// the document that defines it. The TUI, probe, doctor and the docs all read
// it through the functions below; nothing else restates these facts.
//
// The tables are sorted by key and never written after initialisation; the
// functions that list them return copies.

// Extension explains one EHLO keyword (RFC 5321 section 4.1.1.1; registry
// started by RFC 1869).
type Extension struct {
	Keyword string // as advertised, upper case: "STARTTLS"; "AUTH=" for the legacy form
	Name    string // the extension's name: "Secure SMTP over TLS"
	Meaning string // what it means for the user, in one or two sentences
	Params  string // what the keyword's parameters mean; empty when it takes none
	RFC     string // the defining document: "RFC 3207", or a draft or vendor
}

// CodeInfo explains one three-digit reply code (RFC 5321 section 4.2).
type CodeInfo struct {
	Code    int
	Meaning string // the defining RFC's wording, short
	Plain   string // what it means, in plain words
	RFC     string // "RFC 5321 4.2.2"
}

// EnhancedInfo explains one enhanced status code detail (RFC 3463 and the
// IANA registry of RFC 5248). It is keyed without the class: the entry for
// (7, 8) explains 5.7.8 and 4.7.8 alike.
type EnhancedInfo struct {
	Subject, Detail int    // X.7.8 is Subject 7, Detail 8
	Title           string // registry wording: "Authentication credentials invalid"
	Plain           string // what it means, in plain words
	RFC             string // "RFC 4954"
}

// knownExtensions is sorted by Keyword, byte-wise.
var knownExtensions = []Extension{
	{
		Keyword: "8BITMIME",
		Name:    "8-bit MIME transport",
		Meaning: "The server accepts message bodies containing 8-bit bytes, such as raw UTF-8 text, when MAIL FROM carries BODY=8BITMIME. Without it, a body must be 7-bit ASCII, with anything else encoded as quoted-printable or base64.",
		RFC:     "RFC 6152",
	},
	{
		Keyword: "ATRN",
		Name:    "Authenticated TURN (On-Demand Mail Relay)",
		Meaning: "After signing in with AUTH, a client that is itself a mail server can ask this server to swap roles on the same connection and deliver the mail queued for its domains. Meant for sites without a fixed address; usually offered on port 366.",
		RFC:     "RFC 2645",
	},
	{
		Keyword: "AUTH",
		Name:    "Authentication (SASL)",
		Meaning: "The server lets you sign in with AUTH <mechanism> before sending; submission servers require it before they relay your mail. PLAIN and LOGIN send the password merely base64-encoded, not encrypted: use them only after STARTTLS or on an implicit-TLS port such as 465.",
		Params:  "the SASL mechanisms offered, e.g. PLAIN LOGIN XOAUTH2: PLAIN (RFC 4616) and LOGIN send the password itself, CRAM-MD5 and SCRAM-* prove it without sending it, XOAUTH2 and OAUTHBEARER (RFC 7628) send an OAuth token",
		RFC:     "RFC 4954",
	},
	{
		Keyword: "AUTH=",
		Name:    "Authentication, legacy form",
		Meaning: "The pre-standard spelling of AUTH, from drafts written before RFC 2554, with an equals sign instead of a space. Servers list it beside AUTH only so that very old clients (early Outlook, Outlook Express, Netscape) find a sign-in method; it means the same as AUTH, and modern clients ignore it.",
		Params:  "the same SASL mechanism list as AUTH, e.g. AUTH=LOGIN",
		RFC:     "none (pre-standard drafts of RFC 2554, now RFC 4954)",
	},
	{
		Keyword: "BINARYMIME",
		Name:    "Binary MIME",
		Meaning: "The server accepts message bodies of arbitrary binary data when MAIL FROM carries BODY=BINARYMIME. Such a message must be sent with BDAT (CHUNKING), because DATA cannot carry arbitrary bytes.",
		RFC:     "RFC 3030",
	},
	{
		Keyword: "BURL",
		Name:    "Message submission by reference",
		Meaning: "Instead of uploading a message again, the client can give the submission server an IMAP URL (with URLAUTH) to a message already stored on the user's IMAP server, and the server fetches it. Saves bandwidth for mobile clients forwarding large mail.",
		Params:  "optional URL schemes the server can fetch, e.g. imap; without any, it fetches only from IMAP servers it has been set up to trust",
		RFC:     "RFC 4468",
	},
	{
		Keyword: "CHECKPOINT",
		Name:    "Checkpoint/restart",
		Meaning: "An old experimental extension: a client that names its message with MAIL FROM TRANSID= can resume a transfer cut off by a lost connection instead of starting over. Rare today.",
		RFC:     "RFC 1845",
	},
	{
		Keyword: "CHUNKING",
		Name:    "Chunked message transfer (BDAT)",
		Meaning: "The server accepts the message in chunks with BDAT <size> [LAST] instead of DATA. Each chunk states its length in bytes, so the message needs no dot-stuffing and no final \".\" line.",
		RFC:     "RFC 3030",
	},
	{
		Keyword: "CLIENTID",
		Name:    "Client identity",
		Meaning: "The client may send CLIENTID with a stable identifier of the device or program before signing in, and the server can use it as an extra check on the sign-in, like a second factor. A draft, supported by few servers.",
		RFC:     "none (draft-storey-smtp-client-id)",
	},
	{
		Keyword: "DELIVERBY",
		Name:    "Deliver by",
		Meaning: "The client can set a delivery deadline with MAIL FROM BY=<seconds>;R (return the message if it is late) or BY=<seconds>;N (only report that it is late).",
		Params:  "the shortest BY time in seconds the server accepts; without it, no minimum",
		RFC:     "RFC 2852",
	},
	{
		Keyword: "DSN",
		Name:    "Delivery status notifications",
		Meaning: "The client can ask for delivery reports: NOTIFY=SUCCESS,FAILURE,DELAY or NOTIFY=NEVER and ORCPT= on RCPT TO; RET=FULL or RET=HDRS and ENVID= on MAIL FROM.",
		RFC:     "RFC 3461",
	},
	{
		Keyword: "ENHANCEDSTATUSCODES",
		Name:    "Enhanced status codes",
		Meaning: "The server puts a three-part code such as 5.7.8 (RFC 3463) after the reply code of each line. Its numbers say success or failure, the area (address, mailbox, policy and so on) and the exact problem, more precisely than the three-digit code.",
		RFC:     "RFC 2034",
	},
	{
		Keyword: "ETRN",
		Name:    "Remote message queue starting",
		Meaning: "A client that is a mail server for a domain can ask this server to start delivering the mail queued for it, with ETRN example.org. The server delivers over a new connection to that domain's mail server, unlike the obsolete TURN.",
		RFC:     "RFC 1985",
	},
	{
		Keyword: "EXPN",
		Name:    "Expand mailing list",
		Meaning: "The server answers EXPN <list> with the members of a mailing list. Most servers switch it off, because it hands addresses to spammers.",
		RFC:     "RFC 5321 3.5",
	},
	{
		Keyword: "FUTURERELEASE",
		Name:    "Future message release",
		Meaning: "The client can ask the server to hold the message and release it later, with MAIL FROM HOLDFOR=<seconds> or HOLDUNTIL=<date-time>.",
		Params:  "the longest hold in seconds, then the latest release date and time the server accepts",
		RFC:     "RFC 4865",
	},
	{
		Keyword: "HELP",
		Name:    "Help",
		Meaning: "The server answers HELP, optionally followed by a command name, with human-readable help in a 214 reply. It changes nothing in the session.",
		RFC:     "RFC 5321 4.1.1.8",
	},
	{
		Keyword: "LIMITS",
		Name:    "Limits",
		Meaning: "The server states its limits up front, so the client can split its work to fit instead of running into errors halfway.",
		Params:  "NAME=value pairs: RCPTMAX (recipients per transaction), RCPTDOMAINMAX (different recipient domains per transaction), MAILMAX (transactions per connection)",
		RFC:     "RFC 9422",
	},
	{
		Keyword: "MAILCOMPRESS",
		Name:    "Mail compression (QQ Mail)",
		Meaning: "A private keyword of Tencent's QQ Mail, documented nowhere public; going by its name, compressed transfer between Tencent's own systems. Other clients ignore it, as they should any keyword they do not know.",
		RFC:     "none (QQ Mail, undocumented)",
	},
	{
		Keyword: "MT-PRIORITY",
		Name:    "Message transfer priorities",
		Meaning: "The client can give a message a priority with MAIL FROM MT-PRIORITY=<n>, from -9 (lowest) to 9 (highest), and servers relay higher priorities first. Used mainly in military and emergency messaging.",
		Params:  "optional name of the priority policy in force, such as MIXER, STANAG4406 or NSEP",
		RFC:     "RFC 6710",
	},
	{
		Keyword: "MTRK",
		Name:    "Message tracking",
		Meaning: "The client can ask, with MAIL FROM MTRK=, that the message be trackable, so the sender can later ask the mail servers on its path how far it got (Message Tracking Query Protocol, RFC 3887).",
		RFC:     "RFC 3885",
	},
	{
		Keyword: "NO-SOLICITING",
		Name:    "No soliciting",
		Meaning: "The server refuses unsolicited commercial mail marked with the listed solicitation classes; a sender declares its message's classes with MAIL FROM SOLICIT=.",
		Params:  "optional solicitation class keywords the server refuses, such as net.example:ADV",
		RFC:     "RFC 3865",
	},
	{
		Keyword: "ONEX",
		Name:    "One transaction only (Sendmail)",
		Meaning: "A Sendmail extension: with the ONEX command the client promises to send only one message on this connection. Rare today.",
		RFC:     "none (Sendmail)",
	},
	{
		Keyword: "PIPECONNECT",
		Name:    "Early pipelining (Exim)",
		Meaning: "On later connections, a client that kept this EHLO reply may send EHLO right after connecting, without waiting for the greeting, and likewise send the EHLO inside TLS and AUTH without waiting for the replies before them: a round trip saved at each step. It checks the replies when they come, and starts over if the server's answers changed. Exim advertised it as X_PIPE_CONNECT before 4.95.",
		RFC:     "draft-harris-early-pipe (Exim)",
	},
	{
		Keyword: "PIPELINING",
		Name:    "Command pipelining",
		Meaning: "The client may send a group of commands (MAIL FROM, several RCPT TO, DATA) without waiting for each reply, then read the replies in order. It saves a round trip per command; without it, wait for each reply before the next command.",
		RFC:     "RFC 2920",
	},
	{
		Keyword: "PRDR",
		Name:    "Per-recipient data response",
		Meaning: "With MAIL FROM PRDR, the server answers the message once per recipient after the final \".\", so it can accept it for some recipients and refuse it for others instead of one answer for all. A draft; Exim and a few others support it.",
		RFC:     "none (draft-hall-prdr)",
	},
	{
		Keyword: "REQUIRETLS",
		Name:    "Require TLS",
		Meaning: "The client can mark a message with MAIL FROM REQUIRETLS so that every server on its way must use TLS with a validated certificate (through MTA-STS or DANE); if that is impossible, the message is returned rather than sent in the clear.",
		RFC:     "RFC 8689",
	},
	{
		Keyword: "RRVS",
		Name:    "Require recipient valid since",
		Meaning: "The client can add RRVS=<date-time> to RCPT TO: deliver only if the mailbox has had the same owner since then. It keeps mail from reaching the new owner of a recycled address.",
		RFC:     "RFC 7293",
	},
	{
		Keyword: "SAML",
		Name:    "Send and mail (obsolete)",
		Meaning: "Obsolete RFC 821 command: deliver the message both to the user's terminal and to their mailbox. Removed from SMTP; never use it.",
		RFC:     "RFC 5321 F.6",
	},
	{
		Keyword: "SEND",
		Name:    "Send to terminal (obsolete)",
		Meaning: "Obsolete RFC 821 command: deliver the message to the user's terminal instead of their mailbox. Removed from SMTP; never use it.",
		RFC:     "RFC 5321 F.6",
	},
	{
		Keyword: "SIZE",
		Name:    "Message size declaration",
		Meaning: "The server announces the largest message it accepts. Declare your message's size up front with MAIL FROM:<address> SIZE=<bytes> and an oversized message is refused at once, before you send it.",
		Params:  "maximum message size in bytes; 0 or no number means no fixed limit",
		RFC:     "RFC 1870",
	},
	{
		Keyword: "SMTPUTF8",
		Name:    "Internationalized email",
		Meaning: "The server accepts addresses and header fields in UTF-8, such as jörg@bücher.example, when MAIL FROM carries the SMTPUTF8 parameter.",
		RFC:     "RFC 6531",
	},
	{
		Keyword: "SOML",
		Name:    "Send or mail (obsolete)",
		Meaning: "Obsolete RFC 821 command: deliver the message to the user's terminal if they are logged in, otherwise to their mailbox. Removed from SMTP; never use it.",
		RFC:     "RFC 5321 F.6",
	},
	{
		Keyword: "STARTTLS",
		Name:    "Secure SMTP over TLS",
		Meaning: "The server can upgrade this connection to TLS. Send STARTTLS, then EHLO again: many submission servers (Gmail, Postfix with smtpd_tls_auth_only) advertise AUTH only after the upgrade.",
		RFC:     "RFC 3207",
	},
	{
		Keyword: "SUBMITTER",
		Name:    "Responsible submitter (Sender ID)",
		Meaning: "The client can name the address responsible for the message with MAIL FROM SUBMITTER=, for Sender ID checks before the message is sent. Sender ID has been abandoned (RFC 6686).",
		RFC:     "RFC 4405 (historic)",
	},
	{
		Keyword: "TURN",
		Name:    "Turn (obsolete)",
		Meaning: "Obsolete RFC 821 command: asked the server to swap roles and send the client its waiting mail on this connection, without any check of who asks. Replaced by ETRN and ATRN.",
		RFC:     "RFC 5321 F.1",
	},
	{
		Keyword: "UTF8SMTP",
		Name:    "Internationalized email, experimental",
		Meaning: "The experimental forerunner of SMTPUTF8: the server accepts UTF-8 addresses and headers. Replaced by SMTPUTF8; old servers may still advertise it.",
		RFC:     "RFC 5336 (obsoleted by RFC 6531)",
	},
	{
		Keyword: "VERB",
		Name:    "Verbose mode (Sendmail)",
		Meaning: "A Sendmail extension: the VERB command turns on verbose mode, in which the server reports delivery progress on this connection. Rare today.",
		RFC:     "none (Sendmail)",
	},
	{
		Keyword: "VRFY",
		Name:    "Verify address",
		Meaning: "The server answers VRFY <user> to say whether a mailbox exists. Many answer 252 (cannot verify, but will try to deliver) for every address, so as not to help spammers harvest addresses.",
		RFC:     "RFC 5321 3.5",
	},
	{
		Keyword: "WELLKNOWN",
		Name:    "Well-known server information (Exim)",
		Meaning: "WELLKNOWN <key> asks the server for public information about itself, such as a contact point for mail problems; it answers with a multi-line 250 holding the data, xtext-encoded. It changes nothing in the session.",
		RFC:     "none (Exim, experimental: doc/doc-txt/id-wellknown.txt)",
	},
	{
		Keyword: "X-ANONYMOUSTLS",
		Name:    "Anonymous TLS (Microsoft Exchange)",
		Meaning: "Exchange 2007 and later use it between their own transport servers to encrypt traffic with self-signed certificates. Other clients use STARTTLS instead.",
		RFC:     "none (Microsoft Exchange)",
	},
	{
		Keyword: "X-EXPS",
		Name:    "Exchange server authentication (Microsoft Exchange)",
		Meaning: "A sign-in between Exchange servers, similar to AUTH. Other clients use AUTH instead.",
		Params:  "the authentication mechanisms offered to Exchange servers, e.g. GSSAPI NTLM",
		RFC:     "none (Microsoft Exchange, KB 812455)",
	},
	{
		Keyword: "X-LINK2STATE",
		Name:    "Link state routing (Microsoft Exchange)",
		Meaning: "Exchange 2000 and 2003 servers use it to exchange routing topology information with each other. Meaningless to other software.",
		RFC:     "none (Microsoft Exchange, KB 812455)",
	},
	{
		Keyword: "XCLIENT",
		Name:    "Client attribute override (Postfix)",
		Meaning: "Lets a trusted proxy or content filter tell the server the original client's address, host name and HELO name, so that the server's access rules and logs apply to the real client. Only hosts in Postfix's smtpd_authorized_xclient_hosts may use it.",
		Params:  "the attributes the server accepts, e.g. NAME ADDR PORT PROTO HELO LOGIN DESTADDR DESTPORT",
		RFC:     "none (Postfix, https://www.postfix.org/XCLIENT_README.html)",
	},
	{
		Keyword: "XEXCH50",
		Name:    "Exchange message properties (Microsoft Exchange)",
		Meaning: "Exchange 2000 and 2003 servers use it to pass Exchange-specific message and recipient properties to each other. Meaningless to other software.",
		RFC:     "none (Microsoft Exchange, KB 812455)",
	},
	{
		Keyword: "XFORWARD",
		Name:    "Forward client attributes (Postfix)",
		Meaning: "Lets a trusted content filter pass the original client's name, address and HELO name to the server for logging, unlike XCLIENT which also changes access decisions. Only hosts in Postfix's smtpd_authorized_xforward_hosts may use it.",
		Params:  "the attributes the server accepts, e.g. NAME ADDR PORT PROTO HELO IDENT SOURCE",
		RFC:     "none (Postfix, https://www.postfix.org/XFORWARD_README.html)",
	},
	{
		Keyword: "XRDST",
		Name:    "Exchange routing (Microsoft Exchange)",
		Meaning: "Private to Microsoft Exchange 2013 and later, between its own transport services; not documented publicly. Meaningless to other software.",
		RFC:     "none (Microsoft Exchange)",
	},
	{
		Keyword: "XSHADOW",
		Name:    "Shadow redundancy (Microsoft Exchange 2010)",
		Meaning: "Exchange 2010 servers use it to keep a shadow copy of a message until the next hop confirms delivery, so that a message is not lost if a server fails in transit. Only Exchange servers with the right permission use it; meaningless to other software.",
		RFC:     "none (Microsoft Exchange)",
	},
	{
		Keyword: "XSHADOWREQUEST",
		Name:    "Shadow redundancy (Microsoft Exchange 2013 and later)",
		Meaning: "The later form of XSHADOW: an Exchange server asks the one sending to it to hold a shadow copy of the message until delivery is confirmed. Meaningless to other software.",
		RFC:     "none (Microsoft Exchange)",
	},
	{
		Keyword: "XUSR",
		Name:    "Exchange user submission (Microsoft Exchange)",
		Meaning: "Private to Microsoft Exchange 2000 and 2003, for traffic between Microsoft mail components. Meaningless to other software.",
		RFC:     "none (Microsoft Exchange)",
	},
	{
		Keyword: "XVERP",
		Name:    "Variable envelope return path (Postfix)",
		Meaning: "With MAIL FROM XVERP, each recipient's copy gets its own return address that encodes the recipient, so a mailing list can tell exactly which address bounced.",
		RFC:     "none (Postfix, https://www.postfix.org/VERP_README.html)",
	},
	{
		Keyword: "X_PIPE_CONNECT",
		Name:    "Early pipelining (Exim, before 4.95)",
		Meaning: "The name Exim 4.92 to 4.94 gave PIPECONNECT: on later connections, a client that kept this EHLO reply may send its EHLO (and, after STARTTLS, the next EHLO and AUTH) without waiting for the replies before them.",
		RFC:     "draft-harris-early-pipe (Exim)",
	},
}

// knownCodes is sorted by Code. Meaning follows the RFC's wording.
var knownCodes = []CodeInfo{
	{211, "System status, or system help reply", "A status or help answer meant for a person to read; servers rarely send it.", "RFC 5321 4.2.2"},
	{214, "Help message", "The server's answer to HELP: human-readable help text. It changes nothing in the session.", "RFC 5321 4.2.2"},
	{220, "<domain> Service ready", "The server is ready: its greeting when you connect, or, after STARTTLS, the go-ahead to start the TLS handshake (RFC 3207).", "RFC 5321 4.2.2"},
	{221, "<domain> Service closing transmission channel", "The server says goodbye and closes the connection, normally in answer to QUIT.", "RFC 5321 4.2.2"},
	{235, "Authentication succeeded", "You are signed in: the AUTH exchange worked, and the server now accepts mail from you as that user.", "RFC 4954 6"},
	{250, "Requested mail action okay, completed", "The server accepted the command. After EHLO, the lines that follow list its extensions; after the final \".\" of a message, the server has taken responsibility for delivering it.", "RFC 5321 4.2.2"},
	{251, "User not local; will forward to <forward-path>", "The recipient is accepted but is not local: the server will forward the message elsewhere.", "RFC 5321 4.2.2"},
	{252, "Cannot VRFY user, but will accept message and attempt delivery", "The server will not say whether the mailbox exists, usually so as not to help spammers harvest addresses, but it will try to deliver to it.", "RFC 5321 4.2.2"},
	{253, "OK, <n> pending messages for node <x> started", "ETRN accepted: the server has started delivering the messages queued for that domain.", "RFC 1985"},
	{334, "Server challenge (continue authentication)", "The server waits for your next AUTH step. The text after 334 is base64: VXNlcm5hbWU6 reads \"Username:\" and UGFzc3dvcmQ6 reads \"Password:\". Answer with a base64 line, or \"*\" to cancel.", "RFC 4954 4"},
	{354, "Start mail input; end with <CRLF>.<CRLF>", "Send the message now: header fields, a blank line, the body, then a line holding only a dot. A line of the message that starts with a dot gets an extra dot in front.", "RFC 5321 4.2.2"},
	{421, "<domain> Service not available, closing transmission channel", "The server is closing the connection: it may be shutting down, overloaded, or limiting you (too many connections or errors). Reconnect later.", "RFC 5321 4.2.2"},
	{432, "A password transition is needed", "The server wants you to sign in once with the PLAIN mechanism (over TLS), so that it can set up the mechanism you chose for next time.", "RFC 4954 6"},
	{450, "Requested mail action not taken: mailbox unavailable", "The mailbox cannot take mail right now: it is busy, or temporarily blocked by policy. Greylisting uses 450: a sending server that retries a few minutes later gets through.", "RFC 5321 4.2.2"},
	{451, "Requested action aborted: local error in processing", "Something went wrong on the server's side, such as a failed lookup or a filter error. Retry later; if it persists, the server's administrator must look.", "RFC 5321 4.2.2"},
	{452, "Requested action not taken: insufficient system storage", "The server is short of space, or, after RCPT TO, this message already has as many recipients as it accepts: send to the rest in another transaction.", "RFC 5321 4.2.2"},
	{454, "Temporary authentication failure; or TLS not available due to temporary reason", "A temporary problem on the server's side, such as an unreachable password database, stopped the sign-in, or STARTTLS cannot be done right now. Try again later.", "RFC 4954 6, RFC 3207 4"},
	{455, "Server unable to accommodate parameters", "The server understood the parameters of MAIL FROM or RCPT TO but cannot handle them now. Try later, or without them.", "RFC 5321 4.2.2"},
	{458, "Unable to queue messages for node <x>", "ETRN failed: the server could not start delivering that domain's queued mail right now.", "RFC 1985"},
	{459, "Node <x> not allowed: <reason>", "ETRN refused: this server will not run its queue for that domain at your request.", "RFC 1985"},
	{500, "Syntax error, command unrecognized", "The server did not understand the command: a typo, a command it does not know, or a line that is too long. During AUTH (with 5.5.6), the line you sent was too long.", "RFC 5321 4.2.2"},
	{501, "Syntax error in parameters or arguments", "The command is known but its arguments are wrong: check the form, e.g. MAIL FROM:<you@example.org> with angle brackets.", "RFC 5321 4.2.2"},
	{502, "Command not implemented", "The server knows the command but does not offer it, for example VRFY or EXPN switched off.", "RFC 5321 4.2.2"},
	{503, "Bad sequence of commands", "Right command, wrong moment: for example RCPT TO before MAIL FROM, DATA before any accepted recipient, or AUTH when already signed in.", "RFC 5321 4.2.2"},
	{504, "Command parameter not implemented", "The command is supported, but not with this parameter, for example an AUTH mechanism the server does not offer.", "RFC 5321 4.2.2"},
	{521, "Host does not accept mail", "This host never accepts mail and says so as its greeting. Do not retry: the domain's real mail server is elsewhere.", "RFC 7504"},
	{530, "Authentication required", "The server wants you to sign in with AUTH first. With the text \"Must issue a STARTTLS command first\" (RFC 3207), it wants STARTTLS first: many servers offer AUTH only over TLS.", "RFC 4954 6, RFC 3207 4"},
	{534, "Authentication mechanism is too weak", "The server refuses this sign-in method for your account. Use a stronger mechanism; Gmail answers 534 5.7.9 when the account needs an app password instead of the normal one.", "RFC 4954 6"},
	{535, "Authentication credentials invalid", "Sign-in failed: the user name or password was not accepted. With two-factor sign-in (Gmail, Outlook.com and others), an app password or OAuth is usually needed.", "RFC 4954 6"},
	{538, "Encryption required for requested authentication mechanism", "This sign-in method is allowed only over an encrypted connection: send STARTTLS, then EHLO and AUTH again.", "RFC 4954 6"},
	{550, "Requested action not taken: mailbox unavailable", "Refused for good: most often the mailbox does not exist, or the server's policy rejects the sender, recipient or message (spam filter, blocklist, relaying not allowed). The text and the enhanced code say which.", "RFC 5321 4.2.2"},
	{551, "User not local; please try <forward-path>", "The recipient is not handled here; the server may name another address to try. Some servers use it to refuse relaying.", "RFC 5321 4.2.2"},
	{552, "Requested mail action aborted: exceeded storage allocation", "Too big or too full: the message is over the size limit (compare SIZE in the EHLO reply), or the recipient's mailbox is over its quota.", "RFC 5321 4.2.2"},
	{553, "Requested action not taken: mailbox name not allowed", "The address is not acceptable: its syntax is wrong, or you may not send as that sender address.", "RFC 5321 4.2.2"},
	{554, "Transaction failed (as the greeting: no SMTP service here)", "Refused. As the greeting, the server will not talk to you at all, often because your address is blocklisted. After a command or the message, a final rejection, often by policy: \"Relay access denied\", a spam verdict, a failed check.", "RFC 5321 4.2.2"},
	{555, "MAIL FROM/RCPT TO parameters not recognized or not implemented", "The server does not support a parameter you added to MAIL FROM or RCPT TO, such as SIZE=, BODY= or SMTPUTF8: check its EHLO reply.", "RFC 5321 4.2.2"},
	{556, "Domain does not accept mail", "The recipient's domain publishes a null MX (RFC 7505): it never receives mail, so the address cannot work.", "RFC 7504"},
}

// knownEnhanced is sorted by Subject, then Detail. Titles follow the IANA
// registry of RFC 5248.
var knownEnhanced = []EnhancedInfo{
	{0, 0, "Other undefined status", "No detail beyond the class: success, temporary or permanent failure. 2.0.0 is a plain \"OK\".", "RFC 3463"},
	{1, 0, "Other address status", "Something about an address caused this, with no more specific code.", "RFC 3463"},
	{1, 1, "Bad destination mailbox address", "The recipient's mailbox does not exist: the part before the @ is wrong. Check the spelling.", "RFC 3463"},
	{1, 2, "Bad destination system address", "The recipient's domain, after the @, does not exist or cannot receive mail.", "RFC 3463"},
	{1, 3, "Bad destination mailbox address syntax", "The recipient address is malformed, e.g. missing angle brackets or containing a character that is not allowed.", "RFC 3463"},
	{1, 4, "Destination mailbox address ambiguous", "The recipient address matches more than one mailbox on the server.", "RFC 3463"},
	{1, 5, "Destination address valid", "The recipient address is fine; 2.1.5 is the usual answer to an accepted RCPT TO.", "RFC 3463"},
	{1, 6, "Destination mailbox has moved, no forwarding address", "The address used to work but no longer accepts mail, and no new address is known.", "RFC 3463"},
	{1, 7, "Bad sender's mailbox address syntax", "The sender address in MAIL FROM is malformed.", "RFC 3463"},
	{1, 8, "Bad sender's system address", "The sender's domain does not exist or cannot receive mail, so a bounce could not be returned. Often the sender's domain lacks DNS records.", "RFC 3463"},
	{1, 9, "Message relayed to non-compliant mailer", "The address was valid, but the message went on to a system that cannot report delivery status, so no further report will come.", "RFC 3886"},
	{1, 10, "Recipient address has null MX", "The recipient's domain publishes a null MX: it declares that it never accepts mail.", "RFC 7505"},
	{2, 0, "Other or undefined mailbox status", "The mailbox exists, but something about it caused this.", "RFC 3463"},
	{2, 1, "Mailbox disabled, not accepting messages", "The mailbox exists but is switched off, for a while or for good.", "RFC 3463"},
	{2, 2, "Mailbox full", "The recipient is over their storage quota. They must make room; a later retry may work.", "RFC 3463"},
	{2, 3, "Message length exceeds administrative limit", "The message is bigger than this mailbox's own size limit.", "RFC 3463"},
	{2, 4, "Mailing list expansion problem", "The address is a mailing list that could not be expanded to its members.", "RFC 3463"},
	{3, 0, "Other or undefined mail system status", "The receiving system normally accepts mail, but something about it caused this.", "RFC 3463"},
	{3, 1, "Mail system full", "The receiving server is out of storage, for everyone rather than for one mailbox.", "RFC 3463"},
	{3, 2, "System not accepting network messages", "The receiving host does not accept mail now (shutting down, overloaded, maintenance) or, with 521, ever.", "RFC 3463"},
	{3, 3, "System not capable of selected features", "The receiving system lacks a feature the message needs, often at a gateway to another kind of mail system.", "RFC 3463"},
	{3, 4, "Message too big for system", "The message is over the server's size limit (compare SIZE in the EHLO reply). Send it smaller, e.g. a link instead of a large attachment.", "RFC 3463"},
	{3, 5, "System incorrectly configured", "The receiving system is set up in a way that stops it accepting this message: a matter for its administrator.", "RFC 3463"},
	{3, 6, "Requested priority was changed", "The message was accepted, but with another MT-PRIORITY than the one requested.", "RFC 6710"},
	{4, 0, "Other or undefined network or routing status", "A network or routing problem with no more specific code.", "RFC 3463"},
	{4, 1, "No answer from host", "A server on the way could not reach the next server: it did not answer.", "RFC 3463"},
	{4, 2, "Bad connection", "The connection to the next server was made but broke or timed out before the message got through.", "RFC 3463"},
	{4, 3, "Directory server failure", "A lookup service, usually DNS, could not be reached, so the message could not be routed. Usually temporary.", "RFC 3463"},
	{4, 4, "Unable to route", "No way to reach the destination was found, e.g. the domain has no MX or address records.", "RFC 3463"},
	{4, 5, "Mail system congestion", "The mail system is too busy right now; a later retry should work.", "RFC 3463"},
	{4, 6, "Routing loop detected", "The message went round in circles between servers or forwarding rules and was stopped.", "RFC 3463"},
	{4, 7, "Delivery time expired", "The message waited in a queue too long, or past its DELIVERBY deadline, and delivery was given up.", "RFC 3463"},
	{5, 0, "Other or undefined protocol status", "Something in the SMTP conversation, with no more specific code; 2.5.0 is a plain protocol \"OK\".", "RFC 3463"},
	{5, 1, "Invalid command", "The command is out of sequence or not supported.", "RFC 3463"},
	{5, 2, "Syntax error", "The command could not be understood: wrong syntax or an unknown command.", "RFC 3463"},
	{5, 3, "Too many recipients", "The message has more recipients than one transaction allows; send to the rest separately.", "RFC 3463"},
	{5, 4, "Invalid command arguments", "The command is valid but an argument is not: out of range or an unknown parameter.", "RFC 3463"},
	{5, 5, "Wrong protocol version", "The two sides could not agree on a protocol version.", "RFC 3463"},
	{5, 6, "Authentication exchange line is too long", "During AUTH, a base64 line you sent was longer than the server accepts for this mechanism.", "RFC 4954"},
	{6, 0, "Other or undefined media error", "Something in the message's content stopped delivery, with no more specific code.", "RFC 3463"},
	{6, 1, "Media not supported", "The message holds a kind of content that the next system cannot carry, e.g. 8-bit data to a server without 8BITMIME.", "RFC 3463"},
	{6, 2, "Conversion required and prohibited", "The content would have to be converted for delivery, but the sender or a policy forbids conversion.", "RFC 3463"},
	{6, 3, "Conversion required but not supported", "The content must be converted, e.g. from 8-bit to 7-bit, but the server cannot do it.", "RFC 3463"},
	{6, 4, "Conversion with loss performed", "The message was delivered, but converting it lost some data. A failure instead if the sender forbade lossy conversion.", "RFC 3463"},
	{6, 5, "Conversion failed", "A conversion the content needed did not work.", "RFC 3463"},
	{6, 6, "Message content not available", "The server could not fetch the message content from the URL given with BURL, e.g. because the IMAP server was unreachable.", "RFC 4468"},
	{6, 7, "Non-ASCII addresses not permitted for that sender/recipient", "An address contains non-ASCII characters (internationalized email), which this server or mailbox does not accept.", "RFC 6531"},
	{6, 8, "UTF-8 string reply is required, but not permitted by the SMTP client", "The server would have to answer in UTF-8, e.g. to show a mailbox name, but the client did not use SMTPUTF8.", "RFC 6531"},
	{6, 9, "UTF-8 header message cannot be transferred to one or more recipients", "The message has UTF-8 header fields, but a server on the way to some recipient lacks SMTPUTF8, so the message is refused.", "RFC 6531"},
	{6, 10, "UTF-8 string reply is required, but not permitted by the SMTP client (deprecated)", "The same as X.6.8: registered twice by mistake, and deprecated.", "RFC 6531"},
	{7, 0, "Other or undefined security status", "A security or policy matter with no more specific code. Servers use it for \"authentication required\" (530 5.7.0), \"Must issue a STARTTLS command first\" and temporary sign-in failures (454 4.7.0); 235 2.7.0 is a successful sign-in.", "RFC 3463"},
	{7, 1, "Delivery not authorized, message refused", "Refused by policy: you may not send this here. Common causes: relaying without signing in (\"Relay access denied\"), a blocklisted address, a spam verdict, failed SPF or DMARC. 4.7.1 is often greylisting: retry in a few minutes.", "RFC 3463"},
	{7, 2, "Mailing list expansion prohibited", "You may not send to this mailing list.", "RFC 3463"},
	{7, 3, "Security conversion required but not possible", "Delivery needed a conversion from one secure messaging format to another, and it was not possible.", "RFC 3463"},
	{7, 4, "Security features not supported", "The message uses security features that the delivery path cannot support.", "RFC 3463"},
	{7, 5, "Cryptographic failure", "A system that should verify or decrypt the message could not, because a key was missing or invalid.", "RFC 3463"},
	{7, 6, "Cryptographic algorithm not supported", "A system that should verify or decrypt the message does not support the algorithm used.", "RFC 3463"},
	{7, 7, "Message integrity failure", "The message was corrupted or altered on the way, so it could not be verified.", "RFC 3463"},
	{7, 8, "Authentication credentials invalid", "The user name or password was not accepted. For Gmail and others with two-factor sign-in, this usually means an app password is needed.", "RFC 4954"},
	{7, 9, "Authentication mechanism is too weak", "The server refuses this sign-in method for the account; use a stronger one. Gmail sends 534 5.7.9 when the account needs an app password.", "RFC 4954"},
	{7, 10, "Encryption needed", "A security layer such as TLS is needed before this sign-in method can be used: send STARTTLS first, or use a stronger mechanism.", "RFC 5248"},
	{7, 11, "Encryption required for requested authentication mechanism", "This sign-in method is allowed only over an encrypted connection: send STARTTLS first.", "RFC 4954"},
	{7, 12, "A password transition is needed", "Sign in once with PLAIN over TLS, so that the server can set up the mechanism you chose.", "RFC 4954"},
	{7, 13, "User account disabled", "The credentials were right, but the account is disabled, e.g. for abuse or non-payment. Only the provider can re-enable it; retyping the password will not help.", "RFC 5248"},
	{7, 14, "Trust relationship required", "The submission server needs a configured trust relationship with another server, e.g. the IMAP server of a BURL URL, to fetch the content.", "RFC 5248"},
	{7, 15, "Priority level is too low", "The message's MT-PRIORITY is below what the server accepts now.", "RFC 6710"},
	{7, 16, "Message is too big for the specified priority", "At this MT-PRIORITY the server accepts only smaller messages.", "RFC 6710"},
	{7, 17, "Mailbox owner has changed", "The mailbox has changed hands since the RRVS date given, so the message is refused to keep it from the new owner.", "RFC 7293"},
	{7, 18, "Domain owner has changed", "The recipient's domain has changed hands since the RRVS date given.", "RFC 7293"},
	{7, 19, "RRVS test cannot be completed", "The server cannot tell whether the mailbox changed hands since the RRVS date; the sender must decide whether to send again without RRVS.", "RFC 7293"},
	{7, 20, "No passing DKIM signature found", "The receiver's policy requires a valid DKIM signature, and none on the message verified.", "RFC 7372"},
	{7, 21, "No acceptable DKIM signature found", "Some DKIM signatures verified, but none is acceptable to the receiver's policy.", "RFC 7372"},
	{7, 22, "No valid author-matched DKIM signature found", "No valid DKIM signature comes from the domain in the From header field.", "RFC 7372"},
	{7, 23, "SPF validation failed", "The sending server's address is not allowed by the sender domain's SPF record: add it to SPF, or send through a server that is allowed.", "RFC 7372"},
	{7, 24, "SPF validation error", "Checking SPF failed with an error, e.g. a broken SPF record or a DNS failure. As 4.7.24, a retry may pass.", "RFC 7372"},
	{7, 25, "Reverse DNS validation failed", "The sending server's IP address has no matching reverse DNS (PTR) name, which the receiver requires.", "RFC 7372"},
	{7, 26, "Multiple authentication checks failed", "The message failed more than one sender check (SPF, DKIM, reverse DNS). Gmail uses it for mail that fails DMARC authentication.", "RFC 7372"},
	{7, 27, "Sender address has null MX", "The sender's domain declares that it receives no mail (null MX), so a bounce could not be returned, and the receiver refuses.", "RFC 7505"},
	{7, 28, "Mail flood detected", "The message looks like part of a flood of similar abusive messages, such as a subscription bomb.", "IANA registry (draft-levine-mailbomb-header)"},
	{7, 29, "ARC validation failure", "The message's ARC header fields, which carry authentication results through forwarders and mailing lists, did not verify.", "RFC 8617"},
	{7, 30, "REQUIRETLS support required", "The message demands REQUIRETLS, but the next server does not support it, so it could not be passed on securely.", "RFC 8689"},
}

// knownSubjects describes the subject sub-codes of RFC 3463 section 3,
// indexed by subject.
var knownSubjects = []string{
	0: "other or undefined: no more detail than the class",
	1: "addressing: the sender's or a recipient's address",
	2: "mailbox: the recipient's mailbox, under the recipient's control",
	3: "mail system: the receiving system, under its administrator's control",
	4: "network and routing: the network, DNS or routing between mail systems",
	5: "mail delivery protocol: the SMTP conversation itself",
	6: "message content or media: the message's content or its conversion",
	7: "security or policy: authentication, encryption, filtering or permissions",
}

// knownCategories describes the second digit of a reply code (RFC 5321
// section 4.2.1), indexed by that digit.
var knownCategories = []string{
	0: "about syntax, or a command not supported",
	1: "information, such as status or help",
	2: "about the connection",
	3: "unspecified",
	4: "unspecified",
	5: "about the mail system",
}

// LookupExtension returns what an EHLO keyword means, ignoring case. A
// keyword with an equals sign, such as the legacy "AUTH=LOGIN", finds the
// entry for "AUTH=" or, failing that, for the part before the sign.
func LookupExtension(keyword string) (Extension, bool) {
	k := strings.ToUpper(strings.TrimSpace(keyword))
	if e, ok := searchTable(knownExtensions, k, compareKeyword); ok {
		return e, true
	}
	before, _, found := strings.Cut(k, "=")
	if !found {
		return Extension{}, false
	}
	if e, ok := searchTable(knownExtensions, before+"=", compareKeyword); ok {
		return e, true
	}
	return searchTable(knownExtensions, before, compareKeyword)
}

// Extensions returns every known extension, sorted by keyword. The slice is
// the caller's to change.
func Extensions() []Extension { return slices.Clone(knownExtensions) }

// LookupCode returns what a reply code means (RFC 5321 section 4.2 and the
// RFCs that add codes).
func LookupCode(code int) (CodeInfo, bool) {
	return searchTable(knownCodes, code, func(c CodeInfo, code int) int { return cmp.Compare(c.Code, code) })
}

// Codes returns every known reply code, sorted. The slice is the caller's
// to change.
func Codes() []CodeInfo { return slices.Clone(knownCodes) }

// CodeMeaning explains a reply code in plain words: the entry's Plain for a
// known code, else what its first digit (class) and second digit (category)
// say by RFC 5321 section 4.2.1. It returns "" for a number that is not a
// three-digit reply code.
func CodeMeaning(code int) string {
	if info, ok := LookupCode(code); ok {
		return info.Plain
	}
	if code < 100 || code > 599 {
		return ""
	}
	class, category := code/100, code/10%10
	about := "a category RFC 5321 does not define"
	if category < len(knownCategories) {
		about = knownCategories[category]
	}
	return fmt.Sprintf("Not a standard reply code. %dxx: %s. x%dx: %s.", class, ClassMeaning(class), category, about)
}

// ClassMeaning explains the first digit of a reply code (RFC 5321 section
// 4.2.1), or "" for a digit that is no class.
func ClassMeaning(class int) string {
	switch class {
	case 1:
		return "positive preliminary: not used in SMTP"
	case 2:
		return "success"
	case 3:
		return "go on, the server waits for more"
	case 4:
		return "temporary failure: try again later"
	case 5:
		return "permanent failure: do not retry as is"
	}
	return ""
}

// LookupEnhanced returns what an enhanced status code's subject and detail
// mean (RFC 3463; IANA registry of RFC 5248), whatever its class. The zero
// code, which means "absent", finds nothing.
func LookupEnhanced(e EnhancedCode) (EnhancedInfo, bool) {
	if e.IsZero() {
		return EnhancedInfo{}, false
	}
	return searchTable(knownEnhanced, e, func(info EnhancedInfo, e EnhancedCode) int {
		return cmp.Or(cmp.Compare(info.Subject, e.Subject), cmp.Compare(info.Detail, e.Detail))
	})
}

// EnhancedCodes returns every known enhanced status code detail, sorted by
// subject and detail. The slice is the caller's to change.
func EnhancedCodes() []EnhancedInfo { return slices.Clone(knownEnhanced) }

// EnhancedMeaning explains an enhanced status code in one line, as
// "<class>: <title>. <plain>", e.g. "Permanent failure: Authentication
// credentials invalid. The user name ...". For a detail not in the registry
// it explains the class and subject; for the zero code it returns "".
func EnhancedMeaning(e EnhancedCode) string {
	if e.IsZero() {
		return ""
	}
	class := enhancedClassName(e.Class)
	if info, ok := LookupEnhanced(e); ok {
		return class + ": " + info.Title + ". " + info.Plain
	}
	if about := SubjectMeaning(e.Subject); about != "" {
		return fmt.Sprintf("%s concerning %s. Detail %d of subject %d is not registered.", class, about, e.Detail, e.Subject)
	}
	return fmt.Sprintf("%s. Subject %d is not defined by RFC 3463.", class, e.Subject)
}

// enhancedClassName names the class of an enhanced status code (RFC 3463
// section 3.1: only 2, 4 and 5 exist).
func enhancedClassName(class int) string {
	switch class {
	case 2:
		return "Success"
	case 4:
		return "Temporary failure"
	case 5:
		return "Permanent failure"
	}
	return fmt.Sprintf("Invalid class %d (RFC 3463 defines 2, 4 and 5)", class)
}

// SubjectMeaning explains the subject, the middle number of an enhanced
// status code (RFC 3463 section 3), or returns "" for an undefined subject.
func SubjectMeaning(subject int) string {
	if subject < 0 || subject >= len(knownSubjects) {
		return ""
	}
	return knownSubjects[subject]
}

// compareKeyword orders extensions by keyword for binary search.
func compareKeyword(e Extension, keyword string) int { return strings.Compare(e.Keyword, keyword) }

// searchTable finds key in a table sorted by compare.
func searchTable[E, K any](table []E, key K, compare func(E, K) int) (E, bool) {
	i, ok := slices.BinarySearchFunc(table, key, compare)
	if !ok {
		var zero E
		return zero, false
	}
	return table[i], true
}
