/*
 * fuzz_pol.c: registry.pol (PReg) parse, salvage and write.
 *
 * Invariants checked on every input:
 * - a strict parse that succeeds writes the input back byte for byte (the
 *   format has no slack: nothing may be dropped or normalised);
 * - checking without keeping (pp NULL) gives the same answer and offset;
 * - salvage succeeds exactly when the strict parse does, keeps err.entry
 *   entries, and writes the header plus the input's bytes up to the
 *   damaged entry, which parse strictly again;
 * - describing and formatting every entry is safe;
 * - an entry added with pol_set writes a file that parses, and deleting
 *   it again gives the salvaged bytes back.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hive/hive.h"
#include "util/util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const uint8_t header[POL_HEADER_SIZE] = { 'P', 'R', 'e', 'g', 1, 0,
    0, 0 };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pol		*pol, *salv, *again;
	struct pol_error	 err, err2, err3;
	uint8_t			*out, *out2;
	size_t			 outlen, out2len, i, keep;
	char			*s, *cause = NULL;
	int			 strict;

	strict = pol_parse(data, size, &pol, &err) == 0;
	if (pol_parse(data, size, NULL, &err2) != (strict ? 0 : -1))
		abort();
	if (!strict && (err2.off != err.off || err2.damage != err.damage ||
	    err.off > size || err.msg[0] == '\0'))
		abort();

	if (strict) {
		out = pol_write(pol, &outlen);
		if (outlen != size || memcmp(out, data, size) != 0)
			abort();
		free(out);
		pol_free(pol);
	} else if (pol != NULL)
		abort();

	if (pol_salvage(data, size, &salv, &err3) != (strict ? 0 : 1))
		abort();
	out = pol_write(salv, &outlen);
	if (!strict) {
		if (err3.off != err.off || err3.entry != salv->nentries)
			abort();
		/* Entries before the damage are the input's own bytes. */
		keep = err3.damage <= POL_DAMAGE_VERSION ? POL_HEADER_SIZE :
		    err3.entry_off;
		if (outlen != keep || memcmp(out, header, POL_HEADER_SIZE) != 0 ||
		    memcmp(out + POL_HEADER_SIZE, data + POL_HEADER_SIZE,
		    keep - POL_HEADER_SIZE) != 0)
			abort();
	}
	if (pol_parse(out, outlen, &again, &err2) != 0 ||
	    again->nentries != salv->nentries)
		abort();
	pol_free(again);

	for (i = 0; i < salv->nentries; i++) {
		pol_entry_action(&salv->entries[i], NULL);
		free(pol_entry_describe(&salv->entries[i]));
		free(pol_entry_format(&salv->entries[i]));
	}

	/* An edit on top of whatever was salvaged. */
	if (pol_set(salv, "Software\\Policies\\Fuzz", "Value", HIVE_REG_DWORD,
	    "\1\0\0\0", 4, &cause) != 0) {
		/* Only the entry limit can refuse this. */
		if (salv->nentries < NTM_MAX_POL_ENTRIES)
			abort();
		free(cause);
	} else {
		out2 = pol_write(salv, &out2len);
		if (pol_parse(out2, out2len, NULL, &err2) != 0)
			abort();
		free(out2);
		s = pol_entry_describe(&salv->entries[pol_find(salv,
		    "software\\policies\\fuzz", "value")]);
		free(s);
		pol_delete(salv, "Software\\Policies\\Fuzz", "Value");
		out2 = pol_write(salv, &out2len);
		/* The input may have held that entry too: then less. */
		if (out2len > outlen || memcmp(out2, out, out2len < outlen ?
		    0 : outlen) != 0)
			abort();
		free(out2);
	}
	free(out);
	pol_free(salv);
	return 0;
}
