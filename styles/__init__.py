"""pressroom's default theme: the stylesheets and the templates/ folder of the report, the briefs and
the web edition. This folder ships inside the package as `pressroom.theme` (see pyproject.toml) and
is found with importlib.resources (pressroom.load.project.default_theme); a project uses its own
theme with `theme:` in pressroom.yml."""
