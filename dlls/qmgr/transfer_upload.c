/*
 * Background Intelligent Transfer Service: the BITS upload protocol over HTTP.
 *
 * Every packet is a BITS_POST request to the remote URL with a
 * BITS-Packet-Type header, answered by an Ack: Create-Session opens a session
 * (protocol {7df0354d-249b-430f-820d-3d2a9bef4931}, "BITS 1.5 Upload
 * Protocol"), Fragments carry the file in order with Content-Range, the
 * server says in BITS-Received-Content-Range where the next one must start,
 * and Close-Session (or Cancel-Session) ends it.  A session survives
 * failures: a retry sends only what the server does not have.  A server in a
 * farm names itself in BITS-Host-Id: every later packet goes there, until it
 * has been unreachable for BITS-Host-Id-Fallback-Timeout seconds.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdio.h>
#include <stdlib.h>

#include "qmgr_private.h"
#include "transfer.h"

#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(qmgr);

#define UPLOAD_PROTOCOL L"{7df0354d-249b-430f-820d-3d2a9bef4931}"
/* Bytes per Fragment: large enough that the packets cost little, small
 * enough that progress and a stop request are seen often. */
#define FRAGMENT_SIZE (1024 * 1024)
/* Fragments the server may refuse (416) in a row before we give up on it. */
#define MAX_REALIGNMENTS 4

/* What an Ack that is not a success means: the server's BITS-Error-Code and
 * BITS-Error-Context when it sent them, else the HTTP status. */
static void set_ack_failure(struct http_exchange *exchange, struct transfer_result *result)
{
    WCHAR *code = transfer_http_header(exchange, L"BITS-Error-Code");
    WCHAR *context = transfer_http_header(exchange, L"BITS-Error-Context");
    HRESULT hr = 0x80190000 | exchange->status;
    BG_ERROR_CONTEXT where = BG_ERROR_CONTEXT_REMOTE_FILE;

    /* Only a failure code counts: anything else in the header is the server's confusion. */
    if (code && FAILED((HRESULT)wcstoul(code, NULL, 16))) hr = wcstoul(code, NULL, 16);
    /* The protocol's two contexts (behavior.md 16.3); any other value would
     * leave the job with a context no description exists for. */
    if (context && wcstoul(context, NULL, 16) == BG_ERROR_CONTEXT_REMOTE_APPLICATION)
        where = BG_ERROR_CONTEXT_REMOTE_APPLICATION;
    transfer_set_failure(result, hr, where, transfer_http_status_is_transient(exchange->status) || hr == BG_E_SESSION_NOT_FOUND);
    TRACE("status %lu, error %#lx, context %u.\n", exchange->status, hr, where);
    free(code);
    free(context);
}

static BOOL create_session(struct transfer_session *session, const struct upload_request *request,
                           struct transfer_result *result)
{
    struct http_exchange exchange;
    WCHAR *protocol, *id;
    BOOL ok = FALSE;

    if (!transfer_http_exchange(session, request->remote_name, L"BITS_POST",
                                L"BITS-Packet-Type: Create-Session\r\nBITS-Supported-Protocols: " UPLOAD_PROTOCOL L"\r\n",
                                NULL, 0, request->options, &exchange, result))
        return FALSE;
    if (exchange.status != HTTP_STATUS_OK && exchange.status != HTTP_STATUS_CREATED)
        set_ack_failure(&exchange, result);
    else
    {
        protocol = transfer_http_header(&exchange, L"BITS-Protocol");
        id = transfer_http_header(&exchange, L"BITS-Session-Id");
        if (!protocol || wcsicmp(protocol, UPLOAD_PROTOCOL))
            transfer_set_failure(result, BG_E_CLIENT_SERVER_PROTOCOL_MISMATCH, BG_ERROR_CONTEXT_REMOTE_FILE, FALSE);
        else if (!id || !*id || wcslen(id) > UPLOAD_SESSION_ID_MAX)
            transfer_set_failure(result, HRESULT_FROM_WIN32(ERROR_WINHTTP_INVALID_SERVER_RESPONSE), BG_ERROR_CONTEXT_REMOTE_FILE, TRUE);
        else
        {
            WCHAR *host = transfer_http_header(&exchange, L"BITS-Host-Id");
            WCHAR *fallback = transfer_http_header(&exchange, L"BITS-Host-Id-Fallback-Timeout");

            memset(request->session, 0, sizeof(*request->session));
            wcscpy(request->session->id, id);
            if (host && *host && wcslen(host) <= UPLOAD_HOST_ID_MAX) wcscpy(request->session->host, host);
            request->session->host_fallback_s = fallback ? wcstoul(fallback, NULL, 10) : ~0u;
            *request->acknowledged = 0;
            ok = TRUE;
            free(host);
            free(fallback);
        }
        free(protocol);
        free(id);
    }
    transfer_http_drain(&exchange);
    transfer_http_end(&exchange);
    return ok;
}

