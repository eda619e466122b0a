/*
 * Background Intelligent Transfer Service: the job object
 * (IBackgroundCopyJob .. IBackgroundCopyJob5).
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>

#include "qmgr_private.h"
#include "fast_server.h"
#include "winternl.h"
#include "store.h"
#include "transfer.h"

#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(qmgr);

#define AUTH_TARGET_COUNT 2  /* BG_AUTH_TARGET_SERVER, BG_AUTH_TARGET_PROXY */
#define AUTH_SCHEME_COUNT 5  /* BG_AUTH_SCHEME_BASIC .. BG_AUTH_SCHEME_PASSPORT */
#define DEFAULT_NOTIFICATION_INTERVAL 500

struct credentials
{
    BOOL set;
    WCHAR *user_name;
    WCHAR *password;
};

struct job
{
    IBackgroundCopyJob5 IBackgroundCopyJob5_iface;
    LONG refcount;
    CRITICAL_SECTION cs;

    GUID id;
    BG_JOB_TYPE type;
    WCHAR *owner;
    ULONG owner_integrity;
    BOOL owner_elevated;
    BOOL owner_admin;
    WCHAR *display_name;
    WCHAR *description;
    BG_JOB_STATE state;
    BG_JOB_PRIORITY priority;
    BG_JOB_TIMES times;
    FILETIME activity_time;           /* last progress or change by a client (JobInactivityTimeout) */
    ULONG error_count;

    ULONG notify_flags;
    IUnknown *notify_iface;
    BOOL notify_iface_plain;          /* it answers as a callback but has no Callback2 */
    WCHAR *notify_program;
    WCHAR *notify_parameters;

    ULONG retry_delay;
    ULONG no_progress_timeout;
    ULONG max_download_time;
    DWORD file_acl_flags;
    DWORD peer_caching_flags;

    BG_JOB_PROXY_USAGE proxy_usage;
    WCHAR *proxy_list;
    WCHAR *proxy_bypass_list;

    WCHAR *reply_file_name;
    struct credentials credentials[AUTH_TARGET_COUNT][AUTH_SCHEME_COUNT];

    /* IBackgroundCopyJob5 properties */
    DWORD cost_flags;
    GUID notification_clsid;
    BOOL dynamic_content;
    BOOL high_performance;
    UINT64 max_download_size;
    BG_AUTH_TARGET stored_credentials_target;
    DWORD min_notification_interval;
    BOOL on_demand;
    BOOL resumed;  /* Resume was called once: some properties are frozen */
    BOOL custom_method;  /* a custom HTTP verb: FOREGROUND only, no resume */
    BOOL completing;     /* Complete runs: no transfer may start */
    LONG save_pending;   /* the store has the job in its queue */
    BOOL stored;         /* the store has written a record of it */
    ULONGLONG last_checkpoint;  /* GetTickCount64() of the last progress written to the store */

    struct file **files;
    ULONG file_count;
    ULONG file_capacity;
    /* upload-reply: the server's reply, a download of its own once the upload is done */
    struct file *reply;
    BOOL reply_empty;                 /* the server application sent no reply */

    struct http_options *http_options;
    struct token_options *token_options;

    /* transfers */
    BOOL active;                      /* a worker runs the job */
    BOOL stop;                        /* the worker must stop: suspended, cancelled or completed */
    HANDLE idle;                      /* signalled while no worker runs the job, or holds its files */
    HANDLE run_done;                  /* signalled while no run is under way (idle is also set in callbacks) */
    ULONGLONG first_transient_error;  /* when the current run of errors without progress began */
    ULONGLONG active_ms;              /* time spent connecting and transferring since the last Resume */
    ULONGLONG run_start;              /* GetTickCount64() when the current run began */
    HRESULT limit_error;              /* the run stopped on MaximumDownloadTime or MAX_DOWNLOAD_SIZE,
                                         or for the bandwidth policy (BG_E_BLOCKED_BY_POLICY) */
    ULONGLONG blocked_ms;             /* then: how long until the policy's window may change */
    BOOL reschedule;                  /* the run under way ends and the job queues again */
    BOOL pending_transferred;         /* JobTransferred not delivered yet */
    BOOL pending_error;               /* JobError not delivered yet */
    BOOL pending_modification;        /* JobModification waits for delivery */
    ULONGLONG last_modification;      /* GetTickCount64() of the last one delivered */
    BOOL pending_ranges;              /* FileRangesTransferred waits for delivery */
    /* FileTransferred notices not taken yet, oldest first: each waits for the
     * one before it, and all come before JobTransferred (behavior.md 9.2). */
    struct file **file_notices;
    ULONG file_notice_count, file_notice_capacity;
    BOOL delivering_file_notices;
    BOOL delivering_notifications;    /* a thread is in job_deliver_notifications */
    BOOL deliver_again;               /* notices came meanwhile: that thread looks again */
    BOOL end_sessions_after_run;      /* cancelled during a run: its end cancels the upload sessions */
    SRWLOCK activation_lock;          /* one object of the notification class at a time */
    ULONGLONG last_ranges_notice;     /* GetTickCount64() of the last one delivered */
    struct
    {
        BOOL present;
        HRESULT code;
        BG_ERROR_CONTEXT context;
        struct file *file;
        BOOL reply;                   /* an upload-reply's reply or session: HTTP, though no file of the job */
        BOOL file_protocol;           /* the file's remote name was a local or UNC one when it failed */
    } error;
};

/* How often a transfer's progress is written to the store. */
#define CHECKPOINT_MS 1000

/* How long Cancel and Complete wait for a running transfer to let go of its files. */
#define IDLE_WAIT_MS 10000

static void notify_if_pending(struct job *job);
static HRESULT get_string_property(struct job *job, WCHAR *const *field, WCHAR **ret);

static inline struct job *impl_from_IBackgroundCopyJob5(IBackgroundCopyJob5 *iface)
{
    return CONTAINING_RECORD(iface, struct job, IBackgroundCopyJob5_iface);
}

IBackgroundCopyJob *job_iface(struct job *job)
{
    return (IBackgroundCopyJob *)&job->IBackgroundCopyJob5_iface;
}

void job_addref(struct job *job)
{
    InterlockedIncrement(&job->refcount);
}

const GUID *job_id(const struct job *job)
{
    return &job->id;
}

BG_JOB_TYPE job_type(struct job *job)
{
    return job->type;
}

/* Called by the scheduler under its own lock, so it must not take the job's
 * (the job lock comes first): an aligned enum reads whole without it. */
BG_JOB_PRIORITY job_priority(struct job *job)
{
    return ReadNoFence((LONG *)&job->priority);
}

BOOL job_owned_by(struct job *job, const WCHAR *sid)
{
    BOOL ret;

    EnterCriticalSection(&job->cs);
    ret = !wcsicmp(job->owner, sid);
    LeaveCriticalSection(&job->cs);
    return ret;
}

/* A job created (or taken over) with an elevated token is reached only with
 * an elevated one (token-options.md 6.3, UAC). */
BOOL job_elevation_allows(struct job *job, const struct caller *caller)
{
    return !job->owner_elevated || caller->elevated;
}

/* Credentials, client certificates and custom headers are the owner's alone:
 * an administrator who is not the owner may not set them (behavior of
 * SetCredentials and the HTTP options, token-options.md 6.3). */
BOOL job_caller_is_owner(struct job *job)
{
    struct caller caller;
    BOOL ret;

    if (FAILED(identity_get_caller(&caller))) return FALSE;
    ret = job_owned_by(job, caller.sid) && job_elevation_allows(job, &caller);
    identity_free_caller(&caller);
    return ret;
}

/* Since BITS 4.0 a job belongs to its owner and to the administrators; anyone
 * else is refused (Windows checks at QueryInterface, this checks every call). */
BOOL job_caller_may_access(struct job *job)
{
    struct caller caller;
    BOOL ret;

    if (FAILED(identity_get_caller(&caller))) return FALSE;
    ret = (caller.admin || job_owned_by(job, caller.sid)) && job_elevation_allows(job, &caller);
    identity_free_caller(&caller);
    return ret;
}

static BOOL state_is_final(BG_JOB_STATE state)
{
    return state == BG_JOB_STATE_CANCELLED || state == BG_JOB_STATE_ACKNOWLEDGED;
}

BOOL job_is_final(struct job *job)
{
    BOOL ret;
    EnterCriticalSection(&job->cs);
    ret = state_is_final(job->state);
    LeaveCriticalSection(&job->cs);
    return ret;
}

/* A client changed the job, or it made progress: ModificationTime moves,
 * and it counts as activity for JobInactivityTimeout.  No modification
 * notice: transitions into ERROR and TRANSFERRED have notifications of their
 * own.  Job lock held. */
static void touch_quietly(struct job *job)
{
    GetSystemTimeAsFileTime(&job->times.ModificationTime);
    job->activity_time = job->times.ModificationTime;
    job_save_later(job);
}

/* Whether the job has somewhere to send notifications: a callback object, or
 * a class to make one of (behavior.md 9.3).  Job lock held. */
static BOOL has_notify_target(struct job *job)
{
    return job->notify_iface || !IsEqualGUID(&job->notification_clsid, &GUID_NULL);
}

static IUnknown *activate_callback(struct job *job, IUnknown *unreachable);

/* The callback object to notify, with a reference: the registered one, else
 * one made of the notification class (kept as the job's from then on); NULL
 * if neither.  Job lock not held: making an object is a call out. */
static IUnknown *notify_target(struct job *job)
{
    IUnknown *callback;

    EnterCriticalSection(&job->cs);
    if ((callback = job->notify_iface)) IUnknown_AddRef(callback);
    LeaveCriticalSection(&job->cs);
    return callback ? callback : activate_callback(job, NULL);
}

/* The job changed: a property, its state, its files or its progress.  Raises
 * JobModification, no more often than the job's minimum interval.  Job lock held. */
static void notify_modification(struct job *job)
{
    ULONGLONG now, due;

    if (!has_notify_target(job) || !(job->notify_flags & BG_NOTIFY_JOB_MODIFICATION) ||
        (job->notify_flags & BG_NOTIFY_DISABLE) || job->pending_modification)
        return;
    job->pending_modification = TRUE;
    now = GetTickCount64();
    due = job->last_modification + job->min_notification_interval;
    if (due <= now) scheduler_notify(job);
    else scheduler_schedule_notify(job, (ULONG)(due - now));
}

static void touch(struct job *job)
{
    touch_quietly(job);
    notify_modification(job);
}

/* The service moved the job on its own (a run begins or ends, a retry, a
 * failure): ModificationTime moves (behavior.md 8.4), but a job that only
 * keeps failing is not active, and JobInactivityTimeout still cancels it
 * (behavior.md 5).  Job lock held. */
static void touch_by_service(struct job *job, BOOL notify)
{
    GetSystemTimeAsFileTime(&job->times.ModificationTime);
    job_save_later(job);
    if (notify) notify_modification(job);
}

static void clear_credentials(struct credentials *credentials)
{
    free(credentials->user_name);
    if (credentials->password)
    {
        SecureZeroMemory(credentials->password, wcslen(credentials->password) * sizeof(WCHAR));
        free(credentials->password);
    }
    memset(credentials, 0, sizeof(*credentials));
}

static void clear_all_credentials(struct job *job)
{
    unsigned int target, scheme;

    for (target = 0; target < AUTH_TARGET_COUNT; target++)
        for (scheme = 0; scheme < AUTH_SCHEME_COUNT; scheme++)
            clear_credentials(&job->credentials[target][scheme]);
}

static void job_destroy(struct job *job)
{
    ULONG i;

    TRACE("destroying job %s.\n", debugstr_guid(&job->id));

    for (i = 0; i < job->file_count; i++) file_destroy(job->files[i]);
    free(job->files);
    free(job->file_notices);
    if (job->reply) file_destroy(job->reply);
    if (job->notify_iface) IUnknown_Release(job->notify_iface);
    http_options_destroy(job->http_options);
    token_options_destroy(job->token_options);
    free(job->owner);
    free(job->display_name);
    free(job->description);
    free(job->notify_program);
    free(job->notify_parameters);
    free(job->proxy_list);
    free(job->proxy_bypass_list);
    free(job->reply_file_name);
    clear_all_credentials(job);
    if (job->idle) CloseHandle(job->idle);
    if (job->run_done) CloseHandle(job->run_done);
    DeleteCriticalSection(&job->cs);
    free(job);
}

void job_release(struct job *job)
{
    if (!InterlockedDecrement(&job->refcount)) job_destroy(job);
}

/* ---- IUnknown ---- */

static HRESULT WINAPI job_QueryInterface(IBackgroundCopyJob5 *iface, REFIID riid, void **obj)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);

    TRACE("%p, %s, %p.\n", iface, debugstr_guid(riid), obj);

    if (IsEqualGUID(riid, &IID_IUnknown) ||
        IsEqualGUID(riid, &IID_IBackgroundCopyJob) ||
        IsEqualGUID(riid, &IID_IBackgroundCopyJob2) ||
        IsEqualGUID(riid, &IID_IBackgroundCopyJob3) ||
        IsEqualGUID(riid, &IID_IBackgroundCopyJob4) ||
        IsEqualGUID(riid, &IID_IBackgroundCopyJob5))
    {
        *obj = &job->IBackgroundCopyJob5_iface;
    }
    else if (IsEqualGUID(riid, &IID_IBackgroundCopyJobHttpOptions) ||
             IsEqualGUID(riid, &IID_IBackgroundCopyJobHttpOptions2) ||
             IsEqualGUID(riid, &IID_IBackgroundCopyJobHttpOptions3))
    {
        *obj = http_options_iface(job->http_options);
    }
    else if (IsEqualGUID(riid, &IID_IBitsTokenOptions))
    {
        *obj = token_options_iface(job->token_options);
    }
    else if (IsEqualGUID(riid, &IID_IMarshal))
    {
        return fast_server_marshaller((IUnknown *)&job->IBackgroundCopyJob5_iface, obj);
    }
    else
    {
        WARN("Unsupported interface %s.\n", debugstr_guid(riid));
        *obj = NULL;
        return E_NOINTERFACE;
    }
    IUnknown_AddRef((IUnknown *)*obj);
    return S_OK;
}

static ULONG WINAPI job_AddRef(IBackgroundCopyJob5 *iface)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);
    ULONG refcount = InterlockedIncrement(&job->refcount);

    TRACE("%p increasing refcount to %lu.\n", job, refcount);
    return refcount;
}

static ULONG WINAPI job_Release(IBackgroundCopyJob5 *iface)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);
    ULONG refcount = InterlockedDecrement(&job->refcount);

    TRACE("%p decreasing refcount to %lu.\n", job, refcount);
    if (!refcount) job_destroy(job);
    return refcount;
}

/* ---- files ---- */

/* A full path of at most MAX_PATH characters: a drive letter and its root,
 * or a UNC name; no wildcards, no NTFS stream, no \\?\ or \\.\ prefix, and
 * no DOS device name (NUL, CON, COM1...), so no device or named pipe either
 * (behavior.md 7.1, 7.2). */
HRESULT validate_local_name(const WCHAR *name)
{
    size_t len;

    if (!name || !*name) return E_INVALIDARG;
    len = wcslen(name);
    if (len > MAX_PATH || wcspbrk(name, L"*?") || RtlIsDosDeviceName_U(name)) return E_INVALIDARG;
    if (len >= 3 && iswalpha(name[0]) && name[1] == ':' && (name[2] == '\\' || name[2] == '/'))
        return wcschr(name + 2, ':') ? E_INVALIDARG : S_OK;
    if (len >= 3 && name[0] == '\\' && name[1] == '\\' && name[2] && name[2] != '\\' &&
        !(name[2] == '.' && (name[3] == '\\' || name[3] == '/')))
        return wcschr(name, ':') ? E_INVALIDARG : S_OK;
    return E_INVALIDARG;
}

/* validate_local_name, and a file's name, not a directory's: a transfer could
 * never be renamed to it.  For names a client gives now, not for stored ones:
 * a job made before the rule still loads. */
static HRESULT validate_new_local_name(const WCHAR *name)
{
    HRESULT hr = validate_local_name(name);
    size_t len;

    if (FAILED(hr)) return hr;
    /* The last part: "dir\", "dir\." and "dir\.." (dots only, which Win32
     * paths drop) name directories. */
    for (len = wcslen(name); len && name[len - 1] != '\\' && name[len - 1] != '/'; len--) ;
    return name[len + wcsspn(name + len, L".")] ? S_OK : E_INVALIDARG;
}

/* An http(s) URL as BG_FILE_INFO asks: a host, no wildcard, no control
 * character, no segment of the path longer than MAX_PATH (behavior.md 7.2). */
static HRESULT validate_url(const WCHAR *url)
{
    const WCHAR *p = wcsstr(url, L"://") + 3, *segment;

    if (!*p || wcschr(L"/?#:@", *p) || wcschr(url, '*')) return E_INVALIDARG;
    for (; *p; p++) if (*p < 0x20 || *p == 0x7f) return E_INVALIDARG;
    for (p = segment = wcsstr(url, L"://") + 3; ; p++)
    {
        if (*p && *p != '/' && *p != '?' && *p != '#') continue;
        if (p - segment > MAX_PATH) return E_INVALIDARG;
        if (!*p || *p == '?' || *p == '#') break;
        segment = p + 1;
    }
    return S_OK;
}

HRESULT validate_remote_name(const WCHAR *name, BG_JOB_TYPE type)
{
    if (!name || !*name) return E_INVALIDARG;
    if (wcslen(name) > MAX_URL_LEN) return E_INVALIDARG;
    if (transfer_is_http_url(name)) return validate_url(name);
    /* SMB sources: UNC names, file URLs and full local paths; upload-reply needs HTTP. */
    if (!_wcsnicmp(name, L"file://", 7))
    {
        /* What the URL names must be a name AddFile would take as it is. */
        WCHAR *path = transfer_file_path(name);
        HRESULT hr = path ? validate_local_name(path) : E_INVALIDARG;

        free(path);
        if (FAILED(hr)) return hr;
        return type == BG_JOB_TYPE_UPLOAD_REPLY ? E_INVALIDARG : S_OK;
    }
    if (SUCCEEDED(validate_local_name(name))) return type == BG_JOB_TYPE_UPLOAD_REPLY ? E_INVALIDARG : S_OK;
    /* The reference pages give E_INVALIDARG for an unsupported protocol. */
    return E_INVALIDARG;
}

static HRESULT grow_files(struct job *job, ULONG extra)
{
    ULONG capacity;
    struct file **files;

    if (job->file_count + extra <= job->file_capacity) return S_OK;
    capacity = max(job->file_count + extra, job->file_capacity ? job->file_capacity * 2 : 4);
    if (!(files = realloc(job->files, capacity * sizeof(*files)))) return E_OUTOFMEMORY;
    job->files = files;
    job->file_capacity = capacity;
    return S_OK;
}

/* Administrators are exempt from the Group Policy limits (behavior.md 15). */
static BOOL caller_is_admin(void)
{
    struct caller caller;
    BOOL ret;

    if (FAILED(identity_get_caller(&caller))) return FALSE;
    ret = caller.admin;
    identity_free_caller(&caller);
    return ret;
}

