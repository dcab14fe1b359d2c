#!/bin/sh
# Install what authtrace needs to build and test, from Debian 12's packages.
# Idempotent: installs only what is missing.  Needs root.
# (node-llhttp: the C sources of node's HTTP parser, make bench's reference
# for the collector; nothing in authtrace uses it.)
set -eu

PKGS="make clang llvm libclang-rt-14-dev libbpf-dev bpftool libelf-dev zlib1g-dev libcjson-dev libnghttp2-dev
libssl-dev libcmocka-dev pkg-config openssl curl python3 nodejs ca-certificates
procps util-linux systemd logrotate yamllint python3-yaml
node-llhttp"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# a node already on PATH (e.g. from NodeSource) is as good as Debian's nodejs
if command -v node >/dev/null 2>&1; then
	missing=$(echo "$missing" | sed 's/ nodejs//')
fi
if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "install-deps: missing packages:$missing (run as root to install them)" >&2
		exit 1
	fi
	echo "install-deps: installing$missing"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
# libbpf attaches tracepoints through tracefs
if [ ! -d /sys/kernel/tracing/events ] && [ "$(id -u)" = 0 ]; then
	mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null || true
fi
echo "install-deps: all build and test dependencies are present"
