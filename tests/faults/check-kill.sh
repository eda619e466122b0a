#!/bin/bash
# Fault test: kill -9 of the BITS service's svchost, 20 times at random moments
# while several download jobs transfer from a rate-limited loopback nginx.
# After each kill a new client process calls the service, which COM starts
# again (bitsguard has revoked the dead process's class registration).  In the
# end every job must be TRANSFERRED and complete with byte-exact files, no job
# may be lost, and the server's log must show resumes with Range, not fetches
# from zero.  Run by tests/run with WINEPREFIX set (our BITS installed in it).
#
# Copyright 2026 the qmgr-for-wine authors
# SPDX-License-Identifier: LGPL-2.1-or-later

set -u
name=check-kill
kills_wanted=${QMGR_FAULT_KILLS:-20}
# Enough data, sent slowly enough, that 20 kills and restarts fit in the
# transfers: each kill waits for a client's call to start the service again,
# 2.5-4 s on a machine where Wine's round trips are slow (20 MiB at 256 KiB/s
# take 80 s when the jobs run one at a time).
file_kib=2560 rate=256k
. "$(dirname "$0")/lib.sh"

# The svchost of this prefix's BITS service, never another prefix's.
service_pid() {
    local dir cmd
    for dir in /proc/[0-9]*; do
        cmd=$(tr '\0' ' ' 2>/dev/null < "$dir/cmdline") || continue
        case $cmd in *svchost.exe\ -k\ netsvcs*) ;; *) continue ;; esac
        if tr '\0' '\n' 2>/dev/null < "$dir/environ" | grep -qxF "WINEPREFIX=$WINEPREFIX"; then
            echo "${dir#/proc/}"
            return 0
        fi
    done
    return 1
}

start_server
create_jobs

kills=0 attempts=0 finished_early=0 loop_start=$(date +%s)
while [ $kills -lt "$kills_wanted" ] && [ $attempts -lt $((kills_wanted * 5)) ]; do
    attempts=$((attempts + 1))
    # A client call: starts the service again after the last kill.
    if all_transferred; then
        finished_early=1
        break
    fi
    sleep "0.$(printf '%03d' $((RANDOM % 600 + 100)))"
    if pid=$(service_pid); then
        kill -9 "$pid" 2>/dev/null && kills=$((kills + 1))
    fi
done
loop_s=$(( $(date +%s) - loop_start ))
check '[ $kills -ge $kills_wanted ]' "only $kills kills in $loop_s s before the transfers ended (finished early: $finished_early)"

verify_jobs $kills
report "$kills kills of the service in $loop_s s"
finish
