package session_test

import (
	"fmt"
	"strings"

	"github.com/ehlo-sh/ehlo/session"
)

// Gmail's answers to EHLO on port 587, before and after STARTTLS.
var (
	gmailPlain = []string{
		"250-smtp.gmail.com at your service, [160.16.209.99]",
		"250-SIZE 35882577",
		"250-8BITMIME",
		"250-STARTTLS",
		"250-ENHANCEDSTATUSCODES",
		"250-PIPELINING",
		"250-CHUNKING",
		"250 SMTPUTF8",
	}
	gmailTLS = []string{
		"250-smtp.gmail.com at your service, [160.16.209.99]",
		"250-SIZE 35882577",
		"250-8BITMIME",
		"250-AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH",
		"250-ENHANCEDSTATUSCODES",
		"250-PIPELINING",
		"250-CHUNKING",
		"250 SMTPUTF8",
	}
)

func ehlo(lines []string) session.Capabilities {
	r, err := session.ParseReply(lines)
	if err != nil {
		panic(err)
	}
	return session.ParseEHLO(r)
}

func ExampleParseReply() {
	r, err := session.ParseReply([]string{
		"535-5.7.8 Username and Password not accepted. Learn more at",
		"535 5.7.8  https://support.google.com/mail/?p=BadCredentials",
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(r.Code, r.Enhanced, r.Class())
	fmt.Printf("%q\n", r.Lines)
	// Output:
	// 535 5.7.8 permanent negative
	// ["Username and Password not accepted. Learn more at" " https://support.google.com/mail/?p=BadCredentials"]
}

func ExampleParseEHLO() {
	for _, lines := range [][]string{gmailPlain, gmailTLS} {
		c := ehlo(lines)
		size, _ := c.MaxSize()
		fmt.Printf("%s (%s): STARTTLS %v, AUTH %v %v, SIZE %s\n",
			c.Domain, c.Greet, c.Has("STARTTLS"), c.Has("AUTH"), c.AuthMechanisms(), session.HumanSize(size))
	}
	// Output:
	// smtp.gmail.com (at your service, [160.16.209.99]): STARTTLS true, AUTH false [], SIZE 34.2 MiB
	// smtp.gmail.com (at your service, [160.16.209.99]): STARTTLS false, AUTH true [LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH], SIZE 34.2 MiB
}

func ExampleParseEHLO_legacy() {
	// QQ mail still advertises the pre-standard AUTH= form.
	c := ehlo([]string{"250-smtp.qq.com", "250-AUTH LOGIN PLAIN", "250 AUTH=LOGIN"})
	for _, capa := range c.List {
		fmt.Printf("%s %q legacy=%v\n", capa.Keyword, capa.Params, capa.Legacy)
	}
	fmt.Println(c.AuthMechanisms())
	// Output:
	// AUTH "LOGIN PLAIN" legacy=false
	// AUTH "LOGIN" legacy=true
	// [LOGIN PLAIN]
}

func ExampleDiffCapabilities() {
	d := session.DiffCapabilities(ehlo(gmailPlain), ehlo(gmailTLS))
	for _, c := range d.Added {
		fmt.Println("+", c.Keyword, c.Params)
	}
	for _, c := range d.Removed {
		fmt.Println("-", c.Keyword, c.Params)
	}
	// Output:
	// + AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH
	// - STARTTLS
}

func ExampleSanitize() {
	// OSC 52 would set the clipboard to "evil"; a bare CR would paint
	// "250 OK" over "550 no".
	fmt.Println(session.Sanitize([]byte("250 hi\x1b]52;c;ZXZpbA==\x07")))
	fmt.Println(session.Sanitize([]byte("550 no\r250 OK")))
	fmt.Println(session.Sanitize([]byte("\u202egnp.exe \xff")))
	// Output:
	// 250 hi\x1b]52;c;ZXZpbA==\x07
	// 550 no\r250 OK
	// \u202egnp.exe \xff
}

func ExampleEscape() {
	session.Escape([]byte("ok\x1b[2J"), func(text string, escaped bool) {
		fmt.Printf("%q %v\n", text, escaped)
	})
	// Output:
	// "ok" false
	// "\\x1b" true
	// "[2J" false
}

func ExampleUnescape() {
	b, err := session.Unescape(`550 no\r250 OK`)
	fmt.Printf("%q %v\n", b, err)
	// Output:
	// "550 no\r250 OK" <nil>
}

func ExampleDecodeChallenge() {
	for _, text := range []string{"VXNlcm5hbWU6", "UGFzc3dvcmQ6"} {
		s, _ := session.DecodeChallenge(text)
		fmt.Println(text, "is", s)
	}
	// Output:
	// VXNlcm5hbWU6 is Username:
	// UGFzc3dvcmQ6 is Password:
}

func ExampleAuthFlow() {
	f := session.NewAuthFlow(session.Login("alice", "wonderland"), "alice")
	line, shown, _ := f.Start()
	fmt.Printf("send %q, show %q\n", line, shown)
	for _, reply := range []string{"334 VXNlcm5hbWU6", "334 UGFzc3dvcmQ6", "235 2.7.0 Accepted"} {
		r, _ := session.ParseReply([]string{reply})
		line, shown, done, err := f.Next(r)
		fmt.Printf("send %q, show %q, done %v, err %v\n", line, shown, done, err)
	}
	fmt.Println(f.Challenges())
	// Output:
	// send "AUTH LOGIN", show "AUTH LOGIN"
	// send "YWxpY2U=", show "<redacted>", done false, err <nil>
	// send "d29uZGVybGFuZA==", show "<redacted>", done false, err <nil>
	// send "", show "", done true, err <nil>
	// [Username: Password:]
}

func ExampleMailFrom() {
	line, _ := session.MailFrom("alice@example.org", "SIZE=280")
	fmt.Println(line)
	_, err := session.RcptTo("bob@example.org>\r\nDATA")
	fmt.Println(err)
	// Output:
	// MAIL FROM:<alice@example.org> SIZE=280
	// session: bad command line: RCPT address holds an angle bracket
}

func ExampleState() {
	reply := func(lines ...string) session.Reply {
		r, _ := session.ParseReply(lines)
		return r
	}
	var s session.State
	s = s.Greeting(reply("220 smtp.gmail.com ESMTP"))
	s = s.Sent("EHLO [127.0.1.1]").Received(reply(gmailPlain...))
	fmt.Println(s.Phase, "expects", s.Expect())
	for _, w := range s.Check("AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=") {
		fmt.Println("warning:", w.Code+":", w.Text)
	}
	s = s.Sent("STARTTLS").Received(reply("220 2.0.0 Ready to start TLS")).TLSStarted()
	fmt.Println(s.Phase, "expects", s.Expect())
	s = s.Sent("EHLO [127.0.1.1]").Received(reply(gmailTLS...))
	fmt.Println(s.Phase, "expects", s.Expect(), strings.Join(s.Completions("auth p"), ", "))
	// Output:
	// ready expects STARTTLS
	// warning: auth-before-starttls-needed: credentials would travel in clear, and this server advertises AUTH only after STARTTLS
	// greeted expects EHLO
	// ready expects AUTH AUTH PLAIN, AUTH PLAIN-CLIENTTOKEN
}

func ExampleHumanSize() {
	fmt.Println(session.HumanSize(35882577), session.HumanSize(52428800), session.HumanSize(1000))
	// Output: 34.2 MiB 50 MiB 1000 B
}
