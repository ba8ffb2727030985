#!/bin/bash
# mkfixture builds what tests/fixture/README.md says, checked without ntmend:
# sfdisk, blkid, ntfs-3g (FUSE, read-only), ntfsinfo, hivexget, mtools, gcab.
# Five images: clean GPT (defaults), GPT with every fault but BitLocker, MBR
# with another identity and SYSTEM hive, GPT BitLocker, bare NTFS. Each
# fault's evidence is looked for in the faulty image and its absence in the
# clean one.
source "$(dirname "$0")/../lib.sh"

MKF="$NTM_TOOLS/mkfixture"
TD="$NTM_TESTDATA"
mkdir -p "$T/tmp" "$T/h"

# build NAME ARGS...: $T/NAME.img, the tool's summary in $T/NAME.out.
build() {
	local name=$1
	shift
	if TMPDIR="$T/tmp" "$MKF" "$@" "$T/$name.img" >"$T/$name.out" \
	    2>"$T/$name.err"; then
		ok "mkfixture builds $name"
	else
		not_ok "mkfixture builds $name: $(tail -1 "$T/$name.err")"
		return 1
	fi
}

pjson() { sfdisk -J "$1"; }
# Offset and size in bytes of partition N, from the partition table.
part_off() { pjson "$1" | jq ".partitiontable.partitions[$2 - 1].start * 512"; }
part_size() { pjson "$1" | jq ".partitiontable.partitions[$2 - 1].size * 512"; }
# blkid's view of the filesystem at partition N.
fsval() { blkid -p -O "$(part_off "$1" "$2")" -s "$3" -o value "$1"; }

# extract IMG N FILE: the partition as a sparse file (ntfs-3g 2022.10 has no
# offset= option; the image is never mounted read-write).
extract() {
	dd if="$1" of="$3" bs=1M iflag=skip_bytes,count_bytes conv=sparse \
	    skip="$(part_off "$1" "$2")" count="$(part_size "$1" "$2")" \
	    status=none
}

# mountpart IMG N DIR: read-only FUSE mount of partition N (DIR.part kept
# for ntfsinfo).
mountpart() {
	extract "$1" "$2" "$3.part" && t_mount "$3.part" "$3"
}

# hv HIVE KEY [VALUE]: hivexget, errors silenced (a missing key is a
# result here).
hv() { hivexget "$@" 2>/dev/null; }
# Sequence numbers of a hive: "seq1 seq2".
seqs() { od -An -tu4 -j4 -N8 "$1" | awk '{print $1, $2}'; }
has() { [ -e "$1" ]; }
hasnt() { [ ! -e "$1" ]; }
# Namespace(s) of a path's $FILE_NAME attributes.
namespace() {
	ntfsinfo -F "$2" "$1" 2>/dev/null | awk '/Namespace:/ {print $2}' |
	    sort -u | tr '\n' ' '
}
utf16() { printf '%s' "$1" | iconv -f UTF-8 -t UTF-16LE; }
u32() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; }
# le32 FILE OFFSET VALUE: write a little-endian DWORD in place.
le32() {
	printf "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($3 & 255)) \
	    $(($3 >> 8 & 255)) $(($3 >> 16 & 255)) $(($3 >> 24 & 255)))" |
	    dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
# replay HIVE LOG OUT: apply the first HvLE entry of LOG to a copy of HIVE,
# here, without ntmend: its dirty pages at 4096 + offset, the hive bins
# size it gives, both sequence numbers = the entry's, the XOR checksum.
replay() {
	local e=512 n hb off size data i x=0
	cp "$1" "$3"
	n=$(u32 "$2" $((e + 20)))
	hb=$(u32 "$2" $((e + 16)))
	data=$((e + 40 + 8 * n))
	for ((i = 0; i < n; i++)); do
		off=$(u32 "$2" $((e + 40 + 8 * i)))
		size=$(u32 "$2" $((e + 44 + 8 * i)))
		dd if="$2" of="$3" bs=4096 iflag=skip_bytes,count_bytes \
		    oflag=seek_bytes skip="$data" seek=$((4096 + off)) \
		    count="$size" conv=notrunc status=none
		data=$((data + size))
	done
	le32 "$3" 40 "$hb"
	le32 "$3" 4 "$(u32 "$2" $((e + 12)))"
	le32 "$3" 8 "$(u32 "$2" $((e + 12)))"
	for w in $(od -An -tu4 -N508 -v "$3"); do x=$((x ^ w)); done
	le32 "$3" 508 "$x"
}

SW='Microsoft\Windows NT\CurrentVersion'
CBS='Microsoft\Windows\CurrentVersion\Component Based Servicing'
SVC='ControlSet001\Services'

t0=$(date +%s)

# ---------------------------------------------------------------- clean GPT
build clean || exit 1
img="$T/clean.img"
check_eq "gpt: label" "$(pjson "$img" | jq -r .partitiontable.label)" gpt
check_eq "gpt: types" "$(pjson "$img" |
    jq -r '[.partitiontable.partitions[].type] | join(" ")')" \
    "C12A7328-F81F-11D2-BA4B-00A0C93EC93B E3C9E316-0B5C-4DB8-817D-F92DF00215AE EBD0A0A2-B9E5-4433-87C0-68B6B72699C7 DE94BBA4-06D1-4D40-A16A-BFD50179D6AC"
