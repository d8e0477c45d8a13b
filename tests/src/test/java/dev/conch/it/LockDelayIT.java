package dev.conch.it;

import static dev.conch.it.support.Shell.quote;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conch.coord.Holder;
import dev.conch.cron.Run;
import dev.conch.etcd.Etcd;
import dev.conch.it.support.Args;
import dev.conch.it.support.Conch;
import dev.conch.it.support.Cron;
import dev.conch.it.support.EtcdFixture;
import dev.conch.it.support.Etcdctl;
import dev.conch.it.support.Procs;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * The lock-delay of contract section 4, end to end: a holder's key that vanishes without a release
 * mark (expiry, revoke) makes the next holder wait --lock-delay before its command starts, measured
 * from the vanish as a watch of the test's own sees it; a clean release marks the key and hands
 * over at once. Each next command checks, as it starts, whether the old one still runs. conchd's
 * --overlap skip counts a run of a vanished daemon as going for its lock-delay.
 */
@Isolated // timings are measured
class LockDelayIT {
  @RegisterExtension static final EtcdFixture etcd = new EtcdFixture();

  /** When the key was deleted (epoch ms), and its last value. */
  record Vanish(long atMillis, String lastValue) {}

  /**
   * Starts watching {@code key} for its deletion; the future completes when etcd deletes it. From
   * the revision of a read made now: on a loaded machine the watch may be registered only after a
   * quick deletion, which etcd then replays instead of never sending (a clean release timed out).
   */
  static CompletableFuture<Vanish> vanishOf(String key) {
    CompletableFuture<Vanish> done = new CompletableFuture<>();
    var kv = etcd.client().getKVClient().get(Etcd.bytes(key)).join();
    var from = WatchOption.builder().withRevision(kv.getHeader().getRevision() + 1);
    var w =
        etcd.client()
            .getWatchClient()
            .watch(
                Etcd.bytes(key),
                from.withNoPut(true).withPrevKV(true).build(),
                r -> {
                  for (WatchEvent e : r.getEvents())
                    done.complete(
                        new Vanish(
                            System.currentTimeMillis(), Etcd.string(e.getPrevKV().getValue())));
                });
    done.whenComplete((v, e) -> w.close());
    return done;
  }

  /**
   * A holder whose command ignores SIGTERM and writes its pid; the next one, with -v, checks as its
   * command starts whether that pid still lives, and writes the time.
   */
  record Pair(Conch c, Conch.Run a, long childA, String keyA, Conch.Run b, Path seen) {}

  static Pair pair(String tool, String... opts) {
    Conch c = new Conch(etcd.endpoint());
    Path pid = c.file("pid");
    Path seen = c.file("seen");
    List<String> common =
        tool.equals("elect") ? List.of("elect", "o") : List.of("sema", "s", "--max", "1");
    List<String> a = new java.util.ArrayList<>(common);
    a.addAll(List.of(opts));
    a.addAll(
        List.of("--", "bash", "-c", "trap '' TERM; echo $$ > " + quote(pid) + "; exec sleep 300"));
    Conch.Run ra = c.start(a.toArray(String[]::new));
    long childA = Long.parseLong(Conch.awaitLines(pid, 1, 20_000).get(0).strip());
    String keyA = c.keys().get(0);
    List<String> b = new java.util.ArrayList<>(common);
    b.addAll(List.of(opts));
    b.addAll(
        List.of(
            "-v",
            "--",
            "bash",
            "-c",
            "if kill -0 "
                + childA
                + " 2>/dev/null; then s=overlap; else s=alone; fi; echo \"$s $(date +%s%3N)\" > "
                + quote(seen)));
    Conch.Run rb = c.start(b.toArray(String[]::new));
    c.awaitKeys(2);
    return new Pair(c, ra, childA, keyA, rb, seen);
  }

  /** The next command ran alone, no earlier than {@code delayMs} after the vanish; the margin. */
  static long assertWaited(Pair p, Vanish v, long delayMs, String how) {
    assertEquals(0, p.b().exit(30_000), p.b().stderr());
    String[] seen = Conch.lines(p.seen()).get(0).split(" ");
    long after = Long.parseLong(seen[1]) - v.atMillis();
    System.out.printf("%s: vanish -> next command %d ms (lock-delay %d ms)%n", how, after, delayMs);
    assertEquals("alone", seen[0], how + ": the old command was dead when the next one started");
    // the wrapper's own watch may see the deletion a few ms before the test's does
    assertTrue(after >= delayMs - 50, how + ": waited the lock-delay, " + after + " ms");
    assertTrue(
        p.b().stderr().contains(": lock-delay delay=" + delayMs + "ms"),
        "-v says which delay and why: " + p.b().stderr());
    assertTrue(p.b().stderr().contains("without a release mark"), p.b().stderr());
    assertFalse(Holder.released(v.lastValue()), "the key vanished unmarked: " + v.lastValue());
    return after;
  }

