/*
 * Background Intelligent Transfer Service: the file object
 * (IBackgroundCopyFile .. IBackgroundCopyFile6).
 *
 * The job owns its files' memory.  A file the client holds keeps its job
 * alive: the first client reference takes a job reference and the last one
 * drops it, so job and file never form a reference cycle.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>

#include "qmgr_private.h"
#include "store.h"
#include "transfer.h"

#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(qmgr);

struct file
{
    IBackgroundCopyFile6 IBackgroundCopyFile6_iface;
    LONG refcount;
    CRITICAL_SECTION cs;
    struct job *job;

    WCHAR *remote_name;
    WCHAR *local_name;
    WCHAR *temp_name;
    BG_FILE_PROGRESS progress;  /* Completed: renamed by Complete, available to the user */
    BOOL transferred;           /* every byte is in the temporary file */
    BOOL direct;                /* HIGH_PERFORMANCE: written straight into the destination */
    BOOL temp_created;          /* the temporary file is ours: created with CREATE_NEW
                                   (HIGH_PERFORMANCE: the destination was opened to be written) */
    WCHAR *validator;           /* ETag or Last-Modified of the bytes there, for If-Range */
    UINT64 remote_size;         /* of the remote file, once a response told it */
    DWORD attributes;           /* the source's, for the final file (SMB); 0: none */
    WCHAR *response_headers;    /* of the server's last response, for File5 */
    BG_FILE_RANGE *ranges;
    DWORD range_count;
    BOOL validation_state;
    UINT64 durable;             /* bytes of the temporary file flushed to disk */
    struct upload_session upload_session;  /* the server's, while an upload is under way */
    UINT64 upload_version;      /* last-write time of the local file the session began with; 0 unknown */
    WCHAR *reply_url;           /* upload-reply: where the server's reply is, once the upload is done */
    BOOL upload;                /* sent to the server, not fetched (the reply of an upload-reply is fetched) */
    /* Random access (File6, on-demand jobs): once sparse, the temporary file
     * holds the remote bytes at their own offsets and filled says which are there. */
    BOOL sparse;
    struct range_set filled;
    struct range_set wanted;    /* asked for with RequestFileRanges; BG_LENGTH_TO_EOF ends at ~0 */
    struct range_set fresh;     /* filled since the last FileRangesTransferred */
    UINT64 position;            /* UpdateDownloadPosition: missing bytes from here on first */
    BOOL replan;                /* requests changed under a running transfer */
    BOOL restart;               /* starts again from nothing at its next run (CRL checking turned on) */
    BOOL no_random_access;      /* the server answered a range with the whole file */
    BOOL size_asked;            /* a HEAD asked its size before its turn (once per service run) */
    /* The temporary file, open for writing (GENERIC_WRITE, shared for all):
     * made before its turn (file_prepare_temporary), or transferred and left
     * open for Complete; NULL if not.  Anything done to the file by name
     * closes it first (close_temp_handle). */
    HANDLE temp_handle;
    BOOL prepared;              /* the temporary file was made ahead, its transfer has not begun */
    /* GetTemporaryName told the application the name: it may open the file
     * (to check it before Complete, or to read it as it comes), and a reader
     * sharing only reading would be refused while we hold it for writing;
     * so no handle is left open then. */
    BOOL name_given;
};

/* Temporary files left open (file->temp_handle).  Complete renames a file
 * through its handle, where opening it again by name cost a lookup of the
 * path and three round trips through Wine's server: a job of many small files
 * spent most of its Complete on these; and a transfer finds the file made
 * ahead of its turn by another thread.  The bound keeps file descriptors for
 * everything else (Wine raises its limit to the hard one). */
#define TEMP_HANDLES_MAX 1024
static LONG temp_handles;

static BOOL temp_handle_allowed(void)
{
    if (InterlockedIncrement(&temp_handles) <= TEMP_HANDLES_MAX) return TRUE;
    InterlockedDecrement(&temp_handles);
    return FALSE;
}

static void temp_handle_given_back(void)
{
    InterlockedDecrement(&temp_handles);
}

/* The file's open temporary file, handed over to the caller; NULL if none.  File lock held. */
static HANDLE take_temp_handle(struct file *file)
{
    HANDLE handle = file->temp_handle;

    if (!handle) return NULL;
    file->temp_handle = NULL;
    temp_handle_given_back();
    return handle;
}

/* Before anything is done to the temporary file by name.  File lock held. */
static void close_temp_handle(struct file *file)
{
    HANDLE handle = take_temp_handle(file);

    if (handle) CloseHandle(handle);
}

/* How often a transfer flushes its temporary file: what a power loss can cost. */
#define FLUSH_INTERVAL_MS 10000

static inline struct file *impl_from_IBackgroundCopyFile6(IBackgroundCopyFile6 *iface)
{
    return CONTAINING_RECORD(iface, struct file, IBackgroundCopyFile6_iface);
}

IBackgroundCopyFile *file_iface(struct file *file)
{
    return (IBackgroundCopyFile *)&file->IBackgroundCopyFile6_iface;
}

static HRESULT WINAPI file_QueryInterface(IBackgroundCopyFile6 *iface, REFIID riid, void **obj)
{
    TRACE("%p, %s, %p.\n", iface, debugstr_guid(riid), obj);

    if (IsEqualGUID(riid, &IID_IUnknown) ||
        IsEqualGUID(riid, &IID_IBackgroundCopyFile) ||
        IsEqualGUID(riid, &IID_IBackgroundCopyFile2) ||
        IsEqualGUID(riid, &IID_IBackgroundCopyFile3) ||
        IsEqualGUID(riid, &IID_IBackgroundCopyFile4) ||
        IsEqualGUID(riid, &IID_IBackgroundCopyFile5) ||
        IsEqualGUID(riid, &IID_IBackgroundCopyFile6))
    {
        *obj = iface;
        IBackgroundCopyFile6_AddRef(iface);
        return S_OK;
    }
    WARN("Unsupported interface %s.\n", debugstr_guid(riid));
    *obj = NULL;
    return E_NOINTERFACE;
}

static ULONG WINAPI file_AddRef(IBackgroundCopyFile6 *iface)
{
    struct file *file = impl_from_IBackgroundCopyFile6(iface);
    ULONG refcount = InterlockedIncrement(&file->refcount);

    TRACE("%p increasing refcount to %lu.\n", file, refcount);
    if (refcount == 1) job_addref(file->job);
    return refcount;
}

static ULONG WINAPI file_Release(IBackgroundCopyFile6 *iface)
{
    struct file *file = impl_from_IBackgroundCopyFile6(iface);
    ULONG refcount = InterlockedDecrement(&file->refcount);

    TRACE("%p decreasing refcount to %lu.\n", file, refcount);
    if (!refcount) job_release(file->job);
    return refcount;
}

static HRESULT WINAPI file_GetRemoteName(IBackgroundCopyFile6 *iface, LPWSTR *name)
{
    struct file *file = impl_from_IBackgroundCopyFile6(iface);
    HRESULT hr;

    TRACE("%p, %p.\n", iface, name);

    if (!job_caller_may_access(file->job)) return E_ACCESSDENIED;

    if (!name) return E_INVALIDARG;
    EnterCriticalSection(&file->cs);
    hr = return_string(file->remote_name, name);
    LeaveCriticalSection(&file->cs);
    return hr;
}

static HRESULT WINAPI file_GetLocalName(IBackgroundCopyFile6 *iface, LPWSTR *name)
{
    struct file *file = impl_from_IBackgroundCopyFile6(iface);

    TRACE("%p, %p.\n", iface, name);

    if (!job_caller_may_access(file->job)) return E_ACCESSDENIED;

    if (!name) return E_INVALIDARG;
    return return_string(file->local_name, name);
}

void file_get_progress(struct file *file, BG_FILE_PROGRESS *progress)
{
    EnterCriticalSection(&file->cs);
    *progress = file->progress;
    LeaveCriticalSection(&file->cs);
}

static HRESULT WINAPI file_GetProgress(IBackgroundCopyFile6 *iface, BG_FILE_PROGRESS *progress)
{
    struct file *file = impl_from_IBackgroundCopyFile6(iface);

    TRACE("%p, %p.\n", iface, progress);

    if (!job_caller_may_access(file->job)) return E_ACCESSDENIED;

    if (!progress) return E_INVALIDARG;
    file_get_progress(file, progress);
    return S_OK;
}

static HRESULT WINAPI file_GetFileRanges(IBackgroundCopyFile6 *iface, DWORD *count, BG_FILE_RANGE **ranges)
{
    struct file *file = impl_from_IBackgroundCopyFile6(iface);
    HRESULT hr = S_OK;

    TRACE("%p, %p, %p.\n", iface, count, ranges);

    if (!job_caller_may_access(file->job)) return E_ACCESSDENIED;

    if (!count || !ranges) return E_INVALIDARG;
    *count = 0;
    *ranges = NULL;

    EnterCriticalSection(&file->cs);
    if (!file->range_count) hr = S_FALSE;
    else if (!(*ranges = CoTaskMemAlloc(file->range_count * sizeof(**ranges)))) hr = E_OUTOFMEMORY;
    else
    {
        memcpy(*ranges, file->ranges, file->range_count * sizeof(**ranges));
        *count = file->range_count;
    }
    LeaveCriticalSection(&file->cs);
    return hr;
}

/* Byte ranges need HTTP: SMB is not for ranges (behavior.md 7.2), which
 * AddFileWithRanges checks too.  File lock held. */
static BOOL name_fits_ranges(struct file *file, const WCHAR *remote_name)
{
    return !file->range_count || !transfer_is_file_name(remote_name);
}

/* Another name may be another server: its size and its range support are
 * asked again.  File lock held. */
static void take_remote_name(struct file *file, WCHAR *remote_name)
{
    free(file->remote_name);
    file->remote_name = remote_name;
    file->size_asked = FALSE;
    file->no_random_access = FALSE;
}

static HRESULT set_remote_name(struct file *file, const WCHAR *remote_name)
{
    HRESULT hr = S_OK;
    WCHAR *copy;

    if (!(copy = strdupW(remote_name))) return E_OUTOFMEMORY;
    EnterCriticalSection(&file->cs);
    if (!name_fits_ranges(file, copy)) hr = E_INVALIDARG;
    else
    {
        take_remote_name(file, copy);
        copy = NULL;
    }
    LeaveCriticalSection(&file->cs);
    free(copy);
    return hr;
}

