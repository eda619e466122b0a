/*
 * bitsadmin: output, error reports and the names of BITS values
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
#include "sddl.h"

BOOL raw_return;
int wrap_mode = -1;

static WCHAR *buffer;
static size_t buffer_len, buffer_size;

/* Text goes to a console as UTF-16; to a file or pipe in the console's code
 * page (the OEM one without a console), as Windows programs write it. */
static void write_text(const WCHAR *text, size_t len)
{
    HANDLE handle = GetStdHandle(STD_OUTPUT_HANDLE);
    DWORD mode, written;
    UINT codepage;
    char *bytes;
    int size;

    if (!len) return;
    if (GetConsoleMode(handle, &mode))
    {
        WriteConsoleW(handle, text, len, &written, NULL);
        return;
    }
    if (!(codepage = GetConsoleOutputCP())) codepage = GetOEMCP();
    size = WideCharToMultiByte(codepage, 0, text, len, NULL, 0, NULL, NULL);
    if (size <= 0 || !(bytes = malloc(size))) return;
    WideCharToMultiByte(codepage, 0, text, len, bytes, size, NULL, NULL);
    WriteFile(handle, bytes, size, &written, NULL);
    free(bytes);
}

BOOL is_switch(const WCHAR *arg, const WCHAR *name)
{
    return (arg[0] == '/' || arg[0] == '-') && !wcsicmp(arg + 1, name);
}

/* The console's width when /wrap applies, else 0. */
static int wrap_width(void)
{
    CONSOLE_SCREEN_BUFFER_INFO info;
    DWORD mode;

    if (!wrap_mode) return 0;
    if (!GetConsoleMode(GetStdHandle(STD_OUTPUT_HANDLE), &mode)) return wrap_mode > 0 ? 80 : 0;
    if (!GetConsoleScreenBufferInfo(GetStdHandle(STD_OUTPUT_HANDLE), &info)) return 80;
    return info.srWindow.Right - info.srWindow.Left + 1;
}

void out_flush(void)
{
    int width = wrap_width();
    size_t start = 0, column = 0, i;

    if (!width)
    {
        write_text(buffer, buffer_len);
        buffer_len = 0;
        return;
    }
    for (i = 0; i < buffer_len; i++)
    {
        if (buffer[i] == '\n' || buffer[i] == '\r') column = 0;
        else if (++column > (size_t)width)
        {
            write_text(buffer + start, i - start);
            write_text(L"\n", 1);
            start = i;
            column = 1;
        }
    }
    write_text(buffer + start, buffer_len - start);
    buffer_len = 0;
}

void out(const WCHAR *format, ...)
{
    va_list args;
    int len;

    for (;;)
    {
        if (buffer_size - buffer_len > 1)
        {
            va_start(args, format);
            len = _vsnwprintf(buffer + buffer_len, buffer_size - buffer_len - 1, format, args);
            va_end(args);
            if (len >= 0 && (size_t)len < buffer_size - buffer_len - 1)
            {
                buffer_len += len;
                break;
            }
        }
        buffer_size = buffer_size ? buffer_size * 2 : 4096;
        if (!(buffer = realloc(buffer, buffer_size * sizeof(WCHAR)))) ExitProcess(EXIT_FAILED);
    }
    if (buffer_len > 16384) out_flush();
}

void clear_console(void)
{
    HANDLE handle = GetStdHandle(STD_OUTPUT_HANDLE);
    CONSOLE_SCREEN_BUFFER_INFO info;
    COORD origin = { 0, 0 };
    DWORD written;

    out_flush();
    if (!GetConsoleScreenBufferInfo(handle, &info)) return;
    FillConsoleOutputCharacterW(handle, ' ', info.dwSize.X * info.dwSize.Y, origin, &written);
    FillConsoleOutputAttribute(handle, info.wAttributes, info.dwSize.X * info.dwSize.Y, origin, &written);
    SetConsoleCursorPosition(handle, origin);
}

void out_banner(void)
{
    if (raw_return) return;
    out(L"\nBITSADMIN version 3.0\nBITS administration utility.\n(C) Copyright Microsoft Corp.\n\n");
}

void out_end(void)
{
    if (!raw_return) out(L"\n");
}

WCHAR *error_text(HRESULT hr)
{
    WCHAR *text = NULL, *copy;
    size_t len;

    if (!manager || FAILED(IBackgroundCopyManager_GetErrorDescription(manager, hr,
                                                                       LANGIDFROMLCID(GetThreadLocale()), &text)))
    {
        WCHAR *system = NULL;

        text = NULL;
        if (FormatMessageW(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM
                           | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, hr, 0, (WCHAR *)&system, 0, NULL))
        {
            len = wcslen(system) + 1;
            if ((text = CoTaskMemAlloc(len * sizeof(WCHAR)))) memcpy(text, system, len * sizeof(WCHAR));
            LocalFree(system);
        }
    }
    if (!text)
    {
        if (!(copy = CoTaskMemAlloc(2 * sizeof(WCHAR)))) return NULL;
        copy[0] = 0;
        return copy;
    }
    len = wcslen(text);
    while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' ')) text[--len] = 0;
    return text;
}

