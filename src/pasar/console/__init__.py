"""The web console: server-rendered pages (Jinja2) over the same services as the API, signed in
with a browser session, every form carrying its CSRF token."""
