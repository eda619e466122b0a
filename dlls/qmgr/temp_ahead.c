/*
 * Background Intelligent Transfer Service: the temporary files of a job's
 * next files, made by a thread of their own while the transfer goes on.
 *
 * Making a hidden temporary file costs, under Wine, a walk of its path and
 * three round trips through the server (create, descriptor, attribute): for
 * small files over a fast connection as much as fetching them.  The transfer
 * of file n finds its file open (file.c, temp_handle); meanwhile this thread
 * makes those of files n + 1 to n + TEMP_AHEAD_FILES.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>

#include "qmgr_private.h"

/* Enough to stay ahead of a transfer of small files; few enough that little
 * is made in vain when a run stops (temp_ahead_stop deletes those files). */
#define TEMP_AHEAD_FILES 8

struct temp_ahead
{
    struct job *job;
    SRWLOCK lock;
    CONDITION_VARIABLE wake;
    ULONG reached;      /* the file under way; those before it have had their turn */
    ULONG next;         /* the next file to make */
    ULONG end;          /* files before this one are wanted */
    BOOL stopping;
    HANDLE ended;       /* the thread returned */
};

static void CALLBACK temp_ahead_thread(TP_CALLBACK_INSTANCE *instance, void *context)
{
    struct temp_ahead *ahead = context;
    struct file *file;
    ULONG index;

    AcquireSRWLockExclusive(&ahead->lock);
    while (!ahead->stopping)
    {
        if (ahead->next >= ahead->end)
        {
            SleepConditionVariableSRW(&ahead->wake, &ahead->lock, INFINITE, 0);
            continue;
        }
        index = ahead->next++;
        ReleaseSRWLockExclusive(&ahead->lock);
        if ((file = job_file_to_come(ahead->job, index)))
        {
            file_prepare_temporary(file);
            IBackgroundCopyFile_Release(file_iface(file));
        }
        AcquireSRWLockExclusive(&ahead->lock);
    }
    ReleaseSRWLockExclusive(&ahead->lock);
    SetEventWhenCallbackReturns(instance, ahead->ended);
}

/* For a run of job; NULL when no thread could be had (the transfer then makes
 * each file itself).  The job outlives the run, and so this. */
struct temp_ahead *temp_ahead_start(struct job *job)
{
    struct temp_ahead *ahead;

    if (!(ahead = calloc(1, sizeof(*ahead)))) return NULL;
    ahead->job = job;
    InitializeSRWLock(&ahead->lock);
    InitializeConditionVariable(&ahead->wake);
    if (!(ahead->ended = CreateEventW(NULL, TRUE, FALSE, NULL)) ||
        !TrySubmitThreadpoolCallback(temp_ahead_thread, ahead, NULL))
    {
        if (ahead->ended) CloseHandle(ahead->ended);
        free(ahead);
        return NULL;
    }
    return ahead;
}

/* The transfer of the file at index begins: the files after it are wanted. */
void temp_ahead_reach(struct temp_ahead *ahead, ULONG index)
{
    if (!ahead) return;
    AcquireSRWLockExclusive(&ahead->lock);
    ahead->reached = index;
    if (ahead->next <= index) ahead->next = index + 1;
    ahead->end = index + 1 + TEMP_AHEAD_FILES;
    ReleaseSRWLockExclusive(&ahead->lock);
    WakeConditionVariable(&ahead->wake);
}

/* At the end of the run: no file is made after this returns, and those made
 * for files whose turn did not come are gone. */
void temp_ahead_stop(struct temp_ahead *ahead)
{
    struct file *file;
    ULONG index;

    if (!ahead) return;
    AcquireSRWLockExclusive(&ahead->lock);
    ahead->stopping = TRUE;
    ReleaseSRWLockExclusive(&ahead->lock);
    WakeConditionVariable(&ahead->wake);
    /* At most one file is being made. */
    WaitForSingleObject(ahead->ended, INFINITE);
    CloseHandle(ahead->ended);
    /* From the one under way: its transfer may have stopped before opening it. */
    for (index = ahead->reached; index < ahead->next; index++)
    {
        if (!(file = job_file_at(ahead->job, index))) continue;
        file_unprepare_temporary(file);
        IBackgroundCopyFile_Release(file_iface(file));
    }
    free(ahead);
}
