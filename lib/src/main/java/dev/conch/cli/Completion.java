package dev.conch.cli;

import dev.conch.base.ExitCode;
import dev.conch.base.Failure;
import dev.conch.base.Log;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code conch completion bash}: prints a bash completion script for the whole command tree
 * (picocli's generator), so that completion always matches the options of the build that prints it.
 * A subcommand of any tool: it completes its root command ({@code conch}, or {@code elect} for
 * elect.java alone).
 */
@Command(
    name = "completion",
    mixinStandardHelpOptions = true,
    description = "Print a completion script for SHELL on stdout (only bash).",
    footer = {
      "",
      "Example: conch completion bash > ~/.conch-completion.bash",
      "         echo '. ~/.conch-completion.bash' >> ~/.bashrc    # then: conch el<TAB>"
    })
public final class Completion implements Callable<Integer> {
  static final List<String> SHELLS = List.of("bash");

  @Spec CommandSpec spec;

  @Parameters(
      index = "0",
      paramLabel = "SHELL",
      completionCandidates = Shells.class,
      description = "the shell: bash")
  String shell;

  @Override
  public Integer call() {
    return Tool.guarded(
        Log.text("completion", shell),
        () -> {
          if (!SHELLS.contains(shell))
            throw Failure.badInput("no completion for shell '" + shell + "': only bash");
          CommandLine root = spec.root().commandLine();
          System.out.print(AutoComplete.bash(root.getCommandName(), root));
          return ExitCode.OK;
        });
  }

  static final class Shells implements Iterable<String> {
    @Override
    public java.util.Iterator<String> iterator() {
      return SHELLS.iterator();
    }
  }
}
