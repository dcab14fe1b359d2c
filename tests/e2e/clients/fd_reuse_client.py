#!/usr/bin/env python3
"""One fd, first a TLS connection, then a cleartext one put in its place by
dup2(2) (no close(2) of the TLS socket: the kernel closes it inside dup2).
authtrace remembers sockets whose stream starts with a TLS record and skips
their cleartext path; the socket now behind the fd is another one, and its
cleartext request must be reported.
usage: fd_reuse_client.py CERT TLS_PORT PLAIN_PORT"""
import os
import socket
import ssl
import sys

cert, tls_port, plain_port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
key = os.environ["API_KEY"]


def request(path, with_key):
    head = "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nanthropic-version: 2023-06-01\r\n" % path
    if with_key:
        head += "x-api-key: %s\r\n" % key
    return (head + "\r\n").encode()


def read_response(read):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = read(4096)
        if not chunk:
            break
        data += chunk
    return data


ctx = ssl.create_default_context(cafile=cert)
tls = ctx.wrap_socket(socket.create_connection(("127.0.0.1", tls_port)), server_hostname="localhost")
for _ in range(2):   # TLS records both ways: the socket is known as TLS now
    tls.sendall(request("/v1/models", False))
    read_response(tls.recv)
fd = tls.fileno()

plain = socket.create_connection(("127.0.0.1", plain_port))
os.dup2(plain.fileno(), fd)
os.write(fd, request("/v1/models?after=dup2", True))
read_response(lambda n: os.read(fd, n))
os._exit(0)   # no close(2) of either, no TLS close_notify on the cleartext socket
