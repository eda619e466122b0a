/*
 * Helpers shared by the tests of real transfers (download.c, http.c): jobs,
 * bounded waits for states and progress, checks of the files they leave.
 * Each including file defines make_name() for its job names.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "aclapi.h"
#include "sddl.h"

#define STATE_BIT(s) (1u << (s))

/* Bounds of the waits.  Transfers are over loopback and take well under a
 * second; the bounds only keep a broken service from hanging the test. */
#define TRANSFER_TIMEOUT  15000
#define FAILURE_TIMEOUT   15000
#define CLEANUP_TIMEOUT   10000   /* for the service to close and delete its temporary files (a bound) */

/* Slow bodies: 4 KiB every 50 ms, about 80 KiB/s; a 1 MiB body takes ~13 s. */
#define SLOW_DELAY_MS     50
#define SLOW_CHUNK        4096
#define SLOW_SIZE         (1024 * 1024 + 11)

static IBackgroundCopyManager *manager;
static struct httpd *httpd;
static WCHAR base_dir[MAX_PATH];  /* fresh directory of this run, with a trailing backslash */

/* Milliseconds lost in waits that timed out.  Once a minute is lost, the
 * service is evidently not transferring: later waits are cut short so the
 * whole run stays bounded. */
static DWORD lost_ms;

static void make_name(WCHAR *buf, size_t len, const WCHAR *tag);

static inline DWORD wait_limit(DWORD timeout)
{
    if (lost_ms >= 60000 && timeout > 2000) return 2000;
    return timeout;
}

static inline const char *state_name(BG_JOB_STATE state)
{
    static const char *names[] =
    {
        "QUEUED", "CONNECTING", "TRANSFERRING", "SUSPENDED", "ERROR",
        "TRANSIENT_ERROR", "TRANSFERRED", "ACKNOWLEDGED", "CANCELLED",
    };
    if (state < ARRAY_SIZE(names)) return names[state];
    return "(invalid)";
}

static inline const char *mask_names(DWORD mask)
{
    static char buf[256];
    unsigned int i;

    buf[0] = 0;
    for (i = 0; i <= BG_JOB_STATE_CANCELLED; i++)
    {
        if (!(mask & STATE_BIT(i))) continue;
        if (buf[0]) strcat(buf, "|");
        strcat(buf, state_name(i));
    }
    return buf;
}

static inline IBackgroundCopyJob *create_job(const WCHAR *tag)
{
    IBackgroundCopyJob *job = NULL;
    WCHAR name[128];
    GUID id;
    HRESULT hr;

    make_name(name, ARRAY_SIZE(name), tag);
    hr = IBackgroundCopyManager_CreateJob(manager, name, BG_JOB_TYPE_DOWNLOAD, &id, &job);
    ok(hr == S_OK, "CreateJob failed: %#lx.\n", hr);
    return SUCCEEDED(hr) ? job : NULL;
}

/* QueryInterface for an optional interface; NULL (and a skip) if this
 * Windows version predates it. */
static inline void *query_optional(void *iface, const IID *iid, const char *name)
{
    void *obj = NULL;
    HRESULT hr;

    hr = IUnknown_QueryInterface((IUnknown *)iface, iid, &obj);
    if (hr == E_NOINTERFACE)
    {
        win_skip("%s is not supported.\n", name);
        return NULL;
    }
    ok(hr == S_OK, "QueryInterface(%s) failed: %#lx.\n", name, hr);
    return SUCCEEDED(hr) ? obj : NULL;
}

/* SetCredentials for the server target. */
static inline BOOL set_server_credentials(IBackgroundCopyJob *job, BG_AUTH_SCHEME scheme, const WCHAR *user,
                                          const WCHAR *password)
{
    BG_AUTH_CREDENTIALS creds;
    IBackgroundCopyJob2 *job2;
    HRESULT hr;

    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob2, (void **)&job2);
    ok(hr == S_OK, "QueryInterface(IBackgroundCopyJob2) failed: %#lx.\n", hr);
    if (FAILED(hr)) return FALSE;
    memset(&creds, 0, sizeof(creds));
    creds.Target = BG_AUTH_TARGET_SERVER;
    creds.Scheme = scheme;
    creds.Credentials.Basic.UserName = (WCHAR *)user;
    creds.Credentials.Basic.Password = (WCHAR *)password;
    hr = IBackgroundCopyJob2_SetCredentials(job2, &creds);
    ok(hr == S_OK, "SetCredentials failed: %#lx.\n", hr);
    IBackgroundCopyJob2_Release(job2);
    return SUCCEEDED(hr);
}