/* The URL of a packet: the remote name, on the session's host if it named one
 * (a host name, keeping the URL's port, or a whole "http[s]://host[:port]"). */
static WCHAR *packet_url(const WCHAR *remote_name, const struct upload_session *upload)
{
    const WCHAR *scheme_end, *host, *host_end, *at, *rest;
    WCHAR *url;
    size_t size;

    if (!upload->host[0] || !(scheme_end = wcsstr(remote_name, L"://"))) return strdupW(remote_name);
    host = scheme_end + 3;
    if (!(rest = wcschr(host, '/'))) rest = host + wcslen(host);
    /* A "user:password@" stays; the host comes after it, an IPv6 one in brackets. */
    for (at = host; at < rest; at++) if (*at == '@') host = at + 1;
    host_end = host;
    if (*host == '[')
    {
        while (host_end < rest && *host_end != ']') host_end++;
        if (host_end < rest) host_end++;
    }
    while (host_end < rest && *host_end != ':') host_end++;
    size = wcslen(remote_name) + wcslen(upload->host) + 16;
    if (!(url = malloc(size * sizeof(WCHAR)))) return NULL;
    if (transfer_is_http_url(upload->host))
        swprintf(url, size, L"%s%s", upload->host, rest);
    else if (wcschr(upload->host, ':'))  /* a port of its own */
        swprintf(url, size, L"%.*s%s%s", (int)(host - remote_name), remote_name, upload->host, rest);
    else
        swprintf(url, size, L"%.*s%s%.*s%s", (int)(host - remote_name), remote_name, upload->host,
                 (int)(rest - host_end), host_end, rest);
    return url;
}

/* A packet reached the session's host, or failed to: after the fallback
 * timeout the packets go to the original server again, still in the session
 * (behavior.md 16.3: one that does not know it answers BG_E_SESSION_NOT_FOUND,
 * and the upload starts again from zero). */
static void note_host_reached(struct upload_session *upload, const struct transfer_result *result)
{
    ULONGLONG now = GetTickCount64();

    if (!upload->host[0]) return;
    if (SUCCEEDED(result->code) || result->context != BG_ERROR_CONTEXT_GENERAL_TRANSPORT)
    {
        upload->host_failing_since = 0;
        return;
    }
    if (!upload->host_failing_since) upload->host_failing_since = now;
    else if (upload->host_fallback_s != ~0u && now - upload->host_failing_since >= upload->host_fallback_s * 1000ull)
    {
        TRACE("host %s unreachable for %lu s: back to the original server.\n", debugstr_w(upload->host),
              upload->host_fallback_s);
        upload->host[0] = 0;
        upload->host_fallback_s = 0;
        upload->host_failing_since = 0;
    }
}

static BOOL read_at(HANDLE file, UINT64 offset, BYTE *buffer, DWORD size)
{
    LARGE_INTEGER position;
    DWORD got;

    position.QuadPart = offset;
    if (!SetFilePointerEx(file, position, NULL, FILE_BEGIN) || !ReadFile(file, buffer, size, &got, NULL)) return FALSE;
    if (got == size) return TRUE;
    SetLastError(0);
    return FALSE;
}

HRESULT upload_source_check(const struct upload_request *request)
{
    LARGE_INTEGER size;
    FILETIME written;

    if (!GetFileSizeEx(request->file, &size)) return HRESULT_FROM_WIN32(GetLastError());
    if ((UINT64)size.QuadPart != request->size) return BG_E_LOCAL_FILE_CHANGED;
    /* Without a time to compare (a file system that keeps none), the size tells. */
    if (request->version && GetFileTime(request->file, NULL, NULL, &written) &&
        (((UINT64)written.dwHighDateTime << 32) | written.dwLowDateTime) != request->version)
        return BG_E_LOCAL_FILE_CHANGED;
    return S_OK;
}

