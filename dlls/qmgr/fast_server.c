/*
 * Background Intelligent Transfer Service: the serving end of the fast call
 * channel (fast_wire.h), in the service for its manager and jobs and in a
 * client (qmgrprxy.dll) for the callback objects it gives the service.
 *
 * An object served here marshals itself for another process as a handle in
 * this table.  qmgrprxy.dll's proxy for that handle connects through a named
 * pipe once per channel and is given a section and two events; it then sends
 * each call's NDR request through them, and a thread of ours per channel runs
 * it through the same generated stub COM would use.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COBJMACROS
#define CONST_VTABLE
#include "windef.h"
#include "winbase.h"
#include "objbase.h"
#include "objidl.h"
#include "rpcproxy.h"
#include "bits10_3.h"
#include "list.h"
#include "fast_server.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

/* ---- the table of marshalled objects ---- */

/* References one client process holds; process 0 stands for references
 * marshalled outside a client's call (a callback's argument) until a
 * process uses them. */
struct holder
{
    DWORD pid;
    LONG count;
};

struct stub
{
    IID iid;
    IRpcStubBuffer *buffer;
};

struct entry
{
    struct list by_handle;
    struct list by_object;
    UINT64 handle;
    IUnknown *object;
    LONG users;            /* calls running on it, plus one while in the table */
    struct holder *holders;
    unsigned int holder_count;
    struct stub *stubs;
    unsigned int stub_count;
};

#define TABLE_BUCKETS 1024

static struct
{
    CRITICAL_SECTION cs;
    struct list by_handle[TABLE_BUCKETS];
    struct list by_object[TABLE_BUCKETS];
    UINT64 next_handle;
} table;

static const struct fast_server_host *host;
static BOOL listening;
static BOOL enabled;

static unsigned int object_bucket(IUnknown *object)
{
    return ((UINT_PTR)object >> 4) % TABLE_BUCKETS;
}

static struct entry *find_handle(UINT64 handle)
{
    struct entry *entry;

    LIST_FOR_EACH_ENTRY(entry, &table.by_handle[handle % TABLE_BUCKETS], struct entry, by_handle)
        if (entry->handle == handle) return entry;
    return NULL;
}

static struct entry *find_object(IUnknown *object)
{
    struct entry *entry;

    LIST_FOR_EACH_ENTRY(entry, &table.by_object[object_bucket(object)], struct entry, by_object)
        if (entry->object == object) return entry;
    return NULL;
}

static void entry_put(struct entry *entry)
{
    unsigned int i;

    if (InterlockedDecrement(&entry->users)) return;
    for (i = 0; i < entry->stub_count; i++)
    {
        IRpcStubBuffer_Disconnect(entry->stubs[i].buffer);
        IRpcStubBuffer_Release(entry->stubs[i].buffer);
    }
    free(entry->stubs);
    free(entry->holders);
    IUnknown_Release(entry->object);
    free(entry);
}

static void watch_process(DWORD pid);

/* Table lock held. */
static struct holder *get_holder(struct entry *entry, DWORD pid, BOOL create)
{
    struct holder *holders;
    unsigned int i;

    for (i = 0; i < entry->holder_count; i++)
    {
        if (entry->holders[i].pid != pid) continue;
        /* A holder whose references all went may be a new process with an
         * old one's id: the watch on the old one is gone with it. */
        if (create && !entry->holders[i].count) watch_process(pid);
        return &entry->holders[i];
    }
    if (!create || !(holders = realloc(entry->holders, (entry->holder_count + 1) * sizeof(*holders)))) return NULL;
    watch_process(pid);
    entry->holders = holders;
    holders[entry->holder_count].pid = pid;
    holders[entry->holder_count].count = 0;
    return &holders[entry->holder_count++];
}

/* Table lock held: count references of the holder pid (0: the unclaimed
 * ones) go; the entry leaves the table when nobody holds it. */
static void drop_references(struct entry *entry, DWORD pid, LONG count, BOOL *gone)
{
    unsigned int i;
    LONG total = 0;

    for (i = 0; i < entry->holder_count; i++)
    {
        struct holder *holder = &entry->holders[i];

        if (holder->pid == pid) holder->count -= min(count, holder->count);
        total += holder->count;
    }
    *gone = !total;
    if (*gone)
    {
        list_remove(&entry->by_handle);
        list_remove(&entry->by_object);
    }
}

