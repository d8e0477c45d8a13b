package dev.conch.coord;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conch.base.Host;
import dev.conch.base.Json;
import dev.conch.base.Text;
import dev.conch.base.Version;
import java.io.IOException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Who holds (or waits for) a key: the value of every candidate and contender key. {@code rev} is
 * not stored; it is the key's create revision, filled in when read back.
 */
@JsonInclude(JsonInclude.Include.NON_NULL) // as toJson writes it, inside larger JSON (cron ls)
@JsonIgnoreProperties(ignoreUnknown = true)
public record Holder(
    String host,
    long pid,
    String user,
    List<String> cmd,
    String started,
    long ttl,
    String lease,
    String version,
    Long rev) {

  static final String UNREADABLE = "unreadable holder value";

  /** This process, about to run {@code cmd} under {@code lease}. */
  public static Holder self(List<String> cmd, long ttlSeconds, long lease) {
    return new Holder(
        Host.name(),
        ProcessHandle.current().pid(),
        System.getProperty("user.name"),
        List.copyOf(cmd),
        Instant.now().truncatedTo(ChronoUnit.MILLIS).toString(),
        ttlSeconds,
        Keys.leaseHex(lease),
        Version.CONCH,
        null);
  }

  public Holder withRev(long createRevision) {
    return new Holder(host, pid, user, cmd, started, ttl, lease, version, createRevision);
  }

  /**
   * The fields in order, null ones left out. Streamed by hand, as {@link #parse} reads: a query
   * reads and prints holders and nothing else, so it never pays for building Jackson's mapper.
   */
  public String toJson() {
    return Json.generate(
        g -> {
          g.writeStartObject();
          if (host != null) g.writeStringField("host", host);
          g.writeNumberField("pid", pid);
          if (user != null) g.writeStringField("user", user);
          if (cmd != null) {
            g.writeArrayFieldStart("cmd");
            for (String arg : cmd) g.writeString(arg);
            g.writeEndArray();
          }
          if (started != null) g.writeStringField("started", started);
          g.writeNumberField("ttl", ttl);
          if (lease != null) g.writeStringField("lease", lease);
          if (version != null) g.writeStringField("version", version);
          if (rev != null) g.writeNumberField("rev", rev);
          g.writeEndObject();
        });
  }

  /**
   * Reads a value someone wrote, skipping fields it does not know (a newer release's); anything
   * unreadable (not an object, a field of the wrong type) becomes a holder that says so rather than
   * a crash.
   */
  public static Holder parse(String json, long createRevision) {
    String host = null, user = null, started = null, lease = null, version = null;
    long pid = 0, ttl = 0;
    List<String> cmd = null;
    try (JsonParser p = Json.parser(json)) {
      if (p.nextToken() != JsonToken.START_OBJECT) throw new JsonParseException(p, "no object");
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        p.nextToken();
        switch (field) {
          case "host" -> host = text(p);
          case "pid" -> pid = number(p);
          case "user" -> user = text(p);
          case "cmd" -> cmd = texts(p);
          case "started" -> started = text(p);
          case "ttl" -> ttl = number(p);
          case "lease" -> lease = text(p);
          case "version" -> version = text(p);
          default -> p.skipChildren(); // "rev" too: it is the key's create revision, below
        }
      }
      return new Holder(host, pid, user, cmd, started, ttl, lease, version, createRevision);
    } catch (IOException e) {
      return new Holder("?", 0, "?", List.of(), "?", 0, "?", UNREADABLE, createRevision);
    }
  }

  /** A string, null, or another scalar as its text; an object or array is unreadable. */
  private static String text(JsonParser p) throws IOException {
    if (p.currentToken().isStructStart()) throw new JsonParseException(p, "not a string");
    return p.currentToken() == JsonToken.VALUE_NULL ? null : p.getText();
  }

  /** A whole number, or a string of one; anything else is unreadable. */
  private static long number(JsonParser p) throws IOException {
    if (p.currentToken() == JsonToken.VALUE_NUMBER_INT) return p.getLongValue();
    try {
      return Long.parseLong(p.currentToken() == JsonToken.VALUE_STRING ? p.getText() : "?");
    } catch (NumberFormatException e) {
      throw new JsonParseException(p, "not a whole number");
    }
  }

  private static List<String> texts(JsonParser p) throws IOException {
    if (p.currentToken() == JsonToken.VALUE_NULL) return null;
    if (p.currentToken() != JsonToken.START_ARRAY) throw new JsonParseException(p, "not a list");
    List<String> all = new ArrayList<>();
    while (p.nextToken() != JsonToken.END_ARRAY) all.add(text(p));
    return Collections.unmodifiableList(all); // a null element stays null, as it was written
  }

  /**
   * {@code json}, our own key's value, marked released: what a clean release writes just before it
   * deletes the key (contract section 4), so that whoever is next needs no lock-delay. A field that
   * readers of a holder, this release's and older ones, ignore.
   */
  public static String markReleased(String json) {
    ObjectNode v = Json.read(json, ObjectNode.class).orElse(JsonNodeFactory.instance.objectNode());
    v.put(RELEASED, true);
    return Json.write(v);
  }

  /** Whether a key's last value was marked released; anything else, junk included, was not. */
  public static boolean released(String json) {
    return json != null
        && Json.read(json, ObjectNode.class)
            .map(v -> BooleanNode.TRUE.equals(v.get(RELEASED)))
            .orElse(false);
  }

  private static final String RELEASED = "released";

  /** One line for people: who, where, since when, what. */
  public String describe() {
    if (UNREADABLE.equals(version))
      return "rev " + rev + ": " + UNREADABLE + " (not written by conch)";
    // every field may have been written by anyone with write access: printed without control
    // characters
    return Text.printable(
        String.format(
            "%s pid %d (%s) rev %d since %s: %s",
            host,
            pid,
            user,
            rev == null ? 0 : rev,
            started,
            String.join(" ", cmd == null ? List.of() : cmd)));
  }
}
