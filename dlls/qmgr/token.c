/*
 * Background Intelligent Transfer Service: IBitsTokenOptions, a tear-off of
 * the job object that holds the job's helper token and its usage flags.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>

#include "qmgr_private.h"
#include "store.h"
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

/* Windows 10 1607: the job's owner or an administrator.  With use_process,
 * the caller is the client's process rather than the token its thread
 * impersonates: SetHelperToken is called while impersonating the helper
 * identity, and Windows judges the caller by the token it had when it asked
 * for this interface, before it impersonated. */
static HRESULT check_access(struct token_options *options, BOOL use_process, BOOL *admin)
{
    struct caller caller;
    const WCHAR *sid;
    HRESULT hr;

    if (FAILED(hr = identity_get_caller(&caller))) return hr;
    sid = use_process ? caller.process_sid : caller.sid;
    *admin = use_process ? caller.process_admin : caller.admin;
    hr = *admin || job_owned_by(options->job, sid) ? S_OK : E_ACCESSDENIED;
    /* The UAC rule of the job's other methods (token-options.md 6.3). */
    if (hr == S_OK && !use_process && !job_elevation_allows(options->job, &caller)) hr = E_ACCESSDENIED;
    identity_free_caller(&caller);
    return hr;
}

static HRESULT WINAPI token_SetHelperTokenFlags(IBitsTokenOptions *iface, DWORD flags)
{
    struct token_options *options = impl_from_IBitsTokenOptions(iface);
    BOOL admin;
    HRESULT hr;

    TRACE("%p, %#lx.\n", iface, flags);

    /* Only the two documented flags exist; the docs give no code for others. */
    if (flags & ~(BG_TOKEN_LOCAL_FILE | BG_TOKEN_NETWORK)) return E_INVALIDARG;
    if (FAILED(hr = check_access(options, FALSE, &admin))) return hr;
    if (job_is_final(options->job)) return BG_E_INVALID_STATE;

    EnterCriticalSection(&options->cs);
    /* A non-administrator may not redirect an administrator's helper token. */
    if (!admin && options->token && identity_token_is_admin(options->token)) hr = E_ACCESSDENIED;
    else options->flags = flags;
    LeaveCriticalSection(&options->cs);
    if (SUCCEEDED(hr)) job_save_later(options->job);
    return hr;
}

static HRESULT WINAPI token_GetHelperTokenFlags(IBitsTokenOptions *iface, DWORD *flags)
{
    struct token_options *options = impl_from_IBitsTokenOptions(iface);
    BOOL admin;
    HRESULT hr;

    TRACE("%p, %p.\n", iface, flags);

    if (!flags) return E_INVALIDARG;
    if (FAILED(hr = check_access(options, FALSE, &admin))) return hr;
    EnterCriticalSection(&options->cs);
    *flags = options->flags;
    LeaveCriticalSection(&options->cs);
    return S_OK;
}

static HRESULT WINAPI token_SetHelperToken(IBitsTokenOptions *iface)
{
    struct token_options *options = impl_from_IBitsTokenOptions(iface);
    HANDLE token, old;
    BOOL admin;
    HRESULT hr;

    TRACE("%p.\n", iface);

    if (FAILED(hr = check_access(options, TRUE, &admin))) return hr;
    if (job_is_final(options->job)) return BG_E_INVALID_STATE;
    if (FAILED(hr = identity_duplicate_caller_token(&token))) return hr;
    /* 1607: a helper token with Administrators enabled needs an administrator caller. */
    if (!admin && identity_token_is_admin(token))
    {
        CloseHandle(token);
        return E_ACCESSDENIED;
    }

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
    BOOL admin;
    HRESULT hr;

    TRACE("%p.\n", iface);

    if (FAILED(hr = check_access(options, FALSE, &admin))) return hr;
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
    WCHAR *string;
    BOOL admin;
    HRESULT hr;

    TRACE("%p, %p.\n", iface, sid);

    if (!sid) return E_INVALIDARG;
    *sid = NULL;
    if (FAILED(hr = check_access(options, FALSE, &admin))) return hr;

    EnterCriticalSection(&options->cs);
    /* No token: S_OK and NULL, as documented. */
    if (options->token && SUCCEEDED(hr = identity_token_sid(options->token, &string)))
    {
        hr = return_string(string, sid);
        free(string);
    }
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

/* The usage flags, and in *token a handle of the helper token for the caller
 * to close, or NULL when there is none. */
DWORD token_options_get_helper(struct token_options *options, HANDLE *token)
{
    DWORD flags;

    *token = NULL;
    EnterCriticalSection(&options->cs);
    flags = options->flags;
    if (options->token && !DuplicateHandle(GetCurrentProcess(), options->token, GetCurrentProcess(), token, 0, FALSE,
                                           DUPLICATE_SAME_ACCESS))
        *token = NULL;
    LeaveCriticalSection(&options->cs);
    return flags;
}

IBitsTokenOptions *token_options_iface(struct token_options *options)
{
    return &options->IBitsTokenOptions_iface;
}

/* ---- persistence: the flags are kept, the token never (behavior.md 10) ---- */

#define TAG_HELPER_TOKEN_FLAGS 300

void token_options_save(struct token_options *options, struct store_writer *writer)
{
    EnterCriticalSection(&options->cs);
    store_put_u32(writer, TAG_HELPER_TOKEN_FLAGS, options->flags);
    LeaveCriticalSection(&options->cs);
}

void token_options_load_field(struct token_options *options, const struct store_field *field)
{
    DWORD value;

    if (field->tag == TAG_HELPER_TOKEN_FLAGS && store_get_u32(field, &value))
        options->flags = value & (BG_TOKEN_LOCAL_FILE | BG_TOKEN_NETWORK);
}
