/*
 * scr-target.c: step 1, which Windows installation: the candidates found
 * on the disks (the only one preselected), then its identity and volume
 * state with what to do about BitLocker, hibernation and a dirty volume.
 */

#include <sys/stat.h>

#include <curses.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "tui/tui.h"
#include "tui/private.h"

struct target_state {
	struct tui_list	 l;		/* candidates, when choosing */
	char		**specs;	/* each row's TARGET */
	size_t		 nspecs;
	int		 choosing;
	int		 h;
	int		 scroll;
};

static const char target_help[] =
    "Step 1: the Windows installation ntmend works on.\n\n"
    "Without -t ntmend looks at every disk of this PC and lists the "
    "Windows installations it finds; with one, it is chosen for you. "
    "Enter continues to the main menu, c lists the disks again.\n\n"
    "BitLocker: the volume is locked. b asks for the 48-digit recovery "
    "key (from the Microsoft account, Azure AD/Intune or a printout) and "
    "unlocks it with cryptsetup bitlkOpen; ntmend then works on the "
    "unlocked device.\n\n"
    "Hibernated (or shut down with Fast Startup): Windows saved its "
    "session in hiberfil.sys, and changing the volume now would lose that "
    "session and may damage the files it has open. Best: boot Windows and "
    "shut down fully (Shift + Shut down). h discards the saved session "
    "instead, after you confirm twice: unsaved work in that session is "
    "lost.\n\n"
    "Dirty: Windows found file system damage and chkdsk is due. ntmend "
    "reads it but refuses changes: boot Windows and let chkdsk /f run, "
    "or run it from a Windows recovery prompt.";

static void
specs_free(struct target_state *st)
{
	size_t	i;

	for (i = 0; i < st->nspecs; i++)
		free(st->specs[i]);
	free(st->specs);
	st->specs = NULL;
	st->nspecs = 0;
}

/* The disks' Windows installations (and locked volumes) as a list. */
static void
target_scan(struct target_state *st)
{
	struct scan_disk	*disks;
	struct scan_part	*p;
	size_t			 nd, ne, i, k, pre = SIZE_MAX, nwin = 0;
	char			**errors, *v, *size;

	tui_list_clear(&st->l);
	specs_free(st);
	st->choosing = 1;
	if (scan_disks(NULL, 0, &disks, &nd, &errors, &ne) != 0) {
		nd = 0;
		disks = NULL;
	}
	tui_list_heading(&st->l, "Windows installations on this PC's disks");
	for (i = 0; i < nd; i++) {
		for (k = 0; k < disks[i].disk.nparts; k++) {
			p = &disks[i].parts[k];
			if (!p->is_windows && !(p->state & VOL_BITLOCKER))
				continue;
			st->specs = xreallocarray(st->specs, st->nspecs + 1,
			    sizeof *st->specs);
			st->specs[st->nspecs] = p->part.index > 0 ?
			    xprintf("%s@%d", disks[i].disk.path,
			    p->part.index) : xstrdup(disks[i].disk.path);
			size = out_size(p->part.size);
			if (p->is_windows) {
				v = identity_version(&p->id);
				tui_list_add(&st->l, (p->state &
				    ~VOL_READONLY) != 0 ? TUI_WARN :
				    TUI_NORMAL, "%s  %s  %s %s  %s%s",
				    st->specs[st->nspecs], p->id.computer_name
				    != NULL ? p->id.computer_name : "?",
				    p->id.product != NULL ? p->id.product :
				    "Windows", v, size, p->state &
				    VOL_HIBERNATED ? "  [hibernated]" : "")
				    ->id = st->nspecs;
				free(v);
				if (pre == SIZE_MAX)
					pre = st->l.n - 1;
				nwin++;
			} else
				tui_list_add(&st->l, TUI_WARN, "%s  BitLocker "
				    "(locked)  %s", st->specs[st->nspecs],
				    size)->id = st->nspecs;
			free(size);
			st->nspecs++;
		}
	}
	if (st->nspecs == 0)
		tui_list_add(&st->l, TUI_WARN, "none found: is the disk "
		    "connected (NVMe, RAID/RST in AHCI mode)? s opens a shell "
		    "(lsblk, dmesg)")->id = SIZE_MAX;
	for (i = 0; i < ne; i++) {
		tui_list_add(&st->l, TUI_DIM, "%s", errors[i])->id = SIZE_MAX;
		free(errors[i]);
	}
	free(errors);
	scan_free(disks, nd);
	if (pre != SIZE_MAX)
		st->l.sel = pre;
	(void)nwin;
}

