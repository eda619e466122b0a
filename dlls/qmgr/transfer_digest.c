/*
 * Background Intelligent Transfer Service: HTTP Digest authentication
 * (RFC 7616), answered by BITS itself.  Wine's WinHTTP knows only Basic, NTLM
 * and Negotiate; a job's Digest credentials must not turn into another scheme.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdio.h>
#include <stdlib.h>

#include "ntstatus.h"
#define WIN32_NO_STATUS
#include "qmgr_private.h"
#include "transfer.h"
#include "bcrypt.h"

#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(qmgr);

#define PARAM_MAX 512   /* longest parameter value taken from a challenge */

struct digest_challenge
{
    char realm[PARAM_MAX];
    char nonce[PARAM_MAX];
    char opaque[PARAM_MAX];
    BOOL has_opaque;
    char algorithm[32];      /* as the server named it; "" means MD5 */
    BOOL qop_auth;           /* the server offers qop=auth */
    BOOL qop_offered;        /* the server named any qop: RFC 2069 servers name none */
    BOOL stale;
};

/* The next "name=value" or name="quoted value" of an auth-param list; FALSE at its end. */
static BOOL next_param(const char **cursor, char *name, size_t name_size, char *value, size_t value_size)
{
    const char *p = *cursor;
    size_t n = 0;

    while (*p == ' ' || *p == '\t' || *p == ',') p++;
    if (!*p) return FALSE;
    while (*p && *p != '=' && *p != ' ' && *p != '\t' && *p != ',')
    {
        if (n + 1 >= name_size) return FALSE;
        name[n++] = *p++;
    }
    name[n] = 0;
    while (*p == ' ' || *p == '\t') p++;
    if (*p++ != '=') return FALSE;
    while (*p == ' ' || *p == '\t') p++;
    n = 0;
    if (*p == '"')
    {
        for (p++; *p && *p != '"'; p++)
        {
            if (*p == '\\' && p[1]) p++;
            if (n + 1 >= value_size) return FALSE;
            value[n++] = *p;
        }
        if (*p++ != '"') return FALSE;
    }
    else
    {
        while (*p && *p != ',' && *p != ' ' && *p != '\t')
        {
            if (n + 1 >= value_size) return FALSE;
            value[n++] = *p++;
        }
    }
    value[n] = 0;
    *cursor = p;
    return TRUE;
}

/* Whether list, comma separated, holds token. */
static BOOL list_has(const char *list, const char *token)
{
    size_t len = strlen(token);
    const char *p = list;

    while (*p)
    {
        while (*p == ' ' || *p == ',') p++;
        if (!_strnicmp(p, token, len) && (!p[len] || p[len] == ',' || p[len] == ' ')) return TRUE;
        while (*p && *p != ',') p++;
    }
    return FALSE;
}

/* A "Digest ..." challenge header, parsed; FALSE if it is none or is malformed. */
static BOOL parse_challenge(const char *header, struct digest_challenge *challenge)
{
    char name[32], value[PARAM_MAX];
    const char *p = header;

    memset(challenge, 0, sizeof(*challenge));
    while (*p == ' ') p++;
    if (_strnicmp(p, "Digest", 6) || (p[6] && p[6] != ' ')) return FALSE;
    p += 6;
    while (next_param(&p, name, sizeof(name), value, sizeof(value)))
    {
        if (!_stricmp(name, "realm")) strcpy(challenge->realm, value);
        else if (!_stricmp(name, "nonce")) strcpy(challenge->nonce, value);
        else if (!_stricmp(name, "opaque"))
        {
            strcpy(challenge->opaque, value);
            challenge->has_opaque = TRUE;
        }
        else if (!_stricmp(name, "algorithm")) lstrcpynA(challenge->algorithm, value, sizeof(challenge->algorithm));
        else if (!_stricmp(name, "qop"))
        {
            challenge->qop_offered = TRUE;
            challenge->qop_auth = list_has(value, "auth");
        }
        else if (!_stricmp(name, "stale")) challenge->stale = !_stricmp(value, "true");
    }
    return challenge->nonce[0] != 0;
}

