/*
 * What BITS should say about an identity: the one place the tests learn which
 * SID and which administrator status to expect.
 *
 * On Windows that is the token itself.  Under Wine, where every process has
 * the placeholder user S-1-5-21-0-0-0-1000 and an enabled Administrators
 * group, our BITS presents the placeholder as the Unix user (S-1-22-1-<uid>)
 * and counts Administrators only for root and the members of the Unix
 * administrator groups, unless HKLM\Software\Wine\BITS\IdentityMapping is
 * "token".  The uid and groups come from the kernel, as the service reads them.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __QMGR_TESTS_IDENTITY_UTIL_H
#define __QMGR_TESTS_IDENTITY_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sddl.h"

static BOOL under_wine(void)
{
    return !!GetProcAddress(GetModuleHandleA("ntdll.dll"), "wine_get_version");
}

static BOOL identity_mapping_on(void)
{
    WCHAR mode[16] = L"";
    DWORD size = sizeof(mode) - sizeof(WCHAR);

    if (!under_wine()) return FALSE;
    if (RegGetValueW(HKEY_LOCAL_MACHINE, L"Software\\Wine\\BITS", L"IdentityMapping", RRF_RT_REG_SZ, NULL,
                     mode, &size))
        return TRUE;
    return !!wcsicmp(mode, L"token");
}

static char *read_whole_file(const WCHAR *path)
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
            if (!(grown = realloc(data, capacity))) break;
            data = grown;
        }
        /* /proc files read as size 0: read to the end. */
        if (!ReadFile(file, data + size, capacity - size - 1, &got, NULL) || !got) break;
        size += got;
    }
    CloseHandle(file);
    if (data) data[size] = 0;
    return data;
}

struct unix_ids
{
    unsigned int uid;
    unsigned int gids[64];
    unsigned int gid_count;
};

