/* volume.c: opening a volume through its backend, and its state. */

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ntfs/private.h"
#include "util/util.h"

int
vol_open(const struct vol_where *where, int flags, struct vol **vp,
    unsigned *state, char **cause)
{
	unsigned	st = 0;
	int		r;

	*vp = NULL;
	if (where->is_dir)
		r = vol_dir_open(where, flags, vp, &st, cause);
	else
		r = vol_ntfs3g_open(where, flags, vp, &st, cause);
	if (state != NULL)
		*state = st;
	return r;
}

void
vol_close(struct vol *vol)
{
	if (vol == NULL)
		return;
	vol->ops->close(vol);
	free(vol->name);
	free(vol->label);
	free(vol);
}

unsigned
vol_state(struct vol *vol)
{
	return vol->state;
}

const char *
vol_hiber_signature(struct vol *vol)
{
	return vol->hiber_sig;
}

const char *
vol_name(struct vol *vol)
{
	return vol->name;
}

const char *
vol_label(struct vol *vol)
{
	return vol->label != NULL ? vol->label : "";
}

void
vol_space(struct vol *vol, uint64_t *total, uint64_t *free_bytes)
{
	if (total != NULL)
		*total = vol->total;
	if (free_bytes != NULL)
		*free_bytes = vol->free;
}

char *
vol_state_describe(unsigned state, const char *hiber_sig)
{
	char		*out = NULL, *tmp;
	const char	*part;
	char		*owned;
	unsigned	 bit;

	for (bit = 1; bit <= VOL_NOT_NTFS; bit <<= 1) {
		if ((state & bit) == 0)
			continue;
		owned = NULL;
		switch (bit) {
		case VOL_HIBERNATED:
			owned = xprintf("hibernated (hiberfil.sys begins %s: "
			    "hibernation or Fast Startup)",
			    hiber_sig != NULL && *hiber_sig != '\0' ?
			    hiber_sig : "a hibernation signature");
			part = owned;
			break;
		case VOL_DIRTY:
			part = "NTFS dirty flag set (chkdsk is due)";
			break;
		case VOL_LOGFILE_UNCLEAN:
			part = "$LogFile not clean (Windows did not shut down "
			    "cleanly)";
			break;
		case VOL_BITLOCKER:
			part = "BitLocker-encrypted and locked";
			break;
		case VOL_READONLY:
			part = "read-only";
			break;
		case VOL_NOT_NTFS:
			part = "not NTFS";
			break;
		default:
			continue;
		}
		if (out == NULL)
			out = xstrdup(part);
		else {
			tmp = xprintf("%s, %s", out, part);
			free(out);
			out = tmp;
		}
		free(owned);
	}
	if (out == NULL)
		out = xstrdup("clean");
	return out;
}

/*
 * Windows writes "hibr" (or "HIBR") at the start of hiberfil.sys when it
 * hibernates, and Fast Startup (Windows 8 and later, on by default) is a
 * hibernation of the kernel session; "wake"/"WAKE" is the header while a
 * resume is under way. Either way the volume's metadata is cached in the
 * saved session, and writing to it offline loses data on the next resume.
 */
void
vol_check_hiberfile(struct vol *vol)
{
	static const char *const	 sigs[] = { "hibr", "HIBR", "wake",
					     "WAKE" };
	const char			*comp[] = { "hiberfil.sys" };
	struct vol_file			 f;
	uint8_t				 buf[4];
	ssize_t				 n;
	size_t				 i;
	int				 zero = 1;

	vol->hiber_sig[0] = '\0';
	memset(&f, 0, sizeof f);
	f.vol = vol;
	if (vol->ops->file_open(vol, comp, 1, VOL_O_RDONLY, &f, NULL) != 0)
		return;
	n = vol->ops->file_pread(&f, buf, sizeof buf, 0);
	vol->ops->file_close(&f, NULL);
	if (n != (ssize_t)sizeof buf)
		return;
	for (i = 0; i < sizeof buf; i++) {
		if (buf[i] != 0)
			zero = 0;
		/* Shown to the operator: keep it printable. */
		vol->hiber_sig[i] = isprint(buf[i]) ? (char)buf[i] : '.';
	}
	vol->hiber_sig[sizeof buf] = '\0';
	if (zero) {
		vol->hiber_sig[0] = '\0';
		return;
	}
	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		if (memcmp(buf, sigs[i], sizeof buf) == 0)
			vol->state |= VOL_HIBERNATED;
	}
}
