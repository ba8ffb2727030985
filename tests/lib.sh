# tests/lib.sh: sourced by tests/integration/test_*.sh.
# Each check prints "ok - NAME" or "not ok - NAME" (counted by tests/run),
# with both values on failure. Every test gets a fresh temp directory $T,
# removed on exit along with any FUSE mount made with t_mount.
set -u
: "${NTM_TOP:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${NTM_BUILD:=$NTM_TOP/build/asan}"
: "${NTMEND:=$NTM_BUILD/ntmend}"
: "${NTM_TOOLS:=$NTM_BUILD/tools}"
: "${NTM_TESTDATA:=$(cd "$NTM_TOP/../shared/testdata" && pwd)}"
export NTM_TOP NTM_BUILD NTMEND NTM_TOOLS NTM_TESTDATA

T=$(mktemp -d "${TMPDIR:-/tmp}/ntmend-t.XXXXXX")
# golden's hash cache (packages/golden-cache.c): each test its own.
export NTMEND_CACHE_DIR=$T/cache
t_mounts=()
t_cleanup() {
	local m
	for m in "${t_mounts[@]}"; do
		fusermount -u "$m" 2>/dev/null || umount "$m" 2>/dev/null
	done
	rm -rf "$T"
}
trap t_cleanup EXIT

ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; }

# check NAME COMMAND...: passes when COMMAND exits 0.
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name (command failed: $*)"; fi
}

# check_fails NAME STATUS COMMAND...: passes when COMMAND exits with STATUS.
check_status() {
	local name=$1 want=$2 rc
	shift 2
	"$@"
	rc=$?
	if [ "$rc" -eq "$want" ]; then ok "$name"; else
		not_ok "$name (exit status $rc, wanted $want: $*)"; fi
}

# check_eq NAME GOT WANT
check_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else
		not_ok "$1"
		printf '#   got:  %s\n#   want: %s\n' "$2" "$3"
	fi
}

# check_match NAME TEXT REGEX (extended)
check_match() {
	if printf '%s' "$2" | grep -Eq -- "$3"; then ok "$1"; else
		not_ok "$1"
		printf '#   text: %s\n#   does not match: %s\n' "$2" "$3"
	fi
}

# t_mount IMAGE DIR [OFFSET SIZE]: read-only ntfs-3g FUSE mount. ntfs-3g
# ignores -o offset=, so a partition inside a disk image is mounted from a
# sparse copy of its bytes (no loop device needed).
t_mount() {
	local src=$1
	mkdir -p "$2"
	if [ -n "${3:-}" ]; then
		src="$T/part-$3.img"
		dd if="$1" of="$src" bs=1M iflag=skip_bytes,count_bytes \
		    skip="$3" count="$4" conv=sparse status=none || return 1
	fi
	ntfs-3g -o ro "$src" "$2" || return 1
	t_mounts+=("$2")
}

t_umount() {
	fusermount -u "$1"
}

# t_hive NAME: decompress a testdata hive into $T; prints the path.
t_hive() {
	local src="$NTM_TESTDATA/hives/$1"
	if [ -f "$src.xz" ]; then
		xz -dc "$src.xz" >"$T/$1"
	else
		cp "$src" "$T/$1"
	fi
	chmod u+w "$T/$1"
	echo "$T/$1"
}

# t_part IMAGE N: "OFFSET SIZE" in bytes of partition N, read by sfdisk
# (independently of ntmend).
t_part() {
	sfdisk -J "$1" | jq -r --arg n "$2" \
	    '.partitiontable as $t | $t.partitions[] |
	     select(.node | endswith($n)) | "\(.start * 512) \(.size * 512)"'
}

# t_tree_list IMAGE OUT: every name of the Windows partition (3) through
# a read-only mount: kind, links, size, SHA-256, NTFS attributes and a
# hash of the security descriptor, one line each, sorted.
t_tree_list() {
	local p
	t_mount "$1" "$T/mnt" $(t_part "$1" 3) || return 1
	(cd "$T/mnt" && find . -print0 | LC_ALL=C sort -z |
	    while IFS= read -r -d '' p; do
		if [ -f "$p" ] && [ ! -L "$p" ]; then
			printf 'f %s %s %s' "$(stat -c %h "$p")" "$(stat -c %s "$p")" \
			    "$(sha256sum <"$p" | cut -c1-64)"
		else
			printf '%s - - -' "$(stat -c %F "$p" | tr ' ' _)"
		fi
		printf ' %s %s %s\n' \
		    "$(getfattr -h -e hex -n system.ntfs_attrib_be "$p" 2>/dev/null | sed -n 's/^system.ntfs_attrib_be=//p')" \
		    "$(getfattr -h --only-values -n system.ntfs_acl "$p" 2>/dev/null | sha256sum | cut -c1-16)" \
		    "$p"
	    done) >"$2"
	t_umount "$T/mnt"
}

# t_mount_part_do IMAGE PART CMD...: CMD with partition PART of IMAGE
# mounted read-only at $T/mnt, unmounted (and its copy removed) after, so
# that ntmend never meets a mounted image.
t_mount_part_do() {
	local img=$1 part=$2 rc
	shift 2
	t_mount "$img" "$T/mnt" $(t_part "$img" "$part") || return 1
	"$@"
	rc=$?
	t_umount "$T/mnt"
	rm -f "$T"/part-*.img
	return $rc
}

# t_mount_do IMAGE CMD...: the same with the Windows partition (3).
t_mount_do() {
	local img=$1
	shift
	t_mount_part_do "$img" 3 "$@"
}

# t_vol_edit IMAGE PART COMMANDS: run COMMANDS (eval'd in the mount) in a
# read-write ntfs-3g mount at $T/rw of a copy of partition PART, then
# write the partition back into the image.
t_vol_edit() {
	local img=$1 off size rc
	read -r off size < <(t_part "$img" "$2")
	shift 2
	dd if="$img" of="$T/rw.img" bs=1M iflag=skip_bytes,count_bytes \
	    skip="$off" count="$size" conv=sparse status=none || return 1
	mkdir -p "$T/rw"
	ntfs-3g "$T/rw.img" "$T/rw" || return 1
	t_mounts+=("$T/rw")
	(cd "$T/rw" && eval "$*")
	rc=$?
	fusermount -u "$T/rw" || return 1
	dd if="$T/rw.img" of="$img" bs=1M oflag=seek_bytes seek="$off" \
	    conv=notrunc status=none || return 1
	rm -f "$T/rw.img"
	return $rc
}

# t_copy_out IMAGE PATH OUT: a file of the Windows partition (PATH with
# '/') copied out through a read-only mount.
t_copy_out() {
	t_mount_do "$1" cp "$T/mnt/$2" "$3"
}
