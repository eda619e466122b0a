/*
 * bitsadmin: finding jobs, creating them, their files, control and listing
 *
 * Copyright 2026 the qmgr-for-wine authors
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Lesser General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 *
 * This library is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU
 * Lesser General Public License for more details.
 *
 * You should have received a copy of the GNU Lesser General Public
 * License along with this library; if not, write to the Free Software
 * Foundation, Inc., 51 Franklin St, Fifth Floor, Boston, MA 02110-1301, USA
 */

#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>

#include "bitsadmin.h"

IBackgroundCopyManager *manager;

HRESULT connect_manager(void)
{
    if (manager) return S_OK;
    return CoCreateInstance(&CLSID_BackgroundCopyManager, NULL, CLSCTX_LOCAL_SERVER,
                            &IID_IBackgroundCopyManager, (void **)&manager);
}

/* A job named by "{GUID}" is looked up directly; any other name is a display
 * name, which must match exactly one of the caller's jobs. */
IBackgroundCopyJob *find_job(const WCHAR *name)
{
    IEnumBackgroundCopyJobs *jobs;
    IBackgroundCopyJob *job, *found = NULL;
    unsigned int matches = 0;
    WCHAR *display;
    HRESULT hr;
    GUID id;

    if (name[0] == '{' && SUCCEEDED(IIDFromString(name, &id)))
    {
        if (FAILED(hr = IBackgroundCopyManager_GetJob(manager, &id, &job)))
        {
            report_failure(L"find job", hr);
            return NULL;
        }
        return job;
    }
    if (FAILED(hr = IBackgroundCopyManager_EnumJobs(manager, 0, &jobs)))
    {
        report_failure(L"enumerate jobs", hr);
        return NULL;
    }
    while (IEnumBackgroundCopyJobs_Next(jobs, 1, &job, NULL) == S_OK)
    {
        display = NULL;
        if (SUCCEEDED(IBackgroundCopyJob_GetDisplayName(job, &display)) && display && !wcscmp(display, name))
        {
            if (!matches++)
            {
                found = job;
                IBackgroundCopyJob_AddRef(found);
            }
        }
        CoTaskMemFree(display);
        IBackgroundCopyJob_Release(job);
    }
    IEnumBackgroundCopyJobs_Release(jobs);
    if (matches == 1) return found;
    if (found) IBackgroundCopyJob_Release(found);
    if (!matches) out(L"Unable to find job named '%s'.\n", name);
    else out(L"Found %u jobs named '%s'. Use the job's GUID instead.\n", matches, name);
    return NULL;
}

void *job_interface(IBackgroundCopyJob *job, REFIID riid, const WCHAR *action)
{
    void *object;
    HRESULT hr;

    if (FAILED(hr = IBackgroundCopyJob_QueryInterface(job, riid, &object)))
    {
        report_failure(action, hr);
        return NULL;
    }
    return object;
}

static void print_guid(const GUID *id)
{
    WCHAR text[40];

    StringFromGUID2(id, text, ARRAY_SIZE(text));
    out(L"%s", text);
}

void print_job_line(IBackgroundCopyJob *job)
{
    WCHAR *display = NULL, done[32], total[32];
    BG_JOB_PROGRESS progress = {0};
    BG_JOB_STATE state = 0;
    GUID id = {0};

    IBackgroundCopyJob_GetId(job, &id);
    IBackgroundCopyJob_GetDisplayName(job, &display);
    IBackgroundCopyJob_GetState(job, &state);
    IBackgroundCopyJob_GetProgress(job, &progress);
    print_guid(&id);
    out(L" '%s' %s %lu / %lu %s / %s\n", display ? display : L"", state_name(state), progress.FilesTransferred,
        progress.FilesTotal, size_text(progress.BytesTransferred, done), size_text(progress.BytesTotal, total));
    CoTaskMemFree(display);
}

void print_file_line(IBackgroundCopyFile *file)
{
    WCHAR *remote = NULL, *local = NULL, done[32], total[32];
    BG_FILE_PROGRESS progress = {0};

    IBackgroundCopyFile_GetRemoteName(file, &remote);
    IBackgroundCopyFile_GetLocalName(file, &local);
    IBackgroundCopyFile_GetProgress(file, &progress);
    out(L"%s / %s %s %s -> %s\n", size_text(progress.BytesTransferred, done), size_text(progress.BytesTotal, total),
        progress.Completed ? L"COMPLETED" : L"WORKING", remote ? remote : L"", local ? local : L"");
    CoTaskMemFree(remote);
    CoTaskMemFree(local);
}

