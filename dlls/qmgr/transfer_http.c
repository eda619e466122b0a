/*
 * Background Intelligent Transfer Service: HTTP and HTTPS downloads through
 * WinHTTP, resuming with Range requests.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>

#include "qmgr_private.h"
#include "transfer.h"

#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(qmgr);

#define READ_BUFFER_SIZE (256 * 1024)

HINTERNET transfer_http_open_session(void)
{
    HINTERNET session;

    /* The user agent Windows' BITS sends. */
    session = WinHttpOpen(L"Microsoft BITS/7.8", WINHTTP_ACCESS_TYPE_DEFAULT_PROXY,
                          WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS, 0);
    if (!session) ERR("WinHttpOpen failed, error %lu.\n", GetLastError());
    return session;
}

void transfer_http_close_session(HINTERNET session)
{
    if (session) WinHttpCloseHandle(session);
}

static void set_failure(struct transfer_result *result, HRESULT code, BG_ERROR_CONTEXT context, BOOL transient)
{
    result->code = code;
    result->context = context;
    result->transient = transient;
}

/* A WinHTTP failure: connection-level problems are worth retrying. */
static void set_winhttp_failure(struct transfer_result *result, DWORD error)
{
    switch (error)
    {
    case ERROR_WINHTTP_CANNOT_CONNECT:
    case ERROR_WINHTTP_NAME_NOT_RESOLVED:
    case ERROR_WINHTTP_TIMEOUT:
    case ERROR_WINHTTP_CONNECTION_ERROR:
    case ERROR_WINHTTP_INVALID_SERVER_RESPONSE:
    case ERROR_WINHTTP_RESEND_REQUEST:
        set_failure(result, HRESULT_FROM_WIN32(error), BG_ERROR_CONTEXT_GENERAL_TRANSPORT, TRUE);
        break;
    case ERROR_WINHTTP_SECURE_FAILURE:
        set_failure(result, HRESULT_FROM_WIN32(error), BG_ERROR_CONTEXT_REMOTE_FILE, FALSE);
        break;
    default:
        set_failure(result, HRESULT_FROM_WIN32(error), BG_ERROR_CONTEXT_REMOTE_FILE, TRUE);
        break;
    }
}

/* The documented classification of HTTP statuses (behavior.md 5.2). */
static BOOL status_is_transient(DWORD status)
{
    if (status >= 300 && status < 400) return !(status <= 305 || status == 307);
    if (status >= 400 && status < 500) return status == 408 || status == 409;
    if (status >= 500 && status < 600) return status != 501 && status != 505;
    return TRUE;
}

static BOOL query_number(HINTERNET request, DWORD flag, UINT64 *value)
{
    WCHAR buffer[32], *end;
    DWORD size = sizeof(buffer);

    if (!WinHttpQueryHeaders(request, flag, WINHTTP_HEADER_NAME_BY_INDEX, buffer, &size, WINHTTP_NO_HEADER_INDEX))
        return FALSE;
    *value = _wcstoui64(buffer, &end, 10);
    return end != buffer && !*end;
}

/* "bytes first-last/total": total may be "*". */
static BOOL parse_content_range(HINTERNET request, UINT64 *first, UINT64 *last, UINT64 *total)
{
    WCHAR buffer[96], *p, *end;
    DWORD size = sizeof(buffer);

    if (!WinHttpQueryHeaders(request, WINHTTP_QUERY_CUSTOM, L"Content-Range", buffer, &size, WINHTTP_NO_HEADER_INDEX))
        return FALSE;
    if (_wcsnicmp(buffer, L"bytes ", 6)) return FALSE;
    p = buffer + 6;
    *first = _wcstoui64(p, &end, 10);
    if (end == p || *end != '-') return FALSE;
    p = end + 1;
    *last = _wcstoui64(p, &end, 10);
    if (end == p || *end != '/') return FALSE;
    p = end + 1;
    if (*p == '*') *total = BG_SIZE_UNKNOWN;
    else
    {
        *total = _wcstoui64(p, &end, 10);
        if (end == p) return FALSE;
    }
    return *first <= *last;
}

