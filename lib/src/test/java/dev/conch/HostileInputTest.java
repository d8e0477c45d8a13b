package dev.conch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.conch.base.Durations;
import dev.conch.base.Failure;
import dev.conch.base.Json;
import dev.conch.coord.Holder;
import dev.conch.coord.Keys;
import dev.conch.cron.Job;
import dev.conch.cron.Run;
import dev.conch.cron.Schedule;
import dev.conch.cron.Table;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Property tests over everything a user or another writer of etcd can hand conch: names, prefixes,
 * durations, schedules, zones, and values read back from etcd. Each input is either accepted, and
 * then round-trips and stays under its own keys, or rejected with exit 64 and a one-line reason;
 * never any other exception. Seeded ({@link Gen}): thousands of cases, the same ones in every CI
 * run.
 */
class HostileInputTest {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  private static final Keys KEYS = Keys.under("/conch");
  private static final List<Instant> WHEN =
      List.of(
          Instant.parse("2026-03-08T06:59:59Z"),
          Instant.parse("2026-11-01T05:30:00Z"),
          Instant.parse("2027-02-28T23:59:59.999Z"),
          Instant.ofEpochSecond(0));

  /**
   * Runs {@code body}: its value if accepted, null if rejected the documented way; fails on
   * anything else.
   */
  static <T> T accepted(Object input, Supplier<T> body) {
    try {
      return body.get();
    } catch (Failure f) {
      assertEquals(Failure.Kind.BAD_INPUT, f.kind, Gen.replay(input));
      assertTrue(
          f.getMessage().lines().count() == 1 && !f.getMessage().contains("\r"),
          "one line: " + f.getMessage() + " for " + Gen.replay(input));
      assertTrue(f.getMessage().length() < 600, "a bounded line for " + Gen.replay(input));
      return null;
    } catch (RuntimeException e) {
      throw new AssertionError("not a usage error but " + e + " for " + Gen.replay(input), e);
    }
  }

  @Test
  void namesAreAcceptedOnlyIfTheyStayUnderTheirOwnKeys() {
    Gen g = new Gen("names");
    int ok = 0;
    for (int i = 0; i < 5000; i++) {
      String n = g.name();
      String office = accepted(n, () -> KEYS.office(n));
      String sema = accepted(n, () -> KEYS.sema(n, 3));
      String job = accepted(n, () -> KEYS.cronJob(n));
      String runs = accepted(n, () -> KEYS.cronRun(n, 1_700_000_000_000L));
      assertTrue(
          office == null
              ? sema == null && job == null && runs == null
              : sema != null && job != null && runs != null,
          "every kind of name agrees: " + Gen.replay(n));
      if (office == null) {
        assertFalse(
            n != null && NAME.matcher(n).matches(),
            "a documented-valid name is accepted: " + Gen.replay(n));
        continue;
      }
      ok++;
      assertTrue(NAME.matcher(n).matches(), "only documented names: " + Gen.replay(n));
      assertEquals(n, between(office, "/conch/v1/elect/", "/"), Gen.replay(n));
      assertEquals(n, between(sema, "/conch/v1/sema/", "/3/"), Gen.replay(n));
      assertEquals(n, between(job, "/conch/v1/cron/jobs/", ""), Gen.replay(n));
      assertEquals(n, between(runs, "/conch/v1/cron/runs/", "/1700000000000"), Gen.replay(n));
    }
    assertTrue(ok > 500 && ok < 4500, "both sides exercised: " + ok + " accepted");
  }

  /**
   * The name between a fixed head and tail of a key, with no slash in it: the key is the name's
   * own.
   */
  static String between(String key, String head, String tail) {
    assertTrue(key.startsWith(head) && key.endsWith(tail), key);
    String n = key.substring(head.length(), key.length() - tail.length());
    assertFalse(n.contains("/"), key);
    return n;
  }

  @Test
  void prefixesAreAbsolutePathsWithoutDotSegments() {
    Gen g = new Gen("prefixes");
    for (int i = 0; i < 3000; i++) {
      String p =
          g.nextInt(3) == 0
              ? g.junk()
              : g.mutate("/" + g.safe(6) + (g.nextInt(2) == 0 ? "" : "/" + g.safe(6)));
      Keys k = accepted(p, () -> Keys.under(p));
      if (k == null) continue;
      String office = k.office("o");
      String root = office.substring(0, office.length() - "/v1/elect/o/".length());
      assertTrue(
          p.equals(root) || p.equals(root + "/"), "the prefix is used as given: " + Gen.replay(p));
      for (String seg : root.substring(1).split("/", -1)) {
        assertFalse(
            seg.isEmpty() || seg.equals(".") || seg.equals(".."),
            "no empty or dot segment: " + Gen.replay(p));
      }
    }
  }

  @Test
  void durationsRoundTripOrAreRejected() {
    Gen g = new Gen("durations");
    int ok = 0;
    for (int i = 0; i < 5000; i++) {
      String d = g.duration();
      Duration parsed = accepted(d, () -> Durations.parse(d));
      if (parsed == null) continue;
      ok++;
      assertFalse(parsed.isNegative(), Gen.replay(d));
      assertEquals(
          parsed, Durations.parse(Durations.format(parsed)), "format then parse: " + Gen.replay(d));
      assertTrue(Durations.seconds(parsed).matches("\\d+\\.\\d{3}"), Gen.replay(d));
    }
    assertTrue(ok > 500, "both sides exercised: " + ok + " accepted");
  }

