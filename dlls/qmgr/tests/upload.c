/*
 * Conformance tests of BITS upload jobs: the BITS upload protocol against a
 * small BITS server (the part of IIS's BITS extension a client sees) in the
 * loopback HTTP server of httpd.c.
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
#include "objbase.h"
#include "bits10_3.h"

#include "wine/test.h"
#include "httpd.h"
#include "transfer_util.h"
#include "bits_server.h"
#include "identity_util.h"

#define ACK_DELAY_MS 300      /* a slow server, to cancel an upload under way */
#define RETRY_TIMEOUT 20000   /* includes one retry after a transient error (MinimumRetryDelay 5 s) */

/* ---- helpers ------------------------------------------------------------ */

static void make_name(WCHAR *buf, size_t len, const WCHAR *tag)
{
    static LONG counter;

    swprintf(buf, len, L"qmgr_test upload %ls %lu-%lu-%ld", tag, GetCurrentProcessId(), GetTickCount(),
             InterlockedIncrement(&counter));
}

/* A local file of size bytes of the pattern of seed. */
static void make_source(const WCHAR *path, UINT64 size, unsigned int seed)
{
    static BYTE buffer[65536];
    HANDLE file = CreateFileW(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
    UINT64 offset;
    DWORD chunk, written;

    ok(file != INVALID_HANDLE_VALUE, "cannot create %s: %lu.\n", wine_dbgstr_w(path), GetLastError());
    for (offset = 0; offset < size; offset += chunk)
    {
        chunk = (DWORD)min(size - offset, sizeof(buffer));
        httpd_pattern_fill(seed, offset, buffer, chunk);
        WriteFile(file, buffer, chunk, &written, NULL);
    }
    CloseHandle(file);
}

static IBackgroundCopyJob *create_upload_job(const WCHAR *tag, const char *path, const WCHAR *source)
{
    IBackgroundCopyJob *job = NULL;
    WCHAR name[128], url[256];
    HRESULT hr;
    GUID id;

    make_name(name, ARRAY_SIZE(name), tag);
    hr = IBackgroundCopyManager_CreateJob(manager, name, BG_JOB_TYPE_UPLOAD, &id, &job);
    ok(hr == S_OK, "CreateJob failed: %#lx.\n", hr);
    if (FAILED(hr)) return NULL;
    /* Retries after a transient error come soon. */
    IBackgroundCopyJob_SetMinimumRetryDelay(job, 5);
    hr = IBackgroundCopyJob_AddFile(job, httpd_url(httpd, path, url, ARRAY_SIZE(url)), source);
    ok(hr == S_OK, "AddFile failed: %#lx.\n", hr);
    return job;
}

/* The one session the server has (the last one made), checked against the source. */
static void check_uploaded(struct bits_upload_session *session, UINT64 size, unsigned int seed, const char *content_name)
{
    ok(session->received == size, "the server has %I64u bytes, expected %I64u.\n", session->received, size);
    ok(session->size == size, "Content-Range said %I64u bytes in all, expected %I64u.\n", session->size, size);
    ok(!size || (session->data && httpd_pattern_check(seed, 0, session->data, size) == -1),
       "the uploaded bytes are not the file's.\n");
    ok(!strcmp(session->content_name, content_name), "Content-Name %s, expected %s.\n",
       session->content_name, content_name);
}

/* ---- tests -------------------------------------------------------------- */

static void test_upload(void)
{
    static const UINT64 size = 2 * 1024 * 1024 + 12345;
    IEnumBackgroundCopyFiles *files;
    IBackgroundCopyFile *file;
    BG_FILE_PROGRESS file_progress;
    BG_JOB_PROGRESS progress;
    IBackgroundCopyJob *job;
    WCHAR source[MAX_PATH];
    HRESULT hr;

    bits_server_reset();
    swprintf(source, ARRAY_SIZE(source), L"%lsupload-one.bin", base_dir);
    make_source(source, size, 31);
    if (!(job = create_upload_job(L"simple", "/upload/one.bin", source))) return;
    hr = IBackgroundCopyJob_Resume(job);
    ok(hr == S_OK, "Resume failed: %#lx.\n", hr);
    if (wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSFERRED), TRANSFER_TIMEOUT, FALSE) == BG_JOB_STATE_TRANSFERRED)
    {
        hr = IBackgroundCopyJob_GetProgress(job, &progress);
        ok(hr == S_OK && progress.BytesTotal == size && progress.BytesTransferred == size &&
           progress.FilesTotal == 1 && progress.FilesTransferred == 1, "progress %I64u/%I64u bytes, %lu/%lu files.\n",
           progress.BytesTransferred, progress.BytesTotal, progress.FilesTransferred, progress.FilesTotal);
        EnterCriticalSection(&bits_server.cs);
        ok(bits_server.creates == 1, "%u Create-Session packets.\n", bits_server.creates);
        ok(bits_server.session_count == 1, "%u sessions.\n", bits_server.session_count);
        if (bits_server.session_count) check_uploaded(&bits_server.sessions[0], size, 31, "upload-one.bin");
        ok(bits_server.fragments >= 1 && bits_server.body_bytes == size, "%u fragments with %I64u bytes for a file of %I64u.\n",
           bits_server.fragments, bits_server.body_bytes, size);
        /* Closed before the job said TRANSFERRED: the upload is the server's now. */
        ok(bits_server.closes == 1 && bits_server.sessions[0].closed, "%u Close-Session packets.\n", bits_server.closes);
        LeaveCriticalSection(&bits_server.cs);

        /* An upload's file is complete once the server has it. */
        IBackgroundCopyJob_EnumFiles(job, &files);
        if (IEnumBackgroundCopyFiles_Next(files, 1, &file, NULL) == S_OK)
        {
            hr = IBackgroundCopyFile_GetProgress(file, &file_progress);
            ok(hr == S_OK && file_progress.Completed && file_progress.BytesTransferred == size,
               "file progress %I64u, completed %d.\n", file_progress.BytesTransferred, file_progress.Completed);
            IBackgroundCopyFile_Release(file);
        }
        IEnumBackgroundCopyFiles_Release(files);
        hr = IBackgroundCopyJob_Complete(job);
        ok(hr == S_OK, "Complete failed: %#lx.\n", hr);
        check_state(job, BG_JOB_STATE_ACKNOWLEDGED);
        ok(file_exists(source), "Complete removed the uploaded file.\n");
    }
    finish_job(job);
    DeleteFileW(source);
}

/* An empty file: one Fragment with no body, which says so (behavior.md 16.2:
 * every Fragment has a Content-Length). */
static void test_upload_empty_file(void)
{
    struct httpd_log_entry entry;
    IBackgroundCopyJob *job;
    WCHAR source[MAX_PATH];
    unsigned int i, fragments = 0;
    char value[64];

    bits_server_reset();
    httpd_log_clear(httpd);
    swprintf(source, ARRAY_SIZE(source), L"%lsupload-empty.bin", base_dir);
    make_source(source, 0, 32);
    if (!(job = create_upload_job(L"empty", "/upload/empty.bin", source))) return;
    IBackgroundCopyJob_Resume(job);
    if (wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSFERRED), TRANSFER_TIMEOUT, FALSE) == BG_JOB_STATE_TRANSFERRED)
    {
        EnterCriticalSection(&bits_server.cs);
        ok(bits_server.session_count == 1 && bits_server.sessions[0].closed, "%u sessions.\n", bits_server.session_count);
        LeaveCriticalSection(&bits_server.cs);
        for (i = 0; httpd_log_get(httpd, i, &entry); i++)
        {
            if (!httpd_log_header(&entry, "BITS-Packet-Type", value, sizeof(value)) || strcmp(value, "Fragment"))
                continue;
            fragments++;
            ok(httpd_log_header(&entry, "Content-Length", value, sizeof(value)) && !strcmp(value, "0"),
               "the empty Fragment has no Content-Length of 0.\n");
        }
        ok(fragments == 1, "%u Fragment packets.\n", fragments);
    }
    finish_job(job);
    DeleteFileW(source);
}

/* The server refuses the session: an error of the remote file with the HTTP status. */
static void test_upload_refused(void)
{
    IBackgroundCopyJob *job;
    BG_ERROR_CONTEXT context;
    WCHAR source[MAX_PATH];
    HRESULT code;

    bits_server_reset();
    bits_server.create_status = 404;
    swprintf(source, ARRAY_SIZE(source), L"%lsupload-refused.bin", base_dir);
    make_source(source, 1000, 33);
    if (!(job = create_upload_job(L"refused", "/upload/refused.bin", source))) return;
    IBackgroundCopyJob_Resume(job);
    if (wait_state(job, STATE_BIT(BG_JOB_STATE_ERROR), FAILURE_TIMEOUT, FALSE) == BG_JOB_STATE_ERROR &&
        get_job_error(job, &context, &code))
    {
        ok(code == BG_E_HTTP_ERROR_404, "error %#lx.\n", code);
        ok(context == BG_ERROR_CONTEXT_REMOTE_FILE, "context %u.\n", context);
    }
    finish_job(job);
    DeleteFileW(source);
}

