/*
 * bitsadmin: the /get* and /set* switches of a job's properties
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

/* ---- the getters -------------------------------------------------------- */

enum job_value
{
    VALUE_TYPE, VALUE_STATE, VALUE_PRIORITY, VALUE_BYTES_TOTAL, VALUE_BYTES_TRANSFERRED, VALUE_FILES_TOTAL,
    VALUE_FILES_TRANSFERRED, VALUE_CREATION_TIME, VALUE_MODIFICATION_TIME, VALUE_COMPLETION_TIME,
    VALUE_DISPLAY_NAME, VALUE_DESCRIPTION, VALUE_ERROR_COUNT, VALUE_OWNER, VALUE_MIN_RETRY_DELAY,
    VALUE_NO_PROGRESS_TIMEOUT, VALUE_MAX_DOWNLOAD_TIME, VALUE_NOTIFY_FLAGS, VALUE_NOTIFY_INTERFACE,
    VALUE_NOTIFY_CMDLINE, VALUE_PROXY_USAGE, VALUE_PROXY_LIST, VALUE_PROXY_BYPASS_LIST, VALUE_REPLY_FILE_NAME,
    VALUE_REPLY_PROGRESS, VALUE_REPLY_DATA, VALUE_ACL_FLAGS, VALUE_PEER_CACHING_FLAGS, VALUE_CUSTOM_HEADERS,
    VALUE_SECURITY_FLAGS, VALUE_CLIENT_CERTIFICATE, VALUE_HTTP_METHOD, VALUE_ERROR,
};

static const WCHAR *store_location_names[] =
{
    L"CURRENT_USER", L"LOCAL_MACHINE", L"CURRENT_SERVICE", L"SERVICES", L"USERS",
    L"CURRENT_USER_GROUP_POLICY", L"LOCAL_MACHINE_GROUP_POLICY", L"LOCAL_MACHINE_ENTERPRISE",
};

static void print_string(const WCHAR *text)
{
    out(L"%s", text ? text : L"");
    out_end();
}

static void print_ulong(ULONG value)
{
    out(L"%lu", value);
    out_end();
}

static void print_hex_dump(const BYTE *data, UINT64 size)
{
    UINT64 offset, i;

    for (offset = 0; offset < size; offset += 16)
    {
        out(L"%08I64x ", offset);
        for (i = offset; i < offset + 16; i++)
        {
            if (i < size) out(L" %02x", data[i]);
            else out(L"   ");
        }
        out(L"  ");
        for (i = offset; i < offset + 16 && i < size; i++)
            out(L"%c", data[i] >= 0x20 && data[i] < 0x7f ? data[i] : '.');
        out(L"\n");
    }
}