  @Test
  void afterAFrozenHoldersLeaseExpiresTheNextCommandWaitsTheLockDelayAndRunsAlone() {
    // SIGSTOP: the frozen wrapper's watchdog kills the command only at the deadline, SIGKILL
    // kill-after later (it ignores SIGTERM); etcd expires the lease just after the deadline, so
    // without the lock-delay the next command would start while the old one still ran
    Pair p = pair("elect", "--ttl", "2s", "--kill-after", "500ms");
    CompletableFuture<Vanish> gone = vanishOf(p.keyA());
    Procs.kill("STOP", p.a().pid());
    try {
      Vanish v = gone.orTimeout(10, TimeUnit.SECONDS).join();
      assertWaited(p, v, 1500, "elect, frozen holder, lease expired");
      assertFalse(Procs.alive(p.childA()));
    } finally {
      Procs.kill("CONT", p.a().pid());
    }
    assertEquals(70, p.a().exit(15_000));
  }

  @Test
  void afterAKilledHoldersLeaseExpiresTheNextCommandWaitsTheLockDelay() {
    Pair p = pair("elect", "--ttl", "2s", "--kill-after", "500ms");
    CompletableFuture<Vanish> gone = vanishOf(p.keyA());
    Procs.kill("KILL", p.a().pid());
    Vanish v = gone.orTimeout(10, TimeUnit.SECONDS).join();
    assertWaited(p, v, 1500, "elect, SIGKILLed holder, lease expired");
  }

  @Test
  void aRevokedLeaseMakesTheNextCommandWaitTheLockDelay() {
    Pair p = pair("elect", "--ttl", "5s", "--kill-after", "500ms", "--lock-delay", "1200ms");
    CompletableFuture<Vanish> gone = vanishOf(p.keyA());
    String lease = p.keyA().substring(p.keyA().lastIndexOf('/') + 1);
    assertEquals(0, Etcdctl.run(etcd.endpoint(), "lease", "revoke", lease).code());
    Vanish v = gone.orTimeout(10, TimeUnit.SECONDS).join();
    assertWaited(p, v, 1200, "elect, lease revoked");
    assertEquals(70, p.a().exit(15_000));
  }

  @Test
  void semaFirstWaiterWaitsTheLockDelayAfterAHolderIsKilled() {
    Pair p = pair("sema", "--ttl", "2s", "--kill-after", "500ms");
    CompletableFuture<Vanish> gone = vanishOf(p.keyA());
    Procs.kill("KILL", p.a().pid());
    Vanish v = gone.orTimeout(10, TimeUnit.SECONDS).join();
    assertWaited(p, v, 1500, "sema, SIGKILLed holder, lease expired");
  }

  @Test
  void aCleanReleaseMarksItsKeyAndHandsOverAtOnce() {
    for (String tool : List.of("elect", "sema")) {
      Conch c = new Conch(etcd.endpoint());
      Path go = c.file("go");
      Path log = c.file("log");
      List<String> common =
          tool.equals("elect") ? List.of("elect", "o") : List.of("sema", "s", "--max", "1");
      String job =
          "echo start $(date +%s%3N) >> "
              + quote(log)
              + "; until [ -e "
              + quote(go)
              + " ]; do sleep 0.05; done; echo end $(date +%s%3N) >> "
              + quote(log);
      List<String> args = new java.util.ArrayList<>(common);
      args.addAll(List.of("-v", "--ttl", "2s", "--", "bash", "-c", job));
      Conch.Run a = c.start(args.toArray(String[]::new));
      Conch.awaitLines(log, 1, 20_000);
      String keyA = c.keys().get(0);
      Conch.Run b = c.start(args.toArray(String[]::new));
      c.awaitKeys(2);
      CompletableFuture<Vanish> gone = vanishOf(keyA);
      Procs.run(List.of("touch", go.toString()), java.util.Map.of());
      assertEquals(0, a.exit(20_000), a.stderr());
      assertEquals(0, b.exit(20_000), b.stderr());
      Vanish v = gone.orTimeout(10, TimeUnit.SECONDS).join();
      assertTrue(Holder.released(v.lastValue()), tool + ": marked released: " + v.lastValue());
      assertTrue(
          v.lastValue().contains("\"lease\":\"" + keyA.substring(keyA.lastIndexOf('/') + 1)),
          v.lastValue());
      List<String> l = Conch.lines(log);
      long gap = Long.parseLong(l.get(2).split(" ")[1]) - Long.parseLong(l.get(1).split(" ")[1]);
      System.out.printf("%s: clean handover %d ms%n", tool, gap);
      assertTrue(gap < 2_000, tool + ": no lock-delay after a clean release: " + gap + " ms");
      assertFalse(b.stderr().contains("lock-delay"), "-v claims no delay: " + b.stderr());
    }
  }