static HRESULT WINAPI file_SetRemoteName(IBackgroundCopyFile6 *iface, LPCWSTR name)
{
    struct file *file = impl_from_IBackgroundCopyFile6(iface);
    HRESULT hr;

    TRACE("%p, %s.\n", iface, debugstr_w(name));

    /* As the job's own methods: its owner and the administrators only. */
    if (!job_caller_may_access(file->job)) return E_ACCESSDENIED;

    if (job_type(file->job) != BG_JOB_TYPE_DOWNLOAD) return E_NOTIMPL;
    if (FAILED(hr = validate_remote_name(name, BG_JOB_TYPE_DOWNLOAD))) return hr;
    if (job_is_final(file->job)) return BG_E_INVALID_STATE;
    if (SUCCEEDED(hr = set_remote_name(file, name))) job_file_changed(file->job);
    return hr;
}

/* Case-sensitive prefix replacement for IBackgroundCopyJob3::ReplaceRemotePrefix. */
BOOL file_replace_remote_prefix(struct file *file, const WCHAR *old_prefix, const WCHAR *new_prefix, BOOL apply,
                                HRESULT *hr)
{
    size_t old_len = wcslen(old_prefix), new_len = wcslen(new_prefix), len;
    WCHAR *name;

    *hr = S_OK;
    EnterCriticalSection(&file->cs);
    len = wcslen(file->remote_name);
    if (len < old_len || wcsncmp(file->remote_name, old_prefix, old_len))
    {
        LeaveCriticalSection(&file->cs);
        return FALSE;
    }
    if (!(name = malloc((len - old_len + new_len + 1) * sizeof(WCHAR)))) *hr = E_OUTOFMEMORY;
    else
    {
        wcscpy(name, new_prefix);
        wcscat(name, file->remote_name + old_len);
        if (SUCCEEDED(*hr = validate_remote_name(name, BG_JOB_TYPE_DOWNLOAD)) && !name_fits_ranges(file, name))
            *hr = E_INVALIDARG;
        if (FAILED(*hr) || !apply) free(name);
        else take_remote_name(file, name);
    }
    LeaveCriticalSection(&file->cs);
    return SUCCEEDED(*hr);
}

static int __cdecl compare_ranges(const void *a, const void *b)
{
    const BG_FILE_RANGE *r1 = a, *r2 = b;
    return r1->InitialOffset < r2->InitialOffset ? -1 : r1->InitialOffset > r2->InitialOffset;
}

HRESULT file_set_ranges(struct file *file, DWORD count, const BG_FILE_RANGE *ranges)
{
    BG_FILE_RANGE *sorted;
    DWORD i;

    if (!count) return E_INVALIDARG;
    for (i = 0; i < count; i++)
    {
        if (ranges[i].InitialOffset == BG_LENGTH_TO_EOF) return BG_E_INVALID_RANGE;
        if (ranges[i].Length != BG_LENGTH_TO_EOF && ranges[i].InitialOffset + ranges[i].Length < ranges[i].InitialOffset)
            return BG_E_INVALID_RANGE;
    }
    if (!(sorted = malloc(count * sizeof(*sorted)))) return E_OUTOFMEMORY;
    memcpy(sorted, ranges, count * sizeof(*sorted));
    qsort(sorted, count, sizeof(*sorted), compare_ranges);
    /* Two ranges at one offset overlap whatever their lengths: (100, 5) and
     * (100, 0) is the documented example of BG_E_OVERLAPPING_RANGES. */
    for (i = 1; i < count; i++)
    {
        const BG_FILE_RANGE *prev = &sorted[i - 1];
        if (prev->Length == BG_LENGTH_TO_EOF || prev->InitialOffset == sorted[i].InitialOffset ||
            prev->InitialOffset + prev->Length > sorted[i].InitialOffset)
        {
            free(sorted);
            return BG_E_OVERLAPPING_RANGES;
        }
    }
    free(sorted);
    for (i = 0; i < count; i++) if (!ranges[i].Length) return BG_E_INVALID_RANGE;

    if (!(sorted = malloc(count * sizeof(*sorted)))) return E_OUTOFMEMORY;
    memcpy(sorted, ranges, count * sizeof(*sorted));
    EnterCriticalSection(&file->cs);
    free(file->ranges);
    file->ranges = sorted;
    file->range_count = count;
    LeaveCriticalSection(&file->cs);
    return S_OK;
}

BOOL file_has_ranges(struct file *file)
{
    BOOL ret;

    EnterCriticalSection(&file->cs);
    ret = file->range_count != 0;
    LeaveCriticalSection(&file->cs);
    return ret;
}

static HRESULT WINAPI file_GetTemporaryName(IBackgroundCopyFile6 *iface, LPWSTR *name)
{
    struct file *file = impl_from_IBackgroundCopyFile6(iface);
    BOOL first;
    HRESULT hr;

    TRACE("%p, %p.\n", iface, name);

    if (!job_caller_may_access(file->job)) return E_ACCESSDENIED;

    if (!name) return E_INVALIDARG;
    EnterCriticalSection(&file->cs);
    hr = return_string(file->temp_name, name);
    if ((first = !file->name_given && !file->direct))
    {
        file->name_given = TRUE;
        close_temp_handle(file);
    }
    LeaveCriticalSection(&file->cs);
    if (first) job_save_later(file->job);
    return hr;
}

static HRESULT WINAPI file_SetValidationState(IBackgroundCopyFile6 *iface, BOOL state)
{
    struct file *file = impl_from_IBackgroundCopyFile6(iface);
    HRESULT hr = S_OK;
    BOOL refused;

    TRACE("%p, %d.\n", iface, state);

    /* As the job's own methods: its owner and the administrators only. */
    if (!job_caller_may_access(file->job)) return E_ACCESSDENIED;

    EnterCriticalSection(&file->cs);
    /* Valid once the bytes are all there, before Complete too (that is what
     * FileTransferred and GetTemporaryName are for). */
    if (!file->transferred && !file->progress.Completed) hr = E_PENDING;
    refused = SUCCEEDED(hr) && !state && !file->upload && !file->progress.Completed;
    LeaveCriticalSection(&file->cs);
    /* Content from the origin server that the application refuses is fetched again. */
    if (refused) hr = job_validation_failed(file->job, file);
    if (SUCCEEDED(hr))
    {
        EnterCriticalSection(&file->cs);
        file->validation_state = state;
        LeaveCriticalSection(&file->cs);
        /* Kept across a restart; not a change of the job's that moves its times. */
        job_save_later(file->job);
    }
    return hr;
}

static HRESULT WINAPI file_GetValidationState(IBackgroundCopyFile6 *iface, BOOL *state)
{
    struct file *file = impl_from_IBackgroundCopyFile6(iface);

    TRACE("%p, %p.\n", iface, state);

    if (!job_caller_may_access(file->job)) return E_ACCESSDENIED;

    if (!state) return E_INVALIDARG;
    *state = file->validation_state;
    return S_OK;
}

static HRESULT WINAPI file_IsDownloadedFromPeer(IBackgroundCopyFile6 *iface, BOOL *from_peer)
{
    struct file *file = impl_from_IBackgroundCopyFile6(iface);

    TRACE("%p, %p.\n", iface, from_peer);

    if (!job_caller_may_access(file->job)) return E_ACCESSDENIED;

    if (!from_peer) return E_INVALIDARG;
    /* Peer caching is not offered: every byte comes from the origin server. */
    *from_peer = FALSE;
    return S_OK;
}

static HRESULT WINAPI file_GetPeerDownloadStats(IBackgroundCopyFile6 *iface, UINT64 *from_origin, UINT64 *from_peers)
{
    struct file *file = impl_from_IBackgroundCopyFile6(iface);

    TRACE("%p, %p, %p.\n", iface, from_origin, from_peers);

    if (!job_caller_may_access(file->job)) return E_ACCESSDENIED;

    if (!from_origin || !from_peers) return E_INVALIDARG;
    EnterCriticalSection(&file->cs);
    *from_origin = file->progress.BytesTransferred;
    LeaveCriticalSection(&file->cs);
    *from_peers = 0;
    return S_OK;
}

static HRESULT WINAPI file_SetProperty(IBackgroundCopyFile6 *iface, BITS_FILE_PROPERTY_ID id, BITS_FILE_PROPERTY_VALUE value)
{
    TRACE("%p, %d.\n", iface, id);

    if (id != BITS_FILE_PROPERTY_ID_HTTP_RESPONSE_HEADERS) return BG_E_UNKNOWN_PROPERTY_ID;
    /* The response headers are what the server sent; the docs do not say they can be set. */
    return BG_E_READ_ONLY_PROPERTY;
}

static HRESULT WINAPI file_GetProperty(IBackgroundCopyFile6 *iface, BITS_FILE_PROPERTY_ID id, BITS_FILE_PROPERTY_VALUE *value)
{
    struct file *file = impl_from_IBackgroundCopyFile6(iface);
    HRESULT hr;

    TRACE("%p, %d, %p.\n", iface, id, value);

    if (!job_caller_may_access(file->job)) return E_ACCESSDENIED;

    if (!value) return E_INVALIDARG;
    value->String = NULL;
    if (id != BITS_FILE_PROPERTY_ID_HTTP_RESPONSE_HEADERS) return BG_E_UNKNOWN_PROPERTY_ID;
    EnterCriticalSection(&file->cs);
    /* Before any response there are no headers: an empty string. */
    hr = return_string(file->response_headers ? file->response_headers : L"", &value->String);
    LeaveCriticalSection(&file->cs);
    return hr;
}

/* Whether the file can be fetched in pieces at all: an HTTP download of a whole
 * file from a server that honours ranges (behavior.md 14).  File lock held. */
static BOOL random_access_possible(struct file *file)
{
    return !file->upload && !file->range_count && !file->no_random_access && !transfer_is_file_name(file->remote_name);
}

static HRESULT check_random_access(struct file *file)
{
    BOOL possible;

    /* The job first: its lock is never taken under a file's. */
    if (!job_random_access_allowed(file->job)) return BG_E_RANDOM_ACCESS_NOT_SUPPORTED;
    EnterCriticalSection(&file->cs);
    possible = random_access_possible(file);
    LeaveCriticalSection(&file->cs);
    return possible ? S_OK : BG_E_RANDOM_ACCESS_NOT_SUPPORTED;
}

