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
/* Until when (GetTickCount64, in microseconds) the bytes taken so far use the
 * allowed rate: a transfer that brings more waits that much longer. */
static ULONGLONG paid_until_us;

DWORD bandwidth_take(UINT64 bytes, ULONGLONG *change_ms)
{
    ULONG rate = policy_background_rate(change_ms);
    ULONGLONG now_us, wait_ms;

    if (rate == POLICY_NO_LIMIT)
    {
        /* What was owed under a limit that is gone is forgiven. */
        AcquireSRWLockExclusive(&lock);
        paid_until_us = 0;
        ReleaseSRWLockExclusive(&lock);
        return 0;
    }
    if (!rate) return INFINITE;
    now_us = GetTickCount64() * 1000;
    AcquireSRWLockExclusive(&lock);
    /* Time without transfers leaves no credit for a burst afterwards. */
    if (paid_until_us < now_us) paid_until_us = now_us;
    paid_until_us += bytes * 8000 / rate;
    wait_ms = (paid_until_us - now_us) / 1000;
    ReleaseSRWLockExclusive(&lock);
    return wait_ms < INFINITE ? wait_ms : INFINITE - 1;
}
