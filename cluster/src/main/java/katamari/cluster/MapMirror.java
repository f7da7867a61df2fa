package katamari.cluster;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.EntryListener;
import com.hazelcast.map.MapEvent;
import com.hazelcast.replicatedmap.ReplicatedMap;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A local, listener-updated copy of one metadata {@code ReplicatedMap}: readers call {@link #snapshot()} and never
 * go to the network. The copy is filled when {@link #start()} registers the listener, and {@link #resync()} (call it
 * periodically and after a client reconnects, when events may have been missed) compares it with the map.
 *
 * <p>For {@link Fenced} values a key never goes back to a lower fence: a write from a deposed master that slipped
 * past the writer's own check is ignored here (and repaired by the current master). Such keys are deleted only by a
 * tombstone ({@link Fenced#deleted()}); a key that is merely absent from the map (a member that merged back after a
 * split starts empty, then refills) keeps its last value.
 *
 * <p>{@link #lastHeard(String)} is when this process last received the key's value, by its own clock: heartbeat
 * ages never depend on the sender's clock.
 */
public final class MapMirror<T> implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MapMirror.class);

    private final ReplicatedMap<String, String> map;
    private final Class<T> type;
    private final Consumer<String> onChange;
    private final Map<String, T> entries = new ConcurrentHashMap<>();
    /** Fenced keys deleted by a tombstone, with its fence: a lower-fenced late write cannot bring them back. */
    private final Map<String, Long> buried = new ConcurrentHashMap<>();
    private final boolean fenced;
    private final Map<String, Long> heard = new ConcurrentHashMap<>();
    private final AtomicReference<Map<String, T>> published = new AtomicReference<>(Map.of());
    private UUID listener;

    /** @param onChange called with the changed key (null after a resync changed anything), on Hazelcast's event thread */
    public MapMirror(ReplicatedMap<String, String> map, Class<T> type, Consumer<String> onChange) {
        this.map = map;
        this.type = type;
        this.onChange = onChange;
        this.fenced = Fenced.class.isAssignableFrom(type);
    }

    public MapMirror<T> start() {
        listener = map.addEntryListener(new Listener());
        resync();
        return this;
    }

    public Map<String, T> snapshot() {
        return published.get();
    }

    public T get(String key) {
        return published.get().get(key);
    }

    /** Milliseconds since this process last received {@code key} (or since the mirror started), or -1 if unknown. */
    public long lastHeard(String key) {
        Long at = heard.get(key);
        return at == null ? -1 : (System.nanoTime() - at) / 1_000_000;
    }

    /** Makes the copy equal to the map (but never lowers a key's fence). */
    public void resync() {
        Map<String, String> now;
        try {
            now = new HashMap<>(map);
        } catch (RuntimeException e) {
            LOG.debug("cannot read {} now: {}", map.getName(), e.toString());
            return;
        }
        boolean changed = false;
        for (Map.Entry<String, String> e : now.entrySet()) {
            changed |= apply(e.getKey(), e.getValue(), false);
        }
        if (!fenced) {
            for (String key : Map.copyOf(entries).keySet()) {
                if (!now.containsKey(key)) {
                    changed |= drop(key);
                }
            }
        }
        if (changed) {
            publish(null);
        }
    }

    private synchronized boolean apply(String key, String json, boolean heardNow) {
        T value;
        try {
            value = MetadataJson.decode(json, type);
        } catch (IllegalArgumentException e) {
            LOG.warn("ignoring {}[{}]: {}", map.getName(), key, e.getMessage());
            return false;
        }
        T old = entries.get(key);
        if (value instanceof Fenced v) {
            long known = old instanceof Fenced o ? o.fence() : buried.getOrDefault(key, Long.MIN_VALUE);
            if (v.fence() < known) {
                LOG.warn("ignoring {}[{}] written under fence {}: this key already has fence {} (a deposed master's late write)",
                        map.getName(), key, v.fence(), known);
                return false;
            }
            if (v.deleted()) {
                buried.put(key, v.fence());
                heard.remove(key);
                return entries.remove(key) != null;
            }
            buried.remove(key);
        }
        if (heardNow || !heard.containsKey(key)) {
            heard.put(key, System.nanoTime());
        }
        return !value.equals(entries.put(key, value));
    }

    private synchronized boolean drop(String key) {
        heard.remove(key);
        return entries.remove(key) != null;
    }

    private void publish(String key) {
        published.set(Map.copyOf(entries));
        try {
            onChange.accept(key);
        } catch (RuntimeException e) {
            LOG.error("a listener of {} failed", map.getName(), e);
        }
    }

    @Override
    public void close() {
        if (listener != null) {
            try {
                map.removeEntryListener(listener);
            } catch (RuntimeException e) {
                LOG.debug("cannot remove listener from {}: {}", map.getName(), e.toString());
            }
        }
    }

    private final class Listener implements EntryListener<String, String> {
        @Override
        public void entryAdded(EntryEvent<String, String> e) {
            changed(e);
        }

        @Override
        public void entryUpdated(EntryEvent<String, String> e) {
            changed(e);
        }

        @Override
        public void entryRemoved(EntryEvent<String, String> e) {
            if (!fenced) {
                gone(e.getKey());
            }
        }

        @Override
        public void entryEvicted(EntryEvent<String, String> e) {
            gone(e.getKey());
        }

        @Override
        public void entryExpired(EntryEvent<String, String> e) {
            gone(e.getKey());
        }

        @Override
        public void mapCleared(MapEvent e) {
            resync(); // for fenced maps a clear deletes nothing: only tombstones do
        }

        @Override
        public void mapEvicted(MapEvent e) {
            resync();
        }

        private void changed(EntryEvent<String, String> e) {
            boolean changed = apply(e.getKey(), e.getValue(), true);
            if (changed) {
                publish(e.getKey());
            }
        }

        private void gone(String key) {
            if (!fenced && drop(key)) {
                publish(key);
            }
        }
    }
}
