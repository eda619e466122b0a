/*
 * Tests of BITS notifications: the callback object (IBackgroundCopyCallback
 * and Callback2) and the notification command line, on jobs that really
 * transfer from the loopback HTTP server.
 *
 * The test runs in the multithreaded apartment, so the service's calls into
 * our callback object arrive on COM's threads while the test waits on events.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdarg.h>
#include <stdio.h>

#define COBJMACROS
#define CONST_VTABLE
#include "windef.h"
#include "winbase.h"
#include "objbase.h"
#include "winsvc.h"
#include "bits10_3.h"

#include "wine/test.h"
#include "httpd.h"
#include "bits_server.h"

static IBackgroundCopyManager *manager;
static struct httpd *server;
static WCHAR work_dir[MAX_PATH];

#include "service_util.h"

struct test_callback
{
    IBackgroundCopyCallback2 IBackgroundCopyCallback2_iface;
    LONG refcount;
    HANDLE transferred;       /* signalled by JobTransferred */
    HANDLE error;             /* signalled by JobError */
    LONG transferred_calls;
    LONG error_calls;
    LONG modification_calls;
    HANDLE modified;             /* signalled by JobModification */
    LONG file_calls;
    LONG file_calls_at_transferred;
    HRESULT transferred_result;  /* what JobTransferred answers */
    HANDLE transferred_entered;  /* if set, signalled as JobTransferred begins */
    HANDLE transferred_release;  /* if set, the first JobTransferred waits for it (at most 60 s) */
    BOOL cancel_in_file_callback; /* FileTransferred cancels the job */
    HRESULT cancel_hr;
    DWORD cancel_ms;             /* how long that Cancel took */
    HANDLE file_done;            /* signalled by FileTransferred */
    BOOL complete_in_callback;   /* JobTransferred calls Complete */
    HRESULT complete_hr;
    HRESULT error_code;          /* what JobError's error object said */
    BG_ERROR_CONTEXT error_context;
    GUID job_id;                 /* the job JobTransferred was called for */
    LONG file_failures;          /* FileTransferred answers E_FAIL this many times first */
    WCHAR file_names[8][MAX_PATH];  /* the local name of each FileTransferred call, in order */
    BOOL version1;               /* answers as IBackgroundCopyCallback only */
    HANDLE file_release;         /* if set, FileTransferred waits for it (at most 60 s) */
    HANDLE modification_release; /* if set, JobModification waits for it */
    DWORD modification_wait_ms;  /* for at most this long; 0: 30 s */
    LONG callback2_queries;
};

static struct test_callback *impl_from_IBackgroundCopyCallback2(IBackgroundCopyCallback2 *iface)
{
    return CONTAINING_RECORD(iface, struct test_callback, IBackgroundCopyCallback2_iface);
}

static HRESULT WINAPI callback_QueryInterface(IBackgroundCopyCallback2 *iface, REFIID riid, void **obj)
{
    struct test_callback *callback = impl_from_IBackgroundCopyCallback2(iface);

    if (IsEqualGUID(riid, &IID_IBackgroundCopyCallback2)) InterlockedIncrement(&callback->callback2_queries);
    if (IsEqualGUID(riid, &IID_IUnknown) || IsEqualGUID(riid, &IID_IBackgroundCopyCallback) ||
        (IsEqualGUID(riid, &IID_IBackgroundCopyCallback2) && !callback->version1))
    {
        *obj = iface;
        IBackgroundCopyCallback2_AddRef(iface);
        return S_OK;
    }
    *obj = NULL;
    return E_NOINTERFACE;
}

static ULONG WINAPI callback_AddRef(IBackgroundCopyCallback2 *iface)
{
    return InterlockedIncrement(&impl_from_IBackgroundCopyCallback2(iface)->refcount);
}

static ULONG WINAPI callback_Release(IBackgroundCopyCallback2 *iface)
{
    return InterlockedDecrement(&impl_from_IBackgroundCopyCallback2(iface)->refcount);
}

static HRESULT WINAPI callback_JobTransferred(IBackgroundCopyCallback2 *iface, IBackgroundCopyJob *job)
{
    struct test_callback *callback = impl_from_IBackgroundCopyCallback2(iface);
    BG_JOB_STATE state = -1;
    HRESULT hr = S_OK;

    if (callback->transferred_entered) SetEvent(callback->transferred_entered);
    if (callback->transferred_release && !callback->transferred_calls)
        WaitForSingleObject(callback->transferred_release, 60000);
    IBackgroundCopyJob_GetState(job, &state);
    ok(state == BG_JOB_STATE_TRANSFERRED, "JobTransferred for a job in state %d.\n", state);
    IBackgroundCopyJob_GetId(job, &callback->job_id);
    callback->file_calls_at_transferred = callback->file_calls;
    if (callback->complete_in_callback && callback->transferred_result == S_OK)
        callback->complete_hr = IBackgroundCopyJob_Complete(job);
    if (InterlockedIncrement(&callback->transferred_calls) > 1 || callback->transferred_result == S_OK)
        SetEvent(callback->transferred);
    if (callback->transferred_calls == 1) hr = callback->transferred_result;
    return hr;
}

static HRESULT WINAPI callback_JobError(IBackgroundCopyCallback2 *iface, IBackgroundCopyJob *job,
                                        IBackgroundCopyError *error)
{
    struct test_callback *callback = impl_from_IBackgroundCopyCallback2(iface);
    HRESULT hr;

    hr = IBackgroundCopyError_GetError(error, &callback->error_context, &callback->error_code);
    ok(hr == S_OK, "GetError failed: %#lx.\n", hr);
    InterlockedIncrement(&callback->error_calls);
    SetEvent(callback->error);
    return S_OK;
}

static HRESULT WINAPI callback_JobModification(IBackgroundCopyCallback2 *iface, IBackgroundCopyJob *job,
                                               DWORD reserved)
{
    struct test_callback *callback = impl_from_IBackgroundCopyCallback2(iface);

    InterlockedIncrement(&callback->modification_calls);
    SetEvent(callback->modified);
    if (callback->modification_release)
        WaitForSingleObject(callback->modification_release,
                            callback->modification_wait_ms ? callback->modification_wait_ms : 30000);
    return S_OK;
}

static HRESULT WINAPI callback_FileTransferred(IBackgroundCopyCallback2 *iface, IBackgroundCopyJob *job,
                                               IBackgroundCopyFile *file)
{
    struct test_callback *callback = impl_from_IBackgroundCopyCallback2(iface);
    BG_FILE_PROGRESS progress;
    WCHAR *name;
    LONG index;
    HRESULT hr;

    hr = IBackgroundCopyFile_GetProgress(file, &progress);
    ok(hr == S_OK, "GetProgress failed: %#lx.\n", hr);
    ok(progress.BytesTransferred == progress.BytesTotal && progress.BytesTotal != BG_SIZE_UNKNOWN,
       "FileTransferred for a file with %s of %s bytes.\n", wine_dbgstr_longlong(progress.BytesTransferred),
       wine_dbgstr_longlong(progress.BytesTotal));
    if ((index = InterlockedIncrement(&callback->file_calls) - 1) < ARRAY_SIZE(callback->file_names) &&
        SUCCEEDED(IBackgroundCopyFile_GetLocalName(file, &name)))
    {
        lstrcpynW(callback->file_names[index], name, MAX_PATH);
        CoTaskMemFree(name);
    }
    if (InterlockedDecrement(&callback->file_failures) >= 0) return E_FAIL;
    if (callback->cancel_in_file_callback)
    {
        DWORD start = GetTickCount();
        callback->cancel_hr = IBackgroundCopyJob_Cancel(job);
        callback->cancel_ms = GetTickCount() - start;
    }
    SetEvent(callback->file_done);
    if (callback->file_release) WaitForSingleObject(callback->file_release, 60000);
    return S_OK;
}

static const IBackgroundCopyCallback2Vtbl callback_vtbl =
{
    callback_QueryInterface,
    callback_AddRef,
    callback_Release,
    callback_JobTransferred,
    callback_JobError,
    callback_JobModification,
    callback_FileTransferred,
};

/* Every test's callback object is static: the service lets its reference go
 * when the job is destroyed, which may be after the test has returned, and
 * COM then calls Release through the object's vtable. */
