package dev.conch.it.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** The JDKs of this machine, as bin/conch finds them: by the JAVA_VERSION of each one's release. */
public final class Jdks {
  private Jdks() {}

  private static final Path JVMS = Path.of("/usr/lib/jvm");
  private static final Pattern VERSION = Pattern.compile("(?m)^JAVA_VERSION=\"(\\d+)");

  /** A JDK home under /usr/lib/jvm of feature version {@code feature}. */
  public static Path home(int feature) {
    try (Stream<Path> homes = Files.list(JVMS)) {
      return homes
          .filter(h -> feature(h) == feature)
          .findFirst()
          .orElseThrow(() -> new AssertionError("no JDK " + feature + " under " + JVMS));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The newest feature version of the JDKs under /usr/lib/jvm, if one is at least {@code min}. */
  public static OptionalInt newest(int min) {
    try (Stream<Path> homes = Files.list(JVMS)) {
      return homes.mapToInt(Jdks::feature).filter(f -> f >= min).max();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The feature version of the java on PATH. */
  public static int onPath() {
    String java =
        Procs.run(List.of("bash", "-c", "readlink -f \"$(command -v java)\""), Map.of()).out();
    return feature(Path.of(java.strip()).getParent().getParent());
  }

  /** The feature version of the JDK whose home is {@code home}, 0 when unknown. */
  public static int feature(Path home) {
    try {
      Matcher m = VERSION.matcher(Files.readString(home.resolve("release")));
      return m.find() ? Integer.parseInt(m.group(1)) : 0;
    } catch (IOException e) {
      return 0;
    }
  }
}
