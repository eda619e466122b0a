/*
 * Tests of bitsadmin.exe, run end to end: each switch against BITS and the
 * loopback server, its output and exit code checked, and what it did checked
 * again through BITS' own interfaces.
 *
 * The bitsadmin under test is the one on the PATH (system32): ours under
 * Wine, Microsoft's on Windows.  Messages that Microsoft documents are
 * compared as text; for the others only the exit code and the values in them.
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

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COBJMACROS
#include "windef.h"
#include "winbase.h"
#include "objbase.h"
#include "wincrypt.h"
#include "initguid.h"
#include "bits10_3.h"
#include "bitsmsg.h"
#include "wine/test.h"

#include "httpd.h"
#include "bits_server.h"
#include "identity_util.h"

#define JOB_PREFIX "qmgr-bitsadmin-"
#define RUN_TIMEOUT_MS 120000

static IBackgroundCopyManager *manager;
static struct httpd *server;
static WCHAR work_dir[MAX_PATH];

/* Starts "bitsadmin ARGS" with its stdout and stderr on a pipe; returns the
 * pipe's read end, or NULL. */
static HANDLE start_bitsadmin(PROCESS_INFORMATION *process, const char *args)
{
    SECURITY_ATTRIBUTES inherit = { sizeof(inherit), NULL, TRUE };
    STARTUPINFOA startup = { sizeof(startup) };
    HANDLE read_end, write_end;
    char command[4096];
    int tries;

    snprintf(command, sizeof(command), "bitsadmin.exe %s", args);
    if (!CreatePipe(&read_end, &write_end, &inherit, 0)) return NULL;
    SetHandleInformation(read_end, HANDLE_FLAG_INHERIT, 0);
    startup.dwFlags = STARTF_USESTDHANDLES;
    startup.hStdInput = INVALID_HANDLE_VALUE;
    startup.hStdOutput = startup.hStdError = write_end;
    /* Starting a process is not what is tested: a rare failure of it under a
     * loaded wineserver (seen once in CI) gets two more tries. */
    for (tries = 0; !CreateProcessA(NULL, command, NULL, NULL, TRUE, CREATE_NO_WINDOW, NULL, NULL, &startup, process);
         tries++)
    {
        trace("starting bitsadmin failed: %lu.\n", GetLastError());
        if (tries == 2)
        {
            CloseHandle(read_end);
            read_end = NULL;
            break;
        }
        Sleep(200);
    }
    CloseHandle(write_end);
    return read_end;
}

/* Runs "bitsadmin ARGS", collects what it writes (stdout and stderr) and
 * returns its exit code; -1 if it could not run or did not end in time. */
static int run_bitsadmin(char **output, const char *format, ...)
{
    /* -1 with no output: the process did not start (start_bitsadmin traced why). */
    PROCESS_INFORMATION process;
    char args[4096], *data = NULL;
    size_t size = 0, capacity = 0;
    DWORD got, code = (DWORD)-1;
    HANDLE read_end;
    va_list list;

    va_start(list, format);
    vsnprintf(args, sizeof(args), format, list);
    va_end(list);
    *output = NULL;
    if (!(read_end = start_bitsadmin(&process, args))) return -1;
    for (;;)
    {
        if (capacity - size < 4097)
        {
            capacity = capacity ? capacity * 2 : 16384;
            data = realloc(data, capacity);
        }
        if (!ReadFile(read_end, data + size, capacity - size - 1, &got, NULL) || !got) break;
        size += got;
    }
    data[size] = 0;
    CloseHandle(read_end);
    if (WaitForSingleObject(process.hProcess, RUN_TIMEOUT_MS) == WAIT_OBJECT_0)
        GetExitCodeProcess(process.hProcess, &code);
    else
        TerminateProcess(process.hProcess, 255);
    CloseHandle(process.hProcess);
    CloseHandle(process.hThread);
    *output = data;
    return (int)code;
}

/* Runs bitsadmin with /rawreturn and returns its output (the bare value), checking the exit code. */
static char *raw_value(int expect_code, const char *format, ...)
{
    char args[4096], *output;
    va_list list;
    int code;

    va_start(list, format);
    vsnprintf(args, sizeof(args), format, list);
    va_end(list);
    code = run_bitsadmin(&output, "/rawreturn %s", args);
    ok(code == expect_code, "bitsadmin /rawreturn %s: exit code %d, output %s\n", args, code, debugstr_a(output));
    return output;
}

/* The value a /get switch prints with /rawreturn must be this. */
#define check_value(guid, get, expected) check_value_(__LINE__, guid, get, expected)
static void check_value_(int line, const char *guid, const char *get, const char *expected)
{
    char *value = raw_value(0, "%s %s", get, guid);

    ok_(__FILE__, line)(value && !strcmp(value, expected), "%s: got %s, expected %s\n", get, debugstr_a(value), expected);
    free(value);
}

/* A command that must succeed (exit code 0). */
#define expect_success(...) expect_success_(__LINE__, __VA_ARGS__)
static void expect_success_(int line, const char *format, ...)
{
    char args[4096], *output;
    va_list list;
    int code;

    va_start(list, format);
    vsnprintf(args, sizeof(args), format, list);
    va_end(list);
    code = run_bitsadmin(&output, "%s", args);
    ok_(__FILE__, line)(code == 0, "bitsadmin %s: exit code %d, output %s\n", args, code, debugstr_a(output));
    free(output);
}

static BOOL contains(const char *output, const char *text)
{
    return output && strstr(output, text);
}

static GUID parse_guid(const char *text)
{
    WCHAR wide[64];
    GUID id = {0};

    MultiByteToWideChar(CP_ACP, 0, text, -1, wide, ARRAY_SIZE(wide));
    IIDFromString(wide, &id);
    return id;
}

static IBackgroundCopyJob *get_job(const char *guid_text)
{
    IBackgroundCopyJob *job = NULL;
    GUID id = parse_guid(guid_text);

    IBackgroundCopyManager_GetJob(manager, &id, &job);
    return job;
}

/* /create through bitsadmin; returns the new job's GUID text (38 characters). */
static char *create_job(const char *type, const char *name)
{
    char *guid = raw_value(0, "/create %s %s", type, name);

    ok(guid && strlen(guid) == 38 && guid[0] == '{' && guid[37] == '}', "/create printed %s\n", debugstr_a(guid));
    return guid;
}

static void cancel_job(const char *guid)
{
    IBackgroundCopyJob *job = get_job(guid);

    if (job)
    {
        IBackgroundCopyJob_Cancel(job);
        IBackgroundCopyJob_Release(job);
    }
}

static BOOL wait_for_state(IBackgroundCopyJob *job, BG_JOB_STATE wanted, DWORD timeout_ms)
{
    DWORD start = GetTickCount();
    BG_JOB_STATE state;

    do
    {
        if (FAILED(IBackgroundCopyJob_GetState(job, &state))) return FALSE;
        if (state == wanted) return TRUE;
        Sleep(50);
    } while (GetTickCount() - start < timeout_ms);
    return FALSE;
}

static void local_path(const char *name, char *buf, size_t size)
{
    snprintf(buf, size, "%ls\\%s", work_dir, name);
}

static void test_help_and_bad_switches(void)
{
    char *output;
    int code;

    code = run_bitsadmin(&output, "/?");
    ok(code == 0, "/? exit code %d\n", code);
    ok(contains(output, "BITS administration utility"), "/? banner missing: %s\n", debugstr_a(output));
    ok(contains(output, "/TRANSFER") || contains(output, "/transfer"), "/? lists no /TRANSFER\n");
    free(output);

    code = run_bitsadmin(&output, "/nosuchswitch");
    ok(code != 0, "an unknown switch gave exit code 0: %s\n", debugstr_a(output));
    free(output);

    /* Too few arguments: a usage error, nothing created. */
    code = run_bitsadmin(&output, "/addfile");
    ok(code != 0, "/addfile without arguments gave exit code 0\n");
    free(output);
}

