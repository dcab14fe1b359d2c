#!/usr/bin/env bash
# End-to-end tests: real clients (curl, python3, node) under build/authtrace,
# as root, against a TLS server on 127.0.0.1.  Every output of every test is
# grepped for the fake secrets used; a hit fails the run.
#
# Without root or BPF each test prints SKIP with the reason.
# Closing line: "e2e: N passed, N failed, N skipped".
set -u

TOP=$(cd "$(dirname "$0")/../.." && pwd)
AT="$TOP/build/authtrace"
E2E="$TOP/tests/e2e"
CHECK="python3 $E2E/check.py"
WORK=$(mktemp -d /tmp/authtrace-e2e.XXXXXX)
ONLY=${E2E_ONLY:-}   # run only tests whose name contains this

pass=0 fail=0 skip=0
failed_names=()
SERVER_PID=""
PLAIN_PID=""
H2_PID=""

cleanup() {
	[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null
	[ -n "$PLAIN_PID" ] && kill "$PLAIN_PID" 2>/dev/null
	[ -n "$H2_PID" ] && kill "$H2_PID" 2>/dev/null
	jobs -p | xargs -r kill 2>/dev/null
	[ -z "${E2E_KEEP:-}" ] && rm -rf "$WORK"
}
trap cleanup EXIT

# --- fake secrets (never real; each unique so a leak is attributable) ------
rep() { printf "%${2}s" | tr ' ' "$1"; }
API_KEY="sk-ant-api03-E2Eapikey$(rep Q 71)Xy9zAA"
OAUTH_TOKEN="sk-ant-oat01-E2Eoauth$(rep R 60)Zz7"
OAUTH_TOKEN2="sk-ant-oat01-E2Enode$(rep N 50)Nn3"
BEDROCK_SECRET="e2eBedrockSecretValue0123456789"
BEDROCK_KEY="ABSK$(printf 'BedrockAPIKey-e2et-at-123456789012:%s' "$BEDROCK_SECRET" | base64 -w0)"
SIGV4_KEY_ID="AKIAE2EFAKEKEYID7QZX"
SIGV4_SIGNATURE="$(printf 'e2e-signature' | sha256sum | cut -c1-64)"
# every encoding a secret appears in on the wire: whole, without its prefix,
# the base64 body of a Bedrock key and what it decodes to, a SigV4 key id's
# unique tail and its signature
SECRETS=("$API_KEY" "$OAUTH_TOKEN" "$OAUTH_TOKEN2" "$BEDROCK_KEY" "$BEDROCK_SECRET"
	"${API_KEY#sk-ant-api03-}" "${OAUTH_TOKEN#sk-ant-oat01-}" "${OAUTH_TOKEN2#sk-ant-oat01-}"
	"${BEDROCK_KEY#ABSK}" "${SIGV4_KEY_ID#AKIA}" "$SIGV4_SIGNATURE")

# --- helpers ----------------------------------------------------------------
note() { printf '  %s\n' "$*"; }

# run_test NAME FUNCTION: run it, count the result from its exit status
# (0 pass, 77 skip, other fail).
run_test() {
	local name=$1 fn=$2 rc
	[ -n "$ONLY" ] && [[ $name != *"$ONLY"* ]] && return
	T="$WORK/$name"
	mkdir -p "$T"
	( set -u; "$fn" ) >"$T/test.log" 2>&1
	rc=$?
	case $rc in
	0) pass=$((pass + 1)); echo "PASS: $name" ;;
	77) skip=$((skip + 1)); echo "SKIP: $name: $(tail -n1 "$T/test.log")" ;;
	*) fail=$((fail + 1)); failed_names+=("$name"); echo "FAIL: $name"; sed 's/^/    /' "$T/test.log" ;;
	esac
}

# at_json OUTFILE -- COMMAND...: run authtrace in JSON mode, stdout to OUTFILE.
at_json() {
	local out=$1; shift
	timeout 60 "$AT" -j "$@" >"$out" 2>"$out.err"
}

expect_status() {
	local want=$1 got=$2 what=$3
	if [ "$got" != "$want" ]; then
		echo "$what: exit status $got, expected $want"; cat "$T"/*.err 2>/dev/null | tail -5
		return 1
	fi
}

# --- environment --------------------------------------------------------------
why_skip() {
	[ "$(id -u)" = 0 ] || { echo "not root (the end-to-end tests load BPF programs)"; return; }
	[ -r /sys/kernel/btf/vmlinux ] || { echo "kernel has no BTF (/sys/kernel/btf/vmlinux)"; return; }
	[ -x "$AT" ] || { echo "build/authtrace is not built"; return; }
	# a probe run: can this kernel load and attach our programs at all?
	if ! timeout 20 "$AT" -q --duration 0.2 -- true >"$WORK/probe.out" 2>"$WORK/probe.err"; then
		echo "authtrace cannot trace here: $(head -n1 "$WORK/probe.err")"; return
	fi
}

start_servers() {
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/key.pem" -out "$WORK/cert.pem" \
		-days 2 -subj /CN=localhost \
		-addext "subjectAltName=DNS:localhost,IP:127.0.0.1" >/dev/null 2>&1 || return 1
	python3 "$E2E/tls_server.py" --port-file "$WORK/port" --cert "$WORK/cert.pem" \
		--key "$WORK/key.pem" 2>>"$WORK/server.log" &
	SERVER_PID=$!
	python3 "$E2E/tls_server.py" --port-file "$WORK/plain-port" --plain 2>>"$WORK/server.log" &
	PLAIN_PID=$!
	if command -v node >/dev/null; then
		node "$E2E/h2_server.js" "$WORK/cert.pem" "$WORK/key.pem" "$WORK/h2-port" 2>>"$WORK/server.log" &
		H2_PID=$!
	fi
	for _ in $(seq 50); do
		[ -s "$WORK/port" ] && [ -s "$WORK/plain-port" ] && { [ -z "$H2_PID" ] || [ -s "$WORK/h2-port" ]; } && break
		sleep 0.1
	done
	PORT=$(cat "$WORK/port") PLAIN_PORT=$(cat "$WORK/plain-port")
	H2_PORT=$(cat "$WORK/h2-port" 2>/dev/null)
	export PORT PLAIN_PORT H2_PORT WORK
	[ -n "$PORT" ]
}

source "$E2E/cases.sh"

main() {
	local reason
	reason=$(why_skip)
	if [ -n "$reason" ]; then
		for name in $(all_tests); do
			[ -n "$ONLY" ] && [[ $name != *"$ONLY"* ]] && continue
			echo "SKIP: $name: $reason"; skip=$((skip + 1))
		done
		echo "e2e: 0 passed, 0 failed, $skip skipped"
		exit 0
	fi
	start_servers || { echo "e2e: cannot start the local TLS server"; exit 1; }
	register_tests

	# secrets: no fake secret in any output of any test
	local hits=0
	for s in "${SECRETS[@]}"; do
		if grep -rlF -- "$s" "$WORK" >"$WORK/leaks" 2>/dev/null; then
			echo "FAIL: secret-leak: a fake secret appears in: $(tr '\n' ' ' <"$WORK/leaks")"
			hits=$((hits + 1))
		fi
	done
	if [ "$hits" = 0 ]; then
		pass=$((pass + 1)); echo "PASS: no-secret-in-any-output ($(find "$WORK" -type f | wc -l) files checked)"
	else
		fail=$((fail + 1)); failed_names+=(secret-leak)
	fi
	echo "e2e: $pass passed, $fail failed, $skip skipped"
	[ "$fail" = 0 ]
}

main "$@"
