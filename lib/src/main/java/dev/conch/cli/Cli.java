package dev.conch.cli;

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
          return Exit.USAGE;
        });
    cl.setExecutionExceptionHandler(
        (ex, c, parsed) -> {
          if (ex instanceof Exit.Failure f) {
            System.err.println("conch: " + f.getMessage());
            return f.code;
          }
          System.err.println("conch: internal error: " + ex);
          return Exit.LEASE_LOST;
        });
    return cl.execute(args);
  }
}
