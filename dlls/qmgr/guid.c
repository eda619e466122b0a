/*
 * Definitions of the BITS IIDs and CLSIDs (libuuid has none of them).
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdarg.h>

#include "windef.h"
#include "winbase.h"
#include "objbase.h"
#include "initguid.h"
#include "bits10_3.h"
