/*
 * Background Intelligent Transfer Service: declarations shared by the
 * objects of qmgr.dll.  Each object's struct is private to its own file;
 * other files use only the functions declared here.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __QMGR_PRIVATE_H
#define __QMGR_PRIVATE_H

#include <stdarg.h>

#define COBJMACROS
#include "windef.h"
#include "winbase.h"
#include "objbase.h"
#include "wincrypt.h"
#include "winhttp.h"
#include "bits10_3.h"

#include "list.h"

/* Documented limits (behavior.md and interfaces.md). */
#define MAX_DISPLAY_NAME_LEN   256
#define MAX_DESCRIPTION_LEN    1024
#define MAX_URL_LEN            2200
#define MAX_PROXY_LIST_LEN     32000
#define MAX_CUSTOM_HEADERS_LEN 16384  /* characters including the terminator */
#define MAX_CERT_STORE_NAME    256    /* characters including the terminator */
#define MAX_CMDLINE_PARAMS_LEN 4000
#define MAX_USERNAME_LEN       300
#define MAX_PASSWORD_LEN       65536

#define DEFAULT_RETRY_DELAY        600
#define MIN_RETRY_DELAY            5
#define DEFAULT_NO_PROGRESS        1209600  /* 14 days */
#define DEFAULT_MAX_DOWNLOAD_TIME  7776000  /* 90 days */

/* Helpers for strings handed to callers (CoTaskMemAlloc) and kept privately (malloc). */
WCHAR *strdupW(const WCHAR *str);
int name_compare(const WCHAR *a, const WCHAR *b);
int name_compare_n(const WCHAR *a, const WCHAR *b, size_t length);
HRESULT return_string(const WCHAR *str, WCHAR **out);

struct job;
struct file;
struct http_options;

/* local_file.c: temporary files and their final names, without Wine's
 * case-insensitive search of the directory. */
struct local_dir_listing
{
    SRWLOCK lock;   /* threads that publish files together share the listing */
    BOOL wanted;    /* list the directory; without it every rename is Wine's ordinary one */
    WCHAR *dir;     /* the directory listed, with its separator */
    WCHAR **names;  /* sorted case-insensitively */
    DWORD count;
    WCHAR *unix_dir;        /* the directory under \\?\unix, or NULL if it has no such form */
    BOOL unix_dir_known;    /* unix_dir was looked up */
};
HANDLE local_file_create_new(const WCHAR *path, DWORD access, DWORD share, DWORD attributes);
BOOL local_dir_writable(const WCHAR *path);
/* attributes: the final file's; 0 for FILE_ATTRIBUTE_NORMAL. */
BOOL local_file_publish(struct local_dir_listing *listing, const WCHAR *temp, HANDLE kept, const WCHAR *final,
                        DWORD attributes);
void local_dir_listing_free(struct local_dir_listing *listing);
/* Sets a file's attributes by name (0: FILE_ATTRIBUTE_NORMAL), read-only
 * last: Wine keeps the others in an extended attribute, which a user who is
 * not root cannot write once the file is read-only. */
void local_file_set_attributes(const WCHAR *path, DWORD attributes);
/* Deletes a file of ours, also one that a DACL taken from an SMB source
 * (SetFileACLFlags) made read-only: Wine keeps a DACL as Unix mode bits only.
 * FALSE with the last error set when it stays. */
BOOL local_file_delete(const WCHAR *path);

/* range_set.c: sorted, disjoint byte ranges [start, end), merged as they are added. */
struct byte_range
{
    UINT64 start;
    UINT64 end;
};
struct range_set
{
    struct byte_range *items;
    DWORD count;
    DWORD capacity;
};
void range_set_clear(struct range_set *set);
BOOL range_set_add(struct range_set *set, UINT64 start, UINT64 end);
UINT64 range_set_total(const struct range_set *set);
BOOL range_set_first_gap(const struct range_set *set, UINT64 start, UINT64 end, UINT64 *gap_start, UINT64 *gap_end);
void range_set_clip(struct range_set *set, UINT64 end);
void range_set_remove(struct range_set *set, DWORD index);
HRESULT range_set_export(const struct range_set *set, DWORD *count, BG_FILE_RANGE **ranges);
BOOL range_set_load(struct range_set *set, const void *data, DWORD size);

