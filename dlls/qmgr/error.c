/*
 * Background Intelligent Transfer Service: the error object
 * (IBackgroundCopyError) and the texts of BITS error codes.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>

#include "qmgr_private.h"
#include "winhttp.h"

#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(qmgr);

static const struct
{
    HRESULT code;
    const WCHAR *text;
} descriptions[] =
{
    { BG_S_PARTIAL_COMPLETE, L"Only the files that were fully transferred were kept; the others were deleted.\r\n" },
    { BG_S_UNABLE_TO_DELETE_FILES, L"The job finished, but some of its temporary files could not be deleted.\r\n" },
    { BG_S_PROXY_CHANGED, L"The proxy server changed.\r\n" },
    { BG_S_OVERRIDDEN_BY_POLICY, L"The preference was saved, but a Group Policy setting overrides it.\r\n" },
    { BG_E_NOT_FOUND, L"The requested job was not found.\r\n" },
    { BG_E_INVALID_STATE, L"The requested action is not allowed in the current job state. The job might have been canceled or completed transferring. It is in a read-only state now.\r\n" },
    { BG_E_EMPTY, L"There are no files attached to this job. Attach files to the job, and then try again.\r\n" },
    { BG_E_FILE_NOT_AVAILABLE, L"No file is available because no URL generated an error.\r\n" },
    { BG_E_PROTOCOL_NOT_AVAILABLE, L"No protocol is available because no URL generated an error.\r\n" },
    { BG_E_DESTINATION_LOCKED, L"The destination volume is locked or unavailable; the transfer resumes when it is available again.\r\n" },
    { BG_E_VOLUME_CHANGED, L"The destination volume has changed.\r\n" },
    { BG_E_ERROR_INFORMATION_UNAVAILABLE, L"No error information is available for this job.\r\n" },
    { BG_E_NETWORK_DISCONNECTED, L"There is no active network connection.\r\n" },
    { BG_E_MISSING_FILE_SIZE, L"The server did not return the file size. The URL might point to dynamic content.\r\n" },
    { BG_E_INSUFFICIENT_HTTP_SUPPORT, L"The server does not support HTTP 1.1.\r\n" },
    { BG_E_INSUFFICIENT_RANGE_SUPPORT, L"The server does not support the necessary HTTP protocol: Range and Content-Range headers are required.\r\n" },
    { BG_E_REMOTE_NOT_SUPPORTED, L"Background Intelligent Transfer Service cannot be used remotely.\r\n" },
    { BG_E_NEW_OWNER_DIFF_MAPPING, L"The drive mapping for the job differs for the new owner. Use UNC paths instead of mapped drives.\r\n" },
    { BG_E_NEW_OWNER_NO_FILE_ACCESS, L"The new owner cannot access the job's temporary files.\r\n" },
    { BG_E_PROXY_LIST_TOO_LARGE, L"The proxy list is too long.\r\n" },
    { BG_E_PROXY_BYPASS_LIST_TOO_LARGE, L"The proxy bypass list is too long.\r\n" },
    { BG_E_INVALID_SERVER_RESPONSE, L"The server's response was not valid; it violated the protocol. Resume the job to try again.\r\n" },
    { BG_E_TOO_MANY_FILES, L"An upload job can contain only one file; the job already has one.\r\n" },
    { BG_E_LOCAL_FILE_CHANGED, L"The local file changed during the transfer. Create the job again.\r\n" },
    { BG_E_SESSION_NOT_FOUND, L"The server does not know the upload session; the transfer will be retried.\r\n" },
    { BG_E_TOO_LARGE, L"The data is larger than the limit allowed.\r\n" },
    { BG_E_STRING_TOO_LONG, L"The string is too long.\r\n" },
    { BG_E_CLIENT_SERVER_PROTOCOL_MISMATCH, L"The client and the server do not share an upload protocol version.\r\n" },
    { BG_E_SERVER_EXECUTE_ENABLE, L"Scripting or execute permissions are enabled on the upload directory of the server.\r\n" },
    { BG_E_NO_PROGRESS, L"The job is not making progress; the server may be misconfigured. The transfer will be retried.\r\n" },
    { BG_E_USERNAME_TOO_LARGE, L"The user name is too long.\r\n" },
    { BG_E_PASSWORD_TOO_LARGE, L"The password is too long.\r\n" },
    { BG_E_INVALID_AUTH_TARGET, L"The authentication target is not valid.\r\n" },
    { BG_E_INVALID_AUTH_SCHEME, L"The authentication scheme is not valid.\r\n" },
    { BG_E_FILE_NOT_FOUND, L"The file name matches no file of the job.\r\n" },
    { BG_E_INVALID_RANGE, L"The byte range is not valid or lies beyond the end of the remote file.\r\n" },
    { BG_E_OVERLAPPING_RANGES, L"The list of byte ranges contains overlapping or duplicate ranges.\r\n" },
    { BG_E_CONNECT_FAILURE, L"A connection could not be established.\r\n" },
    { BG_E_CONNECTION_CLOSED, L"The connection was closed prematurely.\r\n" },
    { BG_E_BLOCKED_BY_POLICY, L"Group Policy does not allow background transfers at this time.\r\n" },
    { BG_E_INVALID_PROXY_INFO, L"The proxy server list or the bypass list is not valid.\r\n" },
    { BG_E_INVALID_CREDENTIALS, L"The format of the credentials is not valid.\r\n" },
    { BG_E_INVALID_HASH_ALGORITHM, L"The hash algorithm is not supported.\r\n" },
    { BG_E_RECORD_DELETED, L"The cache record has been deleted.\r\n" },
    { BG_E_COMMIT_IN_PROGRESS, L"Another thread is updating the cache record.\r\n" },
    { BG_E_DISCOVERY_IN_PROGRESS, L"Peer discovery is already running.\r\n" },
    { BG_E_UPNP_ERROR, L"The Internet Gateway Device reported an error.\r\n" },
    { BG_E_TEST_OPTION_BLOCKED_DOWNLOAD, L"A test option blocked the download.\r\n" },
    { BG_E_PEERCACHING_DISABLED, L"Peer caching is disabled.\r\n" },
    { BG_E_BUSYCACHERECORD, L"The cache record is in use. Try again later.\r\n" },
    { BG_E_TOO_MANY_JOBS_PER_USER, L"The user has reached the maximum number of jobs allowed.\r\n" },
    { BG_E_TOO_MANY_JOBS_PER_MACHINE, L"The computer has reached the maximum number of jobs allowed.\r\n" },
    { BG_E_TOO_MANY_FILES_IN_JOB, L"The job has reached the maximum number of files allowed.\r\n" },
    { BG_E_TOO_MANY_RANGES_IN_FILE, L"The file has reached the maximum number of byte ranges allowed.\r\n" },
    { BG_E_VALIDATION_FAILED, L"The content of the file failed validation.\r\n" },
    { BG_E_MAXDOWNLOAD_TIMEOUT, L"The job took longer than its maximum download time.\r\n" },
    { BG_E_TOKEN_REQUIRED, L"The job needs a helper token that is not available. Set a helper token and resume the job.\r\n" },
    { BG_E_UNKNOWN_PROPERTY_ID, L"The property identifier is not known.\r\n" },
    { BG_E_READ_ONLY_PROPERTY, L"The property is read-only.\r\n" },
    { BG_E_BLOCKED_BY_COST_TRANSFER_POLICY, L"The transfer policy for network costs does not allow the transfer now.\r\n" },
    { BG_E_PROPERTY_SUPPORTED_FOR_DOWNLOAD_JOBS_ONLY, L"The property is supported for download jobs only.\r\n" },
    { BG_E_READ_ONLY_PROPERTY_AFTER_ADDFILE, L"The property cannot be changed once files have been added to the job.\r\n" },
    { BG_E_READ_ONLY_PROPERTY_AFTER_RESUME, L"The property cannot be changed once the job has been resumed.\r\n" },
    { BG_E_MAX_DOWNLOAD_SIZE_INVALID_VALUE, L"The maximum download size must be greater than zero.\r\n" },
    { BG_E_MAX_DOWNLOAD_SIZE_LIMIT_REACHED, L"The download reached its maximum download size.\r\n" },
    { BG_E_STANDBY_MODE, L"The transfer is paused while the computer saves power.\r\n" },
    { BG_E_USE_STORED_CREDENTIALS_NOT_SUPPORTED, L"Stored credentials can be used for the proxy only.\r\n" },
    { BG_E_BLOCKED_BY_BATTERY_POLICY, L"The transfer is paused while the computer runs on battery.\r\n" },
    { BG_E_BLOCKED_BY_BATTERY_SAVER, L"The transfer is paused by battery saver.\r\n" },
    { BG_E_WATCHDOG_TIMEOUT, L"An operation did not finish in time.\r\n" },
    { BG_E_APP_PACKAGE_NOT_FOUND, L"No application package matches the owner or the caller.\r\n" },
    { BG_E_APP_PACKAGE_SCENARIO_NOT_SUPPORTED, L"Application packages are not supported for this use on this device.\r\n" },
    { BG_E_DATABASE_CORRUPT, L"The job store is corrupt; the service repairs it when it starts again.\r\n" },
    { BG_E_RANDOM_ACCESS_NOT_SUPPORTED, L"Random access is not supported for this job or this server.\r\n" },
    { BG_E_BLOCKED_BY_BACKGROUND_ACCESS_POLICY, L"The background access settings of the owning application block the transfer.\r\n" },
    { BG_E_BLOCKED_BY_GAME_MODE, L"The transfer is paused by game mode.\r\n" },
    { BG_E_BLOCKED_BY_SYSTEM_POLICY, L"The transfer is paused because of system resource constraints.\r\n" },
    { BG_E_NOT_SUPPORTED_WITH_CUSTOM_HTTP_METHOD, L"This is not allowed when the job uses a custom HTTP method.\r\n" },
    { BG_E_UNSUPPORTED_JOB_CONFIGURATION, L"The job's configuration does not allow this request.\r\n" },
    { BG_E_REMOTE_FILE_CHANGED, L"The remote file changed during the transfer. Resume the job to try again.\r\n" },
    { BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED, L"The job needs a server certificate validation callback, and none is registered.\r\n" },
    { BG_E_READ_ONLY_WHEN_JOB_ACTIVE, L"This can be changed only while the job is suspended, in error or transferred.\r\n" },
};

static const WCHAR *context_texts[] =
{
    L"An error has not occurred.\r\n",                                    /* BG_ERROR_CONTEXT_NONE */
    L"The error context is unknown.\r\n",                                 /* UNKNOWN */
    L"The error occurred in the Background Intelligent Transfer Service (BITS) queue manager.\r\n",
    L"The error occurred while the queue manager was notifying the client of an event.\r\n",
    L"The error was related to the specified local file.\r\n",
    L"The error was related to the specified remote file.\r\n",
    L"The error occurred in the transport layer. The client could not connect to the server.\r\n",
    L"The error occurred while the remote server was processing the request.\r\n",
    L"The error occurred in the server certificate validation callback of the application.\r\n",
};

