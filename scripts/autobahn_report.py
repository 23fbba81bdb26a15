#!/usr/bin/env python3
"""Reads an Autobahn|Testsuite fuzzingclient report (index.json) and prints, per endpoint, the count of each
behavior and close behavior; exits 1 when a behavior is FAILED, a close behavior FAILED, WRONG CODE or
UNCLEAN, or a protocol-error case is not closed with its 1002/1007, in a way no documented device rule explains.

The allowed outcomes are listed in ALLOWED below, each with the device rule it follows from."""

import json
import os
import sys
from collections import Counter, defaultdict

# (endpoints, field that may be bad, the condition on the case's report, the device rule it follows from).
EVERY = ("endrpi", "xarm", "pubsub", "esp3d-terminal", "esp3d-data")

ALLOWED = [
    (
        EVERY,
        "behavior",
        lambda report: expects_echo(report) and close_is_right(report),
        "the case expects an echo; the device answers each message with its own reply (a JSON envelope, "
        "an api code, an error), and the close is right",
    ),
    (
        ("xarm",),
        "behavior",
        lambda report: close_is_right(report),
        "XARM: on connect the arm pushes its key and info reports (and the status report) before any request, "
        "so the frames received never match; the close is right",
    ),
    (
        ("esp3d-terminal",),
        "behavior",
        lambda report: close_is_right(report),
        "ESP3D-26: on connect the board pushes a ping, currentID and activeID before any request, so the frames "
        "received never match; the close is right",
    ),
    (
        EVERY,
        "behaviorClose",
        lambda report: echoed_own_close(report),
        "not the device: this wstest closes with 1001 Going Away where the case expects 1000, and the device "
        "answers with the code it was sent, as RFC 6455 5.5.1 says",
    ),
    (
        ("endrpi",),
        "behavior",
        lambda report: expects_echo(report, binary=True) and report.get("remoteCloseCode") == 1003,
        "ENDRPI-30: a binary frame closes the connection with 1003 instead of an echo",
    ),
    (
        ("endrpi",),
        "behaviorClose",
        lambda report: expects_echo(report, binary=True) and report.get("remoteCloseCode") == 1003,
        "ENDRPI-30: a binary frame closes the connection with 1003 where the case expects a 1000",
    ),
]

# Outcomes that count as failures (Autobahn's own words).
BAD = {"behavior": ("FAILED",), "behaviorClose": ("FAILED", "WRONG CODE", "UNCLEAN")}


def expects_echo(report, binary=None):
    """Whether the case expects a message back (of this kind: binary True/False, None for either)."""
    for outcomes in report.get("expected", {}).values():
        for event in outcomes:
            if event and event[0] == "message" and (binary is None or bool(event[2]) == binary):
                return True
    return False


def echoed_own_close(report):
    """The test client closed (with 1001) and the device answered cleanly with the same code."""
    return (report.get("closedByMe") and report.get("wasClean") and report.get("localCloseCode") == 1001
            and report.get("remoteCloseCode") == 1001)


def protocol_error_codes(report):
    """The close codes a protocol-error case expects (1002, 1007, ...); empty for a case expecting 1000."""
    codes = report.get("expectedClose", {}).get("closeCode", [])
    return [] if 1000 in codes else codes


def protocol_error_closed(report):
    """False for a protocol-error case the device did not close with one of the expected codes."""
    codes = protocol_error_codes(report)
    return not codes or report.get("remoteCloseCode") in codes


def close_is_right(report):
    """The close went as the case expects, or as the test client itself asked. A case that sends a protocol
    error (a bad close frame, say) ends with the client failing the connection itself ("FAILED BY CLIENT"),
    which is right once the device's close code is the one the case expects."""
    if not protocol_error_closed(report):
        return False
    if report["behaviorClose"] == "OK" or echoed_own_close(report):
        return True
    return report["behaviorClose"] == "FAILED BY CLIENT" and bool(protocol_error_codes(report))


def allowed(agent, field, report):
    for agents, allowed_field, condition, reason in ALLOWED:
        if agent in agents and field == allowed_field and condition(report):
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
            report = case_report(os.path.dirname(index_path), result)
            if not protocol_error_closed(report):
                bad.append((agent, case, "protocol-error close", result, report))
            for field in ("behavior", "behaviorClose"):
                if result[field] not in BAD[field]:
                    continue
                reason = allowed(agent, field, report)
                if reason:
                    excused[agent][reason] += 1
                else:
                    bad.append((agent, case, field, result, report))
    for agent in sorted(excused):
        for reason, count in excused[agent].items():
            print("  %s: %d FAILED allowed: %s" % (agent, count, reason))
    if bad:
        print("autobahn: %d FAILED outcomes no device rule explains:" % len(bad))
        for agent, case, field, result, report in bad:
            print("  %s %s %s %s: %s; expected close %s, got %s (clean %s)" % (
                agent, case, field, result.get(field, ""), report.get("description", "").split(".")[0][:70],
                report.get("expectedClose", {}).get("closeCode"), result.get("remoteCloseCode"),
                report.get("wasClean")))
        groups = defaultdict(list)
        for agent, case, field, result, report in bad:
            if field == "protocol-error close":
                groups[(agent, tuple(protocol_error_codes(report)), result.get("remoteCloseCode"))].append(case)
        for (agent, codes, got), cases in sorted(groups.items(), key=str):
            print("autobahn: %s: %d protocol-error cases expected close %s, got %s: %s" % (
                agent, len(cases), "/".join(map(str, codes)), got, " ".join(cases)))
        return 1
    print("autobahn: no unexplained FAILED outcome")
    return 0


def case_report(outdir, result):
    """The case's own report (what it expected and got), with the index's outcome fields."""
    report = {}
    if result.get("reportfile"):
        try:
            with open(os.path.join(outdir, result["reportfile"])) as f:
                report = json.load(f)
        except (OSError, ValueError):
            report = {}
    report.update(result)
    return report


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
