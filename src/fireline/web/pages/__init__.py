"""The page routers, one module per feature; `web.app.PAGE_ROUTERS` lists them."""
