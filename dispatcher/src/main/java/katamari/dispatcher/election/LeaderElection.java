package katamari.dispatcher.election;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceNotActiveException;
import com.hazelcast.cp.lock.FencedLock;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import katamari.cluster.ClusterMaps;
import katamari.cluster.LeaderRecord;
import katamari.cluster.MapMirror;
import katamari.cluster.MasterBeat;
import katamari.config.ClusterSettings;
import katamari.dispatcher.metadata.FencedStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Master election: the master is whoever holds the CP {@code FencedLock} {@value ClusterMaps#MASTER_LOCK}.
 *
 * <p>Priority follows the master list: a dispatcher contends only while no healthy dispatcher listed before it is
 * around, and the leader hands over (unlocks) once a higher-priority one has been healthy for
 * {@link #HANDBACK_AFTER}. "Healthy" means a current Hazelcast member whose own {@link MasterBeat} arrived within
 * {@link #BEAT_FRESH}. If nobody has renewed the leader record for a while, everyone contends, so a higher-priority
 * dispatcher that cannot lead never blocks the others.
 *
 * <p>The lock belongs to the thread that took it, so one thread does all locking, unlocking and checking. A crashed
 * or paused leader's lock is freed by the CP group when its session expires ({@code cluster.sessionTtl}).
 */
public final class LeaderElection implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LeaderElection.class);
    static final Duration TICK = Duration.ofMillis(250);
    public static final Duration BEAT_FRESH = Duration.ofSeconds(2);
    static final Duration HANDBACK_AFTER = Duration.ofSeconds(3);

    private enum Lifecycle { NEW, RUNNING, CLOSED }

    private final AtomicReference<Lifecycle> lifecycle = new AtomicReference<>(Lifecycle.NEW);
    private final HazelcastInstance hz;
    private final ClusterSettings settings;
    private final FencedStore store;
    private final MapMirror<MasterBeat> masters;
    private final MapMirror<LeaderRecord> leader;
    private final LeadershipListener listener;
    private final InstantSource clock;
    private final int priority;
    private final Map<String, Long> healthySince = new ConcurrentHashMap<>();
    private final Thread thread;
    /** The term this dispatcher leads, null when it does not; guarded by {@code this}. */
    private Term term;
    private volatile boolean contending;

    public LeaderElection(HazelcastInstance hz, ClusterSettings settings, FencedStore store, MapMirror<MasterBeat> masters,
                          MapMirror<LeaderRecord> leader, LeadershipListener listener, InstantSource clock) {
        this.hz = hz;
        this.clock = clock;
        this.settings = settings;
        this.store = store;
        this.masters = masters;
        this.leader = leader;
        this.listener = listener;
        this.priority = settings.priorityOf(settings.self());
        this.thread = new Thread(this::run, "master-election");
        this.thread.setDaemon(true);
    }

    public void start() {
        if (!lifecycle.compareAndSet(Lifecycle.NEW, Lifecycle.RUNNING)) {
            throw new IllegalStateException("election cannot be started more than once (state " + lifecycle.get() + ")");
        }
        thread.start();
    }

    public int priority() {
        return priority;
    }

    /** The current term's fence, 0 when this dispatcher does not lead. */
    public synchronized long fence() {
        return term == null ? 0 : term.fence();
    }

    public boolean isContending() {
        return contending;
    }

    /**
     * Ends the term with {@code fence} ({@link Term#resign}, a lost lock, a hand-over, close): this dispatcher is no
     * longer the master. The election thread releases what is left of the lock and goes back to contending. A fence
     * that is not the current term's is ignored.
     */
    synchronized void deposed(long fence, String why) {
        if (term != null && term.fence() == fence) {
            setLeadership(null, why);
        }
    }

    /**
     * The one place leadership changes and the listener hears of it, under this object's lock and only on a real
     * change: the listener hears a term's end before the next term's start, whichever thread ends it.
     */
    private synchronized void setLeadership(Term next, String why) {
        Term old = term;
        if (old == next || (next != null && lifecycle.get() != Lifecycle.RUNNING)) {
            return; // a term won while close() runs is never told: the thread releases the lock on its way out
        }
        term = next;
        try {
            if (old != null) {
                LOG.warn("master {} (fence {}) deposed: {}", settings.self(), old.fence(), why);
                listener.notLeader(old.fence(), why);
            }
            if (next != null) {
                LOG.info("master {} (priority {}) now leads with fence {}", settings.self(), priority, next.fence());
                listener.isLeader(next);
            }
        } catch (RuntimeException e) {
            LOG.error("a leadership listener failed", e);
        }
    }

    private void run() {
        FencedLock lock = null;
        while (lifecycle.get() == Lifecycle.RUNNING && lock == null) {
            try {
                // waits for the CP group: a dispatcher restarted before its peers waits here, not in its start
                lock = hz.getCPSubsystem().getLock(ClusterMaps.MASTER_LOCK);
            } catch (HazelcastInstanceNotActiveException e) {
                return;
            } catch (RuntimeException e) {
                LOG.info("election on {} waits for the CP group: {}", settings.self(), e.toString());
                sleep(TICK);
            }
        }
        if (lock == null) {
            return;
        }
        while (lifecycle.get() == Lifecycle.RUNNING) {
            try {
                long fence = fence();
                if (fence == 0) {
                    releaseIfHeld(lock);
                    contending = shouldContend();
                    if (!contending) {
                        sleep(TICK);
                        continue;
                    }
                    long got = lock.tryLockAndGetFence(TICK.toMillis(), TimeUnit.MILLISECONDS);
                    if (got == FencedLock.INVALID_FENCE) {
                        continue;
                    }
                    long token;
                    try {
                        token = store.advance(got);
                    } catch (RuntimeException e) {
                        // without a durable fence this dispatcher cannot lead safely: let another one try
                        LOG.warn("{} holds the master lock but cannot make its fence durable; releasing: {}", settings.self(), e.getMessage());
                        lock.unlock();
                        sleep(TICK);
                        continue;
                    }
                    setLeadership(new Term(token, clock.instant(), why -> deposed(token, why)), null);
                } else if (!lock.isLockedByCurrentThread()) {
                    deposed(fence, "the lock is no longer held (CP session expired?)");
                } else {
                    String higher = higherPriorityReady();
                    if (higher != null) {
                        deposed(fence, "handing over to " + higher + ", earlier in the master list");
                        lock.unlock();
                    } else {
                        sleep(TICK);
                    }
                }
            } catch (IllegalMonitorStateException e) { // LockOwnershipLostException included
                deposed(fence(), "lost the lock: " + e.getMessage());
            } catch (HazelcastInstanceNotActiveException e) {
                break;
            } catch (RuntimeException e) {
                if (lifecycle.get() != Lifecycle.RUNNING) {
                    break;
                }
                LOG.warn("election on {}: {}", settings.self(), e.toString());
                sleep(TICK);
            }
        }
        Thread.interrupted(); // close() interrupts; the release below must still reach the CP group
        try {
            releaseIfHeld(lock);
        } catch (RuntimeException e) {
            LOG.debug("could not release the master lock on the way out: {}", e.toString());
        }
    }

    private void releaseIfHeld(FencedLock lock) {
        try {
            if (lock.isLockedByCurrentThread()) {
                lock.unlock();
            }
        } catch (IllegalMonitorStateException e) { // LockOwnershipLostException included
            // already gone with the session: nothing to release
        }
    }

    /** No healthy dispatcher before us in the list, or nobody has led for a while. */
    private boolean shouldContend() {
        boolean higherHealthy = masters.snapshot().values().stream().anyMatch(m -> m.priority() < priority && healthy(m));
        return !higherHealthy || leaderless();
    }

    private boolean leaderless() {
        long heard = leader.lastHeard(ClusterMaps.LEADER_KEY);
        long limit = settings.sessionTtl().multipliedBy(3).plus(settings.memberTimeout()).toMillis();
        return heard < 0 || heard > limit;
    }

    /** A higher-priority dispatcher that has been healthy and contending long enough to take over, or null. */
    private String higherPriorityReady() {
        long now = clock.millis();
        String ready = null;
        for (MasterBeat m : masters.snapshot().values()) {
            if (m.priority() >= priority || !healthy(m) || !m.contending()) {
                healthySince.remove(m.address());
                continue;
            }
            long since = healthySince.computeIfAbsent(m.address(), k -> now);
            if (now - since >= HANDBACK_AFTER.toMillis()) {
                ready = m.address();
            }
        }
        return ready;
    }

    private boolean healthy(MasterBeat m) {
        long heard = masters.lastHeard(m.address());
        return heard >= 0 && heard <= BEAT_FRESH.toMillis() && memberAddresses().contains(m.address());
    }

    private Set<String> memberAddresses() {
        return hz.getCluster().getMembers().stream().map(LeaderElection::address).collect(Collectors.toSet());
    }

    static String address(Member m) {
        return m.getAddress().getHost() + ":" + m.getAddress().getPort();
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops contending; a leader unlocks, so a standby takes over at once instead of after the session TTL. */
    @Override
    public void close() {
        if (lifecycle.getAndSet(Lifecycle.CLOSED) != Lifecycle.RUNNING) {
            return;
        }
        long fence = fence();
        if (fence != 0) {
            deposed(fence, "this dispatcher is stopping");
        }
        thread.interrupt();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
