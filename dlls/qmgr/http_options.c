/*
 * Background Intelligent Transfer Service: IBackgroundCopyJobHttpOptions
 * .. IBackgroundCopyJobHttpOptions3, a tear-off of the job object holding the
 * job's HTTP settings.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>

#include "qmgr_private.h"
#include "store.h"
#include "transfer.h"

#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(qmgr);

#define CERT_HASH_SIZE 20

/* A server certificate the validation callback accepted (behavior.md 11.4). */
struct accepted_certificate
{
    WCHAR *server;                  /* "host:port" */
    BYTE hash[CERT_HASH_SIZE];
};

struct http_options
{
    IBackgroundCopyJobHttpOptions3 IBackgroundCopyJobHttpOptions3_iface;
    IUnknown *outer;
    struct job *job;
    CRITICAL_SECTION cs;

    BOOL has_certificate;
    BG_CERT_STORE_LOCATION store_location;
    WCHAR *store_name;
    BYTE cert_hash[CERT_HASH_SIZE];
    BOOL has_cert_hash;
    WCHAR *subject_name;

    WCHAR *custom_headers;
    BOOL headers_write_only;
    ULONG security_flags;
    WCHAR *method;  /* NULL: the job type's default */
    IUnknown *cert_callback;        /* IBackgroundCopyServerCertificateValidationCallback */
    BOOL cert_callback_required;    /* one was set: it stays needed after a restart */
    struct accepted_certificate *accepted;
    ULONG accepted_count;
};

static inline struct http_options *impl_from_IBackgroundCopyJobHttpOptions3(IBackgroundCopyJobHttpOptions3 *iface)
{
    return CONTAINING_RECORD(iface, struct http_options, IBackgroundCopyJobHttpOptions3_iface);
}

static HRESULT WINAPI http_options_QueryInterface(IBackgroundCopyJobHttpOptions3 *iface, REFIID riid, void **obj)
{
    struct http_options *options = impl_from_IBackgroundCopyJobHttpOptions3(iface);
    return IUnknown_QueryInterface(options->outer, riid, obj);
}

static ULONG WINAPI http_options_AddRef(IBackgroundCopyJobHttpOptions3 *iface)
{
    struct http_options *options = impl_from_IBackgroundCopyJobHttpOptions3(iface);
    return IUnknown_AddRef(options->outer);
}

static ULONG WINAPI http_options_Release(IBackgroundCopyJobHttpOptions3 *iface)
{
    struct http_options *options = impl_from_IBackgroundCopyJobHttpOptions3(iface);
    return IUnknown_Release(options->outer);
}

/* BG_CERT_STORE_LOCATION, in its order, as crypt32 names system store locations. */
static const DWORD store_locations[] =
{
    CERT_SYSTEM_STORE_CURRENT_USER,
    CERT_SYSTEM_STORE_LOCAL_MACHINE,
    CERT_SYSTEM_STORE_CURRENT_SERVICE,
    CERT_SYSTEM_STORE_SERVICES,
    CERT_SYSTEM_STORE_USERS,
    CERT_SYSTEM_STORE_CURRENT_USER_GROUP_POLICY,
    CERT_SYSTEM_STORE_LOCAL_MACHINE_GROUP_POLICY,
    CERT_SYSTEM_STORE_LOCAL_MACHINE_ENTERPRISE,
};

/* No usage named means any use; else client authentication must be among them. */
static BOOL allows_client_auth(const CERT_CONTEXT *cert)
{
    CERT_ENHKEY_USAGE *usage;
    DWORD size = 0, i;
    BOOL ret = FALSE;

    if (!CertGetEnhancedKeyUsage(cert, 0, NULL, &size) || !(usage = malloc(size))) return FALSE;
    if (CertGetEnhancedKeyUsage(cert, 0, usage, &size))
    {
        if (!usage->cUsageIdentifier) ret = GetLastError() == CRYPT_E_NOT_FOUND;
        for (i = 0; i < usage->cUsageIdentifier && !ret; i++)
            ret = !strcmp(usage->rgpszUsageIdentifier[i], szOID_PKIX_KP_CLIENT_AUTH);
    }
    free(usage);
    return ret;
}

