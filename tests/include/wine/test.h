/*
 * Unit test harness with the API of Wine's wine/test.h
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
 * Header-only, like Wine's: every test source includes this file and gets
 * the checking macros as static inline functions; the generated testlist.c
 * defines STANDALONE before including it and thereby also gets the shared
 * state (counters, settings, per-thread data) and main().
 *
 * Only Win32 APIs and the C runtime are used, so the same test executable
 * runs under Wine and on Windows.  Output lines and the closing summary line
 * follow Wine's format so that existing tooling can parse them:
 *
 *   file.c:123: Test failed: context: message
 *   file.c:123: Test marked todo: message
 *   file.c:123: Test succeeded inside todo block: message
 *   file.c:123: Tests skipped: message
 *   file.c:123: message                                   (trace)
 *   04d2:name: 42 tests executed (1 marked as todo, 0 failures), 3 skipped.
 *
 * The exit code is the number of failures (including successes inside todo
 * blocks), capped at 255.
 *
 * Environment: WINETEST_DEBUG, WINETEST_INTERACTIVE, WINETEST_PLATFORM,
 * WINETEST_REPORT_SUCCESS, WINETEST_REPORT_FLAKY.
 */

#ifndef __WINE_WINE_TEST_H
#define __WINE_WINE_TEST_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windef.h>
#include <winbase.h>

#ifndef INVALID_FILE_ATTRIBUTES
#define INVALID_FILE_ATTRIBUTES  (~0u)
#endif
#ifndef INVALID_SET_FILE_POINTER
#define INVALID_SET_FILE_POINTER (~0u)
#endif
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(x) (sizeof(x) / sizeof((x)[0]))
#endif

#ifdef __GNUC__
#define WINETEST_PRINTF_ATTR(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define WINETEST_PRINTF_ATTR(fmt, args)
#endif

/* settings (see main() for the environment variables that change them) */
extern int winetest_debug;            /* WINETEST_DEBUG, default 1 */
extern int winetest_interactive;      /* WINETEST_INTERACTIVE, default 0 */
extern int winetest_report_success;   /* WINETEST_REPORT_SUCCESS, default 0 */
extern int winetest_report_flaky;     /* WINETEST_REPORT_FLAKY, default 0 */
extern int winetest_mute_threshold;   /* todos/skips/traces of one line printed at most this often */
extern const char *winetest_platform; /* "wine" or "windows" */
extern int winetest_platform_is_wine;

/* counters, updated with Interlocked* so that any thread may report */
extern LONG winetest_successes;
extern LONG winetest_failures;
extern LONG winetest_flaky_failures;
extern LONG winetest_skipped;
extern LONG winetest_todo_successes;   /* failed as expected inside a todo block */
extern LONG winetest_todo_failures;    /* succeeded inside a todo block */
extern LONG winetest_muted_traces;
extern LONG winetest_muted_skipped;
extern LONG winetest_muted_todo_successes;

#define WINETEST_MAX_CONTEXT 8

/* per-thread state, kept in a fiber/thread local slot */
struct winetest_thread_data
{
    const char *current_file;     /* base name of the file of the current check */
    int current_line;             /* line of the current check */
    unsigned int todo_level;      /* bit stack of nested todo_if() blocks */
    int todo_do_loop;
    unsigned int flaky_level;     /* bit stack of nested flaky_if() blocks */
    int flaky_do_loop;
    unsigned int context_count;   /* may exceed WINETEST_MAX_CONTEXT; extra ones are not shown */
    char context[WINETEST_MAX_CONTEXT][128];
    unsigned int str_pos;         /* ring buffer for the wine_dbgstr_* helpers */
    char strings[4096];
};

extern struct winetest_thread_data *winetest_get_thread_data(void);
extern void winetest_print_lock(void);
extern void winetest_print_unlock(void);
extern void winetest_output( const char *text );
extern int winetest_get_mainargs( char ***pargv );
extern void winetest_wait_child_process( HANDLE process );
extern char *winetest_vformat( const char *fmt, va_list args );

/* A test file defines its entry point with START_TEST(name).  In a
 * single-file standalone build the test list is generated here. */
