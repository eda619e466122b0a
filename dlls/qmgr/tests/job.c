/*
 * Conformance tests of BITS jobs (IBackgroundCopyJob .. IBackgroundCopyJob5,
 * IBackgroundCopyJobHttpOptions .. 3, IBitsTokenOptions)
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
#include "objbase.h"
#include "sddl.h"
#include "bits10_3.h"

#include "wine/test.h"
#include "identity_util.h"

/* Nothing listens on port 1: as long as a job stays suspended, nothing is
 * transferred anyway. */
#define TEST_URL L"http://127.0.0.1:1/file.bin"

static IBackgroundCopyManager *manager;
static WCHAR temp_dir[MAX_PATH];

static void make_name(WCHAR *buf, size_t len, const WCHAR *tag)
{
    static LONG counter;

    swprintf(buf, len, L"qmgr_test %ls %lu-%lu-%ld", tag, GetCurrentProcessId(),
             GetTickCount(), InterlockedIncrement(&counter));
}

/* A full path in the temporary directory, unique to this process. */
static void make_local_name(WCHAR *buf, size_t len, const WCHAR *tag)
{
    static LONG counter;

    swprintf(buf, len, L"%lsqmgr_job_%ls_%lu_%ld.bin", temp_dir, tag, GetCurrentProcessId(),
             InterlockedIncrement(&counter));
}

/* The SID string that BITS reports as the owner of jobs this process
 * creates: the user of the process token.  LocalFree() the result. */
static IBackgroundCopyJob *create_job(BG_JOB_TYPE type, GUID *id)
{
    IBackgroundCopyJob *job = NULL;
    WCHAR name[128];
    GUID dummy;
    HRESULT hr;

    make_name(name, ARRAY_SIZE(name), L"job");
    hr = IBackgroundCopyManager_CreateJob(manager, name, type, id ? id : &dummy, &job);
    ok(hr == S_OK, "CreateJob failed: %#lx.\n", hr);
    return SUCCEEDED(hr) ? job : NULL;
}

static void cancel_and_release(IBackgroundCopyJob *job)
{
    HRESULT hr;

    if (!job) return;
    hr = IBackgroundCopyJob_Cancel(job);
    ok(hr == S_OK, "Cancel failed: %#lx.\n", hr);
    IBackgroundCopyJob_Release(job);
}

#define check_state(a, b) check_state_(__FILE__, __LINE__, a, b)
static void check_state_(const char *file, int line, IBackgroundCopyJob *job, BG_JOB_STATE expected)
{
    BG_JOB_STATE state = 0xdead;
    HRESULT hr;

    hr = IBackgroundCopyJob_GetState(job, &state);
    ok_(file, line)(hr == S_OK, "GetState failed: %#lx.\n", hr);
    ok_(file, line)(state == expected, "got state %u, expected %u.\n", state, expected);
}