check_eq "gpt: Windows' partition names" "$(pjson "$img" |
    jq -r '.partitiontable.partitions | map(.name // "") | join("|")')" \
    "EFI system partition|Microsoft reserved partition|Basic data partition|"
check_eq "gpt: sizes in MiB" "$(pjson "$img" |
    jq -r '[.partitiontable.partitions[].size / 2048] | join(" ")')" \
    "100 16 1024 600"
check_eq "gpt: 1 MiB alignment" "$(pjson "$img" |
    jq '[.partitiontable.partitions[].start % 2048] | add')" 0
check_eq "gpt: WinRE required, no drive letter" "$(pjson "$img" |
    jq -r '.partitiontable.partitions[3].attrs')" "RequiredPartition GUID:63"
check "image is sparse" test "$(du -k "$img" | cut -f1)" -lt 150000
check_eq "ESP: FAT32" "$(fsval "$img" 1 TYPE)/$(fsval "$img" 1 VERSION)" \
    vfat/FAT32
check_eq "ESP: label" "$(fsval "$img" 1 LABEL)" SYSTEM
check_eq "Windows: NTFS" "$(fsval "$img" 3 TYPE)" ntfs
check_eq "Windows: label" "$(fsval "$img" 3 LABEL)" Windows
check_eq "WinRE: NTFS label" "$(fsval "$img" 4 LABEL)" "Windows RE tools"

extract "$img" 1 "$T/esp.part"
check_match "ESP: boot manager" "$(mdir -b -i "$T/esp.part" \
    ::/EFI/Microsoft/Boot 2>/dev/null)" 'bootmgfw\.efi'
check_match "ESP: fallback loader" "$(mdir -b -i "$T/esp.part" \
    ::/EFI/Boot 2>/dev/null)" 'bootx64\.efi'
mcopy -i "$T/esp.part" ::/EFI/Microsoft/Boot/BCD "$T/h/BCD" 2>/dev/null
check_eq "ESP: BCD is a hive" "$(head -c 4 "$T/h/BCD")" regf
rm -f "$T/esp.part"

W="$T/cw"
mountpart "$img" 3 "$W" || not_ok "mount clean Windows partition"
for f in Windows/System32/config/{SYSTEM,SYSTEM.LOG1,SYSTEM.LOG2,SOFTWARE} \
    Windows/System32/config/{COMPONENTS,DEFAULT,SAM,SECURITY} \
    Windows/System32/GroupPolicy/Machine/registry.pol \
    Windows/Logs/CBS/CBS.log Windows/Logs/DISM/dism.log \
    Windows/SoftwareDistribution/Download Windows/System32/catroot2 \
    Windows/System32/Recovery/ReAgent.xml Windows/servicing/TrustedInstaller.exe \
    Users "Program Files" "Program Files (x86)"; do
	check "clean: $f" has "$W/$f"
done
check "clean: no pagefile.sys" hasnt "$W/pagefile.sys"
check_eq "clean: TxR logs" "$(ls "$W/Windows/System32/config/TxR" |
    grep -cE '^\{[0-9a-f-]{36}\}\.TxR\.([0-2]\.regtrans-ms|blf)$')" 4
P="$W/Windows/servicing/Packages"
nmum=$(ls "$P" | grep -c '\.mum$')
check_match "clean: packages" "$nmum" '^1[0-9]$'
check_eq "clean: a .cat per .mum" "$(ls "$P" | grep -c '\.cat$')" "$nmum"
check "clean: PMCPPC zh-CN FoD of the case" has \
    "$P/Microsoft-Windows-Printing-PMCPPC-FoD-Package~31bf3856ad364e35~amd64~zh-CN~10.0.19041.1.mum"
check "clean: the LCU" has \
    "$P/Package_for_RollupFix~31bf3856ad364e35~amd64~~19041.3803.1.8.mum"
bad=""
for f in "$P"/*.mum; do
	n=$(basename "$f" .mum)
	IFS='~' read -r name _ arch lang ver <<<"$n"
	# BOM, then the identity the file name says (language neutral if
	# the name has none).
	[ "$(head -c 3 "$f" | od -An -tx1 | tr -d ' ')" = efbbbf ] || bad="$bad $n(bom)"
	grep -q "assemblyIdentity name=\"$name\" version=\"$ver\" processorArchitecture=\"$arch\" language=\"${lang:-neutral}\"" "$f" ||
	    bad="$bad $n(identity)"
	grep -q '</assembly>' "$f" || bad="$bad $n(end)"
	[ "$(grep -c $'\r$' "$f")" = "$(wc -l <"$f")" ] || bad="$bad $n(crlf)"
done
check_eq "clean: every .mum has BOM, CRLF, its file name's identity" "$bad" ""

# Hard links as Windows keeps them: one file, names in WinSxS and System32.
ino() { stat -c %i "$1"; }
nlinks() { stat -c %h "$1"; }
sx=("$W"/Windows/WinSxS/amd64_microsoft-windows-sechost_*/sechost.dll)
check_eq "clean: sechost.dll WinSxS = System32 (inode)" \
    "$(ino "$W/Windows/System32/sechost.dll")" "$(ino "${sx[0]}")"
