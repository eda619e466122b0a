/*
 * Background Intelligent Transfer Service: a plain HTTP/1.1 connection over
 * Winsock, the fast path for http:// downloads without proxy or credentials.
 * Wine's WinHTTP moves about 80 MB/s on loopback where a socket moves far
 * more; everything unusual still goes through WinHTTP (transfer_http.c).
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <ctype.h>
#include <stdlib.h>

#include "winsock2.h"
#include "ws2tcpip.h"
#include "qmgr_private.h"
#include "transfer.h"

#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(qmgr);

#define BUFFER_SIZE     (64 * 1024)  /* a response head must fit; small bodies are read through it */
#define IO_TIMEOUT_MS   60000
#define SLICE_MS        250    /* how often a waiting transfer asks whether to go on */
#define HEADS_TIMEOUT_MS 5000  /* pipelined HEADs: how long a silent server is waited for */
/* GETs sent ahead of their turn (pipelined): at most this many, and this many
 * bytes, so that the server never waits for us to read while we wait for it
 * to take our requests. */
#define PIPELINE_DEPTH  16
#define PIPELINE_BYTES  16384
/* An answer to a request sent ahead that does not begin within this time: the
 * server is taken not to answer pipelined requests, and is asked again plainly. */
#define PIPELINE_WAIT_MS 5000

struct http_connection
{
    SOCKET socket;
    transfer_continue_callback keep_going;  /* of the request under way */
    void *context;
    WCHAR host[256];
    INTERNET_PORT port;
    BOOL no_pipelining;       /* this server does not keep pipelined requests, or ends connections */
    char *ahead[PIPELINE_DEPTH];  /* requests sent before their turn, oldest first */
    DWORD ahead_size[PIPELINE_DEPTH];
    DWORD ahead_count, ahead_bytes;
    /* What came from the server and was not handed out yet: buffer[start, end).
     * A response head, then its body's first bytes, maybe responses after it. */
    DWORD start, end;
    char buffer[BUFFER_SIZE + 1];
};

static BOOL winsock_ready(void)
{
    static LONG started;
    WSADATA data;

    if (started) return TRUE;
    if (WSAStartup(MAKEWORD(2, 2), &data)) return FALSE;
    InterlockedExchange(&started, 1);
    return TRUE;
}

struct http_connection *http_connection_create(void)
{
    struct http_connection *connection;

    if (!winsock_ready() || !(connection = calloc(1, sizeof(*connection)))) return NULL;
    connection->socket = INVALID_SOCKET;
    return connection;
}

/* Drops the connection, and with it what was sent ahead and what came unread. */
static void disconnect(struct http_connection *connection)
{
    if (connection->socket != INVALID_SOCKET) closesocket(connection->socket);
    connection->socket = INVALID_SOCKET;
    while (connection->ahead_count) free(connection->ahead[--connection->ahead_count]);
    connection->ahead_bytes = 0;
    connection->start = connection->end = 0;
}

void http_connection_destroy(struct http_connection *connection)
{
    if (!connection) return;
    disconnect(connection);
    free(connection);
}

/* Waits until the socket can be read (or, connecting, written), in slices, so
 * that a job stopped meanwhile lets go within a slice.  0, WSAETIMEDOUT, or
 * ERROR_CANCELLED when the job stopped. */
static DWORD wait_socket(struct http_connection *connection, SOCKET s, BOOL for_write, DWORD timeout)
{
    struct timeval slice = { 0, SLICE_MS * 1000 };
    DWORD waited = 0;
    fd_set set, errors;
    int ret;

    for (;;)
    {
        FD_ZERO(&set);
        FD_SET(s, &set);
        FD_ZERO(&errors);
        FD_SET(s, &errors);
        /* The error set is for a connect that fails: for a read it also holds
         * urgent (out-of-band) data, which recv does not take, and select
         * would say so at once for ever. */
        ret = select(0, for_write ? NULL : &set, for_write ? &set : NULL, for_write ? &errors : NULL, &slice);
        if (ret < 0) return WSAGetLastError();
        if (ret > 0) return 0;
        if (connection->keep_going && !connection->keep_going(connection->context)) return ERROR_CANCELLED;
        if ((waited += SLICE_MS) >= timeout) return WSAETIMEDOUT;
    }
}