/* Adds files all or nothing; ranges apply when a single file is added with ranges. */
static HRESULT add_files(struct job *job, ULONG count, const BG_FILE_INFO *infos,
                         DWORD range_count, const BG_FILE_RANGE *ranges)
{
    struct file **created;
    HRESULT hr = S_OK;
    ULONG i;

    if (!count || !infos) return E_INVALIDARG;
    for (i = 0; i < count; i++)
    {
        if (FAILED(hr = validate_remote_name(infos[i].RemoteName, job->type))) return hr;
        if (FAILED(hr = validate_new_local_name(infos[i].LocalName))) return hr;
    }
    /* The owner must be able to write where a download goes (behavior.md 7.1). */
    for (i = 0; job->type == BG_JOB_TYPE_DOWNLOAD && i < count; i++)
        if (!local_dir_writable(infos[i].LocalName)) return E_ACCESSDENIED;
    if (!(created = calloc(count, sizeof(*created)))) return E_OUTOFMEMORY;

    EnterCriticalSection(&job->cs);
    if (state_is_final(job->state)) hr = BG_E_INVALID_STATE;
    /* Dynamic content has no size, so byte ranges cannot apply (behavior.md 13). */
    else if (ranges && job->dynamic_content) hr = BG_E_UNSUPPORTED_JOB_CONFIGURATION;
    else if (job->type != BG_JOB_TYPE_DOWNLOAD && job->file_count + count > 1) hr = BG_E_TOO_MANY_FILES;
    else if (job->file_count + count > policy_get(POLICY_MAX_FILES_PER_JOB) && !caller_is_admin())
        hr = BG_E_TOO_MANY_FILES_IN_JOB;
    else hr = grow_files(job, count);

    for (i = 0; SUCCEEDED(hr) && i < count; i++)
    {
        hr = file_create(job, infos[i].RemoteName, infos[i].LocalName, job->high_performance,
                         job->type != BG_JOB_TYPE_DOWNLOAD, &created[i]);
        if (SUCCEEDED(hr) && ranges) hr = file_set_ranges(created[i], range_count, ranges);
    }
    if (SUCCEEDED(hr))
    {
        for (i = 0; i < count; i++) job->files[job->file_count++] = created[i];
        touch(job);
    }
    else
    {
        for (i = 0; i < count; i++) if (created[i]) file_destroy(created[i]);
    }
    LeaveCriticalSection(&job->cs);

    free(created);
    return hr;
}

static HRESULT WINAPI job_AddFileSet(IBackgroundCopyJob5 *iface, ULONG count, BG_FILE_INFO *files)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);

    TRACE("%p, %lu, %p.\n", iface, count, files);

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    return add_files(job, count, files, 0, NULL);
}

static HRESULT WINAPI job_AddFile(IBackgroundCopyJob5 *iface, LPCWSTR remote_name, LPCWSTR local_name)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);
    BG_FILE_INFO info;

    TRACE("%p, %s, %s.\n", iface, debugstr_w(remote_name), debugstr_w(local_name));

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    info.RemoteName = (WCHAR *)remote_name;
    info.LocalName = (WCHAR *)local_name;
    return add_files(job, 1, &info, 0, NULL);
}

static HRESULT WINAPI job_EnumFiles(IBackgroundCopyJob5 *iface, IEnumBackgroundCopyFiles **ret)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);
    HRESULT hr;

    TRACE("%p, %p.\n", iface, ret);

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    if (!ret) return E_INVALIDARG;
    EnterCriticalSection(&job->cs);
    hr = enum_files_create(job->files, job->file_count, ret);
    LeaveCriticalSection(&job->cs);
    return hr;
}

/* ---- state changes ---- */

static HRESULT WINAPI job_Suspend(IBackgroundCopyJob5 *iface)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);
    HRESULT hr = S_OK;

    TRACE("%p.\n", iface);

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    EnterCriticalSection(&job->cs);
    if (state_is_final(job->state)) hr = BG_E_INVALID_STATE;
    else if (job->state != BG_JOB_STATE_SUSPENDED)
    {
        job->state = BG_JOB_STATE_SUSPENDED;
        if (job->active) job->stop = TRUE;
        scheduler_remove(job);
        touch(job);
    }
    /* Suspended already: the call still counts as a modification (behavior.md 8.4). */
    else touch_quietly(job);
    LeaveCriticalSection(&job->cs);
    return hr;
}

static BOOL all_files_transferred(struct job *job)
{
    ULONG i;

    for (i = 0; i < job->file_count; i++)
        if (!file_is_transferred(job->files[i])) return FALSE;
    /* Upload-reply: the reply too, unless the server sent none. */
    if (job->type == BG_JOB_TYPE_UPLOAD_REPLY && !job->reply_empty && (!job->reply || !file_is_transferred(job->reply)))
        return FALSE;
    return TRUE;
}

/* Puts the job in the queue; the caller holds the job lock. */
static void queue_job(struct job *job)
{
    job->state = BG_JOB_STATE_QUEUED;
    job->resumed = TRUE;
    /* Resume starts the maximum download time afresh; a run still ending
     * (Suspend just before) adds only what comes after this. */
    job->active_ms = 0;
    if (job->active) job->run_start = GetTickCount64();
    touch(job);
    scheduler_enqueue(job);
}

static HRESULT WINAPI job_Resume(IBackgroundCopyJob5 *iface)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);
    HRESULT hr = S_OK;

    TRACE("%p.\n", iface);

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    EnterCriticalSection(&job->cs);
    if (state_is_final(job->state)) hr = BG_E_INVALID_STATE;
    else if (!job->file_count) hr = BG_E_EMPTY;
    else switch (job->state)
    {
    case BG_JOB_STATE_SUSPENDED:
    case BG_JOB_STATE_ERROR:
        /* Out of its retries (or stopped): the no-progress timeout counts
         * afresh from its next error, as for a new job. */
        job->first_transient_error = 0;
        queue_job(job);
        break;
    case BG_JOB_STATE_TRANSIENT_ERROR:
        /* Resume retries at once, within the same no-progress timeout. */
        queue_job(job);
        break;
    case BG_JOB_STATE_TRANSFERRED:
        /* Files added after the transfer are fetched on Resume. */
        if (!all_files_transferred(job)) queue_job(job);
        else touch_quietly(job);
        break;
    default:
        /* Already active: the call still counts as a modification (behavior.md 8.4). */
        touch_quietly(job);
        break;
    }
    LeaveCriticalSection(&job->cs);
    return hr;
}

static HRESULT cancel(struct job *job);

static HRESULT WINAPI job_Cancel(IBackgroundCopyJob5 *iface)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);

    TRACE("%p.\n", iface);

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;
    return cancel(job);
}

static void snapshot_options(struct job *job, struct transfer_options *options);
static void free_options(struct transfer_options *options);

/* How long a Cancel-Session is sent again to a server that does not take it
 * (behavior.md 6.2), unless the job's no-progress timeout is shorter; a
 * Close-Session the same. */
#define SESSION_END_RETRY_MS (24 * 60 * 60 * 1000ull)

/* A Cancel-Session for the server of a cancelled upload, or a Close-Session
 * the server did not take at once for a finished one, sent in the background:
 * Cancel never waits for the network, and an upload the server has is
 * transferred whatever becomes of its session's end. */
struct session_end
{
    WCHAR *remote_name;
    struct upload_session session;
    struct transfer_options options;
    BOOL cancel;
    ULONGLONG retry_delay_ms;
    ULONGLONG give_up;  /* GetTickCount64() time after which no attempt starts */
};

static void free_session_end(struct session_end *request)
{
    free(request->remote_name);
    free_options(&request->options);
    free(request);
}

static void CALLBACK send_session_end(TP_CALLBACK_INSTANCE *instance, void *context, TP_TIMER *timer)
{
    struct session_end *request = context;
    struct transfer_session *session = transfer_http_open_session(), *used;
    struct transfer_result result;
    LARGE_INTEGER due;
    BOOL owned;

    used = transfer_http_session_for(session, &request->options, &owned);
    transfer_http_upload_end(used, request->remote_name, &request->session, &request->options, request->cancel,
                             &result);
    if (owned) transfer_http_close_session(used);
    transfer_http_close_session(session);
    transfer_result_free(&result);

    if (FAILED(result.code) && result.transient && !scheduler_stopping() &&
        GetTickCount64() + request->retry_delay_ms < request->give_up)
    {
        TRACE("%s of %s failed (%#lx): again in %I64u ms.\n", request->cancel ? "Cancel-Session" : "Close-Session",
              debugstr_w(request->session.id), result.code, request->retry_delay_ms);
        due.QuadPart = -(LONGLONG)request->retry_delay_ms * 10000;
        SetThreadpoolTimer(timer, (FILETIME *)&due, 0, 0);
        return;
    }
    /* Freed once this callback returns. */
    CloseThreadpoolTimer(timer);
    free_session_end(request);
}

/* Sends the session's end in the background: a Cancel-Session at once, a
 * Close-Session (tried once already) after the retry delay. */
void job_end_upload_session(struct job *job, const WCHAR *remote_name, const struct upload_session *session,
                            BOOL cancel)
{
    struct session_end *request;
    LARGE_INTEGER due;
    TP_TIMER *timer;
    ULONGLONG window;

    if (!(request = calloc(1, sizeof(*request)))) return;
    request->session = *session;
    request->cancel = cancel;
    snapshot_options(job, &request->options);
    EnterCriticalSection(&job->cs);
    request->retry_delay_ms = job->retry_delay * 1000ull;
    window = min(SESSION_END_RETRY_MS, job->no_progress_timeout * 1000ull);
    LeaveCriticalSection(&job->cs);
    request->give_up = GetTickCount64() + window;
    if (!(request->remote_name = strdupW(remote_name)) ||
        !(timer = CreateThreadpoolTimer(send_session_end, request, NULL)))
    {
        free_session_end(request);
        return;
    }
    due.QuadPart = cancel ? -1 : -(LONGLONG)request->retry_delay_ms * 10000;
    SetThreadpoolTimer(timer, (FILETIME *)&due, 0, 0);
}

static void cancel_upload_sessions(struct job *job)
{
    struct upload_session session;
    WCHAR *remote_name;
    ULONG i;

    if (job->type == BG_JOB_TYPE_DOWNLOAD) return;
    for (i = 0; i < job->file_count; i++)
    {
        /* Before the upload is done Cancel ends it; after, an upload-reply's session still holds the reply. */
        if (!file_take_upload_session(job->files[i], job->type != BG_JOB_TYPE_UPLOAD_REPLY, &remote_name, &session))
            continue;
        job_end_upload_session(job, remote_name, &session, TRUE);
        free(remote_name);
    }
}

static HRESULT cancel(struct job *job)
{
    HRESULT hr = S_OK;
    BOOL running;
    ULONG i;

    EnterCriticalSection(&job->cs);
    if (state_is_final(job->state)) hr = BG_E_INVALID_STATE;
    else
    {
        job->state = BG_JOB_STATE_CANCELLED;
        job->stop = TRUE;
        scheduler_remove(job);
        touch(job);
    }
    LeaveCriticalSection(&job->cs);
    if (hr != S_OK) return hr;
    /* Out of GetJob, EnumJobs and the job limits at once: it is CANCELLED,
     * whatever the wait below takes (the caller holds a reference). */
    manager_forget_job(job);

    /* The temporary files can go once the transfer has let go of them. */
    WaitForSingleObject(job->idle, IDLE_WAIT_MS);
    EnterCriticalSection(&job->cs);
    /* Still running: a download's file may be held yet; an upload's run
     * cancels its session itself when it ends, one request at a time (16.1). */
    if ((running = WaitForSingleObject(job->idle, 0) != WAIT_OBJECT_0))
    {
        if (job->type == BG_JOB_TYPE_DOWNLOAD) hr = BG_S_UNABLE_TO_DELETE_FILES;
        else job->end_sessions_after_run = TRUE;
    }
    for (i = 0; i < job->file_count; i++)
        if (!file_discard_temporary(job->files[i])) hr = BG_S_UNABLE_TO_DELETE_FILES;
    if (job->reply && !file_discard_temporary(job->reply)) hr = BG_S_UNABLE_TO_DELETE_FILES;
    LeaveCriticalSection(&job->cs);
    if (!running) cancel_upload_sessions(job);
    return hr;
}

/* Upload-reply: the reply file becomes available; an empty one when the
 * server application sent no reply.  Job lock held. */
static HRESULT complete_reply(struct job *job, HANDLE local_token)
{
    HANDLE handle;
    HRESULT hr;

    if (job->reply)
    {
        struct local_dir_listing listing = {0};

        hr = file_complete(job->reply, local_token, &listing);
        local_dir_listing_free(&listing);
        return hr == S_FALSE ? S_OK : hr;
    }
    if (!job->reply_file_name) return S_OK;
    if (local_token && !SetThreadToken(NULL, local_token)) return HRESULT_FROM_WIN32(GetLastError());
    handle = CreateFileW(job->reply_file_name, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
    hr = handle == INVALID_HANDLE_VALUE ? HRESULT_FROM_WIN32(GetLastError()) : S_OK;
    if (local_token) RevertToSelf();
    if (handle != INVALID_HANDLE_VALUE) CloseHandle(handle);
    return hr;
}

/* ---- Complete's renames ---- */

/* Below this many files one thread renames them all. */
#define SHARED_RENAME_MIN_FILES 32
/* Below this many files Complete does not list their directories: a listing
 * costs about 30 of Wine's ordinary lookups of a missing name (local_file.c). */
#define LISTING_MIN_FILES 32
/* Not yet taken: a file after one whose rename failed. */
#define RENAME_NOT_TAKEN E_PENDING

/* The files of a transferred job, renamed by two threads at once: each rename
 * is several round trips through Wine's server, and one thread mostly waits. */
struct shared_renames
{
    struct job *job;
    HANDLE local_token;
    struct local_dir_listing *listing;
    HRESULT *results;       /* for each file */
    LONG next;              /* the next file to take */
    LONG failed;            /* a rename failed: take no more */
    HANDLE helper_done;
};

static void take_renames(struct shared_renames *renames)
{
    LONG i;

    while (!ReadNoFence(&renames->failed) && (i = InterlockedIncrement(&renames->next) - 1) < (LONG)renames->job->file_count)
    {
        renames->results[i] = file_complete(renames->job->files[i], renames->local_token, renames->listing);
        if (FAILED(renames->results[i])) InterlockedExchange(&renames->failed, 1);
    }
}

static void CALLBACK rename_helper(TP_CALLBACK_INSTANCE *instance, void *context)
{
    struct shared_renames *renames = context;

    take_renames(renames);
    SetEventWhenCallbackReturns(instance, renames->helper_done);
}

/* Whether two files of the job have one final name, in any case: then one
 * replaces the other, and only the order of the files says which. */
static int compare_local_names(const void *a, const void *b)
{
    return name_compare(*(const WCHAR * const *)a, *(const WCHAR * const *)b);
}

static BOOL final_names_distinct(struct job *job)
{
    const WCHAR **names;
    BOOL distinct = TRUE;
    ULONG i;

    if (!(names = malloc(job->file_count * sizeof(*names)))) return FALSE;
    for (i = 0; i < job->file_count; i++) names[i] = file_local_name(job->files[i]);
    qsort(names, job->file_count, sizeof(*names), compare_local_names);
    for (i = 1; i < job->file_count && distinct; i++) distinct = !!name_compare(names[i - 1], names[i]);
    free(names);
    return distinct;
}

/* Renames the files of a TRANSFERRED job in their order, or by two threads
 * when there are many.  Either way a failure stops the renames: the files
 * renamed stay so, Complete may be called again for the others.  Job lock held. */
static HRESULT complete_files(struct job *job, HANDLE local_token, struct local_dir_listing *listing)
{
    struct shared_renames renames = { job, local_token, listing };
    HRESULT hr = S_OK;
    ULONG i;

    listing->wanted = job->file_count >= LISTING_MIN_FILES;

    if (job->state == BG_JOB_STATE_TRANSFERRED && job->file_count >= SHARED_RENAME_MIN_FILES &&
        final_names_distinct(job) && (renames.results = malloc(job->file_count * sizeof(*renames.results))))
    {
        for (i = 0; i < job->file_count; i++) renames.results[i] = RENAME_NOT_TAKEN;
        if ((renames.helper_done = CreateEventW(NULL, TRUE, FALSE, NULL)) &&
            !TrySubmitThreadpoolCallback(rename_helper, &renames, NULL))
        {
            CloseHandle(renames.helper_done);
            renames.helper_done = NULL;
        }
        take_renames(&renames);
        /* The helper is in the middle of one rename at most. */
        if (renames.helper_done)
        {
            WaitForSingleObject(renames.helper_done, INFINITE);
            CloseHandle(renames.helper_done);
        }
        for (i = 0; i < job->file_count && renames.results[i] != RENAME_NOT_TAKEN; i++)
        {
            if (renames.results[i] == S_FALSE) hr = BG_S_PARTIAL_COMPLETE;
            else if (FAILED(renames.results[i]))
            {
                ERR("Could not rename to %s, hr %#lx.\n", debugstr_w(file_local_name(job->files[i])), renames.results[i]);
                hr = renames.results[i];
                break;
            }
        }
        free(renames.results);
        return hr;
    }

    for (i = 0; SUCCEEDED(hr) && i < job->file_count; i++)
    {
        HRESULT file_hr = file_complete(job->files[i], local_token, listing);
        /* Leftovers say more than that some files were not kept. */
        if (file_hr == BG_S_UNABLE_TO_DELETE_FILES) hr = file_hr;
        else if (file_hr == S_FALSE && hr != BG_S_UNABLE_TO_DELETE_FILES) hr = BG_S_PARTIAL_COMPLETE;
        else if (FAILED(file_hr))
        {
            ERR("Could not rename to %s, hr %#lx.\n", debugstr_w(file_local_name(job->files[i])), file_hr);
            hr = file_hr;
        }
    }
    return hr;
}

static HRESULT WINAPI job_Complete(IBackgroundCopyJob5 *iface)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);
    struct local_dir_listing listing = {0};
    HANDLE local_token = NULL;
    HRESULT hr = S_OK;

    TRACE("%p.\n", iface);

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    EnterCriticalSection(&job->cs);
    if (state_is_final(job->state)) hr = BG_E_INVALID_STATE;
    else if (job->type != BG_JOB_TYPE_DOWNLOAD && job->state != BG_JOB_STATE_TRANSFERRED) hr = BG_E_INVALID_STATE;
    else
    {
        /* Only files transferred before the call are kept: stop the transfer, start no other. */
        if (job->active) job->stop = TRUE;
        job->completing = TRUE;
        scheduler_remove(job);
    }
    LeaveCriticalSection(&job->cs);
    if (FAILED(hr)) return hr;

    WaitForSingleObject(job->idle, IDLE_WAIT_MS);

    /* BG_TOKEN_LOCAL_FILE: the rename too runs as the helper. */
    if (!(token_options_get_helper(job->token_options, &local_token) & BG_TOKEN_LOCAL_FILE) && local_token)
    {
        CloseHandle(local_token);
        local_token = NULL;
    }
    EnterCriticalSection(&job->cs);
    if (state_is_final(job->state)) hr = BG_E_INVALID_STATE;
    else if (FAILED(hr = complete_files(job, local_token, &listing)))
    {
        /* A failed rename keeps the job: the renamed files stay available, Complete may be retried. */
        if (job->state != BG_JOB_STATE_TRANSFERRED) job->state = BG_JOB_STATE_SUSPENDED;
        touch(job);  /* Complete was called (behavior.md 8.4) */
    }
    if (SUCCEEDED(hr) && job->type == BG_JOB_TYPE_UPLOAD_REPLY) hr = complete_reply(job, local_token);
    if (SUCCEEDED(hr))
    {
        job->state = BG_JOB_STATE_ACKNOWLEDGED;
        touch(job);
    }
    job->completing = FALSE;
    LeaveCriticalSection(&job->cs);
    local_dir_listing_free(&listing);
    if (local_token) CloseHandle(local_token);

    if (SUCCEEDED(hr)) manager_forget_job(job);
    return hr;
}

