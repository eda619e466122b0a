/*
 * Background Intelligent Transfer Service: jobs that outlive the service.
 *
 * Every job that is not ACKNOWLEDGED or CANCELLED has a file of its own,
 * ProgramData\Microsoft\Network\Downloader\qmgr-jobs\XX\{id}.job, where XX
 * are the first two hex digits of the id (Wine looks a new name up by reading
 * the whole directory, so no directory may grow to thousands of files).  A
 * record is written to a temporary name, flushed and renamed over the old
 * one, so that a crash at any instant leaves the old record or the new one.
 * A record that cannot be read is renamed to .corrupt and the other jobs
 * load as usual.
 *
 * Changes are written by a thread of the store, soon after they happen but
 * never on the caller's time; several changes of one job make one write.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>

#include "qmgr_private.h"
#include "store.h"
#include "store_events.h"
#include "winreg.h"
#include "wincrypt.h"
#include "winternl.h"

#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(qmgr);

#define STORE_MAGIC "QMGRJOB\x1a"
#define STORE_VERSION 1

/* How long changes gather before they are written: what a crash of the
 * service can lose of the latest calls. */
#define GATHER_MS 100
/* A record that could not be written or deleted (a full disk, a reader that
 * holds it) is tried again after this long, for as long as the service runs;
 * twice as long after each pass that fails again, up to the most. */
#define RETRY_MS 2000
#define MAX_RETRY_MS (5 * 60 * 1000)
/* The largest record written, and read back: an administrator's job has no
 * limit of files or ranges, and loading reads a record whole. */
#define MAX_RECORD_SIZE (1024 * 1024 * 1024)

struct record_header
{
    char magic[8];
    DWORD version;
    DWORD size;   /* of the fields after the header */
    DWORD crc;    /* RtlComputeCrc32 of those fields */
    DWORD reserved;
};

struct field_header
{
    WORD tag;
    WORD reserved;
    DWORD size;
};

static WCHAR store_dir[MAX_PATH];
static BOOL same_boot;

static struct
{
    CRITICAL_SECTION cs;
    struct job **jobs;      /* waiting to be written, one reference each */
    ULONG count, capacity;
    HANDLE wake;
    HANDLE stop;            /* set with stopping: no more gathering */
    HANDLE idle;            /* set while nothing waits to be written (store_events.h) */
    HANDLE hurry;           /* an exiting client asks not to gather */
    HANDLE thread;
    BOOL stopping;
    struct job **failed;    /* to be tried again after RETRY_MS, one reference each */
    ULONG failed_count, failed_capacity;
    ULONGLONG retry_due;    /* GetTickCount64() time of that */
    DWORD retry_delay;      /* RETRY_MS, or longer while records keep failing */
} queue;

/* ---- writing fields ---- */

static BYTE *reserve(struct store_writer *writer, SIZE_T size)
{
    BYTE *ret;

    if (writer->failed) return NULL;
    if (size > MAX_RECORD_SIZE - sizeof(struct record_header) - writer->size)
    {
        writer->failed = writer->too_large = TRUE;
        return NULL;
    }
    if (writer->size + size > writer->capacity)
    {
        SIZE_T capacity = max(writer->capacity * 2, writer->size + size + 256);
        BYTE *data = realloc(writer->data, capacity);
        if (!data)
        {
            writer->failed = TRUE;
            return NULL;
        }
        writer->data = data;
        writer->capacity = capacity;
    }
    ret = writer->data + writer->size;
    writer->size += size;
    return ret;
}

void store_put_blob(struct store_writer *writer, WORD tag, const void *data, DWORD size)
{
    struct field_header header = { tag, 0, size };
    BYTE *ptr;

    if (!(ptr = reserve(writer, sizeof(header) + size))) return;
    memcpy(ptr, &header, sizeof(header));
    if (size) memcpy(ptr + sizeof(header), data, size);
}

void store_put_u32(struct store_writer *writer, WORD tag, DWORD value)
{
    store_put_blob(writer, tag, &value, sizeof(value));
}

void store_put_u64(struct store_writer *writer, WORD tag, UINT64 value)
{
    store_put_blob(writer, tag, &value, sizeof(value));
}

void store_put_string(struct store_writer *writer, WORD tag, const WCHAR *string)
{
    if (string) store_put_blob(writer, tag, string, wcslen(string) * sizeof(WCHAR));
}