/* Basic credentials for the server.  Tests that do not check
 * authentication use them to send a job through WinHTTP, which our
 * service's plain HTTP client leaves to it when a job has credentials. */
static inline BOOL set_basic_credentials(IBackgroundCopyJob *job, const WCHAR *user, const WCHAR *password)
{
    return set_server_credentials(job, BG_AUTH_SCHEME_BASIC, user, password);
}

static inline BOOL set_security_flags(IBackgroundCopyJob *job, ULONG flags)
{
    IBackgroundCopyJobHttpOptions *options;
    HRESULT hr;

    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJobHttpOptions, (void **)&options);
    ok(hr == S_OK, "QueryInterface(IBackgroundCopyJobHttpOptions) failed: %#lx.\n", hr);
    if (FAILED(hr)) return FALSE;
    hr = IBackgroundCopyJobHttpOptions_SetSecurityFlags(options, flags);
    ok(hr == S_OK, "SetSecurityFlags(%#lx) failed: %#lx.\n", flags, hr);
    IBackgroundCopyJobHttpOptions_Release(options);
    return SUCCEEDED(hr);
}

/* The caller's own token as the job's helper, used for what flags say. */
static inline BOOL set_helper_token(IBackgroundCopyJob *job, DWORD flags)
{
    IBitsTokenOptions *options;
    HRESULT hr;

    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBitsTokenOptions, (void **)&options);
    ok(hr == S_OK, "QueryInterface(IBitsTokenOptions) failed: %#lx.\n", hr);
    if (FAILED(hr)) return FALSE;
    hr = IBitsTokenOptions_SetHelperTokenFlags(options, flags);
    ok(hr == S_OK, "SetHelperTokenFlags(%#lx) failed: %#lx.\n", flags, hr);
    if (SUCCEEDED(hr))
    {
        hr = IBitsTokenOptions_SetHelperToken(options);
        ok(hr == S_OK, "SetHelperToken failed: %#lx.\n", hr);
    }
    IBitsTokenOptions_Release(options);
    return SUCCEEDED(hr);
}

/* Whether a job's error code is one a client can make sense of: BITS's own,
 * a Win32 (or WinHTTP) error, or an HTTP status that is one. */
static inline BOOL code_is_sane(HRESULT code)
{
    return FAILED(code) && (HRESULT_FACILITY(code) == 0x20 || HRESULT_FACILITY(code) == FACILITY_WIN32 ||
                            (HRESULT_FACILITY(code) == 0x19 && HRESULT_CODE(code) >= 100 && HRESULT_CODE(code) <= 999));
}

/* Cancels the job unless it is already final (ACKNOWLEDGED / CANCELLED), releases it. */
static inline void finish_job(IBackgroundCopyJob *job)
{
    BG_JOB_STATE state = BG_JOB_STATE_QUEUED;
    HRESULT hr;

    if (!job) return;
    hr = IBackgroundCopyJob_GetState(job, &state);
    ok(hr == S_OK, "GetState failed: %#lx.\n", hr);
    if (FAILED(hr) || (state != BG_JOB_STATE_ACKNOWLEDGED && state != BG_JOB_STATE_CANCELLED))
    {
        hr = IBackgroundCopyJob_Cancel(job);
        ok(hr == S_OK, "Cancel failed: %#lx.\n", hr);
    }
    IBackgroundCopyJob_Release(job);
}

#define check_state(a, b) check_state_(__LINE__, a, b)
static inline void check_state_(int line, IBackgroundCopyJob *job, BG_JOB_STATE expected)
{
    BG_JOB_STATE state = 0xdead;
    HRESULT hr;

    hr = IBackgroundCopyJob_GetState(job, &state);
    ok_(__FILE__, line)(hr == S_OK, "GetState failed: %#lx.\n", hr);
    ok_(__FILE__, line)(state == expected, "got state %s (%u), expected %s.\n",
                        state_name(state), state, state_name(expected));
}

