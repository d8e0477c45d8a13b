package dev.conch.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conch.Gen;
import dev.conch.base.Durations;
import dev.conch.base.Failure;
import dev.conch.coord.Keys;
import dev.conch.cron.Schedule;
import dev.conch.it.support.Args;
import dev.conch.it.support.Conch;
import dev.conch.it.support.Cron;
import dev.conch.it.support.EtcdFixture;
import dev.conch.it.support.Etcdctl;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Hostile input through the real CLI and hostile values in etcd. The pure validators get thousands
 * of seeded cases in HostileInputTest; here a small seeded sample of what they reject goes through
 * real processes (each a JVM start), and values nobody should have written are put into etcd with
 * etcdctl.
 */
class HostileIT {
  @RegisterExtension static final EtcdFixture etcd = new EtcdFixture();
  static final int CASES = 20;

  /**
   * Rejected by the lib, so the CLI must reject it too; null if the lib accepts it or argv cannot
   * carry it.
   */
  static String[] rejected(Gen g, int kind) {
    String x =
        switch (kind) {
          case 0 -> g.name();
          case 1 -> g.duration();
          case 2 -> g.schedule();
          default -> g.zone();
        };
    if (x.indexOf('\0') >= 0) return null; // no command line can hold a NUL
    try {
      switch (kind) {
        case 0 -> Keys.name("job", x);
        case 1 -> Durations.parse(x);
        case 2 -> Schedule.parse(x, "UTC");
        default -> Schedule.parse("@hourly", x);
      }
      return null;
    } catch (Failure expected) {
      return switch (kind) {
        case 0 ->
            g.nextInt(2) == 0
                ? new String[] {"elect", x, "--", "true"}
                : new String[] {"cron", "add", x, "--schedule", "@hourly", "--", "true"};
        case 1 ->
            g.nextInt(2) == 0
                ? new String[] {"sema", "s", "--max", "2", "--ttl", x, "--", "true"}
                : new String[] {
                  "cron", "add", "j", "--schedule", "@hourly", "--timeout", x, "--", "true"
                };
        case 2 -> new String[] {"cron", "add", "j", "--schedule", x, "--", "true"};
        default ->
            new String[] {"cron", "add", "j", "--schedule", "@hourly", "--tz", x, "--", "true"};
      };
    }
  }

  @Test
  void aSeededSampleOfRejectedInputExitsSixtyFourInOneLineAndWritesNothing() {
    Gen g = new Gen("cli");
    Conch c = new Conch(etcd.endpoint());
    List<String[]> cases = new ArrayList<>();
    for (int kind = 0; cases.size() < CASES; kind = (kind + 1) % 4) {
      String[] args = rejected(g, kind);
      if (args != null) cases.add(args);
    }
    for (String[] args : cases) {
      Conch.Run r = c.run(args);
      String what =
          String.join(" ", args).replace("\n", "\\n")
              + " (replay with -Dconch.seed="
              + Gen.SEED
              + ")";
      assertEquals(64, r.exit(0), what + ": " + r.stderr());
      assertEquals(1, r.stderr().lines().count(), "one line for " + what + ": " + r.stderr());
      assertFalse(
          r.stderr().contains("\tat ") || r.stderr().contains("Exception"),
          "no trace for " + what + ": " + r.stderr());
      assertEquals("", r.stdout(), what);
    }
    assertEquals(List.of(), c.keys(), "nothing written");
  }

