/*
 * BITS proxy/stub: the client half of the identity channel hook.
 *
 * Every call a client makes on a BITS interface carries a description of the
 * token its thread acts as (identity_wire.h), so that the service can tell
 * owners apart, apply the administrator rules and take helper tokens.  Only
 * under Wine: Windows' COM gives the service the caller's token itself.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdarg.h>
#include <string.h>

#define COBJMACROS
#define CONST_VTABLE
#include "windef.h"
#include "winbase.h"
#include "objbase.h"
#include "objidl.h"
#include "rpcproxy.h"

#include "qmgrprxy.h"
#include "qmgrprxy_private.h"
#include "../qmgr/fast_wire.h"
#include "../qmgr/store_events.h"

/* Thread tokens passed to the service stay open until their call returns.
 * Calls nest only while one waits for its reply, so a stack suffices. */
#define MAX_NESTED_CALLS 32

struct thread_state
{
    struct identity_wire record;
    HANDLE open_tokens[MAX_NESTED_CALLS];
    unsigned int open_count;
};

static DWORD tls_index = TLS_OUT_OF_INDEXES;

static struct thread_state *get_thread_state(void)
{
    struct thread_state *state = TlsGetValue(tls_index);

    if (!state && (state = HeapAlloc(GetProcessHeap(), HEAP_ZERO_MEMORY, sizeof(*state))))
        TlsSetValue(tls_index, state);
    return state;
}

/* The process token rarely changes: described once. */
static struct identity_wire_token process_identity;
static INIT_ONCE process_identity_once = INIT_ONCE_STATIC_INIT;

static BOOL CALLBACK init_process_identity(INIT_ONCE *once, void *param, void **context)
{
    HANDLE token;

    if (OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token))
    {
        identity_describe_token(token, &process_identity);
        CloseHandle(token);
    }
    return TRUE;
}

/* The record of a call this thread makes now.  With may_open, a thread that
 * impersonates names its token, *token, which must stay open until the call
 * returns; else *token is NULL. */
void identity_describe_call(struct identity_wire *record, BOOL may_open, HANDLE *token)
{
    InitOnceExecuteOnce(&process_identity_once, init_process_identity, NULL, NULL);
    memset(record, 0, sizeof(*record));
    record->version = IDENTITY_WIRE_VERSION;
    record->process_id = GetCurrentProcessId();
    record->process = process_identity;
    *token = NULL;
    if (may_open &&
        OpenThreadToken(GetCurrentThread(), TOKEN_QUERY | TOKEN_DUPLICATE | TOKEN_IMPERSONATE, TRUE, token))
    {
        identity_describe_token(*token, &record->effective);
        record->thread_token = (UINT_PTR)*token;
    }
    else
    {
        *token = NULL;
        record->effective = process_identity;
    }
}

static HRESULT WINAPI hook_QueryInterface(IChannelHook *iface, REFIID riid, void **obj)
{
    if (IsEqualGUID(riid, &IID_IUnknown) || IsEqualGUID(riid, &IID_IChannelHook))
    {
        *obj = iface;
        return S_OK;
    }
    *obj = NULL;
    return E_NOINTERFACE;
}

/* The hook lives as long as the process: its DLL is pinned. */
static ULONG WINAPI hook_AddRef(IChannelHook *iface)
{
    return 2;
}

static ULONG WINAPI hook_Release(IChannelHook *iface)
{
    return 1;
}

static void WINAPI hook_ClientGetSize(IChannelHook *iface, REFGUID extent, REFIID riid, ULONG *size)
{
    struct thread_state *state;
    HANDLE token;

    *size = 0;
    if (!IsEqualGUID(extent, &identity_extent_id) || !fast_is_service_iid(riid)) return;
    if (!(state = get_thread_state())) return;

    identity_describe_call(&state->record, state->open_count < MAX_NESTED_CALLS, &token);
    *size = sizeof(state->record);
}

static void WINAPI hook_ClientFillBuffer(IChannelHook *iface, REFGUID extent, REFIID riid, ULONG *size, void *buffer)
{
    struct thread_state *state = TlsGetValue(tls_index);

    if (!state || *size < sizeof(state->record))
    {
        *size = 0;
        return;
    }
    memcpy(buffer, &state->record, sizeof(state->record));
    *size = sizeof(state->record);
    /* Open until the reply: the service may duplicate it meanwhile.  A full
     * stack (Wine calls no ClientNotify for a call that failed on the way, so
     * such calls leave their entry) took no token in ClientGetSize. */
    if (state->open_count < MAX_NESTED_CALLS)
        state->open_tokens[state->open_count++] = state->record.thread_token ?
            (HANDLE)(UINT_PTR)state->record.thread_token : NULL;
}