check_eq "clean: sechost.dll 2 links" "$(nlinks "${sx[0]}")" 2
dx=("$W"/Windows/WinSxS/amd64_microsoft-windows-dot3gpui_*/dot3gpui.dll)
check_eq "clean: dot3gpui.dll WinSxS = System32 (inode)" \
    "$(ino "$W/Windows/System32/dot3gpui.dll")" "$(ino "${dx[0]}")"
check_eq "clean: notepad.exe 3 links" "$(nlinks "$W/Windows/notepad.exe")" 3
check_eq "clean: TrustedInstaller.exe from the stack's WinSxS dir" \
    "$(ino "$W/Windows/servicing/TrustedInstaller.exe")" \
    "$(ino "$W"/Windows/WinSxS/amd64_microsoft-windows-servicingstack_*_10.0.19041.3745_*/TrustedInstaller.exe)"
check "clean: component manifests" has \
    "$W/Windows/WinSxS/Manifests/$(basename "$(dirname "${sx[0]}")").manifest"

sxsdir=$(basename "$(dirname "${sx[0]}")")

mkdir -p "$T/h/clean"
cp "$W"/Windows/System32/config/{SYSTEM,SOFTWARE,COMPONENTS,DEFAULT,SAM,SECURITY} \
    "$T/h/clean/"
H="$T/h/clean"
check_eq "SOFTWARE: ProductName" "$(hv "$H/SOFTWARE" "$SW" ProductName)" \
    "Windows 10 Pro"
check_eq "SOFTWARE: EditionID" "$(hv "$H/SOFTWARE" "$SW" EditionID)" Professional
check_eq "SOFTWARE: CurrentBuild" "$(hv "$H/SOFTWARE" "$SW" CurrentBuild)" 19045
check_eq "SOFTWARE: CurrentBuildNumber" \
    "$(hv "$H/SOFTWARE" "$SW" CurrentBuildNumber)" 19045
check_eq "SOFTWARE: UBR is a DWORD" "$(hv "$H/SOFTWARE" "$SW" | grep '"UBR"')" \
    '"UBR"=dword:00000edb'
check_eq "SOFTWARE: DisplayVersion" "$(hv "$H/SOFTWARE" "$SW" DisplayVersion)" 22H2
check_eq "SOFTWARE: major version" \
    "$(hv "$H/SOFTWARE" "$SW" CurrentMajorVersionNumber)" 10
check_match "SOFTWARE: BuildLabEx" "$(hv "$H/SOFTWARE" "$SW" BuildLabEx)" \
    '^19041\.1\.amd64fre\.vb_release\.'
check_match "SOFTWARE: InstallDate (unix time, DWORD)" \
    "$(hv "$H/SOFTWARE" "$SW" | grep '"InstallDate"')" 'dword:6410'
printf 'cd %s\\Packages\nls\n' "$CBS" | hivexsh "$H/SOFTWARE" | sort >"$T/cbs"
ls "$P" | sed -n 's/\.mum$//p' | sort >"$T/mums"
check "CBS lists exactly the packages in servicing\\Packages" cmp -s "$T/cbs" "$T/mums"
states=$(while read -r k; do hv "$H/SOFTWARE" "$CBS\\Packages\\$k" CurrentState
    done <"$T/cbs" | sort -u)
check_eq "CBS: every package Installed (0x70)" "$states" 112
check_eq "CBS: servicing stack version" \
    "$(hv "$H/SOFTWARE" "$CBS\\Version" | cut -d'"' -f2)" 10.0.19041.3745
check_eq "COMPONENTS: stack that last used the store" \
    "$(hv "$H/COMPONENTS" ServicingStackVersions LastWCPVersionToAccessStore)" \
    "10.0.19041.3745 (WinBuild.160101.0800)"
for h in SYSTEM SOFTWARE COMPONENTS DEFAULT SAM SECURITY; do
	s=$(seqs "$H/$h")
	check "clean: $h sequence numbers equal ($s)" test "${s% *}" = "${s#* }"
done
# SYSTEM_B.LOG2's base block says 2111, its entries go on to 2130.
check "clean: SYSTEM newer than every log entry" test "$(seqs "$H/SYSTEM" |
    cut -d' ' -f1)" -gt 2130
check_eq "clean: WaaSMedicSvc added (1709 hive lacks it)" \
    "$(hv "$H/SYSTEM" "$SVC\\WaaSMedicSvc" Start)" 3
check_eq "clean: wuauserv manual" "$(hv "$H/SYSTEM" "$SVC\\wuauserv" Start)" 3
check_match "clean: BITS has ImagePath" "$(hv "$H/SYSTEM" "$SVC\\BITS" ImagePath)" svchost
check "clean: the hive's vendor services removed" \
    test -z "$(hv "$H/SYSTEM" "$SVC\\gupdate")$(hv "$H/SYSTEM" "$SVC\\NVDisplay.ContainerLocalSystem")"
