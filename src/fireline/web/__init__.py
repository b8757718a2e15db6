"""The web UI: server-rendered pages (Jinja2) over the read service and the writer.

Pages read only through `fireline.reads` and write only through the server's group-commit
writer (`forms.submit`); nothing here decides who may see or do what. `app.install` mounts it
on the API's FastAPI app; `render`, `session`, `forms`, `room` and `nav` are the seams every
page module uses.
"""
