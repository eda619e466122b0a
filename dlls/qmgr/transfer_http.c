/*
 * Background Intelligent Transfer Service: HTTP and HTTPS downloads through
 * WinHTTP: resuming with Range and If-Range, byte ranges, authentication,
 * proxies, TLS and redirect policies, custom verbs.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>

#include "qmgr_private.h"
#include "transfer.h"

#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(qmgr);

#define READ_BUFFER_SIZE (1024 * 1024)
#define MAX_AUTH_ROUNDS 5  /* two for a server's NTLM handshake, two for a proxy's, one spare */

struct proxy_router;

/* A worker's (or a job's own) connection state: a WinHTTP session, and the
 * plain connection of the fast path where no proxy is involved. */
struct transfer_session
{
    HINTERNET winhttp;
    BOOL direct;                        /* no proxy: the plain fast path may be used */
    struct http_connection *connection;
    WCHAR *proxy;                       /* the proxy list requests go through, or NULL */
    WCHAR *bypass;                      /* the servers it does not serve (named proxies), or NULL */
    struct proxy_router *router;        /* non-NULL: a proxy script picks the session of each server */
};

static struct transfer_session *open_session(DWORD access, const WCHAR *proxy, const WCHAR *bypass)
{
    WINHTTP_PROXY_INFO info = { 0 };
    struct transfer_session *session;

    if (!(session = calloc(1, sizeof(*session)))) return NULL;
    /* The user agent Windows' BITS sends. */
    if (!(session->winhttp = WinHttpOpen(L"Microsoft BITS/7.8", access, proxy, bypass, 0)))
    {
        ERR("WinHttpOpen failed, error %lu.\n", GetLastError());
        free(session);
        return NULL;
    }
    /* WinHTTP's own default (netsh winhttp, or $http_proxy under Wine): read to
     * know whether the fast path may be used. */
    if (access == WINHTTP_ACCESS_TYPE_DEFAULT_PROXY && WinHttpGetDefaultProxyConfiguration(&info) &&
        info.dwAccessType == WINHTTP_ACCESS_TYPE_NAMED_PROXY && info.lpszProxy && *info.lpszProxy)
        proxy = info.lpszProxy;
    else if (access != WINHTTP_ACCESS_TYPE_NAMED_PROXY)
        proxy = NULL;
    session->proxy = proxy ? strdupW(proxy) : NULL;
    if (access == WINHTTP_ACCESS_TYPE_NAMED_PROXY && bypass && *bypass) session->bypass = strdupW(bypass);
    session->direct = !session->proxy;
    if (session->direct) session->connection = http_connection_create();
    GlobalFree(info.lpszProxy);
    GlobalFree(info.lpszProxyBypass);
    return session;
}

struct transfer_session *transfer_http_open_session(void)
{
    return open_session(WINHTTP_ACCESS_TYPE_DEFAULT_PROXY, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS);
}

static void free_router(struct proxy_router *router);

void transfer_http_close_session(struct transfer_session *session)
{
    if (!session) return;
    free_router(session->router);
    WinHttpCloseHandle(session->winhttp);
    http_connection_destroy(session->connection);
    free(session->proxy);
    free(session->bypass);
    free(session);
}

/* ---- proxies found by a script (behavior.md 11.2) ---- */

/* A server and the session that reaches it. */
struct proxy_route
{
    WCHAR *origin;                      /* "scheme://host:port" */
    struct transfer_session *session;   /* one of the router's, or its fallback */
};

/* A proxy script (PRECONFIG with automatic configuration, and AUTODETECT: the
 * configured one, or the one WPAD finds), or a proxy list and its bypass list
 * (OVERRIDE, or the user's Internet settings) names the proxy of each URL.
 * Wine's WinHTTP takes a single "host:port" per session only (it accepts
 * WINHTTP_OPTION_PROXY on a session or request and ignores it), so each proxy
 * gets a session, and the servers the bypass list names a direct one. */
struct proxy_router
{
    BOOL detect;                        /* look for a script with WPAD */
    WCHAR *script_url;                  /* the configured script, or NULL */
    struct proxy_list *list;            /* the proxy list where no script answers, or NULL */
    HRESULT list_error;                 /* failed: there is a list, but it cannot be used */
    struct transfer_session *fallback;  /* where no script or list applies; not owned */
    struct transfer_session **sessions; /* owned, one per proxy */
    ULONG session_count;
    /* A script answers per URL; asking it once per server and run keeps a job
     * of many files from running it for each. */
    struct proxy_route *routes;
    ULONG route_count;
};

static void free_router(struct proxy_router *router)
{
    ULONG i;

    if (!router) return;
    for (i = 0; i < router->session_count; i++) transfer_http_close_session(router->sessions[i]);
    for (i = 0; i < router->route_count; i++) free(router->routes[i].origin);
    free(router->sessions);
    free(router->routes);
    free(router->script_url);
    proxy_list_free(router->list);
    free(router);
}

/* How long the outcome of a WPAD search stands: looking costs name lookups. */
#define WPAD_RECHECK_MS (5 * 60 * 1000)

static SRWLOCK wpad_lock = SRWLOCK_INIT;
static ULONGLONG wpad_checked;  /* GetTickCount64() of the last search, 0 for never */
static WCHAR *wpad_url;

/* The URL of the script WPAD finds (malloc'd), or NULL. */
static WCHAR *wpad_script_url(void)
{
    ULONGLONG now = GetTickCount64();
    WCHAR *found = NULL, *ret;

    AcquireSRWLockExclusive(&wpad_lock);
    if (!wpad_checked || now - wpad_checked >= WPAD_RECHECK_MS)
    {
        free(wpad_url);
        wpad_url = NULL;
        if (WinHttpDetectAutoProxyConfigUrl(WINHTTP_AUTO_DETECT_TYPE_DHCP | WINHTTP_AUTO_DETECT_TYPE_DNS_A, &found))
        {
            wpad_url = strdupW(found);
            GlobalFree(found);
        }
        TRACE("WPAD script: %s.\n", debugstr_w(wpad_url));
        wpad_checked = now;
    }
    ret = wpad_url ? strdupW(wpad_url) : NULL;
    ReleaseSRWLockExclusive(&wpad_lock);
    return ret;
}

static BOOL same_list(const WCHAR *a, const WCHAR *b)
{
    return (!a || !*a) ? (!b || !*b) : b && !wcscmp(a, b);
}

/* The router's session for a proxy list (NULL: direct) and its bypass list,
 * made on first use. */
static struct transfer_session *router_session(struct proxy_router *router, const WCHAR *proxy, const WCHAR *bypass)
{
    struct transfer_session *session, **sessions;
    ULONG i;

    if (!proxy && router->fallback && router->fallback->direct) return router->fallback;
    for (i = 0; i < router->session_count; i++)
    {
        session = router->sessions[i];
        if (proxy ? session->proxy && !wcscmp(session->proxy, proxy) && same_list(session->bypass, bypass)
                  : !session->proxy)
            return session;
    }
    if (!(sessions = realloc(router->sessions, (router->session_count + 1) * sizeof(*sessions)))) return NULL;
    router->sessions = sessions;
    if (proxy) session = open_session(WINHTTP_ACCESS_TYPE_NAMED_PROXY, proxy,
                                      bypass && *bypass ? bypass : WINHTTP_NO_PROXY_BYPASS);
    else session = open_session(WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS);
    if (session) router->sessions[router->session_count++] = session;
    return session;
}

/* Asks the script which proxy serves url: TRUE with *proxy (malloc'd, NULL for
 * direct) if a script answered. */
/* url without the user name and password it may carry, malloc'd: a proxy
 * script is somebody else's code, and may send what it is given elsewhere. */
static WCHAR *url_without_user(const WCHAR *url)
{
    const WCHAR *authority = wcsstr(url, L"://"), *at, *end;
    WCHAR *copy;

    if (!authority) return strdupW(url);
    authority += 3;
    end = authority + wcscspn(authority, L"/?#");
    for (at = end; at > authority && at[-1] != '@'; at--) ;
    if (at == authority) return strdupW(url);
    if (!(copy = malloc((wcslen(url) + 1) * sizeof(WCHAR)))) return NULL;
    memcpy(copy, url, (authority - url) * sizeof(WCHAR));
    wcscpy(copy + (authority - url), at);
    return copy;
}

static BOOL ask_script(struct proxy_router *router, HINTERNET winhttp, const WCHAR *full_url, WCHAR **proxy)
{
    WINHTTP_AUTOPROXY_OPTIONS options = { WINHTTP_AUTOPROXY_CONFIG_URL };
    WINHTTP_PROXY_INFO info = { 0 };
    WCHAR *script = NULL, *url;
    BOOL answered;

    *proxy = NULL;
    if (!(url = url_without_user(full_url))) return FALSE;
    /* As Internet Explorer: a script WPAD finds first, then the configured one. */
    if (router->detect) script = wpad_script_url();
    if (!script && router->script_url) script = strdupW(router->script_url);
    if (!script)
    {
        free(url);
        return FALSE;
    }
    options.lpszAutoConfigUrl = script;
    options.fAutoLogonIfChallenged = TRUE;
    if ((answered = WinHttpGetProxyForUrl(winhttp, url, &options, &info)))
    {
        if (info.dwAccessType == WINHTTP_ACCESS_TYPE_NAMED_PROXY && info.lpszProxy && *info.lpszProxy)
            *proxy = strdupW(info.lpszProxy);
        TRACE("%s: the script at %s names %s.\n", debugstr_w(url), debugstr_w(script), debugstr_w(*proxy));
    }
    else WARN("The script at %s did not answer for %s, error %lu.\n", debugstr_w(script), debugstr_w(url),
              GetLastError());
    GlobalFree(info.lpszProxy);
    GlobalFree(info.lpszProxyBypass);
    free(script);
    free(url);
    return answered;
}

/* The session that reaches url: the given one, unless its router picks.
 * NULL with the result set if there is none: the proxy list cannot be used,
 * or no session could be made.  Never another way than the settings name. */
static struct transfer_session *route(struct transfer_session *session, const WCHAR *url,
                                      struct transfer_result *result)
{
    struct proxy_router *router = session ? session->router : NULL;
    URL_COMPONENTS parts = { sizeof(parts) };
    struct transfer_session *target;
    struct proxy_route *routes;
    WCHAR origin[300], host[256], *proxy;
    ULONG i;

    if (!session)
    {
        transfer_set_failure(result, E_FAIL, BG_ERROR_CONTEXT_REMOTE_FILE, FALSE);
        return NULL;
    }
    if (!router) return session;
    parts.dwSchemeLength = 1;
    parts.lpszHostName = host;
    parts.dwHostNameLength = ARRAY_SIZE(host);
    if (!WinHttpCrackUrl(url, 0, 0, &parts))
    {
        transfer_set_failure(result, HRESULT_FROM_WIN32(GetLastError()), BG_ERROR_CONTEXT_REMOTE_FILE, FALSE);
        return NULL;
    }
    swprintf(origin, ARRAY_SIZE(origin), L"%.*ls://%ls:%u", (int)parts.dwSchemeLength, parts.lpszScheme, host,
             parts.nPort);
    for (i = 0; i < router->route_count; i++)
        if (!wcsicmp(router->routes[i].origin, origin)) return router->routes[i].session;

    if (ask_script(router, session->winhttp, url, &proxy)) target = router_session(router, proxy, NULL);
    else if (FAILED(router->list_error))
    {
        /* Bad proxy data is fatal (behavior.md 11.2): no other way is right. */
        transfer_set_failure(result, router->list_error, BG_ERROR_CONTEXT_GENERAL_TRANSPORT, FALSE);
        return NULL;
    }
    else if (router->list)
        target = router_session(router, proxy_list_select(router->list, parts.nScheme, host, parts.nPort),
                                proxy_list_winhttp_bypass(router->list));
    else target = router->fallback;
    free(proxy);
    if (!target)
    {
        transfer_set_failure(result, E_OUTOFMEMORY, BG_ERROR_CONTEXT_GENERAL_TRANSPORT, TRUE);
        return NULL;
    }

    if ((routes = realloc(router->routes, (router->route_count + 1) * sizeof(*routes))))
    {
        router->routes = routes;
        if ((routes[router->route_count].origin = strdupW(origin)))
            routes[router->route_count++].session = target;
    }
    return target;
}

/* A session whose router asks a proxy script (the configured one, or WPAD's)
 * and, where none answers, reads the proxy list proxies (NULL: there is none)
 * with its bypass list. */
