"""tutor-contrib-lmsbridge's own hooks, for other Tutor plugins to extend it.

An institution ships its own preset without forking::

    from tutor_lmsbridge.core.presets import Preset
    from tutor_lmsbridge.hooks import Filters

    Filters.LMSBRIDGE_PRESETS.add_item(
        Preset(name="campus", title="Campus login", identity_provider=True,
               api_client=False, protocol="oidc", login_button=True)
    )

An app then uses it with ``LMSBRIDGE_<APP>_PRESET=campus`` and every key of the catalog that
applies to the preset's capabilities.

What `tutor lmsbridge credentials` gives the app is the preset's handover profile
(``Preset(handover=...)``): one of ours (``mitx``, ``richie``, ``edx-oauth2-client``, ``none``;
by default ``edx-oauth2-client`` for a preset with an API client, else ``none``), or the
plugin's own, under the names its app reads::

    from tutor_lmsbridge.output.handovers import Handover

    def moodle_settings(ctx):  # ctx: output.handovers.HandoverContext
        return {"issuer_base_url": ctx.lms_url, "client_id": ctx.app.client.client_id,
                "client_secret": ctx.app.client.client_secret}

    Filters.LMSBRIDGE_HANDOVERS.add_item(
        Handover(name="moodle", doc="Moodle's OAuth 2 issuer form", settings=moodle_settings)
    )
"""

from __future__ import annotations

from tutor.core.hooks import Filter

from .core.presets import Preset
from .output.handovers import Handover


class Filters:
    #: Presets the connected apps may use. Ours come first; a preset added later with the
    #: same name replaces ours.
    #:
    #: :parameter list[Preset] presets: ``tutor_lmsbridge.core.presets.Preset`` values.
    LMSBRIDGE_PRESETS: Filter[list[Preset], []] = Filter()

    #: Handover profiles the presets may name (``Preset.handover``): what `tutor lmsbridge
    #: credentials` prints for the app, what `status` adds and what the after-save notice
    #: watches. Ours come first; a profile added later with the same name replaces ours.
    #:
    #: :parameter list[Handover] handovers: ``tutor_lmsbridge.output.handovers.Handover``
    #:   values.
    LMSBRIDGE_HANDOVERS: Filter[list[Handover], []] = Filter()
