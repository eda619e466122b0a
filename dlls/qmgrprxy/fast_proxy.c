/*
 * The client's end of the fast call channel (../qmgr/fast_wire.h).
 *
 * A service object marshalled by the service's IMarshal arrives as a handle;
 * this file's object stands for it in the client.  For each of the object's
 * interfaces it builds the generated proxy of this DLL, aggregated, and
 * connects it to a channel of ours instead of COM's: the NDR request goes
 * through a section shared with the service and two events, and a service
 * thread runs it through the generated stub.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#define COBJMACROS
#define CONST_VTABLE
#include "windef.h"
#include "winbase.h"
#include "winreg.h"
#include "objbase.h"
#include "objidl.h"
#include "rpcproxy.h"

#include "qmgrprxy.h"
#include "qmgrprxy_private.h"
#include "../qmgr/fast_wire.h"
#include "../qmgr/list.h"

/* ---- transport: channels to a service process ---- */

struct transport
{
    struct list entry;
    HANDLE section;
    HANDLE request;
    HANDLE reply;
    struct fast_message *message;
};

struct service
{
    struct list entry;
    DWORD pid;
    HANDLE process;          /* SYNCHRONIZE | PROCESS_DUP_HANDLE */
    struct list idle;        /* transports no call is using */
};

static CRITICAL_SECTION services_cs;
static CRITICAL_SECTION_DEBUG services_cs_debug =
{
    0, 0, &services_cs,
    { &services_cs_debug.ProcessLocksList, &services_cs_debug.ProcessLocksList },
    0, 0, { (DWORD_PTR)0 }
};
static CRITICAL_SECTION services_cs = { &services_cs_debug, -1, 0, 0, 0, 0 };
static struct list services = LIST_INIT(services);

static struct service *get_service(DWORD pid)
{
    struct service *service;

    EnterCriticalSection(&services_cs);
    LIST_FOR_EACH_ENTRY(service, &services, struct service, entry)
    {
        if (service->pid != pid) continue;
        LeaveCriticalSection(&services_cs);
        return service;
    }
    if ((service = calloc(1, sizeof(*service))))
    {
        if ((service->process = OpenProcess(SYNCHRONIZE | PROCESS_DUP_HANDLE, FALSE, pid)))
        {
            service->pid = pid;
            list_init(&service->idle);
            list_add_tail(&services, &service->entry);
        }
        else
        {
            free(service);
            service = NULL;
        }
    }
    LeaveCriticalSection(&services_cs);
    return service;
}

static void free_transport(struct transport *transport)
{
    if (transport->message) UnmapViewOfFile(transport->message);
    if (transport->section) CloseHandle(transport->section);
    if (transport->request) CloseHandle(transport->request);
    if (transport->reply) CloseHandle(transport->reply);
    free(transport);
}

/* The service's answer, from the service itself, within 10 seconds. */
static BOOL read_answer(struct service *service, HANDLE pipe, struct fast_connect *answer, DWORD *read)
{
    OVERLAPPED overlapped = { 0 };
    ULONG server;
    BOOL ok = FALSE;

    if (!GetNamedPipeServerProcessId(pipe, &server) || server != service->pid) return FALSE;
    if (!(overlapped.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL))) return FALSE;
    if (ReadFile(pipe, answer, sizeof(*answer), NULL, &overlapped) || GetLastError() == ERROR_IO_PENDING)
    {
        HANDLE handles[2] = { overlapped.hEvent, service->process };

        if (WaitForMultipleObjects(2, handles, FALSE, 10000) == WAIT_OBJECT_0)
            ok = GetOverlappedResult(pipe, &overlapped, read, FALSE);
        else
        {
            CancelIo(pipe);
            GetOverlappedResult(pipe, &overlapped, read, TRUE);
        }
    }
    CloseHandle(overlapped.hEvent);
    return ok;
}

/* A new channel: the service makes it and hands its handles over through its pipe. */
static struct transport *connect_transport(struct service *service)
{
    struct fast_connect answer;
    struct transport *transport;
    DWORD start = GetTickCount(), error, read = 0;
    HANDLE pipe;
    WCHAR name[64];
    BOOL ok;

