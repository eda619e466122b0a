/*
 * Conformance tests of the BITS file enumerator (IEnumBackgroundCopyFiles)
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

#define TEST_FILES 3

static IBackgroundCopyManager *manager;
static IBackgroundCopyJob *test_job;
static WCHAR temp_dir[MAX_PATH];
static WCHAR remote_names[TEST_FILES + 1][64];
static WCHAR local_names[TEST_FILES + 1][MAX_PATH];

static void make_name(WCHAR *buf, size_t len, const WCHAR *tag)
{
    static LONG counter;

    swprintf(buf, len, L"qmgr_test %ls %lu-%lu-%ld", tag, GetCurrentProcessId(),
             GetTickCount(), InterlockedIncrement(&counter));
}

static IBackgroundCopyJob *create_job(void)
{
    IBackgroundCopyJob *job = NULL;
    WCHAR name[128];
    GUID id;
    HRESULT hr;

    make_name(name, ARRAY_SIZE(name), L"enum_files");
    hr = IBackgroundCopyManager_CreateJob(manager, name, BG_JOB_TYPE_DOWNLOAD, &id, &job);
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

/* Files are enumerated in the order they were added; this returns the
 * index of the file among the names added, or -1. */
static int file_index(IBackgroundCopyFile *file)
{
    WCHAR *str = NULL;
    int i, ret = -1;

    if (FAILED(IBackgroundCopyFile_GetRemoteName(file, &str))) return -1;
    for (i = 0; i < ARRAY_SIZE(remote_names); i++)
        if (!wcscmp(str, remote_names[i])) ret = i;
    CoTaskMemFree(str);
    return ret;
}

static BOOL add_file(IBackgroundCopyJob *job, int index)
{
    HRESULT hr;

    hr = IBackgroundCopyJob_AddFile(job, remote_names[index], local_names[index]);
    ok(hr == S_OK, "AddFile(%d) failed: %#lx.\n", index, hr);
    return SUCCEEDED(hr);
}

static IEnumBackgroundCopyFiles *enum_files(ULONG expected_count)
{
    IEnumBackgroundCopyFiles *enumerator = NULL;
    ULONG count;
    HRESULT hr;

    hr = IBackgroundCopyJob_EnumFiles(test_job, &enumerator);
    ok(hr == S_OK, "EnumFiles failed: %#lx.\n", hr);
    if (FAILED(hr)) return NULL;
    count = 0xdead;
    hr = IEnumBackgroundCopyFiles_GetCount(enumerator, &count);
    ok(hr == S_OK, "GetCount failed: %#lx.\n", hr);
    ok(count == expected_count, "got count %lu, expected %lu.\n", count, expected_count);
    return enumerator;
}

/* The next file, with a NULL fetched count (allowed for one element). */
static IBackgroundCopyFile *next_file(IEnumBackgroundCopyFiles *enumerator)
{
    IBackgroundCopyFile *file = NULL;
    HRESULT hr;

    hr = IEnumBackgroundCopyFiles_Next(enumerator, 1, &file, NULL);
    ok(hr == S_OK, "Next failed: %#lx.\n", hr);
    ok(file != NULL, "got NULL file.\n");
    return hr == S_OK ? file : NULL;
}

#define check_next(a, b) check_next_(__LINE__, a, b)
static void check_next_(int line, IEnumBackgroundCopyFiles *enumerator, int expected)
{
    IBackgroundCopyFile *file = NULL;
    HRESULT hr;

    hr = IEnumBackgroundCopyFiles_Next(enumerator, 1, &file, NULL);
    ok_(__FILE__, line)(hr == S_OK, "Next failed: %#lx.\n", hr);
    if (hr != S_OK || !file) return;
    ok_(__FILE__, line)(file_index(file) == expected, "got file %d, expected %d.\n", file_index(file), expected);
    IBackgroundCopyFile_Release(file);
}

static void release_files(IBackgroundCopyFile **files, ULONG count)
{
    ULONG i;

    for (i = 0; i < count; i++)
        if (files[i]) IBackgroundCopyFile_Release(files[i]);
}

