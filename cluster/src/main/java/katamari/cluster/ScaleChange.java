package katamari.cluster;

/**
 * The autoscaler's last change of a pool-version's instance count, kept with the pool-version in the metadata so that
 * a new master continues from it (its delays count from {@code at}) and {@code /cluster} shows why the count is what it is.
 *
 * @param at     epoch milliseconds of the decision
 * @param reason in words, with the readings it was made on
 */
public record ScaleChange(long at, int from, int to, String reason) {}
