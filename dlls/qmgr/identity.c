/*
 * Background Intelligent Transfer Service: who is calling.
 *
 * On Windows the caller is whoever COM impersonation yields.  Wine's COM gives
 * a server no such thing, so every client carries a description of its token
 * (identity_wire.h, sent by qmgrprxy.dll's channel hook) and the service reads
 * it here.  Under Wine every process also has the same placeholder user SID
 * and an enabled Administrators group; this file presents the placeholder as
 * the Unix user (S-1-22-1-<uid>) and counts Administrators only for root and
 * the members of the Unix administrator groups.  Every SID BITS shows and
 * every access decision goes through this one file.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "qmgr_private.h"
#include "objidl.h"
#include "sddl.h"
#include "identity_wire.h"

#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(qmgr);

/* Where the mapping is configured (REG_SZ IdentityMapping: "unix" or "token";
 * REG_MULTI_SZ AdminGroups: the Unix groups whose members are administrators). */
static const WCHAR config_key[] = L"Software\\Wine\\BITS";
static const WCHAR default_admin_groups[] = L"sudo\0wheel\0admin\0";

/* ---- the Unix user behind the placeholder SID ---- */

struct unix_user
{
    BOOL known;
    unsigned int uid;
    unsigned int gids[64];
    unsigned int gid_count;
};

static struct
{
    BOOL under_wine;
    BOOL loaded;
    HKEY key;
    HANDLE changed;     /* signalled when the configuration key changes */
    BOOL map;           /* present the placeholder as the Unix user */
    BOOL unix_admin;    /* the Unix user is root or in an administrator group */
    struct unix_user user;
} config;

static CRITICAL_SECTION config_cs;
static CRITICAL_SECTION_DEBUG config_cs_debug =
{
    0, 0, &config_cs,
    { &config_cs_debug.ProcessLocksList, &config_cs_debug.ProcessLocksList },
      0, 0, { (DWORD_PTR)(__FILE__ ": identity config") }
};
static CRITICAL_SECTION config_cs = { &config_cs_debug, -1, 0, 0, 0, 0 };

/* A whole file of the Unix side, read to its end: /proc files report no size. */
static char *read_unix_file(const WCHAR *path)
{
    char *data = NULL, *grown;
    DWORD size = 0, capacity = 0, got;
    HANDLE file;

    file = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING, 0, NULL);
    if (file == INVALID_HANDLE_VALUE) return NULL;
    for (;;)
    {
        if (capacity - size < 4097)
        {
            capacity = capacity ? capacity * 2 : 8192;
            if (capacity > (1 << 22) || !(grown = realloc(data, capacity))) break;
            data = grown;
        }
        if (!ReadFile(file, data + size, capacity - size - 1, &got, NULL) || !got) break;
        size += got;
    }
    CloseHandle(file);
    if (data) data[size] = 0;
    return data;
}

/* The effective uid and the groups of this process, as the kernel has them.
 * One wineserver serves one Unix user: the service's are its clients'. */