/* Prints the value of a job's property; a failed call is reported by the caller. */
static HRESULT print_value(IBackgroundCopyJob *job, enum job_value value)
{
    IBackgroundCopyJobHttpOptions2 *http = NULL;
    IBackgroundCopyJob2 *job2 = NULL;
    IBackgroundCopyJob3 *job3 = NULL;
    IBackgroundCopyJob4 *job4 = NULL;
    WCHAR buf[64], *text = NULL, *text2 = NULL;
    BG_JOB_PROGRESS progress;
    BG_JOB_PRIORITY priority;
    BG_JOB_PROXY_USAGE usage;
    BG_JOB_STATE state;
    BG_JOB_TIMES times;
    BG_JOB_TYPE type;
    ULONG number = 0;
    HRESULT hr;

    switch (value)
    {
    case VALUE_TYPE:
        if (SUCCEEDED(hr = IBackgroundCopyJob_GetType(job, &type))) print_string(type_name(type));
        return hr;
    case VALUE_STATE:
        if (SUCCEEDED(hr = IBackgroundCopyJob_GetState(job, &state))) print_string(state_name(state));
        return hr;
    case VALUE_PRIORITY:
        if (SUCCEEDED(hr = IBackgroundCopyJob_GetPriority(job, &priority))) print_string(priority_name(priority));
        return hr;
    case VALUE_BYTES_TOTAL:
    case VALUE_BYTES_TRANSFERRED:
    case VALUE_FILES_TOTAL:
    case VALUE_FILES_TRANSFERRED:
        if (FAILED(hr = IBackgroundCopyJob_GetProgress(job, &progress))) return hr;
        if (value == VALUE_BYTES_TOTAL) print_string(size_text(progress.BytesTotal, buf));
        else if (value == VALUE_BYTES_TRANSFERRED) print_string(size_text(progress.BytesTransferred, buf));
        else print_ulong(value == VALUE_FILES_TOTAL ? progress.FilesTotal : progress.FilesTransferred);
        return hr;
    case VALUE_CREATION_TIME:
    case VALUE_MODIFICATION_TIME:
    case VALUE_COMPLETION_TIME:
        if (FAILED(hr = IBackgroundCopyJob_GetTimes(job, &times))) return hr;
        print_string(time_text(value == VALUE_CREATION_TIME ? &times.CreationTime
                               : value == VALUE_MODIFICATION_TIME ? &times.ModificationTime
                               : &times.TransferCompletionTime, buf));
        return hr;
    case VALUE_DISPLAY_NAME:
        if (SUCCEEDED(hr = IBackgroundCopyJob_GetDisplayName(job, &text))) print_string(text);
        break;
    case VALUE_DESCRIPTION:
        if (SUCCEEDED(hr = IBackgroundCopyJob_GetDescription(job, &text))) print_string(text);
        break;
    case VALUE_ERROR_COUNT:
        if (SUCCEEDED(hr = IBackgroundCopyJob_GetErrorCount(job, &number))) print_ulong(number);
        return hr;
    case VALUE_OWNER:
        if (SUCCEEDED(hr = IBackgroundCopyJob_GetOwner(job, &text)))
        {
            WCHAR *account = account_name(text);
            print_string(account);
            free(account);
        }
        break;
    case VALUE_MIN_RETRY_DELAY:
        if (SUCCEEDED(hr = IBackgroundCopyJob_GetMinimumRetryDelay(job, &number))) print_ulong(number);
        return hr;
    case VALUE_NO_PROGRESS_TIMEOUT:
        if (SUCCEEDED(hr = IBackgroundCopyJob_GetNoProgressTimeout(job, &number))) print_ulong(number);
        return hr;
    case VALUE_NOTIFY_FLAGS:
        if (SUCCEEDED(hr = IBackgroundCopyJob_GetNotifyFlags(job, &number))) print_ulong(number);
        return hr;
    case VALUE_NOTIFY_INTERFACE:
    {
        IUnknown *notify = NULL;

        if (FAILED(hr = IBackgroundCopyJob_GetNotifyInterface(job, &notify))) return hr;
        print_string(notify ? L"REGISTERED" : L"UNREGISTERED");
        if (notify) IUnknown_Release(notify);
        return hr;
    }
    case VALUE_PROXY_USAGE:
    case VALUE_PROXY_LIST:
    case VALUE_PROXY_BYPASS_LIST:
        if (FAILED(hr = IBackgroundCopyJob_GetProxySettings(job, &usage, &text, &text2))) return hr;
        if (value == VALUE_PROXY_USAGE) print_string(proxy_usage_name(usage));
        else if (value == VALUE_PROXY_LIST) print_string(text && *text ? text : L"NULL");
        else print_string(text2 && *text2 ? text2 : L"NULL");
        break;
    case VALUE_ERROR:
        return print_job_error(job);
    case VALUE_NOTIFY_CMDLINE:
    case VALUE_REPLY_FILE_NAME:
    case VALUE_REPLY_PROGRESS:
    case VALUE_REPLY_DATA:
        if (FAILED(hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob2, (void **)&job2))) return hr;
        if (value == VALUE_NOTIFY_CMDLINE)
        {
            if (SUCCEEDED(hr = IBackgroundCopyJob2_GetNotifyCmdLine(job2, &text, &text2)))
            {
                if (text && *text) out(L"'%s' '%s'", text, text2 ? text2 : L"");
                else out(L"none");
                out_end();
            }
        }
        else if (value == VALUE_REPLY_FILE_NAME)
        {
            if (SUCCEEDED(hr = IBackgroundCopyJob2_GetReplyFileName(job2, &text)))
                print_string(text && *text ? text : L"(null)");
        }
        else if (value == VALUE_REPLY_PROGRESS)
        {
            BG_JOB_REPLY_PROGRESS reply;
            WCHAR total[32];

            if (SUCCEEDED(hr = IBackgroundCopyJob2_GetReplyProgress(job2, &reply)))
            {
                out(L"%s / %s", size_text(reply.BytesTransferred, buf), size_text(reply.BytesTotal, total));
                out_end();
            }
        }
        else
        {
            UINT64 size = 0;
            BYTE *data = NULL;

            if (SUCCEEDED(hr = IBackgroundCopyJob2_GetReplyData(job2, &data, &size)))
            {
                out(L"Reply data: %I64u bytes\n", size);
                print_hex_dump(data, size);
            }
            CoTaskMemFree(data);
        }
        IBackgroundCopyJob2_Release(job2);
        break;
    case VALUE_ACL_FLAGS:
    {
        DWORD flags = 0;

        if (FAILED(hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob3, (void **)&job3))) return hr;
        if (SUCCEEDED(hr = IBackgroundCopyJob3_GetFileACLFlags(job3, &flags)))
        {
            out(L"%s%s%s%s", flags & BG_COPY_FILE_OWNER ? L"O" : L"", flags & BG_COPY_FILE_GROUP ? L"G" : L"",
                flags & BG_COPY_FILE_DACL ? L"D" : L"", flags & BG_COPY_FILE_SACL ? L"S" : L"");
            out_end();
        }
        IBackgroundCopyJob3_Release(job3);
        return hr;
    }
    case VALUE_PEER_CACHING_FLAGS:
    case VALUE_MAX_DOWNLOAD_TIME:
        if (FAILED(hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob4, (void **)&job4))) return hr;
        if (value == VALUE_PEER_CACHING_FLAGS) hr = IBackgroundCopyJob4_GetPeerCachingFlags(job4, &number);
        else hr = IBackgroundCopyJob4_GetMaximumDownloadTime(job4, &number);
        if (SUCCEEDED(hr)) print_ulong(number);
        IBackgroundCopyJob4_Release(job4);
        return hr;
    case VALUE_CUSTOM_HEADERS:
    case VALUE_SECURITY_FLAGS:
    case VALUE_CLIENT_CERTIFICATE:
        if (FAILED(hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJobHttpOptions, (void **)&http)))
            return hr;
        if (value == VALUE_CUSTOM_HEADERS)
        {
            if (SUCCEEDED(hr = IBackgroundCopyJobHttpOptions2_GetCustomHeaders(http, &text)))
                print_string(text && *text ? text : L"NULL");
        }
        else if (value == VALUE_SECURITY_FLAGS)
        {
            if (SUCCEEDED(hr = IBackgroundCopyJobHttpOptions2_GetSecurityFlags(http, &number)))
            {
                out(L"0x%lx", number);
                out_end();
            }
        }
        else
        {
            BG_CERT_STORE_LOCATION location;
            BYTE *hash = NULL;
            unsigned int i;

            if (SUCCEEDED(hr = IBackgroundCopyJobHttpOptions2_GetClientCertificate(http, &location, &text, &hash, &text2)))
            {
                out(L"STORE LOCATION: %s STORE NAME: %s CERT ID: ", (unsigned int)location < ARRAY_SIZE(store_location_names)
                    ? store_location_names[location] : L"UNKNOWN", text ? text : L"");
                for (i = 0; hash && i < 20; i++) out(L"%02x", hash[i]);
                out(L" SUBJECT NAME: %s", text2 ? text2 : L"");
                out_end();
            }
            CoTaskMemFree(hash);
        }
        IBackgroundCopyJobHttpOptions2_Release(http);
        break;
    case VALUE_HTTP_METHOD:
        if (FAILED(hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJobHttpOptions2, (void **)&http)))
            return hr;
        if (SUCCEEDED(hr = IBackgroundCopyJobHttpOptions2_GetHttpMethod(http, &text))) print_string(text);
        IBackgroundCopyJobHttpOptions2_Release(http);
        break;
    default:
        return E_INVALIDARG;  /* not a value of the table */
    }
    CoTaskMemFree(text);
    CoTaskMemFree(text2);
    return hr;
}

