/**
 * The {@code sample} pipeline: requests → {@code LoadModel} → {@code CachedSample} → {@code
 * WriteSamples}.
 */
package org.l2cbeam.pipelines.sample;
