#!/usr/bin/env bash
# Planted mutants: bugs a person might write, kept as patches under
# internal/mutation/planted/, run beside gremlins' operator mutants.
# Gremlins changes one operator at a time (a < made <=, a condition
# negated); the bugs people write are more often a dropped guard, a wrong
# page size, a lost list element, a swapped order or a case-folded match,
# and a suite can kill every operator mutant of a file and miss all of
# those. Each patch here is one such bug, written by hand, that the suite
# once let through; the test named in its header now catches it.
#
#   internal/mutation/planted.sh                  # every patch
#   internal/mutation/planted.sh 02 05            # patches whose names start so
#
# Each patch starts with comment lines:
#
#   # <where>: <the change>
#   # A user suffers: <what goes wrong for someone using the library>
#   # Caught by: <the tests that fail with it>
#   # Test: <the packages to test, as go test names them>
#
# followed by a unified diff against the repository's root (git diff
# output). Without a Test: line the packages of the files it changes are
# tested.
#
# The script copies the working tree (tracked and untracked files that are
# not ignored) into a temporary directory, once, and applies, tests and
# reverts each patch there: the source tree is never changed. For each patch
# it reports one of
#
#   killed    the patch applies and builds, and a test fails
#   SURVIVED  the patch applies and builds, and every test passes
#   STALE     the patch no longer applies to the code: rewrite it against
#             the code as it is now, or delete it if the code it changed
#             is gone
#   BROKEN    the patched code or its tests do not build
#
# and exits 1 unless every patch was killed. Logs go to $OUT (default: a new
# temporary directory), one per patch. TIMEOUT (default 10m) bounds each
# patch's go test run.
set -euo pipefail

cd "$(dirname "$0")/../.."
root=$(pwd)
OUT=${OUT:-$(mktemp -d)}
TIMEOUT=${TIMEOUT:-10m}
mkdir -p "$OUT"

patches=()
for p in internal/mutation/planted/*.patch; do
	[[ -e $p ]] || continue
	name=$(basename "$p" .patch)
	if [[ $# -gt 0 ]]; then
		keep=0
		for want in "$@"; do
			[[ $name == "$want"* ]] && keep=1
		done
		[[ $keep == 1 ]] || continue
	fi
	patches+=("$p")
done
if [[ ${#patches[@]} -eq 0 ]]; then
	echo "planted: no patch matches" >&2
	exit 2
fi

# One copy for every patch, at one path, so that the build cache serves
# the packages a patch does not touch.
copy=$(mktemp -d)
trap 'rm -rf "$copy"' EXIT
git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$copy"

killed=0 survived=0 stale=0 broken=0
for p in "${patches[@]}"; do
	name=$(basename "$p" .patch)
	log="$OUT/planted-$name.txt"
	suffers=$(sed -n 's/^# A user suffers: //p' "$p" | head -n 1)
	read -r -a pkgs <<<"$(sed -n 's/^# Test: //p' "$p" | head -n 1)"
	if [[ ${#pkgs[@]} -eq 0 ]]; then
		mapfile -t pkgs < <(sed -n 's|^+++ b/\(.*\)/[^/]*$|./\1|p' "$p" | sort -u)
	fi
	if ! (cd "$copy" && git apply --check "$root/$p") >"$log" 2>&1; then
		echo "STALE     $name: the patch no longer applies (see $log)"
		stale=$((stale + 1))
		continue
	fi
	(cd "$copy" && git apply "$root/$p")
	if (cd "$copy" && go test -timeout "$TIMEOUT" "${pkgs[@]}") >>"$log" 2>&1; then
		echo "SURVIVED  $name (${pkgs[*]}): $suffers"
		survived=$((survived + 1))
	elif grep -qE '\[(build|setup) failed\]' "$log"; then
		echo "BROKEN    $name: the patched code or its tests do not build (see $log)"
		broken=$((broken + 1))
	else
		failed=$(grep -E '^--- FAIL: ' "$log" | sed 's/^--- FAIL: \([^ ]*\).*/\1/' | sort -u | paste -sd, - || true)
		echo "killed    $name by ${failed:-a failing package}"
		killed=$((killed + 1))
	fi
	(cd "$copy" && git apply -R "$root/$p")
done

total=${#patches[@]}
echo "planted: $killed / $total killed, $survived survived, $stale stale, $broken broken (logs in $OUT)"
[[ $killed -eq $total ]]
