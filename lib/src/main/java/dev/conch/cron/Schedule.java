package dev.conch.cron;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import dev.conch.base.Durations;
import dev.conch.base.Failure;
import dev.conch.base.Text;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.zone.ZoneOffsetTransition;
import java.util.Map;

/**
 * When a job's ticks fall: five-field Unix cron, the {@code @hourly} family, or {@code @every D} at
 * whole multiples of D since the epoch (so every daemon names the same ticks). Pure: no clock, no
 * I/O.
 *
 * <p>Cron fields are matched against the wall clock of the zone. Across daylight saving a wall time
 * can be skipped or repeated; each matching wall time runs once: a skipped one at the transition
 * (the first instant after it), a repeated one at its first occurrence.
 */
public final class Schedule {
  private static final CronParser UNIX =
      new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
  private static final Map<String, String> NICKNAMES =
      Map.of(
          "@hourly",
          "0 * * * *",
          "@daily",
          "0 0 * * *",
          "@midnight",
          "0 0 * * *",
          "@weekly",
          "0 0 * * 0",
          "@monthly",
          "0 0 1 * *",
          "@yearly",
          "0 0 1 1 *",
          "@annually",
          "0 0 1 1 *");

  private static final Instant NEVER_BEFORE = Instant.parse("2000-01-01T00:00:00Z");

  private final String spec;
  private final ZoneId zone;
  private final ExecutionTime cron; // null for @every
  private final Duration every; // null for cron

  private Schedule(String spec, ZoneId zone, ExecutionTime cron, Duration every) {
    this.spec = spec;
    this.zone = zone;
    this.cron = cron;
    this.every = every;
  }

  /**
   * Parses {@code spec} in {@code tz}; anything invalid is a usage error with the parser's reason.
   */
  public static Schedule parse(String spec, String tz) {
    ZoneId zone;
    try {
      zone = ZoneId.of(tz);
    } catch (DateTimeException e) {
      throw Failure.badInput(
          "invalid --tz "
              + Text.quote(tz)
              + ": "
              + bounded(e.getMessage())
              + " (a zone id like UTC, Europe/Berlin or +02:00)");
    } catch (NullPointerException e) {
      throw Failure.badInput("missing --tz");
    }
    String s = spec == null ? "" : spec.strip();
    if (s.startsWith("@every")) {
      Duration d = Durations.parse(s.substring("@every".length()).strip());
      if (d.toMillis() < 1000 || d.toMillis() % 1000 != 0)
        throw Failure.badInput(
            "invalid schedule " + Text.quote(spec) + ": @every needs whole seconds, at least 1s");
      return new Schedule(s, zone, null, d);
    }
    Schedule parsed;
    try {
      Cron c = UNIX.parse(NICKNAMES.getOrDefault(s, s));
      c.validate();
      parsed = new Schedule(s, zone, ExecutionTime.forCron(c), null);
    } catch (RuntimeException e) { // cron-utils says no with more than IllegalArgumentException
      throw Failure.badInput(
          "invalid schedule " + Text.quote(spec) + ": " + bounded(e.getMessage()));
    }
    try {
      parsed.next(
          NEVER_BEFORE); // e.g. 0 0 30 2 *: parses, but would stop a daemon's timer when it asks
      // for the next tick
    } catch (RuntimeException e) {
      throw Failure.badInput("invalid schedule " + Text.quote(spec) + ": it never fires");
    }
    return parsed;
  }

  /**
   * A parser's reason, on one line: parsers may echo the whole input, so it is bounded as {@link
   * Text#quote} bounds it.
   */
  private static String bounded(String why) {
    String line = Text.printable(why);
    return line.length() > 200 ? line.substring(0, 200) + "…" : line;
  }

  public String spec() {
    return spec;
  }

  public ZoneId zone() {
    return zone;
  }

  /** The first tick strictly after {@code after}. */
  public Instant next(Instant after) {
    if (every != null) {
      long d = every.toMillis();
      return Instant.ofEpochMilli(Math.floorDiv(after.toEpochMilli(), d) * d + d);
    }
    // Walk matching wall times from the wall time of `after` (as if on a clock without DST) and map
    // each to its instant; the first one later than `after` is the tick.
    LocalDateTime wall = LocalDateTime.ofInstant(after, zone);
    while (true) {
      wall =
          cron.nextExecution(wall.atZone(ZoneOffset.UTC))
              .orElseThrow(() -> new IllegalStateException("no next tick: " + spec))
              .toLocalDateTime();
      Instant at = instant(wall);
      if (at.isAfter(after)) return at;
    }
  }

  /**
   * A wall time's instant: the transition if the wall time was skipped, its first occurrence if
   * repeated.
   */
  Instant instant(LocalDateTime wall) {
    ZoneOffsetTransition t = zone.getRules().getTransition(wall);
    if (t != null && t.isGap()) return t.getInstant();
    return ZonedDateTime.ofLocal(wall, zone, null).withEarlierOffsetAtOverlap().toInstant();
  }
}
