# End-to-end cases, sourced by run.sh.  Each case is a function that exits
# 0 (pass), 77 (skip; last line says why) or anything else (fail).  Clients
# take their secrets from the environment so that no file in the work
# directory legitimately contains one.
# shellcheck shell=bash

export API_KEY OAUTH_TOKEN OAUTH_TOKEN2 BEDROCK_KEY SIGV4_KEY_ID SIGV4_SIGNATURE
CLIENTS="$E2E/clients"

all_tests() {
	echo curl-http1-command python-urllib-command node-https-fetch-command \
		grandchild-sh-curl pid-attach-keepalive node-pid-attach response-401-joined \
		text-view-and-output-file exit-status-ci cleartext-proxy-seed001 peer-address \
		tls-fd-reused-for-cleartext \
		hostile-one-byte-writes hostile-huge-header hostile-many-headers hostile-garbage \
		hostile-torn hostile-split-name hostile-concurrent hostile-churn foreign-hints exec-in-place \
		many-children traced-buckets-balance \
		stdout-closed output-disk-full two-at-once all-mode all-filters all-rate-limit \
		rotate-and-sighup h2-curl h2-node deleted-library sigv4-secrets seed000-seed004 \
		claude-code-native no-process-left-stopped bad-input
}

register_tests() {
	run_test curl-http1-command t_curl_http1
	run_test python-urllib-command t_python_urllib
	run_test node-https-fetch-command t_node
	run_test grandchild-sh-curl t_grandchild
	run_test pid-attach-keepalive t_pid_attach
	run_test node-pid-attach t_node_pid_attach
	run_test response-401-joined t_response_401
	run_test text-view-and-output-file t_text_and_file
	run_test exit-status-ci t_exit_status
	run_test cleartext-proxy-seed001 t_cleartext
	run_test peer-address t_peer
	run_test tls-fd-reused-for-cleartext t_fd_reuse
	for c in one-byte-writes huge-header many-headers garbage torn split-name concurrent churn; do
		run_test "hostile-$c" "t_hostile_${c//-/_}"
	done
	run_test foreign-hints t_foreign_hints
	run_test exec-in-place t_exec_in_place
	run_test many-children t_many_children
	run_test traced-buckets-balance t_traced_buckets
	run_test stdout-closed t_stdout_closed
	run_test output-disk-full t_disk_full
	run_test two-at-once t_two_at_once
	run_test all-mode t_all_mode
	run_test all-filters t_all_filters
	run_test all-rate-limit t_all_rate_limit
	run_test rotate-and-sighup t_rotate
	run_test h2-curl t_h2_curl
	run_test h2-node t_h2_node
	run_test deleted-library t_deleted_library
	run_test sigv4-secrets t_sigv4_secrets
	run_test seed000-seed004 t_seeds
	run_test claude-code-native t_claude_code
	run_test no-process-left-stopped t_none_stopped
	run_test bad-input t_bad_input
}

t_curl_http1() {
	at_json "$T/out.json" -- curl -sS --http1.1 --cacert "$WORK/cert.pem" \
		"https://localhost:$PORT/v1/messages?beta=true" \
		-H "x-api-key: $API_KEY" -H "anthropic-version: 2023-06-01" \
		-H "content-type: application/json" -d '{"model":"m","max_tokens":1}' -o /dev/null
	expect_status 0 $? "authtrace -- curl" || return 1
	$CHECK "$T/out.json" requests=1 summary 'req:0:comm="curl"' 'req:0:source="SSL_write"' \
		'req:0:method="POST"' 'req:0:path="/v1/messages?beta=true"' \
		"req:0:authority=\"localhost:$PORT\"" 'req:0:api="anthropic"' 'req:0:tls=true' \
		'req:0:protocol="http/1.1"' 'req:0:credentials.0.header="x-api-key"' \
		'req:0:credentials.0.kind="anthropic-api-key"' "fp:0:$API_KEY" \
		"req:0:credentials.0.length=${#API_KEY}" 'req:0:headers~anthropic-version' \
		'req:0:headers.0="host"' 'req:0:has_authorization=false' responses=1 joined \
		'resp:0:status=200'
}

t_python_urllib() {
	at_json "$T/out.json" -- python3 "$CLIENTS/urllib_client.py" "$WORK/cert.pem" "$PORT"
	expect_status 0 $? "authtrace -- python3" || return 1
	$CHECK "$T/out.json" requests=2 'req:*:comm="python3"' 'req:*:source="SSL_write_ex"' \
		'req:0:credentials.0.header="authorization"' 'req:0:credentials.0.scheme="Bearer"' \
		'req:0:credentials.0.kind="anthropic-oauth-token"' "fp:0:$OAUTH_TOKEN" \
		'req:0:has_authorization=true' 'req:1:method="GET"' 'req:1:path="/v1/models"' \
		'req:1:credentials.0.kind="anthropic-api-key"' "fp:1:$API_KEY"
}

