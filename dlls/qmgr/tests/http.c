/*
 * Conformance tests of how BITS download jobs use HTTP: custom request
 * headers, changed remote files, authentication, redirects, proxies,
 * response headers, broken servers, dynamic content and custom verbs
 * (loopback HTTP server of httpd.c)
 *
 * Copyright 2026 the qmgr-for-wine authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Lesser General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * This library is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU
 * Lesser General Public License for more details.
 *
 * You should have received a copy of the GNU Lesser General Public
 * License along with this library; if not, write to the Free Software
 * Foundation, Inc., 51 Franklin St, Fifth Floor, Boston, MA 02110-1301, USA
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
#include "winnls.h"
#include "winhttp.h"
#include "objbase.h"
#include "bits10_3.h"

#include "wine/test.h"
#include "httpd.h"
#include "ntlm_server.h"
#include "transfer_util.h"


/* Bounds of the waits.  Transfers are over loopback and take well under a
 * second; the bounds only keep a broken service from hanging the test. */
#define GARBAGE_TIMEOUT   10000   /* a broken server: the job must settle by then */


/* A host name that no resolver knows (RFC 6761): only a proxy can serve it. */
#define PROXY_HOST        "qmgr-proxy.invalid"
#define PROXY_HOST_W      L"qmgr-proxy.invalid"



static void make_name(WCHAR *buf, size_t len, const WCHAR *tag)
{
    static LONG counter;

    swprintf(buf, len, L"qmgr_test http %ls %lu-%lu-%ld", tag, GetCurrentProcessId(),
             GetTickCount(), InterlockedIncrement(&counter));
}

static BG_JOB_STATE get_state(IBackgroundCopyJob *job)
{
    BG_JOB_STATE state = 0xdead;
    HRESULT hr;

    hr = IBackgroundCopyJob_GetState(job, &state);
    ok(hr == S_OK, "GetState failed: %#lx.\n", hr);
    return state;
}

/* The job's error code; fails the test if there is no error object. */
#define job_error_code(a) job_error_code_(__LINE__, a)
static HRESULT job_error_code_(int line, IBackgroundCopyJob *job)
{
    BG_ERROR_CONTEXT context;
    HRESULT code;
    BOOL ret;

    ret = get_job_error(job, &context, &code);
    ok_(__FILE__, line)(ret, "GetError failed.\n");
    if (!ret) return S_OK;
    trace_(__FILE__, line)("job error: context %u, code %#lx.\n", context, code);
    return code;
}

/* Polls the state until it is one of accept or timeout ms have passed;
 * reports nothing.  For waits whose outcome depends on undocumented timing. */
static BG_JOB_STATE poll_state(IBackgroundCopyJob *job, DWORD accept, DWORD timeout)
{
    DWORD start = GetTickCount();
    BG_JOB_STATE state;

    for (;;)
    {
        state = get_state(job);
        if (state <= BG_JOB_STATE_CANCELLED && (accept & STATE_BIT(state))) return state;
        if (GetTickCount() - start >= timeout) return state;
        Sleep(25);
    }
}

/* Polls until the job is in ERROR or TRANSFERRED.  Whenever it is in
 * TRANSIENT_ERROR it is resumed at once (Resume retries without the retry
 * delay), at most max_resumes times; after that a TRANSIENT_ERROR is
 * returned as it is.  The job must not stay active longer than timeout ms
 * (bad input never makes it hang). */
#define drive_job(a, b, c) drive_job_(__LINE__, a, b, c)
static BG_JOB_STATE drive_job_(int line, IBackgroundCopyJob *job, DWORD timeout, unsigned int max_resumes)
{
    DWORD start = GetTickCount(), limit = wait_limit(timeout);
    unsigned int resumes = 0;
    BG_JOB_STATE state;
    HRESULT hr;

    for (;;)
    {
        state = get_state(job);
        if (state == BG_JOB_STATE_ERROR || state == BG_JOB_STATE_TRANSFERRED) return state;
        if (state == BG_JOB_STATE_TRANSIENT_ERROR)
        {
            trace_job(line, job, state);
            if (resumes >= max_resumes) return state;
            resumes++;
            hr = IBackgroundCopyJob_Resume(job);
            ok_(__FILE__, line)(hr == S_OK, "Resume failed: %#lx.\n", hr);
            if (FAILED(hr)) return state;
            Sleep(50);
            continue;
        }
        if (state != BG_JOB_STATE_QUEUED && state != BG_JOB_STATE_CONNECTING
            && state != BG_JOB_STATE_TRANSFERRING)
        {
            ok_(__FILE__, line)(0, "job reached state %s (%u).\n", state_name(state), state);
            return state;
        }
        if (GetTickCount() - start >= limit)
        {
            lost_ms += limit;
            ok_(__FILE__, line)(0, "the job is still %s after %lu ms (%u resumes).\n",
                                state_name(state), limit, resumes);
            trace_job(line, job, state);
            return state;
        }
        Sleep(25);
    }
}

/* Waits until the job has transferred at least min_bytes bytes; the job must stay active. */
#define wait_progress(a, b) wait_progress_(__LINE__, a, b)
static BOOL wait_progress_(int line, IBackgroundCopyJob *job, UINT64 min_bytes)
{
    DWORD start = GetTickCount(), limit = wait_limit(TRANSFER_TIMEOUT);
    BG_JOB_PROGRESS progress;
    BG_JOB_STATE state = 0xdead;
    HRESULT hr;

    for (;;)
    {
        memset(&progress, 0, sizeof(progress));
        hr = IBackgroundCopyJob_GetProgress(job, &progress);
        ok_(__FILE__, line)(hr == S_OK, "GetProgress failed: %#lx.\n", hr);
        if (FAILED(hr)) return FALSE;
        if (progress.BytesTransferred != BG_SIZE_UNKNOWN && progress.BytesTransferred >= min_bytes)
            return TRUE;
        hr = IBackgroundCopyJob_GetState(job, &state);
        ok_(__FILE__, line)(hr == S_OK, "GetState failed: %#lx.\n", hr);
        if (FAILED(hr)) return FALSE;
        if (state != BG_JOB_STATE_QUEUED && state != BG_JOB_STATE_CONNECTING
            && state != BG_JOB_STATE_TRANSFERRING)
        {
            ok_(__FILE__, line)(0, "job reached state %s (%u) while waiting for progress.\n",
                                state_name(state), state);
            trace_job(line, job, state);
            return FALSE;
        }
        if (GetTickCount() - start >= limit)
        {
            lost_ms += limit;
            ok_(__FILE__, line)(0, "timed out after %lu ms waiting for %s bytes; state %s.\n",
                                limit, wine_dbgstr_longlong(min_bytes), state_name(state));
            trace_job(line, job, state);
            return FALSE;
        }
        Sleep(25);
    }
}

/* ---- files and directories ---------------------------------------------- */

/* The file's last-write time is the given server time (spec 7.4). */
#define check_file_time(a, b) check_file_time_(__LINE__, a, b)
static void check_file_time_(int line, const WCHAR *path, const SYSTEMTIME *st)
{
    WIN32_FILE_ATTRIBUTE_DATA data;
    FILETIME expected;
    BOOL ret;

    SystemTimeToFileTime(st, &expected);
    ret = GetFileAttributesExW(path, GetFileExInfoStandard, &data);
    ok_(__FILE__, line)(ret, "GetFileAttributesEx(%s) failed: %lu.\n", wine_dbgstr_w(path), GetLastError());
    if (!ret) return;
    ok_(__FILE__, line)(!CompareFileTime(&data.ftLastWriteTime, &expected),
                        "last-write time %#lx:%08lx, expected %#lx:%08lx.\n",
                        data.ftLastWriteTime.dwHighDateTime, data.ftLastWriteTime.dwLowDateTime,
                        expected.dwHighDateTime, expected.dwLowDateTime);
}

/* ---- job and file helpers ----------------------------------------------- */

/* GetRemoteName of the job's first file, compared with expected. */
#define check_remote_name(a, b) check_remote_name_(__LINE__, a, b)
static void check_remote_name_(int line, IBackgroundCopyJob *job, const WCHAR *expected)
{
    IBackgroundCopyFile *file;
    WCHAR *name = NULL;
    HRESULT hr;

    if (!(file = get_file(job, 0))) return;
    hr = IBackgroundCopyFile_GetRemoteName(file, &name);
    ok_(__FILE__, line)(hr == S_OK, "GetRemoteName failed: %#lx.\n", hr);
    ok_(__FILE__, line)(name && !wcscmp(name, expected), "got remote name %s, expected %s.\n",
                        wine_dbgstr_w(name), wine_dbgstr_w(expected));
    CoTaskMemFree(name);
    IBackgroundCopyFile_Release(file);
}

/* Waits for TRANSFERRED, completes the job and checks the destination
 * holds exactly size bytes of the pattern seed. */
#define transfer_and_check(a, b, c, d) transfer_and_check_(__LINE__, a, b, c, d)
static BOOL transfer_and_check_(int line, IBackgroundCopyJob *job, const WCHAR *local, unsigned int seed,
                                ULONGLONG size)
{
    HRESULT hr;

    if (wait_state_(line, job, STATE_BIT(BG_JOB_STATE_TRANSFERRED), TRANSFER_TIMEOUT, FALSE)
        != BG_JOB_STATE_TRANSFERRED)
        return FALSE;
    check_job_progress_(line, job, size, size, 1, 1);
    hr = IBackgroundCopyJob_Complete(job);
    ok_(__FILE__, line)(hr == S_OK, "Complete failed: %#lx.\n", hr);
    check_state_(line, job, BG_JOB_STATE_ACKNOWLEDGED);
    check_pattern_file_(line, local, seed, size);
    return TRUE;
}

/* Cancels the job and checks that neither the destination nor a temporary
 * file remains in dir (temporary files live there, spec 7.3). */
#define cancel_and_check_clean(a, b, c) cancel_and_check_clean_(__LINE__, a, b, c)
static void cancel_and_check_clean_(int line, IBackgroundCopyJob *job, const WCHAR *dir, const WCHAR *local)
{
    HRESULT hr;

    hr = IBackgroundCopyJob_Cancel(job);
    ok_(__FILE__, line)(hr == S_OK, "Cancel failed: %#lx.\n", hr);
    check_state_(line, job, BG_JOB_STATE_CANCELLED);
    check_no_file_(line, local);
    check_dir_count_(line, dir, 0);
}

/* A loopback port on which nobody listens (bound, then closed again). */
static unsigned short closed_port(void)
{
    struct sockaddr_in addr;
    int len = sizeof(addr);
    unsigned short port = 0;
    SOCKET s;

    s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    ok(s != INVALID_SOCKET, "socket failed: %d.\n", WSAGetLastError());
    if (s == INVALID_SOCKET) return 0;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (!bind(s, (struct sockaddr *)&addr, sizeof(addr)) && !getsockname(s, (struct sockaddr *)&addr, &len))
        port = ntohs(addr.sin_port);
    else
        ok(0, "bind/getsockname failed: %d.\n", WSAGetLastError());
    closesocket(s);
    return port;
}

/* Case-insensitive wcsstr. */
static const WCHAR *wcsistr(const WCHAR *str, const WCHAR *sub)
{
    size_t len = wcslen(sub);

    for (; *str; str++) if (!_wcsnicmp(str, sub, len)) return str;
    return NULL;
}

/* ---- tests -------------------------------------------------------------- */

/* SetCustomHeaders: the headers go with every request of the transfer
 * (spec 11.5); SetCustomHeaders(NULL) removes them. */
static void test_custom_headers(void)
{
    static const ULONGLONG size = 100003;
    static const char path1[] = "/http/headers.bin", path2[] = "/http/no-headers.bin";
    IBackgroundCopyJobHttpOptions *options;
    struct httpd_log_entry entry;
    WCHAR dir[MAX_PATH], local[MAX_PATH], url[256];
    IBackgroundCopyJob *job;
    unsigned int requests, gets;
    char value[256];
    int index;
    HRESULT hr;

    if (!make_dir(L"headers", dir, ARRAY_SIZE(dir))) return;
    ok(httpd_add_pattern_resource(httpd, path1, size, 1001, NULL), "cannot add resource.\n");
    ok(httpd_add_pattern_resource(httpd, path2, size, 1002, NULL), "cannot add resource.\n");

    /* Two header lines, both sent. */
    swprintf(local, ARRAY_SIZE(local), L"%lswith.bin", dir);
    httpd_url(httpd, path1, url, ARRAY_SIZE(url));
    if (!(job = create_job(L"headers"))) return;
    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJobHttpOptions, (void **)&options);
    ok(hr == S_OK, "QueryInterface(IBackgroundCopyJobHttpOptions) failed: %#lx.\n", hr);
    if (FAILED(hr)) goto done;
    hr = IBackgroundCopyJobHttpOptions_SetCustomHeaders(options, L"X-Qmgr-Test: 42\r\nX-Qmgr-Other: abc\r\n");
    ok(hr == S_OK, "SetCustomHeaders failed: %#lx.\n", hr);
    IBackgroundCopyJobHttpOptions_Release(options);
    if (!add_file(job, url, local) || !resume(job)) goto done;
    if (transfer_and_check(job, local, 1001, size))
    {
        requests = gets = 0;
        index = -1;
        while ((index = httpd_log_find(httpd, NULL, path1, index + 1, &entry)) >= 0)
        {
            winetest_push_context("%s #%u", entry.method, requests);
            requests++;
            if (!strcmp(entry.method, "GET")) gets++;
            value[0] = 0;
            ok(httpd_log_header(&entry, "X-Qmgr-Test", value, sizeof(value)), "no X-Qmgr-Test header.\n");
            ok(!strcmp(value, "42"), "got X-Qmgr-Test %s.\n", debugstr_a(value));
            value[0] = 0;
            ok(httpd_log_header(&entry, "X-Qmgr-Other", value, sizeof(value)), "no X-Qmgr-Other header.\n");
            ok(!strcmp(value, "abc"), "got X-Qmgr-Other %s.\n", debugstr_a(value));
            winetest_pop_context();
        }
        ok(gets >= 1, "the server got no GET for %s.\n", path1);
    }
    finish_job(job);

    /* Set, then removed before the transfer: not sent. */
    swprintf(local, ARRAY_SIZE(local), L"%lswithout.bin", dir);
    httpd_url(httpd, path2, url, ARRAY_SIZE(url));
    if (!(job = create_job(L"no-headers"))) return;
    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJobHttpOptions, (void **)&options);
    ok(hr == S_OK, "QueryInterface(IBackgroundCopyJobHttpOptions) failed: %#lx.\n", hr);
    if (FAILED(hr)) goto done;
    hr = IBackgroundCopyJobHttpOptions_SetCustomHeaders(options, L"X-Qmgr-Test: 42\r\n");
    ok(hr == S_OK, "SetCustomHeaders failed: %#lx.\n", hr);
    hr = IBackgroundCopyJobHttpOptions_SetCustomHeaders(options, NULL);
    ok(hr == S_OK, "SetCustomHeaders(NULL) failed: %#lx.\n", hr);
    IBackgroundCopyJobHttpOptions_Release(options);
    if (!add_file(job, url, local) || !resume(job)) goto done;
    if (transfer_and_check(job, local, 1002, size))
    {
        gets = 0;
        index = -1;
        while ((index = httpd_log_find(httpd, NULL, path2, index + 1, &entry)) >= 0)
        {
            if (!strcmp(entry.method, "GET")) gets++;
            ok(!httpd_log_header(&entry, "X-Qmgr-Test", NULL, 0), "%s request has an X-Qmgr-Test header.\n",
               entry.method);
        }
        ok(gets >= 1, "the server got no GET for %s.\n", path2);
    }
done:
    finish_job(job);
}

/* The remote file changes (same size, new ETag and Last-Modified) while
 * the job is suspended with part of the old version: progress resets and
 * the job delivers the whole new version (spec 7.7, 8.2).  A server that
 * honours If-Range sends all of it; one that ignores If-Range sends the
 * rest of the new version, which its validator (the ETag, else the date)
 * shows to be another version, so the job fetches it all again. */
static void test_changed_while_suspended(void)
{
    static const SYSTEMTIME new_time = { 2024, 1, 2, 2, 0, 0, 0, 0 };
    static const struct
    {
        const char *tag;
        enum httpd_precondition_mode precondition;
        BOOL etag;
    }
    cases[] =
    {
        { "honoured", HTTPD_PRECONDITION_FULL_BODY, TRUE },
        { "ignored", HTTPD_PRECONDITION_IGNORE, TRUE },
        { "ignored-date", HTTPD_PRECONDITION_IGNORE, FALSE },
    };
    static const unsigned int old_seed = 1101, new_seed = 1102;
    struct httpd_resource_options options;
    WCHAR dir[MAX_PATH], local[MAX_PATH], url[256], name[64];
    BG_JOB_PROGRESS progress;
    IBackgroundCopyJob *job;
    char path[64];
    unsigned int i;
    HRESULT hr;

    for (i = 0; i < ARRAY_SIZE(cases); i++)
    {
        winetest_push_context("%s", cases[i].tag);
        sprintf(path, "/http/changed-suspended-%s.bin", cases[i].tag);
        swprintf(name, ARRAY_SIZE(name), L"changed-suspended-%hs", cases[i].tag);
        if (!make_dir(name, dir, ARRAY_SIZE(dir))) goto next;
        swprintf(local, ARRAY_SIZE(local), L"%lschanged.bin", dir);
        memset(&options, 0, sizeof(options));
        options.etag = cases[i].etag ? "\"v1\"" : NULL;
        options.last_modified = HTTPD_DEFAULT_LAST_MODIFIED;
        options.slow_delay_ms = SLOW_DELAY_MS;
        options.slow_chunk = SLOW_CHUNK;
        ok(httpd_add_pattern_resource(httpd, path, SLOW_SIZE, old_seed, &options), "cannot add resource.\n");
        httpd_url(httpd, path, url, ARRAY_SIZE(url));

        if (!(job = create_job(name))) goto next;
        if (!add_file(job, url, local) || !resume(job)) goto done;
        if (!wait_progress(job, 2 * SLOW_CHUNK)) goto done;
        hr = IBackgroundCopyJob_Suspend(job);
        ok(hr == S_OK, "Suspend failed: %#lx.\n", hr);
        check_state(job, BG_JOB_STATE_SUSPENDED);
        memset(&progress, 0, sizeof(progress));
        hr = IBackgroundCopyJob_GetProgress(job, &progress);
        ok(hr == S_OK, "GetProgress failed: %#lx.\n", hr);
        ok(progress.BytesTransferred > 0 && progress.BytesTransferred < SLOW_SIZE,
           "got BytesTransferred %s.\n", wine_dbgstr_longlong(progress.BytesTransferred));

        /* A new version at full speed. */
        memset(&options, 0, sizeof(options));
        options.etag = cases[i].etag ? "\"v2\"" : NULL;
        options.last_modified = "Tue, 02 Jan 2024 00:00:00 GMT";
        options.precondition = cases[i].precondition;
        ok(httpd_add_pattern_resource(httpd, path, SLOW_SIZE, new_seed, &options), "cannot replace resource.\n");
        if (!resume(job)) goto done;
        if (!transfer_and_check(job, local, new_seed, SLOW_SIZE)) goto done;
        check_file_time(local, &new_time);
        check_dir_count(dir, 1);
done:
        finish_job(job);
next:
        winetest_pop_context();
    }
}

