/*
 * Background Intelligent Transfer Service: downloads from and uploads to
 * local paths, UNC names and file:// URLs.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>

#include "qmgr_private.h"
#include "transfer.h"

#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(qmgr);

#define COPY_BUFFER_SIZE (1024 * 1024)

/* What an SMB copy gives the local file of the source's attributes
 * (behavior.md 7.4); the others describe how a file is stored, not what it is. */
#define COPIED_ATTRIBUTES (FILE_ATTRIBUTE_READONLY | FILE_ATTRIBUTE_HIDDEN | FILE_ATTRIBUTE_SYSTEM | \
                           FILE_ATTRIBUTE_ARCHIVE | FILE_ATTRIBUTE_NOT_CONTENT_INDEXED)

BOOL transfer_is_file_name(const WCHAR *remote_name)
{
    return !transfer_is_http_url(remote_name);
}

/* file:///C:/dir/name -> C:\dir\name, file://server/share/name -> \\server\share\name.
 * Only a URL has escapes: a local path or UNC name is the file's name as it
 * is, "%41" included (behavior.md 7.2). */
WCHAR *transfer_file_path(const WCHAR *name)
{
    const WCHAR *src;
    WCHAR *path, *dst;

    if (_wcsnicmp(name, L"file://", 7)) return strdupW(name);
    if (!(path = malloc((wcslen(name) + 3) * sizeof(WCHAR)))) return NULL;
    dst = path;
    src = name + 7;
    if (src[0] == '/' && iswalpha(src[1]) && (src[2] == ':' || src[2] == '|')) src++;
    else if (!iswalpha(src[0]) || src[1] != ':')
    {
        /* A host part: a UNC name. */
        *dst++ = '\\';
        *dst++ = '\\';
        while (*src == '/') src++;
    }
    for (; *src; src++)
    {
        if (*src == '/') *dst++ = '\\';
        else if (*src == '%' && iswxdigit(src[1]) && iswxdigit(src[2]))
        {
            WCHAR hex[3] = { src[1], src[2], 0 };
            /* A NUL would cut the name short: another file's name. */
            if (!(*dst++ = (WCHAR)wcstoul(hex, NULL, 16)))
            {
                free(path);
                return NULL;
            }
            src += 2;
        }
        else if (*src == '|' && dst == path + 1) *dst++ = ':';
        else *dst++ = *src;
    }
    *dst = 0;
    return path;
}

/* The parts of a security descriptor SetFileACLFlags names. */
static SECURITY_INFORMATION security_parts(DWORD flags)
{
    SECURITY_INFORMATION parts = 0;

    if (flags & BG_COPY_FILE_OWNER) parts |= OWNER_SECURITY_INFORMATION;
    if (flags & BG_COPY_FILE_GROUP) parts |= GROUP_SECURITY_INFORMATION;
    if (flags & BG_COPY_FILE_DACL) parts |= DACL_SECURITY_INFORMATION;
    if (flags & BG_COPY_FILE_SACL) parts |= SACL_SECURITY_INFORMATION;
    return parts;
}

static void enable_privilege(const WCHAR *name)
{
    TOKEN_PRIVILEGES privileges;
    HANDLE token;

    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_ADJUST_PRIVILEGES, &token)) return;
    privileges.PrivilegeCount = 1;
    privileges.Privileges[0].Attributes = SE_PRIVILEGE_ENABLED;
    if (LookupPrivilegeValueW(NULL, name, &privileges.Privileges[0].Luid))
        AdjustTokenPrivileges(token, FALSE, &privileges, 0, NULL, NULL);
    CloseHandle(token);
}

/* Gives the copy (target, opened for writing) the parts of the source's
 * security descriptor the job's flags name, as they are, as xcopy /O /X does
 * (behavior.md 7.6).  Owner, group and SACL need privileges the job's owner
 * may not have: then nothing is changed and the transfer fails transiently
 * with E_ACCESSDENIED.  One SetKernelObjectSecurity sets every part, so that a
 * retry never finds a half-secured file. */
