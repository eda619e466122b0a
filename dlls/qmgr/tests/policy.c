/*
 * Tests of the Group Policy limits of BITS (HKLM\Software\Policies\Microsoft\
 * Windows\BITS): MaxJobsPerUser, MaxJobsPerMachine, MaxFilesPerJob,
 * MaxRangesPerFile bind callers who are not administrators (a thread that
 * impersonates a restricted token is one), and MaxDownloadTime is the
 * default of new jobs.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdarg.h>

#define COBJMACROS
#include "windef.h"
#include "winbase.h"
#include "winreg.h"
#include "objbase.h"
#include "bits10_3.h"
#include "bitsmsg.h"

#include "wine/test.h"
#include "identity_util.h"

static const WCHAR policy_key[] = L"Software\\Policies\\Microsoft\\Windows\\BITS";

static IBackgroundCopyManager *manager;
static HANDLE restricted;  /* Administrators deny-only: a caller the limits bind */

static BOOL set_policy(const WCHAR *name, DWORD value)
{
    LSTATUS ret = RegSetKeyValueW(HKEY_LOCAL_MACHINE, policy_key, name, REG_DWORD, &value, sizeof(value));

    if (ret == ERROR_ACCESS_DENIED) return FALSE;
    ok(!ret, "cannot set the policy %s: %ld.\n", wine_dbgstr_w(name), ret);
    return !ret;
}

static void clear_policy(const WCHAR *name)
{
    RegDeleteKeyValueW(HKEY_LOCAL_MACHINE, policy_key, name);
}

static void as_restricted(BOOL on)
{
    if (on) ok(SetThreadToken(NULL, restricted), "SetThreadToken failed: %lu.\n", GetLastError());
    else RevertToSelf();
}

static IBackgroundCopyJob *create_job(const WCHAR *name)
{
    IBackgroundCopyJob *job = NULL;
    HRESULT hr;
    GUID id;

    hr = IBackgroundCopyManager_CreateJob(manager, name, BG_JOB_TYPE_DOWNLOAD, &id, &job);
    ok(hr == S_OK, "CreateJob failed: %#lx.\n", hr);
    return job;
}

static void cancel_job(IBackgroundCopyJob *job)
{
    if (!job) return;
    IBackgroundCopyJob_Cancel(job);
    IBackgroundCopyJob_Release(job);
}

static ULONG count_jobs(void)
{
    IEnumBackgroundCopyJobs *jobs;
    ULONG count = 0;
    HRESULT hr;

    hr = IBackgroundCopyManager_EnumJobs(manager, 0, &jobs);
    ok(hr == S_OK, "EnumJobs failed: %#lx.\n", hr);
    if (hr != S_OK) return 0;
    hr = IEnumBackgroundCopyJobs_GetCount(jobs, &count);
    ok(hr == S_OK, "GetCount failed: %#lx.\n", hr);
    IEnumBackgroundCopyJobs_Release(jobs);
    return count;
}

