/*
 * Conformance tests of the BITS job enumerator (IEnumBackgroundCopyJobs)
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

#include "windef.h"
#include "winbase.h"
#include "winerror.h"
#include "objbase.h"
#include "bits10_3.h"

#include "wine/test.h"

/* Other jobs of this user (other tests running in parallel, other
 * programs) may be in the queue too: the tests count only their own jobs
 * and otherwise rely on the enumerator's own count. */
#define TEST_JOBS 3

static IBackgroundCopyManager *manager;
static IBackgroundCopyJob *test_jobs[TEST_JOBS];
static GUID test_ids[TEST_JOBS];

static void make_name(WCHAR *buf, size_t len, const WCHAR *tag)
{
    static LONG counter;

    swprintf(buf, len, L"qmgr_test %ls %lu-%lu-%ld", tag, GetCurrentProcessId(),
             GetTickCount(), InterlockedIncrement(&counter));
}

static IBackgroundCopyJob *create_job(GUID *id)
{
    IBackgroundCopyJob *job = NULL;
    WCHAR name[128];
    HRESULT hr;

    make_name(name, ARRAY_SIZE(name), L"enum_jobs");
    hr = IBackgroundCopyManager_CreateJob(manager, name, BG_JOB_TYPE_DOWNLOAD, id, &job);
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

/* Index in test_jobs of the job, or -1 if it is not one of ours. */
static int test_job_index(IBackgroundCopyJob *job)
{
    GUID id;
    int i;

    if (FAILED(IBackgroundCopyJob_GetId(job, &id))) return -1;
    for (i = 0; i < TEST_JOBS; i++)
        if (IsEqualGUID(&id, &test_ids[i])) return i;
    return -1;
}

static BOOL same_job(IBackgroundCopyJob *job1, IBackgroundCopyJob *job2)
{
    GUID id1, id2;

    if (FAILED(IBackgroundCopyJob_GetId(job1, &id1))) return FALSE;
    if (FAILED(IBackgroundCopyJob_GetId(job2, &id2))) return FALSE;
    return IsEqualGUID(&id1, &id2);
}

static IEnumBackgroundCopyJobs *enum_jobs(ULONG *count)
{
    IEnumBackgroundCopyJobs *enumerator = NULL;
    HRESULT hr;

    hr = IBackgroundCopyManager_EnumJobs(manager, 0, &enumerator);
    ok(hr == S_OK, "EnumJobs failed: %#lx.\n", hr);
    if (FAILED(hr)) return NULL;
    *count = 0xdead;
    hr = IEnumBackgroundCopyJobs_GetCount(enumerator, count);
    ok(hr == S_OK, "GetCount failed: %#lx.\n", hr);
    ok(*count >= TEST_JOBS, "got count %lu.\n", *count);
    return enumerator;
}

/* The next job, with a NULL fetched count (allowed for one element). */
static IBackgroundCopyJob *next_job(IEnumBackgroundCopyJobs *enumerator)
{
    IBackgroundCopyJob *job = NULL;
    HRESULT hr;

    hr = IEnumBackgroundCopyJobs_Next(enumerator, 1, &job, NULL);
    ok(hr == S_OK, "Next failed: %#lx.\n", hr);
    ok(job != NULL, "got NULL job.\n");
    return hr == S_OK ? job : NULL;
}

static void release_jobs(IBackgroundCopyJob **jobs, ULONG count)
{
    ULONG i;

    for (i = 0; i < count; i++)
        if (jobs[i]) IBackgroundCopyJob_Release(jobs[i]);
}

static void test_GetCount(void)
{
    IEnumBackgroundCopyJobs *enumerator;
    IBackgroundCopyJob *job;
    ULONG count, walked = 0, fetched;
    BOOL seen[TEST_JOBS] = { 0 };
    int index, i;
    HRESULT hr;

    if (!(enumerator = enum_jobs(&count))) return;

    for (;;)
    {
        job = NULL;
        fetched = 0xdead;
        hr = IEnumBackgroundCopyJobs_Next(enumerator, 1, &job, &fetched);
        if (hr != S_OK) break;
        ok(fetched == 1, "got %lu jobs.\n", fetched);
        walked++;
        if ((index = test_job_index(job)) >= 0)
        {
            ok(!seen[index], "job %d enumerated twice.\n", index);
            seen[index] = TRUE;
        }
        IBackgroundCopyJob_Release(job);
    }
    ok(hr == S_FALSE, "Next returned %#lx.\n", hr);
    ok(fetched == 0, "got %lu jobs at the end.\n", fetched);
    ok(walked == count, "walked %lu jobs, GetCount said %lu.\n", walked, count);
    for (i = 0; i < TEST_JOBS; i++) ok(seen[i], "job %d not enumerated.\n", i);

    ok(IEnumBackgroundCopyJobs_Release(enumerator) == 0, "enumerator not released.\n");
}

static void test_Next(void)
{
    IEnumBackgroundCopyJobs *enumerator;
    IBackgroundCopyJob **jobs, *job, *pair[2];
    BOOL seen[TEST_JOBS] = { 0 };
    ULONG count, fetched, i;
    int index;
    HRESULT hr;

    if (!(enumerator = enum_jobs(&count))) return;
    jobs = calloc(count + 1, sizeof(*jobs));

    /* One element without a fetched count. */
    if ((job = next_job(enumerator))) IBackgroundCopyJob_Release(job);

    /* More than one element need a fetched count. */
    hr = IEnumBackgroundCopyJobs_Reset(enumerator);
    ok(hr == S_OK, "Reset failed: %#lx.\n", hr);
    pair[0] = pair[1] = NULL;
    hr = IEnumBackgroundCopyJobs_Next(enumerator, 2, pair, NULL);
    ok(hr != S_OK, "Next(2) without a fetched count succeeded.\n");
    release_jobs(pair, 2);

    /* All at once. */
    hr = IEnumBackgroundCopyJobs_Reset(enumerator);
    ok(hr == S_OK, "Reset failed: %#lx.\n", hr);
    fetched = 0xdead;
    hr = IEnumBackgroundCopyJobs_Next(enumerator, count, jobs, &fetched);
    ok(hr == S_OK, "Next(%lu) failed: %#lx.\n", count, hr);
    ok(fetched == count, "got %lu jobs, expected %lu.\n", fetched, count);
    if (hr == S_OK)
    {
        for (i = 0; i < fetched; i++)
        {
            ok(jobs[i] != NULL, "job %lu is NULL.\n", i);
            if (jobs[i] && (index = test_job_index(jobs[i])) >= 0) seen[index] = TRUE;
        }
        for (i = 0; i < TEST_JOBS; i++) ok(seen[i], "job %lu not enumerated.\n", i);
        release_jobs(jobs, fetched);
    }

    /* At the end. */
    job = (IBackgroundCopyJob *)0xdeadbeef;
    fetched = 0xdead;
    hr = IEnumBackgroundCopyJobs_Next(enumerator, 1, &job, &fetched);
    ok(hr == S_FALSE, "Next at the end returned %#lx.\n", hr);
    ok(fetched == 0, "got %lu jobs.\n", fetched);

    /* Asking for more than what is left returns what is left. */
    hr = IEnumBackgroundCopyJobs_Reset(enumerator);
    ok(hr == S_OK, "Reset failed: %#lx.\n", hr);
    hr = IEnumBackgroundCopyJobs_Skip(enumerator, 1);
    ok(hr == S_OK, "Skip(1) failed: %#lx.\n", hr);
    memset(jobs, 0, (count + 1) * sizeof(*jobs));
    fetched = 0xdead;
    hr = IEnumBackgroundCopyJobs_Next(enumerator, count, jobs, &fetched);
    ok(hr == S_FALSE, "Next(%lu) returned %#lx.\n", count, hr);
    ok(fetched == count - 1, "got %lu jobs, expected %lu.\n", fetched, count - 1);
    if (SUCCEEDED(hr) && fetched <= count)
    {
        for (i = 0; i < fetched; i++) ok(jobs[i] != NULL, "job %lu is NULL.\n", i);
        release_jobs(jobs, fetched);
    }

    ok(IEnumBackgroundCopyJobs_Release(enumerator) == 0, "enumerator not released.\n");
    free(jobs);
}

static void test_Skip(void)
{
    IEnumBackgroundCopyJobs *enumerator;
    IBackgroundCopyJob *job, *first, *last;
    ULONG count, fetched;
    HRESULT hr;

    if (!(enumerator = enum_jobs(&count))) return;

    first = next_job(enumerator);

    /* To the last element, then past the end. */
    hr = IEnumBackgroundCopyJobs_Reset(enumerator);
    ok(hr == S_OK, "Reset failed: %#lx.\n", hr);
    hr = IEnumBackgroundCopyJobs_Skip(enumerator, count - 1);
    ok(hr == S_OK, "Skip(%lu) failed: %#lx.\n", count - 1, hr);
    last = next_job(enumerator);
    hr = IEnumBackgroundCopyJobs_Skip(enumerator, 1);
    ok(hr == S_FALSE, "Skip past the end returned %#lx.\n", hr);

    /* Skipping exactly everything succeeds; one more does not. */
    hr = IEnumBackgroundCopyJobs_Reset(enumerator);
    ok(hr == S_OK, "Reset failed: %#lx.\n", hr);
    hr = IEnumBackgroundCopyJobs_Skip(enumerator, count);
    ok(hr == S_OK, "Skip(%lu) failed: %#lx.\n", count, hr);
    hr = IEnumBackgroundCopyJobs_Skip(enumerator, 1);
    ok(hr == S_FALSE, "Skip past the end returned %#lx.\n", hr);

    /* Skipping too far leaves the enumerator at its end. */
    hr = IEnumBackgroundCopyJobs_Reset(enumerator);
    ok(hr == S_OK, "Reset failed: %#lx.\n", hr);
    hr = IEnumBackgroundCopyJobs_Skip(enumerator, count + 1);
    ok(hr == S_FALSE, "Skip(%lu) returned %#lx.\n", count + 1, hr);
    job = NULL;
    fetched = 0xdead;
    hr = IEnumBackgroundCopyJobs_Next(enumerator, 1, &job, &fetched);
    ok(hr == S_FALSE, "Next after skipping past the end returned %#lx.\n", hr);
    ok(fetched == 0, "got %lu jobs.\n", fetched);

    /* Reset goes back to the first element. */
    hr = IEnumBackgroundCopyJobs_Reset(enumerator);
    ok(hr == S_OK, "Reset failed: %#lx.\n", hr);
    job = next_job(enumerator);
    if (job && first) ok(same_job(job, first), "Reset did not go back to the first job.\n");
    if (job) IBackgroundCopyJob_Release(job);

    /* Skip(0) stays. */
    hr = IEnumBackgroundCopyJobs_Reset(enumerator);
    ok(hr == S_OK, "Reset failed: %#lx.\n", hr);
    hr = IEnumBackgroundCopyJobs_Skip(enumerator, 0);
    ok(hr == S_OK, "Skip(0) failed: %#lx.\n", hr);
    job = next_job(enumerator);
    if (job && first) ok(same_job(job, first), "Skip(0) moved the enumerator.\n");
    if (job) IBackgroundCopyJob_Release(job);

    if (first) IBackgroundCopyJob_Release(first);
    if (last) IBackgroundCopyJob_Release(last);
    ok(IEnumBackgroundCopyJobs_Release(enumerator) == 0, "enumerator not released.\n");
}

static void test_Clone(void)
{
    IEnumBackgroundCopyJobs *enumerator, *clone;
    IBackgroundCopyJob *job0, *job1, *job2, *job;
    ULONG count, clone_count;
    HRESULT hr;

    if (!(enumerator = enum_jobs(&count))) return;

    job0 = next_job(enumerator);
    job1 = next_job(enumerator);
    job2 = next_job(enumerator);

    /* A clone starts where the original is. */
    hr = IEnumBackgroundCopyJobs_Reset(enumerator);
    ok(hr == S_OK, "Reset failed: %#lx.\n", hr);
    hr = IEnumBackgroundCopyJobs_Skip(enumerator, 1);
    ok(hr == S_OK, "Skip failed: %#lx.\n", hr);
    clone = NULL;
    hr = IEnumBackgroundCopyJobs_Clone(enumerator, &clone);
    ok(hr == S_OK, "Clone failed: %#lx.\n", hr);
    if (FAILED(hr) || !clone) goto done;

    clone_count = 0xdead;
    hr = IEnumBackgroundCopyJobs_GetCount(clone, &clone_count);
    ok(hr == S_OK, "GetCount failed: %#lx.\n", hr);
    ok(clone_count == count, "got count %lu, the original has %lu.\n", clone_count, count);

    job = next_job(clone);
    if (job && job1) ok(same_job(job, job1), "the clone does not start at the original's position.\n");
    if (job) IBackgroundCopyJob_Release(job);

    /* From now on they move independently. */
    job = next_job(enumerator);
    if (job && job1) ok(same_job(job, job1), "the clone moved the original.\n");
    if (job) IBackgroundCopyJob_Release(job);

    hr = IEnumBackgroundCopyJobs_Reset(enumerator);
    ok(hr == S_OK, "Reset failed: %#lx.\n", hr);
    job = next_job(clone);
    if (job && job2) ok(same_job(job, job2), "resetting the original moved the clone.\n");
    if (job) IBackgroundCopyJob_Release(job);
    job = next_job(enumerator);
    if (job && job0) ok(same_job(job, job0), "the original did not reset.\n");
    if (job) IBackgroundCopyJob_Release(job);

    ok(IEnumBackgroundCopyJobs_Release(clone) == 0, "clone not released.\n");

done:
    if (job0) IBackgroundCopyJob_Release(job0);
    if (job1) IBackgroundCopyJob_Release(job1);
    if (job2) IBackgroundCopyJob_Release(job2);
    ok(IEnumBackgroundCopyJobs_Release(enumerator) == 0, "enumerator not released.\n");
}

/* Jobs obtained through the enumerator are live views of the jobs. */
static void test_live_jobs(void)
{
    IEnumBackgroundCopyJobs *enumerator;
    IBackgroundCopyJob *job;
    ULONG count, fetched;
    WCHAR *str;
    HRESULT hr;

    if (!(enumerator = enum_jobs(&count))) return;

    hr = IBackgroundCopyJob_SetDescription(test_jobs[0], L"changed after EnumJobs");
    ok(hr == S_OK, "SetDescription failed: %#lx.\n", hr);

    for (;;)
    {
        job = NULL;
        hr = IEnumBackgroundCopyJobs_Next(enumerator, 1, &job, &fetched);
        if (hr != S_OK) break;
        if (test_job_index(job) == 0)
        {
            str = NULL;
            hr = IBackgroundCopyJob_GetDescription(job, &str);
            ok(hr == S_OK, "GetDescription failed: %#lx.\n", hr);
            ok(str && !wcscmp(str, L"changed after EnumJobs"), "got description %s.\n", wine_dbgstr_w(str));
            CoTaskMemFree(str);
        }
        IBackgroundCopyJob_Release(job);
    }

    ok(IEnumBackgroundCopyJobs_Release(enumerator) == 0, "enumerator not released.\n");
}

START_TEST(enum_jobs)
{
    HRESULT hr;
    int i;

    CoInitialize(NULL);

    hr = CoCreateInstance(&CLSID_BackgroundCopyManager, NULL, CLSCTX_LOCAL_SERVER,
                          &IID_IBackgroundCopyManager, (void **)&manager);
    if (FAILED(hr))
    {
        win_skip("cannot create the BITS manager: %#lx.\n", hr);
        CoUninitialize();
        return;
    }

    for (i = 0; i < TEST_JOBS; i++)
        if (!(test_jobs[i] = create_job(&test_ids[i]))) break;

    if (i == TEST_JOBS)
    {
        test_GetCount();
        test_Next();
        test_Skip();
        test_Clone();
        test_live_jobs();
    }

    for (i = 0; i < TEST_JOBS; i++) cancel_and_release(test_jobs[i]);
    IBackgroundCopyManager_Release(manager);
    CoUninitialize();
}
