/*
 * Conformance tests of BITS files (IBackgroundCopyFile .. IBackgroundCopyFile6)
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

/* Nothing listens on port 1, and the jobs are never resumed. */
static const WCHAR remote1[] = L"http://127.0.0.1:1/file1.bin";
static const WCHAR remote2[] = L"http://127.0.0.1:1/dir/file2.bin?query=1";

static IBackgroundCopyManager *manager;
static WCHAR temp_dir[MAX_PATH];

/* The job of most tests: a download job with two files, never resumed. */
static IBackgroundCopyJob *test_job;
static WCHAR local1[MAX_PATH], local2[MAX_PATH];

static void make_name(WCHAR *buf, size_t len, const WCHAR *tag)
{
    static LONG counter;

    swprintf(buf, len, L"qmgr_test %ls %lu-%lu-%ld", tag, GetCurrentProcessId(),
             GetTickCount(), InterlockedIncrement(&counter));
}

static void make_local_name(WCHAR *buf, size_t len, const WCHAR *tag)
{
    static LONG counter;

    swprintf(buf, len, L"%lsqmgr_file_%ls_%lu_%ld.bin", temp_dir, tag, GetCurrentProcessId(),
             InterlockedIncrement(&counter));
}

static IBackgroundCopyJob *create_job(BG_JOB_TYPE type, GUID *id)
{
    IBackgroundCopyJob *job = NULL;
    WCHAR name[128];
    GUID dummy;
    HRESULT hr;

    make_name(name, ARRAY_SIZE(name), L"file");
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

/* The file at this position of a new enumerator of the job's files. */
static IBackgroundCopyFile *get_file(IBackgroundCopyJob *job, ULONG index)
{
    IEnumBackgroundCopyFiles *enum_files = NULL;
    IBackgroundCopyFile *file = NULL;
    ULONG fetched = 0;
    HRESULT hr;

    hr = IBackgroundCopyJob_EnumFiles(job, &enum_files);
    ok(hr == S_OK, "EnumFiles failed: %#lx.\n", hr);
    if (FAILED(hr)) return NULL;
    if (index)
    {
        hr = IEnumBackgroundCopyFiles_Skip(enum_files, index);
        ok(hr == S_OK, "Skip(%lu) failed: %#lx.\n", index, hr);
    }
    hr = IEnumBackgroundCopyFiles_Next(enum_files, 1, &file, &fetched);
    ok(hr == S_OK, "Next failed: %#lx.\n", hr);
    ok(fetched == 1, "got %lu files.\n", fetched);
    IEnumBackgroundCopyFiles_Release(enum_files);
    return hr == S_OK ? file : NULL;
}

#define check_remote_name(a, b) check_remote_name_(__LINE__, a, b)
static void check_remote_name_(int line, IBackgroundCopyFile *file, const WCHAR *expected)
{
    WCHAR *str = NULL;
    HRESULT hr;

    hr = IBackgroundCopyFile_GetRemoteName(file, &str);
    ok_(__FILE__, line)(hr == S_OK, "GetRemoteName failed: %#lx.\n", hr);
    ok_(__FILE__, line)(str && !wcscmp(str, expected), "got remote name %s, expected %s.\n",
                        wine_dbgstr_w(str), wine_dbgstr_w(expected));
    CoTaskMemFree(str);
}

#define check_local_name(a, b) check_local_name_(__LINE__, a, b)
static void check_local_name_(int line, IBackgroundCopyFile *file, const WCHAR *expected)
{
    WCHAR *str = NULL;
    HRESULT hr;

    hr = IBackgroundCopyFile_GetLocalName(file, &str);
    ok_(__FILE__, line)(hr == S_OK, "GetLocalName failed: %#lx.\n", hr);
    ok_(__FILE__, line)(str && !wcscmp(str, expected), "got local name %s, expected %s.\n",
                        wine_dbgstr_w(str), wine_dbgstr_w(expected));
    CoTaskMemFree(str);
}

static BOOL setup_test_job(void)
{
    HRESULT hr;

    test_job = create_job(BG_JOB_TYPE_DOWNLOAD, NULL);
    if (!test_job) return FALSE;
    make_local_name(local1, ARRAY_SIZE(local1), L"one");
    make_local_name(local2, ARRAY_SIZE(local2), L"two");
    hr = IBackgroundCopyJob_AddFile(test_job, remote1, local1);
    ok(hr == S_OK, "AddFile failed: %#lx.\n", hr);
    if (FAILED(hr)) goto fail;
    hr = IBackgroundCopyJob_AddFile(test_job, remote2, local2);
    ok(hr == S_OK, "AddFile failed: %#lx.\n", hr);
    if (FAILED(hr)) goto fail;
    return TRUE;

fail:
    cancel_and_release(test_job);
    test_job = NULL;
    return FALSE;
}

static const struct
{
    const IID *iid;
    const char *name;
    BOOL optional; /* absent from older Windows versions */
}
file_interfaces[] =
{
    { &IID_IUnknown,             "IUnknown" },
    { &IID_IBackgroundCopyFile,  "IBackgroundCopyFile" },
    { &IID_IBackgroundCopyFile2, "IBackgroundCopyFile2" },
    { &IID_IBackgroundCopyFile3, "IBackgroundCopyFile3" },
    { &IID_IBackgroundCopyFile4, "IBackgroundCopyFile4", TRUE }, /* Windows 7 */
    { &IID_IBackgroundCopyFile5, "IBackgroundCopyFile5", TRUE }, /* Windows 8 */
    { &IID_IBackgroundCopyFile6, "IBackgroundCopyFile6", TRUE }, /* Windows 10 1703 */
};

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
    IBackgroundCopyFile *file;
    IUnknown *unk_file, *unk, *obj;
    void *ptr;
    unsigned int i;
    HRESULT hr;

    if (!(file = get_file(test_job, 0))) return;

    unk_file = NULL;
    hr = IBackgroundCopyFile_QueryInterface(file, &IID_IUnknown, (void **)&unk_file);
    ok(hr == S_OK, "QueryInterface(IUnknown) failed: %#lx.\n", hr);

    for (i = 0; i < ARRAY_SIZE(file_interfaces); i++)
    {
        winetest_push_context("%s", file_interfaces[i].name);
        obj = NULL;
        hr = IBackgroundCopyFile_QueryInterface(file, file_interfaces[i].iid, (void **)&obj);
        if (hr == E_NOINTERFACE && file_interfaces[i].optional)
        {
            win_skip("not supported.\n");
            winetest_pop_context();
            continue;
        }
        ok(hr == S_OK, "QueryInterface failed: %#lx.\n", hr);
        ok(obj != NULL, "got NULL.\n");
        if (obj)
        {
            unk = NULL;
            hr = IUnknown_QueryInterface(obj, &IID_IUnknown, (void **)&unk);
            ok(hr == S_OK, "QueryInterface(IUnknown) failed: %#lx.\n", hr);
            ok(unk == unk_file, "got IUnknown %p, the file's is %p.\n", unk, unk_file);
            if (unk) IUnknown_Release(unk);

            /* The first slots of IBackgroundCopyFile through every derived proxy. */
            if (file_interfaces[i].iid != &IID_IUnknown)
                check_remote_name((IBackgroundCopyFile *)obj, remote1);
            IUnknown_Release(obj);
        }
        winetest_pop_context();
    }

    ptr = (void *)0xdeadbeef;
    hr = IBackgroundCopyFile_QueryInterface(file, &IID_IBackgroundCopyJob, &ptr);
    ok(hr == E_NOINTERFACE, "QueryInterface(IBackgroundCopyJob) returned %#lx.\n", hr);
    ok(!ptr, "got %p.\n", ptr);
    if (hr == S_OK && ptr) IUnknown_Release((IUnknown *)ptr);
    ptr = (void *)0xdeadbeef;
    hr = IBackgroundCopyFile_QueryInterface(file, &IID_IBackgroundCopyManager, &ptr);
    ok(hr == E_NOINTERFACE, "QueryInterface(IBackgroundCopyManager) returned %#lx.\n", hr);
    ok(!ptr, "got %p.\n", ptr);
    if (hr == S_OK && ptr) IUnknown_Release((IUnknown *)ptr);
    ptr = (void *)0xdeadbeef;
    hr = IBackgroundCopyFile_QueryInterface(file, &IID_IEnumBackgroundCopyFiles, &ptr);
    ok(hr == E_NOINTERFACE, "QueryInterface(IEnumBackgroundCopyFiles) returned %#lx.\n", hr);
    ok(!ptr, "got %p.\n", ptr);
    if (hr == S_OK && ptr) IUnknown_Release((IUnknown *)ptr);

    if (unk_file) IUnknown_Release(unk_file);
    IBackgroundCopyFile_Release(file);
}

