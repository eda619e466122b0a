/*
 * The BITS side of the benchmarks (tests/bench/run): each mode times one
 * scenario through the installed service and prints "<mode> <milliseconds>".
 *
 *   bitsbench file  URL LOCAL               one job, one file
 *   bitsbench files URLPREFIX COUNT DIR     one job, COUNT files URLPREFIX<i>.bin
 *   bitsbench jobs  URLPREFIX COUNT DIR     COUNT jobs of one file each: create,
 *                                           resume, transfer, complete
 *   bitsbench enum  COUNT                   COUNT suspended jobs, then EnumJobs
 *                                           of all of them; "hold" keeps them
 *                                           until stdin closes (memory probe)
 *   bitsbench calls URLPREFIX COUNT DIR     COUNT suspended jobs; the time per call
 *                                           of each method the jobs scenario uses
 *                                           (GetState with the service idle)
 *
 * Completion is learnt from JobTransferred callbacks, not by polling.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define COBJMACROS
#define CONST_VTABLE
#include "windef.h"
#include "winbase.h"
#include "objbase.h"
#include "initguid.h"
#include "bits10_3.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static IBackgroundCopyManager *manager;
static HANDLE all_done;
static LONG remaining;
static LONG failures;
static double transferred_at, completed_at;

static double now_ms(void);

static HRESULT WINAPI callback_QueryInterface(IBackgroundCopyCallback *iface, REFIID riid, void **obj)
{
    if (IsEqualGUID(riid, &IID_IUnknown) || IsEqualGUID(riid, &IID_IBackgroundCopyCallback))
    {
        *obj = iface;
        return S_OK;
    }
    *obj = NULL;
    return E_NOINTERFACE;
}

static ULONG WINAPI callback_AddRef(IBackgroundCopyCallback *iface)
{
    return 2;
}

static ULONG WINAPI callback_Release(IBackgroundCopyCallback *iface)
{
    return 1;
}

static HRESULT WINAPI callback_JobTransferred(IBackgroundCopyCallback *iface, IBackgroundCopyJob *job)
{
    HRESULT hr;

    transferred_at = now_ms();
    hr = IBackgroundCopyJob_Complete(job);
    completed_at = now_ms();
    if (FAILED(hr))
    {
        fprintf(stderr, "Complete failed: %#lx\n", hr);
        InterlockedIncrement(&failures);
    }
    if (!InterlockedDecrement(&remaining)) SetEvent(all_done);
    return S_OK;
}

static HRESULT WINAPI callback_JobError(IBackgroundCopyCallback *iface, IBackgroundCopyJob *job,
                                        IBackgroundCopyError *error)
{
    BG_ERROR_CONTEXT context;
    HRESULT code;

    IBackgroundCopyError_GetError(error, &context, &code);
    fprintf(stderr, "job error %#lx, context %d\n", code, context);
    InterlockedIncrement(&failures);
    IBackgroundCopyJob_Cancel(job);
    if (!InterlockedDecrement(&remaining)) SetEvent(all_done);
    return S_OK;
}

static HRESULT WINAPI callback_JobModification(IBackgroundCopyCallback *iface, IBackgroundCopyJob *job, DWORD reserved)
{
    return S_OK;
}

static const IBackgroundCopyCallbackVtbl callback_vtbl =
{
    callback_QueryInterface,
    callback_AddRef,
    callback_Release,
    callback_JobTransferred,
    callback_JobError,
    callback_JobModification,
};

static IBackgroundCopyCallback callback = { &callback_vtbl };

static double now_ms(void)
{
    LARGE_INTEGER counter, frequency;

    QueryPerformanceCounter(&counter);
    QueryPerformanceFrequency(&frequency);
    return counter.QuadPart * 1000.0 / frequency.QuadPart;
}

/* Where the client's time goes in the jobs scenario: each method's total. */
enum { SPENT_CREATE, SPENT_NOTIFY, SPENT_PRIORITY, SPENT_ADD, SPENT_RESUME, SPENT_COUNT };
static const char *const spent_names[SPENT_COUNT] = { "CreateJob", "SetNotifyInterface", "SetPriority", "AddFile", "Resume" };
static double spent[SPENT_COUNT];

