package dev.conch.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Gives the commands {@code jbang app install ALIAS@CATALOG} wrote for conch's aliases the fast
 * start. JBang writes {@code exec jbang run ALIAS@CATALOG "$@"}, which starts JBang's JVM before
 * conch's on every call; on a run JBang launched, each such command in JBang's bin directory is
 * replaced by bin/conch, the fast launcher, set to run the same catalog's conch alias (whose
 * conch.java holds every tool) with the alias's subcommand. JBang still resolves and builds the
 * script, on the launcher's cache misses. {@code jbang app install --force} writes JBang's command
 * again; the next run replaces it again.
 */
final class Launcher {
  private Launcher() {}

  private static final Pattern INSTALLED =
      Pattern.compile(
          "#!/bin/sh\nexec jbang run (conch|conchd|elect|sema|cron)@(\\S+) \"\\$@\"\n?");
  private static final Map<String, String> SUBCOMMAND =
      Map.of("conch", "", "conchd", "daemon", "elect", "elect", "sema", "sema", "cron", "cron");

  /** Replaces JBang's installed conch commands, if this run was launched by JBang. */
  static void upgradeInstalled() {
    if (System.getenv("JBANG_LAUNCH_CMD") == null) return; // not JBang: nothing JBang installed
    String dir = System.getenv("JBANG_DIR");
    Path home =
        dir == null || dir.isEmpty()
            ? Path.of(System.getProperty("user.home"), ".jbang")
            : Path.of(dir);
    try (DirectoryStream<Path> files = Files.newDirectoryStream(home.resolve("bin"))) {
      for (Path f : files) upgrade(f);
    } catch (IOException | RuntimeException e) {
      // a command we cannot read or replace keeps working as JBang wrote it, only slower
    }
  }

  private static void upgrade(Path command) throws IOException {
    if (!Files.isRegularFile(command) || Files.size(command) > 1024) return;
    Matcher m = INSTALLED.matcher(Files.readString(command));
    if (!m.matches()) return;
    String text;
    try (InputStream in = Launcher.class.getResourceAsStream("conch")) {
      if (in == null) return; // a lib built without bin/conch
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    String ref = "'" + ("conch@" + m.group(2)).replace("'", "'\\''") + "'";
    text =
        text.replaceFirst("(?m)^ref=$", Matcher.quoteReplacement("ref=" + ref))
            .replaceFirst("(?m)^lead=\\(\\)$", "lead=(" + SUBCOMMAND.get(m.group(1)) + ")");
    // written beside it under a name of this process's, then renamed over it: a concurrent call
    // runs the old command or the new, and two upgrading at once never write one file
    Path tmp =
        command.resolveSibling(
            "." + command.getFileName() + "." + ProcessHandle.current().pid() + ".conch");
    Files.writeString(tmp, text);
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.move(tmp, command, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }
}
