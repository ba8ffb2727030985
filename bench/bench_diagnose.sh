#!/bin/bash
# bench_diagnose: `ntmend diagnose` on a realistic volume against one plain
# read of the same files through the same layer (`ntmend hash` over the
# image: libntfs-3g + SHA-256). The volume: mkfixture (gpt, 2 GiB Windows
# partition, SYSTEM = regipy's SYSTEM_B, 12.8 MB), grown by bench/mkdiag
# through the volume layer: SOFTWARE re-written as a 60 MB+ hive holding
# 15,000 more Component Based Servicing\Packages keys (see mkdiag.c for why
# not hivex_node_add_child), a .mum and a .cat for each in
# servicing\Packages, a 50 MB CBS.log. Best of 3 (wall and CPU time, both
# on a warm page cache); peak RSS of diagnose from /usr/bin/time -v. Goals:
# ratio <= 3x, peak RSS < 256 MB. The baseline hashes every byte of those
# files, .cat included (159 MB), while diagnose reads only a .cat's first
# bytes. mkdiag takes ~10 minutes (30k files created in one NTFS folder).
set -eu
BUILD=${1:-build/release}
NPKG=${NPKG:-15000}
SOFT_MB=${SOFT_MB:-60}
LOG_MB=${LOG_MB:-50}
NTMEND=$(cd "$BUILD" && pwd)/ntmend
T=$(mktemp -d "${TMPDIR:-/tmp}/ntmend-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT

img=$T/vol.img
"$BUILD/tools/mkfixture" --size 2048 "$img" >"$T/fixture.txt"
read -r off size < <(awk '$1 == "partition" && $3 == "windows" { print $5, $7 }' "$T/fixture.txt")
"$BUILD/bench/mkdiag" "$img" "$off" "$size" "$NPKG" "$SOFT_MB" "$LOG_MB" | sed 's/^/volume: /'

CFG='Windows\System32\config'
files=("$CFG\\SYSTEM" "$CFG\\SOFTWARE" "$CFG\\COMPONENTS" 'Windows\servicing\Packages'
    'Windows\Logs\CBS\CBS.log')
run_diag() { "$NTMEND" -t "$img" diagnose; }
run_hash() { "$NTMEND" -t "$img" hash "${files[@]}"; }

# Both must work, or the timing means nothing.
set +e
run_diag >"$T/diag.out" 2>&1; rc=$?
set -e
[ "$rc" -le 1 ] || { echo "bench_diagnose: diagnose exit $rc:" >&2; cat "$T/diag.out" >&2; exit 1; }
np=$("$NTMEND" -t "$img" packages ls | grep -c "~31bf3856ad364e35~" || true)
[ "$np" -ge "$NPKG" ] || { echo "bench_diagnose: packages ls lists $np packages" >&2; exit 1; }
nh=$(run_hash | wc -l)
[ "$nh" -ge $((2 * NPKG + 4)) ] || { echo "bench_diagnose: hash listed $nh files" >&2; exit 1; }

measure() {	# NAME: "WALL CPU"
	local r
	r=$( { TIMEFORMAT='%R %U %S'; time "run_$1" >/dev/null 2>&1; } 2>&1 )
	awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }' <<<"$r"
}
declare -A wall cpu
for _ in 1 2 3; do
	for k in hash diag; do
		read -r w c < <(measure "$k")
		if [ -z "${wall[$k]:-}" ] || [ "$(echo "$w < ${wall[$k]}" | bc -l)" = 1 ]; then wall[$k]=$w; fi
		if [ -z "${cpu[$k]:-}" ] || [ "$(echo "$c < ${cpu[$k]}" | bc -l)" = 1 ]; then cpu[$k]=$c; fi
	done
done
rss=$(/usr/bin/time -v "$NTMEND" -t "$img" diagnose 2>&1 >/dev/null |
    awk -F: '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }')
hrss=$(/usr/bin/time -v "$NTMEND" -t "$img" hash "${files[@]}" 2>&1 >/dev/null |
    awk -F: '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }')

echo "load: $(uptime)"
printf 'diagnose (%d packages listed, SOFTWARE %s MB, CBS.log %s MB): %.3fs wall, %.3fs CPU; peak RSS %s MB (goal < 256 MB)\n' \
    "$np" "$SOFT_MB" "$LOG_MB" "${wall[diag]}" "${cpu[diag]}" "$rss"
printf 'baseline: hash of the same %d files: %.3fs wall, %.3fs CPU; peak RSS %s MB\n' \
    "$nh" "${wall[hash]}" "${cpu[hash]}" "$hrss"
printf 'diagnose / plain read: ratio %.2fx wall, %.2fx CPU (goal <= 3x)\n' \
    "$(echo "${wall[diag]} / ${wall[hash]}" | bc -l)" "$(echo "${cpu[diag]} / ${cpu[hash]}" | bc -l)"
