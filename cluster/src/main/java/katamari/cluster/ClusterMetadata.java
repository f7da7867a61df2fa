package katamari.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.replicatedmap.ReplicatedMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Katamari's metadata as every role reads it, with each role's own entry (its heartbeat): the one place outside the
 * master's {@code FencedStore} that opens the maps, so the names stay behind this type and {@link ClusterMaps}.
 * Readers get listener-updated local copies ({@link MapMirror}, started) and never go to the network; the writes here
 * are unfenced because each role writes only its own key. What the master owns is written through its
 * {@code FencedStore}, never here.
 */
public final class ClusterMetadata {
    private final HazelcastInstance hz;

    /** @param hz a member (dispatchers, one-box) or a client (workers, gateways) */
    public ClusterMetadata(HazelcastInstance hz) {
        this.hz = hz;
    }

    /** @param onChange called with the changed key (null after a resync changed anything), on Hazelcast's event thread */
    public MapMirror<PoolVersion> pools(Consumer<String> onChange) {
        return mirror(ClusterMaps.POOLS, PoolVersion.class, onChange);
    }

    public MapMirror<Placement> placements(Consumer<String> onChange) {
        return mirror(ClusterMaps.PLACEMENTS, Placement.class, onChange);
    }

    public MapMirror<WorkerBeat> workers(Consumer<String> onChange) {
        return mirror(ClusterMaps.WORKERS, WorkerBeat.class, onChange);
    }

    public MapMirror<GatewayBeat> gateways(Consumer<String> onChange) {
        return mirror(ClusterMaps.GATEWAYS, GatewayBeat.class, onChange);
    }

    public MapMirror<MasterBeat> masters(Consumer<String> onChange) {
        return mirror(ClusterMaps.MASTERS, MasterBeat.class, onChange);
    }

    /** Only {@link ClusterMaps#LEADER_KEY} is a {@link LeaderRecord}; the map's other entry, the seeded marker, is skipped. */
    public MapMirror<LeaderRecord> leader(Consumer<String> onChange) {
        return mirror(ClusterMaps.LEADER, LeaderRecord.class, onChange);
    }

    /** A worker's own heartbeat. */
    public void putWorker(WorkerBeat beat) {
        map(ClusterMaps.WORKERS).put(beat.id(), MetadataJson.encode(beat));
    }

    /** A worker that leaves removes its own entry, so the master re-places its share without waiting for the TTL. */
    public void removeWorker(String id) {
        map(ClusterMaps.WORKERS).remove(id);
    }

    /** A gateway's own heartbeat. */
    public void putGateway(GatewayBeat beat) {
        map(ClusterMaps.GATEWAYS).put(beat.id(), MetadataJson.encode(beat));
    }

    /** A dispatcher's own entry in the master set. */
    public void putMaster(MasterBeat beat) {
        map(ClusterMaps.MASTERS).put(beat.address(), MetadataJson.encode(beat));
    }

    public void removeMaster(String address) {
        map(ClusterMaps.MASTERS).remove(address);
    }

    /**
     * Entries of each metadata map in this process's copy, by map name (what Management Center's replicated-map page
     * counts). On a client every call asks a member.
     */
    public Map<String, Integer> mapSizes() {
        Map<String, Integer> sizes = new LinkedHashMap<>();
        for (String name : List.of(ClusterMaps.POOLS, ClusterMaps.PLACEMENTS, ClusterMaps.DRAINS, ClusterMaps.WORKERS,
                ClusterMaps.GATEWAYS, ClusterMaps.MASTERS, ClusterMaps.LEADER)) {
            sizes.put(name, map(name).size());
        }
        return sizes;
    }

    private <T> MapMirror<T> mirror(String name, Class<T> type, Consumer<String> onChange) {
        return new MapMirror<>(map(name), type, onChange).start();
    }

    private ReplicatedMap<String, String> map(String name) {
        return hz.getReplicatedMap(name);
    }
}