static void read_unix_user(struct unix_user *user)
{
    char *status, *line;
    unsigned int value;
    int used;

    memset(user, 0, sizeof(*user));
    if (!(status = read_unix_file(L"\\\\?\\unix\\proc\\self\\status"))) return;
    for (line = status; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
    {
        unsigned int real, effective;

        if (sscanf(line, "Uid: %u %u", &real, &effective) == 2)
        {
            user->uid = effective;
            user->known = TRUE;
        }
        else if (sscanf(line, "Gid: %u %u", &real, &effective) == 2)
        {
            if (user->gid_count < ARRAY_SIZE(user->gids)) user->gids[user->gid_count++] = effective;
        }
        else if (!strncmp(line, "Groups:", 7))
        {
            const char *p = line + 7;
            while (*p != '\n' && *p && sscanf(p, " %u%n", &value, &used) == 1)
            {
                if (user->gid_count < ARRAY_SIZE(user->gids)) user->gids[user->gid_count++] = value;
                p += used;
            }
        }
    }
    free(status);
}

/* Whether the user belongs to one of the named groups of /etc/group. */
static BOOL in_admin_group(const struct unix_user *user, const WCHAR *names)
{
    char *groups, *line, name[256];
    unsigned int gid, i;
    const WCHAR *wanted;
    BOOL found = FALSE;
    int len;

    if (!(groups = read_unix_file(L"\\\\?\\unix\\etc\\group"))) return FALSE;
    for (line = groups; line && *line && !found; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
    {
        const char *colon = strchr(line, ':');
        if (!colon || (len = colon - line) >= (int)sizeof(name)) continue;
        memcpy(name, line, len);
        name[len] = 0;
        /* name:password:gid:members */
        if (!(colon = strchr(colon + 1, ':')) || sscanf(colon + 1, "%u", &gid) != 1) continue;
        for (wanted = names; *wanted && !found; wanted += wcslen(wanted) + 1)
        {
            char narrow[256];
            if (!WideCharToMultiByte(CP_UTF8, 0, wanted, -1, narrow, sizeof(narrow), NULL, NULL)) continue;
            if (strcmp(narrow, name)) continue;
            for (i = 0; i < user->gid_count; i++) if (user->gids[i] == gid) found = TRUE;
        }
    }
    free(groups);
    return found;
}

/* (Re)reads the configuration; the caller holds config_cs. */
static void load_config(void)
{
    WCHAR mode[16], *groups = NULL;
    DWORD size, type;

    config.under_wine = !!GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "wine_get_version");
    if (!config.key &&
        RegCreateKeyExW(HKEY_LOCAL_MACHINE, config_key, 0, NULL, 0, KEY_READ | KEY_NOTIFY, NULL, &config.key, NULL))
        config.key = NULL;
    if (config.key)
    {
        if (!config.changed) config.changed = CreateEventW(NULL, FALSE, FALSE, NULL);
        if (config.changed)
            RegNotifyChangeKeyValue(config.key, FALSE, REG_NOTIFY_CHANGE_LAST_SET, config.changed, TRUE);
    }

    /* Windows' own identities need no mapping; under Wine it is on unless switched off. */
    config.map = config.under_wine;
    size = sizeof(mode);
    if (config.key && !RegQueryValueExW(config.key, L"IdentityMapping", NULL, &type, (BYTE *)mode, &size) &&
        type == REG_SZ && size >= sizeof(WCHAR))
    {
        mode[min(size / sizeof(WCHAR), ARRAY_SIZE(mode) - 1)] = 0;
        if (!wcsicmp(mode, L"token")) config.map = FALSE;
        else if (!wcsicmp(mode, L"unix")) config.map = config.under_wine;
    }

    if (!config.loaded) read_unix_user(&config.user);
    config.unix_admin = FALSE;
    if (config.user.known)
    {
        size = 0;
        if (config.key && !RegQueryValueExW(config.key, L"AdminGroups", NULL, &type, NULL, &size) &&
            type == REG_MULTI_SZ && size && (groups = calloc(1, size + 2 * sizeof(WCHAR))) &&
            RegQueryValueExW(config.key, L"AdminGroups", NULL, &type, (BYTE *)groups, &size))
        {
            free(groups);
            groups = NULL;
        }
        config.unix_admin = !config.user.uid ||
                            in_admin_group(&config.user, groups ? groups : default_admin_groups);
        free(groups);
    }
    config.loaded = TRUE;
    TRACE("mapping %s, uid %u, unix admin %d.\n", config.map ? "on" : "off", config.user.uid, config.unix_admin);
}

/* What the mapping needs, as one consistent copy. */
struct mapping
{
    BOOL map;         /* present the placeholder as the Unix user */
    BOOL unix_admin;
    unsigned int uid;
};

/* Reloaded when the key changed; one look per question asked, however many SIDs it involves. */
static void get_mapping(struct mapping *mapping)
{
    EnterCriticalSection(&config_cs);
    if (!config.loaded || (config.changed && !WaitForSingleObject(config.changed, 0))) load_config();
    mapping->map = config.map && config.user.known;
    mapping->unix_admin = config.unix_admin;
    mapping->uid = config.user.uid;
    LeaveCriticalSection(&config_cs);
}

/* ---- SIDs and administrators ---- */

static BOOL is_placeholder_sid(PSID sid)
{
    static const SID_IDENTIFIER_AUTHORITY nt_authority = { SECURITY_NT_AUTHORITY };
    const SID_IDENTIFIER_AUTHORITY *authority;

    if (!IsValidSid(sid) || *GetSidSubAuthorityCount(sid) != 5) return FALSE;
    authority = GetSidIdentifierAuthority(sid);
    if (memcmp(authority, &nt_authority, sizeof(nt_authority))) return FALSE;
    return *GetSidSubAuthority(sid, 0) == SECURITY_NT_NON_UNIQUE && !*GetSidSubAuthority(sid, 1) &&
           !*GetSidSubAuthority(sid, 2) && !*GetSidSubAuthority(sid, 3) && *GetSidSubAuthority(sid, 4) == 1000;
}

/* The string BITS shows for a SID: Wine's placeholder user becomes the Unix user. */
static HRESULT sid_to_string(const struct mapping *mapping, PSID sid, WCHAR **out)
{
    WCHAR *string;

    *out = NULL;
    if (!IsValidSid(sid)) return E_INVALIDARG;
    if (mapping->map && is_placeholder_sid(sid))
    {
        if (!(*out = malloc(32 * sizeof(WCHAR)))) return E_OUTOFMEMORY;
        swprintf(*out, 32, L"S-1-22-1-%u", mapping->uid);
        return S_OK;
    }
    if (!ConvertSidToStringSidW(sid, &string)) return HRESULT_FROM_WIN32(GetLastError());
    *out = strdupW(string);
    LocalFree(string);
    return *out ? S_OK : E_OUTOFMEMORY;
}

HRESULT identity_sid_to_string(PSID sid, WCHAR **out)
{
    struct mapping mapping;

    get_mapping(&mapping);
    return sid_to_string(&mapping, sid, out);
}

/* Administrators must be enabled, not deny-only; under the mapping the Unix user must be an administrator too. */
static BOOL admin_from_attributes(const struct mapping *mapping, DWORD attributes)
{
    if (!(attributes & SE_GROUP_ENABLED) || (attributes & SE_GROUP_USE_FOR_DENY_ONLY)) return FALSE;
    return !mapping->map || mapping->unix_admin;
}

BOOL identity_token_is_admin(HANDLE token)
{
    struct identity_wire_token info;
    struct mapping mapping;

    identity_describe_token(token, &info);
    get_mapping(&mapping);
    return admin_from_attributes(&mapping, info.admin_attributes);
}

HRESULT identity_token_sid(HANDLE token, WCHAR **sid)
{
    struct identity_wire_token info;

    identity_describe_token(token, &info);
    return identity_sid_to_string(info.user, sid);
}

/* ---- the record the client sent with the current call ---- */

struct call_identity
{
    BOOL present;
    GUID causality;
    struct identity_wire record;
};

static DWORD call_tls = TLS_OUT_OF_INDEXES;

static struct call_identity *get_call_identity(BOOL create)
{
    struct call_identity *call;

    if (call_tls == TLS_OUT_OF_INDEXES) return NULL;
    if (!(call = TlsGetValue(call_tls)) && create && (call = calloc(1, sizeof(*call)))) TlsSetValue(call_tls, call);
    return call;
}

/* The record of the call this thread is serving, if its client sent one. */
static const struct identity_wire *current_record(void)
{
    struct call_identity *call = get_call_identity(FALSE);
    GUID causality;

    if (!call || !call->present) return NULL;
    /* A record left by an earlier call on this thread does not describe this one. */
    if (FAILED(CoGetCurrentLogicalThreadId(&causality)) || !IsEqualGUID(&causality, &call->causality)) return NULL;
    return &call->record;
}

static HRESULT WINAPI hook_QueryInterface(IChannelHook *iface, REFIID riid, void **obj)
{
    if (IsEqualGUID(riid, &IID_IUnknown) || IsEqualGUID(riid, &IID_IChannelHook))
    {
        *obj = iface;
        return S_OK;
    }
    *obj = NULL;
    return E_NOINTERFACE;
}

static ULONG WINAPI hook_AddRef(IChannelHook *iface)
{
    return 2;
}

static ULONG WINAPI hook_Release(IChannelHook *iface)
{
    return 1;
}

static void WINAPI hook_ClientGetSize(IChannelHook *iface, REFGUID extent, REFIID riid, ULONG *size)
{
    *size = 0;
}

static void WINAPI hook_ClientFillBuffer(IChannelHook *iface, REFGUID extent, REFIID riid, ULONG *size, void *buffer)
{
    *size = 0;
}

static void WINAPI hook_ClientNotify(IChannelHook *iface, REFGUID extent, REFIID riid, ULONG size, void *buffer,
                                     DWORD data_rep, HRESULT fault)
{
}

/* Runs on the thread that then runs the method, just before it. */
static void WINAPI hook_ServerNotify(IChannelHook *iface, REFGUID extent, REFIID riid, ULONG size, void *buffer,
                                     DWORD data_rep)
{
    /* COM passes the call's SChannelHookCallInfo, whose first member is the IID. */
    const SChannelHookCallInfo *info = (const SChannelHookCallInfo *)riid;
    const struct identity_wire *record = buffer;
    struct call_identity *call;

    if (!IsEqualGUID(extent, &identity_extent_id) || !(call = get_call_identity(TRUE))) return;
    call->present = FALSE;
    if (!record || size < sizeof(*record) || record->version != IDENTITY_WIRE_VERSION) return;
    if (info->cbSize != sizeof(*info)) return;
    if (!IsValidSid((PSID)record->effective.user) || !IsValidSid((PSID)record->process.user)) return;
    call->record = *record;
    call->causality = info->uCausality;
    call->present = TRUE;
}

/* Runs when the reply is built: the call is over. */
static void WINAPI hook_ServerGetSize(IChannelHook *iface, REFGUID extent, REFIID riid, HRESULT fault, ULONG *size)
{
    struct call_identity *call = get_call_identity(FALSE);

    if (call) call->present = FALSE;
    *size = 0;
}

static void WINAPI hook_ServerFillBuffer(IChannelHook *iface, REFGUID extent, REFIID riid, ULONG *size,
                                         void *buffer, HRESULT fault)
{
    *size = 0;
}

static const IChannelHookVtbl hook_vtbl =
{
    hook_QueryInterface,
    hook_AddRef,
    hook_Release,
    hook_ClientGetSize,
    hook_ClientFillBuffer,
    hook_ClientNotify,
    hook_ServerNotify,
    hook_ServerGetSize,
    hook_ServerFillBuffer,
};

static IChannelHook identity_hook = { &hook_vtbl };

/* A call that came through the fast channel (fast_channel.c) rather than
 * COM: its record describes the caller until identity_end_direct_call. */
void identity_begin_direct_call(const struct identity_wire *record)
{
    struct call_identity *call = get_call_identity(TRUE);

    if (!call) return;
    call->present = FALSE;
    if (record->version != IDENTITY_WIRE_VERSION) return;
    if (!IsValidSid((PSID)record->effective.user) || !IsValidSid((PSID)record->process.user)) return;
    if (FAILED(CoGetCurrentLogicalThreadId(&call->causality))) return;
    call->record = *record;
    call->present = TRUE;
}

/* The client process of the call this thread serves, 0 when unknown. */
DWORD identity_caller_process(void)
{
    const struct identity_wire *record = current_record();

    return record ? record->process_id : 0;
}

void identity_end_direct_call(void)
{
    struct call_identity *call = get_call_identity(FALSE);

    if (call) call->present = FALSE;
}

/* Called once by the service before it takes calls. */
void identity_init(void)
{
    if (!GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "wine_get_version")) return;
    if ((call_tls = TlsAlloc()) == TLS_OUT_OF_INDEXES) return;
    CoRegisterChannelHook(&identity_extent_id, &identity_hook);
}