static DWORD connect_to(struct http_connection *connection, const WCHAR *host, INTERNET_PORT port)
{
    ADDRINFOW hints = { 0 }, *addresses = NULL, *address;
    DWORD error = WSAEHOSTUNREACH;
    u_long non_blocking;
    WCHAR service[8];
    SOCKET s;

    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    swprintf(service, ARRAY_SIZE(service), L"%u", port);
    if (GetAddrInfoW(host, service, &hints, &addresses)) return ERROR_WINHTTP_NAME_NOT_RESOLVED;
    for (address = addresses; address; address = address->ai_next)
    {
        if ((s = socket(address->ai_family, SOCK_STREAM, IPPROTO_TCP)) == INVALID_SOCKET) continue;
        /* A bounded connect: non-blocking, then wait for it in slices. */
        non_blocking = 1;
        ioctlsocket(s, FIONBIO, &non_blocking);
        if (connect(s, address->ai_addr, address->ai_addrlen) && WSAGetLastError() != WSAEWOULDBLOCK)
        {
            closesocket(s);
            continue;
        }
        if (!wait_socket(connection, s, TRUE, IO_TIMEOUT_MS))
        {
            int so_error = 0, len = sizeof(so_error);
            BOOL nodelay = TRUE;

            getsockopt(s, SOL_SOCKET, SO_ERROR, (char *)&so_error, &len);
            if (so_error)
            {
                closesocket(s);
                continue;
            }
            /* The socket stays non-blocking: reads wait in slices only when nothing has come. */
            setsockopt(s, IPPROTO_TCP, TCP_NODELAY, (char *)&nodelay, sizeof(nodelay));
            connection->socket = s;
            /* Another server: what was learnt of the last one does not hold. */
            if (connection->port != port || wcsicmp(connection->host, host)) connection->no_pipelining = FALSE;
            wcscpy(connection->host, host);
            connection->port = port;
            error = 0;
            break;
        }
        closesocket(s);
    }
    FreeAddrInfoW(addresses);
    /* What WinHTTP reports for the same failure. */
    return error ? ERROR_WINHTTP_CANNOT_CONNECT : 0;
}

/* recv on the non-blocking socket, waiting in slices while nothing is there, at
 * most timeout ms.  Returns the bytes read (0: closed by the server) or -1 with
 * *error set. */
static int receive_within(struct http_connection *connection, char *buffer, int size, DWORD timeout, DWORD *error)
{
    ULONGLONG start = GetTickCount64(), waited;
    int got;

    for (;;)
    {
        if ((got = recv(connection->socket, buffer, size, 0)) >= 0) return got;
        if (WSAGetLastError() != WSAEWOULDBLOCK)
        {
            *error = WSAGetLastError();
            return -1;
        }
        /* Bounded in all, however often the socket says it is readable with
         * nothing to read; the job's stop is asked once a slice has gone. */
        if ((waited = GetTickCount64() - start) >= timeout) *error = WSAETIMEDOUT;
        else if (waited >= SLICE_MS && connection->keep_going && !connection->keep_going(connection->context))
            *error = ERROR_CANCELLED;
        else *error = wait_socket(connection, connection->socket, FALSE, (DWORD)(timeout - waited));
        if (*error) return -1;
    }
}

static int receive(struct http_connection *connection, char *buffer, int size, DWORD *error)
{
    return receive_within(connection, buffer, size, IO_TIMEOUT_MS, error);
}

static BOOL send_all(struct http_connection *connection, const char *data, DWORD size)
{
    int sent;

    while (size)
    {
        if ((sent = send(connection->socket, data, size, 0)) < 0)
        {
            if (WSAGetLastError() != WSAEWOULDBLOCK || wait_socket(connection, connection->socket, TRUE, IO_TIMEOUT_MS))
                return FALSE;
            continue;
        }
        data += sent;
        size -= sent;
    }
    return TRUE;
}

/* At most this many interim answers before a request's real one. */
#define MAX_INTERIM_HEADS 16

/* Whether the head is an interim answer (1xx, but 101 which changes the
 * protocol), which comes before the request's real one (RFC 9110 15.2). */
static BOOL is_interim(const char *head)
{
    return !strncmp(head, "HTTP/1.", 7) && head[8] == ' ' && head[9] == '1' && isdigit(head[10]) &&
           isdigit(head[11]) && (head[10] != '0' || head[11] != '1');
}

/* Reads until the end of a response head, which then begins the buffer; 0 or
 * a Win32 error.  *head_end is where the body begins. */
