/*
 * The local halves of the [call_as] methods of our IDL.
 *
 * The methods with counted arrays (see the end of this file) check their
 * pointers before Wine's rpcrt4 can trip on them.
 *
 * IBackgroundCopyFile5::SetProperty and GetProperty take a union whose only
 * arm is a string; Wine 8's NDR engine cannot marshal that union as a
 * parameter, so the wire carries the string alone (see bits5_0.idl).  The
 * proxy side unpacks the union, the stub side packs it again.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdarg.h>

#define COBJMACROS
#include "windef.h"
#include "winbase.h"
#include "objbase.h"
#include "qmgrprxy.h"

HRESULT CALLBACK IBackgroundCopyFile5_SetProperty_Proxy(IBackgroundCopyFile5 *This, BITS_FILE_PROPERTY_ID id,
                                                        BITS_FILE_PROPERTY_VALUE value)
{
    /* Only the response-headers property has a string arm; other ids carry nothing. */
    return IBackgroundCopyFile5_RemoteSetProperty_Proxy(This, id,
            id == BITS_FILE_PROPERTY_ID_HTTP_RESPONSE_HEADERS ? value.String : NULL);
}

HRESULT __RPC_STUB IBackgroundCopyFile5_SetProperty_Stub(IBackgroundCopyFile5 *This, BITS_FILE_PROPERTY_ID id,
                                                         const WCHAR *string)
{
    BITS_FILE_PROPERTY_VALUE value;

    value.String = (WCHAR *)string;
    return IBackgroundCopyFile5_SetProperty(This, id, value);
}

HRESULT CALLBACK IBackgroundCopyFile5_GetProperty_Proxy(IBackgroundCopyFile5 *This, BITS_FILE_PROPERTY_ID id,
                                                        BITS_FILE_PROPERTY_VALUE *value)
{
    /* What the generated proxy answers for any other NULL [out] pointer. */
    if (!value) return HRESULT_FROM_WIN32(RPC_X_NULL_REF_POINTER);
    value->String = NULL;
    return IBackgroundCopyFile5_RemoteGetProperty_Proxy(This, id, &value->String);
}

HRESULT __RPC_STUB IBackgroundCopyFile5_GetProperty_Stub(IBackgroundCopyFile5 *This, BITS_FILE_PROPERTY_ID id,
                                                         LPWSTR *string)
{
    BITS_FILE_PROPERTY_VALUE value;
    HRESULT hr;

    value.String = NULL;
    hr = IBackgroundCopyFile5_GetProperty(This, id, &value);
    *string = SUCCEEDED(hr) && id == BITS_FILE_PROPERTY_ID_HTTP_RESPONSE_HEADERS ? value.String : NULL;
    return hr;
}

/* The counted arrays (bits2_0.idl, bits10_1.idl): Wine 8's rpcrt4 reads a
 * NULL array while marshalling it, and hangs unmarshalling an array whose
 * count pointer is NULL.  A NULL reference is refused here, as Windows'
 * proxies refuse one; the wire format is the generated one. */
#define NULL_REFERENCE HRESULT_FROM_WIN32(RPC_X_NULL_REF_POINTER)

HRESULT CALLBACK IBackgroundCopyJob3_AddFileWithRanges_Proxy(IBackgroundCopyJob3 *This, LPCWSTR remote,
                                                             LPCWSTR local, DWORD count, BG_FILE_RANGE *ranges)
{
    if (count && !ranges) return NULL_REFERENCE;
    return IBackgroundCopyJob3_RemoteAddFileWithRanges_Proxy(This, remote, local, count, ranges);
}

HRESULT __RPC_STUB IBackgroundCopyJob3_AddFileWithRanges_Stub(IBackgroundCopyJob3 *This, LPCWSTR remote,
                                                              LPCWSTR local, DWORD count, BG_FILE_RANGE *ranges)
{
    return IBackgroundCopyJob3_AddFileWithRanges(This, remote, local, count, ranges);
}

HRESULT CALLBACK IBackgroundCopyJob2_GetReplyData_Proxy(IBackgroundCopyJob2 *This, byte **buffer, UINT64 *length)
{
    UINT64 own_length = 0;

    if (!buffer) return NULL_REFERENCE;
    /* Without the caller's length the generated code would read through NULL
     * to size the buffer: one of ours goes instead. */
    return IBackgroundCopyJob2_RemoteGetReplyData_Proxy(This, buffer, length ? length : &own_length);
}

HRESULT __RPC_STUB IBackgroundCopyJob2_GetReplyData_Stub(IBackgroundCopyJob2 *This, byte **buffer, UINT64 *length)
{
    return IBackgroundCopyJob2_GetReplyData(This, buffer, length);
}

HRESULT CALLBACK IBackgroundCopyFile2_GetFileRanges_Proxy(IBackgroundCopyFile2 *This, DWORD *count,
                                                          BG_FILE_RANGE **ranges)
{
    if (!ranges) return NULL_REFERENCE;
    /* The count is [unique] on the wire, but without it there is nothing to answer with. */
    if (!count) return E_INVALIDARG;
    return IBackgroundCopyFile2_RemoteGetFileRanges_Proxy(This, count, ranges);
}

HRESULT __RPC_STUB IBackgroundCopyFile2_GetFileRanges_Stub(IBackgroundCopyFile2 *This, DWORD *count,
                                                           BG_FILE_RANGE **ranges)
{
    return IBackgroundCopyFile2_GetFileRanges(This, count, ranges);
}

HRESULT CALLBACK IBackgroundCopyFile6_RequestFileRanges_Proxy(IBackgroundCopyFile6 *This, DWORD count,
                                                              const BG_FILE_RANGE *ranges)
{
    if (count && !ranges) return NULL_REFERENCE;
    return IBackgroundCopyFile6_RemoteRequestFileRanges_Proxy(This, count, ranges);
}

HRESULT __RPC_STUB IBackgroundCopyFile6_RequestFileRanges_Stub(IBackgroundCopyFile6 *This, DWORD count,
                                                               const BG_FILE_RANGE *ranges)
{
    return IBackgroundCopyFile6_RequestFileRanges(This, count, ranges);
}

HRESULT CALLBACK IBackgroundCopyFile6_GetFilledFileRanges_Proxy(IBackgroundCopyFile6 *This, DWORD *count,
                                                                BG_FILE_RANGE **ranges)
{
    if (!count || !ranges) return NULL_REFERENCE;
    return IBackgroundCopyFile6_RemoteGetFilledFileRanges_Proxy(This, count, ranges);
}

HRESULT __RPC_STUB IBackgroundCopyFile6_GetFilledFileRanges_Stub(IBackgroundCopyFile6 *This, DWORD *count,
                                                                 BG_FILE_RANGE **ranges)
{
    return IBackgroundCopyFile6_GetFilledFileRanges(This, count, ranges);
}
