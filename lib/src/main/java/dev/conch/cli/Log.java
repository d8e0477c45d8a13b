package dev.conch.cli;

/** conch's own lines on stderr: one line per event, naming the tool and the name it acts on. */
public final class Log {
  private Log() {}

  public static void line(String tool, String name, String message) {
    System.err.println("conch " + tool + " " + name + ": " + message);
    System.err.flush();
  }
}