static void WINAPI hook_ClientNotify(IChannelHook *iface, REFGUID extent, REFIID riid, ULONG size, void *buffer,
                                     DWORD data_rep, HRESULT fault)
{
    struct thread_state *state;
    HANDLE token;

    if (!IsEqualGUID(extent, &identity_extent_id) || !fast_is_service_iid(riid)) return;
    if (!(state = TlsGetValue(tls_index)) || !state->open_count) return;
    token = state->open_tokens[--state->open_count];
    if (token) CloseHandle(token);
}

/* The service half lives in qmgr.dll; calls into a client carry nothing back. */
static void WINAPI hook_ServerNotify(IChannelHook *iface, REFGUID extent, REFIID riid, ULONG size, void *buffer,
                                     DWORD data_rep)
{
}

static void WINAPI hook_ServerGetSize(IChannelHook *iface, REFGUID extent, REFIID riid, HRESULT fault, ULONG *size)
{
    *size = 0;
}

static void WINAPI hook_ServerFillBuffer(IChannelHook *iface, REFGUID extent, REFIID riid, ULONG *size,
                                         void *buffer, HRESULT fault)
{
    *size = 0;
}

static const IChannelHookVtbl hook_vtbl =
{
    hook_QueryInterface,
    hook_AddRef,
    hook_Release,
    hook_ClientGetSize,
    hook_ClientFillBuffer,
    hook_ClientNotify,
    hook_ServerNotify,
    hook_ServerGetSize,
    hook_ServerFillBuffer,
};

static IChannelHook identity_hook = { &hook_vtbl };

static BOOL CALLBACK register_hook(INIT_ONCE *once, void *param, void **context)
{
    HMODULE self;

    /* Windows' COM carries the caller's token by itself. */
    if (!GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "wine_get_version")) return TRUE;
    if ((tls_index = TlsAlloc()) == TLS_OUT_OF_INDEXES) return TRUE;
    /* COM keeps the hook until the process ends: the DLL must stay loaded. */
    if (!GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS | GET_MODULE_HANDLE_EX_FLAG_PIN,
                            (const WCHAR *)&identity_hook, &self))
        return TRUE;
    CoRegisterChannelHook(&identity_extent_id, &identity_hook);
    return TRUE;
}

/* The generated entry points carry the Prx prefix (ENTRY_PREFIX); these wrap them. */
extern HINSTANCE hProxyDll;

/* Wine ends a session by terminating the service as soon as its last client
 * exits, so a client does not go before the service has written what it
 * changed (store_events.h).  Bounded; nothing to wait for without a service. */
static void wait_for_store(void)
{
    HANDLE idle, hurry;

    if (!(idle = OpenEventW(SYNCHRONIZE, FALSE, STORE_IDLE_EVENT))) return;
    if (WaitForSingleObject(idle, 0) == WAIT_TIMEOUT)
    {
        if ((hurry = OpenEventW(EVENT_MODIFY_STATE, FALSE, STORE_HURRY_EVENT)))
        {
            SetEvent(hurry);
            CloseHandle(hurry);
        }
        WaitForSingleObject(idle, STORE_EXIT_WAIT_MS);
    }
    CloseHandle(idle);
}

/* Not the generated DllMain: that one turns off the thread notifications this needs. */
BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, void *reserved)
{
    struct thread_state *state;

    switch (reason)
    {
    case DLL_PROCESS_ATTACH:
        hProxyDll = instance;
        break;
    case DLL_PROCESS_DETACH:
        wait_for_store();
        break;
    case DLL_THREAD_DETACH:
        if (tls_index != TLS_OUT_OF_INDEXES && (state = TlsGetValue(tls_index)))
            HeapFree(GetProcessHeap(), 0, state);
        break;
    }
    return TRUE;
}

HRESULT WINAPI DllGetClassObject(REFCLSID clsid, REFIID riid, void **obj)
{
    static INIT_ONCE once = INIT_ONCE_STATIC_INIT;


    /* COM asks for the proxy factory before the first BITS call leaves the client. */
    InitOnceExecuteOnce(&once, register_hook, NULL, NULL);
    if (IsEqualGUID(clsid, &CLSID_QmgrFastProxy)) return fast_proxy_get_class_object(riid, obj);
    return PrxDllGetClassObject(clsid, riid, obj);
}

HRESULT WINAPI DllCanUnloadNow(void)
{
    return PrxDllCanUnloadNow();
}

HRESULT WINAPI DllRegisterServer(void)
{
    HRESULT hr;

    if (FAILED(hr = PrxDllRegisterServer())) return hr;
    return fast_proxy_register(hProxyDll);
}

HRESULT WINAPI DllUnregisterServer(void)
{
    fast_proxy_unregister();
    return PrxDllUnregisterServer();
}
