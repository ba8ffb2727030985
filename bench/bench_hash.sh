#!/bin/bash
# bench_hash: ntmend hash over a 20k-file tree on an image, against
# sha256sum over the same files through an ntfs-3g FUSE mount, both pinned
# to one CPU (unpinned FUSE timings swing 3x here). Best of 3 each, warm
# page cache for both. Prints the ratio; the goal is 0.2x or less.
set -eu
BUILD=${1:-build/release}
NFILES=${NFILES:-20000}
T=$(mktemp -d "${TMPDIR:-/tmp}/ntmend-bench.XXXXXX")
mnt="$T/mnt"
cleanup() { fusermount -u "$mnt" 2>/dev/null || true; rm -rf "$T"; }
trap cleanup EXIT

truncate -s 2G "$T/vol.img"
mkntfs -F -Q -L Windows "$T/vol.img" >/dev/null 2>&1
"$BUILD/bench/mkbulk" "$T/vol.img" "$NFILES" | sed 's/^/tree: /'
mkdir -p "$mnt"
ntfs-3g -o ro "$T/vol.img" "$mnt"

best() {	# best-of-3 wall time in seconds of a command
	local b="" s e t
	for _ in 1 2 3; do
		s=$(date +%s.%N)
		"$@" >/dev/null
		e=$(date +%s.%N)
		t=$(echo "$e - $s" | bc -l)
		if [ -z "$b" ] || [ "$(echo "$t < $b" | bc -l)" = 1 ]; then b=$t; fi
	done
	echo "$b"
}

# sha256sum is pinned (unpinned FUSE timings swing 3x here); the ntfs-3g
# daemon serving it runs unpinned on the other core. ntmend reads in one
# thread and hashes in another, so it is shown both ways: pinned (both
# threads on one core) and unpinned (like the FUSE daemon).
fuse_hash() { cd "$mnt/Windows/WinSxS" && find . -type f -print0 | taskset -c 0 xargs -0 sha256sum; }
ntm_hash() { taskset -c 0 "$BUILD/ntmend" -t "$T/vol.img" hash 'Windows\WinSxS'; }
ntm_hash2() { "$BUILD/ntmend" -t "$T/vol.img" hash 'Windows\WinSxS'; }

# Same digests, or the timing means nothing.
a=$(fuse_hash | awk '{print $1}' | sort | sha256sum)
b=$(ntm_hash | awk '{print $1}' | sort | sha256sum)
[ "$a" = "$b" ] || { echo "bench_hash: digests differ" >&2; exit 1; }

tf=$(best fuse_hash)
tn=$(best ntm_hash)
tu=$(best ntm_hash2)
printf 'hash %d files: sha256sum over FUSE (taskset -c 0) %.3fs\n' "$NFILES" "$tf"
printf '  ntmend pinned to one core: %.3fs, ratio %.3fx\n' "$tn" "$(echo "$tn / $tf" | bc -l)"
printf '  ntmend unpinned (reader + hasher threads): %.3fs, ratio %.3fx (goal <= 0.2x)\n' \
    "$tu" "$(echo "$tu / $tf" | bc -l)"