static void init_callback(struct test_callback *callback)
{
    memset(callback, 0, sizeof(*callback));
    callback->IBackgroundCopyCallback2_iface.lpVtbl = &callback_vtbl;
    callback->refcount = 1;
    callback->transferred = CreateEventW(NULL, TRUE, FALSE, NULL);
    callback->error = CreateEventW(NULL, TRUE, FALSE, NULL);
    callback->modified = CreateEventW(NULL, TRUE, FALSE, NULL);
    callback->file_done = CreateEventW(NULL, TRUE, FALSE, NULL);
}

static void free_callback(struct test_callback *callback)
{
    CloseHandle(callback->transferred);
    CloseHandle(callback->error);
    CloseHandle(callback->modified);
    CloseHandle(callback->file_done);
}

static IBackgroundCopyJob *create_job(void)
{
    IBackgroundCopyJob *job = NULL;
    WCHAR name[64];
    HRESULT hr;
    GUID id;

    swprintf(name, ARRAY_SIZE(name), L"qmgr notify test %lu %lu", GetCurrentProcessId(), GetTickCount());
    hr = IBackgroundCopyManager_CreateJob(manager, name, BG_JOB_TYPE_DOWNLOAD, &id, &job);
    ok(hr == S_OK, "CreateJob failed: %#lx.\n", hr);
    return job;
}

/* Adds /name from the server, stored as work_dir\name. */
static void add_http_file(IBackgroundCopyJob *job, const char *name, ULONGLONG size)
{
    WCHAR url[256], local[MAX_PATH];
    char path[64];
    HRESULT hr;

    sprintf(path, "/notify/%s", name);
    if (size != ~(ULONGLONG)0) ok(httpd_add_pattern_resource(server, path, size, 7, NULL), "add resource failed.\n");
    httpd_url(server, path, url, ARRAY_SIZE(url));
    swprintf(local, ARRAY_SIZE(local), L"%s\\%S", work_dir, name);
    DeleteFileW(local);
    hr = IBackgroundCopyJob_AddFile(job, url, local);
    ok(hr == S_OK, "AddFile failed: %#lx.\n", hr);
}

/* Sets the job's notify flags (0 keeps the default) and registers callback (NULL: none). */
#define set_notify(a, b, c) set_notify_(__LINE__, a, b, c)
static void set_notify_(int line, IBackgroundCopyJob *job, ULONG flags, struct test_callback *callback)
{
    HRESULT hr;

    if (flags)
    {
        hr = IBackgroundCopyJob_SetNotifyFlags(job, flags);
        ok_(__FILE__, line)(hr == S_OK, "SetNotifyFlags failed: %#lx.\n", hr);
    }
    if (callback)
    {
        hr = IBackgroundCopyJob_SetNotifyInterface(job, (IUnknown *)&callback->IBackgroundCopyCallback2_iface);
        ok_(__FILE__, line)(hr == S_OK, "SetNotifyInterface failed: %#lx.\n", hr);
    }
}

static BG_JOB_STATE wait_for_state(IBackgroundCopyJob *job, BG_JOB_STATE wanted, DWORD timeout)
{
    DWORD start = GetTickCount();
    BG_JOB_STATE state = -1;

    while (GetTickCount() - start < timeout)
    {
        if (FAILED(IBackgroundCopyJob_GetState(job, &state)) || state == wanted) break;
        Sleep(20);
    }
    return state;
}

static void test_job_transferred(void)
{
    static struct test_callback callback;
    IBackgroundCopyJob *job;
    BG_JOB_STATE state;
    WCHAR local[MAX_PATH];
    HRESULT hr;
    GUID id;

    init_callback(&callback);
    callback.complete_in_callback = TRUE;
    if (!(job = create_job())) return;
    IBackgroundCopyJob_GetId(job, &id);
    add_http_file(job, "one.bin", 100000);
    add_http_file(job, "two.bin", 3000);

    set_notify(job, BG_NOTIFY_JOB_TRANSFERRED | BG_NOTIFY_JOB_ERROR | BG_NOTIFY_FILE_TRANSFERRED, &callback);
    hr = IBackgroundCopyJob_Resume(job);
    ok(hr == S_OK, "Resume failed: %#lx.\n", hr);

    ok(!WaitForSingleObject(callback.transferred, 30000), "JobTransferred was not called.\n");
    ok(callback.transferred_calls == 1, "JobTransferred called %ld times.\n", callback.transferred_calls);
    ok(IsEqualGUID(&callback.job_id, &id), "JobTransferred for another job %s.\n", wine_dbgstr_guid(&callback.job_id));
    /* FileTransferred comes for each file, before JobTransferred. */
    ok(callback.file_calls_at_transferred == 2, "FileTransferred called %ld times before JobTransferred.\n",
       callback.file_calls_at_transferred);
    /* The callback may complete the job. */
    ok(callback.complete_hr == S_OK, "Complete from the callback returned %#lx.\n", callback.complete_hr);
    state = wait_for_state(job, BG_JOB_STATE_ACKNOWLEDGED, 5000);
    ok(state == BG_JOB_STATE_ACKNOWLEDGED, "state %d after Complete in the callback.\n", state);
    swprintf(local, ARRAY_SIZE(local), L"%s\\one.bin", work_dir);
    ok(httpd_pattern_check_file(local, 7, 100000), "one.bin is wrong.\n");
    ok(callback.error_calls == 0, "JobError called %ld times.\n", callback.error_calls);

    IBackgroundCopyJob_Release(job);
    free_callback(&callback);
}

/* A callback of BITS 1.x, without FileTransferred, still hears
 * JobTransferred when the flags ask for file notices too. */
static void test_version1_callback(void)
{
    /* Not on the stack: an object at the address of an earlier test's, whose
     * stub COM may still keep, would be taken for that one, with its Callback2. */
    static struct test_callback callback;
    IBackgroundCopyJob *job;
    HRESULT hr;

    init_callback(&callback);
    callback.version1 = TRUE;
    if (!(job = create_job())) return;
    add_http_file(job, "v1-one.bin", 2000);
    add_http_file(job, "v1-two.bin", 3000);
    add_http_file(job, "v1-three.bin", 4000);
    set_notify(job, BG_NOTIFY_JOB_TRANSFERRED | BG_NOTIFY_FILE_TRANSFERRED, &callback);
    hr = IBackgroundCopyJob_Resume(job);
    ok(hr == S_OK, "Resume failed: %#lx.\n", hr);

    ok(!WaitForSingleObject(callback.transferred, 30000), "JobTransferred was not called.\n");
    ok(callback.transferred_calls == 1, "JobTransferred called %ld times.\n", callback.transferred_calls);
    ok(!callback.file_calls, "FileTransferred called %ld times.\n", callback.file_calls);
    /* BITS asked whether it has FileTransferred; ours asks once per registration. */
    ok(callback.callback2_queries >= 1, "IBackgroundCopyCallback2 was never asked for.\n");
    trace("%ld queries for IBackgroundCopyCallback2.\n", callback.callback2_queries);
    hr = IBackgroundCopyJob_Complete(job);
    ok(hr == S_OK, "Complete failed: %#lx.\n", hr);
    IBackgroundCopyJob_Release(job);
    free_callback(&callback);
}

static void test_job_error(void)
{
    static struct test_callback callback;
    IBackgroundCopyJob *job;
    HRESULT hr;

    init_callback(&callback);
    if (!(job = create_job())) return;
    add_http_file(job, "missing.bin", ~(ULONGLONG)0);
    set_notify(job, 0, &callback);
    hr = IBackgroundCopyJob_Resume(job);
    ok(hr == S_OK, "Resume failed: %#lx.\n", hr);

    ok(!WaitForSingleObject(callback.error, 30000), "JobError was not called.\n");
    ok(callback.error_code == BG_E_HTTP_ERROR_404, "JobError with code %#lx.\n", callback.error_code);
    ok(callback.error_context == BG_ERROR_CONTEXT_REMOTE_FILE, "JobError with context %d.\n", callback.error_context);
    ok(callback.transferred_calls == 0, "JobTransferred called %ld times.\n", callback.transferred_calls);

    IBackgroundCopyJob_Cancel(job);
    IBackgroundCopyJob_Release(job);
    free_callback(&callback);
}

/* A FileTransferred callback may cancel its job: the call returns at once,
 * the job is cancelled and no file is left behind. */
