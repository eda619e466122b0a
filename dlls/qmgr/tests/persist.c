/*
 * Tests of jobs that outlive the service: every property, file, state and
 * transfer comes back after the BITS service stops and starts again, a
 * transfer resumes from the bytes it had, the helper token does not survive
 * (BG_E_TOKEN_REQUIRED), and a damaged job store costs only the damaged jobs.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdarg.h>
#include <stdio.h>

#define COBJMACROS
#include "windef.h"
#include "winbase.h"
#include "winsock2.h"
#include "winsvc.h"
#include "winreg.h"
#include "objbase.h"
#include "bits10_3.h"
#include "bitsmsg.h"

#include "wine/test.h"
#include "httpd.h"
#include "bits_server.h"
#include "ntlm_server.h"
#include "transfer_util.h"
#include "identity_util.h"
#include "service_util.h"

static void make_name(WCHAR *buf, size_t len, const WCHAR *tag)
{
    static LONG counter;

    swprintf(buf, len, L"qmgr_test persist %ls %lu-%lu-%ld", tag, GetCurrentProcessId(),
             GetTickCount(), InterlockedIncrement(&counter));
}

static IBackgroundCopyJob *get_job(const GUID *id)
{
    IBackgroundCopyJob *job = NULL;
    HRESULT hr = IBackgroundCopyManager_GetJob(manager, id, &job);

    ok(hr == S_OK, "GetJob(%s) after the restart failed: %#lx.\n", wine_dbgstr_guid(id), hr);
    return hr == S_OK ? job : NULL;
}

static GUID job_id(IBackgroundCopyJob *job)
{
    GUID id = GUID_NULL;
    HRESULT hr = IBackgroundCopyJob_GetId(job, &id);

    ok(hr == S_OK, "GetId failed: %#lx.\n", hr);
    return id;
}

static void *query(void *iface, const IID *iid)
{
    void *ret = NULL;
    HRESULT hr = IUnknown_QueryInterface((IUnknown *)iface, iid, &ret);

    ok(hr == S_OK, "QueryInterface(%s) failed: %#lx.\n", wine_dbgstr_guid(iid), hr);
    return ret;
}

#define check_string(a, b, c) check_string_(__LINE__, a, b, c)
static void check_string_(int line, HRESULT hr, WCHAR *got, const WCHAR *expected)
{
    ok_(__FILE__, line)(hr == S_OK, "got hr %#lx.\n", hr);
    if (hr == S_OK)
        ok_(__FILE__, line)(got && !wcscmp(got, expected), "got %s, expected %s.\n", wine_dbgstr_w(got),
                            wine_dbgstr_w(expected));
    CoTaskMemFree(got);
}

static const GUID test_clsid = {0x5e0e0a3c, 0x1b7d, 0x4b8e, {0x9a, 0x3f, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66}};

/* Everything a client can set comes back as it was. */
static void test_properties(void)
{
    IBackgroundCopyJobHttpOptions *http_options;
    IBackgroundCopyJob3 *job3;
    IBackgroundCopyJob5 *job5;
    IBitsTokenOptions *token_options;
    IBackgroundCopyJob *job;
    IBackgroundCopyFile *file;
    BITS_JOB_PROPERTY_VALUE value;
    BG_FILE_RANGE ranges[2] = { { 10, 20 }, { 100, BG_LENGTH_TO_EOF } }, *got_ranges;
    BG_JOB_PROXY_USAGE usage;
    BG_JOB_PRIORITY priority;
    BG_JOB_TIMES times, times2;
    WCHAR remote[256], renamed[256], local[MAX_PATH], local2[MAX_PATH], dir[MAX_PATH], *string, *string2;
    WCHAR name[128];
    ULONG ulong_value;
    DWORD count;
    HRESULT hr;

    if (!make_dir(L"properties", dir, ARRAY_SIZE(dir))) return;
    if (!(job = create_job(L"properties"))) return;
    hr = IBackgroundCopyJob_GetDisplayName(job, &string);
    ok(hr == S_OK, "GetDisplayName failed: %#lx.\n", hr);
    wcscpy(name, string);
    CoTaskMemFree(string);

    httpd_url(httpd, "/persist/a", remote, ARRAY_SIZE(remote));
    swprintf(local, ARRAY_SIZE(local), L"%lsa.bin", dir);
    swprintf(local2, ARRAY_SIZE(local2), L"%lsb.bin", dir);
    add_file(job, remote, local);
    job3 = query(job, &IID_IBackgroundCopyJob3);
    job5 = query(job, &IID_IBackgroundCopyJob5);
    http_options = query(job, &IID_IBackgroundCopyJobHttpOptions);
    token_options = query(job, &IID_IBitsTokenOptions);
    if (!job3 || !job5 || !http_options || !token_options) goto done;

    hr = IBackgroundCopyJob3_AddFileWithRanges(job3, remote, local2, 2, ranges);
    ok(hr == S_OK, "AddFileWithRanges failed: %#lx.\n", hr);
    hr = IBackgroundCopyJob_SetDescription(job, L"a job that outlives its service");
    ok(hr == S_OK, "SetDescription failed: %#lx.\n", hr);
    hr = IBackgroundCopyJob_SetPriority(job, BG_JOB_PRIORITY_HIGH);
    ok(hr == S_OK, "SetPriority failed: %#lx.\n", hr);
    hr = IBackgroundCopyJob_SetNotifyFlags(job, BG_NOTIFY_JOB_ERROR | BG_NOTIFY_JOB_MODIFICATION);
    ok(hr == S_OK, "SetNotifyFlags failed: %#lx.\n", hr);
    hr = IBackgroundCopyJob3_SetNotifyCmdLine(job3, L"C:\\windows\\system32\\cmd.exe", L"cmd.exe /c rem persisted");
    ok(hr == S_OK, "SetNotifyCmdLine failed: %#lx.\n", hr);
    hr = IBackgroundCopyJob_SetMinimumRetryDelay(job, 77);
    ok(hr == S_OK, "SetMinimumRetryDelay failed: %#lx.\n", hr);
    hr = IBackgroundCopyJob_SetNoProgressTimeout(job, 1234);
    ok(hr == S_OK, "SetNoProgressTimeout failed: %#lx.\n", hr);
    hr = IBackgroundCopyJob_SetProxySettings(job, BG_JOB_PROXY_USAGE_OVERRIDE, L"proxy.invalid:8080", L"<local>");
    ok(hr == S_OK, "SetProxySettings failed: %#lx.\n", hr);
    hr = IBackgroundCopyJob3_SetFileACLFlags(job3, BG_COPY_FILE_OWNER | BG_COPY_FILE_GROUP);
    ok(hr == S_OK, "SetFileACLFlags failed: %#lx.\n", hr);
    hr = IBackgroundCopyJobHttpOptions_SetCustomHeaders(http_options, L"X-Persisted: yes\r\n");
    ok(hr == S_OK, "SetCustomHeaders failed: %#lx.\n", hr);
    hr = IBackgroundCopyJobHttpOptions_SetSecurityFlags(http_options, BG_SSL_IGNORE_UNKNOWN_CA |
                                                        BG_HTTP_REDIRECT_POLICY_ALLOW_REPORT);
    ok(hr == S_OK, "SetSecurityFlags failed: %#lx.\n", hr);
    hr = IBitsTokenOptions_SetHelperTokenFlags(token_options, BG_TOKEN_LOCAL_FILE);
    ok(hr == S_OK, "SetHelperTokenFlags failed: %#lx.\n", hr);
    value.Uint64 = 123456789;
    hr = IBackgroundCopyJob5_SetProperty(job5, BITS_JOB_PROPERTY_MAX_DOWNLOAD_SIZE, value);
    ok(hr == S_OK, "SetProperty(MAX_DOWNLOAD_SIZE) failed: %#lx.\n", hr);
    value.ClsID = test_clsid;
    hr = IBackgroundCopyJob5_SetProperty(job5, BITS_JOB_PROPERTY_NOTIFICATION_CLSID, value);
    ok(hr == S_OK, "SetProperty(NOTIFICATION_CLSID) failed: %#lx.\n", hr);
    value.Dword = BITS_COST_STATE_UNRESTRICTED;
    hr = IBackgroundCopyJob5_SetProperty(job5, BITS_JOB_PROPERTY_ID_COST_FLAGS, value);
    ok(hr == S_OK, "SetProperty(COST_FLAGS) failed: %#lx.\n", hr);
    value.Dword = 2000;
    hr = IBackgroundCopyJob5_SetProperty(job5, BITS_JOB_PROPERTY_MINIMUM_NOTIFICATION_INTERVAL_MS, value);
    ok(hr == S_OK, "SetProperty(MINIMUM_NOTIFICATION_INTERVAL_MS) failed: %#lx.\n", hr);
    /* A file's new remote name is kept too, even when it is the last change
     * (the store, which gathers changes for 100 ms, has written the others by then). */
    Sleep(1000);
    httpd_url(httpd, "/persist/a-renamed", renamed, ARRAY_SIZE(renamed));
    if ((file = get_file(job, 0)))
    {
        IBackgroundCopyFile2 *file2 = query(file, &IID_IBackgroundCopyFile2);

        if (file2)
        {
            hr = IBackgroundCopyFile2_SetRemoteName(file2, renamed);
            ok(hr == S_OK, "SetRemoteName failed: %#lx.\n", hr);
            IBackgroundCopyFile2_Release(file2);
        }
        IBackgroundCopyFile_Release(file);
    }
    hr = IBackgroundCopyJob_GetTimes(job, &times);
    ok(hr == S_OK, "GetTimes failed: %#lx.\n", hr);

    IBackgroundCopyJob3_Release(job3);
    IBackgroundCopyJob5_Release(job5);
    IBackgroundCopyJobHttpOptions_Release(http_options);
    IBitsTokenOptions_Release(token_options);
    job3 = NULL;
    job5 = NULL;
    http_options = NULL;
    token_options = NULL;
    if (!(job = restart_with_job(job))) goto done;

    hr = IBackgroundCopyJob_GetDisplayName(job, &string);
    check_string(hr, string, name);
    hr = IBackgroundCopyJob_GetDescription(job, &string);
    check_string(hr, string, L"a job that outlives its service");
    check_state(job, BG_JOB_STATE_SUSPENDED);
    hr = IBackgroundCopyJob_GetPriority(job, &priority);
    ok(hr == S_OK && priority == BG_JOB_PRIORITY_HIGH, "GetPriority: %#lx, %d.\n", hr, priority);
    hr = IBackgroundCopyJob_GetNotifyFlags(job, &ulong_value);
    ok(hr == S_OK && ulong_value == (BG_NOTIFY_JOB_ERROR | BG_NOTIFY_JOB_MODIFICATION),
       "GetNotifyFlags: %#lx, %#lx.\n", hr, ulong_value);
    hr = IBackgroundCopyJob_GetMinimumRetryDelay(job, &ulong_value);
    ok(hr == S_OK && ulong_value == 77, "GetMinimumRetryDelay: %#lx, %lu.\n", hr, ulong_value);
    hr = IBackgroundCopyJob_GetNoProgressTimeout(job, &ulong_value);
    ok(hr == S_OK && ulong_value == 1234, "GetNoProgressTimeout: %#lx, %lu.\n", hr, ulong_value);
    hr = IBackgroundCopyJob_GetProxySettings(job, &usage, &string, &string2);
    ok(hr == S_OK && usage == BG_JOB_PROXY_USAGE_OVERRIDE, "GetProxySettings: %#lx, %d.\n", hr, usage);
    if (hr == S_OK)
    {
        check_string(S_OK, string, L"proxy.invalid:8080");
        check_string(S_OK, string2, L"<local>");
    }
    hr = IBackgroundCopyJob_GetTimes(job, &times2);
    ok(hr == S_OK, "GetTimes failed: %#lx.\n", hr);
    ok(!memcmp(&times.CreationTime, &times2.CreationTime, sizeof(FILETIME)), "the creation time changed.\n");
    ok(!memcmp(&times.ModificationTime, &times2.ModificationTime, sizeof(FILETIME)), "the modification time changed.\n");
    check_job_progress(job, BG_SIZE_UNKNOWN, 0, 2, 0);

    if ((file = get_file(job, 0)))
    {
        hr = IBackgroundCopyFile_GetRemoteName(file, &string);
        check_string(hr, string, renamed);
        hr = IBackgroundCopyFile_GetLocalName(file, &string);
        check_string(hr, string, local);
        IBackgroundCopyFile_Release(file);
    }
    if ((file = get_file(job, 1)))
    {
        IBackgroundCopyFile2 *file2 = query(file, &IID_IBackgroundCopyFile2);
        hr = IBackgroundCopyFile_GetLocalName(file, &string);
        check_string(hr, string, local2);
        if (file2)
        {
            hr = IBackgroundCopyFile2_GetFileRanges(file2, &count, &got_ranges);
            ok(hr == S_OK && count == 2, "GetFileRanges: %#lx, %lu.\n", hr, count);
            if (hr == S_OK)
            {
                ok(count == 2 && !memcmp(got_ranges, ranges, sizeof(ranges)), "the ranges changed.\n");
                CoTaskMemFree(got_ranges);
            }
            IBackgroundCopyFile2_Release(file2);
        }
        IBackgroundCopyFile_Release(file);
    }

    job3 = query(job, &IID_IBackgroundCopyJob3);
    job5 = query(job, &IID_IBackgroundCopyJob5);
    http_options = query(job, &IID_IBackgroundCopyJobHttpOptions);
    token_options = query(job, &IID_IBitsTokenOptions);
    if (!job3 || !job5 || !http_options || !token_options) goto done;

    hr = IBackgroundCopyJob3_GetNotifyCmdLine(job3, &string, &string2);
    ok(hr == S_OK, "GetNotifyCmdLine failed: %#lx.\n", hr);
    if (hr == S_OK)
    {
        check_string(S_OK, string, L"C:\\windows\\system32\\cmd.exe");
        check_string(S_OK, string2, L"cmd.exe /c rem persisted");
    }
    hr = IBackgroundCopyJob3_GetFileACLFlags(job3, &count);
    ok(hr == S_OK && count == (BG_COPY_FILE_OWNER | BG_COPY_FILE_GROUP), "GetFileACLFlags: %#lx, %#lx.\n", hr, count);
    hr = IBackgroundCopyJobHttpOptions_GetCustomHeaders(http_options, &string);
    check_string(hr, string, L"X-Persisted: yes\r\n");
    hr = IBackgroundCopyJobHttpOptions_GetSecurityFlags(http_options, &ulong_value);
    ok(hr == S_OK && ulong_value == (BG_SSL_IGNORE_UNKNOWN_CA | BG_HTTP_REDIRECT_POLICY_ALLOW_REPORT),
       "GetSecurityFlags: %#lx, %#lx.\n", hr, ulong_value);
    hr = IBitsTokenOptions_GetHelperTokenFlags(token_options, &count);
    ok(hr == S_OK && count == BG_TOKEN_LOCAL_FILE, "GetHelperTokenFlags: %#lx, %#lx.\n", hr, count);
    hr = IBackgroundCopyJob5_GetProperty(job5, BITS_JOB_PROPERTY_MAX_DOWNLOAD_SIZE, &value);
    ok(hr == S_OK && value.Uint64 == 123456789, "MAX_DOWNLOAD_SIZE: %#lx, %s.\n", hr, wine_dbgstr_longlong(value.Uint64));
    hr = IBackgroundCopyJob5_GetProperty(job5, BITS_JOB_PROPERTY_NOTIFICATION_CLSID, &value);
    ok(hr == S_OK && IsEqualGUID(&value.ClsID, &test_clsid), "NOTIFICATION_CLSID: %#lx, %s.\n", hr,
       wine_dbgstr_guid(&value.ClsID));
    hr = IBackgroundCopyJob5_GetProperty(job5, BITS_JOB_PROPERTY_ID_COST_FLAGS, &value);
    ok(hr == S_OK && value.Dword == BITS_COST_STATE_UNRESTRICTED, "COST_FLAGS: %#lx, %#lx.\n", hr, value.Dword);
    hr = IBackgroundCopyJob5_GetProperty(job5, BITS_JOB_PROPERTY_MINIMUM_NOTIFICATION_INTERVAL_MS, &value);
    ok(hr == S_OK && value.Dword == 2000, "MINIMUM_NOTIFICATION_INTERVAL_MS: %#lx, %lu.\n", hr, value.Dword);

done:
    if (job3) IBackgroundCopyJob3_Release(job3);
    if (job5) IBackgroundCopyJob5_Release(job5);
    if (http_options) IBackgroundCopyJobHttpOptions_Release(http_options);
    if (token_options) IBitsTokenOptions_Release(token_options);
    finish_job(job);
}

