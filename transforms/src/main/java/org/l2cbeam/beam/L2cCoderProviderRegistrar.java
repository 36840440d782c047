package org.l2cbeam.beam;

import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.CannotProvideCoderException;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderProvider;
import org.apache.beam.sdk.coders.CoderProviderRegistrar;
import org.apache.beam.sdk.values.TypeDescriptor;

/**
 * Registers our coders with every pipeline's coder registry (found through {@code
 * META-INF/services}), so {@code Create.of(SampleRequest.of(...))} and user DoFns producing our
 * types need no {@code setCoder}. It matches subclasses too: AutoValue's generated {@code
 * AutoValue_SampleRequest} is what {@code Create} sees.
 */
public final class L2cCoderProviderRegistrar implements CoderProviderRegistrar {
  private static final Map<Class<?>, Coder<?>> CODERS =
      Map.of(
          SampleRequest.class, SampleRequestCoder.of(),
          GeneratedSample.class, GeneratedSampleCoder.of(),
          TrainingExample.class, TrainingExampleCoder.of(),
          ModelRef.class, ModelRefCoder.of(),
          FidResult.class, FidResultCoder.of(),
          org.l2cbeam.core.image.ImageBatch.class, ImageBatchCoder.of(),
          org.l2cbeam.core.fid.FeatureStats.class, FeatureStatsCoder.of(),
          org.l2cbeam.core.router.RouterArtifact.class, RouterArtifactCoder.of());

  @Override
  public List<CoderProvider> getCoderProviders() {
    return List.of(new ValueTypeCoderProvider());
  }

  private static final class ValueTypeCoderProvider extends CoderProvider {
    @Override
    @SuppressWarnings("unchecked")
    public <T> Coder<T> coderFor(TypeDescriptor<T> type, List<? extends Coder<?>> componentCoders)
        throws CannotProvideCoderException {
      for (Map.Entry<Class<?>, Coder<?>> e : CODERS.entrySet()) {
        if (e.getKey().isAssignableFrom(type.getRawType())) {
          return (Coder<T>) e.getValue();
        }
      }
      throw new CannotProvideCoderException(type + " is not an l2c-beam value type");
    }
  }
}
