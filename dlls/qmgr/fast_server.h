/*
 * Background Intelligent Transfer Service: the serving end of the fast call
 * channel (fast_server.c), as the service and qmgrprxy.dll both use it.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __QMGR_FAST_SERVER_H
#define __QMGR_FAST_SERVER_H

#include "fast_wire.h"

/* What the process that serves decides. */
struct fast_server_host
{
    /* The interfaces a channel may call or ask for. */
    BOOL (*carries)(REFIID iid);
    /* May a reference marshalled now take the fast way?  NULL: always. */
    BOOL (*usable)(void);
    /* The process whose call is running on this thread, 0 outside one.  NULL: 0. */
    DWORD (*caller)(void);
    /* Around each call a channel runs; NULL: nothing. */
    void (*call_begins)(const struct identity_wire *identity);
    void (*call_ends)(void);
};

BOOL fast_server_start(const struct fast_server_host *host);
void fast_server_stop(void);
HRESULT fast_server_marshaller(IUnknown *object, void **obj);
HRESULT fast_server_resolve(const struct fast_objref *ref, REFIID riid, void **obj);

#endif /* __QMGR_FAST_SERVER_H */
