# kafka-agent from the command line against kafka-mock (and kcat to read back):
# tests/test_agent_cli.sh. Included from tests/CMakeLists.txt.
add_test(NAME test_agent_cli
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_agent_cli.sh $<TARGET_FILE:kafka-agent> $<TARGET_FILE:kafka-mock>)
set_tests_properties(test_agent_cli PROPERTIES TIMEOUT 180 LABELS integration)

# kafka-agent run: crash (SIGKILL while files rotate), outage, signals, bad configs.
add_test(NAME test_agent_run
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_agent_run.sh $<TARGET_FILE:kafka-agent> $<TARGET_FILE:kafka-mock>)
set_tests_properties(test_agent_run PROPERTIES TIMEOUT 240 LABELS integration)

# kafka-agent run, delivery.guarantee=exactly-once: SIGKILLs at random instants while
# files rotate and a broker goes down (lost = 0, duplicated = 0 with read_committed),
# fencing by a second agent, consume / bench consume -X isolation.level=read_committed.
# One round here; KAFKA_EOS_ROUNDS=10 for the full check.
add_test(NAME test_agent_eos
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_agent_eos.sh $<TARGET_FILE:kafka-agent> $<TARGET_FILE:kafka-mock>)
set_tests_properties(test_agent_eos PROPERTIES TIMEOUT 240 LABELS integration)

# kafka-agent's Prometheus endpoint: exact counters, promtool, bad requests, /healthz
# through an outage.
add_test(NAME test_agent_metrics
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_agent_metrics.sh $<TARGET_FILE:kafka-agent> $<TARGET_FILE:kafka-mock>)
set_tests_properties(test_agent_metrics PROPERTIES TIMEOUT 120 LABELS integration)

# kafka-agent's log lines: log.format=json parses line by line, fields and escaping, the
# library's lines, no secret in any line.
add_test(NAME test_agent_log
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_agent_log.sh $<TARGET_FILE:kafka-agent> $<TARGET_FILE:kafka-mock>)
set_tests_properties(test_agent_log PROPERTIES TIMEOUT 120 LABELS integration)

# kafka-agent run under systemd: READY/STATUS/RELOADING/STOPPING and the watchdog over a
# notification socket the test binds; config/kafka-agent.service verified.
add_test(NAME test_agent_systemd
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_agent_systemd.sh $<TARGET_FILE:kafka-agent> $<TARGET_FILE:kafka-mock>)
set_tests_properties(test_agent_systemd PROPERTIES TIMEOUT 120 LABELS integration)

# kafka-agent bench's pictures: --report/--svg/--compare/--sweep, checked as files and in
# headless Chromium (screenshot decoded, DOM dumped).
add_test(NAME test_agent_report
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_agent_report.sh $<TARGET_FILE:kafka-agent>)
set_tests_properties(test_agent_report PROPERTIES TIMEOUT 240 LABELS integration)

# kafka-agent topics and configs against kafka-mock, with kcat as an independent check.
add_test(NAME test_agent_admin
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_agent_admin.sh $<TARGET_FILE:kafka-agent> $<TARGET_FILE:kafka-mock>)
set_tests_properties(test_agent_admin PROPERTIES TIMEOUT 180 LABELS integration)

# kafka-agent consume -G as a group member: two agents split a topic, SIGKILL of one and
# session timeout, SIGTERM/-c/-e leave the group, -t repeats.
add_test(NAME test_agent_group
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_agent_group.sh $<TARGET_FILE:kafka-agent> $<TARGET_FILE:kafka-mock>)
set_tests_properties(test_agent_group PROPERTIES TIMEOUT 180 LABELS integration)

# A group under churn: consume -G members join, leave, are SIGKILLed and the coordinator
# moves while 60,000 messages (KAFKA_CHURN_MESSAGES) are consumed with commits.
add_test(NAME test_agent_group_churn
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_agent_group_churn.sh $<TARGET_FILE:kafka-agent> $<TARGET_FILE:kafka-mock>)
set_tests_properties(test_agent_group_churn PROPERTIES TIMEOUT 120 LABELS integration)

# kafka-agent groups: list, describe with exact committed offsets and lag (an empty group,
# two consume -G members, paused), --json, errors; bench consume -G --consumers 3.
add_test(NAME test_agent_groups
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_agent_groups.sh $<TARGET_FILE:kafka-agent> $<TARGET_FILE:kafka-mock>)
set_tests_properties(test_agent_groups PROPERTIES TIMEOUT 120 LABELS integration)
