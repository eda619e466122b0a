/*
 * The BITS client of the fault tests (tests/faults/check-*.sh).  Each call is
 * a separate process, as a real updater would be after a crash of the
 * service; every call starts the service again if it is not running.
 *
 *   faultclient create URLPREFIX JOBS FILES DIR [RETRY_SECONDS]
 *        JOBS download jobs named "qmgr-fault <j>", each of FILES files
 *        URLPREFIX<j>-<f>.bin -> DIR\<j>-<f>.bin, resumed; optionally with
 *        that minimum retry delay
 *   faultclient status
 *        one line per fault job: "<name> <state> <bytes>/<total> <error>",
 *        error being the job's error code (0x00000000 when it has none), then
 *        "jobs <n> transferred <n> error <n> bytes <done>/<total>"
 *   faultclient hold MILLISECONDS
 *        connects and stays that long: the Wine session, and with it the
 *        service's transfers, go on while a client lives
 *   faultclient wait JOBS SECONDS
 *        waits until all JOBS fault jobs are TRANSFERRED, then completes them;
 *        exits 0 only when JOBS jobs existed and every one was completed
 *   faultclient cancel
 *        cancels every fault job left, so that one failed test leaves
 *        nothing behind for the next
 *
 * A call the service's death interrupts (an RPC failure) is retried with a
 * new connection, within a bounded time.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define COBJMACROS
#include "windef.h"
#include "winbase.h"
#include "objbase.h"
#include "initguid.h"
#include "bits10_3.h"

#define JOB_PREFIX L"qmgr-fault "
#define CONNECT_TIMEOUT_MS 60000
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *state_names[] =
{
    "QUEUED", "CONNECTING", "TRANSFERRING", "SUSPENDED", "ERROR", "TRANSIENT_ERROR",
    "TRANSFERRED", "ACKNOWLEDGED", "CANCELLED",
};

/* The service's process died under the call, or is not (yet) there. */
static BOOL is_connection_error(HRESULT hr)
{
    return hr == HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE) || hr == HRESULT_FROM_WIN32(RPC_S_CALL_FAILED)
        || hr == HRESULT_FROM_WIN32(RPC_S_CALL_FAILED_DNE) || hr == RPC_E_DISCONNECTED
        || hr == RPC_E_SERVER_DIED || hr == RPC_E_SERVER_DIED_DNE || hr == CO_E_SERVER_EXEC_FAILURE
        || hr == HRESULT_FROM_WIN32(ERROR_SERVICE_ALREADY_RUNNING) || hr == REGDB_E_CLASSNOTREG
        || hr == CO_E_SERVER_STOPPING || hr == HRESULT_FROM_WIN32(ERROR_BROKEN_PIPE)
        || hr == HRESULT_FROM_WIN32(RPC_S_SERVER_TOO_BUSY);
}

/* The call that gave the last failure, for the message. */
static const char *failed_call = "?";

static HRESULT connect_manager(IBackgroundCopyManager **manager)
{
    failed_call = "CoCreateInstance";
    return CoCreateInstance(&CLSID_BackgroundCopyManager10_3, NULL, CLSCTX_LOCAL_SERVER,
                            &IID_IBackgroundCopyManager, (void **)manager);
}

static HRESULT create_jobs(IBackgroundCopyManager *manager, int argc, WCHAR **argv)
{
    int jobs = _wtoi(argv[3]), files = _wtoi(argv[4]), j, f;
    WCHAR name[64], url[1024], local[MAX_PATH];
    IBackgroundCopyJob *job;
    HRESULT hr;
    GUID id;

    for (j = 0; j < jobs; j++)
    {
        swprintf(name, ARRAY_SIZE(name), JOB_PREFIX L"%d", j);
        failed_call = "CreateJob";
        if (FAILED(hr = IBackgroundCopyManager_CreateJob(manager, name, BG_JOB_TYPE_DOWNLOAD, &id, &job)))
            return hr;
        failed_call = "AddFile, SetMinimumRetryDelay or Resume";
        for (f = 0; f < files && SUCCEEDED(hr); f++)
        {
            swprintf(url, ARRAY_SIZE(url), L"%s%d-%d.bin", argv[2], j, f);
            swprintf(local, ARRAY_SIZE(local), L"%s\\%d-%d.bin", argv[5], j, f);
            hr = IBackgroundCopyJob_AddFile(job, url, local);
        }
        if (SUCCEEDED(hr) && argc > 6) hr = IBackgroundCopyJob_SetMinimumRetryDelay(job, _wtoi(argv[6]));
        if (SUCCEEDED(hr)) hr = IBackgroundCopyJob_Resume(job);
        IBackgroundCopyJob_Release(job);
        if (FAILED(hr)) return hr;
    }
    return S_OK;
}

struct totals
{
    int jobs, transferred, error;
    UINT64 done, total;
};

enum action
{
    LOOK,
    COMPLETE,  /* the TRANSFERRED jobs */
    CANCEL,    /* every job */
};