/* A self-signed certificate, CN=qmgr-test-subject, for the client-certificate
 * switches: BITS looks the certificate up in its store when it is set. */
static const BYTE test_certificate[] =
{
    0x30, 0x82, 0x02, 0x16, 0x30, 0x82, 0x01, 0x7f, 0xa0, 0x03, 0x02, 0x01, 0x02, 0x02, 0x14, 0x5f,
    0x80, 0xf7, 0x40, 0x4e, 0x44, 0x2c, 0x2c, 0x6a, 0x5f, 0x6a, 0x34, 0x4e, 0xae, 0x17, 0x17, 0x21,
    0xeb, 0xc8, 0x2e, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b,
    0x05, 0x00, 0x30, 0x1c, 0x31, 0x1a, 0x30, 0x18, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x11, 0x71,
    0x6d, 0x67, 0x72, 0x2d, 0x74, 0x65, 0x73, 0x74, 0x2d, 0x73, 0x75, 0x62, 0x6a, 0x65, 0x63, 0x74,
    0x30, 0x20, 0x17, 0x0d, 0x32, 0x36, 0x31, 0x31, 0x32, 0x35, 0x30, 0x33, 0x33, 0x39, 0x33, 0x35,
    0x5a, 0x18, 0x0f, 0x32, 0x31, 0x32, 0x36, 0x31, 0x31, 0x30, 0x31, 0x30, 0x33, 0x33, 0x39, 0x33,
    0x35, 0x5a, 0x30, 0x1c, 0x31, 0x1a, 0x30, 0x18, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x11, 0x71,
    0x6d, 0x67, 0x72, 0x2d, 0x74, 0x65, 0x73, 0x74, 0x2d, 0x73, 0x75, 0x62, 0x6a, 0x65, 0x63, 0x74,
    0x30, 0x81, 0x9f, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
    0x05, 0x00, 0x03, 0x81, 0x8d, 0x00, 0x30, 0x81, 0x89, 0x02, 0x81, 0x81, 0x00, 0xb8, 0xbd, 0x42,
    0xf2, 0x59, 0x03, 0x89, 0xde, 0xe0, 0x18, 0x74, 0x92, 0x90, 0x31, 0xa2, 0xa4, 0x24, 0x8f, 0xcc,
    0xe1, 0xa0, 0x12, 0xe4, 0x06, 0x76, 0xd7, 0xeb, 0x59, 0x5a, 0x7a, 0x72, 0xfc, 0x0d, 0xa1, 0x53,
    0xda, 0xb6, 0x41, 0x68, 0x11, 0x56, 0xb5, 0x38, 0x1d, 0xec, 0xc8, 0xe2, 0x6c, 0xe3, 0x05, 0x4f,
    0xd2, 0xbb, 0x10, 0x49, 0xa1, 0x8b, 0xe5, 0xbc, 0xe7, 0x80, 0xf1, 0xcb, 0xde, 0xeb, 0x83, 0x60,
    0x9a, 0x6b, 0x1a, 0x4c, 0xb9, 0xcc, 0x83, 0x3e, 0x5c, 0x09, 0x78, 0xa0, 0xa8, 0xa0, 0x2f, 0x88,
    0xbc, 0xe9, 0x0b, 0x0b, 0x00, 0x06, 0xff, 0xb5, 0x5b, 0xc1, 0x7e, 0xfc, 0x90, 0xb1, 0x92, 0x24,
    0xd1, 0x06, 0x49, 0x5b, 0xb7, 0x5c, 0x20, 0x6f, 0x85, 0xa8, 0xae, 0xca, 0x3b, 0x2d, 0x65, 0x26,
    0x22, 0x81, 0x49, 0xfd, 0x77, 0x43, 0x86, 0xd9, 0x67, 0x90, 0x86, 0xc2, 0x83, 0x02, 0x03, 0x01,
    0x00, 0x01, 0xa3, 0x53, 0x30, 0x51, 0x30, 0x1d, 0x06, 0x03, 0x55, 0x1d, 0x0e, 0x04, 0x16, 0x04,
    0x14, 0x69, 0x03, 0x60, 0xdd, 0xe4, 0x82, 0x5c, 0x1a, 0x70, 0xf5, 0xde, 0x11, 0x52, 0xcb, 0x2f,
    0xe9, 0x98, 0xc9, 0x7e, 0x44, 0x30, 0x1f, 0x06, 0x03, 0x55, 0x1d, 0x23, 0x04, 0x18, 0x30, 0x16,
    0x80, 0x14, 0x69, 0x03, 0x60, 0xdd, 0xe4, 0x82, 0x5c, 0x1a, 0x70, 0xf5, 0xde, 0x11, 0x52, 0xcb,
    0x2f, 0xe9, 0x98, 0xc9, 0x7e, 0x44, 0x30, 0x0f, 0x06, 0x03, 0x55, 0x1d, 0x13, 0x01, 0x01, 0xff,
    0x04, 0x05, 0x30, 0x03, 0x01, 0x01, 0xff, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7,
    0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00, 0x03, 0x81, 0x81, 0x00, 0x08, 0x1b, 0x90, 0x10, 0xcb, 0x0e,
    0xa4, 0xeb, 0xe0, 0x6b, 0x5e, 0x4a, 0xfd, 0x1b, 0x71, 0xa9, 0x33, 0x00, 0x3a, 0x80, 0x0c, 0xce,
    0x9a, 0xd3, 0x96, 0x45, 0x62, 0xa4, 0xe1, 0x7d, 0x20, 0xd8, 0x90, 0xd2, 0xfa, 0xbe, 0xef, 0x1b,
    0xcd, 0xd2, 0xd0, 0xe7, 0xa0, 0x06, 0x27, 0x9d, 0xac, 0x7d, 0xb8, 0xe8, 0xcf, 0x3c, 0x04, 0x8c,
    0x31, 0x58, 0xf0, 0xce, 0x14, 0xfb, 0xd6, 0xcb, 0x46, 0x73, 0xe3, 0xaf, 0xb2, 0x6a, 0x68, 0x2e,
    0x0e, 0x68, 0xa5, 0x85, 0xec, 0x58, 0x4e, 0xb3, 0xb3, 0x87, 0x78, 0x05, 0xcf, 0x9f, 0x9b, 0xce,
    0xb2, 0x34, 0x47, 0xa4, 0x80, 0xb1, 0x7c, 0x7b, 0x69, 0xf3, 0x43, 0xa7, 0xf5, 0x4f, 0xa1, 0x9e,
    0xfd, 0x5e, 0xf7, 0x3a, 0x70, 0x29, 0x6b, 0xea, 0xcc, 0x7d, 0x44, 0xdd, 0x8a, 0x8c, 0xf6, 0x0f,
    0xa0, 0xd5, 0x23, 0xc6, 0x30, 0x6a, 0x77, 0x3c, 0x50, 0x8f,
};
#define TEST_CERTIFICATE_HASH "2CEFEEA77E39E9DB3A637A4818BE85081C65A671"

/* Puts the certificate into (TRUE) or takes it out of the machine's MY store. */
static void machine_certificate(BOOL present)
{
    const CERT_CONTEXT *cert, *stored = NULL;
    HCERTSTORE store;

    store = CertOpenStore(CERT_STORE_PROV_SYSTEM_W, 0, 0, CERT_SYSTEM_STORE_LOCAL_MACHINE, L"MY");
    ok(store != NULL, "cannot open the machine's MY store: %#lx\n", GetLastError());
    if (!store) return;
    cert = CertCreateCertificateContext(X509_ASN_ENCODING, test_certificate, sizeof(test_certificate));
    ok(cert != NULL, "cannot read the test certificate: %#lx\n", GetLastError());
    if (present && cert)
        ok(CertAddCertificateContextToStore(store, cert, CERT_STORE_ADD_REPLACE_EXISTING, NULL),
           "cannot add the test certificate: %#lx\n", GetLastError());
    else if (cert && (stored = CertFindCertificateInStore(store, X509_ASN_ENCODING, 0, CERT_FIND_EXISTING, cert, NULL)))
        CertDeleteCertificateFromStore(stored);
    if (cert) CertFreeCertificateContext(cert);
    CertCloseStore(store, 0);
}

