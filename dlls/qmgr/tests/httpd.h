/*
 * Loopback HTTP/1.1 server for the BITS conformance tests
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
 * The server runs in threads of the test process and listens on
 * 127.0.0.1 on a random free port.  It uses only Winsock 2 and kernel32,
 * so the test executable also runs on Windows.  Link with ws2_32.
 *
 * Tests register resources (a path and its content, with options that make
 * the server misbehave in controlled ways), point BITS at httpd_url(), and
 * afterwards inspect the request log.  All functions are thread-safe.
 * Paths are matched exactly, first with the query string, then without it.
 *
 * Built-in behaviour for GET and HEAD of a resource:
 *  - 200 with Content-Length, Content-Type, Accept-Ranges: bytes, Date,
 *    Last-Modified (a fixed default date unless set) and ETag (if set);
 *  - Range: bytes=a-b, a-, -n -> 206 with Content-Range; several ranges ->
 *    206 multipart/byteranges; no satisfiable range -> 416 with
 *    Content-Range: bytes * / size; a malformed Range is ignored (200);
 *  - If-Range (ETag or date): on mismatch the Range is ignored (200);
 *    If-Match / If-Unmodified-Since mismatch -> 412 (or see precondition);
 *    If-None-Match / If-Modified-Since -> 304;
 *  - keep-alive for HTTP/1.1 unless "Connection: close" (or HTTP/1.0
 *    without "Connection: keep-alive").
 * Unknown path -> 404.  Other methods -> 501, unless a handler added with
 * httpd_add_handler() takes the request (BITS upload protocol, custom auth).
 */

#ifndef QMGR_TESTS_HTTPD_H
#define QMGR_TESTS_HTTPD_H

#include <windef.h>
#include <winbase.h>

struct httpd;
struct httpd_request;

/* Starts a server; NULL on failure.  httpd_stop() ends every connection,
 * joins all threads (bounded waits) and frees everything. */
struct httpd *httpd_start(void);
void httpd_stop(struct httpd *httpd);
unsigned short httpd_port(struct httpd *httpd);

/* L"http://127.0.0.1:PORT" + path (path starts with '/'); returns buf. */
WCHAR *httpd_url(struct httpd *httpd, const char *path, WCHAR *buf, size_t len);
char *httpd_url_a(struct httpd *httpd, const char *path, char *buf, size_t len);

/* Number of TCP connections accepted so far. */
LONG httpd_connection_count(struct httpd *httpd);


/* ---- generated content --------------------------------------------------
 * Pattern resources serve byte i of the stream named by seed, computed on
 * the fly (any size, even many GiB).  The stream is not periodic at any
 * power of two, so a misplaced range or resume shows up as a mismatch. */
void httpd_pattern_fill(unsigned int seed, ULONGLONG offset, void *buf, size_t size);
/* Index in buf of the first byte that differs from the pattern, or -1. */
LONGLONG httpd_pattern_check(unsigned int seed, ULONGLONG offset, const void *buf, size_t size);
/* TRUE if the file holds exactly size bytes of the pattern. */
BOOL httpd_pattern_check_file(const WCHAR *path, unsigned int seed, ULONGLONG size);


/* ---- resources ---------------------------------------------------------- */

enum httpd_length_mode
{
    HTTPD_LENGTH_NORMAL = 0,  /* Content-Length: the real length */
    HTTPD_LENGTH_CLOSE,       /* no Content-Length, body ends when the connection closes */
    HTTPD_LENGTH_CHUNKED,     /* Transfer-Encoding: chunked (HTTP/1.0 clients get HTTPD_LENGTH_CLOSE) */
    HTTPD_LENGTH_FAKE,        /* Content-Length: fake_length, then the real body, then close */
};

enum httpd_precondition_mode
{
    HTTPD_PRECONDITION_STRICT = 0, /* If-Match / If-Unmodified-Since mismatch -> 412 */
    HTTPD_PRECONDITION_FULL_BODY,  /* mismatch -> ignore Range, 200 with the full body */
    HTTPD_PRECONDITION_IGNORE,     /* conditional headers (If-Range too) are ignored */
};

