/*
 * Stopping and starting the BITS service from a test, for what must outlive
 * it.  The including file has the global "manager" (transfer_util.h).
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

static inline DWORD service_state(SC_HANDLE service)
{
    SERVICE_STATUS_PROCESS status;
    DWORD size;

    if (!QueryServiceStatusEx(service, SC_STATUS_PROCESS_INFO, (BYTE *)&status, sizeof(status), &size))
        return 0;
    return status.dwCurrentState;
}

/* Stops BITS through the service control manager; the manager proxy goes with it. */
static inline BOOL stop_service(void)
{
    SERVICE_STATUS status;
    SC_HANDLE scm, service;
    DWORD start = GetTickCount();
    BOOL ret = FALSE;

    IBackgroundCopyManager_Release(manager);
    manager = NULL;
    if (!(scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT))) return FALSE;
    if ((service = OpenServiceW(scm, L"BITS", SERVICE_STOP | SERVICE_QUERY_STATUS)))
    {
        if (ControlService(service, SERVICE_CONTROL_STOP, &status) || GetLastError() == ERROR_SERVICE_NOT_ACTIVE)
        {
            start = GetTickCount();
            while (!(ret = service_state(service) == SERVICE_STOPPED) && GetTickCount() - start < 30000) Sleep(50);
        }
        ok(ret, "the service did not stop: error %lu, state %lu.\n", GetLastError(), service_state(service));
        trace("stopping the service took %lu ms.\n", GetTickCount() - start);
        CloseServiceHandle(service);
    }
    else ok(GetLastError() == ERROR_ACCESS_DENIED, "OpenService failed: %lu.\n", GetLastError());
    CloseServiceHandle(scm);
    return ret;
}

/* The next call starts the service again, which loads the stored jobs. */
static inline BOOL start_service(void)
{
    HRESULT hr = CoCreateInstance(&CLSID_BackgroundCopyManager, NULL, CLSCTX_LOCAL_SERVER,
                                  &IID_IBackgroundCopyManager, (void **)&manager);
    ok(hr == S_OK, "CoCreateInstance after the restart failed: %#lx.\n", hr);
    return hr == S_OK;
}

/* Starts the service again even when it could not be stopped, so that the
 * tests after it still have a manager. */
static inline BOOL restart_service(void)
{
    BOOL stopped = stop_service();

    return start_service() && stopped;
}

/* Lets go of @job, restarts the service and gets the job back by its ID, for
 * what a job must keep across a restart.  NULL if either fails. */
static inline IBackgroundCopyJob *restart_with_job(IBackgroundCopyJob *job)
{
    GUID id = GUID_NULL;
    HRESULT hr;

    hr = IBackgroundCopyJob_GetId(job, &id);
    ok(hr == S_OK, "GetId failed: %#lx.\n", hr);
    IBackgroundCopyJob_Release(job);
    if (!restart_service())
    {
        skip("cannot restart the service.\n");
        return NULL;
    }
    job = NULL;
    hr = IBackgroundCopyManager_GetJob(manager, &id, &job);
    ok(hr == S_OK, "GetJob(%s) after the restart failed: %#lx.\n", wine_dbgstr_guid(&id), hr);
    return hr == S_OK ? job : NULL;
}