/* The client certificate a job names: by SHA-1 hash, or the first client
 * certificate whose subject contains the name (interfaces.md 5.1). */
static HRESULT find_client_certificate(BG_CERT_STORE_LOCATION location, const WCHAR *store_name,
                                       const BYTE *hash, const WCHAR *subject, const CERT_CONTEXT **found)
{
    static const WCHAR *const standard[] = { L"MY", L"CA", L"ROOT", L"SPC", L"TRUST", L"Disallowed" };
    CRYPT_HASH_BLOB blob = { CERT_HASH_SIZE, (BYTE *)hash };
    const CERT_CONTEXT *cert = NULL;
    HCERTSTORE store;
    unsigned int i;

    *found = NULL;
    /* Set refuses such a location with E_NOTIMPL, as documented; only a damaged record has one. */
    if (location >= ARRAY_SIZE(store_locations)) return E_NOTIMPL;
    if (!(store = CertOpenStore(CERT_STORE_PROV_SYSTEM_W, 0, 0, store_locations[location] |
                                CERT_STORE_OPEN_EXISTING_FLAG | CERT_STORE_READONLY_FLAG, store_name)))
    {
        TRACE("cannot open the store %s: %lu.\n", debugstr_w(store_name), GetLastError());
        /* A standard store that was never written to is only empty. */
        for (i = 0; i < ARRAY_SIZE(standard); i++)
            if (!wcsicmp(store_name, standard[i])) return CRYPT_E_NOT_FOUND;
        return HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND);
    }
    if (hash)
        cert = CertFindCertificateInStore(store, X509_ASN_ENCODING | PKCS_7_ASN_ENCODING, 0, CERT_FIND_SHA1_HASH,
                                          &blob, NULL);
    else
        while ((cert = CertFindCertificateInStore(store, X509_ASN_ENCODING | PKCS_7_ASN_ENCODING, 0,
                                                  CERT_FIND_SUBJECT_STR_W, subject, cert)) &&
               !allows_client_auth(cert));
    CertCloseStore(store, 0);
    if (!cert) return CRYPT_E_NOT_FOUND;
    *found = cert;
    return S_OK;
}

static void forget_accepted(struct http_options *options)
{
    ULONG i;

    for (i = 0; i < options->accepted_count; i++) free(options->accepted[i].server);
    free(options->accepted);
    options->accepted = NULL;
    options->accepted_count = 0;
}

static void clear_certificate(struct http_options *options)
{
    free(options->store_name);
    free(options->subject_name);
    options->store_name = options->subject_name = NULL;
    options->has_certificate = options->has_cert_hash = FALSE;
}

static HRESULT set_certificate(struct http_options *options, BG_CERT_STORE_LOCATION location,
                               const WCHAR *store_name, const BYTE *hash, const WCHAR *subject)
{
    WCHAR *store = NULL, *subject_copy = NULL;
    const CERT_CONTEXT *cert;
    HRESULT hr = S_OK;

    if (location < BG_CERT_STORE_LOCATION_CURRENT_USER || location > BG_CERT_STORE_LOCATION_LOCAL_MACHINE_ENTERPRISE)
        return E_NOTIMPL;
    if (!store_name) return HRESULT_FROM_WIN32(RPC_X_NULL_REF_POINTER);
    if (wcslen(store_name) + 1 > MAX_CERT_STORE_NAME) return BG_E_STRING_TOO_LONG;
    if (subject && wcslen(subject) + 1 > MAX_CERT_STORE_NAME) return BG_E_STRING_TOO_LONG;
    /* A final job is read-only whatever the certificate: say so before searching the store. */
    if (job_is_final(options->job)) return BG_E_INVALID_STATE;
    if (FAILED(hr = find_client_certificate(location, store_name, hash, subject, &cert))) return hr;
    CertFreeCertificateContext(cert);
    if (!(store = strdupW(store_name)) || (subject && !(subject_copy = strdupW(subject))))
    {
        free(store);
        return E_OUTOFMEMORY;
    }

    if (job_is_final(options->job)) hr = BG_E_INVALID_STATE;
    EnterCriticalSection(&options->cs);
    if (SUCCEEDED(hr))
    {
        clear_certificate(options);
        options->has_certificate = TRUE;
        options->store_location = location;
        options->store_name = store;
        options->subject_name = subject_copy;
        if ((options->has_cert_hash = !!hash)) memcpy(options->cert_hash, hash, CERT_HASH_SIZE);
        store = subject_copy = NULL;
    }
    LeaveCriticalSection(&options->cs);
    if (SUCCEEDED(hr)) job_save_later(options->job);
    free(store);
    free(subject_copy);
    return hr;
}

