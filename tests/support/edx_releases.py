"""Older edx-platform shapes the plugin still serves, applied to the stand-ins for a test."""

import pytest


def oauth2_keyed_on_backend_name(monkeypatch: pytest.MonkeyPatch) -> None:
    """OAuth2ProviderConfig as edx-platform had it before rows were keyed per Site
    (common/djangoapps/third_party_auth/models.py then: ``KEY_FIELDS = ('backend_name', )``
    and no current() override, so django-config-models' current(backend_name) returns the
    newest row of that name, whatever its Site)."""
    from config_models.models import ConfigurationModel
    from django.apps import apps

    model = apps.get_model("third_party_auth", "OAuth2ProviderConfig")
    monkeypatch.setattr(model, "KEY_FIELDS", ("backend_name",))
    monkeypatch.setattr(model, "current", classmethod(ConfigurationModel.current.__func__))
