/*
 * Conformance tests of BITS with bad input: NULL pointers, out-of-range
 * values, over-long strings and calls in the wrong state, for every
 * interface the service serves.  Each call must fail with the documented
 * error (or a clear one where the documentation is silent), and the service
 * must go on answering afterwards.
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

#define COBJMACROS
#define CONST_VTABLE

#include "windef.h"
#include "winbase.h"
#include "winerror.h"
#include "winuser.h"
#include "objbase.h"
#include "bits10_3.h"

#include "wine/test.h"
#include "identity_util.h"

/* Nothing listens on port 1: the jobs here are never resumed anyway. */
#define TEST_URL L"http://127.0.0.1:1/file.bin"

static IBackgroundCopyManager *manager;
static WCHAR temp_dir[MAX_PATH];

/* A NULL pointer where the IDL has a [ref] pointer (every top-level pointer
 * that is not marked [unique]) never reaches the service: the proxy refuses
 * it.  Called in process the service answers E_INVALIDARG, as the reference
 * pages name for most getters. */
#define ok_null_ref(hr, what) \
    ok((hr) == HRESULT_FROM_WIN32(RPC_X_NULL_REF_POINTER) || (hr) == E_INVALIDARG, \
       "%s with a NULL pointer returned %#lx.\n", what, hr)

/* Enumerations travel as 16-bit values (no [v1_enum] in the IDL): the proxy
 * refuses anything beyond that range before the service sees it. */
#define ok_bad_enum(hr, expected, what) \
    ok((hr) == (expected) || (hr) == HRESULT_FROM_WIN32(RPC_X_ENUM_VALUE_OUT_OF_RANGE), \
       "%s returned %#lx.\n", what, hr)

static void make_name(WCHAR *buf, size_t len, const WCHAR *tag)
{
    static LONG counter;

    swprintf(buf, len, L"qmgr_test %ls %lu-%lu-%ld", tag, GetCurrentProcessId(),
             GetTickCount(), InterlockedIncrement(&counter));
}

static void make_local_name(WCHAR *buf, size_t len, const WCHAR *tag)
{
    static LONG counter;

    swprintf(buf, len, L"%lsqmgr_badinput_%ls_%lu_%ld.bin", temp_dir, tag, GetCurrentProcessId(),
             InterlockedIncrement(&counter));
}

static WCHAR *make_string(unsigned int len, WCHAR fill)
{
    WCHAR *str = malloc((len + 1) * sizeof(WCHAR));
    unsigned int i;

    for (i = 0; i < len; i++) str[i] = fill;
    str[len] = 0;
    return str;
}

static IBackgroundCopyJob *create_job(BG_JOB_TYPE type)
{
    IBackgroundCopyJob *job = NULL;
    WCHAR name[128];
    GUID id;
    HRESULT hr;

    make_name(name, ARRAY_SIZE(name), L"badinput");
    hr = IBackgroundCopyManager_CreateJob(manager, name, type, &id, &job);
    ok(hr == S_OK, "CreateJob failed: %#lx.\n", hr);
    return SUCCEEDED(hr) ? job : NULL;
}