t_node() {
	command -v node >/dev/null || { echo "node is not installed"; return 77; }
	NODE_EXTRA_CA_CERTS="$WORK/cert.pem" at_json "$T/out.json" -- node "$CLIENTS/node_client.js" "$PORT" 3
	expect_status 0 $? "authtrace -- node" || return 1
	# 3 https requests on one keep-alive connection + 1 fetch; node retries
	# SSL_write during the handshake: retries must not show as requests
	$CHECK "$T/out.json" requests=4 'req:*:comm="node"' 'req:*:source="SSL_write"' \
		'req:0:conn="c1"' 'req:2:conn="c1"' 'req:0:credentials.0.kind="anthropic-oauth-token"' \
		"fp:0:$OAUTH_TOKEN2" 'req:0:credentials.0.header="authorization"' \
		'req:3:path="/v1/models"' 'req:3:credentials.0.header="x-api-key"' \
		'req:3:credentials.0.kind="anthropic-api-key"' "fp:3:$API_KEY" responses=4 joined
}

t_grandchild() {
	at_json "$T/out.json" -- sh -c "sleep 0.05; curl -sS --http1.1 --cacert '$WORK/cert.pem' \
		https://localhost:$PORT/model/claude-sonnet-4-6/invoke -H \"Authorization: Bearer \$BEDROCK_KEY\" \
		-d '{}' -o /dev/null"
	expect_status 0 $? "authtrace -- sh -c curl" || return 1
	$CHECK "$T/out.json" requests=1 'req:0:comm="curl"' 'req:0:api="bedrock"' \
		'req:0:credentials.0.kind="bedrock-api-key"' "fp:0:$BEDROCK_KEY"
}

t_pid_attach() {
	python3 "$CLIENTS/keepalive_loop.py" "$WORK/cert.pem" "$PORT" 12 0.25 &
	local lp=$!
	sleep 1
	at_json "$T/out.json" -p "$lp"
	local rc=$?
	wait "$lp"
	expect_status 0 $rc "authtrace -p" || return 1
	# attached after the first requests: the rest of the loop, one connection
	python3 - "$T/out.json" <<'PY' || return 1
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
reqs = [e for e in ev if e["type"] == "request"]
assert 4 <= len(reqs) <= 11, f"{len(reqs)} requests"
assert len({r["conn"] for r in reqs}) == 1, "more than one connection"
assert all(r["credentials"][0]["kind"] == "anthropic-api-key" for r in reqs)
assert ev[-1]["type"] == "summary"
PY
}

t_node_pid_attach() {
	command -v node >/dev/null || { echo "node is not installed"; return 77; }
	NODE_EXTRA_CA_CERTS="$WORK/cert.pem" node "$CLIENTS/node_client.js" "$PORT" 10 300 &
	local np=$!
	sleep 1.2
	at_json "$T/out.json" -p "$np"
	local rc=$?
	wait "$np"
	expect_status 0 $rc "authtrace -p node" || return 1
	python3 - "$T/out.json" <<'PY' || return 1
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
reqs = [e for e in ev if e["type"] == "request"]
assert len(reqs) >= 3, f"{len(reqs)} requests"
assert all(r["comm"] == "node" for r in reqs)
PY
}

t_response_401() {
	at_json "$T/out.json" --fail-on never -- python3 "$CLIENTS/keepalive_loop.py" "$WORK/cert.pem" "$PORT" 4 0 alternate
	expect_status 0 $? "authtrace -- python3 loop" || return 1
	# requests alternate: with a key (200), without (401 + error text)
	$CHECK "$T/out.json" requests=4 responses=4 joined 'resp:0:status=200' 'resp:1:status=401' \
		'resp:1:error="x-api-key header is required"' 'resp:2:status=200' 'resp:3:status=401' \
		'req:1:credentials=[]'
}

t_text_and_file() {
	timeout 30 "$AT" -o "$T/events.txt" -- curl -sS --http1.1 --cacert "$WORK/cert.pem" \
		"https://localhost:$PORT/v1/messages" -H "x-api-key: $API_KEY" -d '{}' -o /dev/null \
		>"$T/stdout" 2>"$T/stderr"
	expect_status 0 $? "authtrace -o" || return 1
	[ "$(stat -c %a "$T/events.txt")" = 600 ] || { echo "-o file mode is $(stat -c %a "$T/events.txt")"; return 1; }
	[ ! -s "$T/stdout" ] || { echo "stdout not empty with -o"; return 1; }
	grep -q "curl\[[0-9]*\] POST localhost:$PORT/v1/messages" "$T/events.txt" || { cat "$T/events.txt"; return 1; }
	grep -q 'x-api-key=anthropic-api-key(#' "$T/events.txt" || { echo "no credential in text view"; return 1; }
	grep -q '→ 200' "$T/events.txt" || { echo "no response in text view"; return 1; }
	grep -q 'authtrace summary' "$T/events.txt" || { echo "no summary"; return 1; }
	! grep -q $'\033' "$T/events.txt" || { echo "colour codes in a file"; return 1; }
}

