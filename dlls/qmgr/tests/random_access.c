/*
 * Conformance tests of random access (IBackgroundCopyFile6, BITS 10.1):
 * on-demand jobs, requested byte ranges, the download position, filled
 * ranges and FileRangesTransferred (IBackgroundCopyCallback3)
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define COBJMACROS
#define CONST_VTABLE

#include "winsock2.h"
#include "windef.h"
#include "winbase.h"
#include "winerror.h"
#include "objbase.h"
#include "winhttp.h"
#include "bits10_3.h"

#include "wine/test.h"
#include "httpd.h"
#include "transfer_util.h"

static void make_name(WCHAR *buf, size_t len, const WCHAR *tag)
{
    static LONG counter;

    swprintf(buf, len, L"qmgr_test random access %ls %lu-%lu-%ld", tag, GetCurrentProcessId(),
             GetTickCount(), InterlockedIncrement(&counter));
}

static BOOL set_on_demand(IBackgroundCopyJob *job, BOOL enable)
{
    BITS_JOB_PROPERTY_VALUE value = { 0 };
    IBackgroundCopyJob5 *job5;
    HRESULT hr;

    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob5, (void **)&job5);
    ok(hr == S_OK, "QueryInterface(IBackgroundCopyJob5) failed: %#lx.\n", hr);
    if (FAILED(hr)) return FALSE;
    value.Enable = enable;
    hr = IBackgroundCopyJob5_SetProperty(job5, BITS_JOB_PROPERTY_ON_DEMAND_MODE, value);
    ok(hr == S_OK, "SetProperty(ON_DEMAND_MODE) failed: %#lx.\n", hr);
    IBackgroundCopyJob5_Release(job5);
    return hr == S_OK;
}

static IBackgroundCopyFile6 *get_file6(IBackgroundCopyJob *job)
{
    IBackgroundCopyFile6 *file6 = NULL;
    IBackgroundCopyFile *file;
    HRESULT hr;

    if (!(file = get_file(job, 0))) return NULL;
    hr = IBackgroundCopyFile_QueryInterface(file, &IID_IBackgroundCopyFile6, (void **)&file6);
    ok(hr == S_OK, "QueryInterface(IBackgroundCopyFile6) failed: %#lx.\n", hr);
    IBackgroundCopyFile_Release(file);
    return file6;
}

/* GetFilledFileRanges gives exactly these ranges. */
#define check_filled(a, b, c) check_filled_(__LINE__, a, b, c)
static void check_filled_(int line, IBackgroundCopyFile6 *file6, const BG_FILE_RANGE *expected, DWORD expected_count)
{
    BG_FILE_RANGE *ranges = (BG_FILE_RANGE *)0xdeadbeef;
    DWORD count = 0xdead, i;
    HRESULT hr;

    hr = IBackgroundCopyFile6_GetFilledFileRanges(file6, &count, &ranges);
    ok_(__FILE__, line)(hr == S_OK, "GetFilledFileRanges failed: %#lx.\n", hr);
    if (FAILED(hr)) return;
    ok_(__FILE__, line)(count == expected_count, "got %lu filled ranges, expected %lu.\n", count, expected_count);
    for (i = 0; i < min(count, expected_count); i++)
        ok_(__FILE__, line)(ranges[i].InitialOffset == expected[i].InitialOffset && ranges[i].Length == expected[i].Length,
                            "range %lu is %s+%s, expected %s+%s.\n", i, wine_dbgstr_longlong(ranges[i].InitialOffset),
                            wine_dbgstr_longlong(ranges[i].Length), wine_dbgstr_longlong(expected[i].InitialOffset),
                            wine_dbgstr_longlong(expected[i].Length));
    if (count) CoTaskMemFree(ranges);
    else ok_(__FILE__, line)(!ranges, "got ranges %p without a count.\n", ranges);
}

/* The bytes of the temporary file at these ranges are the server's. */
#define check_temp_bytes(a, b, c, d) check_temp_bytes_(__LINE__, a, b, c, d)
static void check_temp_bytes_(int line, IBackgroundCopyFile6 *file6, unsigned int seed, const BG_FILE_RANGE *ranges,
                              DWORD count)
{
    WCHAR *name = NULL;
    LARGE_INTEGER offset;
    HANDLE handle;
    DWORD i, read;
    BYTE *buffer;
    HRESULT hr;

    hr = IBackgroundCopyFile6_GetTemporaryName(file6, &name);
    ok_(__FILE__, line)(hr == S_OK, "GetTemporaryName failed: %#lx.\n", hr);
    if (FAILED(hr)) return;
    handle = CreateFileW(name, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                         OPEN_EXISTING, 0, NULL);
    ok_(__FILE__, line)(handle != INVALID_HANDLE_VALUE, "cannot open %s: %lu.\n", wine_dbgstr_w(name), GetLastError());
    CoTaskMemFree(name);
    if (handle == INVALID_HANDLE_VALUE) return;
    for (i = 0; i < count; i++)
    {
        buffer = malloc(ranges[i].Length);
        offset.QuadPart = ranges[i].InitialOffset;
        read = 0;
        SetFilePointerEx(handle, offset, NULL, FILE_BEGIN);
        ReadFile(handle, buffer, ranges[i].Length, &read, NULL);
        ok_(__FILE__, line)(read == ranges[i].Length, "read %lu bytes at %s.\n", read,
                            wine_dbgstr_longlong(ranges[i].InitialOffset));
        ok_(__FILE__, line)(httpd_pattern_check(seed, ranges[i].InitialOffset, buffer, read) == -1,
                            "the bytes at %s are not the server's.\n", wine_dbgstr_longlong(ranges[i].InitialOffset));
        free(buffer);
    }
    CloseHandle(handle);
}

