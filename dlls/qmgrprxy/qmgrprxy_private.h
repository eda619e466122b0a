/*
 * qmgrprxy.dll's internal interfaces.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __QMGRPRXY_PRIVATE_H
#define __QMGRPRXY_PRIVATE_H

struct identity_wire;

/* identity_hook.c */
void identity_describe_call(struct identity_wire *record, BOOL may_open, HANDLE *token);

/* fast_proxy.c */
HRESULT fast_proxy_get_class_object(REFIID riid, void **obj);
HRESULT fast_proxy_register(HINSTANCE instance);
HRESULT fast_proxy_unregister(void);

/* The generated entry points carry the Prx prefix (ENTRY_PREFIX). */
HRESULT WINAPI PrxDllGetClassObject(REFCLSID clsid, REFIID riid, void **obj);
HRESULT WINAPI PrxDllCanUnloadNow(void);
HRESULT WINAPI PrxDllRegisterServer(void);
HRESULT WINAPI PrxDllUnregisterServer(void);

#endif
