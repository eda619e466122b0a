/*
 * bitsadmin: /util, and the peer-caching switches of older BITS
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
#include <string.h>
#include <wchar.h>

#include "bitsadmin.h"

/* The BITS version a client can use: the newest manager class the service serves. */
static const struct { const CLSID *clsid; const WCHAR *version; } versions[] =
{
    { &CLSID_BackgroundCopyManager10_3, L"10.3" },
    { &CLSID_BackgroundCopyManager10_2, L"10.2" },
    { &CLSID_BackgroundCopyManager10_1, L"10.1" },
    { &CLSID_BackgroundCopyManager5_0, L"5.0" },
    { &CLSID_BackgroundCopyManager4_0, L"4.0" },
    { &CLSID_BackgroundCopyManager3_0, L"3.0" },
    { &CLSID_BackgroundCopyManager2_5, L"2.5" },
    { &CLSID_BackgroundCopyManager2_0, L"2.0" },
    { &CLSID_BackgroundCopyManager1_5, L"1.5" },
    { &CLSID_BackgroundCopyManager, L"1.0" },
};

/* A module's file version, as /verbose shows it for each of BITS's files. */
static void print_module(const WCHAR *name)
{
    WCHAR path[MAX_PATH];
    VS_FIXEDFILEINFO *info;
    DWORD size, handle;
    UINT info_size;
    void *data;

    if (!GetSystemDirectoryW(path, MAX_PATH - 20)) path[0] = 0;
    wcscat(path, L"\\");
    wcscat(path, name);
    if (GetFileAttributesW(path) == INVALID_FILE_ATTRIBUTES)
    {
        out(L"%s: not found in %s\n", name, path);
        return;
    }
    if ((size = GetFileVersionInfoSizeW(path, &handle)) && (data = malloc(size)))
    {
        if (GetFileVersionInfoW(path, 0, size, data) && VerQueryValueW(data, L"\\", (void **)&info, &info_size) &&
            info_size >= sizeof(*info))
        {
            out(L"%s: file version %u.%u.%u.%u (%s)\n", name, HIWORD(info->dwFileVersionMS),
                LOWORD(info->dwFileVersionMS), HIWORD(info->dwFileVersionLS), LOWORD(info->dwFileVersionLS), path);
            free(data);
            return;
        }
        free(data);
    }
    out(L"%s: no version information (%s)\n", name, path);
}

static int util_version(int argc, WCHAR **argv)
{
    IBackgroundCopyManager *probe;
    unsigned int i;
    HRESULT hr = E_FAIL;

    if (argc > 1 || (argc == 1 && !is_switch(argv[0], L"verbose")))
        return report_usage(L"/UTIL /VERSION [/VERBOSE]");
    for (i = 0; i < ARRAY_SIZE(versions); i++)
    {
        if (SUCCEEDED(hr = CoCreateInstance(versions[i].clsid, NULL, CLSCTX_LOCAL_SERVER, &IID_IBackgroundCopyManager,
                                            (void **)&probe)))
        {
            IBackgroundCopyManager_Release(probe);
            break;
        }
    }
    if (i == ARRAY_SIZE(versions)) return report_failure(L"connect to BITS", hr);
    if (!raw_return) out(L"BITS version ");
    out(L"%s", versions[i].version);
    out_end();
    if (argc)
    {
        print_module(L"qmgr.dll");
        print_module(L"qmgrprxy.dll");
        print_module(L"bitsadmin.exe");
        out(L"The BITS service started: it answered as version %s.\n", versions[i].version);
    }
    return EXIT_OK;
}

static const WCHAR *service_account(const WCHAR *name)
{
    if (!wcsicmp(name, L"LOCALSYSTEM")) return L"LocalSystem";
    if (!wcsicmp(name, L"NETWORKSERVICE")) return L"NetworkService";
    if (!wcsicmp(name, L"LOCALSERVICE")) return L"LocalService";
    return NULL;
}