/* The sum of the body bytes the server sent for a path in 200 and 206 responses. */
static ULONGLONG bytes_sent(const char *path, unsigned int *requests, ULONGLONG *first_offset)
{
    struct httpd_log_entry entry;
    ULONGLONG total = 0;
    unsigned int i, count = httpd_log_count(httpd);
    char range[64];

    *requests = 0;
    *first_offset = 0;
    for (i = 0; i < count; i++)
    {
        if (!httpd_log_get(httpd, i, &entry) || strcmp(entry.path, path) || strcmp(entry.method, "GET")) continue;
        if (winetest_debug > 1)
            trace("%s %d, %s body bytes, dropped %d, aborted %d\n%s", entry.method, entry.status,
                  wine_dbgstr_longlong(entry.body_bytes), entry.dropped, entry.aborted, entry.headers);
        if (entry.status != 200 && entry.status != 206) continue;
        total += entry.body_bytes;
        if ((*requests)++ && !*first_offset && httpd_log_header(&entry, "Range", range, sizeof(range)))
            sscanf(range, "bytes=%I64u-", first_offset);
    }
    return total;
}

/* A transfer under way when the service stops resumes after the start from
 * the bytes in its temporary file, with the job's credentials. */
static void test_resume_after_restart(void)
{
    struct httpd_resource_options options = { 0 };
    IBackgroundCopyJob *job;
    BG_JOB_PROGRESS progress;
    WCHAR remote[256], local[MAX_PATH], dir[MAX_PATH];
    ULONGLONG sent, offset;
    unsigned int requests;
    DWORD start;
    HRESULT hr;

    if (!make_dir(L"resume", dir, ARRAY_SIZE(dir))) return;
    options.etag = "\"persist-v1\"";
    options.slow_delay_ms = SLOW_DELAY_MS;
    options.slow_chunk = SLOW_CHUNK;
    options.basic_auth = "saved:secret";
    httpd_add_pattern_resource(httpd, "/persist/slow.bin", SLOW_SIZE, 71, &options);
    httpd_url(httpd, "/persist/slow.bin", remote, ARRAY_SIZE(remote));
    swprintf(local, ARRAY_SIZE(local), L"%lsslow.bin", dir);

    if (!(job = create_job(L"resume"))) return;
    add_file(job, remote, local);
    if (!set_basic_credentials(job, L"saved", L"secret")) goto done;
    set_retry_delay(job, 5);
    resume(job);

    /* Some bytes, not all: about 80 KiB a second arrive. */
    start = GetTickCount();
    do
    {
        Sleep(50);
        hr = IBackgroundCopyJob_GetProgress(job, &progress);
    } while (hr == S_OK && progress.BytesTransferred < 64 * 1024 && GetTickCount() - start < TRANSFER_TIMEOUT);
    ok(progress.BytesTransferred >= 64 * 1024 && progress.BytesTransferred < SLOW_SIZE,
       "transferred %s bytes before the stop.\n", wine_dbgstr_longlong(progress.BytesTransferred));
    if (!(job = restart_with_job(job))) goto done;
    /* The rest at full speed. */
    options.slow_delay_ms = 0;
    httpd_set_resource_options(httpd, "/persist/slow.bin", &options);
    hr = IBackgroundCopyJob_GetProgress(job, &progress);
    ok(hr == S_OK && progress.BytesTransferred >= 64 * 1024, "the restarted job has %s bytes.\n",
       wine_dbgstr_longlong(progress.BytesTransferred));
    if (wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSFERRED), TRANSFER_TIMEOUT, TRUE) == BG_JOB_STATE_TRANSFERRED)
    {
        hr = IBackgroundCopyJob_Complete(job);
        ok(hr == S_OK, "Complete failed: %#lx.\n", hr);
        check_pattern_file(local, 71, SLOW_SIZE);
    }
    sent = bytes_sent("/persist/slow.bin", &requests, &offset);
    ok(requests >= 2, "%u successful requests.\n", requests);
    ok(offset >= 64 * 1024, "the request after the restart starts at %s.\n", wine_dbgstr_longlong(offset));
    /* What was on disk is not fetched again; what was in flight at the stop may be. */
    ok(sent < SLOW_SIZE + SLOW_SIZE / 4, "the server sent %s bytes for a file of %u.\n", wine_dbgstr_longlong(sent),
       SLOW_SIZE);
    trace("resume: %u requests, %s bytes sent for %u, resumed at %s.\n", requests, wine_dbgstr_longlong(sent),
          SLOW_SIZE, wine_dbgstr_longlong(offset));
