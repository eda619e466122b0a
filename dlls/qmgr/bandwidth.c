/*
 * Background Intelligent Transfer Service: the bandwidth that Group Policy
 * (MaxInternetBandwidth, behavior.md 15) allows background transfers, all
 * of them together.  Foreground transfers are not limited.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "qmgr_private.h"

static SRWLOCK lock = SRWLOCK_INIT;
/* Background bytes since the service started: taken by transfers, and
 * cleared at the allowed rate as time passes.  A transfer waits until the
 * bytes it took are cleared.  Counted in bytes rather than time, what is
 * still owed is paid at whatever rate applies now: a raised limit shortens
 * the waits at once. */
static UINT64 taken, cleared;
static ULONGLONG cleared_at_us;  /* GetTickCount64 in microseconds, when cleared was last brought forward */

/* Brings cleared forward to now at this rate (kbit/s: rate / 8000 bytes a
 * microsecond); lock held. */
static void clear_until_now(ULONG rate)
{
    ULONGLONG now_us = GetTickCount64() * 1000, elapsed_us = now_us - cleared_at_us;
    UINT64 owed = taken - cleared;

    cleared_at_us = now_us;
    /* No limit forgives what was owed under one; time without transfers
     * leaves no credit for a burst afterwards; a rate of 0 clears nothing. */
    if (rate == POLICY_NO_LIMIT || (rate && elapsed_us >= owed * 8000 / rate)) cleared = taken;
    else if (rate) cleared += elapsed_us * rate / 8000;
}

UINT64 bandwidth_take(UINT64 bytes, BOOL *limited)
{
    ULONGLONG change_ms;
    ULONG rate = policy_background_rate(&change_ms);
    UINT64 mark;

    AcquireSRWLockExclusive(&lock);
    clear_until_now(rate);
    mark = taken += bytes;
    if (rate == POLICY_NO_LIMIT) cleared = taken;
    ReleaseSRWLockExclusive(&lock);
    *limited = rate != POLICY_NO_LIMIT;
    return mark;
}

DWORD bandwidth_wait(UINT64 mark, ULONGLONG *change_ms)
{
    ULONG rate = policy_background_rate(change_ms);
    UINT64 owed;

    AcquireSRWLockExclusive(&lock);
    clear_until_now(rate);
    owed = mark > cleared ? mark - cleared : 0;
    ReleaseSRWLockExclusive(&lock);
    if (!owed) return 0;
    if (!rate) return INFINITE;
    /* Rounded up: a wait of 0 would mean done. */
    return min((owed * 8 + rate - 1) / rate, INFINITE - 1);
}