# CI triage: findings at or above --fail-on (default: error with a command) exit 3
t_exit_status() {
	at_json "$T/none.json" -- curl -sS --cacert "$WORK/cert.pem" "https://localhost:$PORT/v1/messages" \
		-d '{}' -o /dev/null
	expect_status 3 $? "request without credentials" || return 1
	$CHECK "$T/none.json" requests=1 'finding:0:no-credentials' || return 1
	at_json "$T/ok.json" -- curl -sS --cacert "$WORK/cert.pem" "https://localhost:$PORT/v1/messages" \
		-H "x-api-key: $API_KEY" -H "anthropic-version: 2023-06-01" -d '{}' -o /dev/null
	expect_status 0 $? "correct request" || return 1
	$CHECK "$T/ok.json" requests=1 'req:0:findings=[]' || return 1
	at_json "$T/never.json" --fail-on never -- curl -sS --cacert "$WORK/cert.pem" \
		"https://localhost:$PORT/v1/messages" -d '{}' -o /dev/null
	expect_status 0 $? "--fail-on never" || return 1
	# OAuth token in x-api-key (seed 002) is an error
	at_json "$T/oauth.json" -- curl -sS --cacert "$WORK/cert.pem" "https://localhost:$PORT/v1/messages" \
		-H "x-api-key: $OAUTH_TOKEN" -H "anthropic-version: 2023-06-01" -d '{}' -o /dev/null
	expect_status 3 $? "OAuth token in x-api-key" || return 1
	$CHECK "$T/oauth.json" 'finding:0:oauth-token-in-x-api-key'
}

# Seed 001: an agent sends placeholders in two headers to a plain-HTTP
# credential-isolation proxy; curl, python http.client and node http over
# cleartext sockets are reported like TLS requests, with tls=false.
t_cleartext() {
	at_json "$T/out.json" --fail-on never -- sh -c "
	curl -sS http://127.0.0.1:$PLAIN_PORT/v1/messages -H 'x-api-key: sk-ant-placeholder-key-for-credential-isolation' \
		-H 'Authorization: Bearer placeholder-token-for-credential-isolation' \
		-H 'anthropic-version: 2023-06-01' -d '{}' -o /dev/null
	python3 '$CLIENTS/plain_client.py' $PLAIN_PORT
	node -e \"require('http').get({host: '127.0.0.1', port: $PLAIN_PORT, path: '/v1/models',
		headers: {'x-api-key': process.env.API_KEY, 'anthropic-version': '2023-06-01'}}, (r) => r.resume())\""
	expect_status 0 $? "authtrace -- cleartext clients" || return 1
	$CHECK "$T/out.json" requests=4 responses=4 joined 'req:*:tls=false' \
		"req:*:peer=\"127.0.0.1:$PLAIN_PORT\"" \
		'req:0:comm="curl"' 'req:0:source="sendto"' 'req:0:credentials.0.kind="placeholder"' \
		'req:0:credentials.1.kind="placeholder"' 'finding:0:both-auth-headers' \
		'finding:0:placeholder-credential' 'nofinding:0:cleartext-credential' \
		'req:1:comm="python3"' 'req:1:credentials.0.kind="anthropic-api-key"' "fp:1:$API_KEY" \
		'finding:1:cleartext-credential' 'req:2:method="GET"' \
		'req:3:comm="node"' 'req:3:credentials.0.kind="anthropic-api-key"' "fp:3:$API_KEY" \
		'resp:0:status=200'
}

# A socket known as TLS (its stream began with a record) is skipped by the
# cleartext path; another socket dup2'd onto its fd is not, and is reported.
t_fd_reuse() {
	at_json "$T/out.json" --fail-on never -- \
		python3 "$CLIENTS/fd_reuse_client.py" "$WORK/cert.pem" "$PORT" "$PLAIN_PORT"
	expect_status 0 $? "authtrace -- fd_reuse_client" || return 1
	$CHECK "$T/out.json" requests=3 'req:0:tls=true' 'req:1:tls=true' 'req:2:tls=false' \
		'req:2:path="/v1/models?after=dup2"' 'req:2:credentials.0.kind="anthropic-api-key"' \
		"fp:2:$API_KEY"
}

# The server's address for socket-BIO TLS clients (learned from the handshake's socket).
t_peer() {
	at_json "$T/out.json" -- sh -c "
	curl -sS --http1.1 --cacert '$WORK/cert.pem' https://127.0.0.1:$PORT/v1/models -H \"x-api-key: \$API_KEY\" \
		-H 'anthropic-version: 2023-06-01' -o /dev/null
	python3 '$CLIENTS/urllib_client.py' '$WORK/cert.pem' $PORT"
	expect_status 0 $? "authtrace -- curl; python3" || return 1
	$CHECK "$T/out.json" requests=3 "req:*:peer=\"127.0.0.1:$PORT\"" 'req:0:comm="curl"' \
		'req:1:comm="python3"'
}

# --- hostile traffic: valid requests reported right, garbage never a request ---
hostile() {
	at_json "$T/out.json" --fail-on never -- python3 "$CLIENTS/hostile_client.py" "$WORK/cert.pem" "$PORT" "$1"
	expect_status 0 $? "authtrace -- hostile $1"
}

t_hostile_one_byte_writes() {
	hostile one-byte-writes || return 1
	$CHECK "$T/out.json" requests=1 'req:0:credentials.0.kind="anthropic-api-key"' "fp:0:$API_KEY" \
		'req:0:path="/v1/messages"' 'req:0:findings=[]' responses=1
}