/* For "Unable to get <what> - 0x...". */
static const WCHAR *value_names[] =
{
    [VALUE_TYPE] = L"job type", [VALUE_STATE] = L"job state", [VALUE_PRIORITY] = L"priority",
    [VALUE_BYTES_TOTAL] = L"job progress", [VALUE_BYTES_TRANSFERRED] = L"job progress",
    [VALUE_FILES_TOTAL] = L"job progress", [VALUE_FILES_TRANSFERRED] = L"job progress",
    [VALUE_CREATION_TIME] = L"job times", [VALUE_MODIFICATION_TIME] = L"job times",
    [VALUE_COMPLETION_TIME] = L"job times", [VALUE_DISPLAY_NAME] = L"display name",
    [VALUE_DESCRIPTION] = L"description", [VALUE_ERROR_COUNT] = L"error count", [VALUE_OWNER] = L"owner",
    [VALUE_MIN_RETRY_DELAY] = L"minimum retry delay", [VALUE_NO_PROGRESS_TIMEOUT] = L"no progress timeout",
    [VALUE_MAX_DOWNLOAD_TIME] = L"maximum download time", [VALUE_NOTIFY_FLAGS] = L"notification flags",
    [VALUE_NOTIFY_INTERFACE] = L"notification interface", [VALUE_NOTIFY_CMDLINE] = L"notification command line",
    [VALUE_PROXY_USAGE] = L"proxy settings", [VALUE_PROXY_LIST] = L"proxy settings",
    [VALUE_PROXY_BYPASS_LIST] = L"proxy settings", [VALUE_REPLY_FILE_NAME] = L"reply file name",
    [VALUE_REPLY_PROGRESS] = L"reply progress", [VALUE_REPLY_DATA] = L"reply data", [VALUE_ACL_FLAGS] = L"ACL flags",
    [VALUE_PEER_CACHING_FLAGS] = L"peer caching flags", [VALUE_CUSTOM_HEADERS] = L"custom headers",
    [VALUE_SECURITY_FLAGS] = L"security flags", [VALUE_CLIENT_CERTIFICATE] = L"client certificate",
    [VALUE_HTTP_METHOD] = L"HTTP method", [VALUE_ERROR] = L"error",
};

static int cmd_get(const struct command *command, int argc, WCHAR **argv)
{
    IBackgroundCopyJob *job;
    WCHAR action[64];
    HRESULT hr;

    if (argc != 1) return report_usage(command->syntax);
    if (!(job = find_job(argv[0]))) return EXIT_FAILED;
    hr = print_value(job, command->param);
    IBackgroundCopyJob_Release(job);
    if (SUCCEEDED(hr)) return EXIT_OK;
    swprintf(action, ARRAY_SIZE(action), L"get %s", value_names[command->param]);
    return report_failure(action, hr);
}

/* /gettemporaryname and /getvalidationstate name a file by its index in the job. */
static IBackgroundCopyFile3 *find_file(IBackgroundCopyJob *job, const WCHAR *index_text)
{
    IEnumBackgroundCopyFiles *files;
    IBackgroundCopyFile *file = NULL;
    IBackgroundCopyFile3 *file3 = NULL;
    ULONG index, count = 0;
    HRESULT hr;

    if (!parse_ulong(index_text, &index))
    {
        out(L"Invalid file index: %s\n", index_text);
        return NULL;
    }
    if (FAILED(hr = IBackgroundCopyJob_EnumFiles(job, &files)))
    {
        report_failure(L"enumerate files", hr);
        return NULL;
    }
    IEnumBackgroundCopyFiles_GetCount(files, &count);
    if (index >= count || FAILED(IEnumBackgroundCopyFiles_Skip(files, index))
        || IEnumBackgroundCopyFiles_Next(files, 1, &file, NULL) != S_OK)
        out(L"Invalid file index: %s (the job has %lu file(s))\n", index_text, count);
    else if (FAILED(hr = IBackgroundCopyFile_QueryInterface(file, &IID_IBackgroundCopyFile3, (void **)&file3)))
        report_failure(L"get file", hr);
    if (file) IBackgroundCopyFile_Release(file);
    IEnumBackgroundCopyFiles_Release(files);
    return file3;
}

