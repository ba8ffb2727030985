#!/bin/bash
# test_stage: `ntmend stage add|ls|rm|status` on mkfixture images, with
# update packages built by gcab around update.mum files shaped like
# Microsoft's (stage-pkgs.sh). Everything on the volume is read back
# through read-only ntfs-3g mounts and hivexget, not through ntmend. The
# runner's logic is exercised, not only read: the run.cmd written to the
# image runs under wine's cmd.exe with a fake Dism.exe/shutdown.exe (a
# real PE built here with clang and lld-link from fake-dism.c), one
# "boot" at a time, with the CmdLine read back from the image.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/stage-pkgs.sh"

IMG=$T/pc.img
"$NTM_TOOLS/mkfixture" --layout mbr --size 300 --fault ssu-missing \
    "$IMG" >/dev/null || { not_ok "mkfixture"; exit 1; }
read -r OFF SIZE < <(t_part "$IMG" 2)
nt() { "$NTMEND" -t "$IMG" "$@"; }
nt_quiet() { "$NTMEND" -t "$IMG" "$@" >/dev/null 2>&1; }
img_sum() { sha256sum "$IMG" | cut -d' ' -f1; }

# A read-only look at the volume: mount it, run a command in it, unmount.
MNT=$T/mnt
in_mount() {
	t_mount "$IMG" "$MNT" "$OFF" "$SIZE" || return 1
	(cd "$MNT" && "$@")
	local rc=$?
	t_umount "$MNT"
	rm -f "$T/part-$OFF.img"
	return $rc
}
tree_sums() {
	find . -path ./ntmend -prune -o -type f -print0 | LC_ALL=C sort -z |
	    xargs -0 sha256sum
	find . -path ./ntmend -prune -o -type d -print | LC_ALL=C sort
	[ -d ntmend ] && find ntmend | LC_ALL=C sort
	return 0
}
setup_value() {	# setup_value NAME: SYSTEM\Setup's value, via hivexget
	in_mount cp Windows/System32/config/SYSTEM "$T/SYSTEM.copy" &&
	    hivexget "$T/SYSTEM.copy" 'Setup' "$1"
}

# The packages: next month's SSU and LCU of the fixture's build (19041
# family, installed stack 10.0.19041.3745 needing 3920), in an .msu as
# Microsoft ships them, and packages for other builds and architectures.
P=$T/pkgs
mkdir -p "$P"
sp_ssu "$P/SSU-19041.3920-x64.cab" 19041 3920 amd64
sp_lcu "$P/Windows10.0-KB5034122-x64.cab" 19041 3930 3920 amd64 KB5034122
sp_msu "$P/windows10.0-kb5034122-x64.msu" Windows10.0-KB5034122-x64 \
    "$P/SSU-19041.3920-x64.cab" "$P/Windows10.0-KB5034122-x64.cab"
sp_lcu "$P/Windows11.0-KB5034123-x64.cab" 22621 3007 0 amd64 KB5034123
sp_lcu "$P/Windows10.0-KB5034122-arm64.cab" 19041 3930 0 arm64 KB5034122
sp_lcu "$P/Windows10.0-KB5033372-x64.cab" 19041 3803 0 amd64 KB5033372
check "packages built with gcab" test -s "$P/windows10.0-kb5034122-x64.msu"

before_tree=$(in_mount tree_sums)
before_sum=$(img_sum)

# --- Hostile and unusable files: refused before anything is written. ---
H=$T/hostile
mkdir -p "$H"
# Traversal, absolute and drive-letter names inside an .msu, and a size
# bomb (five members whose CFFILE headers claim 4 GB each), made from
# gcab output by rewriting names and sizes in place.
mkdir -p "$T/h" && (cd "$T/h" && for n in AAAAAAAA BBBBBBBB CCCCCCCC \
    DDDDDDDD EEEEEEEE; do cp "$P/Windows10.0-KB5033372-x64.cab" \
    "$n.cab"; done && gcab -c "$H/base.msu" [A-E]*.cab >/dev/null)
perl -0777 -pe 's/AAAAAAAA\.cab/..\\..\\AA.cab/' "$H/base.msu" >"$H/traversal.msu"
perl -0777 -pe 's/AAAAAAAA\.cab/\\Windows\\a.cab/' "$H/base.msu" >"$H/absolute.msu"
perl -0777 -pe 's/AAAAAAAA\.cab/C:AAAAAA.cab/' "$H/base.msu" >"$H/drive.msu"
perl -0777 -pe 's/.{16}(?=[A-E]{8}\.cab\0)/"\xff\xff\xff\xff".substr($&,4)/gse' \
    "$H/base.msu" >"$H/bomb.msu"
