/*
 * Background Intelligent Transfer Service: the Group Policy limits
 * (behavior.md 15).  Only configured policies appear under the key; the
 * others have Windows' defaults.  A change applies to the next call without
 * a restart.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "qmgr_private.h"
#include "winreg.h"

#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(qmgr);

static const struct
{
    const WCHAR *name;
    DWORD default_value;
} policies[] =
{
    [POLICY_MAX_JOBS_PER_USER]     = { L"MaxJobsPerUser", 60 },
    [POLICY_MAX_JOBS_PER_MACHINE]  = { L"MaxJobsPerMachine", 300 },
    [POLICY_MAX_FILES_PER_JOB]     = { L"MaxFilesPerJob", 200 },
    [POLICY_MAX_RANGES_PER_FILE]   = { L"MaxRangesPerFile", 500 },
    [POLICY_JOB_INACTIVITY_DAYS]   = { L"JobInactivityTimeout", 90 },
    [POLICY_MAX_DOWNLOAD_SECONDS]  = { L"MaxDownloadTime", DEFAULT_MAX_DOWNLOAD_TIME },
};

/* The values are read again only when something under the policies key changed
 * (the BITS key itself may not exist yet): no registry trip on every call. */
static struct
{
    HKEY watched;
    HANDLE changed;
    BOOL loaded;
    DWORD values[ARRAY_SIZE(policies)];
} cache;

static CRITICAL_SECTION cache_cs;
static CRITICAL_SECTION_DEBUG cache_cs_debug =
{
    0, 0, &cache_cs,
    { &cache_cs_debug.ProcessLocksList, &cache_cs_debug.ProcessLocksList },
      0, 0, { (DWORD_PTR)(__FILE__ ": policy cache") }
};
static CRITICAL_SECTION cache_cs = { &cache_cs_debug, -1, 0, 0, 0, 0 };

static void load_policies(void)
{
    DWORD value, size;
    unsigned int i;

    if (!cache.changed) cache.changed = CreateEventW(NULL, FALSE, FALSE, NULL);
    if (!cache.watched && RegCreateKeyExW(HKEY_LOCAL_MACHINE, L"Software\\Policies", 0, NULL, 0, KEY_NOTIFY, NULL,
                                          &cache.watched, NULL))
        cache.watched = NULL;
    /* Armed before reading: a change during the reads is seen next time. */
    if (!cache.watched || !cache.changed ||
        RegNotifyChangeKeyValue(cache.watched, TRUE, REG_NOTIFY_CHANGE_NAME | REG_NOTIFY_CHANGE_LAST_SET,
                                cache.changed, TRUE))
        cache.loaded = FALSE;  /* cannot watch: read at every use */
    else cache.loaded = TRUE;

    for (i = 0; i < ARRAY_SIZE(policies); i++)
    {
        size = sizeof(value);
        if (RegGetValueW(HKEY_LOCAL_MACHINE, L"Software\\Policies\\Microsoft\\Windows\\BITS", policies[i].name,
                         RRF_RT_REG_DWORD, NULL, &value, &size))
            value = policies[i].default_value;
        else TRACE("%s is %lu.\n", debugstr_w(policies[i].name), value);
        cache.values[i] = value;
    }
}

DWORD policy_get(enum policy policy)
{
    DWORD value;

    EnterCriticalSection(&cache_cs);
    if (!cache.loaded || !WaitForSingleObject(cache.changed, 0)) load_policies();
    value = cache.values[policy];
    LeaveCriticalSection(&cache_cs);
    return value;
}
