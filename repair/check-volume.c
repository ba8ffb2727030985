/*
 * check-volume.c: the volume's own state (volume-hibernated, volume-dirty,
 * volume-bitlocker): three table entries that share one reading.
 */

#include <stdlib.h>

#include "repair/repair.h"
#include "util/util.h"

static int
hibernated_run(struct diag *d, const struct check *c, char **cause)
{
	struct target	*t = diag_target(d);
	struct finding	*f;

	if (!(t->state & VOL_HIBERNATED))
		return 0;
	f = diag_finding(d, c, SEV_ERROR, NULL, "Windows is hibernated or "
	    "was shut down with Fast Startup: its saved session still holds "
	    "the volume, so nothing can be repaired offline without losing "
	    "that session");
	finding_evidence(f, "hiberfil.sys begins %s", t->vol != NULL ?
	    vol_hiber_signature(t->vol) : "a hibernation signature");
	finding_evidence(f, "boot Windows and shut down fully (Shift + Shut "
	    "down), or discard the session with --remove-hiberfile");
	return 0;
}

static int
dirty_run(struct diag *d, const struct check *c, char **cause)
{
	struct target	*t = diag_target(d);
	struct finding	*f;

	if (!(t->state & (VOL_DIRTY | VOL_LOGFILE_UNCLEAN)))
		return 0;
	/* No fix offline: Windows runs autochk by itself at the next boot
	 * on a volume marked dirty, and replays an unclean $LogFile when it
	 * mounts the volume; writing to it before then is what ntmend (and
	 * ntfs-3g) refuse. */
	f = diag_finding(d, c, SEV_WARNING, NULL, "the NTFS volume needs a "
	    "check: Windows did not finish writing to it; ntmend will not "
	    "change it until Windows has");
	if (t->state & VOL_DIRTY)
		finding_evidence(f, "NTFS dirty flag set in $Volume: Windows "
		    "runs chkdsk (autochk) by itself at the next boot");
	if (t->state & VOL_LOGFILE_UNCLEAN)
		finding_evidence(f, "$LogFile holds unfinished changes: Windows "
		    "completes them when it next mounts the volume");
	finding_evidence(f, "boot Windows once (let the check finish), shut "
	    "down fully, then repair with ntmend");
	return 0;
}

static int
bitlocker_run(struct diag *d, const struct check *c, char **cause)
{
	struct finding	*f;

	if (!(diag_target(d)->state & VOL_BITLOCKER))
		return 0;
	f = diag_finding(d, c, SEV_ERROR, NULL, "the Windows volume is "
	    "BitLocker-encrypted and locked: nothing on it can be read");
	finding_evidence(f, "-FVE-FS- signature in the partition's boot "
	    "sector");
	finding_evidence(f, "unlock it with the recovery key: cryptsetup "
	    "bitlkOpen DEVICE win, then ntmend -t /dev/mapper/win diagnose");
	return 0;
}

const struct check check_volume_hibernated = {
	.id = "volume-hibernated",
	.title = "Hibernated or Fast Startup",
	.explanation = "A hibernated Windows keeps the volume's state in "
	    "hiberfil.sys; changing files offline would be undone or corrupt "
	    "the disk when that session resumes.",
	.run = hibernated_run
};

const struct check check_volume_dirty = {
	.id = "volume-dirty",
	.title = "NTFS volume needs a check",
	.explanation = "Damaged disk structures make installs fail with "
	    "errors such as 0x80071ab1 (ERROR_LOG_GROWTH_FAILED) until chkdsk "
	    "repairs them.",
	.run = dirty_run
};

const struct check check_volume_bitlocker = {
	.id = "volume-bitlocker",
	.title = "BitLocker-locked volume",
	.explanation = "An encrypted volume must be unlocked with its "
	    "recovery key before anything can be diagnosed or repaired.",
	.run = bitlocker_run
};