#ifdef STANDALONE
#define START_TEST(name) \
    static void func_##name(void); \
    const struct test winetest_testlist[] = { { #name, func_##name }, { 0, 0 } }; \
    static void func_##name(void)
#else
#define START_TEST(name) void func_##name(void)
#endif

static inline void winetest_set_location( const char *file, int line )
{
    struct winetest_thread_data *data = winetest_get_thread_data();
    const char *p, *base = file;

    for (p = file; *p; p++) if (*p == '/' || *p == '\\') base = p + 1;
    data->current_file = base;
    data->current_line = line;
}

/* Formats "file:line: <msgtype><context>: ...<message>" and prints it as one
 * write, so that lines of concurrent threads do not interleave. */
static inline void winetest_print_message( const char *msgtype, const char *msg, va_list args )
{
    struct winetest_thread_data *data = winetest_get_thread_data();
    char *text, *body;
    size_t len, pos = 0, i;
    unsigned int count = data->context_count < WINETEST_MAX_CONTEXT ? data->context_count : WINETEST_MAX_CONTEXT;

    body = msg ? winetest_vformat( msg, args ) : NULL;
    len = strlen( data->current_file ? data->current_file : "" ) + 16 + strlen( msgtype )
          + (body ? strlen( body ) : 0) + count * (sizeof(data->context[0]) + 2) + 1;
    if (!(text = malloc( len )))
    {
        free( body );
        return;
    }
    pos = sprintf( text, "%s:%d: %s", data->current_file ? data->current_file : "", data->current_line, msgtype );
    for (i = 0; i < count; i++) pos += sprintf( text + pos, "%s: ", data->context[i] );
    if (body) strcpy( text + pos, body );
    winetest_output( text );
    free( text );
    free( body );
}

static inline void winetest_print_location( const char *msgtype, const char *msg, ... ) WINETEST_PRINTF_ATTR(2, 3);
static inline void winetest_print_location( const char *msgtype, const char *msg, ... )
{
    struct winetest_thread_data *data = winetest_get_thread_data();
    unsigned int saved = data->context_count;
    va_list args;

    data->context_count = 0;
    va_start( args, msg );
    winetest_print_message( msgtype, msg, args );
    va_end( args );
    data->context_count = saved;
}

/* TRUE if the current line should still print todo/skip/trace messages. */
static inline int winetest_line_not_muted(void)
{
    static LONG counters[16384];
    struct winetest_thread_data *data;
    LONG count;

    if (winetest_debug > 1) return 1;
    data = winetest_get_thread_data();
    count = InterlockedIncrement( &counters[(unsigned int)data->current_line % ARRAY_SIZE(counters)] ) - 1;
    if (count == winetest_mute_threshold)
        winetest_print_location( "", "Line has been silenced after %d occurrences\n", winetest_mute_threshold );
    return count < winetest_mute_threshold;
}

static inline int winetest_vok( int condition, const char *msg, va_list args )
{
    struct winetest_thread_data *data = winetest_get_thread_data();

    if (data->todo_level)
    {
        if (condition)
        {
            if (data->flaky_level)
            {
                winetest_print_message( "Test succeeded inside flaky todo block: ", msg, args );
                InterlockedIncrement( &winetest_flaky_failures );
            }
            else
            {
                winetest_print_message( "Test succeeded inside todo block: ", msg, args );
                InterlockedIncrement( &winetest_todo_failures );
            }
            return 0;
        }
        if (!winetest_debug || winetest_line_not_muted())
        {
            if (winetest_debug > 0) winetest_print_message( "Test marked todo: ", msg, args );
            InterlockedIncrement( &winetest_todo_successes );
        }
        else InterlockedIncrement( &winetest_muted_todo_successes );
        return 1;
    }

    if (!condition)
    {
        if (data->flaky_level)
        {
            winetest_print_message( "Test marked flaky: ", msg, args );
            InterlockedIncrement( &winetest_flaky_failures );
        }
        else
        {
            winetest_print_message( "Test failed: ", msg, args );
            InterlockedIncrement( &winetest_failures );
        }
        return 0;
    }
    if (winetest_report_success) winetest_print_location( "", "Test succeeded\n" );
    InterlockedIncrement( &winetest_successes );
    return 1;
}

static inline void winetest_ok( int condition, const char *msg, ... ) WINETEST_PRINTF_ATTR(2, 3);
static inline void winetest_ok( int condition, const char *msg, ... )
{
    va_list args;

    va_start( args, msg );
    winetest_vok( condition, msg, args );
    va_end( args );
}

static inline void winetest_trace( const char *msg, ... ) WINETEST_PRINTF_ATTR(1, 2);
static inline void winetest_trace( const char *msg, ... )
{
    va_list args;

    if (!winetest_debug) return;
    if (!winetest_line_not_muted())
    {
        InterlockedIncrement( &winetest_muted_traces );
        return;
    }
    va_start( args, msg );
    winetest_print_message( "", msg, args );
    va_end( args );
}

static inline void winetest_vskip( const char *msg, va_list args )
{
    if (winetest_line_not_muted())
    {
        winetest_print_message( "Tests skipped: ", msg, args );
        InterlockedIncrement( &winetest_skipped );
    }
    else InterlockedIncrement( &winetest_muted_skipped );
}

static inline void winetest_skip( const char *msg, ... ) WINETEST_PRINTF_ATTR(1, 2);
static inline void winetest_skip( const char *msg, ... )
{
    va_list args;

    va_start( args, msg );
    winetest_vskip( msg, args );
    va_end( args );
}

/* A skip on Windows (an older version lacks something), a failure on Wine. */
static inline void winetest_win_skip( const char *msg, ... ) WINETEST_PRINTF_ATTR(1, 2);
static inline void winetest_win_skip( const char *msg, ... )
{
    va_list args;

    va_start( args, msg );
    if (winetest_platform_is_wine) winetest_vok( 0, msg, args );
    else winetest_vskip( msg, args );
    va_end( args );
}

static inline void winetest_subtest( const char *name )
{
    winetest_print_location( "", "Subtest %s\n", name );
}

/* broken(x) accepts a documented Windows behaviour, never on Wine. */
static inline int broken( int condition )
{
    return !winetest_platform_is_wine && condition;
}

static inline void winetest_start_todo( int is_todo )
{
    struct winetest_thread_data *data = winetest_get_thread_data();
    data->todo_level = (data->todo_level << 1) | (is_todo != 0);
    data->todo_do_loop = 1;
}

static inline int winetest_loop_todo(void)
{
    struct winetest_thread_data *data = winetest_get_thread_data();
    int ret = data->todo_do_loop;
    data->todo_do_loop = 0;
    return ret;
}

static inline void winetest_end_todo(void)
{
    winetest_get_thread_data()->todo_level >>= 1;
}

static inline void winetest_start_flaky( int is_flaky )
{
    struct winetest_thread_data *data = winetest_get_thread_data();
    data->flaky_level = (data->flaky_level << 1) | (is_flaky != 0);
    data->flaky_do_loop = 1;
}

static inline int winetest_loop_flaky(void)
{
    struct winetest_thread_data *data = winetest_get_thread_data();
    int ret = data->flaky_do_loop;
    data->flaky_do_loop = 0;
    return ret;
}

static inline void winetest_end_flaky(void)
{
    winetest_get_thread_data()->flaky_level >>= 1;
}

/* Adds a prefix to the messages of the current thread; pair with winetest_pop_context(). */
static inline void winetest_push_context( const char *fmt, ... ) WINETEST_PRINTF_ATTR(1, 2);
static inline void winetest_push_context( const char *fmt, ... )
{
    struct winetest_thread_data *data = winetest_get_thread_data();
    va_list args;
    char *text;

    if (data->context_count < WINETEST_MAX_CONTEXT)
    {
        va_start( args, fmt );
        text = winetest_vformat( fmt, args );
        va_end( args );
        lstrcpynA( data->context[data->context_count], text ? text : "", sizeof(data->context[0]) );
        free( text );
    }
    data->context_count++;
}

static inline void winetest_pop_context(void)
{
    struct winetest_thread_data *data = winetest_get_thread_data();
    if (data->context_count) data->context_count--;
}

static inline LONG winetest_get_failures(void)
{
    return winetest_failures;
}

static inline void winetest_add_failures( LONG count )
{
    while (count-- > 0) InterlockedIncrement( &winetest_failures );
}

#ifdef WINETEST_NO_LINE_NUMBERS
# define winetest_location_(file, line) winetest_set_location( file, 0 )
#else
# define winetest_location_(file, line) winetest_set_location( file, line )
#endif

#define ok_(file, line)       (winetest_location_(file, line), 0) ? (void)0 : winetest_ok
#define skip_(file, line)     (winetest_location_(file, line), 0) ? (void)0 : winetest_skip
#define win_skip_(file, line) (winetest_location_(file, line), 0) ? (void)0 : winetest_win_skip
#define trace_(file, line)    (winetest_location_(file, line), 0) ? (void)0 : winetest_trace
#define subtest_(file, line)  (winetest_location_(file, line), 0) ? (void)0 : winetest_subtest
#define wait_child_process_(file, line) (winetest_location_(file, line), 0) ? (void)0 : winetest_wait_child_process

#define ok                 ok_(__FILE__, __LINE__)
#define skip               skip_(__FILE__, __LINE__)
#define win_skip           win_skip_(__FILE__, __LINE__)
#define trace              trace_(__FILE__, __LINE__)
#define subtest            subtest_(__FILE__, __LINE__)
#define wait_child_process wait_child_process_(__FILE__, __LINE__)

#define todo_if(is_todo) for (winetest_start_todo(is_todo); winetest_loop_todo(); winetest_end_todo())
#define todo_wine               todo_if(winetest_platform_is_wine)
#define todo_wine_if(is_todo)   todo_if((is_todo) && winetest_platform_is_wine)

#define flaky_if(is_flaky) for (winetest_start_flaky(is_flaky); winetest_loop_flaky(); winetest_end_flaky())
#define flaky                   flaky_if(TRUE)
#define flaky_wine              flaky_if(winetest_platform_is_wine)
#define flaky_wine_if(is_flaky) flaky_if((is_flaky) && winetest_platform_is_wine)

/* Debug string helpers (wine/debug.h is not available to tests).  The
 * returned strings live in a per-thread ring buffer. */
static inline char *winetest_tmp_buffer( size_t size )
{
    struct winetest_thread_data *data = winetest_get_thread_data();
    char *ret;

    if (size > sizeof(data->strings) / 4) size = sizeof(data->strings) / 4;
    if (data->str_pos + size > sizeof(data->strings)) data->str_pos = 0;
    ret = data->strings + data->str_pos;
    data->str_pos += size;
    return ret;
}

static inline const char *winetest_dbgstr_escaped( const void *str, int n, int wide )
{
    char *res, *dst, *end;
    int i;

    if (!str) return "(null)";
    if (!((ULONG_PTR)str >> 16))
    {
        res = winetest_tmp_buffer( 8 );
        sprintf( res, "#%04x", (unsigned int)(ULONG_PTR)str );
        return res;
    }
    if (n < 0)
    {
        n = 0;
        if (wide) while (((const WCHAR *)str)[n]) n++;
        else while (((const char *)str)[n]) n++;
    }
    res = winetest_tmp_buffer( 1000 );
    end = res + 1000 - 12;  /* room for an escape, the closing quote and "..." */
    dst = res;
    if (wide) *dst++ = 'L';
    *dst++ = '"';
    for (i = 0; i < n && dst < end; i++)
    {
        unsigned int c = wide ? ((const WCHAR *)str)[i] : (unsigned char)((const char *)str)[i];
        switch (c)
        {
        case '\n': *dst++ = '\\'; *dst++ = 'n'; break;
        case '\r': *dst++ = '\\'; *dst++ = 'r'; break;
        case '\t': *dst++ = '\\'; *dst++ = 't'; break;
        case '"':  *dst++ = '\\'; *dst++ = '"'; break;
        case '\\': *dst++ = '\\'; *dst++ = '\\'; break;
        default:
            if (c >= ' ' && c < 127) *dst++ = (char)c;
            else dst += sprintf( dst, wide ? "\\%04x" : "\\x%02x", c );
        }
    }
    *dst++ = '"';
    if (i < n) { *dst++ = '.'; *dst++ = '.'; *dst++ = '.'; }
    *dst = 0;
    return res;
}

static inline const char *wine_dbgstr_wn( const WCHAR *str, int n ) { return winetest_dbgstr_escaped( str, n, 1 ); }
static inline const char *wine_dbgstr_w( const WCHAR *str ) { return winetest_dbgstr_escaped( str, -1, 1 ); }
static inline const char *wine_dbgstr_an( const char *str, int n ) { return winetest_dbgstr_escaped( str, n, 0 ); }
static inline const char *wine_dbgstr_a( const char *str ) { return winetest_dbgstr_escaped( str, -1, 0 ); }

static inline const char *wine_dbgstr_guid( const GUID *guid )
{
    char *res;

    if (!guid) return "(null)";
    if (!((ULONG_PTR)guid >> 16))
    {
        res = winetest_tmp_buffer( 8 );
        sprintf( res, "<guid-0x%04x>", (unsigned int)(ULONG_PTR)guid & 0xffff );
        return res;
    }
    res = winetest_tmp_buffer( 40 );
    sprintf( res, "{%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x}",
             (unsigned int)guid->Data1, guid->Data2, guid->Data3,
             guid->Data4[0], guid->Data4[1], guid->Data4[2], guid->Data4[3],
             guid->Data4[4], guid->Data4[5], guid->Data4[6], guid->Data4[7] );
    return res;
}

static inline const char *wine_dbgstr_longlong( ULONGLONG value )
{
    char *res = winetest_tmp_buffer( 24 );

    if (value >> 32)
        sprintf( res, "%lx%08lx", (unsigned long)(value >> 32), (unsigned long)value );
    else
        sprintf( res, "%lx", (unsigned long)value );
    return res;
}

static inline const char *wine_dbgstr_rect( const RECT *rect )
{
    char *res;

    if (!rect) return "(null)";
    res = winetest_tmp_buffer( 64 );
    sprintf( res, "(%ld,%ld)-(%ld,%ld)", (long)rect->left, (long)rect->top, (long)rect->right, (long)rect->bottom );
    return res;
}

static inline const char *wine_dbgstr_point( const POINT *pt )
{
    char *res;

    if (!pt) return "(null)";
    res = winetest_tmp_buffer( 32 );
    sprintf( res, "(%ld,%ld)", (long)pt->x, (long)pt->y );
    return res;
}

#ifndef __WINE_WINE_DEBUG_H
#define debugstr_a(s)     wine_dbgstr_a(s)
#define debugstr_an(s, n) wine_dbgstr_an(s, n)
#define debugstr_w(s)     wine_dbgstr_w(s)
#define debugstr_wn(s, n) wine_dbgstr_wn(s, n)
#define debugstr_guid(g)  wine_dbgstr_guid(g)
#endif

static inline int winetest_strcmpW( const WCHAR *str1, const WCHAR *str2 )
{
    while (*str1 && *str1 == *str2) { str1++; str2++; }
    return *str1 - *str2;
}


/************************************************************************
 * Implementation: compiled once, into the generated testlist.c, which
 * defines STANDALONE before including this header.
 */
#ifdef STANDALONE

struct test
{
    const char *name;
    void (*func)(void);
};

extern const struct test winetest_testlist[];

int winetest_debug = 1;
int winetest_interactive = 0;
int winetest_report_success = 0;
int winetest_report_flaky = 0;
int winetest_mute_threshold = 42;
const char *winetest_platform = "windows";
int winetest_platform_is_wine = 0;

LONG winetest_successes;
LONG winetest_failures;
LONG winetest_flaky_failures;
LONG winetest_skipped;
LONG winetest_todo_successes;
LONG winetest_todo_failures;
LONG winetest_muted_traces;
LONG winetest_muted_skipped;
LONG winetest_muted_todo_successes;

static int winetest_argc;
static char **winetest_argv;
static const struct test *winetest_current_test;
static DWORD winetest_fls_index = FLS_OUT_OF_INDEXES;
static HANDLE winetest_print_mutex;

/* frees a thread's data when the thread ends */
static void WINAPI winetest_free_thread_data( void *data )
{
    HeapFree( GetProcessHeap(), 0, data );
}

struct winetest_thread_data *winetest_get_thread_data(void)
{
    static struct winetest_thread_data fallback;  /* only if the FLS slot or the heap fails */
    struct winetest_thread_data *data;
    DWORD err = GetLastError();

    if (winetest_fls_index == FLS_OUT_OF_INDEXES)
    {
        /* first use, before main() ran (a constructor) or from main() itself */
        DWORD index = FlsAlloc( winetest_free_thread_data );
        if (index == FLS_OUT_OF_INDEXES) return &fallback;
        winetest_fls_index = index;
    }
    if (!(data = FlsGetValue( winetest_fls_index )))
    {
        if (!(data = HeapAlloc( GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof(*data) )))
            data = &fallback;
        else if (!FlsSetValue( winetest_fls_index, data ))
        {
            HeapFree( GetProcessHeap(), 0, data );
            data = &fallback;
        }
    }
    SetLastError( err );
    return data;
}

/* The print lock is a named mutex so that a child process started by a
 * test does not interleave its lines with the parent's. */
void winetest_print_lock(void)
{
    DWORD ret;

    if (!winetest_print_mutex) return;
    ret = WaitForSingleObject( winetest_print_mutex, 30000 );
    if (ret != WAIT_OBJECT_0 && ret != WAIT_ABANDONED)
    {
        printf( "winetest: could not take the print lock (%lu), printing without it\n", (unsigned long)ret );
        winetest_print_mutex = NULL;
    }
}

void winetest_print_unlock(void)
{
    if (winetest_print_mutex) ReleaseMutex( winetest_print_mutex );
}

void winetest_output( const char *text )
{
    winetest_print_lock();
    fputs( text, stdout );
    fflush( stdout );
    winetest_print_unlock();
}

char *winetest_vformat( const char *fmt, va_list args )
{
    va_list copy;
    char *ret;
    int len;

    va_copy( copy, args );
    len = _vscprintf( fmt, copy );
    va_end( copy );
    if (len < 0) return NULL;
    if (!(ret = malloc( len + 1 ))) return NULL;
    va_copy( copy, args );
    vsprintf( ret, fmt, copy );
    va_end( copy );
    ret[len] = 0;
    return ret;
}

int winetest_get_mainargs( char ***pargv )
{
    *pargv = winetest_argv;
    return winetest_argc;
}

/* Waits (at most 30 seconds) for a child test process and adds its
 * failures, or one for a crash or a timeout, to ours. */
void winetest_wait_child_process( HANDLE process )
{
    DWORD ret, code = 0;

    if (!process)
    {
        winetest_ok( 0, "No child process handle (CreateProcess failed?)\n" );
        return;
    }
    ret = WaitForSingleObject( process, 30000 );
    if (ret == WAIT_TIMEOUT)
    {
        winetest_ok( 0, "Timed out waiting for the child process\n" );
        return;
    }
    if (ret != WAIT_OBJECT_0)
    {
        winetest_ok( 0, "Could not wait for the child process: %lu le=%lu\n",
                     (unsigned long)ret, (unsigned long)GetLastError() );
        return;
    }
    if (!GetExitCodeProcess( process, &code ))
    {
        winetest_ok( 0, "Could not get the exit code of the child process: le=%lu\n", (unsigned long)GetLastError() );
        return;
    }
    if (code > 255)
    {
        winetest_print_location( "", "unhandled exception %08lx in child process %04lx\n",
                                 (unsigned long)code, (unsigned long)GetProcessId( process ) );
        InterlockedIncrement( &winetest_failures );
    }
    else if (code)
    {
        winetest_print_location( "", "%lu failures in child process\n", (unsigned long)code );
        winetest_add_failures( code );
    }
}

static void winetest_exit( int code )
{
    fflush( stdout );
    ExitProcess( code );
}

static const struct test *winetest_find_test( const char *name )
{
    const struct test *test;
    const char *p;
    size_t len;

    for (p = name; *p; p++) if (*p == '/' || *p == '\\') name = p + 1;
    len = strlen( name );
    if (len > 2 && !strcmp( name + len - 2, ".c" )) len -= 2;
    for (test = winetest_testlist; test->name; test++)
        if (!strncmp( test->name, name, len ) && !test->name[len]) return test;
    return NULL;
}

static void winetest_list_tests(void)
{
    const struct test *test;

    printf( "Valid test names:\n" );
    for (test = winetest_testlist; test->name; test++) printf( "    %s\n", test->name );
}

static void winetest_usage( const char *argv0 )
{
    printf( "Usage: %s test_name\n\n", argv0 );
    winetest_list_tests();
    winetest_exit( 1 );
}

static LONG WINAPI winetest_exception_filter( EXCEPTION_POINTERS *ptrs )
{
    struct winetest_thread_data *data = winetest_get_thread_data();
    char text[512];

    if (data->current_file)
    {
        sprintf( text, "%s:%d: this is the last test seen before the exception\n",
                 data->current_file, data->current_line );
        winetest_output( text );
    }
    sprintf( text, "%04lx:%s: unhandled exception %08lx at %p\n",
             (unsigned long)GetCurrentProcessId(), winetest_current_test ? winetest_current_test->name : "?",
             (unsigned long)ptrs->ExceptionRecord->ExceptionCode, ptrs->ExceptionRecord->ExceptionAddress );
    winetest_output( text );
    /* End the process at once with the exception code as its exit code.  Under
     * Wine, handing the exception on to winedbg for a backtrace leaves the exit
     * code to the debugger, which sometimes reports 0: a crash must fail. */
    return EXCEPTION_EXECUTE_HANDLER;
}

static int winetest_run_test( const char *name )
{
    const struct test *test;
    int status;
    char text[512];

    if (!(test = winetest_find_test( name )))
    {
        printf( "Fatal: test '%s' does not exist.\n", name );
        winetest_exit( 1 );
    }
    winetest_current_test = test;
    test->func();

    if (winetest_debug)
    {
        if (winetest_muted_todo_successes || winetest_muted_skipped || winetest_muted_traces)
        {
            sprintf( text, "%04lx:%s: Silenced %ld todos, %ld skips and %ld traces.\n",
                     (unsigned long)GetCurrentProcessId(), test->name, (long)winetest_muted_todo_successes,
                     (long)winetest_muted_skipped, (long)winetest_muted_traces );
            winetest_output( text );
        }
        sprintf( text, "%04lx:%s: %ld tests executed (%ld marked as todo, %ld %s), %ld skipped.\n",
                 (unsigned long)GetCurrentProcessId(), test->name,
                 (long)(winetest_successes + winetest_failures + winetest_flaky_failures
                        + winetest_todo_successes + winetest_todo_failures),
                 (long)winetest_todo_successes, (long)(winetest_failures + winetest_todo_failures),
                 (winetest_failures + winetest_todo_failures != 1) ? "failures" : "failure",
                 (long)winetest_skipped );
        winetest_output( text );
    }
    status = winetest_failures + winetest_todo_failures;
    if (winetest_report_flaky) status += winetest_flaky_failures;
    if (status > 255) status = 255;
    return status;
}

static int winetest_running_on_wine(void)
{
    HMODULE ntdll = GetModuleHandleA( "ntdll.dll" );
    return ntdll && GetProcAddress( ntdll, "wine_get_version" ) != NULL;
}

int main( int argc, char **argv )
{
    char value[128];

    setvbuf( stdout, NULL, _IONBF, 0 );
    winetest_argc = argc;
    winetest_argv = argv;
    winetest_get_thread_data();  /* allocates the FLS slot while single-threaded */
    winetest_print_mutex = CreateMutexA( NULL, FALSE, "winetest_print_mutex" );

    if (GetEnvironmentVariableA( "WINETEST_PLATFORM", value, sizeof(value) ))
        winetest_platform = _strdup( value );
    else if (winetest_running_on_wine())
        winetest_platform = "wine";
    winetest_platform_is_wine = !strcmp( winetest_platform, "wine" );

    if (GetEnvironmentVariableA( "WINETEST_DEBUG", value, sizeof(value) )) winetest_debug = atoi( value );
    if (GetEnvironmentVariableA( "WINETEST_INTERACTIVE", value, sizeof(value) )) winetest_interactive = atoi( value );
    if (GetEnvironmentVariableA( "WINETEST_REPORT_SUCCESS", value, sizeof(value) )) winetest_report_success = atoi( value );
    if (GetEnvironmentVariableA( "WINETEST_REPORT_FLAKY", value, sizeof(value) )) winetest_report_flaky = atoi( value );

    SetUnhandledExceptionFilter( winetest_exception_filter );
    if (!winetest_interactive) SetErrorMode( SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX );

    if (argc < 2)
    {
        if (winetest_testlist[0].name && !winetest_testlist[1].name)
            return winetest_run_test( winetest_testlist[0].name );
        winetest_usage( argv[0] );
    }
    if (!strcmp( argv[1], "--list" ))
    {
        winetest_list_tests();
        return 0;
    }
    return winetest_run_test( argv[1] );
}

#endif  /* STANDALONE */

#endif  /* __WINE_WINE_TEST_H */
