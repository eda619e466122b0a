/*
 * Background Intelligent Transfer Service: the identity of the caller.
 *
 * The caller is whoever the COM call impersonates; where impersonation is not
 * available (Wine's COM does not give a server its client's token), the
 * service's own token stands in.  Issue "Unix-credential identity" replaces
 * this with the identity the proxy carries across.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>

#include "qmgr_private.h"
#include "sddl.h"

#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(qmgr);

static HANDLE open_caller_token(void)
{
    HANDLE token = NULL;

    if (SUCCEEDED(CoImpersonateClient()))
    {
        if (!OpenThreadToken(GetCurrentThread(), TOKEN_QUERY, TRUE, &token)) token = NULL;
        CoRevertToSelf();
    }
    if (!token && !OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token)) token = NULL;
    return token;
}

HRESULT identity_get_caller_sid(WCHAR **sid)
{
    union { TOKEN_USER user; BYTE buffer[SECURITY_MAX_SID_SIZE + sizeof(TOKEN_USER)]; } info;
    WCHAR *string;
    HANDLE token;
    DWORD size;
    BOOL ok;

    *sid = NULL;
    if (!(token = open_caller_token())) return CO_E_FAILEDTOIMPERSONATE;
    ok = GetTokenInformation(token, TokenUser, &info, sizeof(info), &size);
    CloseHandle(token);
    if (!ok) return HRESULT_FROM_WIN32(GetLastError());

    if (!ConvertSidToStringSidW(info.user.User.Sid, &string)) return HRESULT_FROM_WIN32(GetLastError());
    *sid = strdupW(string);
    LocalFree(string);
    return *sid ? S_OK : E_OUTOFMEMORY;
}

BOOL identity_caller_is_admin(void)
{
    SID_IDENTIFIER_AUTHORITY nt_authority = { SECURITY_NT_AUTHORITY };
    BOOL impersonating, member = FALSE;
    PSID admins;

    if (!AllocateAndInitializeSid(&nt_authority, 2, SECURITY_BUILTIN_DOMAIN_RID, DOMAIN_ALIAS_RID_ADMINS,
                                  0, 0, 0, 0, 0, 0, &admins))
        return FALSE;
    impersonating = SUCCEEDED(CoImpersonateClient());
    if (!CheckTokenMembership(NULL, admins, &member)) member = FALSE;
    if (impersonating) CoRevertToSelf();
    FreeSid(admins);
    return member;
}

/* The mandatory integrity RID and elevation of the caller's token, recorded
 * with a job's owner for IBackgroundCopyJob4. */
void identity_get_caller_token_info(ULONG *integrity, BOOL *elevated)
{
    union { TOKEN_MANDATORY_LABEL label; BYTE buffer[SECURITY_MAX_SID_SIZE + sizeof(TOKEN_MANDATORY_LABEL)]; } info;
    TOKEN_ELEVATION elevation;
    HANDLE token;
    DWORD size;

    /* Without a label or elevation information, a full administrator token is what Wine gives everyone. */
    *integrity = SECURITY_MANDATORY_HIGH_RID;
    *elevated = TRUE;
    if (!(token = open_caller_token())) return;
    if (GetTokenInformation(token, TokenIntegrityLevel, &info, sizeof(info), &size))
    {
        PSID sid = info.label.Label.Sid;
        *integrity = *GetSidSubAuthority(sid, *GetSidSubAuthorityCount(sid) - 1);
    }
    if (GetTokenInformation(token, TokenElevation, &elevation, sizeof(elevation), &size))
        *elevated = !!elevation.TokenIsElevated;
    CloseHandle(token);
}