static void copy_security(HANDLE source, HANDLE target, const struct transfer_options *options,
                          BG_ERROR_CONTEXT context, struct transfer_result *result)
{
    SECURITY_INFORMATION parts = options ? security_parts(options->file_acl_flags) : 0;
    DWORD share = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, size = 0, error = ERROR_SUCCESS;
    DWORD read_access = READ_CONTROL, write_access = 0;
    SECURITY_DESCRIPTOR *descriptor = NULL;
    HANDLE reader = INVALID_HANDLE_VALUE, writer = INVALID_HANDLE_VALUE;

    if (!parts) return;
    if ((parts & ~DACL_SECURITY_INFORMATION) && !options->owner_privileged)
    {
        transfer_set_failure(result, E_ACCESSDENIED, context, TRUE);
        return;
    }
    if (parts & (OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION))
    {
        /* An owner other than the service's identity is a restore's. */
        enable_privilege(L"SeRestorePrivilege");
        write_access |= WRITE_OWNER;
    }
    if (parts & DACL_SECURITY_INFORMATION) write_access |= WRITE_DAC;
    if (parts & SACL_SECURITY_INFORMATION)
    {
        enable_privilege(L"SeSecurityPrivilege");
        read_access |= ACCESS_SYSTEM_SECURITY;
        write_access |= ACCESS_SYSTEM_SECURITY;
    }
    /* The handles the data went through have no rights over the security. */
    if ((reader = ReOpenFile(source, read_access, share, 0)) == INVALID_HANDLE_VALUE ||
        (writer = ReOpenFile(target, write_access, share, 0)) == INVALID_HANDLE_VALUE)
        error = GetLastError();
    else if (!GetKernelObjectSecurity(reader, parts, NULL, 0, &size) && GetLastError() != ERROR_INSUFFICIENT_BUFFER)
        error = GetLastError();
    else if (!(descriptor = malloc(size)))
        error = ERROR_OUTOFMEMORY;
    else if (!GetKernelObjectSecurity(reader, parts, descriptor, size, &size) ||
             !SetKernelObjectSecurity(writer, parts, descriptor))
        error = GetLastError();
    if (error != ERROR_SUCCESS)
    {
        WARN("cannot copy the security (%#lx): %lu.\n", parts, error);
        /* A missing privilege is the owner's (behavior.md 2: TRANSIENT_ERROR, E_ACCESSDENIED). */
        transfer_set_failure(result, error == ERROR_PRIVILEGE_NOT_HELD || error == ERROR_INVALID_OWNER ?
                             E_ACCESSDENIED : HRESULT_FROM_WIN32(error), context, TRUE);
    }
    free(descriptor);
    if (reader != INVALID_HANDLE_VALUE) CloseHandle(reader);
    if (writer != INVALID_HANDLE_VALUE) CloseHandle(writer);
}

/* What identifies a version of a source file (behavior.md 7.7: its size and
 * time stamp), malloc'd.  Shaped as a strong entity tag: should SetRemoteName
 * make the file HTTP, a server given it in If-Range sees another version and
 * sends the whole file. */
static WCHAR *file_validator(UINT64 size, const FILETIME *modified)
{
    WCHAR *validator;

    if (!(validator = malloc(48 * sizeof(WCHAR)))) return NULL;
    swprintf(validator, 48, L"\"smb-%I64x-%08lx%08lx\"", size, modified->dwHighDateTime, modified->dwLowDateTime);
    return validator;
}

