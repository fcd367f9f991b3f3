"""The python3 smtplib peer for the send benchmark (bench/run.sh).

usage: EHLO_PASSWORD=... python3 smtplib_send.py HOST PORT CAFILE USER FROM TO FILE

EHLO, STARTTLS (certificate verified against CAFILE, host name checked
against HOST), EHLO, AUTH (login() picks PLAIN), then FILE as one message
with sendmail(), and QUIT: what `ehlo send` does. smtplib takes the message
as bytes, so the file is read into memory first, as its users do.
"""
import os
import smtplib
import ssl
import sys


def main():
    host, port, cafile, user, sender, rcpt, path = sys.argv[1:8]
    with open(path, "rb") as f:
        msg = f.read()
    ctx = ssl.create_default_context(cafile=cafile)
    s = smtplib.SMTP(host, int(port))
    s.ehlo()
    s.starttls(context=ctx)
    s.ehlo()
    s.login(user, os.environ["EHLO_PASSWORD"])
    refused = s.sendmail(sender, [rcpt], msg)
    s.quit()
    if refused:
        sys.exit(1)
    print("sent")


main()
