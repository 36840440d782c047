package org.l2cbeam.core.io;

import java.nio.file.Path;

/**
 * A checkpoint or tensor file that cannot be read; the message always names the file and the
 * problem.
 */
public class CheckpointFormatException extends RuntimeException {
  public CheckpointFormatException(Path file, String problem) {
    super(file + ": " + problem);
  }

  public CheckpointFormatException(Path file, String problem, Throwable cause) {
    super(file + ": " + problem, cause);
  }
}
