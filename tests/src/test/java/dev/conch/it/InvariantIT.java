package dev.conch.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conch.etcd.Etcd;
import dev.conch.it.support.Conch;
import dev.conch.it.support.EtcdFixture;
import dev.conch.it.support.Etcdctl;
import dev.conch.it.support.Procs;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The sacred tests (layer 3): K competing wrapper processes under a seeded schedule of faults
 * (SIGKILL of wrappers, lease revocations, SIGSTOP/SIGCONT of wrappers below and above the TTL,
 * SIGTERM of children). Every child logs its start; an observer records when its process group is
 * gone, a watch when its key is deleted. Afterwards, over the intervals: at most N run at once
 * except after a holder's key is deleted, and that overlap window closes within its bound; the
 * system converges after the last fault; fencing tokens increase. -Dconch.seed=N replays the same
 * fault schedule (real processes cannot replay timings); every failure message names its seed.
 */
class InvariantIT {
  @RegisterExtension static final EtcdFixture etcd = new EtcdFixture();
  static final long SEED = Long.getLong("conch.seed", 20261124L);
  static final long TTL_MS = 2000;
  static final long KILL_AFTER_MS = 500;

  /**
   * Scheduling latency on the kill path, measured (docs/guarantees.md): the watchdog's bash wakes
   * from its timed read, signals, forks its kill-after nap and signals again, and the kernel tears
   * the group down, on a loaded 2-core machine.
   */
  static final long SLACK_MS = 400;

  /**
   * The test's watch learns of a deletion a moment after the next holder's wrapper may have (which
   * then still starts a JVM-forked bash before its child logs).
   */
  static final long WATCH_LAG_MS = 200;

  static final long SHORT_PAUSE_MS = TTL_MS / 3;
  static final long LONG_PAUSE_MS = TTL_MS + 1500;

  /**
   * Sema promotes several waiters at once; one of them may start its child up to a short pause (it
   * was frozen) plus its reaction time later than one ranked after it.
   */
  static final long FENCE_EPS_MS = SHORT_PAUSE_MS + 500;

  static final long FAULT_MS = Long.getLong("conch.chaos.ms", 25_000);

  @Test
  void electUnderFaults() {
    new Chaos("elect", 1, 4, SEED).run();
  }

  @Test
  void semaUnderFaults() {
    new Chaos("sema", 2, 5, SEED).run();
  }

  enum Kind {
    KILL_WRAPPER,
    REVOKE,
    REVOKE_FROZEN,
    STOP_SHORT,
    STOP_LONG,
    TERM_CHILD,
    TERM_TRAPPING_CHILD
  }

  /** {@code pick} chooses the target among the fitting holders in rank order. */
  record Fault(long delayMs, Kind kind, int pick) {}

  /**
   * The schedule is a function of the seed alone: one fault of each kind in a seeded order, then
   * seeded random ones until {@code faultMs} of delays.
   */
  static List<Fault> schedule(long seed, long faultMs) {
    Random r = new Random(seed);
    List<Kind> first = new ArrayList<>(List.of(Kind.values()));
    Collections.shuffle(first, r);
    List<Fault> s = new ArrayList<>();
    for (long total = 0; total < faultMs || s.size() < first.size(); ) {
      long delay = 600 + r.nextInt(1400);
      Kind kind =
          s.size() < first.size()
              ? first.get(s.size())
              : Kind.values()[r.nextInt(Kind.values().length)];
      s.add(new Fault(delay, kind, r.nextInt(1 << 16)));
      total += delay;
    }
    return s;
  }

  static long now() {
    Instant t = Instant.now();
    return t.getEpochSecond() * 1_000_000_000 + t.getNano();
  }

  static long ms(long millis) {
    return millis * 1_000_000;
  }

  /**
   * One child's run: who (lease), its token, when (wall ns), its process group, and its wrapper.
   */
  static final class Interval {
    final String lease;
    final long rev;
    final long start;
    final long pid;
    final long wrapper;
    final boolean trapsTerm;
    volatile long end = Long.MAX_VALUE;

    Interval(String[] f) {
      lease = f[1];
      rev = Long.parseLong(f[2]);
      start = Long.parseLong(f[3]);
      pid = Long.parseLong(f[4]);
      wrapper = Long.parseLong(f[5]);
      trapsTerm = f[6].equals("1");
    }

