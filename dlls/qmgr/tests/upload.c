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

#define UPLOAD_PROTOCOL "{7df0354d-249b-430f-820d-3d2a9bef4931}"
#define ACK_DELAY_MS 300      /* a slow server, to cancel an upload under way */
#define RETRY_TIMEOUT 20000   /* includes one retry after a transient error (MinimumRetryDelay 5 s) */
#define MAX_SESSIONS 16

/* ---- the BITS server ---------------------------------------------------- */

struct upload_session
{
    char id[64];
    BYTE *data;
    UINT64 size;          /* of the file, from Content-Range */
    UINT64 received;      /* bytes from 0 the server has */
    char content_name[MAX_PATH];
    BOOL closed, cancelled;
};

static struct
{
    CRITICAL_SECTION cs;
    struct upload_session sessions[MAX_SESSIONS];
    unsigned int session_count;
    /* Faults, each used once: */
    int create_status;           /* non-zero: Create-Session answers this */
    int fail_fragment;           /* answer the n-th fragment (from 1) with 503 */
    int forget_at_fragment;      /* the n-th fragment finds its session gone (BG_E_SESSION_NOT_FOUND) */
    DWORD ack_delay_ms;          /* wait this long before each fragment's Ack (not holding the lock) */
    /* What happened: */
    unsigned int creates, fragments, closes, cancels;
    UINT64 body_bytes;           /* fragment bytes received in all */
} server;

static void reset_server(void)
{
    unsigned int i;

    EnterCriticalSection(&server.cs);
    for (i = 0; i < server.session_count; i++) free(server.sessions[i].data);
    memset(server.sessions, 0, sizeof(server.sessions));
    server.session_count = 0;
    server.create_status = server.fail_fragment = server.forget_at_fragment = 0;
    server.ack_delay_ms = 0;
    server.creates = server.fragments = server.closes = server.cancels = 0;
    server.body_bytes = 0;
    LeaveCriticalSection(&server.cs);
}

static struct upload_session *find_session(struct httpd_request *request)
{
    char id[64];
    unsigned int i;

    if (!httpd_request_header(request, "BITS-Session-Id", id, sizeof(id))) return NULL;
    for (i = 0; i < server.session_count; i++)
        if (!strcmp(server.sessions[i].id, id) && !server.sessions[i].cancelled) return &server.sessions[i];
    return NULL;
}

static BOOL ack(struct httpd_request *request, int status, const char *headers)
{
    char all[512];

    snprintf(all, sizeof(all), "BITS-Packet-Type: Ack\r\n%s", headers ? headers : "");
    return httpd_respond(request, status, all, NULL, 0);
}

static BOOL fragment(struct httpd_request *request)
{
    char range[128], headers[256];
    UINT64 first, last, total;
    LONGLONG length = httpd_request_content_length(request);
    struct upload_session *session = find_session(request);
    BYTE *body = length > 0 ? malloc(length) : NULL;
    int got, done = 0, number;

    while (length > 0 && done < length && (got = httpd_request_read_body(request, body + done, length - done)) > 0)
        done += got;
    number = ++server.fragments;
    server.body_bytes += done;
    if (!session || number == server.forget_at_fragment)
    {
        free(body);
        if (session) session->cancelled = TRUE;
        return ack(request, 500, "BITS-Error-Code: 0x8020001f\r\nBITS-Error-Context: 0x5\r\n");
    }
    if (number == server.fail_fragment)
    {
        free(body);
        return ack(request, 503, NULL);
    }
    if (!httpd_request_header(request, "Content-Range", range, sizeof(range))) range[0] = 0;
    if (!strcmp(range, "bytes */0")) first = 0, last = 0, total = 0;
    else if (sscanf(range, "bytes %I64u-%I64u/%I64u", &first, &last, &total) != 3 || last < first ||
             last >= total || last - first + 1 != (UINT64)done)
    {
        free(body);
        return ack(request, 400, NULL);
    }
    if (!session->data && !(session->data = calloc(1, total + 1)))
    {
        free(body);
        return ack(request, 500, NULL);
    }
    session->size = total;
    if (!first) httpd_request_header(request, "Content-Name", session->content_name, sizeof(session->content_name));
    if (first > session->received)
    {
        /* Not contiguous with what the server has: say where to start. */
        free(body);
        snprintf(headers, sizeof(headers), "BITS-Session-Id: %s\r\nBITS-Received-Content-Range: %I64u\r\n",
                 session->id, session->received);
        return ack(request, 416, headers);
    }
    if (total && last + 1 > session->received)
    {
        /* Overlapping bytes stay as they were; only the new part is written. */
        memcpy(session->data + session->received, body + (session->received - first), last + 1 - session->received);
        session->received = last + 1;
    }
    free(body);
    snprintf(headers, sizeof(headers), "BITS-Session-Id: %s\r\nBITS-Received-Content-Range: %I64u\r\n",
             session->id, session->received);
    return ack(request, 200, headers);
}