/* The GET requests for path in the log from index start: their count, the
 * body bytes they got, and the Range header of the first one. */
static unsigned int count_gets(const char *path, unsigned int start, ULONGLONG *body_bytes, char *first_range, size_t size)
{
    struct httpd_log_entry *entry = malloc(sizeof(*entry));
    unsigned int count = 0;
    int index;

    /* The server logs a response's bytes after sending them: the job may
     * have them, and be in its next state, first. */
    httpd_log_wait(httpd, httpd_log_count(httpd), 5000);
    *body_bytes = 0;
    if (first_range) first_range[0] = 0;
    while ((index = httpd_log_find(httpd, "GET", path, start, entry)) >= 0)
    {
        if (!count && first_range && !httpd_log_header(entry, "Range", first_range, size)) first_range[0] = 0;
        *body_bytes += entry->body_bytes;
        count++;
        start = index + 1;
    }
    free(entry);
    return count;
}

/* ---- a callback object for FileRangesTransferred ----------------------- */

struct ranges_callback
{
    IBackgroundCopyCallback3 IBackgroundCopyCallback3_iface;
    LONG refcount;
    LONG calls;
    CRITICAL_SECTION cs;
    ULONGLONG bytes;          /* sum of the reported lengths */
    BOOL bad_range;           /* a range outside the file or of no length */
    ULONGLONG size;           /* of the file */
};

static struct ranges_callback *impl_from_callback(IBackgroundCopyCallback3 *iface)
{
    return CONTAINING_RECORD(iface, struct ranges_callback, IBackgroundCopyCallback3_iface);
}

static HRESULT WINAPI callback_QueryInterface(IBackgroundCopyCallback3 *iface, REFIID riid, void **obj)
{
    if (IsEqualGUID(riid, &IID_IUnknown) || IsEqualGUID(riid, &IID_IBackgroundCopyCallback) ||
        IsEqualGUID(riid, &IID_IBackgroundCopyCallback2) || IsEqualGUID(riid, &IID_IBackgroundCopyCallback3))
    {
        *obj = iface;
        IBackgroundCopyCallback3_AddRef(iface);
        return S_OK;
    }
    *obj = NULL;
    return E_NOINTERFACE;
}

static ULONG WINAPI callback_AddRef(IBackgroundCopyCallback3 *iface)
{
    return InterlockedIncrement(&impl_from_callback(iface)->refcount);
}

static ULONG WINAPI callback_Release(IBackgroundCopyCallback3 *iface)
{
    return InterlockedDecrement(&impl_from_callback(iface)->refcount);
}

static HRESULT WINAPI callback_JobTransferred(IBackgroundCopyCallback3 *iface, IBackgroundCopyJob *job)
{
    return S_OK;
}

static HRESULT WINAPI callback_JobError(IBackgroundCopyCallback3 *iface, IBackgroundCopyJob *job,
                                        IBackgroundCopyError *error)
{
    return S_OK;
}

static HRESULT WINAPI callback_JobModification(IBackgroundCopyCallback3 *iface, IBackgroundCopyJob *job, DWORD reserved)
{
    return S_OK;
}

static HRESULT WINAPI callback_FileTransferred(IBackgroundCopyCallback3 *iface, IBackgroundCopyJob *job,
                                               IBackgroundCopyFile *file)
{
    return S_OK;
}

static HRESULT WINAPI callback_FileRangesTransferred(IBackgroundCopyCallback3 *iface, IBackgroundCopyJob *job,
                                                     IBackgroundCopyFile *file, DWORD count, const BG_FILE_RANGE ranges[])
{
    struct ranges_callback *callback = impl_from_callback(iface);
    DWORD i;

    EnterCriticalSection(&callback->cs);
    callback->calls++;
    for (i = 0; i < count; i++)
    {
        if (!ranges[i].Length || ranges[i].InitialOffset + ranges[i].Length > callback->size) callback->bad_range = TRUE;
        callback->bytes += ranges[i].Length;
    }
    LeaveCriticalSection(&callback->cs);
    return S_OK;
}

static const IBackgroundCopyCallback3Vtbl callback_vtbl =
{
    callback_QueryInterface,
    callback_AddRef,
    callback_Release,
    callback_JobTransferred,
    callback_JobError,
    callback_JobModification,
    callback_FileTransferred,
    callback_FileRangesTransferred,
};

/* Waits (bounded) until the callback reported at least bytes. */
static ULONGLONG wait_reported(struct ranges_callback *callback, ULONGLONG bytes)
{
    DWORD start = GetTickCount();
    ULONGLONG got;

    for (;;)
    {
        EnterCriticalSection(&callback->cs);
        got = callback->bytes;
        LeaveCriticalSection(&callback->cs);
        if (got >= bytes || GetTickCount() - start > 5000) return got;
        Sleep(20);
    }
}

/* ---- tests -------------------------------------------------------------- */

