package katamari.dispatcher;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import katamari.cluster.ClusterMaps;
import katamari.cluster.GatewayBeat;
import katamari.cluster.LeaderRecord;
import katamari.cluster.MasterBeat;
import katamari.cluster.Placement;
import katamari.cluster.PoolVersion;
import katamari.cluster.WorkerBeat;
import katamari.config.Autoscale;
import katamari.config.ClusterSettings;
import katamari.dispatcher.autoscale.Autoscaler;
import katamari.dispatcher.election.LeaderElection;
import katamari.dispatcher.master.Master;
import katamari.dispatcher.metadata.FencedStore;
import katamari.dispatcher.metadata.Mirrors;

/**
 * {@code GET /cluster}, from this dispatcher's own copies: who leads, the master set, the workers and what their
 * instances do, the pools with their instances and the live gateways' traffic, the totals, and Hazelcast itself.
 */
final class ClusterView {
    /** Gateways beat every second; one silent for this long no longer counts towards traffic. */
    private static final Duration TRAFFIC_FRESH = Duration.ofSeconds(5);

    /**
     * What some instances are doing, added up. {@code running} counts every instance that is part of its
     * pool-version's count, {@code stopping} those drained after a scale-down (finishing their last record).
     */
    record Usage(int running, int available, int inUse, int restarts, int degraded, int stopping) {
        static final Usage NONE = new Usage(0, 0, 0, 0, 0, 0);

        static Usage of(WorkerBeat.Instance i) {
            if ("STOPPING".equals(i.state()) || "STOPPED".equals(i.state())) {
                return new Usage(0, 0, 0, i.restarts(), 0, 1);
            }
            return new Usage(1, "IDLE".equals(i.state()) ? 1 : 0, "BUSY".equals(i.state()) ? 1 : 0, i.restarts(), i.degraded() ? 1 : 0, 0);
        }

        Usage plus(Usage o) {
            return new Usage(running + o.running, available + o.available, inUse + o.inUse, restarts + o.restarts,
                    degraded + o.degraded, stopping + o.stopping);
        }
    }

    private final ClusterSettings cluster;
    private final Mirrors mirrors;
    private final LeaderElection election;
    private final FencedStore store;
    private final Master master;
    private final HazelcastView hazelcast;

    ClusterView(ClusterSettings cluster, Mirrors mirrors, LeaderElection election, FencedStore store, Master master,
                HazelcastView hazelcast) {
        this.hazelcast = hazelcast;
        this.cluster = cluster;
        this.mirrors = mirrors;
        this.election = election;
        this.store = store;
        this.master = master;
    }