    boolean liveAt(long t) {
      return start <= t && t < end;
    }

    @Override
    public String toString() {
      return "["
          + lease
          + " rev "
          + rev
          + " pid "
          + pid
          + " "
          + start / 1_000_000 % 100_000
          + ".."
          + (end == Long.MAX_VALUE ? "" : end / 1_000_000 % 100_000)
          + "]";
    }
  }

  static final class Chaos {
    final String tool;
    final int max;
    final int contenders;
    final long seed;
    final Conch conch;
    final Path log;
    final List<Interval> intervals = Collections.synchronizedList(new ArrayList<>());

    /** When each child's process group was gone, by its CONCH_REV (its witness's line). */
    final Map<Long, Long> ended = new ConcurrentHashMap<>();

    /** When the test saw each key deleted, by create revision (the child's CONCH_REV). */
    final Map<Long, Long> lostAt = new ConcurrentHashMap<>();

    /** Keys revoked while their wrapper was frozen: the one case with the TTL in its bound. */
    final Set<Long> revokedFrozen = ConcurrentHashMap.newKeySet();

    final List<String> faults = Collections.synchronizedList(new ArrayList<>());
    final Map<Kind, Integer> effective = Collections.synchronizedMap(new EnumMap<>(Kind.class));

    /**
     * Wrappers stopped now: stopping one again would let the shorter pause's SIGCONT end the
     * longer.
     */
    final Set<Long> frozen = ConcurrentHashMap.newKeySet();

    /** Each slot's current wrapper and generation; guarded by this, with {@code respawn}. */
    final Map<Integer, Conch.Run> slots = new ConcurrentHashMap<>();

    final Map<Integer, Integer> generations = new ConcurrentHashMap<>();
    boolean respawn = true;
    final ScheduledExecutorService background = Executors.newScheduledThreadPool(2);

    /** Done only if it failed: then its failure is the test's, not a silent stop. */
    ScheduledFuture<?> observer;

    /** The largest overlap window measured, by bound: the wrapper could act, or it was frozen. */
    final Map<Long, Long> largestWindow = new TreeMap<>();

    Chaos(String tool, int max, int contenders, long seed) {
      this.tool = tool;
      this.max = max;
      this.contenders = contenders;
      this.seed = seed;
      this.conch = new Conch(etcd.endpoint());
      this.log = conch.file("intervals");
    }

    String why(String what) {
      return "seed "
          + seed
          + " (replay: mvn -B -ntp -pl tests test-compile surefire:test@default-test"
          + " -Dtest=InvariantIT -Dconch.seed="
          + seed
          + " -Dconch.chaos.ms="
          + FAULT_MS
          + " -Dsurefire.failIfNoSpecifiedTests=false): "
          + tool
          + ": "
          + what
          + "\nfaults: "
          + faults;
    }

    /**
     * A wrapper for slot {@code i}: its child's duration comes from the seed, the slot and the
     * generation, whether it ignores SIGTERM from the slot and the generation; never from the order
     * in which wrappers happened to exit.
     */
    synchronized void spawn(int i) {
      if (!respawn) return;
      int generation = generations.merge(i, 1, Integer::sum);
      Random random = new Random(seed ^ i * 0x9E3779B97F4A7C15L ^ generation * 0xBF58476D1CE4E5B9L);
      // half the children are short, half would outlive a lost lease unless something stops them
      String seconds =
          String.format(
              "%.1f",
              random.nextBoolean()
                  ? 0.3 + random.nextInt(13) / 10.0
                  : 4 + random.nextInt(40) / 10.0);
      // alternating, not drawn: both kinds of child hold in every run, so both SIGTERM faults land
      String ignoreTerm = (i + generation) % 2 == 0 ? "1" : "0";
      List<String> args =
          new ArrayList<>(
              List.of(
                  tool, "inv", "--ttl", TTL_MS / 1000 + "s", "--kill-after", KILL_AFTER_MS + "ms"));
      if (tool.equals("sema")) args.addAll(List.of("--max", Integer.toString(max)));
      args.addAll(
          List.of(
              "--",
              "bash",
              "-c",
              // a witness outside the group holds the read end of a pipe that every member
              // inherits: its EOF is the moment the last of them is gone, whoever killed it
              "exec 9> >(exec setsid bash -c 'read -r _; echo \"E $0 ${EPOCHREALTIME/./}000\" >> \"$1\"' \"$CONCH_REV\" '"
                  + log
                  + "'); read -r _ _ _ w _ < /proc/$PPID/stat;"
                  + " echo \"S $CONCH_LEASE $CONCH_REV ${EPOCHREALTIME/./}000 $$ $w $2\" >> '"
                  + log
                  + "'; [ \"$2\" = 1 ] && trap '' TERM; sleep \"$1\" & wait $!; wait $!",
              "child",
              seconds,
              ignoreTerm));
      Conch.Run r = conch.start(args.toArray(String[]::new));
      slots.put(i, r);
      r.process().onExit().thenRun(() -> spawn(i));
    }