static void release_references(UINT64 handle, DWORD pid, LONG count)
{
    struct entry *entry;
    BOOL gone = FALSE;

    EnterCriticalSection(&table.cs);
    if ((entry = find_handle(handle))) drop_references(entry, pid, count, &gone);
    LeaveCriticalSection(&table.cs);
    if (gone) entry_put(entry);
}

static HRESULT add_references(UINT64 handle, DWORD pid, LONG count)
{
    struct holder *holder = NULL;
    struct entry *entry;

    EnterCriticalSection(&table.cs);
    if ((entry = find_handle(handle)) && (holder = get_holder(entry, pid, TRUE))) holder->count += count;
    LeaveCriticalSection(&table.cs);
    if (!entry) return RPC_E_DISCONNECTED;
    return holder ? S_OK : E_OUTOFMEMORY;
}

/* A client process ended: the references it held go. */
static void drop_process(DWORD pid)
{
    struct entry *entry, *next;
    struct list gone;
    unsigned int bucket, i;

    list_init(&gone);
    EnterCriticalSection(&table.cs);
    for (bucket = 0; bucket < TABLE_BUCKETS; bucket++)
    {
        LIST_FOR_EACH_ENTRY_SAFE(entry, next, &table.by_handle[bucket], struct entry, by_handle)
        {
            struct holder *holder = NULL;
            BOOL dropped;

            for (i = 0; i < entry->holder_count; i++)
                if (entry->holders[i].pid == pid) holder = &entry->holders[i];
            if (!holder || !holder->count) continue;
            drop_references(entry, pid, holder->count, &dropped);
            if (dropped) list_add_tail(&gone, &entry->by_handle);
        }
    }
    LeaveCriticalSection(&table.cs);
    LIST_FOR_EACH_ENTRY_SAFE(entry, next, &gone, struct entry, by_handle) entry_put(entry);
}

/* ---- client processes whose end frees their references ---- */

struct watch
{
    struct list entry;
    DWORD pid;
    HANDLE process;
    HANDLE wait;
};

static struct list watches = LIST_INIT(watches);

static void CALLBACK process_ended(void *param, BOOLEAN timed_out)
{
    struct watch *watch = param;

    EnterCriticalSection(&table.cs);
    list_remove(&watch->entry);
    LeaveCriticalSection(&table.cs);
    drop_process(watch->pid);
    UnregisterWaitEx(watch->wait, NULL);
    CloseHandle(watch->process);
    free(watch);
}

/* Table lock held: the first reference a process takes starts a watch on it,
 * whether or not it ever opens a channel. */
static void watch_process(DWORD pid)
{
    struct watch *watch;

    if (!pid || pid == GetCurrentProcessId()) return;
    LIST_FOR_EACH_ENTRY(watch, &watches, struct watch, entry)
        if (watch->pid == pid) return;
    if (!(watch = calloc(1, sizeof(*watch)))) return;
    watch->pid = pid;
    if (!(watch->process = OpenProcess(SYNCHRONIZE, FALSE, pid)))
    {
        free(watch);
        return;
    }
    list_add_tail(&watches, &watch->entry);
    if (!RegisterWaitForSingleObject(&watch->wait, watch->process, process_ended, watch, INFINITE,
                                     WT_EXECUTEONLYONCE))
    {
        list_remove(&watch->entry);
        CloseHandle(watch->process);
        free(watch);
    }
}

/* One more reference to the object for process pid: its handle. */
static HRESULT register_object(IUnknown *object, DWORD pid, UINT64 *handle)
{
    struct holder *holder;
    struct entry *entry;
    HRESULT hr = S_OK;

    EnterCriticalSection(&table.cs);
    if (!(entry = find_object(object)))
    {
        if (!(entry = calloc(1, sizeof(*entry)))) hr = E_OUTOFMEMORY;
        else
        {
            entry->handle = ++table.next_handle;
            entry->object = object;
            IUnknown_AddRef(object);
            entry->users = 1;
            list_add_tail(&table.by_handle[entry->handle % TABLE_BUCKETS], &entry->by_handle);
            list_add_tail(&table.by_object[object_bucket(object)], &entry->by_object);
        }
    }
    if (SUCCEEDED(hr))
    {
        if ((holder = get_holder(entry, pid, TRUE)))
        {
            holder->count++;
            *handle = entry->handle;
        }
        else
        {
            BOOL gone;

            /* A new entry nobody holds leaves the table again. */
            drop_references(entry, pid, 0, &gone);
            if (!gone) entry = NULL;
            hr = E_OUTOFMEMORY;
        }
    }
    LeaveCriticalSection(&table.cs);
    if (FAILED(hr) && entry) entry_put(entry);
    return hr;
}

