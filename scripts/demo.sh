#!/bin/sh
# The built-in demo: install what is missing, build, then run real clients
# (curl, python3, node) under authtrace against a local TLS server, making
# the auth mistakes authtrace exists to catch.  All keys are fake.
#   scripts/demo.sh   (as root)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
./scripts/install-deps.sh
make -s

work=$(mktemp -d /tmp/authtrace-demo.XXXXXX)
trap 'kill $server 2>/dev/null; kill $plain 2>/dev/null; rm -rf "$work"' EXIT
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" -days 1 \
	-subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" >/dev/null 2>&1
python3 tests/e2e/tls_server.py --port-file "$work/port" --cert "$work/cert.pem" --key "$work/key.pem" &
server=$!
python3 tests/e2e/tls_server.py --port-file "$work/plain" --plain &
plain=$!
while [ ! -s "$work/port" ] || [ ! -s "$work/plain" ]; do sleep 0.1; done
port=$(cat "$work/port") plainport=$(cat "$work/plain")

rep() { printf "%${2}s" | tr ' ' "$1"; }
export DEMO_API_KEY="sk-ant-api03-demo$(rep D 85)AA"
export DEMO_OAUTH="sk-ant-oat01-demo$(rep O 60)"
export SSL_CERT_FILE="$work/cert.pem" NODE_EXTRA_CA_CERTS="$work/cert.pem"
export PORT=$port PLAIN_PORT=$plainport

cat <<TXT
== authtrace demo ==
A local TLS server on 127.0.0.1:$port answers like an LLM API (401 without a
credential).  Four real clients run under authtrace; every key is fake.
  1. curl:    a correct API-key request (x-api-key)
  2. python3: an OAuth token sent as x-api-key (a gateway bug, seed 002)
  3. node:    a Bedrock invoke with no Authorization header (seed 000)
  4. curl:    placeholder credentials in two headers to a plain-HTTP proxy (seed 001)

\$ sudo build/authtrace -- sh -c '<the four clients>'
TXT
set +e
build/authtrace -- sh -c '
curl -sS --http1.1 --cacert "$SSL_CERT_FILE" https://localhost:$PORT/v1/messages \
  -H "x-api-key: $DEMO_API_KEY" -H "anthropic-version: 2023-06-01" -d "{}" -o /dev/null
python3 -c "
import os, urllib.request, urllib.error
r = urllib.request.Request(\"https://localhost:$PORT/v1/messages?beta=true\", data=b\"{}\",
    headers={\"x-api-key\": os.environ[\"DEMO_OAUTH\"], \"anthropic-version\": \"2023-06-01\"})
try: urllib.request.urlopen(r)
except urllib.error.HTTPError: pass
"
node -e "
fetch(\"https://localhost:$PORT/model/claude-sonnet-4-6/invoke-with-response-stream\",
  {method: \"POST\", headers: {host: \"bedrock-runtime.us-east-1.amazonaws.com\"}, body: \"{}\"})
  .then(r => r.text()).catch(e => console.error(e.message))
"
curl -sS http://127.0.0.1:$PLAIN_PORT/v1/messages -H "x-api-key: sk-ant-placeholder-key-for-credential-isolation" \
  -H "Authorization: Bearer placeholder-token-for-credential-isolation" -d "{}" -o /dev/null
'
status=$?
echo
echo "authtrace exit status: $status (3 = findings at or above --fail-on, the default with a command)"
