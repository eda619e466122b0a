/*
 * Background Intelligent Transfer Service: the scheduler.
 *
 * Worker threads take QUEUED jobs, highest priority first and in order of
 * arrival within a priority.  Foreground jobs run side by side; background
 * jobs one at a time, as on Windows.  Jobs in TRANSIENT_ERROR wait on a retry
 * timer.  Workers sleep on a condition variable: nothing polls.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>

#include "qmgr_private.h"
#include "transfer.h"

#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(qmgr);

#define WORKER_COUNT 4
#define MAX_BACKGROUND_JOBS 1

struct retry
{
    struct job *job;
    ULONGLONG due;  /* GetTickCount64() time */
};

static struct
{
    CRITICAL_SECTION cs;
    CONDITION_VARIABLE wake;
    struct job **queue;  /* each holds a reference */
    ULONG queue_count, queue_capacity;
    struct retry *retries;  /* each holds a reference */
    ULONG retry_count, retry_capacity;
    ULONG background_running;
    BOOL stopping;
    HANDLE workers[WORKER_COUNT];
} scheduler;

static BOOL grow(void **array, ULONG *capacity, ULONG count, size_t size)
{
    ULONG new_capacity;
    void *new_array;

    if (count < *capacity) return TRUE;
    new_capacity = *capacity ? *capacity * 2 : 64;
    if (!(new_array = realloc(*array, new_capacity * size))) return FALSE;
    *array = new_array;
    *capacity = new_capacity;
    return TRUE;
}

/* Removes a job from the queue and the retry timers; returns the references it held. */
static ULONG unlink_job(struct job *job)
{
    ULONG i, removed = 0;

    for (i = 0; i < scheduler.queue_count;)
    {
        if (scheduler.queue[i] != job) { i++; continue; }
        memmove(&scheduler.queue[i], &scheduler.queue[i + 1], (--scheduler.queue_count - i) * sizeof(*scheduler.queue));
        removed++;
    }
    for (i = 0; i < scheduler.retry_count;)
    {
        if (scheduler.retries[i].job != job) { i++; continue; }
        scheduler.retries[i] = scheduler.retries[--scheduler.retry_count];
        removed++;
    }
    return removed;
}

void scheduler_enqueue(struct job *job)
{
    BOOL queued = FALSE;
    ULONG removed;

    job_addref(job);  /* the queue's reference */
    EnterCriticalSection(&scheduler.cs);
    removed = unlink_job(job);
    if (!scheduler.stopping && grow((void **)&scheduler.queue, &scheduler.queue_capacity,
                                    scheduler.queue_count, sizeof(*scheduler.queue)))
    {
        scheduler.queue[scheduler.queue_count++] = job;
        queued = TRUE;
        WakeAllConditionVariable(&scheduler.wake);
    }
    LeaveCriticalSection(&scheduler.cs);

    if (!queued) job_release(job);
    while (removed--) job_release(job);
}

void scheduler_schedule_retry(struct job *job, ULONG seconds)
{
    BOOL kept = FALSE;
    ULONG removed;

    job_addref(job);  /* the timer's reference */
    EnterCriticalSection(&scheduler.cs);
    removed = unlink_job(job);
    if (!scheduler.stopping && grow((void **)&scheduler.retries, &scheduler.retry_capacity,
                                    scheduler.retry_count, sizeof(*scheduler.retries)))
    {
        scheduler.retries[scheduler.retry_count].job = job;
        scheduler.retries[scheduler.retry_count].due = GetTickCount64() + (ULONGLONG)seconds * 1000;
        scheduler.retry_count++;
        kept = TRUE;
        WakeAllConditionVariable(&scheduler.wake);
    }
    LeaveCriticalSection(&scheduler.cs);

    if (!kept) job_release(job);
    while (removed--) job_release(job);
}

void scheduler_remove(struct job *job)
{
    ULONG removed;

    EnterCriticalSection(&scheduler.cs);
    removed = unlink_job(job);
    LeaveCriticalSection(&scheduler.cs);
    while (removed--) job_release(job);
}

/* The first queued job of the highest priority that may run now. */
static struct job *pick_job(BOOL *background)
{
    ULONG i, best = ~0u;
    BG_JOB_PRIORITY best_priority = BG_JOB_PRIORITY_LOW + 1, priority;
    struct job *job;