/* policy.c: Group Policy limits; administrators are exempt from the counts. */
enum policy
{
    POLICY_MAX_JOBS_PER_USER,
    POLICY_MAX_JOBS_PER_MACHINE,
    POLICY_MAX_FILES_PER_JOB,
    POLICY_MAX_RANGES_PER_FILE,
    POLICY_JOB_INACTIVITY_DAYS,
    POLICY_MAX_DOWNLOAD_SECONDS,
    /* MaxInternetBandwidth ("Limit the maximum network bandwidth for BITS background transfers") */
    POLICY_BANDWIDTH_ENABLED,
    POLICY_BANDWIDTH_IN_WINDOW,
    POLICY_BANDWIDTH_WINDOW_FROM,
    POLICY_BANDWIDTH_WINDOW_TO,
    POLICY_BANDWIDTH_UNLIMITED_OUTSIDE,
    POLICY_BANDWIDTH_OUTSIDE,
};
DWORD policy_get(enum policy policy);
#define POLICY_NO_LIMIT (~0u)
/* The rate in kbit/s that background transfers may use together now
 * (POLICY_NO_LIMIT: as fast as they can; 0: none may run), and in *change_ms
 * how long until the policy's time window may change it. */
ULONG policy_background_rate(ULONGLONG *change_ms);
/* Calls callback (on a thread pool thread) after each change under
 * HKLM\\Software\\Policies, until policy_unwatch(). */
void policy_watch(void (*callback)(void));
void policy_unwatch(void);
/* Whether policy_watch's callback is called: FALSE before, and when it failed. */
BOOL policy_watching(void);

/* bandwidth.c: background transfers, all of them together, keep to the
 * policy's rate.  A transfer that just moved this many bytes takes them; if
 * *limited says a limit applies, it then waits for the mark returned:
 * bandwidth_wait says how long at the rate that applies now, 0 when they are
 * paid for (or the limit is gone), INFINITE when no background transfer may
 * run (then *change_ms says when that may change).  Without a limit there is
 * nothing to wait for, and no need to look at the policy again. */
UINT64 bandwidth_take(UINT64 bytes, BOOL *limited);
DWORD bandwidth_wait(UINT64 mark, ULONGLONG *change_ms);
/* Whether NTLM and Negotiate challenges get implicit credentials without SetCredentials (UseLMCompat). */
BOOL policy_implicit_credentials(void);

/* identity.c: who is calling, and the SIDs BITS shows (Unix-mapped under Wine). */
struct caller
{
    WCHAR *sid;          /* the token the caller acts as: its thread token when impersonating */
    BOOL admin;
    WCHAR *process_sid;  /* the caller's process token */
    BOOL process_admin;
    BOOL impersonating;
    ULONG integrity;     /* mandatory label RID */
    BOOL elevated;
};
void identity_init(void);
struct identity_wire;
void identity_begin_direct_call(const struct identity_wire *record);
void identity_end_direct_call(void);
DWORD identity_caller_process(void);
void fast_channel_init(void);
void fast_channel_shutdown(void);
HRESULT identity_get_caller(struct caller *caller);
void identity_free_caller(struct caller *caller);
HRESULT identity_duplicate_caller_token(HANDLE *token);
HRESULT identity_token_sid(HANDLE token, WCHAR **sid);
BOOL identity_token_is_admin(HANDLE token);
HRESULT identity_sid_to_string(PSID sid, WCHAR **string);

/* service.c: waits up to timeout ms for all the handles while the service
 * stops, telling the service control manager every second that the stop goes
 * on; whether they all were signalled. */
BOOL service_wait_stopping(const HANDLE *handles, DWORD count, DWORD timeout);

/* activation.c: the class objects as COM activation sees them; a killed
 * service is started again by the next client (bitsguard.exe). */
HRESULT activation_register(IClassFactory *factory, const CLSID *const *clsids, unsigned int count);
void activation_revoke(void);

/* manager.c: the job table and the manager object. */
HRESULT manager_create(REFIID riid, void **obj);
void manager_init(void);
void manager_shutdown(void);
void manager_forget_job(struct job *job);
/* Brings back the jobs of the store; before the class objects are registered. */
void manager_load_jobs(void);

/* job.c */
struct job;
HRESULT job_create(const WCHAR *display_name, BG_JOB_TYPE type, struct job **out);
IBackgroundCopyJob *job_iface(struct job *job);
void job_addref(struct job *job);
void job_release(struct job *job);
const GUID *job_id(const struct job *job);
BOOL job_is_final(struct job *job);
BOOL job_owned_by(struct job *job, const WCHAR *sid);
BOOL job_caller_may_access(struct job *job);
BOOL job_elevation_allows(struct job *job, const struct caller *caller);
BOOL job_caller_is_owner(struct job *job);
/* The job changed: the store writes it soon. */
void job_save_later(struct job *job);
void job_start_after_load(struct job *job);
/* For qsort of job pointers: by creation time, oldest first. */
int job_compare_creation(const void *a, const void *b);
/* JobInactivityTimeout: a job untouched since before the cutoff is cancelled. */
BOOL job_scavenge_if_inactive(struct job *job, const FILETIME *cutoff);