static void test_create_and_properties(void)
{
    IBackgroundCopyJob *job;
    BG_JOB_PRIORITY priority;
    WCHAR *text;
    char *guid, *value, *output, expected[MAX_PATH + 16];
    int code;

    /* A type without a name is refused, not taken for the name. */
    code = run_bitsadmin(&output, "/create /upload");
    ok(code != 0, "/create /upload without a name gave exit code 0: %s\n", debugstr_a(output));
    free(output);

    guid = create_job("", JOB_PREFIX "props");
    job = get_job(guid);
    ok(job != NULL, "the job %s that /create printed does not exist\n", guid);
    if (!job) return;
    ok(IBackgroundCopyJob_GetDisplayName(job, &text) == S_OK && !wcscmp(text, L"" JOB_PREFIX "props"),
       "display name %s\n", debugstr_w(text));
    CoTaskMemFree(text);

    /* /rawreturn prints the bare value: no banner, no newline. */
    check_value(guid, "/getstate", "SUSPENDED");
    value = raw_value(0, "/getstate " JOB_PREFIX "props");
    ok(!strcmp(value, "SUSPENDED"), "/getstate by name: %s\n", debugstr_a(value));
    free(value);
    check_value(guid, "/gettype", "DOWNLOAD");
    check_value(guid, "/getpriority", "NORMAL");
    check_value(guid, "/getbytestotal", "0");
    check_value(guid, "/getminretrydelay", "600");
    check_value(guid, "/getnoprogresstimeout", "1209600");
    check_value(guid, "/getnotifyflags", "3");
    check_value(guid, "/getnotifyinterface", "UNREGISTERED");
    check_value(guid, "/getproxyusage", "PRECONFIG");
    check_value(guid, "/getcompletiontime", "UNKNOWN");
    value = raw_value(0, "/getcreationtime %s", guid);
    ok(strcmp(value, "UNKNOWN") && strlen(value) > 8, "/getcreationtime: %s\n", debugstr_a(value));
    free(value);
    value = raw_value(0, "/getmodificationtime %s", guid);
    ok(strcmp(value, "UNKNOWN") && strlen(value) > 8, "/getmodificationtime: %s\n", debugstr_a(value));
    free(value);

    /* Each setter changes what BITS reports. */
    expect_success("/setpriority %s high", guid);
    ok(IBackgroundCopyJob_GetPriority(job, &priority) == S_OK && priority == BG_JOB_PRIORITY_HIGH,
       "priority %d after /setpriority high\n", priority);
    check_value(guid, "/getpriority", "HIGH");

    expect_success("/setdescription %s \"a job of the bitsadmin test\"", guid);
    check_value(guid, "/getdescription", "a job of the bitsadmin test");

    expect_success("/setminretrydelay %s 75", guid);
    check_value(guid, "/getminretrydelay", "75");
    expect_success("/setnoprogresstimeout %s 3600", guid);
    check_value(guid, "/getnoprogresstimeout", "3600");
    expect_success("/setmaxdownloadtime %s 7200", guid);
    check_value(guid, "/getmaxdownloadtime", "7200");
    expect_success("/setnotifyflags %s 2", guid);
    check_value(guid, "/getnotifyflags", "2");

    expect_success("/setproxysettings %s OVERRIDE proxy.invalid:8080 NULL", guid);
    check_value(guid, "/getproxyusage", "OVERRIDE");
    check_value(guid, "/getproxylist", "proxy.invalid:8080");
    check_value(guid, "/getproxybypasslist", "NULL");
    /* The bypass list may be left out, as in Microsoft's example. */
    expect_success("/setproxysettings %s OVERRIDE proxy1:80", guid);
    check_value(guid, "/getproxylist", "proxy1:80");
    check_value(guid, "/getproxybypasslist", "NULL");
    expect_success("/setproxysettings %s NO_PROXY", guid);
    check_value(guid, "/getproxyusage", "NO_PROXY");

    expect_success("/setaclflag %s OG", guid);
    value = raw_value(0, "/getaclflags %s", guid);
    ok(!_stricmp(value, "OG"), "/getaclflags: %s\n", debugstr_a(value));
    free(value);
    expect_success("/setpeercachingflags %s 1", guid);
    check_value(guid, "/getpeercachingflags", "1");

    value = raw_value(0, "/peercaching /getconfigurationflags %s", guid);
    ok(!strcmp(value, "1"), "/peercaching /getconfigurationflags: %s\n", debugstr_a(value));
    free(value);
    expect_success("/peercaching /setconfigurationflags %s 2", guid);
    check_value(guid, "/getpeercachingflags", "2");
    expect_success("/setsecurityflags %s 0x0200", guid);
    value = raw_value(0, "/getsecurityflags %s", guid);
    ok(strtoul(value, NULL, 0) == 0x200, "/getsecurityflags: %s\n", debugstr_a(value));
    free(value);
    check_value(guid, "/gethttpmethod", "GET");

    expect_success("/setnotifycmdline %s c:\\windows\\system32\\cmd.exe NULL", guid);
    value = raw_value(0, "/getnotifycmdline %s", guid);
    ok(contains(value, "c:\\windows\\system32\\cmd.exe"), "/getnotifycmdline: %s\n", debugstr_a(value));
    free(value);
    expect_success("/setnotifycmdline %s c:\\windows\\system32\\cmd.exe \"cmd /c exit 3\"", guid);
    value = raw_value(0, "/getnotifycmdline %s", guid);
    ok(contains(value, "cmd /c exit 3"), "/getnotifycmdline with parameters: %s\n", debugstr_a(value));
    free(value);
    /* Parameters not quoted are one parameter string, as in Microsoft's example. */
    expect_success("/setnotifycmdline %s c:\\windows\\system32\\notepad.exe notepad c:\\eula.txt", guid);
    value = raw_value(0, "/getnotifycmdline %s", guid);
    ok(contains(value, "notepad c:\\eula.txt"), "/getnotifycmdline with loose parameters: %s\n", debugstr_a(value));
    free(value);
    expect_success("/setnotifycmdline %s NULL", guid);
    check_value(guid, "/getnotifycmdline", "none");

    expect_success("/setcustomheaders %s \"X-Qmgr-Test: 1\" \"X-Other: two\"", guid);
    value = raw_value(0, "/getcustomheaders %s", guid);
    ok(contains(value, "X-Qmgr-Test: 1") && contains(value, "X-Other: two"), "/getcustomheaders: %s\n",
       debugstr_a(value));
    free(value);

    expect_success("/setcredentials %s SERVER BASIC someone secret", guid);
    expect_success("/removecredentials %s SERVER BASIC", guid);
    code = run_bitsadmin(&output, "/setcredentials %s SERVER NOSUCHSCHEME someone secret", guid);
    ok(code != 0, "/setcredentials with an unknown scheme succeeded\n");
    free(output);

    machine_certificate(TRUE);
    /* bitsadmin numbers the store locations from 1 (CURRENT_USER): 2 is the machine's. */
    expect_success("/setclientcertificatebyname %s 2 MY qmgr-test-subject", guid);
    value = raw_value(0, "/getclientcertificate %s", guid);
    ok(contains(value, "LOCAL_MACHINE") && contains(value, "MY") && contains(value, "qmgr-test-subject"),
       "/getclientcertificate: %s\n", debugstr_a(value));
    free(value);
    expect_success("/setclientcertificatebyid %s BG_CERT_STORE_LOCATION_LOCAL_MACHINE MY "
                   TEST_CERTIFICATE_HASH, guid);
    value = raw_value(0, "/getclientcertificate %s", guid);
    ok(contains(value, "LOCAL_MACHINE") && contains(value, "2cefeea77e39e9db3a637a4818be85081c65a671"),
       "/getclientcertificate by id: %s\n", debugstr_a(value));
    free(value);
    code = run_bitsadmin(&output, "/setclientcertificatebyid %s 1 MY 0123", guid);
    ok(code != 0, "/setclientcertificatebyid with a short hash gave exit code 0\n");
    free(output);
    /* A hash that no certificate of the store has. */
    code = run_bitsadmin(&output, "/setclientcertificatebyid %s 1 MY A106B52356D3FBCD1853A41B619358BD00112233", guid);
    ok(code != 0 && contains(output, "0x80092004"), "an unknown hash gave exit code %d: %s\n", code,
       debugstr_a(output));
    free(output);
    expect_success("/removeclientcertificate %s", guid);
    machine_certificate(FALSE);

    code = run_bitsadmin(&output, "/setdisplayname %s " JOB_PREFIX "renamed", guid);
    ok(code == 0, "/setdisplayname: %d\n", code);
    free(output);
    check_value(guid, "/getdisplayname", JOB_PREFIX "renamed");

    /* Write-only headers cannot be read back, and that cannot be undone. */
    expect_success("/makecustomheaderswriteonly %s", guid);
    code = run_bitsadmin(&output, "/getcustomheaders %s", guid);
    ok(code != 0, "write-only headers were read: %s\n", debugstr_a(output));
    free(output);

    /* Bad values change nothing. */
    code = run_bitsadmin(&output, "/setpriority %s URGENT", guid);
    ok(code != 0, "/setpriority URGENT succeeded\n");
    free(output);
    code = run_bitsadmin(&output, "/setminretrydelay %s soon", guid);
    ok(code != 0, "/setminretrydelay soon succeeded\n");
    free(output);
    check_value(guid, "/getpriority", "HIGH");
    check_value(guid, "/getminretrydelay", "75");

    /* A custom HTTP verb makes the job a foreground one (BITS 10.2). */
    expect_success("/sethttpmethod %s PATCH", guid);
    check_value(guid, "/gethttpmethod", "PATCH");
    check_value(guid, "/getpriority", "FOREGROUND");

    /* The other job types. */
    free(guid);
    guid = create_job("/upload", JOB_PREFIX "upload");
    check_value(guid, "/gettype", "UPLOAD");
    cancel_job(guid);
    free(guid);
    guid = create_job("/upload-reply", JOB_PREFIX "reply");
    check_value(guid, "/gettype", "UPLOAD-REPLY");
    check_value(guid, "/gethttpmethod", "BITS_POST");
    expect_success("/setreplyfilename %s %ls\\reply.txt", guid, work_dir);
    snprintf(expected, sizeof(expected), "%ls\\reply.txt", work_dir);
    check_value(guid, "/getreplyfilename", expected);
    check_value(guid, "/getreplyprogress", "0 / UNKNOWN");
    /* No reply before the upload. */
    code = run_bitsadmin(&output, "/getreplydata %s", guid);
    ok(code != 0, "/getreplydata before any upload gave exit code 0: %s\n", debugstr_a(output));
    free(output);
    cancel_job(guid);
    free(guid);

    IBackgroundCopyJob_Cancel(job);
    IBackgroundCopyJob_Release(job);
}

