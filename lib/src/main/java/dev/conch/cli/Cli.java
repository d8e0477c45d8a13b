package dev.conch.cli;

import dev.conch.base.ExitCode;
import dev.conch.base.Failure;
import picocli.CommandLine;

/**
 * Runs a picocli command the conch way: one-line errors, contract exit codes, never a stack trace,
 * conch's help pages.
 */
public final class Cli {
  private Cli() {}

  public static void main(Object command, String... args) {
    System.exit(execute(command, args));
  }

  public static int execute(Object command, String... args) {
    CommandLine cl = new CommandLine(command);
    Help.apply(cl);
    cl.setParameterExceptionHandler(
        (ex, a) -> {
          System.err.println("conch: " + ex.getMessage().replaceAll("\\s+", " ") + " (see --help)");
          return ExitCode.USAGE;
        });
    cl.setExecutionExceptionHandler(
        (ex, c, parsed) -> {
          if (ex instanceof Failure f) {
            System.err.println("conch: " + f.getMessage());
            return Tool.code(f);
          }
          System.err.println("conch: " + Tool.internal(ex));
          return ExitCode.INTERNAL;
        });
    return cl.execute(args);
  }
}
