"""Run azdev with no internet: the linter's two lookups that go online are answered here.

- The per-verb example table (missing_command_example): azdev's own fallback, the copy in its package, is used.
- Links in help texts (broken_site_link_*): not fetched; every link counts as broken, so none may be added to
  help offline. Upstream CI fetches them.
"""
import sys

import requests

from azdev.__main__ import main
from azdev.operations.linter import util


class _NotFound:  # pylint: disable=too-few-public-methods
    status_code = 404


class _OfflineRequests:  # pylint: disable=too-few-public-methods
    exceptions = requests.exceptions

    @staticmethod
    def get(url, **_):
        if url == util.CMD_EXAMPLE_CONFIG_FILE_URL:
            return _NotFound()  # azdev then reads CMD_EXAMPLE_CONFIG_FILE_PATH from its package
        raise requests.exceptions.ConnectionError(f"offline: {url} not fetched")


util.requests = _OfflineRequests
sys.exit(main())