done:
    finish_job(job);
    DeleteFileW(local);
}

/* A job of one file (size bytes of pattern seed at path) into a fresh
 * directory, and the file's temporary name, asked before any transfer; NULL
 * if not made.  *temp is freed with CoTaskMemFree. */
static IBackgroundCopyJob *job_with_temp_name(const WCHAR *tag, const char *path, ULONGLONG size, unsigned int seed,
                                              WCHAR dir[MAX_PATH], WCHAR local[MAX_PATH], WCHAR **temp)
{
    IBackgroundCopyFile3 *file3;
    IBackgroundCopyFile *file;
    IBackgroundCopyJob *job;
    WCHAR remote[256];
    HRESULT hr = E_FAIL;

    *temp = NULL;
    if (!make_dir(tag, dir, MAX_PATH)) return NULL;
    httpd_add_pattern_resource(httpd, path, size, seed, NULL);
    httpd_url(httpd, path, remote, ARRAY_SIZE(remote));
    swprintf(local, MAX_PATH, L"%lsfile.bin", dir);
    if (!(job = create_job(tag))) return NULL;
    if (add_file(job, remote, local) && (file = get_file(job, 0)))
    {
        hr = IBackgroundCopyFile_QueryInterface(file, &IID_IBackgroundCopyFile3, (void **)&file3);
        IBackgroundCopyFile_Release(file);
        ok(hr == S_OK, "QueryInterface(IBackgroundCopyFile3) failed: %#lx.\n", hr);
        if (SUCCEEDED(hr))
        {
            hr = IBackgroundCopyFile3_GetTemporaryName(file3, temp);
            IBackgroundCopyFile3_Release(file3);
            ok(hr == S_OK, "GetTemporaryName failed: %#lx.\n", hr);
        }
    }
    if (SUCCEEDED(hr)) return job;
    finish_job(job);
    return NULL;
}

/* An application told a file's temporary name before a restart may open
 * the file once it is transferred after it, sharing only reading (see
 * download.c, test_read_before_complete). */
static void test_temp_name_after_restart(void)
{
    WCHAR local[MAX_PATH], dir[MAX_PATH], *temp;
    IBackgroundCopyJob *job;
    HANDLE reader;
    HRESULT hr;

    if (!(job = job_with_temp_name(L"temp-name", "/persist/temp-name.bin", 20000, 73, dir, local, &temp))) return;
    if (!(job = restart_with_job(job))) goto done;
    resume(job);
    if (wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSFERRED), TRANSFER_TIMEOUT, TRUE) != BG_JOB_STATE_TRANSFERRED)
        goto done;
    reader = CreateFileW(temp, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
    ok(reader != INVALID_HANDLE_VALUE, "cannot open %s sharing reading only: %lu.\n", wine_dbgstr_w(temp),
       GetLastError());
    if (reader != INVALID_HANDLE_VALUE) CloseHandle(reader);
    hr = IBackgroundCopyJob_Complete(job);
    ok(hr == S_OK, "Complete failed: %#lx.\n", hr);
    check_pattern_file(local, 73, 20000);
done:
    CoTaskMemFree(temp);
    finish_job(job);
    DeleteFileW(local);
}

/* A crash between making the temporary file and making it hidden (two steps
 * under Wine) leaves an empty visible file of the recorded name: after a
 * restart it is the job's, and nothing is left beside the file at the end. */
static void test_unhidden_temp_after_restart(void)
{
    WCHAR local[MAX_PATH], dir[MAX_PATH], *temp;
    IBackgroundCopyJob *job;
    HANDLE handle;
    HRESULT hr;

    if (!(job = job_with_temp_name(L"unhidden-temp", "/persist/unhidden-temp.bin", 30000, 74, dir, local, &temp)))
        return;
    handle = CreateFileW(temp, GENERIC_WRITE, 0, NULL, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, NULL);
    ok(handle != INVALID_HANDLE_VALUE, "cannot create %s: %lu.\n", wine_dbgstr_w(temp), GetLastError());
    if (handle == INVALID_HANDLE_VALUE) goto done;
    CloseHandle(handle);

    if (!(job = restart_with_job(job))) goto done;
    resume(job);
    if (wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSFERRED), TRANSFER_TIMEOUT, TRUE) != BG_JOB_STATE_TRANSFERRED)
        goto done;
    hr = IBackgroundCopyJob_Complete(job);
    ok(hr == S_OK, "Complete failed: %#lx.\n", hr);
    check_pattern_file(local, 74, 30000);
    check_no_file(temp);
    check_dir_count(dir, 1);
done:
    CoTaskMemFree(temp);
    finish_job(job);
    DeleteFileW(local);
}

/* The pieces of an on-demand file and the ranges asked for but not fetched
 * yet come back after a restart; only the missing ones are fetched then. */
static void test_pieces_after_restart(void)
{
    static const ULONGLONG size = 300000;
    BG_FILE_RANGE first[2] = { { 1000, 2000 }, { 200000, 3000 } }, later = { 50000, 4000 };
    BG_FILE_RANGE expected[3] = { { 1000, 2000 }, { 50000, 4000 }, { 200000, 3000 } };
    BITS_JOB_PROPERTY_VALUE value = { 0 };
    struct httpd_log_entry entry;
    IBackgroundCopyFile6 *file6 = NULL;
    IBackgroundCopyFile *file;
    IBackgroundCopyJob5 *job5;
    IBackgroundCopyJob *job;
    BG_FILE_RANGE *ranges = NULL;
    WCHAR remote[256], local[MAX_PATH], dir[MAX_PATH];
    unsigned int start, gets = 0, i;
    char range[64] = "";
    BG_JOB_STATE state;
    DWORD count = 0;
    HRESULT hr;

    if (!make_dir(L"pieces", dir, ARRAY_SIZE(dir))) return;
    httpd_add_pattern_resource(httpd, "/persist/pieces.bin", size, 72, NULL);
    httpd_url(httpd, "/persist/pieces.bin", remote, ARRAY_SIZE(remote));
    swprintf(local, ARRAY_SIZE(local), L"%lspieces.bin", dir);

    if (!(job = create_job(L"pieces"))) return;
    add_file(job, remote, local);
    if (!(job5 = query(job, &IID_IBackgroundCopyJob5))) goto done;
    value.Enable = TRUE;
    hr = IBackgroundCopyJob5_SetProperty(job5, BITS_JOB_PROPERTY_ON_DEMAND_MODE, value);
    ok(hr == S_OK, "SetProperty(ON_DEMAND_MODE) failed: %#lx.\n", hr);
    IBackgroundCopyJob5_Release(job5);
    if (!(file = get_file(job, 0))) goto done;
    file6 = query(file, &IID_IBackgroundCopyFile6);
    IBackgroundCopyFile_Release(file);
    if (!file6) goto done;
    hr = IBackgroundCopyFile6_RequestFileRanges(file6, 2, first);
    ok(hr == S_OK, "RequestFileRanges failed: %#lx.\n", hr);
    resume(job);
    state = wait_state(job, STATE_BIT(BG_JOB_STATE_SUSPENDED), TRANSFER_TIMEOUT, FALSE);
    ok(state == BG_JOB_STATE_SUSPENDED, "got state %u.\n", state);
    hr = IBackgroundCopyFile6_RequestFileRanges(file6, 1, &later);
    ok(hr == S_OK, "RequestFileRanges failed: %#lx.\n", hr);
    IBackgroundCopyFile6_Release(file6);
    file6 = NULL;
    if (!(job = restart_with_job(job))) goto done;
    check_state(job, BG_JOB_STATE_SUSPENDED);
    check_job_progress(job, size, 5000, 1, 0);
    if (!(file = get_file(job, 0))) goto done;
    file6 = query(file, &IID_IBackgroundCopyFile6);
    IBackgroundCopyFile_Release(file);
    if (!file6) goto done;
    hr = IBackgroundCopyFile6_GetFilledFileRanges(file6, &count, &ranges);
    ok(hr == S_OK && count == 2 && ranges && !memcmp(ranges, first + 0, sizeof(first[0])) &&
       !memcmp(ranges + 1, first + 1, sizeof(first[1])), "got %#lx, %lu filled ranges after the restart.\n", hr, count);
    CoTaskMemFree(ranges);

    /* The range asked for before the stop, and only it. */
    start = httpd_log_count(httpd);
    resume(job);
    state = wait_state(job, STATE_BIT(BG_JOB_STATE_SUSPENDED), TRANSFER_TIMEOUT, FALSE);
    ok(state == BG_JOB_STATE_SUSPENDED, "got state %u.\n", state);
    hr = IBackgroundCopyFile6_GetFilledFileRanges(file6, &count, &ranges);
    ok(hr == S_OK && count == 3 && ranges && !memcmp(ranges, expected, sizeof(expected)),
       "got %#lx, %lu filled ranges.\n", hr, count);
    CoTaskMemFree(ranges);
    for (i = start; i < httpd_log_count(httpd); i++)
    {
        if (!httpd_log_get(httpd, i, &entry) || strcmp(entry.path, "/persist/pieces.bin")) continue;
        ok(!strcmp(entry.method, "GET"), "a %s after the restart.\n", entry.method);
        if (!gets++) httpd_log_header(&entry, "Range", range, sizeof(range));
    }
    ok(gets == 1, "%u requests after the restart.\n", gets);
    ok(!strcmp(range, "bytes=50000-53999"), "got Range %s.\n", range);
done:
    if (file6) IBackgroundCopyFile6_Release(file6);
    finish_job(job);
    DeleteFileW(local);
}

