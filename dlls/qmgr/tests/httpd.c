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

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <tlhelp32.h>
#include <bcrypt.h>

#include "wine/test.h"
#include "httpd.h"

#define HTTPD_MAX_CONNECTIONS 64
#define HTTPD_IO_SIZE         (256 * 1024)   /* body bytes per send() */
#define HTTPD_MAX_HEAD        (64 * 1024)    /* longest accepted request head */
#define HTTPD_MAX_HEADERS     128
#define HTTPD_MAX_RANGES      64
#define HTTPD_IDLE_TIMEOUT    60000          /* longest wait for a client to send or receive */
#define HTTPD_DRAIN_TIMEOUT   2000           /* lingering close */
#define HTTPD_JOIN_TIMEOUT    5000           /* per stage of httpd_stop() */
#define HTTPD_DISCARD_LIMIT   (16 * 1024 * 1024)
#define HTTPD_BOUNDARY        "qmgr_httpd_byteranges_7d1c52e0"

#define HTTPD_MIN(a, b) ((a) < (b) ? (a) : (b))

struct resource
{
    LONG refcount;
    char *path;
    BYTE *data;                  /* memory content; NULL for a pattern */
    ULONGLONG size;
    BOOL pattern;
    unsigned int seed;
    struct httpd_resource_options opts;  /* strings are private copies */
    struct resource *next;
};

struct handler_entry
{
    char *method;
    char *prefix;
    httpd_handler func;
    void *context;
    struct handler_entry *next;
};

struct log_item
{
    char method[32];
    char version[16];
    char *target;
    char *headers;
    int status;
    ULONGLONG body_bytes;
    ULONGLONG request_body_bytes;
    BOOL dropped;
    BOOL aborted;
    BOOL complete;
    LONG connection;
    unsigned int request_index;
};

struct conn
{
    struct httpd *httpd;
    SOCKET sock;                 /* non-blocking, signals event */
    WSAEVENT event;
    HANDLE thread;
    LONG id;
    BOOL finished;
    BOOL idle;                   /* waiting for a request, nothing buffered */
    BOOL kicked;                 /* asked to close if idle (out of connection slots) */
    char *in;                    /* receive buffer */
    size_t in_pos, in_len;
    BYTE *out;                   /* body buffer, HTTPD_IO_SIZE */
    unsigned int requests;
    struct conn *next;
};

struct httpd
{
    CRITICAL_SECTION cs;
    CONDITION_VARIABLE log_changed;
    SOCKET listener;
    unsigned short port;
    HANDLE stop_event;
    HANDLE accept_event;
    HANDLE slots;                /* semaphore: free connection slots */
    HANDLE listen_thread;
    LONG stopping;
    LONG connections;
    struct resource *resources;
    struct handler_entry *handlers;
    struct conn *conns;
    struct log_item *log;
    unsigned int log_count, log_capacity, log_generation;
};

struct header
{
    const char *name;
    const char *value;
};

struct httpd_request
{
    struct conn *conn;
    char *head;                  /* request head, split in place */
    char *raw_headers;           /* copy of the header lines */
    const char *method;
    const char *target;
    const char *version;
    char *path;                  /* target without the query */
    struct header headers[HTTPD_MAX_HEADERS];
    unsigned int header_count;
    BOOL http11;
    BOOL keep_alive;
    BOOL close;                  /* close the connection after this request */
    BOOL is_head;
    /* request body */
    BOOL chunked_body;
    LONGLONG content_length;     /* -1 if none */
    ULONGLONG body_left;         /* Content-Length bytes not read yet */
    ULONGLONG chunk_left;
    BOOL body_done;
    BOOL expect_continue;
    BOOL continue_sent;
    ULONGLONG body_read;
    /* response */
    BOOL responded;
    int status;
    ULONGLONG body_sent;
    BOOL dropped;
    BOOL aborted;
    BOOL forget_following;       /* drop the requests that came with this one (ignore_pipelined) */
    /* log */
    BOOL logged;
    unsigned int log_index, log_generation;
};

struct range
{
    ULONGLONG start, end;        /* inclusive */
};

/* ------------------------------------------------------------------------ */
/* small helpers                                                            */

static char *httpd_strdup( const char *str )
{
    char *ret;
    if (!str) return NULL;
    if ((ret = malloc( strlen( str ) + 1 ))) strcpy( ret, str );
    return ret;
}

static char *httpd_strndup( const char *str, size_t len )
{
    char *ret;
    if ((ret = malloc( len + 1 )))
    {
        memcpy( ret, str, len );
        ret[len] = 0;
    }
    return ret;
}

static int httpd_strnicmp( const char *a, const char *b, size_t n )
{
    return CompareStringA( LOCALE_INVARIANT, NORM_IGNORECASE, a, (int)n, b, (int)n ) - CSTR_EQUAL;
}

static BOOL httpd_strieq( const char *a, const char *b )
{
    return CompareStringA( LOCALE_INVARIANT, NORM_IGNORECASE, a, -1, b, -1 ) == CSTR_EQUAL;
}

struct strbuf
{
    char *buf;
    size_t len, size;
    BOOL error;
};

static void sb_append( struct strbuf *sb, const char *str, size_t len )
{
    if (sb->error) return;
    if (sb->len + len + 1 > sb->size)
    {
        size_t size = sb->size ? sb->size : 1024;
        char *buf;
        while (size < sb->len + len + 1) size *= 2;
        if (!(buf = realloc( sb->buf, size )))
        {
            sb->error = TRUE;
            return;
        }
        sb->buf = buf;
        sb->size = size;
    }
    memcpy( sb->buf + sb->len, str, len );
    sb->len += len;
    sb->buf[sb->len] = 0;
}

#define sb_puts(sb, str) sb_append( (sb), (str), strlen( str ) )

static void sb_printf( struct strbuf *sb, const char *fmt, ... ) WINETEST_PRINTF_ATTR(2, 3);
static void sb_printf( struct strbuf *sb, const char *fmt, ... )
{
    va_list args;
    char *text;

    va_start( args, fmt );
    text = winetest_vformat( fmt, args );
    va_end( args );
    if (!text)
    {
        sb->error = TRUE;
        return;
    }
    sb_append( sb, text, strlen( text ) );
    free( text );
}

/* sprintf() checked as the Microsoft CRT's printf (%I64u, %Iu), whatever the headers */
static int fmt_str( char *buf, const char *fmt, ... ) WINETEST_PRINTF_ATTR(2, 3);
static int fmt_str( char *buf, const char *fmt, ... )
{
    va_list args;
    int ret;

    va_start( args, fmt );
    ret = vsprintf( buf, fmt, args );
    va_end( args );
    return ret;
}

static BOOL parse_u64( const char *str, size_t len, ULONGLONG *ret )
{
    ULONGLONG value = 0;
    size_t i;

    if (!len) return FALSE;
    for (i = 0; i < len; i++)
    {
        if (str[i] < '0' || str[i] > '9') return FALSE;
        if (value > (~0ull - 9) / 10) return FALSE;
        value = value * 10 + (str[i] - '0');
    }
    *ret = value;
    return TRUE;
}

static const char *skip_spaces( const char *p )
{
    while (*p == ' ' || *p == '\t') p++;
    return p;
}

/* ------------------------------------------------------------------------ */
/* generated content                                                        */

#define PATTERN_PERIOD 65521  /* a prime: no power-of-two period */

static BYTE pattern_base[2 * PATTERN_PERIOD];
static INIT_ONCE pattern_once = INIT_ONCE_STATIC_INIT;

static BOOL CALLBACK pattern_init( INIT_ONCE *once, void *param, void **context )
{
    unsigned int x = 0x2545f491, i;

    for (i = 0; i < PATTERN_PERIOD; i++)
    {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        pattern_base[i] = (BYTE)(x >> 24);
    }
    memcpy( pattern_base + PATTERN_PERIOD, pattern_base, PATTERN_PERIOD );
    return TRUE;
}