static HRESULT WINAPI http_options_SetClientCertificateByID(IBackgroundCopyJobHttpOptions3 *iface,
        BG_CERT_STORE_LOCATION location, LPCWSTR store_name, BYTE *hash)
{
    struct http_options *options = impl_from_IBackgroundCopyJobHttpOptions3(iface);

    TRACE("%p, %d, %s, %p.\n", iface, location, debugstr_w(store_name), hash);

    if (!job_caller_is_owner(options->job)) return E_ACCESSDENIED;

    if (!hash) return HRESULT_FROM_WIN32(RPC_X_NULL_REF_POINTER);
    return set_certificate(options, location, store_name, hash, NULL);
}

static HRESULT WINAPI http_options_SetClientCertificateByName(IBackgroundCopyJobHttpOptions3 *iface,
        BG_CERT_STORE_LOCATION location, LPCWSTR store_name, LPCWSTR subject)
{
    struct http_options *options = impl_from_IBackgroundCopyJobHttpOptions3(iface);

    TRACE("%p, %d, %s, %s.\n", iface, location, debugstr_w(store_name), debugstr_w(subject));

    if (!job_caller_is_owner(options->job)) return E_ACCESSDENIED;

    if (!subject) return HRESULT_FROM_WIN32(RPC_X_NULL_REF_POINTER);
    if (!*subject) return E_INVALIDARG;
    return set_certificate(options, location, store_name, NULL, subject);
}

static HRESULT WINAPI http_options_RemoveClientCertificate(IBackgroundCopyJobHttpOptions3 *iface)
{
    struct http_options *options = impl_from_IBackgroundCopyJobHttpOptions3(iface);
    HRESULT hr;

    TRACE("%p.\n", iface);

    if (!job_caller_may_access(options->job)) return E_ACCESSDENIED;

    if (job_is_final(options->job)) return BG_E_INVALID_STATE;
    EnterCriticalSection(&options->cs);
    hr = options->has_certificate ? S_OK : S_FALSE;
    clear_certificate(options);
    LeaveCriticalSection(&options->cs);
    job_save_later(options->job);
    return hr;
}

