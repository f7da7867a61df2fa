package katamari.dispatcher.support;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import katamari.dispatcher.metadata.Journal;

/** An in-memory {@link Journal}; {@link #failNext(int)} makes the next writes fail as a journal without quorum does. */
public final class MemoryJournal implements Journal {
    private final Map<String, Map<String, String>> maps = new TreeMap<>();
    private final AtomicInteger failures = new AtomicInteger();
    private long fence;
    private int reads;

    /** The next {@code n} writes (entries or fence) throw. */
    public MemoryJournal failNext(int n) {
        failures.set(n);
        return this;
    }

    @Override
    public synchronized void put(String mapName, String key, String json) {
        maybeFail("put " + mapName + ":" + key);
        maps.computeIfAbsent(mapName, k -> new HashMap<>()).put(key, json);
    }

    @Override
    public synchronized void recordFence(long f) {
        maybeFail("fence " + f);
        fence = Math.max(fence, f);
    }

    @Override
    public synchronized Snapshot read() {
        reads++;
        return new Snapshot(fence, maps);
    }

    /** How many times the whole journal was read. */
    public synchronized int reads() {
        return reads;
    }

    @Override
    public String topic() {
        return "memory";
    }

    public synchronized long fence() {
        return fence;
    }

    private void maybeFail(String what) {
        if (failures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            throw new IllegalStateException("the journal did not acknowledge " + what);
        }
    }
}
