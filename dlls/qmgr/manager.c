/*
 * Background Intelligent Transfer Service: IBackgroundCopyManager and the
 * table of jobs the service knows.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>

#include "qmgr_private.h"
#include "fast_server.h"
#include "store.h"

#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(qmgr);

/* Jobs that are not yet ACKNOWLEDGED or CANCELLED; the table holds one reference each. */
static struct
{
    CRITICAL_SECTION cs;
    struct job **jobs;
    ULONG count;
    ULONG capacity;
} table;

static IBackgroundCopyManager manager;
static TP_TIMER *scavenge_timer;

/* Held from the job limits' check to the new job's entry in the table. */
static CRITICAL_SECTION create_cs;

void manager_init(void)
{
    InitializeCriticalSection(&table.cs);
    InitializeCriticalSection(&create_cs);
}

void manager_shutdown(void)
{
    struct job **jobs;
    ULONG i, count;

    policy_unwatch();
    if (scavenge_timer)
    {
        SetThreadpoolTimer(scavenge_timer, NULL, 0, 0);
        WaitForThreadpoolTimerCallbacks(scavenge_timer, TRUE);
        CloseThreadpoolTimer(scavenge_timer);
        scavenge_timer = NULL;
    }

    EnterCriticalSection(&table.cs);
    jobs = table.jobs;
    count = table.count;
    table.jobs = NULL;
    table.count = table.capacity = 0;
    LeaveCriticalSection(&table.cs);

    for (i = 0; i < count; i++) job_release(jobs[i]);
    free(jobs);
}

static HRESULT table_add(struct job *job)
{
    HRESULT hr = S_OK;

    EnterCriticalSection(&table.cs);
    if (table.count == table.capacity)
    {
        ULONG capacity = table.capacity ? table.capacity * 2 : 64;
        struct job **jobs = realloc(table.jobs, capacity * sizeof(*jobs));
        if (jobs)
        {
            table.jobs = jobs;
            table.capacity = capacity;
        }
        else hr = E_OUTOFMEMORY;
    }
    if (SUCCEEDED(hr))
    {
        job_addref(job);
        table.jobs[table.count++] = job;
    }
    LeaveCriticalSection(&table.cs);
    return hr;
}

/* Called by a job that reached ACKNOWLEDGED or CANCELLED; it must not hold its own lock. */
void manager_forget_job(struct job *job)
{
    BOOL found = FALSE;
    ULONG i;

    scheduler_forget(job);
    EnterCriticalSection(&table.cs);
    for (i = 0; i < table.count; i++)
    {
        if (table.jobs[i] != job) continue;
        table.jobs[i] = table.jobs[--table.count];
        found = TRUE;
        break;
    }
    LeaveCriticalSection(&table.cs);

    if (found) job_release(job);
}

static HRESULT WINAPI manager_QueryInterface(IBackgroundCopyManager *iface, REFIID riid, void **obj)
{
    TRACE("%p, %s, %p.\n", iface, debugstr_guid(riid), obj);

    if (IsEqualGUID(riid, &IID_IUnknown) || IsEqualGUID(riid, &IID_IBackgroundCopyManager))
    {
        *obj = iface;
        return S_OK;
    }
    if (IsEqualGUID(riid, &IID_IBitsPeerCacheAdministration))
    {
        *obj = peer_cache_get((IUnknown *)iface);
        return S_OK;
    }
    if (IsEqualGUID(riid, &IID_IMarshal)) return fast_server_marshaller((IUnknown *)iface, obj);
    WARN("Unsupported interface %s.\n", debugstr_guid(riid));
    *obj = NULL;
    return E_NOINTERFACE;
}

/* The manager has no state of its own: one static object serves every client. */
static ULONG WINAPI manager_AddRef(IBackgroundCopyManager *iface)
{
    return 2;
}

static ULONG WINAPI manager_Release(IBackgroundCopyManager *iface)
{
    return 1;
}