static HRESULT WINAPI http_options_GetClientCertificate(IBackgroundCopyJobHttpOptions3 *iface,
        BG_CERT_STORE_LOCATION *location, LPWSTR *store_name, BYTE **hash, LPWSTR *subject)
{
    struct http_options *options = impl_from_IBackgroundCopyJobHttpOptions3(iface);
    WCHAR *store = NULL, *search = NULL, name[256] = L"";
    const CERT_CONTEXT *cert = NULL;
    BYTE cert_hash[CERT_HASH_SIZE] = {0};
    BG_CERT_STORE_LOCATION where = 0;
    DWORD size = sizeof(cert_hash);
    BOOL has_hash = FALSE;
    HRESULT hr = S_OK;

    TRACE("%p, %p, %p, %p, %p.\n", iface, location, store_name, hash, subject);

    if (!job_caller_may_access(options->job)) return E_ACCESSDENIED;

    if (!location || !store_name || !hash || !subject) return HRESULT_FROM_WIN32(RPC_X_NULL_REF_POINTER);
    *store_name = *subject = NULL;
    *hash = NULL;

    EnterCriticalSection(&options->cs);
    /* The documented answer when no certificate is set. */
    if (!options->has_certificate) hr = RPC_X_BAD_STUB_DATA;
    else
    {
        where = options->store_location;
        if ((has_hash = options->has_cert_hash)) memcpy(cert_hash, options->cert_hash, CERT_HASH_SIZE);
        if (!(store = strdupW(options->store_name)) || (options->subject_name && !(search = strdupW(options->subject_name))))
            hr = E_OUTOFMEMORY;
    }
    LeaveCriticalSection(&options->cs);

    /* The certificate's own hash and simple subject name, whichever way it
     * was named (the GetClientCertificate page); if it left the store, what
     * the job was given. */
    if (hr == S_OK && SUCCEEDED(find_client_certificate(where, store, has_hash ? cert_hash : NULL, search, &cert)))
    {
        if (CertGetCertificateContextProperty(cert, CERT_HASH_PROP_ID, cert_hash, &size) && size == CERT_HASH_SIZE)
            has_hash = TRUE;
        CertGetNameStringW(cert, CERT_NAME_SIMPLE_DISPLAY_TYPE, 0, NULL, name, ARRAY_SIZE(name));
        CertFreeCertificateContext(cert);
    }
    if (hr == S_OK)
    {
        *location = where;
        if (SUCCEEDED(hr = return_string(store, store_name)) &&
            SUCCEEDED(hr = return_string(name[0] || !search ? name : search, subject)))
        {
            if (!(*hash = CoTaskMemAlloc(CERT_HASH_SIZE))) hr = E_OUTOFMEMORY;
            else memcpy(*hash, cert_hash, CERT_HASH_SIZE);
        }
    }
    if (FAILED(hr))
    {
        CoTaskMemFree(*store_name);
        CoTaskMemFree(*subject);
        *store_name = *subject = NULL;
    }
    free(store);
    free(search);
    return hr;
}

static HRESULT WINAPI http_options_SetCustomHeaders(IBackgroundCopyJobHttpOptions3 *iface, LPCWSTR headers)
{
    struct http_options *options = impl_from_IBackgroundCopyJobHttpOptions3(iface);
    WCHAR *copy = NULL;

    TRACE("%p, %s.\n", iface, debugstr_w(headers));

    if (!job_caller_is_owner(options->job)) return E_ACCESSDENIED;

    if (headers && wcslen(headers) + 1 > MAX_CUSTOM_HEADERS_LEN) return BG_E_STRING_TOO_LONG;
    if (headers && !(copy = strdupW(headers))) return E_OUTOFMEMORY;
    if (job_is_final(options->job))
    {
        free(copy);
        return BG_E_INVALID_STATE;
    }
    EnterCriticalSection(&options->cs);
    free(options->custom_headers);
    options->custom_headers = copy;
    LeaveCriticalSection(&options->cs);
    job_save_later(options->job);
    return S_OK;
}

static HRESULT WINAPI http_options_GetCustomHeaders(IBackgroundCopyJobHttpOptions3 *iface, LPWSTR *headers)
{
    struct http_options *options = impl_from_IBackgroundCopyJobHttpOptions3(iface);
    HRESULT hr;

    TRACE("%p, %p.\n", iface, headers);

    /* The owner's alone, as is setting them: they may carry secrets (behavior.md 11.5). */
    if (!job_caller_is_owner(options->job)) return E_ACCESSDENIED;

    if (!headers) return HRESULT_FROM_WIN32(RPC_X_NULL_REF_POINTER);
    *headers = NULL;
    EnterCriticalSection(&options->cs);
    /* Write-only headers read as if unreadable; the exact code is not documented. */
    if (options->headers_write_only) hr = E_ACCESSDENIED;
    else if (!options->custom_headers) hr = S_FALSE;
    else hr = return_string(options->custom_headers, headers);
    LeaveCriticalSection(&options->cs);
    return hr;
}

#define ALL_SECURITY_FLAGS (BG_SSL_ENABLE_CRL_CHECK | BG_SSL_IGNORE_CERT_CN_INVALID | BG_SSL_IGNORE_CERT_DATE_INVALID | \
                            BG_SSL_IGNORE_UNKNOWN_CA | BG_SSL_IGNORE_CERT_WRONG_USAGE | \
                            BG_HTTP_REDIRECT_POLICY_MASK | BG_HTTP_REDIRECT_POLICY_ALLOW_HTTPS_TO_HTTP)

