/*
 * Background Intelligent Transfer Service: the transfer layer.
 *
 * Moves the bytes of one remote file into an open local file.  It knows
 * nothing of COM or of jobs: callers pass a handle, an offset to resume from
 * and a progress callback, and get back an HRESULT with the BITS error
 * context it belongs to.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __QMGR_TRANSFER_H
#define __QMGR_TRANSFER_H

#include "winhttp.h"

/* Called as data arrives: the bytes now in the local file and the remote size
 * (BG_SIZE_UNKNOWN if not known).  Returning FALSE stops the transfer. */
typedef BOOL (*transfer_progress_callback)(void *context, UINT64 transferred, UINT64 total);
/* Asked while a transfer waits for the network: FALSE stops it. */
typedef BOOL (*transfer_continue_callback)(void *context);

struct transfer_credentials
{
    BG_AUTH_TARGET target;
    BG_AUTH_SCHEME scheme;
    WCHAR *user_name;               /* NULL with the password: the logged-on user's (NTLM, Negotiate) */
    WCHAR *password;
    BOOL implied;                   /* not the job's SetCredentials but a policy's or property's: its target only */
};

#define MAX_TRANSFER_CREDENTIALS 10  /* two targets by five schemes */

/* A job's settings as a transfer sees them, copied when the job starts to run. */
struct transfer_options
{
    WCHAR *custom_headers;          /* extra request headers, CR/LF separated, or NULL */
    WCHAR *method;                  /* a custom HTTP verb (BITS 10.2), or NULL for GET */
    BOOL dynamic_content;           /* no size needed; no resume */
    ULONG security_flags;           /* BG_SSL_* and BG_HTTP_REDIRECT_POLICY_* */
    BG_JOB_PROXY_USAGE proxy_usage;
    WCHAR *proxy_list;
    WCHAR *proxy_bypass_list;
    struct transfer_credentials credentials[MAX_TRANSFER_CREDENTIALS];
    ULONG credential_count;
    const CERT_CONTEXT *client_certificate;  /* offered when a TLS server asks; released with the options */
    HRESULT client_certificate_error;        /* why the job's certificate was not found */
    BOOL validate_server_certificate;        /* the job has (or had) a validation callback (BITS 10.3) */
    /* Asked on every TLS connection after the system's own checks, before the
     * request goes out: S_OK lets it go on.  Without a certificate, only
     * whether the server has one accepted already (S_OK) or not (S_FALSE). */
    HRESULT (*check_server_certificate)(void *context, const WCHAR *host, INTERNET_PORT port,
                                        const CERT_CONTEXT *cert);
    void *check_context;
    DWORD file_acl_flags;           /* BG_COPY_FILE_*: what of an SMB source's security its copy takes */
    BOOL owner_privileged;          /* the job's owner holds what OWNER, GROUP and SACL need (behavior.md 7.6) */
};

struct transfer_request
{
    const WCHAR *remote_name;       /* URL, UNC name or local path */
    HANDLE file;                    /* opened for writing */
    UINT64 offset;                  /* bytes already in the file: resume there */
    const WCHAR *validator;         /* ETag or Last-Modified of the bytes already there, or NULL */
    UINT64 remote_size;             /* the remote size those bytes came from, or BG_SIZE_UNKNOWN */
    BOOL check_size;                /* a range must come from a file of remote_size (earlier ranges are on disk) */
    const struct transfer_options *options;
    const BG_FILE_RANGE *ranges;    /* only these bytes, concatenated in this order (HTTP) */
    DWORD range_count;
    transfer_progress_callback progress;
    transfer_continue_callback keep_going;
    void *context;
    /* The remote name of the n-th file (from 0) after this one that the job
     * will ask for whole, malloc'd, or NULL: its request may go to the server
     * ahead of its turn (pipelined).  May be NULL. */
    WCHAR *(*upcoming)(void *context, DWORD n);
    void *upcoming_context;
    /* Bytes one read takes at most, so that a transfer the bandwidth policy
     * holds back keeps reading its connection; 0: as many as come. */
    DWORD max_read;
};

struct transfer_result
{
    HRESULT code;                   /* S_OK, or what went wrong */
    BG_ERROR_CONTEXT context;       /* where it went wrong */
    BOOL transient;                 /* worth retrying later */
    BOOL aborted;                   /* the progress callback asked to stop */
    UINT64 total;                   /* bytes the local file gets, or BG_SIZE_UNKNOWN */
    UINT64 remote_size;             /* the remote file's size if a response told, else BG_SIZE_UNKNOWN */
    FILETIME modified;              /* the remote file's last-write time; zero if unknown */
    FILETIME created;               /* its creation time (SMB); zero if unknown: the last-write time */
    DWORD attributes;               /* its attributes for the local file (SMB); 0 if it has none */
    /* Allocated with malloc for the caller, or NULL: */
    WCHAR *validator;               /* the response's ETag or Last-Modified */
    BOOL validated;                 /* a response was accepted: validator is its (maybe NULL) validator */
    WCHAR *response_headers;        /* the last response's headers */
    WCHAR *final_url;               /* where a reported redirect ended */
};