static unsigned int mix32( unsigned int x )
{
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

static void xor_copy( BYTE *dst, const BYTE *src, size_t n, BYTE key )
{
    ULONGLONG k = key * 0x0101010101010101ull, w;

    for (; n >= 8; n -= 8, src += 8, dst += 8)
    {
        memcpy( &w, src, 8 );
        w ^= k;
        memcpy( dst, &w, 8 );
    }
    while (n--) *dst++ = *src++ ^ key;
}

/* byte i = base[(i % P + shift(seed)) % P] ^ key(seed, i / P) */
void httpd_pattern_fill( unsigned int seed, ULONGLONG offset, void *buf, size_t size )
{
    unsigned int shift = mix32( seed ^ 0x5bd1e995u ) % PATTERN_PERIOD;
    BYTE *dst = buf;

    InitOnceExecuteOnce( &pattern_once, pattern_init, NULL, NULL );
    while (size)
    {
        ULONGLONG block = offset / PATTERN_PERIOD;
        unsigned int pos = (unsigned int)(offset % PATTERN_PERIOD);
        size_t n = HTTPD_MIN( size, (size_t)(PATTERN_PERIOD - pos) );
        BYTE key = (BYTE)(mix32( (unsigned int)block ^ mix32( (unsigned int)(block >> 32) + seed * 0x9e3779b9u ) ) >> 24);

        xor_copy( dst, pattern_base + (pos + shift) % PATTERN_PERIOD, n, key );
        dst += n;
        offset += n;
        size -= n;
    }
}

LONGLONG httpd_pattern_check( unsigned int seed, ULONGLONG offset, const void *buf, size_t size )
{
    const BYTE *data = buf;
    BYTE expect[16384];
    size_t done = 0, n, i;

    while (done < size)
    {
        n = HTTPD_MIN( size - done, sizeof(expect) );
        httpd_pattern_fill( seed, offset + done, expect, n );
        if (memcmp( expect, data + done, n ))
        {
            for (i = 0; i < n; i++) if (expect[i] != data[done + i]) return done + i;
        }
        done += n;
    }
    return -1;
}

BOOL httpd_pattern_check_file( const WCHAR *path, unsigned int seed, ULONGLONG size )
{
    HANDLE file;
    LARGE_INTEGER file_size;
    ULONGLONG offset = 0;
    BYTE *buf;
    DWORD got;
    BOOL ret = FALSE;

    file = CreateFileW( path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                        OPEN_EXISTING, FILE_FLAG_SEQUENTIAL_SCAN, NULL );
    if (file == INVALID_HANDLE_VALUE) return FALSE;
    if (!(buf = malloc( HTTPD_IO_SIZE ))) goto done;
    if (!GetFileSizeEx( file, &file_size ) || (ULONGLONG)file_size.QuadPart != size) goto done;
    while (offset < size)
    {
        if (!ReadFile( file, buf, HTTPD_IO_SIZE, &got, NULL ) || !got) goto done;
        if (httpd_pattern_check( seed, offset, buf, got ) != -1) goto done;
        offset += got;
    }
    ret = offset == size;
done:
    free( buf );
    CloseHandle( file );
    return ret;
}

/* ------------------------------------------------------------------------ */
/* dates                                                                    */

static const char * const wkday_names[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char * const month_names[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

char *httpd_format_date( const SYSTEMTIME *time, char *buf )
{
    sprintf( buf, "%s, %02u %s %04u %02u:%02u:%02u GMT", wkday_names[time->wDayOfWeek % 7], time->wDay,
             month_names[(time->wMonth + 11) % 12], time->wYear, time->wHour, time->wMinute, time->wSecond );
    return buf;
}

/* IMF-fixdate only ("Sun, 06 Nov 1994 08:49:37 GMT"); seconds since 1601. */
static BOOL parse_http_date( const char *str, ULONGLONG *ret )
{
    char wkday[4], month[4], zone[4];
    unsigned int day, year, hour, minute, second, i;
    SYSTEMTIME st;
    FILETIME ft;

    if (sscanf( str, "%3s, %u %3s %u %u:%u:%u %3s", wkday, &day, month, &year, &hour, &minute, &second, zone ) != 8)
        return FALSE;
    memset( &st, 0, sizeof(st) );
    for (i = 0; i < 12; i++) if (!strcmp( month, month_names[i] )) break;
    if (i == 12 || strcmp( zone, "GMT" )) return FALSE;
    st.wMonth = i + 1;
    st.wDay = day;
    st.wYear = year;
    st.wHour = hour;
    st.wMinute = minute;
    st.wSecond = second;
    if (!SystemTimeToFileTime( &st, &ft )) return FALSE;
    *ret = (((ULONGLONG)ft.dwHighDateTime << 32) | ft.dwLowDateTime) / 10000000;
    return TRUE;
}

/* ------------------------------------------------------------------------ */
/* resources                                                                */

static void free_options( struct httpd_resource_options *opts )
{
    free( (char *)opts->location );
    free( (char *)opts->content_type );
    free( (char *)opts->headers );
    free( (char *)opts->etag );
    free( (char *)opts->last_modified );
    free( (char *)opts->basic_auth );
    free( (char *)opts->digest_auth );
}

static BOOL copy_options( struct httpd_resource_options *dst, const struct httpd_resource_options *src )
{
    static const struct httpd_resource_options defaults;

    if (!src) src = &defaults;
    *dst = *src;
    dst->location = httpd_strdup( src->location );
    dst->content_type = httpd_strdup( src->content_type ? src->content_type : "application/octet-stream" );
    dst->headers = httpd_strdup( src->headers );
    dst->etag = httpd_strdup( src->etag );
    dst->last_modified = src->no_last_modified ? NULL :
            httpd_strdup( src->last_modified ? src->last_modified : HTTPD_DEFAULT_LAST_MODIFIED );
    dst->basic_auth = httpd_strdup( src->basic_auth );
    dst->digest_auth = httpd_strdup( src->digest_auth );
    if (dst->slow_delay_ms && !dst->slow_chunk) dst->slow_chunk = 4096;
    if ((src->location && !dst->location) || !dst->content_type || (src->headers && !dst->headers)
        || (src->etag && !dst->etag) || (src->basic_auth && !dst->basic_auth)
        || (src->digest_auth && !dst->digest_auth)
        || (!src->no_last_modified && !dst->last_modified))
    {
        free_options( dst );
        return FALSE;
    }
    return TRUE;
}

static void resource_release( struct resource *res )
{
    if (InterlockedDecrement( &res->refcount )) return;
    free( res->path );
    free( res->data );
    free_options( &res->opts );
    free( res );
}

static struct resource *resource_create( const char *path, const void *data, ULONGLONG size, BOOL pattern,
                                         unsigned int seed, const struct httpd_resource_options *opts )
{
    struct resource *res;

    if (!path || path[0] != '/') return NULL;
    if (!pattern && size > (size_t)-1) return NULL;
    if (!(res = calloc( 1, sizeof(*res) ))) return NULL;
    res->refcount = 1;
    res->size = size;
    res->pattern = pattern;
    res->seed = seed;
    if (!(res->path = httpd_strdup( path ))) goto fail;
    if (!pattern && size && !(res->data = malloc( (size_t)size ))) goto fail;
    if (!pattern && size) memcpy( res->data, data, (size_t)size );
    if (!copy_options( &res->opts, opts )) goto fail;
    return res;
fail:
    free( res->path );
    free( res->data );
    free( res );
    return NULL;
}

/* Puts res in the list in place of a resource with the same path. */
static void resource_insert( struct httpd *httpd, struct resource *res )
{
    struct resource **p, *old = NULL;

    EnterCriticalSection( &httpd->cs );
    for (p = &httpd->resources; *p; p = &(*p)->next)
    {
        if (!strcmp( (*p)->path, res->path ))
        {
            old = *p;
            res->next = old->next;
            *p = res;
            break;
        }
    }
    if (!old)
    {
        res->next = httpd->resources;
        httpd->resources = res;
    }
    LeaveCriticalSection( &httpd->cs );
    if (old) resource_release( old );
}

/* Returns a new reference; call with the lock held. */
static struct resource *resource_find_locked( struct httpd *httpd, const char *path )
{
    struct resource *res;

    for (res = httpd->resources; res; res = res->next)
    {
        if (!strcmp( res->path, path ))
        {
            InterlockedIncrement( &res->refcount );
            return res;
        }
    }
    return NULL;
}

static struct resource *resource_find( struct httpd *httpd, const char *target, const char *path )
{
    struct resource *res;

    EnterCriticalSection( &httpd->cs );
    if (!(res = resource_find_locked( httpd, target ))) res = resource_find_locked( httpd, path );
    LeaveCriticalSection( &httpd->cs );
    return res;
}

BOOL httpd_add_resource( struct httpd *httpd, const char *path, const void *data, size_t size,
                         const struct httpd_resource_options *options )
{
    struct resource *res;

    if (!(res = resource_create( path, data, size, FALSE, 0, options ))) return FALSE;
    resource_insert( httpd, res );
    return TRUE;
}

BOOL httpd_add_pattern_resource( struct httpd *httpd, const char *path, ULONGLONG size, unsigned int seed,
                                 const struct httpd_resource_options *options )
{
    struct resource *res;

    if (!(res = resource_create( path, NULL, size, TRUE, seed, options ))) return FALSE;
    resource_insert( httpd, res );
    return TRUE;
}

BOOL httpd_add_redirect( struct httpd *httpd, const char *path, int status, const char *location )
{
    struct httpd_resource_options opts;

    memset( &opts, 0, sizeof(opts) );
    opts.status = status;
    opts.location = location;
    opts.content_type = "text/plain";
    opts.no_last_modified = TRUE;
    return httpd_add_resource( httpd, path, "Moved\n", 6, &opts );
}

BOOL httpd_remove_resource( struct httpd *httpd, const char *path )
{
    struct resource **p, *old = NULL;

    EnterCriticalSection( &httpd->cs );
    for (p = &httpd->resources; *p; p = &(*p)->next)
    {
        if (!strcmp( (*p)->path, path ))
        {
            old = *p;
            *p = old->next;
            break;
        }
    }
    LeaveCriticalSection( &httpd->cs );
    if (old) resource_release( old );
    return old != NULL;
}

/* Replaces a resource by a copy with other options. */
static BOOL resource_update( struct httpd *httpd, const char *path, const struct httpd_resource_options *opts,
                             BOOL validators_only, const char *etag, const char *last_modified )
{
    struct httpd_resource_options new_opts;
    struct resource *old, *res;
    BOOL ret;

    EnterCriticalSection( &httpd->cs );
    old = resource_find_locked( httpd, path );
    LeaveCriticalSection( &httpd->cs );
    if (!old) return FALSE;
    if (validators_only)
    {
        new_opts = old->opts;
        new_opts.etag = etag;
        new_opts.last_modified = last_modified;
        new_opts.no_last_modified = !last_modified;
        opts = &new_opts;
    }
    res = resource_create( old->path, old->data, old->size, old->pattern, old->seed, opts );
    if ((ret = res != NULL)) resource_insert( httpd, res );
    resource_release( old );
    return ret;
}

BOOL httpd_set_resource_options( struct httpd *httpd, const char *path, const struct httpd_resource_options *options )
{
    return resource_update( httpd, path, options, FALSE, NULL, NULL );
}

BOOL httpd_set_resource_validators( struct httpd *httpd, const char *path, const char *etag, const char *last_modified )
{
    return resource_update( httpd, path, NULL, TRUE, etag, last_modified );
}

/* TRUE if this response must be dropped; counts it. */
static BOOL resource_take_drop( struct httpd *httpd, struct resource *res )
{
    BOOL ret = FALSE;

    EnterCriticalSection( &httpd->cs );
    if (res->opts.drop_count)
    {
        ret = TRUE;
        if (res->opts.drop_count > 0) res->opts.drop_count--;
    }
    LeaveCriticalSection( &httpd->cs );
    return ret;
}

BOOL httpd_add_handler( struct httpd *httpd, const char *method, const char *path_prefix,
                        httpd_handler handler, void *context )
{
    struct handler_entry *entry, **p;

    if (!(entry = calloc( 1, sizeof(*entry) ))) return FALSE;
    entry->method = httpd_strdup( method );
    entry->prefix = httpd_strdup( path_prefix );
    entry->func = handler;
    entry->context = context;
    if ((method && !entry->method) || (path_prefix && !entry->prefix))
    {
        free( entry->method );
        free( entry->prefix );
        free( entry );
        return FALSE;
    }
    EnterCriticalSection( &httpd->cs );
    for (p = &httpd->handlers; *p; p = &(*p)->next) ;
    *p = entry;
    LeaveCriticalSection( &httpd->cs );
    return TRUE;
}

/* ------------------------------------------------------------------------ */
/* request log                                                              */

static void log_begin( struct httpd_request *req )
{
    struct httpd *httpd = req->conn->httpd;
    struct log_item *item;

    EnterCriticalSection( &httpd->cs );
    if (httpd->log_count == httpd->log_capacity)
    {
        unsigned int capacity = httpd->log_capacity ? httpd->log_capacity * 2 : 64;
        struct log_item *log = realloc( httpd->log, capacity * sizeof(*log) );
        if (!log) goto done;
        httpd->log = log;
        httpd->log_capacity = capacity;
    }
    item = &httpd->log[httpd->log_count];
    memset( item, 0, sizeof(*item) );
    lstrcpynA( item->method, req->method, sizeof(item->method) );
    lstrcpynA( item->version, req->version, sizeof(item->version) );
    item->target = httpd_strdup( req->target );
    item->headers = httpd_strdup( req->raw_headers );
    item->connection = req->conn->id;
    item->request_index = req->conn->requests;
    req->log_index = httpd->log_count++;
    req->log_generation = httpd->log_generation;
    req->logged = TRUE;
    WakeAllConditionVariable( &httpd->log_changed );
done:
    LeaveCriticalSection( &httpd->cs );
}

static void log_update( struct httpd_request *req, BOOL complete )
{
    struct httpd *httpd = req->conn->httpd;
    struct log_item *item;

    if (!req->logged) return;
    EnterCriticalSection( &httpd->cs );
    if (req->log_generation == httpd->log_generation && req->log_index < httpd->log_count)
    {
        item = &httpd->log[req->log_index];
        item->status = req->status;
        item->body_bytes = req->body_sent;
        item->request_body_bytes = req->body_read;
        item->dropped = req->dropped;
        item->aborted = req->aborted;
        item->complete = complete;
        if (complete) WakeAllConditionVariable( &httpd->log_changed );
    }
    LeaveCriticalSection( &httpd->cs );
}

unsigned int httpd_log_count( struct httpd *httpd )
{
    unsigned int ret;

    EnterCriticalSection( &httpd->cs );
    ret = httpd->log_count;
    LeaveCriticalSection( &httpd->cs );
    return ret;
}

static void log_copy( const struct log_item *item, struct httpd_log_entry *entry )
{
    memset( entry, 0, sizeof(*entry) );
    lstrcpynA( entry->method, item->method, sizeof(entry->method) );
    lstrcpynA( entry->version, item->version, sizeof(entry->version) );
    lstrcpynA( entry->path, item->target ? item->target : "", sizeof(entry->path) );
    lstrcpynA( entry->headers, item->headers ? item->headers : "", sizeof(entry->headers) );
    entry->status = item->status;
    entry->body_bytes = item->body_bytes;
    entry->request_body_bytes = item->request_body_bytes;
    entry->dropped = item->dropped;
    entry->aborted = item->aborted;
    entry->complete = item->complete;
    entry->connection = item->connection;
    entry->request_index = item->request_index;
}

BOOL httpd_log_get( struct httpd *httpd, unsigned int index, struct httpd_log_entry *entry )
{
    BOOL ret = FALSE;

    EnterCriticalSection( &httpd->cs );
    if (index < httpd->log_count)
    {
        log_copy( &httpd->log[index], entry );
        ret = TRUE;
    }
    LeaveCriticalSection( &httpd->cs );
    return ret;
}

int httpd_log_find( struct httpd *httpd, const char *method, const char *path, unsigned int start,
                    struct httpd_log_entry *entry )
{
    int ret = -1;
    unsigned int i;

    EnterCriticalSection( &httpd->cs );
    for (i = start; i < httpd->log_count; i++)
    {
        const struct log_item *item = &httpd->log[i];
        if (method && strcmp( item->method, method )) continue;
        if (path && (!item->target || strcmp( item->target, path ))) continue;
        if (entry) log_copy( item, entry );
        ret = i;
        break;
    }
    LeaveCriticalSection( &httpd->cs );
    return ret;
}

static void log_free_items( struct httpd *httpd )
{
    unsigned int i;

    for (i = 0; i < httpd->log_count; i++)
    {
        free( httpd->log[i].target );
        free( httpd->log[i].headers );
    }
    httpd->log_count = 0;
}

void httpd_log_clear( struct httpd *httpd )
{
    EnterCriticalSection( &httpd->cs );
    log_free_items( httpd );
    httpd->log_generation++;
    LeaveCriticalSection( &httpd->cs );
}

BOOL httpd_log_wait( struct httpd *httpd, unsigned int count, DWORD timeout_ms )
{
    DWORD start = GetTickCount(), elapsed;
    BOOL ret = FALSE;
    unsigned int i;

    EnterCriticalSection( &httpd->cs );
    for (;;)
    {
        if (httpd->log_count >= count)
        {
            for (i = 0; i < httpd->log_count; i++) if (!httpd->log[i].complete) break;
            if (i == httpd->log_count)
            {
                ret = TRUE;
                break;
            }
        }
        elapsed = GetTickCount() - start;
        if (elapsed >= timeout_ms) break;
        SleepConditionVariableCS( &httpd->log_changed, &httpd->cs, HTTPD_MIN( timeout_ms - elapsed, 100 ) );
    }
    LeaveCriticalSection( &httpd->cs );
    return ret;
}

/* Finds "name: value" in a block of header lines. */
static BOOL find_header_line( const char *headers, const char *name, char *buf, size_t size )
{
    size_t name_len = strlen( name ), len;
    const char *line = headers, *end, *value;

    while (line && *line)
    {
        end = strstr( line, "\r\n" );
        if (!end) end = line + strlen( line );
        if ((size_t)(end - line) > name_len && line[name_len] == ':' && !httpd_strnicmp( line, name, name_len ))
        {
            value = skip_spaces( line + name_len + 1 );
            len = end - value;
            while (len && (value[len - 1] == ' ' || value[len - 1] == '\t')) len--;
            if (size)
            {
                len = HTTPD_MIN( len, size - 1 );
                memcpy( buf, value, len );
                buf[len] = 0;
            }
            return TRUE;
        }
        line = *end ? end + 2 : NULL;
    }
    return FALSE;
}

BOOL httpd_log_header( const struct httpd_log_entry *entry, const char *name, char *buf, size_t size )
{
    return find_header_line( entry->headers, name, buf, size );
}

/* ------------------------------------------------------------------------ */
/* connection I/O                                                           */

/* Connection sockets are non-blocking: every wait is for the socket's event
 * or the stop event, so that httpd_stop() can end any connection at once
 * (Wine does not wake a blocked recv() or send() when another thread shuts
 * the socket down). */

/* Waits for a network event; FALSE on stop, timeout or error. */
static BOOL conn_wait( struct conn *conn, DWORD timeout )
{
    HANDLE handles[2] = { conn->event, conn->httpd->stop_event };
    WSANETWORKEVENTS events;

    if (conn->httpd->stopping) return FALSE;
    if (WaitForMultipleObjects( 2, handles, FALSE, timeout ) != WAIT_OBJECT_0) return FALSE;
    WSAEnumNetworkEvents( conn->sock, conn->event, &events );  /* resets the event */
    if (conn->idle && conn->kicked) return FALSE;
    return TRUE;
}

/* >0 bytes, 0 at the end of the stream, -1 on error, timeout or stop. */
static int conn_recv( struct conn *conn, void *buf, int size, DWORD timeout )
{
    int ret;

    for (;;)
    {
        if (conn->sock == INVALID_SOCKET) return -1;
        ret = recv( conn->sock, buf, size, 0 );
        if (ret >= 0) return ret;
        if (WSAGetLastError() != WSAEWOULDBLOCK) return -1;
        if (!conn_wait( conn, timeout )) return -1;
    }
}

static void conn_close_socket( struct conn *conn, BOOL reset )
{
    struct httpd *httpd = conn->httpd;
    SOCKET s;

    if (reset)
    {
        struct linger linger = { 1, 0 };
        setsockopt( conn->sock, SOL_SOCKET, SO_LINGER, (const char *)&linger, sizeof(linger) );
    }
    else if (conn->sock != INVALID_SOCKET && !httpd->stopping)
    {
        /* lingering close: let the client read everything before we go */
        DWORD start = GetTickCount();
        ULONGLONG drained = 0;
        char buf[4096];
        int ret;

        shutdown( conn->sock, SD_SEND );
        while (GetTickCount() - start < HTTPD_DRAIN_TIMEOUT && drained < HTTPD_DISCARD_LIMIT)
        {
            ret = conn_recv( conn, buf, sizeof(buf), 200 );
            if (ret <= 0) break;
            drained += ret;
        }
    }
    EnterCriticalSection( &httpd->cs );
    s = conn->sock;
    conn->sock = INVALID_SOCKET;
    LeaveCriticalSection( &httpd->cs );
    if (s != INVALID_SOCKET) closesocket( s );
}

/* Sends all of the buffers; FALSE if the connection failed. */
static BOOL conn_send_bufs( struct httpd_request *req, WSABUF *bufs, DWORD count )
{
    struct conn *conn = req->conn;
    DWORD sent, i;

    while (count)
    {
        if (req->aborted || conn->sock == INVALID_SOCKET) goto failed;
        if (WSASend( conn->sock, bufs, count, &sent, 0, NULL, NULL ))
        {
            if (WSAGetLastError() != WSAEWOULDBLOCK || !conn_wait( conn, HTTPD_IDLE_TIMEOUT )) goto failed;
            continue;
        }
        for (i = 0; i < count && sent >= bufs[i].len; i++) sent -= bufs[i].len;
        bufs += i;
        count -= i;
        if (count)
        {
            bufs[0].buf += sent;
            bufs[0].len -= sent;
        }
    }
    return TRUE;

failed:
    req->aborted = TRUE;
    req->close = TRUE;
    return FALSE;
}

static BOOL conn_send( struct httpd_request *req, const void *data, size_t len )
{
    WSABUF buf;

    while (len)
    {
        buf.buf = (char *)data;
        buf.len = (ULONG)HTTPD_MIN( len, (size_t)0x40000000 );
        if (!conn_send_bufs( req, &buf, 1 )) return FALSE;
        data = (const char *)data + buf.len;
        len -= buf.len;
    }
    return TRUE;
}

/* Reads buffered data first, then from the socket; >0 bytes, 0 at end, -1 on error. */
static int conn_read( struct conn *conn, void *buf, int size )
{
    int ret;

    if (conn->in_pos < conn->in_len)
    {
        ret = (int)HTTPD_MIN( (size_t)size, conn->in_len - conn->in_pos );
        memcpy( buf, conn->in + conn->in_pos, ret );
        conn->in_pos += ret;
        return ret;
    }
    return conn_recv( conn, buf, size, HTTPD_IDLE_TIMEOUT );
}

/* Makes sure at least one more byte is buffered; FALSE at end or on error. */
static BOOL conn_fill( struct conn *conn )
{
    int ret;

    if (conn->in_pos < conn->in_len) return TRUE;
    conn->in_pos = conn->in_len = 0;
    ret = conn_recv( conn, conn->in, HTTPD_MAX_HEAD, HTTPD_IDLE_TIMEOUT );
    if (ret <= 0) return FALSE;
    conn->in_len = ret;
    return TRUE;
}

/* Reads a CRLF-terminated line of the request body framing. */
static BOOL conn_read_line( struct conn *conn, char *line, size_t size )
{
    size_t len = 0;
    char c;

    for (;;)
    {
        if (!conn_fill( conn )) return FALSE;
        c = conn->in[conn->in_pos++];
        if (c == '\n') break;
        if (len + 1 < size) line[len++] = c;
    }
    if (len && line[len - 1] == '\r') len--;
    line[len] = 0;
    return TRUE;
}

/* ------------------------------------------------------------------------ */
/* requests                                                                 */

static const char *request_header( struct httpd_request *req, const char *name )
{
    unsigned int i;

    for (i = 0; i < req->header_count; i++)
        if (httpd_strieq( req->headers[i].name, name )) return req->headers[i].value;
    return NULL;
}

/* TRUE if the comma-separated header value contains token. */
static BOOL header_has_token( const char *value, const char *token )
{
    size_t len = strlen( token ), n;
    const char *p = value;

    while (p && *p)
    {
        p = skip_spaces( p );
        n = strcspn( p, ", \t" );
        if (n == len && !httpd_strnicmp( p, token, len )) return TRUE;
        p += n;
        p += strspn( p, ", \t" );
    }
    return FALSE;
}

static const char *status_reason( int status )
{
    static const struct { int status; const char *reason; } reasons[] =
    {
        { 100, "Continue" }, { 200, "OK" }, { 201, "Created" }, { 202, "Accepted" }, { 204, "No Content" },
        { 206, "Partial Content" }, { 300, "Multiple Choices" }, { 301, "Moved Permanently" }, { 302, "Found" },
        { 303, "See Other" }, { 304, "Not Modified" }, { 307, "Temporary Redirect" }, { 308, "Permanent Redirect" },
        { 400, "Bad Request" }, { 401, "Unauthorized" }, { 403, "Forbidden" }, { 404, "Not Found" },
        { 405, "Method Not Allowed" }, { 407, "Proxy Authentication Required" }, { 408, "Request Timeout" },
        { 410, "Gone" }, { 411, "Length Required" }, { 412, "Precondition Failed" }, { 413, "Content Too Large" },
        { 414, "URI Too Long" }, { 416, "Range Not Satisfiable" }, { 417, "Expectation Failed" },
        { 429, "Too Many Requests" }, { 431, "Request Header Fields Too Large" },
        { 500, "Internal Server Error" }, { 501, "Not Implemented" }, { 502, "Bad Gateway" },
        { 503, "Service Unavailable" }, { 504, "Gateway Timeout" }, { 505, "HTTP Version Not Supported" },
    };
    unsigned int i;

    for (i = 0; i < ARRAY_SIZE(reasons); i++) if (reasons[i].status == status) return reasons[i].reason;
    return "Unknown";
}

static BOOL status_has_body( int status )
{
    return status >= 200 && status != 204 && status != 304;
}

/* Status line and the headers every response has. */
static void begin_headers( struct httpd_request *req, struct strbuf *sb, int status )
{
    SYSTEMTIME now;
    char date[32];

    GetSystemTime( &now );
    sb_printf( sb, "HTTP/1.1 %d %s\r\n", status, status_reason( status ) );
    sb_printf( sb, "Date: %s\r\n", httpd_format_date( &now, date ) );
    sb_puts( sb, "Server: qmgr-test-httpd/1.0\r\n" );
    req->status = status;
}

static void end_headers( struct httpd_request *req, struct strbuf *sb, const char *extra )
{
    if (extra) sb_append( sb, extra, strlen( extra ) );
    if (req->close || !req->keep_alive) sb_puts( sb, "Connection: close\r\n" );
    else if (!req->http11) sb_puts( sb, "Connection: keep-alive\r\n" );
    sb_puts( sb, "\r\n" );
}

static BOOL send_strbuf( struct httpd_request *req, struct strbuf *sb )
{
    BOOL ret;

    if (sb->error)
    {
        req->aborted = req->close = TRUE;
        ret = FALSE;
    }
    else ret = conn_send( req, sb->buf, sb->len );
    free( sb->buf );
    memset( sb, 0, sizeof(*sb) );
    return ret;
}

/* A complete response with a small body held in memory. */
static BOOL respond_simple( struct httpd_request *req, int status, const char *headers, const void *body, size_t size )
{
    struct strbuf sb = { 0 };
    BOOL ret;

    if (req->responded) return FALSE;
    req->responded = TRUE;
    begin_headers( req, &sb, status );
    if (status_has_body( status )) sb_printf( &sb, "Content-Length: %Iu\r\n", size );
    end_headers( req, &sb, headers );
    ret = send_strbuf( req, &sb );
    if (ret && !req->is_head && status_has_body( status ) && size)
    {
        ret = conn_send( req, body, size );
        if (ret) req->body_sent = size;
    }
    log_update( req, FALSE );
    return ret;
}

static BOOL respond_text( struct httpd_request *req, int status, const char *headers, const char *text )
{
    struct strbuf sb = { 0 };
    BOOL ret;

    sb_puts( &sb, "Content-Type: text/plain\r\n" );
    if (headers) sb_append( &sb, headers, strlen( headers ) );
    if (sb.error) return FALSE;
    ret = respond_simple( req, status, sb.buf, text, strlen( text ) );
    free( sb.buf );
    return ret;
}

/* Parses the request head in req->head; FALSE if it is malformed. */
static BOOL parse_request_head( struct httpd_request *req )
{
    char *p = req->head, *line_end, *colon, *q;
    const char *value;
    size_t len;

    /* request line */
    if (!(line_end = strstr( p, "\r\n" ))) return FALSE;
    *line_end = 0;
    req->method = p;
    if (!(p = strchr( p, ' ' ))) return FALSE;
    *p++ = 0;
    req->target = p;
    if (!(p = strchr( p, ' ' ))) return FALSE;
    *p++ = 0;
    req->version = p;
    if (!*req->method || !*req->target || strncmp( req->version, "HTTP/1.", 7 )) return FALSE;
    req->http11 = strcmp( req->version, "HTTP/1.0" ) != 0;

    len = strcspn( req->target, "?" );
    if (!(req->path = httpd_strndup( req->target, len ))) return FALSE;

    p = line_end + 2;
    if (!(req->raw_headers = httpd_strdup( p ))) return FALSE;
    /* header lines, up to the empty line */
    while (*p && !(p[0] == '\r' && p[1] == '\n'))
    {
        if (!(line_end = strstr( p, "\r\n" ))) return FALSE;
        *line_end = 0;
        if ((colon = strchr( p, ':' )) && req->header_count < HTTPD_MAX_HEADERS)
        {
            *colon = 0;
            q = colon + 1;
            while (*q == ' ' || *q == '\t') q++;
            len = strlen( q );
            while (len && (q[len - 1] == ' ' || q[len - 1] == '\t')) q[--len] = 0;
            req->headers[req->header_count].name = p;
            req->headers[req->header_count].value = q;
            req->header_count++;
        }
        p = line_end + 2;
    }

    if ((value = request_header( req, "Connection" )))
        req->keep_alive = req->http11 ? !header_has_token( value, "close" ) : header_has_token( value, "keep-alive" );
    else
        req->keep_alive = req->http11;

    req->content_length = -1;
    if ((value = request_header( req, "Transfer-Encoding" )) && header_has_token( value, "chunked" ))
        req->chunked_body = TRUE;
    else if ((value = request_header( req, "Content-Length" )))
    {
        ULONGLONG length;
        if (!parse_u64( value, strlen( value ), &length ) || length > (ULONGLONG)0x7fffffffffffffff) return FALSE;
        req->content_length = length;
        req->body_left = length;
    }
    if (!req->chunked_body && !req->body_left) req->body_done = TRUE;
    if ((value = request_header( req, "Expect" )) && httpd_strieq( value, "100-continue" ))
        req->expect_continue = TRUE;
    req->is_head = !strcmp( req->method, "HEAD" );
    return TRUE;
}

/* Reads the next request head; FALSE when the connection is done. */
static BOOL read_request( struct conn *conn, struct httpd_request *req )
{
    char *end;
    size_t len;
    int ret;

    memset( req, 0, sizeof(*req) );
    req->conn = conn;
    for (;;)
    {
        /* skip empty lines between requests */
        while (conn->in_pos < conn->in_len && (conn->in[conn->in_pos] == '\r' || conn->in[conn->in_pos] == '\n'))
            conn->in_pos++;
        if (conn->in_pos < conn->in_len)
        {
            conn->in[conn->in_len] = 0;
            if ((end = strstr( conn->in + conn->in_pos, "\r\n\r\n" ))) break;
        }
        if (conn->in_pos)
        {
            memmove( conn->in, conn->in + conn->in_pos, conn->in_len - conn->in_pos );
            conn->in_len -= conn->in_pos;
            conn->in_pos = 0;
        }
        if (conn->in_len >= HTTPD_MAX_HEAD)
        {
            req->keep_alive = FALSE;
            req->method = req->target = req->version = "";
            respond_text( req, 431, NULL, "Request head too large\n" );
            return FALSE;
        }
        EnterCriticalSection( &conn->httpd->cs );
        conn->idle = !conn->in_len;
        LeaveCriticalSection( &conn->httpd->cs );
        ret = conn_recv( conn, conn->in + conn->in_len, (int)(HTTPD_MAX_HEAD - conn->in_len), HTTPD_IDLE_TIMEOUT );
        conn->idle = FALSE;
        if (ret <= 0 || conn->httpd->stopping) return FALSE;
        conn->in_len += ret;
    }
    len = end + 4 - (conn->in + conn->in_pos);
    req->head = httpd_strndup( conn->in + conn->in_pos, len );
    conn->in_pos += len;
    if (!req->head) return FALSE;
    if (!parse_request_head( req ))
    {
        req->keep_alive = FALSE;
        if (!req->method) req->method = "";
        if (!req->target) req->target = "";
        if (!req->version) req->version = "";
        respond_text( req, 400, NULL, "Bad request\n" );
        return FALSE;
    }
    log_begin( req );
    return TRUE;
}

static void free_request( struct httpd_request *req )
{
    free( req->head );
    free( req->raw_headers );
    free( req->path );
}

const char *httpd_request_method( struct httpd_request *req )
{
    return req->method;
}

const char *httpd_request_path( struct httpd_request *req )
{
    return req->target;
}

BOOL httpd_request_header( struct httpd_request *req, const char *name, char *buf, size_t size )
{
    const char *value = request_header( req, name );

    if (!value) return FALSE;
    if (size) lstrcpynA( buf, value, (int)HTTPD_MIN( size, (size_t)0x7fffffff ) );
    return TRUE;
}

LONGLONG httpd_request_content_length( struct httpd_request *req )
{
    if (req->chunked_body) return -1;
    return req->content_length < 0 ? 0 : req->content_length;
}

int httpd_request_read_body( struct httpd_request *req, void *buf, int size )
{
    struct conn *conn = req->conn;
    char line[128];
    int ret;

    if (req->body_done || size <= 0) return 0;
    if (req->expect_continue && !req->continue_sent && !req->responded)
    {
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        req->continue_sent = TRUE;
        if (!conn_send( req, cont, sizeof(cont) - 1 )) return -1;
    }
    if (!req->chunked_body)
    {
        ret = conn_read( conn, buf, (int)HTTPD_MIN( (ULONGLONG)size, req->body_left ) );
        if (ret <= 0) return -1;
        req->body_left -= ret;
        if (!req->body_left) req->body_done = TRUE;
        req->body_read += ret;
        return ret;
    }
    if (!req->chunk_left)
    {
        ULONGLONG chunk = 0;
        const char *p;

        if (!conn_read_line( conn, line, sizeof(line) )) return -1;
        for (p = line; *p; p++)
        {
            int digit;
            if (*p >= '0' && *p <= '9') digit = *p - '0';
            else if (*p >= 'a' && *p <= 'f') digit = *p - 'a' + 10;
            else if (*p >= 'A' && *p <= 'F') digit = *p - 'A' + 10;
            else break;
            if (chunk >> 59) return -1;
            chunk = chunk * 16 + digit;
        }
        if (p == line) return -1;
        if (!chunk)
        {
            /* trailer lines up to the empty line */
            do { if (!conn_read_line( conn, line, sizeof(line) )) return -1; } while (line[0]);
            req->body_done = TRUE;
            return 0;
        }
        req->chunk_left = chunk;
    }
    ret = conn_read( conn, buf, (int)HTTPD_MIN( (ULONGLONG)size, req->chunk_left ) );
    if (ret <= 0) return -1;
    req->chunk_left -= ret;
    req->body_read += ret;
    if (!req->chunk_left && (!conn_read_line( conn, line, sizeof(line) ) || line[0])) return -1;
    return ret;
}

/* Reads and drops the rest of the request body, or marks the connection for closing. */
static void discard_request_body( struct httpd_request *req )
{
    char buf[8192];
    ULONGLONG start = req->body_read;
    int ret;

    if (req->body_done) return;
    /* a client waiting for "100 Continue" that was not sent may never send the body */
    if (req->expect_continue && !req->continue_sent)
    {
        req->close = TRUE;
        return;
    }
    while (!req->body_done)
    {
        if (req->body_read - start > HTTPD_DISCARD_LIMIT || req->conn->httpd->stopping)
        {
            req->close = TRUE;
            return;
        }
        ret = httpd_request_read_body( req, buf, sizeof(buf) );
        if (ret < 0)
        {
            req->close = TRUE;
            return;
        }
        if (!ret) break;
    }
}

BOOL httpd_respond( struct httpd_request *req, int status, const char *headers, const void *body, size_t size )
{
    return respond_simple( req, status, headers, body, size );
}

BOOL httpd_respond_until_close( struct httpd_request *req, int status, const char *headers, const void *body,
                                size_t size )
{
    struct strbuf sb = { 0 };
    BOOL ret;

    if (req->responded) return FALSE;
    req->responded = TRUE;
    req->close = TRUE;
    begin_headers( req, &sb, status );
    end_headers( req, &sb, headers );
    ret = send_strbuf( req, &sb );
    if (ret && !req->is_head && size)
    {
        ret = conn_send( req, body, size );
        if (ret) req->body_sent = size;
    }
    log_update( req, FALSE );
    return ret;
}

BOOL httpd_respond_raw( struct httpd_request *req, const void *data, size_t size )
{
    BOOL ret;

    if (req->responded) return FALSE;
    req->responded = TRUE;
    req->close = TRUE;
    ret = conn_send( req, data, size );
    log_update( req, FALSE );
    return ret;
}

BOOL httpd_send_raw_part( struct httpd_request *req, const void *data, size_t size )
{
    if (req->responded) return FALSE;
    return conn_send( req, data, size );
}

BOOL httpd_send_interim( struct httpd_request *req, int status )
{
    char line[64];
    int len;

    if (status < 100 || status > 199 || req->responded) return FALSE;
    len = snprintf( line, sizeof(line), "HTTP/1.1 %d %s\r\n\r\n", status,
                    status == 100 ? "Continue" : status == 103 ? "Early Hints" : "Informational" );
    return conn_send( req, line, len );
}

void httpd_request_close_connection( struct httpd_request *req )
{
    req->close = TRUE;
}

LONG httpd_request_connection( struct httpd_request *req )
{
    return req->conn->id;
}

/* ------------------------------------------------------------------------ */
/* response bodies                                                          */

struct body_writer
{
    struct httpd_request *req;
    struct resource *res;
    BOOL chunked;
    BOOL drop;
    ULONGLONG drop_at;
};

/* Drops the connection on purpose. */
static void drop_connection( struct body_writer *w )
{
    w->req->dropped = TRUE;
    w->req->close = TRUE;
    conn_close_socket( w->req->conn, w->res->opts.drop_reset );
}

/* Sends body bytes; applies chunked framing and the drop point. */
static BOOL write_payload( struct body_writer *w, const void *data, size_t len )
{
    struct httpd_request *req = w->req;
    WSABUF bufs[3];
    char chunk_head[24];
    BOOL drop_now = FALSE;
    DWORD count = 0;

    if (w->drop && req->body_sent + len > w->drop_at)
    {
        len = (size_t)(w->drop_at - req->body_sent);
        drop_now = TRUE;
    }
    if (len)
    {
        if (w->chunked)
        {
            bufs[count].buf = chunk_head;
            bufs[count++].len = fmt_str( chunk_head, "%Ix\r\n", len );
        }
        bufs[count].buf = (char *)data;
        bufs[count++].len = (ULONG)len;
        if (w->chunked)
        {
            bufs[count].buf = (char *)"\r\n";
            bufs[count++].len = 2;
        }
        if (!conn_send_bufs( req, bufs, count )) return FALSE;
        req->body_sent += len;
        log_update( req, FALSE );
    }
    if (drop_now)
    {
        drop_connection( w );
        return FALSE;
    }
    return TRUE;
}

static BOOL write_string( struct body_writer *w, const char *str )
{
    return write_payload( w, str, strlen( str ) );
}

/* Sends bytes [offset, offset + len) of the resource content. */
static BOOL write_content( struct body_writer *w, ULONGLONG offset, ULONGLONG len )
{
    struct resource *res = w->res;
    struct httpd *httpd = w->req->conn->httpd;
    BYTE *buf = w->req->conn->out;
    size_t step = res->opts.slow_delay_ms ? HTTPD_MIN( res->opts.slow_chunk, (DWORD)HTTPD_IO_SIZE ) : HTTPD_IO_SIZE;
    size_t n;

    while (len)
    {
        n = (size_t)HTTPD_MIN( len, (ULONGLONG)step );
        if (res->pattern)
        {
            httpd_pattern_fill( res->seed, offset, buf, n );
            if (!write_payload( w, buf, n )) return FALSE;
        }
        else if (!write_payload( w, res->data + offset, n )) return FALSE;
        offset += n;
        len -= n;
        if (len && res->opts.slow_delay_ms && WaitForSingleObject( httpd->stop_event, res->opts.slow_delay_ms ) != WAIT_TIMEOUT)
        {
            w->req->aborted = w->req->close = TRUE;
            return FALSE;
        }
    }
    return TRUE;
}

/* Headers describing the resource (not the framing). */
static void add_entity_headers( struct httpd_request *req, struct strbuf *sb, struct resource *res )
{
    const struct httpd_resource_options *o = &res->opts;

    if (o->location) sb_printf( sb, "Location: %s\r\n", o->location );
    if (o->etag) sb_printf( sb, "ETag: %s\r\n", o->etag );
    if (o->last_modified) sb_printf( sb, "Last-Modified: %s\r\n", o->last_modified );
    if (!o->no_ranges && !o->status) sb_puts( sb, "Accept-Ranges: bytes\r\n" );
}

/* Sends status + the resource content (whole, one range or several ranges). */
static void send_entity( struct httpd_request *req, struct resource *res, int status,
                         const struct range *ranges, unsigned int count )
{
    const struct httpd_resource_options *o = &res->opts;
    struct body_writer w;
    struct strbuf sb = { 0 };
    char **part_heads = NULL;
    ULONGLONG body_len = 0;
    BOOL has_body = status_has_body( status ), alloc_ok = TRUE;
    unsigned int i;

    memset( &w, 0, sizeof(w) );
    w.req = req;
    w.res = res;
    req->responded = TRUE;
    begin_headers( req, &sb, status );

    if (count > 1)
    {
        if (!(part_heads = calloc( count, sizeof(*part_heads) ))) alloc_ok = FALSE;
        for (i = 0; alloc_ok && i < count; i++)
        {
            struct strbuf part = { 0 };
            sb_printf( &part, "\r\n--%s\r\nContent-Type: %s\r\nContent-Range: bytes %I64u-%I64u/%I64u\r\n\r\n",
                       HTTPD_BOUNDARY, o->content_type, ranges[i].start, ranges[i].end, res->size );
            if (part.error) alloc_ok = FALSE;
            part_heads[i] = part.buf;
            if (part.buf) body_len += part.len + ranges[i].end - ranges[i].start + 1;
        }
        body_len += strlen( "\r\n--" HTTPD_BOUNDARY "--\r\n" );
        sb_printf( &sb, "Content-Type: multipart/byteranges; boundary=%s\r\n", HTTPD_BOUNDARY );
    }
    else
    {
        sb_printf( &sb, "Content-Type: %s\r\n", o->content_type );
        if (count == 1)
        {
            body_len = ranges[0].end - ranges[0].start + 1;
            sb_printf( &sb, "Content-Range: bytes %I64u-%I64u/%I64u\r\n", ranges[0].start, ranges[0].end, res->size );
        }
        else if (has_body) body_len = res->size;
    }
    add_entity_headers( req, &sb, res );

    if (has_body)
    {
        switch (o->length_mode)
        {
        case HTTPD_LENGTH_NORMAL:
            sb_printf( &sb, "Content-Length: %I64u\r\n", body_len );
            break;
        case HTTPD_LENGTH_CHUNKED:
            if (req->http11)
            {
                sb_puts( &sb, "Transfer-Encoding: chunked\r\n" );
                w.chunked = !req->is_head;
                break;
            }
            /* fall through */
        case HTTPD_LENGTH_CLOSE:
            if (!req->is_head) req->close = TRUE;
            break;
        case HTTPD_LENGTH_FAKE:
            sb_printf( &sb, "Content-Length: %I64u\r\n", o->fake_length );
            if (!req->is_head) req->close = TRUE;
            break;
        }
    }
    if (!alloc_ok) req->close = TRUE;
    end_headers( req, &sb, o->headers );
    if (!send_strbuf( req, &sb ) || !alloc_ok) goto done;
    log_update( req, FALSE );
    if (req->is_head || !has_body) goto done;

    if (body_len > o->drop_after && resource_take_drop( req->conn->httpd, res ))
    {
        w.drop = TRUE;
        w.drop_at = o->drop_after;
    }
    if (count > 1)
    {
        for (i = 0; i < count; i++)
        {
            if (!write_string( &w, part_heads[i] )) goto done;
            if (!write_content( &w, ranges[i].start, ranges[i].end - ranges[i].start + 1 )) goto done;
        }
        if (!write_string( &w, "\r\n--" HTTPD_BOUNDARY "--\r\n" )) goto done;
    }
    else if (count == 1)
    {
        if (!write_content( &w, ranges[0].start, ranges[0].end - ranges[0].start + 1 )) goto done;
    }
    else if (!write_content( &w, 0, res->size )) goto done;

    if (w.chunked) conn_send( req, "0\r\n\r\n", 5 );

done:
    if (part_heads)
    {
        for (i = 0; i < count; i++) free( part_heads[i] );
        free( part_heads );
    }
    log_update( req, FALSE );
}

/* Parses "bytes=..." into satisfiable ranges; *valid is FALSE if the header
 * is malformed (then it is ignored). */
static unsigned int parse_ranges( const char *value, ULONGLONG size, struct range *ranges, BOOL *valid )
{
    unsigned int count = 0, specs = 0;
    const char *p = skip_spaces( value ), *dash;
    ULONGLONG a, b;
    size_t len;

    *valid = FALSE;
    if (httpd_strnicmp( p, "bytes", 5 )) return 0;
    p = skip_spaces( p + 5 );
    if (*p++ != '=') return 0;
    for (;;)
    {
        p = skip_spaces( p );
        len = strcspn( p, "," );
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t')) len--;
        if (!len || !(dash = memchr( p, '-', len ))) return 0;
        if (++specs > HTTPD_MAX_RANGES) return 0;
        if (dash == p)
        {
            /* suffix: the last n bytes */
            if (!parse_u64( dash + 1, len - 1, &b )) return 0;
            if (b && size)
            {
                ranges[count].start = b >= size ? 0 : size - b;
                ranges[count++].end = size - 1;
            }
        }
        else
        {
            if (!parse_u64( p, dash - p, &a )) return 0;
            if ((size_t)(dash - p) + 1 == len) b = ~0ull;
            else if (!parse_u64( dash + 1, len - (dash - p) - 1, &b ) || b < a) return 0;
            if (a < size)
            {
                ranges[count].start = a;
                ranges[count++].end = HTTPD_MIN( b, size - 1 );
            }
        }
        p += strcspn( p, "," );
        if (!*p) break;
        p++;
    }
    *valid = TRUE;
    return count;
}

/* Strong (or weak) comparison of an entity tag against a list of them. */
static BOOL etag_list_match( const char *list, const char *etag, BOOL weak )
{
    const char *p = list, *tag, *cur;
    size_t len, cur_len;

    if (!etag) return FALSE;
    if (!strcmp( skip_spaces( list ), "*" )) return TRUE;
    cur = etag;
    if (!strncmp( cur, "W/", 2 ))
    {
        if (!weak) return FALSE;
        cur += 2;
    }
    cur_len = strlen( cur );
    while (*p)
    {
        p = skip_spaces( p );
        len = strcspn( p, "," );
        tag = p;
        while (len && (tag[len - 1] == ' ' || tag[len - 1] == '\t')) len--;
        if (len > 2 && !strncmp( tag, "W/", 2 ))
        {
            if (weak)
            {
                tag += 2;
                len -= 2;
                if (len == cur_len && !memcmp( tag, cur, len )) return TRUE;
            }
        }
        else if (len == cur_len && !memcmp( tag, cur, len )) return TRUE;
        p += strcspn( p, "," );
        if (*p) p++;
    }
    return FALSE;
}

/* a compared with b: -1 older, 0 same, 1 newer, 2 not comparable */
static int compare_dates( const char *a, const char *b )
{
    ULONGLONG ta, tb;

    if (!a || !b) return 2;
    if (!parse_http_date( a, &ta ) || !parse_http_date( b, &tb )) return strcmp( a, b ) ? 2 : 0;
    return ta < tb ? -1 : ta > tb ? 1 : 0;
}

static BOOL check_basic_auth( struct httpd_request *req, const char *credentials )
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *src = (const unsigned char *)credentials;
    size_t len = strlen( credentials ), i;
    const char *value;
    char *enc, *dst;
    BOOL ret;

    if (!(value = request_header( req, "Authorization" ))) return FALSE;
    if (httpd_strnicmp( value, "Basic ", 6 )) return FALSE;
    if (!(enc = malloc( (len + 2) / 3 * 4 + 1 ))) return FALSE;
    for (i = 0, dst = enc; i < len; i += 3)
    {
        unsigned int v = src[i] << 16 | (i + 1 < len ? src[i + 1] << 8 : 0) | (i + 2 < len ? src[i + 2] : 0);
        *dst++ = b64[v >> 18];
        *dst++ = b64[(v >> 12) & 63];
        *dst++ = i + 1 < len ? b64[(v >> 6) & 63] : '=';
        *dst++ = i + 2 < len ? b64[v & 63] : '=';
    }
    *dst = 0;
    ret = !strcmp( skip_spaces( value + 6 ), enc );
    free( enc );
    return ret;
}

#define DIGEST_REALM  HTTPD_DIGEST_REALM
#define DIGEST_NONCE  HTTPD_DIGEST_NONCE
#define DIGEST_OPAQUE HTTPD_DIGEST_OPAQUE

/* The lowercase hex MD5 of text. */
static BOOL md5_hex( const char *text, char hex[33] )
{
    BCRYPT_ALG_HANDLE alg;
    UCHAR digest[16];
    NTSTATUS status;
    int i;

    if (BCryptOpenAlgorithmProvider( &alg, BCRYPT_MD5_ALGORITHM, NULL, 0 )) return FALSE;
    status = BCryptHash( alg, NULL, 0, (UCHAR *)text, strlen( text ), digest, sizeof(digest) );
    BCryptCloseAlgorithmProvider( alg, 0 );
    if (status) return FALSE;
    for (i = 0; i < 16; i++) sprintf( hex + i * 2, "%02x", digest[i] );
    return TRUE;
}

/* The value of one auth-param of a "Digest ..." header, unquoted, into buf. */
static BOOL digest_param( const char *value, const char *name, char *buf, size_t size )
{
    size_t name_len = strlen( name ), n;
    const char *p = value + 6;

    for (;;)
    {
        while (*p == ' ' || *p == ',') p++;
        if (!*p) return FALSE;
        if (!httpd_strnicmp( p, name, name_len ) && p[name_len] == '=')
        {
            p += name_len + 1;
            n = 0;
            if (*p == '"')
            {
                for (p++; *p && *p != '"'; p++)
                {
                    if (*p == '\\' && p[1]) p++;
                    if (n + 1 >= size) return FALSE;
                    buf[n++] = *p;
                }
            }
            else
            {
                for (; *p && *p != ',' && *p != ' '; p++)
                {
                    if (n + 1 >= size) return FALSE;
                    buf[n++] = *p;
                }
            }
            buf[n] = 0;
            return TRUE;
        }
        /* past this param: a quoted value may hold commas */
        while (*p && *p != '=' && *p != ',') p++;
        if (*p == '=' && *++p == '"')
        {
            for (p++; *p && *p != '"'; p++) if (*p == '\\' && p[1]) p++;
            if (*p) p++;
        }
        while (*p && *p != ',') p++;
    }
}

/* A Digest answer in the header name (Authorization, or Proxy-Authorization
 * for a proxy) with the right response for the one account. */
static BOOL check_digest_answer( struct httpd_request *req, const char *name, const char *credentials )
{
    char user[128], realm[64], nonce[64], uri[1024], response[64], qop[16], nc[16], cnonce[128], opaque[64];
    char algorithm[16], text[1400], ha1[33], ha2[33], expected[33];
    const char *value, *colon = strchr( credentials, ':' );

    if (!colon || !(value = request_header( req, name )) || httpd_strnicmp( value, "Digest ", 7 ))
        return FALSE;
    if (!digest_param( value, "username", user, sizeof(user) ) || !digest_param( value, "realm", realm, sizeof(realm) ) ||
        !digest_param( value, "nonce", nonce, sizeof(nonce) ) || !digest_param( value, "uri", uri, sizeof(uri) ) ||
        !digest_param( value, "response", response, sizeof(response) ) || !digest_param( value, "qop", qop, sizeof(qop) ) ||
        !digest_param( value, "nc", nc, sizeof(nc) ) || !digest_param( value, "cnonce", cnonce, sizeof(cnonce) ) ||
        !digest_param( value, "opaque", opaque, sizeof(opaque) ))
        return FALSE;
    if (digest_param( value, "algorithm", algorithm, sizeof(algorithm) ) && httpd_strnicmp( algorithm, "MD5", 4 ))
        return FALSE;
    if ((size_t)(colon - credentials) != strlen( user ) || strncmp( user, credentials, colon - credentials ) ||
        strcmp( realm, DIGEST_REALM ) || strcmp( nonce, DIGEST_NONCE ) || strcmp( opaque, DIGEST_OPAQUE ) ||
        strcmp( uri, req->target ) || strcmp( qop, "auth" ))
        return FALSE;
    snprintf( text, sizeof(text), "%s:%s:%s", user, realm, colon + 1 );
    if (!md5_hex( text, ha1 )) return FALSE;
    snprintf( text, sizeof(text), "%s:%s", req->method, uri );
    if (!md5_hex( text, ha2 )) return FALSE;
    snprintf( text, sizeof(text), "%s:%s:%s:%s:%s:%s", ha1, nonce, nc, cnonce, qop, ha2 );
    return md5_hex( text, expected ) && !strcmp( expected, response );
}

static BOOL check_digest_auth( struct httpd_request *req, const char *credentials )
{
    return check_digest_answer( req, "Authorization", credentials );
}

BOOL httpd_check_digest( struct httpd_request *req, const char *header, const char *credentials )
{
    return check_digest_answer( req, header, credentials );
}

static void serve_resource( struct httpd_request *req )
{
    struct httpd *httpd = req->conn->httpd;
    struct resource *res;
    const struct httpd_resource_options *o;
    struct range ranges[HTTPD_MAX_RANGES];
    const char *value;
    unsigned int count;
    BOOL use_ranges, valid;

    if (!(res = resource_find( httpd, req->target, req->path )))
    {
        respond_text( req, 404, NULL, "Not found\n" );
        return;
    }
    o = &res->opts;
    if (o->ignore_pipelined) req->forget_following = TRUE;

    if (o->header_delay_ms && WaitForSingleObject( httpd->stop_event, o->header_delay_ms ) != WAIT_TIMEOUT)
    {
        req->aborted = req->close = TRUE;
        goto done;
    }
    if (o->basic_auth && !check_basic_auth( req, o->basic_auth ))
    {
        respond_text( req, 401, "WWW-Authenticate: Basic realm=\"qmgr-test\"\r\n", "Authorization required\n" );
        goto done;
    }
    if (o->digest_auth && !check_digest_auth( req, o->digest_auth ))
    {
        respond_text( req, 401, "WWW-Authenticate: " HTTPD_DIGEST_CHALLENGE "\r\n", "Authorization required\n" );
        goto done;
    }
    if (o->status)
    {
        send_entity( req, res, o->status, NULL, 0 );
        goto done;
    }

    use_ranges = !o->no_ranges;
    if (o->precondition != HTTPD_PRECONDITION_IGNORE)
    {
        BOOL failed = FALSE;

        if ((value = request_header( req, "If-Match" )))
            failed = !etag_list_match( value, o->etag, FALSE );
        else if ((value = request_header( req, "If-Unmodified-Since" )) && o->last_modified)
            failed = compare_dates( o->last_modified, value ) == 1;
        if (failed)
        {
            if (o->precondition == HTTPD_PRECONDITION_STRICT)
            {
                respond_text( req, 412, NULL, "Precondition failed\n" );
                goto done;
            }
            use_ranges = FALSE;
        }
        if ((value = request_header( req, "If-None-Match" )))
        {
            if (etag_list_match( value, o->etag, TRUE ))
            {
                send_entity( req, res, 304, NULL, 0 );
                goto done;
            }
        }
        else if ((value = request_header( req, "If-Modified-Since" )) && o->last_modified
                 && (compare_dates( o->last_modified, value ) == 0 || compare_dates( o->last_modified, value ) == -1))
        {
            send_entity( req, res, 304, NULL, 0 );
            goto done;
        }
        if (use_ranges && (value = request_header( req, "If-Range" )) && request_header( req, "Range" ))
        {
            if (value[0] == '"' || !strncmp( value, "W/", 2 )) use_ranges = etag_list_match( value, o->etag, FALSE ) && strcmp( value, "*" );
            else use_ranges = compare_dates( o->last_modified, value ) == 0;
        }
    }

    if (use_ranges && (value = request_header( req, "Range" )))
    {
        count = parse_ranges( value, res->size, ranges, &valid );
        if (valid && !count)
        {
            char header[64];
            fmt_str( header, "Content-Range: bytes */%I64u\r\n", res->size );
            respond_text( req, 416, header, "Range not satisfiable\n" );
            goto done;
        }
        if (valid)
        {
            if (count == 1 && o->wrong_content_range)
            {
                if (ranges[0].end + 1 < res->size) { ranges[0].start++; ranges[0].end++; }
                else if (ranges[0].start) { ranges[0].start--; ranges[0].end--; }
            }
            send_entity( req, res, 206, ranges, count );
            goto done;
        }
    }
    send_entity( req, res, 200, NULL, 0 );
done:
    resource_release( res );
}

static void handle_request( struct httpd_request *req )
{
    struct httpd *httpd = req->conn->httpd;
    struct handler_entry *entry;
    httpd_handler func;
    void *context = NULL;
    unsigned int index = 0, i;

    /* custom handlers; the list only grows, so walking it by index is safe */
    for (;;)
    {
        func = NULL;
        EnterCriticalSection( &httpd->cs );
        for (entry = httpd->handlers, i = 0; entry; entry = entry->next, i++)
        {
            if (i < index) continue;
            index = i + 1;
            if (entry->method && strcmp( entry->method, req->method )) continue;
            if (entry->prefix && strncmp( req->target, entry->prefix, strlen( entry->prefix ) )) continue;
            func = entry->func;
            context = entry->context;
            break;
        }
        LeaveCriticalSection( &httpd->cs );
        if (!func) break;
        if (func( req, context ))
        {
            if (!req->responded) respond_text( req, 500, NULL, "Handler sent no response\n" );
            return;
        }
    }

    if (!strcmp( req->method, "GET" ) || !strcmp( req->method, "HEAD" ))
        serve_resource( req );
    else
    {
        if (!req->body_done) req->close = TRUE;  /* do not read bodies of unknown requests */
        respond_text( req, 501, NULL, "Not implemented\n" );
    }
}

/* ------------------------------------------------------------------------ */
/* threads                                                                  */

static DWORD WINAPI conn_thread( void *arg )
{
    struct conn *conn = arg;
    struct httpd *httpd = conn->httpd;
    struct httpd_request req;
    BOOL close;

    for (;;)
    {
        if (!read_request( conn, &req ))
        {
            free_request( &req );
            break;
        }
        handle_request( &req );
        if (!req.close && !req.aborted) discard_request_body( &req );
        if (req.forget_following) conn->in_pos = conn->in_len = 0;
        log_update( &req, TRUE );
        close = req.close || req.aborted || !req.keep_alive || httpd->stopping;
        free_request( &req );
        conn->requests++;
        if (close) break;
    }
    conn_close_socket( conn, FALSE );

    EnterCriticalSection( &httpd->cs );
    conn->finished = TRUE;
    LeaveCriticalSection( &httpd->cs );
    ReleaseSemaphore( httpd->slots, 1, NULL );
    return 0;
}

static void free_conn( struct conn *conn )
{
    if (conn->event) WSACloseEvent( conn->event );
    free( conn->in );
    free( conn->out );
    free( conn );
}

/* Joins and frees the connections whose thread ended. */
static void reap_connections( struct httpd *httpd )
{
    struct conn **p, *conn, *done = NULL;

    EnterCriticalSection( &httpd->cs );
    for (p = &httpd->conns; (conn = *p); )
    {
        if (conn->finished)
        {
            *p = conn->next;
            conn->next = done;
            done = conn;
        }
        else p = &conn->next;
    }
    LeaveCriticalSection( &httpd->cs );
    while ((conn = done))
    {
        done = conn->next;
        /* the thread only has to return after setting finished */
        if (WaitForSingleObject( conn->thread, HTTPD_JOIN_TIMEOUT ) == WAIT_OBJECT_0)
        {
            CloseHandle( conn->thread );
            free_conn( conn );
        }
    }
}

static BOOL start_connection( struct httpd *httpd, SOCKET s )
{
    int size = HTTPD_IO_SIZE, one = 1;
    struct conn *conn;

    setsockopt( s, SOL_SOCKET, SO_SNDBUF, (const char *)&size, sizeof(size) );
    setsockopt( s, IPPROTO_TCP, TCP_NODELAY, (const char *)&one, sizeof(one) );

    if (!(conn = calloc( 1, sizeof(*conn) ))) return FALSE;
    conn->httpd = httpd;
    conn->sock = s;
    conn->id = InterlockedIncrement( &httpd->connections );
    if (!(conn->in = malloc( HTTPD_MAX_HEAD + 1 )) || !(conn->out = malloc( HTTPD_IO_SIZE ))
        || (conn->event = WSACreateEvent()) == WSA_INVALID_EVENT)
    {
        conn->event = NULL;
        free_conn( conn );
        return FALSE;
    }
    /* replaces the FD_ACCEPT selection inherited from the listener; the
     * socket stays non-blocking */
    if (WSAEventSelect( s, conn->event, FD_READ | FD_WRITE | FD_CLOSE ))
    {
        free_conn( conn );
        return FALSE;
    }
    if (!(conn->thread = CreateThread( NULL, 0, conn_thread, conn, CREATE_SUSPENDED, NULL )))
    {
        free_conn( conn );
        return FALSE;
    }
    EnterCriticalSection( &httpd->cs );
    conn->next = httpd->conns;
    httpd->conns = conn;
    LeaveCriticalSection( &httpd->cs );
    ResumeThread( conn->thread );
    return TRUE;
}

/* Out of slots with a client waiting: asks the kept-alive connections that
 * wait for their next request to close, as servers close idle connections. */
static void kick_idle_connections( struct httpd *httpd )
{
    struct timeval zero = { 0, 0 };
    struct conn *conn;
    fd_set fds;

    FD_ZERO( &fds );
    FD_SET( httpd->listener, &fds );
    if (select( 0, &fds, NULL, NULL, &zero ) != 1) return;  /* nobody waiting */

    EnterCriticalSection( &httpd->cs );
    for (conn = httpd->conns; conn; conn = conn->next)
    {
        if (conn->finished || !conn->idle || conn->kicked || !conn->requests) continue;
        conn->kicked = TRUE;
        SetEvent( conn->event );
    }
    LeaveCriticalSection( &httpd->cs );
}

static DWORD WINAPI listen_thread( void *arg )
{
    struct httpd *httpd = arg;
    HANDLE slot_wait[2] = { httpd->stop_event, httpd->slots };
    HANDLE accept_wait[2] = { httpd->stop_event, httpd->accept_event };
    WSANETWORKEVENTS events;
    SOCKET s;
    DWORD ret;

    for (;;)
    {
        reap_connections( httpd );
        ret = WaitForMultipleObjects( 2, slot_wait, FALSE, 50 );
        if (ret == WAIT_TIMEOUT)
        {
            kick_idle_connections( httpd );
            ret = WaitForMultipleObjects( 2, slot_wait, FALSE, 1000 );
            if (ret == WAIT_TIMEOUT) continue;
        }
        if (ret != WAIT_OBJECT_0 + 1) break;

        /* we own a slot: accept one connection */
        for (;;)
        {
            s = accept( httpd->listener, NULL, NULL );
            if (s != INVALID_SOCKET) break;
            if (WSAGetLastError() != WSAEWOULDBLOCK) Sleep( 10 );
            ret = WaitForMultipleObjects( 2, accept_wait, FALSE, 1000 );
            if (ret == WAIT_OBJECT_0 + 1) WSAEnumNetworkEvents( httpd->listener, httpd->accept_event, &events );
            else if (ret == WAIT_TIMEOUT) reap_connections( httpd );
            else
            {
                ReleaseSemaphore( httpd->slots, 1, NULL );
                return 0;
            }
        }
        if (httpd->stopping || !start_connection( httpd, s ))
        {
            closesocket( s );
            ReleaseSemaphore( httpd->slots, 1, NULL );
        }
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* server                                                                   */

static LONG wsa_started;

struct httpd *httpd_start(void)
{
    struct sockaddr_in addr;
    struct httpd *httpd;
    int len = sizeof(addr);
    WSADATA data;

    if (!InterlockedCompareExchange( &wsa_started, 1, 0 ) && WSAStartup( MAKEWORD(2, 2), &data ))
    {
        wsa_started = 0;
        return NULL;
    }
    if (!(httpd = calloc( 1, sizeof(*httpd) ))) return NULL;
    InitializeCriticalSection( &httpd->cs );
    InitializeConditionVariable( &httpd->log_changed );
    httpd->listener = INVALID_SOCKET;
    if (!(httpd->stop_event = CreateEventA( NULL, TRUE, FALSE, NULL ))) goto fail;
    if (!(httpd->accept_event = WSACreateEvent())) goto fail;
    if (!(httpd->slots = CreateSemaphoreA( NULL, HTTPD_MAX_CONNECTIONS, HTTPD_MAX_CONNECTIONS, NULL ))) goto fail;

    httpd->listener = socket( AF_INET, SOCK_STREAM, IPPROTO_TCP );
    if (httpd->listener == INVALID_SOCKET) goto fail;
    memset( &addr, 0, sizeof(addr) );
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl( INADDR_LOOPBACK );
    addr.sin_port = 0;
    if (bind( httpd->listener, (struct sockaddr *)&addr, sizeof(addr) )) goto fail;
    if (getsockname( httpd->listener, (struct sockaddr *)&addr, &len )) goto fail;
    httpd->port = ntohs( addr.sin_port );
    if (listen( httpd->listener, SOMAXCONN )) goto fail;
    if (WSAEventSelect( httpd->listener, httpd->accept_event, FD_ACCEPT )) goto fail;
    if (!(httpd->listen_thread = CreateThread( NULL, 0, listen_thread, httpd, 0, NULL ))) goto fail;
    return httpd;

fail:
    if (httpd->listener != INVALID_SOCKET) closesocket( httpd->listener );
    if (httpd->slots) CloseHandle( httpd->slots );
    if (httpd->accept_event) WSACloseEvent( httpd->accept_event );
    if (httpd->stop_event) CloseHandle( httpd->stop_event );
    DeleteCriticalSection( &httpd->cs );
    free( httpd );
    return NULL;
}

/* Number of server threads that httpd_stop() could not join (0 if all is well). */
static LONG httpd_leaked_threads;

void httpd_stop( struct httpd *httpd )
{
    struct resource *res;
    struct handler_entry *handler;
    struct conn *conn;
    DWORD start;
    BOOL all_done;
    int pass;

    if (!httpd) return;
    InterlockedExchange( &httpd->stopping, 1 );
    SetEvent( httpd->stop_event );
    if (WaitForSingleObject( httpd->listen_thread, HTTPD_JOIN_TIMEOUT ) != WAIT_OBJECT_0)
    {
        InterlockedIncrement( &httpd_leaked_threads );
        return;  /* cannot free anything the thread may still use */
    }
    CloseHandle( httpd->listen_thread );
    closesocket( httpd->listener );

    /* the stop event wakes every connection thread; closing its socket is
     * the fallback for a thread that still does not end */
    for (pass = 0; pass < 2; pass++)
    {
        if (pass)
        {
            EnterCriticalSection( &httpd->cs );
            for (conn = httpd->conns; conn; conn = conn->next)
            {
                if (conn->finished || conn->sock == INVALID_SOCKET) continue;
                closesocket( conn->sock );
                conn->sock = INVALID_SOCKET;
            }
            LeaveCriticalSection( &httpd->cs );
        }
        start = GetTickCount();
        do
        {
            all_done = TRUE;
            EnterCriticalSection( &httpd->cs );
            for (conn = httpd->conns; conn; conn = conn->next) if (!conn->finished) all_done = FALSE;
            LeaveCriticalSection( &httpd->cs );
            reap_connections( httpd );
            if (all_done) break;
            Sleep( 5 );
        } while (GetTickCount() - start < HTTPD_JOIN_TIMEOUT);
        if (all_done && !httpd->conns) break;
    }
    if (httpd->conns)
    {
        /* threads that did not end keep their memory and the server's */
        for (conn = httpd->conns; conn; conn = conn->next) InterlockedIncrement( &httpd_leaked_threads );
        return;
    }

    while ((res = httpd->resources))
    {
        httpd->resources = res->next;
        resource_release( res );
    }
    while ((handler = httpd->handlers))
    {
        httpd->handlers = handler->next;
        free( handler->method );
        free( handler->prefix );
        free( handler );
    }
    log_free_items( httpd );
    free( httpd->log );
    CloseHandle( httpd->slots );
    WSACloseEvent( httpd->accept_event );
    CloseHandle( httpd->stop_event );
    DeleteCriticalSection( &httpd->cs );
    free( httpd );
}

unsigned short httpd_port( struct httpd *httpd )
{
    return httpd->port;
}

LONG httpd_connection_count( struct httpd *httpd )
{
    return httpd->connections;
}

char *httpd_url_a( struct httpd *httpd, const char *path, char *buf, size_t len )
{
    char tmp[64];
    size_t n = sprintf( tmp, "http://127.0.0.1:%u", httpd->port );

    if (!len) return buf;
    lstrcpynA( buf, tmp, (int)HTTPD_MIN( len, (size_t)0x7fffffff ) );
    if (path && n < len) lstrcpynA( buf + n, path, (int)HTTPD_MIN( len - n, (size_t)0x7fffffff ) );
    return buf;
}

WCHAR *httpd_url( struct httpd *httpd, const char *path, WCHAR *buf, size_t len )
{
    size_t i, n;
    char tmp[64];

    if (!len) return buf;
    n = sprintf( tmp, "http://127.0.0.1:%u", httpd->port );
    for (i = 0; i + 1 < len && i < n; i++) buf[i] = tmp[i];
    for (n = 0; path && path[n] && i + 1 < len; n++) buf[i++] = (unsigned char)path[n];
    buf[i] = 0;
    return buf;
}

/* ======================================================================== */
/* Tests of the server itself, with a plain Winsock client                  */
/* ======================================================================== */

#define CLIENT_BUF_SIZE (256 * 1024)

struct client
{
    SOCKET s;
    char *buf;
    size_t pos, len;
    BOOL eof;                    /* recv returned 0 */
    BOOL error;                  /* recv failed (reset, timeout) */
};

struct response
{
    int status;
    char headers[16384];         /* header lines after the status line */
    BYTE *body;                  /* stored body (unless no_store) */
    size_t body_size;
    ULONGLONG body_total;        /* body bytes received */
    BOOL complete;               /* the whole body arrived according to its framing */
    BOOL closed;                 /* the connection ended during or right after the body */
    LONGLONG content_length;     /* -1 if none */
    BOOL chunked;
    /* settings */
    BOOL head;                   /* response to HEAD: no body */
    BOOL interim;                /* return 1xx responses instead of skipping them */
    BOOL no_store;
    BOOL verify;                 /* compare the body with a pattern on the fly */
    unsigned int seed;
    ULONGLONG offset;
    LONGLONG mismatch;           /* body offset of the first wrong byte, or -1 */
};

static BOOL client_connect( struct client *c, unsigned short port )
{
    struct sockaddr_in addr;
    DWORD timeout = 10000;
    int size = 1024 * 1024;

    memset( c, 0, sizeof(*c) );
    c->s = socket( AF_INET, SOCK_STREAM, IPPROTO_TCP );
    if (c->s == INVALID_SOCKET) return FALSE;
    if (!(c->buf = malloc( CLIENT_BUF_SIZE + 1 ))) return FALSE;
    setsockopt( c->s, SOL_SOCKET, SO_RCVTIMEO, (const char *)&timeout, sizeof(timeout) );
    setsockopt( c->s, SOL_SOCKET, SO_SNDTIMEO, (const char *)&timeout, sizeof(timeout) );
    setsockopt( c->s, SOL_SOCKET, SO_RCVBUF, (const char *)&size, sizeof(size) );
    memset( &addr, 0, sizeof(addr) );
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl( INADDR_LOOPBACK );
    addr.sin_port = htons( port );
    return !connect( c->s, (struct sockaddr *)&addr, sizeof(addr) );
}

static void client_close( struct client *c )
{
    if (c->s != INVALID_SOCKET) closesocket( c->s );
    c->s = INVALID_SOCKET;
    free( c->buf );
    c->buf = NULL;
}

static BOOL client_send_raw( struct client *c, const void *data, size_t len )
{
    int ret;

    while (len)
    {
        ret = send( c->s, data, (int)HTTPD_MIN( len, (size_t)65536 ), 0 );
        if (ret <= 0) return FALSE;
        data = (const char *)data + ret;
        len -= ret;
    }
    return TRUE;
}

static BOOL client_send( struct client *c, const char *fmt, ... ) WINETEST_PRINTF_ATTR(2, 3);
static BOOL client_send( struct client *c, const char *fmt, ... )
{
    va_list args;
    char *text;
    BOOL ret;

    va_start( args, fmt );
    text = winetest_vformat( fmt, args );
    va_end( args );
    if (!text) return FALSE;
    ret = client_send_raw( c, text, strlen( text ) );
    free( text );
    return ret;
}

/* Makes sure some data is buffered; FALSE at end of stream or on error. */
static BOOL client_fill( struct client *c )
{
    int ret;

    if (c->pos < c->len) return TRUE;
    if (c->eof || c->error) return FALSE;
    c->pos = c->len = 0;
    ret = recv( c->s, c->buf, CLIENT_BUF_SIZE, 0 );
    if (ret < 0) c->error = TRUE;
    else if (!ret) c->eof = TRUE;
    else c->len = ret;
    return ret > 0;
}

static BOOL client_read_line( struct client *c, char *line, size_t size )
{
    size_t len = 0;
    char ch;

    for (;;)
    {
        if (!client_fill( c )) return FALSE;
        ch = c->buf[c->pos++];
        if (ch == '\n') break;
        if (len + 1 < size) line[len++] = ch;
    }
    if (len && line[len - 1] == '\r') len--;
    line[len] = 0;
    return TRUE;
}

static void response_init( struct response *r )
{
    memset( r, 0, sizeof(*r) );
    r->mismatch = -1;
}

static void response_free( struct response *r )
{
    free( r->body );
    r->body = NULL;
}

static void response_data( struct response *r, const void *data, size_t len )
{
    if (r->verify && r->mismatch == -1)
    {
        LONGLONG idx = httpd_pattern_check( r->seed, r->offset + r->body_total, data, len );
        if (idx != -1) r->mismatch = r->body_total + idx;
    }
    if (!r->no_store)
    {
        BYTE *body = realloc( r->body, r->body_size + len + 1 );
        if (body)
        {
            memcpy( body + r->body_size, data, len );
            r->body = body;
            r->body_size += len;
            body[r->body_size] = 0;
        }
    }
    r->body_total += len;
}

/* Reads exactly len body bytes; FALSE if the stream ended first. */
static BOOL client_read_body( struct client *c, struct response *r, ULONGLONG len )
{
    size_t n;

    while (len)
    {
        if (!client_fill( c )) return FALSE;
        n = (size_t)HTTPD_MIN( (ULONGLONG)(c->len - c->pos), len );
        response_data( r, c->buf + c->pos, n );
        c->pos += n;
        len -= n;
    }
    return TRUE;
}

static BOOL response_header( const struct response *r, const char *name, char *buf, size_t size )
{
    return find_header_line( r->headers, name, buf, size );
}

/* Reads one response.  FALSE if no status line and headers could be read. */
static BOOL read_response( struct client *c, struct response *r )
{
    char line[1024], value[256];
    size_t len = 0;

    for (;;)
    {
        r->headers[0] = 0;
        if (!client_read_line( c, line, sizeof(line) )) return FALSE;
        if (sscanf( line, "HTTP/1.%*d %d", &r->status ) != 1) return FALSE;
        len = 0;
        for (;;)
        {
            if (!client_read_line( c, line, sizeof(line) )) return FALSE;
            if (!line[0]) break;
            if (len + strlen( line ) + 3 < sizeof(r->headers))
                len += sprintf( r->headers + len, "%s\r\n", line );
        }
        if (r->status >= 200 || r->interim) break;
    }

    r->content_length = -1;
    if (response_header( r, "Content-Length", value, sizeof(value) ))
        r->content_length = _atoi64( value );
    r->chunked = response_header( r, "Transfer-Encoding", value, sizeof(value) ) && header_has_token( value, "chunked" );

    if (r->head || r->status < 200 || r->status == 204 || r->status == 304)
        r->complete = TRUE;
    else if (r->chunked)
    {
        for (;;)
        {
            ULONGLONG chunk;
            if (!client_read_line( c, line, sizeof(line) )) break;
            chunk = _strtoui64( line, NULL, 16 );
            if (!chunk)
            {
                while (client_read_line( c, line, sizeof(line) ) && line[0]) ;
                r->complete = TRUE;
                break;
            }
            if (!client_read_body( c, r, chunk )) break;
            if (!client_read_line( c, line, sizeof(line) ) || line[0]) break;
        }
    }
    else if (r->content_length >= 0)
        r->complete = client_read_body( c, r, r->content_length );
    else
    {
        client_read_body( c, r, ~0ull );
        r->complete = c->eof;
    }
    r->closed = c->eof || c->error;
    return TRUE;
}

/* After a response: TRUE if the server closes the connection (within the
 * receive timeout); *extra gets the number of bytes that came before. */
static BOOL client_wait_closed( struct client *c, ULONGLONG *extra )
{
    ULONGLONG count = c->len - c->pos;

    c->pos = c->len;
    while (client_fill( c ))
    {
        count += c->len - c->pos;
        c->pos = c->len;
    }
    if (extra) *extra = count;
    return c->eof || (c->error && WSAGetLastError() != WSAETIMEDOUT);
}

/* One request on a new connection. */
static BOOL do_request( unsigned short port, const char *method, const char *path, const char *headers,
                        struct response *r )
{
    struct client c;
    BOOL ret;

    if (!client_connect( &c, port ))
    {
        client_close( &c );
        return FALSE;
    }
    r->head = !strcmp( method, "HEAD" );
    ret = client_send( &c, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n%s\r\n", method, path, port, headers ? headers : "" )
          && read_response( &c, r );
    client_close( &c );
    return ret;
}

static void check_header_( int line, const struct response *r, const char *name, const char *expect )
{
    char value[1024];
    BOOL found = response_header( r, name, value, sizeof(value) );

    if (!expect) ok_( __FILE__, line )( !found, "unexpected header %s: %s\n", name, value );
    else if (!found) ok_( __FILE__, line )( 0, "header %s missing, expected %s\n", name, expect );
    else ok_( __FILE__, line )( !strcmp( value, expect ), "header %s: got %s, expected %s\n", name, value, expect );
}
#define check_header(r, name, expect) check_header_( __LINE__, r, name, expect )

static BOOL (WINAPI *pGetProcessHandleCount)( HANDLE process, DWORD *count );

static int count_threads(void)
{
    THREADENTRY32 entry;
    HANDLE snapshot;
    int count = 0;

    snapshot = CreateToolhelp32Snapshot( TH32CS_SNAPTHREAD, 0 );
    if (snapshot == INVALID_HANDLE_VALUE) return -1;
    entry.dwSize = sizeof(entry);
    if (Thread32First( snapshot, &entry ))
    {
        do
        {
            if (entry.th32OwnerProcessID == GetCurrentProcessId()) count++;
            entry.dwSize = sizeof(entry);
        } while (Thread32Next( snapshot, &entry ));
    }
    CloseHandle( snapshot );
    return count;
}

static const char hello[] = "Hello, world!\n";

/* ------------------------------------------------------------------------ */

static void test_pattern(void)
{
    static const size_t size = 200000;
    BYTE *a = malloc( size ), *b = malloc( size ), *c = malloc( size );
    WCHAR dir[MAX_PATH], file[MAX_PATH];
    size_t pos, n, same;
    HANDLE h;
    DWORD written;
    LONGLONG ret;

    httpd_pattern_fill( 1, 0, a, size );
    for (pos = 0, n = 1; pos < size; pos += n, n = n * 3 + 7)
    {
        n = HTTPD_MIN( n, size - pos );
        httpd_pattern_fill( 1, pos, b + pos, n );
    }
    ok( !memcmp( a, b, size ), "pieces differ from one fill\n" );
    ret = httpd_pattern_check( 1, 0, a, size );
    ok( ret == -1, "check returned %I64d\n", ret );
    ret = httpd_pattern_check( 1, 1000, a + 1000, size - 1000 );
    ok( ret == -1, "check at an offset returned %I64d\n", ret );
    a[150000] ^= 0x40;
    ret = httpd_pattern_check( 1, 0, a, size );
    ok( ret == 150000, "check returned %I64d\n", ret );
    a[150000] ^= 0x40;
    ret = httpd_pattern_check( 1, 1, a, size - 1 );
    ok( ret != -1 && ret < 1000, "shifted check returned %I64d\n", ret );

    httpd_pattern_fill( 2, 0, c, size );
    for (pos = same = 0; pos < size; pos++) same += a[pos] == c[pos];
    ok( same < size / 50, "seeds 1 and 2 share %Iu bytes\n", same );
    for (pos = same = 0; pos < size; pos++) same += a[pos] == a[0];
    ok( same < size / 50, "%Iu bytes equal the first one\n", same );
    ok( memcmp( a, a + 65536, 65536 ), "pattern repeats after 64 KiB\n" );
    ok( memcmp( a, a + 65521, 65521 ), "pattern repeats after one period\n" );
    httpd_pattern_fill( 1, 1 << 20, c, 65536 );
    ok( memcmp( a, c, 65536 ), "pattern repeats after 1 MiB\n" );
    httpd_pattern_fill( 1, 5ull << 30, c, 65536 );
    ok( memcmp( a, c, 65536 ), "pattern repeats after 5 GiB\n" );
    ret = httpd_pattern_check( 1, 5ull << 30, c, 65536 );
    ok( ret == -1, "check at 5 GiB returned %I64d\n", ret );

    GetTempPathW( ARRAY_SIZE(dir), dir );
    GetTempFileNameW( dir, L"htp", 0, file );
    h = CreateFileW( file, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL );
    ok( h != INVALID_HANDLE_VALUE, "CreateFile failed: %lu\n", GetLastError() );
    WriteFile( h, b, (DWORD)size, &written, NULL );
    CloseHandle( h );
    ok( httpd_pattern_check_file( file, 1, size ), "file check failed\n" );
    ok( !httpd_pattern_check_file( file, 1, size + 1 ), "file check with the wrong size succeeded\n" );
    ok( !httpd_pattern_check_file( file, 2, size ), "file check with the wrong seed succeeded\n" );
    h = CreateFileW( file, GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL );
    SetFilePointer( h, 199999, NULL, FILE_BEGIN );
    WriteFile( h, "x", 1, &written, NULL );
    CloseHandle( h );
    ok( !httpd_pattern_check_file( file, 1, size ) || b[199999] == 'x', "corrupted file passed the check\n" );
    DeleteFileW( file );

    free( a );
    free( b );
    free( c );
}

static void test_get( struct httpd *httpd )
{
    struct httpd_resource_options opts;
    unsigned short port = httpd_port( httpd );
    struct response r;
    char value[256];
    WCHAR urlW[128];
    char url[128];
    size_t i;

    memset( &opts, 0, sizeof(opts) );
    opts.etag = "\"h1\"";
    ok( httpd_add_resource( httpd, "/hello", hello, sizeof(hello) - 1, &opts ), "add failed\n" );

    response_init( &r );
    ok( do_request( port, "GET", "/hello", NULL, &r ), "request failed\n" );
    ok( r.status == 200, "status %d\n", r.status );
    ok( r.content_length == sizeof(hello) - 1, "Content-Length %I64d\n", r.content_length );
    ok( r.complete && r.body_size == sizeof(hello) - 1 && !memcmp( r.body, hello, r.body_size ), "wrong body\n" );
    check_header( &r, "Content-Type", "application/octet-stream" );
    check_header( &r, "Accept-Ranges", "bytes" );
    check_header( &r, "ETag", "\"h1\"" );
    check_header( &r, "Last-Modified", HTTPD_DEFAULT_LAST_MODIFIED );
    check_header( &r, "Connection", NULL );
    check_header( &r, "Transfer-Encoding", NULL );
    ok( response_header( &r, "Date", value, sizeof(value) ) && strlen( value ) == 29 && !strcmp( value + 25, " GMT" ),
        "bad Date %s\n", value );
    ok( response_header( &r, "Server", NULL, 0 ), "no Server header\n" );
    response_free( &r );

    /* the query string is ignored unless a resource has it */
    response_init( &r );
    ok( do_request( port, "GET", "/hello?x=1", NULL, &r ), "request failed\n" );
    ok( r.status == 200 && r.body_size == sizeof(hello) - 1, "status %d, size %Iu\n", r.status, r.body_size );
    response_free( &r );
    ok( httpd_add_resource( httpd, "/q?a=1", "query", 5, NULL ), "add failed\n" );
    response_init( &r );
    ok( do_request( port, "GET", "/q?a=1", NULL, &r ), "request failed\n" );
    ok( r.status == 200 && r.body_size == 5 && !memcmp( r.body, "query", 5 ), "status %d\n", r.status );
    response_free( &r );
    response_init( &r );
    ok( do_request( port, "GET", "/q?a=2", NULL, &r ), "request failed\n" );
    ok( r.status == 404, "status %d\n", r.status );
    response_free( &r );

    /* no_last_modified */
    memset( &opts, 0, sizeof(opts) );
    opts.no_last_modified = TRUE;
    opts.content_type = "text/plain";
    ok( httpd_add_resource( httpd, "/plain", "x", 1, &opts ), "add failed\n" );
    response_init( &r );
    ok( do_request( port, "GET", "/plain", NULL, &r ), "request failed\n" );
    check_header( &r, "Last-Modified", NULL );
    check_header( &r, "ETag", NULL );
    check_header( &r, "Content-Type", "text/plain" );
    response_free( &r );

    httpd_url( httpd, "/hello", urlW, ARRAY_SIZE(urlW) );
    sprintf( url, "http://127.0.0.1:%u/hello", port );
    ok( strlen( url ) == (size_t)lstrlenW( urlW ), "url %s\n", wine_dbgstr_w( urlW ) );
    for (i = 0; url[i]; i++) if (urlW[i] != (WCHAR)url[i]) break;
    ok( !url[i], "url %s\n", wine_dbgstr_w( urlW ) );
    ok( !strcmp( httpd_url_a( httpd, "/hello", value, sizeof(value) ), url ), "url %s\n", value );
    httpd_url( httpd, "/hello", urlW, 10 );
    ok( lstrlenW( urlW ) == 9, "truncated url %s\n", wine_dbgstr_w( urlW ) );
}

static void test_head( struct httpd *httpd )
{
    unsigned short port = httpd_port( httpd );
    struct response r;
    struct client c;

    ok( httpd_add_pattern_resource( httpd, "/head", 100000, 5, NULL ), "add failed\n" );
    ok( client_connect( &c, port ), "connect failed\n" );
    ok( client_send( &c, "HEAD /head HTTP/1.1\r\nHost: x\r\n\r\n" ), "send failed\n" );
    response_init( &r );
    r.head = TRUE;
    ok( read_response( &c, &r ), "no response\n" );
    ok( r.status == 200, "status %d\n", r.status );
    ok( r.content_length == 100000, "Content-Length %I64d\n", r.content_length );
    ok( !r.body_total, "got %I64u body bytes\n", r.body_total );
    response_free( &r );

    /* the connection must be clean: no body bytes after the HEAD response */
    ok( client_send( &c, "HEAD /head HTTP/1.1\r\nHost: x\r\nRange: bytes=10-19\r\n\r\n" ), "send failed\n" );
    response_init( &r );
    r.head = TRUE;
    ok( read_response( &c, &r ), "no response\n" );
    ok( r.status == 206, "status %d\n", r.status );
    ok( r.content_length == 10, "Content-Length %I64d\n", r.content_length );
    check_header( &r, "Content-Range", "bytes 10-19/100000" );
    response_free( &r );

    ok( client_send( &c, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n" ), "send failed\n" );
    response_init( &r );
    ok( read_response( &c, &r ), "no response\n" );
    ok( r.status == 200 && r.complete && r.body_size == sizeof(hello) - 1 && !memcmp( r.body, hello, r.body_size ),
        "status %d, size %Iu\n", r.status, r.body_size );
    response_free( &r );

    ok( client_send( &c, "HEAD /nothing HTTP/1.1\r\nHost: x\r\n\r\n" ), "send failed\n" );
    response_init( &r );
    r.head = TRUE;
    ok( read_response( &c, &r ), "no response\n" );
    ok( r.status == 404, "status %d\n", r.status );
    response_free( &r );
    client_close( &c );
}

static void test_keepalive( struct httpd *httpd )
{
    unsigned short port = httpd_port( httpd );
    struct httpd_log_entry entry;
    struct response r;
    struct client c;
    LONG connections;
    ULONGLONG extra;
    int i;

    httpd_log_clear( httpd );
    connections = httpd_connection_count( httpd );
    ok( client_connect( &c, port ), "connect failed\n" );
    for (i = 0; i < 2; i++)
    {
        ok( client_send( &c, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n" ), "send failed\n" );
        response_init( &r );
        ok( read_response( &c, &r ), "no response\n" );
        ok( r.status == 200 && r.complete && !r.closed, "status %d complete %d closed %d\n", r.status, r.complete, r.closed );
        response_free( &r );
    }
    /* two pipelined requests */
    ok( client_send( &c, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\nGET /head HTTP/1.1\r\nHost: x\r\n\r\n" ), "send failed\n" );
    response_init( &r );
    ok( read_response( &c, &r ), "no response\n" );
    ok( r.status == 200 && r.body_size == sizeof(hello) - 1, "status %d size %Iu\n", r.status, r.body_size );
    response_free( &r );
    response_init( &r );
    r.verify = TRUE;
    r.seed = 5;
    ok( read_response( &c, &r ), "no response\n" );
    ok( r.status == 200 && r.body_size == 100000 && r.mismatch == -1, "status %d size %Iu\n", r.status, r.body_size );
    response_free( &r );

    /* Connection: close */
    ok( client_send( &c, "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" ), "send failed\n" );
    response_init( &r );
    ok( read_response( &c, &r ), "no response\n" );
    ok( r.status == 200 && r.complete, "status %d\n", r.status );
    check_header( &r, "Connection", "close" );
    ok( client_wait_closed( &c, &extra ), "connection not closed\n" );
    ok( !extra, "%I64u extra bytes\n", extra );
    response_free( &r );
    client_close( &c );

    ok( httpd_connection_count( httpd ) == connections + 1, "%ld connections\n", httpd_connection_count( httpd ) - connections );
    ok( httpd_log_wait( httpd, 5, 5000 ), "log not complete\n" );
    ok( httpd_log_count( httpd ) == 5, "%u log entries\n", httpd_log_count( httpd ) );
    for (i = 0; i < 5; i++)
    {
        ok( httpd_log_get( httpd, i, &entry ), "no entry %d\n", i );
        ok( entry.connection == connections + 1, "entry %d: connection %ld\n", i, entry.connection );
        ok( entry.request_index == (unsigned int)i, "entry %d: index %u\n", i, entry.request_index );
    }

    /* HTTP/1.0 closes unless asked not to */
    ok( client_connect( &c, port ), "connect failed\n" );
    ok( client_send( &c, "GET /hello HTTP/1.0\r\n\r\n" ), "send failed\n" );
    response_init( &r );
    ok( read_response( &c, &r ), "no response\n" );
    ok( r.status == 200 && r.complete, "status %d\n", r.status );
    check_header( &r, "Connection", "close" );
    ok( client_wait_closed( &c, NULL ), "connection not closed\n" );
    response_free( &r );
    client_close( &c );

    ok( client_connect( &c, port ), "connect failed\n" );
    for (i = 0; i < 2; i++)
    {
        ok( client_send( &c, "GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" ), "send failed\n" );
        response_init( &r );
        ok( read_response( &c, &r ), "no response\n" );
        ok( r.status == 200 && r.complete && !r.closed, "status %d\n", r.status );
        check_header( &r, "Connection", "keep-alive" );
        response_free( &r );
    }
    client_close( &c );
}

/* GET with a Range header on an open connection. */
static void range_request( struct client *c, const char *path, const char *headers, struct response *r,
                           unsigned int seed )
{
    response_init( r );
    r->verify = TRUE;
    r->seed = seed;
    ok( client_send( c, "GET %s HTTP/1.1\r\nHost: x\r\n%s\r\n", path, headers ), "send failed\n" );
    ok( read_response( c, r ), "no response\n" );
}

static void check_range_( int line, struct response *r, ULONGLONG start, ULONGLONG end, ULONGLONG size )
{
    char expect[128], value[128];

    fmt_str( expect, "bytes %I64u-%I64u/%I64u", start, end, size );
    ok_( __FILE__, line )( r->status == 206, "status %d\n", r->status );
    ok_( __FILE__, line )( response_header( r, "Content-Range", value, sizeof(value) ) && !strcmp( value, expect ),
                           "Content-Range %s, expected %s\n", value, expect );
    ok_( __FILE__, line )( r->complete && r->body_total == end - start + 1, "got %I64u bytes, complete %d\n",
                           r->body_total, r->complete );
    ok_( __FILE__, line )( httpd_pattern_check( 7, start, r->body, r->body_size ) == -1, "wrong bytes\n" );
}
#define check_range(r, start, end, size) check_range_( __LINE__, r, start, end, size )

static void test_ranges( struct httpd *httpd )
{
    static const ULONGLONG size = 1 << 20, big = 5ull << 30;
    unsigned short port = httpd_port( httpd );
    struct httpd_resource_options opts;
    struct response r;
    struct client c;
    char value[256], *p, *end, boundary[128];
    ULONGLONG start, stop, total;
    int parts;

    ok( httpd_add_pattern_resource( httpd, "/p1m", size, 7, NULL ), "add failed\n" );
    ok( client_connect( &c, port ), "connect failed\n" );

    range_request( &c, "/p1m", "Range: bytes=100-199\r\n", &r, 7 );
    check_range( &r, 100, 199, size );
    ok( r.content_length == 100, "Content-Length %I64d\n", r.content_length );
    check_header( &r, "Content-Type", "application/octet-stream" );
    response_free( &r );

    range_request( &c, "/p1m", "Range: bytes=-500\r\n", &r, 7 );
    check_range( &r, size - 500, size - 1, size );
    response_free( &r );

    range_request( &c, "/p1m", "Range: bytes=1000000-\r\n", &r, 7 );
    check_range( &r, 1000000, size - 1, size );
    response_free( &r );

    range_request( &c, "/p1m", "Range: bytes=1048000-9999999\r\n", &r, 7 );
    check_range( &r, 1048000, size - 1, size );
    response_free( &r );

    range_request( &c, "/p1m", "Range: bytes=-2000000\r\n", &r, 7 );
    check_range( &r, 0, size - 1, size );
    response_free( &r );

    range_request( &c, "/p1m", "Range: bytes=0-0\r\n", &r, 7 );
    check_range( &r, 0, 0, size );
    response_free( &r );

    range_request( &c, "/p1m", "Range: bytes = 5-9 \r\n", &r, 7 );
    check_range( &r, 5, 9, size );
    response_free( &r );

    /* one satisfiable range of two: a plain 206 */
    range_request( &c, "/p1m", "Range: bytes=0-9,2000000-\r\n", &r, 7 );
    check_range( &r, 0, 9, size );
    response_free( &r );

    /* several ranges: multipart/byteranges */
    range_request( &c, "/p1m", "Range: bytes=0-9, 100-199,-10\r\n", &r, 7 );
    ok( r.status == 206, "status %d\n", r.status );
    ok( r.complete && r.content_length == (LONGLONG)r.body_size, "Content-Length %I64d, got %Iu\n", r.content_length, r.body_size );
    ok( response_header( &r, "Content-Type", value, sizeof(value) ), "no Content-Type\n" );
    ok( !strncmp( value, "multipart/byteranges; boundary=", 31 ), "Content-Type %s\n", value );
    check_header( &r, "Content-Range", NULL );
    sprintf( boundary, "--%s", value + 31 );
    parts = 0;
    for (p = (char *)r.body; r.body && (p = strstr( p, boundary )); )
    {
        p += strlen( boundary );
        if (!strncmp( p, "--", 2 )) break;
        end = strstr( p, "\r\n\r\n" );
        ok( end != NULL, "part %d has no header end\n", parts );
        if (!end) break;
        *end = 0;
        ok( strstr( p, "Content-Type: application/octet-stream\r\n" ) != NULL, "part %d headers %s\n", parts, p );
        p = strstr( p, "Content-Range: bytes " );
        ok( p != NULL, "part %d: no Content-Range\n", parts );
        if (!p) break;
        p += strlen( "Content-Range: bytes " );
        start = _strtoui64( p, &p, 10 );
        stop = *p == '-' ? _strtoui64( p + 1, &p, 10 ) : 0;
        total = *p == '/' ? _strtoui64( p + 1, &p, 10 ) : 0;
        ok( !*p || !strncmp( p, "\r\n", 2 ), "part %d: bad Content-Range\n", parts );
        switch (parts)
        {
        case 0: ok( start == 0 && stop == 9, "part 0: %I64u-%I64u\n", start, stop ); break;
        case 1: ok( start == 100 && stop == 199, "part 1: %I64u-%I64u\n", start, stop ); break;
        case 2: ok( start == size - 10 && stop == size - 1, "part 2: %I64u-%I64u\n", start, stop ); break;
        }
        ok( total == size, "part %d: total %I64u\n", parts, total );
        p = end + 4;
        ok( httpd_pattern_check( 7, start, p, (size_t)(stop - start + 1) ) == -1, "part %d: wrong bytes\n", parts );
        p += stop - start + 1;
        ok( !strncmp( p, "\r\n", 2 ), "part %d: no CRLF after the data\n", parts );
        parts++;
    }
    ok( parts == 3, "got %d parts\n", parts );
    ok( p && !strcmp( p, "--\r\n" ), "bad end of the multipart body\n" );
    response_free( &r );

    /* nothing satisfiable */
    range_request( &c, "/p1m", "Range: bytes=2000000-\r\n", &r, 7 );
    ok( r.status == 416, "status %d\n", r.status );
    check_header( &r, "Content-Range", "bytes */1048576" );
    ok( r.complete && !r.closed, "complete %d closed %d\n", r.complete, r.closed );
    response_free( &r );

    range_request( &c, "/p1m", "Range: bytes=-0\r\n", &r, 7 );
    ok( r.status == 416, "status %d\n", r.status );
    response_free( &r );

    /* malformed Range headers are ignored */
    range_request( &c, "/p1m", "Range: bytes=abc\r\n", &r, 7 );
    ok( r.status == 200 && r.complete && r.body_total == size && r.mismatch == -1, "status %d size %I64u\n",
        r.status, r.body_total );
    response_free( &r );
    range_request( &c, "/p1m", "Range: bytes=9-5\r\n", &r, 7 );
    ok( r.status == 200 && r.body_total == size, "status %d\n", r.status );
    response_free( &r );
    range_request( &c, "/p1m", "Range: items=0-5\r\n", &r, 7 );
    ok( r.status == 200 && r.body_total == size, "status %d\n", r.status );
    response_free( &r );

    /* a server without range support */
    memset( &opts, 0, sizeof(opts) );
    opts.no_ranges = TRUE;
    ok( httpd_add_pattern_resource( httpd, "/noranges", 5000, 7, &opts ), "add failed\n" );
    range_request( &c, "/noranges", "Range: bytes=100-199\r\n", &r, 7 );
    ok( r.status == 200 && r.complete && r.body_total == 5000 && r.mismatch == -1, "status %d size %I64u\n",
        r.status, r.body_total );
    check_header( &r, "Accept-Ranges", NULL );
    check_header( &r, "Content-Range", NULL );
    response_free( &r );

    /* a server that sends other bytes than asked for */
    memset( &opts, 0, sizeof(opts) );
    opts.wrong_content_range = TRUE;
    ok( httpd_add_pattern_resource( httpd, "/wrongrange", 5000, 7, &opts ), "add failed\n" );
    range_request( &c, "/wrongrange", "Range: bytes=100-199\r\n", &r, 7 );
    check_range( &r, 101, 200, 5000 );
    response_free( &r );
    range_request( &c, "/wrongrange", "Range: bytes=4900-\r\n", &r, 7 );
    check_range( &r, 4899, 4998, 5000 );
    response_free( &r );

    /* offsets above 4 GiB */
    ok( httpd_add_pattern_resource( httpd, "/p5g", big, 7, NULL ), "add failed\n" );
    ok( client_send( &c, "HEAD /p5g HTTP/1.1\r\nHost: x\r\n\r\n" ), "send failed\n" );
    response_init( &r );
    r.head = TRUE;
    ok( read_response( &c, &r ), "no response\n" );
    ok( r.status == 200 && r.content_length == big, "status %d Content-Length %I64d\n", r.status, r.content_length );
    response_free( &r );
    range_request( &c, "/p5g", "Range: bytes=5368709000-5368709119\r\n", &r, 7 );
    check_range( &r, 5368709000ull, 5368709119ull, big );
    response_free( &r );
    range_request( &c, "/p5g", "Range: bytes=4294967000-4294968000\r\n", &r, 7 );
    check_range( &r, 4294967000ull, 4294968000ull, big );
    response_free( &r );

    client_close( &c );
}

static void test_conditional( struct httpd *httpd )
{
    static const char lm[] = "Tue, 02 Jan 2024 10:00:00 GMT";
    unsigned short port = httpd_port( httpd );
    struct httpd_resource_options opts;
    struct response r;
    struct client c;

    memset( &opts, 0, sizeof(opts) );
    opts.etag = "\"v1\"";
    opts.last_modified = lm;
    ok( httpd_add_pattern_resource( httpd, "/c", 10000, 7, &opts ), "add failed\n" );
    ok( client_connect( &c, port ), "connect failed\n" );

    range_request( &c, "/c", "Range: bytes=0-99\r\nIf-Range: \"v1\"\r\n", &r, 7 );
    check_range( &r, 0, 99, 10000 );
    check_header( &r, "ETag", "\"v1\"" );
    check_header( &r, "Last-Modified", lm );
    response_free( &r );
    range_request( &c, "/c", "Range: bytes=0-99\r\nIf-Range: \"v0\"\r\n", &r, 7 );
    ok( r.status == 200 && r.body_total == 10000 && r.mismatch == -1, "status %d size %I64u\n", r.status, r.body_total );
    response_free( &r );
    range_request( &c, "/c", "Range: bytes=0-99\r\nIf-Range: W/\"v1\"\r\n", &r, 7 );
    ok( r.status == 200 && r.body_total == 10000, "status %d\n", r.status );
    response_free( &r );
    range_request( &c, "/c", "Range: bytes=0-99\r\nIf-Range: Tue, 02 Jan 2024 10:00:00 GMT\r\n", &r, 7 );
    check_range( &r, 0, 99, 10000 );
    response_free( &r );
    range_request( &c, "/c", "Range: bytes=0-99\r\nIf-Range: Tue, 02 Jan 2024 10:00:01 GMT\r\n", &r, 7 );
    ok( r.status == 200 && r.body_total == 10000, "status %d\n", r.status );
    response_free( &r );

    range_request( &c, "/c", "If-Match: \"v1\"\r\n", &r, 7 );
    ok( r.status == 200 && r.body_total == 10000, "status %d\n", r.status );
    response_free( &r );
    range_request( &c, "/c", "If-Match: \"v0\", \"v1\"\r\n", &r, 7 );
    ok( r.status == 200, "status %d\n", r.status );
    response_free( &r );
    range_request( &c, "/c", "If-Match: *\r\n", &r, 7 );
    ok( r.status == 200, "status %d\n", r.status );
    response_free( &r );
    range_request( &c, "/c", "If-Match: \"v0\"\r\nRange: bytes=0-9\r\n", &r, 7 );
    ok( r.status == 412 && r.complete && !r.closed, "status %d\n", r.status );
    response_free( &r );

    range_request( &c, "/c", "If-Unmodified-Since: Tue, 02 Jan 2024 10:00:00 GMT\r\nRange: bytes=10-19\r\n", &r, 7 );
    check_range( &r, 10, 19, 10000 );
    response_free( &r );
    range_request( &c, "/c", "If-Unmodified-Since: Wed, 03 Jan 2024 00:00:00 GMT\r\nRange: bytes=10-19\r\n", &r, 7 );
    check_range( &r, 10, 19, 10000 );
    response_free( &r );
    range_request( &c, "/c", "If-Unmodified-Since: Mon, 01 Jan 2024 00:00:00 GMT\r\nRange: bytes=10-19\r\n", &r, 7 );
    ok( r.status == 412, "status %d\n", r.status );
    response_free( &r );

    range_request( &c, "/c", "If-None-Match: \"v1\"\r\n", &r, 7 );
    ok( r.status == 304 && !r.body_total && r.content_length == -1, "status %d\n", r.status );
    check_header( &r, "ETag", "\"v1\"" );
    response_free( &r );
    range_request( &c, "/c", "If-None-Match: W/\"v1\"\r\n", &r, 7 );
    ok( r.status == 304, "status %d\n", r.status );
    response_free( &r );
    range_request( &c, "/c", "If-Modified-Since: Tue, 02 Jan 2024 10:00:00 GMT\r\n", &r, 7 );
    ok( r.status == 304, "status %d\n", r.status );
    response_free( &r );
    range_request( &c, "/c", "If-Modified-Since: Mon, 01 Jan 2024 00:00:00 GMT\r\n", &r, 7 );
    ok( r.status == 200 && r.body_total == 10000, "status %d\n", r.status );
    response_free( &r );

    /* answer 200 instead of 412 */
    opts.precondition = HTTPD_PRECONDITION_FULL_BODY;
    ok( httpd_set_resource_options( httpd, "/c", &opts ), "set options failed\n" );
    range_request( &c, "/c", "If-Unmodified-Since: Mon, 01 Jan 2024 00:00:00 GMT\r\nRange: bytes=10-19\r\n", &r, 7 );
    ok( r.status == 200 && r.body_total == 10000 && r.mismatch == -1, "status %d\n", r.status );
    response_free( &r );
    opts.precondition = HTTPD_PRECONDITION_IGNORE;
    ok( httpd_set_resource_options( httpd, "/c", &opts ), "set options failed\n" );
    range_request( &c, "/c", "If-Range: \"v0\"\r\nIf-Match: \"v0\"\r\nRange: bytes=10-19\r\n", &r, 7 );
    check_range( &r, 10, 19, 10000 );
    response_free( &r );
    opts.precondition = HTTPD_PRECONDITION_STRICT;
    ok( httpd_set_resource_options( httpd, "/c", &opts ), "set options failed\n" );

    /* the file changes on the server */
    ok( httpd_set_resource_validators( httpd, "/c", "\"v2\"", "Wed, 03 Jan 2024 10:00:00 GMT" ), "set failed\n" );
    range_request( &c, "/c", "Range: bytes=0-99\r\nIf-Range: \"v1\"\r\n", &r, 7 );
    ok( r.status == 200 && r.body_total == 10000, "status %d\n", r.status );
    check_header( &r, "ETag", "\"v2\"" );
    check_header( &r, "Last-Modified", "Wed, 03 Jan 2024 10:00:00 GMT" );
    response_free( &r );
    range_request( &c, "/c", "Range: bytes=0-99\r\nIf-Range: \"v2\"\r\n", &r, 7 );
    check_range( &r, 0, 99, 10000 );
    response_free( &r );
    ok( httpd_set_resource_validators( httpd, "/c", NULL, NULL ), "set failed\n" );
    range_request( &c, "/c", "", &r, 7 );
    check_header( &r, "ETag", NULL );
    check_header( &r, "Last-Modified", NULL );
    response_free( &r );
    ok( !httpd_set_resource_validators( httpd, "/nothing", NULL, NULL ), "set succeeded\n" );

    ok( httpd_add_resource( httpd, "/c2", "first", 5, NULL ), "add failed\n" );
    range_request( &c, "/c2", "", &r, 0 );
    ok( r.status == 200 && r.body_size == 5 && !memcmp( r.body, "first", 5 ), "wrong body\n" );
    response_free( &r );
    ok( httpd_add_resource( httpd, "/c2", "second!", 7, NULL ), "add failed\n" );
    range_request( &c, "/c2", "", &r, 0 );
    ok( r.status == 200 && r.body_size == 7 && !memcmp( r.body, "second!", 7 ), "wrong body\n" );
    response_free( &r );
    ok( httpd_remove_resource( httpd, "/c2" ), "remove failed\n" );
    ok( !httpd_remove_resource( httpd, "/c2" ), "second remove succeeded\n" );
    range_request( &c, "/c2", "", &r, 0 );
    ok( r.status == 404, "status %d\n", r.status );
    response_free( &r );

    client_close( &c );
}

static void test_status( struct httpd *httpd )
{
    unsigned short port = httpd_port( httpd );
    struct httpd_resource_options opts;
    struct response r;
    struct client c;
    char url[128];

    memset( &opts, 0, sizeof(opts) );
    opts.status = 503;
    opts.headers = "Retry-After: 1\r\n";
    opts.content_type = "text/plain";
    ok( httpd_add_resource( httpd, "/s503", "busy\n", 5, &opts ), "add failed\n" );
    opts.status = 500;
    opts.headers = NULL;
    ok( httpd_add_resource( httpd, "/s500", NULL, 0, &opts ), "add failed\n" );
    opts.status = 204;
    ok( httpd_add_resource( httpd, "/s204", NULL, 0, &opts ), "add failed\n" );
    opts.status = 404;
    ok( httpd_add_resource( httpd, "/s404", "custom", 6, &opts ), "add failed\n" );
    opts.status = 200;
    opts.headers = "X-Custom: one\r\nX-Other: two\r\n";
    ok( httpd_add_resource( httpd, "/s200", "ok", 2, &opts ), "add failed\n" );
    ok( httpd_add_redirect( httpd, "/r302", 302, "/hello" ), "add failed\n" );
    ok( httpd_add_redirect( httpd, "/r301", 301, httpd_url_a( httpd, "/hello", url, sizeof(url) ) ), "add failed\n" );
    ok( httpd_add_redirect( httpd, "/r307", 307, "/r302" ), "add failed\n" );

    ok( client_connect( &c, port ), "connect failed\n" );
    range_request( &c, "/s503", "Range: bytes=0-1\r\n", &r, 0 );
    ok( r.status == 503 && r.complete && !r.closed, "status %d\n", r.status );
    ok( r.body_size == 5 && !memcmp( r.body, "busy\n", 5 ), "wrong body\n" );
    check_header( &r, "Retry-After", "1" );
    check_header( &r, "Content-Range", NULL );
    check_header( &r, "Accept-Ranges", NULL );
    response_free( &r );
    range_request( &c, "/s500", "", &r, 0 );
    ok( r.status == 500 && r.content_length == 0 && !r.body_total, "status %d\n", r.status );
    response_free( &r );
    range_request( &c, "/s204", "", &r, 0 );
    ok( r.status == 204 && r.content_length == -1, "status %d Content-Length %I64d\n", r.status, r.content_length );
    response_free( &r );
    range_request( &c, "/s404", "", &r, 0 );
    ok( r.status == 404 && r.body_size == 6 && !memcmp( r.body, "custom", 6 ), "status %d\n", r.status );
    response_free( &r );
    range_request( &c, "/s200", "", &r, 0 );
    ok( r.status == 200 && r.body_size == 2, "status %d\n", r.status );
    check_header( &r, "X-Custom", "one" );
    check_header( &r, "X-Other", "two" );
    response_free( &r );
    range_request( &c, "/r302", "", &r, 0 );
    ok( r.status == 302, "status %d\n", r.status );
    check_header( &r, "Location", "/hello" );
    response_free( &r );
    range_request( &c, "/r301", "", &r, 0 );
    ok( r.status == 301, "status %d\n", r.status );
    check_header( &r, "Location", url );
    response_free( &r );
    range_request( &c, "/r307", "", &r, 0 );
    ok( r.status == 307, "status %d\n", r.status );
    check_header( &r, "Location", "/r302" );
    response_free( &r );
    client_close( &c );
}

static void test_drop( struct httpd *httpd )
{
    unsigned short port = httpd_port( httpd );
    struct httpd_resource_options opts;
    struct httpd_log_entry entry;
    struct response r;
    int i, index;

    memset( &opts, 0, sizeof(opts) );
    opts.drop_count = 1;
    opts.drop_after = 1000;
    ok( httpd_add_pattern_resource( httpd, "/d1", 1 << 20, 7, &opts ), "add failed\n" );
    httpd_log_clear( httpd );
    response_init( &r );
    r.verify = TRUE;
    r.seed = 7;
    ok( do_request( port, "GET", "/d1", NULL, &r ), "request failed\n" );
    ok( r.status == 200 && r.content_length == 1 << 20, "status %d\n", r.status );
    ok( !r.complete && r.closed, "complete %d closed %d\n", r.complete, r.closed );
    ok( r.body_total == 1000 && r.mismatch == -1, "got %I64u bytes\n", r.body_total );
    response_free( &r );
    ok( httpd_log_wait( httpd, 1, 5000 ), "log not complete\n" );
    ok( httpd_log_get( httpd, 0, &entry ), "no log entry\n" );
    ok( entry.dropped && entry.body_bytes == 1000 && entry.status == 200, "dropped %d bytes %I64u status %d\n",
        entry.dropped, entry.body_bytes, entry.status );

    /* only once */
    response_init( &r );
    r.verify = TRUE;
    r.seed = 7;
    r.no_store = TRUE;
    ok( do_request( port, "GET", "/d1", NULL, &r ), "request failed\n" );
    ok( r.status == 200 && r.complete && r.body_total == 1 << 20 && r.mismatch == -1, "status %d size %I64u\n",
        r.status, r.body_total );
    response_free( &r );

    /* every time, also in a range and in a chunked body */
    opts.drop_count = -1;
    opts.drop_after = 5000;
    ok( httpd_add_pattern_resource( httpd, "/dall", 1 << 20, 7, &opts ), "add failed\n" );
    for (i = 0; i < 2; i++)
    {
        response_init( &r );
        r.verify = TRUE;
        r.seed = 7;
        ok( do_request( port, "GET", "/dall", NULL, &r ), "request failed\n" );
        ok( !r.complete && r.closed && r.body_total == 5000 && r.mismatch == -1, "try %d: complete %d size %I64u\n",
            i, r.complete, r.body_total );
        response_free( &r );
    }
    response_init( &r );
    r.verify = TRUE;
    r.seed = 7;
    r.offset = 500000;
    ok( do_request( port, "GET", "/dall", "Range: bytes=500000-599999\r\n", &r ), "request failed\n" );
    ok( r.status == 206 && r.content_length == 100000, "status %d\n", r.status );
    ok( !r.complete && r.body_total == 5000 && r.mismatch == -1, "complete %d size %I64u\n", r.complete, r.body_total );
    response_free( &r );
    response_init( &r );
    r.verify = TRUE;
    r.seed = 7;
    ok( do_request( port, "GET", "/dall", "Range: bytes=0-99\r\n", &r ), "request failed\n" );
    ok( r.status == 206 && r.complete && r.body_total == 100, "short range: complete %d size %I64u\n",
        r.complete, r.body_total );
    response_free( &r );

    opts.length_mode = HTTPD_LENGTH_CHUNKED;
    opts.drop_after = 300000;
    ok( httpd_add_pattern_resource( httpd, "/dchunked", 1 << 20, 7, &opts ), "add failed\n" );
    response_init( &r );
    r.verify = TRUE;
    r.seed = 7;
    ok( do_request( port, "GET", "/dchunked", NULL, &r ), "request failed\n" );
    ok( r.chunked && !r.complete && r.closed && r.body_total == 300000 && r.mismatch == -1,
        "chunked %d complete %d size %I64u\n", r.chunked, r.complete, r.body_total );
    response_free( &r );

    /* with a reset */
    memset( &opts, 0, sizeof(opts) );
    opts.drop_count = -1;
    opts.drop_after = 2000;
    opts.drop_reset = TRUE;
    ok( httpd_add_pattern_resource( httpd, "/dreset", 1 << 20, 7, &opts ), "add failed\n" );
    response_init( &r );
    r.verify = TRUE;
    r.seed = 7;
    ok( do_request( port, "GET", "/dreset", NULL, &r ), "request failed\n" );
    ok( !r.complete && r.closed && r.body_total <= 2000 && r.mismatch == -1, "complete %d size %I64u\n",
        r.complete, r.body_total );
    response_free( &r );

    /* a body shorter than drop_after is sent whole */
    memset( &opts, 0, sizeof(opts) );
    opts.drop_count = -1;
    opts.drop_after = 1000;
    ok( httpd_add_pattern_resource( httpd, "/dshort", 1000, 7, &opts ), "add failed\n" );
    httpd_log_clear( httpd );
    response_init( &r );
    ok( do_request( port, "GET", "/dshort", NULL, &r ), "request failed\n" );
    ok( r.complete && r.body_total == 1000, "complete %d size %I64u\n", r.complete, r.body_total );
    response_free( &r );
    ok( httpd_log_wait( httpd, 1, 5000 ), "log not complete\n" );
    index = httpd_log_find( httpd, "GET", "/dshort", 0, &entry );
    ok( index == 0 && !entry.dropped && entry.body_bytes == 1000, "index %d dropped %d\n", index, entry.dropped );
}

static void test_slow( struct httpd *httpd )
{
    unsigned short port = httpd_port( httpd );
    struct httpd_resource_options opts;
    struct response r;
    DWORD start, elapsed;

    memset( &opts, 0, sizeof(opts) );
    opts.slow_chunk = 1024;
    opts.slow_delay_ms = 100;
    ok( httpd_add_pattern_resource( httpd, "/slow", 4096, 7, &opts ), "add failed\n" );
    response_init( &r );
    r.verify = TRUE;
    r.seed = 7;
    start = GetTickCount();
    ok( do_request( port, "GET", "/slow", NULL, &r ), "request failed\n" );
    elapsed = GetTickCount() - start;
    ok( r.status == 200 && r.complete && r.body_total == 4096 && r.mismatch == -1, "status %d size %I64u\n",
        r.status, r.body_total );
    ok( elapsed >= 280 && elapsed < 5000, "took %lu ms\n", elapsed );
    response_free( &r );

    memset( &opts, 0, sizeof(opts) );
    opts.header_delay_ms = 200;
    ok( httpd_add_resource( httpd, "/late", hello, sizeof(hello) - 1, &opts ), "add failed\n" );
    response_init( &r );
    start = GetTickCount();
    ok( do_request( port, "GET", "/late", NULL, &r ), "request failed\n" );
    elapsed = GetTickCount() - start;
    ok( r.status == 200 && r.complete, "status %d\n", r.status );
    ok( elapsed >= 180 && elapsed < 5000, "took %lu ms\n", elapsed );
    response_free( &r );
}

static void test_length_modes( struct httpd *httpd )
{
    unsigned short port = httpd_port( httpd );
    struct httpd_resource_options opts;
    struct response r;
    struct client c;
    ULONGLONG extra;

    memset( &opts, 0, sizeof(opts) );
    opts.length_mode = HTTPD_LENGTH_CLOSE;
    ok( httpd_add_pattern_resource( httpd, "/nolength", 100000, 7, &opts ), "add failed\n" );
    opts.length_mode = HTTPD_LENGTH_CHUNKED;
    ok( httpd_add_pattern_resource( httpd, "/chunked", 600000, 7, &opts ), "add failed\n" );
    opts.length_mode = HTTPD_LENGTH_FAKE;
    opts.fake_length = 2000;
    ok( httpd_add_pattern_resource( httpd, "/liebig", 1000, 7, &opts ), "add failed\n" );
    opts.fake_length = 500;
    ok( httpd_add_pattern_resource( httpd, "/liesmall", 1000, 7, &opts ), "add failed\n" );

    /* no Content-Length: the body ends with the connection */
    ok( client_connect( &c, port ), "connect failed\n" );
    ok( client_send( &c, "HEAD /nolength HTTP/1.1\r\nHost: x\r\n\r\n" ), "send failed\n" );
    response_init( &r );
    r.head = TRUE;
    ok( read_response( &c, &r ), "no response\n" );
    ok( r.status == 200 && r.content_length == -1 && !r.chunked, "status %d\n", r.status );
    response_free( &r );
    range_request( &c, "/nolength", "", &r, 7 );
    ok( r.status == 200 && r.content_length == -1 && !r.chunked, "status %d Content-Length %I64d\n",
        r.status, r.content_length );
    ok( r.complete && r.closed && r.body_total == 100000 && r.mismatch == -1, "complete %d size %I64u\n",
        r.complete, r.body_total );
    check_header( &r, "Connection", "close" );
    response_free( &r );
    client_close( &c );

    /* chunked, over a kept-alive connection */
    ok( client_connect( &c, port ), "connect failed\n" );
    range_request( &c, "/chunked", "", &r, 7 );
    ok( r.status == 200 && r.chunked && r.content_length == -1, "status %d chunked %d\n", r.status, r.chunked );
    ok( r.complete && !r.closed && r.body_total == 600000 && r.mismatch == -1, "complete %d size %I64u\n",
        r.complete, r.body_total );
    response_free( &r );
    range_request( &c, "/chunked", "Range: bytes=1000-1999\r\n", &r, 7 );
    check_range( &r, 1000, 1999, 600000 );
    ok( r.chunked, "range not chunked\n" );
    response_free( &r );
    range_request( &c, "/hello", "", &r, 0 );
    ok( r.status == 200 && r.body_size == sizeof(hello) - 1, "status %d\n", r.status );
    response_free( &r );
    client_close( &c );

    /* HTTP/1.0 clients get a close-delimited body instead */
    ok( client_connect( &c, port ), "connect failed\n" );
    ok( client_send( &c, "GET /chunked HTTP/1.0\r\n\r\n" ), "send failed\n" );
    response_init( &r );
    r.verify = TRUE;
    r.seed = 7;
    ok( read_response( &c, &r ), "no response\n" );
    ok( r.status == 200 && !r.chunked && r.complete && r.closed && r.body_total == 600000 && r.mismatch == -1,
        "status %d chunked %d size %I64u\n", r.status, r.chunked, r.body_total );
    response_free( &r );
    client_close( &c );

    /* Content-Length larger than the body */
    ok( client_connect( &c, port ), "connect failed\n" );
    range_request( &c, "/liebig", "", &r, 7 );
    ok( r.status == 200 && r.content_length == 2000, "status %d Content-Length %I64d\n", r.status, r.content_length );
    ok( !r.complete && r.closed && r.body_total == 1000 && r.mismatch == -1, "complete %d size %I64u\n",
        r.complete, r.body_total );
    response_free( &r );
    client_close( &c );

    /* Content-Length smaller than the body */
    ok( client_connect( &c, port ), "connect failed\n" );
    range_request( &c, "/liesmall", "", &r, 7 );
    ok( r.status == 200 && r.content_length == 500, "status %d Content-Length %I64d\n", r.status, r.content_length );
    ok( r.complete && r.body_total == 500 && r.mismatch == -1, "complete %d size %I64u\n", r.complete, r.body_total );
    ok( client_wait_closed( &c, &extra ), "connection not closed\n" );
    ok( extra == 500, "%I64u extra bytes\n", extra );
    response_free( &r );
    client_close( &c );
}

static LONG pass_handler_calls;

static BOOL upload_handler( struct httpd_request *req, void *context )
{
    char buf[1000], text[64], type[64];
    int ret, total = 0;

    ok( context == (void *)0xdeadbeef, "context %p\n", context );
    ok( !strcmp( httpd_request_method( req ), "BITS_POST" ), "method %s\n", httpd_request_method( req ) );
    if (!httpd_request_header( req, "BITS-Packet-Type", type, sizeof(type) )) strcpy( type, "none" );
    while ((ret = httpd_request_read_body( req, buf, sizeof(buf) )) > 0) total += ret;
    ok( ret == 0, "read_body returned %d\n", ret );
    fmt_str( text, "got %d %s %I64d", total, type, httpd_request_content_length( req ) );
    return httpd_respond( req, 200, "BITS-Packet-Type: Ack\r\n", text, strlen( text ) );
}

static BOOL pass_handler( struct httpd_request *req, void *context )
{
    InterlockedIncrement( &pass_handler_calls );
    ok( !strcmp( httpd_request_path( req ), "/hello" ), "path %s\n", httpd_request_path( req ) );
    return FALSE;
}

static void test_errors_and_handlers( struct httpd *httpd )
{
    unsigned short port = httpd_port( httpd );
    struct httpd_resource_options opts;
    struct httpd_log_entry entry;
    struct response r;
    struct client c;

    httpd_log_clear( httpd );
    response_init( &r );
    ok( do_request( port, "GET", "/does/not/exist", NULL, &r ), "request failed\n" );
    ok( r.status == 404 && r.complete, "status %d\n", r.status );
    response_free( &r );

    ok( client_connect( &c, port ), "connect failed\n" );
    ok( client_send( &c, "FOO /hello HTTP/1.1\r\nHost: x\r\n\r\n" ), "send failed\n" );
    response_init( &r );
    ok( read_response( &c, &r ), "no response\n" );
    ok( r.status == 501 && r.complete && !r.closed, "status %d\n", r.status );
    response_free( &r );
    /* a body that nobody reads: the server closes the connection */
    ok( client_send( &c, "POST /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcde" ), "send failed\n" );
    response_init( &r );
    ok( read_response( &c, &r ), "no response\n" );
    ok( r.status == 501, "status %d\n", r.status );
    check_header( &r, "Connection", "close" );
    ok( client_wait_closed( &c, NULL ), "connection not closed\n" );
    response_free( &r );
    client_close( &c );

    ok( client_connect( &c, port ), "connect failed\n" );
    ok( client_send( &c, "NONSENSE\r\n\r\n" ), "send failed\n" );
    response_init( &r );
    ok( read_response( &c, &r ), "no response\n" );
    ok( r.status == 400, "status %d\n", r.status );
    ok( client_wait_closed( &c, NULL ), "connection not closed\n" );
    response_free( &r );
    client_close( &c );

    ok( httpd_log_wait( httpd, 3, 5000 ), "log not complete\n" );
    ok( httpd_log_find( httpd, "GET", "/does/not/exist", 0, &entry ) >= 0 && entry.status == 404, "no 404 entry\n" );
    ok( httpd_log_find( httpd, "FOO", NULL, 0, &entry ) >= 0 && entry.status == 501, "no FOO entry\n" );
    ok( httpd_log_find( httpd, "POST", "/hello", 0, &entry ) >= 0 && entry.status == 501, "no POST entry\n" );

    /* handlers */
    ok( httpd_add_handler( httpd, "BITS_POST", "/upload", upload_handler, (void *)0xdeadbeef ), "add failed\n" );
    ok( httpd_add_handler( httpd, NULL, "/hello", pass_handler, NULL ), "add failed\n" );
    ok( client_connect( &c, port ), "connect failed\n" );
    ok( client_send( &c, "BITS_POST /upload/file HTTP/1.1\r\nHost: x\r\nBITS-Packet-Type: Fragment\r\n"
                         "Content-Length: 10\r\n\r\n0123456789" ), "send failed\n" );
    response_init( &r );
    ok( read_response( &c, &r ), "no response\n" );
    ok( r.status == 200 && r.complete && !r.closed, "status %d\n", r.status );
    ok( r.body && !strcmp( (char *)r.body, "got 10 Fragment 10" ), "body %s\n", r.body );
    check_header( &r, "BITS-Packet-Type", "Ack" );
    response_free( &r );
    /* a chunked request body */
    ok( client_send( &c, "BITS_POST /upload/file HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                         "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\n" ), "send failed\n" );
    response_init( &r );
    ok( read_response( &c, &r ), "no response\n" );
    ok( r.status == 200 && r.body && !strcmp( (char *)r.body, "got 11 none -1" ), "status %d body %s\n", r.status, r.body );
    response_free( &r );
    /* Expect: 100-continue */
    ok( client_send( &c, "BITS_POST /upload/x HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n" ),
        "send failed\n" );
    response_init( &r );
    r.interim = TRUE;
    ok( read_response( &c, &r ), "no response\n" );
    ok( r.status == 100, "status %d\n", r.status );
    response_free( &r );
    ok( client_send( &c, "abc" ), "send failed\n" );
    response_init( &r );
    ok( read_response( &c, &r ), "no response\n" );
    ok( r.status == 200 && r.body && !strcmp( (char *)r.body, "got 3 none 3" ), "status %d body %s\n", r.status, r.body );
    response_free( &r );
    /* BITS_POST elsewhere: not handled */
    ok( client_send( &c, "BITS_POST /other HTTP/1.1\r\nHost: x\r\n\r\n" ), "send failed\n" );
    response_init( &r );
    ok( read_response( &c, &r ), "no response\n" );
    ok( r.status == 501 && !r.closed, "status %d\n", r.status );
    response_free( &r );
    /* a handler that passes the request on */
    ok( client_send( &c, "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n" ), "send failed\n" );
    response_init( &r );
    ok( read_response( &c, &r ), "no response\n" );
    ok( r.status == 200 && r.body_size == sizeof(hello) - 1, "status %d\n", r.status );
    ok( pass_handler_calls == 1, "pass handler called %ld times\n", pass_handler_calls );
    response_free( &r );
    client_close( &c );

    /* Basic authentication */
    memset( &opts, 0, sizeof(opts) );
    opts.basic_auth = "user:pass";
    ok( httpd_add_resource( httpd, "/auth", "secret", 6, &opts ), "add failed\n" );
    ok( client_connect( &c, port ), "connect failed\n" );
    range_request( &c, "/auth", "", &r, 0 );
    ok( r.status == 401 && r.complete && !r.closed, "status %d\n", r.status );
    check_header( &r, "WWW-Authenticate", "Basic realm=\"qmgr-test\"" );
    response_free( &r );
    range_request( &c, "/auth", "Authorization: Basic dXNlcjpwYXNz\r\n", &r, 0 );
    ok( r.status == 200 && r.body_size == 6 && !memcmp( r.body, "secret", 6 ), "status %d\n", r.status );
    response_free( &r );
    range_request( &c, "/auth", "Authorization: Basic dXNlcjp3cm9uZw==\r\n", &r, 0 );
    ok( r.status == 401, "status %d\n", r.status );
    response_free( &r );
    client_close( &c );
}

static void test_log( struct httpd *httpd )
{
    unsigned short port = httpd_port( httpd );
    struct httpd_log_entry entry;
    struct response r;
    char value[256];

    httpd_log_clear( httpd );
    ok( httpd_log_count( httpd ) == 0, "count %u\n", httpd_log_count( httpd ) );
    ok( !httpd_log_get( httpd, 0, &entry ), "got an entry\n" );

    response_init( &r );
    ok( do_request( port, "GET", "/p1m?x=1", "Range: bytes=0-99\r\nUser-Agent: httpd-test/1.0\r\nX-Test:  yes \r\n", &r ),
        "request failed\n" );
    ok( r.status == 206, "status %d\n", r.status );
    response_free( &r );
    response_init( &r );
    ok( do_request( port, "HEAD", "/hello", NULL, &r ), "request failed\n" );
    response_free( &r );
    ok( httpd_log_wait( httpd, 2, 5000 ), "log not complete\n" );
    ok( httpd_log_count( httpd ) == 2, "count %u\n", httpd_log_count( httpd ) );

    ok( httpd_log_get( httpd, 0, &entry ), "no entry\n" );
    ok( !strcmp( entry.method, "GET" ), "method %s\n", entry.method );
    ok( !strcmp( entry.path, "/p1m?x=1" ), "path %s\n", entry.path );
    ok( !strcmp( entry.version, "HTTP/1.1" ), "version %s\n", entry.version );
    ok( entry.status == 206, "status %d\n", entry.status );
    ok( entry.body_bytes == 100, "body bytes %I64u\n", entry.body_bytes );
    ok( !entry.dropped && !entry.aborted && entry.complete, "dropped %d aborted %d complete %d\n",
        entry.dropped, entry.aborted, entry.complete );
    ok( httpd_log_header( &entry, "Range", value, sizeof(value) ) && !strcmp( value, "bytes=0-99" ), "Range %s\n", value );
    ok( httpd_log_header( &entry, "user-agent", value, sizeof(value) ) && !strcmp( value, "httpd-test/1.0" ),
        "User-Agent %s\n", value );
    ok( httpd_log_header( &entry, "X-Test", value, sizeof(value) ) && !strcmp( value, "yes" ), "X-Test %s\n", value );
    ok( httpd_log_header( &entry, "Host", NULL, 0 ), "no Host\n" );
    ok( !httpd_log_header( &entry, "Authorization", value, sizeof(value) ), "found Authorization\n" );
    ok( !httpd_log_header( &entry, "X-Tes", value, sizeof(value) ), "found a header prefix\n" );

    ok( httpd_log_find( httpd, "HEAD", NULL, 0, &entry ) == 1, "HEAD not found\n" );
    ok( !strcmp( entry.path, "/hello" ) && entry.status == 200 && !entry.body_bytes, "HEAD entry %s %d\n",
        entry.path, entry.status );
    ok( httpd_log_find( httpd, "GET", "/p1m?x=1", 0, NULL ) == 0, "GET not found\n" );
    ok( httpd_log_find( httpd, "GET", NULL, 1, NULL ) == -1, "found GET after 1\n" );
    ok( httpd_log_find( httpd, "PUT", NULL, 0, NULL ) == -1, "found PUT\n" );
    httpd_log_clear( httpd );
    ok( httpd_log_count( httpd ) == 0, "count %u\n", httpd_log_count( httpd ) );
}

struct concurrent_param
{
    unsigned short port;
    int id;
    LONG *failures;
};

static DWORD WINAPI concurrent_thread( void *arg )
{
    struct concurrent_param *param = arg;
    struct response r;
    struct client c;
    char headers[64];
    ULONGLONG start;
    int i;

    winetest_push_context( "client %d", param->id );
    if (!client_connect( &c, param->port ))
    {
        ok( 0, "connect failed\n" );
        InterlockedIncrement( param->failures );
    }
    else for (i = 0; i < 10; i++)
    {
        start = (param->id * 7919 + i * 104729) % 200000;
        if (i % 2) fmt_str( headers, "Range: bytes=%I64u-%I64u\r\n", start, start + 49999 );
        else headers[0] = 0;
        response_init( &r );
        r.verify = TRUE;
        r.seed = 11;
        r.no_store = TRUE;
        r.offset = (i % 2) ? start : 0;
        if (!client_send( &c, "GET /conc HTTP/1.1\r\nHost: x\r\n%s\r\n", headers ) || !read_response( &c, &r )
            || r.status != ((i % 2) ? 206 : 200) || !r.complete || r.mismatch != -1
            || r.body_total != ((i % 2) ? 50000 : 256 * 1024))
        {
            ok( 0, "request %d: status %d complete %d size %I64u mismatch %I64d\n", i, r.status, r.complete,
                r.body_total, r.mismatch );
            InterlockedIncrement( param->failures );
        }
        response_free( &r );
    }
    client_close( &c );
    winetest_pop_context();
    return 0;
}

static void test_concurrent( struct httpd *httpd )
{
    struct concurrent_param params[8];
    HANDLE threads[8];
    LONG failures = 0, connections;
    DWORD ret;
    int i;

    ok( httpd_add_pattern_resource( httpd, "/conc", 256 * 1024, 11, NULL ), "add failed\n" );
    httpd_log_clear( httpd );
    connections = httpd_connection_count( httpd );
    for (i = 0; i < 8; i++)
    {
        params[i].port = httpd_port( httpd );
        params[i].id = i;
        params[i].failures = &failures;
        threads[i] = CreateThread( NULL, 0, concurrent_thread, &params[i], 0, NULL );
        ok( threads[i] != NULL, "CreateThread failed\n" );
    }
    ret = WaitForMultipleObjects( 8, threads, TRUE, 60000 );
    ok( ret == WAIT_OBJECT_0, "clients did not finish: %lu\n", ret );
    for (i = 0; i < 8; i++) CloseHandle( threads[i] );
    ok( !failures, "%ld failed requests\n", failures );
    ok( httpd_log_wait( httpd, 80, 5000 ), "log not complete\n" );
    ok( httpd_log_count( httpd ) == 80, "%u log entries\n", httpd_log_count( httpd ) );
    ok( httpd_connection_count( httpd ) - connections == 8, "%ld connections\n", httpd_connection_count( httpd ) - connections );
}

/* More clients than connection slots: idle kept-alive connections are closed
 * to make room, and the number of server threads stays bounded. */
static void test_many_connections( struct httpd *httpd )
{
    static struct client clients[HTTPD_MAX_CONNECTIONS + 6];
    const int count = ARRAY_SIZE(clients);
    int threads_before, threads_peak, i, served = 0, closed = 0;
    struct response r;

    threads_before = count_threads();
    threads_peak = threads_before;
    for (i = 0; i < count; i++)
    {
        int threads;

        ok( client_connect( &clients[i], httpd_port( httpd ) ), "connect %d failed\n", i );
        ok( client_send( &clients[i], "GET /hello HTTP/1.1\r\nHost: x\r\n\r\n" ), "send %d failed\n", i );
        response_init( &r );
        if (read_response( &clients[i], &r ) && r.status == 200 && r.complete) served++;
        response_free( &r );
        threads = count_threads();
        if (threads > threads_peak) threads_peak = threads;
    }
    ok( served == count, "%d of %d clients served\n", served, count );
    ok( threads_peak <= threads_before + HTTPD_MAX_CONNECTIONS, "threads: %d before, %d at most\n",
        threads_before, threads_peak );
    for (i = 0; i < HTTPD_MAX_CONNECTIONS; i++)
    {
        struct timeval zero = { 0, 0 };
        fd_set fds;

        FD_ZERO( &fds );
        FD_SET( clients[i].s, &fds );
        if (select( 0, &fds, NULL, NULL, &zero ) == 1 && client_wait_closed( &clients[i], NULL )) closed++;
    }
    ok( closed >= count - HTTPD_MAX_CONNECTIONS, "%d idle connections closed\n", closed );
    for (i = 0; i < count; i++) client_close( &clients[i] );
}

/* Starts and stops servers with connections in every state. */
static void test_start_stop(void)
{
    struct httpd_resource_options opts;
    struct httpd *httpd, *other;
    struct client idle, busy, fresh, slow;
    struct response r;
    int threads_before, threads_after, i;
    DWORD handles_before = 0, handles_after = 0, start, elapsed;

    /* warm up Winsock and the thread pool before counting */
    httpd = httpd_start();
    ok( httpd != NULL, "start failed\n" );
    httpd_stop( httpd );
    Sleep( 50 );
    threads_before = count_threads();
    pGetProcessHandleCount = (void *)GetProcAddress( GetModuleHandleA( "kernel32.dll" ), "GetProcessHandleCount" );
    if (pGetProcessHandleCount) pGetProcessHandleCount( GetCurrentProcess(), &handles_before );

    for (i = 0; i < 10; i++)
    {
        winetest_push_context( "round %d", i );
        httpd = httpd_start();
        ok( httpd != NULL, "start failed\n" );
        if (!httpd)
        {
            winetest_pop_context();
            break;
        }
        ok( httpd_port( httpd ) != 0, "no port\n" );
        ok( httpd_add_pattern_resource( httpd, "/big", 64 << 20, 1, NULL ), "add failed\n" );
        memset( &opts, 0, sizeof(opts) );
        opts.slow_chunk = 100;
        opts.slow_delay_ms = 1000;
        ok( httpd_add_pattern_resource( httpd, "/slow", 10000, 1, &opts ), "add failed\n" );

        /* an idle kept-alive connection */
        ok( client_connect( &idle, httpd_port( httpd ) ), "connect failed\n" );
        ok( client_send( &idle, "GET /none HTTP/1.1\r\nHost: x\r\n\r\n" ), "send failed\n" );
        response_init( &r );
        ok( read_response( &idle, &r ) && r.status == 404, "status %d\n", r.status );
        response_free( &r );
        /* a client that does not read its 64 MiB */
        ok( client_connect( &busy, httpd_port( httpd ) ), "connect failed\n" );
        ok( client_send( &busy, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n" ), "send failed\n" );
        /* a connection without a request, and a slow body */
        ok( client_connect( &fresh, httpd_port( httpd ) ), "connect failed\n" );
        ok( client_connect( &slow, httpd_port( httpd ) ), "connect failed\n" );
        ok( client_send( &slow, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n" ), "send failed\n" );
        Sleep( 100 );

        start = GetTickCount();
        httpd_stop( httpd );
        elapsed = GetTickCount() - start;
        ok( elapsed < 3000, "stop took %lu ms\n", elapsed );
        ok( !httpd_leaked_threads, "%ld threads not joined\n", httpd_leaked_threads );

        /* the clients see their connections end */
        ok( client_wait_closed( &idle, NULL ), "idle connection not closed\n" );
        ok( client_wait_closed( &fresh, NULL ), "fresh connection not closed\n" );
        client_close( &idle );
        client_close( &busy );
        client_close( &fresh );
        client_close( &slow );
        winetest_pop_context();
    }

    /* two servers at once get different ports */
    httpd = httpd_start();
    other = httpd_start();
    ok( httpd && other && httpd_port( httpd ) != httpd_port( other ), "ports %u %u\n",
        httpd ? httpd_port( httpd ) : 0, other ? httpd_port( other ) : 0 );
    httpd_stop( other );
    httpd_stop( httpd );
    httpd_stop( NULL );

    Sleep( 100 );
    threads_after = count_threads();
    if (pGetProcessHandleCount) pGetProcessHandleCount( GetCurrentProcess(), &handles_after );
    ok( threads_before > 0 && threads_after <= threads_before, "threads: %d before, %d after\n",
        threads_before, threads_after );
    ok( handles_after <= handles_before + 4, "handles: %lu before, %lu after\n", handles_before, handles_after );
}

static void test_throughput( struct httpd *httpd )
{
    static const ULONGLONG size = 256 << 20;
    struct response r;
    DWORD start, elapsed;

    ok( httpd_add_pattern_resource( httpd, "/perf", size, 3, NULL ), "add failed\n" );
    response_init( &r );
    r.verify = TRUE;
    r.seed = 3;
    r.no_store = TRUE;
    start = GetTickCount();
    ok( do_request( httpd_port( httpd ), "GET", "/perf", NULL, &r ), "request failed\n" );
    elapsed = GetTickCount() - start;
    ok( r.status == 200 && r.complete && r.body_total == size && r.mismatch == -1, "status %d size %I64u mismatch %I64d\n",
        r.status, r.body_total, r.mismatch );
    trace( "256 MiB in %lu ms (%lu MB/s, client verifying)\n", elapsed, (DWORD)(size / 1000 / (elapsed ? elapsed : 1)) );
    response_free( &r );
    httpd_remove_resource( httpd, "/perf" );
}

START_TEST(httpd)
{
    struct httpd *httpd;

    test_pattern();

    httpd = httpd_start();
    ok( httpd != NULL, "httpd_start failed\n" );
    if (!httpd) return;

    test_get( httpd );
    test_head( httpd );
    test_keepalive( httpd );
    test_ranges( httpd );
    test_conditional( httpd );
    test_status( httpd );
    test_drop( httpd );
    test_slow( httpd );
    test_length_modes( httpd );
    test_errors_and_handlers( httpd );
    test_log( httpd );
    test_concurrent( httpd );
    test_many_connections( httpd );
    test_throughput( httpd );
    httpd_stop( httpd );

    test_start_stop();
}
