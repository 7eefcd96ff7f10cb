/* kafka-agent's log lines on stderr: `log.format = text` (the default) writes them as
 * ever ("kafka-agent MODE: message"); `log.format = json` writes one JSON object per line:
 *
 *   {"time":"2026-12-04T20:01:02.123Z","level":"error","component":"kafka-agent/run",
 *    "message":"...","file":"/var/log/app.log","error":"..."}
 *
 * time is UTC with milliseconds; level is error, warning, notice, info or debug (syslog
 * severities 3-7); component is "kafka-agent/MODE" for the agent's own lines and
 * "libkafka/FACILITY" for the library's (broker set when the line is about one). Extra
 * fields come as key/value pairs; a value that is a plain decimal number is written as a
 * JSON number. Strings are escaped, bytes that are not UTF-8 become U+FFFD, so every line
 * parses. Each line is one write(2), so lines of several threads never interleave.
 *
 * Secrets never reach these lines: the library masks them, and the agent logs no
 * property value. */
#ifndef KAFKA_AGENT_ALOG_H
#define KAFKA_AGENT_ALOG_H

#include <stdbool.h>

#include "agent.h"

#define AGENT_LOG_ERR 3
#define AGENT_LOG_WARNING 4
#define AGENT_LOG_INFO 6

/* "text" or "json"; false for anything else. Set before any thread logs. */
bool agent_log_set_format(const char *name);
bool agent_log_is_json(void);

/* Notes that the user set log.level (then the library's lines are filtered by it alone). */
void agent_log_level_given(void);

/* In json mode, routes the library's log lines of conf through agent_log (a log callback);
 * in text mode the library keeps writing its own lines. */
void agent_log_library(const agent_ctx_t *ctx, kafka_conf_t *conf);

/* One line at a level: text "PROG MODE: message" (prefix false: the message alone), json
 * the object above with fields, a NULL-terminated key, value, ... list (NULL: none). */
void agent_log(const agent_ctx_t *ctx, int level, bool prefix, const char *const *fields, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Writes the JSON string of the len bytes at s (quotes included) to buf of size cap from
 * position *pos, moving *pos; truncates cleanly at cap. Exposed for the tests. */
void agent_json_string(char *buf, size_t cap, size_t *pos, const char *s, size_t len);

#endif