/* ---- identity and progress ---- */

static HRESULT WINAPI job_GetId(IBackgroundCopyJob5 *iface, GUID *id)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);

    TRACE("%p, %p.\n", iface, id);

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    if (!id) return E_INVALIDARG;
    *id = job->id;
    return S_OK;
}

static HRESULT WINAPI job_GetType(IBackgroundCopyJob5 *iface, BG_JOB_TYPE *type)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);

    TRACE("%p, %p.\n", iface, type);

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    if (!type) return E_INVALIDARG;
    *type = job->type;
    return S_OK;
}

static HRESULT WINAPI job_GetProgress(IBackgroundCopyJob5 *iface, BG_JOB_PROGRESS *ret)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);
    BG_FILE_PROGRESS file;
    ULONG i;

    TRACE("%p, %p.\n", iface, ret);

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    if (!ret) return E_INVALIDARG;
    memset(ret, 0, sizeof(*ret));

    EnterCriticalSection(&job->cs);
    ret->FilesTotal = job->file_count;
    for (i = 0; i < job->file_count; i++)
    {
        file_get_progress(job->files[i], &file);
        if (file.BytesTotal == BG_SIZE_UNKNOWN) ret->BytesTotal = BG_SIZE_UNKNOWN;
        else if (ret->BytesTotal != BG_SIZE_UNKNOWN) ret->BytesTotal += file.BytesTotal;
        ret->BytesTransferred += file.BytesTransferred;
        /* Transferred, not Completed: a file is completed only once Complete renamed it. */
        if (file_is_transferred(job->files[i])) ret->FilesTransferred++;
    }
    LeaveCriticalSection(&job->cs);
    return S_OK;
}

static HRESULT WINAPI job_GetTimes(IBackgroundCopyJob5 *iface, BG_JOB_TIMES *times)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);

    TRACE("%p, %p.\n", iface, times);

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    if (!times) return E_INVALIDARG;
    EnterCriticalSection(&job->cs);
    *times = job->times;
    LeaveCriticalSection(&job->cs);
    return S_OK;
}

static HRESULT WINAPI job_GetState(IBackgroundCopyJob5 *iface, BG_JOB_STATE *state)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);

    TRACE("%p, %p.\n", iface, state);

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    if (!state) return E_INVALIDARG;
    EnterCriticalSection(&job->cs);
    *state = job->state;
    LeaveCriticalSection(&job->cs);
    return S_OK;
}

static HRESULT get_error(struct job *job, IBackgroundCopyError **error)
{
    HRESULT hr = BG_E_ERROR_INFORMATION_UNAVAILABLE;
    struct file *file;

    *error = NULL;
    EnterCriticalSection(&job->cs);
    /* Error information exists only while the job is in one of the error states. */
    if ((job->state == BG_JOB_STATE_ERROR || job->state == BG_JOB_STATE_TRANSIENT_ERROR) && job->error.present)
    {
        file = job->error.file;
        /* The protocol of the failed transfer, whatever the file's name became since. */
        hr = error_create(job->error.context, job->error.code, file ? file_iface(file) : NULL,
                          file ? (job->error.file_protocol ? L"file" : L"http") : job->error.reply ? L"http" : NULL,
                          error);
    }
    LeaveCriticalSection(&job->cs);
    return hr;
}

static HRESULT WINAPI job_GetError(IBackgroundCopyJob5 *iface, IBackgroundCopyError **error)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);

    TRACE("%p, %p.\n", iface, error);

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    if (!error) return E_INVALIDARG;
    *error = NULL;
    return get_error(job, error);
}

static HRESULT WINAPI job_GetOwner(IBackgroundCopyJob5 *iface, LPWSTR *owner)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);

    TRACE("%p, %p.\n", iface, owner);

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    if (!owner) return E_INVALIDARG;
    return get_string_property(job, &job->owner, owner);
}

/* ---- simple properties ---- */

/* Stores a copy of a string property unless the job is final. */
static HRESULT set_string_property(struct job *job, WCHAR **field, const WCHAR *value)
{
    HRESULT hr = S_OK;
    WCHAR *copy = NULL;

    if (value && !(copy = strdupW(value))) return E_OUTOFMEMORY;
    EnterCriticalSection(&job->cs);
    if (state_is_final(job->state)) hr = BG_E_INVALID_STATE;
    else
    {
        free(*field);
        *field = copy;
        copy = NULL;
        touch(job);
    }
    LeaveCriticalSection(&job->cs);
    free(copy);
    return hr;
}

static HRESULT get_string_property(struct job *job, WCHAR *const *field, WCHAR **ret)
{
    HRESULT hr;

    EnterCriticalSection(&job->cs);
    hr = return_string(*field ? *field : L"", ret);
    LeaveCriticalSection(&job->cs);
    return hr;
}

static HRESULT WINAPI job_SetDisplayName(IBackgroundCopyJob5 *iface, LPCWSTR name)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);

    TRACE("%p, %s.\n", iface, debugstr_w(name));

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    /* The page lists a too-long name under E_INVALIDARG as CreateJob does. */
    if (!name || wcslen(name) > MAX_DISPLAY_NAME_LEN) return E_INVALIDARG;
    return set_string_property(job, &job->display_name, name);
}

static HRESULT WINAPI job_GetDisplayName(IBackgroundCopyJob5 *iface, LPWSTR *name)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);

    TRACE("%p, %p.\n", iface, name);

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    if (!name) return E_INVALIDARG;
    return get_string_property(job, &job->display_name, name);
}

static HRESULT WINAPI job_SetDescription(IBackgroundCopyJob5 *iface, LPCWSTR description)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);

    TRACE("%p, %s.\n", iface, debugstr_w(description));

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    if (!description) return E_INVALIDARG;
    if (wcslen(description) > MAX_DESCRIPTION_LEN) return BG_E_STRING_TOO_LONG;
    return set_string_property(job, &job->description, description);
}

static HRESULT WINAPI job_GetDescription(IBackgroundCopyJob5 *iface, LPWSTR *description)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);

    TRACE("%p, %p.\n", iface, description);

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    if (!description) return E_INVALIDARG;
    return get_string_property(job, &job->description, description);
}

/* Stores a ULONG property unless the job is final. */
static HRESULT set_ulong_property(struct job *job, ULONG *field, ULONG value)
{
    HRESULT hr = S_OK;

    EnterCriticalSection(&job->cs);
    if (state_is_final(job->state)) hr = BG_E_INVALID_STATE;
    else
    {
        *field = value;
        touch(job);
    }
    LeaveCriticalSection(&job->cs);
    return hr;
}

static HRESULT get_ulong_property(struct job *job, const ULONG *field, ULONG *ret)
{
    if (!ret) return E_INVALIDARG;
    EnterCriticalSection(&job->cs);
    *ret = *field;
    LeaveCriticalSection(&job->cs);
    return S_OK;
}

static HRESULT WINAPI job_SetPriority(IBackgroundCopyJob5 *iface, BG_JOB_PRIORITY priority)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);
    BG_JOB_PRIORITY old;
    HRESULT hr;

    TRACE("%p, %d.\n", iface, priority);

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    /* The documented answer to a value outside the enumeration. */
    if (priority < BG_JOB_PRIORITY_FOREGROUND || priority > BG_JOB_PRIORITY_LOW) return E_NOTIMPL;
    EnterCriticalSection(&job->cs);
    /* A final job refuses first; a custom HTTP verb locks the job to FOREGROUND. */
    if (state_is_final(job->state)) hr = BG_E_INVALID_STATE;
    else if (job->custom_method && priority != BG_JOB_PRIORITY_FOREGROUND) hr = BG_E_NOT_SUPPORTED_WITH_CUSTOM_HTTP_METHOD;
    else hr = S_OK;
    LeaveCriticalSection(&job->cs);
    if (FAILED(hr)) return hr;
    old = job_priority(job);
    if (SUCCEEDED(hr = set_ulong_property(job, (ULONG *)&job->priority, priority)) &&
        (old == BG_JOB_PRIORITY_FOREGROUND) != (priority == BG_JOB_PRIORITY_FOREGROUND))
    {
        /* A run under way holds a foreground or a background place: it ends
         * and the job queues again, to take the place of its new priority. */
        EnterCriticalSection(&job->cs);
        if (job->active) job->reschedule = TRUE;
        LeaveCriticalSection(&job->cs);
        /* Queued behind a background job, as FOREGROUND it may start now. */
        scheduler_priority_changed(job);
    }
    return hr;
}

static HRESULT WINAPI job_GetPriority(IBackgroundCopyJob5 *iface, BG_JOB_PRIORITY *priority)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);

    TRACE("%p, %p.\n", iface, priority);

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    return get_ulong_property(job, (ULONG *)&job->priority, (ULONG *)priority);
}

#define ALL_NOTIFY_FLAGS (BG_NOTIFY_JOB_TRANSFERRED | BG_NOTIFY_JOB_ERROR | BG_NOTIFY_DISABLE | \
                          BG_NOTIFY_JOB_MODIFICATION | BG_NOTIFY_FILE_TRANSFERRED | \
                          BG_NOTIFY_FILE_RANGES_TRANSFERRED)

static HRESULT WINAPI job_SetNotifyFlags(IBackgroundCopyJob5 *iface, ULONG flags)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);
    HRESULT hr;

    TRACE("%p, %#lx.\n", iface, flags);

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    /* The documented answer to unknown flags. */
    if (flags & ~ALL_NOTIFY_FLAGS) return E_NOTIMPL;
    if (FAILED(hr = set_ulong_property(job, &job->notify_flags, flags))) return hr;
    EnterCriticalSection(&job->cs);
    notify_if_pending(job);
    LeaveCriticalSection(&job->cs);
    return S_OK;
}

static HRESULT WINAPI job_GetNotifyFlags(IBackgroundCopyJob5 *iface, ULONG *flags)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);

    TRACE("%p, %p.\n", iface, flags);

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    return get_ulong_property(job, &job->notify_flags, flags);
}

static HRESULT WINAPI job_SetNotifyInterface(IBackgroundCopyJob5 *iface, IUnknown *callback)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);
    IUnknown *old = NULL;
    HRESULT hr = S_OK;

    TRACE("%p, %p.\n", iface, callback);

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    EnterCriticalSection(&job->cs);
    if (state_is_final(job->state)) hr = BG_E_INVALID_STATE;
    else
    {
        old = job->notify_iface;
        job->notify_iface_plain = FALSE;
        if ((job->notify_iface = callback))
        {
            IUnknown_AddRef(callback);
            notify_if_pending(job);
        }
        touch_quietly(job);
    }
    LeaveCriticalSection(&job->cs);
    /* Releasing may call out of the process: never under the job lock. */
    if (old) IUnknown_Release(old);
    return hr;
}

static HRESULT WINAPI job_GetNotifyInterface(IBackgroundCopyJob5 *iface, IUnknown **callback)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);

    TRACE("%p, %p.\n", iface, callback);

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    if (!callback) return E_INVALIDARG;
    EnterCriticalSection(&job->cs);
    if ((*callback = job->notify_iface)) IUnknown_AddRef(*callback);
    LeaveCriticalSection(&job->cs);
    return S_OK;
}

static HRESULT WINAPI job_SetMinimumRetryDelay(IBackgroundCopyJob5 *iface, ULONG seconds)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);

    TRACE("%p, %lu.\n", iface, seconds);

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    return set_ulong_property(job, &job->retry_delay, max(seconds, MIN_RETRY_DELAY));
}

static HRESULT WINAPI job_GetMinimumRetryDelay(IBackgroundCopyJob5 *iface, ULONG *seconds)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);

    TRACE("%p, %p.\n", iface, seconds);

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    return get_ulong_property(job, &job->retry_delay, seconds);
}

static HRESULT WINAPI job_SetNoProgressTimeout(IBackgroundCopyJob5 *iface, ULONG seconds)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);

    TRACE("%p, %lu.\n", iface, seconds);

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    return set_ulong_property(job, &job->no_progress_timeout, seconds);
}

static HRESULT WINAPI job_GetNoProgressTimeout(IBackgroundCopyJob5 *iface, ULONG *seconds)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);

    TRACE("%p, %p.\n", iface, seconds);

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    return get_ulong_property(job, &job->no_progress_timeout, seconds);
}

static HRESULT WINAPI job_GetErrorCount(IBackgroundCopyJob5 *iface, ULONG *errors)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);

    TRACE("%p, %p.\n", iface, errors);

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    return get_ulong_property(job, &job->error_count, errors);
}

static HRESULT WINAPI job_SetProxySettings(IBackgroundCopyJob5 *iface, BG_JOB_PROXY_USAGE usage,
                                           const WCHAR *proxy_list, const WCHAR *bypass_list)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);
    WCHAR *list = NULL, *bypass = NULL;
    HRESULT hr = S_OK;

    TRACE("%p, %d, %s, %s.\n", iface, usage, debugstr_w(proxy_list), debugstr_w(bypass_list));

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    if (usage < BG_JOB_PROXY_USAGE_PRECONFIG || usage > BG_JOB_PROXY_USAGE_AUTODETECT) return E_NOTIMPL;
    if (usage == BG_JOB_PROXY_USAGE_OVERRIDE)
    {
        if (!proxy_list) return E_INVALIDARG;
        if (wcslen(proxy_list) > MAX_PROXY_LIST_LEN) return BG_E_PROXY_LIST_TOO_LARGE;
        if (bypass_list && wcslen(bypass_list) > MAX_PROXY_LIST_LEN) return BG_E_PROXY_BYPASS_LIST_TOO_LARGE;
        if (!(list = strdupW(proxy_list)) || (bypass_list && !(bypass = strdupW(bypass_list))))
        {
            free(list);
            return E_OUTOFMEMORY;
        }
    }
    /* The lists must be NULL for the other usages; the docs give no code, E_INVALIDARG fits. */
    else if (proxy_list || bypass_list) return E_INVALIDARG;

    EnterCriticalSection(&job->cs);
    if (state_is_final(job->state)) hr = BG_E_INVALID_STATE;
    else
    {
        job->proxy_usage = usage;
        free(job->proxy_list);
        free(job->proxy_bypass_list);
        job->proxy_list = list;
        job->proxy_bypass_list = bypass;
        list = bypass = NULL;
        touch(job);
    }
    LeaveCriticalSection(&job->cs);
    free(list);
    free(bypass);
    return hr;
}

static HRESULT WINAPI job_GetProxySettings(IBackgroundCopyJob5 *iface, BG_JOB_PROXY_USAGE *usage,
                                           LPWSTR *proxy_list, LPWSTR *bypass_list)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);
    HRESULT hr = S_OK;

    TRACE("%p, %p, %p, %p.\n", iface, usage, proxy_list, bypass_list);

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    if (!usage || !proxy_list || !bypass_list) return E_INVALIDARG;
    *proxy_list = *bypass_list = NULL;

    EnterCriticalSection(&job->cs);
    *usage = job->proxy_usage;
    if (job->proxy_list) hr = return_string(job->proxy_list, proxy_list);
    if (SUCCEEDED(hr) && job->proxy_bypass_list) hr = return_string(job->proxy_bypass_list, bypass_list);
    LeaveCriticalSection(&job->cs);

    if (FAILED(hr))
    {
        CoTaskMemFree(*proxy_list);
        *proxy_list = NULL;
    }
    return hr;
}

static HRESULT WINAPI job_TakeOwnership(IBackgroundCopyJob5 *iface)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);
    struct caller caller;
    HRESULT hr;

    TRACE("%p.\n", iface);

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    if (FAILED(hr = identity_get_caller(&caller))) return hr;
    /* Taking another user's job is for administrators. */
    if (!caller.admin)
    {
        identity_free_caller(&caller);
        return E_ACCESSDENIED;
    }

    EnterCriticalSection(&job->cs);
    if (state_is_final(job->state)) hr = BG_E_INVALID_STATE;
    else
    {
        /* What belongs to the old owner goes: credentials, certificate, headers, command line. */
        free(job->owner);
        job->owner = caller.sid;
        caller.sid = NULL;
        job->owner_integrity = caller.integrity;
        job->owner_elevated = caller.elevated;
        job->owner_admin = caller.admin;
        clear_all_credentials(job);
        free(job->notify_program);
        free(job->notify_parameters);
        job->notify_program = job->notify_parameters = NULL;
        touch(job);
    }
    LeaveCriticalSection(&job->cs);

    if (SUCCEEDED(hr)) http_options_clear_owner_data(job->http_options);
    identity_free_caller(&caller);
    return hr;
}

/* ---- IBackgroundCopyJob2 ---- */

static HRESULT WINAPI job_SetNotifyCmdLine(IBackgroundCopyJob5 *iface, LPCWSTR program, LPCWSTR parameters)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);
    WCHAR *prog = NULL, *params = NULL;
    HRESULT hr = S_OK;

    TRACE("%p, %s, %s.\n", iface, debugstr_w(program), debugstr_w(parameters));

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    /* Parameters without a program cannot be run; the docs give no code. */
    if (!program && parameters) return E_INVALIDARG;
    /* MAX_PATH characters, the terminating null not counted. */
    if (program && wcslen(program) > MAX_PATH) return BG_E_STRING_TOO_LONG;
    if (parameters && wcslen(parameters) > MAX_CMDLINE_PARAMS_LEN) return BG_E_STRING_TOO_LONG;
    if ((program && !(prog = strdupW(program))) || (parameters && !(params = strdupW(parameters))))
    {
        free(prog);
        return E_OUTOFMEMORY;
    }

    EnterCriticalSection(&job->cs);
    if (state_is_final(job->state)) hr = BG_E_INVALID_STATE;
    else
    {
        free(job->notify_program);
        free(job->notify_parameters);
        job->notify_program = prog;
        job->notify_parameters = params;
        prog = params = NULL;
        if (job->notify_program) notify_if_pending(job);
        touch(job);
    }
    LeaveCriticalSection(&job->cs);
    free(prog);
    free(params);
    return hr;
}

static HRESULT WINAPI job_GetNotifyCmdLine(IBackgroundCopyJob5 *iface, LPWSTR *program, LPWSTR *parameters)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);
    HRESULT hr;

    TRACE("%p, %p, %p.\n", iface, program, parameters);

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    if (!program || !parameters) return E_INVALIDARG;
    *program = *parameters = NULL;
    /* Never set: both are empty strings, not NULL. */
    hr = get_string_property(job, &job->notify_program, program);
    if (SUCCEEDED(hr) && FAILED(hr = get_string_property(job, &job->notify_parameters, parameters)))
    {
        CoTaskMemFree(*program);
        *program = NULL;
    }
    return hr;
}

