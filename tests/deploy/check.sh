#!/usr/bin/env bash
# Validate the fleet-mode deployment files in deploy/.
#
# Each check prints PASS, FAIL (with details) or "SKIP: <what>: <why>" when its
# tool is missing here.  Exit status: 0 when nothing failed.
# Closing line: "deploy: N passed, N failed, N skipped".
#
# Tools used when present (Debian 12 packages): systemd (systemd-analyze),
# logrotate, yamllint, python3 (3.11: tomllib) with python3-yaml, util-linux
# (unshare, setpriv), a C compiler, openssl.  vector and fluent-bit are not
# Debian packages: their own validators run only where they are installed.
set -u

TOP=$(cd "$(dirname "$0")/../.." && pwd)
DEP=$TOP/deploy
AT=$TOP/build/authtrace
WORK=$(mktemp -d /tmp/authtrace-deploy.XXXXXX)
chmod 0755 "$WORK" # the hardening check's traced process runs as another user
BG_PIDS=()

cleanup() {
	local p
	for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	rm -rf "$WORK"
}
trap cleanup EXIT

pass=0 fail=0 skip=0
ok() { pass=$((pass + 1)); echo "PASS: $1${2:+ ($2)}"; }
bad() {
	fail=$((fail + 1)); echo "FAIL: $1"
	[ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/    /'
	return 0
}
skipped() { skip=$((skip + 1)); echo "SKIP: $1: $2"; }
note() { printf '    %s\n' "$@"; }

# python3 >= 3.11 (tomllib), and one that has PyYAML (Debian's python3-yaml
# lives in /usr/bin/python3's path, which may not be the first python3)
PY="" PYYAML=""
for c in python3 /usr/bin/python3; do
	command -v "$c" >/dev/null 2>&1 || continue
	[ -z "$PY" ] && "$c" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && PY=$c
	[ -z "$PYYAML" ] && "$c" -c 'import yaml' 2>/dev/null && PYYAML=$c
done

# The capabilities authtrace keeps (user/privs.c keep[]): the unit and the
# DaemonSet must grant exactly these.
expected_caps() {
	local caps=""
	if [ -n "$PY" ] && [ -r "$TOP/user/privs.c" ]; then
		caps=$("$PY" - "$TOP/user/privs.c" <<'PY'
import re, sys
m = re.search(r"static const int keep\[\]\s*=\s*\{(.*?)\};", open(sys.argv[1]).read(), re.S)
print(" ".join(sorted(re.findall(r"CAP_[A-Z_]+", m.group(1)))) if m else "")
PY
		)
	fi
	echo "${caps:-CAP_BPF CAP_DAC_READ_SEARCH CAP_KILL CAP_PERFMON CAP_SYS_ADMIN CAP_SYS_PTRACE CAP_SYS_RESOURCE}"
}
CAPS=$(expected_caps)

# --- systemd unit ----------------------------------------------------------------
check_unit_static() {
	local name=unit-directives out
	[ -n "$PY" ] || { skipped $name "no python3 >= 3.11"; return; }
	if out=$("$PY" - "$DEP/authtrace.service" "$CAPS" 2>&1 <<'PY'
import re, sys
path, caps = sys.argv[1], set(sys.argv[2].split())
unit, section = {}, None
for line in open(path):
    line = line.strip()
    if not line or line[0] in "#;":
        continue
    if line.startswith("["):
        section = line.strip("[]")
        continue
    k, _, v = line.partition("=")
    unit.setdefault((section, k), []).append(v)
def get(k, sec="Service"):
    v = unit.get((sec, k))
    return v[-1] if v else None
errs = []
want = {
    "ExecStart": "/usr/local/bin/authtrace --all --json -o /var/log/authtrace/events.ndjson --rotate 100M,5 --stats 60",
    "NoNewPrivileges": "yes", "ProtectSystem": "strict", "ReadWritePaths": "/var/log/authtrace",
    "ProtectHome": "read-only", "PrivateTmp": "yes", "ProtectKernelModules": "yes",
    "ProtectControlGroups": "yes", "RestrictAddressFamilies": "AF_UNIX", "LimitCORE": "0",
    "Restart": "on-failure", "LogsDirectory": "authtrace", "LogsDirectoryMode": "0700",
}
for k, v in want.items():
    if get(k) != v:
        errs.append(f"{k}={get(k)!r}, expected {v!r}")
for k in ("CapabilityBoundingSet", "AmbientCapabilities"):
    got = set((get(k) or "").split())
    if got != caps:
        errs.append(f"{k}: {sorted(got)} != user/privs.c {sorted(caps)}")
# settings that would break tracing every process
for k, bad in (("ProtectProc", "invisible"), ("ProtectProc", "noaccess"), ("ProcSubset", "pid"),
               ("PrivateUsers", "yes"), ("DynamicUser", "yes")):
    if get(k) == bad:
        errs.append(f"{k}={bad} hides other processes or capabilities from authtrace")
for k in ("MemoryMax", "CPUQuota"):
    if not get(k):
        errs.append(f"{k} missing")
m = re.fullmatch(r"(\d+)([KMG]?)", get("MemoryMax") or "")
if m:
    mib = int(m.group(1)) * {"": 2**-20, "K": 2**-10, "M": 1, "G": 1024}[m.group(2)]
    if mib < 80:
        errs.append(f"MemoryMax={get('MemoryMax')}: the BPF maps alone need ~70 MiB")
print("\n".join(errs))
sys.exit(1 if errs else 0)
PY
	); then ok $name; else bad $name "$out"; fi
}

check_unit_verify() {
	local name=unit-systemd-analyze-verify out bin
	command -v systemd-analyze >/dev/null || { skipped $name "systemd-analyze not installed (Debian: systemd)"; return; }
	# verify insists that ExecStart's binary exists: point it at the built one
	# (or any executable when it is not built) in a copy of the unit
	bin=$AT; [ -x "$bin" ] || bin=$(type -P true)
	mkdir -p "$WORK/unit"
	sed "s#^ExecStart=/usr/local/bin/authtrace #ExecStart=$bin #" "$DEP/authtrace.service" \
		>"$WORK/unit/authtrace.service"
	# unknown keys and bad values are only warnings (exit 0): any line about
	# our unit is a failure
	out=$(cd "$WORK/unit" && systemd-analyze verify ./authtrace.service 2>&1)
	local rc=$?
	if [ $rc -ne 0 ] || grep -q 'authtrace' <<<"$out"; then
		bad $name "$out"
	else
		ok $name "ExecStart pointed at ${bin#$TOP/}"
		[ -n "$out" ] && note "unrelated output: $out"
	fi
	out=$(cd "$WORK/unit" && systemd-analyze security --offline=true --threshold=40 ./authtrace.service 2>&1)
	rc=$?
	local level
	level=$(grep -o 'Overall exposure level.*' <<<"$out" | sed 's/ *[^ -~]*$//')
	if [ -z "$level" ]; then
		skipped unit-systemd-analyze-security "this systemd-analyze has no 'security --offline'"
	elif [ $rc -eq 0 ]; then
		ok unit-systemd-analyze-security "$level"
	else
		bad unit-systemd-analyze-security "$level (threshold 4.0)"
	fi
}

# The unit's sandbox, emulated without systemd (not PID 1 here, nor in CI):
# authtrace -p on a TLS client of another user whose libssl lives in an
# owner-only directory, with authtrace in its own mount and network namespace
# where every mount except /proc, /dev and the output directory is read-only
# (ProtectSystem=strict, ProtectKernelTunables: /sys and tracefs read-only),
# /proc/kallsyms and /proc/kcore are hidden, /dev is minimal (PrivateDevices),
# that library directory is hidden (stricter than ProtectHome=read-only),
# only the unit's capabilities are left, no_new_privs is set, socket(2) is
# limited to AF_UNIX (RestrictAddressFamilies) and W+X memory is refused
# (MemoryDenyWriteExecute, via PR_SET_MDWE).
check_unit_hardening() {
	local name=unit-hardening-emulation t
	[ "$(id -u)" = 0 ] || { skipped $name "not root (it loads BPF programs)"; return; }
	[ -r /sys/kernel/btf/vmlinux ] || { skipped $name "kernel has no BTF"; return; }
	[ -x "$AT" ] || { skipped $name "build/authtrace is not built (make)"; return; }
	for t in unshare setpriv cc openssl /usr/bin/python3; do
		command -v "$t" >/dev/null || { skipped $name "$t not installed"; return; }
	done
	local W=$WORK/hard
	mkdir -p "$W/out" "$W/home/lib" "$W/devtmp"
	chmod 0755 "$W"

	# RestrictAddressFamilies=AF_UNIX and MemoryDenyWriteExecute, emulated
	cat >"$W/sandbox.c" <<'C'
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socketpair, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AF_UNIX, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EAFNOSUPPORT),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (argc < 2)
		return 2;
	if (prctl(65 /* PR_SET_MDWE */, 1 /* REFUSE_EXEC_GAIN */, 0, 0, 0) != 0)
		fprintf(stderr, "sandbox: PR_SET_MDWE unavailable, W^X not emulated\n");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
		perror("sandbox: seccomp");
		return 1;
	}
	execvp(argv[1], argv + 1);
	perror("sandbox: exec");
	return 127;
}
C
	if ! cc -O1 -o "$W/sandbox" "$W/sandbox.c" 2>"$W/cc.err"; then
		skipped $name "cannot build the seccomp helper: $(head -n1 "$W/cc.err")"; return
	fi

	# the unit's capabilities that this environment has at all
	local bnd setcaps="" missing="" c n
	bnd=$(awk '/^CapBnd:/ {print $2}' /proc/self/status)
	for c in $CAPS; do
		case $c in
		CAP_BPF) n=39 ;; CAP_PERFMON) n=38 ;; CAP_SYS_ADMIN) n=21 ;; CAP_SYS_PTRACE) n=19 ;;
		CAP_KILL) n=5 ;; CAP_DAC_READ_SEARCH) n=2 ;; CAP_SYS_RESOURCE) n=24 ;;
		*) bad $name "no bit number known for $c (update check.sh)"; return ;;
		esac
		if (((16#$bnd >> n) & 1)); then
			setcaps="$setcaps,+$(tr 'A-Z' 'a-z' <<<"${c#CAP_}")"
		else
			missing="$missing $c"
		fi
	done
	setcaps=${setcaps#,}

	# a TLS server, and a client of uid 4242 whose libssl is a copy in an
	# owner-only directory
	local ssl_so libssl libcrypto port secret
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$W/key.pem" -out "$W/cert.pem" -days 2 \
		-subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" >/dev/null 2>&1
	chmod 0644 "$W/cert.pem"
	ssl_so=$(/usr/bin/python3 -c 'import _ssl; print(getattr(_ssl, "__file__", ""))' 2>/dev/null)
	libssl=$(ldd "${ssl_so:-/usr/bin/python3}" 2>/dev/null | awk '/libssl\.so/ {print $3}')
	libcrypto=$(ldd "${ssl_so:-/usr/bin/python3}" 2>/dev/null | awk '/libcrypto\.so/ {print $3}')
	if [ -z "$libssl" ] || [ -z "$libcrypto" ]; then
		skipped $name "python3's ssl module does not link a shared libssl"; return
	fi
	cp "$libssl" "$libcrypto" "$W/home/lib/"
	cp "$TOP/tests/e2e/clients/keepalive_loop.py" "$W/"
	chown -R 4242:4242 "$W/home"
	chmod 0700 "$W/home" "$W/home/lib"
	chmod 0600 "$W/home/lib/"*
	/usr/bin/python3 "$TOP/tests/e2e/tls_server.py" --port-file "$W/port" --cert "$W/cert.pem" \
		--key "$W/key.pem" 2>"$W/server.err" &
	BG_PIDS+=("$!")
	for _ in $(seq 50); do [ -s "$W/port" ] && break; sleep 0.1; done
	port=$(cat "$W/port" 2>/dev/null)
	[ -n "$port" ] || { bad $name "the TLS server did not start: $(head -n3 "$W/server.err")"; return; }
	secret="sk-ant-api03-DEPLOYcheck$(printf '%70s' '' | tr ' ' Q)Zz9zAA"
	# it connects only once authtrace is attached (so the handshake, and with
	# it the peer address, is seen)
	setpriv --reuid 4242 --regid 4242 --clear-groups \
		env -i PATH=/usr/bin:/bin LD_LIBRARY_PATH="$W/home/lib" API_KEY="$secret" \
		sh -c "while [ ! -e $W/go ]; do sleep 0.1; done
		       exec /usr/bin/python3 $W/keepalive_loop.py $W/cert.pem $port 12 0.2" \
		>"$W/client.out" 2>&1 &
	local cpid=$!
	BG_PIDS+=("$cpid")

	unshare -m -n --propagation private bash -s -- "$W" "$setcaps" "$AT" "$cpid" >"$W/ns.log" 2>&1 <<'NS' &
set -u
W=$1 CAPS=$2 AT=$3 PID=$4
# PrivateDevices: a minimal /dev
mount -t tmpfs -o mode=0755,nosuid tmpfs "$W/devtmp"
for d in null zero full random urandom tty; do
	touch "$W/devtmp/$d" && mount --bind "/dev/$d" "$W/devtmp/$d"
done
mount --move "$W/devtmp" /dev
# the output directory stays writable (ReadWritePaths)
mount --bind "$W/out" "$W/out"
# ProtectKernelTunables: /proc/sys read-only, kallsyms and kcore hidden
mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys
for f in /proc/kallsyms /proc/kcore; do [ -e $f ] && mount --bind /dev/null $f; done
# ProtectSystem=strict, ProtectKernelTunables (/sys), ProtectControlGroups,
# ProtectHome=read-only: every other mount read-only
awk '{print $5}' /proc/self/mountinfo | sort -u | while read -r mp; do
	case $mp in /proc | /proc/* | /dev | /dev/* | "$W/out") continue ;; *\\*) continue ;; esac
	mount -o remount,bind,ro "$mp" 2>/dev/null
done
# the traced process's library directory: not even visible here
mount -t tmpfs -o ro,mode=0000 tmpfs "$W/home"
ls "$W/home/lib" >/dev/null 2>&1 && echo "NOTE: library directory still visible"
awk '$5 == "/sys/kernel/tracing" {print "NOTE: tracefs mounted " substr($6, 1, 2)}' /proc/self/mountinfo
exec setpriv --bounding-set "-all,$CAPS" --inh-caps "-all,$CAPS" --ambient-caps "-all,$CAPS" \
	--no-new-privs "$W/sandbox" timeout 60 "$AT" -j -o "$W/out/events.ndjson" -p "$PID"
NS
	local nsp=$!
	BG_PIDS+=("$nsp")
	# attached: authtrace has said something about the shell (that it has no
	# TLS library); at worst go on after 20 s
	for _ in $(seq 200); do
		grep -q "pid $cpid\b" "$W/ns.log" 2>/dev/null && break
		kill -0 $nsp 2>/dev/null || break
		sleep 0.1
	done
	touch "$W/go"
	( sleep 1.5; grep -q "$W/home/lib/libssl" "/proc/$cpid/maps" 2>/dev/null && echo yes >"$W/hidden-lib-used" ) &
	wait $nsp
	local rc=$?
	wait $cpid 2>/dev/null
	local out
	out=$(/usr/bin/python3 - "$W/out/events.ndjson" "$secret" <<'PY' 2>&1
import json, os, stat, sys
path, secret = sys.argv[1], sys.argv[2]
raw = open(path).read()
assert secret not in raw and secret[13:] not in raw, "the secret is in the output"
mode = stat.S_IMODE(os.stat(path).st_mode)
assert mode == 0o600, f"output mode {mode:o}"
ev = [json.loads(l) for l in raw.splitlines()]
req = [e for e in ev if e["type"] == "request"]
assert len(req) >= 8, f"{len(req)} requests of 12"
kinds = {c["kind"] for r in req for c in r["credentials"]}
assert kinds == {"anthropic-api-key"}, kinds
assert any(r.get("peer") for r in req), "no peer address (pidfd_getfd + getpeername)"
resp = [e for e in ev if e["type"] == "response" and e.get("request_seq") is not None]
assert resp, "no response joined to its request"
print(f"{len(req)} requests, peer {req[0]['peer']}, {len(resp)} responses")
PY
	)
	local prc=$?
	if [ $rc -eq 0 ] && [ $prc -eq 0 ] && ! grep -q "DEPLOYcheck" "$W/ns.log"; then
		ok $name "$out"
		[ -s "$W/hidden-lib-used" ] || note "the client did not load the hidden libssl copy: the hidden-directory part was not exercised"
		[ -n "$missing" ] && note "this environment's bounding set lacks:$missing (not granted in the emulation)"
		grep -E 'NOTE|warning' "$W/ns.log" | sort -u | sed 's/^/    log: /' | head -5
	else
		bad $name "authtrace exit $rc; check: $out
$(tail -n 8 "$W/ns.log")"
	fi
}

# --- logrotate ----------------------------------------------------------------------
check_logrotate() {
	local name=logrotate out LR
	LR=$(command -v logrotate || command -v /usr/sbin/logrotate) ||
		{ skipped $name "logrotate not installed (Debian: logrotate)"; return; }
	if ! out=$("$LR" -d -s "$WORK/logrotate.state" "$DEP/authtrace.logrotate" 2>&1) ||
		grep -qi 'error' <<<"$out"; then
		bad "$name-debug" "$out"
	else
		ok "$name-debug" "logrotate -d"
	fi
	# a real rotation in a scratch directory: the same file with its path and
	# its SIGHUP replaced
	local R=$WORK/lr
	mkdir -m 0700 "$R"
	sed -e "s#^/var/log/authtrace/events.ndjson #$R/events.ndjson #" \
		-e "s#systemctl kill -s HUP authtrace.service.*#echo hup >>$R/hup#" \
		"$DEP/authtrace.logrotate" >"$WORK/lr.conf"
	head -c 2048 /dev/zero | tr '\0' 'x' >"$R/events.ndjson"
	"$LR" -f -s "$WORK/lr.state" "$WORK/lr.conf" >"$WORK/lr.log" 2>&1
	local s1; s1=$(cd "$R" && ls | tr '\n' ' ')
	# authtrace reopens on SIGHUP: a new file, rotated once more
	echo '{"type":"stats"}' >"$R/events.ndjson"
	"$LR" -f -s "$WORK/lr.state" "$WORK/lr.conf" >>"$WORK/lr.log" 2>&1
	local s2; s2=$(cd "$R" && ls | tr '\n' ' ')
	if [ "$s1" = "events.ndjson.1 hup " ] && [ "$s2" = "events.ndjson.1 events.ndjson.2.gz hup " ] &&
		[ "$(wc -l <"$R/hup")" = 2 ]; then
		ok "$name-rotation" "no new file created, .1 plain, .2.gz, one SIGHUP per run"
	else
		bad "$name-rotation" "after 1st run: $s1; after 2nd: $s2
$(cat "$WORK/lr.log")"
	fi
}

# --- Kubernetes ---------------------------------------------------------------------
check_yamllint() {
	local name=daemonset-yamllint out
	command -v yamllint >/dev/null || { skipped $name "yamllint not installed (Debian: yamllint)"; return; }
	if out=$(yamllint -s "$DEP/daemonset.yaml" 2>&1); then ok $name; else bad $name "$out"; fi
}

check_daemonset() {
	local name=daemonset-structure out
	[ -n "$PYYAML" ] || { skipped $name "python3 has no yaml module (Debian: python3-yaml)"; return; }
	if out=$("$PYYAML" - "$DEP/daemonset.yaml" "$CAPS" "$DEP/authtrace.service" 2>&1 <<'PY'
import re, shlex, sys, yaml
path, caps, unit = sys.argv[1], {c[4:] for c in sys.argv[2].split()}, sys.argv[3]
docs = [d for d in yaml.safe_load_all(open(path)) if d]
kinds = {d["kind"]: d for d in docs}
errs = []
for k in ("Namespace", "ServiceAccount", "DaemonSet"):
    if k not in kinds:
        errs.append(f"no {k}")
ds = kinds["DaemonSet"]
ns = kinds["Namespace"]["metadata"]["name"]
for d in docs:
    if d["kind"] != "Namespace" and d["metadata"].get("namespace") != ns:
        errs.append(f"{d['kind']} not in namespace {ns}")
spec = ds["spec"]["template"]["spec"]
if spec.get("serviceAccountName") != kinds["ServiceAccount"]["metadata"]["name"]:
    errs.append("serviceAccountName does not name the ServiceAccount")
if spec.get("hostPID") is not True:
    errs.append("hostPID is not true")
if not any(t.get("operator") == "Exists" and "key" not in t for t in spec.get("tolerations", [])):
    errs.append("no toleration {operator: Exists}: not every node")
sel = ds["spec"]["selector"]["matchLabels"]
labels = ds["spec"]["template"]["metadata"]["labels"]
if any(labels.get(k) != v for k, v in sel.items()):
    errs.append("selector does not match the pod labels")
(c,) = [c for c in spec["containers"] if c["name"] == "authtrace"]
sc = c.get("securityContext", {})
if sc.get("privileged") is not False:
    errs.append("privileged should be false: the capabilities suffice")
if sc.get("capabilities", {}).get("drop") != ["ALL"]:
    errs.append("capabilities.drop is not [ALL]")
add = set(sc.get("capabilities", {}).get("add", []))
if add != caps:
    errs.append(f"capabilities.add {sorted(add)} != user/privs.c {sorted(caps)}")
if sc.get("allowPrivilegeEscalation") is False and "SYS_ADMIN" in add:
    errs.append("allowPrivilegeEscalation: false contradicts CAP_SYS_ADMIN")
# the same command line as the systemd unit
execstart = [l.split("=", 1)[1] for l in open(unit) if l.startswith("ExecStart=")][0]
argv = [c["command"][0]] + c.get("args", [])
if argv != shlex.split(execstart):
    errs.append(f"command+args {argv} != unit ExecStart {shlex.split(execstart)}")
vols = {v["name"]: v for v in spec.get("volumes", [])}
mounts = {m["mountPath"]: m for m in c.get("volumeMounts", [])}
def hostpath(mp):
    m = mounts.get(mp)
    return m and vols.get(m["name"], {}).get("hostPath", {}).get("path")
for mp, ro in (("/sys/kernel/btf", True), ("/sys/fs/cgroup", True), ("/var/log/authtrace", False)):
    if hostpath(mp) != mp:
        errs.append(f"no hostPath mount of {mp}")
    elif ro and not mounts[mp].get("readOnly"):
        errs.append(f"{mp} should be read-only")
if not (hostpath("/sys/kernel/tracing") or hostpath("/sys/kernel/debug")):
    errs.append("neither /sys/kernel/tracing nor /sys/kernel/debug is mounted")
def mib(q):
    m = re.fullmatch(r"(\d+)(Ki|Mi|Gi|K|M|G)?", str(q))
    f = {None: 2**-20, "Ki": 2**-10, "Mi": 1, "Gi": 1024, "K": 1e3 / 2**20, "M": 1e6 / 2**20, "G": 1e9 / 2**20}
    return int(m.group(1)) * f[m.group(2)] if m else 0
res = c.get("resources", {})
for kind in ("requests", "limits"):
    for r in ("cpu", "memory"):
        if r not in res.get(kind, {}):
            errs.append(f"resources.{kind}.{r} missing")
if mib(res.get("limits", {}).get("memory", 0)) < 80:
    errs.append("memory limit below ~80Mi: the kernel refuses the BPF maps")
print("\n".join(errs))
sys.exit(1 if errs else 0)
PY
	); then ok $name; else bad $name "$out"; fi
}

# --- image --------------------------------------------------------------------------
check_dockerfile() {
	local name=dockerfile-runtime-deps lib pkg missing="" pkgs
	[ -x "$AT" ] || { skipped $name "build/authtrace is not built (make)"; return; }
	command -v dpkg >/dev/null || { skipped $name "dpkg not available"; return; }
	pkgs=$(sed -n '/apt-get install/,/rm -rf/p' "$DEP/Dockerfile")
	for lib in $(ldd "$AT" | awk '/=> \// {print $3}'); do
		# usrmerge: the file may be registered under /lib or /usr/lib
		local real cand
		real=$(readlink -f "$lib")
		pkg=""
		for cand in "$lib" "$real" "/usr$lib" "/usr$real" "${lib#/usr}" "${real#/usr}"; do
			pkg=$(dpkg -S "$cand" 2>/dev/null) && break
		done
		pkg=${pkg%%:*}
		[ -z "$pkg" ] && { missing="$missing $lib(no package)"; continue; }
		[ "$pkg" = libc6 ] && continue
		grep -qw -- "$pkg" <<<"$pkgs" || missing="$missing $pkg"
	done
	if [ -z "$missing" ]; then ok $name "every library of build/authtrace comes from a listed package"
	else bad $name "not installed by deploy/Dockerfile:$missing"; fi
}

# --- log shippers -------------------------------------------------------------------
SAMPLE=$WORK/sample.ndjson
make_sample() {
	# fake events in the shape of the NDJSON contract (no real credential)
	cat >"$SAMPLE" <<'EOF'
{"type":"request","seq":1,"ts":"2026-01-02T03:04:05.678Z","pid":4242,"tid":4242,"ppid":1,"comm":"python3","exe":"/usr/bin/python3.11","host":"node-a","uid":1000,"cmdline":"python3 agent.py --api-key [redacted]","cgroup":"/system.slice/agent.service","cgroup_id":1234,"container":null,"source":"SSL_write_ex","tls":true,"conn":"c1","peer":"127.0.0.1:443","protocol":"http/1.1","stream":null,"method":"POST","authority":"api.example.test","path":"/v1/messages","api":"anthropic","headers":["host","x-api-key"],"credentials":[{"header":"x-api-key","scheme":null,"kind":"anthropic-oauth-token","fingerprint":"0123456789ab","length":108}],"has_authorization":false,"findings":[{"rule":"some-warning","severity":"warning","message":"w"},{"rule":"oauth-token-in-x-api-key","severity":"error","message":"e"}]}
{"type":"request","seq":2,"ts":"2026-01-02T03:04:06.000Z","pid":4242,"host":"node-a","uid":1000,"api":"bedrock","credentials":[],"has_authorization":false,"findings":[{"rule":"some-warning","severity":"warning","message":"w"},{"rule":"some-info","severity":"info","message":"i"}]}
{"type":"request","seq":5,"ts":"2026-01-02T03:04:06.500Z","pid":4242,"host":"node-a","uid":1000,"api":"bedrock","credentials":[],"has_authorization":false,"findings":[{"rule":"r0","severity":"info","message":"i"},{"rule":"r1","severity":"info","message":"i"},{"rule":"r2","severity":"info","message":"i"},{"rule":"r3","severity":"info","message":"i"},{"rule":"r4","severity":"info","message":"i"},{"rule":"r5","severity":"warning","message":"w"},{"rule":"r6","severity":"info","message":"i"},{"rule":"bedrock-no-authorization","severity":"error","message":"e"}]}
{"type":"request","seq":3,"ts":"2026-01-02T03:04:07.000Z","pid":4242,"host":"node-a","uid":1000,"api":"openai","credentials":[],"has_authorization":false,"findings":[]}
{"type":"response","seq":4,"request_seq":1,"ts":"2026-01-02T03:04:08.000Z","pid":4242,"conn":"c1","tls":true,"protocol":"http/1.1","stream":null,"status":401,"error":"invalid x-api-key"}
{"type":"lost","count":3,"reason":"ring-buffer-full"}
{"type":"stats","requests":3}
{"type":"summary","requests":3,"without_credentials":2,"findings":{"oauth-token-in-x-api-key":1},"lost":3}
EOF
}

check_vector() {
	local name=vector-structure out
	[ -n "$PY" ] || { skipped $name "no python3 >= 3.11 (tomllib)"; return; }
	if out=$("$PY" - "$DEP/vector.toml" 2>&1 <<'PY'
import fnmatch, sys, tomllib
cfg = tomllib.load(open(sys.argv[1], "rb"))
errs = []
src = {k: v for k, v in cfg.get("sources", {}).items() if v.get("type") == "file"}
if len(src) != 1:
    errs.append("expected one file source")
else:
    (sname, s), = src.items()
    inc = s.get("include", [])
    for f in ("events.ndjson", "events.ndjson.1", "events.ndjson.5", "events.ndjson.2.gz"):
        if not any(fnmatch.fnmatch("/var/log/authtrace/" + f, p) for p in inc):
            errs.append(f"include {inc} does not cover {f}")
tr = cfg.get("transforms", {})
remaps = {k: v for k, v in tr.items() if v.get("type") == "remap"}
if not any("parse_json!(.message)" in v.get("source", "") for v in remaps.values()):
    errs.append("no remap with parse_json!(.message)")
routes = {k: v for k, v in tr.items() if v.get("type") == "route"}
alert_outputs = {f"{k}.{r}" for k, v in routes.items() for r, cond in v.get("route", {}).items()
                 if "request" in cond}
if not alert_outputs:
    errs.append("no route for request events")
sinks = cfg.get("sinks", {})
if not any(set(s.get("inputs", [])) & alert_outputs for s in sinks.values()):
    errs.append("no sink consumes the alert route")
if not any(set(s.get("inputs", [])) & set(remaps) for s in sinks.values()):
    errs.append("no sink takes every parsed event")
# every input names a component
names = set(cfg.get("sources", {})) | set(tr)
for kind in ("transforms", "sinks"):
    for k, v in cfg.get(kind, {}).items():
        for i in v.get("inputs", []):
            if i.split(".")[0] not in names:
                errs.append(f"{kind}.{k}: unknown input {i}")
print("\n".join(errs))
sys.exit(1 if errs else 0)
PY
	); then ok $name; else bad $name "$out"; fi
	if command -v vector >/dev/null; then
		if out=$(vector validate --no-environment "$DEP/vector.toml" 2>&1); then
			ok vector-validate
		else bad vector-validate "$out"; fi
	else
		skipped vector-validate "vector is not installed (not a Debian 12 package)"
		skipped vector-vrl-sample "running the remap program on sample events needs vector"
	fi
}

# Fluent Bit's classic format, read the way its parser reads it (sections,
# one indentation, "key value"), and the rewrite_tag rules applied to sample
# events the way record accessors and the regex do.
check_fluent_bit() {
	local name=fluent-bit-structure out
	[ -n "$PY" ] || { skipped $name "no python3 >= 3.11"; return; }
	make_sample
	if out=$("$PY" - "$DEP/fluent-bit.conf" "$DEP/fluent-bit-parsers.conf" "$TOP/user/request.h" "$SAMPLE" 2>&1 <<'PY'
import json, os, re, sys
conf, parsers_conf, request_h, sample = sys.argv[1:5]
def parse(path):
    sections, indent, errs = [], None, []
    for n, line in enumerate(open(path), 1):
        line = line.rstrip("\n")
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("["):
            if not line.rstrip().endswith("]"):
                errs.append(f"{path}:{n}: bad header")
            sections.append((line.strip()[1:-1].upper(), []))
            continue
        lead = line[: len(line) - len(line.lstrip())]
        if indent is None:
            indent = lead
        if lead != indent:
            errs.append(f"{path}:{n}: indentation differs from the first entry")
        body = line.strip()
        if body.startswith("#"):
            continue
        key, _, val = body.partition(" ")
        if not val.strip():
            errs.append(f"{path}:{n}: key {key} has no value")
        if not sections:
            errs.append(f"{path}:{n}: entry outside a section")
        else:
            sections[-1][1].append((key.lower(), val.strip()))
    return sections, errs
secs, errs = parse(conf)
psecs, perrs = parse(parsers_conf)
errs += perrs
get = lambda kv, k: [v for kk, v in kv if kk == k]
service = [kv for s, kv in secs if s == "SERVICE"]
pfiles = get(service[0], "parsers_file") if service else []
if os.path.basename(parsers_conf) not in [os.path.basename(p) for p in pfiles]:
    errs.append(f"[SERVICE] Parsers_File does not name {os.path.basename(parsers_conf)}")
parser_names = {get(kv, "name")[0] for s, kv in psecs if s == "PARSER"}
inputs = [kv for s, kv in secs if s == "INPUT"]
tails = [kv for kv in inputs if get(kv, "name") == ["tail"]]
if len(tails) != 1:
    errs.append("expected one tail input")
    tails = [[]]
tail = tails[0]
if get(tail, "path") != ["/var/log/authtrace/events.ndjson"]:
    errs.append(f"tail Path {get(tail, 'path')}")
if not set(get(tail, "parser")) <= parser_names or not get(tail, "parser"):
    errs.append(f"tail Parser {get(tail, 'parser')} not in {parser_names}")
formats = [get(kv, "format") for s, kv in psecs if s == "PARSER"]
if formats != [["json"]]:
    errs.append(f"expected one json parser, got formats {formats}")
tag = (get(tail, "tag") or [""])[0]
filters = [kv for s, kv in secs if s == "FILTER" and get(kv, "name") == ["rewrite_tag"]]
if len(filters) != 1:
    errs.append("expected one rewrite_tag filter")
    filters = [[]]
rt = filters[0]
if get(rt, "match") != [tag]:
    errs.append(f"rewrite_tag Match {get(rt, 'match')} != tail Tag {tag}")
rules = []
for r in get(rt, "rule"):
    key, regex, newtag, keep = r.split()
    m = re.fullmatch(r"\$(\w+)((?:\[(?:\d+|'[^']*')\])*)", key)
    if not m:
        errs.append(f"rule key {key} is not a record accessor")
        continue
    path = [m.group(1)] + [int(p) if p.isdigit() else p.strip("'")
                           for p in re.findall(r"\[(\d+|'[^']*')\]", m.group(2))]
    rules.append((path, re.compile(regex), newtag, keep))
    if keep != "true":
        errs.append("a rule drops the original event (KEEP is not true)")
# every finding position is covered
mx = int(re.search(r"#define\s+REQ_MAX_FINDINGS\s+(\d+)", open(request_h).read()).group(1)) \
    if os.path.exists(request_h) else 8
covered = {p[1] for p, *_ in rules if len(p) == 3 and p[0] == "findings" and p[2] == "severity"}
if covered != set(range(mx)):
    errs.append(f"rules cover findings positions {sorted(covered)}, REQ_MAX_FINDINGS is {mx}")
alert_tags = {t for _, _, t, _ in rules}
outputs = [kv for s, kv in secs if s == "OUTPUT"]
if not any(set(get(kv, "match")) & alert_tags for kv in outputs):
    errs.append(f"no output matches the alert tag {alert_tags}")
if not any(get(kv, "match") == [tag] for kv in outputs):
    errs.append(f"no output matches {tag} (every event)")
# the rules applied to the sample events (record accessor: a string value only)
def lookup(rec, path):
    for p in path:
        if isinstance(p, int):
            if not isinstance(rec, list) or p >= len(rec):
                return None
        elif not isinstance(rec, dict) or p not in rec:
            return None
        rec = rec[p]
    return rec if isinstance(rec, str) else None
alerts = []
for line in open(sample):
    ev = json.loads(line)
    for path, rx, newtag, keep in rules:
        v = lookup(ev, path)
        if v is not None and rx.search(v):
            alerts.append((ev.get("type"), ev.get("seq")))
            break
if alerts != [("request", 1), ("request", 5)]:
    errs.append(f"sample events alerted: {alerts}, expected requests 1 and 5 (an error finding at positions 1 and 7)")
print("\n".join(errs))
sys.exit(1 if errs else 0)
PY
	); then ok $name "rewrite_tag rules applied to sample events: exactly the 2 requests with an error finding alert"; else bad $name "$out"; fi
	if command -v fluent-bit >/dev/null; then
		if out=$(fluent-bit -c "$DEP/fluent-bit.conf" --dry-run 2>&1); then
			ok fluent-bit-dry-run
		else bad fluent-bit-dry-run "$out"; fi
	else
		skipped fluent-bit-dry-run "fluent-bit is not installed (not a Debian 12 package)"
	fi
}

# one output path everywhere
check_paths() {
	local name=output-path-consistency f missing=""
	local p=/var/log/authtrace/events.ndjson
	for f in authtrace.service authtrace.logrotate daemonset.yaml vector.toml fluent-bit.conf Dockerfile; do
		grep -q -- "$p" "$DEP/$f" || missing="$missing $f"
	done
	if [ -z "$missing" ]; then ok $name "$p"; else bad $name "not in:$missing"; fi
}

check_unit_static
check_unit_verify
check_unit_hardening
check_logrotate
check_yamllint
check_daemonset
skipped kubernetes-api-dry-run "no Kubernetes API server here (kubectl's dry-run needs one)"
check_dockerfile
skipped docker-build "no Docker daemon here; build with deploy/Dockerfile where there is one"
check_vector
check_fluent_bit
check_paths

echo "deploy: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
