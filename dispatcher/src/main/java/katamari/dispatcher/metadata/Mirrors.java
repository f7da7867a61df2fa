package katamari.dispatcher.metadata;

import com.hazelcast.core.HazelcastInstance;
import java.util.List;
import katamari.cluster.ClusterMaps;
import katamari.cluster.GatewayBeat;
import katamari.cluster.LeaderRecord;
import katamari.cluster.MapMirror;
import katamari.cluster.MasterBeat;
import katamari.cluster.Placement;
import katamari.cluster.PoolVersion;
import katamari.cluster.WorkerBeat;

/** Every dispatcher's local copies of the metadata maps (standbys keep them too, so a takeover starts informed). */
public record Mirrors(MapMirror<PoolVersion> pools, MapMirror<Placement> placements, MapMirror<WorkerBeat> workers,
               MapMirror<GatewayBeat> gateways, MapMirror<MasterBeat> masters, MapMirror<LeaderRecord> leader) implements AutoCloseable {

    /** @param workersChanged called when a worker appears, goes or changes (the master places at once) */
    public static Mirrors start(HazelcastInstance hz, Runnable workersChanged) {
        return new Mirrors(
                new MapMirror<>(hz.getReplicatedMap(ClusterMaps.POOLS), PoolVersion.class, k -> {}).start(),
                new MapMirror<>(hz.getReplicatedMap(ClusterMaps.PLACEMENTS), Placement.class, k -> {}).start(),
                new MapMirror<>(hz.getReplicatedMap(ClusterMaps.WORKERS), WorkerBeat.class, k -> workersChanged.run()).start(),
                new MapMirror<>(hz.getReplicatedMap(ClusterMaps.GATEWAYS), GatewayBeat.class, k -> {}).start(),
                new MapMirror<>(hz.getReplicatedMap(ClusterMaps.MASTERS), MasterBeat.class, k -> {}).start(),
                // the leader map also holds the "seeded" marker, which is no LeaderRecord: only LEADER_KEY is read
                new MapMirror<>(hz.getReplicatedMap(ClusterMaps.LEADER), LeaderRecord.class, k -> {}).start());
    }

    public void resync() {
        all().forEach(MapMirror::resync);
    }

    private List<MapMirror<?>> all() {
        return List.of(pools, placements, workers, gateways, masters, leader);
    }

    @Override
    public void close() {
        all().forEach(MapMirror::close);
    }
}