/* From now on the bytes on disk are a set of ranges: what a sequential
 * download has so far is the first of them.  File lock held. */
static void make_sparse(struct file *file)
{
    if (file->sparse) return;
    file->sparse = TRUE;
    range_set_clear(&file->filled);
    range_set_add(&file->filled, 0, file->progress.BytesTransferred);
    range_set_add(&file->fresh, 0, file->progress.BytesTransferred);
}

/* A range asked for "to the end" ends here until the size is known. */
#define REQUEST_TO_EOF (~(UINT64)0)

static UINT64 request_end(const BG_FILE_RANGE *range)
{
    return range->Length == BG_LENGTH_TO_EOF ? REQUEST_TO_EOF : range->InitialOffset + range->Length;
}

/* The size of the remote file, as far as it is known.  File lock held. */
static UINT64 whole_size(struct file *file)
{
    return file->progress.BytesTotal != BG_SIZE_UNKNOWN ? file->progress.BytesTotal : file->remote_size;
}

/* Some bytes of a request (within size) are not on disk.  File lock held. */
static BOOL request_missing(struct file *file, const struct byte_range *request, UINT64 size)
{
    UINT64 start, end;

    return range_set_first_gap(&file->filled, request->start, min(request->end, size), &start, &end);
}

static HRESULT WINAPI file_UpdateDownloadPosition(IBackgroundCopyFile6 *iface, UINT64 offset)
{
    struct file *file = impl_from_IBackgroundCopyFile6(iface);
    HRESULT hr;

    TRACE("%p, %s.\n", iface, wine_dbgstr_longlong(offset));

    /* As the job's own methods: its owner and the administrators only. */
    if (!job_caller_may_access(file->job)) return E_ACCESSDENIED;

    if (FAILED(hr = check_random_access(file))) return hr;
    if (job_is_final(file->job)) return BG_E_INVALID_STATE;
    EnterCriticalSection(&file->cs);
    if (!file->transferred)
    {
        make_sparse(file);
        file->position = offset;
        file->replan = TRUE;
    }
    LeaveCriticalSection(&file->cs);
    job_save_later(file->job);
    return S_OK;
}

static HRESULT WINAPI file_RequestFileRanges(IBackgroundCopyFile6 *iface, DWORD count, const BG_FILE_RANGE ranges[])
{
    struct file *file = impl_from_IBackgroundCopyFile6(iface);
    UINT64 size, end;
    HRESULT hr = S_OK;
    DWORD i;

    TRACE("%p, %lu, %p.\n", iface, count, ranges);

    /* As the job's own methods: its owner and the administrators only. */
    if (!job_caller_may_access(file->job)) return E_ACCESSDENIED;

    if (!count || !ranges) return E_INVALIDARG;
    if (FAILED(hr = check_random_access(file))) return hr;
    if (job_is_final(file->job)) return BG_E_INVALID_STATE;

    EnterCriticalSection(&file->cs);
    size = whole_size(file);
    for (i = 0; i < count && SUCCEEDED(hr); i++)
    {
        const BG_FILE_RANGE *range = &ranges[i];

        end = request_end(range);
        if (!range->Length || range->InitialOffset == BG_LENGTH_TO_EOF || end < range->InitialOffset)
            hr = BG_E_INVALID_RANGE;
        /* Outside the file: checked now when the size is known, else once it is. */
        else if (size != BG_SIZE_UNKNOWN && (range->InitialOffset >= size || (end != REQUEST_TO_EOF && end > size)))
            hr = BG_E_INVALID_RANGE;
    }
    /* A file that is all there has every range already. */
    if (SUCCEEDED(hr) && !file->transferred)
    {
        make_sparse(file);
        for (i = 0; i < count && SUCCEEDED(hr); i++)
            if (!range_set_add(&file->wanted, ranges[i].InitialOffset, request_end(&ranges[i]))) hr = E_OUTOFMEMORY;
        file->replan = TRUE;
    }
    LeaveCriticalSection(&file->cs);
    if (SUCCEEDED(hr)) job_save_later(file->job);
    return hr;
}

static HRESULT WINAPI file_GetFilledFileRanges(IBackgroundCopyFile6 *iface, DWORD *count, BG_FILE_RANGE **ranges)
{
    struct file *file = impl_from_IBackgroundCopyFile6(iface);
    struct range_set prefix = { 0 };
    HRESULT hr;

    TRACE("%p, %p, %p.\n", iface, count, ranges);

    if (!job_caller_may_access(file->job)) return E_ACCESSDENIED;

    if (!count || !ranges) return E_INVALIDARG;
    *count = 0;
    *ranges = NULL;
    if (FAILED(hr = check_random_access(file))) return hr;
    EnterCriticalSection(&file->cs);
    if (file->sparse) hr = range_set_export(&file->filled, count, ranges);
    else if (!range_set_add(&prefix, 0, file->progress.BytesTransferred)) hr = E_OUTOFMEMORY;
    else hr = range_set_export(&prefix, count, ranges);
    LeaveCriticalSection(&file->cs);
    range_set_clear(&prefix);
    return hr;
}

static const IBackgroundCopyFile6Vtbl file_vtbl =
{
    file_QueryInterface,
    file_AddRef,
    file_Release,
    file_GetRemoteName,
    file_GetLocalName,
    file_GetProgress,
    file_GetFileRanges,
    file_SetRemoteName,
    file_GetTemporaryName,
    file_SetValidationState,
    file_GetValidationState,
    file_IsDownloadedFromPeer,
    file_GetPeerDownloadStats,
    file_SetProperty,
    file_GetProperty,
    file_UpdateDownloadPosition,
    file_RequestFileRanges,
    file_GetFilledFileRanges,
};

/* Windows keeps the data in a hidden BIT<hex>.tmp next to the destination. */
static WCHAR *make_temp_name(const WCHAR *local_name)
{
    const WCHAR *slash = wcsrchr(local_name, '\\'), *fwd = wcsrchr(local_name, '/');
    size_t dir_len;
    WCHAR *name;
    GUID guid;

    if (fwd > slash) slash = fwd;
    dir_len = slash ? slash - local_name + 1 : 0;
    if (!(name = malloc((dir_len + 16) * sizeof(WCHAR)))) return NULL;
    memcpy(name, local_name, dir_len * sizeof(WCHAR));
    CoCreateGuid(&guid);
    swprintf(name + dir_len, 16, L"BIT%08lX.tmp", guid.Data1);
    return name;
}

/* Creates the temporary file with CREATE_NEW under a fresh name until one is
 * free: it never takes over a file that is not ours.  *renamed: the file has
 * another temporary name now.  File lock held. */
static HANDLE create_temporary(struct file *file, BOOL *renamed)
{
    DWORD share = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;
    HANDLE handle = INVALID_HANDLE_VALUE;
    WCHAR *name;
    int tries;

    for (tries = 0; tries < 16; tries++)
    {
        handle = local_file_create_new(file->temp_name, GENERIC_WRITE, share, FILE_ATTRIBUTE_HIDDEN);
        if (handle != INVALID_HANDLE_VALUE)
        {
            file->temp_created = TRUE;
            break;
        }
        if (GetLastError() != ERROR_FILE_EXISTS && GetLastError() != ERROR_ALREADY_EXISTS) break;
        if (!(name = make_temp_name(file->local_name))) break;
        free(file->temp_name);
        file->temp_name = name;
        *renamed = TRUE;
    }
    return handle;
}

/* The record must not keep the name of another's file: after a crash,
 * loading deletes a hidden file of the recorded name (check_temporary_file). */
static void record_new_temp_name(struct file *file)
{
    DWORD error = GetLastError();

    job_save_later(file->job);
    SetLastError(error);
}

/* Opens the file the data goes to: the temporary file made ahead if there is
 * one, else it is made, or opened again when an earlier run made it.  Caller
 * holds nothing; returns INVALID_HANDLE_VALUE with the last error set on
 * failure. */