/* BITS's message ids for the error contexts (bitsmsg.h), in context order. */
static const HRESULT context_codes[] =
{
    BG_S_ERROR_CONTEXT_NONE, BG_E_ERROR_CONTEXT_UNKNOWN, BG_E_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER,
    BG_E_ERROR_CONTEXT_QUEUE_MANAGER_NOTIFICATION, BG_E_ERROR_CONTEXT_LOCAL_FILE, BG_E_ERROR_CONTEXT_REMOTE_FILE,
    BG_E_ERROR_CONTEXT_GENERAL_TRANSPORT, BG_E_ERROR_CONTEXT_REMOTE_APPLICATION,
    BG_E_ERROR_CONTEXT_SERVER_CERTIFICATE_CALLBACK,
};

/* The event-log message ids of bitsmsg.h (BITS_MC_*): they share FACILITY_HTTP
 * with the HTTP statuses, above any status. */
static const WCHAR *event_texts[] =
{
    L"An administrator cancelled a job of another user.\r\n",               /* 0x80194000 */
    L"Temporary files of a cancelled job could not be deleted.\r\n",
    L"Temporary files of a cancelled job could not be deleted, and more besides.\r\n",
    L"An administrator changed a property of a job of another user.\r\n",
    L"An administrator took over a job of another user.\r\n",
    L"A job was cancelled because nobody used it for the time the policy allows.\r\n",
    L"The application of a job could not be notified; BITS tries again later.\r\n",
    L"The list of jobs could not be read and was cleared.\r\n",
    L"The Background Intelligent Transfer Service could not start.\r\n",
    L"The Internet gateway reported an error; bandwidth is no longer measured there.\r\n",
    L"The port for peer caching could not be opened.\r\n",
    L"The port for peer discovery could not be opened.\r\n",                 /* 0x8019400B */
};