static void test_cancel_in_file_callback(void)
{
    static struct test_callback callback;
    WCHAR first[MAX_PATH], second[MAX_PATH];
    IBackgroundCopyJob *job;
    BG_JOB_STATE state;
    HRESULT hr;

    init_callback(&callback);
    callback.cancel_in_file_callback = TRUE;
    if (!(job = create_job())) return;
    add_http_file(job, "cancel1.bin", 3000);
    add_http_file(job, "cancel2.bin", 3000);
    swprintf(first, ARRAY_SIZE(first), L"%s\\cancel1.bin", work_dir);
    swprintf(second, ARRAY_SIZE(second), L"%s\\cancel2.bin", work_dir);
    set_notify(job, BG_NOTIFY_FILE_TRANSFERRED | BG_NOTIFY_JOB_TRANSFERRED, &callback);
    hr = IBackgroundCopyJob_Resume(job);
    ok(hr == S_OK, "Resume failed: %#lx.\n", hr);

    ok(!WaitForSingleObject(callback.file_done, 30000), "FileTransferred was not called.\n");
    ok(callback.cancel_hr == S_OK, "Cancel in FileTransferred returned %#lx.\n", callback.cancel_hr);
    ok(callback.cancel_ms < 5000, "Cancel in FileTransferred took %lu ms.\n", callback.cancel_ms);
    state = wait_for_state(job, BG_JOB_STATE_CANCELLED, 5000);
    ok(state == BG_JOB_STATE_CANCELLED, "state %d.\n", state);
    Sleep(500);
    ok(callback.transferred_calls == 0, "JobTransferred called for a cancelled job.\n");
    ok(GetFileAttributesW(first) == INVALID_FILE_ATTRIBUTES, "the first file exists.\n");
    ok(GetFileAttributesW(second) == INVALID_FILE_ATTRIBUTES, "the second file exists.\n");

    IBackgroundCopyJob_Release(job);
    free_callback(&callback);
}

/* A job of two files whose FileTransferred waits for callback->file_release;
 * NULL if it cannot be made.  Not resumed. */
static IBackgroundCopyJob *job_held_in_file_callback(struct test_callback *callback, const char *tag)
{
    IBackgroundCopyJob *job;
    char name[64];

    init_callback(callback);
    callback->file_release = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (!(job = create_job())) return NULL;
    sprintf(name, "%s-one.bin", tag);
    add_http_file(job, name, 3000);
    sprintf(name, "%s-two.bin", tag);
    add_http_file(job, name, 5000);
    return job;
}

/* Suspend and Resume while a FileTransferred call is under way: the job
 * still finishes, and JobTransferred comes after the call returns. */
static void test_suspend_resume_in_file_callback(void)
{
    static struct test_callback callback;
    IBackgroundCopyJob *job;
    HRESULT hr;

    if (!(job = job_held_in_file_callback(&callback, "held"))) goto done;
    /* Foreground: a second run of the job is not held back by the scheduler. */
    hr = IBackgroundCopyJob_SetPriority(job, BG_JOB_PRIORITY_FOREGROUND);
    ok(hr == S_OK, "SetPriority failed: %#lx.\n", hr);
    set_notify(job, BG_NOTIFY_JOB_TRANSFERRED | BG_NOTIFY_FILE_TRANSFERRED, &callback);
    hr = IBackgroundCopyJob_Resume(job);
    ok(hr == S_OK, "Resume failed: %#lx.\n", hr);
    ok(!WaitForSingleObject(callback.file_done, 30000), "FileTransferred was not called.\n");
    hr = IBackgroundCopyJob_Suspend(job);
    ok(hr == S_OK, "Suspend failed: %#lx.\n", hr);
    hr = IBackgroundCopyJob_Resume(job);
    ok(hr == S_OK, "Resume failed: %#lx.\n", hr);
    Sleep(1000);
    SetEvent(callback.file_release);
    ok(!WaitForSingleObject(callback.transferred, 30000), "JobTransferred was not called.\n");
    hr = IBackgroundCopyJob_Complete(job);
    ok(hr == S_OK, "Complete failed: %#lx.\n", hr);
    IBackgroundCopyJob_Release(job);
done:
    SetEvent(callback.file_release);
    CloseHandle(callback.file_release);
    free_callback(&callback);
}

/* A FileTransferred callback that takes its time (an application checking
 * the file) holds neither the job's next file nor other jobs: while it waits,
 * the second file and another job of the same priority are transferred; the
 * job's JobTransferred waits for it (spec 9.2). */
static void test_slow_file_callback(void)
{
    static struct test_callback callback;
    IBackgroundCopyJob *job, *other = NULL;
    BG_JOB_PROGRESS progress;
    BG_JOB_STATE state;
    DWORD start;
    HRESULT hr;

    if (!(job = job_held_in_file_callback(&callback, "slow-callback"))) goto done;
    set_notify(job, BG_NOTIFY_JOB_TRANSFERRED | BG_NOTIFY_FILE_TRANSFERRED, &callback);
    hr = IBackgroundCopyJob_Resume(job);
    ok(hr == S_OK, "Resume failed: %#lx.\n", hr);
    ok(!WaitForSingleObject(callback.file_done, 30000), "FileTransferred was not called.\n");

    /* The callback now waits, for at most 60 s. */
    if ((other = create_job()))
    {
        add_http_file(other, "slow-callback-other.bin", 4000);
        hr = IBackgroundCopyJob_Resume(other);
        ok(hr == S_OK, "Resume failed: %#lx.\n", hr);
        state = wait_for_state(other, BG_JOB_STATE_TRANSFERRED, 10000);
        ok(state == BG_JOB_STATE_TRANSFERRED, "the other job is in state %d.\n", state);
    }
    start = GetTickCount();
    for (;;)
    {
        hr = IBackgroundCopyJob_GetProgress(job, &progress);
        ok(hr == S_OK, "GetProgress failed: %#lx.\n", hr);
        if (FAILED(hr) || progress.FilesTransferred >= 2 || GetTickCount() - start >= 10000) break;
        Sleep(20);
    }
    ok(progress.FilesTransferred == 2, "%lu files transferred while FileTransferred waits.\n",
       progress.FilesTransferred);
    ok(callback.file_calls == 1, "FileTransferred called %ld times.\n", callback.file_calls);
    ok(WaitForSingleObject(callback.transferred, 0) == WAIT_TIMEOUT, "JobTransferred came first.\n");

    SetEvent(callback.file_release);
    ok(!WaitForSingleObject(callback.transferred, 30000), "JobTransferred was not called.\n");
    ok(callback.file_calls_at_transferred == 2, "FileTransferred called %ld times before JobTransferred.\n",
       callback.file_calls_at_transferred);
    hr = IBackgroundCopyJob_Complete(job);
    ok(hr == S_OK, "Complete failed: %#lx.\n", hr);
    IBackgroundCopyJob_Release(job);
done:
    if (other)
    {
        IBackgroundCopyJob_Cancel(other);
        IBackgroundCopyJob_Release(other);
    }
    SetEvent(callback.file_release);
    CloseHandle(callback.file_release);
    free_callback(&callback);
}

/* A change made while JobTransferred runs, and then fails, is told after the
 * minimum interval between JobModification calls, not after the retry delay
 * of the failed callback (spec 9.2, 13). */
static void test_modification_after_failed_callback(void)
{
    static struct test_callback callback;
    BITS_JOB_PROPERTY_VALUE value;
    IBackgroundCopyJob5 *job5;
    IBackgroundCopyJob *job;
    LONG before;
    DWORD start;
    HRESULT hr;

    init_callback(&callback);
    callback.transferred_result = E_FAIL;
    callback.transferred_entered = CreateEventW(NULL, TRUE, FALSE, NULL);
    callback.transferred_release = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (!(job = create_job())) goto done;
    add_http_file(job, "modification-after-failure.bin", 3000);
    hr = IBackgroundCopyJob_SetMinimumRetryDelay(job, 60);
    ok(hr == S_OK, "SetMinimumRetryDelay failed: %#lx.\n", hr);
    /* Long enough that the change below comes within it of the last notice. */
    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob5, (void **)&job5);
    ok(hr == S_OK, "QueryInterface(IBackgroundCopyJob5) failed: %#lx.\n", hr);
    if (SUCCEEDED(hr))
    {
        value.Dword = 3000;
        hr = IBackgroundCopyJob5_SetProperty(job5, BITS_JOB_PROPERTY_MINIMUM_NOTIFICATION_INTERVAL_MS, value);
        ok(hr == S_OK, "SetProperty failed: %#lx.\n", hr);
        IBackgroundCopyJob5_Release(job5);
    }
    set_notify(job, BG_NOTIFY_JOB_TRANSFERRED | BG_NOTIFY_JOB_MODIFICATION, &callback);
    hr = IBackgroundCopyJob_Resume(job);
    ok(hr == S_OK, "Resume failed: %#lx.\n", hr);
    ok(!WaitForSingleObject(callback.transferred_entered, 30000), "JobTransferred was not called.\n");
    before = callback.modification_calls;
    hr = IBackgroundCopyJob_SetDisplayName(job, L"renamed while JobTransferred runs");
    ok(hr == S_OK, "SetDisplayName failed: %#lx.\n", hr);
    SetEvent(callback.transferred_release);
    start = GetTickCount();
    while (callback.modification_calls == before && GetTickCount() - start < 10000) Sleep(50);
    trace("JobModification %ld -> %ld after %lu ms.\n", before, callback.modification_calls, GetTickCount() - start);
    ok(callback.modification_calls > before, "no JobModification within 10 s of the change.\n");
    hr = IBackgroundCopyJob_Cancel(job);
    ok(hr == S_OK, "Cancel failed: %#lx.\n", hr);
    IBackgroundCopyJob_Release(job);
