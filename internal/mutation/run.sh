#!/usr/bin/env bash
# Mutation testing of the library and the fake, as a habit: run it before a
# change that touches the engine, the evaluator or the fake, and compare the
# score (gremlins calls it efficacy: killed / (killed + lived)) with the last
# one. It is too slow for CI: every mutant rebuilds and runs a package's
# tests.
#
#   internal/mutation/run.sh                 # both packages
#   internal/mutation/run.sh fake            # one of them
#   WORKERS=1 internal/mutation/run.sh -E '^ops\.go$' fake
#
# Arguments before the package names are passed to gremlins (for example
# -E to leave files out). Results go to $OUT (default: a new temporary
# directory): one .txt log and one .json report per package.
set -euo pipefail

cd "$(dirname "$0")/../.."
GREMLINS=${GREMLINS:-github.com/go-gremlins/gremlins/cmd/gremlins@v0.6.0}
WORKERS=${WORKERS:-2}
# Each mutant's test run may take this many times the unmutated run: the
# rebuild of the package under test dominates, and shared machines are slow.
COEFF=${COEFF:-60}
OUT=${OUT:-$(mktemp -d)}

extra=()
while [[ $# -gt 0 && $1 == -* ]]; do
	extra+=("$1")
	if [[ $1 == -E || $1 == --exclude-files ]]; then
		extra+=("$2")
		shift
	fi
	shift
done
pkgs=("$@")
[[ ${#pkgs[@]} -gt 0 ]] || pkgs=(encryptperm fake)

for p in "${pkgs[@]}"; do
	echo "== mutation testing ./$p (log $OUT/$p.txt)"
	go run "$GREMLINS" unleash --workers "$WORKERS" --test-cpu 1 --timeout-coefficient "$COEFF" \
		-o "$OUT/$p.json" "${extra[@]}" "./$p" >"$OUT/$p.txt" 2>&1
	tail -n 8 "$OUT/$p.txt"
	echo "survivors:"
	grep -E '^ *LIVED ' "$OUT/$p.txt" || echo "  none"
done
