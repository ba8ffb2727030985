/* scr-services.c: placeholder until the screen is written. */

#include "tui/tui.h"

void
scr_services(void)
{
	tui_status(TUI_WARN, "this screen is not written yet");
}
