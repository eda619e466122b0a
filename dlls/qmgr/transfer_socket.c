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

struct http_connection
{
    SOCKET socket;
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

static DWORD connect_to(struct http_connection *connection, const WCHAR *host, INTERNET_PORT port)
{
    ADDRINFOW hints = { 0 }, *addresses = NULL, *address;
    DWORD timeout = IO_TIMEOUT_MS, error = WSAEHOSTUNREACH;
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
        if (!connect(s, address->ai_addr, address->ai_addrlen))
        {
            BOOL nodelay = TRUE;
            setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, (char *)&timeout, sizeof(timeout));
            setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, (char *)&timeout, sizeof(timeout));
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

static BOOL send_all(SOCKET s, const char *data, DWORD size)
{
    int sent;

    while (size)
    {
        if ((sent = send(s, data, size, 0)) <= 0) return FALSE;
        data += sent;
        size -= sent;
    }
    return TRUE;
}

/* Reads until the end of the response head; 0 or a Win32 error. */
static DWORD read_head(struct http_connection *connection)
{
    char *end;
    int got;

    connection->head_used = connection->body_start = connection->body_pos = 0;
    for (;;)
    {
        if (connection->head_used == HEAD_MAX) return ERROR_WINHTTP_INVALID_SERVER_RESPONSE;
        got = recv(connection->socket, connection->head + connection->head_used, HEAD_MAX - connection->head_used, 0);
        if (got <= 0) return got ? WSAGetLastError() : ERROR_WINHTTP_CONNECTION_ERROR;
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
                              const char *request, DWORD size, const char **head)
{
    DWORD error;
    BOOL reused;

    if (connection->socket != INVALID_SOCKET && (connection->port != port || wcsicmp(connection->host, host)))
        disconnect(connection);
    reused = connection->socket != INVALID_SOCKET;
    if (!reused && (error = connect_to(connection, host, port))) return error;

    error = send_all(connection->socket, request, size) ? read_head(connection) : ERROR_WINHTTP_CONNECTION_ERROR;
    if (error && reused)
    {
        /* A kept-alive connection the server had closed: once more on a new one. */
        disconnect(connection);
        if ((error = connect_to(connection, host, port))) return error;
        error = send_all(connection->socket, request, size) ? read_head(connection) : ERROR_WINHTTP_CONNECTION_ERROR;
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

/* Body bytes: first those that came with the head, then straight from the socket.
 * *read == 0 means the server closed the connection.  Returns 0 or a Win32 error. */
DWORD http_connection_read(struct http_connection *connection, BYTE *buffer, DWORD size, DWORD *read)
{
    DWORD buffered = connection->head_used - connection->body_start - connection->body_pos;
    int got;

    if (buffered)
    {
        *read = min(buffered, size);
        memcpy(buffer, connection->head + connection->body_start + connection->body_pos, *read);
        connection->body_pos += *read;
        return 0;
    }
    got = recv(connection->socket, (char *)buffer, size, 0);
    if (got < 0)
    {
        *read = 0;
        return WSAGetLastError();
    }
    *read = got;
    return 0;
}

/* After a response: keep the connection for the next request, or drop it. */
void http_connection_finish(struct http_connection *connection, BOOL reusable)
{
    if (!reusable) disconnect(connection);
}