/* ---- IMarshal, for the manager and the jobs ---- */

struct marshal
{
    IMarshal IMarshal_iface;
    LONG refcount;
    IUnknown *object;
};

static struct marshal *impl_from_IMarshal(IMarshal *iface)
{
    return CONTAINING_RECORD(iface, struct marshal, IMarshal_iface);
}

/* Only a plain marshal for another process on this machine takes the fast
 * way; anything else is COM's standard marshalling. */
static BOOL fast_usable(DWORD context, DWORD flags)
{
    if (!enabled || context != MSHCTX_LOCAL || flags != MSHLFLAGS_NORMAL) return FALSE;
    return !host->usable || host->usable();
}

static HRESULT get_standard(struct marshal *marshal, REFIID riid, DWORD context, void *context_data, DWORD flags,
                            IMarshal **std)
{
    return CoGetStandardMarshal(riid, marshal->object, context, context_data, flags, std);
}

static HRESULT WINAPI marshal_QueryInterface(IMarshal *iface, REFIID riid, void **obj)
{
    struct marshal *marshal = impl_from_IMarshal(iface);

    if (IsEqualGUID(riid, &IID_IMarshal))
    {
        *obj = iface;
        IMarshal_AddRef(iface);
        return S_OK;
    }
    return IUnknown_QueryInterface(marshal->object, riid, obj);
}

static ULONG WINAPI marshal_AddRef(IMarshal *iface)
{
    return InterlockedIncrement(&impl_from_IMarshal(iface)->refcount);
}

static ULONG WINAPI marshal_Release(IMarshal *iface)
{
    struct marshal *marshal = impl_from_IMarshal(iface);
    ULONG refcount = InterlockedDecrement(&marshal->refcount);

    if (!refcount)
    {
        IUnknown_Release(marshal->object);
        free(marshal);
    }
    return refcount;
}

static HRESULT WINAPI marshal_GetUnmarshalClass(IMarshal *iface, REFIID riid, void *pv, DWORD context,
                                                void *context_data, DWORD flags, CLSID *clsid)
{
    struct marshal *marshal = impl_from_IMarshal(iface);
    IMarshal *std;
    HRESULT hr;

    if (fast_usable(context, flags))
    {
        *clsid = CLSID_QmgrFastProxy;
        return S_OK;
    }
    if (FAILED(hr = get_standard(marshal, riid, context, context_data, flags, &std))) return hr;
    hr = IMarshal_GetUnmarshalClass(std, riid, pv, context, context_data, flags, clsid);
    IMarshal_Release(std);
    return hr;
}

static HRESULT WINAPI marshal_GetMarshalSizeMax(IMarshal *iface, REFIID riid, void *pv, DWORD context,
                                                void *context_data, DWORD flags, DWORD *size)
{
    struct marshal *marshal = impl_from_IMarshal(iface);
    IMarshal *std;
    HRESULT hr;

    if (fast_usable(context, flags))
    {
        *size = sizeof(struct fast_objref);
        return S_OK;
    }
    if (FAILED(hr = get_standard(marshal, riid, context, context_data, flags, &std))) return hr;
    hr = IMarshal_GetMarshalSizeMax(std, riid, pv, context, context_data, flags, size);
    IMarshal_Release(std);
    return hr;
}

/* The process the reference goes to, when a client's call makes it. */
static DWORD current_client(void)
{
    return host->caller ? host->caller() : 0;
}

static HRESULT WINAPI marshal_MarshalInterface(IMarshal *iface, IStream *stream, REFIID riid, void *pv,
                                               DWORD context, void *context_data, DWORD flags)
{
    struct marshal *marshal = impl_from_IMarshal(iface);
    struct fast_objref ref = { FAST_WIRE_VERSION };
    DWORD pid;
    IMarshal *std;
    HRESULT hr;

    if (!fast_usable(context, flags))
    {
        if (FAILED(hr = get_standard(marshal, riid, context, context_data, flags, &std))) return hr;
        hr = IMarshal_MarshalInterface(std, stream, riid, pv, context, context_data, flags);
        IMarshal_Release(std);
        return hr;
    }
    ref.service_pid = GetCurrentProcessId();
    ref.padding = fast_objref_padding(&marshal->IMarshal_iface, riid, context, context_data, flags);
    pid = current_client();
    /* A reference marshalled outside a client's call (the argument of a
     * callback, a reply COM builds after the call's identity is gone) is
     * claimed by the process that unmarshals it. */
    ref.unclaimed = !pid;
    ref.holder = pid;
    if (FAILED(hr = register_object(marshal->object, pid, &ref.handle))) return hr;
    if (FAILED(hr = fast_write_objref(stream, &ref))) release_references(ref.handle, pid, 1);
    return hr;
}

