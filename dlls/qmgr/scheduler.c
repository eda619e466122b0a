/*
 * Background Intelligent Transfer Service: the scheduler.
 *
 * Transfer threads take QUEUED jobs, highest priority first and in order of
 * arrival within a priority.  Foreground jobs run side by side (more transfer
 * threads start while every one is busy, up to a limit, and the extra ones
 * end when idle); background jobs one at a time, as on Windows, taking turns
 * by time slices within a priority.  Notification threads of their own
 * deliver notifications to applications, never inside a client's call, and
 * try held-back ones again when their timers fire: transfers never keep them
 * waiting.  A timer thread puts jobs in TRANSIENT_ERROR back in the queue
 * when their retry is due, so that clients' callbacks, which may block,
 * never hold up retries and timeouts.  Threads sleep on condition
 * variables: nothing polls.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>

#include "qmgr_private.h"
#include "transfer.h"

#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(qmgr);

/* Transfer threads always there, and at most; an extra one ends after this long idle. */
#define TRANSFER_THREADS 4
#define MAX_TRANSFER_THREADS 16
#define EXTRA_THREAD_IDLE_MS 30000
/* At most 4 notifications at once (behavior.md 9.2). */
#define NOTIFY_THREADS 4
#define MAX_BACKGROUND_JOBS 1
/* How long a background job keeps the network while others of its priority
 * wait.  Windows does not document its slice; a yielding job resumes with a
 * Range request, so a short slice costs little. */
#define TIME_SLICE_MS 5000

enum timer_kind
{
    TIMER_RETRY,   /* a TRANSIENT_ERROR job goes back to the queue */
    TIMER_NOTIFY,  /* a failed notification is tried again */
};

struct timer
{
    struct job *job;
    ULONGLONG due;  /* GetTickCount64() time */
    enum timer_kind kind;
};

static struct
{
    CRITICAL_SECTION cs;
    CONDITION_VARIABLE wake;            /* transfer threads: a job to run */
    CONDITION_VARIABLE notice;          /* notification and timer threads: a notification or a timer */
    struct job **queue;  /* jobs to run; each entry holds a reference */
    ULONG queue_count, queue_capacity;
    struct job **notify_queue;  /* jobs with notifications to deliver; likewise */
    ULONG notify_count, notify_capacity;
    struct timer *timers;  /* each holds a reference */
    ULONG timer_count, timer_capacity;
    ULONG background_running;
    BOOL stopping;
    HANDLE transfer_threads[MAX_TRANSFER_THREADS];  /* NULL: a free slot */
    ULONG transfer_thread_count;        /* running */
    ULONG idle_transfer_threads;        /* waiting for a job */
    HANDLE notify_threads[NOTIFY_THREADS];
    HANDLE timer_thread;
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

static ULONG unlink_from(struct job **queue, ULONG *count, struct job *job)
{
    ULONG i, removed = 0;

    for (i = 0; i < *count;)
    {
        if (queue[i] != job) { i++; continue; }
        memmove(&queue[i], &queue[i + 1], (--*count - i) * sizeof(*queue));
        removed++;
    }
    return removed;
}

static ULONG unlink_timers(struct job *job, enum timer_kind kind)
{
    ULONG i, removed = 0;

    for (i = 0; i < scheduler.timer_count;)
    {
        if (scheduler.timers[i].job != job || scheduler.timers[i].kind != kind) { i++; continue; }
        scheduler.timers[i] = scheduler.timers[--scheduler.timer_count];
        removed++;
    }
    return removed;
}

/* Takes a job out of the run queue and its retry timer; returns the references they held. */
static ULONG unlink_job(struct job *job)
{
    return unlink_from(scheduler.queue, &scheduler.queue_count, job) + unlink_timers(job, TIMER_RETRY);
}

static BOOL add_timer(struct job *job, ULONGLONG ms, enum timer_kind kind)
{
    if (scheduler.stopping || !grow((void **)&scheduler.timers, &scheduler.timer_capacity,
                                    scheduler.timer_count, sizeof(*scheduler.timers)))
        return FALSE;
    scheduler.timers[scheduler.timer_count].job = job;
    scheduler.timers[scheduler.timer_count].due = GetTickCount64() + ms;
    scheduler.timers[scheduler.timer_count].kind = kind;
    scheduler.timer_count++;
    WakeAllConditionVariable(&scheduler.notice);
    return TRUE;
}

static DWORD WINAPI transfer_thread_main(void *arg);

/* The queued jobs that could run now: every foreground one, and one
 * background job if none runs.  Scheduler lock held. */
static ULONG runnable_jobs(void)
{
    ULONG i, count = 0;
    BOOL background = FALSE;

    for (i = 0; i < scheduler.queue_count; i++)
    {
        if (job_priority(scheduler.queue[i]) == BG_JOB_PRIORITY_FOREGROUND) count++;
        else background = TRUE;
    }
    return count + (background && scheduler.background_running < MAX_BACKGROUND_JOBS);
}

/* Another transfer thread when the queue has a job that could run now and no
 * thread is free for it.  Idle threads count as free until they take a job:
 * two jobs queued at once with one idle thread need a second.  Scheduler
 * lock held. */
static void add_transfer_thread_if_needed(struct job *job)
{
    ULONG i, slot = MAX_TRANSFER_THREADS;

    if (scheduler.transfer_thread_count >= MAX_TRANSFER_THREADS) return;
    if (job_priority(job) != BG_JOB_PRIORITY_FOREGROUND && scheduler.background_running >= MAX_BACKGROUND_JOBS)
        return;
    if (scheduler.idle_transfer_threads >= runnable_jobs()) return;
    for (i = 0; i < MAX_TRANSFER_THREADS; i++)
    {
        /* The slots of threads that ended are free again. */
        if (scheduler.transfer_threads[i] && !WaitForSingleObject(scheduler.transfer_threads[i], 0))
        {
            CloseHandle(scheduler.transfer_threads[i]);
            scheduler.transfer_threads[i] = NULL;
        }
        if (!scheduler.transfer_threads[i] && slot == MAX_TRANSFER_THREADS) slot = i;
    }
    if (slot == MAX_TRANSFER_THREADS) return;
    if ((scheduler.transfer_threads[slot] = CreateThread(NULL, 0, transfer_thread_main, NULL, 0, NULL)))
        scheduler.transfer_thread_count++;
    else WARN("Cannot start a transfer thread, error %lu.\n", GetLastError());
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
        add_transfer_thread_if_needed(job);
        WakeAllConditionVariable(&scheduler.wake);
    }
    LeaveCriticalSection(&scheduler.cs);