/* Which files can be fetched in pieces, and the checks of the arguments (behavior.md 14). */
static void test_rules(void)
{
    static const BG_FILE_RANGE range = { 0, 10 };
    BG_FILE_RANGE bad, *ranges;
    BITS_JOB_PROPERTY_VALUE value = { 0 };
    WCHAR dir[MAX_PATH], local[MAX_PATH], source[MAX_PATH], url[256];
    IBackgroundCopyFile6 *file6;
    IBackgroundCopyJob3 *job3;
    IBackgroundCopyJob5 *job5;
    IBackgroundCopyJob *job;
    DWORD count;
    HRESULT hr;
    GUID id;

    if (!make_dir(L"rules", dir, ARRAY_SIZE(dir))) return;
    swprintf(local, ARRAY_SIZE(local), L"%lsrules.bin", dir);
    httpd_url(httpd, "/random/rules.bin", url, ARRAY_SIZE(url));

    /* An HTTP download, before any transfer: nothing is filled; ranges may be asked for. */
    if (!(job = create_job(L"rules"))) return;
    if (add_file(job, url, local) && (file6 = get_file6(job)))
    {
        check_filled(file6, NULL, 0);
        /* (NULL pointers are the proxy's to refuse: they do not reach the service.) */
        hr = IBackgroundCopyFile6_RequestFileRanges(file6, 0, &range);
        ok(hr == E_INVALIDARG, "RequestFileRanges(0) returned %#lx.\n", hr);
        bad.InitialOffset = 10;
        bad.Length = 0;
        hr = IBackgroundCopyFile6_RequestFileRanges(file6, 1, &bad);
        ok(hr == BG_E_INVALID_RANGE, "an empty range gave %#lx.\n", hr);
        bad.InitialOffset = BG_LENGTH_TO_EOF;
        bad.Length = 10;
        hr = IBackgroundCopyFile6_RequestFileRanges(file6, 1, &bad);
        ok(hr == BG_E_INVALID_RANGE, "a range at offset ~0 gave %#lx.\n", hr);
        bad.InitialOffset = ~(UINT64)0 - 5;
        hr = IBackgroundCopyFile6_RequestFileRanges(file6, 1, &bad);
        ok(hr == BG_E_INVALID_RANGE, "a range past 2^64 gave %#lx.\n", hr);
        hr = IBackgroundCopyFile6_RequestFileRanges(file6, 1, &range);
        ok(hr == S_OK, "RequestFileRanges failed: %#lx.\n", hr);
        hr = IBackgroundCopyFile6_UpdateDownloadPosition(file6, 5);
        ok(hr == S_OK, "UpdateDownloadPosition failed: %#lx.\n", hr);
        check_filled(file6, NULL, 0);

        /* Dynamic content cannot be fetched in pieces. */
        hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob5, (void **)&job5);
        ok(hr == S_OK, "QueryInterface(IBackgroundCopyJob5) failed: %#lx.\n", hr);
        value.Enable = TRUE;
        hr = IBackgroundCopyJob5_SetProperty(job5, BITS_JOB_PROPERTY_DYNAMIC_CONTENT, value);
        ok(hr == S_OK, "SetProperty(DYNAMIC_CONTENT) failed: %#lx.\n", hr);
        hr = IBackgroundCopyFile6_RequestFileRanges(file6, 1, &range);
        ok(hr == BG_E_RANDOM_ACCESS_NOT_SUPPORTED, "RequestFileRanges with dynamic content returned %#lx.\n", hr);
        hr = IBackgroundCopyFile6_UpdateDownloadPosition(file6, 0);
        ok(hr == BG_E_RANDOM_ACCESS_NOT_SUPPORTED, "UpdateDownloadPosition with dynamic content returned %#lx.\n", hr);
        hr = IBackgroundCopyFile6_GetFilledFileRanges(file6, &count, &ranges);
        ok(hr == BG_E_RANDOM_ACCESS_NOT_SUPPORTED, "GetFilledFileRanges with dynamic content returned %#lx.\n", hr);
        IBackgroundCopyJob5_Release(job5);

        /* A cancelled job takes no more requests. */
        hr = IBackgroundCopyJob_Cancel(job);
        ok(hr == S_OK, "Cancel failed: %#lx.\n", hr);
        IBackgroundCopyFile6_Release(file6);
    }
    IBackgroundCopyJob_Release(job);

    /* A cancelled job of an HTTP file. */
    if ((job = create_job(L"rules cancelled")))
    {
        if (add_file(job, url, local) && (file6 = get_file6(job)))
        {
            hr = IBackgroundCopyJob_Cancel(job);
            ok(hr == S_OK, "Cancel failed: %#lx.\n", hr);
            hr = IBackgroundCopyFile6_RequestFileRanges(file6, 1, &range);
            ok(hr == BG_E_INVALID_STATE, "RequestFileRanges on a cancelled job returned %#lx.\n", hr);
            IBackgroundCopyFile6_Release(file6);
        }
        IBackgroundCopyJob_Release(job);
    }

    /* A local source is no HTTP server. */
    swprintf(source, ARRAY_SIZE(source), L"%lssource.bin", dir);
    if ((job = create_job(L"rules local")))
    {
        if (add_file(job, source, local) && (file6 = get_file6(job)))
        {
            hr = IBackgroundCopyFile6_RequestFileRanges(file6, 1, &range);
            ok(hr == BG_E_RANDOM_ACCESS_NOT_SUPPORTED, "RequestFileRanges of a local source returned %#lx.\n", hr);
            hr = IBackgroundCopyFile6_GetFilledFileRanges(file6, &count, &ranges);
            ok(hr == BG_E_RANDOM_ACCESS_NOT_SUPPORTED, "GetFilledFileRanges of a local source returned %#lx.\n", hr);
            IBackgroundCopyFile6_Release(file6);
        }
        finish_job(job);
    }

    /* A file of AddFileWithRanges has its ranges already (bitsmsg: not for multi-range transfers). */
    if ((job = create_job(L"rules ranges")))
    {
        hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob3, (void **)&job3);
        ok(hr == S_OK, "QueryInterface(IBackgroundCopyJob3) failed: %#lx.\n", hr);
        if (SUCCEEDED(hr))
        {
            hr = IBackgroundCopyJob3_AddFileWithRanges(job3, url, local, 1, (BG_FILE_RANGE *)&range);
            ok(hr == S_OK, "AddFileWithRanges failed: %#lx.\n", hr);
            IBackgroundCopyJob3_Release(job3);
        }
        if (SUCCEEDED(hr) && (file6 = get_file6(job)))
        {
            hr = IBackgroundCopyFile6_RequestFileRanges(file6, 1, &range);
            ok(hr == BG_E_RANDOM_ACCESS_NOT_SUPPORTED, "RequestFileRanges of a ranged file returned %#lx.\n", hr);
            hr = IBackgroundCopyFile6_UpdateDownloadPosition(file6, 0);
            ok(hr == BG_E_RANDOM_ACCESS_NOT_SUPPORTED, "UpdateDownloadPosition of a ranged file returned %#lx.\n", hr);
            IBackgroundCopyFile6_Release(file6);
        }
        finish_job(job);
    }

    /* An upload is sent, not fetched. */
    hr = IBackgroundCopyManager_CreateJob(manager, L"qmgr_test random access upload", BG_JOB_TYPE_UPLOAD, &id, &job);
    ok(hr == S_OK, "CreateJob(UPLOAD) failed: %#lx.\n", hr);
    if (SUCCEEDED(hr))
    {
        HANDLE handle = CreateFileW(source, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);

        ok(handle != INVALID_HANDLE_VALUE, "cannot create %s: %lu.\n", wine_dbgstr_w(source), GetLastError());
        CloseHandle(handle);
        if (add_file(job, url, source) && (file6 = get_file6(job)))
        {
            hr = IBackgroundCopyFile6_RequestFileRanges(file6, 1, &range);
            ok(hr == BG_E_RANDOM_ACCESS_NOT_SUPPORTED, "RequestFileRanges of an upload returned %#lx.\n", hr);
            hr = IBackgroundCopyFile6_UpdateDownloadPosition(file6, 0);
            ok(hr == BG_E_RANDOM_ACCESS_NOT_SUPPORTED, "UpdateDownloadPosition of an upload returned %#lx.\n", hr);
            hr = IBackgroundCopyFile6_GetFilledFileRanges(file6, &count, &ranges);
            ok(hr == BG_E_RANDOM_ACCESS_NOT_SUPPORTED, "GetFilledFileRanges of an upload returned %#lx.\n", hr);
            IBackgroundCopyFile6_Release(file6);
        }
        finish_job(job);
    }
    DeleteFileW(source);
}