static IBackgroundCopyJob *new_job(const WCHAR *name)
{
    IBackgroundCopyJob *job;
    double start = now_ms(), mark;
    GUID id;
    HRESULT hr;

    hr = IBackgroundCopyManager_CreateJob(manager, name, BG_JOB_TYPE_DOWNLOAD, &id, &job);
    if (FAILED(hr))
    {
        fprintf(stderr, "CreateJob failed: %#lx\n", hr);
        exit(1);
    }
    spent[SPENT_CREATE] += (mark = now_ms()) - start;
    IBackgroundCopyJob_SetNotifyInterface(job, (IUnknown *)&callback);
    spent[SPENT_NOTIFY] += now_ms() - mark;
    mark = now_ms();
    /* The benchmark measures transfer speed, not background throttling. */
    IBackgroundCopyJob_SetPriority(job, BG_JOB_PRIORITY_FOREGROUND);
    spent[SPENT_PRIORITY] += now_ms() - mark;
    return job;
}

static void add(IBackgroundCopyJob *job, const WCHAR *url, const WCHAR *local)
{
    double start = now_ms();
    HRESULT hr = IBackgroundCopyJob_AddFile(job, url, local);

    spent[SPENT_ADD] += now_ms() - start;
    if (FAILED(hr))
    {
        fprintf(stderr, "AddFile(%ls) failed: %#lx\n", url, hr);
        exit(1);
    }
}

static int wait_all(DWORD timeout)
{
    if (WaitForSingleObject(all_done, timeout))
    {
        fprintf(stderr, "timed out with %ld jobs left\n", remaining);
        return 1;
    }
    return failures ? 1 : 0;
}

static int bench_files(const WCHAR *prefix, int count, const WCHAR *dir, BOOL one_job)
{
    WCHAR url[512], local[MAX_PATH];
    IBackgroundCopyJob *job = NULL, **jobs = NULL;
    BG_FILE_INFO *infos;
    double start;
    HRESULT hr;
    int i, ret;

    remaining = one_job ? 1 : count;
    start = now_ms();
    if (one_job)
    {
        /* One call for all the files, as the docs advise for many files. */
        infos = calloc(count, sizeof(*infos));
        for (i = 0; i < count; i++)
        {
            infos[i].RemoteName = malloc(512 * sizeof(WCHAR));
            infos[i].LocalName = malloc(MAX_PATH * sizeof(WCHAR));
            swprintf(infos[i].RemoteName, 512, L"%s%d.bin", prefix, i);
            swprintf(infos[i].LocalName, MAX_PATH, L"%s\\%d.bin", dir, i);
        }
        job = new_job(L"bitsbench");
        if (FAILED(hr = IBackgroundCopyJob_AddFileSet(job, count, infos)))
        {
            fprintf(stderr, "AddFileSet failed: %#lx\n", hr);
            exit(1);
        }
        for (i = 0; i < count; i++)
        {
            free(infos[i].RemoteName);
            free(infos[i].LocalName);
        }
        free(infos);
        fprintf(stderr, "files added in %.1f ms\n", now_ms() - start);
        IBackgroundCopyJob_Resume(job);
        IBackgroundCopyJob_Release(job);
    }
    else
    {
        /* Each job is held until the end: a proxy released while the service
         * hands the same job to JobTransferred makes Wine's COM disconnect it
         * (Complete then fails with RPC_E_DISCONNECTED), or crash the client. */
        jobs = calloc(count, sizeof(*jobs));
        for (i = 0; i < count; i++)
        {
            swprintf(url, (sizeof(url) / sizeof(url[0])), L"%s%d.bin", prefix, i);
            swprintf(local, (sizeof(local) / sizeof(local[0])), L"%s\\%d.bin", dir, i);
            double mark;

            jobs[i] = new_job(L"bitsbench");
            add(jobs[i], url, local);
            mark = now_ms();
            IBackgroundCopyJob_Resume(jobs[i]);
            spent[SPENT_RESUME] += now_ms() - mark;
        }
        /* How much of the time the client's own calls took. */
        fprintf(stderr, "created and resumed in %.1f ms\n", now_ms() - start);
        fprintf(stderr, "of which");
        for (i = 0; i < SPENT_COUNT; i++) fprintf(stderr, "%s %s %.0f", i ? "," : "", spent_names[i], spent[i]);
        fprintf(stderr, " ms\n");
    }
    ret = wait_all(600000);
    if (jobs)
    {
        for (i = 0; i < count; i++) IBackgroundCopyJob_Release(jobs[i]);
        free(jobs);
    }
    if (one_job)
        fprintf(stderr, "transferred at %.1f ms, completed in %.1f ms\n", transferred_at - start,
                completed_at - transferred_at);
    printf("%s %.1f\n", one_job ? "files" : "jobs", now_ms() - start);
    return ret;
}