static BOOL restart_file(HANDLE file)
{
    LARGE_INTEGER zero = {{0}};
    return SetFilePointerEx(file, zero, NULL, FILE_BEGIN) && SetEndOfFile(file);
}

static void receive_body(HINTERNET request, const struct transfer_request *transfer, UINT64 offset,
                         UINT64 total, struct transfer_result *result)
{
    UINT64 transferred = offset;
    DWORD read, written;
    BYTE *buffer;

    if (!(buffer = malloc(READ_BUFFER_SIZE)))
    {
        set_failure(result, E_OUTOFMEMORY, BG_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER, TRUE);
        return;
    }
    for (;;)
    {
        if (!WinHttpReadData(request, buffer, READ_BUFFER_SIZE, &read))
        {
            set_winhttp_failure(result, GetLastError());
            break;
        }
        if (!read) break;
        if (total != BG_SIZE_UNKNOWN && transferred + read > total)
        {
            /* More than the server announced: it is lying about the length. */
            set_failure(result, BG_E_INVALID_SERVER_RESPONSE, BG_ERROR_CONTEXT_REMOTE_FILE, TRUE);
            break;
        }
        if (!WriteFile(transfer->file, buffer, read, &written, NULL) || written != read)
        {
            set_failure(result, HRESULT_FROM_WIN32(GetLastError()), BG_ERROR_CONTEXT_LOCAL_FILE, TRUE);
            break;
        }
        transferred += read;
        if (!transfer->progress(transfer->context, transferred, total))
        {
            result->aborted = TRUE;
            break;
        }
    }
    free(buffer);

    if (SUCCEEDED(result->code) && !result->aborted && total != BG_SIZE_UNKNOWN && transferred != total)
        set_failure(result, BG_E_CONNECTION_CLOSED, BG_ERROR_CONTEXT_REMOTE_FILE, TRUE);
    if (SUCCEEDED(result->code) && !result->aborted && total == BG_SIZE_UNKNOWN)
    {
        /* Dynamic content: the size is what arrived. */
        result->total = transferred;
        transfer->progress(transfer->context, transferred, transferred);
    }
}

struct range_progress
{
    const struct transfer_request *transfer;
    UINT64 base;   /* bytes of the local file before this range */
    UINT64 total;  /* bytes of all ranges, or BG_SIZE_UNKNOWN */
};

static BOOL range_progress(void *context, UINT64 transferred, UINT64 total)
{
    struct range_progress *progress = context;
    return progress->transfer->progress(progress->transfer->context, progress->base + transferred, progress->total);
}

static void get_range(HINTERNET session, const struct transfer_request *transfer, UINT64 first, UINT64 length,
                      UINT64 *remote_size, struct transfer_result *result);

/* AddFileWithRanges: the local file is the ranges one after the other (behavior.md 7.5). */
static void download_ranges(HINTERNET session, const struct transfer_request *transfer, struct transfer_result *result)
{
    UINT64 done = transfer->offset, base = 0, total = 0, remote_size = BG_SIZE_UNKNOWN, length;
    struct range_progress progress = { transfer };
    struct transfer_request request = *transfer;
    DWORD i;

    memset(result, 0, sizeof(*result));
    for (i = 0; i < transfer->range_count; i++)
    {
        if (transfer->ranges[i].Length == BG_LENGTH_TO_EOF) { total = BG_SIZE_UNKNOWN; break; }
        total += transfer->ranges[i].Length;
    }
    progress.total = total;
    request.progress = range_progress;
    request.context = &progress;

    for (i = 0; i < transfer->range_count && SUCCEEDED(result->code) && !result->aborted; i++)
    {
        length = transfer->ranges[i].Length;
        if (length == BG_LENGTH_TO_EOF && remote_size != BG_SIZE_UNKNOWN)
        {
            if (transfer->ranges[i].InitialOffset >= remote_size)
            {
                result->code = BG_E_INVALID_RANGE;
                result->context = BG_ERROR_CONTEXT_REMOTE_FILE;
                return;
            }
            length = remote_size - transfer->ranges[i].InitialOffset;
        }
        if (length != BG_LENGTH_TO_EOF && done >= base + length)
        {
            base += length;  /* already on disk */
            continue;
        }
        progress.base = base;
        request.offset = done - base;
        get_range(session, &request, transfer->ranges[i].InitialOffset, length, &remote_size, result);
        if (FAILED(result->code) || result->aborted) break;
        if (length == BG_LENGTH_TO_EOF) length = remote_size - transfer->ranges[i].InitialOffset;
        base += length;
        done = base;
        if (progress.total == BG_SIZE_UNKNOWN && i + 1 == transfer->range_count) progress.total = base;
    }
    result->total = SUCCEEDED(result->code) && !result->aborted ? base : progress.total;
}

