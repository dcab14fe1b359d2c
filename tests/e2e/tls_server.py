#!/usr/bin/env python3
"""Local HTTPS (or plain HTTP) server for authtrace's end-to-end tests.

Answers every request on 127.0.0.1 with HTTP/1.1 keep-alive: 401 with an
Anthropic-style error body when the request carries no credential header,
200 with a small JSON body otherwise.  It records nothing.

usage: tls_server.py --port-file FILE [--cert CERT --key KEY] [--plain]
"""
import argparse
import http.server
import json
import socketserver
import ssl
import sys

CRED_HEADERS = ("authorization", "x-api-key", "api-key", "x-goog-api-key")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet: tests read authtrace, not us
        pass

    def _answer(self):
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        has_cred = any(self.headers.get(h) for h in CRED_HEADERS)
        if has_cred:
            status, body = 200, {"type": "message", "content": []}
        else:
            status, body = 401, {"type": "error", "error": {
                "type": "authentication_error", "message": "x-api-key header is required"}}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_HEAD = _answer


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--plain", action="store_true")
    args = ap.parse_args()
    srv = Server(("127.0.0.1", 0), Handler)
    if not args.plain:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
        ctx.set_alpn_protocols(["http/1.1"])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(args.port_file, "w") as f:
        f.write(str(srv.server_address[1]))
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