    swprintf(name, ARRAYSIZE(name), FAST_PIPE_FORMAT, service->pid);
    /* The service serves one client at a time: the others wait their turn. */
    for (;;)
    {
        pipe = CreateFileW(name, GENERIC_READ, 0, NULL, OPEN_EXISTING, FILE_FLAG_OVERLAPPED, NULL);
        if (pipe != INVALID_HANDLE_VALUE) break;
        error = GetLastError();
        if ((error != ERROR_PIPE_BUSY && error != ERROR_FILE_NOT_FOUND) || GetTickCount() - start > 10000 ||
            WaitForSingleObject(service->process, 0) != WAIT_TIMEOUT)
            return NULL;
        if (error == ERROR_PIPE_BUSY) WaitNamedPipeW(name, 1000);
        else Sleep(10);
    }
    ok = read_answer(service, pipe, &answer, &read);
    CloseHandle(pipe);
    if (!ok || read != sizeof(answer) || answer.version != FAST_WIRE_VERSION) return NULL;
    if (!(transport = calloc(1, sizeof(*transport))))
    {
        answer.status = ERROR_OUTOFMEMORY;
    }
    if (answer.status)
    {
        /* Refused: whatever it gave is still ours to close. */
        if (answer.section) CloseHandle((HANDLE)(UINT_PTR)answer.section);
        if (answer.request_event) CloseHandle((HANDLE)(UINT_PTR)answer.request_event);
        if (answer.reply_event) CloseHandle((HANDLE)(UINT_PTR)answer.reply_event);
        free(transport);
        return NULL;
    }
    transport->section = (HANDLE)(UINT_PTR)answer.section;
    transport->request = (HANDLE)(UINT_PTR)answer.request_event;
    transport->reply = (HANDLE)(UINT_PTR)answer.reply_event;
    if (!(transport->message = MapViewOfFile(transport->section, FILE_MAP_READ | FILE_MAP_WRITE, 0, 0,
                                             FAST_SECTION_SIZE)))
    {
        free_transport(transport);
        return NULL;
    }
    return transport;
}

static struct transport *take_transport(struct service *service)
{
    struct transport *transport = NULL;
    struct list *head;

    EnterCriticalSection(&services_cs);
    if ((head = list_head(&service->idle)))
    {
        transport = LIST_ENTRY(head, struct transport, entry);
        list_remove(&transport->entry);
    }
    LeaveCriticalSection(&services_cs);
    return transport ? transport : connect_transport(service);
}

static void return_transport(struct service *service, struct transport *transport)
{
    EnterCriticalSection(&services_cs);
    list_add_head(&service->idle, &transport->entry);
    LeaveCriticalSection(&services_cs);
}

/* Data for the service: in the section, or where it is when it does not fit
 * (the service reads it from this process while the call runs). */
static HRESULT put_data(struct fast_message *message, const void *data, DWORD size)
{
    if (size > FAST_MAX_DATA) return E_OUTOFMEMORY;
    message->size = size;
    message->large = 0;
    if (size <= FAST_DATA_MAX) memcpy((BYTE *)message + FAST_DATA_OFFSET, data, size);
    else message->large = (UINT_PTR)data;
    return S_OK;
}

/* NDR buffers carry the interface's IID before them: the request needs it. */
struct buffer
{
    IID iid;
    BYTE padding[16];
    BYTE data[];
};

static void *alloc_buffer(REFIID iid, DWORD size)
{
    struct buffer *buffer;

    if (!(buffer = malloc(offsetof(struct buffer, data[max(size, 1)])))) return NULL;
    buffer->iid = *iid;
    return buffer->data;
}

static struct buffer *buffer_header(void *data)
{
    return CONTAINING_RECORD(data, struct buffer, data);
}

static void free_buffer(void *data)
{
    if (data) free(buffer_header(data));
}

/* The reply's data, in a buffer of its own. */
static void *take_data(struct fast_message *message, REFIID iid)
{
    BYTE *data, *view;

    HANDLE section = (HANDLE)(UINT_PTR)message->large;

    message->large = 0;
    if (!section && message->size > FAST_DATA_MAX) return NULL;
    if (!(data = alloc_buffer(iid, message->size)))
    {
        if (section) CloseHandle(section);
        return NULL;
    }
    if (!section)
    {
        memcpy(data, (BYTE *)message + FAST_DATA_OFFSET, message->size);
        return data;
    }
    view = MapViewOfFile(section, FILE_MAP_READ, 0, 0, message->size);
    CloseHandle(section);
    if (!view)
    {
        free_buffer(data);
        return NULL;
    }
    memcpy(data, view, message->size);
    UnmapViewOfFile(view);
    return data;
}

/* Sends the message the transport holds and waits for the reply.  An
 * apartment thread keeps taking COM's calls meanwhile, as in a COM call. */
static HRESULT exchange(struct service *service, struct transport *transport)
{
    HANDLE handles[2] = { transport->reply, service->process };
    DWORD index;
    HRESULT hr;
    APTTYPE type;
    APTTYPEQUALIFIER qualifier;

    if (SUCCEEDED(CoGetApartmentType(&type, &qualifier)) && (type == APTTYPE_STA || type == APTTYPE_MAINSTA))
    {
        SetEvent(transport->request);
        if (FAILED(hr = CoWaitForMultipleHandles(0, INFINITE, 2, handles, &index))) return hr;
    }
    else
    {
        DWORD ret = SignalObjectAndWait(transport->request, transport->reply, FAST_QUIET_MS, FALSE);

        if (ret == WAIT_OBJECT_0) index = 0;
        else if (ret == WAIT_TIMEOUT) index = WaitForMultipleObjects(2, handles, FALSE, INFINITE) - WAIT_OBJECT_0;
        else index = 1;
    }
    /* The service is gone: as COM says of a server that died. */
    if (index != 0) return HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE);
    return S_OK;
}

