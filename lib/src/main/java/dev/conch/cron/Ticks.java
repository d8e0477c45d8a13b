package dev.conch.cron;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The jobs this daemon runs, each with a timer for its next tick. Confined to the timer thread
 * ({@link Daemon}): a change of the table and a tick never race, and nothing here needs a lock.
 */
final class Ticks {
  /** Where a tick goes once it is due: off the timer thread, to be claimed. */
  interface Due {
    void tick(Job job, long version, Instant tick, Instant now);
  }

  private record Entry(Job job, Schedule schedule, long version, ScheduledFuture<?> timer) {}

  private final Map<String, Entry> jobs = new HashMap<>();
  private final ScheduledExecutorService timer;
  private final Instant started;
  private final Duration maxLateness;
  private final AtomicBoolean stopping;
  private final Due due;

  /** {@code started}: no tick before it is ever fired (no catch-up). */
  Ticks(
      ScheduledExecutorService timer,
      Instant started,
      Duration maxLateness,
      AtomicBoolean stopping,
      Due due) {
    this.timer = timer;
    this.started = started;
    this.maxLateness = maxLateness;
    this.stopping = stopping;
    this.due = due;
  }

  /** Whether {@code job} is armed at this version of its key already. */
  boolean has(String job, long version) {
    Entry e = jobs.get(job);
    return e != null && e.version() == version;
  }

  /** Takes a job (or its new version): its first tick is the next after now, or after start-up. */
  void put(Job job, long version) {
    drop(job.job());
    Schedule s = job.parsedSchedule();
    Instant now = Instant.now();
    arm(new Entry(job, s, version, null), s.next(now.isAfter(started) ? now : started));
  }

  void drop(String job) {
    Entry e = jobs.remove(job);
    if (e != null && e.timer() != null) e.timer().cancel(false);
  }

  /** Drops every job not in {@code kept}. */
  void retain(Set<String> kept) {
    List<String> gone = jobs.keySet().stream().filter(n -> !kept.contains(n)).toList();
    gone.forEach(this::drop);
  }

  private void arm(Entry e, Instant tick) {
    long delay = Math.max(0, tick.toEpochMilli() - System.currentTimeMillis());
    ScheduledFuture<?> f =
        timer.schedule(() -> fire(e.job().job(), e.version(), tick), delay, TimeUnit.MILLISECONDS);
    jobs.put(e.job().job(), new Entry(e.job(), e.schedule(), e.version(), f));
  }

  private void fire(String name, long version, Instant tick) {
    Entry e = jobs.get(name);
    if (e == null || e.version() != version || stopping.get()) return; // removed or replaced
    Instant now = Instant.now();
    if (now.isBefore(tick)) { // never early, whatever the timer thought
      arm(e, tick);
      return;
    }
    Instant late = now.minus(maxLateness);
    arm(e, e.schedule().next(tick.isAfter(late) ? tick : late));
    due.tick(e.job(), e.version(), tick, now);
  }
}
