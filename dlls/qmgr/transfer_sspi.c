/*
 * Background Intelligent Transfer Service: implicit NTLM and Negotiate
 * credentials.
 *
 * SetCredentials with NULL user name and password asks BITS to answer an
 * NTLM or Negotiate challenge as the identity the transfer runs as: the job
 * owner, or the helper token with BG_TOKEN_NETWORK.  Wine's WinHTTP sends no
 * default credentials, so BITS runs the SSPI handshake itself and hands
 * WinHTTP the Authorization (or Proxy-Authorization) header of each round.
 * The credentials handle is acquired on the transfer's thread, so it takes
 * the identity that thread impersonates.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>

#define SECURITY_WIN32
#include "qmgr_private.h"
#include "transfer.h"
#include "sspi.h"
#include "wincrypt.h"

#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(qmgr);

struct sspi_handshake
{
    BG_AUTH_SCHEME bits_scheme;
    const WCHAR *scheme;    /* the scheme's name in the headers, also the SSPI package's */
    WCHAR *target;          /* "HTTP/host": the service principal name */
    CredHandle credentials;
    CtxtHandle context;
    BOOL has_credentials, has_context;
    BOOL finished;          /* the last token went out: a new challenge means refusal */
};

struct sspi_handshake *sspi_handshake_create(BG_AUTH_SCHEME scheme, const WCHAR *host)
{
    struct sspi_handshake *handshake;
    size_t size;

    if (scheme != BG_AUTH_SCHEME_NTLM && scheme != BG_AUTH_SCHEME_NEGOTIATE) return NULL;
    if (!(handshake = calloc(1, sizeof(*handshake)))) return NULL;
    handshake->bits_scheme = scheme;
    handshake->scheme = scheme == BG_AUTH_SCHEME_NTLM ? L"NTLM" : L"Negotiate";
    size = wcslen(host) + 6;
    if (!(handshake->target = malloc(size * sizeof(WCHAR))))
    {
        free(handshake);
        return NULL;
    }
    swprintf(handshake->target, size, L"HTTP/%ls", host);
    return handshake;
}

void sspi_handshake_free(struct sspi_handshake *handshake)
{
    if (!handshake) return;
    if (handshake->has_context) DeleteSecurityContext(&handshake->context);
    if (handshake->has_credentials) FreeCredentialsHandle(&handshake->credentials);
    free(handshake->target);
    free(handshake);
}

BOOL sspi_handshake_is(const struct sspi_handshake *handshake, BG_AUTH_SCHEME scheme)
{
    return handshake->bits_scheme == scheme;
}

/* "Scheme" or "Scheme data" of a challenge header for this scheme: the data
 * (maybe empty), or NULL when the header is for another scheme. */
static const WCHAR *challenge_data(const struct sspi_handshake *handshake, const WCHAR *header)
{
    size_t length = wcslen(handshake->scheme);

    while (*header == ' ') header++;
    if (wcsnicmp(header, handshake->scheme, length) || (header[length] && header[length] != ' ')) return NULL;
    header += length;
    while (*header == ' ') header++;
    return header;
}

BOOL sspi_handshake_matches(const struct sspi_handshake *handshake, const WCHAR *header)
{
    return challenge_data(handshake, header) != NULL;
}

/* The value of the next Authorization header, "Scheme base64", answering the
 * challenge header; NULL when there is nothing more to send: the server
 * refused the last answer, or SSPI has no credentials for this identity. */
WCHAR *sspi_handshake_step(struct sspi_handshake *handshake, const WCHAR *header)
{
    const WCHAR *data = challenge_data(handshake, header);
    SecBuffer in_buffer = { 0, SECBUFFER_TOKEN, NULL }, out_buffer = { 0, SECBUFFER_TOKEN, NULL };
    SecBufferDesc in = { SECBUFFER_VERSION, 1, &in_buffer }, out = { SECBUFFER_VERSION, 1, &out_buffer };
    DWORD size = 0, text_size = 0, scheme_length;
    SECURITY_STATUS status;
    ULONG attributes;
    TimeStamp expiry;
    BYTE *token = NULL;
    WCHAR *value = NULL;

    if (!data || handshake->finished) return NULL;
    if (*data)
    {
        /* A challenge that does not continue a handshake of ours is not answered. */
        if (!handshake->has_context) return NULL;
        if (!CryptStringToBinaryW(data, 0, CRYPT_STRING_BASE64, NULL, &size, NULL, NULL) || !size ||
            !(token = malloc(size)) ||
            !CryptStringToBinaryW(data, 0, CRYPT_STRING_BASE64, token, &size, NULL, NULL))
        {
            WARN("undecodable %s challenge.\n", debugstr_w(handshake->scheme));
            free(token);
            return NULL;
        }
        in_buffer.cbBuffer = size;
        in_buffer.pvBuffer = token;
    }
    else if (handshake->has_context)
    {
        /* A bare offer after our first token: the server starts again, or refuses. */
        return NULL;
    }

    if (!handshake->has_credentials)
    {
        status = AcquireCredentialsHandleW(NULL, (WCHAR *)handshake->scheme, SECPKG_CRED_OUTBOUND, NULL, NULL,
                                           NULL, NULL, &handshake->credentials, &expiry);
        if (status != SEC_E_OK)
        {
            WARN("no implicit %s credentials: %#lx.\n", debugstr_w(handshake->scheme), status);
            free(token);
            return NULL;
        }
        handshake->has_credentials = TRUE;
    }
    status = InitializeSecurityContextW(&handshake->credentials, handshake->has_context ? &handshake->context : NULL,
                                        handshake->target, ISC_REQ_CONNECTION | ISC_REQ_ALLOCATE_MEMORY, 0,
                                        SECURITY_NETWORK_DREP, token ? &in : NULL, 0, &handshake->context, &out,
                                        &attributes, &expiry);
    free(token);
    if (status != SEC_E_OK && status != SEC_I_CONTINUE_NEEDED)
    {
        WARN("%s handshake failed: %#lx.\n", debugstr_w(handshake->scheme), status);
        if (out_buffer.pvBuffer) FreeContextBuffer(out_buffer.pvBuffer);
        return NULL;
    }
    handshake->has_context = TRUE;
    handshake->finished = status == SEC_E_OK;
    if (!out_buffer.cbBuffer)
    {
        if (out_buffer.pvBuffer) FreeContextBuffer(out_buffer.pvBuffer);
        return NULL;
    }

    scheme_length = wcslen(handshake->scheme);
    if (CryptBinaryToStringW(out_buffer.pvBuffer, out_buffer.cbBuffer, CRYPT_STRING_BASE64 | CRYPT_STRING_NOCRLF,
                             NULL, &text_size) &&
        (value = malloc((scheme_length + 1 + text_size) * sizeof(WCHAR))))
    {
        wcscpy(value, handshake->scheme);
        value[scheme_length] = ' ';
        if (!CryptBinaryToStringW(out_buffer.pvBuffer, out_buffer.cbBuffer,
                                  CRYPT_STRING_BASE64 | CRYPT_STRING_NOCRLF, value + scheme_length + 1, &text_size))
        {
            free(value);
            value = NULL;
        }
    }
    FreeContextBuffer(out_buffer.pvBuffer);
    return value;
}