static struct transfer_session *open_routing_session(struct transfer_session *fallback, BOOL detect,
                                                     const WCHAR *script_url, const WCHAR *proxies,
                                                     const WCHAR *bypass)
{
    struct transfer_session *session;
    struct proxy_router *router;

    if (!(router = calloc(1, sizeof(*router)))) return NULL;
    router->detect = detect;
    router->fallback = fallback;
    if (proxies) router->list_error = proxy_list_parse(proxies, bypass, &router->list);
    if ((script_url && !(router->script_url = strdupW(script_url))) || router->list_error == E_OUTOFMEMORY ||
        !(session = open_session(WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS)))
    {
        free_router(router);
        return NULL;
    }
    /* Its own WinHTTP session only asks scripts: no transfer goes through it. */
    http_connection_destroy(session->connection);
    session->connection = NULL;
    session->direct = FALSE;
    session->router = router;
    return session;
}

/* PRECONFIG: the job owner's Internet settings, in the order WinHTTP's
 * automatic proxy (which Windows' BITS uses since 1809) takes them: a proxy
 * script if the user has automatic configuration, else the user's proxy list,
 * else WinHTTP's own default (under Wine also $http_proxy), for which this
 * returns NULL.  *failed: the settings name a way, but no session could be made. */
static struct transfer_session *open_preconfigured_session(struct transfer_session *worker_session, BOOL *failed)
{
    WINHTTP_CURRENT_USER_IE_PROXY_CONFIG config = { 0 };
    struct transfer_session *session = NULL;
    const WCHAR *script, *proxies;

    *failed = FALSE;
    if (!WinHttpGetIEProxyConfigForCurrentUser(&config)) return NULL;
    TRACE("Internet settings: detect %d, script %s, proxy %s, bypass %s.\n", config.fAutoDetect,
          debugstr_w(config.lpszAutoConfigUrl), debugstr_w(config.lpszProxy), debugstr_w(config.lpszProxyBypass));
    script = config.lpszAutoConfigUrl && *config.lpszAutoConfigUrl ? config.lpszAutoConfigUrl : NULL;
    proxies = config.lpszProxy && *config.lpszProxy ? config.lpszProxy : NULL;
    /* The list may have an entry per protocol ("http=...;https=..."), which
     * Wine's WinHTTP cannot read: the router reads it. */
    if (config.fAutoDetect || script)
        session = open_routing_session(worker_session, config.fAutoDetect, script, proxies, config.lpszProxyBypass);
    else if (proxies)
        session = open_routing_session(NULL, FALSE, NULL, proxies, config.lpszProxyBypass);
    *failed = !session && (config.fAutoDetect || script || proxies);
    GlobalFree(config.lpszAutoConfigUrl);
    GlobalFree(config.lpszProxy);
    GlobalFree(config.lpszProxyBypass);
    return session;
}

struct transfer_session *transfer_http_session_for(struct transfer_session *worker_session,
                                                   const struct transfer_options *options, BOOL *owned)
{
    struct transfer_session *session = NULL;
    BOOL failed = FALSE;

    *owned = FALSE;
    switch (options->proxy_usage)
    {
    case BG_JOB_PROXY_USAGE_OVERRIDE:
        /* The job's list alone: read per request, since it may name a proxy
         * per scheme; one that cannot be read fails the transfers. */
        session = open_routing_session(NULL, FALSE, NULL, options->proxy_list ? options->proxy_list : L"",
                                       options->proxy_bypass_list);
        failed = !session;
        break;
    case BG_JOB_PROXY_USAGE_NO_PROXY:
        session = open_session(WINHTTP_ACCESS_TYPE_NO_PROXY, WINHTTP_NO_PROXY_NAME, WINHTTP_NO_PROXY_BYPASS);
        failed = !session;
        break;
    case BG_JOB_PROXY_USAGE_AUTODETECT:
        /* WPAD for each server; direct where it finds nothing. */
        if ((failed = !(session = open_routing_session(NULL, TRUE, NULL, NULL, NULL)))) break;
        if (!(session->router->fallback = router_session(session->router, NULL, NULL)))
            session->router->fallback = worker_session;
        break;
    case BG_JOB_PROXY_USAGE_PRECONFIG:
        session = open_preconfigured_session(worker_session, &failed);
        break;
    }
    /* Not the worker's session: it goes another way than the settings name. */
    if (failed) return NULL;

    /* A TLS connection that showed the job's client certificate is the job's
     * alone: in the worker's pool it would serve other jobs as that client. */
    if (options->client_certificate)
    {
        if (!session) session = transfer_http_open_session();
        else if (session->router && session->router->fallback == worker_session)
            session->router->fallback = router_session(session->router, NULL, NULL);
    }
    if (!session) return worker_session;
    *owned = TRUE;
    return session;
}

void transfer_result_free(struct transfer_result *result)
{
    free(result->validator);
    free(result->response_headers);
    free(result->final_url);
    result->validator = result->response_headers = result->final_url = NULL;
}

/* A WinHTTP failure: connection-level problems are worth retrying. */
static void set_winhttp_failure(struct transfer_result *result, DWORD error)
{
    switch (error)
    {
    case ERROR_WINHTTP_CANNOT_CONNECT:
    case ERROR_WINHTTP_NAME_NOT_RESOLVED:
    case ERROR_WINHTTP_TIMEOUT:
    case ERROR_WINHTTP_CONNECTION_ERROR:
    case ERROR_WINHTTP_INVALID_SERVER_RESPONSE:
    case ERROR_WINHTTP_RESEND_REQUEST:
        transfer_set_failure(result, HRESULT_FROM_WIN32(error), BG_ERROR_CONTEXT_GENERAL_TRANSPORT, TRUE);
        break;
    /* The server's certificate is refused: asking again gets the same one
     * (revocation failures are fatal, behavior.md 11.3).  Windows' WinHTTP says
     * SECURE_FAILURE for all of them, Wine's names the reason. */
    case ERROR_WINHTTP_SECURE_FAILURE:
    case ERROR_WINHTTP_SECURE_CERT_DATE_INVALID:
    case ERROR_WINHTTP_SECURE_CERT_CN_INVALID:
    case ERROR_WINHTTP_SECURE_INVALID_CA:
    case ERROR_WINHTTP_SECURE_CERT_REV_FAILED:
    case ERROR_WINHTTP_SECURE_INVALID_CERT:
    case ERROR_WINHTTP_SECURE_CERT_REVOKED:
    case ERROR_WINHTTP_SECURE_CERT_WRONG_USAGE:
    case ERROR_WINHTTP_REDIRECT_FAILED:
    /* Nor does asking again give the job a client certificate, or access to its
     * key (behavior.md 11.5); the owner sets one and resumes. */
    case ERROR_WINHTTP_CLIENT_AUTH_CERT_NEEDED:
    case ERROR_WINHTTP_CLIENT_CERT_NO_PRIVATE_KEY:
    case ERROR_WINHTTP_CLIENT_CERT_NO_ACCESS_PRIVATE_KEY:
        transfer_set_failure(result, HRESULT_FROM_WIN32(error), BG_ERROR_CONTEXT_REMOTE_FILE, FALSE);
        break;
    default:
        transfer_set_failure(result, HRESULT_FROM_WIN32(error), BG_ERROR_CONTEXT_REMOTE_FILE, TRUE);
        break;
    }
}

/* The statuses DISALLOW refuses as redirects (behavior.md 11.3, and 308). */
static BOOL is_redirect(DWORD status)
{
    return status == HTTP_STATUS_AMBIGUOUS || status == HTTP_STATUS_MOVED || status == HTTP_STATUS_REDIRECT ||
           status == HTTP_STATUS_REDIRECT_METHOD || status == HTTP_STATUS_REDIRECT_KEEP_VERB || status == 308;
}

/* Whether the job's policy refuses this answer as a redirect. */
static BOOL redirect_refused(const struct transfer_options *options, DWORD status)
{
    return is_redirect(status) &&
           (options->security_flags & BG_HTTP_REDIRECT_POLICY_MASK) == BG_HTTP_REDIRECT_POLICY_DISALLOW;
}


BOOL transfer_is_http_url(const WCHAR *url)
{
    return !_wcsnicmp(url, L"http://", 7) || !_wcsnicmp(url, L"https://", 8);
}

/* A redirect the policy refused is a fatal error with its status as a Win32
 * code (behavior.md 17.5), and the job records where it pointed (11.3): an
 * HTTP URL only, as a job may not go from HTTP to SMB or a local file (7.2). */
static void refuse_redirect(struct transfer_result *result, DWORD status, const WCHAR *url, const WCHAR *location)
{
    transfer_set_failure(result, HRESULT_FROM_WIN32(status), BG_ERROR_CONTEXT_REMOTE_FILE, FALSE);
    free(result->final_url);
    result->final_url = transfer_resolve_url(url, location);
    if (result->final_url && !transfer_is_http_url(result->final_url))
    {
        free(result->final_url);
        result->final_url = NULL;
    }
}

/* The documented classification of HTTP statuses (behavior.md 5.2). */
static BOOL status_is_transient(DWORD status)
{
    if (status >= 300 && status < 400) return !(status <= 305 || status == 307);
    if (status >= 400 && status < 500) return status == 408 || status == 409;
    if (status >= 500 && status < 600) return status != 501 && status != 505;
    return TRUE;
}

/* A header as a private string, or NULL. */
static WCHAR *query_string(HINTERNET request, DWORD info, const WCHAR *name)
{
    DWORD size = 0;
    WCHAR *value;

    WinHttpQueryHeaders(request, info, name, NULL, &size, WINHTTP_NO_HEADER_INDEX);
    if (GetLastError() != ERROR_INSUFFICIENT_BUFFER || !(value = malloc(size + sizeof(WCHAR)))) return NULL;
    if (!WinHttpQueryHeaders(request, info, name, value, &size, WINHTTP_NO_HEADER_INDEX))
    {
        free(value);
        return NULL;
    }
    return value;
}

static const WCHAR *skip_blanks(const WCHAR *p)
{
    while (*p == ' ' || *p == '\t') p++;
    return p;
}

/* A decimal number of digits only (no sign: wcstoui64 takes "-5" for
 * 2^64 - 5) that fits 64 bits, white space around it; *end is where it stops. */
static BOOL parse_decimal(const WCHAR *p, const WCHAR **end, UINT64 *value)
{
    UINT64 digit;

    p = skip_blanks(p);
    if (*p < '0' || *p > '9') return FALSE;
    for (*value = 0; *p >= '0' && *p <= '9'; p++)
    {
        digit = *p - '0';
        if (*value > (~(UINT64)0 - digit) / 10) return FALSE;
        *value = *value * 10 + digit;
    }
    *end = skip_blanks(p);
    return TRUE;
}

/* "bytes first-last/total": total may be "*". */
static BOOL parse_content_range(const WCHAR *value, UINT64 *first, UINT64 *last, UINT64 *total)
{
    const WCHAR *p;

    if (!value || _wcsnicmp(skip_blanks(value), L"bytes ", 6)) return FALSE;
    if (!parse_decimal(skip_blanks(value) + 6, &p, first) || *p != '-') return FALSE;
    if (!parse_decimal(p + 1, &p, last) || *p != '/') return FALSE;
    p = skip_blanks(p + 1);
    if (*p == '*' && !*skip_blanks(p + 1)) *total = BG_SIZE_UNKNOWN;
    else if (!parse_decimal(p, &p, total) || *p) return FALSE;
    /* The last byte is inside the file the server says it has. */
    return *first <= *last && (*total == BG_SIZE_UNKNOWN || *last < *total);
}

static BOOL restart_file(HANDLE file)
{
    LARGE_INTEGER zero = {{0}};
    return SetFilePointerEx(file, zero, NULL, FILE_BEGIN) && SetEndOfFile(file);
}

/* How long an upload's Ack may take: the server application's five minutes, and some. */
#define UPLOAD_ACK_TIMEOUT_MS ((5 * 60 + 30) * 1000)

struct url_parts
{
    const WCHAR *text;  /* the URL cracked, the caller's */
    URL_COMPONENTS url;
    WCHAR host[256];
    WCHAR *path;  /* path and query, as given */
};

static BOOL crack_url(const WCHAR *url, struct url_parts *parts, struct transfer_result *result);

/* A Location header or a BITS-Reply-URL (any URI reference, RFC 3986 4.1)
 * made absolute against base, the absolute URL that answered with it;
 * malloc'd.  Nothing is escaped or unescaped: BITS does no escape processing
 * (behavior.md 7.2). */
