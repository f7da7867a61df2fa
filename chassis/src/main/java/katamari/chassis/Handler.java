package katamari.chassis;

/** One method of a chassis. Return any value Jackson can serialize, or {@link Chassis#returnAndExit(Object)}. */
@FunctionalInterface
public interface Handler {
    Object handle(Args args) throws Exception;
}
