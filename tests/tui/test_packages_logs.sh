#!/bin/bash
# test_packages_logs.sh: the menu's Packages screen and Log viewer on a
# mkfixture image with damaged manifests and failing CBS/DISM logs. What
# the screens show is checked against what is on the image, read
# independently: hivexget on SOFTWARE and the logs themselves copied out
# of a read-only ntfs-3g mount, grep/perl over those copies. The image's
# bytes must not change. A directory target with a 20 MB CBS.log checks
# the viewer's 8 MiB window and its line numbers.
source "$(dirname "$0")/lib.sh"

img=$T/pc.img
"$NTM_TOOLS/mkfixture" --fault package-manifest-corrupt \
    --fault txr-log-failure --fault store-corrupt "$img" >/dev/null ||
    { not_ok "mkfixture"; exit 1; }
sha_before=$(sha256sum <"$img")

CBS='Microsoft\Windows\CurrentVersion\Component Based Servicing'
PKGDIR=Windows/servicing/Packages
t_mount "$img" "$T/mnt" $(t_part "$img" 3) || { not_ok "mount"; exit 1; }
cp "$T/mnt/Windows/System32/config/SOFTWARE" "$T/SOFTWARE"
cp "$T/mnt/Windows/Logs/CBS/CBS.log" "$T/CBS.log"
cp "$T/mnt/Windows/Logs/DISM/dism.log" "$T/dism.log"
eth=$(cd "$T/mnt/$PKGDIR" && ls Microsoft-Windows-Ethernet-Client-*.mum)
pmc=$(cd "$T/mnt/$PKGDIR" && ls Microsoft-Windows-Printing-PMCPPC-FoD-Package*zh-CN*.mum)
eth_size=$(stat -c %s "$T/mnt/$PKGDIR/$eth")
if xmllint --noout "$T/mnt/$PKGDIR/$pmc" 2>/dev/null; then pmc_xml=ok; else
	pmc_xml=malformed; fi
# A copy of the volume's files for the large-log case below.
cp -r "$T/mnt" "$T/dir"
t_umount "$T/mnt"
rm -f "$T"/part-*.img

check_eq "fixture: the Ethernet FoD manifest is empty" "$eth_size" 0
check_eq "fixture: the PMCPPC zh-CN manifest is not XML" "$pmc_xml" malformed

json=$("$NTMEND" -t "$img" --json packages ls)

# state NAME: CurrentState as hivexget reads it, in words.
state() {
	local v
	v=$(hivexget "$T/SOFTWARE" "$CBS\\Packages\\$1" CurrentState)
	case $v in
	112) echo Installed ;;
	64) echo Staged ;;
	96) echo "Install Pending" ;;
	*) echo "CurrentState $v" ;;
	esac
}

# ---- Packages ----
tui_start -t "$img"
tui_expect "target: identity shown" "Computer name" 30
tui_keys Enter
tui_expect "main menu" "Main menu" 10
tui_keys / C-u "Packages (" Enter
sleep 0.3
tui_keys Enter
tui_expect "packages: screen" "Servicing stack    $(jq -r .servicing_stack.version <<<"$json")" 30
tui_expect "packages: the latest cumulative update on top" \
    "Cumulative update  $(jq -r .cumulative_update.kb <<<"$json") Package_for_RollupFix" 5
tui_expect "packages: count" "Packages           $(jq '.packages | length' <<<"$json"), " 5

