#!/usr/bin/env python3
"""fleetcheck.py: one fleet run's results against the simulator's truth.

  fleetcheck.py ehlo TRUTH.tsv RUN.jsonl        every target's status against its truth
  fleetcheck.py zgrab2 TRUTH.tsv RUN.json PORT  zgrab2's status per behaviour (it has no statuses of ehlo's kind)

Prints one JSON object: right, total, wrong (a few), and per behaviour the statuses seen.
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
    for line in open(run_path):
        j = json.loads(line)
        got[j['target']] = j['status']
else:
    port = sys.argv[4]
    for line in open(run_path):
        j = json.loads(line)
        got['%s:%s' % (j['ip'], port)] = j['data']['smtp']['status']

by_kind = collections.defaultdict(collections.Counter)
wrong = []
right = 0
for target, (status, kind) in truth.items():
    g = got.get(target, 'missing')
    by_kind['%s (%s)' % (kind, status)][g] += 1
    if g == status:
        right += 1
    elif len(wrong) < 5:
        wrong.append('%s: %s, want %s' % (target, g, status))
print(json.dumps({'tool': tool, 'right': right, 'total': len(truth), 'results': len(got),
                  'wrong': wrong, 'by_kind': {k: dict(v) for k, v in sorted(by_kind.items())}}))
