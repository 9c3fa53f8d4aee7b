/*
 * queue.c - the bounded blocking queue of queue.h.
 */
#include "common/queue.h"

#include <string.h>

void queue_init(struct queue *q, size_t cap)
{
    memset(q, 0, sizeof *q);
    q->cap = cap < 1 ? 1 : cap > QUEUE_MAX ? QUEUE_MAX : cap;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->not_empty, NULL);
    pthread_cond_init(&q->not_full, NULL);
}

void queue_destroy(struct queue *q)
{
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->not_empty);
    pthread_cond_destroy(&q->not_full);
}

/* take_locked: the head item (q->n > 0, q->mu held). */
static void *take_locked(struct queue *q)
{
    void *x = q->v[q->head];
    q->head = (q->head + 1) % q->cap;
    q->n--;
    return x;
}

int queue_push(struct queue *q, void *x)
{
    pthread_mutex_lock(&q->mu);
    while (q->n == q->cap && !q->closed) pthread_cond_wait(&q->not_full, &q->mu);
    int rc = -1;
    if (!q->closed) {
        q->v[(q->head + q->n) % q->cap] = x;
        q->n++;
        rc = 0;
        pthread_cond_signal(&q->not_empty);
    }
    pthread_mutex_unlock(&q->mu);
    return rc;
}

void *queue_pop(struct queue *q)
{
    pthread_mutex_lock(&q->mu);
    while (q->n == 0 && !q->closed) pthread_cond_wait(&q->not_empty, &q->mu);
    void *x = NULL;
    if (q->n) {
        x = take_locked(q);
        pthread_cond_signal(&q->not_full);
    }
    pthread_mutex_unlock(&q->mu);
    return x;
}

void queue_close(struct queue *q)
{
    pthread_mutex_lock(&q->mu);
    q->closed = 1;
    pthread_cond_broadcast(&q->not_empty);
    pthread_cond_broadcast(&q->not_full);
    pthread_mutex_unlock(&q->mu);
}

void *queue_take(struct queue *q)
{
    pthread_mutex_lock(&q->mu);
    void *x = q->n ? take_locked(q) : NULL;
    pthread_cond_signal(&q->not_full);
    pthread_mutex_unlock(&q->mu);
    return x;
}
