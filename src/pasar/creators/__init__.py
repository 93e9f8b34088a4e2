"""Creator operations: who looks after which creator, and creator profiles."""