/* The WinHTTP errors a transfer reports.  Windows finds their texts in
 * winhttp.dll; Wine's has none. */
static const struct
{
    DWORD error;
    const WCHAR *text;
}
winhttp_texts[] =
{
    { ERROR_WINHTTP_OUT_OF_HANDLES, L"No more handles could be made for the connection.\r\n" },
    { ERROR_WINHTTP_TIMEOUT, L"The server did not answer in time.\r\n" },
    { ERROR_WINHTTP_INTERNAL_ERROR, L"An internal error occurred in the HTTP stack.\r\n" },
    { ERROR_WINHTTP_INVALID_URL, L"The URL is not valid.\r\n" },
    { ERROR_WINHTTP_UNRECOGNIZED_SCHEME, L"The URL uses a scheme other than http or https.\r\n" },
    { ERROR_WINHTTP_NAME_NOT_RESOLVED, L"The server's name could not be resolved.\r\n" },
    { ERROR_WINHTTP_SHUTDOWN, L"The HTTP stack is shutting down.\r\n" },
    { ERROR_WINHTTP_LOGIN_FAILURE, L"The server or proxy refused the credentials.\r\n" },
    { ERROR_WINHTTP_OPERATION_CANCELLED, L"The request was cancelled.\r\n" },
    { ERROR_WINHTTP_CANNOT_CONNECT, L"No connection to the server could be made.\r\n" },
    { ERROR_WINHTTP_CONNECTION_ERROR, L"The connection to the server was reset or ended.\r\n" },
    { ERROR_WINHTTP_RESEND_REQUEST, L"The request has to be sent again.\r\n" },
    { ERROR_WINHTTP_SECURE_CERT_DATE_INVALID, L"The server's certificate has expired or is not valid yet.\r\n" },
    { ERROR_WINHTTP_SECURE_CERT_CN_INVALID, L"The server's certificate is for another name.\r\n" },
    { ERROR_WINHTTP_CLIENT_AUTH_CERT_NEEDED, L"The server asks for a client certificate.\r\n" },
    { ERROR_WINHTTP_SECURE_INVALID_CA, L"The server's certificate comes from an authority that is not trusted.\r\n" },
    { ERROR_WINHTTP_SECURE_CERT_REV_FAILED, L"Whether the server's certificate was revoked could not be checked.\r\n" },
    { ERROR_WINHTTP_HEADER_NOT_FOUND, L"The header asked for is not in the response.\r\n" },
    { ERROR_WINHTTP_INVALID_SERVER_RESPONSE, L"The server's response could not be understood as HTTP.\r\n" },
    { ERROR_WINHTTP_INVALID_HEADER, L"A header is not valid.\r\n" },
    { ERROR_WINHTTP_REDIRECT_FAILED, L"A redirect could not be followed.\r\n" },
    { ERROR_WINHTTP_SECURE_CHANNEL_ERROR, L"The secure channel to the server failed.\r\n" },
    { ERROR_WINHTTP_BAD_AUTO_PROXY_SCRIPT, L"The proxy auto-configuration script has an error.\r\n" },
    { ERROR_WINHTTP_UNABLE_TO_DOWNLOAD_SCRIPT, L"The proxy auto-configuration script could not be fetched.\r\n" },
    { ERROR_WINHTTP_SECURE_INVALID_CERT, L"The server's certificate is not valid.\r\n" },
    { ERROR_WINHTTP_SECURE_CERT_REVOKED, L"The server's certificate has been revoked.\r\n" },
    { ERROR_WINHTTP_SECURE_FAILURE, L"The server's certificate or the secure connection failed a check.\r\n" },
    { ERROR_WINHTTP_AUTO_PROXY_SERVICE_ERROR, L"No proxy could be found for the URL.\r\n" },
    { ERROR_WINHTTP_SECURE_CERT_WRONG_USAGE, L"The server's certificate is not for server authentication.\r\n" },
    { ERROR_WINHTTP_AUTODETECTION_FAILED, L"The proxy could not be detected.\r\n" },
    { ERROR_WINHTTP_HEADER_COUNT_EXCEEDED, L"The response has too many headers.\r\n" },
    { ERROR_WINHTTP_HEADER_SIZE_OVERFLOW, L"The response's headers are too large.\r\n" },
    { ERROR_WINHTTP_RESPONSE_DRAIN_OVERFLOW, L"The response's body is too large to skip.\r\n" },
    { ERROR_WINHTTP_CLIENT_CERT_NO_PRIVATE_KEY, L"The client certificate has no private key.\r\n" },
    { ERROR_WINHTTP_CLIENT_CERT_NO_ACCESS_PRIVATE_KEY, L"The client certificate's private key cannot be used.\r\n" },
};

