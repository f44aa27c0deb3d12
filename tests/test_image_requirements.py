"""The requirements the plugin installs into the openedx image with --no-deps.

--no-deps is safe only if everything those packages need already ships with edx-platform;
it is needed because installing their declared dependencies would change edx-platform's pins.
Both halves are checked here, against edx-platform Verawood's requirements/edx/base.txt.
"""

import importlib.metadata
import inspect

from packaging.requirements import Requirement
from packaging.version import Version

from tutor_lmsbridge.core.pipeline import plan_for
from tutor_lmsbridge.core.presets import OPENEDX_PLUGIN_PATH

from .support.samples import MITXONLINE, MITXPRO, PLATFORM, RICHIE, combine

# edx-platform Verawood, requirements/edx/base.txt (the packages our requirements declare).
EDX_PLATFORM_PINS = {
    "django": "5.2.10",
    "django-oauth-toolkit": "1.7.1",
    "djangorestframework": "3.16.1",
    "edx-django-utils": "8.0.1",
    "social-auth-core": "4.8.3",
    "attrs": "25.4.0",
}


def image_requirements() -> list[Requirement]:
    config = combine(MITXONLINE, {**MITXPRO, "LMSBRIDGE_MITXPRO_BACKEND": "mitxpro-oauth2"}, RICHIE)
    plan = plan_for({**PLATFORM, **config})
    return [Requirement(line) for line in plan.requirements if line != OPENEDX_PLUGIN_PATH]


def test_the_tested_versions_are_the_pinned_ones() -> None:
    requirements = image_requirements()
    assert [r.name for r in requirements] == [
        "ol-social-auth",
        "social-auth-mitxpro",
        "openedx-companion-auth",
    ]
    for requirement in requirements:
        assert requirement.specifier.contains(importlib.metadata.version(requirement.name))


def test_no_deps_loses_nothing_and_avoids_exactly_one_downgrade() -> None:
    conflicts = []
    for requirement in image_requirements():
        for text in importlib.metadata.requires(requirement.name) or []:
            dependency = Requirement(text)
            if dependency.marker is not None and not dependency.marker.evaluate({"extra": ""}):
                continue
            name = dependency.name.lower()
            assert name in EDX_PLATFORM_PINS, f"{requirement.name} needs {name}, not in the image"
            if not dependency.specifier.contains(Version(EDX_PLATFORM_PINS[name])):
                conflicts.append(f"{requirement.name}: {dependency}")
    # With its dependencies, social-auth-mitxpro would downgrade edx-platform's attrs...
    assert conflicts == ["social-auth-mitxpro: attrs<25.0.0,>=24.0.0"]
    # ...which it never imports.
    import social_auth_mitxpro.backends

    assert "attrs" not in inspect.getsource(social_auth_mitxpro.backends)