# (/s: the date and time gcab copies into each header may hold a 0x0a.)
check_eq "size bomb built: five headers claim 4 GB" "$(perl -0777 -ne \
    'print scalar(() = /\xff\xff\xff\xff.{12}[A-E]{8}\.cab\0/gs)' \
    "$H/bomb.msu")" 5
head -c 40000 "$P/windows10.0-kb5034122-x64.msu" >"$H/cut.msu"
out=$(nt stage add "$H/traversal.msu" 2>&1)
check_match "traversal refused" "$out" "'\.\.' component"
out=$(nt stage add "$H/absolute.msu" 2>&1)
check_match "absolute name refused" "$out" "absolute path"
out=$(nt stage add "$H/drive.msu" 2>&1)
check_match "drive letter refused" "$out" "drive letter"
out=$(nt stage add "$H/bomb.msu" 2>&1)
# libarchive already finds the claimed sizes beyond the folders' data;
# a consistent bomb would meet the caps of stage-cab.c (16 GiB together).
check_match "size bomb (members claiming 4 GB each) refused" "$out" \
    "bomb.msu (is damaged|.*size bomb)"
out=$(nt stage add "$H/cut.msu" 2>&1)
check_match "cut download refused" "$out" "cut short: its header says [0-9]+ bytes, the file has 40000"
n=0 bad=""
for f in "$NTM_TESTDATA"/cab/*/*.cab; do
	n=$((n + 1))
	cp "$f" "$H/t.msu"
	for g in "$f" "$H/t.msu"; do
		out=$(timeout 60 "$NTMEND" -t "$IMG" stage add "$g" 2>&1)
		rc=$?
		# One line, "ntmend: ...", exit 4 (no crash, no sanitizer).
		if [ "$rc" -ne 4 ] || [ "$(printf '%s\n' "$out" | wc -l)" -ne 1 ] ||
		    ! printf '%s' "$out" | grep -q '^ntmend: stage add: '; then
			bad="$bad $(basename "$f")($rc: $out)"
		fi
	done
done
check_eq "every testdata cabinet ($n, as .cab and .msu) refused cleanly" \
    "$bad" ""
check_eq "image unchanged by the refusals" "$(img_sum)" "$before_sum"

# --- Applicability: the build family and architecture, naming both. ---
out=$(nt stage add "$P/Windows11.0-KB5034123-x64.cab" 2>&1)
check_match "22621 package refused on 19045, both builds named" "$out" \
    "is for build 22621 \(Windows 11 22H2-23H2.*the target is build 19045 \(Windows 10 2004-22H2"
out=$(nt stage add "$P/Windows10.0-KB5034122-arm64.cab" 2>&1)
check_match "arm64 package refused on amd64" "$out" \
    "is for arm64, the target is amd64"
out=$(nt stage add "$P/Windows10.0-KB5034122-x64.cab" 2>&1)
check_match "LCU without its SSU refused (ssu-missing)" "$out" \
    "needs servicing stack 10.0.19041.3920, the target has 10.0.19041.3745"
out=$(nt --dry-run stage add "$P/Windows10.0-KB5033372-x64.cab" 2>&1 |
    tr '\n' ' ')
check_match "a 19041 package applies to 19045 (dry run)" "$out" \
    "would be:.*queued step 01 \(lcu\) Package_for_RollupFix"
out=$(nt stage add --command 'echo "unpaired' 2>&1)
check_match "command with an unpaired quote refused" "$out" "not paired"
check_eq "image unchanged by refusals and the dry run" "$(img_sum)" \
    "$before_sum"
IMG11=$T/pc11.img
"$NTM_TOOLS/mkfixture" --layout bare --size 256 --build 22631 \
    --display-version 23H2 "$IMG11" >/dev/null
out=$("$NTMEND" -t "$IMG11" --dry-run stage add \
    "$P/Windows11.0-KB5034123-x64.cab" 2>&1)
check_match "a 22621 package applies to 22631 (dry run)" "$out" \
    "queued step 01 \(lcu\)"
out=$("$NTMEND" -t "$IMG11" stage add "$P/Windows10.0-KB5033372-x64.cab" 2>&1)
check_match "a 19041 package refused on 22631" "$out" \
    "is for build 19041 .* the target is build 22631"
rm -f "$IMG11"

# --- Staging the .msu and a command. ---
out=$(nt stage add "$P/windows10.0-kb5034122-x64.msu" --command \
    "DISM /Online /Cleanup-Image /RestoreHealth" 2>&1)
check_status "stage add .msu + command" 0 test $? -eq 0
check_match "WSUSSCAN.cab skipped, said" "$out" "skipped WSUSSCAN.cab"
check_match "journaled" "$out" "journal [0-9]+-[0-9]+-stage"
(cd "$P" && mkdir -p x && cd x && gcab -x ../windows10.0-kb5034122-x64.msu \
    >/dev/null)
in_mount sh -c "cmp ntmend/queue/01-SSU-19041.3920-x64.cab \
    '$P/x/SSU-19041.3920-x64.cab' && cmp \
    ntmend/queue/02-Windows10.0-KB5034122-x64.cab \
    '$P/x/Windows10.0-KB5034122-x64.cab'"
check_status "queued files' bytes equal the .msu's cabinets" 0 test $? -eq 0
in_mount cp ntmend/queue/run.cmd "$T/run.cmd"
order=$(grep -E 'Add-Package|cmd.exe /d /s /c' "$T/run.cmd" |
    sed -E 's/.*PackagePath:"%Q%([^"]*)".*/\1/; s/.*\/c "([^"]*)".*/\1/' |
    tr -d '\r' | paste -sd' ')
