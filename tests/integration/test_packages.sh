#!/bin/bash
# packages ls/check on fixture images, healthy and with the servicing
# faults. What the image holds is read independently of ntmend: the
# Windows partition mounted read-only with ntfs-3g (FUSE), the SOFTWARE
# and COMPONENTS hives copied out and read with hivexsh/hivexget, the
# manifests judged with xmllint. Neither command may change a byte.
source "$(dirname "$0")/../lib.sh"

MKF=$NTM_TOOLS/mkfixture
CBS='Microsoft\Windows\CurrentVersion\Component Based Servicing'

# build NAME [mkfixture options]: an image in $T/NAME.img, mounted at
# $T/NAME.mnt; the hives copied to $T/NAME.SOFTWARE, $T/NAME.COMPONENTS.
build() {
	local name=$1 img
	shift
	img="$T/$name.img"
	if ! "$MKF" "$@" "$img" >"$T/mkf.log" 2>&1; then
		not_ok "$name: mkfixture failed: $(tail -1 "$T/mkf.log")"
		return 1
	fi
	t_mount "$img" "$T/$name.mnt" $(t_part "$img" 3) || {
		not_ok "$name: mount failed"
		return 1
	}
	cp "$T/$name.mnt/Windows/System32/config/SOFTWARE" "$T/$name.SOFTWARE"
	cp "$T/$name.mnt/Windows/System32/config/COMPONENTS" \
	    "$T/$name.COMPONENTS"
	chmod u+w "$T/$name.SOFTWARE" "$T/$name.COMPONENTS"
}

# The package keys of a SOFTWARE hive, as hivexsh lists them, sorted.
hive_packages() {
	printf 'cd \\%s\\Packages\nls\n' "$CBS" | hivexsh "$1" | LC_ALL=C sort
}

# Manifests in servicing\Packages that xmllint refuses or that are empty,
# as ntmend names them (Windows\servicing\Packages\NAME.mum), sorted.
damaged_manifests() {
	local f
	for f in "$1"/Windows/servicing/Packages/*.mum; do
		if [ ! -s "$f" ] || ! xmllint --noout --nonet "$f" 2>/dev/null
		then
			printf 'Windows\\servicing\\Packages\\%s\n' "$(basename "$f")"
		fi
	done | LC_ALL=C sort
}

# --- A healthy PC: every package listed, every manifest fine.
build healthy || exit 0
img="$T/healthy.img"
mnt="$T/healthy.mnt"
before=$(sha256sum <"$img")
out=$("$NTMEND" -t "$img" --json packages ls)
check_eq "healthy: ls exit status" "$?" 0
check_eq "healthy: schema" "$(jq -r .schema <<<"$out")" "ntmend.packages/1"
check_eq "healthy: the packages the SOFTWARE hive holds (hivexsh)" \
    "$(jq -r '.packages[].name' <<<"$out" | LC_ALL=C sort)" \
    "$(hive_packages "$T/healthy.SOFTWARE")"
check_eq "healthy: 11 packages" "$(jq '.packages | length' <<<"$out")" 11
# CurrentState of each, as hivexget reads it.
bad=
while read -r name value; do
	want=$(hivexget "$T/healthy.SOFTWARE" "$CBS\\Packages\\$name" \
	    CurrentState)
	[ "$value" = "$want" ] || bad="$bad $name:$value/$want"
done < <(jq -r '.packages[] | "\(.name) \(.state_value)"' <<<"$out")
check_eq "healthy: CurrentState of every package as hivexget reads it" \
    "$bad" ""
check_eq "healthy: 0x70 decoded" \
    "$(jq -r '[.packages[].state] | unique | join(",")' <<<"$out")" Installed
check_eq "healthy: every manifest and catalog ok" \
    "$(jq -r '[.packages[] | .manifest.status, .catalog.status] | unique |
    join(",")' <<<"$out")" ok
# Sizes as the FUSE mount shows them.
bad=
while read -r path size; do
	rel=${path//\\//}
	want=$(stat -c %s "$mnt/$rel")
	[ "$size" = "$want" ] || bad="$bad $rel:$size/$want"
done < <(jq -r '.packages[] | .manifest, .catalog | "\(.path) \(.size)"' \
    <<<"$out")
check_eq "healthy: manifest and catalog sizes as the mount shows" "$bad" ""
# The servicing stack: the value name under CBS\Version (hivexsh).
ss=$(printf 'cd \\%s\\Version\nlsval\n' "$CBS" | hivexsh "$T/healthy.SOFTWARE" |
    sed -n 's/^"\([^"]*\)"=.*/\1/p')
check_eq "healthy: servicing stack version from CBS\\Version" \
    "$(jq -r .servicing_stack.version <<<"$out")" "$ss"
check_eq "healthy: servicing stack package" \
    "$(jq -r .servicing_stack.update.package <<<"$out")" \
    "$(hive_packages "$T/healthy.SOFTWARE" | grep '^Package_for_ServicingStack')"
check_eq "healthy: the cumulative update and its KB (from its manifest)" \
    "$(jq -r '"\(.cumulative_update.package) \(.cumulative_update.kb)"' <<<"$out")" \
    "$(hive_packages "$T/healthy.SOFTWARE" | grep '^Package_for_RollupFix') $(
    xmllint --xpath 'string(//*[local-name()="package"]/@identifier)' \
    "$mnt"/Windows/servicing/Packages/Package_for_RollupFix*.mum)"