/* An upload goes on in its server session after a restart, and an
 * upload-reply's reply is still there. */
static void test_upload_after_restart(void)
{
    static const UINT64 size = 4 * 1024 * 1024 + 3;
    IBackgroundCopyJob2 *job2 = NULL;
    IBackgroundCopyJob *job;
    BG_JOB_PROGRESS progress;
    WCHAR remote[256], local[MAX_PATH], reply[MAX_PATH], dir[MAX_PATH], name[128];
    BYTE *data = NULL, *expected;
    UINT64 length = 0;
    DWORD start, written;
    HANDLE file;
    GUID id;
    HRESULT hr;

    if (!make_dir(L"upload", dir, ARRAY_SIZE(dir))) return;
    swprintf(local, ARRAY_SIZE(local), L"%lsup.bin", dir);
    if (!(expected = malloc(size))) return;
    httpd_pattern_fill(72, 0, expected, size);
    file = CreateFileW(local, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
    WriteFile(file, expected, size, &written, NULL);
    CloseHandle(file);
    httpd_url(httpd, "/upload/persist.bin", remote, ARRAY_SIZE(remote));

    bits_server_reset();
    bits_server.ack_delay_ms = 200;
    bits_server.reply = TRUE;
    make_name(name, ARRAY_SIZE(name), L"upload");
    hr = IBackgroundCopyManager_CreateJob(manager, name, BG_JOB_TYPE_UPLOAD_REPLY, &id, &job);
    ok(hr == S_OK, "CreateJob failed: %#lx.\n", hr);
    if (FAILED(hr)) goto done;
    add_file(job, remote, local);
    swprintf(reply, ARRAY_SIZE(reply), L"%lsreply.txt", dir);
    if ((job2 = query(job, &IID_IBackgroundCopyJob2))) IBackgroundCopyJob2_SetReplyFileName(job2, reply);
    set_retry_delay(job, 5);
    resume(job);
    /* The server has a fragment, not all of them. */
    start = GetTickCount();
    do
    {
        Sleep(50);
        hr = IBackgroundCopyJob_GetProgress(job, &progress);
    } while (hr == S_OK && !progress.BytesTransferred && GetTickCount() - start < TRANSFER_TIMEOUT);
    ok(progress.BytesTransferred && progress.BytesTransferred < size, "uploaded %s bytes before the stop.\n",
       wine_dbgstr_longlong(progress.BytesTransferred));
    if (job2) IBackgroundCopyJob2_Release(job2);
    job2 = NULL;
    if (!(job = restart_with_job(job))) goto done;
    bits_server.ack_delay_ms = 0;
    if (wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSFERRED), TRANSFER_TIMEOUT, TRUE) == BG_JOB_STATE_TRANSFERRED)
    {
        EnterCriticalSection(&bits_server.cs);
        ok(bits_server.creates == 1, "%u Create-Session packets: the session was not kept.\n", bits_server.creates);
        ok(bits_server.session_count == 1 && bits_server.sessions[0].received == size &&
           !memcmp(bits_server.sessions[0].data, expected, size), "the server did not get the file.\n");
        ok(bits_server.body_bytes < size + 3 * 1024 * 1024, "%s bytes sent for a file of %s.\n",
           wine_dbgstr_longlong(bits_server.body_bytes), wine_dbgstr_longlong(size));
        LeaveCriticalSection(&bits_server.cs);

        /* The reply outlives a restart too. */
        if (!(job = restart_with_job(job))) goto done;
        check_state(job, BG_JOB_STATE_TRANSFERRED);
        if ((job2 = query(job, &IID_IBackgroundCopyJob2)))
        {
            hr = IBackgroundCopyJob2_GetReplyData(job2, &data, &length);
            ok(hr == S_OK && length && !memcmp(data, "reply to up.bin", 15), "GetReplyData after the restart: %#lx, %s.\n",
               hr, wine_dbgstr_an((char *)data, (int)length));
            CoTaskMemFree(data);
        }
        hr = IBackgroundCopyJob_Complete(job);
        ok(hr == S_OK, "Complete failed: %#lx.\n", hr);
        ok(file_exists(reply), "no reply file after Complete.\n");
    }
done:
    if (job2) IBackgroundCopyJob2_Release(job2);
    finish_job(job);
    DeleteFileW(local);
    DeleteFileW(reply);
    free(expected);
}

/* Queued jobs start again in the order they came (behavior.md 4: first come,
 * first served within a priority), not in the order the store keeps them:
 * three quick jobs queued behind a slow one are fetched in their order once
 * the slow one is cancelled after the restart. */
static void test_queue_order_after_restart(void)
{
    IBackgroundCopyJob *slow, *jobs[3] = { 0 }, *job;
    WCHAR remote[256], local[MAX_PATH], dir[MAX_PATH];
    struct httpd_resource_options options;
    struct httpd_log_entry entry;
    GUID ids[3], slow_id;
    int start, found[3];
    char path[64];
    unsigned int i;
    HRESULT hr;

    if (!make_dir(L"order", dir, ARRAY_SIZE(dir))) return;
    memset(&options, 0, sizeof(options));
    options.slow_delay_ms = SLOW_DELAY_MS;
    options.slow_chunk = SLOW_CHUNK;
    httpd_add_pattern_resource(httpd, "/persist/order-slow.bin", SLOW_SIZE, 78, &options);
    if (!(slow = create_job(L"order slow"))) return;
    swprintf(local, ARRAY_SIZE(local), L"%lsslow.bin", dir);
    add_file(slow, httpd_url(httpd, "/persist/order-slow.bin", remote, ARRAY_SIZE(remote)), local);
    resume(slow);
    wait_state(slow, STATE_BIT(BG_JOB_STATE_TRANSFERRING), TRANSFER_TIMEOUT, FALSE);
    slow_id = job_id(slow);
    for (i = 0; i < ARRAY_SIZE(jobs); i++)
    {
        sprintf(path, "/persist/order-%u.bin", i);
        httpd_add_pattern_resource(httpd, path, 5000 + i, 79 + i, NULL);
        if (!(jobs[i] = create_job(L"order"))) goto done;
        ids[i] = job_id(jobs[i]);
        swprintf(local, ARRAY_SIZE(local), L"%lsquick-%u.bin", dir, i);
        add_file(jobs[i], httpd_url(httpd, path, remote, ARRAY_SIZE(remote)), local);
        resume(jobs[i]);
        /* Created apart in time, and waiting behind the slow one. */
        Sleep(20);
        check_state(jobs[i], BG_JOB_STATE_QUEUED);
        IBackgroundCopyJob_Release(jobs[i]);
        jobs[i] = NULL;
    }
    IBackgroundCopyJob_Release(slow);
    /* Counted from before the restart: the jobs may start as it ends. */
    start = httpd_log_count(httpd);
    if (!restart_service()) goto done;
    hr = IBackgroundCopyManager_GetJob(manager, &slow_id, &job);
    ok(hr == S_OK, "GetJob of the slow job failed: %#lx.\n", hr);
    if (hr == S_OK) finish_job(job);
    for (i = 0; i < ARRAY_SIZE(jobs); i++)
    {
        if (!(jobs[i] = get_job(&ids[i]))) continue;
        wait_state(jobs[i], STATE_BIT(BG_JOB_STATE_TRANSFERRED), TRANSFER_TIMEOUT, TRUE);
    }
    for (i = 0; i < ARRAY_SIZE(jobs); i++)
    {
        sprintf(path, "/persist/order-%u.bin", i);
        found[i] = httpd_log_find(httpd, "GET", path, start, &entry);
        ok(found[i] >= 0, "job %u was not fetched.\n", i);
    }
    ok(found[0] < found[1] && found[1] < found[2], "fetched in the order %d, %d, %d.\n", found[0], found[1], found[2]);
done:
    for (i = 0; i < ARRAY_SIZE(jobs); i++) finish_job(jobs[i]);
}

