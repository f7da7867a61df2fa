package katamari.dispatcher.master;

import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import katamari.cluster.Drain;
import katamari.cluster.LeaderRecord;
import katamari.cluster.PoolVersion;
import katamari.config.KatamariConfig;
import katamari.dispatcher.NotLeaderException;
import katamari.dispatcher.autoscale.Autoscaler;
import katamari.dispatcher.election.LeadershipListener;
import katamari.dispatcher.election.Term;
import katamari.dispatcher.metadata.FencedStore;
import katamari.dispatcher.metadata.Journal;
import katamari.dispatcher.metadata.Mirrors;
import katamari.dispatcher.metadata.StaleLeaderException;
import katamari.dispatcher.provisioning.Topics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the leading dispatcher does, all on one thread (the duties thread): for each {@link Term} the election hands
 * it, take over ({@link Takeover}), then every tick renew the leader record, provision topics, evict silent workers,
 * grow or shrink autoscaled pool-versions ({@link Scaling}), place instances, repair metadata it did not write and forget
 * gateways long gone ({@link Housekeeping}, {@link InstancePlacement}); the operator's changes ({@link PoolEdits}) run on the same thread. Any refused write
 * means this dispatcher was deposed: it resigns the term, and the election's notice ends it here.
 */
public final class Master implements LeadershipListener, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Master.class);
    static final Duration TICK = Duration.ofMillis(500);
    private static final Duration JANITOR_EVERY = Duration.ofSeconds(10);
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(15);

    private final ScheduledExecutorService duties = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "master-duties"));
    private final FencedStore store;
    private final InstantSource clock;
    private final String self;
    private final String adminUrl;
    private final Catalog catalog = new Catalog();
    private final TopicJobs topics;
    private final Takeover takeover;
    private final PoolEdits edits;
    private final Housekeeping housekeeping;
    private final InstancePlacement placement;
    private final Scaling scaling;
    /** Written only on the duties thread. */
    private volatile Term term;
    private ScheduledFuture<?> ticking;
    private long lastJanitorMillis;

    /** @param configFileWins a fresh master set takes the config file's pool-versions over the journal's (one-box dev) */
    public Master(KatamariConfig config, boolean configFileWins, FencedStore store, Journal journal, Topics topics, Mirrors mirrors,
                  String adminUrl, InstantSource clock) {
        this.store = store;
        this.clock = clock;
        this.self = config.cluster().self();
        this.adminUrl = adminUrl;
        this.topics = new TopicJobs(topics);
        this.takeover = new Takeover(config.pools(), configFileWins, store, journal, catalog, self);
        this.edits = new PoolEdits(store, catalog);
        this.housekeeping = new Housekeeping(config.cluster(), mirrors, store, catalog, this.topics);
        this.placement = new InstancePlacement(store, catalog, housekeeping);
        this.scaling = new Scaling(store, catalog, housekeeping, mirrors);
    }

    /** True while a term is being served (from its takeover until its end). */
    public boolean leading() {
        return term != null;
    }

    /** {@code pool/version} → instances that fit nowhere at the last placement. */
    public Map<String, Integer> unplaced() {
        return placement.unplaced();
    }

    /** {@code pool/version} → the autoscaler's status at the last tick (autoscaled pool-versions, while leading). */
    public Map<String, Autoscaler.Status> autoscaling() {
        return scaling.status();
    }

    /** Workers an operator drained, as the map holds them now. */
    public Set<String> drained() {
        return drained(store);
    }

    static Set<String> drained(FencedStore store) {
        Set<String> out = new TreeSet<>();
        store.drains().forEach((id, d) -> {
            if (d.draining()) {
                out.add(id);
            }
        });
        return out;
    }

    /** Something placement depends on changed: place now rather than at the next tick. */
    public void nudge() {
        if (term != null) {
            onDuties(() -> {
                Term t = term;
                if (t != null) {
                    guarded(t, "placement", () -> place(t));
                }
            });
        }
    }

    @Override
    public void isLeader(Term t) {
        onDuties(() -> takeover(t));
    }

    /** Ends the term with {@code fence} only: a late notice of an earlier term must not end the one that followed. */
    @Override
    public void notLeader(long fence, String why) {
        onDuties(() -> {
            Term t = term;
            if (t == null || t.fence() != fence) {
                return;
            }
            if (ticking != null) {
                ticking.cancel(false);
            }
            term = null;
            catalog.clear();
            scaling.forget();
            topics.forget();
        });
    }

    /** Creates or replaces a pool-version; its topics exist before any gateway can route to it. */
    public PoolVersion upsert(PoolVersion requested) {
        topics.provisionNow(requested.definition());
        return call(t -> placed(t, edits.upsert(t.fence(), requested)));
    }

    /** @see PoolEdits#setWeights */
    public List<PoolVersion> setWeights(String pool, Map<String, Integer> weights) {
        return call(t -> edits.setWeights(t.fence(), pool, weights));
    }

    /** @see PoolEdits#drain */
    public Drain drain(String worker, boolean draining) {
        return call(t -> placed(t, edits.drain(t.fence(), worker, draining)));
    }

    /** @return the keys removed (empty if none matched) */
    public List<String> delete(String pool, String version) {
        return call(t -> {
            List<String> gone = edits.delete(t.fence(), pool, version);
            return gone.isEmpty() ? gone : placed(t, gone);
        });
    }

    private <T> T placed(Term t, T result) {
        place(t);
        return result;
    }

    /** Runs a master-only action on the duties thread under the current term. */
    private <T> T call(Function<Term, T> action) {
        Future<T> f = duties.submit(() -> {
            Term t = term;
            if (t == null) {
                throw new NotLeaderException(self + " is not the master");
            }
            try {
                return action.apply(t);
            } catch (StaleLeaderException e) {
                t.resign(e.getMessage());
                throw new NotLeaderException(e.getMessage());
            }
        });
        try {
            return f.get(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            f.cancel(true);
            throw new IllegalStateException("the master did not complete the change within " + CALL_TIMEOUT.toSeconds() + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private void takeover(Term t) {
        term = t;
        try {
            topics.forget();
            takeover.take(t.fence());
            renew(t);
            topics.provisionMissing(catalog.all());
            place(t);
            ticking = duties.scheduleWithFixedDelay(this::tick, TICK.toMillis(), TICK.toMillis(), TimeUnit.MILLISECONDS);
        } catch (StaleLeaderException e) {
            t.resign(e.getMessage());
        } catch (RuntimeException e) {
            LOG.error("takeover failed; giving up leadership so another dispatcher can try", e);
            t.resign("takeover failed: " + e);
        }
    }

    private void tick() {
        Term t = term;
        if (t == null) {
            return;
        }
        guarded(t, "master tick", () -> {
            renew(t);
            topics.provisionMissing(catalog.all());
            housekeeping.evictSilentWorkers(t.fence(), ageMillis(t));
            scaling.scale(t.fence(), ageMillis(t), clock.millis());
            place(t);
            housekeeping.repairPools(t.fence());
            if (clock.millis() - lastJanitorMillis > JANITOR_EVERY.toMillis()) {
                lastJanitorMillis = clock.millis();
                housekeeping.forgetGoneGateways(t.fence(), ageMillis(t));
            }
        });
    }

    /** A refused write resigns the term; any other failure is logged and the next tick tries again. */
    private static void guarded(Term t, String what, Runnable duty) {
        try {
            duty.run();
        } catch (StaleLeaderException e) {
            t.resign(e.getMessage());
        } catch (RuntimeException e) {
            LOG.warn("{} failed: {}", what, e.toString());
        }
    }

    private void place(Term t) {
        placement.place(t.fence(), ageMillis(t));
    }

    /** The leader record is also the deposition detector: a deposed master's renewal is the write that is refused. */
    private void renew(Term t) {
        store.putLeader(t.fence(), new LeaderRecord(self, adminUrl, t.fence(), t.since().toEpochMilli(), clock.millis()));
    }

    private long ageMillis(Term t) {
        return clock.millis() - t.since().toEpochMilli();
    }

    private void onDuties(Runnable r) {
        try {
            duties.execute(r);
        } catch (RejectedExecutionException e) {
            LOG.debug("the master is stopping: {}", e.toString());
        }
    }

    static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    @Override
    public void close() {
        duties.shutdownNow();
        topics.close();
    }
}