static DWORD read_head(struct http_connection *connection, DWORD timeout, DWORD *head_end)
{
    DWORD error, searched = 0, interim = 0;
    char *found;
    int got;

    /* What is left of earlier responses was handed out: what remains is this one's. */
    memmove(connection->buffer, connection->buffer + connection->start, connection->end - connection->start);
    connection->end -= connection->start;
    connection->start = 0;
    for (;;)
    {
        connection->buffer[connection->end] = 0;
        /* Not strstr: a NUL in the head must not hide its end. */
        for (found = NULL; !found && searched + 4 <= connection->end; searched++)
            if (!memcmp(connection->buffer + searched, "\r\n\r\n", 4)) found = connection->buffer + searched;
        if (found)
        {
            *head_end = found + 4 - connection->buffer;
            /* A NUL would end the head early for whoever reads it as a string. */
            if (memchr(connection->buffer, 0, *head_end)) return ERROR_WINHTTP_INVALID_SERVER_RESPONSE;
            if (!is_interim(connection->buffer)) return 0;
            /* Skipped: the real answer follows. */
            if (++interim > MAX_INTERIM_HEADS) return ERROR_WINHTTP_INVALID_SERVER_RESPONSE;
            memmove(connection->buffer, connection->buffer + *head_end, connection->end - *head_end);
            connection->end -= *head_end;
            searched = 0;
            continue;
        }
        /* The end of the head may straddle what came and what comes next:
         * searched stopped at the last three bytes. */
        if (connection->end == BUFFER_SIZE) return ERROR_WINHTTP_INVALID_SERVER_RESPONSE;
        got = receive_within(connection, connection->buffer + connection->end, BUFFER_SIZE - connection->end,
                             timeout, &error);
        /* Closed before a whole head came: what WinHTTP says of it too. */
        if (got <= 0) return got ? error : ERROR_WINHTTP_INVALID_SERVER_RESPONSE;
        connection->end += got;
    }
}

/* Connected to host:port, on the connection there is or a new one; 0 or a Win32 error. */
static DWORD connect_for(struct http_connection *connection, const WCHAR *host, INTERNET_PORT port, BOOL *reused)
{
    if (connection->socket != INVALID_SOCKET && (connection->port != port || wcsicmp(connection->host, host)))
        disconnect(connection);
    *reused = connection->socket != INVALID_SOCKET;
    return *reused ? 0 : connect_to(connection, host, port);
}

/* Appends to *out the requests that follow this one and are not sent yet, as
 * far as the pipeline's limits allow; they join the requests sent ahead. */
static void add_requests_ahead(struct http_connection *connection, http_next_request next, void *next_context,
                               char **out, DWORD *out_size)
{
    char *request, *grown;
    DWORD size;

    /* Topped up in batches, so that one send carries several. */
    if (!next || connection->no_pipelining || connection->ahead_count > PIPELINE_DEPTH / 2) return;
    while (connection->ahead_count < PIPELINE_DEPTH)
    {
        if (!(request = next(next_context, connection->ahead_count, &size))) break;
        if (connection->ahead_bytes + size > PIPELINE_BYTES || !(grown = realloc(*out, *out_size + size)))
        {
            free(request);
            break;
        }
        memcpy(grown + *out_size, request, size);
        *out = grown;
        *out_size += size;
        connection->ahead[connection->ahead_count] = request;
        connection->ahead_size[connection->ahead_count++] = size;
        connection->ahead_bytes += size;
    }
}

/* Sends the request unless it went ahead already, with the ones after it that
 * may go ahead, and reads its response head.  0 or a Win32 error. */
static DWORD send_and_read_head(struct http_connection *connection, const char *request, DWORD size, BOOL sent,
                                http_next_request next, void *next_context, DWORD *head_end)
{
    char *out = NULL;
    DWORD out_size = 0, error = 0;

    if (!sent && (out = malloc(size)))
    {
        memcpy(out, request, size);
        out_size = size;
    }
    if (!sent && !out) return ERROR_OUTOFMEMORY;
    add_requests_ahead(connection, next, next_context, &out, &out_size);
    if (out_size && !send_all(connection, out, out_size)) error = ERROR_WINHTTP_CONNECTION_ERROR;
    free(out);
    return error ? error : read_head(connection, sent ? PIPELINE_WAIT_MS : IO_TIMEOUT_MS, head_end);
}

/* Sends a request (its bytes, ready to go) and reads the response head into
 * *head.  Requests that next(n) says come after it may be sent ahead
 * (pipelined); a request that went ahead is not sent again, only answered.  A
 * kept-alive connection the server has dropped meanwhile is opened again once.
 * Returns 0 or a Win32 error. */
