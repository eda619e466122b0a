/*
 * Background Intelligent Transfer Service: IBitsTokenOptions, a tear-off of
 * the job object that holds the job's helper token and its usage flags.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>

#include "qmgr_private.h"
#include "sddl.h"

#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(qmgr);

struct token_options
{
    IBitsTokenOptions IBitsTokenOptions_iface;
    IUnknown *outer;
    struct job *job;
    CRITICAL_SECTION cs;
    DWORD flags;
    HANDLE token;  /* never persisted: it lives as long as the service */
};

static inline struct token_options *impl_from_IBitsTokenOptions(IBitsTokenOptions *iface)
{
    return CONTAINING_RECORD(iface, struct token_options, IBitsTokenOptions_iface);
}

static HRESULT WINAPI token_QueryInterface(IBitsTokenOptions *iface, REFIID riid, void **obj)
{
    struct token_options *options = impl_from_IBitsTokenOptions(iface);
    return IUnknown_QueryInterface(options->outer, riid, obj);
}

static ULONG WINAPI token_AddRef(IBitsTokenOptions *iface)
{
    struct token_options *options = impl_from_IBitsTokenOptions(iface);
    return IUnknown_AddRef(options->outer);
}

static ULONG WINAPI token_Release(IBitsTokenOptions *iface)
{
    struct token_options *options = impl_from_IBitsTokenOptions(iface);
    return IUnknown_Release(options->outer);
}

/* The 1607 rule in its simplest form: the owner or an administrator. */
static HRESULT check_access(struct token_options *options)
{
    WCHAR *caller;
    HRESULT hr;

    if (FAILED(hr = identity_get_caller_sid(&caller))) return hr;
    hr = job_owned_by(options->job, caller) || identity_caller_is_admin() ? S_OK : E_ACCESSDENIED;
    free(caller);
    return hr;
}

static HRESULT WINAPI token_SetHelperTokenFlags(IBitsTokenOptions *iface, DWORD flags)
{
    struct token_options *options = impl_from_IBitsTokenOptions(iface);
    HRESULT hr;

    TRACE("%p, %#lx.\n", iface, flags);

    /* Only the two documented flags exist; the docs give no code for others. */
    if (flags & ~(BG_TOKEN_LOCAL_FILE | BG_TOKEN_NETWORK)) return E_INVALIDARG;
    if (FAILED(hr = check_access(options))) return hr;
    if (job_is_final(options->job)) return BG_E_INVALID_STATE;

    EnterCriticalSection(&options->cs);
    options->flags = flags;
    LeaveCriticalSection(&options->cs);
    return S_OK;
}

static HRESULT WINAPI token_GetHelperTokenFlags(IBitsTokenOptions *iface, DWORD *flags)
{
    struct token_options *options = impl_from_IBitsTokenOptions(iface);
    HRESULT hr;

    TRACE("%p, %p.\n", iface, flags);

    if (!flags) return E_INVALIDARG;
    if (FAILED(hr = check_access(options))) return hr;
    EnterCriticalSection(&options->cs);
    *flags = options->flags;
    LeaveCriticalSection(&options->cs);
    return S_OK;
}

/* The caller's token; the service's own where COM cannot impersonate (Wine). */
static HRESULT capture_caller_token(HANDLE *token)
{
    HANDLE source = NULL;
    BOOL ok;

    if (SUCCEEDED(CoImpersonateClient()))
    {
        if (!OpenThreadToken(GetCurrentThread(), TOKEN_DUPLICATE | TOKEN_QUERY, TRUE, &source)) source = NULL;
        CoRevertToSelf();
    }
    if (!source && !OpenProcessToken(GetCurrentProcess(), TOKEN_DUPLICATE | TOKEN_QUERY, &source))
        return CO_E_FAILEDTOIMPERSONATE;
    ok = DuplicateTokenEx(source, TOKEN_ALL_ACCESS, NULL, SecurityImpersonation, TokenImpersonation, token);
    CloseHandle(source);
    return ok ? S_OK : CO_E_FAILEDTOIMPERSONATE;
}

static HRESULT WINAPI token_SetHelperToken(IBitsTokenOptions *iface)
{
    struct token_options *options = impl_from_IBitsTokenOptions(iface);
    HANDLE token, old;
    HRESULT hr;

    TRACE("%p.\n", iface);

    if (FAILED(hr = check_access(options))) return hr;
    if (job_is_final(options->job)) return BG_E_INVALID_STATE;
    if (FAILED(hr = capture_caller_token(&token))) return hr;

    EnterCriticalSection(&options->cs);
    old = options->token;
    options->token = token;
    LeaveCriticalSection(&options->cs);
    if (old) CloseHandle(old);
    return S_OK;
}

static HRESULT WINAPI token_ClearHelperToken(IBitsTokenOptions *iface)
{
    struct token_options *options = impl_from_IBitsTokenOptions(iface);
    HANDLE old;
    HRESULT hr;

    TRACE("%p.\n", iface);

    if (FAILED(hr = check_access(options))) return hr;
    EnterCriticalSection(&options->cs);
    old = options->token;
    options->token = NULL;
    LeaveCriticalSection(&options->cs);
    if (old) CloseHandle(old);
    return S_OK;
}

static HRESULT WINAPI token_GetHelperTokenSid(IBitsTokenOptions *iface, LPWSTR *sid)
{
    struct token_options *options = impl_from_IBitsTokenOptions(iface);
    union { TOKEN_USER user; BYTE buffer[SECURITY_MAX_SID_SIZE + sizeof(TOKEN_USER)]; } info;
    WCHAR *string;
    DWORD size;
    HRESULT hr;
    BOOL ok;

    TRACE("%p, %p.\n", iface, sid);

    if (!sid) return E_INVALIDARG;
    *sid = NULL;
    if (FAILED(hr = check_access(options))) return hr;

    EnterCriticalSection(&options->cs);
    ok = !options->token || GetTokenInformation(options->token, TokenUser, &info, sizeof(info), &size);
    if (options->token && ok)
    {
        if (ConvertSidToStringSidW(info.user.User.Sid, &string))
        {
            hr = return_string(string, sid);
            LocalFree(string);
        }
        else hr = HRESULT_FROM_WIN32(GetLastError());
    }
    else if (!ok) hr = HRESULT_FROM_WIN32(GetLastError());
    LeaveCriticalSection(&options->cs);
    return hr;
}

static const IBitsTokenOptionsVtbl token_vtbl =
{
    token_QueryInterface,
    token_AddRef,
    token_Release,
    token_SetHelperTokenFlags,
    token_GetHelperTokenFlags,
    token_SetHelperToken,
    token_ClearHelperToken,
    token_GetHelperTokenSid,
};

struct token_options *token_options_create(IUnknown *outer, struct job *job)
{
    struct token_options *options;

    if (!(options = calloc(1, sizeof(*options)))) return NULL;
    options->IBitsTokenOptions_iface.lpVtbl = &token_vtbl;
    options->outer = outer;
    options->job = job;
    InitializeCriticalSection(&options->cs);
    return options;
}

void token_options_destroy(struct token_options *options)
{
    if (!options) return;
    if (options->token) CloseHandle(options->token);
    DeleteCriticalSection(&options->cs);
    free(options);
}

IBitsTokenOptions *token_options_iface(struct token_options *options)
{
    return &options->IBitsTokenOptions_iface;
}
