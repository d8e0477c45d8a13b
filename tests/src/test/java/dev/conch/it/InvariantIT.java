package dev.conch.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The sacred tests (layer 3): K competing wrapper processes under a seeded random schedule of
 * faults (SIGKILL of wrappers, lease revocations, SIGSTOP/SIGCONT of wrappers below and above the
 * TTL, SIGTERM of children). Every child logs its start; an observer records its death. Afterwards,
 * over the intervals: at most N run at once except within the overlap window after a loss event,
 * and that window closes within its bound; the system converges after the last fault; fencing
 * tokens increase. Replay a run with -Dconch.seed=N; every failure message names its seed.
 */
class InvariantIT {
  @RegisterExtension static final EtcdFixture etcd = new EtcdFixture();
  static final long SEED = Long.getLong("conch.seed", 20261124L);
  static final long TTL_MS = 2000;
  static final long KILL_AFTER_MS = 500;

  /**
   * Observation slack: the observer polls every 10 ms, processes take a moment to die and be seen.
   */
  static final long SLACK_MS = 400;

  static final long FAULT_MS = Long.getLong("conch.chaos.ms", 25_000);

  @Test
  void electUnderFaults() {
    new Chaos("elect", 1, 4, SEED).run();
  }

  @Test
  void semaUnderFaults() {
    new Chaos("sema", 2, 5, SEED + 1).run();
  }

  /** One child's run: who (lease), its token, when (wall ns), and the wrapper that started it. */
  static final class Interval {
    final String lease;
    final long rev;
    final long start;
    final long pid;
    final long wrapper;
    volatile long end = Long.MAX_VALUE;

    /** When a fault made this holder's loss certain, and by when its child must be gone. */
    volatile long doomedAt = Long.MAX_VALUE;

    volatile long mustEndBy = Long.MAX_VALUE;

    Interval(String[] f) {
      lease = f[1];
      rev = Long.parseLong(f[2]);
      start = Long.parseLong(f[3]);
      pid = Long.parseLong(f[4]);
      wrapper = Long.parseLong(f[5]);
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
    final Random random;
    final Conch conch;
    final Path log;
    final List<Interval> intervals = Collections.synchronizedList(new ArrayList<>());
    final Map<Integer, Conch.Run> slots = new ConcurrentHashMap<>();
    final List<String> faults = Collections.synchronizedList(new ArrayList<>());

    /**
     * Wrappers stopped now: stopping one again would let the shorter pause's SIGCONT end the
     * longer.
     */
    final java.util.Set<Long> frozen = ConcurrentHashMap.newKeySet();

    final List<Integer> finalExits = Collections.synchronizedList(new ArrayList<>());
    final AtomicBoolean respawn = new AtomicBoolean(true);
    final ScheduledExecutorService background = Executors.newScheduledThreadPool(2);

    Chaos(String tool, int max, int contenders, long seed) {
      this.tool = tool;
      this.max = max;
      this.contenders = contenders;
      this.seed = seed;
      this.random = new Random(seed);
      this.conch = new Conch(etcd.endpoint());
      this.log = conch.file("intervals");
    }

    String why(String what) {
      return "seed "
          + seed
          + " (replay: -Dconch.seed="
          + (tool.equals("elect") ? seed : seed - 1)
          + "): "
          + what
          + "\nfaults: "
          + faults;
    }

    /**
     * A wrapper for slot {@code i}: its child runs a seeded time and, sometimes, ignores SIGTERM.
     */
    synchronized void spawn(int i) {
      if (!respawn.get()) return;
      // half the children are short, half would outlive a lost lease unless something stops them
      String seconds =
          String.format(
              "%.1f",
              random.nextBoolean()
                  ? 0.3 + random.nextInt(13) / 10.0
                  : 4 + random.nextInt(40) / 10.0);
      String ignoreTerm = random.nextInt(3) == 0 ? "1" : "0";
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
              "read -r _ _ _ w _ < /proc/$PPID/stat; echo \"S $CONCH_LEASE $CONCH_REV $(date +%s%N) $$ $w\" >> '"
                  + log
                  + "';"
                  + " [ \"$2\" = 1 ] && trap '' TERM; sleep \"$1\" & wait $!; wait $!",
              "child",
              seconds,
              ignoreTerm));
      Conch.Run r = conch.start(args.toArray(String[]::new));
      slots.put(i, r);
      r.process()
          .onExit()
          .thenRun(
              () -> {
                if (respawn.get()) spawn(i);
                else finalExits.add(r.process().exitValue());
              });
    }

