/* scr-save.c: placeholder until the screen is written. */

#include "tui/tui.h"

void
scr_save(void)
{
	tui_status(TUI_WARN, "this screen is not written yet");
}