static BOOL bits_server(struct httpd_request *request, void *context)
{
    char type[64], protocols[512], headers[256];
    struct upload_session *session;
    BOOL ret;

    if (!httpd_request_header(request, "BITS-Packet-Type", type, sizeof(type))) return FALSE;
    EnterCriticalSection(&server.cs);
    if (!_stricmp(type, "Ping")) ret = ack(request, 200, NULL);
    else if (!_stricmp(type, "Create-Session"))
    {
        server.creates++;
        if (server.create_status)
        {
            ret = ack(request, server.create_status, NULL);
            server.create_status = 0;
        }
        else if (!httpd_request_header(request, "BITS-Supported-Protocols", protocols, sizeof(protocols)) ||
                 !strstr(protocols, UPLOAD_PROTOCOL) || server.session_count == MAX_SESSIONS)
            ret = ack(request, 400, NULL);
        else
        {
            session = &server.sessions[server.session_count++];
            snprintf(session->id, sizeof(session->id), "{00000000-0000-0000-0000-%012x}", server.session_count);
            snprintf(headers, sizeof(headers), "BITS-Protocol: " UPLOAD_PROTOCOL "\r\nBITS-Session-Id: %s\r\n"
                     "Accept-Encoding: Identity\r\n", session->id);
            ret = ack(request, 201, headers);
        }
    }
    else if (!_stricmp(type, "Fragment"))
    {
        DWORD delay = server.ack_delay_ms;

        if (delay)
        {
            LeaveCriticalSection(&server.cs);
            Sleep(delay);
            EnterCriticalSection(&server.cs);
        }
        ret = fragment(request);
    }
    else if (!_stricmp(type, "Close-Session") || !_stricmp(type, "Cancel-Session"))
    {
        BOOL cancel = !_stricmp(type, "Cancel-Session");

        if (cancel) server.cancels++;
        else server.closes++;
        if ((session = find_session(request)))
        {
            if (cancel) session->cancelled = TRUE;
            else session->closed = TRUE;
            ret = ack(request, 200, NULL);
        }
        else ret = ack(request, 500, "BITS-Error-Code: 0x8020001f\r\nBITS-Error-Context: 0x5\r\n");
    }
    else ret = ack(request, 400, NULL);
    LeaveCriticalSection(&server.cs);
    return ret;
}

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
static void check_uploaded(struct upload_session *session, UINT64 size, unsigned int seed, const char *content_name)
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

    reset_server();
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
        EnterCriticalSection(&server.cs);
        ok(server.creates == 1, "%u Create-Session packets.\n", server.creates);
        ok(server.session_count == 1, "%u sessions.\n", server.session_count);
        if (server.session_count) check_uploaded(&server.sessions[0], size, 31, "upload-one.bin");
        ok(server.fragments >= 1 && server.body_bytes == size, "%u fragments with %I64u bytes for a file of %I64u.\n",
           server.fragments, server.body_bytes, size);
        /* Closed before the job said TRANSFERRED: the upload is the server's now. */
        ok(server.closes == 1 && server.sessions[0].closed, "%u Close-Session packets.\n", server.closes);
        LeaveCriticalSection(&server.cs);

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

static void test_upload_empty_file(void)
{
    IBackgroundCopyJob *job;
    WCHAR source[MAX_PATH];

    reset_server();
    swprintf(source, ARRAY_SIZE(source), L"%lsupload-empty.bin", base_dir);
    make_source(source, 0, 32);
    if (!(job = create_upload_job(L"empty", "/upload/empty.bin", source))) return;
    IBackgroundCopyJob_Resume(job);
    if (wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSFERRED), TRANSFER_TIMEOUT, FALSE) == BG_JOB_STATE_TRANSFERRED)
    {
        EnterCriticalSection(&server.cs);
        ok(server.session_count == 1 && server.sessions[0].closed, "%u sessions.\n", server.session_count);
        LeaveCriticalSection(&server.cs);
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

    reset_server();
    server.create_status = 404;
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

    reset_server();
    server.fail_fragment = 2;
    swprintf(source, ARRAY_SIZE(source), L"%lsupload-resume.bin", base_dir);
    make_source(source, size, 34);
    if (!(job = create_upload_job(L"resume", "/upload/resume.bin", source))) return;
    IBackgroundCopyJob_Resume(job);
    if (wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSFERRED), RETRY_TIMEOUT, TRUE) == BG_JOB_STATE_TRANSFERRED)
    {
        EnterCriticalSection(&server.cs);
        ok(server.creates == 1, "%u Create-Session packets: the session was not kept.\n", server.creates);
        if (server.session_count) check_uploaded(&server.sessions[0], size, 34, "upload-resume.bin");
        /* The refused fragment's bytes go twice, no others. */
        ok(server.body_bytes < size + 2 * 1024 * 1024, "%I64u bytes sent for a file of %I64u.\n", server.body_bytes, size);
        LeaveCriticalSection(&server.cs);
    }
    finish_job(job);
    DeleteFileW(source);
}

