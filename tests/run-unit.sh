#!/bin/sh
# Run each cmocka unit test binary; print a closing "N passed, N failed" line.
# Exit non-zero if any binary fails.
pass=0; fail=0
for t in "$@"; do
	if "$t"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAILED: $t"; fi
done
echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
