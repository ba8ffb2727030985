# tests/integration/stage-pkgs.sh: update packages for the staging tests,
# shaped like Microsoft's (sourced; needs gcab). A package is a cabinet
# with update.mum at its root beside the package's own .mum, as in
# Windows10.0-KB5034122-x64.cab; an .msu is a cabinet holding the package
# cabinets, WSUSSCAN.cab and a -pkgProperties.txt.

# sp_mum NAME VERSION ARCH KB RELEASE SS_REQUIRED COMPONENT COMPVERSION BASE
# prints an update.mum as Windows Update ships them: UTF-8 with BOM, CRLF;
# the parent is the build's Foundation package, installerAssembly names
# the servicing stack the package needs (6.0.0.0: any).
sp_mum() {
	local name=$1 ver=$2 arch=$3 kb=$4 rel=$5 ss=$6 comp=$7 compver=$8
	local base=$9
	printf '\357\273\277'
	sed 's/$/\r/' <<XML
<?xml version="1.0" encoding="utf-8" standalone="yes"?>
<assembly xmlns="urn:schemas-microsoft-com:asm.v3" manifestVersion="1.0" description="Fix for $kb" displayName="default" company="Microsoft Corporation" copyright="Microsoft Corporation" supportInformation="https://support.microsoft.com/help/${kb#KB}" creationTimeStamp="2024-01-05T19:02:37Z" lastUpdateTimeStamp="2024-01-05T19:02:37Z">
  <assemblyIdentity name="$name" version="$ver" processorArchitecture="$arch" language="neutral" publicKeyToken="31bf3856ad364e35" />
  <package identifier="$kb" releaseType="$rel" restart="possible">
    <parent revisionCompare="GE" integrate="standalone" disposition="detect">
      <assemblyIdentity name="Microsoft-Windows-Foundation-Package" version="10.0.$base.1" processorArchitecture="$arch" language="neutral" buildType="release" publicKeyToken="31bf3856ad364e35" />
    </parent>
    <installerAssembly name="Microsoft-Windows-ServicingStack" version="$ss" language="neutral" processorArchitecture="$arch" versionScope="nonSxS" publicKeyToken="31bf3856ad364e35" />
    <update name="${kb#KB}-1_neutral_GDR">
      <component>
        <assemblyIdentity name="$comp" version="$compver" processorArchitecture="$arch" language="neutral" buildType="release" publicKeyToken="31bf3856ad364e35" versionScope="nonSxS" />
      </component>
    </update>
  </package>
</assembly>
XML
}

# sp_cab OUT.cab MUMFILE PKGNAME [EXTRA...]: a package cabinet (gcab -z:
# MSZIP, as Microsoft's are compressed) with update.mum, the same
# manifest under the package's identity, and some payload.
sp_cab() {
	local out=$1 mum=$2 pkg=$3 d
	shift 3
	d=$(mktemp -d "$T/cab.XXXXXX")
	cp "$mum" "$d/update.mum"
	cp "$mum" "$d/$pkg.mum"
	head -c 70000 /dev/urandom >"$d/update.cat"
	(cd "$d" && gcab -c -z "$out" update.mum "$pkg.mum" update.cat "$@") ||
	    return 1
	rm -rf "$d"
}

# sp_ssu OUT.cab BASE REV ARCH: Package_for_ServicingStack_REV, installing
# stack 10.0.BASE.REV.
sp_ssu() {
	local out=$1 base=$2 rev=$3 arch=$4 m
	m=$(mktemp "$T/mum.XXXXXX")
	sp_mum "Package_for_ServicingStack_$rev" "$base.$rev.1.3" "$arch" \
	    KB5034118 Update 6.0.0.0 Microsoft-Windows-ServicingStack \
	    "10.0.$base.$rev" "$base" >"$m"
	sp_cab "$out" "$m" \
	    "Package_for_ServicingStack_$rev~31bf3856ad364e35~$arch~~$base.$rev.1.3"
}

# sp_lcu OUT.cab BASE UBR SSREV ARCH KB: Package_for_RollupFix BASE.UBR.1.7
# needing stack 10.0.BASE.SSREV (SSREV 0: the 6.0.0.0 placeholder).
sp_lcu() {
	local out=$1 base=$2 ubr=$3 ssrev=$4 arch=$5 kb=$6 m ss
	m=$(mktemp "$T/mum.XXXXXX")
	ss="10.0.$base.$ssrev"
	[ "$ssrev" = 0 ] && ss=6.0.0.0
	sp_mum Package_for_RollupFix "$base.$ubr.1.7" "$arch" "$kb" \
	    "Security Update" "$ss" Microsoft-Windows-Sechost \
	    "10.0.$base.$ubr" "$base" >"$m"
	sp_cab "$out" "$m" \
	    "Package_for_RollupFix~31bf3856ad364e35~$arch~~$base.$ubr.1.7"
}

# sp_msu OUT.msu NAME CAB...: an .msu as Microsoft ships them: the package
# cabinets, WSUSSCAN.cab and NAME-pkgProperties.txt (UTF-16LE), stored.
sp_msu() {
	local out=$1 name=$2 d c
	shift 2
	d=$(mktemp -d "$T/msu.XXXXXX")
	for c in "$@"; do cp "$c" "$d/"; done
	printf 'wsusscan' >"$d/wsus.txt"
	(cd "$d" && gcab -c WSUSSCAN.cab wsus.txt) || return 1
	rm -f "$d/wsus.txt"
	printf 'ApplicabilityInfo="Windows 10.0 Client SKUs"\r\nApplies to="Security Update for Windows"\r\nKB Article Number="%s"\r\nInstallation Type="Security Update"\r\nInstaller Engine="Component Based Servicing"\r\nProcessor Architecture="amd64"\r\n' "${name#*KB}" |
	    iconv -f UTF-8 -t UTF-16LE >"$d/$name-pkgProperties.txt"
	(cd "$d" && gcab -c "$out" *) || return 1
	rm -rf "$d"
}