/* file.c */
struct file;
/* direct: HIGH_PERFORMANCE, no temporary file (behavior.md 13). */
HRESULT file_create(struct job *job, const WCHAR *remote_name, const WCHAR *local_name, BOOL direct,
                    BOOL upload, struct file **out);
void file_destroy(struct file *file);
IBackgroundCopyFile *file_iface(struct file *file);
void file_get_progress(struct file *file, BG_FILE_PROGRESS *progress);
BOOL file_replace_remote_prefix(struct file *file, const WCHAR *old_prefix, const WCHAR *new_prefix, BOOL apply,
                                HRESULT *hr);
HRESULT file_set_ranges(struct file *file, DWORD count, const BG_FILE_RANGE *ranges);
BOOL file_has_ranges(struct file *file);
/* FALSE when the temporary file could not be deleted (BG_S_UNABLE_TO_DELETE_FILES). */
BOOL file_discard_temporary(struct file *file);
BOOL file_restart_for_crl(struct file *file);
BOOL file_is_transferred(struct file *file);
BOOL file_is_local_source(struct file *file);    /* a local, UNC or file:// remote name */
const WCHAR *file_local_name(struct file *file);
HRESULT file_complete(struct file *file, HANDLE local_token, struct local_dir_listing *listing);

/* What a job gives a file to download with (the worker's session, the job's options). */
struct transfer_result;
struct transfer_options;
struct download_control
{
    void *session;                  /* the worker's WinHTTP session */
    const struct transfer_options *options;
    struct job *job;
    /* Helper tokens the accesses run as (BG_TOKEN_LOCAL_FILE, BG_TOKEN_NETWORK); NULL: the service's own. */
    HANDLE local_token;
    HANDLE network_token;
    /* Called as bytes arrive, with how many the file grew by.  FALSE stops the transfer. */
    BOOL (*on_progress)(struct job *job, UINT64 new_bytes);
    /* ON_DEMAND_MODE: only the byte ranges the application asks for are fetched. */
    BOOL on_demand;
    /* A piece of a random-access file is on disk (file_take_fresh_ranges has it). */
    void (*on_piece)(struct job *job, struct file *file);
    /* The files after the one under way (transfer_request.upcoming); NULL: none. */
    WCHAR *(*upcoming)(void *context, DWORD n);
    void *upcoming_context;
    /* transfer_request.max_read: set while the bandwidth policy limits the job. */
    DWORD max_read;
};
void network_identity_begin(const struct download_control *control);
void network_identity_end(const struct download_control *control);
void file_download(struct file *file, const struct download_control *control, struct transfer_result *result);
void file_upload(struct file *file, const struct download_control *control, struct transfer_result *result);
struct upload_session;
/* The upload session, handed over for a Cancel-Session (unfinished_only: only of an unfinished upload). */
BOOL file_take_upload_session(struct file *file, BOOL unfinished_only, WCHAR **remote_name,
                              struct upload_session *session);
/* Upload-reply: the reply's URL, absolute; NULL without one, or (*invalid) when the server's is no HTTP URL. */
WCHAR *file_reply_url(struct file *file, BOOL *invalid);
void file_close_upload_session(struct file *file, const struct download_control *control);
void file_make_durable(struct file *file);
/* Makes the temporary file of a file whose turn has not come (temp_ahead.c). */
void file_prepare_temporary(struct file *file);
void file_unprepare_temporary(struct file *file);
/* The file at index with a reference; NULL past the last file.  The file to
 * come is also NULL once the job's run is told to stop. */
struct file *job_file_at(struct job *job, ULONG index);
struct file *job_file_to_come(struct job *job, ULONG index);
struct temp_ahead;
struct temp_ahead *temp_ahead_start(struct job *job);
void temp_ahead_reach(struct temp_ahead *ahead, ULONG index);
void temp_ahead_stop(struct temp_ahead *ahead);
const WCHAR *file_current_name(struct file *file);
BG_JOB_TYPE job_type(struct job *job);
/* Random access (File6) fits the job: a download, no dynamic content, no custom verb. */
BOOL job_random_access_allowed(struct job *job);
/* The pieces of a random-access file that arrived since it was last asked (FileRangesTransferred). */
BOOL file_take_fresh_ranges(struct file *file, DWORD *count, BG_FILE_RANGE **ranges);
/* An on-demand file still has bytes asked for and missing. */
BOOL file_has_requests(struct file *file);
/* The sizes of the files to come, by HEAD before their turn (job_run). */
WCHAR *file_size_wanted(struct file *file);
void file_take_size(struct file *file, UINT64 size);
WCHAR *file_whole_fetch_name(struct file *file);
/* SetValidationState(FALSE) of a downloaded file: ERROR, BG_E_VALIDATION_FAILED. */
HRESULT job_validation_failed(struct job *job, struct file *file);
/* A client changed one of the job's files (its remote name): saved, and a
 * modification like the job's own properties. */
