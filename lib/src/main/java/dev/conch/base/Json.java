package dev.conch.base;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The one JSON mapper: values conch writes, and values anyone else may have written (read
 * defensively). One, because a cold JVM pays tens of ms for a mapper's first use; and made only
 * when first used, because a query ({@code --who}) never needs it: its few fields go through the
 * streaming {@link #parser} and {@link #generate}, which cost a cold JVM well under a millisecond.
 */
public final class Json {
  private static final JsonFactory STREAMS = new JsonFactory();

  private static final class Mapper { // initialized on first use
    static final ObjectMapper MAPPER = new ObjectMapper();
  }

  private Json() {}

  /** What writes one value through a generator. */
  @FunctionalInterface
  public interface Writing {
    void to(JsonGenerator g) throws IOException;
  }

  /** The JSON text {@code writing} writes, escaped as the mapper escapes. */
  public static String generate(Writing writing) {
    StringWriter out = new StringWriter();
    try (JsonGenerator g = STREAMS.createGenerator(out)) {
      writing.to(g);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a StringWriter does not fail
    }
    return out.toString();
  }

  /** A streaming parser of {@code text}; its caller closes it. */
  public static JsonParser parser(String text) throws IOException {
    return STREAMS.createParser(text);
  }

  public static String write(Object value) {
    try {
      return Mapper.MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A value as its JSON object, fields in order: to add shown-only fields before printing. */
  public static Map<String, Object> fields(Object value) {
    return Mapper.MAPPER.convertValue(value, new TypeReference<LinkedHashMap<String, Object>>() {});
  }

  /**
   * Empty when the text is not a readable {@code type}: reported and skipped by callers, never a
   * crash.
   */
  public static <T> Optional<T> read(String text, Class<T> type) {
    try {
      return Optional.ofNullable(Mapper.MAPPER.readValue(text, type));
    } catch (JsonProcessingException | IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}