/* A message without data: a query or a change of references. */
static HRESULT simple_request(struct service *service, enum fast_kind kind, UINT64 handle, REFIID iid, LONG count,
                              DWORD flags)
{
    struct transport *transport;
    struct fast_message *message;
    HRESULT hr;

    if (!(transport = take_transport(service))) return HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE);
    message = transport->message;
    memset(message, 0, sizeof(*message));
    message->kind = kind;
    message->handle = handle;
    if (iid) message->iid = *iid;
    message->count = count;
    message->flags = flags;
    if (SUCCEEDED(hr = exchange(service, transport)))
    {
        hr = message->status;
        return_transport(service, transport);
    }
    else free_transport(transport);
    return hr;
}

/* ---- the object's proxy ---- */

struct interface_proxy
{
    IID iid;
    IRpcProxyBuffer *buffer;
    IUnknown *iface;          /* holds no reference of its own */
};

struct fast_proxy
{
    IUnknown IUnknown_iface;
    IMarshal IMarshal_iface;
    IRpcChannelBuffer IRpcChannelBuffer_iface;
    IClientSecurity IClientSecurity_iface;
    struct list entry;        /* in the process's list, by handle */
    LONG refcount;
    LONG remote_refs;         /* references to the handle this proxy holds */
    struct service *service;
    UINT64 handle;
    CRITICAL_SECTION cs;
    struct interface_proxy *proxies;
    unsigned int proxy_count;
};

static const IMarshalVtbl proxy_marshal_vtbl;

static CRITICAL_SECTION proxies_cs;
static CRITICAL_SECTION_DEBUG proxies_cs_debug =
{
    0, 0, &proxies_cs,
    { &proxies_cs_debug.ProcessLocksList, &proxies_cs_debug.ProcessLocksList },
    0, 0, { (DWORD_PTR)0 }
};
static CRITICAL_SECTION proxies_cs = { &proxies_cs_debug, -1, 0, 0, 0, 0 };
static struct list proxies = LIST_INIT(proxies);

static struct fast_proxy *impl_from_IUnknown(IUnknown *iface)
{
    return CONTAINING_RECORD(iface, struct fast_proxy, IUnknown_iface);
}

static struct fast_proxy *impl_from_IMarshal(IMarshal *iface)
{
    return CONTAINING_RECORD(iface, struct fast_proxy, IMarshal_iface);
}

static struct fast_proxy *impl_from_IRpcChannelBuffer(IRpcChannelBuffer *iface)
{
    return CONTAINING_RECORD(iface, struct fast_proxy, IRpcChannelBuffer_iface);
}

static HRESULT get_factory(IPSFactoryBuffer **factory)
{
    static const CLSID proxy_clsid = PROXY_CLSID_IS;

    return PrxDllGetClassObject(&proxy_clsid, &IID_IPSFactoryBuffer, (void **)factory);
}

/* The interface's proxy, made on first use: proxy lock held. */
static HRESULT find_interface(struct fast_proxy *proxy, REFIID iid, BOOL known, IUnknown **ret)
{
    struct interface_proxy *list;
    IPSFactoryBuffer *factory;
    IRpcProxyBuffer *buffer;
    IUnknown *iface;
    unsigned int i;
    HRESULT hr;

    for (i = 0; i < proxy->proxy_count; i++)
    {
        if (!IsEqualGUID(&proxy->proxies[i].iid, iid)) continue;
        *ret = proxy->proxies[i].iface;
        return S_OK;
    }
    if (!fast_is_service_iid(iid)) return E_NOINTERFACE;
    /* As COM asks the server for an interface it has no proxy for yet. */
    if (!known && FAILED(hr = simple_request(proxy->service, FAST_QUERY, proxy->handle, iid, 0, 0))) return hr;
    if (!(list = realloc(proxy->proxies, (proxy->proxy_count + 1) * sizeof(*list)))) return E_OUTOFMEMORY;
    proxy->proxies = list;
    if (FAILED(hr = get_factory(&factory))) return hr;
    hr = IPSFactoryBuffer_CreateProxy(factory, &proxy->IUnknown_iface, iid, &buffer, (void **)&iface);
    IPSFactoryBuffer_Release(factory);
    if (FAILED(hr)) return hr;
    /* The interface came with a reference to us, its outer object: a cycle. */
    IUnknown_Release(&proxy->IUnknown_iface);
    IRpcProxyBuffer_Connect(buffer, &proxy->IRpcChannelBuffer_iface);
    list[proxy->proxy_count].iid = *iid;
    list[proxy->proxy_count].buffer = buffer;
    list[proxy->proxy_count].iface = iface;
    proxy->proxy_count++;
    *ret = iface;
    return S_OK;
}

