/*
 * Background Intelligent Transfer Service: the fast call channel between a
 * client and the service under Wine.
 *
 * A call through Wine 8's COM costs about a millisecond here (two thread-pool
 * hops and about forty server requests), which made a job's few calls cost
 * more than its transfer.  The service's jobs and manager therefore marshal
 * themselves (IMarshal) into a handle that qmgrprxy.dll unmarshals into its
 * own proxy: the same generated NDR proxies and stubs, carried through shared
 * memory and two events per channel instead of Wine's RPC.  Both ends include
 * this header; a record of another version is refused.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __QMGR_FAST_WIRE_H
#define __QMGR_FAST_WIRE_H

#include "identity_wire.h"

/* The class that unmarshals a fast object reference, in qmgrprxy.dll.
 * {00867106-c0ae-4411-8f81-d748c50e2cc7} */
static const CLSID CLSID_QmgrFastProxy =
    { 0x00867106, 0xc0ae, 0x4411, { 0x8f, 0x81, 0xd7, 0x48, 0xc5, 0x0e, 0x2c, 0xc7 } };

#define FAST_WIRE_VERSION 1

/* The service listens here (with its process id) for new channels. */
#define FAST_PIPE_FORMAT L"\\\\.\\pipe\\qmgr-fast-%lu"

/* What IMarshal::MarshalInterface writes: one reference to a service object. */
struct fast_objref
{
    DWORD version;
    DWORD service_pid;
    UINT64 handle;
    DWORD table;      /* marshalled for a table: each unmarshal takes a reference of its own */
    DWORD unclaimed;  /* the reference is nobody's yet: whoever unmarshals it claims it */
    DWORD padding;    /* bytes of nothing that follow */
    DWORD holder;     /* the process the service counts the reference for, 0 when unclaimed */
};

/* The OBJREF_CUSTOM header COM writes before our data (MS-DCOM 2.2.18.6). */
#define FAST_OBJREF_HEADER 48

/* Wine's NDR engine lays out an array of interface pointers by the size
 * CoGetMarshalSizeMax gives, which for custom marshalling counts a whole
 * OBJREF: a reference shorter than that leaves a gap that the other side
 * does not skip.  So a reference is padded to that size. */
static inline DWORD fast_objref_padding(IMarshal *marshal, REFIID riid, DWORD context, void *context_data,
                                        DWORD flags)
{
    /* The same for every reference a module marshals: asked of COM once,
     * of the marshaller itself, and kept only when COM answered. */
    static LONG padding = -1;
    ULONG size;

    if (padding < 0 && SUCCEEDED(CoGetMarshalSizeMax(&size, riid, (IUnknown *)marshal, context, context_data, flags)))
        InterlockedExchange(&padding, size > FAST_OBJREF_HEADER + sizeof(struct fast_objref) ?
                                      size - FAST_OBJREF_HEADER - sizeof(struct fast_objref) : 0);
    return padding < 0 ? 0 : padding;
}

/* Writes the reference and its padding. */
static inline HRESULT fast_write_objref(IStream *stream, const struct fast_objref *ref)
{
    static const BYTE zeros[64];
    DWORD left = ref->padding;
    HRESULT hr;

    if (FAILED(hr = IStream_Write(stream, ref, sizeof(*ref), NULL))) return hr;
    while (left && SUCCEEDED(hr))
    {
        DWORD chunk = min(left, sizeof(zeros));

        hr = IStream_Write(stream, zeros, chunk, NULL);
        left -= chunk;
    }
    return hr;
}

/* Reads a reference and skips its padding. */
static inline HRESULT fast_read_objref(IStream *stream, struct fast_objref *ref)
{
    LARGE_INTEGER move;
    ULONG read;
    HRESULT hr;

    if (FAILED(hr = IStream_Read(stream, ref, sizeof(*ref), &read))) return hr;
    if (read != sizeof(*ref) || ref->version != FAST_WIRE_VERSION) return RPC_E_INVALID_OBJREF;
    if (!ref->padding) return S_OK;
    move.QuadPart = ref->padding;
    return IStream_Seek(stream, move, STREAM_SEEK_CUR, NULL);
}