/* COM unmarshals our references with qmgrprxy.dll's class; one given to
 * this object directly is one of this process's own. */
static HRESULT WINAPI marshal_UnmarshalInterface(IMarshal *iface, IStream *stream, REFIID riid, void **obj)
{
    struct fast_objref ref;
    HRESULT hr;

    *obj = NULL;
    if (FAILED(hr = fast_read_objref(stream, &ref))) return hr;
    hr = fast_server_resolve(&ref, riid, obj);
    return hr == S_FALSE ? RPC_E_INVALID_OBJREF : hr;
}

/* COM gives up a reference it marshalled (the call failed on the way back). */
static HRESULT WINAPI marshal_ReleaseMarshalData(IMarshal *iface, IStream *stream)
{
    struct fast_objref ref;
    HRESULT hr;

    if (FAILED(hr = fast_read_objref(stream, &ref))) return hr;
    release_references(ref.handle, ref.holder, 1);
    return S_OK;
}

static HRESULT WINAPI marshal_DisconnectObject(IMarshal *iface, DWORD reserved)
{
    return S_OK;
}

static const IMarshalVtbl marshal_vtbl =
{
    marshal_QueryInterface,
    marshal_AddRef,
    marshal_Release,
    marshal_GetUnmarshalClass,
    marshal_GetMarshalSizeMax,
    marshal_MarshalInterface,
    marshal_UnmarshalInterface,
    marshal_ReleaseMarshalData,
    marshal_DisconnectObject,
};

/* For the object's QueryInterface(IID_IMarshal); object is its IUnknown. */
HRESULT fast_server_marshaller(IUnknown *object, void **obj)
{
    struct marshal *marshal;

    *obj = NULL;
    if (!enabled) return E_NOINTERFACE;
    if (!(marshal = calloc(1, sizeof(*marshal)))) return E_OUTOFMEMORY;
    marshal->IMarshal_iface.lpVtbl = &marshal_vtbl;
    marshal->refcount = 1;
    marshal->object = object;
    IUnknown_AddRef(object);
    *obj = &marshal->IMarshal_iface;
    return S_OK;
}

/* ---- the channel a stub answers through ---- */

static HRESULT WINAPI stub_channel_QueryInterface(IRpcChannelBuffer *iface, REFIID riid, void **obj)
{
    if (IsEqualGUID(riid, &IID_IUnknown) || IsEqualGUID(riid, &IID_IRpcChannelBuffer))
    {
        *obj = iface;
        return S_OK;
    }
    *obj = NULL;
    return E_NOINTERFACE;
}

static ULONG WINAPI stub_channel_AddRef(IRpcChannelBuffer *iface)
{
    return 2;
}

static ULONG WINAPI stub_channel_Release(IRpcChannelBuffer *iface)
{
    return 1;
}

static HRESULT WINAPI stub_channel_GetBuffer(IRpcChannelBuffer *iface, RPCOLEMESSAGE *msg, REFIID riid)
{
    if (!(msg->Buffer = malloc(max(msg->cbBuffer, 1)))) return E_OUTOFMEMORY;
    return S_OK;
}

/* A stub only answers through this channel; it never sends. */
static HRESULT WINAPI stub_channel_SendReceive(IRpcChannelBuffer *iface, RPCOLEMESSAGE *msg, ULONG *status)
{
    return RPC_E_UNEXPECTED;
}

static HRESULT WINAPI stub_channel_FreeBuffer(IRpcChannelBuffer *iface, RPCOLEMESSAGE *msg)
{
    free(msg->Buffer);
    msg->Buffer = NULL;
    return S_OK;
}

static HRESULT WINAPI stub_channel_GetDestCtx(IRpcChannelBuffer *iface, DWORD *context, void **context_data)
{
    *context = MSHCTX_LOCAL;
    if (context_data) *context_data = NULL;
    return S_OK;
}