check_eq "healthy: COMPONENTS ServicingStackVersions" \
    "$(jq -r .servicing_stack.components_version <<<"$out")" \
    "$(printf 'cd \\ServicingStackVersions\nlsval\n' |
    hivexsh "$T/healthy.COMPONENTS" | sed -n 's/^"\([0-9.]*\) (.*/\1/p')"
"$NTMEND" -t "$img" packages check >"$T/out" 2>"$T/err"
check_eq "healthy: check exit status 0 (no false positive)" "$?" 0
check_match "healthy: check says 0 problems" "$(cat "$T/out")" '; 0 problems$'
check_eq "healthy: nothing on stderr" "$(cat "$T/err")" ""
"$NTMEND" -t "$img" packages ls >"$T/out"
check_match "healthy: ls text names the LCU" "$(cat "$T/out")" \
    'Cumulative update: KB5033372 Package_for_RollupFix~31bf3856ad364e35~amd64~~19041.3803.1.8 \(Installed\)'
check_eq "healthy: image byte-identical after ls/check" \
    "$(sha256sum <"$img")" "$before"
t_umount "$mnt"
rm -f "$img"

# --- package-manifest-corrupt: exactly the damaged manifests.
build corrupt --fault package-manifest-corrupt || exit 0
img="$T/corrupt.img"
mnt="$T/corrupt.mnt"
before=$(sha256sum <"$img")
out=$("$NTMEND" -t "$img" --json packages check)
check_eq "corrupt: check exit status 1" "$?" 1
want=$(damaged_manifests "$mnt")
check_eq "corrupt: xmllint finds two damaged manifests" \
    "$(wc -l <<<"$want")" 2
check_eq "corrupt: exactly the manifests xmllint refuses or that are empty" \
    "$(jq -r '.problems[] | select(.finding == "package-manifest-corrupt") |
    .path' <<<"$out" | LC_ALL=C sort)" "$want"
check_eq "corrupt: only manifest problems" \
    "$(jq -r '[.problems[].finding] | unique | join(",")' <<<"$out")" \
    package-manifest-corrupt
empty=$(find "$mnt/Windows/servicing/Packages" -name '*.mum' -empty)
check_match "corrupt: the empty one is the Intel FoD" "$empty" \
    'Intel-E1i68x64-FOD-Package'
check_eq "corrupt: the empty manifest reported empty" \
    "$(jq -r --arg n "$(basename "$empty" .mum)" '.packages[] |
    select(.name == $n) | "\(.manifest.status) \(.manifest.size)"' <<<"$out")" \
    "empty 0"
half=$(jq -r '.packages[] | select(.manifest.status == "malformed") | .name' \
    <<<"$out")
check_eq "corrupt: the cut one is the PMCPPC zh-CN FoD" "$half" \
    "Microsoft-Windows-Printing-PMCPPC-FoD-Package~31bf3856ad364e35~amd64~zh-CN~10.0.19041.1"
check_eq "corrupt: its size is what the mount shows" \
    "$(jq -r --arg n "$half" '.packages[] | select(.name == $n) |
    .manifest.size' <<<"$out")" \
    "$(stat -c %s "$mnt/Windows/servicing/Packages/$half.mum")"
check_match "corrupt: its reason says it was cut short" \
    "$(jq -r --arg n "$half" '.packages[] | select(.name == $n) |
    .manifest.reason' <<<"$out")" '^cut short: '
check_eq "corrupt: their catalogs are intact" \
    "$(jq -r '[.packages[].catalog.status] | unique | join(",")' <<<"$out")" ok
text=$("$NTMEND" -t "$img" packages check)
check_match "corrupt: text names the cut manifest with its size" "$text" \
    "package-manifest-corrupt: Windows\\\\servicing\\\\Packages\\\\$half.mum: malformed, [0-9]+ bytes: cut short"