static ULONGLONG filetime_value(const FILETIME *ft)
{
    return ((ULONGLONG)ft->dwHighDateTime << 32) | ft->dwLowDateTime;
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

static void test_new_job(void)
{
    FILETIME before, after;
    BG_JOB_PROGRESS progress;
    BG_JOB_PRIORITY priority;
    BG_JOB_TIMES times;
    IBackgroundCopyError *error;
    IBackgroundCopyJob *job;
    WCHAR name[128], *str, *sid;
    BG_JOB_TYPE type;
    IUnknown *unk;
    GUID id, job_id;
    ULONG value;
    HRESULT hr;

    make_name(name, ARRAY_SIZE(name), L"new");
    GetSystemTimeAsFileTime(&before);
    job = NULL;
    hr = IBackgroundCopyManager_CreateJob(manager, name, BG_JOB_TYPE_DOWNLOAD, &id, &job);
    ok(hr == S_OK, "CreateJob failed: %#lx.\n", hr);
    if (FAILED(hr)) return;
    GetSystemTimeAsFileTime(&after);

    check_state(job, BG_JOB_STATE_SUSPENDED);

    hr = IBackgroundCopyJob_GetId(job, &job_id);
    ok(hr == S_OK, "GetId failed: %#lx.\n", hr);
    ok(IsEqualGUID(&id, &job_id), "got id %s, expected %s.\n", wine_dbgstr_guid(&job_id), wine_dbgstr_guid(&id));

    type = 0xdead;
    hr = IBackgroundCopyJob_GetType(job, &type);
    ok(hr == S_OK, "GetType failed: %#lx.\n", hr);
    ok(type == BG_JOB_TYPE_DOWNLOAD, "got type %u.\n", type);

    memset(&progress, 0xcc, sizeof(progress));
    hr = IBackgroundCopyJob_GetProgress(job, &progress);
    ok(hr == S_OK, "GetProgress failed: %#lx.\n", hr);
    ok(progress.BytesTotal == 0, "got BytesTotal %s.\n", wine_dbgstr_longlong(progress.BytesTotal));
    ok(progress.BytesTransferred == 0, "got BytesTransferred %s.\n", wine_dbgstr_longlong(progress.BytesTransferred));
    ok(progress.FilesTotal == 0, "got FilesTotal %lu.\n", progress.FilesTotal);
    ok(progress.FilesTransferred == 0, "got FilesTransferred %lu.\n", progress.FilesTransferred);

    value = 0xdead;
    hr = IBackgroundCopyJob_GetNotifyFlags(job, &value);
    ok(hr == S_OK, "GetNotifyFlags failed: %#lx.\n", hr);
    ok(value == (BG_NOTIFY_JOB_TRANSFERRED | BG_NOTIFY_JOB_ERROR), "got notify flags %#lx.\n", value);

    unk = (IUnknown *)0xdeadbeef;
    hr = IBackgroundCopyJob_GetNotifyInterface(job, &unk);
    ok(hr == S_OK, "GetNotifyInterface failed: %#lx.\n", hr);
    ok(!unk, "got notify interface %p.\n", unk);
    if (hr == S_OK && unk) IUnknown_Release(unk);

    str = NULL;
    hr = IBackgroundCopyJob_GetDisplayName(job, &str);
    ok(hr == S_OK, "GetDisplayName failed: %#lx.\n", hr);
    ok(str && !wcscmp(str, name), "got display name %s.\n", wine_dbgstr_w(str));
    CoTaskMemFree(str);

    str = NULL;
    hr = IBackgroundCopyJob_GetDescription(job, &str);
    ok(hr == S_OK, "GetDescription failed: %#lx.\n", hr);
    ok(str && !str[0], "got description %s.\n", wine_dbgstr_w(str));
    CoTaskMemFree(str);

    priority = 0xdead;
    hr = IBackgroundCopyJob_GetPriority(job, &priority);
    ok(hr == S_OK, "GetPriority failed: %#lx.\n", hr);
    ok(priority == BG_JOB_PRIORITY_NORMAL, "got priority %u.\n", priority);

    value = 0xdead;
    hr = IBackgroundCopyJob_GetMinimumRetryDelay(job, &value);
    ok(hr == S_OK, "GetMinimumRetryDelay failed: %#lx.\n", hr);
    ok(value == 600, "got minimum retry delay %lu.\n", value);

    value = 0xdead;
    hr = IBackgroundCopyJob_GetNoProgressTimeout(job, &value);
    ok(hr == S_OK, "GetNoProgressTimeout failed: %#lx.\n", hr);
    ok(value == 1209600, "got no-progress timeout %lu.\n", value);

    value = 0xdead;
    hr = IBackgroundCopyJob_GetErrorCount(job, &value);
    ok(hr == S_OK, "GetErrorCount failed: %#lx.\n", hr);
    ok(value == 0, "got error count %lu.\n", value);

    error = NULL;
    hr = IBackgroundCopyJob_GetError(job, &error);
    ok(hr == BG_E_ERROR_INFORMATION_UNAVAILABLE, "GetError returned %#lx.\n", hr);
    if (error) IBackgroundCopyError_Release(error);

    /* The owner is the user of the calling token, as a string SID. */
    str = NULL;
    hr = IBackgroundCopyJob_GetOwner(job, &str);
    ok(hr == S_OK, "GetOwner failed: %#lx.\n", hr);
    ok(str && !wcsncmp(str, L"S-1-", 4), "got owner %s.\n", wine_dbgstr_w(str));
    sid = expected_caller_sid();
    ok(sid != NULL, "cannot get the SID of the process token.\n");
    if (str && sid) ok(!wcscmp(str, sid), "got owner %s, expected %s.\n", wine_dbgstr_w(str), wine_dbgstr_w(sid));
    free(sid);
    CoTaskMemFree(str);

    /* Times: created during CreateJob (allow for a coarse clock), nothing
     * transferred yet. */
    memset(&times, 0xcc, sizeof(times));
    hr = IBackgroundCopyJob_GetTimes(job, &times);
    ok(hr == S_OK, "GetTimes failed: %#lx.\n", hr);
    ok(filetime_value(&times.CreationTime) != 0, "got zero creation time.\n");
    ok(filetime_value(&times.CreationTime) + 20000000 >= filetime_value(&before),
       "creation time %s is before the call (%s).\n", wine_dbgstr_longlong(filetime_value(&times.CreationTime)),
       wine_dbgstr_longlong(filetime_value(&before)));
    ok(filetime_value(&times.CreationTime) <= filetime_value(&after) + 20000000,
       "creation time %s is after the call (%s).\n", wine_dbgstr_longlong(filetime_value(&times.CreationTime)),
       wine_dbgstr_longlong(filetime_value(&after)));
    ok(filetime_value(&times.ModificationTime) >= filetime_value(&times.CreationTime),
       "modification time %s is before creation time %s.\n",
       wine_dbgstr_longlong(filetime_value(&times.ModificationTime)),
       wine_dbgstr_longlong(filetime_value(&times.CreationTime)));
    ok(filetime_value(&times.TransferCompletionTime) == 0, "got transfer completion time %s.\n",
       wine_dbgstr_longlong(filetime_value(&times.TransferCompletionTime)));

    ok(file_count(job) == 0, "a new job has files.\n");

    cancel_and_release(job);
}

static void test_properties(void)
{
    static const BG_JOB_PRIORITY priorities[] =
    {
        BG_JOB_PRIORITY_FOREGROUND, BG_JOB_PRIORITY_HIGH, BG_JOB_PRIORITY_LOW, BG_JOB_PRIORITY_NORMAL
    };
    WCHAR name[300], desc[1100], *str;
    BG_JOB_TIMES times, times2;
    BG_JOB_PRIORITY priority;
    BG_JOB_PROXY_USAGE usage;
    WCHAR *proxy_list, *bypass_list;
    IBackgroundCopyJob *job;
    unsigned int i;
    ULONG value;
    HRESULT hr;

    job = create_job(BG_JOB_TYPE_DOWNLOAD, NULL);
    if (!job) return;

    hr = IBackgroundCopyJob_GetTimes(job, &times);
    ok(hr == S_OK, "GetTimes failed: %#lx.\n", hr);

    /* Display name. */
    make_name(name, ARRAY_SIZE(name), L"renamed");
    hr = IBackgroundCopyJob_SetDisplayName(job, name);
    ok(hr == S_OK, "SetDisplayName failed: %#lx.\n", hr);
    str = NULL;
    hr = IBackgroundCopyJob_GetDisplayName(job, &str);
    ok(hr == S_OK, "GetDisplayName failed: %#lx.\n", hr);
    ok(str && !wcscmp(str, name), "got display name %s.\n", wine_dbgstr_w(str));
    CoTaskMemFree(str);

    for (i = wcslen(name); i < 256; i++) name[i] = 'a' + i % 26;
    name[256] = 0;
    hr = IBackgroundCopyJob_SetDisplayName(job, name);
    ok(hr == S_OK, "SetDisplayName(256 chars) failed: %#lx.\n", hr);
    str = NULL;
    hr = IBackgroundCopyJob_GetDisplayName(job, &str);
    ok(hr == S_OK, "GetDisplayName failed: %#lx.\n", hr);
    ok(str && !wcscmp(str, name), "got display name %s.\n", wine_dbgstr_w(str));
    CoTaskMemFree(str);

    /* The documentation names both codes for a name that is too long. */
    name[256] = 'x';
    name[257] = 0;
    hr = IBackgroundCopyJob_SetDisplayName(job, name);
    ok(hr == E_INVALIDARG || hr == BG_E_STRING_TOO_LONG, "SetDisplayName(257 chars) returned %#lx.\n", hr);

    /* Description. */
    hr = IBackgroundCopyJob_SetDescription(job, L"a description");
    ok(hr == S_OK, "SetDescription failed: %#lx.\n", hr);
    str = NULL;
    hr = IBackgroundCopyJob_GetDescription(job, &str);
    ok(hr == S_OK, "GetDescription failed: %#lx.\n", hr);
    ok(str && !wcscmp(str, L"a description"), "got description %s.\n", wine_dbgstr_w(str));
    CoTaskMemFree(str);

    for (i = 0; i < 1024; i++) desc[i] = 'A' + i % 26;
    desc[1024] = 0;
    hr = IBackgroundCopyJob_SetDescription(job, desc);
    ok(hr == S_OK, "SetDescription(1024 chars) failed: %#lx.\n", hr);
    str = NULL;
    hr = IBackgroundCopyJob_GetDescription(job, &str);
    ok(hr == S_OK, "GetDescription failed: %#lx.\n", hr);
    ok(str && !wcscmp(str, desc), "got description of length %u.\n", str ? (unsigned int)wcslen(str) : 0);
    CoTaskMemFree(str);

    desc[1024] = 'x';
    desc[1025] = 0;
    hr = IBackgroundCopyJob_SetDescription(job, desc);
    ok(hr == BG_E_STRING_TOO_LONG, "SetDescription(1025 chars) returned %#lx.\n", hr);

    hr = IBackgroundCopyJob_SetDescription(job, L"");
    ok(hr == S_OK, "SetDescription(\"\") failed: %#lx.\n", hr);
    str = NULL;
    hr = IBackgroundCopyJob_GetDescription(job, &str);
    ok(hr == S_OK, "GetDescription failed: %#lx.\n", hr);
    ok(str && !str[0], "got description %s.\n", wine_dbgstr_w(str));
    CoTaskMemFree(str);

    /* Priority. */
    for (i = 0; i < ARRAY_SIZE(priorities); i++)
    {
        hr = IBackgroundCopyJob_SetPriority(job, priorities[i]);
        ok(hr == S_OK, "SetPriority(%u) failed: %#lx.\n", priorities[i], hr);
        priority = 0xdead;
        hr = IBackgroundCopyJob_GetPriority(job, &priority);
        ok(hr == S_OK, "GetPriority failed: %#lx.\n", hr);
        ok(priority == priorities[i], "got priority %u, expected %u.\n", priority, priorities[i]);
    }
    hr = IBackgroundCopyJob_SetPriority(job, BG_JOB_PRIORITY_LOW + 1);
    ok(hr == E_NOTIMPL, "SetPriority(4) returned %#lx.\n", hr);
    priority = 0xdead;
    hr = IBackgroundCopyJob_GetPriority(job, &priority);
    ok(hr == S_OK, "GetPriority failed: %#lx.\n", hr);
    ok(priority == BG_JOB_PRIORITY_NORMAL, "got priority %u.\n", priority);

    /* Notification flags; a set including BG_NOTIFY_DISABLE is accepted. */
    hr = IBackgroundCopyJob_SetNotifyFlags(job, BG_NOTIFY_JOB_MODIFICATION);
    ok(hr == S_OK, "SetNotifyFlags failed: %#lx.\n", hr);
    value = 0xdead;
    hr = IBackgroundCopyJob_GetNotifyFlags(job, &value);
    ok(hr == S_OK, "GetNotifyFlags failed: %#lx.\n", hr);
    ok(value == BG_NOTIFY_JOB_MODIFICATION, "got notify flags %#lx.\n", value);
    hr = IBackgroundCopyJob_SetNotifyFlags(job, BG_NOTIFY_JOB_TRANSFERRED | BG_NOTIFY_JOB_ERROR | BG_NOTIFY_DISABLE);
    ok(hr == S_OK, "SetNotifyFlags failed: %#lx.\n", hr);
    value = 0xdead;
    hr = IBackgroundCopyJob_GetNotifyFlags(job, &value);
    ok(hr == S_OK, "GetNotifyFlags failed: %#lx.\n", hr);
    ok(value == (BG_NOTIFY_JOB_TRANSFERRED | BG_NOTIFY_JOB_ERROR | BG_NOTIFY_DISABLE), "got notify flags %#lx.\n", value);

    hr = IBackgroundCopyJob_SetNotifyInterface(job, NULL);
    ok(hr == S_OK, "SetNotifyInterface(NULL) failed: %#lx.\n", hr);

    /* Retry delay: values below 5 s are raised to 5 s. */
    hr = IBackgroundCopyJob_SetMinimumRetryDelay(job, 60);
    ok(hr == S_OK, "SetMinimumRetryDelay failed: %#lx.\n", hr);
    value = 0xdead;
    hr = IBackgroundCopyJob_GetMinimumRetryDelay(job, &value);
    ok(hr == S_OK, "GetMinimumRetryDelay failed: %#lx.\n", hr);
    ok(value == 60, "got minimum retry delay %lu.\n", value);
    hr = IBackgroundCopyJob_SetMinimumRetryDelay(job, 1);
    ok(hr == S_OK, "SetMinimumRetryDelay(1) failed: %#lx.\n", hr);
    value = 0xdead;
    hr = IBackgroundCopyJob_GetMinimumRetryDelay(job, &value);
    ok(hr == S_OK, "GetMinimumRetryDelay failed: %#lx.\n", hr);
    ok(value == 5, "got minimum retry delay %lu.\n", value);

    /* No-progress timeout; 0 is allowed. */
    hr = IBackgroundCopyJob_SetNoProgressTimeout(job, 100);
    ok(hr == S_OK, "SetNoProgressTimeout failed: %#lx.\n", hr);
    value = 0xdead;
    hr = IBackgroundCopyJob_GetNoProgressTimeout(job, &value);
    ok(hr == S_OK, "GetNoProgressTimeout failed: %#lx.\n", hr);
    ok(value == 100, "got no-progress timeout %lu.\n", value);
    hr = IBackgroundCopyJob_SetNoProgressTimeout(job, 0);
    ok(hr == S_OK, "SetNoProgressTimeout(0) failed: %#lx.\n", hr);
    value = 0xdead;
    hr = IBackgroundCopyJob_GetNoProgressTimeout(job, &value);
    ok(hr == S_OK, "GetNoProgressTimeout failed: %#lx.\n", hr);
    ok(value == 0, "got no-progress timeout %lu.\n", value);

    /* Proxy settings. */
    hr = IBackgroundCopyJob_SetProxySettings(job, BG_JOB_PROXY_USAGE_OVERRIDE, L"http://proxy.invalid:8080", L"<local>");
    ok(hr == S_OK, "SetProxySettings(OVERRIDE) failed: %#lx.\n", hr);
    usage = 0xdead;
    proxy_list = bypass_list = NULL;
    hr = IBackgroundCopyJob_GetProxySettings(job, &usage, &proxy_list, &bypass_list);
    ok(hr == S_OK, "GetProxySettings failed: %#lx.\n", hr);
    ok(usage == BG_JOB_PROXY_USAGE_OVERRIDE, "got proxy usage %u.\n", usage);
    ok(proxy_list && !wcscmp(proxy_list, L"http://proxy.invalid:8080"), "got proxy list %s.\n", wine_dbgstr_w(proxy_list));
    ok(bypass_list && !wcscmp(bypass_list, L"<local>"), "got bypass list %s.\n", wine_dbgstr_w(bypass_list));
    CoTaskMemFree(proxy_list);
    CoTaskMemFree(bypass_list);

    /* OVERRIDE needs a proxy list; the usage must be one of the enumeration. */
    hr = IBackgroundCopyJob_SetProxySettings(job, BG_JOB_PROXY_USAGE_OVERRIDE, NULL, NULL);
    ok(hr == E_INVALIDARG, "SetProxySettings(OVERRIDE, NULL) returned %#lx.\n", hr);
    hr = IBackgroundCopyJob_SetProxySettings(job, BG_JOB_PROXY_USAGE_AUTODETECT + 1, NULL, NULL);
    ok(hr == E_NOTIMPL, "SetProxySettings(4) returned %#lx.\n", hr);

    hr = IBackgroundCopyJob_SetProxySettings(job, BG_JOB_PROXY_USAGE_NO_PROXY, NULL, NULL);
    ok(hr == S_OK, "SetProxySettings(NO_PROXY) failed: %#lx.\n", hr);
    usage = 0xdead;
    proxy_list = bypass_list = NULL;
    hr = IBackgroundCopyJob_GetProxySettings(job, &usage, &proxy_list, &bypass_list);
    ok(hr == S_OK, "GetProxySettings failed: %#lx.\n", hr);
    ok(usage == BG_JOB_PROXY_USAGE_NO_PROXY, "got proxy usage %u.\n", usage);
    CoTaskMemFree(proxy_list);
    CoTaskMemFree(bypass_list);

    /* Setters do not move the creation time, and modification is not earlier. */
    hr = IBackgroundCopyJob_GetTimes(job, &times2);
    ok(hr == S_OK, "GetTimes failed: %#lx.\n", hr);
    ok(filetime_value(&times2.CreationTime) == filetime_value(&times.CreationTime), "creation time changed.\n");
    ok(filetime_value(&times2.ModificationTime) >= filetime_value(&times.ModificationTime),
       "modification time went back.\n");

    check_state(job, BG_JOB_STATE_SUSPENDED);
    cancel_and_release(job);
}

/* The modification time moves with calls that change nothing too
 * (behavior.md 8.4): Suspend of a suspended job, SetNotifyInterface. */
static void test_modification_time_calls(void)
{
    BG_JOB_TIMES before, after;
    IBackgroundCopyJob *job;
    HRESULT hr;

    if (!(job = create_job(BG_JOB_TYPE_DOWNLOAD, NULL))) return;
    hr = IBackgroundCopyJob_GetTimes(job, &before);
    ok(hr == S_OK, "GetTimes failed: %#lx.\n", hr);
    Sleep(20);
    hr = IBackgroundCopyJob_Suspend(job);
    ok(hr == S_OK, "Suspend failed: %#lx.\n", hr);
    hr = IBackgroundCopyJob_GetTimes(job, &after);
    ok(hr == S_OK, "GetTimes failed: %#lx.\n", hr);
    ok(filetime_value(&after.ModificationTime) > filetime_value(&before.ModificationTime),
       "Suspend of a suspended job left the modification time.\n");

    before = after;
    Sleep(20);
    hr = IBackgroundCopyJob_SetNotifyInterface(job, NULL);
    ok(hr == S_OK, "SetNotifyInterface failed: %#lx.\n", hr);
    hr = IBackgroundCopyJob_GetTimes(job, &after);
    ok(hr == S_OK, "GetTimes failed: %#lx.\n", hr);
    ok(filetime_value(&after.ModificationTime) > filetime_value(&before.ModificationTime),
       "SetNotifyInterface left the modification time.\n");
    cancel_and_release(job);
}

/* Every setter of a job in a final state fails with BG_E_INVALID_STATE. */
static void check_final_state_setters(IBackgroundCopyJob *job)
{
    HRESULT hr;

    hr = IBackgroundCopyJob_SetDisplayName(job, L"final");
    ok(hr == BG_E_INVALID_STATE, "SetDisplayName returned %#lx.\n", hr);
    hr = IBackgroundCopyJob_SetDescription(job, L"final");
    ok(hr == BG_E_INVALID_STATE, "SetDescription returned %#lx.\n", hr);
    hr = IBackgroundCopyJob_SetPriority(job, BG_JOB_PRIORITY_HIGH);
    ok(hr == BG_E_INVALID_STATE, "SetPriority returned %#lx.\n", hr);
    hr = IBackgroundCopyJob_SetNotifyFlags(job, BG_NOTIFY_JOB_TRANSFERRED);
    ok(hr == BG_E_INVALID_STATE, "SetNotifyFlags returned %#lx.\n", hr);
    hr = IBackgroundCopyJob_SetNotifyInterface(job, NULL);
    ok(hr == BG_E_INVALID_STATE, "SetNotifyInterface(NULL) returned %#lx.\n", hr);
    hr = IBackgroundCopyJob_SetMinimumRetryDelay(job, 60);
    ok(hr == BG_E_INVALID_STATE, "SetMinimumRetryDelay returned %#lx.\n", hr);
    hr = IBackgroundCopyJob_SetNoProgressTimeout(job, 60);
    ok(hr == BG_E_INVALID_STATE, "SetNoProgressTimeout returned %#lx.\n", hr);
    hr = IBackgroundCopyJob_Suspend(job);
    ok(hr == BG_E_INVALID_STATE, "Suspend returned %#lx.\n", hr);
    hr = IBackgroundCopyJob_Resume(job);
    ok(hr == BG_E_INVALID_STATE, "Resume returned %#lx.\n", hr);
    hr = IBackgroundCopyJob_Cancel(job);
    ok(hr == BG_E_INVALID_STATE, "Cancel returned %#lx.\n", hr);
    hr = IBackgroundCopyJob_Complete(job);
    ok(hr == BG_E_INVALID_STATE, "Complete returned %#lx.\n", hr);
}

static void test_state_changes(void)
{
    IBackgroundCopyJobHttpOptions *http_options;
    IBackgroundCopyJob *job, *job2;
    WCHAR *str;
    GUID id;
    HRESULT hr;

    job = create_job(BG_JOB_TYPE_DOWNLOAD, &id);
    if (!job) return;

    /* Resume without files. */
    hr = IBackgroundCopyJob_Resume(job);
    ok(hr == BG_E_EMPTY, "Resume returned %#lx.\n", hr);
    check_state(job, BG_JOB_STATE_SUSPENDED);

    /* Suspend of a suspended job. */
    hr = IBackgroundCopyJob_Suspend(job);
    ok(hr == S_OK, "Suspend failed: %#lx.\n", hr);
    check_state(job, BG_JOB_STATE_SUSPENDED);

    http_options = NULL;
    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJobHttpOptions, (void **)&http_options);
    ok(hr == S_OK, "QueryInterface(IBackgroundCopyJobHttpOptions) failed: %#lx.\n", hr);

    hr = IBackgroundCopyJob_Cancel(job);
    ok(hr == S_OK, "Cancel failed: %#lx.\n", hr);
    check_state(job, BG_JOB_STATE_CANCELLED);
    check_final_state_setters(job);
    if (http_options)
    {
        hr = IBackgroundCopyJobHttpOptions_SetCustomHeaders(http_options, L"X-Test: 1\r\n");
        ok(hr == BG_E_INVALID_STATE, "SetCustomHeaders returned %#lx.\n", hr);
        IBackgroundCopyJobHttpOptions_Release(http_options);
    }

    /* Getters still answer. */
    check_state(job, BG_JOB_STATE_CANCELLED);
    str = NULL;
    hr = IBackgroundCopyJob_GetDisplayName(job, &str);
    ok(hr == S_OK, "GetDisplayName failed: %#lx.\n", hr);
    ok(str && !wcsncmp(str, L"qmgr_test ", 10), "got display name %s.\n", wine_dbgstr_w(str));
    CoTaskMemFree(str);

    job2 = NULL;
    hr = IBackgroundCopyManager_GetJob(manager, &id, &job2);
    ok(hr == BG_E_NOT_FOUND, "GetJob(cancelled) returned %#lx.\n", hr);
    if (SUCCEEDED(hr) && job2) IBackgroundCopyJob_Release(job2);

    IBackgroundCopyJob_Release(job);
}