void transfer_file_download(const struct transfer_request *transfer, struct transfer_result *result)
{
    BY_HANDLE_FILE_INFORMATION info;
    LARGE_INTEGER position;
    UINT64 size, transferred;
    DWORD read, written;
    HANDLE source;
    WCHAR *path, *validator;
    BYTE *buffer;

    memset(result, 0, sizeof(*result));
    result->remote_size = BG_SIZE_UNKNOWN;
    result->total = BG_SIZE_UNKNOWN;

    if (!(path = transfer_file_path(transfer->remote_name)))
    {
        result->code = E_OUTOFMEMORY;
        result->context = BG_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER;
        result->transient = TRUE;
        return;
    }
    source = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
                         OPEN_EXISTING, FILE_FLAG_SEQUENTIAL_SCAN, NULL);
    free(path);
    if (source == INVALID_HANDLE_VALUE)
    {
        DWORD error = GetLastError();
        result->code = HRESULT_FROM_WIN32(error);
        result->context = BG_ERROR_CONTEXT_REMOTE_FILE;
        /* A missing file stays missing; a network path may come back. */
        result->transient = error != ERROR_FILE_NOT_FOUND && error != ERROR_PATH_NOT_FOUND &&
                            error != ERROR_ACCESS_DENIED && error != ERROR_INVALID_NAME;
        return;
    }
    if (!GetFileInformationByHandle(source, &info))
    {
        transfer_set_failure(result, HRESULT_FROM_WIN32(GetLastError()), BG_ERROR_CONTEXT_REMOTE_FILE, TRUE);
        CloseHandle(source);
        return;
    }

    size = ((UINT64)info.nFileSizeHigh << 32) | info.nFileSizeLow;
    result->remote_size = size;
    /* SMB copies keep the source's time stamps and attributes (behavior.md 7.4). */
    result->modified = info.ftLastWriteTime;
    result->created = info.ftCreationTime;
    if (!(result->attributes = info.dwFileAttributes & COPIED_ATTRIBUTES)) result->attributes = FILE_ATTRIBUTE_NORMAL;
    result->total = size;
    validator = file_validator(size, &info.ftLastWriteTime);
    transferred = transfer->offset;
    /* The bytes there are of another version of the source, or of one not
     * known: appending this one's would splice the two (behavior.md 7.7). */
    if (transferred && (!transfer->validator || !validator || wcscmp(transfer->validator, validator)))
    {
        TRACE("%s changed, restarting from 0.\n", debugstr_w(transfer->remote_name));
        transferred = 0;
    }
    position.QuadPart = transferred;
    if (!SetFilePointerEx(source, position, NULL, FILE_BEGIN) ||
        !SetFilePointerEx(transfer->file, position, NULL, FILE_BEGIN) || !SetEndOfFile(transfer->file))
    {
        result->code = HRESULT_FROM_WIN32(GetLastError());
        result->context = BG_ERROR_CONTEXT_LOCAL_FILE;
        result->transient = TRUE;
        free(validator);
        CloseHandle(source);
        return;
    }

    if (!(buffer = malloc(COPY_BUFFER_SIZE)))
    {
        result->code = E_OUTOFMEMORY;
        result->context = BG_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER;
        result->transient = TRUE;
        free(validator);
        CloseHandle(source);
        return;
    }
    /* From the first progress on, the bytes in the file are this version's. */
    result->validator = validator;
    result->validated = TRUE;
    if (!transfer->progress(transfer->context, transferred, result->total)) result->aborted = TRUE;
    while (!result->aborted && transferred < size)
    {
        /* Never past the size the copy started with: a source that grows is
         * another version, found below. */
        if (!ReadFile(source, buffer, (DWORD)min(COPY_BUFFER_SIZE, size - transferred), &read, NULL))
        {
            result->code = HRESULT_FROM_WIN32(GetLastError());
            result->context = BG_ERROR_CONTEXT_REMOTE_FILE;
            result->transient = TRUE;
            break;
        }
        if (!read) break;
        if (!WriteFile(transfer->file, buffer, read, &written, NULL) || written != read)
        {
            DWORD error = GetLastError();
            result->code = HRESULT_FROM_WIN32(error ? error : ERROR_DISK_FULL);
            result->context = BG_ERROR_CONTEXT_LOCAL_FILE;
            result->transient = TRUE;
            break;
        }
        transferred += read;
        if (!transfer->progress(transfer->context, transferred, result->total)) result->aborted = TRUE;
    }
    /* The source changed under us: shorter, longer, or rewritten in place
     * (its time moved).  The bytes may mix two versions; the next attempt
     * sees the new version's validator and starts again from 0 (7.7). */
    if (SUCCEEDED(result->code) && !result->aborted &&
        (transferred != size || !GetFileInformationByHandle(source, &info) ||
         (((UINT64)info.nFileSizeHigh << 32) | info.nFileSizeLow) != size ||
         CompareFileTime(&info.ftLastWriteTime, &result->modified)))
    {
        TRACE("%s changed during the copy.\n", debugstr_w(transfer->remote_name));
        result->code = BG_E_CONNECTION_CLOSED;
        result->context = BG_ERROR_CONTEXT_REMOTE_FILE;
        result->transient = TRUE;
    }
    /* The file is complete: what it keeps of the source's security comes now, not at creation. */
    if (SUCCEEDED(result->code) && !result->aborted)
        copy_security(source, transfer->file, transfer->options, BG_ERROR_CONTEXT_LOCAL_FILE, result);
    free(buffer);
    CloseHandle(source);
}

/* A hidden BITxxxx.tmp of a new name in the destination's directory, into
 * temp (room for the path and 16 more): never a name a file already has,
 * which might be the user's. */
static HANDLE create_upload_temp(const WCHAR *path, WCHAR *temp)
{
    const WCHAR *slash = wcsrchr(path, '\\');
    size_t dir_len = slash ? slash - path + 1 : 0;
    unsigned int i, seed = GetTickCount() ^ (GetCurrentThreadId() << 16);
    HANDLE handle = INVALID_HANDLE_VALUE;

    memcpy(temp, path, dir_len * sizeof(WCHAR));
    for (i = 0; i < 64; i++)
    {
        seed = seed * 1103515245 + 12345;
        swprintf(temp + dir_len, 16, L"BIT%04X.tmp", (seed >> 16) & 0xffff);
        handle = local_file_create_new(temp, GENERIC_WRITE | DELETE, 0, FILE_ATTRIBUTE_HIDDEN);
        if (handle != INVALID_HANDLE_VALUE || GetLastError() != ERROR_FILE_EXISTS) break;
    }
    return handle;
}