static HRESULT WINAPI job_GetReplyProgress(IBackgroundCopyJob5 *iface, BG_JOB_REPLY_PROGRESS *progress)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);

    TRACE("%p, %p.\n", iface, progress);

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    if (job->type != BG_JOB_TYPE_UPLOAD_REPLY) return E_NOTIMPL;
    if (!progress) return E_INVALIDARG;
    /* The reply starts after the upload; until then its size is unknown. */
    progress->BytesTotal = BG_SIZE_UNKNOWN;
    progress->BytesTransferred = 0;
    EnterCriticalSection(&job->cs);
    if (job->reply_empty) progress->BytesTotal = 0;
    else if (job->reply)
    {
        BG_FILE_PROGRESS reply;

        file_get_progress(job->reply, &reply);
        /* Begun, its size not known yet: BG_SIZE_UNKNOWN would say it has not
         * begun, and so blame a REMOTE_FILE error on the upload (behavior.md 5.3). */
        progress->BytesTotal = reply.BytesTotal == BG_SIZE_UNKNOWN ? 0 : reply.BytesTotal;
        progress->BytesTransferred = reply.BytesTransferred;
    }
    LeaveCriticalSection(&job->cs);
    return S_OK;
}

/* GetReplyData gives a reply of at most 1 MB (larger: BG_E_TOO_LARGE). */
#define MAX_REPLY_DATA (1024 * 1024)

static HRESULT read_reply(struct file *reply, byte **buffer, UINT64 *length)
{
    LARGE_INTEGER size;
    HANDLE handle;
    HRESULT hr = S_OK;
    DWORD got;

    handle = CreateFileW(file_current_name(reply), GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                         NULL, OPEN_EXISTING, 0, NULL);
    if (handle == INVALID_HANDLE_VALUE) return HRESULT_FROM_WIN32(GetLastError());
    if (!GetFileSizeEx(handle, &size)) hr = HRESULT_FROM_WIN32(GetLastError());
    else if (size.QuadPart > MAX_REPLY_DATA)
    {
        /* Too large for a buffer: the caller learns the size (interfaces.md 4.2). */
        hr = BG_E_TOO_LARGE;
        if (length) *length = size.QuadPart;
    }
    else if (!size.QuadPart) ;  /* an empty reply is no data: *buffer stays NULL */
    else if (!(*buffer = CoTaskMemAlloc(size.QuadPart))) hr = E_OUTOFMEMORY;
    else if (!ReadFile(handle, *buffer, size.QuadPart, &got, NULL) || got != size.QuadPart)
    {
        hr = GetLastError() ? HRESULT_FROM_WIN32(GetLastError()) : HRESULT_FROM_WIN32(ERROR_HANDLE_EOF);
        CoTaskMemFree(*buffer);
        *buffer = NULL;
    }
    else if (length) *length = got;
    CloseHandle(handle);
    return hr;
}

static HRESULT WINAPI job_GetReplyData(IBackgroundCopyJob5 *iface, byte **buffer, UINT64 *length)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);
    HRESULT hr = S_OK;

    TRACE("%p, %p, %p.\n", iface, buffer, length);

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    if (job->type != BG_JOB_TYPE_UPLOAD_REPLY) return E_NOTIMPL;
    if (!buffer) return E_INVALIDARG;
    *buffer = NULL;
    if (length) *length = 0;
    EnterCriticalSection(&job->cs);
    if (job->state != BG_JOB_STATE_TRANSFERRED && job->state != BG_JOB_STATE_ACKNOWLEDGED)
        hr = BG_E_INVALID_STATE;
    /* No reply from the server: no buffer. */
    else if (job->reply) hr = read_reply(job->reply, buffer, length);
    LeaveCriticalSection(&job->cs);
    return hr;
}

/* The reply file name BITS makes when the application sets none: BIT<hex>.tmp
 * in the directory of the uploaded file, once there is one (interfaces.md
 * 4.2, slot 40).  Nothing is created yet.  Job lock held. */
static void make_reply_name(struct job *job)
{
    const WCHAR *local, *slash;
    size_t dir_len;
    GUID guid;

    if (job->reply_file_name || !job->file_count) return;
    local = file_local_name(job->files[0]);
    if (!(slash = wcsrchr(local, '\\'))) return;
    dir_len = slash + 1 - local;
    if (!(job->reply_file_name = malloc((dir_len + 16) * sizeof(WCHAR)))) return;
    memcpy(job->reply_file_name, local, dir_len * sizeof(WCHAR));
    CoCreateGuid(&guid);
    swprintf(job->reply_file_name + dir_len, 16, L"BIT%08lX.tmp", guid.Data1);
}

static HRESULT WINAPI job_SetReplyFileName(IBackgroundCopyJob5 *iface, LPCWSTR filename)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);
    BOOL started;

    TRACE("%p, %s.\n", iface, debugstr_w(filename));

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    if (job->type != BG_JOB_TYPE_UPLOAD_REPLY) return E_NOTIMPL;
    if (filename && *filename && FAILED(validate_new_local_name(filename))) return E_INVALIDARG;
    if (filename && *filename && !local_dir_writable(filename)) return E_ACCESSDENIED;
    /* The reply goes where its download began, or an empty one's name was made
     * for it: the reply's size is known (interfaces.md 4.2, slot 39). */
    EnterCriticalSection(&job->cs);
    started = job->reply || job->reply_empty;
    LeaveCriticalSection(&job->cs);
    if (started) return BG_E_INVALID_STATE;
    return set_string_property(job, &job->reply_file_name, filename && *filename ? filename : NULL);
}

static HRESULT WINAPI job_GetReplyFileName(IBackgroundCopyJob5 *iface, LPWSTR *filename)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);
    HRESULT hr = S_OK;

    TRACE("%p, %p.\n", iface, filename);

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    if (job->type != BG_JOB_TYPE_UPLOAD_REPLY) return E_NOTIMPL;
    if (!filename) return E_INVALIDARG;
    *filename = NULL;
    EnterCriticalSection(&job->cs);
    if (!job->reply_file_name && !state_is_final(job->state))
    {
        make_reply_name(job);
        if (job->reply_file_name) job_save_later(job);
    }
    if (job->reply_file_name) hr = return_string(job->reply_file_name, filename);
    LeaveCriticalSection(&job->cs);
    return hr;
}

static HRESULT check_auth_pair(BG_AUTH_TARGET target, BG_AUTH_SCHEME scheme)
{
    if (target < BG_AUTH_TARGET_SERVER || target > BG_AUTH_TARGET_PROXY) return BG_E_INVALID_AUTH_TARGET;
    if (scheme < BG_AUTH_SCHEME_BASIC || scheme > BG_AUTH_SCHEME_PASSPORT) return BG_E_INVALID_AUTH_SCHEME;
    return S_OK;
}

static HRESULT WINAPI job_SetCredentials(IBackgroundCopyJob5 *iface, BG_AUTH_CREDENTIALS *credentials)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);
    const BG_BASIC_CREDENTIALS *basic;
    struct credentials entry = { TRUE };
    HRESULT hr;

    TRACE("%p, %p.\n", iface, credentials);

    if (!job_caller_is_owner(job)) return E_ACCESSDENIED;

    if (!credentials) return E_INVALIDARG;
    if (FAILED(hr = check_auth_pair(credentials->Target, credentials->Scheme))) return hr;
    basic = &credentials->Credentials.Basic;
    /* Basic and Digest need explicit names; the others may use the logged-on user's (NULL, NULL). */
    if ((!basic->UserName || !basic->Password) &&
        (credentials->Scheme == BG_AUTH_SCHEME_BASIC || credentials->Scheme == BG_AUTH_SCHEME_DIGEST))
        return E_INVALIDARG;
    /* A password belongs to a user name (behavior.md 11.6, BG_BASIC_CREDENTIALS). */
    if (!basic->UserName && basic->Password) return E_INVALIDARG;
    if (basic->UserName && wcslen(basic->UserName) > MAX_USERNAME_LEN) return BG_E_USERNAME_TOO_LARGE;
    if (basic->Password && wcslen(basic->Password) > MAX_PASSWORD_LEN) return BG_E_PASSWORD_TOO_LARGE;
    if ((basic->UserName && !(entry.user_name = strdupW(basic->UserName))) ||
        (basic->Password && !(entry.password = strdupW(basic->Password))))
    {
        clear_credentials(&entry);
        return E_OUTOFMEMORY;
    }

    EnterCriticalSection(&job->cs);
    if (state_is_final(job->state)) hr = BG_E_INVALID_STATE;
    else
    {
        struct credentials *slot = &job->credentials[credentials->Target - 1][credentials->Scheme - 1];
        clear_credentials(slot);
        *slot = entry;
        memset(&entry, 0, sizeof(entry));
        touch(job);
    }
    LeaveCriticalSection(&job->cs);
    clear_credentials(&entry);
    return hr;
}

static HRESULT WINAPI job_RemoveCredentials(IBackgroundCopyJob5 *iface, BG_AUTH_TARGET target, BG_AUTH_SCHEME scheme)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);
    HRESULT hr;

    TRACE("%p, %d, %d.\n", iface, target, scheme);

    if (!job_caller_is_owner(job)) return E_ACCESSDENIED;

    if (FAILED(hr = check_auth_pair(target, scheme))) return hr;
    EnterCriticalSection(&job->cs);
    if (state_is_final(job->state)) hr = BG_E_INVALID_STATE;
    else if (!job->credentials[target - 1][scheme - 1].set) hr = S_FALSE;
    else
    {
        clear_credentials(&job->credentials[target - 1][scheme - 1]);
        touch(job);
    }
    LeaveCriticalSection(&job->cs);
    return hr;
}

/* ---- IBackgroundCopyJob3 ---- */

static HRESULT WINAPI job_ReplaceRemotePrefix(IBackgroundCopyJob5 *iface, LPCWSTR old_prefix, LPCWSTR new_prefix)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);
    HRESULT hr = S_FALSE;
    BOOL changed = FALSE;
    ULONG i;

    TRACE("%p, %s, %s.\n", iface, debugstr_w(old_prefix), debugstr_w(new_prefix));

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    if (job->type != BG_JOB_TYPE_DOWNLOAD) return E_NOTIMPL;
    if (!old_prefix || !new_prefix || !*old_prefix || !*new_prefix) return E_INVALIDARG;

    EnterCriticalSection(&job->cs);
    if (state_is_final(job->state)) hr = BG_E_INVALID_STATE;
    /* Every new name is checked before any is taken: a bad one changes nothing. */
    for (i = 0; hr == S_FALSE && i < job->file_count; i++)
    {
        HRESULT file_hr = S_OK;
        file_replace_remote_prefix(job->files[i], old_prefix, new_prefix, FALSE, &file_hr);
        if (FAILED(file_hr)) hr = file_hr;
    }
    for (i = 0; hr == S_FALSE && i < job->file_count; i++)
    {
        HRESULT file_hr = S_OK;
        if (file_replace_remote_prefix(job->files[i], old_prefix, new_prefix, TRUE, &file_hr)) changed = TRUE;
        if (FAILED(file_hr)) hr = file_hr;
    }
    if (hr == S_FALSE && changed)
    {
        hr = S_OK;
        touch(job);
    }
    LeaveCriticalSection(&job->cs);
    return hr;
}

static HRESULT WINAPI job_AddFileWithRanges(IBackgroundCopyJob5 *iface, LPCWSTR remote_name, LPCWSTR local_name,
                                            DWORD range_count, BG_FILE_RANGE ranges[])
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);
    BG_FILE_INFO info;

    TRACE("%p, %s, %s, %lu, %p.\n", iface, debugstr_w(remote_name), debugstr_w(local_name), range_count, ranges);

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    if (job->type != BG_JOB_TYPE_DOWNLOAD) return E_NOTIMPL;
    if (!range_count || !ranges) return E_INVALIDARG;
    if (range_count > policy_get(POLICY_MAX_RANGES_PER_FILE) && !caller_is_admin()) return BG_E_TOO_MANY_RANGES_IN_FILE;
    /* Ranges are for HTTP only since BITS 3.0. */
    if (remote_name && transfer_is_file_name(remote_name)) return E_INVALIDARG;
    info.RemoteName = (WCHAR *)remote_name;
    info.LocalName = (WCHAR *)local_name;
    return add_files(job, 1, &info, range_count, ranges);
}

static HRESULT WINAPI job_SetFileACLFlags(IBackgroundCopyJob5 *iface, DWORD flags)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);
    HRESULT hr = S_OK;

    TRACE("%p, %#lx.\n", iface, flags);

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    if (flags & ~BG_COPY_FILE_ALL) return E_INVALIDARG;
    EnterCriticalSection(&job->cs);
    if (job->state >= BG_JOB_STATE_TRANSFERRED) hr = BG_E_INVALID_STATE;
    else
    {
        job->file_acl_flags = flags;
        touch(job);
    }
    LeaveCriticalSection(&job->cs);
    return hr;
}

static HRESULT WINAPI job_GetFileACLFlags(IBackgroundCopyJob5 *iface, DWORD *flags)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);

    TRACE("%p, %p.\n", iface, flags);

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    return get_ulong_property(job, &job->file_acl_flags, flags);
}

/* ---- IBackgroundCopyJob4 ---- */

#define ALL_PEER_CACHING_FLAGS (BG_JOB_ENABLE_PEERCACHING_CLIENT | BG_JOB_ENABLE_PEERCACHING_SERVER | \
                                BG_JOB_DISABLE_BRANCH_CACHE)

static HRESULT WINAPI job_SetPeerCachingFlags(IBackgroundCopyJob5 *iface, DWORD flags)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);

    TRACE("%p, %#lx.\n", iface, flags);

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    if (flags & ~ALL_PEER_CACHING_FLAGS) return E_INVALIDARG;
    return set_ulong_property(job, &job->peer_caching_flags, flags);
}

static HRESULT WINAPI job_GetPeerCachingFlags(IBackgroundCopyJob5 *iface, DWORD *flags)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);

    TRACE("%p, %p.\n", iface, flags);

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    return get_ulong_property(job, &job->peer_caching_flags, flags);
}

static HRESULT WINAPI job_GetOwnerIntegrityLevel(IBackgroundCopyJob5 *iface, ULONG *level)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);

    TRACE("%p, %p.\n", iface, level);

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    return get_ulong_property(job, &job->owner_integrity, level);
}

static HRESULT WINAPI job_GetOwnerElevationState(IBackgroundCopyJob5 *iface, BOOL *elevated)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);

    TRACE("%p, %p.\n", iface, elevated);

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    return get_ulong_property(job, (ULONG *)&job->owner_elevated, (ULONG *)elevated);
}

static HRESULT WINAPI job_SetMaximumDownloadTime(IBackgroundCopyJob5 *iface, ULONG seconds)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);

    TRACE("%p, %lu.\n", iface, seconds);

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    return set_ulong_property(job, &job->max_download_time, seconds);
}

static HRESULT WINAPI job_GetMaximumDownloadTime(IBackgroundCopyJob5 *iface, ULONG *seconds)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);

    TRACE("%p, %p.\n", iface, seconds);

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    return get_ulong_property(job, &job->max_download_time, seconds);
}

/* ---- IBackgroundCopyJob5 ---- */

/* The rules of behavior.md section 13; the method pages list only S_OK, so the
 * codes are the bitsmsg.h ones whose names match each rule. */
static HRESULT set_property(struct job *job, BITS_JOB_PROPERTY_ID id, const BITS_JOB_PROPERTY_VALUE *value)
{
    BOOL download_only = id == BITS_JOB_PROPERTY_DYNAMIC_CONTENT || id == BITS_JOB_PROPERTY_HIGH_PERFORMANCE ||
                         id == BITS_JOB_PROPERTY_MAX_DOWNLOAD_SIZE || id == BITS_JOB_PROPERTY_ON_DEMAND_MODE;
    ULONG i;

    if (state_is_final(job->state)) return BG_E_INVALID_STATE;
    if (download_only && job->type != BG_JOB_TYPE_DOWNLOAD) return BG_E_PROPERTY_SUPPORTED_FOR_DOWNLOAD_JOBS_ONLY;

    switch (id)
    {
    case BITS_JOB_PROPERTY_ID_COST_FLAGS:
        job->cost_flags = value->Dword;
        return S_OK;
    case BITS_JOB_PROPERTY_NOTIFICATION_CLSID:
        job->notification_clsid = value->ClsID;
        /* An event before it still reaches an object of the class (behavior.md 9.2). */
        if (!IsEqualGUID(&job->notification_clsid, &GUID_NULL)) notify_if_pending(job);
        return S_OK;
    case BITS_JOB_PROPERTY_DYNAMIC_CONTENT:
        if (job->resumed) return BG_E_READ_ONLY_PROPERTY_AFTER_RESUME;
        if (value->Enable && job->custom_method) return BG_E_NOT_SUPPORTED_WITH_CUSTOM_HTTP_METHOD;
        /* On demand fetches ranges, which dynamic content has not (10, 14). */
        if (value->Enable && job->on_demand) return BG_E_UNSUPPORTED_JOB_CONFIGURATION;
        /* Dynamic content has no size, so byte ranges cannot apply. */
        for (i = 0; value->Enable && i < job->file_count; i++)
            if (file_has_ranges(job->files[i])) return BG_E_UNSUPPORTED_JOB_CONFIGURATION;
        job->dynamic_content = !!value->Enable;
        return S_OK;
    case BITS_JOB_PROPERTY_HIGH_PERFORMANCE:
        if (job->file_count) return BG_E_READ_ONLY_PROPERTY_AFTER_ADDFILE;
        job->high_performance = !!value->Enable;
        return S_OK;
    case BITS_JOB_PROPERTY_MAX_DOWNLOAD_SIZE:
        if (job->resumed) return BG_E_READ_ONLY_PROPERTY_AFTER_RESUME;
        if (!value->Uint64) return BG_E_MAX_DOWNLOAD_SIZE_INVALID_VALUE;
        job->max_download_size = value->Uint64;
        return S_OK;
    case BITS_JOB_PROPERTY_USE_STORED_CREDENTIALS:
        if (value->Target != BG_AUTH_TARGET_PROXY) return BG_E_USE_STORED_CREDENTIALS_NOT_SUPPORTED;
        job->stored_credentials_target = value->Target;
        return S_OK;
    case BITS_JOB_PROPERTY_MINIMUM_NOTIFICATION_INTERVAL_MS:
        job->min_notification_interval = value->Dword;
        return S_OK;
    case BITS_JOB_PROPERTY_ON_DEMAND_MODE:
        if (value->Enable && job->dynamic_content) return BG_E_UNSUPPORTED_JOB_CONFIGURATION;
        if (value->Enable && job->custom_method) return BG_E_NOT_SUPPORTED_WITH_CUSTOM_HTTP_METHOD;
        job->on_demand = !!value->Enable;
        return S_OK;
    default:
        return BG_E_UNKNOWN_PROPERTY_ID;
    }
}

static HRESULT WINAPI job_SetProperty(IBackgroundCopyJob5 *iface, BITS_JOB_PROPERTY_ID id, BITS_JOB_PROPERTY_VALUE value)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);
    HRESULT hr;

    TRACE("%p, %d.\n", iface, id);

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    EnterCriticalSection(&job->cs);
    if (SUCCEEDED(hr = set_property(job, id, &value))) touch(job);
    LeaveCriticalSection(&job->cs);
    return hr;
}

