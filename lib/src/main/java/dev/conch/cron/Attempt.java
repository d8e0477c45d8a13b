package dev.conch.cron;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.conch.base.Json;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One attempt of a run, as its record keeps it: when it ran, how it ended, and the tail of what it
 * wrote ({@code output}), as text: UTF-8, each byte that is not part of valid UTF-8 replaced by
 * U+FFFD, a character cut by the tail's start dropped. {@code output_bytes}: all it wrote.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record Attempt(
    int attempt,
    String started,
    String ended,
    @JsonProperty("exit") Integer exitCode,
    @JsonProperty("timed_out") Boolean timedOut,
    String output,
    @JsonProperty("output_bytes") Long outputBytes) {

  /**
   * What the outputs of one record may take, as JSON: etcd refuses a request over 1.5 MiB, and a
   * tail of 64 KiB of control characters is 384 KiB of JSON escapes; eleven attempts of it would
   * not fit.
   */
  static final int OUTPUT_BUDGET = 768 * 1024;

  /** The tail's bytes as stored text (see above). */
  static String text(byte[] tail) {
    int from = 0; // continuation bytes at the start belong to a character the tail cut
    while (from < Math.min(3, tail.length) && (tail[from] & 0xC0) == 0x80) from++;
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPLACE)
          .onUnmappableCharacter(CodingErrorAction.REPLACE)
          .decode(ByteBuffer.wrap(tail, from, tail.length - from))
          .toString();
    } catch (CharacterCodingException e) {
      throw new IllegalStateException(e); // REPLACE never throws
    }
  }

  /**
   * The attempts with their outputs cut to {@link #OUTPUT_BUDGET}: the oldest attempts' outputs
   * lose their beginnings first, the newest is kept whole while it fits.
   */
  static List<Attempt> fit(List<Attempt> all) {
    List<Attempt> out = new ArrayList<>(all);
    for (int i = 0; i < out.size() && size(out) > OUTPUT_BUDGET; i++) {
      Attempt a = out.get(i);
      while (a.output() != null && !a.output().isEmpty() && size(out) > OUTPUT_BUDGET) {
        int cut = a.output().length() / 2;
        if (Character.isLowSurrogate(a.output().charAt(cut))) cut++; // never half a character
        a = a.withOutput(a.output().substring(cut));
        if (a.output().length() < 16) a = a.withOutput("");
        out.set(i, a);
      }
    }
    return out;
  }

  private static int size(List<Attempt> all) {
    return all.stream()
        .mapToInt(
            a ->
                a.output() == null
                    ? 0
                    : Json.write(a.output()).getBytes(StandardCharsets.UTF_8).length)
        .sum();
  }

  private Attempt withOutput(String kept) {
    return new Attempt(attempt, started, ended, exitCode, timedOut, kept, outputBytes);
  }
}
