/*
 * Background Intelligent Transfer Service: creating temporary files and giving
 * them their final names, without Wine's search of the whole directory.
 *
 * Wine looks up a name that does not exist (yet) by reading the whole
 * directory, for the same name in another case.  A job of a thousand files
 * in one directory did that twice per file: when its temporary file was
 * created and when Complete renamed it.  Under Wine's \\?\unix prefix a name
 * is looked up exactly, so:
 * - a temporary name (BITxxxxxxxx.tmp, ours) is created that way;
 * - Complete of a job with many files lists each directory once and renames
 *   that way unless the final name is there in another case, when the
 *   ordinary rename replaces that file as Windows would.  A listing reads the
 *   attributes of every entry: in a directory of 1000 files it costs as much
 *   as 30 ordinary lookups of a missing name, so a job with few files (the
 *   common case, and many such jobs may share a directory) renames the
 *   ordinary way.
 * Outside Wine nothing of this applies and the ordinary names are used.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>

#include "ntstatus.h"
#define WIN32_NO_STATUS
#include "qmgr_private.h"
#include "winternl.h"

typedef char *(CDECL *get_unix_name_fn)(const WCHAR *);

/* The length of the directory part of path, with its separator; 0 if none. */
static size_t dir_length(const WCHAR *path)
{
    const WCHAR *slash = wcsrchr(path, '\\'), *fwd = wcsrchr(path, '/');

    if (fwd > slash) slash = fwd;
    return slash ? slash - path + 1 : 0;
}

/* The directory of path (its first dir_len characters) under \\?\unix, with
 * its separator, malloc'd; NULL outside Wine or when it has no Unix name
 * that can be written so. */
static WCHAR *unix_dir_form(const WCHAR *path, size_t dir_len)
{
    static get_unix_name_fn get_unix_name;
    WCHAR *dir, *result = NULL, *p;
    char *unix_dir;
    int len;

    if (!get_unix_name && !(get_unix_name = (get_unix_name_fn)GetProcAddress(GetModuleHandleW(L"kernel32.dll"),
                                                                             "wine_get_unix_file_name")))
        return NULL;
    if (!dir_len || !(dir = malloc((dir_len + 1) * sizeof(WCHAR)))) return NULL;
    memcpy(dir, path, dir_len * sizeof(WCHAR));
    dir[dir_len] = 0;
    unix_dir = get_unix_name(dir);
    free(dir);
    if (!unix_dir) return NULL;
    /* A backslash is a separator under \\?\unix: such a Unix name cannot be written. */
    if (!strchr(unix_dir, '\\') && (len = MultiByteToWideChar(CP_UTF8, 0, unix_dir, -1, NULL, 0)) &&
        (result = malloc((8 + len + 2) * sizeof(WCHAR))))
    {
        wcscpy(result, L"\\\\?\\unix");
        MultiByteToWideChar(CP_UTF8, 0, unix_dir, -1, result + 8, len);
        for (p = result + 8; *p; p++) if (*p == '/') *p = '\\';
        if (p[-1] != '\\') wcscpy(p, L"\\");
    }
    HeapFree(GetProcessHeap(), 0, unix_dir);
    return result;
}

/* Whether the ordinary lookup takes name as it is: it drops trailing dots and
 * spaces, and matches short (8.3) names. */
static BOOL name_is_plain(const WCHAR *name)
{
    size_t len = wcslen(name);
    return len && name[len - 1] != '.' && name[len - 1] != ' ' && !wcschr(name, '~');
}

/* The file name in the directory whose \\?\unix form is unix_dir, malloc'd; NULL if it cannot be. */
static WCHAR *in_unix_dir(const WCHAR *unix_dir, const WCHAR *name)
{
    WCHAR *result;

    if (!unix_dir || !name_is_plain(name) ||
        !(result = malloc((wcslen(unix_dir) + wcslen(name) + 1) * sizeof(WCHAR))))
        return NULL;
    wcscpy(result, unix_dir);
    wcscat(result, name);
    return result;
}

static BOOL to_nt_name(const WCHAR *path, const WCHAR *unix_form, UNICODE_STRING *nt_name)
{
    BOOL ok = RtlDosPathNameToNtPathName_U(unix_form ? unix_form : path, nt_name, NULL, NULL);

    if (!ok) SetLastError(ERROR_PATH_NOT_FOUND);
    return ok;
}

/* The \\?\unix form of the directory temporary files were last made in: a job
 * makes all of its files in one or a few directories, and looking the form up
 * costs a walk of the path. */
