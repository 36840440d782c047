package org.l2cbeam.pipelines.cli;

import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.regex.Pattern;
import org.apache.beam.sdk.Pipeline.PipelineExecutionException;

/**
 * The one line a user sees for a failure: the message of the exception that says what went wrong
 * (not of the runner or future that carried it), without Java class names or library
 * troubleshooting links, and for an {@link OutOfMemoryError} what to do about it.
 */
final class UserMessages {
  private static final Pattern CLASS_PREFIX =
      Pattern.compile("^(?:[a-z][a-z0-9_]*\\.)+[A-Z][A-Za-z0-9_$]*(?:Exception|Error)(?::\\s*|$)");
  private static final Pattern LINK = Pattern.compile("\\s*\\n?See https?://\\S+");

  private UserMessages() {}

  static String describe(Throwable ex) {
    Throwable t = cause(ex);
    if (t instanceof OutOfMemoryError) {
      return "out of memory (the JVM's heap limit is "
          + (Runtime.getRuntime().maxMemory() >> 20)
          + " MiB): the input"
          + " is larger than this run can hold; give the JVM more with L2C_JAVA_OPTS=-Xmx<size>, or use smaller"
          + " batches";
    }
    if (t instanceof StackOverflowError) {
      return "input nested too deeply to process (stack overflow)";
    }
    String msg = t.getMessage();
    if (msg == null || msg.isBlank()) {
      return "unexpected internal error ("
          + t.getClass().getSimpleName()
          + "); set L2C_DEBUG=1 for a stack trace";
    }
    return clean(msg);
  }

  /**
   * The exception that says what went wrong, below wrappers whose message is only their cause's.
   */
  static Throwable cause(Throwable ex) {
    Throwable t = ex;
    while (t.getCause() != null && t.getCause() != t && isWrapper(t)) t = t.getCause();
    return t;
  }

  private static boolean isWrapper(Throwable t) {
    if (t instanceof PipelineExecutionException
        || t instanceof ExecutionException
        || t instanceof CompletionException
        || t instanceof InvocationTargetException) {
      return true;
    }
    String m = t.getMessage();
    Throwable c = t.getCause();
    // e.g. RuntimeException(cause) or UncheckedIOException(cause): the message is the cause's
    // toString()
    return m == null
        || m.equals(c.toString())
        || (t instanceof UncheckedIOException && m.equals(c.getMessage()))
        || c instanceof Error;
  }

  /**
   * Drops leading Java class names ("java.lang.IllegalStateException: ") and "See https://..."
   * links.
   */
  static String clean(String message) {
    String m = LINK.matcher(message).replaceAll("");
    String before;
    do {
      before = m;
      m = CLASS_PREFIX.matcher(m).replaceFirst("");
    } while (!m.equals(before));
    return m.isBlank() ? message : m;
  }
}