/* A failed fragment is sent again in the same session: the server's bytes are not sent twice. */
static void test_upload_resume(void)
{
    static const UINT64 size = 3 * 1024 * 1024 + 1;
    IBackgroundCopyJob *job;
    WCHAR source[MAX_PATH];

    bits_server_reset();
    bits_server.fail_fragment = 2;
    swprintf(source, ARRAY_SIZE(source), L"%lsupload-resume.bin", base_dir);
    make_source(source, size, 34);
    if (!(job = create_upload_job(L"resume", "/upload/resume.bin", source))) return;
    IBackgroundCopyJob_Resume(job);
    if (wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSFERRED), RETRY_TIMEOUT, TRUE) == BG_JOB_STATE_TRANSFERRED)
    {
        EnterCriticalSection(&bits_server.cs);
        ok(bits_server.creates == 1, "%u Create-Session packets: the session was not kept.\n", bits_server.creates);
        if (bits_server.session_count) check_uploaded(&bits_server.sessions[0], size, 34, "upload-resume.bin");
        /* The refused fragment's bytes go twice, no others. */
        ok(bits_server.body_bytes < size + 2 * 1024 * 1024, "%I64u bytes sent for a file of %I64u.\n", bits_server.body_bytes, size);
        LeaveCriticalSection(&bits_server.cs);
    }
    finish_job(job);
    DeleteFileW(source);
}

/* The upload of a local file that changed ends in ERROR with
 * BG_E_LOCAL_FILE_CHANGED, the server without all of the file; the job and
 * the file go. */
static void check_upload_stopped_by_change(IBackgroundCopyJob *job, UINT64 size, const WCHAR *source)
{
    BG_ERROR_CONTEXT context;
    HRESULT code;

    if (wait_state(job, STATE_BIT(BG_JOB_STATE_ERROR), TRANSFER_TIMEOUT, FALSE) == BG_JOB_STATE_ERROR &&
        get_job_error(job, &context, &code))
    {
        ok(code == BG_E_LOCAL_FILE_CHANGED, "error %#lx.\n", code);
        ok(context == BG_ERROR_CONTEXT_LOCAL_FILE, "context %u.\n", context);
    }
    EnterCriticalSection(&bits_server.cs);
    ok(bits_server.session_count == 1 && bits_server.sessions[0].received < size,
       "the server has the file although it changed.\n");
    LeaveCriticalSection(&bits_server.cs);
    finish_job(job);
    DeleteFileW(source);
}

/* A local file that changed after its upload began cannot be finished in
 * that session (behavior.md 2): the job goes to ERROR with
 * BG_E_LOCAL_FILE_CHANGED, whether the size changed or only the content and
 * last-write time.  The change comes while the job is suspended, part of the
 * file with the server. */
static void test_upload_local_file_changed(BOOL same_size)
{
    static const SYSTEMTIME created = { 2003, 4, 2, 5, 6, 7, 8, 0 }, modified = { 2004, 5, 3, 6, 7, 8, 9, 0 };
    static const UINT64 size = 4 * 1024 * 1024 + 3;
    BG_JOB_PROGRESS progress;
    IBackgroundCopyJob *job;
    WCHAR source[MAX_PATH];
    HRESULT hr;
    HANDLE handle;
    DWORD start;

    bits_server_reset();
    bits_server.ack_delay_ms = ACK_DELAY_MS;
    swprintf(source, ARRAY_SIZE(source), L"%lsupload-changed-%d.bin", base_dir, same_size);
    make_source(source, size, 45);
    if (!(job = create_upload_job(same_size ? L"changed content" : L"changed size", "/upload/changed.bin", source)))
        return;
    IBackgroundCopyJob_Resume(job);
    for (start = GetTickCount(); GetTickCount() - start < TRANSFER_TIMEOUT; Sleep(20))
        if (FAILED(IBackgroundCopyJob_GetProgress(job, &progress)) || progress.BytesTransferred) break;
    hr = IBackgroundCopyJob_Suspend(job);
    ok(hr == S_OK, "Suspend failed: %#lx.\n", hr);
    /* The upload lets go of the file when its run has ended. */
    for (start = GetTickCount(); GetTickCount() - start < TRANSFER_TIMEOUT; Sleep(20))
    {
        handle = CreateFileW(source, GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
        if (handle != INVALID_HANDLE_VALUE)
        {
            CloseHandle(handle);
            break;
        }
    }
    make_source(source, same_size ? size : size + 1, 46);
    ok(set_file_times(source, &created, &modified), "cannot set the times: %lu.\n", GetLastError());
    EnterCriticalSection(&bits_server.cs);
    bits_server.ack_delay_ms = 0;
    LeaveCriticalSection(&bits_server.cs);
    hr = IBackgroundCopyJob_Resume(job);
    ok(hr == S_OK, "Resume failed: %#lx.\n", hr);
    check_upload_stopped_by_change(job, size, source);
}

/* Another program may write the local file while it is being uploaded: BITS
 * lets it (the file is shared for writing) and the job goes to ERROR with
 * BG_E_LOCAL_FILE_CHANGED before the server has all of it, rather than
 * joining two versions of the file (behavior.md 2). */
static void test_upload_local_file_written(void)
{
    static const SYSTEMTIME modified = { 2004, 5, 3, 6, 7, 8, 9, 0 };
    static const UINT64 size = 4 * 1024 * 1024 + 3;
    static const BYTE other[16] = "another version";
    BG_JOB_PROGRESS progress;
    IBackgroundCopyJob *job;
    WCHAR source[MAX_PATH];
    LARGE_INTEGER offset;
    FILETIME modified_ft;
    HANDLE handle;
    DWORD start, written;

    bits_server_reset();
    bits_server.ack_delay_ms = ACK_DELAY_MS;
    swprintf(source, ARRAY_SIZE(source), L"%lsupload-written.bin", base_dir);
    make_source(source, size, 47);
    if (!(job = create_upload_job(L"written", "/upload/written.bin", source))) return;
    IBackgroundCopyJob_Resume(job);
    for (start = GetTickCount(); GetTickCount() - start < TRANSFER_TIMEOUT; Sleep(20))
        if (FAILED(IBackgroundCopyJob_GetProgress(job, &progress)) || progress.BytesTransferred) break;
    ok(progress.BytesTransferred && progress.BytesTransferred < size, "%I64u bytes sent.\n", progress.BytesTransferred);
    handle = CreateFileW(source, GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                         OPEN_EXISTING, 0, NULL);
    /* The reference pages say the file may change during the upload; a BITS
     * that denies writing would make that impossible. */
    ok(handle != INVALID_HANDLE_VALUE || broken(GetLastError() == ERROR_SHARING_VIOLATION),
       "cannot open the file being uploaded for writing: %lu.\n", GetLastError());
    if (handle == INVALID_HANDLE_VALUE)
    {
        finish_job(job);
        DeleteFileW(source);
        return;
    }
    offset.QuadPart = size - 100;
    SetFilePointerEx(handle, offset, NULL, FILE_BEGIN);
    ok(WriteFile(handle, other, sizeof(other), &written, NULL), "WriteFile failed: %lu.\n", GetLastError());
    /* Not left to the file system, which may note the write late. */
    SystemTimeToFileTime(&modified, &modified_ft);
    ok(SetFileTime(handle, NULL, NULL, &modified_ft), "SetFileTime failed: %lu.\n", GetLastError());
    CloseHandle(handle);
    EnterCriticalSection(&bits_server.cs);
    bits_server.ack_delay_ms = 0;
    LeaveCriticalSection(&bits_server.cs);
    check_upload_stopped_by_change(job, size, source);
}

/* The server lost the session (BG_E_SESSION_NOT_FOUND): a new one, from the start. */
static void test_upload_session_lost(void)
{
    static const UINT64 size = 2 * 1024 * 1024 + 7;
    IBackgroundCopyJob *job;
    WCHAR source[MAX_PATH];

    bits_server_reset();
    bits_server.forget_at_fragment = 2;
    swprintf(source, ARRAY_SIZE(source), L"%lsupload-lost.bin", base_dir);
    make_source(source, size, 35);
    if (!(job = create_upload_job(L"lost", "/upload/lost.bin", source))) return;
    IBackgroundCopyJob_Resume(job);
    if (wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSFERRED), RETRY_TIMEOUT, TRUE) == BG_JOB_STATE_TRANSFERRED)
    {
        EnterCriticalSection(&bits_server.cs);
        ok(bits_server.creates == 2, "%u Create-Session packets, expected a second session.\n", bits_server.creates);
        ok(bits_server.session_count == 2, "%u sessions.\n", bits_server.session_count);
        if (bits_server.session_count == 2) check_uploaded(&bits_server.sessions[1], size, 35, "upload-lost.bin");
        LeaveCriticalSection(&bits_server.cs);
    }
    finish_job(job);
    DeleteFileW(source);
}

