#!/bin/bash
# diagnose and fix for the services findings (update-services-disabled,
# third-party-services) on mkfixture images: healthy, each fault, and
# images made from every real SYSTEM hive in testdata. diagnose must
# report exactly the expected ids among the four services/policy ones;
# each fix removes its finding; what it wrote is read back independently
# (hivexget on hives copied out of a read-only ntfs-3g mount); undo gives
# back every file of the volume byte for byte; --dry-run and fix --all
# (which never applies clean-boot) are checked on the image's bytes.
source "$(dirname "$0")/../lib.sh"

MKF=$NTM_TOOLS/mkfixture
MINE='["update-services-disabled","grouppolicy-pol-corrupt","grouppolicy-blocks-updates","third-party-services"]'
CFG=Windows/System32/config
UPDATE="wuauserv BITS WaaSMedicSvc UsoSvc TrustedInstaller CryptSvc msiserver"

# mkimg NAME ARGS...: a fixture image $T/NAME.img (the smallest Windows
# partition mkfixture makes, to keep the mounts quick).
mkimg() {
	local name=$1
	shift
	if ! "$MKF" --size 300 "$@" "$T/$name.img" >"$T/mkf.log" 2>&1; then
		not_ok "mkfixture $name: $(tail -1 "$T/mkf.log")"
		return 1
	fi
}

# diag IMG: the diagnose --json document in $T/diag.json; its status.
diag() {
	"$NTMEND" -t "$1" --json diagnose >"$T/diag.json" 2>"$T/diag.err"
}

# mine: the ids of this file's four checks in $T/diag.json, sorted.
mine() {
	jq -r --argjson m "$MINE" '[.findings[].id | select(. as $i |
	    $m | index($i))] | sort | join(" ")' <"$T/diag.json"
}

# finding ID FIELD: a field of the finding with that id.
finding() {
	jq -r --arg id "$1" ".findings[] | select(.id == \$id) | .$2" \
	    <"$T/diag.json"
}

# evidence ID: its evidence, one line each.
evidence() {
	jq -r --arg id "$1" '.findings[] | select(.id == $id) | .evidence[]' \
	    <"$T/diag.json"
}

# tree IMG OUT: every directory and file of the Windows partition, files
# with size and SHA-256, as read through the mount.
tree_list() {
	(cd "$T/mnt" && find . -print0 | LC_ALL=C sort -z |
	    while IFS= read -r -d '' p; do
		if [ -d "$p" ]; then
			printf 'd %s\n' "$p"
		else
			printf 'f %s %s %s\n' "$(stat -c %s "$p")" \
			    "$(sha256sum <"$p" | cut -c1-64)" "$p"
		fi
	    done) >"$1"
}
tree() { t_mount_do "$1" tree_list "$2"; }

# hives IMG DIR: SYSTEM and SOFTWARE copied out to DIR.
hives_cp() { mkdir -p "$1" && cp "$T/mnt/$CFG/SYSTEM" "$T/mnt/$CFG/SOFTWARE" "$1"; }
hives() { t_mount_do "$1" hives_cp "$2"; }

# svc HIVE NAME VALUE: a value of a service of the current control set.
svc() {
	hivexget "$1" "$(printf 'ControlSet%03d' "$(hivexget "$1" Select Current)")\\Services\\$2" "$3" 2>/dev/null
}

# bin HIVE KEY NAME: a binary value as hex bytes.
bin() { hivexget "$1" "$2" "$3" 2>/dev/null | od -An -v -tx1 | tr -d ' \n'; }

sha() { sha256sum <"$1" | cut -c1-64; }

# --- healthy: none of the four ------------------------------------------
mkimg healthy || exit 1
diag "$T/healthy.img"
check_eq "healthy: diagnose runs (no check failed)" "$(jq -r '.errors | length' <"$T/diag.json")" 0
check_eq "healthy: none of the services/policy findings" "$(mine)" ""