check "clean: no third-party agents" test -z "$(hv "$H/SYSTEM" "$SVC\\ContosoEPSAgent")"
check "clean: no PendingFileRenameOperations" test -z \
    "$(hv "$H/SYSTEM" 'ControlSet001\Control\Session Manager' PendingFileRenameOperations)"
check "clean: no RebootPending" test -z "$(hv "$H/SOFTWARE" "$CBS\\RebootPending" 2>&1)"
check "clean: no PendingXmlIdentifier" test -z "$(hv "$H/COMPONENTS" '\' | grep Pending)"
check "clean: no WindowsUpdate policy" \
    test -z "$(hv "$H/SOFTWARE" 'Policies\Microsoft\Windows\WindowsUpdate')"
check "clean: registry.pol is the real GPO's" cmp -s \
    "$W/Windows/System32/GroupPolicy/Machine/registry.pol" \
    "$TD/pol/nsa_Windows_A2A38432_Machine.pol"
cbs=$(cat "$W/Windows/Logs/CBS/CBS.log")
check_match "clean: CBS.log names the stack" "$cbs" \
    'Loaded Servicing Stack v10\.0\.19041\.3745'
check "clean: CBS.log without errors" test -z "$(grep -E 'HRESULT = 0x8|Payload Corrupt|Error  ' <<<"$cbs")"
check_eq "clean: CBS.log CRLF" "$(grep -c $'\r$' <<<"$cbs")" "$(wc -l <<<"$cbs")"
check "clean: dism.log without errors" test -z \
    "$(grep -E 'Error|hr:0x8' "$W/Windows/Logs/DISM/dism.log")"