/* Prints the job's files, one line each; returns how many, or -1 after reporting a failure. */
static int print_files(IBackgroundCopyJob *job, const WCHAR *indent)
{
    IEnumBackgroundCopyFiles *files;
    IBackgroundCopyFile *file;
    int count = 0;
    HRESULT hr;

    if (FAILED(hr = IBackgroundCopyJob_EnumFiles(job, &files)))
    {
        report_failure(L"enumerate files", hr);
        return -1;
    }
    while (IEnumBackgroundCopyFiles_Next(files, 1, &file, NULL) == S_OK)
    {
        out(L"%s", indent);
        print_file_line(file);
        IBackgroundCopyFile_Release(file);
        count++;
    }
    IEnumBackgroundCopyFiles_Release(files);
    return count;
}

/* The three lines of /geterror and of a failed job's /info /verbose. */
HRESULT print_job_error(IBackgroundCopyJob *job)
{
    IBackgroundCopyError *error;
    IBackgroundCopyFile *file;
    BG_ERROR_CONTEXT context;
    WCHAR *text = NULL, *remote = NULL, *local = NULL;
    HRESULT hr, code;

    if (FAILED(hr = IBackgroundCopyJob_GetError(job, &error))) return hr;
    if (FAILED(hr = IBackgroundCopyError_GetError(error, &context, &code)))
    {
        IBackgroundCopyError_Release(error);
        return hr;
    }
    if (SUCCEEDED(IBackgroundCopyError_GetFile(error, &file)))
    {
        IBackgroundCopyFile_GetRemoteName(file, &remote);
        IBackgroundCopyFile_GetLocalName(file, &local);
        out(L"ERROR FILE:    %s -> %s\n", remote ? remote : L"", local ? local : L"");
        CoTaskMemFree(remote);
        CoTaskMemFree(local);
        IBackgroundCopyFile_Release(file);
    }
    else out(L"ERROR FILE:    (none)\n");
    if (FAILED(IBackgroundCopyError_GetErrorDescription(error, LANGIDFROMLCID(GetThreadLocale()), &text))) text = NULL;
    out(L"ERROR CODE:    0x%08lx - %s\n", code, text ? text : L"");
    CoTaskMemFree(text);
    if (FAILED(IBackgroundCopyError_GetErrorContextDescription(error, LANGIDFROMLCID(GetThreadLocale()), &text)))
        text = NULL;
    out(L"ERROR CONTEXT: 0x%08lx - %s\n", (ULONG)context, text ? text : L"");
    CoTaskMemFree(text);
    IBackgroundCopyError_Release(error);
    return S_OK;
}

static void print_acl_flags(DWORD flags)
{
    if (flags & BG_COPY_FILE_OWNER) out(L"O");
    if (flags & BG_COPY_FILE_GROUP) out(L"G");
    if (flags & BG_COPY_FILE_DACL) out(L"D");
    if (flags & BG_COPY_FILE_SACL) out(L"S");
}

static const WCHAR *integrity_name(ULONG level)
{
    if (level >= SECURITY_MANDATORY_SYSTEM_RID) return L"SYSTEM";
    if (level >= SECURITY_MANDATORY_HIGH_RID) return L"HIGH";
    if (level >= SECURITY_MANDATORY_MEDIUM_RID) return L"MEDIUM";
    if (level >= SECURITY_MANDATORY_LOW_RID) return L"LOW";
    return L"UNTRUSTED";
}