void transfer_result_free(struct transfer_result *result);

static inline void transfer_set_failure(struct transfer_result *result, HRESULT code, BG_ERROR_CONTEXT context,
                                        BOOL transient)
{
    result->code = code;
    result->context = context;
    result->transient = transient;
}

/* transfer_http.c: a session per worker thread keeps connections alive. */
struct transfer_session;
struct transfer_session *transfer_http_open_session(void);
void transfer_http_close_session(struct transfer_session *session);
/* The session a job with these options uses: the worker's (WinHTTP's default proxy),
 * or (*owned) one of its own for a job that names its proxy or wants none, or whose
 * owner's Internet settings or WPAD name one (Wine takes the proxy per session only).
 * NULL if the settings name a way but no session could be made: the transfers fail. */
struct transfer_session *transfer_http_session_for(struct transfer_session *worker_session,
                                                   const struct transfer_options *options, BOOL *owned);
void transfer_http_download(struct transfer_session *session, const struct transfer_request *request,
                            struct transfer_result *result);
/* HEAD of request->remote_name: result->remote_size and the validator, or the failure. */
void transfer_http_head(struct transfer_session *session, const struct transfer_request *request,
                        struct transfer_result *result);

/* The sizes of the remote files urls, by HEAD; BG_SIZE_UNKNOWN where none came. */
void transfer_http_sizes(struct transfer_session *session, const WCHAR **urls, DWORD count,
                         const struct transfer_options *options, UINT64 *sizes,
                         transfer_continue_callback keep_going, void *context);

/* One request and its response through WinHTTP, with the job's options and
 * credentials: what the upload protocol's packets are made of. */
struct http_exchange
{
    HINTERNET connection;
    HINTERNET request;
    DWORD status;
    WCHAR *url;     /* the URL that answered after redirects, malloc'd; NULL: the one asked */
};
/* Sends verb with the extra headers and body; FALSE with the result set when no
 * response came.  Close with transfer_http_end either way. */
BOOL transfer_http_exchange(struct transfer_session *session, const WCHAR *url, const WCHAR *verb,
                            const WCHAR *headers, const void *body, DWORD body_size,
                            const struct transfer_options *options, struct http_exchange *exchange,
                            struct transfer_result *result);
WCHAR *transfer_http_header(struct http_exchange *exchange, const WCHAR *name);   /* malloc'd, or NULL */
void transfer_http_drain(struct http_exchange *exchange);
void transfer_http_end(struct http_exchange *exchange);
/* The documented retry classification of HTTP statuses. */
BOOL transfer_http_status_is_transient(DWORD status);

/* transfer_upload.c: the BITS upload protocol (BITS_POST) over HTTP. */
#define UPLOAD_SESSION_ID_MAX 100   /* the protocol's limit on a session id */
#define UPLOAD_HOST_ID_MAX 300      /* and on BITS-Host-Id (IIS's BITSHostId) */

/* What the client keeps of a server's upload session between attempts. */
struct upload_session
{
    WCHAR id[UPLOAD_SESSION_ID_MAX + 1];    /* "": none */
    WCHAR host[UPLOAD_HOST_ID_MAX + 1];     /* BITS-Host-Id: the server of every later packet, or "" */
    ULONG host_fallback_s;                  /* BITS-Host-Id-Fallback-Timeout; ~0u: never give the host up */
    ULONGLONG host_failing_since;           /* GetTickCount64() of the first failure to reach host, or 0 */
};

struct upload_request
{
    const WCHAR *remote_name;       /* URL */
    HANDLE file;                    /* the local file, opened for reading */
    UINT64 size;                    /* its size */
    UINT64 version;                 /* its last-write time when opened; 0 if unknown */
    const WCHAR *content_name;      /* its name without the path, for the first fragment */
    struct upload_session *session; /* in/out: the server's session, kept across attempts */
    UINT64 *acknowledged;           /* in/out: bytes the server has */
    const struct transfer_options *options;
    transfer_progress_callback progress;
    transfer_continue_callback keep_going;
    void *context;
};

/* Whether the local file still has the size and last-write time it had when
 * the upload opened it (others may write it meanwhile, behavior.md 2): S_OK,
 * BG_E_LOCAL_FILE_CHANGED, or the error that kept its size from being read. */
HRESULT upload_source_check(const struct upload_request *request);
/* Sends what the server does not have yet, in a session it keeps across
 * retries; on success result->final_url is the reply's URL of an upload-reply
 * (BITS-Reply-URL), if the server gave one. */
void transfer_http_upload(struct transfer_session *session, const struct upload_request *request,
                          struct transfer_result *result);
/* Whether a URL is http:// or https://. */
BOOL transfer_is_http_url(const WCHAR *url);
/* A URI reference made absolute against the absolute URL base, malloc'd. */
WCHAR *transfer_resolve_url(const WCHAR *base, const WCHAR *reference);