/* MaxJobsPerMachine and MaxJobsPerUser, for callers who are not administrators. */
static HRESULT check_job_limits(void)
{
    DWORD per_user = policy_get(POLICY_MAX_JOBS_PER_USER), per_machine = policy_get(POLICY_MAX_JOBS_PER_MACHINE);
    struct caller caller;
    ULONG i, count, mine = 0;
    HRESULT hr = S_OK;

    EnterCriticalSection(&table.cs);
    count = table.count;
    LeaveCriticalSection(&table.cs);
    /* The common case asks nobody anything. */
    if (count < min(per_user, per_machine)) return S_OK;

    if (FAILED(hr = identity_get_caller(&caller))) return hr;
    if (!caller.admin)
    {
        EnterCriticalSection(&table.cs);
        for (i = 0; i < table.count; i++)
            if (job_owned_by(table.jobs[i], caller.sid)) mine++;
        if (table.count >= per_machine) hr = BG_E_TOO_MANY_JOBS_PER_MACHINE;
        else if (mine >= per_user) hr = BG_E_TOO_MANY_JOBS_PER_USER;
        LeaveCriticalSection(&table.cs);
    }
    identity_free_caller(&caller);
    return hr;
}

/* The jobs of the table now, each with a reference the caller releases; NULL
 * when out of memory.  Work on them goes without the table's lock. */
static struct job **snapshot_jobs(ULONG *count)
{
    struct job **jobs;
    ULONG i;

    EnterCriticalSection(&table.cs);
    *count = table.count;
    if ((jobs = malloc(max(*count, 1) * sizeof(*jobs))))
        for (i = 0; i < *count; i++) job_addref(jobs[i] = table.jobs[i]);
    LeaveCriticalSection(&table.cs);
    return jobs;
}

/* JobInactivityTimeout (days): jobs nobody touched for that long are cancelled. */
static void scavenge_inactive_jobs(void)
{
    ULONGLONG days = policy_get(POLICY_JOB_INACTIVITY_DAYS);
    ULARGE_INTEGER now;
    struct job **snapshot;
    ULONG i, count;
    FILETIME cutoff;

    GetSystemTimeAsFileTime((FILETIME *)&now);
    now.QuadPart -= min(now.QuadPart, days * 24 * 3600 * 10000000ull);
    cutoff.dwLowDateTime = now.u.LowPart;
    cutoff.dwHighDateTime = now.u.HighPart;

    if (!(snapshot = snapshot_jobs(&count))) return;
    for (i = 0; i < count; i++)
    {
        if (job_scavenge_if_inactive(snapshot[i], &cutoff))
            TRACE("job %s inactive for %I64u days: cancelled.\n", debugstr_guid(job_id(snapshot[i])), days);
        job_release(snapshot[i]);
    }
    free(snapshot);
}

static void CALLBACK scavenge_timer_callback(TP_CALLBACK_INSTANCE *instance, void *context, TP_TIMER *timer)
{
    scavenge_inactive_jobs();
}

static void add_loaded_job(struct job *job)
{
    table_add(job);
}

/* The loaded jobs take up where they were, in the order they were made: the
 * store hands them out by id, and the queue is first come, first served
 * within a priority (behavior.md 4). */
static void start_loaded_jobs(void)
{
    struct job **jobs;
    ULONG i, count;

    if (!(jobs = snapshot_jobs(&count))) return;
    qsort(jobs, count, sizeof(*jobs), job_compare_creation);
    for (i = 0; i < count; i++)
    {
        job_start_after_load(jobs[i]);
        job_release(jobs[i]);
    }
    free(jobs);
}

/* The Group Policy changed: each job looks at it again (policy_watch). */
static void policy_changed(void)
{
    struct job **jobs;
    ULONG i, count;

    if (!(jobs = snapshot_jobs(&count))) return;
    for (i = 0; i < count; i++)
    {
        job_policy_changed(jobs[i]);
        job_release(jobs[i]);
    }
    free(jobs);
}

void manager_load_jobs(void)
{
    /* Inactivity is counted in days: a look at start and one an hour are enough. */
    LARGE_INTEGER due = { .QuadPart = -3600 * 10000000ll };

    store_load(add_loaded_job);
    TRACE("%lu jobs loaded.\n", table.count);
    /* Before any starts: a job past its time must not run, or a byte it
     * fetched would count as activity. */
    scavenge_inactive_jobs();
    start_loaded_jobs();
    policy_watch(policy_changed);
    if ((scavenge_timer = CreateThreadpoolTimer(scavenge_timer_callback, NULL, NULL)))
        SetThreadpoolTimer(scavenge_timer, (FILETIME *)&due, 3600 * 1000, 60 * 1000);
}

