"""The secret store's split, in the pure core: every secret out of the data, and back."""

from __future__ import annotations

import copy
import itertools
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tutor_lmsbridge.core.secret_store import READERS, compose_override, restore, split

SECRETS = ["s3cret", "t0ken"]
data = st.recursive(
    st.none() | st.booleans() | st.integers() | st.sampled_from([*SECRETS, "public", ""]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(["a", "b", "s3cret"]), children, max_size=3)
    ),
    max_leaves=12,
)


def strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in strings(item)]
    return []


@settings(max_examples=200, deadline=None)
# Settings data is a mapping or a list (a secret is replaced where it stands in it).
@given(st.dictionaries(st.sampled_from(["a", "b"]), data, max_size=3) | st.lists(data, max_size=3))
def test_split_takes_every_secret_out_and_restore_puts_it_back(value: Any) -> None:
    public, secrets = split(value, SECRETS)
    assert not set(strings(public)) & set(SECRETS)
    assert restore(copy.deepcopy(public), secrets) == value


def test_the_plan_secrets_of_the_catalog_leave_the_settings_data() -> None:
    from tutor_lmsbridge.core.pipeline import plan_for
    from tutor_lmsbridge.core.secret_store import secret_store

    from ..support.samples import MITXONLINE, PLATFORM, RICHIE, combine

    plan = plan_for({**PLATFORM, **combine(MITXONLINE, RICHIE)})
    store = secret_store(plan)
    text = repr(store.lms.data) + repr(store.cms.data)
    # The seed derives the others and is never rendered; every other one goes to the file.
    for secret in plan.bridge.secrets:
        assert secret not in text
    filed = {value for _, value in [*store.lms.secrets, *store.cms.secrets]}
    assert filed == set(plan.bridge.secrets) - {PLATFORM["LMSBRIDGE_SECRET_SEED"]}


def test_each_compose_file_mounts_the_file_read_only_in_its_readers() -> None:
    for which, refresh in itertools.product(("local", "dev", "jobs"), (True, False)):
        services = compose_override(which, refresh)["services"]
        assert set(services) == {
            r.name for r in READERS if which in r.compose and (refresh or not r.refresh_only)
        }
        # The SAML refresh service is mounted only where it exists (docker-compose.yml).
        assert ("lmsbridge-saml-refresh" in services) == (refresh and which != "jobs")
        for service in services.values():
            (mount,) = service["volumes"]
            assert mount.endswith(":ro,z")


def test_a_cronjob_reader_is_patched_in_its_job_template() -> None:
    from tutor_lmsbridge.core.secret_store import Reader

    patch = Reader("saml-refresh", "CronJob", "lms", ()).k8s_patch()
    pod = patch["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["containers"][0]["name"] == "lms"
    assert patch["apiVersion"] == "batch/v1"