/* A server that sends no validators at all: a new version of another size
 * must not be spliced onto the bytes of the old one (spec 7.7: consistency is
 * by size and time stamp). */
static void test_changed_without_validators(void)
{
    static const char path[] = "/http/changed-novalidator.bin";
    static const unsigned int old_seed = 1301, new_seed = 1302;
    static const ULONGLONG new_size = SLOW_SIZE + 4099;
    struct httpd_resource_options options;
    WCHAR dir[MAX_PATH], local[MAX_PATH], url[256];
    IBackgroundCopyJob *job;
    HRESULT hr;

    if (!make_dir(L"changed-novalidator", dir, ARRAY_SIZE(dir))) return;
    swprintf(local, ARRAY_SIZE(local), L"%lschanged.bin", dir);
    memset(&options, 0, sizeof(options));
    options.no_last_modified = TRUE;
    options.slow_delay_ms = SLOW_DELAY_MS;
    options.slow_chunk = SLOW_CHUNK;
    ok(httpd_add_pattern_resource(httpd, path, SLOW_SIZE, old_seed, &options), "cannot add resource.\n");
    httpd_url(httpd, path, url, ARRAY_SIZE(url));

    if (!(job = create_job(L"changed-novalidator"))) return;
    if (!add_file(job, url, local) || !resume(job)) goto done;
    if (!wait_progress(job, 2 * SLOW_CHUNK)) goto done;
    hr = IBackgroundCopyJob_Suspend(job);
    ok(hr == S_OK, "Suspend failed: %#lx.\n", hr);
    check_state(job, BG_JOB_STATE_SUSPENDED);

    /* A new version of another size, still without validators. */
    memset(&options, 0, sizeof(options));
    options.no_last_modified = TRUE;
    ok(httpd_add_pattern_resource(httpd, path, new_size, new_seed, &options), "cannot replace resource.\n");
    if (!resume(job)) goto done;
    if (!transfer_and_check(job, local, new_seed, new_size)) goto done;
    check_dir_count(dir, 1);
done:
    finish_job(job);
}

/* The same with a new version shorter than the bytes on disk: the server has
 * nothing at the resume offset (416), so the file changed and starts again. */
static void test_shrunk_without_validators(void)
{
    static const char path[] = "/http/shrunk-novalidator.bin";
    static const unsigned int old_seed = 1311, new_seed = 1312;
    static const ULONGLONG new_size = 1000;
    struct httpd_resource_options options;
    WCHAR dir[MAX_PATH], local[MAX_PATH], url[256];
    BG_JOB_PROGRESS progress;
    IBackgroundCopyJob *job;
    HRESULT hr;

    if (!make_dir(L"shrunk-novalidator", dir, ARRAY_SIZE(dir))) return;
    swprintf(local, ARRAY_SIZE(local), L"%lsshrunk.bin", dir);
    memset(&options, 0, sizeof(options));
    options.no_last_modified = TRUE;
    options.slow_delay_ms = SLOW_DELAY_MS;
    options.slow_chunk = SLOW_CHUNK;
    ok(httpd_add_pattern_resource(httpd, path, SLOW_SIZE, old_seed, &options), "cannot add resource.\n");
    httpd_url(httpd, path, url, ARRAY_SIZE(url));

    if (!(job = create_job(L"shrunk-novalidator"))) return;
    if (!add_file(job, url, local) || !resume(job)) goto done;
    if (!wait_progress(job, 2 * SLOW_CHUNK)) goto done;
    hr = IBackgroundCopyJob_Suspend(job);
    ok(hr == S_OK, "Suspend failed: %#lx.\n", hr);
    memset(&progress, 0, sizeof(progress));
    hr = IBackgroundCopyJob_GetProgress(job, &progress);
    ok(hr == S_OK && progress.BytesTransferred > new_size, "got %#lx, BytesTransferred %s.\n", hr,
       wine_dbgstr_longlong(progress.BytesTransferred));

    memset(&options, 0, sizeof(options));
    options.no_last_modified = TRUE;
    ok(httpd_add_pattern_resource(httpd, path, new_size, new_seed, &options), "cannot replace resource.\n");
    if (!resume(job)) goto done;
    if (!transfer_and_check(job, local, new_seed, new_size)) goto done;
    check_dir_count(dir, 1);
done:
    finish_job(job);
}

/* The remote file changes (size, ETag and Last-Modified) after the
 * connection broke in the middle of the old version. */
static void test_changed_after_drop(void)
{
    static const char path[] = "/http/changed-dropped.bin";
    static const unsigned int old_seed = 1201, new_seed = 1202;
    static const ULONGLONG old_size = 300007, new_size = 350011;
    struct httpd_resource_options options;
    struct httpd_log_entry entry;
    WCHAR dir[MAX_PATH], local[MAX_PATH], url[256];
    IBackgroundCopyJob *job;
    BG_JOB_STATE state;
    BOOL dropped = FALSE;
    int index;

    if (!make_dir(L"changed-dropped", dir, ARRAY_SIZE(dir))) return;
    swprintf(local, ARRAY_SIZE(local), L"%lschanged.bin", dir);
    /* Every response of the old version breaks off after 30000 bytes, and
     * the old version comes at 20 KiB/s: it cannot be complete within the
     * few seconds this test waits, however BITS retries. */
    memset(&options, 0, sizeof(options));
    options.etag = "\"d1\"";
    options.last_modified = HTTPD_DEFAULT_LAST_MODIFIED;
    options.drop_count = -1;
    options.drop_after = 30000;
    options.drop_reset = TRUE;
    options.slow_delay_ms = 100;
    options.slow_chunk = 2048;
    ok(httpd_add_pattern_resource(httpd, path, old_size, old_seed, &options), "cannot add resource.\n");
    httpd_url(httpd, path, url, ARRAY_SIZE(url));

    if (!(job = create_job(L"changed-dropped"))) return;
    /* After the break the job waits in TRANSIENT_ERROR (unless BITS retries
     * within the attempt), and a Resume below retries at once. */
    set_retry_delay(job, 60);
    if (!add_file(job, url, local) || !resume(job)) goto done;
    state = poll_state(job, STATE_BIT(BG_JOB_STATE_TRANSIENT_ERROR) | STATE_BIT(BG_JOB_STATE_ERROR)
                       | STATE_BIT(BG_JOB_STATE_TRANSFERRED), 6000);
    trace("after the break: state %s.\n", state_name(state));
    trace_job(__LINE__, job, state);
    ok(state != BG_JOB_STATE_TRANSFERRED, "the old version was transferred.\n");
    index = -1;
    while ((index = httpd_log_find(httpd, "GET", path, index + 1, &entry)) >= 0)
        if (entry.dropped) dropped = TRUE;
    ok(dropped, "no response of the old version was dropped.\n");

    memset(&options, 0, sizeof(options));
    options.etag = "\"d2\"";
    options.last_modified = "Wed, 03 Jan 2024 00:00:00 GMT";
    options.precondition = HTTPD_PRECONDITION_FULL_BODY;
    ok(httpd_add_pattern_resource(httpd, path, new_size, new_seed, &options), "cannot replace resource.\n");
    /* Resume retries at once; an active job stays as it is. */
    if (!resume(job)) goto done;
    state = drive_job(job, TRANSFER_TIMEOUT, 3);
    ok(state == BG_JOB_STATE_TRANSFERRED, "got state %s.\n", state_name(state));
    if (state != BG_JOB_STATE_TRANSFERRED) goto done;
    transfer_and_check(job, local, new_seed, new_size);
    check_dir_count(dir, 1);
done:
    finish_job(job);
}

/* A file moved with SetRemoteName to a mirror that has the same version (its
 * size and date; an ETag of its own) goes on where it stopped (spec 7.2, 7.7):
 * a Range request to the mirror, answered 206. */
static void test_mirror_resume(void)
{
    static const unsigned int seed = 1121;
    static const char path_a[] = "/http/mirror-a/file.bin", path_b[] = "/http/mirror-b/file.bin";
    struct httpd_resource_options options;
    struct httpd_log_entry entry;
    WCHAR dir[MAX_PATH], local[MAX_PATH], url_a[256], url_b[256];
    IBackgroundCopyFile2 *file2;
    IBackgroundCopyFile *file;
    IBackgroundCopyJob *job;
    char range[64];
    unsigned int start;
    int index;
    HRESULT hr;

    if (!make_dir(L"mirror", dir, ARRAY_SIZE(dir))) return;
    swprintf(local, ARRAY_SIZE(local), L"%lsmirror.bin", dir);
    memset(&options, 0, sizeof(options));
    options.etag = "\"mirror-a\"";
    options.slow_delay_ms = SLOW_DELAY_MS;
    options.slow_chunk = SLOW_CHUNK;
    ok(httpd_add_pattern_resource(httpd, path_a, SLOW_SIZE, seed, &options), "cannot add resource.\n");
    memset(&options, 0, sizeof(options));
    options.etag = "\"mirror-b\"";
    ok(httpd_add_pattern_resource(httpd, path_b, SLOW_SIZE, seed, &options), "cannot add resource.\n");
    httpd_url(httpd, path_a, url_a, ARRAY_SIZE(url_a));
    httpd_url(httpd, path_b, url_b, ARRAY_SIZE(url_b));

    if (!(job = create_job(L"mirror"))) return;
    if (!add_file(job, url_a, local) || !resume(job) || !wait_progress(job, 2 * SLOW_CHUNK)) goto done;
    hr = IBackgroundCopyJob_Suspend(job);
    ok(hr == S_OK, "Suspend failed: %#lx.\n", hr);
    if (!(file = get_file(job, 0))) goto done;
    hr = IBackgroundCopyFile_QueryInterface(file, &IID_IBackgroundCopyFile2, (void **)&file2);
    ok(hr == S_OK, "QueryInterface(IBackgroundCopyFile2) failed: %#lx.\n", hr);
    IBackgroundCopyFile_Release(file);
    if (FAILED(hr)) goto done;
    hr = IBackgroundCopyFile2_SetRemoteName(file2, url_b);
    ok(hr == S_OK, "SetRemoteName failed: %#lx.\n", hr);
    IBackgroundCopyFile2_Release(file2);
    start = httpd_log_count(httpd);
    if (FAILED(hr) || !resume(job) || !transfer_and_check(job, local, seed, SLOW_SIZE)) goto done;
    index = httpd_log_find(httpd, "GET", path_b, start, &entry);
    ok(index >= 0, "the mirror got no GET.\n");
    if (index >= 0)
    {
        range[0] = 0;
        httpd_log_header(&entry, "Range", range, sizeof(range));
        ok(entry.status == 206 && !strncmp(range, "bytes=", 6) && strcmp(range, "bytes=0-"),
           "the mirror answered %d to Range %s.\n", entry.status, debugstr_a(range));
    }
done:
    finish_job(job);
}

/* Basic or Digest authentication with SetCredentials; missing and wrong
 * credentials are fatal 401 errors (spec 11.6).  Digest credentials are
 * answered as Digest (Wine's own BITS turned them into NTLM). */
static void run_server_auth(BG_AUTH_SCHEME scheme)
{
    static const ULONGLONG size = 70001;
    static const unsigned int seed = 1301;
    BOOL digest = scheme == BG_AUTH_SCHEME_DIGEST;
    const char *path = digest ? "/http/auth-digest.bin" : "/http/auth.bin";
    static const struct { const WCHAR *password; const char *tag; } cases[] =
    {
        { NULL, "no credentials" },
        { L"secret", "right password" },
        { L"wrong", "wrong password" },
    };
    struct httpd_resource_options options;
    struct httpd_log_entry entry;
    WCHAR dir[MAX_PATH], local[MAX_PATH], url[256], tag[16];
    BG_AUTH_CREDENTIALS creds;
    IBackgroundCopyJob2 *job2;
    IBackgroundCopyJob *job;
    unsigned int i, start;
    BOOL authorized;
    char value[256];
    int index;
    HRESULT hr;

    memset(&options, 0, sizeof(options));
    if (digest) options.digest_auth = "user:secret";
    else options.basic_auth = "user:secret";
    ok(httpd_add_pattern_resource(httpd, path, size, seed, &options), "cannot add resource.\n");
    httpd_url(httpd, path, url, ARRAY_SIZE(url));

    for (i = 0; i < ARRAY_SIZE(cases); i++)
    {
        winetest_push_context("%s, %s", digest ? "Digest" : "Basic", cases[i].tag);
        job = NULL;
        job2 = NULL;
        swprintf(tag, ARRAY_SIZE(tag), L"auth%u%ls", i, digest ? L"d" : L"");
        if (!make_dir(tag, dir, ARRAY_SIZE(dir))) goto next;
        swprintf(local, ARRAY_SIZE(local), L"%lsauth.bin", dir);
        if (!(job = create_job(L"auth"))) goto next;
        set_retry_delay(job, 60);
        hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob2, (void **)&job2);
        ok(hr == S_OK, "QueryInterface(IBackgroundCopyJob2) failed: %#lx.\n", hr);
        if (FAILED(hr)) goto next;
        if (cases[i].password)
        {
            memset(&creds, 0, sizeof(creds));
            creds.Target = BG_AUTH_TARGET_SERVER;
            creds.Scheme = scheme;
            creds.Credentials.Basic.UserName = (WCHAR *)L"user";
            creds.Credentials.Basic.Password = (WCHAR *)cases[i].password;
            hr = IBackgroundCopyJob2_SetCredentials(job2, &creds);
            ok(hr == S_OK, "SetCredentials failed: %#lx.\n", hr);
        }
        start = httpd_log_count(httpd);
        if (!add_file(job, url, local) || !resume(job)) goto next;

        if (i == 1)
        {
            if (!transfer_and_check(job, local, seed, size)) goto next;
            /* The successful responses answered requests that carried the credentials. */
            authorized = FALSE;
            index = start - 1;
            while ((index = httpd_log_find(httpd, NULL, path, index + 1, &entry)) >= 0)
            {
                if (entry.status < 200 || entry.status > 299) continue;
                value[0] = 0;
                ok(httpd_log_header(&entry, "Authorization", value, sizeof(value)),
                   "%s answered %d without an Authorization header.\n", entry.method, entry.status);
                if (digest)
                    ok(!strncmp(value, "Digest ", 7) && strstr(value, "username=\"user\""),
                       "got Authorization %s.\n", debugstr_a(value));
                else ok(!strcmp(value, "Basic dXNlcjpzZWNyZXQ="), "got Authorization %s.\n", debugstr_a(value));
                if (!strcmp(entry.method, "GET")) authorized = TRUE;
            }
            ok(authorized, "no GET succeeded.\n");
            goto next;
        }

        if (wait_state(job, STATE_BIT(BG_JOB_STATE_ERROR), FAILURE_TIMEOUT, FALSE) != BG_JOB_STATE_ERROR)
            goto next;
        hr = job_error_code(job);
        ok(hr == BG_E_HTTP_ERROR_401, "got code %#lx.\n", hr);
        check_no_file(local);
        ok(httpd_log_find(httpd, NULL, path, start, &entry) >= 0, "the server got no request.\n");

        if (cases[i].password)
        {
            hr = IBackgroundCopyJob2_RemoveCredentials(job2, BG_AUTH_TARGET_SERVER, scheme);
            ok(hr == S_OK, "RemoveCredentials failed: %#lx.\n", hr);
            hr = IBackgroundCopyJob2_RemoveCredentials(job2, BG_AUTH_TARGET_SERVER, scheme);
            ok(hr == S_FALSE, "second RemoveCredentials returned %#lx.\n", hr);
        }
        cancel_and_check_clean(job, dir, local);
next:
        if (job2) IBackgroundCopyJob2_Release(job2);
        finish_job(job);
        winetest_pop_context();
    }
}

/* A Digest answer names the request's target: after a redirect, the new one. */
static void test_digest_after_redirect(void)
{
    static const ULONGLONG size = 30001;
    static const unsigned int seed = 1311;
    static const char target_path[] = "/http/digest-target.bin", from_path[] = "/http/digest-from.bin";
    struct httpd_resource_options options;
    WCHAR dir[MAX_PATH], local[MAX_PATH], url[256];
    BG_AUTH_CREDENTIALS creds;
    IBackgroundCopyJob2 *job2;
    IBackgroundCopyJob *job;
    char target_url[256];
    HRESULT hr;

    memset(&options, 0, sizeof(options));
    options.digest_auth = "user:secret";
    ok(httpd_add_pattern_resource(httpd, target_path, size, seed, &options), "cannot add resource.\n");
    httpd_url_a(httpd, target_path, target_url, sizeof(target_url));
    ok(httpd_add_redirect(httpd, from_path, 302, target_url), "cannot add redirect.\n");
    httpd_url(httpd, from_path, url, ARRAY_SIZE(url));
    if (!make_dir(L"digest-redirect", dir, ARRAY_SIZE(dir))) return;
    swprintf(local, ARRAY_SIZE(local), L"%lsdigest.bin", dir);
    if (!(job = create_job(L"digest-redirect"))) return;
    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob2, (void **)&job2);
    ok(hr == S_OK, "QueryInterface(IBackgroundCopyJob2) failed: %#lx.\n", hr);
    if (SUCCEEDED(hr))
    {
        memset(&creds, 0, sizeof(creds));
        creds.Target = BG_AUTH_TARGET_SERVER;
        creds.Scheme = BG_AUTH_SCHEME_DIGEST;
        creds.Credentials.Basic.UserName = (WCHAR *)L"user";  /* Digest uses the Basic member */
        creds.Credentials.Basic.Password = (WCHAR *)L"secret";
        hr = IBackgroundCopyJob2_SetCredentials(job2, &creds);
        ok(hr == S_OK, "SetCredentials failed: %#lx.\n", hr);
        IBackgroundCopyJob2_Release(job2);
        if (add_file(job, url, local) && resume(job)) transfer_and_check(job, local, seed, size);
    }
    finish_job(job);
}

/* A user name and password in the URL (deprecated, spec 7.2) answer the
 * server's Basic or Digest challenge; the remote name keeps them. */