done:
    SetEvent(callback.transferred_release);
    CloseHandle(callback.transferred_release);
    CloseHandle(callback.transferred_entered);
    free_callback(&callback);
}

/* An application whose JobModification does not return (a client that
 * stopped answering) holds up its own job's notices, not the service: other
 * jobs still hear JobTransferred, and a failing job is still retried. */
static void test_blocked_callback(void)
{
    /* Not on the stack: COM may keep the stubs a while (test_version1_callback). */
    static struct test_callback blocked, other;
    IBackgroundCopyJob *slow = NULL, *quick = NULL, *failing = NULL;
    struct httpd_resource_options options;
    WCHAR url[256], local[MAX_PATH];
    ULONG errors = 0;
    DWORD start;
    HRESULT hr;

    init_callback(&blocked);
    init_callback(&other);
    blocked.modification_release = CreateEventW(NULL, TRUE, FALSE, NULL);
    memset(&options, 0, sizeof(options));
    options.slow_delay_ms = 50;
    options.slow_chunk = 4096;
    ok(httpd_add_pattern_resource(server, "/notify/blocked-slow.bin", 400000, 7, &options), "add resource failed.\n");
    if (!(slow = create_job())) goto done;
    add_http_file(slow, "blocked-slow.bin", ~(ULONGLONG)0);
    /* Progress brings a JobModification every 500 ms, into a call that does not return. */
    set_notify(slow, BG_NOTIFY_JOB_MODIFICATION, &blocked);
    hr = IBackgroundCopyJob_SetPriority(slow, BG_JOB_PRIORITY_FOREGROUND);
    ok(hr == S_OK, "SetPriority failed: %#lx.\n", hr);
    hr = IBackgroundCopyJob_Resume(slow);
    ok(hr == S_OK, "Resume failed: %#lx.\n", hr);
    ok(!WaitForSingleObject(blocked.modified, 15000), "JobModification was not called.\n");
    /* Long enough for every notification thread to have been sent into it. */
    Sleep(3000);

    if (!(failing = create_job())) goto done;
    wcscpy(url, L"http://127.0.0.1:1/blocked-failing.bin");
    swprintf(local, ARRAY_SIZE(local), L"%s\\blocked-failing.bin", work_dir);
    hr = IBackgroundCopyJob_AddFile(failing, url, local);
    ok(hr == S_OK, "AddFile failed: %#lx.\n", hr);
    hr = IBackgroundCopyJob_SetMinimumRetryDelay(failing, 5);
    ok(hr == S_OK, "SetMinimumRetryDelay failed: %#lx.\n", hr);
    hr = IBackgroundCopyJob_Resume(failing);
    ok(hr == S_OK, "Resume failed: %#lx.\n", hr);

    if (!(quick = create_job())) goto done;
    add_http_file(quick, "blocked-quick.bin", 3000);
    set_notify(quick, BG_NOTIFY_JOB_TRANSFERRED, &other);
    hr = IBackgroundCopyJob_Resume(quick);
    ok(hr == S_OK, "Resume failed: %#lx.\n", hr);
    ok(!WaitForSingleObject(other.transferred, 15000), "JobTransferred did not come while a callback is stuck.\n");

    /* Its retry comes 5 s after its first failure. */
    start = GetTickCount();
    do
    {
        Sleep(200);
        hr = IBackgroundCopyJob_GetErrorCount(failing, &errors);
    } while (hr == S_OK && errors < 2 && GetTickCount() - start < 15000);
    ok(errors >= 2, "the failing job failed %lu times while a callback is stuck.\n", errors);
done:
    SetEvent(blocked.modification_release);
    if (slow)
    {
        IBackgroundCopyJob_SetNotifyInterface(slow, NULL);
        IBackgroundCopyJob_Cancel(slow);
        IBackgroundCopyJob_Release(slow);
    }
    if (failing)
    {
        IBackgroundCopyJob_Cancel(failing);
        IBackgroundCopyJob_Release(failing);
    }
    if (quick)
    {
        IBackgroundCopyJob_Cancel(quick);
        IBackgroundCopyJob_Release(quick);
    }
    /* The calls that were held return before the objects go. */
    Sleep(500);
    CloseHandle(blocked.modification_release);
    free_callback(&blocked);
    free_callback(&other);
}

/* Clients whose callbacks do not return must not keep the service from
 * stopping: a stop that takes longer than the service control manager waits
 * (30 s) looks hung.  Four jobs hold every notification thread in a
 * JobModification that returns after a minute, if it is not released. */
static void test_stop_with_blocked_callbacks(void)
{
    /* Not on the stack: COM may keep the stubs a while (test_version1_callback). */
    static struct test_callback blocked[4];
    struct httpd_resource_options options;
    IBackgroundCopyJob *job;
    GUID ids[ARRAY_SIZE(blocked)];
    char name[64];
    HRESULT hr;
    ULONG i, count = 0;

    memset(&options, 0, sizeof(options));
    options.slow_delay_ms = 50;
    options.slow_chunk = 4096;
    for (i = 0; i < ARRAY_SIZE(blocked); i++)
    {
        init_callback(&blocked[i]);
        blocked[i].modification_release = CreateEventW(NULL, TRUE, FALSE, NULL);
        blocked[i].modification_wait_ms = 60000;
        sprintf(name, "/notify/stop-blocked-%lu.bin", i);
        ok(httpd_add_pattern_resource(server, name, 400000, 7, &options), "add resource failed.\n");
        if (!(job = create_job())) break;
        add_http_file(job, name + strlen("/notify/"), ~(ULONGLONG)0);
        set_notify(job, BG_NOTIFY_JOB_MODIFICATION, &blocked[i]);
        IBackgroundCopyJob_GetId(job, &ids[count++]);
        hr = IBackgroundCopyJob_Resume(job);
        ok(hr == S_OK, "Resume failed: %#lx.\n", hr);
        IBackgroundCopyJob_Release(job);
    }
    /* Windows may hold the other jobs' notices while one client's call lasts. */
    for (i = 0; i < count; i++)
        ok(!WaitForSingleObject(blocked[i].modified, 15000) || broken(i > 0), "JobModification %lu was not called.\n", i);

    /* stop_service fails the test if the stop takes more than 30 s. */
    if (count == ARRAY_SIZE(blocked)) stop_service();
    for (i = 0; i < ARRAY_SIZE(blocked); i++) SetEvent(blocked[i].modification_release);
    if (!manager) start_service();
    for (i = 0; manager && i < count; i++)
    {
        if (FAILED(IBackgroundCopyManager_GetJob(manager, &ids[i], &job))) continue;
        IBackgroundCopyJob_SetNotifyInterface(job, NULL);
        IBackgroundCopyJob_Cancel(job);
        IBackgroundCopyJob_Release(job);
    }
    for (i = 0; i < ARRAY_SIZE(blocked); i++) CloseHandle(blocked[i].modification_release);
}