static void print_verbose(IBackgroundCopyJob *job)
{
    WCHAR created[64], modified[64], completed[64], *text = NULL, *list = NULL, *bypass = NULL;
    IBackgroundCopyJobHttpOptions *http;
    IBackgroundCopyJob2 *job2;
    IBackgroundCopyJob3 *job3;
    IBackgroundCopyJob4 *job4;
    BG_JOB_PROXY_USAGE usage = 0;
    BG_JOB_STATE state = 0;
    BG_JOB_TIMES times = {{0}};
    ULONG value = 0, value2 = 0, errors = 0;
    DWORD flags = 0;
    IUnknown *notify = NULL;
    BOOL elevated = FALSE;

    IBackgroundCopyJob_GetTimes(job, &times);
    out(L"CREATION TIME: %s MODIFICATION TIME: %s\n", time_text(&times.CreationTime, created),
        time_text(&times.ModificationTime, modified));
    out(L"COMPLETION TIME: %s", time_text(&times.TransferCompletionTime, completed));
    out(L" ACL FLAGS: ");
    if (SUCCEEDED(IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob3, (void **)&job3)))
    {
        if (SUCCEEDED(IBackgroundCopyJob3_GetFileACLFlags(job3, &flags))) print_acl_flags(flags);
        IBackgroundCopyJob3_Release(job3);
    }
    out(L"\n");
    IBackgroundCopyJob_GetNotifyFlags(job, &value);
    IBackgroundCopyJob_GetNotifyInterface(job, &notify);
    out(L"NOTIFY INTERFACE: %s NOTIFICATION FLAGS: %lu\n", notify ? L"REGISTERED" : L"UNREGISTERED", value);
    if (notify) IUnknown_Release(notify);
    IBackgroundCopyJob_GetMinimumRetryDelay(job, &value);
    IBackgroundCopyJob_GetNoProgressTimeout(job, &value2);
    IBackgroundCopyJob_GetErrorCount(job, &errors);
    out(L"RETRY DELAY: %lu NO PROGRESS TIMEOUT: %lu ERROR COUNT: %lu\n", value, value2, errors);
    IBackgroundCopyJob_GetProxySettings(job, &usage, &list, &bypass);
    out(L"PROXY USAGE: %s PROXY LIST: %s PROXY BYPASS LIST: %s\n", proxy_usage_name(usage),
        list && *list ? list : L"NULL", bypass && *bypass ? bypass : L"NULL");
    CoTaskMemFree(list);
    CoTaskMemFree(bypass);
    IBackgroundCopyJob_GetState(job, &state);
    if (state == BG_JOB_STATE_ERROR || state == BG_JOB_STATE_TRANSIENT_ERROR) print_job_error(job);
    IBackgroundCopyJob_GetDescription(job, &text);
    out(L"DESCRIPTION: %s\n", text ? text : L"");
    CoTaskMemFree(text);
    out(L"JOB FILES:\n");
    print_files(job, L"\t");
    text = NULL;
    if (SUCCEEDED(IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob2, (void **)&job2)))
    {
        WCHAR *parameters = NULL;

        if (SUCCEEDED(IBackgroundCopyJob2_GetNotifyCmdLine(job2, &text, &parameters)) && text && *text)
            out(L"NOTIFICATION COMMAND LINE: '%s' '%s'\n", text, parameters ? parameters : L"");
        else
            out(L"NOTIFICATION COMMAND LINE: none\n");
        CoTaskMemFree(text);
        CoTaskMemFree(parameters);
        IBackgroundCopyJob2_Release(job2);
    }
    if (SUCCEEDED(IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob4, (void **)&job4)))
    {
        value = 0;
        IBackgroundCopyJob4_GetOwnerIntegrityLevel(job4, &value);
        IBackgroundCopyJob4_GetOwnerElevationState(job4, &elevated);
        out(L"owner MIC integrity level: %s\n", integrity_name(value));
        out(L"owner elevated ?           %s\n", elevated ? L"true" : L"false");
        flags = 0;
        IBackgroundCopyJob4_GetPeerCachingFlags(job4, &flags);
        out(L"\nPeercaching flags\n");
        out(L"\tEnable download from peers      :%s\n", flags & BG_JOB_ENABLE_PEERCACHING_CLIENT ? L"true" : L"false");
        out(L"\tEnable serving to peers         :%s\n", flags & BG_JOB_ENABLE_PEERCACHING_SERVER ? L"true" : L"false");
        out(L"\n");
        IBackgroundCopyJob4_Release(job4);
    }
    if (SUCCEEDED(IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJobHttpOptions, (void **)&http)))
    {
        HRESULT hr;

        text = NULL;
        hr = IBackgroundCopyJobHttpOptions_GetCustomHeaders(http, &text);
        if (hr == E_ACCESSDENIED) out(L"CUSTOM HEADERS: (write-only)\n");
        else out(L"CUSTOM HEADERS: %s\n", SUCCEEDED(hr) && text && *text ? text : L"NULL");
        CoTaskMemFree(text);
        IBackgroundCopyJobHttpOptions_Release(http);
    }
}

