/*
 * The loopback HTTP server of the BITS conformance tests, built into this
 * test executable too (one source, dlls/qmgr/tests/httpd.c).
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "../../../dlls/qmgr/tests/httpd.c"