/* A callback registered after the job was transferred still hears of it. */
static void test_late_registration(void)
{
    static struct test_callback callback;
    IBackgroundCopyJob *job;
    BG_JOB_STATE state;
    HRESULT hr;

    init_callback(&callback);
    if (!(job = create_job())) return;
    add_http_file(job, "late.bin", 5000);
    add_http_file(job, "late-two.bin", 3000);
    set_notify(job, BG_NOTIFY_JOB_TRANSFERRED | BG_NOTIFY_FILE_TRANSFERRED, NULL);
    hr = IBackgroundCopyJob_Resume(job);
    ok(hr == S_OK, "Resume failed: %#lx.\n", hr);
    state = wait_for_state(job, BG_JOB_STATE_TRANSFERRED, 30000);
    ok(state == BG_JOB_STATE_TRANSFERRED, "state %d.\n", state);

    set_notify(job, 0, &callback);
    ok(!WaitForSingleObject(callback.transferred, 15000), "JobTransferred was not called after a late registration.\n");
    /* FileTransferred too, for each file, before it. */
    ok(callback.file_calls_at_transferred == 2, "FileTransferred called %ld times before JobTransferred.\n",
       callback.file_calls_at_transferred);

    IBackgroundCopyJob_Cancel(job);
    IBackgroundCopyJob_Release(job);
    free_callback(&callback);
}

/* A callback object whose application let it go (here CoDisconnectObject)
 * misses nothing: the object registered next hears FileTransferred, then
 * JobTransferred (behavior.md 9.2, 9.3). */
static void test_disconnected_callback(void)
{
    static struct test_callback gone, next;
    IBackgroundCopyJob *job;
    BG_JOB_STATE state;
    HRESULT hr;

    init_callback(&gone);
    init_callback(&next);
    if (!(job = create_job())) return;
    add_http_file(job, "disconnected.bin", 5000);
    /* Offered again only after this long: the registration must bring them. */
    hr = IBackgroundCopyJob_SetMinimumRetryDelay(job, 600);
    ok(hr == S_OK, "SetMinimumRetryDelay failed: %#lx.\n", hr);
    set_notify(job, BG_NOTIFY_JOB_TRANSFERRED | BG_NOTIFY_FILE_TRANSFERRED, &gone);
    hr = CoDisconnectObject((IUnknown *)&gone.IBackgroundCopyCallback2_iface, 0);
    ok(hr == S_OK, "CoDisconnectObject failed: %#lx.\n", hr);
    hr = IBackgroundCopyJob_Resume(job);
    ok(hr == S_OK, "Resume failed: %#lx.\n", hr);
    state = wait_for_state(job, BG_JOB_STATE_TRANSFERRED, 30000);
    ok(state == BG_JOB_STATE_TRANSFERRED, "state %d.\n", state);
    Sleep(500);
    ok(!gone.file_calls && !gone.transferred_calls, "the disconnected object was called.\n");

    set_notify(job, 0, &next);
    ok(!WaitForSingleObject(next.transferred, 15000), "JobTransferred did not come to the new object.\n");
    ok(next.file_calls == 1 && next.file_calls_at_transferred == 1,
       "%ld FileTransferred calls, %ld of them before JobTransferred.\n", next.file_calls,
       next.file_calls_at_transferred);

    IBackgroundCopyJob_Cancel(job);
    IBackgroundCopyJob_Release(job);
    free_callback(&gone);
    free_callback(&next);
}

/* A cancelled job lets go of the application's callback at once, even with a
 * failed notification waiting to be retried. */
static void test_cancel_releases_callback(void)
{
    static struct test_callback callback;
    IBackgroundCopyJob *job;
    DWORD start;
    HRESULT hr;

    init_callback(&callback);
    callback.transferred_result = E_FAIL;
    if (!(job = create_job())) return;
    add_http_file(job, "release.bin", 2000);
    set_notify(job, 0, &callback);
    hr = IBackgroundCopyJob_Resume(job);
    ok(hr == S_OK, "Resume failed: %#lx.\n", hr);
    start = GetTickCount();
    while (!callback.transferred_calls && GetTickCount() - start < 30000) Sleep(20);
    ok(callback.transferred_calls == 1, "JobTransferred called %ld times.\n", callback.transferred_calls);

    hr = IBackgroundCopyJob_Cancel(job);
    ok(hr == S_OK, "Cancel failed: %#lx.\n", hr);
    IBackgroundCopyJob_Release(job);
    start = GetTickCount();
    while (callback.refcount > 1 && GetTickCount() - start < 5000) Sleep(20);
    ok(callback.refcount == 1, "the service still holds %ld references to the callback.\n", callback.refcount - 1);
    free_callback(&callback);
}

/* A callback that fails is called again later. */
static void test_failing_callback(void)
{
    static struct test_callback callback;
    IBackgroundCopyJob *job;
    HRESULT hr;

    init_callback(&callback);
    callback.transferred_result = E_FAIL;
    if (!(job = create_job())) return;
    add_http_file(job, "again.bin", 2000);
    hr = IBackgroundCopyJob_SetMinimumRetryDelay(job, 5);
    ok(hr == S_OK, "SetMinimumRetryDelay failed: %#lx.\n", hr);
    set_notify(job, 0, &callback);
    hr = IBackgroundCopyJob_Resume(job);
    ok(hr == S_OK, "Resume failed: %#lx.\n", hr);

    /* The second call signals the event (the interval is arbitrary: allow a generous bound). */
    ok(!WaitForSingleObject(callback.transferred, 60000), "JobTransferred was not called again.\n");
    ok(callback.transferred_calls >= 2, "JobTransferred called %ld times.\n", callback.transferred_calls);

    IBackgroundCopyJob_SetNotifyInterface(job, NULL);
    IBackgroundCopyJob_Cancel(job);
    IBackgroundCopyJob_Release(job);
    free_callback(&callback);
}

/* BG_NOTIFY_DISABLE silences the callback. */
static void test_disabled(void)
{
    static struct test_callback callback;
    IBackgroundCopyJob *job;
    BG_JOB_STATE state;
    HRESULT hr;

    init_callback(&callback);
    if (!(job = create_job())) return;
    add_http_file(job, "quiet.bin", 2000);
    set_notify(job, BG_NOTIFY_DISABLE | BG_NOTIFY_JOB_TRANSFERRED, &callback);
    hr = IBackgroundCopyJob_Resume(job);
    ok(hr == S_OK, "Resume failed: %#lx.\n", hr);
    state = wait_for_state(job, BG_JOB_STATE_TRANSFERRED, 30000);
    ok(state == BG_JOB_STATE_TRANSFERRED, "state %d.\n", state);
    ok(WaitForSingleObject(callback.transferred, 1000) == WAIT_TIMEOUT, "JobTransferred called despite BG_NOTIFY_DISABLE.\n");

    IBackgroundCopyJob_SetNotifyInterface(job, NULL);
    IBackgroundCopyJob_Cancel(job);
    IBackgroundCopyJob_Release(job);
    free_callback(&callback);
}

/* JobModification: raised for property changes, no more often than the minimum
 * notification interval (500 ms by default). */
static void test_job_modification(void)
{
    static struct test_callback callback;
    IBackgroundCopyJob *job;
    DWORD start, burst_ms;
    LONG calls;
    HRESULT hr;
    int i;

    init_callback(&callback);
    if (!(job = create_job())) return;
    set_notify(job, BG_NOTIFY_JOB_MODIFICATION, &callback);

    hr = IBackgroundCopyJob_SetDescription(job, L"changed");
    ok(hr == S_OK, "SetDescription failed: %#lx.\n", hr);
    ok(!WaitForSingleObject(callback.modified, 10000), "JobModification was not called.\n");

    /* A burst of changes gives only a few calls: one per interval (500 ms)
     * that the burst and the second after it span. */
    Sleep(600);
    calls = callback.modification_calls;
    start = GetTickCount();
    for (i = 0; i < 20; i++) IBackgroundCopyJob_SetDescription(job, i % 2 ? L"one" : L"two");
    burst_ms = GetTickCount() - start;
    Sleep(1000);
    ok(callback.modification_calls - calls >= 1, "no JobModification for the burst.\n");
    ok(callback.modification_calls - calls <= 3 + burst_ms / 500,
       "%ld JobModification calls for a burst of 20 changes in %lu ms.\n", callback.modification_calls - calls, burst_ms);

    IBackgroundCopyJob_SetNotifyInterface(job, NULL);
    IBackgroundCopyJob_Cancel(job);
    IBackgroundCopyJob_Release(job);
    free_callback(&callback);
}

/* JobModification calls so far, once none has come for 1.2 s (within 15 s). */
static LONG wait_modifications_settled(struct test_callback *callback)
{
    DWORD start = GetTickCount();
    LONG calls;

    do
    {
        calls = callback->modification_calls;
        Sleep(1200);
    } while (callback->modification_calls != calls && GetTickCount() - start < 15000);
    return callback->modification_calls;
}