void transfer_http_download(HINTERNET session, const struct transfer_request *transfer,
                            struct transfer_result *result)
{
    UINT64 remote_size;

    if (transfer->range_count)
    {
        download_ranges(session, transfer, result);
        return;
    }
    get_range(session, transfer, 0, BG_LENGTH_TO_EOF, &remote_size, result);
}

/* Fetches bytes first .. first + length - 1 of the remote file (length may be
 * BG_LENGTH_TO_EOF) into the local file, of which transfer->offset are already there. */
static void get_range(HINTERNET session, const struct transfer_request *transfer, UINT64 first_wanted,
                      UINT64 length, UINT64 *remote_size, struct transfer_result *result)
{
    HINTERNET connection = NULL, request = NULL;
    URL_COMPONENTS url = { sizeof(url) };
    UINT64 offset = transfer->offset, first, last, total = BG_SIZE_UNKNOWN;
    BOOL whole_file = !first_wanted && length == BG_LENGTH_TO_EOF;
    WCHAR host[256], range[80], *path = NULL;
    DWORD status = 0, size = sizeof(status);
    SYSTEMTIME modified;

    memset(result, 0, sizeof(*result));
    result->total = BG_SIZE_UNKNOWN;

    url.lpszHostName = host;
    url.dwHostNameLength = ARRAY_SIZE(host);
    url.dwUrlPathLength = 1;
    url.dwExtraInfoLength = 1;
    if (!session || !WinHttpCrackUrl(transfer->remote_name, 0, 0, &url))
    {
        set_failure(result, session ? HRESULT_FROM_WIN32(GetLastError()) : E_FAIL, BG_ERROR_CONTEXT_REMOTE_FILE, FALSE);
        return;
    }
    /* Path and query go to the server as they are: BITS does no escape processing. */
    if (!(path = malloc((url.dwUrlPathLength + url.dwExtraInfoLength + 2) * sizeof(WCHAR))))
    {
        set_failure(result, E_OUTOFMEMORY, BG_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER, TRUE);
        return;
    }
    memcpy(path, url.lpszUrlPath, url.dwUrlPathLength * sizeof(WCHAR));
    memcpy(path + url.dwUrlPathLength, url.lpszExtraInfo, url.dwExtraInfoLength * sizeof(WCHAR));
    path[url.dwUrlPathLength + url.dwExtraInfoLength] = 0;
    if (!*path) wcscpy(path, L"/");

    if (transfer->dynamic_content && offset && !restart_file(transfer->file))
    {
        set_failure(result, HRESULT_FROM_WIN32(GetLastError()), BG_ERROR_CONTEXT_LOCAL_FILE, TRUE);
        goto done;
    }
    if (transfer->dynamic_content) offset = 0;

    if (!(connection = WinHttpConnect(session, host, url.nPort, 0)) ||
        !(request = WinHttpOpenRequest(connection, L"GET", path, NULL, WINHTTP_NO_REFERER,
                                       WINHTTP_DEFAULT_ACCEPT_TYPES,
                                       url.nScheme == INTERNET_SCHEME_HTTPS ? WINHTTP_FLAG_SECURE : 0)))
    {
        set_winhttp_failure(result, GetLastError());
        goto done;
    }
    if (transfer->custom_headers && *transfer->custom_headers &&
        !WinHttpAddRequestHeaders(request, transfer->custom_headers, -1, WINHTTP_ADDREQ_FLAG_ADD))
        WARN("Could not add the custom headers, error %lu.\n", GetLastError());
    if (!whole_file && length != BG_LENGTH_TO_EOF)
        swprintf(range, ARRAY_SIZE(range), L"Range: bytes=%I64u-%I64u", first_wanted + offset, first_wanted + length - 1);
    else if (!whole_file || offset)
        swprintf(range, ARRAY_SIZE(range), L"Range: bytes=%I64u-", first_wanted + offset);
    if (!whole_file || offset)
        WinHttpAddRequestHeaders(request, range, -1, WINHTTP_ADDREQ_FLAG_ADD | WINHTTP_ADDREQ_FLAG_REPLACE);

    if (!WinHttpSendRequest(request, WINHTTP_NO_ADDITIONAL_HEADERS, 0, WINHTTP_NO_REQUEST_DATA, 0, 0, 0) ||
        !WinHttpReceiveResponse(request, NULL) ||
        !WinHttpQueryHeaders(request, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER,
                             WINHTTP_HEADER_NAME_BY_INDEX, &status, &size, WINHTTP_NO_HEADER_INDEX))
    {
        set_winhttp_failure(result, GetLastError());
        goto done;
    }
    TRACE("%s: status %lu, offset %s.\n", debugstr_w(transfer->remote_name), status, wine_dbgstr_longlong(offset));

    if (status == 206 && (offset || !whole_file))
    {
        if (!parse_content_range(request, &first, &last, &total) || first != first_wanted + offset ||
            (length == BG_LENGTH_TO_EOF ? total != BG_SIZE_UNKNOWN && last + 1 != total
                                        : last + 1 != first_wanted + length))
        {
            /* Other bytes than the ones asked for. */
            set_failure(result, BG_E_INVALID_SERVER_RESPONSE, BG_ERROR_CONTEXT_REMOTE_FILE, TRUE);
            goto done;
        }
        *remote_size = total;
        /* What this local file gets: the rest of the range. */
        total = last + 1 - first_wanted;
    }
    else if (status == 200 && !whole_file)
    {
        /* Ranges need a server that honours them. */
        set_failure(result, BG_E_INSUFFICIENT_RANGE_SUPPORT, BG_ERROR_CONTEXT_REMOTE_FILE, FALSE);
        goto done;
    }
    else if (status == 416 && !whole_file)
    {
        set_failure(result, BG_E_INVALID_RANGE, BG_ERROR_CONTEXT_REMOTE_FILE, FALSE);
        goto done;
    }
    else if (status == 200)
    {
        if (!query_number(request, WINHTTP_QUERY_CONTENT_LENGTH, &total)) total = BG_SIZE_UNKNOWN;
        if (total == BG_SIZE_UNKNOWN && !transfer->dynamic_content)
        {
            set_failure(result, BG_E_MISSING_FILE_SIZE, BG_ERROR_CONTEXT_REMOTE_FILE, FALSE);
            goto done;
        }
        if (offset)
        {
            /* The server sent the whole file instead of the rest: start it again. */
            TRACE("Range ignored by the server, restarting from 0.\n");
            if (!restart_file(transfer->file))
            {
                set_failure(result, HRESULT_FROM_WIN32(GetLastError()), BG_ERROR_CONTEXT_LOCAL_FILE, TRUE);
                goto done;
            }
            offset = 0;
        }
        *remote_size = total;
    }
    else
    {
        set_failure(result, MAKE_HRESULT(SEVERITY_ERROR, FACILITY_HTTP, status), BG_ERROR_CONTEXT_REMOTE_FILE,
                    status_is_transient(status));
        goto done;
    }

    result->total = total;
    size = sizeof(modified);
    if (WinHttpQueryHeaders(request, WINHTTP_QUERY_LAST_MODIFIED | WINHTTP_QUERY_FLAG_SYSTEMTIME,
                            WINHTTP_HEADER_NAME_BY_INDEX, &modified, &size, WINHTTP_NO_HEADER_INDEX))
        SystemTimeToFileTime(&modified, &result->modified);
    if (!transfer->progress(transfer->context, offset, total))
    {
        result->aborted = TRUE;
        goto done;
    }
    receive_body(request, transfer, offset, total, result);

done:
    if (request) WinHttpCloseHandle(request);
    if (connection) WinHttpCloseHandle(connection);
    free(path);
}
