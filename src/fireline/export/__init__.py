"""Workspace export: the seeds' incident folder, deterministic, and verifiable offline.

`writer.export_incident` writes it from the store (service layer); `verify.verify_export`
checks one with nothing but the files themselves. The views are pure renderings of the
exported events (`record`, `views`, `prov`, `layout`), which is what lets verify re-render and
compare them. See docs/export.md.
"""
