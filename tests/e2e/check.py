#!/usr/bin/env python3
"""Assertions on authtrace NDJSON output for the end-to-end tests.

usage: check.py FILE EXPECTATION...

Each EXPECTATION is one of
  requests=N                 exactly N request events
  responses=N                exactly N response events
  summary                    a summary event is the last line
  req:I:FIELD=VALUE          request I (0-based) has FIELD equal to VALUE
                             (FIELD may be dotted: credentials.0.kind)
  req:I:headers~NAME         request I lists header NAME
  req:*:FIELD=VALUE          every request has FIELD equal to VALUE
  fp:I:VALUE                 request I's first credential fingerprint is the
                             fingerprint of VALUE (computed here independently)
  resp:I:FIELD=VALUE         response I has FIELD equal to VALUE
  joined                     every response's request_seq names a request
  finding:I:RULE             request I has a finding with rule RULE
  nofinding:I:RULE           request I has no finding with rule RULE
Values are compared as JSON when they parse as JSON, else as strings.
Exit 0 when all hold; otherwise print each failure and exit 1.
"""
import hashlib
import json
import sys

FP_HEX_LEN = 12


def fingerprint(value: str) -> str:
    return hashlib.sha256(b"authtrace-fp-v1\0" + value.encode()).hexdigest()[:FP_HEX_LEN]


def dig(obj, dotted):
    for part in dotted.split("."):
        if isinstance(obj, list):
            obj = obj[int(part)]
        else:
            obj = obj[part]
    return obj


def parse_value(text):
    try:
        return json.loads(text)
    except ValueError:
        return text


def main(argv):
    path, expectations = argv[1], argv[2:]
    events = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                events.append(json.loads(line))
            except ValueError:
                print(f"{path}:{n}: not JSON: {line[:80]}")
                return 1
    reqs = [e for e in events if e.get("type") == "request"]
    resps = [e for e in events if e.get("type") == "response"]
    failures = []

    def fail(msg):
        failures.append(msg)

    for exp in expectations:
        # an fp: expectation holds a (fake) secret: never echo it
        label = ":".join(exp.split(":")[:2]) + ":<value>" if exp.startswith("fp:") else exp
        try:
            if exp.startswith("requests="):
                if len(reqs) != int(exp.split("=")[1]):
                    fail(f"{exp}: got {len(reqs)} requests")
            elif exp.startswith("responses="):
                if len(resps) != int(exp.split("=")[1]):
                    fail(f"{exp}: got {len(resps)} responses")
            elif exp == "summary":
                if not events or events[-1].get("type") != "summary":
                    fail("summary: last event is not a summary")
            elif exp == "joined":
                seqs = {r["seq"] for r in reqs}
                for r in resps:
                    if r.get("request_seq") not in seqs:
                        fail(f"joined: response {r['seq']} names request {r.get('request_seq')}")
            elif exp.startswith(("req:", "resp:")):
                kind, idx, rest = exp.split(":", 2)
                pool = reqs if kind == "req" else resps
                targets = pool if idx == "*" else [pool[int(idx)]]
                if not targets:
                    fail(f"{exp}: no events")
                for ev in targets:
                    if "~" in rest and "=" not in rest:
                        field, name = rest.split("~", 1)
                        if name not in dig(ev, field):
                            fail(f"{exp}: {dig(ev, field)}")
                    else:
                        field, want = rest.split("=", 1)
                        got = dig(ev, field)
                        if got != parse_value(want):
                            fail(f"{exp}: got {got!r}")
            elif exp.startswith("fp:"):
                _, idx, value = exp.split(":", 2)
                got = reqs[int(idx)]["credentials"][0]["fingerprint"]
                if got != fingerprint(value):
                    fail(f"{label}: got {got}, expected {fingerprint(value)}")
            elif exp.startswith(("finding:", "nofinding:")):
                kind, idx, rule = exp.split(":", 2)
                rules = [f["rule"] for f in reqs[int(idx)]["findings"]]
                if (rule in rules) != (kind == "finding"):
                    fail(f"{exp}: findings are {rules}")
            else:
                fail(f"unknown expectation {exp}")
        except (IndexError, KeyError, ValueError) as e:
            fail(f"{label}: {type(e).__name__}: {e}")
    for f in failures:
        print(f"  check: {f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
