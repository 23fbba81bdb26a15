#!/usr/bin/env python3
"""Reads an Autobahn|Testsuite fuzzingclient report (index.json) and prints, per endpoint, the count of each
behavior and close behavior; exits 1 when a case is FAILED in a way no documented device rule explains.

The allowed outcomes are listed in ALLOWED below, each with the device rule it follows from."""

import fnmatch
import json
import os
import sys
from collections import Counter, defaultdict

# (endpoints, case id patterns, which field may be FAILED, the reason). Patterns are fnmatch globs on case ids.
ALLOWED = [
    (
        ("endrpi", "xarm", "pubsub"),
        ("1.*", "2.*", "5.*", "6.*", "7.1.*", "7.3.*", "7.5.*", "7.7.*", "7.9.*", "7.13.*", "10.*"),
        "behavior",
        "the device answers each message with its own reply (a JSON envelope, an api code, an error), "
        "never an echo, and the xArm pushes its connect reports first: received frames differ from an echo",
    ),
    (
        ("endrpi",),
        ("1.2.*", "5.*"),
        "behaviorClose",
        "ENDRPI-30: a binary frame closes the connection with 1003, where the case expects an echo and a 1000",
    ),
]

FAILED = "FAILED"


def allowed(agent, case, field):
    for agents, patterns, allowed_field, reason in ALLOWED:
        if agent in agents and field == allowed_field and any(fnmatch.fnmatch(case, p) for p in patterns):
            return reason
    return None


def case_key(case):
    return [int(part) for part in case.split(".")]


def main(index_path):
    with open(index_path) as f:
        index = json.load(f)
    bad = []
    excused = defaultdict(Counter)
    for agent in sorted(index):
        cases = index[agent]
        behavior = Counter(c["behavior"] for c in cases.values())
        close = Counter(c["behaviorClose"] for c in cases.values())
        print("%s: %d cases; behavior %s; close %s" % (
            agent, len(cases),
            ", ".join("%s %d" % kv for kv in sorted(behavior.items())),
            ", ".join("%s %d" % kv for kv in sorted(close.items()))))
        for case in sorted(cases, key=case_key):
            result = cases[case]
            for field in ("behavior", "behaviorClose"):
                if result[field] != FAILED:
                    continue
                reason = allowed(agent, case, field)
                if reason:
                    excused[agent][reason] += 1
                else:
                    bad.append((agent, case, field, result, os.path.dirname(index_path)))
    for agent in sorted(excused):
        for reason, count in excused[agent].items():
            print("  %s: %d FAILED allowed: %s" % (agent, count, reason))
    if bad:
        print("autobahn: %d FAILED outcomes no device rule explains:" % len(bad))
        for agent, case, field, result, outdir in bad:
            detail = case_detail(outdir, result.get("reportfile"))
            print("  %s %s %s (remote close code %s)%s" % (
                agent, case, field, result.get("remoteCloseCode"), detail))
        return 1
    print("autobahn: no unexplained FAILED outcome")
    return 0


def case_detail(outdir, reportfile):
    """What the case expected and what it got, in one line."""
    if not reportfile:
        return ""
    try:
        with open(os.path.join(outdir, reportfile)) as f:
            report = json.load(f)
    except (OSError, ValueError):
        return ""
    expected = report.get("expectedClose", {}).get("closeCode")
    return ": %s; expected close %s, got %s (clean %s)" % (
        report.get("description", "").split(".")[0][:80], expected,
        report.get("remoteCloseCode"), report.get("wasClean"))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
