/**
 * L2C routers: the released router checkpoints and our JSON artifact ({@code RouterArtifact}), the
 * static {@code CacheSchedule} a threshold gives, and choosing θ by MACs removed ({@code
 * ThetaSearch}).
 */
package org.l2cbeam.core.router;
