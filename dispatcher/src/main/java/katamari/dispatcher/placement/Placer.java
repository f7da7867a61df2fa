package katamari.dispatcher.placement;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Decides how many instances of each pool-version each live worker runs: spread evenly, within each worker's
 * capacity, never on a worker that refused the pool-version's command. Sticky: when a share does not divide evenly,
 * the workers that already run more of it keep the larger shares, so a recomputation with unchanged inputs moves
 * nothing; a new instance (an autoscaler's grow) that is such a remainder goes to the least loaded worker. A pure function; the master calls it and writes the result.
 */
public final class Placer {
    /** A live worker as the placer sees it. */
    public record Worker(String id, int capacity, Set<String> refused) {}

    /**
     * @param placed   worker id → pool-version → instances
     * @param unplaced pool-version → instances that fit nowhere
     */
    public record Result(Map<String, Map<String, Integer>> placed, Map<String, Integer> unplaced) {}

    private Placer() {}

    /**
     * @param wanted  pool-version → instances wanted in total
     * @param current what each worker runs now (worker → pool-version → instances)
     */
    public static Result place(List<Worker> workers, Map<String, Integer> wanted, Map<String, Map<String, Integer>> current) {
        Map<String, Integer> spare = new HashMap<>();
        Map<String, Map<String, Integer>> placed = new TreeMap<>();
        for (Worker w : workers) {
            spare.put(w.id(), w.capacity());
            placed.put(w.id(), new TreeMap<>());
        }
        Map<String, Integer> unplaced = new TreeMap<>();
        for (Map.Entry<String, Integer> want : new TreeMap<>(wanted).entrySet()) {
            String key = want.getKey();
            int n = want.getValue();
            List<Worker> eligible = new ArrayList<>(workers.stream().filter(w -> !w.refused().contains(key)).toList());
            if (n == 0) {
                continue;
            }
            if (eligible.isEmpty()) {
                unplaced.put(key, n);
                continue;
            }
            // the remainder goes to who runs more of it already (nothing moves), then to the least loaded (most room)
            eligible.sort(Comparator.<Worker>comparingInt(w -> -has(current, w.id(), key)).thenComparingInt(w -> -spare.get(w.id()))
                    .thenComparing(Worker::id));
            int base = n / eligible.size();
            int extra = n % eligible.size();
            int left = n;
            for (int i = 0; i < eligible.size(); i++) {
                Worker w = eligible.get(i);
                int give = Math.min(base + (i < extra ? 1 : 0), spare.get(w.id()));
                left -= give;
                add(placed, spare, w.id(), key, give);
            }
            // what did not fit goes to whoever still has room, most room first
            eligible.sort(Comparator.<Worker>comparingInt(w -> -spare.get(w.id())).thenComparing(Worker::id));
            for (Worker w : eligible) {
                int give = Math.min(left, spare.get(w.id()));
                left -= give;
                add(placed, spare, w.id(), key, give);
            }
            if (left > 0) {
                unplaced.put(key, left);
            }
        }
        return new Result(placed, unplaced);
    }

    private static void add(Map<String, Map<String, Integer>> placed, Map<String, Integer> spare, String worker, String key, int n) {
        if (n > 0) {
            placed.get(worker).merge(key, n, Integer::sum);
            spare.merge(worker, -n, Integer::sum);
        }
    }

    private static int has(Map<String, Map<String, Integer>> current, String worker, String key) {
        return current.getOrDefault(worker, Map.of()).getOrDefault(key, 0);
    }
}
