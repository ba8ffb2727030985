#!/bin/bash
# hash agrees with sha256sum of the same files read through an ntfs-3g
# FUSE mount, for single files, hard links and whole directories.
source "$(dirname "$0")/../lib.sh"

img="$T/pc.img"
"$NTM_TOOLS/mkfixture" "$img" >"$T/mkf.log" 2>&1 || {
	not_ok "mkfixture failed: $(tail -1 "$T/mkf.log")"; exit 1; }
t_mount "$img" "$T/mnt" $(t_part "$img" 3)

files=(Windows/System32/config/SYSTEM Windows/System32/config/SOFTWARE
    Windows/System32/GroupPolicy/Machine/registry.pol)
for f in "${files[@]}"; do
	want=$(sha256sum "$T/mnt/$f" | cut -d' ' -f1)
	# Mixed case and backslashes: Windows paths, case-insensitive.
	winpath=$(echo "$f" | tr '/' '\\' | tr 'a-z' 'A-Z')
	got=$("$NTMEND" -t "$img" hash "$winpath" | cut -d' ' -f1)
	check_eq "hash $f" "$got" "$want"
done

# A whole directory: every file, same digests as sha256sum over FUSE.
(cd "$T/mnt/Windows/servicing/Packages" && find . -type f -printf '%P\n' |
    sort | xargs -d '\n' sha256sum) | awk '{print $1}' | sort >"$T/want"
"$NTMEND" -t "$img" hash 'windows\servicing\packages' | awk '{print $1}' |
    sort >"$T/got"
check "hash of a directory equals sha256sum through FUSE" cmp -s "$T/got" "$T/want"
check_match "directory has files" "$(wc -l <"$T/want")" '^[1-9]'

# JSON carries path, digest and size.
out=$("$NTMEND" -t "$img" --json hash 'Windows\System32\config\SYSTEM')
check_eq "json digest" "$(jq -r '.files[0].sha256' <<<"$out")" \
    "$(sha256sum "$T/mnt/Windows/System32/config/SYSTEM" | cut -d' ' -f1)"
check_eq "json size" "$(jq -r '.files[0].size' <<<"$out")" \
    "$(stat -c %s "$T/mnt/Windows/System32/config/SYSTEM")"

# A missing file: an error line, the others still hashed, exit 1.
out=$("$NTMEND" -t "$img" hash 'Windows\nope.dll' 'Windows\System32\config\SYSTEM' 2>"$T/err")
check_eq "missing file: exit 1" "$?" 1
check_match "missing file: named" "$(cat "$T/err")" 'nope.dll'
check_eq "missing file: the other still hashed" "$(wc -l <<<"$out")" 1
t_umount "$T/mnt"