static HRESULT WINAPI job_GetProperty(IBackgroundCopyJob5 *iface, BITS_JOB_PROPERTY_ID id, BITS_JOB_PROPERTY_VALUE *value)
{
    struct job *job = impl_from_IBackgroundCopyJob5(iface);
    HRESULT hr = S_OK;

    TRACE("%p, %d, %p.\n", iface, id, value);

    if (!job_caller_may_access(job)) return E_ACCESSDENIED;

    if (!value) return E_INVALIDARG;
    EnterCriticalSection(&job->cs);
    switch (id)
    {
    case BITS_JOB_PROPERTY_ID_COST_FLAGS: value->Dword = job->cost_flags; break;
    case BITS_JOB_PROPERTY_NOTIFICATION_CLSID: value->ClsID = job->notification_clsid; break;
    case BITS_JOB_PROPERTY_DYNAMIC_CONTENT: value->Enable = job->dynamic_content; break;
    case BITS_JOB_PROPERTY_HIGH_PERFORMANCE: value->Enable = job->high_performance; break;
    case BITS_JOB_PROPERTY_MAX_DOWNLOAD_SIZE: value->Uint64 = job->max_download_size; break;
    case BITS_JOB_PROPERTY_USE_STORED_CREDENTIALS: value->Target = job->stored_credentials_target; break;
    case BITS_JOB_PROPERTY_MINIMUM_NOTIFICATION_INTERVAL_MS: value->Dword = job->min_notification_interval; break;
    case BITS_JOB_PROPERTY_ON_DEMAND_MODE: value->Enable = job->on_demand; break;
    default: hr = BG_E_UNKNOWN_PROPERTY_ID; break;
    }
    LeaveCriticalSection(&job->cs);
    return hr;
}

BOOL job_random_access_allowed(struct job *job)
{
    BOOL allowed;

    EnterCriticalSection(&job->cs);
    allowed = job->type == BG_JOB_TYPE_DOWNLOAD && !job->dynamic_content && !job->custom_method;
    LeaveCriticalSection(&job->cs);
    return allowed;
}

/* SetHttpMethod with a verb other than the default: only before the first
 * Resume, not with dynamic content or on-demand mode, and the job becomes a
 * FOREGROUND job for good (behavior.md 11.7). */
HRESULT job_set_http_method(struct job *job, WCHAR *method)
{
    HRESULT hr = S_OK;

    EnterCriticalSection(&job->cs);
    if (state_is_final(job->state)) hr = BG_E_INVALID_STATE;
    else if (job->resumed) hr = BG_E_READ_ONLY_PROPERTY_AFTER_RESUME;
    else if (job->dynamic_content || job->on_demand) hr = BG_E_NOT_SUPPORTED_WITH_CUSTOM_HTTP_METHOD;
    else
    {
        /* With the flag, under the job's lock: a Resume sees both or neither. */
        job->custom_method = TRUE;
        job->priority = BG_JOB_PRIORITY_FOREGROUND;
        http_options_take_method(job->http_options, method);
        touch(job);
    }
    LeaveCriticalSection(&job->cs);
    return hr;
}

/* ---- transfers, run by the scheduler's workers ---- */

/* The job's own limits: MaximumDownloadTime counts connecting and transferring
 * time only; MAX_DOWNLOAD_SIZE caps the bytes of all files.  Job lock held. */
static HRESULT check_limits(struct job *job)
{
    BG_FILE_PROGRESS progress;
    UINT64 bytes = 0;
    ULONG i;

    if (job->max_download_time &&
        job->active_ms + (GetTickCount64() - job->run_start) >= (ULONGLONG)job->max_download_time * 1000)
        return BG_E_MAXDOWNLOAD_TIMEOUT;
    if (job->max_download_size != ~(UINT64)0)
    {
        for (i = 0; i < job->file_count; i++)
        {
            file_get_progress(job->files[i], &progress);
            bytes += progress.BytesTransferred;
        }
        if (bytes > job->max_download_size) return BG_E_MAX_DOWNLOAD_SIZE_LIMIT_REACHED;
    }
    return S_OK;
}

/* Whether a run under way must end, asked with job->cs held: the job was
 * stopped, is being completed or went final, or the service stops. */
static BOOL run_stopped(struct job *job)
{
    return job->stop || job->completing || state_is_final(job->state) || scheduler_stopping();
}

/* Whether a run under way gives its place (job->cs held): to a job of higher
 * priority or whose turn it is, or to a queueing again that was asked for. */
static BOOL run_gives_way(struct job *job)
{
    return job->reschedule || scheduler_should_yield(job->priority, job->run_start);
}

/* Background jobs keep to the bandwidth Group Policy allows: a transfer
 * that brought bytes too fast waits here, a little at a time so that a
 * Suspend or Cancel is not held up.  FALSE when the job is to stop. */
static BOOL keep_to_bandwidth(struct job *job, UINT64 new_bytes)
{
    BOOL go = TRUE, foreground = FALSE, limited;
    UINT64 mark = bandwidth_take(new_bytes, &limited);
    ULONGLONG change_ms;
    DWORD wait;

    /* Asked again after each slice: the policy may have changed meanwhile. */
    while (limited && go && !foreground && (wait = bandwidth_wait(mark, &change_ms)))
    {
        if (wait == INFINITE)
        {
            EnterCriticalSection(&job->cs);
            job->limit_error = BG_E_BLOCKED_BY_POLICY;
            job->blocked_ms = change_ms;
            LeaveCriticalSection(&job->cs);
            return FALSE;
        }
        Sleep(min(wait, 250));
        EnterCriticalSection(&job->cs);
        go = !run_stopped(job) && !run_gives_way(job);
        /* Made a foreground job meanwhile: no limit applies any more. */
        foreground = job->priority == BG_JOB_PRIORITY_FOREGROUND;
        LeaveCriticalSection(&job->cs);
    }
    return go;
}

static BOOL on_download_progress(struct job *job, UINT64 new_bytes)
{
    BOOL go, background;

    EnterCriticalSection(&job->cs);
    go = !run_stopped(job);
    if (go && FAILED(job->limit_error = check_limits(job))) go = FALSE;
    if (go && run_gives_way(job)) go = FALSE;
    if (go && new_bytes)
    {
        ULONGLONG now = GetTickCount64();

        if (job->state == BG_JOB_STATE_CONNECTING) job->state = BG_JOB_STATE_TRANSFERRING;
        job->first_transient_error = 0;
        GetSystemTimeAsFileTime(&job->times.ModificationTime);
        job->activity_time = job->times.ModificationTime;
        /* Progress reaches the store now and then, not with every block. */
        if (now - job->last_checkpoint >= CHECKPOINT_MS)
        {
            job->last_checkpoint = now;
            job_save_later(job);
        }
        notify_modification(job);
    }
    background = job->priority != BG_JOB_PRIORITY_FOREGROUND;
    LeaveCriticalSection(&job->cs);
    if (go && new_bytes && background) go = keep_to_bandwidth(job, new_bytes);
    return go;
}

/* The job's error object and count; the caller holds the job lock. */
static void record_error(struct job *job, struct file *file, HRESULT code, BG_ERROR_CONTEXT context)
{
    job->error.present = TRUE;
    job->error.code = code;
    job->error.context = context;
    job->error.file = file;
    job->error.reply = FALSE;
    job->error.file_protocol = file && file_is_local_source(file);
    job->error_count++;
}

/* When a job in TRANSIENT_ERROR is due: its retry, or the end of its
 * no-progress timeout if that comes first (then it goes to ERROR).  Job lock held. */
static ULONGLONG transient_wait_ms(struct job *job)
{
    ULONGLONG wait = job->retry_delay * 1000ull, elapsed, timeout = job->no_progress_timeout * 1000ull;

    if (job->first_transient_error && job->no_progress_timeout)
    {
        elapsed = GetTickCount64() - job->first_transient_error;
        wait = min(wait, elapsed < timeout ? timeout - elapsed : 0);
    }
    return wait;
}

/* Whether a job in TRANSIENT_ERROR has made no progress for longer than its
 * no-progress timeout.  Job lock held. */
static BOOL no_progress_expired(struct job *job)
{
    return job->first_transient_error && job->no_progress_timeout &&
           GetTickCount64() - job->first_transient_error >= job->no_progress_timeout * 1000ull;
}

/* A job in TRANSIENT_ERROR becomes ERROR, its last error what it reports.  Job lock held. */
static void give_up(struct job *job)
{
    job->state = BG_JOB_STATE_ERROR;
    job->pending_error = TRUE;
    scheduler_notify(job);
    touch_by_service(job, FALSE);
}

/* A failed transfer: a transient failure waits for a retry unless the job has
 * made no progress for longer than its no-progress timeout, which may also
 * end before the retry is due (behavior.md 5.1). */
static void record_failure_of(struct job *job, struct file *file, BOOL reply, HRESULT code, BG_ERROR_CONTEXT context,
                              BOOL transient)
{
    ULONGLONG now = GetTickCount64();

    EnterCriticalSection(&job->cs);
    if (job->stop || (job->state != BG_JOB_STATE_CONNECTING && job->state != BG_JOB_STATE_TRANSFERRING))
    {
        LeaveCriticalSection(&job->cs);
        return;
    }
    TRACE("job %s: %s error %#lx, context %d.\n", debugstr_guid(&job->id), transient ? "transient" : "fatal",
          code, context);
    record_error(job, file, code, context);
    job->error.reply = reply;

    if (transient && job->no_progress_timeout && job->retry_delay <= job->no_progress_timeout)
    {
        if (!job->first_transient_error) job->first_transient_error = now;
        if (now - job->first_transient_error >= (ULONGLONG)job->no_progress_timeout * 1000) transient = FALSE;
    }
    else transient = FALSE;

    if (transient)
    {
        job->state = BG_JOB_STATE_TRANSIENT_ERROR;
        scheduler_schedule_retry(job, transient_wait_ms(job));
        touch_by_service(job, TRUE);
    }
    else give_up(job);
    LeaveCriticalSection(&job->cs);
}

static void record_failure(struct job *job, struct file *file, HRESULT code, BG_ERROR_CONTEXT context, BOOL transient)
{
    record_failure_of(job, file, FALSE, code, context, transient);
}

/* A failure of an upload-reply's reply: it names no
 * file of the job (GetFile), but its protocol is HTTP (GetProtocol). */
static void record_reply_failure(struct job *job, HRESULT code, BG_ERROR_CONTEXT context, BOOL transient)
{
    record_failure_of(job, NULL, TRUE, code, context, transient);
}

/* Group Policy allows background transfers no bandwidth now: the job waits
 * in TRANSIENT_ERROR with BG_E_BLOCKED_BY_POLICY, and is queued again when
 * the policy's window may end, or after its retry delay if that comes first
 * (the policy may have changed).  Its no-progress timeout does not run: the
 * job is held back, not failing (behavior.md 15). */
static void block_by_policy(struct job *job, ULONGLONG change_ms)
{
    EnterCriticalSection(&job->cs);
    if (!job->stop && (job->state == BG_JOB_STATE_CONNECTING || job->state == BG_JOB_STATE_TRANSFERRING))
    {
        TRACE("job %s: no bandwidth for background transfers now.\n", debugstr_guid(&job->id));
        /* Held back, not failing: the error count stays (behavior.md 5.4), and
         * an earlier transient error's no-progress timeout stops running. */
        record_error(job, NULL, BG_E_BLOCKED_BY_POLICY, BG_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER);
        job->error_count--;
        job->first_transient_error = 0;
        job->state = BG_JOB_STATE_TRANSIENT_ERROR;
        /* Not retried on the retry delay (behavior.md 2): it waits for the
         * window's next edge, or for the policy to change, which the watch
         * reports.  Without the watch the retry delay has to do. */
        if (!policy_watching()) change_ms = min(change_ms, job->retry_delay * 1000ull);
        if (change_ms != ~0ull) scheduler_schedule_retry(job, change_ms);
        touch_by_service(job, TRUE);
    }
    LeaveCriticalSection(&job->cs);
}

/* CRL checking was turned on (http_options.c): HTTPS files begun but not
 * finished start again, and a run under way ends and queues again so that
 * they do; transferred files are kept (the SetSecurityFlags page). */
void job_crl_check_enabled(struct job *job)
{
    BOOL restart = FALSE;
    ULONG i;

    EnterCriticalSection(&job->cs);
    if (job->type == BG_JOB_TYPE_DOWNLOAD && !state_is_final(job->state))
    {
        for (i = 0; i < job->file_count; i++)
            if (file_restart_for_crl(job->files[i])) restart = TRUE;
        if (restart && job->active) job->reschedule = TRUE;
    }
    LeaveCriticalSection(&job->cs);
    if (restart) job_save_later(job);
}

void job_file_changed(struct job *job)
{
    EnterCriticalSection(&job->cs);
    touch(job);
    LeaveCriticalSection(&job->cs);
}

/* SetValidationState(FALSE) on a downloaded file: its content is refused, the
 * file starts again from nothing and the job waits in ERROR with
 * BG_E_VALIDATION_FAILED; Resume downloads it again (behavior.md 7.3). */
HRESULT job_validation_failed(struct job *job, struct file *file)
{
    EnterCriticalSection(&job->cs);
    if (state_is_final(job->state))
    {
        LeaveCriticalSection(&job->cs);
        return BG_E_INVALID_STATE;
    }
    if (job->active) job->stop = TRUE;
    scheduler_remove(job);
    file_discard_temporary(file);
    record_error(job, file, BG_E_VALIDATION_FAILED, BG_ERROR_CONTEXT_REMOTE_FILE);
    job->state = BG_JOB_STATE_ERROR;
    job->pending_error = TRUE;
    scheduler_notify(job);
    touch_quietly(job);  /* no JobModification for a move into ERROR (behavior.md 9.2) */
    LeaveCriticalSection(&job->cs);
    return S_OK;
}

/* Whether the flags ask for FileTransferred.  Job lock held. */
static BOOL file_notices_asked(struct job *job)
{
    return !(job->notify_flags & BG_NOTIFY_DISABLE) && (job->notify_flags & BG_NOTIFY_FILE_TRANSFERRED);
}

/* The notification program that runs, or NULL: none for the jobs of
 * LocalSystem, LocalService and NetworkService (behavior.md 9.4), which the
 * service would start with its own rights.  Job lock held. */
static const WCHAR *notify_program_to_run(struct job *job)
{
    if (job->owner && (!wcscmp(job->owner, L"S-1-5-18") || !wcscmp(job->owner, L"S-1-5-19") ||
                       !wcscmp(job->owner, L"S-1-5-20")))
        return NULL;
    return job->notify_program;
}

/* Whether FileTransferred notices are kept for an object registered later
 * (behavior.md 9.2): asked for, nobody to tell yet, and no command line that
 * runs (a service account's does not), which cannot take them and must not
 * wait behind them.  Job lock held. */
static BOOL file_notices_wait(struct job *job)
{
    return file_notices_asked(job) && !has_notify_target(job) &&
           !notify_program_to_run(job);
}

static ULONG renotify_ms(ULONG retry_delay);

/* Delivers the FileTransferred notices in their order; TRUE when none is left
 * to deliver.  A refused one (a negative answer, or a callback that cannot be
 * reached) stops the others and is tried again after the retry delay; with
 * nobody registered yet they wait (file_notices_wait); one the flags no longer
 * ask for, or of a final job, is dropped. */
static BOOL deliver_file_notices(struct job *job)
{
    IUnknown *callback, *fresh;
    struct file *file;
    BOOL left, plain;
    HRESULT hr;

    EnterCriticalSection(&job->cs);
    if (job->delivering_file_notices)
    {
        /* Another thread is at it: look again soon, the event after them may be due. */
        LeaveCriticalSection(&job->cs);
        scheduler_schedule_notify(job, 100);
        return FALSE;
    }
    job->delivering_file_notices = TRUE;
    while (job->file_notice_count)
    {
        file = job->file_notices[0];
        if (!state_is_final(job->state) && file_notices_wait(job)) break;
        if (!state_is_final(job->state) && file_notices_asked(job) && has_notify_target(job))
        {
            plain = job->notify_iface && job->notify_iface_plain;
            LeaveCriticalSection(&job->cs);
            if (plain) hr = S_OK;  /* the registered object has no FileTransferred */
            else if ((callback = notify_target(job)))
            {
                hr = notify_file_transferred(callback, job_iface(job), file_iface(file), &plain);
                /* Its process is gone: an object of the notification class, if any, hears it. */
                if (notify_is_disconnected(hr) && (fresh = activate_callback(job, callback)))
                {
                    IUnknown_Release(callback);
                    callback = fresh;
                    hr = notify_file_transferred(callback, job_iface(job), file_iface(file), &plain);
                }
                /* Remembered while it stays registered: asking again costs a
                 * round trip per file, since COM keeps no record of refusals. */
                EnterCriticalSection(&job->cs);
                if (plain && job->notify_iface == callback) job->notify_iface_plain = TRUE;
                LeaveCriticalSection(&job->cs);
                IUnknown_Release(callback);
            }
            else hr = S_OK;  /* nobody to tell any more */
            EnterCriticalSection(&job->cs);
            if (FAILED(hr) && !state_is_final(job->state))
            {
                WARN("FileTransferred of job %s failed: %#lx.\n", debugstr_guid(&job->id), hr);
                scheduler_schedule_notify(job, renotify_ms(job->retry_delay));
                break;
            }
        }
        memmove(job->file_notices, job->file_notices + 1, --job->file_notice_count * sizeof(*job->file_notices));
    }
    job->delivering_file_notices = FALSE;
    left = job->file_notice_count != 0;
    LeaveCriticalSection(&job->cs);
    return !left;
}

/* FileTransferred for a file just finished (Callback2 only): a download's
 * file, or an upload-reply job's reply, not an uploaded file (9.2).  Queued,
 * in the files' order, for a notification thread: a callback that takes its
 * time (checking the file, say) holds neither the transfer of the next file
 * nor the other jobs waiting for this one's turn.  With wait, delivered now,
 * on this thread: an upload-reply's reply, whose upload session stays open
 * until the callback had its say (SetValidationState(FALSE) fetches it again). */
static void notify_file_done(struct job *job, struct file *file, BOOL wait)
{
    struct file **grown;

    EnterCriticalSection(&job->cs);
    if (!file_notices_asked(job))
    {
        LeaveCriticalSection(&job->cs);
        return;
    }
    if (job->file_notice_count == job->file_notice_capacity)
    {
        ULONG capacity = max(8, job->file_notice_capacity * 2);
        if (!(grown = realloc(job->file_notices, capacity * sizeof(*grown))))
        {
            LeaveCriticalSection(&job->cs);
            return;
        }
        job->file_notices = grown;
        job->file_notice_capacity = capacity;
    }
    job->file_notices[job->file_notice_count++] = file;
    if (!wait) scheduler_notify(job);
    LeaveCriticalSection(&job->cs);
    if (!wait) return;
    /* The transfer holds no file during the call: a callback that cancels or
     * completes the job must not wait for it. */
    SetEvent(job->idle);
    /* A notification thread that is at the notices meanwhile delivers this one
     * too: wait for it to be out of the queue (or refused, or the job stopped). */
    while (!deliver_file_notices(job))
    {
        BOOL queued = FALSE;
        ULONG i;

        EnterCriticalSection(&job->cs);
        for (i = 0; i < job->file_notice_count; i++) if (job->file_notices[i] == file) queued = TRUE;
        queued = queued && job->delivering_file_notices && !job->stop && !state_is_final(job->state);
        LeaveCriticalSection(&job->cs);
        if (!queued) break;
        Sleep(10);
    }
    EnterCriticalSection(&job->cs);
    if (!job->stop) ResetEvent(job->idle);
    LeaveCriticalSection(&job->cs);
}