    if (!queued) job_release(job);
    while (removed--) job_release(job);
}

void scheduler_priority_changed(struct job *job)
{
    ULONG i;

    EnterCriticalSection(&scheduler.cs);
    for (i = 0; i < scheduler.queue_count; i++)
    {
        if (scheduler.queue[i] != job) continue;
        add_transfer_thread_if_needed(job);
        WakeAllConditionVariable(&scheduler.wake);
        break;
    }
    LeaveCriticalSection(&scheduler.cs);
}

void scheduler_schedule_retry(struct job *job, ULONGLONG ms)
{
    BOOL kept = FALSE;
    ULONG removed;

    job_addref(job);  /* the timer's reference */
    EnterCriticalSection(&scheduler.cs);
    removed = unlink_job(job);
    kept = add_timer(job, ms, TIMER_RETRY);
    LeaveCriticalSection(&scheduler.cs);

    if (!kept) job_release(job);
    while (removed--) job_release(job);
}

/* Delivers the job's pending notifications soon, on a worker. */
void scheduler_notify(struct job *job)
{
    BOOL queued = FALSE;
    ULONG removed;

    job_addref(job);
    EnterCriticalSection(&scheduler.cs);
    removed = unlink_from(scheduler.notify_queue, &scheduler.notify_count, job) + unlink_timers(job, TIMER_NOTIFY);
    if (!scheduler.stopping && grow((void **)&scheduler.notify_queue, &scheduler.notify_capacity,
                                    scheduler.notify_count, sizeof(*scheduler.notify_queue)))
    {
        scheduler.notify_queue[scheduler.notify_count++] = job;
        queued = TRUE;
        WakeAllConditionVariable(&scheduler.notice);
    }
    LeaveCriticalSection(&scheduler.cs);

    if (!queued) job_release(job);
    while (removed--) job_release(job);
}

/* Delivers the job's notifications after a while (a failed one again, or a
 * modification held back by the minimum interval).  A sooner time already set
 * stays: each delivery looks at everything pending, and a modification held
 * back for 500 ms must not wait for a failed callback's retry delay. */