static HRESULT WINAPI proxy_QueryInterface(IUnknown *iface, REFIID riid, void **obj)
{
    struct fast_proxy *proxy = impl_from_IUnknown(iface);
    IUnknown *found;
    HRESULT hr;

    *obj = NULL;
    if (IsEqualGUID(riid, &IID_IUnknown)) *obj = &proxy->IUnknown_iface;
    else if (IsEqualGUID(riid, &IID_IMarshal)) *obj = &proxy->IMarshal_iface;
    else if (IsEqualGUID(riid, &IID_IClientSecurity)) *obj = &proxy->IClientSecurity_iface;
    if (*obj)
    {
        IUnknown_AddRef(iface);
        return S_OK;
    }
    EnterCriticalSection(&proxy->cs);
    hr = find_interface(proxy, riid, FALSE, &found);
    LeaveCriticalSection(&proxy->cs);
    if (FAILED(hr)) return hr == RPC_E_DISCONNECTED ? E_NOINTERFACE : hr;
    IUnknown_AddRef(found);
    *obj = found;
    return S_OK;
}

static ULONG WINAPI proxy_AddRef(IUnknown *iface)
{
    return InterlockedIncrement(&impl_from_IUnknown(iface)->refcount);
}

static ULONG WINAPI proxy_Release(IUnknown *iface)
{
    struct fast_proxy *proxy = impl_from_IUnknown(iface);
    unsigned int i;
    ULONG refcount;

    /* Under the list's lock: an unmarshal may be finding this proxy. */
    EnterCriticalSection(&proxies_cs);
    if ((refcount = InterlockedDecrement(&proxy->refcount))) 
    {
        LeaveCriticalSection(&proxies_cs);
        return refcount;
    }
    list_remove(&proxy->entry);
    LeaveCriticalSection(&proxies_cs);

    for (i = 0; i < proxy->proxy_count; i++)
    {
        IRpcProxyBuffer_Disconnect(proxy->proxies[i].buffer);
        IRpcProxyBuffer_Release(proxy->proxies[i].buffer);
    }
    free(proxy->proxies);
    while (proxy->remote_refs > 0)
    {
        LONG count = min(proxy->remote_refs, FAST_MAX_COUNT);

        simple_request(proxy->service, FAST_RELEASE, proxy->handle, NULL, count, 0);
        proxy->remote_refs -= count;
    }
    proxy->cs.DebugInfo->Spare[0] = 0;
    DeleteCriticalSection(&proxy->cs);
    free(proxy);
    return 0;
}

static const IUnknownVtbl proxy_vtbl =
{
    proxy_QueryInterface,
    proxy_AddRef,
    proxy_Release,
};

/* ---- the channel the generated proxies call through ---- */

static HRESULT WINAPI channel_QueryInterface(IRpcChannelBuffer *iface, REFIID riid, void **obj)
{
    if (IsEqualGUID(riid, &IID_IUnknown) || IsEqualGUID(riid, &IID_IRpcChannelBuffer))
    {
        *obj = iface;
        IRpcChannelBuffer_AddRef(iface);
        return S_OK;
    }
    *obj = NULL;
    return E_NOINTERFACE;
}

/* The channel is part of the proxy; the interface proxies hold it only while
 * the proxy lives, so it counts no references. */
static ULONG WINAPI channel_AddRef(IRpcChannelBuffer *iface)
{
    return 2;
}

static ULONG WINAPI channel_Release(IRpcChannelBuffer *iface)
{
    return 1;
}

static HRESULT WINAPI channel_GetBuffer(IRpcChannelBuffer *iface, RPCOLEMESSAGE *msg, REFIID riid)
{
    if (!(msg->Buffer = alloc_buffer(riid, msg->cbBuffer))) return E_OUTOFMEMORY;
    return S_OK;
}

