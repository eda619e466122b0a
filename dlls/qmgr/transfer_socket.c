/*
 * Background Intelligent Transfer Service: a plain HTTP/1.1 connection over
 * Winsock, the fast path for http:// downloads without proxy or credentials.
 * Wine's WinHTTP moves about 80 MB/s on loopback where a socket moves far
 * more; everything unusual still goes through WinHTTP (transfer_http.c).
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>

#include "winsock2.h"
#include "ws2tcpip.h"
#include "qmgr_private.h"
#include "transfer.h"

#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(qmgr);

#define HEAD_MAX        (64 * 1024)
#define IO_TIMEOUT_MS   60000
#define SLICE_MS        250    /* how often a waiting transfer asks whether to go on */
#define HEADS_TIMEOUT_MS 5000  /* pipelined HEADs: how long a silent server is waited for */

struct http_connection
{
    SOCKET socket;
    transfer_continue_callback keep_going;  /* of the request under way */
    void *context;
    WCHAR host[256];
    INTERNET_PORT port;
    char head[HEAD_MAX + 1];  /* response head, then body bytes that came with it */
    DWORD head_used;          /* bytes in head[] */
    DWORD body_start;         /* where the body begins in head[] */
    DWORD body_pos;           /* body bytes of head[] already handed out */
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

static void disconnect(struct http_connection *connection)
{
    if (connection->socket != INVALID_SOCKET) closesocket(connection->socket);
    connection->socket = INVALID_SOCKET;
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
        ret = select(0, for_write ? NULL : &set, for_write ? &set : NULL, &errors, &slice);
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
    int got;

    for (;;)
    {
        if ((got = recv(connection->socket, buffer, size, 0)) >= 0) return got;
        if (WSAGetLastError() != WSAEWOULDBLOCK)
        {
            *error = WSAGetLastError();
            return -1;
        }
        if ((*error = wait_socket(connection, connection->socket, FALSE, timeout))) return -1;
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

/* Reads until the end of the response head; 0 or a Win32 error. */
static DWORD read_head(struct http_connection *connection)
{
    DWORD error;
    char *end;
    int got;

    connection->head_used = connection->body_start = connection->body_pos = 0;
    for (;;)
    {
        if (connection->head_used == HEAD_MAX) return ERROR_WINHTTP_INVALID_SERVER_RESPONSE;
        got = receive(connection, connection->head + connection->head_used, HEAD_MAX - connection->head_used, &error);
        if (got <= 0) return got ? error : ERROR_WINHTTP_CONNECTION_ERROR;
        connection->head_used += got;
        connection->head[connection->head_used] = 0;
        if ((end = strstr(connection->head, "\r\n\r\n")))
        {
            connection->body_start = end + 4 - connection->head;
            return 0;
        }
    }
}

/* Sends a request (its bytes, ready to go) and reads the response head into
 * *head.  A kept-alive connection the server has dropped meanwhile is opened
 * again once.  Returns 0 or a Win32 error. */
DWORD http_connection_request(struct http_connection *connection, const WCHAR *host, INTERNET_PORT port,
                              const char *request, DWORD size, const char **head,
                              transfer_continue_callback keep_going, void *context)
{
    DWORD error;
    BOOL reused;

    connection->keep_going = keep_going;
    connection->context = context;

    if (connection->socket != INVALID_SOCKET && (connection->port != port || wcsicmp(connection->host, host)))
        disconnect(connection);
    reused = connection->socket != INVALID_SOCKET;
    if (!reused && (error = connect_to(connection, host, port))) return error;

    error = send_all(connection, request, size) ? read_head(connection) : ERROR_WINHTTP_CONNECTION_ERROR;
    if (error && error != ERROR_CANCELLED && reused)
    {
        /* A kept-alive connection the server had closed: once more on a new one. */
        disconnect(connection);
        if ((error = connect_to(connection, host, port))) return error;
        error = send_all(connection, request, size) ? read_head(connection) : ERROR_WINHTTP_CONNECTION_ERROR;
    }
    if (error)
    {
        /* Whatever arrives later on this connection belongs to this request: never reuse it. */
        disconnect(connection);
        return error == WSAETIMEDOUT ? ERROR_WINHTTP_TIMEOUT : error;
    }
    *head = connection->head;
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
    DWORD done = 0, error;
    BOOL reused;
    char *end, saved;
    int got;

    connection->keep_going = keep_going;
    connection->context = keep_context;
    if (connection->socket != INVALID_SOCKET && (connection->port != port || wcsicmp(connection->host, host)))
        disconnect(connection);
    reused = connection->socket != INVALID_SOCKET;
    if (!reused && connect_to(connection, host, port)) return 0;
    connection->head_used = 0;
    if (!send_all(connection, requests, size)) goto out;
    while (done < count)
    {
        connection->head[connection->head_used] = 0;
        if ((end = strstr(connection->head, "\r\n\r\n")))
        {
            end += 4;
            saved = *end;
            *end = 0;
            on_head(context, done++, connection->head);
            *end = saved;
            connection->head_used -= end - connection->head;
            memmove(connection->head, end, connection->head_used);
            continue;
        }
        if (connection->head_used == HEAD_MAX) break;
        got = receive_within(connection, connection->head + connection->head_used, HEAD_MAX - connection->head_used,
                             HEADS_TIMEOUT_MS, &error);
        if (got <= 0) break;
        connection->head_used += got;
    }

out:
    /* Anything else that comes belongs to a request not answered yet. */
    if (done < count || connection->head_used) disconnect(connection);
    connection->head_used = connection->body_start = connection->body_pos = 0;
    if (!done && reused)
    {
        /* A kept-alive connection the server had closed: once more on a new one. */
        return http_connection_heads(connection, host, port, requests, size, count, on_head, context,
                                     keep_going, keep_context);
    }
    return done;
}

/* Body bytes: first those that came with the head, then straight from the socket.
 * *read == 0 means the server closed the connection.  Returns 0 or a Win32 error. */
DWORD http_connection_read(struct http_connection *connection, BYTE *buffer, DWORD size, DWORD *read,
                           transfer_continue_callback keep_going, void *context)
{
    DWORD buffered = connection->head_used - connection->body_start - connection->body_pos, error;
    int got;

    connection->keep_going = keep_going;
    connection->context = context;
    if (buffered)
    {
        *read = min(buffered, size);
        memcpy(buffer, connection->head + connection->body_start + connection->body_pos, *read);
        connection->body_pos += *read;
        return 0;
    }
    got = receive(connection, (char *)buffer, size, &error);
    if (got < 0)
    {
        *read = 0;
        return error;
    }
    *read = got;
    return 0;
}

/* After a response: keep the connection for the next request, or drop it. */
void http_connection_finish(struct http_connection *connection, BOOL reusable)
{
    if (!reusable) disconnect(connection);
}
