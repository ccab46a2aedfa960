#!/usr/bin/env bash
# Runs every test/**/*.test.ts (compiled to build/test) with node's test runner, one file at a time:
# the end-to-end tests measure frame rates, and two cores shared by parallel files would skew them.
# Pass file name filters to run a subset: `bash test/run-all.sh redis api`.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(find test -name '*.test.ts' | sort | sed -e 's#^#build/#' -e 's#\.ts$#.js#')
if [ $# -gt 0 ]; then
  pattern=$(IFS='|'; echo "$*")
  mapfile -t files < <(printf '%s\n' "${files[@]}" | grep -E "$pattern")
fi
exec node --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
