// node's http2 client: COUNT requests on one session (later ones use the
// HPACK dynamic table), the last one without a credential.
// usage: node h2_client.js PORT COUNT; the token comes from $OAUTH_TOKEN2.
'use strict';
const http2 = require('http2');

const [port, count] = [process.argv[2], Number(process.argv[3] || 3)];
const session = http2.connect(`https://localhost:${port}`);

function request(i) {
  return new Promise((resolve, reject) => {
    const headers = {
      ':method': 'POST', ':path': '/v1/messages?beta=true',
      'anthropic-version': '2023-06-01', 'anthropic-beta': 'oauth-2025-04-20',
      'content-type': 'application/json',
    };
    if (i < count - 1) headers.authorization = 'Bearer ' + process.env.OAUTH_TOKEN2;
    const req = session.request(headers);
    req.on('response', () => {});
    req.resume();
    req.on('end', resolve);
    req.on('error', reject);
    req.end(JSON.stringify({ model: 'm', max_tokens: 1, i }));
  });
}

(async () => {
  for (let i = 0; i < count; i++) await request(i);
  session.close();
})().catch((e) => { console.error(e.message); process.exit(1); });
