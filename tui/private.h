/* private.h: what tui/'s files share and screens need not see. */
#ifndef NTM_TUI_PRIVATE_H
#define NTM_TUI_PRIVATE_H

#include <stddef.h>

/* widget.c */
/* Columns a UTF-8 string takes (invalid bytes count one each). */
size_t	 tui_width(const char *);
/* Draw s at (y, x) in at most w columns, cut at a character, with the
 * current attributes; returns the columns drawn. */
int	 tui_put(int y, int x, int w, const char *s);
/* Split text into lines of at most w columns (at spaces where it can);
 * *lines: caller frees each and the array. */
size_t	 tui_wrap(const char *text, int w, char ***lines);
/* Under a list: a rule, then text wrapped into the h - 1 lines below. */
void	 tui_panel(int y, int h, int w, const char *text);

/* run.c */
/* Kill a running child (signal handlers: the menu is going away). */
void	 tui_run_kill(void);

#endif