/* A count of the server's (bits_server.closes, .cancels...), once it is
 * @count or @timeout ms passed. */
static unsigned int wait_counter(const unsigned int *counter, unsigned int count, DWORD timeout)
{
    DWORD start = GetTickCount();
    unsigned int value;

    for (;;)
    {
        EnterCriticalSection(&bits_server.cs);
        value = *counter;
        LeaveCriticalSection(&bits_server.cs);
        if (value >= count || GetTickCount() - start >= timeout) return value;
        Sleep(50);
    }
}

#define wait_closes(count, timeout) wait_counter(&bits_server.closes, count, timeout)

/* Cancel under way, or of a suspended upload: the server hears Cancel-Session for the session. */
static void test_upload_cancel(BOOL suspend_first)
{
    static const UINT64 size = 4 * 1024 * 1024;
    IBackgroundCopyJob *job;
    BG_JOB_PROGRESS progress;
    WCHAR source[MAX_PATH];
    DWORD start;
    HRESULT hr;

    bits_server_reset();
    bits_server.ack_delay_ms = ACK_DELAY_MS;
    swprintf(source, ARRAY_SIZE(source), L"%lsupload-cancel.bin", base_dir);
    make_source(source, size, 37);
    if (!(job = create_upload_job(L"cancel", "/upload/cancel.bin", source))) return;
    IBackgroundCopyJob_Resume(job);
    /* Once the server has a fragment, cancel. */
    for (start = GetTickCount(); GetTickCount() - start < TRANSFER_TIMEOUT; Sleep(20))
    {
        if (FAILED(IBackgroundCopyJob_GetProgress(job, &progress)) || progress.BytesTransferred) break;
    }
    ok(progress.BytesTransferred && progress.BytesTransferred < size, "progress %I64u before Cancel.\n",
       progress.BytesTransferred);
    if (suspend_first)
    {
        hr = IBackgroundCopyJob_Suspend(job);
        ok(hr == S_OK, "Suspend failed: %#lx.\n", hr);
        Sleep(ACK_DELAY_MS * 2);
        EnterCriticalSection(&bits_server.cs);
        ok(!bits_server.cancels && !bits_server.closes, "Suspend ended the session.\n");
        LeaveCriticalSection(&bits_server.cs);
    }
    hr = IBackgroundCopyJob_Cancel(job);
    ok(hr == S_OK || hr == BG_S_UNABLE_TO_DELETE_FILES, "Cancel failed: %#lx.\n", hr);
    wait_counter(&bits_server.cancels, 1, TRANSFER_TIMEOUT);
    EnterCriticalSection(&bits_server.cs);
    ok(bits_server.cancels == 1, "%u Cancel-Session packets.\n", bits_server.cancels);
    ok(bits_server.session_count == 1 && bits_server.sessions[0].cancelled, "the session was not cancelled.\n");
    ok(!bits_server.closes, "%u Close-Session packets for a cancelled upload.\n", bits_server.closes);
    LeaveCriticalSection(&bits_server.cs);
    IBackgroundCopyJob_Release(job);
    DeleteFileW(source);
}

/* Close-Session and Cancel-Session are sent again while the server fails
 * them with a 5xx, whatever BITS error it names but BG_E_SESSION_NOT_FOUND
 * (behavior.md 16.3).  A close that did not get through does not hold the
 * job back: the server has the file (2.2), the job is TRANSFERRED, and the
 * close goes again in the background. */
static void test_upload_end_retry(void)
{
    static const UINT64 size = 100000;
    BG_JOB_PROGRESS progress;
    IBackgroundCopyJob *job;
    WCHAR source[MAX_PATH];
    BG_JOB_STATE state;
    DWORD start;
    HRESULT hr;

    swprintf(source, ARRAY_SIZE(source), L"%lsupload-end-retry.bin", base_dir);
    make_source(source, size, 38);

    /* Two failed closes: TRANSFERRED at once, and the close goes again
     * after each retry delay (5 s), through Complete, until it is taken. */
    bits_server_reset();
    bits_server.end_failures = 2;
    if ((job = create_upload_job(L"close-retry", "/upload/close-retry.bin", source)))
    {
        IBackgroundCopyJob_Resume(job);
        state = wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSFERRED), TRANSFER_TIMEOUT, FALSE);
        ok(state == BG_JOB_STATE_TRANSFERRED, "job in state %u.\n", state);
        ok(wait_closes(1, 0) == 1, "%u Close-Session packets when transferred.\n", wait_closes(1, 0));
        hr = IBackgroundCopyJob_Complete(job);
        ok(hr == S_OK, "Complete failed: %#lx.\n", hr);
        ok(wait_closes(3, 2 * RETRY_TIMEOUT) == 3, "%u Close-Session packets.\n", wait_closes(3, 0));
        EnterCriticalSection(&bits_server.cs);
        ok(bits_server.creates == 1, "%u Create-Session packets.\n", bits_server.creates);
        ok(bits_server.session_count == 1 && bits_server.sessions[0].closed, "the session was not closed.\n");
        LeaveCriticalSection(&bits_server.cs);
        finish_job(job);
    }

    /* A 5xx that names another BITS error is sent again too. */
    bits_server_reset();
    bits_server.end_failures = 1;
    bits_server.end_error_code = E_ACCESSDENIED;
    if ((job = create_upload_job(L"close-denied", "/upload/close-denied.bin", source)))
    {
        IBackgroundCopyJob_Resume(job);
        state = wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSFERRED), TRANSFER_TIMEOUT, FALSE);
        ok(state == BG_JOB_STATE_TRANSFERRED, "job in state %u.\n", state);
        ok(wait_closes(2, RETRY_TIMEOUT) == 2, "%u Close-Session packets.\n", wait_closes(2, 0));
        EnterCriticalSection(&bits_server.cs);
        ok(bits_server.session_count == 1 && bits_server.sessions[0].closed, "the session was not closed.\n");
        LeaveCriticalSection(&bits_server.cs);
        finish_job(job);
    }

    /* The server has no such session: it is the server's last word, one close. */
    bits_server_reset();
    bits_server.end_failures = 1;
    bits_server.end_error_code = BG_E_SESSION_NOT_FOUND;
    if ((job = create_upload_job(L"close-unknown", "/upload/close-unknown.bin", source)))
    {
        IBackgroundCopyJob_Resume(job);
        state = wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSFERRED), TRANSFER_TIMEOUT, FALSE);
        ok(state == BG_JOB_STATE_TRANSFERRED, "job in state %u.\n", state);
        EnterCriticalSection(&bits_server.cs);
        ok(bits_server.closes == 1, "%u Close-Session packets.\n", bits_server.closes);
        LeaveCriticalSection(&bits_server.cs);
        finish_job(job);
    }

    /* A failed Cancel-Session goes again after the job's retry delay (5 s). */
    bits_server_reset();
    bits_server.ack_delay_ms = ACK_DELAY_MS;
    make_source(source, 4 * 1024 * 1024, 38);
    if ((job = create_upload_job(L"cancel-retry", "/upload/cancel-retry.bin", source)))
    {
        IBackgroundCopyJob_Resume(job);
        for (start = GetTickCount(); GetTickCount() - start < TRANSFER_TIMEOUT; Sleep(20))
            if (FAILED(IBackgroundCopyJob_GetProgress(job, &progress)) || progress.BytesTransferred) break;
        hr = IBackgroundCopyJob_Suspend(job);
        ok(hr == S_OK, "Suspend failed: %#lx.\n", hr);
        EnterCriticalSection(&bits_server.cs);
        bits_server.end_failures = 1;
        LeaveCriticalSection(&bits_server.cs);
        hr = IBackgroundCopyJob_Cancel(job);
        ok(hr == S_OK || hr == BG_S_UNABLE_TO_DELETE_FILES, "Cancel failed: %#lx.\n", hr);
        start = GetTickCount();
        wait_counter(&bits_server.cancels, 2, RETRY_TIMEOUT);
        ok(GetTickCount() - start >= 3000, "sent again after %lu ms.\n", GetTickCount() - start);
        EnterCriticalSection(&bits_server.cs);
        ok(bits_server.cancels == 2, "%u Cancel-Session packets.\n", bits_server.cancels);
        ok(bits_server.session_count == 1 && bits_server.sessions[0].cancelled, "the session was not cancelled.\n");
        ok(!bits_server.closes, "%u Close-Session packets.\n", bits_server.closes);
        LeaveCriticalSection(&bits_server.cs);
        IBackgroundCopyJob_Release(job);
    }
    DeleteFileW(source);
}