WCHAR *transfer_resolve_url(const WCHAR *base, const WCHAR *location)
{
    const WCHAR *authority, *path_start, *path_end, *keep_end, *slash;
    WCHAR *absolute;
    size_t keep;

    if (!base || !location) return NULL;
    /* An absolute URL, of whatever scheme: the caller decides what it may be. */
    for (slash = location; iswalnum(*slash) || *slash == '+' || *slash == '-' || *slash == '.'; slash++) ;
    if (slash > location && *slash == ':') return strdupW(location);
    if (!(authority = wcsstr(base, L"://"))) return NULL;
    authority += 3;
    path_start = authority + wcscspn(authority, L"/?#");
    path_end = path_start + wcscspn(path_start, L"?#");
    if (location[0] == '/' && location[1] == '/') keep_end = authority - 2;     /* the scheme and its colon */
    else if (location[0] == '/') keep_end = path_start;                         /* scheme and authority */
    else if (location[0] == '?') keep_end = path_end;                           /* all of the path */
    else if (location[0] == '#') keep_end = path_start + wcscspn(path_start, L"#");
    else
    {
        /* The directory of the path: up to its last slash, which the query cannot hold. */
        for (keep_end = path_start, slash = path_start; slash < path_end; slash++)
            if (*slash == '/') keep_end = slash + 1;
    }
    keep = keep_end - base;
    if (!(absolute = malloc((keep + wcslen(location) + 2) * sizeof(WCHAR)))) return NULL;
    memcpy(absolute, base, keep * sizeof(WCHAR));
    absolute[keep] = 0;
    /* A relative path against a URL without one: the root's. */
    if (location[0] != '/' && location[0] != '?' && location[0] != '#' && keep_end == path_start) wcscat(absolute, L"/");
    wcscat(absolute, location);
    return absolute;
}

/* What the status callback of one request sees to: each TLS server's
 * certificate, for the job's validation callback (BITS 10.3), and why the
 * system refused one.  WinHTTP follows no redirect (exchange_parts does), so
 * the server of a request stays the one it was opened for. */
struct request_watch
{
    const struct transfer_options *options;
    WCHAR host[256];
    INTERNET_PORT port;
    HRESULT verdict;                /* S_OK until a certificate is refused */
    DWORD secure_failure;           /* WINHTTP_CALLBACK_STATUS_FLAG_*: why the system refused a certificate */
};

static void CALLBACK watch_callback(HINTERNET handle, DWORD_PTR context, DWORD status, void *info, DWORD length)
{
    struct request_watch *watch = (struct request_watch *)context;
    const CERT_CONTEXT *cert = NULL;
    DWORD size = sizeof(cert);

    if (!watch) return;
    if (status == WINHTTP_CALLBACK_STATUS_SECURE_FAILURE && info && length >= sizeof(DWORD))
        watch->secure_failure |= *(DWORD *)info;
    else if (status == WINHTTP_CALLBACK_STATUS_SENDING_REQUEST && watch->options->check_server_certificate &&
             SUCCEEDED(watch->verdict))
    {
        /* After the handshake, before the request's bytes.  A plain connection has no certificate. */
        if (!WinHttpQueryOption(handle, WINHTTP_OPTION_SERVER_CERT_CONTEXT, &cert, &size) || !cert) return;
        watch->verdict = watch->options->check_server_certificate(watch->options->check_context, watch->host,
                                                                   watch->port, cert);
        CertFreeCertificateContext(cert);
    }
}

static void watch_init(struct request_watch *watch, const struct url_parts *parts,
                       const struct transfer_options *options)
{
    memset(watch, 0, sizeof(*watch));
    watch->options = options;
    lstrcpynW(watch->host, parts->host, ARRAY_SIZE(watch->host));
    watch->port = parts->url.nPort;
}

/* A refused certificate fails the exchange: worth trying again, as the app may change its mind. */
static BOOL watch_refused(const struct request_watch *watch, struct transfer_result *result)
{
    if (SUCCEEDED(watch->verdict)) return FALSE;
    transfer_set_failure(result, watch->verdict, BG_ERROR_CONTEXT_SERVER_CERTIFICATE_CALLBACK, TRUE);
    return TRUE;
}

/* The job's TLS settings on one request (the proxy is the session's). */
static void apply_options(HINTERNET request, BOOL secure, const struct transfer_options *options,
                          struct request_watch *watch)
{
    DWORD_PTR context = (DWORD_PTR)watch;
    DWORD value, watched;

    value = 0;
    if (options->security_flags & BG_SSL_IGNORE_CERT_CN_INVALID) value |= SECURITY_FLAG_IGNORE_CERT_CN_INVALID;
    if (options->security_flags & BG_SSL_IGNORE_CERT_DATE_INVALID) value |= SECURITY_FLAG_IGNORE_CERT_DATE_INVALID;
    if (options->security_flags & BG_SSL_IGNORE_UNKNOWN_CA) value |= SECURITY_FLAG_IGNORE_UNKNOWN_CA;
    if (options->security_flags & BG_SSL_IGNORE_CERT_WRONG_USAGE) value |= SECURITY_FLAG_IGNORE_CERT_WRONG_USAGE;
    if (value) WinHttpSetOption(request, WINHTTP_OPTION_SECURITY_FLAGS, &value, sizeof(value));
    if (options->security_flags & BG_SSL_ENABLE_CRL_CHECK)
    {
        value = WINHTTP_ENABLE_SSL_REVOCATION;
        WinHttpSetOption(request, WINHTTP_OPTION_ENABLE_FEATURE, &value, sizeof(value));
    }

    value = WINHTTP_DISABLE_REDIRECTS;
    WinHttpSetOption(request, WINHTTP_OPTION_DISABLE_FEATURE, &value, sizeof(value));
    if (secure && options->client_certificate)
    {
        if (!WinHttpSetOption(request, WINHTTP_OPTION_CLIENT_CERT_CONTEXT, (void *)options->client_certificate,
                              sizeof(*options->client_certificate)))
            WARN("Could not offer the client certificate, error %lu.\n", GetLastError());
        /* Wine's WinHTTP pools connections for the whole process, not per
         * session: one that showed this certificate would serve other jobs.
         * (Wine 8 keeps a connection despite WINHTTP_DISABLE_KEEP_ALIVE.) */
        if (!WinHttpAddRequestHeaders(request, L"Connection: close", -1, WINHTTP_ADDREQ_FLAG_ADD))
            WARN("Could not ask for the connection to close, error %lu.\n", GetLastError());
    }

    /* Why a TLS server's certificate is refused. */
    watched = WINHTTP_CALLBACK_FLAG_SECURE_FAILURE;
    if (secure && options->check_server_certificate) watched |= WINHTTP_CALLBACK_FLAG_SEND_REQUEST;
    WinHttpSetOption(request, WINHTTP_OPTION_CONTEXT_VALUE, &context, sizeof(context));
    WinHttpSetStatusCallback(request, watch_callback, watched, 0);
}

/* The request outlives the watch, which is on the stack. */
static void unwatch(HINTERNET request)
{
    DWORD_PTR none = 0;

    WinHttpSetOption(request, WINHTTP_OPTION_CONTEXT_VALUE, &none, sizeof(none));
}

static DWORD winhttp_scheme(BG_AUTH_SCHEME scheme)
{
    switch (scheme)
    {
    case BG_AUTH_SCHEME_BASIC: return WINHTTP_AUTH_SCHEME_BASIC;
    case BG_AUTH_SCHEME_DIGEST: return WINHTTP_AUTH_SCHEME_DIGEST;
    case BG_AUTH_SCHEME_NTLM: return WINHTTP_AUTH_SCHEME_NTLM;
    case BG_AUTH_SCHEME_NEGOTIATE: return WINHTTP_AUTH_SCHEME_NEGOTIATE;
    case BG_AUTH_SCHEME_PASSPORT: return WINHTTP_AUTH_SCHEME_PASSPORT;
    }
    return 0;
}

/* The host of the first proxy a request goes through, for the principal of a
 * proxy's challenge (Wine's WinHTTP does not report a session's proxy), else
 * the server's host. */
static void proxy_host(const struct transfer_session *session, const WCHAR *server_host, WCHAR *host, size_t size)
{
    const WCHAR *start = session->proxy, *end, *colon;

    lstrcpynW(host, server_host, size);
    if (!start) return;
    /* "[scheme=][scheme://]host[:port]", entries separated by ';' or spaces */
    while (*start == ' ' || *start == ';') start++;
    for (end = start; *end && *end != ';' && *end != ' '; end++)
    {
        if (*end == '=') start = end + 1;
        else if (*end == ':' && end[1] == '/' && end[2] == '/') start = (end += 2) + 1;
    }
    for (colon = start; colon < end && *colon != ':'; colon++) ;
    if (colon > start && (size_t)(colon - start) < size)
    {
        memcpy(host, start, (colon - start) * sizeof(WCHAR));
        host[colon - start] = 0;
    }
}

/* The next challenge header of the server (proxy) from *index on, malloc'd; NULL after the last. */
static WCHAR *next_challenge(HINTERNET request, BOOL proxy, DWORD *index)
{
    DWORD query = proxy ? WINHTTP_QUERY_PROXY_AUTHENTICATE : WINHTTP_QUERY_WWW_AUTHENTICATE, size = 0;
    WCHAR *challenge;

    WinHttpQueryHeaders(request, query, WINHTTP_HEADER_NAME_BY_INDEX, NULL, &size, index);
    if (GetLastError() != ERROR_INSUFFICIENT_BUFFER || !(challenge = malloc(size))) return NULL;
    if (WinHttpQueryHeaders(request, query, WINHTTP_HEADER_NAME_BY_INDEX, challenge, &size, index)) return challenge;
    free(challenge);
    return NULL;
}

/* Sends answer ("Scheme ...") as the request's Authorization (Proxy-Authorization) from now on. */
static BOOL add_authorization(HINTERNET request, BOOL proxy, const WCHAR *answer)
{
    size_t size = wcslen(answer) + 32;
    WCHAR *header;
    BOOL done;

    if (!(header = malloc(size * sizeof(WCHAR)))) return FALSE;
    swprintf(header, size, L"%ls: %ls", proxy ? L"Proxy-Authorization" : L"Authorization", answer);
    done = WinHttpAddRequestHeaders(request, header, -1, WINHTTP_ADDREQ_FLAG_ADD | WINHTTP_ADDREQ_FLAG_REPLACE);
    SecureZeroMemory(header, size * sizeof(WCHAR));
    free(header);
    return done;
}

/* The next round of an implicit NTLM or Negotiate handshake, run by BITS
 * itself: finds the server's challenge for the scheme and adds the answer. */
static BOOL answer_implicitly(HINTERNET request, BOOL proxy, const struct transfer_credentials *credentials,
                              const WCHAR *host, struct sspi_handshake **handshake)
{
    WCHAR *challenge, *answer = NULL;
    DWORD index = 0;
    BOOL done, matches;

    if (!*handshake && !(*handshake = sspi_handshake_create(credentials->scheme, host))) return FALSE;
    while ((challenge = next_challenge(request, proxy, &index)))
    {
        if ((matches = sspi_handshake_matches(*handshake, challenge)))
            answer = sspi_handshake_step(*handshake, challenge);
        free(challenge);
        if (matches) break;
    }
    if (!answer) return FALSE;
    done = add_authorization(request, proxy, answer);
    free(answer);
    return done;
}

/* Answers the server's (proxy's) Digest challenge with the job's credentials.
 * A second answer goes only to a challenge that calls the last one's nonce
 * stale: any other means the credentials were refused. */
static BOOL answer_digest(HINTERNET request, BOOL proxy, const struct transfer_credentials *credentials,
                          const WCHAR *target, unsigned int *answers)
{
    WCHAR method[32], *challenge, *answer = NULL;
    DWORD index = 0, size = sizeof(method);
    BOOL stale = FALSE, done = FALSE;

    if (!WinHttpQueryHeaders(request, WINHTTP_QUERY_REQUEST_METHOD, WINHTTP_HEADER_NAME_BY_INDEX, method, &size,
                             WINHTTP_NO_HEADER_INDEX))
        return FALSE;
    while (!answer && (challenge = next_challenge(request, proxy, &index)))
    {
        answer = digest_answer(challenge, credentials->user_name, credentials->password, method, target, &stale);
        free(challenge);
    }
    if (!answer) return FALSE;
    if ((!*answers || stale) && (done = add_authorization(request, proxy, answer))) (*answers)++;
    SecureZeroMemory(answer, wcslen(answer) * sizeof(WCHAR));
    free(answer);
    return done;
}