static HRESULT WINAPI http_options_SetSecurityFlags(IBackgroundCopyJobHttpOptions3 *iface, ULONG flags)
{
    struct http_options *options = impl_from_IBackgroundCopyJobHttpOptions3(iface);
    ULONG redirect = flags & BG_HTTP_REDIRECT_POLICY_MASK;
    BOOL crl_turned_on;

    TRACE("%p, %#lx.\n", iface, flags);

    if (!job_caller_may_access(options->job)) return E_ACCESSDENIED;

    if (flags & ~ALL_SECURITY_FLAGS) return E_NOTIMPL;
    if (redirect != BG_HTTP_REDIRECT_POLICY_ALLOW_SILENT && redirect != BG_HTTP_REDIRECT_POLICY_ALLOW_REPORT &&
        redirect != BG_HTTP_REDIRECT_POLICY_DISALLOW)
        return E_NOTIMPL;
    /* The page lists no BG_E_INVALID_STATE, but a cancelled or acknowledged job
     * is read-only (bitsmsg.h) as for every other setter of these options. */
    if (job_is_final(options->job)) return BG_E_INVALID_STATE;
    EnterCriticalSection(&options->cs);
    crl_turned_on = (flags & BG_SSL_ENABLE_CRL_CHECK) && !(options->security_flags & BG_SSL_ENABLE_CRL_CHECK);
    options->security_flags = flags;
    LeaveCriticalSection(&options->cs);
    job_save_later(options->job);
    if (crl_turned_on) job_crl_check_enabled(options->job);
    return S_OK;
}

static HRESULT WINAPI http_options_GetSecurityFlags(IBackgroundCopyJobHttpOptions3 *iface, ULONG *flags)
{
    struct http_options *options = impl_from_IBackgroundCopyJobHttpOptions3(iface);

    TRACE("%p, %p.\n", iface, flags);

    if (!job_caller_may_access(options->job)) return E_ACCESSDENIED;

    if (!flags) return HRESULT_FROM_WIN32(RPC_X_NULL_REF_POINTER);
    EnterCriticalSection(&options->cs);
    *flags = options->security_flags;
    LeaveCriticalSection(&options->cs);
    return S_OK;
}

static const WCHAR *default_method(struct http_options *options)
{
    return job_type(options->job) == BG_JOB_TYPE_DOWNLOAD ? L"GET" : L"BITS_POST";
}

static HRESULT WINAPI http_options_SetHttpMethod(IBackgroundCopyJobHttpOptions3 *iface, LPCWSTR method)
{
    struct http_options *options = impl_from_IBackgroundCopyJobHttpOptions3(iface);
    WCHAR *copy = NULL;
    HRESULT hr;

    TRACE("%p, %s.\n", iface, debugstr_w(method));

    if (!job_caller_may_access(options->job)) return E_ACCESSDENIED;

    if (!method || !*method) return E_INVALIDARG;
    if (job_is_final(options->job)) return BG_E_INVALID_STATE;
    /* Passing the default verb changes nothing. */
    if (!wcscmp(method, default_method(options))) return S_OK;
    if (!(copy = strdupW(method))) return E_OUTOFMEMORY;
    if (FAILED(hr = job_set_http_method(options->job, copy)))
    {
        free(copy);
        return hr;
    }
    job_save_later(options->job);
    return S_OK;
}

/* Under the job's lock (job_set_http_method). */
void http_options_take_method(struct http_options *options, WCHAR *method)
{
    EnterCriticalSection(&options->cs);
    free(options->method);
    options->method = method;
    LeaveCriticalSection(&options->cs);
}

static HRESULT WINAPI http_options_GetHttpMethod(IBackgroundCopyJobHttpOptions3 *iface, LPWSTR *method)
{
    struct http_options *options = impl_from_IBackgroundCopyJobHttpOptions3(iface);
    HRESULT hr;

    TRACE("%p, %p.\n", iface, method);

    if (!job_caller_may_access(options->job)) return E_ACCESSDENIED;

    if (!method) return E_INVALIDARG;
    EnterCriticalSection(&options->cs);
    hr = return_string(options->method ? options->method : default_method(options), method);
    LeaveCriticalSection(&options->cs);
    return hr;
}

