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
"""

from __future__ import annotations

from tutor.core.hooks import Filter

from .core.presets import Preset


class Filters:
    #: Presets the connected apps may use. Ours come first; a preset added later with the
    #: same name replaces ours.
    #:
    #: :parameter list[Preset] presets: ``tutor_lmsbridge.core.presets.Preset`` values.
    LMSBRIDGE_PRESETS: Filter[list[Preset], []] = Filter()
