# kafka-mock as a process, driven by kcat: tests/test_mock_kcat.sh (included from
# tests/CMakeLists.txt). Exit 77 means kcat is not installed: reported as skipped.
add_test(NAME test_mock_kcat
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_mock_kcat.sh $<TARGET_FILE:kafka-mock>)
set_tests_properties(test_mock_kcat PROPERTIES TIMEOUT 60 LABELS integration SKIP_RETURN_CODE 77)
# The compatibility matrix in its short form (four profiles): scripts/compat.sh --quick
# (about 45 s in Release, 40-70 s under ASan on the shared 2-core VM).
add_test(NAME test_compat COMMAND bash ${PROJECT_SOURCE_DIR}/scripts/compat.sh --quick ${PROJECT_BINARY_DIR})
set_tests_properties(test_compat PROPERTIES TIMEOUT 150 LABELS integration)