BOOL store_put_secret(struct store_writer *writer, WORD tag, const WCHAR *string)
{
    DATA_BLOB in, out;

    if (!string) return TRUE;
    in.pbData = (BYTE *)string;
    in.cbData = wcslen(string) * sizeof(WCHAR);
    if (!CryptProtectData(&in, NULL, NULL, NULL, NULL, CRYPTPROTECT_UI_FORBIDDEN | CRYPTPROTECT_LOCAL_MACHINE, &out))
    {
        /* Never write a secret in clear: without it the job asks for it again. */
        WARN("cannot encrypt a secret: %lu.\n", GetLastError());
        return FALSE;
    }
    store_put_blob(writer, tag, out.pbData, out.cbData);
    LocalFree(out.pbData);
    return TRUE;
}

SIZE_T store_begin_group(struct store_writer *writer, WORD tag)
{
    SIZE_T start = writer->size;
    store_put_blob(writer, tag, NULL, 0);
    return start;
}

void store_end_group(struct store_writer *writer, SIZE_T start)
{
    struct field_header *header;

    if (writer->failed) return;
    header = (struct field_header *)(writer->data + start);
    header->size = writer->size - start - sizeof(*header);
}

void store_drop_group(struct store_writer *writer, SIZE_T start)
{
    if (!writer->failed) writer->size = start;
}

/* ---- reading fields ---- */

BOOL store_next_field(struct store_reader *reader, struct store_field *field, BOOL *broken)
{
    struct field_header header;

    if (reader->pos == reader->size) return FALSE;
    if (reader->size - reader->pos < sizeof(header))
    {
        *broken = TRUE;
        return FALSE;
    }
    memcpy(&header, reader->data + reader->pos, sizeof(header));
    if (header.size > reader->size - reader->pos - sizeof(header))
    {
        *broken = TRUE;
        return FALSE;
    }
    field->tag = header.tag;
    field->size = header.size;
    field->data = reader->data + reader->pos + sizeof(header);
    reader->pos += sizeof(header) + header.size;
    return TRUE;
}

BOOL store_get_u32(const struct store_field *field, DWORD *value)
{
    if (field->size != sizeof(*value)) return FALSE;
    memcpy(value, field->data, sizeof(*value));
    return TRUE;
}

BOOL store_get_u64(const struct store_field *field, UINT64 *value)
{
    if (field->size != sizeof(*value)) return FALSE;
    memcpy(value, field->data, sizeof(*value));
    return TRUE;
}

/* Whether memory ran out while the record being loaded was read (store_malloc);
 * records are loaded by one thread. */
static BOOL load_out_of_memory;

void *store_malloc(SIZE_T size)
{
    void *ret = malloc(size);

    if (!ret) load_out_of_memory = TRUE;
    return ret;
}

static BOOL copy_string(const BYTE *data, DWORD size, WCHAR **string)
{
    WCHAR *copy;

    if (size % sizeof(WCHAR)) return FALSE;
    if (!(copy = store_malloc(size + sizeof(WCHAR)))) return FALSE;
    memcpy(copy, data, size);
    copy[size / sizeof(WCHAR)] = 0;
    /* A NUL inside would silently shorten the string: the record is wrong. */
    if (wcslen(copy) != size / sizeof(WCHAR))
    {
        free(copy);
        return FALSE;
    }
    free(*string);
    *string = copy;
    return TRUE;
}

BOOL store_get_string(const struct store_field *field, WCHAR **string)
{
    return copy_string(field->data, field->size, string);
}

BOOL store_get_secret(const struct store_field *field, WCHAR **string)
{
    DATA_BLOB in, out;
    BOOL ret;

    in.pbData = (BYTE *)field->data;
    in.cbData = field->size;
    if (!CryptUnprotectData(&in, NULL, NULL, NULL, NULL, CRYPTPROTECT_UI_FORBIDDEN, &out))
    {
        WARN("cannot decrypt a secret: %lu.\n", GetLastError());
        return FALSE;
    }
    ret = copy_string(out.pbData, out.cbData, string);
    SecureZeroMemory(out.pbData, out.cbData);
    LocalFree(out.pbData);
    return ret;
}

void store_group_reader(const struct store_field *field, struct store_reader *reader)
{
    reader->data = field->data;
    reader->size = field->size;
    reader->pos = 0;
}

/* ---- files on disk ---- */

static void job_path(const GUID *id, WCHAR *path, BOOL temporary)
{
    WCHAR guid[39];

    StringFromGUID2(id, guid, ARRAY_SIZE(guid));
    swprintf(path, MAX_PATH, L"%s\\%02X\\%s%s", store_dir, (unsigned int)(id->Data1 >> 24), guid,
             temporary ? L".tmp" : L".job");
}