/* Sends one fragment from *acknowledged; FALSE with the result set on failure.
 * *realign is set when the server wanted another offset. */
static BOOL send_fragment(struct transfer_session *session, const struct upload_request *request, BYTE *buffer,
                          BOOL *realign, struct transfer_result *result)
{
    UINT64 offset = *request->acknowledged, received;
    DWORD length = (DWORD)min(request->size - offset, FRAGMENT_SIZE);
    struct http_exchange exchange;
    WCHAR headers[UPLOAD_SESSION_ID_MAX + MAX_PATH + 256], *value, *end, *url, *reply;
    BOOL ok = FALSE, sent, has_range;
    HRESULT hr;
    int len;

    *realign = FALSE;
    if (length && !read_at(request->file, offset, buffer, length))
    {
        /* A short read: the file shrank under the upload. */
        DWORD error = GetLastError();
        transfer_set_failure(result, error ? HRESULT_FROM_WIN32(error) : BG_E_LOCAL_FILE_CHANGED, BG_ERROR_CONTEXT_LOCAL_FILE, FALSE);
        return FALSE;
    }
    /* Written since the upload began: the server would join two versions. */
    if (FAILED(hr = upload_source_check(request)))
    {
        transfer_set_failure(result, hr, BG_ERROR_CONTEXT_LOCAL_FILE, hr != BG_E_LOCAL_FILE_CHANGED);
        return FALSE;
    }
    len = swprintf(headers, ARRAY_SIZE(headers), L"BITS-Packet-Type: Fragment\r\nBITS-Session-Id: %s\r\n",
                   request->session->id);
    /* Only the first fragment names the file. */
    if (!offset && request->content_name)
        len += swprintf(headers + len, ARRAY_SIZE(headers) - len, L"Content-Name: %s\r\n", request->content_name);
    if (length)
        swprintf(headers + len, ARRAY_SIZE(headers) - len, L"Content-Range: bytes %I64u-%I64u/%I64u\r\n", offset,
                 offset + length - 1, request->size);
    else
    {
        /* An empty file's one Fragment: WinHTTP says no Content-Length for an
         * empty body of a verb other than POST, and every Fragment has one (16.2). */
        swprintf(headers + len, ARRAY_SIZE(headers) - len, L"Content-Range: bytes */0\r\nContent-Length: 0\r\n");
    }

    if (!(url = packet_url(request->remote_name, request->session)))
    {
        transfer_set_failure(result, E_OUTOFMEMORY, BG_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER, TRUE);
        return FALSE;
    }
    sent = transfer_http_exchange(session, url, L"BITS_POST", headers, buffer, length, request->options, &exchange,
                                  result);
    free(url);
    note_host_reached(request->session, result);
    if (!sent) return FALSE;
    value = transfer_http_header(&exchange, L"BITS-Received-Content-Range");
    has_range = !!value;
    received = value ? wcstoull(value, &end, 10) : offset + length;
    if (value && (end == value || *end)) received = (UINT64)-1;
    free(value);

    if (exchange.status == HTTP_STATUS_OK || exchange.status == HTTP_STATUS_CREATED ||
        exchange.status == 416 /* Range Not Satisfiable */)
    {
        /* A 416 must say where to go on; no Ack may claim more than the file. */
        if (received > request->size || (exchange.status == 416 && !has_range))
            transfer_set_failure(result, BG_E_INVALID_SERVER_RESPONSE, BG_ERROR_CONTEXT_REMOTE_FILE, TRUE);
        else
        {
            *realign = exchange.status == 416 /* Range Not Satisfiable */ || received != offset + length;
            *request->acknowledged = received;
            /* The server has it all (also when a resumed session learns so): the reply's address comes with it. */
            if (received == request->size)
            {
                free(result->final_url);
                result->final_url = transfer_http_header(&exchange, L"BITS-Reply-URL");
                /* A relative one is relative to the URL that answered (file_reply_url
                 * takes one relative to the upload's). */
                if (result->final_url && exchange.url &&
                    (reply = transfer_resolve_url(exchange.url, result->final_url)))
                {
                    free(result->final_url);
                    result->final_url = reply;
                }
                *realign = FALSE;
            }
            ok = TRUE;
        }
    }
    else set_ack_failure(&exchange, result);
    transfer_http_drain(&exchange);
    transfer_http_end(&exchange);
    return ok;
}

