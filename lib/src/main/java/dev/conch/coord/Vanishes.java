package dev.conch.coord;

import dev.conch.base.Durations;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

/**
 * How the keys ahead of a contender vanished since its last look, and so when its command may start
 * once its turn has come (contract section 4, the lock-delay). A key whose last value was marked
 * released vanished cleanly: no wait. Any other (expired, revoked, crashed, released by a conch
 * without the mark, or a history we could not read) may leave a command running up to kill-after
 * past its lease: the command starts no earlier than {@code delay} after the last such vanish was
 * observed. Observed, not happened: the observation is later, so the wait is never too short. Pure:
 * times are {@link System#nanoTime()} values from the caller; synchronized, as watches report on
 * their own threads.
 */
public final class Vanishes {
  /** When the command may start, and why; {@code why} is null when no delay applies. */
  public record Start(long notBeforeNanos, Duration delay, String why) {}

  private final Set<String> seen = new HashSet<>();
  private boolean unclean;
  private long lastUncleanNanos;
  private String lastWhy;

  /**
   * {@code key} vanished; {@code lastValue} is its value before, or null if unknown (a watch that
   * failed, a compacted history).
   */
  public synchronized void vanished(String key, String lastValue, long atNanos) {
    seen.add(key);
    if (Holder.released(lastValue)) return;
    unclean = true;
    if (lastWhy == null || atNanos - lastUncleanNanos >= 0) {
      lastUncleanNanos = atNanos;
      lastWhy =
          lastValue == null
              ? "how a key ahead vanished is unknown (its watch failed or history was compacted)"
              : "key "
                  + key.substring(key.lastIndexOf('/') + 1)
                  + " ahead vanished without a release mark (expired, revoked, crashed, or an older"
                  + " conch)";
    }
  }

  /** Whether {@code key}'s vanish was observed since the last look. */
  public synchronized boolean saw(String key) {
    return seen.contains(key);
  }

  /** A look that did not give us the turn: what vanished before it handed the turn to no one. */
  public synchronized void forget() {
    seen.clear();
    unclean = false;
    lastWhy = null;
  }

  /** Our turn came at {@code nowNanos}: when the command may start, under {@code delay}. */
  public synchronized Start decide(Duration delay, long nowNanos) {
    if (!unclean || delay.isZero()) return new Start(nowNanos, Duration.ZERO, null);
    long notBefore = lastUncleanNanos + delay.toNanos();
    long wait = notBefore - nowNanos;
    if (wait <= 0) return new Start(nowNanos, Duration.ZERO, null);
    return new Start(
        notBefore,
        Duration.ofNanos(wait),
        lastWhy
            + " "
            + Durations.format(Duration.ofNanos(nowNanos - lastUncleanNanos))
            + " ago: waiting out --lock-delay "
            + Durations.format(delay)
            + " before starting the command");
  }
}