void job_file_changed(struct job *job);
void job_crl_check_enabled(struct job *job);

/* Name validation shared by AddFile, AddFileSet, AddFileWithRanges, SetRemoteName,
 * the names a server gives (redirects, reply URLs) and the loading of records. */
HRESULT validate_remote_name(const WCHAR *name, BG_JOB_TYPE type);
HRESULT validate_local_name(const WCHAR *name);

/* job.c, for the scheduler */
BG_JOB_PRIORITY job_priority(struct job *job);
void job_run(struct job *job, void *session);
void job_retry_due(struct job *job);
void job_policy_changed(struct job *job);
/* Cancel-Session for a server's upload session, sent in the background and again
 * while the server fails to take it (behavior.md 6.2). */
void job_end_upload_session(struct job *job, const WCHAR *remote_name, const struct upload_session *session,
                            BOOL cancel);

/* scheduler.c */
void scheduler_init(void);
void scheduler_shutdown(void);
BOOL scheduler_stopping(void);
void scheduler_enqueue(struct job *job);
/* A queued job's priority changed: it may run now (raised to FOREGROUND). */
void scheduler_priority_changed(struct job *job);
/* job_retry_due() in ms, on the scheduler's timer thread. */
void scheduler_schedule_retry(struct job *job, ULONGLONG ms);
void scheduler_remove(struct job *job);
void scheduler_forget(struct job *job);
BOOL scheduler_should_yield(BG_JOB_PRIORITY priority, ULONGLONG running_since);

/* http_options.c, for transfers */
void http_options_snapshot(struct http_options *options, struct transfer_options *transfer);
/* A custom verb locks the job (behavior.md 11.7): the job answers whether it
 * may have one and, if so, hands method (malloc'd) to http_options_take_method. */
HRESULT job_set_http_method(struct job *job, WCHAR *method);
void http_options_take_method(struct http_options *options, WCHAR *method);

/* notify.c */
enum notify_event
{
    NOTIFY_JOB_TRANSFERRED,
    NOTIFY_JOB_ERROR,
};
HRESULT notify_callback(IUnknown *callback, enum notify_event event, IBackgroundCopyJob *job,
                        IBackgroundCopyError *error);
IBitsPeerCacheAdministration *peer_cache_get(IUnknown *outer);

HRESULT notify_file_transferred(IUnknown *callback, IBackgroundCopyJob *job, IBackgroundCopyFile *file, BOOL *plain);
HRESULT notify_command_line(const WCHAR *program, const WCHAR *parameters, HANDLE *process);
BOOL notify_is_disconnected(HRESULT hr);
void job_deliver_notifications(struct job *job);
void scheduler_notify(struct job *job);
void scheduler_schedule_notify(struct job *job, ULONG ms);

/* enum.c */
HRESULT enum_jobs_create(struct job **jobs, ULONG count, IEnumBackgroundCopyJobs **out);
HRESULT enum_files_create(struct file **files, ULONG count, IEnumBackgroundCopyFiles **out);

/* error.c */
HRESULT error_create(BG_ERROR_CONTEXT context, HRESULT code, IBackgroundCopyFile *file,
                     const WCHAR *protocol, IBackgroundCopyError **out);
HRESULT error_description(HRESULT code, DWORD langid, WCHAR **out);
HRESULT error_context_description(BG_ERROR_CONTEXT context, DWORD langid, WCHAR **out);

/* http_options.c: tear-off that implements IBackgroundCopyJobHttpOptions..3 for a job. */
struct http_options;
struct http_options *http_options_create(IUnknown *outer, struct job *job);
void http_options_destroy(struct http_options *options);
IBackgroundCopyJobHttpOptions3 *http_options_iface(struct http_options *options);
/* What an ownership change removes: the client certificate and the custom headers. */
void http_options_clear_owner_data(struct http_options *options);
HRESULT http_options_check_server_certificate(struct http_options *options, struct file *file,
                                              const WCHAR *host, INTERNET_PORT port, const CERT_CONTEXT *cert);

/* token.c: tear-off that implements IBitsTokenOptions for a job. */
struct token_options;
struct token_options *token_options_create(IUnknown *outer, struct job *job);
void token_options_destroy(struct token_options *options);
IBitsTokenOptions *token_options_iface(struct token_options *options);
DWORD token_options_get_helper(struct token_options *options, HANDLE *token);

#endif /* __QMGR_PRIVATE_H */