static HRESULT WINAPI manager_CreateJob(IBackgroundCopyManager *iface, LPCWSTR name, BG_JOB_TYPE type,
                                        GUID *id, IBackgroundCopyJob **ret)
{
    struct job *job;
    HRESULT hr;

    TRACE("%p, %s, %d, %p, %p.\n", iface, debugstr_w(name), type, id, ret);

    if (!name || !id || !ret) return E_INVALIDARG;
    *ret = NULL;
    if (wcslen(name) > MAX_DISPLAY_NAME_LEN) return E_INVALIDARG;
    if (type != BG_JOB_TYPE_DOWNLOAD && type != BG_JOB_TYPE_UPLOAD && type != BG_JOB_TYPE_UPLOAD_REPLY)
        return E_INVALIDARG;

    /* The count and the new job's place, at once: calls side by side at the
     * limit must not all pass the check before any is counted. */
    EnterCriticalSection(&create_cs);
    if (SUCCEEDED(hr = check_job_limits()) && SUCCEEDED(hr = job_create(name, type, &job)) &&
        FAILED(hr = table_add(job)))
        job_release(job);
    LeaveCriticalSection(&create_cs);
    if (FAILED(hr)) return hr;
    *id = *job_id(job);
    *ret = job_iface(job);  /* takes over the creation reference */
    return S_OK;
}


static HRESULT WINAPI manager_GetJob(IBackgroundCopyManager *iface, REFGUID id, IBackgroundCopyJob **ret)
{
    struct job *found = NULL;
    HRESULT hr;
    ULONG i;

    TRACE("%p, %s, %p.\n", iface, debugstr_guid(id), ret);

    if (!id || !ret) return E_INVALIDARG;
    *ret = NULL;

    EnterCriticalSection(&table.cs);
    for (i = 0; i < table.count; i++)
    {
        if (!IsEqualGUID(job_id(table.jobs[i]), id)) continue;
        found = table.jobs[i];
        job_addref(found);
        break;
    }
    LeaveCriticalSection(&table.cs);

    /* A caller may reach a job it owns; an administrator may reach any. */
    if (!found) hr = BG_E_NOT_FOUND;
    else if (!job_caller_may_access(found))
    {
        job_release(found);
        hr = E_ACCESSDENIED;
    }
    else
    {
        *ret = job_iface(found);
        hr = S_OK;
    }
    return hr;
}

static HRESULT WINAPI manager_EnumJobs(IBackgroundCopyManager *iface, DWORD flags, IEnumBackgroundCopyJobs **ret)
{
    struct job **snapshot = NULL;
    ULONG i, count = 0;
    struct caller caller;
    HRESULT hr;

    TRACE("%p, %#lx, %p.\n", iface, flags, ret);

    if (!ret) return E_INVALIDARG;
    *ret = NULL;
    /* Only BG_JOB_ENUM_ALL_USERS is defined; the docs are silent on other bits. */
    if (flags & ~BG_JOB_ENUM_ALL_USERS) return E_INVALIDARG;

    if (FAILED(hr = identity_get_caller(&caller))) return hr;
    if ((flags & BG_JOB_ENUM_ALL_USERS) && !caller.admin)
    {
        identity_free_caller(&caller);
        return E_ACCESSDENIED;
    }

    EnterCriticalSection(&table.cs);
    if (table.count && !(snapshot = malloc(table.count * sizeof(*snapshot)))) hr = E_OUTOFMEMORY;
    for (i = 0; snapshot && i < table.count; i++)
    {
        struct job *job = table.jobs[i];
        if (!(flags & BG_JOB_ENUM_ALL_USERS) && !job_owned_by(job, caller.sid)) continue;
        job_addref(job);
        snapshot[count++] = job;
    }
    LeaveCriticalSection(&table.cs);
    identity_free_caller(&caller);

    if (SUCCEEDED(hr)) hr = enum_jobs_create(snapshot, count, ret);
    for (i = 0; i < count; i++) job_release(snapshot[i]);
    free(snapshot);
    return hr;
}

static HRESULT WINAPI manager_GetErrorDescription(IBackgroundCopyManager *iface, HRESULT code,
                                                  DWORD langid, LPWSTR *description)
{
    TRACE("%p, %#lx, %#lx, %p.\n", iface, code, langid, description);

    if (!description) return E_INVALIDARG;
    *description = NULL;
    return error_description(code, langid, description);
}

static const IBackgroundCopyManagerVtbl manager_vtbl =
{
    manager_QueryInterface,
    manager_AddRef,
    manager_Release,
    manager_CreateJob,
    manager_GetJob,
    manager_EnumJobs,
    manager_GetErrorDescription,
};

static IBackgroundCopyManager manager = { &manager_vtbl };

HRESULT manager_create(REFIID riid, void **obj)
{
    return IBackgroundCopyManager_QueryInterface(&manager, riid, obj);
}