static HRESULT WINAPI channel_SendReceive(IRpcChannelBuffer *iface, RPCOLEMESSAGE *msg, ULONG *status)
{
    struct fast_proxy *proxy = impl_from_IRpcChannelBuffer(iface);
    const IID *iid = &buffer_header(msg->Buffer)->iid;
    struct transport *transport;
    struct fast_message *message;
    HANDLE token;
    void *reply;
    HRESULT hr;

    if (status) *status = 0;
    if (!(transport = take_transport(proxy->service))) return HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE);
    message = transport->message;
    memset(message, 0, sizeof(*message));
    message->kind = FAST_CALL;
    /* Without the RPC_FLAGS_VALID_BIT NDR sets in it, as RPC sends the number. */
    message->method = msg->iMethod & ~0x8000;
    message->handle = proxy->handle;
    message->iid = *iid;
    if (FAILED(hr = put_data(message, msg->Buffer, msg->cbBuffer)))
    {
        return_transport(proxy->service, transport);
        return hr;
    }
    identity_describe_call(&message->identity, TRUE, &token);
    hr = exchange(proxy->service, transport);
    /* The service has duplicated the thread's token if it needed it. */
    if (token) CloseHandle(token);
    if (FAILED(hr))
    {
        free_transport(transport);
        return hr;
    }

    hr = message->status;
    /* The stub raised an exception: the generated proxy raises it again. */
    if (SUCCEEDED(hr) && message->fault) hr = FAILED(message->fault) ? message->fault : HRESULT_FROM_WIN32(message->fault);
    if (SUCCEEDED(hr))
    {
        if ((reply = take_data(message, iid)))
        {
            free_buffer(msg->Buffer);
            msg->Buffer = reply;
            msg->cbBuffer = message->size;
            msg->dataRepresentation = NDR_LOCAL_DATA_REPRESENTATION;
        }
        else hr = E_OUTOFMEMORY;
    }
    return_transport(proxy->service, transport);
    return hr;
}

static HRESULT WINAPI channel_FreeBuffer(IRpcChannelBuffer *iface, RPCOLEMESSAGE *msg)
{
    free_buffer(msg->Buffer);
    msg->Buffer = NULL;
    return S_OK;
}

static HRESULT WINAPI channel_GetDestCtx(IRpcChannelBuffer *iface, DWORD *context, void **context_data)
{
    *context = MSHCTX_LOCAL;
    if (context_data) *context_data = NULL;
    return S_OK;
}

static HRESULT WINAPI channel_IsConnected(IRpcChannelBuffer *iface)
{
    struct fast_proxy *proxy = impl_from_IRpcChannelBuffer(iface);

    return WaitForSingleObject(proxy->service->process, 0) == WAIT_TIMEOUT ? S_OK : S_FALSE;
}

static const IRpcChannelBufferVtbl channel_vtbl =
{
    channel_QueryInterface,
    channel_AddRef,
    channel_Release,
    channel_GetBuffer,
    channel_SendReceive,
    channel_FreeBuffer,
    channel_GetDestCtx,
    channel_IsConnected,
};

/* ---- CoSetProxyBlanket and CoQueryProxyBlanket ---- */

/* The channel carries the calling thread's identity with every call, as
 * dynamic cloaking would: there is no blanket to change. */
static struct fast_proxy *impl_from_IClientSecurity(IClientSecurity *iface)
{
    return CONTAINING_RECORD(iface, struct fast_proxy, IClientSecurity_iface);
}

static HRESULT WINAPI security_QueryInterface(IClientSecurity *iface, REFIID riid, void **obj)
{
    return IUnknown_QueryInterface(&impl_from_IClientSecurity(iface)->IUnknown_iface, riid, obj);
}

static ULONG WINAPI security_AddRef(IClientSecurity *iface)
{
    return IUnknown_AddRef(&impl_from_IClientSecurity(iface)->IUnknown_iface);
}

static ULONG WINAPI security_Release(IClientSecurity *iface)
{
    return IUnknown_Release(&impl_from_IClientSecurity(iface)->IUnknown_iface);
}

static HRESULT WINAPI security_QueryBlanket(IClientSecurity *iface, IUnknown *proxy, DWORD *authn, DWORD *authz,
                                            OLECHAR **server_name, DWORD *level, DWORD *impersonation,
                                            void **identity, DWORD *capabilities)
{
    if (authn) *authn = RPC_C_AUTHN_WINNT;
    if (authz) *authz = RPC_C_AUTHZ_NONE;
    if (server_name) *server_name = NULL;
    if (level) *level = RPC_C_AUTHN_LEVEL_CONNECT;
    if (impersonation) *impersonation = RPC_C_IMP_LEVEL_IMPERSONATE;
    if (identity) *identity = NULL;
    if (capabilities) *capabilities = EOAC_DYNAMIC_CLOAKING;
    return S_OK;
}

static HRESULT WINAPI security_SetBlanket(IClientSecurity *iface, IUnknown *proxy, DWORD authn, DWORD authz,
                                          OLECHAR *server_name, DWORD level, DWORD impersonation, void *identity,
                                          DWORD capabilities)
{
    return S_OK;
}

static HRESULT WINAPI security_CopyProxy(IClientSecurity *iface, IUnknown *proxy, IUnknown **copy)
{
    if (!proxy || !copy) return E_INVALIDARG;
    IUnknown_AddRef(proxy);
    *copy = proxy;
    return S_OK;
}