static void test_job_lookup(void)
{
    char *a, *b, *output;
    int code;

    code = run_bitsadmin(&output, "/getstate " JOB_PREFIX "nosuchjob");
    ok(code != 0, "a job name that matches nothing gave exit code 0: %s\n", debugstr_a(output));
    free(output);
    code = run_bitsadmin(&output, "/getstate {01234567-89AB-CDEF-0123-456789ABCDEF}");
    ok(code != 0, "an unknown GUID gave exit code 0\n");
    ok(contains(output, "0x80200001"), "an unknown GUID: %s\n", debugstr_a(output));
    free(output);

    /* Two jobs of one name: the name is ambiguous, the GUIDs are not. */
    a = create_job("", JOB_PREFIX "twin");
    b = create_job("", JOB_PREFIX "twin");
    code = run_bitsadmin(&output, "/suspend " JOB_PREFIX "twin");
    ok(code != 0, "an ambiguous name gave exit code 0: %s\n", debugstr_a(output));
    free(output);
    expect_success("/cancel %s", a);
    code = run_bitsadmin(&output, "/cancel " JOB_PREFIX "twin");
    ok(code == 0, "/cancel of the name now unique: %d %s\n", code, debugstr_a(output));
    free(output);
    ok(!get_job(a) && !get_job(b), "canceled jobs still exist\n");
    free(a);
    free(b);
}

static void test_files(void)
{
    char url[256], url2[256], local[MAX_PATH], listfile[MAX_PATH], *guid, *output, *value;
    IBackgroundCopyJob *job;
    BG_FILE_RANGE *ranges = NULL;
    IEnumBackgroundCopyFiles *files;
    IBackgroundCopyFile2 *file2;
    IBackgroundCopyFile *file;
    DWORD count = 0;
    WCHAR *remote;
    FILE *list;
    int code;

    guid = create_job("", JOB_PREFIX "files");
    job = get_job(guid);
    if (!job) return;
    httpd_url_a(server, "/files/one.bin", url, sizeof(url));
    local_path("one.bin", local, sizeof(local));
    expect_success("/addfile %s %s %s", guid, url, local);
    code = run_bitsadmin(&output, "/listfiles %s", guid);
    ok(code == 0, "/listfiles: %d\n", code);
    ok(contains(output, "0 / UNKNOWN WORKING ") && contains(output, url) && contains(output, local),
       "/listfiles: %s\n", debugstr_a(output));
    ok(contains(output, "Listed 1 file(s)."), "/listfiles count: %s\n", debugstr_a(output));
    free(output);

    /* A local name without a full path is refused and adds nothing. */
    code = run_bitsadmin(&output, "/addfile %s %s relative.bin", guid, url);
    ok(code != 0, "/addfile with a relative local name succeeded\n");
    ok(contains(output, "0x80070057"), "/addfile relative: %s\n", debugstr_a(output));
    free(output);

    /* A file set: comments and blank lines are skipped, quotes allowed. */
    local_path("set.txt", listfile, sizeof(listfile));
    list = fopen(listfile, "w");
    httpd_url_a(server, "/files/two.bin", url2, sizeof(url2));
    fprintf(list, "# remote and local name\n%s %s\\two.bin\n\n\"%s\" \"%s\\three.bin\"\n", url2, listfile, url2, listfile);
    fclose(list);
    expect_success("/addfileset %s %s", guid, listfile);
    check_value(guid, "/getfilestotal", "3");
    code = run_bitsadmin(&output, "/addfileset %s %s\\missing.txt", guid, listfile);
    ok(code != 0, "/addfileset of a missing list succeeded\n");
    free(output);
    /* A list too long to read says why, not error 0. */
    local_path("huge.txt", listfile, sizeof(listfile));
    if ((list = fopen(listfile, "w")))
    {
        fseek(list, 17 << 20, SEEK_SET);
        fputc('\n', list);
        fclose(list);
        code = run_bitsadmin(&output, "/addfileset %s %s", guid, listfile);
        ok(code != 0 && !contains(output, "0x00000000") && contains(output, "0x800700df"),
           "/addfileset of a 17 MiB list: %d %s\n", code, debugstr_a(output));
        free(output);
        DeleteFileA(listfile);
    }

    /* Ranges. */
    local_path("ranges.bin", local, sizeof(local));
    expect_success("/addfilewithranges %s %s %s 0:100,2000:100,5000:eof", guid, url, local);
    code = run_bitsadmin(&output, "/addfilewithranges %s %s %s 0:x", guid, url, local);
    ok(code != 0, "/addfilewithranges with a bad range list succeeded\n");
    free(output);
    IBackgroundCopyJob_EnumFiles(job, &files);
    IEnumBackgroundCopyFiles_Skip(files, 3);
    if (IEnumBackgroundCopyFiles_Next(files, 1, &file, NULL) == S_OK)
    {
        IBackgroundCopyFile_QueryInterface(file, &IID_IBackgroundCopyFile2, (void **)&file2);
        ok(IBackgroundCopyFile2_GetFileRanges(file2, &count, &ranges) == S_OK && count == 3, "%lu ranges\n", count);
        ok(ranges && ranges[1].InitialOffset == 2000 && ranges[1].Length == 100 && ranges[2].InitialOffset == 5000
           && ranges[2].Length == BG_LENGTH_TO_EOF, "the ranges are not those given\n");
        CoTaskMemFree(ranges);
        IBackgroundCopyFile2_Release(file2);
        IBackgroundCopyFile_Release(file);
    }
    else ok(0, "the ranged file is missing\n");
    IEnumBackgroundCopyFiles_Release(files);

    /* A new server for every file whose name starts with the old prefix. */
    expect_success("/replaceremoteprefix %s http://127.0.0.1 http://localhost", guid);
    IBackgroundCopyJob_EnumFiles(job, &files);
    if (IEnumBackgroundCopyFiles_Next(files, 1, &file, NULL) == S_OK)
    {
        IBackgroundCopyFile_GetRemoteName(file, &remote);
        ok(!wcsncmp(remote, L"http://localhost:", 17), "remote name after /replaceremoteprefix: %s\n", debugstr_w(remote));
        CoTaskMemFree(remote);
        IBackgroundCopyFile_Release(file);
    }
    IEnumBackgroundCopyFiles_Release(files);

    value = raw_value(0, "/gettemporaryname %s 0", guid);
    ok(value != NULL, "no output\n");
    free(value);
    code = run_bitsadmin(&output, "/gettemporaryname %s 9", guid);
    ok(code != 0, "/gettemporaryname of a file index beyond the job's files succeeded\n");
    free(output);

    IBackgroundCopyJob_Cancel(job);
    IBackgroundCopyJob_Release(job);
    DeleteFileA(listfile);
    free(guid);
}