/* An upload-reply job of @source to @path on the test server, with its
 * IBackgroundCopyJob2; NULL if it could not be made. */
static IBackgroundCopyJob *create_reply_job(const WCHAR *tag, const char *path, const WCHAR *source, ULONG retry_delay,
                                            IBackgroundCopyJob2 **job2)
{
    IBackgroundCopyJob *job;
    WCHAR name[128], url[256];
    HRESULT hr;
    GUID id;

    make_name(name, ARRAY_SIZE(name), tag);
    hr = IBackgroundCopyManager_CreateJob(manager, name, BG_JOB_TYPE_UPLOAD_REPLY, &id, &job);
    ok(hr == S_OK, "CreateJob failed: %#lx.\n", hr);
    if (FAILED(hr)) return NULL;
    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob2, (void **)job2);
    ok(hr == S_OK, "QueryInterface(IBackgroundCopyJob2) failed: %#lx.\n", hr);
    if (FAILED(hr))
    {
        finish_job(job);
        return NULL;
    }
    hr = IBackgroundCopyJob_SetMinimumRetryDelay(job, retry_delay);
    ok(hr == S_OK, "SetMinimumRetryDelay failed: %#lx.\n", hr);
    hr = IBackgroundCopyJob_AddFile(job, httpd_url(httpd, path, url, ARRAY_SIZE(url)), source);
    ok(hr == S_OK, "AddFile failed: %#lx.\n", hr);
    return job;
}

/* Upload-reply: the reply is downloaded from the URL of the last Ack, readable
 * with GetReplyData, and its file appears at Complete; the session closes
 * after the reply came. */
static void test_upload_reply(BOOL with_reply)
{
    static const UINT64 size = 100000;
    IBackgroundCopyJob2 *job2;
    BG_JOB_REPLY_PROGRESS reply_progress;
    IBackgroundCopyJob *job;
    WCHAR source[MAX_PATH], reply_name[MAX_PATH], *got_name = NULL;
    char expected[128];
    BYTE *data = NULL;
    UINT64 length = 0;
    HRESULT hr;

    bits_server_reset();
    bits_server.reply = with_reply;
    swprintf(source, ARRAY_SIZE(source), L"%lsupload-reply-%d.bin", base_dir, with_reply);
    make_source(source, size, 38);
    if (!(job = create_reply_job(L"reply", "/upload/reply.bin", source, 5, &job2)))
    {
        DeleteFileW(source);
        return;
    }
    swprintf(reply_name, ARRAY_SIZE(reply_name), L"%lsreply-%d.txt", base_dir, with_reply);
    if (with_reply)
    {
        hr = IBackgroundCopyJob2_SetReplyFileName(job2, reply_name);
        ok(hr == S_OK, "SetReplyFileName failed: %#lx.\n", hr);
    }
    IBackgroundCopyJob_Resume(job);
    if (wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSFERRED), TRANSFER_TIMEOUT, FALSE) == BG_JOB_STATE_TRANSFERRED)
    {
        snprintf(expected, sizeof(expected), "reply to upload-reply-%d.bin: %I64u bytes", with_reply, size);
        hr = IBackgroundCopyJob2_GetReplyProgress(job2, &reply_progress);
        ok(hr == S_OK, "GetReplyProgress failed: %#lx.\n", hr);
        ok(reply_progress.BytesTotal == (with_reply ? strlen(expected) : 0) &&
           reply_progress.BytesTransferred == reply_progress.BytesTotal, "reply progress %I64u/%I64u.\n",
           reply_progress.BytesTransferred, reply_progress.BytesTotal);
        hr = IBackgroundCopyJob2_GetReplyData(job2, &data, &length);
        ok(hr == S_OK, "GetReplyData failed: %#lx.\n", hr);
        ok(length == (with_reply ? strlen(expected) : 0) && (!length || !memcmp(data, expected, length)),
           "reply data %s.\n", wine_dbgstr_an((char *)data, (int)length));
        /* No reply, no buffer (interfaces.md 4.2). */
        if (!with_reply) ok(!data, "got a buffer for no reply.\n");
        CoTaskMemFree(data);
        /* The length is [unique]: without it the data still comes (interfaces.md 15, item 3). */
        data = NULL;
        hr = IBackgroundCopyJob2_GetReplyData(job2, &data, NULL);
        ok(hr == S_OK, "GetReplyData without a length failed: %#lx.\n", hr);
        if (with_reply) ok(data && !memcmp(data, expected, strlen(expected)), "no reply data without a length.\n");
        CoTaskMemFree(data);
        EnterCriticalSection(&bits_server.cs);
        ok(bits_server.closes == 1 && bits_server.session_count == 1 && bits_server.sessions[0].closed,
           "%u Close-Session packets after the reply.\n", bits_server.closes);
        LeaveCriticalSection(&bits_server.cs);

        hr = IBackgroundCopyJob2_GetReplyFileName(job2, &got_name);
        ok(hr == S_OK && got_name, "GetReplyFileName failed: %#lx.\n", hr);
        if (got_name && !with_reply)
        {
            /* Made by BITS next to the uploaded file. */
            ok(!wcsnicmp(got_name, base_dir, wcslen(base_dir)) && !wcschr(got_name + wcslen(base_dir), '\\'),
               "generated reply file name %s.\n", wine_dbgstr_w(got_name));
        }
        if (with_reply)
            ok(!file_exists(reply_name), "the reply file exists before Complete.\n");
        /* The reply went where its download began (interfaces 4.2). */
        hr = IBackgroundCopyJob2_SetReplyFileName(job2, source);
        ok(hr == BG_E_INVALID_STATE, "SetReplyFileName after the reply returned %#lx.\n", hr);
        hr = IBackgroundCopyJob_Complete(job);
        ok(hr == S_OK, "Complete failed: %#lx.\n", hr);
        if (got_name)
        {
            ok(file_exists(got_name) && file_size(got_name) == (with_reply ? strlen(expected) : 0),
               "reply file %s after Complete: size %I64u.\n", wine_dbgstr_w(got_name), file_size(got_name));
            DeleteFileW(got_name);
        }
        CoTaskMemFree(got_name);
    }
    IBackgroundCopyJob2_Release(job2);
    finish_job(job);
    DeleteFileW(source);
}

/* SMB uploads: a full path or a file:// URL as the remote name.  The
 * destination appears whole, under its name, when the job is TRANSFERRED. */
