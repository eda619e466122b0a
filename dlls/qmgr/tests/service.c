/*
 * Tests of the BITS service's lifecycle: started on demand by COM, stopped
 * cleanly through the service control manager, started again by the next call.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdarg.h>

#define COBJMACROS
#include "windef.h"
#include "winbase.h"
#include "winsvc.h"
#include "objbase.h"
#include "bits10_3.h"

#include "wine/test.h"

static HRESULT create_manager(IBackgroundCopyManager **manager)
{
    return CoCreateInstance(&CLSID_BackgroundCopyManager, NULL, CLSCTX_LOCAL_SERVER,
                            &IID_IBackgroundCopyManager, (void **)manager);
}

static DWORD query_state(SC_HANDLE service)
{
    SERVICE_STATUS_PROCESS status;
    DWORD size;

    if (!QueryServiceStatusEx(service, SC_STATUS_PROCESS_INFO, (BYTE *)&status, sizeof(status), &size))
        return 0;
    return status.dwCurrentState;
}

static BOOL wait_for_state(SC_HANDLE service, DWORD state, DWORD timeout_ms)
{
    DWORD start = GetTickCount();

    while (query_state(service) != state)
    {
        if (GetTickCount() - start > timeout_ms) return FALSE;
        Sleep(50);
    }
    return TRUE;
}

static void test_stop_and_restart(void)
{
    IBackgroundCopyManager *manager;
    IBackgroundCopyJob *job;
    SERVICE_STATUS status;
    SC_HANDLE scm, service;
    BG_JOB_STATE state;
    GUID id;
    HRESULT hr;

    hr = create_manager(&manager);
    if (FAILED(hr))
    {
        win_skip("BITS is not available, hr %#lx.\n", hr);
        return;
    }
    /* A call that needs the service makes sure it runs. */
    hr = IBackgroundCopyManager_CreateJob(manager, L"qmgr service test", BG_JOB_TYPE_DOWNLOAD, &id, &job);
    ok(hr == S_OK, "CreateJob failed, hr %#lx.\n", hr);
    if (hr == S_OK)
    {
        hr = IBackgroundCopyJob_Cancel(job);
        ok(hr == S_OK, "Cancel failed, hr %#lx.\n", hr);
        IBackgroundCopyJob_Release(job);
    }
    IBackgroundCopyManager_Release(manager);

    scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT);
    ok(scm != NULL, "OpenSCManagerW failed, error %lu.\n", GetLastError());
    if (!scm) return;
    service = OpenServiceW(scm, L"BITS", SERVICE_STOP | SERVICE_QUERY_STATUS);
    if (!service && GetLastError() == ERROR_ACCESS_DENIED)
    {
        skip("Not allowed to stop the BITS service.\n");
        CloseServiceHandle(scm);
        return;
    }
    ok(service != NULL, "OpenServiceW failed, error %lu.\n", GetLastError());
    if (!service)
    {
        CloseServiceHandle(scm);
        return;
    }
    ok(query_state(service) == SERVICE_RUNNING, "The service is not running, state %lu.\n", query_state(service));

    /* A clean stop: the service accepts the control and reaches STOPPED. */
    if (!ControlService(service, SERVICE_CONTROL_STOP, &status))
        ok(0, "ControlService(STOP) failed, error %lu.\n", GetLastError());
    ok(wait_for_state(service, SERVICE_STOPPED, 30000), "The service did not stop, state %lu.\n", query_state(service));

    /* The next client call starts it again. */
    hr = create_manager(&manager);
    ok(hr == S_OK, "CoCreateInstance after the stop failed, hr %#lx.\n", hr);
    if (hr == S_OK)
    {
        hr = IBackgroundCopyManager_CreateJob(manager, L"qmgr service test 2", BG_JOB_TYPE_DOWNLOAD, &id, &job);
        ok(hr == S_OK, "CreateJob after the restart failed, hr %#lx.\n", hr);
        if (hr == S_OK)
        {
            hr = IBackgroundCopyJob_GetState(job, &state);
            ok(hr == S_OK && state == BG_JOB_STATE_SUSPENDED, "GetState returned %#lx, state %d.\n", hr, state);
            IBackgroundCopyJob_Cancel(job);
            IBackgroundCopyJob_Release(job);
        }
        IBackgroundCopyManager_Release(manager);
    }
    ok(query_state(service) == SERVICE_RUNNING, "The service is not running again, state %lu.\n", query_state(service));

    CloseServiceHandle(service);
    CloseServiceHandle(scm);
}

START_TEST(service)
{
    CoInitializeEx(NULL, COINIT_MULTITHREADED);
    test_stop_and_restart();
    CoUninitialize();
}
