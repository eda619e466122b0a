/*
 * Background Intelligent Transfer Service: proxy lists and bypass lists, as
 * SetProxySettings and the user's Internet settings give them (behavior.md
 * 11.2), read here because Wine's WinHTTP takes a single "host:port" only.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>

#include "qmgr_private.h"
#include "transfer.h"

#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(qmgr);

/* The port of a proxy entry without one: WinHTTP talks to every proxy in
 * plain HTTP ("CERN" proxies), whatever scheme the entry names. */
#define DEFAULT_PROXY_PORT 80

struct bypass_entry
{
    INTERNET_SCHEME scheme;     /* the URLs' scheme it is for, 0 for all */
    INTERNET_PORT port;         /* the URLs' port it is for, 0 for all */
    BOOL local;                 /* <local>: every host name without a dot */
    WCHAR *pattern;             /* a host name or address; '*' stands for any characters */
};

struct proxy_list
{
    WCHAR *http;                /* "host:port" of the proxy of http URLs, or NULL */
    WCHAR *https;               /* of https URLs */
    WCHAR *other;               /* the entry without "<scheme>=": for the schemes without their own */
    struct bypass_entry *bypass;
    ULONG bypass_count;
    WCHAR *winhttp_bypass;      /* the bypass list as WinHTTP reads it (';' between entries), or NULL */
};

/* Both lists separate entries with white space; the Internet settings use ';',
 * and WinHTTP also takes ','. */
static BOOL is_separator(WCHAR c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ';' || c == ',';
}

/* The next entry of a list from *p on: its start and length; FALSE after the last. */
static BOOL next_entry(const WCHAR **p, const WCHAR **entry, size_t *len)
{
    while (**p && is_separator(**p)) (*p)++;
    if (!**p) return FALSE;
    *entry = *p;
    while (**p && !is_separator(**p)) (*p)++;
    *len = *p - *entry;
    return TRUE;
}

static const WCHAR *find_char(const WCHAR *start, const WCHAR *end, WCHAR c)
{
    for (; start < end; start++) if (*start == c) return start;
    return NULL;
}

/* "http" and "https" (any case); 0 for any other name. */
static INTERNET_SCHEME scheme_named(const WCHAR *name, size_t len)
{
    if (len == 4 && !_wcsnicmp(name, L"http", 4)) return INTERNET_SCHEME_HTTP;
    if (len == 5 && !_wcsnicmp(name, L"https", 5)) return INTERNET_SCHEME_HTTPS;
    return 0;
}

/* Splits "<scheme>://" off the front of [*start, end): *scheme gets it (0 if
 * there is none).  FALSE if it names another scheme than http or https. */
static BOOL take_url_scheme(const WCHAR **start, const WCHAR *end, INTERNET_SCHEME *scheme)
{
    const WCHAR *p;

    *scheme = 0;
    for (p = *start; p + 2 < end; p++)
    {
        if (p[0] != ':' || p[1] != '/' || p[2] != '/') continue;
        if (!(*scheme = scheme_named(*start, p - *start))) return FALSE;
        *start = p + 3;
        break;
    }
    return TRUE;
}

/* Decimal 1 .. 65535, nothing else. */
static BOOL parse_port(const WCHAR *start, const WCHAR *end, INTERNET_PORT *port)
{
    ULONG value = 0;

    if (start == end || end - start > 5) return FALSE;
    for (; start < end; start++)
    {
        if (*start < '0' || *start > '9') return FALSE;
        value = value * 10 + (*start - '0');
    }
    if (!value || value > 65535) return FALSE;
    *port = value;
    return TRUE;
}

/* "<host>[:<port>]" in [start, end), where the host may be an IPv6 address in
 * brackets (kept), or, if bare_ipv6, without them (more than one ':').  *port is
 * left alone if none is given.  FALSE if it is not of that form. */
