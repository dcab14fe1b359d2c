#!/usr/bin/env python3
"""Requests in a loop on ONE keep-alive connection (http.client over TLS).
usage: keepalive_loop.py CAFILE PORT COUNT DELAY [alternate|none]
With 'alternate', every second request carries no credential; with 'none', none does.
The key comes from $API_KEY."""
import http.client
import os
import ssl
import sys
import time

cafile, port, count, delay = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
mode = sys.argv[5] if len(sys.argv) > 5 else ""
conn = http.client.HTTPSConnection("localhost", port,
                                   context=ssl.create_default_context(cafile=cafile))
for i in range(count):
    headers = {"anthropic-version": "2023-06-01", "content-type": "application/json"}
    if mode != "none" and not (mode == "alternate" and i % 2):
        headers["x-api-key"] = os.environ["API_KEY"]
    conn.request("POST", "/v1/messages", body=b'{"i":%d}' % i, headers=headers)
    conn.getresponse().read()
    time.sleep(delay)
