"""The Tutor side's handle on lmsbridge_openedx/saml_metadata.py, the metadata module the
LMS's init job imports from the plugin's Open edX app (openedx_app/, shipped in the image).

One file, read by both sides: `check --probe` finds an entity and checks a pinned signature
exactly as the LMS will. On this side the Open edX app is package data, not an importable
package (its name is ``lmsbridge_openedx`` only in the image), so the file is loaded by path
under a private name. It imports nothing from Django, and the XML signature libraries
(python3-saml, xmlsec, lxml) only inside ``verify_signature``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import TYPE_CHECKING

MODULE_NAME = "_lmsbridge_saml_metadata"
SOURCE = Path(__file__).parents[1] / "openedx_app" / "lmsbridge_openedx" / "saml_metadata.py"

if TYPE_CHECKING:
    from lmsbridge_openedx.saml_metadata import (
        PINNED_MAX_BYTES,
        FoundEntity,
        MetadataProblem,
        certificate_body,
        entity_document,
        find_entity,
        find_entity_in,
        mdq_url,
        verify_signature,
    )
else:
    _module = sys.modules.get(MODULE_NAME)
    if _module is None:
        _spec = importlib.util.spec_from_file_location(MODULE_NAME, SOURCE)
        _module = importlib.util.module_from_spec(_spec)
        sys.modules[MODULE_NAME] = _module  # NamedTuple and dataclass need it registered
        _spec.loader.exec_module(_module)
    PINNED_MAX_BYTES = _module.PINNED_MAX_BYTES
    FoundEntity = _module.FoundEntity
    MetadataProblem = _module.MetadataProblem
    certificate_body = _module.certificate_body
    entity_document = _module.entity_document
    find_entity = _module.find_entity
    find_entity_in = _module.find_entity_in
    mdq_url = _module.mdq_url
    verify_signature = _module.verify_signature

__all__ = [
    "PINNED_MAX_BYTES",
    "FoundEntity",
    "MetadataProblem",
    "certificate_body",
    "entity_document",
    "find_entity",
    "find_entity_in",
    "mdq_url",
    "verify_signature",
]
