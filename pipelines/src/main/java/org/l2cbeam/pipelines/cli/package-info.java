/**
 * The {@code l2c} command line ({@code L2c}): inspect, router, forward, sample, vae, fid, pipeline,
 * demo and bench subcommands. Its subcommands and tensor names are a contract.
 */
package org.l2cbeam.pipelines.cli;