static int cmd_file_value(const struct command *command, int argc, WCHAR **argv)
{
    IBackgroundCopyJob *job;
    IBackgroundCopyFile3 *file;
    WCHAR *name = NULL;
    BOOL valid = FALSE;
    HRESULT hr;

    if (argc != 2) return report_usage(command->syntax);
    if (!(job = find_job(argv[0]))) return EXIT_FAILED;
    file = find_file(job, argv[1]);
    IBackgroundCopyJob_Release(job);
    if (!file) return EXIT_FAILED;
    if (command->param)
    {
        if (SUCCEEDED(hr = IBackgroundCopyFile3_GetValidationState(file, &valid))) print_string(valid ? L"TRUE" : L"FALSE");
    }
    else if (SUCCEEDED(hr = IBackgroundCopyFile3_GetTemporaryName(file, &name))) print_string(name);
    CoTaskMemFree(name);
    IBackgroundCopyFile3_Release(file);
    return FAILED(hr) ? report_failure(command->param ? L"get validation state" : L"get temporary name", hr) : EXIT_OK;
}

static int cmd_setvalidationstate(const struct command *command, int argc, WCHAR **argv)
{
    IBackgroundCopyJob *job;
    IBackgroundCopyFile3 *file;
    BOOL valid;
    HRESULT hr;

    if (argc != 3) return report_usage(command->syntax);
    if (!wcsicmp(argv[2], L"TRUE")) valid = TRUE;
    else if (!wcsicmp(argv[2], L"FALSE")) valid = FALSE;
    else return report_usage(command->syntax);
    if (!(job = find_job(argv[0]))) return EXIT_FAILED;
    file = find_file(job, argv[1]);
    IBackgroundCopyJob_Release(job);
    if (!file) return EXIT_FAILED;
    hr = IBackgroundCopyFile3_SetValidationState(file, valid);
    IBackgroundCopyFile3_Release(file);
    if (FAILED(hr)) return report_failure(L"set validation state", hr);
    out(L"Validation state set to %s.\n", valid ? L"TRUE" : L"FALSE");
    return EXIT_OK;
}

/* ---- the setters -------------------------------------------------------- */

enum job_setting
{
    SET_DISPLAY_NAME, SET_DESCRIPTION, SET_PRIORITY, SET_MIN_RETRY_DELAY, SET_NO_PROGRESS_TIMEOUT,
    SET_MAX_DOWNLOAD_TIME, SET_NOTIFY_FLAGS, SET_PEER_CACHING_FLAGS, SET_SECURITY_FLAGS, SET_REPLY_FILE_NAME,
    SET_HTTP_METHOD, SET_ACL_FLAGS,
};

static HRESULT set_value(IBackgroundCopyJob *job, enum job_setting setting, const WCHAR *text, ULONG number)
{
    IBackgroundCopyJobHttpOptions2 *http;
    IBackgroundCopyJob2 *job2;
    IBackgroundCopyJob3 *job3;
    IBackgroundCopyJob4 *job4;
    HRESULT hr;

    switch (setting)
    {
    case SET_DISPLAY_NAME: return IBackgroundCopyJob_SetDisplayName(job, text);
    case SET_DESCRIPTION: return IBackgroundCopyJob_SetDescription(job, text);
    case SET_PRIORITY: return IBackgroundCopyJob_SetPriority(job, number);
    case SET_MIN_RETRY_DELAY: return IBackgroundCopyJob_SetMinimumRetryDelay(job, number);
    case SET_NO_PROGRESS_TIMEOUT: return IBackgroundCopyJob_SetNoProgressTimeout(job, number);
    case SET_NOTIFY_FLAGS: return IBackgroundCopyJob_SetNotifyFlags(job, number);
    case SET_MAX_DOWNLOAD_TIME:
    case SET_PEER_CACHING_FLAGS:
        if (FAILED(hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob4, (void **)&job4))) return hr;
        if (setting == SET_MAX_DOWNLOAD_TIME) hr = IBackgroundCopyJob4_SetMaximumDownloadTime(job4, number);
        else hr = IBackgroundCopyJob4_SetPeerCachingFlags(job4, number);
        IBackgroundCopyJob4_Release(job4);
        return hr;
    case SET_SECURITY_FLAGS:
        if (FAILED(hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJobHttpOptions, (void **)&http)))
            return hr;
        hr = IBackgroundCopyJobHttpOptions2_SetSecurityFlags(http, number);
        IBackgroundCopyJobHttpOptions2_Release(http);
        return hr;
    case SET_HTTP_METHOD:
        if (FAILED(hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJobHttpOptions2, (void **)&http)))
            return hr;
        hr = IBackgroundCopyJobHttpOptions2_SetHttpMethod(http, text);
        IBackgroundCopyJobHttpOptions2_Release(http);
        return hr;
    case SET_REPLY_FILE_NAME:
        if (FAILED(hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob2, (void **)&job2))) return hr;
        hr = IBackgroundCopyJob2_SetReplyFileName(job2, text);
        IBackgroundCopyJob2_Release(job2);
        return hr;
    case SET_ACL_FLAGS:
        if (FAILED(hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJob3, (void **)&job3))) return hr;
        hr = IBackgroundCopyJob3_SetFileACLFlags(job3, number);
        IBackgroundCopyJob3_Release(job3);
        return hr;
    }
    return E_INVALIDARG;
}

