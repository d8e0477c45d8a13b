package dev.conch.cron;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Daemons whose key under daemons/ vanished less than the lock-delay ago: a run they claimed still
 * counts as going for {@code --overlap skip} (contract section 4), as its command may outlive the
 * daemon's lease by up to kill-after. A daemon only reads daemons/ at each overlap check, so a
 * vanish dates from the first check that found the daemon gone: no later than it happened, so the
 * wait is never too short. Remembered per job, for the daemons its records name, so the memory
 * stays as small as the records. Pure: times are {@link System#nanoTime()} values from the caller.
 */
final class Departed {
  private final Duration delay;
  private final Map<String, Map<String, Long>> noticed = new HashMap<>(); // job -> lease -> when

  Departed(Duration delay) {
    this.delay = delay;
  }

  /**
   * Of {@code gone}, the daemons named by {@code job}'s running records that are not live at {@code
   * nowNanos}, those still within the lock-delay of when they were first found gone.
   */
  synchronized Set<String> lingering(String job, Set<String> gone, long nowNanos) {
    Map<String, Long> before = noticed.getOrDefault(job, Map.of());
    Map<String, Long> now = new HashMap<>();
    for (String d : gone) now.put(d, before.getOrDefault(d, nowNanos));
    if (now.isEmpty()) noticed.remove(job);
    else noticed.put(job, now);
    return now.entrySet().stream()
        .filter(e -> nowNanos - e.getValue() < delay.toNanos())
        .map(Map.Entry::getKey)
        .collect(Collectors.toSet());
  }
}