static void test_control_and_listing(void)
{
    char url[256], local[MAX_PATH], *guid, *output, *value;
    IBackgroundCopyJob *job;
    HANDLE file;
    int code;

    httpd_add_pattern_resource(server, "/control.bin", 300000, 11, NULL);
    guid = create_job("", JOB_PREFIX "control");
    job = get_job(guid);
    if (!job) return;
    httpd_url_a(server, "/control.bin", url, sizeof(url));
    local_path("control.bin", local, sizeof(local));
    DeleteFileA(local);
    expect_success("/addfile %s %s %s", guid, url, local);

    code = run_bitsadmin(&output, "/list");
    ok(code == 0, "/list: %d\n", code);
    ok(contains(output, guid) && contains(output, JOB_PREFIX "control") && contains(output, "SUSPENDED 0 / 1 0 / UNKNOWN"),
       "/list: %s\n", debugstr_a(output));
    ok(contains(output, " job(s)."), "/list footer: %s\n", debugstr_a(output));
    free(output);

    code = run_bitsadmin(&output, "/info %s", guid);
    ok(code == 0, "/info: %d\n", code);
    ok(contains(output, "GUID: ") && contains(output, guid) && contains(output, "TYPE: DOWNLOAD STATE: SUSPENDED OWNER: ")
       && contains(output, "PRIORITY: NORMAL FILES: 0 / 1 BYTES: 0 / UNKNOWN"), "/info: %s\n", debugstr_a(output));
    free(output);
    code = run_bitsadmin(&output, "/info %s /verbose", guid);
    ok(code == 0, "/info /verbose: %d\n", code);
    ok(contains(output, "NOTIFY INTERFACE: UNREGISTERED NOTIFICATION FLAGS: 3")
       && contains(output, "RETRY DELAY: 600 NO PROGRESS TIMEOUT: 1209600 ERROR COUNT: 0")
       && contains(output, "PROXY USAGE: PRECONFIG PROXY LIST: NULL PROXY BYPASS LIST: NULL")
       && contains(output, "JOB FILES:") && contains(output, "NOTIFICATION COMMAND LINE: none"),
       "/info /verbose: %s\n", debugstr_a(output));
    free(output);
    code = run_bitsadmin(&output, "/list /verbose");
    ok(code == 0 && contains(output, "CREATION TIME: ") && contains(output, guid), "/list /verbose: %d %s\n", code,
       debugstr_a(output));
    free(output);

    expect_success("/resume %s", guid);
    ok(wait_for_state(job, BG_JOB_STATE_TRANSFERRED, 30000), "the job did not transfer\n");
    check_value(guid, "/getbytestransferred", "300000");
    check_value(guid, "/getfilestransferred", "1");
    value = raw_value(0, "/getcompletiontime %s", guid);
    ok(strcmp(value, "UNKNOWN") && strlen(value) > 8, "/getcompletiontime: %s\n", debugstr_a(value));
    free(value);
    value = raw_value(0, "/getvalidationstate %s 0", guid);
    ok(!strcmp(value, "FALSE"), "/getvalidationstate: %s\n", debugstr_a(value));
    free(value);
    expect_success("/setvalidationstate %s 0 TRUE", guid);
    value = raw_value(0, "/getvalidationstate %s 0", guid);
    ok(!strcmp(value, "TRUE"), "/getvalidationstate after set: %s\n", debugstr_a(value));
    free(value);

    /* The destination appears only with /complete. */
    ok(GetFileAttributesA(local) == INVALID_FILE_ATTRIBUTES, "the file exists before /complete\n");
    expect_success("/complete %s", guid);
    {
        WCHAR wide[MAX_PATH];
        MultiByteToWideChar(CP_ACP, 0, local, -1, wide, MAX_PATH);
        ok(httpd_pattern_check_file(wide, 11, 300000), "the completed file is not what the server sent\n");
    }
    code = run_bitsadmin(&output, "/complete %s", guid);
    ok(code != 0, "/complete of a completed job gave exit code 0\n");
    free(output);
    file = CreateFileA(local, DELETE, 0, NULL, OPEN_EXISTING, FILE_FLAG_DELETE_ON_CLOSE, NULL);
    CloseHandle(file);
    IBackgroundCopyJob_Release(job);
    free(guid);

    /* Suspend and resume. */
    guid = create_job("", JOB_PREFIX "suspend");
    code = run_bitsadmin(&output, "/resume %s", guid);
    ok(code != 0, "/resume of a job without files gave exit code 0\n");
    ok(contains(output, "0x80200003"), "/resume of an empty job: %s\n", debugstr_a(output));
    free(output);
    expect_success("/suspend %s", guid);
    code = run_bitsadmin(&output, "/takeownership %s", guid);
    ok(expected_caller_admin() ? code == 0 : code != 0, "/takeownership (administrator %d): %d %s\n",
       expected_caller_admin(), code, debugstr_a(output));
    free(output);
    value = raw_value(0, "/getowner %s", guid);
    ok(value && *value, "/getowner printed nothing\n");
    free(value);
    cancel_job(guid);
    free(guid);
}

