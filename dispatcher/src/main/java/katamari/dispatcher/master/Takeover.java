package katamari.dispatcher.master;

import java.util.List;
import java.util.Map;
import katamari.cluster.ClusterMaps;
import katamari.cluster.Drain;
import katamari.cluster.MetadataJson;
import katamari.cluster.Placement;
import katamari.cluster.PoolVersion;
import katamari.config.PoolDefinition;
import katamari.dispatcher.metadata.FencedStore;
import katamari.dispatcher.metadata.Journal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a new master does before anything else: fill its {@link Catalog} and re-stamp everything it owns with its own
 * fence, from the maps when the master set was already seeded, or from the metadata journal when it is the first
 * master of a fresh master set.
 */
final class Takeover {
    private static final Logger LOG = LoggerFactory.getLogger(Takeover.class);

    private final List<PoolDefinition> configPools;
    private final boolean configFileWins;
    private final FencedStore store;
    private final Journal journal;
    private final Catalog catalog;
    private final String self;

    /** @param configFileWins the config file's pool-versions replace the journal's (one-box dev) */
    Takeover(List<PoolDefinition> configPools, boolean configFileWins, FencedStore store, Journal journal, Catalog catalog, String self) {
        this.configPools = configPools;
        this.configFileWins = configFileWins;
        this.store = store;
        this.journal = journal;
        this.catalog = catalog;
        this.self = self;
    }

    /** @throws RuntimeException when anything cannot be read or written: the master must not lead */
    void take(long fence) {
        catalog.clear();
        if (!store.seeded()) {
            restore(fence);
        } else {
            store.pools().values().stream().filter(p -> !p.deleted()).forEach(p -> catalog.put(p.withFence(fence)));
        }
        for (PoolVersion p : catalog.all()) {
            store.putPool(fence, p);
        }
        store.markSeeded(fence, self);
    }

    /**
     * The first master of a fresh master set (every dispatcher had stopped, or the cluster is new): pools, drains and
     * placements come back from the journal, stamped with this master's fence so that workers and gateways that
     * outlived the old master set take them. The config file adds the pool-versions the journal never had (all of
     * them on a brand-new cluster; its weight seeds theirs, and from then on the masters own it); with
     * {@code configFileWins} it also wins for those it names.
     */
    private void restore(long fence) {
        Journal.Snapshot saved = store.journalAt(fence);
        Map<String, PoolVersion> journaled = MetadataJson.decodeAll(saved.map(ClusterMaps.POOLS), ClusterMaps.POOLS, PoolVersion.class);
        journaled.values().stream().filter(p -> !p.deleted()).forEach(p -> catalog.put(p.withFence(fence)));
        int fromFile = 0;
        for (PoolDefinition p : configPools) {
            if (!journaled.containsKey(p.key()) || configFileWins) {
                catalog.put(new PoolVersion(p.withWeight(null), p.routingWeight(), fence));
                fromFile++;
            }
        }
        MetadataJson.decodeAll(saved.map(ClusterMaps.DRAINS), ClusterMaps.DRAINS, Drain.class).forEach((id, d) ->
                store.putDrain(fence, new Drain(id, d.draining(), fence)));
        MetadataJson.decodeAll(saved.map(ClusterMaps.PLACEMENTS), ClusterMaps.PLACEMENTS, Placement.class).forEach((id, p) ->
                store.putPlacement(fence, new Placement(id, p.instances(), fence)));
        LOG.info("first master of this master set: {} pool-version(s) from the metadata journal {} (fence was {}), {} from the config file",
                catalog.size() - fromFile, journal.topic(), saved.fence(), fromFile);
    }
}