static SRWLOCK temp_dir_lock = SRWLOCK_INIT;
static WCHAR *temp_dir;             /* as the path gave it, with its separator */
static WCHAR *temp_dir_unix_form;

/* The \\?\unix form of path's directory, malloc'd, from the cache unless fresh; *cached says whether it was. */
static WCHAR *temp_dir_form(const WCHAR *path, size_t dir_len, BOOL fresh, BOOL *cached)
{
    WCHAR *form = NULL, *dir;

    *cached = FALSE;
    AcquireSRWLockExclusive(&temp_dir_lock);
    if (!fresh && temp_dir && wcslen(temp_dir) == dir_len && !wcsncmp(temp_dir, path, dir_len))
    {
        *cached = TRUE;
        form = wcsdup(temp_dir_unix_form);
    }
    ReleaseSRWLockExclusive(&temp_dir_lock);
    if (*cached) return form;

    if (!(form = unix_dir_form(path, dir_len)) || !(dir = malloc((dir_len + 1) * sizeof(WCHAR)))) return form;
    memcpy(dir, path, dir_len * sizeof(WCHAR));
    dir[dir_len] = 0;
    AcquireSRWLockExclusive(&temp_dir_lock);
    free(temp_dir);
    free(temp_dir_unix_form);
    temp_dir = dir;
    if (!(temp_dir_unix_form = wcsdup(form)))
    {
        free(temp_dir);
        temp_dir = NULL;
    }
    ReleaseSRWLockExclusive(&temp_dir_lock);
    return form;
}

static HANDLE create_new(const WCHAR *path, DWORD access, DWORD share, DWORD attributes, ULONG options)
{
    size_t dir_len = dir_length(path);
    WCHAR *unix_dir = NULL, *unix_form;
    UNICODE_STRING nt_name;
    OBJECT_ATTRIBUTES attr;
    IO_STATUS_BLOCK io;
    NTSTATUS status;
    HANDLE handle;
    BOOL cached = FALSE, ok;

    if (dir_len && name_is_plain(path + dir_len)) unix_dir = temp_dir_form(path, dir_len, FALSE, &cached);
    for (;;)
    {
        unix_form = in_unix_dir(unix_dir, path + dir_len);
        ok = to_nt_name(path, unix_form, &nt_name);
        free(unix_form);
        if (!ok) break;
        InitializeObjectAttributes(&attr, &nt_name, OBJ_CASE_INSENSITIVE, NULL, NULL);
        status = NtCreateFile(&handle, access | SYNCHRONIZE | FILE_READ_ATTRIBUTES, &attr, &io, NULL,
                              attributes & FILE_ATTRIBUTE_VALID_FLAGS, share, FILE_CREATE,
                              FILE_NON_DIRECTORY_FILE | FILE_SYNCHRONOUS_IO_NONALERT | options, NULL, 0);
        RtlFreeUnicodeString(&nt_name);
        if (status != STATUS_OBJECT_PATH_NOT_FOUND || !cached) break;
        /* The directory is not where it was: look it up again. */
        free(unix_dir);
        unix_dir = temp_dir_form(path, dir_len, TRUE, &cached);
    }
    free(unix_dir);
    if (!ok) return INVALID_HANDLE_VALUE;
    if (status)
    {
        SetLastError(status == STATUS_OBJECT_NAME_COLLISION ? ERROR_FILE_EXISTS : RtlNtStatusToDosError(status));
        return INVALID_HANDLE_VALUE;
    }
    return handle;
}

/* CreateFileW(path, access, share, NULL, CREATE_NEW, attributes, NULL) for a
 * name the service chose.  INVALID_HANDLE_VALUE with the last error set on
 * failure, ERROR_FILE_EXISTS when the name is taken. */
HANDLE local_file_create_new(const WCHAR *path, DWORD access, DWORD share, DWORD attributes)
{
    return create_new(path, access, share, attributes, 0);
}

/* The directories last found writable, and when: one-file jobs add their
 * files one call after another, to one directory or to a few. */
static SRWLOCK writable_dirs_lock = SRWLOCK_INIT;
static struct
{
    WCHAR *dir;
    ULONGLONG time;
} writable_dirs[8];
#define WRITABLE_DIR_KEEP_MS 2000