static HRESULT WINAPI stub_channel_IsConnected(IRpcChannelBuffer *iface)
{
    return S_OK;
}

static const IRpcChannelBufferVtbl stub_channel_vtbl =
{
    stub_channel_QueryInterface,
    stub_channel_AddRef,
    stub_channel_Release,
    stub_channel_GetBuffer,
    stub_channel_SendReceive,
    stub_channel_FreeBuffer,
    stub_channel_GetDestCtx,
    stub_channel_IsConnected,
};

static IRpcChannelBuffer stub_channel = { &stub_channel_vtbl };

/* ---- running a call ---- */

static struct entry *use_handle(UINT64 handle)
{
    struct entry *entry;

    EnterCriticalSection(&table.cs);
    if ((entry = find_handle(handle))) InterlockedIncrement(&entry->users);
    LeaveCriticalSection(&table.cs);
    return entry;
}

static HRESULT get_stub(struct entry *entry, REFIID iid, IRpcStubBuffer **ret)
{
    IPSFactoryBuffer *factory;
    IRpcStubBuffer *buffer = NULL;
    IUnknown *object;
    struct stub *stubs;
    unsigned int i;
    CLSID clsid;
    HRESULT hr;

    EnterCriticalSection(&table.cs);
    for (i = 0; i < entry->stub_count; i++)
        if (IsEqualGUID(&entry->stubs[i].iid, iid)) buffer = entry->stubs[i].buffer;
    if (buffer) IRpcStubBuffer_AddRef(buffer);
    LeaveCriticalSection(&table.cs);
    if ((*ret = buffer)) return S_OK;

    if (FAILED(hr = IUnknown_QueryInterface(entry->object, iid, (void **)&object))) return hr;
    if (SUCCEEDED(hr = CoGetPSClsid(iid, &clsid)) &&
        SUCCEEDED(hr = CoGetClassObject(&clsid, CLSCTX_INPROC_SERVER, NULL, &IID_IPSFactoryBuffer, (void **)&factory)))
    {
        hr = IPSFactoryBuffer_CreateStub(factory, iid, object, &buffer);
        IPSFactoryBuffer_Release(factory);
    }
    IUnknown_Release(object);
    if (FAILED(hr)) return hr;

    EnterCriticalSection(&table.cs);
    if ((stubs = realloc(entry->stubs, (entry->stub_count + 1) * sizeof(*stubs))))
    {
        entry->stubs = stubs;
        stubs[entry->stub_count].iid = *iid;
        stubs[entry->stub_count].buffer = buffer;
        entry->stub_count++;
        IRpcStubBuffer_AddRef(buffer);
    }
    LeaveCriticalSection(&table.cs);
    *ret = buffer;
    return S_OK;
}

struct channel
{
    HANDLE section;
    HANDLE request;
    HANDLE reply;
    HANDLE client;   /* the client process */
    DWORD client_pid;
    struct fast_message *message;
};

/* The request's data, copied out of the section or read from the client. */
static BYTE *take_data(struct channel *channel, const struct fast_message *request)
{
    BYTE *data;
    SIZE_T read;

    if (request->size > FAST_MAX_DATA || (!request->large && request->size > FAST_DATA_MAX)) return NULL;
    if (!(data = malloc(max(request->size, 1)))) return NULL;
    if (!request->large)
    {
        memcpy(data, (BYTE *)channel->message + FAST_DATA_OFFSET, request->size);
        return data;
    }
    if (!ReadProcessMemory(channel->client, (const void *)(UINT_PTR)request->large, data, request->size, &read) ||
        read != request->size)
    {
        free(data);
        return NULL;
    }
    return data;
}

/* The reply's data, into the section or a section of its own for the client. */
static HRESULT put_data(struct channel *channel, const BYTE *data, DWORD size)
{
    struct fast_message *message = channel->message;
    HANDLE section, remote;
    BYTE *view;

    message->size = size;
    message->large = 0;
    if (size <= FAST_DATA_MAX)
    {
        memcpy((BYTE *)message + FAST_DATA_OFFSET, data, size);
        return S_OK;
    }
    if (!(section = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, size, NULL)))
        return HRESULT_FROM_WIN32(GetLastError());
    if (!(view = MapViewOfFile(section, FILE_MAP_WRITE, 0, 0, size)))
    {
        CloseHandle(section);
        return E_OUTOFMEMORY;
    }
    memcpy(view, data, size);
    UnmapViewOfFile(view);
    if (!DuplicateHandle(GetCurrentProcess(), section, channel->client, &remote, 0, FALSE,
                         DUPLICATE_SAME_ACCESS | DUPLICATE_CLOSE_SOURCE))
        return HRESULT_FROM_WIN32(GetLastError());
    message->large = (UINT_PTR)remote;
    return S_OK;
}