static const IClientSecurityVtbl security_vtbl =
{
    security_QueryInterface,
    security_AddRef,
    security_Release,
    security_QueryBlanket,
    security_SetBlanket,
    security_CopyProxy,
};

/* ---- marshalling the proxy on, and unmarshalling ---- */

static HRESULT WINAPI proxy_marshal_QueryInterface(IMarshal *iface, REFIID riid, void **obj)
{
    return IUnknown_QueryInterface(&impl_from_IMarshal(iface)->IUnknown_iface, riid, obj);
}

static ULONG WINAPI proxy_marshal_AddRef(IMarshal *iface)
{
    return IUnknown_AddRef(&impl_from_IMarshal(iface)->IUnknown_iface);
}

static ULONG WINAPI proxy_marshal_Release(IMarshal *iface)
{
    return IUnknown_Release(&impl_from_IMarshal(iface)->IUnknown_iface);
}

static HRESULT WINAPI proxy_marshal_GetUnmarshalClass(IMarshal *iface, REFIID riid, void *pv, DWORD context,
                                                      void *context_data, DWORD flags, CLSID *clsid)
{
    *clsid = CLSID_QmgrFastProxy;
    return S_OK;
}

static HRESULT WINAPI proxy_marshal_GetMarshalSizeMax(IMarshal *iface, REFIID riid, void *pv, DWORD context,
                                                      void *context_data, DWORD flags, DWORD *size)
{
    *size = sizeof(struct fast_objref);
    return S_OK;
}

/* Another reference to the same handle, for whoever unmarshals it (any
 * process on this machine, or another apartment of this one). */
static HRESULT WINAPI proxy_marshal_MarshalInterface(IMarshal *iface, IStream *stream, REFIID riid, void *pv,
                                                     DWORD context, void *context_data, DWORD flags)
{
    struct fast_proxy *proxy = impl_from_IMarshal(iface);
    struct fast_objref ref = { FAST_WIRE_VERSION };
    HRESULT hr;

    if (context != MSHCTX_LOCAL && context != MSHCTX_INPROC && context != MSHCTX_NOSHAREDMEM) return E_INVALIDARG;
    ref.service_pid = proxy->service->pid;
    ref.handle = proxy->handle;
    ref.table = flags == MSHLFLAGS_TABLESTRONG || flags == MSHLFLAGS_TABLEWEAK;
    /* Another process claims the reference when it unmarshals it. */
    ref.unclaimed = context != MSHCTX_INPROC;
    ref.padding = fast_objref_padding(&proxy->IMarshal_iface, riid, context, context_data, flags);
    if (FAILED(hr = simple_request(proxy->service, FAST_ADDREF, proxy->handle, NULL, 1,
                                   ref.unclaimed ? FAST_UNCLAIMED : 0)))
        return hr;
    if (FAILED(hr = fast_write_objref(stream, &ref)))
        simple_request(proxy->service, FAST_RELEASE, proxy->handle, NULL, 1, ref.unclaimed ? FAST_UNCLAIMED : 0);
    return hr;
}

static const IClassFactoryVtbl factory_vtbl;
static IClassFactory factory;

/* COM creates our unmarshaller for every reference it unmarshals, through
 * the registry, which costs Wine some 0.3 ms a time; a class registered in
 * the apartment is found first.  The first unmarshal in each apartment
 * registers it (what a new apartment costs is only the slow way once). */
static void register_in_apartment(void)
{
    static BOOL in_mta;
    static DWORD sta_index = TLS_OUT_OF_INDEXES;
    APTTYPEQUALIFIER qualifier;
    APTTYPE type;
    DWORD cookie, index;

    if (FAILED(CoGetApartmentType(&type, &qualifier))) return;
    if (type == APTTYPE_MTA)
    {
        if (in_mta) return;
    }
    else if (type == APTTYPE_STA || type == APTTYPE_MAINSTA)
    {
        if (sta_index == TLS_OUT_OF_INDEXES)
        {
            if ((index = TlsAlloc()) == TLS_OUT_OF_INDEXES) return;
            if (InterlockedCompareExchange((LONG *)&sta_index, index, TLS_OUT_OF_INDEXES) != TLS_OUT_OF_INDEXES)
                TlsFree(index);
        }
        if (TlsGetValue(sta_index)) return;
    }
    else return;
    if (FAILED(CoRegisterClassObject(&CLSID_QmgrFastProxy, (IUnknown *)&factory, CLSCTX_INPROC_SERVER,
                                     REGCLS_MULTIPLEUSE, &cookie)))
        return;
    /* Two threads of the MTA may both register: the second registration is as good. */
    if (type == APTTYPE_MTA) in_mta = TRUE;
    else TlsSetValue(sta_index, (void *)1);
}

