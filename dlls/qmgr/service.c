/*
 * Background Intelligent Transfer Service: the service entry point, the
 * class objects of every versioned CLSID and the registration.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "qmgr_private.h"
#include "store.h"
#include "winsvc.h"
#include "winreg.h"

#include "wine/debug.h"

WINE_DEFAULT_DEBUG_CHANNEL(qmgr);

/* Every BITS version has its own coclass; all of them serve the same manager. */
static const struct
{
    const CLSID *clsid;
    const WCHAR *name;
} versions[] =
{
    { &CLSID_BackgroundCopyManager,     L"Background Copy Manager 1.0" },
    { &CLSID_BackgroundCopyManager1_5,  L"Background Copy Manager 1.5" },
    { &CLSID_BackgroundCopyManager2_0,  L"Background Copy Manager 2.0" },
    { &CLSID_BackgroundCopyManager2_5,  L"Background Copy Manager 2.5" },
    { &CLSID_BackgroundCopyManager3_0,  L"Background Copy Manager 3.0" },
    { &CLSID_BackgroundCopyManager4_0,  L"Background Copy Manager 4.0" },
    { &CLSID_BackgroundCopyManager5_0,  L"Background Copy Manager 5.0" },
    { &CLSID_BackgroundCopyManager10_1, L"Background Copy Manager 10.1" },
    { &CLSID_BackgroundCopyManager10_2, L"Background Copy Manager 10.2" },
    { &CLSID_BackgroundCopyManager10_3, L"Background Copy Manager 10.3" },
};

#define VERSION_COUNT ARRAY_SIZE(versions)

/* The AppID Windows uses for BITS; LocalService makes COM start our service. */
static const WCHAR bits_appid[] = L"{69AD4AEE-51BE-439B-A92C-86AE490E8B30}";
static const WCHAR service_name[] = L"BITS";

static SERVICE_STATUS_HANDLE status_handle;
static SERVICE_STATUS status;
static HANDLE stop_event;

/* ---- class factory (one static object per CLSID, no state) ---- */

static HRESULT WINAPI factory_QueryInterface(IClassFactory *iface, REFIID riid, void **obj)
{
    TRACE("%p, %s, %p.\n", iface, debugstr_guid(riid), obj);

    if (IsEqualGUID(riid, &IID_IUnknown) || IsEqualGUID(riid, &IID_IClassFactory))
    {
        *obj = iface;
        return S_OK;
    }
    WARN("Unsupported interface %s.\n", debugstr_guid(riid));
    *obj = NULL;
    return E_NOINTERFACE;
}

static ULONG WINAPI factory_AddRef(IClassFactory *iface)
{
    return 2;
}

static ULONG WINAPI factory_Release(IClassFactory *iface)
{
    return 1;
}

static HRESULT WINAPI factory_CreateInstance(IClassFactory *iface, IUnknown *outer, REFIID riid, void **obj)
{
    TRACE("%p, %p, %s, %p.\n", iface, outer, debugstr_guid(riid), obj);

    if (!obj) return E_POINTER;
    *obj = NULL;
    if (outer) return CLASS_E_NOAGGREGATION;
    return manager_create(riid, obj);
}

static HRESULT WINAPI factory_LockServer(IClassFactory *iface, BOOL lock)
{
    TRACE("%p, %d.\n", iface, lock);
    return S_OK;
}

static const IClassFactoryVtbl factory_vtbl =
{
    factory_QueryInterface,
    factory_AddRef,
    factory_Release,
    factory_CreateInstance,
    factory_LockServer,
};

static IClassFactory factory = { &factory_vtbl };

/* ---- the service ---- */

static void set_service_status(DWORD state)
{
    status.dwServiceType = SERVICE_WIN32_SHARE_PROCESS;
    status.dwCurrentState = state;
    status.dwControlsAccepted = state == SERVICE_RUNNING ? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN : 0;
    status.dwWin32ExitCode = NO_ERROR;
    status.dwServiceSpecificExitCode = 0;
    status.dwCheckPoint = 0;
    status.dwWaitHint = state == SERVICE_RUNNING || state == SERVICE_STOPPED ? 0 : 10000;
    SetServiceStatus(status_handle, &status);
}

