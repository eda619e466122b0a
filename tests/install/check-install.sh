#!/bin/sh
# Checks `make prefix-install` and `make prefix-uninstall` on the test prefix:
# uninstalling gives Wine's builtin BITS back (its file, only the 1.0 class),
# installing twice serves all ten versions from our DLL, as other tools expect.
# Run by tests/run after the test executables, with WINEPREFIX set; it leaves
# the prefix installed.
#
# Copyright 2026 the qmgr-for-wine authors
# SPDX-License-Identifier: LGPL-2.1-or-later

set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
: "${WINEPREFIX:?WINEPREFIX must be set}"
: "${WINE:=wine}"
export WINEDEBUG="${WINEDEBUG:--all}"
system32="$WINEPREFIX/drive_c/windows/system32"
probe="$top/tests/install/bitsprobe.exe"
failures=0 checks=0

fail() { echo "check-install: FAIL: $*"; failures=$((failures + 1)); }
check() { checks=$((checks + 1)); if eval "$1"; then :; else fail "$2"; fi; }

# "<version> <hr create> <hr job>" lines, without carriage returns.
if [ -z "${WINESERVER:-}" ]; then
    WINESERVER=$(command -v wineserver || ls /usr/lib/wine/wineserver /usr/lib/wine/wineserver64 2>/dev/null | head -n 1)
fi
# The probe's session ends before anything else starts: a session that is
# still ending when the next command arrives can leave Wine's rpcss with the
# class registration of a service it has just terminated (the builtin BITS
# registers without bitsguard), and the next activation fails with
# 0x800706ba.  This prefix is the test's own, so waiting is safe.
run_probe() {
    timeout 120 "$WINE" "$probe" 2>/dev/null | tr -d '\r'
    timeout 60 "$WINESERVER" -w
}
result() { printf '%s\n' "$1" | sed -n "s/^$2 \(0x[0-9a-f]*\) \(0x[0-9a-f]*\)$/\1 \2/p"; }

[ -f "$probe" ] || { echo "check-install: $probe is not built"; exit 1; }

# Uninstall: Wine's own DLLs and registrations are back.
make -s -C "$top" prefix-uninstall WINEPREFIX="$WINEPREFIX" >/dev/null || fail "make prefix-uninstall failed"
check 'grep -q "Wine builtin DLL" "$system32/qmgr.dll"' "qmgr.dll is not Wine's builtin after uninstall"
check 'grep -q "Wine builtin DLL" "$system32/qmgrprxy.dll"' "qmgrprxy.dll is not Wine's builtin after uninstall"
out=$(run_probe)
check '[ "$(result "$out" 1.0)" = "0x00000000 0x00000000" ]' "Wine's builtin BITS 1.0 does not work after uninstall: $(result "$out" 1.0)"
check '[ "$(result "$out" 10.3 | cut -d" " -f1)" = "0x80040154" ]' "BITS 10.3 is still registered after uninstall: $(result "$out" 10.3)"

# Install twice: idempotent, our files, every version served.
for pass in 1 2; do
    make -s -C "$top" prefix-install WINEPREFIX="$WINEPREFIX" >/dev/null || fail "make prefix-install (pass $pass) failed"
done
check 'cmp -s "$system32/qmgr.dll" "$top/dlls/qmgr/qmgr.dll"' "system32/qmgr.dll is not our build"
check 'cmp -s "$system32/qmgrprxy.dll" "$top/dlls/qmgrprxy/qmgrprxy.dll"' "system32/qmgrprxy.dll is not our build"
out=$(run_probe)
for v in 1.0 1.5 2.0 2.5 3.0 4.0 5.0 10.1 10.2 10.3; do
    check '[ "$(result "$out" $v)" = "0x00000000 0x00000000" ]' "BITS $v through our service: $(result "$out" $v)"
done

echo "check-install: $((checks - failures)) checks passed, $failures failed"
[ $failures -eq 0 ]