  @Test
  void schedulesAndZonesRoundTripAndAlwaysHaveANextTick() {
    Gen g = new Gen("schedules");
    int ok = 0;
    for (int i = 0; i < 3000; i++) {
      String spec = g.schedule();
      String tz = g.nextInt(3) == 0 ? g.zone() : "UTC";
      Schedule s = accepted(spec + " in " + tz, () -> Schedule.parse(spec, tz));
      if (s == null) continue;
      ok++;
      Schedule again = Schedule.parse(s.spec(), s.zone().getId());
      assertEquals(
          s.zone(), ZoneId.of(s.zone().getId()), "the zone round-trips: " + Gen.replay(tz));
      for (Instant t : WHEN) {
        Instant next = s.next(t);
        assertTrue(next.isAfter(t), "strictly after: " + Gen.replay(spec));
        assertEquals(
            next, again.next(t), "the stored spec names the same ticks: " + Gen.replay(spec));
        assertTrue(s.next(next).isAfter(next), Gen.replay(spec));
      }
      Job job =
          new Job(
              "j",
              s.spec(),
              s.zone().getId(),
              null,
              "skip",
              20,
              List.of("true"),
              "me@host",
              "2026-01-01T00:00:00Z");
      assertEquals(
          job,
          Table.parseJob("j", Json.write(job))
              .orElseThrow(() -> new AssertionError("stored job reads back: " + Gen.replay(spec))));
    }
    assertTrue(ok > 300, "both sides exercised: " + ok + " accepted");
  }

  @Test
  void zonesAloneAreAcceptedOnlyIfTheyRoundTrip() {
    Gen g = new Gen("zones");
    Set<String> known = ZoneId.getAvailableZoneIds();
    for (int i = 0; i < 3000; i++) {
      String tz = g.zone();
      Schedule s = accepted(tz, () -> Schedule.parse("@hourly", tz));
      if (s == null) {
        assertFalse(known.contains(tz), "a known zone is accepted: " + Gen.replay(tz));
        continue;
      }
      assertEquals(s.zone(), ZoneId.of(s.zone().getId()), Gen.replay(tz));
      assertFalse(
          tz.contains("/") && !known.contains(tz),
          "a region id is one the JDK knows: " + Gen.replay(tz));
    }
  }

  /**
   * Values someone else put under conch's keys: a daemon, ls or --who skips or shows them, never
   * throws.
   */
  @Test
  void valuesReadBackFromEtcdNeverThrow() {
    Gen g = new Gen("values");
    String good =
        Json.write(
            new Job(
                "j",
                "@hourly",
                "UTC",
                "5m",
                "skip",
                20,
                List.of("true"),
                "me@host",
                "2026-01-01T00:00:00Z"));
    String run =
        Json.write(
            new Run(
                "2026-01-01T00:00:00Z",
                "running",
                "h",
                1L,
                "abc",
                "2026-01-01T00:00:00Z",
                null,
                null,
                null));
    String holder = Holder.self(List.of("true"), 10, 0xabc).toJson();
    List<String> values =
        new ArrayList<>(
            List.of(
                "",
                "null",
                "[]",
                "{}",
                "\"x\"",
                "1",
                "[".repeat(5000) + "]".repeat(5000),
                "{\"a\":".repeat(3000) + "1" + "}".repeat(3000),
                "{\"job\":\"j\",\"cmd\":[null],\"schedule\":\"@hourly\",\"tz\":\"UTC\",\"keep\":1}",
                good.replace("\"keep\":20", "\"keep\":-1"),
                good.replace("\"j\"", "\"../k\""),
                good.replace("\"5m\"", "\"forever\""),
                good.replace("\"skip\"", "\"sometimes\""),
                run.replace("2026-01-01T00:00:00Z\",\"ended", "yesterday\",\"ended"),
                "x".repeat(1 << 20)));
    for (int i = 0; i < 2000; i++) values.add(g.mutate(g.mutate(g.pick(good, run, holder))));
    int jobs = 0;
    for (String v : values) {
      try {
        var j = Table.parseJob("j", v);
        if (j.isPresent()) {
          jobs++;
          assertEquals("j", j.get().job(), "a job is the one its key names");
          j.get().parsedSchedule().next(Instant.now());
        }
        Holder.parse(v, 7).describe();
        Json.read(v, Run.class)
            .ifPresent(r -> r.shownState(Set.of("abc"), Duration.ofMinutes(5), Instant.now()));
      } catch (RuntimeException | StackOverflowError e) {
        fail("reading " + Gen.replay(v) + " threw " + e, e);
      }
    }
    assertTrue(jobs > 0, "mutations that are still jobs are read");
    assertEquals(
        Job.DEFAULT_KEEP,
        Table.parseJob("j", good.replace("\"keep\":20,", "")).orElseThrow().keep(),
        "no keep: the default history");
  }
}
