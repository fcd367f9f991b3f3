"""Evaluates SPF with pyspf (Debian's python3-spf), the second implementation
the DNS lab's SPF zones are checked with.

usage: python3 pyspf.py RESOLVER_ADDR RESOLVER_PORT CLIENT_IP SENDER...
prints one line per sender: SENDER RESULT
"""
import sys

import DNS  # python3-dns, which python3-spf uses
import spf

addr, port, ip = sys.argv[1], int(sys.argv[2]), sys.argv[3]
DNS.defaults["server"] = [addr]
DNS.defaults["port"] = port
DNS.defaults["timeout"] = 5
for sender in sys.argv[4:]:
    result, _ = spf.check2(i=ip, s=sender, h="client.dns-lab.test")
    print(sender, result)
