#!/usr/bin/env python3
"""Hostile request streams over TLS for the hardening tests.  Each
sock.send() on an ssl socket is one SSL_write_ex, so the write boundaries
are exactly the ones a case asks for.  The key comes from $API_KEY.

usage: hostile_client.py CAFILE PORT CASE
cases: one-byte-writes, huge-header, many-headers, garbage, torn, split-name, concurrent,
       churn
"""
import os
import socket
import ssl
import sys
import threading

cafile, port, case = sys.argv[1], int(sys.argv[2]), sys.argv[3]
KEY = os.environ["API_KEY"]
CTX = ssl.create_default_context(cafile=cafile)


def connect():
    raw = socket.create_connection(("localhost", port))
    return CTX.wrap_socket(raw, server_hostname="localhost")


def head(extra=b""):
    return (b"POST /v1/messages HTTP/1.1\r\nHost: localhost:%d\r\n" % port + extra +
            b"anthropic-version: 2023-06-01\r\nx-api-key: " + KEY.encode() +
            b"\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}")


def read_response(s):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            return
        data += chunk


def send_all(s, data, step):
    for i in range(0, len(data), step):
        s.send(data[i:i + step])


def main():
    s = connect()
    if case == "one-byte-writes":
        send_all(s, head(), 1)
        read_response(s)
    elif case == "huge-header":
        send_all(s, head(b"x-padding: " + b"p" * (60 * 1024) + b"\r\n"), 1 << 20)
        read_response(s)
    elif case == "many-headers":
        extra = b"".join(b"x-h%d: v\r\n" % i for i in range(2000))
        send_all(s, head(extra), 1 << 20)
        read_response(s)
    elif case == "garbage":
        try:  # the server answers 400 and hangs up part way: fine
            send_all(s, bytes((i * 7919 + 13) % 256 for i in range(64 * 1024)), 4096)
        except OSError:
            pass
    elif case == "torn":
        h = head()
        s.send(h[: len(h) // 2])
        s.close()
        return
    elif case == "split-name":
        h = head()
        cut = h.index(b"x-api-key") + 4          # "x-ap" | "i-key: ..."
        s.send(h[:cut])
        s.send(h[cut:])
        read_response(s)
    elif case == "concurrent":
        s.close()
        def one():
            c = connect()
            c.send(head())
            read_response(c)
            c.close()
        threads = [threading.Thread(target=one) for _ in range(50)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return
    elif case == "churn":
        # one request per connection, one connection after the other: the
        # library hands each new SSL object the address the last one freed
        s.close()
        for _ in range(100):
            c = connect()
            c.send(head())
            read_response(c)
            c.close()
        return
    s.close()


main()
