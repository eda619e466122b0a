/*
 * Background Intelligent Transfer Service: the job and file enumerators
 * (IEnumBackgroundCopyJobs, IEnumBackgroundCopyFiles).
 *
 * Both are snapshots: the list of objects is fixed when the enumerator is
 * made, while the objects themselves stay live.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>

#include "qmgr_private.h"

#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(qmgr);

/* One implementation serves both interfaces: they have the same shape. */
struct enumerator
{
    union
    {
        IEnumBackgroundCopyJobs IEnumBackgroundCopyJobs_iface;
        IEnumBackgroundCopyFiles IEnumBackgroundCopyFiles_iface;
        IUnknown IUnknown_iface;
    };
    const IID *iid;
    LONG refcount;
    CRITICAL_SECTION cs;
    IUnknown **items;  /* each holds a reference */
    ULONG count;
    ULONG position;
};

static inline struct enumerator *impl_from_IUnknown(IUnknown *iface)
{
    return CONTAINING_RECORD(iface, struct enumerator, IUnknown_iface);
}

static HRESULT enumerator_create(const void *vtbl, const IID *iid, IUnknown **items, ULONG count,
                                 ULONG position, struct enumerator **out);

static HRESULT enumerator_QueryInterface(IUnknown *iface, REFIID riid, void **obj)
{
    struct enumerator *enumerator = impl_from_IUnknown(iface);

    TRACE("%p, %s, %p.\n", iface, debugstr_guid(riid), obj);

    if (IsEqualGUID(riid, &IID_IUnknown) || IsEqualGUID(riid, enumerator->iid))
    {
        *obj = iface;
        IUnknown_AddRef(iface);
        return S_OK;
    }
    WARN("Unsupported interface %s.\n", debugstr_guid(riid));
    *obj = NULL;
    return E_NOINTERFACE;
}

static ULONG enumerator_AddRef(IUnknown *iface)
{
    struct enumerator *enumerator = impl_from_IUnknown(iface);
    ULONG refcount = InterlockedIncrement(&enumerator->refcount);

    TRACE("%p increasing refcount to %lu.\n", iface, refcount);
    return refcount;
}

static ULONG enumerator_Release(IUnknown *iface)
{
    struct enumerator *enumerator = impl_from_IUnknown(iface);
    ULONG refcount = InterlockedDecrement(&enumerator->refcount);
    ULONG i;

    TRACE("%p decreasing refcount to %lu.\n", iface, refcount);

    if (!refcount)
    {
        for (i = 0; i < enumerator->count; i++) IUnknown_Release(enumerator->items[i]);
        free(enumerator->items);
        DeleteCriticalSection(&enumerator->cs);
        free(enumerator);
    }
    return refcount;
}

static HRESULT enumerator_Next(IUnknown *iface, ULONG celt, IUnknown **items, ULONG *fetched)
{
    struct enumerator *enumerator = impl_from_IUnknown(iface);
    ULONG i, n;

    TRACE("%p, %lu, %p, %p.\n", iface, celt, items, fetched);

    /* The count may only be omitted when one item is asked for. */
    if (!items || (!fetched && celt != 1)) return E_INVALIDARG;

    EnterCriticalSection(&enumerator->cs);
    n = min(celt, enumerator->count - enumerator->position);
    for (i = 0; i < n; i++)
    {
        items[i] = enumerator->items[enumerator->position++];
        IUnknown_AddRef(items[i]);
    }
    LeaveCriticalSection(&enumerator->cs);

    if (fetched) *fetched = n;
    return n == celt ? S_OK : S_FALSE;
}

static HRESULT enumerator_Skip(IUnknown *iface, ULONG celt)
{
    struct enumerator *enumerator = impl_from_IUnknown(iface);
    HRESULT hr = S_OK;

    TRACE("%p, %lu.\n", iface, celt);

    EnterCriticalSection(&enumerator->cs);
    if (celt > enumerator->count - enumerator->position)
    {
        enumerator->position = enumerator->count;
        hr = S_FALSE;
    }
    else enumerator->position += celt;
    LeaveCriticalSection(&enumerator->cs);
    return hr;
}

