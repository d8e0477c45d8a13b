package dev.conch.cli;

import dev.conch.base.ExitCode;
import dev.conch.base.Failure;
import java.util.Arrays;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Runs a picocli command the conch way: one-line errors, contract exit codes, never a stack trace,
 * conch's help pages.
 */
public final class Cli {
  private Cli() {}

  public static void main(Object command, String... args) {
    Launcher.upgradeInstalled();
    System.exit(execute(command, args));
  }

  public static int execute(Object command, String... args) {
    CommandLine cl = forArgs(command, args);
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

  /**
   * The command line that runs {@code args}. When they start with one tool of {@code command}'s
   * (elect, sema, cron, daemon), only that tool's model is built, under a bare parent of the same
   * name, so help pages and messages read the same: picocli's model of every tool is most of what a
   * query costs after the JVM (docs/performance.md). Completion reads the whole tree.
   */
  static CommandLine forArgs(Object command, String... args) {
    Command top = command.getClass().getAnnotation(Command.class);
    if (top == null || args.length == 0) return new CommandLine(command);
    for (Class<?> sub : top.subcommands()) {
      Command tool = sub.getAnnotation(Command.class);
      if (tool == null || sub == Completion.class) continue;
      if (tool.name().equals(args[0]) || Arrays.asList(tool.aliases()).contains(args[0])) {
        CommandLine parent = new CommandLine(CommandSpec.create().name(top.name()));
        parent.addSubcommand(tool.name(), new CommandLine(sub), tool.aliases());
        return parent;
      }
    }
    return new CommandLine(command);
  }
}
