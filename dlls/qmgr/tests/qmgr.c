/*
 * Conformance tests of the BITS manager object (IBackgroundCopyManager)
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
#include "winver.h"
#include "objbase.h"

/* This file, and only this one, defines the BITS IIDs and CLSIDs. */
#include "initguid.h"
#include "bits10_3.h"

#include "wine/test.h"

static const struct
{
    const CLSID *clsid;
    const char *name;
}
manager_classes[] =
{
    { &CLSID_BackgroundCopyManager,     "1.0" },
    { &CLSID_BackgroundCopyManager1_5,  "1.5" },
    { &CLSID_BackgroundCopyManager2_0,  "2.0" },
    { &CLSID_BackgroundCopyManager2_5,  "2.5" },
    { &CLSID_BackgroundCopyManager3_0,  "3.0" },
    { &CLSID_BackgroundCopyManager4_0,  "4.0" },
    { &CLSID_BackgroundCopyManager5_0,  "5.0" },
    { &CLSID_BackgroundCopyManager10_1, "10.1" },
    { &CLSID_BackgroundCopyManager10_2, "10.2" },
    { &CLSID_BackgroundCopyManager10_3, "10.3" },
};

static IBackgroundCopyManager *manager;

/* A display name no other run (parallel or earlier) uses. */
static void make_name(WCHAR *buf, size_t len, const WCHAR *tag)
{
    static LONG counter;

    swprintf(buf, len, L"qmgr_test %ls %lu-%lu-%ld", tag, GetCurrentProcessId(),
             GetTickCount(), InterlockedIncrement(&counter));
}