static void test_names(void)
{
    IBackgroundCopyFile *file;

    /* Both files, in the order they were added, names exactly as given. */
    if ((file = get_file(test_job, 0)))
    {
        check_remote_name(file, remote1);
        check_local_name(file, local1);
        IBackgroundCopyFile_Release(file);
    }
    if ((file = get_file(test_job, 1)))
    {
        check_remote_name(file, remote2);
        check_local_name(file, local2);
        IBackgroundCopyFile_Release(file);
    }
}

static void test_GetProgress(void)
{
    BG_FILE_PROGRESS progress;
    IBackgroundCopyFile *file;
    HRESULT hr;

    if (!(file = get_file(test_job, 0))) return;

    memset(&progress, 0xcc, sizeof(progress));
    hr = IBackgroundCopyFile_GetProgress(file, &progress);
    ok(hr == S_OK, "GetProgress failed: %#lx.\n", hr);
    ok(progress.BytesTotal == BG_SIZE_UNKNOWN, "got BytesTotal %s.\n", wine_dbgstr_longlong(progress.BytesTotal));
    ok(progress.BytesTransferred == 0, "got BytesTransferred %s.\n", wine_dbgstr_longlong(progress.BytesTransferred));
    ok(progress.Completed == FALSE, "got Completed %d.\n", progress.Completed);

    IBackgroundCopyFile_Release(file);
}

