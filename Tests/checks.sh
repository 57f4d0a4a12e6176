# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
# Counted checks for the shell test scripts; source it after setting
# `suite` (the name every line starts with) and `work` (a scratch directory).
#
#   check NAME COMMAND...   runs the command; a failure prints NAME and the
#                           first 40 lines of its output
#   checks_done             prints "SUITE: N passed, M failed"; fails if M > 0
passed=0
failed=0
check() {
  local name=$1
  shift
  if "$@" >"$work/check.out" 2>&1; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "$suite: FAIL: $name"
    sed 's/^/  /' "$work/check.out" | head -n 40
  fi
}
checks_done() {
  echo "$suite: $passed passed, $failed failed"
  [[ $failed -eq 0 ]]
}