/* A text for a WinHTTP error: the system's, else ours, else a general one. */
static HRESULT winhttp_description(DWORD error, DWORD langid, WCHAR **out)
{
    WCHAR buffer[128], *system = NULL;
    HMODULE winhttp = GetModuleHandleW(L"winhttp.dll");
    unsigned int i;
    HRESULT hr;

    if (winhttp && FormatMessageW(FORMAT_MESSAGE_FROM_HMODULE | FORMAT_MESSAGE_ALLOCATE_BUFFER |
                                  FORMAT_MESSAGE_IGNORE_INSERTS, winhttp, error, langid, (WCHAR *)&system, 0, NULL))
    {
        hr = return_string(system, out);
        LocalFree(system);
        return hr;
    }
    for (i = 0; i < ARRAY_SIZE(winhttp_texts); i++)
        if (winhttp_texts[i].error == error) return return_string(winhttp_texts[i].text, out);
    swprintf(buffer, ARRAY_SIZE(buffer), L"The HTTP stack reported error %lu.\r\n", error);
    return return_string(buffer, out);
}

/* The texts exist in English only.  The languages of this system get them too
 * rather than nothing; any other language has no text (behavior.md 5.3:
 * ERROR_RESOURCE_LANG_NOT_FOUND), as on a Windows without its language pack. */
