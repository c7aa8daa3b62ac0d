"""Specification of large outputs: what the history keeps (`domain.offload`) and how
templates in the orchestrator see the rest."""

from __future__ import annotations

from typing import Any

import pytest

from domain.offload import child_ref, follow, is_ref, json_size, ref_items, stub
from domain.templates import TemplateContext, TemplateJob, TemplateRenderError, render_value

BLOB = "dagmaster-outputs/job-1/plan/1.json"
LIMIT = 1_000


def big_list(n: int = 200) -> list[dict[str, Any]]:
    return [{"row": i, "col": i, "window": [0, 0, 512, 512]} for i in range(n)]


def test_output_within_the_limit_is_kept_whole() -> None:
    output = {"a": 1, "b": [1, 2, 3]}
    assert stub(output, LIMIT, BLOB) is output


def test_big_field_is_referenced_and_small_fields_stay_inline() -> None:
    output = {"count": 200, "tiles": big_list(), "crs": "EPSG:4326"}
    kept = stub(output, LIMIT, BLOB)
    assert kept["count"] == 200 and kept["crs"] == "EPSG:4326"
    assert kept["tiles"] == {
        "$ref": BLOB,
        "size": json_size(output["tiles"]),
        "length": 200,
        "path": ["tiles"],
    }


def test_stub_fits_within_the_limit() -> None:
    output = {f"k{i}": "x" * 300 for i in range(5)} | {"n": 1}
    kept = stub(output, LIMIT, BLOB)
    assert json_size(kept) <= LIMIT
    assert kept["n"] == 1


def test_nested_dict_keeps_its_small_fields_inline() -> None:
    output = {"stats": {"mean": 1.5, "histogram": list(range(500))}, "ok": True}
    kept = stub(output, LIMIT, BLOB)
    assert kept["stats"]["mean"] == 1.5
    assert kept["stats"]["histogram"]["path"] == ["stats", "histogram"]


def test_big_list_output_is_referenced_whole() -> None:
    output = big_list()
    assert stub(output, LIMIT, BLOB) == {"$ref": BLOB, "size": json_size(output), "length": 200}


def test_dict_of_many_small_fields_is_referenced_whole() -> None:
    output = {f"k{i}": i for i in range(500)}
    kept = stub(output, LIMIT, BLOB)
    assert kept == {"$ref": BLOB, "size": json_size(output), "length": 500}


def test_json_schema_dollar_ref_is_not_a_reference() -> None:
    assert not is_ref({"$ref": "#/definitions/a"})
    assert not is_ref({"$ref": "x", "size": 1, "type": "object"})
    assert is_ref({"$ref": "x", "path": [1]})


def test_references_to_items_of_a_referenced_list() -> None:
    ref = {"$ref": BLOB, "size": 9_000, "length": 2, "path": ["tiles"]}
    assert ref_items(ref) == [
        {"$ref": BLOB, "path": ["tiles", 0]},
        {"$ref": BLOB, "path": ["tiles", 1]},
    ]


def test_items_of_a_reference_without_length_are_unknown() -> None:
    assert ref_items({"$ref": BLOB, "path": ["a"]}) is None


def test_follow_reads_the_value_at_a_path() -> None:
    doc = {"tiles": big_list(3)}
    assert follow(doc, ["tiles", 2, "row"], BLOB) == 2


def test_follow_names_the_missing_path() -> None:
    with pytest.raises(LookupError, match=r"nothing at \['tiles'\]\[7\]"):
        follow({"tiles": []}, ["tiles", 7], BLOB)


def test_child_reference_extends_the_path() -> None:
    ref = {"$ref": BLOB, "size": 10, "path": ["a"]}
    assert child_ref(ref, 3) == {"$ref": BLOB, "path": ["a", 3]}


# --- templates in the orchestrator --------------------------------------------------------

PLAN = stub({"count": 200, "tiles": big_list()}, LIMIT, BLOB)
JOB = TemplateJob(id="job-1", workflow_id="raster_ingest", version=1)


def render(value: Any, **ctx: Any) -> Any:
    context = TemplateContext(inputs={}, nodes={"plan": PLAN}, job=JOB, **ctx)
    return render_value(value, context, node_id="cog")


def test_template_reads_an_inline_field_of_a_big_output() -> None:
    assert render("{{ nodes.plan.output.count * 2 }}") == 400


def test_template_passes_an_offloaded_field_on_as_a_reference() -> None:
    assert render("{{ nodes.plan.output.tiles }}") == PLAN["tiles"]


def test_template_reaching_inside_an_offloaded_value_extends_the_reference() -> None:
    assert render("{{ nodes.plan.output.tiles[3].window }}") == {
        "$ref": BLOB,
        "path": ["tiles", 3, "window"],
    }
    assert render("{{ nodes.plan.output['tiles'][3] }}") == {"$ref": BLOB, "path": ["tiles", 3]}


def test_length_of_an_offloaded_list_is_known() -> None:
    assert render("{{ nodes.plan.output.tiles | length }}") == 200


def test_offloaded_value_in_text_is_an_error_naming_the_param() -> None:
    with pytest.raises(TemplateRenderError, match=r"params.*large output kept in blob storage"):
        render("tiles: {{ nodes.plan.output.tiles }}")


def test_comparing_an_offloaded_value_is_an_error() -> None:
    with pytest.raises(TemplateRenderError, match="cannot compare it"):
        render("{{ nodes.plan.output.tiles == [] }}")


def test_iterating_an_offloaded_value_is_an_error() -> None:
    with pytest.raises(TemplateRenderError, match="cannot iterate over it"):
        render("{{ nodes.plan.output.tiles | list }}")


def test_fan_out_item_that_is_a_reference_is_offloaded_in_the_child() -> None:
    item = {"$ref": BLOB, "path": ["tiles", 4]}
    assert render("{{ item.row }}", item=item, index=4) == {
        "$ref": BLOB,
        "path": ["tiles", 4, "row"],
    }
    assert render("tile_{{ index }}.tif", item=item, index=4) == "tile_4.tif"