int report_failure(const WCHAR *action, HRESULT hr)
{
    WCHAR *text = error_text(hr);

    out(L"Unable to %s - 0x%08lx\n", action, hr);
    if (text && *text) out(L"%s\n", text);
    CoTaskMemFree(text);
    return EXIT_FAILED;
}

int report_usage(const WCHAR *syntax)
{
    out(L"Invalid number of arguments or invalid argument.\nUsage: BITSADMIN %s\n", syntax);
    return EXIT_FAILED;
}

const WCHAR *state_name(BG_JOB_STATE state)
{
    static const WCHAR *names[] =
    {
        L"QUEUED", L"CONNECTING", L"TRANSFERRING", L"SUSPENDED", L"ERROR", L"TRANSIENT_ERROR",
        L"TRANSFERRED", L"ACKNOWLEDGED", L"CANCELLED",
    };
    return (unsigned int)state < ARRAY_SIZE(names) ? names[state] : L"UNKNOWN";
}

const WCHAR *type_name(BG_JOB_TYPE type)
{
    static const WCHAR *names[] = { L"DOWNLOAD", L"UPLOAD", L"UPLOAD-REPLY" };
    return (unsigned int)type < ARRAY_SIZE(names) ? names[type] : L"UNKNOWN";
}

const WCHAR *priority_name(BG_JOB_PRIORITY priority)
{
    static const WCHAR *names[] = { L"FOREGROUND", L"HIGH", L"NORMAL", L"LOW" };
    return (unsigned int)priority < ARRAY_SIZE(names) ? names[priority] : L"UNKNOWN";
}

const WCHAR *proxy_usage_name(BG_JOB_PROXY_USAGE usage)
{
    static const WCHAR *names[] = { L"PRECONFIG", L"NO_PROXY", L"OVERRIDE", L"AUTODETECT" };
    return (unsigned int)usage < ARRAY_SIZE(names) ? names[usage] : L"UNKNOWN";
}

const WCHAR *size_text(UINT64 size, WCHAR *buf)
{
    if (size == BG_SIZE_UNKNOWN) return L"UNKNOWN";
    swprintf(buf, 32, L"%I64u", size);
    return buf;
}

const WCHAR *time_text(const FILETIME *time, WCHAR *buf)
{
    FILETIME local;
    SYSTEMTIME system;
    int len;

    if (!time->dwLowDateTime && !time->dwHighDateTime) return L"UNKNOWN";
    if (!FileTimeToLocalFileTime(time, &local) || !FileTimeToSystemTime(&local, &system)) return L"UNKNOWN";
    len = GetDateFormatW(LOCALE_USER_DEFAULT, DATE_SHORTDATE, &system, NULL, buf, 40);
    if (len <= 0) return L"UNKNOWN";
    buf[len - 1] = ' ';
    if (GetTimeFormatW(LOCALE_USER_DEFAULT, 0, &system, NULL, buf + len, 64 - len) <= 0) buf[len - 1] = 0;
    return buf;
}

WCHAR *account_name(const WCHAR *sid_string)
{
    WCHAR name[256], domain[256], *result;
    DWORD name_len = ARRAY_SIZE(name), domain_len = ARRAY_SIZE(domain);
    SID_NAME_USE use;
    PSID sid;
    size_t len;

    if (ConvertStringSidToSidW(sid_string, &sid))
    {
        BOOL found = LookupAccountSidW(NULL, sid, name, &name_len, domain, &domain_len, &use);
        LocalFree(sid);
        if (found)
        {
            len = wcslen(domain) + wcslen(name) + 2;
            if ((result = malloc(len * sizeof(WCHAR))))
            {
                if (*domain) swprintf(result, len, L"%s\\%s", domain, name);
                else wcscpy(result, name);
                return result;
            }
        }
    }
    return _wcsdup(sid_string);
}

BOOL parse_ulong(const WCHAR *text, ULONG *value)
{
    WCHAR *end;
    unsigned long long parsed;

    if (!text || !*text || *text == '-' || *text == '+' || iswspace(*text)) return FALSE;
    errno = 0;
    parsed = wcstoull(text, &end, 0);
    if (*end || errno || parsed > 0xffffffffull) return FALSE;
    *value = parsed;
    return TRUE;
}

BOOL parse_priority(const WCHAR *text, BG_JOB_PRIORITY *priority)
{
    BG_JOB_PRIORITY p;

    for (p = BG_JOB_PRIORITY_FOREGROUND; p <= BG_JOB_PRIORITY_LOW; p++)
        if (!wcsicmp(text, priority_name(p))) { *priority = p; return TRUE; }
    return FALSE;
}

BOOL parse_acl_flags(const WCHAR *text, DWORD *flags)
{
    *flags = 0;
    if (!*text) return FALSE;
    for (; *text; text++)
    {
        switch (towlower(*text))
        {
        case 'o': *flags |= BG_COPY_FILE_OWNER; break;
        case 'g': *flags |= BG_COPY_FILE_GROUP; break;
        case 'd': *flags |= BG_COPY_FILE_DACL; break;
        case 's': *flags |= BG_COPY_FILE_SACL; break;
        default: return FALSE;
        }
    }
    return TRUE;
}
