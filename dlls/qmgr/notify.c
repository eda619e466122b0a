/*
 * Background Intelligent Transfer Service: delivering notifications to
 * applications, through their callback objects or a command line.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>

#include "qmgr_private.h"

#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(qmgr);

/* A call to an application's object failed because its process is gone. */
BOOL notify_is_disconnected(HRESULT hr)
{
    return hr == RPC_E_DISCONNECTED || hr == CO_E_OBJNOTCONNECTED || hr == RPC_E_INVALID_OBJECT || hr == RPC_E_SERVER_DIED ||
           hr == RPC_E_SERVER_DIED_DNE || hr == HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE) ||
           hr == HRESULT_FROM_WIN32(RPC_S_CALL_FAILED);
}

/* JobTransferred or JobError through the application's callback object. */
HRESULT notify_callback(IUnknown *callback, enum notify_event event, IBackgroundCopyJob *job,
                        IBackgroundCopyError *error)
{
    IBackgroundCopyCallback *target;
    HRESULT hr;

    if (!callback) return E_POINTER;
    if (FAILED(hr = IUnknown_QueryInterface(callback, &IID_IBackgroundCopyCallback, (void **)&target)))
        return hr;
    if (event == NOTIFY_JOB_TRANSFERRED) hr = IBackgroundCopyCallback_JobTransferred(target, job);
    else hr = IBackgroundCopyCallback_JobError(target, job, error);
    IBackgroundCopyCallback_Release(target);
    TRACE("%s returned %#lx.\n", event == NOTIFY_JOB_TRANSFERRED ? "JobTransferred" : "JobError", hr);
    /* Anything but S_OK means: call again later. */
    return hr == S_OK ? S_OK : (FAILED(hr) ? hr : E_FAIL);
}

/* IBackgroundCopyCallback2::FileTransferred, when the object has it;
 * *plain says that it answers as a callback without it. */
HRESULT notify_file_transferred(IUnknown *callback, IBackgroundCopyJob *job, IBackgroundCopyFile *file, BOOL *plain)
{
    IBackgroundCopyCallback2 *target;
    HRESULT hr;

    *plain = FALSE;
    if (!callback) return S_OK;
    /* An object without Callback2 has nothing to hear; one that cannot be
     * asked (its process is gone) hears it later, or its successor does
     * (behavior.md 9.2). */
    if (FAILED(hr = IUnknown_QueryInterface(callback, &IID_IBackgroundCopyCallback2, (void **)&target)))
    {
        IBackgroundCopyCallback *callback1;

        if (hr != E_NOINTERFACE) return hr;
        /* Wine's proxies say E_NOINTERFACE for an object that is gone too: one
         * that still answers as a callback really lacks Callback2. */
        if (FAILED(IUnknown_QueryInterface(callback, &IID_IBackgroundCopyCallback, (void **)&callback1)))
            return RPC_E_DISCONNECTED;
        IBackgroundCopyCallback_Release(callback1);
        *plain = TRUE;
        return S_OK;
    }
    hr = IBackgroundCopyCallback2_FileTransferred(target, job, file);
    IBackgroundCopyCallback2_Release(target);
    TRACE("FileTransferred returned %#lx.\n", hr);
    return hr;
}

/* The program set with SetNotifyCmdLine, run with its parameters as they are;
 * *process is its handle, for the caller to watch and close. */
HRESULT notify_command_line(const WCHAR *program, const WCHAR *parameters, HANDLE *process)
{
    PROCESS_INFORMATION info;
    STARTUPINFOW startup = { sizeof(startup) };
    WCHAR *command_line = NULL;
    BOOL ok;

    *process = NULL;
    if (!program || !*program) return E_POINTER;
    /* The parameters begin with the program's own name, as a command line does. */
    if (parameters && *parameters && !(command_line = strdupW(parameters))) return E_OUTOFMEMORY;
    ok = CreateProcessW(program, command_line, NULL, NULL, FALSE, CREATE_NO_WINDOW, NULL, NULL, &startup, &info);
    free(command_line);
    if (!ok)
    {
        WARN("Could not start %s, error %lu.\n", debugstr_w(program), GetLastError());
        return HRESULT_FROM_WIN32(GetLastError());
    }
    CloseHandle(info.hThread);
    *process = info.hProcess;
    return S_OK;
}