/* The Internet settings of a connection ("Connections" key, value named after
 * the connection; DefaultConnectionSettings for the LAN): a header of magic,
 * change counter and PROXY_* flags, then three counted ANSI strings (manual
 * proxy list, bypass list, autoconfig script URL).  WinHTTP and WinINet read
 * the same value.  Under Wine every account of a prefix is the prefix's one
 * user, so a service account's settings are that user's. */
#define SETTINGS_MAGIC            0x46
#define PROXY_TYPE_DIRECT         1
#define PROXY_TYPE_PROXY          2
#define PROXY_USE_PAC_SCRIPT      4
#define PROXY_AUTODETECT_SETTINGS 8

static const WCHAR connections_key[] = L"Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings\\Connections";

struct ie_proxy
{
    DWORD counter;
    DWORD flags;
    char *strings[3];   /* proxy list, bypass list, script URL */
};

static void free_ie_proxy(struct ie_proxy *proxy)
{
    unsigned int i;
    for (i = 0; i < ARRAY_SIZE(proxy->strings); i++) free(proxy->strings[i]);
}

static void read_ie_proxy(const WCHAR *connection, struct ie_proxy *proxy)
{
    DWORD size = 0, type, offset = 12, len;
    BYTE *data = NULL;
    unsigned int i;

    memset(proxy, 0, sizeof(*proxy));
    proxy->flags = PROXY_TYPE_DIRECT;
    if (RegGetValueW(HKEY_CURRENT_USER, connections_key, connection, RRF_RT_REG_BINARY, &type, NULL, &size)
        || size < 12 || !(data = malloc(size))
        || RegGetValueW(HKEY_CURRENT_USER, connections_key, connection, RRF_RT_REG_BINARY, &type, data, &size)
        || *(DWORD *)data != SETTINGS_MAGIC)
    {
        free(data);
        return;
    }
    proxy->counter = ((DWORD *)data)[1];
    proxy->flags = ((DWORD *)data)[2];
    for (i = 0; i < ARRAY_SIZE(proxy->strings) && offset + 4 <= size; i++)
    {
        len = *(DWORD *)(data + offset);
        offset += 4;
        if (len > size - offset) break;
        if (len && (proxy->strings[i] = malloc(len + 1)))
        {
            memcpy(proxy->strings[i], data + offset, len);
            proxy->strings[i][len] = 0;
        }
        offset += len;
    }
    free(data);
}

static LSTATUS write_ie_proxy(const WCHAR *connection, const struct ie_proxy *proxy)
{
    DWORD size = 12 + 3 * 4 + 32, offset = 12, len;
    BYTE *data;
    unsigned int i;
    LSTATUS status;
    HKEY key;

    for (i = 0; i < ARRAY_SIZE(proxy->strings); i++) if (proxy->strings[i]) size += strlen(proxy->strings[i]);
    if (!(data = calloc(1, size))) return ERROR_OUTOFMEMORY;
    ((DWORD *)data)[0] = SETTINGS_MAGIC;
    ((DWORD *)data)[1] = proxy->counter + 1;
    ((DWORD *)data)[2] = proxy->flags;
    for (i = 0; i < ARRAY_SIZE(proxy->strings); i++)
    {
        len = proxy->strings[i] ? strlen(proxy->strings[i]) : 0;
        *(DWORD *)(data + offset) = len;
        memcpy(data + offset + 4, proxy->strings[i], len);
        offset += 4 + len;
    }
    /* Windows ends the value with 32 reserved bytes; they stay zero. */
    if (!(status = RegCreateKeyExW(HKEY_CURRENT_USER, connections_key, 0, NULL, 0, KEY_SET_VALUE, NULL, &key, NULL)))
    {
        status = RegSetValueExW(key, connection, 0, REG_BINARY, data, size);
        RegCloseKey(key);
    }
    free(data);
    return status;
}

