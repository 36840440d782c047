/**
 * The {@code benchmark} pipeline: the L2C study (routers, plain and cached settings, FID and
 * latency, report) as one pipeline; what {@code l2c demo} runs.
 */
package org.l2cbeam.pipelines.benchmark;