static HRESULT enumerator_Reset(IUnknown *iface)
{
    struct enumerator *enumerator = impl_from_IUnknown(iface);

    TRACE("%p.\n", iface);

    EnterCriticalSection(&enumerator->cs);
    enumerator->position = 0;
    LeaveCriticalSection(&enumerator->cs);
    return S_OK;
}

static HRESULT enumerator_Clone(IUnknown *iface, IUnknown **clone)
{
    struct enumerator *enumerator = impl_from_IUnknown(iface), *copy;
    HRESULT hr;

    TRACE("%p, %p.\n", iface, clone);

    if (!clone) return E_INVALIDARG;
    EnterCriticalSection(&enumerator->cs);
    hr = enumerator_create(enumerator->IUnknown_iface.lpVtbl, enumerator->iid, enumerator->items,
                           enumerator->count, enumerator->position, &copy);
    LeaveCriticalSection(&enumerator->cs);
    *clone = SUCCEEDED(hr) ? &copy->IUnknown_iface : NULL;
    return hr;
}

static HRESULT enumerator_GetCount(IUnknown *iface, ULONG *count)
{
    struct enumerator *enumerator = impl_from_IUnknown(iface);

    TRACE("%p, %p.\n", iface, count);

    if (!count) return E_INVALIDARG;
    *count = enumerator->count;
    return S_OK;
}

/* The typed vtables forward to the shared implementation. */

static HRESULT WINAPI jobs_QueryInterface(IEnumBackgroundCopyJobs *iface, REFIID riid, void **obj)
{
    return enumerator_QueryInterface((IUnknown *)iface, riid, obj);
}

static ULONG WINAPI jobs_AddRef(IEnumBackgroundCopyJobs *iface)
{
    return enumerator_AddRef((IUnknown *)iface);
}

static ULONG WINAPI jobs_Release(IEnumBackgroundCopyJobs *iface)
{
    return enumerator_Release((IUnknown *)iface);
}

static HRESULT WINAPI jobs_Next(IEnumBackgroundCopyJobs *iface, ULONG celt, IBackgroundCopyJob **jobs, ULONG *fetched)
{
    return enumerator_Next((IUnknown *)iface, celt, (IUnknown **)jobs, fetched);
}

static HRESULT WINAPI jobs_Skip(IEnumBackgroundCopyJobs *iface, ULONG celt)
{
    return enumerator_Skip((IUnknown *)iface, celt);
}

static HRESULT WINAPI jobs_Reset(IEnumBackgroundCopyJobs *iface)
{
    return enumerator_Reset((IUnknown *)iface);
}

static HRESULT WINAPI jobs_Clone(IEnumBackgroundCopyJobs *iface, IEnumBackgroundCopyJobs **clone)
{
    return enumerator_Clone((IUnknown *)iface, (IUnknown **)clone);
}

static HRESULT WINAPI jobs_GetCount(IEnumBackgroundCopyJobs *iface, ULONG *count)
{
    return enumerator_GetCount((IUnknown *)iface, count);
}

static const IEnumBackgroundCopyJobsVtbl jobs_vtbl =
{
    jobs_QueryInterface,
    jobs_AddRef,
    jobs_Release,
    jobs_Next,
    jobs_Skip,
    jobs_Reset,
    jobs_Clone,
    jobs_GetCount,
};

static HRESULT WINAPI files_QueryInterface(IEnumBackgroundCopyFiles *iface, REFIID riid, void **obj)
{
    return enumerator_QueryInterface((IUnknown *)iface, riid, obj);
}

static ULONG WINAPI files_AddRef(IEnumBackgroundCopyFiles *iface)
{
    return enumerator_AddRef((IUnknown *)iface);
}

