package dev.conch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.conch.base.ExitCode;
import dev.conch.base.Failure;
import dev.conch.base.Log;
import org.junit.jupiter.api.Test;

/** Failures become exit codes in one place; a bug is never mistaken for a lost lease. */
class ToolTest {
  private final Log log = Log.text("elect", "t");

  @Test
  void eachKindHasItsContractCode() {
    assertEquals(ExitCode.USAGE, Tool.guarded(log, () -> fail(Failure.Kind.BAD_INPUT)));
    assertEquals(ExitCode.UNAVAILABLE, Tool.guarded(log, () -> fail(Failure.Kind.UNAVAILABLE)));
    assertEquals(ExitCode.REFUSED, Tool.guarded(log, () -> fail(Failure.Kind.REFUSED)));
    assertEquals(ExitCode.NOT_ACQUIRED, Tool.guarded(log, () -> fail(Failure.Kind.NOT_ACQUIRED)));
    assertEquals(ExitCode.CANNOT_LISTEN, Tool.guarded(log, () -> fail(Failure.Kind.CANNOT_LISTEN)));
    assertEquals(
        143,
        Tool.guarded(
            log,
            () -> {
              throw Failure.interrupted(15, "interrupted by SIGTERM while waiting");
            }));
  }

  @Test
  void anUnforeseenExceptionExits99NotLeaseLost() {
    int code =
        Tool.guarded(
            log,
            () -> {
              throw new IllegalStateException("a bug");
            });
    assertEquals(ExitCode.INTERNAL, code);
    assertEquals(99, code);
    assertEquals(
        ExitCode.INTERNAL,
        Cli.execute(new Boom()),
        "a bug escaping picocli's execution exits 99 too");
  }

  @picocli.CommandLine.Command(name = "boom")
  static final class Boom implements java.util.concurrent.Callable<Integer> {
    @Override
    public Integer call() {
      throw new IllegalStateException("a bug");
    }
  }

  private static Integer fail(Failure.Kind kind) {
    throw new Failure(kind, "test");
  }
}