/* The generated stub indexes its tables with the method number unchecked. */
static BOOL method_exists(IRpcStubBuffer *stub, REFIID iid, DWORD method)
{
    const CInterfaceStubHeader *header = &((const CInterfaceStubHeader *)stub->lpVtbl)[-1];

    return IsEqualGUID(header->piid, iid) && method >= 3 && method < header->DispatchTableCount;
}

/* Runs one call; request is the client's message as it was when it came. */
static void run_call(struct channel *channel, struct fast_message *request)
{
    struct fast_message *reply = channel->message;
    RPCOLEMESSAGE msg = { 0 };
    IRpcStubBuffer *stub;
    struct entry *entry;
    BYTE *data;
    HRESULT hr;

    reply->fault = 0;
    reply->size = 0;
    reply->large = 0;
    if (!host->carries(&request->iid))
    {
        reply->status = E_NOINTERFACE;
        return;
    }
    if (!(entry = use_handle(request->handle)))
    {
        reply->status = RPC_E_DISCONNECTED;
        return;
    }
    if (FAILED(hr = get_stub(entry, &request->iid, &stub)))
    {
        entry_put(entry);
        reply->status = hr;
        return;
    }
    if (!method_exists(stub, &request->iid, request->method))
    {
        IRpcStubBuffer_Release(stub);
        entry_put(entry);
        reply->status = RPC_E_INVALIDMETHOD;
        return;
    }
    if (!(data = take_data(channel, request)))
    {
        IRpcStubBuffer_Release(stub);
        entry_put(entry);
        reply->status = E_OUTOFMEMORY;
        return;
    }

    msg.Buffer = data;
    msg.cbBuffer = request->size;
    msg.iMethod = request->method;
    msg.dataRepresentation = NDR_LOCAL_DATA_REPRESENTATION;
    request->identity.process_id = channel->client_pid;
    if (host->call_begins) host->call_begins(&request->identity);
    hr = IRpcStubBuffer_Invoke(stub, &msg, &stub_channel);
    if (host->call_ends) host->call_ends();
    IRpcStubBuffer_Release(stub);
    entry_put(entry);

    reply->status = S_OK;
    /* The stub raised an exception: the client's proxy raises it again. */
    if (FAILED(hr)) reply->fault = hr;
    else if (FAILED(hr = put_data(channel, msg.Buffer, msg.cbBuffer)))
    {
        reply->status = hr;
        reply->size = 0;
    }
    if (msg.Buffer != data) free(msg.Buffer);
    free(data);
}

static HRESULT run_query(const struct fast_message *request)
{
    struct entry *entry;
    IUnknown *unk;
    HRESULT hr;

    if (!host->carries(&request->iid)) return E_NOINTERFACE;
    if (!(entry = use_handle(request->handle))) return RPC_E_DISCONNECTED;
    if (SUCCEEDED(hr = IUnknown_QueryInterface(entry->object, &request->iid, (void **)&unk))) IUnknown_Release(unk);
    entry_put(entry);
    return hr;
}

/* One unclaimed reference to the handle becomes the process's. */
static HRESULT claim_reference(UINT64 handle, DWORD pid)
{
    struct holder *nobody, *holder;
    struct entry *entry;
    HRESULT hr = S_OK;

    EnterCriticalSection(&table.cs);
    if (!(entry = find_handle(handle))) hr = RPC_E_DISCONNECTED;
    else if (!(nobody = get_holder(entry, 0, FALSE)) || !nobody->count) hr = CO_E_OBJNOTCONNECTED;
    else if (!(holder = get_holder(entry, pid, TRUE))) hr = E_OUTOFMEMORY;
    else
    {
        /* get_holder may have moved the array. */
        get_holder(entry, 0, FALSE)->count--;
        holder->count++;
    }
    LeaveCriticalSection(&table.cs);
    return hr;
}