check_eq "runner order: SSU, LCU, then the command" "$order" \
    "01-SSU-19041.3920-x64.cab 02-Windows10.0-KB5034122-x64.cab DISM /Online /Cleanup-Image /RestoreHealth"
check_match "runner lines end in CRLF" "$(head -1 "$T/run.cmd" | od -c)" '\\r  \\n'
check "runner: DISM with /NoRestart and stdin from nul" \
    grep -q '/NoRestart /Quiet <nul' "$T/run.cmd"
check "runner: gives up after 3 attempts" grep -q 'if %N% GTR 3 goto giveup' \
    "$T/run.cmd"
check "runner: resets SetupType and CmdLine" sh -c "grep -q 'SetupType /t \
REG_DWORD /d 0 /f' '$T/run.cmd' && grep -q 'CmdLine /t REG_SZ /d \"\" /f' \
'$T/run.cmd'"
check_eq "SetupType read back with hivexget" "$(setup_value SetupType)" 2
check_eq "CmdLine read back with hivexget" "$(setup_value CmdLine)" \
    'cmd.exe /d /c %SystemRoot%\..\ntmend\queue\run.cmd'
acl=$(in_mount getfattr -n system.ntfs_acl -e hex --only-values ntmend/queue |
    od -An -tx1 | tr -d ' \n')
check_match "queue folder: SYSTEM and Administrators only" "$acl" \
    '^0100..90.*00031400ff011f0001010000000000051200000000031800ff011f000102000000000005200000002002'
out=$(nt stage ls | tr '\n' ' ')
check_match "stage ls: order and applicability" "$out" \
    "1\. 01 ssu .*applies to this target.* 2\. 02 lcu .*applies to this target.* 3\. 03 command  DISM"
out=$(nt stage ls --json | jq -r '.queue | map("\(.order):\(.role):\(.applies)") | join(" ")')
check_eq "stage ls --json" "$out" "1:ssu:true 2:lcu:true 3:command:true"
out=$(nt stage add "$P/windows10.0-kb5034122-x64.msu" 2>&1 | tr '\n' ' ')
check_match "the same packages again: not added twice" "$out" \
    "queued already.*nothing to change"