  /** A megabyte of junk, and JSON nested past any parser's patience, as candidates of an office. */
  @Test
  void unreadableHoldersAreShownAsSuchByWho() throws Exception {
    Conch c = new Conch(etcd.endpoint());
    Path big = c.file("big");
    byte[] junk = new byte[1 << 20];
    new Random(Gen.SEED).nextBytes(junk);
    Files.write(big, junk);
    assertEquals(0, Etcdctl.putFile(etcd.endpoint(), c.prefix + "/v1/elect/o/1", big).code());
    assertEquals(
        0,
        Etcdctl.run(
                etcd.endpoint(),
                "put",
                c.prefix + "/v1/elect/o/2",
                "[".repeat(3000) + "]".repeat(3000))
            .code());
    Conch.Run who = c.run("elect", "o", "--who");
    assertEquals(0, who.exit(0), "someone holds the office, unreadable as it is: " + who.stderr());
    assertTrue(who.stdout().contains("unreadable holder value"), who.stdout());
    assertEquals("", who.stderr());
    Conch.Run json = c.run("elect", "o", "--who", "--json");
    assertEquals(0, json.exit(0), json.stderr());
    assertTrue(
        json.stdout().contains("unreadable holder value") && json.stdout().length() < 1000,
        json.stdout());
    assertEquals(0, Etcdctl.putFile(etcd.endpoint(), c.prefix + "/v1/sema/s/2/1", big).code());
    Conch.Run sema = c.run("sema", "s", "--who");
    assertEquals(0, sema.exit(0), sema.stderr());
    assertTrue(sema.stdout().contains("unreadable holder value"), sema.stdout());
  }

  /**
   * Jobs someone else wrote: junk, a job under another job's key, a never-firing schedule. The
   * daemon runs the good one.
   */
  @Test
  void unreadableJobsAreReportedAndSkippedWhileTheDaemonRunsTheRest() throws Exception {
    Conch c = new Conch(etcd.endpoint());
    Path big = c.file("big");
    Files.writeString(
        big, "{\"job\":\"big\",\"cmd\":[\"" + "x".repeat(1 << 20), StandardCharsets.UTF_8);
    String jobs = c.prefix + "/v1/cron/jobs/";
    assertEquals(0, Etcdctl.putFile(etcd.endpoint(), jobs + "big", big).code());
    assertEquals(
        0,
        Etcdctl.run(
                etcd.endpoint(),
                "put",
                jobs + "other",
                "{\"job\":\"victim\",\"schedule\":\"@every 1s\",\"tz\":\"UTC\",\"keep\":5,\"cmd\":[\"true\"]}")
            .code());
    assertEquals(
        0,
        Etcdctl.run(
                etcd.endpoint(),
                "put",
                jobs + "never",
                "{\"job\":\"never\",\"schedule\":\"0 0 30 2 *\",\"tz\":\"UTC\",\"keep\":5,\"cmd\":[\"true\"]}")
            .code());
    Path log = c.file("log");
    Cron.add(c, "good", Args.array(List.of("--schedule", "@every 1s"), Cron.logging(log, "0")));
    assertEquals(
        0,
        Etcdctl.run(
                etcd.endpoint(),
                "put",
                c.prefix + "/v1/cron/runs/good/0000000000001",
                "{\"state\":")
            .code());
    assertEquals(
        0,
        Etcdctl.run(etcd.endpoint(), "put", c.prefix + "/v1/daemons/junk", "not a holder").code());
    Conch.Run daemon = c.start("daemon");
    Conch.awaitLines(log, 2, 30_000);
    Conch.Run ls = c.run("cron", "ls", "--json");
    assertEquals(0, ls.exit(0), ls.stderr());
    assertTrue(
        ls.stdout().contains("\"job\":\"good\"") && !ls.stdout().contains("\"job\":\"victim\""),
        ls.stdout());
    for (String k : List.of("big", "other", "never")) {
      assertTrue(ls.stderr().contains("skipping " + jobs + k + ": unreadable job"), ls.stderr());
    }
    assertEquals(0, daemon.stop(), daemon.stderr());
    for (String k : List.of("big", "other", "never")) {
      assertEquals(
          1,
          daemon.stderr().lines().filter(l -> l.contains("skipping job key '" + k + "'")).count(),
          daemon.stderr());
    }
    assertFalse(
        daemon.stderr().contains("\tat ") || daemon.stderr().contains("internal error"),
        daemon.stderr());
  }
}
