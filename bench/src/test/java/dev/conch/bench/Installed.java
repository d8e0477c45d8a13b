package dev.conch.bench;

import dev.conch.it.support.AppInstall;
import dev.conch.it.support.Procs;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * conch as {@code jbang app install conch@CATALOG} installs it, in a JBang directory of the run's
 * own under bench/target: the command a user gets. Its first run goes through JBang and puts the
 * fast launcher in place; the second makes the launcher's cache; the benchmark times the later
 * ones.
 */
final class Installed {
  private Installed() {}

  private static Path command;

  static synchronized Path command() {
    if (command == null) command = install();
    return command;
  }

  private static Path install() {
    Path dir = Bench.ROOT.resolve("bench/target/installed");
    Procs.deleteTree(dir);
    Map<String, String> env = AppInstall.env(dir);
    Path conch = AppInstall.command(dir, "conch");
    String catalog = "conch@" + Bench.ROOT.resolve("jbang-catalog.json");
    for (List<String> cmd :
        List.of(
            List.of(AppInstall.jbang(dir), "app", "install", catalog),
            List.of(conch.toString(), "--version"),
            List.of(conch.toString(), "--version"))) {
      Procs.Result r = Procs.run(cmd, env, dir);
      if (r.code() != 0)
        throw new IllegalStateException(cmd + " exited " + r.code() + ": " + r.err());
    }
    return conch;
  }
}
