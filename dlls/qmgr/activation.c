/*
 * Background Intelligent Transfer Service: making the class objects reachable
 * by COM activation, in a way that survives the service process being killed.
 *
 * CoRegisterClassObject(CLSCTX_LOCAL_SERVER) hands Wine's rpcss a marshalled
 * IServiceProvider whose QueryService(clsid) gives the class object.  Wine 8's
 * rpcss keeps that entry after the process dies, so after a crash every
 * client gets RPC_S_SERVER_UNAVAILABLE until the Wine session restarts.  We
 * make the same entry ourselves and let bitsguard.exe hold it (guard_wire.h):
 * it revokes the entry when our process ends, and COM starts the service
 * again for the next client.  Where bitsguard cannot run, the service
 * registers through CoRegisterClassObject as before.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "qmgr_private.h"
#include "servprov.h"
#include "guard_wire.h"

#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(qmgr);

/* Bound on every exchange with bitsguard, so a stuck guard cannot hold the service. */
#define GUARD_TIMEOUT_MS 10000

static const CLSID *const *served_clsids;
static unsigned int served_count;
static IClassFactory *served_factory;

static IStream *marshalled;     /* the table-marshalled provider rpcss hands out */
static HANDLE guard_pipe, guard_process;

/* ---- the provider combase's client side asks for the class object ---- */

static HRESULT WINAPI provider_QueryInterface(IServiceProvider *iface, REFIID riid, void **obj)
{
    if (IsEqualGUID(riid, &IID_IUnknown) || IsEqualGUID(riid, &IID_IServiceProvider))
    {
        *obj = iface;
        return S_OK;
    }
    *obj = NULL;
    return E_NOINTERFACE;
}

static ULONG WINAPI provider_AddRef(IServiceProvider *iface)
{
    return 2;
}

static ULONG WINAPI provider_Release(IServiceProvider *iface)
{
    return 1;
}

static HRESULT WINAPI provider_QueryService(IServiceProvider *iface, REFGUID service, REFIID riid, void **obj)
{
    unsigned int i;

    TRACE("%s, %s, %p.\n", debugstr_guid(service), debugstr_guid(riid), obj);

    for (i = 0; i < served_count; i++)
        if (IsEqualGUID(service, served_clsids[i]))
            return IClassFactory_QueryInterface(served_factory, riid, obj);
    *obj = NULL;
    return REGDB_E_CLASSNOTREG;
}

static const IServiceProviderVtbl provider_vtbl =
{
    provider_QueryInterface,
    provider_AddRef,
    provider_Release,
    provider_QueryService,
};

static IServiceProvider provider = { &provider_vtbl };

/* ---- the pipe to bitsguard ---- */

static BOOL guard_io(void *buffer, DWORD size, BOOL write, DWORD *done)
{
    return guard_pipe_io(guard_pipe, guard_process, GUARD_TIMEOUT_MS, buffer, size, write, done);
}

static BOOL guard_connect(void)
{
    OVERLAPPED ovl = { 0 };
    DWORD done;
    BOOL ret;

    ovl.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
    ret = ConnectNamedPipe(guard_pipe, &ovl);
    if (!ret && GetLastError() == ERROR_IO_PENDING)
        ret = guard_wait(guard_pipe, &ovl, guard_process, GUARD_TIMEOUT_MS, &done);
    else if (!ret && GetLastError() == ERROR_PIPE_CONNECTED) ret = TRUE;
    CloseHandle(ovl.hEvent);
    return ret;
}

static void guard_close(void)
{
    if (guard_pipe) CloseHandle(guard_pipe);
    if (guard_process) CloseHandle(guard_process);
    guard_pipe = guard_process = NULL;
}

static BOOL guard_start(void)
{
    STARTUPINFOW startup = { sizeof(startup) };
    PROCESS_INFORMATION info;
    WCHAR pipe_name[64], command[MAX_PATH + 96], system_dir[MAX_PATH];

    swprintf(pipe_name, ARRAY_SIZE(pipe_name), L"\\\\.\\pipe\\qmgr-bitsguard-%lu-%lu",
             GetCurrentProcessId(), GetTickCount());
    guard_pipe = CreateNamedPipeW(pipe_name, PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED | FILE_FLAG_FIRST_PIPE_INSTANCE,
                                  PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT, 1,
                                  sizeof(struct guard_register), sizeof(struct guard_register), 0, NULL);
    if (guard_pipe == INVALID_HANDLE_VALUE)
    {
        guard_pipe = NULL;
        return FALSE;
    }

    GetSystemDirectoryW(system_dir, ARRAY_SIZE(system_dir));
    swprintf(command, ARRAY_SIZE(command), L"\"%s\\bitsguard.exe\" %lu %s", system_dir,
             GetCurrentProcessId(), pipe_name);
    if (!CreateProcessW(NULL, command, NULL, NULL, FALSE, DETACHED_PROCESS | CREATE_NO_WINDOW,
                        NULL, system_dir, &startup, &info))
    {
        WARN("Cannot start %s, error %lu.\n", debugstr_w(command), GetLastError());
        guard_close();
        return FALSE;
    }
    CloseHandle(info.hThread);
    guard_process = info.hProcess;
    return guard_connect();
}