void print_job_info(IBackgroundCopyJob *job, BOOL verbose)
{
    WCHAR *display = NULL, *owner = NULL, *account = NULL, done[32], total[32];
    BG_JOB_PROGRESS progress = {0};
    BG_JOB_PRIORITY priority = 0;
    BG_JOB_STATE state = 0;
    BG_JOB_TYPE type = 0;
    GUID id = {0};

    IBackgroundCopyJob_GetId(job, &id);
    IBackgroundCopyJob_GetDisplayName(job, &display);
    IBackgroundCopyJob_GetType(job, &type);
    IBackgroundCopyJob_GetState(job, &state);
    IBackgroundCopyJob_GetPriority(job, &priority);
    IBackgroundCopyJob_GetProgress(job, &progress);
    if (SUCCEEDED(IBackgroundCopyJob_GetOwner(job, &owner)) && owner) account = account_name(owner);
    out(L"GUID: ");
    print_guid(&id);
    out(L" DISPLAY: '%s'\n", display ? display : L"");
    out(L"TYPE: %s STATE: %s OWNER: %s\n", type_name(type), state_name(state), account ? account : L"");
    out(L"PRIORITY: %s FILES: %lu / %lu BYTES: %s / %s\n", priority_name(priority), progress.FilesTransferred,
        progress.FilesTotal, size_text(progress.BytesTransferred, done), size_text(progress.BytesTotal, total));
    CoTaskMemFree(display);
    CoTaskMemFree(owner);
    free(account);
    if (verbose) print_verbose(job);
}

/* ---- the commands ------------------------------------------------------- */

static int cmd_create(const struct command *command, int argc, WCHAR **argv)
{
    BG_JOB_TYPE type = BG_JOB_TYPE_DOWNLOAD;
    IBackgroundCopyJob *job;
    WCHAR text[40];
    HRESULT hr;
    GUID id;

    /* A type alone is no name: "/create /upload" is a mistake, not a job named "/upload". */
    if (argc == 1 && (is_switch(argv[0], L"download") || is_switch(argv[0], L"upload") ||
                      is_switch(argv[0], L"upload-reply")))
        return report_usage(command->syntax);
    if (argc == 2)
    {
        if (is_switch(argv[0], L"download")) type = BG_JOB_TYPE_DOWNLOAD;
        else if (is_switch(argv[0], L"upload")) type = BG_JOB_TYPE_UPLOAD;
        else if (is_switch(argv[0], L"upload-reply")) type = BG_JOB_TYPE_UPLOAD_REPLY;
        else return report_usage(command->syntax);
        argv++;
        argc--;
    }
    if (argc != 1) return report_usage(command->syntax);
    if (FAILED(hr = IBackgroundCopyManager_CreateJob(manager, argv[0], type, &id, &job)))
        return report_failure(L"create job", hr);
    IBackgroundCopyJob_Release(job);
    StringFromGUID2(&id, text, ARRAY_SIZE(text));
    if (raw_return) out(L"%s", text);
    else out(L"Created job %s.\n", text);
    return EXIT_OK;
}

static int cmd_addfile(const struct command *command, int argc, WCHAR **argv)
{
    IBackgroundCopyJob *job;
    HRESULT hr;

    if (argc != 3) return report_usage(command->syntax);
    if (!(job = find_job(argv[0]))) return EXIT_FAILED;
    hr = IBackgroundCopyJob_AddFile(job, argv[1], argv[2]);
    IBackgroundCopyJob_Release(job);
    if (FAILED(hr)) return report_failure(L"add file to job", hr);
    out(L"Added %s -> %s to job.\n", argv[1], argv[2]);
    return EXIT_OK;
}

/* Splits a line of an /addfileset list into its remote and local names:
 * two fields separated by blanks, either of them may be in double quotes. */
static int split_fields(WCHAR *line, WCHAR **fields, int max)
{
    int count = 0;

    for (;;)
    {
        while (*line == ' ' || *line == '\t') line++;
        if (!*line) return count;
        if (count == max) return -1;
        if (*line == '"')
        {
            fields[count++] = ++line;
            while (*line && *line != '"') line++;
            if (!*line) return -1;
        }
        else
        {
            fields[count++] = line;
            while (*line && *line != ' ' && *line != '\t') line++;
            if (!*line) return count;
        }
        *line++ = 0;
    }
}