/* An on-demand job fetches the size (HEAD), then only the bytes asked for,
 * each byte once; SUSPENDED while the file is incomplete, TRANSFERRED once
 * it is all there; FileRangesTransferred reports what arrived. */
static void test_on_demand(void)
{
    static const char path[] = "/random/on_demand.bin";
    static const unsigned int seed = 4242;
    static const ULONGLONG size = 1000003;
    BG_FILE_RANGE first[2] = { { 500000, 10 }, { 100000, 5000 } };
    BG_FILE_RANGE filled[3] = { { 100000, 5000 }, { 500000, 10 } };
    BG_FILE_RANGE outside[2] = { { 0, 10 }, { size - 10, 20 } };
    BG_FILE_RANGE overlap = { 102000, 10000 }, rest = { 0, BG_LENGTH_TO_EOF };
    static struct ranges_callback callback = { { &callback_vtbl }, 1 };
    WCHAR dir[MAX_PATH], local[MAX_PATH], url[256];
    IBackgroundCopyFile6 *file6 = NULL;
    IBackgroundCopyJob *job;
    ULONGLONG body_bytes, total_body = 0;
    BG_JOB_STATE state;
    unsigned int start;
    char range[128];
    HRESULT hr;

    InitializeCriticalSection(&callback.cs);
    callback.size = size;
    if (!make_dir(L"on_demand", dir, ARRAY_SIZE(dir))) return;
    swprintf(local, ARRAY_SIZE(local), L"%lson_demand.bin", dir);
    ok(httpd_add_pattern_resource(httpd, path, size, seed, NULL), "cannot add resource.\n");
    httpd_url(httpd, path, url, ARRAY_SIZE(url));

    if (!(job = create_job(L"on demand"))) return;
    if (!set_on_demand(job, TRUE) || !add_file(job, url, local) || !(file6 = get_file6(job))) goto done;
    hr = IBackgroundCopyJob_SetNotifyFlags(job, BG_NOTIFY_JOB_TRANSFERRED | BG_NOTIFY_FILE_RANGES_TRANSFERRED);
    ok(hr == S_OK, "SetNotifyFlags failed: %#lx.\n", hr);
    hr = IBackgroundCopyJob_SetNotifyInterface(job, (IUnknown *)&callback.IBackgroundCopyCallback3_iface);
    ok(hr == S_OK, "SetNotifyInterface failed: %#lx.\n", hr);

    /* Nothing asked for: the size only, and the job waits. */
    start = httpd_log_count(httpd);
    if (!resume(job)) goto done;
    state = wait_state(job, STATE_BIT(BG_JOB_STATE_SUSPENDED), TRANSFER_TIMEOUT, FALSE);
    ok(state == BG_JOB_STATE_SUSPENDED, "got state %s.\n", state_name(state));
    check_job_progress(job, size, 0, 1, 0);
    ok(httpd_log_find(httpd, "HEAD", path, start, NULL) >= 0, "no HEAD for the size.\n");
    ok(!count_gets(path, start, &body_bytes, NULL, 0), "a GET without any range asked for.\n");
    check_filled(file6, NULL, 0);

    /* Ranges outside the file are refused, all of the call's. */
    hr = IBackgroundCopyFile6_RequestFileRanges(file6, 2, outside);
    ok(hr == BG_E_INVALID_RANGE, "a range past the end gave %#lx.\n", hr);
    outside[1].InitialOffset = size;
    outside[1].Length = BG_LENGTH_TO_EOF;
    hr = IBackgroundCopyFile6_RequestFileRanges(file6, 2, outside);
    ok(hr == BG_E_INVALID_RANGE, "a range at the end gave %#lx.\n", hr);

    /* Two ranges: just those bytes, then SUSPENDED again. */
    hr = IBackgroundCopyFile6_RequestFileRanges(file6, 2, first);
    ok(hr == S_OK, "RequestFileRanges failed: %#lx.\n", hr);
    start = httpd_log_count(httpd);
    if (!resume(job)) goto done;
    state = wait_state(job, STATE_BIT(BG_JOB_STATE_SUSPENDED), TRANSFER_TIMEOUT, FALSE);
    ok(state == BG_JOB_STATE_SUSPENDED, "got state %s.\n", state_name(state));
    check_job_progress(job, size, 5010, 1, 0);
    check_filled(file6, filled, 2);
    check_temp_bytes(file6, seed, filled, 2);
    ok(count_gets(path, start, &body_bytes, NULL, 0) == 2, "not one GET per range.\n");
    ok(body_bytes == 5010, "got %s body bytes for 5010 asked for.\n", wine_dbgstr_longlong(body_bytes));
    total_body += body_bytes;
    ok(wait_reported(&callback, 5010) == 5010, "FileRangesTransferred reported %s bytes.\n",
       wine_dbgstr_longlong(callback.bytes));

    /* Overlapping what is there: only the missing bytes are fetched. */
    hr = IBackgroundCopyFile6_RequestFileRanges(file6, 1, &overlap);
    ok(hr == S_OK, "RequestFileRanges failed: %#lx.\n", hr);
    start = httpd_log_count(httpd);
    if (!resume(job)) goto done;
    state = wait_state(job, STATE_BIT(BG_JOB_STATE_SUSPENDED), TRANSFER_TIMEOUT, FALSE);
    ok(state == BG_JOB_STATE_SUSPENDED, "got state %s.\n", state_name(state));
    filled[0].Length = 12000;
    check_filled(file6, filled, 2);
    ok(count_gets(path, start, &body_bytes, range, sizeof(range)) == 1, "not one GET for the overlap.\n");
    ok(!strcmp(range, "bytes=105000-111999"), "got Range %s.\n", range);
    total_body += body_bytes;

    /* The rest of the file: TRANSFERRED, and no byte came twice. */
    hr = IBackgroundCopyFile6_RequestFileRanges(file6, 1, &rest);
    ok(hr == S_OK, "RequestFileRanges failed: %#lx.\n", hr);
    start = httpd_log_count(httpd);
    if (!resume(job)) goto done;
    state = wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSFERRED), TRANSFER_TIMEOUT, FALSE);
    ok(state == BG_JOB_STATE_TRANSFERRED, "got state %s.\n", state_name(state));
    count_gets(path, start, &body_bytes, NULL, 0);
    total_body += body_bytes;
    ok(total_body == size, "%s body bytes in all for a file of %s.\n", wine_dbgstr_longlong(total_body),
       wine_dbgstr_longlong(size));
    filled[0].InitialOffset = 0;
    filled[0].Length = size;
    check_filled(file6, filled, 1);
    ok(wait_reported(&callback, size) == size, "FileRangesTransferred reported %s bytes.\n",
       wine_dbgstr_longlong(callback.bytes));
    ok(!callback.bad_range, "FileRangesTransferred reported a range outside the file.\n");
    hr = IBackgroundCopyJob_Complete(job);
    ok(hr == S_OK, "Complete failed: %#lx.\n", hr);
    check_pattern_file(local, seed, size);