/* The proxy for a handle: this process's one, or a new one.  It takes over
 * the reference the object reference carries. */
static HRESULT unmarshal(const struct fast_objref *ref, REFIID riid, void **obj)
{
    struct fast_proxy *proxy, *found = NULL;
    struct service *service;
    IUnknown *iface;
    HRESULT hr;

    *obj = NULL;
    register_in_apartment();
    if (!(service = get_service(ref->service_pid))) return HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE);
    if (ref->table) hr = simple_request(service, FAST_ADDREF, ref->handle, NULL, 1, 0);
    else if (ref->unclaimed) hr = simple_request(service, FAST_CLAIM, ref->handle, NULL, 0, 0);
    else hr = S_OK;
    if (FAILED(hr)) return hr;

    EnterCriticalSection(&proxies_cs);
    LIST_FOR_EACH_ENTRY(proxy, &proxies, struct fast_proxy, entry)
    {
        if (proxy->service != service || proxy->handle != ref->handle) continue;
        found = proxy;
        InterlockedIncrement(&found->refcount);
        InterlockedIncrement(&found->remote_refs);
        break;
    }
    if (!found && (found = calloc(1, sizeof(*found))))
    {
        found->IUnknown_iface.lpVtbl = &proxy_vtbl;
        found->IMarshal_iface.lpVtbl = &proxy_marshal_vtbl;
        found->IRpcChannelBuffer_iface.lpVtbl = &channel_vtbl;
        found->IClientSecurity_iface.lpVtbl = &security_vtbl;
        found->refcount = 1;
        found->remote_refs = 1;
        found->service = service;
        found->handle = ref->handle;
        InitializeCriticalSection(&found->cs);
        found->cs.DebugInfo->Spare[0] = (DWORD_PTR)"fast_proxy.cs";
        list_add_tail(&proxies, &found->entry);
    }
    LeaveCriticalSection(&proxies_cs);
    if (!found)
    {
        simple_request(service, FAST_RELEASE, ref->handle, NULL, 1, 0);
        return E_OUTOFMEMORY;
    }

    if (IsEqualGUID(riid, &IID_IUnknown)) hr = S_OK, iface = &found->IUnknown_iface;
    else
    {
        /* The service marshalled the object as this interface: no need to ask. */
        EnterCriticalSection(&found->cs);
        hr = find_interface(found, riid, TRUE, &iface);
        LeaveCriticalSection(&found->cs);
    }
    if (SUCCEEDED(hr))
    {
        IUnknown_AddRef(iface);
        *obj = iface;
    }
    IUnknown_Release(&found->IUnknown_iface);
    return hr;
}

static HRESULT WINAPI proxy_marshal_UnmarshalInterface(IMarshal *iface, IStream *stream, REFIID riid, void **obj)
{
    struct fast_objref ref;
    HRESULT hr;

    if (FAILED(hr = fast_read_objref(stream, &ref))) return hr;
    return unmarshal(&ref, riid, obj);
}

static HRESULT WINAPI proxy_marshal_ReleaseMarshalData(IMarshal *iface, IStream *stream)
{
    struct fast_objref ref;
    struct service *service;
    HRESULT hr;

    if (FAILED(hr = fast_read_objref(stream, &ref))) return hr;
    if (!(service = get_service(ref.service_pid))) return S_OK;
    /* A reference nobody claimed is taken back from the unclaimed ones. */
    return simple_request(service, FAST_RELEASE, ref.handle, NULL, 1, ref.unclaimed ? FAST_UNCLAIMED : 0);
}

static HRESULT WINAPI proxy_marshal_DisconnectObject(IMarshal *iface, DWORD reserved)
{
    return S_OK;
}

static const IMarshalVtbl proxy_marshal_vtbl =
{
    proxy_marshal_QueryInterface,
    proxy_marshal_AddRef,
    proxy_marshal_Release,
    proxy_marshal_GetUnmarshalClass,
    proxy_marshal_GetMarshalSizeMax,
    proxy_marshal_MarshalInterface,
    proxy_marshal_UnmarshalInterface,
    proxy_marshal_ReleaseMarshalData,
    proxy_marshal_DisconnectObject,
};

/* ---- the unmarshaller COM creates from CLSID_QmgrFastProxy ---- */

static HRESULT WINAPI unmarshaller_QueryInterface(IMarshal *iface, REFIID riid, void **obj)
{
    if (IsEqualGUID(riid, &IID_IUnknown) || IsEqualGUID(riid, &IID_IMarshal))
    {
        *obj = iface;
        return S_OK;
    }
    *obj = NULL;
    return E_NOINTERFACE;
}

static ULONG WINAPI unmarshaller_AddRef(IMarshal *iface)
{
    return 2;
}

static ULONG WINAPI unmarshaller_Release(IMarshal *iface)
{
    return 1;
}

