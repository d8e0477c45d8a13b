package dev.conch.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conch.base.Json;
import dev.conch.coord.Holder;
import dev.conch.cron.Run;
import dev.conch.it.support.Args;
import dev.conch.it.support.Conch;
import dev.conch.it.support.Cron;
import dev.conch.it.support.EtcdFixture;
import dev.conch.it.support.Etcdctl;
import dev.conch.it.support.Procs;
import dev.conch.it.support.Releases;
import dev.conch.it.support.Sema;
import java.nio.file.Files;
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
 * G12 with the genuine previous release (contract sections 3 and 11): the release before this one,
 * built from its commit ({@link Releases}), runs beside the current build on the same office,
 * semaphore and cron table. Each version runs with its own HOSTNAME, so a holder's host says which
 * build wrote it.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES) // a lost wake-up fails the test instead of hanging it
class MixedVersionIT {
  @RegisterExtension static final EtcdFixture etcd = new EtcdFixture();
  static String previous; // the previous release's classpath, built before the first test
  static String previousVersion, currentVersion; // as each build's --version says

  @BeforeAll
  static void buildThePreviousRelease() {
    previous = Releases.classpath(Releases.previous());
    Conch cur = new Conch(etcd.endpoint());
    previousVersion = version(cur.build(previous));
    currentVersion = version(cur);
    System.out.printf(
        "previous release %s beside the current build %s%n", previousVersion, currentVersion);
  }

  /** The current build and the previous release on one prefix, told apart by HOSTNAME. */
  record Pair(Conch cur, Conch old, String curVersion, String oldVersion) {}

  static Pair pair() {
    Conch cur = new Conch(etcd.endpoint()).env("HOSTNAME", "host-current");
    Conch old = cur.build(previous).env("HOSTNAME", "host-previous");
    return new Pair(cur, old, currentVersion, previousVersion);
  }

  /** What {@code conch --version} says: "conch VERSION (lib …)". */
  static String version(Conch c) {
    Conch.Run v = c.run("--version");
    assertEquals(0, v.exit(0), v.stderr());
    return v.stdout().split(" ")[1];
  }

  static Map<?, ?> json(Conch.Run r) {
    assertEquals(0, r.exit(0), r.stderr());
    return Json.read(r.stdout(), Map.class).orElseThrow();
  }

  /** {@code reader}'s {@code elect o --who --json} names {@code holder}: host, pid and version. */
  static void assertWho(Conch reader, Conch.Run holder, String host, String version) {
    Map<?, ?> who = json(reader.run("elect", "o", "--who", "--json"));
    assertEquals(List.of(host, holder.pid(), version), holderId(who), who.toString());
  }

  static List<Object> holderId(Map<?, ?> holder) {
    return List.of(
        holder.get("host"), ((Number) holder.get("pid")).longValue(), holder.get("version"));
  }

  /**
   * An elect candidate whose command logs its start and end and runs until {@code go-TAG}; returns
   * once {@code keys} candidates have queued.
   */
  static Conch.Run candidate(Conch c, String tag, Path log, int keys) {
    String line = "\"%s " + tag + " $CONCH_REV\" >> '" + log + "'";
    String go = "until [ -e '" + c.file("go-" + tag) + "' ]; do sleep 0.05; done";
    String script = "echo " + String.format(line, "start") + "; " + go + "; echo ";
    List<String> args = new ArrayList<>(List.of("elect", "o"));
    // the previous release never marks its release, so the current build waits its lock-delay
    // after it: a short one keeps the test fast (the previous release has no such option)
    if (c.current()) args.addAll(List.of("-v", "--lock-delay", "1s"));
    args.addAll(List.of("--", "bash", "-c", script + String.format(line, "end")));
    Conch.Run r = c.start(args.toArray(String[]::new));
    c.awaitKeys(keys);
    return r;
  }

  /** Lets candidate {@code tag}'s command end; returns once the log has {@code lines} lines. */
  static void end(Conch c, String tag, Conch.Run r, Path log, int lines) throws Exception {
    Files.createFile(c.file("go-" + tag));
    assertEquals(0, r.exit(20_000), r.stderr());
    Conch.awaitLines(log, lines, 20_000);
  }

