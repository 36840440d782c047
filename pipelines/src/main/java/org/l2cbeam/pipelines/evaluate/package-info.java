/**
 * The {@code evaluate} pipeline: {@code ReadImages} → {@code ComputeFID.onImages()} → {@code
 * WriteFidResult}.
 */
package org.l2cbeam.pipelines.evaluate;