    Map<String, Object> render(boolean leading, LeaderRecord leader) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("self", ordered("address", cluster.self(), "priority", election.priority(), "leader", leading,
                "fence", election.fence(), "staleWritesRefused", store.refusedWrites()));
        out.put("leader", leader == null ? null : ordered("address", leader.address(), "fence", leader.fence(),
                "since", leader.since(), "adminUrl", leader.adminUrl(), "renewedMsAgo", mirrors.leader().lastHeard(ClusterMaps.LEADER_KEY)));
        out.put("masters", masters(leader));
        Map<String, Usage> usage = new TreeMap<>();
        Set<String> drained = master.drained();
        List<Map<String, Object>> workers = new ArrayList<>();
        int capacity = 0;
        for (WorkerBeat w : new TreeMap<>(mirrors.workers().snapshot()).values()) {
            Usage own = Usage.NONE;
            for (WorkerBeat.Instance i : w.instances()) {
                usage.merge(i.key(), Usage.of(i), Usage::plus);
                own = own.plus(Usage.of(i));
            }
            capacity += w.capacity();
            Placement placement = mirrors.placements().get(w.id());
            workers.add(ordered("id", w.id(), "host", String.valueOf(w.host()), "capacity", w.capacity(),
                    "heartbeatAgeMs", mirrors.workers().lastHeard(w.id()), "instances", w.instances().size() - own.stopping(),
                    "available", own.available(), "inUse", own.inUse(), "stopping", own.stopping(),
                    "healthy", w.healthy(), "unhealthy", w.unhealthy(),
                    "placement", placement == null ? Map.of() : placement.instances(), "refused", w.refused(),
                    "draining", drained.contains(w.id()), "processes", processes(w)));
        }
        out.put("workers", workers);
        out.put("drained", drained); // a drain outlives the worker's registration: it applies when the worker comes back
        Map<String, Integer> unplaced = master.unplaced();
        Map<String, Autoscaler.Status> scaling = master.autoscaling();
        out.put("pools", pools(usage, unplaced, scaling));
        Usage total = usage.values().stream().reduce(Usage.NONE, Usage::plus);
        int unplacedTotal = unplaced.values().stream().mapToInt(Integer::intValue).sum();
        // the master keeps serving with what it has; this says that the load (or the pools' counts) want more
        boolean exhausted = unplacedTotal > 0 || scaling.values().stream().anyMatch(Autoscaler.Status::capped);
        out.put("totals", ordered("capacity", capacity, "instances", total.running(), "available", total.available(),
                "inUse", total.inUse(), "unplaced", unplacedTotal, "capacityExhausted", exhausted));
        out.put("gateways", new TreeMap<>(mirrors.gateways().snapshot()).keySet());
        out.put("hazelcast", hazelcast.render());
        return out;
    }

    private List<Map<String, Object>> masters(LeaderRecord leader) {
        List<Map<String, Object>> masters = new ArrayList<>();
        for (String address : cluster.members()) {
            MasterBeat b = mirrors.masters().get(address);
            long heard = mirrors.masters().lastHeard(address);
            masters.add(ordered("address", address, "priority", cluster.priorityOf(address),
                    "healthy", b != null && heard >= 0 && heard <= LeaderElection.BEAT_FRESH.toMillis(),
                    "leader", leader != null && address.equals(leader.address()), "heardMsAgo", heard));
        }
        return masters;
    }

    private Map<String, List<Map<String, Object>>> pools(Map<String, Usage> usage, Map<String, Integer> unplaced,
                                                         Map<String, Autoscaler.Status> scaling) {
        Map<String, GatewayBeat.Traffic> traffic = traffic();
        Map<String, List<Map<String, Object>>> pools = new TreeMap<>();
        for (PoolVersion p : new TreeMap<>(mirrors.pools().snapshot()).values()) {
            Usage u = usage.getOrDefault(p.key(), Usage.NONE);
            GatewayBeat.Traffic t = traffic.getOrDefault(p.key(), new GatewayBeat.Traffic(0, 0, 0));
            Autoscaler.Status as = scaling.get(p.key());
            pools.computeIfAbsent(p.definition().name(), k -> new ArrayList<>()).add(ordered(
                    "version", p.definition().version(), "weight", p.weight(), "instances", p.definition().instances(),
                    "running", u.running(), "available", u.available(), "inUse", u.inUse(), "stopping", u.stopping(),
                    "unplaced", unplaced.getOrDefault(p.key(), 0), "restarts", u.restarts(), "degraded", u.degraded() > 0,
                    "requests", t.requests(), "failures", t.failures(), "pending", t.pending(), "errors", t.errors(),
                    "p50Ms", t.p50Ms(), "p99Ms", t.p99Ms(), "queueDepth", t.queueDepth(),
                    "capacityLimited", as != null && as.capped(), "scaleChanges", as == null ? 0 : as.changes(),
                    "autoscale", autoscale(p)));
        }
        return pools;
    }

    /** The bounds and the last change (from the metadata, so every dispatcher shows it), or null for a fixed count. */
    private static Map<String, Object> autoscale(PoolVersion p) {
        Autoscale a = p.definition().autoscale();
        if (a == null) {
            return null;
        }
        Map<String, Object> last = p.scaled() == null ? null : ordered("at", p.scaled().at(), "from", p.scaled().from(),
                "to", p.scaled().to(), "reason", p.scaled().reason());
        return ordered("min", a.min(), "max", a.max(), "lastChange", last);
    }

    /** Each instance of a worker as it reported it (the console lists them; counts alone do not say which one restarts). */
    private static List<Map<String, Object>> processes(WorkerBeat w) {
        return w.instances().stream().sorted((a, b) -> a.instance().compareTo(b.instance()))
                .map(i -> ordered("instance", i.instance(), "pool", i.pool(), "version", i.version(), "state", i.state(),
                        "pid", i.pid(), "restarts", i.restarts(), "degraded", i.degraded(), "rssKb", i.rssKb()))
                .toList();
    }

    /**
     * What the live gateways (heard within {@link #TRAFFIC_FRESH}) have seen per pool-version, added up: counts since
     * each gateway started, so a reader takes differences over time (a gateway that stops takes its counts with it).
     */
    private Map<String, GatewayBeat.Traffic> traffic() {
        Map<String, GatewayBeat.Traffic> sum = new TreeMap<>();
        mirrors.gateways().snapshot().forEach((id, beat) -> {
            long heard = mirrors.gateways().lastHeard(id);
            if (heard >= 0 && heard <= TRAFFIC_FRESH.toMillis()) {
                beat.traffic().forEach((key, t) -> sum.merge(key, t, GatewayBeat.Traffic::plus));
            }
        });
        return sum;
    }

    /** A JSON object that keeps its keys in the order given. */
    private static Map<String, Object> ordered(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }
}