static void test_credentials_in_url(void)
{
    static const ULONGLONG size = 20011;
    static const unsigned int seed = 1317;
    static const struct { const char *path; BOOL digest; } cases[] =
    {
        { "/http/url-credentials/basic.bin", FALSE },
        { "/http/url-credentials/digest.bin", TRUE },
    };
    struct httpd_resource_options options;
    struct httpd_log_entry entry;
    WCHAR dir[MAX_PATH], local[MAX_PATH], url[256];
    IBackgroundCopyJob *job;
    unsigned int i, start;
    char header[256];
    int index;

    if (!make_dir(L"url-credentials", dir, ARRAY_SIZE(dir))) return;
    for (i = 0; i < ARRAY_SIZE(cases); i++)
    {
        winetest_push_context("%s", cases[i].digest ? "Digest" : "Basic");
        memset(&options, 0, sizeof(options));
        if (cases[i].digest) options.digest_auth = "urluser:urlsecret";
        else options.basic_auth = "urluser:urlsecret";
        ok(httpd_add_pattern_resource(httpd, cases[i].path, size, seed, &options), "cannot add resource.\n");
        swprintf(url, ARRAY_SIZE(url), L"http://urluser:urlsecret@127.0.0.1:%u%hs", httpd_port(httpd), cases[i].path);
        swprintf(local, ARRAY_SIZE(local), L"%lsfile%u.bin", dir, i);
        start = httpd_log_count(httpd);
        if ((job = create_job(L"url-credentials")))
        {
            set_retry_delay(job, 60);
            if (add_file(job, url, local) && resume(job) && transfer_and_check(job, local, seed, size))
            {
                /* The GET the server answered with the file carried the answer. */
                index = start - 1;
                while ((index = httpd_log_find(httpd, "GET", cases[i].path, index + 1, &entry)) >= 0 &&
                       entry.status != 200) ;
                ok(index >= 0, "no GET of %s was answered.\n", cases[i].path);
                header[0] = 0;
                if (index >= 0) httpd_log_header(&entry, "Authorization", header, sizeof(header));
                ok(!strncmp(header, cases[i].digest ? "Digest " : "Basic ", cases[i].digest ? 7 : 6),
                   "the answered GET carried %s.\n", debugstr_a(header));
            }
            finish_job(job);
        }
        winetest_pop_context();
    }
}

static void test_server_auth(void)
{
    run_server_auth(BG_AUTH_SCHEME_BASIC);
    run_server_auth(BG_AUTH_SCHEME_DIGEST);
    test_digest_after_redirect();
    test_credentials_in_url();
}

/* A redirect to a file URL, refused by DISALLOW: the job does not take it as
 * its remote name, which would make the next Resume read a local file (a
 * job never goes from HTTP to SMB, spec 7.2).  The name stays as it was. */
static void test_redirect_to_file_url(void)
{
    static const char path[] = "/http/redirect/to-file.bin";
    IBackgroundCopyJobHttpOptions *options;
    WCHAR dir[MAX_PATH], local[MAX_PATH], url[256];
    IBackgroundCopyJob *job;
    HRESULT hr;

    if (!make_dir(L"redirect-file", dir, ARRAY_SIZE(dir))) return;
    swprintf(local, ARRAY_SIZE(local), L"%lsredirect.bin", dir);
    ok(httpd_add_redirect(httpd, path, 302, "file:///C:/windows/win.ini"), "cannot add redirect.\n");
    httpd_url(httpd, path, url, ARRAY_SIZE(url));
    if (!(job = create_job(L"redirect-file"))) return;
    set_retry_delay(job, 60);
    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJobHttpOptions, (void **)&options);
    ok(hr == S_OK, "QueryInterface(IBackgroundCopyJobHttpOptions) failed: %#lx.\n", hr);
    if (SUCCEEDED(hr))
    {
        hr = IBackgroundCopyJobHttpOptions_SetSecurityFlags(options, BG_HTTP_REDIRECT_POLICY_DISALLOW);
        ok(hr == S_OK, "SetSecurityFlags failed: %#lx.\n", hr);
        IBackgroundCopyJobHttpOptions_Release(options);
    }
    if (SUCCEEDED(hr) && add_file(job, url, local) && resume(job) &&
        wait_state(job, STATE_BIT(BG_JOB_STATE_ERROR), FAILURE_TIMEOUT, FALSE) == BG_JOB_STATE_ERROR)
    {
        hr = job_error_code(job);
        ok(hr == HRESULT_FROM_WIN32(HTTP_STATUS_REDIRECT), "got code %#lx.\n", hr);
        check_remote_name(job, url);
        cancel_and_check_clean(job, dir, local);
    }
    finish_job(job);
}

/* Redirect policies (spec 7.2, 11.3): a redirect from /from-N to the target,
 * each status the policies follow, and redirects no policy may follow. */
static void test_redirects(void)
{
    static const ULONGLONG size = 90001;
    static const unsigned int seed = 1401;
    static const char target_path[] = "/http/redirect/target.bin";
    /* The Location as an absolute URL, an absolute path or a path relative to
     * the redirecting URL's (the remote name a policy stores is absolute); a
     * URL of another scheme, which no policy follows (a job never goes from
     * HTTP to SMB or a local file); the redirecting URL itself, for ever; a URL
     * AddFile refuses (a '*'), which ALLOW_REPORT does not take as the remote
     * name, so that the job's record loads again. */
    enum location_form
    {
        LOCATION_ABSOLUTE, LOCATION_PATH, LOCATION_RELATIVE, LOCATION_FILE, LOCATION_SELF, LOCATION_UNUSABLE
    };
    static const struct { ULONG flags; int status; const char *tag; enum location_form form; } cases[] =
    {
        { BG_HTTP_REDIRECT_POLICY_ALLOW_SILENT, 302, "ALLOW_SILENT", LOCATION_ABSOLUTE },
        { BG_HTTP_REDIRECT_POLICY_ALLOW_REPORT, 302, "ALLOW_REPORT", LOCATION_ABSOLUTE },
        { BG_HTTP_REDIRECT_POLICY_DISALLOW, 302, "DISALLOW", LOCATION_ABSOLUTE },
        { BG_HTTP_REDIRECT_POLICY_ALLOW_REPORT, 302, "ALLOW_REPORT path", LOCATION_PATH },
        { BG_HTTP_REDIRECT_POLICY_ALLOW_REPORT, 302, "ALLOW_REPORT relative", LOCATION_RELATIVE },
        { BG_HTTP_REDIRECT_POLICY_DISALLOW, 302, "DISALLOW relative", LOCATION_RELATIVE },
        { BG_HTTP_REDIRECT_POLICY_ALLOW_SILENT, 301, "301", LOCATION_ABSOLUTE },
        { BG_HTTP_REDIRECT_POLICY_ALLOW_REPORT, 303, "303", LOCATION_PATH },
        { BG_HTTP_REDIRECT_POLICY_ALLOW_SILENT, 307, "307", LOCATION_RELATIVE },
        { BG_HTTP_REDIRECT_POLICY_ALLOW_REPORT, 308, "308", LOCATION_ABSOLUTE },
        { BG_HTTP_REDIRECT_POLICY_DISALLOW, 308, "DISALLOW 308", LOCATION_ABSOLUTE },
        { BG_HTTP_REDIRECT_POLICY_ALLOW_REPORT, 302, "file URL", LOCATION_FILE },
        { BG_HTTP_REDIRECT_POLICY_ALLOW_SILENT, 302, "loop", LOCATION_SELF },
        { BG_HTTP_REDIRECT_POLICY_ALLOW_REPORT, 302, "unusable name", LOCATION_UNUSABLE },
    };
    static const char unusable_path[] = "/http/redirect/star*.bin";
    const char *location;
    IBackgroundCopyJobHttpOptions *options;
    struct httpd_log_entry entry;
    WCHAR dir[MAX_PATH], local[MAX_PATH], url[256], target_url[256], tag[16];
    char from_path[64], target_url_a[256], unusable_url_a[256];
    const char *got_path;
    IBackgroundCopyJob *job;
    unsigned int i, start, asked, n;
    ULONG flags;
    HRESULT hr;

    ok(httpd_add_pattern_resource(httpd, target_path, size, seed, NULL), "cannot add resource.\n");
    httpd_url(httpd, target_path, target_url, ARRAY_SIZE(target_url));
    httpd_url_a(httpd, target_path, target_url_a, sizeof(target_url_a));
    ok(httpd_add_pattern_resource(httpd, unusable_path, size, seed, NULL), "cannot add resource.\n");
    httpd_url_a(httpd, unusable_path, unusable_url_a, sizeof(unusable_url_a));

    for (i = 0; i < ARRAY_SIZE(cases); i++)
    {
        winetest_push_context("%s", cases[i].tag);
        memset(&entry, 0, sizeof(entry));
        sprintf(from_path, "/http/redirect/from-%u.bin", i);
        switch (cases[i].form)
        {
        case LOCATION_ABSOLUTE: location = target_url_a; break;
        case LOCATION_PATH: location = target_path; break;
        case LOCATION_RELATIVE: location = "target.bin"; break;
        case LOCATION_FILE: location = "file:///C:/windows/win.ini"; break;
        case LOCATION_UNUSABLE: location = unusable_url_a; break;
        default: location = from_path; break;
        }
        ok(httpd_add_redirect(httpd, from_path, cases[i].status, location), "cannot add redirect.\n");
        httpd_url(httpd, from_path, url, ARRAY_SIZE(url));
        job = NULL;
        swprintf(tag, ARRAY_SIZE(tag), L"redirect%u", i);
        if (!make_dir(tag, dir, ARRAY_SIZE(dir))) goto next;
        swprintf(local, ARRAY_SIZE(local), L"%lsredirect.bin", dir);
        if (!(job = create_job(L"redirect"))) goto next;
        set_retry_delay(job, 60);
        hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJobHttpOptions, (void **)&options);
        ok(hr == S_OK, "QueryInterface(IBackgroundCopyJobHttpOptions) failed: %#lx.\n", hr);
        if (FAILED(hr)) goto next;
        if (cases[i].flags)
        {
            hr = IBackgroundCopyJobHttpOptions_SetSecurityFlags(options, cases[i].flags);
            ok(hr == S_OK, "SetSecurityFlags(%#lx) failed: %#lx.\n", cases[i].flags, hr);
        }
        flags = 0xdead;
        hr = IBackgroundCopyJobHttpOptions_GetSecurityFlags(options, &flags);
        ok(hr == S_OK, "GetSecurityFlags failed: %#lx.\n", hr);
        ok(flags == cases[i].flags, "got flags %#lx.\n", flags);
        IBackgroundCopyJobHttpOptions_Release(options);
        start = httpd_log_count(httpd);
        if (!add_file(job, url, local) || !resume(job)) goto next;

        if (cases[i].flags == BG_HTTP_REDIRECT_POLICY_DISALLOW)
        {
            /* A fatal error with the redirect status as a Win32 code; the
             * remote name becomes the redirect target. */
            if (wait_state(job, STATE_BIT(BG_JOB_STATE_ERROR), FAILURE_TIMEOUT, FALSE) != BG_JOB_STATE_ERROR)
                goto next;
            hr = job_error_code(job);
            ok(hr == HRESULT_FROM_WIN32(cases[i].status), "got code %#lx.\n", hr);
            check_remote_name(job, target_url);
            ok(httpd_log_find(httpd, NULL, from_path, start, &entry) >= 0, "the server got no request for %s.\n",
               from_path);
            ok(httpd_log_find(httpd, NULL, target_path, start, &entry) < 0, "the redirect was followed (%s).\n",
               entry.method);
            cancel_and_check_clean(job, dir, local);
            goto next;
        }
        if (cases[i].form == LOCATION_FILE || cases[i].form == LOCATION_SELF)
        {
            /* WinHTTP's answer to a redirect it may not follow, or to too many:
             * fatal, and the remote name stays (nothing was followed to the end). */
            if (wait_state(job, STATE_BIT(BG_JOB_STATE_ERROR), FAILURE_TIMEOUT, FALSE) != BG_JOB_STATE_ERROR)
                goto next;
            hr = job_error_code(job);
            ok(hr == HRESULT_FROM_WIN32(ERROR_WINHTTP_REDIRECT_FAILED), "got code %#lx.\n", hr);
            check_remote_name(job, url);
            /* Only the redirecting URL was asked: a file URL is no path on the server. */
            for (asked = 0, n = start; httpd_log_get(httpd, n, &entry); n++, asked++)
                ok(!strcmp(entry.path, from_path), "the server was asked for %s.\n", entry.path);
            /* A few requests of each try (WinHTTP's most is 10 redirects), not an endless loop. */
            ok(asked >= 1 && asked <= 40, "the server got %u requests.\n", asked);
            cancel_and_check_clean(job, dir, local);
            goto next;
        }

        if (wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSFERRED), TRANSFER_TIMEOUT, FALSE) != BG_JOB_STATE_TRANSFERRED)
            goto next;
        /* ALLOW_SILENT keeps the original name, ALLOW_REPORT stores the final URL. */
        check_remote_name(job, cases[i].flags == BG_HTTP_REDIRECT_POLICY_ALLOW_REPORT &&
                          cases[i].form != LOCATION_UNUSABLE ? target_url : url);
        got_path = cases[i].form == LOCATION_UNUSABLE ? unusable_path : target_path;
        ok(httpd_log_find(httpd, "GET", got_path, start, &entry) >= 0, "the server got no GET for %s.\n", got_path);
        check_job_progress(job, size, size, 1, 1);
        hr = IBackgroundCopyJob_Complete(job);
        ok(hr == S_OK, "Complete failed: %#lx.\n", hr);
        check_pattern_file(local, seed, size);
next:
        finish_job(job);
        winetest_pop_context();
    }
}

/* The proxy of test_proxy: answers GET and HEAD of one file of PROXY_HOST
 * (requested in absolute form), honouring a single byte range as BITS needs. */
struct proxy_server
{
    const char *origin;    /* "http://host" of the file; NULL: PROXY_HOST's */
    const char *path;      /* the path part of the file's URL */
    const BYTE *body;
    ULONGLONG size;
    const char *volatile auth;  /* non-NULL: the Proxy-Authorization value required */
    const char *volatile digest;  /* non-NULL: "user:password" of a Digest answer required */
};

static BOOL proxy_handler(struct httpd_request *request, void *context)
{
    static const char common[] = "Content-Type: application/octet-stream\r\nAccept-Ranges: bytes\r\n"
                                 "Last-Modified: " HTTPD_DEFAULT_LAST_MODIFIED "\r\n";
    struct proxy_server *server = context;
    const char *method = httpd_request_method(request), *p;
    char range[128], headers[256];
    ULONGLONG first, last;
    char *end;

    if (strcmp(method, "GET") && strcmp(method, "HEAD")) return FALSE;
    if (server->auth && (!httpd_request_header(request, "Proxy-Authorization", range, sizeof(range))
                         || strcmp(range, server->auth)))
    {
        httpd_respond(request, 407, "Content-Type: text/plain\r\nProxy-Authenticate: Basic realm=\"qmgr-proxy\"\r\n",
                      "Proxy authentication required\n", 30);
        return TRUE;
    }
    if (server->digest && !httpd_check_digest(request, "Proxy-Authorization", server->digest))
    {
        httpd_respond(request, 407, "Content-Type: text/plain\r\nProxy-Authenticate: " HTTPD_DIGEST_CHALLENGE "\r\n",
                      "Proxy authentication required\n", 30);
        return TRUE;
    }
    p = httpd_request_path(request) + strlen(server->origin ? server->origin : "http://" PROXY_HOST);
    if (!strncmp(p, ":80/", 4)) p += 3;
    if (strcmp(p, server->path))
    {
        httpd_respond(request, 404, "Content-Type: text/plain\r\n", "Not found\n", 10);
        return TRUE;
    }
    if (httpd_request_header(request, "Range", range, sizeof(range)) && !strncmp(range, "bytes=", 6)
        && !strchr(range, ',') && range[6] >= '0' && range[6] <= '9')
    {
        first = _strtoui64(range + 6, &end, 10);
        if (*end == '-')
        {
            p = end + 1;
            last = *p ? _strtoui64(p, &end, 10) : server->size - 1;
            if (!*p || (end != p && !*end))
            {
                if (first >= server->size)
                {
                    sprintf(headers, "Content-Type: text/plain\r\nContent-Range: bytes */%I64u\r\n", server->size);
                    httpd_respond(request, 416, headers, "Range not satisfiable\n", 22);
                    return TRUE;
                }
                if (first <= last)
                {
                    if (last >= server->size) last = server->size - 1;
                    sprintf(headers, "%sContent-Range: bytes %I64u-%I64u/%I64u\r\n", common, first, last, server->size);
                    httpd_respond(request, 206, headers, server->body + first, (size_t)(last - first + 1));
                    return TRUE;
                }
            }
        }
    }
    httpd_respond(request, 200, common, server->body, (size_t)server->size);
    return TRUE;
}