/* Context and code of the job's error; FALSE if GetError fails. */
static inline BOOL get_job_error(IBackgroundCopyJob *job, BG_ERROR_CONTEXT *context, HRESULT *code)
{
    IBackgroundCopyError *error = NULL;
    HRESULT hr;

    *context = BG_ERROR_CONTEXT_NONE;
    *code = S_OK;
    hr = IBackgroundCopyJob_GetError(job, &error);
    if (FAILED(hr) || !error) return FALSE;
    hr = IBackgroundCopyError_GetError(error, context, code);
    IBackgroundCopyError_Release(error);
    return SUCCEEDED(hr);
}

static inline void trace_job(int line, IBackgroundCopyJob *job, BG_JOB_STATE state)
{
    BG_JOB_PROGRESS progress;
    BG_ERROR_CONTEXT context;
    HRESULT code;

    if ((state == BG_JOB_STATE_ERROR || state == BG_JOB_STATE_TRANSIENT_ERROR)
        && get_job_error(job, &context, &code))
        trace_(__FILE__, line)("job error: context %u, code %#lx.\n", context, code);
    memset(&progress, 0, sizeof(progress));
    if (SUCCEEDED(IBackgroundCopyJob_GetProgress(job, &progress)))
        trace_(__FILE__, line)("job progress: bytes %s of %s, files %lu of %lu.\n",
                               wine_dbgstr_longlong(progress.BytesTransferred),
                               wine_dbgstr_longlong(progress.BytesTotal),
                               progress.FilesTransferred, progress.FilesTotal);
}

/* Polls the state every 25 ms until it is one of accept.  Fails at once if
 * the job settles in a state that does not change by itself (SUSPENDED,
 * ERROR, TRANSFERRED, ACKNOWLEDGED, CANCELLED, and TRANSIENT_ERROR unless
 * transient_ok) and is not accepted; fails after timeout ms. */
#define wait_state(a, b, c, d) wait_state_(__LINE__, a, b, c, d)
static inline BG_JOB_STATE wait_state_(int line, IBackgroundCopyJob *job, DWORD accept, DWORD timeout, BOOL transient_ok)
{
    DWORD settled = STATE_BIT(BG_JOB_STATE_SUSPENDED) | STATE_BIT(BG_JOB_STATE_ERROR)
                  | STATE_BIT(BG_JOB_STATE_TRANSFERRED) | STATE_BIT(BG_JOB_STATE_ACKNOWLEDGED)
                  | STATE_BIT(BG_JOB_STATE_CANCELLED);
    DWORD start = GetTickCount(), limit = wait_limit(timeout);
    BG_JOB_STATE state = 0xdead;
    HRESULT hr;

    if (!transient_ok) settled |= STATE_BIT(BG_JOB_STATE_TRANSIENT_ERROR);
    for (;;)
    {
        hr = IBackgroundCopyJob_GetState(job, &state);
        ok_(__FILE__, line)(hr == S_OK, "GetState failed: %#lx.\n", hr);
        if (FAILED(hr)) return state;
        if (state <= BG_JOB_STATE_CANCELLED && (accept & STATE_BIT(state))) return state;
        if (state > BG_JOB_STATE_CANCELLED || (settled & STATE_BIT(state)))
        {
            ok_(__FILE__, line)(0, "job reached state %s (%u) while waiting for %s.\n",
                                state_name(state), state, mask_names(accept));
            trace_job(line, job, state);
            return state;
        }
        if (GetTickCount() - start >= limit)
        {
            lost_ms += limit;
            ok_(__FILE__, line)(0, "timed out after %lu ms waiting for %s; last state %s (%u).\n",
                                limit, mask_names(accept), state_name(state), state);
            trace_job(line, job, state);
            return state;
        }
        Sleep(25);
    }
}

static inline BOOL file_exists(const WCHAR *path)
{
    return GetFileAttributesW(path) != INVALID_FILE_ATTRIBUTES;
}

