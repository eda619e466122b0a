/*
 * bitsadmin: the command-line client of BITS, as Windows ships it
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

#ifndef BITSADMIN_H
#define BITSADMIN_H

#include <stdarg.h>

#define COBJMACROS
#include "windef.h"
#include "winbase.h"
#include "objbase.h"
#include "bits10_3.h"
#include "bitsmsg.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Exit codes: Windows' bitsadmin ends with 0 when the command did what it was
 * asked and 1 otherwise (bad syntax, an unknown job, a failed call). */
#define EXIT_OK     0
#define EXIT_FAILED 1

/* ---- output.c ---------------------------------------------------------- */

/* Options that apply to the whole command line. */
extern BOOL raw_return;   /* /rawreturn: no banner, no trailing newlines */
extern int wrap_mode;     /* /wrap (1), /nowrap (0), neither (-1: wrap on a console) */

void out(const WCHAR *format, ...);
void out_banner(void);
/* Ends a value line: a newline unless /rawreturn. */
void out_end(void);
void out_flush(void);
/* Empties the console window (for /monitor's screens). */
void clear_console(void);

/* "Unable to <action> - 0x%08x" and the error's description; returns EXIT_FAILED. */
int report_failure(const WCHAR *action, HRESULT hr);
/* The text BITS (or the system) has for an HRESULT, without its trailing newline; free with CoTaskMemFree. */
WCHAR *error_text(HRESULT hr);
/* The syntax of a switch, after a usage error; returns EXIT_FAILED. */
int report_usage(const WCHAR *syntax);

/* Whether arg is the switch /name (or -name, an older spelling), any case. */
BOOL is_switch(const WCHAR *arg, const WCHAR *name);
const WCHAR *state_name(BG_JOB_STATE state);
const WCHAR *type_name(BG_JOB_TYPE type);
const WCHAR *priority_name(BG_JOB_PRIORITY priority);
const WCHAR *proxy_usage_name(BG_JOB_PROXY_USAGE usage);
/* "N" or "UNKNOWN" for BG_SIZE_UNKNOWN; buf of 32. */
const WCHAR *size_text(UINT64 size, WCHAR *buf);
/* A FILETIME in the local short date and long time format, or "UNKNOWN" when zero; buf of 64. */
const WCHAR *time_text(const FILETIME *time, WCHAR *buf);
/* DOMAIN\user for a SID string, or the SID string itself when it names no account. */
WCHAR *account_name(const WCHAR *sid_string);

/* ---- jobs.c: the manager and finding jobs ------------------------------- */

extern IBackgroundCopyManager *manager;

HRESULT connect_manager(void);
/* The job a command names by GUID or display name; reports and returns NULL
 * when none or several match. */
IBackgroundCopyJob *find_job(const WCHAR *name);
/* The job's interface riid, or NULL after reporting the failure. */
void *job_interface(IBackgroundCopyJob *job, REFIID riid, const WCHAR *action);
/* The display line of /list, the block of /info and /info /verbose. */
void print_job_line(IBackgroundCopyJob *job);
void print_job_info(IBackgroundCopyJob *job, BOOL verbose);
void print_file_line(IBackgroundCopyFile *file);
/* The ERROR FILE, ERROR CODE and ERROR CONTEXT lines of /geterror and /info /verbose. */
HRESULT print_job_error(IBackgroundCopyJob *job);

/* ---- commands ------------------------------------------------------------
 * Each gets the arguments after its switch; it prints its result and returns
 * the exit code. */
struct command;
typedef int (*command_func)(const struct command *command, int argc, WCHAR **argv);

struct command
{
    const WCHAR *name;         /* switch without the slash, lower case */
    command_func run;
    BOOL needs_manager;        /* connects to BITS before running */
    const WCHAR *syntax;       /* shown by /help and after a usage error */
    int param;                 /* for commands that share a function: which property */
};

/* The commands of one source file; the tables end with a NULL name. */
extern const struct command job_commands[];      /* jobs.c */
extern const struct command property_commands[]; /* properties.c */
extern const struct command transfer_commands[]; /* transfer.c */
extern const struct command token_commands[];    /* token.c */
extern const struct command util_commands[];     /* util.c */

/* Parses a decimal or 0x hexadecimal unsigned number; FALSE if it is not one. */
BOOL parse_ulong(const WCHAR *text, ULONG *value);
/* FOREGROUND, HIGH, NORMAL or LOW, in any case. */
BOOL parse_priority(const WCHAR *text, BG_JOB_PRIORITY *priority);
/* One or more of the letters O, G, D and S (any case): BG_COPY_FILE_* flags. */
BOOL parse_acl_flags(const WCHAR *text, DWORD *flags);

#endif /* BITSADMIN_H */