static void test_transfer(void)
{
    char url[256], url2[256], local[MAX_PATH], local2[MAX_PATH], *output;
    WCHAR wide[MAX_PATH];
    IEnumBackgroundCopyJobs *jobs;
    IBackgroundCopyJob *job;
    WCHAR *name;
    int code, left = 0;

    httpd_add_pattern_resource(server, "/transfer/a.bin", 1000000, 21, NULL);
    httpd_add_pattern_resource(server, "/transfer/b.bin", 4321, 22, NULL);
    httpd_url_a(server, "/transfer/a.bin", url, sizeof(url));
    httpd_url_a(server, "/transfer/b.bin", url2, sizeof(url2));
    local_path("a.bin", local, sizeof(local));
    local_path("b.bin", local2, sizeof(local2));
    DeleteFileA(local);
    DeleteFileA(local2);

    code = run_bitsadmin(&output, "/transfer " JOB_PREFIX "transfer /download /priority foreground %s %s %s %s",
                         url, local, url2, local2);
    ok(code == 0, "/transfer: %d %s\n", code, debugstr_a(output));
    ok(contains(output, "Transfer complete."), "/transfer: %s\n", debugstr_a(output));
    ok(contains(output, "DISPLAY: '" JOB_PREFIX "transfer'") && contains(output, "(100%)"), "/transfer progress: %s\n",
       debugstr_a(output));
    free(output);
    MultiByteToWideChar(CP_ACP, 0, local, -1, wide, MAX_PATH);
    ok(httpd_pattern_check_file(wide, 21, 1000000), "the first file of /transfer is wrong\n");
    MultiByteToWideChar(CP_ACP, 0, local2, -1, wide, MAX_PATH);
    ok(httpd_pattern_check_file(wide, 22, 4321), "the second file of /transfer is wrong\n");
    DeleteFileA(local);
    DeleteFileA(local2);

    /* The options that set job properties, ACL flags and dynamic content. */
    expect_success("/transfer " JOB_PREFIX "transferopts /aclflags og /dynamic %s %s", url2, local2);
    ok(httpd_pattern_check_file(wide, 22, 4321), "the file of /transfer /dynamic is wrong\n");
    DeleteFileA(local2);

    /* A failing transfer: the error is shown, the job is canceled, nothing is left. */
    httpd_url_a(server, "/transfer/missing.bin", url, sizeof(url));
    code = run_bitsadmin(&output, "/transfer " JOB_PREFIX "transfer404 %s %s", url, local);
    ok(code != 0, "/transfer of a missing file gave exit code 0\n");
    ok(contains(output, "0x80190194"), "/transfer of a missing file: %s\n", debugstr_a(output));
    free(output);
    ok(GetFileAttributesA(local) == INVALID_FILE_ATTRIBUTES, "a failed /transfer left a file\n");

    /* Bad arguments: no job is made. */
    code = run_bitsadmin(&output, "/transfer " JOB_PREFIX "transferbad /priority urgent %s %s", url2, local2);
    ok(code != 0, "/transfer with a bad priority gave exit code 0\n");
    free(output);
    code = run_bitsadmin(&output, "/transfer " JOB_PREFIX "transferodd %s", url2);
    ok(code != 0, "/transfer without a local name gave exit code 0\n");
    free(output);

    IBackgroundCopyManager_EnumJobs(manager, 0, &jobs);
    while (IEnumBackgroundCopyJobs_Next(jobs, 1, &job, NULL) == S_OK)
    {
        if (SUCCEEDED(IBackgroundCopyJob_GetDisplayName(job, &name)) && !wcsncmp(name, L"" JOB_PREFIX "transfer", 24))
            left++;
        CoTaskMemFree(name);
        IBackgroundCopyJob_Release(job);
    }
    IEnumBackgroundCopyJobs_Release(jobs);
    ok(!left, "%d /transfer jobs are left in the queue\n", left);
}

/* Uploads: /transfer /upload, and an upload-reply job driven switch by switch. */
static void test_upload(void)
{
    char url[256], local[MAX_PATH], reply[MAX_PATH], expected[64], *guid, *output, *value;
    unsigned int reply_len = strlen("reply to upload.bin: 5000 bytes");
    IBackgroundCopyJob *job;
    BYTE data[5000];
    FILE *file;
    int code;

    httpd_pattern_fill(41, 0, data, sizeof(data));
    local_path("upload.bin", local, sizeof(local));
    file = fopen(local, "wb");
    fwrite(data, 1, sizeof(data), file);
    fclose(file);
    httpd_url_a(server, "/upload/up.bin", url, sizeof(url));

    bits_server_reset();
    code = run_bitsadmin(&output, "/transfer " JOB_PREFIX "upload /upload %s %s", url, local);
    ok(code == 0 && contains(output, "Transfer complete."), "/transfer /upload: %d %s\n", code, debugstr_a(output));
    free(output);
    EnterCriticalSection(&bits_server.cs);
    ok(bits_server.session_count == 1 && bits_server.sessions[0].received == sizeof(data) &&
       bits_server.sessions[0].data && !memcmp(bits_server.sessions[0].data, data, sizeof(data)) &&
       bits_server.sessions[0].closed, "the server did not get the file (%u sessions)\n", bits_server.session_count);
    LeaveCriticalSection(&bits_server.cs);

    bits_server_reset();
    bits_server.reply = TRUE;
    guid = create_job("/upload-reply", JOB_PREFIX "uploadreply");
    job = get_job(guid);
    local_path("reply.txt", reply, sizeof(reply));
    DeleteFileA(reply);
    expect_success("/addfile %s %s %s", guid, url, local);
    expect_success("/setreplyfilename %s %s", guid, reply);
    expect_success("/resume %s", guid);
    ok(job && wait_for_state(job, BG_JOB_STATE_TRANSFERRED, 30000), "the upload-reply job did not finish\n");
    /* The test server's reply: "reply to <name>: <size> bytes". */
    snprintf(expected, sizeof(expected), "%u / %u", reply_len, reply_len);
    check_value(guid, "/getreplyprogress", expected);
    value = raw_value(0, "/getreplydata %s", guid);
    snprintf(expected, sizeof(expected), "%u bytes", reply_len);
    ok(contains(value, expected) && contains(value, "72 65 70 6c 79"), "/getreplydata: %s\n", debugstr_a(value));
    free(value);
    ok(GetFileAttributesA(reply) == INVALID_FILE_ATTRIBUTES, "the reply file exists before /complete\n");
    expect_success("/complete %s", guid);
    ok(GetFileAttributesA(reply) != INVALID_FILE_ATTRIBUTES, "no reply file after /complete\n");
    DeleteFileA(reply);
    DeleteFileA(local);
    if (job) IBackgroundCopyJob_Release(job);
    free(guid);
}

static void test_geterror(void)
{
    char url[256], local[MAX_PATH], *guid, *output, *value;
    IBackgroundCopyJob *job;
    int code;

    guid = create_job("", JOB_PREFIX "error");
    job = get_job(guid);
    if (!job) return;
    httpd_url_a(server, "/error/missing.bin", url, sizeof(url));
    local_path("missing.bin", local, sizeof(local));
    code = run_bitsadmin(&output, "/geterror %s", guid);
    ok(code != 0, "/geterror of a job without error gave exit code 0\n");
    free(output);
    run_bitsadmin(&output, "/addfile %s %s %s", guid, url, local);
    free(output);
    run_bitsadmin(&output, "/resume %s", guid);
    free(output);
    ok(wait_for_state(job, BG_JOB_STATE_ERROR, 30000), "the job did not fail\n");
    code = run_bitsadmin(&output, "/geterror %s", guid);
    ok(code == 0, "/geterror: %d\n", code);
    ok(contains(output, "ERROR FILE:    ") && contains(output, url), "/geterror file: %s\n", debugstr_a(output));
    ok(contains(output, "ERROR CODE:    0x80190194 - "), "/geterror code: %s\n", debugstr_a(output));
    ok(contains(output, "ERROR CONTEXT: 0x00000005 - "), "/geterror context: %s\n", debugstr_a(output));
    free(output);
    code = run_bitsadmin(&output, "/info %s /verbose", guid);
    ok(contains(output, "ERROR CODE:    0x80190194"), "/info /verbose of a failed job: %s\n", debugstr_a(output));
    free(output);
    value = raw_value(0, "/geterrorcount %s", guid);
    ok(atoi(value) >= 0, "/geterrorcount: %s\n", debugstr_a(value));
    free(value);
    IBackgroundCopyJob_Cancel(job);
    IBackgroundCopyJob_Release(job);
    free(guid);
}