static BOOL known_writable(const WCHAR *path, size_t dir_len)
{
    ULONGLONG now = GetTickCount64();
    BOOL known = FALSE;
    unsigned int i;

    AcquireSRWLockShared(&writable_dirs_lock);
    for (i = 0; i < ARRAY_SIZE(writable_dirs) && !known; i++)
        known = writable_dirs[i].dir && now - writable_dirs[i].time < WRITABLE_DIR_KEEP_MS &&
                wcslen(writable_dirs[i].dir) == dir_len && !name_compare_n(writable_dirs[i].dir, path, dir_len);
    ReleaseSRWLockShared(&writable_dirs_lock);
    return known;
}

/* Keeps dir (malloc'd, taken over) in place of the oldest entry. */
static void remember_writable(WCHAR *dir)
{
    unsigned int i, oldest = 0;

    AcquireSRWLockExclusive(&writable_dirs_lock);
    for (i = 1; i < ARRAY_SIZE(writable_dirs); i++)
        if (writable_dirs[i].time < writable_dirs[oldest].time) oldest = i;
    free(writable_dirs[oldest].dir);
    writable_dirs[oldest].dir = dir;
    writable_dirs[oldest].time = GetTickCount64();
    ReleaseSRWLockExclusive(&writable_dirs_lock);
}

/* Whether this process may make files in the directory of path (behavior.md
 * 7.1).  Only a refusal counts: a missing directory or another failure is
 * left for the transfer to report.  Wine makes a directory's security from
 * its mode bits alone, without the groups, so a file is made and deleted at
 * once, which asks the system itself. */
BOOL local_dir_writable(const WCHAR *path)
{
    size_t dir_len = dir_length(path);
    WCHAR *probe;
    HANDLE handle;

    if (!dir_len || known_writable(path, dir_len)) return TRUE;

    if (!(probe = malloc((dir_len + 32) * sizeof(WCHAR)))) return TRUE;
    memcpy(probe, path, dir_len * sizeof(WCHAR));
    swprintf(probe + dir_len, 32, L"BIT%08lx%04lx.tmp", GetTickCount(), GetCurrentThreadId() & 0xffff);
    handle = create_new(probe, GENERIC_WRITE | DELETE, 0, FILE_ATTRIBUTE_HIDDEN, FILE_DELETE_ON_CLOSE);
    if (handle == INVALID_HANDLE_VALUE)
    {
        DWORD error = GetLastError();

        free(probe);
        return error != ERROR_ACCESS_DENIED;
    }
    CloseHandle(handle);
    probe[dir_len] = 0;
    remember_writable(probe);
    return TRUE;
}

/* ---- the names of a directory ---- */

void local_dir_listing_free(struct local_dir_listing *listing)
{
    DWORD i;

    for (i = 0; i < listing->count; i++) free(listing->names[i]);
    free(listing->names);
    free(listing->dir);
    free(listing->unix_dir);
    listing->names = NULL;
    listing->dir = listing->unix_dir = NULL;
    listing->count = 0;
    listing->unix_dir_known = FALSE;
}

static int compare_names(const void *a, const void *b)
{
    return name_compare(*(const WCHAR * const *)a, *(const WCHAR * const *)b);
}

/* Lists the directory of path unless it is the one listed.  FALSE when it
 * cannot be listed. */
static BOOL list_dir_of(struct local_dir_listing *listing, const WCHAR *path)
{
    size_t dir_len = dir_length(path), capacity = 0;
    WIN32_FIND_DATAW data;
    WCHAR *pattern, **names;
    HANDLE find;

    if (listing->dir && wcslen(listing->dir) == dir_len && !wcsncmp(listing->dir, path, dir_len)) return TRUE;
    local_dir_listing_free(listing);
    if (!dir_len || !(listing->dir = malloc((dir_len + 1) * sizeof(WCHAR)))) return FALSE;
    memcpy(listing->dir, path, dir_len * sizeof(WCHAR));
    listing->dir[dir_len] = 0;
    if (!(pattern = malloc((dir_len + 2) * sizeof(WCHAR)))) goto failed;
    memcpy(pattern, path, dir_len * sizeof(WCHAR));
    wcscpy(pattern + dir_len, L"*");
    find = FindFirstFileW(pattern, &data);
    free(pattern);
    if (find == INVALID_HANDLE_VALUE) goto failed;
    do
    {
        if (listing->count == capacity)
        {
            capacity = max(64, capacity * 2);
            if (!(names = realloc(listing->names, capacity * sizeof(*names)))) break;
            listing->names = names;
        }
        if (!(listing->names[listing->count] = wcsdup(data.cFileName))) break;
        listing->count++;
    } while (FindNextFileW(find, &data));
    /* A name not read could be the one asked for in another case. */
    if (GetLastError() != ERROR_NO_MORE_FILES)
    {
        FindClose(find);
        goto failed;
    }
    FindClose(find);
    qsort(listing->names, listing->count, sizeof(*listing->names), compare_names);
    return TRUE;

failed:
    local_dir_listing_free(listing);
    return FALSE;
}

