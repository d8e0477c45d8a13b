package dev.conch.cli;

import dev.conch.base.Durations;
import dev.conch.base.Failure;
import dev.conch.base.Text;
import dev.conch.cron.Job;
import dev.conch.cron.Schedule;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import picocli.CommandLine.Option;

/** {@code cron add}'s options: when a job runs, for how long, and what it keeps. */
public final class JobOptions {
  @Option(
      names = "--schedule",
      required = true,
      paramLabel = "SPEC",
      description = "when to run (SPEC below)")
  String schedule;

  @Option(
      names = "--tz",
      paramLabel = "ZONE",
      defaultValue = "UTC",
      description = "zone of the schedule (default ${DEFAULT-VALUE})")
  String tz;

  @Option(
      names = "--timeout",
      paramLabel = "D",
      converter = DurationConverter.class,
      description = "SIGTERM a run after D")
  Duration timeout;

  @Option(
      names = "--overlap",
      paramLabel = "skip|allow",
      defaultValue = "skip",
      description =
          "a tick while the previous run still runs: skip it, or allow it (default ${DEFAULT-VALUE})")
  String overlap;

  @Option(
      names = "--keep",
      paramLabel = "N",
      defaultValue = "" + Job.DEFAULT_KEEP,
      description = "run records kept (default ${DEFAULT-VALUE})")
  int keep;

  /**
   * The job these options describe, checked (a bad one is a usage error and writes nothing); who
   * adds it is said later, once the connection is known ({@link Job#by}).
   */
  Job job(String name, List<String> cmd) {
    Schedule s = Schedule.parse(schedule, tz);
    if (!Job.OVERLAPS.contains(overlap))
      throw Failure.badInput("--overlap is skip or allow, not " + Text.quote(overlap));
    if (keep < 1 || keep > Job.MAX_KEEP)
      throw Failure.badInput("--keep must be from 1 to " + Job.MAX_KEEP + ", not " + keep);
    if (timeout != null && timeout.isZero())
      throw Failure.badInput("--timeout must be more than 0s");
    return new Job(
        name,
        s.spec(),
        s.zone().getId(),
        timeout == null ? null : Durations.format(timeout),
        overlap,
        keep,
        Tool.command(cmd),
        null,
        Instant.now().toString());
  }
}