static ULONG WINAPI files_Release(IEnumBackgroundCopyFiles *iface)
{
    return enumerator_Release((IUnknown *)iface);
}

static HRESULT WINAPI files_Next(IEnumBackgroundCopyFiles *iface, ULONG celt, IBackgroundCopyFile **files, ULONG *fetched)
{
    return enumerator_Next((IUnknown *)iface, celt, (IUnknown **)files, fetched);
}

static HRESULT WINAPI files_Skip(IEnumBackgroundCopyFiles *iface, ULONG celt)
{
    return enumerator_Skip((IUnknown *)iface, celt);
}

static HRESULT WINAPI files_Reset(IEnumBackgroundCopyFiles *iface)
{
    return enumerator_Reset((IUnknown *)iface);
}

static HRESULT WINAPI files_Clone(IEnumBackgroundCopyFiles *iface, IEnumBackgroundCopyFiles **clone)
{
    return enumerator_Clone((IUnknown *)iface, (IUnknown **)clone);
}

static HRESULT WINAPI files_GetCount(IEnumBackgroundCopyFiles *iface, ULONG *count)
{
    return enumerator_GetCount((IUnknown *)iface, count);
}

static const IEnumBackgroundCopyFilesVtbl files_vtbl =
{
    files_QueryInterface,
    files_AddRef,
    files_Release,
    files_Next,
    files_Skip,
    files_Reset,
    files_Clone,
    files_GetCount,
};

static HRESULT enumerator_create(const void *vtbl, const IID *iid, IUnknown **items, ULONG count,
                                 ULONG position, struct enumerator **out)
{
    struct enumerator *enumerator;
    ULONG i;

    if (!(enumerator = calloc(1, sizeof(*enumerator)))) return E_OUTOFMEMORY;
    if (count && !(enumerator->items = malloc(count * sizeof(*items))))
    {
        free(enumerator);
        return E_OUTOFMEMORY;
    }
    enumerator->IUnknown_iface.lpVtbl = vtbl;
    enumerator->iid = iid;
    enumerator->refcount = 1;
    InitializeCriticalSection(&enumerator->cs);
    for (i = 0; i < count; i++)
    {
        enumerator->items[i] = items[i];
        IUnknown_AddRef(items[i]);
    }
    enumerator->count = count;
    enumerator->position = position;
    *out = enumerator;
    return S_OK;
}

HRESULT enum_jobs_create(struct job **jobs, ULONG count, IEnumBackgroundCopyJobs **out)
{
    struct enumerator *enumerator;
    IUnknown **items = NULL;
    HRESULT hr;
    ULONG i;

    *out = NULL;
    if (count && !(items = malloc(count * sizeof(*items)))) return E_OUTOFMEMORY;
    for (i = 0; i < count; i++) items[i] = (IUnknown *)job_iface(jobs[i]);
    hr = enumerator_create(&jobs_vtbl, &IID_IEnumBackgroundCopyJobs, items, count, 0, &enumerator);
    free(items);
    *out = SUCCEEDED(hr) ? &enumerator->IEnumBackgroundCopyJobs_iface : NULL;
    return hr;
}

HRESULT enum_files_create(struct file **files, ULONG count, IEnumBackgroundCopyFiles **out)
{
    struct enumerator *enumerator;
    IUnknown **items = NULL;
    HRESULT hr;
    ULONG i;

    *out = NULL;
    if (count && !(items = malloc(count * sizeof(*items)))) return E_OUTOFMEMORY;
    for (i = 0; i < count; i++) items[i] = (IUnknown *)file_iface(files[i]);
    hr = enumerator_create(&files_vtbl, &IID_IEnumBackgroundCopyFiles, items, count, 0, &enumerator);
    free(items);
    *out = SUCCEEDED(hr) ? &enumerator->IEnumBackgroundCopyFiles_iface : NULL;
    return hr;
}