static char *ansi_copy(const WCHAR *text)
{
    int len = WideCharToMultiByte(CP_ACP, 0, text, -1, NULL, 0, NULL, NULL);
    char *copy = len > 0 ? malloc(len) : NULL;

    if (copy) WideCharToMultiByte(CP_ACP, 0, text, -1, copy, len, NULL, NULL);
    return copy;
}

/* Splits off a trailing "/CONN name"; returns the connection's value name, or NULL on a bad /CONN. */
static const WCHAR *take_connection(int *argc, WCHAR **argv)
{
    if (*argc >= 2 && is_switch(argv[*argc - 2], L"conn"))
    {
        *argc -= 2;
        return argv[*argc + 1];
    }
    if (*argc >= 1 && is_switch(argv[*argc - 1], L"conn")) return NULL;
    return L"DefaultConnectionSettings";
}

static int util_getieproxy(int argc, WCHAR **argv)
{
    static const WCHAR syntax[] =
        L"/UTIL /GETIEPROXY account [/CONN connection_name]   account: LOCALSYSTEM, NETWORKSERVICE or LOCALSERVICE";
    const WCHAR *connection = take_connection(&argc, argv);
    struct ie_proxy proxy;

    if (!connection || argc != 1 || !service_account(argv[0])) return report_usage(syntax);
    read_ie_proxy(connection, &proxy);
    out(L"Proxy usage for %s account:\n", service_account(argv[0]));
    out(L"AUTODETECT: %s\n", proxy.flags & PROXY_AUTODETECT_SETTINGS ? L"TRUE" : L"FALSE");
    /* Every usage's value, the active one or not (Microsoft's reference):
     * /setieproxy keeps them for a later switch back. */
    out(L"AUTOSCRIPT: %S\n", proxy.strings[2] ? proxy.strings[2] : "NULL");
    out(L"MANUAL_PROXY: %S\n", proxy.strings[0] ? proxy.strings[0] : "NULL");
    out(L"PROXY BYPASS: %S\n", proxy.strings[1] ? proxy.strings[1] : "NULL");
    free_ie_proxy(&proxy);
    return EXIT_OK;
}

/* A new usage replaces the old one but keeps the other usages' parameters,
 * as Microsoft's reference says; RESET also forgets the proxy and script URLs. */
static int util_setieproxy(int argc, WCHAR **argv)
{
    static const WCHAR syntax[] =
        L"/UTIL /SETIEPROXY account usage [/CONN connection_name]   usage: NO_PROXY, AUTODETECT, "
        L"MANUAL_PROXY proxy_list bypass_list, AUTOSCRIPT script_url or RESET";
    const WCHAR *connection = take_connection(&argc, argv);
    struct ie_proxy proxy;
    unsigned int i;
    LSTATUS status;

    if (!connection || argc < 2 || !service_account(argv[0])) return report_usage(syntax);
    read_ie_proxy(connection, &proxy);
    if (!wcsicmp(argv[1], L"NO_PROXY") && argc == 2) proxy.flags = PROXY_TYPE_DIRECT;
    else if (!wcsicmp(argv[1], L"AUTODETECT") && argc == 2) proxy.flags = PROXY_TYPE_DIRECT | PROXY_AUTODETECT_SETTINGS;
    else if (!wcsicmp(argv[1], L"MANUAL_PROXY") && (argc == 3 || argc == 4))
    {
        proxy.flags = PROXY_TYPE_DIRECT | PROXY_TYPE_PROXY;
        free(proxy.strings[0]);
        free(proxy.strings[1]);
        proxy.strings[0] = ansi_copy(argv[2]);
        proxy.strings[1] = argc == 4 && wcsicmp(argv[3], L"NULL") ? ansi_copy(argv[3]) : NULL;
    }
    else if (!wcsicmp(argv[1], L"AUTOSCRIPT") && argc == 3)
    {
        proxy.flags = PROXY_TYPE_DIRECT | PROXY_AUTODETECT_SETTINGS | PROXY_USE_PAC_SCRIPT;
        free(proxy.strings[2]);
        proxy.strings[2] = ansi_copy(argv[2]);
    }
    else if (!wcsicmp(argv[1], L"RESET") && argc == 2)
    {
        proxy.flags = PROXY_TYPE_DIRECT;
        for (i = 0; i < ARRAY_SIZE(proxy.strings); i++)
        {
            free(proxy.strings[i]);
            proxy.strings[i] = NULL;
        }
    }
    else
    {
        free_ie_proxy(&proxy);
        return report_usage(syntax);
    }
    status = write_ie_proxy(connection, &proxy);
    free_ie_proxy(&proxy);
    if (status) return report_failure(L"set the Internet proxy settings", HRESULT_FROM_WIN32(status));
    out(L"Internet proxy settings of the %s account set to %s.\n", service_account(argv[0]), argv[1]);
    return EXIT_OK;
}