check_match "corrupt: text counts 2 problems" "$text" '; 2 problems$'
check_eq "corrupt: ls still lists all 11" \
    "$("$NTMEND" -t "$img" --json packages ls | jq '.packages | length')" 11
check_eq "corrupt: image byte-identical" "$(sha256sum <"$img")" "$before"
t_umount "$mnt"
rm -f "$img"

# --- servicing-pending: each marker the fault writes, nothing else.
build pending --fault servicing-pending || exit 0
img="$T/pending.img"
mnt="$T/pending.mnt"
out=$("$NTMEND" -t "$img" --json packages check)
check_eq "pending: check exit status 1" "$?" 1
check_eq "pending: only servicing-pending problems" \
    "$(jq -r '[.problems[].finding] | unique | join(",")' <<<"$out")" \
    servicing-pending
check_eq "pending: pending.xml as the mount shows it" \
    "$(jq -r '.pending[] | select(.kind == "pending-xml") | .where' <<<"$out")" \
    "$([ -f "$mnt/Windows/WinSxS/pending.xml" ] && echo 'Windows\WinSxS\pending.xml')"
check_eq "pending: the InFlight files the mount shows" \
    "$(jq -r '.pending[] | select(.kind == "inflight") | .where' <<<"$out" |
    LC_ALL=C sort)" \
    "$(cd "$mnt" && find Windows/WinSxS/Temp/InFlight -type f | tr / '\\' |
    LC_ALL=C sort)"
# The identifier in COMPONENTS is the one pending.xml carries.
id=$(sed -n 's/.*<PendingTransaction[^>]* Identifier="\([0-9a-f]*\)".*/\1/p' \
    "$mnt/Windows/WinSxS/pending.xml")
check_eq "pending: PendingXmlIdentifier is pending.xml's Identifier" \
    "$(jq -r '.pending[] | select(.kind == "pending-xml-identifier") |
    .detail' <<<"$out")" "$id"
for key in RebootPending PackagesPending; do
	vals=$(printf 'cd \\%s\\%s\nlsval\n' "$CBS" "$key" |
	    hivexsh "$T/pending.SOFTWARE" | sed -n 's/^"\([^"]*\)"=.*/\1/p')
	check_match "pending: $key with its value as hivexsh lists it" \
	    "$(jq -r --arg k "$key" '.pending[] | select(.where | endswith($k)) |
	    .detail' <<<"$out")" "^$vals = 0x"
done
check_eq "pending: six markers" "$(jq '.pending | length' <<<"$out")" 6
check_eq "pending: manifests fine" \
    "$(jq -r '[.packages[].manifest.status] | unique | join(",")' <<<"$out")" ok
t_umount "$mnt"
rm -f "$img"

# --- ssu-missing: the downloaded LCU needs a newer servicing stack.
build ssu --fault ssu-missing || exit 0
img="$T/ssu.img"
mnt="$T/ssu.mnt"
out=$("$NTMEND" -t "$img" --json packages check)
check_eq "ssu: check exit status 1" "$?" 1
mum=$(cd "$mnt" && ls Windows/SoftwareDistribution/Download/*/update.mum)
need=$(xmllint --xpath 'string(//*[local-name()="installerAssembly"]/@version)' \
    "$mnt/$mum")
check_eq "ssu: one ssu-missing problem, at the downloaded update.mum" \
    "$(jq -r '.problems[] | select(.finding == "ssu-missing") | .path' <<<"$out")" \
    "$(tr / '\\' <<<"$mum")"
check_match "ssu: it names the stack the manifest needs and the installed" \
    "$(jq -r '.problems[] | select(.finding == "ssu-missing") | .detail' <<<"$out")" \
    "needs servicing stack $need; the installed one is $(jq -r \
    .servicing_stack.version <<<"$out")"
check_eq "ssu: the download's KB from its manifest" \
    "$(jq -r '.downloads[0].kb' <<<"$out")" \
    "$(xmllint --xpath 'string(//*[local-name()="package"]/@identifier)' "$mnt/$mum")"
check_eq "ssu: nothing else wrong" "$(jq '.problems | length' <<<"$out")" 1
t_umount "$mnt"
rm -f "$img"

# --- Usage.
"$NTMEND" -t "$T/none.img" packages 2>/dev/null
check_eq "usage: no subcommand" "$?" 2
"$NTMEND" -t "$T/none.img" packages bogus 2>/dev/null
check_eq "usage: unknown subcommand" "$?" 2