static void test_files_per_job(void)
{
    BG_FILE_INFO infos[2];
    IBackgroundCopyJob *job;
    BG_JOB_PROGRESS progress;
    WCHAR local[3][MAX_PATH];
    const WCHAR *remote = L"http://127.0.0.1:1/policy";
    unsigned int i;
    HRESULT hr;

    if (!set_policy(L"MaxFilesPerJob", 2))
    {
        skip("Not allowed to set BITS policies.\n");
        return;
    }
    GetTempPathW(MAX_PATH, local[0]);
    for (i = 0; i < 3; i++) swprintf(local[i], MAX_PATH, L"%lsqmgr_policy_%u.bin", local[0], i);

    as_restricted(TRUE);
    if ((job = create_job(L"qmgr_test policy files")))
    {
        hr = IBackgroundCopyJob_AddFile(job, remote, local[0]);
        ok(hr == S_OK, "AddFile failed: %#lx.\n", hr);
        /* All or nothing: two more would be three. */
        infos[0].RemoteName = infos[1].RemoteName = (WCHAR *)remote;
        infos[0].LocalName = local[1];
        infos[1].LocalName = local[2];
        hr = IBackgroundCopyJob_AddFileSet(job, 2, infos);
        ok(hr == BG_E_TOO_MANY_FILES_IN_JOB, "AddFileSet past the limit returned %#lx.\n", hr);
        hr = IBackgroundCopyJob_GetProgress(job, &progress);
        ok(hr == S_OK && progress.FilesTotal == 1, "the job has %lu files.\n", progress.FilesTotal);
        hr = IBackgroundCopyJob_AddFile(job, remote, local[1]);
        ok(hr == S_OK, "AddFile up to the limit failed: %#lx.\n", hr);
        hr = IBackgroundCopyJob_AddFile(job, remote, local[2]);
        ok(hr == BG_E_TOO_MANY_FILES_IN_JOB, "AddFile past the limit returned %#lx.\n", hr);

        /* The same job, as the administrator the process may be. */
        as_restricted(FALSE);
        hr = IBackgroundCopyJob_AddFile(job, remote, local[2]);
        if (expected_caller_admin()) ok(hr == S_OK, "AddFile as an administrator failed: %#lx.\n", hr);
        else ok(hr == BG_E_TOO_MANY_FILES_IN_JOB, "AddFile past the limit returned %#lx.\n", hr);
        as_restricted(TRUE);
        cancel_job(job);
    }
    as_restricted(FALSE);

    /* Back to the default of 200. */
    clear_policy(L"MaxFilesPerJob");
    as_restricted(TRUE);
    if ((job = create_job(L"qmgr_test policy files 2")))
    {
        for (i = 0; i < 3; i++)
        {
            hr = IBackgroundCopyJob_AddFile(job, remote, local[i]);
            ok(hr == S_OK, "AddFile %u without the policy failed: %#lx.\n", i, hr);
        }
        cancel_job(job);
    }
    as_restricted(FALSE);
}

static void test_ranges_per_file(void)
{
    BG_FILE_RANGE ranges[3] = { { 0, 10 }, { 20, 10 }, { 40, 10 } };
    IBackgroundCopyJob3 *job3;
    IBackgroundCopyJob *job;
    WCHAR local[MAX_PATH], temp[MAX_PATH];
    HRESULT hr;

    if (!set_policy(L"MaxRangesPerFile", 2)) return;
    GetTempPathW(MAX_PATH, temp);
    swprintf(local, MAX_PATH, L"%lsqmgr_policy_ranges.bin", temp);

    as_restricted(TRUE);
    if ((job = create_job(L"qmgr_test policy ranges")))
    {
        hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob3, (void **)&job3);
        ok(hr == S_OK, "QueryInterface failed: %#lx.\n", hr);
        if (hr == S_OK)
        {
            hr = IBackgroundCopyJob3_AddFileWithRanges(job3, L"http://127.0.0.1:1/ranges", local, 3, ranges);
            ok(hr == BG_E_TOO_MANY_RANGES_IN_FILE, "three ranges returned %#lx.\n", hr);
            hr = IBackgroundCopyJob3_AddFileWithRanges(job3, L"http://127.0.0.1:1/ranges", local, 2, ranges);
            ok(hr == S_OK, "two ranges returned %#lx.\n", hr);
            as_restricted(FALSE);
            hr = IBackgroundCopyJob3_AddFileWithRanges(job3, L"http://127.0.0.1:1/ranges", local, 3, ranges);
            if (expected_caller_admin()) ok(hr == S_OK, "three ranges as an administrator returned %#lx.\n", hr);
            else ok(hr == BG_E_TOO_MANY_RANGES_IN_FILE, "three ranges returned %#lx.\n", hr);
            as_restricted(TRUE);
            IBackgroundCopyJob3_Release(job3);
        }
        cancel_job(job);
    }
    as_restricted(FALSE);
    clear_policy(L"MaxRangesPerFile");
}