static IBackgroundCopyJob *create_job_with_file(BG_JOB_TYPE type)
{
    IBackgroundCopyJob *job = create_job(type);
    WCHAR local[MAX_PATH];
    HANDLE handle;
    HRESULT hr;

    if (!job) return NULL;
    make_local_name(local, ARRAY_SIZE(local), L"file");
    if (type != BG_JOB_TYPE_DOWNLOAD)
    {
        /* Uploads need an existing local file. */
        handle = CreateFileW(local, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
        ok(handle != INVALID_HANDLE_VALUE, "CreateFile failed: %lu.\n", GetLastError());
        CloseHandle(handle);
    }
    hr = IBackgroundCopyJob_AddFile(job, TEST_URL, local);
    ok(hr == S_OK, "AddFile failed: %#lx.\n", hr);
    return job;
}

static void cancel_and_release(IBackgroundCopyJob *job)
{
    HRESULT hr;

    if (!job) return;
    hr = IBackgroundCopyJob_Cancel(job);
    ok(hr == S_OK, "Cancel failed: %#lx.\n", hr);
    IBackgroundCopyJob_Release(job);
}

/* The job still answers, in the state it had. */
#define check_alive(a, b) check_alive_(__LINE__, a, b)
static void check_alive_(int line, IBackgroundCopyJob *job, BG_JOB_STATE expected)
{
    BG_JOB_STATE state = 0xdead;
    HRESULT hr;

    hr = IBackgroundCopyJob_GetState(job, &state);
    ok_(__FILE__, line)(hr == S_OK, "GetState failed: %#lx.\n", hr);
    ok_(__FILE__, line)(state == expected, "got state %u, expected %u.\n", state, expected);
}

static ULONG file_count(IBackgroundCopyJob *job)
{
    IEnumBackgroundCopyFiles *enum_files = NULL;
    ULONG count = 0xdead;
    HRESULT hr;

    hr = IBackgroundCopyJob_EnumFiles(job, &enum_files);
    ok(hr == S_OK, "EnumFiles failed: %#lx.\n", hr);
    if (FAILED(hr)) return ~0u;
    hr = IEnumBackgroundCopyFiles_GetCount(enum_files, &count);
    ok(hr == S_OK, "GetCount failed: %#lx.\n", hr);
    IEnumBackgroundCopyFiles_Release(enum_files);
    return count;
}

static IBackgroundCopyFile *first_file(IBackgroundCopyJob *job)
{
    IEnumBackgroundCopyFiles *enum_files = NULL;
    IBackgroundCopyFile *file = NULL;
    HRESULT hr;

    hr = IBackgroundCopyJob_EnumFiles(job, &enum_files);
    ok(hr == S_OK, "EnumFiles failed: %#lx.\n", hr);
    if (FAILED(hr)) return NULL;
    hr = IEnumBackgroundCopyFiles_Next(enum_files, 1, &file, NULL);
    ok(hr == S_OK, "Next failed: %#lx.\n", hr);
    IEnumBackgroundCopyFiles_Release(enum_files);
    return file;
}

static void test_manager(void)
{
    IEnumBackgroundCopyJobs *enum_jobs;
    IBackgroundCopyJob *job;
    WCHAR name[128], *str;
    GUID id;
    HRESULT hr;

    make_name(name, ARRAY_SIZE(name), L"badinput manager");
    job = (IBackgroundCopyJob *)0xdeadbeef;
    hr = IBackgroundCopyManager_CreateJob(manager, name, BG_JOB_TYPE_DOWNLOAD, NULL, &job);
    ok_null_ref(hr, "CreateJob(pJobId)");
    hr = IBackgroundCopyManager_CreateJob(manager, name, BG_JOB_TYPE_DOWNLOAD, &id, NULL);
    ok_null_ref(hr, "CreateJob(ppJob)");
    hr = IBackgroundCopyManager_CreateJob(manager, name, 0x7fffffff, &id, &job);
    ok_bad_enum(hr, E_INVALIDARG, "CreateJob(type 0x7fffffff)");
    hr = IBackgroundCopyManager_CreateJob(manager, name, -1, &id, &job);
    ok_bad_enum(hr, E_INVALIDARG, "CreateJob(type -1)");
    hr = IBackgroundCopyManager_CreateJob(manager, name, 0x7fff, &id, &job);
    ok(hr == E_INVALIDARG, "CreateJob(type 0x7fff) returned %#lx.\n", hr);

    /* An empty display name is a name like any other. */
    job = NULL;
    hr = IBackgroundCopyManager_CreateJob(manager, L"", BG_JOB_TYPE_DOWNLOAD, &id, &job);
    ok(hr == S_OK, "CreateJob(\"\") failed: %#lx.\n", hr);
    if (SUCCEEDED(hr))
    {
        str = NULL;
        hr = IBackgroundCopyJob_GetDisplayName(job, &str);
        ok(hr == S_OK, "GetDisplayName failed: %#lx.\n", hr);
        ok(str && !str[0], "got display name %s.\n", wine_dbgstr_w(str));
        CoTaskMemFree(str);
        cancel_and_release(job);
    }

    hr = IBackgroundCopyManager_GetJob(manager, &GUID_NULL, NULL);
    ok_null_ref(hr, "GetJob(ppJob)");
    job = NULL;
    hr = IBackgroundCopyManager_GetJob(manager, &GUID_NULL, &job);
    ok(hr == BG_E_NOT_FOUND, "GetJob(GUID_NULL) returned %#lx.\n", hr);
    ok(!job, "got job %p.\n", job);

    hr = IBackgroundCopyManager_EnumJobs(manager, 0, NULL);
    ok_null_ref(hr, "EnumJobs");
    /* Unknown flags: the docs are silent.  E_NOTIMPL, the code BITS gives
     * for other out-of-range flags (SetNotifyFlags), or the flags may be ignored. */
    enum_jobs = NULL;
    hr = IBackgroundCopyManager_EnumJobs(manager, 0x10, &enum_jobs);
    ok(hr == S_OK || hr == E_NOTIMPL || hr == E_INVALIDARG, "EnumJobs(0x10) returned %#lx.\n", hr);
    if (SUCCEEDED(hr)) IEnumBackgroundCopyJobs_Release(enum_jobs);

    hr = IBackgroundCopyManager_GetErrorDescription(manager, BG_E_NOT_FOUND, LANGIDFROMLCID(GetThreadLocale()), NULL);
    ok_null_ref(hr, "GetErrorDescription");
}

/* Every getter of the job families refuses a NULL out pointer; the job is unharmed. */
static void test_job_null_out(void)
{
    IBackgroundCopyJobHttpOptions3 *http3;
    IBitsTokenOptions *token;
    IBackgroundCopyJob2 *job2;
    IBackgroundCopyJob3 *job3;
    IBackgroundCopyJob4 *job4;
    IBackgroundCopyJob5 *job5;
    IBackgroundCopyJob *job;
    BG_JOB_PROXY_USAGE usage;
    WCHAR *str, *str2;
    byte *hash;
    HRESULT hr;

    job = create_job_with_file(BG_JOB_TYPE_DOWNLOAD);
    if (!job) return;

    hr = IBackgroundCopyJob_EnumFiles(job, NULL);
    ok_null_ref(hr, "EnumFiles");
    hr = IBackgroundCopyJob_GetId(job, NULL);
    ok_null_ref(hr, "GetId");
    hr = IBackgroundCopyJob_GetType(job, NULL);
    ok_null_ref(hr, "GetType");
    hr = IBackgroundCopyJob_GetProgress(job, NULL);
    ok_null_ref(hr, "GetProgress");
    hr = IBackgroundCopyJob_GetTimes(job, NULL);
    ok_null_ref(hr, "GetTimes");
    hr = IBackgroundCopyJob_GetState(job, NULL);
    ok_null_ref(hr, "GetState");
    hr = IBackgroundCopyJob_GetError(job, NULL);
    ok_null_ref(hr, "GetError");
    hr = IBackgroundCopyJob_GetOwner(job, NULL);
    ok_null_ref(hr, "GetOwner");
    hr = IBackgroundCopyJob_GetDisplayName(job, NULL);
    ok_null_ref(hr, "GetDisplayName");
    hr = IBackgroundCopyJob_GetDescription(job, NULL);
    ok_null_ref(hr, "GetDescription");
    hr = IBackgroundCopyJob_GetPriority(job, NULL);
    ok_null_ref(hr, "GetPriority");
    hr = IBackgroundCopyJob_GetNotifyFlags(job, NULL);
    ok_null_ref(hr, "GetNotifyFlags");
    hr = IBackgroundCopyJob_GetNotifyInterface(job, NULL);
    ok_null_ref(hr, "GetNotifyInterface");
    hr = IBackgroundCopyJob_GetMinimumRetryDelay(job, NULL);
    ok_null_ref(hr, "GetMinimumRetryDelay");
    hr = IBackgroundCopyJob_GetNoProgressTimeout(job, NULL);
    ok_null_ref(hr, "GetNoProgressTimeout");
    hr = IBackgroundCopyJob_GetErrorCount(job, NULL);
    ok_null_ref(hr, "GetErrorCount");
    str = str2 = NULL;
    hr = IBackgroundCopyJob_GetProxySettings(job, NULL, &str, &str2);
    ok_null_ref(hr, "GetProxySettings(usage)");
    hr = IBackgroundCopyJob_GetProxySettings(job, &usage, NULL, &str2);
    ok_null_ref(hr, "GetProxySettings(list)");
    hr = IBackgroundCopyJob_GetProxySettings(job, &usage, &str, NULL);
    ok_null_ref(hr, "GetProxySettings(bypass)");

    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob2, (void **)&job2);
    ok(hr == S_OK, "QueryInterface(IBackgroundCopyJob2) failed: %#lx.\n", hr);
    if (SUCCEEDED(hr))
    {
        hr = IBackgroundCopyJob2_GetNotifyCmdLine(job2, NULL, &str);
        ok_null_ref(hr, "GetNotifyCmdLine(program)");
        hr = IBackgroundCopyJob2_GetNotifyCmdLine(job2, &str, NULL);
        ok_null_ref(hr, "GetNotifyCmdLine(parameters)");
        /* The reply methods are for upload-reply jobs; the type is checked first or
         * the pointer is, both are clear. */
        hr = IBackgroundCopyJob2_GetReplyProgress(job2, NULL);
        ok(hr == E_NOTIMPL || hr == E_INVALIDARG || hr == HRESULT_FROM_WIN32(RPC_X_NULL_REF_POINTER),
           "GetReplyProgress(NULL) returned %#lx.\n", hr);
        hr = IBackgroundCopyJob2_GetReplyFileName(job2, NULL);
        ok(hr == E_NOTIMPL || hr == E_INVALIDARG || hr == HRESULT_FROM_WIN32(RPC_X_NULL_REF_POINTER),
           "GetReplyFileName(NULL) returned %#lx.\n", hr);
        IBackgroundCopyJob2_Release(job2);
    }

    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob3, (void **)&job3);
    ok(hr == S_OK, "QueryInterface(IBackgroundCopyJob3) failed: %#lx.\n", hr);
    if (SUCCEEDED(hr))
    {
        hr = IBackgroundCopyJob3_GetFileACLFlags(job3, NULL);
        ok_null_ref(hr, "GetFileACLFlags");
        IBackgroundCopyJob3_Release(job3);
    }

    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob4, (void **)&job4);
    ok(hr == S_OK, "QueryInterface(IBackgroundCopyJob4) failed: %#lx.\n", hr);
    if (SUCCEEDED(hr))
    {
        hr = IBackgroundCopyJob4_GetPeerCachingFlags(job4, NULL);
        ok_null_ref(hr, "GetPeerCachingFlags");
        hr = IBackgroundCopyJob4_GetOwnerIntegrityLevel(job4, NULL);
        ok_null_ref(hr, "GetOwnerIntegrityLevel");
        hr = IBackgroundCopyJob4_GetOwnerElevationState(job4, NULL);
        ok_null_ref(hr, "GetOwnerElevationState");
        hr = IBackgroundCopyJob4_GetMaximumDownloadTime(job4, NULL);
        ok_null_ref(hr, "GetMaximumDownloadTime");
        IBackgroundCopyJob4_Release(job4);
    }

    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob5, (void **)&job5);
    ok(hr == S_OK, "QueryInterface(IBackgroundCopyJob5) failed: %#lx.\n", hr);
    if (SUCCEEDED(hr))
    {
        hr = IBackgroundCopyJob5_GetProperty(job5, BITS_JOB_PROPERTY_ID_COST_FLAGS, NULL);
        ok_null_ref(hr, "GetProperty");
        IBackgroundCopyJob5_Release(job5);
    }

    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJobHttpOptions3, (void **)&http3);
    ok(hr == S_OK, "QueryInterface(IBackgroundCopyJobHttpOptions3) failed: %#lx.\n", hr);
    if (SUCCEEDED(hr))
    {
        BG_CERT_STORE_LOCATION location;

        hr = IBackgroundCopyJobHttpOptions3_GetCustomHeaders(http3, NULL);
        ok_null_ref(hr, "GetCustomHeaders");
        hr = IBackgroundCopyJobHttpOptions3_GetSecurityFlags(http3, NULL);
        ok_null_ref(hr, "GetSecurityFlags");
        hr = IBackgroundCopyJobHttpOptions3_GetHttpMethod(http3, NULL);
        ok_null_ref(hr, "GetHttpMethod");
        str = str2 = NULL;
        hash = NULL;
        hr = IBackgroundCopyJobHttpOptions3_GetClientCertificate(http3, NULL, &str, &hash, &str2);
        ok(hr == HRESULT_FROM_WIN32(RPC_X_NULL_REF_POINTER) || hr == E_INVALIDARG
           || hr == HRESULT_FROM_WIN32(RPC_X_BAD_STUB_DATA),
           "GetClientCertificate(NULL location) returned %#lx.\n", hr);
        hr = IBackgroundCopyJobHttpOptions3_GetClientCertificate(http3, &location, &str, &hash, NULL);
        ok(hr == HRESULT_FROM_WIN32(RPC_X_NULL_REF_POINTER) || hr == E_INVALIDARG
           || hr == HRESULT_FROM_WIN32(RPC_X_BAD_STUB_DATA),
           "GetClientCertificate(NULL subject) returned %#lx.\n", hr);
        IBackgroundCopyJobHttpOptions3_Release(http3);
    }

    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBitsTokenOptions, (void **)&token);
    ok(hr == S_OK, "QueryInterface(IBitsTokenOptions) failed: %#lx.\n", hr);
    if (SUCCEEDED(hr))
    {
        hr = IBitsTokenOptions_GetHelperTokenFlags(token, NULL);
        ok_null_ref(hr, "GetHelperTokenFlags");
        hr = IBitsTokenOptions_GetHelperTokenSid(token, NULL);
        ok_null_ref(hr, "GetHelperTokenSid");
        IBitsTokenOptions_Release(token);
    }

    check_alive(job, BG_JOB_STATE_SUSPENDED);
    ok(file_count(job) == 1, "the job lost its file.\n");
    cancel_and_release(job);
}