static BOOL language_supported(DWORD langid)
{
    WORD primary = PRIMARYLANGID(langid);

    if (langid > 0xffff) return FALSE;
    return primary == LANG_NEUTRAL || primary == LANG_ENGLISH || primary == PRIMARYLANGID(GetUserDefaultUILanguage()) ||
           primary == PRIMARYLANGID(GetSystemDefaultUILanguage()) || primary == PRIMARYLANGID(GetUserDefaultLangID());
}

HRESULT error_description(HRESULT code, DWORD langid, WCHAR **out)
{
    WCHAR buffer[256], *system = NULL;
    unsigned int i;
    HRESULT hr;

    if (!language_supported(langid)) return HRESULT_FROM_WIN32(ERROR_RESOURCE_LANG_NOT_FOUND);

    for (i = 0; i < ARRAY_SIZE(descriptions); i++)
        if (descriptions[i].code == code) return return_string(descriptions[i].text, out);
    for (i = 0; i < ARRAY_SIZE(context_codes); i++)
        if (context_codes[i] == code) return return_string(context_texts[i], out);

    if ((code & 0xffff0000) == 0x80190000 && HRESULT_CODE(code) >= 0x4000)
    {
        if (HRESULT_CODE(code) - 0x4000 < ARRAY_SIZE(event_texts))
            return return_string(event_texts[HRESULT_CODE(code) - 0x4000], out);
        return HRESULT_FROM_WIN32(ERROR_MR_MID_NOT_FOUND);
    }
    /* WinHTTP's errors are 12001-12199 (winhttp.h). */
    if (HRESULT_FACILITY(code) == FACILITY_WIN32 && HRESULT_CODE(code) > WINHTTP_ERROR_BASE &&
        HRESULT_CODE(code) < WINHTTP_ERROR_BASE + 200)
        return winhttp_description(HRESULT_CODE(code), langid, out);

    if (HRESULT_FACILITY(code) == FACILITY_HTTP)
    {
        swprintf(buffer, ARRAY_SIZE(buffer), L"HTTP status %u: the server answered the request with an error.\r\n",
                 HRESULT_CODE(code));
        return return_string(buffer, out);
    }

    if (FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_IGNORE_INSERTS,
                       NULL, code, langid, (WCHAR *)&system, 0, NULL) ||
        FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_IGNORE_INSERTS,
                       NULL, code, 0, (WCHAR *)&system, 0, NULL))
    {
        hr = return_string(system, out);
        LocalFree(system);
        return hr;
    }
    /* No text anywhere for this code. */
    return HRESULT_FROM_WIN32(ERROR_MR_MID_NOT_FOUND);
}

