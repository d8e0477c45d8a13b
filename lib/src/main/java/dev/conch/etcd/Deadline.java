package dev.conch.etcd;

/**
 * The lease deadline on this process's own monotonic clock: the send time of the last keepalive
 * etcd acknowledged, plus the TTL it granted. etcd renews when it receives the request, after we
 * sent it, so its own expiry is never earlier than this deadline. Pure arithmetic on {@code
 * System.nanoTime()} readings passed in by the caller.
 */
public final class Deadline {
  private long at;

  public Deadline(long sentNanos, long ttlSeconds) {
    at = sentNanos + ttlSeconds * 1_000_000_000L;
  }

  /** An acknowledged keepalive; a late answer to an older request never moves the deadline back. */
  public synchronized void renew(long sentNanos, long ttlSeconds) {
    long candidate = sentNanos + ttlSeconds * 1_000_000_000L;
    if (candidate - at > 0) at = candidate;
  }

  public synchronized long remainingNanos(long nowNanos) {
    return at - nowNanos;
  }

  public synchronized boolean passed(long nowNanos) {
    return nowNanos - at >= 0;
  }
}
