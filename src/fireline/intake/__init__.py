"""Alert intake: monitoring's alerts in, recorded, de-duplicated, grouped and routed by policy.

`formats` parses what each sender posts, `sources` checks who sent it, `delivery` turns a body
into a `RecordAlerts` command, `routing` carries out the policy's decision for each changed
group, `queries` reads the alert projections. Every write goes through `service.execute`
(the server's writer) as `intake:<source>`.
"""
