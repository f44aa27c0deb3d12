"""A minimal Richie 3.5.1 site for the e2e tests: Richie's own apps and code as installed from
PyPI (in this directory's own virtual environment, `make peers`), on SQLite, without
Elasticsearch. Everything that connects it to Open edX comes from the Python settings block
`tutor lmsbridge credentials <richie app>` prints (settings.py executes that file)."""