static void test_upload_smb(BOOL file_url)
{
    static const SYSTEMTIME created = { 2002, 3, 1, 4, 5, 6, 7, 0 }, modified = { 2006, 7, 3, 8, 9, 10, 11, 0 };
    static const DWORD attributes = FILE_ATTRIBUTE_READONLY | FILE_ATTRIBUTE_HIDDEN | FILE_ATTRIBUTE_ARCHIVE;
    static const UINT64 size = 1536 * 1024 + 5;
    WIN32_FILE_ATTRIBUTE_DATA source_data;
    IBackgroundCopyJob *job;
    WCHAR source[MAX_PATH], target[MAX_PATH], remote[MAX_PATH + 16], name[128], bystander[MAX_PATH + 16], *p;
    unsigned int count;
    HRESULT hr;
    GUID id;

    swprintf(source, ARRAY_SIZE(source), L"%lsupload-smb-%d.bin", base_dir, file_url);
    swprintf(target, ARRAY_SIZE(target), L"%lssmb-target-%d.bin", base_dir, file_url);
    make_source(source, size, 39);
    /* A file of the user's beside the destination, with a name BITS might
     * have chosen for its temporary file: it must stay as it is. */
    swprintf(bystander, ARRAY_SIZE(bystander), L"%ls.bitsupload", target);
    make_source(bystander, 1000, 40);
    SetFileAttributesW(bystander, FILE_ATTRIBUTE_READONLY);
    /* SMB uploads carry the time stamps and attributes over (behavior.md 7.4);
     * what the file system kept of them is what the copy must have. */
    ok(set_file_times(source, &created, &modified), "cannot set the times of %s: %lu.\n", wine_dbgstr_w(source),
       GetLastError());
    ok(SetFileAttributesW(source, attributes), "SetFileAttributes failed: %lu.\n", GetLastError());
    ok(GetFileAttributesExW(source, GetFileExInfoStandard, &source_data), "GetFileAttributesEx failed: %lu.\n",
       GetLastError());
    if (file_url)
    {
        swprintf(remote, ARRAY_SIZE(remote), L"file:///%ls", target);
        for (p = remote; *p; p++) if (*p == '\\') *p = '/';
    }
    else wcscpy(remote, target);
    make_name(name, ARRAY_SIZE(name), L"smb");
    hr = IBackgroundCopyManager_CreateJob(manager, name, BG_JOB_TYPE_UPLOAD, &id, &job);
    ok(hr == S_OK, "CreateJob failed: %#lx.\n", hr);
    if (FAILED(hr)) return;
    hr = IBackgroundCopyJob_AddFile(job, remote, source);
    ok(hr == S_OK, "AddFile(%s) failed: %#lx.\n", wine_dbgstr_w(remote), hr);
    IBackgroundCopyJob_Resume(job);
    if (wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSFERRED), TRANSFER_TIMEOUT, FALSE) == BG_JOB_STATE_TRANSFERRED)
    {
        check_pattern_file(target, 39, size);
        check_copied_metadata(target, &source_data);
        count = count_files(base_dir, FALSE);
        ok(count == 3, "%u files in the directory: a temporary file is left.\n", count);
        if (count != 3) count_files(base_dir, TRUE);
        check_pattern_file(bystander, 40, 1000);
        hr = IBackgroundCopyJob_Complete(job);
        ok(hr == S_OK, "Complete failed: %#lx.\n", hr);
    }
    finish_job(job);
    SetFileAttributesW(source, FILE_ATTRIBUTE_NORMAL);
    SetFileAttributesW(target, FILE_ATTRIBUTE_NORMAL);
    SetFileAttributesW(bystander, FILE_ATTRIBUTE_NORMAL);
    DeleteFileW(source);
    DeleteFileW(target);
    DeleteFileW(bystander);
}

/* SetFileACLFlags over SMB: the copy on the share takes the local file's
 * owner, group and DACL (behavior.md 7.6); owner and group need an elevated
 * administrator's privileges, without which the job stops in TRANSIENT_ERROR
 * with E_ACCESSDENIED. */
static void test_upload_smb_acl(void)
{
    static const DWORD flags = BG_COPY_FILE_OWNER | BG_COPY_FILE_GROUP | BG_COPY_FILE_DACL;
    static const UINT64 size = 4099;
    BOOL admin = expected_caller_admin();
    WCHAR source[MAX_PATH], target[MAX_PATH], name[128];
    IBackgroundCopyJob3 *job3 = NULL;
    IBackgroundCopyJob *job = NULL;
    BG_ERROR_CONTEXT context;
    BG_JOB_STATE state;
    HRESULT hr, code;
    GUID id;

    swprintf(source, ARRAY_SIZE(source), L"%lsupload-acl.bin", base_dir);
    swprintf(target, ARRAY_SIZE(target), L"%lsacl-target.bin", base_dir);
    make_source(source, size, 41);
    ok(set_read_only_dacl(source), "cannot set the DACL of %s: %lu.\n", wine_dbgstr_w(source), GetLastError());
    make_name(name, ARRAY_SIZE(name), L"smb-acl");
    hr = IBackgroundCopyManager_CreateJob(manager, name, BG_JOB_TYPE_UPLOAD, &id, &job);
    ok(hr == S_OK, "CreateJob failed: %#lx.\n", hr);
    if (FAILED(hr)) goto done;
    set_retry_delay(job, 60);
    if (!(job3 = query_optional(job, &IID_IBackgroundCopyJob3, "IBackgroundCopyJob3"))) goto done;
    hr = IBackgroundCopyJob3_SetFileACLFlags(job3, flags);
    ok(hr == S_OK, "SetFileACLFlags failed: %#lx.\n", hr);
    hr = IBackgroundCopyJob_AddFile(job, target, source);
    ok(hr == S_OK, "AddFile failed: %#lx.\n", hr);
    IBackgroundCopyJob_Resume(job);
    if (admin)
    {
        state = wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSFERRED), TRANSFER_TIMEOUT, FALSE);
        if (state != BG_JOB_STATE_TRANSFERRED) goto done;
        check_pattern_file(target, 41, size);
        check_same_security(target, source,
                            OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION);
        hr = IBackgroundCopyJob_Complete(job);
        ok(hr == S_OK, "Complete failed: %#lx.\n", hr);
    }
    else
    {
        state = wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSIENT_ERROR), FAILURE_TIMEOUT, FALSE);
        if (state != BG_JOB_STATE_TRANSIENT_ERROR) goto done;
        ok(get_job_error(job, &context, &code), "GetError failed.\n");
        ok(code == E_ACCESSDENIED, "got code %#lx.\n", code);
        trace("error context %u.\n", context);
        check_no_file(target);
    }
done:
    if (job3) IBackgroundCopyJob3_Release(job3);
    finish_job(job);
    delete_read_only(source);
    delete_read_only(target);
}

/* BITS-Host-Id: the packets after Create-Session go to the host the server
 * named, also from a URL with a user name and password; when it stays
 * unreachable past the fallback timeout, they go to the original server
 * again, in the same session (behavior.md 16.3). */
enum host_id_case { HOST_ID_REACHABLE, HOST_ID_UNREACHABLE, HOST_ID_USERINFO };

static void test_upload_host_id(enum host_id_case which)
{
    static const UINT64 size = 1024 * 1024 + 3;
    BOOL reachable = which != HOST_ID_UNREACHABLE;
    struct httpd_log_entry entry;
    IBackgroundCopyJob *job;
    WCHAR source[MAX_PATH], url[256], name[128];
    char host[64], expected[64];
    unsigned int i, fragments_elsewhere = 0, fragments_here = 0;
    HRESULT hr;
    GUID id;

    bits_server_reset();
    httpd_log_clear(httpd);
    if (reachable) strcpy(bits_server.host_id, "localhost");
    else
    {
        /* Nothing listens there: connections are refused at once. */
        strcpy(bits_server.host_id, "127.0.0.1:1");
        bits_server.host_fallback_s = 1;
    }
    swprintf(source, ARRAY_SIZE(source), L"%lsupload-host-%d.bin", base_dir, which);
    make_source(source, size, 40);
    if (which == HOST_ID_USERINFO)
    {
        make_name(name, ARRAY_SIZE(name), L"host id userinfo");
        hr = IBackgroundCopyManager_CreateJob(manager, name, BG_JOB_TYPE_UPLOAD, &id, &job);
        ok(hr == S_OK, "CreateJob failed: %#lx.\n", hr);
        if (FAILED(hr)) return;
        IBackgroundCopyJob_SetMinimumRetryDelay(job, 5);
        swprintf(url, ARRAY_SIZE(url), L"http://user:secret@127.0.0.1:%u/upload/host-userinfo.bin", httpd_port(httpd));
        hr = IBackgroundCopyJob_AddFile(job, url, source);
        ok(hr == S_OK, "AddFile failed: %#lx.\n", hr);
    }
    else if (!(job = create_upload_job(L"host id", "/upload/host.bin", source))) return;
    IBackgroundCopyJob_Resume(job);
    if (wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSFERRED), RETRY_TIMEOUT, TRUE) == BG_JOB_STATE_TRANSFERRED)
    {
        snprintf(expected, sizeof(expected), "localhost:%u", httpd_port(httpd));
        for (i = 0; httpd_log_get(httpd, i, &entry); i++)
        {
            if (!httpd_log_header(&entry, "BITS-Packet-Type", host, sizeof(host)) || strcmp(host, "Fragment")) continue;
            if (!httpd_log_header(&entry, "Host", host, sizeof(host))) host[0] = 0;
            if (!strcmp(host, expected)) fragments_elsewhere++;
            else fragments_here++;
        }
        EnterCriticalSection(&bits_server.cs);
        if (reachable)
        {
            ok(fragments_elsewhere && !fragments_here, "%u fragments to the named host, %u to the original.\n",
               fragments_elsewhere, fragments_here);
            ok(bits_server.creates == 1 && bits_server.closes == 1, "%u sessions, %u closed.\n", bits_server.creates,
               bits_server.closes);
        }
        else
        {
            /* Given up: the original server, which knows the session. */
            ok(bits_server.creates == 1, "%u Create-Session packets.\n", bits_server.creates);
            ok(bits_server.session_count == 1 && bits_server.sessions[0].received == size &&
               bits_server.sessions[0].closed, "the session did not get the file.\n");
            ok(fragments_here && !fragments_elsewhere, "%u fragments to the original host.\n", fragments_here);
        }
        LeaveCriticalSection(&bits_server.cs);
    }
    finish_job(job);
    DeleteFileW(source);
}

