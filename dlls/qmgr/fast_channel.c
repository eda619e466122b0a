/*
 * Background Intelligent Transfer Service: the service's side of the fast
 * call channel (fast_wire.h).
 *
 * The manager and the jobs are served by fast_server.c: each marshals itself
 * for a client process on this machine as a handle that qmgrprxy.dll's proxy
 * calls through shared memory instead of Wine's RPC.  Each call runs with the
 * identity record the client's proxy sent, as a call through COM does.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdarg.h>

#define COBJMACROS
#include "qmgr_private.h"
#include "fast_server.h"

static BOOL only_known_clients;  /* the fast reference only for clients known to take it */

/* A client that sent us its identity has our proxy DLL. */
static BOOL client_takes_fast(void)
{
    return !only_known_clients || identity_caller_process();
}

static const struct fast_server_host service_host =
{
    fast_is_service_iid,
    client_takes_fast,
    identity_caller_process,
    identity_begin_direct_call,
    identity_end_direct_call,
};

/* A prefix that runs 32-bit programs may have clients without our proxy:
 * Wine's own 32-bit qmgrprxy.dll does not know the fast reference. */
static BOOL runs_32bit_programs(void)
{
    WCHAR path[MAX_PATH];
    UINT len = GetSystemWow64DirectoryW(path, ARRAY_SIZE(path));

    if (!len || len + 14 > ARRAY_SIZE(path)) return FALSE;
    wcscat(path, L"\\kernel32.dll");
    return GetFileAttributesW(path) != INVALID_FILE_ATTRIBUTES;
}

/* Called by the service before it takes calls.  Only under Wine, whose COM
 * is the slow one, and only where qmgrprxy.dll can unmarshal. */
void fast_channel_init(void)
{
    WCHAR key[80];
    HKEY hkey;

    if (!GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "wine_get_version")) return;
    if (GetEnvironmentVariableW(L"QMGR_NO_FAST_CHANNEL", NULL, 0)) return;
    wcscpy(key, L"CLSID\\");
    StringFromGUID2(&CLSID_QmgrFastProxy, key + wcslen(key), 40);
    wcscat(key, L"\\InprocServer32");
    if (RegOpenKeyExW(HKEY_CLASSES_ROOT, key, 0, KEY_READ, &hkey)) return;
    RegCloseKey(hkey);

    only_known_clients = runs_32bit_programs();
    /* A service started again in the same process keeps its table and listener. */
    fast_server_start(&service_host);
}

/* The service stops: new references go through COM (its calls end with it). */
void fast_channel_shutdown(void)
{
    fast_server_stop();
}
