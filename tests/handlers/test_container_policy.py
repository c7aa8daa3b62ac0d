"""Handlers check the containers they touch again, whatever the submission was checked
against: read from an allowed input or output container, write to an output container."""

from __future__ import annotations

import pytest

from handlers.base import NonRetryableError
from tests.handlers.conftest import INPUTS, OUTPUTS
from tests.handlers.helpers import run


def test_reading_a_container_that_is_not_allowed_fails_naming_it(store, uint16_nodata):
    with pytest.raises(NonRetryableError, match=r"container: container 'secrets' may not be read"):
        run("raster_validate", {**uint16_nodata, "container": "secrets"})


def test_reading_the_engines_own_container_fails(store, uint16_nodata):
    with pytest.raises(NonRetryableError) as info:
        run("raster_validate", {**uint16_nodata, "container": "dagmaster-outputs"})
    assert info.value.kind == "container_not_allowed"


def test_writing_to_an_input_container_fails_naming_the_param(store, uint16_nodata):
    params = {**uint16_nodata, "output_container": INPUTS, "output_path": "cogs/x.tif"}
    with pytest.raises(NonRetryableError) as info:
        run("create_cog", params)
    assert info.value.kind == "container_not_allowed"
    assert str(info.value).startswith(
        f"output_container: container '{INPUTS}' may not be written to (allowed: {OUTPUTS}; "
        "see DAGMASTER_OUTPUT_CONTAINERS)"
    )


def test_a_stac_item_is_written_only_beside_a_raster_in_an_output_container(store, uint16_nodata):
    with pytest.raises(NonRetryableError, match="may not be written to"):
        run("stac_item", {**uint16_nodata, "item_id": "x"})
