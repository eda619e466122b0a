/*
 * Tests of BITS over TLS: client certificates (IBackgroundCopyJobHttpOptions)
 * and the server-certificate validation callback (BITS 10.3).
 *
 * They need an HTTPS server with a certificate of a test CA, which the test
 * executable cannot be itself: tests/run starts nginx for them
 * (tests/harness/tls-server) and names it in the environment:
 *   QMGR_TEST_TLS_PORT         a port on 127.0.0.1 that asks for no client certificate
 *   QMGR_TEST_TLS_CLIENT_PORT  one that requires a client certificate of the test CA
 *   QMGR_TEST_TLS_DIR          its directory: www\ (served), client.cer and its key
 *                              client.blob (a PRIVATEKEYBLOB), server.pem, access.log
 * Without them (on Windows, say) the tests skip.
 *
 * The test runs in the multithreaded apartment: the service's calls into our
 * validation callback arrive on COM's threads while the test waits.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdarg.h>
#include <stdio.h>

#define COBJMACROS
#define CONST_VTABLE
#include "windef.h"
#include "winbase.h"
#include "objbase.h"
#include "wincrypt.h"
#include "winhttp.h"
#include "winsvc.h"
#include "bits10_3.h"

#include "wine/test.h"
#include "httpd.h"
#include "transfer_util.h"
#include "service_util.h"

static unsigned int tls_port, client_port;
static WCHAR tls_dir[MAX_PATH];
static BYTE server_cert[4096];
static DWORD server_cert_size;

static void make_name(WCHAR *buf, size_t len, const WCHAR *tag)
{
    static LONG counter;

    swprintf(buf, len, L"qmgr_test tls %ls %lu-%lu-%ld", tag, GetCurrentProcessId(), GetTickCount(),
             InterlockedIncrement(&counter));
}

/* A file of the pattern in the server's directory; its URL path is "/name". */
static BOOL serve_file(const WCHAR *name, unsigned int seed, DWORD size)
{
    WCHAR path[MAX_PATH];
    DWORD written;
    HANDLE file;
    BYTE *data;
    BOOL ret;

    swprintf(path, ARRAY_SIZE(path), L"%ls\\www\\%ls", tls_dir, name);
    if (!(data = malloc(size))) return FALSE;
    httpd_pattern_fill(seed, 0, data, size);
    file = CreateFileW(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
    ret = file != INVALID_HANDLE_VALUE && WriteFile(file, data, size, &written, NULL) && written == size;
    if (file != INVALID_HANDLE_VALUE) CloseHandle(file);
    free(data);
    ok(ret, "cannot write %s: %lu.\n", wine_dbgstr_w(path), GetLastError());
    return ret;
}

static void unserve_file(const WCHAR *name)
{
    WCHAR path[MAX_PATH];

    swprintf(path, ARRAY_SIZE(path), L"%ls\\www\\%ls", tls_dir, name);
    DeleteFileW(path);
}

static void make_url(WCHAR *url, size_t len, unsigned int port, const WCHAR *name)
{
    swprintf(url, len, L"https://127.0.0.1:%u/%ls", port, name);
}

/* Whether the server's access log has a line with this request ("GET /name"). */
static BOOL server_saw(const char *request)
{
    WCHAR path[MAX_PATH];
    char *log = NULL;
    DWORD size, read;
    HANDLE file;
    BOOL ret = FALSE;

    swprintf(path, ARRAY_SIZE(path), L"%ls\\access.log", tls_dir);
    file = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING, 0, NULL);
    if (file == INVALID_HANDLE_VALUE) return FALSE;
    size = GetFileSize(file, NULL);
    if (size != INVALID_FILE_SIZE && (log = malloc(size + 1)) && ReadFile(file, log, size, &read, NULL))
    {
        log[read] = 0;
        ret = strstr(log, request) != NULL;
    }
    free(log);
    CloseHandle(file);
    return ret;
}

/* The test CA is nobody's root: every job here ignores the unknown CA. */
static void trust_test_ca(IBackgroundCopyJob *job)
{
    set_security_flags(job, BG_SSL_IGNORE_UNKNOWN_CA);
}

static IBackgroundCopyJobHttpOptions3 *http_options3(IBackgroundCopyJob *job)
{
    IBackgroundCopyJobHttpOptions3 *options = NULL;
    HRESULT hr;

    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJobHttpOptions3, (void **)&options);
    ok(hr == S_OK, "no IBackgroundCopyJobHttpOptions3: %#lx.\n", hr);
    return options;
}

/* The current user's certificate of this SHA-1 hash, in MY, for the job's TLS connections. */
static void set_client_certificate(IBackgroundCopyJob *job, BYTE *hash)
{
    IBackgroundCopyJobHttpOptions3 *options;
    HRESULT hr;

    if (!(options = http_options3(job))) return;
    hr = IBackgroundCopyJobHttpOptions3_SetClientCertificateByID(options, BG_CERT_STORE_LOCATION_CURRENT_USER, L"MY",
                                                                 hash);
    ok(hr == S_OK, "SetClientCertificateByID failed: %#lx.\n", hr);
    IBackgroundCopyJobHttpOptions3_Release(options);
}

/* Completes a job that reached TRANSFERRED and checks its file, then removes it. */
#define complete_and_check(a, b, c, d) complete_and_check_(__LINE__, a, b, c, d)
static void complete_and_check_(int line, IBackgroundCopyJob *job, const WCHAR *local, unsigned int seed, DWORD size)
{
    HRESULT hr = IBackgroundCopyJob_Complete(job);

    ok_(__FILE__, line)(hr == S_OK, "Complete failed: %#lx.\n", hr);
    ok_(__FILE__, line)(httpd_pattern_check_file(local, seed, size), "%s does not hold the expected bytes.\n",
                        wine_dbgstr_w(local));
    DeleteFileW(local);
}

/* ---- client certificates ---- */

static WCHAR key_container[64];

static void remove_key_container(void)
{
    HCRYPTPROV prov;

    if (key_container[0])
        CryptAcquireContextW(&prov, key_container, MS_ENHANCED_PROV_W, PROV_RSA_FULL, CRYPT_DELETEKEYSET);
}

