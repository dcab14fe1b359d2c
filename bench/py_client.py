#!/usr/bin/env python3
"""bench: a python http.client loop over TLS (OpenSSL SSL_write_ex/SSL_read_ex).

usage: py_client.py PORT CAFILE
One keep-alive connection to 127.0.0.1:PORT; prints "ready" after a first
request.  Then, for each line N on stdin: makes N small requests, one at a
time, and prints "WALL CPU": the seconds they took (time.perf_counter) and
the CPU seconds this process used meanwhile, user + system (time.process_time:
a uprobe's trap and its BPF program run in the process, as system time).
"q" ends.
"""
import http.client
import ssl
import sys
import time

KEY = "sk-ant-api03-" + "BenchPy" + "0" * 86 + "AA"


def main():
    port, cafile = int(sys.argv[1]), sys.argv[2]
    ctx = ssl.create_default_context(cafile=cafile)
    conn = http.client.HTTPSConnection("localhost", port, context=ctx)
    headers = {"x-api-key": KEY, "anthropic-version": "2023-06-01",
               "content-type": "application/json"}
    body = b'{"model":"claude-sonnet-4-6","max_tokens":1,"messages":[]}'

    def one():
        conn.request("POST", "/v1/messages", body=body, headers=headers)
        conn.getresponse().read()

    one()
    print("ready", flush=True)
    for line in sys.stdin:
        line = line.strip()
        if line == "q":
            break
        n = int(line)
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(n):
            one()
        print("%.6f %.6f" % (time.perf_counter() - t0, time.process_time() - c0), flush=True)


if __name__ == "__main__":
    main()
