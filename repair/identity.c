/* identity.c: product, build, architecture and name of an installation. */

#include <stdlib.h>
#include <string.h>

#include "hive/hive.h"
#include "repair/repair.h"
#include "util/util.h"

#define CURRENT_VERSION	"Microsoft\\Windows NT\\CurrentVersion"
#define COMPUTER_NAME \
	"CurrentControlSet\\Control\\ComputerName\\ComputerName"
#define ENVIRONMENT \
	"CurrentControlSet\\Control\\Session Manager\\Environment"
#define POWER		"CurrentControlSet\\Control\\Session Manager\\Power"

/* Windows 11 is build 22000 and later; its hive still says "Windows 10". */
#define WINDOWS11_FIRST_BUILD	22000

static void
identity_warn(struct identity *id, const char *fmt, ...) NTM_PRINTF(2, 3);

static void
identity_warn(struct identity *id, const char *fmt, ...)
{
	va_list	ap;

	id->warnings = xreallocarray(id->warnings, id->nwarnings + 1,
	    sizeof *id->warnings);
	va_start(ap, fmt);
	xvasprintf(&id->warnings[id->nwarnings++], fmt, ap);
	va_end(ap);
}

/* A string value, or NULL; a missing value is not worth a warning. */
static char *
get_string(struct hive *h, const char *key, const char *name)
{
	char	*s = NULL;

	if (hive_value_string(h, key, name, &s, NULL) != 0)
		return NULL;
	return s;
}

static void
read_software(struct hive *h, struct identity *id)
{
	char		*s;
	uint32_t	 v;

	id->product = get_string(h, CURRENT_VERSION, "ProductName");
	id->edition = get_string(h, CURRENT_VERSION, "EditionID");
	id->display_version = get_string(h, CURRENT_VERSION,
	    "DisplayVersion");
	/* Before 20H2 the release was only in ReleaseId ("1709"). */
	if (id->display_version == NULL)
		id->display_version = get_string(h, CURRENT_VERSION,
		    "ReleaseId");
	if ((s = get_string(h, CURRENT_VERSION, "CurrentBuild")) == NULL)
		s = get_string(h, CURRENT_VERSION, "CurrentBuildNumber");
	if (s != NULL) {
		id->build = (uint32_t)strtoul(s, NULL, 10);
		free(s);
	}
	if (hive_value_dword(h, CURRENT_VERSION, "UBR", &v, NULL) == 0)
		id->ubr = v;
	if (hive_value_dword(h, CURRENT_VERSION, "InstallDate", &v, NULL) == 0)
		id->install_date = (time_t)v;

	if (id->product != NULL && id->build >= WINDOWS11_FIRST_BUILD &&
	    strncmp(id->product, "Windows 10", 10) == 0) {
		xasprintf(&s, "Windows 11%s", id->product + 10);
		free(id->product);
		id->product = s;
	}
}

static char *
arch_name(const char *processor_architecture)
{
	if (strcasecmp(processor_architecture, "AMD64") == 0)
		return xstrdup("amd64");
	if (strcasecmp(processor_architecture, "ARM64") == 0)
		return xstrdup("arm64");
	if (strcasecmp(processor_architecture, "x86") == 0)
		return xstrdup("x86");
	return xstrdup(processor_architecture);
}

static void
read_system(struct hive *h, struct identity *id)
{
	char		*s, *cause = NULL;
	uint32_t	 v;

	if (hive_current_control_set(h, &id->control_set, &cause) != 0) {
		identity_warn(id, "SYSTEM: %s", cause);
		free(cause);
		return;
	}
	id->computer_name = get_string(h, COMPUTER_NAME, "ComputerName");
	if ((s = get_string(h, ENVIRONMENT, "PROCESSOR_ARCHITECTURE")) !=
	    NULL) {
		id->arch = arch_name(s);
		free(s);
	}
	if (hive_value_dword(h, POWER, "HiberbootEnabled", &v, NULL) == 0)
		id->fast_startup = v != 0;
}

/* Check a hive out, run fn on it, and note why if that is impossible. */
static int
with_hive(struct vol *vol, enum hive_id which, struct identity *id,
    void (*fn)(struct hive *, struct identity *))
{
	struct hive	*h;
	char		*cause = NULL;
	const char	*w;

	if (hive_checkout(vol, hive_volume_path(which), &h, &cause) != 0) {
		identity_warn(id, "%s", cause);
		free(cause);
		return -1;
	}
	if ((w = hive_warning(h)) != NULL)
		identity_warn(id, "%s", w);
	fn(h, id);
	hive_close(h);
	return 0;
}

int
identity_read(struct vol *vol, struct identity *id, char **cause)
{
	int	ok = 0;

	memset(id, 0, sizeof *id);
	id->fast_startup = -1;
	if (with_hive(vol, HIVE_SOFTWARE, id, read_software) == 0)
		ok++;
	if (with_hive(vol, HIVE_SYSTEM, id, read_system) == 0)
		ok++;
	if (ok == 0) {
		set_cause(cause, "neither the SYSTEM nor the SOFTWARE hive "
		    "can be read: %s", id->warnings[0]);
		identity_free(id);
		return -1;
	}
	return 0;
}

void
identity_free(struct identity *id)
{
	size_t	i;

	free(id->product);
	free(id->edition);
	free(id->display_version);
	free(id->arch);
	free(id->computer_name);
	for (i = 0; i < id->nwarnings; i++)
		free(id->warnings[i]);
	free(id->warnings);
	memset(id, 0, sizeof *id);
}

char *
identity_version(const struct identity *id)
{
	if (id->build == 0)
		return xstrdup("");
	return xprintf("10.0.%u.%u", id->build, id->ubr);
}