/* Pieces of a random-access file arrived: FileRangesTransferred (Callback3)
 * is due, no more often than the job's minimum interval. */
static void notify_piece_done(struct job *job, struct file *file)
{
    ULONGLONG now, due;

    EnterCriticalSection(&job->cs);
    if (has_notify_target(job) && (job->notify_flags & BG_NOTIFY_FILE_RANGES_TRANSFERRED) &&
        !(job->notify_flags & BG_NOTIFY_DISABLE) && !job->pending_ranges)
    {
        job->pending_ranges = TRUE;
        now = GetTickCount64();
        due = job->last_ranges_notice + job->min_notification_interval;
        if (due <= now) scheduler_notify(job);
        else scheduler_schedule_notify(job, (ULONG)(due - now));
    }
    LeaveCriticalSection(&job->cs);
}

/* Delivers FileRangesTransferred for each file with pieces since the last one;
 * on the notification thread, so that the worker holds no file meanwhile. */
static void deliver_ranges(struct job *job)
{
    IBackgroundCopyCallback3 *target = NULL;
    IUnknown *callback = NULL;
    struct file **files = NULL;
    BG_FILE_RANGE *ranges;
    ULONG i, count = 0;
    DWORD range_count;

    EnterCriticalSection(&job->cs);
    if (job->pending_ranges && has_notify_target(job) && !state_is_final(job->state) &&
        (files = malloc(job->file_count * sizeof(*files))))
    {
        memcpy(files, job->files, job->file_count * sizeof(*files));
        count = job->file_count;
        job_addref(job);  /* the files live as long as the job */
    }
    job->pending_ranges = FALSE;
    job->last_ranges_notice = GetTickCount64();
    LeaveCriticalSection(&job->cs);
    if (!files) return;
    if (!(callback = notify_target(job)))
    {
        job_release(job);
        free(files);
        return;
    }

    if (SUCCEEDED(IUnknown_QueryInterface(callback, &IID_IBackgroundCopyCallback3, (void **)&target)))
    {
        for (i = 0; i < count; i++)
        {
            if (!file_take_fresh_ranges(files[i], &range_count, &ranges)) continue;
            IBackgroundCopyCallback3_FileRangesTransferred(target, job_iface(job), file_iface(files[i]), range_count, ranges);
            CoTaskMemFree(ranges);
        }
        IBackgroundCopyCallback3_Release(target);
    }
    IUnknown_Release(callback);
    job_release(job);
    free(files);
}

/* BITS_JOB_PROPERTY_NOTIFICATION_CLSID: without a reachable callback object
 * BITS makes one of that class, and keeps it until it disconnects or
 * SetNotifyInterface replaces it (behavior.md 9.3).  Returns a reference to
 * the new object, or NULL. */
static IUnknown *activate_callback(struct job *job, IUnknown *unreachable)
{
    IUnknown *object = NULL;
    GUID clsid;
    HRESULT hr;

    /* Threads that find no reachable object at once make one between them. */
    AcquireSRWLockExclusive(&job->activation_lock);
    EnterCriticalSection(&job->cs);
    clsid = job->notification_clsid;
    if (job->notify_iface != unreachable)
    {
        /* Another thread made one meanwhile, or the application registered one. */
        if ((object = job->notify_iface)) IUnknown_AddRef(object);
        clsid = GUID_NULL;
    }
    LeaveCriticalSection(&job->cs);
    if (!IsEqualGUID(&clsid, &GUID_NULL))
    {
        if (FAILED(hr = CoCreateInstance(&clsid, NULL, CLSCTX_LOCAL_SERVER, &IID_IUnknown, (void **)&object)))
            WARN("cannot create the notification class %s: %#lx.\n", debugstr_guid(&clsid), hr);
        else
        {
            EnterCriticalSection(&job->cs);
            /* Unless the application registered another object meanwhile. */
            if (job->notify_iface == unreachable)
            {
                if (job->notify_iface) IUnknown_Release(job->notify_iface);
                job->notify_iface = object;
                job->notify_iface_plain = FALSE;
                IUnknown_AddRef(object);
            }
            LeaveCriticalSection(&job->cs);
        }
    }
    ReleaseSRWLockExclusive(&job->activation_lock);
    return object;
}

/* The wait before a notification is offered again: the retry delay, in ms. */
static ULONG renotify_ms(ULONG retry_delay)
{
    return min(retry_delay, 0x7fffffff / 1000) * 1000;
}

/* A notification program that exits with an error, leaving the job neither
 * completed nor cancelled, runs again after the minimum retry delay
 * (behavior.md 9.4). */
struct command_watch
{
    struct job *job;
    enum notify_event event;
    HANDLE process;
    TP_WAIT *wait;
};

static void CALLBACK command_exited(TP_CALLBACK_INSTANCE *instance, void *context, TP_WAIT *wait, TP_WAIT_RESULT result)
{
    struct command_watch *watch = context;
    struct job *job = watch->job;
    DWORD code = 0;

    GetExitCodeProcess(watch->process, &code);
    TRACE("job %s: the notification program exited with %lu.\n", debugstr_guid(&job->id), code);
    EnterCriticalSection(&job->cs);
    /* Still in the state it was told about: neither completed nor cancelled nor moved on. */
    if (code && job->state == (watch->event == NOTIFY_JOB_TRANSFERRED ? BG_JOB_STATE_TRANSFERRED : BG_JOB_STATE_ERROR))
    {
        if (watch->event == NOTIFY_JOB_TRANSFERRED) job->pending_transferred = TRUE;
        else job->pending_error = TRUE;
        scheduler_schedule_notify(job, renotify_ms(job->retry_delay));
    }
    LeaveCriticalSection(&job->cs);
    CloseHandle(watch->process);
    job_release(job);
    free(watch);
    CloseThreadpoolWait(wait);
}

static void watch_command_line(struct job *job, enum notify_event event, HANDLE process)
{
    struct command_watch *watch;

    if (!(watch = calloc(1, sizeof(*watch))) ||
        !(watch->wait = CreateThreadpoolWait(command_exited, watch, NULL)))
    {
        free(watch);
        CloseHandle(process);
        return;
    }
    watch->job = job;
    watch->event = event;
    watch->process = process;
    job_addref(job);
    SetThreadpoolWait(watch->wait, process, NULL);
}

/* Delivers JobTransferred or JobError if the job is still in that state and the
 * application has not had it yet: to the callback object, else (or if it
 * fails) to the command line; if nothing takes it, again after the retry delay. */
static void deliver_notifications(struct job *job)
{
    WCHAR *program = NULL, *parameters = NULL;
    HANDLE process = NULL;
    IBackgroundCopyError *error = NULL;
    IBackgroundCopyCallback *target;
    IUnknown *callback = NULL;
    enum notify_event event;
    BOOL modification;
    ULONG flag, delay;
    HRESULT hr;

    deliver_ranges(job);
    EnterCriticalSection(&job->cs);
    /* A modification notice first: it says what happened before the final event. */
    modification = job->pending_modification && has_notify_target(job) && !state_is_final(job->state);
    job->pending_modification = FALSE;
    if (modification) job->last_modification = GetTickCount64();
    LeaveCriticalSection(&job->cs);
    if (modification && (callback = notify_target(job)))
    {
        if (SUCCEEDED(IUnknown_QueryInterface(callback, &IID_IBackgroundCopyCallback, (void **)&target)))
        {
            IBackgroundCopyCallback_JobModification(target, job_iface(job), 0);
            IBackgroundCopyCallback_Release(target);
        }
        IUnknown_Release(callback);
        callback = NULL;
    }

    /* FileTransferred comes first (9.2): the job's event waits while one is refused. */
    if (!deliver_file_notices(job)) return;

    EnterCriticalSection(&job->cs);
    if (job->state == BG_JOB_STATE_TRANSFERRED && job->pending_transferred)
    {
        event = NOTIFY_JOB_TRANSFERRED;
        flag = BG_NOTIFY_JOB_TRANSFERRED;
    }
    else if (job->state == BG_JOB_STATE_ERROR && job->pending_error)
    {
        event = NOTIFY_JOB_ERROR;
        flag = BG_NOTIFY_JOB_ERROR;
    }
    else flag = 0;
    if (!flag || (job->notify_flags & BG_NOTIFY_DISABLE) || !(job->notify_flags & flag) ||
        (!job->notify_iface && !notify_program_to_run(job) &&
         IsEqualGUID(&job->notification_clsid, &GUID_NULL)))
    {
        /* Nothing to say, or nobody to say it to yet: registering later delivers it. */
        LeaveCriticalSection(&job->cs);
        return;
    }
    if ((callback = job->notify_iface)) IUnknown_AddRef(callback);
    if ((program = strdupW(notify_program_to_run(job)))) parameters = strdupW(job->notify_parameters);
    delay = job->retry_delay;
    LeaveCriticalSection(&job->cs);

    if (event == NOTIFY_JOB_ERROR) get_error(job, &error);
    if (!callback) callback = activate_callback(job, NULL);
    hr = callback ? notify_callback(callback, event, job_iface(job), error) : E_POINTER;
    if (callback && notify_is_disconnected(hr))
    {
        IUnknown *fresh = activate_callback(job, callback);

        if (fresh)
        {
            IUnknown_Release(callback);
            callback = fresh;
            hr = notify_callback(callback, event, job_iface(job), error);
        }
    }
    if (FAILED(hr) && callback)
        WARN("%s of job %s failed: %#lx.\n", event == NOTIFY_JOB_TRANSFERRED ? "JobTransferred" : "JobError",
             debugstr_guid(&job->id), hr);
    if (FAILED(hr) && program) hr = notify_command_line(program, parameters, &process);

    EnterCriticalSection(&job->cs);
    if (SUCCEEDED(hr))
    {
        if (event == NOTIFY_JOB_TRANSFERRED) job->pending_transferred = FALSE;
        else job->pending_error = FALSE;
    }
    else if (!state_is_final(job->state)) scheduler_schedule_notify(job, renotify_ms(delay));
    LeaveCriticalSection(&job->cs);
    /* Watched only now, so that its verdict comes after the event was marked delivered. */
    if (process) watch_command_line(job, event, process);

    if (error) IBackgroundCopyError_Release(error);
    if (callback) IUnknown_Release(callback);
    free(program);
    free(parameters);
}

/* One notification thread at a time calls a job's client (a transfer may
 * still tell of a file it finished): another that finds it busy leaves the
 * new notices to it.  A callback that blocks then holds one
 * notification thread, not every one the job's progress would send in. */
void job_deliver_notifications(struct job *job)
{
    EnterCriticalSection(&job->cs);
    if (job->delivering_notifications)
    {
        job->deliver_again = TRUE;
        LeaveCriticalSection(&job->cs);
        return;
    }
    job->delivering_notifications = TRUE;
    do
    {
        job->deliver_again = FALSE;
        LeaveCriticalSection(&job->cs);
        deliver_notifications(job);
        EnterCriticalSection(&job->cs);
    } while (job->deliver_again && !scheduler_stopping());
    job->delivering_notifications = FALSE;
    LeaveCriticalSection(&job->cs);
}

/* A registration after the event still delivers it; the caller holds the job lock. */
static void notify_if_pending(struct job *job)
{
    if (job->pending_transferred || job->pending_error || job->file_notice_count) scheduler_notify(job);
}

/* The job's settings for this run, as private copies. */
static void snapshot_options(struct job *job, struct transfer_options *options)
{
    BG_AUTH_TARGET stored_target;
    unsigned int target, scheme;

    memset(options, 0, sizeof(*options));
    EnterCriticalSection(&job->cs);
    options->dynamic_content = job->dynamic_content;
    options->proxy_usage = job->proxy_usage;
    options->proxy_list = strdupW(job->proxy_list);
    options->proxy_bypass_list = strdupW(job->proxy_bypass_list);
    for (target = 0; target < AUTH_TARGET_COUNT; target++)
    {
        for (scheme = 0; scheme < AUTH_SCHEME_COUNT; scheme++)
        {
            const struct credentials *credentials = &job->credentials[target][scheme];
            struct transfer_credentials *copy = &options->credentials[options->credential_count];
            if (!credentials->set) continue;
            copy->target = target + 1;
            copy->scheme = scheme + 1;
            copy->user_name = strdupW(credentials->user_name);
            copy->password = strdupW(credentials->password);
            options->credential_count++;
        }
    }
    stored_target = job->stored_credentials_target;
    options->file_acl_flags = job->file_acl_flags;
    /* SeRestorePrivilege and SeSecurityPrivilege are an elevated administrator's. */
    options->owner_privileged = job->owner_admin && job->owner_elevated;
    LeaveCriticalSection(&job->cs);
    /* Where UseLMCompat says so, NTLM and Negotiate challenges the job has no
     * credentials for get the implicit ones; so do the proxy's, with the job's
     * USE_STORED_CREDENTIALS property (behavior.md 13: the owner's, or the
     * network helper token's, logon credentials). */
    if (policy_implicit_credentials() || stored_target == BG_AUTH_TARGET_PROXY)
    {
        static const BG_AUTH_SCHEME implicit_schemes[] = { BG_AUTH_SCHEME_NTLM, BG_AUTH_SCHEME_NEGOTIATE };
        ULONG set = options->credential_count, i;
        BOOL everywhere = policy_implicit_credentials();

        for (target = everywhere ? BG_AUTH_TARGET_SERVER : BG_AUTH_TARGET_PROXY; target <= BG_AUTH_TARGET_PROXY;
             target++)
        {
            for (scheme = 0; scheme < ARRAY_SIZE(implicit_schemes); scheme++)
            {
                for (i = 0; i < set; i++)
                    if (options->credentials[i].target == target &&
                        options->credentials[i].scheme == implicit_schemes[scheme])
                        break;
                if (i < set) continue;
                options->credentials[options->credential_count].target = target;
                options->credentials[options->credential_count].scheme = implicit_schemes[scheme];
                options->credentials[options->credential_count].implied = TRUE;
                options->credential_count++;
            }
        }
    }
    http_options_snapshot(job->http_options, options);
    /* Redirect policies are for downloads (behavior.md 3, 11.3): an upload,
     * and an upload's reply, follow redirects as by default. */
    if (job->type != BG_JOB_TYPE_DOWNLOAD)
        options->security_flags &= ~(BG_HTTP_REDIRECT_POLICY_MASK | BG_HTTP_REDIRECT_POLICY_ALLOW_HTTPS_TO_HTTP);
}

static void free_options(struct transfer_options *options)
{
    ULONG i;

    free(options->custom_headers);
    free(options->method);
    if (options->client_certificate) CertFreeCertificateContext(options->client_certificate);
    free(options->proxy_list);
    free(options->proxy_bypass_list);
    for (i = 0; i < options->credential_count; i++)
    {
        free(options->credentials[i].user_name);
        if (options->credentials[i].password)
        {
            SecureZeroMemory(options->credentials[i].password, wcslen(options->credentials[i].password) * sizeof(WCHAR));
            free(options->credentials[i].password);
        }
    }
}

/* Takes the job for this worker once no other worker runs it; FALSE if there is nothing to do. */
static BOOL begin_run(struct job *job)
{
    for (;;)
    {
        EnterCriticalSection(&job->cs);
        if (job->state != BG_JOB_STATE_QUEUED || job->completing)
        {
            LeaveCriticalSection(&job->cs);
            return FALSE;
        }
        if (!job->active) break;
        /* A suspended run is still ending (maybe in a reply's FileTransferred
         * callback, during which idle is set: not that event). */
        LeaveCriticalSection(&job->cs);
        WaitForSingleObject(job->run_done, IDLE_WAIT_MS);
    }
    job->state = BG_JOB_STATE_CONNECTING;
    job->active = TRUE;
    job->stop = FALSE;
    job->limit_error = S_OK;
    job->reschedule = FALSE;
    job->run_start = GetTickCount64();
    job->error.present = FALSE;
    ResetEvent(job->idle);
    ResetEvent(job->run_done);
    touch_by_service(job, TRUE);
    LeaveCriticalSection(&job->cs);
    return TRUE;
}

/* A transient failure that still made progress (a dropped connection) resumes at once, a few times. */
#define IMMEDIATE_RESUMES 3

/* Upload-reply: after the upload, the reply is downloaded from the URL the
 * server gave (into a temporary file next to the reply file, renamed at
 * Complete), then the upload session is closed: closing first would lose the
 * reply.  FALSE after recording a failure; a stopped download is no failure. */
static BOOL fetch_reply(struct job *job, const struct download_control *control)
{
    struct transfer_result result;
    WCHAR *url;
    struct file *reply;
    BOOL invalid;
    HRESULT hr;

    EnterCriticalSection(&job->cs);
    reply = job->reply;
    LeaveCriticalSection(&job->cs);
    if (!reply && !job->reply_empty)
    {
        url = file_reply_url(job->files[0], &invalid);
        if (invalid)
        {
            record_reply_failure(job, BG_E_INVALID_SERVER_RESPONSE, BG_ERROR_CONTEXT_REMOTE_FILE, FALSE);
            return FALSE;
        }
        EnterCriticalSection(&job->cs);
        /* None set: BITS makes one in the directory of the uploaded file. */
        make_reply_name(job);
        if (!url) job->reply_empty = TRUE;
        else if (job->reply_file_name && SUCCEEDED(hr = file_create(job, url, job->reply_file_name, FALSE, FALSE, &reply)))
            job->reply = reply;
        else reply = NULL;
        LeaveCriticalSection(&job->cs);
        if (url && !reply)
        {
            free(url);
            record_failure(job, NULL, E_OUTOFMEMORY, BG_ERROR_CONTEXT_LOCAL_FILE, TRUE);
            return FALSE;
        }
        free(url);
    }
    if (reply && !file_is_transferred(reply))
    {
        file_download(reply, control, &result);
        /* Stopped: the job goes back to the queue, or stays suspended, as a download would. */
        if (result.aborted) return TRUE;
        if (FAILED(result.code))
        {
            record_reply_failure(job, result.code, result.context, result.transient);
            return FALSE;
        }
        if (file_is_transferred(reply))
        {
            file_make_durable(reply);
            notify_file_done(job, reply, TRUE);
        }
    }
    if (!reply || file_is_transferred(reply)) file_close_upload_session(job->files[0], control);
    return TRUE;
}

/* An on-demand job has bytes asked for since its run passed their file.  Job lock held. */
static BOOL job_has_requests(struct job *job)
{
    ULONG i;

    for (i = 0; i < job->file_count; i++)
        if (file_has_requests(job->files[i])) return TRUE;
    return FALSE;
}

static BOOL run_goes_on(void *context)
{
    struct job *job = context;

    return !job->stop && !scheduler_stopping();
}

/* The job's server-certificate validation callback, asked about the file being transferred. */
struct certificate_check
{
    struct job *job;
    struct file *file;
};