/* ---- the caller ---- */

/* The token COM impersonation yields (Windows); NULL where it yields none. */
static HANDLE open_impersonated_token(DWORD access)
{
    HANDLE token = NULL;

    if (SUCCEEDED(CoImpersonateClient()))
    {
        if (!OpenThreadToken(GetCurrentThread(), access, TRUE, &token)) token = NULL;
        CoRevertToSelf();
    }
    return token;
}

static HRESULT fill_caller(struct caller *caller, const struct identity_wire_token *effective,
                           const struct identity_wire_token *process)
{
    struct mapping mapping;
    HRESULT hr;

    get_mapping(&mapping);
    if (FAILED(hr = sid_to_string(&mapping, (PSID)effective->user, &caller->sid))) return hr;
    if (FAILED(hr = sid_to_string(&mapping, (PSID)process->user, &caller->process_sid)))
    {
        identity_free_caller(caller);
        return hr;
    }
    caller->admin = admin_from_attributes(&mapping, effective->admin_attributes);
    caller->process_admin = admin_from_attributes(&mapping, process->admin_attributes);
    caller->integrity = effective->integrity;
    caller->elevated = effective->elevated;
    caller->impersonating = effective->impersonation_level != IDENTITY_PRIMARY_TOKEN;
    return S_OK;
}

