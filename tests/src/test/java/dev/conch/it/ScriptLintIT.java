package dev.conch.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.conch.it.support.Conch;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JBang scripts are compiled by JBang, outside Maven's {@code -Xlint:all -Werror}; this holds
 * them to the same static check. {@code -path} is off: cron-utils' manifest names a jar that is not
 * shipped.
 */
class ScriptLintIT {
  @Test
  void scriptsCompileWithoutAWarning(@TempDir Path out) throws Exception {
    List<String> args =
        new ArrayList<>(
            List.of("-Xlint:all,-path", "-Werror", "-d", out.toString(), "-cp", Conch.classpath()));
    try (var scripts = Files.list(Conch.ROOT)) {
      scripts
          .filter(p -> p.toString().endsWith(".java"))
          .map(Path::toString)
          .sorted()
          .forEach(args::add);
    }
    ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
    int rc =
        ToolProvider.getSystemJavaCompiler()
            .run(null, diagnostics, diagnostics, args.toArray(String[]::new));
    assertEquals(0, rc, "javac " + args + "\n" + diagnostics);
  }
}