/* The lowercase hex of a hash of text, into hex (twice the hash's size, plus one). */
static BOOL hash_hex(const WCHAR *algorithm, const char *text, char *hex, size_t hex_size)
{
    BCRYPT_ALG_HANDLE provider;
    BCRYPT_HASH_HANDLE hash = NULL;
    UCHAR digest[32];
    ULONG length = 0, got;
    BOOL ok = FALSE;
    ULONG i;

    if (BCryptOpenAlgorithmProvider(&provider, algorithm, NULL, 0)) return FALSE;
    if (!BCryptGetProperty(provider, BCRYPT_HASH_LENGTH, (UCHAR *)&length, sizeof(length), &got, 0) &&
        length <= sizeof(digest) && hex_size > length * 2 &&
        !BCryptCreateHash(provider, &hash, NULL, 0, NULL, 0, 0) &&
        !BCryptHashData(hash, (UCHAR *)text, strlen(text), 0) &&
        !BCryptFinishHash(hash, digest, length, 0))
    {
        for (i = 0; i < length; i++) sprintf(hex + i * 2, "%02x", digest[i]);
        ok = TRUE;
    }
    if (hash) BCryptDestroyHash(hash);
    BCryptCloseAlgorithmProvider(provider, 0);
    return ok;
}

static char *utf8(const WCHAR *text)
{
    int len = WideCharToMultiByte(CP_UTF8, 0, text, -1, NULL, 0, NULL, NULL);
    char *result;

    if ((result = malloc(len))) WideCharToMultiByte(CP_UTF8, 0, text, -1, result, len, NULL, NULL);
    return result;
}

/* text with its quotes and backslashes escaped, as a quoted-string's inside. */
static char *quoted(const char *text)
{
    char *result, *q;

    if (!(result = malloc(strlen(text) * 2 + 1))) return NULL;
    for (q = result; *text; text++)
    {
        if (*text == '"' || *text == '\\') *q++ = '\\';
        *q++ = *text;
    }
    *q = 0;
    return result;
}

/* H(a:b:c...) of up to six parts, in hex. */
static BOOL hash_parts(const WCHAR *algorithm, char *hex, size_t hex_size, const char *const *parts, unsigned int count)
{
    size_t size = 1;
    unsigned int i;
    char *text;
    BOOL ok;

    for (i = 0; i < count; i++) size += strlen(parts[i]) + 1;
    if (!(text = malloc(size))) return FALSE;
    text[0] = 0;
    for (i = 0; i < count; i++)
    {
        if (i) strcat(text, ":");
        strcat(text, parts[i]);
    }
    ok = hash_hex(algorithm, text, hex, hex_size);
    SecureZeroMemory(text, size);
    free(text);
    return ok;
}

