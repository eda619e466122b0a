/*
 * NTLM authentication for the loopback HTTP server of the tests
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

/* Message layouts from [MS-NLMP] 2.2.1; the NTLMv2 response from 3.3.2. */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "windef.h"
#include "winbase.h"
#include "wincrypt.h"
#include "wincred.h"
#include "bcrypt.h"
#include "ntlm_server.h"

struct ntlm_server ntlm_server;

/* What one installed handler serves. */
struct ntlm_handler
{
    BOOL proxy;
    char scheme[16];   /* "NTLM" or "Negotiate" */
    BOOL basic;        /* Basic is offered and taken too */
};

#define NTLMSSP_NEGOTIATE_UNICODE                 0x00000001
#define NTLMSSP_REQUEST_TARGET                    0x00000004
#define NTLMSSP_NEGOTIATE_NTLM                    0x00000200
#define NTLMSSP_NEGOTIATE_ALWAYS_SIGN             0x00008000
#define NTLMSSP_TARGET_TYPE_DOMAIN                0x00010000
#define NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY 0x00080000
#define NTLMSSP_NEGOTIATE_TARGET_INFO             0x00800000
#define NTLMSSP_NEGOTIATE_128                     0x20000000
#define NTLMSSP_NEGOTIATE_56                      0x80000000

#define CHALLENGE_HEADER_SIZE 48

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

static const BYTE signature[8] = { 'N','T','L','M','S','S','P',0 };

static void put16(BYTE *p, unsigned int value) { p[0] = value; p[1] = value >> 8; }
static void put32(BYTE *p, unsigned int value) { put16(p, value); put16(p + 2, value >> 16); }
static unsigned int get16(const BYTE *p) { return p[0] | p[1] << 8; }
static unsigned int get32(const BYTE *p) { return get16(p) | get16(p + 2) << 16; }

/* A security buffer (length, allocated, offset) of a message, checked against its size. */
static const BYTE *field(const BYTE *message, DWORD size, DWORD at, DWORD *length)
{
    DWORD offset;

    if (at + 8 > size) return NULL;
    *length = get16(message + at);
    offset = get32(message + at + 4);
    if (offset > size || *length > size - offset) return NULL;
    return message + offset;
}

static BOOL hmac_md5(const BYTE *key, DWORD key_size, const BYTE *data, DWORD size, BYTE out[16])
{
    BCRYPT_ALG_HANDLE alg;
    NTSTATUS status;

    if (BCryptOpenAlgorithmProvider(&alg, BCRYPT_MD5_ALGORITHM, NULL, BCRYPT_ALG_HANDLE_HMAC_FLAG)) return FALSE;
    status = BCryptHash(alg, (BYTE *)key, key_size, (BYTE *)data, size, out, 16);
    BCryptCloseAlgorithmProvider(alg, 0);
    return !status;
}

/* NTOWFv2: HMAC-MD5 keyed with MD4 of the password, over the upper-case user name and the domain. */
static BOOL ntowf_v2(const WCHAR *user, const BYTE *domain, DWORD domain_size, BYTE out[16])
{
    const WCHAR *password = ntlm_server.password;
    BYTE nt_hash[16], identity[256];
    BCRYPT_ALG_HANDLE alg;
    DWORD user_size = wcslen(user) * sizeof(WCHAR), i;
    NTSTATUS status;

    if (user_size + domain_size > sizeof(identity)) return FALSE;
    if (BCryptOpenAlgorithmProvider(&alg, BCRYPT_MD4_ALGORITHM, NULL, 0)) return FALSE;
    status = BCryptHash(alg, NULL, 0, (BYTE *)password, wcslen(password) * sizeof(WCHAR), nt_hash, 16);
    BCryptCloseAlgorithmProvider(alg, 0);
    if (status) return FALSE;
    for (i = 0; user[i]; i++) put16(identity + 2 * i, towupper(user[i]));
    memcpy(identity + user_size, domain, domain_size);
    return hmac_md5(nt_hash, 16, identity, user_size + domain_size, out);
}