/* A file of the server's directory, malloc'd. */
static BYTE *read_tls_file(const WCHAR *name, DWORD *size)
{
    WCHAR path[MAX_PATH];
    BYTE *data = NULL;
    HANDLE file;

    swprintf(path, ARRAY_SIZE(path), L"%ls\\%ls", tls_dir, name);
    file = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
    ok(file != INVALID_HANDLE_VALUE, "cannot open %s: %lu.\n", wine_dbgstr_w(path), GetLastError());
    if (file == INVALID_HANDLE_VALUE) return NULL;
    *size = GetFileSize(file, NULL);
    if (*size != INVALID_FILE_SIZE && (data = malloc(*size)) && !ReadFile(file, data, *size, size, NULL))
    {
        free(data);
        data = NULL;
    }
    CloseHandle(file);
    return data;
}

/* The test's client certificate in the user's MY store, its private key in a
 * key container of this run.  (Not through a PFX: Wine's import puts every key
 * in the user's default container, where an earlier run's key stays.) */
static const CERT_CONTEXT *import_client_certificate(BYTE hash[20])
{
    const CERT_CONTEXT *cert = NULL, *added = NULL;
    CRYPT_KEY_PROV_INFO info = { 0 };
    DWORD cert_size = 0, key_size = 0, size = 20;
    BYTE *cert_data, *key_data;
    HCRYPTPROV prov = 0;
    HCRYPTKEY key = 0;
    HCERTSTORE my;

    cert_data = read_tls_file(L"client.cer", &cert_size);
    key_data = read_tls_file(L"client.blob", &key_size);
    if (cert_data && key_data)
    {
        swprintf(key_container, ARRAY_SIZE(key_container), L"qmgr test client %lu-%lu", GetCurrentProcessId(),
                 GetTickCount());
        if (!CryptAcquireContextW(&prov, key_container, MS_ENHANCED_PROV_W, PROV_RSA_FULL, CRYPT_NEWKEYSET) ||
            !CryptImportKey(prov, key_data, key_size, 0, 0, &key))
            ok(0, "cannot import the private key: %#lx.\n", GetLastError());
        if (key) CryptDestroyKey(key);
        if (prov) CryptReleaseContext(prov, 0);
        cert = CertCreateCertificateContext(X509_ASN_ENCODING, cert_data, cert_size);
        ok(cert != NULL, "cannot read the certificate: %#lx.\n", GetLastError());
    }
    free(cert_data);
    free(key_data);
    if (!cert || !key) goto done;

    info.pwszContainerName = key_container;
    info.pwszProvName = (WCHAR *)MS_ENHANCED_PROV_W;
    info.dwProvType = PROV_RSA_FULL;
    info.dwKeySpec = AT_KEYEXCHANGE;
    my = CertOpenStore(CERT_STORE_PROV_SYSTEM_W, 0, 0, CERT_SYSTEM_STORE_CURRENT_USER, L"MY");
    ok(my != NULL, "cannot open MY: %#lx.\n", GetLastError());
    if (!my) goto done;
    if (!CertAddCertificateContextToStore(my, cert, CERT_STORE_ADD_REPLACE_EXISTING, &added) ||
        !CertSetCertificateContextProperty(added, CERT_KEY_PROV_INFO_PROP_ID, 0, &info))
        ok(0, "cannot add the certificate to MY: %#lx.\n", GetLastError());
    /* Written out now: our copy keeps the store open, and the service reads it. */
    else if (!CertControlStore(my, 0, CERT_STORE_CTRL_COMMIT, NULL))
        ok(0, "cannot commit MY: %#lx.\n", GetLastError());
    CertCloseStore(my, 0);
    if (added && !CertGetCertificateContextProperty(added, CERT_HASH_PROP_ID, hash, &size))
        ok(0, "no hash: %#lx.\n", GetLastError());
done:
    if (cert) CertFreeCertificateContext(cert);
    if (!added) remove_key_container();
    return added;
}

static void remove_client_certificate(const CERT_CONTEXT *cert)
{
    HCERTSTORE my = CertDuplicateStore(cert->hCertStore);

    ok(CertDeleteCertificateFromStore(CertDuplicateCertificateContext(cert)),
       "cannot remove the certificate from MY: %#lx.\n", GetLastError());
    ok(CertControlStore(my, 0, CERT_STORE_CTRL_COMMIT, NULL), "cannot commit MY: %#lx.\n", GetLastError());
    CertCloseStore(my, 0);
    remove_key_container();
}

/* A job of one file from url, with the test CA trusted. */
static IBackgroundCopyJob *tls_job(const WCHAR *tag, const WCHAR *url, WCHAR *local, size_t len)
{
    IBackgroundCopyJob *job;

    if (!(job = create_job(tag))) return NULL;
    swprintf(local, len, L"%ls%ls.bin", base_dir, tag);
    add_file(job, url, local);
    trust_test_ca(job);
    return job;
}

