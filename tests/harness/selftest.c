/*
 * Self-test of tests/include/wine/test.h
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
 * Several tests with deliberate failures.  check-selftest.sh runs them and
 * compares the output and exit codes with what the harness must produce.
 * Lines that the checker looks for carry a "@mark name" comment; the checker
 * finds their line numbers with grep, so this file may be edited freely.
 */

#include <stdio.h>
#include <windows.h>

#include "wine/test.h"

#define THREADS 4
#define THREAD_CHECKS 1000

static DWORD WINAPI check_thread( void *arg )
{
    int id = (int)(INT_PTR)arg, i;

    winetest_push_context( "thread %d", id );
    for (i = 0; i < THREAD_CHECKS; i++) ok( i >= 0, "cannot fail\n" );
    if (id >= 0) ok( 0, "failure in thread\n" ); /* @mark thread_fail */
    winetest_pop_context();
    return 0;
}

/* THREADS threads, each THREAD_CHECKS passes and, if fail is set, one
 * failure.  Returns FALSE if the threads could not be run; it checks
 * nothing itself, as the caller may be inside a todo block. */
static BOOL run_threads( BOOL fail )
{
    HANDLE threads[THREADS];
    BOOL ret = TRUE;
    int i, count = 0;

    for (i = 0; i < THREADS; i++)
    {
        if (!(threads[i] = CreateThread( NULL, 0, check_thread, (void *)(INT_PTR)(fail ? i : -1 - i), 0, NULL )))
        {
            ret = FALSE;
            break;
        }
        count++;
    }
    if (count && WaitForMultipleObjects( count, threads, TRUE, 30000 ) != WAIT_OBJECT_0) ret = FALSE;
    for (i = 0; i < count; i++) CloseHandle( threads[i] );
    return ret;
}

static void run_child( const char *test )
{
    char **argv, cmdline[MAX_PATH + 64];
    STARTUPINFOA si;
    PROCESS_INFORMATION pi;
    BOOL ret;

    memset( &si, 0, sizeof(si) );
    si.cb = sizeof(si);
    winetest_get_mainargs( &argv );
    sprintf( cmdline, "\"%s\" %s", argv[0], test );
    ret = CreateProcessA( NULL, cmdline, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi );
    ok( ret, "CreateProcess failed: %lu\n", GetLastError() );
    if (!ret) return;
    wait_child_process( pi.hProcess ); /* @mark child_wait */
    CloseHandle( pi.hProcess );
    CloseHandle( pi.hThread );
}

/* Everything passes: the summary must say 0 failures and the exit code be 0. */
static void test_clean(void)
{
    static const GUID guid = { 0x01234567, 0x89ab, 0xcdef, { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef } };
    char **argv;
    int argc, i;

    argc = winetest_get_mainargs( &argv );
    ok( argc >= 2, "argc %d\n", argc );
    ok( !strcmp( argv[1], "clean" ) || !strcmp( argv[1], "clean.c" ), "argv[1] %s\n", argv[1] );
    ok( !strcmp( winetest_platform, winetest_platform_is_wine ? "wine" : "windows" ), "platform %s\n", winetest_platform );
    ok( !strcmp( wine_dbgstr_w( L"a\"b\n\x263a" ), "L\"a\\\"b\\n\\263a\"" ), "got %s\n", wine_dbgstr_w( L"a\"b\n\x263a" ) );
    ok( !strcmp( wine_dbgstr_a( NULL ), "(null)" ), "got %s\n", wine_dbgstr_a( NULL ) );
    ok( !strcmp( wine_dbgstr_an( "abcdef", 3 ), "\"abc\"" ), "got %s\n", wine_dbgstr_an( "abcdef", 3 ) );
    ok( !strcmp( wine_dbgstr_longlong( 0x123456789abULL ), "123456789ab" ), "got %s\n", wine_dbgstr_longlong( 0x123456789abULL ) );
    ok( !strcmp( wine_dbgstr_guid( &guid ), "{01234567-89ab-cdef-0123-456789abcdef}" ), "got %s\n", wine_dbgstr_guid( &guid ) );
    ok( broken( 1 ) == !winetest_platform_is_wine, "broken(1) %d\n", broken( 1 ) );
    ok( broken( 0 ) == 0, "broken(0) %d\n", broken( 0 ) );
    /* Not a Wine limitation: this self-test checks the todo_wine macros themselves. */
    todo_wine_if( 0 ) ok( 1, "todo_wine_if(0) is no todo\n" );
    todo_if( 0 ) ok( 1, "todo_if(0) is no todo\n" );
    for (i = 0; i < 10; i++) ok( i < 10, "loop %d\n", i );
    ok( run_threads( FALSE ), "could not run the threads\n" );
}

