/* scr-logs.c: placeholder until the screen is written. */

#include "tui/tui.h"

void
scr_logs(void)
{
	tui_status(TUI_WARN, "this screen is not written yet");
}
