package org.l2cbeam.pipelines.cli;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a list of {@code l2c} command lines one after the other in this JVM and records, per case,
 * the exit code, what it printed (the first 64 KB of each stream, and the total), its wall time and
 * the process's peak RSS so far. {@link HostileInputTest} starts it in a child JVM with a small
 * heap ({@code -Xmx512m}): bounded memory is then a property of the process, and an {@link
 * OutOfMemoryError} would show in the captured output.
 *
 * <p>Arguments: the cases file (JSON lines {@code {"id": ..., "args": [...]}}) and the results file
 * (JSON lines).
 */
public final class HostileCliBatch {
  private static final int KEEP = 64 << 10;

  private HostileCliBatch() {}

  public static void main(String[] args) throws Exception {
    List<String> cases = Files.readAllLines(Path.of(args[0]));
    Path results = Path.of(args[1]);
    PrintStream realOut = System.out;
    PrintStream realErr = System.err;
    Gson gson = new Gson();
    for (String line : cases) {
      JsonObject c = JsonParser.parseString(line).getAsJsonObject();
      JsonArray a = c.getAsJsonArray("args");
      String[] cli = new String[a.size()];
      for (int i = 0; i < cli.length; i++) cli[i] = a.get(i).getAsString();
      Capture out = new Capture();
      Capture err = new Capture();
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      long start = System.nanoTime();
      int code;
      String thrown = null;
      try {
        code = L2c.execute(cli);
      } catch (Throwable t) {
        code = -1;
        thrown = t.toString();
      } finally {
        System.setOut(realOut);
        System.setErr(realErr);
      }
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("id", c.get("id").getAsString());
      r.put("code", code);
      r.put("millis", (System.nanoTime() - start) / 1_000_000);
      r.put("stdout", out.kept());
      r.put("stdoutBytes", out.total);
      r.put("stderr", err.kept());
      r.put("thrown", thrown);
      r.put("peakRssMiB", peakRssMiB());
      Files.writeString(
          results,
          gson.toJson(r) + "\n",
          StandardCharsets.UTF_8,
          java.nio.file.StandardOpenOption.CREATE,
          java.nio.file.StandardOpenOption.APPEND);
    }
  }

  /** VmHWM of /proc/self/status, or -1 where there is none. */
  static long peakRssMiB() {
    try {
      for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (l.startsWith("VmHWM:")) return Long.parseLong(l.replaceAll("[^0-9]", "")) >> 10;
      }
    } catch (Exception e) {
      // not Linux
    }
    return -1;
  }

  /** Keeps the first {@link #KEEP} bytes written and counts the rest. */
  private static final class Capture extends OutputStream {
    final ByteArrayOutputStream head = new ByteArrayOutputStream();
    long total;

    @Override
    public void write(int b) {
      if (total++ < KEEP) head.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) {
      int keep = (int) Math.max(0, Math.min(len, KEEP - total));
      head.write(b, off, keep);
      total += len;
    }

    String kept() {
      return head.toString(StandardCharsets.UTF_8);
    }
  }
}
