// HTTP/2 (and HTTP/1.1 fallback) TLS server for the end-to-end tests:
// 401 with an Anthropic-style error without a credential header, else 200.
// usage: node h2_server.js CERT KEY PORT_FILE
'use strict';
const fs = require('fs');
const http2 = require('http2');

const [cert, key, portFile] = process.argv.slice(2);
const server = http2.createSecureServer({
  cert: fs.readFileSync(cert), key: fs.readFileSync(key), allowHTTP1: true,
});
server.on('request', (req, res) => {
  req.resume();
  req.on('end', () => {
    const has = ['authorization', 'x-api-key', 'api-key'].some((h) => req.headers[h]);
    const body = has ? { type: 'message', content: [] }
      : { type: 'error', error: { type: 'authentication_error', message: 'x-api-key header is required' } };
    res.writeHead(has ? 200 : 401, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
});
server.listen(0, '127.0.0.1', () => fs.writeFileSync(portFile, String(server.address().port)));