/* The target of the request line as WinHTTP sends it, malloc'd; NULL if it
 * cannot be read.  Through a proxy it is the absolute URL, which a Digest
 * answer to the proxy must name (RFC 7616 3.4). */
static WCHAR *sent_request_target(HINTERNET request)
{
    DWORD query = WINHTTP_QUERY_RAW_HEADERS_CRLF | WINHTTP_QUERY_FLAG_REQUEST_HEADERS, size = 0;
    WCHAR *headers, *start, *end, *target = NULL;

    WinHttpQueryHeaders(request, query, WINHTTP_HEADER_NAME_BY_INDEX, NULL, &size, WINHTTP_NO_HEADER_INDEX);
    if (GetLastError() != ERROR_INSUFFICIENT_BUFFER || !(headers = malloc(size))) return NULL;
    if (WinHttpQueryHeaders(request, query, WINHTTP_HEADER_NAME_BY_INDEX, headers, &size, WINHTTP_NO_HEADER_INDEX) &&
        (start = wcschr(headers, ' ')) && (end = wcschr(++start, ' ')) && end > start &&
        end < start + wcscspn(start, L"\r\n") && (target = malloc((end - start + 1) * sizeof(WCHAR))))
    {
        memcpy(target, start, (end - start) * sizeof(WCHAR));
        target[end - start] = 0;
    }
    free(headers);
    return target;
}

/* Whether the job's credentials c answer a challenge of target.  Implicit
 * proxy credentials the job was given also answer the server, unless the job
 * has explicit server credentials (the "Authentication" page of the BITS
 * docs); those of the USE_STORED_CREDENTIALS property or of the policy do not
 * (behavior.md 13). */
static BOOL credentials_answer(const struct transfer_options *options, const struct transfer_credentials *c,
                               BG_AUTH_TARGET target)
{
    ULONG i;

    if (c->target == target) return TRUE;
    if (target != BG_AUTH_TARGET_SERVER || c->user_name || c->password || c->implied) return FALSE;
    for (i = 0; i < options->credential_count; i++)
    {
        const struct transfer_credentials *other = &options->credentials[i];
        if (other->target == BG_AUTH_TARGET_SERVER && (other->user_name || other->password)) return FALSE;
    }
    return TRUE;
}

/* What answering a request's challenges has led to so far, per target. */
struct auth_state
{
    struct sspi_handshake *handshake[2];    /* server, proxy: implicit NTLM or Negotiate */
    unsigned int digest_answers[2];
};

/* Answers a 401 or 407 with the job's credentials for a scheme the server
 * offers, strongest first; FALSE when the job has none that fit.
 * request_target is the request's path and query now, after any redirect:
 * what a Digest answer to the server names. */
/* Answers a challenge of scheme with these credentials: TRUE if they were given. */
static BOOL answer_with(const struct transfer_session *session, HINTERNET request, BOOL proxy, DWORD auth_target,
                        const struct transfer_credentials *credentials, const WCHAR *server_host,
                        const WCHAR *request_target, struct auth_state *auth)
{
    struct sspi_handshake **handshake = &auth->handshake[proxy];
    WCHAR host[256];

    if (credentials->scheme == BG_AUTH_SCHEME_DIGEST)
    {
        WCHAR *sent = proxy ? sent_request_target(request) : NULL;
        BOOL answered = answer_digest(request, proxy, credentials, sent ? sent : request_target,
                                      &auth->digest_answers[proxy]);

        free(sent);
        return answered;
    }
    if (!credentials->user_name && !credentials->password)
    {
        /* A handshake under way goes on in its own scheme. */
        if (*handshake && !sspi_handshake_is(*handshake, credentials->scheme)) return FALSE;
        if (proxy) proxy_host(session, server_host, host, ARRAY_SIZE(host));
        else lstrcpynW(host, server_host, ARRAY_SIZE(host));
        /* Refused, or no identity to answer with: the job's other credentials may still fit. */
        return answer_implicitly(request, proxy, credentials, host, handshake);
    }
    return WinHttpSetCredentials(request, auth_target, winhttp_scheme(credentials->scheme), credentials->user_name,
                                 credentials->password, NULL);
}

/* A copy of a URL component, NUL-terminated; FALSE if it does not fit. */
static BOOL url_component(const WCHAR *text, DWORD length, WCHAR *buffer, size_t size)
{
    if (!text || length >= size) return FALSE;
    memcpy(buffer, text, length * sizeof(WCHAR));
    buffer[length] = 0;
    return TRUE;
}

static BOOL set_credentials(const struct transfer_session *session, HINTERNET request, DWORD status,
                            const struct transfer_options *options, const struct url_parts *parts,
                            const WCHAR *request_target, struct auth_state *auth)
{
    static const BG_AUTH_SCHEME preference[] =
    {
        BG_AUTH_SCHEME_NEGOTIATE, BG_AUTH_SCHEME_NTLM, BG_AUTH_SCHEME_DIGEST, BG_AUTH_SCHEME_BASIC,
        BG_AUTH_SCHEME_PASSPORT,
    };
    BG_AUTH_TARGET target = status == HTTP_STATUS_PROXY_AUTH_REQ ? BG_AUTH_TARGET_PROXY : BG_AUTH_TARGET_SERVER;
    BOOL proxy = target == BG_AUTH_TARGET_PROXY, from_url;
    struct transfer_credentials url_credentials = { BG_AUTH_TARGET_SERVER };
    DWORD supported, first, auth_target;
    WCHAR user[301], password[301];
    unsigned int i, j;

    if (!WinHttpQueryAuthSchemes(request, &supported, &first, &auth_target))
    {
        /* Digest is looked for in the headers themselves. */
        supported = WINHTTP_AUTH_SCHEME_DIGEST;
        auth_target = proxy ? WINHTTP_AUTH_TARGET_PROXY : WINHTTP_AUTH_TARGET_SERVER;
    }
    /* A user name and password in the URL (deprecated, behavior.md 7.2) answer
     * the server after the job's own credentials. */
    from_url = !proxy && parts->url.dwUserNameLength &&
               url_component(parts->url.lpszUserName, parts->url.dwUserNameLength, user, ARRAY_SIZE(user)) &&
               url_component(parts->url.lpszPassword ? parts->url.lpszPassword : L"", parts->url.dwPasswordLength,
                             password, ARRAY_SIZE(password));
    url_credentials.user_name = user;
    url_credentials.password = password;
    for (i = 0; i < ARRAY_SIZE(preference); i++)
    {
        DWORD scheme = winhttp_scheme(preference[i]);
        if (!(supported & scheme) && preference[i] != BG_AUTH_SCHEME_DIGEST) continue;
        for (j = 0; j < options->credential_count; j++)
        {
            const struct transfer_credentials *credentials = &options->credentials[j];
            if (credentials->scheme != preference[i] || !credentials_answer(options, credentials, target)) continue;
            if (answer_with(session, request, proxy, auth_target, credentials, parts->host, request_target, auth))
                return TRUE;
        }
        url_credentials.scheme = preference[i];
        if (from_url && preference[i] != BG_AUTH_SCHEME_PASSPORT &&
            answer_with(session, request, proxy, auth_target, &url_credentials, parts->host, request_target, auth))
            return TRUE;
    }
    return FALSE;
}

struct transfer_progress_relay
{
    transfer_progress_callback progress;
    void *context;
    UINT64 base;   /* bytes of the local file before this request's part */
    UINT64 total;  /* size the local file will have, or BG_SIZE_UNKNOWN */
};

static BOOL report(const struct transfer_progress_relay *relay, UINT64 transferred, UINT64 total)
{
    return relay->progress(relay->context, relay->base + transferred,
                           relay->total != BG_SIZE_UNKNOWN || relay->base ? relay->total : total);
}

/* What the download logic needs of a response, from WinHTTP or from the plain client. */
struct response
{
    DWORD status;
    BOOL has_length;
    UINT64 length;
    WCHAR *content_range;
    WCHAR *etag;
    WCHAR *last_modified;
    WCHAR *location;
    WCHAR *raw_headers;   /* status line and headers, CR/LF separated */
    BOOL chunked;
    BOOL keep_alive;
};

static void free_response(struct response *response)
{
    free(response->content_range);
    free(response->etag);
    free(response->last_modified);
    free(response->location);
    free(response->raw_headers);
    memset(response, 0, sizeof(*response));
}

/* Reads body bytes; *read 0 at the end.  FALSE with the result set on failure. */
typedef BOOL (*body_reader)(void *context, BYTE *buffer, DWORD size, DWORD *read, struct transfer_result *result);

/* Whether a response's bytes are of another version of the file than the
 * bytes on disk, whose validator (take_validator's: the date, else a strong
 * ETag; or an ETag a record kept from before) is known: a server that ignores If-Range, or a range fetched without
 * one, sends the bytes of whatever version it has now.  A response without
 * that kind of validator cannot tell. */
static BOOL other_version(const WCHAR *validator, const struct response *response)
{
    if (!validator) return FALSE;
    if (validator[0] == '"')
        return response->etag && wcsncmp(response->etag, L"W/", 2) && wcscmp(response->etag, validator);
    return response->last_modified && wcscmp(response->last_modified, validator);
}

/* What identifies the bytes of an accepted response for a later If-Range: the
 * date, else a strong ETag; and the remote file's last-write time. */
static void take_validator(const struct response *response, struct transfer_result *result)
{
    SYSTEMTIME modified;

    free(result->validator);
    result->validator = NULL;
    result->validated = TRUE;
    /* A version is its size and time stamp (behavior.md 7.7): the same file
     * from another server (a mirror, a farm whose machines make ETags of
     * their own) goes on where it stopped.  An ETag only where there is no date. */
    if (response->last_modified) result->validator = strdupW(response->last_modified);
    else if (response->etag && wcsncmp(response->etag, L"W/", 2)) result->validator = strdupW(response->etag);
    if (response->last_modified && WinHttpTimeToSystemTime(response->last_modified, &modified))
        SystemTimeToFileTime(&modified, &result->modified);
}

/* Decides what a response means for this part of the file.  TRUE: take the body,
 * from *offset, *total bytes in all; FALSE: the result says why not. */
