/*
 * Background Intelligent Transfer Service: the named events by which a client
 * waits, as it exits, until the service has written its changes.
 *
 * Wine's services.exe ends a session by terminating service processes; no
 * SERVICE_CONTROL_SHUTDOWN reaches them.  When the last client exits, the
 * session ends at once, so whatever that client changed must be on disk
 * before it goes.  qmgr.dll keeps STORE_IDLE_EVENT set while nothing waits
 * to be written; qmgrprxy.dll, unloading in a client, sets STORE_HURRY_EVENT
 * (skip the gathering delay) and waits, bounded, for the idle event.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __QMGR_STORE_EVENTS_H
#define __QMGR_STORE_EVENTS_H

#define STORE_IDLE_EVENT  L"Global\\qmgr-store-idle"
#define STORE_HURRY_EVENT L"Global\\qmgr-store-hurry"

/* How long a client's exit waits for the store at most. */
#define STORE_EXIT_WAIT_MS 5000

#endif /* __QMGR_STORE_EVENTS_H */