/* Bad names and sets of files; nothing is added. */
static void test_add_files(void)
{
    WCHAR local[MAX_PATH], *long_url;
    IBackgroundCopyJob3 *job3;
    IBackgroundCopyJob *job;
    BG_FILE_INFO infos[2];
    BG_FILE_RANGE range;
    HRESULT hr;

    job = create_job(BG_JOB_TYPE_DOWNLOAD);
    if (!job) return;
    make_local_name(local, ARRAY_SIZE(local), L"add");

    hr = IBackgroundCopyJob_AddFile(job, NULL, local);
    ok_null_ref(hr, "AddFile(remote)");
    hr = IBackgroundCopyJob_AddFile(job, TEST_URL, NULL);
    ok_null_ref(hr, "AddFile(local)");
    hr = IBackgroundCopyJob_AddFile(job, L"", local);
    ok(hr == E_INVALIDARG, "AddFile(\"\", local) returned %#lx.\n", hr);
    hr = IBackgroundCopyJob_AddFile(job, TEST_URL, L"");
    ok(hr == E_INVALIDARG, "AddFile(url, \"\") returned %#lx.\n", hr);
    hr = IBackgroundCopyJob_AddFile(job, TEST_URL, L"relative.bin");
    ok(hr == E_INVALIDARG, "AddFile(url, relative) returned %#lx.\n", hr);

    /* Remote names are limited to 2200 characters (INTERNET_MAX_URL_LENGTH). */
    long_url = make_string(2300, 'a');
    memcpy(long_url, L"http://127.0.0.1:1/", 19 * sizeof(WCHAR));
    hr = IBackgroundCopyJob_AddFile(job, long_url, local);
    ok(hr == E_INVALIDARG, "AddFile(2300 chars) returned %#lx.\n", hr);
    free(long_url);

    /* The names in BG_FILE_INFO are embedded pointers: NULL ones reach the service. */
    hr = IBackgroundCopyJob_AddFileSet(job, 0, infos);
    ok(hr == E_INVALIDARG || hr == S_OK, "AddFileSet(0) returned %#lx.\n", hr);
    infos[0].RemoteName = (WCHAR *)TEST_URL;
    infos[0].LocalName = local;
    infos[1].RemoteName = NULL;
    infos[1].LocalName = local;
    hr = IBackgroundCopyJob_AddFileSet(job, 2, infos);
    ok(hr == E_INVALIDARG, "AddFileSet(NULL remote name) returned %#lx.\n", hr);
    infos[1].RemoteName = (WCHAR *)TEST_URL;
    infos[1].LocalName = NULL;
    hr = IBackgroundCopyJob_AddFileSet(job, 2, infos);
    ok(hr == E_INVALIDARG, "AddFileSet(NULL local name) returned %#lx.\n", hr);
    ok(file_count(job) == 0, "got %lu files.\n", file_count(job));

    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob3, (void **)&job3);
    ok(hr == S_OK, "QueryInterface(IBackgroundCopyJob3) failed: %#lx.\n", hr);
    if (SUCCEEDED(hr))
    {
        range.InitialOffset = 0;
        range.Length = 10;
        hr = IBackgroundCopyJob3_AddFileWithRanges(job3, TEST_URL, local, 0, &range);
        ok(hr == E_INVALIDARG, "AddFileWithRanges(0 ranges) returned %#lx.\n", hr);
        hr = IBackgroundCopyJob3_AddFileWithRanges(job3, TEST_URL, local, 1, NULL);
        ok_null_ref(hr, "AddFileWithRanges(ranges)");
        hr = IBackgroundCopyJob3_AddFileWithRanges(job3, NULL, local, 1, &range);
        ok_null_ref(hr, "AddFileWithRanges(remote)");
        range.InitialOffset = BG_LENGTH_TO_EOF;
        hr = IBackgroundCopyJob3_AddFileWithRanges(job3, TEST_URL, local, 1, &range);
        ok(hr == BG_E_INVALID_RANGE, "AddFileWithRanges(offset -1) returned %#lx.\n", hr);
        range.InitialOffset = ~(UINT64)0 - 5;
        range.Length = 100;
        hr = IBackgroundCopyJob3_AddFileWithRanges(job3, TEST_URL, local, 1, &range);
        ok(hr == BG_E_INVALID_RANGE, "AddFileWithRanges(wrapping range) returned %#lx.\n", hr);

        hr = IBackgroundCopyJob3_ReplaceRemotePrefix(job3, NULL, L"http://a/");
        ok_null_ref(hr, "ReplaceRemotePrefix(old)");
        hr = IBackgroundCopyJob3_ReplaceRemotePrefix(job3, L"http://a/", NULL);
        ok_null_ref(hr, "ReplaceRemotePrefix(new)");
        hr = IBackgroundCopyJob3_ReplaceRemotePrefix(job3, L"", L"http://a/");
        ok(hr == E_INVALIDARG, "ReplaceRemotePrefix(\"\", new) returned %#lx.\n", hr);
        hr = IBackgroundCopyJob3_ReplaceRemotePrefix(job3, L"http://a/", L"");
        ok(hr == E_INVALIDARG, "ReplaceRemotePrefix(old, \"\") returned %#lx.\n", hr);

        /* Flags beyond BG_COPY_FILE_ALL. */
        hr = IBackgroundCopyJob3_SetFileACLFlags(job3, BG_COPY_FILE_ALL + 1);
        ok(hr == E_INVALIDARG, "SetFileACLFlags(0x10) returned %#lx.\n", hr);
        hr = IBackgroundCopyJob3_SetFileACLFlags(job3, 0x80000000);
        ok(hr == E_INVALIDARG, "SetFileACLFlags(0x80000000) returned %#lx.\n", hr);
        IBackgroundCopyJob3_Release(job3);
    }

    ok(file_count(job) == 0, "got %lu files.\n", file_count(job));
    check_alive(job, BG_JOB_STATE_SUSPENDED);
    cancel_and_release(job);
}

static void test_job_setters(void)
{
    WCHAR *long_str, program[MAX_PATH + 20], params[4100];
    BG_AUTH_CREDENTIALS creds;
    IBackgroundCopyJob2 *job2;
    IBackgroundCopyJob4 *job4;
    IBackgroundCopyJob *job;
    unsigned int i;
    DWORD flags;
    HRESULT hr;

    job = create_job(BG_JOB_TYPE_DOWNLOAD);
    if (!job) return;

    hr = IBackgroundCopyJob_SetDisplayName(job, NULL);
    ok_null_ref(hr, "SetDisplayName");
    hr = IBackgroundCopyJob_SetDescription(job, NULL);
    ok_null_ref(hr, "SetDescription");
    long_str = make_string(100000, 'x');
    hr = IBackgroundCopyJob_SetDisplayName(job, long_str);
    ok(hr == E_INVALIDARG || hr == BG_E_STRING_TOO_LONG, "SetDisplayName(100000 chars) returned %#lx.\n", hr);
    hr = IBackgroundCopyJob_SetDescription(job, long_str);
    ok(hr == BG_E_STRING_TOO_LONG, "SetDescription(100000 chars) returned %#lx.\n", hr);

    hr = IBackgroundCopyJob_SetPriority(job, -1);
    ok_bad_enum(hr, E_NOTIMPL, "SetPriority(-1)");
    hr = IBackgroundCopyJob_SetPriority(job, 0x7fff);
    ok(hr == E_NOTIMPL, "SetPriority(0x7fff) returned %#lx.\n", hr);
    hr = IBackgroundCopyJob_SetNotifyFlags(job, 0x40);
    ok(hr == E_NOTIMPL, "SetNotifyFlags(0x40) returned %#lx.\n", hr);
    hr = IBackgroundCopyJob_SetNotifyFlags(job, 0x80000000);
    ok(hr == E_NOTIMPL, "SetNotifyFlags(0x80000000) returned %#lx.\n", hr);
    hr = IBackgroundCopyJob_SetProxySettings(job, -1, NULL, NULL);
    ok_bad_enum(hr, E_NOTIMPL, "SetProxySettings(-1)");
    hr = IBackgroundCopyJob_SetProxySettings(job, 0x7fff, NULL, NULL);
    ok(hr == E_NOTIMPL, "SetProxySettings(0x7fff) returned %#lx.\n", hr);
    hr = IBackgroundCopyJob_SetProxySettings(job, BG_JOB_PROXY_USAGE_OVERRIDE, long_str, NULL);
    ok(hr == BG_E_PROXY_LIST_TOO_LARGE, "SetProxySettings(long list) returned %#lx.\n", hr);
    hr = IBackgroundCopyJob_SetProxySettings(job, BG_JOB_PROXY_USAGE_OVERRIDE, L"proxy:8080", long_str);
    ok(hr == BG_E_PROXY_BYPASS_LIST_TOO_LARGE, "SetProxySettings(long bypass list) returned %#lx.\n", hr);
    /* The lists are for OVERRIDE only. */
    hr = IBackgroundCopyJob_SetProxySettings(job, BG_JOB_PROXY_USAGE_NO_PROXY, L"proxy:8080", NULL);
    ok(hr == E_INVALIDARG, "SetProxySettings(NO_PROXY, list) returned %#lx.\n", hr);

    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob2, (void **)&job2);
    ok(hr == S_OK, "QueryInterface(IBackgroundCopyJob2) failed: %#lx.\n", hr);
    if (SUCCEEDED(hr))
    {
        /* Parameters without a program (docs silent: E_INVALIDARG). */
        hr = IBackgroundCopyJob2_SetNotifyCmdLine(job2, NULL, L"prog.exe /x");
        ok(hr == E_INVALIDARG, "SetNotifyCmdLine(NULL, params) returned %#lx.\n", hr);
        /* The program is limited to MAX_PATH characters, the parameters to 4000. */
        wcscpy(program, L"C:\\");
        for (i = 3; i < MAX_PATH + 10; i++) program[i] = 'p';
        program[i] = 0;
        hr = IBackgroundCopyJob2_SetNotifyCmdLine(job2, program, NULL);
        ok(hr == BG_E_STRING_TOO_LONG, "SetNotifyCmdLine(long program) returned %#lx.\n", hr);
        /* MAX_PATH characters, the null not counted, is the longest accepted. */
        program[MAX_PATH + 1] = 0;
        hr = IBackgroundCopyJob2_SetNotifyCmdLine(job2, program, NULL);
        ok(hr == BG_E_STRING_TOO_LONG, "SetNotifyCmdLine(MAX_PATH + 1 characters) returned %#lx.\n", hr);
        program[MAX_PATH] = 0;
        hr = IBackgroundCopyJob2_SetNotifyCmdLine(job2, program, NULL);
        ok(hr == S_OK, "SetNotifyCmdLine(MAX_PATH characters) returned %#lx.\n", hr);
        hr = IBackgroundCopyJob2_SetNotifyCmdLine(job2, NULL, NULL);
        ok(hr == S_OK, "SetNotifyCmdLine(NULL, NULL) returned %#lx.\n", hr);
        swprintf(params, ARRAY_SIZE(params), L"C:\\windows\\system32\\cmd.exe ");
        for (i = wcslen(params); i < 4050; i++) params[i] = 'a';
        params[i] = 0;
        hr = IBackgroundCopyJob2_SetNotifyCmdLine(job2, L"C:\\windows\\system32\\cmd.exe", params);
        ok(hr == BG_E_STRING_TOO_LONG, "SetNotifyCmdLine(long parameters) returned %#lx.\n", hr);

        /* SetReplyFileName is for upload-reply jobs. */
        hr = IBackgroundCopyJob2_SetReplyFileName(job2, L"C:\\reply.bin");
        ok(hr == E_NOTIMPL, "SetReplyFileName(download job) returned %#lx.\n", hr);

        hr = IBackgroundCopyJob2_SetCredentials(job2, NULL);
        ok_null_ref(hr, "SetCredentials");
        memset(&creds, 0, sizeof(creds));
        creds.Target = 0;
        creds.Scheme = BG_AUTH_SCHEME_BASIC;
        creds.Credentials.Basic.UserName = (WCHAR *)L"user";
        creds.Credentials.Basic.Password = (WCHAR *)L"pass";
        hr = IBackgroundCopyJob2_SetCredentials(job2, &creds);
        ok(hr == BG_E_INVALID_AUTH_TARGET, "SetCredentials(target 0) returned %#lx.\n", hr);
        creds.Target = BG_AUTH_TARGET_PROXY + 1;
        hr = IBackgroundCopyJob2_SetCredentials(job2, &creds);
        ok(hr == BG_E_INVALID_AUTH_TARGET, "SetCredentials(target 3) returned %#lx.\n", hr);
        creds.Target = BG_AUTH_TARGET_SERVER;
        creds.Scheme = 0;
        hr = IBackgroundCopyJob2_SetCredentials(job2, &creds);
        ok(hr == BG_E_INVALID_AUTH_SCHEME, "SetCredentials(scheme 0) returned %#lx.\n", hr);
        creds.Scheme = BG_AUTH_SCHEME_PASSPORT + 1;
        hr = IBackgroundCopyJob2_SetCredentials(job2, &creds);
        ok(hr == BG_E_INVALID_AUTH_SCHEME || hr == HRESULT_FROM_WIN32(RPC_S_INVALID_TAG),
           "SetCredentials(scheme 6) returned %#lx.\n", hr);
        /* BASIC and DIGEST need both strings. */
        creds.Scheme = BG_AUTH_SCHEME_BASIC;
        creds.Credentials.Basic.UserName = NULL;
        hr = IBackgroundCopyJob2_SetCredentials(job2, &creds);
        ok(hr == E_INVALIDARG, "SetCredentials(BASIC, NULL user) returned %#lx.\n", hr);
        creds.Scheme = BG_AUTH_SCHEME_DIGEST;
        creds.Credentials.Basic.UserName = (WCHAR *)L"user";
        creds.Credentials.Basic.Password = NULL;
        hr = IBackgroundCopyJob2_SetCredentials(job2, &creds);
        ok(hr == E_INVALIDARG, "SetCredentials(DIGEST, NULL password) returned %#lx.\n", hr);
        creds.Scheme = BG_AUTH_SCHEME_BASIC;
        creds.Credentials.Basic.UserName = long_str;
        creds.Credentials.Basic.Password = (WCHAR *)L"pass";
        hr = IBackgroundCopyJob2_SetCredentials(job2, &creds);
        ok(hr == BG_E_USERNAME_TOO_LARGE, "SetCredentials(long user) returned %#lx.\n", hr);
        creds.Credentials.Basic.UserName = (WCHAR *)L"user";
        creds.Credentials.Basic.Password = long_str;
        hr = IBackgroundCopyJob2_SetCredentials(job2, &creds);
        ok(hr == BG_E_PASSWORD_TOO_LARGE, "SetCredentials(long password) returned %#lx.\n", hr);

        hr = IBackgroundCopyJob2_RemoveCredentials(job2, 0, BG_AUTH_SCHEME_BASIC);
        ok(hr == BG_E_INVALID_AUTH_TARGET, "RemoveCredentials(target 0) returned %#lx.\n", hr);
        hr = IBackgroundCopyJob2_RemoveCredentials(job2, BG_AUTH_TARGET_SERVER, 0);
        ok(hr == BG_E_INVALID_AUTH_SCHEME, "RemoveCredentials(scheme 0) returned %#lx.\n", hr);
        hr = IBackgroundCopyJob2_RemoveCredentials(job2, BG_AUTH_TARGET_SERVER, BG_AUTH_SCHEME_NTLM);
        ok(hr == S_FALSE, "RemoveCredentials(nothing set) returned %#lx.\n", hr);
        IBackgroundCopyJob2_Release(job2);
    }

    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob4, (void **)&job4);
    ok(hr == S_OK, "QueryInterface(IBackgroundCopyJob4) failed: %#lx.\n", hr);
    if (SUCCEEDED(hr))
    {
        /* Flags beyond the three defined ones (docs silent: E_NOTIMPL, as
         * for the other flag setters of the job). */
        hr = IBackgroundCopyJob4_SetPeerCachingFlags(job4, 0x8);
        ok(hr == E_NOTIMPL || hr == E_INVALIDARG, "SetPeerCachingFlags(8) returned %#lx.\n", hr);
        flags = 0xdead;
        hr = IBackgroundCopyJob4_GetPeerCachingFlags(job4, &flags);
        ok(hr == S_OK, "GetPeerCachingFlags failed: %#lx.\n", hr);
        ok(!(flags & 0x8), "got flags %#lx.\n", flags);
        IBackgroundCopyJob4_Release(job4);
    }

    free(long_str);
    check_alive(job, BG_JOB_STATE_SUSPENDED);
    cancel_and_release(job);
}

