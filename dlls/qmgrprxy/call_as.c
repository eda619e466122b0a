/*
 * The local halves of the [call_as] methods of our IDL.
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
    if (!value) return RPC_X_NULL_REF_POINTER;
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