static void test_client_certificate(void)
{
    static const BYTE unknown_hash[20] = { 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
                                           0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab };
    IBackgroundCopyJobHttpOptions3 *options;
    IBitsTokenOptions *token_options;
    BG_CERT_STORE_LOCATION location;
    BG_JOB_STATE state;
    WCHAR url[200], local[MAX_PATH], *store = NULL, *subject = NULL;
    const CERT_CONTEXT *cert;
    IBackgroundCopyJob *job;
    BG_ERROR_CONTEXT context;
    BYTE hash[20], *got_hash = NULL;
    HRESULT hr, code;

    if (!(cert = import_client_certificate(hash))) return;
    if (!serve_file(L"client-cert.bin", 21, 70000)) goto done;
    make_url(url, ARRAY_SIZE(url), client_port, L"client-cert.bin");

    /* Set-time checks: the store and the certificate must be there. */
    job = tls_job(L"cert-checks", url, local, ARRAY_SIZE(local));
    options = http_options3(job);
    if (options)
    {
        hr = IBackgroundCopyJobHttpOptions3_SetClientCertificateByID(options, BG_CERT_STORE_LOCATION_CURRENT_USER,
                                                                     L"MY", (BYTE *)unknown_hash);
        ok(hr == CRYPT_E_NOT_FOUND, "an unknown hash gave %#lx.\n", hr);
        hr = IBackgroundCopyJobHttpOptions3_SetClientCertificateByID(options, BG_CERT_STORE_LOCATION_CURRENT_USER,
                                                                     L"qmgr no such store", hash);
        ok(hr == HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND), "an unknown store gave %#lx.\n", hr);
        hr = IBackgroundCopyJobHttpOptions3_SetClientCertificateByName(options, BG_CERT_STORE_LOCATION_CURRENT_USER,
                                                                       L"MY", L"qmgr no such subject");
        ok(hr == CRYPT_E_NOT_FOUND, "an unknown subject gave %#lx.\n", hr);
        hr = IBackgroundCopyJobHttpOptions3_GetClientCertificate(options, &location, &store, &got_hash, &subject);
        ok(hr == RPC_X_BAD_STUB_DATA, "GetClientCertificate after failed sets gave %#lx.\n", hr);

        hr = IBackgroundCopyJobHttpOptions3_SetClientCertificateByID(options, BG_CERT_STORE_LOCATION_CURRENT_USER,
                                                                     L"MY", hash);
        ok(hr == S_OK, "SetClientCertificateByID failed: %#lx.\n", hr);
        hr = IBackgroundCopyJobHttpOptions3_GetClientCertificate(options, &location, &store, &got_hash, &subject);
        ok(hr == S_OK, "GetClientCertificate failed: %#lx.\n", hr);
        if (hr == S_OK)
        {
            ok(location == BG_CERT_STORE_LOCATION_CURRENT_USER, "location %d.\n", location);
            ok(!wcscmp(store, L"MY"), "store %s.\n", wine_dbgstr_w(store));
            ok(!memcmp(got_hash, hash, sizeof(hash)), "another hash came back.\n");
            /* The certificate's simple subject name, though the job named it by hash. */
            ok(subject && !wcscmp(subject, L"qmgr test client"), "subject %s.\n", wine_dbgstr_w(subject));
            CoTaskMemFree(store);
            CoTaskMemFree(got_hash);
            CoTaskMemFree(subject);
        }
        IBackgroundCopyJobHttpOptions3_Release(options);
    }
    /* A server that requires a certificate takes the one set by hash. */
    if (resume(job) && wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSFERRED), 30000, TRUE) == BG_JOB_STATE_TRANSFERRED)
        complete_and_check(job, local, 21, 70000);
    finish_job(job);

    /* By name: a part of the subject finds it. */
    job = tls_job(L"cert-by-name", url, local, ARRAY_SIZE(local));
    if ((options = http_options3(job)))
    {
        hr = IBackgroundCopyJobHttpOptions3_SetClientCertificateByName(options, BG_CERT_STORE_LOCATION_CURRENT_USER,
                                                                       L"MY", L"qmgr test client");
        ok(hr == S_OK, "SetClientCertificateByName failed: %#lx.\n", hr);
        hr = IBackgroundCopyJobHttpOptions3_GetClientCertificate(options, &location, &store, &got_hash, &subject);
        ok(hr == S_OK, "GetClientCertificate failed: %#lx.\n", hr);
        if (hr == S_OK)
        {
            ok(!wcscmp(subject, L"qmgr test client"), "subject %s.\n", wine_dbgstr_w(subject));
            /* The certificate's hash, though the job named it by subject. */
            ok(got_hash && !memcmp(got_hash, hash, sizeof(hash)), "another hash came back.\n");
            CoTaskMemFree(store);
            CoTaskMemFree(got_hash);
            CoTaskMemFree(subject);
        }
        IBackgroundCopyJobHttpOptions3_Release(options);
    }
    if (resume(job) && wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSFERRED), 30000, TRUE) == BG_JOB_STATE_TRANSFERRED)
        complete_and_check(job, local, 21, 70000);
    finish_job(job);

    /* Without a certificate the server refuses the job. */
    job = tls_job(L"cert-none", url, local, ARRAY_SIZE(local));
    if (resume(job))
    {
        wait_state(job, STATE_BIT(BG_JOB_STATE_ERROR) | STATE_BIT(BG_JOB_STATE_TRANSIENT_ERROR), 30000, TRUE);
        ok(get_job_error(job, &context, &code), "no error.\n");
        /* Wine limitation: Wine's WinHTTP/schannel do not tell that the server
         * asked for a certificate, so BITS cannot see it; the request goes on
         * without one and nginx answers 400. */
        todo_wine ok(code == HRESULT_FROM_WIN32(ERROR_WINHTTP_CLIENT_AUTH_CERT_NEEDED),
                     "error %#lx, context %u.\n", code, context);
        check_no_file(local);
    }
    finish_job(job);

    /* With a network helper token the certificate's key cannot be used: the
     * key is opened as the owner, the connection as the helper, and a job
     * whose owner is not LocalSystem fails (token-options.md 3.2). */
    job = tls_job(L"cert-helper", url, local, ARRAY_SIZE(local));
    set_client_certificate(job, hash);
    if (job && SUCCEEDED(IBackgroundCopyJob_QueryInterface(job, &IID_IBitsTokenOptions, (void **)&token_options)))
    {
        hr = IBitsTokenOptions_SetHelperToken(token_options);
        ok(hr == S_OK, "SetHelperToken failed: %#lx.\n", hr);
        hr = IBitsTokenOptions_SetHelperTokenFlags(token_options, BG_TOKEN_NETWORK);
        ok(hr == S_OK, "SetHelperTokenFlags failed: %#lx.\n", hr);
        IBitsTokenOptions_Release(token_options);
        if (resume(job))
        {
            state = wait_state(job, STATE_BIT(BG_JOB_STATE_ERROR) | STATE_BIT(BG_JOB_STATE_TRANSFERRED), 30000, TRUE);
            ok(state == BG_JOB_STATE_ERROR, "state %u.\n", state);
            if (get_job_error(job, &context, &code))
                ok(code == HRESULT_FROM_WIN32(ERROR_WINHTTP_CLIENT_CERT_NO_ACCESS_PRIVATE_KEY), "error %#lx, context %u.\n",
                   code, context);
            check_no_file(local);
        }
    }
    finish_job(job);

    /* The certificate is looked up again when the job runs: gone from its store, the job fails. */
    job = tls_job(L"cert-gone", url, local, ARRAY_SIZE(local));
    set_client_certificate(job, hash);
    remove_client_certificate(cert);
    CertFreeCertificateContext(cert);
    cert = NULL;
    if (resume(job))
    {
        wait_state(job, STATE_BIT(BG_JOB_STATE_ERROR) | STATE_BIT(BG_JOB_STATE_TRANSIENT_ERROR), 30000, TRUE);
        ok(get_job_error(job, &context, &code), "no error.\n");
        ok(FAILED(code) && code != BG_E_HTTP_ERROR_400, "error %#lx, context %u.\n", code, context);
        check_no_file(local);
    }
    finish_job(job);

