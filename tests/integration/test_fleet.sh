#!/bin/bash
# A fleet: one plan run over 20 generated PC images (different computer
# names and faults), one report each on the "stick", then one fleet table.
# The table must say which PCs were fixed, which need attention and why,
# and each fixed PC must really be fixed (read back independently).
source "$(dirname "$0")/../lib.sh"

MKF=$NTM_TOOLS/mkfixture
stick="$T/stick"
mkdir -p "$stick/reports"
cat >"$stick/ntmend-plan.txt" <<'PLAN'
# The fleet plan: fix what diagnose finds; clean-boot is never part of --all.
fix --all
PLAN

# pc_fault N: the fault of PC N ("" for a healthy one).
pc_fault() {
	case $(($1 % 5)) in
	0) echo update-services-disabled ;;
	1) echo grouppolicy-pol-corrupt ;;
	2) echo "" ;;
	3) echo wu-cache ;;
	4) [ "$1" -eq 19 ] && echo volume-bitlocker || echo volume-hibernated ;;
	esac
}

# The result the table must show for PC N.
pc_want() {
	case $(pc_fault "$1") in
	volume-hibernated|volume-bitlocker) echo failed ;;
	*) echo fixed ;;
	esac
}

for i in $(seq 0 19); do
	name=$(printf 'PC-%02d' "$i")
	fault=$(pc_fault "$i")
	img="$T/$name.img"
	"$MKF" --computer-name "$name" --seed "$i" \
	    ${fault:+--fault "$fault"} "$img" >/dev/null 2>&1 ||
	    { not_ok "$name: mkfixture failed"; continue; }
	"$NTMEND" -t "$img" run "$stick/ntmend-plan.txt" \
	    --report "$stick/reports" >"$T/$name.out" 2>&1
	rc=$?
	case $(pc_want "$i") in
	fixed) check_eq "$name ($fault): run exit status" "$rc" 0 ;;
	failed) check_match "$name ($fault): run refuses the volume" "$rc" '^[34]$' ;;
	esac
	if [ "$fault" = update-services-disabled ]; then
		# Independently: WaaSMedicSvc is no longer disabled.
		t_mount "$img" "$T/mnt" $(t_part "$img" 3)
		hive="$T/mnt/Windows/System32/config/SYSTEM"
		cs=$(printf 'ControlSet%03d' "$(hivexget "$hive" Select Current)")
		check_eq "$name: WaaSMedicSvc Start read back" \
		    "$(hivexget "$hive" "$cs\\Services\\WaaSMedicSvc" Start)" 3
		t_umount "$T/mnt"
	fi
	[ "$fault" != volume-bitlocker ] && rm -f "$img"
done

check_eq "one report pair per PC" \
    "$(ls "$stick/reports"/*.json | wc -l) $(ls "$stick/reports"/*.txt | wc -l)" "20 20"
name=$(basename "$(ls "$stick/reports"/PC-00-*.json)")
check_match "report named <computer>-<UTC time>.json" "$name" \
    '^PC-00-[0-9]{8}T[0-9]{6}Z\.json$'
check_eq "a report's findings before" \
    "$(jq -r '[.findings_before[].id] | join(" ")' "$stick/reports/$name")" \
    update-services-disabled
check_eq "a report's journal" \
    "$(jq '.journals | length' "$stick/reports/$name")" 1
check_match "the text report has CRLF lines" \
    "$(head -1 "$stick/reports/${name%.json}.txt" | od -c | head -2)" '\\r +\\n'

out=$("$NTMEND" --json report summarize "$stick/reports")
check_eq "fleet: 20 PCs" "$(jq '.pcs | length' <<<"$out")" 20
check_eq "fleet: counts" "$(jq -c '[.fixed, .attention, .failed]' <<<"$out")" "[16,0,4]"
for i in $(seq 0 19); do
	name=$(printf 'PC-%02d' "$i")
	# Nothing can be read from a locked volume: the row names the disk.
	[ "$(pc_fault "$i")" = volume-bitlocker ] && name="unknown-$name.img"
	got=$(jq -r --arg n "$name" '.pcs[] | select(.computer == $n) | .result' <<<"$out")
	check_eq "fleet: $name ($(pc_fault "$i"))" "$got" "$(pc_want "$i")"
done
check_match "fleet: the BitLocker PC says why" \
    "$(jq -r '.pcs[] | select(.result == "failed") | .reason' <<<"$out")" 'BitLocker|bitlk'
csv="$stick/reports/fleet-summary.csv"
check_eq "fleet CSV: header + 20 rows" "$(wc -l <"$csv")" 21
check_match "fleet CSV: a fixed PC's row" "$(grep '^"PC-00"' "$csv")" \
    '"fixed".*"update-services-disabled",""'
text=$("$NTMEND" report summarize "$stick/reports")
check_match "fleet text: summary line" "$text" \
    '20 PC\(s\): 16 fixed, 0 need attention, 4 failed'