screen=$(tui_screen)
for short in Microsoft-Windows-Foundation-Package \
    Microsoft-Windows-SearchEngine-Client-Package Package_for_RollupFix; do
	for lang in "" zh-CN; do
		name=$(jq -r --arg s "$short" --arg l "$lang" \
		    '.packages[] | select(.name | startswith($s + "~")) |
		     select((.name | split("~"))[3] == $l) | .name' <<<"$json")
		[ -n "$name" ] || continue
		st=$(jq -r --arg n "$name" '.packages[] | select(.name == $n) | .state' <<<"$json")
		ver=$(jq -r --arg n "$name" '.packages[] | select(.name == $n) | .version' <<<"$json")
		check_eq "packages: $short ${lang:-neutral}: state as hivexget reads it" \
		    "$st" "$(state "$name")"
		re="^ $st +${ver//./\\.} +${lang:+$lang +}$short( |\$)"
		if grep -Eq -- "$re" <<<"$screen"; then
			ok "packages: row of $short ${lang:-neutral}"
		else
			not_ok "packages: row of $short ${lang:-neutral}"
			echo "#   no line matching: $re"
			sed 's/^/#   | /' <<<"$screen"
		fi
	done
done

# The damaged packages: first, under their heading, each with why.
damaged=$(jq -r '.packages[] | select(.manifest.status != "ok" or .catalog.status != "ok") | .name' <<<"$json" | sort)
check_eq "packages ls: the two damaged manifests" "$damaged" \
    "$(printf '%s\n%s\n' "${eth%.mum}" "${pmc%.mum}" | sort)"
section=$(sed -n '/Manifest or catalog missing or damaged: 2/,/STATE /p' <<<"$screen")
check_match "packages: damaged section: Ethernet FoD, empty" "$section" \
    "Microsoft-Windows-Ethernet-Client-Intel-E1i68x64-FOD-Package"$'.*\n'" +manifest \(\.mum\) empty"
check_match "packages: damaged section: PMCPPC zh-CN, malformed" "$section" \
    "zh-CN Microsoft-Windows-Printing-PMCPPC-FoD-Package"$'.*\n'" +manifest \(\.mum\) malformed"
# In red (the screen's colours, as tmux keeps them).
red=$(tui capture-pane -p -e | grep -a 'manifest (.mum) empty')
check_match "packages: the damaged manifest's line is red" "$red" $'\e\\[([0-9;]*;)?31m'
healthy=$(tui capture-pane -p -e | grep -a 'Microsoft-Windows-Foundation-Package')
if grep -q $'\e\\[\\(1;\\)\\?31m' <<<"$healthy"; then
	not_ok "packages: a healthy package is not red"
else ok "packages: a healthy package is not red"; fi

# Enter: the first damaged package's details.
tui_keys Enter
tui_expect "packages: details of the damaged package" "empty (0 B)" 10
tui_expect "packages: details: the decoded state" "Installed (CurrentState 0x70)" 5
tui_keys Escape
sleep 0.3
# / search, then its details.
tui_keys / C-u SenseClient Enter
tui_expect "packages: / search" "found 'SenseClient'" 5
tui_keys Enter
tui_expect "packages: details of the package found" \
    "$(jq -r '.packages[] | select(.name | startswith("Microsoft-Windows-SenseClient-Package~")) | .name' <<<"$json")" 10
tui_expect "packages: details: its type" "Type              Feature Pack" 5
tui_keys Escape
sleep 0.3
# c: the consistency check, as `ntmend packages check` prints it.
tui_keys c
tui_expect "packages: c runs the check" "package-manifest-corrupt:" 30
tui_keys Escape
tui_expect "packages: the check's verdict" "packages check found problems" 10
tui_keys Escape
sleep 0.3

# ---- Logs ----
tui_keys / C-u "Logs (CBS" Enter
sleep 0.3
tui_keys Enter
size=$(stat -c %s "$T/CBS.log")
tui_expect "logs: CBS.log with its size" \
    "Windows\\Logs\\CBS\\CBS.log                                  $(awk -v s="$size" 'BEGIN { printf "%.1f KiB", s / 1024 }')" 10
tui_expect "logs: dism.log listed" "Windows\\Logs\\DISM\\dism.log" 5
tui_keys Enter
nlines=$(wc -l <"$T/CBS.log")
tui_expect "logs: CBS.log opens at its end" "of $nlines  (" 10
tui_expect "logs: its last line, numbered" \
    "$nlines $(sed -n "${nlines}p" "$T/CBS.log" | cut -c1-40)" 5

# e from the top visits every error line in order, as this pattern finds
# them in the file copied out (scr-logs.c holds the same rule).
errs=$(perl -ne 'print "$.\n" if /fail|corrupt|error(?!_success)|\b0x[89a-f][0-9a-f]{7}\b/i' "$T/CBS.log")
check_match "logs: the fixture's CBS.log has error lines" "$(echo $errs)" '^[0-9]+ [0-9]+'
tui_keys g
sleep 0.2
seen=()
for l in $errs; do
	tui_keys e
	if tui_wait "error line $l (" 5; then seen+=("$l"); else
		seen+=("?$(tui_screen | grep -o 'error line [0-9]*' | head -1)")
	fi
done
check_eq "logs: e visits each error line" "${seen[*]}" "$(echo $errs)"
tui_keys e
tui_expect "logs: e wraps to the first error line" \
    "error line $(head -1 <<<"$errs"), wrapped" 5
# The 0x80071ab1 the fixture wrote: e lands on it, and it is on screen.
hr=$(grep -n 0x80071ab1 "$T/CBS.log" | head -1 | cut -d: -f1)
check_match "logs: 0x80071ab1's line is an error line" " $(echo $errs) " " $hr "
tui_keys g
sleep 0.2
for l in $errs; do
	tui_keys e
	tui_wait "error line $l (" 5 || break
	[ "$l" = "$hr" ] && break
done
tui_expect "logs: e reaches the 0x80071ab1 line" "error line $hr (" 5
tui_expect "logs: that line is at the top" \
    "$hr $(sed -n "${hr}p" "$T/CBS.log" | cut -c1-40)" 5
tui_expect "logs: 0x80071ab1 on screen" "0x80071ab1" 5
# / search.
tui_keys g
sleep 0.2
tui_keys / C-u "Failed to perform" Enter
tui_expect "logs: / search" \
    "line $(grep -n 'Failed to perform' "$T/CBS.log" | head -1 | cut -d: -f1): 'Failed to perform'" 5
tui_keys q
sleep 0.3

# s: the summary of logs scan, with the line of each finding.
scan=$("$NTMEND" -t "$img" --json logs scan)
tui_keys s
tui_expect "logs: s shows the last session" \
    "outcome: $(jq -r '.last_session | "\(.outcome), \(.hresult) \(.hresult_name)"' <<<"$scan")" 30
tui_expect "logs: s shows the HRESULT with its name" "0x80071ab1 ERROR_LOG_GROWTH_FAILED" 5
last=$(jq -r '.hresults[] | select(.hresult == "0x80071ab1") | .last.line' <<<"$scan")
tui_expect "logs: s shows the line of its last occurrence" "CBS.log:$last Exec: Processing complete." 5
tui_keys / C-u "CBS.log:$last " Enter
sleep 0.3
tui_keys Enter
tui_expect "logs: Enter opens the log at that line" \
    "$last $(sed -n "${last}p" "$T/CBS.log" | cut -c1-40)" 10
tui_keys Escape
sleep 0.3
tui_keys Escape
sleep 0.3

# c: logs collect into a zip, read back.
tui_keys c
tui_expect "logs: c asks where" "The zip file to write" 5
tui_keys C-u "$T/logs.zip" Enter
tui_expect "logs: collect ran" "wrote $T/logs.zip" 60
tui_keys Escape
sleep 0.3
unzip -p "$T/logs.zip" Windows/Logs/CBS/CBS.log >"$T/zip-CBS.log" 2>/dev/null
check "logs: the zip holds CBS.log as on the volume" cmp -s "$T/zip-CBS.log" "$T/CBS.log"
tui_keys Escape
sleep 0.3
tui_keys q
tui_end "packages and logs"
check_eq "image unchanged" "$(sha256sum <"$img")" "$sha_before"

# ---- A large CBS.log: the last 8 MiB, numbered as in the file ----
big=$T/dir/Windows/Logs/CBS/CBS.log
perl -e 'for (1..200000) { printf "2024-01-09 10:%02d:%02d, Info                  CBS    Filler line %06d: a quiet night of servicing.\r\n", $_ / 60 % 60, $_ % 60, $_ }
    print "2024-01-10 03:08:33, Error                 CBS    Marker: Failed to perform operation.  [HRESULT = 0x800f0922 - CBS_E_INSTALLERS_FAILED]\r\n";
    for (1..30) { printf "2024-01-10 03:09:%02d, Info                  CBS    After line %d\r\n", $_, $_ }' >"$big"
bsize=$(stat -c %s "$big")
bl=$(wc -l <"$big")
marker=$(grep -n 'Marker: Failed' "$big" | cut -d: -f1)
cut=$((bsize - 8 * 1024 * 1024))
before=$(head -c "$cut" "$big" | wc -l)
if [ "$(head -c "$cut" "$big" | tail -c 1 | od -An -c | tr -d ' ')" = '\n' ]; then
	first=$((before + 1))
else
	first=$((before + 2))
fi
# A rotated log in a cab (as Windows compresses them) and a plain one.
pdir=$T/dir/Windows/Logs/CBS
printf '%s\r\n' "2024-01-05 11:59:58, Info                  CBS    Rotated: first line" \
    "2024-01-05 11:59:59, Info                  CBS    Exec: Processing started." \
    "2024-01-05 12:00:00, Info                  CBS    Failed to resolve package [HRESULT = 0x800f0988 - PSFX_E_INVALID_DELTA_COMBINATION]" \
    "2024-01-05 12:00:01, Info                  CBS    Rotated: last line" \
    >"$T/CbsPersist_20240105120000.log"
(cd "$T" && gcab -c -z -n "$pdir/CbsPersist_20240105120000.cab" CbsPersist_20240105120000.log)
printf '%s\r\n' "2023-12-01 00:00:00, Info                  CBS    Older rotated log" \
    >"$pdir/CbsPersist_20231201000000.log"
# Windows Update's ReportingEvents.log is UTF-16LE with a BOM.
printf '%s\r\n' "{A1}	2024-01-10 02:00:00:000-0800	1	147	101	{00000000-0000-0000-0000-000000000000}	0	0	AutomaticUpdates	Success	Software Synchronization	Windows Update Client successfully detected 1 update." \
    "{A2}	2024-01-10 02:10:00:000-0800	1	161	101	{00000000-0000-0000-0000-000000000000}	0	80240439	AutomaticUpdates	Failure	Content Install	Installation Failure: Windows failed to install KB5034122 with error 0x80240439." \
    >"$T/re.txt"
{ printf '\xff\xfe'; iconv -f UTF-8 -t UTF-16LE "$T/re.txt"; } \
    >"$T/dir/Windows/SoftwareDistribution/ReportingEvents.log"
# A new server for the second session: the old one must be gone first
# (a new-session that reaches a server on its way out fails).
tui kill-server 2>/dev/null
for ((i = 0; i < 50; i++)); do
	tui has-session 2>/dev/null || break
	sleep 0.1
done
sleep 0.5
tui_start -t "$T/dir"
tui_expect "dir: identity shown" "Computer name" 30
tui_keys Enter
tui_expect "dir: main menu" "Main menu" 10
tui_keys / C-u "Logs (CBS" Enter
sleep 0.3
tui_keys Enter
tui_expect "dir: CBS.log listed" "Windows\\Logs\\CBS\\CBS.log" 10
start=$(date +%s)
tui_keys Enter
tui_expect "dir: a large log says it was cut" "of $bl  (" 60
tui_expect "dir: and how much" "not shown)" 5
tui_expect "dir: the status says the last 8 MiB" "its last 8 MiB are shown" 5
check_match "dir: opened in under 30 s" "$(($(date +%s) - start))" '^([0-9]|[12][0-9])$'
tui_expect "dir: its last line, numbered as in the file" \
    "$bl $(sed -n "${bl}p" "$big" | cut -c1-40)" 5
tui_keys E
tui_expect "dir: E finds the last error line" "error line $marker (" 10
tui_keys g
tui_expect "dir: the first line shown is the file's line $first" \
    "$first $(sed -n "${first}p" "$big" | cut -c1-40)" 10
tui_keys : C-u 5 Enter
tui_expect "dir: a line before the window is refused" \
    "line 5 is in the part of the log not shown" 5
tui_keys End
tui_expect "dir: End shows the last line" "-$bl of $bl  (" 5
tui_keys q
sleep 0.3
screen=$(tui_screen)
check_match "dir: rotated logs listed newest first" "$screen" \
    'CBS\\CBS\.log .*'$'\n'' *Windows\\Logs\\CBS\\CbsPersist_20240105120000\.cab .*'$'\n'' *Windows\\Logs\\CBS\\CbsPersist_20231201000000\.log'
tui_keys Down Enter
tui_expect "dir: the cab's log is expanded" "CbsPersist_20240105120000.cab:CbsPersist_20240105120000.log" 10
tui_keys g
sleep 0.2
tui_keys e
tui_expect "dir: e in the cab's log" \
    "error line $(grep -n 0x800f0988 "$T/CbsPersist_20240105120000.log" | cut -d: -f1) (" 5
tui_expect "dir: the cab's line on screen" "PSFX_E_INVALID_DELTA_COMBINATION" 5
tui_keys q
sleep 0.3
tui_keys / C-u ReportingEvents Enter
sleep 0.3
tui_keys Enter
tui_expect "dir: a UTF-16 log is shown as text" "1 {A1} 2024-01-10 02:00:00:000-0800" 10
tui_keys g
sleep 0.2
tui_keys e
tui_expect "dir: e in the UTF-16 log" "error line 2 (" 5
tui_keys q
sleep 0.3
tui_keys Escape
sleep 0.3
tui_keys q
tui_end "large log"
