/*
 * Background Intelligent Transfer Service: what the service and bitsguard.exe
 * say to each other over their pipe.
 *
 * Wine 8's rpcss keeps a local server's class registration after its process
 * dies and goes on handing the dead object to clients, so a killed service
 * could not be started again until the whole Wine session restarts.  The
 * service therefore has bitsguard register its class objects with rpcss and
 * revoke them the moment the service process ends, whichever way it ends.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __QMGR_GUARD_WIRE_H
#define __QMGR_GUARD_WIRE_H

#define GUARD_MAGIC 0x44524147  /* "GARD" */
#define GUARD_MAX_CLASSES 16
#define GUARD_MAX_OBJREF 4096

/* The service's first message: register these classes, all served by one
 * marshalled IServiceProvider, as Wine's combase registers a local server. */
struct guard_register
{
    DWORD magic;
    DWORD count;
    DWORD flags;            /* REGCLS_* */
    DWORD objref_size;
    CLSID clsids[GUARD_MAX_CLASSES];
    BYTE objref[GUARD_MAX_OBJREF];
};

/* bitsguard's answer to each message. */
struct guard_reply
{
    DWORD magic;
    HRESULT hr;
};

/* The service's second and last message, when it stops cleanly. */
#define GUARD_REVOKE 'R'

/* Both ends use overlapped pipe I/O so that no wait outlives the other
 * process.  Waits for an operation started on ovl; when the other process
 * ends or the time runs out it is cancelled.  TRUE when it completed. */
static inline BOOL guard_wait(HANDLE pipe, OVERLAPPED *ovl, HANDLE process, DWORD timeout, DWORD *done)
{
    HANDLE waits[2] = { ovl->hEvent, process };

    if (WaitForMultipleObjects(2, waits, FALSE, timeout) != WAIT_OBJECT_0)
    {
        CancelIo(pipe);
        WaitForSingleObject(ovl->hEvent, 1000);
    }
    return GetOverlappedResult(pipe, ovl, done, FALSE);
}

static inline BOOL guard_pipe_io(HANDLE pipe, HANDLE process, DWORD timeout, void *buffer, DWORD size,
                                 BOOL write, DWORD *done)
{
    OVERLAPPED ovl = { 0 };
    BOOL ret;

    ovl.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
    ret = write ? WriteFile(pipe, buffer, size, NULL, &ovl) : ReadFile(pipe, buffer, size, NULL, &ovl);
    if (ret || GetLastError() == ERROR_IO_PENDING) ret = guard_wait(pipe, &ovl, process, timeout, done);
    CloseHandle(ovl.hEvent);
    return ret;
}

#endif /* __QMGR_GUARD_WIRE_H */