t_hostile_huge_header() {
	hostile huge-header || return 1
	$CHECK "$T/out.json" requests=1 'req:0:headers~x-padding' \
		'req:0:credentials.0.kind="anthropic-api-key"' "fp:0:$API_KEY"
}

t_hostile_many_headers() {
	hostile many-headers || return 1
	# 2000 names overflow the record's name list (counted); the credential after them is still seen
	$CHECK "$T/out.json" requests=1 'req:0:credentials.0.kind="anthropic-api-key"' "fp:0:$API_KEY" || return 1
	python3 -c "import json,sys; r=[json.loads(l) for l in open(sys.argv[1])][0]; assert r.get('headers_dropped',0) > 0, r.get('headers_dropped')" "$T/out.json"
}

t_hostile_garbage() {
	hostile garbage || return 1
	$CHECK "$T/out.json" requests=0 summary
}

t_hostile_torn() {
	hostile torn || return 1
	# half a head then the connection closes: never a complete-looking request
	python3 - "$T/out.json" <<'PY'
import json, sys
reqs = [e for e in map(json.loads, open(sys.argv[1])) if e["type"] == "request"]
assert all(r.get("incomplete") for r in reqs), reqs
PY
}

t_hostile_split_name() {
	hostile split-name || return 1
	$CHECK "$T/out.json" requests=1 'req:0:credentials.0.header="x-api-key"' "fp:0:$API_KEY"
}

t_hostile_concurrent() {
	hostile concurrent || return 1
	$CHECK "$T/out.json" requests=50 responses=50 joined 'req:*:credentials.0.kind="anthropic-api-key"' || return 1
	python3 -c "import json,sys; ev=[json.loads(l) for l in open(sys.argv[1])]; assert len({e['conn'] for e in ev if e['type']=='request'})==50" "$T/out.json"
}

# 100 connections in a row, each handed the SSL* the last one freed, each
# request as long as the last: every response is still captured and joined
# (a late "response done" hint for one connection must not skip the next's)
t_hostile_churn() {
	hostile churn || return 1
	$CHECK "$T/out.json" requests=100 responses=100 joined
}

# The kernel side obeys a skip hint only when its check matches its key: an
# LRU map node is recycled the moment the collector replaces it, and a reader
# holding it then sees another connection's offsets.  Here every connection
# is handed such a foreign hint, far ahead, in both directions, mid-loop;
# every later request and response must still be copied.
t_foreign_hints() {
	command -v bpftool >/dev/null || { echo "bpftool is not installed"; return 77; }
	at_json "$T/out.json" -- python3 "$CLIENTS/keepalive_loop.py" "$WORK/cert.pem" "$PORT" 12 0.3 &
	local at=$! n=0
	for _ in $(seq 100); do
		[ "$(grep -c '"type":"response"' "$T/out.json" 2>/dev/null)" -ge 2 ] && break
		sleep 0.1
	done
	n=$(python3 "$E2E/foreign_hints.py") || { kill "$at"; return 1; }
	wait "$at"
	expect_status 0 $? "authtrace -- keepalive_loop" || return 1
	[ "$n" -ge 2 ] || { echo "wrote $n foreign hints, expected both directions of the connection"; return 1; }
	$CHECK "$T/out.json" requests=12 responses=12 joined
}

# --- failure modes ----------------------------------------------------------

# a traced process that execs another binary in place (same pid) keeps being traced
t_exec_in_place() {
	at_json "$T/out.json" -- python3 -c "import os; os.execvp('curl', ['curl', '-sS', '--http1.1',
		'--cacert', '$WORK/cert.pem', 'https://localhost:$PORT/v1/models', '-H', 'x-api-key: ' + os.environ['API_KEY'],
		'-H', 'anthropic-version: 2023-06-01', '-o', '/dev/null'])"
	expect_status 0 $? "authtrace -- python3 exec curl" || return 1
	$CHECK "$T/out.json" requests=1 'req:0:comm="curl"' "fp:0:$API_KEY"
}

# 1,000 short-lived children: followed, none left stopped, the run ends
t_many_children() {
	local start end
	start=$(date +%s)
	at_json "$T/out.json" -- sh -c 'i=0; while [ $i -lt 1000 ]; do /bin/true; i=$((i+1)); done;
		curl -sS --http1.1 --cacert "$0" "https://localhost:$1/v1/models" -H "x-api-key: $API_KEY" \
		-H "anthropic-version: 2023-06-01" -o /dev/null' "$WORK/cert.pem" "$PORT"
	expect_status 0 $? "authtrace -- 1000 children" || return 1
	end=$(date +%s)
	echo "1000 children in $((end - start)) s"
	$CHECK "$T/out.json" requests=1 'req:0:comm="curl"' summary
}