/* Reads a text file (UTF-16 with BOM, UTF-8 with or without BOM, else the ANSI code page). */
static WCHAR *read_text_file(const WCHAR *path)
{
    HANDLE handle;
    DWORD size, got;
    char *bytes;
    WCHAR *text = NULL;
    int len;

    handle = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
    if (handle == INVALID_HANDLE_VALUE) return NULL;
    size = GetFileSize(handle, NULL);
    if (size == INVALID_FILE_SIZE || size > (16u << 20) || !(bytes = malloc(size + 2)))
    {
        /* 16 MiB of names is about 100,000 files, more than a job may hold. */
        if (size != INVALID_FILE_SIZE) SetLastError(size > (16u << 20) ? ERROR_FILE_TOO_LARGE : ERROR_OUTOFMEMORY);
        CloseHandle(handle);
        return NULL;
    }
    if (!ReadFile(handle, bytes, size, &got, NULL)) got = ~size;  /* the error is set */
    else if (got != size) SetLastError(ERROR_READ_FAULT);  /* the file shrank meanwhile */
    if (got == size)
    {
        bytes[size] = bytes[size + 1] = 0;
        if (size >= 2 && (BYTE)bytes[0] == 0xff && (BYTE)bytes[1] == 0xfe)
        {
            /* Zeroed past the end: an odd size leaves no half character unterminated. */
            if ((text = calloc(1, size + 4))) memcpy(text, bytes + 2, size - 2);
        }
        else
        {
            UINT codepage = CP_ACP;
            char *start = bytes;

            if (size >= 3 && !memcmp(bytes, "\xef\xbb\xbf", 3)) start += 3, codepage = CP_UTF8;
            else if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, bytes, size, NULL, 0) > 0) codepage = CP_UTF8;
            len = MultiByteToWideChar(codepage, 0, start, -1, NULL, 0);
            if (len > 0 && (text = malloc(len * sizeof(WCHAR))))
                MultiByteToWideChar(codepage, 0, start, -1, text, len);
        }
        if (!text) SetLastError(ERROR_OUTOFMEMORY);
    }
    free(bytes);
    CloseHandle(handle);
    return text;
}

static int cmd_addfileset(const struct command *command, int argc, WCHAR **argv)
{
    BG_FILE_INFO *infos = NULL, *grown;
    ULONG count = 0, capacity = 0;
    IBackgroundCopyJob *job;
    WCHAR *text, *line, *next, *fields[2];
    int line_number = 0, result = EXIT_OK;
    HRESULT hr;

    if (argc != 2) return report_usage(command->syntax);
    if (!(job = find_job(argv[0]))) return EXIT_FAILED;
    if (!(text = read_text_file(argv[1])))
    {
        hr = HRESULT_FROM_WIN32(GetLastError());  /* before a COM call sets another */
        IBackgroundCopyJob_Release(job);
        return report_failure(L"read the file list", hr);
    }
    for (line = text; line && *line; line = next)
    {
        size_t len;

        line_number++;
        if ((next = wcschr(line, '\n'))) *next++ = 0;
        len = wcslen(line);
        if (len && line[len - 1] == '\r') line[len - 1] = 0;
        while (*line == ' ' || *line == '\t') line++;
        if (*line == '#') continue;
        switch (split_fields(line, fields, 2))
        {
        case 0:
            continue;
        case 2:
            if (count == capacity)
            {
                capacity = capacity ? capacity * 2 : 16;
                if (!(grown = realloc(infos, capacity * sizeof(*infos)))) { result = EXIT_FAILED; goto done; }
                infos = grown;
            }
            infos[count].RemoteName = fields[0];
            infos[count].LocalName = fields[1];
            count++;
            continue;
        default:
            out(L"Line %d of %s is not a remote name and a local name.\n", line_number, argv[1]);
            result = EXIT_FAILED;
            goto done;
        }
    }
    if (!count)
    {
        out(L"%s lists no files.\n", argv[1]);
        result = EXIT_FAILED;
    }
    else if (FAILED(hr = IBackgroundCopyJob_AddFileSet(job, count, infos)))
        result = report_failure(L"add file to job", hr);
    else
        out(L"Added %lu file(s) to job.\n", count);
done:
    free(infos);
    free(text);
    IBackgroundCopyJob_Release(job);
    return result;
}

