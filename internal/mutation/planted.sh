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
# followed by the change, found by its text, not by file and line, so that
# it outlives the code moving between files and packages: a package
# directory, then the lines to replace and the lines that replace them,
#
#   package encryptperm
#   === old
#   	imageAccountsPerCall = 10
#   === new
#   	imageAccountsPerCall = 11
#   === end
#
# (more pairs may follow), where the old lines must occur exactly once
# among the package's non-test .go files; or else a unified diff (git diff
# output), whose hunks are sought the same way. internal/mutation/plant
# applies them and says more. Without a Test: line the packages of the
# files it changes are tested.
#
# The script copies the working tree (tracked and untracked files that are
# not ignored) into a temporary directory, once, and applies, tests and
# reverts each patch there: the source tree is never changed. For each patch
# it reports one of
#
#   killed    the patch applies and builds, and a test fails
#   SURVIVED  the patch applies and builds, and every test passes
#   STALE     the code the patch changes is not found exactly once (not in
#             its package, nor, when it moved, elsewhere in the module):
#             rewrite it against the code as it is now, or delete it if the
#             code it changed is gone
#   BROKEN    the patched code or its tests do not build, or the patch
#             cannot be read
#
# A patch whose code has moved out of the package it names is still run,
# and its line says so. The script exits 1 unless every patch was killed.
# Logs go to $OUT (default: a new temporary directory), one per patch.
# TIMEOUT (default 10m) bounds each patch's go test run.
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
# the packages a patch does not touch; the tarball it is made from puts
# back what a patch changed.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
copy=$work/tree
mkdir "$copy"
git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf "$work/tree.tar"
tar -xf "$work/tree.tar" -C "$copy"
go build -o "$work/plant" ./internal/mutation/plant

killed=0 survived=0 stale=0 broken=0
for p in "${patches[@]}"; do
	name=$(basename "$p" .patch)
	log="$OUT/planted-$name.txt"
	suffers=$(sed -n 's/^# A user suffers: //p' "$p" | head -n 1)
	read -r -a pkgs <<<"$(sed -n 's/^# Test: //p' "$p" | head -n 1)"
	rc=0
	"$work/plant" -C "$copy" "$root/$p" >"$work/changed" 2>"$log" || rc=$?
	if [[ $rc -eq 3 ]]; then
		echo "STALE     $name: $(sed -n 's/^plant: stale: //p' "$log" | head -n 1)"
		stale=$((stale + 1))
		continue
	elif [[ $rc -ne 0 ]]; then
		echo "BROKEN    $name: the patch cannot be applied (see $log)"
		broken=$((broken + 1))
		continue
	fi
	mapfile -t changed <"$work/changed"
	if [[ ${#pkgs[@]} -eq 0 ]]; then
		mapfile -t pkgs < <(for f in "${changed[@]}"; do echo "./$(dirname "$f")"; done | sort -u)
	fi
	moved=""
	if grep -q 'but the code is now in' "$log"; then
		moved=" [moved: $(sed -n 's/.*but the code is now in \([^:]*\):.*/\1/p' "$log" | sort -u | paste -sd, -); update its package line]"
	fi
	if (cd "$copy" && go test -timeout "$TIMEOUT" "${pkgs[@]}") >>"$log" 2>&1; then
		echo "SURVIVED  $name (${pkgs[*]}): $suffers$moved"
		survived=$((survived + 1))
	elif grep -qE '\[(build|setup) failed\]' "$log"; then
		echo "BROKEN    $name: the patched code or its tests do not build (see $log)$moved"
		broken=$((broken + 1))
	else
		failed=$(grep -E '^--- FAIL: ' "$log" | sed 's/^--- FAIL: \([^ ]*\).*/\1/' | sort -u | paste -sd, - || true)
		echo "killed    $name by ${failed:-a failing package}$moved"
		killed=$((killed + 1))
	fi
	tar -xf "$work/tree.tar" -C "$copy" "${changed[@]}"
done

total=${#patches[@]}
echo "planted: $killed / $total killed, $survived survived, $stale stale, $broken broken (logs in $OUT)"
[[ $killed -eq $total ]]