# Every traced process counts in its tgid's bucket (bpf: traced_buckets, which lets the
# syscall tracepoints pass untraced processes with one load), and its exit counts it out:
# after 300 followed children came and went, the buckets hold the parent alone.
t_traced_buckets() {
	command -v bpftool >/dev/null || { echo "bpftool is not installed"; return 77; }
	python3 - "$T/go" "$T/done" <<'PY' &
import os, sys, time
go, done = sys.argv[1], sys.argv[2]
while not os.path.exists(go):
    time.sleep(0.05)
for _ in range(300):
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
open(done, "w").close()
time.sleep(60)
PY
	local pp=$! ap i
	"$AT" -j -o "$T/out.json" -p "$pp" 2>"$T/stderr" &
	ap=$!
	sleep 1.5
	touch "$T/go"
	for i in $(seq 200); do [ -e "$T/done" ] && break; sleep 0.1; done
	bpftool -j map show >"$T/maps.json"
	python3 - "$T/maps.json" "$pp" "$T/bss.json" <<'PY'
import json, subprocess, sys
maps = [m for m in json.load(open(sys.argv[1])) if m.get("name") == "authtrac.bss"]
dump = subprocess.run(["bpftool", "-j", "map", "dump", "id", str(max(m["id"] for m in maps))],
                      capture_output=True, text=True, check=True).stdout
open(sys.argv[3], "w").write(dump)
PY
	kill "$pp"
	wait "$ap"
	expect_status 0 $? "authtrace -p" || return 1
	[ -e "$T/done" ] || { echo "the children did not finish"; return 1; }
	python3 - "$T/bss.json" "$pp" <<'PY'
import json, struct, sys
value = bytes(int(b, 16) for b in json.load(open(sys.argv[1]))[0]["value"])
buckets = struct.unpack("<%dI" % 16384, value[:16384 * 4])
pid = int(sys.argv[2])
assert buckets[pid % 16384] == 1, f"the parent's bucket holds {buckets[pid % 16384]}"
assert sum(buckets) == 1, f"{sum(buckets)} counted, 1 traced process left"
print("buckets balanced after 300 children")
PY
}

# authtrace --json | head -1: a closed stdout ends the run quietly (exit 0)
t_stdout_closed() {
	set -o pipefail
	timeout 60 "$AT" -j -- sh -c "for i in 1 2 3 4 5; do curl -sS --http1.1 --cacert '$WORK/cert.pem' \
		https://localhost:$PORT/v1/models -H \"x-api-key: \$API_KEY\" -o /dev/null; sleep 0.2; done" \
		2>"$T/stderr" | head -1 >"$T/first.json"
	local rc=$?
	[ "$rc" = 0 ] || { echo "pipeline status $rc"; cat "$T/stderr"; return 1; }
	python3 -c "import json,sys; assert json.loads(open(sys.argv[1]).read())['type']=='request'" "$T/first.json"
}

# -o on a full disk: one clear error and exit 1, no crash
t_disk_full() {
	[ -w /dev/full ] || { echo "no /dev/full"; return 77; }
	timeout 60 "$AT" -j -o /dev/full -- curl -sS --http1.1 --cacert "$WORK/cert.pem" \
		"https://localhost:$PORT/v1/models" -H "x-api-key: $API_KEY" -o /dev/null >"$T/stdout" 2>"$T/stderr"
	local rc=$?
	[ "$rc" = 1 ] || { echo "exit $rc, expected 1"; cat "$T/stderr"; return 1; }
	grep -q 'cannot write events: No space left on device' "$T/stderr" || { cat "$T/stderr"; return 1; }
}

# two authtrace runs at once, each tracing its own client, each sees only its own
t_two_at_once() {
	at_json "$T/a.json" -- python3 "$CLIENTS/keepalive_loop.py" "$WORK/cert.pem" "$PORT" 5 0.1 &
	local a=$!
	at_json "$T/b.json" -- curl -sS --http1.1 --cacert "$WORK/cert.pem" "https://localhost:$PORT/v1/models" \
		-H "x-api-key: $API_KEY" -H "anthropic-version: 2023-06-01" -o /dev/null
	local rb=$?
	wait "$a"
	local ra=$?
	expect_status 0 "$ra" "first authtrace" || return 1
	expect_status 0 "$rb" "second authtrace" || return 1
	$CHECK "$T/a.json" requests=5 'req:*:comm="python3"' || return 1
	$CHECK "$T/b.json" requests=1 'req:0:comm="curl"'
}

# --- fleet mode ---------------------------------------------------------------

# run authtrace --all in the background until a marker file appears
all_start() {
	"$AT" --all -j -o "$T/all.json" --fail-on never "$@" 2>"$T/all.err" &
	ALL_PID=$!
	# ready when it has attached: give it time to scan every process
	for _ in $(seq 100); do
		grep -q . "$T/all.err" 2>/dev/null && break
		[ -s "$T/all.json" ] && break
		sleep 0.1
	done
	sleep 2
}

all_stop() {
	kill -INT "$ALL_PID"
	wait "$ALL_PID"
}

