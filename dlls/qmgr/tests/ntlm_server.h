/*
 * NTLM authentication for the loopback HTTP server of the tests: the part of
 * IIS's Windows authentication a client sees, as a handler of httpd.c
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

/*
 * Requests under the handler's path prefix need NTLM: a request without it
 * gets "401 WWW-Authenticate: NTLM" (407 and Proxy-Authenticate for a proxy),
 * or "Negotiate" for a handler installed for that scheme, whose messages are
 * the same NTLM messages (what the Negotiate package sends when Kerberos
 * cannot be used, as for a server named by its address); a NEGOTIATE_MESSAGE gets a CHALLENGE
 * with a fresh server challenge; an AUTHENTICATE_MESSAGE on the same
 * connection is checked against the one account the server knows (its
 * NTLMv2 response is recomputed from the password) and, when right, the
 * connection is authenticated and the request goes on to the resource.  What
 * each message said is counted in struct ntlm_server, under its cs.  State is
 * kept by connection number, so a test uses one server (or proxy) at a time.
 */

#ifndef QMGR_TESTS_NTLM_SERVER_H
#define QMGR_TESTS_NTLM_SERVER_H

#include "httpd.h"

#define NTLM_SERVER_MAX_CONNECTIONS 32

struct ntlm_server
{
    CRITICAL_SECTION cs;
    /* the account */
    WCHAR domain[32], user[32], password[64];
    /* what happened */
    unsigned int offers;          /* 401s without a challenge */
    unsigned int negotiates;      /* NEGOTIATE_MESSAGEs */
    unsigned int accepted;        /* AUTHENTICATE_MESSAGEs with the right NTLMv2 response */
    unsigned int refused;         /* other AUTHENTICATE_MESSAGEs, and wrong Basic answers */
    unsigned int basic_accepted;  /* right Basic answers (user:password, no domain) */
    WCHAR last_domain[64], last_user[64];  /* of the last AUTHENTICATE_MESSAGE */
    /* connection state */
    LONG challenged[NTLM_SERVER_MAX_CONNECTIONS];   /* connection of each challenge */
    BYTE challenges[NTLM_SERVER_MAX_CONNECTIONS][8];
    LONG authenticated[NTLM_SERVER_MAX_CONNECTIONS];
    unsigned int next_challenge, next_authenticated;
};

extern struct ntlm_server ntlm_server;

/* The one account, domain\user with password; once, before any install. */
void ntlm_server_init(const WCHAR *domain, const WCHAR *user, const WCHAR *password);
/* Serves NTLM for requests under path_prefix: as a server (401, WWW-Authenticate,
 * Authorization) or as a proxy (407, Proxy-Authenticate, Proxy-Authorization);
 * a proxy's handler goes before the handler that forwards.  scheme: the name
 * offered and answered, "NTLM" or "Negotiate". */
BOOL ntlm_server_install(struct httpd *httpd, const char *path_prefix, BOOL proxy, const char *scheme);
/* Serves NTLM as a server, and offers Basic in the same 401s; a Basic answer
 * of the account's user and password passes too. */
BOOL ntlm_server_install_with_basic(struct httpd *httpd, const char *path_prefix);
/* Forgets counts and connections (the account stays). */
void ntlm_server_reset(void);
/* The Credential Manager's entry for the loopback host (127.0.0.1): the
 * account's domain\user with password, which a job with implicit (logon)
 * credentials answers with.  FALSE on failure, with the last error. */
BOOL ntlm_server_store_host_password(const WCHAR *password);
BOOL ntlm_server_forget_host_password(void);

#endif /* QMGR_TESTS_NTLM_SERVER_H */