WCHAR *digest_answer(const WCHAR *header, const WCHAR *user_name, const WCHAR *password, const WCHAR *method,
                     const WCHAR *uri, BOOL *stale)
{
    char ha1[65], ha2[65], response[65], cnonce[33], *header_utf8, *user = NULL, *pass = NULL, *verb = NULL;
    char *target = NULL, *user_q = NULL, *realm_q = NULL, *nonce_q = NULL, *uri_q = NULL, *opaque_q = NULL, *text;
    struct digest_challenge challenge;
    const WCHAR *algorithm;
    BOOL sess, ok = FALSE;
    UCHAR random[16];
    WCHAR *answer = NULL;
    size_t size;
    int i, len;

    *stale = FALSE;
    if (!(header_utf8 = utf8(header))) return NULL;
    if (!parse_challenge(header_utf8, &challenge))
    {
        free(header_utf8);
        return NULL;
    }
    free(header_utf8);
    *stale = challenge.stale;

    if (!challenge.algorithm[0] || !_stricmp(challenge.algorithm, "MD5")) algorithm = BCRYPT_MD5_ALGORITHM, sess = FALSE;
    else if (!_stricmp(challenge.algorithm, "MD5-sess")) algorithm = BCRYPT_MD5_ALGORITHM, sess = TRUE;
    else if (!_stricmp(challenge.algorithm, "SHA-256")) algorithm = BCRYPT_SHA256_ALGORITHM, sess = FALSE;
    else if (!_stricmp(challenge.algorithm, "SHA-256-sess")) algorithm = BCRYPT_SHA256_ALGORITHM, sess = TRUE;
    else
    {
        WARN("Digest algorithm %s is not supported.\n", debugstr_a(challenge.algorithm));
        return NULL;
    }
    /* Only qop=auth: auth-int would hash the body, which BITS does not keep at hand. */
    if (challenge.qop_offered && !challenge.qop_auth)
    {
        WARN("Digest without qop=auth is not supported.\n");
        return NULL;
    }
    if (BCryptGenRandom(NULL, random, sizeof(random), BCRYPT_USE_SYSTEM_PREFERRED_RNG)) return NULL;
    for (i = 0; i < sizeof(random); i++) sprintf(cnonce + i * 2, "%02x", random[i]);

    user = utf8(user_name ? user_name : L"");
    pass = utf8(password ? password : L"");
    verb = utf8(method);
    target = utf8(uri);
    if (user && pass && verb && target)
    {
        const char *a1[] = { user, challenge.realm, pass };
        const char *a2[] = { verb, target };

        ok = hash_parts(algorithm, ha1, sizeof(ha1), a1, 3);
        if (ok && sess)
        {
            const char *a1_sess[] = { ha1, challenge.nonce, cnonce };
            char session_key[65];

            ok = hash_parts(algorithm, session_key, sizeof(session_key), a1_sess, 3);
            strcpy(ha1, session_key);
        }
        ok = ok && hash_parts(algorithm, ha2, sizeof(ha2), a2, 2);
        if (ok && challenge.qop_auth)
        {
            const char *r[] = { ha1, challenge.nonce, "00000001", cnonce, "auth", ha2 };
            ok = hash_parts(algorithm, response, sizeof(response), r, 6);
        }
        else if (ok)
        {
            const char *r[] = { ha1, challenge.nonce, ha2 };
            ok = hash_parts(algorithm, response, sizeof(response), r, 3);
        }
        SecureZeroMemory(ha1, sizeof(ha1));
    }
    if (pass) SecureZeroMemory(pass, strlen(pass));

    if (ok && (user_q = quoted(user)) && (realm_q = quoted(challenge.realm)) && (nonce_q = quoted(challenge.nonce)) &&
        (uri_q = quoted(target)) && (opaque_q = quoted(challenge.opaque)))
    {
        size = strlen(user_q) + strlen(realm_q) + strlen(nonce_q) + strlen(uri_q) + strlen(opaque_q) + 256;
        if ((text = malloc(size)))
        {
            len = snprintf(text, size, "Digest username=\"%s\", realm=\"%s\", nonce=\"%s\", uri=\"%s\", "
                           "algorithm=%s, response=\"%s\"", user_q, realm_q, nonce_q, uri_q,
                           challenge.algorithm[0] ? challenge.algorithm : "MD5", response);
            if (challenge.has_opaque) len += snprintf(text + len, size - len, ", opaque=\"%s\"", opaque_q);
            if (challenge.qop_auth) snprintf(text + len, size - len, ", qop=auth, nc=00000001, cnonce=\"%s\"", cnonce);
            if ((len = MultiByteToWideChar(CP_UTF8, 0, text, -1, NULL, 0)) && (answer = malloc(len * sizeof(WCHAR))))
                MultiByteToWideChar(CP_UTF8, 0, text, -1, answer, len);
            free(text);
        }
    }
    free(user_q);
    free(realm_q);
    free(nonce_q);
    free(uri_q);
    free(opaque_q);
    free(user);
    free(pass);
    free(verb);
    free(target);
    return answer;
}