/* States come back: TRANSFERRED can be completed, ERROR keeps its error. */
static void test_states(void)
{
    IBackgroundCopyJob *transferred, *failed;
    WCHAR remote[256], local[MAX_PATH], local2[MAX_PATH], dir[MAX_PATH];
    BG_ERROR_CONTEXT context;
    ULONG errors, errors2;
    GUID id, id2;
    HRESULT code, hr;

    if (!make_dir(L"states", dir, ARRAY_SIZE(dir))) return;
    httpd_add_pattern_resource(httpd, "/persist/small.bin", 5000, 72, NULL);
    swprintf(local, ARRAY_SIZE(local), L"%lssmall.bin", dir);
    swprintf(local2, ARRAY_SIZE(local2), L"%lsmissing.bin", dir);

    transferred = create_job(L"transferred");
    failed = create_job(L"failed");
    if (!transferred || !failed) goto done;
    id = job_id(transferred);
    id2 = job_id(failed);
    add_file(transferred, httpd_url(httpd, "/persist/small.bin", remote, ARRAY_SIZE(remote)), local);
    add_file(failed, httpd_url(httpd, "/persist/missing.bin", remote, ARRAY_SIZE(remote)), local2);
    resume(transferred);
    resume(failed);
    wait_state(transferred, STATE_BIT(BG_JOB_STATE_TRANSFERRED), TRANSFER_TIMEOUT, FALSE);
    wait_state(failed, STATE_BIT(BG_JOB_STATE_ERROR), FAILURE_TIMEOUT, FALSE);
    hr = IBackgroundCopyJob_GetErrorCount(failed, &errors);
    ok(hr == S_OK, "GetErrorCount failed: %#lx.\n", hr);
    IBackgroundCopyJob_Release(transferred);
    IBackgroundCopyJob_Release(failed);
    transferred = failed = NULL;

    if (!restart_service()) goto done;
    if ((transferred = get_job(&id)))
    {
        check_state(transferred, BG_JOB_STATE_TRANSFERRED);
        check_job_progress(transferred, 5000, 5000, 1, 1);
        hr = IBackgroundCopyJob_Complete(transferred);
        ok(hr == S_OK, "Complete failed: %#lx.\n", hr);
        check_pattern_file(local, 72, 5000);
    }
    if ((failed = get_job(&id2)))
    {
        check_state(failed, BG_JOB_STATE_ERROR);
        ok(get_job_error(failed, &context, &code), "no error after the restart.\n");
        ok(code == BG_E_HTTP_ERROR_404 && context == BG_ERROR_CONTEXT_REMOTE_FILE,
           "got error %#lx, context %d.\n", code, context);
        hr = IBackgroundCopyJob_GetErrorCount(failed, &errors2);
        ok(hr == S_OK && errors2 == errors, "GetErrorCount: %#lx, %lu, before %lu.\n", hr, errors2, errors);
    }
done:
    finish_job(transferred);
    finish_job(failed);
    DeleteFileW(local);
}

/* Files of DYNAMIC_CONTENT and HIGH_PERFORMANCE jobs start again after an
 * interruption (behavior.md 10), but a job already TRANSFERRED keeps them
 * through a restart of the service: nothing is fetched again, and Complete
 * gives the files. */
static void test_finished_kinds_after_restart(void)
{
    static const BITS_JOB_PROPERTY_ID kinds[] = { BITS_JOB_PROPERTY_DYNAMIC_CONTENT, BITS_JOB_PROPERTY_HIGH_PERFORMANCE };
    static const char *const paths[] = { "/persist/finished-dynamic.bin", "/persist/finished-direct.bin" };
    IBackgroundCopyJob *jobs[ARRAY_SIZE(kinds)] = { 0 };
    WCHAR remote[256], local[ARRAY_SIZE(kinds)][MAX_PATH], dir[MAX_PATH];
    BITS_JOB_PROPERTY_VALUE value;
    IBackgroundCopyJob5 *job5;
    struct httpd_log_entry entry;
    GUID ids[ARRAY_SIZE(kinds)];
    unsigned int i, start;
    HRESULT hr;

    if (!make_dir(L"finished-kinds", dir, ARRAY_SIZE(dir))) return;
    for (i = 0; i < ARRAY_SIZE(kinds); i++)
    {
        httpd_add_pattern_resource(httpd, paths[i], 6000, 74 + i, NULL);
        swprintf(local[i], MAX_PATH, L"%lsfinished-%u.bin", dir, i);
        if (!(jobs[i] = create_job(i ? L"finished direct" : L"finished dynamic"))) continue;
        ids[i] = job_id(jobs[i]);
        if (SUCCEEDED(IBackgroundCopyJob_QueryInterface(jobs[i], &IID_IBackgroundCopyJob5, (void **)&job5)))
        {
            memset(&value, 0, sizeof(value));
            value.Enable = TRUE;
            hr = IBackgroundCopyJob5_SetProperty(job5, kinds[i], value);
            ok(hr == S_OK, "SetProperty(%u) failed: %#lx.\n", kinds[i], hr);
            IBackgroundCopyJob5_Release(job5);
        }
        add_file(jobs[i], httpd_url(httpd, paths[i], remote, ARRAY_SIZE(remote)), local[i]);
        resume(jobs[i]);
    }
    for (i = 0; i < ARRAY_SIZE(kinds); i++)
    {
        if (jobs[i]) wait_state(jobs[i], STATE_BIT(BG_JOB_STATE_TRANSFERRED), TRANSFER_TIMEOUT, FALSE);
        if (jobs[i]) IBackgroundCopyJob_Release(jobs[i]);
        jobs[i] = NULL;
    }

    /* Counted from before the restart: the service loads its jobs, and would
     * fetch a file again, before the first call returns. */
    start = httpd_log_count(httpd);
    if (!restart_service()) return;
    for (i = 0; i < ARRAY_SIZE(kinds); i++)
    {
        winetest_push_context("%s", i ? "HIGH_PERFORMANCE" : "DYNAMIC_CONTENT");
        if ((jobs[i] = get_job(&ids[i])))
        {
            check_state(jobs[i], BG_JOB_STATE_TRANSFERRED);
            check_job_progress(jobs[i], 6000, 6000, 1, 1);
            hr = IBackgroundCopyJob_Complete(jobs[i]);
            ok(hr == S_OK, "Complete failed: %#lx.\n", hr);
            check_pattern_file(local[i], 74 + i, 6000);
            ok(httpd_log_find(httpd, NULL, paths[i], start, &entry) < 0, "the file was fetched again.\n");
        }
        finish_job(jobs[i]);
        DeleteFileW(local[i]);
        winetest_pop_context();
    }
}

/* A file copied from a local source keeps the source's attributes
 * (behavior.md 7.4) when the service restarts between the transfer and
 * Complete: the temporary file, hidden, does not carry them. */
static void test_local_source_attributes(void)
{
    static const DWORD attributes = FILE_ATTRIBUTE_READONLY | FILE_ATTRIBUTE_HIDDEN | FILE_ATTRIBUTE_ARCHIVE;
    static const DWORD compared = attributes | FILE_ATTRIBUTE_SYSTEM;
    WCHAR source[MAX_PATH], local[MAX_PATH], dir[MAX_PATH];
    IBackgroundCopyJob *job;
    DWORD got, expected;
    HANDLE file;
    char data[4000];
    HRESULT hr;

    if (!make_dir(L"attributes", dir, ARRAY_SIZE(dir))) return;
    swprintf(source, ARRAY_SIZE(source), L"%lssource.bin", dir);
    swprintf(local, ARRAY_SIZE(local), L"%lscopy.bin", dir);
    memset(data, 'a', sizeof(data));
    file = CreateFileW(source, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, attributes, NULL);
    ok(file != INVALID_HANDLE_VALUE, "cannot create %s: %lu.\n", wine_dbgstr_w(source), GetLastError());
    if (file == INVALID_HANDLE_VALUE) return;
    WriteFile(file, data, sizeof(data), &got, NULL);
    CloseHandle(file);
    /* What the file system kept of them is what the copy must have. */
    expected = GetFileAttributesW(source) & compared;
    if (expected != attributes) trace("the file system kept attributes %#lx of %#lx.\n", expected, attributes);

    if (!(job = create_job(L"attributes"))) goto done;
    add_file(job, source, local);
    resume(job);
    wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSFERRED), TRANSFER_TIMEOUT, FALSE);
    if (!(job = restart_with_job(job))) goto done;
    check_state(job, BG_JOB_STATE_TRANSFERRED);
    hr = IBackgroundCopyJob_Complete(job);
    ok(hr == S_OK, "Complete failed: %#lx.\n", hr);
    got = GetFileAttributesW(local);
    ok(got != INVALID_FILE_ATTRIBUTES && (got & compared) == expected, "the file has attributes %#lx, expected %#lx.\n",
       got, expected);
done:
    finish_job(job);
    SetFileAttributesW(local, FILE_ATTRIBUTE_NORMAL);
    SetFileAttributesW(source, FILE_ATTRIBUTE_NORMAL);
    DeleteFileW(local);
    DeleteFileW(source);
}

/* Whether the job's owner may have SetFileACLFlags copy an owner (behavior.md
 * 7.6) outlives the service: an elevated administrator's job still may. */
static void test_file_acl_owner(void)
{
    WCHAR source[MAX_PATH], local[MAX_PATH], dir[MAX_PATH];
    IBackgroundCopyJob3 *job3 = NULL;
    IBackgroundCopyJob *job;
    BG_ERROR_CONTEXT context;
    HRESULT hr, code;
    HANDLE file;
    char data[3000];
    DWORD got;

    if (!make_dir(L"acl_owner", dir, ARRAY_SIZE(dir))) return;
    swprintf(source, ARRAY_SIZE(source), L"%lssource.bin", dir);
    swprintf(local, ARRAY_SIZE(local), L"%lscopy.bin", dir);
    memset(data, 'b', sizeof(data));
    file = CreateFileW(source, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
    ok(file != INVALID_HANDLE_VALUE, "cannot create %s: %lu.\n", wine_dbgstr_w(source), GetLastError());
    if (file == INVALID_HANDLE_VALUE) return;
    WriteFile(file, data, sizeof(data), &got, NULL);
    CloseHandle(file);

    if (!(job = create_job(L"acl-owner"))) goto done;
    if (!(job3 = query_optional(job, &IID_IBackgroundCopyJob3, "IBackgroundCopyJob3"))) goto done;
    hr = IBackgroundCopyJob3_SetFileACLFlags(job3, BG_COPY_FILE_OWNER);
    ok(hr == S_OK, "SetFileACLFlags failed: %#lx.\n", hr);
    IBackgroundCopyJob3_Release(job3);
    job3 = NULL;
    add_file(job, source, local);
    if (!(job = restart_with_job(job))) goto done;
    IBackgroundCopyJob_SetMinimumRetryDelay(job, 60);
    resume(job);
    if (expected_caller_admin())
    {
        if (wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSFERRED), TRANSFER_TIMEOUT, FALSE) != BG_JOB_STATE_TRANSFERRED)
            goto done;
        hr = IBackgroundCopyJob_Complete(job);
        ok(hr == S_OK, "Complete failed: %#lx.\n", hr);
        ok(GetFileAttributesW(local) != INVALID_FILE_ATTRIBUTES, "no file.\n");
    }
    else
    {
        if (wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSIENT_ERROR), FAILURE_TIMEOUT, FALSE) !=
            BG_JOB_STATE_TRANSIENT_ERROR)
            goto done;
        ok(get_job_error(job, &context, &code), "GetError failed.\n");
        ok(code == E_ACCESSDENIED, "got code %#lx.\n", code);
    }
