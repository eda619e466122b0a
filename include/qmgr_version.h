/*
 * The file version of qmgr.dll and its companions.  Microsoft's "Determining
 * the version of BITS on a computer" tells clients to read it: 7.8 is BITS 10.x.
 * The build number is Windows 11 22H2's, whose BITS (10.3) this one follows.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#define QMGR_VERSION_NUMBERS 7,8,22621,1
#define QMGR_VERSION_STRING "7.8.22621.1"