/* An SMB upload writes a hidden file next to the destination and renames it
 * at the end, so the destination is never half written.  It starts from the
 * beginning each time: there is no server to say what it has.  The copy
 * keeps the local file's time stamps and attributes (behavior.md 7.4). */
void transfer_file_upload(const struct upload_request *request, struct transfer_result *result)
{
    WCHAR *path, *temp = NULL;
    UINT64 sent = 0;
    HANDLE target;
    DWORD read, written;
    LARGE_INTEGER start;
    BY_HANDLE_FILE_INFORMATION info;
    BOOL have_info;
    BYTE *buffer = NULL;
    HRESULT hr = S_OK;

    memset(result, 0, sizeof(*result));
    result->remote_size = BG_SIZE_UNKNOWN;
    result->total = request->size;
    *request->acknowledged = 0;
    if (!(path = transfer_file_path(request->remote_name)) ||
        !(temp = malloc((wcslen(path) + 16) * sizeof(WCHAR))) || !(buffer = malloc(COPY_BUFFER_SIZE)))
    {
        result->code = E_OUTOFMEMORY;
        result->context = BG_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER;
        result->transient = TRUE;
        goto done;
    }
    target = create_upload_temp(path, temp);
    if (target == INVALID_HANDLE_VALUE)
    {
        DWORD error = GetLastError();
        result->code = HRESULT_FROM_WIN32(error);
        result->context = BG_ERROR_CONTEXT_REMOTE_FILE;
        result->transient = error != ERROR_PATH_NOT_FOUND && error != ERROR_ACCESS_DENIED && error != ERROR_INVALID_NAME;
        goto done;
    }
    have_info = GetFileInformationByHandle(request->file, &info);
    start.QuadPart = 0;
    SetFilePointerEx(request->file, start, NULL, FILE_BEGIN);
    while (sent < request->size)
    {
        if (!ReadFile(request->file, buffer, COPY_BUFFER_SIZE, &read, NULL))
        {
            result->code = HRESULT_FROM_WIN32(GetLastError());
            result->context = BG_ERROR_CONTEXT_LOCAL_FILE;
            break;
        }
        if (!read)
        {
            /* Shorter than it was: it changed under the upload. */
            result->code = BG_E_LOCAL_FILE_CHANGED;
            result->context = BG_ERROR_CONTEXT_LOCAL_FILE;
            break;
        }
        if (!WriteFile(target, buffer, read, &written, NULL) || written != read)
        {
            DWORD error = GetLastError();
            result->code = HRESULT_FROM_WIN32(error ? error : ERROR_DISK_FULL);
            result->context = BG_ERROR_CONTEXT_REMOTE_FILE;
            result->transient = TRUE;
            break;
        }
        sent += read;
        if (request->progress && !request->progress(request->context, min(sent, request->size), request->size))
        {
            result->aborted = TRUE;
            break;
        }
    }
    if (SUCCEEDED(result->code) && !result->aborted && have_info)
        SetFileTime(target, &info.ftCreationTime, NULL, &info.ftLastWriteTime);
    if (SUCCEEDED(result->code) && !result->aborted && sent == request->size)
        copy_security(request->file, target, request->options, BG_ERROR_CONTEXT_REMOTE_FILE, result);
    CloseHandle(target);
    if (SUCCEEDED(result->code) && !result->aborted)
    {
        if (sent != request->size || FAILED(hr = upload_source_check(request)))
        {
            result->code = sent != request->size ? BG_E_LOCAL_FILE_CHANGED : hr;
            result->context = BG_ERROR_CONTEXT_LOCAL_FILE;
            result->transient = result->code != BG_E_LOCAL_FILE_CHANGED;
        }
        else if (!MoveFileExW(temp, path, MOVEFILE_REPLACE_EXISTING))
        {
            DWORD error = GetLastError();

            result->code = HRESULT_FROM_WIN32(error);
            result->context = BG_ERROR_CONTEXT_REMOTE_FILE;
            /* A read-only destination (or one we may not replace) stays so:
             * sending the whole file again would meet it again. */
            result->transient = error != ERROR_ACCESS_DENIED;
        }
        else
        {
            local_file_set_attributes(path, have_info ? info.dwFileAttributes & COPIED_ATTRIBUTES : 0);
            *request->acknowledged = sent;
        }
    }
    if (FAILED(result->code) || result->aborted) local_file_delete(temp);
done:
    free(buffer);
    free(temp);
    free(path);
}