# --- The runner, run: wine's cmd.exe, a fake DISM, one boot at a time. ---
# Windows' side of a boot: Winlogon starts CmdLine when SetupType is 2.
WINE_OK=
if command -v wine >/dev/null && command -v clang >/dev/null &&
    command -v lld-link >/dev/null; then
	export WINEPREFIX=$T/wine WINEDEBUG=-all
	export WINEDLLOVERRIDES="dism.exe=n;shutdown.exe=n;mscoree=;mshtml="
	DLLTOOL=$(command -v llvm-dlltool || command -v llvm-dlltool-14)
	printf 'LIBRARY kernel32.dll\nEXPORTS\n%s\n' GetCommandLineW \
	    ExitProcess GetEnvironmentVariableA CreateFileA WriteFile \
	    CloseHandle CreateToolhelp32Snapshot Process32FirstW \
	    Process32NextW GetCurrentProcessId OpenProcess \
	    TerminateProcess >"$T/k32.def"
	if "$DLLTOOL" -m i386:x86-64 -d "$T/k32.def" -l "$T/k32.lib" &&
	    clang -target x86_64-pc-windows-msvc -ffreestanding -fno-builtin \
	    -fno-stack-protector -O1 -c "$NTM_TOP/tests/integration/fake-dism.c" \
	    -o "$T/fake.obj" && lld-link /nologo /entry:fake_main \
	    /subsystem:console /nodefaultlib "$T/fake.obj" "$T/k32.lib" \
	    /out:"$T/fake.exe" >/dev/null &&
	    timeout 120 wineboot -i >/dev/null 2>&1; then
		WINE_OK=1
	fi
fi
if [ -z "$WINE_OK" ]; then
	not_ok "runner under wine: wine, clang and lld are needed (make deps)"
