"""The python3 smtplib peer for the probe benchmark (bench/run.sh).

usage: python3 smtplib_probe.py HOST PORT CAFILE

Greeting, EHLO, STARTTLS (certificate verified against CAFILE, host name
checked against HOST), EHLO, QUIT: the exchange `ehlo probe` makes.
"""
import smtplib
import ssl
import sys


def main():
    host, port, cafile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    ctx = ssl.create_default_context(cafile=cafile)
    s = smtplib.SMTP(host, port)
    s.ehlo()
    s.starttls(context=ctx)
    code, caps = s.ehlo()
    s.quit()
    sys.stdout.write(caps.decode() + "\n")
    if code != 250:
        sys.exit(1)


main()