static void test_AddFile(void)
{
    WCHAR local1[MAX_PATH], local2[MAX_PATH], local3[MAX_PATH], local4[MAX_PATH];
    WCHAR long_url[2300];
    IBackgroundCopyJob *job, *job2;
    BG_JOB_PROGRESS progress;
    BG_FILE_INFO files[2];
    GUID id;
    HRESULT hr;

    job = create_job(BG_JOB_TYPE_DOWNLOAD, &id);
    if (!job) return;

    make_local_name(local1, ARRAY_SIZE(local1), L"add");
    make_local_name(local2, ARRAY_SIZE(local2), L"set");
    make_local_name(local3, ARRAY_SIZE(local3), L"set");

    hr = IBackgroundCopyJob_AddFile(job, TEST_URL, local1);
    ok(hr == S_OK, "AddFile failed: %#lx.\n", hr);
    ok(file_count(job) == 1, "got %lu files.\n", file_count(job));

    files[0].RemoteName = (WCHAR *)L"http://127.0.0.1:1/second.bin";
    files[0].LocalName = local2;
    files[1].RemoteName = (WCHAR *)L"http://127.0.0.1:1/third.bin";
    files[1].LocalName = local3;
    hr = IBackgroundCopyJob_AddFileSet(job, 2, files);
    ok(hr == S_OK, "AddFileSet failed: %#lx.\n", hr);
    ok(file_count(job) == 3, "got %lu files.\n", file_count(job));

    memset(&progress, 0xcc, sizeof(progress));
    hr = IBackgroundCopyJob_GetProgress(job, &progress);
    ok(hr == S_OK, "GetProgress failed: %#lx.\n", hr);
    ok(progress.FilesTotal == 3, "got FilesTotal %lu.\n", progress.FilesTotal);
    ok(progress.FilesTransferred == 0, "got FilesTransferred %lu.\n", progress.FilesTransferred);
    ok(progress.BytesTransferred == 0, "got BytesTransferred %s.\n", wine_dbgstr_longlong(progress.BytesTransferred));

    /* The local name must be a full path, without wildcards, NTFS streams or
     * a \\?\ prefix, and not a device (spec 7.1). */
    hr = IBackgroundCopyJob_AddFile(job, TEST_URL, L"qmgr_relative.bin");
    ok(hr == E_INVALIDARG, "AddFile(relative path) returned %#lx.\n", hr);
    {
        static const WCHAR *const suffixes[] = { L"*.bin", L"file?.bin", L"file.bin:stream", L"NUL", L"con.txt" };
        WCHAR bad[MAX_PATH + 16];
        unsigned int i;

        for (i = 0; i < ARRAY_SIZE(suffixes); i++)
        {
            make_local_name(bad, MAX_PATH, L"x");
            wcscpy(wcsrchr(bad, '\\') + 1, suffixes[i]);
            hr = IBackgroundCopyJob_AddFile(job, TEST_URL, bad);
            ok(hr == E_INVALIDARG, "AddFile(%s) returned %#lx.\n", wine_dbgstr_w(bad), hr);
        }
        swprintf(bad, ARRAY_SIZE(bad), L"\\\\?\\%ls", local1);
        hr = IBackgroundCopyJob_AddFile(job, TEST_URL, bad);
        ok(hr == E_INVALIDARG, "AddFile(%s) returned %#lx.\n", wine_dbgstr_w(bad), hr);
        hr = IBackgroundCopyJob_AddFile(job, TEST_URL, L"\\\\.\\pipe\\qmgr-test");
        ok(hr == E_INVALIDARG, "AddFile(named pipe) returned %#lx.\n", hr);
        /* A directory, not a file: the transfer could never be renamed to it. */
        make_local_name(bad, MAX_PATH, L"x");
        wcsrchr(bad, '\\')[1] = 0;
        hr = IBackgroundCopyJob_AddFile(job, TEST_URL, bad);
        ok(hr == E_INVALIDARG, "AddFile(%s) returned %#lx.\n", wine_dbgstr_w(bad), hr);
        wcscat(bad, L".");
        hr = IBackgroundCopyJob_AddFile(job, TEST_URL, bad);
        ok(hr == E_INVALIDARG, "AddFile(%s) returned %#lx.\n", wine_dbgstr_w(bad), hr);
        wcscat(bad, L".");
        hr = IBackgroundCopyJob_AddFile(job, TEST_URL, bad);
        ok(hr == E_INVALIDARG, "AddFile(%s) returned %#lx.\n", wine_dbgstr_w(bad), hr);
        hr = IBackgroundCopyJob_AddFile(job, TEST_URL, L"C:\\");
        ok(hr == E_INVALIDARG, "AddFile(C:\\) returned %#lx.\n", hr);
    }
    ok(file_count(job) == 3, "got %lu files.\n", file_count(job));

    /* Remote names: supported protocols only, at most 2200 characters. */
    make_local_name(local4, ARRAY_SIZE(local4), L"bad");
    hr = IBackgroundCopyJob_AddFile(job, L"ftp://127.0.0.1:1/file.bin", local4);
    ok(hr == E_INVALIDARG || hr == CO_E_NOT_SUPPORTED, "AddFile(ftp) returned %#lx.\n", hr);
    wcscpy(long_url, L"http://127.0.0.1:1");
    while (wcslen(long_url) < 2200 - 100)
        wcscat(long_url, L"/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    while (wcslen(long_url) < 2201) wcscat(long_url, L"b");
    hr = IBackgroundCopyJob_AddFile(job, long_url, local4);
    ok(hr == E_INVALIDARG, "AddFile(2201 chars URL) returned %#lx.\n", hr);
    /* No host, a wildcard, a segment longer than MAX_PATH. */
    hr = IBackgroundCopyJob_AddFile(job, L"http:///file.bin", local4);
    ok(hr == E_INVALIDARG, "AddFile(no host) returned %#lx.\n", hr);
    hr = IBackgroundCopyJob_AddFile(job, L"http://127.0.0.1:1/*.bin", local4);
    ok(hr == E_INVALIDARG, "AddFile(wildcard) returned %#lx.\n", hr);
    wcscpy(long_url, L"http://127.0.0.1:1/dir/");
    while (wcslen(long_url) < 24 + MAX_PATH) wcscat(long_url, L"a");
    wcscat(long_url, L"/file.bin");
    hr = IBackgroundCopyJob_AddFile(job, long_url, local4);
    ok(hr == E_INVALIDARG, "AddFile(segment of %u chars) returned %#lx.\n", MAX_PATH + 1, hr);
    /* An SMB name, as a path or a file URL, follows the local name's rules:
     * no wildcard (escaped or not), stream, device or NUL (spec 7.2). */
    {
        static const WCHAR *const smb_names[] =
        {
            L"file:///C:/dir/*.bin", L"file:///C:/dir/%2A.bin", L"file:///C:/dir/x.bin:ads", L"file://",
            L"file:///C:/dir/a%00b.bin", L"file:///C:/dir/NUL", L"C:\\dir\\*.bin", L"C:\\windows\\NUL",
        };
        unsigned int i;

        for (i = 0; i < ARRAY_SIZE(smb_names); i++)
        {
            hr = IBackgroundCopyJob_AddFile(job, smb_names[i], local4);
            ok(hr == E_INVALIDARG, "AddFile(%s) returned %#lx.\n", wine_dbgstr_w(smb_names[i]), hr);
        }
    }
    ok(file_count(job) == 3, "got %lu files.\n", file_count(job));

    /* Adding files does not start the job. */
    check_state(job, BG_JOB_STATE_SUSPENDED);

    /* Complete of a download job that transferred nothing: only the fully
     * transferred files (none) are kept. */
    hr = IBackgroundCopyJob_Complete(job);
    ok(hr == BG_S_PARTIAL_COMPLETE, "Complete returned %#lx.\n", hr);
    check_state(job, BG_JOB_STATE_ACKNOWLEDGED);
    ok(GetFileAttributesW(local1) == INVALID_FILE_ATTRIBUTES, "%s exists.\n", wine_dbgstr_w(local1));
    ok(GetFileAttributesW(local2) == INVALID_FILE_ATTRIBUTES, "%s exists.\n", wine_dbgstr_w(local2));

    check_final_state_setters(job);
    check_state(job, BG_JOB_STATE_ACKNOWLEDGED);

    job2 = NULL;
    hr = IBackgroundCopyManager_GetJob(manager, &id, &job2);
    ok(hr == BG_E_NOT_FOUND, "GetJob(acknowledged) returned %#lx.\n", hr);
    if (SUCCEEDED(hr) && job2) IBackgroundCopyJob_Release(job2);

    IBackgroundCopyJob_Release(job);
    DeleteFileW(local1);
    DeleteFileW(local2);
    DeleteFileW(local3);
}

static BOOL create_local_file(const WCHAR *path)
{
    static const char data[] = "upload test data\n";
    HANDLE file;
    DWORD written;
    BOOL ret;

    file = CreateFileW(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    if (file == INVALID_HANDLE_VALUE) return FALSE;
    ret = WriteFile(file, data, sizeof(data) - 1, &written, NULL);
    CloseHandle(file);
    return ret;
}

static void test_upload(void)
{
    WCHAR local[MAX_PATH], local2[MAX_PATH];
    IBackgroundCopyJob *job;
    BG_FILE_INFO files[2];
    HRESULT hr;

    make_local_name(local, ARRAY_SIZE(local), L"upload");
    make_local_name(local2, ARRAY_SIZE(local2), L"upload");
    ok(create_local_file(local), "cannot create %s.\n", wine_dbgstr_w(local));
    ok(create_local_file(local2), "cannot create %s.\n", wine_dbgstr_w(local2));

    /* An upload job takes exactly one file. */
    job = create_job(BG_JOB_TYPE_UPLOAD, NULL);
    if (job)
    {
        hr = IBackgroundCopyJob_AddFile(job, L"http://127.0.0.1:1/upload.bin", local);
        ok(hr == S_OK, "AddFile failed: %#lx.\n", hr);
        hr = IBackgroundCopyJob_AddFile(job, L"http://127.0.0.1:1/upload2.bin", local2);
        ok(hr == BG_E_TOO_MANY_FILES, "second AddFile returned %#lx.\n", hr);
        ok(file_count(job) == 1, "got %lu files.\n", file_count(job));

        /* Complete of an upload job is only allowed once it is transferred. */
        hr = IBackgroundCopyJob_Complete(job);
        ok(hr == BG_E_INVALID_STATE, "Complete returned %#lx.\n", hr);
        check_state(job, BG_JOB_STATE_SUSPENDED);
        cancel_and_release(job);
    }

    /* AddFileSet with two files adds none of them. */
    job = create_job(BG_JOB_TYPE_UPLOAD, NULL);
    if (job)
    {
        files[0].RemoteName = (WCHAR *)L"http://127.0.0.1:1/upload.bin";
        files[0].LocalName = local;
        files[1].RemoteName = (WCHAR *)L"http://127.0.0.1:1/upload2.bin";
        files[1].LocalName = local2;
        hr = IBackgroundCopyJob_AddFileSet(job, 2, files);
        ok(hr == BG_E_TOO_MANY_FILES, "AddFileSet returned %#lx.\n", hr);
        ok(file_count(job) == 0, "got %lu files.\n", file_count(job));
        cancel_and_release(job);
    }

    DeleteFileW(local);
    DeleteFileW(local2);
}

static void test_upload_reply(void)
{
    BG_JOB_REPLY_PROGRESS reply_progress;
    WCHAR local[MAX_PATH], reply[MAX_PATH], *str;
    IBackgroundCopyJob2 *job2;
    IBackgroundCopyJob *job;
    UINT64 length;
    BYTE *data;
    HRESULT hr;

    job = create_job(BG_JOB_TYPE_UPLOAD_REPLY, NULL);
    if (!job) return;
    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob2, (void **)&job2);
    ok(hr == S_OK, "QueryInterface(IBackgroundCopyJob2) failed: %#lx.\n", hr);
    if (FAILED(hr))
    {
        cancel_and_release(job);
        return;
    }

    /* No reply file name before a file is added and none is set. */
    str = (WCHAR *)0xdeadbeef;
    hr = IBackgroundCopyJob2_GetReplyFileName(job2, &str);
    ok(hr == S_OK, "GetReplyFileName failed: %#lx.\n", hr);
    ok(!str, "got reply file name %s.\n", wine_dbgstr_w(str));
    if (hr == S_OK && str) CoTaskMemFree(str);

    /* The reply has not started. */
    memset(&reply_progress, 0, sizeof(reply_progress));
    hr = IBackgroundCopyJob2_GetReplyProgress(job2, &reply_progress);
    ok(hr == S_OK, "GetReplyProgress failed: %#lx.\n", hr);
    ok(reply_progress.BytesTotal == BG_SIZE_UNKNOWN, "got BytesTotal %s.\n",
       wine_dbgstr_longlong(reply_progress.BytesTotal));
    ok(reply_progress.BytesTransferred == 0, "got BytesTransferred %s.\n",
       wine_dbgstr_longlong(reply_progress.BytesTransferred));

    /* Reply data only exists once the job is transferred. */
    data = NULL;
    length = 0;
    hr = IBackgroundCopyJob2_GetReplyData(job2, &data, &length);
    ok(hr == BG_E_INVALID_STATE, "GetReplyData returned %#lx.\n", hr);
    if (SUCCEEDED(hr)) CoTaskMemFree(data);

    make_local_name(reply, ARRAY_SIZE(reply), L"reply");
    hr = IBackgroundCopyJob2_SetReplyFileName(job2, reply);
    ok(hr == S_OK, "SetReplyFileName failed: %#lx.\n", hr);
    str = NULL;
    hr = IBackgroundCopyJob2_GetReplyFileName(job2, &str);
    ok(hr == S_OK, "GetReplyFileName failed: %#lx.\n", hr);
    ok(str && !wcscmp(str, reply), "got reply file name %s.\n", wine_dbgstr_w(str));
    CoTaskMemFree(str);

    /* One file, as for upload jobs. */
    make_local_name(local, ARRAY_SIZE(local), L"upload_reply");
    ok(create_local_file(local), "cannot create %s.\n", wine_dbgstr_w(local));
    hr = IBackgroundCopyJob2_AddFile(job2, L"http://127.0.0.1:1/upload_reply.bin", local);
    ok(hr == S_OK, "AddFile failed: %#lx.\n", hr);
    hr = IBackgroundCopyJob2_AddFile(job2, L"http://127.0.0.1:1/upload_reply2.bin", local);
    ok(hr == BG_E_TOO_MANY_FILES, "second AddFile returned %#lx.\n", hr);

    /* Without a name of its own, once there is a file, BITS names the reply: a
     * name in the uploaded file's directory, the same when asked again
     * (interfaces 4.2). */
    hr = IBackgroundCopyJob2_SetReplyFileName(job2, NULL);
    ok(hr == S_OK, "SetReplyFileName(NULL) failed: %#lx.\n", hr);
    str = NULL;
    hr = IBackgroundCopyJob2_GetReplyFileName(job2, &str);
    ok(hr == S_OK && str, "GetReplyFileName failed: %#lx.\n", hr);
    if (str)
    {
        WCHAR *again = NULL;
        size_t dir_len = wcsrchr(local, '\\') + 1 - local;

        ok(!wcsnicmp(str, local, dir_len) && !wcschr(str + dir_len, '\\') && wcsicmp(str, local),
           "got reply file name %s.\n", wine_dbgstr_w(str));
        hr = IBackgroundCopyJob2_GetReplyFileName(job2, &again);
        ok(hr == S_OK && again && !wcscmp(again, str), "got reply file name %s, then %s.\n", wine_dbgstr_w(str),
           wine_dbgstr_w(again));
        CoTaskMemFree(again);
        CoTaskMemFree(str);
    }

    hr = IBackgroundCopyJob2_Complete(job2);
    ok(hr == BG_E_INVALID_STATE, "Complete returned %#lx.\n", hr);
    check_state(job, BG_JOB_STATE_SUSPENDED);

    IBackgroundCopyJob2_Release(job2);
    cancel_and_release(job);
    DeleteFileW(local);
    DeleteFileW(reply);
}

static const struct
{
    const IID *iid;
    const char *name;
    BOOL optional; /* absent from older Windows versions */
    BOOL is_job;   /* derives from IBackgroundCopyJob */
}
job_interfaces[] =
{
    { &IID_IUnknown,                       "IUnknown" },
    { &IID_IBackgroundCopyJob,             "IBackgroundCopyJob", FALSE, TRUE },
    { &IID_IBackgroundCopyJob2,            "IBackgroundCopyJob2", FALSE, TRUE },
    { &IID_IBackgroundCopyJob3,            "IBackgroundCopyJob3", FALSE, TRUE },
    { &IID_IBackgroundCopyJob4,            "IBackgroundCopyJob4", FALSE, TRUE },
    { &IID_IBackgroundCopyJob5,            "IBackgroundCopyJob5", TRUE, TRUE },       /* Windows 8 */
    { &IID_IBackgroundCopyJobHttpOptions,  "IBackgroundCopyJobHttpOptions" },
    { &IID_IBackgroundCopyJobHttpOptions2, "IBackgroundCopyJobHttpOptions2", TRUE },  /* Windows 10 1809 */
    { &IID_IBackgroundCopyJobHttpOptions3, "IBackgroundCopyJobHttpOptions3", TRUE },  /* Windows 10 1903 */
    { &IID_IBitsTokenOptions,              "IBitsTokenOptions", TRUE },               /* Windows 7 */
};

/* QueryInterface for an optional interface; NULL (and a skip) if this
 * Windows version predates it. */
static void *query_optional(void *iface, const IID *iid, const char *name)
{
    void *obj = NULL;
    HRESULT hr;

    hr = IUnknown_QueryInterface((IUnknown *)iface, iid, &obj);
    if (hr == E_NOINTERFACE)
    {
        win_skip("%s is not supported.\n", name);
        return NULL;
    }
    ok(hr == S_OK, "QueryInterface(%s) failed: %#lx.\n", name, hr);
    return SUCCEEDED(hr) ? obj : NULL;
}

static void test_QueryInterface(void)
{
    IUnknown *unk_job, *unk, *obj;
    IBackgroundCopyJob *job, *base;
    BG_JOB_STATE state;
    void *ptr;
    unsigned int i;
    HRESULT hr;

    job = create_job(BG_JOB_TYPE_DOWNLOAD, NULL);
    if (!job) return;

    unk_job = NULL;
    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IUnknown, (void **)&unk_job);
    ok(hr == S_OK, "QueryInterface(IUnknown) failed: %#lx.\n", hr);

    for (i = 0; i < ARRAY_SIZE(job_interfaces); i++)
    {
        winetest_push_context("%s", job_interfaces[i].name);
        obj = NULL;
        hr = IBackgroundCopyJob_QueryInterface(job, job_interfaces[i].iid, (void **)&obj);
        if (hr == E_NOINTERFACE && job_interfaces[i].optional)
        {
            win_skip("not supported.\n");
            winetest_pop_context();
            continue;
        }
        ok(hr == S_OK, "QueryInterface failed: %#lx.\n", hr);
        ok(obj != NULL, "got NULL.\n");
        if (!obj)
        {
            winetest_pop_context();
            continue;
        }

        /* One object: every interface leads back to the same IUnknown and job. */
        unk = NULL;
        hr = IUnknown_QueryInterface(obj, &IID_IUnknown, (void **)&unk);
        ok(hr == S_OK, "QueryInterface(IUnknown) failed: %#lx.\n", hr);
        ok(unk == unk_job, "got IUnknown %p, the job's is %p.\n", unk, unk_job);
        if (unk) IUnknown_Release(unk);

        base = NULL;
        hr = IUnknown_QueryInterface(obj, &IID_IBackgroundCopyJob, (void **)&base);
        ok(hr == S_OK, "QueryInterface(IBackgroundCopyJob) failed: %#lx.\n", hr);
        if (base) IBackgroundCopyJob_Release(base);

        /* The job interfaces derive from IBackgroundCopyJob: its slots work
         * through each of them. */
        if (job_interfaces[i].is_job)
        {
            state = 0xdead;
            hr = IBackgroundCopyJob_GetState((IBackgroundCopyJob *)obj, &state);
            ok(hr == S_OK, "GetState failed: %#lx.\n", hr);
            ok(state == BG_JOB_STATE_SUSPENDED, "got state %u.\n", state);
        }
        IUnknown_Release(obj);
        winetest_pop_context();
    }

    /* Interfaces of other objects. */
    ptr = (void *)0xdeadbeef;
    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyFile, &ptr);
    ok(hr == E_NOINTERFACE, "QueryInterface(IBackgroundCopyFile) returned %#lx.\n", hr);
    ok(!ptr, "got %p.\n", ptr);
    if (hr == S_OK && ptr) IUnknown_Release((IUnknown *)ptr);
    ptr = (void *)0xdeadbeef;
    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyManager, &ptr);
    ok(hr == E_NOINTERFACE, "QueryInterface(IBackgroundCopyManager) returned %#lx.\n", hr);
    ok(!ptr, "got %p.\n", ptr);
    if (hr == S_OK && ptr) IUnknown_Release((IUnknown *)ptr);
    ptr = (void *)0xdeadbeef;
    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IEnumBackgroundCopyFiles, &ptr);
    ok(hr == E_NOINTERFACE, "QueryInterface(IEnumBackgroundCopyFiles) returned %#lx.\n", hr);
    ok(!ptr, "got %p.\n", ptr);
    if (hr == S_OK && ptr) IUnknown_Release((IUnknown *)ptr);

    if (unk_job) IUnknown_Release(unk_job);
    cancel_and_release(job);
}

