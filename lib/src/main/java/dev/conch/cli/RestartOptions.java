package dev.conch.cli;

import dev.conch.proc.Restart;
import java.time.Duration;
import picocli.CommandLine.Option;

/** elect's --restart: keep the office and run the command again, with a backoff. */
public final class RestartOptions {
  @Option(names = "--restart", description = "keep the office and run CMD again whenever it exits")
  boolean restart;

  @Option(
      names = "--backoff-max",
      paramLabel = "D",
      defaultValue = "60s",
      converter = DurationConverter.class,
      description = "longest pause between restarts (default ${DEFAULT-VALUE})")
  Duration backoffMax;

  @Option(
      names = "--stable-after",
      paramLabel = "D",
      defaultValue = "60s",
      converter = DurationConverter.class,
      description = "a run this long resets the restart backoff (default ${DEFAULT-VALUE})")
  Duration stableAfter;

  /** Null without --restart: the command runs once. */
  Restart restart() {
    return restart ? new Restart(backoffMax, stableAfter) : null;
  }
}
