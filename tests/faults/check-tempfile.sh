#!/bin/bash
# Fault test: kill -9 of the BITS service the moment a temporary file appears
# next to a destination, before the service's record of the job says that the
# file exists.  Once the jobs are complete no temporary file may be left
# (Windows' hidden BIT<hex>.tmp), and the files must be byte-exact.  Run by
# tests/run with WINEPREFIX set (our BITS installed in it).
#
# Copyright 2026 the qmgr-for-wine authors
# SPDX-License-Identifier: LGPL-2.1-or-later

set -u
name=check-tempfile
# One job of two small files.  nginx answers one request per 2 s (the others
# wait their turn): a temporary file is made before its GET is sent, and its
# first bytes, after which the service writes the record, come seconds later.
jobs=1 files=2 file_kib=256 rate=1m server_extra="limit_req zone=slow burst=20;"
. "$(dirname "$0")/lib.sh"

service_pid() {
    local pid
    for pid in $(pgrep -f 'svchost.exe -k netsvcs'); do
        tr '\0' '\n' 2>/dev/null < "/proc/$pid/environ" | grep -qxF "WINEPREFIX=$WINEPREFIX" && { echo "$pid"; return 0; }
    done
    return 1
}

start_server
create_jobs

# Each file's temporary file: the moment a name not seen before shows, kill.
# A client holds the session meanwhile (Wine ends the service with the last
# client); each kill is followed by a client call, which starts it again.
timeout 120 "$WINE" "$client" hold 100000 >/dev/null 2>&1 &
holder=$!
seen=" " kills=0 pid="" deadline=$(( $(date +%s) + 90 ))
while [ $kills -lt $files ] && [ "$(date +%s)" -lt $deadline ]; do
    [ -n "$pid" ] && [ -d "/proc/$pid" ] || pid=$(service_pid) || pid=""
    for path in "$out"/BIT*.tmp; do
        [ -e "$path" ] || continue
        case $seen in *" ${path##*/} "*) continue ;; esac
        seen="$seen${path##*/} "
        [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null && kills=$((kills + 1))
        pid=""
        all_transferred
        break
    done
    sleep 0.005
done
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
check '[ $kills -eq $files ]' "$kills kills, expected one as each temporary file appeared"

# The kills came before any byte of the files: none may be fetched again.
verify_jobs 0
left=$(ls "$out" | grep '^BIT.*\.tmp$')
check '[ -z "$left" ]' "temporary files left after Complete: $(echo $left)"
report "$kills kills of the service as a temporary file appeared"
finish