static void test_empty_job(void)
{
    IEnumBackgroundCopyFiles *enumerator = NULL;
    IBackgroundCopyFile *file;
    IBackgroundCopyJob *job;
    ULONG count, fetched;
    HRESULT hr;

    if (!(job = create_job())) return;

    hr = IBackgroundCopyJob_EnumFiles(job, &enumerator);
    ok(hr == S_OK, "EnumFiles failed: %#lx.\n", hr);
    if (enumerator)
    {
        count = 0xdead;
        hr = IEnumBackgroundCopyFiles_GetCount(enumerator, &count);
        ok(hr == S_OK, "GetCount failed: %#lx.\n", hr);
        ok(count == 0, "got count %lu.\n", count);
        file = NULL;
        fetched = 0xdead;
        hr = IEnumBackgroundCopyFiles_Next(enumerator, 1, &file, &fetched);
        ok(hr == S_FALSE, "Next returned %#lx.\n", hr);
        ok(fetched == 0, "got %lu files.\n", fetched);
        hr = IEnumBackgroundCopyFiles_Skip(enumerator, 1);
        ok(hr == S_FALSE, "Skip returned %#lx.\n", hr);
        ok(IEnumBackgroundCopyFiles_Release(enumerator) == 0, "enumerator not released.\n");
    }
    cancel_and_release(job);
}

static void test_Next(void)
{
    IEnumBackgroundCopyFiles *enumerator;
    IBackgroundCopyFile *files[TEST_FILES + 1], *file;
    ULONG fetched, i;
    HRESULT hr;

    if (!(enumerator = enum_files(TEST_FILES))) return;

    /* One by one, without a fetched count, in the order they were added. */
    for (i = 0; i < TEST_FILES; i++) check_next(enumerator, i);

    /* At the end. */
    file = NULL;
    fetched = 0xdead;
    hr = IEnumBackgroundCopyFiles_Next(enumerator, 1, &file, &fetched);
    ok(hr == S_FALSE, "Next at the end returned %#lx.\n", hr);
    ok(fetched == 0, "got %lu files.\n", fetched);

    /* More than one element need a fetched count. */
    hr = IEnumBackgroundCopyFiles_Reset(enumerator);
    ok(hr == S_OK, "Reset failed: %#lx.\n", hr);
    memset(files, 0, sizeof(files));
    hr = IEnumBackgroundCopyFiles_Next(enumerator, 2, files, NULL);
    ok(hr != S_OK, "Next(2) without a fetched count succeeded.\n");
    release_files(files, 2);

    /* All at once. */
    hr = IEnumBackgroundCopyFiles_Reset(enumerator);
    ok(hr == S_OK, "Reset failed: %#lx.\n", hr);
    memset(files, 0, sizeof(files));
    fetched = 0xdead;
    hr = IEnumBackgroundCopyFiles_Next(enumerator, TEST_FILES, files, &fetched);
    ok(hr == S_OK, "Next(%u) failed: %#lx.\n", TEST_FILES, hr);
    ok(fetched == TEST_FILES, "got %lu files.\n", fetched);
    if (hr == S_OK && fetched == TEST_FILES)
    {
        for (i = 0; i < TEST_FILES; i++)
        {
            ok(files[i] != NULL, "file %lu is NULL.\n", i);
            if (files[i]) ok(file_index(files[i]) == i, "got file %d at %lu.\n", file_index(files[i]), i);
        }
        release_files(files, TEST_FILES);
    }

    /* Asking for more than what is left returns what is left. */
    hr = IEnumBackgroundCopyFiles_Reset(enumerator);
    ok(hr == S_OK, "Reset failed: %#lx.\n", hr);
    hr = IEnumBackgroundCopyFiles_Skip(enumerator, 1);
    ok(hr == S_OK, "Skip(1) failed: %#lx.\n", hr);
    memset(files, 0, sizeof(files));
    fetched = 0xdead;
    hr = IEnumBackgroundCopyFiles_Next(enumerator, TEST_FILES, files, &fetched);
    ok(hr == S_FALSE, "Next(%u) returned %#lx.\n", TEST_FILES, hr);
    ok(fetched == TEST_FILES - 1, "got %lu files.\n", fetched);
    if (SUCCEEDED(hr) && fetched <= TEST_FILES)
    {
        for (i = 0; i < fetched; i++)
            if (files[i]) ok(file_index(files[i]) == i + 1, "got file %d at %lu.\n", file_index(files[i]), i);
        release_files(files, fetched);
    }

    ok(IEnumBackgroundCopyFiles_Release(enumerator) == 0, "enumerator not released.\n");
}