/* "offset:length,offset:length", length a number or "eof". */
static BOOL parse_ranges(const WCHAR *text, BG_FILE_RANGE **ranges, DWORD *count)
{
    const WCHAR *p = text;
    DWORD n = 1, i = 0;
    WCHAR *end;

    for (; *p; p++) if (*p == ',') n++;
    if (!(*ranges = calloc(n, sizeof(**ranges)))) return FALSE;
    for (p = text; i < n; i++)
    {
        if (!iswdigit(*p)) goto bad;
        (*ranges)[i].InitialOffset = wcstoull(p, &end, 10);
        if (*end != ':') goto bad;
        p = end + 1;
        if (!wcsnicmp(p, L"eof", 3))
        {
            (*ranges)[i].Length = BG_LENGTH_TO_EOF;
            p += 3;
        }
        else
        {
            if (!iswdigit(*p)) goto bad;
            (*ranges)[i].Length = wcstoull(p, &end, 10);
            p = end;
        }
        if (*p == ',') p++;
        else if (*p || i != n - 1) goto bad;
    }
    *count = n;
    return TRUE;
bad:
    free(*ranges);
    *ranges = NULL;
    return FALSE;
}

static int cmd_addfilewithranges(const struct command *command, int argc, WCHAR **argv)
{
    IBackgroundCopyJob3 *job3;
    IBackgroundCopyJob *job;
    BG_FILE_RANGE *ranges;
    DWORD count;
    HRESULT hr;

    if (argc != 4) return report_usage(command->syntax);
    if (!parse_ranges(argv[3], &ranges, &count)) return report_usage(command->syntax);
    if (!(job = find_job(argv[0])))
    {
        free(ranges);
        return EXIT_FAILED;
    }
    job3 = job_interface(job, &IID_IBackgroundCopyJob3, L"add file with ranges");
    IBackgroundCopyJob_Release(job);
    if (!job3)
    {
        free(ranges);
        return EXIT_FAILED;
    }
    hr = IBackgroundCopyJob3_AddFileWithRanges(job3, argv[1], argv[2], count, ranges);
    IBackgroundCopyJob3_Release(job3);
    free(ranges);
    if (FAILED(hr)) return report_failure(L"add file to job", hr);
    out(L"Added %s -> %s to job.\n", argv[1], argv[2]);
    return EXIT_OK;
}

static int cmd_replaceremoteprefix(const struct command *command, int argc, WCHAR **argv)
{
    IBackgroundCopyJob3 *job3;
    IBackgroundCopyJob *job;
    HRESULT hr;

    if (argc != 3) return report_usage(command->syntax);
    if (!(job = find_job(argv[0]))) return EXIT_FAILED;
    job3 = job_interface(job, &IID_IBackgroundCopyJob3, L"replace remote prefix");
    IBackgroundCopyJob_Release(job);
    if (!job3) return EXIT_FAILED;
    hr = IBackgroundCopyJob3_ReplaceRemotePrefix(job3, argv[1], argv[2]);
    IBackgroundCopyJob3_Release(job3);
    if (FAILED(hr)) return report_failure(L"replace remote prefix", hr);
    if (hr == S_FALSE) out(L"No file's remote name begins with %s.\n", argv[1]);
    else out(L"Remote prefix %s replaced with %s.\n", argv[1], argv[2]);
    return EXIT_OK;
}

static int cmd_listfiles(const struct command *command, int argc, WCHAR **argv)
{
    IBackgroundCopyJob *job;
    int count;

    if (argc != 1) return report_usage(command->syntax);
    if (!(job = find_job(argv[0]))) return EXIT_FAILED;
    count = print_files(job, L"");
    IBackgroundCopyJob_Release(job);
    if (count < 0) return EXIT_FAILED;
    out(L"Listed %d file(s).\n", count);
    return EXIT_OK;
}

/* /resume, /suspend, /cancel, /complete, /takeownership: one call on one job. */
static int control_job(const struct command *command, int argc, WCHAR **argv, HRESULT (*call)(IBackgroundCopyJob *),
                       const WCHAR *action, const WCHAR *done)
{
    IBackgroundCopyJob *job;
    HRESULT hr;

    if (argc != 1) return report_usage(command->syntax);
    if (!(job = find_job(argv[0]))) return EXIT_FAILED;
    hr = call(job);
    IBackgroundCopyJob_Release(job);
    if (FAILED(hr)) return report_failure(action, hr);
    if (hr == BG_S_PARTIAL_COMPLETE) out(L"Job partially completed: only the transferred files were kept.\n");
    else if (hr == BG_S_UNABLE_TO_DELETE_FILES) out(L"%s Some temporary files could not be deleted.\n", done);
    else out(L"%s\n", done);
    return EXIT_OK;
}