done:
    if (file6) IBackgroundCopyFile6_Release(file6);
    finish_job(job);
    DeleteCriticalSection(&callback.cs);
    DeleteFileW(local);
}

/* An on-demand job of url into local; NULL on failure, else *file6 is its file. */
static IBackgroundCopyJob *on_demand_job(const WCHAR *tag, const WCHAR *url, const WCHAR *local,
                                         IBackgroundCopyFile6 **file6)
{
    IBackgroundCopyJob *job;

    *file6 = NULL;
    if (!(job = create_job(tag))) return NULL;
    set_retry_delay(job, 60);
    if (set_on_demand(job, TRUE) && add_file(job, url, local) && (*file6 = get_file6(job))) return job;
    finish_job(job);
    return NULL;
}

/* Asks for a piece and lets the job fetch it: SUSPENDED again. */
#define fetch_piece(a, b, c) fetch_piece_(__LINE__, a, b, c)
static BOOL fetch_piece_(int line, IBackgroundCopyJob *job, IBackgroundCopyFile6 *file6, BG_FILE_RANGE *piece)
{
    BG_JOB_STATE state;
    HRESULT hr;

    hr = IBackgroundCopyFile6_RequestFileRanges(file6, 1, piece);
    ok_(__FILE__, line)(hr == S_OK, "RequestFileRanges failed: %#lx.\n", hr);
    if (FAILED(hr) || !resume(job)) return FALSE;
    state = wait_state(job, STATE_BIT(BG_JOB_STATE_SUSPENDED), TRANSFER_TIMEOUT, FALSE);
    ok_(__FILE__, line)(state == BG_JOB_STATE_SUSPENDED, "got state %s.\n", state_name(state));
    return state == BG_JOB_STATE_SUSPENDED;
}