/* The NTLMv2 response: NTProofStr, then the client's blob that it signs with the server challenge. */
static BOOL check_response(const BYTE *challenge, const BYTE *response, DWORD response_size,
                           const BYTE *domain, DWORD domain_size)
{
    BYTE key[16], proof[16], *data;
    BOOL ok;

    if (response_size <= 24) return FALSE;  /* NTLMv1: not accepted */
    if (!ntowf_v2(ntlm_server.user, domain, domain_size, key)) return FALSE;
    if (!(data = malloc(8 + response_size - 16))) return FALSE;
    memcpy(data, challenge, 8);
    memcpy(data + 8, response + 16, response_size - 16);
    ok = hmac_md5(key, 16, data, 8 + response_size - 16, proof) && !memcmp(proof, response, 16);
    free(data);
    return ok;
}

static BOOL respond_offer(struct httpd_request *request, const struct ntlm_handler *handler, const char *data)
{
    char headers[1024];

    snprintf(headers, sizeof(headers), "%s: %s%s%s\r\n%s",
             handler->proxy ? "Proxy-Authenticate" : "WWW-Authenticate", handler->scheme,
             data ? " " : "", data ? data : "",
             handler->basic && !data ? "WWW-Authenticate: Basic realm=\"qmgr\"\r\n" : "");
    return httpd_respond(request, handler->proxy ? 407 : 401, headers, "denied", 6);
}

static BOOL respond_challenge(struct httpd_request *request, const struct ntlm_handler *handler)
{
    static const WCHAR computer[] = L"BITSSERVER";
    BYTE message[256], *p;
    DWORD domain_size = wcslen(ntlm_server.domain) * sizeof(WCHAR), computer_size = wcslen(computer) * sizeof(WCHAR);
    DWORD info_size = 4 + domain_size + 4 + computer_size + 4, size = CHALLENGE_HEADER_SIZE + domain_size + info_size;
    unsigned int slot = ntlm_server.next_challenge++ % NTLM_SERVER_MAX_CONNECTIONS, i;
    char text[512];
    DWORD text_size = sizeof(text);

    ntlm_server.challenged[slot] = httpd_request_connection(request);
    for (i = 0; i < 8; i++) ntlm_server.challenges[slot][i] = rand();

    memset(message, 0, sizeof(message));
    memcpy(message, signature, 8);
    put32(message + 8, 2);
    put16(message + 12, domain_size);                       /* TargetName */
    put16(message + 14, domain_size);
    put32(message + 16, CHALLENGE_HEADER_SIZE);
    put32(message + 20, NTLMSSP_NEGOTIATE_UNICODE | NTLMSSP_REQUEST_TARGET | NTLMSSP_NEGOTIATE_NTLM |
          NTLMSSP_NEGOTIATE_ALWAYS_SIGN | NTLMSSP_TARGET_TYPE_DOMAIN | NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY |
          NTLMSSP_NEGOTIATE_TARGET_INFO | NTLMSSP_NEGOTIATE_128 | NTLMSSP_NEGOTIATE_56);
    memcpy(message + 24, ntlm_server.challenges[slot], 8);
    put16(message + 40, info_size);                         /* TargetInfo */
    put16(message + 42, info_size);
    put32(message + 44, CHALLENGE_HEADER_SIZE + domain_size);
    memcpy(message + CHALLENGE_HEADER_SIZE, ntlm_server.domain, domain_size);
    p = message + CHALLENGE_HEADER_SIZE + domain_size;
    put16(p, 2);                                            /* MsvAvNbDomainName */
    put16(p + 2, domain_size);
    memcpy(p + 4, ntlm_server.domain, domain_size);
    p += 4 + domain_size;
    put16(p, 1);                                            /* MsvAvNbComputerName */
    put16(p + 2, computer_size);
    memcpy(p + 4, computer, computer_size);
    p += 4 + computer_size;
    put32(p, 0);                                            /* MsvAvEOL */

    if (!CryptBinaryToStringA(message, size, CRYPT_STRING_BASE64 | CRYPT_STRING_NOCRLF, text, &text_size))
        return httpd_respond(request, 500, NULL, NULL, 0);
    ntlm_server.negotiates++;
    return respond_offer(request, handler, text);
}

