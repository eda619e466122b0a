#!/bin/bash
# Fault test: the disk fills up during a download.  A small tmpfs is mounted
# over the prefix's Downloader directory, so the destination, its temporary
# file and the job store all run out of space together.  The job must go to
# TRANSIENT_ERROR with ERROR_DISK_FULL, its record must stay readable (also
# across a restart of the service), and once space is freed the job must
# finish by itself, resuming with Range, byte-exact.  Needs root (mount);
# elsewhere it reports itself skipped.  Run by tests/run with WINEPREFIX set.
#
# Copyright 2026 the qmgr-for-wine authors
# SPDX-License-Identifier: LGPL-2.1-or-later

set -u
name=check-diskfull
jobs=1 files=1 file_kib=6144 rate=4m
. "$(dirname "$0")/lib.sh"
downloader="$WINEPREFIX/drive_c/ProgramData/Microsoft/Network/Downloader"
store="$downloader/qmgr-jobs"
win_out='C:\ProgramData\Microsoft\Network\Downloader\out'
disk_full=0x80070070    # HRESULT_FROM_WIN32(ERROR_DISK_FULL)

skip() {
    echo "$name: $1; skipped"
    echo "$name: 0 tests executed (0 marked as todo, 0 failures), 1 skipped."
    exit 0
}

service_state() {
    "$WINE" sc query BITS 2>/dev/null | tr -d '\r' | sed -n 's/.*STATE *: *[0-9]* *\([A-Z_]*\).*/\1/p' | head -n 1
}

stop_service() {
    local i
    "$WINE" sc stop BITS >/dev/null 2>&1
    for i in $(seq 1 80); do
        [ "$(service_state)" = STOPPED ] && return 0
        sleep 0.25
    done
    fail "the BITS service did not stop"
}

# "<state> <error>" of the fault job.
job_line() {
    timeout 120 "$WINE" "$client" status 2>/dev/null | tr -d '\r' | awk '/^qmgr-fault / { print $3, $5 }'
}

[ "$(id -u)" -eq 0 ] || skip "mounting a small filesystem needs root"

start_server
stop_service
mkdir -p "$downloader"
mount -t tmpfs -o size=4m qmgr-diskfull "$downloader" 2>/dev/null || skip "cannot mount a tmpfs here"
cleanup() {
    stop_service
    umount "$downloader" 2>/dev/null || umount -l "$downloader"
    stop_server
}
trap cleanup EXIT
mkdir -p "$downloader/out"

timeout 120 "$WINE" "$client" create "http://127.0.0.1:$port/" 1 1 "$win_out" 5 >/dev/null 2>&1
rc=$?
check '[ $rc -eq 0 ]' "creating the job failed ($rc)"

# The file is 6 MiB, the filesystem 4 MiB.
line=
for i in $(seq 1 120); do
    line=$(job_line)
    case $line in TRANSIENT_ERROR*|ERROR*|TRANSFERRED*) break ;; esac
    sleep 0.5
done
check '[ "${line%% *}" = TRANSIENT_ERROR ]' "the job is not in TRANSIENT_ERROR on a full disk: $line"
check '[ "${line#* }" = $disk_full ]' "the error is not ERROR_DISK_FULL: $line"
check '[ "$(df --output=avail "$downloader" | tail -n 1)" -lt 64 ]' "the filesystem was not full"

# The store on the full disk: one readable record, nothing torn or set aside.
check '[ "$(find "$store" -name "*.job" | wc -l)" -eq 1 ]' "the job's record is missing"
check '[ "$(find "$store" -name "*.corrupt" -o -name "*.tmp" | wc -l)" -eq 0 ]' "a torn or corrupt record: $(find "$store" -name "*.corrupt" -o -name "*.tmp")"
stop_service
line=$(job_line)
check '[ -n "$line" ]' "the job did not come back after a restart with the disk full"

# Space comes back: the next retry (5 s) finishes the job.
mount -o remount,size=16m "$downloader"
result=$(timeout 120 "$WINE" "$client" wait 1 90 2>&1 | tr -d '\r'; exit "${PIPESTATUS[0]}")
rc=$?
check '[ $rc -eq 0 ]' "the job did not finish after space was freed: $result"
check 'cmp -s "$www/0-0.bin" "$downloader/out/0-0.bin"' "the file is not byte-exact"
check 'grep -q "\"bytes=" "$data/access.log"' "the transfer did not resume with Range: $(cat "$data/access.log")"
stop_service
check '[ "$(find "$store" -name "*.job" -o -name "*.corrupt" -o -name "*.tmp" | wc -l)" -eq 0 ]' "records are left: $(ls -R "$store")"

echo "$name: the job went to TRANSIENT_ERROR ($disk_full) on a full disk and finished after space was freed;" \
     "requests: $(awk '{ printf "%s %s %s; ", $2, $3, $4 }' "$data/access.log")"
finish
