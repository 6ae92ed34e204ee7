// Package ssa holds the server-side apply helpers every controller of this
// project shares:
//   - sending an apply only when it differs from what the field manager
//     owns (ApplyIfChanged, ApplyStatusIfChanged, ApplyStatusOf; AppliedEntry
//     finds the manager's entry);
//   - the semantic JSON comparison behind that no-op skip (JSONEqual);
//   - a status condition whose lastTransitionTime moves only when its
//     status does (Condition), and the controller ownerReference of every
//     object the manager creates for another (ControllerReference);
//   - the one-time migration of managedFields that older clients left
//     behind with Update operations (Migration, Migrate, SendMigration).
package ssa