void scheduler_schedule_notify(struct job *job, ULONG ms)
{
    ULONGLONG due = GetTickCount64() + ms;
    BOOL kept = FALSE;
    ULONG removed = 0, i;

    job_addref(job);
    EnterCriticalSection(&scheduler.cs);
    for (i = 0; i < scheduler.timer_count; i++)
        if (scheduler.timers[i].job == job && scheduler.timers[i].kind == TIMER_NOTIFY && scheduler.timers[i].due <= due)
            break;
    if (i == scheduler.timer_count)
    {
        removed = unlink_timers(job, TIMER_NOTIFY);
        kept = add_timer(job, ms, TIMER_NOTIFY);
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

/* A final job: out of every queue and timer, notifications included, so that
 * neither it nor the client's callback stays referenced. */
void scheduler_forget(struct job *job)
{
    ULONG removed;

    EnterCriticalSection(&scheduler.cs);
    removed = unlink_job(job) + unlink_from(scheduler.notify_queue, &scheduler.notify_count, job) +
              unlink_timers(job, TIMER_NOTIFY);
    LeaveCriticalSection(&scheduler.cs);
    while (removed--) job_release(job);
}

/* Whether a running background job gives way (behavior.md 4): at once to a
 * waiting job of higher priority, and to one of its own priority once it has
 * run for a time slice, so that one large job does not starve small ones.
 * Foreground jobs run side by side and never yield.  Called with the job's
 * lock held (job before scheduler). */
BOOL scheduler_should_yield(BG_JOB_PRIORITY priority, ULONGLONG running_since)
{
    BOOL slice_over = GetTickCount64() - running_since >= TIME_SLICE_MS, ret = FALSE;
    BG_JOB_PRIORITY waiting;
    ULONG i;

    if (priority == BG_JOB_PRIORITY_FOREGROUND) return FALSE;
    EnterCriticalSection(&scheduler.cs);
    for (i = 0; i < scheduler.queue_count && !ret; i++)
    {
        /* A foreground job takes no background place: nothing to give way to. */
        if ((waiting = job_priority(scheduler.queue[i])) == BG_JOB_PRIORITY_FOREGROUND) continue;
        ret = waiting < priority || (slice_over && waiting == priority);
    }
    LeaveCriticalSection(&scheduler.cs);
    return ret;
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

/* A timer of this kind that is due, or the time until the next one (INFINITE if none). */
static struct job *pick_timer(enum timer_kind kind, DWORD *wait)
{
    ULONGLONG now = GetTickCount64(), next = ~(ULONGLONG)0;
    struct job *job;
    ULONG i;

    for (i = 0; i < scheduler.timer_count; i++)
    {
        if (scheduler.timers[i].kind != kind) continue;
        if (scheduler.timers[i].due <= now)
        {
            job = scheduler.timers[i].job;
            scheduler.timers[i] = scheduler.timers[--scheduler.timer_count];
            return job;
        }
        if (scheduler.timers[i].due < next) next = scheduler.timers[i].due;
    }
    *wait = next == ~(ULONGLONG)0 ? INFINITE : (DWORD)min(next - now, 0x7fffffff);
    return NULL;
}

static DWORD WINAPI transfer_thread_main(void *arg)
{
    struct transfer_session *session = transfer_http_open_session();
    BOOL background, timed_out = FALSE;
    struct job *job;

    CoInitializeEx(NULL, COINIT_MULTITHREADED);
    EnterCriticalSection(&scheduler.cs);
    while (!scheduler.stopping)
    {
        if ((job = pick_job(&background)))
        {
            timed_out = FALSE;
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
        /* An extra thread that found nothing to do for a while ends. */
        if (timed_out && scheduler.transfer_thread_count > TRANSFER_THREADS) break;
        scheduler.idle_transfer_threads++;
        timed_out = !SleepConditionVariableCS(&scheduler.wake, &scheduler.cs,
                                              scheduler.transfer_thread_count > TRANSFER_THREADS ? EXTRA_THREAD_IDLE_MS
                                                                                                : INFINITE);
        scheduler.idle_transfer_threads--;
    }
    scheduler.transfer_thread_count--;
    LeaveCriticalSection(&scheduler.cs);
    transfer_http_close_session(session);
    CoUninitialize();
    return 0;
}

/* The loop of the notification threads and the timer thread: takes the next
 * job with work of its kind (the notification queue first, for TIMER_NOTIFY),
 * else sleeps until its next timer is due or a notice comes. */
static void serve(enum timer_kind kind, void (*action)(struct job *job))
{
    DWORD wait = INFINITE;
    struct job *job;

    EnterCriticalSection(&scheduler.cs);
    while (!scheduler.stopping)
    {
        job = NULL;
        if (kind == TIMER_NOTIFY && scheduler.notify_count)
        {
            job = scheduler.notify_queue[0];
            unlink_from(scheduler.notify_queue, &scheduler.notify_count, job);
        }
        if (job || (job = pick_timer(kind, &wait)))
        {
            LeaveCriticalSection(&scheduler.cs);
            action(job);
            job_release(job);
            EnterCriticalSection(&scheduler.cs);
        }
        else SleepConditionVariableCS(&scheduler.notice, &scheduler.cs, wait);
    }
    LeaveCriticalSection(&scheduler.cs);
}

static DWORD WINAPI notify_thread_main(void *arg)
{
    CoInitializeEx(NULL, COINIT_MULTITHREADED);
    serve(TIMER_NOTIFY, job_deliver_notifications);
    CoUninitialize();
    return 0;
}

static DWORD WINAPI timer_thread_main(void *arg)
{
    serve(TIMER_RETRY, job_retry_due);
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
    InitializeConditionVariable(&scheduler.notice);
    EnterCriticalSection(&scheduler.cs);
    for (i = 0; i < TRANSFER_THREADS; i++)
    {
        if ((scheduler.transfer_threads[i] = CreateThread(NULL, 0, transfer_thread_main, NULL, 0, NULL)))
            scheduler.transfer_thread_count++;
        else ERR("Failed to start transfer thread %u, error %lu.\n", i, GetLastError());
    }
    LeaveCriticalSection(&scheduler.cs);
    for (i = 0; i < NOTIFY_THREADS; i++)
        if (!(scheduler.notify_threads[i] = CreateThread(NULL, 0, notify_thread_main, NULL, 0, NULL)))
            ERR("Failed to start notification thread %u, error %lu.\n", i, GetLastError());
    if (!(scheduler.timer_thread = CreateThread(NULL, 0, timer_thread_main, NULL, 0, NULL)))
        ERR("Failed to start the timer thread, error %lu.\n", GetLastError());
}

/* How long the stop waits for all the threads together: one may be in a call
 * that does not end (a client's callback, a stalled WinHTTP request). */
#define JOIN_TIMEOUT_MS 10000

static void join_threads(void)
{
    HANDLE threads[MAX_TRANSFER_THREADS + NOTIFY_THREADS + 1];
    DWORD count = 0, i;

    C_ASSERT(ARRAY_SIZE(threads) <= MAXIMUM_WAIT_OBJECTS);

    EnterCriticalSection(&scheduler.cs);
    for (i = 0; i < MAX_TRANSFER_THREADS; i++)
        if (scheduler.transfer_threads[i]) threads[count++] = scheduler.transfer_threads[i];
    for (i = 0; i < NOTIFY_THREADS; i++)
        if (scheduler.notify_threads[i]) threads[count++] = scheduler.notify_threads[i];
    if (scheduler.timer_thread) threads[count++] = scheduler.timer_thread;
    memset(scheduler.transfer_threads, 0, sizeof(scheduler.transfer_threads));
    memset(scheduler.notify_threads, 0, sizeof(scheduler.notify_threads));
    scheduler.timer_thread = NULL;
    LeaveCriticalSection(&scheduler.cs);

    if (!service_wait_stopping(threads, count, JOIN_TIMEOUT_MS))
    {
        for (i = 0; i < count; i++)
            if (WaitForSingleObject(threads[i], 0)) ERR("thread %04lx did not stop.\n", GetThreadId(threads[i]));
    }
    for (i = 0; i < count; i++) CloseHandle(threads[i]);
}

void scheduler_shutdown(void)
{
    struct job **queue, **notify_queue;
    struct timer *timers;
    ULONG i, queue_count, notify_count, timer_count;

    EnterCriticalSection(&scheduler.cs);
    scheduler.stopping = TRUE;
    WakeAllConditionVariable(&scheduler.wake);
    WakeAllConditionVariable(&scheduler.notice);
    LeaveCriticalSection(&scheduler.cs);

    /* Running transfers see the flag at their next block of data.  No thread
     * starts once stopping is set. */
    join_threads();

    EnterCriticalSection(&scheduler.cs);
    queue = scheduler.queue;
    queue_count = scheduler.queue_count;
    notify_queue = scheduler.notify_queue;
    notify_count = scheduler.notify_count;
    timers = scheduler.timers;
    timer_count = scheduler.timer_count;
    scheduler.queue = scheduler.notify_queue = NULL;
    scheduler.timers = NULL;
    scheduler.queue_count = scheduler.queue_capacity = 0;
    scheduler.notify_count = scheduler.notify_capacity = 0;
    scheduler.timer_count = scheduler.timer_capacity = 0;
    LeaveCriticalSection(&scheduler.cs);

    for (i = 0; i < queue_count; i++) job_release(queue[i]);
    for (i = 0; i < notify_count; i++) job_release(notify_queue[i]);
    for (i = 0; i < timer_count; i++) job_release(timers[i].job);
    free(queue);
    free(notify_queue);
    free(timers);
}