static void test_job_properties(void)
{
    static const BITS_JOB_PROPERTY_ID bad_ids[] = { 0, 6, 8, 11, 12, 0x100, 0x7fffffff, 0x80000000 };
    BITS_JOB_PROPERTY_VALUE value;
    IBackgroundCopyJob5 *job5;
    IBackgroundCopyJob *job, *upload;
    unsigned int i;
    HRESULT hr;

    job = create_job(BG_JOB_TYPE_DOWNLOAD);
    if (!job) return;
    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob5, (void **)&job5);
    ok(hr == S_OK, "QueryInterface(IBackgroundCopyJob5) failed: %#lx.\n", hr);
    if (FAILED(hr))
    {
        cancel_and_release(job);
        return;
    }

    for (i = 0; i < ARRAY_SIZE(bad_ids); i++)
    {
        winetest_push_context("id %#x", bad_ids[i]);
        memset(&value, 0, sizeof(value));
        hr = IBackgroundCopyJob5_SetProperty(job5, bad_ids[i], value);
        ok(hr == BG_E_UNKNOWN_PROPERTY_ID || hr == HRESULT_FROM_WIN32(RPC_S_INVALID_TAG)
           || (bad_ids[i] > 0xffff && hr == HRESULT_FROM_WIN32(RPC_X_ENUM_VALUE_OUT_OF_RANGE)),
           "SetProperty returned %#lx.\n", hr);
        memset(&value, 0xcc, sizeof(value));
        hr = IBackgroundCopyJob5_GetProperty(job5, bad_ids[i], &value);
        ok(hr == BG_E_UNKNOWN_PROPERTY_ID || hr == HRESULT_FROM_WIN32(RPC_S_INVALID_TAG)
           || (bad_ids[i] > 0xffff && hr == HRESULT_FROM_WIN32(RPC_X_ENUM_VALUE_OUT_OF_RANGE)),
           "GetProperty returned %#lx.\n", hr);
        winetest_pop_context();
    }

    /* Wrong union contents. */
    memset(&value, 0, sizeof(value));
    value.Uint64 = 0;
    hr = IBackgroundCopyJob5_SetProperty(job5, BITS_JOB_PROPERTY_MAX_DOWNLOAD_SIZE, value);
    ok(hr == BG_E_MAX_DOWNLOAD_SIZE_INVALID_VALUE, "SetProperty(MAX_DOWNLOAD_SIZE 0) returned %#lx.\n", hr);
    memset(&value, 0, sizeof(value));
    value.Target = BG_AUTH_TARGET_SERVER;
    hr = IBackgroundCopyJob5_SetProperty(job5, BITS_JOB_PROPERTY_USE_STORED_CREDENTIALS, value);
    ok(hr == BG_E_USE_STORED_CREDENTIALS_NOT_SUPPORTED, "SetProperty(USE_STORED_CREDENTIALS SERVER) returned %#lx.\n", hr);
    value.Target = 0x7fff;
    hr = IBackgroundCopyJob5_SetProperty(job5, BITS_JOB_PROPERTY_USE_STORED_CREDENTIALS, value);
    ok(hr == BG_E_USE_STORED_CREDENTIALS_NOT_SUPPORTED,
       "SetProperty(USE_STORED_CREDENTIALS 0x7fff) returned %#lx.\n", hr);
    value.Target = 0x7fffffff;
    hr = IBackgroundCopyJob5_SetProperty(job5, BITS_JOB_PROPERTY_USE_STORED_CREDENTIALS, value);
    ok_bad_enum(hr, BG_E_USE_STORED_CREDENTIALS_NOT_SUPPORTED, "SetProperty(USE_STORED_CREDENTIALS 0x7fffffff)");

    /* A BOOL other than 0 and 1 counts as TRUE. */
    memset(&value, 0, sizeof(value));
    value.Enable = 2;
    hr = IBackgroundCopyJob5_SetProperty(job5, BITS_JOB_PROPERTY_DYNAMIC_CONTENT, value);
    ok(hr == S_OK, "SetProperty(DYNAMIC_CONTENT 2) returned %#lx.\n", hr);
    memset(&value, 0, sizeof(value));
    hr = IBackgroundCopyJob5_GetProperty(job5, BITS_JOB_PROPERTY_DYNAMIC_CONTENT, &value);
    ok(hr == S_OK, "GetProperty(DYNAMIC_CONTENT) failed: %#lx.\n", hr);
    ok(value.Enable, "got %d.\n", value.Enable);

    IBackgroundCopyJob5_Release(job5);
    check_alive(job, BG_JOB_STATE_SUSPENDED);
    cancel_and_release(job);

    /* The download-only properties on an upload job. */
    upload = create_job(BG_JOB_TYPE_UPLOAD);
    if (!upload) return;
    hr = IBackgroundCopyJob_QueryInterface(upload, &IID_IBackgroundCopyJob5, (void **)&job5);
    ok(hr == S_OK, "QueryInterface(IBackgroundCopyJob5) failed: %#lx.\n", hr);
    if (SUCCEEDED(hr))
    {
        static const BITS_JOB_PROPERTY_ID download_only[] =
        {
            BITS_JOB_PROPERTY_DYNAMIC_CONTENT, BITS_JOB_PROPERTY_HIGH_PERFORMANCE,
            BITS_JOB_PROPERTY_ON_DEMAND_MODE,
        };

        for (i = 0; i < ARRAY_SIZE(download_only); i++)
        {
            memset(&value, 0, sizeof(value));
            value.Enable = TRUE;
            hr = IBackgroundCopyJob5_SetProperty(job5, download_only[i], value);
            ok(hr == BG_E_PROPERTY_SUPPORTED_FOR_DOWNLOAD_JOBS_ONLY,
               "SetProperty(%u) on an upload job returned %#lx.\n", download_only[i], hr);
        }
        memset(&value, 0, sizeof(value));
        value.Uint64 = 100;
        hr = IBackgroundCopyJob5_SetProperty(job5, BITS_JOB_PROPERTY_MAX_DOWNLOAD_SIZE, value);
        ok(hr == BG_E_PROPERTY_SUPPORTED_FOR_DOWNLOAD_JOBS_ONLY,
           "SetProperty(MAX_DOWNLOAD_SIZE) on an upload job returned %#lx.\n", hr);
        IBackgroundCopyJob5_Release(job5);
    }
    check_alive(upload, BG_JOB_STATE_SUSPENDED);
    cancel_and_release(upload);
}