static void test_File3(void)
{
    IBackgroundCopyFile3 *file3;
    IBackgroundCopyFile *file;
    const WCHAR *slash;
    WCHAR *str;
    BOOL value;
    HRESULT hr;

    if (!(file = get_file(test_job, 0))) return;

    hr = IBackgroundCopyFile_QueryInterface(file, &IID_IBackgroundCopyFile3, (void **)&file3);
    ok(hr == S_OK, "QueryInterface(IBackgroundCopyFile3) failed: %#lx.\n", hr);
    if (FAILED(hr))
    {
        IBackgroundCopyFile_Release(file);
        return;
    }

    /* The temporary file lives in the destination directory. */
    str = NULL;
    hr = IBackgroundCopyFile3_GetTemporaryName(file3, &str);
    ok(hr == S_OK, "GetTemporaryName failed: %#lx.\n", hr);
    ok(str && str[0], "got temporary name %s.\n", wine_dbgstr_w(str));
    if (str && str[0])
    {
        trace("temporary name %s\n", wine_dbgstr_w(str));
        slash = wcsrchr(str, '\\');
        ok(slash != NULL, "temporary name %s is not a full path.\n", wine_dbgstr_w(str));
        if (slash)
        {
            ok(slash - str + 1 == wcslen(temp_dir) && !_wcsnicmp(str, temp_dir, slash - str + 1),
               "temporary name %s is not in %s.\n", wine_dbgstr_w(str), wine_dbgstr_w(temp_dir));
            ok(_wcsicmp(str, local1), "the temporary name is the local name.\n");
        }
    }
    CoTaskMemFree(str);

    value = 0xdead;
    hr = IBackgroundCopyFile3_GetValidationState(file3, &value);
    ok(hr == S_OK, "GetValidationState failed: %#lx.\n", hr);
    ok(value == FALSE, "got validation state %d.\n", value);

    value = 0xdead;
    hr = IBackgroundCopyFile3_IsDownloadedFromPeer(file3, &value);
    ok(hr == S_OK, "IsDownloadedFromPeer failed: %#lx.\n", hr);
    ok(value == FALSE, "got downloaded from peer %d.\n", value);

    IBackgroundCopyFile3_Release(file3);
    IBackgroundCopyFile_Release(file);
}

static void test_File4(void)
{
    IBackgroundCopyFile4 *file4;
    IBackgroundCopyFile *file;
    UINT64 from_origin, from_peers;
    HRESULT hr;

    if (!(file = get_file(test_job, 0))) return;
    file4 = query_optional(file, &IID_IBackgroundCopyFile4, "IBackgroundCopyFile4");
    if (file4)
    {
        from_origin = from_peers = 0xdead;
        hr = IBackgroundCopyFile4_GetPeerDownloadStats(file4, &from_origin, &from_peers);
        ok(hr == S_OK, "GetPeerDownloadStats failed: %#lx.\n", hr);
        ok(from_origin == 0, "got %s bytes from the origin.\n", wine_dbgstr_longlong(from_origin));
        ok(from_peers == 0, "got %s bytes from peers.\n", wine_dbgstr_longlong(from_peers));
        IBackgroundCopyFile4_Release(file4);
    }
    IBackgroundCopyFile_Release(file);
}

