/*
 * Background Intelligent Transfer Service: the job store's record format.
 *
 * A job is saved as a record of tagged fields (tag, size, bytes).  Each
 * object writes and reads its own fields; store.c frames the record (magic,
 * version, checksum) and moves it to and from disk.  A reader skips tags it
 * does not know, so later versions can add fields without a new format.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __QMGR_STORE_H
#define __QMGR_STORE_H

struct store_writer
{
    BYTE *data;
    SIZE_T size;
    SIZE_T capacity;
    BOOL failed;     /* out of memory, or too large: the record is not written */
    BOOL too_large;  /* over the most a record may be (store.c) */
};

void store_put_u32(struct store_writer *writer, WORD tag, DWORD value);
void store_put_u64(struct store_writer *writer, WORD tag, UINT64 value);
void store_put_blob(struct store_writer *writer, WORD tag, const void *data, DWORD size);
/* NULL strings are left out: a missing field reads back as NULL. */
void store_put_string(struct store_writer *writer, WORD tag, const WCHAR *string);
/* Encrypted for this machine before it is written (passwords, custom headers);
 * FALSE when it could not be, and nothing was written. */
BOOL store_put_secret(struct store_writer *writer, WORD tag, const WCHAR *string);
/* A nested record (a file of a job): returns where it starts, for store_end_group. */
SIZE_T store_begin_group(struct store_writer *writer, WORD tag);
void store_end_group(struct store_writer *writer, SIZE_T start);
/* Takes back a group begun at @start, with all that was put in it since. */
void store_drop_group(struct store_writer *writer, SIZE_T start);

struct store_reader
{
    const BYTE *data;
    SIZE_T size;
    SIZE_T pos;
};

struct store_field
{
    WORD tag;
    DWORD size;
    const BYTE *data;
};

/* FALSE at the end of the record; *broken is set when the rest is not a field. */
BOOL store_next_field(struct store_reader *reader, struct store_field *field, BOOL *broken);
/* FALSE when the field does not have the size its type needs. */
BOOL store_get_u32(const struct store_field *field, DWORD *value);
BOOL store_get_u64(const struct store_field *field, UINT64 *value);
/* A malloc'ed copy; FALSE when malformed or out of memory. */
BOOL store_get_string(const struct store_field *field, WCHAR **string);
BOOL store_get_secret(const struct store_field *field, WCHAR **string);
void store_group_reader(const struct store_field *field, struct store_reader *reader);
/* malloc for what a record's fields are copied into while it is loaded: a
 * failure is noted, so that a good record is kept for the next start rather
 * than set aside as damaged. */
void *store_malloc(SIZE_T size);

/* store.c: where records go. */
void store_init(void);
/* Reads every stored job and hands each to add (which takes its own reference). */
void store_load(void (*add)(struct job *job));
/* The job changed: it is written soon, by the store's thread (deleted once final). */
void store_save_later(struct job *job);
/* Writes whatever waits, then stops the store's thread. */
void store_shutdown(void);
/* Last, after the threads were joined and COM let go: writes the changes
 * made after store_shutdown (a client's call, a thread that ended late).  A
 * thread still stuck past its join's limit may change a job after this: that
 * change is not written. */
void store_finish(void);
/* Whether the machine has rebooted since the service that wrote the store ran:
 * after a reboot only flushed bytes of a temporary file can be trusted. */
BOOL store_same_boot(void);

/* The objects' halves. */
/* FALSE: the job is gone and its record must go; an empty record: nothing to do. */
BOOL job_save(struct job *job, struct store_writer *writer);
/* The final job's record could not be deleted: the next job_save says so again. */
void job_record_kept(struct job *job);
HRESULT job_load(struct store_reader *reader, const GUID *id, struct job **out);
void file_save(struct file *file, struct store_writer *writer);
HRESULT file_load(struct job *job, struct store_reader *reader, BOOL resumable, BOOL upload, struct file **out);
void http_options_save(struct http_options *options, struct store_writer *writer);
void http_options_load_field(struct http_options *options, const struct store_field *field);
void token_options_save(struct token_options *options, struct store_writer *writer);
void token_options_load_field(struct token_options *options, const struct store_field *field);

#endif /* __QMGR_STORE_H */
