/*
 * The BITS upload server of the BITS conformance tests, built into this test
 * executable too (one source, dlls/qmgr/tests/bits_server.c).
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "../../../dlls/qmgr/tests/bits_server.c"