/* A file that changed on the server (another size and date) between two
 * pieces forgets the pieces of the old version and goes on with the new one. */
static void test_on_demand_changed(void)
{
    static const char path[] = "/random/on_demand_changed.bin";
    static const unsigned int seed = 4243, new_seed = 4244;
    static const ULONGLONG size = 200003, new_size = 250007;
    BG_FILE_RANGE first = { 1000, 2000 }, second = { 150000, 3000 };
    struct httpd_resource_options options;
    WCHAR dir[MAX_PATH], local[MAX_PATH], url[256];
    IBackgroundCopyFile6 *file6;
    IBackgroundCopyJob *job;

    if (!make_dir(L"on_demand_changed", dir, ARRAY_SIZE(dir))) return;
    swprintf(local, ARRAY_SIZE(local), L"%lschanged.bin", dir);
    ok(httpd_add_pattern_resource(httpd, path, size, seed, NULL), "cannot add resource.\n");
    httpd_url(httpd, path, url, ARRAY_SIZE(url));
    if (!(job = on_demand_job(L"on demand changed", url, local, &file6))) return;
    if (!fetch_piece(job, file6, &first)) goto done;
    check_filled(file6, &first, 1);

    memset(&options, 0, sizeof(options));
    options.last_modified = "Tue, 02 Jan 2024 00:00:00 GMT";
    ok(httpd_add_pattern_resource(httpd, path, new_size, new_seed, &options), "cannot replace resource.\n");
    if (!fetch_piece(job, file6, &second)) goto done;
    /* Only the new version's piece is left; the size is the new one. */
    check_filled(file6, &second, 1);
    check_temp_bytes(file6, new_seed, &second, 1);
    check_job_progress(job, new_size, 3000, 1, 0);

done:
    IBackgroundCopyFile6_Release(file6);
    finish_job(job);
    DeleteFileW(local);
}

/* A server that begins to send a date beside the ETag it sent (a record made
 * when the ETag was the validator kept, say) has not changed the file: the
 * pieces stay. */
static void test_on_demand_validator_kind(void)
{
    static const char path[] = "/random/on_demand_kind.bin";
    static const unsigned int seed = 4245;
    static const ULONGLONG size = 200003;
    BG_FILE_RANGE pieces[2] = { { 1000, 2000 }, { 150000, 3000 } };
    struct httpd_resource_options options;
    WCHAR dir[MAX_PATH], local[MAX_PATH], url[256];
    IBackgroundCopyFile6 *file6;
    IBackgroundCopyJob *job;

    if (!make_dir(L"on_demand_kind", dir, ARRAY_SIZE(dir))) return;
    swprintf(local, ARRAY_SIZE(local), L"%lskind.bin", dir);
    memset(&options, 0, sizeof(options));
    options.etag = "\"kind-1\"";
    options.no_last_modified = TRUE;
    ok(httpd_add_pattern_resource(httpd, path, size, seed, &options), "cannot add resource.\n");
    httpd_url(httpd, path, url, ARRAY_SIZE(url));
    if (!(job = on_demand_job(L"on demand validator kind", url, local, &file6))) return;
    if (!fetch_piece(job, file6, &pieces[0])) goto done;

    options.no_last_modified = FALSE;
    ok(httpd_set_resource_options(httpd, path, &options), "cannot change the resource.\n");
    if (!fetch_piece(job, file6, &pieces[1])) goto done;
    check_filled(file6, pieces, 2);
    check_temp_bytes(file6, seed, pieces, 2);

done:
    IBackgroundCopyFile6_Release(file6);
    finish_job(job);
    DeleteFileW(local);
}

/* In a job that is not on demand, the bytes asked for come first, and then the
 * rest of the file; the download position says where the rest begins. */
