package dev.conch.base;

/** conch's version, from the lib jar's manifest (set by the build); "dev" when run from classes. */
public final class Version {
  public static final String CONCH =
      Version.class.getPackage().getImplementationVersion() == null
          ? "dev"
          : Version.class.getPackage().getImplementationVersion();

  private Version() {}
}
