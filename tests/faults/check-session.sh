#!/bin/bash
# Fault test: the Wine session ends, again and again, while download jobs
# transfer.  Wine's services.exe then terminates the BITS service without a
# stop control, so every change a client made must already be on disk when
# that client exits (qmgrprxy.dll waits for the store), and the transfers must
# resume with Range in the next session.  After the last session no record of
# the completed jobs may be left.  Run by tests/run with WINEPREFIX set.
#
# Copyright 2026 the qmgr-for-wine authors
# SPDX-License-Identifier: LGPL-2.1-or-later

set -u
name=check-session
# Transfers run only while a client keeps the session alive: smaller files,
# at a rate slow enough that eight sessions of at most 1.2 s each (and the
# time Wine takes to start and end them) cannot finish them: 12 MiB at
# 192 KiB/s per connection need about 16 s.
file_kib=1536
rate=192k
. "$(dirname "$0")/lib.sh"
sessions_wanted=${QMGR_FAULT_SESSIONS:-8}
records="$WINEPREFIX/drive_c/ProgramData/Microsoft/Network/Downloader/qmgr-jobs"

# Everything of this prefix ends when its last client exits; bounded.
end_session() {
    timeout 60 "$WINESERVER" -w
}

# Other units may have left jobs of their own in the prefix.
count_records() {
    find "$records" -name "*.job" 2>/dev/null | wc -l
}

start_server
end_session
before=$(count_records)
create_jobs
end_session
check '[ "$(count_records)" -eq $((before + jobs)) ]' "the new jobs were not saved before the session ended"

sessions=0 finished_early=0
while [ $sessions -lt "$sessions_wanted" ]; do
    # A client that lives a random 0.3-1.2 s keeps the session, and the transfers, going.
    timeout 60 "$WINE" "$client" hold "$((RANDOM % 900 + 300))" >/dev/null 2>&1
    end_session
    sessions=$((sessions + 1))
    if all_transferred; then
        finished_early=1
        break
    fi
done
check '[ $sessions -ge $sessions_wanted ] && [ $finished_early -eq 0 ]' "the transfers ended after only $sessions sessions"

verify_jobs $sessions
end_session
left=$(( $(count_records) - before ))
check '[ "$left" -eq 0 ]' "$left records of completed jobs are left after the session ended"
report "$sessions ends of the Wine session"
finish
