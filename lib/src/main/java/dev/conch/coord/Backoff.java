package dev.conch.coord;

import java.time.Duration;

/**
 * The restart delay of {@code --restart}: 1 s, 2 s, 4 s ... capped at the maximum, back to 1 s once
 * a child has run for the stable time. Pure: the caller says how long each child ran.
 */
public final class Backoff {
  private static final Duration FIRST = Duration.ofSeconds(1);
  private final Duration max;
  private final Duration stableAfter;
  private Duration next = FIRST;

  /**
   * Retrying etcd after a loss: each outage starts from 1 s again, so one outage does not slow the
   * recovery from the next.
   */
  public static Backoff reconnect() {
    return new Backoff(Duration.ofSeconds(30), Duration.ofDays(1));
  }

  public Backoff(Duration max, Duration stableAfter) {
    this.max = max;
    this.stableAfter = stableAfter;
  }

  /** The delay before the next run, given how long the child that just ended ran. */
  public Duration after(Duration ran) {
    if (ran.compareTo(stableAfter) >= 0) next = FIRST;
    Duration delay = next.compareTo(max) > 0 ? max : next;
    next = delay.multipliedBy(2);
    return delay;
  }
}
