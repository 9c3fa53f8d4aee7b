/*
 * queue.h - a bounded blocking queue of pointers between threads (one mutex,
 * two condition variables). Closing wakes every waiter: push then fails and
 * pop returns what is left, then NULL.
 *
 *     struct queue q;
 *     queue_init(&q, 4);
 *     producer: if (queue_push(&q, item) < 0) free_item(item);   // closed
 *     consumer: while ((item = queue_pop(&q))) use(item);
 *     queue_close(&q); join; while ((item = queue_take(&q))) free_item(item);
 *     queue_destroy(&q);
 */
#ifndef SEMINDEX_QUEUE_H
#define SEMINDEX_QUEUE_H

#include <pthread.h>
#include <stddef.h>

#define QUEUE_MAX 16 /* the largest capacity queue_init accepts */

struct queue {
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full;
    void *v[QUEUE_MAX];
    size_t cap, head, n;
    int closed;
};

/* queue_init: an empty open queue holding at most cap (1..QUEUE_MAX) items. */
void queue_init(struct queue *q, size_t cap);
void queue_destroy(struct queue *q);
/* queue_push: 0, or -1 when the queue was closed (the item is not taken).
 * Blocks while the queue is full. */
int queue_push(struct queue *q, void *x);
/* queue_pop: the next item, or NULL when closed and drained. Blocks while empty. */
void *queue_pop(struct queue *q);
void queue_close(struct queue *q);
/* queue_take: the next item or NULL, never blocking (drain after an abort). */
void *queue_take(struct queue *q);

#endif