/* A file refused by SetValidationState(FALSE) puts the job in ERROR: that
 * gives JobError, and no JobModification (behavior.md 9.2: none for moves
 * into ERROR). */
static void test_no_modification_into_error(void)
{
    static struct test_callback callback;
    IEnumBackgroundCopyFiles *files;
    IBackgroundCopyFile3 *file3;
    IBackgroundCopyFile *file;
    IBackgroundCopyJob *job;
    BG_JOB_STATE state;
    LONG calls;
    HRESULT hr;

    init_callback(&callback);
    if (!(job = create_job())) return;
    add_http_file(job, "refused.bin", 5000);
    set_notify(job, BG_NOTIFY_JOB_MODIFICATION | BG_NOTIFY_JOB_ERROR, &callback);
    IBackgroundCopyJob_Resume(job);
    state = wait_for_state(job, BG_JOB_STATE_TRANSFERRED, 30000);
    ok(state == BG_JOB_STATE_TRANSFERRED, "state %d.\n", state);
    /* The transfer's own JobModification calls are over once none has come
     * for more than the interval (500 ms). */
    calls = wait_modifications_settled(&callback);

    IBackgroundCopyJob_EnumFiles(job, &files);
    if (state == BG_JOB_STATE_TRANSFERRED && IEnumBackgroundCopyFiles_Next(files, 1, &file, NULL) == S_OK)
    {
        hr = IBackgroundCopyFile_QueryInterface(file, &IID_IBackgroundCopyFile3, (void **)&file3);
        ok(hr == S_OK, "no IBackgroundCopyFile3: %#lx.\n", hr);
        if (SUCCEEDED(hr))
        {
            hr = IBackgroundCopyFile3_SetValidationState(file3, FALSE);
            ok(hr == S_OK, "SetValidationState(FALSE) failed: %#lx.\n", hr);
            ok(!WaitForSingleObject(callback.error, 10000), "JobError was not called.\n");
            ok(callback.error_code == BG_E_VALIDATION_FAILED, "JobError with code %#lx.\n", callback.error_code);
            Sleep(1200);
            ok(callback.modification_calls == calls, "%ld JobModification calls for the move into ERROR.\n",
               callback.modification_calls - calls);
            IBackgroundCopyFile3_Release(file3);
        }
        IBackgroundCopyFile_Release(file);
    }
    IEnumBackgroundCopyFiles_Release(files);

    IBackgroundCopyJob_SetNotifyInterface(job, NULL);
    IBackgroundCopyJob_Cancel(job);
    IBackgroundCopyJob_Release(job);
    free_callback(&callback);
}

/* The command line runs when the job is transferred and no callback is set. */
static void test_command_line(void)
{
    WCHAR program[MAX_PATH], parameters[2 * MAX_PATH], marker[MAX_PATH];
    IBackgroundCopyJob2 *job2;
    IBackgroundCopyJob *job;
    DWORD start;
    HRESULT hr;

    if (!(job = create_job())) return;
    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob2, (void **)&job2);
    ok(hr == S_OK, "QueryInterface(IBackgroundCopyJob2) failed: %#lx.\n", hr);
    if (FAILED(hr))
    {
        IBackgroundCopyJob_Cancel(job);
        IBackgroundCopyJob_Release(job);
        return;
    }
    add_http_file(job, "cmdline.bin", 2000);

    GetSystemDirectoryW(program, ARRAY_SIZE(program));
    wcscat(program, L"\\cmd.exe");
    swprintf(marker, ARRAY_SIZE(marker), L"%s\\cmdline.done", work_dir);
    DeleteFileW(marker);
    swprintf(parameters, ARRAY_SIZE(parameters), L"cmd.exe /c echo done> \"%s\"", marker);
    hr = IBackgroundCopyJob2_SetNotifyCmdLine(job2, program, parameters);
    ok(hr == S_OK, "SetNotifyCmdLine failed: %#lx.\n", hr);
    hr = IBackgroundCopyJob_Resume(job);
    ok(hr == S_OK, "Resume failed: %#lx.\n", hr);

    start = GetTickCount();
    while (GetFileAttributesW(marker) == INVALID_FILE_ATTRIBUTES && GetTickCount() - start < 30000) Sleep(50);
    ok(GetFileAttributesW(marker) != INVALID_FILE_ATTRIBUTES, "the command line did not run.\n");
    DeleteFileW(marker);

    IBackgroundCopyJob_Cancel(job);
    IBackgroundCopyJob2_Release(job2);
    IBackgroundCopyJob_Release(job);
}

/* A notification program that exits with an error runs again after the
 * minimum retry delay; once it succeeds, it does not run again (spec 9.4). */
static void test_command_line_rerun(void)
{
    WCHAR program[MAX_PATH], parameters[4 * MAX_PATH], first[MAX_PATH], second[MAX_PATH], third[MAX_PATH];
    IBackgroundCopyJob2 *job2;
    IBackgroundCopyJob *job;
    DWORD start, took;
    HRESULT hr;

    if (!(job = create_job())) return;
    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob2, (void **)&job2);
    ok(hr == S_OK, "QueryInterface(IBackgroundCopyJob2) failed: %#lx.\n", hr);
    if (FAILED(hr))
    {
        IBackgroundCopyJob_Cancel(job);
        IBackgroundCopyJob_Release(job);
        return;
    }
    hr = IBackgroundCopyJob_SetMinimumRetryDelay(job, 5);
    ok(hr == S_OK, "SetMinimumRetryDelay failed: %#lx.\n", hr);
    add_http_file(job, "rerun.bin", 2000);

    /* First run: marks the first file and fails; second run: marks the
     * second and succeeds; a third run would mark the third. */
    GetSystemDirectoryW(program, ARRAY_SIZE(program));
    wcscat(program, L"\\cmd.exe");
    swprintf(first, ARRAY_SIZE(first), L"%s\\rerun.1", work_dir);
    swprintf(second, ARRAY_SIZE(second), L"%s\\rerun.2", work_dir);
    swprintf(third, ARRAY_SIZE(third), L"%s\\rerun.3", work_dir);
    DeleteFileW(first);
    DeleteFileW(second);
    DeleteFileW(third);
    swprintf(parameters, ARRAY_SIZE(parameters),
             L"cmd.exe /c if exist \"%s\" (if exist \"%s\" (echo x> \"%s\") else (echo x> \"%s\")) "
             L"else (echo x> \"%s\" & exit 3)", first, second, third, second, first);
    hr = IBackgroundCopyJob2_SetNotifyCmdLine(job2, program, parameters);
    ok(hr == S_OK, "SetNotifyCmdLine failed: %#lx.\n", hr);
    hr = IBackgroundCopyJob_Resume(job);
    ok(hr == S_OK, "Resume failed: %#lx.\n", hr);

    start = GetTickCount();
    while (GetFileAttributesW(first) == INVALID_FILE_ATTRIBUTES && GetTickCount() - start < 30000) Sleep(50);
    ok(GetFileAttributesW(first) != INVALID_FILE_ATTRIBUTES, "the command line did not run.\n");
    start = GetTickCount();
    while (GetFileAttributesW(second) == INVALID_FILE_ATTRIBUTES && GetTickCount() - start < 30000) Sleep(100);
    took = GetTickCount() - start;
    ok(GetFileAttributesW(second) != INVALID_FILE_ATTRIBUTES, "the failed command line did not run again.\n");
    ok(took >= 3000, "it ran again after %lu ms, before the retry delay.\n", took);
    /* It succeeded: no third run, even after another retry delay. */
    Sleep(7000);
    ok(GetFileAttributesW(third) == INVALID_FILE_ATTRIBUTES, "the command line ran a third time.\n");

    DeleteFileW(first);
    DeleteFileW(second);
    DeleteFileW(third);
    IBackgroundCopyJob_Cancel(job);
    IBackgroundCopyJob2_Release(job2);
    IBackgroundCopyJob_Release(job);
}

/* A class factory for the notification CLSID test: each object it makes is the one test callback. */
static struct test_callback *factory_callback;
static LONG factory_creations;

static HRESULT WINAPI factory_QueryInterface(IClassFactory *iface, REFIID riid, void **obj)
{
    if (IsEqualGUID(riid, &IID_IUnknown) || IsEqualGUID(riid, &IID_IClassFactory))
    {
        *obj = iface;
        return S_OK;
    }
    *obj = NULL;
    return E_NOINTERFACE;
}