check "clean: no hiberfil.sys" hasnt "$W/hiberfil.sys"
check "clean: no pending.xml" hasnt "$W/Windows/WinSxS/pending.xml"
check_eq "clean: InFlight empty" "$(ls -A "$W/Windows/WinSxS/Temp/InFlight")" ""
check_eq "clean: Download empty" "$(ls -A "$W/Windows/SoftwareDistribution/Download")" ""
check "clean: no DataStore.edb" hasnt "$W/Windows/SoftwareDistribution/DataStore/DataStore.edb"
check_eq "clean: catroot2 empty" "$(ls -A "$W/Windows/System32/catroot2")" ""
blf=("$W"/Windows/System32/config/TxR/*.TxR.blf)
check_eq "clean: TxR .blf whole (64 KiB, CLFS v0x15)" \
    "$(stat -c %s "${blf[0]}")/$(od -An -tx1 -N1 "${blf[0]}" | tr -d ' ')" 65536/15
check_match "clean: ReAgent.xml points at partition 4" \
    "$(cat "$W/Windows/System32/Recovery/ReAgent.xml")" \
    "offset=\"$(part_off "$img" 4)\""

R="$T/cr"
mountpart "$img" 4 "$R" || not_ok "mount clean WinRE partition"
check_eq "WinRE: Winre.wim 423 MiB" "$(stat -c %s "$R/Recovery/WindowsRE/Winre.wim")" 443547648
check_eq "WinRE: WIM magic" "$(head -c 5 "$R/Recovery/WindowsRE/Winre.wim")" MSWIM
check "clean: WinRE has 250 MB free" test "$(df -B1 --output=avail "$R" | tail -1)" -gt 262144000

# ------------------------------------------------------------- faults GPT
all=(volume-hibernated volume-dirty hive-dirty update-services-disabled
    grouppolicy-pol-corrupt grouppolicy-blocks-updates servicing-pending
    package-manifest-corrupt store-corrupt ssu-missing txr-log-failure
    wu-cache recovery-partition-small third-party-services file-hash-mismatch)
args=()
for f in "${all[@]}"; do args+=(--fault "$f"); done
build faults --computer-name PC-SUB-0417 "${args[@]}" || exit 1
img="$T/faults.img"
check_match "summary lists the faults" "$(cat "$T/faults.out")" \
    'faults volume-hibernated,volume-dirty,.*file-hash-mismatch$'
check_eq "recovery-partition-small: 450 MiB WinRE partition" \
    "$(($(part_size "$img" 4) / 1048576))" 450
F="$T/fw"
mountpart "$img" 3 "$F" || not_ok "mount faulty Windows partition"
mkdir -p "$T/h/f"
cp "$F"/Windows/System32/config/{SYSTEM,SOFTWARE,COMPONENTS} "$T/h/f/"
G="$T/h/f"

check_eq "computer name" "$(hv "$G/SYSTEM" \
    'ControlSet001\Control\ComputerName\ComputerName' ComputerName)" PC-SUB-0417
check_eq "computer name: Tcpip Hostname" "$(hv "$G/SYSTEM" \
    "$SVC\\Tcpip\\Parameters" Hostname)" PC-SUB-0417

check_eq "volume-hibernated: hiberfil.sys HIBR" "$(head -c 4 "$F/hiberfil.sys")" HIBR
attr=$(getfattr --only-values -n system.ntfs_attrib_be "$F/hiberfil.sys" \
    2>/dev/null | od -An -tu4 --endian=big | tr -d ' ')
check_eq "volume-hibernated: hidden, system (attributes 0x${attr:-0})" \
    "$(( ${attr:-0} & 0x6 ))" 6
s=$(seqs "$G/SYSTEM")
check_eq "hive-dirty: SYSTEM seq1 = seq2 + 1" "${s% *}" "$((${s#* } + 1))"
cp "$F/Windows/System32/config/SYSTEM.LOG1" "$G/"
L="$G/SYSTEM.LOG1"
check_eq "hive-dirty: LOG1 base block: log (type 6), seq = hive's seq2" \
    "$(head -c 4 "$L") $(u32 "$L" 28) $(seqs "$L")" "regf 6 ${s#* } ${s#* }"
check_eq "hive-dirty: LOG1 entry HvLE, seq = hive's seq2" \
    "$(dd if="$L" bs=1 skip=512 count=4 status=none) $(u32 "$L" 524)" "HvLE ${s#* }"
replay "$G/SYSTEM" "$L" "$T/h/replayed"
st='ControlSet001\Control\Windows'
check_eq "hive-dirty: ShutdownTime only in the log (2024-01-10 17:31:02)" \
    "$(hv "$T/h/replayed" "$st" | grep ShutdownTime)" \
    '"ShutdownTime"=hex(3):00,0f,23,c8,ea,43,da,01'
check "hive-dirty: the hive itself has the older ShutdownTime" test \
    "$(hv "$G/SYSTEM" "$st" | grep ShutdownTime)" != \
    "$(hv "$T/h/replayed" "$st" | grep ShutdownTime)"
check_eq "hive-dirty: the rest as in a clean image" \
    "$(hv "$T/h/replayed" "$SVC\\WaaSMedicSvc" ImagePath)" \
    "$(hv "$H/SYSTEM" "$SVC\\WaaSMedicSvc" ImagePath)"
check_eq "update-services-disabled: wuauserv" "$(hv "$G/SYSTEM" "$SVC\\wuauserv" Start)" 4
check_eq "update-services-disabled: WaaSMedicSvc" \
    "$(hv "$G/SYSTEM" "$SVC\\WaaSMedicSvc" Start)" 4
check "update-services-disabled: BITS without ImagePath" \
    test -z "$(hv "$G/SYSTEM" "$SVC\\BITS" ImagePath)"
check_eq "third-party-services: security agent auto-start" \
    "$(hv "$G/SYSTEM" "$SVC\\ContosoEPSAgent" Start)" 2
check_match "third-party-services: under Program Files\\Vendor" \
    "$(hv "$G/SYSTEM" "$SVC\\ContosoEPSAgent" ImagePath)" 'Program Files\\Contoso\\'
check_eq "third-party-services: management agent delayed auto-start" \
    "$(hv "$G/SYSTEM" "$SVC\\FabrikamDMAgent" Start)/$(hv "$G/SYSTEM" \
    "$SVC\\FabrikamDMAgent" DelayedAutostart)" 2/1
check "third-party-services: the agent's binary" has \
    "$F/Program Files/Contoso/Endpoint Security/epsagent.exe"

pol="$F/Windows/System32/GroupPolicy/Machine/registry.pol"
check_eq "grouppolicy-pol-corrupt: PReg header kept" "$(head -c 4 "$pol")" PReg
check "grouppolicy-pol-corrupt: ends mid-entry" test \
    "$(tail -c 2 "$pol" | od -An -tx1 | tr -d ' ')" != 5d00
check_match "grouppolicy-blocks-updates: in registry.pol" \
    "$(iconv -f UTF-16LE -t UTF-8 -c <"$pol" | tr -d '\0')" \
    'WindowsUpdate;DisableWindowsUpdateAccess'
check_eq "grouppolicy-blocks-updates: hive DisableWindowsUpdateAccess" \
    "$(hv "$G/SOFTWARE" 'Policies\Microsoft\Windows\WindowsUpdate' DisableWindowsUpdateAccess)" 1
check_match "grouppolicy-blocks-updates: WUServer" \
    "$(hv "$G/SOFTWARE" 'Policies\Microsoft\Windows\WindowsUpdate' WUServer)" '^http://'
check_eq "grouppolicy-blocks-updates: AU" "$(hv "$G/SOFTWARE" \
    'Policies\Microsoft\Windows\WindowsUpdate\AU' UseWUServer)/$(hv "$G/SOFTWARE" \
    'Policies\Microsoft\Windows\WindowsUpdate\AU' NoAutoUpdate)" 1/1

px=$(grep -o 'Identifier="[0-9a-f]*"' "$F/Windows/WinSxS/pending.xml" | head -1 | cut -d'"' -f2)
check_match "servicing-pending: pending.xml" "$px" '^[0-9a-f]{32}$'
inf=("$F/Windows/WinSxS/Temp/InFlight/$px"/*_sechost.dll)
check "servicing-pending: InFlight sechost.dll" has "${inf[0]}"
check_eq "servicing-pending: PendingXmlIdentifier = pending.xml's" \
    "$(printf "$(hv "$G/COMPONENTS" '\' | grep '"PendingXmlIdentifier"' |
    sed 's/.*://; s/\([0-9a-f][0-9a-f]\),*/\\x\1/g')" |
    iconv -f UTF-16LE -t UTF-8)" "$px"