# authtrace --all started first, then unrelated clients outside it: all reported
t_all_mode() {
	all_start
	curl -sS --http1.1 --cacert "$WORK/cert.pem" "https://localhost:$PORT/v1/models" \
		-H "x-api-key: $API_KEY" -H "anthropic-version: 2023-06-01" -o /dev/null
	python3 "$CLIENTS/urllib_client.py" "$WORK/cert.pem" "$PORT"
	NODE_EXTRA_CA_CERTS="$WORK/cert.pem" node "$CLIENTS/node_client.js" "$PORT" 1
	all_stop || { echo "authtrace --all exit $?"; cat "$T/all.err"; return 1; }
	python3 - "$T/all.json" "$PORT" <<'PY'
import json, os, sys
port = sys.argv[2]
ev = [json.loads(l) for l in open(sys.argv[1])]
mine = [e for e in ev if e["type"] == "request" and e["authority"].endswith(":" + port)]
comms = sorted({e["comm"] for e in mine})
assert {"curl", "python3", "node"} <= set(comms), comms
for e in mine:
    assert e["pid"] > 0 and e["exe"], e
    assert e["host"] == os.uname().nodename, e["host"]
    assert "cgroup_id" in e and "cmdline" in e and "uid" in e, e
    assert e["exe"].endswith(("/curl", "/node")) or "python3" in e["exe"], e["exe"]
assert ev[-1]["type"] == "summary"
PY
}

# --comm keeps only the named processes
t_all_filters() {
	all_start --comm curl
	curl -sS --http1.1 --cacert "$WORK/cert.pem" "https://localhost:$PORT/v1/models" \
		-H "x-api-key: $API_KEY" -o /dev/null
	python3 "$CLIENTS/urllib_client.py" "$WORK/cert.pem" "$PORT"
	all_stop || return 1
	python3 - "$T/all.json" <<'PY'
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
reqs = [e for e in reqs if e["type"] == "request"]
assert reqs and all(e["comm"] == "curl" for e in reqs), [e["comm"] for e in reqs]
PY
}

# --all: one process repeating the same mistake: 10 reported, the rest one suppressed event
t_all_rate_limit() {
	all_start --comm python3
	python3 "$CLIENTS/keepalive_loop.py" "$WORK/cert.pem" "$PORT" 25 0 none
	all_stop || return 1
	python3 - "$T/all.json" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
reqs = [e for e in ev if e["type"] == "request"]
sup = [e for e in ev if e["type"] == "suppressed"]
assert len(reqs) == 10, len(reqs)
assert len(sup) == 1 and sup[0]["count"] == 15 and sup[0]["rule"] == "no-credentials", sup
PY
}

# --rotate SIZE,COUNT rotates by size; SIGHUP reopens the file (logrotate moved it)
t_rotate() {
	local log="$T/events.ndjson"
	"$AT" -j -o "$log" --rotate 4K,2 --fail-on never -- sh -c "
		python3 '$CLIENTS/keepalive_loop.py' '$WORK/cert.pem' $PORT 30 0
		mv '$log' '$log.moved'; kill -HUP \$PPID; sleep 0.5
		python3 '$CLIENTS/keepalive_loop.py' '$WORK/cert.pem' $PORT 2 0" 2>"$T/stderr"
	expect_status 0 $? "authtrace --rotate" || return 1
	[ -s "$log.1" ] && [ -s "$log.2" ] || { ls -la "$T"; echo "no rotated files"; return 1; }
	[ ! -e "$log.3" ] || { echo "kept more than 2 rotated files"; return 1; }
	[ "$(stat -c %a "$log.1")" = 600 ] || { echo "rotated file mode $(stat -c %a "$log.1")"; return 1; }
	# after SIGHUP the new file gets the rest of the run, ending with the summary
	tail -n1 "$log" | grep -q '"type":"summary"' || { echo "no summary in the reopened file"; return 1; }
	grep -q '"type":"request"' "$log" || { echo "no request after reopening"; return 1; }
}

# --- HTTP/2 -------------------------------------------------------------------

# curl --http2: three requests on one connection; the later ones' headers come
# from the HPACK dynamic table; responses joined by stream
t_h2_curl() {
	[ -n "$H2_PORT" ] || { echo "no h2 server (node missing)"; return 77; }
	at_json "$T/out.json" --fail-on never -- curl -sS --http2 --cacert "$WORK/cert.pem" \
		-H "x-api-key: $API_KEY" -H "anthropic-version: 2023-06-01" \
		"https://localhost:$H2_PORT/v1/messages" -d '{}' -o /dev/null \
		"https://localhost:$H2_PORT/v1/messages" -d '{}' -o /dev/null \
		"https://localhost:$H2_PORT/v1/models" -o /dev/null
	expect_status 0 $? "authtrace -- curl --http2" || return 1
	$CHECK "$T/out.json" requests=3 responses=3 joined 'req:*:protocol="h2"' 'req:0:stream=1' \
		'req:1:stream=3' 'req:2:stream=5' 'req:*:conn="c1"' 'req:2:path="/v1/models"' \
		"req:*:authority=\"localhost:$H2_PORT\"" 'req:*:credentials.0.kind="anthropic-api-key"' \
		"fp:0:$API_KEY" "fp:2:$API_KEY" 'req:0:headers~anthropic-version' 'resp:0:status=200' \
		'resp:0:protocol="h2"' 'resp:2:stream=5' 'req:*:tls=true'
}