static void serve(struct channel *channel)
{
    struct fast_message *reply = channel->message, request;

    /* One read: the client can write the section while we work. */
    memcpy(&request, channel->message, sizeof(request));
    if ((request.kind == FAST_ADDREF || request.kind == FAST_RELEASE) &&
        (request.count <= 0 || request.count > FAST_MAX_COUNT))
        request.kind = 0;
    switch (request.kind)
    {
    case FAST_CALL:
        run_call(channel, &request);
        return;
    case FAST_QUERY:
        reply->status = run_query(&request);
        break;
    case FAST_ADDREF:
        reply->status = add_references(request.handle, request.flags & FAST_UNCLAIMED ? 0 : channel->client_pid,
                                       request.count);
        break;
    case FAST_RELEASE:
        release_references(request.handle, request.flags & FAST_UNCLAIMED ? 0 : channel->client_pid,
                           request.count);
        reply->status = S_OK;
        break;
    case FAST_CLAIM:
        reply->status = claim_reference(request.handle, channel->client_pid);
        break;
    default:
        reply->status = E_INVALIDARG;
        break;
    }
    reply->fault = 0;
    reply->size = 0;
    reply->large = 0;
}

/* Sends the reply, if there is one, and waits for the next request; FALSE
 * when the client process is gone. */
static BOOL next_request(struct channel *channel, BOOL reply)
{
    HANDLE handles[2] = { channel->request, channel->client };
    DWORD ret;

    if (reply)
    {
        ret = SignalObjectAndWait(channel->reply, channel->request, FAST_QUIET_MS, FALSE);
        if (ret == WAIT_OBJECT_0) return TRUE;
        if (ret != WAIT_TIMEOUT) return FALSE;
    }
    return WaitForMultipleObjects(2, handles, FALSE, INFINITE) == WAIT_OBJECT_0;
}

static void free_channel(struct channel *channel)
{
    if (channel->message) UnmapViewOfFile(channel->message);
    if (channel->section) CloseHandle(channel->section);
    if (channel->request) CloseHandle(channel->request);
    if (channel->reply) CloseHandle(channel->reply);
    if (channel->client) CloseHandle(channel->client);
    free(channel);
}

static DWORD WINAPI channel_thread(void *param)
{
    struct channel *channel = param;
    BOOL reply = FALSE;

    CoInitializeEx(NULL, COINIT_MULTITHREADED);
    while (next_request(channel, reply))
    {
        serve(channel);
        reply = TRUE;
    }
    /* The client process is gone; its references go with the watch on it. */
    free_channel(channel);
    CoUninitialize();
    return 0;
}

/* ---- new channels ---- */

static BOOL give(struct channel *channel, HANDLE handle, UINT64 *remote)
{
    HANDLE copy;

    if (!DuplicateHandle(GetCurrentProcess(), handle, channel->client, &copy, 0, FALSE, DUPLICATE_SAME_ACCESS))
        return FALSE;
    *remote = (UINT_PTR)copy;
    return TRUE;
}

/* A channel for the client at the other end of the pipe, its thread started. */
static DWORD open_channel(HANDLE pipe, struct fast_connect *answer)
{
    struct channel *channel;
    HANDLE thread;
    ULONG pid;

    if (!GetNamedPipeClientProcessId(pipe, &pid)) return GetLastError();
    if (!(channel = calloc(1, sizeof(*channel)))) return ERROR_OUTOFMEMORY;
    channel->client_pid = pid;
    if (!(channel->client = OpenProcess(SYNCHRONIZE | PROCESS_DUP_HANDLE | PROCESS_VM_READ, FALSE, pid)) ||
        !(channel->section = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0,
                                                FAST_SECTION_SIZE, NULL)) ||
        !(channel->message = MapViewOfFile(channel->section, FILE_MAP_READ | FILE_MAP_WRITE, 0, 0,
                                           FAST_SECTION_SIZE)) ||
        !(channel->request = CreateEventW(NULL, FALSE, FALSE, NULL)) ||
        !(channel->reply = CreateEventW(NULL, FALSE, FALSE, NULL)) ||
        !give(channel, channel->section, &answer->section) ||
        !give(channel, channel->request, &answer->request_event) ||
        !give(channel, channel->reply, &answer->reply_event) ||
        !(thread = CreateThread(NULL, 0, channel_thread, channel, 0, NULL)))
    {
        DWORD error = GetLastError();

        /* What reached the client is its to close: it closes all when refused. */
        free_channel(channel);
        return error ? error : ERROR_OUTOFMEMORY;
    }
    CloseHandle(thread);
    return ERROR_SUCCESS;
}