static HRESULT WINAPI unknown_QueryInterface(IUnknown *iface, REFIID riid, void **obj)
{
    if (IsEqualIID(riid, &IID_IUnknown))
    {
        *obj = iface;
        return S_OK;
    }
    *obj = NULL;
    return E_NOINTERFACE;
}

static ULONG WINAPI unknown_AddRef(IUnknown *iface)
{
    return 2;
}

static ULONG WINAPI unknown_Release(IUnknown *iface)
{
    return 1;
}

static const IUnknownVtbl unknown_vtbl = { unknown_QueryInterface, unknown_AddRef, unknown_Release };
static IUnknown plain_unknown = { &unknown_vtbl };

static void test_http_options(void)
{
    IBackgroundCopyJobHttpOptions3 *http3;
    BG_CERT_STORE_LOCATION location;
    IBackgroundCopyJob *job;
    WCHAR *long_str, *str, *str2;
    byte hash[20] = {0}, *hash_out;
    ULONG flags;
    HRESULT hr;

    job = create_job(BG_JOB_TYPE_DOWNLOAD);
    if (!job) return;
    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJobHttpOptions3, (void **)&http3);
    ok(hr == S_OK, "QueryInterface(IBackgroundCopyJobHttpOptions3) failed: %#lx.\n", hr);
    if (FAILED(hr))
    {
        cancel_and_release(job);
        return;
    }

    hr = IBackgroundCopyJobHttpOptions3_SetClientCertificateByID(http3, BG_CERT_STORE_LOCATION_LOCAL_MACHINE_ENTERPRISE + 1,
                                                                 L"MY", hash);
    ok(hr == E_NOTIMPL, "SetClientCertificateByID(location 8) returned %#lx.\n", hr);
    hr = IBackgroundCopyJobHttpOptions3_SetClientCertificateByID(http3, BG_CERT_STORE_LOCATION_CURRENT_USER, NULL, hash);
    ok(hr == HRESULT_FROM_WIN32(RPC_X_NULL_REF_POINTER) || hr == E_INVALIDARG,
       "SetClientCertificateByID(NULL store) returned %#lx.\n", hr);
    hr = IBackgroundCopyJobHttpOptions3_SetClientCertificateByID(http3, BG_CERT_STORE_LOCATION_CURRENT_USER, L"MY", NULL);
    ok(hr == HRESULT_FROM_WIN32(RPC_X_NULL_REF_POINTER) || hr == E_INVALIDARG,
       "SetClientCertificateByID(NULL hash) returned %#lx.\n", hr);
    /* The store name is limited to 256 characters including the terminator. */
    long_str = make_string(256, 'S');
    hr = IBackgroundCopyJobHttpOptions3_SetClientCertificateByID(http3, BG_CERT_STORE_LOCATION_CURRENT_USER, long_str, hash);
    ok(hr == BG_E_STRING_TOO_LONG, "SetClientCertificateByID(256 chars) returned %#lx.\n", hr);
    hr = IBackgroundCopyJobHttpOptions3_SetClientCertificateByName(http3, BG_CERT_STORE_LOCATION_CURRENT_USER, long_str, L"CN=x");
    ok(hr == BG_E_STRING_TOO_LONG, "SetClientCertificateByName(long store) returned %#lx.\n", hr);
    hr = IBackgroundCopyJobHttpOptions3_SetClientCertificateByName(http3, BG_CERT_STORE_LOCATION_CURRENT_USER, L"MY", long_str);
    ok(hr == BG_E_STRING_TOO_LONG, "SetClientCertificateByName(long subject) returned %#lx.\n", hr);
    free(long_str);
    hr = IBackgroundCopyJobHttpOptions3_SetClientCertificateByName(http3, -1, L"MY", L"CN=x");
    ok_bad_enum(hr, E_NOTIMPL, "SetClientCertificateByName(location -1)");
    hr = IBackgroundCopyJobHttpOptions3_SetClientCertificateByName(http3, BG_CERT_STORE_LOCATION_CURRENT_USER, L"MY", NULL);
    ok(hr == HRESULT_FROM_WIN32(RPC_X_NULL_REF_POINTER) || hr == E_INVALIDARG,
       "SetClientCertificateByName(NULL subject) returned %#lx.\n", hr);

    /* Nothing set: no certificate to return. */
    hr = IBackgroundCopyJobHttpOptions3_RemoveClientCertificate(http3);
    ok(hr == S_FALSE, "RemoveClientCertificate returned %#lx.\n", hr);
    str = str2 = NULL;
    hash_out = NULL;
    hr = IBackgroundCopyJobHttpOptions3_GetClientCertificate(http3, &location, &str, &hash_out, &str2);
    ok(hr == RPC_X_BAD_STUB_DATA, "GetClientCertificate(none set) returned %#lx.\n", hr);

    /* Custom headers: up to 16384 characters including the terminator. */
    long_str = make_string(16383, 'h');
    long_str[16381] = '\r';
    long_str[16382] = '\n';
    memcpy(long_str, L"X-Long: ", 8 * sizeof(WCHAR));
    hr = IBackgroundCopyJobHttpOptions3_SetCustomHeaders(http3, long_str);
    ok(hr == S_OK, "SetCustomHeaders(16383 chars) failed: %#lx.\n", hr);
    free(long_str);
    long_str = make_string(16384, 'h');
    memcpy(long_str, L"X-Long: ", 8 * sizeof(WCHAR));
    hr = IBackgroundCopyJobHttpOptions3_SetCustomHeaders(http3, long_str);
    ok(hr == BG_E_STRING_TOO_LONG, "SetCustomHeaders(16384 chars) returned %#lx.\n", hr);
    free(long_str);
    str = NULL;
    hr = IBackgroundCopyJobHttpOptions3_GetCustomHeaders(http3, &str);
    ok(hr == S_OK, "GetCustomHeaders failed: %#lx.\n", hr);
    ok(str && wcslen(str) == 16383, "got headers of length %u.\n", str ? (unsigned int)wcslen(str) : 0);
    CoTaskMemFree(str);
    hr = IBackgroundCopyJobHttpOptions3_SetCustomHeaders(http3, NULL);
    ok(hr == S_OK, "SetCustomHeaders(NULL) failed: %#lx.\n", hr);

    hr = IBackgroundCopyJobHttpOptions3_SetSecurityFlags(http3, 0x40);
    ok(hr == E_NOTIMPL, "SetSecurityFlags(0x40) returned %#lx.\n", hr);
    hr = IBackgroundCopyJobHttpOptions3_SetSecurityFlags(http3, 0x80000000);
    ok(hr == E_NOTIMPL, "SetSecurityFlags(0x80000000) returned %#lx.\n", hr);
    flags = 0xdead;
    hr = IBackgroundCopyJobHttpOptions3_GetSecurityFlags(http3, &flags);
    ok(hr == S_OK, "GetSecurityFlags failed: %#lx.\n", hr);
    ok(!flags, "got flags %#lx.\n", flags);

    hr = IBackgroundCopyJobHttpOptions3_SetHttpMethod(http3, NULL);
    ok_null_ref(hr, "SetHttpMethod");
    /* An empty verb is no verb (docs silent: E_INVALIDARG). */
    hr = IBackgroundCopyJobHttpOptions3_SetHttpMethod(http3, L"");
    ok(hr == E_INVALIDARG, "SetHttpMethod(\"\") returned %#lx.\n", hr);
    str = NULL;
    hr = IBackgroundCopyJobHttpOptions3_GetHttpMethod(http3, &str);
    ok(hr == S_OK, "GetHttpMethod failed: %#lx.\n", hr);
    ok(str && !wcscmp(str, L"GET"), "got method %s.\n", wine_dbgstr_w(str));
    CoTaskMemFree(str);

    hr = IBackgroundCopyJobHttpOptions3_SetServerCertificateValidationInterface(http3, &plain_unknown);
    ok(hr == E_NOINTERFACE, "SetServerCertificateValidationInterface(IUnknown only) returned %#lx.\n", hr);
    hr = IBackgroundCopyJobHttpOptions3_SetServerCertificateValidationInterface(http3, NULL);
    ok(hr == S_OK, "SetServerCertificateValidationInterface(NULL) failed: %#lx.\n", hr);

    IBackgroundCopyJobHttpOptions3_Release(http3);
    check_alive(job, BG_JOB_STATE_SUSPENDED);
    cancel_and_release(job);
}