static void test_token_options(void)
{
    IBitsTokenOptions *token_options;
    IBackgroundCopyJob *job;
    WCHAR *sid;
    DWORD flags;
    HRESULT hr;

    job = create_job(BG_JOB_TYPE_DOWNLOAD, NULL);
    if (!job) return;

    token_options = query_optional(job, &IID_IBitsTokenOptions, "IBitsTokenOptions");
    if (!token_options)
    {
        cancel_and_release(job);
        return;
    }

    flags = 0xdead;
    hr = IBitsTokenOptions_GetHelperTokenFlags(token_options, &flags);
    ok(hr == S_OK, "GetHelperTokenFlags failed: %#lx.\n", hr);
    ok(flags == 0, "got flags %#lx.\n", flags);

    sid = (WCHAR *)0xdeadbeef;
    hr = IBitsTokenOptions_GetHelperTokenSid(token_options, &sid);
    ok(hr == S_OK, "GetHelperTokenSid failed: %#lx.\n", hr);
    ok(!sid, "got SID %p.\n", sid);
    if (hr == S_OK && sid) CoTaskMemFree(sid);

    /* Before Windows 10 1607 only administrators may set the flags. */
    hr = IBitsTokenOptions_SetHelperTokenFlags(token_options, BG_TOKEN_LOCAL_FILE);
    ok(hr == S_OK || broken(hr == E_ACCESSDENIED), "SetHelperTokenFlags failed: %#lx.\n", hr);
    if (hr == S_OK)
    {
        flags = 0xdead;
        hr = IBitsTokenOptions_GetHelperTokenFlags(token_options, &flags);
        ok(hr == S_OK, "GetHelperTokenFlags failed: %#lx.\n", hr);
        ok(flags == BG_TOKEN_LOCAL_FILE, "got flags %#lx.\n", flags);

        hr = IBitsTokenOptions_SetHelperTokenFlags(token_options, BG_TOKEN_LOCAL_FILE | BG_TOKEN_NETWORK);
        ok(hr == S_OK, "SetHelperTokenFlags failed: %#lx.\n", hr);
        flags = 0xdead;
        hr = IBitsTokenOptions_GetHelperTokenFlags(token_options, &flags);
        ok(hr == S_OK, "GetHelperTokenFlags failed: %#lx.\n", hr);
        ok(flags == (BG_TOKEN_LOCAL_FILE | BG_TOKEN_NETWORK), "got flags %#lx.\n", flags);

        hr = IBitsTokenOptions_SetHelperTokenFlags(token_options, 0);
        ok(hr == S_OK, "SetHelperTokenFlags(0) failed: %#lx.\n", hr);
        flags = 0xdead;
        hr = IBitsTokenOptions_GetHelperTokenFlags(token_options, &flags);
        ok(hr == S_OK, "GetHelperTokenFlags failed: %#lx.\n", hr);
        ok(flags == 0, "got flags %#lx.\n", flags);
    }

    /* Setting the flags does not make a token appear. */
    sid = (WCHAR *)0xdeadbeef;
    hr = IBitsTokenOptions_GetHelperTokenSid(token_options, &sid);
    ok(hr == S_OK, "GetHelperTokenSid failed: %#lx.\n", hr);
    ok(!sid, "got SID %p.\n", sid);
    if (hr == S_OK && sid) CoTaskMemFree(sid);

    IBitsTokenOptions_Release(token_options);
    cancel_and_release(job);
}

