/*
 * Plain data tables exchanged between the ABI test (abi.c, compiled against
 * our headers) and abi_mingw.c (compiled against mingw-w64's headers only).
 * No Windows types here, so both sides can include it.
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __QMGR_ABI_TABLES_H
#define __QMGR_ABI_TABLES_H

/* Vtable slot of a method: offsetof(<iface>Vtbl, <method>) / sizeof(void *). */
struct abi_slot
{
    const char *iface;
    const char *method;
    unsigned int slot;
};

/* Number of entries of a vtable: sizeof(<iface>Vtbl) / sizeof(void *). */
struct abi_vtbl_size
{
    const char *iface;
    unsigned int entries;
};

/* member NULL: value = sizeof(type).
 * Otherwise value = offsetof(type, member), member_size = sizeof(member). */
struct abi_layout
{
    const char *type;
    const char *member;
    unsigned int value;
    unsigned int member_size;
};

/* A GUID by name (IID_x, CLSID_x, LIBID_x), spelled out field by field. */
struct abi_guid
{
    const char *name;
    unsigned int data1;
    unsigned short data2;
    unsigned short data3;
    unsigned char data4[8];
};

/* An enumerator, a #define'd constant or an HRESULT.  32-bit quantities go
 * through unsigned int first (so 0x80200001 reads the same on both sides),
 * 64-bit ones (BG_SIZE_UNKNOWN) are stored as they are. */
struct abi_const
{
    const char *name;
    unsigned long long value;
};

/* Exported by abi_mingw.c */
extern const struct abi_slot mingw_slots[];
extern const unsigned int mingw_slot_count;
extern const struct abi_vtbl_size mingw_vtbl_sizes[];
extern const unsigned int mingw_vtbl_size_count;
extern const struct abi_layout mingw_layouts[];
extern const unsigned int mingw_layout_count;
extern const struct abi_guid *const mingw_guids[];
extern const unsigned int mingw_guid_count;
extern const struct abi_const mingw_consts[];
extern const unsigned int mingw_const_count;
extern const unsigned int mingw_pointer_size;

#endif /* __QMGR_ABI_TABLES_H */
