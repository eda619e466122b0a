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

/*
 * Create-Session gives a session; Fragments must come in order (a gap gets
 * 416 and BITS-Received-Content-Range); Close-Session and Cancel-Session end
 * it.  Failed Acks carry BITS-Error-Code and BITS-Error-Context as IIS sends
 * them.  Tests read and set the state under bits_server.cs.
 */

#ifndef QMGR_TESTS_BITS_SERVER_H
#define QMGR_TESTS_BITS_SERVER_H

#include "httpd.h"

#define BITS_UPLOAD_PROTOCOL "{7df0354d-249b-430f-820d-3d2a9bef4931}"
#define BITS_SERVER_MAX_SESSIONS 16

struct bits_upload_session
{
    char id[64];
    BYTE *data;
    UINT64 size;          /* of the file, from Content-Range */
    UINT64 received;      /* bytes from 0 the server has */
    char content_name[MAX_PATH];
    BOOL closed, cancelled;
};

struct bits_server
{
    CRITICAL_SECTION cs;
    struct httpd *httpd;
    struct bits_upload_session sessions[BITS_SERVER_MAX_SESSIONS];
    unsigned int session_count;
    unsigned int session_serial;  /* numbers every session ever made: never reset */
    /* Faults, each used once: */
    int create_status;           /* non-zero: Create-Session answers this */
    int fail_fragment;           /* answer the n-th fragment (from 1) with 503 */
    int forget_at_fragment;      /* the n-th fragment finds its session gone (BG_E_SESSION_NOT_FOUND) */
    DWORD ack_delay_ms;          /* wait this long before each fragment's Ack (not holding the lock) */
    BOOL reply;                  /* upload-reply: the last fragment's Ack names a reply (else none) */
    char host_id[64];            /* the next Create-Session's Ack names this BITS-Host-Id ("": none) */
    int host_fallback_s;         /* and this BITS-Host-Id-Fallback-Timeout (0: none) */
    char reply_url[128];         /* upload-reply: a BITS-Reply-URL of this value instead of the real one */
    int create_error_status;     /* non-zero: Create-Session fails with this and a BITS-Error-Code of 0 */
    const char *create_error_headers; /* ... or with these BITS-Error-* headers if not NULL */
    const char *bad_create_ack;  /* non-NULL: Create-Session gets 200 with these header lines only */
    const char *bad_fragment_range; /* non-NULL: each Fragment's Ack says this BITS-Received-Content-Range
                                       ("": none) whatever came */
    int end_failures;            /* the next n Close-Session and Cancel-Session packets fail with 503 ... */
    HRESULT end_error_code;      /* ... carrying this BITS-Error-Code if not 0 */
    /* What happened: */
    unsigned int creates, fragments, closes, cancels;
    UINT64 body_bytes;           /* fragment bytes received in all */
};

extern struct bits_server bits_server;

/* Answers BITS_POST requests under path_prefix. */
BOOL bits_server_start(struct httpd *httpd, const char *path_prefix);
/* Forgets the sessions, faults and counts. */
void bits_server_reset(void);
void bits_server_stop(void);

#endif /* QMGR_TESTS_BITS_SERVER_H */