static inline ULONGLONG file_size(const WCHAR *path)
{
    WIN32_FILE_ATTRIBUTE_DATA data;

    if (!GetFileAttributesExW(path, GetFileExInfoStandard, &data)) return ~(ULONGLONG)0;
    return ((ULONGLONG)data.nFileSizeHigh << 32) | data.nFileSizeLow;
}

/* Number of entries (files, hidden ones too) in dir, which ends with a backslash. */
static inline unsigned int count_files(const WCHAR *dir, BOOL print)
{
    WIN32_FIND_DATAW data;
    WCHAR pattern[MAX_PATH];
    unsigned int count = 0;
    HANDLE find;

    swprintf(pattern, ARRAY_SIZE(pattern), L"%ls*", dir);
    find = FindFirstFileW(pattern, &data);
    if (find == INVALID_HANDLE_VALUE) return 0;
    do
    {
        if (!wcscmp(data.cFileName, L".") || !wcscmp(data.cFileName, L"..")) continue;
        if (print) trace("  %s contains %s (attributes %#lx).\n", wine_dbgstr_w(dir),
                         wine_dbgstr_w(data.cFileName), data.dwFileAttributes);
        count++;
    } while (FindNextFileW(find, &data));
    FindClose(find);
    return count;
}

/* Waits (bounded) until dir holds exactly count entries. */
#define check_dir_count(a, b) check_dir_count_(__LINE__, a, b)
static inline void check_dir_count_(int line, const WCHAR *dir, unsigned int expected)
{
    DWORD start = GetTickCount();
    unsigned int count;

    while ((count = count_files(dir, FALSE)) != expected && GetTickCount() - start < CLEANUP_TIMEOUT)
        Sleep(25);
    ok_(__FILE__, line)(count == expected, "directory %s holds %u entries, expected %u.\n",
                        wine_dbgstr_w(dir), count, expected);
    if (count != expected) count_files(dir, TRUE);
}

/* A fresh subdirectory of base_dir for one test; path with a trailing backslash. */
static inline BOOL make_dir(const WCHAR *tag, WCHAR *dir, size_t len)
{
    BOOL ret;

    swprintf(dir, len, L"%ls%ls\\", base_dir, tag);
    ret = CreateDirectoryW(dir, NULL);
    ok(ret, "CreateDirectory(%s) failed: %lu.\n", wine_dbgstr_w(dir), GetLastError());
    return ret;
}