void transfer_http_upload(struct transfer_session *session, const struct upload_request *request,
                          struct transfer_result *result)
{
    unsigned int realignments = 0, new_sessions = 0, fallbacks = 0;
    BOOL realign, empty_sent = FALSE, had_host;
    BYTE *buffer;

    memset(result, 0, sizeof(*result));
    result->remote_size = BG_SIZE_UNKNOWN;
    result->total = request->size;
    if (!(buffer = malloc(FRAGMENT_SIZE)))
    {
        transfer_set_failure(result, E_OUTOFMEMORY, BG_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER, TRUE);
        return;
    }
    if (*request->acknowledged > request->size) *request->acknowledged = 0;

    while (*request->acknowledged < request->size || (!request->size && !empty_sent))
    {
        if (request->keep_going && !request->keep_going(request->context))
        {
            result->aborted = TRUE;
            break;
        }
        if (!request->session->id[0] && !create_session(session, request, result)) break;
        had_host = !!request->session->host[0];
        if (!send_fragment(session, request, buffer, &realign, result))
        {
            /* The session's host has been unreachable too long: the original
             * server, at once. */
            if (had_host && !request->session->host[0] && !fallbacks++)
            {
                transfer_result_free(result);
                memset(result, 0, sizeof(*result));
                result->remote_size = BG_SIZE_UNKNOWN;
                result->total = request->size;
                continue;
            }
            /* The server forgot the session (a restart, a timeout, another
             * server of a farm): a new session, from zero. */
            if (result->code == BG_E_SESSION_NOT_FOUND) memset(request->session, 0, sizeof(*request->session));
            if (!request->session->id[0] && !new_sessions++)
            {
                *request->acknowledged = 0;
                transfer_result_free(result);
                memset(result, 0, sizeof(*result));
                result->remote_size = BG_SIZE_UNKNOWN;
                result->total = request->size;
                continue;
            }
            break;
        }
        empty_sent = TRUE;
        if (realign && ++realignments > MAX_REALIGNMENTS)
        {
            transfer_set_failure(result, HRESULT_FROM_WIN32(ERROR_WINHTTP_INVALID_SERVER_RESPONSE), BG_ERROR_CONTEXT_REMOTE_FILE, TRUE);
            break;
        }
        if (!realign) realignments = 0;
        /* A stop asked for with the last Ack comes too late: the upload is done (and its reply named). */
        if (request->progress && !request->progress(request->context, *request->acknowledged, request->size) &&
            *request->acknowledged < request->size)
        {
            result->aborted = TRUE;
            break;
        }
    }
    free(buffer);
}

void transfer_http_upload_end(struct transfer_session *session, const WCHAR *remote_name,
                              struct upload_session *upload, const struct transfer_options *options, BOOL cancel,
                              struct transfer_result *result)
{
    WCHAR headers[UPLOAD_SESSION_ID_MAX + 96], *url;
    struct http_exchange exchange;

    memset(result, 0, sizeof(*result));
    result->remote_size = BG_SIZE_UNKNOWN;
    if (!upload || !upload->id[0]) return;
    if (!(url = packet_url(remote_name, upload)))
    {
        transfer_set_failure(result, E_OUTOFMEMORY, BG_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER, TRUE);
        return;
    }
    swprintf(headers, ARRAY_SIZE(headers), L"BITS-Packet-Type: %s\r\nBITS-Session-Id: %s\r\n",
             cancel ? L"Cancel-Session" : L"Close-Session", upload->id);
    if (transfer_http_exchange(session, url, L"BITS_POST", headers, NULL, 0, options, &exchange, result))
    {
        TRACE("%s of %s: status %lu.\n", cancel ? "Cancel-Session" : "Close-Session", debugstr_w(upload->id),
              exchange.status);
        if (exchange.status != HTTP_STATUS_OK && exchange.status != HTTP_STATUS_CREATED)
        {
            /* Sent again after the server's own failure (5xx), unless it says it
             * has no such session (behavior.md 16.3); 1xx-4xx are its decision. */
            set_ack_failure(&exchange, result);
            result->transient = exchange.status >= 500 && exchange.status < 600 &&
                                result->code != BG_E_SESSION_NOT_FOUND;
        }
        transfer_http_drain(&exchange);
    }
    transfer_http_end(&exchange);
    free(url);
    /* The session's host may be given up for these too: the next try goes to the original server. */
    note_host_reached(upload, result);
}