/* SetProxySettings (spec 11.2). */
static void test_proxy(void)
{
    static const ULONGLONG size = 80021;  /* the size of proxy_body */
    static BYTE proxy_body[80021];
    static struct proxy_server proxy_server;
    static const char direct_path[] = "/http/proxy/direct.bin", proxied_path[] = "/http/proxy/proxied.bin";
    static const WCHAR proxied_path_w[] = L"/http/proxy/proxied.bin";
    static const unsigned int direct_seed = 1501, proxied_seed = 1502;
    WCHAR dir[MAX_PATH], local[MAX_PATH], url[256], proxied_url[256], list[64], *got_list, *got_bypass;
    WCHAR redirect_url[256];
    struct httpd *proxy;
    struct httpd_log_entry entry;
    BG_JOB_PROXY_USAGE usage;
    BG_AUTH_CREDENTIALS creds;
    IBackgroundCopyJob2 *job2;
    IBackgroundCopyJob *job;
    unsigned int i, n, count, start;
    BOOL seen;
    unsigned short port;
    BG_JOB_STATE state;
    HRESULT hr;

    if (!make_dir(L"proxy", dir, ARRAY_SIZE(dir))) return;
    ok(httpd_add_pattern_resource(httpd, direct_path, size, direct_seed, NULL), "cannot add resource.\n");
    httpd_url(httpd, direct_path, url, ARRAY_SIZE(url));
    swprintf(proxied_url, ARRAY_SIZE(proxied_url), L"http://" PROXY_HOST_W L"%ls", proxied_path_w);

    /* NO_PROXY: direct. */
    swprintf(local, ARRAY_SIZE(local), L"%lsno-proxy.bin", dir);
    if ((job = create_job(L"no-proxy")))
    {
        hr = IBackgroundCopyJob_SetProxySettings(job, BG_JOB_PROXY_USAGE_NO_PROXY, NULL, NULL);
        ok(hr == S_OK, "SetProxySettings(NO_PROXY) failed: %#lx.\n", hr);
        if (add_file(job, url, local) && resume(job)) transfer_and_check(job, local, direct_seed, size);
        finish_job(job);
    }

    /* OVERRIDE: requests go to the proxy, in absolute form.  The host name
     * resolves nowhere, so only the proxy can have served the file. */
    proxy = httpd_start();
    ok(proxy != NULL, "cannot start the proxy server.\n");
    if (proxy)
    {
        httpd_pattern_fill(proxied_seed, 0, proxy_body, size);
        proxy_server.path = proxied_path;
        proxy_server.body = proxy_body;
        proxy_server.size = size;
        proxy_server.auth = NULL;
        ok(httpd_add_handler(proxy, NULL, "http://" PROXY_HOST, proxy_handler, &proxy_server),
           "cannot add handler.\n");
        swprintf(list, ARRAY_SIZE(list), L"127.0.0.1:%u", httpd_port(proxy));
        swprintf(local, ARRAY_SIZE(local), L"%lsproxied.bin", dir);
        if ((job = create_job(L"proxy")))
        {
            set_retry_delay(job, 60);
            hr = IBackgroundCopyJob_SetProxySettings(job, BG_JOB_PROXY_USAGE_OVERRIDE, list, NULL);
            ok(hr == S_OK, "SetProxySettings(OVERRIDE) failed: %#lx.\n", hr);
            usage = 0xdead;
            got_list = got_bypass = NULL;
            hr = IBackgroundCopyJob_GetProxySettings(job, &usage, &got_list, &got_bypass);
            ok(hr == S_OK, "GetProxySettings failed: %#lx.\n", hr);
            ok(usage == BG_JOB_PROXY_USAGE_OVERRIDE, "got usage %d.\n", usage);
            ok(got_list && !wcscmp(got_list, list), "got proxy list %s.\n", wine_dbgstr_w(got_list));
            CoTaskMemFree(got_list);
            CoTaskMemFree(got_bypass);
            if (add_file(job, proxied_url, local) && resume(job)
                && transfer_and_check(job, local, proxied_seed, size))
            {
                seen = FALSE;
                count = httpd_log_count(proxy);
                for (i = 0; i < count; i++)
                {
                    if (!httpd_log_get(proxy, i, &entry)) continue;
                    trace("proxy got %s %s.\n", entry.method, debugstr_a(entry.path));
                    if (!strcmp(entry.method, "GET") && strstr(entry.path, PROXY_HOST)) seen = TRUE;
                }
                ok(seen, "the proxy got no GET for the file.\n");
            }
            finish_job(job);
        }

        /* A server on the bypass list, reached directly, redirects to one
         * that is not: the redirect goes through the proxy. */
        swprintf(local, ARRAY_SIZE(local), L"%lsbypass-redirect.bin", dir);
        ok(httpd_add_redirect(httpd, "/http/proxy/to-proxied.bin", 302, "http://" PROXY_HOST "/http/proxy/proxied.bin"),
           "cannot add redirect.\n");
        httpd_url(httpd, "/http/proxy/to-proxied.bin", redirect_url, ARRAY_SIZE(redirect_url));
        if ((job = create_job(L"proxy-bypass-redirect")))
        {
            set_retry_delay(job, 60);
            hr = IBackgroundCopyJob_SetProxySettings(job, BG_JOB_PROXY_USAGE_OVERRIDE, list, L"127.0.0.1");
            ok(hr == S_OK, "SetProxySettings(OVERRIDE) failed: %#lx.\n", hr);
            start = httpd_log_count(proxy);
            if (add_file(job, redirect_url, local) && resume(job) && transfer_and_check(job, local, proxied_seed, size))
            {
                ok(httpd_log_find(httpd, "GET", "/http/proxy/to-proxied.bin", 0, NULL) >= 0,
                   "the bypassed server was not asked directly.\n");
                for (seen = FALSE, n = start; httpd_log_get(proxy, n, &entry); n++)
                    if (strstr(entry.path, "/http/proxy/to-proxied.bin")) seen = TRUE;
                ok(!seen, "the proxy was asked for the bypassed server's file.\n");
            }
            finish_job(job);
        }

        /* A proxy that wants Basic, then Digest credentials: without them a
         * fatal 407, with SetCredentials for the proxy target the transfer
         * works (spec 11.6).  Digest is answered by the service itself. */
        for (i = 0; i < 4; i++)
        {
            BOOL digest = i >= 2;

            proxy_server.auth = digest ? NULL : "Basic cHJveHl1c2VyOnByb3h5c2VjcmV0";  /* proxyuser:proxysecret */
            proxy_server.digest = digest ? "proxyuser:proxysecret" : NULL;
            winetest_push_context("%s, %s", digest ? "Digest" : "Basic",
                                  i % 2 ? "proxy credentials" : "no proxy credentials");
            swprintf(local, ARRAY_SIZE(local), L"%lsproxy-auth%u.bin", dir, i);
            job2 = NULL;
            if (!(job = create_job(L"proxy-auth"))) goto next;
            set_retry_delay(job, 60);
            hr = IBackgroundCopyJob_SetProxySettings(job, BG_JOB_PROXY_USAGE_OVERRIDE, list, NULL);
            ok(hr == S_OK, "SetProxySettings(OVERRIDE) failed: %#lx.\n", hr);
            if (i % 2)
            {
                hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob2, (void **)&job2);
                ok(hr == S_OK, "QueryInterface(IBackgroundCopyJob2) failed: %#lx.\n", hr);
                if (FAILED(hr)) goto next;
                memset(&creds, 0, sizeof(creds));
                creds.Target = BG_AUTH_TARGET_PROXY;
                creds.Scheme = digest ? BG_AUTH_SCHEME_DIGEST : BG_AUTH_SCHEME_BASIC;
                creds.Credentials.Basic.UserName = (WCHAR *)L"proxyuser";
                creds.Credentials.Basic.Password = (WCHAR *)L"proxysecret";
                hr = IBackgroundCopyJob2_SetCredentials(job2, &creds);
                ok(hr == S_OK, "SetCredentials failed: %#lx.\n", hr);
            }
            start = httpd_log_count(proxy);
            if (!add_file(job, proxied_url, local) || !resume(job)) goto next;
            if (i % 2)
            {
                char answer[32];

                if (!transfer_and_check(job, local, proxied_seed, size)) goto next;
                /* The answer the proxy took is of the scheme it asked for. */
                seen = FALSE;
                count = httpd_log_count(proxy);
                for (n = start; n < count; n++)
                    if (httpd_log_get(proxy, n, &entry) && !strcmp(entry.method, "GET") &&
                        httpd_log_header(&entry, "Proxy-Authorization", answer, sizeof(answer)) &&
                        !strncmp(answer, digest ? "Digest " : "Basic ", digest ? 7 : 6))
                        seen = TRUE;
                ok(seen, "no GET with a %s Proxy-Authorization.\n", digest ? "Digest" : "Basic");
            }
            else if (wait_state(job, STATE_BIT(BG_JOB_STATE_ERROR), FAILURE_TIMEOUT, FALSE) == BG_JOB_STATE_ERROR)
            {
                hr = job_error_code(job);
                ok(hr == BG_E_HTTP_ERROR_407, "got code %#lx.\n", hr);
                check_no_file(local);
            }
next:
            if (job2) IBackgroundCopyJob2_Release(job2);
            finish_job(job);
            winetest_pop_context();
        }
        httpd_stop(proxy);
    }

    /* OVERRIDE with a proxy that does not answer and a bypass list that
     * does not name the host: no transfer.  (The host resolves nowhere, so
     * this holds whether or not the proxy is used; the proxy test above
     * shows that it is.) */
    if (!(port = closed_port())) return;
    swprintf(list, ARRAY_SIZE(list), L"127.0.0.1:%u", port);
    swprintf(local, ARRAY_SIZE(local), L"%lsdead-proxy.bin", dir);
    if ((job = create_job(L"dead-proxy")))
    {
        set_retry_delay(job, 60);
        hr = IBackgroundCopyJob_SetProxySettings(job, BG_JOB_PROXY_USAGE_OVERRIDE, list, L"*.example.com");
        ok(hr == S_OK, "SetProxySettings(OVERRIDE) failed: %#lx.\n", hr);
        if (add_file(job, proxied_url, local) && resume(job))
        {
            state = wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSIENT_ERROR) | STATE_BIT(BG_JOB_STATE_ERROR),
                               FAILURE_TIMEOUT, FALSE);
            if (state == BG_JOB_STATE_TRANSIENT_ERROR || state == BG_JOB_STATE_ERROR)
            {
                hr = job_error_code(job);
                ok(FAILED(hr), "got code %#lx.\n", hr);
                check_no_file(local);
            }
        }
        finish_job(job);
    }

    /* The same dead proxy, but the server's host is on the bypass list:
     * BITS connects directly. */
    swprintf(local, ARRAY_SIZE(local), L"%lsbypass.bin", dir);
    if ((job = create_job(L"bypass")))
    {
        set_retry_delay(job, 60);
        hr = IBackgroundCopyJob_SetProxySettings(job, BG_JOB_PROXY_USAGE_OVERRIDE, list, L"127.0.0.1");
        ok(hr == S_OK, "SetProxySettings(OVERRIDE) failed: %#lx.\n", hr);
        if (add_file(job, url, local) && resume(job)) transfer_and_check(job, local, direct_seed, size);
        finish_job(job);
    }
}

/* Internet Explorer's settings of the user (what PRECONFIG reads), in
 * HKCU ...\Internet Settings\Connections, value DefaultConnectionSettings:
 * three DWORDs (version 0x46, a change counter, flags), then the proxy list,
 * the bypass list and the script URL, each a byte count and ANSI text. */
#define IE_CONNECTIONS_KEY L"Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\Connections"
#define IE_FLAG_DIRECT 0x1
#define IE_FLAG_PROXY  0x2
#define IE_FLAG_SCRIPT 0x4

struct ie_settings
{
    BYTE *saved;        /* the value before the test, or NULL if there was none */
    DWORD saved_size;
    DWORD counter;
};

static void put_ie_string(BYTE *buf, DWORD *pos, const char *text)
{
    DWORD len = text ? strlen(text) : 0;

    memcpy(buf + *pos, &len, sizeof(len));
    *pos += sizeof(len);
    memcpy(buf + *pos, text, len);
    *pos += len;
}

static BOOL set_ie_settings(struct ie_settings *settings, DWORD flags, const char *proxy, const char *bypass,
                            const char *script)
{
    BYTE buf[1024] = { 0 };
    DWORD pos = 0, value, type, size;
    LSTATUS status;
    HKEY key;

    status = RegCreateKeyExW(HKEY_CURRENT_USER, IE_CONNECTIONS_KEY, 0, NULL, 0, KEY_READ | KEY_WRITE, NULL, &key, NULL);
    ok(!status, "cannot open the Internet settings: %ld.\n", status);
    if (status) return FALSE;
    if (!settings->counter)
    {
        size = 0;
        if (!RegQueryValueExW(key, L"DefaultConnectionSettings", NULL, &type, NULL, &size) && size &&
            (settings->saved = malloc(size)) &&
            !RegQueryValueExW(key, L"DefaultConnectionSettings", NULL, &type, settings->saved, &size))
            settings->saved_size = size;
        if (settings->saved_size >= 8) memcpy(&settings->counter, settings->saved + 4, sizeof(DWORD));
    }
    value = 0x46;
    memcpy(buf + pos, &value, sizeof(value));
    pos += sizeof(value);
    value = ++settings->counter;
    memcpy(buf + pos, &value, sizeof(value));
    pos += sizeof(value);
    memcpy(buf + pos, &flags, sizeof(flags));
    pos += sizeof(flags);
    put_ie_string(buf, &pos, proxy);
    put_ie_string(buf, &pos, bypass);
    put_ie_string(buf, &pos, script);
    pos += 32;  /* the fields Windows keeps after these, zero */
    status = RegSetValueExW(key, L"DefaultConnectionSettings", 0, REG_BINARY, buf, pos);
    ok(!status, "cannot set the Internet settings: %ld.\n", status);
    RegCloseKey(key);
    return !status;
}

static void restore_ie_settings(struct ie_settings *settings)
{
    HKEY key;

    if (RegOpenKeyExW(HKEY_CURRENT_USER, IE_CONNECTIONS_KEY, 0, KEY_WRITE, &key)) return;
    if (settings->saved_size)
        RegSetValueExW(key, L"DefaultConnectionSettings", 0, REG_BINARY, settings->saved, settings->saved_size);
    else RegDeleteValueW(key, L"DefaultConnectionSettings");
    RegCloseKey(key);
    free(settings->saved);
    memset(settings, 0, sizeof(*settings));
}

/* Whether a server's log has a GET whose target contains path, at index >= start. */
static BOOL log_has_get(struct httpd *server, const char *path, unsigned int start)
{
    struct httpd_log_entry entry;
    unsigned int i, count = httpd_log_count(server);

    for (i = start; i < count; i++)
        if (httpd_log_get(server, i, &entry) && !strcmp(entry.method, "GET") && strstr(entry.path, path)) return TRUE;
    return FALSE;
}

#define PRECONFIG_DIRECT_PATH  "/http/preconfig/direct.bin"
#define PRECONFIG_PROXIED_PATH "/http/preconfig/proxied.bin"
#define PRECONFIG_DIRECT_SEED  1511
#define PRECONFIG_PROXIED_SEED 1512
#define PRECONFIG_SIZE         80021  /* the size of the proxy's body */

/* A PRECONFIG job of two files, one that only the proxy can serve and one of
 * the test server: both arrive, each by its own way.  script_path: the proxy
 * script the server must have been asked for, or NULL. */
static void run_split_job(struct httpd *proxy, const WCHAR *tag, const WCHAR *dir, const WCHAR *proxied_url,
                          const WCHAR *direct_url, const char *script_path)
{
    unsigned int proxy_start = httpd_log_count(proxy), direct_start = httpd_log_count(httpd);
    WCHAR name[64], local[MAX_PATH], proxied_local[MAX_PATH];
    IBackgroundCopyJob *job;
    HRESULT hr;

    swprintf(name, ARRAY_SIZE(name), L"preconfig-%ls", tag);
    if (!(job = create_job(name))) return;
    swprintf(proxied_local, ARRAY_SIZE(proxied_local), L"%ls%ls-proxied.bin", dir, tag);
    swprintf(local, ARRAY_SIZE(local), L"%ls%ls-direct.bin", dir, tag);
    if (add_file(job, proxied_url, proxied_local) && add_file(job, direct_url, local) && resume(job) &&
        wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSFERRED), TRANSFER_TIMEOUT, FALSE) == BG_JOB_STATE_TRANSFERRED)
    {
        hr = IBackgroundCopyJob_Complete(job);
        ok(hr == S_OK, "Complete failed: %#lx.\n", hr);
        check_pattern_file(proxied_local, PRECONFIG_PROXIED_SEED, PRECONFIG_SIZE);
        check_pattern_file(local, PRECONFIG_DIRECT_SEED, PRECONFIG_SIZE);
        if (script_path) ok(log_has_get(httpd, script_path, direct_start), "nobody fetched the script.\n");
        ok(log_has_get(proxy, PROXY_HOST, proxy_start), "the proxy got no GET for its file.\n");
        ok(!log_has_get(proxy, PRECONFIG_DIRECT_PATH, proxy_start), "the direct file went through the proxy.\n");
        ok(log_has_get(httpd, PRECONFIG_DIRECT_PATH, direct_start), "the server got no GET for the direct file.\n");
    }
    finish_job(job);
}

/* PRECONFIG (the default) follows the owner's Internet settings: their proxy
 * list with its bypass list, or their proxy script; AUTODETECT looks for a
 * script with WPAD and goes direct when there is none (spec 11.2). */
static void test_preconfigured_proxy(void)
{
    static const ULONGLONG size = PRECONFIG_SIZE;
    static BYTE proxy_body[PRECONFIG_SIZE];
    static struct proxy_server proxy_server;
    static const char script_path[] = "/http/preconfig/proxy.pac";
    static const char both_script_path[] = "/http/preconfig/proxy-or-list.pac";
    WCHAR dir[MAX_PATH], local[MAX_PATH], url[256], proxied_url[256];
    char proxy_list[64], scheme_list[128], script_url[256], script[512];
    struct httpd_resource_options options;
    struct ie_settings settings = { 0 };
    unsigned int proxy_start;
    IBackgroundCopyJob *job;
    struct httpd *proxy;
    HRESULT hr;

    if (!make_dir(L"preconfig", dir, ARRAY_SIZE(dir))) return;
    ok(httpd_add_pattern_resource(httpd, PRECONFIG_DIRECT_PATH, size, PRECONFIG_DIRECT_SEED, NULL), "cannot add resource.\n");
    httpd_url(httpd, PRECONFIG_DIRECT_PATH, url, ARRAY_SIZE(url));
    swprintf(proxied_url, ARRAY_SIZE(proxied_url), L"http://" PROXY_HOST_W L"%hs", PRECONFIG_PROXIED_PATH);
    if (!(proxy = httpd_start()))
    {
        ok(0, "cannot start the proxy server.\n");
        return;
    }
    httpd_pattern_fill(PRECONFIG_PROXIED_SEED, 0, proxy_body, size);
    proxy_server.path = PRECONFIG_PROXIED_PATH;
    proxy_server.body = proxy_body;
    proxy_server.size = size;
    proxy_server.auth = NULL;
    ok(httpd_add_handler(proxy, NULL, "http://" PROXY_HOST, proxy_handler, &proxy_server), "cannot add the handler.\n");
    sprintf(proxy_list, "127.0.0.1:%u", httpd_port(proxy));

    /* The user's proxy list, with the test server's host on the bypass list:
     * the file of the unresolvable host comes through the proxy, the other
     * one directly. */
    if (set_ie_settings(&settings, IE_FLAG_DIRECT | IE_FLAG_PROXY, proxy_list, "127.0.0.1;<local>", NULL))
    {
        winetest_push_context("proxy list");
        run_split_job(proxy, L"list", dir, proxied_url, url, NULL);
        winetest_pop_context();
    }

    /* The same with a proxy per protocol, as the Internet settings write it
     * when each has its own: the one for https listens nowhere. */
    sprintf(scheme_list, "https=127.0.0.1:%u;http=%s", closed_port(), proxy_list);
    if (set_ie_settings(&settings, IE_FLAG_DIRECT | IE_FLAG_PROXY, scheme_list, "127.0.0.1;<local>", NULL))
    {
        winetest_push_context("proxy per protocol");
        run_split_job(proxy, L"per-protocol", dir, proxied_url, url, NULL);
        winetest_pop_context();
    }

    /* The user's proxy script, from the test server: PROXY for the
     * unresolvable host, DIRECT for everything else. */
    sprintf(script, "function FindProxyForURL(url, host)\n{\n"
            "    if (host == \"%s\") return \"PROXY %s\";\n    return \"DIRECT\";\n}\n", PROXY_HOST, proxy_list);
    memset(&options, 0, sizeof(options));
    options.content_type = "application/x-ns-proxy-autoconfig";
    ok(httpd_add_resource(httpd, script_path, script, strlen(script), &options), "cannot add resource.\n");
    httpd_url_a(httpd, script_path, script_url, sizeof(script_url));
    if (set_ie_settings(&settings, IE_FLAG_DIRECT | IE_FLAG_SCRIPT, NULL, NULL, script_url))
    {
        winetest_push_context("proxy script");
        run_split_job(proxy, L"script", dir, proxied_url, url, script_path);
        winetest_pop_context();
    }

    /* Script and list: the script names the proxy for the unresolvable host
     * and gives no answer for the test server, where the user's list with its
     * bypass list applies.  The same proxy without the bypass list must not
     * take the test server's file. */
    sprintf(script, "function FindProxyForURL(url, host)\n{\n"
            "    if (host == \"%s\") return \"PROXY %s\";\n    throw \"no answer\";\n}\n", PROXY_HOST, proxy_list);
    ok(httpd_add_resource(httpd, both_script_path, script, strlen(script), &options), "cannot add resource.\n");
    httpd_url_a(httpd, both_script_path, script_url, sizeof(script_url));
    if (set_ie_settings(&settings, IE_FLAG_DIRECT | IE_FLAG_PROXY | IE_FLAG_SCRIPT, proxy_list, "127.0.0.1;<local>",
                        script_url))
    {
        winetest_push_context("script and list");
        run_split_job(proxy, L"both", dir, proxied_url, url, both_script_path);
        winetest_pop_context();
    }
    restore_ie_settings(&settings);

    /* AUTODETECT: WPAD finds nothing on a loopback-only machine, so BITS goes direct. */
    swprintf(local, ARRAY_SIZE(local), L"%lsautodetect.bin", dir);
    if ((job = create_job(L"autodetect")))
    {
        proxy_start = httpd_log_count(proxy);
        hr = IBackgroundCopyJob_SetProxySettings(job, BG_JOB_PROXY_USAGE_AUTODETECT, NULL, NULL);
        ok(hr == S_OK, "SetProxySettings(AUTODETECT) failed: %#lx.\n", hr);
        if (add_file(job, url, local) && resume(job)) transfer_and_check(job, local, PRECONFIG_DIRECT_SEED, size);
        ok(httpd_log_count(proxy) == proxy_start, "the proxy got a request.\n");
        finish_job(job);
    }
    httpd_stop(proxy);
}