HRESULT identity_get_caller(struct caller *caller)
{
    const struct identity_wire *record = current_record();
    struct identity_wire_token effective, process;
    HANDLE token;

    memset(caller, 0, sizeof(*caller));
    if (record) return fill_caller(caller, &record->effective, &record->process);

    /* Windows, or a client without our proxy: COM impersonation, else (Wine) the
     * service's own token, which under Wine carries the same user as every client. */
    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token)) return CO_E_FAILEDTOIMPERSONATE;
    identity_describe_token(token, &process);
    CloseHandle(token);
    if ((token = open_impersonated_token(TOKEN_QUERY)))
    {
        identity_describe_token(token, &effective);
        CloseHandle(token);
        process = effective;
    }
    else effective = process;
    return fill_caller(caller, &effective, &process);
}

void identity_free_caller(struct caller *caller)
{
    free(caller->sid);
    free(caller->process_sid);
    caller->sid = caller->process_sid = NULL;
}

/* An impersonation token of the caller's identity, for the service to keep
 * (IBitsTokenOptions::SetHelperToken).  CO_E_FAILEDTOIMPERSONATE when the
 * caller's token does not allow impersonation or cannot be reached. */
HRESULT identity_duplicate_caller_token(HANDLE *out)
{
    const struct identity_wire *record = current_record();
    HANDLE source = NULL, process;
    BOOL ok;

    *out = NULL;
    if (record)
    {
        if (record->effective.impersonation_level != IDENTITY_PRIMARY_TOKEN &&
            record->effective.impersonation_level < SecurityImpersonation)
            return CO_E_FAILEDTOIMPERSONATE;
        if (!(process = OpenProcess(PROCESS_DUP_HANDLE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE,
                                    record->process_id)))
            return CO_E_FAILEDTOIMPERSONATE;
        /* The client keeps its thread token open until this call returns. */
        if (record->thread_token)
            ok = DuplicateHandle(process, (HANDLE)(UINT_PTR)record->thread_token, GetCurrentProcess(), &source,
                                 TOKEN_QUERY | TOKEN_DUPLICATE | TOKEN_IMPERSONATE, FALSE, 0);
        else ok = OpenProcessToken(process, TOKEN_QUERY | TOKEN_DUPLICATE, &source);
        CloseHandle(process);
        if (!ok) return CO_E_FAILEDTOIMPERSONATE;
    }
    else if (!(source = open_impersonated_token(TOKEN_QUERY | TOKEN_DUPLICATE | TOKEN_IMPERSONATE)) &&
             !OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY | TOKEN_DUPLICATE, &source))
        return CO_E_FAILEDTOIMPERSONATE;

    ok = DuplicateTokenEx(source, TOKEN_ALL_ACCESS, NULL, SecurityImpersonation, TokenImpersonation, out);
    CloseHandle(source);
    return ok ? S_OK : CO_E_FAILEDTOIMPERSONATE;
}