/* The server lost the session (BG_E_SESSION_NOT_FOUND): a new one, from the start. */
static void test_upload_session_lost(void)
{
    static const UINT64 size = 2 * 1024 * 1024 + 7;
    IBackgroundCopyJob *job;
    WCHAR source[MAX_PATH];

    reset_server();
    server.forget_at_fragment = 2;
    swprintf(source, ARRAY_SIZE(source), L"%lsupload-lost.bin", base_dir);
    make_source(source, size, 35);
    if (!(job = create_upload_job(L"lost", "/upload/lost.bin", source))) return;
    IBackgroundCopyJob_Resume(job);
    if (wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSFERRED), RETRY_TIMEOUT, TRUE) == BG_JOB_STATE_TRANSFERRED)
    {
        EnterCriticalSection(&server.cs);
        ok(server.creates == 2, "%u Create-Session packets, expected a second session.\n", server.creates);
        ok(server.session_count == 2, "%u sessions.\n", server.session_count);
        if (server.session_count == 2) check_uploaded(&server.sessions[1], size, 35, "upload-lost.bin");
        LeaveCriticalSection(&server.cs);
    }
    finish_job(job);
    DeleteFileW(source);
}

/* Cancel under way, or of a suspended upload: the server hears Cancel-Session for the session. */
static void test_upload_cancel(BOOL suspend_first)
{
    static const UINT64 size = 4 * 1024 * 1024;
    IBackgroundCopyJob *job;
    BG_JOB_PROGRESS progress;
    WCHAR source[MAX_PATH];
    DWORD start;
    HRESULT hr;

    reset_server();
    server.ack_delay_ms = ACK_DELAY_MS;
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
        EnterCriticalSection(&server.cs);
        ok(!server.cancels && !server.closes, "Suspend ended the session.\n");
        LeaveCriticalSection(&server.cs);
    }
    hr = IBackgroundCopyJob_Cancel(job);
    ok(hr == S_OK || hr == BG_S_UNABLE_TO_DELETE_FILES, "Cancel failed: %#lx.\n", hr);
    for (start = GetTickCount(); GetTickCount() - start < TRANSFER_TIMEOUT; Sleep(20))
    {
        EnterCriticalSection(&server.cs);
        hr = server.cancels ? S_OK : S_FALSE;
        LeaveCriticalSection(&server.cs);
        if (hr == S_OK) break;
    }
    EnterCriticalSection(&server.cs);
    ok(server.cancels == 1, "%u Cancel-Session packets.\n", server.cancels);
    ok(server.session_count == 1 && server.sessions[0].cancelled, "the session was not cancelled.\n");
    ok(!server.closes, "%u Close-Session packets for a cancelled upload.\n", server.closes);
    LeaveCriticalSection(&server.cs);
    IBackgroundCopyJob_Release(job);
    DeleteFileW(source);
}

/* A missing local file is an error of the local file. */
static void test_upload_missing_source(void)
{
    IBackgroundCopyJob *job;
    BG_ERROR_CONTEXT context;
    WCHAR source[MAX_PATH];
    HRESULT code;

    reset_server();
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
    EnterCriticalSection(&server.cs);
    ok(!server.fragments, "%u fragments sent without a file.\n", server.fragments);
    LeaveCriticalSection(&server.cs);
    finish_job(job);
}

START_TEST(upload)
{
    DWORD start = GetTickCount();

    InitializeCriticalSection(&server.cs);
    if (!begin_transfer_tests(L"upload")) return;
    ok(httpd_add_handler(httpd, "BITS_POST", "/upload/", bits_server, NULL), "cannot add the BITS server.\n");
    test_upload();
    test_upload_empty_file();
    test_upload_refused();
    test_upload_resume();
    test_upload_session_lost();
    test_upload_missing_source();
    test_upload_cancel(FALSE);
    test_upload_cancel(TRUE);
    end_transfer_tests("upload", start);
    reset_server();
    DeleteCriticalSection(&server.cs);
}
