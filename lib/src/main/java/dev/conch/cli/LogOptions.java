package dev.conch.cli;

import dev.conch.base.Log;
import picocli.CommandLine.Option;

/** How the commands that log events (elect, sema, daemon) write them on stderr. */
public final class LogOptions {
  @Option(
      names = "--log-format",
      paramLabel = "text|json",
      defaultValue = "text",
      description =
          "event lines on stderr: text, or one JSON object per line (default ${DEFAULT-VALUE})")
  Log.Format format;

  @Option(
      names = {"-v", "--verbose"},
      description =
          "also log routine events: queued, acquired and released (elect, sema), ticks another daemon won (daemon)")
  boolean verbose;

  public Log log(String tool, String name) {
    return new Log(tool, name, format, verbose);
  }
}
