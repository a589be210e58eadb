// The compute pool: a fixed set of pthreads that share the items of one job at a time.
//
// The thread that calls `ck_pool_for` works too (as thread 0), so a pool of N threads starts N - 1
// workers. Items are claimed from an atomic counter, so a thread that the operating system
// delays (a shared, loaded machine) simply takes fewer items. Between jobs the workers spin for a
// few microseconds (the next matrix product follows at once during a forward pass) and then sleep
// on a condition variable, so an idle engine costs nothing.

#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE
#endif

#include "CKernels.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#include <sched.h>
#endif
#if defined(__x86_64__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define CPU_RELAX() __asm__ __volatile__("yield")
#else
#define CPU_RELAX() ((void)0)
#endif

struct ck_pool {
    int n_threads;
    pthread_t *workers;
    pthread_mutex_t mutex;       // guards sleeping and waking
    pthread_cond_t wake;
    pthread_mutex_t job_lock;    // one job at a time, whoever submits it
    // The job's generation (high 48 bits) and whether it is closed (bit 15) and how many workers have joined it (low 15 bits). A
    // worker joins only by a compare-and-swap that still sees the generation it woke for, so one
    // that wakes late never runs a job it was not counted in.
    _Atomic uint64_t state;
    _Atomic int64_t next_item;
    _Atomic int stopping;
    int sleepers;
    int64_t n_items;
    ck_pool_body body;
    void *ctx;
};

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#define GENERATION(state) ((state) >> 16)
#define CLOSED ((uint64_t)1 << 15)

// Spin this long for the next job before sleeping.
enum { SPIN_NS = 50000 };

static void work(ck_pool *pool, int ith) {
    for (;;) {
        const int64_t i = atomic_fetch_add_explicit(&pool->next_item, 1, memory_order_relaxed);
        if (i >= pool->n_items) break;
        pool->body(pool->ctx, i, ith);
    }
}

typedef struct { ck_pool *pool; int ith; } worker_arg;

static void *worker_main(void *p) {
    worker_arg arg = *(worker_arg *)p;
    free(p);
    ck_pool *pool = arg.pool;
    uint64_t seen = 0;
    for (;;) {
        uint64_t gen = GENERATION(atomic_load_explicit(&pool->state, memory_order_acquire));
        if (gen == seen) {
            const uint64_t until = now_ns() + SPIN_NS;
            int spins = 0;
            while ((gen = GENERATION(atomic_load_explicit(&pool->state, memory_order_acquire))) == seen &&
                   !atomic_load_explicit(&pool->stopping, memory_order_relaxed)) {
                CPU_RELAX();
                // Now and then let a thread with work have this core: on a busy machine the
                // submitting thread may be queued behind this one.
                if ((++spins & 63) == 0) {
                    if (now_ns() > until) break;
                    sched_yield();
                }
            }
            if (gen == seen) {
                pthread_mutex_lock(&pool->mutex);
                pool->sleepers++;
                while ((gen = GENERATION(atomic_load_explicit(&pool->state, memory_order_acquire))) == seen &&
                       !atomic_load_explicit(&pool->stopping, memory_order_relaxed)) {
                    pthread_cond_wait(&pool->wake, &pool->mutex);
                }
                pool->sleepers--;
                pthread_mutex_unlock(&pool->mutex);
            }
        }
        if (atomic_load_explicit(&pool->stopping, memory_order_acquire)) return NULL;
        seen = gen;
        uint64_t s = atomic_load_explicit(&pool->state, memory_order_acquire);
        int joined = 0;
        while (GENERATION(s) == gen && !(s & CLOSED)) {
            if (atomic_compare_exchange_weak_explicit(&pool->state, &s, s + 1, memory_order_acq_rel, memory_order_acquire)) {
                joined = 1;
                break;
            }
        }
        if (!joined) continue;
        work(pool, arg.ith);
        atomic_fetch_sub_explicit(&pool->state, 1, memory_order_release);
    }
}

int ck_available_cores(void) {
#if defined(__linux__)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0) {
        const int n = CPU_COUNT(&set);
        if (n > 0) return n;
    }
#endif
    const long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

ck_pool *ck_pool_create(int n_threads) {
    if (n_threads < 1) n_threads = 1;
    ck_pool *pool = calloc(1, sizeof(ck_pool));
    if (!pool) return NULL;
    pool->n_threads = n_threads;
    pthread_mutex_init(&pool->mutex, NULL);
    pthread_mutex_init(&pool->job_lock, NULL);
    pthread_cond_init(&pool->wake, NULL);
    atomic_init(&pool->state, 0);
    atomic_init(&pool->next_item, 0);
    atomic_init(&pool->stopping, 0);
    pool->workers = calloc((size_t)n_threads, sizeof(pthread_t));
    for (int i = 1; i < n_threads; i++) {
        worker_arg *arg = malloc(sizeof(worker_arg));
        arg->pool = pool;
        arg->ith = i;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setstacksize(&attr, 1 << 20);
        if (pthread_create(&pool->workers[i], &attr, worker_main, arg) != 0) {
            free(arg);
            pool->n_threads = i;  // run with the threads that started
            pthread_attr_destroy(&attr);
            break;
        }
        pthread_attr_destroy(&attr);
    }
    return pool;
}

void ck_pool_destroy(ck_pool *pool) {
    if (!pool) return;
    pthread_mutex_lock(&pool->mutex);
    atomic_store_explicit(&pool->stopping, 1, memory_order_release);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mutex);
    for (int i = 1; i < pool->n_threads; i++) pthread_join(pool->workers[i], NULL);
    pthread_cond_destroy(&pool->wake);
    pthread_mutex_destroy(&pool->mutex);
    pthread_mutex_destroy(&pool->job_lock);
    free(pool->workers);
    free(pool);
}

int ck_pool_threads(const ck_pool *pool) { return pool ? pool->n_threads : 1; }

void ck_pool_for(ck_pool *pool, int64_t n_items, ck_pool_body body, void *ctx) {
    if (n_items <= 0) return;
    if (!pool || pool->n_threads == 1 || n_items == 1) {
        for (int64_t i = 0; i < n_items; i++) body(ctx, i, 0);
        return;
    }
    pthread_mutex_lock(&pool->job_lock);
    pool->body = body;
    pool->ctx = ctx;
    pool->n_items = n_items;
    atomic_store_explicit(&pool->next_item, 0, memory_order_relaxed);
    // No worker is inside a job here (the previous one waited for them), so the count is zero.
    const uint64_t gen = GENERATION(atomic_load_explicit(&pool->state, memory_order_relaxed)) + 1;
    atomic_store_explicit(&pool->state, gen << 16, memory_order_release);
    pthread_mutex_lock(&pool->mutex);
    if (pool->sleepers > 0) pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mutex);
    work(pool, 0);
    // The items are all claimed: close the job to late joiners, then wait for the workers that
    // joined to finish theirs.
    atomic_fetch_or_explicit(&pool->state, CLOSED, memory_order_acq_rel);
    int spins = 0;
    while ((atomic_load_explicit(&pool->state, memory_order_acquire) & (CLOSED - 1)) != 0) {
        CPU_RELAX();
        if ((++spins & 63) == 0) sched_yield();
    }
    pthread_mutex_unlock(&pool->job_lock);
}