static HRESULT WINAPI http_options_SetServerCertificateValidationInterface(IBackgroundCopyJobHttpOptions3 *iface,
        IUnknown *callback)
{
    struct http_options *options = impl_from_IBackgroundCopyJobHttpOptions3(iface);
    IUnknown *validator = NULL, *old;
    BG_JOB_STATE state;
    HRESULT hr;

    TRACE("%p, %p.\n", iface, callback);

    if (!job_caller_may_access(options->job)) return E_ACCESSDENIED;

    if (FAILED(hr = IBackgroundCopyJob_GetState(job_iface(options->job), &state))) return hr;
    if (job_is_final(options->job)) return BG_E_INVALID_STATE;
    /* Only while the job is paused: a running transfer keeps the one it started with. */
    if (state != BG_JOB_STATE_SUSPENDED && state != BG_JOB_STATE_ERROR && state != BG_JOB_STATE_TRANSFERRED)
        return BG_E_READ_ONLY_WHEN_JOB_ACTIVE;
    if (callback && FAILED(hr = IUnknown_QueryInterface(callback,
            &IID_IBackgroundCopyServerCertificateValidationCallback, (void **)&validator)))
        return E_NOINTERFACE;
    EnterCriticalSection(&options->cs);
    old = options->cert_callback;
    options->cert_callback = validator;
    options->cert_callback_required = !!validator;
    forget_accepted(options);
    LeaveCriticalSection(&options->cs);
    /* Releasing may call out of the process: never under the lock. */
    if (old) IUnknown_Release(old);
    job_save_later(options->job);
    return S_OK;
}

/* Whether the app accepts a server certificate that passed the system's checks
 * (BITS 10.3, behavior.md 11.4): S_OK, or why not.  An accepted certificate of
 * a server is not asked about again until the callback is set anew; a
 * rejected one is asked about every time.  Without a certificate, only
 * whether the server has an accepted one (S_OK) or not (S_FALSE). */
HRESULT http_options_check_server_certificate(struct http_options *options, struct file *file,
                                              const WCHAR *host, INTERNET_PORT port, const CERT_CONTEXT *cert)
{
    IBackgroundCopyServerCertificateValidationCallback *callback = NULL;
    struct accepted_certificate *grown;
    BYTE hash[CERT_HASH_SIZE];
    DWORD size = sizeof(hash);
    CERT_BLOB chain = { 0 };
    WCHAR server[256 + 8];  /* "host:port" */
    HRESULT hr = S_FALSE;
    ULONG i;

    swprintf(server, ARRAY_SIZE(server), L"%ls:%u", host, port);
    if (cert && !CertGetCertificateContextProperty(cert, CERT_SHA1_HASH_PROP_ID, hash, &size))
        return HRESULT_FROM_WIN32(GetLastError());
    EnterCriticalSection(&options->cs);
    for (i = 0; i < options->accepted_count && hr != S_OK; i++)
        if (!wcsicmp(options->accepted[i].server, server) && (!cert || !memcmp(options->accepted[i].hash, hash, size)))
            hr = S_OK;
    if (hr != S_OK && cert && (callback = (IBackgroundCopyServerCertificateValidationCallback *)options->cert_callback))
        IBackgroundCopyServerCertificateValidationCallback_AddRef(callback);
    LeaveCriticalSection(&options->cs);
    if (hr == S_OK || !cert) return hr;
    if (!callback) return BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED;

    /* The chain as a serialized store, as the callback's documentation says. */
    if (CertSaveStore(cert->hCertStore, cert->dwCertEncodingType, CERT_STORE_SAVE_AS_STORE,
                      CERT_STORE_SAVE_TO_MEMORY, &chain, 0) && (chain.pbData = malloc(chain.cbData)) &&
        !CertSaveStore(cert->hCertStore, cert->dwCertEncodingType, CERT_STORE_SAVE_AS_STORE,
                       CERT_STORE_SAVE_TO_MEMORY, &chain, 0))
        chain.cbData = 0;
    hr = IBackgroundCopyServerCertificateValidationCallback_ValidateServerCertificate(callback,
            job_iface(options->job), file ? file_iface(file) : NULL, cert->cbCertEncoded, cert->pbCertEncoded,
            cert->dwCertEncodingType, chain.pbData ? chain.cbData : 0, chain.pbData);
    TRACE("%s: the callback says %#lx.\n", debugstr_w(server), hr);
    free(chain.pbData);
    IBackgroundCopyServerCertificateValidationCallback_Release(callback);
    if (notify_is_disconnected(hr)) return BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED;
    if (hr != S_OK) return FAILED(hr) ? hr : E_FAIL;

    EnterCriticalSection(&options->cs);
    if ((grown = realloc(options->accepted, (options->accepted_count + 1) * sizeof(*grown))))
    {
        options->accepted = grown;
        if ((grown[options->accepted_count].server = strdupW(server)))
            memcpy(grown[options->accepted_count++].hash, hash, CERT_HASH_SIZE);
    }
    LeaveCriticalSection(&options->cs);
    return S_OK;
}