done:
    unserve_file(L"client-cert.bin");
    if (cert)
    {
        remove_client_certificate(cert);
        CertFreeCertificateContext(cert);
    }
}

/* ---- the server-certificate validation callback ---- */

struct validator
{
    IBackgroundCopyServerCertificateValidationCallback IBackgroundCopyServerCertificateValidationCallback_iface;
    LONG refcount;
    LONG calls;
    HRESULT answer;               /* what ValidateServerCertificate returns */
    CRITICAL_SECTION cs;
    BOOL cert_matches;            /* the last call's certificate was the server's */
    BOOL chain_has_cert;          /* its serialized store held that certificate */
    DWORD encoding;
    WCHAR file_remote[200];       /* the remote name of the last call's file */
    BOOL job_given;
};

static struct validator *impl_from_validator(IBackgroundCopyServerCertificateValidationCallback *iface)
{
    return CONTAINING_RECORD(iface, struct validator, IBackgroundCopyServerCertificateValidationCallback_iface);
}

static HRESULT WINAPI validator_QueryInterface(IBackgroundCopyServerCertificateValidationCallback *iface,
                                               REFIID riid, void **obj)
{
    if (IsEqualGUID(riid, &IID_IUnknown) ||
        IsEqualGUID(riid, &IID_IBackgroundCopyServerCertificateValidationCallback))
    {
        *obj = iface;
        IBackgroundCopyServerCertificateValidationCallback_AddRef(iface);
        return S_OK;
    }
    *obj = NULL;
    return E_NOINTERFACE;
}

static ULONG WINAPI validator_AddRef(IBackgroundCopyServerCertificateValidationCallback *iface)
{
    return InterlockedIncrement(&impl_from_validator(iface)->refcount);
}

static ULONG WINAPI validator_Release(IBackgroundCopyServerCertificateValidationCallback *iface)
{
    return InterlockedDecrement(&impl_from_validator(iface)->refcount);
}

/* Whether a serialized store (CertSaveStore's CERT_STORE_SAVE_AS_STORE)
 * holds the certificate.  Read by hand: Wine's crypt32 opens such a store
 * from memory as an empty one. */
#define SERIALIZED_CERTIFICATE 32  /* the element that is the certificate itself (CERT_CERT_PROP_ID) */
static BOOL serialized_store_holds(const BYTE *data, DWORD size, const BYTE *cert, DWORD cert_size)
{
    DWORD pos = 8, id, length;

    if (!data || size < 8 || memcmp(data + 4, "CERT", 4)) return FALSE;
    while (size - pos >= 12)
    {
        memcpy(&id, data + pos, sizeof(id));          /* then the encoding type, then the length */
        memcpy(&length, data + pos + 8, sizeof(length));
        pos += 12;
        if (length > size - pos) return FALSE;
        if (id == SERIALIZED_CERTIFICATE && length == cert_size && !memcmp(data + pos, cert, cert_size)) return TRUE;
        pos += length;
    }
    return FALSE;
}

static HRESULT WINAPI validator_ValidateServerCertificate(IBackgroundCopyServerCertificateValidationCallback *iface,
        IBackgroundCopyJob *job, IBackgroundCopyFile *file, DWORD cert_size, const BYTE cert_data[],
        DWORD encoding, DWORD store_size, const BYTE store_data[])
{
    struct validator *validator = impl_from_validator(iface);
    WCHAR *remote = NULL;

    EnterCriticalSection(&validator->cs);
    validator->cert_matches = cert_size == server_cert_size && !memcmp(cert_data, server_cert, cert_size);
    validator->encoding = encoding;
    validator->chain_has_cert = FALSE;
    validator->chain_has_cert = serialized_store_holds(store_data, store_size, cert_data, cert_size);
    validator->job_given = job != NULL;
    validator->file_remote[0] = 0;
    if (file && SUCCEEDED(IBackgroundCopyFile_GetRemoteName(file, &remote)))
    {
        lstrcpynW(validator->file_remote, remote, ARRAY_SIZE(validator->file_remote));
        CoTaskMemFree(remote);
    }
    LeaveCriticalSection(&validator->cs);
    InterlockedIncrement(&validator->calls);
    return validator->answer;
}

static const IBackgroundCopyServerCertificateValidationCallbackVtbl validator_vtbl =
{
    validator_QueryInterface,
    validator_AddRef,
    validator_Release,
    validator_ValidateServerCertificate,
};

static void validator_init(struct validator *validator, HRESULT answer)
{
    memset(validator, 0, sizeof(*validator));
    validator->IBackgroundCopyServerCertificateValidationCallback_iface.lpVtbl = &validator_vtbl;
    validator->refcount = 1;
    validator->answer = answer;
    InitializeCriticalSection(&validator->cs);
}

static HRESULT set_validator(IBackgroundCopyJob *job, struct validator *validator)
{
    IBackgroundCopyJobHttpOptions3 *options;
    HRESULT hr;

    if (!(options = http_options3(job))) return E_NOINTERFACE;
    hr = IBackgroundCopyJobHttpOptions3_SetServerCertificateValidationInterface(options,
            validator ? (IUnknown *)&validator->IBackgroundCopyServerCertificateValidationCallback_iface : NULL);
    IBackgroundCopyJobHttpOptions3_Release(options);
    return hr;
}