DWORD http_connection_request(struct http_connection *connection, const WCHAR *host, INTERNET_PORT port,
                              const char *request, DWORD size, http_next_request next, void *next_context,
                              const char **head, transfer_continue_callback keep_going, void *context)
{
    DWORD error, head_end;
    BOOL reused, sent = FALSE;

    connection->keep_going = keep_going;
    connection->context = context;

    if ((error = connect_for(connection, host, port, &reused))) return error;
    if (connection->ahead_count)
    {
        /* Only the oldest request sent ahead can be answered next. */
        if (connection->ahead_size[0] == size && !memcmp(connection->ahead[0], request, size))
        {
            free(connection->ahead[0]);
            connection->ahead_bytes -= size;
            memmove(connection->ahead, connection->ahead + 1, --connection->ahead_count * sizeof(*connection->ahead));
            memmove(connection->ahead_size, connection->ahead_size + 1, connection->ahead_count * sizeof(DWORD));
            sent = TRUE;
        }
        else
        {
            disconnect(connection);
            if ((error = connect_for(connection, host, port, &reused))) return error;
        }
    }

    error = send_and_read_head(connection, request, size, sent, next, next_context, &head_end);
    if (error && error != ERROR_CANCELLED && reused)
    {
        /* A request sent ahead that met silence: this server does not answer those. */
        if (sent && error == WSAETIMEDOUT)
        {
            WARN("%s:%u did not answer a pipelined request: asking one at a time.\n", debugstr_w(host), port);
            connection->no_pipelining = TRUE;
        }
        /* A kept-alive connection the server had closed: once more on a new one. */
        disconnect(connection);
        if ((error = connect_to(connection, host, port))) return error;
        error = send_and_read_head(connection, request, size, FALSE, next, next_context, &head_end);
    }
    if (error)
    {
        /* Whatever arrives later on this connection belongs to this request: never reuse it. */
        disconnect(connection);
        return error == WSAETIMEDOUT ? ERROR_WINHTTP_TIMEOUT : error;
    }
    *head = connection->buffer;
    connection->start = head_end;
    return 0;
}

/* Requests whose responses have no body (HEAD), sent all at once (pipelined);
 * each response head goes to on_head, in order.  Returns how many did.  A
 * server that keeps the later ones waiting is not waited for long: what they
 * would tell is only worth having early. */
DWORD http_connection_heads(struct http_connection *connection, const WCHAR *host, INTERNET_PORT port,
                            const char *requests, DWORD size, DWORD count,
                            void (*on_head)(void *context, DWORD index, const char *head), void *context,
                            transfer_continue_callback keep_going, void *keep_context)
{
    DWORD done = 0, head_end, error = 0;
    BOOL reused;
    char saved;

    connection->keep_going = keep_going;
    connection->context = keep_context;
    /* Answers still due to other requests would be taken for these. */
    if (connection->ahead_count || connection->end > connection->start) disconnect(connection);
    if (connect_for(connection, host, port, &reused)) return 0;
    if (send_all(connection, requests, size))
    {
        while (done < count && !(error = read_head(connection, HEADS_TIMEOUT_MS, &head_end)))
        {
            saved = connection->buffer[head_end];
            connection->buffer[head_end] = 0;
            on_head(context, done++, connection->buffer);
            connection->buffer[head_end] = saved;
            connection->start = head_end;
        }
    }
    /* Answers that stop coming: this server does not answer requests sent ahead. */
    if (done && done < count && error == WSAETIMEDOUT)
    {
        WARN("%s:%u did not answer pipelined HEADs: asking one at a time.\n", debugstr_w(host), port);
        connection->no_pipelining = TRUE;
    }
    /* Anything else that comes belongs to a request not answered yet. */
    if (done < count || connection->end > connection->start) disconnect(connection);
    if (!done && reused)
    {
        /* A kept-alive connection the server had closed: once more on a new one. */
        return http_connection_heads(connection, host, port, requests, size, count, on_head, context,
                                     keep_going, keep_context);
    }
    return done;
}

/* Body bytes, never more than size, which the caller keeps within the body:
 * first those that came with the head, then from the socket.  A small read
 * fills the buffer, which may take in the responses after this one.  *read ==
 * 0 means the server closed the connection.  Returns 0 or a Win32 error. */
DWORD http_connection_read(struct http_connection *connection, BYTE *buffer, DWORD size, DWORD *read,
                           transfer_continue_callback keep_going, void *context)
{
    DWORD error;
    int got;

    connection->keep_going = keep_going;
    connection->context = context;
    *read = 0;
    if (connection->start == connection->end && size < BUFFER_SIZE / 4)
    {
        connection->start = connection->end = 0;
        if ((got = receive(connection, connection->buffer, BUFFER_SIZE, &error)) < 0) return error;
        if (!got) return 0;
        connection->end = got;
    }
    if (connection->start < connection->end)
    {
        *read = min(connection->end - connection->start, size);
        memcpy(buffer, connection->buffer + connection->start, *read);
        connection->start += *read;
        return 0;
    }
    if ((got = receive(connection, (char *)buffer, size, &error)) < 0) return error;
    *read = got;
    return 0;
}

/* After a response: keep the connection for the next request, or drop it.
 * Bytes beyond the response that no request sent ahead explains mean the
 * server is out of step: the connection is dropped then too. */
void http_connection_finish(struct http_connection *connection, BOOL reusable)
{
    if (!reusable || (!connection->ahead_count && connection->end > connection->start)) disconnect(connection);
}

/* The server ends connections after a response: requests sent ahead on one would be lost. */
void http_connection_no_pipelining(struct http_connection *connection)
{
    connection->no_pipelining = TRUE;
}
