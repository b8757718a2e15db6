"""Governed switches: named states other systems obey (read-only mode, promotion pauses, the
deploy freeze, dataset-version quarantines), flipped only on an incident's record.

`spec` is the pure vocabulary (which switches exist, their states and who may flip them, from
`[switches.NAME]` in fireline.toml); `handlers` plans the flips; `state` reads them back from
the projection for gates and read models; `check` answers `fireline switch check` through the
database driver alone, like `freeze check`; `stability` is the seam to the alert intake.
"""
