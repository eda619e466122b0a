/*
 * Background Intelligent Transfer Service: the caller's identity as the
 * proxy DLL sends it to the service in an ORPC extent.
 *
 * Wine's COM gives a server no way to see its client's token
 * (CoImpersonateClient fails), so qmgrprxy.dll installs a channel hook in
 * every client that describes the token the calling thread acts as, and
 * qmgr.dll reads it on the service side.  Both ends include this header; a
 * record of another version or size is ignored.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __QMGR_IDENTITY_WIRE_H
#define __QMGR_IDENTITY_WIRE_H

/* {7a4e1e74-bc24-4ee1-97ea-e0def5bedaf5} */
static const GUID identity_extent_id =
    { 0x7a4e1e74, 0xbc24, 0x4ee1, { 0x97, 0xea, 0xe0, 0xde, 0xf5, 0xbe, 0xda, 0xf5 } };

#define IDENTITY_WIRE_VERSION 1

/* Not an impersonation token: the process's own (primary) token. */
#define IDENTITY_PRIMARY_TOKEN 0xffffffff

struct identity_wire_token
{
    BYTE user[SECURITY_MAX_SID_SIZE];  /* the token's user SID */
    DWORD admin_attributes;            /* the Administrators group's attributes, 0 when absent */
    DWORD integrity;                   /* the mandatory label's RID */
    DWORD elevated;
    DWORD impersonation_level;         /* SECURITY_IMPERSONATION_LEVEL or IDENTITY_PRIMARY_TOKEN */
};

struct identity_wire
{
    DWORD version;
    DWORD process_id;
    /* The calling thread's impersonation token, as a handle of the client
     * process that stays open until the call returns; 0 when the thread does
     * not impersonate (the service then opens the process's token). */
    UINT64 thread_token;
    struct identity_wire_token effective;  /* the thread token when impersonating, else the process token */
    struct identity_wire_token process;    /* the process token */
};

/* What the service needs to know of a token. */
static inline void identity_describe_token(HANDLE token, struct identity_wire_token *out)
{
    SID_IDENTIFIER_AUTHORITY nt_authority = { SECURITY_NT_AUTHORITY };
    union { TOKEN_USER user; BYTE buffer[SECURITY_MAX_SID_SIZE + sizeof(TOKEN_USER)]; } user;
    union { TOKEN_MANDATORY_LABEL label; BYTE buffer[SECURITY_MAX_SID_SIZE + sizeof(TOKEN_MANDATORY_LABEL)]; } label;
    BYTE admins_buffer[SECURITY_MAX_SID_SIZE];
    PSID admins = admins_buffer;
    SECURITY_IMPERSONATION_LEVEL level;
    TOKEN_ELEVATION elevation;
    TOKEN_GROUPS *groups;
    TOKEN_TYPE type;
    DWORD size, i;

    memset(out, 0, sizeof(*out));
    out->impersonation_level = IDENTITY_PRIMARY_TOKEN;
    if (GetTokenInformation(token, TokenUser, &user, sizeof(user), &size))
        CopySid(sizeof(out->user), out->user, user.user.User.Sid);
    if (GetTokenInformation(token, TokenIntegrityLevel, &label, sizeof(label), &size))
    {
        PSID sid = label.label.Label.Sid;
        out->integrity = *GetSidSubAuthority(sid, *GetSidSubAuthorityCount(sid) - 1);
    }
    else out->integrity = SECURITY_MANDATORY_HIGH_RID;
    if (GetTokenInformation(token, TokenElevation, &elevation, sizeof(elevation), &size))
        out->elevated = elevation.TokenIsElevated;
    if (GetTokenInformation(token, TokenType, &type, sizeof(type), &size) && type == TokenImpersonation &&
        GetTokenInformation(token, TokenImpersonationLevel, &level, sizeof(level), &size))
        out->impersonation_level = level;

    InitializeSid(admins, &nt_authority, 2);
    *GetSidSubAuthority(admins, 0) = SECURITY_BUILTIN_DOMAIN_RID;
    *GetSidSubAuthority(admins, 1) = DOMAIN_ALIAS_RID_ADMINS;
    GetTokenInformation(token, TokenGroups, NULL, 0, &size);
    if ((groups = HeapAlloc(GetProcessHeap(), 0, size)))
    {
        if (GetTokenInformation(token, TokenGroups, groups, size, &size))
        {
            for (i = 0; i < groups->GroupCount; i++)
                if (EqualSid(groups->Groups[i].Sid, admins)) out->admin_attributes = groups->Groups[i].Attributes;
        }
        HeapFree(GetProcessHeap(), 0, groups);
    }
}

#endif /* __QMGR_IDENTITY_WIRE_H */