done:
    if (job3) IBackgroundCopyJob3_Release(job3);
    finish_job(job);
    DeleteFileW(local);
    DeleteFileW(source);
}

/* The helper token lives only as long as the service; its flags are kept
 * (behavior.md 10), so the job asks for a token again (token-options.md). */
static void test_helper_token_not_kept(void)
{
    IBitsTokenOptions *token_options = NULL;
    IBackgroundCopyJob *job;
    WCHAR remote[256], local[MAX_PATH], dir[MAX_PATH], *sid;
    BG_ERROR_CONTEXT context;
    DWORD flags;
    HRESULT code, hr;

    if (!make_dir(L"token", dir, ARRAY_SIZE(dir))) return;
    httpd_add_pattern_resource(httpd, "/persist/token.bin", 3000, 73, NULL);
    swprintf(local, ARRAY_SIZE(local), L"%lstoken.bin", dir);
    if (!(job = create_job(L"token"))) return;
    add_file(job, httpd_url(httpd, "/persist/token.bin", remote, ARRAY_SIZE(remote)), local);
    if (!(token_options = query(job, &IID_IBitsTokenOptions))) goto done;
    hr = IBitsTokenOptions_SetHelperTokenFlags(token_options, BG_TOKEN_NETWORK);
    ok(hr == S_OK, "SetHelperTokenFlags failed: %#lx.\n", hr);
    hr = IBitsTokenOptions_SetHelperToken(token_options);
    ok(hr == S_OK, "SetHelperToken failed: %#lx.\n", hr);
    IBitsTokenOptions_Release(token_options);
    token_options = NULL;
    if (!(job = restart_with_job(job))) goto done;
    if (!(token_options = query(job, &IID_IBitsTokenOptions))) goto done;
    hr = IBitsTokenOptions_GetHelperTokenFlags(token_options, &flags);
    ok(hr == S_OK && flags == BG_TOKEN_NETWORK, "GetHelperTokenFlags: %#lx, %#lx.\n", hr, flags);
    sid = (WCHAR *)0xdeadbeef;
    hr = IBitsTokenOptions_GetHelperTokenSid(token_options, &sid);
    ok(hr == S_OK && !sid, "GetHelperTokenSid: %#lx, %s.\n", hr, wine_dbgstr_w(sid));
    resume(job);
    wait_state(job, STATE_BIT(BG_JOB_STATE_ERROR), FAILURE_TIMEOUT, FALSE);
    ok(get_job_error(job, &context, &code), "no error.\n");
    ok(code == BG_E_TOKEN_REQUIRED && context == BG_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER,
       "got error %#lx, context %d.\n", code, context);

    /* A new token, and it goes on. */
    hr = IBitsTokenOptions_SetHelperToken(token_options);
    ok(hr == S_OK, "SetHelperToken failed: %#lx.\n", hr);
    resume(job);
    if (wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSFERRED), TRANSFER_TIMEOUT, FALSE) == BG_JOB_STATE_TRANSFERRED)
    {
        hr = IBackgroundCopyJob_Complete(job);
        ok(hr == S_OK, "Complete failed: %#lx.\n", hr);
        check_pattern_file(local, 73, 3000);
    }
done:
    if (token_options) IBitsTokenOptions_Release(token_options);
    finish_job(job);
    DeleteFileW(local);
}

/* ---- a damaged store (our format: Wine only) ---- */

static void store_path(const GUID *id, const WCHAR *suffix, WCHAR *path)
{
    WCHAR base[MAX_PATH], guid[39];

    DWORD size = sizeof(base);

    if (RegGetValueW(HKEY_LOCAL_MACHINE, L"Software\\Microsoft\\Windows NT\\CurrentVersion\\ProfileList",
                     L"ProgramData", RRF_RT_REG_SZ | RRF_RT_REG_EXPAND_SZ, NULL, base, &size))
        wcscpy(base, L"C:\\ProgramData");
    StringFromGUID2(id, guid, ARRAY_SIZE(guid));
    swprintf(path, MAX_PATH, L"%ls\\Microsoft\\Network\\Downloader\\qmgr-jobs\\%02X\\%ls%ls", base,
             (unsigned int)(id->Data1 >> 24), guid, suffix);
}