/* What the technician should know about the open (or refused) target. */
static char *
target_text(void)
{
	const struct identity	*id = &tui_s.id;
	unsigned		 state = tui_s.t.state;
	char			*t, *v, *advice, *d;
	size_t			 i;

	if (!tui_s.open) {
		t = xprintf("%s\n\n%s\n\nc: choose another installation. ",
		    tui_s.spec != NULL ? tui_s.spec : "(none)",
		    tui_s.open_error != NULL ? tui_s.open_error : "");
		if (state & VOL_BITLOCKER) {
			d = xprintf("%sb: enter the BitLocker recovery key "
			    "to unlock it.", t);
			free(t);
			t = d;
		}
		if (state & VOL_HIBERNATED && !tui_s.discard_hiber) {
			d = xprintf("%sh: discard the hibernated session.", t);
			free(t);
			t = d;
		}
		return t;
	}
	v = identity_version(id);
	d = id->install_date != 0 ? out_time(id->install_date, 0) :
	    xstrdup("?");
	t = xprintf("Target        %s\n"
	    "Computer name %s\n"
	    "Windows       %s%s%s (%s)\n"
	    "Edition       %s\n"
	    "Architecture  %s\n"
	    "Installed     %s\n"
	    "Control set   ControlSet%03d\n"
	    "Fast Startup  %s\n",
	    tui_s.t.spec, id->computer_name != NULL ? id->computer_name : "?",
	    id->product != NULL ? id->product : "Windows",
	    id->display_version != NULL ? " " : "",
	    id->display_version != NULL ? id->display_version : "",
	    *v != '\0' ? v : "build unknown",
	    id->edition != NULL ? id->edition : "?",
	    id->arch != NULL ? id->arch : "?", d, id->control_set,
	    id->fast_startup == 1 ? "on" : id->fast_startup == 0 ? "off" :
	    "?");
	free(v);
	free(d);
	advice = out_state_advice(state, vol_hiber_signature(tui_s.t.vol));
	d = xprintf("%s\nVolume state  %s\n", t, advice != NULL ? advice :
	    "clean: ntmend can repair it");
	free(t);
	t = d;
	free(advice);
	if (state & VOL_HIBERNATED && !tui_s.discard_hiber) {
		d = xprintf("%s              h: discard the hibernated session "
		    "(asks twice)\n", t);
		free(t);
		t = d;
	}
	for (i = 0; i < id->nwarnings; i++) {
		d = xprintf("%s\nwarning: %s", t, id->warnings[i]);
		free(t);
		t = d;
	}
	d = xprintf("%s\n\nEnter: continue to the main menu.  c: choose "
	    "another installation.", t);
	free(t);
	return d;
}

static void
target_draw(struct tui_screen *s, int y, int h, int w)
{
	struct target_state	*st = s->state;
	char			**lines, *text;
	size_t			  n, i;

	st->h = h - 2;
	if (st->choosing) {
		tui_list_draw(&st->l, y + 1, 2, h - 2, w - 4);
		return;
	}
	text = target_text();
	n = tui_wrap(text, w - 4, &lines);
	for (i = 0; i < n; i++) {
		if ((int)i < h - 1) {
			attrset((strncmp(lines[i], "Volume state", 12) == 0 &&
			    (tui_s.t.state & ~VOL_READONLY) != 0) ||
			    strncmp(lines[i], "warning", 7) == 0 ?
			    tui_attr(TUI_WARN) : (int)A_NORMAL);
			tui_put(y + 1 + (int)i, 2, w - 4, lines[i]);
		}
		free(lines[i]);
	}
	attrset(A_NORMAL);
	free(lines);
	free(text);
}