static HRESULT check_server_certificate(void *context, const WCHAR *host, INTERNET_PORT port, const CERT_CONTEXT *cert)
{
    struct certificate_check *check = context;
    return http_options_check_server_certificate(check->job->http_options, check->file, host, port, cert);
}

/* The files after the one under way, whose requests may go to the server ahead
 * of their turn (pipelined).  They are still fetched one after the other. */
struct upcoming_files
{
    struct job *job;
    ULONG index;        /* of the file under way */
};

static WCHAR *upcoming_file(void *context, DWORD n)
{
    struct upcoming_files *upcoming = context;
    struct job *job = upcoming->job;
    WCHAR *name = NULL;
    ULONG index = upcoming->index + 1 + n;

    EnterCriticalSection(&job->cs);
    if (index < job->file_count && !job->stop) name = file_whole_fetch_name(job->files[index]);
    LeaveCriticalSection(&job->cs);
    return name;
}

static struct file *file_at(struct job *job, ULONG index, BOOL only_while_running)
{
    struct file *file = NULL;

    EnterCriticalSection(&job->cs);
    if (index < job->file_count && !(only_while_running && job->stop))
    {
        file = job->files[index];
        IBackgroundCopyFile_AddRef(file_iface(file));
    }
    LeaveCriticalSection(&job->cs);
    return file;
}

struct file *job_file_to_come(struct job *job, ULONG index)
{
    return file_at(job, index, TRUE);
}

struct file *job_file_at(struct job *job, ULONG index)
{
    return file_at(job, index, FALSE);
}

/* Before the first file of a run, the sizes of the files not started yet, so
 * that the job's BytesTotal is known early as on Windows (a HEAD per file).
 * A file alone needs none: its GET tells its size as soon as a HEAD would. */
static void learn_sizes(struct job *job, const struct download_control *control)
{
    const struct transfer_options *options = control->options;
    struct file **files = NULL;
    WCHAR **urls = NULL;
    UINT64 *sizes = NULL;
    DWORD i, count = 0, first;

    if (options->dynamic_content || (options->method && wcscmp(options->method, L"GET")) || control->on_demand) return;
    EnterCriticalSection(&job->cs);
    for (first = 0; first < job->file_count && file_is_transferred(job->files[first]); first++);
    if (first + 1 < job->file_count && (files = calloc(job->file_count - first, sizeof(*files))) &&
        (urls = calloc(job->file_count - first, sizeof(*urls))))
    {
        for (i = first; i < job->file_count; i++)
        {
            if (!(urls[count] = file_size_wanted(job->files[i]))) continue;
            files[count] = job->files[i];
            IBackgroundCopyFile_AddRef(file_iface(files[count]));
            count++;
        }
    }
    LeaveCriticalSection(&job->cs);

    if (count > 1 && (sizes = calloc(count, sizeof(*sizes))))
    {
        /* A certificate met now is asked about for the first file that wants it. */
        if (options->check_context) ((struct certificate_check *)options->check_context)->file = files[0];
        network_identity_begin(control);
        transfer_http_sizes(control->session, (const WCHAR **)urls, count, options, sizes, run_goes_on, job);
        network_identity_end(control);
        for (i = 0; i < count; i++)
            if (sizes[i] != BG_SIZE_UNKNOWN) file_take_size(files[i], sizes[i]);
    }
    for (i = 0; i < count; i++)
    {
        free(urls[i]);
        IBackgroundCopyFile_Release(file_iface(files[i]));
    }
    free(sizes);
    free(urls);
    free(files);
}

void job_run(struct job *job, void *session)
{
    struct download_control control = { session, NULL, job, NULL, NULL, on_download_progress };
    struct certificate_check check = { job };
    struct upcoming_files upcoming = { job };
    struct temp_ahead *ahead = NULL;
    struct transfer_options options;
    struct transfer_result result;
    BG_FILE_PROGRESS before, after;
    struct file *file;
    BOOL failed = FALSE, own_session, notify = FALSE, waiting = FALSE, end_sessions, many;
    ULONG index = 0, attempt;
    HANDLE helper;
    HRESULT limit;
    DWORD flags;

    if (!begin_run(job)) return;

    /* The helper token is not kept across a restart: a job whose flags need
     * one waits in ERROR until it gets one or the flags are cleared. */
    flags = token_options_get_helper(job->token_options, &helper);
    if (flags && !helper)
    {
        record_failure(job, NULL, BG_E_TOKEN_REQUIRED, BG_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER, FALSE);
        failed = TRUE;
    }
    if (!failed && job->priority != BG_JOB_PRIORITY_FOREGROUND)
    {
        ULONGLONG change_ms;
        ULONG rate = policy_background_rate(&change_ms);

        if (!rate)
        {
            block_by_policy(job, change_ms);
            failed = TRUE;
        }
        /* A quarter of a second's worth per read: the wait after each stays
         * short, and the server sees its connection read all along. */
        else if (rate != POLICY_NO_LIMIT) control.max_read = max(rate * 1000 / 8 / 4, 1024);
    }
    if (flags & BG_TOKEN_LOCAL_FILE) control.local_token = helper;
    if (flags & BG_TOKEN_NETWORK) control.network_token = helper;


    snapshot_options(job, &options);
    /* The certificate's private key is opened as the owner, the connection
     * as the helper: with BG_TOKEN_NETWORK a job of any owner but LocalSystem
     * fails where a TLS server would take its certificate (token-options.md 3.2). */
    if (control.network_token && options.client_certificate && !job_owned_by(job, L"S-1-5-18"))
        options.client_certificate_error = HRESULT_FROM_WIN32(ERROR_WINHTTP_CLIENT_CERT_NO_ACCESS_PRIVATE_KEY);
    if (options.validate_server_certificate)
    {
        options.check_server_certificate = check_server_certificate;
        options.check_context = &check;
    }
    control.options = &options;
    control.on_demand = job->on_demand && job_random_access_allowed(job);
    control.on_piece = notify_piece_done;
    if (job->type == BG_JOB_TYPE_DOWNLOAD && !control.on_demand)
    {
        control.upcoming = upcoming_file;
        control.upcoming_context = &upcoming;
    }
    control.session = transfer_http_session_for(session, &options, &own_session);
    if (!failed && job->type == BG_JOB_TYPE_DOWNLOAD) learn_sizes(job, &control);
    /* Files made ahead while others transfer; the helper identity makes its own. */
    if (!failed && job->type == BG_JOB_TYPE_DOWNLOAD && !control.on_demand && !control.local_token)
    {
        EnterCriticalSection(&job->cs);
        many = job->file_count > 1;
        LeaveCriticalSection(&job->cs);
        if (many) ahead = temp_ahead_start(job);
    }

    while (!failed)
    {
        EnterCriticalSection(&job->cs);
        file = NULL;
        while (index < job->file_count && file_is_transferred(job->files[index])) index++;
        if (index < job->file_count && !job->stop && !scheduler_stopping()) file = job->files[index];
        LeaveCriticalSection(&job->cs);
        if (!file) break;
        check.file = file;
        upcoming.index = index;
        temp_ahead_reach(ahead, index);

        for (attempt = 0;; attempt++)
        {
            file_get_progress(file, &before);
            if (job->type == BG_JOB_TYPE_DOWNLOAD) file_download(file, &control, &result);
            else file_upload(file, &control, &result);
            if (SUCCEEDED(result.code) || result.aborted || !result.transient || attempt == IMMEDIATE_RESUMES) break;
            file_get_progress(file, &after);
            if (after.BytesTransferred <= before.BytesTransferred) break;
            TRACE("resuming %s at once after %#lx.\n", debugstr_guid(&job->id), result.code);
        }
        if (result.aborted && job->limit_error == BG_E_BLOCKED_BY_POLICY)
        {
            block_by_policy(job, job->blocked_ms);
            failed = TRUE;
        }
        else if (result.aborted && FAILED(job->limit_error))
        {
            /* Past a limit: the job cannot go on by itself. */
            record_failure(job, file, job->limit_error, job->limit_error == BG_E_MAXDOWNLOAD_TIMEOUT ?
                           BG_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER : BG_ERROR_CONTEXT_REMOTE_FILE, FALSE);
            failed = TRUE;
        }
        if (result.aborted) break;
        if (SUCCEEDED(result.code) || result.transient)
        {
            /* The last block may have arrived with the progress report that found
             * the job past its limits: the limit still wins.  So it does over a
             * failure worth retrying: time spent connecting counts too (behavior.md
             * 5.1), and a retry would only be past it further. */
            EnterCriticalSection(&job->cs);
            limit = check_limits(job);
            LeaveCriticalSection(&job->cs);
            if (FAILED(limit))
            {
                record_failure(job, file, limit, limit == BG_E_MAXDOWNLOAD_TIMEOUT ?
                               BG_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER : BG_ERROR_CONTEXT_REMOTE_FILE, FALSE);
                failed = TRUE;
                break;
            }
        }
        if (FAILED(result.code))
        {
            record_failure(job, file, result.code, result.context, result.transient);
            failed = TRUE;
        }
        else if (file_is_transferred(file))
        {
            if (job->type == BG_JOB_TYPE_DOWNLOAD) notify_file_done(job, file, FALSE);
        }
        else
        {
            /* On demand: the bytes asked for are in; the rest waits for requests. */
            waiting = TRUE;
            index++;
        }
    }

    temp_ahead_stop(ahead);

    if (!failed && job->type == BG_JOB_TYPE_UPLOAD_REPLY && !job->stop && job->file_count &&
        file_is_transferred(job->files[0]))
        failed = !fetch_reply(job, &control);

    EnterCriticalSection(&job->cs);
    if (!failed && !job->stop && (job->state == BG_JOB_STATE_CONNECTING || job->state == BG_JOB_STATE_TRANSFERRING))
    {
        if (all_files_transferred(job))
        {
            job->state = BG_JOB_STATE_TRANSFERRED;
            GetSystemTimeAsFileTime(&job->times.TransferCompletionTime);
            job->pending_transferred = TRUE;
            notify = TRUE;
            touch_quietly(job);
        }
        else if (waiting && !job_has_requests(job))
        {
            /* Every range asked for is there, the file is not (File6::RequestFileRanges). */
            job->state = BG_JOB_STATE_SUSPENDED;
            touch_by_service(job, TRUE);
        }
        else
        {
            /* Preempted, stopping service, or files added meanwhile: back to the queue. */
            job->state = BG_JOB_STATE_QUEUED;
            touch_by_service(job, TRUE);
            if (!scheduler_stopping()) scheduler_enqueue(job);
        }
    }
    job->active_ms += GetTickCount64() - job->run_start;
    job->active = FALSE;
    SetEvent(job->idle);
    SetEvent(job->run_done);
    end_sessions = job->end_sessions_after_run;
    job->end_sessions_after_run = FALSE;
    /* Only now: a callback that calls Complete need not wait for this run. */
    if (notify) scheduler_notify(job);
    LeaveCriticalSection(&job->cs);
    /* Cancelled while this run went on (cancel). */
    if (end_sessions) cancel_upload_sessions(job);
    if (own_session) transfer_http_close_session(control.session);
    free_options(&options);
    if (helper) CloseHandle(helper);
}

/* The Group Policy changed: a job the bandwidth policy held back looks
 * again now, not at its next retry. */
void job_policy_changed(struct job *job)
{
    BOOL blocked;

    EnterCriticalSection(&job->cs);
    blocked = job->state == BG_JOB_STATE_TRANSIENT_ERROR && job->error.present &&
              job->error.code == BG_E_BLOCKED_BY_POLICY;
    LeaveCriticalSection(&job->cs);
    if (blocked) job_retry_due(job);
}

void job_retry_due(struct job *job)
{
    EnterCriticalSection(&job->cs);
    if (job->state == BG_JOB_STATE_TRANSIENT_ERROR && !job->completing)
    {
        if (no_progress_expired(job)) give_up(job);
        else
        {
            job->state = BG_JOB_STATE_QUEUED;
            touch_by_service(job, TRUE);
            scheduler_enqueue(job);
        }
    }
    LeaveCriticalSection(&job->cs);
}

static const IBackgroundCopyJob5Vtbl job_vtbl =
{
    job_QueryInterface,
    job_AddRef,
    job_Release,
    job_AddFileSet,
    job_AddFile,
    job_EnumFiles,
    job_Suspend,
    job_Resume,
    job_Cancel,
    job_Complete,
    job_GetId,
    job_GetType,
    job_GetProgress,
    job_GetTimes,
    job_GetState,
    job_GetError,
    job_GetOwner,
    job_SetDisplayName,
    job_GetDisplayName,
    job_SetDescription,
    job_GetDescription,
    job_SetPriority,
    job_GetPriority,
    job_SetNotifyFlags,
    job_GetNotifyFlags,
    job_SetNotifyInterface,
    job_GetNotifyInterface,
    job_SetMinimumRetryDelay,
    job_GetMinimumRetryDelay,
    job_SetNoProgressTimeout,
    job_GetNoProgressTimeout,
    job_GetErrorCount,
    job_SetProxySettings,
    job_GetProxySettings,
    job_TakeOwnership,
    job_SetNotifyCmdLine,
    job_GetNotifyCmdLine,
    job_GetReplyProgress,
    job_GetReplyData,
    job_SetReplyFileName,
    job_GetReplyFileName,
    job_SetCredentials,
    job_RemoveCredentials,
    job_ReplaceRemotePrefix,
    job_AddFileWithRanges,
    job_SetFileACLFlags,
    job_GetFileACLFlags,
    job_SetPeerCachingFlags,
    job_GetPeerCachingFlags,
    job_GetOwnerIntegrityLevel,
    job_GetOwnerElevationState,
    job_SetMaximumDownloadTime,
    job_GetMaximumDownloadTime,
    job_SetProperty,
    job_GetProperty,
};

/* A job with the defaults of a new one, owned by nobody yet. */
static HRESULT job_alloc(BG_JOB_TYPE type, struct job **out)
{
    struct job *job;
    HRESULT hr;

    if (!(job = calloc(1, sizeof(*job)))) return E_OUTOFMEMORY;
    job->IBackgroundCopyJob5_iface.lpVtbl = &job_vtbl;
    job->refcount = 1;
    InitializeCriticalSection(&job->cs);

    if (!(job->idle = CreateEventW(NULL, TRUE, TRUE, NULL)) || !(job->run_done = CreateEventW(NULL, TRUE, TRUE, NULL)))
    {
        hr = HRESULT_FROM_WIN32(GetLastError());
        job_destroy(job);
        return hr;
    }
    job->type = type;
    job->state = BG_JOB_STATE_SUSPENDED;
    job->priority = BG_JOB_PRIORITY_NORMAL;
    job->notify_flags = BG_NOTIFY_JOB_TRANSFERRED | BG_NOTIFY_JOB_ERROR;
    job->retry_delay = DEFAULT_RETRY_DELAY;
    job->no_progress_timeout = DEFAULT_NO_PROGRESS;
    job->max_download_time = DEFAULT_MAX_DOWNLOAD_TIME;
    job->proxy_usage = BG_JOB_PROXY_USAGE_PRECONFIG;
    /* Windows 10's default cost policy: no surcharge, not near a data cap. */
    job->cost_flags = BITS_JOB_TRANSFER_POLICY_STANDARD;
    job->max_download_size = ~(UINT64)0;
    job->min_notification_interval = DEFAULT_NOTIFICATION_INTERVAL;
    GetSystemTimeAsFileTime(&job->times.CreationTime);
    job->times.ModificationTime = job->activity_time = job->times.CreationTime;

    if (!(job->http_options = http_options_create((IUnknown *)&job->IBackgroundCopyJob5_iface, job)) ||
        !(job->token_options = token_options_create((IUnknown *)&job->IBackgroundCopyJob5_iface, job)))
    {
        job_destroy(job);
        return E_OUTOFMEMORY;
    }
    *out = job;
    return S_OK;
}

HRESULT job_create(const WCHAR *display_name, BG_JOB_TYPE type, struct job **out)
{
    struct caller caller;
    struct job *job;
    HRESULT hr;

    if (FAILED(hr = job_alloc(type, &job))) return hr;
    if (FAILED(hr = CoCreateGuid(&job->id))) goto failed;

    /* The owner is whoever creates the job. */
    if (FAILED(hr = identity_get_caller(&caller))) goto failed;
    job->owner = caller.sid;
    caller.sid = NULL;
    job->owner_integrity = caller.integrity;
    job->owner_elevated = caller.elevated;
    job->owner_admin = caller.admin;
    identity_free_caller(&caller);

    /* The MaxDownloadTime policy is the default that SetMaximumDownloadTime overrides. */
    job->max_download_time = policy_get(POLICY_MAX_DOWNLOAD_SECONDS);
    if (!(job->display_name = strdupW(display_name)))
    {
        hr = E_OUTOFMEMORY;
        goto failed;
    }

    TRACE("created job %s.\n", debugstr_guid(&job->id));
    job_save_later(job);
    *out = job;
    return S_OK;

failed:
    job_destroy(job);
    return hr;
}

/* ---- persistence (store.h has the record format) ---- */

enum job_tag
{
    TAG_TYPE = 1,
    TAG_OWNER,
    TAG_OWNER_INTEGRITY,
    TAG_OWNER_ELEVATED,
    TAG_DISPLAY_NAME,
    TAG_DESCRIPTION,
    TAG_STATE,
    TAG_PRIORITY,
    TAG_CREATION_TIME,
    TAG_MODIFICATION_TIME,
    TAG_COMPLETION_TIME,
    TAG_ERROR_COUNT,
    TAG_NOTIFY_FLAGS,
    TAG_NOTIFY_PROGRAM,
    TAG_NOTIFY_PARAMETERS,
    TAG_RETRY_DELAY,
    TAG_NO_PROGRESS_TIMEOUT,
    TAG_MAX_DOWNLOAD_TIME,
    TAG_FILE_ACL_FLAGS,
    TAG_PEER_CACHING_FLAGS,
    TAG_PROXY_USAGE,
    TAG_PROXY_LIST,
    TAG_PROXY_BYPASS_LIST,
    TAG_REPLY_FILE_NAME,
    TAG_CREDENTIALS,        /* a group per credential that is set */
    TAG_COST_FLAGS,
    TAG_NOTIFICATION_CLSID,
    TAG_DYNAMIC_CONTENT,
    TAG_HIGH_PERFORMANCE,
    TAG_MAX_DOWNLOAD_SIZE,
    TAG_STORED_CREDENTIALS,
    TAG_MIN_NOTIFICATION_INTERVAL,
    TAG_ON_DEMAND,
    TAG_RESUMED,
    TAG_CUSTOM_METHOD,
    TAG_ACTIVE_MS,
    TAG_ERROR,              /* a group while the job has an error */
    TAG_PENDING,            /* notifications not delivered yet */
    TAG_FILE,               /* a group per file, in order */
    TAG_NO_PROGRESS_MS,     /* how long the job has failed without progress */
    TAG_REPLY,              /* upload-reply: a group for the reply, once there is one */
    TAG_REPLY_EMPTY,        /* upload-reply: the server sent no reply */
    TAG_OWNER_ADMIN,
    TAG_ACTIVITY_TIME,
};