else
	C=$WINEPREFIX/drive_c
	cp "$T/fake.exe" "$C/windows/system32/dism.exe"
	cp "$T/fake.exe" "$C/windows/system32/shutdown.exe"
	wreg() { wine reg "$@" 2>/dev/null | tr -d '\r'; }
	wsetup() { wreg query 'HKLM\SYSTEM\Setup' /v "$1" |
	    awk -v n="$1" '$1 == n { $1 = ""; $2 = ""; sub(/^ +/, ""); print }'; }
	# Put the volume's queue on wine's C: and SYSTEM\Setup as the image
	# has it (hivexget), as a boot of this Windows would see them.
	arm() {
		rm -rf "$C/ntmend" "$C/fake.log"
		mkdir -p "$C/ntmend"
		in_mount cp -r ntmend/queue "$C/ntmend/"
		wreg add 'HKLM\SYSTEM\Setup' /v SetupType /t REG_DWORD /d \
		    "$(setup_value SetupType)" /f >/dev/null
		wreg add 'HKLM\SYSTEM\Setup' /v CmdLine /t REG_SZ /d \
		    "$(setup_value CmdLine)" /f >/dev/null
	}
	boot() {
		local cl
		[ "$(wsetup SetupType)" = 0x2 ] || return 0
		cl=$(wsetup CmdLine)
		# shellcheck disable=SC2086
		timeout 120 wine $cl >/dev/null 2>&1
	}
	R=$C/ntmend/queue/results.txt
	field() { tr -d '\r' <"$R" | awk -F'\t' -v k="$1" -v id="$2" \
	    '$1 == k && (id == "" || $4 == id) { print $'"$3"' }' | paste -sd' '; }

	# 1. Every step runs, the SSU succeeds, the LCU needs a restart, the
	# command fails: all exit codes recorded, Setup reset, restarted.
	arm
	check_eq "armed in wine from the image" "$(wsetup SetupType) $(wsetup CmdLine)" \
	    '0x2 cmd.exe /d /c %SystemRoot%\..\ntmend\queue\run.cmd'
	FAKE_RULES='KB5034122=3010;RestoreHealth=-2146498529' boot
	check_eq "run 1: DISM and the command in order" \
	    "$(tr -d '\r' <"$C/fake.log" | sed -E 's/.*PackagePath:"C:\\ntmend\\queue\\([^"]*)".*/\1/; s/^"C:.*shutdown.exe" /shutdown /' | paste -sd'|')" \
	    '01-SSU-19041.3920-x64.cab|02-Windows10.0-KB5034122-x64.cab|DISM /Online /Cleanup-Image /RestoreHealth   |shutdown /r /t 10 /c "ntmend: restarting to finish installing updates"'
	check_eq "run 1: exit codes recorded" "$(field end '' 5)" \
	    "0 3010 -2146498529"
	check_eq "run 1: finished, reset (reg.exe 0 0), restart" \
	    "$(field finished '' 3) $(field reset '' 4) $(field reset '' 5) $(field restart '' 3)" \
	    "1 0 0 1"
	check_eq "run 1: SetupType and CmdLine reset in the registry" \
	    "$(wsetup SetupType)|$(wsetup CmdLine)" "0x0|"
	cp -r "$C/ntmend/queue" "$T/run1"
	boot
	check_eq "next boot: nothing runs" "$(grep -c attempt "$R")" 1

	# 2. A failing servicing stack does not stop the runner nor leave
	# Setup armed.
	arm
	FAKE_RULES='SSU-=-2146498525;KB5034122=-2146498529' boot
	check_eq "run 2: failures recorded, every step run" "$(field end '' 5)" \
	    "-2146498525 -2146498529 0"
	check_eq "run 2: Setup reset after failures, no restart" \
	    "$(wsetup SetupType)|$(field reset '' 4)|$(field restart '' 3)" "0x0|0|"

	# 3. The LCU cuts the power three boots running: each boot starts
	# again after the last finished step; the fourth gives up and resets.
	arm
	states=
	for i in 1 2 3 4; do
		FAKE_RULES='KB5034122=kill' boot
		states="$states $(wsetup SetupType)"
	done
	check_eq "run 3: armed after each cut boot, reset after the 4th" \
	    "$states" " 0x2 0x2 0x2 0x0"
	check_eq "run 3: attempts counted" "$(field attempt '' 3)" "1 2 3 4"
	check_eq "run 3: SSU ran once, LCU started 3 times" \
	    "$(grep -c 'SSU-19041' "$C/fake.log") $(field start 02 3)" "1 1 2 3"
	check_eq "run 3: gave up at attempt 4 without running DISM, reset" \
	    "$(field gave-up '' 3) $(field reset '' 3) $(grep -c Dism "$C/fake.log")" \
	    "4 4 4"
	cp -r "$C/ntmend/queue" "$T/run3"
fi

# --- rm, undo. ---
out=$(nt stage rm 3)
check_match "stage rm 3" "$out" "removed step 03 \(command\)"
in_mount cp ntmend/queue/run.cmd "$T/run2.cmd"
check "runner rewritten without the command" sh -c \
    "! grep -q RestoreHealth '$T/run2.cmd' && grep -q 'GEN=2' '$T/run2.cmd'"
nt stage rm 1 2 >/dev/null
check_eq "queue emptied: Setup disarmed" \
    "$(setup_value SetupType)|$(setup_value CmdLine)" "0|"
in_mount test -e ntmend/queue/run.cmd
check_eq "runner deleted" "$?" 1
for i in 1 2 3; do nt undo >/dev/null || not_ok "undo $i"; done
check_eq "undo: every file of the volume byte-identical" \
    "$(in_mount tree_sums)" "$before_tree"

# --- status: what the runner wrote, read back offline. ---
if [ -n "$WINE_OK" ]; then
	nt stage add "$P/windows10.0-kb5034122-x64.msu" --command \
	    "DISM /Online /Cleanup-Image /RestoreHealth" >/dev/null 2>&1
	# What Windows leaves on the volume: the results of run 1, put there
	# through a read-write ntfs-3g mount of the partition.
	dd if="$IMG" of="$T/p.img" bs=1M iflag=skip_bytes,count_bytes \
	    skip="$OFF" count="$SIZE" conv=sparse status=none
	mkdir -p "$T/rw" && ntfs-3g "$T/p.img" "$T/rw" &&
	    cp -r "$T/run1/results.txt" "$T/run1/state" "$T/rw/ntmend/queue/" &&
	    fusermount -u "$T/rw" && dd if="$T/p.img" of="$IMG" bs=1M \
	    oflag=seek_bytes seek="$OFF" conv=notrunc,sparse status=none
	rm -f "$T/p.img"
	out=$(nt stage status | tr '\n' ' ')
	check_status "stage status: exit 1 (a step failed)" 1 nt_quiet stage status
	check_match "status: per step exit codes with names" "$out" \
	    "01 ssu .*exit 0 \(success\).*02 lcu .*exit 3010 \(ERROR_SUCCESS_REBOOT_REQUIRED\).*03 command DISM.*exit 0x800f081f \(CBS_E_SOURCE_MISSING\) FAILED"
	check_match "status: attempts and reset" "$out" \
	    "finished \(generation 1, 1 attempt\(s\) of 3.*Setup put back.*restarted"
	out=$(nt stage status --json | jq -r '[.state, .setup_reset, (.steps | map(.result) | join("|"))] | join(" ")')
	check_eq "status --json" "$out" \
	    "finished true 0 (success)|3010 (ERROR_SUCCESS_REBOOT_REQUIRED)|0x800f081f (CBS_E_SOURCE_MISSING)"
fi