static HANDLE open_target_as_service(struct file *file)
{
    DWORD share = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;
    BOOL renamed = FALSE;
    HANDLE handle;

    if (file->direct)
    {
        handle = CreateFileW(file->temp_name, GENERIC_WRITE, share, NULL, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
        /* Written by the job from now on: a Complete before its end deletes it. */
        EnterCriticalSection(&file->cs);
        if (handle != INVALID_HANDLE_VALUE) file->temp_created = TRUE;
        LeaveCriticalSection(&file->cs);
        return handle;
    }
    EnterCriticalSection(&file->cs);
    file->prepared = FALSE;
    if ((handle = take_temp_handle(file)))
    {
        LeaveCriticalSection(&file->cs);
        return handle;
    }
    if (file->temp_created)
    {
        LeaveCriticalSection(&file->cs);
        return CreateFileW(file->temp_name, GENERIC_WRITE, share, NULL, OPEN_ALWAYS, FILE_ATTRIBUTE_HIDDEN, NULL);
    }
    handle = create_temporary(file, &renamed);
    LeaveCriticalSection(&file->cs);
    if (renamed) record_new_temp_name(file);
    return handle;
}

/* BG_TOKEN_LOCAL_FILE: the temporary file is created as the helper identity.
 * (No file is made ahead in such a run, and those made ahead in another are
 * gone at its end: file_unprepare_temporary.) */
static HANDLE open_target(struct file *file, HANDLE local_token)
{
    HANDLE handle;
    DWORD error;

    if (!local_token) return open_target_as_service(file);
    if (!SetThreadToken(NULL, local_token)) return INVALID_HANDLE_VALUE;
    handle = open_target_as_service(file);
    error = GetLastError();
    RevertToSelf();
    SetLastError(error);
    return handle;
}

/* Makes the temporary file of a file whose turn has not come, left open for
 * its transfer: job_run's thread ahead does it while the transfer of the
 * files before goes on.  Nothing for a file begun, written in place, or
 * beyond the bound of open files. */
void file_prepare_temporary(struct file *file)
{
    BOOL renamed = FALSE;
    HANDLE handle;

    EnterCriticalSection(&file->cs);
    if (!file->temp_created && !file->direct && !file->upload && !file->transferred && !file->progress.Completed &&
        !file->name_given && !file->temp_handle && temp_handle_allowed())
    {
        if ((handle = create_temporary(file, &renamed)) != INVALID_HANDLE_VALUE)
        {
            file->temp_handle = handle;
            file->prepared = TRUE;
        }
        else temp_handle_given_back();
    }
    LeaveCriticalSection(&file->cs);
    if (renamed) record_new_temp_name(file);
}

/* A file with nothing transferred and nothing known of its remote size. */
static struct file *file_alloc(struct job *job)
{
    struct file *file;

    if (!(file = calloc(1, sizeof(*file)))) return NULL;
    file->IBackgroundCopyFile6_iface.lpVtbl = &file_vtbl;
    file->job = job;
    InitializeCriticalSection(&file->cs);
    file->progress.BytesTotal = BG_SIZE_UNKNOWN;
    file->remote_size = BG_SIZE_UNKNOWN;
    return file;
}

HRESULT file_create(struct job *job, const WCHAR *remote_name, const WCHAR *local_name, BOOL direct,
                    BOOL upload, struct file **out)
{
    struct file *file;

    if (!(file = file_alloc(job))) return E_OUTOFMEMORY;
    file->direct = direct;
    file->upload = upload;
    if (!(file->remote_name = strdupW(remote_name)) ||
        !(file->local_name = strdupW(local_name)) ||
        !(file->temp_name = direct ? strdupW(local_name) : make_temp_name(local_name)))
    {
        file_destroy(file);
        return E_OUTOFMEMORY;
    }
    *out = file;
    return S_OK;
}

/* Deletes a temporary file of ours; FALSE when it is there and stays (in use). */
static BOOL delete_temporary(struct file *file)
{
    DWORD error;

    close_temp_handle(file);
    file->prepared = FALSE;
    if (!file->temp_created || local_file_delete(file->temp_name)) return TRUE;
    error = GetLastError();
    WARN("Cannot delete %s: %lu.\n", debugstr_w(file->temp_name), error);
    return error == ERROR_FILE_NOT_FOUND || error == ERROR_PATH_NOT_FOUND;
}

/* At the end of the run that made it ahead, a temporary file whose transfer
 * did not begin goes: on Windows a file has none before its turn. */
void file_unprepare_temporary(struct file *file)
{
    EnterCriticalSection(&file->cs);
    if (file->prepared && delete_temporary(file)) file->temp_created = FALSE;
    LeaveCriticalSection(&file->cs);
}

BOOL file_discard_temporary(struct file *file)
{
    BOOL deleted = TRUE;

    EnterCriticalSection(&file->cs);
    /* HIGH_PERFORMANCE files are the destination: BITS leaves them as they are. */
    if (!file->progress.Completed && !file->direct)
    {
        deleted = delete_temporary(file);
        file->temp_created = FALSE;
        file->progress.BytesTransferred = 0;
        file->durable = 0;
        file->transferred = FALSE;
        range_set_clear(&file->filled);
        range_set_clear(&file->fresh);
    }
    LeaveCriticalSection(&file->cs);
    return deleted;
}

BOOL file_is_transferred(struct file *file)
{
    BOOL ret;

    EnterCriticalSection(&file->cs);
    ret = file->transferred;
    LeaveCriticalSection(&file->cs);
    return ret;
}

const WCHAR *file_local_name(struct file *file)
{
    return file->local_name;
}

BOOL file_is_local_source(struct file *file)
{
    BOOL is_file;

    EnterCriticalSection(&file->cs);
    is_file = transfer_is_file_name(file->remote_name);
    LeaveCriticalSection(&file->cs);
    return is_file;
}

static BOOL same_string(const WCHAR *a, const WCHAR *b)
{
    if (!a || !b) return a == b;
    return !wcscmp(a, b);
}

/* BG_TOKEN_NETWORK: UNC sources are opened, and servers asked, as the helper
 * identity; between these two calls the thread carries it. */
void network_identity_begin(const struct download_control *control)
{
    if (control->network_token && !SetThreadToken(NULL, control->network_token))
        WARN("cannot impersonate the helper token: %lu.\n", GetLastError());
}

void network_identity_end(const struct download_control *control)
{
    if (control->network_token) RevertToSelf();
}

/* Bytes of a file after which its transfer is saved at once, not at a checkpoint. */
#define RECORD_AFTER_BYTES (64 * 1024)

struct download_progress
{
    struct file *file;
    const struct download_control *control;
    HANDLE handle;
    struct transfer_result *result;
    ULONGLONG last_flush;
    BOOL recorded;              /* the store has heard of this run's first bytes */
    const struct upload_session *upload;  /* an upload's session, kept in the file as it changes */
    /* random access: one missing piece at a time */
    UINT64 before;              /* bytes on disk before this piece */
    UINT64 done;                /* bytes of this piece written */
    BOOL replanned;             /* stopped because the application asked for other bytes */
};

static BOOL download_progress(void *context, UINT64 transferred, UINT64 total)
{
    struct download_progress *progress = context;
    struct file *file = progress->file;
    ULONGLONG now = GetTickCount64();
    BOOL advanced, flushed = FALSE;
    UINT64 new_bytes;

    if (now - progress->last_flush >= FLUSH_INTERVAL_MS)
    {
        progress->last_flush = now;
        flushed = FlushFileBuffers(progress->handle);
    }
    EnterCriticalSection(&file->cs);
    advanced = transferred > file->progress.BytesTransferred;
    new_bytes = advanced ? transferred - file->progress.BytesTransferred : 0;
    file->progress.BytesTransferred = transferred;
    file->progress.BytesTotal = total;
    if (flushed) file->durable = transferred;
    else if (file->durable > transferred) file->durable = transferred;
    /* Random access began under this sequential run: it stops for the pieces asked for. */
    if (file->sparse)
    {
        range_set_add(&file->filled, 0, transferred);
        range_set_add(&file->fresh, 0, transferred);
        progress->replanned = file->replan;
        file->replan = FALSE;
    }
    /* The store may write these bytes at any moment: they are checked against
     * this response's validator from now on, not the one of older bytes. */
    if (progress->result->validated && !same_string(file->validator, progress->result->validator))
    {
        free(file->validator);
        file->validator = strdupW(progress->result->validator);
    }
    LeaveCriticalSection(&file->cs);

    /* Once a transfer has bytes worth keeping, the record learns at once that
     * the temporary file holds them and which validator they match, not at the
     * next checkpoint: a crash in between would throw them away.  Small files
     * are left to the checkpoints, which cost one write of the whole job. */
    if (advanced && !progress->recorded && transferred >= RECORD_AFTER_BYTES)
    {
        progress->recorded = TRUE;
        job_save_later(file->job);
    }
    if (progress->replanned) return FALSE;
    return progress->control->on_progress(progress->control->job, new_bytes);
}

static BOOL download_keep_going(void *context)
{
    struct download_progress *progress = context;
    return progress->control->on_progress(progress->control->job, 0);
}

/* File5's headers are those of the server's last response.  File lock held. */
static void take_response_headers(struct file *file, struct transfer_result *result)
{
    if (!result->response_headers) return;
    free(file->response_headers);
    file->response_headers = result->response_headers;
    result->response_headers = NULL;
}

/* The remote name a redirect policy gives the file: ALLOW_REPORT, where the
 * data came from; DISALLOW, where the refused redirect pointed.  Not when the
 * client named another URL (SetRemoteName) since the run began with
 * started_with: that takes effect at the next run (behavior.md 7.2).  File
 * lock held. */
static BOOL take_final_url(struct file *file, struct transfer_result *result, const WCHAR *started_with)
{
    if (!result->final_url || !same_string(file->remote_name, started_with)) return FALSE;
    /* Only a name AddFile would take: the job's record must load again. */
    if (FAILED(validate_remote_name(result->final_url, BG_JOB_TYPE_DOWNLOAD)))
    {
        WARN("Not taking %s as the remote name.\n", debugstr_w(result->final_url));
        return FALSE;
    }
    free(file->remote_name);
    file->remote_name = result->final_url;
    result->final_url = NULL;
    return TRUE;
}

/* The same for the pieces of a sparse run: *seen is the name the file had
 * from the last piece on, which a redirect's final URL may have replaced. */
static void take_piece_final_url(struct file *file, struct transfer_result *result, WCHAR **seen)
{
    if (!take_final_url(file, result, *seen)) return;
    free(*seen);
    *seen = strdupW(file->remote_name);
}

static void set_open_failure(struct transfer_result *result)
{
    DWORD error = GetLastError();

    result->code = HRESULT_FROM_WIN32(error);
    result->context = BG_ERROR_CONTEXT_LOCAL_FILE;
    /* A missing directory or a denied access will not fix itself. */
    result->transient = error != ERROR_PATH_NOT_FOUND && error != ERROR_ACCESS_DENIED && error != ERROR_INVALID_NAME;
}

/* Fetches what is missing of the file into its hidden temporary file, from the
 * bytes already there.  *replanned: stopped for random access. */
static void download_sequential(struct file *file, const struct download_control *control,
                                struct transfer_result *result, BOOL *replanned)
{
    struct download_progress progress = { file, control, NULL, result, GetTickCount64(), FALSE };
    struct transfer_request request = { 0 };
    LARGE_INTEGER size, end;
    WCHAR *remote_name, *validator;
    UINT64 remote_size;
    UINT64 offset;
    HANDLE handle;

    EnterCriticalSection(&file->cs);
    offset = file->progress.BytesTransferred;
    remote_name = strdupW(file->remote_name);
    validator = strdupW(file->validator);
    /* The size the bytes on disk came from. */
    remote_size = file->range_count ? file->remote_size : file->progress.BytesTotal;
    /* The ranges never change once the file exists. */
    request.ranges = file->ranges;
    request.range_count = file->range_count;
    LeaveCriticalSection(&file->cs);

    memset(result, 0, sizeof(*result));
    result->remote_size = BG_SIZE_UNKNOWN;
    if (!remote_name)
    {
        free(validator);
        result->code = E_OUTOFMEMORY;
        result->context = BG_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER;
        result->transient = TRUE;
        return;
    }

    handle = open_target(file, control->local_token);
    if (handle == INVALID_HANDLE_VALUE)
    {
        set_open_failure(result);
        free(remote_name);
        free(validator);
        return;
    }
    /* Resume only from bytes really on disk. */
    if (!GetFileSizeEx(handle, &size) || (UINT64)size.QuadPart < offset) offset = 0;
    end.QuadPart = offset;
    SetFilePointerEx(handle, end, NULL, FILE_BEGIN);
    /* A new file has no bytes to cut: one call to the server less per file. */
    if ((UINT64)size.QuadPart != offset) SetEndOfFile(handle);

    /* A local or UNC source is opened all the same: it costs little, and it
     * may have been replaced by another version since (behavior.md 7.7). */
    if (offset && offset == remote_size && !file->range_count && !transfer_is_file_name(remote_name))
    {
        /* Every byte is on disk already (a run stopped at its very end): nothing to ask for. */
        CloseHandle(handle);
        free(remote_name);
        free(validator);
        EnterCriticalSection(&file->cs);
        file->transferred = TRUE;
        LeaveCriticalSection(&file->cs);
        result->total = offset;
        return;
    }

    progress.handle = handle;
    request.remote_name = remote_name;
    request.file = handle;
    request.offset = offset;
    request.options = control->options;
    request.validator = validator;
    request.remote_size = remote_size;
    request.progress = download_progress;
    request.keep_going = download_keep_going;
    request.max_read = control->max_read;
    request.context = &progress;
    request.upcoming = control->upcoming;
    request.upcoming_context = control->upcoming_context;

    network_identity_begin(control);
    if (transfer_is_file_name(remote_name)) transfer_file_download(&request, result);
    else transfer_http_download(control->session, &request, result);
    network_identity_end(control);
    /* The file takes the remote last-write time; its creation time is the
     * source's over SMB, the same as the last-write time over HTTP (behavior.md 7.4). */
    if (SUCCEEDED(result->code) && !result->aborted && (result->modified.dwLowDateTime || result->modified.dwHighDateTime))
        SetFileTime(handle, result->created.dwLowDateTime || result->created.dwHighDateTime ? &result->created
                    : &result->modified, NULL, &result->modified);
    free(validator);

    EnterCriticalSection(&file->cs);
    take_response_headers(file, result);
    if (result->remote_size != BG_SIZE_UNKNOWN) file->remote_size = result->remote_size;
    if (result->validated)
    {
        /* A response without a validator leaves nothing to check a resume against. */
        free(file->validator);
        file->validator = result->validator;
        result->validator = NULL;
    }
    take_final_url(file, result, remote_name);
    free(remote_name);
    /* CRL checking was turned on while the last bytes came: they do not count,
     * the run ends and the file starts again at the next. */
    if (SUCCEEDED(result->code) && !result->aborted && file->restart) result->aborted = TRUE;
    if (SUCCEEDED(result->code) && !result->aborted)
    {
        file->progress.BytesTotal = result->total;
        file->progress.BytesTransferred = result->total;
        file->transferred = TRUE;
        /* Given to the file at Complete: until then the temporary file stays hidden. */
        file->attributes = result->attributes;
        /* Left open for Complete, which renames the file through it; not
         * for the helper identity, as whom Complete opens the file again. */
        if (!file->direct && !control->local_token && !file->name_given && !file->temp_handle &&
            temp_handle_allowed())
        {
            file->temp_handle = handle;
            handle = NULL;
        }
    }
    LeaveCriticalSection(&file->cs);
    if (handle) CloseHandle(handle);
    transfer_result_free(result);
    *replanned = progress.replanned;
}

static BOOL sparse_progress(void *context, UINT64 transferred, UINT64 total)
{
    struct download_progress *progress = context;
    struct file *file = progress->file;
    UINT64 new_bytes;

    EnterCriticalSection(&file->cs);
    new_bytes = transferred > progress->done ? transferred - progress->done : 0;
    progress->done = transferred;
    file->progress.BytesTransferred = progress->before + transferred;
    /* Other bytes are wanted now: this piece ends here, and the plan is made again. */
    progress->replanned = file->replan;
    file->replan = FALSE;
    LeaveCriticalSection(&file->cs);
    if (progress->replanned) return FALSE;
    return progress->control->on_progress(progress->control->job, new_bytes);
}

/* The next missing bytes of a random-access file: those asked for first, from
 * the download position on and then from the start; then, unless the job is
 * on demand, the rest of the file in the same order.  File lock held. */
static BOOL plan_piece(struct file *file, BOOL on_demand, UINT64 size, UINT64 *start, UINT64 *end)
{
    UINT64 from[2] = { min(file->position, size), 0 };
    unsigned int pass;
    DWORD i;

    for (pass = 0; pass < 2; pass++)
        for (i = 0; i < file->wanted.count; i++)
        {
            UINT64 lo = max(file->wanted.items[i].start, from[pass]), hi = min(file->wanted.items[i].end, size);
            if (lo < hi && range_set_first_gap(&file->filled, lo, hi, start, end)) return TRUE;
        }
    if (on_demand) return FALSE;
    for (pass = 0; pass < 2; pass++)
        if (range_set_first_gap(&file->filled, from[pass], size, start, end)) return TRUE;
    return FALSE;
}

/* Whether bytes were asked for past the end of a file of this size (its size
 * was not known then); those requests are dropped.  File lock held. */
static BOOL drop_requests_outside(struct file *file, UINT64 size)
{
    struct byte_range *last = file->wanted.count ? &file->wanted.items[file->wanted.count - 1] : NULL;
    BOOL outside = last && (last->start >= size || (last->end != REQUEST_TO_EOF && last->end > size));

    if (outside) range_set_clip(&file->wanted, size);
    return outside;
}

/* The bytes of the file as they are on the server now, from a HEAD or a
 * piece's response; what is on disk of another version is forgotten.  File lock held. */
static void take_remote_version(struct file *file, struct transfer_result *result, UINT64 *size)
{
    /* No validator now, or one of another kind (an ETag a record kept, a date
     * now), says nothing: as other_version, which judges a whole file's resume. */
    BOOL other_kind = !result->validator || (file->validator && (file->validator[0] == '"') != (result->validator[0] == '"'));
    BOOL changed = (result->remote_size != BG_SIZE_UNKNOWN && *size != BG_SIZE_UNKNOWN && result->remote_size != *size) ||
                   (file->validator && !other_kind && !same_string(file->validator, result->validator));

    if (changed)
    {
        TRACE("%s changed on the server, forgetting its pieces.\n", debugstr_w(file->remote_name));
        range_set_clear(&file->filled);
    }
    if (result->remote_size != BG_SIZE_UNKNOWN) *size = result->remote_size;
    file->remote_size = file->progress.BytesTotal = *size;
    range_set_clip(&file->filled, *size);
    free(file->validator);
    file->validator = result->validator;
    result->validator = NULL;
}

/* Requests whose bytes are all there are done: only the others stay.  File lock held. */
static void forget_filled_requests(struct file *file, UINT64 size)
{
    DWORD i = 0;

    while (i < file->wanted.count)
    {
        if (request_missing(file, &file->wanted.items[i], size)) i++;
        else range_set_remove(&file->wanted, i);
    }
}

/* Random access: the missing pieces the plan names, each with a Range
 * request, written at their own offsets.  The size comes first, by HEAD. */
static void download_sparse(struct file *file, const struct download_control *control, struct transfer_result *result)
{
    struct download_progress progress = { file, control, NULL, result, GetTickCount64(), FALSE };
    struct transfer_request request = { 0 };
    BG_FILE_RANGE piece;
    FILETIME modified = { 0 };
    LARGE_INTEGER disk, offset;
    UINT64 size, start, end;
    WCHAR *remote_name, *name_seen;
    BOOL more, outside;
    HANDLE handle;

    memset(result, 0, sizeof(*result));
    result->remote_size = BG_SIZE_UNKNOWN;
    EnterCriticalSection(&file->cs);
    remote_name = strdupW(file->remote_name);
    name_seen = strdupW(file->remote_name);
    size = whole_size(file);
    LeaveCriticalSection(&file->cs);
    if (!remote_name || !name_seen)
    {
        transfer_set_failure(result, E_OUTOFMEMORY, BG_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER, TRUE);
        free(remote_name);
        free(name_seen);
        return;
    }
    if ((handle = open_target(file, control->local_token)) == INVALID_HANDLE_VALUE)
    {
        set_open_failure(result);
        free(remote_name);
        free(name_seen);
        return;
    }
    /* Only bytes really on disk count. */
    if (!GetFileSizeEx(handle, &disk)) disk.QuadPart = 0;
    EnterCriticalSection(&file->cs);
    range_set_clip(&file->filled, disk.QuadPart);
    file->progress.BytesTransferred = range_set_total(&file->filled);
    LeaveCriticalSection(&file->cs);

    progress.handle = handle;
    request.remote_name = remote_name;
    request.file = handle;
    request.options = control->options;
    request.progress = sparse_progress;
    request.keep_going = download_keep_going;
    request.max_read = control->max_read;
    request.context = &progress;
    network_identity_begin(control);

    if (size == BG_SIZE_UNKNOWN)
    {
        transfer_http_head(control->session, &request, result);
        EnterCriticalSection(&file->cs);
        take_response_headers(file, result);
        take_piece_final_url(file, result, &name_seen);
        if (SUCCEEDED(result->code)) take_remote_version(file, result, &size);
        LeaveCriticalSection(&file->cs);
        modified = result->modified;
    }

    while (SUCCEEDED(result->code))
    {
        EnterCriticalSection(&file->cs);
        outside = drop_requests_outside(file, size);
        more = !outside && plan_piece(file, control->on_demand, size, &start, &end);
        progress.before = range_set_total(&file->filled);
        file->replan = FALSE;  /* this plan has the requests so far */
        LeaveCriticalSection(&file->cs);
        if (outside) transfer_set_failure(result, BG_E_INVALID_RANGE, BG_ERROR_CONTEXT_REMOTE_FILE, FALSE);
        if (!more) break;

        TRACE("%s: bytes %s-%s.\n", debugstr_w(remote_name), wine_dbgstr_longlong(start), wine_dbgstr_longlong(end - 1));
        offset.QuadPart = start;
        SetFilePointerEx(handle, offset, NULL, FILE_BEGIN);
        piece.InitialOffset = start;
        piece.Length = end - start;
        request.ranges = &piece;
        request.range_count = 1;
        request.remote_size = size;
        progress.done = 0;
        progress.replanned = FALSE;
        transfer_result_free(result);
        transfer_http_download(control->session, &request, result);
        /* Each piece reaches the disk before the record says it is there. */
        if (progress.done) FlushFileBuffers(handle);

        EnterCriticalSection(&file->cs);
        take_response_headers(file, result);
        take_piece_final_url(file, result, &name_seen);
        if (SUCCEEDED(result->code) && !result->aborted && result->validated)
        {
            take_remote_version(file, result, &size);
            if (result->modified.dwLowDateTime || result->modified.dwHighDateTime) modified = result->modified;
        }
        if (progress.done)
        {
            range_set_add(&file->filled, start, start + progress.done);
            range_set_add(&file->fresh, start, start + progress.done);
        }
        file->progress.BytesTransferred = file->durable = range_set_total(&file->filled);
        if (result->code == BG_E_INSUFFICIENT_RANGE_SUPPORT) file->no_random_access = TRUE;
        LeaveCriticalSection(&file->cs);
        if (progress.done && control->on_piece) control->on_piece(control->job, file);
        if (result->aborted && progress.replanned) result->aborted = FALSE;
        if (result->aborted) break;
        if (SUCCEEDED(result->code) && !progress.done && !progress.replanned)
        {
            /* A response that brought none of the bytes asked for would be asked for again forever. */
            transfer_set_failure(result, BG_E_INVALID_SERVER_RESPONSE, BG_ERROR_CONTEXT_REMOTE_FILE, TRUE);
            break;
        }
    }
    network_identity_end(control);

    EnterCriticalSection(&file->cs);
    if (SUCCEEDED(result->code) && !result->aborted && size != BG_SIZE_UNKNOWN &&
        !range_set_first_gap(&file->filled, 0, size, &start, &end))
    {
        file->transferred = TRUE;
        file->progress.BytesTransferred = file->progress.BytesTotal = size;
        range_set_clear(&file->wanted);
        if (modified.dwLowDateTime || modified.dwHighDateTime) SetFileTime(handle, &modified, NULL, &modified);
    }
    else if (size != BG_SIZE_UNKNOWN) forget_filled_requests(file, size);
    LeaveCriticalSection(&file->cs);
    result->total = size;
    CloseHandle(handle);
    free(remote_name);
    free(name_seen);
    transfer_result_free(result);
}

BOOL file_take_fresh_ranges(struct file *file, DWORD *count, BG_FILE_RANGE **ranges)
{
    BOOL taken;

    EnterCriticalSection(&file->cs);
    taken = file->fresh.count && SUCCEEDED(range_set_export(&file->fresh, count, ranges));
    if (taken) range_set_clear(&file->fresh);
    LeaveCriticalSection(&file->cs);
    return taken;
}

/* The remote name of a file whose size a HEAD should tell before its turn
 * (malloc'd), or NULL: one with its size, bytes, ranges or pieces already, not
 * on an HTTP server, or asked once already (a server that cannot answer is not
 * asked again at every time slice of a background job). */
WCHAR *file_size_wanted(struct file *file)
{
    WCHAR *name = NULL;

    EnterCriticalSection(&file->cs);
    if (!file->transferred && file->progress.BytesTotal == BG_SIZE_UNKNOWN && !file->progress.BytesTransferred &&
        !file->range_count && !file->sparse && !file->upload && !file->size_asked &&
        !transfer_is_file_name(file->remote_name) && (name = strdupW(file->remote_name)))
        file->size_asked = TRUE;
    LeaveCriticalSection(&file->cs);
    return name;
}

/* The remote name of a file still to be fetched whole with one request (no
 * bytes yet, no ranges, no random access), whose request may go ahead of its
 * turn; NULL otherwise. */
WCHAR *file_whole_fetch_name(struct file *file)
{
    WCHAR *name = NULL;

    EnterCriticalSection(&file->cs);
    if (!file->transferred && !file->progress.BytesTransferred && !file->range_count && !file->sparse &&
        !file->upload && !transfer_is_file_name(file->remote_name))
        name = strdupW(file->remote_name);
    LeaveCriticalSection(&file->cs);
    return name;
}

/* A HEAD told the size of a file not started yet. */
void file_take_size(struct file *file, UINT64 size)
{
    EnterCriticalSection(&file->cs);
    if (file->progress.BytesTotal == BG_SIZE_UNKNOWN && !file->progress.BytesTransferred && !file->transferred)
        file->progress.BytesTotal = size;
    LeaveCriticalSection(&file->cs);
}

BOOL file_has_requests(struct file *file)
{
    BOOL missing = FALSE;
    UINT64 size;
    DWORD i;

    EnterCriticalSection(&file->cs);
    size = whole_size(file);
    for (i = 0; i < file->wanted.count && !missing; i++) missing = request_missing(file, &file->wanted.items[i], size);
    LeaveCriticalSection(&file->cs);
    return missing;
}

/* A sparse file that cannot go on in pieces (its server ignores ranges, or its
 * source is no longer HTTP) starts again as a sequential download.  File lock held. */
static void make_sequential(struct file *file)
{
    file->sparse = FALSE;
    file->progress.BytesTransferred = file->filled.count && !file->filled.items[0].start ? file->filled.items[0].end : 0;
    range_set_clear(&file->filled);
}

/* SetSecurityFlags turned CRL checking on: an HTTPS download that has bytes
 * but not all of them starts again at its next run, so that its server's
 * certificate is checked before any of its bytes count (the SetSecurityFlags
 * page).  TRUE if it will. */
BOOL file_restart_for_crl(struct file *file)
{
    BOOL restart;

    EnterCriticalSection(&file->cs);
    restart = !file->upload && !file->transferred && !file->progress.Completed &&
              (file->progress.BytesTransferred || file->filled.count) && !_wcsnicmp(file->remote_name, L"https://", 8);
    if (restart) file->restart = TRUE;
    LeaveCriticalSection(&file->cs);
    return restart;
}

void file_download(struct file *file, const struct download_control *control, struct transfer_result *result)
{
    BOOL sparse, replanned = FALSE, restart;

    EnterCriticalSection(&file->cs);
    restart = file->restart;
    file->restart = FALSE;
    if (restart && file->direct)
    {
        /* HIGH_PERFORMANCE: the destination is the file; it is written again from its start. */
        file->progress.BytesTransferred = 0;
        file->durable = 0;
        range_set_clear(&file->filled);
        restart = FALSE;
    }
    LeaveCriticalSection(&file->cs);
    if (restart) file_discard_temporary(file);

    EnterCriticalSection(&file->cs);
    if (control->on_demand && random_access_possible(file)) make_sparse(file);
    else if (file->sparse && !random_access_possible(file)) make_sequential(file);
    sparse = file->sparse;
    file->replan = FALSE;
    LeaveCriticalSection(&file->cs);

    if (!sparse)
    {
        download_sequential(file, control, result, &replanned);
        if (!replanned) return;
    }
    download_sparse(file, control, result);
    if (result->code == BG_E_INSUFFICIENT_RANGE_SUPPORT && !control->on_demand)
    {
        /* Nobody asked for pieces only: the whole file, as a server without ranges serves it. */
        EnterCriticalSection(&file->cs);
        make_sequential(file);
        LeaveCriticalSection(&file->cs);
        download_sequential(file, control, result, &replanned);
    }
    else if (result->code == BG_E_INSUFFICIENT_RANGE_SUPPORT) result->code = BG_E_RANDOM_ACCESS_NOT_SUPPORTED;
}

/* ---- uploads ---- */

static BOOL upload_progress(void *context, UINT64 acknowledged, UINT64 total)
{
    struct download_progress *progress = context;
    struct file *file = progress->file;
    UINT64 new_bytes;
    BOOL first;

    EnterCriticalSection(&file->cs);
    new_bytes = acknowledged > file->progress.BytesTransferred ? acknowledged - file->progress.BytesTransferred : 0;
    first = !file->progress.BytesTransferred && new_bytes;
    file->progress.BytesTransferred = acknowledged;
    file->progress.BytesTotal = total;
    /* What the store writes from now on resumes in this session. */
    file->upload_session = *progress->upload;
    LeaveCriticalSection(&file->cs);
    /* The session id is worth keeping as soon as the server holds bytes of it. */
    if (first) job_save_later(file->job);
    return progress->control->on_progress(progress->control->job, new_bytes);
}

static HANDLE open_source(const WCHAR *name, HANDLE local_token)
{
    HANDLE handle;
    DWORD error;

    if (local_token && !SetThreadToken(NULL, local_token)) return INVALID_HANDLE_VALUE;
    /* Others may write it meanwhile: the upload notices (upload_source_unchanged). */
    handle = CreateFileW(name, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING,
                         FILE_FLAG_SEQUENTIAL_SCAN, NULL);
    error = GetLastError();
    if (local_token) RevertToSelf();
    SetLastError(error);
    return handle;
}

/* Sends the local file to the server in the job's upload session; an
 * interrupted upload goes on where the server's bytes end. */
void file_upload(struct file *file, const struct download_control *control, struct transfer_result *result)
{
    struct download_progress progress = { file, control, NULL, result, GetTickCount64(), FALSE };
    struct upload_request request = { 0 };
    struct upload_session session;
    WCHAR *remote_name, *local_name;
    const WCHAR *slash;
    UINT64 acknowledged, known_size, known_version, version = 0;
    LARGE_INTEGER size;
    FILETIME written;
    HANDLE handle;

    memset(result, 0, sizeof(*result));
    result->remote_size = BG_SIZE_UNKNOWN;
    EnterCriticalSection(&file->cs);
    remote_name = strdupW(file->remote_name);
    local_name = strdupW(file->local_name);
    session = file->upload_session;
    acknowledged = file->progress.BytesTransferred;
    known_size = file->progress.BytesTotal;
    known_version = file->upload_version;
    LeaveCriticalSection(&file->cs);

    if (!remote_name || !local_name)
    {
        result->code = E_OUTOFMEMORY;
        result->context = BG_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER;
        result->transient = TRUE;
        goto done;
    }
    handle = open_source(local_name, control->local_token);
    if (handle == INVALID_HANDLE_VALUE || !GetFileSizeEx(handle, &size))
    {
        DWORD error = GetLastError();

        result->code = HRESULT_FROM_WIN32(error);
        result->context = BG_ERROR_CONTEXT_LOCAL_FILE;
        result->transient = error == ERROR_SHARING_VIOLATION || error == ERROR_LOCK_VIOLATION;
        if (handle != INVALID_HANDLE_VALUE) CloseHandle(handle);
        goto done;
    }
    if (GetFileTime(handle, NULL, NULL, &written))
        version = ((UINT64)written.dwHighDateTime << 32) | written.dwLowDateTime;
    /* A file that changed under a started upload cannot be finished (behavior.md
     * 2): the server would splice the old bytes and the new.  Its size tells,
     * and so does its last-write time, as for an SMB source (7.7). */
    if (session.id[0] && ((known_size != BG_SIZE_UNKNOWN && known_size != (UINT64)size.QuadPart) ||
                          (known_version && version && known_version != version)))
    {
        CloseHandle(handle);
        result->code = BG_E_LOCAL_FILE_CHANGED;
        result->context = BG_ERROR_CONTEXT_LOCAL_FILE;
        goto done;
    }
    EnterCriticalSection(&file->cs);
    file->progress.BytesTotal = size.QuadPart;
    /* The version a new session carries. */
    if (!session.id[0]) file->upload_version = version;
    LeaveCriticalSection(&file->cs);

    slash = wcsrchr(local_name, '\\');
    if (wcsrchr(local_name, '/') > slash) slash = wcsrchr(local_name, '/');
    request.remote_name = remote_name;
    request.file = handle;
    request.size = size.QuadPart;
    request.version = version;
    request.content_name = slash ? slash + 1 : local_name;
    request.session = &session;
    progress.upload = &session;
    request.acknowledged = &acknowledged;
    request.options = control->options;
    request.progress = upload_progress;
    request.keep_going = download_keep_going;
    request.context = &progress;
    network_identity_begin(control);
    if (transfer_is_file_name(remote_name)) transfer_file_upload(&request, result);
    else transfer_http_upload(control->session, &request, result);
    if (SUCCEEDED(result->code) && !result->aborted && job_type(file->job) == BG_JOB_TYPE_UPLOAD)
    {
        struct transfer_result closed;

        /* The server has the file (behavior.md 2.2): the upload is done.  A
         * close worth another try is sent again in the background. */
        transfer_http_upload_end(control->session, remote_name, &session, control->options, FALSE, &closed);
        if (FAILED(closed.code) && closed.transient) job_end_upload_session(file->job, remote_name, &session, FALSE);
        else if (FAILED(closed.code)) WARN("Close-Session of %s failed: %#lx.\n", debugstr_w(session.id), closed.code);
        memset(&session, 0, sizeof(session));
        transfer_result_free(&closed);
    }
    else if (result->aborted && session.id[0] && job_is_final(file->job))
    {
        /* Cancelled under way: the server may drop what it has. */
        job_end_upload_session(file->job, remote_name, &session, TRUE);
        memset(&session, 0, sizeof(session));
    }
    network_identity_end(control);
    CloseHandle(handle);

    EnterCriticalSection(&file->cs);
    file->upload_session = session;
    file->progress.BytesTransferred = acknowledged;
    if (SUCCEEDED(result->code) && !result->aborted)
    {
        free(file->reply_url);
        file->reply_url = result->final_url;
        result->final_url = NULL;
        file->progress.BytesTransferred = file->progress.BytesTotal = size.QuadPart;
        file->transferred = TRUE;
        /* An upload is available to its user when the server has it (behavior.md 7). */
        file->progress.Completed = TRUE;
    }
    LeaveCriticalSection(&file->cs);
done:
    free(remote_name);
    free(local_name);
    transfer_result_free(result);
}

static BOOL take_upload_session(struct file *file, BOOL unfinished_only, WCHAR **remote_name,
                                struct upload_session *session);

/* Upload-reply: the reply's URL the server gave with the last fragment, made
 * absolute against the upload URL; NULL when the server has no reply. */
WCHAR *file_reply_url(struct file *file, BOOL *invalid)
{
    WCHAR *url = NULL;
    const WCHAR *reply, *p;

    *invalid = FALSE;
    EnterCriticalSection(&file->cs);
    reply = file->reply_url;
    if (reply && *reply)
    {
        /* A scheme is letters, digits, '+', '-' and '.' before a ':' that comes
         * before any '/', '?' or '#' (RFC 3986 3.1); without one it is a
         * reference relative to the upload's URL. */
        for (p = reply; iswalnum(*p) || *p == '+' || *p == '-' || *p == '.'; p++) ;
        /* Only HTTP: a server must not make the service read local or UNC files. */
        if ((p > reply && *p == ':' && !transfer_is_http_url(reply)) || wcschr(reply, '\\') ||
            transfer_is_file_name(file->remote_name))
            *invalid = TRUE;
        /* And one AddFile would take: it becomes the reply file's remote name, checked again at load. */
        else if (!(url = transfer_resolve_url(file->remote_name, reply)) || !transfer_is_http_url(url) ||
                 FAILED(validate_remote_name(url, BG_JOB_TYPE_DOWNLOAD)))
        {
            free(url);
            url = NULL;
            *invalid = TRUE;
        }
    }
    LeaveCriticalSection(&file->cs);
    return url;
}

/* Flushes a transferred file's bytes to disk, so that they count after a
 * reboot too: for a reply, whose server forgets it at Close-Session. */
void file_make_durable(struct file *file)
{
    HANDLE handle;

    EnterCriticalSection(&file->cs);
    handle = file->temp_handle ? file->temp_handle :
             CreateFileW(file->temp_name, GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                         OPEN_EXISTING, 0, NULL);
    if (handle != INVALID_HANDLE_VALUE)
    {
        if (FlushFileBuffers(handle)) file->durable = file->progress.BytesTransferred;
        if (handle != file->temp_handle) CloseHandle(handle);
    }
    LeaveCriticalSection(&file->cs);
}

/* Upload-reply: Close-Session once the reply is in.  The server has the
 * upload and the reply: the job is done whatever becomes of the close, which
 * is sent again in the background if worth it. */
void file_close_upload_session(struct file *file, const struct download_control *control)
{
    struct upload_session session;
    struct transfer_result result;
    WCHAR *remote_name;

    if (!take_upload_session(file, FALSE, &remote_name, &session)) return;
    transfer_http_upload_end(control->session, remote_name, &session, control->options, FALSE, &result);
    if (FAILED(result.code) && result.transient) job_end_upload_session(file->job, remote_name, &session, FALSE);
    else if (FAILED(result.code)) WARN("Close-Session of %s failed: %#lx.\n", debugstr_w(session.id), result.code);
    transfer_result_free(&result);
    free(remote_name);
}

/* The bytes of a downloaded file as they are now: its temporary file before
 * Complete, the file itself after. */
const WCHAR *file_current_name(struct file *file)
{
    return file->progress.Completed ? file->local_name : file->temp_name;
}

/* The upload session of an unfinished upload, handed over (and forgotten here)
 * for a Cancel-Session; FALSE when there is none. */
static BOOL take_upload_session(struct file *file, BOOL unfinished_only, WCHAR **remote_name,
                                struct upload_session *session)
{
    BOOL taken = FALSE;

    EnterCriticalSection(&file->cs);
    if (file->upload_session.id[0] && (!unfinished_only || !file->transferred))
    {
        *session = file->upload_session;
        taken = !!(*remote_name = strdupW(file->remote_name));
        memset(&file->upload_session, 0, sizeof(file->upload_session));
    }
    LeaveCriticalSection(&file->cs);
    return taken;
}

BOOL file_take_upload_session(struct file *file, BOOL unfinished_only, WCHAR **remote_name,
                              struct upload_session *session)
{
    return take_upload_session(file, unfinished_only, remote_name, session);
}

/* Makes a transferred file available under its final name; others are deleted.
 * S_OK when renamed, S_FALSE when the file was not complete,
 * BG_S_UNABLE_TO_DELETE_FILES when its temporary file could not be deleted. */
HRESULT file_complete(struct file *file, HANDLE local_token, struct local_dir_listing *listing)
{
    HRESULT hr = S_OK;

    EnterCriticalSection(&file->cs);
    if (file->progress.Completed) hr = S_OK;
    else if (!file->transferred)
    {
        /* A HIGH_PERFORMANCE file's part is in its destination: that goes too. */
        hr = delete_temporary(file) ? S_FALSE : BG_S_UNABLE_TO_DELETE_FILES;
        file->temp_created = FALSE;
    }
    else if (file->direct)
    {
        /* Not before: a read-only file could not be written again. */
        if (file->attributes) SetFileAttributesW(file->local_name, file->attributes);
        file->progress.Completed = TRUE;
    }
    else
    {
        HANDLE kept = take_temp_handle(file);

        /* The helper identity renames the file under its own rights. */
        if (kept && local_token)
        {
            CloseHandle(kept);
            kept = NULL;
        }
        if (local_token && !SetThreadToken(NULL, local_token)) hr = HRESULT_FROM_WIN32(GetLastError());
        else
        {
            if (!local_file_publish(listing, file->temp_name, kept, file->local_name, file->attributes))
                hr = HRESULT_FROM_WIN32(GetLastError());
            else file->progress.Completed = TRUE;
            if (local_token) RevertToSelf();
        }
    }
    LeaveCriticalSection(&file->cs);
    return hr;
}

/* ---- persistence (store.h has the record format) ---- */

enum file_tag
{
    TAG_REMOTE_NAME = 1,
    TAG_LOCAL_NAME,
    TAG_TEMP_NAME,
    TAG_DIRECT,
    TAG_TEMP_CREATED,
    TAG_BYTES_TOTAL,
    TAG_BYTES_TRANSFERRED,
    TAG_COMPLETED,
    TAG_TRANSFERRED,
    TAG_VALIDATOR,
    TAG_REMOTE_SIZE,
    TAG_RESPONSE_HEADERS,
    TAG_RANGES,
    TAG_VALIDATION_STATE,
    TAG_DURABLE,
    TAG_UPLOAD_SESSION,
    TAG_REPLY_URL,
    TAG_UPLOAD_HOST,
    TAG_UPLOAD_HOST_FALLBACK,
    TAG_SPARSE,
    TAG_FILLED,
    TAG_WANTED,
    TAG_POSITION,
    TAG_NO_RANDOM_ACCESS,
    TAG_ATTRIBUTES,
    TAG_RESTART,
    TAG_UPLOAD_VERSION,
    TAG_NAME_GIVEN,
};

void file_save(struct file *file, struct store_writer *writer)
{
    EnterCriticalSection(&file->cs);
    store_put_string(writer, TAG_REMOTE_NAME, file->remote_name);
    store_put_string(writer, TAG_LOCAL_NAME, file->local_name);
    store_put_string(writer, TAG_TEMP_NAME, file->temp_name);
    store_put_u32(writer, TAG_DIRECT, file->direct);
    store_put_u32(writer, TAG_TEMP_CREATED, file->temp_created);
    store_put_u64(writer, TAG_BYTES_TOTAL, file->progress.BytesTotal);
    store_put_u64(writer, TAG_BYTES_TRANSFERRED, file->progress.BytesTransferred);
    store_put_u32(writer, TAG_COMPLETED, file->progress.Completed);
    store_put_u32(writer, TAG_TRANSFERRED, file->transferred);
    store_put_string(writer, TAG_VALIDATOR, file->validator);
    store_put_u64(writer, TAG_REMOTE_SIZE, file->remote_size);
    store_put_string(writer, TAG_RESPONSE_HEADERS, file->response_headers);
    if (file->range_count) store_put_blob(writer, TAG_RANGES, file->ranges, file->range_count * sizeof(*file->ranges));
    store_put_u32(writer, TAG_VALIDATION_STATE, file->validation_state);
    store_put_u64(writer, TAG_DURABLE, file->durable);
    if (file->upload_session.id[0])
    {
        store_put_string(writer, TAG_UPLOAD_SESSION, file->upload_session.id);
        if (file->upload_session.host[0]) store_put_string(writer, TAG_UPLOAD_HOST, file->upload_session.host);
        store_put_u32(writer, TAG_UPLOAD_HOST_FALLBACK, file->upload_session.host_fallback_s);
        if (file->upload_version) store_put_u64(writer, TAG_UPLOAD_VERSION, file->upload_version);
    }
    /* After a restart an upload-reply fetches its reply again from here. */
    if (file->reply_url) store_put_string(writer, TAG_REPLY_URL, file->reply_url);
    if (file->sparse)
    {
        store_put_u32(writer, TAG_SPARSE, TRUE);
        store_put_blob(writer, TAG_FILLED, file->filled.items, file->filled.count * sizeof(*file->filled.items));
    }
    if (file->wanted.count)
        store_put_blob(writer, TAG_WANTED, file->wanted.items, file->wanted.count * sizeof(*file->wanted.items));
    if (file->position) store_put_u64(writer, TAG_POSITION, file->position);
    if (file->no_random_access) store_put_u32(writer, TAG_NO_RANDOM_ACCESS, TRUE);
    if (file->attributes) store_put_u32(writer, TAG_ATTRIBUTES, file->attributes);
    if (file->restart) store_put_u32(writer, TAG_RESTART, 1);
    if (file->name_given) store_put_u32(writer, TAG_NAME_GIVEN, 1);
    LeaveCriticalSection(&file->cs);
}

/* How many bytes of the temporary file a resume can build on.  In the boot
 * that wrote them every byte in the file is good, even after a crash of the
 * service; after a reboot only what was flushed. */
static void check_temporary_file(struct file *file, BOOL resumable)
{
    WIN32_FILE_ATTRIBUTE_DATA data;
    UINT64 size = 0, usable;

    if (file->progress.Completed) return;
    /* An upload has no temporary file: its session, if any, tells the server's bytes at the next fragment. */
    if (file->upload)
    {
        file->progress.BytesTransferred = 0;
        file->transferred = FALSE;
        return;
    }
    if ((file->temp_created || file->direct) && GetFileAttributesExW(file->temp_name, GetFileExInfoStandard, &data))
        size = ((UINT64)data.nFileSizeHigh << 32) | data.nFileSizeLow;
    else if (!file->direct)
    {
        /* Made by a run that ended (a crash) before the record said so: a
         * hidden file of the name this file was to use is ours, of bytes no
         * record tells the version of.  So is an empty one: Wine makes a
         * file hidden after creating it, and a crash can come in between;
         * left, it would keep its name, and stay after Complete. */
        if (!file->temp_created && GetFileAttributesExW(file->temp_name, GetFileExInfoStandard, &data) &&
            !(data.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) &&
            ((data.dwFileAttributes & FILE_ATTRIBUTE_HIDDEN) || (!data.nFileSizeHigh && !data.nFileSizeLow)) &&
            !local_file_delete(file->temp_name))
            WARN("Cannot delete %s: %lu.\n", debugstr_w(file->temp_name), GetLastError());
        file->temp_created = FALSE;
    }

    if (file->sparse)
    {
        /* Pieces count if they are on disk; after a reboot only if they were all flushed. */
        range_set_clip(&file->filled, size);
        if (file->progress.BytesTotal != BG_SIZE_UNKNOWN) range_set_clip(&file->filled, file->progress.BytesTotal);
        if (!resumable || file->direct || (!store_same_boot() && file->durable < range_set_total(&file->filled)))
            range_set_clear(&file->filled);
        file->progress.BytesTransferred = file->durable = range_set_total(&file->filled);
        if (file->transferred && file->progress.BytesTransferred != file->progress.BytesTotal) file->transferred = FALSE;
        return;
    }
    usable = store_same_boot() ? size : min(size, file->durable);
    /* A finished file is kept, whatever its job: only an interrupted one starts again. */
    if (file->transferred && usable == file->progress.BytesTransferred &&
        (file->progress.BytesTotal == BG_SIZE_UNKNOWN || usable == file->progress.BytesTotal))
    {
        file->durable = min(file->durable, usable);
        return;
    }
    /* HIGH_PERFORMANCE keeps no checkpoints, dynamic content cannot resume: such
     * files start again (behavior.md 10). */
    if (!resumable || file->direct) usable = 0;
    if (file->progress.BytesTotal != BG_SIZE_UNKNOWN && usable > file->progress.BytesTotal) usable = 0;
    if (file->transferred && usable != file->progress.BytesTotal) file->transferred = FALSE;
    file->progress.BytesTransferred = usable;
    file->durable = min(file->durable, usable);
}

HRESULT file_load(struct job *job, struct store_reader *reader, BOOL resumable, BOOL upload, struct file **out)
{
    struct store_field field;
    struct file *file;
    BOOL broken = FALSE, ok = TRUE;
    DWORD value;
    UINT64 value64;

    if (!(file = file_alloc(job))) return E_OUTOFMEMORY;
    file->upload = upload;
    while (ok && store_next_field(reader, &field, &broken))
    {
        switch (field.tag)
        {
        case TAG_REMOTE_NAME: ok = store_get_string(&field, &file->remote_name); break;
        case TAG_LOCAL_NAME: ok = store_get_string(&field, &file->local_name); break;
        case TAG_TEMP_NAME: ok = store_get_string(&field, &file->temp_name); break;
        case TAG_DIRECT: if ((ok = store_get_u32(&field, &value))) file->direct = !!value; break;
        case TAG_TEMP_CREATED: if ((ok = store_get_u32(&field, &value))) file->temp_created = !!value; break;
        case TAG_BYTES_TOTAL: ok = store_get_u64(&field, &file->progress.BytesTotal); break;
        case TAG_BYTES_TRANSFERRED: ok = store_get_u64(&field, &file->progress.BytesTransferred); break;
        case TAG_COMPLETED: if ((ok = store_get_u32(&field, &value))) file->progress.Completed = !!value; break;
        case TAG_TRANSFERRED: if ((ok = store_get_u32(&field, &value))) file->transferred = !!value; break;
        case TAG_VALIDATOR: ok = store_get_string(&field, &file->validator); break;
        case TAG_REMOTE_SIZE: ok = store_get_u64(&field, &file->remote_size); break;
        case TAG_RESPONSE_HEADERS: ok = store_get_string(&field, &file->response_headers); break;
        case TAG_RANGES:
            if (!(ok = field.size && !(field.size % sizeof(BG_FILE_RANGE)))) break;
            free(file->ranges);
            if (!(ok = !!(file->ranges = store_malloc(field.size)))) break;
            memcpy(file->ranges, field.data, field.size);
            file->range_count = field.size / sizeof(BG_FILE_RANGE);
            break;
        case TAG_VALIDATION_STATE: if ((ok = store_get_u32(&field, &value))) file->validation_state = !!value; break;
        case TAG_DURABLE: if ((ok = store_get_u64(&field, &value64))) file->durable = value64; break;
        case TAG_REPLY_URL: ok = store_get_string(&field, &file->reply_url); break;
        case TAG_UPLOAD_SESSION:
        case TAG_UPLOAD_HOST:
        {
            WCHAR *text = NULL;

            if ((ok = store_get_string(&field, &text)) && text)
            {
                if (field.tag == TAG_UPLOAD_SESSION && wcslen(text) <= UPLOAD_SESSION_ID_MAX)
                    wcscpy(file->upload_session.id, text);
                else if (field.tag == TAG_UPLOAD_HOST && wcslen(text) <= UPLOAD_HOST_ID_MAX)
                    wcscpy(file->upload_session.host, text);
            }
            free(text);
            break;
        }
        case TAG_UPLOAD_HOST_FALLBACK: ok = store_get_u32(&field, &file->upload_session.host_fallback_s); break;
        case TAG_SPARSE: if ((ok = store_get_u32(&field, &value))) file->sparse = !!value; break;
        case TAG_FILLED: ok = range_set_load(&file->filled, field.data, field.size); break;
        case TAG_WANTED: ok = range_set_load(&file->wanted, field.data, field.size); break;
        case TAG_POSITION: ok = store_get_u64(&field, &file->position); break;
        case TAG_NO_RANDOM_ACCESS: if ((ok = store_get_u32(&field, &value))) file->no_random_access = !!value; break;
        case TAG_ATTRIBUTES: ok = store_get_u32(&field, &file->attributes); break;
        case TAG_RESTART: if ((ok = store_get_u32(&field, &value))) file->restart = !!value; break;
        case TAG_UPLOAD_VERSION: ok = store_get_u64(&field, &file->upload_version); break;
        case TAG_NAME_GIVEN: if ((ok = store_get_u32(&field, &value))) file->name_given = !!value; break;
        }
    }
    /* The names are what a file is; without them the record is not ours. */
    if (!ok || broken || !file->remote_name || !file->local_name || !file->temp_name ||
        FAILED(validate_local_name(file->local_name)) || FAILED(validate_remote_name(file->remote_name, BG_JOB_TYPE_DOWNLOAD)))
    {
        file_destroy(file);
        return E_FAIL;
    }
    check_temporary_file(file, resumable);
    *out = file;
    return S_OK;
}

void file_destroy(struct file *file)
{
    close_temp_handle(file);
    free(file->reply_url);
    free(file->remote_name);
    free(file->local_name);
    free(file->temp_name);
    free(file->ranges);
    free(file->validator);
    free(file->response_headers);
    range_set_clear(&file->filled);
    range_set_clear(&file->wanted);
    range_set_clear(&file->fresh);
    DeleteCriticalSection(&file->cs);
    free(file);
}