static BOOL accept_response(const struct transfer_request *transfer, const struct response *response,
                            const struct url_parts *parts, UINT64 first_wanted, UINT64 length, BOOL custom_method,
                            UINT64 *offset, UINT64 *total, UINT64 *remote_size, struct transfer_result *result)
{
    BOOL whole_file = !first_wanted && length == BG_LENGTH_TO_EOF;
    UINT64 first, last;
    DWORD status = response->status;

    *total = BG_SIZE_UNKNOWN;
    free(result->response_headers);
    result->response_headers = strdupW(response->raw_headers);

    if (status == 206 && (*offset || !whole_file))
    {
        BOOL parsed = parse_content_range(response->content_range, &first, &last, total);
        /* To the end: of the size the server says, else of the size known (a total of "*"). */
        UINT64 known_end = *total != BG_SIZE_UNKNOWN ? *total : transfer->remote_size;

        if (!parsed || first != first_wanted + *offset ||
            (length == BG_LENGTH_TO_EOF ? known_end != BG_SIZE_UNKNOWN && last + 1 != known_end
                                        : last + 1 != first_wanted + length))
        {
            /* Other bytes than the ones asked for, or no Content-Range to say which.
             * A whole file is fetched again without Range (a changed file's way);
             * a range needs a server that answers ranges (7.5, 11.1), and asking
             * again would get the same answer. */
            if (whole_file) transfer_set_failure(result, BG_E_REMOTE_FILE_CHANGED, BG_ERROR_CONTEXT_REMOTE_FILE, TRUE);
            else if (!response->content_range)
                transfer_set_failure(result, BG_E_INSUFFICIENT_RANGE_SUPPORT, BG_ERROR_CONTEXT_REMOTE_FILE, FALSE);
            /* The range runs past the end of the file, where the server cut it:
             * the range is outside the remote file (7.5), not the server wrong. */
            else if (parsed && first == first_wanted + *offset && length != BG_LENGTH_TO_EOF &&
                     *total != BG_SIZE_UNKNOWN && last + 1 == *total && first_wanted + length > *total)
                transfer_set_failure(result, BG_E_INVALID_RANGE, BG_ERROR_CONTEXT_REMOTE_FILE, FALSE);
            else transfer_set_failure(result, BG_E_INVALID_SERVER_RESPONSE, BG_ERROR_CONTEXT_REMOTE_FILE, FALSE);
            return FALSE;
        }
        /* A body of another length than the range would run into the next response. */
        if (response->has_length && response->length != last + 1 - first)
        {
            transfer_set_failure(result, BG_E_INVALID_SERVER_RESPONSE, BG_ERROR_CONTEXT_REMOTE_FILE, FALSE);
            return FALSE;
        }
        if (((whole_file || transfer->check_size) && transfer->remote_size != BG_SIZE_UNKNOWN &&
             *total != BG_SIZE_UNKNOWN && *total != transfer->remote_size) || other_version(transfer->validator, response))
        {
            /* Another size, or another version, than the bytes we have came from: the
             * file changed (7.7).  Between the ranges of one file, the size is the only
             * sign of it without a validator. */
            transfer_set_failure(result, BG_E_REMOTE_FILE_CHANGED, BG_ERROR_CONTEXT_REMOTE_FILE, TRUE);
            return FALSE;
        }
        *remote_size = *total;
        *total = last + 1 - first_wanted;  /* what this part of the local file gets */
    }
    else if (status == 200 && !whole_file && (length != BG_LENGTH_TO_EOF || first_wanted))
    {
        /* Ranges need a server that honours them. */
        transfer_set_failure(result, BG_E_INSUFFICIENT_RANGE_SUPPORT, BG_ERROR_CONTEXT_REMOTE_FILE, FALSE);
        return FALSE;
    }
    else if (status == 416 && !whole_file)
    {
        transfer_set_failure(result, BG_E_INVALID_RANGE, BG_ERROR_CONTEXT_REMOTE_FILE, FALSE);
        return FALSE;
    }
    else if (status == 416 && *offset)
    {
        /* Nothing at the resume offset: the file shrank, a change If-Range could not
         * show (the server gives no validator). */
        transfer_set_failure(result, BG_E_REMOTE_FILE_CHANGED, BG_ERROR_CONTEXT_REMOTE_FILE, TRUE);
        return FALSE;
    }
    else if (status == 200)
    {
        *total = response->has_length ? response->length : BG_SIZE_UNKNOWN;
        /* Dynamic content and custom verbs need no length (behavior.md 11.1). */
        if (*total == BG_SIZE_UNKNOWN && !transfer->options->dynamic_content && !custom_method)
        {
            transfer_set_failure(result, BG_E_MISSING_FILE_SIZE, BG_ERROR_CONTEXT_REMOTE_FILE, FALSE);
            return FALSE;
        }
        if (*offset)
        {
            /* The whole file instead of the rest: it changed, or the server ignores Range. */
            TRACE("Full response to a resume, restarting from 0.\n");
            if (!restart_file(transfer->file))
            {
                transfer_set_failure(result, HRESULT_FROM_WIN32(GetLastError()), BG_ERROR_CONTEXT_LOCAL_FILE, TRUE);
                return FALSE;
            }
            *offset = 0;
        }
        *remote_size = *total;
    }
    else if (redirect_refused(transfer->options, status))
    {
        refuse_redirect(result, status, parts->text, response->location);
        return FALSE;
    }
    else
    {
        /* Other 3xx answers (304, 300, a redirect without a Location) are HTTP errors too. */
        transfer_set_failure(result, MAKE_HRESULT(SEVERITY_ERROR, FACILITY_HTTP, status), BG_ERROR_CONTEXT_REMOTE_FILE,
                    status_is_transient(status) && !custom_method);
        return FALSE;
    }

    take_validator(response, result);
    return TRUE;
}

static void receive_body(body_reader read_body, void *context, const struct transfer_request *transfer,
                         UINT64 offset, UINT64 total, const struct transfer_progress_relay *relay,
                         struct transfer_result *result)
{
    UINT64 transferred = offset;
    DWORD read, written, buffer_size = READ_BUFFER_SIZE;
    BYTE *buffer;

    /* A small file needs no large buffer, which costs a mapping of its own. */
    if (total != BG_SIZE_UNKNOWN && total - offset < buffer_size) buffer_size = max(1, (DWORD)(total - offset));
    if (transfer->max_read && transfer->max_read < buffer_size) buffer_size = transfer->max_read;
    if (!(buffer = malloc(buffer_size)))
    {
        transfer_set_failure(result, E_OUTOFMEMORY, BG_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER, TRUE);
        return;
    }
    for (;;)
    {
        /* Never ask for more than the announced length: the connection may be kept alive. */
        DWORD want = total == BG_SIZE_UNKNOWN ? buffer_size : (DWORD)min(buffer_size, total - transferred);
        if (!want) break;
        if (!read_body(context, buffer, want, &read, result)) break;
        if (!read) break;
        if (total != BG_SIZE_UNKNOWN && transferred + read > total)
        {
            /* More than the server announced: it is lying about the length. */
            transfer_set_failure(result, BG_E_INVALID_SERVER_RESPONSE, BG_ERROR_CONTEXT_REMOTE_FILE, TRUE);
            break;
        }
        if (!WriteFile(transfer->file, buffer, read, &written, NULL) || written != read)
        {
            DWORD error = GetLastError();
            transfer_set_failure(result, HRESULT_FROM_WIN32(error ? error : ERROR_DISK_FULL), BG_ERROR_CONTEXT_LOCAL_FILE, TRUE);
            break;
        }
        transferred += read;
        /* A stop asked for on the last block comes too late: the data is all in. */
        if (!report(relay, transferred, total) && transferred != total)
        {
            result->aborted = TRUE;
            break;
        }
    }
    free(buffer);

    if (SUCCEEDED(result->code) && !result->aborted && total != BG_SIZE_UNKNOWN && transferred != total)
        transfer_set_failure(result, BG_E_CONNECTION_CLOSED, BG_ERROR_CONTEXT_REMOTE_FILE, TRUE);
    if (SUCCEEDED(result->code) && !result->aborted && total == BG_SIZE_UNKNOWN)
        report(relay, transferred, transferred);  /* dynamic content: the size is what arrived */
    result->total = transferred;
}

/* ---- through WinHTTP ---- */

static BOOL winhttp_read(void *context, BYTE *buffer, DWORD size, DWORD *read, struct transfer_result *result)
{
    DWORD available = 0;

    /* Wine's WinHttpReadData waits until the whole buffer is filled: asking for
     * what has arrived keeps progress, stops and checkpoints coming on a slow link. */
    *read = 0;
    if (!WinHttpQueryDataAvailable(context, &available))
    {
        set_winhttp_failure(result, GetLastError());
        return FALSE;
    }
    if (!available) return TRUE;
    if (WinHttpReadData(context, buffer, min(size, available), read)) return TRUE;
    set_winhttp_failure(result, GetLastError());
    return FALSE;
}

static void winhttp_response(HINTERNET request, DWORD status, struct response *response)
{
    WCHAR buffer[32];
    const WCHAR *end;
    DWORD size = sizeof(buffer);

    response->status = status;
    if (WinHttpQueryHeaders(request, WINHTTP_QUERY_CONTENT_LENGTH, WINHTTP_HEADER_NAME_BY_INDEX, buffer, &size,
                            WINHTTP_NO_HEADER_INDEX))
        response->has_length = parse_decimal(buffer, &end, &response->length) && !*end;
    response->content_range = query_string(request, WINHTTP_QUERY_CUSTOM, L"Content-Range");
    response->etag = query_string(request, WINHTTP_QUERY_ETAG, WINHTTP_HEADER_NAME_BY_INDEX);
    response->last_modified = query_string(request, WINHTTP_QUERY_LAST_MODIFIED, WINHTTP_HEADER_NAME_BY_INDEX);
    response->location = query_string(request, WINHTTP_QUERY_LOCATION, WINHTTP_HEADER_NAME_BY_INDEX);
    response->raw_headers = query_string(request, WINHTTP_QUERY_RAW_HEADERS_CRLF, WINHTTP_HEADER_NAME_BY_INDEX);
}

/* Before the first request of a job to a TLS server whose certificate the
 * job's validation callback has not accepted yet: a HEAD with nothing of the
 * job's (no custom headers, no credentials, no redirect) has the callback
 * asked, since WinHTTP cannot hold a request back once its connection is up.
 * The real request then mostly reuses the connection, and a new one is
 * checked again.  FALSE with the result set when the certificate is refused. */
static BOOL probe_certificate(struct transfer_session *session, const struct url_parts *parts,
                              const struct transfer_options *options, struct transfer_result *result)
{
    struct transfer_options bare = { 0 };
    struct http_exchange probe = { 0 };
    struct request_watch watch;
    BOOL refused;

    bare.security_flags = options->security_flags;
    bare.client_certificate = options->client_certificate;
    bare.check_server_certificate = options->check_server_certificate;
    bare.check_context = options->check_context;
    if (!(probe.connection = WinHttpConnect(session->winhttp, parts->host, parts->url.nPort, 0)) ||
        !(probe.request = WinHttpOpenRequest(probe.connection, L"HEAD", parts->path, NULL, WINHTTP_NO_REFERER,
                                             WINHTTP_DEFAULT_ACCEPT_TYPES, WINHTTP_FLAG_SECURE)))
    {
        transfer_http_end(&probe);
        return TRUE;  /* the real request meets the same trouble and says so */
    }
    watch_init(&watch, parts, &bare);
    apply_options(probe.request, TRUE, &bare, &watch);
    if (WinHttpSendRequest(probe.request, WINHTTP_NO_ADDITIONAL_HEADERS, 0, NULL, 0, 0, 0) &&
        SUCCEEDED(watch.verdict) && WinHttpReceiveResponse(probe.request, NULL))
        transfer_http_drain(&probe);
    unwatch(probe.request);
    refused = watch_refused(&watch, result);
    transfer_http_end(&probe);
    return !refused;
}

/* One request through WinHTTP to one server: connects, applies the job's
 * options and custom headers, adds the given headers (NULL ones skipped), sends
 * the body, and answers authentication challenges with the job's credentials.
 * FALSE with the result set when no response came; the exchange is closed then. */
static BOOL exchange_once(struct transfer_session *session, const struct url_parts *parts, const WCHAR *verb,
                          const WCHAR *const *headers, unsigned int header_count, const void *body, DWORD body_size,
                          const struct transfer_options *options, struct http_exchange *exchange,
                          struct transfer_result *result)
{
    struct auth_state auth = { { NULL, NULL } };
    unsigned int round, i;
    BOOL secure = parts->url.nScheme == INTERNET_SCHEME_HTTPS, answered;
    struct request_watch watch;
    DWORD size;

    memset(exchange, 0, sizeof(*exchange));
    if (secure && FAILED(options->client_certificate_error))
    {
        transfer_set_failure(result, options->client_certificate_error, BG_ERROR_CONTEXT_REMOTE_FILE, FALSE);
        return FALSE;
    }
    if (secure && options->check_server_certificate &&
        options->check_server_certificate(options->check_context, parts->host, parts->url.nPort, NULL) != S_OK &&
        !probe_certificate(session, parts, options, result))
        return FALSE;
    if (!(exchange->connection = WinHttpConnect(session->winhttp, parts->host, parts->url.nPort, 0)) ||
        !(exchange->request = WinHttpOpenRequest(exchange->connection, verb, parts->path, NULL,
                                                 WINHTTP_NO_REFERER, WINHTTP_DEFAULT_ACCEPT_TYPES,
                                                 secure ? WINHTTP_FLAG_SECURE : 0)))
    {
        set_winhttp_failure(result, GetLastError());
        transfer_http_end(exchange);
        return FALSE;
    }
    /* An upload's Ack may wait for the server application, which has five
     * minutes (behavior.md 5.1, 16.4); WinHTTP's own limit is 30 s. */
    if (!wcscmp(verb, L"BITS_POST"))
    {
        DWORD timeout = UPLOAD_ACK_TIMEOUT_MS;

        WinHttpSetOption(exchange->request, WINHTTP_OPTION_RECEIVE_TIMEOUT, &timeout, sizeof(timeout));
        WinHttpSetOption(exchange->request, WINHTTP_OPTION_RECEIVE_RESPONSE_TIMEOUT, &timeout, sizeof(timeout));
    }
    watch_init(&watch, parts, options);
    apply_options(exchange->request, secure, options, &watch);
    if (options->custom_headers && *options->custom_headers &&
        !WinHttpAddRequestHeaders(exchange->request, options->custom_headers, -1, WINHTTP_ADDREQ_FLAG_ADD))
        WARN("Could not add the custom headers, error %lu.\n", GetLastError());
    for (i = 0; i < header_count; i++)
        if (headers[i])
            WinHttpAddRequestHeaders(exchange->request, headers[i], -1, WINHTTP_ADDREQ_FLAG_ADD | WINHTTP_ADDREQ_FLAG_REPLACE);
    for (round = 0;; round++)
    {
        size = sizeof(exchange->status);
        if (!WinHttpSendRequest(exchange->request, WINHTTP_NO_ADDITIONAL_HEADERS, 0, (void *)body, body_size,
                                body_size, 0) ||
            FAILED(watch.verdict) ||
            !WinHttpReceiveResponse(exchange->request, NULL) ||
            FAILED(watch.verdict) ||
            !WinHttpQueryHeaders(exchange->request, WINHTTP_QUERY_STATUS_CODE | WINHTTP_QUERY_FLAG_NUMBER,
                                 WINHTTP_HEADER_NAME_BY_INDEX, &exchange->status, &size, WINHTTP_NO_HEADER_INDEX))
        {
            DWORD error = GetLastError();

            if (!watch_refused(&watch, result))
            {
                set_winhttp_failure(result, error);
                /* The system refused the server's certificate, which comes again on every try. */
                if (watch.secure_failure) result->transient = FALSE;
            }
            transfer_http_end(exchange);
            answered = FALSE;
            break;
        }
        if ((exchange->status != HTTP_STATUS_DENIED && exchange->status != HTTP_STATUS_PROXY_AUTH_REQ) ||
            round == MAX_AUTH_ROUNDS ||
            !set_credentials(session, exchange->request, exchange->status, options, parts, parts->path, &auth))
        {
            answered = TRUE;
            break;
        }
        /* Drain what came with the challenge before asking again. */
        transfer_http_drain(exchange);
    }
    if (exchange->request) unwatch(exchange->request);
    sspi_handshake_free(auth.handshake[0]);
    sspi_handshake_free(auth.handshake[1]);
    return answered;
}