/* Looks at every fault job, and acts on it. */
static HRESULT survey(IBackgroundCopyManager *manager, BOOL print, enum action action, struct totals *totals)
{
    IEnumBackgroundCopyJobs *jobs;
    IBackgroundCopyJob *job;
    BG_JOB_PROGRESS progress;
    IBackgroundCopyError *error;
    BG_ERROR_CONTEXT context;
    BG_JOB_STATE state;
    HRESULT code;
    WCHAR *name;
    HRESULT hr;

    memset(totals, 0, sizeof(*totals));
    failed_call = "EnumJobs";
    if (FAILED(hr = IBackgroundCopyManager_EnumJobs(manager, 0, &jobs))) return hr;
    while (IEnumBackgroundCopyJobs_Next(jobs, 1, &job, NULL) == S_OK)
    {
        failed_call = "GetDisplayName";
        if (FAILED(hr = IBackgroundCopyJob_GetDisplayName(job, &name))) break;
        if (wcsncmp(name, JOB_PREFIX, wcslen(JOB_PREFIX)))
        {
            CoTaskMemFree(name);
            IBackgroundCopyJob_Release(job);
            continue;
        }
        failed_call = "GetState or GetProgress";
        if (SUCCEEDED(hr = IBackgroundCopyJob_GetState(job, &state)))
            hr = IBackgroundCopyJob_GetProgress(job, &progress);
        if (SUCCEEDED(hr))
        {
            totals->jobs++;
            totals->done += progress.BytesTransferred;
            if (progress.BytesTotal != BG_SIZE_UNKNOWN) totals->total += progress.BytesTotal;
            if (state == BG_JOB_STATE_ERROR) totals->error++;
            if (state == BG_JOB_STATE_TRANSFERRED)
            {
                totals->transferred++;
                failed_call = "Complete";
                if (action == COMPLETE) hr = IBackgroundCopyJob_Complete(job);
            }
            failed_call = "Cancel";
            /* One that went final meanwhile is gone as well. */
            if (action == CANCEL && (hr = IBackgroundCopyJob_Cancel(job)) == BG_E_INVALID_STATE) hr = S_OK;
            if (print)
            {
                code = S_OK;
                if (IBackgroundCopyJob_GetError(job, &error) == S_OK)
                {
                    IBackgroundCopyError_GetError(error, &context, &code);
                    IBackgroundCopyError_Release(error);
                }
                printf("%ls %s %I64u/%I64u 0x%08lx\n", name, state < ARRAY_SIZE(state_names) ? state_names[state] : "?",
                       progress.BytesTransferred, progress.BytesTotal, code);
            }
        }
        CoTaskMemFree(name);
        IBackgroundCopyJob_Release(job);
        if (FAILED(hr)) break;
    }
    IEnumBackgroundCopyJobs_Release(jobs);
    return hr;
}

static void print_totals(const struct totals *totals)
{
    printf("jobs %d transferred %d error %d bytes %I64u/%I64u\n", totals->jobs, totals->transferred,
           totals->error, totals->done, totals->total);
}

int __cdecl wmain(int argc, WCHAR **argv)
{
    IBackgroundCopyManager *manager = NULL;
    DWORD start = GetTickCount(), limit = CONNECT_TIMEOUT_MS;
    struct totals totals;
    int expected = 0, tries = 0;
    BOOL done = FALSE;
    HRESULT hr = E_FAIL;

    if ((argc == 6 || argc == 7) && !wcscmp(argv[1], L"create")) ;
    else if (argc == 2 && !wcscmp(argv[1], L"status")) ;
    else if (argc == 2 && !wcscmp(argv[1], L"cancel")) ;
    else if (argc == 3 && !wcscmp(argv[1], L"hold")) ;
    else if (argc == 4 && !wcscmp(argv[1], L"wait"))
    {
        expected = _wtoi(argv[2]);
        limit = _wtoi(argv[3]) * 1000;
    }
    else
    {
        fprintf(stderr, "usage: see the comment at the top of faultclient.c\n");
        return 2;
    }

    CoInitializeEx(NULL, COINIT_MULTITHREADED);
    while (!done && GetTickCount() - start < limit)
    {
        if (!manager && FAILED(hr = connect_manager(&manager)))
        {
            manager = NULL;
            if (!is_connection_error(hr)) break;
            Sleep(100);
            continue;
        }
        tries++;
        if (!wcscmp(argv[1], L"create"))
        {
            /* Created jobs are not created again: a retry starts from a clean slate. */
            if (tries > 1) break;
            hr = create_jobs(manager, argc, argv);
            done = TRUE;
        }
        else if (!wcscmp(argv[1], L"hold"))
        {
            Sleep(_wtoi(argv[2]));
            hr = S_OK;
            done = TRUE;
        }
        else if (!wcscmp(argv[1], L"status"))
        {
            if (SUCCEEDED(hr = survey(manager, TRUE, LOOK, &totals)))
            {
                print_totals(&totals);
                done = TRUE;
            }
        }
        else if (!wcscmp(argv[1], L"cancel"))
            done = SUCCEEDED(hr = survey(manager, FALSE, CANCEL, &totals));
        else if (SUCCEEDED(hr = survey(manager, FALSE, LOOK, &totals)))
        {
            /* A lost job or an error ends the wait at once; all transferred, they are completed. */
            if (totals.error || totals.jobs != expected) done = TRUE;
            else if (totals.transferred == expected) done = SUCCEEDED(hr = survey(manager, FALSE, COMPLETE, &totals));
            else Sleep(200);
        }
        if (FAILED(hr))
        {
            IBackgroundCopyManager_Release(manager);
            manager = NULL;
            if (!is_connection_error(hr)) break;
            done = FALSE;
            Sleep(100);
        }
    }
    if (manager) IBackgroundCopyManager_Release(manager);

    if (FAILED(hr))
    {
        fprintf(stderr, "faultclient %ls: %s: %#lx\n", argv[1], failed_call, hr);
        return 1;
    }
    if (!done)
    {
        fprintf(stderr, "faultclient %ls: timed out\n", argv[1]);
        return 1;
    }
    if (!wcscmp(argv[1], L"wait"))
    {
        print_totals(&totals);
        if (totals.error || totals.jobs != expected || totals.transferred != expected) return 1;
    }
    CoUninitialize();
    return 0;
}