static int bench_enum(int count, BOOL hold)
{
    IEnumBackgroundCopyJobs *enumerator;
    IBackgroundCopyJob **jobs, *job;
    ULONG total = 0, fetched;
    double start, elapsed;
    HRESULT hr;
    int i;

    jobs = calloc(count, sizeof(*jobs));
    for (i = 0; i < count; i++) jobs[i] = new_job(L"bitsbench enum");

    start = now_ms();
    hr = IBackgroundCopyManager_EnumJobs(manager, 0, &enumerator);
    if (SUCCEEDED(hr))
    {
        IEnumBackgroundCopyJobs_GetCount(enumerator, &total);
        elapsed = now_ms() - start;
        printf("enum %.1f %lu\n", elapsed, total);
        /* Reading them all back, as a job list would. */
        start = now_ms();
        while (IEnumBackgroundCopyJobs_Next(enumerator, 1, &job, &fetched) == S_OK) IBackgroundCopyJob_Release(job);
        printf("enum-next %.1f\n", now_ms() - start);
        IEnumBackgroundCopyJobs_Release(enumerator);
    }
    fflush(stdout);
    if (hold)
    {
        char line[16];
        fgets(line, sizeof(line), stdin);
    }
    for (i = 0; i < count; i++)
    {
        IBackgroundCopyJob_Cancel(jobs[i]);
        IBackgroundCopyJob_Release(jobs[i]);
    }
    free(jobs);
    return SUCCEEDED(hr) && total >= (ULONG)count ? 0 : 1;
}

/* Where the jobs scenario's client time goes: each method in turn over all
 * the jobs, so that a slow call stands out from the cross-process call cost
 * that every call pays (GetState is the baseline). */
