package dev.conch.base;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * conch's events on stderr, one line each: what happened (the event), to which office, semaphore,
 * job or daemon (tool and name), when, on which host and process, and the fields that tell it apart
 * (rev, lease, exit, signal, tick, state). Text for people and grep, or JSON for log shippers;
 * routine events (acquired, released, a tick another daemon won) only with --verbose.
 */
public final class Log {
  /** {@code --log-format}: picocli spells the choices as the constants are spelled. */
  public enum Format {
    text,
    json
  }

  private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private final String tool;
  private final String name;
  private final Format format;
  private final boolean verbose;

  public Log(String tool, String name, Format format, boolean verbose) {
    this.tool = tool;
    this.name = name;
    this.format = format;
    this.verbose = verbose;
  }

  /** The plain text log, routine events left out: for the commands that log only their failure. */
  public static Log text(String tool, String name) {
    return new Log(tool, name, Format.text, false);
  }

  /** The same format and verbosity, about something else (the daemon about one of its jobs). */
  public Log about(String otherTool, String otherName) {
    return new Log(otherTool, otherName, format, verbose);
  }

  /** An event worth a line by default: a loss, a signal, a failure, and what a daemon runs. */
  public void always(String event, String message, Object... fields) {
    write(
        new Event(
            Instant.now(),
            tool,
            name,
            event,
            pairs(fields),
            Host.name(),
            ProcessHandle.current().pid(),
            message));
  }

  /** A routine event: a line only with --verbose. */
  public void verbose(String event, String message, Object... fields) {
    if (verbose) always(event, message, fields);
  }

  private void write(Event e) {
    System.err.println(
        format == Format.json ? e.json() : e.text()); // one println: lines of threads never mix
    System.err.flush();
  }

  /** Key, value, key, value…: in that order, null values left out. */
  private static Map<String, Object> pairs(Object... kv) {
    if (kv.length % 2 != 0) throw new IllegalArgumentException("fields come in key, value pairs");
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      if (kv[i + 1] != null) m.put((String) kv[i], kv[i + 1]);
    }
    return Collections.unmodifiableMap(m);
  }

  /** One event, and its two spellings. {@code message} may be null. */
  public record Event(
      Instant time,
      String tool,
      String name,
      String event,
      Map<String, Object> fields,
      String host,
      long pid,
      String message) {
    /**
     * {@code TIME conch TOOL NAME: EVENT k=v… host=H pid=P: MESSAGE}; values have no spaces (names,
     * numbers, hex, ISO times). A name that is not a valid one (it is being rejected) is quoted, so
     * it cannot break the line.
     */
    public String text() {
      String shown = name != null && PLAIN.matcher(name).matches() ? name : Text.quote(name);
      StringBuilder b =
          new StringBuilder(TIME.format(time))
              .append(" conch ")
              .append(tool)
              .append(' ')
              .append(shown)
              .append(": ")
              .append(event);
      fields.forEach((k, v) -> b.append(' ').append(k).append('=').append(v));
      b.append(" host=").append(host).append(" pid=").append(pid);
      if (message != null) b.append(": ").append(message);
      return b.toString();
    }

    /** One JSON object: time, tool, name, event, the fields, host, pid, message. */
    public String json() {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("time", TIME.format(time));
      o.put("tool", tool);
      o.put("name", name);
      o.put("event", event);
      o.putAll(fields);
      o.put("host", host);
      o.put("pid", pid);
      if (message != null) o.put("message", message);
      return Json.write(o);
    }
  }
}
