/*
 * Background Intelligent Transfer Service: sets of byte ranges, for the
 * random access of IBackgroundCopyFile6 (which bytes of a file are on disk,
 * which ones the application asked for).
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <stdlib.h>

#include "qmgr_private.h"

void range_set_clear(struct range_set *set)
{
    free(set->items);
    memset(set, 0, sizeof(*set));
}

/* Adds [start, end), merging it with what it overlaps or touches. */
BOOL range_set_add(struct range_set *set, UINT64 start, UINT64 end)
{
    DWORD first, last;

    if (start >= end) return TRUE;
    /* The items [first, last) overlap or touch the new range. */
    for (first = 0; first < set->count && set->items[first].end < start; first++);
    for (last = first; last < set->count && set->items[last].start <= end; last++);
    if (first < last)
    {
        set->items[first].start = min(set->items[first].start, start);
        set->items[first].end = max(set->items[last - 1].end, end);
        memmove(&set->items[first + 1], &set->items[last], (set->count - last) * sizeof(*set->items));
        set->count -= last - first - 1;
        return TRUE;
    }
    if (set->count == set->capacity)
    {
        DWORD capacity = max(8, set->capacity * 2);
        struct byte_range *items;

        if (!(items = realloc(set->items, capacity * sizeof(*items)))) return FALSE;
        set->items = items;
        set->capacity = capacity;
    }
    memmove(&set->items[first + 1], &set->items[first], (set->count - first) * sizeof(*set->items));
    set->items[first].start = start;
    set->items[first].end = end;
    set->count++;
    return TRUE;
}

UINT64 range_set_total(const struct range_set *set)
{
    UINT64 total = 0;
    DWORD i;

    for (i = 0; i < set->count; i++) total += set->items[i].end - set->items[i].start;
    return total;
}

/* The first bytes of [start, end) the set lacks: FALSE when it has them all. */
BOOL range_set_first_gap(const struct range_set *set, UINT64 start, UINT64 end, UINT64 *gap_start, UINT64 *gap_end)
{
    DWORD i;

    for (i = 0; i < set->count && start < end; i++)
    {
        if (set->items[i].end <= start) continue;
        if (set->items[i].start > start)
        {
            *gap_start = start;
            *gap_end = min(end, set->items[i].start);
            return TRUE;
        }
        start = set->items[i].end;
    }
    if (start >= end) return FALSE;
    *gap_start = start;
    *gap_end = end;
    return TRUE;
}

/* Forgets the index-th range. */
void range_set_remove(struct range_set *set, DWORD index)
{
    if (index >= set->count) return;
    memmove(&set->items[index], &set->items[index + 1], (set->count - index - 1) * sizeof(*set->items));
    set->count--;
}

/* Forgets every byte at or after end. */
void range_set_clip(struct range_set *set, UINT64 end)
{
    while (set->count && set->items[set->count - 1].start >= end) set->count--;
    if (set->count && set->items[set->count - 1].end > end) set->items[set->count - 1].end = end;
}

/* The set as BG_FILE_RANGEs, CoTaskMemAlloc'd for a caller (NULL when empty). */
HRESULT range_set_export(const struct range_set *set, DWORD *count, BG_FILE_RANGE **ranges)
{
    DWORD i;

    *count = 0;
    *ranges = NULL;
    if (!set->count) return S_OK;
    if (!(*ranges = CoTaskMemAlloc(set->count * sizeof(**ranges)))) return E_OUTOFMEMORY;
    for (i = 0; i < set->count; i++)
    {
        (*ranges)[i].InitialOffset = set->items[i].start;
        (*ranges)[i].Length = set->items[i].end - set->items[i].start;
    }
    *count = set->count;
    return S_OK;
}

/* From a stored blob of (start, end) pairs; FALSE if it is not one. */
BOOL range_set_load(struct range_set *set, const void *data, DWORD size)
{
    const struct byte_range *items = data;
    DWORD i;

    if (size % sizeof(*items)) return FALSE;
    range_set_clear(set);
    for (i = 0; i < size / sizeof(*items); i++)
    {
        struct byte_range item;

        memcpy(&item, &items[i], sizeof(item));
        if (item.start > item.end || !range_set_add(set, item.start, item.end)) return FALSE;
    }
    return TRUE;
}