/* WinHTTP's most (WINHTTP_OPTION_MAX_HTTP_AUTOMATIC_REDIRECTS). */
#define MAX_REDIRECTS 10

/* The answers followed unless the policy is DISALLOW: Wine's WinHTTP fails on
 * 303, does not follow 308, resolves a relative Location against the wrong
 * directory and takes a Location of another scheme for a path on the same
 * server, so it follows none and exchange_parts does. */
static BOOL redirect_followed(const struct transfer_options *options, DWORD status)
{
    if ((options->security_flags & BG_HTTP_REDIRECT_POLICY_MASK) == BG_HTTP_REDIRECT_POLICY_DISALLOW) return FALSE;
    return status == HTTP_STATUS_MOVED || status == HTTP_STATUS_REDIRECT || status == HTTP_STATUS_REDIRECT_METHOD ||
           status == HTTP_STATUS_REDIRECT_KEEP_VERB || status == 308;
}

/* Where a redirect of the exchange leads, malloc'd; NULL with the result set
 * (and the exchange closed) when it may not be followed: only to HTTP or HTTPS
 * (a job never goes to SMB or a local file, behavior.md 7.2), from HTTPS to
 * HTTP only with BG_HTTP_REDIRECT_POLICY_ALLOW_HTTPS_TO_HTTP, and at most
 * MAX_REDIRECTS times, as WinHTTP: ERROR_WINHTTP_REDIRECT_FAILED otherwise. */
static WCHAR *redirect_target(const struct url_parts *parts, const struct transfer_options *options,
                              unsigned int redirects, struct http_exchange *exchange, struct transfer_result *result)
{
    WCHAR *location, *target;

    if (!(location = query_string(exchange->request, WINHTTP_QUERY_LOCATION, WINHTTP_HEADER_NAME_BY_INDEX)))
        return NULL;
    target = transfer_resolve_url(parts->text, location);
    free(location);
    if (target && transfer_is_http_url(target) && redirects < MAX_REDIRECTS &&
        (parts->url.nScheme != INTERNET_SCHEME_HTTPS || _wcsnicmp(target, L"http://", 7) ||
         (options->security_flags & BG_HTTP_REDIRECT_POLICY_ALLOW_HTTPS_TO_HTTP)))
        return target;
    transfer_http_end(exchange);
    if (!target)
    {
        transfer_set_failure(result, E_OUTOFMEMORY, BG_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER, TRUE);
        return NULL;
    }
    TRACE("Not following the redirect from %s to %s.\n", debugstr_w(parts->text), debugstr_w(target));
    free(target);
    set_winhttp_failure(result, ERROR_WINHTTP_REDIRECT_FAILED);
    return NULL;
}

/* exchange_once, following the redirects the job's policy allows (behavior.md
 * 7.2, 11.3): 303 asks the new URL with GET, and so do 301 and 302 a POST;
 * under ALLOW_REPORT, the URL that answered is left in the result.  A redirect
 * without a Location is the answer.  Each URL goes the way the job's proxy
 * settings name for it (root is the session route() picks from). */
static BOOL exchange_parts(struct transfer_session *root, const struct url_parts *first, const WCHAR *verb,
                           const WCHAR *const *headers, unsigned int header_count, const void *body, DWORD body_size,
                           const struct transfer_options *options, struct http_exchange *exchange,
                           struct transfer_result *result)
{
    const struct url_parts *parts = first;
    struct url_parts hop = { 0 }, next;
    struct transfer_session *session;
    WCHAR *target, *hop_url = NULL;
    unsigned int redirects;
    BOOL answered;

    memset(exchange, 0, sizeof(*exchange));
    for (redirects = 0;; redirects++)
    {
        if (!(session = route(root, parts->text, result)))
        {
            answered = FALSE;
            break;
        }
        if (!(answered = exchange_once(session, parts, verb, headers, header_count, body, body_size, options,
                                       exchange, result)) ||
            !redirect_followed(options, exchange->status))
            break;
        if (!(target = redirect_target(parts, options, redirects, exchange, result)))
        {
            /* Without a Location the exchange stands; otherwise it was closed. */
            answered = !!exchange->request;
            break;
        }
        transfer_http_end(exchange);
        if (!crack_url(target, &next, result))
        {
            free(target);
            answered = FALSE;
            break;
        }
        if ((exchange->status == HTTP_STATUS_REDIRECT_METHOD && wcscmp(verb, L"HEAD")) ||
            ((exchange->status == HTTP_STATUS_MOVED || exchange->status == HTTP_STATUS_REDIRECT) && !wcscmp(verb, L"POST")))
        {
            verb = L"GET";
            body = NULL;
            body_size = 0;
        }
        TRACE("Redirected (%lu) to %s.\n", exchange->status, debugstr_w(target));
        free(hop.path);
        free(hop_url);
        hop = next;
        hop.url.lpszHostName = hop.host;
        hop_url = target;
        parts = &hop;
    }
    if (answered && hop_url)
    {
        /* Not where a redirect pointed, where the answer came from. */
        if ((options->security_flags & BG_HTTP_REDIRECT_POLICY_MASK) == BG_HTTP_REDIRECT_POLICY_ALLOW_REPORT)
        {
            free(result->final_url);
            result->final_url = strdupW(hop_url);
        }
        exchange->url = hop_url;
        hop_url = NULL;
    }
    free(hop.path);
    free(hop_url);
    return answered;
}

static void get_part_winhttp(struct transfer_session *session, const struct transfer_request *transfer,
                             const struct url_parts *parts, const WCHAR *range, const WCHAR *if_range,
                             UINT64 first_wanted, UINT64 length, UINT64 offset,
                             const struct transfer_progress_relay *relay, UINT64 *remote_size,
                             struct transfer_result *result)
{
    const struct transfer_options *options = transfer->options;
    BOOL custom_method = options->method && wcscmp(options->method, L"GET");
    const WCHAR *headers[2] = { range, if_range };
    struct response response = { 0 };
    struct http_exchange exchange;
    HINTERNET request;
    DWORD status;
    UINT64 total;

    if (!exchange_parts(session, parts, custom_method ? options->method : L"GET", headers, ARRAY_SIZE(headers),
                        NULL, 0, options, &exchange, result))
    {
        /* A custom verb's errors are all fatal (behavior.md 11.7). */
        if (custom_method) result->transient = FALSE;
        return;
    }
    request = exchange.request;
    status = exchange.status;
    TRACE("%s: status %lu, offset %s.\n", debugstr_w(transfer->remote_name), status, wine_dbgstr_longlong(offset));

    winhttp_response(request, status, &response);
    if (!accept_response(transfer, &response, parts, first_wanted, length, custom_method, &offset, &total,
                         remote_size, result))
        goto done;
    if (!report(relay, offset, total))
    {
        result->aborted = TRUE;
        goto done;
    }
    receive_body(winhttp_read, request, transfer, offset, total, relay, result);
    /* Errors after data arrived are worth a retry only when the transfer can resume. */
    if (custom_method) result->transient = FALSE;

done:
    free_response(&response);
    transfer_http_end(&exchange);
}

/* ---- single exchanges, for the upload protocol ---- */

BOOL transfer_http_exchange(struct transfer_session *session, const WCHAR *url, const WCHAR *verb,
                            const WCHAR *headers, const void *body, DWORD body_size,
                            const struct transfer_options *options, struct http_exchange *exchange,
                            struct transfer_result *result)
{
    struct url_parts parts = { url, { sizeof(parts.url) } };

    memset(exchange, 0, sizeof(*exchange));
    parts.url.lpszHostName = parts.host;
    parts.url.dwHostNameLength = ARRAY_SIZE(parts.host);
    parts.url.dwUrlPathLength = 1;
    parts.url.dwUserNameLength = parts.url.dwPasswordLength = 1;
    if (!session || !WinHttpCrackUrl(url, 0, 0, &parts.url))
    {
        transfer_set_failure(result, session ? HRESULT_FROM_WIN32(GetLastError()) : E_FAIL, BG_ERROR_CONTEXT_REMOTE_FILE, FALSE);
        return FALSE;
    }
    /* The path runs to the end of the URL: its query too. */
    parts.path = parts.url.lpszUrlPath;
    return exchange_parts(session, &parts, verb, &headers, 1, body, body_size, options, exchange, result);
}

WCHAR *transfer_http_header(struct http_exchange *exchange, const WCHAR *name)
{
    return query_string(exchange->request, WINHTTP_QUERY_CUSTOM, name);
}

void transfer_http_drain(struct http_exchange *exchange)
{
    BYTE sink[4096];
    DWORD size;

    while (WinHttpQueryDataAvailable(exchange->request, &size) && size)
        if (!WinHttpReadData(exchange->request, sink, min(size, sizeof(sink)), &size) || !size) break;
}

void transfer_http_end(struct http_exchange *exchange)
{
    if (exchange->request) WinHttpCloseHandle(exchange->request);
    if (exchange->connection) WinHttpCloseHandle(exchange->connection);
    exchange->request = exchange->connection = NULL;
    free(exchange->url);
    exchange->url = NULL;
}

BOOL transfer_http_status_is_transient(DWORD status)
{
    return status_is_transient(status);
}

/* ---- the plain fast path ---- */

struct plain_body
{
    struct http_connection *connection;
    const struct transfer_request *transfer;
    BOOL closed;  /* the server ended the connection */
};

static BOOL plain_read(void *context, BYTE *buffer, DWORD size, DWORD *read, struct transfer_result *result)
{
    struct plain_body *body = context;
    DWORD error;

    if (!(error = http_connection_read(body->connection, buffer, size, read, body->transfer->keep_going,
                                       body->transfer->context)))
    {
        if (!*read) body->closed = TRUE;
        return TRUE;
    }
    body->closed = TRUE;
    if (error == ERROR_CANCELLED)
    {
        /* The job stopped while the server kept us waiting. */
        result->aborted = TRUE;
        return FALSE;
    }
    transfer_set_failure(result, error == WSAETIMEDOUT ? HRESULT_FROM_WIN32(ERROR_WINHTTP_TIMEOUT) : BG_E_CONNECTION_CLOSED,
                BG_ERROR_CONTEXT_REMOTE_FILE, TRUE);
    return FALSE;
}

static WCHAR *to_wide(const char *text, int size)
{
    int len = MultiByteToWideChar(CP_UTF8, 0, text, size, NULL, 0);
    WCHAR *wide;

    if (!(wide = malloc((len + 1) * sizeof(WCHAR)))) return NULL;
    MultiByteToWideChar(CP_UTF8, 0, text, size, wide, len);
    wide[len] = 0;
    return wide;
}

