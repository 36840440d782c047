package org.l2cbeam.core.io;

import java.nio.file.Path;
import java.util.Map;

/** Reads torch.save zip checkpoints through a restricted unpickler. (Being implemented: issue 2.) */
public final class TorchCheckpoint {
  private TorchCheckpoint() {}

  /** Flattened tensors (dotted names) and non-tensor metadata. */
  public static final class Contents {
    public final Map<String, TensorData> tensors;
    public final Map<String, Object> metadata;

    public Contents(Map<String, TensorData> tensors, Map<String, Object> metadata) {
      this.tensors = tensors;
      this.metadata = metadata;
    }
  }

  public static Contents read(Path file) {
    throw new CheckpointFormatException(file, "torch.save checkpoints are not readable yet");
  }
}