check_match "servicing-pending: RebootPending" \
    "$(hv "$G/SOFTWARE" "$CBS\\RebootPending")" 'Package_for_RollupFix'
check_match "servicing-pending: PackagesPending" \
    "$(hv "$G/SOFTWARE" "$CBS\\PackagesPending")" 'Package_for_RollupFix'
check_match "servicing-pending: PendingFileRenameOperations" \
    "$(hv "$G/SYSTEM" 'ControlSet001\Control\Session Manager' PendingFileRenameOperations)" \
    "InFlight.$px"

FP="$F/Windows/servicing/Packages"
zh="Microsoft-Windows-Printing-PMCPPC-FoD-Package~31bf3856ad364e35~amd64~zh-CN~10.0.19041.1.mum"
check_eq "package-manifest-corrupt: zh-CN FoD cut in half" \
    "$(stat -c %s "$FP/$zh")" "$(($(stat -c %s "$P/$zh") / 2))"
check_eq "package-manifest-corrupt: another emptied" "$(find "$FP" -name '*.mum' -empty | wc -l)" 1
check_eq "package-manifest-corrupt: CBS still lists them" \
    "$(printf 'cd %s\\Packages\nls\n' "$CBS" | hivexsh "$G/SOFTWARE" | wc -l)" "$nmum"

fcbs=$(cat "$F/Windows/Logs/CBS/CBS.log")
for m in 0x80073712 0x800f081f 0x8007000d 'CSI Payload Corrupt.*dot3gpui\.dll'; do
	check_match "store-corrupt: CBS.log $m" "$fcbs" "$m"
done
check_match "store-corrupt: dism.log RestoreHealth failed" \
    "$(cat "$F/Windows/Logs/DISM/dism.log")" 'hr:0x800f081f'

dl=("$F"/Windows/SoftwareDistribution/Download/*/update.mum)
need=$(grep -o 'installerAssembly name="Microsoft-Windows-ServicingStack" version="[0-9.]*"' \
    "${dl[0]}" | cut -d'"' -f4)
have=$(hv "$G/SOFTWARE" "$CBS\\Version" | cut -d'"' -f2)
check_eq "ssu-missing: queued LCU needs a newer stack ($need > $have)" \
    "$(printf '%s\n%s\n' "$need" "$have" | sort -V | tail -1)/$([ "$need" != "$have" ] && echo y)" \
    "$need/y"
check_match "ssu-missing: the LCU cabinet holds update.mum" \
    "$(gcab -t "$(dirname "${dl[0]}")"/Windows10.0-KB*-x64.cab 2>/dev/null)" update.mum
check_match "ssu-missing: CBS.log 0x800f0823" "$fcbs" \
    "requires Servicing Stack v$need but current Servicing Stack is v$have.*0x800f0823"

check_match "txr-log-failure: CBS.log 0x80071ab1" "$fcbs" '0x80071ab1 - ERROR_LOG_GROWTH_FAILED'
fblf=("$F"/Windows/System32/config/TxR/*.TxR.blf)
check "txr-log-failure: .blf damaged" test "$(stat -c %s "${fblf[0]}")" != 65536 -a \
    "$(head -c 2048 "${fblf[0]}" | tr -d '\0' | wc -c)" = 0

ds="$F/Windows/SoftwareDistribution/DataStore/DataStore.edb"
check_eq "wu-cache: DataStore.edb (ESE)" "$(od -An -tx1 -j4 -N4 "$ds" | tr -d ' ')" efcdab89
check_match "wu-cache: Download content" \
    "$(find "$F/Windows/SoftwareDistribution/Download" -type f | wc -l)" '^[2-9]'
check "wu-cache: catroot2 databases" has \
    "$F/Windows/System32/catroot2/{F750E6C3-38EE-11D1-85E5-00C04FC295EE}/catdb"
check_match "wu-cache: CBS.log update failure" "$fcbs" 'Failed to extract package from cabinet'
check_match "wu-cache: ReportingEvents.log 0x80240439" "$(iconv -f UTF-16 -t UTF-8 \
    <"$F/Windows/SoftwareDistribution/ReportingEvents.log")" 'error 0x80240439'

fx=("$F"/Windows/WinSxS/amd64_microsoft-windows-dot3gpui_*/dot3gpui.dll)
check_eq "file-hash-mismatch: System32 copy is its own file" \
    "$(nlinks "$F/Windows/System32/dot3gpui.dll")/$(nlinks "${fx[0]}")" 1/1
check "file-hash-mismatch: bytes differ from WinSxS" \
    test "$(sha256sum <"$F/Windows/System32/dot3gpui.dll")" != "$(sha256sum <"${fx[0]}")"
check_eq "file-hash-mismatch: same size" "$(stat -c %s "$F/Windows/System32/dot3gpui.dll")" \
    "$(stat -c %s "${fx[0]}")"