static BOOL rewrite(const WCHAR *path, void (*damage)(BYTE *data, DWORD *size))
{
    BYTE data[65536];
    DWORD size, done;
    HANDLE handle;

    handle = CreateFileW(path, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    ok(handle != INVALID_HANDLE_VALUE, "cannot open %s: %lu.\n", wine_dbgstr_w(path), GetLastError());
    if (handle == INVALID_HANDLE_VALUE) return FALSE;
    ReadFile(handle, data, sizeof(data), &size, NULL);
    damage(data, &size);
    SetFilePointer(handle, 0, NULL, FILE_BEGIN);
    WriteFile(handle, data, size, &done, NULL);
    SetEndOfFile(handle);
    CloseHandle(handle);
    return TRUE;
}

static void truncate_record(BYTE *data, DWORD *size) { *size /= 2; }
static void garbage_record(BYTE *data, DWORD *size) { DWORD i; for (i = 0; i < *size; i++) data[i] = i * 37 + 11; }
static void future_record(BYTE *data, DWORD *size) { data[8] = 99; }
static void flip_record(BYTE *data, DWORD *size) { data[*size - 3] ^= 0x40; }
static void empty_record(BYTE *data, DWORD *size) { *size = 0; }

static void test_damaged_store(void)
{
    static void (*const damages[])(BYTE *data, DWORD *size) =
        { truncate_record, garbage_record, future_record, flip_record, empty_record };
    static const char *const names[] = { "truncated", "garbage", "future version", "bad checksum", "empty" };
    IBackgroundCopyJob *jobs[ARRAY_SIZE(damages) + 1] = { 0 }, *job;
    WCHAR path[MAX_PATH], remote[256], local[MAX_PATH], dir[MAX_PATH], *string;
    GUID ids[ARRAY_SIZE(damages) + 1];
    unsigned int i, intact = ARRAY_SIZE(damages);
    HANDLE handle;
    HRESULT hr;

    if (!under_wine())
    {
        skip("The job store's format is this implementation's own.\n");
        return;
    }
    if (!make_dir(L"damaged", dir, ARRAY_SIZE(dir))) return;
    httpd_url(httpd, "/persist/damaged", remote, ARRAY_SIZE(remote));
    for (i = 0; i < ARRAY_SIZE(jobs); i++)
    {
        if (!(jobs[i] = create_job(L"damaged"))) goto done;
        ids[i] = job_id(jobs[i]);
        swprintf(local, ARRAY_SIZE(local), L"%lsfile%u.bin", dir, i);
        add_file(jobs[i], remote, local);
    }
    for (i = 0; i < ARRAY_SIZE(jobs); i++)
    {
        IBackgroundCopyJob_Release(jobs[i]);
        jobs[i] = NULL;
    }
    if (!stop_service()) goto done;

    for (i = 0; i < ARRAY_SIZE(damages); i++)
    {
        store_path(&ids[i], L".job", path);
        rewrite(path, damages[i]);
    }
    /* A write the service did not finish: a stray temporary record next to a good one. */
    store_path(&ids[intact], L".tmp", path);
    handle = CreateFileW(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
    ok(handle != INVALID_HANDLE_VALUE, "cannot create %s: %lu.\n", wine_dbgstr_w(path), GetLastError());
    CloseHandle(handle);

    if (!start_service()) goto done;
    for (i = 0; i < ARRAY_SIZE(damages); i++)
    {
        hr = IBackgroundCopyManager_GetJob(manager, &ids[i], &job);
        ok(hr == BG_E_NOT_FOUND, "%s record: GetJob returned %#lx.\n", names[i], hr);
        if (hr == S_OK) finish_job(job);
        store_path(&ids[i], L".job.corrupt", path);
        ok(file_exists(path), "%s record: not set aside.\n", names[i]);
        DeleteFileW(path);
        store_path(&ids[i], L".job", path);
        ok(!file_exists(path), "%s record: still in place.\n", names[i]);
    }
    store_path(&ids[intact], L".tmp", path);
    ok(!file_exists(path), "the stray temporary record is still there.\n");
    if ((jobs[intact] = get_job(&ids[intact])))
    {
        hr = IBackgroundCopyJob_GetDisplayName(jobs[intact], &string);
        ok(hr == S_OK && !wcsncmp(string, L"qmgr_test persist damaged", 25), "GetDisplayName: %#lx, %s.\n", hr,
           wine_dbgstr_w(string));
        CoTaskMemFree(string);
        check_job_progress(jobs[intact], BG_SIZE_UNKNOWN, 0, 1, 0);
    }
done:
    for (i = 0; i < ARRAY_SIZE(jobs); i++) finish_job(jobs[i]);
}

/* Record tags of the times, as the service's store writes them. */
#define RECORD_MODIFICATION_TIME 10
#define RECORD_ACTIVITY_TIME     44

/* Reads a record, or writes it back with its checksum made right: a 24-byte
 * header, then fields of tag, reserved, size and bytes. */
static BOOL record_io(const WCHAR *path, BYTE *data, DWORD *size, BOOL write)
{
    DWORD (WINAPI *pRtlComputeCrc32)(DWORD, const BYTE *, INT);
    HANDLE handle;
    DWORD crc, done;
    BOOL ret;

    pRtlComputeCrc32 = (void *)GetProcAddress(GetModuleHandleA("ntdll.dll"), "RtlComputeCrc32");
    handle = CreateFileW(path, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
    ok(handle != INVALID_HANDLE_VALUE, "cannot open %s: %lu.\n", wine_dbgstr_w(path), GetLastError());
    if (handle == INVALID_HANDLE_VALUE || !pRtlComputeCrc32) return FALSE;
    if (write)
    {
        crc = pRtlComputeCrc32(0, data + 24, *size - 24);
        memcpy(data + 16, &crc, sizeof(crc));
        ret = WriteFile(handle, data, *size, &done, NULL) && done == *size;
    }
    else ret = ReadFile(handle, data, *size, size, NULL) && *size > 24;
    CloseHandle(handle);
    return ret;
}

/* The 8-byte field of @tag in a record read with record_io, or NULL. */
static BYTE *record_field(BYTE *data, DWORD size, WORD tag)
{
    DWORD pos, field_size;
    WORD got;

    for (pos = 24; pos + 8 <= size; pos += 8 + field_size)
    {
        memcpy(&got, data + pos, sizeof(got));
        memcpy(&field_size, data + pos + 4, sizeof(field_size));
        if (got == tag && field_size == 8 && pos + 16 <= size) return data + pos + 8;
    }
    return NULL;
}

/* Makes the record say that @tag's time was @days ago. */
static BOOL age_record(const WCHAR *path, WORD tag, unsigned int days)
{
    static BYTE data[65536];
    DWORD size = sizeof(data);
    ULARGE_INTEGER when;
    BYTE *field;

    if (!record_io(path, data, &size, FALSE)) return FALSE;
    field = record_field(data, size, tag);
    ok(field != NULL, "no time %u in the record.\n", tag);
    if (!field) return FALSE;
    GetSystemTimeAsFileTime((FILETIME *)&when);
    when.QuadPart -= days * 24 * 3600 * 10000000ull;
    memcpy(field, &when, 8);
    return record_io(path, data, &size, TRUE);
}

/* The time of @tag in the record, 0 if it has none. */
static ULONGLONG record_time(const WCHAR *path, WORD tag)
{
    static BYTE data[65536];
    DWORD size = sizeof(data);
    ULONGLONG value = 0;
    BYTE *field;

    if (record_io(path, data, &size, FALSE) && (field = record_field(data, size, tag))) memcpy(&value, field, 8);
    return value;
}

/* Record tags of a credential's group and its secrets. */
#define RECORD_CREDENTIALS          25
#define RECORD_CREDENTIALS_USER     3
#define RECORD_CREDENTIALS_PASSWORD 4

/* Flips a byte of each secret of the record's credential groups, as if the
 * record came from another machine; returns how many it changed. */
static unsigned int spoil_credentials(const WCHAR *path)
{
    static BYTE data[65536];
    DWORD size = sizeof(data), pos, field_size, inner, inner_size;
    unsigned int spoilt = 0;
    WORD tag;

    if (!record_io(path, data, &size, FALSE)) return 0;
    for (pos = 24; pos + 8 <= size; pos += 8 + field_size)
    {
        memcpy(&tag, data + pos, sizeof(tag));
        memcpy(&field_size, data + pos + 4, sizeof(field_size));
        if (tag != RECORD_CREDENTIALS || field_size > size - pos - 8) continue;
        for (inner = pos + 8; inner + 8 <= pos + 8 + field_size; inner += 8 + inner_size)
        {
            memcpy(&tag, data + inner, sizeof(tag));
            memcpy(&inner_size, data + inner + 4, sizeof(inner_size));
            if ((tag == RECORD_CREDENTIALS_USER || tag == RECORD_CREDENTIALS_PASSWORD) && inner_size)
            {
                data[inner + 8 + inner_size - 1] ^= 0x5a;
                spoilt++;
            }
        }
    }
    if (spoilt && !record_io(path, data, &size, TRUE)) return 0;
    return spoilt;
}

/* Credentials whose secrets cannot be decrypted after a restart are dropped,
 * as if never set: the job asks the server without them and fails with 401.
 * Kept without name and password they would be the owner's logon credentials,
 * which the Credential Manager would complete here with the right password. */
static void test_unreadable_credentials(void)
{
    static const ULONGLONG size = 20011;
    static const unsigned int seed = 83;
    WCHAR remote[256], local[MAX_PATH], dir[MAX_PATH], path[MAX_PATH];
    IBackgroundCopyJob *job;
    unsigned int spoilt;
    GUID id;

    if (!under_wine())
    {
        skip("The job store's format is this implementation's own.\n");
        return;
    }
    if (!make_dir(L"spoilt", dir, ARRAY_SIZE(dir))) return;
    ntlm_server_init(L"QMGRTEST", L"bitsuser", L"Qmgr-ntlm-2");
    ok(ntlm_server_install(httpd, "/persist/ntlm/", FALSE, "NTLM"), "cannot install the NTLM handler.\n");
    httpd_add_pattern_resource(httpd, "/persist/ntlm/file.bin", size, seed, NULL);
    httpd_url(httpd, "/persist/ntlm/file.bin", remote, ARRAY_SIZE(remote));
    swprintf(local, ARRAY_SIZE(local), L"%lsfile.bin", dir);
    ok(ntlm_server_store_host_password(L"Qmgr-ntlm-2"), "CredWrite failed: %lu.\n", GetLastError());

    if (!(job = create_job(L"spoilt"))) goto done;
    add_file(job, remote, local);
    set_retry_delay(job, 60);
    if (!set_server_credentials(job, BG_AUTH_SCHEME_NTLM, L"QMGRTEST\\bitsuser", L"Qmgr-ntlm-2")) goto done;
    id = job_id(job);
    IBackgroundCopyJob_Release(job);
    job = NULL;
    if (!stop_service()) goto done;
    store_path(&id, L".job", path);
    spoilt = spoil_credentials(path);
    ok(spoilt == 2, "changed %u secrets.\n", spoilt);
    start_service();
    /* The rest of the record is good: the job is there. */
    if (!(job = get_job(&id))) goto done;
    ntlm_server_reset();
    resume(job);
    if (wait_state(job, STATE_BIT(BG_JOB_STATE_ERROR), FAILURE_TIMEOUT, FALSE) == BG_JOB_STATE_ERROR)
    {
        BG_ERROR_CONTEXT context;
        HRESULT code;

        ok(get_job_error(job, &context, &code) && code == BG_E_HTTP_ERROR_401, "got error %#lx.\n", code);
    }
    check_no_file(local);
    EnterCriticalSection(&ntlm_server.cs);
    ok(!ntlm_server.negotiates && !ntlm_server.accepted, "the server got %u negotiate messages, accepted %u.\n",
       ntlm_server.negotiates, ntlm_server.accepted);
    LeaveCriticalSection(&ntlm_server.cs);
done:
    finish_job(job);
    ok(ntlm_server_forget_host_password(), "CredDelete failed: %lu.\n", GetLastError());
}

/* A job as large as an administrator may make (no file limit applies):
 * 16,000 files with URLs of 2000 characters, over 64 MiB of names.  It comes
 * back from a restart with every file. */
static void test_large_job_after_restart(void)
{
    enum { COUNT = 16000, PATH_LEN = 1970 };
    WCHAR dir[MAX_PATH], *path, *name = NULL;
    IBackgroundCopyJob *job;
    IEnumBackgroundCopyFiles *files;
    IBackgroundCopyFile *file;
    BG_FILE_INFO *infos;
    ULONG i, count = 0;
    HRESULT hr;

    if (!make_dir(L"large", dir, ARRAY_SIZE(dir))) return;
    if (!(job = create_job(L"large"))) return;
    infos = calloc(COUNT, sizeof(*infos));
    path = malloc((PATH_LEN + 1) * sizeof(WCHAR));
    /* Segments of 200 characters: AddFile takes none longer than MAX_PATH. */
    for (i = 0; i < PATH_LEN; i++) path[i] = i % 200 == 199 ? '/' : 'a' + i % 26;
    path[PATH_LEN] = 0;
    for (i = 0; i < COUNT; i++)
    {
        infos[i].RemoteName = malloc((PATH_LEN + 64) * sizeof(WCHAR));
        infos[i].LocalName = malloc(MAX_PATH * sizeof(WCHAR));
        swprintf(infos[i].RemoteName, PATH_LEN + 64, L"http://127.0.0.1:1/%ls/%05lu.bin", path, i);
        swprintf(infos[i].LocalName, MAX_PATH, L"%ls%05lu.bin", dir, i);
    }
    hr = IBackgroundCopyJob_AddFileSet(job, COUNT, infos);
    if (hr == BG_E_TOO_MANY_FILES_IN_JOB) skip("only an administrator may add %u files to a job.\n", COUNT);
    else ok(hr == S_OK, "AddFileSet failed: %#lx.\n", hr);
    if (hr == S_OK && (job = restart_with_job(job)))
    {
        check_job_progress(job, BG_SIZE_UNKNOWN, 0, COUNT, 0);
        hr = IBackgroundCopyJob_EnumFiles(job, &files);
        ok(hr == S_OK, "EnumFiles failed: %#lx.\n", hr);
        if (hr == S_OK)
        {
            hr = IEnumBackgroundCopyFiles_Skip(files, COUNT - 1);
            ok(hr == S_OK, "Skip failed: %#lx.\n", hr);
            if (IEnumBackgroundCopyFiles_Next(files, 1, &file, &count) == S_OK)
            {
                IBackgroundCopyFile_GetRemoteName(file, &name);
                IBackgroundCopyFile_Release(file);
            }
            ok(name && !wcscmp(name, infos[COUNT - 1].RemoteName), "the last file's URL is %s.\n",
               wine_dbgstr_w(name ? name + PATH_LEN : NULL));
            CoTaskMemFree(name);
            IEnumBackgroundCopyFiles_Release(files);
        }
    }
    if (job)
    {
        IBackgroundCopyJob_Cancel(job);
        IBackgroundCopyJob_Release(job);
    }
    for (i = 0; i < COUNT; i++)
    {
        free(infos[i].RemoteName);
        free(infos[i].LocalName);
    }
    free(infos);
    free(path);
}

/* A record the service cannot replace or delete for a while (a program
 * holds it open without sharing) is written, or deleted, once it can be:
 * the change is not lost (behavior.md 10). */
static void test_locked_record(void)
{
    WCHAR path[MAX_PATH], remote[256], local[MAX_PATH], dir[MAX_PATH], *text;
    IBackgroundCopyJob *job;
    HANDLE handle;
    unsigned int i;
    HRESULT hr;
    GUID id;

    if (!under_wine())
    {
        skip("The job store's format is this implementation's own.\n");
        return;
    }
    if (!make_dir(L"locked", dir, ARRAY_SIZE(dir))) return;
    if (!(job = create_job(L"locked"))) return;
    swprintf(local, ARRAY_SIZE(local), L"%lslocked.bin", dir);
    add_file(job, httpd_url(httpd, "/persist/locked.bin", remote, ARRAY_SIZE(remote)), local);
    id = job_id(job);
    store_path(&id, L".job", path);
    for (i = 0; i < 40 && !file_exists(path); i++) Sleep(50);
    ok(file_exists(path), "the record was not written.\n");

    handle = CreateFileW(path, GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL);
    ok(handle != INVALID_HANDLE_VALUE, "cannot open the record: %lu.\n", GetLastError());
    hr = IBackgroundCopyJob_SetDescription(job, L"changed while held");
    ok(hr == S_OK, "SetDescription failed: %#lx.\n", hr);
    /* The store's first try comes and fails meanwhile. */
    Sleep(1000);
    CloseHandle(handle);
    Sleep(3000);
    if (!(job = restart_with_job(job))) return;
    text = NULL;
    hr = IBackgroundCopyJob_GetDescription(job, &text);
    ok(hr == S_OK && text && !wcscmp(text, L"changed while held"), "description %s after the restart.\n",
       wine_dbgstr_w(text));
    CoTaskMemFree(text);

    /* The same for the deletion of a cancelled job's record. */
    handle = CreateFileW(path, GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL);
    ok(handle != INVALID_HANDLE_VALUE, "cannot open the record: %lu.\n", GetLastError());
    hr = IBackgroundCopyJob_Cancel(job);
    ok(hr == S_OK, "Cancel failed: %#lx.\n", hr);
    IBackgroundCopyJob_Release(job);
    Sleep(1000);
    ok(file_exists(path), "the record went while held.\n");
    CloseHandle(handle);
    for (i = 0; i < 100 && file_exists(path); i++) Sleep(50);
    ok(!file_exists(path), "the cancelled job's record is still there.\n");
}

/* JobInactivityTimeout (in days): a job nobody touched for longer is cancelled
 * when the service looks, at its start among other times; one that was under
 * way is cancelled before it can run again. */
static void test_inactive_job_cancelled(void)
{
    struct httpd_resource_options options;
    struct httpd_log_entry entry;
    IBackgroundCopyJob *old_job, *new_job, *job;
    int log_start;
    WCHAR path[MAX_PATH], remote[256], local[MAX_PATH], dir[MAX_PATH];
    DWORD days = 1;
    GUID old_id, new_id;
    HRESULT hr;

    if (!under_wine())
    {
        skip("The job store's format is this implementation's own.\n");
        return;
    }
    if (!make_dir(L"inactive", dir, ARRAY_SIZE(dir))) return;
    memset(&options, 0, sizeof(options));
    options.slow_delay_ms = SLOW_DELAY_MS;
    options.slow_chunk = SLOW_CHUNK;
    httpd_add_pattern_resource(httpd, "/persist/inactive.bin", SLOW_SIZE, 77, &options);
    old_job = create_job(L"inactive old");
    new_job = create_job(L"inactive new");
    if (!old_job || !new_job) goto done;
    old_id = job_id(old_job);
    new_id = job_id(new_job);
    swprintf(local, ARRAY_SIZE(local), L"%lsinactive.bin", dir);
    add_file(old_job, httpd_url(httpd, "/persist/inactive.bin", remote, ARRAY_SIZE(remote)), local);
    swprintf(local, ARRAY_SIZE(local), L"%lsinactive-new.bin", dir);
    add_file(new_job, remote, local);
    /* Under way at the stop: the service must not start it again before it
     * sees that it is past its time, or its first byte would be activity. */
    resume(old_job);
    wait_state(old_job, STATE_BIT(BG_JOB_STATE_TRANSFERRING), TRANSFER_TIMEOUT, FALSE);
    IBackgroundCopyJob_Release(old_job);
    IBackgroundCopyJob_Release(new_job);
    old_job = new_job = NULL;
    ok(!RegSetKeyValueW(HKEY_LOCAL_MACHINE, L"Software\\Policies\\Microsoft\\Windows\\BITS", L"JobInactivityTimeout",
                        REG_DWORD, &days, sizeof(days)), "cannot set the policy.\n");
    if (!stop_service()) goto done;
    store_path(&old_id, L".job", path);
    age_record(path, RECORD_MODIFICATION_TIME, 2);
    age_record(path, RECORD_ACTIVITY_TIME, 2);

    log_start = httpd_log_count(httpd);
    if (!start_service()) goto done;
    hr = IBackgroundCopyManager_GetJob(manager, &old_id, &job);
    ok(hr == BG_E_NOT_FOUND, "GetJob of the inactive job returned %#lx.\n", hr);
    ok(httpd_log_find(httpd, "GET", "/persist/inactive.bin", log_start, &entry) < 0,
       "the inactive job ran again after the restart.\n");
    if (hr == S_OK) finish_job(job);
    new_job = get_job(&new_id);
    /* The record of the cancelled job goes too (bounded wait for the store). */
    for (days = 0; days < 40 && file_exists(path); days++) Sleep(50);
    ok(!file_exists(path), "the cancelled job's record is still there.\n");
done:
    RegDeleteKeyValueW(HKEY_LOCAL_MACHINE, L"Software\\Policies\\Microsoft\\Windows\\BITS", L"JobInactivityTimeout");
    finish_job(old_job);
    finish_job(new_job);
}

/* Retries are not activity (behavior.md 5: the job is cancelled once the
 * policy's period passes even while it retries): a job that keeps failing
 * has a fresh ModificationTime, and is cancelled for inactivity all the same. */
static void test_retrying_job_inactive(void)
{
    IBackgroundCopyJob *job = NULL;
    WCHAR path[MAX_PATH], local[MAX_PATH], dir[MAX_PATH];
    ULONGLONG modified, active;
    BG_JOB_TIMES first, times;
    DWORD days = 1, start;
    HRESULT hr;
    GUID id;

    if (!under_wine())
    {
        skip("The job store's format is this implementation's own.\n");
        return;
    }
    if (!make_dir(L"retrying", dir, ARRAY_SIZE(dir))) return;
    if (!(job = create_job(L"retrying"))) return;
    id = job_id(job);
    swprintf(local, ARRAY_SIZE(local), L"%lsretrying.bin", dir);
    /* Nobody listens on port 1: every attempt fails at once. */
    add_file(job, L"http://127.0.0.1:1/retrying.bin", local);
    set_retry_delay(job, 5);
    resume(job);
    if (wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSIENT_ERROR), FAILURE_TIMEOUT, TRUE) != BG_JOB_STATE_TRANSIENT_ERROR)
        goto done;
    hr = IBackgroundCopyJob_GetTimes(job, &first);
    ok(hr == S_OK, "GetTimes failed: %#lx.\n", hr);
    /* The retry after 5 s moves ModificationTime. */
    start = GetTickCount();
    do
    {
        Sleep(100);
        hr = IBackgroundCopyJob_GetTimes(job, &times);
    } while (hr == S_OK && !CompareFileTime(&times.ModificationTime, &first.ModificationTime) &&
             GetTickCount() - start < 15000);
    ok(CompareFileTime(&times.ModificationTime, &first.ModificationTime) > 0, "no retry in 15 s.\n");
    IBackgroundCopyJob_Release(job);
    job = NULL;

    ok(!RegSetKeyValueW(HKEY_LOCAL_MACHINE, L"Software\\Policies\\Microsoft\\Windows\\BITS", L"JobInactivityTimeout",
                        REG_DWORD, &days, sizeof(days)), "cannot set the policy.\n");
    if (!stop_service()) goto done;
    store_path(&id, L".job", path);
    modified = record_time(path, RECORD_MODIFICATION_TIME);
    active = record_time(path, RECORD_ACTIVITY_TIME);
    ok(active && active < modified, "activity at %I64u, modified at %I64u: the retries were taken for activity.\n",
       active, modified);
    /* Last touched by its owner two days ago, retried since. */
    age_record(path, RECORD_ACTIVITY_TIME, 2);

    if (!start_service()) goto done;
    hr = IBackgroundCopyManager_GetJob(manager, &id, &job);
    ok(hr == BG_E_NOT_FOUND, "GetJob of the retrying inactive job returned %#lx.\n", hr);
done:
    RegDeleteKeyValueW(HKEY_LOCAL_MACHINE, L"Software\\Policies\\Microsoft\\Windows\\BITS", L"JobInactivityTimeout");
    if (!manager) start_service();
    finish_job(job);
}

START_TEST(persist)
{
    DWORD start = GetTickCount();

    if (!begin_transfer_tests(L"persist")) return;
    bits_server_start(httpd, "/upload/");
    test_properties();
    if (manager) test_resume_after_restart();
    if (manager) test_temp_name_after_restart();
    if (manager) test_unhidden_temp_after_restart();
    if (manager) test_upload_after_restart();
    if (manager) test_pieces_after_restart();
    if (manager) test_states();
    if (manager) test_finished_kinds_after_restart();
    if (manager) test_local_source_attributes();
    if (manager) test_file_acl_owner();
    if (manager) test_helper_token_not_kept();
    if (manager) test_damaged_store();
    if (manager) test_inactive_job_cancelled();
    if (manager) test_retrying_job_inactive();
    if (manager) test_unreadable_credentials();
    if (manager) test_queue_order_after_restart();
    if (manager) test_locked_record();
    if (manager) test_large_job_after_restart();
    if (!manager) start_service();
    end_transfer_tests("persist", start);
    bits_server_stop();
}