static ULONG WINAPI factory_AddRef(IClassFactory *iface) { return 2; }
static ULONG WINAPI factory_Release(IClassFactory *iface) { return 1; }

static HRESULT WINAPI factory_CreateInstance(IClassFactory *iface, IUnknown *outer, REFIID riid, void **obj)
{
    InterlockedIncrement(&factory_creations);
    if (outer) return CLASS_E_NOAGGREGATION;
    return IBackgroundCopyCallback2_QueryInterface(&factory_callback->IBackgroundCopyCallback2_iface, riid, obj);
}

static HRESULT WINAPI factory_LockServer(IClassFactory *iface, BOOL lock) { return S_OK; }

static const IClassFactoryVtbl factory_vtbl =
{
    factory_QueryInterface, factory_AddRef, factory_Release, factory_CreateInstance, factory_LockServer,
};

/* {5a7e1c1e-0b1d-4c2a-9a57-71bd33a1c0de}: a class only this test serves. */
static const CLSID CLSID_test_callback = { 0x5a7e1c1e, 0x0b1d, 0x4c2a, { 0x9a, 0x57, 0x71, 0xbd, 0x33, 0xa1, 0xc0, 0xde } };

/* BITS_JOB_PROPERTY_NOTIFICATION_CLSID: with no callback object registered,
 * BITS makes one of the class to deliver JobTransferred (behavior.md 9.3). */
static void test_notification_clsid(void)
{
    IClassFactory factory = { &factory_vtbl };
    static struct test_callback callback;
    BITS_JOB_PROPERTY_VALUE value;
    IBackgroundCopyJob5 *job5;
    IBackgroundCopyJob *job;
    IUnknown *registered = NULL;
    DWORD cookie;
    HRESULT hr;

    init_callback(&callback);
    factory_callback = &callback;
    factory_creations = 0;
    hr = CoRegisterClassObject(&CLSID_test_callback, (IUnknown *)&factory, CLSCTX_LOCAL_SERVER, REGCLS_MULTIPLEUSE,
                               &cookie);
    ok(hr == S_OK, "CoRegisterClassObject failed: %#lx.\n", hr);
    if (FAILED(hr)) return;
    if (!(job = create_job())) goto done;
    add_http_file(job, "clsid.bin", 5000);
    IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob5, (void **)&job5);
    value.ClsID = CLSID_test_callback;
    hr = IBackgroundCopyJob5_SetProperty(job5, BITS_JOB_PROPERTY_NOTIFICATION_CLSID, value);
    ok(hr == S_OK, "SetProperty(NOTIFICATION_CLSID) failed: %#lx.\n", hr);
    IBackgroundCopyJob5_Release(job5);
    /* Every notification goes to an object of the class, not only JobTransferred. */
    set_notify(job, BG_NOTIFY_JOB_TRANSFERRED | BG_NOTIFY_JOB_MODIFICATION | BG_NOTIFY_FILE_TRANSFERRED, NULL);
    hr = IBackgroundCopyJob_Resume(job);
    ok(hr == S_OK, "Resume failed: %#lx.\n", hr);

    ok(!WaitForSingleObject(callback.transferred, 30000), "JobTransferred did not reach an object of the class.\n");
    ok(factory_creations == 1, "%ld objects created.\n", factory_creations);
    ok(callback.transferred_calls == 1, "JobTransferred called %ld times.\n", callback.transferred_calls);
    ok(callback.file_calls_at_transferred == 1, "FileTransferred called %ld times before JobTransferred.\n",
       callback.file_calls_at_transferred);
    ok(callback.modification_calls >= 1, "JobModification called %ld times.\n", callback.modification_calls);
    /* BITS keeps the object it made as the job's callback. */
    hr = IBackgroundCopyJob_GetNotifyInterface(job, &registered);
    ok(hr == S_OK && registered, "GetNotifyInterface: %#lx, %p.\n", hr, registered);
    if (registered) IUnknown_Release(registered);
    IBackgroundCopyJob_Cancel(job);
    IBackgroundCopyJob_Release(job);

    /* Set after the job was transferred, with nobody registered before: the
     * events still come, FileTransferred first (behavior.md 9.2, 9.3). */
    free_callback(&callback);
    init_callback(&callback);
    factory_creations = 0;
    if (!(job = create_job())) goto done;
    add_http_file(job, "clsid-late.bin", 6000);
    set_notify(job, BG_NOTIFY_JOB_TRANSFERRED | BG_NOTIFY_FILE_TRANSFERRED, NULL);
    hr = IBackgroundCopyJob_Resume(job);
    ok(hr == S_OK, "Resume failed: %#lx.\n", hr);
    ok(wait_for_state(job, BG_JOB_STATE_TRANSFERRED, 30000) == BG_JOB_STATE_TRANSFERRED, "the job did not finish.\n");
    IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob5, (void **)&job5);
    value.ClsID = CLSID_test_callback;
    hr = IBackgroundCopyJob5_SetProperty(job5, BITS_JOB_PROPERTY_NOTIFICATION_CLSID, value);
    ok(hr == S_OK, "SetProperty(NOTIFICATION_CLSID) failed: %#lx.\n", hr);
    IBackgroundCopyJob5_Release(job5);
    ok(!WaitForSingleObject(callback.transferred, 30000), "JobTransferred did not come after the late CLSID.\n");
    ok(factory_creations == 1, "%ld objects created.\n", factory_creations);
    ok(callback.file_calls_at_transferred == 1, "FileTransferred called %ld times before JobTransferred.\n",
       callback.file_calls_at_transferred);
    IBackgroundCopyJob_Cancel(job);
    IBackgroundCopyJob_Release(job);
done:
    CoRevokeClassObject(cookie);
    free_callback(&callback);
}

static void remove_work_dir(void)
{
    WIN32_FIND_DATAW data;
    WCHAR pattern[MAX_PATH], path[MAX_PATH];
    HANDLE find;

    swprintf(pattern, ARRAY_SIZE(pattern), L"%s\\*", work_dir);
    if ((find = FindFirstFileW(pattern, &data)) != INVALID_HANDLE_VALUE)
    {
        do
        {
            if (data.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) continue;
            swprintf(path, ARRAY_SIZE(path), L"%s\\%s", work_dir, data.cFileName);
            SetFileAttributesW(path, FILE_ATTRIBUTE_NORMAL);
            DeleteFileW(path);
        } while (FindNextFileW(find, &data));
        FindClose(find);
    }
    RemoveDirectoryW(work_dir);
}

/* Foreground jobs run side by side (behavior.md 4), however many: six slow
 * ones all make progress at once.  Meanwhile a small job's JobTransferred
 * comes at once: notifications do not wait for transfers to end. */
static void test_busy_transfers(void)
{
    static const ULONGLONG slow_size = 2 * 1024 * 1024;
    struct httpd_resource_options options;
    IBackgroundCopyJob *slow[6] = { NULL }, *job;
    static struct test_callback callback;
    BG_JOB_PROGRESS progress;
    WCHAR url[256], local[MAX_PATH];
    unsigned int i, moving;
    DWORD start;
    HRESULT hr;

    memset(&options, 0, sizeof(options));
    options.slow_delay_ms = 50;
    options.slow_chunk = 4096;   /* 80 KiB a second: the six take half a minute */
    ok(httpd_add_pattern_resource(server, "/notify/busy-slow.bin", slow_size, 9, &options), "add resource failed.\n");
    httpd_url(server, "/notify/busy-slow.bin", url, ARRAY_SIZE(url));
    for (i = 0; i < ARRAY_SIZE(slow); i++)
    {
        if (!(slow[i] = create_job())) goto done;
        hr = IBackgroundCopyJob_SetPriority(slow[i], BG_JOB_PRIORITY_FOREGROUND);
        ok(hr == S_OK, "SetPriority failed: %#lx.\n", hr);
        swprintf(local, ARRAY_SIZE(local), L"%s\busy-slow-%u.bin", work_dir, i);
        hr = IBackgroundCopyJob_AddFile(slow[i], url, local);
        ok(hr == S_OK, "AddFile failed: %#lx.\n", hr);
        hr = IBackgroundCopyJob_Resume(slow[i]);
        ok(hr == S_OK, "Resume failed: %#lx.\n", hr);
    }
    start = GetTickCount();
    do
    {
        Sleep(100);
        for (i = moving = 0; i < ARRAY_SIZE(slow); i++)
        {
            memset(&progress, 0, sizeof(progress));
            if (SUCCEEDED(IBackgroundCopyJob_GetProgress(slow[i], &progress)) &&
                progress.BytesTransferred && progress.BytesTransferred != BG_SIZE_UNKNOWN)
                moving++;
        }
    } while (moving < ARRAY_SIZE(slow) && GetTickCount() - start < 15000);
    ok(moving == ARRAY_SIZE(slow), "%u of %u foreground jobs made progress.\n", moving, (unsigned int)ARRAY_SIZE(slow));

    init_callback(&callback);
    if ((job = create_job()))
    {
        add_http_file(job, "busy-small.bin", 2000);
        set_notify(job, 0, &callback);
        hr = IBackgroundCopyJob_Resume(job);
        ok(hr == S_OK, "Resume failed: %#lx.\n", hr);
        ok(!WaitForSingleObject(callback.transferred, 10000), "JobTransferred did not come while others transfer.\n");
        IBackgroundCopyJob_Cancel(job);
        IBackgroundCopyJob_Release(job);
    }
    free_callback(&callback);
done:
    for (i = 0; i < ARRAY_SIZE(slow); i++)
    {
        if (!slow[i]) continue;
        IBackgroundCopyJob_Cancel(slow[i]);
        IBackgroundCopyJob_Release(slow[i]);
    }
}

