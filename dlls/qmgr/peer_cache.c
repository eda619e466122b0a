/*
 * Background Intelligent Transfer Service: IBitsPeerCacheAdministration, a
 * part of the manager.  Peer caching was given up in BITS 4.0, and since
 * then every method answers S_FALSE (interfaces.md 11); the interface stays
 * for programs written for BITS 3.0, which find it by QueryInterface on the
 * manager.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "qmgr_private.h"

#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(qmgr);

struct peer_cache
{
    IBitsPeerCacheAdministration IBitsPeerCacheAdministration_iface;
    IUnknown *outer;  /* the manager: one object, one identity */
};

static inline struct peer_cache *impl_from_IBitsPeerCacheAdministration(IBitsPeerCacheAdministration *iface)
{
    return CONTAINING_RECORD(iface, struct peer_cache, IBitsPeerCacheAdministration_iface);
}

static HRESULT WINAPI peer_cache_QueryInterface(IBitsPeerCacheAdministration *iface, REFIID riid, void **obj)
{
    return IUnknown_QueryInterface(impl_from_IBitsPeerCacheAdministration(iface)->outer, riid, obj);
}

static ULONG WINAPI peer_cache_AddRef(IBitsPeerCacheAdministration *iface)
{
    return IUnknown_AddRef(impl_from_IBitsPeerCacheAdministration(iface)->outer);
}

static ULONG WINAPI peer_cache_Release(IBitsPeerCacheAdministration *iface)
{
    return IUnknown_Release(impl_from_IBitsPeerCacheAdministration(iface)->outer);
}

static HRESULT WINAPI peer_cache_GetMaximumCacheSize(IBitsPeerCacheAdministration *iface, DWORD *bytes)
{
    TRACE("%p, %p.\n", iface, bytes);
    if (!bytes) return E_INVALIDARG;
    *bytes = 0;
    return S_FALSE;
}

static HRESULT WINAPI peer_cache_SetMaximumCacheSize(IBitsPeerCacheAdministration *iface, DWORD bytes)
{
    TRACE("%p, %lu.\n", iface, bytes);
    return S_FALSE;
}

static HRESULT WINAPI peer_cache_GetMaximumContentAge(IBitsPeerCacheAdministration *iface, ULONG *seconds)
{
    TRACE("%p, %p.\n", iface, seconds);
    if (!seconds) return E_INVALIDARG;
    *seconds = 0;
    return S_FALSE;
}

static HRESULT WINAPI peer_cache_SetMaximumContentAge(IBitsPeerCacheAdministration *iface, ULONG seconds)
{
    TRACE("%p, %lu.\n", iface, seconds);
    return S_FALSE;
}

static HRESULT WINAPI peer_cache_GetConfigurationFlags(IBitsPeerCacheAdministration *iface, DWORD *flags)
{
    TRACE("%p, %p.\n", iface, flags);
    if (!flags) return E_INVALIDARG;
    *flags = 0;
    return S_FALSE;
}

static HRESULT WINAPI peer_cache_SetConfigurationFlags(IBitsPeerCacheAdministration *iface, DWORD flags)
{
    TRACE("%p, %#lx.\n", iface, flags);
    return S_FALSE;
}

/* No records and no peers: no enumerator either. */
static HRESULT WINAPI peer_cache_EnumRecords(IBitsPeerCacheAdministration *iface, IEnumBitsPeerCacheRecords **records)
{
    TRACE("%p, %p.\n", iface, records);
    if (!records) return E_INVALIDARG;
    *records = NULL;
    return S_FALSE;
}

static HRESULT WINAPI peer_cache_GetRecord(IBitsPeerCacheAdministration *iface, REFGUID id, IBitsPeerCacheRecord **record)
{
    TRACE("%p, %s, %p.\n", iface, debugstr_guid(id), record);
    if (!record) return E_INVALIDARG;
    *record = NULL;
    return S_FALSE;
}

static HRESULT WINAPI peer_cache_ClearRecords(IBitsPeerCacheAdministration *iface)
{
    TRACE("%p.\n", iface);
    return S_FALSE;
}

static HRESULT WINAPI peer_cache_DeleteRecord(IBitsPeerCacheAdministration *iface, REFGUID id)
{
    TRACE("%p, %s.\n", iface, debugstr_guid(id));
    return S_FALSE;
}

static HRESULT WINAPI peer_cache_DeleteUrl(IBitsPeerCacheAdministration *iface, LPCWSTR url)
{
    TRACE("%p, %s.\n", iface, debugstr_w(url));
    return S_FALSE;
}

static HRESULT WINAPI peer_cache_EnumPeers(IBitsPeerCacheAdministration *iface, IEnumBitsPeers **peers)
{
    TRACE("%p, %p.\n", iface, peers);
    if (!peers) return E_INVALIDARG;
    *peers = NULL;
    return S_FALSE;
}

static HRESULT WINAPI peer_cache_ClearPeers(IBitsPeerCacheAdministration *iface)
{
    TRACE("%p.\n", iface);
    return S_FALSE;
}

static HRESULT WINAPI peer_cache_DiscoverPeers(IBitsPeerCacheAdministration *iface)
{
    TRACE("%p.\n", iface);
    return S_FALSE;
}

static const IBitsPeerCacheAdministrationVtbl peer_cache_vtbl =
{
    peer_cache_QueryInterface,
    peer_cache_AddRef,
    peer_cache_Release,
    peer_cache_GetMaximumCacheSize,
    peer_cache_SetMaximumCacheSize,
    peer_cache_GetMaximumContentAge,
    peer_cache_SetMaximumContentAge,
    peer_cache_GetConfigurationFlags,
    peer_cache_SetConfigurationFlags,
    peer_cache_EnumRecords,
    peer_cache_GetRecord,
    peer_cache_ClearRecords,
    peer_cache_DeleteRecord,
    peer_cache_DeleteUrl,
    peer_cache_EnumPeers,
    peer_cache_ClearPeers,
    peer_cache_DiscoverPeers,
};

static struct peer_cache peer_cache = { { &peer_cache_vtbl } };

/* The interface of the manager outer; the manager is a static object, so is this. */
IBitsPeerCacheAdministration *peer_cache_get(IUnknown *outer)
{
    peer_cache.outer = outer;
    return &peer_cache.IBitsPeerCacheAdministration_iface;
}