static void copy_name(WCHAR *out, size_t count, const BYTE *name, DWORD size)
{
    DWORD i, n = min(size / 2, count - 1);

    for (i = 0; i < n; i++) out[i] = get16(name + 2 * i);
    out[n] = 0;
}

/* TRUE when the message proves the account; the names it gave are recorded either way. */
static BOOL authenticate(struct httpd_request *request, const BYTE *message, DWORD size)
{
    const BYTE *response, *domain, *user, *challenge = NULL;
    DWORD response_size, domain_size, user_size;
    LONG connection = httpd_request_connection(request);
    unsigned int i;

    if (!(response = field(message, size, 20, &response_size)) ||
        !(domain = field(message, size, 28, &domain_size)) ||
        !(user = field(message, size, 36, &user_size)) || size < 64 ||
        !(get32(message + 60) & NTLMSSP_NEGOTIATE_UNICODE))
        return FALSE;
    copy_name(ntlm_server.last_domain, ARRAY_SIZE(ntlm_server.last_domain), domain, domain_size);
    copy_name(ntlm_server.last_user, ARRAY_SIZE(ntlm_server.last_user), user, user_size);
    /* NTLM is bound to the connection that got the challenge. */
    for (i = 0; i < NTLM_SERVER_MAX_CONNECTIONS; i++)
        if (ntlm_server.challenged[i] == connection) challenge = ntlm_server.challenges[i];
    if (!challenge || wcsicmp(ntlm_server.last_user, ntlm_server.user) ||
        wcsicmp(ntlm_server.last_domain, ntlm_server.domain))
        return FALSE;
    return check_response(challenge, response, response_size, domain, domain_size);
}

/* Whether a Basic answer (its base64 part) is the account's user and password; ntlm_server.cs held. */
static BOOL basic_answer_right(const char *answer)
{
    char expect[256], plain[160];
    DWORD expect_size = sizeof(expect);

    snprintf(plain, sizeof(plain), "%ls:%ls", ntlm_server.user, ntlm_server.password);
    return CryptBinaryToStringA((BYTE *)plain, strlen(plain), CRYPT_STRING_BASE64 | CRYPT_STRING_NOCRLF, expect,
                                &expect_size) && !strcmp(answer, expect);
}

/* A wrong answer: counted, and the schemes offered again; ntlm_server.cs held. */
static BOOL refuse(struct httpd_request *request, const struct ntlm_handler *handler)
{
    ntlm_server.refused++;
    return respond_offer(request, handler, NULL);
}

static BOOL handle_request(struct httpd_request *request, void *context)
{
    const struct ntlm_handler *handler = context;
    LONG connection = httpd_request_connection(request);
    size_t scheme_len = strlen(handler->scheme);
    char value[4096];
    BYTE message[2048];
    DWORD size = sizeof(message);
    unsigned int i;
    BOOL ret;

    EnterCriticalSection(&ntlm_server.cs);
    for (i = 0; i < NTLM_SERVER_MAX_CONNECTIONS; i++)
        if (ntlm_server.authenticated[i] == connection)
        {
            LeaveCriticalSection(&ntlm_server.cs);
            return FALSE;  /* on to the resource */
        }
    if (handler->basic && httpd_request_header(request, "Authorization", value, sizeof(value)) &&
        !_strnicmp(value, "Basic ", 6))
    {
        if (!basic_answer_right(value + 6)) ret = refuse(request, handler);
        else
        {
            ntlm_server.basic_accepted++;
            ret = FALSE;
        }
    }
    else if (!httpd_request_header(request, handler->proxy ? "Proxy-Authorization" : "Authorization", value,
                                   sizeof(value)) ||
             _strnicmp(value, handler->scheme, scheme_len) || value[scheme_len] != ' ' ||
             !CryptStringToBinaryA(value + scheme_len + 1, 0, CRYPT_STRING_BASE64, message, &size, NULL, NULL) ||
             size < 12 || memcmp(message, signature, 8))
    {
        ntlm_server.offers++;
        ret = respond_offer(request, handler, NULL);
    }
    else if (get32(message + 8) == 1)
        ret = respond_challenge(request, handler);
    else if (get32(message + 8) == 3 && authenticate(request, message, size))
    {
        ntlm_server.accepted++;
        ntlm_server.authenticated[ntlm_server.next_authenticated++ % NTLM_SERVER_MAX_CONNECTIONS] = connection;
        ret = FALSE;
    }
    else ret = refuse(request, handler);
    LeaveCriticalSection(&ntlm_server.cs);
    return ret;
}