static const struct
{
    const WCHAR *what;   /* "Priority": the confirmation says "Priority set to HIGH." */
    const WCHAR *action; /* for "Unable to set priority - 0x..." */
    enum { ARG_TEXT, ARG_NUMBER, ARG_PRIORITY, ARG_ACL } kind;
}
settings[] =
{
    [SET_DISPLAY_NAME] = { L"Display name", L"set display name", ARG_TEXT },
    [SET_DESCRIPTION] = { L"Description", L"set description", ARG_TEXT },
    [SET_PRIORITY] = { L"Priority", L"set priority", ARG_PRIORITY },
    [SET_MIN_RETRY_DELAY] = { L"Minimum retry delay", L"set minimum retry delay", ARG_NUMBER },
    [SET_NO_PROGRESS_TIMEOUT] = { L"No progress timeout", L"set no progress timeout", ARG_NUMBER },
    [SET_MAX_DOWNLOAD_TIME] = { L"Maximum download time", L"set maximum download time", ARG_NUMBER },
    [SET_NOTIFY_FLAGS] = { L"Notification flags", L"set notification flags", ARG_NUMBER },
    [SET_PEER_CACHING_FLAGS] = { L"Peer caching flags", L"set peer caching flags", ARG_NUMBER },
    [SET_SECURITY_FLAGS] = { L"Security flags", L"set security flags", ARG_NUMBER },
    [SET_REPLY_FILE_NAME] = { L"Reply file name", L"set reply file name", ARG_TEXT },
    [SET_HTTP_METHOD] = { L"HTTP method", L"set HTTP method", ARG_TEXT },
    [SET_ACL_FLAGS] = { L"ACL flags", L"set ACL flags", ARG_ACL },
};

static int cmd_set(const struct command *command, int argc, WCHAR **argv)
{
    enum job_setting setting = command->param;
    IBackgroundCopyJob *job;
    ULONG number = 0;
    HRESULT hr;

    if (argc != 2) return report_usage(command->syntax);
    switch (settings[setting].kind)
    {
    case ARG_NUMBER:
        if (!parse_ulong(argv[1], &number)) return report_usage(command->syntax);
        break;
    case ARG_PRIORITY:
        if (!parse_priority(argv[1], (BG_JOB_PRIORITY *)&number)) return report_usage(command->syntax);
        break;
    case ARG_ACL:
        if (!parse_acl_flags(argv[1], (DWORD *)&number)) return report_usage(command->syntax);
        break;
    case ARG_TEXT:
        break;
    }
    if (!(job = find_job(argv[0]))) return EXIT_FAILED;
    hr = set_value(job, setting, argv[1], number);
    IBackgroundCopyJob_Release(job);
    if (FAILED(hr)) return report_failure(settings[setting].action, hr);
    if (settings[setting].kind == ARG_PRIORITY) out(L"%s set to %s.\n", settings[setting].what, priority_name(number));
    else out(L"%s set to %s.\n", settings[setting].what, argv[1]);
    return EXIT_OK;
}

static int cmd_setnotifycmdline(const struct command *command, int argc, WCHAR **argv)
{
    const WCHAR *program;
    WCHAR *parameters = NULL;
    IBackgroundCopyJob2 *job2;
    IBackgroundCopyJob *job;
    size_t size = 1;
    HRESULT hr;
    int i;

    if (argc < 2) return report_usage(command->syntax);
    /* "NULL" clears the command line, as on Windows. */
    program = wcsicmp(argv[1], L"NULL") ? argv[1] : NULL;
    /* The parameters may be quoted as one argument or not (Microsoft's
     * example "notepad.exe notepad c:\eula.txt"): they are joined again. */
    if (argc > 3 || (argc == 3 && wcsicmp(argv[2], L"NULL")))
    {
        for (i = 2; i < argc; i++) size += wcslen(argv[i]) + 1;
        if (!(parameters = malloc(size * sizeof(WCHAR)))) return report_failure(L"set notification command line", E_OUTOFMEMORY);
        parameters[0] = 0;
        for (i = 2; i < argc; i++)
        {
            if (i > 2) wcscat(parameters, L" ");
            wcscat(parameters, argv[i]);
        }
    }
    if (!(job = find_job(argv[0])))
    {
        free(parameters);
        return EXIT_FAILED;
    }
    job2 = job_interface(job, &IID_IBackgroundCopyJob2, L"set notification command line");
    IBackgroundCopyJob_Release(job);
    hr = job2 ? IBackgroundCopyJob2_SetNotifyCmdLine(job2, program, parameters) : S_OK;
    if (job2) IBackgroundCopyJob2_Release(job2);
    if (job2 && SUCCEEDED(hr))
        out(L"Notification command line set to '%s' '%s'.\n", program ? program : L"NULL", parameters ? parameters : L"NULL");
    free(parameters);
    if (!job2) return EXIT_FAILED;
    if (FAILED(hr)) return report_failure(L"set notification command line", hr);
    return EXIT_OK;
}

