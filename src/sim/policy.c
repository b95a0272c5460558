/* policy.c: the table of policies, the loop that feeds a batch of
 * operations to one policy, and the metrics measured after each operation:
 * the high-water marks, the heap and live bytes at each other's maximum
 * (Johnstone and Wilson's measures), their time averages and evenly spaced
 * samples for the heap/live curve.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sim/sim.h"

const struct sim_policy *const sim_policies[] = {
    &sim_ff_lifo, &sim_ff_fifo, &sim_ff_addr, &sim_next_fit, &sim_best_fit,
    &sim_buddy, &sim_simple_seg, &sim_seg_fit, NULL};

/* The policy called `name`, or NULL. */
const struct sim_policy *sim_policy_find(const char *name)
{
    for (size_t i = 0; sim_policies[i]; i++)
        if (strcmp(sim_policies[i]->name, name) == 0)
            return sim_policies[i];
    return NULL;
}

/* ---- metrics ---- */

void sim_metrics_begin(struct sim_state *s)
{
    memset(&s->m, 0, sizeof s->m);
    s->m.stride = 1;
    s->m.next_sample = 1;
}

/* Keeps every other sample and doubles the stride, so a trace of any length
 * ends with between SIM_SAMPLES/2 and SIM_SAMPLES evenly spaced samples. */
static void thin_samples(struct sim_metrics *m)
{
    uint32_t k = 0;
    for (uint32_t i = 1; i < m->nsamples; i += 2, k++) {
        m->sample_op[k] = m->sample_op[i];
        m->sample_heap[k] = m->sample_heap[i];
        m->sample_live[k] = m->sample_live[i];
    }
    m->nsamples = k;
    m->stride *= 2;
    m->next_sample = m->sample_op[k - 1] + m->stride;
}

static void sample(struct sim_metrics *m, uint64_t heap, uint64_t live)
{
    m->sample_op[m->nsamples] = m->ops;
    m->sample_heap[m->nsamples] = heap;
    m->sample_live[m->nsamples] = live;
    m->nsamples++;
    m->next_sample += m->stride;
    if (m->nsamples == SIM_SAMPLES)
        thin_samples(m);
}

static inline void measure(struct sim_state *s)
{
    struct sim_metrics *m = &s->m;
    uint64_t heap = s->heap, live = s->live;
    m->ops++;
    if (heap > m->heap_max) {
        m->heap_max = heap;
        m->live_at_heap_max = live;
    }
    if (live > m->live_max) {
        m->live_max = live;
        m->heap_at_live_max = heap;
    }
    /* both are below 2^63: the signed conversion is one instruction and
     * gives the same double as the unsigned one */
    m->heap_sum += (double)(int64_t)heap;
    m->live_sum += (double)(int64_t)live;
    if (m->ops == m->next_sample)
        sample(m, heap, live);
}

/* Adds the final state as the last sample (thin_samples leaves room). */
void sim_metrics_finish(struct sim_state *s)
{
    struct sim_metrics *m = &s->m;
    if (m->ops && (!m->nsamples || m->sample_op[m->nsamples - 1] != m->ops)) {
        m->sample_op[m->nsamples] = m->ops;
        m->sample_heap[m->nsamples] = s->heap;
        m->sample_live[m->nsamples] = s->live;
        m->nsamples++;
    }
}

static double ratio(uint64_t a, uint64_t b)
{
    return b ? (double)a / (double)b : 0.0;
}

/* Heap at its maximum over live at its maximum (J&W's measure #4). */
double sim_frag_max_over_max(const struct sim_metrics *m)
{
    return ratio(m->heap_max, m->live_max);
}

/* Heap at the moment live peaks over that peak (J&W's measure #2). */
double sim_frag_at_live_max(const struct sim_metrics *m)
{
    return ratio(m->heap_at_live_max, m->live_max);
}

/* Heap at its maximum over live at that moment (J&W's measure #3). */
double sim_frag_at_heap_max(const struct sim_metrics *m)
{
    return ratio(m->heap_max, m->live_at_heap_max);
}

/* Heap over live averaged over all operations (J&W's measure #1, as the
 * ratio of the time averages). */
double sim_frag_mean(const struct sim_metrics *m)
{
    return m->live_sum > 0 ? m->heap_sum / m->live_sum : 0.0;
}

/* ---- the loop ---- */

static int apply(struct sim_state *s, const struct sim_op *o)
{
    const struct sim_policy *p = s->policy;
    switch (o->kind) {
    case SIM_OP_ALLOC:
        if (p->alloc(s, o->id, o->size, o->align_log2 ? 1ull << o->align_log2 : 0) < 0)
            return -1;
        s->obj_live[o->id] = 1;
        s->live += o->size;
        return 0;
    case SIM_OP_FREE:
        p->release(s, o->id);
        s->obj_live[o->id] = 0;
        s->live -= o->size;
        return s->error ? -1 : 0;
    case SIM_OP_REALLOC:
        if (p->resize(s, o->id, o->size) < 0)
            return -1;
        s->live += o->size - o->old_size;
        return 0;
    default:
        s->error = "unknown operation";
        return -1;
    }
}

/* Runs n operations through s's policy, measuring after each one, and adds
 * the CPU time spent (this thread's, so other load on the machine does not
 * count) to s->m.seconds.  With cfg.check the invariants are
 * verified after every operation.  Returns 0, or -1 with `why` filled. */
int sim_run_ops(struct sim_state *s, const struct sim_op *ops, size_t n, char *why,
                size_t len)
{
    struct timespec a, b;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
    for (size_t i = 0; i < n; i++) {
        if (apply(s, &ops[i]) < 0 || s->error) {
            snprintf(why, len, "%s: %s", s->policy->name, s->error ? s->error : "failed");
            return -1;
        }
        measure(s);
        if (s->cfg.check) {
            char msg[400];
            if (s->policy->check(s, msg, sizeof msg) < 0) {
                snprintf(why, len, "%s: after operation %llu: %s", s->policy->name,
                         (unsigned long long)s->m.ops, msg);
                return -1;
            }
        }
    }
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
    s->m.seconds += (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) * 1e-9;
    return 0;
}