/* Methods of the derived job interfaces, through the proxies' later vtable slots. */
static void test_derived_interfaces(void)
{
    BG_JOB_REPLY_PROGRESS reply_progress;
    BITS_JOB_PROPERTY_VALUE value;
    IBackgroundCopyJob2 *job2;
    IBackgroundCopyJob3 *job3;
    IBackgroundCopyJob4 *job4;
    IBackgroundCopyJob5 *job5;
    IBackgroundCopyJob *job;
    WCHAR *program, *params, cmd_program[MAX_PATH], cmd_params[MAX_PATH * 2], system_dir[MAX_PATH];
    WCHAR long_user[302];
    BG_AUTH_CREDENTIALS creds;
    unsigned int i;
    ULONG level, timeout;
    BOOL elevated;
    DWORD flags;
    HRESULT hr;

    i = GetSystemDirectoryW(system_dir, MAX_PATH - 1);
    ok(i && i < MAX_PATH - 1, "GetSystemDirectory failed: %lu.\n", GetLastError());
    if (system_dir[i - 1] != '\\') wcscat(system_dir, L"\\");

    job = create_job(BG_JOB_TYPE_DOWNLOAD, NULL);
    if (!job) return;

    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob2, (void **)&job2);
    ok(hr == S_OK, "QueryInterface(IBackgroundCopyJob2) failed: %#lx.\n", hr);
    if (SUCCEEDED(hr))
    {
        /* Never set: two empty strings. */
        program = params = NULL;
        hr = IBackgroundCopyJob2_GetNotifyCmdLine(job2, &program, &params);
        ok(hr == S_OK, "GetNotifyCmdLine failed: %#lx.\n", hr);
        ok(program && !program[0], "got program %s.\n", wine_dbgstr_w(program));
        ok(params && !params[0], "got parameters %s.\n", wine_dbgstr_w(params));
        CoTaskMemFree(program);
        CoTaskMemFree(params);

        /* A command line, then none again. */
        swprintf(cmd_program, ARRAY_SIZE(cmd_program), L"%lscmd.exe", system_dir);
        swprintf(cmd_params, ARRAY_SIZE(cmd_params), L"\"%ls\" /c exit 0", cmd_program);
        hr = IBackgroundCopyJob2_SetNotifyCmdLine(job2, cmd_program, cmd_params);
        ok(hr == S_OK, "SetNotifyCmdLine failed: %#lx.\n", hr);
        program = params = NULL;
        hr = IBackgroundCopyJob2_GetNotifyCmdLine(job2, &program, &params);
        ok(hr == S_OK, "GetNotifyCmdLine failed: %#lx.\n", hr);
        ok(program && !wcscmp(program, cmd_program), "got program %s.\n", wine_dbgstr_w(program));
        ok(params && !wcscmp(params, cmd_params), "got parameters %s.\n", wine_dbgstr_w(params));
        CoTaskMemFree(program);
        CoTaskMemFree(params);
        hr = IBackgroundCopyJob2_SetNotifyCmdLine(job2, NULL, NULL);
        ok(hr == S_OK, "SetNotifyCmdLine(NULL, NULL) failed: %#lx.\n", hr);
        program = params = NULL;
        hr = IBackgroundCopyJob2_GetNotifyCmdLine(job2, &program, &params);
        ok(hr == S_OK, "GetNotifyCmdLine failed: %#lx.\n", hr);
        ok(program && !program[0], "got program %s.\n", wine_dbgstr_w(program));
        ok(params && !params[0], "got parameters %s.\n", wine_dbgstr_w(params));
        CoTaskMemFree(program);
        CoTaskMemFree(params);

        /* Credentials: one entry per target and scheme. */
        memset(&creds, 0, sizeof(creds));
        creds.Target = BG_AUTH_TARGET_SERVER;
        creds.Scheme = BG_AUTH_SCHEME_BASIC;
        creds.Credentials.Basic.UserName = (WCHAR *)L"user";
        creds.Credentials.Basic.Password = (WCHAR *)L"password";
        hr = IBackgroundCopyJob2_SetCredentials(job2, &creds);
        ok(hr == S_OK, "SetCredentials failed: %#lx.\n", hr);
        hr = IBackgroundCopyJob2_RemoveCredentials(job2, BG_AUTH_TARGET_SERVER, BG_AUTH_SCHEME_BASIC);
        ok(hr == S_OK, "RemoveCredentials failed: %#lx.\n", hr);
        hr = IBackgroundCopyJob2_RemoveCredentials(job2, BG_AUTH_TARGET_SERVER, BG_AUTH_SCHEME_BASIC);
        ok(hr == S_FALSE, "second RemoveCredentials returned %#lx.\n", hr);
        hr = IBackgroundCopyJob2_RemoveCredentials(job2, BG_AUTH_TARGET_PROXY, BG_AUTH_SCHEME_NTLM);
        ok(hr == S_FALSE, "RemoveCredentials of nothing returned %#lx.\n", hr);

        creds.Target = BG_AUTH_TARGET_PROXY + 1;
        hr = IBackgroundCopyJob2_SetCredentials(job2, &creds);
        ok(hr == BG_E_INVALID_AUTH_TARGET, "SetCredentials(target 3) returned %#lx.\n", hr);
        creds.Target = BG_AUTH_TARGET_SERVER;
        creds.Scheme = BG_AUTH_SCHEME_PASSPORT + 1;
        hr = IBackgroundCopyJob2_SetCredentials(job2, &creds);
        ok(hr == BG_E_INVALID_AUTH_SCHEME, "SetCredentials(scheme 6) returned %#lx.\n", hr);
        creds.Scheme = BG_AUTH_SCHEME_BASIC;
        creds.Credentials.Basic.UserName = NULL;
        hr = IBackgroundCopyJob2_SetCredentials(job2, &creds);
        ok(hr == E_INVALIDARG, "SetCredentials(BASIC, NULL user) returned %#lx.\n", hr);
        /* A password without a user name, for a scheme that may go without both. */
        creds.Scheme = BG_AUTH_SCHEME_NTLM;
        hr = IBackgroundCopyJob2_SetCredentials(job2, &creds);
        ok(hr == E_INVALIDARG, "SetCredentials(NTLM, NULL user, a password) returned %#lx.\n", hr);
        creds.Credentials.Basic.Password = NULL;
        hr = IBackgroundCopyJob2_SetCredentials(job2, &creds);
        ok(hr == S_OK, "SetCredentials(NTLM, NULL, NULL) returned %#lx.\n", hr);
        hr = IBackgroundCopyJob2_RemoveCredentials(job2, BG_AUTH_TARGET_SERVER, BG_AUTH_SCHEME_NTLM);
        ok(hr == S_OK, "RemoveCredentials(NTLM) returned %#lx.\n", hr);
        creds.Scheme = BG_AUTH_SCHEME_BASIC;
        creds.Credentials.Basic.Password = (WCHAR *)L"password";
        for (i = 0; i < 301; i++) long_user[i] = 'u';
        long_user[301] = 0;
        creds.Credentials.Basic.UserName = long_user;
        hr = IBackgroundCopyJob2_SetCredentials(job2, &creds);
        ok(hr == BG_E_USERNAME_TOO_LARGE, "SetCredentials(301 chars user) returned %#lx.\n", hr);

        /* Reply methods are for upload-reply jobs only. */
        memset(&reply_progress, 0, sizeof(reply_progress));
        hr = IBackgroundCopyJob2_GetReplyProgress(job2, &reply_progress);
        ok(hr == E_NOTIMPL, "GetReplyProgress returned %#lx.\n", hr);
        program = NULL;
        hr = IBackgroundCopyJob2_GetReplyFileName(job2, &program);
        ok(hr == E_NOTIMPL, "GetReplyFileName returned %#lx.\n", hr);
        if (SUCCEEDED(hr)) CoTaskMemFree(program);

        /* A base slot through the derived proxy. */
        hr = IBackgroundCopyJob2_SetDescription(job2, L"through job2");
        ok(hr == S_OK, "SetDescription failed: %#lx.\n", hr);
        IBackgroundCopyJob2_Release(job2);
    }

    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob3, (void **)&job3);
    ok(hr == S_OK, "QueryInterface(IBackgroundCopyJob3) failed: %#lx.\n", hr);
    if (SUCCEEDED(hr))
    {
        flags = 0xdead;
        hr = IBackgroundCopyJob3_GetFileACLFlags(job3, &flags);
        ok(hr == S_OK, "GetFileACLFlags failed: %#lx.\n", hr);
        ok(flags == 0, "got ACL flags %#lx.\n", flags);
        hr = IBackgroundCopyJob3_SetFileACLFlags(job3, BG_COPY_FILE_DACL);
        ok(hr == S_OK, "SetFileACLFlags failed: %#lx.\n", hr);
        flags = 0xdead;
        hr = IBackgroundCopyJob3_GetFileACLFlags(job3, &flags);
        ok(hr == S_OK, "GetFileACLFlags failed: %#lx.\n", hr);
        ok(flags == BG_COPY_FILE_DACL, "got ACL flags %#lx.\n", flags);
        IBackgroundCopyJob3_Release(job3);
    }

    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob4, (void **)&job4);
    ok(hr == S_OK, "QueryInterface(IBackgroundCopyJob4) failed: %#lx.\n", hr);
    if (SUCCEEDED(hr))
    {
        timeout = 0xdead;
        hr = IBackgroundCopyJob4_GetMaximumDownloadTime(job4, &timeout);
        ok(hr == S_OK, "GetMaximumDownloadTime failed: %#lx.\n", hr);
        ok(timeout == 7776000, "got maximum download time %lu.\n", timeout);
        hr = IBackgroundCopyJob4_SetMaximumDownloadTime(job4, 3600);
        ok(hr == S_OK, "SetMaximumDownloadTime failed: %#lx.\n", hr);
        timeout = 0xdead;
        hr = IBackgroundCopyJob4_GetMaximumDownloadTime(job4, &timeout);
        ok(hr == S_OK, "GetMaximumDownloadTime failed: %#lx.\n", hr);
        ok(timeout == 3600, "got maximum download time %lu.\n", timeout);

        level = 0xdead;
        hr = IBackgroundCopyJob4_GetOwnerIntegrityLevel(job4, &level);
        ok(hr == S_OK, "GetOwnerIntegrityLevel failed: %#lx.\n", hr);
        trace("owner integrity level %#lx.\n", level);
        elevated = 0xdead;
        hr = IBackgroundCopyJob4_GetOwnerElevationState(job4, &elevated);
        ok(hr == S_OK, "GetOwnerElevationState failed: %#lx.\n", hr);
        ok(elevated == TRUE || elevated == FALSE, "got elevation state %d.\n", elevated);

        /* The first slot of IBackgroundCopyJob through the Job4 proxy. */
        hr = IBackgroundCopyJob4_Resume(job4);
        ok(hr == BG_E_EMPTY, "Resume returned %#lx.\n", hr);
        IBackgroundCopyJob4_Release(job4);
    }

    job5 = query_optional(job, &IID_IBackgroundCopyJob5, "IBackgroundCopyJob5");
    if (job5)
    {
        memset(&value, 0xcc, sizeof(value));
        hr = IBackgroundCopyJob5_GetProperty(job5, BITS_JOB_PROPERTY_MINIMUM_NOTIFICATION_INTERVAL_MS, &value);
        ok(hr == S_OK, "GetProperty(MINIMUM_NOTIFICATION_INTERVAL_MS) failed: %#lx.\n", hr);
        ok(value.Dword == 500, "got notification interval %lu.\n", value.Dword);

        memset(&value, 0, sizeof(value));
        value.Dword = 1000;
        hr = IBackgroundCopyJob5_SetProperty(job5, BITS_JOB_PROPERTY_MINIMUM_NOTIFICATION_INTERVAL_MS, value);
        ok(hr == S_OK, "SetProperty(MINIMUM_NOTIFICATION_INTERVAL_MS) failed: %#lx.\n", hr);
        memset(&value, 0xcc, sizeof(value));
        hr = IBackgroundCopyJob5_GetProperty(job5, BITS_JOB_PROPERTY_MINIMUM_NOTIFICATION_INTERVAL_MS, &value);
        ok(hr == S_OK, "GetProperty(MINIMUM_NOTIFICATION_INTERVAL_MS) failed: %#lx.\n", hr);
        ok(value.Dword == 1000, "got notification interval %lu.\n", value.Dword);

        memset(&value, 0xcc, sizeof(value));
        hr = IBackgroundCopyJob5_GetProperty(job5, BITS_JOB_PROPERTY_HIGH_PERFORMANCE, &value);
        ok(hr == S_OK, "GetProperty(HIGH_PERFORMANCE) failed: %#lx.\n", hr);
        ok(value.Enable == FALSE, "got high performance %d.\n", value.Enable);

        memset(&value, 0xcc, sizeof(value));
        hr = IBackgroundCopyJob5_GetProperty(job5, BITS_JOB_PROPERTY_DYNAMIC_CONTENT, &value);
        ok(hr == S_OK, "GetProperty(DYNAMIC_CONTENT) failed: %#lx.\n", hr);
        ok(value.Enable == FALSE, "got dynamic content %d.\n", value.Enable);

        memset(&value, 0xcc, sizeof(value));
        hr = IBackgroundCopyJob5_GetProperty(job5, BITS_JOB_PROPERTY_NOTIFICATION_CLSID, &value);
        ok(hr == S_OK, "GetProperty(NOTIFICATION_CLSID) failed: %#lx.\n", hr);
        ok(IsEqualGUID(&value.ClsID, &GUID_NULL), "got notification CLSID %s.\n", wine_dbgstr_guid(&value.ClsID));

        /* Base slots through the Job5 proxy. */
        timeout = 0xdead;
        hr = IBackgroundCopyJob5_GetMaximumDownloadTime(job5, &timeout);
        ok(hr == S_OK, "GetMaximumDownloadTime failed: %#lx.\n", hr);
        ok(timeout == 3600, "got maximum download time %lu.\n", timeout);
        program = NULL;
        hr = IBackgroundCopyJob5_GetDescription(job5, &program);
        ok(hr == S_OK, "GetDescription failed: %#lx.\n", hr);
        ok(program && !wcscmp(program, L"through job2"), "got description %s.\n", wine_dbgstr_w(program));
        CoTaskMemFree(program);
        IBackgroundCopyJob5_Release(job5);
    }

    cancel_and_release(job);
}