/* BITS-Reply-URL is any URI reference, made absolute against the upload's
 * URL (behavior.md 16.3): a path with a ':' in its query, a network-path
 * reference, a query alone; after a redirect, against the URL that answered.
 * The reply comes from there. */
static void test_upload_reply_relative(void)
{
    static const struct { const char *reply_url; const char *resource; const char *upload; const char *decoy; } cases[] =
    {
        { "/reply-colon.bin?t=10:00", "/reply-colon.bin", "/upload/reply-query.bin" },
        { "//127.0.0.1:%u/reply-netpath.bin", "/reply-netpath.bin", "/upload/reply-query.bin" },
        { "?part=reply", "/upload/reply-query.bin", "/upload/reply-query.bin" },
        { "reply-moved.bin", "/upload/reply-moved.bin", "/moved-upload/reply-query.bin", "/moved-upload/reply-moved.bin" },
    };
    IBackgroundCopyJob2 *job2;
    IBackgroundCopyJob *job;
    WCHAR source[MAX_PATH];
    char expected[64];
    BYTE *data;
    UINT64 length;
    unsigned int i;
    HRESULT hr;

    swprintf(source, ARRAY_SIZE(source), L"%lsupload-reply-relative.bin", base_dir);
    make_source(source, 1000, 53);
    for (i = 0; i < ARRAY_SIZE(cases); i++)
    {
        winetest_push_context("%s", cases[i].reply_url);
        bits_server_reset();
        bits_server.reply = TRUE;
        snprintf(bits_server.reply_url, sizeof(bits_server.reply_url), cases[i].reply_url, httpd_port(httpd));
        snprintf(expected, sizeof(expected), "the reply of case %u", i);
        ok(httpd_add_resource(httpd, cases[i].resource, expected, strlen(expected), NULL), "cannot add the reply.\n");
        /* Where a reply relative to the URL first asked would be. */
        if (cases[i].decoy)
            ok(httpd_add_resource(httpd, cases[i].decoy, "the wrong reply", 15, NULL), "cannot add the decoy.\n");
        if ((job = create_reply_job(L"relative reply", cases[i].upload, source, 60, &job2)))
        {
            IBackgroundCopyJob_Resume(job);
            if (wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSFERRED), TRANSFER_TIMEOUT, FALSE) == BG_JOB_STATE_TRANSFERRED)
            {
                data = NULL;
                length = 0;
                hr = IBackgroundCopyJob2_GetReplyData(job2, &data, &length);
                ok(hr == S_OK, "GetReplyData failed: %#lx.\n", hr);
                ok(length == strlen(expected) && data && !memcmp(data, expected, length), "reply %s.\n",
                   wine_dbgstr_an((char *)data, (int)length));
                CoTaskMemFree(data);
            }
            IBackgroundCopyJob2_Release(job2);
            finish_job(job);
        }
        httpd_remove_resource(httpd, cases[i].resource);
        if (cases[i].decoy) httpd_remove_resource(httpd, cases[i].decoy);
        winetest_pop_context();
    }
    DeleteFileW(source);
}

/* The server application behind a BITS server may take its time over the
 * last fragment: BITS waits up to five minutes for the Ack (behavior.md
 * 5.1, 16.4), longer than WinHTTP's 30 s, and sends the fragment once. */
static void test_upload_slow_ack(void)
{
    IBackgroundCopyJob *job;
    WCHAR source[MAX_PATH];
    BG_JOB_STATE state;

    swprintf(source, ARRAY_SIZE(source), L"%lsupload-slow-ack.bin", base_dir);
    make_source(source, 1000, 55);
    bits_server_reset();
    bits_server.ack_delay_ms = 32000;
    if ((job = create_upload_job(L"slow ack", "/upload/slow-ack.bin", source)))
    {
        IBackgroundCopyJob_Resume(job);
        state = wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSFERRED), 50000, TRUE);
        ok(state == BG_JOB_STATE_TRANSFERRED, "job in state %s.\n", state_name(state));
        EnterCriticalSection(&bits_server.cs);
        ok(bits_server.fragments == 1, "%u Fragment packets.\n", bits_server.fragments);
        LeaveCriticalSection(&bits_server.cs);
        finish_job(job);
    }
    bits_server_reset();
    DeleteFileW(source);
}

/* Cancel while a Fragment waits for its Ack longer than Cancel waits for
 * the transfer: Cancel answers S_OK (an upload has no temporary file to
 * leave), and the run cancels the session once its Fragment is answered,
 * one request at a time (behavior.md 16.1, 6.2). */
static void test_upload_cancel_during_slow_ack(void)
{
    IBackgroundCopyJob *job;
    WCHAR source[MAX_PATH];
    HRESULT hr;

    swprintf(source, ARRAY_SIZE(source), L"%lsupload-cancel-slow-ack.bin", base_dir);
    make_source(source, 1536 * 1024, 57);  /* two Fragments: cancelled after the first */
    bits_server_reset();
    bits_server.ack_delay_ms = 13000;
    if ((job = create_upload_job(L"cancel slow ack", "/upload/cancel-slow-ack.bin", source)))
    {
        IBackgroundCopyJob_Resume(job);
        /* The server counts a Fragment once it answers: by then the Fragment
         * has waited 1.5 s of its 13 s. */
        Sleep(1500);
        hr = IBackgroundCopyJob_Cancel(job);
        ok(hr == S_OK, "Cancel returned %#lx.\n", hr);
        wait_counter(&bits_server.cancels, 1, 10000);
        Sleep(500);
        EnterCriticalSection(&bits_server.cs);
        ok(bits_server.cancels == 1, "%u Cancel-Session packets.\n", bits_server.cancels);
        LeaveCriticalSection(&bits_server.cs);
        IBackgroundCopyJob_Release(job);
    }
    bits_server_reset();
    DeleteFileW(source);
}

/* A reply of more than 1 MB is not handed out by GetReplyData: BG_E_TOO_LARGE,
 * no buffer, and the reply's size as the length (interfaces.md 4.2).  The
 * reply file has all of it after Complete. */
static void test_upload_reply_too_large(void)
{
    static const UINT64 reply_size = 1024 * 1024 + 1;
    IBackgroundCopyJob2 *job2;
    IBackgroundCopyJob *job;
    WCHAR source[MAX_PATH], reply_name[MAX_PATH];
    BYTE *data = (BYTE *)0xdeadbeef;
    UINT64 length = 0;
    HRESULT hr;

    bits_server_reset();
    bits_server.reply = TRUE;
    strcpy(bits_server.reply_url, "/reply-too-large.bin");
    ok(httpd_add_pattern_resource(httpd, "/reply-too-large.bin", reply_size, 43, NULL), "cannot add the reply.\n");
    swprintf(source, ARRAY_SIZE(source), L"%lsupload-large-reply.bin", base_dir);
    swprintf(reply_name, ARRAY_SIZE(reply_name), L"%lslarge-reply.bin", base_dir);
    make_source(source, 1000, 44);
    if (!(job = create_reply_job(L"large reply", "/upload/large-reply.bin", source, 5, &job2)))
    {
        DeleteFileW(source);
        return;
    }
    hr = IBackgroundCopyJob2_SetReplyFileName(job2, reply_name);
    ok(hr == S_OK, "SetReplyFileName failed: %#lx.\n", hr);
    IBackgroundCopyJob_Resume(job);
    if (wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSFERRED), TRANSFER_TIMEOUT, FALSE) == BG_JOB_STATE_TRANSFERRED)
    {
        hr = IBackgroundCopyJob2_GetReplyData(job2, &data, &length);
        ok(hr == BG_E_TOO_LARGE, "GetReplyData returned %#lx.\n", hr);
        ok(!data, "got a buffer %p.\n", data);
        ok(length == reply_size, "got length %I64u.\n", length);
        if (SUCCEEDED(hr)) CoTaskMemFree(data);
        hr = IBackgroundCopyJob_Complete(job);
        ok(hr == S_OK, "Complete failed: %#lx.\n", hr);
        check_pattern_file(reply_name, 43, reply_size);
        DeleteFileW(reply_name);
    }
    IBackgroundCopyJob2_Release(job2);
    finish_job(job);
    DeleteFileW(source);
}

/* A reply that cannot be fetched (404) fails the job, and the error is the
 * reply's by the documented rule (behavior.md 5.3): context REMOTE_FILE with
 * the reply's BytesTotal known, where BG_SIZE_UNKNOWN would blame the upload.
 * The error names no file of the job. */