/* b: unlock a BitLocker volume with its recovery key (cryptsetup). */
static void
target_unlock(void)
{
	char	*key, *cmd, *out = NULL;
	int	 st;
	FILE	*f;
	char	 path[] = "/tmp/ntmend-key.XXXXXX";
	int	 fd;

	if (system("command -v cryptsetup >/dev/null 2>&1") != 0) {
		tui_view("BitLocker", "cryptsetup is not on this system. On "
		    "another Linux: cryptsetup bitlkOpen DEVICE win (it asks "
		    "for the recovery key), then ntmend -t /dev/mapper/win.",
		    0);
		return;
	}
	key = tui_input("BitLocker recovery key", "The 48-digit recovery "
	    "key (with or without dashes):", NULL);
	if (key == NULL)
		return;
	if ((fd = mkstemp(path)) < 0 || (f = fdopen(fd, "w")) == NULL) {
		free(key);
		return;
	}
	fputs(key, f);
	fclose(f);
	free(key);
	cmd = xprintf("cryptsetup bitlkOpen --key-file='%s' '%s' "
	    "ntmend-win", path, tui_s.spec);
	def_prog_mode();
	endwin();
	st = system(cmd);
	reset_prog_mode();
	unlink(path);
	free(cmd);
	if (st != 0) {
		tui_status(TUI_ERROR, "cryptsetup could not unlock it: check "
		    "the key (shell: cryptsetup bitlkOpen)");
		return;
	}
	free(tui_s.spec);
	tui_s.spec = xstrdup("/dev/mapper/ntmend-win");
	tui_target_open();
	free(out);
}

static enum tui_key
target_key(struct tui_screen *s, int key)
{
	struct target_state	*st = s->state;
	struct tui_row		*r;

	if (st->choosing) {
		if (key == '\r' || key == '\n' || key == KEY_ENTER) {
			if ((r = tui_list_cur(&st->l)) == NULL ||
			    r->id == SIZE_MAX)
				return TUI_KEY_DONE;
			free(tui_s.spec);
			tui_s.spec = xstrdup(st->specs[r->id]);
			tui_target_open();
			json_decref(tui_s.findings_last);
			tui_s.findings_last = NULL;
			st->choosing = 0;
			return TUI_KEY_DONE;
		}
		if (key == 's') {
			tui_shell();
			return TUI_KEY_DONE;
		}
		return tui_list_key(&st->l, key, st->h);
	}
	switch (key) {
	case '\r':
	case '\n':
	case KEY_ENTER:
		return TUI_KEY_BACK;
	case 'c':
		target_scan(st);
		return TUI_KEY_DONE;
	case 'b':
		if (tui_s.t.state & VOL_BITLOCKER)
			target_unlock();
		return TUI_KEY_DONE;
	case 'h':
		if (!(tui_s.t.state & VOL_HIBERNATED) || tui_s.discard_hiber)
			return TUI_KEY_DONE;
		if (tui_confirm("Discard hibernation", "Windows on this volume "
		    "is hibernated: its open programs and unsaved work are in "
		    "hiberfil.sys. Changing the volume means discarding that "
		    "session (hiberfil.sys is deleted by the first change). "
		    "Continue?") && tui_confirm("Discard hibernation",
		    "Really discard the hibernated session? Unsaved work in "
		    "it is lost.")) {
			tui_s.discard_hiber = 1;
			tui_status(TUI_WARN, "the hibernated session will be "
			    "discarded by the first change");
		}
		return TUI_KEY_DONE;
	}
	return TUI_KEY_PASS;
}

static void
target_free(struct tui_screen *s)
{
	struct target_state	*st = s->state;

	tui_list_clear(&st->l);
	specs_free(st);
	free(st);
}

void
scr_target(void)
{
	struct tui_screen	 s;
	struct target_state	*st = xcalloc(1, sizeof *st);

	if (tui_s.spec == NULL) {
		target_scan(st);
		/* The only installation is picked for the technician. */
		if (st->nspecs == 1) {
			tui_s.spec = xstrdup(st->specs[0]);
			tui_target_open();
			st->choosing = 0;
		}
	}
	memset(&s, 0, sizeof s);
	s.title = "1 Windows installation";
	s.keys = "Enter continue  c choose";
	s.help = target_help;
	s.state = st;
	s.draw = target_draw;
	s.key = target_key;
	s.free = target_free;
	tui_push(&s);
}
