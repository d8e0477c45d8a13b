///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
// a small resident wrapper: serial GC, C1 only, a small starting heap, netty without pooled arenas (docs/performance.md)
//RUNTIME_OPTIONS -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xms8m -XX:NewRatio=8 -Dio.netty.allocator.type=unpooled
//DEPS dev.conch:conch-lib:0.2.0
//DESCRIPTION conch elect: run a command on one host of the fleet at a time, while it holds an office in etcd.

import dev.conch.cli.Cli;
import dev.conch.cli.ConnectionOptions;
import dev.conch.cli.ElectTool;
import dev.conch.cli.HoldOptions;
import dev.conch.cli.LogOptions;
import dev.conch.cli.RestartOptions;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "elect", mixinStandardHelpOptions = true,
    description = "Run CMD only while this process leads OFFICE: one runner in the fleet.",
    footer = {"", "Example: conch elect web-primary --restart -- ./serve"})
class elect implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "OFFICE", description = "the office: [A-Za-z0-9][A-Za-z0-9._-]{0,127}")
  String office;

  @Parameters(index = "1..*", paramLabel = "CMD", description = "the command and its arguments, after --")
  List<String> cmd;

  @Mixin RestartOptions restart;
  @Mixin HoldOptions hold;
  @Mixin ConnectionOptions conn;
  @Mixin LogOptions logs;

  @Override
  public Integer call() {
    return ElectTool.run(conn, hold, restart, logs, office, cmd);
  }

  public static void main(String... args) {
    Cli.main(new elect(), args);
  }
}