enum credentials_tag
{
    TAG_CREDENTIALS_TARGET = 1,
    TAG_CREDENTIALS_SCHEME,
    TAG_CREDENTIALS_USER,
    TAG_CREDENTIALS_PASSWORD,
};

enum error_tag
{
    TAG_ERROR_CODE = 1,
    TAG_ERROR_CONTEXT,
    TAG_ERROR_FILE,         /* index of the file, if the error has one */
    TAG_ERROR_REPLY,        /* the error is the reply's (upload-reply) */
    TAG_ERROR_FILE_PROTOCOL,/* the file was a local or UNC one then */
};

#define PENDING_TRANSFERRED 1
#define PENDING_ERROR       2

void job_save_later(struct job *job)
{
    if (!InterlockedExchange(&job->save_pending, 1)) store_save_later(job);
}

static UINT64 filetime_value(const FILETIME *time)
{
    return ((UINT64)time->dwHighDateTime << 32) | time->dwLowDateTime;
}

static void set_filetime(FILETIME *time, UINT64 value)
{
    time->dwLowDateTime = (DWORD)value;
    time->dwHighDateTime = value >> 32;
}

void job_record_kept(struct job *job)
{
    EnterCriticalSection(&job->cs);
    job->stored = TRUE;
    LeaveCriticalSection(&job->cs);
}

/* Writes the job's record.  FALSE for a job that is gone but has a record on
 * disk; nothing at all for one that went before it was ever written. */
BOOL job_save(struct job *job, struct store_writer *writer)
{
    unsigned int target, scheme;
    SIZE_T group;
    DWORD pending = 0;
    ULONG i;

    /* Changes from here on queue the job again. */
    InterlockedExchange(&job->save_pending, 0);

    EnterCriticalSection(&job->cs);
    if (state_is_final(job->state))
    {
        BOOL stored = job->stored;
        job->stored = FALSE;
        LeaveCriticalSection(&job->cs);
        return !stored;
    }
    job->stored = TRUE;
    store_put_u32(writer, TAG_TYPE, job->type);
    store_put_string(writer, TAG_OWNER, job->owner);
    store_put_u32(writer, TAG_OWNER_INTEGRITY, job->owner_integrity);
    store_put_u32(writer, TAG_OWNER_ELEVATED, job->owner_elevated);
    store_put_u32(writer, TAG_OWNER_ADMIN, job->owner_admin);
    store_put_string(writer, TAG_DISPLAY_NAME, job->display_name);
    store_put_string(writer, TAG_DESCRIPTION, job->description);
    store_put_u32(writer, TAG_STATE, job->state);
    store_put_u32(writer, TAG_PRIORITY, job->priority);
    store_put_u64(writer, TAG_CREATION_TIME, filetime_value(&job->times.CreationTime));
    store_put_u64(writer, TAG_MODIFICATION_TIME, filetime_value(&job->times.ModificationTime));
    store_put_u64(writer, TAG_ACTIVITY_TIME, filetime_value(&job->activity_time));
    store_put_u64(writer, TAG_COMPLETION_TIME, filetime_value(&job->times.TransferCompletionTime));
    store_put_u32(writer, TAG_ERROR_COUNT, job->error_count);
    store_put_u32(writer, TAG_NOTIFY_FLAGS, job->notify_flags);
    store_put_string(writer, TAG_NOTIFY_PROGRAM, job->notify_program);
    store_put_string(writer, TAG_NOTIFY_PARAMETERS, job->notify_parameters);
    store_put_u32(writer, TAG_RETRY_DELAY, job->retry_delay);
    store_put_u32(writer, TAG_NO_PROGRESS_TIMEOUT, job->no_progress_timeout);
    store_put_u32(writer, TAG_MAX_DOWNLOAD_TIME, job->max_download_time);
    store_put_u32(writer, TAG_FILE_ACL_FLAGS, job->file_acl_flags);
    store_put_u32(writer, TAG_PEER_CACHING_FLAGS, job->peer_caching_flags);
    store_put_u32(writer, TAG_PROXY_USAGE, job->proxy_usage);
    store_put_string(writer, TAG_PROXY_LIST, job->proxy_list);
    store_put_string(writer, TAG_PROXY_BYPASS_LIST, job->proxy_bypass_list);
    store_put_string(writer, TAG_REPLY_FILE_NAME, job->reply_file_name);
    for (target = 0; target < AUTH_TARGET_COUNT; target++)
    {
        for (scheme = 0; scheme < AUTH_SCHEME_COUNT; scheme++)
        {
            const struct credentials *credentials = &job->credentials[target][scheme];
            if (!credentials->set) continue;
            group = store_begin_group(writer, TAG_CREDENTIALS);
            store_put_u32(writer, TAG_CREDENTIALS_TARGET, target + 1);
            store_put_u32(writer, TAG_CREDENTIALS_SCHEME, scheme + 1);
            /* Without its name or password an entry would load as the
             * owner's logon credentials: it is left out instead. */
            if (store_put_secret(writer, TAG_CREDENTIALS_USER, credentials->user_name) &&
                store_put_secret(writer, TAG_CREDENTIALS_PASSWORD, credentials->password))
                store_end_group(writer, group);
            else store_drop_group(writer, group);
        }
    }
    store_put_u32(writer, TAG_COST_FLAGS, job->cost_flags);
    store_put_blob(writer, TAG_NOTIFICATION_CLSID, &job->notification_clsid, sizeof(GUID));
    store_put_u32(writer, TAG_DYNAMIC_CONTENT, job->dynamic_content);
    store_put_u32(writer, TAG_HIGH_PERFORMANCE, job->high_performance);
    store_put_u64(writer, TAG_MAX_DOWNLOAD_SIZE, job->max_download_size);
    store_put_u32(writer, TAG_STORED_CREDENTIALS, job->stored_credentials_target);
    store_put_u32(writer, TAG_MIN_NOTIFICATION_INTERVAL, job->min_notification_interval);
    store_put_u32(writer, TAG_ON_DEMAND, job->on_demand);
    store_put_u32(writer, TAG_RESUMED, job->resumed);
    store_put_u32(writer, TAG_CUSTOM_METHOD, job->custom_method);
    store_put_u64(writer, TAG_ACTIVE_MS, job->active_ms + (job->active ? GetTickCount64() - job->run_start : 0));
    if (job->first_transient_error)
        store_put_u64(writer, TAG_NO_PROGRESS_MS, GetTickCount64() - job->first_transient_error);
    if (job->error.present)
    {
        group = store_begin_group(writer, TAG_ERROR);
        store_put_u32(writer, TAG_ERROR_CODE, job->error.code);
        store_put_u32(writer, TAG_ERROR_CONTEXT, job->error.context);
        for (i = 0; i < job->file_count; i++)
            if (job->files[i] == job->error.file) store_put_u32(writer, TAG_ERROR_FILE, i);
        if (job->error.reply) store_put_u32(writer, TAG_ERROR_REPLY, TRUE);
        store_put_u32(writer, TAG_ERROR_FILE_PROTOCOL, job->error.file_protocol);
        store_end_group(writer, group);
    }
    if (job->pending_transferred) pending |= PENDING_TRANSFERRED;
    if (job->pending_error) pending |= PENDING_ERROR;
    store_put_u32(writer, TAG_PENDING, pending);
    for (i = 0; i < job->file_count; i++)
    {
        group = store_begin_group(writer, TAG_FILE);
        file_save(job->files[i], writer);
        store_end_group(writer, group);
    }
    if (job->reply)
    {
        group = store_begin_group(writer, TAG_REPLY);
        file_save(job->reply, writer);
        store_end_group(writer, group);
    }
    if (job->reply_empty) store_put_u32(writer, TAG_REPLY_EMPTY, TRUE);
    http_options_save(job->http_options, writer);
    token_options_save(job->token_options, writer);
    LeaveCriticalSection(&job->cs);
    return TRUE;
}

static HRESULT load_credentials(struct job *job, const struct store_field *group)
{
    struct store_reader reader;
    struct store_field field;
    DWORD target = 0, scheme = 0;
    WCHAR *user = NULL, *password = NULL;
    BOOL broken = FALSE, ok = TRUE, lost = FALSE;
    struct credentials *credentials;

    store_group_reader(group, &reader);
    while (ok && store_next_field(&reader, &field, &broken))
    {
        switch (field.tag)
        {
        case TAG_CREDENTIALS_TARGET: ok = store_get_u32(&field, &target); break;
        case TAG_CREDENTIALS_SCHEME: ok = store_get_u32(&field, &scheme); break;
        case TAG_CREDENTIALS_USER: lost |= !store_get_secret(&field, &user); break;
        case TAG_CREDENTIALS_PASSWORD: lost |= !store_get_secret(&field, &password); break;
        }
    }
    if (!ok || broken || target < 1 || target > AUTH_TARGET_COUNT || scheme < 1 || scheme > AUTH_SCHEME_COUNT)
    {
        free(user);
        free(password);
        return E_FAIL;
    }
    if (lost)
    {
        /* A secret this machine cannot decrypt: the entry goes, as if never
         * set, and the server asks again.  Kept without it, a NULL name would
         * mean the owner's logon credentials. */
        WARN("job %s: dropping credentials %lu/%lu that cannot be decrypted.\n", debugstr_guid(&job->id), target,
             scheme);
        free(user);
        free(password);
        return S_OK;
    }
    credentials = &job->credentials[target - 1][scheme - 1];
    clear_credentials(credentials);
    credentials->set = TRUE;
    credentials->user_name = user;
    credentials->password = password;
    return S_OK;
}

static HRESULT load_file(struct job *job, const struct store_field *group)
{
    struct store_reader reader;
    struct file *file;
    HRESULT hr;

    if (FAILED(hr = grow_files(job, 1))) return hr;
    store_group_reader(group, &reader);
    /* Dynamic content starts again after any interruption (behavior.md 10). */
    if (FAILED(hr = file_load(job, &reader, !job->dynamic_content, job->type != BG_JOB_TYPE_DOWNLOAD, &file))) return hr;
    job->files[job->file_count++] = file;
    return S_OK;
}

/* Upload-reply: the reply fetched (or being fetched), a download of its own. */
static HRESULT load_reply(struct job *job, const struct store_field *group)
{
    struct store_reader reader;
    struct file *file;
    HRESULT hr;

    store_group_reader(group, &reader);
    if (FAILED(hr = file_load(job, &reader, TRUE, FALSE, &file))) return hr;
    if (job->reply) file_destroy(job->reply);
    job->reply = file;
    return S_OK;
}

static HRESULT load_error(struct job *job, const struct store_field *group, DWORD *file_index)
{
    struct store_reader reader;
    struct store_field field;
    BOOL broken = FALSE, ok = TRUE;
    DWORD value;

    job->error.file_protocol = -1;  /* until the record says */
    store_group_reader(group, &reader);
    while (ok && store_next_field(&reader, &field, &broken))
    {
        switch (field.tag)
        {
        case TAG_ERROR_CODE: if ((ok = store_get_u32(&field, &value))) job->error.code = value; break;
        case TAG_ERROR_CONTEXT: if ((ok = store_get_u32(&field, &value))) job->error.context = value; break;
        case TAG_ERROR_FILE: ok = store_get_u32(&field, file_index); break;
        case TAG_ERROR_REPLY: if ((ok = store_get_u32(&field, &value))) job->error.reply = !!value; break;
        case TAG_ERROR_FILE_PROTOCOL: if ((ok = store_get_u32(&field, &value))) job->error.file_protocol = !!value; break;
        }
    }
    if (!ok || broken) return E_FAIL;
    job->error.present = TRUE;
    return S_OK;
}

/* Reads a job's record.  Files are checked against the disk: a transfer
 * resumes from the bytes really in its temporary file. */
HRESULT job_load(struct store_reader *reader, const GUID *id, struct job **out)
{
    struct store_field field;
    DWORD value, error_file = ~0u, pending = 0;
    UINT64 value64;
    BOOL broken = FALSE, ok = TRUE;
    struct job *job;
    HRESULT hr = S_OK;

    if (FAILED(hr = job_alloc(BG_JOB_TYPE_DOWNLOAD, &job))) return hr;
    job->id = *id;

    /* Files come after the job's own fields, which decide how they load. */
    while (ok && SUCCEEDED(hr) && store_next_field(reader, &field, &broken))
    {
        switch (field.tag)
        {
#define U32(tag, member) case tag: if ((ok = store_get_u32(&field, &value))) job->member = value; break;
#define U64(tag, member) case tag: if ((ok = store_get_u64(&field, &value64))) job->member = value64; break;
#define STR(tag, member) case tag: ok = store_get_string(&field, &job->member); break;
#define TIME(tag, member) case tag: if ((ok = store_get_u64(&field, &value64))) set_filetime(&job->times.member, value64); break;
        U32(TAG_TYPE, type)
        STR(TAG_OWNER, owner)
        U32(TAG_OWNER_INTEGRITY, owner_integrity)
        U32(TAG_OWNER_ELEVATED, owner_elevated)
        U32(TAG_OWNER_ADMIN, owner_admin)
        STR(TAG_DISPLAY_NAME, display_name)
        STR(TAG_DESCRIPTION, description)
        U32(TAG_STATE, state)
        U32(TAG_PRIORITY, priority)
        TIME(TAG_CREATION_TIME, CreationTime)
        TIME(TAG_MODIFICATION_TIME, ModificationTime)
        TIME(TAG_COMPLETION_TIME, TransferCompletionTime)
        U32(TAG_ERROR_COUNT, error_count)
        U32(TAG_NOTIFY_FLAGS, notify_flags)
        STR(TAG_NOTIFY_PROGRAM, notify_program)
        STR(TAG_NOTIFY_PARAMETERS, notify_parameters)
        U32(TAG_RETRY_DELAY, retry_delay)
        U32(TAG_NO_PROGRESS_TIMEOUT, no_progress_timeout)
        U32(TAG_MAX_DOWNLOAD_TIME, max_download_time)
        U32(TAG_FILE_ACL_FLAGS, file_acl_flags)
        U32(TAG_PEER_CACHING_FLAGS, peer_caching_flags)
        U32(TAG_PROXY_USAGE, proxy_usage)
        STR(TAG_PROXY_LIST, proxy_list)
        STR(TAG_PROXY_BYPASS_LIST, proxy_bypass_list)
        STR(TAG_REPLY_FILE_NAME, reply_file_name)
        U32(TAG_COST_FLAGS, cost_flags)
        U32(TAG_DYNAMIC_CONTENT, dynamic_content)
        U32(TAG_HIGH_PERFORMANCE, high_performance)
        U64(TAG_MAX_DOWNLOAD_SIZE, max_download_size)
        U32(TAG_STORED_CREDENTIALS, stored_credentials_target)
        U32(TAG_MIN_NOTIFICATION_INTERVAL, min_notification_interval)
        U32(TAG_ON_DEMAND, on_demand)
        U32(TAG_RESUMED, resumed)
        U32(TAG_CUSTOM_METHOD, custom_method)
        U64(TAG_ACTIVE_MS, active_ms)
#undef U32
#undef U64
#undef STR
#undef TIME
        case TAG_ACTIVITY_TIME:
            if ((ok = store_get_u64(&field, &value64))) set_filetime(&job->activity_time, value64);
            break;
        case TAG_NO_PROGRESS_MS:
            if ((ok = store_get_u64(&field, &value64)))
                job->first_transient_error = GetTickCount64() - min(value64, GetTickCount64() - 1);
            break;
        case TAG_NOTIFICATION_CLSID:
            if ((ok = field.size == sizeof(GUID))) memcpy(&job->notification_clsid, field.data, sizeof(GUID));
            break;
        case TAG_CREDENTIALS: hr = load_credentials(job, &field); break;
        case TAG_ERROR: hr = load_error(job, &field, &error_file); break;
        case TAG_PENDING: ok = store_get_u32(&field, &pending); break;
        case TAG_FILE: hr = load_file(job, &field); break;
        case TAG_REPLY: hr = load_reply(job, &field); break;
        case TAG_REPLY_EMPTY: if ((ok = store_get_u32(&field, &value))) job->reply_empty = !!value; break;
        default:
            http_options_load_field(job->http_options, &field);
            token_options_load_field(job->token_options, &field);
            break;
        }
    }
    if (SUCCEEDED(hr) && (!ok || broken)) hr = E_FAIL;
    /* What every job has, and values a record of ours never holds. */
    if (SUCCEEDED(hr) && (!job->owner || !job->display_name || job->type > BG_JOB_TYPE_UPLOAD_REPLY ||
                          job->state > BG_JOB_STATE_ACKNOWLEDGED || state_is_final(job->state) ||
                          job->priority > BG_JOB_PRIORITY_LOW ||
                          (job->type != BG_JOB_TYPE_DOWNLOAD && job->file_count > 1)))
        hr = E_FAIL;
    if (FAILED(hr))
    {
        job_destroy(job);
        return hr;
    }

    if (job->error.present && error_file < job->file_count) job->error.file = job->files[error_file];
    /* A record from before the protocol was kept: the file's name now tells it. */
    if (job->error.file_protocol == -1)
        job->error.file_protocol = job->error.file && file_is_local_source(job->error.file);
    /* A record from before activity was kept apart. */
    if (!job->activity_time.dwLowDateTime && !job->activity_time.dwHighDateTime)
        job->activity_time = job->times.ModificationTime;
    job->pending_transferred = !!(pending & PENDING_TRANSFERRED);
    job->pending_error = !!(pending & PENDING_ERROR);
    /* The run that was under way when the service stopped starts again. */
    if (job->state == BG_JOB_STATE_CONNECTING || job->state == BG_JOB_STATE_TRANSFERRING)
        job->state = BG_JOB_STATE_QUEUED;
    /* Bytes lost with the temporary files are fetched again. */
    if (job->state == BG_JOB_STATE_TRANSFERRED && !all_files_transferred(job))
        job->state = BG_JOB_STATE_QUEUED;

    job->stored = TRUE;
    TRACE("loaded job %s, state %d, %lu files.\n", debugstr_guid(&job->id), job->state, job->file_count);
    *out = job;
    return S_OK;
}

/* A job just loaded takes up where the service left it. */
void job_start_after_load(struct job *job)
{
    EnterCriticalSection(&job->cs);
    if (job->state == BG_JOB_STATE_QUEUED) scheduler_enqueue(job);
    else if (job->state == BG_JOB_STATE_TRANSIENT_ERROR) scheduler_schedule_retry(job, transient_wait_ms(job));
    if (job->pending_transferred || job->pending_error) scheduler_notify(job);
    LeaveCriticalSection(&job->cs);
}

int job_compare_creation(const void *a, const void *b)
{
    struct job *first = *(struct job *const *)a, *second = *(struct job *const *)b;
    FILETIME first_time, second_time;

    /* Set once when the job is made: read without the locks. */
    first_time = first->times.CreationTime;
    second_time = second->times.CreationTime;
    return CompareFileTime(&first_time, &second_time);
}

BOOL job_scavenge_if_inactive(struct job *job, const FILETIME *cutoff)
{
    BOOL inactive;

    EnterCriticalSection(&job->cs);
    inactive = !state_is_final(job->state) && CompareFileTime(&job->activity_time, cutoff) < 0;
    LeaveCriticalSection(&job->cs);
    /* Cancel deletes the temporary files, as Windows does (behavior.md 5.1). */
    return inactive && SUCCEEDED(cancel(job));
}