static BOOL split_host_port(const WCHAR *start, const WCHAR *end, BOOL bare_ipv6, const WCHAR **host,
                            size_t *host_len, INTERNET_PORT *port)
{
    const WCHAR *host_end, *p;

    if (start < end && *start == '[')
    {
        if (!(host_end = find_char(start, end, ']'))) return FALSE;
        host_end++;
    }
    else if (bare_ipv6 && (p = find_char(start, end, ':')) && find_char(p + 1, end, ':')) host_end = end;
    else if (!(host_end = find_char(start, end, ':'))) host_end = end;

    if (host_end == start) return FALSE;
    for (p = start; p < host_end; p++)
        if (*p == '/' || *p == '=' || *p == '@' || *p == '<' || *p == '>' || (*p == ':' && !bare_ipv6 && *start != '['))
            return FALSE;
    if (host_end < end && (*host_end != ':' || !parse_port(host_end + 1, end, port))) return FALSE;
    *host = start;
    *host_len = host_end - start;
    return TRUE;
}

/* One entry "[<scheme>=][<scheme>://]<server>[:<port>]" of a proxy list.  An
 * entry for another protocol than http or https (ftp=, socks=, which the
 * Internet settings may hold) serves nothing BITS asks for and is skipped, as
 * WinHTTP does; so is a later entry for a scheme that has one.  FALSE if the
 * entry cannot be read, or names a proxy that is not an HTTP proxy. */
static BOOL add_proxy_entry(struct proxy_list *list, const WCHAR *entry, size_t len)
{
    const WCHAR *end = entry + len, *equal = find_char(entry, end, '='), *host, *p;
    INTERNET_PORT port = DEFAULT_PROXY_PORT;
    WCHAR **slot = &list->other;
    INTERNET_SCHEME scheme;
    size_t host_len;

    if (equal)
    {
        if (equal == entry || find_char(equal + 1, end, '=')) return FALSE;
        for (p = entry; p < equal; p++) if (!iswalnum(*p)) return FALSE;
        scheme = scheme_named(entry, equal - entry);
        slot = scheme == INTERNET_SCHEME_HTTP ? &list->http : scheme == INTERNET_SCHEME_HTTPS ? &list->https : NULL;
        entry = equal + 1;
    }
    /* "https://" asks for a TLS connection to the proxy, which Wine's WinHTTP
     * does not make; like "http://" it is taken as the proxy's address. */
    if (!take_url_scheme(&entry, end, &scheme)) return FALSE;
    if (end > entry && end[-1] == '/') end--;  /* "http://proxy:8080/" */
    if (!split_host_port(entry, end, FALSE, &host, &host_len, &port) || find_char(host, host + host_len, '*'))
        return FALSE;
    if (!slot || *slot) return TRUE;
    if (!(*slot = malloc((host_len + 8) * sizeof(WCHAR)))) return FALSE;
    swprintf(*slot, host_len + 8, L"%.*ls:%u", (int)host_len, host, port);
    return TRUE;
}

/* One entry "<local>" or "[<scheme>://]<host>[:<port>]" of a bypass list. */
static BOOL add_bypass_entry(struct proxy_list *list, const WCHAR *entry, size_t len)
{
    const WCHAR *end = entry + len, *host;
    struct bypass_entry *entries, new = { 0 };
    size_t host_len;

    /* Internet Explorer's "do not bypass loopback addresses implicitly": BITS never does. */
    if (len == 11 && !_wcsnicmp(entry, L"<-loopback>", 11)) return TRUE;
    if (len == 7 && !_wcsnicmp(entry, L"<local>", 7)) new.local = TRUE;
    else
    {
        if (!take_url_scheme(&entry, end, &new.scheme) ||
            !split_host_port(entry, end, TRUE, &host, &host_len, &new.port))
            return FALSE;
        if (host_len > 1 && host[0] == '[')
        {
            host++;
            host_len -= 2;
        }
        if (!(new.pattern = malloc((host_len + 1) * sizeof(WCHAR)))) return FALSE;
        memcpy(new.pattern, host, host_len * sizeof(WCHAR));
        new.pattern[host_len] = 0;
    }
    if (!(entries = realloc(list->bypass, (list->bypass_count + 1) * sizeof(*entries))))
    {
        free(new.pattern);
        return FALSE;
    }
    list->bypass = entries;
    list->bypass[list->bypass_count++] = new;
    return TRUE;
}

