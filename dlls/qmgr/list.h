/*
 * A minimal intrusive doubly linked list (Wine's wine/list.h is not packaged).
 *
 * Copyright 2026 the qmgr-for-wine authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __QMGR_LIST_H
#define __QMGR_LIST_H

#include <stddef.h>

struct list
{
    struct list *next;
    struct list *prev;
};

#define LIST_INIT(head) { &(head), &(head) }

static inline void list_init(struct list *head)
{
    head->next = head->prev = head;
}

static inline int list_empty(const struct list *head)
{
    return head->next == head;
}

static inline void list_add_tail(struct list *head, struct list *entry)
{
    entry->next = head;
    entry->prev = head->prev;
    head->prev->next = entry;
    head->prev = entry;
}

static inline void list_add_head(struct list *head, struct list *entry)
{
    list_add_tail(head->next, entry);
}

/* The first entry, or NULL when the list is empty. */
static inline struct list *list_head(const struct list *head)
{
    return head->next == head ? NULL : head->next;
}

static inline void list_remove(struct list *entry)
{
    entry->prev->next = entry->next;
    entry->next->prev = entry->prev;
    entry->next = entry->prev = entry;
}

static inline unsigned int list_count(const struct list *head)
{
    const struct list *p;
    unsigned int n = 0;
    for (p = head->next; p != head; p = p->next) n++;
    return n;
}

#define LIST_ENTRY(ptr, type, field) ((type *)((char *)(ptr) - offsetof(type, field)))

#define LIST_FOR_EACH_ENTRY(item, head, type, field) \
    for ((item) = LIST_ENTRY((head)->next, type, field); \
         &(item)->field != (head); \
         (item) = LIST_ENTRY((item)->field.next, type, field))

#define LIST_FOR_EACH_ENTRY_SAFE(item, next_item, head, type, field) \
    for ((item) = LIST_ENTRY((head)->next, type, field), \
         (next_item) = LIST_ENTRY((item)->field.next, type, field); \
         &(item)->field != (head); \
         (item) = (next_item), (next_item) = LIST_ENTRY((item)->field.next, type, field))

#endif /* __QMGR_LIST_H */
