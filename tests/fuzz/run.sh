#!/bin/sh
# run.sh SECONDS FUZZER...: run each libFuzzer target for SECONDS on its corpus
# (tests/fuzz/corpus/<name without fuzz_>), in a scratch copy so the
# committed corpus only changes on purpose.  Fails if any target finds a crash.
set -u
secs=$1; shift
top=$(cd "$(dirname "$0")/../.." && pwd)
status=0 pass=0 fail=0
for f in "$@"; do
	name=$(basename "$f"); short=${name#fuzz_}
	work=$(mktemp -d /tmp/authtrace-fuzz-$short.XXXXXX)
	[ -d "$top/tests/fuzz/corpus/$short" ] && cp -r "$top/tests/fuzz/corpus/$short/." "$work/"
	echo "fuzz: $name for ${secs}s"
	if "$f" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
		-artifact_prefix="$top/tests/fuzz/$short-" -print_final_stats=1 "$work" \
		>"$work.log" 2>&1; then
		pass=$((pass + 1)); grep -E 'stat::number_of_executed_units' "$work.log" | sed 's/^/  /'
	else
		fail=$((fail + 1)); status=1; echo "FAIL: $name"; tail -n 30 "$work.log"
	fi
	rm -rf "$work" "$work.log"
done
echo "fuzz: $pass passed, $fail failed"
exit $status