/* The server's certificate, from its PEM file, to compare with what the callback gets. */
static BOOL load_server_certificate(void)
{
    WCHAR path[MAX_PATH];
    char pem[8192];
    DWORD read = 0;
    HANDLE file;

    swprintf(path, ARRAY_SIZE(path), L"%ls\\server.pem", tls_dir);
    file = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
    if (file == INVALID_HANDLE_VALUE) return FALSE;
    ReadFile(file, pem, sizeof(pem) - 1, &read, NULL);
    CloseHandle(file);
    server_cert_size = sizeof(server_cert);
    return CryptStringToBinaryA(pem, read, CRYPT_STRING_BASE64HEADER, server_cert, &server_cert_size, NULL, NULL);
}

static void test_validation_callback(void)
{
    struct validator accept, refuse;
    WCHAR url[200], url2[200], local[MAX_PATH], local2[MAX_PATH], refused_name[64];
    char refused_request[100];
    IBackgroundCopyJob *job;
    BG_ERROR_CONTEXT context;
    BG_JOB_PROGRESS progress;
    HRESULT hr, code;
    unsigned int i;

    ok(load_server_certificate(), "cannot read the server's certificate.\n");
    /* Named for this run: the server's log outlives it. */
    swprintf(refused_name, ARRAY_SIZE(refused_name), L"refused-%lu-%lu.bin", GetCurrentProcessId(), GetTickCount());
    sprintf(refused_request, "GET /%ls", refused_name);
    validator_init(&accept, S_OK);
    validator_init(&refuse, E_ACCESSDENIED);
    if (!serve_file(L"valid-a.bin", 31, 20000) || !serve_file(L"valid-b.bin", 32, 30000) ||
        !serve_file(refused_name, 33, 40000))
        goto done;

    /* Accepted: asked once for the server, with its certificate and chain,
     * about the first file; the second file of that server is not asked about. */
    make_url(url, ARRAY_SIZE(url), tls_port, L"valid-a.bin");
    make_url(url2, ARRAY_SIZE(url2), tls_port, L"valid-b.bin");
    job = tls_job(L"valid", url, local, ARRAY_SIZE(local));
    swprintf(local2, ARRAY_SIZE(local2), L"%lsvalid-b.bin", base_dir);
    add_file(job, url2, local2);
    hr = set_validator(job, &accept);
    ok(hr == S_OK, "SetServerCertificateValidationInterface failed: %#lx.\n", hr);
    if (resume(job) && wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSFERRED), 30000, TRUE) == BG_JOB_STATE_TRANSFERRED)
    {
        ok(accept.calls == 1, "the callback was called %ld times.\n", accept.calls);
        ok(accept.cert_matches, "the callback did not get the server's certificate.\n");
        ok(accept.chain_has_cert, "the serialized chain does not hold the server's certificate.\n");
        ok(accept.encoding == (X509_ASN_ENCODING | PKCS_7_ASN_ENCODING) || accept.encoding == X509_ASN_ENCODING,
           "encoding %#lx.\n", accept.encoding);
        ok(accept.job_given, "no job was given.\n");
        ok(!wcscmp(accept.file_remote, url), "the file given was %s.\n", wine_dbgstr_w(accept.file_remote));
        hr = IBackgroundCopyJob_Complete(job);
        ok(hr == S_OK, "Complete failed: %#lx.\n", hr);
        check_pattern_file(local, 31, 20000);
        check_pattern_file(local2, 32, 30000);
        DeleteFileW(local);
        DeleteFileW(local2);
    }
    finish_job(job);

    /* Refused: a transient error in the callback's context with its answer,
     * and nothing of the job's request reaches the server. */
    make_url(url, ARRAY_SIZE(url), tls_port, refused_name);
    job = tls_job(L"refused", url, local, ARRAY_SIZE(local));
    hr = set_validator(job, &refuse);
    ok(hr == S_OK, "SetServerCertificateValidationInterface failed: %#lx.\n", hr);
    if (resume(job) && wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSIENT_ERROR), 30000, TRUE) == BG_JOB_STATE_TRANSIENT_ERROR)
    {
        ok(get_job_error(job, &context, &code), "no error.\n");
        ok(context == BG_ERROR_CONTEXT_SERVER_CERTIFICATE_CALLBACK, "context %u.\n", context);
        ok(code == E_ACCESSDENIED, "code %#lx.\n", code);
        ok(refuse.calls == 1, "the callback was called %ld times.\n", refuse.calls);
        hr = IBackgroundCopyJob_GetProgress(job, &progress);
        ok(hr == S_OK && !progress.BytesTransferred, "%s bytes came.\n", wine_dbgstr_longlong(progress.BytesTransferred));
        ok(!server_saw(refused_request), "the server got the job's request.\n");
        check_no_file(local);

        /* Not while the job is active; a paused job takes another callback. */
        hr = set_validator(job, &accept);
        ok(hr == BG_E_READ_ONLY_WHEN_JOB_ACTIVE, "setting it in TRANSIENT_ERROR gave %#lx.\n", hr);
        hr = IBackgroundCopyJob_Suspend(job);
        ok(hr == S_OK, "Suspend failed: %#lx.\n", hr);
        hr = set_validator(job, &accept);
        ok(hr == S_OK, "setting it while suspended gave %#lx.\n", hr);
        accept.calls = 0;
        if (resume(job) && wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSFERRED), 30000, TRUE) == BG_JOB_STATE_TRANSFERRED)
        {
            /* A refused certificate was not remembered: asked again, now accepted. */
            ok(accept.calls == 1, "the new callback was called %ld times.\n", accept.calls);
            ok(refuse.calls == 1, "the old callback was called %ld times.\n", refuse.calls);
            complete_and_check(job, local, 33, 40000);
        }
    }
    finish_job(job);

    /* Setting it again forgets the certificates accepted: the next file asks again. */
    make_url(url, ARRAY_SIZE(url), tls_port, L"valid-a.bin");
    make_url(url2, ARRAY_SIZE(url2), tls_port, L"missing.bin");
    job = tls_job(L"reset", url, local, ARRAY_SIZE(local));
    swprintf(local2, ARRAY_SIZE(local2), L"%lsreset-b.bin", base_dir);
    add_file(job, url2, local2);
    accept.calls = 0;
    hr = set_validator(job, &accept);
    ok(hr == S_OK, "SetServerCertificateValidationInterface failed: %#lx.\n", hr);
    if (resume(job) && wait_state(job, STATE_BIT(BG_JOB_STATE_ERROR), 30000, TRUE) == BG_JOB_STATE_ERROR)
    {
        IBackgroundCopyFile2 *file2 = NULL;
        IBackgroundCopyFile *file;

        ok(get_job_error(job, &context, &code) && code == BG_E_HTTP_ERROR_404, "error %#lx.\n", code);
        ok(accept.calls == 1, "the callback was called %ld times.\n", accept.calls);
        hr = set_validator(job, &accept);
        ok(hr == S_OK, "setting it in ERROR gave %#lx.\n", hr);
        make_url(url2, ARRAY_SIZE(url2), tls_port, L"valid-b.bin");
        if ((file = get_file(job, 1)))
        {
            hr = IBackgroundCopyFile_QueryInterface(file, &IID_IBackgroundCopyFile2, (void **)&file2);
            ok(hr == S_OK, "no IBackgroundCopyFile2: %#lx.\n", hr);
            if (file2)
            {
                hr = IBackgroundCopyFile2_SetRemoteName(file2, url2);
                ok(hr == S_OK, "SetRemoteName failed: %#lx.\n", hr);
                IBackgroundCopyFile2_Release(file2);
            }
            IBackgroundCopyFile_Release(file);
        }
        if (resume(job) && wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSFERRED), 30000, TRUE) == BG_JOB_STATE_TRANSFERRED)
        {
            ok(accept.calls == 2, "the callback was called %ld times in all.\n", accept.calls);
            ok(!wcscmp(accept.file_remote, url2), "the file given was %s.\n", wine_dbgstr_w(accept.file_remote));
            hr = IBackgroundCopyJob_Complete(job);
            ok(hr == S_OK, "Complete failed: %#lx.\n", hr);
            DeleteFileW(local);
            DeleteFileW(local2);
        }
    }
    finish_job(job);

    /* Without a callback nothing is asked. */
    make_url(url, ARRAY_SIZE(url), tls_port, L"valid-a.bin");
    job = tls_job(L"removed", url, local, ARRAY_SIZE(local));
    accept.calls = 0;
    ok(set_validator(job, &accept) == S_OK, "setting the callback failed.\n");
    ok(set_validator(job, NULL) == S_OK, "removing the callback failed.\n");
    if (resume(job) && wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSFERRED), 30000, TRUE) == BG_JOB_STATE_TRANSFERRED)
    {
        ok(!accept.calls, "a removed callback was called %ld times.\n", accept.calls);
        hr = IBackgroundCopyJob_Complete(job);
        ok(hr == S_OK, "Complete failed: %#lx.\n", hr);
        DeleteFileW(local);
    }
    finish_job(job);

    /* The last job may go a moment after its last release. */
    for (i = 0; i < 40 && accept.refcount != 1; i++) Sleep(50);
    ok(accept.refcount == 1, "the service still holds %ld references.\n", accept.refcount - 1);
    ok(refuse.refcount == 1, "the service still holds %ld references.\n", refuse.refcount - 1);
