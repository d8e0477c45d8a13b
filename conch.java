///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
// a small resident wrapper: serial GC, C1 only, a small starting heap, netty without pooled arenas (docs/performance.md)
//RUNTIME_OPTIONS -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xms8m -XX:NewRatio=8 -Dio.netty.allocator.type=unpooled
//DEPS dev.conch:conch-lib:0.2.0
//SOURCES elect.java sema.java cron.java
//DESCRIPTION conch: run a command only while it holds a lease in etcd.

import dev.conch.cli.Cli;
import dev.conch.cli.Completion;
import picocli.CommandLine.Command;

@Command(name = "conch", mixinStandardHelpOptions = true,
    description = {"Run a command only while it holds a lease in etcd.", "Each command's options: conch COMMAND --help."},
    subcommands = {elect.class, sema.class, cron.class, cron.Daemon.class, Completion.class},
    footer = {"", "Examples: conch elect nightly-report -- ./report.sh", "          conch sema db-migrate --max 2 -- ./migrate.sh",
        "          conch cron add purge --schedule '*/5 * * * *' -- ./purge.sh", "          conch daemon"})
class conch {
  public static void main(String... args) {
    Cli.main(new conch(), args);
  }
}