static void test_upload_reply_missing(void)
{
    BG_JOB_REPLY_PROGRESS reply_progress;
    WCHAR *protocol;
    IBackgroundCopyError *error;
    IBackgroundCopyFile *file;
    IBackgroundCopyJob2 *job2;
    IBackgroundCopyJob *job;
    BG_ERROR_CONTEXT context;
    WCHAR source[MAX_PATH];
    HRESULT hr, code;

    bits_server_reset();
    bits_server.reply = TRUE;
    strcpy(bits_server.reply_url, "/no-such-reply.bin");
    swprintf(source, ARRAY_SIZE(source), L"%lsupload-missing-reply.bin", base_dir);
    make_source(source, 1000, 47);
    if (!(job = create_reply_job(L"missing reply", "/upload/missing-reply.bin", source, 60, &job2)))
    {
        DeleteFileW(source);
        return;
    }
    IBackgroundCopyJob_Resume(job);
    if (wait_state(job, STATE_BIT(BG_JOB_STATE_ERROR), TRANSFER_TIMEOUT, FALSE) == BG_JOB_STATE_ERROR &&
        get_job_error(job, &context, &code))
    {
        ok(code == BG_E_HTTP_ERROR_404, "error %#lx.\n", code);
        ok(context == BG_ERROR_CONTEXT_REMOTE_FILE, "context %u.\n", context);
        hr = IBackgroundCopyJob2_GetReplyProgress(job2, &reply_progress);
        ok(hr == S_OK, "GetReplyProgress failed: %#lx.\n", hr);
        ok(reply_progress.BytesTotal != BG_SIZE_UNKNOWN, "the reply looks not begun: the upload is blamed.\n");
        hr = IBackgroundCopyJob_GetError(job, &error);
        ok(hr == S_OK, "GetError failed: %#lx.\n", hr);
        if (SUCCEEDED(hr))
        {
            file = (IBackgroundCopyFile *)0xdeadbeef;
            hr = IBackgroundCopyError_GetFile(error, &file);
            ok(hr == BG_E_FILE_NOT_AVAILABLE && !file, "GetFile returned %#lx, %p.\n", hr, file);
            /* No file, but a protocol: the reply came over HTTP (interfaces.md 6). */
            protocol = NULL;
            hr = IBackgroundCopyError_GetProtocol(error, &protocol);
            ok(hr == S_OK && protocol && !wcscmp(protocol, L"http"), "GetProtocol returned %#lx, %s.\n", hr,
               wine_dbgstr_w(protocol));
            CoTaskMemFree(protocol);
            IBackgroundCopyError_Release(error);
        }
    }
    IBackgroundCopyJob2_Release(job2);
    finish_job(job);
    DeleteFileW(source);
}

/* What a server says must not harm the client: a reply "URL" naming a local
 * file is refused, and a failed Ack stays a failure whatever its error code. */
/* bad_reply: a reply URL no job may take (a local name; a '*', which AddFile
 * refuses and a record would not load with); NULL: a failed Create-Session. */
static void test_upload_bad_server(const char *bad_reply)
{
    IBackgroundCopyJob *job;
    BG_ERROR_CONTEXT context;
    BG_JOB_STATE expected;
    WCHAR source[MAX_PATH], url[256], name[128];
    HRESULT hr, code;
    GUID id;

    winetest_push_context("%s", bad_reply ? bad_reply : "create");
    bits_server_reset();
    if (bad_reply)
    {
        bits_server.reply = TRUE;
        strcpy(bits_server.reply_url, bad_reply);
    }
    else bits_server.create_error_status = 500;
    swprintf(source, ARRAY_SIZE(source), L"%lsupload-bad-%d.bin", base_dir, !!bad_reply);
    make_source(source, 1000, 41);
    make_name(name, ARRAY_SIZE(name), L"bad server");
    hr = IBackgroundCopyManager_CreateJob(manager, name, bad_reply ? BG_JOB_TYPE_UPLOAD_REPLY : BG_JOB_TYPE_UPLOAD,
                                          &id, &job);
    ok(hr == S_OK, "CreateJob failed: %#lx.\n", hr);
    if (FAILED(hr))
    {
        winetest_pop_context();
        return;
    }
    IBackgroundCopyJob_SetMinimumRetryDelay(job, 60);
    hr = IBackgroundCopyJob_AddFile(job, httpd_url(httpd, "/upload/bad.bin", url, ARRAY_SIZE(url)), source);
    ok(hr == S_OK, "AddFile failed: %#lx.\n", hr);
    IBackgroundCopyJob_Resume(job);
    expected = bad_reply ? BG_JOB_STATE_ERROR : BG_JOB_STATE_TRANSIENT_ERROR;
    if (wait_state(job, STATE_BIT(expected), FAILURE_TIMEOUT, FALSE) == expected && get_job_error(job, &context, &code))
    {
        if (bad_reply) ok(code == BG_E_INVALID_SERVER_RESPONSE, "error %#lx for a bad reply URL.\n", code);
        else ok(code == BG_E_HTTP_ERROR_500, "error %#lx for a failed Ack with error code 0.\n", code);
        ok(context == BG_ERROR_CONTEXT_REMOTE_FILE, "context %u.\n", context);
    }
    finish_job(job);
    DeleteFileW(source);
    winetest_pop_context();
}

/* A failed Ack's BITS-Error-Code is the job's error, and its
 * BITS-Error-Context one of the protocol's two (behavior.md 16.3): any other
 * value leaves REMOTE_FILE, so that the context has a description. */
static void test_upload_error_context(void)
{
    static const struct { const char *headers; BG_ERROR_CONTEXT context; } cases[] =
    {
        { "BITS-Error-Code: 0x80070005\r\nBITS-Error-Context: 0x7\r\n", BG_ERROR_CONTEXT_REMOTE_APPLICATION },
        { "BITS-Error-Code: 0x80070005\r\nBITS-Error-Context: 0x1234\r\n", BG_ERROR_CONTEXT_REMOTE_FILE },
    };
    IBackgroundCopyError *error;
    IBackgroundCopyJob *job;
    BG_ERROR_CONTEXT context;
    WCHAR source[MAX_PATH], *text;
    unsigned int i;
    HRESULT hr, code;

    swprintf(source, ARRAY_SIZE(source), L"%lsupload-context.bin", base_dir);
    make_source(source, 1000, 49);
    for (i = 0; i < ARRAY_SIZE(cases); i++)
    {
        winetest_push_context("case %u", i);
        bits_server_reset();
        bits_server.create_error_status = 500;
        bits_server.create_error_headers = cases[i].headers;
        if (!(job = create_upload_job(L"error context", "/upload/context.bin", source)))
        {
            winetest_pop_context();
            continue;
        }
        IBackgroundCopyJob_SetMinimumRetryDelay(job, 60);
        IBackgroundCopyJob_Resume(job);
        if (wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSIENT_ERROR), FAILURE_TIMEOUT, FALSE) ==
            BG_JOB_STATE_TRANSIENT_ERROR && SUCCEEDED(IBackgroundCopyJob_GetError(job, &error)))
        {
            hr = IBackgroundCopyError_GetError(error, &context, &code);
            ok(hr == S_OK, "GetError failed: %#lx.\n", hr);
            ok(code == E_ACCESSDENIED, "error %#lx.\n", code);
            ok(context == cases[i].context, "context %u.\n", context);
            text = NULL;
            hr = IBackgroundCopyError_GetErrorContextDescription(error, MAKELANGID(LANG_ENGLISH, SUBLANG_DEFAULT), &text);
            ok(hr == S_OK && text && text[0], "GetErrorContextDescription returned %#lx, %s.\n", hr,
               wine_dbgstr_w(text));
            CoTaskMemFree(text);
            IBackgroundCopyError_Release(error);
        }
        finish_job(job);
        winetest_pop_context();
    }
    DeleteFileW(source);
}

/* Acks a broken BITS server might send: no session id, an unknown protocol,
 * an endless id, no packet type; a received range that is negative, huge,
 * past the file, not a number, missing, or never moving.  The job ends in an
 * error state with a sane code within the failure timeout (or finishes, for
 * the harmless ones), and the service neither crashes nor spins. */