BOOL service_wait_stopping(const HANDLE *handles, DWORD count, DWORD timeout)
{
    ULONGLONG start = GetTickCount64(), waited;
    DWORD ret;

    if (!count) return TRUE;
    for (;;)
    {
        waited = GetTickCount64() - start;
        if (waited >= timeout) return FALSE;
        ret = WaitForMultipleObjects(count, handles, TRUE, (DWORD)min(timeout - waited, 1000));
        if (ret < WAIT_OBJECT_0 + count) return TRUE;
        if (ret == WAIT_FAILED)
        {
            /* One handle is bad: the others are still waited for, in turn. */
            ERR("WaitForMultipleObjects failed: %lu.\n", GetLastError());
            while (count--)
            {
                waited = GetTickCount64() - start;
                if (waited >= timeout || WaitForSingleObject(handles[count], (DWORD)(timeout - waited)) == WAIT_TIMEOUT)
                    return FALSE;
            }
            return TRUE;
        }
        /* The stop is still going on (SERVICE_STATUS: a checkpoint within each wait hint). */
        if (status_handle && status.dwCurrentState == SERVICE_STOP_PENDING)
        {
            status.dwCheckPoint++;
            SetServiceStatus(status_handle, &status);
        }
    }
}

static DWORD WINAPI service_handler(DWORD control, DWORD event_type, void *event_data, void *context)
{
    TRACE("%#lx, %#lx, %p, %p.\n", control, event_type, event_data, context);

    switch (control)
    {
    case SERVICE_CONTROL_STOP:
    case SERVICE_CONTROL_SHUTDOWN:
        set_service_status(SERVICE_STOP_PENDING);
        SetEvent(stop_event);
        return NO_ERROR;
    case SERVICE_CONTROL_INTERROGATE:
        SetServiceStatus(status_handle, &status);
        return NO_ERROR;
    default:
        return ERROR_CALL_NOT_IMPLEMENTED;
    }
}

void WINAPI ServiceMain(DWORD argc, LPWSTR *argv)
{
    const CLSID *clsids[VERSION_COUNT];
    unsigned int i;
    HRESULT hr;

    TRACE("%lu, %p.\n", argc, argv);

    if (!(status_handle = RegisterServiceCtrlHandlerExW(service_name, service_handler, NULL)))
    {
        ERR("RegisterServiceCtrlHandlerExW failed, error %lu.\n", GetLastError());
        return;
    }
    set_service_status(SERVICE_START_PENDING);

    stop_event = CreateEventW(NULL, TRUE, FALSE, NULL);
    CoInitializeEx(NULL, COINIT_MULTITHREADED);
    identity_init();
    fast_channel_init();
    manager_init();
    scheduler_init();
    store_init();
    manager_load_jobs();

    for (i = 0; i < VERSION_COUNT; i++) clsids[i] = versions[i].clsid;
    if (SUCCEEDED(hr = activation_register(&factory, clsids, VERSION_COUNT)))
    {
        set_service_status(SERVICE_RUNNING);
        /* The service lives until the SCM stops it or the session shuts down. */
        WaitForSingleObject(stop_event, INFINITE);
    }

    set_service_status(SERVICE_STOP_PENDING);
    if (SUCCEEDED(hr)) activation_revoke();
    fast_channel_shutdown();
    scheduler_shutdown();
    /* Every change, the last progress of the runs just stopped among them, is on disk. */
    store_shutdown();
    manager_shutdown();
    CoUninitialize();
    store_finish();
    CloseHandle(stop_event);
    set_service_status(SERVICE_STOPPED);
}

/* ---- registration ---- */

