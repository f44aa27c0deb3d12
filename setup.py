"""Packaging for tutor-contrib-lmsbridge (a Tutor plugin)."""

import os

from setuptools import find_namespace_packages, setup

HERE = os.path.abspath(os.path.dirname(__file__))


def load_about() -> dict[str, str]:
    about: dict[str, str] = {}
    with open(os.path.join(HERE, "tutor_lmsbridge", "__about__.py"), encoding="utf-8") as f:
        exec(f.read(), about)  # noqa: S102 - our own version file
    return about


def load_readme() -> str:
    with open(os.path.join(HERE, "README.rst"), encoding="utf-8") as f:
        return f.read()


ABOUT = load_about()

setup(
    name="tutor-contrib-lmsbridge",
    version=ABOUT["__version__"],
    description="Tutor plugin: single sign-on and API bridge between Open edX and "
    "MITxOnline, MITxPro, Richie or any OAuth2/OIDC provider",
    long_description=load_readme(),
    long_description_content_type="text/x-rst",
    license="AGPL-3.0-only",
    # Every folder under tutor_lmsbridge/ ships: the code, and as data the patches, the
    # templates and the Open edX app (openedx_app/, copied into the image's build context,
    # never imported here). Listing them all as packages keeps setuptools from warning that
    # data folders are "absent from the packages configuration".
    packages=find_namespace_packages(include=["tutor_lmsbridge", "tutor_lmsbridge.*"]),
    # The packages sit at the project root, said explicitly: `pip install -e .` then adds the
    # root to sys.path with a .pth file instead of installing an import hook, and setuptools
    # prints no "Editable installation" banner (what is installed stays the same).
    package_dir={"": "."},
    include_package_data=True,
    package_data={"": ["*", "**/*"]},
    exclude_package_data={"": ["__pycache__", "*.pyc"]},
    python_requires=">=3.10",
    install_requires=[
        "tutor>=22.0.0,<23.0.0",
        "click>=8.0",
        "jinja2>=3.0",
        # The oauth2 preset checks backend classes with social-auth-core itself.
        "social-auth-core>=4.5,<5",
        # The saml preset derives the SP certificate from its private key (social-auth-core
        # depends on it too).
        "cryptography>=42",
    ],
    extras_require={
        # Everything the test suite runs for real: the Open edX-side packages the plugin
        # configures, at the versions edx-platform Verawood pins (requirements/edx/base.txt),
        # and the tools CI runs.
        "test": [
            # pytest 9.2 derives a test's id from a field pytest-xdist 3.8 does not set, which
            # silently ungroups the e2e tests (--dist loadgroup): they would share ports.
            "pytest>=8,<9.2",
            "pytest-timeout>=2.3",
            # `make test` runs on every core; the e2e tests share fixed loopback addresses,
            # so they stay together on one worker (conftest.py).
            "pytest-xdist==3.8.0",
            "hypothesis>=6",
            "ruff>=0.6",
            "mypy>=1.10",
            # tests/test_packaging.py builds the package offline with the setuptools
            # pyproject.toml's [build-system] asks for.
            "setuptools>=77",
            "types-PyYAML",
            "Django>=5.2,<5.3",
            "packaging",
            "docutils",
            # tests/test_docs.py renders the README as PyPI does.
            "readme-renderer",
            "django-oauth-toolkit==1.7.1",
            "oauthlib>=3.1,<4",
            "django-config-models==2.9.0",
            # Site.objects.get_current(request) as the LMS resolves it (by the request's
            # host, else SITE_ID): edx-platform lists it in INSTALLED_APPS.
            "edx-django-sites-extensions==6.0.0",
            # [saml]: python3-saml, which signs and checks with the xmlsec binding. The
            # xmlsec and lxml wheels each bundle their own libxml2 and xmlsec refuses to work
            # ("lxml & xmlsec libxml2 library version mismatch") unless both are the same
            # version: these two wheels are both built on libxml2 2.14.6.
            "social-auth-core[saml]==4.8.3",
            "xmlsec==1.3.17",
            "lxml==6.1.3",
            # The SAML identity provider of the e2e tests. It signs with the xmlsec1 program
            # (Debian package xmlsec1, installed by .ci/run).
            "pysaml2==7.5.5",
            "social-auth-app-django==5.4.1",
            "openedx-companion-auth==1.3.0",
            "ol-social-auth==0.3.0",
            "requests>=2.31",
            "tutor-mfe>=22.0.0,<23.0.0",
            # Studio's course-run delivery task runs on these, at edx-platform Verawood's pins
            # (requirements/edx/base.txt); the openedx image has them.
            "celery==5.5.3",
            "edx-opaque-keys==3.0.0",
            # tests/test_k8s_manifests.py validates what `kubectl kustomize` builds against
            # the Kubernetes 1.30 JSON schemas this package bundles (strict: no unknown field).
            "kubernetes-validate==1.37.0",
        ],
    },
    entry_points={"tutor.plugin.v1": ["lmsbridge = tutor_lmsbridge.plugin"]},
    classifiers=[
        "Development Status :: 4 - Beta",
        "Framework :: Django",
        "Intended Audience :: System Administrators",
        "Operating System :: OS Independent",
        "Programming Language :: Python :: 3",
    ],
)