static void test_token_options(void)
{
    IBitsTokenOptions *token;
    IBackgroundCopyJob *job;
    DWORD flags;
    HRESULT hr;

    job = create_job(BG_JOB_TYPE_DOWNLOAD);
    if (!job) return;
    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBitsTokenOptions, (void **)&token);
    ok(hr == S_OK, "QueryInterface(IBitsTokenOptions) failed: %#lx.\n", hr);
    if (SUCCEEDED(hr))
    {
        /* Flags beyond BG_TOKEN_LOCAL_FILE | BG_TOKEN_NETWORK. */
        hr = IBitsTokenOptions_SetHelperTokenFlags(token, 0x4);
        ok(hr == E_NOTIMPL || hr == E_INVALIDARG, "SetHelperTokenFlags(4) returned %#lx.\n", hr);
        hr = IBitsTokenOptions_SetHelperTokenFlags(token, 0xffffffff);
        ok(hr == E_NOTIMPL || hr == E_INVALIDARG, "SetHelperTokenFlags(~0) returned %#lx.\n", hr);
        flags = 0xdead;
        hr = IBitsTokenOptions_GetHelperTokenFlags(token, &flags);
        ok(hr == S_OK, "GetHelperTokenFlags failed: %#lx.\n", hr);
        ok(!flags, "got flags %#lx.\n", flags);
        IBitsTokenOptions_Release(token);
    }
    check_alive(job, BG_JOB_STATE_SUSPENDED);
    cancel_and_release(job);
}

static void test_files(void)
{
    WCHAR *long_url, *str;
    BITS_FILE_PROPERTY_VALUE value;
    BG_FILE_RANGE range, *ranges;
    IBackgroundCopyFile6 *file6;
    IBackgroundCopyFile *file;
    IBackgroundCopyJob *job;
    DWORD count;
    UINT64 a, b;
    BOOL valid;
    HRESULT hr;

    job = create_job_with_file(BG_JOB_TYPE_DOWNLOAD);
    if (!job) return;
    file = first_file(job);
    if (!file)
    {
        cancel_and_release(job);
        return;
    }

    hr = IBackgroundCopyFile_GetRemoteName(file, NULL);
    ok_null_ref(hr, "GetRemoteName");
    hr = IBackgroundCopyFile_GetLocalName(file, NULL);
    ok_null_ref(hr, "GetLocalName");
    hr = IBackgroundCopyFile_GetProgress(file, NULL);
    ok_null_ref(hr, "GetProgress");

    hr = IBackgroundCopyFile_QueryInterface(file, &IID_IBackgroundCopyFile6, (void **)&file6);
    ok(hr == S_OK, "QueryInterface(IBackgroundCopyFile6) failed: %#lx.\n", hr);
    if (SUCCEEDED(hr))
    {
        /* RangeCount is [unique] but sizes the returned array. */
        ranges = NULL;
        hr = IBackgroundCopyFile6_GetFileRanges(file6, NULL, &ranges);
        ok_null_ref(hr, "GetFileRanges(count)");
        ok(!ranges, "GetFileRanges(count) returned ranges.\n");
        hr = IBackgroundCopyFile6_GetFileRanges(file6, &count, NULL);
        ok_null_ref(hr, "GetFileRanges(ranges)");

        hr = IBackgroundCopyFile6_SetRemoteName(file6, NULL);
        ok_null_ref(hr, "SetRemoteName");
        hr = IBackgroundCopyFile6_SetRemoteName(file6, L"");
        ok(hr == E_INVALIDARG, "SetRemoteName(\"\") returned %#lx.\n", hr);
        hr = IBackgroundCopyFile6_SetRemoteName(file6, L"gopher://host/x");
        ok(hr == E_INVALIDARG, "SetRemoteName(gopher) returned %#lx.\n", hr);
        long_url = make_string(2201, 'a');
        memcpy(long_url, L"http://127.0.0.1:1/", 19 * sizeof(WCHAR));
        hr = IBackgroundCopyFile6_SetRemoteName(file6, long_url);
        ok(hr == E_INVALIDARG, "SetRemoteName(2201 chars) returned %#lx.\n", hr);
        free(long_url);
        str = NULL;
        hr = IBackgroundCopyFile6_GetRemoteName(file6, &str);
        ok(hr == S_OK, "GetRemoteName failed: %#lx.\n", hr);
        ok(str && !wcscmp(str, TEST_URL), "got remote name %s.\n", wine_dbgstr_w(str));
        CoTaskMemFree(str);

        hr = IBackgroundCopyFile6_GetTemporaryName(file6, NULL);
        ok_null_ref(hr, "GetTemporaryName");
        hr = IBackgroundCopyFile6_GetValidationState(file6, NULL);
        ok_null_ref(hr, "GetValidationState");
        hr = IBackgroundCopyFile6_IsDownloadedFromPeer(file6, NULL);
        ok_null_ref(hr, "IsDownloadedFromPeer");
        /* Nothing downloaded yet. */
        hr = IBackgroundCopyFile6_SetValidationState(file6, TRUE);
        ok(hr == E_PENDING, "SetValidationState(TRUE) returned %#lx.\n", hr);
        hr = IBackgroundCopyFile6_SetValidationState(file6, FALSE);
        ok(hr == E_PENDING, "SetValidationState(FALSE) returned %#lx.\n", hr);
        valid = 0xdead;
        hr = IBackgroundCopyFile6_GetValidationState(file6, &valid);
        ok(hr == S_OK, "GetValidationState failed: %#lx.\n", hr);
        ok(!valid, "got %d.\n", valid);
        hr = IBackgroundCopyFile6_GetPeerDownloadStats(file6, NULL, &b);
        ok_null_ref(hr, "GetPeerDownloadStats(origin)");
        hr = IBackgroundCopyFile6_GetPeerDownloadStats(file6, &a, NULL);
        ok_null_ref(hr, "GetPeerDownloadStats(peers)");

        /* File properties: only HTTP_RESPONSE_HEADERS exists. */
        memset(&value, 0, sizeof(value));
        hr = IBackgroundCopyFile6_GetProperty(file6, 0, &value);
        ok(hr == BG_E_UNKNOWN_PROPERTY_ID || hr == HRESULT_FROM_WIN32(RPC_S_INVALID_TAG),
           "GetProperty(0) returned %#lx.\n", hr);
        hr = IBackgroundCopyFile6_GetProperty(file6, 2, &value);
        ok(hr == BG_E_UNKNOWN_PROPERTY_ID || hr == HRESULT_FROM_WIN32(RPC_S_INVALID_TAG),
           "GetProperty(2) returned %#lx.\n", hr);
        hr = IBackgroundCopyFile6_GetProperty(file6, BITS_FILE_PROPERTY_ID_HTTP_RESPONSE_HEADERS, NULL);
        ok_null_ref(hr, "File GetProperty");
        value.String = (WCHAR *)L"x";
        hr = IBackgroundCopyFile6_SetProperty(file6, 0x7fffffff, value);
        ok_bad_enum(hr, BG_E_UNKNOWN_PROPERTY_ID, "SetProperty(0x7fffffff)");
        hr = IBackgroundCopyFile6_SetProperty(file6, 0x7fff, value);
        ok(hr == BG_E_UNKNOWN_PROPERTY_ID || hr == HRESULT_FROM_WIN32(RPC_S_INVALID_TAG),
           "SetProperty(0x7fff) returned %#lx.\n", hr);

        /* Random access on a job not in on-demand mode. */
        ranges = NULL;
        hr = IBackgroundCopyFile6_GetFilledFileRanges(file6, NULL, &ranges);
        ok_null_ref(hr, "GetFilledFileRanges(count)");
        ok(!ranges, "GetFilledFileRanges(count) returned ranges.\n");
        hr = IBackgroundCopyFile6_GetFilledFileRanges(file6, &count, NULL);
        ok_null_ref(hr, "GetFilledFileRanges(ranges)");
        ranges = NULL;
        count = 0xdead;
        hr = IBackgroundCopyFile6_GetFilledFileRanges(file6, &count, &ranges);
        ok(hr == BG_E_RANDOM_ACCESS_NOT_SUPPORTED || hr == S_OK, "GetFilledFileRanges returned %#lx.\n", hr);
        CoTaskMemFree(ranges);
        range.InitialOffset = 0;
        range.Length = 10;
        hr = IBackgroundCopyFile6_RequestFileRanges(file6, 1, NULL);
        ok(hr == HRESULT_FROM_WIN32(RPC_X_NULL_REF_POINTER) || hr == E_INVALIDARG
           || hr == BG_E_RANDOM_ACCESS_NOT_SUPPORTED, "RequestFileRanges(NULL) returned %#lx.\n", hr);
        hr = IBackgroundCopyFile6_RequestFileRanges(file6, 0, &range);
        ok(hr == E_INVALIDARG || hr == BG_E_RANDOM_ACCESS_NOT_SUPPORTED || hr == S_OK,
           "RequestFileRanges(0) returned %#lx.\n", hr);
        IBackgroundCopyFile6_Release(file6);
    }

    IBackgroundCopyFile_Release(file);
    check_alive(job, BG_JOB_STATE_SUSPENDED);
    cancel_and_release(job);
}