static void test_jobs_per_user(void)
{
    IBackgroundCopyJob *jobs[3] = { 0 }, *extra;
    ULONG mine, i;
    HRESULT hr;
    GUID id;

    as_restricted(TRUE);
    mine = count_jobs();
    as_restricted(FALSE);
    if (!set_policy(L"MaxJobsPerUser", mine + 2)) return;

    as_restricted(TRUE);
    jobs[0] = create_job(L"qmgr_test policy user 1");
    jobs[1] = create_job(L"qmgr_test policy user 2");
    hr = IBackgroundCopyManager_CreateJob(manager, L"qmgr_test policy user 3", BG_JOB_TYPE_DOWNLOAD, &id, &jobs[2]);
    ok(hr == BG_E_TOO_MANY_JOBS_PER_USER, "CreateJob past the limit returned %#lx.\n", hr);
    ok(!jobs[2], "got a job %p.\n", jobs[2]);
    /* A cancelled job no longer counts. */
    cancel_job(jobs[1]);
    jobs[1] = create_job(L"qmgr_test policy user 2 again");
    as_restricted(FALSE);

    hr = IBackgroundCopyManager_CreateJob(manager, L"qmgr_test policy user admin", BG_JOB_TYPE_DOWNLOAD, &id, &extra);
    if (expected_caller_admin()) ok(hr == S_OK, "CreateJob as an administrator returned %#lx.\n", hr);
    else ok(hr == BG_E_TOO_MANY_JOBS_PER_USER, "CreateJob past the limit returned %#lx.\n", hr);
    if (hr == S_OK) cancel_job(extra);

    for (i = 0; i < ARRAY_SIZE(jobs); i++) cancel_job(jobs[i]);
    clear_policy(L"MaxJobsPerUser");
}

static void test_jobs_per_machine(void)
{
    IBackgroundCopyJob *job, *extra = NULL;
    HRESULT hr;
    GUID id;

    /* One job at least exists: this one. */
    if (!(job = create_job(L"qmgr_test policy machine"))) return;
    if (!set_policy(L"MaxJobsPerMachine", 1))
    {
        cancel_job(job);
        return;
    }
    as_restricted(TRUE);
    hr = IBackgroundCopyManager_CreateJob(manager, L"qmgr_test policy machine 2", BG_JOB_TYPE_DOWNLOAD, &id, &extra);
    ok(hr == BG_E_TOO_MANY_JOBS_PER_MACHINE, "CreateJob past the limit returned %#lx.\n", hr);
    if (hr == S_OK) cancel_job(extra);
    as_restricted(FALSE);
    clear_policy(L"MaxJobsPerMachine");

    as_restricted(TRUE);
    hr = IBackgroundCopyManager_CreateJob(manager, L"qmgr_test policy machine 3", BG_JOB_TYPE_DOWNLOAD, &id, &extra);
    ok(hr == S_OK, "CreateJob without the policy returned %#lx.\n", hr);
    if (hr == S_OK) cancel_job(extra);
    as_restricted(FALSE);
    cancel_job(job);
}

static void test_max_download_time(void)
{
    IBackgroundCopyJob4 *job4;
    IBackgroundCopyJob *job;
    ULONG seconds;
    HRESULT hr;

    if (!set_policy(L"MaxDownloadTime", 4321)) return;
    if ((job = create_job(L"qmgr_test policy download time")))
    {
        hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob4, (void **)&job4);
        ok(hr == S_OK, "QueryInterface failed: %#lx.\n", hr);
        if (hr == S_OK)
        {
            hr = IBackgroundCopyJob4_GetMaximumDownloadTime(job4, &seconds);
            ok(hr == S_OK && seconds == 4321, "GetMaximumDownloadTime: %#lx, %lu.\n", hr, seconds);
            /* The job's own setting wins over the policy. */
            hr = IBackgroundCopyJob4_SetMaximumDownloadTime(job4, 99);
            ok(hr == S_OK, "SetMaximumDownloadTime failed: %#lx.\n", hr);
            hr = IBackgroundCopyJob4_GetMaximumDownloadTime(job4, &seconds);
            ok(hr == S_OK && seconds == 99, "GetMaximumDownloadTime: %#lx, %lu.\n", hr, seconds);
            IBackgroundCopyJob4_Release(job4);
        }
        cancel_job(job);
    }
    clear_policy(L"MaxDownloadTime");
}

START_TEST(policy)
{
    HRESULT hr;

    CoInitialize(NULL);
    hr = CoCreateInstance(&CLSID_BackgroundCopyManager, NULL, CLSCTX_LOCAL_SERVER, &IID_IBackgroundCopyManager,
                          (void **)&manager);
    if (FAILED(hr))
    {
        win_skip("cannot create the BITS manager: %#lx.\n", hr);
        CoUninitialize();
        return;
    }
    restricted = make_restricted_token();
    ok(restricted != NULL, "cannot make a restricted token: %lu.\n", GetLastError());
    if (restricted)
    {
        test_files_per_job();
        test_ranges_per_file();
        test_jobs_per_user();
        test_jobs_per_machine();
        CloseHandle(restricted);
    }
    test_max_download_time();
    IBackgroundCopyManager_Release(manager);
    CoUninitialize();
}
