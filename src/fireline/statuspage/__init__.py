"""The public status page: configured components, public updates of public incidents, the
Atom feed and the Statuspage-v2-shaped JSON. Never a restricted or drill incident."""
