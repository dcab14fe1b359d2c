#!/usr/bin/env python3
"""urllib client (python's ssl module writes with SSL_write_ex).
usage: urllib_client.py CAFILE PORT; secrets from $OAUTH_TOKEN and $API_KEY."""
import os
import ssl
import sys
import urllib.request

ctx = ssl.create_default_context(cafile=sys.argv[1])
base = f"https://localhost:{sys.argv[2]}"
req = urllib.request.Request(
    base + "/v1/messages", data=b'{"model":"m","max_tokens":1}', method="POST",
    headers={"Authorization": "Bearer " + os.environ["OAUTH_TOKEN"],
             "anthropic-version": "2023-06-01",
             "anthropic-beta": "oauth-2025-04-20",
             "content-type": "application/json"})
urllib.request.urlopen(req, context=ctx).read()
req = urllib.request.Request(base + "/v1/models", headers={"x-api-key": os.environ["API_KEY"],
                                                           "anthropic-version": "2023-06-01"})
urllib.request.urlopen(req, context=ctx).read()