/* FileTransferred (spec 9.2): a negative answer makes BITS call it again
 * later, the next file's waits for it, and JobTransferred comes after all
 * of them; it is for downloaded files and an upload-reply job's reply, not
 * for an uploaded file. */
static void test_file_transferred_rules(void)
{
    static const ULONGLONG upload_size = 20000;
    static struct test_callback callback;
    IBackgroundCopyJob2 *job2;
    IBackgroundCopyJob *job;
    WCHAR local[2][MAX_PATH], source[MAX_PATH], reply[MAX_PATH], url[256];
    BG_JOB_TYPE type;
    HANDLE file;
    DWORD written;
    BYTE buffer[4096];
    HRESULT hr;
    GUID id;

    /* Two files; the first call fails. */
    init_callback(&callback);
    callback.file_failures = 1;
    if (!(job = create_job())) return;
    add_http_file(job, "file-retry-1.bin", 3000);
    add_http_file(job, "file-retry-2.bin", 4000);
    swprintf(local[0], MAX_PATH, L"%s\\file-retry-1.bin", work_dir);
    swprintf(local[1], MAX_PATH, L"%s\\file-retry-2.bin", work_dir);
    IBackgroundCopyJob_SetMinimumRetryDelay(job, 5);
    set_notify(job, BG_NOTIFY_JOB_TRANSFERRED | BG_NOTIFY_FILE_TRANSFERRED, &callback);
    IBackgroundCopyJob_Resume(job);
    ok(!WaitForSingleObject(callback.transferred, 30000), "JobTransferred was not called.\n");
    ok(callback.file_calls_at_transferred == 3, "FileTransferred called %ld times before JobTransferred.\n",
       callback.file_calls_at_transferred);
    ok(!wcsicmp(callback.file_names[0], local[0]) && !wcsicmp(callback.file_names[1], local[0]) &&
       !wcsicmp(callback.file_names[2], local[1]), "FileTransferred for %s, %s, %s.\n",
       wine_dbgstr_w(callback.file_names[0]), wine_dbgstr_w(callback.file_names[1]),
       wine_dbgstr_w(callback.file_names[2]));
    IBackgroundCopyJob_Cancel(job);
    IBackgroundCopyJob_Release(job);
    free_callback(&callback);

    /* Upload and upload-reply: only the reply counts. */
    if (!bits_server_start(server, "/notify-upload/"))
    {
        ok(0, "cannot start the BITS upload server.\n");
        return;
    }
    swprintf(source, ARRAY_SIZE(source), L"%s\\upload-source.bin", work_dir);
    file = CreateFileW(source, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
    ok(file != INVALID_HANDLE_VALUE, "cannot create %s: %lu.\n", wine_dbgstr_w(source), GetLastError());
    for (written = 0; written < upload_size; written += sizeof(buffer))
    {
        DWORD done;
        httpd_pattern_fill(17, written, buffer, sizeof(buffer));
        WriteFile(file, buffer, min(sizeof(buffer), upload_size - written), &done, NULL);
    }
    CloseHandle(file);
    for (type = BG_JOB_TYPE_UPLOAD; type <= BG_JOB_TYPE_UPLOAD_REPLY; type++)
    {
        winetest_push_context("type %d", type);
        bits_server_reset();
        bits_server.reply = TRUE;
        init_callback(&callback);
        hr = IBackgroundCopyManager_CreateJob(manager, L"qmgr notify upload", type, &id, &job);
        ok(hr == S_OK, "CreateJob failed: %#lx.\n", hr);
        if (SUCCEEDED(hr))
        {
            httpd_url(server, "/notify-upload/up.bin", url, ARRAY_SIZE(url));
            hr = IBackgroundCopyJob_AddFile(job, url, source);
            ok(hr == S_OK, "AddFile failed: %#lx.\n", hr);
            swprintf(reply, ARRAY_SIZE(reply), L"%s\\upload-reply.txt", work_dir);
            if (type == BG_JOB_TYPE_UPLOAD_REPLY &&
                SUCCEEDED(IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob2, (void **)&job2)))
            {
                hr = IBackgroundCopyJob2_SetReplyFileName(job2, reply);
                ok(hr == S_OK, "SetReplyFileName failed: %#lx.\n", hr);
                IBackgroundCopyJob2_Release(job2);
            }
            set_notify(job, BG_NOTIFY_JOB_TRANSFERRED | BG_NOTIFY_FILE_TRANSFERRED, &callback);
            IBackgroundCopyJob_Resume(job);
            ok(!WaitForSingleObject(callback.transferred, 30000), "JobTransferred was not called.\n");
            if (type == BG_JOB_TYPE_UPLOAD)
                ok(!callback.file_calls_at_transferred, "FileTransferred called %ld times.\n",
                   callback.file_calls_at_transferred);
            else
            {
                ok(callback.file_calls_at_transferred == 1, "FileTransferred called %ld times.\n",
                   callback.file_calls_at_transferred);
                ok(!wcsicmp(callback.file_names[0], reply), "FileTransferred for %s.\n",
                   wine_dbgstr_w(callback.file_names[0]));
            }
            IBackgroundCopyJob_Cancel(job);
            IBackgroundCopyJob_Release(job);
        }
        free_callback(&callback);
        winetest_pop_context();
    }
    bits_server_stop();
    DeleteFileW(source);
}

START_TEST(notify)
{
    WCHAR temp[MAX_PATH];
    HRESULT hr;

    CoInitializeEx(NULL, COINIT_MULTITHREADED);
    hr = CoCreateInstance(&CLSID_BackgroundCopyManager, NULL, CLSCTX_LOCAL_SERVER,
                          &IID_IBackgroundCopyManager, (void **)&manager);
    if (FAILED(hr))
    {
        win_skip("cannot create the BITS manager: %#lx.\n", hr);
        CoUninitialize();
        return;
    }
    if (!(server = httpd_start()))
    {
        skip("cannot start the loopback server.\n");
        IBackgroundCopyManager_Release(manager);
        CoUninitialize();
        return;
    }
    GetTempPathW(ARRAY_SIZE(temp), temp);
    swprintf(work_dir, ARRAY_SIZE(work_dir), L"%sqmgr_notify_%lu", temp, GetCurrentProcessId());
    CreateDirectoryW(work_dir, NULL);

    test_job_transferred();
    test_version1_callback();
    test_job_error();
    test_busy_transfers();
    test_file_transferred_rules();
    test_cancel_in_file_callback();
    test_suspend_resume_in_file_callback();
    test_slow_file_callback();
    test_modification_after_failed_callback();
    test_blocked_callback();
    test_stop_with_blocked_callbacks();
    test_late_registration();
    test_disconnected_callback();
    test_failing_callback();
    test_cancel_releases_callback();
    test_disabled();
    test_job_modification();
    test_no_modification_into_error();
    test_notification_clsid();
    test_command_line();
    test_command_line_rerun();

    remove_work_dir();
    httpd_stop(server);
    IBackgroundCopyManager_Release(manager);
    CoUninitialize();
}
