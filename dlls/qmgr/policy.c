/*
 * Background Intelligent Transfer Service: the Group Policy limits
 * (behavior.md 15), and when implicit credentials go to a server that did not
 * get SetCredentials (UseLMCompat, behavior.md 11.6).  Only configured values
 * appear in the registry; the others have Windows' defaults.  A change
 * applies to the next call (or job run) without a restart.
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
    [POLICY_BANDWIDTH_ENABLED]     = { L"EnableBITSMaxBandwidth", 0 },
    [POLICY_BANDWIDTH_IN_WINDOW]   = { L"MaxTransferRateOnSchedule", POLICY_NO_LIMIT },
    [POLICY_BANDWIDTH_WINDOW_FROM] = { L"MaxBandwidthValidFrom", 8 },
    [POLICY_BANDWIDTH_WINDOW_TO]   = { L"MaxBandwidthValidTo", 17 },
    [POLICY_BANDWIDTH_UNLIMITED_OUTSIDE] = { L"UseSystemMaximum", 1 },
    [POLICY_BANDWIDTH_OUTSIDE]     = { L"MaxTransferRateOffSchedule", POLICY_NO_LIMIT },
};

/* Where UseLMCompat and LmCompatibilityLevel are (HKLM). */
static const WCHAR bits_key[] = L"Software\\Microsoft\\Windows\\CurrentVersion\\BITS";
static const WCHAR lsa_key[] = L"System\\CurrentControlSet\\Control\\Lsa";

/* The keys watched for changes: the BITS policy key itself may not exist yet. */
static const WCHAR *const watched_keys[] = { L"Software\\Policies", bits_key, lsa_key };

/* The values are read again only when something under a watched key changed:
 * no registry trip on every call. */
static struct
{
    HKEY watched[ARRAY_SIZE(watched_keys)];
    HANDLE changed;
    BOOL loaded;
    DWORD values[ARRAY_SIZE(policies)];
    BOOL implicit_credentials;
} cache;

static CRITICAL_SECTION cache_cs;
static CRITICAL_SECTION_DEBUG cache_cs_debug =
{
    0, 0, &cache_cs,
    { &cache_cs_debug.ProcessLocksList, &cache_cs_debug.ProcessLocksList },
      0, 0, { (DWORD_PTR)(__FILE__ ": policy cache") }
};
static CRITICAL_SECTION cache_cs = { &cache_cs_debug, -1, 0, 0, 0, 0 };

static DWORD read_dword(const WCHAR *key, const WCHAR *name, DWORD default_value)
{
    DWORD value, size = sizeof(value);

    if (RegGetValueW(HKEY_LOCAL_MACHINE, key, name, RRF_RT_REG_DWORD, NULL, &value, &size)) return default_value;
    TRACE("%s is %lu.\n", debugstr_w(name), value);
    return value;
}

/* UseLMCompat: 0, implicit credentials whenever a server (or proxy) asks for
 * NTLM or Kerberos; 1, only when LmCompatibilityLevel is 2 or more; 2 (the
 * default), only through SetCredentials.  An absent LmCompatibilityLevel is
 * Windows' default, 3 (NTLMv2 only). */
static BOOL read_implicit_credentials(void)
{
    switch (read_dword(bits_key, L"UseLMCompat", 2))
    {
    case 0: return TRUE;
    case 1: return read_dword(lsa_key, L"LmCompatibilityLevel", 3) >= 2;
    default: return FALSE;
    }
}

static void load_policies(void)
{
    unsigned int i;

    if (!cache.changed) cache.changed = CreateEventW(NULL, FALSE, FALSE, NULL);
    /* Armed before reading: a change during the reads is seen next time. */
    cache.loaded = !!cache.changed;
    for (i = 0; i < ARRAY_SIZE(watched_keys); i++)
    {
        if (!cache.watched[i] && RegCreateKeyExW(HKEY_LOCAL_MACHINE, watched_keys[i], 0, NULL, 0, KEY_NOTIFY, NULL,
                                                 &cache.watched[i], NULL))
            cache.watched[i] = NULL;
        if (!cache.watched[i] || !cache.changed ||
            RegNotifyChangeKeyValue(cache.watched[i], TRUE, REG_NOTIFY_CHANGE_NAME | REG_NOTIFY_CHANGE_LAST_SET,
                                    cache.changed, TRUE))
            cache.loaded = FALSE;  /* cannot watch: read at every use */
    }

    for (i = 0; i < ARRAY_SIZE(policies); i++)
        cache.values[i] = read_dword(L"Software\\Policies\\Microsoft\\Windows\\BITS", policies[i].name,
                                     policies[i].default_value);
    cache.implicit_credentials = read_implicit_credentials();
}

