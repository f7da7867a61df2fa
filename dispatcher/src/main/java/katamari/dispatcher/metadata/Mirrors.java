package katamari.dispatcher.metadata;

import java.util.List;
import katamari.cluster.ClusterMetadata;
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
    public static Mirrors start(ClusterMetadata metadata, Runnable workersChanged) {
        return new Mirrors(metadata.pools(k -> {}), metadata.placements(k -> {}), metadata.workers(k -> workersChanged.run()),
                metadata.gateways(k -> {}), metadata.masters(k -> {}), metadata.leader(k -> {}));
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