/* The provider, table-marshalled as combase does for a multiple-use local server. */
static HRESULT marshal_provider(struct guard_register *request)
{
    LARGE_INTEGER zero = { 0 };
    ULARGE_INTEGER size;
    ULONG read;
    HRESULT hr;

    if (FAILED(hr = CreateStreamOnHGlobal(NULL, TRUE, &marshalled))) return hr;
    hr = CoMarshalInterface(marshalled, &IID_IServiceProvider, (IUnknown *)&provider, MSHCTX_LOCAL, NULL,
                            MSHLFLAGS_TABLESTRONG);
    if (FAILED(hr))
    {
        IStream_Release(marshalled);
        marshalled = NULL;
        return hr;
    }
    IStream_Seek(marshalled, zero, STREAM_SEEK_CUR, &size);
    if (size.QuadPart > sizeof(request->objref)) return E_OUTOFMEMORY;
    IStream_Seek(marshalled, zero, STREAM_SEEK_SET, NULL);
    hr = IStream_Read(marshalled, request->objref, size.LowPart, &read);
    request->objref_size = read;
    return hr;
}

static void release_provider(void)
{
    LARGE_INTEGER zero = { 0 };

    if (!marshalled) return;
    IStream_Seek(marshalled, zero, STREAM_SEEK_SET, NULL);
    CoReleaseMarshalData(marshalled);
    IStream_Release(marshalled);
    marshalled = NULL;
}

static HRESULT register_with_guard(void)
{
    struct guard_register *request;
    struct guard_reply reply = { 0 };
    unsigned int i;
    DWORD done;
    HRESULT hr;

    if (served_count > GUARD_MAX_CLASSES || !(request = calloc(1, sizeof(*request)))) return E_OUTOFMEMORY;
    request->magic = GUARD_MAGIC;
    request->count = served_count;
    request->flags = REGCLS_MULTIPLEUSE;
    for (i = 0; i < served_count; i++) request->clsids[i] = *served_clsids[i];
    hr = marshal_provider(request);

    if (SUCCEEDED(hr) && !guard_start()) hr = HRESULT_FROM_WIN32(ERROR_SERVICE_DEPENDENCY_FAIL);
    if (SUCCEEDED(hr))
    {
        if (!guard_io(request, sizeof(*request), TRUE, &done) || !guard_io(&reply, sizeof(reply), FALSE, &done)
                || done != sizeof(reply) || reply.magic != GUARD_MAGIC)
            hr = HRESULT_FROM_WIN32(ERROR_SERVICE_DEPENDENCY_FAIL);
        else
            hr = reply.hr;
    }
    free(request);
    if (FAILED(hr))
    {
        guard_close();
        release_provider();
    }
    return hr;
}

/* ---- the fallback: combase's own registration ---- */

static DWORD *com_cookies;

static HRESULT register_with_com(void)
{
    unsigned int i;
    HRESULT hr = S_OK;

    if (!(com_cookies = calloc(served_count, sizeof(*com_cookies)))) return E_OUTOFMEMORY;
    for (i = 0; i < served_count && SUCCEEDED(hr); i++)
        hr = CoRegisterClassObject(served_clsids[i], (IUnknown *)served_factory, CLSCTX_LOCAL_SERVER,
                                   REGCLS_MULTIPLEUSE, &com_cookies[i]);
    if (FAILED(hr))
    {
        ERR("Failed to register %s, hr %#lx.\n", debugstr_guid(served_clsids[i - 1]), hr);
        while (--i) CoRevokeClassObject(com_cookies[i - 1]);
        free(com_cookies);
        com_cookies = NULL;
    }
    return hr;
}

HRESULT activation_register(IClassFactory *factory, const CLSID *const *clsids, unsigned int count)
{
    HRESULT hr;

    served_factory = factory;
    served_clsids = clsids;
    served_count = count;
    if (SUCCEEDED(hr = register_with_guard())) return hr;
    WARN("bitsguard unavailable (hr %#lx); a killed service will not restart until Wine does.\n", hr);
    return register_with_com();
}

void activation_revoke(void)
{
    struct guard_reply reply;
    char command = GUARD_REVOKE;
    unsigned int i;
    DWORD done;

    if (guard_pipe)
    {
        if (guard_io(&command, sizeof(command), TRUE, &done)) guard_io(&reply, sizeof(reply), FALSE, &done);
        guard_close();
        release_provider();
    }
    if (com_cookies)
    {
        for (i = 0; i < served_count; i++) CoRevokeClassObject(com_cookies[i]);
        free(com_cookies);
        com_cookies = NULL;
    }
}