static BOOL get_unix_ids(struct unix_ids *ids)
{
    char *status = read_whole_file(L"\\\\?\\unix\\proc\\self\\status"), *line;
    unsigned int real, effective, value;
    BOOL found = FALSE;
    int used;

    memset(ids, 0, sizeof(*ids));
    if (!status) return FALSE;
    for (line = status; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
    {
        if (sscanf(line, "Uid: %u %u", &real, &effective) == 2)
        {
            ids->uid = effective;
            found = TRUE;
        }
        else if (sscanf(line, "Gid: %u %u", &real, &effective) == 2 && ids->gid_count < 64)
            ids->gids[ids->gid_count++] = effective;
        else if (!strncmp(line, "Groups:", 7))
        {
            const char *p = line + 7;
            while (*p && *p != '\n' && sscanf(p, " %u%n", &value, &used) == 1 && ids->gid_count < 64)
            {
                ids->gids[ids->gid_count++] = value;
                p += used;
            }
        }
    }
    free(status);
    return found;
}

/* The name of a Unix group from /etc/group; FALSE if there is none. */
static BOOL get_unix_group_name(unsigned int gid, char *name, size_t size)
{
    char *groups = read_whole_file(L"\\\\?\\unix\\etc\\group"), *line;
    unsigned int id;
    BOOL found = FALSE;

    if (!groups) return FALSE;
    for (line = groups; line && !found; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
    {
        const char *colon = strchr(line, ':'), *second;
        if (!colon || !(second = strchr(colon + 1, ':')) || sscanf(second + 1, "%u", &id) != 1 || id != gid) continue;
        if ((size_t)(colon - line) >= size) continue;
        memcpy(name, line, colon - line);
        name[colon - line] = 0;
        found = TRUE;
    }
    free(groups);
    return found;
}

static BOOL unix_user_is_admin(void)
{
    static const char *const admin_groups[] = { "sudo", "wheel", "admin" };
    struct unix_ids ids;
    char name[256];
    unsigned int i, j;

    if (!get_unix_ids(&ids)) return FALSE;
    if (!ids.uid) return TRUE;
    for (i = 0; i < ids.gid_count; i++)
    {
        if (!get_unix_group_name(ids.gids[i], name, sizeof(name))) continue;
        for (j = 0; j < ARRAY_SIZE(admin_groups); j++)
            if (!strcmp(name, admin_groups[j])) return TRUE;
    }
    return FALSE;
}

/* The token the current thread acts as: its impersonation token, else the process's. */
static HANDLE open_effective_token(void)
{
    HANDLE token;

    if (OpenThreadToken(GetCurrentThread(), TOKEN_QUERY | TOKEN_DUPLICATE, TRUE, &token)) return token;
    if (OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY | TOKEN_DUPLICATE, &token)) return token;
    return NULL;
}

/* The SID string BITS should show for a token; free with free(). */
static WCHAR *expected_sid_of_token(HANDLE token)
{
    union { TOKEN_USER user; BYTE buffer[SECURITY_MAX_SID_SIZE + sizeof(TOKEN_USER)]; } info;
    struct unix_ids ids;
    WCHAR *string, *ret;
    DWORD size;

    if (!GetTokenInformation(token, TokenUser, &info, sizeof(info), &size)) return NULL;
    if (!ConvertSidToStringSidW(info.user.User.Sid, &string)) return NULL;
    if (identity_mapping_on() && !wcscmp(string, L"S-1-5-21-0-0-0-1000") && get_unix_ids(&ids))
    {
        ret = malloc(32 * sizeof(WCHAR));
        swprintf(ret, 32, L"S-1-22-1-%u", ids.uid);
    }
    else ret = _wcsdup(string);
    LocalFree(string);
    return ret;
}

static inline WCHAR *expected_caller_sid(void)
{
    HANDLE token = open_effective_token();
    WCHAR *sid;

    if (!token) return NULL;
    sid = expected_sid_of_token(token);
    CloseHandle(token);
    return sid;
}

/* Administrators enabled in the token (not deny-only), and under the mapping a Unix administrator. */
static inline BOOL expected_admin_of_token(HANDLE token)
{
    SID_IDENTIFIER_AUTHORITY nt_authority = { SECURITY_NT_AUTHORITY };
    HANDLE check = NULL;
    BOOL member = FALSE;
    PSID admins;

    if (!AllocateAndInitializeSid(&nt_authority, 2, SECURITY_BUILTIN_DOMAIN_RID, DOMAIN_ALIAS_RID_ADMINS,
                                  0, 0, 0, 0, 0, 0, &admins))
        return FALSE;
    /* CheckTokenMembership wants an impersonation token. */
    if (DuplicateToken(token, SecurityIdentification, &check))
    {
        if (!CheckTokenMembership(check, admins, &member)) member = FALSE;
        CloseHandle(check);
    }
    FreeSid(admins);
    if (member && identity_mapping_on()) member = unix_user_is_admin();
    return member;
}

static inline BOOL expected_caller_admin(void)
{
    HANDLE token = open_effective_token();
    BOOL admin;

    if (!token) return FALSE;
    admin = expected_admin_of_token(token);
    CloseHandle(token);
    return admin;
}

/* A copy of the process token with Administrators made deny-only, as the
 * impersonation token a thread can take. */
static inline HANDLE make_restricted_token(void)
{
    SID_IDENTIFIER_AUTHORITY nt_authority = { SECURITY_NT_AUTHORITY };
    HANDLE process, restricted = NULL, impersonation = NULL;
    SID_AND_ATTRIBUTES disable;
    PSID admins;

    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_ALL_ACCESS, &process)) return NULL;
    AllocateAndInitializeSid(&nt_authority, 2, SECURITY_BUILTIN_DOMAIN_RID, DOMAIN_ALIAS_RID_ADMINS,
                             0, 0, 0, 0, 0, 0, &admins);
    disable.Sid = admins;
    disable.Attributes = 0;
    if (CreateRestrictedToken(process, 0, 1, &disable, 0, NULL, 0, NULL, &restricted))
    {
        DuplicateTokenEx(restricted, TOKEN_ALL_ACCESS, NULL, SecurityImpersonation, TokenImpersonation,
                         &impersonation);
        CloseHandle(restricted);
    }
    FreeSid(admins);
    CloseHandle(process);
    return impersonation;
}

/* Switches our BITS' identity mapping (Wine only): "token" shows tokens as
 * they are, NULL restores the default. */
static inline void set_mapping_mode(const WCHAR *mode)
{
    HKEY key;
    LONG ret;

    ret = RegCreateKeyExW(HKEY_LOCAL_MACHINE, L"Software\\Wine\\BITS", 0, NULL, 0, KEY_SET_VALUE, NULL, &key, NULL);
    ok(!ret, "cannot open the BITS key: %ld.\n", ret);
    if (ret) return;
    if (mode) ret = RegSetValueExW(key, L"IdentityMapping", 0, REG_SZ, (const BYTE *)mode,
                                   (wcslen(mode) + 1) * sizeof(WCHAR));
    else ret = RegDeleteValueW(key, L"IdentityMapping");
    ok(!ret || ret == ERROR_FILE_NOT_FOUND, "cannot change IdentityMapping: %ld.\n", ret);
    RegCloseKey(key);
}

#endif /* __QMGR_TESTS_IDENTITY_UTIL_H */
