package katamari.dispatcher.master;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import katamari.cluster.PoolVersion;

/**
 * The pool-versions this master has written, by {@code pool/version}: what it re-asserts every tick and places.
 * Touched only on the master's duties thread.
 */
final class Catalog {
    private final Map<String, PoolVersion> versions = new TreeMap<>();

    PoolVersion get(String key) {
        return versions.get(key);
    }

    boolean has(String key) {
        return versions.containsKey(key);
    }

    void put(PoolVersion p) {
        versions.put(p.key(), p);
    }

    void remove(String key) {
        versions.remove(key);
    }

    void clear() {
        versions.clear();
    }

    int size() {
        return versions.size();
    }

    /** In key order; a copy, so the caller may change the catalog while it walks it. */
    List<PoolVersion> all() {
        return List.copyOf(versions.values());
    }

    /** Every version of {@code pool}, in version order. */
    List<PoolVersion> versionsOf(String pool) {
        return versions.values().stream().filter(p -> p.definition().name().equals(pool)).toList();
    }

    /** {@code pool/version} → instances wanted in total. */
    Map<String, Integer> wantedInstances() {
        Map<String, Integer> wanted = new TreeMap<>();
        versions.forEach((key, p) -> wanted.put(key, p.definition().instances()));
        return wanted;
    }

    Collection<String> keys() {
        return List.copyOf(versions.keySet());
    }
}
