package dev.conch.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conch.coord.Holder;
import dev.conch.it.support.Conch;
import dev.conch.it.support.EtcdFixture;
import dev.conch.it.support.Etcdctl;
import dev.conch.it.support.PreviousRelease;
import dev.conch.it.support.PreviousRelease.Pair;
import dev.conch.it.support.Releases;
import dev.conch.it.support.Sema;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
 * semaphore ({@link MixedCronIT}: and cron table). Each version runs with its own HOSTNAME, so a
 * holder's host says which build wrote it.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES) // a lost wake-up fails the test instead of hanging it
class MixedVersionIT {
  @RegisterExtension static final EtcdFixture etcd = new EtcdFixture();

  @BeforeAll
  static void buildThePreviousRelease() {
    PreviousRelease.build(etcd.endpoint());
  }

  static Pair pair() {
    return PreviousRelease.pair(etcd.endpoint());
  }

  /**
   * {@code reader}'s {@code elect o --who --json} names {@code holder}: host, pid and version; and
   * {@code other}, the other release, reads the same value field for field (this release writes and
   * reads a holder's JSON by hand, the previous one through Jackson's mapper).
   */
  static void assertWho(Conch reader, Conch other, Conch.Run holder, String host, String version) {
    Map<?, ?> who = PreviousRelease.json(reader.run("elect", "o", "--who", "--json"));
    assertEquals(
        List.of(host, holder.pid(), version), PreviousRelease.holderId(who), who.toString());
    assertEquals(who, PreviousRelease.json(other.run("elect", "o", "--who", "--json")));
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
    Path log = p.cur().file("log");
    Conch.Run a = candidate(p.old(), "a", log, 1);
    Conch.awaitLines(log, 1, 20_000);
    Conch.Run b = candidate(p.cur(), "b", log, 2);
    assertWho(p.cur(), p.old(), a, "host-previous", p.oldVersion());
    end(p.cur(), "a", a, log, 3); // previous -> current
    Conch.Run c = candidate(p.old(), "c", log, 2);
    assertWho(p.old(), p.cur(), b, "host-current", p.curVersion());
    end(p.cur(), "b", b, log, 5); // current -> previous
    end(p.cur(), "c", c, log, 6);
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
    assertEquals(List.of(), p.cur().keys());
  }

  @Test
  void lockDelayAcrossVersionsAPreviousReleaseCountsAsUncleanAndReadsTheMark() throws Exception {
    Pair p = pair();
    Path log = p.cur().file("log");
    Conch.Run a = candidate(p.old(), "a", log, 1);
    Conch.awaitLines(log, 1, 20_000);
    Conch.Run b = candidate(p.cur(), "b", log, 2);
    end(p.cur(), "a", a, log, 3);
    // the previous release never marks: its clean release counts as unclean, and the current
    // waiter waits its lock-delay (safe), saying so
    assertTrue(b.stderr().contains(": lock-delay delay=1s"), b.stderr());
    // the current holder's value as its clean release marks it, on its own lease: the previous
    // release's --who still reads it
    String key = p.cur().keys().get(0);
    String value = Etcdctl.run(etcd.endpoint(), "get", key, "--print-value-only").out().strip();
    String marked = Holder.markReleased(value);
    String lease = key.substring(key.lastIndexOf('/') + 1);
    assertEquals(0, Etcdctl.run(etcd.endpoint(), "put", "--lease=" + lease, key, marked).code());
    Conch.Run c = candidate(p.old(), "c", log, 2);
    assertWho(p.old(), p.cur(), b, "host-current", p.curVersion());
    end(p.cur(), "b", b, log, 5); // current, marking, -> previous
    end(p.cur(), "c", c, log, 6);
    assertEquals(List.of("a", "b", "c"), order(Conch.lines(log)));
    assertEquals(List.of(), p.cur().keys());
  }

  static List<String> order(List<String> log) {
    return log.stream().filter(x -> x.startsWith("start ")).map(x -> x.split(" ")[1]).toList();
  }

  @Test
  void semaContendersOfBothVersionsNeverExceedMaxAndAreServedInQueueOrder() throws Exception {
    Pair p = pair();
    Path log = p.cur().file("log");
    Path go = p.cur().file("go");
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
              ? Sema.queueScript(p.old(), script, "--max", Integer.toString(max)).run()
              : Sema.queueScript(p.cur(), script, "--max", "" + max, "--lock-delay", "1s").run());
    }
    Conch.awaitLines(log, max, 20_000);
    // a holder of each version, and each version's --who lists both
    for (Conch reader : List.of(p.old(), p.cur()))
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
    assertEquals(List.of(), p.cur().keys());
  }
}
