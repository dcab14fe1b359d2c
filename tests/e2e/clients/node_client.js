// node https (keep-alive agent) and fetch; node's OpenSSL is inside its executable.
// usage: node node_client.js PORT COUNT [DELAY_MS]; secrets from $OAUTH_TOKEN2, $API_KEY.
'use strict';
const https = require('https');

const port = Number(process.argv[2]);
const count = Number(process.argv[3] || 3);
const delay = Number(process.argv[4] || 0);
const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });

function post(i) {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: 'localhost', port, path: '/v1/messages?beta=true', method: 'POST', agent,
      headers: {
        authorization: 'Bearer ' + process.env.OAUTH_TOKEN2,
        'anthropic-version': '2023-06-01',
        'anthropic-beta': 'oauth-2025-04-20',
        'content-type': 'application/json',
      },
    }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); });
    req.on('error', reject);
    req.end(JSON.stringify({ model: 'm', max_tokens: 1, i }));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

(async () => {
  for (let i = 0; i < count; i++) {
    await post(i);
    if (delay) await sleep(delay);
  }
  agent.destroy();
  const res = await fetch(`https://localhost:${port}/v1/models`, {
    headers: { 'x-api-key': process.env.API_KEY, 'anthropic-version': '2023-06-01' },
  });
  await res.text();
})().catch((e) => { console.error(e.message); process.exit(1); });