done:
    unserve_file(L"valid-a.bin");
    unserve_file(L"valid-b.bin");
    unserve_file(refused_name);
    DeleteCriticalSection(&accept.cs);
    DeleteCriticalSection(&refuse.cs);
}

/* The callback is not kept across a restart of the service, but that the job
 * needs one is: it waits with BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED
 * until it is given one again, rather than going on unchecked. */
static void test_callback_after_restart(void)
{
    static struct validator accept;  /* COM may still reach it after this returns */
    IBackgroundCopyJob *job;
    BG_ERROR_CONTEXT context;
    WCHAR url[200], local[MAX_PATH];
    HRESULT hr, code;

    validator_init(&accept, S_OK);
    if (!serve_file(L"restart.bin", 41, 12345)) return;
    make_url(url, ARRAY_SIZE(url), tls_port, L"restart.bin");
    if (!(job = tls_job(L"restart", url, local, ARRAY_SIZE(local)))) goto done;
    hr = set_validator(job, &accept);
    ok(hr == S_OK, "SetServerCertificateValidationInterface failed: %#lx.\n", hr);
    if (!(job = restart_with_job(job))) goto done;
    if (resume(job) && wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSIENT_ERROR), 30000, TRUE) == BG_JOB_STATE_TRANSIENT_ERROR)
    {
        ok(get_job_error(job, &context, &code), "no error.\n");
        ok(code == BG_E_SERVER_CERT_VALIDATION_INTERFACE_REQUIRED, "code %#lx.\n", code);
        ok(context == BG_ERROR_CONTEXT_SERVER_CERTIFICATE_CALLBACK, "context %u.\n", context);
        check_no_file(local);
        hr = IBackgroundCopyJob_Suspend(job);
        ok(hr == S_OK, "Suspend failed: %#lx.\n", hr);
        hr = set_validator(job, &accept);
        ok(hr == S_OK, "SetServerCertificateValidationInterface failed: %#lx.\n", hr);
        if (resume(job) && wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSFERRED), 30000, TRUE) == BG_JOB_STATE_TRANSFERRED)
        {
            ok(accept.calls == 1, "the callback was called %ld times.\n", accept.calls);
            complete_and_check(job, local, 41, 12345);
        }
    }
done:
    finish_job(job);
    unserve_file(L"restart.bin");
    /* The first service's reference to accept may stay with COM until it
     * notices that process is gone: accept is not freed. */
}

/* A server whose certificate the system does not accept (here, of a CA it
 * does not trust) gets no request, and asking again would meet the same
 * certificate: the job is in ERROR at once, not retrying in TRANSIENT_ERROR.
 * Windows' WinHTTP reports every such failure as SECURE_FAILURE (with a
 * SECURE_FAILURE notification saying why), newer Wine names the reason (here
 * INVALID_CA). */
