package dev.conch.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conch.cron.Run;
import dev.conch.it.support.Args;
import dev.conch.it.support.Conch;
import dev.conch.it.support.Cron;
import dev.conch.it.support.EtcdFixture;
import dev.conch.it.support.PreviousRelease;
import dev.conch.it.support.PreviousRelease.Pair;
import dev.conch.it.support.Procs;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * G12 on the cron table (contract sections 3, 8 and 8b): conchd and the cron verbs of the genuine
 * previous release ({@link PreviousRelease}) beside the current build's, on one table; each version
 * with its own HOSTNAME. Elections and semaphores: {@link MixedVersionIT}.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES) // a lost wake-up fails the test instead of hanging it
class MixedCronIT {
  @RegisterExtension static final EtcdFixture etcd = new EtcdFixture();

  @BeforeAll
  static void buildThePreviousRelease() {
    PreviousRelease.build(etcd.endpoint());
  }

  static Pair pair() {
    return PreviousRelease.pair(etcd.endpoint());
  }

  @Test
  void cronDaemonsOfBothVersionsRunEveryTickOnceAndEachLsReadsTheOthersRecords() {
    Pair p = pair();
    Path log = p.cur().file("log");
    Cron.add( // the previous release writes the job; the current daemon must read it
        p.old(),
        "tick",
        Args.array(
            List.of("--schedule", "@every 1s", "--keep", "100", "--overlap", "allow"),
            Cron.logging(log, "0")));
    Conch.Run dOld = p.old().start("daemon");
    Conch.Run dCur = p.cur().start("daemon");
    p.cur().awaitKeysUnder("/v1/daemons/", 2);
    long from = Cron.awaitUp(List.of(dOld, dCur)) + 1000;
    Cron.awaitTick(log, from + 8000, 40_000);
    // each version's ls lists both daemons, with the other's host, pid and version
    Map<Object, String> byLease = new HashMap<>();
    for (Conch reader : List.of(p.old(), p.cur())) {
      List<?> daemons =
          (List<?>) PreviousRelease.json(reader.run("cron", "ls", "--json")).get("daemons");
      List<List<Object>> ids = new ArrayList<>();
      for (Object d : daemons) {
        ids.add(PreviousRelease.holderId((Map<?, ?>) d));
        byLease.put(((Map<?, ?>) d).get("lease"), (String) ((Map<?, ?>) d).get("host"));
      }
      assertEquals(
          List.of(
              List.of("host-current", dCur.pid(), p.curVersion()),
              List.of("host-previous", dOld.pid(), p.oldVersion())),
          ids.stream()
              .sorted((x, y) -> x.get(0).toString().compareTo(y.get(0).toString()))
              .toList(),
          daemons.toString());
    }
    long to = System.currentTimeMillis() - 1000;
    for (Conch.Run d : List.of(dOld, dCur)) assertEquals(0, d.stop(), d.stderr());
    Cron.assertEveryTickOnce(p.cur(), "tick", log, from, to);
    // each version's ls shows the same records, those etcd holds, whichever daemon wrote them
    Map<Long, Run> stored = Cron.runs(p.cur(), "tick");
    List<String> shownOld = shown(Cron.shownRuns(p.old(), "tick"));
    assertEquals(shownOld, shown(Cron.shownRuns(p.cur(), "tick")));
    assertEquals(stored.size(), shownOld.size(), shownOld.toString());
    Map<String, Integer> won = new HashMap<>();
    for (Run r : stored.values()) won.merge(byLease.get(r.daemon()), 1, Integer::sum);
    System.out.printf("mixed-version cron: ticks won per daemon: %s%n", won);
  }

