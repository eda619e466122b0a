/*
 * bitsadmin: the helper-token switches (IBitsTokenOptions, BITS 4.0)
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

/* Not in every SDK's winbase.h (Wine 8's lacks them). */
#ifndef LOGON32_LOGON_INTERACTIVE
#define LOGON32_LOGON_INTERACTIVE 2
#endif
#ifndef LOGON32_PROVIDER_DEFAULT
#define LOGON32_PROVIDER_DEFAULT 0
#endif

static IBitsTokenOptions *token_options(const WCHAR *name)
{
    IBackgroundCopyJob *job;
    IBitsTokenOptions *options;

    if (!(job = find_job(name))) return NULL;
    options = job_interface(job, &IID_IBitsTokenOptions, L"get the job's token options");
    IBackgroundCopyJob_Release(job);
    /* SetHelperToken takes the caller's identity as COM carries it: with
     * dynamic cloaking that is the thread's token while it impersonates. */
    if (options)
        CoSetProxyBlanket((IUnknown *)options, RPC_C_AUTHN_DEFAULT, RPC_C_AUTHZ_DEFAULT, COLE_DEFAULT_PRINCIPAL,
                          RPC_C_AUTHN_LEVEL_DEFAULT, RPC_C_IMP_LEVEL_IMPERSONATE, NULL, EOAC_DYNAMIC_CLOAKING);
    return options;
}

/* /sethelpertoken job [user@domain password]: the helper token is this
 * process's token, or a logon of the named local account. */
static int cmd_sethelpertoken(const struct command *command, int argc, WCHAR **argv)
{
    IBitsTokenOptions *options;
    HANDLE token = NULL;
    WCHAR *user = NULL, *domain = NULL, *at;
    TOKEN_TYPE type;
    DWORD size;
    HRESULT hr;

    if (argc != 1 && argc != 3) return report_usage(command->syntax);
    if (argc == 3)
    {
        if (!(user = _wcsdup(argv[1]))) return report_failure(L"log on", E_OUTOFMEMORY);
        if ((at = wcschr(user, '@')))
        {
            *at = 0;
            domain = at + 1;
        }
        if (!LogonUserW(user, domain && *domain ? domain : L".", argv[2], LOGON32_LOGON_INTERACTIVE,
                        LOGON32_PROVIDER_DEFAULT, &token))
        {
            free(user);
            return report_failure(L"log on", HRESULT_FROM_WIN32(GetLastError()));
        }
        free(user);
        /* Wine's LogonUser claims success with a handle that is no token: it
         * cannot log on another account, and the job must not get a bogus token. */
        if (!GetTokenInformation(token, TokenType, &type, sizeof(type), &size))
        {
            if (token && token != INVALID_HANDLE_VALUE) CloseHandle(token);
            return report_failure(L"log on", HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED));
        }
    }
    if (!(options = token_options(argv[0])))
    {
        if (token) CloseHandle(token);
        return EXIT_FAILED;
    }
    /* SetHelperToken takes the caller's token: the thread's while it impersonates. */
    if (token && !ImpersonateLoggedOnUser(token)) hr = HRESULT_FROM_WIN32(GetLastError());
    else
    {
        hr = IBitsTokenOptions_SetHelperToken(options);
        if (token) RevertToSelf();
    }
    if (token) CloseHandle(token);
    IBitsTokenOptions_Release(options);
    if (FAILED(hr)) return report_failure(L"set helper token", hr);
    out(L"Helper token set.\n");
    return EXIT_OK;
}

static int cmd_sethelpertokenflags(const struct command *command, int argc, WCHAR **argv)
{
    IBitsTokenOptions *options;
    ULONG flags;
    HRESULT hr;

    if (argc != 2 || !parse_ulong(argv[1], &flags)) return report_usage(command->syntax);
    if (!(options = token_options(argv[0]))) return EXIT_FAILED;
    hr = IBitsTokenOptions_SetHelperTokenFlags(options, flags);
    IBitsTokenOptions_Release(options);
    if (FAILED(hr)) return report_failure(L"set helper token flags", hr);
    out(L"Helper token flags set to 0x%04lx.\n", flags);
    return EXIT_OK;
}

static int cmd_gethelpertokenflags(const struct command *command, int argc, WCHAR **argv)
{
    IBitsTokenOptions *options;
    DWORD flags = 0;
    HRESULT hr;

    if (argc != 1) return report_usage(command->syntax);
    if (!(options = token_options(argv[0]))) return EXIT_FAILED;
    hr = IBitsTokenOptions_GetHelperTokenFlags(options, &flags);
    IBitsTokenOptions_Release(options);
    if (FAILED(hr)) return report_failure(L"get helper token flags", hr);
    out(L"0x%04lx", flags);
    out_end();
    return EXIT_OK;
}

static int cmd_gethelpertokensid(const struct command *command, int argc, WCHAR **argv)
{
    IBitsTokenOptions *options;
    WCHAR *sid = NULL;
    HRESULT hr;

    if (argc != 1) return report_usage(command->syntax);
    if (!(options = token_options(argv[0]))) return EXIT_FAILED;
    hr = IBitsTokenOptions_GetHelperTokenSid(options, &sid);
    IBitsTokenOptions_Release(options);
    if (FAILED(hr)) return report_failure(L"get helper token SID", hr);
    /* BITS gives no SID (S_OK and NULL) when the job has no helper token. */
    out(L"%s", sid ? sid : L"NULL");
    out_end();
    CoTaskMemFree(sid);
    return EXIT_OK;
}

const struct command token_commands[] =
{
    { L"sethelpertoken", cmd_sethelpertoken, TRUE, L"/SETHELPERTOKEN job [user_name@domain password]" },
    { L"sethelpertokenflags", cmd_sethelpertokenflags, TRUE,
      L"/SETHELPERTOKENFLAGS job flags   flags: 0x0001 local files, 0x0002 network" },
    { L"gethelpertokenflags", cmd_gethelpertokenflags, TRUE, L"/GETHELPERTOKENFLAGS job" },
    { L"gethelpertokensid", cmd_gethelpertokensid, TRUE, L"/GETHELPERTOKENSID job" },
    { NULL }
};