static HRESULT WINAPI http_options_MakeCustomHeadersWriteOnly(IBackgroundCopyJobHttpOptions3 *iface)
{
    struct http_options *options = impl_from_IBackgroundCopyJobHttpOptions3(iface);

    TRACE("%p.\n", iface);

    if (!job_caller_may_access(options->job)) return E_ACCESSDENIED;

    EnterCriticalSection(&options->cs);
    options->headers_write_only = TRUE;
    LeaveCriticalSection(&options->cs);
    job_save_later(options->job);
    return S_OK;
}

static const IBackgroundCopyJobHttpOptions3Vtbl http_options_vtbl =
{
    http_options_QueryInterface,
    http_options_AddRef,
    http_options_Release,
    http_options_SetClientCertificateByID,
    http_options_SetClientCertificateByName,
    http_options_RemoveClientCertificate,
    http_options_GetClientCertificate,
    http_options_SetCustomHeaders,
    http_options_GetCustomHeaders,
    http_options_SetSecurityFlags,
    http_options_GetSecurityFlags,
    http_options_SetHttpMethod,
    http_options_GetHttpMethod,
    http_options_SetServerCertificateValidationInterface,
    http_options_MakeCustomHeadersWriteOnly,
};

struct http_options *http_options_create(IUnknown *outer, struct job *job)
{
    struct http_options *options;

    if (!(options = calloc(1, sizeof(*options)))) return NULL;
    options->IBackgroundCopyJobHttpOptions3_iface.lpVtbl = &http_options_vtbl;
    options->outer = outer;
    options->job = job;
    InitializeCriticalSection(&options->cs);
    return options;
}

void http_options_destroy(struct http_options *options)
{
    if (!options) return;
    clear_certificate(options);
    free(options->custom_headers);
    free(options->method);
    if (options->cert_callback) IUnknown_Release(options->cert_callback);
    forget_accepted(options);
    DeleteCriticalSection(&options->cs);
    free(options);
}

/* The HTTP settings a transfer needs, as private copies; the client
 * certificate is looked up now, as it may have left its store since. */
void http_options_snapshot(struct http_options *options, struct transfer_options *transfer)
{
    WCHAR *store_name = NULL, *subject = NULL;
    BG_CERT_STORE_LOCATION location = 0;
    BYTE hash[CERT_HASH_SIZE];
    BOOL has_certificate, has_hash = FALSE;

    EnterCriticalSection(&options->cs);
    transfer->custom_headers = strdupW(options->custom_headers);
    transfer->method = strdupW(options->method);
    transfer->security_flags = options->security_flags;
    transfer->validate_server_certificate = options->cert_callback_required;
    if ((has_certificate = options->has_certificate))
    {
        location = options->store_location;
        store_name = strdupW(options->store_name);
        subject = strdupW(options->subject_name);
        if ((has_hash = options->has_cert_hash)) memcpy(hash, options->cert_hash, CERT_HASH_SIZE);
    }
    LeaveCriticalSection(&options->cs);

    /* The store is read outside the lock: its registry reads need not hold up the job's callers. */
    if (has_certificate)
        transfer->client_certificate_error = store_name && (has_hash || subject) ?
                find_client_certificate(location, store_name, has_hash ? hash : NULL, subject,
                                        &transfer->client_certificate) : E_OUTOFMEMORY;
    free(store_name);
    free(subject);
}