static void test_helper_token(void)
{
    char *guid, *output, *value, expected[256];
    WCHAR *sid;
    int code;

    guid = create_job("", JOB_PREFIX "token");
    value = raw_value(0, "/gethelpertokenflags %s", guid);
    ok(strtoul(value, NULL, 0) == 0, "/gethelpertokenflags of a new job: %s\n", debugstr_a(value));
    free(value);
    value = raw_value(0, "/gethelpertokensid %s", guid);
    ok(!strstr(value, "S-1-"), "/gethelpertokensid without a token: %s\n", debugstr_a(value));
    free(value);
    expect_success("/sethelpertokenflags %s 0x0001", guid);
    value = raw_value(0, "/gethelpertokenflags %s", guid);
    ok(strtoul(value, NULL, 0) == 1, "/gethelpertokenflags: %s\n", debugstr_a(value));
    free(value);
    code = run_bitsadmin(&output, "/sethelpertokenflags %s 0x0004", guid);
    ok(code != 0, "/sethelpertokenflags with an undefined flag gave exit code 0\n");
    free(output);
    /* An account that cannot log on (under Wine none can: its LogonUser is a
     * stub) gives no helper token. */
    code = run_bitsadmin(&output, "/sethelpertoken %s qmgr-no-such-user@. not-the-password", guid);
    ok(code != 0, "/sethelpertoken with a failed logon gave exit code 0: %s\n", debugstr_a(output));
    free(output);
    value = raw_value(0, "/gethelpertokensid %s", guid);
    ok(!strstr(value, "S-1-"), "a failed logon set a helper token: %s\n", debugstr_a(value));
    free(value);
    expect_success("/sethelpertoken %s", guid);
    value = raw_value(0, "/gethelpertokensid %s", guid);
    sid = expected_caller_sid();
    snprintf(expected, sizeof(expected), "%ls", sid ? sid : L"?");
    ok(!strcmp(value, expected), "/gethelpertokensid: %s, expected %s\n", debugstr_a(value), expected);
    free(sid);
    free(value);
    cancel_job(guid);
    free(guid);
}

static void test_util_and_peers(void)
{
    char *output, *value;
    int code;

    value = raw_value(0, "/util /version");
    ok(contains(value, "10.3") || contains(value, "10."), "/util /version: %s\n", debugstr_a(value));
    free(value);
    code = run_bitsadmin(&output, "/util /help");
    ok(code == 0 && contains(output, "/VERSION"), "/util /help: %d %s\n", code, debugstr_a(output));
    free(output);
    /* Each file's version: 7.8 is BITS 10.x ("Determining the version of BITS"). */
    code = run_bitsadmin(&output, "/util /version /verbose");
    ok(code == 0 && contains(output, "qmgr.dll") && contains(output, " 7.8."), "/util /version /verbose: %d %s\n",
       code, debugstr_a(output));
    free(output);
    /* The older spelling with '-', for the command and its switches. */
    code = run_bitsadmin(&output, "-util -version");
    ok(code == 0 && contains(output, "10."), "-util -version: %d %s\n", code, debugstr_a(output));
    free(output);
    code = run_bitsadmin(&output, "/util /nosuchutil");
    ok(code != 0, "an unknown /util switch gave exit code 0\n");
    free(output);
    code = run_bitsadmin(&output, "/util /getieproxy LOCALSYSTEM");
    ok(code == 0 && contains(output, "AUTODETECT"), "/util /getieproxy: %d %s\n", code, debugstr_a(output));
    free(output);
    code = run_bitsadmin(&output, "/util /getieproxy NOBODY");
    ok(code != 0, "/util /getieproxy of an unknown account gave exit code 0\n");
    free(output);
    expect_success("/util /repairservice");
    /* Peer caching is gone from BITS: the switches say so and fail. */
    code = run_bitsadmin(&output, "/cache /list");
    ok(code != 0, "/cache /list gave exit code 0: %s\n", debugstr_a(output));
    free(output);
    code = run_bitsadmin(&output, "/peers /list");
    ok(code != 0, "/peers /list gave exit code 0: %s\n", debugstr_a(output));
    free(output);
    code = run_bitsadmin(&output, "/cache /help");
    ok(code == 0 && contains(output, "/CLEAR"), "/cache /help: %d %s\n", code, debugstr_a(output));
    free(output);
    code = run_bitsadmin(&output, "/peers /help");
    ok(code == 0 && contains(output, "/DISCOVER"), "/peers /help: %d %s\n", code, debugstr_a(output));
    free(output);
    code = run_bitsadmin(&output, "/peercaching /help");
    ok(code == 0 && contains(output, "/GETCONFIGURATIONFLAGS"), "/peercaching /help: %d %s\n", code, debugstr_a(output));
    free(output);
}

/* Another user's job: hidden from the caller's lists and names, refused by
 * GUID to a non-administrator.  Under Wine the identity mapping switched off
 * makes such a job (its owner is Wine's placeholder SID, not the Unix user). */
static void test_other_users_job(void)
{
    IBackgroundCopyJob *job;
    char guid[40], *output;
    WCHAR wide[40];
    BOOL admin = expected_caller_admin();
    BG_JOB_STATE state = -1;
    GUID id;
    int code;

    if (!under_wine() || !identity_mapping_on())
    {
        skip("another user's job is made with the identity mapping of our BITS under Wine.\n");
        return;
    }
    set_mapping_mode(L"token");
    if (FAILED(IBackgroundCopyManager_CreateJob(manager, L"" JOB_PREFIX "other", BG_JOB_TYPE_DOWNLOAD, &id, &job)))
    {
        set_mapping_mode(NULL);
        ok(0, "cannot create the other user's job\n");
        return;
    }
    set_mapping_mode(NULL);
    StringFromGUID2(&id, wide, ARRAY_SIZE(wide));
    snprintf(guid, sizeof(guid), "%ls", wide);

    code = run_bitsadmin(&output, "/getstate " JOB_PREFIX "other");
    ok(code != 0, "another user's job was found by name: %s\n", debugstr_a(output));
    free(output);
    code = run_bitsadmin(&output, "/list");
    ok(code == 0 && !contains(output, guid), "/list shows another user's job: %s\n", debugstr_a(output));
    free(output);
    code = run_bitsadmin(&output, "/list /allusers");
    if (admin) ok(code == 0 && contains(output, guid), "/list /allusers as administrator: %d %s\n", code, debugstr_a(output));
    else ok(code != 0 && contains(output, "0x80070005"), "/list /allusers as a user: %d %s\n", code, debugstr_a(output));
    free(output);
    code = run_bitsadmin(&output, "/getstate %s", guid);
    if (admin) ok(code == 0 && contains(output, "SUSPENDED"), "/getstate by GUID as administrator: %s\n", debugstr_a(output));
    else ok(code != 0 && contains(output, "0x80070005"), "/getstate of another user's job: %d %s\n", code, debugstr_a(output));
    free(output);
    if (!admin)
    {
        code = run_bitsadmin(&output, "/cancel %s", guid);
        ok(code != 0, "/cancel of another user's job gave exit code 0\n");
        free(output);
    }

    /* Its owner sees it untouched. */
    set_mapping_mode(L"token");
    ok(IBackgroundCopyJob_GetState(job, &state) == S_OK && state == BG_JOB_STATE_SUSPENDED,
       "the other user's job is in state %d\n", state);
    IBackgroundCopyJob_Cancel(job);
    set_mapping_mode(NULL);
    IBackgroundCopyJob_Release(job);
}

