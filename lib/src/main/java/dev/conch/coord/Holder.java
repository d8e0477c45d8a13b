package dev.conch.coord;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conch.base.Host;
import dev.conch.base.Json;
import dev.conch.base.Text;
import dev.conch.base.Version;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * Who holds (or waits for) a key: the value of every candidate and contender key. {@code rev} is
 * not stored; it is the key's create revision, filled in when read back.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
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

  public String toJson() {
    return Json.write(this);
  }

  /**
   * Reads a value someone wrote; anything unreadable becomes a holder that says so rather than a
   * crash.
   */
  public static Holder parse(String json, long createRevision) {
    return Json.read(json, Holder.class)
        .map(h -> h.withRev(createRevision))
        .orElse(new Holder("?", 0, "?", List.of(), "?", 0, "?", UNREADABLE, createRevision));
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
