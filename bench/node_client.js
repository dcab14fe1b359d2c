// bench: a node https keep-alive loop (node's OpenSSL is inside its
// executable: SSL_write/SSL_read of /usr/bin/node itself).
// usage: node node_client.js PORT            (batch mode)
//        node node_client.js PORT every MS   (continuous mode)
// One keep-alive connection; prints "ready" after a first request.  Batch
// mode: for each line N on stdin, makes N small requests, one at a time,
// and prints "WALL CPU": the seconds they took and the CPU seconds the
// process used meanwhile (process.cpuUsage, user + system); "q" ends.
// Continuous mode: a request every MS ms until killed, each with its send
// time (process.hrtime, i.e. CLOCK_MONOTONIC, in ns) in the path:
// /v1/messages?t=NS.
'use strict';
const https = require('https');
const readline = require('readline');

const port = Number(process.argv[2]);
const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
const KEY = 'sk-ant-api03-BenchNode' + '0'.repeat(84) + 'AA';
const body = JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 1, messages: [] });

function one(path = '/v1/messages') {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1', port, path, method: 'POST', agent,
      rejectUnauthorized: false,
      headers: { 'x-api-key': KEY, 'anthropic-version': '2023-06-01',
                 'content-type': 'application/json', 'content-length': body.length },
    }, (res) => { res.resume(); res.on('end', resolve); });
    req.on('error', reject);
    req.end(body);
  });
}

(async () => {
  await one();
  console.log('ready');
  if (process.argv[3] === 'every') {
    const ms = Number(process.argv[4] || 5);
    for (;;) {
      await one('/v1/messages?t=' + process.hrtime.bigint());
      await new Promise((r) => setTimeout(r, ms));
    }
  }
  const rl = readline.createInterface({ input: process.stdin });
  for await (const line of rl) {
    if (line.trim() === 'q') break;
    const n = Number(line);
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) await one();
    const c = process.cpuUsage(c0);
    console.log((Number(process.hrtime.bigint() - t0) / 1e9).toFixed(6) + ' ' +
                ((c.user + c.system) / 1e6).toFixed(6));
  }
  agent.destroy();
  process.exit(0);
})().catch((e) => { console.error(e.message); process.exit(1); });