void http_options_clear_owner_data(struct http_options *options)
{
    EnterCriticalSection(&options->cs);
    clear_certificate(options);
    free(options->custom_headers);
    options->custom_headers = NULL;
    LeaveCriticalSection(&options->cs);
    /* The record may have been written between the new owner and this. */
    job_save_later(options->job);
}

/* ---- persistence (store.h has the record format) ---- */

enum http_options_tag
{
    TAG_CERT_STORE_LOCATION = 200,  /* present when a client certificate is set */
    TAG_CERT_STORE_NAME,
    TAG_CERT_HASH,
    TAG_CERT_SUBJECT,
    TAG_CUSTOM_HEADERS,
    TAG_HEADERS_WRITE_ONLY,
    TAG_SECURITY_FLAGS,
    TAG_METHOD,
    TAG_CERT_CALLBACK_REQUIRED,     /* the callback is not kept, but that the job needs one is */
};

void http_options_save(struct http_options *options, struct store_writer *writer)
{
    EnterCriticalSection(&options->cs);
    if (options->has_certificate)
    {
        store_put_u32(writer, TAG_CERT_STORE_LOCATION, options->store_location);
        store_put_string(writer, TAG_CERT_STORE_NAME, options->store_name);
        if (options->has_cert_hash) store_put_blob(writer, TAG_CERT_HASH, options->cert_hash, CERT_HASH_SIZE);
        store_put_string(writer, TAG_CERT_SUBJECT, options->subject_name);
    }
    /* Custom headers may carry credentials: encrypted at rest (behavior.md 10). */
    store_put_secret(writer, TAG_CUSTOM_HEADERS, options->custom_headers);
    store_put_u32(writer, TAG_HEADERS_WRITE_ONLY, options->headers_write_only);
    store_put_u32(writer, TAG_SECURITY_FLAGS, options->security_flags);
    store_put_string(writer, TAG_METHOD, options->method);
    if (options->cert_callback_required) store_put_u32(writer, TAG_CERT_CALLBACK_REQUIRED, 1);
    LeaveCriticalSection(&options->cs);
}

/* Fields of other objects pass by; a malformed one of ours is left at its default. */
void http_options_load_field(struct http_options *options, const struct store_field *field)
{
    DWORD value;

    switch (field->tag)
    {
    case TAG_CERT_STORE_LOCATION:
        if (store_get_u32(field, &value))
        {
            options->has_certificate = TRUE;
            options->store_location = value;
        }
        break;
    case TAG_CERT_STORE_NAME: store_get_string(field, &options->store_name); break;
    case TAG_CERT_HASH:
        if (field->size == CERT_HASH_SIZE)
        {
            memcpy(options->cert_hash, field->data, CERT_HASH_SIZE);
            options->has_cert_hash = TRUE;
        }
        break;
    case TAG_CERT_SUBJECT: store_get_string(field, &options->subject_name); break;
    case TAG_CUSTOM_HEADERS: store_get_secret(field, &options->custom_headers); break;
    case TAG_HEADERS_WRITE_ONLY: if (store_get_u32(field, &value)) options->headers_write_only = !!value; break;
    case TAG_SECURITY_FLAGS: if (store_get_u32(field, &value)) options->security_flags = value; break;
    case TAG_METHOD: store_get_string(field, &options->method); break;
    case TAG_CERT_CALLBACK_REQUIRED:
        if (store_get_u32(field, &value)) options->cert_callback_required = !!value;
        break;
    }
}

IBackgroundCopyJobHttpOptions3 *http_options_iface(struct http_options *options)
{
    return &options->IBackgroundCopyJobHttpOptions3_iface;
}