/* The BITS service of a Wine prefix has nothing that Windows' repairs would
 * fix; we check what it needs and say so. */
static int util_repairservice(int argc, WCHAR **argv)
{
    SC_HANDLE scm, service;
    QUERY_SERVICE_CONFIGW *config;
    DWORD needed = 0;
    int result = EXIT_FAILED;

    if (argc > 1 || (argc == 1 && !is_switch(argv[0], L"force")))
        return report_usage(L"/UTIL /REPAIRSERVICE [/FORCE]");
    if (!(scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT)))
        return report_failure(L"open the service manager", HRESULT_FROM_WIN32(GetLastError()));
    if (!(service = OpenServiceW(scm, L"BITS", SERVICE_QUERY_CONFIG)))
    {
        report_failure(L"open the BITS service", HRESULT_FROM_WIN32(GetLastError()));
        out(L"Install BITS into this prefix again (tools/prefix-install) to re-create the service.\n");
        CloseServiceHandle(scm);
        return EXIT_FAILED;
    }
    QueryServiceConfigW(service, NULL, 0, &needed);
    if ((config = malloc(needed)) && QueryServiceConfigW(service, config, needed, &needed))
    {
        if (config->dwStartType == SERVICE_DISABLED)
            out(L"The BITS service is disabled; enable it with: sc config BITS start= demand\n");
        else
        {
            out(L"The BITS service is configured correctly; no repair needed.\n");
            result = EXIT_OK;
        }
    }
    else report_failure(L"query the BITS service", HRESULT_FROM_WIN32(GetLastError()));
    free(config);
    CloseServiceHandle(service);
    CloseServiceHandle(scm);
    return result;
}

static int util_help(int argc, WCHAR **argv);

static const struct
{
    const WCHAR *name;
    int (*run)(int argc, WCHAR **argv);
    const WCHAR *syntax;
}
util_switches[] =
{
    { L"help", util_help, L"/UTIL /HELP" },
    { L"?", util_help, L"/UTIL /?" },
    { L"version", util_version, L"/UTIL /VERSION [/VERBOSE]" },
    { L"getieproxy", util_getieproxy, L"/UTIL /GETIEPROXY account [/CONN connection_name]" },
    { L"setieproxy", util_setieproxy, L"/UTIL /SETIEPROXY account usage [/CONN connection_name]" },
    { L"repairservice", util_repairservice, L"/UTIL /REPAIRSERVICE [/FORCE]" },
};

static int util_help(int argc, WCHAR **argv)
{
    unsigned int i;

    for (i = 0; i < ARRAY_SIZE(util_switches); i++)
        if (util_switches[i].run != util_help) out(L"BITSADMIN %s\n", util_switches[i].syntax);
    out(L"BITSADMIN /UTIL /ENABLEANALYTICCHANNEL TRUE|FALSE\n");
    return EXIT_OK;
}