/* A host name without a dot that no resolver knows (RFC 6761): <local> names it. */
#define LOCAL_HOST        "invalid"

/* Copies template to buf with "{live}" and "{dead}" replaced by the ports. */
static void expand_ports(const WCHAR *template, WCHAR *buf, size_t len, unsigned short live, unsigned short dead)
{
    size_t used = 0;

    while (*template && used + 6 < len)
    {
        if (!wcsncmp(template, L"{live}", 6) || !wcsncmp(template, L"{dead}", 6))
        {
            used += swprintf(buf + used, len - used, L"%u", template[1] == 'l' ? live : dead);
            template += 6;
        }
        else buf[used++] = *template++;
    }
    buf[used] = 0;
}

/* OVERRIDE lists beyond a single "host:port" (spec 11.2): an entry per
 * scheme ("http=..."), URL-style entries, the entry without a scheme as the
 * default of the others, bypass entries with wildcards and <local>, and
 * lists that cannot be read. */
static void test_proxy_lists(void)
{
    enum outcome
    {
        VIA_PROXY,      /* the proxy serves the file */
        DIRECT,         /* the test server serves it; the proxy gets nothing */
        UNREACHABLE,    /* direct to a host no resolver knows: no transfer; the proxy gets nothing */
        INVALID,        /* ERROR, BG_E_INVALID_PROXY_INFO; nobody gets anything */
    };
    enum url { PROXIED_URL, LOCAL_URL, DIRECT_URL };
    static const struct
    {
        const WCHAR *list;      /* {live}: the test proxy's port, {dead}: a port nobody listens on */
        const WCHAR *bypass;
        enum url url;
        enum outcome outcome;
    }
    tests[] =
    {
        { L"http=127.0.0.1:{live}", NULL, PROXIED_URL, VIA_PROXY },
        { L"http://127.0.0.1:{live}", NULL, PROXIED_URL, VIA_PROXY },
        { L"http=http://127.0.0.1:{live}", NULL, PROXIED_URL, VIA_PROXY },
        { L"https=127.0.0.1:{dead} http=127.0.0.1:{live}", NULL, PROXIED_URL, VIA_PROXY },
        /* The entry without a scheme serves the schemes without their own. */
        { L"https=127.0.0.1:{dead} 127.0.0.1:{live}", NULL, PROXIED_URL, VIA_PROXY },
        /* Only https has a proxy: with no entry without a scheme, which alone
         * serves the schemes without their own, http goes direct. */
        { L"https=127.0.0.1:{live}", NULL, DIRECT_URL, DIRECT },
        { L"https=127.0.0.1:{live}", NULL, PROXIED_URL, UNREACHABLE },
        /* Bypass entries: nothing here names the proxied host, which has a dot. */
        { L"127.0.0.1:{live}", L"<local> *.example.com qmgr-proxy", PROXIED_URL, VIA_PROXY },
        { L"127.0.0.1:{live}", L"*.invalid", PROXIED_URL, UNREACHABLE },
        { L"127.0.0.1:{live}", L"*proxy.invalid", PROXIED_URL, UNREACHABLE },
        { L"127.0.0.1:{live}", NULL, LOCAL_URL, VIA_PROXY },
        { L"127.0.0.1:{live}", L"<local>", LOCAL_URL, UNREACHABLE },
        { L"http=127.0.0.1:{live}", L"localhost 127.0.0.1", DIRECT_URL, DIRECT },
        /* Lists that cannot be read: the job must not go direct, nor anywhere else. */
        { L"127.0.0.1:port", NULL, DIRECT_URL, INVALID },
        { L"=127.0.0.1:{live}", NULL, DIRECT_URL, INVALID },
        { L"http=127.0.0.1:{live}=", NULL, DIRECT_URL, INVALID },
        { L"127.0.0.1:{live}", L"127.0.0.1:port", DIRECT_URL, INVALID },
    };
    static const ULONGLONG size = 80021;  /* the size of proxy_body */
    static BYTE proxy_body[80021];
    static struct proxy_server proxy_server, local_server;
    static const char direct_path[] = "/http/proxy-list/direct.bin", proxied_path[] = "/http/proxy-list/proxied.bin";
    static const unsigned int direct_seed = 1521, proxied_seed = 1522;
    WCHAR dir[MAX_PATH], local[MAX_PATH], direct_url[256], proxied_url[256], local_url[256], list[128];
    unsigned int i, proxy_start, direct_start;
    unsigned short dead;
    IBackgroundCopyJob *job;
    struct httpd *proxy;
    const WCHAR *url;
    BG_JOB_STATE state;
    HRESULT hr;

    if (!make_dir(L"proxy-list", dir, ARRAY_SIZE(dir))) return;
    ok(httpd_add_pattern_resource(httpd, direct_path, size, direct_seed, NULL), "cannot add resource.\n");
    httpd_url(httpd, direct_path, direct_url, ARRAY_SIZE(direct_url));
    swprintf(proxied_url, ARRAY_SIZE(proxied_url), L"http://" PROXY_HOST_W L"%hs", proxied_path);
    swprintf(local_url, ARRAY_SIZE(local_url), L"http://" LOCAL_HOST L"%hs", proxied_path);
    if (!(dead = closed_port())) return;
    if (!(proxy = httpd_start()))
    {
        ok(0, "cannot start the proxy server.\n");
        return;
    }
    httpd_pattern_fill(proxied_seed, 0, proxy_body, size);
    proxy_server.path = local_server.path = proxied_path;
    proxy_server.body = local_server.body = proxy_body;
    proxy_server.size = local_server.size = size;
    local_server.origin = "http://" LOCAL_HOST;
    ok(httpd_add_handler(proxy, NULL, "http://" PROXY_HOST, proxy_handler, &proxy_server), "cannot add handler.\n");
    ok(httpd_add_handler(proxy, NULL, "http://" LOCAL_HOST, proxy_handler, &local_server), "cannot add handler.\n");

    for (i = 0; i < ARRAY_SIZE(tests); i++)
    {
        expand_ports(tests[i].list, list, ARRAY_SIZE(list), httpd_port(proxy), dead);
        winetest_push_context("%s, bypass %s", wine_dbgstr_w(list), wine_dbgstr_w(tests[i].bypass));
        url = tests[i].url == PROXIED_URL ? proxied_url : tests[i].url == LOCAL_URL ? local_url : direct_url;
        swprintf(local, ARRAY_SIZE(local), L"%lslist%u.bin", dir, i);
        if (!(job = create_job(L"proxy-list")))
        {
            winetest_pop_context();
            continue;
        }
        set_retry_delay(job, 60);
        hr = IBackgroundCopyJob_SetProxySettings(job, BG_JOB_PROXY_USAGE_OVERRIDE, list, tests[i].bypass);
        ok(hr == S_OK, "SetProxySettings(OVERRIDE) failed: %#lx.\n", hr);
        proxy_start = httpd_log_count(proxy);
        direct_start = httpd_log_count(httpd);
        if (SUCCEEDED(hr) && add_file(job, url, local) && resume(job))
        {
            switch (tests[i].outcome)
            {
            case VIA_PROXY:
                if (transfer_and_check(job, local, proxied_seed, size))
                    ok(log_has_get(proxy, tests[i].url == LOCAL_URL ? LOCAL_HOST : PROXY_HOST, proxy_start),
                       "the proxy got no GET for the file.\n");
                break;
            case DIRECT:
                if (transfer_and_check(job, local, direct_seed, size))
                    ok(log_has_get(httpd, direct_path, direct_start), "the server got no GET for the file.\n");
                ok(httpd_log_count(proxy) == proxy_start, "the proxy got a request.\n");
                break;
            case UNREACHABLE:
                state = wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSIENT_ERROR) | STATE_BIT(BG_JOB_STATE_ERROR),
                                   FAILURE_TIMEOUT, FALSE);
                if (state == BG_JOB_STATE_TRANSIENT_ERROR || state == BG_JOB_STATE_ERROR)
                {
                    hr = job_error_code(job);
                    ok(FAILED(hr), "got code %#lx.\n", hr);
                }
                ok(httpd_log_count(proxy) == proxy_start, "the proxy got a request.\n");
                check_no_file(local);
                break;
            case INVALID:
                if (wait_state(job, STATE_BIT(BG_JOB_STATE_ERROR), FAILURE_TIMEOUT, FALSE) == BG_JOB_STATE_ERROR)
                {
                    hr = job_error_code(job);
                    ok(hr == BG_E_INVALID_PROXY_INFO, "got code %#lx.\n", hr);
                }
                ok(httpd_log_count(proxy) == proxy_start, "the proxy got a request.\n");
                ok(!log_has_get(httpd, direct_path, direct_start), "the server got a GET for the file.\n");
                check_no_file(local);
                break;
            }
        }
        finish_job(job);
        winetest_pop_context();
    }
    httpd_stop(proxy);
}

/* IBackgroundCopyFile5: the headers of the server's last response (spec 13). */
static void test_response_headers(void)
{
    static const ULONGLONG size = 40009;
    static const unsigned int seed = 1601;
    static const char path[] = "/http/response-headers.bin";
    struct httpd_resource_options options;
    WCHAR dir[MAX_PATH], local[MAX_PATH], url[256];
    BITS_FILE_PROPERTY_VALUE value;
    IBackgroundCopyFile5 *file5;
    IBackgroundCopyFile *file = NULL;
    IBackgroundCopyJob *job;
    HRESULT hr;

    if (!make_dir(L"response-headers", dir, ARRAY_SIZE(dir))) return;
    swprintf(local, ARRAY_SIZE(local), L"%lsheaders.bin", dir);
    memset(&options, 0, sizeof(options));
    options.headers = "X-Served-By: httpd\r\n";
    ok(httpd_add_pattern_resource(httpd, path, size, seed, &options), "cannot add resource.\n");
    httpd_url(httpd, path, url, ARRAY_SIZE(url));

    if (!(job = create_job(L"response-headers"))) return;
    if (!add_file(job, url, local) || !resume(job)) goto done;
    if (wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSFERRED), TRANSFER_TIMEOUT, FALSE) != BG_JOB_STATE_TRANSFERRED)
        goto done;
    if (!(file = get_file(job, 0))) goto done;
    if ((file5 = query_optional(file, &IID_IBackgroundCopyFile5, "IBackgroundCopyFile5")))
    {
        memset(&value, 0, sizeof(value));
        hr = IBackgroundCopyFile5_GetProperty(file5, BITS_FILE_PROPERTY_ID_HTTP_RESPONSE_HEADERS, &value);
        ok(hr == S_OK, "GetProperty(HTTP_RESPONSE_HEADERS) failed: %#lx.\n", hr);
        if (SUCCEEDED(hr))
        {
            ok(value.String != NULL, "got no headers.\n");
            if (value.String)
            {
                trace("response headers %s.\n", wine_dbgstr_w(value.String));
                ok(wcsistr(value.String, L"Content-Length") != NULL, "no Content-Length in %s.\n",
                   wine_dbgstr_w(value.String));
                ok(wcsistr(value.String, L"X-Served-By: httpd") != NULL, "no X-Served-By in %s.\n",
                   wine_dbgstr_w(value.String));
            }
            CoTaskMemFree(value.String);
        }
        IBackgroundCopyFile5_Release(file5);
    }
    hr = IBackgroundCopyJob_Complete(job);
    ok(hr == S_OK, "Complete failed: %#lx.\n", hr);
    check_pattern_file(local, seed, size);
done:
    if (file) IBackgroundCopyFile_Release(file);
    finish_job(job);
}

/* The end of a test of a broken server: the job must have settled without
 * a wrong file.  If it reached TRANSFERRED, the content must be exact. */
static void check_garbage_outcome(IBackgroundCopyJob *job, BG_JOB_STATE state, const WCHAR *dir,
                                  const WCHAR *local, unsigned int seed, ULONGLONG size)
{
    HRESULT hr;

    trace("broken server: state %s.\n", state_name(state));
    if (state == BG_JOB_STATE_TRANSFERRED)
    {
        hr = IBackgroundCopyJob_Complete(job);
        ok(hr == S_OK, "Complete failed: %#lx.\n", hr);
        check_pattern_file(local, seed, size);
        return;
    }
    ok(state == BG_JOB_STATE_ERROR || state == BG_JOB_STATE_TRANSIENT_ERROR, "got state %s.\n", state_name(state));
    if (state == BG_JOB_STATE_ERROR || state == BG_JOB_STATE_TRANSIENT_ERROR)
    {
        hr = job_error_code(job);
        ok(FAILED(hr), "got code %#lx.\n", hr);
    }
    check_no_file(local);
    cancel_and_check_clean(job, dir, local);
}

/* A Content-Length larger than the body: the connection closes early. */
static void test_fake_length(void)
{
    static const ULONGLONG size = 100003;
    static const unsigned int seed = 1701;
    static const char path[] = "/http/garbage/fake-length.bin";
    struct httpd_resource_options options;
    WCHAR dir[MAX_PATH], local[MAX_PATH], url[256];
    IBackgroundCopyJob *job;
    BG_JOB_STATE state;

    if (!make_dir(L"fake-length", dir, ARRAY_SIZE(dir))) return;
    swprintf(local, ARRAY_SIZE(local), L"%lsfake.bin", dir);
    memset(&options, 0, sizeof(options));
    options.length_mode = HTTPD_LENGTH_FAKE;
    options.fake_length = size + 50000;
    ok(httpd_add_pattern_resource(httpd, path, size, seed, &options), "cannot add resource.\n");
    httpd_url(httpd, path, url, ARRAY_SIZE(url));

    if (!(job = create_job(L"fake-length"))) return;
    set_retry_delay(job, 60);
    if (!add_file(job, url, local) || !resume(job)) goto done;
    /* Retries, at once, see the same server. */
    state = drive_job(job, GARBAGE_TIMEOUT, 2);
    check_garbage_outcome(job, state, dir, local, seed, size);
done:
    finish_job(job);
}

/* Responses a handler sends as they are, chosen by the number that ends the path. */
struct raw_response
{
    const char *data;
    size_t size;
};

struct raw_responses
{
    const struct raw_response *responses;
    unsigned int count;
};

static BOOL raw_response_handler(struct httpd_request *request, void *context)
{
    const struct raw_responses *table = context;
    const char *path = httpd_request_path(request);
    unsigned int index = atoi(strrchr(path, '/') + 1);

    if (index >= table->count || !table->responses[index].data) return FALSE;
    return httpd_respond_raw(request, table->responses[index].data, table->responses[index].size);
}

/* A job for each response of table, served under prefix, through our plain
 * client and through WinHTTP (credentials take the job there); check gets
 * each job once it is resumed, and what it leaves undone is cancelled. */
static void run_raw_responses(const char *prefix, const WCHAR *name, struct raw_responses *table,
                              void (*check)(IBackgroundCopyJob *job, unsigned int index, const WCHAR *dir,
                                            const WCHAR *local))
{
    WCHAR dir[MAX_PATH], local[MAX_PATH], url[256], tag[64];
    IBackgroundCopyJob *job;
    unsigned int i, winhttp;
    char path[64];

    if (!make_dir(name, dir, ARRAY_SIZE(dir))) return;
    ok(httpd_add_handler(httpd, NULL, prefix, raw_response_handler, table), "cannot add the handler.\n");
    for (winhttp = 0; winhttp < 2; winhttp++)
    {
        for (i = 0; i < table->count; i++)
        {
            winetest_push_context("%s, response %u", winhttp ? "WinHTTP" : "plain", i);
            snprintf(path, sizeof(path), "%s%u", prefix, i);
            httpd_url(httpd, path, url, ARRAY_SIZE(url));
            swprintf(tag, ARRAY_SIZE(tag), L"%ls-%u-%u", name, winhttp, i);
            swprintf(local, ARRAY_SIZE(local), L"%ls%ls.bin", dir, tag);
            if ((job = create_job(tag)))
            {
                set_retry_delay(job, 60);
                if (winhttp) set_basic_credentials(job, L"user", L"secret");
                if (add_file(job, url, local) && resume(job)) check(job, i, dir, local);
                finish_job(job);
            }
            winetest_pop_context();
        }
    }
}

/* What a server that is not one sends back: a status line that is not
 * HTTP's, with or without the blank line that ends a head, and nothing. */
static const struct raw_response garbage_responses[] =
{
#define GARBAGE(s) { s, sizeof(s) - 1 }
    GARBAGE("SSH-2.0-OpenSSH_9.2p1\r\n\r\n"),
    GARBAGE("220 mail.example.test ESMTP ready\r\n"),
    GARBAGE("\x15\x03\x01\x00\x02\x02\x28"),  /* a TLS alert */
    GARBAGE(""),
#undef GARBAGE
};

static void check_garbage_status(IBackgroundCopyJob *job, unsigned int index, const WCHAR *dir, const WCHAR *local)
{
    BG_ERROR_CONTEXT context;
    HRESULT code;

    if (wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSIENT_ERROR), FAILURE_TIMEOUT, TRUE) !=
        BG_JOB_STATE_TRANSIENT_ERROR)
        return;
    ok(get_job_error(job, &context, &code), "GetError failed.\n");
    trace("context %u, code %#lx.\n", context, code);
    ok(code == HRESULT_FROM_WIN32(ERROR_WINHTTP_INVALID_SERVER_RESPONSE), "got code %#lx.\n", code);
    check_no_file(local);
    cancel_and_check_clean(job, dir, local);
}

/* A server that does not speak HTTP: the job goes to TRANSIENT_ERROR with
 * ERROR_WINHTTP_INVALID_SERVER_RESPONSE as the code, and leaves no file.  The
 * same through WinHTTP and without. */
static void test_garbage_status_line(void)
{
    static struct raw_responses table = { garbage_responses, ARRAY_SIZE(garbage_responses) };

    run_raw_responses("/http/garbage/status/", L"garbage-status", &table, check_garbage_status);
}

/* Responses that are HTTP in form but broken inside; built at the start of the test. */
static struct raw_response malformed_responses[12];

static void set_malformed(unsigned int i, const char *data, size_t size)
{
    char *copy = malloc(size);

    memcpy(copy, data, size);
    malformed_responses[i].data = copy;
    malformed_responses[i].size = size;
}