static void test_ranges(void)
{
    static const BG_FILE_RANGE ranges[2] = { { 0, 100 }, { 200, 50 } };
    static const struct
    {
        const char *what;
        DWORD count;
        BG_FILE_RANGE ranges[2];
        HRESULT expected;
    }
    bad_ranges[] =
    {
        { "overlapping", 2, { { 0, 100 }, { 50, 100 } }, BG_E_OVERLAPPING_RANGES },
        /* The documented example of overlapping ranges, in either order. */
        { "(100, 5), (100, 0)", 2, { { 100, 5 }, { 100, 0 } }, BG_E_OVERLAPPING_RANGES },
        { "(100, 0), (100, 5)", 2, { { 100, 0 }, { 100, 5 } }, BG_E_OVERLAPPING_RANGES },
        { "length 0 on its own", 1, { { 100, 0 } }, BG_E_INVALID_RANGE },
        { "offset BG_LENGTH_TO_EOF", 1, { { BG_LENGTH_TO_EOF, 10 } }, BG_E_INVALID_RANGE },
        { "no range", 0, { { 0, 10 } }, E_INVALIDARG },
    };
    BG_FILE_RANGE *got;
    IBackgroundCopyFile2 *file2;
    IBackgroundCopyFile *file;
    IBackgroundCopyJob3 *job3;
    IBackgroundCopyJob *job;
    WCHAR local[MAX_PATH];
    unsigned int i;
    DWORD count;
    HRESULT hr;

    /* A file added without ranges has none. */
    if ((file = get_file(test_job, 0)))
    {
        hr = IBackgroundCopyFile_QueryInterface(file, &IID_IBackgroundCopyFile2, (void **)&file2);
        ok(hr == S_OK, "QueryInterface(IBackgroundCopyFile2) failed: %#lx.\n", hr);
        if (SUCCEEDED(hr))
        {
            count = 0xdead;
            got = (BG_FILE_RANGE *)0xdeadbeef;
            hr = IBackgroundCopyFile2_GetFileRanges(file2, &count, &got);
            ok(hr == S_FALSE, "GetFileRanges returned %#lx.\n", hr);
            ok(count == 0, "got %lu ranges.\n", count);
            ok(!got, "got ranges %p.\n", got);
            if (SUCCEEDED(hr) && got) CoTaskMemFree(got);
            IBackgroundCopyFile2_Release(file2);
        }
        IBackgroundCopyFile_Release(file);
    }

    job = create_job(BG_JOB_TYPE_DOWNLOAD, NULL);
    if (!job) return;
    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob3, (void **)&job3);
    ok(hr == S_OK, "QueryInterface(IBackgroundCopyJob3) failed: %#lx.\n", hr);
    if (FAILED(hr))
    {
        cancel_and_release(job);
        return;
    }

    make_local_name(local, ARRAY_SIZE(local), L"ranges");
    hr = IBackgroundCopyJob3_AddFileWithRanges(job3, remote1, local, 2, (BG_FILE_RANGE *)ranges);
    ok(hr == S_OK, "AddFileWithRanges failed: %#lx.\n", hr);

    for (i = 0; i < ARRAY_SIZE(bad_ranges); i++)
    {
        hr = IBackgroundCopyJob3_AddFileWithRanges(job3, remote1, local, bad_ranges[i].count,
                                                   (BG_FILE_RANGE *)bad_ranges[i].ranges);
        ok(hr == bad_ranges[i].expected, "AddFileWithRanges(%s) returned %#lx.\n", bad_ranges[i].what, hr);
    }

    /* Ranges need HTTP: the file's name cannot become an SMB one. */
    if ((file = get_file(job, 0)))
    {
        hr = IBackgroundCopyFile_QueryInterface(file, &IID_IBackgroundCopyFile2, (void **)&file2);
        ok(hr == S_OK, "QueryInterface(IBackgroundCopyFile2) failed: %#lx.\n", hr);
        if (SUCCEEDED(hr))
        {
            hr = IBackgroundCopyFile2_SetRemoteName(file2, L"\\\\127.0.0.1\\share\\file1.bin");
            ok(hr == E_INVALIDARG, "SetRemoteName(UNC) of a file with ranges returned %#lx.\n", hr);
            IBackgroundCopyFile2_Release(file2);
        }
        IBackgroundCopyFile_Release(file);
    }
    hr = IBackgroundCopyJob3_ReplaceRemotePrefix(job3, L"http://127.0.0.1:1/", L"\\\\127.0.0.1\\share\\");
    ok(hr == E_INVALIDARG, "ReplaceRemotePrefix(UNC) of a file with ranges returned %#lx.\n", hr);

    /* Only the first call added a file; it keeps its ranges. */
    file = get_file(job, 0);
    if (file)
    {
        check_remote_name(file, remote1);
        check_local_name(file, local);
        hr = IBackgroundCopyFile_QueryInterface(file, &IID_IBackgroundCopyFile2, (void **)&file2);
        ok(hr == S_OK, "QueryInterface(IBackgroundCopyFile2) failed: %#lx.\n", hr);
        if (SUCCEEDED(hr))
        {
            count = 0xdead;
            got = NULL;
            hr = IBackgroundCopyFile2_GetFileRanges(file2, &count, &got);
            ok(hr == S_OK, "GetFileRanges failed: %#lx.\n", hr);
            ok(count == 2, "got %lu ranges.\n", count);
            if (got && count == 2)
            {
                ok(got[0].InitialOffset == 0 && got[0].Length == 100, "got range 0 %s+%s.\n",
                   wine_dbgstr_longlong(got[0].InitialOffset), wine_dbgstr_longlong(got[0].Length));
                ok(got[1].InitialOffset == 200 && got[1].Length == 50, "got range 1 %s+%s.\n",
                   wine_dbgstr_longlong(got[1].InitialOffset), wine_dbgstr_longlong(got[1].Length));
            }
            CoTaskMemFree(got);
            IBackgroundCopyFile2_Release(file2);
        }
        IBackgroundCopyFile_Release(file);
    }

    IBackgroundCopyJob3_Release(job3);
    cancel_and_release(job);
}