static int cmd_util(const struct command *command, int argc, WCHAR **argv)
{
    unsigned int i;

    if (!argc) return util_help(0, NULL);
    for (i = 0; i < ARRAY_SIZE(util_switches); i++)
        if (is_switch(argv[0], util_switches[i].name)) return util_switches[i].run(argc - 1, argv + 1);
    if (is_switch(argv[0], L"enableanalyticchannel"))
    {
        if (argc != 2 || (wcsicmp(argv[1], L"TRUE") && wcsicmp(argv[1], L"FALSE")))
            return report_usage(L"/UTIL /ENABLEANALYTICCHANNEL TRUE|FALSE");
        /* Wine has no event channels: the answer of a Windows without BITS' analytic channel. */
        return report_failure(L"change the analytic channel", HRESULT_FROM_WIN32(15007 /* ERROR_EVT_CHANNEL_NOT_FOUND */));
    }
    out(L"Unknown /UTIL switch: %s\n", argv[0]);
    util_help(0, NULL);
    return EXIT_FAILED;
}

/* /cache and /peers administer the peer cache of BITS 3.0, which BITS no
 * longer serves: the manager's IBitsPeerCacheAdministration answers S_FALSE
 * to everything since BITS 4.0, so the switches fail with
 * ERROR_NOT_SUPPORTED (without the interface, with E_NOINTERFACE). */
static int cmd_peer_cache(const struct command *command, int argc, WCHAR **argv)
{
    IBitsPeerCacheAdministration *cache;
    HRESULT hr;

    if (argc == 1 && (is_switch(argv[0], L"help") || is_switch(argv[0], L"?")))
    {
        out(L"BITSADMIN %s\n", command->syntax);
        return EXIT_OK;
    }
    if (!argc || argv[0][0] != '/') return report_usage(command->syntax);
    hr = IBackgroundCopyManager_QueryInterface(manager, &IID_IBitsPeerCacheAdministration, (void **)&cache);
    if (SUCCEEDED(hr))
    {
        IBitsPeerCacheAdministration_Release(cache);
        hr = HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED);
    }
    return report_failure(L"get the peer cache administration", hr);
}

/* /peercaching /getconfigurationflags and /setconfigurationflags: a job's peer caching flags. */
static int cmd_peercaching(const struct command *command, int argc, WCHAR **argv)
{
    const struct command *property;
    const WCHAR *name;

    if (argc == 1 && (is_switch(argv[0], L"help") || is_switch(argv[0], L"?")))
    {
        out(L"BITSADMIN /PEERCACHING /GETCONFIGURATIONFLAGS job\n");
        out(L"BITSADMIN /PEERCACHING /SETCONFIGURATIONFLAGS job value\n");
        return EXIT_OK;
    }
    if (argc >= 1 && is_switch(argv[0], L"getconfigurationflags")) name = L"getpeercachingflags";
    else if (argc >= 1 && is_switch(argv[0], L"setconfigurationflags")) name = L"setpeercachingflags";
    else return report_usage(command->syntax);
    for (property = property_commands; property->name; property++)
        if (!wcscmp(property->name, name)) return property->run(property, argc - 1, argv + 1);
    return EXIT_FAILED;
}

const struct command util_commands[] =
{
    /* Not connected first: /repairservice is for a service that does not start. */
    { L"util", cmd_util, FALSE, L"/UTIL /HELP | /VERSION | /GETIEPROXY | /SETIEPROXY | /REPAIRSERVICE | /ENABLEANALYTICCHANNEL" },
    { L"cache", cmd_peer_cache, TRUE,
      L"/CACHE /HELP | /CLEAR | /DELETE | /DELETEURL | /LIST | /INFO | /GETLIMIT | /SETLIMIT | /GETEXPIRATIONTIME | /SETEXPIRATIONTIME" },
    { L"peers", cmd_peer_cache, TRUE, L"/PEERS /HELP | /DISCOVER | /CLEAR | /LIST" },
    { L"peercaching", cmd_peercaching, TRUE, L"/PEERCACHING /HELP | /GETCONFIGURATIONFLAGS job | /SETCONFIGURATIONFLAGS job value" },
    { NULL }
};
