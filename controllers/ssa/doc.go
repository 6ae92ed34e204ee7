// Package ssa holds the server-side apply helpers every controller of this
// project shares: a semantic JSON comparison for the no-op skip, and the
// one-time migration of managedFields that older clients left behind with
// Update operations.
package ssa
