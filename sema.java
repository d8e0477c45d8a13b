///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
// a small resident wrapper: serial GC, C1 only, a small starting heap, netty without pooled arenas (docs/performance.md)
//RUNTIME_OPTIONS -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xms8m -XX:NewRatio=8 -Dio.netty.allocator.type=unpooled
//DEPS dev.conch:conch-lib:0.2.0
//DESCRIPTION conch sema: run a command while holding one of at most N slots fleet-wide, first come first served.

import dev.conch.cli.Cli;
import dev.conch.cli.ConnectionOptions;
import dev.conch.cli.HoldOptions;
import dev.conch.cli.LogOptions;
import dev.conch.cli.SemaTool;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "sema", mixinStandardHelpOptions = true,
    description = "Run CMD only while holding one of at most N slots of NAME; waiters are served in arrival order.",
    footer = {"", "Example: conch sema db-migrate --max 2 -- ./migrate.sh"})
class sema implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "NAME", description = "the semaphore: [A-Za-z0-9][A-Za-z0-9._-]{0,127}")
  String name;

  @Parameters(index = "1..*", paramLabel = "CMD", description = "the command and its arguments, after --")
  List<String> cmd;

  @Option(names = "--max", paramLabel = "N", description = "at most N holders at once, 1 to 10000 (required, except with --who)")
  Integer max;

  @Mixin HoldOptions hold;
  @Mixin ConnectionOptions conn;
  @Mixin LogOptions logs;

  @Override
  public Integer call() {
    return SemaTool.run(conn, hold, logs, name, max, cmd);
  }

  public static void main(String... args) {
    Cli.main(new sema(), args);
  }
}