static HRESULT call_resume(IBackgroundCopyJob *job) { return IBackgroundCopyJob_Resume(job); }
static HRESULT call_suspend(IBackgroundCopyJob *job) { return IBackgroundCopyJob_Suspend(job); }
static HRESULT call_cancel(IBackgroundCopyJob *job) { return IBackgroundCopyJob_Cancel(job); }
static HRESULT call_complete(IBackgroundCopyJob *job) { return IBackgroundCopyJob_Complete(job); }
static HRESULT call_takeownership(IBackgroundCopyJob *job) { return IBackgroundCopyJob_TakeOwnership(job); }

static int cmd_resume(const struct command *command, int argc, WCHAR **argv)
{
    return control_job(command, argc, argv, call_resume, L"resume job", L"Job resumed.");
}

static int cmd_suspend(const struct command *command, int argc, WCHAR **argv)
{
    return control_job(command, argc, argv, call_suspend, L"suspend job", L"Job suspended.");
}

static int cmd_cancel(const struct command *command, int argc, WCHAR **argv)
{
    return control_job(command, argc, argv, call_cancel, L"cancel job", L"Job canceled.");
}

static int cmd_complete(const struct command *command, int argc, WCHAR **argv)
{
    return control_job(command, argc, argv, call_complete, L"complete job", L"Job completed.");
}

static int cmd_takeownership(const struct command *command, int argc, WCHAR **argv)
{
    return control_job(command, argc, argv, call_takeownership, L"take ownership",
                       L"Ownership taken.");
}

/* Parses the /allusers and /verbose flags that /list, /reset and /monitor accept. */
static BOOL parse_list_flags(int argc, WCHAR **argv, BOOL *all_users, BOOL *verbose)
{
    int i;

    for (i = 0; i < argc; i++)
    {
        if (is_switch(argv[i], L"allusers")) *all_users = TRUE;
        else if (verbose && is_switch(argv[i], L"verbose")) *verbose = TRUE;
        else return FALSE;
    }
    return TRUE;
}

static int cmd_list(const struct command *command, int argc, WCHAR **argv)
{
    IEnumBackgroundCopyJobs *jobs;
    IBackgroundCopyJob *job;
    BOOL all_users = FALSE, verbose = FALSE;
    int count = 0;
    HRESULT hr;

    if (!parse_list_flags(argc, argv, &all_users, &verbose)) return report_usage(command->syntax);
    if (FAILED(hr = IBackgroundCopyManager_EnumJobs(manager, all_users ? BG_JOB_ENUM_ALL_USERS : 0, &jobs)))
        return report_failure(L"enumerate jobs", hr);
    while (IEnumBackgroundCopyJobs_Next(jobs, 1, &job, NULL) == S_OK)
    {
        if (verbose)
        {
            print_job_info(job, TRUE);
            out(L"\n");
        }
        else print_job_line(job);
        IBackgroundCopyJob_Release(job);
        count++;
    }
    IEnumBackgroundCopyJobs_Release(jobs);
    out(L"Listed %d job(s).\n", count);
    return EXIT_OK;
}

static int cmd_info(const struct command *command, int argc, WCHAR **argv)
{
    IBackgroundCopyJob *job;
    BOOL verbose = FALSE;

    if (argc == 2 && is_switch(argv[1], L"verbose")) verbose = TRUE;
    else if (argc != 1) return report_usage(command->syntax);
    if (!(job = find_job(argv[0]))) return EXIT_FAILED;
    print_job_info(job, verbose);
    IBackgroundCopyJob_Release(job);
    return EXIT_OK;
}

static int cmd_reset(const struct command *command, int argc, WCHAR **argv)
{
    IEnumBackgroundCopyJobs *jobs;
    IBackgroundCopyJob *job;
    BOOL all_users = FALSE;
    int total = 0, canceled = 0;
    WCHAR text[40];
    HRESULT hr;
    GUID id;

    if (!parse_list_flags(argc, argv, &all_users, NULL)) return report_usage(command->syntax);
    if (FAILED(hr = IBackgroundCopyManager_EnumJobs(manager, all_users ? BG_JOB_ENUM_ALL_USERS : 0, &jobs)))
        return report_failure(L"enumerate jobs", hr);
    while (IEnumBackgroundCopyJobs_Next(jobs, 1, &job, NULL) == S_OK)
    {
        total++;
        IBackgroundCopyJob_GetId(job, &id);
        StringFromGUID2(&id, text, ARRAY_SIZE(text));
        if (SUCCEEDED(hr = IBackgroundCopyJob_Cancel(job)))
        {
            out(L"%s canceled.\n", text);
            canceled++;
        }
        else
        {
            WCHAR action[64];

            swprintf(action, ARRAY_SIZE(action), L"cancel %s", text);
            report_failure(action, hr);
        }
        IBackgroundCopyJob_Release(job);
    }
    IEnumBackgroundCopyJobs_Release(jobs);
    out(L"%d out of %d jobs canceled.\n", canceled, total);
    return canceled == total ? EXIT_OK : EXIT_FAILED;
}