static inline void remove_tree(const WCHAR *dir, unsigned int depth)
{
    WIN32_FIND_DATAW data;
    WCHAR path[MAX_PATH];
    HANDLE find;

    swprintf(path, ARRAY_SIZE(path), L"%ls*", dir);
    find = FindFirstFileW(path, &data);
    if (find != INVALID_HANDLE_VALUE)
    {
        do
        {
            if (!wcscmp(data.cFileName, L".") || !wcscmp(data.cFileName, L"..")) continue;
            if (data.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
            {
                swprintf(path, ARRAY_SIZE(path), L"%ls%ls\\", dir, data.cFileName);
                if (depth < 4) remove_tree(path, depth + 1);
            }
            else
            {
                swprintf(path, ARRAY_SIZE(path), L"%ls%ls", dir, data.cFileName);
                SetFileAttributesW(path, FILE_ATTRIBUTE_NORMAL);
                if (!DeleteFileW(path))
                    trace("cannot delete %s: %lu.\n", wine_dbgstr_w(path), GetLastError());
            }
        } while (FindNextFileW(find, &data));
        FindClose(find);
    }
    if (!RemoveDirectoryW(dir))
        trace("cannot remove %s: %lu.\n", wine_dbgstr_w(dir), GetLastError());
}

/* The file at this position of a new enumerator of the job's files. */
static inline IBackgroundCopyFile *get_file(IBackgroundCopyJob *job, ULONG index)
{
    IEnumBackgroundCopyFiles *enum_files = NULL;
    IBackgroundCopyFile *file = NULL;
    ULONG fetched = 0;
    HRESULT hr;

    hr = IBackgroundCopyJob_EnumFiles(job, &enum_files);
    ok(hr == S_OK, "EnumFiles failed: %#lx.\n", hr);
    if (FAILED(hr)) return NULL;
    if (index)
    {
        hr = IEnumBackgroundCopyFiles_Skip(enum_files, index);
        ok(hr == S_OK, "Skip(%lu) failed: %#lx.\n", index, hr);
    }
    hr = IEnumBackgroundCopyFiles_Next(enum_files, 1, &file, &fetched);
    ok(hr == S_OK, "Next failed: %#lx.\n", hr);
    IEnumBackgroundCopyFiles_Release(enum_files);
    return hr == S_OK ? file : NULL;
}

#define check_job_progress(a, b, c, d, e) check_job_progress_(__LINE__, a, b, c, d, e)
static inline void check_job_progress_(int line, IBackgroundCopyJob *job, UINT64 total, UINT64 transferred,
                                ULONG files_total, ULONG files_transferred)
{
    BG_JOB_PROGRESS progress;
    HRESULT hr;

    memset(&progress, 0xcc, sizeof(progress));
    hr = IBackgroundCopyJob_GetProgress(job, &progress);
    ok_(__FILE__, line)(hr == S_OK, "GetProgress failed: %#lx.\n", hr);
    ok_(__FILE__, line)(progress.BytesTotal == total, "got BytesTotal %s, expected %s.\n",
                        wine_dbgstr_longlong(progress.BytesTotal), wine_dbgstr_longlong(total));
    ok_(__FILE__, line)(progress.BytesTransferred == transferred, "got BytesTransferred %s, expected %s.\n",
                        wine_dbgstr_longlong(progress.BytesTransferred), wine_dbgstr_longlong(transferred));
    ok_(__FILE__, line)(progress.FilesTotal == files_total, "got FilesTotal %lu, expected %lu.\n",
                        progress.FilesTotal, files_total);
    ok_(__FILE__, line)(progress.FilesTransferred == files_transferred, "got FilesTransferred %lu, expected %lu.\n",
                        progress.FilesTransferred, files_transferred);
}

/* Sets the creation and last-write times of path; FALSE on failure. */
static inline BOOL set_file_times(const WCHAR *path, const SYSTEMTIME *created, const SYSTEMTIME *modified)
{
    FILETIME created_ft, modified_ft;
    HANDLE file;
    BOOL ret;

    if (!SystemTimeToFileTime(created, &created_ft) || !SystemTimeToFileTime(modified, &modified_ft)) return FALSE;
    file = CreateFileW(path, FILE_WRITE_ATTRIBUTES, 0, NULL, OPEN_EXISTING, 0, NULL);
    if (file == INVALID_HANDLE_VALUE) return FALSE;
    ret = SetFileTime(file, &created_ft, NULL, &modified_ft);
    CloseHandle(file);
    return ret;
}

/* A copy BITS made of a local file (an SMB download or upload) carries the
 * source's attributes and its creation and last-write times over, as the file
 * system reported them for the source (behavior.md 7.4). */
#define check_copied_metadata(a, b) check_copied_metadata_(__LINE__, a, b)
static inline void check_copied_metadata_(unsigned int line, const WCHAR *copy, const WIN32_FILE_ATTRIBUTE_DATA *source)
{
    static const DWORD compared = FILE_ATTRIBUTE_READONLY | FILE_ATTRIBUTE_HIDDEN | FILE_ATTRIBUTE_SYSTEM |
                                  FILE_ATTRIBUTE_ARCHIVE;
    WIN32_FILE_ATTRIBUTE_DATA data;

    if (!GetFileAttributesExW(copy, GetFileExInfoStandard, &data))
    {
        ok_(__FILE__, line)(0, "GetFileAttributesEx(%s) failed: %lu.\n", wine_dbgstr_w(copy), GetLastError());
        return;
    }
    ok_(__FILE__, line)((data.dwFileAttributes & compared) == (source->dwFileAttributes & compared),
                        "the copy has attributes %#lx, the source %#lx.\n", data.dwFileAttributes,
                        source->dwFileAttributes);
    ok_(__FILE__, line)(!CompareFileTime(&data.ftLastWriteTime, &source->ftLastWriteTime),
                        "last-write time %#lx:%08lx, the source's %#lx:%08lx.\n",
                        data.ftLastWriteTime.dwHighDateTime, data.ftLastWriteTime.dwLowDateTime,
                        source->ftLastWriteTime.dwHighDateTime, source->ftLastWriteTime.dwLowDateTime);
    ok_(__FILE__, line)(!CompareFileTime(&data.ftCreationTime, &source->ftCreationTime),
                        "creation time %#lx:%08lx, the source's %#lx:%08lx.\n",
                        data.ftCreationTime.dwHighDateTime, data.ftCreationTime.dwLowDateTime,
                        source->ftCreationTime.dwHighDateTime, source->ftCreationTime.dwLowDateTime);
}

/* The parts of a file's security descriptor as SDDL, as the system reports
 * them; LocalFree it.  NULL if they cannot be read. */
static inline char *file_security_string(const WCHAR *path, SECURITY_INFORMATION parts)
{
    PSECURITY_DESCRIPTOR descriptor = NULL;
    char *string = NULL;
    DWORD error;

    error = GetNamedSecurityInfoW((WCHAR *)path, SE_FILE_OBJECT, parts, NULL, NULL, NULL, NULL, &descriptor);
    ok(!error, "GetNamedSecurityInfo(%s) failed: %lu.\n", wine_dbgstr_w(path), error);
    if (error) return NULL;
    if (!ConvertSecurityDescriptorToStringSecurityDescriptorA(descriptor, SDDL_REVISION_1, parts, &string, NULL))
        string = NULL;
    LocalFree(descriptor);
    return string;
}

/* The copy reports the same parts of its security as the source.  Compared
 * with what the system reports for the source, not with the descriptor it
 * was given: Wine 8 keeps a DACL only as Unix mode bits. */
#define check_same_security(a, b, c) check_same_security_(__LINE__, a, b, c)
static inline void check_same_security_(int line, const WCHAR *copy, const WCHAR *source, SECURITY_INFORMATION parts)
{
    char *copy_string = file_security_string(copy, parts), *source_string = file_security_string(source, parts);

    ok_(__FILE__, line)(copy_string && source_string && !strcmp(copy_string, source_string),
                        "%s has security %s, the source %s.\n", wine_dbgstr_w(copy), debugstr_a(copy_string),
                        debugstr_a(source_string));
    LocalFree(copy_string);
    LocalFree(source_string);
}

/* Gives path a protected DACL unlike any default one: SYSTEM may do all, the
 * user read, rename, delete, change attributes and the DACL, but not write.
 * Wine keeps that as a file without write bits, i.e. read-only. */
static inline BOOL set_read_only_dacl(const WCHAR *path)
{
    union { TOKEN_USER user; BYTE buffer[SECURITY_MAX_SID_SIZE + sizeof(TOKEN_USER)]; } info;
    PSECURITY_DESCRIPTOR descriptor;
    WCHAR sddl[256], *sid;
    HANDLE token;
    DWORD size;
    BOOL ret;

    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token)) return FALSE;
    ret = GetTokenInformation(token, TokenUser, &info, sizeof(info), &size);
    CloseHandle(token);
    if (!ret || !ConvertSidToStringSidW(info.user.User.Sid, &sid)) return FALSE;
    swprintf(sddl, ARRAY_SIZE(sddl), L"D:P(A;;FA;;;SY)(A;;%#x;;;%ls)",
             FILE_GENERIC_READ | FILE_WRITE_ATTRIBUTES | DELETE | WRITE_DAC, sid);
    LocalFree(sid);
    if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, SDDL_REVISION_1, &descriptor, NULL)) return FALSE;
    ret = SetFileSecurityW(path, DACL_SECURITY_INFORMATION, descriptor);
    LocalFree(descriptor);
    return ret;
}