static void test_http_options(void)
{
    static const BG_JOB_TYPE upload_types[] = { BG_JOB_TYPE_UPLOAD, BG_JOB_TYPE_UPLOAD_REPLY };
    IBackgroundCopyJobHttpOptions3 *http_options3;
    IBackgroundCopyJobHttpOptions2 *http_options2;
    IBackgroundCopyJobHttpOptions *http_options;
    IBackgroundCopyJob *job;
    IUnknown *unk_job, *unk;
    WCHAR *str;
    ULONG flags;
    unsigned int i;
    HRESULT hr;

    job = create_job(BG_JOB_TYPE_DOWNLOAD, NULL);
    if (!job) return;

    http_options = NULL;
    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJobHttpOptions, (void **)&http_options);
    ok(hr == S_OK, "QueryInterface(IBackgroundCopyJobHttpOptions) failed: %#lx.\n", hr);
    if (FAILED(hr))
    {
        cancel_and_release(job);
        return;
    }

    /* COM identity. */
    unk_job = unk = NULL;
    IBackgroundCopyJob_QueryInterface(job, &IID_IUnknown, (void **)&unk_job);
    hr = IBackgroundCopyJobHttpOptions_QueryInterface(http_options, &IID_IUnknown, (void **)&unk);
    ok(hr == S_OK, "QueryInterface(IUnknown) failed: %#lx.\n", hr);
    ok(unk == unk_job, "got IUnknown %p, the job's is %p.\n", unk, unk_job);
    if (unk) IUnknown_Release(unk);
    if (unk_job) IUnknown_Release(unk_job);

    /* Custom headers. */
    str = (WCHAR *)0xdeadbeef;
    hr = IBackgroundCopyJobHttpOptions_GetCustomHeaders(http_options, &str);
    ok(hr == S_FALSE, "GetCustomHeaders returned %#lx.\n", hr);
    ok(!str, "got headers %p.\n", str);
    if (SUCCEEDED(hr) && str) CoTaskMemFree(str);

    hr = IBackgroundCopyJobHttpOptions_SetCustomHeaders(http_options, L"X-Test: 1\r\n");
    ok(hr == S_OK, "SetCustomHeaders failed: %#lx.\n", hr);
    str = NULL;
    hr = IBackgroundCopyJobHttpOptions_GetCustomHeaders(http_options, &str);
    ok(hr == S_OK, "GetCustomHeaders failed: %#lx.\n", hr);
    ok(str && !wcscmp(str, L"X-Test: 1\r\n"), "got headers %s.\n", wine_dbgstr_w(str));
    CoTaskMemFree(str);

    hr = IBackgroundCopyJobHttpOptions_SetCustomHeaders(http_options, NULL);
    ok(hr == S_OK, "SetCustomHeaders(NULL) failed: %#lx.\n", hr);
    str = (WCHAR *)0xdeadbeef;
    hr = IBackgroundCopyJobHttpOptions_GetCustomHeaders(http_options, &str);
    ok(hr == S_FALSE, "GetCustomHeaders returned %#lx.\n", hr);
    ok(!str, "got headers %p.\n", str);
    if (SUCCEEDED(hr) && str) CoTaskMemFree(str);

    /* Security flags. */
    flags = 0xdead;
    hr = IBackgroundCopyJobHttpOptions_GetSecurityFlags(http_options, &flags);
    ok(hr == S_OK, "GetSecurityFlags failed: %#lx.\n", hr);
    ok(flags == 0, "got security flags %#lx.\n", flags);
    hr = IBackgroundCopyJobHttpOptions_SetSecurityFlags(http_options, BG_SSL_IGNORE_UNKNOWN_CA);
    ok(hr == S_OK, "SetSecurityFlags failed: %#lx.\n", hr);
    flags = 0xdead;
    hr = IBackgroundCopyJobHttpOptions_GetSecurityFlags(http_options, &flags);
    ok(hr == S_OK, "GetSecurityFlags failed: %#lx.\n", hr);
    ok(flags == BG_SSL_IGNORE_UNKNOWN_CA, "got security flags %#lx.\n", flags);
    hr = IBackgroundCopyJobHttpOptions_SetSecurityFlags(http_options, 0);
    ok(hr == S_OK, "SetSecurityFlags(0) failed: %#lx.\n", hr);
    flags = 0xdead;
    hr = IBackgroundCopyJobHttpOptions_GetSecurityFlags(http_options, &flags);
    ok(hr == S_OK, "GetSecurityFlags failed: %#lx.\n", hr);
    ok(flags == 0, "got security flags %#lx.\n", flags);

    /* No client certificate to remove. */
    hr = IBackgroundCopyJobHttpOptions_RemoveClientCertificate(http_options);
    ok(hr == S_FALSE, "RemoveClientCertificate returned %#lx.\n", hr);

    /* HTTP method: GET for downloads. */
    http_options2 = query_optional(job, &IID_IBackgroundCopyJobHttpOptions2, "IBackgroundCopyJobHttpOptions2");
    if (http_options2)
    {
        str = NULL;
        hr = IBackgroundCopyJobHttpOptions2_GetHttpMethod(http_options2, &str);
        ok(hr == S_OK, "GetHttpMethod failed: %#lx.\n", hr);
        ok(str && !wcscmp(str, L"GET"), "got method %s.\n", wine_dbgstr_w(str));
        CoTaskMemFree(str);

        /* A slot of the base interface through the derived proxy. */
        flags = 0xdead;
        hr = IBackgroundCopyJobHttpOptions2_GetSecurityFlags(http_options2, &flags);
        ok(hr == S_OK, "GetSecurityFlags failed: %#lx.\n", hr);
        ok(flags == 0, "got security flags %#lx.\n", flags);
        IBackgroundCopyJobHttpOptions2_Release(http_options2);
    }

    http_options3 = query_optional(job, &IID_IBackgroundCopyJobHttpOptions3, "IBackgroundCopyJobHttpOptions3");
    if (http_options3)
    {
        /* Allowed while the job is suspended; NULL removes (none is set). */
        hr = IBackgroundCopyJobHttpOptions3_SetServerCertificateValidationInterface(http_options3, NULL);
        ok(hr == S_OK, "SetServerCertificateValidationInterface(NULL) failed: %#lx.\n", hr);

        str = NULL;
        hr = IBackgroundCopyJobHttpOptions3_GetHttpMethod(http_options3, &str);
        ok(hr == S_OK, "GetHttpMethod failed: %#lx.\n", hr);
        ok(str && !wcscmp(str, L"GET"), "got method %s.\n", wine_dbgstr_w(str));
        CoTaskMemFree(str);

        hr = IBackgroundCopyJobHttpOptions3_MakeCustomHeadersWriteOnly(http_options3);
        ok(hr == S_OK, "MakeCustomHeadersWriteOnly failed: %#lx.\n", hr);
        IBackgroundCopyJobHttpOptions3_Release(http_options3);
    }

    IBackgroundCopyJobHttpOptions_Release(http_options);
    cancel_and_release(job);

    /* BITS_POST for both upload types. */
    for (i = 0; i < ARRAY_SIZE(upload_types); i++)
    {
        if (!(job = create_job(upload_types[i], NULL))) continue;
        http_options2 = query_optional(job, &IID_IBackgroundCopyJobHttpOptions2, "IBackgroundCopyJobHttpOptions2");
        if (http_options2)
        {
            str = NULL;
            hr = IBackgroundCopyJobHttpOptions2_GetHttpMethod(http_options2, &str);
            ok(hr == S_OK, "GetHttpMethod failed: %#lx.\n", hr);
            ok(str && !wcscmp(str, L"BITS_POST"), "type %d: got method %s.\n", upload_types[i], wine_dbgstr_w(str));
            CoTaskMemFree(str);
            IBackgroundCopyJobHttpOptions2_Release(http_options2);
        }
        cancel_and_release(job);
    }
}

