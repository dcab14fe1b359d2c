#!/usr/bin/env python3
"""Cleartext HTTP/1.1 with http.client (sendall -> sendto): two requests on
one keep-alive connection, the first with $API_KEY, the second without.
usage: plain_client.py PORT"""
import http.client
import os
import sys

conn = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
conn.request("POST", "/v1/messages", body=b'{"model":"m"}',
             headers={"x-api-key": os.environ["API_KEY"], "anthropic-version": "2023-06-01"})
conn.getresponse().read()
conn.request("GET", "/v1/models", headers={"anthropic-version": "2023-06-01"})
conn.getresponse().read()
