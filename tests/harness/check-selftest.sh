#!/bin/sh
# Builds tests/harness/selftest.c against tests/include/wine/test.h and checks
# the harness output, summary lines and exit codes.
#
# Copyright 2026 the qmgr-for-wine authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Usage: tests/harness/check-selftest.sh [build-dir]
# Environment: WINEPREFIX (default /tmp/harness-prefix), WINE (default wine),
#              WINEGCC (default winegcc), RUN (command prefix to run a .exe,
#              default "$WINE"; set RUN= to run natively on Windows/MSYS).

set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:-${TMPDIR:-/tmp}/qmgr-harness-selftest.$$}
mkdir -p "$build"

: "${WINEPREFIX:=/tmp/harness-prefix}"
: "${WINEDEBUG:=-all}"
: "${WINE:=wine}"
: "${WINEGCC:=winegcc}"
export WINEPREFIX WINEDEBUG
RUN=${RUN-$WINE}

# --- build --------------------------------------------------------------
# The generated test list: the same shape as the testlist.c of Wine's build.
cat > "$build/testlist.c" <<'EOF'
/* Automatically generated file; DO NOT EDIT!! */
#define STANDALONE
#include "wine/test.h"

extern void func_selftest(void);
extern void func_clean(void);
extern void func_child(void);
extern void func_platform(void);
extern void func_crash(void);

const struct test winetest_testlist[] =
{
    { "selftest", func_selftest },
    { "clean", func_clean },
    { "child", func_child },
    { "platform", func_platform },
    { "crash", func_crash },
    { 0, 0 }
};
EOF

set -x
$WINEGCC -b x86_64-w64-mingw32 -Wall -Wextra -Wno-unused-parameter -O2 -I"$top/tests/include" \
    -o "$build/selftest.exe" "$here/selftest.c" "$build/testlist.c" || exit 1
set +x

# --- helpers ------------------------------------------------------------
failures=0
checks=0

fail() { echo "check-selftest: FAIL: $*"; failures=$((failures + 1)); }
pass() { checks=$((checks + 1)); }

line_of() # mark -> line number in selftest.c
{
    grep -n "@mark $1 " "$here/selftest.c" | head -n 1 | cut -d: -f1
}

# run TEST OUTFILE [env assignments...]; sets $rc
run()
{
    t=$1; out=$2; shift 2
    # Output goes through a pipe, as in Wine's own test runs: a child process
    # writing to the same redirected file keeps its own position under Wine
    # and the parent's later lines could overwrite the child's.
    { env "$@" $RUN "$build/selftest.exe" $t 2>"$out.err"; echo $? > "$out.rc"; } | cat > "$out.raw"
    rc=$(cat "$out.rc")
    tr -d '\r' < "$out.raw" > "$out"
}

expect_rc() # expected actual what
{
    if [ "$1" = "$2" ]; then pass; else fail "$3: exit code $2, expected $1"; fi
}

expect_line() # file exact-line
{
    if grep -qxF -- "$2" "$1"; then pass; else fail "missing line in $(basename "$1"): '$2'"; fi
}

expect_no_line() # file exact-line
{
    if grep -qxF -- "$2" "$1"; then fail "unexpected line in $(basename "$1"): '$2'"; else pass; fi
}

expect_regex() # file extended-regex
{
    if grep -qxE -- "$2" "$1"; then pass; else fail "no line matching /$2/ in $(basename "$1")"; fi
}

expect_count() # file fixed-substring count
{
    n=$(grep -cF -- "$2" "$1")
    if [ "$n" = "$3" ]; then pass; else fail "$(basename "$1"): $n lines contain '$2', expected $3"; fi
}

expect_last() # file exact-line : the last line of the file
{
    last=$(tail -n 1 "$1")
    if [ "$last" = "$2" ]; then pass; else fail "last line of $(basename "$1") is '$last', expected '$2'"; fi
}

pid_re='[0-9a-f]{4,}'

# --- mixed: passes, failures, todo, skip, contexts, threads, child ------
out=$build/selftest.out
run selftest "$out"
expect_rc 15 "$rc" "selftest"
f=selftest.c
expect_line "$out" "$f:$(line_of fail): Test failed: expected failure 42"
expect_line "$out" "$f:$(line_of todo_fail): Test marked todo: todo failure"
expect_line "$out" "$f:$(line_of todo_pass): Test succeeded inside todo block: todo success"
expect_line "$out" "$f:$(line_of todo_if_fail): Test marked todo: todo_wine_if failure"
expect_line "$out" "$f:$(line_of todo_if1): Test marked todo: todo_if failure"
expect_line "$out" "$f:$(line_of nested_todo): Test marked todo: nested todo failure"
expect_line "$out" "$f:$(line_of skip): Tests skipped: not available 1"
expect_line "$out" "$f:$(line_of win_skip): Test failed: win_skip on wine"
expect_line "$out" "$f:$(line_of trace): hello world"
expect_line "$out" "$f:$(line_of flaky): Test marked flaky: flaky failure"
expect_line "$out" "other.c:1234: Test failed: explicit location"
expect_line "$out" "$f:$(line_of ctx_fail): Test failed: ctx1: ctx 2: in context"
expect_line "$out" "$f:$(line_of ctx_trace): ctx1: ctx 2: traced in context"
expect_line "$out" "$f:$(line_of ctx_todo): Test marked todo: ctx1: todo in context"
expect_line "$out" "$f:$(line_of after_pop): Test failed: after pop"
expect_line "$out" "$f:$(line_of muted): repeated trace 0"
expect_line "$out" "$f:$(line_of muted): repeated trace 41"
expect_no_line "$out" "$f:$(line_of muted): repeated trace 42"
expect_line "$out" "$f:$(line_of muted): Line has been silenced after 42 occurrences"
for i in 0 1 2 3; do
    expect_line "$out" "$f:$(line_of thread_fail): Test failed: thread $i: failure in thread"