static void CALLBACK tell_watcher(TP_CALLBACK_INSTANCE *instance, void *context);
static void (*watch_callback)(void);  /* policy_watch() */

static void refresh(void)
{
    if (cache.loaded && WaitForSingleObject(cache.changed, 0)) return;
    /* A change this call met first is the watcher's news too (policy_watch). */
    if (cache.loaded && watch_callback) TrySubmitThreadpoolCallback(tell_watcher, NULL, NULL);
    load_policies();
}

DWORD policy_get(enum policy policy)
{
    DWORD value;

    EnterCriticalSection(&cache_cs);
    refresh();
    value = cache.values[policy];
    LeaveCriticalSection(&cache_cs);
    return value;
}

BOOL policy_implicit_credentials(void)
{
    BOOL value;

    EnterCriticalSection(&cache_cs);
    refresh();
    value = cache.implicit_credentials;
    LeaveCriticalSection(&cache_cs);
    return value;
}

/* The window runs from the hour MaxBandwidthValidFrom to the hour
 * MaxBandwidthValidTo of local time, across midnight when From is the later;
 * the same hour for both makes it the whole day.  Below 2 kbit/s a limit is
 * 2 (behavior.md 15); 0 stops background transfers. */
ULONG policy_background_rate(ULONGLONG *change_ms)
{
    DWORD values[POLICY_BANDWIDTH_OUTSIDE - POLICY_BANDWIDTH_ENABLED + 1], from, to, hour;
    BOOL inside;
    SYSTEMTIME now;
    ULONG rate;
    unsigned int i;

    *change_ms = ~0ull;
    EnterCriticalSection(&cache_cs);
    refresh();
    for (i = 0; i < ARRAY_SIZE(values); i++) values[i] = cache.values[POLICY_BANDWIDTH_ENABLED + i];
    LeaveCriticalSection(&cache_cs);
#define VALUE(policy) values[(policy) - POLICY_BANDWIDTH_ENABLED]
    if (!VALUE(POLICY_BANDWIDTH_ENABLED)) return POLICY_NO_LIMIT;
    from = VALUE(POLICY_BANDWIDTH_WINDOW_FROM) % 24;
    to = VALUE(POLICY_BANDWIDTH_WINDOW_TO) % 24;
    GetLocalTime(&now);
    hour = now.wHour;
    if (from == to) inside = TRUE;
    else if (from < to) inside = hour >= from && hour < to;
    else inside = hour >= from || hour < to;
    if (from != to)
    {
        /* The next edge of the window: the start of the hour it changes at. */
        DWORD edge = inside ? to : from, hours = (edge + 24 - hour) % 24;
        *change_ms = (hours * 3600ull - now.wMinute * 60ull - now.wSecond) * 1000 - now.wMilliseconds;
    }
    if (inside) rate = VALUE(POLICY_BANDWIDTH_IN_WINDOW);
    else rate = VALUE(POLICY_BANDWIDTH_UNLIMITED_OUTSIDE) ? POLICY_NO_LIMIT : VALUE(POLICY_BANDWIDTH_OUTSIDE);
#undef VALUE
    if (rate && rate < 2) rate = 2;
    return rate;
}

/* Who hears of changes (policy_watch): whoever meets the cache's event
 * first, a call reading the values or the wait below, reloads them and
 * tells it, on a thread pool thread. */
static HANDLE watch_wait;

static void CALLBACK tell_watcher(TP_CALLBACK_INSTANCE *instance, void *context)
{
    if (watch_callback) watch_callback();
}

static void CALLBACK policy_changed(void *context, BOOLEAN timed_out)
{
    EnterCriticalSection(&cache_cs);
    load_policies();
    LeaveCriticalSection(&cache_cs);
    if (watch_callback) watch_callback();
}

void policy_watch(void (*callback)(void))
{
    EnterCriticalSection(&cache_cs);
    refresh();
    watch_callback = callback;
    LeaveCriticalSection(&cache_cs);
    if (!cache.changed ||
        !RegisterWaitForSingleObject(&watch_wait, cache.changed, policy_changed, NULL, INFINITE, WT_EXECUTEDEFAULT))
        WARN("cannot watch the policies: jobs the bandwidth policy holds back wait for their retry.\n");
}

BOOL policy_watching(void)
{
    return watch_wait != NULL;
}

void policy_unwatch(void)
{
    if (watch_wait) UnregisterWaitEx(watch_wait, INVALID_HANDLE_VALUE);
    watch_wait = NULL;
    watch_callback = NULL;
}