/* Deletes a file the tests made read-only. */
static inline void delete_read_only(const WCHAR *path)
{
    SetFileAttributesW(path, FILE_ATTRIBUTE_NORMAL);
    DeleteFileW(path);
}

#define check_pattern_file(a, b, c) check_pattern_file_(__LINE__, a, b, c)
static inline void check_pattern_file_(int line, const WCHAR *path, unsigned int seed, ULONGLONG size)
{
    BOOL ret = httpd_pattern_check_file(path, seed, size);

    ok_(__FILE__, line)(ret, "%s does not hold the expected %s bytes (exists %d, size %s).\n",
                        wine_dbgstr_w(path), wine_dbgstr_longlong(size), file_exists(path),
                        wine_dbgstr_longlong(file_size(path)));
}

#define check_no_file(a) check_no_file_(__LINE__, a)
static inline void check_no_file_(int line, const WCHAR *path)
{
    ok_(__FILE__, line)(!file_exists(path), "%s exists.\n", wine_dbgstr_w(path));
}

#define add_file(a, b, c) add_file_(__LINE__, a, b, c)
static inline BOOL add_file_(int line, IBackgroundCopyJob *job, const WCHAR *remote, const WCHAR *local)
{
    HRESULT hr = IBackgroundCopyJob_AddFile(job, remote, local);

    ok_(__FILE__, line)(hr == S_OK, "AddFile(%s, %s) failed: %#lx.\n", wine_dbgstr_w(remote),
                        wine_dbgstr_w(local), hr);
    return hr == S_OK;
}

