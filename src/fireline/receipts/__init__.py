"""Data-integrity receipts: manifest checks, rebuild receipts and state-changing steps.

The seeds' rule "no mystery fixes (manual edits without receipts)" as records: `manifest`
parses sha256sum-format and JSON manifests (pure), `hashing` hashes artifacts under a root
without leaving it, `handlers` plans `manifest.checked`, `receipt.recorded` and
`step.recorded`. The export writes them to `20_actions/` and `30_verification/`.
"""

DIFF_LIMIT = 256 * 1024  # the largest config diff a step records (bytes of UTF-8)