/* /wrap breaks lines at the console's width (80 columns without a console), /nowrap never. */
static void test_wrap(void)
{
    char description[201], *guid, *output, *line, *next;
    size_t longest;
    int code;

    memset(description, 'w', 200);
    description[200] = 0;
    guid = create_job("", JOB_PREFIX "wrap");
    expect_success("/setdescription %s %s", guid, description);
    code = run_bitsadmin(&output, "/nowrap /getdescription %s", guid);
    ok(code == 0 && contains(output, description), "/nowrap cut the line: %s\n", debugstr_a(output));
    free(output);
    if (under_wine())  /* Windows' /wrap into a pipe is not documented. */
    {
        code = run_bitsadmin(&output, "/wrap /getdescription %s", guid);
        ok(code == 0 && !contains(output, description), "/wrap left a 200-column line: %s\n", debugstr_a(output));
        for (longest = 0, line = output; line && *line; line = next)
        {
            next = strchr(line, '\n');
            if (!next) next = line + strlen(line);
            if ((size_t)(next - line) > longest) longest = next - line;
            if (*next) next++;
        }
        ok(longest <= 80, "/wrap wrote a line of %Iu characters\n", longest);
        free(output);
    }
    cancel_job(guid);
    free(guid);
}

/* The Internet settings of the service accounts: what /util /setieproxy sets, /util /getieproxy shows. */
static void test_ieproxy(void)
{
    char *output;
    int code;

    expect_success("/util /setieproxy localsystem MANUAL_PROXY proxy1:80,proxy2 \"<local>\"");
    code = run_bitsadmin(&output, "/util /getieproxy LOCALSYSTEM");
    ok(code == 0 && contains(output, "proxy1:80,proxy2") && contains(output, "<local>"), "/util /getieproxy: %s\n",
       debugstr_a(output));
    free(output);
    /* AUTODETECT replaces the usage but keeps the manual list for later, and
     * /getieproxy shows every usage's value, not only the active one's. */
    expect_success("/util /setieproxy localsystem AUTODETECT");
    code = run_bitsadmin(&output, "/util /getieproxy localsystem");
    ok(code == 0 && contains(output, "AUTODETECT: TRUE") && contains(output, "MANUAL_PROXY: proxy1:80,proxy2"),
       "after AUTODETECT: %s\n", debugstr_a(output));
    free(output);
    expect_success("/util /setieproxy localsystem RESET");
    code = run_bitsadmin(&output, "/util /getieproxy localsystem");
    ok(code == 0 && contains(output, "AUTODETECT: FALSE") && !contains(output, "proxy1"), "after RESET: %s\n",
       debugstr_a(output));
    free(output);
    code = run_bitsadmin(&output, "/util /setieproxy localsystem SOMETIMES");
    ok(code != 0, "/util /setieproxy with an unknown usage gave exit code 0\n");
    free(output);
}

/* /monitor runs until Ctrl+C: read its first screen, then end it. */
static void test_monitor(void)
{
    PROCESS_INFORMATION process;
    char data[8192] = "", *guid;
    DWORD size = 0, got, start;
    HANDLE read_end;

    guid = create_job("", JOB_PREFIX "monitor");
    if (!(read_end = start_bitsadmin(&process, expected_caller_admin() ? "/monitor /allusers /refresh 1" : "/monitor /refresh 1")))
    {
        ok(0, "cannot start bitsadmin /monitor: %lu\n", GetLastError());
        return;
    }
    start = GetTickCount();
    /* Two screens, to see it refresh. */
    while (GetTickCount() - start < 30000 && size < sizeof(data) - 1)
    {
        char *first = strstr(data, "MONITORING BACKGROUND COPY MANAGER");
        if (first && strstr(first + 1, "MONITORING BACKGROUND COPY MANAGER")) break;
        if (!ReadFile(read_end, data + size, sizeof(data) - 1 - size, &got, NULL) || !got) break;
        size += got;
        data[size] = 0;
    }
    TerminateProcess(process.hProcess, 0);
    WaitForSingleObject(process.hProcess, 10000);
    CloseHandle(process.hProcess);
    CloseHandle(process.hThread);
    CloseHandle(read_end);
    ok(contains(data, "MONITORING BACKGROUND COPY MANAGER(1 second"), "/monitor header: %s\n", debugstr_a(data));
    ok(contains(data, guid) && contains(data, JOB_PREFIX "monitor"), "/monitor lists no job: %s\n", debugstr_a(data));
    cancel_job(guid);
    free(guid);
}

/* Last: /reset cancels every job of the caller; /reset /allusers every job, for an administrator. */
static void test_reset(void)
{
    char *a, *b, *output, expected[64];
    IEnumBackgroundCopyJobs *jobs;
    ULONG count = 0;
    int code;

    a = create_job("", JOB_PREFIX "reset");
    b = create_job("", JOB_PREFIX "reset");
    IBackgroundCopyManager_EnumJobs(manager, 0, &jobs);
    IEnumBackgroundCopyJobs_GetCount(jobs, &count);
    IEnumBackgroundCopyJobs_Release(jobs);
    code = run_bitsadmin(&output, "/reset");
    ok(code == 0, "/reset: %d %s\n", code, debugstr_a(output));
    snprintf(expected, sizeof(expected), "%lu out of %lu jobs canceled.", count, count);
    ok(contains(output, expected), "/reset, expected %s: %s\n", expected, debugstr_a(output));
    ok(contains(output, a) && contains(output, b), "/reset does not name the jobs: %s\n", debugstr_a(output));
    free(output);
    ok(!get_job(a) && !get_job(b), "jobs are left after /reset\n");
    code = run_bitsadmin(&output, "/list");
    ok(code == 0 && contains(output, "Listed 0 job(s)."), "/list after /reset: %s\n", debugstr_a(output));
    free(output);
    free(a);
    free(b);

    a = create_job("", JOB_PREFIX "resetall");
    code = run_bitsadmin(&output, "/reset /allusers");
    if (expected_caller_admin())
    {
        ok(code == 0 && contains(output, a), "/reset /allusers as administrator: %d %s\n", code, debugstr_a(output));
        ok(!get_job(a), "a job is left after /reset /allusers\n");
    }
    else
    {
        ok(code != 0 && contains(output, "0x80070005"), "/reset /allusers as a user: %d %s\n", code, debugstr_a(output));
        ok(get_job(a) != NULL, "/reset /allusers of a user canceled the job\n");
        cancel_job(a);
    }
    free(output);
    free(a);
}

START_TEST(bitsadmin)
{
    HRESULT hr;

    CoInitializeEx(NULL, COINIT_MULTITHREADED);
    hr = CoCreateInstance(&CLSID_BackgroundCopyManager, NULL, CLSCTX_LOCAL_SERVER, &IID_IBackgroundCopyManager,
                          (void **)&manager);
    if (FAILED(hr))
    {
        skip("BITS is not available: 0x%08lx\n", hr);
        CoUninitialize();
        return;
    }
    server = httpd_start();
    ok(server != NULL, "cannot start the loopback server\n");
    bits_server_start(server, "/upload/");
    GetTempPathW(MAX_PATH, work_dir);
    wcscat(work_dir, L"qmgr-bitsadmin-test");
    CreateDirectoryW(work_dir, NULL);

    test_help_and_bad_switches();
    test_create_and_properties();
    test_job_lookup();
    test_files();
    test_control_and_listing();
    test_transfer();
    test_upload();
    test_geterror();
    test_helper_token();
    test_util_and_peers();
    test_ieproxy();
    test_wrap();
    test_other_users_job();
    test_monitor();
    test_reset();

    RemoveDirectoryW(work_dir);
    httpd_stop(server);
    bits_server_stop();
    IBackgroundCopyManager_Release(manager);
    CoUninitialize();
}
