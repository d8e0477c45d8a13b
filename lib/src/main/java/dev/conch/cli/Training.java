package dev.conch.cli;

import dev.conch.coord.Holder;
import java.util.List;
import java.util.Map;

/**
 * The training run of the launcher's archive (bin/conch): one JVM runs the paths named in its
 * arguments, so the archive holds the classes of each. {@code query}: {@code elect --who}, etcd's
 * JSON gateway and Jackson; {@code read}: a read through jetcd (gRPC, netty, vert.x), as the
 * wrappers and conchd do. Each dials loopback's port 1, which refuses, so training needs no etcd
 * and each path ends in the dial timeout. Usage: {@code java -cp CP dev.conch.cli.Training PATH…}.
 */
public final class Training {
  private Training() {}

  private static final Map<String, String[]> PATHS =
      Map.of(
          "query",
          new String[] {"elect", "training", "--who"},
          "read",
          new String[] {"cron", "ls"});

  public static void main(String... paths) throws ReflectiveOperationException {
    // conch.java's top command, on the classpath beside the lib (the lib cannot name it); a
    // script's class is package-private
    var top = Class.forName("conch").getDeclaredConstructor();
    top.setAccessible(true);
    String[] refused = {"--endpoints", "http://127.0.0.1:1", "--dial-timeout", "500ms"};
    for (String path : paths) {
      String[] run = PATHS.get(path);
      String[] all = new String[run.length + refused.length];
      System.arraycopy(run, 0, all, 0, run.length);
      System.arraycopy(refused, 0, all, run.length, refused.length);
      Cli.execute(top.newInstance(), all);
      // what a query does with etcd's answer, which the refused dial never reaches: a holder's
      // JSON read and printed (Jackson's record deserializer is tens of ms to build, cold)
      if (path.equals("query")) {
        Holder h = Holder.parse(Holder.self(List.of("training"), 10, 1).toJson(), 1);
        Tool.printHolders(List.of(h), false);
        Tool.printHolders(List.of(h), true);
      }
    }
    System.exit(0); // jetcd's threads are not daemons
  }
}