HRESULT error_context_description(BG_ERROR_CONTEXT context, DWORD langid, WCHAR **out)
{
    if (!language_supported(langid)) return HRESULT_FROM_WIN32(ERROR_RESOURCE_LANG_NOT_FOUND);
    if ((unsigned int)context >= ARRAY_SIZE(context_texts)) return E_INVALIDARG;
    return return_string(context_texts[context], out);
}

struct error
{
    IBackgroundCopyError IBackgroundCopyError_iface;
    LONG refcount;
    BG_ERROR_CONTEXT context;
    HRESULT code;
    IBackgroundCopyFile *file;
    WCHAR *protocol;
};

static inline struct error *impl_from_IBackgroundCopyError(IBackgroundCopyError *iface)
{
    return CONTAINING_RECORD(iface, struct error, IBackgroundCopyError_iface);
}

static HRESULT WINAPI error_QueryInterface(IBackgroundCopyError *iface, REFIID riid, void **obj)
{
    TRACE("%p, %s, %p.\n", iface, debugstr_guid(riid), obj);

    if (IsEqualGUID(riid, &IID_IUnknown) || IsEqualGUID(riid, &IID_IBackgroundCopyError))
    {
        *obj = iface;
        IBackgroundCopyError_AddRef(iface);
        return S_OK;
    }
    WARN("Unsupported interface %s.\n", debugstr_guid(riid));
    *obj = NULL;
    return E_NOINTERFACE;
}