static void test_untrusted_certificate(void)
{
    WCHAR url[200], local[MAX_PATH];
    BG_ERROR_CONTEXT context;
    IBackgroundCopyJob *job;
    BG_JOB_STATE state;
    HRESULT code;

    if (!serve_file(L"untrusted.bin", 23, 5000)) return;
    make_url(url, ARRAY_SIZE(url), tls_port, L"untrusted.bin");
    if ((job = create_job(L"untrusted")))
    {
        swprintf(local, ARRAY_SIZE(local), L"%lsuntrusted.bin", base_dir);
        if (add_file(job, url, local) && resume(job))
        {
            state = wait_state(job, STATE_BIT(BG_JOB_STATE_ERROR) | STATE_BIT(BG_JOB_STATE_TRANSIENT_ERROR), 30000,
                               TRUE);
            /* Wine 8's WinHTTP reports a certificate it refused as SECURE_CHANNEL_ERROR,
             * the code of a handshake that broke off, without the SECURE_FAILURE
             * notification: BITS cannot tell it from a passing trouble, and retries. */
            todo_wine ok(state == BG_JOB_STATE_ERROR, "got state %d.\n", state);
            if (get_job_error(job, &context, &code))
            {
                todo_wine ok(code == HRESULT_FROM_WIN32(ERROR_WINHTTP_SECURE_FAILURE) ||
                             code == HRESULT_FROM_WIN32(ERROR_WINHTTP_SECURE_INVALID_CA), "got code %#lx.\n", code);
                ok(context == BG_ERROR_CONTEXT_REMOTE_FILE, "got context %d.\n", context);
            }
            ok(!server_saw("GET /untrusted.bin"), "the request reached the server.\n");
        }
        finish_job(job);
    }
    unserve_file(L"untrusted.bin");
}

/* A redirect from HTTPS to plain HTTP is followed only with
 * BG_HTTP_REDIRECT_POLICY_ALLOW_HTTPS_TO_HTTP (spec 7.2); without it the job
 * fails for good and the HTTP server is never asked. */
static void test_redirect_to_http(void)
{
    static const char path[] = "/tls/plain.bin";
    static const ULONGLONG size = 20001;
    static const unsigned int seed = 29;
    static const struct { ULONG flags; const WCHAR *tag; } cases[] =
    {
        { BG_HTTP_REDIRECT_POLICY_ALLOW_SILENT, L"to-http" },
        { BG_HTTP_REDIRECT_POLICY_ALLOW_SILENT | BG_HTTP_REDIRECT_POLICY_ALLOW_HTTPS_TO_HTTP, L"to-http-allowed" },
    };
    WCHAR url[512], local[MAX_PATH], target[256];
    BG_ERROR_CONTEXT context;
    IBackgroundCopyJob *job;
    struct httpd *plain;
    unsigned int i;
    HRESULT code;

    if (!(plain = httpd_start()))
    {
        ok(0, "cannot start the HTTP server.\n");
        return;
    }
    ok(httpd_add_pattern_resource(plain, path, size, seed, NULL), "cannot add resource.\n");
    httpd_url(plain, path, target, ARRAY_SIZE(target));
    swprintf(url, ARRAY_SIZE(url), L"https://127.0.0.1:%u/to?url=%ls", tls_port, target);
    for (i = 0; i < ARRAY_SIZE(cases); i++)
    {
        winetest_push_context("%s", wine_dbgstr_w(cases[i].tag));
        httpd_log_clear(plain);
        if ((job = tls_job(cases[i].tag, url, local, ARRAY_SIZE(local))) &&
            set_security_flags(job, BG_SSL_IGNORE_UNKNOWN_CA | cases[i].flags) && resume(job))
        {
            if (cases[i].flags & BG_HTTP_REDIRECT_POLICY_ALLOW_HTTPS_TO_HTTP)
            {
                if (wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSFERRED), 30000, FALSE) == BG_JOB_STATE_TRANSFERRED)
                    complete_and_check(job, local, seed, size);
            }
            else if (wait_state(job, STATE_BIT(BG_JOB_STATE_ERROR), 30000, FALSE) == BG_JOB_STATE_ERROR &&
                     get_job_error(job, &context, &code))
            {
                /* WinHTTP's code for a redirect it may not follow. */
                ok(code == HRESULT_FROM_WIN32(ERROR_WINHTTP_REDIRECT_FAILED), "got code %#lx.\n", code);
                ok(context == BG_ERROR_CONTEXT_REMOTE_FILE, "got context %d.\n", context);
                ok(httpd_log_find(plain, NULL, path, 0, NULL) < 0, "the HTTP server was asked.\n");
            }
        }
        finish_job(job);
        winetest_pop_context();
    }
    httpd_stop(plain);
}

/* How many lines of the access log have this request ("GET /name"); line
 * gets the last of them. */
static unsigned int server_last_line(const char *request, char *line, size_t size)
{
    unsigned int count = 0;
    WCHAR path[MAX_PATH];
    char *log = NULL, *found = NULL, *p, *end;
    DWORD log_size, read;
    HANDLE file;

    swprintf(path, ARRAY_SIZE(path), L"%ls\\access.log", tls_dir);
    file = CreateFileW(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING, 0, NULL);
    if (file == INVALID_HANDLE_VALUE) return FALSE;
    log_size = GetFileSize(file, NULL);
    if (log_size != INVALID_FILE_SIZE && (log = malloc(log_size + 1)) && ReadFile(file, log, log_size, &read, NULL))
    {
        log[read] = 0;
        for (p = log; (p = strstr(p, request)); p++)
        {
            found = p;
            count++;
        }
    }
    CloseHandle(file);
    if (found)
    {
        if (!(end = strchr(found, '\n'))) end = found + strlen(found);
        snprintf(line, size, "%.*s", (int)(end - found), found);
    }
    else *line = 0;
    free(log);
    return count;
}

/* Turning CRL checking on after part of an HTTPS file came makes BITS start
 * that file again (the SetSecurityFlags page): its server's certificate is
 * checked before any of its bytes count.  The test CA publishes no
 * revocation list, so the check may fail; either way the bytes that came
 * before do not stay. */
enum crl_change
{
    CRL_WHILE_SUSPENDED,
    CRL_WHILE_RUNNING,
    CRL_ACROSS_RESTART,  /* while suspended, then the service restarts: the mark is stored */
};

