package katamari.topics;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The value of a request record: {@code {"method": "echo", "args": {...}}}. */
public record Request(String method, ObjectNode args) {
    public Request {
        if (method == null || method.isBlank()) {
            throw new IllegalArgumentException("request has no method");
        }
        args = args == null ? JsonNodeFactory.instance.objectNode() : args;
    }
}
