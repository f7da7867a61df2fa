package katamari.cluster;

/**
 * A dispatcher's own entry: where it is, its place in the master list, and whether it leads.
 *
 * @param address  its member address as written in the master list
 * @param priority 0 is the highest
 * @param adminUrl where its admin API listens (standbys forward admin calls to the leader's)
 * @param contending it is ready to lead (it runs the election loop)
 */
public record MasterBeat(String address, int priority, String adminUrl, boolean leader, boolean contending, long fence, long sentAt) {}
