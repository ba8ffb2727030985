#!/bin/bash
# services ls/set/reset on disk images from mkfixture: what ntmend lists
# and writes is checked independently, on the SYSTEM hive read through a
# read-only ntfs-3g mount with hivexget; --dry-run and the second reset
# must leave the image byte-identical, undo must give back the SYSTEM
# hive byte for byte.
source "$(dirname "$0")/../lib.sh"

MKF=$NTM_TOOLS/mkfixture
UPDATE="wuauserv BITS WaaSMedicSvc UsoSvc TrustedInstaller CryptSvc msiserver"

# svc HIVE NAME VALUE: a value of a service of the current control set.
svc() {
	local cur
	cur=$(hivexget "$1" Select Current)
	hivexget "$1" "$(printf 'ControlSet%03d' "$cur")\\Services\\$2" "$3" 2>/dev/null
}

img="$T/svc.img"
if ! "$MKF" --fault update-services-disabled "$img" >"$T/mkf.log" 2>&1; then
	not_ok "mkfixture update-services-disabled: $(tail -1 "$T/mkf.log")"
	exit 1
fi
t_copy_out "$img" Windows/System32/config/SYSTEM "$T/before" || { not_ok "mount the fixture"; exit 1; }

# ls --json: the case's state, as hivexget reads it.
out=$("$NTMEND" -t "$img" --json services ls)
check_eq "ls: exit status" "$?" 0
check_eq "ls: schema" "$(jq -r .schema <<<"$out")" "ntmend.services/1"
check_eq "ls: control set" "$(jq -r .control_set <<<"$out")" \
    "$(printf 'ControlSet%03d' "$(hivexget "$T/before" Select Current)")"
for s in $UPDATE; do
	check_eq "ls: $s Start as hivexget reads it" \
	    "$(jq -r --arg n "$s" '.services[] | select(.name == $n) | .start_value' <<<"$out")" \
	    "$(svc "$T/before" "$s" Start)"
	check_eq "ls: $s is Microsoft's" \
	    "$(jq -r --arg n "$s" '.services[] | select(.name == $n) | .vendor' <<<"$out")" \
	    microsoft
done
check_eq "ls: WaaSMedicSvc disabled" \
    "$(jq -r '.services[] | select(.name == "WaaSMedicSvc") | "\(.start) \(.display)"' <<<"$out")" \
    "disabled Windows Update Medic Service"
check_eq "ls: wuauserv disabled" \
    "$(jq -r '.services[] | select(.name == "wuauserv") | .start' <<<"$out")" disabled
check_eq "ls: BITS has no ImagePath" \
    "$(jq -r '.services[] | select(.name == "BITS") | .image_path' <<<"$out")" null
check_eq "ls: UsoSvc's ImagePath as hivexget reads it" \
    "$(jq -r '.services[] | select(.name == "UsoSvc") | .image_path' <<<"$out")" \
    "$(svc "$T/before" UsoSvc ImagePath)"
check_eq "ls: Dnscache's type decoded" \
    "$(jq -r '.services[] | select(.name == "Dnscache") | "\(.type_value) \(.type)"' <<<"$out")" \
    "$(svc "$T/before" Dnscache Type) share process"
check_eq "ls: no vendor agents on this image" \
    "$(jq -r '[.services[] | select(.name | test("Contoso|Fabrikam"))] | length' <<<"$out")" 0
text=$("$NTMEND" -t "$img" services ls)
check_match "ls: text row for WaaSMedicSvc" "$text" \
    'WaaSMedicSvc +disabled +share process +Microsoft +Windows Update Medic Service'
check_match "ls: text summary" "$text" '[0-9]+ services and drivers in ControlSet00[0-9]'

# --dry-run: the three findings and their changes, not a byte written.
sum=$(sha256sum <"$img")
text=$("$NTMEND" -t "$img" --dry-run services reset)
check_eq "dry run: exit status" "$?" 0
check_match "dry run: WaaSMedicSvc's evidence" "$text" \
    'WaaSMedicSvc: HKLM\\SYSTEM\\ControlSet001\\Services\\WaaSMedicSvc\\Start = 4 \(disabled\)'
