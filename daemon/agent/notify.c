/* systemd notifications for kafka-agent run (see notify.h). */
#include "notify.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <systemd/sd-daemon.h>

static bool enabled(void) { return getenv("NOTIFY_SOCKET") != NULL; }

static void send_status(const char *what, const char *status) {
    if (!enabled())
        return;
    if (status)
        sd_notifyf(0, "%s%sSTATUS=%s", what, *what ? "\n" : "", status);
    else
        sd_notify(0, what);
}

void agent_notify_ready(const char *status) { send_status("READY=1", status); }
void agent_notify_status(const char *status) { send_status("", status); }
void agent_notify_reloading(void) { send_status("RELOADING=1", NULL); }
void agent_notify_stopping(void) { send_status("STOPPING=1", NULL); }

void agent_notify_watchdog(int64_t now_ms) {
    static int64_t every_ms = -1, last_ms;
    if (every_ms < 0) {
        uint64_t usec = 0;
        /* > 0 only when systemd set WATCHDOG_USEC (and WATCHDOG_PID, if set, is ours) */
        every_ms = enabled() && sd_watchdog_enabled(0, &usec) > 0 ? (int64_t)(usec / 2000) : 0;
        if (every_ms == 0 && usec > 0)
            every_ms = 1;
        last_ms = now_ms - every_ms; /* the first call pings */
    }
    if (every_ms == 0 || now_ms - last_ms < every_ms)
        return;
    last_ms = now_ms;
    sd_notify(0, "WATCHDOG=1");
}