/* All-zero options (or a NULL pointer) give a well-behaved static file. */
struct httpd_resource_options
{
    int status;                  /* non-zero: always answer this status, the content as its body
                                    (none for HEAD, 1xx, 204, 304); no Range handling */
    const char *location;        /* Location header (redirects) */
    const char *content_type;    /* default "application/octet-stream" */
    const char *headers;         /* extra response header lines, each ending with "\r\n" */
    const char *etag;            /* ETag value with its quotes, e.g. "\"v1\""; NULL: none */
    const char *last_modified;   /* Last-Modified value; NULL: HTTPD_DEFAULT_LAST_MODIFIED */
    BOOL no_last_modified;       /* send no Last-Modified */
    BOOL no_ranges;              /* ignore Range (always 200), no Accept-Ranges header */
    BOOL wrong_content_range;    /* a single range is answered with the range one byte off
                                    (its Content-Range and its bytes): a broken server */
    enum httpd_length_mode length_mode;
    ULONGLONG fake_length;       /* for HTTPD_LENGTH_FAKE */
    enum httpd_precondition_mode precondition;
    int drop_count;              /* drop the connection in the next drop_count responses
                                    (-1: in every response) after drop_after body bytes;
                                    a body not longer than drop_after is sent whole */
    ULONGLONG drop_after;
    BOOL drop_reset;             /* drop with a TCP reset instead of an orderly close */
    DWORD slow_delay_ms;         /* pause this long after each slow_chunk bytes of body */
    DWORD slow_chunk;            /* default 4096 when slow_delay_ms is set */
    DWORD header_delay_ms;       /* pause before sending the response headers */
    const char *basic_auth;      /* "user:password": other requests get 401 with
                                    WWW-Authenticate: Basic realm="qmgr-test" */
    const char *digest_auth;     /* "user:password": other requests get 401 with WWW-Authenticate:
                                    Digest realm="qmgr-test", qop="auth", algorithm=MD5 (RFC 7616);
                                    an answer must name the request's target and the server's
                                    nonce and opaque */
    BOOL ignore_pipelined;       /* after the response, drop unanswered whatever else the client
                                    had sent on the connection, and keep it open (a server that
                                    does not do HTTP pipelining) */
};

#define HTTPD_DEFAULT_LAST_MODIFIED "Mon, 01 Jan 2024 00:00:00 GMT"

/* Adds the resource at path, or replaces it (the new content/options apply
 * to requests that start afterwards).  The data and strings are copied. */
BOOL httpd_add_resource(struct httpd *httpd, const char *path, const void *data, size_t size,
                        const struct httpd_resource_options *options);
BOOL httpd_add_pattern_resource(struct httpd *httpd, const char *path, ULONGLONG size, unsigned int seed,
                                const struct httpd_resource_options *options);
/* A resource that answers status (301, 302, 303, 307, 308) with Location. */
BOOL httpd_add_redirect(struct httpd *httpd, const char *path, int status, const char *location);
BOOL httpd_remove_resource(struct httpd *httpd, const char *path);
/* Changes the options of an existing resource, keeping its content. */
BOOL httpd_set_resource_options(struct httpd *httpd, const char *path, const struct httpd_resource_options *options);
/* Changes ETag (NULL: none) and Last-Modified (NULL: none) of a resource,
 * e.g. to make a resumed download see a changed file. */
BOOL httpd_set_resource_validators(struct httpd *httpd, const char *path, const char *etag, const char *last_modified);

/* Formats a time as an HTTP date ("Sun, 06 Nov 1994 08:49:37 GMT"); buf >= 32 chars. */
char *httpd_format_date(const SYSTEMTIME *time, char *buf);


/* ---- request log -------------------------------------------------------- */

struct httpd_log_entry
{
    char method[32];
    char path[1024];             /* request target as sent (path and query) */
    char version[16];            /* "HTTP/1.1" */
    char headers[8192];          /* raw request header lines, "Name: value\r\n" each (truncated to fit) */
    int status;                  /* status sent; 0 if none (yet) */
    ULONGLONG body_bytes;        /* response body bytes sent (payload, without chunk framing) */
    ULONGLONG request_body_bytes;/* request body bytes read */
    BOOL dropped;                /* the server dropped the connection on purpose */
    BOOL aborted;                /* the response could not be sent completely (client gone, stop) */
    BOOL complete;               /* the server is done with this request */
    LONG connection;             /* connection number, from 1 */
    unsigned int request_index;  /* index of the request within its connection, from 0 */
};

