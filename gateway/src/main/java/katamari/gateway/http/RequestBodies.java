package katamari.gateway.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import katamari.config.GatewaySettings;

/**
 * Reads request bodies under the gateway's limits: nesting depth and string length ({@code gateway.maxJsonDepth},
 * {@code gateway.maxStringLength}), enforced by the parser while it reads, so a hostile body costs no more than its
 * size (itself bounded by {@code gateway.maxBodyBytes}). Trailing content after the JSON document is refused too.
 */
final class RequestBodies {
    /** A body that is not acceptable JSON; {@code overLimit} when it is JSON but past a limit. */
    static final class Refused extends Exception {
        final boolean overLimit;

        Refused(String message, boolean overLimit) {
            super(message);
            this.overLimit = overLimit;
        }
    }

    private final ObjectMapper mapper;
    private final int maxDepth;
    private final int maxString;

    RequestBodies(GatewaySettings settings) {
        this.maxDepth = settings.maxJsonDepth();
        this.maxString = settings.maxStringLength();
        JsonFactory factory = JsonFactory.builder().streamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(maxDepth)
                .maxStringLength(maxString)
                .maxNameLength(maxString)
                .build()).build();
        this.mapper = new ObjectMapper(factory).enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    }

    /** @return the document, or null for an empty body */
    JsonNode parse(byte[] body) throws Refused {
        if (body.length == 0) {
            return null;
        }
        try {
            JsonNode node = mapper.readTree(body);
            if (node == null || node.isMissingNode()) {
                return null;
            }
            return node;
        } catch (StreamConstraintsException e) {
            String m = e.getMessage() == null ? "" : e.getMessage();
            if (m.contains("nesting depth")) {
                throw new Refused("the body nests arrays and objects deeper than " + maxDepth + " levels (gateway.maxJsonDepth)", true);
            }
            if (m.contains("String value length") || m.contains("Name length")) {
                throw new Refused("the body has a string longer than " + maxString + " characters (gateway.maxStringLength)", true);
            }
            throw new Refused("the body is past a limit: " + e.getOriginalMessage(), true);
        } catch (JsonProcessingException e) {
            throw new Refused("the body is not valid JSON: " + e.getOriginalMessage(), false);
        } catch (IOException e) {
            throw new Refused("the body could not be read: " + e.getMessage(), false);
        }
    }
}