    synchronized void stopRespawning() {
      respawn = false;
    }

    /**
     * Reads the children's lines: a start, written by the child, and an end, written by its witness
     * the moment its process group is gone; both timed by bash's clock where they happen, so this
     * poll of a file adds no lateness to what it measures.
     */
    void observe(RandomAccessFile in) {
      synchronized (in) { // the last call, from the test's thread, may meet a scheduled one
        try {
          String line;
          while ((line = in.readLine()) != null) {
            String[] f = line.split(" ");
            if (f[0].equals("S")) intervals.add(new Interval(f));
            if (f[0].equals("E")) ended.put(Long.parseLong(f[1]), Long.parseLong(f[2]));
          }
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
        for (Interval iv : List.copyOf(intervals)) {
          Long end = ended.get(iv.rev);
          if (iv.end == Long.MAX_VALUE && end != null) iv.end = end;
        }
      }
    }

    /** Running children whose key still exists, in rank order. */
    List<Interval> holders() {
      return List.copyOf(intervals).stream()
          .filter(iv -> iv.end == Long.MAX_VALUE && !lostAt.containsKey(iv.rev))
          .sorted(Comparator.comparingLong(iv -> iv.rev))
          .toList();
    }

    /** Applies a fault to a fitting holder; false if there is none now. */
    boolean apply(Fault f) {
      Predicate<Interval> fits =
          switch (f.kind()) {
            case KILL_WRAPPER -> iv -> true;
            case TERM_CHILD -> iv -> !iv.trapsTerm;
            case TERM_TRAPPING_CHILD -> iv -> iv.trapsTerm;
            default -> iv -> !frozen.contains(iv.wrapper);
          };
      List<Interval> fitting = holders().stream().filter(fits).toList();
      if (fitting.isEmpty()) return false;
      Interval v = fitting.get(f.pick() % fitting.size());
      String effect =
          switch (f.kind()) {
            // the child goes with it: EOF on the watchdog's FIFO
            case KILL_WRAPPER -> signal("KILL", v.wrapper);
            // the wrapper sees its key deleted: SIGTERM within milliseconds, SIGKILL after
            // kill-after
            case REVOKE -> revoke(v);
            // a frozen wrapper cannot see the revoke: its watchdog acts at the deadline, while
            // the next holder starts at once
            case REVOKE_FROZEN -> {
              String stop = freeze(v.wrapper, LONG_PAUSE_MS);
              if (stop != null) yield stop;
              revokedFrozen.add(v.rev);
              yield revoke(v);
            }
            case STOP_SHORT -> freeze(v.wrapper, SHORT_PAUSE_MS);
            // above the TTL: the deadline passes, the lease expires
            case STOP_LONG -> freeze(v.wrapper, LONG_PAUSE_MS);
            // the child ends (or ignores it; its sleep lives on), nobody else may start meanwhile
            case TERM_CHILD, TERM_TRAPPING_CHILD -> signal("TERM", v.pid);
          };
      faults.add(f.kind() + " " + v + (effect == null ? "" : " (" + effect + ")"));
      if (effect == null) effective.merge(f.kind(), 1, Integer::sum);
      return true;
    }

    /** Null if the signal was delivered, else why not. */
    static String signal(String sig, long pid) {
      Procs.Result r = Procs.run(List.of("kill", "-s", sig, Long.toString(pid)), Map.of());
      return r.code() == 0 ? null : "kill: " + r.err().strip();
    }

    String freeze(long wrapper, long pause) {
      frozen.add(wrapper);
      String stop = signal("STOP", wrapper);
      background.schedule(
          () -> {
            signal("CONT", wrapper);
            frozen.remove(wrapper);
          },
          pause,
          TimeUnit.MILLISECONDS);
      return stop;
    }

    /** Null if etcd revoked the lease; a lease already gone is recorded as such. */
    String revoke(Interval v) {
      Procs.Result r = Etcdctl.run(etcd.endpoint(), "lease", "revoke", v.lease);
      // the key was gone by the time etcdctl returned, whenever the test's watch hears of it
      if (r.code() == 0) lostAt.merge(v.rev, now(), Math::min);
      if (r.code() == 0) return null;
      if (r.err().contains("not found")) return "lease already gone";
      throw new IllegalStateException("etcdctl lease revoke " + v.lease + ": " + r.err());
    }

    void run() {
      try (Client client = etcd.server().client();
          RandomAccessFile in = openLog()) {
        String prefix = conch.prefix + "/";
        long from =
            client
                .getKVClient()
                .get(Etcd.bytes(prefix))
                .get(10, TimeUnit.SECONDS)
                .getHeader()
                .getRevision();
        Watch.Watcher watcher =
            client
                .getWatchClient()
                .watch(
                    Etcd.bytes(prefix),
                    WatchOption.builder()
                        .isPrefix(true)
                        .withPrevKV(true)
                        .withRevision(from + 1)
                        .build(),
                    response -> {
                      long now = now();
                      for (WatchEvent e : response.getEvents())
                        if (e.getEventType() == WatchEvent.EventType.DELETE)
                          lostAt.putIfAbsent(e.getPrevKV().getCreateRevision(), now);
                    });
        try {
          observer =
              background.scheduleWithFixedDelay(() -> observe(in), 20, 20, TimeUnit.MILLISECONDS);
          for (int i = 0; i < contenders; i++) spawn(i);
          for (Fault f : schedule(seed, FAULT_MS)) {
            Procs.nap(f.delayMs());
            // no fitting holder now (a handover, or no child of that kind): try again shortly
            long giveUp = System.nanoTime() + ms(20_000);
            while (!apply(f)) {
              if (System.nanoTime() > giveUp) {
                faults.add(f.kind() + " (no target)");
                break;
              }
              Procs.nap(100);
            }
          }
          // every pending CONT sent, every lost lease expired and its child gone
          Procs.nap(LONG_PAUSE_MS + TTL_MS + KILL_AFTER_MS + 2000);
          long settled = now();
          converge(client, prefix);
          stopRespawning();
          List<Integer> finalExits = new ArrayList<>();
          for (int i = 0; i < contenders; i++) finalExits.add(slots.get(i).exit(120_000));
          observe(in);
          check(settled, finalExits);
        } finally {
          watcher.close();
        }
      } catch (Throwable e) {
        throw new AssertionError(why(String.valueOf(e.getMessage())), e);
      } finally {
        stopRespawning();
        background.shutdownNow();
        slots.values().forEach(r -> r.process().destroyForcibly());
      }
    }

    /**
     * After the faults: exactly min(N, K) children run, those of the lowest-revision keys. Polled,
     * because a handover between two children passes through a moment with fewer.
     */
    void converge(Client client, String prefix) throws Exception {
      long giveUp = System.nanoTime() + ms(10_000);
      while (true) {
        List<Long> keys =
            client
                .getKVClient()
                .get(Etcd.bytes(prefix), GetOption.builder().isPrefix(true).build())
                .get(10, TimeUnit.SECONDS)
                .getKvs()
                .stream()
                .map(KeyValue::getCreateRevision)
                .sorted()
                .toList();
        List<Long> running =
            List.copyOf(intervals).stream()
                .filter(iv -> iv.end == Long.MAX_VALUE)
                .map(iv -> iv.rev)
                .sorted()
                .toList();
        List<Long> expected = keys.subList(0, Math.min(max, keys.size()));
        if (observer.isDone()) observer.get();
        if (running.size() == Math.min(max, contenders) && running.equals(expected)) return;
        if (System.nanoTime() > giveUp)
          throw new AssertionError(
              "no convergence: running " + running + ", keys by revision " + keys);
        Procs.nap(50);
      }
    }

    RandomAccessFile openLog() throws IOException {
      Files.createFile(log);
      return new RandomAccessFile(log.toFile(), "r");
    }

    /** How long a child may outlive the deletion of its key. */
    long bound(Interval iv) {
      return revokedFrozen.contains(iv.rev)
          ? TTL_MS + KILL_AFTER_MS + SLACK_MS
          : KILL_AFTER_MS + SLACK_MS;
    }

    long lost(Interval iv) {
      return lostAt.getOrDefault(iv.rev, Long.MAX_VALUE);
    }

    void check(long settled, List<Integer> finalExits) {
      List<Interval> all = new ArrayList<>(intervals);
      all.sort(Comparator.comparingLong(iv -> iv.start));
      assertTrue(
          all.size() >= Math.max(5, FAULT_MS / 3000),
          "enough runs to mean something: " + all.size());
      for (Kind k : Kind.values())
        assertTrue(
            effective.getOrDefault(k, 0) > 0, "every kind of fault happened with effect: " + k);
      assertTrue(
          all.stream().allMatch(iv -> iv.end != Long.MAX_VALUE), "no child left running: " + all);
      // G2: a child outlives the deletion of its key by at most its bound
      for (Interval iv : all) {
        assertTrue(
            iv.end - lost(iv) <= ms(bound(iv)),
            "child outlived its key: "
                + iv
                + " ended "
                + (iv.end - lost(iv)) / 1_000_000
                + " ms after the deletion");
      }
      // G1: at every start at most N children whose key was not yet deleted
      for (Interval b : all) {
        List<Interval> live = all.stream().filter(iv -> iv.liveAt(b.start)).toList();
        long held = live.stream().filter(iv -> lost(iv) - ms(WATCH_LAG_MS) > b.start).count();
        assertTrue(
            held <= max,
            held
                + " children with live keys at once at "
                + b.start / 1_000_000 % 100_000
                + ": "
                + live);
      }
      // the overlap windows: each loss's, from its key's deletion to its child's end or the
      // excess's, within that child's bound
      List<Overlaps.Run> runs =
          all.stream()
              .map(iv -> new Overlaps.Run(iv.toString(), iv.start, iv.end, lost(iv), bound(iv)))
              .toList();
      for (long[] ex : Overlaps.excesses(runs, max)) {
        assertTrue(ex[0] < settled, "no overlap after the system settled: " + ex[0]);
        for (Overlaps.Window w : Overlaps.windows(runs, ex[0], ex[1], ms(WATCH_LAG_MS))) {
          assertTrue(
              w.withinBound(),
              "overlap window of "
                  + w.nanos() / 1_000_000
                  + " ms after the loss of "
                  + w.run().name()
                  + " exceeds its bound of "
                  + w.run().boundMs()
                  + " ms");
          largestWindow.merge(w.run().boundMs(), w.nanos() / 1_000_000, Math::max);
        }
      }
      // G3: fencing tokens
      for (int i = 0; i < all.size(); i++) {
        Interval b = all.get(i);
        for (Interval a : all.subList(0, i)) {
          assertTrue(a.rev != b.rev, "every holder has its own token: " + a + " " + b);
          if (max == 1 || b.start - a.start > ms(FENCE_EPS_MS))
            assertTrue(b.rev > a.rev, "tokens increase across successions: " + a + " then " + b);
        }
      }
      // convergence: every wrapper still queued after the last fault got its turn and finished
      assertEquals(
          Collections.nCopies(contenders, 0),
          finalExits,
          "after the faults every waiter was promoted and its command ran to the end");
      assertEquals(List.of(), conch.keys(), "nothing left in etcd");
      System.out.printf(
          "invariants %s N=%d K=%d seed %d: %d runs, %d faults %s, largest overlap window in ms by its bound in ms %s%n",
          tool, max, contenders, seed, all.size(), faults.size(), effective, largestWindow);
    }
  }
}
