package dev.conch.cli;

import dev.conch.base.Durations;
import dev.conch.base.Failure;
import java.time.Duration;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Options of type Duration, spelled as ops write them ({@link Durations#parse}). */
public final class DurationConverter implements ITypeConverter<Duration> {
  @Override
  public Duration convert(String value) {
    try {
      return Durations.parse(value);
    } catch (Failure f) {
      throw new TypeConversionException(f.getMessage());
    }
  }
}