static void make_malformed_responses(void)
{
#define SET(i, s) set_malformed(i, s, sizeof(s) - 1)
    SET(0, "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999999\r\n\r\nabc");
    SET(1, "HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\nabc");
    SET(2, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\nabc\r\n0\r\n\r\n");
    SET(3, "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 5-2/10\r\nContent-Length: 3\r\n\r\nabc");
    SET(4, "HTTP/1.1 99999999999 OK\r\nContent-Length: 3\r\n\r\nabc");
    SET(5, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nabcdefg");
    SET(6, "HTTP/1.1 200 OK\r\nContent-Len\0gth: 3\r\n\r\nabc");
    SET(7, "HTTP/1.1 200 OK");
    SET(8, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Range: bytes */*\r\n\r\nabc");
    SET(9, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\nabc\r\n0\r\n\r\n");
#undef SET
    {
        /* A header line of 70000 bytes, then 3000 headers. */
        static const char head[] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nX-Long: ", tail[] = "\r\n\r\nabc";
        size_t size = sizeof(head) - 1 + 70000 + sizeof(tail) - 1, i;
        char *data = malloc(size);

        memcpy(data, head, sizeof(head) - 1);
        memset(data + sizeof(head) - 1, 'x', 70000);
        memcpy(data + sizeof(head) - 1 + 70000, tail, sizeof(tail) - 1);
        malformed_responses[10].data = data;
        malformed_responses[10].size = size;

        data = malloc(3000 * 16 + 64);
        strcpy(data, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n");
        for (i = 0; i < 3000; i++) sprintf(data + strlen(data), "X-H%04u: v\r\n", (unsigned int)i);
        strcat(data, "\r\nabc");
        malformed_responses[11].data = data;
        malformed_responses[11].size = strlen(data);
    }
}

static void check_malformed(IBackgroundCopyJob *job, unsigned int index, const WCHAR *dir, const WCHAR *local)
{
    BG_JOB_PROGRESS progress;
    BG_ERROR_CONTEXT context;
    BG_JOB_STATE state;
    HRESULT hr, code;

    state = wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSIENT_ERROR) | STATE_BIT(BG_JOB_STATE_ERROR) |
                       STATE_BIT(BG_JOB_STATE_TRANSFERRED), FAILURE_TIMEOUT, TRUE);
    ok(state == BG_JOB_STATE_TRANSIENT_ERROR || state == BG_JOB_STATE_ERROR || state == BG_JOB_STATE_TRANSFERRED,
       "state %s.\n", state_name(state));
    if (state == BG_JOB_STATE_TRANSFERRED)
    {
        memset(&progress, 0, sizeof(progress));
        hr = IBackgroundCopyJob_GetProgress(job, &progress);
        ok(hr == S_OK, "GetProgress failed: %#lx.\n", hr);
        hr = IBackgroundCopyJob_Complete(job);
        ok(hr == S_OK, "Complete failed: %#lx.\n", hr);
        ok(file_size(local) == progress.BytesTotal && progress.BytesTotal == progress.BytesTransferred,
           "a file of %I64u bytes for %I64u of %I64u.\n", file_size(local), progress.BytesTransferred,
           progress.BytesTotal);
        trace("transferred, %I64u bytes.\n", progress.BytesTotal);
        /* Of two lengths the first counts, through either client. */
        if (index == 5) ok(progress.BytesTotal == 5, "%I64u bytes of two lengths.\n", progress.BytesTotal);
        DeleteFileW(local);
    }
    else if (get_job_error(job, &context, &code))
    {
        trace("%s, context %u, code %#lx.\n", state_name(state), context, code);
        ok(code_is_sane(code), "got code %#lx.\n", code);
        /* A negative length is no length, not 2^64 - 5 bytes to wait for. */
        if (index == 1)
        {
            memset(&progress, 0, sizeof(progress));
            IBackgroundCopyJob_GetProgress(job, &progress);
            ok(progress.BytesTotal == BG_SIZE_UNKNOWN || progress.BytesTotal <= 3, "%I64u bytes in all.\n",
               progress.BytesTotal);
        }
        check_no_file(local);
        cancel_and_check_clean(job, dir, local);
    }
}

/* A head with a NUL in a header line, which comes in two parts: the head is
 * refused as a whole (a string reader would stop at the NUL and see no end). */
static BOOL split_nul_head_handler(struct httpd_request *request, void *context)
{
    static const char first[] = "HTTP/1.1 200 OK\r\nX-A: a\0b\r\n", rest[] = "Content-Length: 3\r\n\r\nabc";

    httpd_send_raw_part(request, first, sizeof(first) - 1);
    Sleep(200);
    return httpd_respond_raw(request, rest, sizeof(rest) - 1);
}

/* Through the plain client: TRANSIENT_ERROR with
 * ERROR_WINHTTP_INVALID_SERVER_RESPONSE, as for other heads that are not HTTP's. */
static void test_split_nul_head(void)
{
    static const char path[] = "/http/garbage/split-nul.bin";
    WCHAR dir[MAX_PATH], local[MAX_PATH], url[256];
    IBackgroundCopyJob *job;

    if (!make_dir(L"split-nul", dir, ARRAY_SIZE(dir))) return;
    swprintf(local, ARRAY_SIZE(local), L"%lssplit.bin", dir);
    ok(httpd_add_handler(httpd, NULL, path, split_nul_head_handler, NULL), "cannot add the handler.\n");
    httpd_url(httpd, path, url, ARRAY_SIZE(url));
    if (!(job = create_job(L"split-nul"))) return;
    set_retry_delay(job, 60);
    if (add_file(job, url, local) && resume(job)) check_garbage_status(job, 0, dir, local);
    finish_job(job);
}

/* Responses broken inside (lengths that overflow or are negative, bad chunk
 * sizes, impossible Content-Range, a huge status, two lengths, a NUL in a
 * header, headers cut off, huge and many headers): through either client
 * the job ends in an error state, or transferred with as many bytes as it
 * says; the service does not crash or hang, and leaves no stray file. */
static void test_malformed_responses(void)
{
    static struct raw_responses table = { malformed_responses, ARRAY_SIZE(malformed_responses) };
    unsigned int i;

    make_malformed_responses();
    run_raw_responses("/http/garbage/malformed/", L"malformed", &table, check_malformed);
    for (i = 0; i < ARRAY_SIZE(malformed_responses); i++) free((char *)malformed_responses[i].data);
}

/* A job of bytes 1000..5999 of url (AddFileWithRanges) into dir\\ranges.bin
 * must end in ERROR with this code, no file left. */
static void check_ranged_job_fails(const WCHAR *tag, const WCHAR *url, const WCHAR *dir, HRESULT expected)
{
    BG_FILE_RANGE range = { 1000, 5000 };
    WCHAR local[MAX_PATH];
    IBackgroundCopyJob3 *job3;
    IBackgroundCopyJob *job;
    HRESULT hr;

    swprintf(local, ARRAY_SIZE(local), L"%lsranges.bin", dir);
    if (!(job = create_job(tag))) return;
    set_retry_delay(job, 60);
    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob3, (void **)&job3);
    ok(hr == S_OK, "QueryInterface(IBackgroundCopyJob3) failed: %#lx.\n", hr);
    if (FAILED(hr)) goto done;
    hr = IBackgroundCopyJob3_AddFileWithRanges(job3, url, local, 1, &range);
    IBackgroundCopyJob3_Release(job3);
    ok(hr == S_OK, "AddFileWithRanges failed: %#lx.\n", hr);
    if (FAILED(hr) || !resume(job)) goto done;
    if (wait_state(job, STATE_BIT(BG_JOB_STATE_ERROR), FAILURE_TIMEOUT, FALSE) != BG_JOB_STATE_ERROR) goto done;
    hr = job_error_code(job);
    ok(hr == expected, "got code %#lx.\n", hr);
    check_no_file(local);
    cancel_and_check_clean(job, dir, local);
done:
    finish_job(job);
}

/* A server that answers a range request with other bytes than asked
 * for (the range one byte off, Content-Range saying so).  Resuming a whole
 * file, BITS fetches all of it again without Range, which the server does
 * answer right; a range of AddFileWithRanges needs a server that answers
 * ranges: ERROR with BG_E_INVALID_SERVER_RESPONSE (spec 7.5). */
static void test_wrong_content_range(void)
{
    static const ULONGLONG size = 300007;
    static const unsigned int seed = 1801;
    static const char path[] = "/http/garbage/wrong-range.bin";
    struct httpd_resource_options options;
    struct httpd_log_entry entry;
    WCHAR dir[MAX_PATH], local[MAX_PATH], url[256];
    IBackgroundCopyJob *job;
    BG_JOB_STATE state;
    int index;

    if (!make_dir(L"wrong-range", dir, ARRAY_SIZE(dir))) return;
    swprintf(local, ARRAY_SIZE(local), L"%lswrong.bin", dir);
    memset(&options, 0, sizeof(options));
    options.wrong_content_range = TRUE;
    options.drop_count = 1;      /* so that BITS has to resume with a Range request */
    options.drop_after = 100000;
    ok(httpd_add_pattern_resource(httpd, path, size, seed, &options), "cannot add resource.\n");
    httpd_url(httpd, path, url, ARRAY_SIZE(url));

    if (!(job = create_job(L"wrong-range"))) return;
    set_retry_delay(job, 60);
    if (!add_file(job, url, local) || !resume(job)) goto done;
    state = drive_job(job, GARBAGE_TIMEOUT, 3);
    index = -1;
    while ((index = httpd_log_find(httpd, "GET", path, index + 1, &entry)) >= 0)
    {
        char range_header[128] = "";
        httpd_log_header(&entry, "Range", range_header, sizeof(range_header));
        trace("GET: Range %s, status %d, %s body bytes, dropped %d.\n", debugstr_a(range_header), entry.status,
              wine_dbgstr_longlong(entry.body_bytes), entry.dropped);
    }
    ok(state == BG_JOB_STATE_TRANSFERRED, "got state %s.\n", state_name(state));
    check_garbage_outcome(job, state, dir, local, seed, size);
    if (make_dir(L"wrong-ranges", dir, ARRAY_SIZE(dir)))
        check_ranged_job_fails(L"wrong-ranges", url, dir, BG_E_INVALID_SERVER_RESPONSE);
done:
    finish_job(job);
}

/* Answers a Range request with the bytes asked for, as 206, but without the
 * Content-Range that says which they are. */
static BOOL no_content_range_handler(struct httpd_request *request, void *context)
{
    unsigned int seed = (unsigned int)(ULONG_PTR)context;
    unsigned long first, last;
    char range[128];
    BYTE *body;
    BOOL ret;

    if (strcmp(httpd_request_method(request), "GET") ||
        !httpd_request_header(request, "Range", range, sizeof(range)) ||
        sscanf(range, "bytes=%lu-%lu", &first, &last) != 2 || last < first || last - first > 1000000)
        return FALSE;
    if (!(body = malloc(last - first + 1))) return FALSE;
    httpd_pattern_fill(seed, first, body, last - first + 1);
    ret = httpd_respond(request, 206, "Content-Type: application/octet-stream\r\n", body, last - first + 1);
    free(body);
    return ret;
}

/* A range answered without Content-Range: the server does not support
 * ranges as BITS needs (spec 11.1), ERROR with BG_E_INSUFFICIENT_RANGE_SUPPORT. */
static void test_missing_content_range(void)
{
    static const unsigned int seed = 1811;
    static const char path[] = "/http/garbage/no-content-range.bin";
    WCHAR dir[MAX_PATH], url[256];

    if (!make_dir(L"no-content-range", dir, ARRAY_SIZE(dir))) return;
    ok(httpd_add_pattern_resource(httpd, path, 300000, seed, NULL), "cannot add resource.\n");
    ok(httpd_add_handler(httpd, "GET", path, no_content_range_handler, (void *)(ULONG_PTR)seed),
       "cannot add handler.\n");
    httpd_url(httpd, path, url, ARRAY_SIZE(url));
    check_ranged_job_fails(L"no-content-range", url, dir, BG_E_INSUFFICIENT_RANGE_SUPPORT);
}

/* Answers a Range request with a Content-Range for the bytes asked for but a
 * body (and Content-Length) of 10 bytes, the connection kept. */
static BOOL short_206_handler(struct httpd_request *request, void *context)
{
    unsigned long first, last;
    char range[128], headers[128];
    BYTE body[10];

    if (strcmp(httpd_request_method(request), "GET") ||
        !httpd_request_header(request, "Range", range, sizeof(range)) ||
        sscanf(range, "bytes=%lu-%lu", &first, &last) != 2 || last < first)
        return FALSE;
    snprintf(headers, sizeof(headers), "Content-Range: bytes %lu-%lu/300000\r\n", first, last);
    httpd_pattern_fill(1814, first, body, sizeof(body));
    return httpd_respond(request, 206, headers, body, sizeof(body));
}

/* A 206 whose body is shorter than its Content-Range: the reader would take
 * the next response for the rest.  ERROR with BG_E_INVALID_SERVER_RESPONSE. */
static void test_short_206_body(void)
{
    static const char path[] = "/http/garbage/short-206.bin";
    WCHAR dir[MAX_PATH], url[256];

    if (!make_dir(L"short-206", dir, ARRAY_SIZE(dir))) return;
    ok(httpd_add_pattern_resource(httpd, path, 300000, 1814, NULL), "cannot add resource.\n");
    ok(httpd_add_handler(httpd, "GET", path, short_206_handler, NULL), "cannot add handler.\n");
    httpd_url(httpd, path, url, ARRAY_SIZE(url));
    check_ranged_job_fails(L"short-206", url, dir, BG_E_INVALID_SERVER_RESPONSE);
}

/* A range (bytes 1000..5999, check_ranged_job_fails) outside the remote file:
 * ERROR with BG_E_INVALID_RANGE (behavior.md 7.5), both for one that runs
 * past the end (the server sends what there is, 206 for bytes 1000..2999)
 * and for one that starts past it (416). */
static void test_range_outside_file(void)
{
    static const char past_end[] = "/http/ranges/past-end.bin", after_end[] = "/http/ranges/after-end.bin";
    WCHAR dir[MAX_PATH], url[256];

    if (!make_dir(L"range-outside", dir, ARRAY_SIZE(dir))) return;
    ok(httpd_add_pattern_resource(httpd, past_end, 3000, 1812, NULL), "cannot add resource.\n");
    ok(httpd_add_pattern_resource(httpd, after_end, 500, 1813, NULL), "cannot add resource.\n");
    check_ranged_job_fails(L"range-past-end", httpd_url(httpd, past_end, url, ARRAY_SIZE(url)), dir,
                           BG_E_INVALID_RANGE);
    check_ranged_job_fails(L"range-after-end", httpd_url(httpd, after_end, url, ARRAY_SIZE(url)), dir,
                           BG_E_INVALID_RANGE);
}

/* An interim answer (1xx, here 103 Early Hints) before the real one is no
 * answer yet (RFC 9110 15.2): the file comes with the 200 after it. */
struct canned_body
{
    const BYTE *body;
    size_t size;
};

static BOOL interim_handler(struct httpd_request *request, void *context)
{
    const struct canned_body *server = context;

    if (strcmp(httpd_request_method(request), "GET")) return FALSE;
    httpd_send_interim(request, 103);
    return httpd_respond(request, 200, "Content-Type: application/octet-stream\r\n"
                         "Last-Modified: " HTTPD_DEFAULT_LAST_MODIFIED "\r\n", server->body, server->size);
}

static void test_interim_response(void)
{
    static const unsigned int seed = 1821;
    static const char path[] = "/http/interim.bin";
    static struct canned_body server;
    static BYTE body[30011];
    WCHAR dir[MAX_PATH], local[MAX_PATH], url[256];
    IBackgroundCopyJob *job;

    if (!make_dir(L"interim", dir, ARRAY_SIZE(dir))) return;
    swprintf(local, ARRAY_SIZE(local), L"%lsinterim.bin", dir);
    httpd_pattern_fill(seed, 0, body, sizeof(body));
    server.body = body;
    server.size = sizeof(body);
    ok(httpd_add_handler(httpd, "GET", path, interim_handler, &server), "cannot add handler.\n");
    httpd_url(httpd, path, url, ARRAY_SIZE(url));
    if (!(job = create_job(L"interim"))) return;
    set_retry_delay(job, 60);
    if (add_file(job, url, local) && resume(job)) transfer_and_check(job, local, seed, sizeof(body));
    finish_job(job);
}

/* 3xx answers that are no redirect to follow are HTTP errors like others
 * (spec 17.3), here 304 and 300 (with a Location, which WinHTTP does not
 * follow): fatal (5.2), and the remote name stays as it was (ALLOW_SILENT).
 * (A 302 without Location is the same on Windows; Wine 8's WinHTTP fails
 * it with HEADER_NOT_FOUND, looking for the Location.) */
static void test_unfollowed_3xx(void)
{
    static const struct { int status; HRESULT code; } cases[] =
    {
        { 304, BG_E_HTTP_ERROR_304 },
        { 300, BG_E_HTTP_ERROR_300 },
    };
    struct httpd_resource_options options;
    WCHAR dir[MAX_PATH], local[MAX_PATH], url[256], tag[32];
    IBackgroundCopyJob *job;
    char path[64];
    unsigned int i;
    HRESULT hr;

    for (i = 0; i < ARRAY_SIZE(cases); i++)
    {
        winetest_push_context("%d", cases[i].status);
        swprintf(tag, ARRAY_SIZE(tag), L"status-%d", cases[i].status);
        sprintf(path, "/http/status-%d.bin", cases[i].status);
        memset(&options, 0, sizeof(options));
        options.status = cases[i].status;
        options.location = "/http/elsewhere.bin";
        ok(httpd_add_pattern_resource(httpd, path, 1000, 1831, &options), "cannot add resource.\n");
        httpd_url(httpd, path, url, ARRAY_SIZE(url));
        if (make_dir(tag, dir, ARRAY_SIZE(dir)) && (job = create_job(tag)))
        {
            swprintf(local, ARRAY_SIZE(local), L"%lsstatus.bin", dir);
            set_retry_delay(job, 60);
            if (add_file(job, url, local) && resume(job) &&
                wait_state(job, STATE_BIT(BG_JOB_STATE_ERROR), FAILURE_TIMEOUT, FALSE) == BG_JOB_STATE_ERROR)
            {
                hr = job_error_code(job);
                ok(hr == cases[i].code, "got code %#lx.\n", hr);
                check_remote_name(job, url);
            }
            finish_job(job);
        }
        winetest_pop_context();
    }
}

/* No Content-Length (body up to the end of the connection, or chunked):
 * BG_E_MISSING_FILE_SIZE, unless the job has DYNAMIC_CONTENT (spec 11.1, 13). */