static void test_SetRemoteName(void)
{
    static const WCHAR renamed[] = L"http://127.0.0.1:1/renamed.bin";
    IBackgroundCopyFile2 *file2;
    IBackgroundCopyFile *file, *file_again;
    WCHAR long_url[2300];
    HRESULT hr;

    if (!(file = get_file(test_job, 1))) return;

    hr = IBackgroundCopyFile_QueryInterface(file, &IID_IBackgroundCopyFile2, (void **)&file2);
    ok(hr == S_OK, "QueryInterface(IBackgroundCopyFile2) failed: %#lx.\n", hr);
    if (SUCCEEDED(hr))
    {
        hr = IBackgroundCopyFile2_SetRemoteName(file2, renamed);
        ok(hr == S_OK, "SetRemoteName failed: %#lx.\n", hr);
        check_remote_name(file, renamed);
        check_local_name(file, local2);

        /* The change is in the job, not only in this file object. */
        if ((file_again = get_file(test_job, 1)))
        {
            check_remote_name(file_again, renamed);
            IBackgroundCopyFile_Release(file_again);
        }

        /* At most 2200 characters. */
        wcscpy(long_url, L"http://127.0.0.1:1");
        while (wcslen(long_url) < 2200 - 100)
            wcscat(long_url, L"/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
        while (wcslen(long_url) < 2201) wcscat(long_url, L"b");
        hr = IBackgroundCopyFile2_SetRemoteName(file2, long_url);
        ok(hr == E_INVALIDARG, "SetRemoteName(2201 chars) returned %#lx.\n", hr);
        check_remote_name(file, renamed);

        hr = IBackgroundCopyFile2_SetRemoteName(file2, remote2);
        ok(hr == S_OK, "SetRemoteName failed: %#lx.\n", hr);
        check_remote_name(file, remote2);
        IBackgroundCopyFile2_Release(file2);
    }
    IBackgroundCopyFile_Release(file);
}

static void test_ReplaceRemotePrefix(void)
{
    static const WCHAR moved2[] = L"http://127.0.0.1:2/other/file2.bin?query=1";
    IBackgroundCopyFile *file1, *file2;
    IBackgroundCopyJob3 *job3;
    HRESULT hr;

    hr = IBackgroundCopyJob_QueryInterface(test_job, &IID_IBackgroundCopyJob3, (void **)&job3);
    ok(hr == S_OK, "QueryInterface(IBackgroundCopyJob3) failed: %#lx.\n", hr);
    if (FAILED(hr)) return;
    file1 = get_file(test_job, 0);
    file2 = get_file(test_job, 1);
    if (!file1 || !file2) goto done;

    /* Only the files whose name starts with the prefix change. */
    hr = IBackgroundCopyJob3_ReplaceRemotePrefix(job3, L"http://127.0.0.1:1/dir/", L"http://127.0.0.1:2/other/");
    ok(hr == S_OK, "ReplaceRemotePrefix failed: %#lx.\n", hr);
    check_remote_name(file1, remote1);
    check_remote_name(file2, moved2);

    /* The match is case-sensitive; no match is S_FALSE. */
    hr = IBackgroundCopyJob3_ReplaceRemotePrefix(job3, L"HTTP://127.0.0.1:2/", L"http://127.0.0.1:3/");
    ok(hr == S_FALSE, "ReplaceRemotePrefix(no match) returned %#lx.\n", hr);
    check_remote_name(file2, moved2);

    /* Empty prefixes. */
    hr = IBackgroundCopyJob3_ReplaceRemotePrefix(job3, L"", L"http://127.0.0.1:3/");
    ok(hr == E_INVALIDARG, "ReplaceRemotePrefix(empty old prefix) returned %#lx.\n", hr);
    hr = IBackgroundCopyJob3_ReplaceRemotePrefix(job3, L"http://127.0.0.1:2/", L"");
    ok(hr == E_INVALIDARG, "ReplaceRemotePrefix(empty new prefix) returned %#lx.\n", hr);
    check_remote_name(file1, remote1);
    check_remote_name(file2, moved2);

    hr = IBackgroundCopyJob3_ReplaceRemotePrefix(job3, L"http://127.0.0.1:2/other/", L"http://127.0.0.1:1/dir/");
    ok(hr == S_OK, "ReplaceRemotePrefix failed: %#lx.\n", hr);
    check_remote_name(file2, remote2);

done:
    if (file1) IBackgroundCopyFile_Release(file1);
    if (file2) IBackgroundCopyFile_Release(file2);
    IBackgroundCopyJob3_Release(job3);
}

/* A new prefix that would make one name invalid (a segment longer than
 * MAX_PATH, spec 7.2) changes none, also not the names before it. */
static void test_ReplaceRemotePrefix_all_or_none(void)
{
    WCHAR long_remote[MAX_PATH + 32], moved[MAX_PATH + 64], local[2][MAX_PATH];
    IBackgroundCopyFile *file;
    IBackgroundCopyJob3 *job3;
    IBackgroundCopyJob *job;
    HRESULT hr;

    wcscpy(long_remote, L"http://127.0.0.1:1/");
    while (wcslen(long_remote) < 19 + 250) wcscat(long_remote, L"b");
    wcscat(long_remote, L".bin");
    if (!(job = create_job(BG_JOB_TYPE_DOWNLOAD, NULL))) return;
    make_local_name(local[0], MAX_PATH, L"short");
    make_local_name(local[1], MAX_PATH, L"long");
    hr = IBackgroundCopyJob_AddFile(job, remote1, local[0]);
    ok(hr == S_OK, "AddFile failed: %#lx.\n", hr);
    hr = IBackgroundCopyJob_AddFile(job, long_remote, local[1]);
    ok(hr == S_OK, "AddFile(%u chars segment) failed: %#lx.\n", 254, hr);
    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob3, (void **)&job3);
    ok(hr == S_OK, "QueryInterface(IBackgroundCopyJob3) failed: %#lx.\n", hr);
    if (SUCCEEDED(hr))
    {
        hr = IBackgroundCopyJob3_ReplaceRemotePrefix(job3, L"http://127.0.0.1:1/", L"http://127.0.0.1:1/xxxxxxxx");
        ok(hr == E_INVALIDARG, "ReplaceRemotePrefix returned %#lx.\n", hr);
        if ((file = get_file(job, 0)))
        {
            check_remote_name(file, remote1);
            IBackgroundCopyFile_Release(file);
        }
        if ((file = get_file(job, 1)))
        {
            check_remote_name(file, long_remote);
            IBackgroundCopyFile_Release(file);
        }
        /* A prefix that fits every name changes them all. */
        hr = IBackgroundCopyJob3_ReplaceRemotePrefix(job3, L"http://127.0.0.1:1/", L"http://127.0.0.1:2/");
        ok(hr == S_OK, "ReplaceRemotePrefix failed: %#lx.\n", hr);
        swprintf(moved, ARRAY_SIZE(moved), L"http://127.0.0.1:2/%ls", long_remote + 19);
        if ((file = get_file(job, 1)))
        {
            check_remote_name(file, moved);
            IBackgroundCopyFile_Release(file);
        }
        IBackgroundCopyJob3_Release(job3);
    }
    cancel_and_release(job);
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

/* Ranges and remote-name changes are for download jobs only. */
static void test_upload_file(void)
{
    static const BG_FILE_RANGE range = { 0, 10 };
    static const WCHAR upload_url[] = L"http://127.0.0.1:1/upload.bin";
    IBackgroundCopyFile2 *file2;
    IBackgroundCopyFile *file;
    IBackgroundCopyJob3 *job3;
    IBackgroundCopyJob *job;
    WCHAR local[MAX_PATH];
    BG_FILE_RANGE *got;
    DWORD count;
    HRESULT hr;

    make_local_name(local, ARRAY_SIZE(local), L"upload");
    ok(create_local_file(local), "cannot create %s.\n", wine_dbgstr_w(local));

    job = create_job(BG_JOB_TYPE_UPLOAD, NULL);
    if (!job) goto done;
    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob3, (void **)&job3);
    ok(hr == S_OK, "QueryInterface(IBackgroundCopyJob3) failed: %#lx.\n", hr);
    if (SUCCEEDED(hr))
    {
        hr = IBackgroundCopyJob3_AddFileWithRanges(job3, upload_url, local, 1, (BG_FILE_RANGE *)&range);
        ok(hr == E_NOTIMPL, "AddFileWithRanges returned %#lx.\n", hr);

        hr = IBackgroundCopyJob3_AddFile(job3, upload_url, local);
        ok(hr == S_OK, "AddFile failed: %#lx.\n", hr);

        hr = IBackgroundCopyJob3_ReplaceRemotePrefix(job3, L"http://127.0.0.1:1/", L"http://127.0.0.1:2/");
        ok(hr == E_NOTIMPL, "ReplaceRemotePrefix returned %#lx.\n", hr);
        IBackgroundCopyJob3_Release(job3);
    }

    if ((file = get_file(job, 0)))
    {
        check_remote_name(file, upload_url);
        check_local_name(file, local);
        hr = IBackgroundCopyFile_QueryInterface(file, &IID_IBackgroundCopyFile2, (void **)&file2);
        ok(hr == S_OK, "QueryInterface(IBackgroundCopyFile2) failed: %#lx.\n", hr);
        if (SUCCEEDED(hr))
        {
            count = 0xdead;
            got = (BG_FILE_RANGE *)0xdeadbeef;
            hr = IBackgroundCopyFile2_GetFileRanges(file2, &count, &got);
            ok(hr == S_FALSE, "GetFileRanges returned %#lx.\n", hr);
            ok(count == 0, "got %lu ranges.\n", count);
            ok(!got, "got ranges %p.\n", got);
            if (SUCCEEDED(hr) && got) CoTaskMemFree(got);

            hr = IBackgroundCopyFile2_SetRemoteName(file2, L"http://127.0.0.1:2/upload.bin");
            ok(hr == E_NOTIMPL, "SetRemoteName returned %#lx.\n", hr);
            check_remote_name(file, upload_url);
            IBackgroundCopyFile2_Release(file2);
        }
        IBackgroundCopyFile_Release(file);
    }
    cancel_and_release(job);

done:
    DeleteFileW(local);
}