static void test_crl_check_restarts_file(enum crl_change when)
{
    BOOL suspend_first = when != CRL_WHILE_RUNNING;
    static const DWORD size = 600000;  /* 6 s at the server's 100 KB/s */
    IBackgroundCopyJobHttpOptions *options;
    WCHAR url[200], local[MAX_PATH], dir[MAX_PATH];
    BG_JOB_PROGRESS progress;
    IBackgroundCopyJob *job;
    BG_JOB_STATE state;
    WCHAR name[32], path[32];
    char line[300], request[64];
    unsigned int count;
    DWORD start;
    HRESULT hr;

    swprintf(dir, ARRAY_SIZE(dir), L"%ls\\www\\slow", tls_dir);
    CreateDirectoryW(dir, NULL);
    swprintf(name, ARRAY_SIZE(name), L"slow\\crl-%d.bin", when);
    swprintf(path, ARRAY_SIZE(path), L"slow/crl-%d.bin", when);
    sprintf(request, "GET /slow/crl-%d.bin", when);
    if (!serve_file(name, 31, size)) return;
    make_url(url, ARRAY_SIZE(url), tls_port, path);
    if (!(job = tls_job(L"crl", url, local, ARRAY_SIZE(local)))) goto done;
    hr = IBackgroundCopyJob_SetPriority(job, BG_JOB_PRIORITY_FOREGROUND);
    ok(hr == S_OK, "SetPriority failed: %#lx.\n", hr);
    if (!resume(job)) goto done;
    start = GetTickCount();
    memset(&progress, 0, sizeof(progress));
    while (GetTickCount() - start < 15000 && SUCCEEDED(IBackgroundCopyJob_GetProgress(job, &progress)) &&
           progress.BytesTransferred < 100000)
        Sleep(50);
    if (suspend_first)
    {
        hr = IBackgroundCopyJob_Suspend(job);
        ok(hr == S_OK, "Suspend failed: %#lx.\n", hr);
    }
    IBackgroundCopyJob_GetProgress(job, &progress);
    ok(progress.BytesTransferred >= 100000 && progress.BytesTransferred < size,
       "%I64u bytes when the flags changed.\n", progress.BytesTransferred);
    if (progress.BytesTransferred < 100000 || progress.BytesTransferred >= size) goto done;

    hr = IBackgroundCopyJob_QueryInterface(job, &IID_IBackgroundCopyJobHttpOptions, (void **)&options);
    ok(hr == S_OK, "no IBackgroundCopyJobHttpOptions: %#lx.\n", hr);
    if (FAILED(hr)) goto done;
    hr = IBackgroundCopyJobHttpOptions_SetSecurityFlags(options, BG_SSL_IGNORE_UNKNOWN_CA | BG_SSL_ENABLE_CRL_CHECK);
    ok(hr == S_OK, "SetSecurityFlags failed: %#lx.\n", hr);
    IBackgroundCopyJobHttpOptions_Release(options);

    if (when == CRL_ACROSS_RESTART)
    {
        if (!(job = restart_with_job(job))) goto done;
    }
    if (suspend_first && !resume(job)) goto done;
    state = wait_state(job, STATE_BIT(BG_JOB_STATE_TRANSFERRED) | STATE_BIT(BG_JOB_STATE_ERROR) |
                       STATE_BIT(BG_JOB_STATE_TRANSIENT_ERROR), 60000, TRUE);
    trace("with CRL checking the job reached state %d.\n", state);
    if (state == BG_JOB_STATE_TRANSFERRED)
    {
        /* The file came again from its first byte, in a request of its own. */
        count = server_last_line(request, line, sizeof(line));
        ok(count >= 2 && strstr(line, "range=-"), "%u requests, the last %s.\n", count, line);
        check_job_progress(job, size, size, 1, 1);
    }
    else
    {
        IBackgroundCopyJob_GetProgress(job, &progress);
        ok(!progress.BytesTransferred, "%I64u bytes kept after the certificate check failed.\n",
           progress.BytesTransferred);
    }
done:
    finish_job(job);
    unserve_file(name);
}

START_TEST(tls)
{
    WCHAR temp[MAX_PATH];
    char value[MAX_PATH];
    DWORD start = GetTickCount();
    HRESULT hr;

    if (!GetEnvironmentVariableA("QMGR_TEST_TLS_PORT", value, sizeof(value)) ||
        !(tls_port = atoi(value)) ||
        !GetEnvironmentVariableA("QMGR_TEST_TLS_CLIENT_PORT", value, sizeof(value)) ||
        !(client_port = atoi(value)) ||
        !GetEnvironmentVariableW(L"QMGR_TEST_TLS_DIR", tls_dir, ARRAY_SIZE(tls_dir)))
    {
        skip("no HTTPS test server (QMGR_TEST_TLS_PORT, QMGR_TEST_TLS_CLIENT_PORT, QMGR_TEST_TLS_DIR).\n");
        return;
    }

    CoInitializeEx(NULL, COINIT_MULTITHREADED);
    hr = CoCreateInstance(&CLSID_BackgroundCopyManager, NULL, CLSCTX_LOCAL_SERVER,
                          &IID_IBackgroundCopyManager, (void **)&manager);
    if (FAILED(hr))
    {
        win_skip("cannot create the BITS manager: %#lx.\n", hr);
        CoUninitialize();
        return;
    }
    GetTempPathW(ARRAY_SIZE(temp), temp);
    swprintf(base_dir, ARRAY_SIZE(base_dir), L"%lsqmgr_tls_%lu_%lu\\", temp, GetCurrentProcessId(), GetTickCount());
    ok(CreateDirectoryW(base_dir, NULL), "cannot create %s: %lu.\n", wine_dbgstr_w(base_dir), GetLastError());

    test_client_certificate();
    test_untrusted_certificate();
    test_validation_callback();
    test_redirect_to_http();
    test_crl_check_restarts_file(CRL_WHILE_SUSPENDED);
    test_crl_check_restarts_file(CRL_WHILE_RUNNING);
    test_crl_check_restarts_file(CRL_ACROSS_RESTART);
    test_callback_after_restart();  /* last: it restarts the service */

    remove_tree(base_dir, 0);
    ok(!file_exists(base_dir), "cannot remove %s.\n", wine_dbgstr_w(base_dir));
    trace("tls tests took %lu ms.\n", GetTickCount() - start);
    if (manager) IBackgroundCopyManager_Release(manager);
    CoUninitialize();
}