/* Ctrl+C ends /monitor, as on Windows; the console handler only sets the event. */
static HANDLE monitor_stop;

static BOOL WINAPI monitor_ctrl_handler(DWORD type)
{
    SetEvent(monitor_stop);
    return TRUE;
}

static int cmd_monitor(const struct command *command, int argc, WCHAR **argv)
{
    IEnumBackgroundCopyJobs *jobs;
    IBackgroundCopyJob *job;
    BOOL all_users = FALSE, console;
    ULONG refresh = 5;
    DWORD mode;
    HRESULT hr;
    int i;

    for (i = 0; i < argc; i++)
    {
        if (is_switch(argv[i], L"allusers")) all_users = TRUE;
        else if (is_switch(argv[i], L"refresh") && i + 1 < argc && parse_ulong(argv[i + 1], &refresh) && refresh) i++;
        else return report_usage(command->syntax);
    }
    console = GetConsoleMode(GetStdHandle(STD_OUTPUT_HANDLE), &mode);
    monitor_stop = CreateEventW(NULL, TRUE, FALSE, NULL);
    SetConsoleCtrlHandler(monitor_ctrl_handler, TRUE);
    do
    {
        /* On a console each screen replaces the last; elsewhere they follow each other. */
        if (console) clear_console();
        out(L"MONITORING BACKGROUND COPY MANAGER(%lu seconds refresh)\n", refresh);
        if (FAILED(hr = IBackgroundCopyManager_EnumJobs(manager, all_users ? BG_JOB_ENUM_ALL_USERS : 0, &jobs)))
            return report_failure(L"enumerate jobs", hr);
        while (IEnumBackgroundCopyJobs_Next(jobs, 1, &job, NULL) == S_OK)
        {
            print_job_line(job);
            IBackgroundCopyJob_Release(job);
        }
        IEnumBackgroundCopyJobs_Release(jobs);
        out_flush();
    } while (WaitForSingleObject(monitor_stop, refresh > 86400 ? 86400000 : refresh * 1000) == WAIT_TIMEOUT);
    return EXIT_OK;
}

const struct command job_commands[] =
{
    { L"create", cmd_create, TRUE, L"/CREATE [type] display_name   type: /DOWNLOAD, /UPLOAD or /UPLOAD-REPLY" },
    { L"addfile", cmd_addfile, TRUE, L"/ADDFILE job remote_url local_name" },
    { L"addfileset", cmd_addfileset, TRUE, L"/ADDFILESET job textfile" },
    { L"addfilewithranges", cmd_addfilewithranges, TRUE,
      L"/ADDFILEWITHRANGES job remote_url local_name range_list   range_list: offset:length[,offset:length...], length may be eof" },
    { L"replaceremoteprefix", cmd_replaceremoteprefix, TRUE, L"/REPLACEREMOTEPREFIX job old_prefix new_prefix" },
    { L"listfiles", cmd_listfiles, TRUE, L"/LISTFILES job" },
    { L"resume", cmd_resume, TRUE, L"/RESUME job" },
    { L"suspend", cmd_suspend, TRUE, L"/SUSPEND job" },
    { L"cancel", cmd_cancel, TRUE, L"/CANCEL job" },
    { L"complete", cmd_complete, TRUE, L"/COMPLETE job" },
    { L"takeownership", cmd_takeownership, TRUE, L"/TAKEOWNERSHIP job" },
    { L"list", cmd_list, TRUE, L"/LIST [/ALLUSERS] [/VERBOSE]" },
    { L"info", cmd_info, TRUE, L"/INFO job [/VERBOSE]" },
    { L"reset", cmd_reset, TRUE, L"/RESET [/ALLUSERS]" },
    { L"monitor", cmd_monitor, TRUE, L"/MONITOR [/ALLUSERS] [/REFRESH sec]" },
    { NULL }
};