static void test_missing_length(void)
{
    static const ULONGLONG size = 60013;
    static const struct { enum httpd_length_mode mode; const char *tag; } modes[] =
    {
        { HTTPD_LENGTH_CLOSE, "close-delimited" },
        { HTTPD_LENGTH_CHUNKED, "chunked" },
    };
    struct httpd_resource_options options;
    WCHAR dir[MAX_PATH], local[MAX_PATH], url[256], tag[16];
    BITS_JOB_PROPERTY_VALUE value;
    IBackgroundCopyJob5 *job5;
    IBackgroundCopyJob *job;
    BG_JOB_STATE state;
    unsigned int i, seed;
    char path[64];
    HRESULT hr;

    for (i = 0; i < ARRAY_SIZE(modes); i++)
    {
        winetest_push_context("%s", modes[i].tag);
        seed = 1901 + i;
        sprintf(path, "/http/no-length/%u.bin", i);
        memset(&options, 0, sizeof(options));
        options.length_mode = modes[i].mode;
        ok(httpd_add_pattern_resource(httpd, path, size, seed, &options), "cannot add resource.\n");
        httpd_url(httpd, path, url, ARRAY_SIZE(url));

        /* A plain job needs the file size. */
        swprintf(tag, ARRAY_SIZE(tag), L"static%u", i);
        if (make_dir(tag, dir, ARRAY_SIZE(dir)) && (job = create_job(L"no-length")))
        {
            swprintf(local, ARRAY_SIZE(local), L"%lsstatic.bin", dir);
            set_retry_delay(job, 60);
            if (add_file(job, url, local) && resume(job))
            {
                state = wait_state(job, STATE_BIT(BG_JOB_STATE_ERROR) | STATE_BIT(BG_JOB_STATE_TRANSIENT_ERROR),
                                   FAILURE_TIMEOUT, FALSE);
                if (state == BG_JOB_STATE_ERROR || state == BG_JOB_STATE_TRANSIENT_ERROR)
                {
                    hr = job_error_code(job);
                    ok(hr == BG_E_MISSING_FILE_SIZE, "got code %#lx.\n", hr);
                    cancel_and_check_clean(job, dir, local);
                }
            }
            finish_job(job);
        }

        /* DYNAMIC_CONTENT, set before the first Resume: no size needed. */
        swprintf(tag, ARRAY_SIZE(tag), L"dynamic%u", i);
        if (make_dir(tag, dir, ARRAY_SIZE(dir)) && (job = create_job(L"dynamic")))
        {
            if ((job5 = query_optional(job, &IID_IBackgroundCopyJob5, "IBackgroundCopyJob5")))
            {
                memset(&value, 0, sizeof(value));
                value.Enable = TRUE;
                hr = IBackgroundCopyJob5_SetProperty(job5, BITS_JOB_PROPERTY_DYNAMIC_CONTENT, value);
                ok(hr == S_OK, "SetProperty(DYNAMIC_CONTENT) failed: %#lx.\n", hr);
                memset(&value, 0, sizeof(value));
                hr = IBackgroundCopyJob5_GetProperty(job5, BITS_JOB_PROPERTY_DYNAMIC_CONTENT, &value);
                ok(hr == S_OK, "GetProperty(DYNAMIC_CONTENT) failed: %#lx.\n", hr);
                ok(value.Enable == TRUE, "got dynamic content %d.\n", value.Enable);
                IBackgroundCopyJob5_Release(job5);
                swprintf(local, ARRAY_SIZE(local), L"%lsdynamic.bin", dir);
                if (add_file(job, url, local) && resume(job)
                    && wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSFERRED), TRANSFER_TIMEOUT, FALSE)
                       == BG_JOB_STATE_TRANSFERRED)
                {
                    /* BytesTotal of dynamic content is not documented; the file is. */
                    hr = IBackgroundCopyJob_Complete(job);
                    ok(hr == S_OK, "Complete failed: %#lx.\n", hr);
                    check_state(job, BG_JOB_STATE_ACKNOWLEDGED);
                    check_pattern_file(local, seed, size);
                }
            }
            finish_job(job);
        }
        winetest_pop_context();
    }
}

/* What the server answers to the custom verb. */
struct method_server
{
    volatile LONG status;
    volatile LONG unsized;  /* the body without Content-Length, to the end of the connection */
    const BYTE *body;
    size_t size;
};

static BOOL method_handler(struct httpd_request *request, void *context)
{
    struct method_server *server = context;
    LONG status = server->status;

    if (status == 200 && server->unsized)
        httpd_respond_until_close(request, 200, "Content-Type: application/octet-stream\r\n", server->body,
                                  server->size);
    else if (status == 200)
        httpd_respond(request, 200, "Content-Type: application/octet-stream\r\n", server->body, server->size);
    else
        httpd_respond(request, status, "Content-Type: text/plain\r\n", "busy\n", 5);
    return TRUE;
}

/* The pattern of seed as the answer to verb at path (the server's own
 * resource there, for GET and HEAD, is of resource_seed). */
static void serve_method(struct method_server *server, BYTE *body, size_t size, unsigned int seed, LONG status,
                         const char *verb, const char *path, unsigned int resource_seed)
{
    httpd_pattern_fill(seed, 0, body, size);
    server->body = body;
    server->size = size;
    server->status = status;
    ok(httpd_add_pattern_resource(httpd, path, size, resource_seed, NULL), "cannot add resource.\n");
    ok(httpd_add_handler(httpd, verb, path, method_handler, server), "cannot add handler.\n");
}

/* A job of one file fetched with a custom verb; NULL on failure. */
static IBackgroundCopyJob *method_job(const WCHAR *tag, const WCHAR *verb, const WCHAR *url, const WCHAR *local)
{
    IBackgroundCopyJobHttpOptions2 *options2;
    IBackgroundCopyJob *job;
    HRESULT hr;

    if (!(job = create_job(tag))) return NULL;
    set_retry_delay(job, 60);
    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJobHttpOptions2, (void **)&options2);
    ok(hr == S_OK, "QueryInterface(IBackgroundCopyJobHttpOptions2) failed: %#lx.\n", hr);
    if (SUCCEEDED(hr))
    {
        hr = IBackgroundCopyJobHttpOptions2_SetHttpMethod(options2, verb);
        ok(hr == S_OK, "SetHttpMethod(%s) failed: %#lx.\n", wine_dbgstr_w(verb), hr);
        IBackgroundCopyJobHttpOptions2_Release(options2);
    }
    if (FAILED(hr) || !add_file(job, url, local))
    {
        finish_job(job);
        return NULL;
    }
    return job;
}

/* SetHttpMethod (spec 11.7, interfaces 5.2). */
static void test_http_method(void)
{
    static const ULONGLONG size = 50021;  /* the size of body */
    static const unsigned int seed = 2001, resource_seed = 2002;
    static const char path[] = "/http/method/custom.bin";
    static struct method_server server;
    static BYTE body[50021];
    IBackgroundCopyJobHttpOptions2 *options2;
    struct httpd_log_entry entry;
    WCHAR dir[MAX_PATH], local[MAX_PATH], url[256], *str;
    BG_JOB_PRIORITY priority;
    IBackgroundCopyJob *job;
    unsigned int start, count;
    int index;
    HRESULT hr;

    if (!make_dir(L"method", dir, ARRAY_SIZE(dir))) return;

    /* The default verb: a no-op, the priority stays free. */
    if (!(job = create_job(L"method-get"))) return;
    options2 = query_optional(job, &IID_IBackgroundCopyJobHttpOptions2, "IBackgroundCopyJobHttpOptions2");
    if (!options2)
    {
        finish_job(job);
        return;
    }
    hr = IBackgroundCopyJobHttpOptions2_SetHttpMethod(options2, L"GET");
    ok(hr == S_OK, "SetHttpMethod(GET) failed: %#lx.\n", hr);
    str = NULL;
    hr = IBackgroundCopyJobHttpOptions2_GetHttpMethod(options2, &str);
    ok(hr == S_OK, "GetHttpMethod failed: %#lx.\n", hr);
    ok(str && !wcscmp(str, L"GET"), "got method %s.\n", wine_dbgstr_w(str));
    CoTaskMemFree(str);
    IBackgroundCopyJobHttpOptions2_Release(options2);
    priority = 0xdead;
    hr = IBackgroundCopyJob_GetPriority(job, &priority);
    ok(hr == S_OK, "GetPriority failed: %#lx.\n", hr);
    ok(priority == BG_JOB_PRIORITY_NORMAL, "got priority %d.\n", priority);
    hr = IBackgroundCopyJob_SetPriority(job, BG_JOB_PRIORITY_LOW);
    ok(hr == S_OK, "SetPriority(LOW) failed: %#lx.\n", hr);
    priority = 0xdead;
    hr = IBackgroundCopyJob_GetPriority(job, &priority);
    ok(hr == S_OK, "GetPriority failed: %#lx.\n", hr);
    ok(priority == BG_JOB_PRIORITY_LOW, "got priority %d.\n", priority);
    finish_job(job);

    /* A custom verb: the server's answer to it is the file.  Another
     * version of the file is there for GET and HEAD. */
    serve_method(&server, body, size, seed, 503, "QMGRGET", path, resource_seed);
    httpd_url(httpd, path, url, ARRAY_SIZE(url));
    swprintf(local, ARRAY_SIZE(local), L"%lscustom.bin", dir);

    if (!(job = create_job(L"method-custom"))) return;
    set_retry_delay(job, 60);
    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJobHttpOptions2, (void **)&options2);
    ok(hr == S_OK, "QueryInterface(IBackgroundCopyJobHttpOptions2) failed: %#lx.\n", hr);
    if (FAILED(hr)) goto done;
    hr = IBackgroundCopyJobHttpOptions2_SetHttpMethod(options2, L"QMGRGET");
    ok(hr == S_OK, "SetHttpMethod(QMGRGET) failed: %#lx.\n", hr);
    str = NULL;
    hr = IBackgroundCopyJobHttpOptions2_GetHttpMethod(options2, &str);
    ok(hr == S_OK, "GetHttpMethod failed: %#lx.\n", hr);
    ok(str && !wcscmp(str, L"QMGRGET"), "got method %s.\n", wine_dbgstr_w(str));
    CoTaskMemFree(str);
    IBackgroundCopyJobHttpOptions2_Release(options2);

    /* FOREGROUND, and it cannot be changed. */
    priority = 0xdead;
    hr = IBackgroundCopyJob_GetPriority(job, &priority);
    ok(hr == S_OK, "GetPriority failed: %#lx.\n", hr);
    ok(priority == BG_JOB_PRIORITY_FOREGROUND, "got priority %d.\n", priority);
    hr = IBackgroundCopyJob_SetPriority(job, BG_JOB_PRIORITY_LOW);
    trace("SetPriority(LOW) with a custom verb returned %#lx.\n", hr);
    priority = 0xdead;
    hr = IBackgroundCopyJob_GetPriority(job, &priority);
    ok(hr == S_OK, "GetPriority failed: %#lx.\n", hr);
    ok(priority == BG_JOB_PRIORITY_FOREGROUND, "got priority %d after SetPriority(LOW).\n", priority);

    /* A 503 is normally transient; with a custom verb it is an ERROR. */
    start = httpd_log_count(httpd);
    if (!add_file(job, url, local) || !resume(job)) goto done;
    if (wait_state(job, STATE_BIT(BG_JOB_STATE_ERROR), FAILURE_TIMEOUT, FALSE) != BG_JOB_STATE_ERROR)
        goto done;
    hr = job_error_code(job);
    ok(hr == BG_E_HTTP_ERROR_503, "got code %#lx.\n", hr);
    check_no_file(local);

    /* Resume starts again; now the server answers. */
    InterlockedExchange(&server.status, 200);
    if (!resume(job)) goto done;
    if (!transfer_and_check(job, local, seed, size)) goto done;
    count = 0;
    index = start - 1;
    while ((index = httpd_log_find(httpd, "QMGRGET", path, index + 1, &entry)) >= 0) count++;
    ok(count >= 2, "the server got %u requests with the custom verb.\n", count);
    ok(httpd_log_find(httpd, "GET", path, start, &entry) < 0, "the server got a GET.\n");
    finish_job(job);

    /* The answer to a custom verb needs no Content-Length (11.1). */
    InterlockedExchange(&server.unsized, 1);
    swprintf(local, ARRAY_SIZE(local), L"%lsunsized.bin", dir);
    if (!(job = method_job(L"method-unsized", L"QMGRGET", url, local))) return;
    if (resume(job)) transfer_and_check(job, local, seed, size);
    finish_job(job);

    /* A server that cannot be reached: normally transient, with a custom verb an ERROR. */
    swprintf(local, ARRAY_SIZE(local), L"%lsunreachable.bin", dir);
    if (!(job = method_job(L"method-unreachable", L"QMGRGET", L"http://127.0.0.1:1/unreachable.bin", local))) return;
    if (resume(job))
    {
        ok(wait_state(job, STATE_BIT(BG_JOB_STATE_ERROR), FAILURE_TIMEOUT, FALSE) == BG_JOB_STATE_ERROR,
           "the job is not in ERROR.\n");
        check_no_file(local);
        /* Cancelled, the job answers as any final job does, before the verb's lock. */
        hr = IBackgroundCopyJob_Cancel(job);
        ok(hr == S_OK, "Cancel failed: %#lx.\n", hr);
        hr = IBackgroundCopyJob_SetPriority(job, BG_JOB_PRIORITY_NORMAL);
        ok(hr == BG_E_INVALID_STATE, "SetPriority of a cancelled job returned %#lx.\n", hr);
    }
done:
    finish_job(job);
}

/* A redirect for any verb (the server's resources answer only GET and HEAD). */
struct verb_redirect
{
    int status;
    char headers[300];
};

static BOOL verb_redirect_handler(struct httpd_request *request, void *context)
{
    const struct verb_redirect *redirect = context;

    httpd_respond(request, redirect->status, redirect->headers, "Moved\n", 6);
    return TRUE;
}

/* A custom verb through redirects (RFC 9110 15.4, as WinHTTP): a 303, and a
 * 301 or 302 of a POST, ask the new URL with GET; 307 and 308 keep the verb. */
static void test_method_redirects(void)
{
    static const ULONGLONG size = 30011;  /* the size of body */
    static const unsigned int seed = 2011;
    static const char target_path[] = "/http/method-redirect/target.bin";
    static const int statuses[] = { 301, 302, 303, 307, 308 };
    static struct verb_redirect redirects[ARRAY_SIZE(statuses)];
    static struct method_server server;
    static BYTE body[30011];
    WCHAR dir[MAX_PATH], local[MAX_PATH], url[256];
    char from_path[64], target_url[256];
    const char *verb, *other;
    IBackgroundCopyJob *job;
    unsigned int i, start;

    if (!make_dir(L"method-redirect", dir, ARRAY_SIZE(dir))) return;
    /* GET and POST of the target both give the file. */
    serve_method(&server, body, size, seed, 200, "POST", target_path, seed);
    httpd_url_a(httpd, target_path, target_url, sizeof(target_url));
    for (i = 0; i < ARRAY_SIZE(statuses); i++)
    {
        winetest_push_context("%d", statuses[i]);
        redirects[i].status = statuses[i];
        snprintf(redirects[i].headers, sizeof(redirects[i].headers),
                 "Location: %s\r\nContent-Type: text/plain\r\n", target_url);
        sprintf(from_path, "/http/method-redirect/from-%d.bin", statuses[i]);
        ok(httpd_add_handler(httpd, NULL, from_path, verb_redirect_handler, &redirects[i]), "cannot add handler.\n");
        httpd_url(httpd, from_path, url, ARRAY_SIZE(url));
        swprintf(local, ARRAY_SIZE(local), L"%lsfrom-%d.bin", dir, statuses[i]);
        start = httpd_log_count(httpd);
        if (!(job = method_job(L"method-redirect", L"POST", url, local)) || !resume(job) ||
            !transfer_and_check(job, local, seed, size))
            goto next;
        ok(httpd_log_find(httpd, "POST", from_path, start, NULL) >= 0, "the server got no POST of %s.\n", from_path);
        verb = statuses[i] == 307 || statuses[i] == 308 ? "POST" : "GET";
        other = statuses[i] == 307 || statuses[i] == 308 ? "GET" : "POST";
        ok(httpd_log_find(httpd, verb, target_path, start, NULL) >= 0, "the target got no %s.\n", verb);
        ok(httpd_log_find(httpd, other, target_path, start, NULL) < 0, "the target got a %s.\n", other);
next:
        finish_job(job);
        winetest_pop_context();
    }
}

/* SetCredentials for NTLM and Negotiate, against a server (or proxy) that
 * knows one account, QMGRTEST\bitsuser, and recomputes its NTLMv2 response, so
 * only the right password passes:
 * - with a name and password, those answer the challenge; the Credential
 *   Manager holds a wrong password for the host meanwhile, so that nothing
 *   but the job's credentials can pass;
 * - with NULL name and password (implicit), the identity the transfer runs
 *   as answers: the helper token's with BG_TOKEN_NETWORK, else the owner's,
 *   with its credentials for the host from the Credential Manager (what
 *   "cmdkey /add:127.0.0.1" stores); implicit proxy credentials answer the
 *   server too, unless the job has explicit server credentials (the
 *   "Authentication" page of the BITS docs).
 * The Negotiate server offers "Negotiate" and takes the same NTLM messages:
 * Kerberos cannot be used for a server named by its address. */
static struct proxy_server windows_auth_proxy_server;

enum windows_auth_credentials
{
    CREDENTIALS_NONE,
    CREDENTIALS_IMPLICIT,   /* SetCredentials(scheme, NULL, NULL) */
    CREDENTIALS_EXPLICIT,   /* SetCredentials(scheme, QMGRTEST\bitsuser, password) */
    /* Implicit credentials for the proxy target only, and no proxy: they answer
     * the server too, unless the job has explicit server credentials, as with
     * the second (Basic ones here). */
    CREDENTIALS_IMPLICIT_PROXY,
    CREDENTIALS_IMPLICIT_PROXY_BASIC_SERVER,
    /* No SetCredentials, the Job5 property USE_STORED_CREDENTIALS for the proxy:
     * the identity's credentials answer the proxy (behavior.md 13). */
    CREDENTIALS_STORED_PROXY,
};

struct windows_auth_case
{
    const WCHAR *tag;
    BG_AUTH_SCHEME scheme;
    enum windows_auth_credentials credentials;
    BOOL helper;            /* a helper token with BG_TOKEN_NETWORK */
    const WCHAR *password;  /* the job's (explicit), else the one stored for 127.0.0.1 */
    BOOL accepted;
};

#define WINDOWS_AUTH_PASSWORD L"Qmgr-ntlm-1"