static HANDLE new_instance(const WCHAR *name)
{
    return CreateNamedPipeW(name, PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED,
                            PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT,
                            PIPE_UNLIMITED_INSTANCES, sizeof(struct fast_connect), sizeof(struct fast_connect),
                            0, NULL);
}

/* Waits at most timeout for the overlapped operation; FALSE if it failed or did not end. */
static BOOL finish(HANDLE pipe, OVERLAPPED *overlapped, BOOL started, DWORD timeout)
{
    DWORD done;

    if (!started && GetLastError() != ERROR_IO_PENDING) return FALSE;
    if (WaitForSingleObject(overlapped->hEvent, timeout))
    {
        CancelIo(pipe);
        GetOverlappedResult(pipe, overlapped, &done, TRUE);
        return FALSE;
    }
    return GetOverlappedResult(pipe, overlapped, &done, FALSE);
}

/* Answers the client of a connected pipe, then waits (bounded) for it to
 * read the answer and close its end. */
static void answer_client(HANDLE pipe, OVERLAPPED *overlapped)
{
    struct fast_connect answer = { FAST_WIRE_VERSION };
    BYTE byte;

    answer.status = open_channel(pipe, &answer);
    ResetEvent(overlapped->hEvent);
    if (!finish(pipe, overlapped, WriteFile(pipe, &answer, sizeof(answer), NULL, overlapped), 1000)) return;
    ResetEvent(overlapped->hEvent);
    /* A client reads at once; one that does not holds the others up a second at most. */
    finish(pipe, overlapped, ReadFile(pipe, &byte, 1, NULL, overlapped), 1000);
}

static DWORD WINAPI listen_thread(void *param)
{
    OVERLAPPED overlapped = { 0 };
    HANDLE pipe, next;
    WCHAR name[64];

    swprintf(name, ARRAY_SIZE(name), FAST_PIPE_FORMAT, GetCurrentProcessId());
    if (!(overlapped.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL))) return 1;
    next = new_instance(name);
    for (;;)
    {
        if ((pipe = next) == INVALID_HANDLE_VALUE)
        {
            /* Out of handles or memory, for now. */
            Sleep(1000);
            next = new_instance(name);
            continue;
        }
        ResetEvent(overlapped.hEvent);
        if (ConnectNamedPipe(pipe, &overlapped) || GetLastError() == ERROR_PIPE_CONNECTED ||
            finish(pipe, &overlapped, FALSE, INFINITE))
        {
            /* The name stays while this client is served: others wait their turn. */
            next = new_instance(name);
            answer_client(pipe, &overlapped);
        }
        else next = new_instance(name);
        DisconnectNamedPipe(pipe);
        CloseHandle(pipe);
    }
    return 0;
}

/* Another reference to one of this process's own objects comes back: the
 * object itself, as COM gives an apartment its own object back.  S_FALSE:
 * the reference is not to an object of this table. */
HRESULT fast_server_resolve(const struct fast_objref *ref, REFIID riid, void **obj)
{
    struct entry *entry;
    HRESULT hr;

    *obj = NULL;
    if (!host || ref->service_pid != GetCurrentProcessId() || !(entry = use_handle(ref->handle))) return S_FALSE;
    hr = IUnknown_QueryInterface(entry->object, riid, obj);
    /* The reference the marshal counted is spent, as an unmarshal spends it. */
    if (!ref->table) release_references(ref->handle, ref->unclaimed ? 0 : ref->holder, 1);
    entry_put(entry);
    return hr;
}

static BOOL WINAPI start_listener(INIT_ONCE *once, void *param, void **context)
{
    HANDLE thread;
    unsigned int i;

    InitializeCriticalSection(&table.cs);
    for (i = 0; i < TABLE_BUCKETS; i++)
    {
        list_init(&table.by_handle[i]);
        list_init(&table.by_object[i]);
    }
    host = param;
    /* Once only: without a listener, references go through COM. */
    if ((thread = CreateThread(NULL, 0, listen_thread, NULL, 0, NULL)))
    {
        CloseHandle(thread);
        listening = TRUE;
    }
    return TRUE;
}

/* Starts serving, once per process (a later start only turns it on again). */
BOOL fast_server_start(const struct fast_server_host *serving)
{
    static INIT_ONCE once = INIT_ONCE_STATIC_INIT;

    InitOnceExecuteOnce(&once, start_listener, (void *)serving, NULL);
    return enabled = listening;
}

/* New references go through COM; calls on those already given still run. */
void fast_server_stop(void)
{
    enabled = FALSE;
}