/* IBitsTokenOptions is the same object as the job. */
static void test_token_options_identity(void)
{
    IBitsTokenOptions *token_options;
    IUnknown *unk_job, *unk;
    IBackgroundCopyJob *job, *job_again;
    GUID id, id_again;
    HRESULT hr;

    job = create_job(BG_JOB_TYPE_DOWNLOAD, &id);
    if (!job) return;
    token_options = query_optional(job, &IID_IBitsTokenOptions, "IBitsTokenOptions");
    if (token_options)
    {
        unk_job = unk = NULL;
        IBackgroundCopyJob_QueryInterface(job, &IID_IUnknown, (void **)&unk_job);
        hr = IBitsTokenOptions_QueryInterface(token_options, &IID_IUnknown, (void **)&unk);
        ok(hr == S_OK, "QueryInterface(IUnknown) failed: %#lx.\n", hr);
        ok(unk == unk_job, "got IUnknown %p, the job's is %p.\n", unk, unk_job);
        if (unk) IUnknown_Release(unk);
        if (unk_job) IUnknown_Release(unk_job);

        job_again = NULL;
        hr = IBitsTokenOptions_QueryInterface(token_options, &IID_IBackgroundCopyJob, (void **)&job_again);
        ok(hr == S_OK, "QueryInterface(IBackgroundCopyJob) failed: %#lx.\n", hr);
        if (job_again)
        {
            hr = IBackgroundCopyJob_GetId(job_again, &id_again);
            ok(hr == S_OK, "GetId failed: %#lx.\n", hr);
            ok(IsEqualGUID(&id, &id_again), "got id %s.\n", wine_dbgstr_guid(&id_again));
            IBackgroundCopyJob_Release(job_again);
        }
        IBitsTokenOptions_Release(token_options);
    }
    cancel_and_release(job);
}

/* A client-side callback object: IBackgroundCopyCallback3 and its bases, and,
 * when asked to, IBackgroundCopyServerCertificateValidationCallback. */
struct test_callback
{
    IBackgroundCopyCallback3 IBackgroundCopyCallback3_iface;
    IBackgroundCopyServerCertificateValidationCallback IBackgroundCopyServerCertificateValidationCallback_iface;
    LONG refcount;
    BOOL validates;
    LONG validator_queries;
};

static struct test_callback *impl_from_IBackgroundCopyCallback3(IBackgroundCopyCallback3 *iface)
{
    return CONTAINING_RECORD(iface, struct test_callback, IBackgroundCopyCallback3_iface);
}

static HRESULT WINAPI callback_QueryInterface(IBackgroundCopyCallback3 *iface, REFIID riid, void **obj)
{
    struct test_callback *callback = impl_from_IBackgroundCopyCallback3(iface);

    if (IsEqualGUID(riid, &IID_IUnknown) || IsEqualGUID(riid, &IID_IBackgroundCopyCallback) ||
        IsEqualGUID(riid, &IID_IBackgroundCopyCallback2) || IsEqualGUID(riid, &IID_IBackgroundCopyCallback3))
        *obj = &callback->IBackgroundCopyCallback3_iface;
    else if (callback->validates && IsEqualGUID(riid, &IID_IBackgroundCopyServerCertificateValidationCallback))
    {
        InterlockedIncrement(&callback->validator_queries);
        *obj = &callback->IBackgroundCopyServerCertificateValidationCallback_iface;
    }
    else
    {
        *obj = NULL;
        return E_NOINTERFACE;
    }
    IUnknown_AddRef((IUnknown *)*obj);
    return S_OK;
}

static ULONG WINAPI callback_AddRef(IBackgroundCopyCallback3 *iface)
{
    return InterlockedIncrement(&impl_from_IBackgroundCopyCallback3(iface)->refcount);
}

static ULONG WINAPI callback_Release(IBackgroundCopyCallback3 *iface)
{
    return InterlockedDecrement(&impl_from_IBackgroundCopyCallback3(iface)->refcount);
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

static HRESULT WINAPI callback_JobModification(IBackgroundCopyCallback3 *iface, IBackgroundCopyJob *job,
                                               DWORD reserved)
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

static struct test_callback *impl_from_validator(IBackgroundCopyServerCertificateValidationCallback *iface)
{
    return CONTAINING_RECORD(iface, struct test_callback, IBackgroundCopyServerCertificateValidationCallback_iface);
}

static HRESULT WINAPI validator_QueryInterface(IBackgroundCopyServerCertificateValidationCallback *iface,
                                               REFIID riid, void **obj)
{
    return callback_QueryInterface(&impl_from_validator(iface)->IBackgroundCopyCallback3_iface, riid, obj);
}

static ULONG WINAPI validator_AddRef(IBackgroundCopyServerCertificateValidationCallback *iface)
{
    return callback_AddRef(&impl_from_validator(iface)->IBackgroundCopyCallback3_iface);
}

static ULONG WINAPI validator_Release(IBackgroundCopyServerCertificateValidationCallback *iface)
{
    return callback_Release(&impl_from_validator(iface)->IBackgroundCopyCallback3_iface);
}

static HRESULT WINAPI validator_ValidateServerCertificate(IBackgroundCopyServerCertificateValidationCallback *iface,
        IBackgroundCopyJob *job, IBackgroundCopyFile *file, DWORD cert_length, const BYTE cert_data[],
        DWORD encoding, DWORD store_length, const BYTE store_data[])
{
    return S_OK;
}

static const IBackgroundCopyServerCertificateValidationCallbackVtbl validator_vtbl =
{
    validator_QueryInterface,
    validator_AddRef,
    validator_Release,
    validator_ValidateServerCertificate,
};

static void init_test_callback(struct test_callback *callback, BOOL validates)
{
    memset(callback, 0, sizeof(*callback));
    callback->IBackgroundCopyCallback3_iface.lpVtbl = &callback_vtbl;
    callback->IBackgroundCopyServerCertificateValidationCallback_iface.lpVtbl = &validator_vtbl;
    callback->refcount = 1;
    callback->validates = validates;
}

/* Client objects handed to the service are called back across the process boundary. */
static void test_callback_objects(void)
{
    IBackgroundCopyJobHttpOptions3 *http_options3;
    struct test_callback callback, plain;
    IBackgroundCopyCallback3 *callback3;
    IBackgroundCopyJob *job;
    IUnknown *unk;
    HRESULT hr;

    if (!(job = create_job(BG_JOB_TYPE_DOWNLOAD, NULL))) return;
    init_test_callback(&callback, TRUE);
    init_test_callback(&plain, FALSE);

    hr = IBackgroundCopyJob_SetNotifyInterface(job, (IUnknown *)&callback.IBackgroundCopyCallback3_iface);
    ok(hr == S_OK, "SetNotifyInterface failed: %#lx.\n", hr);
    ok(callback.refcount > 1, "the service holds no reference, refcount %ld.\n", callback.refcount);
    unk = NULL;
    hr = IBackgroundCopyJob_GetNotifyInterface(job, &unk);
    ok(hr == S_OK && unk != NULL, "GetNotifyInterface returned %#lx, %p.\n", hr, unk);
    if (unk)
    {
        hr = IUnknown_QueryInterface(unk, &IID_IBackgroundCopyCallback3, (void **)&callback3);
        ok(hr == S_OK, "the returned object is not our IBackgroundCopyCallback3: %#lx.\n", hr);
        if (hr == S_OK) IBackgroundCopyCallback3_Release(callback3);
        IUnknown_Release(unk);
    }
    hr = IBackgroundCopyJob_SetNotifyInterface(job, NULL);
    ok(hr == S_OK, "SetNotifyInterface(NULL) failed: %#lx.\n", hr);

    http_options3 = query_optional(job, &IID_IBackgroundCopyJobHttpOptions3, "IBackgroundCopyJobHttpOptions3");
    if (http_options3)
    {
        /* The service asks our object for the validation interface. */
        hr = IBackgroundCopyJobHttpOptions3_SetServerCertificateValidationInterface(http_options3,
                (IUnknown *)&callback.IBackgroundCopyCallback3_iface);
        ok(hr == S_OK, "SetServerCertificateValidationInterface failed: %#lx.\n", hr);
        ok(callback.validator_queries > 0, "the validation interface was never asked for.\n");

        hr = IBackgroundCopyJobHttpOptions3_SetServerCertificateValidationInterface(http_options3,
                (IUnknown *)&plain.IBackgroundCopyCallback3_iface);
        ok(hr == E_NOINTERFACE, "an object without the interface gave %#lx.\n", hr);

        hr = IBackgroundCopyJobHttpOptions3_SetServerCertificateValidationInterface(http_options3, NULL);
        ok(hr == S_OK, "SetServerCertificateValidationInterface(NULL) failed: %#lx.\n", hr);
        IBackgroundCopyJobHttpOptions3_Release(http_options3);
    }

    cancel_and_release(job);
    ok(callback.refcount == 1, "the service still holds %ld references.\n", callback.refcount - 1);
    ok(plain.refcount == 1, "the service still holds %ld references.\n", plain.refcount - 1);
}

static HRESULT set_enable_property(IBackgroundCopyJob *job, BITS_JOB_PROPERTY_ID id, BOOL enable)
{
    BITS_JOB_PROPERTY_VALUE value;
    IBackgroundCopyJob5 *job5;
    HRESULT hr;

    if (!(job5 = query_optional(job, &IID_IBackgroundCopyJob5, "IBackgroundCopyJob5"))) return E_NOINTERFACE;
    memset(&value, 0, sizeof(value));
    value.Enable = enable;
    hr = IBackgroundCopyJob5_SetProperty(job5, id, value);
    IBackgroundCopyJob5_Release(job5);
    return hr;
}

static HRESULT add_file_with_range(IBackgroundCopyJob *job)
{
    BG_FILE_RANGE range = { 100, 200 };
    IBackgroundCopyJob3 *job3;
    WCHAR local[MAX_PATH];
    HRESULT hr;

    if (FAILED(hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob3, (void **)&job3))) return hr;
    make_local_name(local, ARRAY_SIZE(local), L"ranged");
    hr = IBackgroundCopyJob3_AddFileWithRanges(job3, TEST_URL, local, 1, &range);
    IBackgroundCopyJob3_Release(job3);
    return hr;
}

