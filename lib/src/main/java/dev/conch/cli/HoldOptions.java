package dev.conch.cli;

import dev.conch.base.Failure;
import dev.conch.proc.Hold;
import dev.conch.proc.Restart;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Option;

/** Options shared by the tools that hold a lease while a command runs (elect, sema). */
public final class HoldOptions {
  /** The defaults of every lease holder, the daemon's too: written once. */
  static final String TTL = "10s";

  static final String KILL_AFTER = "5s";

  @Option(
      names = "--ttl",
      paramLabel = "D",
      defaultValue = TTL,
      converter = DurationConverter.class,
      description = "lease TTL, whole seconds (default ${DEFAULT-VALUE})")
  public Duration ttl;

  @Option(
      names = "--kill-after",
      paramLabel = "D",
      defaultValue = KILL_AFTER,
      converter = DurationConverter.class,
      description = "SIGKILL the command's group D after SIGTERM (default ${DEFAULT-VALUE})")
  public Duration killAfter;

  @Option(
      names = "--lock-delay",
      paramLabel = "D",
      converter = DurationConverter.class,
      description =
          "when a holder's key vanished without a clean release (expired, revoked, crashed), wait"
              + " D before starting the command (default: --kill-after + 1s)")
  public Duration lockDelay;

  /** The lock-delay: as given, or kill-after + 1 s, by when an expired holder's command is dead. */
  public static Duration lockDelay(Duration given, Duration killAfter) {
    return given != null ? given : killAfter.plusSeconds(1);
  }

  @Option(names = "--nonblock", description = "do not wait: exit 75 if not acquired at once")
  public boolean nonblock;

  @Option(
      names = "--timeout",
      paramLabel = "D",
      converter = DurationConverter.class,
      description = "give up waiting after D: withdraw and exit 75")
  public Duration timeout;

  @Option(names = "--who", description = "print the holder(s) and exit: 0, or 1 when nobody holds")
  public boolean who;

  @Option(
      names = "--json",
      description = "with --who: JSON, one object per line (stable schema: README, JSON output)")
  public boolean json;

  /**
   * --json is an output format of --who: alone it would be silently ignored, so it is a usage
   * error.
   */
  public void checkQuery() {
    if (json && !who)
      throw Failure.badInput(
          "--json goes with --who: add --who to query, or drop --json to run CMD");
  }

  /** What the wrapper is to do: these options, for {@code tool} holding {@code name}. */
  Hold hold(String tool, String name, List<String> cmd, Duration dialTimeout, Restart restart) {
    return new Hold(
        tool,
        name,
        Tool.command(cmd),
        ttlSeconds(),
        dialTimeout,
        killAfter,
        lockDelay(lockDelay, killAfter),
        nonblock,
        timeout,
        restart);
  }

  /** etcd's MaxLeaseTTL: a longer grant is refused by etcd, so it is a usage error here. */
  static final long MAX_TTL_SECONDS = 9_000_000_000L;

  /** The TTL in whole seconds, rounded up: etcd leases count seconds. */
  public long ttlSeconds() {
    return ttlSeconds(ttl);
  }

  /** A lease TTL in whole seconds, rounded up: etcd leases count seconds. */
  static long ttlSeconds(Duration ttl) {
    if (ttl.isZero()) throw Failure.badInput("--ttl must be at least 1s");
    long seconds = (ttl.toMillis() + 999) / 1000;
    if (seconds > MAX_TTL_SECONDS)
      throw Failure.badInput(
          "--ttl must be at most " + MAX_TTL_SECONDS + "s, etcd's longest lease");
    return seconds;
  }
}