static void set_header(WCHAR **field, const char *value, int len)
{
    free(*field);
    *field = to_wide(value, len);
}

/* The response head of the plain client, parsed. FALSE if it is not HTTP. */
static BOOL parse_head(const char *head, struct response *response)
{
    const char *line, *end, *colon, *value, *blank;
    BOOL http11, seen_length = FALSE;
    int len;

    if (strncmp(head, "HTTP/1.", 7) || !(end = strstr(head, "\r\n")) || !(blank = strstr(head, "\r\n\r\n")))
        return FALSE;
    /* The status is three digits (RFC 9112 4), as WinHTTP requires too. */
    if (head[8] != ' ' || !isdigit((unsigned char)head[9]) || !isdigit((unsigned char)head[10]) ||
        !isdigit((unsigned char)head[11]) || (head[12] != ' ' && head[12] != '\r'))
        return FALSE;
    http11 = head[7] == '1';
    response->status = strtoul(head + 9, NULL, 10);
    response->keep_alive = http11;
    for (line = end + 2; (end = strstr(line, "\r\n")) && end != line; line = end + 2)
    {
        if (!(colon = memchr(line, ':', end - line))) continue;
        for (value = colon + 1; *value == ' ' || *value == '\t'; value++) ;
        /* Nor is white space after it part of the value (RFC 9112 5). */
        for (len = end - value; len && (value[len - 1] == ' ' || value[len - 1] == '\t'); len--) ;
#define HEADER(name) (colon - line == sizeof(name) - 1 && !_strnicmp(line, name, sizeof(name) - 1))
        if (HEADER("Content-Length"))
        {
            WCHAR digits[24];
            const WCHAR *stop;
            int i;

            /* The first one counts, as in WinHTTP. */
            if (seen_length) continue;
            seen_length = TRUE;
            for (i = 0; i < len && i < ARRAY_SIZE(digits) - 1; i++) digits[i] = (BYTE)value[i];
            digits[i] = 0;
            response->has_length = len < ARRAY_SIZE(digits) && parse_decimal(digits, &stop, &response->length) &&
                                   !*stop;
        }
        /* A repeated header replaces the earlier one. */
        else if (HEADER("Content-Range")) set_header(&response->content_range, value, len);
        else if (HEADER("ETag")) set_header(&response->etag, value, len);
        else if (HEADER("Last-Modified")) set_header(&response->last_modified, value, len);
        else if (HEADER("Location")) set_header(&response->location, value, len);
        else if (HEADER("Transfer-Encoding")) response->chunked = TRUE;
        else if (HEADER("Connection"))
        {
            if (len >= 5 && !_strnicmp(value, "close", 5)) response->keep_alive = FALSE;
            else if (len >= 10 && !_strnicmp(value, "keep-alive", 10)) response->keep_alive = TRUE;
        }
#undef HEADER
    }
    response->raw_headers = to_wide(head, blank + 4 - head);
    return TRUE;
}

static char *to_utf8(const WCHAR *text)
{
    int len = WideCharToMultiByte(CP_UTF8, 0, text, -1, NULL, 0, NULL, NULL);
    char *utf8;

    if ((utf8 = malloc(len))) WideCharToMultiByte(CP_UTF8, 0, text, -1, utf8, len, NULL, NULL);
    return utf8;
}

/* A request of the plain client: the verb and path, the headers BITS sends,
 * the range ones if any, then the job's own.  malloc'd with its *size, or NULL. */
static char *plain_request(const char *verb, const struct url_parts *parts, const char *range, const char *if_range,
                           const char *headers, DWORD *size)
{
    char *path = to_utf8(parts->path), *host = to_utf8(parts->host), *request = NULL;
    /* Each custom header is CR/LF terminated; make sure the last one is. */
    BOOL unterminated = headers && (strlen(headers) < 2 || strcmp(headers + strlen(headers) - 2, "\r\n"));
    size_t capacity;

    if (path && host)
    {
        capacity = strlen(verb) + strlen(path) + strlen(host) + (range ? strlen(range) : 0) +
                   (if_range ? strlen(if_range) : 0) + (headers ? strlen(headers) : 0) + 128;
        if ((request = malloc(capacity)))
            *size = snprintf(request, capacity,
                             "%s %s HTTP/1.1\r\nHost: %s:%u\r\nUser-Agent: Microsoft BITS/7.8\r\nAccept: */*\r\n"
                             "%s%s%s%s%s%s\r\n", verb, path, host, parts->url.nPort,
                             range ? range : "", range ? "\r\n" : "", if_range ? if_range : "", if_range ? "\r\n" : "",
                             headers ? headers : "", unterminated ? "\r\n" : "");
    }
    free(path);
    free(host);
    return request;
}


/* What the requests sent ahead of the one under way are made of. */
struct plain_ahead
{
    const struct transfer_request *transfer;
    const struct url_parts *parts;   /* of the request under way: the others go to the same server */
    const char *headers;             /* the job's own, UTF-8 */
};

/* A GET of the whole of the n-th file after this one, if it is on the same server. */
static char *next_plain_request(void *context, DWORD n, DWORD *size)
{
    struct plain_ahead *ahead = context;
    struct transfer_result result = { 0 };
    struct url_parts parts;
    char *request = NULL;
    WCHAR *url;

    if (!ahead->transfer->upcoming || !(url = ahead->transfer->upcoming(ahead->transfer->upcoming_context, n)))
        return NULL;
    if (crack_url(url, &parts, &result))
    {
        if (parts.url.nScheme == INTERNET_SCHEME_HTTP && parts.url.nPort == ahead->parts->url.nPort &&
            !wcsicmp(parts.host, ahead->parts->host) && !parts.url.dwUserNameLength)
            request = plain_request("GET", &parts, NULL, NULL, ahead->headers, size);
        free(parts.path);
    }
    free(url);
    return request;
}

/* The fast path.  FALSE: leave this request to WinHTTP (nothing was written). */
static BOOL get_part_plain(struct transfer_session *session, const struct transfer_request *transfer,
                           const struct url_parts *parts, const WCHAR *range, const WCHAR *if_range,
                           UINT64 first_wanted, UINT64 length, UINT64 offset,
                           const struct transfer_progress_relay *relay, UINT64 *remote_size,
                           struct transfer_result *result)
{
    const struct transfer_options *options = transfer->options;
    struct plain_body body = { session->connection, transfer };
    struct plain_ahead ahead = { transfer, parts };
    struct response response = { 0 };
    char *headers = NULL, *range_utf8 = NULL, *if_range_utf8 = NULL, *request = NULL;
    const char *head;
    UINT64 total, body_start;
    DWORD error, size;
    BOOL done = TRUE;

    if (options->custom_headers && *options->custom_headers) headers = to_utf8(options->custom_headers);
    if (range) range_utf8 = to_utf8(range);
    if (if_range) if_range_utf8 = to_utf8(if_range);
    if ((!options->custom_headers || !*options->custom_headers || headers) && (!range || range_utf8) &&
        (!if_range || if_range_utf8))
        request = plain_request("GET", parts, range_utf8, if_range_utf8, headers, &size);
    free(range_utf8);
    free(if_range_utf8);
    if (!request)
    {
        free(headers);
        return FALSE;
    }
    ahead.headers = headers;
    error = http_connection_request(session->connection, parts->host, parts->url.nPort, request, size,
                                    next_plain_request, &ahead, &head, transfer->keep_going, transfer->context);
    free(request);
    free(headers);
    if (error == ERROR_CANCELLED) result->aborted = TRUE;
    else if (error) set_winhttp_failure(result, error);
    if (error) return TRUE;
    if (!parse_head(head, &response))
    {
        /* Not HTTP: the code and context WinHTTP's path reports. */
        http_connection_finish(session->connection, FALSE);
        set_winhttp_failure(result, ERROR_WINHTTP_INVALID_SERVER_RESPONSE);
        goto done;
    }
    TRACE("%s: status %lu, offset %s (plain).\n", debugstr_w(transfer->remote_name), response.status,
          wine_dbgstr_longlong(offset));
    /* Requests sent ahead on a connection the server ends are lost. */
    if (!response.keep_alive) http_connection_no_pipelining(session->connection);
    if ((response.status >= 300 && response.status < 400 &&
         (options->security_flags & BG_HTTP_REDIRECT_POLICY_MASK) != BG_HTTP_REDIRECT_POLICY_DISALLOW) ||
        response.status == HTTP_STATUS_DENIED || response.status == HTTP_STATUS_PROXY_AUTH_REQ || response.chunked)
    {
        /* Redirects, challenges and chunked bodies are WinHTTP's business. */
        http_connection_finish(session->connection, FALSE);
        done = FALSE;
        goto done;
    }
    if (!accept_response(transfer, &response, parts, first_wanted, length, FALSE, &offset, &total, remote_size, result))
    {
        /* The body of a refused response is not read: the connection cannot be kept. */
        http_connection_finish(session->connection, FALSE);
        goto done;
    }
    if (!report(relay, offset, total))
    {
        result->aborted = TRUE;
        http_connection_finish(session->connection, FALSE);
        goto done;
    }
    body_start = offset;
    receive_body(plain_read, &body, transfer, offset, total, relay, result);
    /* Reuse only a connection whose response ended exactly where it said it would. */
    http_connection_finish(session->connection, SUCCEEDED(result->code) && !result->aborted && !body.closed &&
                           response.keep_alive && total != BG_SIZE_UNKNOWN &&
                           response.has_length && response.length == total - body_start);

done:
    free_response(&response);
    return done;
}

/* Whether the plain client may carry a GET or HEAD of this URL. */
static BOOL plain_path_serves(const struct transfer_session *session, const struct url_parts *parts,
                              const struct transfer_options *options)
{
    return session->direct && session->connection && parts->url.nScheme == INTERNET_SCHEME_HTTP &&
           !options->credential_count && !parts->url.dwUserNameLength;
}

/* Splits url into parts; FALSE with the result set if it cannot be.  Free parts->path. */
static BOOL crack_url(const WCHAR *url, struct url_parts *parts, struct transfer_result *result)
{
    memset(parts, 0, sizeof(*parts));
    parts->text = url;
    parts->url.dwStructSize = sizeof(parts->url);
    parts->url.lpszHostName = parts->host;
    parts->url.dwHostNameLength = ARRAY_SIZE(parts->host);
    parts->url.dwUrlPathLength = 1;
    parts->url.dwUserNameLength = parts->url.dwPasswordLength = 1;
    parts->url.dwExtraInfoLength = 1;
    if (!WinHttpCrackUrl(url, 0, 0, &parts->url))
    {
        transfer_set_failure(result, HRESULT_FROM_WIN32(GetLastError()), BG_ERROR_CONTEXT_REMOTE_FILE, FALSE);
        return FALSE;
    }
    /* Path and query go to the server as they are: BITS does no escape processing. */
    if (!(parts->path = malloc((parts->url.dwUrlPathLength + parts->url.dwExtraInfoLength + 2) * sizeof(WCHAR))))
    {
        transfer_set_failure(result, E_OUTOFMEMORY, BG_ERROR_CONTEXT_GENERAL_QUEUE_MANAGER, TRUE);
        return FALSE;
    }
    memcpy(parts->path, parts->url.lpszUrlPath, parts->url.dwUrlPathLength * sizeof(WCHAR));
    memcpy(parts->path + parts->url.dwUrlPathLength, parts->url.lpszExtraInfo,
           parts->url.dwExtraInfoLength * sizeof(WCHAR));
    parts->path[parts->url.dwUrlPathLength + parts->url.dwExtraInfoLength] = 0;
    if (!*parts->path) wcscpy(parts->path, L"/");
    return TRUE;
}

/* One request for bytes first .. first + length - 1 of the remote file (length
 * may be BG_LENGTH_TO_EOF), appended to the local file, of which transfer->offset
 * bytes of this part are already there.  *remote_size gets the remote size.
 * session is the job's, which route()s each URL, a redirect's too. */
static void get_part(struct transfer_session *session, const struct transfer_request *transfer, UINT64 first_wanted,
                     UINT64 length, const struct transfer_progress_relay *relay, UINT64 *remote_size,
                     struct transfer_result *result)
{
    const struct transfer_options *options = transfer->options;
    BOOL whole_file = !first_wanted && length == BG_LENGTH_TO_EOF;
    BOOL custom_method = options->method && wcscmp(options->method, L"GET");
    WCHAR range[96], *if_range = NULL;
    struct transfer_session *routed;
    struct url_parts parts;
    UINT64 offset = transfer->offset;