/* Job5 properties that exclude each other or byte ranges, in either order
 * (spec 13): dynamic content has no size, so no file ranges and no on-demand
 * mode.  The docs name no code; the service answers
 * BG_E_UNSUPPORTED_JOB_CONFIGURATION. */
static void test_property_conflicts(void)
{
    IBackgroundCopyJob *job;
    HRESULT hr;
    GUID id;

    if (!(job = create_job(BG_JOB_TYPE_DOWNLOAD, &id))) return;
    hr = set_enable_property(job, BITS_JOB_PROPERTY_DYNAMIC_CONTENT, TRUE);
    if (hr == E_NOINTERFACE) goto done;
    ok(hr == S_OK, "SetProperty(DYNAMIC_CONTENT) failed: %#lx.\n", hr);
    hr = add_file_with_range(job);
    ok(hr == BG_E_UNSUPPORTED_JOB_CONFIGURATION, "AddFileWithRanges with dynamic content returned %#lx.\n", hr);
    hr = set_enable_property(job, BITS_JOB_PROPERTY_ON_DEMAND_MODE, TRUE);
    ok(hr == BG_E_UNSUPPORTED_JOB_CONFIGURATION, "SetProperty(ON_DEMAND_MODE) with dynamic content returned %#lx.\n", hr);
    IBackgroundCopyJob_Cancel(job);
    IBackgroundCopyJob_Release(job);

    if (!(job = create_job(BG_JOB_TYPE_DOWNLOAD, &id))) return;
    hr = add_file_with_range(job);
    ok(hr == S_OK, "AddFileWithRanges failed: %#lx.\n", hr);
    hr = set_enable_property(job, BITS_JOB_PROPERTY_DYNAMIC_CONTENT, TRUE);
    ok(hr == BG_E_UNSUPPORTED_JOB_CONFIGURATION, "SetProperty(DYNAMIC_CONTENT) with ranges returned %#lx.\n", hr);
    IBackgroundCopyJob_Cancel(job);
    IBackgroundCopyJob_Release(job);

    if (!(job = create_job(BG_JOB_TYPE_DOWNLOAD, &id))) return;
    hr = set_enable_property(job, BITS_JOB_PROPERTY_ON_DEMAND_MODE, TRUE);
    ok(hr == S_OK, "SetProperty(ON_DEMAND_MODE) failed: %#lx.\n", hr);
    hr = set_enable_property(job, BITS_JOB_PROPERTY_DYNAMIC_CONTENT, TRUE);
    ok(hr == BG_E_UNSUPPORTED_JOB_CONFIGURATION, "SetProperty(DYNAMIC_CONTENT) on demand returned %#lx.\n", hr);
done:
    IBackgroundCopyJob_Cancel(job);
    IBackgroundCopyJob_Release(job);
}

struct marshalled_job
{
    IStream *stream;
    GUID id;
    HRESULT hr;
};

/* Another apartment unmarshals the job, uses it and lets it go. */
static DWORD WINAPI use_marshalled_job(void *param)
{
    struct marshalled_job *data = param;
    IBackgroundCopyJob *job;
    BG_JOB_STATE state;
    GUID id;

    CoInitializeEx(NULL, COINIT_MULTITHREADED);
    if (SUCCEEDED(data->hr = CoGetInterfaceAndReleaseStream(data->stream, &IID_IBackgroundCopyJob, (void **)&job)))
    {
        if (SUCCEEDED(data->hr = IBackgroundCopyJob_GetId(job, &id)) && !IsEqualGUID(&id, &data->id))
            data->hr = E_UNEXPECTED;
        if (SUCCEEDED(data->hr)) data->hr = IBackgroundCopyJob_GetState(job, &state);
        IBackgroundCopyJob_Release(job);
    }
    CoUninitialize();
    return 0;
}

/* A job's pointer passed on to another apartment, as COM allows any proxy. */
static void test_marshal_job(void)
{
    struct marshalled_job data = { 0 };
    IBackgroundCopyJob *job;
    BG_JOB_STATE state;
    IStream *stream;
    HANDLE thread;
    HRESULT hr;

    if (!(job = create_job(BG_JOB_TYPE_DOWNLOAD, &data.id))) return;

    hr = CoMarshalInterThreadInterfaceInStream(&IID_IBackgroundCopyJob, (IUnknown *)job, &data.stream);
    ok(hr == S_OK, "CoMarshalInterThreadInterfaceInStream failed: %#lx.\n", hr);
    if (SUCCEEDED(hr))
    {
        data.hr = E_FAIL;
        thread = CreateThread(NULL, 0, use_marshalled_job, &data, 0, NULL);
        ok(!WaitForSingleObject(thread, 30000), "the other apartment hangs.\n");
        CloseHandle(thread);
        ok(data.hr == S_OK, "the job in the other apartment: %#lx.\n", data.hr);
    }

    /* A marshalled pointer that nobody unmarshals gives its reference back. */
    hr = CreateStreamOnHGlobal(NULL, TRUE, &stream);
    ok(hr == S_OK, "CreateStreamOnHGlobal failed: %#lx.\n", hr);
    hr = CoMarshalInterface(stream, &IID_IBackgroundCopyJob, (IUnknown *)job, MSHCTX_INPROC, NULL, MSHLFLAGS_NORMAL);
    ok(hr == S_OK, "CoMarshalInterface failed: %#lx.\n", hr);
    IStream_Seek(stream, (LARGE_INTEGER){ 0 }, STREAM_SEEK_SET, NULL);
    hr = CoReleaseMarshalData(stream);
    ok(hr == S_OK, "CoReleaseMarshalData failed: %#lx.\n", hr);
    IStream_Release(stream);

    /* Its proxy takes a security blanket, as any COM proxy does. */
    hr = CoSetProxyBlanket((IUnknown *)job, RPC_C_AUTHN_DEFAULT, RPC_C_AUTHZ_DEFAULT, COLE_DEFAULT_PRINCIPAL,
                           RPC_C_AUTHN_LEVEL_DEFAULT, RPC_C_IMP_LEVEL_IMPERSONATE, NULL, EOAC_DYNAMIC_CLOAKING);
    ok(hr == S_OK, "CoSetProxyBlanket failed: %#lx.\n", hr);
    hr = CoQueryProxyBlanket((IUnknown *)job, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
    ok(hr == S_OK, "CoQueryProxyBlanket failed: %#lx.\n", hr);

    /* The job's own pointer still works. */
    hr = IBackgroundCopyJob_GetState(job, &state);
    ok(hr == S_OK, "GetState failed: %#lx.\n", hr);
    ok(state == BG_JOB_STATE_SUSPENDED, "got state %d.\n", state);
    cancel_and_release(job);
}

/* Arguments of the largest sizes BITS takes, both ways: the whole of each
 * must arrive (Wine's fast call channel carries such data out of line). */
static void test_large_arguments(void)
{
    static const unsigned int file_count = 200;  /* MaxFilesPerJob for any caller */
    WCHAR *proxy_list, *bypass_list, *got_proxies = NULL, *got_bypass = NULL, *name = NULL;
    IEnumBackgroundCopyFiles *enum_files;
    IBackgroundCopyFile *file;
    BG_JOB_PROXY_USAGE usage;
    IBackgroundCopyJob *job;
    BG_FILE_INFO *infos;
    unsigned int i, j;
    ULONG count = 0;
    HRESULT hr;

    if (!(job = create_job(BG_JOB_TYPE_DOWNLOAD, NULL))) return;

    /* 32,000 characters each, the most BG_E_PROXY_LIST_TOO_LARGE allows: 128 KB back. */
    proxy_list = malloc(32001 * sizeof(WCHAR));
    bypass_list = malloc(32001 * sizeof(WCHAR));
    for (i = 0; i < 32000; i++)
    {
        proxy_list[i] = i % 10 == 9 ? ';' : 'a' + i % 7;
        bypass_list[i] = i % 10 == 9 ? ';' : 'h' + i % 5;
    }
    proxy_list[32000] = bypass_list[32000] = 0;
    hr = IBackgroundCopyJob_SetProxySettings(job, BG_JOB_PROXY_USAGE_OVERRIDE, proxy_list, bypass_list);
    ok(hr == S_OK, "SetProxySettings failed: %#lx.\n", hr);
    hr = IBackgroundCopyJob_GetProxySettings(job, &usage, &got_proxies, &got_bypass);
    ok(hr == S_OK, "GetProxySettings failed: %#lx.\n", hr);
    ok(got_proxies && !wcscmp(got_proxies, proxy_list), "proxy list differs, length %Iu.\n",
       got_proxies ? wcslen(got_proxies) : 0);
    ok(got_bypass && !wcscmp(got_bypass, bypass_list), "bypass list differs, length %Iu.\n",
       got_bypass ? wcslen(got_bypass) : 0);
    CoTaskMemFree(got_proxies);
    CoTaskMemFree(got_bypass);
    free(proxy_list);
    free(bypass_list);

    /* 200 names of nearly 2200 characters in one call: 850 KB out. */
    infos = calloc(file_count, sizeof(*infos));
    for (i = 0; i < file_count; i++)
    {
        WCHAR *remote = malloc(2201 * sizeof(WCHAR)), *local = malloc(MAX_PATH * sizeof(WCHAR));

        j = swprintf(remote, 2201, L"http://127.0.0.1:1/%u/", i);
        /* Path segments of 100 characters: none may be longer than a file name. */
        for (; j < 2190; j++) remote[j] = j % 100 ? 'a' + (i + j) % 26 : '/';
        wcscpy(remote + j, L".bin");
        make_local_name(local, MAX_PATH, L"large");
        infos[i].RemoteName = remote;
        infos[i].LocalName = local;
    }
    hr = IBackgroundCopyJob_AddFileSet(job, file_count, infos);
    ok(hr == S_OK, "AddFileSet failed: %#lx.\n", hr);
    hr = IBackgroundCopyJob_EnumFiles(job, &enum_files);
    ok(hr == S_OK, "EnumFiles failed: %#lx.\n", hr);
    if (SUCCEEDED(hr))
    {
        IEnumBackgroundCopyFiles_GetCount(enum_files, &count);
        ok(count == file_count, "got %lu files.\n", count);
        hr = IEnumBackgroundCopyFiles_Skip(enum_files, file_count - 1);
        ok(hr == S_OK, "Skip failed: %#lx.\n", hr);
        hr = IEnumBackgroundCopyFiles_Next(enum_files, 1, &file, NULL);
        ok(hr == S_OK, "Next failed: %#lx.\n", hr);
        if (hr == S_OK)
        {
            hr = IBackgroundCopyFile_GetRemoteName(file, &name);
            ok(hr == S_OK, "GetRemoteName failed: %#lx.\n", hr);
            ok(name && !wcscmp(name, infos[file_count - 1].RemoteName), "last remote name differs.\n");
            CoTaskMemFree(name);
            IBackgroundCopyFile_Release(file);
        }
        IEnumBackgroundCopyFiles_Release(enum_files);
    }
    for (i = 0; i < file_count; i++)
    {
        free(infos[i].RemoteName);
        free(infos[i].LocalName);
    }
    free(infos);
    cancel_and_release(job);
}

START_TEST(job)
{
    DWORD len;
    HRESULT hr;

    CoInitialize(NULL);

    len = GetTempPathW(ARRAY_SIZE(temp_dir), temp_dir);
    ok(len && len < ARRAY_SIZE(temp_dir), "GetTempPath failed: %lu.\n", GetLastError());

    hr = CoCreateInstance(&CLSID_BackgroundCopyManager, NULL, CLSCTX_LOCAL_SERVER,
                          &IID_IBackgroundCopyManager, (void **)&manager);
    if (FAILED(hr))
    {
        win_skip("cannot create the BITS manager: %#lx.\n", hr);
        CoUninitialize();
        return;
    }

    test_new_job();
    test_properties();
    test_property_conflicts();
    test_state_changes();
    test_modification_time_calls();
    test_AddFile();
    test_large_arguments();
    test_marshal_job();
    test_upload();
    test_upload_reply();
    test_QueryInterface();
    test_token_options();
    test_token_options_identity();
    test_derived_interfaces();
    test_http_options();
    test_callback_objects();

    IBackgroundCopyManager_Release(manager);
    CoUninitialize();
}