check_match "dry run: BITS's evidence" "$text" 'BITS: .*BITS has no ImagePath'
check_match "dry run: would set wuauserv Start 3" "$text" \
    'wuauserv\\Start = REG_DWORD 3, was REG_DWORD 4'
out=$("$NTMEND" -t "$img" --dry-run --json services reset)
check_eq "dry run --json: three changes" \
    "$(jq -r '"\(.schema) \(.dry_run) \(.changes | length)"' <<<"$out")" \
    "ntmend.change/1 true 3"
check_eq "dry run: image unchanged" "$(sha256sum <"$img")" "$sum"

# reset: only the broken values change.
text=$("$NTMEND" -t "$img" services reset 2>"$T/err")
check_eq "reset: exit status" "$?" 0
check_match "reset: journal named" "$text" 'journal .*undo: ntmend undo'
t_copy_out "$img" Windows/System32/config/SYSTEM "$T/after"
check_eq "reset: WaaSMedicSvc Start 3" "$(svc "$T/after" WaaSMedicSvc Start)" 3
check_eq "reset: wuauserv Start 3" "$(svc "$T/after" wuauserv Start)" 3
check_eq "reset: BITS ImagePath back" "$(svc "$T/after" BITS ImagePath)" \
    '%SystemRoot%\System32\svchost.exe -k netsvcs -p'
for s in BITS UsoSvc TrustedInstaller CryptSvc msiserver; do
	check_eq "reset: $s Start untouched" "$(svc "$T/after" "$s" Start)" \
	    "$(svc "$T/before" "$s" Start)"
done
check_eq "reset: BITS DelayedAutostart untouched" \
    "$(svc "$T/after" BITS DelayedAutostart)" "$(svc "$T/before" BITS DelayedAutostart)"
check_eq "reset: UsoSvc ImagePath untouched" "$(svc "$T/after" UsoSvc ImagePath)" \
    "$(svc "$T/before" UsoSvc ImagePath)"
out=$("$NTMEND" -t "$img" --json services ls)
check_eq "reset: ls agrees" \
    "$(jq -r '[.services[] | select(.name == "WaaSMedicSvc" or .name == "wuauserv") | .start] | join(" ")' <<<"$out")" \
    "demand demand"

# A second reset has nothing to do and writes nothing.
sum=$(sha256sum <"$img")
text=$("$NTMEND" -t "$img" services reset)
check_eq "second reset: exit status" "$?" 0
check_eq "second reset: nothing to change" "$text" "nothing to change"
check_eq "second reset: image unchanged" "$(sha256sum <"$img")" "$sum"

# undo: the SYSTEM hive as it was, byte for byte.
"$NTMEND" -t "$img" undo >/dev/null 2>"$T/err"
check_eq "undo: exit status" "$?" 0
t_copy_out "$img" Windows/System32/config/SYSTEM "$T/undone"
check_eq "undo: SYSTEM byte-identical to before the reset" \
    "$(sha256sum <"$T/undone")" "$(sha256sum <"$T/before")"

# set NAME START, read back; undo again.
text=$("$NTMEND" -t "$img" services set usosvc disabled)
check_eq "set: exit status" "$?" 0
check_match "set: the change" "$text" 'UsoSvc\\Start = REG_DWORD 4, was REG_DWORD 3'
t_copy_out "$img" Windows/System32/config/SYSTEM "$T/set"
check_eq "set: UsoSvc Start 4 in the hive" "$(svc "$T/set" UsoSvc Start)" 4
"$NTMEND" -t "$img" services set CryptSvc delayed >/dev/null
t_copy_out "$img" Windows/System32/config/SYSTEM "$T/set"
check_eq "set delayed: Start 2, DelayedAutostart 1" \
    "$(svc "$T/set" CryptSvc Start) $(svc "$T/set" CryptSvc DelayedAutostart)" "2 1"
