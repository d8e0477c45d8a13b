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

  @Option(
      names = "--retries",
      paramLabel = "N",
      defaultValue = "0",
      description =
          "run a failed run again up to N more times, on the same daemon; 0 to "
              + Job.MAX_RETRIES
              + ", a conchd of 0.1.0 ignores it (default ${DEFAULT-VALUE})")
  int retries;

  @Option(
      names = "--retry-delay",
      paramLabel = "D",
      defaultValue = Job.DEFAULT_RETRY_DELAY,
      converter = DurationConverter.class,
      description = "pause between attempts (default ${DEFAULT-VALUE})")
  Duration retryDelay;

  @Option(
      names = "--output-tail",
      paramLabel = "BYTES",
      defaultValue = "" + Job.DEFAULT_OUTPUT_TAIL,
      description =
          "keep the last BYTES of each attempt's stdout and stderr in its record; 0 to "
              + Job.MAX_OUTPUT_TAIL
              + " (default ${DEFAULT-VALUE})")
  int outputTail;

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
    if (retries < 0 || retries > Job.MAX_RETRIES)
      throw Failure.badInput("--retries must be from 0 to " + Job.MAX_RETRIES + ", not " + retries);
    if (outputTail < 0 || outputTail > Job.MAX_OUTPUT_TAIL)
      throw Failure.badInput(
          "--output-tail must be from 0 to " + Job.MAX_OUTPUT_TAIL + ", not " + outputTail);
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
        Instant.now().toString(),
        retries == 0 ? null : retries,
        retries == 0 ? null : Durations.format(retryDelay),
        outputTail == Job.DEFAULT_OUTPUT_TAIL ? null : outputTail);
  }
}
