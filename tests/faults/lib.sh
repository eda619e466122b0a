# Shared by the fault tests (check-*.sh here): checks and counts, a
# rate-limited loopback nginx serving generated files, the fault jobs' client,
# and the final verdict (every job complete, byte-exact, resumed with Range).
# The sourcing script sets "name" first.
#
# Copyright 2026 the qmgr-for-wine authors
# SPDX-License-Identifier: LGPL-2.1-or-later

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${WINEPREFIX:?WINEPREFIX must be set}"
: "${WINE:=wine}"
if [ -z "${WINESERVER:-}" ]; then
    WINESERVER=$(command -v wineserver || ls /usr/lib/wine/wineserver /usr/lib/wine/wineserver64 2>/dev/null | head -n 1)
fi
export WINEDEBUG="${WINEDEBUG:--all}"
client="$top/tests/faults/faultclient.exe"
: "${jobs:=4}" "${files:=2}" "${file_kib:=2048}" "${rate:=384k}"
# More nginx directives for the server block, if a test needs them.
: "${server_extra:=}"
failures=0 checks=0

fail() { echo "$name: FAIL: $*"; failures=$((failures + 1)); }
check() { checks=$((checks + 1)); if eval "$1"; then :; else fail "$2"; fi; }
finish() {
    echo "$name: $((checks - failures)) checks passed, $failures failed"
    [ $failures -eq 0 ]
    exit
}

# Files to fetch and an nginx that sends them slowly enough for the faults to
# land during the transfers, logging each request's Range and bytes sent.
start_server() {
    [ -f "$client" ] || { fail "$client is not built"; finish; }
    command -v nginx >/dev/null || { fail "nginx is not installed (tools/setup installs nginx-light)"; finish; }
    data=$(mktemp -d /tmp/qmgr-fault.XXXXXX)
    www="$data/www" out="$data/out"
    mkdir -p "$www" "$out"
    # nginx's workers may run as another user: they must be able to read the files.
    chmod 755 "$data"
    trap 'stop_server' EXIT
    local j f attempt
    for j in $(seq 0 $((jobs - 1))); do
        for f in $(seq 0 $((files - 1))); do
            head -c $((file_kib * 1024)) /dev/urandom > "$www/$j-$f.bin"
        done
    done
    chmod -R a+rX "$www"
    total_bytes=$((jobs * files * file_kib * 1024))
    for attempt in 1 2 3 4 5; do
        port=$(( (RANDOM % 20000) + 20000 ))
        cat > "$data/nginx.conf" <<CONF
worker_processes 1;
pid $data/nginx.pid;
error_log $data/error.log;
events { worker_connections 64; }
http {
    log_format fault '\$uri "\$http_range" \$status \$body_bytes_sent';
    access_log $data/access.log fault;
    limit_rate $rate;
    limit_req_zone \$binary_remote_addr zone=slow:1m rate=30r/m;
    server { listen 127.0.0.1:$port; root $www; $server_extra }
}
CONF
        # Not holding tests/run's lock (fd 9): nginx outlives a test killed at its timeout.
        nginx -e "$data/error.log" -c "$data/nginx.conf" 2>/dev/null 9>&- && return 0
    done
    fail "nginx did not start"
    finish
}

stop_server() {
    # The server first: on tests/run's timeout this trap has 10 s before
    # SIGKILL, and the cancel below may wait up to 60 s for a busy service.
    [ -f "$data/nginx.pid" ] && kill "$(cat "$data/nginx.pid")" 2>/dev/null
    rm -rf "$data"
    # Jobs a failure left would count in the next fault test.
    timeout 60 "$WINE" "$client" cancel >/dev/null 2>&1
}

create_jobs() {
    local rc
    timeout 120 "$WINE" "$client" create "http://127.0.0.1:$port/" $jobs $files "Z:${out//\//\\}" >/dev/null 2>&1
    rc=$?
    check '[ $rc -eq 0 ]' "creating the jobs failed ($rc)"
}

# The last line of "faultclient status": jobs N transferred N error N bytes D/T.
all_transferred() {
    local summary njobs ntransferred
    summary=$(timeout 120 "$WINE" "$client" status 2>/dev/null | tr -d '\r' | tail -n 1)
    read -r _ njobs _ ntransferred _ _ _ _ <<<"$summary"
    [ -n "${njobs:-}" ] && [ "$njobs" = "$ntransferred" ]
}

# Waits for the jobs, completes them and judges the result.  $1: how many
# faults there were, for the bound on bytes fetched again.
verify_jobs() {
    local faults=$1 result rc njobs j f in_flight=262144
    result=$(timeout 300 "$WINE" "$client" wait $jobs 240 2>&1 | tr -d '\r'; exit "${PIPESTATUS[0]}")
    rc=$?
    check '[ $rc -eq 0 ]' "not every job was transferred and completed: $result"
    read -r _ njobs _ _ _ _ _ _ <<<"$(tail -n 1 <<<"$result")"
    lost=$((jobs - ${njobs:-0}))
    check '[ $lost -eq 0 ]' "jobs lost: ${njobs:-0} of $jobs came back"

    exact=0
    for j in $(seq 0 $((jobs - 1))); do
        for f in $(seq 0 $((files - 1))); do
            if cmp -s "$www/$j-$f.bin" "$out/$j-$f.bin"; then exact=$((exact + 1)); else fail "$j-$f.bin is not byte-exact"; fi
        done
    done
    checks=$((checks + 1))

    # The server's side.  A fault loses at most the bytes in flight, so a file
    # is fetched in full again only when its first response was cut off before
    # any of it could reach the disk; every other restart is a Range request.
    ranges=$(grep -c '"bytes=' "$data/access.log")
    sent=$(awk '{ s += $4 } END { print s + 0 }' "$data/access.log")
    refetched=$((sent - total_bytes))
    full_again=$(awk -v limit=$in_flight '$2 == "\"-\"" { if (seen[$1] && first[$1] > limit) print $1; if (!seen[$1]) first[$1] = $4; seen[$1] = 1 }' "$data/access.log")
    check '[ -z "$full_again" ]' "fetched in full again although bytes were on disk: $(echo $full_again)"
    for f in $full_again; do grep "^$f " "$data/access.log" | sed 's/^/    /'; done
    check '[ "$ranges" -ge $((faults / 2)) ]' "only $ranges Range requests for $faults faults"
    check '[ "$refetched" -le $((faults * in_flight)) ]' "$refetched bytes fetched again for $faults faults"
}

report() {
    echo "$name: $1 during the transfer of $jobs jobs ($((total_bytes / 1048576)) MiB);" \
         "jobs lost: $lost; files byte-exact: $exact of $((jobs * files));" \
         "Range requests: $ranges; bytes sent by the server: $sent; fetched again: $refetched"
}