t_h2_node() {
	[ -n "$H2_PORT" ] || { echo "no h2 server (node missing)"; return 77; }
	NODE_EXTRA_CA_CERTS="$WORK/cert.pem" at_json "$T/out.json" --fail-on never -- \
		node "$CLIENTS/h2_client.js" "$H2_PORT" 3
	expect_status 0 $? "authtrace -- node http2" || return 1
	$CHECK "$T/out.json" requests=3 responses=3 joined 'req:*:protocol="h2"' 'req:*:comm="node"' \
		'req:0:credentials.0.kind="anthropic-oauth-token"' "fp:0:$OAUTH_TOKEN2" \
		'req:1:credentials.0.kind="anthropic-oauth-token"' 'req:2:credentials=[]' \
		'finding:2:no-credentials' 'resp:2:status=401' 'req:0:path="/v1/messages?beta=true"'
}

# a library on a deleted file: -p still finds and probes it (through map_files)
t_deleted_library() {
	local lib dir="$T/lib"
	lib=$(ldconfig -p | awk '/libssl.so.3 .*x86-64/ {print $NF; exit}')
	[ -n "$lib" ] || { echo "no system libssl.so.3"; return 77; }
	mkdir -p "$dir" && cp "$lib" "$dir/libssl.so.3"
	LD_LIBRARY_PATH="$dir" python3 "$CLIENTS/keepalive_loop.py" "$WORK/cert.pem" "$PORT" 12 0.25 &
	local lp=$!
	sleep 1
	grep -q "$dir/libssl.so.3" "/proc/$lp/maps" || { kill "$lp"; echo "the client did not load the copy"; return 1; }
	rm -f "$dir/libssl.so.3"
	at_json "$T/out.json" -p "$lp"
	local rc=$?
	wait "$lp"
	expect_status 0 $rc "authtrace -p (deleted libssl)" || return 1
	python3 -c "import json,sys; r=[e for e in map(json.loads, open(sys.argv[1])) if e['type']=='request']; assert len(r) >= 4, len(r)" "$T/out.json"
}

# SigV4: the access key id's tail and the signature must appear nowhere
t_sigv4_secrets() {
	local auth="AWS4-HMAC-SHA256 Credential=$SIGV4_KEY_ID/20261123/us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature=$SIGV4_SIGNATURE"
	at_json "$T/out.json" --fail-on never -- curl -sS --http1.1 --cacert "$WORK/cert.pem" \
		"https://localhost:$PORT/model/anthropic.claude-3-5-sonnet/invoke" -H "Authorization: $auth" \
		-H "x-amz-date: 20261123T000000Z" -d '{}' -o /dev/null
	expect_status 0 $? "authtrace -- curl (SigV4)" || return 1
	$CHECK "$T/out.json" requests=1 'req:0:credentials.0.kind="aws-sigv4"' \
		'req:0:credentials.0.scheme="AWS4-HMAC-SHA256"' 'req:0:api="bedrock"'
}

# Seeds 000 and 004 by real requests (the Host header names the provider's host):
# a Bedrock invoke with no Authorization; Claude Platform on AWS signed for the
# wrong region and without anthropic-workspace-id
t_seeds() {
	export SEED_AUTH="AWS4-HMAC-SHA256 Credential=$SIGV4_KEY_ID/20261123/us-east-1/aws-external-anthropic/aws4_request, SignedHeaders=host;x-amz-date, Signature=$SIGV4_SIGNATURE"
	at_json "$T/out.json" -- sh -c "
	curl -sS --http1.1 --cacert '$WORK/cert.pem' https://localhost:$PORT/model/claude-sonnet-4-6/invoke-with-response-stream \
		-H 'Host: bedrock-runtime.us-east-1.amazonaws.com' -d '{}' -o /dev/null
	curl -sS --http1.1 --cacert '$WORK/cert.pem' https://localhost:$PORT/v1/messages \
		-H 'Host: aws-external-anthropic.us-west-2.api.aws' -H \"Authorization: \$SEED_AUTH\" \
		-H 'x-amz-date: 20261123T000000Z' -H 'anthropic-version: 2023-06-01' -d '{}' -o /dev/null"
	local rc=$?
	expect_status 3 $rc "seed requests (errors expected)" || return 1
	$CHECK "$T/out.json" requests=2 'req:0:api="bedrock"' 'finding:0:bedrock-no-authorization' \
		'req:1:api="claude-platform-aws"' 'finding:1:missing-workspace-id' \
		'finding:1:sigv4-scope-mismatch' 'resp:0:status=401'
}