static void test_File6(void)
{
    BG_FILE_RANGE range = { 0, 10 }, *filled = NULL;
    IBackgroundCopyFile6 *file6;
    DWORD count = 1;
    IBackgroundCopyFile *file;
    HRESULT hr;

    if (!(file = get_file(test_job, 0))) return;
    file6 = query_optional(file, &IID_IBackgroundCopyFile6, "IBackgroundCopyFile6");
    if (file6)
    {
        /* An HTTP file of a download job can be fetched in pieces (random_access.c
         * has the rest): nothing is there yet. */
        hr = IBackgroundCopyFile6_GetFilledFileRanges(file6, &count, &filled);
        ok(hr == S_OK, "GetFilledFileRanges returned %#lx.\n", hr);
        ok(!count && !filled, "got %lu filled ranges.\n", count);
        hr = IBackgroundCopyFile6_RequestFileRanges(file6, 1, &range);
        ok(hr == S_OK, "RequestFileRanges returned %#lx.\n", hr);

        /* Base slots through the File6 proxy. */
        check_local_name((IBackgroundCopyFile *)file6, local1);
        IBackgroundCopyFile6_Release(file6);
    }
    IBackgroundCopyFile_Release(file);
}

/* A file keeps its job alive after the client released the job. */
static void test_file_outlives_job(void)
{
    IBackgroundCopyJob *job;
    IBackgroundCopyFile *file;
    WCHAR local[MAX_PATH];
    GUID id;
    HRESULT hr;

    job = create_job(BG_JOB_TYPE_DOWNLOAD, &id);
    if (!job) return;
    make_local_name(local, ARRAY_SIZE(local), L"alive");
    hr = IBackgroundCopyJob_AddFile(job, remote1, local);
    ok(hr == S_OK, "AddFile failed: %#lx.\n", hr);
    file = get_file(job, 0);
    IBackgroundCopyJob_Release(job);
    if (!file) return;

    check_local_name(file, local);
    check_remote_name(file, remote1);

    job = NULL;
    hr = IBackgroundCopyManager_GetJob(manager, &id, &job);
    ok(hr == S_OK, "GetJob failed: %#lx.\n", hr);
    if (job) cancel_and_release(job);
    IBackgroundCopyFile_Release(file);
}