/* Whether the directory holds name in another case and not in this one. */
static BOOL other_case_only(const struct local_dir_listing *listing, const WCHAR *name)
{
    WCHAR **found = bsearch(&name, listing->names, listing->count, sizeof(*listing->names), compare_names);
    WCHAR **first, **last, **p;

    if (!found) return FALSE;
    for (first = found; first > listing->names && !name_compare(first[-1], name); first--);
    for (last = found; last + 1 < listing->names + listing->count && !name_compare(last[1], name); last++);
    for (p = first; p <= last; p++) if (!wcscmp(*p, name)) return FALSE;
    return TRUE;
}

/* A name published since the listing: another file of the job may have it in
 * another case. */
static void add_name(struct local_dir_listing *listing, const WCHAR *name)
{
    DWORD i, low = 0, high = listing->count;
    WCHAR **names, *copy;

    /* The first name not below this one, by halves: a job publishes its files one by one. */
    while (low < high)
    {
        i = low + (high - low) / 2;
        if (name_compare(listing->names[i], name) < 0) low = i + 1;
        else high = i;
    }
    i = low;
    if (i < listing->count && !name_compare(listing->names[i], name)) return;
    if (!(copy = wcsdup(name))) return;
    if (!(names = realloc(listing->names, (listing->count + 1) * sizeof(*names))))
    {
        free(copy);
        return;
    }
    listing->names = names;
    memmove(&names[i + 1], &names[i], (listing->count - i) * sizeof(*names));
    names[i] = copy;
    listing->count++;
}

void local_file_set_attributes(const WCHAR *path, DWORD attributes)
{
    DWORD others = attributes & ~FILE_ATTRIBUTE_READONLY;

    if (!attributes) attributes = FILE_ATTRIBUTE_NORMAL;
    if (attributes & FILE_ATTRIBUTE_READONLY) SetFileAttributesW(path, others ? others : FILE_ATTRIBUTE_NORMAL);
    SetFileAttributesW(path, attributes);
}

BOOL local_file_delete(const WCHAR *path)
{
    DWORD error, attributes;

    if (DeleteFileW(path)) return TRUE;
    error = GetLastError();
    if (error == ERROR_ACCESS_DENIED && (attributes = GetFileAttributesW(path)) != INVALID_FILE_ATTRIBUTES &&
        (attributes & FILE_ATTRIBUTE_READONLY))
    {
        attributes &= ~FILE_ATTRIBUTE_READONLY;
        if (SetFileAttributesW(path, attributes ? attributes : FILE_ATTRIBUTE_NORMAL) && DeleteFileW(path))
            return TRUE;
        error = GetLastError();
    }
    SetLastError(error);
    return FALSE;
}

/* Opens a temporary file to be given its final name.  *by_name: its
 * attributes are to be set by name afterwards. */
static HANDLE open_for_publish(const WCHAR *temp, BOOL *by_name)
{
    DWORD share = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;
    HANDLE handle;

    *by_name = FALSE;
    handle = CreateFileW(temp, DELETE | FILE_WRITE_ATTRIBUTES, share, NULL, OPEN_EXISTING, 0, NULL);
    /* A DACL taken from an SMB source (SetFileACLFlags) without the user's
     * write right: Wine keeps it as a file without write bits, which a user
     * who is not root cannot open for FILE_WRITE_ATTRIBUTES.  Its attributes
     * are then set by name, as Wine lets the owner do. */
    if (handle == INVALID_HANDLE_VALUE && GetLastError() == ERROR_ACCESS_DENIED)
    {
        handle = CreateFileW(temp, DELETE, share, NULL, OPEN_EXISTING, 0, NULL);
        *by_name = TRUE;
    }
    return handle;
}

/* Gives a finished temporary file its final name, replacing what has it, and
 * shows it (the temporary file is hidden), or gives it an SMB source's
 * attributes.  One open of the file, where MoveFileExW and SetFileAttributesW
 * took two: each is a round trip through Wine's server; none when kept (taken
 * over, closed here) is a handle the file is still open with and Wine renames
 * through it.  listing: the directory as Complete found it, kept from one file
 * to the next, and shared by the threads that publish a job's files. */