static LSTATUS set_string(HKEY key, const WCHAR *subkey, const WCHAR *name, const WCHAR *value)
{
    LSTATUS ret;
    HKEY hkey;

    if ((ret = RegCreateKeyExW(key, subkey, 0, NULL, 0, KEY_WRITE, NULL, &hkey, NULL))) return ret;
    ret = RegSetValueExW(hkey, name, 0, REG_SZ, (const BYTE *)value, (wcslen(value) + 1) * sizeof(WCHAR));
    RegCloseKey(hkey);
    return ret;
}

/* The BITS service runs in svchost's netsvcs group with qmgr.dll as its ServiceDll.
 * Wine's prefix already has it; create it where it is missing and point it at us. */
static HRESULT register_service(void)
{
    WCHAR dll_path[MAX_PATH];
    SC_HANDLE scm, service;
    LSTATUS ret;

    if (!(scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_ALL_ACCESS)))
        return HRESULT_FROM_WIN32(GetLastError());
    service = OpenServiceW(scm, service_name, SERVICE_ALL_ACCESS);
    if (!service)
        service = CreateServiceW(scm, service_name, L"Background Intelligent Transfer Service",
                                 SERVICE_ALL_ACCESS, SERVICE_WIN32_SHARE_PROCESS, SERVICE_DEMAND_START,
                                 SERVICE_ERROR_NORMAL, L"C:\\windows\\system32\\svchost.exe -k netsvcs",
                                 NULL, NULL, NULL, NULL, NULL);
    if (!service)
    {
        DWORD err = GetLastError();
        CloseServiceHandle(scm);
        return HRESULT_FROM_WIN32(err);
    }
    CloseServiceHandle(service);
    CloseServiceHandle(scm);

    GetSystemDirectoryW(dll_path, MAX_PATH);
    wcscat(dll_path, L"\\qmgr.dll");
    ret = set_string(HKEY_LOCAL_MACHINE, L"System\\CurrentControlSet\\Services\\BITS\\Parameters",
                     L"ServiceDll", dll_path);
    return HRESULT_FROM_WIN32(ret);
}

HRESULT WINAPI DllRegisterServer(void)
{
    WCHAR key[64], clsid[39];
    unsigned int i;
    LSTATUS ret;
    HRESULT hr;

    TRACE("\n");

    if (FAILED(hr = register_service())) return hr;

    wcscpy(key, L"AppID\\");
    wcscat(key, bits_appid);
    if ((ret = set_string(HKEY_CLASSES_ROOT, key, NULL, L"Background Intelligent Transfer Service")))
        return HRESULT_FROM_WIN32(ret);
    if ((ret = set_string(HKEY_CLASSES_ROOT, key, L"LocalService", service_name)))
        return HRESULT_FROM_WIN32(ret);

    for (i = 0; i < VERSION_COUNT; i++)
    {
        StringFromGUID2(versions[i].clsid, clsid, ARRAY_SIZE(clsid));
        wcscpy(key, L"CLSID\\");
        wcscat(key, clsid);
        if ((ret = set_string(HKEY_CLASSES_ROOT, key, NULL, versions[i].name)) ||
            (ret = set_string(HKEY_CLASSES_ROOT, key, L"AppID", bits_appid)))
            return HRESULT_FROM_WIN32(ret);
    }
    return S_OK;
}

HRESULT WINAPI DllUnregisterServer(void)
{
    WCHAR key[64], clsid[39];
    unsigned int i;

    TRACE("\n");

    for (i = 0; i < VERSION_COUNT; i++)
    {
        StringFromGUID2(versions[i].clsid, clsid, ARRAY_SIZE(clsid));
        wcscpy(key, L"CLSID\\");
        wcscat(key, clsid);
        RegDeleteTreeW(HKEY_CLASSES_ROOT, key);
    }
    return S_OK;
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, void *reserved)
{
    TRACE("%p, %lu, %p.\n", instance, reason, reserved);

    if (reason == DLL_PROCESS_ATTACH) DisableThreadLibraryCalls(instance);
    return TRUE;
}