static void test_mixed(void)
{
    BOOL ret = FALSE;
    int i;

    ok( 1, "pass\n" );
    ok( 0, "expected failure %d\n", 42 ); /* @mark fail */
    /* Not a Wine limitation: this self-test checks the todo_wine macros themselves. */
    todo_wine ok( 0, "todo failure\n" ); /* @mark todo_fail */
    todo_wine ok( 1, "todo success\n" ); /* @mark todo_pass */
    todo_wine_if( 1 ) ok( 0, "todo_wine_if failure\n" ); /* @mark todo_if_fail */
    todo_wine_if( 0 ) ok( 1, "not todo\n" );
    todo_if( 1 ) ok( 0, "todo_if failure\n" ); /* @mark todo_if1 */
    /* Not a Wine limitation: this self-test checks the todo_wine macros themselves. */
    todo_wine
    {
        todo_if( 0 ) ok( 0, "nested todo failure\n" ); /* @mark nested_todo */
    }
    skip( "not available %d\n", 1 ); /* @mark skip */
    win_skip( "win_skip on wine\n" ); /* @mark win_skip */
    trace( "hello %s\n", "world" ); /* @mark trace */
    flaky ok( 0, "flaky failure\n" ); /* @mark flaky */
    ok_( "other.c", 1234 )( 0, "explicit location\n" );

    winetest_push_context( "ctx1" );
    winetest_push_context( "ctx %d", 2 );
    ok( 0, "in context\n" ); /* @mark ctx_fail */
    trace( "traced in context\n" ); /* @mark ctx_trace */
    winetest_pop_context();
    /* Not a Wine limitation: this self-test checks the todo_wine macros themselves. */
    todo_wine ok( 0, "todo in context\n" ); /* @mark ctx_todo */
    winetest_pop_context();
    ok( 0, "after pop\n" ); /* @mark after_pop */

    for (i = 0; i < 50; i++) trace( "repeated trace %d\n", i ); /* @mark muted */

    /* the todo state is per thread: failures of other threads stay failures */
    /* Not a Wine limitation: this self-test checks the todo_wine macros themselves. */
    todo_wine
    {
        ret = run_threads( TRUE );
        ok( 0, "main thread todo while threads ran\n" ); /* @mark thread_todo */
    }
    ok( ret, "could not run the threads\n" );

    winetest_add_failures( 2 );
    run_child( "child" );
    ok( winetest_get_failures() > 0, "winetest_get_failures() %ld\n", winetest_get_failures() );
}

static void test_child(void)
{
    int i;

    for (i = 0; i < 3; i++) ok( 0, "child failure %d\n", i ); /* @mark child_fail */
}

static void test_platform_behaviour(void)
{
    /* Not a Wine limitation: this self-test checks the todo_wine macros themselves. */
    todo_wine ok( 0, "todo_wine failing check\n" ); /* @mark platform_todo */
    ok( broken( 1 ) == !strcmp( winetest_platform, "windows" ), "broken(1) %d\n", broken( 1 ) );
    win_skip( "win_skip check\n" ); /* @mark platform_win_skip */
}

static void test_crash(void)
{
    volatile int * volatile bad_pointer = NULL;

    ok( 1, "before the crash\n" ); /* @mark crash_last */
    *bad_pointer = 1;
    ok( 0, "not reached\n" );
}

START_TEST(selftest)
{
    test_mixed();
}

START_TEST(clean)
{
    test_clean();
}

START_TEST(child)
{
    test_child();
}

START_TEST(platform)
{
    test_platform_behaviour();
}

START_TEST(crash)
{
    test_crash();
}
