# Runs COMMAND (a ;-list) and checks its exit code and output, for ctest entries that must assert
# both (ctest's PASS_REGULAR_EXPRESSION alone ignores the exit code).
# COMMAND separates its words with '|' (a ';' would be split by ctest before it gets here).
#   cmake -DCOMMAND=prog|arg|arg -DEXPECT_EXIT=2 [-DEXPECT_REGEX=...] [-DFORBID_REGEX=...] -P expect_run.cmake
string(REPLACE "|" ";" COMMAND "${COMMAND}")
execute_process(COMMAND ${COMMAND} RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err
                TIMEOUT 300)
message("${out}${err}")
if(NOT "${code}" STREQUAL "${EXPECT_EXIT}")
  message(FATAL_ERROR "exit code ${code}, expected ${EXPECT_EXIT}")
endif()
if(DEFINED EXPECT_REGEX AND NOT "${out}${err}" MATCHES "${EXPECT_REGEX}")
  message(FATAL_ERROR "output does not match '${EXPECT_REGEX}'")
endif()
if(DEFINED FORBID_REGEX AND "${out}${err}" MATCHES "${FORBID_REGEX}")
  message(FATAL_ERROR "output matches forbidden '${FORBID_REGEX}'")
endif()
