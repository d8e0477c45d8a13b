package dev.conch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The packages are layers (docs/design.md): base at the bottom, then etcd, coord, proc, cron (which
 * runs its jobs through proc), cli on top. A package imports only from the layers below it, so
 * nothing but cli knows about exit codes' mapping or picocli's options.
 */
class LayersTest {
  private static final Map<String, Integer> LAYER =
      Map.of("base", 0, "etcd", 1, "coord", 2, "proc", 3, "cron", 4, "cli", 5);
  private static final Pattern PACKAGE = Pattern.compile("^package dev\\.conch\\.(\\w+);", 8);
  private static final Pattern IMPORT = Pattern.compile("^import dev\\.conch\\.(\\w+)\\.", 8);

  @Test
  void nothingImportsUpward() throws IOException {
    Path main = Path.of("src/main/java/dev/conch");
    List<String> upward = new ArrayList<>();
    int files = 0;
    try (Stream<Path> all = Files.walk(main)) {
      for (Path f : all.filter(p -> p.toString().endsWith(".java")).toList()) {
        files++;
        String src = Files.readString(f);
        Matcher p = PACKAGE.matcher(src);
        assertTrue(p.find(), f + ": no package");
        Integer own = LAYER.get(p.group(1));
        assertTrue(own != null, f + ": package " + p.group(1) + " is in no layer");
        Matcher i = IMPORT.matcher(src);
        while (i.find()) {
          Integer theirs = LAYER.get(i.group(1));
          if (theirs == null || theirs > own) upward.add(f + " imports dev.conch." + i.group(1));
        }
      }
    }
    assertTrue(files > 40, "found the sources: " + files);
    assertEquals(List.of(), upward);
  }
}
