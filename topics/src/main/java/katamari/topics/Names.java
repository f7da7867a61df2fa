package katamari.topics;

import java.util.regex.Pattern;

/** Pool and version names: DESIGN.md's {@code [a-z0-9][a-z0-9_-]{0,62}}, so they are safe inside topic names. */
public final class Names {
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");

    private Names() {}

    public static boolean isValid(String name) {
        return name != null && NAME.matcher(name).matches();
    }

    /** Returns the name, or throws naming what was wrong with it (the message reaches users as a 400). */
    public static String requireValid(String what, String name) {
        if (!isValid(name)) {
            throw new IllegalArgumentException(what + " name '" + name + "' is invalid: use 1-63 characters of a-z, 0-9, '_' and '-', starting with a letter or digit");
        }
        return name;
    }
}
