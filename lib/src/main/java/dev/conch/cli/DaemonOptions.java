package dev.conch.cli;

import dev.conch.base.Failure;
import dev.conch.cron.Allow;
import dev.conch.cron.Daemon;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Option;

/** How conchd runs: its lease, the runs' limits and its metrics. */
public final class DaemonOptions {
  @Option(
      names = "--max-lateness",
      paramLabel = "D",
      defaultValue = "10s",
      converter = DurationConverter.class,
      description =
          "a tick noticed later than D is recorded as missed, not run (default ${DEFAULT-VALUE})")
  Duration maxLateness;

  @Option(
      names = "--ttl",
      paramLabel = "D",
      defaultValue = HoldOptions.TTL,
      converter = DurationConverter.class,
      description = "the daemon's lease TTL (default ${DEFAULT-VALUE})")
  Duration ttl;

  @Option(
      names = "--kill-after",
      paramLabel = "D",
      defaultValue = HoldOptions.KILL_AFTER,
      converter = DurationConverter.class,
      description = "SIGKILL a run's group D after SIGTERM (default ${DEFAULT-VALUE})")
  Duration killAfter;

  @Option(
      names = "--lock-delay",
      paramLabel = "D",
      converter = DurationConverter.class,
      description =
          "--overlap skip counts a run as going until D after its daemon vanished (default:"
              + " --kill-after + 1s)")
  Duration lockDelay;

  @Option(
      names = "--grace",
      paramLabel = "D",
      defaultValue = "30s",
      converter = DurationConverter.class,
      description = "on SIGTERM, how long running jobs may finish (default ${DEFAULT-VALUE})")
  Duration grace;

  @Option(
      names = "--metrics",
      paramLabel = "HOST:PORT",
      converter = HostPort.Converter.class,
      description =
          "serve Prometheus metrics at http://HOST:PORT/metrics, e.g. 127.0.0.1:9464 (exit 71 if it cannot listen)")
  InetSocketAddress metrics;

  @Option(
      names = "--allow",
      paramLabel = "GLOB",
      description =
          "run only jobs whose command line matches GLOB (repeatable; * stops at /, ** does not)")
  List<String> allow;

  @Option(
      names = "--on-failure",
      paramLabel = "CMD",
      description =
          "after a run of this daemon ends failed (retries done; not after cron kill): sh -c CMD,"
              + " with CONCH_JOB CONCH_TICK CONCH_REV CONCH_STATE CONCH_EXIT CONCH_HOST CONCH_OUTPUT")
  String onFailure;

  @Option(
      names = "--on-failure-timeout",
      paramLabel = "D",
      defaultValue = "60s",
      converter = DurationConverter.class,
      description = "SIGTERM the --on-failure command's group after D (default ${DEFAULT-VALUE})")
  Duration onFailureTimeout;

  /** The daemon's options, checked; etcd's dial timeout is the connection's. */
  Daemon.Options options(Duration dialTimeout) {
    if (ttl.toMillis() < 1000) throw Failure.badInput("--ttl must be at least 1s");
    if (onFailure != null && onFailure.isBlank())
      throw Failure.badInput("--on-failure needs a command");
    if (onFailureTimeout.isZero())
      throw Failure.badInput("--on-failure-timeout must be more than 0s");
    return new Daemon.Options(
        HoldOptions.ttlSeconds(ttl),
        killAfter,
        HoldOptions.lockDelay(lockDelay, killAfter),
        maxLateness,
        grace,
        dialTimeout,
        Allow.of(allow),
        onFailure,
        onFailureTimeout);
  }
}