  @Test
  void electHandsOverBothWaysWithRisingTokensAndEachWhoNamesTheOther() throws Exception {
    Pair p = pair();
    Path log = p.cur.file("log");
    Conch.Run a = candidate(p.old, "a", log, 1);
    Conch.awaitLines(log, 1, 20_000);
    Conch.Run b = candidate(p.cur, "b", log, 2);
    assertWho(p.cur, a, "host-previous", p.oldVersion);
    end(p.cur, "a", a, log, 3); // previous -> current
    Conch.Run c = candidate(p.old, "c", log, 2);
    assertWho(p.old, b, "host-current", p.curVersion);
    end(p.cur, "b", b, log, 5); // current -> previous
    end(p.cur, "c", c, log, 6);
    List<String> l = Conch.lines(log);
    long lastRev = 0;
    for (int i = 0; i < 6; i += 2) {
      String[] start = l.get(i).split(" ");
      assertEquals("start", start[0], "one at a time: " + l);
      assertEquals("end " + start[1] + " " + start[2], l.get(i + 1), "one at a time: " + l);
      long rev = Long.parseLong(start[2]);
      assertTrue(rev > lastRev, "CONCH_REV strictly increases across versions: " + l);
      lastRev = rev;
    }
    assertEquals(List.of("a", "b", "c"), order(l), l.toString());
    assertEquals(List.of(), p.cur.keys());
  }

  @Test
  void lockDelayAcrossVersionsAPreviousReleaseCountsAsUncleanAndReadsTheMark() throws Exception {
    Pair p = pair();
    Path log = p.cur.file("log");
    Conch.Run a = candidate(p.old, "a", log, 1);
    Conch.awaitLines(log, 1, 20_000);
    Conch.Run b = candidate(p.cur, "b", log, 2);
    end(p.cur, "a", a, log, 3);
    // the previous release never marks: its clean release counts as unclean, and the current
    // waiter waits its lock-delay (safe), saying so
    assertTrue(b.stderr().contains(": lock-delay delay=1s"), b.stderr());
    // the current holder's value as its clean release marks it, on its own lease: the previous
    // release's --who still reads it
    String key = p.cur.keys().get(0);
    String value = Etcdctl.run(etcd.endpoint(), "get", key, "--print-value-only").out().strip();
    String marked = Holder.markReleased(value);
    String lease = key.substring(key.lastIndexOf('/') + 1);
    assertEquals(0, Etcdctl.run(etcd.endpoint(), "put", "--lease=" + lease, key, marked).code());
    Conch.Run c = candidate(p.old, "c", log, 2);
    assertWho(p.old, b, "host-current", p.curVersion);
    end(p.cur, "b", b, log, 5); // current, marking, -> previous
    end(p.cur, "c", c, log, 6);
    assertEquals(List.of("a", "b", "c"), order(Conch.lines(log)));
    assertEquals(List.of(), p.cur.keys());
  }

  static List<String> order(List<String> log) {
    return log.stream().filter(x -> x.startsWith("start ")).map(x -> x.split(" ")[1]).toList();
  }

  @Test
  void semaContendersOfBothVersionsNeverExceedMaxAndAreServedInQueueOrder() throws Exception {
    Pair p = pair();
    Path log = p.cur.file("log");
    Path go = p.cur.file("go");
    int max = 2;
    // queue order: each contender has queued (its key exists) before the next starts
    List<String> queue = List.of("o1", "n1", "o2", "n2", "o3", "n3");
    List<Conch.Run> runs = new ArrayList<>();
    for (String tag : queue) {
      String script =
          "echo \"start "
              + tag
              + " $CONCH_REV\" >> '"
              + log
              + "'; until [ -e '"
              + go
              + "' ]; do sleep 0.05; done; sleep 0.$((RANDOM % 4 + 1)); echo \"end "
              + tag
              + "\" >> '"
              + log
              + "'";
      // the current build waits its lock-delay after each unmarked release of the previous one:
      // a short one keeps the test fast (the previous release has no such option)
      runs.add(
          tag.startsWith("o")
              ? Sema.queueScript(p.old, script, "--max", Integer.toString(max)).run()
              : Sema.queueScript(p.cur, script, "--max", "" + max, "--lock-delay", "1s").run());
    }
    Conch.awaitLines(log, max, 20_000);
    // a holder of each version, and each version's --who lists both
    for (Conch reader : List.of(p.old, p.cur))
      assertEquals(List.of(runs.get(0).pid(), runs.get(1).pid()), Sema.holderPids(reader));
    Files.createFile(go);
    for (Conch.Run r : runs) assertEquals(0, r.exit(60_000), r.stderr());
    // the log, appended (O_APPEND) by each child: an end is written before its wrapper releases
    List<String> l = Conch.lines(log);
    assertEquals(2 * queue.size(), l.size(), l.toString());
    List<String> waiting = new ArrayList<>(queue); // not yet ended, in queue order
    List<String> running = new ArrayList<>();
    int most = 0;
    for (String line : l) {
      String[] f = line.split(" ");
      if (f[0].equals("end")) {
        assertTrue(
            running.remove(f[1]) && waiting.remove(f[1]), "ends once, after its start: " + l);
        continue;
      }
      assertTrue(waiting.contains(f[1]) && !running.contains(f[1]), "starts once: " + l);
      assertTrue(waiting.indexOf(f[1]) < max, f[1] + " started among the first " + max + ": " + l);
      running.add(f[1]);
      most = Math.max(most, running.size());
      assertTrue(running.size() <= max, "never more than --max at once: " + l);
    }
    assertEquals(max, most, "the semaphore was full at some point: " + l);
    List<Long> revs = new ArrayList<>();
    for (String tag : queue)
      revs.add(
          Long.parseLong(
              l.stream()
                  .filter(x -> x.startsWith("start " + tag + " "))
                  .findFirst()
                  .orElseThrow()
                  .split(" ")[2]));
    assertEquals(
        revs.stream().distinct().sorted().toList(), revs, "CONCH_REV rises in queue order");
    assertEquals(List.of(), p.cur.keys());
  }