static int cmd_setproxysettings(const struct command *command, int argc, WCHAR **argv)
{
    const WCHAR *list = NULL, *bypass = NULL;
    BG_JOB_PROXY_USAGE usage;
    IBackgroundCopyJob *job;
    HRESULT hr;

    if (argc < 2) return report_usage(command->syntax);
    for (usage = BG_JOB_PROXY_USAGE_PRECONFIG; usage <= BG_JOB_PROXY_USAGE_AUTODETECT; usage++)
        if (!wcsicmp(argv[1], proxy_usage_name(usage))) break;
    if (usage > BG_JOB_PROXY_USAGE_AUTODETECT) return report_usage(command->syntax);
    if (usage == BG_JOB_PROXY_USAGE_OVERRIDE)
    {
        /* The bypass list may be left out (Microsoft's example "OVERRIDE proxy1:80"). */
        if (argc != 3 && argc != 4) return report_usage(command->syntax);
        list = argv[2];
        bypass = argc == 4 && wcsicmp(argv[3], L"NULL") ? argv[3] : NULL;
    }
    else if (argc != 2) return report_usage(command->syntax);
    if (!(job = find_job(argv[0]))) return EXIT_FAILED;
    hr = IBackgroundCopyJob_SetProxySettings(job, usage, list, bypass);
    IBackgroundCopyJob_Release(job);
    if (FAILED(hr)) return report_failure(L"set proxy settings", hr);
    out(L"Proxy usage set to %s.\n", proxy_usage_name(usage));
    return EXIT_OK;
}

static BOOL parse_auth(const WCHAR *target_text, const WCHAR *scheme_text, BG_AUTH_TARGET *target,
                       BG_AUTH_SCHEME *scheme)
{
    static const WCHAR *schemes[] = { L"BASIC", L"DIGEST", L"NTLM", L"NEGOTIATE", L"PASSPORT" };
    unsigned int i;

    if (!wcsicmp(target_text, L"SERVER")) *target = BG_AUTH_TARGET_SERVER;
    else if (!wcsicmp(target_text, L"PROXY")) *target = BG_AUTH_TARGET_PROXY;
    else return FALSE;
    for (i = 0; i < ARRAY_SIZE(schemes); i++)
    {
        if (!wcsicmp(scheme_text, schemes[i]))
        {
            *scheme = BG_AUTH_SCHEME_BASIC + i;
            return TRUE;
        }
    }
    return FALSE;
}

static int cmd_credentials(const struct command *command, int argc, WCHAR **argv)
{
    BOOL set = command->param;
    BG_AUTH_CREDENTIALS credentials = {0};
    IBackgroundCopyJob2 *job2;
    IBackgroundCopyJob *job;
    HRESULT hr;

    if (argc != (set ? 5 : 3)) return report_usage(command->syntax);
    if (!parse_auth(argv[1], argv[2], &credentials.Target, &credentials.Scheme))
        return report_usage(command->syntax);
    if (set)
    {
        /* NULL NULL asks for the implicit credentials of the caller (or its helper token). */
        credentials.Credentials.Basic.UserName = wcsicmp(argv[3], L"NULL") ? argv[3] : NULL;
        credentials.Credentials.Basic.Password = wcsicmp(argv[4], L"NULL") ? argv[4] : NULL;
    }
    if (!(job = find_job(argv[0]))) return EXIT_FAILED;
    job2 = job_interface(job, &IID_IBackgroundCopyJob2, set ? L"set credentials" : L"remove credentials");
    IBackgroundCopyJob_Release(job);
    if (!job2) return EXIT_FAILED;
    if (set) hr = IBackgroundCopyJob2_SetCredentials(job2, &credentials);
    else hr = IBackgroundCopyJob2_RemoveCredentials(job2, credentials.Target, credentials.Scheme);
    IBackgroundCopyJob2_Release(job2);
    if (FAILED(hr)) return report_failure(set ? L"set credentials" : L"remove credentials", hr);
    if (hr == S_FALSE) out(L"No credentials for that target and scheme.\n");
    else out(set ? L"Credentials set.\n" : L"Credentials removed.\n");
    return EXIT_OK;
}

static int cmd_setcustomheaders(const struct command *command, int argc, WCHAR **argv)
{
    IBackgroundCopyJobHttpOptions *http;
    IBackgroundCopyJob *job;
    WCHAR *headers = NULL;
    size_t len = 0;
    HRESULT hr;
    int i;

    if (argc < 2) return report_usage(command->syntax);
    /* One argument per header line; a single NULL removes them. */
    if (!(argc == 2 && !wcsicmp(argv[1], L"NULL")))
    {
        for (i = 1; i < argc; i++) len += wcslen(argv[i]) + 2;
        if (!(headers = malloc((len + 1) * sizeof(WCHAR)))) return report_failure(L"set custom headers", E_OUTOFMEMORY);
        headers[0] = 0;
        for (i = 1; i < argc; i++)
        {
            wcscat(headers, argv[i]);
            wcscat(headers, L"\r\n");
        }
    }
    if (!(job = find_job(argv[0])))
    {
        free(headers);
        return EXIT_FAILED;
    }
    http = job_interface(job, &IID_IBackgroundCopyJobHttpOptions, L"set custom headers");
    IBackgroundCopyJob_Release(job);
    if (!http)
    {
        free(headers);
        return EXIT_FAILED;
    }
    hr = IBackgroundCopyJobHttpOptions_SetCustomHeaders(http, headers);
    IBackgroundCopyJobHttpOptions_Release(http);
    if (FAILED(hr))
    {
        free(headers);
        return report_failure(L"set custom headers", hr);
    }
    out(headers ? L"Custom headers set.\n" : L"Custom headers removed.\n");
    free(headers);
    return EXIT_OK;
}