static void test_requested_first(void)
{
    static const char path[] = "/random/first.bin";
    static const unsigned int seed = 777;
    static const ULONGLONG size = 400000;
    BG_FILE_RANGE tail = { size - 4096, 4096 };
    struct httpd_resource_options options;
    WCHAR dir[MAX_PATH], local[MAX_PATH], url[256];
    struct httpd_log_entry *entry = malloc(sizeof(*entry));
    IBackgroundCopyFile6 *file6 = NULL;
    IBackgroundCopyJob *job;
    BG_FILE_PROGRESS progress;
    BG_JOB_STATE state;
    int index, tail_index = -1, position_index = -1;
    char range[128], expected[64];

    if (!make_dir(L"first", dir, ARRAY_SIZE(dir))) return;
    swprintf(local, ARRAY_SIZE(local), L"%lsfirst.bin", dir);
    memset(&options, 0, sizeof(options));
    options.slow_delay_ms = SLOW_DELAY_MS;
    options.slow_chunk = SLOW_CHUNK;
    ok(httpd_add_pattern_resource(httpd, path, size, seed, &options), "cannot add resource.\n");
    httpd_url(httpd, path, url, ARRAY_SIZE(url));
    httpd_log_clear(httpd);

    if (!(job = create_job(L"requested first"))) goto done;
    if (!add_file(job, url, local) || !(file6 = get_file6(job)) || !resume(job)) goto done;
    state = wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSFERRING), TRANSFER_TIMEOUT, FALSE);
    if (state != BG_JOB_STATE_TRANSFERRING) goto done;
    Sleep(300);

    /* Under way from the start: the tail is asked for, then the position moved to the middle. */
    ok(IBackgroundCopyFile6_RequestFileRanges(file6, 1, &tail) == S_OK, "RequestFileRanges failed.\n");
    Sleep(500);
    ok(IBackgroundCopyFile6_UpdateDownloadPosition(file6, 200000) == S_OK, "UpdateDownloadPosition failed.\n");

    state = wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSFERRED), 30000, FALSE);
    ok(state == BG_JOB_STATE_TRANSFERRED, "got state %s.\n", state_name(state));
    memset(&progress, 0, sizeof(progress));
    IBackgroundCopyFile6_GetProgress(file6, &progress);
    ok(progress.BytesTransferred == size && progress.BytesTotal == size, "progress %s of %s.\n",
       wine_dbgstr_longlong(progress.BytesTransferred), wine_dbgstr_longlong(progress.BytesTotal));
    if (state == BG_JOB_STATE_TRANSFERRED)
    {
        ok(IBackgroundCopyJob_Complete(job) == S_OK, "Complete failed.\n");
        check_pattern_file(local, seed, size);
    }

    /* The server saw the tail asked for alone, and a request from the position on. */
    sprintf(expected, "bytes=%I64u-%I64u", size - 4096, size - 1);
    for (index = 0; (index = httpd_log_find(httpd, "GET", path, index, entry)) >= 0; index++)
    {
        if (!httpd_log_header(entry, "Range", range, sizeof(range))) continue;
        if (!strcmp(range, expected) && tail_index < 0) tail_index = index;
        if (!strncmp(range, "bytes=200000-", 13) && position_index < 0) position_index = index;
    }
    ok(tail_index > 0, "the tail was not asked for alone after the first request.\n");
    ok(position_index > tail_index, "no request from the download position after the tail (%d, %d).\n",
       tail_index, position_index);

done:
    if (file6) IBackgroundCopyFile6_Release(file6);
    finish_job(job);
    free(entry);
    DeleteFileW(local);
}

/* A server that ignores Range: an on-demand job cannot go on
 * (BG_E_RANDOM_ACCESS_NOT_SUPPORTED, from the File6 methods too); a job that
 * only asked for some bytes first gets the whole file. */
static void test_no_range_support(void)
{
    static const char path[] = "/random/no_ranges.bin";
    static const unsigned int seed = 99;
    static const ULONGLONG size = 70000;
    BG_FILE_RANGE range = { 30000, 100 }, *ranges;
    struct httpd_resource_options options;
    WCHAR dir[MAX_PATH], local[MAX_PATH], url[256];
    IBackgroundCopyFile6 *file6;
    IBackgroundCopyJob *job;
    BG_ERROR_CONTEXT context;
    BG_JOB_STATE state;
    DWORD count;
    HRESULT hr, code;

    if (!make_dir(L"no_ranges", dir, ARRAY_SIZE(dir))) return;
    swprintf(local, ARRAY_SIZE(local), L"%lsno_ranges.bin", dir);
    memset(&options, 0, sizeof(options));
    options.no_ranges = TRUE;
    ok(httpd_add_pattern_resource(httpd, path, size, seed, &options), "cannot add resource.\n");
    httpd_url(httpd, path, url, ARRAY_SIZE(url));

    if ((job = create_job(L"no ranges on demand")))
    {
        if (set_on_demand(job, TRUE) && add_file(job, url, local) && (file6 = get_file6(job)))
        {
            ok(IBackgroundCopyFile6_RequestFileRanges(file6, 1, &range) == S_OK, "RequestFileRanges failed.\n");
            if (resume(job))
            {
                state = wait_state(job, STATE_BIT(BG_JOB_STATE_ERROR), FAILURE_TIMEOUT, FALSE);
                ok(state == BG_JOB_STATE_ERROR, "got state %s.\n", state_name(state));
                ok(get_job_error(job, &context, &code), "no error.\n");
                ok(code == BG_E_RANDOM_ACCESS_NOT_SUPPORTED, "got error %#lx.\n", code);
                ok(context == BG_ERROR_CONTEXT_REMOTE_FILE, "got context %u.\n", context);
                hr = IBackgroundCopyFile6_RequestFileRanges(file6, 1, &range);
                ok(hr == BG_E_RANDOM_ACCESS_NOT_SUPPORTED, "RequestFileRanges returned %#lx.\n", hr);
                hr = IBackgroundCopyFile6_GetFilledFileRanges(file6, &count, &ranges);
                ok(hr == BG_E_RANDOM_ACCESS_NOT_SUPPORTED, "GetFilledFileRanges returned %#lx.\n", hr);

                /* That was the server's doing: another one is asked again. */
                ok(httpd_add_pattern_resource(httpd, "/random/with_ranges.bin", size, seed, NULL),
                   "cannot add resource.\n");
                hr = IBackgroundCopyFile6_SetRemoteName(file6, httpd_url(httpd, "/random/with_ranges.bin", url,
                                                                        ARRAY_SIZE(url)));
                ok(hr == S_OK, "SetRemoteName failed: %#lx.\n", hr);
                hr = IBackgroundCopyFile6_RequestFileRanges(file6, 1, &range);
                ok(hr == S_OK, "RequestFileRanges after SetRemoteName returned %#lx.\n", hr);
                if (hr == S_OK && resume(job))
                {
                    state = wait_state(job, STATE_BIT(BG_JOB_STATE_SUSPENDED), TRANSFER_TIMEOUT, FALSE);
                    ok(state == BG_JOB_STATE_SUSPENDED, "got state %s.\n", state_name(state));
                    check_filled(file6, &range, 1);
                }
                httpd_url(httpd, path, url, ARRAY_SIZE(url));
            }
            IBackgroundCopyFile6_Release(file6);
        }
        finish_job(job);
    }

    if ((job = create_job(L"no ranges")))
    {
        if (add_file(job, url, local) && (file6 = get_file6(job)))
        {
            ok(IBackgroundCopyFile6_RequestFileRanges(file6, 1, &range) == S_OK, "RequestFileRanges failed.\n");
            if (resume(job))
            {
                state = wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSFERRED), TRANSFER_TIMEOUT, FALSE);
                ok(state == BG_JOB_STATE_TRANSFERRED, "got state %s.\n", state_name(state));
                if (state == BG_JOB_STATE_TRANSFERRED)
                {
                    ok(IBackgroundCopyJob_Complete(job) == S_OK, "Complete failed.\n");
                    check_pattern_file(local, seed, size);
                }
            }
            IBackgroundCopyFile6_Release(file6);
        }
        finish_job(job);
    }
    DeleteFileW(local);
}