static void test_enumerators(void)
{
    IEnumBackgroundCopyFiles *enum_files, *clone_files;
    IEnumBackgroundCopyJobs *enum_jobs, *clone_jobs;
    IBackgroundCopyFile *files[3];
    IBackgroundCopyJob *job, *jobs[3];
    WCHAR local[MAX_PATH];
    ULONG fetched, count, i;
    HRESULT hr;

    job = create_job_with_file(BG_JOB_TYPE_DOWNLOAD);
    if (!job) return;
    make_local_name(local, ARRAY_SIZE(local), L"enum");
    hr = IBackgroundCopyJob_AddFile(job, TEST_URL, local);
    ok(hr == S_OK, "AddFile failed: %#lx.\n", hr);

    hr = IBackgroundCopyJob_EnumFiles(job, &enum_files);
    ok(hr == S_OK, "EnumFiles failed: %#lx.\n", hr);
    if (SUCCEEDED(hr))
    {
        hr = IEnumBackgroundCopyFiles_GetCount(enum_files, NULL);
        ok_null_ref(hr, "GetCount");
        hr = IEnumBackgroundCopyFiles_Clone(enum_files, NULL);
        ok_null_ref(hr, "Clone");
        hr = IEnumBackgroundCopyFiles_Next(enum_files, 1, NULL, &fetched);
        ok_null_ref(hr, "Next(rgelt)");
        /* Next(0) returns nothing. */
        fetched = 0xdead;
        hr = IEnumBackgroundCopyFiles_Next(enum_files, 0, files, &fetched);
        ok(hr == S_OK, "Next(0) returned %#lx.\n", hr);
        ok(!fetched, "got %lu.\n", fetched);
        /* Skip(0) does not move. */
        hr = IEnumBackgroundCopyFiles_Skip(enum_files, 0);
        ok(hr == S_OK, "Skip(0) returned %#lx.\n", hr);
        /* A huge Skip moves past the end; Next then fetches nothing. */
        hr = IEnumBackgroundCopyFiles_Skip(enum_files, ~0u);
        ok(hr == S_FALSE, "Skip(~0) returned %#lx.\n", hr);
        fetched = 0xdead;
        hr = IEnumBackgroundCopyFiles_Next(enum_files, 3, files, &fetched);
        ok(hr == S_FALSE, "Next past the end returned %#lx.\n", hr);
        ok(!fetched, "got %lu.\n", fetched);
        hr = IEnumBackgroundCopyFiles_Skip(enum_files, 1);
        ok(hr == S_FALSE, "Skip past the end returned %#lx.\n", hr);
        /* A clone made past the end is past the end too; Reset puts it back. */
        hr = IEnumBackgroundCopyFiles_Clone(enum_files, &clone_files);
        ok(hr == S_OK, "Clone failed: %#lx.\n", hr);
        if (SUCCEEDED(hr))
        {
            fetched = 0xdead;
            hr = IEnumBackgroundCopyFiles_Next(clone_files, 1, files, &fetched);
            ok(hr == S_FALSE, "Next on the clone returned %#lx.\n", hr);
            ok(!fetched, "got %lu.\n", fetched);
            hr = IEnumBackgroundCopyFiles_Reset(clone_files);
            ok(hr == S_OK, "Reset failed: %#lx.\n", hr);
            fetched = 0xdead;
            hr = IEnumBackgroundCopyFiles_Next(clone_files, 3, files, &fetched);
            ok(hr == S_FALSE, "Next(3) returned %#lx.\n", hr);
            ok(fetched == 2, "got %lu.\n", fetched);
            for (i = 0; i < fetched && i < 3; i++) IBackgroundCopyFile_Release(files[i]);
            IEnumBackgroundCopyFiles_Release(clone_files);
        }
        /* Skip near the position's wrap-around. */
        hr = IEnumBackgroundCopyFiles_Reset(enum_files);
        ok(hr == S_OK, "Reset failed: %#lx.\n", hr);
        hr = IEnumBackgroundCopyFiles_Skip(enum_files, 1);
        ok(hr == S_OK, "Skip(1) returned %#lx.\n", hr);
        hr = IEnumBackgroundCopyFiles_Skip(enum_files, ~0u);
        ok(hr == S_FALSE, "Skip(~0) after Skip(1) returned %#lx.\n", hr);
        fetched = 0xdead;
        hr = IEnumBackgroundCopyFiles_Next(enum_files, 1, files, &fetched);
        ok(hr == S_FALSE, "Next after Skip(~0) returned %#lx.\n", hr);
        ok(!fetched, "got %lu.\n", fetched);
        if (hr == S_OK) IBackgroundCopyFile_Release(files[0]);
        count = 0xdead;
        hr = IEnumBackgroundCopyFiles_GetCount(enum_files, &count);
        ok(hr == S_OK, "GetCount failed: %#lx.\n", hr);
        ok(count == 2, "got count %lu.\n", count);
        IEnumBackgroundCopyFiles_Release(enum_files);
    }

    hr = IBackgroundCopyManager_EnumJobs(manager, 0, &enum_jobs);
    ok(hr == S_OK, "EnumJobs failed: %#lx.\n", hr);
    if (SUCCEEDED(hr))
    {
        hr = IEnumBackgroundCopyJobs_GetCount(enum_jobs, NULL);
        ok_null_ref(hr, "GetCount");
        hr = IEnumBackgroundCopyJobs_Clone(enum_jobs, NULL);
        ok_null_ref(hr, "Clone");
        hr = IEnumBackgroundCopyJobs_Next(enum_jobs, 1, NULL, &fetched);
        ok_null_ref(hr, "Next(rgelt)");
        fetched = 0xdead;
        hr = IEnumBackgroundCopyJobs_Next(enum_jobs, 0, jobs, &fetched);
        ok(hr == S_OK, "Next(0) returned %#lx.\n", hr);
        ok(!fetched, "got %lu.\n", fetched);
        hr = IEnumBackgroundCopyJobs_Skip(enum_jobs, 1);
        ok(hr == S_OK, "Skip(1) returned %#lx.\n", hr);
        hr = IEnumBackgroundCopyJobs_Skip(enum_jobs, ~0u);
        ok(hr == S_FALSE, "Skip(~0) returned %#lx.\n", hr);
        fetched = 0xdead;
        hr = IEnumBackgroundCopyJobs_Next(enum_jobs, 3, jobs, &fetched);
        ok(hr == S_FALSE, "Next past the end returned %#lx.\n", hr);
        ok(!fetched, "got %lu.\n", fetched);
        for (i = 0; i < fetched && i < 3; i++) IBackgroundCopyJob_Release(jobs[i]);
        hr = IEnumBackgroundCopyJobs_Clone(enum_jobs, &clone_jobs);
        ok(hr == S_OK, "Clone failed: %#lx.\n", hr);
        if (SUCCEEDED(hr))
        {
            hr = IEnumBackgroundCopyJobs_Reset(clone_jobs);
            ok(hr == S_OK, "Reset failed: %#lx.\n", hr);
            IEnumBackgroundCopyJobs_Release(clone_jobs);
        }
        IEnumBackgroundCopyJobs_Release(enum_jobs);
    }

    check_alive(job, BG_JOB_STATE_SUSPENDED);
    cancel_and_release(job);
}

/* The mutators of every interface in the final states; getters still answer. */
static void check_final_state(IBackgroundCopyJob *job, IBackgroundCopyFile *file)
{
    IBackgroundCopyJobHttpOptions3 *http3;
    BITS_JOB_PROPERTY_VALUE value;
    IBackgroundCopyFile2 *file2;
    IBackgroundCopyJob2 *job2;
    IBackgroundCopyJob3 *job3;
    IBackgroundCopyJob4 *job4;
    IBackgroundCopyJob5 *job5;
    WCHAR local[MAX_PATH];
    BG_AUTH_CREDENTIALS creds;
    BG_FILE_RANGE range;
    BYTE hash[20] = {0};
    HRESULT hr;

    make_local_name(local, ARRAY_SIZE(local), L"final");
    hr = IBackgroundCopyJob_AddFile(job, TEST_URL, local);
    ok(hr == BG_E_INVALID_STATE, "AddFile returned %#lx.\n", hr);
    hr = IBackgroundCopyJob_SetProxySettings(job, BG_JOB_PROXY_USAGE_NO_PROXY, NULL, NULL);
    ok(hr == BG_E_INVALID_STATE, "SetProxySettings returned %#lx.\n", hr);
    hr = IBackgroundCopyJob_TakeOwnership(job);
    /* TakeOwnership is for administrators: anyone else is refused first. */
    if (expected_caller_admin()) ok(hr == BG_E_INVALID_STATE, "TakeOwnership returned %#lx.\n", hr);
    else ok(hr == E_ACCESSDENIED, "TakeOwnership returned %#lx.\n", hr);

    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob2, (void **)&job2);
    ok(hr == S_OK, "QueryInterface(IBackgroundCopyJob2) failed: %#lx.\n", hr);
    if (SUCCEEDED(hr))
    {
        hr = IBackgroundCopyJob2_SetNotifyCmdLine(job2, NULL, NULL);
        ok(hr == BG_E_INVALID_STATE, "SetNotifyCmdLine returned %#lx.\n", hr);
        creds.Target = BG_AUTH_TARGET_SERVER;
        creds.Scheme = BG_AUTH_SCHEME_BASIC;
        creds.Credentials.Basic.UserName = (WCHAR *)L"user";
        creds.Credentials.Basic.Password = (WCHAR *)L"pass";
        hr = IBackgroundCopyJob2_SetCredentials(job2, &creds);
        ok(hr == BG_E_INVALID_STATE, "SetCredentials returned %#lx.\n", hr);
        hr = IBackgroundCopyJob2_RemoveCredentials(job2, BG_AUTH_TARGET_SERVER, BG_AUTH_SCHEME_BASIC);
        ok(hr == BG_E_INVALID_STATE, "RemoveCredentials returned %#lx.\n", hr);
        IBackgroundCopyJob2_Release(job2);
    }

    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob3, (void **)&job3);
    ok(hr == S_OK, "QueryInterface(IBackgroundCopyJob3) failed: %#lx.\n", hr);
    if (SUCCEEDED(hr))
    {
        hr = IBackgroundCopyJob3_ReplaceRemotePrefix(job3, L"http://", L"https://");
        ok(hr == BG_E_INVALID_STATE, "ReplaceRemotePrefix returned %#lx.\n", hr);
        range.InitialOffset = 0;
        range.Length = 10;
        hr = IBackgroundCopyJob3_AddFileWithRanges(job3, TEST_URL, local, 1, &range);
        ok(hr == BG_E_INVALID_STATE, "AddFileWithRanges returned %#lx.\n", hr);
        hr = IBackgroundCopyJob3_SetFileACLFlags(job3, BG_COPY_FILE_OWNER);
        ok(hr == BG_E_INVALID_STATE, "SetFileACLFlags returned %#lx.\n", hr);
        IBackgroundCopyJob3_Release(job3);
    }

    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob4, (void **)&job4);
    ok(hr == S_OK, "QueryInterface(IBackgroundCopyJob4) failed: %#lx.\n", hr);
    if (SUCCEEDED(hr))
    {
        /* The docs are silent for the Job4 setters; read-only is what the
         * other setters of a final job say. */
        hr = IBackgroundCopyJob4_SetPeerCachingFlags(job4, 0);
        ok(hr == BG_E_INVALID_STATE, "SetPeerCachingFlags returned %#lx.\n", hr);
        hr = IBackgroundCopyJob4_SetMaximumDownloadTime(job4, 100);
        ok(hr == BG_E_INVALID_STATE, "SetMaximumDownloadTime returned %#lx.\n", hr);
        IBackgroundCopyJob4_Release(job4);
    }

    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob5, (void **)&job5);
    ok(hr == S_OK, "QueryInterface(IBackgroundCopyJob5) failed: %#lx.\n", hr);
    if (SUCCEEDED(hr))
    {
        memset(&value, 0, sizeof(value));
        value.Dword = BITS_COST_STATE_TRANSFER_ALWAYS;
        hr = IBackgroundCopyJob5_SetProperty(job5, BITS_JOB_PROPERTY_ID_COST_FLAGS, value);
        ok(hr == BG_E_INVALID_STATE, "SetProperty(COST_FLAGS) returned %#lx.\n", hr);
        memset(&value, 0, sizeof(value));
        hr = IBackgroundCopyJob5_GetProperty(job5, BITS_JOB_PROPERTY_ID_COST_FLAGS, &value);
        ok(hr == S_OK, "GetProperty(COST_FLAGS) failed: %#lx.\n", hr);
        IBackgroundCopyJob5_Release(job5);
    }

    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJobHttpOptions3, (void **)&http3);
    ok(hr == S_OK, "QueryInterface(IBackgroundCopyJobHttpOptions3) failed: %#lx.\n", hr);
    if (SUCCEEDED(hr))
    {
        hr = IBackgroundCopyJobHttpOptions3_SetClientCertificateByID(http3, BG_CERT_STORE_LOCATION_CURRENT_USER, L"MY", hash);
        ok(hr == BG_E_INVALID_STATE, "SetClientCertificateByID returned %#lx.\n", hr);
        hr = IBackgroundCopyJobHttpOptions3_SetClientCertificateByName(http3, BG_CERT_STORE_LOCATION_CURRENT_USER, L"MY", L"CN=x");
        ok(hr == BG_E_INVALID_STATE, "SetClientCertificateByName returned %#lx.\n", hr);
        hr = IBackgroundCopyJobHttpOptions3_RemoveClientCertificate(http3);
        ok(hr == BG_E_INVALID_STATE, "RemoveClientCertificate returned %#lx.\n", hr);
        hr = IBackgroundCopyJobHttpOptions3_SetCustomHeaders(http3, NULL);
        ok(hr == BG_E_INVALID_STATE, "SetCustomHeaders returned %#lx.\n", hr);
        hr = IBackgroundCopyJobHttpOptions3_SetSecurityFlags(http3, 0);
        ok(hr == BG_E_INVALID_STATE, "SetSecurityFlags returned %#lx.\n", hr);
        hr = IBackgroundCopyJobHttpOptions3_SetHttpMethod(http3, L"PUT");
        ok(hr == BG_E_INVALID_STATE, "SetHttpMethod returned %#lx.\n", hr);
        IBackgroundCopyJobHttpOptions3_Release(http3);
    }

    if (file && SUCCEEDED(IBackgroundCopyFile_QueryInterface(file, &IID_IBackgroundCopyFile2, (void **)&file2)))
    {
        hr = IBackgroundCopyFile2_SetRemoteName(file2, L"http://127.0.0.1:1/other.bin");
        ok(hr == BG_E_INVALID_STATE, "SetRemoteName returned %#lx.\n", hr);
        IBackgroundCopyFile2_Release(file2);
    }
}

