package dev.conch.it.support;

import java.util.ArrayList;
import java.util.List;

/** Command lines put together from parts (options, then {@code --} and the command). */
public final class Args {
  private Args() {}

  @SafeVarargs
  public static List<String> cat(List<String>... parts) {
    List<String> all = new ArrayList<>();
    for (List<String> p : parts) all.addAll(p);
    return all;
  }

  /** The same as an array, for {@link Conch#start} and {@link Conch#run}. */
  public static String[] array(List<String> head, List<String> tail) {
    return cat(head, tail).toArray(String[]::new);
  }
}
