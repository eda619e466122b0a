/*
 * A BITS upload server for the tests: the part of IIS's BITS extension a
 * client sees, as a handler of the loopback HTTP server (httpd.c)
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
#include <string.h>

#include "windef.h"
#include "winbase.h"
#include "bits_server.h"

struct bits_server bits_server;

void bits_server_reset(void)
{
    unsigned int i;

    EnterCriticalSection(&bits_server.cs);
    for (i = 0; i < bits_server.session_count; i++) free(bits_server.sessions[i].data);
    memset(bits_server.sessions, 0, sizeof(bits_server.sessions));
    bits_server.session_count = 0;
    bits_server.create_status = bits_server.fail_fragment = bits_server.forget_at_fragment = 0;
    bits_server.ack_delay_ms = 0;
    bits_server.reply = FALSE;
    bits_server.host_id[0] = 0;
    bits_server.host_fallback_s = 0;
    bits_server.reply_url[0] = 0;
    bits_server.create_error_status = 0;
    bits_server.create_error_headers = NULL;
    bits_server.bad_create_ack = bits_server.bad_fragment_range = NULL;
    bits_server.end_failures = 0;
    bits_server.end_error_code = 0;
    bits_server.creates = bits_server.fragments = bits_server.closes = bits_server.cancels = 0;
    bits_server.body_bytes = 0;
    LeaveCriticalSection(&bits_server.cs);
}

/* The session a packet names, made since the last reset; NULL if none.  A
 * cancelled one too, if asked. */
static struct bits_upload_session *named_session(struct httpd_request *request, BOOL cancelled_too)
{
    char id[64];
    unsigned int i;

    if (!httpd_request_header(request, "BITS-Session-Id", id, sizeof(id))) return NULL;
    for (i = 0; i < bits_server.session_count; i++)
        if (!strcmp(bits_server.sessions[i].id, id) && (cancelled_too || !bits_server.sessions[i].cancelled))
            return &bits_server.sessions[i];
    return NULL;
}

static struct bits_upload_session *find_session(struct httpd_request *request)
{
    return named_session(request, FALSE);
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
    struct bits_upload_session *session = find_session(request);
    BYTE *body = length > 0 ? malloc(length) : NULL;
    int got, done = 0, number;

    while (length > 0 && done < length && (got = httpd_request_read_body(request, body + done, length - done)) > 0)
        done += got;
    if (!named_session(request, TRUE))
    {
        /* A session not made since the reset (an earlier test's job, or one a bad Ack named): not counted, no fault. */
        free(body);
        return ack(request, 500, "BITS-Error-Code: 0x8020001f\r\nBITS-Error-Context: 0x5\r\n");
    }
    number = ++bits_server.fragments;
    bits_server.body_bytes += done;
    if (!session || number == bits_server.forget_at_fragment)
    {
        free(body);
        if (session) session->cancelled = TRUE;
        return ack(request, 500, "BITS-Error-Code: 0x8020001f\r\nBITS-Error-Context: 0x5\r\n");
    }
    if (number == bits_server.fail_fragment)
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
    if (bits_server.bad_fragment_range)
    {
        snprintf(headers, sizeof(headers), "BITS-Session-Id: %s\r\n", session->id);
        if (bits_server.bad_fragment_range[0])
            snprintf(headers + strlen(headers), sizeof(headers) - strlen(headers),
                     "BITS-Received-Content-Range: %s\r\n", bits_server.bad_fragment_range);
        return ack(request, 200, headers);
    }
    snprintf(headers, sizeof(headers), "BITS-Session-Id: %s\r\nBITS-Received-Content-Range: %I64u\r\n",
             session->id, session->received);
    if (bits_server.reply && session->received == session->size)
    {
        /* The server application's answer: a reply naming what it got. */
        char path[96], reply[MAX_PATH + 64];

        snprintf(path, sizeof(path), "/reply/%u", (unsigned int)(session - bits_server.sessions));
        snprintf(reply, sizeof(reply), "reply to %s: %I64u bytes", session->content_name, session->size);
        httpd_add_resource(bits_server.httpd, path, reply, strlen(reply), NULL);
        snprintf(headers + strlen(headers), sizeof(headers) - strlen(headers), "BITS-Reply-URL: %s\r\n",
                 bits_server.reply_url[0] ? bits_server.reply_url : path);
    }
    return ack(request, 200, headers);
}