# Same seed, same bytes where no fault wrote: a golden archive of the clean
# image matches the faulty one but for the faults.
check "same seed: WinSxS dot3gpui.dll as in the clean image" cmp -s "${fx[0]}" "${dx[0]}"
check "same seed: sechost.dll as in the clean image" cmp -s \
    "$F/Windows/System32/sechost.dll" "$W/Windows/System32/sechost.dll"

FR="$T/fr"
mountpart "$img" 4 "$FR" || not_ok "mount faulty WinRE partition"
check "recovery-partition-small: under 250 MB free" \
    test "$(df -B1 --output=avail "$FR" | tail -1)" -lt 262144000
check "recovery-partition-small: image still sparse" test "$(du -k "$img" | cut -f1)" -lt 150000
cp "$pol" "$T/faulty.pol"
pol="$T/faulty.pol"
t_umount "$FR"
t_umount "$F"
# ntfsinfo cannot open a volume ntfs-3g has mounted.
check_match "volume-dirty: NTFS dirty flag" "$(ntfsinfo --force -m "$F.part" \
    2>/dev/null | grep 'Volume Flags')" 'DIRTY'
rm -f "$F.part" "$FR.part"

# Win32 names, not POSIX (what a FUSE-written tree would have); ntfsinfo
# reads the partition once ntfs-3g has let go of it.
t_umount "$W"
t_umount "$R"
for f in "Program Files (x86)" Windows/System32/config/SYSTEM \
    "Windows/WinSxS/$sxsdir" Windows/SoftwareDistribution/Download; do
	check_eq "clean: Win32 name: $f" "$(namespace "$W.part" "$f")" "Win32 "
done
check_match "clean: volume not dirty" \
    "$(ntfsinfo -m "$W.part" 2>&1 | grep 'Volume Flags')" 'Flags: 0x0000'
rm -f "$W.part" "$R.part"

# ------------------------------------------- MBR, other identity and SYSTEM
sys=$(t_hive regipy_SYSTEM)
build mbr --layout mbr --size 512 --system "$sys" --product "Windows 11 Pro" \
    --edition Enterprise --build 22631 --ubr 2861 --display-version 23H2 \
    --fault hive-dirty --fault grouppolicy-blocks-updates || exit 1
img="$T/mbr.img"
check_eq "mbr: label" "$(pjson "$img" | jq -r .partitiontable.label)" dos
check_eq "mbr: NTFS types, System Reserved active" "$(pjson "$img" |
    jq -r '[.partitiontable.partitions[] | "\(.type)\(.bootable // false)"] | join(" ")')" \
    "7true 7false"
check_eq "mbr: System Reserved" "$(fsval "$img" 1 LABEL)" "System Reserved"
check_eq "mbr: Windows" "$(fsval "$img" 2 LABEL)/$(fsval "$img" 2 TYPE)" Windows/ntfs
S="$T/ms"
mountpart "$img" 1 "$S" || not_ok "mount System Reserved"
check "mbr: bootmgr" has "$S/bootmgr"
check_eq "mbr: Boot\\BCD" "$(head -c 4 "$S/Boot/BCD")" regf
t_umount "$S"
M="$T/mw"
mountpart "$img" 2 "$M" || not_ok "mount MBR Windows partition"
mkdir -p "$T/h/m"
cp "$M"/Windows/System32/config/{SYSTEM,SOFTWARE} "$T/h/m/"
check_eq "--product" "$(hv "$T/h/m/SOFTWARE" "$SW" ProductName)" "Windows 11 Pro"
check_eq "--edition" "$(hv "$T/h/m/SOFTWARE" "$SW" EditionID)" Enterprise
check_eq "--build" "$(hv "$T/h/m/SOFTWARE" "$SW" CurrentBuild)" 22631
check_eq "--ubr" "$(hv "$T/h/m/SOFTWARE" "$SW" UBR)" 2861
check_eq "--display-version" "$(hv "$T/h/m/SOFTWARE" "$SW" DisplayVersion)" 23H2
check_match "22631 packages carry 22621" \
    "$(ls "$M/Windows/servicing/Packages")" 'Package_for_RollupFix~31bf3856ad364e35~amd64~~22621\.2861\.1\.8\.mum'
check_match "--system: the given hive (Windows 7)" \
    "$(hv "$T/h/m/SYSTEM" 'ControlSet001\Control\ComputerName\ComputerName' ComputerName)" \
    "$(hv "$sys" 'ControlSet001\Control\ComputerName\ComputerName' ComputerName)"
check_match "--system: update services added" \
    "$(hv "$T/h/m/SYSTEM" "$SVC\\WaaSMedicSvc" ImagePath)" 'wusvcs'
s=$(seqs "$T/h/m/SYSTEM")
check_eq "hive-dirty on a clean hive: seq1 bumped" "${s% *}" "$((${s#* } + 1))"
check_eq "--system without logs: hive-dirty's LOG1, an empty LOG2" \
    "$(dd if="$M/Windows/System32/config/SYSTEM.LOG1" bs=1 skip=512 count=4 \
    status=none) $(stat -c %s "$M/Windows/System32/config/SYSTEM.LOG2")" "HvLE 0"