#define resume(a) resume_(__LINE__, a)
static inline BOOL resume_(int line, IBackgroundCopyJob *job)
{
    HRESULT hr = IBackgroundCopyJob_Resume(job);

    ok_(__FILE__, line)(hr == S_OK, "Resume failed: %#lx.\n", hr);
    return hr == S_OK;
}

#define set_retry_delay(a, b) set_retry_delay_(__LINE__, a, b)
static inline void set_retry_delay_(int line, IBackgroundCopyJob *job, ULONG seconds)
{
    HRESULT hr = IBackgroundCopyJob_SetMinimumRetryDelay(job, seconds);

    ok_(__FILE__, line)(hr == S_OK, "SetMinimumRetryDelay(%lu) failed: %#lx.\n", seconds, hr);
}

/* Common set-up of a transfer test: COM, Winsock, the manager, a fresh work
 * directory under %TEMP% named after the test, and the loopback server.
 * FALSE (after undoing what it did) when the tests cannot run. */
static inline BOOL begin_transfer_tests(const WCHAR *tag)
{
    WCHAR temp_path[MAX_PATH];
    WSADATA wsa;
    DWORD len;
    HRESULT hr;

    CoInitialize(NULL);
    WSAStartup(MAKEWORD(2, 2), &wsa);
    hr = CoCreateInstance(&CLSID_BackgroundCopyManager, NULL, CLSCTX_LOCAL_SERVER,
                          &IID_IBackgroundCopyManager, (void **)&manager);
    if (FAILED(hr))
    {
        win_skip("cannot create the BITS manager: %#lx.\n", hr);
        WSACleanup();
        CoUninitialize();
        return FALSE;
    }
    len = GetTempPathW(ARRAY_SIZE(temp_path), temp_path);
    ok(len && len < ARRAY_SIZE(temp_path), "GetTempPath failed: %lu.\n", GetLastError());
    swprintf(base_dir, ARRAY_SIZE(base_dir), L"%lsqmgr_%ls_%lu_%lu\\", temp_path, tag,
             GetCurrentProcessId(), GetTickCount());
    if (CreateDirectoryW(base_dir, NULL) && (httpd = httpd_start())) return TRUE;
    ok(0, "cannot create %s or start the HTTP server: %lu.\n", wine_dbgstr_w(base_dir), GetLastError());
    RemoveDirectoryW(base_dir);
    IBackgroundCopyManager_Release(manager);
    WSACleanup();
    CoUninitialize();
    return FALSE;
}

/* Undoes begin_transfer_tests(); the work directory must be empty of our files. */
static inline void end_transfer_tests(const char *name, DWORD start)
{
    httpd_stop(httpd);
    remove_tree(base_dir, 0);
    ok(!file_exists(base_dir), "cannot remove %s.\n", wine_dbgstr_w(base_dir));
    trace("%s tests took %lu ms.\n", name, GetTickCount() - start);
    IBackgroundCopyManager_Release(manager);
    WSACleanup();
    CoUninitialize();
}