  @Test
  void cronDaemonsOfBothVersionsRunEveryTickOnceAndEachLsReadsTheOthersRecords() {
    Pair p = pair();
    Path log = p.cur.file("log");
    Cron.add( // the previous release writes the job; the current daemon must read it
        p.old,
        "tick",
        Args.array(
            List.of("--schedule", "@every 1s", "--keep", "100", "--overlap", "allow"),
            Cron.logging(log, "0")));
    Conch.Run dOld = p.old.start("daemon");
    Conch.Run dCur = p.cur.start("daemon");
    p.cur.awaitKeysUnder("/v1/daemons/", 2);
    long from = Cron.awaitUp(List.of(dOld, dCur)) + 1000;
    Cron.awaitTick(log, from + 8000, 40_000);
    // each version's ls lists both daemons, with the other's host, pid and version
    Map<Object, String> byLease = new HashMap<>();
    for (Conch reader : List.of(p.old, p.cur)) {
      List<?> daemons = (List<?>) json(reader.run("cron", "ls", "--json")).get("daemons");
      List<List<Object>> ids = new ArrayList<>();
      for (Object d : daemons) {
        ids.add(holderId((Map<?, ?>) d));
        byLease.put(((Map<?, ?>) d).get("lease"), (String) ((Map<?, ?>) d).get("host"));
      }
      assertEquals(
          List.of(
              List.of("host-current", dCur.pid(), p.curVersion),
              List.of("host-previous", dOld.pid(), p.oldVersion)),
          ids.stream()
              .sorted((x, y) -> x.get(0).toString().compareTo(y.get(0).toString()))
              .toList(),
          daemons.toString());
    }
    long to = System.currentTimeMillis() - 1000;
    for (Conch.Run d : List.of(dOld, dCur)) assertEquals(0, d.stop(), d.stderr());
    Cron.assertEveryTickOnce(p.cur, "tick", log, from, to);
    // each version's ls shows the same records, those etcd holds, whichever daemon wrote them
    Map<Long, Run> stored = Cron.runs(p.cur, "tick");
    List<String> shownOld = shown(Cron.shownRuns(p.old, "tick"));
    assertEquals(shownOld, shown(Cron.shownRuns(p.cur, "tick")));
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
    Path log = p.cur.file("log");
    String[] every = {"--schedule", "@every 1s", "--keep", "100", "--overlap", "allow"};
    Cron.add(p.cur, "v", Args.array(List.of(every), Cron.logging(log, "0")));
    Cron.add(p.cur, "h", "--schedule", "0 0 1 1 *", "--", "bash", "-c", "sleep 60");
    // runs overlap, so that one is always going when cron kill looks (skipping, a gap follows each)
    Cron.add(p.cur, "o", "--schedule", "@every 1s", "--overlap", "allow", "--", "sleep", "5");
    Conch.Run dOld = p.old.start("daemon");
    Conch.Run dCur = p.cur.start("daemon", "--allow", "bash **", "--kill-after", "1s");
    p.cur.awaitKeysUnder("/v1/daemons/", 2);
    Cron.awaitTick(log, Cron.awaitUp(List.of(dOld, dCur)) + 2000, 40_000);
    assertEquals(0, p.cur.run("cron", "pause", "v").exit(0));
    long paused = System.currentTimeMillis();
    Conch.Run oldLs = p.old.run("cron", "ls");
    assertEquals(0, oldLs.exit(0), oldLs.stderr());
    assertTrue(!oldLs.stdout().contains("v  @every"), "to it, v is removed: " + oldLs.stdout());
    Conch.Run manual = p.cur.run("cron", "run", "v", "--wait"); // paused: runs all the same
    assertEquals(0, manual.exit(0), manual.stderr());
    // o only the previous release may run: its request is never taken, and is withdrawn
    Conch.Run ignored = p.cur.run("cron", "run", "o", "--timeout", "3s");
    assertEquals(75, ignored.exit(0), ignored.stderr());
    Procs.nap(2000); // ticks of v pass in the pause
    long resumeAsked = System.currentTimeMillis();
    assertEquals(0, p.cur.run("cron", "resume", "v").exit(0));
    Cron.awaitTick(log, System.currentTimeMillis() + 2000, 40_000);
    // kill: a run of h (current daemon) ends killed; one of o (previous release) goes on
    assertEquals(0, p.cur.run("cron", "run", "h").exit(0));
    Conch.Run kill = p.cur.run("cron", "kill", "h");
    assertEquals(0, kill.exit(0), kill.stderr());
    Cron.awaitRuns(p.cur, "o", r -> r.values().stream().anyMatch(x -> x.state().equals("running")));
    Conch.Run oKill = p.cur.run("cron", "kill", "o", "--timeout", "2s");
    for (Conch.Run d : List.of(dOld, dCur)) assertEquals(0, d.stop(), d.stderr());
    Map<Long, Run> v = Cron.runs(p.cur, "v");
    List<Long> inPause = v.keySet().stream().filter(t -> t > paused && t < resumeAsked).toList();
    List<Run> manuals = v.values().stream().filter(r -> r.manual() != null).toList();
    assertEquals(1, manuals.size(), "the manual run, once: " + v);
    assertEquals(
        List.of(manuals.get(0).tick()),
        inPause.stream().map(t -> Instant.ofEpochMilli(t).toString()).toList(),
        "in the pause only the manual run: " + v);
    String curLease = manuals.get(0).daemon();
    assertEquals("host-current", manuals.get(0).host());
    Run h = Cron.runs(p.cur, "h").values().iterator().next();
    assertEquals(List.of(true, "failed", "host-current"), List.of(h.killed(), h.state(), h.host()));
    assertEquals(75, oKill.exit(0), "the previous release ignores cron kill: " + oKill.stderr());
    Conch.Run oldLsH = p.old.run("cron", "ls", "h");
    assertEquals(0, oldLsH.exit(0), oldLsH.stderr());
    System.out.printf(
        "previous release %s and the new keys: cron/paused/ (its ls lists %d jobs, no tick of v"
            + " in the pause), cron/requests/ (never taken: %s), cron/kills/ (ignored: %s),"
            + " records with manual/killed (its ls: %s); manual run by daemon %s%n",
        p.oldVersion,
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
    Path log = p.cur.file("log");
    Cron.add(
        p.cur,
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
    Conch.Run dOld = p.old.start("daemon");
    Conch.awaitLines(log, 1, 40_000);
    assertEquals(0, dOld.stop(), dOld.stderr());
    Run old =
        Cron.runs(p.cur, "r").values().stream()
            .filter(r -> r.state().equals(Run.FAILED))
            .findFirst()
            .orElseThrow();
    assertEquals(List.of("host-previous", 3), List.of(old.host(), old.exitCode()));
    assertEquals(null, old.attempts(), "the previous release keeps no attempts");
    assertTrue(
        Conch.lines(log).stream().allMatch(l -> l.equals("host-previous ")),
        "no retry, no CONCH_ATTEMPT: " + Conch.lines(log));
    assertEquals(1, p.cur.run("cron", "output", "r").exit(0), "nothing stored by 0.1.0");
    int before = Conch.lines(log).size();
    Conch.Run dCur = p.cur.start("daemon");
    Conch.awaitLines(log, before + 3, 40_000);
    assertEquals(0, dCur.stop(), dCur.stderr());
    Run cur =
        Cron.runs(p.cur, "r").values().stream()
            .filter(r -> r.attempts() != null)
            .findFirst()
            .orElseThrow();
    assertEquals(3, cur.attempts().size(), cur.toString());
    assertEquals("out\n", cur.lastAttempt().output());
    // the previous release's ls reads the new job fields and records, and shows them as failed
    List<Map<?, ?>> shown = Cron.shownRuns(p.old, "r");
    assertTrue(shown.stream().allMatch(r -> "failed".equals(r.get("state"))), shown.toString());
    System.out.printf(
        "previous release %s and --retries: ran %d line(s) per tick, no attempts; the current"
            + " build: %s%n",
        p.oldVersion, before, Conch.lines(log).subList(before, before + 3));
  }

  static List<String> shown(List<Map<?, ?>> runs) {
    return runs.stream()
        .map(r -> r.get("tick") + " " + r.get("state") + " " + r.get("daemon"))
        .toList();
  }
}
