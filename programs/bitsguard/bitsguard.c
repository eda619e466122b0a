/*
 * bitsguard: holds the BITS service's COM class registrations with Wine's
 * rpcss and revokes them when the service process ends.
 *
 * Wine 8's rpcss never notices that a local server died: it keeps handing
 * clients the dead process's class object (RPC_S_SERVER_UNAVAILABLE), so COM
 * never starts the service again.  The service (dlls/qmgr/activation.c)
 * starts this program with its process id and a pipe name, sends the classes
 * and their marshalled object (guard_wire.h), and we register them.  When the
 * service says it is stopping, or its process ends however it ends, we revoke
 * them; the next client's CoCreateInstance then starts the service as usual.
 *
 * usage: bitsguard SERVICE_PID PIPE_NAME
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdarg.h>
#include <stdlib.h>

#include "windef.h"
#include "winbase.h"
#include "winternl.h"
#include "objbase.h"
#include "rpc.h"

#include "wine/exception.h"

#include "irpcss.h"
#include "../../dlls/qmgr/guard_wire.h"

/* Wine's private information class that makes a process a "system" one, so
 * that it does not keep the Wine session alive on its own. */
#define WINE_MAKE_PROCESS_SYSTEM ((PROCESSINFOCLASS)1000)

static RPC_BINDING_HANDLE rpcss;
static unsigned int cookies[GUARD_MAX_CLASSES];
static unsigned int cookie_count;

void __RPC_FAR * __RPC_USER MIDL_user_allocate(SIZE_T size)
{
    return malloc(size);
}

void __RPC_USER MIDL_user_free(void __RPC_FAR *p)
{
    free(p);
}

static BOOL bind_rpcss(void)
{
    RPC_WSTR binding;
    RPC_STATUS status;

    status = RpcStringBindingComposeW(NULL, (RPC_WSTR)L"ncalrpc", NULL, (RPC_WSTR)L"irpcss", NULL, &binding);
    if (status) return FALSE;
    status = RpcBindingFromStringBindingW(binding, &rpcss);
    RpcStringFreeW(&binding);
    return !status;
}

static HRESULT register_class(const CLSID *clsid, DWORD flags, GuardObjref *objref, unsigned int *cookie)
{
    HRESULT hr;

    /* A failed RPC call raises an exception; rpcss may be gone at the session's end. */
    __TRY
    {
        hr = rpcss_register_class(rpcss, clsid, flags, objref, cookie);
    }
    __EXCEPT_ALL
    {
        hr = HRESULT_FROM_WIN32(GetExceptionCode());
    }
    __ENDTRY
    return hr;
}

static void revoke_all(void)
{
    while (cookie_count)
    {
        unsigned int cookie = cookies[--cookie_count];

        __TRY
        {
            rpcss_revoke_class(rpcss, cookie);
        }
        __EXCEPT_ALL
        {
        }
        __ENDTRY
    }
}

static HRESULT register_all(const struct guard_register *request, DWORD size)
{
    GuardObjref *objref;
    unsigned int i;
    HRESULT hr = S_OK;

    if (size != sizeof(*request) || request->magic != GUARD_MAGIC || !request->count
            || request->count > GUARD_MAX_CLASSES || !request->objref_size
            || request->objref_size > GUARD_MAX_OBJREF)
        return E_INVALIDARG;
    if (!(objref = malloc(FIELD_OFFSET(GuardObjref, data[request->objref_size])))) return E_OUTOFMEMORY;
    objref->size = request->objref_size;
    memcpy(objref->data, request->objref, request->objref_size);

    for (i = 0; i < request->count && SUCCEEDED(hr); i++)
    {
        hr = register_class(&request->clsids[i], request->flags, objref, &cookies[cookie_count]);
        if (SUCCEEDED(hr)) cookie_count++;
    }
    free(objref);
    if (FAILED(hr)) revoke_all();
    return hr;
}

/* One pipe operation, bounded by the service process's life. */
static BOOL pipe_io(HANDLE pipe, HANDLE process, void *buffer, DWORD size, BOOL write, DWORD *done)
{
    return guard_pipe_io(pipe, process, INFINITE, buffer, size, write, done);
}

int __cdecl wmain(int argc, WCHAR **argv)
{
    struct guard_register *request;
    struct guard_reply reply = { GUARD_MAGIC, E_FAIL };
    HANDLE process, pipe, shutdown_event = NULL;
    DWORD pid, done;
    char command;

    if (argc != 3 || !(pid = wcstoul(argv[1], NULL, 10))) return 2;
    NtSetInformationProcess(GetCurrentProcess(), WINE_MAKE_PROCESS_SYSTEM, &shutdown_event, sizeof(shutdown_event));

    if (!(process = OpenProcess(SYNCHRONIZE, FALSE, pid))) return 3;
    pipe = CreateFileW(argv[2], GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, FILE_FLAG_OVERLAPPED, NULL);
    if (pipe == INVALID_HANDLE_VALUE) return 4;
    if (!bind_rpcss()) return 5;

    if (!(request = malloc(sizeof(*request)))) return 6;
    if (pipe_io(pipe, process, request, sizeof(*request), FALSE, &done))
        reply.hr = register_all(request, done);
    free(request);
    if (!pipe_io(pipe, process, &reply, sizeof(reply), TRUE, &done) || FAILED(reply.hr))
    {
        revoke_all();
        return 7;
    }

    /* Until the service says it stops, or its process (or its end of the pipe) is gone. */
    pipe_io(pipe, process, &command, sizeof(command), FALSE, &done);
    revoke_all();
    reply.hr = S_OK;
    if (WaitForSingleObject(process, 0) == WAIT_TIMEOUT)
        pipe_io(pipe, process, &reply, sizeof(reply), TRUE, &done);
    CloseHandle(pipe);
    CloseHandle(process);
    return 0;
}