static void run_windows_auth(const struct windows_auth_case *test, struct httpd *proxy)
{
    static const ULONGLONG size = 80021;  /* the size of proxy_body */
    static const unsigned int seed = 1409;
    static BYTE proxy_body[80021];
    static char proxied_path[64];
    struct httpd *server = proxy ? proxy : httpd;
    const char *scheme_name = test->scheme == BG_AUTH_SCHEME_NTLM ? "NTLM" : "Negotiate";
    WCHAR dir[MAX_PATH], local[MAX_PATH], url[256], list[64];
    struct httpd_log_entry entry;
    BG_AUTH_CREDENTIALS creds;
    IBackgroundCopyJob2 *job2 = NULL;
    IBackgroundCopyJob *job;
    unsigned int start;
    char path[64], value[16], expect[16];
    const char *field = proxy ? "Proxy-Authorization" : "Authorization";
    int denied = proxy ? 407 : 401;
    HRESULT hr;
    int index;

    winetest_push_context("%ls", test->tag);
    ok(ntlm_server_store_host_password(test->credentials == CREDENTIALS_EXPLICIT ? L"not-the-password" : test->password),
       "CredWrite failed: %lu.\n", GetLastError());

    if (proxy)
    {
        /* Only the proxy knows the host, so only the proxy can have served the file. */
        sprintf(proxied_path, "/windows-auth-proxy/%ls.bin", test->tag);
        httpd_pattern_fill(seed, 0, proxy_body, size);
        windows_auth_proxy_server.path = proxied_path;
        windows_auth_proxy_server.body = proxy_body;
        windows_auth_proxy_server.size = size;
        swprintf(url, ARRAY_SIZE(url), L"http://" PROXY_HOST_W L"%hs", proxied_path);
        swprintf(list, ARRAY_SIZE(list), L"127.0.0.1:%u", httpd_port(proxy));
    }
    else
    {
        sprintf(path, "/%s/%ls.bin", test->scheme == BG_AUTH_SCHEME_NTLM ? "ntlm" : "negotiate", test->tag);
        ok(httpd_add_pattern_resource(httpd, path, size, seed, NULL), "cannot add resource.\n");
        httpd_url(httpd, path, url, ARRAY_SIZE(url));
    }
    ntlm_server_reset();

    swprintf(local, ARRAY_SIZE(local), L"%ls%ls", proxy ? L"proxy-" : L"", test->tag);
    if (!make_dir(local, dir, ARRAY_SIZE(dir))) goto done;
    swprintf(local, ARRAY_SIZE(local), L"%lsauth.bin", dir);
    if (!(job = create_job(test->tag))) goto done;
    set_retry_delay(job, 60);
    if (proxy)
    {
        hr = IBackgroundCopyJob_SetProxySettings(job, BG_JOB_PROXY_USAGE_OVERRIDE, list, NULL);
        ok(hr == S_OK, "SetProxySettings(OVERRIDE) failed: %#lx.\n", hr);
    }
    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob2, (void **)&job2);
    ok(hr == S_OK, "QueryInterface(IBackgroundCopyJob2) failed: %#lx.\n", hr);
    if (FAILED(hr)) goto next;
    if (test->credentials == CREDENTIALS_STORED_PROXY)
    {
        IBackgroundCopyJob5 *job5;
        BITS_JOB_PROPERTY_VALUE property;

        hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob5, (void **)&job5);
        ok(hr == S_OK, "QueryInterface(IBackgroundCopyJob5) failed: %#lx.\n", hr);
        if (SUCCEEDED(hr))
        {
            property.Target = BG_AUTH_TARGET_PROXY;
            hr = IBackgroundCopyJob5_SetProperty(job5, BITS_JOB_PROPERTY_USE_STORED_CREDENTIALS, property);
            ok(hr == S_OK, "SetProperty(USE_STORED_CREDENTIALS) failed: %#lx.\n", hr);
            IBackgroundCopyJob5_Release(job5);
        }
    }
    else if (test->credentials != CREDENTIALS_NONE)
    {
        memset(&creds, 0, sizeof(creds));
        creds.Target = proxy || test->credentials >= CREDENTIALS_IMPLICIT_PROXY ? BG_AUTH_TARGET_PROXY
                                                                               : BG_AUTH_TARGET_SERVER;
        creds.Scheme = test->scheme;
        if (test->credentials == CREDENTIALS_EXPLICIT)
        {
            creds.Credentials.Basic.UserName = (WCHAR *)L"QMGRTEST\\bitsuser";
            creds.Credentials.Basic.Password = (WCHAR *)test->password;
        }
        hr = IBackgroundCopyJob2_SetCredentials(job2, &creds);
        ok(hr == S_OK, "SetCredentials failed: %#lx.\n", hr);
    }
    if (test->credentials == CREDENTIALS_IMPLICIT_PROXY_BASIC_SERVER)
    {
        memset(&creds, 0, sizeof(creds));
        creds.Target = BG_AUTH_TARGET_SERVER;
        creds.Scheme = BG_AUTH_SCHEME_BASIC;
        creds.Credentials.Basic.UserName = (WCHAR *)L"QMGRTEST\\bitsuser";
        creds.Credentials.Basic.Password = (WCHAR *)test->password;
        hr = IBackgroundCopyJob2_SetCredentials(job2, &creds);
        ok(hr == S_OK, "SetCredentials(Basic) failed: %#lx.\n", hr);
    }
    if (test->helper && !set_helper_token(job, BG_TOKEN_NETWORK)) goto next;
    start = httpd_log_count(server);
    if (!add_file(job, url, local) || !resume(job)) goto next;

    if (test->accepted)
    {
        if (!transfer_and_check(job, local, seed, size)) goto next;
        EnterCriticalSection(&ntlm_server.cs);
        ok(ntlm_server.negotiates >= 1, "the server got %u negotiate messages.\n", ntlm_server.negotiates);
        ok(ntlm_server.accepted >= 1, "the server accepted %u answers.\n", ntlm_server.accepted);
        ok(!ntlm_server.refused, "the server refused %u answers.\n", ntlm_server.refused);
        ok(!wcsicmp(ntlm_server.last_user, L"bitsuser") && !wcsicmp(ntlm_server.last_domain, L"QMGRTEST"),
           "got %ls\\%ls.\n", ntlm_server.last_domain, ntlm_server.last_user);
        LeaveCriticalSection(&ntlm_server.cs);
        /* The log shows the handshake: an offer, then the answers in the
         * scheme offered, the first of them refused with the challenge.  (The
         * proxy gets only these requests, in absolute form.) */
        snprintf(expect, sizeof(expect), "%s ", scheme_name);
        index = httpd_log_find(server, "GET", proxy ? NULL : path, start, &entry);
        ok(index >= 0 && entry.status == denied && !httpd_log_header(&entry, field, value, sizeof(value)),
           "first request: status %d.\n", entry.status);
        /* Wine's WinHTTP asks once more without credentials before it answers
         * with the job's explicit ones; that costs a round trip, nothing else. */
        while ((index = httpd_log_find(server, "GET", proxy ? NULL : path, index + 1, &entry)) >= 0 &&
               !httpd_log_header(&entry, field, value, sizeof(value)))
            ok(entry.status == denied, "request %d without credentials: status %d.\n", index, entry.status);
        ok(index >= 0 && entry.status == denied && !strncmp(value, expect, strlen(expect)),
           "first answer: status %d, %s.\n", entry.status, index >= 0 ? value : "none");
        goto next;
    }

    if (wait_state(job, STATE_BIT(BG_JOB_STATE_ERROR), FAILURE_TIMEOUT, FALSE) != BG_JOB_STATE_ERROR) goto next;
    hr = job_error_code(job);
    ok(hr == (proxy ? BG_E_HTTP_ERROR_407 : BG_E_HTTP_ERROR_401), "got code %#lx.\n", hr);
    check_no_file(local);
    EnterCriticalSection(&ntlm_server.cs);
    ok(!ntlm_server.accepted, "the server accepted %u answers.\n", ntlm_server.accepted);
    if (test->credentials != CREDENTIALS_NONE && test->credentials != CREDENTIALS_IMPLICIT_PROXY_BASIC_SERVER &&
        test->credentials != CREDENTIALS_STORED_PROXY)
        ok(ntlm_server.refused >= 1, "the server refused %u answers.\n", ntlm_server.refused);
    else ok(!ntlm_server.negotiates, "the server got %u negotiate messages.\n", ntlm_server.negotiates);
    LeaveCriticalSection(&ntlm_server.cs);
    cancel_and_check_clean(job, dir, local);
next:
    if (job2) IBackgroundCopyJob2_Release(job2);
    finish_job(job);
done:
    ok(ntlm_server_forget_host_password(), "CredDelete failed: %lu.\n", GetLastError());
    winetest_pop_context();
}

static void test_windows_auth(void)
{
    static const struct windows_auth_case cases[] =
    {
        { L"ntlm-helper", BG_AUTH_SCHEME_NTLM, CREDENTIALS_IMPLICIT, TRUE, WINDOWS_AUTH_PASSWORD, TRUE },
        { L"ntlm-owner", BG_AUTH_SCHEME_NTLM, CREDENTIALS_IMPLICIT, FALSE, WINDOWS_AUTH_PASSWORD, TRUE },
        { L"ntlm-wrong", BG_AUTH_SCHEME_NTLM, CREDENTIALS_IMPLICIT, TRUE, L"wrong-password", FALSE },
        { L"ntlm-none", BG_AUTH_SCHEME_NTLM, CREDENTIALS_NONE, TRUE, WINDOWS_AUTH_PASSWORD, FALSE },
        { L"ntlm-explicit", BG_AUTH_SCHEME_NTLM, CREDENTIALS_EXPLICIT, FALSE, WINDOWS_AUTH_PASSWORD, TRUE },
        { L"ntlm-explicit-wrong", BG_AUTH_SCHEME_NTLM, CREDENTIALS_EXPLICIT, FALSE, L"wrong-password", FALSE },
        { L"negotiate-helper", BG_AUTH_SCHEME_NEGOTIATE, CREDENTIALS_IMPLICIT, TRUE, WINDOWS_AUTH_PASSWORD, TRUE },
        { L"negotiate-wrong", BG_AUTH_SCHEME_NEGOTIATE, CREDENTIALS_IMPLICIT, FALSE, L"wrong-password", FALSE },
        { L"negotiate-explicit", BG_AUTH_SCHEME_NEGOTIATE, CREDENTIALS_EXPLICIT, FALSE, WINDOWS_AUTH_PASSWORD, TRUE },
        { L"negotiate-explicit-wrong", BG_AUTH_SCHEME_NEGOTIATE, CREDENTIALS_EXPLICIT, FALSE, L"wrong-password", FALSE },
        { L"ntlm-proxy-implicit", BG_AUTH_SCHEME_NTLM, CREDENTIALS_IMPLICIT_PROXY, TRUE, WINDOWS_AUTH_PASSWORD, TRUE },
        { L"negotiate-proxy-implicit", BG_AUTH_SCHEME_NEGOTIATE, CREDENTIALS_IMPLICIT_PROXY, FALSE, WINDOWS_AUTH_PASSWORD,
          TRUE },
        { L"ntlm-proxy-implicit-basic", BG_AUTH_SCHEME_NTLM, CREDENTIALS_IMPLICIT_PROXY_BASIC_SERVER, TRUE,
          WINDOWS_AUTH_PASSWORD, FALSE },
        /* Proxy only (below): what the property is for. */
        { L"ntlm-stored", BG_AUTH_SCHEME_NTLM, CREDENTIALS_STORED_PROXY, FALSE, WINDOWS_AUTH_PASSWORD, TRUE },
    };
    static const unsigned int server_cases = ARRAY_SIZE(cases) - 1, proxy_cases[] = { 0, 2, 4, 5, 8, 13 };
    /* The property is for proxies alone (behavior.md 13): a server's challenge gets nothing. */
    static const struct windows_auth_case stored_server =
        { L"ntlm-stored-server", BG_AUTH_SCHEME_NTLM, CREDENTIALS_STORED_PROXY, FALSE, WINDOWS_AUTH_PASSWORD, FALSE };
    struct httpd *proxy;
    unsigned int i;

    ntlm_server_init(L"QMGRTEST", L"bitsuser", WINDOWS_AUTH_PASSWORD);
    ok(ntlm_server_install(httpd, "/ntlm/", FALSE, "NTLM"), "cannot install the NTLM handler.\n");
    ok(ntlm_server_install(httpd, "/negotiate/", FALSE, "Negotiate"), "cannot install the Negotiate handler.\n");
    for (i = 0; i < server_cases; i++) run_windows_auth(&cases[i], NULL);
    run_windows_auth(&stored_server, NULL);

    /* The same through proxies that want NTLM or Negotiate: Proxy-Authorization, 407. */
    for (i = 0; i < ARRAY_SIZE(proxy_cases); i++)
    {
        const struct windows_auth_case *test = &cases[proxy_cases[i]];

        if (!(proxy = httpd_start()))
        {
            ok(0, "cannot start the proxy server.\n");
            return;
        }
        ok(ntlm_server_install(proxy, "http://" PROXY_HOST, TRUE,
                               test->scheme == BG_AUTH_SCHEME_NTLM ? "NTLM" : "Negotiate"),
           "cannot install the handler.\n");
        ok(httpd_add_handler(proxy, NULL, "http://" PROXY_HOST, proxy_handler, &windows_auth_proxy_server),
           "cannot add handler.\n");
        run_windows_auth(test, proxy);
        httpd_stop(proxy);
    }
}

/* A registry DWORD as it was, to put back. */
struct saved_dword
{
    const WCHAR *key, *name;
    BOOL present;
    DWORD value;
};

static void save_dword(struct saved_dword *saved, const WCHAR *key, const WCHAR *name)
{
    DWORD size = sizeof(saved->value);

    saved->key = key;
    saved->name = name;
    saved->present = !RegGetValueW(HKEY_LOCAL_MACHINE, key, name, RRF_RT_REG_DWORD, NULL, &saved->value, &size);
}

static BOOL set_dword(const WCHAR *key, const WCHAR *name, DWORD value)
{
    return !RegSetKeyValueW(HKEY_LOCAL_MACHINE, key, name, REG_DWORD, &value, sizeof(value));
}

static void restore_dword(const struct saved_dword *saved)
{
    LSTATUS status;

    if (saved->present) ok(set_dword(saved->key, saved->name, saved->value), "cannot restore %ls.\n", saved->name);
    else
    {
        status = RegDeleteKeyValueW(HKEY_LOCAL_MACHINE, saved->key, saved->name);
        ok(!status || status == ERROR_FILE_NOT_FOUND, "cannot delete %ls: %ld.\n", saved->name, status);
    }
}

/* Without SetCredentials, implicit credentials answer NTLM and Negotiate as
 * UseLMCompat (HKLM\...\CurrentVersion\BITS) says: 0, always; 1, when
 * LmCompatibilityLevel is 2 or more; 2 (the default, ntlm-none above), never
 * (the "Authentication" page of the BITS docs).  The service sees a change at
 * once; both values are put back. */
static void test_implicit_credentials_policy(void)
{
    static const WCHAR bits_key[] = L"Software\\Microsoft\\Windows\\CurrentVersion\\BITS";
    static const WCHAR lsa_key[] = L"System\\CurrentControlSet\\Control\\Lsa";
    static const struct
    {
        struct windows_auth_case test;
        DWORD use_lm_compat, lm_compatibility_level;
    }
    cases[] =
    {
        { { L"ntlm-lmcompat-0", BG_AUTH_SCHEME_NTLM, CREDENTIALS_NONE, FALSE, WINDOWS_AUTH_PASSWORD, TRUE }, 0, 1 },
        { { L"ntlm-lmcompat-1-level-1", BG_AUTH_SCHEME_NTLM, CREDENTIALS_NONE, FALSE, WINDOWS_AUTH_PASSWORD, FALSE },
          1, 1 },
        { { L"negotiate-lmcompat-1-level-3", BG_AUTH_SCHEME_NEGOTIATE, CREDENTIALS_NONE, FALSE, WINDOWS_AUTH_PASSWORD,
            TRUE }, 1, 3 },
        { { L"ntlm-lmcompat-2", BG_AUTH_SCHEME_NTLM, CREDENTIALS_NONE, FALSE, WINDOWS_AUTH_PASSWORD, FALSE }, 2, 3 },
    };
    struct saved_dword use_lm_compat, lm_compatibility_level;
    unsigned int i;

    save_dword(&use_lm_compat, bits_key, L"UseLMCompat");
    save_dword(&lm_compatibility_level, lsa_key, L"LmCompatibilityLevel");
    if (!set_dword(bits_key, L"UseLMCompat", 2))
    {
        skip("cannot write UseLMCompat (not an administrator).\n");
        return;
    }
    for (i = 0; i < ARRAY_SIZE(cases); i++)
    {
        ok(set_dword(bits_key, L"UseLMCompat", cases[i].use_lm_compat), "cannot set UseLMCompat.\n");
        ok(set_dword(lsa_key, L"LmCompatibilityLevel", cases[i].lm_compatibility_level),
           "cannot set LmCompatibilityLevel.\n");
        run_windows_auth(&cases[i].test, NULL);
    }
    restore_dword(&use_lm_compat);
    restore_dword(&lm_compatibility_level);
}

/* A server offers NTLM and Basic; the job has implicit NTLM credentials,
 * which the server refuses (the Credential Manager's password for the host is
 * wrong), and Basic ones.  The refused handshake does not end the job: the
 * Basic credentials answer next, and the file comes. */
static void test_implicit_refused_then_basic(void)
{
    static const ULONGLONG size = 30011;
    static const unsigned int seed = 1423;
    WCHAR dir[MAX_PATH], local[MAX_PATH], url[256];
    IBackgroundCopyJob *job = NULL;

    ok(ntlm_server_store_host_password(L"not-the-password"), "CredWrite failed: %lu.\n", GetLastError());
    ok(ntlm_server_install_with_basic(httpd, "/ntlm-basic/"), "cannot install the handler.\n");
    ok(httpd_add_pattern_resource(httpd, "/ntlm-basic/file.bin", size, seed, NULL), "cannot add resource.\n");
    httpd_url(httpd, "/ntlm-basic/file.bin", url, ARRAY_SIZE(url));
    ntlm_server_reset();

    if (!make_dir(L"ntlm-basic", dir, ARRAY_SIZE(dir))) goto done;
    swprintf(local, ARRAY_SIZE(local), L"%lsfile.bin", dir);
    if (!(job = create_job(L"ntlm-basic"))) goto done;
    set_retry_delay(job, 60);
    if (!set_server_credentials(job, BG_AUTH_SCHEME_NTLM, NULL, NULL) ||
        !set_basic_credentials(job, L"bitsuser", WINDOWS_AUTH_PASSWORD) || !add_file(job, url, local) || !resume(job))
        goto done;
    if (transfer_and_check(job, local, seed, size))
    {
        EnterCriticalSection(&ntlm_server.cs);
        ok(ntlm_server.refused >= 1 && !ntlm_server.accepted, "NTLM: %u refused, %u accepted.\n",
           ntlm_server.refused, ntlm_server.accepted);
        ok(ntlm_server.basic_accepted >= 1, "Basic: %u accepted.\n", ntlm_server.basic_accepted);
        LeaveCriticalSection(&ntlm_server.cs);
    }
done:
    finish_job(job);
    ok(ntlm_server_forget_host_password(), "CredDelete failed: %lu.\n", GetLastError());
}

START_TEST(http)
{
    DWORD start = GetTickCount();

    if (!begin_transfer_tests(L"http")) return;
    test_custom_headers();
    test_changed_while_suspended();
    test_changed_without_validators();
    test_shrunk_without_validators();
    test_changed_after_drop();
    test_server_auth();
    test_windows_auth();
    test_implicit_credentials_policy();
    test_implicit_refused_then_basic();
    test_mirror_resume();
    test_redirects();
    test_redirect_to_file_url();
    test_method_redirects();
    test_proxy();
    test_preconfigured_proxy();
    test_proxy_lists();
    test_response_headers();
    test_fake_length();
    test_garbage_status_line();
    test_malformed_responses();
    test_split_nul_head();
    test_wrong_content_range();
    test_missing_content_range();
    test_short_206_body();
    test_range_outside_file();
    test_interim_response();
    test_unfollowed_3xx();
    test_missing_length();
    test_http_method();
    end_transfer_tests("http", start);
}