# Claude Code's native build (Bun, stripped BoringSSL): fetched once from npm
# into a cache (or AUTHTRACE_CLAUDE_BIN), run against the local TLS server
claude_bin() {
	local cache=/var/cache/authtrace-test/claude-code ver
	if [ -n "${AUTHTRACE_CLAUDE_BIN:-}" ]; then
		echo "$AUTHTRACE_CLAUDE_BIN"
		return
	fi
	command -v npm >/dev/null || return 1
	ver=$(timeout 60 npm view @anthropic-ai/claude-code-linux-x64 version 2>/dev/null) || return 1
	if [ ! -x "$cache/$ver/package/claude" ]; then
		mkdir -p "$cache/$ver" && (cd "$cache/$ver" &&
			timeout 600 npm pack --silent "@anthropic-ai/claude-code-linux-x64@$ver" >/dev/null 2>&1 &&
			tar xzf anthropic-ai-claude-code-linux-x64-*.tgz && rm -f ./*.tgz) || return 1
	fi
	echo "$cache/$ver/package/claude"
}

t_claude_code() {
	local bin
	bin=$(claude_bin) || { echo "the Claude Code native package could not be installed from npm"; return 77; }
	[ -x "$bin" ] || { echo "$bin is not executable"; return 77; }
	mkdir -p "$T/home"
	HOME="$T/home" NODE_EXTRA_CA_CERTS="$WORK/cert.pem" ANTHROPIC_BASE_URL="https://localhost:$PORT" \
		CLAUDE_CODE_MAX_RETRIES=0 ANTHROPIC_API_KEY="$API_KEY" DISABLE_AUTOUPDATER=1 \
		at_json "$T/out.json" --fail-on never -o "$T/events.json" -- "$bin" -p hi
	echo "claude: $bin ($("$bin" --version 2>/dev/null | head -1))"
	python3 - "$T/events.json" "$API_KEY" <<'PY'
import hashlib, json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
fp = hashlib.sha256(b"authtrace-fp-v1\0" + sys.argv[2].encode()).hexdigest()[:12]
posts = [e for e in ev if e["type"] == "request" and e["path"].startswith("/v1/messages")]
assert posts, [e.get("path") for e in ev]
for r in posts:
    assert r["method"] == "POST" and r["api"] == "anthropic", r["method"]
    c = r["credentials"]
    assert c and c[0]["header"] == "x-api-key" and c[0]["kind"] == "anthropic-api-key", c
    assert c[0]["fingerprint"] == fp
PY
}

# authtrace ending while processes exec and fork under it: none may stay stopped
t_none_stopped() {
	sh -c 'end=$(($(date +%s) + 6)); while [ $(date +%s) -lt $end ]; do /bin/true; cat /dev/null; done' &
	local loop=$!
	for i in 1 2 3 4 5; do
		"$AT" --all -q -j -o /dev/null --duration 0.$((i * 2)) 2>/dev/null
		"$AT" -q -j -o /dev/null --duration 0.3 -p "$loop" 2>/dev/null
	done
	sleep 0.5
	local stopped
	stopped=$(ps -eo pid=,stat=,comm= | awk '$2 ~ /^T/ {print}')
	kill "$loop" 2>/dev/null
	wait "$loop" 2>/dev/null
	[ -z "$stopped" ] || { echo "left stopped: $stopped"; ps -eo pid=,stat= | awk '$2 ~ /^T/ {print $1}' | xargs -r kill -CONT; return 1; }
}

# one line on stderr, a documented exit status, nothing on stdout
expect_error() {
	local want=$1 pattern=$2; shift 2
	"$@" >"$T/stdout" 2>"$T/stderr"
	local rc=$?
	if [ "$rc" != "$want" ]; then echo "$*: exit $rc, expected $want"; cat "$T/stderr"; return 1; fi
	if [ "$(wc -l <"$T/stderr")" != 1 ]; then echo "$*: stderr is not one line:"; cat "$T/stderr"; return 1; fi
	if ! grep -qE -- "$pattern" "$T/stderr"; then echo "$*: stderr does not match /$pattern/:"; cat "$T/stderr"; return 1; fi
	if [ -s "$T/stdout" ]; then echo "$*: wrote to stdout"; return 1; fi
}

t_bad_input() {
	local gone=999999
	while kill -0 "$gone" 2>/dev/null; do gone=$((gone - 1)); done
	expect_error 2 'unknown option' "$AT" --bogus -- true || return 1
	expect_error 2 'nothing to trace' "$AT" || return 1
	expect_error 2 'not a list of process ids' "$AT" -p 12x || return 1
	expect_error 2 '--fail-on' "$AT" --fail-on sometimes -- true || return 1
	expect_error 1 "pid $gone: no such process" "$AT" -p "$gone" || return 1
	expect_error 2 'cannot write /nonexistent-dir/x' "$AT" -o /nonexistent-dir/x -- true || return 1
	ln -sf /tmp/elsewhere "$T/link"
	expect_error 2 'symbolic link' "$AT" -o "$T/link" -- true || return 1
	expect_error 127 'cannot run /no/such/cmd' "$AT" -- /no/such/cmd || return 1
	# --rules: malformed file (line named), another user's symlink refused
	printf '{\n  "rules": {\n    "no-credentials": 7\n  }\n}\n' >"$T/bad-rules.json"
	expect_error 2 'bad-rules.json:3' "$AT" --rules "$T/bad-rules.json" -- true || return 1
	printf '{}\n' >"$T/ok-rules.json"
	ln -sf "$T/ok-rules.json" "$T/rules-link"
	chown -h 65534:65534 "$T/rules-link"
	expect_error 2 'owned by another user' "$AT" --rules "$T/rules-link" -- true || return 1
	if command -v setpriv >/dev/null; then
		expect_error 1 'needs root' setpriv --reuid=65534 --regid=65534 --clear-groups \
			--inh-caps=-all "$AT" -- true || return 1
	fi
	# the command's own failure is authtrace's exit status
	"$AT" -q -- sh -c 'exit 7' >/dev/null 2>&1
	expect_status 7 $? "authtrace -- sh -c 'exit 7'"
}
