#!/usr/bin/env bash
# Mutation testing of the library and the fake, as a habit: run it before a
# change that touches the engine, the evaluator or the fake, and compare the
# score (gremlins calls it efficacy: killed / (killed + lived)) with the last
# one. It is too slow for CI: every mutant rebuilds and runs a package's
# tests.
#
# Beside gremlins' operator mutants it runs the planted ones: realistic
# bugs kept as patches under internal/mutation/planted/ (planted.sh says
# how they are written and run, in a temporary copy of the tree). Gremlins
# alone scored 100 % on files where such bugs went unnoticed.
#
#   internal/mutation/run.sh                 # both packages, then the planted mutants
#   internal/mutation/run.sh fake            # one of them
#   internal/mutation/run.sh planted         # the planted mutants only
#   WORKERS=1 internal/mutation/run.sh -E '^ops\.go$' fake
#   ONLY='^(share_.*|merge|plan|check)\.go$' internal/mutation/run.sh encryptperm
#
# Arguments before the package names are passed to gremlins (for example
# -E to leave files out). ONLY, a regular expression, keeps the files of
# each package whose names match it: the others, and the packages below,
# are left out with -E (gremlins' -E can only leave out, and its patterns
# are matched against paths relative to the package). Results go to $OUT
# (default: a new temporary directory): one .txt log and one .json report
# per package (encryptperm-policy for encryptperm/policy), and one log per
# planted mutant. The script fails when a planted mutant survives or no
# longer applies.
#
# Gremlins reports a mutant on a case line (case a == b:) as not covered
# and never runs it: its coverage blocks leave case expressions out, though
# the tests run them. So after gremlins, the script runs each such mutant
# itself (internal/mutation/plant -op, in a temporary copy of the tree),
# with the tests of its package as gremlins would, and writes the results to a
# -cases.txt log beside gremlins' own (CASES=0 leaves this out; CASES=only
# runs just this pass, from the gremlins logs a run left in $OUT).
set -euo pipefail

cd "$(dirname "$0")/../.."
GREMLINS=${GREMLINS:-github.com/go-gremlins/gremlins/cmd/gremlins@v0.6.0}
WORKERS=${WORKERS:-2}
# Each mutant's test run may take this many times the unmutated run (the
# coverage run, whose build is mostly cached): a mutant's run rebuilds the
# package and its tests, shared machines are slow, and a mutant that makes
# a test hang is cut off there and counted as timed out.
COEFF=${COEFF:-20}
CASES=${CASES:-1}
# CASE_TIMEOUT bounds each test run of the case-line pass.
CASE_TIMEOUT=${CASE_TIMEOUT:-10m}
# Gremlins times that coverage run; served from the test cache it takes a
# second, and every mutant would time out. -count=1 keeps it honest.
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-count=1"
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"

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
[[ ${#pkgs[@]} -gt 0 ]] || pkgs=(encryptperm fake planted)

# cases runs the mutants gremlins reported not covered on case lines of
# package $1, whose gremlins log is $2.txt, and writes $2-cases.txt.
cases() {
	local p=$1 log=$2 work rc f line col type pos src
	local killed=0 lived=0 other=0
	work=$(mktemp -d)
	git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf "$work/tree.tar"
	mkdir "$work/tree"
	tar -xf "$work/tree.tar" -C "$work/tree"
	go build -o "$work/plant" ./internal/mutation/plant
	: >"$log-cases.txt"
	while read -r type pos; do
		IFS=: read -r f line col <<<"$pos"
		src=$(sed -n "${line}p" "$p/$f")
		[[ $src =~ ^[[:space:]]*case[[:space:]] ]] || continue
		rc=0
		# Neither the tool nor the tests may read the loop's list of mutants
		# on standard input.
		"$work/plant" -C "$work/tree" -op "$type" -at "$p/$f:$line:$col" </dev/null >/dev/null 2>>"$log-cases.txt" || rc=$?
		if [[ $rc -ne 0 ]]; then
			printf '%12s %s at %s\n' "NOT APPLIED" "$type" "$pos" >>"$log-cases.txt"
			other=$((other + 1))
			continue
		fi
		rc=0
		(cd "$work/tree" && go test -failfast -timeout "$CASE_TIMEOUT" "./$(dirname "$p/$f")") </dev/null >"$work/test.txt" 2>&1 || rc=$?
		# A run cut off by its timeout is a mutant that made a test hang:
		# killed, but its log is kept, since a test should end, not hang.
		if grep -q 'panic: test timed out' "$work/test.txt"; then
			cp "$work/test.txt" "$log-cases-timeout-$(basename "$f" .go)-$line-$col.txt"
		fi
		if [[ $rc -eq 0 ]]; then
			printf '%12s %s at %s\n' LIVED "$type" "$pos" >>"$log-cases.txt"
			lived=$((lived + 1))
		elif grep -qE '\[(build|setup) failed\]' "$work/test.txt"; then
			printf '%12s %s at %s\n' "NOT VIABLE" "$type" "$pos" >>"$log-cases.txt"
			other=$((other + 1))
		else
			printf '%12s %s at %s\n' KILLED "$type" "$pos" >>"$log-cases.txt"
			killed=$((killed + 1))
		fi
		tar -xf "$work/tree.tar" -C "$work/tree" "$p/$f"
	done < <(sed -n 's/^ *NOT COVERED \([A-Z_]*\) at \(.*\)$/\1 \2/p' "$log.txt")
	rm -rf "$work"
	echo "Case lines: killed $killed, lived $lived, not applied or not viable $other" | tee -a "$log-cases.txt"
	grep -E '^ *LIVED ' "$log-cases.txt" || true
}

planted=0
for p in "${pkgs[@]}"; do
	if [[ $p == planted ]]; then
		planted=1
		continue
	fi
	only=()
	if [[ -n ${ONLY:-} ]]; then
		only=(-E /)
		for f in "$p"/*.go; do
			b=$(basename "$f")
			[[ $b == *_test.go ]] && continue
			grep -qE "$ONLY" <<<"$b" && continue
			only+=(-E "^${b//./\\.}\$")
		done
	fi
	log=$OUT/${p//\//-}
	if [[ $CASES == only ]]; then
		echo "== mutants on case lines of ./$p, which gremlins does not run (log $log-cases.txt)"
		cases "$p" "$log"
		continue
	fi
	echo "== mutation testing ./$p (log $log.txt)"
	go run "$GREMLINS" unleash --workers "$WORKERS" --test-cpu 1 --timeout-coefficient "$COEFF" \
		-o "$log.json" "${extra[@]}" "${only[@]}" "./$p" >"$log.txt" 2>&1
	tail -n 8 "$log.txt"
	echo "survivors:"
	grep -E '^ *LIVED ' "$log.txt" || echo "  none"
	if [[ $CASES == 1 ]]; then
		echo "== mutants on case lines of ./$p, which gremlins does not run (log $log-cases.txt)"
		cases "$p" "$log"
	fi
done

if [[ $planted == 1 ]]; then
	echo "== planted mutants (logs in $OUT)"
	OUT=$OUT internal/mutation/planted.sh
fi
