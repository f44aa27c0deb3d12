"""The Open edX stand-in as a SAML service provider: openedx_settings as it is (edx-platform's
pipeline, assigned by the third_party_auth stand-in's ready(), with the plugin's guard)."""

from .openedx_settings import *  # noqa: F403 - the same LMS
from .openedx_settings import seed as seed  # the runner calls it

# The LMS's URLs and the test hook that runs the init job again in this process.
ROOT_URLCONF = "tests.e2e.openedx_saml_urls"