static void test_upload_bad_acks(void)
{
    static char long_id[5100];
    static const struct { const char *create; const char *range; } cases[] =
    {
        { "BITS-Packet-Type: Ack\r\nBITS-Protocol: {7df0354d-249b-430f-820d-3d2a9bef4931}\r\n", NULL },
        { "BITS-Packet-Type: Ack\r\nBITS-Protocol: {00000000-0000-0000-0000-000000000000}\r\n"
          "BITS-Session-Id: {1}\r\n", NULL },
        { long_id, NULL },
        { "BITS-Protocol: {7df0354d-249b-430f-820d-3d2a9bef4931}\r\nBITS-Session-Id: {2}\r\n", NULL },
        { NULL, "-1" },
        { NULL, "99999999999999999999999" },
        { NULL, "999999" },
        { NULL, "abc" },
        { NULL, "" },
        { NULL, "0" },
    };
    IBackgroundCopyJob *job;
    BG_ERROR_CONTEXT context;
    BG_JOB_STATE state;
    WCHAR source[MAX_PATH];
    unsigned int i;
    HRESULT code;

    strcpy(long_id, "BITS-Packet-Type: Ack\r\nBITS-Protocol: {7df0354d-249b-430f-820d-3d2a9bef4931}\r\n"
                    "BITS-Session-Id: ");
    memset(long_id + strlen(long_id), 'a', 5000);
    strcpy(long_id + strlen(long_id), "\r\n");
    swprintf(source, ARRAY_SIZE(source), L"%lsupload-bad-acks.bin", base_dir);
    make_source(source, 1000, 51);
    for (i = 0; i < ARRAY_SIZE(cases); i++)
    {
        winetest_push_context("case %u", i);
        bits_server_reset();
        bits_server.bad_create_ack = cases[i].create;
        bits_server.bad_fragment_range = cases[i].range;
        if (!(job = create_upload_job(L"bad acks", "/upload/bad-acks.bin", source)))
        {
            winetest_pop_context();
            continue;
        }
        IBackgroundCopyJob_SetMinimumRetryDelay(job, 60);
        IBackgroundCopyJob_Resume(job);
        state = wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSIENT_ERROR) | STATE_BIT(BG_JOB_STATE_ERROR) |
                           STATE_BIT(BG_JOB_STATE_TRANSFERRED), FAILURE_TIMEOUT, TRUE);
        ok(state == BG_JOB_STATE_TRANSIENT_ERROR || state == BG_JOB_STATE_ERROR || state == BG_JOB_STATE_TRANSFERRED,
           "state %s.\n", state_name(state));
        if ((state == BG_JOB_STATE_TRANSIENT_ERROR || state == BG_JOB_STATE_ERROR) &&
            get_job_error(job, &context, &code))
        {
            trace("%s, context %u, code %#lx.\n", state_name(state), context, code);
            ok(code_is_sane(code), "got code %#lx.\n", code);
        }
        else if (state == BG_JOB_STATE_TRANSFERRED) trace("transferred.\n");
        finish_job(job);
        winetest_pop_context();
    }
    bits_server_reset();
    DeleteFileW(source);
}

/* Sends every BITS_POST under /moved-upload/ to the same name under /upload/. */
static BOOL moved_upload_handler(struct httpd_request *request, void *context)
{
    char headers[300];

    snprintf(headers, sizeof(headers), "Location: /upload/%s\r\n",
             httpd_request_path(request) + strlen("/moved-upload/"));
    return httpd_respond(request, 307, headers, NULL, 0);
}

/* Redirect policies are for downloads (behavior.md 3): an upload follows a
 * redirect whatever its job's flags say, and keeps its remote name. */
static void test_upload_redirect_policy(void)
{
    static const ULONG policies[] = { BG_HTTP_REDIRECT_POLICY_DISALLOW, BG_HTTP_REDIRECT_POLICY_ALLOW_REPORT };
    IBackgroundCopyJobHttpOptions *options;
    IBackgroundCopyFile *file;
    IEnumBackgroundCopyFiles *files;
    IBackgroundCopyJob *job;
    WCHAR source[MAX_PATH], url[256], *remote;
    unsigned int i;
    HRESULT hr;

    for (i = 0; i < ARRAY_SIZE(policies); i++)
    {
        winetest_push_context("policy %#lx", policies[i]);
        bits_server_reset();
        swprintf(source, ARRAY_SIZE(source), L"%lsupload-moved.bin", base_dir);
        make_source(source, 5000, 37);
        if (!(job = create_upload_job(L"moved", "/moved-upload/moved.bin", source)))
        {
            winetest_pop_context();
            continue;
        }
        hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJobHttpOptions, (void **)&options);
        ok(hr == S_OK, "no IBackgroundCopyJobHttpOptions: %#lx.\n", hr);
        if (SUCCEEDED(hr))
        {
            hr = IBackgroundCopyJobHttpOptions_SetSecurityFlags(options, policies[i]);
            ok(hr == S_OK, "SetSecurityFlags failed: %#lx.\n", hr);
            IBackgroundCopyJobHttpOptions_Release(options);
        }
        IBackgroundCopyJob_Resume(job);
        if (wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSFERRED), TRANSFER_TIMEOUT, TRUE) == BG_JOB_STATE_TRANSFERRED)
        {
            BG_JOB_PROGRESS progress;

            hr = IBackgroundCopyJob_GetProgress(job, &progress);
            ok(hr == S_OK && progress.BytesTotal == 5000 && progress.BytesTransferred == 5000,
               "progress %I64u of %I64u bytes.\n", progress.BytesTransferred, progress.BytesTotal);
            EnterCriticalSection(&bits_server.cs);
            if (bits_server.session_count) check_uploaded(&bits_server.sessions[0], 5000, 37, "upload-moved.bin");
            LeaveCriticalSection(&bits_server.cs);
            IBackgroundCopyJob_EnumFiles(job, &files);
            if (IEnumBackgroundCopyFiles_Next(files, 1, &file, NULL) == S_OK)
            {
                hr = IBackgroundCopyFile_GetRemoteName(file, &remote);
                ok(hr == S_OK && !wcscmp(remote, httpd_url(httpd, "/moved-upload/moved.bin", url, ARRAY_SIZE(url))),
                   "remote name %s.\n", wine_dbgstr_w(remote));
                if (hr == S_OK) CoTaskMemFree(remote);
                IBackgroundCopyFile_Release(file);
            }
            IEnumBackgroundCopyFiles_Release(files);
        }
        finish_job(job);
        DeleteFileW(source);
        winetest_pop_context();
    }
}

/* A missing local file is an error of the local file. */
static void test_upload_missing_source(void)
{
    IBackgroundCopyJob *job;
    BG_ERROR_CONTEXT context;
    WCHAR source[MAX_PATH];
    HRESULT code;

    bits_server_reset();
    swprintf(source, ARRAY_SIZE(source), L"%lsupload-missing.bin", base_dir);
    make_source(source, 10, 36);
    if (!(job = create_upload_job(L"missing", "/upload/missing.bin", source))) return;
    DeleteFileW(source);
    IBackgroundCopyJob_Resume(job);
    if (wait_state(job, STATE_BIT(BG_JOB_STATE_ERROR), FAILURE_TIMEOUT, FALSE) == BG_JOB_STATE_ERROR &&
        get_job_error(job, &context, &code))
    {
        ok(code == HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND), "error %#lx.\n", code);
        ok(context == BG_ERROR_CONTEXT_LOCAL_FILE, "context %u.\n", context);
    }
    EnterCriticalSection(&bits_server.cs);
    ok(!bits_server.fragments, "%u fragments sent without a file.\n", bits_server.fragments);
    LeaveCriticalSection(&bits_server.cs);
    finish_job(job);
}

START_TEST(upload)
{
    DWORD start = GetTickCount();

    if (!begin_transfer_tests(L"upload")) return;
    ok(bits_server_start(httpd, "/upload/"), "cannot add the BITS bits_server.\n");
    ok(httpd_add_handler(httpd, "BITS_POST", "/moved-upload/", moved_upload_handler, NULL), "cannot add a handler.\n");
    test_upload();
    test_upload_empty_file();
    test_upload_refused();
    test_upload_resume();
    test_upload_session_lost();
    test_upload_local_file_changed(FALSE);
    test_upload_local_file_changed(TRUE);
    test_upload_local_file_written();
    test_upload_missing_source();
    test_upload_redirect_policy();
    test_upload_reply_too_large();
    test_upload_reply_missing();
    test_upload_bad_server("C:\\windows\\win.ini");
    test_upload_bad_server("/reply*.bin");
    test_upload_bad_server(NULL);
    test_upload_error_context();
    test_upload_reply_relative();
    test_upload_slow_ack();
    test_upload_cancel_during_slow_ack();
    test_upload_bad_acks();
    test_upload_host_id(HOST_ID_REACHABLE);
    test_upload_host_id(HOST_ID_UNREACHABLE);
    test_upload_host_id(HOST_ID_USERINFO);
    test_upload_smb(FALSE);
    test_upload_smb(TRUE);
    test_upload_smb_acl();
    test_upload_reply(TRUE);
    test_upload_reply(FALSE);
    test_upload_cancel(FALSE);
    test_upload_cancel(TRUE);
    test_upload_end_retry();
    end_transfer_tests("upload", start);
    bits_server_stop();
}