static void test_final_states(void)
{
    IBackgroundCopyFile *file;
    IBackgroundCopyJob *job;
    HRESULT hr;

    job = create_job_with_file(BG_JOB_TYPE_DOWNLOAD);
    if (!job) return;
    file = first_file(job);
    hr = IBackgroundCopyJob_Cancel(job);
    ok(hr == S_OK, "Cancel failed: %#lx.\n", hr);
    winetest_push_context("cancelled");
    check_final_state(job, file);
    check_alive(job, BG_JOB_STATE_CANCELLED);
    winetest_pop_context();
    if (file) IBackgroundCopyFile_Release(file);
    IBackgroundCopyJob_Release(job);

    job = create_job_with_file(BG_JOB_TYPE_DOWNLOAD);
    if (!job) return;
    file = first_file(job);
    hr = IBackgroundCopyJob_Complete(job);
    ok(hr == BG_S_PARTIAL_COMPLETE, "Complete returned %#lx.\n", hr);
    winetest_push_context("acknowledged");
    check_final_state(job, file);
    check_alive(job, BG_JOB_STATE_ACKNOWLEDGED);
    winetest_pop_context();
    if (file) IBackgroundCopyFile_Release(file);
    IBackgroundCopyJob_Release(job);
}

/* Waits while serving the calls the service makes into this apartment. */
static void pump_messages(DWORD ms)
{
    DWORD end = GetTickCount() + ms;
    LONG left;
    MSG msg;

    while ((left = end - GetTickCount()) > 0)
    {
        MsgWaitForMultipleObjects(0, NULL, FALSE, left, QS_ALLINPUT);
        while (PeekMessageW(&msg, NULL, 0, 0, PM_REMOVE)) DispatchMessageW(&msg);
    }
}

/* The error object of a job that failed: a local source that does not exist.
 * Its notification object is no IBackgroundCopyCallback at all (the docs do
 * not say the service checks at registration): the service must shrug off
 * the failed notification. */
static void test_error(void)
{
    WCHAR local[MAX_PATH], remote[MAX_PATH], *str;
    IBackgroundCopyError *error;
    IBackgroundCopyFile *file;
    IBackgroundCopyJob *job;
    BG_ERROR_CONTEXT context;
    BG_JOB_STATE state;
    unsigned int i;
    HRESULT hr, code;

    job = create_job(BG_JOB_TYPE_DOWNLOAD);
    if (!job) return;
    make_local_name(local, ARRAY_SIZE(local), L"error");
    make_local_name(remote, ARRAY_SIZE(remote), L"missing_source");
    hr = IBackgroundCopyJob_AddFile(job, remote, local);
    ok(hr == S_OK, "AddFile failed: %#lx.\n", hr);
    hr = IBackgroundCopyJob_SetNotifyInterface(job, &plain_unknown);
    ok(hr == S_OK, "SetNotifyInterface(IUnknown only) failed: %#lx.\n", hr);
    hr = IBackgroundCopyJob_SetNotifyFlags(job, BG_NOTIFY_JOB_ERROR | BG_NOTIFY_JOB_MODIFICATION);
    ok(hr == S_OK, "SetNotifyFlags failed: %#lx.\n", hr);
    hr = IBackgroundCopyJob_Resume(job);
    ok(hr == S_OK, "Resume failed: %#lx.\n", hr);
    for (i = 0; i < 300; i++)
    {
        state = 0xdead;
        hr = IBackgroundCopyJob_GetState(job, &state);
        ok(hr == S_OK, "GetState failed: %#lx.\n", hr);
        if (FAILED(hr) || state == BG_JOB_STATE_ERROR) break;
        pump_messages(100);
    }
    ok(state == BG_JOB_STATE_ERROR, "got state %u.\n", state);
    if (state != BG_JOB_STATE_ERROR)
    {
        cancel_and_release(job);
        return;
    }

    hr = IBackgroundCopyJob_GetError(job, &error);
    ok(hr == S_OK, "GetError failed: %#lx.\n", hr);
    if (SUCCEEDED(hr))
    {
        hr = IBackgroundCopyError_GetError(error, NULL, &code);
        ok_null_ref(hr, "GetError(context)");
        hr = IBackgroundCopyError_GetError(error, &context, NULL);
        ok_null_ref(hr, "GetError(code)");
        hr = IBackgroundCopyError_GetFile(error, NULL);
        ok_null_ref(hr, "GetFile");
        hr = IBackgroundCopyError_GetProtocol(error, NULL);
        ok_null_ref(hr, "GetProtocol");
        hr = IBackgroundCopyError_GetErrorDescription(error, LANGIDFROMLCID(GetThreadLocale()), NULL);
        ok_null_ref(hr, "GetErrorDescription");
        hr = IBackgroundCopyError_GetErrorContextDescription(error, LANGIDFROMLCID(GetThreadLocale()), NULL);
        ok_null_ref(hr, "GetErrorContextDescription");
        /* Language 0 is refused. */
        str = (WCHAR *)0xdeadbeef;
        hr = IBackgroundCopyError_GetErrorDescription(error, 0, &str);
        ok(hr == E_INVALIDARG, "GetErrorDescription(0) returned %#lx.\n", hr);
        if (SUCCEEDED(hr)) CoTaskMemFree(str);
        str = (WCHAR *)0xdeadbeef;
        hr = IBackgroundCopyError_GetErrorContextDescription(error, 0, &str);
        ok(hr == E_INVALIDARG, "GetErrorContextDescription(0) returned %#lx.\n", hr);
        if (SUCCEEDED(hr)) CoTaskMemFree(str);
        /* The error object still answers. */
        file = NULL;
        hr = IBackgroundCopyError_GetFile(error, &file);
        ok(hr == S_OK, "GetFile failed: %#lx.\n", hr);
        if (file) IBackgroundCopyFile_Release(file);
        IBackgroundCopyError_Release(error);
    }

    pump_messages(500);
    hr = IBackgroundCopyJob_SetNotifyInterface(job, NULL);
    ok(hr == S_OK, "SetNotifyInterface(NULL) failed: %#lx.\n", hr);
    check_alive(job, BG_JOB_STATE_ERROR);
    cancel_and_release(job);
}

START_TEST(badinput)
{
    HRESULT hr;

    CoInitialize(NULL);

    hr = CoCreateInstance(&CLSID_BackgroundCopyManager10_3, NULL, CLSCTX_LOCAL_SERVER,
                          &IID_IBackgroundCopyManager, (void **)&manager);
    if (FAILED(hr))
    {
        win_skip("cannot create the BITS 10.3 manager: %#lx.\n", hr);
        CoUninitialize();
        return;
    }
    GetTempPathW(ARRAY_SIZE(temp_dir), temp_dir);

    test_manager();
    test_job_null_out();
    test_add_files();
    test_job_setters();
    test_job_properties();
    test_http_options();
    test_token_options();
    test_files();
    test_enumerators();
    test_final_states();
    test_error();

    IBackgroundCopyManager_Release(manager);
    CoUninitialize();
}