/* The bypass list with ';' between entries, which is how WinHTTP splits it. */
static WCHAR *winhttp_bypass_list(const WCHAR *bypass)
{
    const WCHAR *p = bypass, *entry;
    WCHAR *ret;
    size_t len, used = 0;

    if (!(ret = malloc((wcslen(bypass) + 1) * sizeof(WCHAR)))) return NULL;
    while (next_entry(&p, &entry, &len))
    {
        if (used) ret[used++] = ';';
        memcpy(ret + used, entry, len * sizeof(WCHAR));
        used += len;
    }
    ret[used] = 0;
    return ret;
}

HRESULT proxy_list_parse(const WCHAR *proxies, const WCHAR *bypass, struct proxy_list **ret)
{
    const WCHAR *p, *entry;
    struct proxy_list *list;
    BOOL valid = TRUE, any = FALSE;
    size_t len;

    *ret = NULL;
    if (!(list = calloc(1, sizeof(*list)))) return E_OUTOFMEMORY;
    for (p = proxies ? proxies : L""; valid && next_entry(&p, &entry, &len); any = TRUE)
        valid = add_proxy_entry(list, entry, len);
    for (p = bypass ? bypass : L""; valid && next_entry(&p, &entry, &len);)
        valid = add_bypass_entry(list, entry, len);
    /* A list without a single entry names no proxy either. */
    if (valid && !any) valid = FALSE;
    if (valid && list->bypass_count && !(list->winhttp_bypass = winhttp_bypass_list(bypass))) valid = FALSE;
    if (!valid)
    {
        WARN("Cannot use the proxy list %s with the bypass list %s.\n", debugstr_w(proxies), debugstr_w(bypass));
        proxy_list_free(list);
        return BG_E_INVALID_PROXY_INFO;
    }
    TRACE("%s, %s: http %s, https %s, other %s.\n", debugstr_w(proxies), debugstr_w(bypass),
          debugstr_w(list->http), debugstr_w(list->https), debugstr_w(list->other));
    *ret = list;
    return S_OK;
}

void proxy_list_free(struct proxy_list *list)
{
    ULONG i;

    if (!list) return;
    for (i = 0; i < list->bypass_count; i++) free(list->bypass[i].pattern);
    free(list->bypass);
    free(list->winhttp_bypass);
    free(list->http);
    free(list->https);
    free(list->other);
    free(list);
}

/* Whether text matches pattern, where '*' stands for any run of characters; any case. */
static BOOL wildcard_matches(const WCHAR *pattern, const WCHAR *text, size_t text_len)
{
    const WCHAR *star = NULL, *end = text + text_len, *resume = NULL;

    while (text < end)
    {
        if (*pattern == '*')
        {
            star = pattern++;
            resume = text;
        }
        else if (*pattern && towlower(*pattern) == towlower(*text))
        {
            pattern++;
            text++;
        }
        else if (star)
        {
            pattern = star + 1;
            text = ++resume;
        }
        else return FALSE;
    }
    while (*pattern == '*') pattern++;
    return !*pattern;
}

static BOOL bypassed(const struct proxy_list *list, INTERNET_SCHEME scheme, const WCHAR *host, INTERNET_PORT port)
{
    size_t len = wcslen(host);
    ULONG i;

    /* An IPv6 address is matched without its brackets. */
    if (len > 1 && host[0] == '[' && host[len - 1] == ']')
    {
        host++;
        len -= 2;
    }
    for (i = 0; i < list->bypass_count; i++)
    {
        const struct bypass_entry *entry = &list->bypass[i];

        if ((entry->scheme && entry->scheme != scheme) || (entry->port && entry->port != port)) continue;
        if (entry->local ? !find_char(host, host + len, '.') && !find_char(host, host + len, ':')
                         : wildcard_matches(entry->pattern, host, len))
            return TRUE;
    }
    return FALSE;
}

const WCHAR *proxy_list_select(const struct proxy_list *list, INTERNET_SCHEME scheme, const WCHAR *host,
                               INTERNET_PORT port)
{
    const WCHAR *proxy = scheme == INTERNET_SCHEME_HTTPS ? list->https : list->http;

    if (!proxy) proxy = list->other;
    if (proxy && bypassed(list, scheme, host, port)) proxy = NULL;
    return proxy;
}

const WCHAR *proxy_list_winhttp_bypass(const struct proxy_list *list)
{
    return list->winhttp_bypass;
}
