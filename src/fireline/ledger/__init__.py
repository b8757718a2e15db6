"""The ledger: per-incident hash chains, their storage and signed checkpoints."""