    *remote_size = BG_SIZE_UNKNOWN;
    if (!(routed = route(session, transfer->remote_name, result))) return;
    if (!crack_url(transfer->remote_name, &parts, result)) return;

    /* Dynamic content and custom verbs cannot resume: they start again from byte 0. */
    if ((options->dynamic_content || custom_method) && offset)
    {
        if (!restart_file(transfer->file))
        {
            transfer_set_failure(result, HRESULT_FROM_WIN32(GetLastError()), BG_ERROR_CONTEXT_LOCAL_FILE, TRUE);
            free(parts.path);
            return;
        }
        offset = 0;
    }

    range[0] = 0;
    if (!whole_file || offset)
    {
        if (length != BG_LENGTH_TO_EOF)
            swprintf(range, ARRAY_SIZE(range), L"Range: bytes=%I64u-%I64u", first_wanted + offset, first_wanted + length - 1);
        else
            swprintf(range, ARRAY_SIZE(range), L"Range: bytes=%I64u-", first_wanted + offset);
        /* If the file changed since the bytes we have, the server sends all of it
         * again.  Not for a range: a whole file is no answer to it; its bytes'
         * version is checked against the validator instead (accept_response). */
        if (whole_file && offset && transfer->validator &&
            (if_range = malloc((wcslen(transfer->validator) + 16) * sizeof(WCHAR))))
            swprintf(if_range, wcslen(transfer->validator) + 16, L"If-Range: %s", transfer->validator);
    }

    if (!(plain_path_serves(routed, &parts, options) && !custom_method &&
          get_part_plain(routed, transfer, &parts, range[0] ? range : NULL, if_range, first_wanted, length, offset,
                         relay, remote_size, result)))
        get_part_winhttp(session, transfer, &parts, range[0] ? range : NULL, if_range, first_wanted, length, offset,
                         relay, remote_size, result);

    if (result->code == BG_E_REMOTE_FILE_CHANGED && whole_file && offset && restart_file(transfer->file))
    {
        /* The bytes on disk are of an older version: the whole file again, at once. */
        TRACE("%s changed on the server, restarting from 0.\n", debugstr_w(transfer->remote_name));
        memset(result, 0, offsetof(struct transfer_result, validator));
        report(relay, 0, BG_SIZE_UNKNOWN);
        get_part_winhttp(session, transfer, &parts, NULL, NULL, first_wanted, length, 0, relay, remote_size, result);
    }
    free(if_range);
    free(parts.path);
}

/* AddFileWithRanges: the local file is the ranges one after the other (behavior.md 7.5). */
static void download_ranges(struct transfer_session *session, const struct transfer_request *transfer, struct transfer_result *result)
{
    struct transfer_progress_relay relay = { transfer->progress, transfer->context, 0, 0 };
    /* A resumed ranged file knows the remote size from before: a to-end range may come first. */
    UINT64 done = transfer->offset, base = 0, remote_size = transfer->remote_size, length;
    struct transfer_request request = *transfer;
    BOOL restarted = FALSE;
    WCHAR *known;   /* the validator of the bytes on disk, which every range must match */
    UINT64 part_size;
    DWORD i;

    for (i = 0; i < transfer->range_count; i++)
    {
        if (transfer->ranges[i].Length == BG_LENGTH_TO_EOF) { relay.total = BG_SIZE_UNKNOWN; break; }
        relay.total += transfer->ranges[i].Length;
    }

    known = done ? strdupW(transfer->validator) : NULL;
    for (i = 0; i < transfer->range_count && SUCCEEDED(result->code) && !result->aborted; i++)
    {
        length = transfer->ranges[i].Length;
        if (length == BG_LENGTH_TO_EOF && remote_size != BG_SIZE_UNKNOWN)
        {
            if (transfer->ranges[i].InitialOffset >= remote_size)
            {
                transfer_set_failure(result, BG_E_INVALID_RANGE, BG_ERROR_CONTEXT_REMOTE_FILE, FALSE);
                return;
            }
            length = remote_size - transfer->ranges[i].InitialOffset;
        }
        if (length != BG_LENGTH_TO_EOF && done >= base + length)
        {
            base += length;  /* already on disk */
            continue;
        }
        relay.base = base;
        request.offset = done - base;
        request.validator = known;
        request.remote_size = remote_size;
        /* Only against ranges on disk in this file (a random-access piece has
         * none here: its file checks the version itself). */
        request.check_size = done != 0;
        get_part(session, &request, transfer->ranges[i].InitialOffset, length, &relay, &part_size, result);
        if (part_size != BG_SIZE_UNKNOWN) remote_size = part_size;
        if (result->code == BG_E_REMOTE_FILE_CHANGED && done && !restarted && restart_file(transfer->file))
        {
            /* The ranges on disk are of an older version: all of them again, once (7.7). */
            TRACE("%s changed on the server, fetching its ranges again.\n", debugstr_w(transfer->remote_name));
            memset(result, 0, offsetof(struct transfer_result, validator));
            relay.base = 0;
            report(&relay, 0, relay.total);
            restarted = TRUE;
            free(known);
            known = NULL;
            remote_size = BG_SIZE_UNKNOWN;
            done = base = 0;
            i = -1;
            continue;
        }
        if (FAILED(result->code) || result->aborted) break;
        if (!known && result->validator) known = strdupW(result->validator);
        base += result->total;
        done = base;
        if (relay.total == BG_SIZE_UNKNOWN && i + 1 == transfer->range_count) relay.total = base;
    }
    free(known);
    result->total = SUCCEEDED(result->code) && !result->aborted ? base : relay.total;
    result->remote_size = remote_size;
}

void transfer_http_download(struct transfer_session *session, const struct transfer_request *transfer,
                            struct transfer_result *result)
{
    struct transfer_progress_relay relay = { transfer->progress, transfer->context, 0, BG_SIZE_UNKNOWN };
    UINT64 remote_size;

    memset(result, 0, sizeof(*result));
    result->remote_size = BG_SIZE_UNKNOWN;
    /* Bad proxy settings fail the run before anything else. */
    if (!route(session, transfer->remote_name, result))
    {
        result->total = BG_SIZE_UNKNOWN;
        return;
    }
    if (transfer->range_count) download_ranges(session, transfer, result);
    else
    {
        get_part(session, transfer, 0, BG_LENGTH_TO_EOF, &relay, &remote_size, result);
        result->remote_size = remote_size;
    }
    if (FAILED(result->code) || result->aborted) result->total = BG_SIZE_UNKNOWN;
}

/* HEAD: the remote file's size and validator without its body, for a file
 * fetched in pieces (random access) that needs its size first. */
void transfer_http_head(struct transfer_session *session, const struct transfer_request *transfer,
                        struct transfer_result *result)
{
    struct response response = { 0 };
    struct http_exchange exchange;

    memset(result, 0, sizeof(*result));
    result->remote_size = result->total = BG_SIZE_UNKNOWN;
    if (!transfer_http_exchange(session, transfer->remote_name, L"HEAD", NULL, NULL, 0, transfer->options,
                                &exchange, result))
        return;
    winhttp_response(exchange.request, exchange.status, &response);
    free(result->response_headers);
    result->response_headers = strdupW(response.raw_headers);
    if (response.status == 200 && response.has_length)
    {
        result->remote_size = result->total = response.length;
        take_validator(&response, result);
    }
    else if (response.status == 200)
        transfer_set_failure(result, BG_E_MISSING_FILE_SIZE, BG_ERROR_CONTEXT_REMOTE_FILE, FALSE);
    else if (redirect_refused(transfer->options, response.status))
        refuse_redirect(result, response.status, transfer->remote_name, response.location);
    else
        transfer_set_failure(result, MAKE_HRESULT(SEVERITY_ERROR, FACILITY_HTTP, response.status),
                             BG_ERROR_CONTEXT_REMOTE_FILE, status_is_transient(response.status));
    free_response(&response);
    transfer_http_end(&exchange);
}

/* ---- the sizes of the files to come ---- */

#define HEADS_PER_BATCH 32

struct heads_batch
{
    UINT64 *sizes;
    const DWORD *index;  /* which file each response is for */
};

static void take_head_size(void *context, DWORD i, const char *head)
{
    struct heads_batch *batch = context;
    struct response response = { 0 };

    if (parse_head(head, &response) && response.status == 200 && response.has_length && !response.chunked)
        batch->sizes[batch->index[i]] = response.length;
    free_response(&response);
}

/* HEAD requests for the plain client, one after the other in one buffer. */
static char *head_requests(struct url_parts *parts, const DWORD *index, DWORD count, const struct transfer_options *options,
                           DWORD *size)
{
    char *headers = options->custom_headers && *options->custom_headers ? to_utf8(options->custom_headers) : NULL;
    char *requests = NULL, *request, *grown;
    DWORD i, used = 0, request_size;

    /* Without the job's headers the server could answer otherwise than to its GETs. */
    if (options->custom_headers && *options->custom_headers && !headers) count = 0;
    for (i = 0; i < count; i++)
    {
        if (!(request = plain_request("HEAD", &parts[index[i]], NULL, NULL, headers, &request_size))) break;
        if (!(grown = realloc(requests, used + request_size)))
        {
            free(request);
            break;
        }
        requests = grown;
        memcpy(requests + used, request, request_size);
        used += request_size;
        free(request);
    }
    free(headers);
    if (!count || i < count)
    {
        free(requests);
        return NULL;
    }
    *size = used;
    return requests;
}

/* The sizes of remote files, asked for with HEAD before their turn so that the
 * job's total is known early (behavior.md 8.1, 11.1).  sizes[i] stays
 * BG_SIZE_UNKNOWN where the server did not say: the file's own GET decides.
 * Files of one server on the plain path are asked for together (pipelined). */
void transfer_http_sizes(struct transfer_session *session, const WCHAR **urls, DWORD count,
                         const struct transfer_options *options, UINT64 *sizes,
                         transfer_continue_callback keep_going, void *context)
{
    struct transfer_session **routes;
    struct transfer_result result;
    struct url_parts *parts;
    struct heads_batch batch;
    DWORD i, j, n, *index, size;
    BOOL *cracked;
    char *requests;

    for (i = 0; i < count; i++) sizes[i] = BG_SIZE_UNKNOWN;
    parts = calloc(count, sizeof(*parts));
    cracked = calloc(count, sizeof(*cracked));
    index = calloc(count, sizeof(*index));
    routes = calloc(count, sizeof(*routes));
    if (!session || !parts || !cracked || !index || !routes) goto done;
    for (i = 0; i < count; i++)
    {
        memset(&result, 0, sizeof(result));
        cracked[i] = crack_url(urls[i], &parts[i], &result);
        /* The session a GET of it would go through (the proxy its owner's settings name);
         * where there is none, the GET says why. */
        if (cracked[i] && !(routes[i] = route(session, urls[i], &result))) cracked[i] = FALSE;
    }
    batch.sizes = sizes;
    batch.index = index;
    for (i = 0; i < count; i++)
    {
        if (!cracked[i] || sizes[i] != BG_SIZE_UNKNOWN) continue;
        if (keep_going && !keep_going(context)) break;
        if (!plain_path_serves(routes[i], &parts[i], options))
        {
            struct transfer_request request = { urls[i] };

            request.options = options;
            transfer_http_head(session, &request, &result);
            if (SUCCEEDED(result.code)) sizes[i] = result.remote_size;
            transfer_result_free(&result);
            continue;
        }
        /* This one and the next ones of the same server, up to a batch. */
        for (j = i, n = 0; j < count && n < HEADS_PER_BATCH; j++)
            if (cracked[j] && routes[j] == routes[i] && parts[j].url.nPort == parts[i].url.nPort &&
                !wcsicmp(parts[j].host, parts[i].host) && plain_path_serves(routes[j], &parts[j], options))
                index[n++] = j;
        if (!(requests = head_requests(parts, index, n, options, &size))) break;
        TRACE("%lu HEAD requests to %s:%u.\n", n, debugstr_w(parts[i].host), parts[i].url.nPort);
        http_connection_heads(routes[i]->connection, parts[i].host, parts[i].url.nPort, requests, size, n,
                              take_head_size, &batch, keep_going, context);
        free(requests);
        /* What went unanswered is not asked again: its GET will tell. */
        for (j = 0; j < n; j++) cracked[index[j]] = FALSE;
    }

done:
    for (i = 0; parts && i < count; i++) free(parts[i].path);
    free(parts);
    free(cracked);
    free(index);
    free(routes);
}
