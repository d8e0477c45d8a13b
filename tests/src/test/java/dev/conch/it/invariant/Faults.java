package dev.conch.it.invariant;

import dev.conch.it.invariant.Schedule.Fault;
import dev.conch.it.invariant.Schedule.Kind;
import dev.conch.it.support.Etcdctl;
import dev.conch.it.support.Procs;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Injects the schedule's faults into the holders of the moment, and records what each one did:
 * SIGKILL of a wrapper, lease revokes (also of a frozen wrapper), SIGSTOP/SIGCONT below and above
 * the TTL, SIGTERM of a child that ends or ignores it.
 */
final class Faults {
  static final long SHORT_PAUSE_MS = Wrappers.TTL_MS / 3;
  static final long LONG_PAUSE_MS = Wrappers.TTL_MS + 1500;

  private final String endpoint;
  private final Observer observer;
  private final ScheduledExecutorService background;

  /** Each fault as applied (its target, and why it had no effect if it had none). */
  final List<String> applied = Collections.synchronizedList(new ArrayList<>());

  final Map<Kind, Integer> effective = Collections.synchronizedMap(new EnumMap<>(Kind.class));

  /** Keys revoked while their wrapper was frozen: the one case with the TTL in its bound. */
  final Set<Long> revokedFrozen = ConcurrentHashMap.newKeySet();

  /**
   * Wrappers stopped now: stopping one again would let the shorter pause's SIGCONT end the longer.
   */
  private final Set<Long> frozen = ConcurrentHashMap.newKeySet();

  Faults(String endpoint, Observer observer, ScheduledExecutorService background) {
    this.endpoint = endpoint;
    this.observer = observer;
    this.background = background;
  }

  /** Each fault after its delay, on a holder that fits it. */
  void inject(List<Fault> schedule) {
    for (Fault f : schedule) {
      Procs.nap(f.delayMs());
      // No fitting holder now (a handover, or no child of that kind): try again shortly. A kind
      // without an effect yet waits longer: under elect, holders whose children trap SIGTERM can
      // hold one after another for 20 s and more, and the run must still see every kind land.
      long giveUp =
          System.nanoTime()
              + (effective.containsKey(f.kind()) ? 20_000_000_000L : 120_000_000_000L);
      while (!apply(f)) {
        if (System.nanoTime() > giveUp) {
          applied.add(f.kind() + " (no target)");
          break;
        }
        Procs.nap(100);
      }
    }
  }

  /**
   * Applies a fault to a fitting holder; false if there is none now, or if the one picked ended
   * between the look and the fault (a short child's exit races the signal): a fault without effect
   * would leave its kind untested in a run.
   */
  private boolean apply(Fault f) {
    Predicate<Interval> fits =
        switch (f.kind()) {
          case KILL_WRAPPER -> iv -> true;
          case TERM_CHILD -> iv -> !iv.trapsTerm;
          case TERM_TRAPPING_CHILD -> iv -> iv.trapsTerm;
          default -> iv -> !frozen.contains(iv.wrapper);
        };
    List<Interval> fitting = observer.holders().stream().filter(fits).toList();
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
    applied.add(f.kind() + " " + v + (effect == null ? "" : " (" + effect + ")"));
    if (effect != null) return false;
    effective.merge(f.kind(), 1, Integer::sum);
    return true;
  }

  /** Null if the signal was delivered, else why not. */
  private static String signal(String sig, long pid) {
    Procs.Result r = Procs.run(List.of("kill", "-s", sig, Long.toString(pid)), Map.of());
    return r.code() == 0 ? null : "kill: " + r.err().strip();
  }

  private String freeze(long wrapper, long pause) {
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
  private String revoke(Interval v) {
    Procs.Result r = Etcdctl.run(endpoint, "lease", "revoke", v.lease);
    if (r.code() == 0) {
      observer.revoked(v.rev);
      return null;
    }
    if (r.err().contains("not found")) return "lease already gone";
    throw new IllegalStateException("etcdctl lease revoke " + v.lease + ": " + r.err());
  }
}
