package dev.conch.cron;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Daemons whose key under daemons/ vanished less than the lock-delay ago: a run they claimed still
 * counts as going for {@code --overlap skip} (contract section 4), as its command may outlive the
 * daemon's lease by up to kill-after. Each vanish is dated by the daemon's watch of daemons/
 * ({@link DaemonWatch}) when it is seen, no earlier than it happened, so the wait is never too
 * short; and never later than need be, so an old crash does not cost a job with rare ticks its next
 * one. What the watch cannot date counts from the latest moment it may have happened: a daemon gone
 * before the watch began, from when it began; one that was live then and whose deletion has not
 * been seen yet, or any while the watch is down, from now. Pure: times are {@link
 * System#nanoTime()} values.
 */
final class Departed {
  private final Duration delay;
  private final Map<String, Long> seen = new HashMap<>(); // lease -> when its vanish was seen
  private Set<String> liveAtStart = new HashSet<>();
  private boolean watching;
  private long since;

  Departed(Duration delay) {
    this.delay = delay;
  }

  /** The watch (re)began at {@code atNanos}, with {@code live} registered at its first revision. */
  synchronized void watching(Set<String> live, long atNanos) {
    watching = true;
    since = atNanos;
    liveAtStart = new HashSet<>(live);
  }

  /** The watch failed: until it begins again, no vanish can be dated. */
  synchronized void blind() {
    watching = false;
  }

  synchronized void vanished(String lease, long atNanos) {
    seen.putIfAbsent(lease, atNanos);
    // long gone: forgotten, and dated no later than the watch's start from now on
    Set<String> old = new HashSet<>();
    seen.forEach(
        (d, at) -> {
          if (atNanos - at >= delay.toNanos()) old.add(d);
        });
    seen.keySet().removeAll(old);
    liveAtStart.removeAll(old);
  }

  /** Of {@code gone}, those that vanished, or may have, less than the lock-delay before now. */
  synchronized Set<String> lingering(Set<String> gone, long nowNanos) {
    Set<String> out = new HashSet<>();
    for (String d : gone) {
      Long at = seen.get(d);
      if (at == null) at = !watching || liveAtStart.contains(d) ? nowNanos : since;
      if (nowNanos - at < delay.toNanos()) out.add(d);
    }
    return out;
  }
}