    for (i = 0; i < scheduler.queue_count; i++)
    {
        priority = job_priority(scheduler.queue[i]);
        if (priority != BG_JOB_PRIORITY_FOREGROUND && scheduler.background_running >= MAX_BACKGROUND_JOBS) continue;
        if (priority < best_priority)
        {
            best_priority = priority;
            best = i;
            if (priority == BG_JOB_PRIORITY_FOREGROUND) break;
        }
    }
    if (best == ~0u) return NULL;
    job = scheduler.queue[best];
    memmove(&scheduler.queue[best], &scheduler.queue[best + 1], (--scheduler.queue_count - best) * sizeof(*scheduler.queue));
    *background = best_priority != BG_JOB_PRIORITY_FOREGROUND;
    return job;
}

/* A retry that is due, or the time until the next one (INFINITE if none). */
static struct job *pick_retry(DWORD *wait)
{
    ULONGLONG now = GetTickCount64(), next = ~(ULONGLONG)0;
    struct job *job;
    ULONG i;

    for (i = 0; i < scheduler.retry_count; i++)
    {
        if (scheduler.retries[i].due <= now)
        {
            job = scheduler.retries[i].job;
            scheduler.retries[i] = scheduler.retries[--scheduler.retry_count];
            return job;
        }
        if (scheduler.retries[i].due < next) next = scheduler.retries[i].due;
    }
    *wait = next == ~(ULONGLONG)0 ? INFINITE : (DWORD)min(next - now, 0x7fffffff);
    return NULL;
}

static DWORD WINAPI worker_main(void *arg)
{
    HINTERNET session = transfer_http_open_session();
    DWORD wait = INFINITE;
    BOOL background;
    struct job *job;

    CoInitializeEx(NULL, COINIT_MULTITHREADED);
    EnterCriticalSection(&scheduler.cs);
    while (!scheduler.stopping)
    {
        if ((job = pick_job(&background)))
        {
            if (background) scheduler.background_running++;
            LeaveCriticalSection(&scheduler.cs);
            job_run(job, session);
            job_release(job);
            EnterCriticalSection(&scheduler.cs);
            if (background)
            {
                scheduler.background_running--;
                WakeAllConditionVariable(&scheduler.wake);
            }
            continue;
        }
        if ((job = pick_retry(&wait)))
        {
            LeaveCriticalSection(&scheduler.cs);
            job_retry_due(job);
            job_release(job);
            EnterCriticalSection(&scheduler.cs);
            continue;
        }
        SleepConditionVariableCS(&scheduler.wake, &scheduler.cs, wait);
    }
    LeaveCriticalSection(&scheduler.cs);
    transfer_http_close_session(session);
    CoUninitialize();
    return 0;
}

BOOL scheduler_stopping(void)
{
    return ReadNoFence((LONG *)&scheduler.stopping);
}

void scheduler_init(void)
{
    unsigned int i;

    InitializeCriticalSection(&scheduler.cs);
    InitializeConditionVariable(&scheduler.wake);
    for (i = 0; i < WORKER_COUNT; i++)
        if (!(scheduler.workers[i] = CreateThread(NULL, 0, worker_main, NULL, 0, NULL)))
            ERR("Failed to start worker %u, error %lu.\n", i, GetLastError());
}

void scheduler_shutdown(void)
{
    struct job **queue;
    struct retry *retries;
    ULONG i, queue_count, retry_count;

    EnterCriticalSection(&scheduler.cs);
    scheduler.stopping = TRUE;
    WakeAllConditionVariable(&scheduler.wake);
    LeaveCriticalSection(&scheduler.cs);

    /* Running transfers see the flag at their next block of data. */
    for (i = 0; i < WORKER_COUNT; i++)
    {
        if (!scheduler.workers[i]) continue;
        if (WaitForSingleObject(scheduler.workers[i], 10000)) ERR("Worker %lu did not stop.\n", i);
        CloseHandle(scheduler.workers[i]);
        scheduler.workers[i] = NULL;
    }

    EnterCriticalSection(&scheduler.cs);
    queue = scheduler.queue;
    queue_count = scheduler.queue_count;
    retries = scheduler.retries;
    retry_count = scheduler.retry_count;
    scheduler.queue = NULL;
    scheduler.retries = NULL;
    scheduler.queue_count = scheduler.queue_capacity = scheduler.retry_count = scheduler.retry_capacity = 0;
    LeaveCriticalSection(&scheduler.cs);

    for (i = 0; i < queue_count; i++) job_release(queue[i]);
    for (i = 0; i < retry_count; i++) job_release(retries[i].job);
    free(queue);
    free(retries);
}