static BOOL handle_packet(struct httpd_request *request, void *context)
{
    char type[64], protocols[512], headers[256];
    struct bits_upload_session *session;
    BOOL ret;

    if (!httpd_request_header(request, "BITS-Packet-Type", type, sizeof(type))) return FALSE;
    EnterCriticalSection(&bits_server.cs);
    if (!_stricmp(type, "Ping")) ret = ack(request, 200, NULL);
    else if (!_stricmp(type, "Create-Session"))
    {
        bits_server.creates++;
        if (bits_server.bad_create_ack)
            ret = httpd_respond(request, 200, bits_server.bad_create_ack, NULL, 0);
        else if (bits_server.create_error_status)
        {
            /* A confused server: a failure whose error code says success. */
            ret = ack(request, bits_server.create_error_status, bits_server.create_error_headers ?
                      bits_server.create_error_headers : "BITS-Error-Code: 0\r\nBITS-Error-Context: 0x5\r\n");
            bits_server.create_error_status = 0;
        }
        else if (bits_server.create_status)
        {
            ret = ack(request, bits_server.create_status, NULL);
            bits_server.create_status = 0;
        }
        else if (!httpd_request_header(request, "BITS-Supported-Protocols", protocols, sizeof(protocols)) ||
                 !strstr(protocols, BITS_UPLOAD_PROTOCOL) || bits_server.session_count == BITS_SERVER_MAX_SESSIONS)
            ret = ack(request, 400, NULL);
        else
        {
            session = &bits_server.sessions[bits_server.session_count++];
            /* Unique for the whole run: a Cancel-Session a finished test's job
             * sends late must not end the next test's session of the same number. */
            snprintf(session->id, sizeof(session->id), "{00000000-0000-0000-0000-%012x}", ++bits_server.session_serial);
            snprintf(headers, sizeof(headers), "BITS-Protocol: " BITS_UPLOAD_PROTOCOL "\r\nBITS-Session-Id: %s\r\n"
                     "Accept-Encoding: Identity\r\n", session->id);
            /* Named to one session: a farm's other server would name itself. */
            if (bits_server.host_id[0])
                snprintf(headers + strlen(headers), sizeof(headers) - strlen(headers), "BITS-Host-Id: %s\r\n",
                         bits_server.host_id);
            bits_server.host_id[0] = 0;
            if (bits_server.host_fallback_s)
                snprintf(headers + strlen(headers), sizeof(headers) - strlen(headers),
                         "BITS-Host-Id-Fallback-Timeout: %d\r\n", bits_server.host_fallback_s);
            ret = ack(request, 201, headers);
        }
    }
    else if (!_stricmp(type, "Fragment"))
    {
        DWORD delay = bits_server.ack_delay_ms;

        if (delay)
        {
            LeaveCriticalSection(&bits_server.cs);
            Sleep(delay);
            EnterCriticalSection(&bits_server.cs);
        }
        ret = fragment(request);
    }
    else if (!_stricmp(type, "Close-Session") || !_stricmp(type, "Cancel-Session"))
    {
        BOOL cancel = !_stricmp(type, "Cancel-Session");

        /* Counted, and the faults used, only for this test's sessions: a job
         * of an earlier test may end its own late. */
        if ((session = named_session(request, TRUE)))
        {
            if (cancel) bits_server.cancels++;
            else bits_server.closes++;
        }
        if (session && bits_server.end_failures > 0)
        {
            bits_server.end_failures--;
            char error[96];

            snprintf(error, sizeof(error), "BITS-Error-Code: %#lx\r\nBITS-Error-Context: 0x5\r\n",
                     bits_server.end_error_code);
            ret = ack(request, 503, bits_server.end_error_code ? error : NULL);
        }
        else if (session && !session->cancelled)
        {
            if (cancel) session->cancelled = TRUE;
            else session->closed = TRUE;
            ret = ack(request, 200, NULL);
        }
        else ret = ack(request, 500, "BITS-Error-Code: 0x8020001f\r\nBITS-Error-Context: 0x5\r\n");
    }
    else ret = ack(request, 400, NULL);
    LeaveCriticalSection(&bits_server.cs);
    return ret;
}

BOOL bits_server_start(struct httpd *httpd, const char *path_prefix)
{
    static BOOL lock_made;

    if (!lock_made) InitializeCriticalSection(&bits_server.cs);
    lock_made = TRUE;
    bits_server.httpd = httpd;
    return httpd_add_handler(httpd, "BITS_POST", path_prefix, handle_packet, NULL);
}

/* The lock stays for the process: the handler stays with the httpd, and a
 * cancelled job's Cancel-Session may still come after this. */
void bits_server_stop(void)
{
    bits_server_reset();
}