  @Test
  void cronOverlapSkipCountsARunOfAVanishedDaemonAsGoingForTheLockDelayThenRunsAgain() {
    // daemon a runs the job; SIGKILLed, its watchdog kills the run at once and its lease expires a
    // TTL later; b's overlap checks then skip until the lock-delay after the first one that found a
    // gone (without it, a's record would read as a zombie and the next tick would run)
    Conch c = new Conch(etcd.endpoint());
    Path log = c.file("log");
    Cron.add(
        c,
        "j",
        Args.array(
            List.of("--schedule", "@every 1s", "--overlap", "skip", "--keep", "100"),
            Cron.logging(log, "30")));
    List<String> opts =
        List.of("daemon", "--ttl", "2s", "--kill-after", "500ms", "--lock-delay", "1500ms");
    Conch.Run a = c.start(opts.toArray(String[]::new));
    String[] first = Conch.awaitLines(log, 1, 30_000).get(0).split(" ");
    Conch.Run b = c.start(Args.array(opts, List.of("--grace", "1s")));
    Cron.awaitUp(List.of(b));
    CompletableFuture<Vanish> gone = vanishOf(c.prefix + "/v1/daemons/" + first[4]);
    Procs.kill("KILL", a.pid());
    assertTrue(Procs.awaitDeath(Long.parseLong(first[2]), 5_000), "the run died with its daemon");
    long v = gone.orTimeout(10, TimeUnit.SECONDS).join().atMillis();
    String[] next = Conch.awaitLines(log, 2, 15_000).get(1).split(" ");
    assertEquals(0, b.stop(), b.stderr());
    long after = Long.parseLong(next[1]) / 1_000_000 - v;
    Map<Long, Run> runs = Cron.runs(c, "j");
    // b's check may read daemons/ a few ms before the test's watch hears of the deletion
    long skipped =
        runs.entrySet().stream()
            .filter(e -> e.getKey() > v + 50 && e.getValue().state().equals(Run.SKIPPED))
            .count();
    System.out.printf(
        "cron: daemon vanish -> next run %d ms (lock-delay 1500 ms), %d ticks skipped after it%n",
        after, skipped);
    assertTrue(skipped >= 1, "ticks after the vanish were skipped for the lock-delay: " + runs);
    assertTrue(after >= 1500 - 50, "the next run waited the lock-delay: " + after + " ms");
    // the first check after the vanish comes within a tick, the run at the first tick after its
    // lock-delay
    assertTrue(after <= 1000 + 1500 + 1000 + 1000, "then ticks run again: " + after + " ms");
  }

  @Test
  void cronRunsTheFirstTickAfterALockDelayThatTheWatchSawPass() {
    // a job with rare ticks: its next tick is b's first overlap check after a's crash; b's watch
    // of daemons/ saw a's key go long before, so that tick runs (dated at the check, as the first
    // version did, the vanish skipped it: an hourly job lost an hour)
    Conch c = new Conch(etcd.endpoint());
    Path log = c.file("log");
    Cron.add(c, "rare", Args.array(List.of("--schedule", "@every 8s"), Cron.logging(log, "30")));
    List<String> opts =
        List.of("daemon", "--ttl", "2s", "--kill-after", "500ms", "--lock-delay", "1500ms");
    Conch.Run a = c.start(opts.toArray(String[]::new));
    String[] first = Conch.awaitLines(log, 1, 30_000).get(0).split(" ");
    Conch.Run b = c.start(Args.array(opts, List.of("--grace", "1s")));
    Cron.awaitUp(List.of(b));
    CompletableFuture<Vanish> gone = vanishOf(c.prefix + "/v1/daemons/" + first[4]);
    Procs.kill("KILL", a.pid());
    long v = gone.orTimeout(10, TimeUnit.SECONDS).join().atMillis();
    // the first tick a lock-delay (and 200 ms of b's watch lag) after the vanish: it must run
    long t0 = Instant.parse(first[0]).toEpochMilli(), period = 8_000;
    long due = t0 + (v + 1_700 - t0 + period - 1) / period * period;
    Map<Long, Run> runs = Cron.awaitRuns(c, "rare", r -> r.containsKey(due));
    assertEquals(0, b.stop(), b.stderr());
    assertEquals(Run.RUNNING, runs.get(due).state(), "the tick after the lock-delay ran: " + runs);
  }
}