static int cmd_makecustomheaderswriteonly(const struct command *command, int argc, WCHAR **argv)
{
    IBackgroundCopyJobHttpOptions3 *http;
    IBackgroundCopyJob *job;
    HRESULT hr;

    if (argc != 1) return report_usage(command->syntax);
    if (!(job = find_job(argv[0]))) return EXIT_FAILED;
    http = job_interface(job, &IID_IBackgroundCopyJobHttpOptions3, L"make custom headers write-only");
    IBackgroundCopyJob_Release(job);
    if (!http) return EXIT_FAILED;
    hr = IBackgroundCopyJobHttpOptions3_MakeCustomHeadersWriteOnly(http);
    IBackgroundCopyJobHttpOptions3_Release(http);
    if (FAILED(hr)) return report_failure(L"make custom headers write-only", hr);
    out(L"Custom headers are now write-only.\n");
    return EXIT_OK;
}

static BOOL parse_store_location(const WCHAR *text, BG_CERT_STORE_LOCATION *location)
{
    unsigned int i;

    /* Microsoft's reference numbers the locations from 1 (CURRENT_USER); the
     * bare name and the BG_CERT_STORE_LOCATION_ constant's name work too. */
    if (text[0] >= '1' && text[0] <= '8' && !text[1])
    {
        *location = text[0] - '1';
        return TRUE;
    }
    if (!wcsnicmp(text, L"BG_CERT_STORE_LOCATION_", 23)) text += 23;
    for (i = 0; i < ARRAY_SIZE(store_location_names); i++)
        if (!wcsicmp(text, store_location_names[i])) { *location = i; return TRUE; }
    return FALSE;
}

static BOOL parse_hash(const WCHAR *text, BYTE hash[20])
{
    unsigned int i, byte;

    if (wcslen(text) != 40) return FALSE;
    for (i = 0; i < 20; i++)
    {
        if (!iswxdigit(text[2 * i]) || !iswxdigit(text[2 * i + 1]) || swscanf(text + 2 * i, L"%2x", &byte) != 1)
            return FALSE;
        hash[i] = byte;
    }
    return TRUE;
}

static int cmd_client_certificate(const struct command *command, int argc, WCHAR **argv)
{
    BG_CERT_STORE_LOCATION location = 0;
    IBackgroundCopyJobHttpOptions *http;
    IBackgroundCopyJob *job;
    BYTE hash[20];
    HRESULT hr;

    /* param: 0 remove, 1 by id, 2 by name */
    if (argc != (command->param ? 4 : 1)) return report_usage(command->syntax);
    if (command->param && !parse_store_location(argv[1], &location)) return report_usage(command->syntax);
    if (command->param == 1 && !parse_hash(argv[3], hash)) return report_usage(command->syntax);
    if (!(job = find_job(argv[0]))) return EXIT_FAILED;
    http = job_interface(job, &IID_IBackgroundCopyJobHttpOptions, L"set client certificate");
    IBackgroundCopyJob_Release(job);
    if (!http) return EXIT_FAILED;
    if (command->param == 1)
        hr = IBackgroundCopyJobHttpOptions_SetClientCertificateByID(http, location, argv[2], hash);
    else if (command->param == 2)
        hr = IBackgroundCopyJobHttpOptions_SetClientCertificateByName(http, location, argv[2], argv[3]);
    else
        hr = IBackgroundCopyJobHttpOptions_RemoveClientCertificate(http);
    IBackgroundCopyJobHttpOptions_Release(http);
    if (FAILED(hr)) return report_failure(command->param ? L"set client certificate" : L"remove client certificate", hr);
    if (hr == S_FALSE) out(L"The job has no client certificate.\n");
    else out(command->param ? L"Client certificate set.\n" : L"Client certificate removed.\n");
    return EXIT_OK;
}

