///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
// a small resident wrapper: serial GC, C1 only, a small starting heap, netty without pooled arenas (docs/performance.md)
//RUNTIME_OPTIONS -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xms8m -Xmx128m -Dio.netty.allocator.type=unpooled
//DEPS dev.conch:conch-lib:0.1.0
//SOURCES elect.java sema.java cron.java
//DESCRIPTION conch: run a command only while it holds a lease in etcd.

import dev.conch.cli.Cli;
import dev.conch.coord.Version;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;

@Command(name = "conch", mixinStandardHelpOptions = true, versionProvider = conch.Versions.class,
    description = "Run a command only while it holds a lease in etcd.",
    subcommands = {elect.class, sema.class, cron.class, cron.Daemon.class},
    footer = {"", "Examples: conch elect nightly-report -- ./report.sh", "          conch sema db-migrate --max 2 -- ./migrate.sh",
        "          conch cron add purge --schedule '*/5 * * * *' -- ./purge.sh", "          conch daemon"})
class conch {
  static final class Versions implements IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"conch " + Version.CONCH};
    }
  }

  public static void main(String... args) {
    Cli.main(new conch(), args);
  }
}
