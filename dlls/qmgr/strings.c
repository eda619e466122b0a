/*
 * Background Intelligent Transfer Service: string helpers.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>

#include "qmgr_private.h"

/* A private copy, freed with free(). */
WCHAR *strdupW(const WCHAR *str)
{
    size_t size;
    WCHAR *ret;

    if (!str) return NULL;
    size = (wcslen(str) + 1) * sizeof(WCHAR);
    if ((ret = malloc(size))) memcpy(ret, str, size);
    return ret;
}

/* A copy for the caller, who frees it with CoTaskMemFree(). */
HRESULT return_string(const WCHAR *str, WCHAR **out)
{
    size_t size = (wcslen(str) + 1) * sizeof(WCHAR);

    if (!(*out = CoTaskMemAlloc(size))) return E_OUTOFMEMORY;
    memcpy(*out, str, size);
    return S_OK;
}

/* File names compared as Windows' file systems do, ignoring case in all of
 * Unicode (the C runtime's wcsicmp folds only A-Z in the C locale): < 0, 0, > 0. */
int name_compare(const WCHAR *a, const WCHAR *b)
{
    return CompareStringOrdinal(a, -1, b, -1, TRUE) - CSTR_EQUAL;
}

/* The same for the first length characters of each (both have that many). */
int name_compare_n(const WCHAR *a, const WCHAR *b, size_t length)
{
    return CompareStringOrdinal(a, length, b, length, TRUE) - CSTR_EQUAL;
}