done
expect_line "$out" "$f:$(line_of thread_todo): Test marked todo: main thread todo while threads ran"
for i in 0 1 2; do
    expect_line "$out" "$f:$(line_of child_fail): Test failed: child failure $i"
done
expect_regex "$out" "$pid_re:child: 3 tests executed \(0 marked as todo, 3 failures\), 0 skipped\."
expect_line "$out" "$f:$(line_of child_wait): 3 failures in child process"
expect_regex "$out" "$pid_re:selftest: Silenced 0 todos, 0 skips and 8 traces\."
expect_count "$out" "Test failed:" 12
expect_count "$out" "Test marked todo:" 6
expect_count "$out" "Test succeeded inside todo block:" 1
expect_count "$out" "tests executed" 2
# 4005 passes + 14 failures + 1 flaky + 6 todo + 1 todo success
summary=$(tail -n 1 "$out")
if echo "$summary" | grep -qxE "$pid_re:selftest: 4027 tests executed \(6 marked as todo, 15 failures\), 1 skipped\."; then pass
else fail "selftest summary: '$summary'"; fi
# every line is one whole message: no interleaving between threads/processes
bad=$(grep -vE "^(selftest\.c|other\.c):[0-9]+: |^$pid_re:(selftest|child): " "$out" | head -n 3)
if [ -z "$bad" ]; then pass; else fail "malformed lines: $bad"; fi

# --- clean run: everything passes, 4 threads x 1000 checks ------------
out=$build/clean.out
run clean "$out"
expect_rc 0 "$rc" "clean"
expect_count "$out" "" 1
expect_regex "$out" "$pid_re:clean: 4023 tests executed \(0 marked as todo, 0 failures\), 0 skipped\."

out=$build/clean-quiet.out
run clean "$out" WINETEST_DEBUG=0
expect_rc 0 "$rc" "clean with WINETEST_DEBUG=0"
expect_count "$out" "" 0

out=$build/report-success.out
run clean "$out" WINETEST_REPORT_SUCCESS=1
expect_rc 0 "$rc" "clean with WINETEST_REPORT_SUCCESS=1"
expect_count "$out" ": Test succeeded" 4023

# --- platform: todo_wine/broken/win_skip on Wine and as on Windows ------
out=$build/platform-wine.out
run platform "$out"
expect_rc 1 "$rc" "platform (wine)"
expect_line "$out" "$f:$(line_of platform_todo): Test marked todo: todo_wine failing check"
expect_line "$out" "$f:$(line_of platform_win_skip): Test failed: win_skip check"
expect_regex "$out" "$pid_re:platform: 3 tests executed \(1 marked as todo, 1 failure\), 0 skipped\."

out=$build/platform-windows.out
run platform "$out" WINETEST_PLATFORM=windows
expect_rc 1 "$rc" "platform (windows)"
expect_line "$out" "$f:$(line_of platform_todo): Test failed: todo_wine failing check"
expect_line "$out" "$f:$(line_of platform_win_skip): Tests skipped: win_skip check"
expect_regex "$out" "$pid_re:platform: 2 tests executed \(0 marked as todo, 1 failure\), 1 skipped\."

# --- test selection ------------------------------------------------------
out=$build/list.out
run --list "$out"
expect_rc 0 "$rc" "--list"
expect_line "$out" "Valid test names:"
for t in selftest clean child platform crash; do expect_line "$out" "    $t"; done

out=$build/usage.out
run "" "$out"
expect_rc 1 "$rc" "no argument with several tests"
expect_regex "$out" "Usage: .* test_name"

out=$build/unknown.out
run nosuchtest "$out"
expect_rc 1 "$rc" "unknown test"
expect_line "$out" "Fatal: test 'nosuchtest' does not exist."

out=$build/byfile.out
run clean.c "$out"
expect_rc 0 "$rc" "test named as file"

# --- crash: the last check is reported, the exit code is not 0 ----------
# As on Windows (exception filter ends the process):
out=$build/crash.out
run crash "$out" WINETEST_PLATFORM=windows
if [ "$rc" != 0 ]; then pass; else fail "crash: exit code 0"; fi
expect_line "$out" "$f:$(line_of crash_last): this is the last test seen before the exception"
expect_regex "$out" "$pid_re:crash: unhandled exception c0000005 at .*"
expect_count "$out" "tests executed" 0
# On Wine the filter prints the same lines and then lets winedbg print a backtrace.
out=$build/crash-wine.out
run crash "$out"
if [ "$rc" != 0 ]; then pass; else fail "crash (wine): exit code 0"; fi
expect_line "$out" "$f:$(line_of crash_last): this is the last test seen before the exception"
expect_count "$out" "tests executed" 0

echo "check-selftest: $checks checks passed, $failures failed (build dir $build)"
[ "$failures" = 0 ]