static int bench_calls(const WCHAR *prefix, int count, const WCHAR *dir)
{
    static const char *names[] = { "CreateJob", "SetNotifyInterface", "SetPriority", "AddFile", "GetState", "Cancel" };
    double spent[ARRAY_SIZE(names)] = { 0 }, start;
    IBackgroundCopyJob **jobs;
    WCHAR url[512], local[MAX_PATH];
    BG_JOB_STATE state;
    GUID id;
    int i, step, failed = 0;

    jobs = calloc(count, sizeof(*jobs));
    for (step = 0; step < ARRAY_SIZE(names); step++)
    {
        /* GetState is timed with the service idle: right after the steps
         * before, it was still writing their records, and every call took
         * two or three times as long (0.9-1.1 ms against 0.34-0.38 ms). */
        if (step == 4) Sleep(3000);
        start = now_ms();
        for (i = 0; i < count; i++)
        {
            HRESULT hr = E_FAIL;
            switch (step)
            {
            case 0: hr = IBackgroundCopyManager_CreateJob(manager, L"bitsbench calls", BG_JOB_TYPE_DOWNLOAD, &id, &jobs[i]); break;
            case 1: hr = IBackgroundCopyJob_SetNotifyInterface(jobs[i], (IUnknown *)&callback); break;
            case 2: hr = IBackgroundCopyJob_SetPriority(jobs[i], BG_JOB_PRIORITY_FOREGROUND); break;
            case 3:
                swprintf(url, ARRAY_SIZE(url), L"%s%d.bin", prefix, i);
                swprintf(local, ARRAY_SIZE(local), L"%s\\%d.bin", dir, i);
                hr = IBackgroundCopyJob_AddFile(jobs[i], url, local);
                break;
            case 4: hr = IBackgroundCopyJob_GetState(jobs[i], &state); break;
            case 5: hr = IBackgroundCopyJob_Cancel(jobs[i]); break;
            }
            if (FAILED(hr))
            {
                fprintf(stderr, "%s failed: %#lx\n", names[step], hr);
                failed = 1;
                if (!step) count = i;
                break;
            }
        }
        spent[step] = now_ms() - start;
    }
    for (step = 0; step < ARRAY_SIZE(names); step++)
        printf("call %s %.0f us\n", names[step], count ? spent[step] * 1000 / count : 0.0);
    for (i = 0; i < count; i++) IBackgroundCopyJob_Release(jobs[i]);
    free(jobs);
    return failed;
}

int __cdecl wmain(int argc, WCHAR **argv)
{
    HRESULT hr;
    int ret = 2, tries;

    /* Each result reaches the script as it is printed, even from a run that
     * is then stopped. */
    setvbuf(stdout, NULL, _IONBF, 0);
    CoInitializeEx(NULL, COINIT_MULTITHREADED);
    /* A run that starts as the one before it ends can meet Wine stopping the
     * services of the ending session (0x80070002): asked again, a new one starts. */
    for (tries = 0; tries < 20; tries++)
    {
        hr = CoCreateInstance(&CLSID_BackgroundCopyManager, NULL, CLSCTX_LOCAL_SERVER, &IID_IBackgroundCopyManager,
                              (void **)&manager);
        if (SUCCEEDED(hr)) break;
        Sleep(250);
    }
    if (FAILED(hr))
    {
        fprintf(stderr, "BITS is not available: %#lx\n", hr);
        return 1;
    }
    all_done = CreateEventW(NULL, TRUE, FALSE, NULL);

    if (argc == 4 && !wcscmp(argv[1], L"file"))
    {
        IBackgroundCopyJob *job = new_job(L"bitsbench file");
        double start = now_ms();
        remaining = 1;
        add(job, argv[2], argv[3]);
        IBackgroundCopyJob_Resume(job);
        IBackgroundCopyJob_Release(job);
        ret = wait_all(600000);
        printf("file %.1f\n", now_ms() - start);
    }
    else if (argc == 5 && !wcscmp(argv[1], L"files")) ret = bench_files(argv[2], _wtoi(argv[3]), argv[4], TRUE);
    else if (argc == 5 && !wcscmp(argv[1], L"jobs")) ret = bench_files(argv[2], _wtoi(argv[3]), argv[4], FALSE);
    else if (argc == 5 && !wcscmp(argv[1], L"calls")) ret = bench_calls(argv[2], _wtoi(argv[3]), argv[4]);
    else if (argc >= 3 && !wcscmp(argv[1], L"enum")) ret = bench_enum(_wtoi(argv[2]), argc > 3 && !wcscmp(argv[3], L"hold"));
    else fprintf(stderr, "usage: see the comment at the top of bitsbench.c\n");

    IBackgroundCopyManager_Release(manager);
    /* No CoUninitialize: the service's last calls to our callback (a
     * JobTransferred just answered, the release of the job's reference to
     * it) may still be ending in Wine's rpcrt4, and RpcServerUnregisterIf,
     * which CoUninitialize calls, can miss their end and wait forever (Wine
     * 8: the call count drops without the lock its check takes).  The
     * process ends, and COM with it. */
    return ret;
}