"$NTMEND" -t "$img" undo >/dev/null 2>&1 && "$NTMEND" -t "$img" undo >/dev/null 2>&1
check_eq "set: two undos" "$?" 0
t_copy_out "$img" Windows/System32/config/SYSTEM "$T/undone"
check_eq "set: undone, SYSTEM byte-identical" \
    "$(sha256sum <"$T/undone")" "$(sha256sum <"$T/before")"

# Refusals: one clear line, nothing written.
sum=$(sha256sum <"$img")
"$NTMEND" -t "$img" services set NoSuchService demand >/dev/null 2>"$T/err"
check_eq "unknown service: exit 4" "$?" 4
check_match "unknown service: says so" "$(cat "$T/err")" "no service 'NoSuchService'"
check_eq "unknown service: one line" "$(wc -l <"$T/err")" 1
"$NTMEND" -t "$img" services set wuauserv boot >/dev/null 2>"$T/err"
check_eq "boot start for a service: exit 4" "$?" 4
check_match "boot start for a service: drivers only" "$(cat "$T/err")" 'only drivers'
"$NTMEND" -t "$img" services set wuauserv sometimes >/dev/null 2>"$T/err"
check_eq "unknown start type: usage" "$?" 2
"$NTMEND" -t "$img" services frob >/dev/null 2>&1
check_eq "unknown subcommand: usage" "$?" 2
"$NTMEND" -t "$img" services ls --drivers >/dev/null 2>&1
check_eq "unknown ls option: usage" "$?" 2
check_eq "refusals: image unchanged" "$(sha256sum <"$img")" "$sum"
rm -f "$img"

# third-party-services: the two agents come out third-party, with the
# image paths hivexget reads; Windows' update services do not.
img="$T/tp.img"
if ! "$MKF" --fault third-party-services "$img" >"$T/mkf.log" 2>&1; then
	not_ok "mkfixture third-party-services: $(tail -1 "$T/mkf.log")"
	exit 1
fi
t_copy_out "$img" Windows/System32/config/SYSTEM "$T/tp"
sum=$(sha256sum <"$img")
out=$("$NTMEND" -t "$img" --json services ls --third-party)
check_eq "third-party: exit status" "$?" 0
check_eq "third-party: filter" "$(jq -r .filter <<<"$out")" third-party
check_eq "third-party: count matches the list" \
    "$(jq -r '.services | length' <<<"$out")" "$(jq -r .third_party_count <<<"$out")"
for s in ContosoEPSAgent FabrikamDMAgent; do
	check_eq "third-party: $s listed as third-party" \
	    "$(jq -r --arg n "$s" '.services[] | select(.name == $n) | .vendor' <<<"$out")" \
	    third-party
	check_eq "third-party: $s ImagePath as hivexget reads it" \
	    "$(jq -r --arg n "$s" '.services[] | select(.name == $n) | .image_path' <<<"$out")" \
	    "$(svc "$T/tp" "$s" ImagePath)"
done
check_eq "third-party: Fabrikam starts delayed, Contoso auto" \
    "$(jq -r '[.services[] | select(.name | test("Contoso|Fabrikam")) | .start] | join(" ")' <<<"$out")" \
    "auto delayed"
check_eq "third-party: no update service among them" \
    "$(jq -r --arg u "$UPDATE" '[.services[] | select(.name as $n | $u | split(" ") | index($n))] | length' <<<"$out")" 0
check_eq "third-party: every one says why" \
    "$(jq -r '[.services[] | select(.vendor_evidence == null)] | length' <<<"$out")" 0
text=$("$NTMEND" -t "$img" services ls --third-party)
check_match "third-party: text row" "$text" \
    'ContosoEPSAgent +auto +own process +third-party +Contoso Endpoint Security Agent'
check_match "third-party: text summary" "$text" '[0-9]+ third-party of [0-9]+ services'
check_eq "third-party: ls leaves the image unchanged" "$(sha256sum <"$img")" "$sum"