static IBackgroundCopyJob *create_job(IBackgroundCopyManager *mgr, BG_JOB_TYPE type, GUID *id)
{
    IBackgroundCopyJob *job = NULL;
    WCHAR name[128];
    HRESULT hr;

    make_name(name, ARRAY_SIZE(name), L"qmgr");
    hr = IBackgroundCopyManager_CreateJob(mgr, name, type, id, &job);
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

/* Walks the whole enumerator from the start; returns whether a job with
 * this id is in it, and the number of jobs walked in *walked. */
static BOOL enum_contains(IEnumBackgroundCopyJobs *enum_jobs, const GUID *id, ULONG *walked)
{
    IBackgroundCopyJob *job;
    BOOL found = FALSE;
    ULONG fetched, count = 0;
    GUID job_id;
    HRESULT hr;

    hr = IEnumBackgroundCopyJobs_Reset(enum_jobs);
    ok(hr == S_OK, "Reset failed: %#lx.\n", hr);
    for (;;)
    {
        job = NULL;
        fetched = 0xdead;
        hr = IEnumBackgroundCopyJobs_Next(enum_jobs, 1, &job, &fetched);
        if (hr != S_OK)
        {
            ok(hr == S_FALSE, "Next failed: %#lx.\n", hr);
            ok(!fetched, "got %lu jobs at the end.\n", fetched);
            break;
        }
        ok(fetched == 1, "got %lu jobs.\n", fetched);
        ok(job != NULL, "got NULL job.\n");
        if (!job) break;
        count++;
        hr = IBackgroundCopyJob_GetId(job, &job_id);
        ok(hr == S_OK, "GetId failed: %#lx.\n", hr);
        if (hr == S_OK && IsEqualGUID(&job_id, id)) found = TRUE;
        IBackgroundCopyJob_Release(job);
    }
    if (walked) *walked = count;
    return found;
}

static void test_manager_classes(void)
{
    IBackgroundCopyManager *mgr;
    IUnknown *unk, *unk2;
    void *obj;
    unsigned int i;
    HRESULT hr;

    for (i = 0; i < ARRAY_SIZE(manager_classes); i++)
    {
        winetest_push_context("BITS %s", manager_classes[i].name);

        mgr = NULL;
        hr = CoCreateInstance(manager_classes[i].clsid, NULL, CLSCTX_LOCAL_SERVER,
                              &IID_IBackgroundCopyManager, (void **)&mgr);
        if (hr == REGDB_E_CLASSNOTREG)
        {
            /* Older Windows does not register the newer version classes. */
            win_skip("class not registered.\n");
            winetest_pop_context();
            continue;
        }
        ok(hr == S_OK, "CoCreateInstance failed: %#lx.\n", hr);
        if (FAILED(hr))
        {
            winetest_pop_context();
            continue;
        }
        ok(mgr != NULL, "got NULL manager.\n");

        unk = NULL;
        hr = IBackgroundCopyManager_QueryInterface(mgr, &IID_IUnknown, (void **)&unk);
        ok(hr == S_OK, "QueryInterface(IUnknown) failed: %#lx.\n", hr);
        ok(unk != NULL, "got NULL IUnknown.\n");

        /* The class can also be created for IUnknown directly. */
        unk2 = NULL;
        hr = CoCreateInstance(manager_classes[i].clsid, NULL, CLSCTX_LOCAL_SERVER,
                              &IID_IUnknown, (void **)&unk2);
        ok(hr == S_OK, "CoCreateInstance(IUnknown) failed: %#lx.\n", hr);
        if (unk2)
        {
            hr = IUnknown_QueryInterface(unk2, &IID_IBackgroundCopyManager, &obj);
            ok(hr == S_OK, "QueryInterface(IBackgroundCopyManager) failed: %#lx.\n", hr);
            if (hr == S_OK) IUnknown_Release((IUnknown *)obj);
            IUnknown_Release(unk2);
        }
        if (unk) IUnknown_Release(unk);

        obj = (void *)0xdeadbeef;
        hr = IBackgroundCopyManager_QueryInterface(mgr, &IID_IBackgroundCopyJob, &obj);
        ok(hr == E_NOINTERFACE, "QueryInterface(IBackgroundCopyJob) returned %#lx.\n", hr);
        ok(!obj, "got %p.\n", obj);
        if (hr == S_OK && obj) IUnknown_Release((IUnknown *)obj);

        obj = (void *)0xdeadbeef;
        hr = IBackgroundCopyManager_QueryInterface(mgr, &IID_IBackgroundCopyFile, &obj);
        ok(hr == E_NOINTERFACE, "QueryInterface(IBackgroundCopyFile) returned %#lx.\n", hr);
        ok(!obj, "got %p.\n", obj);
        if (hr == S_OK && obj) IUnknown_Release((IUnknown *)obj);

        IBackgroundCopyManager_Release(mgr);
        winetest_pop_context();
    }
}

static void test_CreateJob(void)
{
    static const BG_JOB_TYPE types[] = { BG_JOB_TYPE_DOWNLOAD, BG_JOB_TYPE_UPLOAD, BG_JOB_TYPE_UPLOAD_REPLY };
    IBackgroundCopyJob *job, *job2;
    WCHAR name[300], *str;
    BG_JOB_TYPE type;
    GUID id, id2, job_id;
    unsigned int i;
    HRESULT hr;

    /* A new job and its identifier. */
    make_name(name, ARRAY_SIZE(name), L"create");
    job = NULL;
    memset(&id, 0, sizeof(id));
    hr = IBackgroundCopyManager_CreateJob(manager, name, BG_JOB_TYPE_DOWNLOAD, &id, &job);
    ok(hr == S_OK, "CreateJob failed: %#lx.\n", hr);
    if (FAILED(hr)) return;
    ok(job != NULL, "got NULL job.\n");
    ok(!IsEqualGUID(&id, &GUID_NULL), "got a null job id.\n");
    hr = IBackgroundCopyJob_GetId(job, &job_id);
    ok(hr == S_OK, "GetId failed: %#lx.\n", hr);
    ok(IsEqualGUID(&id, &job_id), "GetId returned %s, CreateJob %s.\n",
       wine_dbgstr_guid(&job_id), wine_dbgstr_guid(&id));
    str = NULL;
    hr = IBackgroundCopyJob_GetDisplayName(job, &str);
    ok(hr == S_OK, "GetDisplayName failed: %#lx.\n", hr);
    ok(str && !wcscmp(str, name), "got display name %s.\n", wine_dbgstr_w(str));
    CoTaskMemFree(str);

    /* Display names need not be unique; identifiers are. */
    job2 = NULL;
    hr = IBackgroundCopyManager_CreateJob(manager, name, BG_JOB_TYPE_DOWNLOAD, &id2, &job2);
    ok(hr == S_OK, "CreateJob with the same name failed: %#lx.\n", hr);
    if (SUCCEEDED(hr))
    {
        ok(!IsEqualGUID(&id, &id2), "two jobs got the same id %s.\n", wine_dbgstr_guid(&id));
        cancel_and_release(job2);
    }
    cancel_and_release(job);

    /* A NULL display name is refused.  DisplayName is a [ref] string in the
     * IDL, so the proxy rejects it before the call reaches the service; a
     * service reached directly answers E_INVALIDARG. */
    job = NULL;
    hr = IBackgroundCopyManager_CreateJob(manager, NULL, BG_JOB_TYPE_DOWNLOAD, &id, &job);
    ok(hr == HRESULT_FROM_WIN32(RPC_X_NULL_REF_POINTER) || hr == E_INVALIDARG,
       "CreateJob(NULL name) returned %#lx.\n", hr);
    if (SUCCEEDED(hr)) cancel_and_release(job);

    /* The display name may be up to 256 characters long. */
    make_name(name, ARRAY_SIZE(name), L"long");
    for (i = wcslen(name); i < 256; i++) name[i] = 'a' + i % 26;
    name[256] = 0;
    job = NULL;
    hr = IBackgroundCopyManager_CreateJob(manager, name, BG_JOB_TYPE_DOWNLOAD, &id, &job);
    ok(hr == S_OK, "CreateJob(256 chars) failed: %#lx.\n", hr);
    if (SUCCEEDED(hr))
    {
        str = NULL;
        hr = IBackgroundCopyJob_GetDisplayName(job, &str);
        ok(hr == S_OK, "GetDisplayName failed: %#lx.\n", hr);
        ok(str && !wcscmp(str, name), "got display name %s.\n", wine_dbgstr_w(str));
        CoTaskMemFree(str);
        cancel_and_release(job);
    }

    name[256] = 'x';
    name[257] = 0;
    job = NULL;
    hr = IBackgroundCopyManager_CreateJob(manager, name, BG_JOB_TYPE_DOWNLOAD, &id, &job);
    ok(hr == E_INVALIDARG, "CreateJob(257 chars) returned %#lx.\n", hr);
    if (SUCCEEDED(hr)) cancel_and_release(job);

    /* An invalid job type. */
    make_name(name, ARRAY_SIZE(name), L"badtype");
    job = NULL;
    hr = IBackgroundCopyManager_CreateJob(manager, name, BG_JOB_TYPE_UPLOAD_REPLY + 1, &id, &job);
    ok(hr == E_INVALIDARG, "CreateJob(type 3) returned %#lx.\n", hr);
    if (SUCCEEDED(hr)) cancel_and_release(job);

    /* Every job type. */
    for (i = 0; i < ARRAY_SIZE(types); i++)
    {
        winetest_push_context("type %u", types[i]);
        job = create_job(manager, types[i], &id);
        if (job)
        {
            type = 0xdead;
            hr = IBackgroundCopyJob_GetType(job, &type);
            ok(hr == S_OK, "GetType failed: %#lx.\n", hr);
            ok(type == types[i], "got type %u.\n", type);
            cancel_and_release(job);
        }
        winetest_pop_context();
    }
}

static void test_GetJob(void)
{
    IBackgroundCopyJob *job, *job2;
    GUID id, job_id, random_id;
    BG_JOB_STATE state;
    HRESULT hr;

    job = create_job(manager, BG_JOB_TYPE_DOWNLOAD, &id);
    if (!job) return;

    job2 = NULL;
    hr = IBackgroundCopyManager_GetJob(manager, &id, &job2);
    ok(hr == S_OK, "GetJob failed: %#lx.\n", hr);
    ok(job2 != NULL, "got NULL job.\n");
    if (job2)
    {
        hr = IBackgroundCopyJob_GetId(job2, &job_id);
        ok(hr == S_OK, "GetId failed: %#lx.\n", hr);
        ok(IsEqualGUID(&id, &job_id), "got id %s, expected %s.\n",
           wine_dbgstr_guid(&job_id), wine_dbgstr_guid(&id));
        hr = IBackgroundCopyJob_GetState(job2, &state);
        ok(hr == S_OK, "GetState failed: %#lx.\n", hr);
        ok(state == BG_JOB_STATE_SUSPENDED, "got state %u.\n", state);
        IBackgroundCopyJob_Release(job2);
    }

    /* An identifier of no job. */
    hr = CoCreateGuid(&random_id);
    ok(hr == S_OK, "CoCreateGuid failed: %#lx.\n", hr);
    job2 = NULL;
    hr = IBackgroundCopyManager_GetJob(manager, &random_id, &job2);
    ok(hr == BG_E_NOT_FOUND, "GetJob(random id) returned %#lx.\n", hr);
    if (SUCCEEDED(hr) && job2) IBackgroundCopyJob_Release(job2);

    /* A cancelled job is gone. */
    hr = IBackgroundCopyJob_Cancel(job);
    ok(hr == S_OK, "Cancel failed: %#lx.\n", hr);
    job2 = NULL;
    hr = IBackgroundCopyManager_GetJob(manager, &id, &job2);
    ok(hr == BG_E_NOT_FOUND, "GetJob(cancelled job) returned %#lx.\n", hr);
    if (SUCCEEDED(hr) && job2) IBackgroundCopyJob_Release(job2);
    IBackgroundCopyJob_Release(job);
}

static void test_EnumJobs(void)
{
    IEnumBackgroundCopyJobs *enum_before, *enum_after, *enum_cancelled;
    IBackgroundCopyJob *job, *job2;
    ULONG count, count2, walked;
    GUID id, id2;
    HRESULT hr;

    job = create_job(manager, BG_JOB_TYPE_DOWNLOAD, &id);
    if (!job) return;

    enum_before = NULL;
    hr = IBackgroundCopyManager_EnumJobs(manager, 0, &enum_before);
    ok(hr == S_OK, "EnumJobs failed: %#lx.\n", hr);
    if (FAILED(hr))
    {
        cancel_and_release(job);
        return;
    }
    count = 0;
    hr = IEnumBackgroundCopyJobs_GetCount(enum_before, &count);
    ok(hr == S_OK, "GetCount failed: %#lx.\n", hr);
    ok(count >= 1, "got count %lu.\n", count);
    ok(enum_contains(enum_before, &id, &walked), "the new job is not enumerated.\n");
    ok(walked == count, "walked %lu jobs, GetCount said %lu.\n", walked, count);

    /* The enumerator is a snapshot: a job created afterwards is not in it. */
    job2 = create_job(manager, BG_JOB_TYPE_DOWNLOAD, &id2);
    if (job2)
    {
        count2 = 0;
        hr = IEnumBackgroundCopyJobs_GetCount(enum_before, &count2);
        ok(hr == S_OK, "GetCount failed: %#lx.\n", hr);
        ok(count2 == count, "count changed from %lu to %lu.\n", count, count2);
        ok(!enum_contains(enum_before, &id2, &walked), "a later job is in the snapshot.\n");
        ok(walked == count, "walked %lu jobs, GetCount said %lu.\n", walked, count);

        enum_after = NULL;
        hr = IBackgroundCopyManager_EnumJobs(manager, 0, &enum_after);
        ok(hr == S_OK, "EnumJobs failed: %#lx.\n", hr);
        if (enum_after)
        {
            ok(enum_contains(enum_after, &id, NULL), "the first job is not enumerated.\n");
            ok(enum_contains(enum_after, &id2, NULL), "the second job is not enumerated.\n");
            IEnumBackgroundCopyJobs_Release(enum_after);
        }
    }
    IEnumBackgroundCopyJobs_Release(enum_before);

    /* A cancelled job is not enumerated. */
    hr = IBackgroundCopyJob_Cancel(job);
    ok(hr == S_OK, "Cancel failed: %#lx.\n", hr);
    enum_cancelled = NULL;
    hr = IBackgroundCopyManager_EnumJobs(manager, 0, &enum_cancelled);
    ok(hr == S_OK, "EnumJobs failed: %#lx.\n", hr);
    if (enum_cancelled)
    {
        ok(!enum_contains(enum_cancelled, &id, NULL), "a cancelled job is enumerated.\n");
        if (job2) ok(enum_contains(enum_cancelled, &id2, NULL), "the second job is not enumerated.\n");
        IEnumBackgroundCopyJobs_Release(enum_cancelled);
    }
    IBackgroundCopyJob_Release(job);
    cancel_and_release(job2);
}

/* The job queue is one: what one manager object creates, another sees. */
static void test_managers_share_jobs(void)
{
    IBackgroundCopyManager *mgr_old = NULL, *mgr_new = NULL;
    IEnumBackgroundCopyJobs *enum_jobs;
    IBackgroundCopyJob *job, *job2;
    GUID id, job_id;
    HRESULT hr;

    hr = CoCreateInstance(&CLSID_BackgroundCopyManager, NULL, CLSCTX_LOCAL_SERVER,
                          &IID_IBackgroundCopyManager, (void **)&mgr_old);
    ok(hr == S_OK, "CoCreateInstance(1.0) failed: %#lx.\n", hr);
    if (FAILED(hr)) return;
    hr = CoCreateInstance(&CLSID_BackgroundCopyManager10_3, NULL, CLSCTX_LOCAL_SERVER,
                          &IID_IBackgroundCopyManager, (void **)&mgr_new);
    if (hr == REGDB_E_CLASSNOTREG)
    {
        win_skip("BITS 10.3 is not available.\n");
        hr = CoCreateInstance(&CLSID_BackgroundCopyManager2_0, NULL, CLSCTX_LOCAL_SERVER,
                              &IID_IBackgroundCopyManager, (void **)&mgr_new);
    }
    ok(hr == S_OK, "CoCreateInstance(newer) failed: %#lx.\n", hr);
    if (FAILED(hr))
    {
        IBackgroundCopyManager_Release(mgr_old);
        return;
    }

    job = create_job(mgr_old, BG_JOB_TYPE_DOWNLOAD, &id);
    if (job)
    {
        job2 = NULL;
        hr = IBackgroundCopyManager_GetJob(mgr_new, &id, &job2);
        ok(hr == S_OK, "GetJob through the other manager failed: %#lx.\n", hr);
        if (job2)
        {
            hr = IBackgroundCopyJob_GetId(job2, &job_id);
            ok(hr == S_OK, "GetId failed: %#lx.\n", hr);
            ok(IsEqualGUID(&id, &job_id), "got id %s.\n", wine_dbgstr_guid(&job_id));
            IBackgroundCopyJob_Release(job2);
        }

        enum_jobs = NULL;
        hr = IBackgroundCopyManager_EnumJobs(mgr_new, 0, &enum_jobs);
        ok(hr == S_OK, "EnumJobs failed: %#lx.\n", hr);
        if (enum_jobs)
        {
            ok(enum_contains(enum_jobs, &id, NULL), "job not enumerated by the other manager.\n");
            IEnumBackgroundCopyJobs_Release(enum_jobs);
        }

        /* Cancelling through the other manager's view removes it for both. */
        job2 = NULL;
        hr = IBackgroundCopyManager_GetJob(mgr_new, &id, &job2);
        ok(hr == S_OK, "GetJob failed: %#lx.\n", hr);
        if (job2)
        {
            hr = IBackgroundCopyJob_Cancel(job2);
            ok(hr == S_OK, "Cancel failed: %#lx.\n", hr);
            IBackgroundCopyJob_Release(job2);
            hr = IBackgroundCopyJob_Cancel(job);
            ok(hr == BG_E_INVALID_STATE, "second Cancel returned %#lx.\n", hr);
            job2 = NULL;
            hr = IBackgroundCopyManager_GetJob(mgr_old, &id, &job2);
            ok(hr == BG_E_NOT_FOUND, "GetJob(cancelled) returned %#lx.\n", hr);
            if (SUCCEEDED(hr) && job2) IBackgroundCopyJob_Release(job2);
            IBackgroundCopyJob_Release(job);
        }
        else cancel_and_release(job);
    }

    IBackgroundCopyManager_Release(mgr_new);
    IBackgroundCopyManager_Release(mgr_old);
}

static void test_GetErrorDescription(void)
{
    static const HRESULT codes[] =
    {
        0x80070002, /* ERROR_FILE_NOT_FOUND */
        0x80070005, /* ERROR_ACCESS_DENIED */
        0x80070070, /* ERROR_DISK_FULL */
        0x80072efd, /* ERROR_WINHTTP_CANNOT_CONNECT */
        0x80072ee7, /* ERROR_WINHTTP_NAME_NOT_RESOLVED */
        0x80072ee2, /* ERROR_WINHTTP_TIMEOUT */
        0x80072f0c, /* ERROR_WINHTTP_CLIENT_AUTH_CERT_NEEDED */
        0x80072f78, /* ERROR_WINHTTP_INVALID_SERVER_RESPONSE */
        0x80072f8f, /* ERROR_WINHTTP_SECURE_FAILURE */
        0x80190194, /* HTTP 404 */
        BG_S_ERROR_CONTEXT_NONE, BG_E_ERROR_CONTEXT_UNKNOWN, BG_E_ERROR_CONTEXT_REMOTE_FILE,
        BG_E_ERROR_CONTEXT_REMOTE_APPLICATION, BG_E_ERROR_CONTEXT_SERVER_CERTIFICATE_CALLBACK,
        0x80194000, /* BITS_MC_JOB_CANCELLED */
        0x80194005, /* BITS_MC_JOB_SCAVENGED */
    };
    unsigned int i;
    WCHAR *desc;
    HRESULT hr;

    desc = NULL;
    hr = IBackgroundCopyManager_GetErrorDescription(manager, BG_E_NOT_FOUND,
                                                    LANGIDFROMLCID(GetThreadLocale()), &desc);
    ok(hr == S_OK, "GetErrorDescription failed: %#lx.\n", hr);
    ok(desc && desc[0], "got description %s.\n", wine_dbgstr_w(desc));
    if (desc) trace("BG_E_NOT_FOUND: %s\n", wine_dbgstr_w(desc));
    CoTaskMemFree(desc);

    desc = NULL;
    hr = IBackgroundCopyManager_GetErrorDescription(manager, BG_E_EMPTY,
                                                    LANGIDFROMLCID(GetThreadLocale()), &desc);
    ok(hr == S_OK, "GetErrorDescription failed: %#lx.\n", hr);
    ok(desc && desc[0], "got description %s.\n", wine_dbgstr_w(desc));
    CoTaskMemFree(desc);

    /* Codes from outside BITS that jobs report, and BITS's own message ids:
     * each has a text (interfaces.md 3: converted Win32 and HTTP codes work). */
    for (i = 0; i < ARRAY_SIZE(codes); i++)
    {
        desc = NULL;
        hr = IBackgroundCopyManager_GetErrorDescription(manager, codes[i], MAKELANGID(LANG_ENGLISH, SUBLANG_DEFAULT),
                                                        &desc);
        ok(hr == S_OK, "GetErrorDescription(%#lx) failed: %#lx.\n", codes[i], hr);
        ok(desc && desc[0], "%#lx: got description %s.\n", codes[i], wine_dbgstr_w(desc));
        /* The event-log ids share the facility of HTTP statuses; they are none. */
        if (desc && (codes[i] & 0xffff) >= 1000)
            ok(!wcsstr(desc, L"HTTP status"), "%#lx: got description %s.\n", codes[i], wine_dbgstr_w(desc));
        CoTaskMemFree(desc);
    }

    /* A language with no text: a primary language of the user-defined range. */
    desc = (WCHAR *)0xdeadbeef;
    hr = IBackgroundCopyManager_GetErrorDescription(manager, BG_E_EMPTY, MAKELANGID(0x3ff, SUBLANG_DEFAULT), &desc);
    ok(hr == HRESULT_FROM_WIN32(ERROR_RESOURCE_LANG_NOT_FOUND), "GetErrorDescription returned %#lx.\n", hr);
    if (SUCCEEDED(hr)) CoTaskMemFree(desc);
}

/* Peer caching is gone since BITS 4.0: its administration interface is
 * still the manager's, and every method answers S_FALSE (interfaces.md 11). */
static void test_peer_cache(void)
{
    IBitsPeerCacheAdministration *admin;
    IEnumBitsPeerCacheRecords *records;
    IUnknown *unk1, *unk2;
    IEnumBitsPeers *peers;
    DWORD value;
    HRESULT hr;

    hr = IBackgroundCopyManager_QueryInterface(manager, &IID_IBitsPeerCacheAdministration, (void **)&admin);
    if (hr == E_NOINTERFACE)
    {
        win_skip("IBitsPeerCacheAdministration is not supported.\n");
        return;
    }
    ok(hr == S_OK, "QueryInterface(IBitsPeerCacheAdministration) failed: %#lx.\n", hr);
    if (FAILED(hr)) return;

    /* One object with the manager. */
    IBackgroundCopyManager_QueryInterface(manager, &IID_IUnknown, (void **)&unk1);
    IBitsPeerCacheAdministration_QueryInterface(admin, &IID_IUnknown, (void **)&unk2);
    ok(unk1 == unk2, "the interface is another object's.\n");
    IUnknown_Release(unk1);
    IUnknown_Release(unk2);

    value = 0xdead;
    hr = IBitsPeerCacheAdministration_GetMaximumCacheSize(admin, &value);
    ok(hr == S_FALSE, "GetMaximumCacheSize returned %#lx.\n", hr);
    hr = IBitsPeerCacheAdministration_SetMaximumContentAge(admin, 86400);
    ok(hr == S_FALSE, "SetMaximumContentAge returned %#lx.\n", hr);
    hr = IBitsPeerCacheAdministration_GetConfigurationFlags(admin, &value);
    ok(hr == S_FALSE, "GetConfigurationFlags returned %#lx.\n", hr);
    records = (IEnumBitsPeerCacheRecords *)0xdeadbeef;
    hr = IBitsPeerCacheAdministration_EnumRecords(admin, &records);
    ok(hr == S_FALSE, "EnumRecords returned %#lx.\n", hr);
    if (hr == S_OK && records) IEnumBitsPeerCacheRecords_Release(records);
    peers = (IEnumBitsPeers *)0xdeadbeef;
    hr = IBitsPeerCacheAdministration_EnumPeers(admin, &peers);
    ok(hr == S_FALSE, "EnumPeers returned %#lx.\n", hr);
    if (hr == S_OK && peers) IEnumBitsPeers_Release(peers);
    hr = IBitsPeerCacheAdministration_ClearRecords(admin);
    ok(hr == S_FALSE, "ClearRecords returned %#lx.\n", hr);
    hr = IBitsPeerCacheAdministration_DeleteUrl(admin, L"http://127.0.0.1:1/x.bin");
    ok(hr == S_FALSE, "DeleteUrl returned %#lx.\n", hr);
    hr = IBitsPeerCacheAdministration_DiscoverPeers(admin);
    ok(hr == S_FALSE, "DiscoverPeers returned %#lx.\n", hr);
    IBitsPeerCacheAdministration_Release(admin);
}

/* Clients tell the BITS version by qmgr.dll's file version ("Determining the
 * version of BITS on a computer"): 7.8 for BITS 10.x, which serves the 10.3
 * manager class. */
static void test_file_version(void)
{
    WCHAR path[MAX_PATH];
    VS_FIXEDFILEINFO *info;
    DWORD size, handle;
    UINT info_size;
    void *data;

    GetSystemDirectoryW(path, MAX_PATH - 16);
    wcscat(path, L"\\qmgr.dll");
    size = GetFileVersionInfoSizeW(path, &handle);
    ok(size != 0, "no version information in %s: %lu.\n", wine_dbgstr_w(path), GetLastError());
    if (!size || !(data = malloc(size))) return;
    ok(GetFileVersionInfoW(path, 0, size, data), "GetFileVersionInfo failed: %lu.\n", GetLastError());
    if (VerQueryValueW(data, L"\\", (void **)&info, &info_size) && info_size >= sizeof(*info))
    {
        trace("qmgr.dll %u.%u.%u.%u\n", HIWORD(info->dwFileVersionMS), LOWORD(info->dwFileVersionMS),
              HIWORD(info->dwFileVersionLS), LOWORD(info->dwFileVersionLS));
        ok(info->dwFileVersionMS == MAKELONG(8, 7), "file version %u.%u.\n", HIWORD(info->dwFileVersionMS),
           LOWORD(info->dwFileVersionMS));
        ok(info->dwFileType == VFT_DLL, "file type %lu.\n", info->dwFileType);
    }
    else ok(0, "no fixed file information.\n");
    free(data);
}

START_TEST(qmgr)
{
    HRESULT hr;

    CoInitialize(NULL);

    hr = CoCreateInstance(&CLSID_BackgroundCopyManager, NULL, CLSCTX_LOCAL_SERVER,
                          &IID_IBackgroundCopyManager, (void **)&manager);
    if (FAILED(hr))
    {
        win_skip("cannot create the BITS manager: %#lx.\n", hr);
        CoUninitialize();
        return;
    }

    test_manager_classes();
    test_CreateJob();
    test_GetJob();
    test_EnumJobs();
    test_managers_share_jobs();
    test_GetErrorDescription();
    test_peer_cache();
    test_file_version();

    IBackgroundCopyManager_Release(manager);
    CoUninitialize();
}
