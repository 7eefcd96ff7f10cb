/* kafka-agent run under systemd (config/kafka-agent.service, Type=notify): readiness,
 * reload, stop and status notifications and the watchdog, through sd_notify(3) from
 * libsystemd. Without NOTIFY_SOCKET in the environment (not started by systemd) every
 * call does nothing.
 *
 * The watchdog (WatchdogSec= in the unit) is pinged by run's main loop, at half the
 * interval systemd asks for: it proves the loop turns, not that brokers answer (an
 * outage is waited out, and a restart would not end it; /healthz tells that). */
#ifndef KAFKA_AGENT_NOTIFY_H
#define KAFKA_AGENT_NOTIFY_H

#include <stdint.h>

/* READY=1 with a STATUS= line: the inputs are followed and shipping has started. */
void agent_notify_ready(const char *status);
/* STATUS= (the stats line, so `systemctl status` shows it). */
void agent_notify_status(const char *status);
/* RELOADING=1 before a SIGHUP's config is read; agent_notify_ready() after. */
void agent_notify_reloading(void);
/* STOPPING=1 when the stop (flush, checkpoints) begins. */
void agent_notify_stopping(void);
/* WATCHDOG=1 when half the watchdog interval passed since the last one (monotonic ms). */
void agent_notify_watchdog(int64_t now_ms);

#endif