#define GET(name, value, syntax) { L"get" name, cmd_get, TRUE, L"/GET" syntax " job", value }
const struct command property_commands[] =
{
    GET(L"type", VALUE_TYPE, L"TYPE"),
    GET(L"state", VALUE_STATE, L"STATE"),
    GET(L"priority", VALUE_PRIORITY, L"PRIORITY"),
    GET(L"bytestotal", VALUE_BYTES_TOTAL, L"BYTESTOTAL"),
    GET(L"bytestransferred", VALUE_BYTES_TRANSFERRED, L"BYTESTRANSFERRED"),
    GET(L"filestotal", VALUE_FILES_TOTAL, L"FILESTOTAL"),
    GET(L"filestransferred", VALUE_FILES_TRANSFERRED, L"FILESTRANSFERRED"),
    GET(L"creationtime", VALUE_CREATION_TIME, L"CREATIONTIME"),
    GET(L"modificationtime", VALUE_MODIFICATION_TIME, L"MODIFICATIONTIME"),
    GET(L"completiontime", VALUE_COMPLETION_TIME, L"COMPLETIONTIME"),
    GET(L"displayname", VALUE_DISPLAY_NAME, L"DISPLAYNAME"),
    GET(L"description", VALUE_DESCRIPTION, L"DESCRIPTION"),
    GET(L"error", VALUE_ERROR, L"ERROR"),
    GET(L"errorcount", VALUE_ERROR_COUNT, L"ERRORCOUNT"),
    GET(L"owner", VALUE_OWNER, L"OWNER"),
    GET(L"minretrydelay", VALUE_MIN_RETRY_DELAY, L"MINRETRYDELAY"),
    GET(L"noprogresstimeout", VALUE_NO_PROGRESS_TIMEOUT, L"NOPROGRESSTIMEOUT"),
    GET(L"maxdownloadtime", VALUE_MAX_DOWNLOAD_TIME, L"MAXDOWNLOADTIME"),
    GET(L"notifyflags", VALUE_NOTIFY_FLAGS, L"NOTIFYFLAGS"),
    GET(L"notifyinterface", VALUE_NOTIFY_INTERFACE, L"NOTIFYINTERFACE"),
    GET(L"notifycmdline", VALUE_NOTIFY_CMDLINE, L"NOTIFYCMDLINE"),
    GET(L"proxyusage", VALUE_PROXY_USAGE, L"PROXYUSAGE"),
    GET(L"proxylist", VALUE_PROXY_LIST, L"PROXYLIST"),
    GET(L"proxybypasslist", VALUE_PROXY_BYPASS_LIST, L"PROXYBYPASSLIST"),
    GET(L"replyfilename", VALUE_REPLY_FILE_NAME, L"REPLYFILENAME"),
    GET(L"replyprogress", VALUE_REPLY_PROGRESS, L"REPLYPROGRESS"),
    GET(L"replydata", VALUE_REPLY_DATA, L"REPLYDATA"),
    GET(L"aclflags", VALUE_ACL_FLAGS, L"ACLFLAGS"),
    GET(L"peercachingflags", VALUE_PEER_CACHING_FLAGS, L"PEERCACHINGFLAGS"),
    GET(L"customheaders", VALUE_CUSTOM_HEADERS, L"CUSTOMHEADERS"),
    GET(L"securityflags", VALUE_SECURITY_FLAGS, L"SECURITYFLAGS"),
    GET(L"clientcertificate", VALUE_CLIENT_CERTIFICATE, L"CLIENTCERTIFICATE"),
    GET(L"httpmethod", VALUE_HTTP_METHOD, L"HTTPMETHOD"),
    { L"gettemporaryname", cmd_file_value, TRUE, L"/GETTEMPORARYNAME job file_index", 0 },
    { L"getvalidationstate", cmd_file_value, TRUE, L"/GETVALIDATIONSTATE job file_index", 1 },
    { L"setvalidationstate", cmd_setvalidationstate, TRUE, L"/SETVALIDATIONSTATE job file_index TRUE|FALSE" },
    { L"setdisplayname", cmd_set, TRUE, L"/SETDISPLAYNAME job display_name", SET_DISPLAY_NAME },
    { L"setdescription", cmd_set, TRUE, L"/SETDESCRIPTION job description", SET_DESCRIPTION },
    { L"setpriority", cmd_set, TRUE, L"/SETPRIORITY job FOREGROUND|HIGH|NORMAL|LOW", SET_PRIORITY },
    { L"setminretrydelay", cmd_set, TRUE, L"/SETMINRETRYDELAY job seconds", SET_MIN_RETRY_DELAY },
    { L"setnoprogresstimeout", cmd_set, TRUE, L"/SETNOPROGRESSTIMEOUT job seconds", SET_NO_PROGRESS_TIMEOUT },
    { L"setmaxdownloadtime", cmd_set, TRUE, L"/SETMAXDOWNLOADTIME job seconds", SET_MAX_DOWNLOAD_TIME },
    { L"setnotifyflags", cmd_set, TRUE, L"/SETNOTIFYFLAGS job flags", SET_NOTIFY_FLAGS },
    { L"setpeercachingflags", cmd_set, TRUE, L"/SETPEERCACHINGFLAGS job flags", SET_PEER_CACHING_FLAGS },
    { L"setsecurityflags", cmd_set, TRUE, L"/SETSECURITYFLAGS job flags", SET_SECURITY_FLAGS },
    { L"setreplyfilename", cmd_set, TRUE, L"/SETREPLYFILENAME job path", SET_REPLY_FILE_NAME },
    { L"sethttpmethod", cmd_set, TRUE, L"/SETHTTPMETHOD job method", SET_HTTP_METHOD },
    { L"setaclflag", cmd_set, TRUE, L"/SETACLFLAG job flags   flags: one or more of O, G, D, S", SET_ACL_FLAGS },
    { L"setnotifycmdline", cmd_setnotifycmdline, TRUE, L"/SETNOTIFYCMDLINE job program_name [program_parameters]" },
    { L"setproxysettings", cmd_setproxysettings, TRUE,
      L"/SETPROXYSETTINGS job usage [proxy_list proxy_bypass_list]   usage: PRECONFIG, NO_PROXY, OVERRIDE or AUTODETECT" },
    { L"setcredentials", cmd_credentials, TRUE,
      L"/SETCREDENTIALS job SERVER|PROXY BASIC|DIGEST|NTLM|NEGOTIATE|PASSPORT user_name password", TRUE },
    { L"removecredentials", cmd_credentials, TRUE,
      L"/REMOVECREDENTIALS job SERVER|PROXY BASIC|DIGEST|NTLM|NEGOTIATE|PASSPORT", FALSE },
    { L"setcustomheaders", cmd_setcustomheaders, TRUE, L"/SETCUSTOMHEADERS job header1 [header2 ...]" },
    { L"makecustomheaderswriteonly", cmd_makecustomheaderswriteonly, TRUE, L"/MAKECUSTOMHEADERSWRITEONLY job" },
    { L"setclientcertificatebyid", cmd_client_certificate, TRUE,
      L"/SETCLIENTCERTIFICATEBYID job store_location store_name hexadecimal_cert_id", 1 },
    { L"setclientcertificatebyname", cmd_client_certificate, TRUE,
      L"/SETCLIENTCERTIFICATEBYNAME job store_location store_name subject_name", 2 },
    { L"removeclientcertificate", cmd_client_certificate, TRUE, L"/REMOVECLIENTCERTIFICATE job", 0 },
    { NULL }
};