# --- images from every real SYSTEM hive ---------------------------------
# The auto-start Win32 services of other vendors each hive really has, by
# the names in their ImagePath/DisplayName (read with hivexget below):
# regipy_SYSTEM is a Windows 7 PC with McAfee, Adobe and VMware Tools;
# SYSTEM_2 a VirtualBox guest; SYSTEM_B's vendors are removed by mkfixture.
# Microsoft's services never appear; drivers (VMMEMCTL, VBoxGuest) are not
# what a clean boot disables.
declare -A want_tp=(
	[regipy_SYSTEM]="AdobeARMservice|enterceptAgent|McAfee SiteAdvisor Enterprise Service|McAfeeFramework|McShield|McTaskManager|mfefire|mfevtp|VMTools|VMUpgradeHelper"
	[regipy_SYSTEM_2]="VBoxService"
	[regipy_SYSTEM_B]=""
)
# tp_names: the services third-party-services names, one a line, sorted.
tp_names() {
	evidence third-party-services |
	    sed -n 's/^HKLM\\SYSTEM\\ControlSet[0-9]*\\Services\\\([^(]*\) (.*): Start = 2 .*/\1/p' |
	    LC_ALL=C sort -f
}
for h in regipy_SYSTEM regipy_SYSTEM_2 regipy_SYSTEM_B; do
	hv=$(t_hive "$h")
	[ -f "$NTM_TESTDATA/hives/$h.LOG1.xz" ] && t_hive "$h.LOG1" >/dev/null
	[ -f "$NTM_TESTDATA/hives/$h.LOG2.xz" ] && t_hive "$h.LOG2" >/dev/null
	mkimg "$h" --system "$hv" || continue
	diag "$T/$h.img"
	check_eq "$h: no check failed" "$(jq -r '.errors | join("; ")' <"$T/diag.json")" ""
	if [ -z "${want_tp[$h]}" ]; then
		check_eq "$h: none of the four findings" "$(mine)" ""
		rm -f "$T/$h.img" "$T/$h"*
		continue
	fi
	check_eq "$h: only third-party-services of the four" "$(mine)" "third-party-services"
	check_eq "$h: third-party-services is information" "$(finding third-party-services severity)" info
	check_eq "$h: exactly the other vendors' auto-start services" \
	    "$(tp_names)" "$(tr '|' '\n' <<<"${want_tp[$h]}" | LC_ALL=C sort -f)"
	hives "$T/$h.img" "$T/$h.hives"
	while read -r name; do
		[ -n "$name" ] || continue
		# Independently: the key names a vendor, starts automatically
		# and is a Win32 service.
		info="$(svc "$T/$h.hives/SYSTEM" "$name" ImagePath) $(svc "$T/$h.hives/SYSTEM" "$name" DisplayName)"
		check_match "$h: $name is another vendor's ($info)" "$info" 'McAfee|Adobe|VMware|VirtualBox|VBox'
		check_eq "$h: $name starts automatically (hivexget)" "$(svc "$T/$h.hives/SYSTEM" "$name" Start)" 2
		check_match "$h: $name is a Win32 service (hivexget)" "$(svc "$T/$h.hives/SYSTEM" "$name" Type)" '^(16|32|272|288)$'
	done < <(tp_names)
	rm -rf "$T/$h.img" "$T/$h.hives" "$T/$h" "$T/$h".LOG*
done
rm -f "$T/healthy.img"

# --- update-services-disabled ---------------------------------------------
img=$T/usd.img
mkimg usd --fault update-services-disabled || exit 1
diag "$img"
check_eq "usd: exit status 1 (findings remain)" "$?" 1
check_eq "usd: exactly update-services-disabled" "$(mine)" "update-services-disabled"
check_eq "usd: severity" "$(finding update-services-disabled severity)" error
check_eq "usd: fix" "$(finding update-services-disabled fix)" services-reset
ev=$(evidence update-services-disabled)
check_eq "usd: evidence, the fixture's three faults and nothing else" \
    "$(LC_ALL=C sort <<<"$ev")" "$(LC_ALL=C sort <<'EOF'
HKLM\SYSTEM\ControlSet001\Services\BITS has no ImagePath
HKLM\SYSTEM\ControlSet001\Services\WaaSMedicSvc\Start = 4 (disabled)
HKLM\SYSTEM\ControlSet001\Services\wuauserv\Start = 4 (disabled)
EOF
)"
hives "$img" "$T/usd.before"
check_eq "usd: the evidence is true (hivexget): wuauserv Start" "$(svc "$T/usd.before/SYSTEM" wuauserv Start)" 4
check_eq "usd: the evidence is true (hivexget): BITS ImagePath" "$(svc "$T/usd.before/SYSTEM" BITS ImagePath)" ""
tree "$img" "$T/usd.tree0"
check "usd: the volume's files are listed" test "$(grep -c '^f ' "$T/usd.tree0")" -gt 50

before=$(sha "$img")
out=$("$NTMEND" -t "$img" -n --json fix services-reset)
check_eq "usd: dry run exit status" "$?" 0
check_eq "usd: dry run lists three changes" "$(jq -r '.fixes[0].changes | length' <<<"$out")" 3
check_eq "usd: dry run writes nothing" "$(sha "$img")" "$before"