static void test_Skip(void)
{
    IEnumBackgroundCopyFiles *enumerator;
    IBackgroundCopyFile *file;
    ULONG fetched;
    HRESULT hr;

    if (!(enumerator = enum_files(TEST_FILES))) return;

    hr = IEnumBackgroundCopyFiles_Skip(enumerator, TEST_FILES - 1);
    ok(hr == S_OK, "Skip failed: %#lx.\n", hr);
    check_next(enumerator, TEST_FILES - 1);
    hr = IEnumBackgroundCopyFiles_Skip(enumerator, 1);
    ok(hr == S_FALSE, "Skip past the end returned %#lx.\n", hr);

    hr = IEnumBackgroundCopyFiles_Reset(enumerator);
    ok(hr == S_OK, "Reset failed: %#lx.\n", hr);
    hr = IEnumBackgroundCopyFiles_Skip(enumerator, TEST_FILES);
    ok(hr == S_OK, "Skip(%u) failed: %#lx.\n", TEST_FILES, hr);
    hr = IEnumBackgroundCopyFiles_Skip(enumerator, 1);
    ok(hr == S_FALSE, "Skip past the end returned %#lx.\n", hr);

    /* Skipping too far leaves the enumerator at its end. */
    hr = IEnumBackgroundCopyFiles_Reset(enumerator);
    ok(hr == S_OK, "Reset failed: %#lx.\n", hr);
    hr = IEnumBackgroundCopyFiles_Skip(enumerator, TEST_FILES + 1);
    ok(hr == S_FALSE, "Skip(%u) returned %#lx.\n", TEST_FILES + 1, hr);
    file = NULL;
    fetched = 0xdead;
    hr = IEnumBackgroundCopyFiles_Next(enumerator, 1, &file, &fetched);
    ok(hr == S_FALSE, "Next after skipping past the end returned %#lx.\n", hr);
    ok(fetched == 0, "got %lu files.\n", fetched);

    /* Reset goes back to the first file; Skip(0) stays. */
    hr = IEnumBackgroundCopyFiles_Reset(enumerator);
    ok(hr == S_OK, "Reset failed: %#lx.\n", hr);
    hr = IEnumBackgroundCopyFiles_Skip(enumerator, 0);
    ok(hr == S_OK, "Skip(0) failed: %#lx.\n", hr);
    check_next(enumerator, 0);

    ok(IEnumBackgroundCopyFiles_Release(enumerator) == 0, "enumerator not released.\n");
}

static void test_Clone(void)
{
    IEnumBackgroundCopyFiles *enumerator, *clone;
    ULONG count;
    HRESULT hr;

    if (!(enumerator = enum_files(TEST_FILES))) return;

    hr = IEnumBackgroundCopyFiles_Skip(enumerator, 1);
    ok(hr == S_OK, "Skip failed: %#lx.\n", hr);
    clone = NULL;
    hr = IEnumBackgroundCopyFiles_Clone(enumerator, &clone);
    ok(hr == S_OK, "Clone failed: %#lx.\n", hr);
    if (SUCCEEDED(hr) && clone)
    {
        count = 0xdead;
        hr = IEnumBackgroundCopyFiles_GetCount(clone, &count);
        ok(hr == S_OK, "GetCount failed: %#lx.\n", hr);
        ok(count == TEST_FILES, "got count %lu.\n", count);

        /* Same position, then independent. */
        check_next(clone, 1);
        check_next(enumerator, 1);
        hr = IEnumBackgroundCopyFiles_Reset(enumerator);
        ok(hr == S_OK, "Reset failed: %#lx.\n", hr);
        check_next(clone, 2);
        check_next(enumerator, 0);

        ok(IEnumBackgroundCopyFiles_Release(clone) == 0, "clone not released.\n");
    }
    ok(IEnumBackgroundCopyFiles_Release(enumerator) == 0, "enumerator not released.\n");
}