void ntlm_server_reset(void)
{
    EnterCriticalSection(&ntlm_server.cs);
    ntlm_server.offers = ntlm_server.negotiates = ntlm_server.accepted = ntlm_server.refused = 0;
    ntlm_server.basic_accepted = 0;
    ntlm_server.last_domain[0] = ntlm_server.last_user[0] = 0;
    memset(ntlm_server.challenged, 0, sizeof(ntlm_server.challenged));
    memset(ntlm_server.authenticated, 0, sizeof(ntlm_server.authenticated));
    LeaveCriticalSection(&ntlm_server.cs);
}

BOOL ntlm_server_store_host_password(const WCHAR *password)
{
    CREDENTIALW stored;
    WCHAR user[ARRAY_SIZE(ntlm_server.domain) + ARRAY_SIZE(ntlm_server.user)];

    swprintf(user, ARRAY_SIZE(user), L"%ls\\%ls", ntlm_server.domain, ntlm_server.user);
    memset(&stored, 0, sizeof(stored));
    stored.Type = CRED_TYPE_DOMAIN_PASSWORD;
    stored.TargetName = (WCHAR *)L"127.0.0.1";
    stored.UserName = user;
    stored.CredentialBlob = (BYTE *)password;
    stored.CredentialBlobSize = wcslen(password) * sizeof(WCHAR);
    stored.Persist = CRED_PERSIST_LOCAL_MACHINE;
    return CredWriteW(&stored, 0);
}

BOOL ntlm_server_forget_host_password(void)
{
    return CredDeleteW(L"127.0.0.1", CRED_TYPE_DOMAIN_PASSWORD, 0);
}

void ntlm_server_init(const WCHAR *domain, const WCHAR *user, const WCHAR *password)
{
    InitializeCriticalSection(&ntlm_server.cs);
    wcscpy(ntlm_server.domain, domain);
    wcscpy(ntlm_server.user, user);
    wcscpy(ntlm_server.password, password);
    srand(GetTickCount());
}

static BOOL install(struct httpd *httpd, const char *path_prefix, BOOL proxy, const char *scheme, BOOL basic)
{
    /* Each lives as long as the test: a server may be asked until it stops. */
    static struct ntlm_handler handlers[12];
    static LONG used;
    LONG index = InterlockedIncrement(&used) - 1;
    struct ntlm_handler *handler;

    if (index >= ARRAY_SIZE(handlers) || strlen(scheme) >= sizeof(handler->scheme)) return FALSE;
    handler = &handlers[index];
    handler->proxy = proxy;
    handler->basic = basic;
    strcpy(handler->scheme, scheme);
    return httpd_add_handler(httpd, NULL, path_prefix, handle_request, handler);
}

BOOL ntlm_server_install(struct httpd *httpd, const char *path_prefix, BOOL proxy, const char *scheme)
{
    return install(httpd, path_prefix, proxy, scheme, FALSE);
}

BOOL ntlm_server_install_with_basic(struct httpd *httpd, const char *path_prefix)
{
    return install(httpd, path_prefix, FALSE, "NTLM", TRUE);
}