unsigned int httpd_log_count(struct httpd *httpd);
BOOL httpd_log_get(struct httpd *httpd, unsigned int index, struct httpd_log_entry *entry);
/* First entry at index >= start with this method and path (NULL: any); returns its index or -1. */
int httpd_log_find(struct httpd *httpd, const char *method, const char *path, unsigned int start,
                   struct httpd_log_entry *entry);
void httpd_log_clear(struct httpd *httpd);
/* Waits until at least count entries exist and all of them are complete. */
BOOL httpd_log_wait(struct httpd *httpd, unsigned int count, DWORD timeout_ms);
/* Value of a request header of a log entry (case-insensitive name). */
BOOL httpd_log_header(const struct httpd_log_entry *entry, const char *name, char *buf, size_t size);


/* ---- custom handlers ----------------------------------------------------
 * A handler gets every request whose method matches (NULL: any) and whose
 * path starts with path_prefix (NULL: any), before the built-in handling,
 * in the order added.  It returns TRUE if it answered the request with
 * httpd_respond(), FALSE to pass it on (then it must not have read the
 * request body).  Used for
 * the BITS upload protocol (BITS_POST) and for authentication schemes. */
typedef BOOL (*httpd_handler)(struct httpd_request *request, void *context);

BOOL httpd_add_handler(struct httpd *httpd, const char *method, const char *path_prefix,
                       httpd_handler handler, void *context);

const char *httpd_request_method(struct httpd_request *request);
const char *httpd_request_path(struct httpd_request *request);     /* target as sent */
BOOL httpd_request_header(struct httpd_request *request, const char *name, char *buf, size_t size);
/* The Digest challenge of digest_auth, for WWW-Authenticate or Proxy-Authenticate. */
#define HTTPD_DIGEST_REALM  "qmgr-test"
#define HTTPD_DIGEST_NONCE  "6c5a0f9e2d8b4a17b3e2c1d0f9a8b7c6"
#define HTTPD_DIGEST_OPAQUE "0f1e2d3c4b5a6978"
#define HTTPD_DIGEST_CHALLENGE "Digest realm=\"" HTTPD_DIGEST_REALM "\", nonce=\"" HTTPD_DIGEST_NONCE \
    "\", opaque=\"" HTTPD_DIGEST_OPAQUE "\", qop=\"auth\", algorithm=MD5"

/* Whether the header (Authorization or Proxy-Authorization) holds a Digest
 * answer for credentials ("user:password") to HTTPD_DIGEST_CHALLENGE. */
BOOL httpd_check_digest(struct httpd_request *request, const char *header, const char *credentials);
/* Request body length: Content-Length, or -1 if chunked, 0 if none. */
LONGLONG httpd_request_content_length(struct httpd_request *request);
/* Reads the request body (sends "100 Continue" first if the client expects
 * it); returns the bytes read, 0 at its end, -1 on error. */
int httpd_request_read_body(struct httpd_request *request, void *buf, int size);
/* Sends a complete response: status line, "Content-Length: size", the extra
 * header lines (each ending with "\r\n", may be NULL) and the body (not for HEAD). */
BOOL httpd_respond(struct httpd_request *request, int status, const char *headers, const void *body, size_t size);
/* The same without Content-Length: the body ends when the connection closes. */
BOOL httpd_respond_until_close(struct httpd_request *request, int status, const char *headers, const void *body,
                               size_t size);
/* Sends these bytes as they are, as the whole response (a broken server's),
 * and closes the connection. */
BOOL httpd_respond_raw(struct httpd_request *request, const void *data, size_t size);
/* Sends an interim (1xx) response, before the request's final one. */
BOOL httpd_send_interim(struct httpd_request *request, int status);
/* Sends the first bytes of a raw response; httpd_respond_raw sends the rest. */
BOOL httpd_send_raw_part(struct httpd_request *request, const void *data, size_t size);
/* Close the connection after this response. */
void httpd_request_close_connection(struct httpd_request *request);
/* The request's connection number, as in the log (connection-bound authentication). */
LONG httpd_request_connection(struct httpd_request *request);

#endif /* QMGR_TESTS_HTTPD_H */
