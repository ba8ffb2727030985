/* scr-golden.c: placeholder until the screen is written. */

#include "tui/tui.h"

void
scr_golden(void)
{
	tui_status(TUI_WARN, "this screen is not written yet");
}