out=$("$NTMEND" -t "$img" --json fix services-reset)
check_eq "usd: fix exit status" "$?" 0
check_eq "usd: fix ok" "$(jq -r .ok <<<"$out")" true
diag "$img"
check_eq "usd: after the fix, none of the four" "$(mine)" ""
hives "$img" "$T/usd.after"
check_eq "usd: wuauserv Start = 3 (hivexget)" "$(svc "$T/usd.after/SYSTEM" wuauserv Start)" 3
check_eq "usd: WaaSMedicSvc Start = 3 (hivexget)" "$(svc "$T/usd.after/SYSTEM" WaaSMedicSvc Start)" 3
check_eq "usd: BITS ImagePath back (hivexget)" "$(svc "$T/usd.after/SYSTEM" BITS ImagePath)" \
    '%SystemRoot%\System32\svchost.exe -k netsvcs -p'
for s in $UPDATE; do
	[ "$s" = wuauserv ] || [ "$s" = WaaSMedicSvc ] && continue
	check_eq "usd: $s Start untouched" "$(svc "$T/usd.after/SYSTEM" "$s" Start)" \
	    "$(svc "$T/usd.before/SYSTEM" "$s" Start)"
done
check "usd: the SYSTEM hive changed" test "$(sha "$T/usd.after/SYSTEM")" != "$(sha "$T/usd.before/SYSTEM")"
check_eq "usd: SOFTWARE untouched" "$(sha "$T/usd.after/SOFTWARE")" "$(sha "$T/usd.before/SOFTWARE")"
"$NTMEND" -t "$img" undo >"$T/undo.out" 2>&1
check_eq "usd: undo exit status" "$?" 0
tree "$img" "$T/usd.tree1"
check "usd: undo restores every file of the volume" cmp -s "$T/usd.tree0" "$T/usd.tree1"

out=$("$NTMEND" -t "$img" --json fix --all)
check_eq "usd: fix --all picks services-reset only" "$(jq -r '[.fixes[].id] | join(" ")' <<<"$out")" services-reset
diag "$img"
check_eq "usd: after fix --all, none of the four" "$(mine)" ""
"$NTMEND" -t "$img" undo >/dev/null 2>&1
tree "$img" "$T/usd.tree2"
check "usd: undo of fix --all restores every file" cmp -s "$T/usd.tree0" "$T/usd.tree2"
rm -f "$img"

# --- third-party-services and clean-boot -----------------------------------
img=$T/tps.img
mkimg tps --fault third-party-services || exit 1
RUN='HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Run'
RUN32='HKLM\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Run'
APPROVED='Microsoft\Windows\CurrentVersion\Explorer\StartupApproved'
OLD=030000001122334455667788	# disabled by Task Manager before
# Startup programs as agents install them (one already disabled by hand);
# a Microsoft service (Spooler) that depends on the Fabrikam agent, which
# depends on the Contoso one, so that clean-boot must keep both startable;
# and a third agent nothing depends on. Set up through ntmend's own
# journals; the baseline is taken after.
LIT='HKLM\SYSTEM\CurrentControlSet\Services\LitwareUpdater'
{
	"$NTMEND" -t "$img" reg set "$LIT" ImagePath expand_sz '"C:\Program Files\Litware\updater.exe"' &&
	"$NTMEND" -t "$img" reg set "$LIT" DisplayName sz 'Litware Updater' &&
	"$NTMEND" -t "$img" reg set "$LIT" ObjectName sz LocalSystem &&
	"$NTMEND" -t "$img" reg set "$LIT" Type dword 16 &&
	"$NTMEND" -t "$img" reg set "$LIT" Start dword 2 &&
	"$NTMEND" -t "$img" reg set 'HKLM\SYSTEM\CurrentControlSet\Services\FabrikamDMAgent' DependOnService multi_sz ContosoEPSAgent &&
	"$NTMEND" -t "$img" reg set "$RUN" ContosoTray sz '"C:\Program Files\Contoso\Endpoint Security\epstray.exe" /min' &&
	"$NTMEND" -t "$img" reg set "$RUN" OldHelper sz 'C:\Tools\helper.exe' &&
	"$NTMEND" -t "$img" reg set "HKLM\\SOFTWARE\\$APPROVED\\Run" OldHelper binary $OLD &&
	"$NTMEND" -t "$img" reg set "$RUN32" FabrikamNotify sz 'C:\Program Files (x86)\Fabrikam\Device Management\notify.exe' &&
	"$NTMEND" -t "$img" reg set 'HKLM\SYSTEM\CurrentControlSet\Services\Spooler' DependOnService multi_sz RPCSS FabrikamDMAgent
} >"$T/setup.log" 2>&1
check_eq "tps: setup" "$?" 0
diag "$img"
check_eq "tps: exit status 0 (information only)" "$?" 0
check_eq "tps: exactly third-party-services" "$(mine)" "third-party-services"
check_eq "tps: severity" "$(finding third-party-services severity)" info
check_eq "tps: fix" "$(finding third-party-services fix)" clean-boot
check_eq "tps: evidence names the three agents" \
    "$(evidence third-party-services | sed 's/ (.*//' | sed 's/.*\\//')" "ContosoEPSAgent