/* The enumerator is a snapshot of the file list; the files in it are live. */
static void test_snapshot(void)
{
    IEnumBackgroundCopyFiles *enumerator, *enumerator2;
    IBackgroundCopyFile2 *file2;
    IBackgroundCopyFile *file;
    WCHAR *str;
    HRESULT hr;

    if (!(enumerator = enum_files(TEST_FILES))) return;

    if (add_file(test_job, TEST_FILES))
    {
        ULONG count = 0xdead;

        hr = IEnumBackgroundCopyFiles_GetCount(enumerator, &count);
        ok(hr == S_OK, "GetCount failed: %#lx.\n", hr);
        ok(count == TEST_FILES, "the snapshot's count changed to %lu.\n", count);
        hr = IEnumBackgroundCopyFiles_Skip(enumerator, TEST_FILES);
        ok(hr == S_OK, "Skip failed: %#lx.\n", hr);
        hr = IEnumBackgroundCopyFiles_Skip(enumerator, 1);
        ok(hr == S_FALSE, "a later file is in the snapshot: %#lx.\n", hr);

        if ((enumerator2 = enum_files(TEST_FILES + 1)))
        {
            hr = IEnumBackgroundCopyFiles_Skip(enumerator2, TEST_FILES);
            ok(hr == S_OK, "Skip failed: %#lx.\n", hr);
            check_next(enumerator2, TEST_FILES);
            ok(IEnumBackgroundCopyFiles_Release(enumerator2) == 0, "enumerator not released.\n");
        }
    }

    /* A change made through another file object shows through the snapshot's. */
    hr = IEnumBackgroundCopyFiles_Reset(enumerator);
    ok(hr == S_OK, "Reset failed: %#lx.\n", hr);
    if ((enumerator2 = enum_files(TEST_FILES + 1)))
    {
        if ((file = next_file(enumerator2)))
        {
            hr = IBackgroundCopyFile_QueryInterface(file, &IID_IBackgroundCopyFile2, (void **)&file2);
            ok(hr == S_OK, "QueryInterface(IBackgroundCopyFile2) failed: %#lx.\n", hr);
            if (SUCCEEDED(hr))
            {
                hr = IBackgroundCopyFile2_SetRemoteName(file2, L"http://127.0.0.1:1/changed.bin");
                ok(hr == S_OK, "SetRemoteName failed: %#lx.\n", hr);
                IBackgroundCopyFile2_Release(file2);
            }
            IBackgroundCopyFile_Release(file);
        }
        ok(IEnumBackgroundCopyFiles_Release(enumerator2) == 0, "enumerator not released.\n");
    }
    if ((file = next_file(enumerator)))
    {
        str = NULL;
        hr = IBackgroundCopyFile_GetRemoteName(file, &str);
        ok(hr == S_OK, "GetRemoteName failed: %#lx.\n", hr);
        ok(str && !wcscmp(str, L"http://127.0.0.1:1/changed.bin"), "got remote name %s.\n", wine_dbgstr_w(str));
        CoTaskMemFree(str);
        IBackgroundCopyFile_Release(file);
    }

    ok(IEnumBackgroundCopyFiles_Release(enumerator) == 0, "enumerator not released.\n");
}

START_TEST(enum_files)
{
    DWORD len;
    HRESULT hr;
    int i;

    CoInitialize(NULL);

    len = GetTempPathW(ARRAY_SIZE(temp_dir), temp_dir);
    ok(len && len < ARRAY_SIZE(temp_dir), "GetTempPath failed: %lu.\n", GetLastError());
    for (i = 0; i < ARRAY_SIZE(remote_names); i++)
    {
        swprintf(remote_names[i], ARRAY_SIZE(remote_names[i]), L"http://127.0.0.1:1/enum_file%d.bin", i);
        swprintf(local_names[i], ARRAY_SIZE(local_names[i]), L"%lsqmgr_enum_files_%lu_%d.bin",
                 temp_dir, GetCurrentProcessId(), i);
    }

    hr = CoCreateInstance(&CLSID_BackgroundCopyManager, NULL, CLSCTX_LOCAL_SERVER,
                          &IID_IBackgroundCopyManager, (void **)&manager);
    if (FAILED(hr))
    {
        win_skip("cannot create the BITS manager: %#lx.\n", hr);
        CoUninitialize();
        return;
    }

    test_empty_job();

    if ((test_job = create_job()))
    {
        for (i = 0; i < TEST_FILES; i++)
            if (!add_file(test_job, i)) break;
        if (i == TEST_FILES)
        {
            test_Next();
            test_Skip();
            test_Clone();
            test_snapshot();
        }
        cancel_and_release(test_job);
    }

    IBackgroundCopyManager_Release(manager);
    CoUninitialize();
}