BOOL local_file_publish(struct local_dir_listing *listing, const WCHAR *temp, HANDLE kept, const WCHAR *final,
                        DWORD attributes)
{
    FILE_BASIC_INFORMATION basic = {0};
    FILE_RENAME_INFORMATION *rename;
    UNICODE_STRING nt_name;
    IO_STATUS_BLOCK io;
    NTSTATUS status;
    HANDLE handle = kept;
    WCHAR *unix_form = NULL;
    BOOL exact, ok, by_name = FALSE;
    ULONG size;

    if (!attributes) attributes = FILE_ATTRIBUTE_NORMAL;
    if (!handle && (handle = open_for_publish(temp, &by_name)) == INVALID_HANDLE_VALUE) return FALSE;
    AcquireSRWLockExclusive(&listing->lock);
    exact = listing->wanted && list_dir_of(listing, final) && !other_case_only(listing, final + dir_length(final));
    if (exact && !listing->unix_dir_known)
    {
        listing->unix_dir = unix_dir_form(final, dir_length(final));
        listing->unix_dir_known = TRUE;
    }
    if (exact) unix_form = in_unix_dir(listing->unix_dir, final + dir_length(final));
    ReleaseSRWLockExclusive(&listing->lock);
    ok = to_nt_name(final, unix_form, &nt_name);
    free(unix_form);
    if (!ok)
    {
        CloseHandle(handle);
        return FALSE;
    }
    size = offsetof(FILE_RENAME_INFORMATION, FileName[nt_name.Length / sizeof(WCHAR)]);
    if (!(rename = calloc(1, size)))
    {
        RtlFreeUnicodeString(&nt_name);
        CloseHandle(handle);
        SetLastError(ERROR_OUTOFMEMORY);
        return FALSE;
    }
    rename->ReplaceIfExists = TRUE;
    rename->FileNameLength = nt_name.Length;
    memcpy(rename->FileName, nt_name.Buffer, nt_name.Length);
    RtlFreeUnicodeString(&nt_name);
    status = NtSetInformationFile(handle, &io, rename, size, FileRenameInformation);
    /* Outside Wine a rename asks for DELETE access, which a kept handle lacks:
     * the file is opened again.  (Under Wine the status comes from the
     * destination, and the second try fails as the first.) */
    if (status == STATUS_ACCESS_DENIED && kept)
    {
        CloseHandle(kept);
        kept = NULL;
        if ((handle = open_for_publish(temp, &by_name)) == INVALID_HANDLE_VALUE)
        {
            free(rename);
            return FALSE;
        }
        status = NtSetInformationFile(handle, &io, rename, size, FileRenameInformation);
    }
    free(rename);
    if (status == STATUS_NOT_SAME_DEVICE)
    {
        /* Another volume: MoveFileExW copies. */
        CloseHandle(handle);
        if (!MoveFileExW(temp, final, MOVEFILE_REPLACE_EXISTING | MOVEFILE_COPY_ALLOWED)) return FALSE;
        local_file_set_attributes(final, attributes);
        return TRUE;
    }
    if (status)
    {
        CloseHandle(handle);
        SetLastError(RtlNtStatusToDosError(status));
        return FALSE;
    }
    if (!by_name)
    {
        /* Zero times leave them as they are.  Read-only comes last: Wine keeps the
         * other attributes in an extended attribute, which a user who is not root
         * cannot write once the file is read-only. */
        if (attributes & FILE_ATTRIBUTE_READONLY)
        {
            basic.FileAttributes = (attributes & ~FILE_ATTRIBUTE_READONLY) ? attributes & ~FILE_ATTRIBUTE_READONLY
                                                                          : FILE_ATTRIBUTE_NORMAL;
            NtSetInformationFile(handle, &io, &basic, sizeof(basic), FileBasicInformation);
        }
        basic.FileAttributes = attributes;
        /* A kept handle was opened before a DACL from an SMB source took the
         * user's write right (see open_for_publish): then by name too. */
        by_name = NtSetInformationFile(handle, &io, &basic, sizeof(basic), FileBasicInformation) != STATUS_SUCCESS;
    }
    CloseHandle(handle);
    if (by_name) local_file_set_attributes(final, attributes);
    if (exact)
    {
        AcquireSRWLockExclusive(&listing->lock);
        /* Another directory may have been listed meanwhile. */
        if (listing->dir && wcslen(listing->dir) == dir_length(final) &&
            !wcsncmp(listing->dir, final, dir_length(final)))
            add_name(listing, final + dir_length(final));
        ReleaseSRWLockExclusive(&listing->lock);
    }
    return TRUE;
}