static BOOL write_all(HANDLE handle, const void *data, DWORD size)
{
    DWORD written;
    return WriteFile(handle, data, size, &written, NULL) && written == size;
}

static BOOL write_record(const GUID *id, const struct store_writer *writer)
{
    struct record_header header;
    WCHAR path[MAX_PATH], temp[MAX_PATH], *slash;
    HANDLE handle;
    BOOL ok;

    memcpy(header.magic, STORE_MAGIC, sizeof(header.magic));
    header.version = STORE_VERSION;
    header.size = writer->size;
    header.crc = RtlComputeCrc32(0, writer->data, writer->size);
    header.reserved = 0;

    job_path(id, path, FALSE);
    job_path(id, temp, TRUE);
    handle = CreateFileW(temp, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    if (handle == INVALID_HANDLE_VALUE && GetLastError() == ERROR_PATH_NOT_FOUND)
    {
        slash = wcsrchr(temp, '\\');
        *slash = 0;
        CreateDirectoryW(temp, NULL);
        *slash = '\\';
        handle = CreateFileW(temp, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    }
    if (handle == INVALID_HANDLE_VALUE)
    {
        ERR("cannot write %s: %lu.\n", debugstr_w(temp), GetLastError());
        return FALSE;
    }
    ok = write_all(handle, &header, sizeof(header)) && write_all(handle, writer->data, writer->size) &&
         FlushFileBuffers(handle);
    CloseHandle(handle);
    if (ok) ok = MoveFileExW(temp, path, MOVEFILE_REPLACE_EXISTING);
    if (!ok)
    {
        ERR("cannot save job %s: %lu.\n", debugstr_guid(id), GetLastError());
        DeleteFileW(temp);
    }
    return ok;
}

/* FALSE when the record is not as the job is now: to be tried again. */
static BOOL save_job(struct job *job)
{
    struct store_writer writer = { 0 };
    WCHAR path[MAX_PATH];
    BOOL ok = TRUE;

    if (!job_save(job, &writer))
    {
        /* Final: nothing of it survives. */
        job_path(job_id(job), path, FALSE);
        if (!DeleteFileW(path) && GetLastError() != ERROR_FILE_NOT_FOUND && GetLastError() != ERROR_PATH_NOT_FOUND)
        {
            ERR("cannot delete the record of job %s: %lu.\n", debugstr_guid(job_id(job)), GetLastError());
            job_record_kept(job);
            ok = FALSE;
        }
    }
    else if (writer.too_large)
    {
        /* Not tried again: it would not fit the next time either. */
        static BOOL reported;

        if (!reported) ERR("job %s: its record would be over %u bytes; it is not saved.\n",
                           debugstr_guid(job_id(job)), MAX_RECORD_SIZE);
        reported = TRUE;
    }
    else if (writer.failed)
    {
        ERR("out of memory saving job %s.\n", debugstr_guid(job_id(job)));
        ok = FALSE;
    }
    else if (!writer.size) TRACE("job %s came and went unsaved.\n", debugstr_guid(job_id(job)));
    else ok = write_record(job_id(job), &writer);
    free(writer.data);
    return ok;
}

/* Keeps job (its reference taken over) for another try; queue lock held. */
static void keep_failed(struct job *job)
{
    struct job **grown;
    ULONG capacity;

    if (queue.failed_count == queue.failed_capacity)
    {
        capacity = max(16, queue.failed_capacity * 2);
        if (!(grown = realloc(queue.failed, capacity * sizeof(*grown))))
        {
            job_release(job);
            return;
        }
        queue.failed = grown;
        queue.failed_capacity = capacity;
    }
    if (!queue.failed_count) queue.retry_due = GetTickCount64() + queue.retry_delay;
    queue.failed[queue.failed_count++] = job;
}

/* The failed ones go back into the queue (each job once); queue lock held. */
static void requeue_failed(void)
{
    ULONG i, j;
    BOOL queued;

    for (i = 0; i < queue.failed_count; i++)
    {
        for (j = 0, queued = FALSE; j < queue.count && !queued; j++) queued = queue.jobs[j] == queue.failed[i];
        if (!queued && queue.count == queue.capacity)
        {
            ULONG capacity = max(64, queue.capacity * 2);
            struct job **grown = realloc(queue.jobs, capacity * sizeof(*grown));
            if (grown)
            {
                queue.jobs = grown;
                queue.capacity = capacity;
            }
            else queued = TRUE;  /* dropped: out of memory */
        }
        if (queued) job_release(queue.failed[i]);
        else queue.jobs[queue.count++] = queue.failed[i];
    }
    queue.failed_count = 0;
    /* Writes wait again: an exiting client must not take the store for idle. */
    if (queue.count) ResetEvent(queue.idle);
}

/* ---- the writer thread ---- */

static DWORD WINAPI store_thread(void *arg)
{
    struct job **jobs;
    ULONG i, count;
    ULONGLONG now;
    DWORD wait;
    BOOL stopping, failed;

    for (;;)
    {
        EnterCriticalSection(&queue.cs);
        now = GetTickCount64();
        wait = !queue.failed_count ? INFINITE : queue.retry_due > now ? (DWORD)(queue.retry_due - now) : 0;
        LeaveCriticalSection(&queue.cs);
        /* Records that failed are tried again when their time comes, other
         * changes or not. */
        WaitForSingleObject(queue.wake, wait);
        EnterCriticalSection(&queue.cs);
        if (queue.failed_count && GetTickCount64() >= queue.retry_due) requeue_failed();
        LeaveCriticalSection(&queue.cs);
        /* Let the changes of a moment gather: a job that changes several times,
         * or comes and goes, in that moment is written once, or not at all. */
        if (!ReadNoFence((LONG *)&queue.stopping))
        {
            HANDLE waits[2] = { queue.stop, queue.hurry };
            WaitForMultipleObjects(2, waits, FALSE, GATHER_MS);
        }
        EnterCriticalSection(&queue.cs);
        if (queue.stopping) requeue_failed();  /* a last try */
        jobs = queue.jobs;
        count = queue.count;
        stopping = queue.stopping;
        queue.jobs = NULL;
        queue.count = queue.capacity = 0;
        LeaveCriticalSection(&queue.cs);

        for (i = 0, failed = FALSE; i < count; i++)
        {
            if (save_job(jobs[i]) || stopping) job_release(jobs[i]);
            else
            {
                EnterCriticalSection(&queue.cs);
                keep_failed(jobs[i]);
                LeaveCriticalSection(&queue.cs);
                failed = TRUE;
            }
        }
        free(jobs);
        if (count)
        {
            EnterCriticalSection(&queue.cs);
            queue.retry_delay = failed ? min(queue.retry_delay * 2, MAX_RETRY_MS) : RETRY_MS;
            LeaveCriticalSection(&queue.cs);
        }

        EnterCriticalSection(&queue.cs);
        /* Idle with failures kept too: an exiting client need not wait for a full disk. */
        if (queue.count) SetEvent(queue.wake);
        else SetEvent(queue.idle);
        if (stopping && !queue.count)
        {
            LeaveCriticalSection(&queue.cs);
            return 0;
        }
        LeaveCriticalSection(&queue.cs);
    }
}

void store_save_later(struct job *job)
{
    struct job **jobs;

#ifdef QMGR_BENCH_NO_STORE
    /* A build for tests/bench/run --store-cost only: what persistence costs. */
    return;
#endif

    EnterCriticalSection(&queue.cs);
    if (queue.count == queue.capacity)
    {
        ULONG capacity = queue.capacity ? queue.capacity * 2 : 64;
        if (!(jobs = realloc(queue.jobs, capacity * sizeof(*jobs))))
        {
            LeaveCriticalSection(&queue.cs);
            ERR("out of memory: job %s is not saved.\n", debugstr_guid(job_id(job)));
            return;
        }
        queue.jobs = jobs;
        queue.capacity = capacity;
    }
    job_addref(job);
    /* The thread takes the whole queue: one wake for the first job is enough. */
    if (!queue.count++)
    {
        ResetEvent(queue.idle);
        SetEvent(queue.wake);
    }
    queue.jobs[queue.count - 1] = job;
    LeaveCriticalSection(&queue.cs);
}

/* ---- start and stop ---- */

static BOOL read_file(const WCHAR *path, BYTE **data, DWORD *size)
{
    LARGE_INTEGER length;
    HANDLE handle;
    DWORD read;

    *data = NULL;
    handle = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
    if (handle == INVALID_HANDLE_VALUE) return FALSE;
    if (!GetFileSizeEx(handle, &length) || length.QuadPart > MAX_RECORD_SIZE ||
        !(*data = malloc(length.QuadPart ? length.QuadPart : 1)) ||
        !ReadFile(handle, *data, length.QuadPart, &read, NULL) || read != length.QuadPart)
    {
        CloseHandle(handle);
        free(*data);
        *data = NULL;
        return FALSE;
    }
    CloseHandle(handle);
    *size = read;
    return TRUE;
}

/* The kernel's boot id: a file written before a reboot may have lost its
 * unflushed bytes, one written in this boot has not. */
static void check_boot(void)
{
    WCHAR path[MAX_PATH];
    char current[64] = "";
    BYTE *previous;
    DWORD size, len;
    HANDLE handle;

    handle = CreateFileW(L"\\\\?\\unix\\proc\\sys\\kernel\\random\\boot_id", GENERIC_READ,
                         FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING, 0, NULL);
    if (handle != INVALID_HANDLE_VALUE)
    {
        if (!ReadFile(handle, current, sizeof(current) - 1, &len, NULL)) len = 0;
        current[len] = 0;
        CloseHandle(handle);
    }
    len = strlen(current);

    swprintf(path, MAX_PATH, L"%s\\boot-id", store_dir);
    same_boot = FALSE;
    if (len && read_file(path, &previous, &size))
    {
        same_boot = size == len && !memcmp(previous, current, len);
        free(previous);
    }
    if (!same_boot && len)
    {
        handle = CreateFileW(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
        if (handle != INVALID_HANDLE_VALUE)
        {
            write_all(handle, current, len);
            FlushFileBuffers(handle);
            CloseHandle(handle);
        }
    }
    TRACE("same boot: %d.\n", same_boot);
}

BOOL store_same_boot(void)
{
    return same_boot;
}

static void create_directories(const WCHAR *path)
{
    WCHAR partial[MAX_PATH];
    const WCHAR *p;

    for (p = path + 3; (p = wcschr(p, '\\')); p++)
    {
        memcpy(partial, path, (p - path) * sizeof(WCHAR));
        partial[p - path] = 0;
        CreateDirectoryW(partial, NULL);
    }
    CreateDirectoryW(path, NULL);
}

void store_init(void)
{
    WCHAR base[MAX_PATH];
    DWORD len;

    queue.retry_delay = RETRY_MS;
    /* Where Windows keeps machine-wide data; a service's environment may say otherwise under Wine. */
    len = sizeof(base);
    if (RegGetValueW(HKEY_LOCAL_MACHINE, L"Software\\Microsoft\\Windows NT\\CurrentVersion\\ProfileList",
                     L"ProgramData", RRF_RT_REG_SZ | RRF_RT_REG_EXPAND_SZ, NULL, base, &len) ||
        wcslen(base) >= ARRAY_SIZE(base) - 64)
        wcscpy(base, L"C:\\ProgramData");
    swprintf(store_dir, ARRAY_SIZE(store_dir), L"%s\\Microsoft\\Network\\Downloader\\qmgr-jobs", base);
    create_directories(store_dir);
    check_boot();

    InitializeCriticalSection(&queue.cs);
    queue.wake = CreateEventW(NULL, FALSE, FALSE, NULL);
    queue.stop = CreateEventW(NULL, TRUE, FALSE, NULL);
    queue.idle = CreateEventW(NULL, TRUE, TRUE, STORE_IDLE_EVENT);
    if (!queue.idle) queue.idle = CreateEventW(NULL, TRUE, TRUE, NULL);
    else SetEvent(queue.idle);  /* an older service's, left with a client */
    queue.hurry = CreateEventW(NULL, FALSE, FALSE, STORE_HURRY_EVENT);
    if (!queue.hurry) queue.hurry = CreateEventW(NULL, FALSE, FALSE, NULL);
    queue.thread = CreateThread(NULL, 0, store_thread, NULL, 0, NULL);
}

/* A record that cannot be read keeps its bytes under another name, for a
 * look by hand, and stops being loaded (BITS_MC_STATE_FILE_CORRUPT's case). */
static void set_aside(const WCHAR *path, const char *why)
{
    WCHAR aside[MAX_PATH];

    ERR("job store %s cannot be read (%s); moved aside.\n", debugstr_w(path), why);
    swprintf(aside, ARRAY_SIZE(aside), L"%s.corrupt", path);
    if (!MoveFileExW(path, aside, MOVEFILE_REPLACE_EXISTING)) DeleteFileW(path);
}

static void load_record(const WCHAR *path, const WCHAR *name, void (*add)(struct job *job))
{
    struct record_header header;
    struct store_reader reader;
    struct job *job;
    WCHAR guid[39];
    BYTE *data;
    DWORD size;
    GUID id;
    HRESULT hr;

    if (wcslen(name) != 42) return;
    memcpy(guid, name, 38 * sizeof(WCHAR));
    guid[38] = 0;
    if (FAILED(CLSIDFromString(guid, &id)))
    {
        set_aside(path, "bad name");
        return;
    }
    if (!read_file(path, &data, &size))
    {
        ERR("cannot read %s: %lu.\n", debugstr_w(path), GetLastError());
        return;
    }
    if (size < sizeof(header)) set_aside(path, "truncated");
    else
    {
        memcpy(&header, data, sizeof(header));
        if (memcmp(header.magic, STORE_MAGIC, sizeof(header.magic))) set_aside(path, "not a job record");
        else if (header.version > STORE_VERSION) set_aside(path, "a later version");
        else if (header.size != size - sizeof(header)) set_aside(path, "truncated");
        else if (header.crc != RtlComputeCrc32(0, data + sizeof(header), header.size)) set_aside(path, "bad checksum");
        else
        {
            reader.data = data + sizeof(header);
            reader.size = header.size;
            reader.pos = 0;
            load_out_of_memory = FALSE;
            hr = job_load(&reader, &id, &job);
            /* Out of memory: the record is good, and the next start may load it. */
            if (FAILED(hr) && (hr == E_OUTOFMEMORY || load_out_of_memory))
                ERR("out of memory loading %s.\n", debugstr_w(path));
            else if (FAILED(hr)) set_aside(path, "bad fields");
            else
            {
                add(job);
                job_release(job);
            }
        }
    }
    free(data);
}

void store_load(void (*add)(struct job *job))
{
    WCHAR pattern[MAX_PATH], path[MAX_PATH];
    WIN32_FIND_DATAW shard, entry;
    HANDLE shards, entries;
    size_t len;

    swprintf(pattern, ARRAY_SIZE(pattern), L"%s\\??", store_dir);
    if ((shards = FindFirstFileW(pattern, &shard)) == INVALID_HANDLE_VALUE) return;
    do
    {
        if (!(shard.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) || wcslen(shard.cFileName) != 2) continue;
        swprintf(pattern, ARRAY_SIZE(pattern), L"%s\\%s\\*", store_dir, shard.cFileName);
        if ((entries = FindFirstFileW(pattern, &entry)) == INVALID_HANDLE_VALUE) continue;
        do
        {
            if (entry.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) continue;
            swprintf(path, ARRAY_SIZE(path), L"%s\\%s\\%s", store_dir, shard.cFileName, entry.cFileName);
            len = wcslen(entry.cFileName);
            /* A write the last service did not finish: its old record still stands. */
            if (len > 4 && !wcsicmp(entry.cFileName + len - 4, L".tmp")) DeleteFileW(path);
            else if (len > 4 && !wcsicmp(entry.cFileName + len - 4, L".job")) load_record(path, entry.cFileName, add);
        } while (FindNextFileW(entries, &entry));
        FindClose(entries);
    } while (FindNextFileW(shards, &shard));
    FindClose(shards);
}

void store_shutdown(void)
{
    if (!queue.thread) return;
    EnterCriticalSection(&queue.cs);
    queue.stopping = TRUE;
    SetEvent(queue.stop);
    SetEvent(queue.wake);
    LeaveCriticalSection(&queue.cs);
    /* Bounded: a disk that hangs must not keep the service from stopping. */
    if (!service_wait_stopping(&queue.thread, 1, 60000)) ERR("the job store did not finish writing.\n");
    CloseHandle(queue.thread);
    queue.thread = NULL;
}

void store_finish(void)
{
    struct job **jobs;
    ULONG i, count;

    EnterCriticalSection(&queue.cs);
    jobs = queue.jobs;
    count = queue.count;
    queue.jobs = NULL;
    queue.count = queue.capacity = 0;
    for (i = 0; i < queue.failed_count; i++) job_release(queue.failed[i]);
    free(queue.failed);
    queue.failed = NULL;
    queue.failed_count = queue.failed_capacity = 0;
    LeaveCriticalSection(&queue.cs);
    if (count) TRACE("%lu jobs changed after the store stopped.\n", count);
    for (i = 0; i < count; i++)
    {
        save_job(jobs[i]);
        job_release(jobs[i]);
    }
    free(jobs);
}