  /**
   * Contract section 8b beside the previous release, which knows none of the verbs: a paused job is
   * a removed one to it, and it never sees a run or kill request. The current daemon runs only bash
   * commands (--allow), so job "o" is the previous release's alone.
   */
  @Test
  void verbsBesideThePreviousReleaseItNeverRunsAPausedTickNorAManualRequest() {
    Pair p = pair();
    Path log = p.cur().file("log");
    String[] every = {"--schedule", "@every 1s", "--keep", "100", "--overlap", "allow"};
    Cron.add(p.cur(), "v", Args.array(List.of(every), Cron.logging(log, "0")));
    Cron.add(p.cur(), "h", "--schedule", "0 0 1 1 *", "--", "bash", "-c", "sleep 60");
    // runs overlap, so that one is always going when cron kill looks (skipping, a gap follows each)
    Cron.add(p.cur(), "o", "--schedule", "@every 1s", "--overlap", "allow", "--", "sleep", "5");
    Conch.Run dOld = p.old().start("daemon");
    Conch.Run dCur = p.cur().start("daemon", "--allow", "bash **", "--kill-after", "1s");
    p.cur().awaitKeysUnder("/v1/daemons/", 2);
    Cron.awaitTick(log, Cron.awaitUp(List.of(dOld, dCur)) + 2000, 40_000);
    assertEquals(0, p.cur().run("cron", "pause", "v").exit(0));
    long paused = System.currentTimeMillis();
    Conch.Run oldLs = p.old().run("cron", "ls");
    assertEquals(0, oldLs.exit(0), oldLs.stderr());
    assertTrue(!oldLs.stdout().contains("v  @every"), "to it, v is removed: " + oldLs.stdout());
    Conch.Run manual = p.cur().run("cron", "run", "v", "--wait"); // paused: runs all the same
    assertEquals(0, manual.exit(0), manual.stderr());
    // o only the previous release may run: its request is never taken, and is withdrawn
    Conch.Run ignored = p.cur().run("cron", "run", "o", "--timeout", "3s");
    assertEquals(75, ignored.exit(0), ignored.stderr());
    Procs.nap(2000); // ticks of v pass in the pause
    long resumeAsked = System.currentTimeMillis();
    assertEquals(0, p.cur().run("cron", "resume", "v").exit(0));
    Cron.awaitTick(log, System.currentTimeMillis() + 2000, 40_000);
    // kill: a run of h (current daemon) ends killed; one of o (previous release) goes on
    assertEquals(0, p.cur().run("cron", "run", "h").exit(0));
    Conch.Run kill = p.cur().run("cron", "kill", "h");
    assertEquals(0, kill.exit(0), kill.stderr());
    Cron.awaitRuns(
        p.cur(), "o", r -> r.values().stream().anyMatch(x -> x.state().equals("running")));
    Conch.Run oKill = p.cur().run("cron", "kill", "o", "--timeout", "2s");
    for (Conch.Run d : List.of(dOld, dCur)) assertEquals(0, d.stop(), d.stderr());
    Map<Long, Run> v = Cron.runs(p.cur(), "v");
    List<Long> inPause = v.keySet().stream().filter(t -> t > paused && t < resumeAsked).toList();
    List<Run> manuals = v.values().stream().filter(r -> r.manual() != null).toList();
    assertEquals(1, manuals.size(), "the manual run, once: " + v);
    assertEquals(
        List.of(manuals.get(0).tick()),
        inPause.stream().map(t -> Instant.ofEpochMilli(t).toString()).toList(),
        "in the pause only the manual run: " + v);
    String curLease = manuals.get(0).daemon();
    assertEquals("host-current", manuals.get(0).host());
    Run h = Cron.runs(p.cur(), "h").values().iterator().next();
    assertEquals(List.of(true, "failed", "host-current"), List.of(h.killed(), h.state(), h.host()));
    assertEquals(75, oKill.exit(0), "the previous release ignores cron kill: " + oKill.stderr());
    Conch.Run oldLsH = p.old().run("cron", "ls", "h");
    assertEquals(0, oldLsH.exit(0), oldLsH.stderr());
    System.out.printf(
        "previous release %s and the new keys: cron/paused/ (its ls lists %d jobs, no tick of v"
            + " in the pause), cron/requests/ (never taken: %s), cron/kills/ (ignored: %s),"
            + " records with manual/killed (its ls: %s); manual run by daemon %s%n",
        p.oldVersion(),
        oldLs.stdout().lines().filter(l -> l.contains("@every") || l.contains("0 0 1 1")).count(),
        ignored.stderr().strip(),
        oKill.stderr().lines().filter(l -> l.contains("still going")).findFirst().orElse(""),
        oldLsH.stdout().lines().skip(2).findFirst().orElse("").strip(),
        curLease);
  }

  /**
   * Issue 17 beside the previous release: it ignores --retries and --output-tail (a tick it claims
   * runs once, its record has no attempts), reads records that have them, and the current build's
   * cron output says a record of the previous release has no output stored.
   */
  @Test
  void thePreviousReleaseRunsAFailedTickOnceAndReadsRecordsWithAttempts() {
    Pair p = pair();
    Path log = p.cur().file("log");
    Cron.add(
        p.cur(),
        "r",
        "--schedule",
        "@every 1s",
        "--retries",
        "2",
        "--retry-delay",
        "100ms",
        "--output-tail",
        "100",
        "--",
        "bash",
        "-c",
        "echo \"$HOSTNAME $CONCH_ATTEMPT\" >> '" + log + "'; echo out; exit 3");
    Conch.Run dOld = p.old().start("daemon");
    Conch.awaitLines(log, 1, 40_000);
    assertEquals(0, dOld.stop(), dOld.stderr());
    Run old =
        Cron.runs(p.cur(), "r").values().stream()
            .filter(r -> r.state().equals(Run.FAILED))
            .findFirst()
            .orElseThrow();
    assertEquals(List.of("host-previous", 3), List.of(old.host(), old.exitCode()));
    assertEquals(null, old.attempts(), "the previous release keeps no attempts");
    assertTrue(
        Conch.lines(log).stream().allMatch(l -> l.equals("host-previous ")),
        "no retry, no CONCH_ATTEMPT: " + Conch.lines(log));
    assertEquals(1, p.cur().run("cron", "output", "r").exit(0), "nothing stored by 0.1.0");
    int before = Conch.lines(log).size();
    Conch.Run dCur = p.cur().start("daemon");
    Conch.awaitLines(log, before + 3, 40_000);
    assertEquals(0, dCur.stop(), dCur.stderr());
    Run cur =
        Cron.runs(p.cur(), "r").values().stream()
            .filter(r -> r.attempts() != null)
            .findFirst()
            .orElseThrow();
    assertEquals(3, cur.attempts().size(), cur.toString());
    assertEquals("out\n", cur.lastAttempt().output());
    // the previous release's ls reads the new job fields and records, and shows them as failed
    List<Map<?, ?>> shown = Cron.shownRuns(p.old(), "r");
    assertTrue(shown.stream().allMatch(r -> "failed".equals(r.get("state"))), shown.toString());
    System.out.printf(
        "previous release %s and --retries: ran %d line(s) per tick, no attempts; the current"
            + " build: %s%n",
        p.oldVersion(), before, Conch.lines(log).subList(before, before + 3));
  }

  static List<String> shown(List<Map<?, ?>> runs) {
    return runs.stream()
        .map(r -> r.get("tick") + " " + r.get("state") + " " + r.get("daemon"))
        .toList();
  }
}