static ULONG WINAPI error_AddRef(IBackgroundCopyError *iface)
{
    struct error *error = impl_from_IBackgroundCopyError(iface);
    ULONG refcount = InterlockedIncrement(&error->refcount);

    TRACE("%p increasing refcount to %lu.\n", error, refcount);
    return refcount;
}

static ULONG WINAPI error_Release(IBackgroundCopyError *iface)
{
    struct error *error = impl_from_IBackgroundCopyError(iface);
    ULONG refcount = InterlockedDecrement(&error->refcount);

    TRACE("%p decreasing refcount to %lu.\n", error, refcount);

    if (!refcount)
    {
        if (error->file) IBackgroundCopyFile_Release(error->file);
        free(error->protocol);
        free(error);
    }
    return refcount;
}

static HRESULT WINAPI error_GetError(IBackgroundCopyError *iface, BG_ERROR_CONTEXT *context, HRESULT *code)
{
    struct error *error = impl_from_IBackgroundCopyError(iface);

    TRACE("%p, %p, %p.\n", iface, context, code);

    if (!context || !code) return E_INVALIDARG;
    *context = error->context;
    *code = error->code;
    return S_OK;
}

static HRESULT WINAPI error_GetFile(IBackgroundCopyError *iface, IBackgroundCopyFile **file)
{
    struct error *error = impl_from_IBackgroundCopyError(iface);

    TRACE("%p, %p.\n", iface, file);

    if (!file) return E_INVALIDARG;
    if (!(*file = error->file)) return BG_E_FILE_NOT_AVAILABLE;
    IBackgroundCopyFile_AddRef(*file);
    return S_OK;
}

static HRESULT WINAPI error_GetErrorDescription(IBackgroundCopyError *iface, DWORD langid, LPWSTR *description)
{
    struct error *error = impl_from_IBackgroundCopyError(iface);

    TRACE("%p, %#lx, %p.\n", iface, langid, description);

    if (!description) return E_INVALIDARG;
    *description = NULL;
    if (!langid) return E_INVALIDARG;
    return error_description(error->code, langid, description);
}

static HRESULT WINAPI error_GetErrorContextDescription(IBackgroundCopyError *iface, DWORD langid, LPWSTR *description)
{
    struct error *error = impl_from_IBackgroundCopyError(iface);

    TRACE("%p, %#lx, %p.\n", iface, langid, description);

    if (!description) return E_INVALIDARG;
    *description = NULL;
    if (!langid) return E_INVALIDARG;
    return error_context_description(error->context, langid, description);
}

static HRESULT WINAPI error_GetProtocol(IBackgroundCopyError *iface, LPWSTR *protocol)
{
    struct error *error = impl_from_IBackgroundCopyError(iface);

    TRACE("%p, %p.\n", iface, protocol);

    if (!protocol) return E_INVALIDARG;
    *protocol = NULL;
    if (!error->protocol) return BG_E_PROTOCOL_NOT_AVAILABLE;
    return return_string(error->protocol, protocol);
}

static const IBackgroundCopyErrorVtbl error_vtbl =
{
    error_QueryInterface,
    error_AddRef,
    error_Release,
    error_GetError,
    error_GetFile,
    error_GetErrorDescription,
    error_GetErrorContextDescription,
    error_GetProtocol,
};

HRESULT error_create(BG_ERROR_CONTEXT context, HRESULT code, IBackgroundCopyFile *file,
                     const WCHAR *protocol, IBackgroundCopyError **out)
{
    struct error *error;

    if (!(error = calloc(1, sizeof(*error)))) return E_OUTOFMEMORY;
    error->IBackgroundCopyError_iface.lpVtbl = &error_vtbl;
    error->refcount = 1;
    error->context = context;
    error->code = code;
    if (protocol && !(error->protocol = strdupW(protocol)))
    {
        free(error);
        return E_OUTOFMEMORY;
    }
    if ((error->file = file)) IBackgroundCopyFile_AddRef(file);
    *out = &error->IBackgroundCopyError_iface;
    return S_OK;
}