    /**
     * Reads new start lines and notices deaths; the one place that polls, because nothing announces
     * a stranger's death.
     */
    void observe(RandomAccessFile in) {
      try {
        String line;
        while ((line = in.readLine()) != null) {
          if (line.startsWith("S ")) intervals.add(new Interval(line.split(" ")));
        }
        long now = System.currentTimeMillis() * 1_000_000;
        for (Interval iv : List.copyOf(intervals)) {
          if (iv.end == Long.MAX_VALUE && !Procs.alive(iv.pid)) iv.end = now;
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    List<Interval> running() {
      return intervals.stream().filter(iv -> iv.end == Long.MAX_VALUE).toList();
    }

    void doom(java.util.function.Predicate<Interval> who, long at, long bound, String fault) {
      faults.add(fault);
      for (Interval iv : running()) {
        if (who.test(iv) && iv.doomedAt == Long.MAX_VALUE) {
          iv.doomedAt = at;
          iv.mustEndBy = at + bound;
        }
      }
    }

    void fault() {
      long now = System.currentTimeMillis() * 1_000_000;
      List<Interval> holders = running();
      int kind = random.nextInt(4);
      // two times in three the fault hits a holder's wrapper, the interesting case; else any
      // wrapper
      Interval target =
          holders.isEmpty() || random.nextInt(3) == 0
              ? null
              : holders.get(random.nextInt(holders.size()));
      int slot = random.nextInt(contenders);
      long wrapper = target != null ? target.wrapper : slots.get(slot).pid();
      switch (kind) {
        case 0 -> { // SIGKILL a wrapper: its child goes with it (EOF on the watchdog's FIFO)
          doom(iv -> iv.wrapper == wrapper, now, ms(KILL_AFTER_MS + SLACK_MS), "kill " + wrapper);
          signal("KILL", wrapper);
        }
        case 1 -> { // revoke a holder's lease: SIGTERM within milliseconds, SIGKILL after
          // kill-after
          if (holders.isEmpty()) return;
          Interval victim = target != null ? target : holders.get(random.nextInt(holders.size()));
          // a running wrapper sees the revoke at once; a frozen one cannot, and its watchdog acts
          // at the
          // deadline instead, up to a TTL later, while a new holder may start at once: the TTL
          // window
          long bound =
              frozen.contains(victim.wrapper)
                  ? TTL_MS + KILL_AFTER_MS + SLACK_MS
                  : KILL_AFTER_MS + SLACK_MS;
          doom(
              iv -> iv.lease.equals(victim.lease),
              now,
              ms(bound),
              "revoke " + victim.lease + (bound > TTL_MS ? " (frozen)" : ""));
          Etcdctl.run(etcd.endpoint(), "lease", "revoke", victim.lease);
        }
        case 2 -> { // freeze a wrapper, below or above the TTL; above it, its lease is certainly
          // lost
          long pause = random.nextBoolean() ? TTL_MS / 3 : TTL_MS + 1500;
          if (!frozen.add(wrapper)) return;
          if (pause > TTL_MS)
            doom(
                iv -> iv.wrapper == wrapper,
                now,
                ms(TTL_MS + KILL_AFTER_MS + SLACK_MS),
                "stop " + wrapper + " " + pause + "ms");
          else faults.add("stop " + wrapper + " " + pause + "ms");
          signal("STOP", wrapper);
          background.schedule(
              () -> {
                signal("CONT", wrapper);
                frozen.remove(wrapper);
              },
              pause,
              TimeUnit.MILLISECONDS);
        }
        default -> { // SIGTERM a child: it ends (or ignores it), nobody else may start meanwhile
          if (holders.isEmpty()) return;
          Interval victim = target != null ? target : holders.get(random.nextInt(holders.size()));
          faults.add("term child " + victim.pid);
          signal("TERM", victim.pid);
        }
      }
    }

    static long ms(long millis) {
      return millis * 1_000_000;
    }

    static void signal(String sig, long pid) {
      Procs.run(
          List.of("kill", "-s", sig, Long.toString(pid)), Map.of()); // it may have died meanwhile
    }

    void run() {
      try (RandomAccessFile in = openLog()) {
        background.scheduleWithFixedDelay(() -> observe(in), 10, 10, TimeUnit.MILLISECONDS);
        for (int i = 0; i < contenders; i++) spawn(i);
        long faultsEnd = System.nanoTime() + ms(FAULT_MS);
        while (System.nanoTime() < faultsEnd) {
          Procs.nap(600 + random.nextInt(1400)); // the seeded pace of the schedule
          fault();
        }
        long lastFault = System.currentTimeMillis() * 1_000_000;
        Procs.nap(
            TTL_MS + 1500 + KILL_AFTER_MS + 2000); // every pending CONT sent, every lease settled
        long settled = System.currentTimeMillis() * 1_000_000;
        Procs.nap(4_000); // a quiet period: no fault, no overlap at all
        respawn.set(false);
        for (Conch.Run r : slots.values())
          r.exit(120_000); // every waiter gets its turn and finishes
        Procs.nap(100);
        observe(in);
        check(lastFault, settled);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } finally {
        respawn.set(false);
        background.shutdownNow();
        slots.values().forEach(r -> r.process().destroyForcibly());
      }
    }

    RandomAccessFile openLog() throws IOException {
      java.nio.file.Files.createFile(log);
      return new RandomAccessFile(log.toFile(), "r");
    }

    void check(long lastFault, long settled) {
      List<Interval> all = new ArrayList<>(intervals);
      all.sort((a, b) -> Long.compare(a.start, b.start));
      assertTrue(
          all.size() >= Math.max(5, FAULT_MS / 3000),
          why("enough runs to mean something: " + all.size()));
      // G2: the window closes: a doomed holder's child is gone by its bound
      for (Interval iv : all) {
        assertTrue(
            iv.end <= iv.mustEndBy,
            why(
                "child outlived its loss: "
                    + iv
                    + " ended "
                    + (iv.end - iv.doomedAt) / 1_000_000
                    + " ms after the fault"));
      }
      // G1: at every instant at most N children that are not doomed; measure the overlap window
      long largestWindow = 0;
      List<Long> instants = new ArrayList<>();
      for (Interval iv : all) instants.add(iv.start);
      for (long t : instants) {
        List<Interval> live = all.stream().filter(iv -> iv.liveAt(t)).toList();
        long undoomed = live.stream().filter(iv -> iv.doomedAt > t).count();
        assertTrue(
            undoomed <= max,
            why(
                undoomed
                    + " undoomed children at once at "
                    + t / 1_000_000 % 100_000
                    + ": "
                    + live));
        if (live.size() > max) {
          long until =
              live.stream().filter(iv -> iv.doomedAt <= t).mapToLong(iv -> iv.end).min().orElse(t);
          largestWindow = Math.max(largestWindow, until - t);
          assertTrue(t < settled, why("no overlap after the system settled: " + live));
        }
      }
      // G3: fencing tokens
      for (int i = 1; i < all.size(); i++) {
        Interval a = all.get(i - 1);
        Interval b = all.get(i);
        assertTrue(a.rev != b.rev, why("every holder has its own token: " + a + " " + b));
        if (max == 1 || b.start - a.start > ms(1000)) {
          assertTrue(
              b.rev > a.rev || b.start - a.start < ms(1000) && max > 1,
              why("tokens increase across successions: " + a + " then " + b));
        }
      }
      // convergence: every wrapper still queued after the last fault got its turn and finished
      assertEquals(contenders, finalExits.size(), why("every slot's last wrapper exited"));
      assertTrue(
          finalExits.stream().allMatch(c -> c == 0),
          why(
              "after the faults every waiter was promoted and its command ran to the end: "
                  + finalExits));
      assertEquals(List.of(), conch.keys(), why("nothing left in etcd"));
      assertTrue(
          all.stream().allMatch(iv -> iv.end != Long.MAX_VALUE), why("no child left running"));
      System.out.printf(
          "invariants %s N=%d K=%d seed %d: %d runs, %d faults, largest overlap window %d ms (bound %d ms)%n",
          tool,
          max,
          contenders,
          seed,
          all.size(),
          faults.size(),
          largestWindow / 1_000_000,
          TTL_MS + KILL_AFTER_MS + SLACK_MS);
    }
  }
}
