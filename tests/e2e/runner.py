"""`python -m tests.e2e.runner SETTINGS_MODULE CONFIG_JSON`: set up a Django project's
database, run its seeding hook, serve it on the configured loopback listeners, print READY.

The parent test starts one runner per server, waits for READY, and terminates it at the end.
"""

import contextlib
import importlib
import json
import os
import sys
import threading
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def main() -> None:
    settings_module, config_path = sys.argv[1], sys.argv[2]
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    os.environ["LMSBRIDGE_E2E_CONFIG"] = config_path
    with open(config_path, encoding="utf-8") as config_file:
        config = json.load(config_file)

    import django
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application

    django.setup()
    call_command("migrate", run_syncdb=True, verbosity=0)
    with contextlib.redirect_stdout(sys.stderr):  # the init job's report goes to the log
        importlib.import_module(settings_module).seed(config)
    application = get_wsgi_application()
    servers = [
        make_server(host, port, application, ThreadingWSGIServer, QuietHandler)
        for host, port in config["listen"]
    ]
    for server in servers[1:]:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    print("READY", flush=True)
    servers[0].serve_forever()


if __name__ == "__main__":
    main()