/* The unmarshaller stands for no object: it has nothing of its own to marshal. */
static HRESULT WINAPI unmarshaller_GetUnmarshalClass(IMarshal *iface, REFIID riid, void *pv, DWORD context,
                                                     void *context_data, DWORD flags, CLSID *clsid)
{
    return E_UNEXPECTED;
}

static HRESULT WINAPI unmarshaller_GetMarshalSizeMax(IMarshal *iface, REFIID riid, void *pv, DWORD context,
                                                     void *context_data, DWORD flags, DWORD *size)
{
    return E_UNEXPECTED;
}

static HRESULT WINAPI unmarshaller_MarshalInterface(IMarshal *iface, IStream *stream, REFIID riid, void *pv,
                                                    DWORD context, void *context_data, DWORD flags)
{
    return E_UNEXPECTED;
}

static const IMarshalVtbl unmarshaller_vtbl =
{
    unmarshaller_QueryInterface,
    unmarshaller_AddRef,
    unmarshaller_Release,
    unmarshaller_GetUnmarshalClass,
    unmarshaller_GetMarshalSizeMax,
    unmarshaller_MarshalInterface,
    proxy_marshal_UnmarshalInterface,
    proxy_marshal_ReleaseMarshalData,
    proxy_marshal_DisconnectObject,
};

static IMarshal unmarshaller = { &unmarshaller_vtbl };

static HRESULT WINAPI factory_QueryInterface(IClassFactory *iface, REFIID riid, void **obj)
{
    if (IsEqualGUID(riid, &IID_IUnknown) || IsEqualGUID(riid, &IID_IClassFactory))
    {
        *obj = iface;
        return S_OK;
    }
    *obj = NULL;
    return E_NOINTERFACE;
}

static ULONG WINAPI factory_AddRef(IClassFactory *iface)
{
    return 2;
}

static ULONG WINAPI factory_Release(IClassFactory *iface)
{
    return 1;
}

static HRESULT WINAPI factory_CreateInstance(IClassFactory *iface, IUnknown *outer, REFIID riid, void **obj)
{
    *obj = NULL;
    if (outer) return CLASS_E_NOAGGREGATION;
    return IMarshal_QueryInterface(&unmarshaller, riid, obj);
}

static HRESULT WINAPI factory_LockServer(IClassFactory *iface, BOOL lock)
{
    return S_OK;
}

static const IClassFactoryVtbl factory_vtbl =
{
    factory_QueryInterface,
    factory_AddRef,
    factory_Release,
    factory_CreateInstance,
    factory_LockServer,
};

static IClassFactory factory = { &factory_vtbl };


HRESULT fast_proxy_get_class_object(REFIID riid, void **obj)
{
    return IClassFactory_QueryInterface(&factory, riid, obj);
}

/* ---- registration ---- */

static void clsid_key(WCHAR *key, size_t size)
{
    wcscpy(key, L"CLSID\\");
    StringFromGUID2(&CLSID_QmgrFastProxy, key + wcslen(key), (int)(size - wcslen(key)));
}

HRESULT fast_proxy_register(HINSTANCE instance)
{
    WCHAR key[80], path[MAX_PATH];
    HKEY hkey, server;
    LSTATUS status;
    DWORD len;

    if (!(len = GetModuleFileNameW(instance, path, ARRAYSIZE(path))) || len == ARRAYSIZE(path)) return E_FAIL;
    clsid_key(key, ARRAYSIZE(key));
    if ((status = RegCreateKeyExW(HKEY_CLASSES_ROOT, key, 0, NULL, 0, KEY_WRITE, NULL, &hkey, NULL)))
        return HRESULT_FROM_WIN32(status);
    RegSetValueExW(hkey, NULL, 0, REG_SZ, (const BYTE *)L"BITS fast call proxy", sizeof(L"BITS fast call proxy"));
    if (!(status = RegCreateKeyExW(hkey, L"InprocServer32", 0, NULL, 0, KEY_WRITE, NULL, &server, NULL)))
    {
        RegSetValueExW(server, NULL, 0, REG_SZ, (const BYTE *)path, (wcslen(path) + 1) * sizeof(WCHAR));
        RegSetValueExW(server, L"ThreadingModel", 0, REG_SZ, (const BYTE *)L"Both", sizeof(L"Both"));
        RegCloseKey(server);
    }
    RegCloseKey(hkey);
    return HRESULT_FROM_WIN32(status);
}

HRESULT fast_proxy_unregister(void)
{
    WCHAR key[80];
    LSTATUS status;

    clsid_key(key, ARRAYSIZE(key));
    status = RegDeleteTreeW(HKEY_CLASSES_ROOT, key);
    return status == ERROR_FILE_NOT_FOUND ? S_OK : HRESULT_FROM_WIN32(status);
}