FabrikamDMAgent
LitwareUpdater"
check_match "tps: evidence says why (Contoso)" "$(evidence third-party-services | head -1)" \
    'Start = 2 \(auto\), ImagePath "C:\\Program Files\\Contoso\\Endpoint Security\\epsagent.exe": ImagePath under Program Files'
check_match "tps: evidence says delayed (Fabrikam)" "$(evidence third-party-services | sed -n 2p)" 'Start = 2 \(delayed\)'
hives "$img" "$T/tps.before"
tree "$img" "$T/tps.tree0"

before=$(sha "$img")
out=$("$NTMEND" -t "$img" --json fix --all)
check_eq "tps: fix --all exit status" "$?" 0
check_eq "tps: fix --all does not apply clean-boot" "$(jq -r '[.fixes[].id] | join(" ")' <<<"$out")" ""
check_eq "tps: fix --all changes nothing" "$(sha "$img")" "$before"
out=$("$NTMEND" -t "$img" -n --json fix clean-boot)
check_eq "tps: dry run exit status" "$?" 0
check_eq "tps: dry run writes nothing" "$(sha "$img")" "$before"
check_match "tps: dry run describes the Litware change" "$(jq -r '.fixes[0].changes[]' <<<"$out")" \
    'Services\\LitwareUpdater\\Start = REG_DWORD 4, was REG_DWORD 2'
check_match "tps: dry run says why Fabrikam stays manual" "$(jq -r '.fixes[0].changes[]' <<<"$out")" \
    'FabrikamDMAgent .* manual, not disabled: Spooler, '
check_match "tps: dry run says why Contoso stays manual" "$(jq -r '.fixes[0].changes[]' <<<"$out")" \
    'ContosoEPSAgent .* manual, not disabled: FabrikamDMAgent, '

out=$("$NTMEND" -t "$img" --json fix clean-boot)
check_eq "tps: clean-boot exit status" "$?" 0
check_eq "tps: clean-boot ok" "$(jq -r .ok <<<"$out")" true
check_match "tps: a journal to undo" "$(jq -r .journal <<<"$out")" '.'
diag "$img"
check_eq "tps: after clean-boot, none of the four" "$(mine)" ""
hives "$img" "$T/tps.after"
A=$T/tps.after
check_eq "tps: LitwareUpdater disabled (hivexget)" "$(svc "$A/SYSTEM" LitwareUpdater Start)" 4
check_eq "tps: FabrikamDMAgent manual, Spooler needs it (hivexget)" "$(svc "$A/SYSTEM" FabrikamDMAgent Start)" 3
check_eq "tps: ContosoEPSAgent manual, Fabrikam needs it (hivexget)" "$(svc "$A/SYSTEM" ContosoEPSAgent Start)" 3
check_eq "tps: FabrikamDMAgent keeps DelayedAutostart" "$(svc "$A/SYSTEM" FabrikamDMAgent DelayedAutostart)" 1
check_eq "tps: Spooler untouched" "$(svc "$A/SYSTEM" Spooler Start)" "$(svc "$T/tps.before/SYSTEM" Spooler Start)"
for s in $UPDATE Dnscache Schedule Themes; do
	check_eq "tps: Microsoft's $s untouched" "$(svc "$A/SYSTEM" "$s" Start)" \
	    "$(svc "$T/tps.before/SYSTEM" "$s" Start)"
done
v=$(bin "$A/SOFTWARE" "$APPROVED\\Run" ContosoTray)
check_match "tps: ContosoTray disabled as Task Manager does (03, FILETIME)" "$v" '^03000000[0-9a-f]{16}$'
check "tps: ContosoTray's FILETIME is now-ish (after 2024)" test "$((16#${v:22:2}${v:20:2}))" -ge $((0x01da))
check_match "tps: FabrikamNotify disabled in Run32" "$(bin "$A/SOFTWARE" "$APPROVED\\Run32" FabrikamNotify)" '^03000000[0-9a-f]{16}$'
check_eq "tps: OldHelper, disabled before, untouched" "$(bin "$A/SOFTWARE" "$APPROVED\\Run" OldHelper)" "$OLD"
check_eq "tps: the Run entry itself untouched" \
    "$(hivexget "$A/SOFTWARE" 'Microsoft\Windows\CurrentVersion\Run' ContosoTray)" \
    '"C:\Program Files\Contoso\Endpoint Security\epstray.exe" /min'
"$NTMEND" -t "$img" undo >"$T/undo.out" 2>&1
check_eq "tps: undo exit status" "$?" 0
tree "$img" "$T/tps.tree1"
check "tps: undo restores every file of the volume" cmp -s "$T/tps.tree0" "$T/tps.tree1"
diag "$img"
check_eq "tps: after undo, the finding is back" "$(mine)" "third-party-services"
rm -f "$img"