# The WSUS lock-down entries, built here byte by byte: PReg is "PReg", 1,
# then [key;value;type;size;data] in UTF-16LE with raw DWORDs.
entry() {
	utf16 "[$1"; printf '\0\0'; utf16 ';'; utf16 "$2"; printf '\0\0'
	utf16 ';'; printf "$3"; utf16 ';'; printf "$4"; utf16 ';'
	if [ "$3" = '\x04\x00\x00\x00' ]; then printf "$5"; else utf16 "$5"; printf '\0\0'; fi
	utf16 ']'
}
wu='Software\Policies\Microsoft\Windows\WindowsUpdate'
srv=http://wsus01.contoso.local:8530
{
	printf 'PReg\x01\x00\x00\x00'
	entry "$wu" DisableWindowsUpdateAccess '\x04\x00\x00\x00' '\x04\x00\x00\x00' '\x01\x00\x00\x00'
	entry "$wu" WUServer '\x01\x00\x00\x00' '\x42\x00\x00\x00' "$srv"
	entry "$wu" WUStatusServer '\x01\x00\x00\x00' '\x42\x00\x00\x00' "$srv"
	entry "$wu\\AU" NoAutoUpdate '\x04\x00\x00\x00' '\x04\x00\x00\x00' '\x01\x00\x00\x00'
	entry "$wu\\AU" UseWUServer '\x04\x00\x00\x00' '\x04\x00\x00\x00' '\x01\x00\x00\x00'
	tail -c +9 "$TD/pol/nsa_Windows_A2A38432_Machine.pol"
} >"$T/want.pol"
check "grouppolicy-blocks-updates: valid PReg, WSUS entries + the GPO's" \
    cmp -s "$M/Windows/System32/GroupPolicy/Machine/registry.pol" "$T/want.pol"
check "grouppolicy-pol-corrupt: a strict prefix of the valid file" \
    cmp -s -n "$(stat -c %s "$pol" 2>/dev/null || echo 0)" "$pol" "$T/want.pol"
t_umount "$M"
rm -f "$M.part"

# ------------------------------------------------------------ BitLocker GPT
build bl --size 300 --computer-name PC-BL-07 --fault volume-bitlocker || exit 1
img="$T/bl.img"
check_eq "volume-bitlocker: blkid" "$(fsval "$img" 3 TYPE)/$(fsval "$img" 3 VERSION)" BitLocker/2
check_eq "volume-bitlocker: -FVE-FS- at byte 3" "$(dd if="$img" bs=1 \
    skip=$(($(part_off "$img" 3) + 3)) count=8 status=none)" -FVE-FS-
check_eq "volume-bitlocker: WinRE untouched" "$(fsval "$img" 4 TYPE)" ntfs
extract "$img" 3 "$T/bl.part"
n=0
for i in 0 1 2; do
	o=$(od -An -tu8 -j $((176 + 8 * i)) -N8 "$T/bl.part" | tr -d ' ')
	[ "$(dd if="$T/bl.part" bs=1 skip="$o" count=8 status=none)" = -FVE-FS- ] &&
	    [ "$(od -An -tu2 -j $((o + 10)) -N2 "$T/bl.part" | tr -d ' ')" = 2 ] &&
	    n=$((n + 1))
done
check_eq "volume-bitlocker: three FVE metadata blocks, version 2" "$n" 3
o=$(od -An -tu8 -j 176 -N8 "$T/bl.part" | tr -d ' ')
check_match "volume-bitlocker: description names the PC" "$(dd if="$T/bl.part" \
    bs=4096 skip=$((o / 4096)) count=1 status=none | iconv -f UTF-16LE \
    -t UTF-8 -c 2>/dev/null | tr -c '[:print:]' ' ')" 'PC-BL-07 C: '
mkdir -p "$T/blm"
if ntfs-3g -o ro "$T/bl.part" "$T/blm" 2>/dev/null; then
	fusermount -u "$T/blm"
	not_ok "volume-bitlocker: not mountable as NTFS"
else
	ok "volume-bitlocker: not mountable as NTFS"
fi
rm -f "$T/bl.part"

# -------------------------------------------------------------- bare NTFS
build bare --layout bare --size 300 || exit 1
img="$T/bare.img"
check_eq "bare: NTFS, no table" "$(blkid -p -s TYPE -o value "$img")/$(blkid -p \
    -s PTTYPE -o value "$img")" ntfs/
check_eq "bare: Win32 names without extraction" \
    "$(namespace "$img" 'Windows/System32/config/SOFTWARE')" "Win32 "

# ----------------------------------------------------------------- errors
TMPDIR="$T/tmp" "$MKF" --fault no-such-fault "$T/x.img" 2>"$T/err"
check_eq "unknown fault: usage, exit 2" "$?" 2
check "unknown fault: no image" hasnt "$T/x.img"
TMPDIR="$T/tmp" "$MKF" --testdata "$T/none" "$T/x.img" 2>"$T/err"
check_eq "no test data: exit 1" "$?" 1
check_match "no test data: says so" "$(cat "$T/err")" 'no test data'
check_eq "no temp files left" "$(ls -A "$T/tmp")" ""
check "run time under a minute" test $(($(date +%s) - t0)) -lt 60
