#!/usr/bin/env python3
"""fleetcheck.py: one fleet run's results against the simulator's truth.

  fleetcheck.py ehlo TRUTH.tsv RUN.jsonl [TARGETS]  every target's status against its truth
                                                   (of the targets in TARGETS, when given)
  fleetcheck.py zgrab2 TRUTH.tsv RUN.json PORT  zgrab2's status per behaviour (it has no statuses of ehlo's kind)

Prints one JSON object: right, total, wrong (a few), and per behaviour the statuses seen.
A truth of "reset-after:K" is a group (one host, many ports, that serves K connections
of a run and resets the rest): K of its targets must be ok and the rest rate-limited, in
any order. zgrab2 probes one port: targets on other ports (blocked on 25, the resetting
host) are left out of its check.
"""
import collections
import json
import sys

tool, truth_path, run_path = sys.argv[1:4]
truth = {}
for line in open(truth_path):
    target, status, kind = line.rstrip('\n').split('\t')
    truth[target] = (status, kind)

got = {}
if tool == 'ehlo':
    if len(sys.argv) > 4:
        only = set(l.strip() for l in open(sys.argv[4]) if l.strip())
        truth = {t: v for t, v in truth.items() if t in only}
    for line in open(run_path):
        j = json.loads(line)
        got[j['target']] = j['status']
else:
    port = sys.argv[4]
    truth = {t: v for t, v in truth.items() if t.rsplit(':', 1)[1] == port}
    for line in open(run_path):
        j = json.loads(line)
        got['%s:%s' % (j['ip'], port)] = j['data']['smtp']['status']

by_kind = collections.defaultdict(collections.Counter)
wrong = []
right = 0
groups = collections.defaultdict(list)  # reset-after:K -> statuses got
for target, (status, kind) in truth.items():
    g = got.get(target, 'missing')
    by_kind['%s (%s)' % (kind, status)][g] += 1
    if status.startswith('reset-after:'):
        groups[status].append((target, g))
    elif g == status:
        right += 1
    elif len(wrong) < 5:
        wrong.append('%s: %s, want %s' % (target, g, status))
for status, seen in groups.items():
    k = int(status.split(':')[1])
    want = collections.Counter({'ok': k, 'rate-limited': len(seen) - k})
    have = collections.Counter(g for _, g in seen)
    ok = sum(min(have[s], want[s]) for s in want)
    right += ok
    if ok < len(seen) and len(wrong) < 5:
        wrong.append('%s: %s, want %s' % (', '.join(t for t, _ in seen[:3]) + ', ...', dict(have), dict(want)))
print(json.dumps({'tool': tool, 'right': right, 'total': len(truth), 'results': len(got),
                  'wrong': wrong, 'by_kind': {k: dict(v) for k, v in sorted(by_kind.items())}}))