/* The interfaces of the service's objects: the only ones a channel carries. */
static inline BOOL fast_is_service_iid(REFIID riid)
{
    static const IID *const iids[] =
    {
        &IID_IBackgroundCopyManager,
        &IID_IBackgroundCopyJob,
        &IID_IBackgroundCopyJob2,
        &IID_IBackgroundCopyJob3,
        &IID_IBackgroundCopyJob4,
        &IID_IBackgroundCopyJob5,
        &IID_IBackgroundCopyFile,
        &IID_IBackgroundCopyFile2,
        &IID_IBackgroundCopyFile3,
        &IID_IBackgroundCopyFile4,
        &IID_IBackgroundCopyFile5,
        &IID_IBackgroundCopyFile6,
        &IID_IEnumBackgroundCopyJobs,
        &IID_IEnumBackgroundCopyFiles,
        &IID_IBackgroundCopyError,
        &IID_IBackgroundCopyJobHttpOptions,
        &IID_IBackgroundCopyJobHttpOptions2,
        &IID_IBackgroundCopyJobHttpOptions3,
        &IID_IBitsTokenOptions,
        &IID_IBitsPeerCacheAdministration,
        &IID_IBitsPeerCacheRecord,
        &IID_IEnumBitsPeerCacheRecords,
        &IID_IBitsPeer,
        &IID_IEnumBitsPeers,
    };
    unsigned int i;

    for (i = 0; i < sizeof(iids) / sizeof(iids[0]); i++)
        if (IsEqualGUID(riid, iids[i])) return TRUE;
    return FALSE;
}

/* The service's answer to a client that opened its pipe: a channel of the
 * service's making, its handles duplicated into the client. */
struct fast_connect
{
    DWORD version;
    DWORD status;        /* a Win32 error, 0 when the handles are valid */
    UINT64 section;
    UINT64 request_event;
    UINT64 reply_event;
};

#define FAST_SECTION_SIZE (64 * 1024)

/* Each end sends its event and waits for the other's in one server call
 * (SignalObjectAndWait); a wait that lasts longer than this watches the
 * other process too, so that neither waits for an end that is gone. */
#define FAST_QUIET_MS 50

enum fast_kind
{
    FAST_CALL = 1,       /* NDR request for method `method` of `iid`; reply: NDR reply */
    FAST_QUERY = 2,      /* does the object have `iid`?  reply: status */
    FAST_ADDREF = 3,     /* `count` more references to `handle`, the client's or,
                          * with FAST_UNCLAIMED, nobody's yet */
    FAST_RELEASE = 4,    /* `count` references fewer, the client's or, with
                          * FAST_UNCLAIMED, of those nobody claimed */
    FAST_CLAIM = 5,      /* one unclaimed reference becomes the client's */
};

#define FAST_UNCLAIMED 1
#define FAST_MAX_COUNT 0x10000       /* references one message may add or drop */
#define FAST_MAX_DATA (64 << 20)     /* the largest NDR buffer either end takes */

/* At the start of the channel's section, for the request and then its reply. */
struct fast_message
{
    DWORD kind;
    DWORD method;
    UINT64 handle;
    IID iid;
    LONG count;
    DWORD flags;
    HRESULT status;      /* reply: S_OK, or why the call did not run */
    DWORD fault;         /* reply: the stub's exception code, 0 when it ran */
    DWORD size;          /* bytes of NDR data */
    UINT64 large;        /* 0 when the data is here, in the section; else, in a
                          * request, its address in the client (the service
                          * reads it from there), in a reply, a section handle
                          * of the client's that holds it */
    struct identity_wire identity;
};

#define FAST_DATA_OFFSET ((sizeof(struct fast_message) + 15) & ~15)
#define FAST_DATA_MAX (FAST_SECTION_SIZE - FAST_DATA_OFFSET)

#endif /* __QMGR_FAST_WIRE_H */