/* Close-Session after a finished upload (and its reply), or Cancel-Session.  A
 * failure is result->transient when the packet is worth sending again: no
 * response, or a 5xx that does not say the session is gone (behavior.md 16.3).
 * A session's host unreachable past its fallback timeout is given up, in
 * *upload, for the next try. */
void transfer_http_upload_end(struct transfer_session *session, const WCHAR *remote_name,
                              struct upload_session *upload, const struct transfer_options *options, BOOL cancel,
                              struct transfer_result *result);

/* transfer_proxy.c: a proxy list ("[<scheme>=][<scheme>://]<server>[:<port>]"
 * entries) and its bypass list, read once (behavior.md 11.2). */
struct proxy_list;
/* S_OK with *list, BG_E_INVALID_PROXY_INFO if either list cannot be read or
 * names no proxy, or E_OUTOFMEMORY. */
HRESULT proxy_list_parse(const WCHAR *proxies, const WCHAR *bypass, struct proxy_list **list);
void proxy_list_free(struct proxy_list *list);
/* The proxy ("host:port") of a URL of this scheme, host and port: its
 * scheme's entry, else the entry without a scheme; NULL: direct, because
 * there is none or the bypass list names the server. */
const WCHAR *proxy_list_select(const struct proxy_list *list, INTERNET_SCHEME scheme, const WCHAR *host,
                               INTERNET_PORT port);
/* The bypass list in the form WinHTTP reads, or NULL: for the redirects it follows itself. */
const WCHAR *proxy_list_winhttp_bypass(const struct proxy_list *list);

/* transfer_sspi.c: an NTLM or Negotiate handshake with the implicit credentials
 * of the identity the calling thread runs as (SetCredentials(NULL, NULL)). */
struct sspi_handshake;
struct sspi_handshake *sspi_handshake_create(BG_AUTH_SCHEME scheme, const WCHAR *host);
void sspi_handshake_free(struct sspi_handshake *handshake);
BOOL sspi_handshake_is(const struct sspi_handshake *handshake, BG_AUTH_SCHEME scheme);
/* Whether a WWW-Authenticate (Proxy-Authenticate) value is for this handshake's scheme. */
BOOL sspi_handshake_matches(const struct sspi_handshake *handshake, const WCHAR *challenge);
/* The next Authorization value ("NTLM base64") answering the challenge, malloc'd;
 * NULL when nothing more can be sent (refused, or no credentials). */
WCHAR *sspi_handshake_step(struct sspi_handshake *handshake, const WCHAR *challenge);

/* transfer_digest.c: the Authorization (Proxy-Authorization) value, "Digest
 * ...", answering a challenge header for method and uri with these
 * credentials; malloc'd, NULL when the header is no Digest challenge or asks
 * for what is not supported (qop=auth-int only, another algorithm).  *stale:
 * the challenge says the last answer's nonce expired, not that it was wrong. */
WCHAR *digest_answer(const WCHAR *header, const WCHAR *user_name, const WCHAR *password, const WCHAR *method,
                     const WCHAR *uri, BOOL *stale);

/* transfer_socket.c: a plain HTTP/1.1 connection, the fast path of transfer_http.c. */
struct http_connection;
struct http_connection *http_connection_create(void);
void http_connection_destroy(struct http_connection *connection);
/* The n-th request (from 0) after the one under way, malloc'd with its *size,
 * or NULL: none that may be sent before its turn. */
typedef char *(*http_next_request)(void *context, DWORD n, DWORD *size);
DWORD http_connection_request(struct http_connection *connection, const WCHAR *host, INTERNET_PORT port,
                              const char *request, DWORD size, http_next_request next, void *next_context,
                              const char **head, transfer_continue_callback keep_going, void *context);
DWORD http_connection_read(struct http_connection *connection, BYTE *buffer, DWORD size, DWORD *read,
                           transfer_continue_callback keep_going, void *context);
void http_connection_finish(struct http_connection *connection, BOOL reusable);
void http_connection_no_pipelining(struct http_connection *connection);
DWORD http_connection_heads(struct http_connection *connection, const WCHAR *host, INTERNET_PORT port,
                            const char *requests, DWORD size, DWORD count,
                            void (*on_head)(void *context, DWORD index, const char *head), void *context,
                            transfer_continue_callback keep_going, void *keep_context);

/* transfer_file.c: local paths, UNC names and file:// URLs. */
BOOL transfer_is_file_name(const WCHAR *remote_name);
/* The path an SMB remote name stands for (a file URL decoded), malloc'd;
 * NULL for a URL whose escapes make no path (%00). */
WCHAR *transfer_file_path(const WCHAR *remote_name);
void transfer_file_download(const struct transfer_request *request, struct transfer_result *result);
void transfer_file_upload(const struct upload_request *request, struct transfer_result *result);

#endif /* __QMGR_TRANSFER_H */