/* The owner must be able to write the directory of a download (behavior.md
 * 7.1): AddFile and AddFileSet refuse one it cannot with E_ACCESSDENIED and
 * add nothing.  Which directories this account cannot write differs, so the
 * test asks the system first for each candidate. */
static void test_unwritable_directory(void)
{
    WCHAR dirs[3][MAX_PATH], probe[MAX_PATH], local[MAX_PATH], other[MAX_PATH];
    unsigned int i, count = 0, refused = 0;
    BG_FILE_INFO infos[2];
    BG_JOB_PROGRESS progress;
    IBackgroundCopyJob2 *job2;
    IBackgroundCopyJob *job;
    BOOL writable;
    HANDLE handle;
    HRESULT hr;

    GetWindowsDirectoryW(dirs[count++], MAX_PATH);
    GetSystemDirectoryW(dirs[count++], MAX_PATH);
    /* Under Wine, the Unix root: only root may write there. */
    if (GetFileAttributesW(L"Z:\\usr") != INVALID_FILE_ATTRIBUTES) wcscpy(dirs[count++], L"Z:\\usr");

    for (i = 0; i < count; i++)
    {
        winetest_push_context("%s", wine_dbgstr_w(dirs[i]));
        swprintf(probe, ARRAY_SIZE(probe), L"%ls\\qmgr_probe_%lu.tmp", dirs[i], GetCurrentProcessId());
        handle = CreateFileW(probe, GENERIC_WRITE, 0, NULL, CREATE_NEW, FILE_FLAG_DELETE_ON_CLOSE, NULL);
        writable = handle != INVALID_HANDLE_VALUE;
        if (writable) CloseHandle(handle);
        else if (GetLastError() != ERROR_ACCESS_DENIED)
        {
            skip("cannot tell whether it can be written: error %lu.\n", GetLastError());
            winetest_pop_context();
            continue;
        }
        if (!writable) refused++;
        swprintf(local, ARRAY_SIZE(local), L"%ls\\qmgr_file_unwritable_%lu.bin", dirs[i], GetCurrentProcessId());
        make_local_name(other, ARRAY_SIZE(other), L"writable");
        if (!(job = create_job(BG_JOB_TYPE_DOWNLOAD, NULL)))
        {
            winetest_pop_context();
            continue;
        }
        hr = IBackgroundCopyJob_AddFile(job, remote1, local);
        ok(hr == (writable ? S_OK : E_ACCESSDENIED), "AddFile returned %#lx.\n", hr);
        /* All or nothing: the writable name goes only with the other. */
        infos[0].RemoteName = (WCHAR *)remote1;
        infos[0].LocalName = other;
        infos[1].RemoteName = (WCHAR *)remote2;
        infos[1].LocalName = local;
        hr = IBackgroundCopyJob_AddFileSet(job, 2, infos);
        ok(hr == (writable ? S_OK : E_ACCESSDENIED), "AddFileSet returned %#lx.\n", hr);
        memset(&progress, 0xcc, sizeof(progress));
        hr = IBackgroundCopyJob_GetProgress(job, &progress);
        ok(hr == S_OK, "GetProgress failed: %#lx.\n", hr);
        ok(progress.FilesTotal == (writable ? 3 : 0), "the job has %lu files.\n", progress.FilesTotal);
        cancel_and_release(job);

        /* The reply file of an upload-reply job too. */
        if ((job = create_job(BG_JOB_TYPE_UPLOAD_REPLY, NULL)))
        {
            hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob2, (void **)&job2);
            ok(hr == S_OK, "QueryInterface(IBackgroundCopyJob2) failed: %#lx.\n", hr);
            if (SUCCEEDED(hr))
            {
                hr = IBackgroundCopyJob2_SetReplyFileName(job2, local);
                ok(hr == (writable ? S_OK : E_ACCESSDENIED), "SetReplyFileName returned %#lx.\n", hr);
                IBackgroundCopyJob2_Release(job2);
            }
            cancel_and_release(job);
        }
        winetest_pop_context();
    }
    trace("%u of %u directories cannot be written here.\n", refused, count);
}

START_TEST(file)
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

    if (setup_test_job())
    {
        test_QueryInterface();
        test_names();
        test_GetProgress();
        test_File3();
        test_File4();
        test_ranges();
        test_SetRemoteName();
        test_ReplaceRemotePrefix();
        test_ReplaceRemotePrefix_all_or_none();
        test_File6();
        cancel_and_release(test_job);
    }
    test_upload_file();
    test_file_outlives_job();
    test_unwritable_directory();

    IBackgroundCopyManager_Release(manager);
    CoUninitialize();
}