/* Redirect policies hold for on-demand files too (behavior.md 11.3):
 * DISALLOW fails the job with the redirect's status as a Win32 code and names
 * its target; ALLOW_REPORT names the URL the bytes came from. */
static void test_on_demand_redirects(void)
{
    static const char target_path[] = "/random/redirect-target.bin";
    static const ULONG policies[] = { BG_HTTP_REDIRECT_POLICY_DISALLOW, BG_HTTP_REDIRECT_POLICY_ALLOW_REPORT };
    static const unsigned int seed = 4343;
    static const ULONGLONG size = 30000;
    BG_FILE_RANGE rest = { 0, BG_LENGTH_TO_EOF };
    WCHAR dir[MAX_PATH], local[MAX_PATH], url[256], target_url[256], *name;
    char from_path[64], target_url_a[256];
    IBackgroundCopyFile6 *file6;
    IBackgroundCopyJob *job;
    BG_ERROR_CONTEXT context;
    unsigned int i, start;
    BG_JOB_STATE state;
    HRESULT hr, code;

    if (!make_dir(L"on_demand_redirect", dir, ARRAY_SIZE(dir))) return;
    ok(httpd_add_pattern_resource(httpd, target_path, size, seed, NULL), "cannot add resource.\n");
    httpd_url(httpd, target_path, target_url, ARRAY_SIZE(target_url));
    httpd_url_a(httpd, target_path, target_url_a, sizeof(target_url_a));
    for (i = 0; i < ARRAY_SIZE(policies); i++)
    {
        winetest_push_context("policy %#lx", policies[i]);
        file6 = NULL;
        sprintf(from_path, "/random/redirect-from-%u.bin", i);
        ok(httpd_add_redirect(httpd, from_path, 302, target_url_a), "cannot add redirect.\n");
        httpd_url(httpd, from_path, url, ARRAY_SIZE(url));
        swprintf(local, ARRAY_SIZE(local), L"%lsredirect-%u.bin", dir, i);
        if (!(job = create_job(L"on demand redirect"))) goto next;
        set_retry_delay(job, 60);
        if (!set_security_flags(job, policies[i])) goto next;
        if (!set_on_demand(job, TRUE) || !add_file(job, url, local) || !(file6 = get_file6(job))) goto next;
        hr = IBackgroundCopyFile6_RequestFileRanges(file6, 1, &rest);
        ok(hr == S_OK, "RequestFileRanges failed: %#lx.\n", hr);
        start = httpd_log_count(httpd);
        if (!resume(job)) goto next;

        if (policies[i] == BG_HTTP_REDIRECT_POLICY_DISALLOW)
        {
            state = wait_state(job, STATE_BIT(BG_JOB_STATE_ERROR), FAILURE_TIMEOUT, FALSE);
            ok(state == BG_JOB_STATE_ERROR, "got state %s.\n", state_name(state));
            if (get_job_error(job, &context, &code))
                ok(code == HRESULT_FROM_WIN32(HTTP_STATUS_REDIRECT), "got code %#lx.\n", code);
            ok(httpd_log_find(httpd, NULL, target_path, start, NULL) < 0, "the redirect was followed.\n");
        }
        else
        {
            state = wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSFERRED), TRANSFER_TIMEOUT, FALSE);
            ok(state == BG_JOB_STATE_TRANSFERRED, "got state %s.\n", state_name(state));
        }
        /* Either way the file now names the target. */
        name = NULL;
        hr = IBackgroundCopyFile6_GetRemoteName(file6, &name);
        ok(hr == S_OK, "GetRemoteName failed: %#lx.\n", hr);
        ok(name && !wcscmp(name, target_url), "remote name %s.\n", wine_dbgstr_w(name));
        CoTaskMemFree(name);
        if (state == BG_JOB_STATE_TRANSFERRED)
        {
            hr = IBackgroundCopyJob_Complete(job);
            ok(hr == S_OK, "Complete failed: %#lx.\n", hr);
            check_pattern_file(local, seed, size);
        }
next:
        if (file6) IBackgroundCopyFile6_Release(file6);
        finish_job(job);
        winetest_pop_context();
    }
}

START_TEST(random_access)
{
    DWORD start = GetTickCount();

    /* FileRangesTransferred comes on an RPC thread, not through a message loop. */
    CoInitializeEx(NULL, COINIT_MULTITHREADED);
    if (!begin_transfer_tests(L"random_access")) return;
    test_rules();
    test_on_demand();
    test_on_demand_changed();
    test_on_demand_validator_kind();
    test_requested_first();
    test_no_range_support();
    test_on_demand_redirects();
    end_transfer_tests("random_access", start);
}
